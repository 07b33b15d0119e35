// Private to cloud/arm: drives one ARM long-running operation from its initial response to
// the final result (the rules are spelled out in cloud/arm/arm_client.h). Stateless;
// thread-safe.
#ifndef ENVCTL_CLOUD_ARM_INTERNAL_LRO_POLLER_H_
#define ENVCTL_CLOUD_ARM_INTERNAL_LRO_POLLER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/arm/arm_client.h"
#include "cloud/errors.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm::internal {

struct LroContext {
  HttpTransport* transport;
  Clock* clock;
  LroOptions options;
  Service service;
  std::string endpoint;      // for relative monitor URLs
  std::string method;        // PUT, PATCH, DELETE, POST
  std::string resource_url;  // the initial request URL (polled or re-read at the end)
  std::string display;       // "PUT /subscriptions/.../x", for messages
};

// The operation's result: the final resource body (PUT/PATCH), null (DELETE, or a POST
// without a result), or the POST's result body.
absl::StatusOr<nlohmann::json> CompleteOperation(const LroContext& ctx,
                                                 const HttpResponse& initial);

// The body as JSON (null for an empty body); Internal naming `what` when it is not JSON.
// The body itself is never quoted in the message (it may hold keys or secrets).
absl::StatusOr<nlohmann::json> ParseJsonBody(const HttpResponse& response, Service service,
                                             absl::string_view what);

// Status for a failed operation's `error` object: `code` chosen by the caller, ARM's
// error code kept as ServiceErrorCode().
absl::Status OperationFailed(Service service, absl::StatusCode code, const std::string& what,
                             const nlohmann::json& error);

}  // namespace envctl::cloud::arm::internal

#endif  // ENVCTL_CLOUD_ARM_INTERNAL_LRO_POLLER_H_
