// Builds a protobuf message from a yaml-cpp node by walking the node together with the
// message's Descriptor, honouring protobuf's JSON mapping (json_name or proto field name,
// enums by name or short lower-case form, wrappers, Duration strings, Struct/Value,
// maps, repeated fields, oneofs, integer ranges). Unlike JsonStringToMessage it keeps
// going after an error and reports every problem with `file:line:column` and the field
// path, and it substitutes `${param}` in every scalar.
// Not thread-safe: one builder per document.
#ifndef ENVCTL_SPEC_INTERNAL_YAML_TO_PROTO_H_
#define ENVCTL_SPEC_INTERNAL_YAML_TO_PROTO_H_

#include <map>
#include <string>

#include "google/protobuf/message.h"
#include "spec/diagnostic.h"
#include "yaml-cpp/yaml.h"

namespace envctl::spec::internal {

// Where each field set while building was written, keyed by its path relative to the
// document ("storageAccount.containers[0].name"; map entries as "tags.owner"; "" is the
// document itself).
// Paths that already had an error are also recorded, prefixed with kErrorMark, so later
// checks do not pile a second message on the same mistake.
using FieldMarks = std::map<std::string, Location>;
inline constexpr char kErrorMark[] = "!";

// 1-based location of a node (the file as a whole when the node has no mark).
Location LocationOf(const std::string& file, const YAML::Node& node);

// "a map", "a list", "a string", "null" - for error messages.
std::string DescribeNode(const YAML::Node& node);

class ProtoBuilder {
 public:
  // `params` (may be null: no substitution) supplies `${name}` values; errors go to
  // `diags`; field locations to `marks` (may be null).
  ProtoBuilder(std::string file, const std::map<std::string, std::string>* params,
               Diagnostics* diags, FieldMarks* marks);

  // Fills `msg` from `node` (a map); `path` prefixes every field path in diagnostics.
  void Build(const YAML::Node& node, const std::string& path, google::protobuf::Message* msg);

  // Substitutes parameters in one scalar, reporting errors at the scalar's location.
  std::string Scalar(const YAML::Node& node, const std::string& path);

 private:
  void BuildMessage(const YAML::Node& node, const std::string& path,
                    google::protobuf::Message* msg);
  void SetField(const YAML::Node& value, const std::string& path, google::protobuf::Message* msg,
                const google::protobuf::FieldDescriptor* field);
  void SetMap(const YAML::Node& value, const std::string& path, google::protobuf::Message* msg,
              const google::protobuf::FieldDescriptor* field);
  // Sets (or, for repeated fields, adds) one value.
  void SetSingle(const YAML::Node& value, const std::string& path, google::protobuf::Message* msg,
                 const google::protobuf::FieldDescriptor* field);
  bool BuildWellKnown(const YAML::Node& node, const std::string& path,
                      google::protobuf::Message* msg);
  void BuildValue(const YAML::Node& node, const std::string& path,
                  google::protobuf::Message* value);
  // Handles a scalar where a message is expected; true when it was a supported shorthand.
  bool ScalarShorthand(const YAML::Node& node, const std::string& path,
                       google::protobuf::Message* msg);
  void Error(const YAML::Node& node, const std::string& path, std::string message);
  void Mark(const std::string& path, const YAML::Node& node);

  std::string file_;
  const std::map<std::string, std::string>* params_;
  Diagnostics* diags_;
  FieldMarks* marks_;
};

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_YAML_TO_PROTO_H_
