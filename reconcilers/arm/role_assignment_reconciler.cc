#include "reconcilers/arm/role_assignment_reconciler.h"

#include <functional>
#include <optional>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cloud/arm/authorization.h"
#include "cloud/errors.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/support.h"
#include "spec/kinds.h"

namespace envctl::reconcilers::arm {
namespace {

using nlohmann::json;

bool IsGuid(const std::string& s) {
  static const std::regex kGuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(s, kGuid);
}

std::string What(const envctl::v1::Resource& r) {
  return absl::StrCat("role assignment \"", r.name(), "\" (", r.role_assignment().role(), ")");
}

// What Plan and Apply agree on.
struct Resolved {
  std::string scope;
  std::string role_definition_id;
  std::string role_guid;
  std::string principal_id;
  std::string name;
};

std::string LastSegment(const std::string& id) { return id.substr(id.rfind('/') + 1); }

absl::StatusOr<std::string> ScopeOf(const Context& ctx) {
  const std::string& scope = ctx.resource.role_assignment().scope();
  if (!scope.empty() && scope[0] == '/') return scope;
  std::optional<OutputValue> id = ctx.outputs.Get(scope, "id");
  if (!id.has_value() || id->value.empty()) {
    return KnownAfterApplyError(absl::StrCat("roleAssignment.scope: the id of ", scope,
                                             " is not known yet (known after apply)"));
  }
  return id->value;
}

}  // namespace

std::string RoleAssignmentName(const std::string& scope, const std::string& role_guid,
                               const std::string& principal_id) {
  std::string hex =
      Sha256Hex(absl::StrCat(absl::AsciiStrToLower(scope), "|", absl::AsciiStrToLower(role_guid),
                             "|", absl::AsciiStrToLower(principal_id)));
  hex[12] = '5';                                                    // version 5 (name-based)
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

RoleAssignmentReconciler::RoleAssignmentReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                                   std::string default_subscription,
                                                   std::string deployer_object_id)
    : arm_(std::move(arm)),
      default_subscription_(std::move(default_subscription)),
      deployer_object_id_(std::move(deployer_object_id)) {}

absl::StatusOr<RoleAssignmentReconciler::RoleDefinition> RoleAssignmentReconciler::FindRole(
    const cloud::arm::AuthorizationClient& auth, const std::string& subscription,
    const std::string& role) {
  const auto key = std::make_pair(absl::AsciiStrToLower(subscription), absl::AsciiStrToLower(role));
  {
    absl::MutexLock lock(&mu_);
    auto it = built_in_roles_.find(key);
    if (it != built_in_roles_.end()) return it->second;
  }
  if (std::optional<std::string> guid = cloud::arm::BuiltInRoleGuid(role)) {
    return RoleDefinition{auth.RoleDefinitionId(*guid), *guid};
  }
  absl::StatusOr<std::vector<json>> listed = auth.FindRoleDefinitions(role);
  if (!listed.ok())
    return Annotate(listed.status(), absl::StrCat("looking up role \"", role, "\""));
  const std::vector<json>& found = *listed;
  if (found.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "roleAssignment.role: no role definition is named \"", role,
        "\"; use a built-in role name such as \"Storage Blob Data Contributor\" or a role GUID"));
  }
  RoleDefinition d;
  d.id = found[0].value("id", "");
  d.guid = absl::AsciiStrToLower(found[0].value("name", LastSegment(d.id)));
  const json props = found[0].value("properties", json::object());
  if (props.is_object() && props.value("type", "") == "BuiltInRole") {
    absl::MutexLock lock(&mu_);
    built_in_roles_[key] = d;
  }
  return d;
}

namespace {

using FindRoleFn =
    std::function<absl::StatusOr<RoleAssignmentReconciler::RoleDefinition>(const std::string&)>;

absl::StatusOr<Resolved> Resolve(const Context& ctx, const cloud::arm::AuthorizationClient& auth,
                                 const std::string& deployer, const FindRoleFn& find_role) {
  const auto& spec = ctx.resource.role_assignment();
  Resolved r;
  ASSIGN_OR_RETURN(r.scope, ScopeOf(ctx));
  const std::string& role = spec.role();
  if (IsGuid(role)) {
    r.role_guid = absl::AsciiStrToLower(role);
    r.role_definition_id = auth.RoleDefinitionId(r.role_guid);
  } else if (!role.empty() && role[0] == '/') {
    r.role_guid = absl::AsciiStrToLower(LastSegment(role));
    r.role_definition_id = role;
  } else {
    ASSIGN_OR_RETURN(auto definition, find_role(role));
    r.role_definition_id = definition.id;
    r.role_guid = definition.guid;
  }
  ASSIGN_OR_RETURN(r.principal_id,
                   PrincipalObjectId(ctx, spec.principal(), deployer, "roleAssignment.principal"));
  r.name = RoleAssignmentName(r.scope, r.role_guid, r.principal_id);
  return r;
}

// How many enabled role assignments of the environment name `scope` (as written).
int AssignmentsAtScope(const envctl::v1::Environment& env, const std::string& scope) {
  int n = 0;
  for (const auto& r : env.resources()) {
    if (r.has_role_assignment() && spec::IsEnabled(r) && r.role_assignment().scope() == scope) ++n;
  }
  return n;
}

// The live assignment `name` at `scope`, or NotFound. Where several assignments of the
// environment share the scope, one listing of the scope (shared through the pass's reads)
// serves all of them: one read instead of a GET each. A lone one is a GET (the listing
// would also carry every assignment inherited from above).
absl::StatusOr<json> ReadAssignment(Context& ctx, const cloud::arm::AuthorizationClient& auth,
                                    const std::string& scope, const std::string& name) {
  if (AssignmentsAtScope(ctx.environment, ctx.resource.role_assignment().scope()) < 2) {
    return auth.GetAssignment(scope, name);
  }
  absl::StatusOr<json> listed = ctx.outputs.reads().ReadOnce(
      absl::StrCat("roleAssignments@", absl::AsciiStrToLower(scope)),
      [&]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<json> items, auth.ListAssignmentsAt(scope));
        return json(std::move(items));
      });
  if (!listed.ok()) return listed.status();
  const std::string id =
      absl::AsciiStrToLower(cloud::arm::AuthorizationClient::AssignmentId(scope, name));
  for (const json& a : *listed) {
    if (absl::AsciiStrToLower(a.value("id", "")) == id) return a;
  }
  return absl::NotFoundError(absl::StrCat("role assignment ", name, " not found at ", scope));
}

}  // namespace

absl::StatusOr<Change> RoleAssignmentReconciler::Plan(Context& ctx) {
  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  cloud::arm::AuthorizationClient auth(*arm_, subscription);
  absl::StatusOr<Resolved> r =
      Resolve(ctx, auth, deployer_object_id_,
              [&](const std::string& role) { return FindRole(auth, subscription, role); });
  if (!r.ok()) return Annotate(r.status(), What(ctx.resource));
  Change change;
  change.observed = {{"scope", r->scope},
                     {"name", r->name},
                     {"roleDefinitionId", r->role_definition_id},
                     {"principalId", r->principal_id}};
  // A scope that a resource of this environment created in this pass carries no
  // assignment of its own yet (inherited ones are not ours to look for).
  absl::StatusOr<json> live =
      ctx.outputs.reads().ReadInside(ctx.resource.role_assignment().scope(),
                                     [&] { return ReadAssignment(ctx, auth, r->scope, r->name); });
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.fields = {{"properties.scope", "(none)", RenderValue(r->scope)},
                     {"properties.roleDefinitionId", "(none)", RenderValue(r->role_definition_id)},
                     {"properties.principalId", "(none)", RenderValue(r->principal_id)}};
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(ctx.resource));
  change.exists = true;
  change.external_id = live->value("id", "");
  OutputValue id;
  id.value = live->value("id", "");
  ctx.outputs.Set(ctx.resource.name(), "id", id);
  return change;
}

absl::StatusOr<ApplyResult> RoleAssignmentReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.role_assignment();
  cloud::arm::AuthorizationClient auth(*arm_,
                                       SubscriptionFor(ctx.environment, default_subscription_));
  const json& o = change.observed;
  const std::string scope = o.value("scope", "");
  const std::string name = o.value("name", "");
  const std::string principal_type =
      spec.principal_type().empty() ? "ServicePrincipal" : spec.principal_type();
  absl::StatusOr<json> created =
      auth.CreateAssignment(scope, name, o.value("roleDefinitionId", ""),
                            o.value("principalId", ""), principal_type, spec.description());
  std::string id = created.ok() ? created->value("id", "") : "";
  if (!created.ok()) {
    // The same grant made by hand under another name already gives the principal the
    // role: nothing to add (and not envctl's to delete later).
    if (cloud::ServiceErrorCode(created.status()) != "RoleAssignmentExists") {
      return Annotate(created.status(), What(ctx.resource));
    }
    ctx.progress("the same role assignment already exists under another name; keeping it");
  }
  if (id.empty()) id = cloud::arm::AuthorizationClient::AssignmentId(scope, name);
  OutputValue out;
  out.value = id;
  ctx.outputs.Set(ctx.resource.name(), "id", out);
  ApplyResult result;
  result.external_id = id;
  result.memory = {{"scope", scope}, {"name", name}, {"created", created.ok()}};
  return result;
}

absl::Status RoleAssignmentReconciler::Delete(Context& ctx) {
  const json& m = ctx.prior.memory;
  if (!m.is_object() || !m.contains("scope") || !m.contains("name")) return absl::OkStatus();
  if (!m.value("created", true)) return absl::OkStatus();  // someone else's assignment
  cloud::arm::AuthorizationClient auth(*arm_,
                                       SubscriptionFor(ctx.environment, default_subscription_));
  return Annotate(
      auth.DeleteAssignment(m["scope"].get<std::string>(), m["name"].get<std::string>()),
      What(ctx.resource));
}

}  // namespace envctl::reconcilers::arm
