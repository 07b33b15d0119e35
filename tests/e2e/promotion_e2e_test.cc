// `envctl controller` following a local Git repository of the bikeshare sample on cloudsim,
// whose environments/test.yaml declares `promotion: {from: dev}`: the first commit reaches
// DEV, then TEST once DEV's integration test passed; a commit that breaks DEV's test never
// reaches TEST while `envctl status --json` says which run failed; the next good commit
// reaches both.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/e2e/bikeshare_fixture.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

class PromotionE2ETest : public BikeshareE2ETest {
 protected:
  void TearDown() override {
    if (controller_pid_ > 0) {
      ::kill(controller_pid_, SIGTERM);
      int status = 0;
      ::waitpid(controller_pid_, &status, 0);
    }
  }

  void Git(const std::string& args) {
    const std::string cmd =
        absl::StrCat("cd ", repo_.string(),
                     " && GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t "
                     "GIT_COMMITTER_EMAIL=t@example.com git ",
                     args, " >/dev/null 2>&1");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string Head() {
    RunResult r;
    FILE* pipe = ::popen(("git -C " + repo_.string() + " rev-parse HEAD").c_str(), "r");
    char buf[128] = {0};
    if (pipe != nullptr) {
      if (fgets(buf, sizeof(buf), pipe) == nullptr) buf[0] = 0;
      ::pclose(pipe);
    }
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  void Commit(const std::string& message) {
    Git("add -A");
    Git("commit -q -m '" + message + "'");
  }

  // Starts `envctl controller` on the repo (polled every second) and learns its gRPC address.
  // `extra` is appended to the config (e.g. "environments: [dev]\n").
  void StartController(const std::string& extra = "") {
    grpc_.clear();
    const fs::path config = work_ / "controller.yaml";
    WriteFile(
        config,
        absl::StrCat("source:\n  git:\n    url: file://", repo_.string(),
                     "\n    branch: main\n  pollInterval: 1s\n", "cloud: ", sim_->endpoints_file,
                     "\n", "stateDir: ", (work_ / "controller").string(), "\n",
                     "grpc: {listen: 127.0.0.1:0}\nhttp: {listen: 127.0.0.1:0}\n", extra));
    const fs::path log = work_ / "controller.log";
    std::error_code ec;
    fs::remove(log, ec);  // a restart must not read the previous process's address
    const std::string binary = std::string(ENVCTL_BINARY_DIR) + "/envctl";
    controller_pid_ = ::fork();
    ASSERT_GE(controller_pid_, 0);
    if (controller_pid_ == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      if (out == nullptr || ::dup2(::fileno(stdout), 2) < 0) ::_exit(127);
      ::execl(binary.c_str(), binary.c_str(), "controller", "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 300 && grpc_.empty(); ++i) {
      const std::string text = ReadFile(log);
      const size_t at = text.find("gRPC  ");
      if (at != std::string::npos) {
        const size_t end = text.find(' ', at + 6);
        if (end != std::string::npos) grpc_ = text.substr(at + 6, end - at - 6);
      }
      if (grpc_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(grpc_.empty()) << ReadFile(log);
  }

  // `envctl status --env E --json` as JSON (null when it failed).
  nlohmann::json Status(const std::string& env) {
    RunResult r = Run("status --server " + grpc_ + " --env " + env + " --json");
    if (r.exit_code != 0) return nullptr;
    // One document for every environment asked for: {"environments": [...]}.
    nlohmann::json doc = nlohmann::json::parse(r.output, nullptr, false);
    if (!doc.is_object() || !doc.contains("environments") || doc["environments"].empty())
      return nullptr;
    return doc["environments"][0];
  }
  std::string Field(const nlohmann::json& status, const std::string& field) {
    if (!status.is_object() || !status.contains("promotion")) return "";
    return status["promotion"].value(field, "");
  }
  // Waits (bounded, about 2 minutes) until `env`'s promotion `field` contains `want`.
  bool AwaitPromotion(const std::string& env, const std::string& field, const std::string& want) {
    for (int i = 0; i < 600; ++i) {
      if (absl::StrContains(Field(Status(env), field), want)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  pid_t controller_pid_ = -1;
  std::string grpc_;
};

TEST_F(PromotionE2ETest, ABrokenDevTestNeverReachesTestAndTheNextGoodCommitReachesBoth) {
  // The sample itself declares it: TEST runs only what passed DEV.
  ASSERT_THAT(ReadFile(repo_ / "environments/test.yaml"), HasSubstr("promotion:\n  from: dev\n"));
  Git("init -q -b main");
  Commit("bikeshare");
  const std::string good = Head();
  StartController();
  ASSERT_TRUE(AwaitPromotion("test", "revision", good)) << Status("test").dump(2);
  EXPECT_EQ(Field(Status("dev"), "verifiedRevision"), good);

  // DEV's integration test fails on the next commit: TEST stays, status names the run.
  const fs::path notebook = repo_ / "notebooks/integration_test.py";
  const std::string original = ReadFile(notebook);
  // At the top of the first Python cell (the notebook ends with dbutils.notebook.exit).
  const std::string separator = "# COMMAND ----------\n";
  ASSERT_NE(original.find(separator), std::string::npos);
  const size_t header = original.find(separator) + separator.size();
  WriteFile(notebook, original.substr(0, header) + "# cloudsim: fail \"bikes went missing\"\n" +
                          original.substr(header));
  Commit("break the integration test");
  const std::string broken = Head();
  ASSERT_TRUE(AwaitPromotion("test", "waitingFor", "failed on " + broken.substr(0, 12)))
      << "broken " << broken << "\ntest: " << Status("test")["promotion"].dump(2)
      << "\ndev: " << Status("dev").dump(2);
  nlohmann::json test = Status("test");
  EXPECT_EQ(Field(test, "revision"), good);
  EXPECT_EQ(Field(test, "pendingRevision"), broken);
  EXPECT_THAT(Field(test, "waitingFor"), HasSubstr("bikes went missing"));
  EXPECT_EQ(Field(Status("dev"), "revision"), broken);

  // The fixing commit passes on DEV and reaches TEST.
  WriteFile(notebook, original + "\n# fixed\n");
  Commit("fix the integration test");
  const std::string fixed = Head();
  ASSERT_TRUE(AwaitPromotion("test", "revision", fixed)) << Status("test").dump(2);
  EXPECT_EQ(Field(Status("dev"), "revision"), fixed);

  RunResult history = Run("history --server " + grpc_ + " --env dev");
  ASSERT_EQ(history.exit_code, 0) << history.output;
  EXPECT_THAT(history.output, HasSubstr(broken.substr(0, 12)));
  EXPECT_THAT(history.output, HasSubstr("failed: "));

  // Rollback to a commit the controller never synced nor checked out (on another branch,
  // fetched into the clone): its specs come from the clone's object database.
  Git("checkout -q -b side " + good);
  WriteFile(repo_ / "notebooks/prepare.py",
            ReadFile(repo_ / "notebooks/prepare.py") + "\n# side\n");
  Commit("a side commit");
  const std::string side = Head();
  Git("checkout -q main");
  RunResult rollback;
  for (int i = 0; i < 100; ++i) {  // until a poll fetched the side branch
    rollback = Run("rollback --server " + grpc_ + " --env test --to " + side);
    if (rollback.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(rollback.exit_code, 0) << rollback.output;
  ASSERT_TRUE(AwaitPromotion("test", "revision", side)) << Status("test").dump(2);
  EXPECT_THAT(Field(Status("test"), "waitingFor"), HasSubstr("pinned to " + side.substr(0, 12)));
  EXPECT_EQ(Field(Status("dev"), "revision"), fixed) << "DEV is not affected";

  // A manual sync through the CLI, then unpin: TEST returns to what DEV verified.
  RunResult sync =
      Run("sync --server " + grpc_ + " --env test --override-windows --wait --timeout 3m");
  EXPECT_EQ(sync.exit_code, 0) << sync.output;
  EXPECT_THAT(sync.output, HasSubstr("(sync windows overridden)"));
  EXPECT_THAT(sync.output, HasSubstr("converged"));
  RunResult unpin = Run("unpin --server " + grpc_ + " --env test");
  ASSERT_EQ(unpin.exit_code, 0) << unpin.output;
  ASSERT_TRUE(AwaitPromotion("test", "revision", fixed)) << Status("test").dump(2);
  RunResult test_history = Run("history --server " + grpc_ + " --env test");
  EXPECT_THAT(test_history.output, HasSubstr("rollback by"));
}

// kill -9 while DEV's integration run is in flight; the restarted controller resumes
// polling the recorded run and never submits it again.
TEST_F(PromotionE2ETest, AKilledControllerResumesPollingTheRunInFlightWithoutResubmitting) {
  // A run of 3 simulated hours (about 11 s at cloudsim's speed), under a longer timeout.
  Edit("resources/databricks.yaml", "timeout: 30m", "timeout: 24h");
  const fs::path notebook = repo_ / "notebooks/integration_test.py";
  const std::string original = ReadFile(notebook);
  const std::string separator = "# COMMAND ----------\n";
  ASSERT_NE(original.find(separator), std::string::npos);
  const size_t header = original.find(separator) + separator.size();
  WriteFile(notebook,
            original.substr(0, header) + "# cloudsim: sleep 3h\n" + original.substr(header));
  Git("init -q -b main");
  Commit("slow integration test");
  const std::string head = Head();
  StartController("environments: [dev]\n");

  // The run is submitted and in progress.
  bool running = false;
  for (int i = 0; i < 600 && !running; ++i) {
    // The sync finished with the run submitted: DEV's Testing condition is true.
    const nlohmann::json dev = Status("dev");
    if (dev.is_object() && dev.contains("conditions")) {
      for (const auto& c : dev["conditions"]) {
        running |=
            c.value("type", "") == "Testing" && c.value("status", "") == "CONDITION_STATUS_TRUE";
      }
    }
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(running) << Status("dev").dump(2);
  ASSERT_EQ(::kill(controller_pid_, SIGKILL), 0);
  int status = 0;
  ::waitpid(controller_pid_, &status, 0);
  controller_pid_ = -1;
  ASSERT_TRUE(WIFSIGNALED(status));

  StartController("environments: [dev]\n");
  ASSERT_TRUE(AwaitPromotion("dev", "verifiedRevision", head)) << Status("dev").dump(2);
  auto log = portal_->Admin("GET", "/requests");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(Indexes(*log, "POST", "/jobs/runs/submit").size(), 1u) << "never resubmitted";
  EXPECT_FALSE(Indexes(*log, "GET", "/jobs/runs/get").empty());
}

}  // namespace
}  // namespace envctl::testing
