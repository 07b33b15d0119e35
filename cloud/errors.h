// Maps cloud service responses to canonical absl::Status codes, once, for every client:
// 400 InvalidArgument (FailedPrecondition for state conflicts), 401 Unauthenticated,
// 403 PermissionDenied, 404 NotFound, 409 AlreadyExists or FailedPrecondition,
// 412 FailedPrecondition, 429 ResourceExhausted (carrying the retry delay), 5xx Unavailable,
// 504 DeadlineExceeded. The service's own error code, message and request id are kept:
// the message reads "<service> <status>: <code>: <message> (request id <id>)" and the code
// and request id are also attached as payloads so callers branch on codes, not strings.
#ifndef ENVCTL_CLOUD_ERRORS_H_
#define ENVCTL_CLOUD_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloud/transport/http_transport.h"

namespace envctl::cloud {

// Which error body shape to parse: ARM and Key Vault `{"error":{"code","message"}}`,
// Databricks `{"error_code","message"}` (error_code string or int), Entra ID
// `{"error","error_description"}`.
enum class Service { kArm, kKeyVault, kDatabricks, kAad, kDataFactory };

// Status for a response; OK for 1xx-3xx. Never includes request/response secrets.
absl::Status StatusFromResponse(Service service, const HttpResponse& response);

// The service's error code (e.g. "ResourceGroupNotFound", "RESOURCE_DOES_NOT_EXIST",
// "TriggerEnabledCannotUpdate"), or "" when the status carries none.
std::string ServiceErrorCode(const absl::Status& status);
// The service's request id (x-ms-request-id, x-request-id), or "".
std::string RequestId(const absl::Status& status);
// For ResourceExhausted/Unavailable: the delay the service asked for (Retry-After), if any.
absl::Duration RetryAfter(const absl::Status& status);

// Additions beyond the original contract.
// The nested error code when the service sends one (Key Vault `innererror.code`, e.g.
// "ObjectIsDeletedButRecoverable"; ARM `details[0].code`), or "".
std::string ServiceInnerErrorCode(const absl::Status& status);
// The HTTP status the error came from, or 0 for errors that did not come from a response.
int HttpStatusOf(const absl::Status& status);
// "ARM", "Key Vault", "Databricks", "Entra ID", "Data Factory".
const char* ServiceName(Service service);
// Response header RetryingTransport adds to the last response it returns after retrying,
// so StatusFromResponse can say how many attempts were made.
inline constexpr char kAttemptsHeader[] = "x-envctl-attempts";

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_ERRORS_H_
