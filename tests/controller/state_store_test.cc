// FileStateStore and StateDirLock: the embedded store survives kill -9 in the middle of a
// write, concurrent writers never share a temp file, and a second holder of the state dir
// is refused at once with the pid of the first.
#include "controller/state_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "state-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int TempFiles() {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_))
      n += e.path().filename().string().find(".tmp.") != std::string::npos;
    return n;
  }
  fs::path dir_;
};

TEST_F(StateStoreTest, SecondLockOnADirFailsAtOnceNamingTheHolderPid) {
  auto first = StateDirLock::Acquire(dir_.string());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(StateDirLock::HolderPid(dir_.string()), ::getpid());

  auto second = StateDirLock::Acquire(dir_.string());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      second.status().message(),
      HasSubstr("state dir " + dir_.string() + " is in use by pid " + std::to_string(::getpid())));

  first->reset();
  EXPECT_EQ(StateDirLock::HolderPid(dir_.string()), 0);
  auto third = StateDirLock::Acquire(dir_.string());
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(StateStoreTest, LockOfAKilledProcessIsReleasedByTheKernel) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = StateDirLock::Acquire(dir_.string());
    const char ok = lock.ok() ? '1' : '0';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(2);
    ::pause();
    ::_exit(0);
  }
  char got = 0;
  ASSERT_EQ(::read(ready[0], &got, 1), 1);
  ASSERT_EQ(got, '1');
  auto refused = StateDirLock::Acquire(dir_.string());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("in use by pid " + std::to_string(child)));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(StateDirLock::Acquire(dir_.string()).ok()) << "no stale lock after kill -9";
}

TEST_F(StateStoreTest, ConcurrentWritersOfOnePathNeverCollideOnATempFile) {
  const std::string path = (dir_ / "env.state.json").string();
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!WriteFileAtomically(path, std::string(1000, static_cast<char>('a' + t))).ok())
          ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  const std::string content = Read(path);
  ASSERT_EQ(content.size(), 1000u);
  EXPECT_EQ(content, std::string(1000, content[0])) << "one writer's whole document";
  EXPECT_EQ(TempFiles(), 0);
}

TEST_F(StateStoreTest, KillDuringWritesLeavesAReadableStore) {
  // A child rewrites the state as fast as it can; kill -9 lands in the middle of some write.
  FileStateStore store(dir_.string());
  envctl::v1::EnvironmentState state;
  state.set_environment("dev");
  state.mutable_status()->set_synced_revision("r0");
  ASSERT_OK(store.Save(state));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileStateStore writer(dir_.string());
    envctl::v1::EnvironmentState s;
    s.set_environment("dev");
    for (int i = 1;; ++i) {
      s.mutable_status()->set_synced_revision("r" + std::to_string(i));
      for (int r = 0; r < 50; ++r)
        s.mutable_status()->add_resources()->set_name("res" + std::to_string(r));
      (void)writer.Save(s);
      s.mutable_status()->clear_resources();
    }
  }
  // Bounded wait for the child to have written at least once.
  for (int i = 0; i < 400; ++i) {
    auto loaded = store.Load("dev");
    if (loaded.ok() && loaded->status().synced_revision() != "r0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto loaded = store.Load("dev");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_NE(loaded->status().synced_revision(), "r0");
  EXPECT_EQ(loaded->status().resources_size(), 50);
}

}  // namespace
}  // namespace envctl::controller
