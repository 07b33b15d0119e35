// SnapshotStore: a revision's content kept once, hidden folders left out, reloadable later.
#include "watchers/snapshot_store.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/watchers/temp_dir.h"

namespace envctl::watchers {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SnapshotStoreTest, KeepsARevisionOnceWithoutHiddenFoldersAndFindsItAgain) {
  testing::TempDir source, state;
  source.Write("envctl.yaml", "project: demo\n");
  source.Write("environments/dev.yaml", "parameters: {}\n");
  source.Write(".git/HEAD", "ref: refs/heads/main\n");
  SnapshotStore store(state.Sub("snapshots"));
  ASSERT_TRUE(store.Keep({"sha256:abc", source.path()}).ok());

  absl::StatusOr<std::string> root = store.RootOf("sha256:abc");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(Read(*root + "/envctl.yaml"), "project: demo\n");
  EXPECT_EQ(Read(*root + "/environments/dev.yaml"), "parameters: {}\n");
  EXPECT_FALSE(std::filesystem::exists(*root + "/.git"));

  // Later edits of the working tree do not change a kept revision.
  source.Write("envctl.yaml", "project: edited\n");
  ASSERT_TRUE(store.Keep({"sha256:abc", source.path()}).ok());
  EXPECT_EQ(Read(*root + "/envctl.yaml"), "project: demo\n");
}

TEST(SnapshotStoreTest, AnUnknownRevisionIsNotFoundNamingIt) {
  testing::TempDir state;
  SnapshotStore store(state.Sub("snapshots"));
  absl::StatusOr<std::string> root = store.RootOf("0123abcd");
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(root.status().message()), HasSubstr("revision 0123abcd is not known"));
}

}  // namespace
}  // namespace envctl::watchers
