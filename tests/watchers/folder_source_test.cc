#include "watchers/folder_source.h"

#include <sys/stat.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"
#include "tests/watchers/temp_dir.h"

namespace envctl::watchers {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::TempDir;

class FolderSourceTest : public ::testing::Test {
 protected:
  FolderSourceTest() {
    tmp_.Write("repo/envctl.yaml", "project: demo\n");
    tmp_.Write("repo/environments/dev.yaml", "parameters: {}\n");
  }
  std::string Revision() {
    auto snapshot = NewFolderSource(tmp_.Sub("repo"))->Fetch();
    EXPECT_OK(snapshot);
    return snapshot.ok() ? snapshot->revision : "";
  }
  TempDir tmp_;
};

TEST_F(FolderSourceTest, RevisionIsAShortSha256AndRootIsTheFolder) {
  auto source = NewFolderSource(tmp_.Sub("repo"));
  auto snapshot = source->Fetch();
  ASSERT_OK(snapshot);
  EXPECT_THAT(snapshot->revision, MatchesRegex("sha256:[0-9a-f]{12}"));
  EXPECT_EQ(snapshot->root, tmp_.Sub("repo"));
  EXPECT_EQ(source->Describe(), "folder " + tmp_.Sub("repo"));
}

TEST_F(FolderSourceTest, RevisionIsStableWhenNothingChanges) {
  auto source = NewFolderSource(tmp_.Sub("repo"));
  auto first = source->Fetch();
  auto second = source->Fetch();
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(first->revision, second->revision);
}

TEST_F(FolderSourceTest, RevisionChangesWhenAFileIsEdited) {
  const std::string before = Revision();
  tmp_.Write("repo/environments/dev.yaml", "parameters: {suffix: dev}\n");
  EXPECT_NE(Revision(), before);
}

TEST_F(FolderSourceTest, RevisionChangesWhenAFileIsAddedOrRenamed) {
  const std::string before = Revision();
  tmp_.Write("repo/resources/rg.yaml", "kind: ResourceGroup\n");
  const std::string added = Revision();
  EXPECT_NE(added, before);
  std::filesystem::rename(tmp_.Sub("repo/resources/rg.yaml"), tmp_.Sub("repo/resources/rg2.yaml"));
  EXPECT_NE(Revision(), added);
}

// A symlink counts by its target path: one to a FIFO outside the folder neither blocks
// nor is read, and pointing it elsewhere changes the revision.
TEST_F(FolderSourceTest, SymlinksCountByTargetAndAreNeverFollowed) {
  const std::string fifo = tmp_.Sub("outside.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::filesystem::create_symlink(fifo, tmp_.Sub("repo/model.py"));
  const std::string linked = Revision();
  EXPECT_THAT(linked, MatchesRegex("sha256:[0-9a-f]{12}"));
  std::filesystem::remove(tmp_.Sub("repo/model.py"));
  std::filesystem::create_symlink("/proc/self/environ", tmp_.Sub("repo/model.py"));
  EXPECT_NE(Revision(), linked);
}

TEST_F(FolderSourceTest, GitAndHiddenDirectoriesDoNotChangeTheRevision) {
  const std::string before = Revision();
  tmp_.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
  tmp_.Write("repo/.git/objects/ab/cdef", "blob");
  tmp_.Write("repo/.vscode/settings.json", "{}");
  tmp_.Write("repo/environments/.cache/x", "y");
  EXPECT_EQ(Revision(), before);
}

TEST_F(FolderSourceTest, MissingFolderIsNotFoundNamingIt) {
  auto snapshot = NewFolderSource(tmp_.Sub("nope"))->Fetch();
  EXPECT_THAT(snapshot, StatusIs(absl::StatusCode::kNotFound, HasSubstr(tmp_.Sub("nope"))));
}

TEST_F(FolderSourceTest, AFileInsteadOfAFolderIsAFailedPrecondition) {
  auto snapshot = NewFolderSource(tmp_.Sub("repo/envctl.yaml"))->Fetch();
  EXPECT_THAT(snapshot,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not a directory")));
}

}  // namespace
}  // namespace envctl::watchers
