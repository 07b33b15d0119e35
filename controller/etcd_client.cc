#include "controller/etcd_client.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "grpcpp/grpcpp.h"
#include "metrics/metrics.h"

namespace envctl::controller {

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("state.etcd: cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& endpoint, const char* method) {
  if (s.ok()) return absl::OkStatus();
  const std::string message =
      absl::StrCat("etcd ", method, " at ", endpoint, ": ", s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(message);
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::FailedPreconditionError(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::ResourceExhaustedError(message);
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    default:
      // etcd's "request timed out" / "leader changed" come as UNKNOWN: worth another member.
      if (absl::StrContains(s.error_message(), "timed out") ||
          absl::StrContains(s.error_message(), "leader")) {
        return absl::UnavailableError(message);
      }
      return absl::InternalError(message);
  }
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(), kv.value(), kv.lease(), kv.mod_revision()};
}

// One Watch stream at a time over `prefix`, reopened on the next member when it breaks.
class EtcdPrefixWatch : public KvWatch {
 public:
  EtcdPrefixWatch(std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> members,
                  size_t first, std::string prefix,
                  std::function<void(const std::string&)> on_change)
      : members_(std::move(members)),
        first_(first),
        prefix_(std::move(prefix)),
        on_change_(std::move(on_change)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~EtcdPrefixWatch() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    thread_.join();
  }

 private:
  void Run() {
    int64_t next_revision = 0;  // 0: from now
    for (size_t attempt = 0;; ++attempt) {
      const auto& [endpoint, channel] = members_[(first_ + attempt) % members_.size()];
      auto stub = etcdserverpb::Watch::NewStub(channel);
      grpc::ClientContext context;
      // etcd's WithRequireLeader: a member cut off from the quorum ends the stream instead
      // of staying silent, so the watch moves to a member that still hears the leader.
      context.AddMetadata("hasleader", "true");
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        context_ = &context;
      }
      auto stream = stub->Watch(&context);
      etcdserverpb::WatchRequest request;
      etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
      create->set_key(prefix_);
      create->set_range_end(PrefixRangeEnd(prefix_));
      create->set_start_revision(next_revision);
      create->set_progress_notify(true);
      etcdserverpb::WatchResponse response;
      bool opened = false;
      if (stream->Write(request)) {
        while (stream->Read(&response)) {
          opened = true;
          if (response.created() && next_revision == 0)
            next_revision = response.header().revision() + 1;
          if (response.canceled()) {
            // Compacted past where it left off: what happened meanwhile is lost to the
            // watch (the caller's periodic look covers it); go on from now.
            if (response.compact_revision() > 0) next_revision = 0;
            log::Warn("etcd_watch_canceled")
                .Str("endpoint", endpoint)
                .Str("reason", response.cancel_reason());
            break;
          }
          if (response.events_size() == 0 && response.header().revision() >= next_revision) {
            next_revision = response.header().revision() + 1;  // progress notice
          }
          for (const mvccpb::Event& event : response.events()) {
            next_revision = std::max(next_revision, event.kv().mod_revision() + 1);
            on_change_(event.kv().key());
          }
        }
      }
      context.TryCancel();
      grpc::Status finished = stream->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (stopping_) return;
        // Stopping wakes this at once; a broken stream is reopened after a short pause.
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(500));
        if (stopping_) return;
      }
      // Said once per outage, not at every attempt while no member answers.
      if (opened)
        log::Info("etcd_watch_broken")
            .Str("endpoint", endpoint)
            .Str("error", finished.error_message());
    }
  }

  const std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> members_;
  const size_t first_;
  const std::string prefix_;
  const std::function<void(const std::string&)> on_change_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

absl::StatusOr<std::unique_ptr<EtcdKvStore>> EtcdKvStore::Create(const EtcdOptions& options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("state.etcd.endpoints: at least one endpoint is required");
  }
  std::unique_ptr<EtcdKvStore> store(new EtcdKvStore(options));
  std::shared_ptr<grpc::ChannelCredentials> tls;
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadPem(options.ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      auto cert = ReadPem(options.cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadPem(options.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    tls = grpc::SslCredentials(ssl);
  }
  for (const std::string& endpoint : options.endpoints) {
    std::string target = endpoint;
    bool https = false;
    if (absl::StartsWith(target, "http://")) {
      target = target.substr(7);
    } else if (absl::StartsWith(target, "https://")) {
      target = target.substr(8);
      https = true;
    }
    if (https && tls == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("state.etcd.endpoints: ", endpoint,
                                                     " is https but state.etcd.tlsCa is not set"));
    }
    grpc::ChannelArguments args;
    // A restarted member is reconnected to within about a second, not after minutes.
    // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS stays at its default: gRPC also uses it as the
    // connect timeout, and a tiny one never lets a handshake finish on a loaded machine.)
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    auto member = std::make_unique<Member>();
    member->endpoint = endpoint;
    member->channel = grpc::CreateCustomChannel(
        target, tls != nullptr ? tls : grpc::InsecureChannelCredentials(), args);
    member->kv = etcdserverpb::KV::NewStub(member->channel);
    member->lease = etcdserverpb::Lease::NewStub(member->channel);
    store->members_.push_back(std::move(member));
  }
  return store;
}

std::string EtcdKvStore::CurrentEndpoint() const {
  return members_[current_.load() % members_.size()]->endpoint;
}

absl::Status EtcdKvStore::Invoke(
    const char* method, const std::function<grpc::Status(Member&, grpc::ClientContext&)>& call) {
  absl::Status last;
  // A member that answers "leader changed" is in an election (about a second after the
  // leader died): another round over the members, shortly after, usually finds the new
  // leader. Bounded: at most three more rounds, 0.1 + 0.2 + 0.4 s apart.
  absl::Duration pause = absl::Milliseconds(100);
  for (int round = 0; round < 4; ++round) {
    if (round > 0) {
      if (!absl::StrContains(last.message(), "leader changed")) return last;
      absl::SleepFor(pause);
      pause *= 2;
    }
    const size_t first = current_.load();
    for (size_t attempt = 0; attempt < members_.size(); ++attempt) {
      const size_t index = (first + attempt) % members_.size();
      Member& member = *members_[index];
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + options_.request_timeout));
      const absl::Time started = absl::Now();
      grpc::Status status = call(member, context);
      if (options_.request_duration != nullptr) {
        options_.request_duration->Add({{"method", method}}, metrics::Metrics::DurationBuckets())
            .Observe(absl::ToDoubleSeconds(absl::Now() - started));
      }
      last = FromGrpc(status, member.endpoint, method);
      if (!absl::IsUnavailable(last) && !absl::IsDeadlineExceeded(last)) {
        current_.store(index);
        return last;
      }
    }
  }
  return last;
}

absl::StatusOr<std::optional<KeyValue>> EtcdKvStore::Get(const std::string& key) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  etcdserverpb::RangeResponse response;
  absl::Status s = Invoke("Range", [&](Member& m, grpc::ClientContext& c) {
    return m.kv->Range(&c, request, &response);
  });
  if (!s.ok()) return s;
  if (response.kvs_size() == 0) return std::optional<KeyValue>();
  return std::optional<KeyValue>(FromProto(response.kvs(0)));
}

absl::StatusOr<std::vector<KeyValue>> EtcdKvStore::List(const std::string& prefix) {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(PrefixRangeEnd(prefix));
  etcdserverpb::RangeResponse response;
  absl::Status s = Invoke("Range", [&](Member& m, grpc::ClientContext& c) {
    return m.kv->Range(&c, request, &response);
  });
  if (!s.ok()) return s;
  std::vector<KeyValue> out;
  for (const auto& kv : response.kvs()) out.push_back(FromProto(kv));
  return out;
}

absl::Status EtcdKvStore::Put(const std::string& key, const std::string& value, int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  return Invoke(
      "Put", [&](Member& m, grpc::ClientContext& c) { return m.kv->Put(&c, request, &response); });
}

absl::Status EtcdKvStore::Delete(const std::string& key) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  etcdserverpb::DeleteRangeResponse response;
  return Invoke("DeleteRange", [&](Member& m, grpc::ClientContext& c) {
    return m.kv->DeleteRange(&c, request, &response);
  });
}

absl::StatusOr<bool> EtcdKvStore::Txn(const std::vector<KvGuard>& guards,
                                      const etcdserverpb::RequestOp& op) {
  etcdserverpb::TxnRequest request;
  for (const KvGuard& g : guards) {
    if (g.kind == KvGuard::Kind::kAbsent) {
      etcdserverpb::Compare* c = request.add_compare();
      c->set_key(g.key);
      c->set_target(etcdserverpb::Compare::CREATE);
      c->set_result(etcdserverpb::Compare::EQUAL);
      c->set_create_revision(0);  // a key that does not exist has create revision 0
    } else {
      etcdserverpb::Compare* v = request.add_compare();
      v->set_key(g.key);
      v->set_target(etcdserverpb::Compare::VALUE);
      v->set_result(etcdserverpb::Compare::EQUAL);
      v->set_value(g.value);
      etcdserverpb::Compare* l = request.add_compare();
      l->set_key(g.key);
      l->set_target(etcdserverpb::Compare::LEASE);
      l->set_result(etcdserverpb::Compare::EQUAL);
      l->set_lease(g.lease);
    }
  }
  *request.add_success() = op;
  etcdserverpb::TxnResponse response;
  absl::Status s = Invoke(
      "Txn", [&](Member& m, grpc::ClientContext& c) { return m.kv->Txn(&c, request, &response); });
  if (!s.ok()) return s;
  return response.succeeded();
}

absl::StatusOr<bool> EtcdKvStore::PutIf(const std::vector<KvGuard>& guards, const std::string& key,
                                        const std::string& value, int64_t lease) {
  etcdserverpb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  op.mutable_request_put()->set_lease(lease);
  return Txn(guards, op);
}

absl::StatusOr<bool> EtcdKvStore::DeleteIf(const std::vector<KvGuard>& guards,
                                           const std::string& key) {
  etcdserverpb::RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  return Txn(guards, op);
}

absl::StatusOr<int64_t> EtcdKvStore::GrantLease(absl::Duration ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status s = Invoke("LeaseGrant", [&](Member& m, grpc::ClientContext& c) {
    return m.lease->LeaseGrant(&c, request, &response);
  });
  if (!s.ok()) return s;
  if (!response.error().empty())
    return absl::UnavailableError("etcd LeaseGrant: " + response.error());
  return response.id();
}

absl::StatusOr<absl::Duration> EtcdKvStore::KeepAlive(int64_t lease) {
  etcdserverpb::LeaseKeepAliveResponse response;
  bool got = false;
  absl::Status s = Invoke("LeaseKeepAlive", [&](Member& m, grpc::ClientContext& c) {
    // One request, one response on the bidirectional stream, then close it.
    auto stream = m.lease->LeaseKeepAlive(&c);
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease);
    if (!stream->Write(request)) return stream->Finish();
    stream->WritesDone();
    got = stream->Read(&response);
    grpc::Status finished = stream->Finish();
    if (got) return grpc::Status::OK;
    return finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keepalive stream closed")
                         : finished;
  });
  if (!s.ok()) return s;
  if (response.ttl() <= 0) {
    return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " expired"));
  }
  return absl::Seconds(response.ttl());
}

absl::StatusOr<std::unique_ptr<KvWatch>> EtcdKvStore::WatchPrefix(
    const std::string& prefix, std::function<void(const std::string& key)> on_change) {
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> members;
  for (const auto& m : members_) members.emplace_back(m->endpoint, m->channel);
  return std::unique_ptr<KvWatch>(
      new EtcdPrefixWatch(std::move(members), current_.load(), prefix, std::move(on_change)));
}

absl::Status EtcdKvStore::RevokeLease(int64_t lease) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  return Invoke("LeaseRevoke", [&](Member& m, grpc::ClientContext& c) {
    return m.lease->LeaseRevoke(&c, request, &response);
  });
}

}  // namespace envctl::controller
