#include "cloud/databricks/databricks_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/errors.h"
#include "cloud/transport/redact.h"
#include "cloud/transport/url.h"
#include "common/status_macros.h"

namespace envctl::cloud::databricks {
namespace {

absl::Status ScrubEchoes(const absl::Status& status, const std::string& request_body) {
  absl::Status out(status.code(), RedactEchoes(status.message(), request_body));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace

std::string JsonString(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

int64_t JsonInt(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

bool JsonBool(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const nlohmann::json& JsonArray(const nlohmann::json& j, const char* key) {
  static const auto* const kEmpty = new nlohmann::json(nlohmann::json::array());
  if (!j.is_object()) return *kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : *kEmpty;
}

std::string DatabricksClient::NormalizeWorkspaceUrl(absl::string_view url) {
  url = absl::StripAsciiWhitespace(url);
  while (absl::ConsumeSuffix(&url, "/")) {
  }
  if (absl::StrContains(url, "://")) return std::string(url);
  return absl::StrCat("https://", url);
}

DatabricksClient::DatabricksClient(HttpTransport& transport, std::string workspace_url)
    : transport_(transport), workspace_url_(NormalizeWorkspaceUrl(workspace_url)) {}

absl::StatusOr<nlohmann::json> DatabricksClient::Exchange(HttpRequest request,
                                                          const std::string& what,
                                                          bool secret_body) const {
  request.headers["Accept"] = "application/json";
  const std::string body = request.body;
  absl::StatusOr<HttpResponse> r = transport_.Send(request);
  absl::Status error;
  if (!r.ok()) {
    error = Annotate(r.status(), what);
  } else if (r->status >= 400) {
    error = Annotate(StatusFromResponse(Service::kDatabricks, *r), what);
  }
  if (!error.ok()) return secret_body ? ScrubEchoes(error, body) : error;
  const absl::string_view text = absl::StripAsciiWhitespace(r->body);
  if (text.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InternalError(absl::StrCat("Databricks ", what, ": HTTP ", r->status,
                                            " response body is not JSON (", text.size(),
                                            " bytes)"));
  }
  return j.is_null() ? nlohmann::json::object() : j;
}

absl::StatusOr<nlohmann::json> DatabricksClient::Get(absl::string_view path,
                                                     const Query& query) const {
  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat(workspace_url_, path);
  char sep = '?';
  for (const auto& [k, v] : query) {
    absl::StrAppend(&request.url, std::string(1, sep), UrlEncode(k), "=", UrlEncode(v));
    sep = '&';
  }
  return Exchange(std::move(request), absl::StrCat("GET ", path), false);
}

absl::StatusOr<nlohmann::json> DatabricksClient::Post(absl::string_view path,
                                                      const nlohmann::json& body,
                                                      PostOptions options) const {
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(workspace_url_, path);
  request.headers["Content-Type"] = "application/json";
  request.body = body.is_null() ? "{}" : body.dump();
  request.idempotent = options.idempotent;
  return Exchange(std::move(request), absl::StrCat("POST ", path), options.secret_body);
}

absl::StatusOr<nlohmann::json> DatabricksClient::Send(absl::string_view method,
                                                      absl::string_view path,
                                                      const nlohmann::json& body) const {
  HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(workspace_url_, path);
  request.headers["Content-Type"] = "application/json";
  request.body = body.is_null() ? "{}" : body.dump();
  request.idempotent = true;
  return Exchange(std::move(request), absl::StrCat(method, " ", path), false);
}

}  // namespace envctl::cloud::databricks
