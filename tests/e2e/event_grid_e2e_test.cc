// The cost of forged Event Grid deliveries, measured against a running `envctl controller`
// on cloudsim (issue 11): the endpoint faces the internet, so anyone can POST to it.
// Without the secret a delivery costs no cloud request at all; with it, each named
// resource is the target of at most one targeted sync per dedup window (5 s) however
// often it is named, and that sync reads each thing once.
// Cloud requests are counted in cloudsim's request log; queued work in the controller's
// envctl_workqueue_adds_total.
#include <stdlib.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloudsim/http/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSecretEnv[] = "ENVCTL_E2E_EVENTGRID_SECRET";
constexpr char kSecret[] = "e2e-eventgrid-0123456789abcdef";

class EventGridE2ETest : public BikeshareE2ETest {
 protected:
  void SetUp() override {
    BikeshareE2ETest::SetUp();
    ::setenv(kSecretEnv, kSecret, 1);
  }
  void TearDown() override { ::unsetenv(kSecretEnv); }

  // TEST converged by `envctl apply`, then a controller on the same states (a controller
  // keeps them in <stateDir>/state) whose periodic work (resync, source and change polls)
  // is an hour away: its first sync writes nothing (so no delivery is taken for the echo
  // of its own write), and whatever reaches cloudsim afterwards was caused by a delivery.
  void StartController() {
    Edit("envctl.yaml", "resyncInterval: 10m", "resyncInterval: 1h");
    RunResult applied =
        Run("apply " + repo_.string() + " --env test --once --cloud " + sim_->endpoints_file +
            " --state-dir " + (work_ / "controller" / "state").string());
    ASSERT_EQ(applied.exit_code, 0) << applied.output;
    const fs::path config = WriteFolderControllerConfig(
        std::string("environments: [test]\nworkers: 2\ndrift:\n  pollInterval: 1h\n") +
        kLoopbackListeners + "webhooks:\n  eventGridSecretEnv: " + kSecretEnv +
        "\nlog:\n  level: info\n");
    ASSERT_TRUE(
        ctl_.Start(work_, {"controller", "--config", config.string(), "--log-format", "json"}));
    auto first = ctl_.WaitForLogLine(Event("sync_end", {{"environment", "test"}}));
    ASSERT_TRUE(first.has_value()) << ctl_.Stdout() << ctl_.Stderr();
    ASSERT_EQ((*first)["outcome"], "converged") << first->dump();
    ASSERT_EQ((*first)["writes"], 0) << first->dump();
    for (int i = 0; i < 2000 && address_.empty(); ++i) {
      std::smatch m;
      const std::string out = ctl_.Stdout();
      if (std::regex_search(out, m, std::regex("HTTP  http://([0-9.:]+)"))) address_ = m[1];
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(address_.empty()) << ctl_.Stdout();
  }

  std::string ResourceId(const std::string& provider_path) {
    return absl::StrCat("/subscriptions/", sim_->subscription_id,
                        "/resourceGroups/bikeshare-test-rg/providers/", provider_path);
  }
  // One ResourceWriteSuccess in the Event Grid schema, as Azure delivers it.
  static std::string Delivery(const std::string& resource_id, int n) {
    const std::string rg = resource_id.substr(0, resource_id.find("/providers/"));
    return nlohmann::json::array(
               {{{"id", absl::StrCat("00000000-0000-0000-0000-", 100000000000 + n)},
                 {"topic", rg},
                 {"subject", resource_id},
                 {"eventType", "Microsoft.Resources.ResourceWriteSuccess"},
                 {"eventTime", "2026-12-05T21:00:00Z"},
                 {"data", {{"resourceUri", resource_id}, {"status", "Succeeded"}}},
                 {"dataVersion", "2"},
                 {"metadataVersion", "1"}}})
        .dump();
  }
  absl::StatusOr<cloudsim::Response> Post(const std::string& query, const std::string& body) {
    return cloudsim::Fetch(
        "POST", "http://" + address_ + "/webhooks/eventgrid" + query,
        {{"Content-Type", "application/json"}, {"aeg-event-type", "Notification"}}, body);
  }
  // envctl_workqueue_adds_total from /metrics (-1 when absent).
  double QueueAdds() {
    auto metrics = cloudsim::Fetch("GET", "http://" + address_ + "/metrics", {}, "");
    if (!metrics.ok()) return -1;
    std::smatch m;
    if (!std::regex_search(metrics->body, m,
                           std::regex("\nenvctl_workqueue_adds_total ([0-9.e+]+)")))
      return -1;
    return std::stod(m[1]);
  }
  nlohmann::json RequestLog() {
    auto log = portal_->Admin("GET", "/requests");
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return nlohmann::json::array();
    return log->is_array() ? *log : log->value("requests", nlohmann::json::array());
  }

  ControllerProcess ctl_;
  std::string address_;
};

TEST_F(EventGridE2ETest,
       HundredForgedDeliveriesCostNoCloudRequestAndValidOnesOneTargetedSyncPerResourcePerWindow) {
  StartController();
  if (HasFatalFailure()) return;
  const std::string lake = ResourceId("Microsoft.Storage/storageAccounts/bikesharetestlake");
  const std::string factory = ResourceId("Microsoft.DataFactory/factories/bikeshare-test-adf");
  ASSERT_OK(portal_->Admin("DELETE", "/requests"));
  const double adds_before = QueueAdds();
  ASSERT_GE(adds_before, 0);

  // 100 forged deliveries: no secret, a wrong one, a near miss, the right one under
  // another parameter name, and an empty one.
  const std::string forged_queries[] = {"", "?code=wrong", absl::StrCat("?code=", kSecret, "x"),
                                        absl::StrCat("?token=", kSecret), "?code=&key="};
  for (int i = 0; i < 100; ++i) {
    auto r = Post(forged_queries[i % 5], Delivery(i % 2 ? lake : factory, i));
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }
  // The refusal happens before anything is queued, so nothing can follow later.
  EXPECT_EQ(QueueAdds(), adds_before) << "a forged delivery queued work";
  const nlohmann::json after_forged = RequestLog();
  EXPECT_EQ(after_forged.size(), 0u)
      << "cloud requests after forged deliveries: " << after_forged.dump();
  std::printf("100 forged deliveries: %zu cloud requests, %g work items queued\n",
              after_forged.size(), QueueAdds() - adds_before);

  // With the secret: 100 deliveries alternating between two resources. Each is read at
  // most once per 5 s dedup window, however many deliveries name it.
  const auto start = std::chrono::steady_clock::now();
  int acted = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = Post(absl::StrCat("?code=", kSecret), Delivery(i % 2 ? lake : factory, 1000 + i));
    ASSERT_OK(r);
    ASSERT_EQ(r->status, 200) << r->body;
    acted += nlohmann::json::parse(r->body).value("resources", 0);
  }
  const double sent_in_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Windows the burst could span: what the guard may legitimately admit per resource.
  const int windows = 1 + static_cast<int>(sent_in_s / 5.0);
  EXPECT_GE(acted, 2);
  EXPECT_LE(acted, 2 * windows);
  // Wait for the targeted syncs the admitted ids queued to end.
  for (const std::string& target : {std::string("lake"), std::string("factory")}) {
    auto started = ctl_.WaitForLogLine(
        [&](const nlohmann::json& l) {
          return l.value("event", "") == "sync_start" &&
                 absl::StrContains(l.value("targets", ""), target);
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(started.has_value()) << ctl_.Stderr();
    auto ended = ctl_.WaitForLogLine(Event("sync_end", {{"sync_id", (*started)["sync_id"]}}),
                                     std::chrono::seconds(60));
    ASSERT_TRUE(ended.has_value()) << ctl_.Stderr();
  }
  // Targeted syncs (the first, full sync has no "targets"): each named resource is a
  // target at most once per window, and a targeted sync reads each thing once.
  int syncs = 0;
  std::map<std::string, int> targeted;  // resource -> targeted syncs naming it
  for (const auto& line : ctl_.LogLines()) {
    if (!line.is_object() || line.value("event", "") != "sync_start" || !line.contains("targets"))
      continue;
    ++syncs;
    for (absl::string_view t : absl::StrSplit(line.value("targets", ""), ','))
      ++targeted[std::string(t)];
  }
  EXPECT_LE(targeted["lake"], windows);
  EXPECT_LE(targeted["factory"], windows);
  EXPECT_LE(syncs, 2 * windows);
  const nlohmann::json log = RequestLog();
  std::map<std::string, int> reads;  // path -> GETs
  int writes = 0;
  for (const auto& e : log) {
    if (e.value("method", "") == "GET") ++reads[e.value("path", "")];
    if (e.value("method", "") != "GET" && e.value("service", "") != "aad") ++writes;
  }
  EXPECT_GE(Indexes(log, "GET", "/storageAccounts/bikesharetestlake").size(), 1u) << log.dump();
  EXPECT_GE(Indexes(log, "GET", "/factories/bikeshare-test-adf").size(), 1u) << log.dump();
  for (const auto& [path, n] : reads)
    EXPECT_LE(n, syncs) << path << " read " << n << " times in " << syncs << " syncs";
  EXPECT_EQ(writes, 0) << "nothing drifted, nothing is written: " << log.dump();
  std::printf(
      "100 authenticated deliveries naming 2 resources (sent in %.2f s): %d admitted, %d targeted "
      "sync(s), "
      "%zu cloud requests (%zu distinct GET paths, %d writes)\n",
      sent_in_s, acted, syncs, log.size(), reads.size(), writes);
  EXPECT_EQ(ctl_.Stop(), 0) << ctl_.Stderr();
}

// Issue 16: an out-of-band change to one ARM resource, delivered by cloudsim's Event Grid
// as Azure does, is repaired by reading and writing that resource (and reading what it
// depends on, for outputs), not by an environment pass; the event of envctl's own repair
// write comes back carrying the repair's sync id as data.httpRequest.clientRequestId and
// is dropped: no second sync and no cloud request.
TEST_F(EventGridE2ETest, OutOfBandChangeIsRepairedAloneAndTheRepairsEchoCostsNothing) {
  StartController();
  if (HasFatalFailure()) return;
  ASSERT_OK(portal_->AdminPost(
      "/eventgrid",
      {{"endpoint", absl::StrCat("http://", address_, "/webhooks/eventgrid?code=", kSecret)}}));
  const std::string lake = ResourceId("Microsoft.Storage/storageAccounts/bikesharetestlake");
  ASSERT_OK(portal_->Admin("DELETE", "/requests"));
  ASSERT_OK(portal_->Arm("PATCH", lake, "2023-01-01",
                         {{"properties", {{"minimumTlsVersion", "TLS1_0"}}}}));

  auto started = ctl_.WaitForLogLine(
      [](const nlohmann::json& l) {
        return l.value("event", "") == "sync_start" && l.contains("targets");
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(started.has_value()) << ctl_.Stderr();
  const std::string sync_id = (*started)["sync_id"];
  EXPECT_EQ((*started)["targets"], "lake") << started->dump();
  auto ended =
      ctl_.WaitForLogLine(Event("sync_end", {{"sync_id", sync_id}}), std::chrono::seconds(60));
  ASSERT_TRUE(ended.has_value()) << ctl_.Stderr();
  EXPECT_EQ((*ended)["outcome"], "converged") << ended->dump();
  // The repair's own write comes back as an event carrying the repair's sync id.
  auto echo = ctl_.WaitForLogLine(
      [&](const nlohmann::json& l) {
        return l.value("event", "") == "cloud_event" && l.value("outcome", "") == "echo" &&
               l.value("client_request_id", "") == sync_id;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(echo.has_value()) << ctl_.Stderr();
  auto lake_now = portal_->Arm("GET", lake, "2023-01-01");
  ASSERT_OK(lake_now);
  EXPECT_EQ((*lake_now)["properties"].value("minimumTlsVersion", ""), "TLS1_2");

  // What the repair cost, from cloudsim's request log (the portal's PATCH and GET aside).
  const nlohmann::json log = RequestLog();
  int writes = 0;
  std::vector<std::string> reads;
  bool portal_patch_seen = false;
  for (const auto& e : log) {
    const std::string method = e.value("method", ""), path = e.value("path", "");
    if (e.value("service", "") == "aad") continue;
    if (!portal_patch_seen && method == "PATCH") {
      portal_patch_seen = true;
      continue;
    }
    if (method == "GET") {
      reads.push_back(path);
    } else {
      ++writes;
    }
  }
  if (!reads.empty() && reads.back() == lake) reads.pop_back();  // the portal's GET above
  EXPECT_EQ(writes, 1) << log.dump();
  for (const std::string& path : reads) {
    EXPECT_TRUE(absl::StartsWithIgnoreCase(path, lake) || absl::EqualsIgnoreCase(path, Rg()))
        << "the repair of the lake read " << path;
  }
  int syncs = 0;
  for (const auto& line : ctl_.LogLines()) {
    if (line.is_object() && line.value("event", "") == "sync_start" && line.contains("targets"))
      ++syncs;
  }
  EXPECT_EQ(syncs, 1) << "the echo of the repair started another sync";
  std::printf("out-of-band change to the lake: 1 targeted sync, %zu reads (%s), %d write(s)\n",
              reads.size(), absl::StrJoin(reads, ", ").c_str(), writes);
  EXPECT_EQ(ctl_.Stop(), 0) << ctl_.Stderr();
}

// Issue 17: Key Vault events end to end. A new version of databricks-token written by hand
// makes cloudsim emit Microsoft.KeyVault.SecretNewVersionCreated (data: Id, VaultName,
// ObjectType, ObjectName, Version, NBF, EXP) to the controller's Event Grid endpoint, which
// names the secret's resource and queues a targeted sync that writes the token back; the
// event of that repair names the version envctl recorded writing and is dropped as an echo.
TEST_F(EventGridE2ETest, SecretVersionWrittenByHandIsRepairedThroughItsKeyVaultEvent) {
  StartController();
  if (HasFatalFailure()) return;
  ASSERT_OK(portal_->AdminPost(
      "/eventgrid",
      {{"endpoint", absl::StrCat("http://", address_, "/webhooks/eventgrid?code=", kSecret)}}));
  auto vault = portal_->Arm("GET", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv",
                            "2023-07-01");
  ASSERT_OK(vault);
  std::string vault_uri = (*vault)["properties"].value("vaultUri", "");
  if (!vault_uri.empty() && vault_uri.back() == '/') vault_uri.pop_back();
  const std::string secret_url = vault_uri + "/secrets/databricks-token?api-version=7.4";
  const std::string hand = "set-by-hand-in-e2e";
  auto written =
      portal_->Call("PUT", secret_url, "https://vault.azure.net/.default", {{"value", hand}});
  ASSERT_OK(written);
  const std::string hand_id = written->value("id", "");
  const std::string hand_version = hand_id.substr(hand_id.rfind('/') + 1);

  auto event = ctl_.WaitForLogLine(
      [&](const nlohmann::json& l) {
        return l.value("event", "") == "cloud_event" && l.value("version", "") == hand_version;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(event.has_value()) << ctl_.Stderr();
  EXPECT_EQ((*event)["outcome"], "repair") << event->dump();
  EXPECT_EQ((*event)["resources"], "databricks-token") << event->dump();
  EXPECT_THAT((*event).value("resource_id", ""), HasSubstr("/secrets/databricks-token"))
      << event->dump();

  auto started = ctl_.WaitForLogLine(
      [](const nlohmann::json& l) {
        return l.value("event", "") == "sync_start" &&
               absl::StrContains(l.value("targets", ""), "databricks-token");
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(started.has_value()) << ctl_.Stderr();
  const std::string sync_id = (*started)["sync_id"];
  auto ended =
      ctl_.WaitForLogLine(Event("sync_end", {{"sync_id", sync_id}}), std::chrono::seconds(60));
  ASSERT_TRUE(ended.has_value()) << ctl_.Stderr();
  EXPECT_EQ((*ended)["outcome"], "converged") << ended->dump();

  auto now = portal_->Call("GET", secret_url, "https://vault.azure.net/.default");
  ASSERT_OK(now);
  const std::string now_id = now->value("id", "");
  EXPECT_NE(now_id, hand_id) << "a new version was written";
  // Compared, never printed: the repaired value is the workspace token.
  EXPECT_TRUE(now->value("value", "") != hand) << "the hand-written value is still current";
  // The repair's own SecretNewVersionCreated names the version envctl wrote: it is
  // dropped (at once, or when the repair's reconcile ends if it came during it), so it
  // queues no second sync. A later change to the lake marks the point by which such a
  // sync would have started.
  const std::string repaired_version = now_id.substr(now_id.rfind('/') + 1);
  auto echo = ctl_.WaitForLogLine(
      [&](const nlohmann::json& l) {
        return l.value("event", "") == "cloud_event" && l.value("version", "") == repaired_version;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(echo.has_value()) << ctl_.Stderr();
  const std::string lake = ResourceId("Microsoft.Storage/storageAccounts/bikesharetestlake");
  ASSERT_OK(portal_->Arm("PATCH", lake, "2023-01-01",
                         {{"properties", {{"minimumTlsVersion", "TLS1_0"}}}}));
  auto marker = ctl_.WaitForLogLine(
      [](const nlohmann::json& l) {
        return l.value("event", "") == "sync_start" &&
               absl::StrContains(l.value("targets", ""), "lake");
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(marker.has_value()) << ctl_.Stderr();
  ASSERT_TRUE(ctl_.WaitForLogLine(Event("sync_end", {{"sync_id", (*marker)["sync_id"]}}),
                                  std::chrono::seconds(60))
                  .has_value())
      << ctl_.Stderr();
  int secret_syncs = 0;
  for (const auto& line : ctl_.LogLines()) {
    if (line.is_object() && line.value("event", "") == "sync_start" &&
        absl::StrContains(line.value("targets", ""), "databricks-token"))
      ++secret_syncs;
  }
  EXPECT_EQ(secret_syncs, 1) << "the echo of the repair started another sync";
  EXPECT_EQ(ctl_.Stop(), 0) << ctl_.Stderr();
}

}  // namespace
}  // namespace envctl::testing
