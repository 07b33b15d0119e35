// Content hash of a resource: what the controller compares to decide whether a resource
// (or a test covering it) changed. SHA-256 over the deterministic protobuf serialization
// of the resource spec (without its output-only `source`) and the path and sha256 of
// each loaded file, sorted by path. Key order and whitespace in the repo do not change
// it; any change of a value or a file does. Pure function; safe from any thread.
#ifndef ENVCTL_SPEC_HASH_H_
#define ENVCTL_SPEC_HASH_H_

#include <string>

#include "envctl/v1/spec.pb.h"

namespace envctl::spec {

// Lowercase hex SHA-256.
std::string ContentHash(const envctl::v1::Resource& resource,
                        const envctl::v1::ResourceContent& content);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_HASH_H_
