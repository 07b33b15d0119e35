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
      {Resource::kDatabricksClusterPolicy, {"policyId"}},
      {Resource::kDatabricksCluster, {"clusterId"}},
      {Resource::kDatabricksJob, {"jobId"}},
      {Resource::kUserAssignedIdentity, {"principalId", "clientId", "id"}},
      {Resource::kRoleAssignment, {"id"}},
  };
  static const auto* none = new std::vector<std::string>();
  auto it = outputs->find(kind);
  return it == outputs->end() ? *none : it->second;
}

bool HasOutput(Kind kind, const std::string& output) {
  // A self-hosted integration runtime's auth keys: `<runtime>-authKey1` / `-authKey2`.
  if (kind == Resource::kDataFactoryDefinitions &&
      (absl::EndsWith(output, "-authKey1") || absl::EndsWith(output, "-authKey2")) &&
      output.size() > 9) {
    return true;
  }
  const auto& outs = OutputsOf(kind);
  return std::find(outs.begin(), outs.end(), output) != outs.end();
}

std::string ContainerOf(const Resource& resource) {
  switch (resource.kind_case()) {
    case Resource::kDatabricksNotebooks:
      return resource.databricks_notebooks().workspace();
    case Resource::kDatabricksLibrary:
      return resource.databricks_library().workspace();
    case Resource::kDatabricksSecretScope:
      return resource.databricks_secret_scope().workspace();
    case Resource::kIntegrationTest:
      return resource.integration_test().workspace();
    case Resource::kKeyVaultSecret:
      return resource.key_vault_secret().vault();
    case Resource::kDataFactoryDefinitions:
      return resource.data_factory_definitions().data_factory();
    case Resource::kPipelineRunTest:
      return resource.pipeline_run_test().data_factory();
    case Resource::kDatabricksClusterPolicy:
      return resource.databricks_cluster_policy().workspace();
    case Resource::kDatabricksCluster:
      return resource.databricks_cluster().workspace();
    case Resource::kDatabricksJob:
      return resource.databricks_job().workspace();
    case Resource::kDatabricksPermissions:
      return resource.databricks_permissions().workspace();
    case Resource::kJobRunTest:
      return resource.job_run_test().job();
    default:
      return "";
  }
}

bool DeletionRemovesContents(const Resource& container) {
  switch (container.kind_case()) {
    case Resource::kDatabricksWorkspace:
      return container.databricks_workspace().has_provisioned();
    case Resource::kKeyVault:
    case Resource::kDataFactory:
      return true;
    default:
      return false;
  }
}

}  // namespace envctl::spec
