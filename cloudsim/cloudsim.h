// cloudsim: a local emulator of the Azure and Databricks APIs envctl talks to (Entra ID
// authority, ARM with resource groups, storage, Key Vault, Data Factory and Databricks
// workspaces, the Key Vault data plane and Databricks workspace APIs), over HTTPS with a
// per-state-dir CA. See cloudsim/README.md and DESIGN.md "cloudsim contract".
//
// Start() brings up every listener (main origin + one origin per vault and workspace),
// then atomically writes <state_dir>/endpoints.json. All state lives in memory and is
// persisted to the state dir after each mutation; a Cloudsim started on the same state
// dir serves the same resources, ids and credentials. The object is thread-safe; its
// destructor stops all listeners and background threads and flushes state.
#ifndef ENVCTL_CLOUDSIM_CLOUDSIM_H_
#define ENVCTL_CLOUDSIM_CLOUDSIM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/arm/throttle.h"
#include "common/clock.h"

namespace envctl::cloudsim {

struct Options {
  int port = 0;                      // 0 = ephemeral
  std::string state_dir;             // required; endpoints.json, ca.pem, state.json live here
  std::string data_plane = "ports";  // or "loopback-443": each vault/workspace on 127.0.0.N:443
  double speed = 1.0;                // time scale for LROs and runs: 100 = 100x faster
  absl::Duration token_lifetime = absl::Hours(1);
  int page_size = 100;           // list page size (small values exercise nextLink)
  Clock* clock = nullptr;        // nullptr = RealClock
  ThrottleOptions arm_throttle;  // ARM token buckets per (principal, read/write/delete)
};

class Cloudsim {
 public:
  // Returns once every listener accepts and endpoints.json is written. Errors:
  // InvalidArgument (bad options), FailedPrecondition (port in use, state dir not
  // writable), DataLoss (corrupt state files).
  static absl::StatusOr<std::unique_ptr<Cloudsim>> Start(const Options& options);
  ~Cloudsim();  // stops all listeners and threads, flushes state

  std::string endpoints_file() const;  // <state_dir>/endpoints.json
  int port() const;
  // Subscribes `endpoint` (http(s)://...) to ARM resource events, as the admin call
  // POST /_cloudsim/eventgrid does; `envctl up` points it at its controller.
  absl::Status SubscribeEventGrid(const std::string& endpoint);

  class Impl;

 private:
  explicit Cloudsim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_CLOUDSIM_H_
