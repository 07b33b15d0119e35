#include "api/internal/token_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/secret_equals.h"

namespace envctl::api::internal {

grpc::Status TokenAuth::CheckHeader(const absl::string_view* authorization) const {
  if (!enabled()) return grpc::Status::OK;
  if (authorization == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing authorization metadata: this server requires "
                        "'authorization: Bearer <token>' (see the controller's api token setting)");
  }
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authorization metadata is not a bearer token: send "
                        "'authorization: Bearer <token>'");
  }
  absl::string_view presented = absl::StripLeadingAsciiWhitespace(value.substr(kScheme.size()));
  if (!SecretEquals(presented, token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }
  return grpc::Status::OK;
}

grpc::Status TokenAuth::Check(const grpc::ServerContext& context) const {
  if (!enabled()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return CheckHeader(nullptr);
  absl::string_view value(it->second.data(), it->second.size());
  return CheckHeader(&value);
}

}  // namespace envctl::api::internal
