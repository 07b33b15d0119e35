#include "cmd/envctl/controller_host.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/routes.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "spec/loader.h"
#include "watchers/event_grid.h"
#include "watchers/folder_source.h"
#include "watchers/git_source.h"
#include "watchers/git_webhook.h"
#include "watchers/http_headers.h"

namespace envctl::cli {

namespace {

std::string Env(const std::string& name) {
  if (name.empty()) return "";
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}

watchers::HttpHeaders HeadersOf(const api::HttpRequest& request) {
  watchers::HttpHeaders out;
  for (const auto& [name, value] : request.headers) out.emplace(name, value);
  return out;
}

api::HttpResponse Json(int status, const nlohmann::json& body) {
  api::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

// "127.0.0.1:50051" -> "127.0.0.1"; "[::1]:0" -> "[::1]"; "0.0.0.0:1" -> "0.0.0.0".
std::string HostOf(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || absl::StartsWith(host, "127.");
}

namespace {

// Plaintext beyond loopback only when the config says so (`<key>.insecure: true`), and
// then with a warning at start.
absl::Status CheckExposure(const char* key, const std::string& listen, bool tls, bool insecure) {
  const std::string host = HostOf(listen);
  if (tls || IsLoopbackHost(host)) return absl::OkStatus();
  if (!insecure) {
    return absl::FailedPreconditionError(
        absl::StrCat(key, ".listen ", listen, " is beyond loopback without TLS", ": set ", key,
                     ".tls.certFile and ", key, ".tls.keyFile, or ", "set ", key,
                     ".insecure: true if a private network protects it"));
  }
  log::Warn("insecure_listener")
      .Str("listener", key)
      .Str("listen", listen)
      .Str("reason", absl::StrCat(key, ".insecure: true; plaintext beyond loopback"));
  return absl::OkStatus();
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<watchers::Source>> MakeSource(const ControllerConfig& config,
                                                             const std::string& checkout_dir) {
  if (!config.folder.empty()) return watchers::NewFolderSource(config.folder);
  watchers::GitSourceOptions git;
  git.url = config.git_url;
  git.branch = config.git_branch;
  git.path = config.git_path;
  git.checkout_dir = checkout_dir;
  git.token_env = config.git_token_env;
  return watchers::NewGitSource(git);
}

controller::SourceLoader MakeLoader(watchers::Source& source,
                                    std::shared_ptr<watchers::SnapshotStore> snapshots) {
  return [&source, snapshots]() -> absl::StatusOr<controller::SourceState> {
    ASSIGN_OR_RETURN(watchers::SourceSnapshot snapshot, source.Fetch());
    if (snapshots != nullptr) {
      RETURN_IF_ERROR(snapshots->Keep(snapshot));
      // Load the kept copy: what runs now is exactly what a later reload of it yields.
      ASSIGN_OR_RETURN(snapshot.root, snapshots->RootOf(snapshot.revision));
    }
    spec::LoadResult loaded = spec::LoadRepo(snapshot.root);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source.Describe(), " at revision ",
                                                     snapshot.revision, " has errors:\n",
                                                     spec::FormatDiagnostics(loaded.errors)));
    }
    return controller::SourceState{snapshot.revision, std::move(loaded.environments)};
  };
}

controller::RevisionLoader MakeRevisionLoader(std::shared_ptr<watchers::SnapshotStore> snapshots) {
  return [snapshots](
             const std::string& revision) -> absl::StatusOr<std::vector<envctl::v1::Environment>> {
    ASSIGN_OR_RETURN(std::string root, snapshots->RootOf(revision));
    spec::LoadResult loaded = spec::LoadRepo(root);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("revision ", revision, " has errors:\n",
                                                     spec::FormatDiagnostics(loaded.errors)));
    }
    return std::move(loaded.environments);
  };
}

absl::StatusOr<std::unique_ptr<ControllerHost>> ControllerHost::Start(
    const ControllerConfig& config, watchers::Source& source, EnvironmentRunner& runner,
    HaBackend* ha) {
  std::unique_ptr<ControllerHost> host(new ControllerHost());
  controller::ControllerOptions options;
  options.workers = config.workers;
  options.source_poll_interval = config.poll_interval;
  options.change_poll_interval = config.drift_poll_interval;
  options.environments = config.environments;
  auto snapshots = std::make_shared<watchers::SnapshotStore>(
      (std::filesystem::path(runner.state_dir()) / "snapshots").string(), &source);
  options.revision_loader = MakeRevisionLoader(snapshots);
  if (ha != nullptr) options.ownership = ha->replicas.get();
  host->controller_ = std::make_unique<controller::Controller>(
      runner.engine(), runner.store(), RealClock::Get(), runner.metrics(),
      MakeLoader(source, snapshots), options);
  host->api_ = host->controller_.get();
  if (ha != nullptr) {
    host->replicas_ = ha->replicas.get();
    host->replicated_ =
        std::make_unique<controller::ReplicatedApi>(*host->controller_, *ha->replicas, *ha->kv);
    host->api_ = host->replicated_.get();
  }

  api::GrpcServerOptions grpc;
  grpc.listen = config.grpc_listen;
  grpc.auth_token = Env(config.grpc_token_env);
  if (!config.grpc_token_env.empty() && grpc.auth_token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("grpc.tokenEnv names ", config.grpc_token_env,
                     ", which is not set; export it or remove grpc.tokenEnv"));
  }
  grpc.tls_cert_file = config.grpc_tls_cert_file;
  grpc.tls_key_file = config.grpc_tls_key_file;
  grpc.tls_client_ca_file = config.grpc_tls_client_ca_file;
  RETURN_IF_ERROR(
      CheckExposure("grpc", config.grpc_listen, !grpc.tls_cert_file.empty(), config.grpc_insecure));
  RETURN_IF_ERROR(CheckExposure("http", config.http_listen, !config.http_tls_cert_file.empty(),
                                config.http_insecure));
  ASSIGN_OR_RETURN(host->grpc_, api::GrpcServer::Start(*host->api_, grpc));
  host->grpc_host_ = HostOf(config.grpc_listen);
  host->http_host_ = HostOf(config.http_listen);

  watchers::EventGridGuardOptions event_grid;
  event_grid.secret = Env(config.event_grid_secret_env);
  if (!config.event_grid_secret_env.empty() && event_grid.secret.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhooks.eventGridSecretEnv names ", config.event_grid_secret_env,
                     ", which is not set; export it or remove webhooks.eventGridSecretEnv"));
  }
  host->event_grid_guard_ =
      std::make_unique<watchers::EventGridGuard>(std::move(event_grid), RealClock::Get());

  api::HttpServerOptions http;
  http.tls_cert_file = config.http_tls_cert_file;
  http.tls_key_file = config.http_tls_key_file;
  http.tls_client_ca_file = config.http_tls_client_ca_file;
  host->http_ = std::make_unique<api::HttpServer>(std::move(http));
  api::AddStandardRoutes(*host->http_, *host->api_, runner.metrics());
  host->AddWebhooks(config);
  RETURN_IF_ERROR(host->http_->Start(config.http_listen));

  host->controller_->Start();
  if (host->replicas_ != nullptr) {
    // After the controller: it has registered for acquisitions and declared the
    // environments, so nothing acquired goes unnoticed.
    host->replicas_->Start();
    host->replicated_->Start();
  }
  return host;
}

void ControllerHost::AddWebhooks(const ControllerConfig& config) {
  watchers::GitWebhookOptions git;
  git.secret = Env(config.webhook_secret_env);
  git.branch = config.git_branch;
  // Without a secret every delivery is refused (401) unless the config accepts unsigned
  // ones: a push only makes the controller look at the source earlier, but an open
  // endpoint lets anyone make it fetch at will.
  git.allow_unsigned = config.webhooks_allow_unsigned;
  controller::ControllerApi* controller = api_;
  http_->Handle("POST", "/webhooks/git", [git, controller](const api::HttpRequest& request) {
    absl::StatusOr<watchers::GitPush> push =
        watchers::ParseGitWebhook(HeadersOf(request), request.body, git);
    if (!push.ok()) {
      // The message says why (missing or wrong signature header); it never holds a secret.
      log::Warn("webhook_refused")
          .Str("webhook", "git")
          .Int("status", HttpStatusOf(push.status()))
          .Str("reason", push.status().message());
      return Json(HttpStatusOf(push.status()), {{"error", std::string(push.status().message())}});
    }
    log::Info("webhook_accepted")
        .Str("webhook", "git")
        .Bool("relevant", push->relevant)
        .Str("reason", push->reason);
    if (push->relevant) controller->OnSourceChanged(push->reason);
    return Json(202, {{"relevant", push->relevant}, {"reason", push->reason}});
  });
  watchers::EventGridGuard* guard = event_grid_guard_.get();
  http_->Handle(
      "POST", "/webhooks/eventgrid", [controller, guard](const api::HttpRequest& request) {
        // Authentication comes before parsing: a forged delivery costs no parse and no cloud call.
        if (absl::Status auth = guard->Authenticate(request.query); !auth.ok()) {
          return Json(HttpStatusOf(auth), {{"error", std::string(auth.message())}});
        }
        absl::StatusOr<watchers::EventGridDelivery> delivery =
            watchers::ParseEventGridDelivery(HeadersOf(request), request.body);
        if (!delivery.ok()) {
          log::Warn("webhook_refused")
              .Str("webhook", "eventgrid")
              .Int("status", HttpStatusOf(delivery.status()))
              .Str("reason", delivery.status().message());
          return Json(HttpStatusOf(delivery.status()),
                      {{"error", std::string(delivery.status().message())}});
        }
        if (delivery->is_validation) {
          log::Info("webhook_accepted")
              .Str("webhook", "eventgrid")
              .Str("reason", "subscription validation");
          api::HttpResponse r;
          r.content_type = "application/json";
          r.body = delivery->validation_response;
          return r;
        }
        const std::vector<watchers::ResourceChange> admitted = guard->Admit(*delivery);
        log::Info("webhook_accepted")
            .Str("webhook", "eventgrid")
            .Int("resources", static_cast<int64_t>(admitted.size()))
            .Int("skipped", static_cast<int64_t>(delivery->resource_ids.size() - admitted.size()))
            .Int("ignored", static_cast<int64_t>(delivery->ignored_events));
        for (const watchers::ResourceChange& c : admitted) {
          controller::CloudChange change;
          change.resource_id = c.resource_id;
          change.client_request_id = c.client_request_id;
          change.version = c.version;
          change.deleted = c.deleted;
          controller->OnCloudResourceChanged(change);
        }
        return Json(200, {{"resources", admitted.size()},
                          {"skipped", delivery->resource_ids.size() - admitted.size()},
                          {"ignored", delivery->ignored_events}});
      });
  http_->Handle("OPTIONS", "/webhooks/eventgrid", [](const api::HttpRequest& request) {
    absl::StatusOr<std::string> origin = watchers::CloudEventsAllowedOrigin(HeadersOf(request));
    if (!origin.ok()) return Json(400, {{"error", std::string(origin.status().message())}});
    api::HttpResponse r;
    r.headers.push_back({"WebHook-Allowed-Origin", *origin});
    r.headers.push_back({"WebHook-Allowed-Rate", "*"});
    return r;
  });
}

std::string ControllerHost::grpc_address() const {
  return absl::StrCat(grpc_host_, ":", grpc_port());
}
std::string ControllerHost::http_address() const {
  return absl::StrCat(http_host_, ":", http_port());
}

ControllerHost::~ControllerHost() { Stop(); }

void ControllerHost::Stop() {
  if (grpc_) grpc_->Shutdown();
  if (http_) http_->Stop();
  if (replicated_) replicated_->Stop();
  if (controller_) controller_->Stop();
  // Last: revoking the lease hands every environment to the other replicas at once.
  if (replicas_) replicas_->Stop();
}

}  // namespace envctl::cli
