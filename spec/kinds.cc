#include "spec/kinds.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace envctl::spec {

namespace {

using envctl::v1::Resource;

const google::protobuf::FieldDescriptor* KindFieldDescriptor(Kind kind) {
  if (kind == Resource::KIND_NOT_SET) return nullptr;
  return Resource::descriptor()->FindFieldByNumber(static_cast<int>(kind));
}

}  // namespace

std::string KindName(Kind kind) {
  const auto* field = KindFieldDescriptor(kind);
  if (field == nullptr || field->message_type() == nullptr) return "";
  // Kinds are named after their spec message: StorageAccountSpec -> StorageAccount.
  absl::string_view name = field->message_type()->name();
  if (absl::EndsWith(name, "Spec")) name.remove_suffix(4);
  return std::string(name);
}

std::string KindName(const Resource& resource) { return KindName(resource.kind_case()); }

std::string KindField(Kind kind) {
  const auto* field = KindFieldDescriptor(kind);
  return field == nullptr ? "" : field->json_name();
}

const std::vector<Kind>& AllKinds() {
  static const std::vector<Kind>* kinds = [] {
    auto* out = new std::vector<Kind>();
    const auto* oneof = Resource::descriptor()->FindOneofByName("kind");
    for (int i = 0; i < oneof->field_count(); ++i) {
      out->push_back(static_cast<Kind>(oneof->field(i)->number()));
    }
    return out;
  }();
  return *kinds;
}

const std::vector<std::string>& OutputsOf(Kind kind) {
  static const auto* outputs = new std::map<Kind, std::vector<std::string>>{
      {Resource::kResourceGroup, {"id"}},
      {Resource::kStorageAccount,
       {"primaryKey", "secondaryKey", "connectionString", "id", "dfsEndpoint"}},
      {Resource::kKeyVault, {"vaultUri", "id"}},
      {Resource::kDataFactory, {"principalId", "id"}},
      {Resource::kDatabricksWorkspace, {"token", "workspaceUrl", "id"}},
  };
  static const auto* none = new std::vector<std::string>();
  auto it = outputs->find(kind);
  return it == outputs->end() ? *none : it->second;
}

bool HasOutput(Kind kind, const std::string& output) {
  const auto& outs = OutputsOf(kind);
  return std::find(outs.begin(), outs.end(), output) != outs.end();
}

}  // namespace envctl::spec
