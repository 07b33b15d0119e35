#include "cmd/envctl/controller_config.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "spec/internal/input_limits.h"
#include "yaml-cpp/yaml.h"

namespace envctl::cli {

namespace {

class Parser {
 public:
  explicit Parser(std::string path) : path_(std::move(path)) {}

  void Error(const YAML::Node& node, const std::string& field, const std::string& message) {
    const YAML::Mark mark = node.Mark();
    errors_.push_back(
        absl::StrCat(path_, ":", mark.line + 1, ":", mark.column + 1, ": ", field, ": ", message));
  }

  // Reports keys of `map` outside `allowed`.
  void OnlyKeys(const YAML::Node& map, const std::string& prefix,
                const std::set<std::string>& allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        Error(kv.first, prefix + key,
              absl::StrCat("unknown key; expected one of ", absl::StrJoin(allowed, ", ")));
      }
    }
  }

  void String(const YAML::Node& map, const std::string& key, const std::string& field,
              std::string* out) {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsScalar()) return Error(n, field, "expected a string");
    *out = n.as<std::string>();
  }

  // HOST:PORT with a port in 0..65535 ([v6]:PORT too).
  void Listen(const YAML::Node& map, const std::string& key, const std::string& field,
              std::string* out) {
    std::string value;
    String(map, key, field, &value);
    if (value.empty()) return;
    const size_t colon = value.rfind(':');
    int port = -1;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
      return Error(map[key], field,
                   "expected HOST:PORT such as 127.0.0.1:50051 (port 0 picks a free one)");
    }
    *out = value;
  }

  void Bool(const YAML::Node& map, const std::string& key, const std::string& field, bool* out) {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, *out))
      Error(n, field, "expected true or false");
  }

  void Duration(const YAML::Node& map, const std::string& key, const std::string& field,
                absl::Duration* out) {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsScalar() || !absl::ParseDuration(n.as<std::string>(), out) ||
        *out <= absl::ZeroDuration()) {
      Error(n, field, "expected a positive duration such as 30s, 1m or 1h");
    }
  }

  // The mapping at parent[key], or nullopt when it is absent or not a mapping (reported).
  // (A default-constructed YAML::Node is a defined null, so presence needs its own flag.)
  std::optional<YAML::Node> Map(const YAML::Node& parent, const std::string& key,
                                const std::string& field, const std::set<std::string>& allowed) {
    const YAML::Node n = parent[key];
    if (!n) return std::nullopt;
    if (!n.IsMap()) {
      Error(n, field, "expected a mapping");
      return std::nullopt;
    }
    OnlyKeys(n, field + ".", allowed);
    return n;
  }

  std::vector<std::string> errors_;

 private:
  std::string path_;
};

}  // namespace

absl::StatusOr<ControllerConfig> LoadControllerConfig(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": no such config file (see deploy/controller.example.yaml)"));
  }
  // The spec loader's bounds apply here too (size, depth, anchors/aliases, UTF-8): the
  // config is checked with libyaml before yaml-cpp sees it, so no file can make the
  // controller crash or run away at start.
  const spec::internal::InputLimits& limits = spec::internal::DefaultInputLimits();
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the config file"));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.size() > limits.max_spec_file_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the config file is larger than ",
                                                   limits.max_spec_file_bytes, " bytes"));
  }
  if (std::optional<spec::Diagnostic> bad = spec::internal::CheckYaml(path, text, limits)) {
    return absl::InvalidArgumentError(bad->ToString());
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  if (!root.IsMap())
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a YAML mapping"));

  ControllerConfig config;
  Parser p(path);
  try {
    p.OnlyKeys(root, "",
               {"source", "environments", "cloud", "stateDir", "state", "workers", "grpc", "http",
                "webhooks", "log", "drift"});
    if (const auto drift = p.Map(root, "drift", "drift", {"pollInterval"})) {
      p.Duration(*drift, "pollInterval", "drift.pollInterval", &config.drift_poll_interval);
    }
    const std::optional<YAML::Node> source =
        p.Map(root, "source", "source", {"git", "folder", "pollInterval"});
    if (!source) {
      if (!root["source"]) p.Error(root, "source", "required: set source.git.url or source.folder");
    } else {
      const std::optional<YAML::Node> git =
          p.Map(*source, "git", "source.git", {"url", "branch", "path", "tokenEnv"});
      if (git) {
        p.String(*git, "url", "source.git.url", &config.git_url);
        p.String(*git, "branch", "source.git.branch", &config.git_branch);
        p.String(*git, "path", "source.git.path", &config.git_path);
        p.String(*git, "tokenEnv", "source.git.tokenEnv", &config.git_token_env);
        if (config.git_url.empty()) p.Error(*git, "source.git.url", "required");
      }
      p.String(*source, "folder", "source.folder", &config.folder);
      p.Duration(*source, "pollInterval", "source.pollInterval", &config.poll_interval);
      if (!(*source)["git"] && config.folder.empty())
        p.Error(*source, "source", "set source.git.url or source.folder");
      if ((*source)["git"] && !config.folder.empty()) {
        p.Error(*source, "source", "set source.git or source.folder, not both");
      }
      if (!config.folder.empty() && std::filesystem::path(config.folder).is_relative()) {
        // Relative folders are relative to the config file, like every path in it.
        config.folder =
            (std::filesystem::path(path).parent_path() / config.folder).lexically_normal().string();
      }
    }
    if (const YAML::Node envs = root["environments"]) {
      if (!envs.IsSequence()) {
        p.Error(envs, "environments", "expected a list of environment names");
      } else {
        for (const auto& e : envs) config.environments.insert(e.as<std::string>());
      }
    }
    p.String(root, "cloud", "cloud", &config.cloud_file);
    p.String(root, "stateDir", "stateDir", &config.state_dir);
    if (const auto state = p.Map(root, "state", "state", {"etcd"})) {
      if (const auto etcd =
              p.Map(*state, "etcd", "state.etcd",
                    {"endpoints", "prefix", "tlsCa", "tlsCert", "tlsKey", "leaseTtl"})) {
        const YAML::Node endpoints = (*etcd)["endpoints"];
        if (!endpoints || !endpoints.IsSequence() || endpoints.size() == 0) {
          p.Error(endpoints ? endpoints : *etcd, "state.etcd.endpoints",
                  "expected a list of etcd client URLs such as http://127.0.0.1:2379");
        } else {
          for (const auto& e : endpoints) {
            const std::string url = e.as<std::string>();
            if (url.find("://") != std::string::npos && url.rfind("http://", 0) != 0 &&
                url.rfind("https://", 0) != 0) {
              p.Error(e, "state.etcd.endpoints", "expected http://HOST:PORT or https://HOST:PORT");
            }
            config.etcd_endpoints.push_back(url);
          }
        }
        p.String(*etcd, "prefix", "state.etcd.prefix", &config.etcd_prefix);
        if (!config.etcd_prefix.empty() && config.etcd_prefix[0] != '/') {
          p.Error((*etcd)["prefix"], "state.etcd.prefix", "expected a key prefix starting with /");
        }
        while (config.etcd_prefix.size() > 1 && config.etcd_prefix.back() == '/')
          config.etcd_prefix.pop_back();
        p.String(*etcd, "tlsCa", "state.etcd.tlsCa", &config.etcd_tls_ca);
        p.String(*etcd, "tlsCert", "state.etcd.tlsCert", &config.etcd_tls_cert);
        p.String(*etcd, "tlsKey", "state.etcd.tlsKey", &config.etcd_tls_key);
        if (config.etcd_tls_cert.empty() != config.etcd_tls_key.empty()) {
          p.Error(*etcd, "state.etcd", "set both tlsCert and tlsKey");
        }
        if (!config.etcd_tls_cert.empty() && config.etcd_tls_ca.empty()) {
          p.Error(*etcd, "state.etcd.tlsCert", "needs tlsCa too");
        }
        p.Duration(*etcd, "leaseTtl", "state.etcd.leaseTtl", &config.etcd_lease_ttl);
        if (config.etcd_lease_ttl < absl::Seconds(2) || config.etcd_lease_ttl > absl::Minutes(5)) {
          p.Error((*etcd)["leaseTtl"] ? (*etcd)["leaseTtl"] : *etcd, "state.etcd.leaseTtl",
                  "expected a duration from 2s to 5m");
        }
      }
    }
    if (const YAML::Node workers = root["workers"]) {
      int n = 0;
      if (!YAML::convert<int>::decode(workers, n) || n < 1 || n > 64) {
        p.Error(workers, "workers", "expected a number from 1 to 64");
      } else {
        config.workers = n;
      }
    }
    if (const auto grpc = p.Map(root, "grpc", "grpc", {"listen", "tokenEnv", "tls", "insecure"})) {
      p.Listen(*grpc, "listen", "grpc.listen", &config.grpc_listen);
      p.String(*grpc, "tokenEnv", "grpc.tokenEnv", &config.grpc_token_env);
      p.Bool(*grpc, "insecure", "grpc.insecure", &config.grpc_insecure);
      if (const auto tls =
              p.Map(*grpc, "tls", "grpc.tls", {"certFile", "keyFile", "clientCaFile"})) {
        p.String(*tls, "certFile", "grpc.tls.certFile", &config.grpc_tls_cert_file);
        p.String(*tls, "keyFile", "grpc.tls.keyFile", &config.grpc_tls_key_file);
        p.String(*tls, "clientCaFile", "grpc.tls.clientCaFile", &config.grpc_tls_client_ca_file);
        if (config.grpc_tls_cert_file.empty() != config.grpc_tls_key_file.empty()) {
          p.Error(*tls, "grpc.tls", "set both certFile and keyFile");
        }
        if (!config.grpc_tls_client_ca_file.empty() && config.grpc_tls_cert_file.empty()) {
          p.Error(*tls, "grpc.tls.clientCaFile", "needs certFile and keyFile too");
        }
      }
    }
    if (const auto http = p.Map(root, "http", "http", {"listen", "tls", "insecure"})) {
      p.Listen(*http, "listen", "http.listen", &config.http_listen);
      p.Bool(*http, "insecure", "http.insecure", &config.http_insecure);
      if (const auto tls =
              p.Map(*http, "tls", "http.tls", {"certFile", "keyFile", "clientCaFile"})) {
        p.String(*tls, "certFile", "http.tls.certFile", &config.http_tls_cert_file);
        p.String(*tls, "keyFile", "http.tls.keyFile", &config.http_tls_key_file);
        p.String(*tls, "clientCaFile", "http.tls.clientCaFile", &config.http_tls_client_ca_file);
        if (config.http_tls_cert_file.empty() != config.http_tls_key_file.empty()) {
          p.Error(*tls, "http.tls", "set both certFile and keyFile");
        }
        if (!config.http_tls_client_ca_file.empty() && config.http_tls_cert_file.empty()) {
          p.Error(*tls, "http.tls.clientCaFile", "needs certFile and keyFile too");
        }
      }
    }
    if (const auto webhooks = p.Map(root, "webhooks", "webhooks",
                                    {"gitSecretEnv", "eventGridSecretEnv", "allowUnsigned"})) {
      p.String(*webhooks, "gitSecretEnv", "webhooks.gitSecretEnv", &config.webhook_secret_env);
      p.String(*webhooks, "eventGridSecretEnv", "webhooks.eventGridSecretEnv",
               &config.event_grid_secret_env);
      p.Bool(*webhooks, "allowUnsigned", "webhooks.allowUnsigned", &config.webhooks_allow_unsigned);
    }
    if (const auto logging = p.Map(root, "log", "log", {"format", "level"})) {
      p.String(*logging, "format", "log.format", &config.log_format);
      p.String(*logging, "level", "log.level", &config.log_level);
      if (auto f = log::ParseFormat(config.log_format); !f.ok()) {
        p.Error((*logging)["format"], "log.format", "expected text or json");
      }
      if (auto l = log::ParseLevel(config.log_level); !l.ok()) {
        p.Error((*logging)["level"], "log.level", "expected debug, info, warn, error or off");
      }
    }
  } catch (const YAML::Exception& e) {
    p.errors_.push_back(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    p.errors_.push_back(absl::StrCat(path, ": ", e.what()));
  }
  if (!p.errors_.empty()) return absl::InvalidArgumentError(absl::StrJoin(p.errors_, "\n"));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  for (std::string* file :
       {&config.cloud_file, &config.state_dir, &config.grpc_tls_cert_file,
        &config.grpc_tls_key_file, &config.grpc_tls_client_ca_file, &config.http_tls_cert_file,
        &config.http_tls_key_file, &config.http_tls_client_ca_file, &config.etcd_tls_ca,
        &config.etcd_tls_cert, &config.etcd_tls_key}) {
    if (!file->empty() && std::filesystem::path(*file).is_relative()) {
      *file = (std::filesystem::path(dir) / *file).lexically_normal().string();
    }
  }
  return config;
}

}  // namespace envctl::cli
