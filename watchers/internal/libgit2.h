// Small libgit2 helpers for GitSource: the init/shutdown guard, owning pointers for the
// objects we use, and the last error's message. Thread-safe as libgit2 is: objects are not
// shared between threads.
#ifndef ENVCTL_WATCHERS_INTERNAL_LIBGIT2_H_
#define ENVCTL_WATCHERS_INTERNAL_LIBGIT2_H_

#include <git2.h>

#include <memory>
#include <string>

namespace envctl::watchers::internal {

// libgit2 must be initialised before any call and shut down after the last; both calls are
// reference-counted, so every owner of libgit2 objects holds one guard for its lifetime.
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using TreeEntryPtr = std::unique_ptr<git_tree_entry, GitFree<git_tree_entry, git_tree_entry_free>>;
using BranchIterPtr =
    std::unique_ptr<git_branch_iterator, GitFree<git_branch_iterator, git_branch_iterator_free>>;
using ReferencePtr = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;

// The message of the last libgit2 error on this thread, or "error <code>" when none is set.
inline std::string LastGitError(int code) {
  const git_error* e = git_error_last();
  if (e != nullptr && e->message != nullptr && e->message[0] != '\0') return e->message;
  return "libgit2 error " + std::to_string(code);
}

}  // namespace envctl::watchers::internal

#endif  // ENVCTL_WATCHERS_INTERNAL_LIBGIT2_H_
