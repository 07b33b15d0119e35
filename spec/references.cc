#include "spec/references.h"

#include "absl/strings/str_cat.h"
#include "spec/internal/substitute.h"
#include "spec/kinds.h"

namespace envctl::spec {

namespace {

using envctl::v1::Resource;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : absl::StrCat(path, ".", name);
}

void AddTextRefs(const std::string& path, const std::string& text, std::vector<Reference>* out) {
  for (const auto& ref : internal::FindOutputRefs(text)) {
    out->push_back(Reference{path, ref.resource, Resource::KIND_NOT_SET, ref.output});
  }
}

// Finds `${resource.output}` in every string field under `msg`.
void WalkStrings(const Message& msg, const std::string& path, std::vector<Reference>* out) {
  const auto* d = msg.GetDescriptor();
  const auto* r = msg.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string field_path = Join(path, f->json_name());
    if (f->is_map()) {
      const FieldDescriptor* key = f->message_type()->map_key();
      const FieldDescriptor* value = f->message_type()->map_value();
      for (int i = 0; i < r->FieldSize(msg, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(msg, f, i);
        const std::string k = key->cpp_type() == FieldDescriptor::CPPTYPE_STRING
                                  ? entry.GetReflection()->GetString(entry, key)
                                  : absl::StrCat(i);
        if (value->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          AddTextRefs(Join(field_path, k), entry.GetReflection()->GetString(entry, value), out);
        } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          WalkStrings(entry.GetReflection()->GetMessage(entry, value), Join(field_path, k), out);
        }
      }
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        f->type() != FieldDescriptor::TYPE_BYTES) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
          AddTextRefs(absl::StrCat(field_path, "[", i, "]"), r->GetRepeatedString(msg, f, i), out);
        }
      } else {
        AddTextRefs(field_path, r->GetString(msg, f), out);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
          WalkStrings(r->GetRepeatedMessage(msg, f, i), absl::StrCat(field_path, "[", i, "]"), out);
        }
      } else {
        WalkStrings(r->GetMessage(msg, f), field_path, out);
      }
    }
  }
  (void)d;
}

void AddName(std::vector<Reference>* out, const std::string& path, const std::string& target,
             Kind kind) {
  if (!target.empty()) out->push_back(Reference{path, target, kind, ""});
}

void AddValue(std::vector<Reference>* out, const std::string& path,
              const envctl::v1::ValueSource& v) {
  if (v.has_output() && !v.output().resource().empty()) {
    out->push_back(Reference{Join(path, "output"), v.output().resource(), Resource::KIND_NOT_SET,
                             v.output().output()});
  }
}

void AddPrincipal(std::vector<Reference>* out, const std::string& path,
                  const envctl::v1::PrincipalRef& p) {
  AddName(out, Join(path, "dataFactory"), p.data_factory(), Resource::kDataFactory);
  AddName(out, Join(path, "userAssignedIdentity"), p.user_assigned_identity(),
          Resource::kUserAssignedIdentity);
}

void AddCovers(std::vector<Reference>* out, const std::string& path,
               const google::protobuf::RepeatedPtrField<std::string>& covers) {
  for (int i = 0; i < covers.size(); ++i) {
    AddName(out, absl::StrCat(path, "[", i, "]"), covers[i], Resource::KIND_NOT_SET);
  }
}

}  // namespace

std::vector<Reference> References(const Resource& r) {
  std::vector<Reference> out;
  for (int i = 0; i < r.depends_on_size(); ++i) {
    AddName(&out, absl::StrCat("dependsOn[", i, "]"), r.depends_on(i), Resource::KIND_NOT_SET);
  }
  switch (r.kind_case()) {
    case Resource::kStorageAccount:
      AddName(&out, "storageAccount.resourceGroup", r.storage_account().resource_group(),
              Resource::kResourceGroup);
      break;
    case Resource::kKeyVault: {
      const auto& kv = r.key_vault();
      AddName(&out, "keyVault.resourceGroup", kv.resource_group(), Resource::kResourceGroup);
      for (int i = 0; i < kv.access_policies_size(); ++i) {
        AddPrincipal(&out, absl::StrCat("keyVault.accessPolicies[", i, "].principal"),
                     kv.access_policies(i).principal());
      }
      break;
    }
    case Resource::kRoleAssignment: {
      const auto& ra = r.role_assignment();
      // A scope that is an ARM id ("/subscriptions/...") is not a reference.
      if (!ra.scope().empty() && ra.scope()[0] != '/') {
        AddName(&out, "roleAssignment.scope", ra.scope(), Resource::KIND_NOT_SET);
      }
      AddPrincipal(&out, "roleAssignment.principal", ra.principal());
      break;
    }
    case Resource::kUserAssignedIdentity:
      AddName(&out, "userAssignedIdentity.resourceGroup",
              r.user_assigned_identity().resource_group(), Resource::kResourceGroup);
      break;
    case Resource::kKeyVaultSecret:
      AddName(&out, "keyVaultSecret.vault", r.key_vault_secret().vault(), Resource::kKeyVault);
      AddValue(&out, "keyVaultSecret.value", r.key_vault_secret().value());
      break;
    case Resource::kDataFactory:
      AddName(&out, "dataFactory.resourceGroup", r.data_factory().resource_group(),
              Resource::kResourceGroup);
      for (int i = 0; i < r.data_factory().user_assigned_identities_size(); ++i) {
        AddName(&out, absl::StrCat("dataFactory.userAssignedIdentities[", i, "]"),
                r.data_factory().user_assigned_identities(i), Resource::kUserAssignedIdentity);
      }
      break;
    case Resource::kDataFactoryDefinitions:
      AddName(&out, "dataFactoryDefinitions.dataFactory",
              r.data_factory_definitions().data_factory(), Resource::kDataFactory);
      break;
    case Resource::kDatabricksWorkspace:
      AddName(&out, "databricksWorkspace.provisioned.resourceGroup",
              r.databricks_workspace().provisioned().resource_group(), Resource::kResourceGroup);
      break;
    case Resource::kDatabricksNotebooks:
      AddName(&out, "databricksNotebooks.workspace", r.databricks_notebooks().workspace(),
              Resource::kDatabricksWorkspace);
      break;
    case Resource::kDatabricksSecretScope: {
      const auto& s = r.databricks_secret_scope();
      AddName(&out, "databricksSecretScope.workspace", s.workspace(),
              Resource::kDatabricksWorkspace);
      AddName(&out, "databricksSecretScope.keyVault", s.key_vault(), Resource::kKeyVault);
      for (int i = 0; i < s.secrets_size(); ++i) {
        AddValue(&out, absl::StrCat("databricksSecretScope.secrets[", i, "].value"),
                 s.secrets(i).value());
      }
      break;
    }
    case Resource::kDatabricksLibrary:
      AddName(&out, "databricksLibrary.workspace", r.databricks_library().workspace(),
              Resource::kDatabricksWorkspace);
      break;
    case Resource::kIntegrationTest:
      AddName(&out, "integrationTest.workspace", r.integration_test().workspace(),
              Resource::kDatabricksWorkspace);
      AddName(&out, "integrationTest.existingCluster", r.integration_test().existing_cluster(),
              Resource::kDatabricksCluster);
      AddName(&out, "integrationTest.clusterPolicy", r.integration_test().cluster_policy(),
              Resource::kDatabricksClusterPolicy);
      AddCovers(&out, "integrationTest.covers", r.integration_test().covers());
      break;
    case Resource::kDatabricksClusterPolicy:
      AddName(&out, "databricksClusterPolicy.workspace", r.databricks_cluster_policy().workspace(),
              Resource::kDatabricksWorkspace);
      break;
    case Resource::kDatabricksCluster:
      AddName(&out, "databricksCluster.workspace", r.databricks_cluster().workspace(),
              Resource::kDatabricksWorkspace);
      AddName(&out, "databricksCluster.spec.policy", r.databricks_cluster().spec().policy(),
              Resource::kDatabricksClusterPolicy);
      break;
    case Resource::kDatabricksJob: {
      const auto& j = r.databricks_job();
      AddName(&out, "databricksJob.workspace", j.workspace(), Resource::kDatabricksWorkspace);
      for (int i = 0; i < j.job_clusters_size(); ++i) {
        AddName(&out, absl::StrCat("databricksJob.jobClusters[", i, "].spec.policy"),
                j.job_clusters(i).spec().policy(), Resource::kDatabricksClusterPolicy);
      }
      for (int i = 0; i < j.tasks_size(); ++i) {
        const auto& t = j.tasks(i);
        const std::string p = absl::StrCat("databricksJob.tasks[", i, "]");
        // Notebooks and libraries matter when a run starts, not to jobs/create.
        const size_t run_time_from = out.size();
        AddName(&out, p + ".notebook.notebook.notebooks", t.notebook().notebook().notebooks(),
                Resource::kDatabricksNotebooks);
        for (int l = 0; l < t.libraries_size(); ++l) {
          AddName(&out, absl::StrCat(p, ".libraries[", l, "]"), t.libraries(l),
                  Resource::kDatabricksLibrary);
        }
        for (size_t k = run_time_from; k < out.size(); ++k) out[k].run_time = true;
        AddName(&out, p + ".existingCluster", t.existing_cluster(), Resource::kDatabricksCluster);
      }
      break;
    }
    case Resource::kDatabricksPermissions: {
      const auto& p = r.databricks_permissions();
      AddName(&out, "databricksPermissions.workspace", p.workspace(),
              Resource::kDatabricksWorkspace);
      AddName(&out, "databricksPermissions.job", p.job(), Resource::kDatabricksJob);
      AddName(&out, "databricksPermissions.cluster", p.cluster(), Resource::kDatabricksCluster);
      AddName(&out, "databricksPermissions.clusterPolicy", p.cluster_policy(),
              Resource::kDatabricksClusterPolicy);
      AddName(&out, "databricksPermissions.notebook.notebooks", p.notebook().notebooks(),
              Resource::kDatabricksNotebooks);
      AddName(&out, "databricksPermissions.directory", p.directory(),
              Resource::kDatabricksNotebooks);
      break;
    }
    case Resource::kJobRunTest:
      AddName(&out, "jobRunTest.job", r.job_run_test().job(), Resource::kDatabricksJob);
      AddCovers(&out, "jobRunTest.covers", r.job_run_test().covers());
      break;
    case Resource::kPipelineRunTest:
      AddName(&out, "pipelineRunTest.dataFactory", r.pipeline_run_test().data_factory(),
              Resource::kDataFactory);
      AddCovers(&out, "pipelineRunTest.covers", r.pipeline_run_test().covers());
      break;
    default:
      break;
  }
  WalkStrings(r, "", &out);
  return out;
}

std::vector<Reference> ContentReferences(const envctl::v1::ResourceContent& content) {
  std::vector<Reference> out;
  for (const auto& file : content.files()) {
    AddTextRefs(absl::StrCat("files/", file.path()), file.content(), &out);
  }
  return out;
}

std::set<std::string> ResourceDependencies(const Resource& resource) {
  std::set<std::string> deps;
  for (const Reference& ref : References(resource)) {
    if (!ref.run_time) deps.insert(ref.target);
  }
  deps.erase(resource.name());
  return deps;
}

std::map<std::string, std::set<std::string>> ImpliedDependencies(
    const envctl::v1::Environment& env) {
  std::map<std::string, std::string> rbac_vaults;  // vault -> its resource group resource
  std::map<std::string, std::set<std::string>> deployer_grants;  // scope -> assignments
  for (const auto& r : env.resources()) {
    if (!IsEnabled(r)) continue;
    if (r.has_key_vault() && r.key_vault().enable_rbac_authorization())
      rbac_vaults[r.name()] = r.key_vault().resource_group();
    if (r.has_role_assignment() && r.role_assignment().principal().deployer())
      deployer_grants[r.role_assignment().scope()].insert(r.name());
  }
  std::map<std::string, std::set<std::string>> out;
  // A job run test waits for what its job's tasks run.
  for (const auto& test : env.resources()) {
    if (!IsEnabled(test) || !test.has_job_run_test()) continue;
    for (const auto& job : env.resources()) {
      if (job.name() != test.job_run_test().job() || !job.has_databricks_job()) continue;
      for (const Reference& ref : References(job)) {
        if (ref.run_time && ref.target != test.name()) out[test.name()].insert(ref.target);
      }
    }
  }
  for (const auto& r : env.resources()) {
    if (!IsEnabled(r) || !r.has_key_vault_secret()) continue;
    auto vault = rbac_vaults.find(r.key_vault_secret().vault());
    if (vault == rbac_vaults.end()) continue;
    for (const std::string& scope : {vault->first, vault->second}) {
      auto grants = deployer_grants.find(scope);
      if (grants != deployer_grants.end())
        out[r.name()].insert(grants->second.begin(), grants->second.end());
    }
  }
  return out;
}

std::map<std::string, std::set<std::string>> DependencyMap(const envctl::v1::Environment& env) {
  std::set<std::string> enabled;
  for (const auto& r : env.resources()) {
    if (IsEnabled(r)) enabled.insert(r.name());
  }
  std::map<std::string, std::set<std::string>> out;
  for (const auto& r : env.resources()) {
    if (!enabled.count(r.name())) continue;
    std::set<std::string>& deps = out[r.name()];
    for (const std::string& d : ResourceDependencies(r)) {
      if (enabled.count(d)) deps.insert(d);
    }
  }
  return out;
}

}  // namespace envctl::spec
