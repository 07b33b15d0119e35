#include "cloudsim/databricks/workspace.h"

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cloudsim/databricks/internal/api.h"
#include "cloudsim/databricks/internal/compute.h"
#include "cloudsim/databricks/internal/dbfs.h"
#include "cloudsim/databricks/internal/interpreter.h"
#include "cloudsim/databricks/internal/jobs.h"
#include "cloudsim/databricks/internal/object_tree.h"
#include "cloudsim/databricks/internal/permissions.h"
#include "cloudsim/databricks/internal/runs.h"
#include "cloudsim/databricks/internal/secret_store.h"
#include "cloudsim/databricks/internal/token_store.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr char kInvalidToken[] = "Invalid access token.";
constexpr char kDefaultPrincipal[] = "cloudsim-user@example.com";
constexpr char kAdfCluster[] = "0000-000000-adfcluster";

// The user name an Entra token speaks for (upn, then app id, ...), read from its payload
// without verifying it (accept_aad_token did that).
std::string AadPrincipal(const std::string& jwt) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return kDefaultPrincipal;
  }
  Json claims = Json::parse(payload, nullptr, false);
  if (!claims.is_object()) return kDefaultPrincipal;
  for (const char* claim : {"upn", "unique_name", "preferred_username", "email", "appid", "oid"}) {
    if (claims.contains(claim) && claims[claim].is_string() &&
        !claims[claim].get<std::string>().empty()) {
      return claims[claim].get<std::string>();
    }
  }
  return kDefaultPrincipal;
}

}  // namespace

class Workspace::Impl : public RuntimeEnv {
 public:
  Impl(std::string id, std::string url, WorkspaceEnv env)
      : id_(std::move(id)),
        url_(std::move(url)),
        env_(std::move(env)),
        clock_(env_.clock ? env_.clock : &RealClock::Get()),
        tree_(clock_->Now()),
        runs_(id_, url_, env_.speed),
        compute_(env_.speed) {
    WireCompute();
  }

  // The compute store's view of runs and DBFS (again after Load replaces the stores).
  void WireCompute() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    ComputeEnv env;
    env.last_activity =
        [this](const std::string& id, absl::Time now)
            ABSL_NO_THREAD_SAFETY_ANALYSIS { return runs_.LastActivityOn(id, now); };
    env.dbfs_file_exists = [this](const std::string& p)
                               ABSL_NO_THREAD_SAFETY_ANALYSIS { return dbfs_.FileExists(p); };
    compute_.SetEnv(std::move(env));
  }

  // runs/submit: a new_cluster that names a policy must comply with it, as with job
  // clusters (fixed values it leaves out are filled in); an error response or nullopt.
  std::optional<Response> ApplyPolicyToSubmission(Call& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // A pointer: the lambda runs under this lock, which the analysis cannot see.
    ComputeStore* compute = &compute_;
    auto check = [&](Json& holder, const std::string& where) -> std::optional<Response> {
      if (!holder.is_object() || !holder.contains("new_cluster") ||
          !holder["new_cluster"].is_object()) {
        return std::nullopt;
      }
      std::string bad = compute->ApplyPolicy(&holder["new_cluster"]);
      if (!bad.empty()) return InvalidParameter(bad + where);
      return std::nullopt;
    };
    if (call.body.contains("tasks") && call.body["tasks"].is_array()) {
      for (Json& t : call.body["tasks"]) {
        if (auto r = check(t, " in task " + (t.is_object() ? t.value("task_key", "") : "")))
          return r;
      }
      return std::nullopt;
    }
    return check(call.body, "");
  }

  // RuntimeEnv, called by runs while mu_ is held (the thread-safety analysis cannot see
  // that through the interface).
  std::optional<Notebook> FindNotebook(const std::string& path) override
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const ObjectTree::Object* o = tree_.Find(path);
    if (!o || o->type != "NOTEBOOK") return std::nullopt;
    return Notebook{o->language, o->content};
  }
  // DBFS as Spark sees it: "dbfs:/x" and a bare "/x" are DBFS (Spark reads "/dbfs/x" as
  // dbfs:/dbfs/x, as on Databricks); workspace files, volumes and other schemes
  // (abfss://, file:) are not tracked.
  static std::optional<std::string> DbfsDataPath(const std::string& path) {
    std::string p = path;
    if (absl::StartsWith(p, "dbfs:")) {
      p = p.substr(strlen("dbfs:"));
    } else if (absl::StrContains(p, ":")) {
      return std::nullopt;
    }
    if (p.empty() || p[0] != '/' || absl::StartsWith(p, "/Workspace/") ||
        absl::StartsWith(p, "/Volumes/")) {
      return std::nullopt;
    }
    return Dbfs::Normalize(p);
  }
  bool DataPathExists(const std::string& path) override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::optional<std::string> p = DbfsDataPath(path);
    // The sample datasets ship with every workspace (read-only).
    if (!p || absl::StartsWith(*p, "/databricks-datasets/") || *p == "/databricks-datasets")
      return true;
    return dbfs_.PathExists(*p);
  }
  void WriteDataPath(const std::string& path) override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::optional<std::string> p = DbfsDataPath(path);
    if (p && !absl::StartsWith(*p, "/databricks-datasets"))
      dbfs_.WriteDataset(*p, ToMillis(clock_->Now()));
  }
  absl::Status AuthorizeStorage(const StorageAccess& access) override {
    return env_.authorize_storage ? env_.authorize_storage(access) : absl::OkStatus();
  }
  void SetRunIdentity(const std::string& principal, bool admin) override {
    run_principal_ = principal;
    run_admin_ = admin;
  }
  absl::StatusOr<std::string> GetSecret(const std::string& scope_name, const std::string& key)
      override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const SecretStore::Scope* scope = secrets_.FindScope(scope_name);
    if (!scope) return absl::NotFoundError("no such scope");
    // Secret ACLs: READ, WRITE and MANAGE all allow reading; `users` is every user.
    if (!run_admin_ && !scope->acls.count(run_principal_) && !scope->acls.count("users")) {
      return absl::PermissionDeniedError("User " + run_principal_ +
                                         " does not have READ permission on scope " + scope->name +
                                         " to read key " + key + ".");
    }
    return ReadSecret(*scope, key);
  }
  // The secret's value, without an ACL check (API callers are workspace admins).
  absl::StatusOr<std::string> ReadSecret(const SecretStore::Scope* scope_or_null,
                                         const std::string& key) {
    if (!scope_or_null) return absl::NotFoundError("no such scope");
    return ReadSecret(*scope_or_null, key);
  }
  absl::StatusOr<std::string> ReadSecret(const SecretStore::Scope& scope_ref,
                                         const std::string& key) {
    const SecretStore::Scope* scope = &scope_ref;
    if (scope->backend_type == "AZURE_KEYVAULT") {
      if (!env_.read_key_vault_secret) return absl::NotFoundError("no Key Vault reader");
      return env_.read_key_vault_secret(scope->kv_dns_name, key);
    }
    auto it = scope->secrets.find(key);
    if (it == scope->secrets.end()) return absl::NotFoundError("no such key");
    return it->second.first;
  }

  // The principal `bearer` authenticates, or nullopt when the workspace rejects it.
  std::optional<std::string> Authenticate(const std::string& bearer, absl::Time now) {
    if (bearer.empty()) return std::nullopt;
    if (absl::StartsWith(bearer, "dapi")) {
      absl::MutexLock lock(&mu_);
      return tokens_.Validate(bearer, now);
    }
    if (env_.accept_aad_token && env_.accept_aad_token(bearer)) return AadPrincipal(bearer);
    return std::nullopt;
  }

  // Runs due tasks; true when that changed state.
  bool AdvanceLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    RunDeps deps;
    deps.runtime = this;
    Dbfs* dbfs = &dbfs_;  // Advance calls this under mu_; the analysis cannot see it
    deps.dbfs_file_exists = [dbfs](const std::string& p) { return dbfs->FileExists(p); };
    return runs_.Advance(now, deps);
  }

  void Notify() {
    std::function<void()> cb;
    {
      absl::MutexLock lock(&mu_);
      cb = on_mutation_;
    }
    if (cb) cb();
  }

  // The Permissions API's view of an object (type as in its URL), or nullopt.
  std::optional<AclObject> ResolveAclObject(const std::string& type, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    AclObject o;
    if (type == "clusters") {
      if (!compute_.HasCluster(id)) return std::nullopt;
      return AclObject{"/clusters/" + id, "cluster", compute_.ClusterCreator(id), {}};
    }
    if (type == "cluster-policies") {
      if (!compute_.HasPolicy(id)) return std::nullopt;
      return AclObject{"/cluster-policies/" + id, "cluster-policy", "", {}};
    }
    int64_t num = 0;
    if (!absl::SimpleAtoi(id, &num)) return std::nullopt;
    if (type == "jobs") {
      if (!jobs_.Has(num)) return std::nullopt;
      return AclObject{"/jobs/" + id, "job", jobs_.Creator(num), {}};
    }
    if (type != "notebooks" && type != "directories") return std::nullopt;
    std::optional<std::string> path = tree_.PathOfId(num);
    if (!path) return std::nullopt;
    const ObjectTree::Object* obj = tree_.Find(*path);
    if ((type == "notebooks") != (obj->type == "NOTEBOOK") || obj->type == "FILE")
      return std::nullopt;
    o.object_id = "/" + type + "/" + id;
    o.object_type = type == "notebooks" ? "notebook" : "directory";
    // Nearest parent directory first, up to the root.
    std::string p = *path;
    while (p != "/" && !p.empty()) {
      size_t slash = p.find_last_of('/');
      p = slash == 0 ? "/" : p.substr(0, slash);
      if (const ObjectTree::Object* dir = tree_.Find(p)) {
        o.parents.push_back("directories/" + std::to_string(dir->object_id));
      }
    }
    return o;
  }

  // "" when `principal` may run the notebook at `path` (CAN_RUN or more, directly or on a
  // parent directory), else the PERMISSION_DENIED message.
  std::string CanRunNotebook(const std::string& path, const std::string& principal)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const ObjectTree::Object* nb = tree_.Find(path);
    if (!nb) return "";  // a missing notebook fails the run itself, as in Databricks
    auto resolve = [this](const std::string& t, const std::string& i)
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return ResolveAclObject(t, i); };
    if (perms_.Holds("notebooks", std::to_string(nb->object_id), principal,
                     {"CAN_RUN", "CAN_EDIT", "CAN_MANAGE"}, resolve)) {
      return "";
    }
    return "User " + principal + " does not have Run permissions on notebook " + path +
           " (the job runs as " + principal + "; grant CAN_RUN on the notebook or its folder).";
  }

  Response Dispatch(Call& call, bool* mutated) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string& v = call.verb;
    bool jobs = absl::StartsWith(v, "jobs/");
    auto resolve = [this](const std::string& t, const std::string& i)
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return ResolveAclObject(t, i); };
    auto forget = [this](const std::string& t, const std::string& i)
                      ABSL_NO_THREAD_SAFETY_ANALYSIS { perms_.Forget(t, i); };
    if (absl::StartsWith(v, "clusters/") || absl::StartsWith(v, "policies/clusters/") ||
        absl::StartsWith(v, "libraries/")) {
      return compute_.Handle(call, mutated, forget);
    }
    if (absl::StartsWith(v, "permissions/")) return perms_.Handle(call, mutated, resolve);
    if (jobs && !absl::StartsWith(v, "jobs/runs/")) {
      JobsEnv env;
      env.runs = &runs_;
      env.compute = &compute_;
      env.can_run_notebook =
          [this](const std::string& path, const std::string& principal)

              ABSL_NO_THREAD_SAFETY_ANALYSIS { return CanRunNotebook(path, principal); };
      env.on_delete = [this](const std::string& id)
                          ABSL_NO_THREAD_SAFETY_ANALYSIS { perms_.Forget("jobs", id); };
      if (auto r = jobs_.Handle(call, mutated, env)) return *r;
      return EndpointNotFound(*call.request);
    }
    if (!jobs && call.version != "2.0") return EndpointNotFound(*call.request);
    if (absl::StartsWith(v, "workspace/")) return tree_.Handle(call, mutated);
    if (v == "secrets/get" && call.method() == "GET") return GetSecretValue(call);
    if (absl::StartsWith(v, "secrets/")) return secrets_.Handle(call, mutated);
    if (absl::StartsWith(v, "dbfs/")) return dbfs_.Handle(call, mutated);
    if (absl::StartsWith(v, "token/")) return tokens_.Handle(call, mutated);
    if (v == "jobs/runs/submit" && call.method() == "POST") {
      if (auto refused = ApplyPolicyToSubmission(call)) return *refused;
    }
    if (absl::StartsWith(v, "jobs/runs/")) return runs_.Handle(call, mutated);
    return EndpointNotFound(*call.request);
  }

  // GET secrets/get: {"key", "value": base64 bytes}. The SDKs document it as meant for
  // dbutils, but it answers any caller (e.g. the Python SDK's secrets.get_secret), and
  // resolves AZURE_KEYVAULT scopes through the vault like a notebook does. ACLs are not
  // enforced (every cloudsim caller is a workspace admin).
  Response GetSecretValue(const Call& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string scope = call.Param("scope").value_or("");
    if (scope.empty()) return MissingParameter("scope");
    std::string key = call.Param("key").value_or("");
    if (key.empty()) return MissingParameter("key");
    if (!secrets_.FindScope(scope)) return NotFound("Scope " + scope + " does not exist!");
    absl::StatusOr<std::string> value = ReadSecret(secrets_.FindScope(scope), key);
    if (absl::IsNotFound(value.status())) {
      return NotFound("Secret does not exist with scope: " + scope + " and key: " + key);
    }
    if (absl::IsPermissionDenied(value.status())) {
      return ErrorResponse(403, "PERMISSION_DENIED", std::string(value.status().message()));
    }
    if (!value.ok()) {
      return ErrorResponse(500, "INTERNAL_ERROR",
                           "Failed to read secret " + key + " of scope " + scope + ": " +
                               std::string(value.status().message()));
    }
    return JsonResponse({{"key", key}, {"value", Base64Encode(*value)}});
  }

  const std::string id_;
  const std::string url_;
  const WorkspaceEnv env_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  ObjectTree tree_ ABSL_GUARDED_BY(mu_);
  SecretStore secrets_ ABSL_GUARDED_BY(mu_);
  Dbfs dbfs_ ABSL_GUARDED_BY(mu_);
  TokenStore tokens_ ABSL_GUARDED_BY(mu_);
  RunStore runs_ ABSL_GUARDED_BY(mu_);
  ComputeStore compute_ ABSL_GUARDED_BY(mu_);
  JobStore jobs_ ABSL_GUARDED_BY(mu_);
  PermissionStore perms_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_mutation_ ABSL_GUARDED_BY(mu_);
  // The identity of the run executing now (SetRunIdentity), for secret ACLs.
  std::string run_principal_;
  bool run_admin_ = true;
};

Workspace::Workspace(std::string workspace_id, std::string workspace_url, WorkspaceEnv env)
    : impl_(std::make_unique<Impl>(std::move(workspace_id), std::move(workspace_url),
                                   std::move(env))) {}
Workspace::~Workspace() = default;

Response Workspace::Handle(const Request& request) {
  Call call;
  call.request = &request;
  call.now = impl_->clock_->Now();
  absl::string_view path = request.path;
  if (!absl::ConsumePrefix(&path, "/api/")) return EndpointNotFound(request);
  size_t slash = path.find('/');
  if (slash == absl::string_view::npos) return EndpointNotFound(request);
  call.version = std::string(path.substr(0, slash));
  call.verb = std::string(path.substr(slash + 1));
  if (call.version != "2.0" && call.version != "2.1" && call.version != "2.2") {
    return EndpointNotFound(request);
  }

  // X-Databricks-Azure-SP-Management-Token, -Workspace-Resource-Id and X-Databricks-
  // Workspace-Id are accepted and ignored: the bearer alone decides.
  std::string auth = request.Header("Authorization");
  if (!absl::StartsWithIgnoreCase(auth, "Bearer ") || auth.size() <= strlen("Bearer ")) {
    return ErrorResponse(401, "UNAUTHENTICATED",
                         "Credential was not sent or was of an unsupported type for this API.");
  }
  const std::string bearer = auth.substr(strlen("Bearer "));
  auto principal = impl_->Authenticate(bearer, call.now);
  if (!principal) {
    Response r = ErrorResponse(403, "403", kInvalidToken);
    r.headers["X-Databricks-Reason-Phrase"] = kInvalidToken;
    return r;
  }
  call.principal = *principal;
  call.pat = absl::StartsWith(bearer, "dapi");
  if (auto error = ParseBody(request, &call)) return *error;

  bool mutated = false;
  Response response;
  {
    absl::MutexLock lock(&impl_->mu_);
    mutated = impl_->AdvanceLocked(call.now);
    response = impl_->Dispatch(call, &mutated);
  }
  if (mutated) impl_->Notify();
  return response;
}

absl::StatusOr<int64_t> Workspace::SubmitNotebookRun(
    const std::string& bearer, const std::string& notebook_path,
    const std::map<std::string, std::string>& params, absl::Duration timeout) {
  absl::Time now = impl_->clock_->Now();
  auto principal = impl_->Authenticate(bearer, now);
  if (!principal) return absl::PermissionDeniedError(kInvalidToken);
  if (notebook_path.empty() || notebook_path[0] != '/') {
    return absl::InvalidArgumentError("notebook_path must be an absolute workspace path, got \"" +
                                      notebook_path + "\"");
  }
  int64_t id;
  {
    absl::MutexLock lock(&impl_->mu_);
    impl_->AdvanceLocked(now);
    RunStore& runs = impl_->runs_;
    Run run;
    run.run_id = runs.NewId();
    run.job_id = runs.NewJobId();
    run.run_name = "ADF notebook run " + notebook_path;
    run.creator = *principal;
    run.legacy = true;
    run.submitted = now;
    TaskRun t;
    t.run_id = runs.NewId();
    t.task_key = "notebook";
    t.notebook_task = {{"notebook_path", notebook_path}, {"source", "WORKSPACE"}};
    if (!params.empty()) t.notebook_task["base_parameters"] = params;
    t.compute = {{"existing_cluster_id", kAdfCluster}};
    t.cluster_id = kAdfCluster;
    t.exec_start = now + kPendingTime / runs.speed();
    if (timeout > absl::ZeroDuration()) {
      t.timeout_s = absl::ToDoubleSeconds(timeout);
      t.deadline = now + timeout / runs.speed();
    }
    run.tasks.push_back(std::move(t));
    id = runs.Add(std::move(run));
  }
  impl_->Notify();
  return id;
}

absl::StatusOr<Workspace::RunView> Workspace::GetRun(int64_t run_id) {
  absl::Time now = impl_->clock_->Now();
  RunView view;
  bool mutated;
  {
    absl::MutexLock lock(&impl_->mu_);
    mutated = impl_->AdvanceLocked(now);
    const TaskRun* task = nullptr;
    const Run* run = impl_->runs_.Find(run_id, &task);
    if (!run) return absl::NotFoundError("Run " + std::to_string(run_id) + " does not exist.");
    RunState s =
        task ? impl_->runs_.TaskState(*task, run->submitted, now) : impl_->runs_.State(*run, now);
    view.life_cycle_state = s.life_cycle;
    view.result_state = s.result;
    view.state_message = s.message;
    view.run_page_url = impl_->runs_.RunPageUrl(run->job_id, task ? task->run_id : run->run_id);
    const TaskRun* out = task ? task : (run->tasks.size() == 1 ? &run->tasks.front() : s.deciding);
    if (out && s.result == "SUCCESS" && out->exited) view.notebook_output = out->exit_value;
    if (out && s.result == "FAILED") view.error = out->error;
  }
  if (mutated) impl_->Notify();
  return view;
}

absl::Status Workspace::Cancel(int64_t run_id) {
  absl::Time now = impl_->clock_->Now();
  {
    absl::MutexLock lock(&impl_->mu_);
    impl_->AdvanceLocked(now);
    if (!impl_->runs_.Cancel(run_id, now)) {
      return absl::NotFoundError("Run " + std::to_string(run_id) + " does not exist.");
    }
  }
  impl_->Notify();
  return absl::OkStatus();
}

nlohmann::json Workspace::Save() const {
  absl::MutexLock lock(&impl_->mu_);
  return {{"format", 1},
          {"workspace", impl_->tree_.Save()},
          {"secrets", impl_->secrets_.Save()},
          {"dbfs", impl_->dbfs_.Save()},
          {"tokens", impl_->tokens_.Save()},
          {"runs", impl_->runs_.Save()},
          {"compute", impl_->compute_.Save()},
          {"jobs", impl_->jobs_.Save()},
          {"permissions", impl_->perms_.Save()}};
}

absl::Status Workspace::Load(const nlohmann::json& state) {
  if (!state.is_object() || state.value("format", 0) != 1) {
    return absl::InvalidArgumentError(
        "Databricks workspace state must be an object with \"format\": 1");
  }
  ObjectTree tree(impl_->clock_->Now());
  SecretStore secrets;
  Dbfs dbfs;
  TokenStore tokens;
  RunStore runs(impl_->id_, impl_->url_, impl_->env_.speed);
  ComputeStore compute(impl_->env_.speed);
  JobStore jobs;
  PermissionStore perms;
  try {
    absl::Status st = tree.Load(state.at("workspace"));
    if (st.ok()) st = secrets.Load(state.at("secrets"));
    if (st.ok()) st = dbfs.Load(state.at("dbfs"));
    if (st.ok()) st = tokens.Load(state.at("tokens"));
    if (st.ok()) st = runs.Load(state.at("runs"));
    // Saved before clusters, jobs and permissions were emulated: start those empty.
    if (st.ok() && state.contains("compute")) st = compute.Load(state.at("compute"));
    if (st.ok() && state.contains("jobs")) st = jobs.Load(state.at("jobs"));
    if (st.ok() && state.contains("permissions")) st = perms.Load(state.at("permissions"));
    if (!st.ok()) return st;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(std::string("corrupt Databricks workspace state: ") + e.what());
  }
  absl::MutexLock lock(&impl_->mu_);
  impl_->tree_ = std::move(tree);
  impl_->secrets_ = std::move(secrets);
  impl_->dbfs_ = std::move(dbfs);
  impl_->tokens_ = std::move(tokens);
  impl_->runs_ = std::move(runs);
  impl_->compute_ = std::move(compute);
  impl_->jobs_ = std::move(jobs);
  impl_->perms_ = std::move(perms);
  impl_->WireCompute();
  return absl::OkStatus();
}

void Workspace::SetMutationCallback(std::function<void()> cb) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->on_mutation_ = std::move(cb);
}

}  // namespace envctl::cloudsim::databricks
