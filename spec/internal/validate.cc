#include "spec/internal/validate.h"

#include <algorithm>
#include <functional>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spec/internal/ignore_paths.h"
#include "spec/internal/suggest.h"
#include "spec/kinds.h"
#include "spec/names.h"

namespace envctl::spec::internal {

namespace {

using envctl::v1::Resource;

bool IsEnabled(const Resource& r) { return !r.has_enabled() || r.enabled().value(); }

bool OneOf(const std::string& value, const std::vector<std::string>& allowed) {
  return value.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string Allowed(const std::vector<std::string>& allowed) {
  return absl::StrCat("use one of ", absl::StrJoin(allowed, ", "));
}

}  // namespace

EnvironmentValidator::EnvironmentValidator(const envctl::v1::Environment& env,
                                           const std::vector<FieldMarks>& marks, Diagnostics* diags)
    : env_(env), marks_(marks), diags_(diags) {
  for (int i = 0; i < env_.resources_size(); ++i) index_.emplace(env_.resources(i).name(), i);
}

int EnvironmentValidator::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

Location EnvironmentValidator::At(int i, const std::string& path) const {
  const FieldMarks& marks = marks_[i];
  std::string p = path;
  while (true) {
    auto it = marks.find(p);
    if (it != marks.end()) return it->second;
    if (p.empty()) break;
    const size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? "" : p.substr(0, cut);
  }
  const auto& src = env_.resources(i).source();
  return Location{src.file(), src.line(), src.column()};
}

void EnvironmentValidator::Error(int i, const std::string& path, std::string message) {
  if (marks_[i].count(kErrorMark + path)) return;  // one message per mistake
  diags_->Add(At(i, path), path, std::move(message));
}

void EnvironmentValidator::Require(int i, const std::string& path, const std::string& value,
                                   const std::string& what) {
  // A field the user wrote but that failed to parse was already reported.
  if (!value.empty() || AlreadyReported(i, path)) return;
  // Written but empty (`""`, `~`, or a parameter that is empty in this environment).
  if (marks_[i].count(path)) {
    Error(i, path, absl::StrCat("must not be empty: set ", what));
  } else {
    Error(i, path, absl::StrCat("required: set ", what));
  }
}

bool EnvironmentValidator::AlreadyReported(int i, const std::string& path) const {
  const FieldMarks& marks = marks_[i];
  if (marks.count(kErrorMark + path)) return true;
  const size_t cut = path.find_last_of('.');
  const std::string sibling_prefix =
      absl::StrCat(kErrorMark, cut == std::string::npos ? "" : path.substr(0, cut + 1));
  for (auto it = marks.lower_bound(sibling_prefix);
       it != marks.end() && absl::StartsWith(it->first, sibling_prefix); ++it) {
    if (it->first.find_first_of(".[", sibling_prefix.size()) == std::string::npos) return true;
  }
  return false;
}

void EnvironmentValidator::Name(int i, const std::string& path, const std::string& error) {
  if (!error.empty() && !marks_[i].count(kErrorMark + path)) Error(i, path, error);
}

void EnvironmentValidator::CheckPrincipal(int i, const std::string& path,
                                          const envctl::v1::PrincipalRef& principal) {
  switch (principal.principal_case()) {
    case envctl::v1::PrincipalRef::kObjectId:
      Name(i, path + ".objectId", CheckGuid(principal.object_id()));
      break;
    case envctl::v1::PrincipalRef::kDeployer:
      if (!principal.deployer()) {
        Error(i, path + ".deployer",
              "`deployer: false` names no one; use true or another principal");
      }
      break;
    case envctl::v1::PrincipalRef::kDataFactory:
    case envctl::v1::PrincipalRef::kUserAssignedIdentity:
      break;
    default:
      Error(i, path,
            "required: set one of `{objectId: GUID}`, `{dataFactory: RESOURCE}`, "
            "`{userAssignedIdentity: RESOURCE}` or `{deployer: true}`");
  }
}

void EnvironmentValidator::Run() {
  CheckNames();
  for (int i = 0; i < env_.resources_size(); ++i) {
    CheckKind(i);
    CheckIgnoreDifferences(i);
    for (const Reference& ref : References(env_.resources(i)))
      CheckReference(i, ref, At(i, ref.path));
  }
}

void EnvironmentValidator::CheckIgnoreDifferences(int i) {
  const Resource& r = env_.resources(i);
  if (r.kind_case() == Resource::KIND_NOT_SET) return;  // reported by CheckNames
  for (int j = 0; j < r.ignore_differences_size(); ++j) {
    const std::string path = absl::StrCat("ignoreDifferences[", j, "]");
    if (AlreadyReported(i, path)) continue;
    const std::string error = CheckIgnorePath(r.kind_case(), r.ignore_differences(j));
    if (!error.empty()) Error(i, path, error);
  }
}

void EnvironmentValidator::CheckNames() {
  std::map<std::string, int> first;
  for (int i = 0; i < env_.resources_size(); ++i) {
    const Resource& r = env_.resources(i);
    if (r.name().empty()) {
      Error(i, "name", "required: every resource needs a `name` unique in its environment");
      continue;
    }
    Name(i, "name", CheckResourceName(r.name()));
    auto [it, fresh] = first.emplace(r.name(), i);
    if (!fresh) {
      const auto& src = env_.resources(it->second).source();
      Error(i, "name",
            absl::StrCat("duplicate resource name \"", r.name(), "\" (first declared at ",
                         src.file(), ":", src.line(), "); rename one of them"));
    }
    if (r.kind_case() == Resource::KIND_NOT_SET) {
      std::vector<std::string> kinds;
      for (Kind k : AllKinds()) kinds.push_back(KindField(k));
      Error(i, "",
            absl::StrCat("resource \"", r.name(), "\" has no kind: add one of ",
                         absl::StrJoin(kinds, ", ")));
    }
  }
}

void EnvironmentValidator::CheckReference(int from, const Reference& ref, const Location& at) {
  if (!ref.path.empty() && marks_[from].count(kErrorMark + ref.path)) return;
  const Resource& source = env_.resources(from);
  const int target = Find(ref.target);
  if (ref.target == source.name() && ref.output.empty()) {
    diags_->Add(at, ref.path, absl::StrCat("resource \"", ref.target, "\" refers to itself"));
    return;
  }
  if (target < 0) {
    std::vector<std::string> names;
    for (const auto& r : env_.resources()) names.push_back(r.name());
    std::string hint = DidYouMean(ref.target, names);
    diags_->Add(at, ref.path,
                absl::StrCat("no resource named \"", ref.target, "\"",
                             hint.empty() ? "; declare it or fix the name" : hint));
    return;
  }
  const Resource& t = env_.resources(target);
  if (ref.expected_kind != Resource::KIND_NOT_SET && t.kind_case() != ref.expected_kind &&
      t.kind_case() != Resource::KIND_NOT_SET) {
    diags_->Add(at, ref.path,
                absl::StrCat("\"", ref.target, "\" is a ", KindName(t),
                             ", but this field must "
                             "name a ",
                             KindName(ref.expected_kind)));
    return;
  }
  if (!ref.output.empty() && t.kind_case() != Resource::KIND_NOT_SET &&
      !HasOutput(t.kind_case(), ref.output)) {
    const auto& outputs = OutputsOf(t.kind_case());
    diags_->Add(at, ref.path,
                outputs.empty()
                    ? absl::StrCat(KindName(t), " \"", ref.target, "\" has no outputs")
                    : absl::StrCat(KindName(t), " \"", ref.target, "\" has no output \"",
                                   ref.output, "\"", DidYouMean(ref.output, outputs),
                                   "; its outputs are ", absl::StrJoin(outputs, ", ")));
    return;
  }
  if (IsEnabled(source) && !IsEnabled(t)) {
    diags_->Add(at, ref.path,
                absl::StrCat("\"", ref.target, "\" is disabled in environment ", env_.name(),
                             " (enabled: false) but \"", source.name(),
                             "\" is enabled and needs it; disable both or neither"));
  }
}

void EnvironmentValidator::CheckValueSource(int i, const std::string& path,
                                            const envctl::v1::ValueSource& v) {
  if (marks_[i].count(kErrorMark + path)) return;
  switch (v.source_case()) {
    case envctl::v1::ValueSource::kOutput:
      if (v.output().resource().empty() || v.output().output().empty()) {
        Error(i, path + ".output",
              "set both resource and output, e.g. `{output: workspace.token}`");
      }
      return;
    case envctl::v1::ValueSource::kEnv:
      Name(i, path + ".env", CheckEnvVarName(v.env()));
      return;
    default:
      Error(i, path,
            "required: a secret value comes from `{output: RESOURCE.OUTPUT}` or "
            "`{env: VARIABLE}` (never a literal in the repo)");
  }
}

void EnvironmentValidator::CheckKind(int i) {
  const Resource& r = env_.resources(i);
  const std::string k = KindField(r.kind_case()) + ".";
  switch (r.kind_case()) {
    case Resource::kResourceGroup: {
      const auto& s = r.resource_group();
      Require(i, k + "groupName", s.group_name(), "the Azure resource group name");
      if (!s.group_name().empty()) Name(i, k + "groupName", CheckResourceGroupName(s.group_name()));
      if (s.location().empty() && env_.azure().location().empty()) {
        Error(i, k + "location",
              "required: set a location here or `azure: {location: ...}` in envctl.yaml or "
              "the environment's file");
      }
      break;
    }
    case Resource::kStorageAccount: {
      const auto& s = r.storage_account();
      Require(i, k + "accountName", s.account_name(), "the globally unique account name");
      if (!s.account_name().empty())
        Name(i, k + "accountName", CheckStorageAccountName(s.account_name()));
      Require(i, k + "resourceGroup", s.resource_group(), "the name of a ResourceGroup resource");
      static const std::vector<std::string> skus = {
          "Standard_LRS",  "Standard_GRS",    "Standard_RAGRS", "Standard_ZRS",
          "Standard_GZRS", "Standard_RAGZRS", "Premium_LRS",    "Premium_ZRS"};
      if (!OneOf(s.sku(), skus))
        Error(i, k + "sku", absl::StrCat("unknown sku \"", s.sku(), "\"; ", Allowed(skus)));
      static const std::vector<std::string> kinds = {"StorageV2", "BlobStorage", "BlockBlobStorage",
                                                     "FileStorage", "Storage"};
      if (!OneOf(s.kind(), kinds))
        Error(i, k + "kind", absl::StrCat("unknown kind \"", s.kind(), "\"; ", Allowed(kinds)));
      if (s.hierarchical_namespace() && !OneOf(s.kind(), {"StorageV2", "BlockBlobStorage"})) {
        Error(i, k + "hierarchicalNamespace",
              "ADLS Gen2 (hierarchicalNamespace) needs kind StorageV2 or BlockBlobStorage");
      }
      if (!OneOf(s.access_tier(), {"Hot", "Cool"})) Error(i, k + "accessTier", "use Hot or Cool");
      if (!OneOf(s.minimum_tls_version(), {"TLS1_0", "TLS1_1", "TLS1_2"})) {
        Error(i, k + "minimumTlsVersion", "use TLS1_2 (or TLS1_0, TLS1_1)");
      }
      std::set<std::string> containers;
      for (int c = 0; c < s.containers_size(); ++c) {
        const std::string p = absl::StrCat(k, "containers[", c, "]");
        const auto& container = s.containers(c);
        Require(i, p + ".name", container.name(), "the container name");
        if (container.name().empty()) continue;
        Name(i, p + ".name", CheckContainerName(container.name()));
        if (!containers.insert(container.name()).second) {
          Error(i, p + ".name",
                absl::StrCat("container \"", container.name(), "\" is listed twice"));
        }
        if (!OneOf(container.public_access(), {"None", "Blob", "Container"})) {
          Error(i, p + ".publicAccess", "use None, Blob or Container");
        }
      }
      break;
    }
    case Resource::kKeyVault: {
      const auto& s = r.key_vault();
      Require(i, k + "vaultName", s.vault_name(), "the globally unique vault name");
      if (!s.vault_name().empty()) Name(i, k + "vaultName", CheckKeyVaultName(s.vault_name()));
      Require(i, k + "resourceGroup", s.resource_group(), "the name of a ResourceGroup resource");
      if (!OneOf(s.sku(), {"standard", "premium"})) Error(i, k + "sku", "use standard or premium");
      if (s.soft_delete_retention_days() != 0 &&
          (s.soft_delete_retention_days() < 7 || s.soft_delete_retention_days() > 90)) {
        Error(i, k + "softDeleteRetentionDays", "must be between 7 and 90 days");
      }
      if (s.enable_rbac_authorization() && s.access_policies_size() > 0) {
        Error(
            i, k + "accessPolicies",
            "a vault with enableRbacAuthorization ignores access policies; grant data access with "
            "RoleAssignment resources (e.g. role \"Key Vault Secrets User\") and remove these");
      }
      static const std::vector<std::string> secret_perms = {
          "get", "list", "set", "delete", "backup", "restore", "recover", "purge", "all"};
      for (int p = 0; p < s.access_policies_size(); ++p) {
        const std::string pp = absl::StrCat(k, "accessPolicies[", p, "]");
        const auto& policy = s.access_policies(p);
        CheckPrincipal(i, pp + ".principal", policy.principal());
        for (int q = 0; q < policy.secret_permissions_size(); ++q) {
          if (!OneOf(policy.secret_permissions(q), secret_perms)) {
            Error(i, absl::StrCat(pp, ".secretPermissions[", q, "]"),
                  absl::StrCat("unknown secret permission \"", policy.secret_permissions(q), "\"; ",
                               Allowed(secret_perms)));
          }
        }
      }
      break;
    }
    case Resource::kRoleAssignment: {
      const auto& s = r.role_assignment();
      Require(i, k + "scope", s.scope(),
              "a resource name of this environment or an ARM resource id");
      if (!s.scope().empty() && s.scope()[0] == '/' &&
          !absl::StartsWithIgnoreCase(s.scope(), "/subscriptions/")) {
        Error(i, k + "scope", "an ARM resource id starts with /subscriptions/");
      }
      Require(i, k + "role", s.role(),
              "a built-in role name (\"Storage Blob Data Contributor\") or a role definition GUID");
      CheckPrincipal(i, k + "principal", s.principal());
      if (!OneOf(s.principal_type(), {"User", "Group", "ServicePrincipal"})) {
        Error(i, k + "principalType", "use User, Group or ServicePrincipal");
      }
      break;
    }
    case Resource::kUserAssignedIdentity: {
      const auto& s = r.user_assigned_identity();
      Require(i, k + "identityName", s.identity_name(),
              "the identity's name in its resource group");
      static const std::regex kIdentityName("^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$");
      if (!s.identity_name().empty() && !std::regex_match(s.identity_name(), kIdentityName)) {
        Error(
            i, k + "identityName",
            "use 3-128 letters, digits, hyphens and underscores, starting with a letter or digit");
      }
      Require(i, k + "resourceGroup", s.resource_group(), "the name of a ResourceGroup resource");
      break;
    }
    case Resource::kKeyVaultSecret: {
      const auto& s = r.key_vault_secret();
      Require(i, k + "vault", s.vault(), "the name of a KeyVault resource");
      Require(i, k + "secretName", s.secret_name(), "the secret's name in the vault");
      if (!s.secret_name().empty())
        Name(i, k + "secretName", CheckKeyVaultSecretName(s.secret_name()));
      CheckValueSource(i, k + "value", s.value());
      break;
    }
    case Resource::kDataFactory: {
      const auto& s = r.data_factory();
      Require(i, k + "factoryName", s.factory_name(), "the globally unique factory name");
      if (!s.factory_name().empty())
        Name(i, k + "factoryName", CheckDataFactoryName(s.factory_name()));
      Require(i, k + "resourceGroup", s.resource_group(), "the name of a ResourceGroup resource");
      if (s.has_repo_configuration() &&
          (!s.repo_configuration().has_enabled() || s.repo_configuration().enabled().value())) {
        const auto& repo = s.repo_configuration();
        const std::string rp = k + "repoConfiguration.";
        if (!OneOf(repo.provider(), {"github", "azureDevOps"})) {
          Error(i, rp + "provider", "use github or azureDevOps");
        }
        Require(i, rp + "accountName", repo.account_name(),
                "the GitHub owner or Azure DevOps organization");
        Require(i, rp + "repositoryName", repo.repository_name(),
                "the repository holding the ADF folder");
        if (repo.provider() == "azureDevOps") {
          Require(i, rp + "projectName", repo.project_name(), "the Azure DevOps project");
        }
      }
      break;
    }
    case Resource::kDataFactoryDefinitions: {
      const auto& s = r.data_factory_definitions();
      Require(i, k + "dataFactory", s.data_factory(), "the name of a DataFactory resource");
      Require(i, k + "folder", s.folder(),
              "the repo folder with linkedService/, dataset/, pipeline/ and trigger/");
      break;
    }
    case Resource::kDatabricksWorkspace: {
      const auto& s = r.databricks_workspace();
      if (s.has_existing()) {
        const std::string& url = s.existing().workspace_url();
        if (!absl::StartsWith(url, "https://")) {
          Error(i, k + "existing.workspaceUrl",
                "required: the workspace URL, e.g. https://adb-123.4.azuredatabricks.net");
        }
      } else if (s.has_provisioned()) {
        const auto& p = s.provisioned();
        Require(i, k + "provisioned.workspaceName", p.workspace_name(), "the workspace name");
        if (!p.workspace_name().empty()) {
          Name(i, k + "provisioned.workspaceName",
               CheckDatabricksWorkspaceName(p.workspace_name()));
        }
        Require(i, k + "provisioned.resourceGroup", p.resource_group(),
                "the name of a ResourceGroup resource");
        if (!OneOf(p.sku(), {"standard", "premium", "trial"})) {
          Error(i, k + "provisioned.sku", "use standard, premium or trial");
        }
      } else {
        Error(i, k.substr(0, k.size() - 1),
              "required: set `existing: {workspaceUrl: ...}` or `provisioned: {workspaceName: ..., "
              "resourceGroup: ...}`");
      }
      break;
    }
    case Resource::kDatabricksNotebooks: {
      const auto& s = r.databricks_notebooks();
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "sourceFolder", s.source_folder(), "the repo folder holding the notebooks");
      Require(i, k + "targetFolder", s.target_folder(),
              "the workspace folder, e.g. /Shared/project");
      if (!s.target_folder().empty() && s.target_folder()[0] != '/') {
        Error(i, k + "targetFolder",
              absl::StrCat("must be an absolute workspace path such as /Shared/", s.target_folder(),
                           " (got \"", s.target_folder(), "\")"));
      }
      if (s.target_folder() == "/") {
        Error(i, k + "targetFolder",
              "envctl owns everything under the target folder; use a subfolder, not /");
      }
      break;
    }
    case Resource::kDatabricksSecretScope: {
      const auto& s = r.databricks_secret_scope();
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "scopeName", s.scope_name(), "the scope name");
      if (!s.scope_name().empty()) Name(i, k + "scopeName", CheckSecretScopeName(s.scope_name()));
      if (!s.key_vault().empty() && s.secrets_size() > 0) {
        Error(i, k + "secrets",
              "a Key Vault-backed scope is read-only: put the secrets in the vault, or drop "
              "keyVault");
      }
      std::set<std::string> keys;
      for (int j = 0; j < s.secrets_size(); ++j) {
        const std::string p = absl::StrCat(k, "secrets[", j, "]");
        Require(i, p + ".key", s.secrets(j).key(), "the secret key");
        if (!s.secrets(j).key().empty()) {
          Name(i, p + ".key", CheckSecretScopeKey(s.secrets(j).key()));
          if (!keys.insert(s.secrets(j).key()).second) {
            Error(i, p + ".key", absl::StrCat("key \"", s.secrets(j).key(), "\" is listed twice"));
          }
        }
        CheckValueSource(i, p + ".value", s.secrets(j).value());
      }
      for (int j = 0; j < s.acls_size(); ++j) {
        const std::string p = absl::StrCat(k, "acls[", j, "]");
        Require(i, p + ".principal", s.acls(j).principal(), "a user, group or service principal");
        if (s.acls(j).permission().empty() ||
            !OneOf(s.acls(j).permission(), {"READ", "WRITE", "MANAGE"})) {
          Error(i, p + ".permission", "use READ, WRITE or MANAGE");
        }
      }
      if (!OneOf(s.initial_manage_principal(), {"users"})) {
        Error(i, k + "initialManagePrincipal",
              "the only accepted value is \"users\" (or leave it out)");
      }
      break;
    }
    case Resource::kDatabricksLibrary: {
      const auto& s = r.databricks_library();
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "sourceFile", s.source_file(), "the repo file to upload");
      Require(i, k + "dbfsPath", s.dbfs_path(), "the DBFS path, e.g. dbfs:/libs/model.jar");
      if (!s.dbfs_path().empty() && !absl::StartsWith(s.dbfs_path(), "dbfs:/") &&
          !absl::StartsWith(s.dbfs_path(), "/")) {
        Error(i, k + "dbfsPath",
              absl::StrCat("must start with dbfs:/ or /, e.g. dbfs:/", s.dbfs_path()));
      }
      break;
    }
    case Resource::kIntegrationTest: {
      const auto& s = r.integration_test();
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "notebookPath", s.notebook_path(), "the workspace path of the test notebook");
      if (!s.notebook_path().empty() && s.notebook_path()[0] != '/') {
        Error(i, k + "notebookPath",
              "must be an absolute workspace path, e.g. /Shared/project/integration_test");
      }
      if (!s.existing_cluster().empty()) {
        if (s.has_cluster()) {
          Error(i, k + "existingCluster", "set either existingCluster or cluster, not both");
        }
        if (!s.cluster_policy().empty()) {
          Error(i, k + "clusterPolicy",
                "a policy applies to a new job cluster; drop it with existingCluster");
        }
      } else if (s.has_cluster()) {
        Require(i, k + "cluster.sparkVersion", s.cluster().spark_version(),
                "the Databricks runtime, e.g. 13.3.x-scala2.12");
        Require(i, k + "cluster.nodeTypeId", s.cluster().node_type_id(),
                "the VM type, e.g. Standard_DS3_v2");
        if (s.cluster().num_workers() < 0) Error(i, k + "cluster.numWorkers", "must be 0 or more");
      } else {
        Error(i, k + "cluster",
              "required: the job cluster the test runs on (sparkVersion, nodeTypeId, numWorkers), "
              "or existingCluster: the name of a DatabricksCluster resource");
      }
      for (int j = 0; j < s.libraries_size(); ++j) {
        if (!absl::StartsWith(s.libraries(j), "dbfs:/")) {
          Error(i, absl::StrCat(k, "libraries[", j, "]"), "must be a dbfs:/ path");
        }
      }
      break;
    }
    case Resource::kPipelineRunTest: {
      const auto& s = r.pipeline_run_test();
      Require(i, k + "dataFactory", s.data_factory(), "the name of a DataFactory resource");
      Require(i, k + "pipeline", s.pipeline(), "the pipeline's name in the factory");
      if (!IsEnabled(r) || s.data_factory().empty()) break;
      // The pipeline exists only where an enabled definitions resource publishes it.
      bool published = false;
      for (const auto& other : env_.resources()) {
        published =
            published || (other.has_data_factory_definitions() && IsEnabled(other) &&
                          other.data_factory_definitions().data_factory() == s.data_factory());
      }
      if (!published && Find(s.data_factory()) >= 0) {
        Error(i, k + "dataFactory",
              absl::StrCat("no enabled DataFactoryDefinitions publishes factory \"",
                           s.data_factory(), "\" in environment ", env_.name(),
                           ", so the pipeline never exists there; disable this test there "
                           "(enabled: ${...}) or enable the definitions"));
      }
      break;
    }
    case Resource::kDatabricksClusterPolicy:
    case Resource::kDatabricksCluster:
    case Resource::kDatabricksJob:
    case Resource::kDatabricksPermissions:
    case Resource::kJobRunTest:
      CheckDatabricksKind(i);
      break;
    default:
      break;
  }
}

void EnvironmentValidator::CheckCycles() {
  // Depth-first search over existing resources; each cycle is reported once, at the
  // resource where the search closed it.
  const int n = env_.resources_size();
  std::vector<std::vector<int>> edges(n);
  for (int i = 0; i < n; ++i) {
    for (const std::string& dep : ResourceDependencies(env_.resources(i))) {
      const int j = Find(dep);
      if (j >= 0 && j != i) edges[i].push_back(j);
    }
  }
  std::vector<int> state(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<int> stack;
  std::function<void(int)> visit = [&](int i) {
    state[i] = 1;
    stack.push_back(i);
    for (int j : edges[i]) {
      if (state[j] == 1) {
        std::vector<std::string> names;
        auto from = std::find(stack.begin(), stack.end(), j);
        for (auto it = from; it != stack.end(); ++it) names.push_back(env_.resources(*it).name());
        names.push_back(env_.resources(j).name());
        Error(j, "dependsOn",
              absl::StrCat("dependency cycle: ", absl::StrJoin(names, " -> "),
                           "; remove one of these dependencies"));
      } else if (state[j] == 0) {
        visit(j);
      }
    }
    stack.pop_back();
    state[i] = 2;
  };
  for (int i = 0; i < n; ++i) {
    if (state[i] == 0) visit(i);
  }
}

}  // namespace envctl::spec::internal
