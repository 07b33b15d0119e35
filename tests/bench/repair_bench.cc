// `envctl_bench repair`: how long an out-of-band change lives under `envctl controller`
// before it is repaired, for three kinds of drift, each made N times (default 20) through
// the ordinary APIs, as a person would:
//   - an ARM property (the lake's minimumTlsVersion lowered): reaches the controller as an
//     Event Grid ResourceWriteSuccess (cloudsim delivers them to /webhooks/eventgrid);
//   - a Key Vault secret (a new version of databricks-token written by hand): an Event
//     Grid Microsoft.KeyVault.SecretNewVersionCreated;
//   - a notebook (train overwritten through workspace/import): Databricks has no Event
//     Grid, so the controller's change poll (drift.pollInterval) finds it.
// The resync is an hour, so none of the repairs waits for it. Time = from the change's
// answer to the first read that shows the repo's value again (read every 50 ms). Prints
// p50/p99/max per kind; asserts nothing (the machine is shared and noisy).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/controller_process.h"
#include "tests/e2e/portal.h"
#include "tests/fakes/cloudsim_env.h"

namespace envctl::bench {
namespace {

namespace fs = std::filesystem;
using envctl::testing::CloudsimEnv;
using envctl::testing::ControllerProcess;
using envctl::testing::Event;
using envctl::testing::Portal;
using SteadyClock = std::chrono::steady_clock;

constexpr char kGroup[] = "bikeshare-test-rg";
constexpr char kWorkspace[] = "bikeshare-test-dbw";

int Fail(const std::string& what) {
  std::fprintf(stderr, "envctl_bench repair: %s\n", what.c_str());
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * v.size())) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One kind of drift: `change` makes the i-th change; `repaired` is true once live state
// is what the repo says again.
struct DriftKind {
  std::string name;
  std::function<bool(int)> change;
  std::function<bool()> repaired;
};

}  // namespace

int RunRepairBench(int argc, char** argv) {
  int changes = 20;
  std::string poll = "30s";
  double speed = 10;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--changes" && i + 1 < argc) {
      changes = std::clamp(std::atoi(argv[++i]), 1, 200);
    } else if (a == "--poll" && i + 1 < argc) {
      poll = argv[++i];
    } else if (a == "--speed" && i + 1 < argc) {
      speed = std::max(1.0, std::atof(argv[++i]));
    } else {
      return Fail("unknown flag " + a + " (flags: --changes N --poll 30s --speed X)");
    }
  }
  cloudsim::Options options;
  options.speed = speed;
  auto sim = CloudsimEnv::Start(options);
  if (!sim.ok()) return Fail(absl::StrCat("cloudsim: ", sim.status().message()));
  Portal portal(**sim);
  const fs::path work = fs::path((*sim)->state_dir()) / "bench";
  const fs::path repo = work / "bikeshare";
  fs::create_directories(work);
  fs::copy(fs::path(ENVCTL_SOURCE_DIR) / "examples/bikeshare", repo, fs::copy_options::recursive);
  {
    std::string config = ReadAll(repo / "envctl.yaml");
    config.replace(config.find("resyncInterval: 10m"), 19, "resyncInterval: 1h");
    std::ofstream(repo / "envctl.yaml") << config;
  }
  const fs::path config = work / "controller.yaml";
  std::ofstream(config) << "source:\n  folder: " << repo.string() << "\n  pollInterval: 1h\n"
                        << "environments: [test]\n"
                        << "cloud: " << (*sim)->endpoints_file << "\n"
                        << "stateDir: " << (work / "controller").string() << "\n"
                        << "drift:\n  pollInterval: " << poll << "\n"
                        << "grpc:\n  listen: 127.0.0.1:0\nhttp:\n  listen: 127.0.0.1:0\n"
                        << "log:\n  level: info\n";
  ControllerProcess ctl;
  if (!ctl.Start(work, {"controller", "--config", config.string(), "--log-format", "json"})) {
    return Fail("cannot start envctl controller");
  }
  if (!ctl.WaitForLogLine(Event("sync_end", {{"environment", "test"}, {"outcome", "converged"}}),
                          std::chrono::seconds(600))) {
    return Fail("TEST did not converge:\n" + ctl.Stderr());
  }
  std::smatch m;
  const std::string out = ctl.Stdout();
  if (!std::regex_search(out, m, std::regex("HTTP  http://([0-9.:]+)")))
    return Fail("no HTTP address in\n" + out);
  if (auto s = portal.AdminPost(
          "/eventgrid", {{"endpoint", absl::StrCat("http://", m[1].str(), "/webhooks/eventgrid")}});
      !s.ok()) {
    return Fail(absl::StrCat("Event Grid subscription: ", s.status().message()));
  }

  const std::string rg = portal.RgPath(kGroup);
  const std::string lake = rg + "/providers/Microsoft.Storage/storageAccounts/bikesharetestlake";
  auto vault = portal.Arm("GET", rg + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv",
                          "2023-07-01");
  if (!vault.ok()) return Fail(std::string(vault.status().message()));
  std::string vault_uri = (*vault)["properties"].value("vaultUri", "");
  if (!vault_uri.empty() && vault_uri.back() == '/') vault_uri.pop_back();
  const std::string secret_url = vault_uri + "/secrets/databricks-token";
  auto current_secret = [&]() -> std::string {
    auto s =
        portal.Call("GET", secret_url + "?api-version=7.4", "https://vault.azure.net/.default");
    return s.ok() ? s->value("value", "") : "";
  };
  auto export_train = [&]() -> std::string {
    auto e =
        portal.Databricks(kGroup, kWorkspace, "GET",
                          "/api/2.0/workspace/export?path=/Shared/bikeshare/train&format=SOURCE");
    return e.ok() ? e->value("content", "") : "";
  };
  const std::string train = export_train();
  std::string hand_secret;

  std::vector<DriftKind> kinds;
  kinds.push_back({"ARM property (Event Grid)",
                   [&](int) {
                     return portal
                         .Arm("PATCH", lake, "2023-01-01",
                              {{"properties", {{"minimumTlsVersion", "TLS1_0"}}}})
                         .ok();
                   },
                   [&] {
                     auto l = portal.Arm("GET", lake, "2023-01-01");
                     return l.ok() && (*l)["properties"].value("minimumTlsVersion", "") == "TLS1_2";
                   }});
  kinds.push_back({"Key Vault secret (Event Grid)",
                   [&](int i) {
                     hand_secret = absl::StrCat("set-by-hand-", i);
                     return portal
                         .Call("PUT", secret_url + "?api-version=7.4",
                               "https://vault.azure.net/.default", {{"value", hand_secret}})
                         .ok();
                   },
                   [&] {
                     const std::string v = current_secret();
                     return !v.empty() && v != hand_secret;
                   }});
  kinds.push_back({"notebook (change poll " + poll + ")",
                   [&](int i) {
                     const std::string body = absl::StrCat(
                         "# Databricks notebook source\nprint('edited by hand ", i, "')\n");
                     static const char* kB64 =
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                     std::string b64;
                     int val = 0, bits = -6;
                     for (unsigned char c : body) {
                       val = (val << 8) + c;
                       bits += 8;
                       while (bits >= 0) {
                         b64.push_back(kB64[(val >> bits) & 0x3F]);
                         bits -= 6;
                       }
                     }
                     if (bits > -6) b64.push_back(kB64[((val << 8) >> (bits + 8)) & 0x3F]);
                     while (b64.size() % 4) b64.push_back('=');
                     return portal
                         .Databricks(kGroup, kWorkspace, "POST", "/api/2.0/workspace/import",
                                     {{"path", "/Shared/bikeshare/train"},
                                      {"format", "SOURCE"},
                                      {"language", "PYTHON"},
                                      {"overwrite", true},
                                      {"content", b64}})
                         .ok();
                   },
                   [&] { return export_train() == train; }});

  std::printf(
      "repair benchmark: envctl controller on bikeshare TEST, cloudsim speed %gx, resync 1h, "
      "change poll %s, %d changes per kind\n\n",
      speed, poll.c_str(), changes);
  std::printf("  %-34s %8s %8s %8s  %s\n", "out-of-band change", "p50", "p99", "max", "repaired");
  for (const DriftKind& kind : kinds) {
    std::vector<double> seconds;
    int unrepaired = 0;
    for (int i = 0; i < changes; ++i) {
      if (!kind.change(i)) return Fail("could not make the change: " + kind.name);
      const auto start = SteadyClock::now();
      const auto deadline = start + std::chrono::seconds(180);
      bool ok = false;
      while (SteadyClock::now() < deadline && !(ok = kind.repaired())) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!ok) {
        ++unrepaired;
        continue;
      }
      seconds.push_back(std::chrono::duration<double>(SteadyClock::now() - start).count());
      // Let the repair's sync end before the next change.
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::printf("  %-34s %7.2fs %7.2fs %7.2fs  %zu/%d\n", kind.name.c_str(),
                Percentile(seconds, 0.5), Percentile(seconds, 0.99),
                seconds.empty() ? 0.0 : *std::max_element(seconds.begin(), seconds.end()),
                seconds.size(), changes);
    (void)unrepaired;
  }
  ctl.Stop();
  return 0;
}

}  // namespace envctl::bench
