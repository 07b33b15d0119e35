// EtcdKvStore: KvStore on etcd's v3 gRPC API (proto/etcd/rpc.proto, the project's own
// gRPC and protobuf). Every call carries a deadline (`request_timeout`); a call that
// fails with Unavailable or DeadlineExceeded (member down, no leader, partition) is
// retried once on each other endpoint, and the endpoint that answered is used first
// from then on. TLS (CA, client certificate and key) when configured. Thread-safe.
#ifndef ENVCTL_CONTROLLER_ETCD_CLIENT_H_
#define ENVCTL_CONTROLLER_ETCD_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/kv_store.h"
#include "etcd/rpc.grpc.pb.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace envctl::controller {

struct EtcdOptions {
  // "http://127.0.0.1:2379", "https://etcd-0:2379" or "host:port" (plaintext).
  std::vector<std::string> endpoints;
  // PEM files; with `ca_file` the connection uses TLS, with cert and key too, mutual TLS.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Deadline of each attempt of each call.
  absl::Duration request_timeout = absl::Seconds(2);
  // envctl_etcd_request_duration_seconds{method}; optional.
  prometheus::Family<prometheus::Histogram>* request_duration = nullptr;
};

class EtcdKvStore : public KvStore {
 public:
  // InvalidArgument for no endpoint or an unreadable TLS file. Connects lazily: an
  // unreachable cluster shows up as Unavailable on the first call, not here.
  static absl::StatusOr<std::unique_ptr<EtcdKvStore>> Create(const EtcdOptions& options);

  absl::StatusOr<std::optional<KeyValue>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<KeyValue>> List(const std::string& prefix) override;
  absl::Status Put(const std::string& key, const std::string& value, int64_t lease) override;
  absl::Status Delete(const std::string& key) override;
  absl::StatusOr<bool> PutIf(const std::vector<KvGuard>& guards, const std::string& key,
                             const std::string& value, int64_t lease) override;
  absl::StatusOr<bool> DeleteIf(const std::vector<KvGuard>& guards,
                                const std::string& key) override;
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl) override;
  absl::StatusOr<absl::Duration> KeepAlive(int64_t lease) override;
  absl::Status RevokeLease(int64_t lease) override;
  // An etcd Watch stream over the prefix, on a thread of its own. When the stream breaks
  // (member down, leader lost: the watch asks etcd to require a leader) it is reopened on
  // the next endpoint from the revision after the last event seen, so nothing is missed
  // unless etcd compacted that revision meanwhile (then it goes on from now).
  absl::StatusOr<std::unique_ptr<KvWatch>> WatchPrefix(
      const std::string& prefix, std::function<void(const std::string& key)> on_change) override;

  // The endpoint calls go to first (the last one that answered).
  std::string CurrentEndpoint() const;

 private:
  struct Member {
    std::string endpoint;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  };
  explicit EtcdKvStore(const EtcdOptions& options) : options_(options) {}
  // Runs `call` against the current member, then each other one while the answer is
  // Unavailable or DeadlineExceeded. `method` labels the duration histogram.
  absl::Status Invoke(const char* method,
                      const std::function<grpc::Status(Member&, grpc::ClientContext&)>& call);
  absl::StatusOr<bool> Txn(const std::vector<KvGuard>& guards, const etcdserverpb::RequestOp& op);

  const EtcdOptions options_;
  std::vector<std::unique_ptr<Member>> members_;
  std::atomic<size_t> current_{0};
};

// The range end that makes a Range, DeleteRange or Watch cover every key with `prefix`.
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_ETCD_CLIENT_H_
