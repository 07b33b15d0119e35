// ArmClient: generic Azure Resource Manager calls against one ARM endpoint, for the typed
// clients in cloud/arm/ and cloud/datafactory/. It builds URLs (`{endpoint}{path}?api-version=`),
// maps error responses to canonical codes (cloud/errors.h), follows `nextLink` paging and
// drives long-running operations to completion (azure-rest.md §2.6, §2.7):
//   - initial 202, or 200/201 whose body has a non-terminal provisioningState, is an LRO;
//   - Azure-AsyncOperation is preferred: poll until status Succeeded | Failed | Canceled;
//   - else Location: 202 keeps polling, 200/201/204 is done, an error status is the error;
//   - else (no monitor header) the resource itself is polled until its provisioningState
//     is terminal (PUT/PATCH) or it is gone (DELETE);
//   - between polls it waits Retry-After (clamped to [min, max] poll interval) or an
//     exponential backoff from the min interval, on the injected Clock;
//   - past LroOptions::timeout the call fails with DeadlineExceeded;
//   - after success PUT/PATCH GET the resource for the final body; POST GETs Location if any.
// Retries of single exchanges (429, 5xx, resets) are the transport's job (CloudSession).
// Stateless besides its references: safe to use from several threads.
#ifndef ENVCTL_CLOUD_ARM_ARM_CLIENT_H_
#define ENVCTL_CLOUD_ARM_ARM_CLIENT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud/errors.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

struct LroOptions {
  // Bounds on the wait between polls; a server Retry-After is clamped into them.
  absl::Duration min_poll_interval = absl::Seconds(1);
  absl::Duration max_poll_interval = absl::Seconds(60);
  // Whole-operation limit, measured on the Clock from the initial response.
  absl::Duration timeout = absl::Minutes(30);
};

struct ArmClientOptions {
  LroOptions lro;
  // Which error body parser/name to use: kArm, or kDataFactory for the factory client.
  Service error_service = Service::kArm;
};

// Per-call extras.
struct RequestOptions {
  Headers headers;  // e.g. If-Match
  // Extra query parameters, appended URL-encoded after api-version.
  std::vector<std::pair<std::string, std::string>> query;
  // Overrides HttpRequest::idempotent (e.g. true for listKeys, a safe POST).
  std::optional<bool> idempotent;
};

class ArmClient {
 public:
  // `endpoint`: "https://management.azure.com" (a trailing slash is ignored).
  ArmClient(HttpTransport& transport, Clock& clock, std::string endpoint,
            ArmClientOptions options = {});

  // `path` is a resource id or any ARM path starting with "/" (an absolute URL is used as
  // is). Failure contract for every call: the mapped status of the first error response
  // (NotFound, AlreadyExists, FailedPrecondition, PermissionDenied, Unauthenticated,
  // ResourceExhausted, Unavailable, ...; ServiceErrorCode() gives ARM's code), a transport
  // error as returned by the transport, Internal when a 2xx body is not JSON.

  // GET: the resource body.
  absl::StatusOr<nlohmann::json> Get(absl::string_view path, absl::string_view api_version,
                                     const RequestOptions& options = {}) const;
  // PUT (create or replace) and PATCH (partial update), LROs followed: the final resource
  // body. An operation that ends Failed is Aborted (Cancelled when Canceled) carrying the
  // operation's error code; a timeout is DeadlineExceeded.
  absl::StatusOr<nlohmann::json> Put(absl::string_view path, absl::string_view api_version,
                                     const nlohmann::json& body,
                                     const RequestOptions& options = {}) const;
  absl::StatusOr<nlohmann::json> Patch(absl::string_view path, absl::string_view api_version,
                                       const nlohmann::json& body,
                                       const RequestOptions& options = {}) const;
  // DELETE, LRO followed. OK once the resource is gone, including when it was already
  // absent (404); errors as above.
  absl::Status Delete(absl::string_view path, absl::string_view api_version,
                      const RequestOptions& options = {}) const;
  // POST of an action (listKeys, start, createRun, purge), LRO followed. `body` null sends
  // no body. Returns the action's result body, or null when it has none (204, or an LRO
  // without a Location result).
  absl::StatusOr<nlohmann::json> Post(absl::string_view path, absl::string_view api_version,
                                      const nlohmann::json& body = nullptr,
                                      const RequestOptions& options = {}) const;
  // GET of a collection: every element of `value` across all pages, following nextLink
  // verbatim until it is absent, null or empty. A missing `value` is an empty page.
  absl::StatusOr<std::vector<nlohmann::json>> List(absl::string_view path,
                                                   absl::string_view api_version,
                                                   const RequestOptions& options = {}) const;

  // One exchange, no LRO handling: the response when its status is below 400, else the
  // mapped error. For callers that need headers or 304s.
  absl::StatusOr<HttpResponse> Send(absl::string_view method, absl::string_view path,
                                    absl::string_view api_version, std::string body,
                                    const RequestOptions& options = {}) const;

  // `{endpoint}{path}?api-version=V[&k=v...]`; absolute URLs are returned unchanged.
  std::string Url(absl::string_view path, absl::string_view api_version,
                  const std::vector<std::pair<std::string, std::string>>& query = {}) const;
  const std::string& endpoint() const { return endpoint_; }
  Service error_service() const { return options_.error_service; }

 private:
  absl::StatusOr<HttpResponse> Exchange(const std::string& method, const std::string& url,
                                        std::string body, const RequestOptions& options) const;
  absl::StatusOr<nlohmann::json> Mutate(const std::string& method, absl::string_view path,
                                        absl::string_view api_version, std::string body,
                                        const RequestOptions& options) const;

  HttpTransport& transport_;
  Clock& clock_;
  const std::string endpoint_;
  const ArmClientOptions options_;
};

// True for the terminal provisioning/operation states Succeeded, Failed, Canceled
// (case-insensitive, as some RPs differ in casing).
bool IsTerminalState(absl::string_view state);

// properties.provisioningState of an ARM body, or "" when it has none.
std::string ProvisioningState(const nlohmann::json& body);

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_ARM_CLIENT_H_
