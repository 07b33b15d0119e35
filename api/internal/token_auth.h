// TokenAuth: the optional bearer-token check in front of every EnvironmentService call.
// A client sends gRPC metadata `authorization: Bearer <token>`; the token is compared in
// constant time and never logged or echoed in an error. Immutable after construction, so
// safe from several threads.
#ifndef ENVCTL_API_INTERNAL_TOKEN_AUTH_H_
#define ENVCTL_API_INTERNAL_TOKEN_AUTH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace envctl::api::internal {

class TokenAuth {
 public:
  // An empty `token` disables the check: every call is allowed.
  explicit TokenAuth(std::string token) : token_(std::move(token)) {}

  bool enabled() const { return !token_.empty(); }

  // OK when the check is disabled or `authorization` carries `Bearer <token>` (scheme
  // case-insensitive); UNAUTHENTICATED otherwise, saying what is missing or wrong.
  grpc::Status Check(const grpc::ServerContext& context) const;
  // The same check on the value of the authorization header (absent: nullptr).
  grpc::Status CheckHeader(const absl::string_view* authorization) const;

 private:
  const std::string token_;
};

}  // namespace envctl::api::internal

#endif  // ENVCTL_API_INTERNAL_TOKEN_AUTH_H_
