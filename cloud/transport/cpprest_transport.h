// CpprestTransport: the real HttpTransport, on cpprestsdk's http_client. One http_client
// (and so one connection pool) per origin and timeout is cached (closed once idle for
// idle_client_timeout, or when more than max_idle_clients are idle) and reused by idempotent
// requests; a non-idempotent one (HttpRequest::IsIdempotent) gets a fresh connection, so
// cpprest's transparent resend on a failed pooled connection can never repeat it. TLS trusts the
// system CAs plus an optional extra CA file (cloudsim's self-signed CA). Every cpprest
// exception is caught here: timeouts become DeadlineExceeded, connection and TLS failures
// Unavailable, cancellation Cancelled, each with the cause. Request headers are sent as
// given (no Content-Type is invented for a body that has none). Thread-safe.
#ifndef ENVCTL_CLOUD_TRANSPORT_CPPREST_TRANSPORT_H_
#define ENVCTL_CLOUD_TRANSPORT_CPPREST_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cloud/transport/http_transport.h"

namespace web::http::client {
class http_client;
}  // namespace web::http::client

namespace envctl::cloud {

struct CpprestTransportOptions {
  // PEM file with an extra CA certificate to trust besides the system store; "" for none.
  std::string ca_cert_file;
  // Sent when the request has no User-Agent header.
  std::string user_agent = "envctl/0.1";
  // A cached client (and its pooled connections) unused this long is closed when the
  // next client is taken.
  absl::Duration idle_client_timeout = absl::Seconds(5);
  // At most this many idle cached clients are kept (the least recently used beyond it
  // are closed when the next client is taken), so the connections held stay bounded
  // however many vaults and workspaces one process talks to.
  int max_idle_clients = 8;
};

class CpprestTransport : public HttpTransport {
 public:
  explicit CpprestTransport(CpprestTransportOptions options = {});
  // Cancels whatever is still in flight.
  ~CpprestTransport() override;

  CpprestTransport(const CpprestTransport&) = delete;
  CpprestTransport& operator=(const CpprestTransport&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

  // Cancels every in-flight request (they return Cancelled) and makes later Sends return
  // Cancelled at once. Used on shutdown so no worker stays blocked on the network.
  void CancelAll();

  // Number of cached clients (one per origin and timeout); for tests of connection reuse.
  int CachedClientsForTest() const;

 private:
  struct State;
  // The cached client of origin and timeout, or with `pooled` false a new one that is
  // not cached (its connection dies with it).
  std::shared_ptr<web::http::client::http_client> ClientFor(const std::string& origin,
                                                            absl::Duration timeout, bool pooled);
  // The request on the cached client of origin and timeout ended: it may go idle.
  void DoneWith(const std::string& origin, absl::Duration timeout);

  const CpprestTransportOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_CPPREST_TRANSPORT_H_
