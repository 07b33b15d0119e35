#include "watchers/git_source.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"
#include "tests/watchers/auth_server.h"
#include "tests/watchers/temp_dir.h"
#include "watchers/folder_source.h"
#include "watchers/snapshot_store.h"

// libgit2 1.5 leaks a pcre2 match block when a config regex does not match (fixed upstream in
// libgit2/libgit2#6382, after 1.5); only ASan builds read this.
extern "C" __attribute__((used)) const char* __lsan_default_suppressions() {
  return "leak:libpcre2-8.so\n";
}

namespace envctl::watchers {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::TempDir;

namespace fs = std::filesystem;

// Runs a command in a shell and returns its trimmed stdout; fails the test on a non-zero exit.
std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return out;
  }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  const int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An upstream repository made with the git CLI, cloned by the source under test via file://.
class GitSourceTest : public ::testing::Test {
 protected:
  GitSourceTest() : upstream_(tmp_.Sub("upstream")), checkout_(tmp_.Sub("checkout")) {
    fs::create_directories(upstream_);
    Git("init -q -b main");
    Commit("examples/demo/envctl.yaml", "project: demo\n", "first");
  }

  std::string Git(const std::string& args) {
    return RunCommand(absl::StrCat("git -C '", upstream_,
                                   "' -c user.name=envctl -c "
                                   "user.email=envctl@example.com -c commit.gpgsign=false ",
                                   args));
  }
  // Writes a file upstream, commits it and returns the new commit's sha.
  std::string Commit(const std::string& rel, const std::string& content,
                     const std::string& message) {
    tmp_.Write("upstream/" + rel, content);
    Git("add -A");
    Git("commit -q -m '" + message + "'");
    return Git("rev-parse HEAD");
  }

  GitSourceOptions Options() {
    GitSourceOptions o;
    o.url = "file://" + upstream_;
    o.branch = "main";
    o.path = "examples/demo";
    o.checkout_dir = checkout_;
    return o;
  }
  std::unique_ptr<Source> NewSource(const GitSourceOptions& options) {
    auto source = NewGitSource(options);
    EXPECT_OK(source);
    return source.ok() ? std::move(source).value() : nullptr;
  }

  TempDir tmp_;
  const std::string upstream_;
  const std::string checkout_;
};

TEST_F(GitSourceTest, FirstFetchClonesTheBranchAndReportsTheCommitSha) {
  auto source = NewSource(Options());
  auto snapshot = source->Fetch();
  ASSERT_OK(snapshot);
  EXPECT_THAT(snapshot->revision, MatchesRegex("[0-9a-f]{40}"));
  EXPECT_EQ(snapshot->revision, Git("rev-parse HEAD"));
  EXPECT_EQ(snapshot->root, checkout_ + "/examples/demo");
  EXPECT_EQ(ReadFile(snapshot->root + "/envctl.yaml"), "project: demo\n");
}

TEST_F(GitSourceTest, ALocalPathWorksAsUrl) {
  GitSourceOptions options = Options();
  options.url = upstream_;
  auto snapshot = NewSource(options)->Fetch();
  ASSERT_OK(snapshot);
  EXPECT_EQ(snapshot->revision, Git("rev-parse HEAD"));
}

TEST_F(GitSourceTest, NewCommitIsPickedUpOnTheNextFetch) {
  auto source = NewSource(Options());
  auto first = source->Fetch();
  ASSERT_OK(first);
  const std::string sha = Commit("examples/demo/envctl.yaml", "project: demo2\n", "second");
  auto second = source->Fetch();
  ASSERT_OK(second);
  EXPECT_EQ(second->revision, sha);
  EXPECT_NE(second->revision, first->revision);
  EXPECT_EQ(ReadFile(second->root + "/envctl.yaml"), "project: demo2\n");
}

TEST_F(GitSourceTest, FetchWithoutUpstreamChangesKeepsTheRevision) {
  auto source = NewSource(Options());
  auto first = source->Fetch();
  auto second = source->Fetch();
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(first->revision, second->revision);
}

TEST_F(GitSourceTest, FilesDeletedUpstreamDisappearFromTheCheckout) {
  Commit("examples/demo/resources/rg.yaml", "kind: ResourceGroup\n", "add rg");
  auto source = NewSource(Options());
  ASSERT_OK(source->Fetch());
  ASSERT_TRUE(fs::exists(checkout_ + "/examples/demo/resources/rg.yaml"));
  Git("rm -q examples/demo/resources/rg.yaml");
  Git("commit -q -m 'remove rg'");
  ASSERT_OK(source->Fetch());
  EXPECT_FALSE(fs::exists(checkout_ + "/examples/demo/resources/rg.yaml"));
}

TEST_F(GitSourceTest, LocalEditsAndUntrackedFilesAreDiscarded) {
  auto source = NewSource(Options());
  ASSERT_OK(source->Fetch());
  tmp_.Write("checkout/examples/demo/envctl.yaml", "project: hacked\n");
  tmp_.Write("checkout/examples/demo/resources/stray.yaml", "kind: ResourceGroup\n");
  auto snapshot = source->Fetch();
  ASSERT_OK(snapshot);
  EXPECT_EQ(ReadFile(snapshot->root + "/envctl.yaml"), "project: demo\n");
  EXPECT_FALSE(fs::exists(snapshot->root + "/resources/stray.yaml"));
}

TEST_F(GitSourceTest, ExportRevisionWritesAnOlderCommitFromTheObjectDatabase) {
  const std::string first = Git("rev-parse HEAD");
  Commit("examples/demo/resources/rg.yaml", "kind: ResourceGroup\n", "add rg");
  tmp_.Write("upstream/examples/demo/.hidden/x.yaml", "hidden\n");
  const std::string second = Commit("examples/demo/envctl.yaml", "project: demo2\n", "second");
  auto source = NewSource(Options());
  auto head = source->Fetch();
  ASSERT_OK(head);
  ASSERT_EQ(head->revision, second);

  // The first commit, which the clone never checked out: its own files, not the head's.
  const std::string old_dir = tmp_.Sub("export-first");
  ASSERT_OK(source->ExportRevision(first, old_dir));
  EXPECT_EQ(ReadFile(old_dir + "/envctl.yaml"), "project: demo\n");
  EXPECT_FALSE(fs::exists(old_dir + "/resources/rg.yaml"));
  // The working tree is untouched by an export.
  EXPECT_EQ(ReadFile(head->root + "/envctl.yaml"), "project: demo2\n");

  const std::string new_dir = tmp_.Sub("export-second");
  ASSERT_OK(source->ExportRevision(second, new_dir));
  EXPECT_EQ(ReadFile(new_dir + "/envctl.yaml"), "project: demo2\n");
  EXPECT_EQ(ReadFile(new_dir + "/resources/rg.yaml"), "kind: ResourceGroup\n");
  EXPECT_FALSE(fs::exists(new_dir + "/.hidden")) << "hidden entries are left out";
  EXPECT_FALSE(fs::exists(new_dir + "/examples")) << "only <path> is exported, at the top";
}

TEST_F(GitSourceTest, ExportRevisionOfAnUnknownCommitIsNotFound) {
  auto source = NewSource(Options());
  // Before the first fetch there is no clone to read from.
  EXPECT_THAT(source->ExportRevision(Git("rev-parse HEAD"), tmp_.Sub("a")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no clone")));
  ASSERT_OK(source->Fetch());
  EXPECT_THAT(source->ExportRevision(std::string(40, 'a'), tmp_.Sub("b")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("aaaaaaaa")));
  EXPECT_THAT(source->ExportRevision("main", tmp_.Sub("c")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("40 hex")));
  EXPECT_FALSE(fs::exists(tmp_.Sub("b")));
}

TEST_F(GitSourceTest, SnapshotStoreLoadsAnyFetchedCommitWithoutACheckout) {
  const std::string first = Git("rev-parse HEAD");
  const std::string second = Commit("examples/demo/envctl.yaml", "project: demo2\n", "second");
  auto source = NewSource(Options());
  auto head = source->Fetch();
  ASSERT_OK(head);
  SnapshotStore store(tmp_.Sub("state/snapshots"), source.get());
  ASSERT_OK(store.Keep(*head));
  // A revision never kept (e.g. rollback to a commit the controller never synced): read
  // from the object database on first use.
  auto old_root = store.RootOf(first);
  ASSERT_OK(old_root);
  EXPECT_EQ(ReadFile(*old_root + "/envctl.yaml"), "project: demo\n");
  auto new_root = store.RootOf(second);
  ASSERT_OK(new_root);
  EXPECT_EQ(ReadFile(*new_root + "/envctl.yaml"), "project: demo2\n");
  EXPECT_THAT(store.RootOf(std::string(40, 'b')).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(store.RootOf("../..").status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST(FolderSourceExportTest, AFolderKeepsNoPastRevisions) {
  testing::TempDir tmp;
  tmp.Write("envctl.yaml", "project: demo\n");
  auto source = NewFolderSource(tmp.path());
  EXPECT_THAT(source->ExportRevision("sha256:0123", tmp.Sub("x")),
              StatusIs(absl::StatusCode::kUnimplemented, ::testing::_));
}

TEST_F(GitSourceTest, AnExistingCloneWithTheSameOriginIsReused) {
  ASSERT_OK(NewSource(Options())->Fetch());
  const std::string sha = Commit("examples/demo/envctl.yaml", "project: demo3\n", "third");
  auto snapshot = NewSource(Options())->Fetch();  // e.g. after a controller restart
  ASSERT_OK(snapshot);
  EXPECT_EQ(snapshot->revision, sha);
}

TEST_F(GitSourceTest, ACloneOfAnotherRepositoryIsNotTouched) {
  ASSERT_OK(NewSource(Options())->Fetch());
  GitSourceOptions other = Options();
  other.url = "file://" + tmp_.Sub("other");
  EXPECT_THAT(NewSource(other)->Fetch(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("is a clone of file://" + upstream_),
                             HasSubstr("choose another checkout_dir"))));
}

TEST_F(GitSourceTest, ANonEmptyFolderThatIsNotACloneIsRefused) {
  tmp_.Write("checkout/precious.txt", "data");
  EXPECT_THAT(NewSource(Options())->Fetch(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not a Git clone")));
  EXPECT_TRUE(fs::exists(checkout_ + "/precious.txt"));
}

TEST_F(GitSourceTest, UnknownBranchIsNotFoundListingTheBranchesThatExist) {
  Git("branch release");
  Git("branch feature/x");
  GitSourceOptions options = Options();
  options.branch = "mian";
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("branch \"mian\" does not exist in file://" + upstream_),
                             HasSubstr("branches: feature/x, main, release"))));
}

TEST_F(GitSourceTest, MissingPathIsNotFoundNamingThePathAndRevision) {
  GitSourceOptions options = Options();
  options.path = "examples/bikeshare";
  const std::string sha = Git("rev-parse HEAD");
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("path \"examples/bikeshare\" does not exist"),
                             HasSubstr("at main (" + sha + ")"))));
}

TEST_F(GitSourceTest, PathThatIsAFileIsAFailedPrecondition) {
  GitSourceOptions options = Options();
  options.path = "examples/demo/envctl.yaml";
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is a file")));
}

TEST_F(GitSourceTest, UnreachableRepositoryIsUnavailable) {
  GitSourceOptions options = Options();
  options.url = "file://" + tmp_.Sub("missing");
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot fetch: ")));
}

TEST_F(GitSourceTest, DescribeAndErrorsNeverContainCredentials) {
  ::setenv("ENVCTL_TEST_GIT_TOKEN", "ghp_supersecrettoken123", 1);
  GitSourceOptions options = Options();
  // Nothing listens on port 1 of loopback: the fetch fails fast with a connection error.
  options.url = "https://user:urlpassword@127.0.0.1:1/org/envs.git";
  options.token_env = "ENVCTL_TEST_GIT_TOKEN";
  auto source = NewSource(options);
  EXPECT_EQ(source->Describe(), "git https://127.0.0.1:1/org/envs.git@main:examples/demo");
  auto snapshot = source->Fetch();
  EXPECT_THAT(snapshot, StatusIs(absl::StatusCode::kUnavailable,
                                 AllOf(Not(HasSubstr("ghp_supersecrettoken123")),
                                       Not(HasSubstr("urlpassword")))));
  ::unsetenv("ENVCTL_TEST_GIT_TOKEN");
}

TEST_F(GitSourceTest, TokenIsSentAsBasicAuthForXAccessTokenAndARefusalIsPermissionDenied) {
  testing::AuthRequiredServer server;
  ::setenv("ENVCTL_TEST_GIT_TOKEN", "ghp_supersecrettoken123", 1);
  GitSourceOptions options = Options();
  options.url = absl::StrCat("http://127.0.0.1:", server.port(), "/org/envs.git");
  options.token_env = "ENVCTL_TEST_GIT_TOKEN";
  auto snapshot = NewSource(options)->Fetch();
  ::unsetenv("ENVCTL_TEST_GIT_TOKEN");
  EXPECT_THAT(snapshot, StatusIs(absl::StatusCode::kPermissionDenied,
                                 AllOf(HasSubstr("refused the token from $ENVCTL_TEST_GIT_TOKEN"),
                                       Not(HasSubstr("ghp_supersecrettoken123")))));
  EXPECT_THAT(
      server.authorizations(),
      ::testing::Contains("Basic " + absl::Base64Escape("x-access-token:ghp_supersecrettoken123")));
}

TEST_F(GitSourceTest, UnsetTokenVariableIsAFailedPreconditionNamingIt) {
  testing::AuthRequiredServer server;
  ::unsetenv("ENVCTL_TEST_UNSET_TOKEN");
  GitSourceOptions options = Options();
  options.url = absl::StrCat("http://127.0.0.1:", server.port(), "/org/envs.git");
  options.token_env = "ENVCTL_TEST_UNSET_TOKEN";
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("environment variable ENVCTL_TEST_UNSET_TOKEN (token_env) is "
                                 "not set")));
}

TEST_F(GitSourceTest, PrivateRepositoryWithoutTokenEnvSaysToSetIt) {
  testing::AuthRequiredServer server;
  GitSourceOptions options = Options();
  options.url = absl::StrCat("http://127.0.0.1:", server.port(), "/org/envs.git");
  EXPECT_THAT(NewSource(options)->Fetch(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("set token_env")));
}

TEST(RedactUrlTest, StripsUserInfoOnly) {
  EXPECT_EQ(RedactUrl("https://x-access-token:abc@github.com/org/r.git"),
            "https://github.com/org/r.git");
  EXPECT_EQ(RedactUrl("https://github.com/org/r.git"), "https://github.com/org/r.git");
  EXPECT_EQ(RedactUrl("https://host/path@v1"), "https://host/path@v1");
  EXPECT_EQ(RedactUrl("/srv/git/repo"), "/srv/git/repo");
}

TEST(NewGitSourceTest, BadOptionsAreInvalidArgument) {
  GitSourceOptions o;
  o.checkout_dir = "/tmp/x";
  EXPECT_THAT(NewGitSource(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("url is empty")));
  o.url = "git@github.com:org/envs.git";
  EXPECT_THAT(NewGitSource(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported URL")));
  o.url = "ssh://git@github.com/org/envs.git";
  EXPECT_THAT(NewGitSource(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("use https:// with token_env")));
  o.url = "https://github.com/org/envs.git";
  o.path = "../etc";
  EXPECT_THAT(NewGitSource(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("must stay inside the repository")));
  o.path = "";
  o.checkout_dir = "";
  EXPECT_THAT(NewGitSource(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("checkout_dir is empty")));
}

}  // namespace
}  // namespace envctl::watchers
