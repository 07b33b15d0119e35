// A small blocking HTTP/1.1 client (plain or TLS) on Boost.Beast, for cloudsim's own
// outbound calls (Event Grid webhook deliveries) and for tests that need wire-level
// control (keep-alive, chunked uploads, raw bytes). One HttpConnection = one socket, used
// by one thread at a time; every operation is bounded by ClientOptions::timeout.
#ifndef ENVCTL_CLOUDSIM_HTTP_CLIENT_H_
#define ENVCTL_CLOUDSIM_HTTP_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

struct ClientOptions {
  // PEM CA bundle used to verify https servers; empty = do not verify (loopback
  // webhooks with self-signed certificates).
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(10);
};

class HttpConnection {
 public:
  // Connects to the scheme/host/port of `url` (path ignored). Unavailable when the
  // connection or TLS handshake fails; FailedPrecondition when the CA file is unusable.
  static absl::StatusOr<std::unique_ptr<HttpConnection>> Connect(const std::string& url,
                                                                 const ClientOptions& options);
  ~HttpConnection();

  // Sends one request (adds Host and Content-Length unless present) and reads the
  // response. `target` is path + query. Unavailable("write failed") when the request
  // cannot be sent, Unavailable("reading response: ...") when no answer can be read.
  absl::StatusOr<Response> RoundTrip(const std::string& method, const std::string& target,
                                     const HeaderMap& headers, const std::string& body);
  // Wire-level control for tests. ReadResponse skips interim (1xx) responses.
  absl::Status SendRaw(const std::string& bytes);
  absl::StatusOr<Response> ReadResponse(bool head_request);

 private:
  class Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
absl::StatusOr<Response> Fetch(const std::string& method, const std::string& url,
                               const HeaderMap& headers, const std::string& body,
                               const ClientOptions& options = {});

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_CLIENT_H_
