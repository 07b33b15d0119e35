#include "spec/internal/yaml_to_proto.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "spec/internal/substitute.h"
#include "spec/internal/suggest.h"

namespace envctl::spec::internal {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : absl::StrCat(path, ".", name);
}

bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

// "DRIFT_POLICY_" for DriftPolicy: the prefix every value name of the enum shares.
std::string EnumPrefix(const EnumDescriptor* e) {
  std::string prefix;
  const std::string& name = e->name();
  for (size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(name[i]))) prefix.push_back('_');
    prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(name[i]))));
  }
  return prefix + "_";
}

std::string ShortEnumName(const EnumValueDescriptor* v) {
  const std::string prefix = EnumPrefix(v->type());
  std::string name = v->name();
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor* e, const std::string& text) {
  if (const auto* v = e->FindValueByName(text)) return v;
  std::string upper = absl::AsciiStrToUpper(text);
  for (char& c : upper) {
    if (c == '-') c = '_';
  }
  if (const auto* v = e->FindValueByName(upper)) return v;
  if (const auto* v = e->FindValueByName(EnumPrefix(e) + upper)) return v;
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) return e->FindValueByNumber(number);
  return nullptr;
}

std::string FieldTypeName(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES ? "base64 bytes" : "a string";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return "an enum name";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "a map of fields";
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return "a number";
    default:
      return "an integer";
  }
}

bool IsWrapper(const Descriptor* d) {
  return d->file()->name() == "google/protobuf/wrappers.proto";
}

}  // namespace

Location LocationOf(const std::string& file, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return Location{file, 0, 0};
  return Location{file, m.line + 1, m.column + 1};
}

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("the scalar \"", node.Scalar(), "\"");
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

ProtoBuilder::ProtoBuilder(std::string file, const std::map<std::string, std::string>* params,
                           Diagnostics* diags, FieldMarks* marks)
    : file_(std::move(file)), params_(params), diags_(diags), marks_(marks) {}

void ProtoBuilder::Error(const YAML::Node& node, const std::string& path, std::string message) {
  diags_->Add(LocationOf(file_, node), path, std::move(message));
  if (marks_ != nullptr) (*marks_)[kErrorMark + path] = LocationOf(file_, node);
}

void ProtoBuilder::Mark(const std::string& path, const YAML::Node& node) {
  if (marks_ != nullptr) (*marks_)[path] = LocationOf(file_, node);
}

void ProtoBuilder::Build(const YAML::Node& node, const std::string& path, Message* msg) {
  Mark(path, node);
  BuildMessage(node, path, msg);
}

std::string ProtoBuilder::Scalar(const YAML::Node& node, const std::string& path) {
  const std::string& raw = node.Scalar();
  if (params_ == nullptr) return raw;
  Substitution s = Substitute(raw, *params_);
  const Location base = LocationOf(file_, node);
  for (const TextError& e : s.errors) {
    Location at = base;
    // Point at the placeholder itself when the scalar sits on one line.
    if (at.line > 0 && raw.find('\n') > e.offset) {
      at.column += static_cast<int>(e.offset) + (IsQuoted(node) ? 1 : 0);
    }
    diags_->Add(at, path, e.message);
    if (marks_ != nullptr) (*marks_)[kErrorMark + path] = at;
  }
  return s.text;
}

void ProtoBuilder::BuildMessage(const YAML::Node& node, const std::string& path, Message* msg) {
  const Descriptor* d = msg->GetDescriptor();
  if (node.IsNull()) return;
  if (BuildWellKnown(node, path, msg)) return;
  if (!node.IsMap()) {
    if (node.IsScalar() && ScalarShorthand(node, path, msg)) return;
    Error(node, path,
          absl::StrCat("expected a map of ", d->name(), " fields, got ", DescribeNode(node)));
    return;
  }
  const Reflection* r = msg->GetReflection();
  std::map<int, Location> seen;
  std::map<const google::protobuf::OneofDescriptor*, const FieldDescriptor*> oneof_set;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Error(key, path,
            absl::StrCat("a field name must be a plain string, got ", DescribeNode(key)));
      continue;
    }
    const std::string name = key.Scalar();
    const FieldDescriptor* field = nullptr;
    for (int i = 0; i < d->field_count() && field == nullptr; ++i) {
      if (d->field(i)->json_name() == name || d->field(i)->name() == name) field = d->field(i);
    }
    // SourceLocation is filled by the loader; a user writing it would be ignored silently.
    if (field != nullptr && d->full_name() == "envctl.v1.Resource" && field->name() == "source") {
      field = nullptr;
    }
    if (field == nullptr) {
      std::vector<std::string> known;
      for (int i = 0; i < d->field_count(); ++i) {
        if (d->field(i)->name() != "source" || d->full_name() != "envctl.v1.Resource") {
          known.push_back(d->field(i)->json_name());
        }
      }
      std::string hint = DidYouMean(name, known);
      if (hint.empty()) hint = absl::StrCat(" (known fields: ", absl::StrJoin(known, ", "), ")");
      Error(key, Join(path, name),
            absl::StrCat("unknown field \"", name, "\" in ", d->name(), hint));
      continue;
    }
    const std::string field_path = Join(path, field->json_name());
    auto [prev, inserted] = seen.emplace(field->number(), LocationOf(file_, key));
    if (!inserted) {
      Error(key, field_path,
            absl::StrCat("set twice (first at line ", prev->second.line, "); keep one"));
      continue;
    }
    if (const auto* oneof = field->real_containing_oneof()) {
      auto [other, fresh] = oneof_set.emplace(oneof, field);
      if (!fresh) {
        if (oneof->name() == "kind" && d->full_name() == "envctl.v1.Resource") {
          Error(key, field_path,
                absl::StrCat("a resource has exactly one kind, but this one sets both ",
                             other->second->json_name(), " and ", field->json_name(),
                             "; split it into two resources"));
        } else {
          Error(
              key, field_path,
              absl::StrCat("only one of ", other->second->json_name(), " and ", field->json_name(),
                           " may be set (they are alternatives in ", d->name(), ")"));
        }
        continue;
      }
    }
    // Scalars are located at their value, maps and lists at their key.
    Mark(field_path, value.IsScalar() ? value : key);
    SetField(value, field_path, msg, field);
  }
  (void)r;
}

void ProtoBuilder::SetField(const YAML::Node& value, const std::string& path, Message* msg,
                            const FieldDescriptor* field) {
  if (field->is_map()) {
    SetMap(value, path, msg, field);
    return;
  }
  if (field->is_repeated()) {
    if (value.IsNull()) return;
    if (!value.IsSequence()) {
      Error(value, path,
            absl::StrCat("expected a list, got ", DescribeNode(value), "; write `[",
                         value.IsScalar() ? value.Scalar() : "...",
                         "]` or one "
                         "`- item` per line"));
      return;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_path = absl::StrCat(path, "[", i, "]");
      Mark(item_path, value[i]);
      SetSingle(value[i], item_path, msg, field);
    }
    return;
  }
  if (value.IsNull() && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return;
  SetSingle(value, path, msg, field);
}

void ProtoBuilder::SetMap(const YAML::Node& value, const std::string& path, Message* msg,
                          const FieldDescriptor* field) {
  if (value.IsNull()) return;
  if (!value.IsMap()) {
    Error(value, path, absl::StrCat("expected a map of key: value, got ", DescribeNode(value)));
    return;
  }
  const Descriptor* entry = field->message_type();
  const FieldDescriptor* key_field = entry->map_key();
  const FieldDescriptor* value_field = entry->map_value();
  std::set<std::string> keys;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(it->first, path,
            absl::StrCat("a map key must be a scalar, got ", DescribeNode(it->first)));
      continue;
    }
    const std::string key = Scalar(it->first, path);
    const std::string entry_path = Join(path, key);
    if (!keys.insert(key).second) {
      Error(it->first, entry_path, "key set twice; keep one");
      continue;
    }
    Message* e = msg->GetReflection()->AddMessage(msg, field);
    const Reflection* er = e->GetReflection();
    if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      er->SetString(e, key_field, key);
    } else {
      SetSingle(it->first, entry_path, e, key_field);
    }
    Mark(entry_path, it->second);
    if (it->second.IsNull() && value_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    SetSingle(it->second, entry_path, e, value_field);
  }
}

void ProtoBuilder::SetSingle(const YAML::Node& value, const std::string& path, Message* msg,
                             const FieldDescriptor* field) {
  const Reflection* r = msg->GetReflection();
  const bool repeated = field->is_repeated();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* sub = repeated ? r->AddMessage(msg, field) : r->MutableMessage(msg, field);
    BuildMessage(value, path, sub);
    return;
  }
  if (!value.IsScalar()) {
    Error(value, path,
          absl::StrCat("expected ", FieldTypeName(field), ", got ", DescribeNode(value)));
    return;
  }
  const std::string text = Scalar(value, path);
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING && !FindOutputRefs(text).empty()) {
    Error(value, path,
          absl::StrCat("an output reference cannot be used here: this field takes ",
                       FieldTypeName(field), ", known when the repo is loaded"));
    return;
  }
  auto bad = [&](const std::string& expected) {
    Error(value, path, absl::StrCat("expected ", expected, ", got \"", text, "\""));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v = text;
      if (field->type() == FieldDescriptor::TYPE_BYTES && !absl::Base64Unescape(text, &v)) {
        bad("base64 bytes");
        return;
      }
      repeated ? r->AddString(msg, field, v) : r->SetString(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower != "true" && lower != "false") {
        bad("true or false");
        return;
      }
      repeated ? r->AddBool(msg, field, lower == "true") : r->SetBool(msg, field, lower == "true");
      return;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = FindEnumValue(field->enum_type(), text);
      if (v == nullptr) {
        std::vector<std::string> names;
        for (int i = 0; i < field->enum_type()->value_count(); ++i) {
          if (field->enum_type()->value(i)->number() != 0) {
            names.push_back(ShortEnumName(field->enum_type()->value(i)));
          }
        }
        Error(value, path,
              absl::StrCat("unknown value \"", text, "\"", DidYouMean(text, names), "; use one of ",
                           absl::StrJoin(names, ", ")));
        return;
      }
      repeated ? r->AddEnum(msg, field, v) : r->SetEnum(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("an integer between -2147483648 and 2147483647");
      repeated ? r->AddInt32(msg, field, v) : r->SetInt32(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("a 64-bit integer");
      repeated ? r->AddInt64(msg, field, v) : r->SetInt64(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("an integer between 0 and 4294967295");
      repeated ? r->AddUInt32(msg, field, v) : r->SetUInt32(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("a non-negative 64-bit integer");
      repeated ? r->AddUInt64(msg, field, v) : r->SetUInt64(msg, field, v);
      return;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = 0;
      if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) return bad("a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? r->AddFloat(msg, field, static_cast<float>(v))
                 : r->SetFloat(msg, field, static_cast<float>(v));
      } else {
        repeated ? r->AddDouble(msg, field, v) : r->SetDouble(msg, field, v);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return;
  }
}

bool ProtoBuilder::BuildWellKnown(const YAML::Node& node, const std::string& path, Message* msg) {
  const Descriptor* d = msg->GetDescriptor();
  const Reflection* r = msg->GetReflection();
  const std::string& type = d->full_name();
  if (type == "google.protobuf.Duration") {
    if (!node.IsScalar()) {
      Error(node, path,
            absl::StrCat("expected a duration such as \"30s\", \"10m\" or \"1h30m\", got ",
                         DescribeNode(node)));
      return true;
    }
    const std::string text = Scalar(node, path);
    absl::Duration duration;
    if (!absl::ParseDuration(text, &duration) || duration < absl::ZeroDuration() ||
        duration == absl::InfiniteDuration()) {
      Error(node, path,
            absl::StrCat("invalid duration \"", text,
                         "\": write a positive duration such as \"30s\", \"10m\" or \"1h30m\""));
      return true;
    }
    const int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
    r->SetInt64(msg, d->FindFieldByName("seconds"), seconds);
    r->SetInt32(msg, d->FindFieldByName("nanos"),
                static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
    return true;
  }
  if (IsWrapper(d)) {
    SetSingle(node, path, msg, d->FindFieldByName("value"));
    return true;
  }
  if (type == "google.protobuf.Value") {
    BuildValue(node, path, msg);
    return true;
  }
  if (type == "google.protobuf.Struct") {
    if (!node.IsMap()) {
      Error(node, path, absl::StrCat("expected a map, got ", DescribeNode(node)));
      return true;
    }
    SetMap(node, path, msg, d->FindFieldByName("fields"));
    return true;
  }
  if (type == "google.protobuf.ListValue") {
    if (!node.IsSequence()) {
      Error(node, path, absl::StrCat("expected a list, got ", DescribeNode(node)));
      return true;
    }
    const FieldDescriptor* values = d->FindFieldByName("values");
    for (size_t i = 0; i < node.size(); ++i) {
      BuildValue(node[i], absl::StrCat(path, "[", i, "]"), r->AddMessage(msg, values));
    }
    return true;
  }
  if (absl::StartsWith(type, "google.protobuf.")) {
    Error(node, path, absl::StrCat(type, " is not supported in specs"));
    return true;
  }
  return false;
}

void ProtoBuilder::BuildValue(const YAML::Node& node, const std::string& path, Message* value) {
  const Descriptor* d = value->GetDescriptor();
  const Reflection* r = value->GetReflection();
  if (node.IsNull()) {
    r->SetEnum(value, d->FindFieldByName("null_value"),
               d->FindFieldByName("null_value")->enum_type()->value(0));
  } else if (node.IsMap()) {
    BuildMessage(node, path, r->MutableMessage(value, d->FindFieldByName("struct_value")));
  } else if (node.IsSequence()) {
    BuildWellKnown(node, path, r->MutableMessage(value, d->FindFieldByName("list_value")));
  } else {
    // JSON typing of plain scalars: numbers and booleans keep their type, quoted text
    // stays a string.
    const std::string text = Scalar(node, path);
    double number = 0;
    if (!IsQuoted(node) && (text == "true" || text == "false")) {
      r->SetBool(value, d->FindFieldByName("bool_value"), text == "true");
    } else if (!IsQuoted(node) && absl::SimpleAtod(text, &number) && std::isfinite(number)) {
      r->SetDouble(value, d->FindFieldByName("number_value"), number);
    } else {
      r->SetString(value, d->FindFieldByName("string_value"), text);
    }
  }
}

bool ProtoBuilder::ScalarShorthand(const YAML::Node& node, const std::string& path, Message* msg) {
  const std::string& type = msg->GetDescriptor()->full_name();
  if (type == "envctl.v1.ValueSource") {
    Error(node, path,
          "a secret value is never written in the repo: use `{output: RESOURCE.OUTPUT}` "
          "(e.g. `{output: workspace.token}`) or `{env: VARIABLE}` read at apply time");
    return true;
  }
  if (type == "envctl.v1.OutputRef") {
    // Shorthand `output: workspace.token` (or `${workspace.token}`).
    std::string text = Scalar(node, path);
    if (absl::StartsWith(text, "${") && absl::EndsWith(text, "}")) {
      text = text.substr(2, text.size() - 3);
    }
    const size_t dot = text.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
      // Not echoed: this is where a pasted secret would land.
      Error(node, path,
            "expected RESOURCE.OUTPUT (e.g. workspace.token) or {resource: R, output: O}");
      return true;
    }
    const Descriptor* d = msg->GetDescriptor();
    msg->GetReflection()->SetString(msg, d->FindFieldByName("resource"), text.substr(0, dot));
    msg->GetReflection()->SetString(msg, d->FindFieldByName("output"), text.substr(dot + 1));
    return true;
  }
  return false;
}

}  // namespace envctl::spec::internal
