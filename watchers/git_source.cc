#include "watchers/git_source.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "watchers/internal/libgit2.h"

namespace envctl::watchers {
namespace {

namespace fs = std::filesystem;
using internal::BlobPtr;
using internal::BranchIterPtr;
using internal::CommitPtr;
using internal::LastGitError;
using internal::RemotePtr;
using internal::RepoPtr;
using internal::TreeEntryPtr;
using internal::TreePtr;

constexpr int kMaxBranchesListed = 10;

// State shared with the credentials callback during one fetch.
struct CredentialState {
  std::string token_env;
  int attempts = 0;
  bool token_missing = false;
};

int AcquireCredentials(git_credential** out, const char* /*url*/, const char* /*username_from_url*/,
                       unsigned int allowed_types, void* payload) {
  auto* state = static_cast<CredentialState*>(payload);
  if (state->token_env.empty() || (allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
    return GIT_PASSTHROUGH;
  }
  // libgit2 asks again after a 401; a second answer would be the same token.
  if (++state->attempts > 1) return GIT_EAUTH;
  const char* token = std::getenv(state->token_env.c_str());
  if (token == nullptr || token[0] == '\0') {
    state->token_missing = true;
    return GIT_EUSER;
  }
  return git_credential_userpass_plaintext_new(out, "x-access-token", token);
}

absl::StatusOr<std::string> NormalizeUrl(const std::string& url) {
  if (url.empty()) return absl::InvalidArgumentError("git source: url is empty");
  if (absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://") ||
      absl::StartsWith(url, "file://")) {
    return url;
  }
  const size_t colon = url.find(':');
  const bool scp_like = colon != std::string::npos && url.find('@') < colon;
  if (url.find("://") != std::string::npos || scp_like) {
    return absl::InvalidArgumentError(absl::StrCat(
        "git source: unsupported URL ", RedactUrl(url),
        " (use https:// with token_env for private repositories, file:// or a local path)"));
  }
  std::error_code ec;
  fs::path abs = fs::absolute(url, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("git source: bad path ", url));
  return abs.lexically_normal().string();
}

absl::StatusOr<std::string> NormalizePath(const std::string& path) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "git source: path \"", path, "\" must stay inside the repository (no \"..\")"));
    }
    parts.emplace_back(part);
  }
  if (absl::StartsWith(path, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "git source: path \"", path, "\" must be relative to the repository's top folder"));
  }
  return absl::StrJoin(parts, "/");
}

class GitSource : public Source {
 public:
  GitSource(GitSourceOptions options, std::string checkout_dir)
      : options_(std::move(options)), checkout_dir_(std::move(checkout_dir)) {}

  absl::StatusOr<SourceSnapshot> Fetch() override {
    git_error_clear();
    ASSIGN_OR_RETURN(RepoPtr repo, OpenOrCreateClone());
    RETURN_IF_ERROR(FetchOrigin(repo.get()));
    ASSIGN_OR_RETURN(git_oid oid, ResolveBranch(repo.get()));
    char sha[GIT_OID_HEXSZ + 1];
    git_oid_tostr(sha, sizeof(sha), &oid);

    git_commit* raw_commit = nullptr;
    if (int rc = git_commit_lookup(&raw_commit, repo.get(), &oid); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot read commit ", sha, rc);
    }
    CommitPtr commit(raw_commit);
    RETURN_IF_ERROR(CheckPathExists(commit.get(), sha));

    git_checkout_options checkout = GIT_CHECKOUT_OPTIONS_INIT;
    // Local edits and stray files would otherwise be loaded as if they were in the repo.
    checkout.checkout_strategy =
        GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
    if (int rc = git_checkout_tree(repo.get(), reinterpret_cast<const git_object*>(commit.get()),
                                   &checkout);
        rc != 0) {
      return Error(absl::StatusCode::kInternal, absl::StrCat("cannot check out ", sha, " in "),
                   checkout_dir_, rc);
    }
    if (int rc = git_repository_set_head_detached(repo.get(), &oid); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot move HEAD in ", checkout_dir_, rc);
    }
    fs::path root = fs::path(checkout_dir_);
    if (!path_.empty()) root /= path_;
    return SourceSnapshot{sha, root.lexically_normal().string()};
  }

  absl::Status ExportRevision(const std::string& revision, const std::string& dest) const override {
    git_error_clear();
    git_oid oid;
    if (revision.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, revision.c_str()) != 0) {
      return absl::NotFoundError(absl::StrCat(Describe(), ": revision \"", revision,
                                              "\" is not a commit sha (40 hex digits)"));
    }
    git_repository* raw = nullptr;
    // Its own handle: libgit2 objects are not shared between threads, and Fetch() may run.
    if (git_repository_open_ext(&raw, checkout_dir_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                nullptr) != 0) {
      return absl::NotFoundError(absl::StrCat(Describe(), ": revision ", revision,
                                              " is unknown (no clone in ", checkout_dir_, " yet)"));
    }
    RepoPtr repo(raw);
    git_commit* raw_commit = nullptr;
    if (int rc = git_commit_lookup(&raw_commit, repo.get(), &oid); rc != 0) {
      if (rc == GIT_ENOTFOUND) {
        return absl::NotFoundError(absl::StrCat(Describe(), ": revision ", revision,
                                                " is not a commit fetched from ",
                                                RedactUrl(options_.url)));
      }
      return Error(absl::StatusCode::kInternal, "cannot read commit ", revision, rc);
    }
    CommitPtr commit(raw_commit);
    RETURN_IF_ERROR(CheckPathExists(commit.get(), revision.c_str()));
    git_tree* raw_tree = nullptr;
    if (int rc = git_commit_tree(&raw_tree, commit.get()); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot read the tree of ", revision, rc);
    }
    TreePtr tree(raw_tree);
    if (!path_.empty()) {
      git_tree_entry* raw_entry = nullptr;
      if (int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path_.c_str()); rc != 0) {
        return Error(absl::StatusCode::kInternal, "cannot read ", path_, rc);
      }
      TreeEntryPtr entry(raw_entry);
      git_object* sub = nullptr;
      if (int rc = git_tree_entry_to_object(&sub, repo.get(), entry.get()); rc != 0) {
        return Error(absl::StatusCode::kInternal, "cannot read ", path_, rc);
      }
      tree.reset(reinterpret_cast<git_tree*>(sub));
    }
    std::error_code ec;
    if (fs::exists(dest, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot export ", revision, ": ", dest, " exists already"));
    }
    return WriteTree(repo.get(), tree.get(), fs::path(dest), revision);
  }

  std::string Describe() const override {
    std::string out = absl::StrCat("git ", RedactUrl(options_.url), "@", options_.branch);
    if (!path_.empty()) absl::StrAppend(&out, ":", path_);
    return out;
  }

  void set_path(std::string path) { path_ = std::move(path); }

 private:
  // Removes anything secret from a libgit2 message before it leaves this class.
  std::string Sanitize(std::string message) const {
    if (options_.url != RedactUrl(options_.url)) {
      absl::StrReplaceAll({{options_.url, RedactUrl(options_.url)}}, &message);
    }
    if (!options_.token_env.empty()) {
      const char* token = std::getenv(options_.token_env.c_str());
      if (token != nullptr && token[0] != '\0') {
        absl::StrReplaceAll({{token, "<redacted>"}}, &message);
      }
    }
    return message;
  }

  absl::Status Error(absl::StatusCode code, absl::string_view what, absl::string_view where,
                     int rc) const {
    return absl::Status(
        code, Sanitize(absl::StrCat(Describe(), ": ", what, where, ": ", LastGitError(rc))));
  }

  absl::StatusOr<RepoPtr> OpenOrCreateClone() {
    std::error_code ec;
    git_repository* raw = nullptr;
    if (fs::exists(checkout_dir_, ec)) {
      int rc = git_repository_open_ext(&raw, checkout_dir_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                       nullptr);
      if (rc == 0) {
        RepoPtr repo(raw);
        RETURN_IF_ERROR(CheckOrigin(repo.get()));
        return repo;
      }
      if (!fs::is_directory(checkout_dir_, ec) || !fs::is_empty(checkout_dir_, ec)) {
        return absl::FailedPreconditionError(absl::StrCat(
            Describe(), ": checkout_dir ", checkout_dir_,
            " exists and is not a Git clone; empty it or choose another checkout_dir"));
      }
    } else {
      fs::create_directories(checkout_dir_, ec);
      if (ec) {
        return absl::FailedPreconditionError(absl::StrCat(
            Describe(), ": cannot create checkout_dir ", checkout_dir_, ": ", ec.message()));
      }
    }
    if (int rc = git_repository_init(&raw, checkout_dir_.c_str(), /*is_bare=*/0); rc != 0) {
      return Error(absl::StatusCode::kFailedPrecondition, "cannot create a clone in ",
                   checkout_dir_, rc);
    }
    RepoPtr repo(raw);
    git_remote* remote = nullptr;
    if (int rc = git_remote_create(&remote, repo.get(), "origin", options_.url.c_str()); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot add origin in ", checkout_dir_, rc);
    }
    git_remote_free(remote);
    return repo;
  }

  absl::Status CheckOrigin(git_repository* repo) const {
    git_remote* raw = nullptr;
    if (int rc = git_remote_lookup(&raw, repo, "origin"); rc != 0) {
      if (rc != GIT_ENOTFOUND) {
        return Error(absl::StatusCode::kInternal, "cannot read origin in ", checkout_dir_, rc);
      }
      rc = git_remote_create(&raw, repo, "origin", options_.url.c_str());
      if (rc != 0) {
        return Error(absl::StatusCode::kInternal, "cannot add origin in ", checkout_dir_, rc);
      }
    }
    RemotePtr remote(raw);
    const char* url = git_remote_url(remote.get());
    if (url == nullptr || options_.url != url) {
      return absl::FailedPreconditionError(Sanitize(
          absl::StrCat(Describe(), ": checkout_dir ", checkout_dir_, " is a clone of ",
                       RedactUrl(url ? url : "nothing"), ", not of ", RedactUrl(options_.url),
                       "; remove it or choose another checkout_dir")));
    }
    return absl::OkStatus();
  }

  absl::Status FetchOrigin(git_repository* repo) const {
    git_remote* raw = nullptr;
    if (int rc = git_remote_lookup(&raw, repo, "origin"); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot read origin in ", checkout_dir_, rc);
    }
    RemotePtr remote(raw);
    CredentialState creds{options_.token_env};
    git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
    fetch.prune = GIT_FETCH_PRUNE;  // a deleted branch must not linger as origin/<branch>
    fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fetch.callbacks.credentials = &AcquireCredentials;
    fetch.callbacks.payload = &creds;
    const int rc = git_remote_fetch(remote.get(), nullptr, &fetch, nullptr);
    if (rc == 0) return absl::OkStatus();
    if (creds.token_missing) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(),
                       ": the server asks for credentials but environment "
                       "variable ",
                       options_.token_env, " (token_env) is not set"));
    }
    if (creds.attempts > 1 || rc == GIT_EAUTH) {
      if (options_.token_env.empty()) {
        return absl::PermissionDeniedError(
            absl::StrCat(Describe(),
                         ": the server requires authentication; set token_env "
                         "to the name of an environment variable holding an access token"));
      }
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(), ": the server refused the token from $", options_.token_env,
                       " (check that it is valid, not expired, and can read the "
                       "repository)"));
    }
    return Error(absl::StatusCode::kUnavailable, "cannot fetch", "", rc);
  }

  absl::StatusOr<git_oid> ResolveBranch(git_repository* repo) const {
    git_oid oid;
    const std::string ref = absl::StrCat("refs/remotes/origin/", options_.branch);
    const int rc = git_reference_name_to_id(&oid, repo, ref.c_str());
    if (rc == 0) return oid;
    if (rc != GIT_ENOTFOUND && rc != GIT_EINVALIDSPEC) {
      return Error(absl::StatusCode::kInternal, "cannot read ", ref, rc);
    }
    std::vector<std::string> branches = RemoteBranches(repo);
    std::string known =
        branches.empty()
            ? "the repository has no branches"
            : absl::StrCat("branches: ",
                           absl::StrJoin(branches.begin(),
                                         branches.begin() +
                                             std::min<size_t>(branches.size(), kMaxBranchesListed),
                                         ", "));
    if (branches.size() > kMaxBranchesListed) {
      absl::StrAppend(&known, ", ... (", branches.size() - kMaxBranchesListed, " more)");
    }
    return absl::NotFoundError(absl::StrCat(Describe(), ": branch \"", options_.branch,
                                            "\" does not exist in ", RedactUrl(options_.url), " (",
                                            known, ")"));
  }

  static std::vector<std::string> RemoteBranches(git_repository* repo) {
    std::vector<std::string> out;
    git_branch_iterator* raw = nullptr;
    if (git_branch_iterator_new(&raw, repo, GIT_BRANCH_REMOTE) != 0) return out;
    BranchIterPtr it(raw);
    git_reference* ref = nullptr;
    git_branch_t type;
    while (git_branch_next(&ref, &type, it.get()) == 0) {
      const char* name = nullptr;
      if (git_branch_name(&name, ref) == 0 && name != nullptr) {
        absl::string_view short_name = name;
        if (absl::ConsumePrefix(&short_name, "origin/") && short_name != "HEAD") {
          out.emplace_back(short_name);
        }
      }
      git_reference_free(ref);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  absl::Status CheckPathExists(git_commit* commit, const char* sha) const {
    if (path_.empty()) return absl::OkStatus();
    git_tree* raw_tree = nullptr;
    if (int rc = git_commit_tree(&raw_tree, commit); rc != 0) {
      return Error(absl::StatusCode::kInternal, "cannot read the tree of ", sha, rc);
    }
    TreePtr tree(raw_tree);
    git_tree_entry* raw_entry = nullptr;
    const int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path_.c_str());
    if (rc == GIT_ENOTFOUND) {
      return absl::NotFoundError(absl::StrCat(
          Describe(), ": path \"", path_, "\" does not exist in ", RedactUrl(options_.url), " at ",
          options_.branch, " (", sha, "); check the source's path"));
    }
    if (rc != 0) return Error(absl::StatusCode::kInternal, "cannot read ", path_, rc);
    TreeEntryPtr entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(), ": path \"", path_, "\" is a file at ", sha,
                       "; it must be the folder holding envctl.yaml"));
    }
    return absl::OkStatus();
  }

  // Writes `tree`'s files under `to` from the object database. Hidden entries are left out
  // (as the snapshot store does for folders); symbolic links and submodules too: a link
  // could point outside the repository, and a submodule's content is not in this one.
  absl::Status WriteTree(git_repository* repo, const git_tree* tree, const fs::path& to,
                         const std::string& revision) const {
    std::error_code ec;
    fs::create_directories(to, ec);
    if (ec)
      return absl::InternalError(absl::StrCat("cannot create ", to.string(), ": ", ec.message()));
    const size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      const std::string name = git_tree_entry_name(entry);
      if (name.empty() || name[0] == '.') continue;
      const git_filemode_t mode = git_tree_entry_filemode(entry);
      if (mode == GIT_FILEMODE_TREE) {
        git_tree* raw = nullptr;
        if (int rc = git_tree_lookup(&raw, repo, git_tree_entry_id(entry)); rc != 0) {
          return Error(absl::StatusCode::kInternal, "cannot read folder ", name, rc);
        }
        TreePtr sub(raw);
        RETURN_IF_ERROR(WriteTree(repo, sub.get(), to / name, revision));
      } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
        git_blob* raw = nullptr;
        if (int rc = git_blob_lookup(&raw, repo, git_tree_entry_id(entry)); rc != 0) {
          return Error(absl::StatusCode::kInternal, "cannot read file ", name, rc);
        }
        BlobPtr blob(raw);
        const fs::path file = to / name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                  static_cast<std::streamsize>(git_blob_rawsize(blob.get())));
        out.close();
        if (!out) {
          return absl::InternalError(
              absl::StrCat("cannot write ", file.string(), " (revision ", revision, ")"));
        }
      }
    }
    return absl::OkStatus();
  }

  internal::LibGit2 libgit2_;  // first member: outlives every libgit2 object we hold
  const GitSourceOptions options_;
  const std::string checkout_dir_;
  std::string path_;
};

}  // namespace

std::string RedactUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host = scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", host), url.size());
  const size_t at = url.rfind('@', end - 1);
  if (at == std::string::npos || at < host || end == host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

absl::StatusOr<std::unique_ptr<Source>> NewGitSource(GitSourceOptions options) {
  ASSIGN_OR_RETURN(options.url, NormalizeUrl(options.url));
  ASSIGN_OR_RETURN(std::string path, NormalizePath(options.path));
  if (options.branch.empty()) options.branch = "main";
  if (options.checkout_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("git source ", RedactUrl(options.url), ": checkout_dir is empty"));
  }
  std::error_code ec;
  fs::path dir = fs::absolute(options.checkout_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("git source: bad checkout_dir ", options.checkout_dir));
  }
  dir = dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "/x/clone/" -> "/x/clone"
  auto source = std::make_unique<GitSource>(std::move(options), dir.string());
  source->set_path(std::move(path));
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace envctl::watchers
