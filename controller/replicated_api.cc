#include "controller/replicated_api.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"

namespace envctl::controller {

namespace {

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes) {
  Message m;
  if (!m.ParseFromString(bytes)) return absl::InternalError("forwarded call: unparseable message");
  return m;
}

template <typename Response>
envctl::v1::ForwardedReply ReplyOf(const absl::StatusOr<Response>& result) {
  envctl::v1::ForwardedReply reply;
  if (!result.ok()) {
    reply.set_code(static_cast<int>(result.status().code()));
    reply.set_message(std::string(result.status().message()));
  } else {
    reply.set_response(result->SerializeAsString());
  }
  return reply;
}

}  // namespace

ReplicatedApi::ReplicatedApi(ControllerApi& local, ReplicaSet& replicas, KvStore& kv,
                             ReplicatedApiOptions options)
    : local_(local), replicas_(replicas), kv_(kv), options_(options) {}

ReplicatedApi::~ReplicatedApi() { Stop(); }

void ReplicatedApi::Start() {
  if (loop_.joinable()) return;
  const std::string prefix = replicas_.prefix();
  for (const char* what : {"/calls/", "/notices/"}) {
    absl::StatusOr<std::unique_ptr<KvWatch>> watch =
        kv_.WatchPrefix(prefix + what, [this](const std::string&) {
          absl::MutexLock lock(&mu_);
          work_ = true;
        });
    if (watch.ok()) watches_.push_back(std::move(*watch));
  }
  absl::StatusOr<std::unique_ptr<KvWatch>> replies =
      kv_.WatchPrefix(prefix + "/replies/", [this](const std::string&) {
        absl::MutexLock lock(&mu_);
        ++replies_;
      });
  if (replies.ok()) watches_.push_back(std::move(*replies));
  if (watches_.size() < 3) {
    watches_.clear();  // all or none: a missing watch would leave its prefix to the slow look
    log::Warn("ha_api_polling")
        .Str("replica", replicas_.replica_id())
        .Str("reason", "no etcd watch");
  }
  watching_ = !watches_.empty();
  loop_ = std::thread([this] {
    const absl::Duration interval = LookInterval();
    while (true) {
      ServeOnce();
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return work_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), interval);
      if (stopping_) return;
      work_ = false;
    }
  });
}

absl::Duration ReplicatedApi::LookInterval() {
  return watching_ ? options_.watched_poll_interval : options_.poll_interval;
}

void ReplicatedApi::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
  watches_.clear();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(call_threads_);
  }
  for (auto& t : threads) t.join();
}

std::string ReplicatedApi::NewId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  absl::MutexLock lock(&mu_);
  return absl::StrCat(replicas_.replica_id(), "-", ++next_id_, "-", rng() % 1000000);
}

void ReplicatedApi::ServeOnce() {
  const std::string calls_prefix = absl::StrCat(replicas_.prefix(), "/calls/");
  absl::StatusOr<std::vector<KeyValue>> calls = kv_.List(calls_prefix);
  if (calls.ok()) {
    for (const KeyValue& kv : *calls) {
      // <prefix>/calls/<environment>/<id>
      const std::string rest = kv.key.substr(calls_prefix.size());
      const size_t slash = rest.find('/');
      if (slash == std::string::npos) continue;
      const std::string environment = rest.substr(0, slash);
      const std::string id = rest.substr(slash + 1);
      if (!replicas_.Owns(environment)) continue;
      {
        absl::MutexLock lock(&mu_);
        if (!running_.insert(kv.key).second) continue;
      }
      envctl::v1::ForwardedCall call;
      if (!call.ParseFromString(kv.value)) {
        kv_.Delete(kv.key).IgnoreError();
        continue;
      }
      log::Info("ha_call_accepted")
          .Str("replica", replicas_.replica_id())
          .Str("environment", environment)
          .Str("method", call.method())
          .Str("from", call.from_replica());
      const std::string reply_key = absl::StrCat(replicas_.prefix(), "/replies/", id);
      const std::string call_key = kv.key;
      std::thread worker([this, call, reply_key, call_key] {
        envctl::v1::ForwardedReply reply = Run(call);
        reply.set_replica(replicas_.replica_id());
        kv_.Put(reply_key, reply.SerializeAsString(), replicas_.lease()).IgnoreError();
        kv_.Delete(call_key).IgnoreError();
      });
      absl::MutexLock lock(&mu_);
      call_threads_.push_back(std::move(worker));
    }
  }
  const std::string notices_prefix = absl::StrCat(replicas_.prefix(), "/notices/");
  absl::StatusOr<std::vector<KeyValue>> notices = kv_.List(notices_prefix);
  if (notices.ok()) {
    std::vector<envctl::v1::ForwardedCall> todo;
    {
      absl::MutexLock lock(&mu_);
      for (const KeyValue& kv : *notices) {
        if (own_notices_.count(kv.key) || !seen_notices_.insert(kv.key).second) continue;
        envctl::v1::ForwardedCall notice;
        if (notice.ParseFromString(kv.value)) todo.push_back(std::move(notice));
      }
      if (seen_notices_.size() > 10000) seen_notices_.clear();  // bounded; notices are short-lived
    }
    for (const auto& notice : todo) {
      if (notice.method() == "OnSourceChanged") local_.OnSourceChanged(notice.request());
      if (notice.method() == "OnCloudResourceChanged") {
        // "id\nclient request id\nversion\ndeleted"; a bare id from an older replica.
        std::vector<std::string> f = absl::StrSplit(notice.request(), '\n');
        f.resize(4);
        CloudChange change;
        change.resource_id = f[0];
        change.client_request_id = f[1];
        change.version = f[2];
        change.deleted = f[3] == "1";
        local_.OnCloudResourceChanged(change);
      }
    }
  }
  // Own notices are withdrawn once the others had time to see them.
  std::vector<std::string> expired;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (auto it = own_notices_.begin(); it != own_notices_.end();) {
      if (now - it->second > options_.notice_lifetime) {
        expired.push_back(it->first);
        it = own_notices_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& key : expired) kv_.Delete(key).IgnoreError();
}

envctl::v1::ForwardedReply ReplicatedApi::Run(const envctl::v1::ForwardedCall& call) {
  const std::string& m = call.method();
  const std::string& b = call.request();
  if (m == "Sync") {
    auto r = Parse<envctl::v1::SyncRequest>(b);
    return r.ok() ? ReplyOf(local_.Sync(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::SyncResponse>(r.status()));
  }
  if (m == "Suspend") {
    auto r = Parse<envctl::v1::SuspendRequest>(b);
    return r.ok() ? ReplyOf(local_.Suspend(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::SuspendResponse>(r.status()));
  }
  if (m == "Resume") {
    auto r = Parse<envctl::v1::ResumeRequest>(b);
    return r.ok() ? ReplyOf(local_.Resume(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::ResumeResponse>(r.status()));
  }
  if (m == "RunIntegrationTest") {
    auto r = Parse<envctl::v1::RunIntegrationTestRequest>(b);
    return r.ok() ? ReplyOf(local_.RunIntegrationTest(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::RunIntegrationTestResponse>(r.status()));
  }
  if (m == "Promote") {
    auto r = Parse<envctl::v1::PromoteRequest>(b);
    return r.ok() ? ReplyOf(local_.Promote(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::PromoteResponse>(r.status()));
  }
  if (m == "Rollback") {
    auto r = Parse<envctl::v1::RollbackRequest>(b);
    return r.ok() ? ReplyOf(local_.Rollback(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::RollbackResponse>(r.status()));
  }
  if (m == "Unpin") {
    auto r = Parse<envctl::v1::UnpinRequest>(b);
    return r.ok() ? ReplyOf(local_.Unpin(*r))
                  : ReplyOf(absl::StatusOr<envctl::v1::UnpinResponse>(r.status()));
  }
  envctl::v1::ForwardedReply reply;
  reply.set_code(static_cast<int>(absl::StatusCode::kUnimplemented));
  reply.set_message(absl::StrCat("forwarded call: unknown method ", m));
  return reply;
}

absl::StatusOr<std::string> ReplicatedApi::Forward(const std::string& environment,
                                                   const envctl::v1::ForwardedCall& call) {
  const int64_t lease = replicas_.lease();
  if (lease == 0) {
    return absl::UnavailableError(absl::StrCat("replica ", replicas_.replica_id(),
                                               " holds no etcd lease; try another replica"));
  }
  const std::string id = NewId();
  const std::string call_key = absl::StrCat(replicas_.prefix(), "/calls/", environment, "/", id);
  const std::string reply_key = absl::StrCat(replicas_.prefix(), "/replies/", id);
  if (absl::Status s = kv_.Put(call_key, call.SerializeAsString(), lease); !s.ok()) return s;
  log::Info("ha_call_forwarded")
      .Str("replica", replicas_.replica_id())
      .Str("environment", environment)
      .Str("method", call.method())
      .Str("owner", replicas_.OwnerOf(environment));
  const absl::Time deadline = absl::Now() + options_.forward_timeout;
  while (absl::Now() < deadline) {
    uint64_t replies_before = 0;
    {
      absl::MutexLock lock(&mu_);
      replies_before = replies_;
    }
    absl::StatusOr<std::optional<KeyValue>> got = kv_.Get(reply_key);
    if (got.ok() && got->has_value()) {
      kv_.Delete(reply_key).IgnoreError();
      envctl::v1::ForwardedReply reply;
      if (!reply.ParseFromString((*got)->value))
        return absl::InternalError("forwarded call: unparseable reply");
      if (reply.code() != 0)
        return absl::Status(static_cast<absl::StatusCode>(reply.code()), reply.message());
      return reply.response();
    }
    // Until a reply (any: the key is looked at again) shows up in the watch, or the look interval.
    absl::MutexLock lock(&mu_);
    auto replied = [this, replies_before]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return replies_ != replies_before || stopping_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&replied), LookInterval());
    if (stopping_) break;
  }
  kv_.Delete(call_key).IgnoreError();
  return absl::DeadlineExceededError(absl::StrCat(
      call.method(), " of ", environment, ": no reply from its owner (",
      replicas_.OwnerOf(environment).empty() ? "none right now" : replicas_.OwnerOf(environment),
      ") within ", absl::FormatDuration(options_.forward_timeout)));
}

template <typename Request, typename Response>
absl::StatusOr<Response> ReplicatedApi::Route(
    const std::string& method, const std::string& environment, const Request& request,
    absl::StatusOr<Response> (ControllerApi::*local)(const Request&)) {
  if (replicas_.Owns(environment)) return (local_.*local)(request);
  envctl::v1::ForwardedCall call;
  call.set_method(method);
  call.set_request(request.SerializeAsString());
  call.set_from_replica(replicas_.replica_id());
  absl::StatusOr<std::string> bytes = Forward(environment, call);
  if (!bytes.ok()) return bytes.status();
  Response response;
  if (!response.ParseFromString(*bytes))
    return absl::InternalError("forwarded call: unparseable response");
  return response;
}

void ReplicatedApi::Notify(const std::string& method, const std::string& payload) {
  const int64_t lease = replicas_.lease();
  if (lease == 0) return;
  envctl::v1::ForwardedCall notice;
  notice.set_method(method);
  notice.set_request(payload);
  notice.set_from_replica(replicas_.replica_id());
  const std::string key = absl::StrCat(replicas_.prefix(), "/notices/", NewId());
  {
    absl::MutexLock lock(&mu_);
    own_notices_[key] = absl::Now();
  }
  kv_.Put(key, notice.SerializeAsString(), lease).IgnoreError();
}

envctl::v1::ListEnvironmentsResponse ReplicatedApi::ListEnvironments() {
  return local_.ListEnvironments();
}

absl::StatusOr<envctl::v1::GetEnvironmentResponse> ReplicatedApi::GetEnvironment(
    const std::string& name) {
  absl::StatusOr<envctl::v1::GetEnvironmentResponse> r = local_.GetEnvironment(name);
  if (r.ok()) r->mutable_status()->set_owner(replicas_.OwnerOf(name));
  return r;
}

absl::StatusOr<envctl::v1::PlanResponse> ReplicatedApi::Plan(
    const envctl::v1::PlanRequest& request) {
  return local_.Plan(request);  // reads only: any replica
}
absl::StatusOr<envctl::v1::SyncResponse> ReplicatedApi::Sync(
    const envctl::v1::SyncRequest& request) {
  return Route("Sync", request.environment(), request, &ControllerApi::Sync);
}
absl::StatusOr<envctl::v1::SuspendResponse> ReplicatedApi::Suspend(
    const envctl::v1::SuspendRequest& request) {
  return Route("Suspend", request.environment(), request, &ControllerApi::Suspend);
}
absl::StatusOr<envctl::v1::ResumeResponse> ReplicatedApi::Resume(
    const envctl::v1::ResumeRequest& request) {
  return Route("Resume", request.environment(), request, &ControllerApi::Resume);
}
absl::StatusOr<envctl::v1::RunIntegrationTestResponse> ReplicatedApi::RunIntegrationTest(
    const envctl::v1::RunIntegrationTestRequest& request) {
  return Route("RunIntegrationTest", request.environment(), request,
               &ControllerApi::RunIntegrationTest);
}
absl::StatusOr<envctl::v1::GetRunResponse> ReplicatedApi::GetRun(
    const envctl::v1::GetRunRequest& request) {
  return local_.GetRun(request);
}
absl::StatusOr<envctl::v1::PromoteResponse> ReplicatedApi::Promote(
    const envctl::v1::PromoteRequest& request) {
  return Route("Promote", request.environment(), request, &ControllerApi::Promote);
}
absl::StatusOr<envctl::v1::RollbackResponse> ReplicatedApi::Rollback(
    const envctl::v1::RollbackRequest& request) {
  return Route("Rollback", request.environment(), request, &ControllerApi::Rollback);
}
absl::StatusOr<envctl::v1::UnpinResponse> ReplicatedApi::Unpin(
    const envctl::v1::UnpinRequest& request) {
  return Route("Unpin", request.environment(), request, &ControllerApi::Unpin);
}
absl::StatusOr<envctl::v1::HistoryResponse> ReplicatedApi::History(
    const envctl::v1::HistoryRequest& request) {
  return local_.History(request);
}
std::unique_ptr<EventSubscription> ReplicatedApi::Subscribe(const std::string& environment) {
  return local_.Subscribe(environment);
}
bool ReplicatedApi::Healthy(std::string* why) { return local_.Healthy(why); }

void ReplicatedApi::OnSourceChanged(const std::string& reason) {
  local_.OnSourceChanged(reason);
  Notify("OnSourceChanged", reason);
}
void ReplicatedApi::OnCloudResourceChanged(const CloudChange& change) {
  local_.OnCloudResourceChanged(change);
  // The owner of the environment is the one that can tell its own echo (it holds the sync
  // ids it sent): every field travels.
  Notify("OnCloudResourceChanged",
         absl::StrCat(change.resource_id, "\n", change.client_request_id, "\n", change.version,
                      "\n", change.deleted ? "1" : "0"));
}

}  // namespace envctl::controller
