// ControllerConfig: the YAML file of `envctl controller --config FILE` — where the desired
// state comes from (a Git repository or a folder), which environments to run, which
// cloud, where state lives, and the gRPC/HTTP listen addresses. Secrets (Git token, API
// token, webhook secret) are never in the file: it names the environment variables that
// hold them. Example: deploy/controller.example.yaml.
#ifndef ENVCTL_CMD_ENVCTL_CONTROLLER_CONFIG_H_
#define ENVCTL_CMD_ENVCTL_CONTROLLER_CONFIG_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace envctl::cli {

struct ControllerConfig {
  // Exactly one of git_url / folder.
  std::string git_url;
  std::string git_branch = "main";
  std::string git_path;       // folder inside the repository holding envctl.yaml
  std::string git_token_env;  // env var with an HTTPS token for a private repository
  std::string folder;
  absl::Duration poll_interval = absl::Minutes(1);
  // drift.pollInterval: the cheap change look of resources no cloud event covers
  // (Databricks notebooks), a positive duration.
  absl::Duration drift_poll_interval = absl::Seconds(30);

  std::set<std::string> environments;  // empty: all
  std::string cloud_file;              // "" = $ENVCTL_CLOUD or public Azure
  std::string state_dir;               // "" = default state dir
  // state.etcd: the shared backend of highly available replicas (empty endpoints: the
  // embedded file store). The prefix defaults to /envctl/<project>.
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix;
  std::string etcd_tls_ca;
  std::string etcd_tls_cert;
  std::string etcd_tls_key;
  absl::Duration etcd_lease_ttl = absl::Seconds(10);
  int workers = 16;

  std::string grpc_listen = "127.0.0.1:50051";
  std::string grpc_token_env;  // env var with the API bearer token ("" = no auth)
  // gRPC TLS (PEM files); a client CA turns on mutual TLS.
  std::string grpc_tls_cert_file;
  std::string grpc_tls_key_file;
  std::string grpc_tls_client_ca_file;
  // Plaintext beyond loopback is refused unless these say it is intended.
  bool grpc_insecure = false;
  std::string http_listen = "127.0.0.1:9464";
  // HTTPS for /metrics, /healthz and webhooks (PEM files), as for gRPC.
  std::string http_tls_cert_file;
  std::string http_tls_key_file;
  std::string http_tls_client_ca_file;
  bool http_insecure = false;
  std::string webhook_secret_env;  // env var with the Git webhook secret
  // env var with the secret Event Grid deliveries carry as ?code= ("" = unauthenticated)
  std::string event_grid_secret_env;
  // Accept Git webhooks without a secret (they then only mean "look now").
  bool webhooks_allow_unsigned = false;

  // Structured log lines on stderr (common/log.h); --log-format / --log-level override.
  std::string log_format = "text";  // text | json
  std::string log_level = "info";   // debug | info | warn | error | off
};

// Parses `path`. InvalidArgument "FILE:LINE:COL: field: problem" for every mistake
// (unknown keys included, so a typo is never silently ignored).
absl::StatusOr<ControllerConfig> LoadControllerConfig(const std::string& path);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_CONTROLLER_CONFIG_H_
