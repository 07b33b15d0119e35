// Two `envctl apply` processes on one state dir: the second fails at once with the lock
// message naming the first one's pid, and touches nothing.
#include <chrono>
#include <thread>

#include "controller/state_store.h"
#include "gmock/gmock.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

class StateLockE2ETest : public BikeshareE2ETest {};

TEST_F(StateLockE2ETest, SecondApplyOnOneStateDirFailsFastWithTheLockMessage) {
  // Slow ARM down so the first apply is still running when the second starts.
  ASSERT_OK(portal_->AdminPost("/faults", {{"service", "arm"},
                                           {"operation", "*"},
                                           {"latency_ms", 1500},
                                           {"rate", 1.0},
                                           {"count", 1000}}));
  const fs::path state = work_ / "state";
  ControllerProcess first;
  ASSERT_TRUE(first.Start(work_, {"apply", repo_.string(), "--env", "test", "--once", "--cloud",
                                  sim_->endpoints_file, "--state-dir", state.string()}));
  // Bounded wait until the first apply holds the lock.
  bool held = false;
  for (int i = 0; i < 600 && !held; ++i) {
    held = controller::StateDirLock::HolderPid(state.string()) == first.pid();
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(held) << first.Stderr();

  const auto started = std::chrono::steady_clock::now();
  RunResult second = Apply();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("state dir " + state.string() + " is in use by pid " +
                                       std::to_string(first.pid())));
  // "Fails fast": far less than one slowed ARM call per resource would take.
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_TRUE(first.Running()) << "the first apply is unaffected";
  first.Signal(SIGKILL);
  first.Stop();

  ASSERT_OK(portal_->Admin("DELETE", "/faults").status());
  RunResult after = Apply();
  EXPECT_EQ(after.exit_code, 0) << "the lock died with its process: " << after.output;
}

}  // namespace
}  // namespace envctl::testing
