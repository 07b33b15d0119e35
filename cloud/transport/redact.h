// Redaction of secrets from anything envctl logs or puts in an error message: request
// URLs (SAS signatures, tokens in query strings), headers (Authorization, identity and
// management tokens) and free text (error messages that might echo a token, a form body
// with client_secret, JSON with access_token / value / token_value fields).
// The request log never contains bodies at all; these helpers scrub what remains.
// All functions are pure and thread-safe.
#ifndef ENVCTL_CLOUD_TRANSPORT_REDACT_H_
#define ENVCTL_CLOUD_TRANSPORT_REDACT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "cloud/transport/http_transport.h"

namespace envctl::cloud {

// The replacement for every redacted value.
inline constexpr absl::string_view kRedacted = "REDACTED";

// True for headers whose values are credentials (Authorization, X-IDENTITY-HEADER,
// X-Databricks-Azure-SP-Management-Token, Cookie, ...). Case-insensitive.
bool IsSensitiveHeader(absl::string_view name);

// True for query parameters whose values are credentials (sig, token, client_secret, ...).
bool IsSensitiveQueryParam(absl::string_view name);

// The URL with the values of sensitive query parameters replaced by REDACTED.
std::string RedactUrl(absl::string_view url);

// The headers with sensitive values replaced by REDACTED.
Headers RedactHeaders(const Headers& headers);

// Free text with bearer tokens, JWTs, Databricks PATs, `client_secret=` form fields and
// secret-bearing JSON fields ("access_token", "client_secret", "value", "string_value",
// "token_value", "refresh_token", "key", "keys", "authKey1", "authKey2", "password") and
// self-hosted integration runtime auth keys (IR@...) replaced by REDACTED.
std::string RedactText(absl::string_view text);

// `text` with every value the request body carried (JSON string values, form field values,
// 4 characters or longer) replaced by REDACTED, so a service that echoes what it was sent
// into an error message cannot leak a secret value into a log.
std::string RedactEchoes(absl::string_view text, absl::string_view request_body);

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_REDACT_H_
