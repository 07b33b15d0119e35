#include "cloudsim/cloudsim.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/aad/authority.h"
#include "cloudsim/aad/tokens.h"
#include "cloudsim/admin/admin_api.h"
#include "cloudsim/admin/eventgrid.h"
#include "cloudsim/admin/faults.h"
#include "cloudsim/admin/stats.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/arm/router.h"
#include "cloudsim/core/identity.h"
#include "cloudsim/core/util.h"
#include "cloudsim/core/world.h"
#include "cloudsim/http/server.h"
#include "cloudsim/keyvault/data_plane.h"
#include "cloudsim/keyvault/vaults.h"
#include "cloudsim/tls/certs.h"
#include "cloudsim/workspace_backend.h"

namespace envctl::cloudsim {

class Cloudsim::Impl : public Platform {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &RealClock::Get()) {}
  ~Impl() override;
  absl::Status Init();
  int port() const { return main_->port(); }
  std::string endpoints_file() const { return options_.state_dir + "/endpoints.json"; }
  absl::Status SubscribeEventGrid(const std::string& endpoint) {
    return eventgrid_->Subscribe(endpoint);
  }

  // Platform (called with world_->mu held).
  absl::StatusOr<std::string> OpenOrigin(const std::string& key) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(world_->mu);
  void CloseOrigin(const std::string& key) override;
  absl::Status CreateWorkspace(const std::string& workspace_id,
                               const std::string& workspace_url) override;
  void DeleteWorkspace(const std::string& workspace_id) override;
  absl::StatusOr<int64_t> SubmitNotebookRun(const std::string& workspace_id,
                                            const std::string& bearer, const std::string& path,
                                            const std::map<std::string, std::string>& params,
                                            absl::Duration timeout) override;
  absl::StatusOr<NotebookRunView> GetNotebookRun(const std::string& workspace_id,
                                                 int64_t run_id) override;
  absl::Status CancelNotebookRun(const std::string& workspace_id, int64_t run_id) override;
  void EmitResourceEvent(const nlohmann::json& event) override { eventgrid_->Publish(event); }

 private:
  Response HandleMain(const Request& req);
  Response Observe(const std::string& service, const Request& req,
                   const std::function<Response()>& handler);
  std::shared_ptr<WorkspaceBackend> FindWorkspace(const std::string& id);
  void SaveWorkspaces(bool force);
  void ReopenOrigins();
  absl::Status WriteEndpoints();
  void Ticker();

  const Options options_;
  Clock* const clock_;
  Identity identity_;
  std::unique_ptr<TokenService> tokens_;
  std::unique_ptr<TlsMaterial> tls_;
  std::unique_ptr<World> world_;
  std::unique_ptr<ArmThrottle> throttle_;
  RequestStats stats_;
  FaultInjector faults_;
  std::unique_ptr<EventGrid> eventgrid_;
  std::unique_ptr<HttpServer> main_;

  absl::Mutex origins_mu_;
  std::map<std::string, std::unique_ptr<HttpServer>> origins_ ABSL_GUARDED_BY(origins_mu_);
  std::vector<std::unique_ptr<HttpServer>> closing_ ABSL_GUARDED_BY(origins_mu_);

  absl::Mutex ws_mu_;
  std::map<std::string, std::shared_ptr<WorkspaceBackend>> workspaces_ ABSL_GUARDED_BY(ws_mu_);
  std::map<std::string, std::string> saved_workspace_state_ ABSL_GUARDED_BY(ws_mu_);

  absl::Mutex ticker_mu_;
  bool stop_ ABSL_GUARDED_BY(ticker_mu_) = false;
  std::thread ticker_;
};

absl::Status Cloudsim::Impl::Init() {
  if (options_.state_dir.empty()) return absl::InvalidArgumentError("--state-dir is required");
  if (options_.data_plane != "ports" && options_.data_plane != "loopback-443") {
    return absl::InvalidArgumentError("--data-plane must be \"ports\" or \"loopback-443\", got \"" +
                                      options_.data_plane + "\"");
  }
  if (!(options_.speed > 0)) return absl::InvalidArgumentError("--speed must be > 0");
  if (options_.page_size < 1) return absl::InvalidArgumentError("--page-size must be >= 1");
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError("--port must be in 0..65535");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec || ::access(options_.state_dir.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError("state dir " + options_.state_dir +
                                         " cannot be created or is not writable");
  }
  std::filesystem::create_directories(options_.state_dir + "/databricks", ec);
  auto identity = LoadOrCreateIdentity(options_.state_dir);
  if (!identity.ok()) return identity.status();
  identity_ = *identity;
  tokens_ = std::make_unique<TokenService>(identity_.signing_key, identity_.tenant_id, clock_,
                                           options_.token_lifetime);
  std::vector<std::string> ips = {"127.0.0.1"};
  if (options_.data_plane == "loopback-443") {
    for (int n = 2; n <= 64; ++n) ips.push_back(absl::StrCat("127.0.0.", n));
  }
  auto tls = TlsMaterial::LoadOrCreate(options_.state_dir, ips, {"localhost"});
  if (!tls.ok()) return tls.status();
  tls_ = std::move(*tls);
  WorldConfig config{clock_, options_.speed, options_.page_size, options_.state_dir};
  world_ = std::make_unique<World>(config, identity_, tokens_.get(), this);
  absl::Status loaded = world_->Load();
  if (!loaded.ok()) return loaded;
  world_->before_persist = [](World& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w.mu) {
    RebuildSecretMirror(w);
    RebuildStorageAccessMirror(w);
  };
  {
    // A restarted cloudsim's runs see the loaded state before anything is written.
    absl::MutexLock lock(&world_->mu);
    RebuildSecretMirror(*world_);
    RebuildStorageAccessMirror(*world_);
  }
  throttle_ = std::make_unique<ArmThrottle>(options_.arm_throttle, clock_);
  eventgrid_ = std::make_unique<EventGrid>(identity_.subscription_id);

  ListenerOptions lo;
  lo.port = options_.port;
  lo.tls = tls_->server_context();
  auto main = HttpServer::Start(lo, [this](const Request& r) { return HandleMain(r); });
  if (!main.ok()) return main.status();
  main_ = std::move(*main);
  world_->set_authority_host(absl::StrCat("https://127.0.0.1:", main_->port()));
  ReopenOrigins();
  absl::Status written = WriteEndpoints();
  if (!written.ok()) return written;
  ticker_ = std::thread([this] { Ticker(); });
  return absl::OkStatus();
}

Cloudsim::Impl::~Impl() {
  {
    absl::MutexLock lock(&ticker_mu_);
    stop_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
  if (main_ != nullptr) main_->Stop();
  std::map<std::string, std::unique_ptr<HttpServer>> origins;
  std::vector<std::unique_ptr<HttpServer>> closing;
  {
    absl::MutexLock lock(&origins_mu_);
    origins.swap(origins_);
    closing.swap(closing_);
  }
  origins.clear();  // stops each listener
  closing.clear();
  if (world_ != nullptr) {
    absl::MutexLock lock(&world_->mu);
    world_->PersistIfDirty().IgnoreError();
  }
  SaveWorkspaces(true);
  eventgrid_.reset();
}

void Cloudsim::Impl::Ticker() {
  while (true) {
    {
      absl::MutexLock lock(&ticker_mu_);
      auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ticker_mu_) { return stop_; };
      // Real time on purpose: this only drives background progress; simulated timing
      // comes from the Clock each settle step reads.
      if (ticker_mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(50))) return;
    }
    std::vector<std::unique_ptr<HttpServer>> closing;
    {
      absl::MutexLock lock(&origins_mu_);
      closing.swap(closing_);
    }
    closing.clear();
    {
      absl::MutexLock lock(&world_->mu);
      SettleWorld(*world_);
      world_->PersistIfDirty().IgnoreError();
    }
    SaveWorkspaces(false);
  }
}

Response Cloudsim::Impl::Observe(const std::string& service, const Request& req,
                                 const std::function<Response()>& handler) {
  auto fault = faults_.Match(service, req.method + " " + req.path);
  Response resp;
  if (fault.has_value() && fault->latency_ms > 0) {
    clock_->SleepFor(absl::Milliseconds(fault->latency_ms));
  }
  if (fault.has_value() && fault->status >= 0 && fault->after_handling) {
    handler();  // the service acts; the client never sees its answer
    resp = FaultResponse(service, *fault);
  } else if (fault.has_value() && fault->status >= 0) {
    resp = FaultResponse(service, *fault);
  } else {
    resp = handler();
  }
  stats_.Record(service, req.method, req.path, resp.reset_connection ? 0 : resp.status,
                clock_->Now(), req.Header("User-Agent"));
  return resp;
}

Response Cloudsim::Impl::HandleMain(const Request& req) {
  if (absl::StartsWith(req.path, "/_cloudsim")) {
    return HandleAdmin(req, stats_, faults_, *eventgrid_);
  }
  if (IsMetadataEndpointsPath(req.path)) {
    return Observe("arm", req, [&] { return HandleMetadataEndpoints(req); });
  }
  if (IsManagedIdentityPath(req.path)) {
    return Observe("aad", req,
                   [&] { return HandleManagedIdentity(req, identity_, *tokens_, clock_); });
  }
  if (IsAuthorityPath(req.path)) {
    return Observe("aad", req, [&] { return HandleAuthority(req, identity_, *tokens_, clock_); });
  }
  std::string service =
      ContainsIgnoreCase(req.path, "/providers/Microsoft.DataFactory/") ? "datafactory" : "arm";
  return Observe(service, req, [&] { return HandleArm(*world_, *throttle_, req); });
}

absl::StatusOr<std::string> Cloudsim::Impl::OpenOrigin(const std::string& key) {
  nlohmann::json& origins = world_->Section("origins");
  nlohmann::json& slot = origins[key];
  const bool loopback = options_.data_plane == "loopback-443";
  if (!slot.is_object()) slot = nlohmann::json::object();
  std::string address = slot.value("address", "127.0.0.1");
  int port = slot.value("port", 0);
  if (loopback && (address == "127.0.0.1" || port != 443)) {
    std::set<std::string> used;
    for (auto& [k, v] : origins.items()) {
      if (k != key && v.is_object()) used.insert(v.value("address", ""));
    }
    address.clear();
    for (int n = 2; n <= 64 && address.empty(); ++n) {
      std::string candidate = absl::StrCat("127.0.0.", n);
      if (used.count(candidate) == 0) address = candidate;
    }
    if (address.empty()) {
      return absl::ResourceExhaustedError("no free loopback address (127.0.0.2-64) left for " +
                                          key);
    }
    port = 443;
  }
  std::string origin;
  {
    absl::MutexLock lock(&origins_mu_);
    auto it = origins_.find(key);
    if (it == origins_.end()) {
      ListenerOptions lo;
      lo.address = address;
      lo.port = port;
      lo.tls = tls_->server_context();
      Handler handler;
      if (absl::StartsWith(key, "vault:")) {
        std::string vault = key.substr(6);
        handler = [this, vault](const Request& r) {
          return Observe("keyvault", r, [&] { return HandleVaultDataPlane(*world_, vault, r); });
        };
      } else {
        std::string id = key.substr(10);
        handler = [this, id](const Request& r) {
          return Observe("databricks", r, [&] {
            std::shared_ptr<WorkspaceBackend> ws = FindWorkspace(id);
            if (ws == nullptr) {
              Response nf;
              nf.status = 404;
              nf.body = R"({"error_code":"NOT_FOUND","message":"Workspace not found."})";
              return nf;
            }
            return ws->Handle(r);
          });
        };
      }
      auto server = HttpServer::Start(lo, handler);
      if (!server.ok() && !loopback && port != 0) {
        lo.port = 0;  // the persisted port is taken: fall back to a new one
        server = HttpServer::Start(lo, handler);
      }
      if (!server.ok()) return server.status();
      port = (*server)->port();
      it = origins_.emplace(key, std::move(*server)).first;
    } else {
      port = it->second->port();
      address = it->second->address();
    }
  }
  if (slot.value("address", "") != address || slot.value("port", 0) != port) {
    slot["address"] = address;
    slot["port"] = port;
    world_->MarkDirty();
  }
  origin = port == 443 ? absl::StrCat("https://", address)
                       : absl::StrCat("https://", address, ":", port);
  return origin;
}

void Cloudsim::Impl::CloseOrigin(const std::string& key) {
  absl::MutexLock lock(&origins_mu_);
  auto it = origins_.find(key);
  if (it == origins_.end()) return;
  // Stopping joins connection threads, which may be waiting for World::mu that our
  // caller holds: hand the server to the ticker instead.
  closing_.push_back(std::move(it->second));
  origins_.erase(it);
}

std::shared_ptr<WorkspaceBackend> Cloudsim::Impl::FindWorkspace(const std::string& id) {
  absl::MutexLock lock(&ws_mu_);
  auto it = workspaces_.find(id);
  return it == workspaces_.end() ? nullptr : it->second;
}

absl::Status Cloudsim::Impl::CreateWorkspace(const std::string& workspace_id,
                                             const std::string& workspace_url) {
  WorkspaceBackendEnv env;
  env.clock = clock_;
  env.speed = options_.speed;
  const TokenService* tokens = tokens_.get();
  env.accept_aad_token = [tokens](const std::string& bearer) {
    return tokens->Validate(bearer, {kDatabricksAudience}).ok();
  };
  World* world = world_.get();
  env.read_key_vault_secret = [world](const std::string& dns_name, const std::string& key) {
    return ReadSecretFromMirror(*world, dns_name, key);
  };
  env.authorize_storage = [world](const std::string& account, const std::string& container,
                                  bool write, const StorageCredential& credential) {
    return AuthorizeStorageAccess(*world, account, container, write, credential);
  };
  env.on_mutation = [this] { SaveWorkspaces(false); };
  std::shared_ptr<WorkspaceBackend> ws = MakeWorkspaceBackend(workspace_id, workspace_url, env);
  auto saved = ReadFile(options_.state_dir + "/databricks/" + workspace_id + ".json");
  if (saved.ok()) {
    nlohmann::json state = nlohmann::json::parse(*saved, nullptr, false);
    if (!state.is_discarded()) {
      absl::Status st = ws->Load(state);
      if (!st.ok()) return st;
    }
  }
  absl::MutexLock lock(&ws_mu_);
  workspaces_[workspace_id] = std::move(ws);
  return absl::OkStatus();
}

void Cloudsim::Impl::DeleteWorkspace(const std::string& workspace_id) {
  absl::MutexLock lock(&ws_mu_);
  workspaces_.erase(workspace_id);
  saved_workspace_state_.erase(workspace_id);
  std::remove((options_.state_dir + "/databricks/" + workspace_id + ".json").c_str());
}

void Cloudsim::Impl::SaveWorkspaces(bool force) {
  std::map<std::string, std::shared_ptr<WorkspaceBackend>> all;
  {
    absl::MutexLock lock(&ws_mu_);
    all = workspaces_;
  }
  for (const auto& [id, ws] : all) {
    std::string text = ws->Save().dump();
    {
      absl::MutexLock lock(&ws_mu_);
      if (workspaces_.count(id) == 0) continue;
      if (!force && saved_workspace_state_[id] == text) continue;
      saved_workspace_state_[id] = text;
    }
    WriteFileAtomic(options_.state_dir + "/databricks/" + id + ".json", text).IgnoreError();
  }
}

absl::StatusOr<int64_t> Cloudsim::Impl::SubmitNotebookRun(
    const std::string& workspace_id, const std::string& bearer, const std::string& path,
    const std::map<std::string, std::string>& params, absl::Duration timeout) {
  auto ws = FindWorkspace(workspace_id);
  if (ws == nullptr) return absl::NotFoundError("workspace " + workspace_id + " does not exist");
  return ws->SubmitNotebookRun(bearer, path, params, timeout);
}

absl::StatusOr<NotebookRunView> Cloudsim::Impl::GetNotebookRun(const std::string& workspace_id,
                                                               int64_t run_id) {
  auto ws = FindWorkspace(workspace_id);
  if (ws == nullptr) return absl::NotFoundError("workspace " + workspace_id + " does not exist");
  return ws->GetRun(run_id);
}

absl::Status Cloudsim::Impl::CancelNotebookRun(const std::string& workspace_id, int64_t run_id) {
  auto ws = FindWorkspace(workspace_id);
  if (ws == nullptr) return absl::NotFoundError("workspace " + workspace_id + " does not exist");
  return ws->Cancel(run_id);
}

void Cloudsim::Impl::ReopenOrigins() {
  absl::MutexLock lock(&world_->mu);
  for (auto& [key, slot] : world_->Section("resources").items()) {
    nlohmann::json& body = slot["body"];
    const std::string type = Lower(body.value("type", ""));
    if (type == "microsoft.keyvault/vaults") {
      auto origin = OpenOrigin("vault:" + Lower(body.value("name", "")));
      if (origin.ok()) body["properties"]["vaultUri"] = *origin + "/";
    } else if (type == "microsoft.databricks/workspaces" &&
               body["properties"].contains("workspaceId")) {
      std::string id = body["properties"]["workspaceId"];
      auto origin = OpenOrigin("workspace:" + id);
      if (!origin.ok()) continue;
      std::string url = origin->substr(std::string("https://").size());
      body["properties"]["workspaceUrl"] = url;
      CreateWorkspace(id, url).IgnoreError();
    }
  }
  world_->MarkDirty();
  world_->PersistIfDirty().IgnoreError();
}

absl::Status Cloudsim::Impl::WriteEndpoints() {
  std::string base = absl::StrCat("https://127.0.0.1:", main_->port());
  nlohmann::json j = {{"arm_endpoint", base},
                      {"authority_host", base},
                      {"tenant_id", identity_.tenant_id},
                      {"subscription_id", identity_.subscription_id},
                      {"client_id", identity_.client_id},
                      {"client_secret", identity_.client_secret},
                      {"object_id", identity_.object_id},
                      {"ca_cert_file", tls_->ca_file()},
                      {"admin_endpoint", base + "/_cloudsim"}};
  return WriteFileAtomic(endpoints_file(), j.dump(2), 0600);
}

// --- public API ---

absl::StatusOr<std::unique_ptr<Cloudsim>> Cloudsim::Start(const Options& options) {
  auto impl = std::make_unique<Impl>(options);
  absl::Status st = impl->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Cloudsim>(new Cloudsim(std::move(impl)));
}

Cloudsim::Cloudsim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cloudsim::~Cloudsim() = default;
std::string Cloudsim::endpoints_file() const { return impl_->endpoints_file(); }
int Cloudsim::port() const { return impl_->port(); }
absl::Status Cloudsim::SubscribeEventGrid(const std::string& endpoint) {
  return impl_->SubscribeEventGrid(endpoint);
}

}  // namespace envctl::cloudsim
