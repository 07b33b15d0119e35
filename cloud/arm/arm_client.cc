#include "cloud/arm/arm_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/arm/internal/lro_poller.h"
#include "cloud/transport/url.h"
#include "common/status_macros.h"

namespace envctl::cloud::arm {
namespace {

bool IsAbsolute(absl::string_view url) {
  return absl::StartsWithIgnoreCase(url, "https://") || absl::StartsWithIgnoreCase(url, "http://");
}

// "PUT /subscriptions/.../x" without the query string.
std::string Display(absl::string_view method, absl::string_view path) {
  absl::string_view p = path;
  const size_t q = p.find('?');
  if (q != absl::string_view::npos) p = p.substr(0, q);
  return absl::StrCat(method, " ", p);
}

}  // namespace

bool IsTerminalState(absl::string_view state) {
  return absl::EqualsIgnoreCase(state, "Succeeded") || absl::EqualsIgnoreCase(state, "Failed") ||
         absl::EqualsIgnoreCase(state, "Canceled") || absl::EqualsIgnoreCase(state, "Cancelled");
}

std::string ProvisioningState(const nlohmann::json& body) {
  if (!body.is_object()) return "";
  auto props = body.find("properties");
  if (props == body.end() || !props->is_object()) return "";
  auto state = props->find("provisioningState");
  return state != props->end() && state->is_string() ? state->get<std::string>() : "";
}

ArmClient::ArmClient(HttpTransport& transport, Clock& clock, std::string endpoint,
                     ArmClientOptions options)
    : transport_(transport),
      clock_(clock),
      endpoint_(absl::StripSuffix(endpoint, "/")),
      options_(std::move(options)) {}

std::string ArmClient::Url(absl::string_view path, absl::string_view api_version,
                           const std::vector<std::pair<std::string, std::string>>& query) const {
  if (IsAbsolute(path)) return std::string(path);
  std::string url = absl::StrCat(endpoint_, absl::StartsWith(path, "/") ? "" : "/", path);
  absl::StrAppend(&url, absl::StrContains(path, "?") ? "&" : "?",
                  "api-version=", UrlEncode(api_version));
  for (const auto& [k, v] : query) absl::StrAppend(&url, "&", UrlEncode(k), "=", UrlEncode(v));
  return url;
}

absl::StatusOr<HttpResponse> ArmClient::Exchange(const std::string& method, const std::string& url,
                                                 std::string body,
                                                 const RequestOptions& options) const {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = options.headers;
  request.headers["Accept"] = "application/json";
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = std::move(body);
  request.idempotent = options.idempotent;
  return transport_.Send(request);
}

absl::StatusOr<HttpResponse> ArmClient::Send(absl::string_view method, absl::string_view path,
                                             absl::string_view api_version, std::string body,
                                             const RequestOptions& options) const {
  ASSIGN_OR_RETURN(HttpResponse r,
                   Exchange(std::string(method), Url(path, api_version, options.query),
                            std::move(body), options));
  if (r.status >= 400) {
    return Annotate(StatusFromResponse(options_.error_service, r), Display(method, path));
  }
  return r;
}

absl::StatusOr<nlohmann::json> ArmClient::Get(absl::string_view path, absl::string_view api_version,
                                              const RequestOptions& options) const {
  ASSIGN_OR_RETURN(HttpResponse r, Send("GET", path, api_version, "", options));
  return internal::ParseJsonBody(r, options_.error_service, Display("GET", path));
}

absl::StatusOr<nlohmann::json> ArmClient::Mutate(const std::string& method, absl::string_view path,
                                                 absl::string_view api_version, std::string body,
                                                 const RequestOptions& options) const {
  const std::string url = Url(path, api_version, options.query);
  ASSIGN_OR_RETURN(HttpResponse r, Exchange(method, url, std::move(body), options));
  if (method == "DELETE" && r.status == 404) return nlohmann::json();
  if (r.status >= 400) {
    return Annotate(StatusFromResponse(options_.error_service, r), Display(method, path));
  }
  internal::LroContext ctx{&transport_, &clock_, options_.lro, options_.error_service,
                           endpoint_,   method,  url,          Display(method, path)};
  return internal::CompleteOperation(ctx, r);
}

absl::StatusOr<nlohmann::json> ArmClient::Put(absl::string_view path, absl::string_view api_version,
                                              const nlohmann::json& body,
                                              const RequestOptions& options) const {
  return Mutate("PUT", path, api_version, body.dump(), options);
}

absl::StatusOr<nlohmann::json> ArmClient::Patch(absl::string_view path,
                                                absl::string_view api_version,
                                                const nlohmann::json& body,
                                                const RequestOptions& options) const {
  return Mutate("PATCH", path, api_version, body.dump(), options);
}

absl::Status ArmClient::Delete(absl::string_view path, absl::string_view api_version,
                               const RequestOptions& options) const {
  return Mutate("DELETE", path, api_version, "", options).status();
}

absl::StatusOr<nlohmann::json> ArmClient::Post(absl::string_view path,
                                               absl::string_view api_version,
                                               const nlohmann::json& body,
                                               const RequestOptions& options) const {
  return Mutate("POST", path, api_version, body.is_null() ? "" : body.dump(), options);
}

absl::StatusOr<std::vector<nlohmann::json>> ArmClient::List(absl::string_view path,
                                                            absl::string_view api_version,
                                                            const RequestOptions& options) const {
  std::vector<nlohmann::json> out;
  std::string url = Url(path, api_version, options.query);
  // Bounded so a server that keeps answering with the same nextLink cannot loop forever.
  for (int page = 0; page < 10000 && !url.empty(); ++page) {
    ASSIGN_OR_RETURN(HttpResponse r, Exchange("GET", url, "", options));
    if (r.status >= 400) {
      return Annotate(StatusFromResponse(options_.error_service, r), Display("GET", path));
    }
    ASSIGN_OR_RETURN(nlohmann::json body,
                     internal::ParseJsonBody(r, options_.error_service, Display("GET", path)));
    if (body.is_object()) {
      auto value = body.find("value");
      if (value != body.end() && value->is_array()) {
        for (auto& item : *value) out.push_back(std::move(item));
      }
      auto next = body.find("nextLink");
      url = next != body.end() && next->is_string() ? next->get<std::string>() : "";
      if (absl::StartsWith(url, "/")) url = absl::StrCat(endpoint_, url);
    } else {
      url.clear();
    }
  }
  return out;
}

}  // namespace envctl::cloud::arm
