// High availability on a local 3-member etcd cluster with 3 `envctl controller`
// replicas against cloudsim: kill -9 of the replica owning an environment hands it to
// another within 20 s, which syncs it and repeats no integration run; a replica paused
// past its lease (SIGSTOP) is fenced when it resumes and touches nothing it lost; a
// notebook run in flight when its owner is killed is adopted by the new owner (polled,
// never resubmitted); TEST, promoted from dev, follows DEV when another replica owns DEV.
#include <signal.h>

#include <chrono>
#include <iostream>

#include "absl/time/time.h"
#include "controller/replica_set.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "tests/e2e/ha_fixture.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// The first JSON log line at index >= `from` matching `match`, polled until `deadline`.
std::optional<nlohmann::json> WaitForLineAfter(
    ControllerProcess& p, size_t from, const std::function<bool(const nlohmann::json&)>& match,
    Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    const auto lines = p.LogLines();
    for (size_t i = from; i < lines.size(); ++i) {
      if (lines[i].is_object() && match(lines[i])) return lines[i];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

class HaTakeOverE2ETest : public HaE2ETest {
 protected:
  // Starts r0..r2 and waits until both environments converged and their integration
  // runs finished (recorded in etcd).
  void StartAndConverge() {
    for (const char* id : {"r0", "r1", "r2"}) StartReplica(id);
    controller::EtcdStateStore store(*kv_, kHaPrefix, nullptr);
    const auto deadline = Clock::now() + std::chrono::seconds(240);
    bool done = false;
    while (!done && Clock::now() < deadline) {
      done = true;
      for (const char* env : {"dev", "test"}) {
        auto state = store.Load(env);
        const bool tested = state.ok() && state->status().runs_size() > 0 &&
                            state->status().runs(0).result() == envctl::v1::RUN_RESULT_SUCCEEDED &&
                            !OwnerOf(env).empty();
        done = done && tested;
      }
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::string logs;
    for (auto& [id, p] : replicas_) logs += id + ":\n" + p->Stderr().substr(0, 4000) + "\n";
    ASSERT_TRUE(done) << "dev and test converged and tested\n" << logs;
  }
};

TEST_F(HaTakeOverE2ETest, KilledOwnerIsReplacedWithin20SecondsWithoutRepeatingTheIntegrationRun) {
  StartAndConverge();
  const std::string old_owner = OwnerOf("test");
  ASSERT_TRUE(replicas_.count(old_owner)) << old_owner;
  const int submits = RunSubmits();
  ASSERT_EQ(submits, 2) << "one integration run per environment";

  std::map<std::string, size_t> marks;
  for (auto& [id, p] : replicas_) marks[id] = p->LogLines().size();
  const auto killed_at = Clock::now();
  replicas_[old_owner]->Signal(SIGKILL);

  const std::string new_owner = WaitForOwner(
      "test", [&](const std::string& o) { return o != old_owner; }, std::chrono::seconds(20));
  ASSERT_FALSE(new_owner.empty()) << "nobody took test over within 20 s";
  ASSERT_TRUE(replicas_.count(new_owner));
  auto synced =
      WaitForLineAfter(*replicas_[new_owner], marks[new_owner],
                       Event("sync_end", {{"environment", "test"}, {"outcome", "converged"}}),
                       killed_at + std::chrono::seconds(20));
  const double took = std::chrono::duration<double>(Clock::now() - killed_at).count();
  ASSERT_TRUE(synced.has_value()) << "the new owner synced test within 20 s of the kill\n"
                                  << replicas_[new_owner]->Stderr();
  std::cout << "take-over: " << old_owner << " killed, " << new_owner
            << " owns and synced test after " << took << " s" << std::endl;
  RecordProperty("takeover_seconds", std::to_string(took));
  EXPECT_LT(took, 20.0);

  // The new owner read the run record from etcd: the content did not change, no rerun.
  EXPECT_EQ(RunSubmits(), submits);
  auto acquired = WaitForLineAfter(*replicas_[new_owner], marks[new_owner],
                                   Event("ha_ownership_acquired", {{"environment", "test"}}),
                                   Clock::now() + std::chrono::seconds(1));
  EXPECT_TRUE(acquired.has_value());

  // `envctl status --config` names the new owner.
  RunResult status =
      Run("status --config " + WriteConfig("status").string() + " --env test --json");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  nlohmann::json doc = nlohmann::json::parse(status.output, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status.output;
  EXPECT_EQ(doc["environments"][0].value("owner", ""), new_owner);
  EXPECT_EQ(doc["environments"][0].value("name", ""), "test");
}

TEST_F(HaTakeOverE2ETest, ReplicaPausedPastItsLeaseIsFencedAndTouchesNothingItLost) {
  // Resync every 2 s: a replica that still believed it owned test would sync it at once.
  Edit("envctl.yaml", "resyncInterval: 10m", "resyncInterval: 2s");
  StartAndConverge();
  const std::string paused = OwnerOf("test");
  ASSERT_TRUE(replicas_.count(paused));
  replicas_[paused]->Signal(SIGSTOP);
  const std::string successor = WaitForOwner(
      "test", [&](const std::string& o) { return o != paused; }, std::chrono::seconds(30));
  ASSERT_FALSE(successor.empty());
  size_t successor_mark = replicas_[successor]->LogLines().size();
  ASSERT_TRUE(
      WaitForLineAfter(*replicas_[successor], 0,
                       Event("sync_end", {{"environment", "test"}, {"outcome", "converged"}}),
                       Clock::now() + std::chrono::seconds(30))
          .has_value());

  const size_t mark = replicas_[paused]->LogLines().size();
  const size_t requests_mark = RequestLogSize();
  replicas_[paused]->Signal(SIGCONT);
  // Until it acquires an environment again with a new lease, the resumed replica sends
  // cloudsim no write at all (its User-Agent names it). The request log is read before
  // the replica's own log, so every entry counted was made before any acquisition.
  size_t fenced_until = requests_mark;
  int looks = 0;  // looks taken before it acquired anything
  for (const auto deadline = Clock::now() + std::chrono::seconds(15); Clock::now() < deadline;) {
    const size_t size = RequestLogSize();
    const auto lines = replicas_[paused]->LogLines();
    bool acquired = false;
    for (size_t i = mark; i < lines.size() && !acquired; ++i) {
      acquired = lines[i].is_object() && lines[i].value("event", "") == "ha_ownership_acquired";
    }
    if (acquired) break;
    fenced_until = size;
    ++looks;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // It renews (finding its lease gone) before it can acquire: at least one look fits in.
  EXPECT_GT(looks, 0);
  for (const nlohmann::json& w : WritesFrom(paused, requests_mark, fenced_until)) {
    ADD_FAILURE() << "the fenced replica " << paused << " wrote to cloudsim: " << w.dump();
  }
  // It notices: its renewal finds the lease gone (bounded wait).
  auto lost = WaitForLineAfter(*replicas_[paused], mark,
                               Event("ha_ownership_lost", {{"environment", "test"}}),
                               Clock::now() + std::chrono::seconds(15));
  ASSERT_TRUE(lost.has_value()) << replicas_[paused]->Stderr();
  // Several resync intervals later: the successor kept syncing test. The resumed replica
  // started no sync of test and wrote nothing for it until it took test back legitimately
  // (rendezvous hashing may hand it back once it holds a new lease: ha_ownership_acquired).
  // Either it synced test again, or it already handed test back to the resumed replica
  // (whose new lease makes rendezvous hashing pick it again): both are an owner acting.
  const auto successor_synced_or_released = [&](const nlohmann::json& line) {
    return Event("sync_end", {{"environment", "test"}})(line) ||
           Event("ha_ownership_released", {{"environment", "test"}})(line);
  };
  ASSERT_TRUE(WaitForLineAfter(*replicas_[successor], successor_mark, successor_synced_or_released,
                               Clock::now() + std::chrono::seconds(15))
                  .has_value())
      << replicas_[successor]->Stderr();
  std::this_thread::sleep_for(
      std::chrono::seconds(3));  // a window in which a stale sync would show
  const auto lines = replicas_[paused]->LogLines();
  bool reacquired = false;
  for (size_t i = mark; i < lines.size() && !reacquired; ++i) {
    if (!lines[i].is_object() || lines[i].value("environment", "") != "test") continue;
    const std::string event = lines[i].value("event", "");
    reacquired = event == "ha_ownership_acquired";
    if (reacquired) break;
    EXPECT_NE(event, "sync_start") << lines[i].dump();
    EXPECT_NE(event, "cloud_write") << lines[i].dump();
  }
  if (reacquired) {
    // Handed back through etcd: the successor released it first.
    EXPECT_TRUE(WaitForLineAfter(*replicas_[successor], successor_mark,
                                 Event("ha_ownership_released", {{"environment", "test"}}),
                                 Clock::now() + std::chrono::seconds(1))
                    .has_value());
  } else {
    EXPECT_EQ(OwnerOf("test"), successor);
  }
}

// kill -9 of DEV's owner while DEV's integration run is in flight: the new owner finds
// the run record in etcd and polls that run to its end; cloudsim received one submit.
TEST_F(HaTakeOverE2ETest, KilledOwnersRunInFlightIsPolledByTheNewOwnerNotResubmitted) {
  // A run of 8 simulated hours (about 29 s at cloudsim's speed), under a longer timeout:
  // still running when the new owner takes over (lease TTL 10 s).
  Edit("resources/databricks.yaml", "timeout: 30m", "timeout: 24h");
  const fs::path notebook = repo_ / "notebooks/integration_test.py";
  const std::string original = ReadFile(notebook);
  const std::string separator = "# COMMAND ----------\n";
  ASSERT_NE(original.find(separator), std::string::npos);
  const size_t header = original.find(separator) + separator.size();
  WriteFile(notebook,
            original.substr(0, header) + "# cloudsim: sleep 8h\n" + original.substr(header));
  for (const char* id : {"r0", "r1", "r2"}) StartReplica(id, "environments: [dev]\n");

  // The run is submitted and checkpointed in etcd as pending (the integration test's
  // memory in the inventory), not ended.
  controller::EtcdStateStore store(*kv_, kHaPrefix, nullptr);
  auto pending_run = [&store]() -> std::string {
    auto state = store.Load("dev");
    if (!state.ok()) return "";
    for (const auto& m : state->inventory()) {
      const nlohmann::json memory = nlohmann::json::parse(m.memory_json(), nullptr, false);
      if (memory.is_object() && memory.contains("pending") && memory["pending"].is_object()) {
        return memory["pending"].value("runId", "");
      }
    }
    return "";
  };
  std::string submitted;
  for (const auto deadline = Clock::now() + std::chrono::seconds(180);
       submitted.empty() && Clock::now() < deadline;) {
    submitted = pending_run();
    if (submitted.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(submitted.empty()) << "no pending run recorded for dev\n"
                                  << replicas_["r0"]->Stderr().substr(0, 3000);
  const std::string old_owner = OwnerOf("dev");
  ASSERT_TRUE(replicas_.count(old_owner)) << old_owner;
  ASSERT_EQ(RunSubmits(), 1);

  const size_t requests_mark = RequestLogSize();
  replicas_[old_owner]->Signal(SIGKILL);
  const std::string new_owner = WaitForOwner(
      "dev", [&](const std::string& o) { return o != old_owner; }, std::chrono::seconds(20));
  ASSERT_FALSE(new_owner.empty()) << "nobody took dev over within 20 s";
  // The run was still in flight when the new owner took over.
  EXPECT_EQ(pending_run(), submitted)
      << "the run ended before the take-over: nothing was adopted in flight";

  // Bounded wait: the new owner records the same run's success.
  envctl::v1::RunRecord ended;
  for (const auto deadline = Clock::now() + std::chrono::seconds(120); Clock::now() < deadline;) {
    auto state = store.Load("dev");
    if (state.ok() && state->status().runs_size() > 0 &&
        state->status().runs(0).result() == envctl::v1::RUN_RESULT_SUCCEEDED) {
      ended = state->status().runs(0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(ended.result(), envctl::v1::RUN_RESULT_SUCCEEDED)
      << replicas_[new_owner]->Stderr().substr(0, 4000);
  EXPECT_EQ(ended.external_run_id(), submitted);
  EXPECT_EQ(RunSubmits(), 1) << "the run was resubmitted";
  // The new owner polled it (cloudsim's log names the replica in `client`).
  auto log = portal_->Admin("GET", "/requests");
  ASSERT_TRUE(log.ok());
  int polls = 0;
  const nlohmann::json entries = log->value("requests", nlohmann::json::array());
  for (size_t i = requests_mark; i < entries.size(); ++i) {
    polls +=
        entries[i].value("method", "") == "GET" &&
        entries[i].value("path", "").find("/jobs/runs/get") != std::string::npos &&
        entries[i].value("client", "").find("(replica " + new_owner + ")") != std::string::npos;
  }
  EXPECT_GT(polls, 0) << "the new owner never polled the run";
  std::cout << "run adoption: " << old_owner << " killed with run " << submitted << " in flight; "
            << new_owner << " polled it " << polls << " times to its end; submits: " << RunSubmits()
            << std::endl;
}

// Promotion across replicas: DEV and TEST owned by different replicas. TEST's owner hears
// of DEV's verified revision through etcd (a watch on DEV's state key) and adopts it.
TEST_F(HaTakeOverE2ETest, TestIsPromotedFromDevOwnedByAnotherReplica) {
  // DEV's integration run lasts about 11 s (3 simulated hours): ownership has settled on
  // the two replicas before DEV verifies anything.
  Edit("resources/databricks.yaml", "timeout: 30m", "timeout: 24h");
  const fs::path notebook = repo_ / "notebooks/integration_test.py";
  const std::string original = ReadFile(notebook);
  const std::string separator = "# COMMAND ----------\n";
  ASSERT_NE(original.find(separator), std::string::npos);
  const size_t header = original.find(separator) + separator.size();
  WriteFile(notebook,
            original.substr(0, header) + "# cloudsim: sleep 3h\n" + original.substr(header));
  // Two replica ids that rendezvous hashing gives one environment each.
  std::vector<std::string> ids;
  for (int i = 0; ids.empty(); ++i) {
    std::vector<std::string> candidate = {"a" + std::to_string(i), "b" + std::to_string(i)};
    if (controller::RendezvousOwner("dev", candidate) !=
        controller::RendezvousOwner("test", candidate)) {
      ids = candidate;
    }
  }
  const std::string dev_owner = controller::RendezvousOwner("dev", ids);
  const std::string test_owner = controller::RendezvousOwner("test", ids);
  for (const std::string& id : ids) StartReplica(id);
  auto is = [](const std::string& want) {
    return [want](const std::string& o) { return o == want; };
  };
  ASSERT_EQ(WaitForOwner("dev", is(dev_owner), std::chrono::seconds(30)), dev_owner);
  ASSERT_EQ(WaitForOwner("test", is(test_owner), std::chrono::seconds(30)), test_owner);

  controller::EtcdStateStore store(*kv_, kHaPrefix, nullptr);
  std::string verified;
  envctl::v1::EnvironmentState dev, test;
  for (const auto deadline = Clock::now() + std::chrono::seconds(240); Clock::now() < deadline;) {
    auto d = store.Load("dev");
    auto t = store.Load("test");
    if (d.ok() && t.ok()) {
      dev = *d;
      test = *t;
      verified = dev.status().promotion().verified_revision();
      if (!verified.empty() && test.status().promotion().revision() == verified) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(verified.empty()) << "DEV verified no revision\n" << dev.status().DebugString();
  ASSERT_EQ(test.status().promotion().revision(), verified)
      << "TEST did not adopt DEV's verified revision\n"
      << test.status().promotion().DebugString() << replicas_[test_owner]->Stderr();
  EXPECT_EQ(test.status().promotion().history(0).reason(), "promoted from dev");
  // Neither environment changed hands: TEST's owner was told through etcd, not locally.
  EXPECT_EQ(OwnerOf("dev"), dev_owner);
  EXPECT_EQ(OwnerOf("test"), test_owner);
  auto told = WaitForLineAfter(
      *replicas_[test_owner], 0,
      Event("upstream_changed",
            {{"environment", "test"}, {"upstream", "dev"}, {"verified_revision", verified}}),
      Clock::now() + std::chrono::seconds(1));
  EXPECT_TRUE(told.has_value()) << replicas_[test_owner]->Stderr();
  // Replicas start one after another: the first may own (and sync) both until the other
  // joins. From the moment it handed dev over, TEST's owner never synced dev.
  const auto test_owner_lines = replicas_[test_owner]->LogLines();
  size_t handed_over = 0;
  for (size_t i = 0; i < test_owner_lines.size(); ++i) {
    if (test_owner_lines[i].is_object() &&
        Event("ha_ownership_released", {{"environment", "dev"}})(test_owner_lines[i])) {
      handed_over = i + 1;
    }
  }
  for (size_t i = handed_over; i < test_owner_lines.size(); ++i) {
    const auto& line = test_owner_lines[i];
    if (!line.is_object() || line.value("environment", "") != "dev") continue;
    EXPECT_NE(line.value("event", ""), "sync_start") << "TEST's owner synced dev: " << line.dump();
  }

  // How long after DEV's run ended TEST adopted the revision (a figure, not a limit).
  for (const auto& run : dev.status().runs()) {
    if (run.result() != envctl::v1::RUN_RESULT_SUCCEEDED || !run.has_end_time()) continue;
    const absl::Time ended = absl::FromUnixNanos(
        google::protobuf::util::TimeUtil::TimestampToNanoseconds(run.end_time()));
    const absl::Time adopted =
        absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
            test.status().promotion().history(0).time()));
    std::cout << "promotion across replicas: " << test_owner << " adopted " << verified
              << " on test " << absl::ToDoubleSeconds(adopted - ended) << " s after " << dev_owner
              << " saw dev's integration run end" << std::endl;
    RecordProperty("cross_replica_adoption_seconds",
                   std::to_string(absl::ToDoubleSeconds(adopted - ended)));
    break;
  }
}

}  // namespace
}  // namespace envctl::testing
