#include "cloud/cloud_endpoints.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud {
namespace {

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

absl::Status FieldError(const std::string& path, const std::string& field,
                        const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": field \"", field, "\" ", problem));
}

}  // namespace

std::string CloudEndpoints::DebugString() const {
  return absl::StrCat("cloud{source=", source, " arm=", arm_endpoint, " authority=", authority_host,
                      " tenant=", tenant_id, " subscription=", subscription_id,
                      " client_id=", client_id,
                      " client_secret=", client_secret.empty() ? "<unset>" : "<set>",
                      " object_id=", object_id, " ca_cert_file=", ca_cert_file, "}");
}

std::string CloudEndpoints::ArmScope() const {
  return arm_token_scope.empty() ? "https://management.azure.com/.default" : arm_token_scope;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<CloudEndpoints> LoadEndpointsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     ": cannot read the cloud endpoints file (check --cloud / ENVCTL_CLOUD; "
                     "cloudsim writes it to <state-dir>/endpoints.json)"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object (expected cloudsim's endpoints.json)"));
  }
  CloudEndpoints e;
  e.source = absl::StrCat("endpoints file ", path);
  struct Field {
    const char* name;
    std::string* out;
    bool required;
    bool url;
  };
  const Field fields[] = {
      {"arm_endpoint", &e.arm_endpoint, true, true},
      {"authority_host", &e.authority_host, true, true},
      {"tenant_id", &e.tenant_id, true, false},
      {"subscription_id", &e.subscription_id, true, false},
      {"client_id", &e.client_id, true, false},
      {"client_secret", &e.client_secret, true, false},
      {"object_id", &e.object_id, false, false},
      {"ca_cert_file", &e.ca_cert_file, false, false},
      {"admin_endpoint", &e.admin_endpoint, false, true},
      {"arm_token_scope", &e.arm_token_scope, false, false},
  };
  for (const Field& f : fields) {
    auto it = j.find(f.name);
    if (it == j.end() || it->is_null()) {
      if (f.required) return FieldError(path, f.name, "is missing");
      continue;
    }
    if (!it->is_string()) return FieldError(path, f.name, "must be a string");
    *f.out = it->get<std::string>();
    if (f.required && f.out->empty()) return FieldError(path, f.name, "is empty");
    if (f.url && !f.out->empty()) {
      if (!absl::StartsWith(*f.out, "https://") && !absl::StartsWith(*f.out, "http://")) {
        // Never echo the value of a field we do not know to be public.
        return FieldError(path, f.name,
                          absl::StrCat("must be an http(s) URL, got \"", *f.out, "\""));
      }
      *f.out = TrimSlash(*f.out);
    }
  }
  if (!e.ca_cert_file.empty()) {
    std::filesystem::path ca(e.ca_cert_file);
    if (ca.is_relative()) ca = std::filesystem::path(path).parent_path() / ca;
    e.ca_cert_file = ca.string();
    std::error_code ec;
    if (!std::filesystem::exists(ca, ec)) {
      return FieldError(path, "ca_cert_file",
                        absl::StrCat("names \"", e.ca_cert_file, "\", which does not exist"));
    }
  }
  return e;
}

CloudEndpoints PublicAzureEndpoints(const EnvLookup& env) {
  CloudEndpoints e;
  e.source = "public Azure cloud";
  e.arm_endpoint = "https://management.azure.com";
  e.authority_host = "https://login.microsoftonline.com";
  auto get = [&env](const char* name) { return env(name).value_or(""); };
  e.tenant_id = get("AZURE_TENANT_ID");
  e.client_id = get("AZURE_CLIENT_ID");
  e.client_secret = get("AZURE_CLIENT_SECRET");
  e.subscription_id = get("AZURE_SUBSCRIPTION_ID");
  e.object_id = get("AZURE_OBJECT_ID");
  if (auto authority = env("AZURE_AUTHORITY_HOST"); authority && !authority->empty()) {
    e.authority_host = TrimSlash(*authority);
  }
  return e;
}

absl::StatusOr<CloudEndpoints> ResolveEndpoints(const std::string& cloud_flag,
                                                const EnvLookup& env) {
  if (!cloud_flag.empty()) return LoadEndpointsFile(cloud_flag);
  if (auto file = env("ENVCTL_CLOUD"); file && !file->empty()) {
    auto e = LoadEndpointsFile(*file);
    if (!e.ok()) {
      return absl::Status(e.status().code(), absl::StrCat("ENVCTL_CLOUD: ", e.status().message()));
    }
    return e;
  }
  return PublicAzureEndpoints(env);
}

}  // namespace envctl::cloud
