// Conversion of absl::Status (used everywhere inside envctl) to grpc::Status (used only at
// the gRPC boundary). The canonical codes are the same set in both libraries, so the
// mapping is 1:1; the message is kept verbatim. Stateless and thread-safe.
#ifndef ENVCTL_API_INTERNAL_STATUS_CONVERT_H_
#define ENVCTL_API_INTERNAL_STATUS_CONVERT_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace envctl::api::internal {

// The gRPC code with the same meaning as `code`; UNKNOWN for a value outside the
// canonical set.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// `status` as a grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace envctl::api::internal

#endif  // ENVCTL_API_INTERNAL_STATUS_CONVERT_H_
