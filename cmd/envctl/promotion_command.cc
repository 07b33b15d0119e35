// envctl sync / promote / rollback / unpin / history: a manual sync, and promotion of a revision
// from one environment to the next, through a running controller's gRPC API (docs/controller.md).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "envctl/v1/service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::cli {

namespace {

constexpr char kCommonFlags[] =
    R"(  --server ADDR    the controller's gRPC address (default 127.0.0.1:50051)
  --token-env VAR  environment variable holding the controller's API token
                   (default ENVCTL_API_TOKEN; sent only when set)
)";

constexpr char kPromoteUsage[] =
    R"(Usage: envctl promote --env E [--revision R] [--server ADDR] [--token-env VAR]

Approves revision R (default: E's pending revision) for an environment whose
promotion sets requireApproval: true. The approval is recorded with your login ($USER)
and the time in E's history; E adopts R on its next sync (queued at once).
)";
constexpr char kRollbackUsage[] =
    R"(Usage: envctl rollback --env E --to R [--server ADDR] [--token-env VAR]

Pins E to revision R (one E ran before, or one the controller knows): E moves back to R
and stays there, whatever passes upstream, until `envctl unpin --env E`.
)";
constexpr char kUnpinUsage[] = R"(Usage: envctl unpin --env E [--server ADDR] [--token-env VAR]

Removes E's pin: promotion decides E's revision again.
)";
constexpr char kSyncUsage[] =
    R"(Usage: envctl sync --env E [--override-windows] [--allow-mass-prune] [--wait [--timeout D]] [--server ADDR] [--token-env VAR]

Queues a sync of E in a running controller now (instead of at its next resync).
  --override-windows  write even while one of E's sync windows forbids it (an explicit,
                      manual exception: the sync is logged with its id like any other)
  --allow-mass-prune  let prune exceed sync.maxPrune or delete a resource group
  --wait              block until the sync finished; exit 0 converged, 2 not converged
  --timeout D         how long --wait waits (e.g. 90s, 10m; default 10m)
)";
constexpr char kHistoryUsage[] =
    R"(Usage: envctl history --env E [--json] [--server ADDR] [--token-env VAR]

The last 20 revisions E ran, newest first: when it adopted each, why, the outcome,
each test's result and who approved it; then what E runs and waits for now.
  --json           HistoryResponse as JSON (protobuf JSON mapping)
)";

class Client {
 public:
  Client(const std::string& command, const Args& args)
      : command_(command),
        server_(args.Get("server", "127.0.0.1:50051")),
        token_env_(args.Get("token-env", "ENVCTL_API_TOKEN")),
        stub_(envctl::v1::EnvironmentService::NewStub(
            grpc::CreateChannel(server_, grpc::InsecureChannelCredentials()))) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const char* token = std::getenv(token_env_.c_str());
    if (token != nullptr && *token != '\0')
      c->AddMetadata("authorization", std::string("Bearer ") + token);
    return c;
  }
  envctl::v1::EnvironmentService::Stub& stub() { return *stub_; }

  int Fail(const grpc::Status& st) const {
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {
      std::fprintf(stderr, "envctl %s: no controller answers at %s (%s); pass --server\n",
                   command_.c_str(), server_.c_str(), st.error_message().c_str());
    } else if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      std::fprintf(
          stderr,
          "envctl %s: %s: %s (export the token in $%s or name its variable with --token-env)\n",
          command_.c_str(), server_.c_str(), st.error_message().c_str(), token_env_.c_str());
    } else {
      std::fprintf(stderr, "envctl %s: %s\n", command_.c_str(), st.error_message().c_str());
    }
    return 1;
  }

 private:
  const std::string command_, server_, token_env_;
  std::unique_ptr<envctl::v1::EnvironmentService::Stub> stub_;
};

std::string Me() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown user";
}

std::string TimeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

void PrintPromotion(const std::string& env, const envctl::v1::PromotionStatus& p) {
  std::cout << env << ": revision " << (p.revision().empty() ? "-" : p.revision());
  if (!p.pinned_revision().empty()) std::cout << " (pinned by " << p.pinned_by() << ")";
  std::cout << "\n";
  if (!p.pending_revision().empty()) std::cout << "  pending " << p.pending_revision() << "\n";
  if (!p.waiting_for().empty()) std::cout << "  waiting for " << p.waiting_for() << "\n";
}

// Parses the flags; on --help or an error prints `usage` and sets *exit_code.
bool Parse(const char* command, const char* usage, int argc, char** argv,
           const std::set<std::string>& value_flags, const std::set<std::string>& bool_flags,
           Args* out, int* exit_code) {
  std::set<std::string> values = value_flags;
  values.insert({"server", "token-env", "env"});
  std::set<std::string> bools = bool_flags;
  bools.insert("help");
  auto args = ParseArgs(argc, argv, 1, values, bools);
  if (args.ok() && !args->GetBool("help") && !args->Get("env").empty()) {
    *out = *std::move(args);
    return true;
  }
  if (!args.ok()) {
    std::fprintf(stderr, "envctl %s: %s\n\n", command,
                 std::string(args.status().message()).c_str());
  } else if (!args->GetBool("help")) {
    std::fprintf(stderr, "envctl %s: --env is required\n\n", command);
  }
  const bool help = args.ok() && args->GetBool("help");
  std::fputs(usage, help ? stdout : stderr);
  std::fputs(kCommonFlags, help ? stdout : stderr);
  *exit_code = help ? 0 : 1;
  return false;
}

}  // namespace

int RunSync(int argc, char** argv) {
  Args args;
  int code = 0;
  if (!Parse("sync", kSyncUsage, argc, argv, {"timeout"},
             {"override-windows", "allow-mass-prune", "wait"}, &args, &code)) {
    return code;
  }
  absl::Duration timeout = absl::Minutes(10);
  if (!args.Get("timeout").empty() &&
      (!absl::ParseDuration(args.Get("timeout"), &timeout) || timeout <= absl::ZeroDuration())) {
    std::fprintf(stderr, "envctl sync: --timeout %s is not a duration like 90s or 10m\n",
                 args.Get("timeout").c_str());
    return 1;
  }
  Client client("sync", args);
  envctl::v1::SyncRequest request;
  request.set_environment(args.Get("env"));
  request.set_override_windows(args.GetBool("override-windows"));
  request.set_allow_mass_prune(args.GetBool("allow-mass-prune"));
  request.set_wait(args.GetBool("wait"));
  if (request.wait()) {
    request.mutable_timeout()->set_seconds(absl::ToInt64Seconds(timeout));
  }
  auto context = client.Context();
  // The RPC itself waits up to `timeout`: the call's deadline leaves it room to answer.
  if (request.wait()) {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoSeconds(timeout + absl::Seconds(30)));
  }
  envctl::v1::SyncResponse response;
  grpc::Status st = client.stub().Sync(context.get(), request, &response);
  if (!st.ok()) return client.Fail(st);
  std::cout << "sync " << response.sync_id() << " of " << request.environment() << " queued"
            << (request.override_windows() ? " (sync windows overridden)" : "") << "\n";
  if (!request.wait()) return 0;
  std::cout << request.environment() << ": " << response.applied_size() << " change(s) applied, "
            << (response.converged() ? "converged" : "not converged") << "\n";
  if (response.status().has_promotion()) {
    PrintPromotion(request.environment(), response.status().promotion());
  }
  return response.converged() ? 0 : 2;
}

int RunPromote(int argc, char** argv) {
  Args args;
  int code = 0;
  if (!Parse("promote", kPromoteUsage, argc, argv, {"revision"}, {}, &args, &code)) return code;
  Client client("promote", args);
  envctl::v1::PromoteRequest request;
  request.set_environment(args.Get("env"));
  request.set_revision(args.Get("revision"));
  request.set_requested_by(Me());
  envctl::v1::PromoteResponse response;
  grpc::Status st = client.stub().Promote(client.Context().get(), request, &response);
  if (!st.ok()) return client.Fail(st);
  const std::string approved = response.promotion().approvals_size() > 0
                                   ? response.promotion().approvals().rbegin()->revision()
                                   : request.revision();
  std::cout << "approved " << approved << " for " << request.environment() << " (by "
            << request.requested_by() << ")\n";
  PrintPromotion(request.environment(), response.promotion());
  return 0;
}

int RunRollback(int argc, char** argv) {
  Args args;
  int code = 0;
  if (!Parse("rollback", kRollbackUsage, argc, argv, {"to"}, {}, &args, &code)) return code;
  if (args.Get("to").empty()) {
    std::fprintf(stderr, "envctl rollback: --to is required (the revision to go back to)\n");
    return 1;
  }
  Client client("rollback", args);
  envctl::v1::RollbackRequest request;
  request.set_environment(args.Get("env"));
  request.set_to_revision(args.Get("to"));
  request.set_requested_by(Me());
  envctl::v1::RollbackResponse response;
  grpc::Status st = client.stub().Rollback(client.Context().get(), request, &response);
  if (!st.ok()) return client.Fail(st);
  std::cout << "pinned " << request.environment() << " to " << request.to_revision()
            << " (envctl unpin --env " << request.environment() << " to release)\n";
  return 0;
}

int RunUnpin(int argc, char** argv) {
  Args args;
  int code = 0;
  if (!Parse("unpin", kUnpinUsage, argc, argv, {}, {}, &args, &code)) return code;
  Client client("unpin", args);
  envctl::v1::UnpinRequest request;
  request.set_environment(args.Get("env"));
  request.set_requested_by(Me());
  envctl::v1::UnpinResponse response;
  grpc::Status st = client.stub().Unpin(client.Context().get(), request, &response);
  if (!st.ok()) return client.Fail(st);
  std::cout << "unpinned " << request.environment() << "\n";
  return 0;
}

int RunHistory(int argc, char** argv) {
  Args args;
  int code = 0;
  if (!Parse("history", kHistoryUsage, argc, argv, {}, {"json"}, &args, &code)) return code;
  Client client("history", args);
  envctl::v1::HistoryRequest request;
  request.set_environment(args.Get("env"));
  envctl::v1::HistoryResponse response;
  grpc::Status st = client.stub().History(client.Context().get(), request, &response);
  if (!st.ok()) return client.Fail(st);
  if (args.GetBool("json")) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(response, &text, options);
    std::cout << text;
    return 0;
  }
  PrintPromotion(request.environment(), response.promotion());
  for (const auto& r : response.revisions()) {
    std::cout << absl::StrFormat("  %-23s %-14s %-22s %s", TimeText(r.time()),
                                 r.revision().substr(0, 12), r.outcome(), r.reason());
    if (!r.approved_by().empty()) std::cout << "; approved by " << r.approved_by();
    std::cout << "\n";
    for (const auto& t : r.tests()) {
      std::cout << "      test " << t.test() << " " << reconcilers::RunResultText(t.result())
                << (t.run_id().empty() ? "" : " run " + t.run_id())
                << (t.message().empty() ? "" : ": " + t.message()) << "\n";
    }
  }
  return 0;
}

}  // namespace envctl::cli
