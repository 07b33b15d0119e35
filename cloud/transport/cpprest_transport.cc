#include "cloud/transport/cpprest_transport.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ssl.hpp"
#include "cloud/transport/redact.h"
#include "cloud/transport/tls_diagnosis.h"
#include "cloud/transport/url.h"
#include "cpprest/http_client.h"
#include "openssl/err.h"
#include "openssl/ssl.h"
#include "openssl/x509_vfy.h"

namespace envctl::cloud {

namespace http = web::http;
namespace client = web::http::client;

struct CpprestTransport::State {
  struct Cached {
    std::shared_ptr<client::http_client> client;
    int in_flight = 0;
    absl::Time last_used;
  };
  absl::Mutex mu;
  std::map<std::string, Cached> clients ABSL_GUARDED_BY(mu);
  pplx::cancellation_token_source cancel;
  bool cancelled ABSL_GUARDED_BY(mu) = false;
};

namespace {

// cpprest's messages can include the URL; make sure its query never carries a secret.
std::string Cause(const HttpRequest& request, absl::string_view what) {
  return absl::StrCat(request.method, " ", RedactUrl(request.url), ": ", RedactText(what));
}

bool IsTimeout(const std::error_code& ec, absl::string_view what) {
  return ec == std::errc::timed_out ||
         absl::StrContains(absl::AsciiStrToLower(what), "timed out") ||
         absl::StrContains(absl::AsciiStrToLower(what), "timeout");
}

// The system CAs (OpenSSL's default file), parsed once for the process and kept referenced.
const std::vector<X509*>* SystemCertificates() {
  static const std::vector<X509*>* certs = [] {
    auto* out = new std::vector<X509*>();
    X509_STORE* parsed = X509_STORE_new();
    if (parsed == nullptr) return out;
    X509_STORE_set_default_paths(parsed);
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(parsed);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
      X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
      if (cert != nullptr && X509_up_ref(cert) == 1) out->push_back(cert);
    }
    X509_STORE_free(parsed);
    ERR_clear_error();
    return out;
  }();
  return certs;
}

// Gives `store` the system's trust as X509_STORE_set_default_paths does, without parsing the
// default CA file again: its certificates (parsed once, added by reference) and the
// default CA directory, looked up lazily. False if the store could not be set up.
bool AddSystemTrust(X509_STORE* store) {
  if (store == nullptr) return false;
  const std::vector<X509*>* certs = SystemCertificates();
  if (certs->empty()) return X509_STORE_set_default_paths(store) == 1;
  for (X509* cert : *certs) X509_STORE_add_cert(store, cert);
  if (X509_LOOKUP* dir = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir())) {
    X509_LOOKUP_add_dir(dir, nullptr, X509_FILETYPE_DEFAULT);
  }
  ERR_clear_error();
  return true;
}

// One trust store per extra-CA file for the whole process (system CAs + that file);
// X509_STOREs are reference counted and safe to share once built. Null if it cannot be
// built (cpprest's own per-connection store is used then).
X509_STORE* SharedTrustStore(const std::string& ca_cert_file) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* stores ABSL_GUARDED_BY(mu) = new std::map<std::string, X509_STORE*>();
  absl::MutexLock lock(&mu);
  auto it = stores->find(ca_cert_file);
  if (it != stores->end()) return it->second;
  X509_STORE* store = X509_STORE_new();
  if (store != nullptr && !AddSystemTrust(store)) {
    X509_STORE_free(store);
    store = nullptr;
  }
  if (store != nullptr && !ca_cert_file.empty()) {
    // An unreadable extra CA: connections then fail verification and say so.
    X509_STORE_load_locations(store, ca_cert_file.c_str(), nullptr);
  }
  ERR_clear_error();
  (*stores)[ca_cert_file] = store;
  return store;
}

}  // namespace

}  // namespace envctl::cloud

// cpprestsdk's asio client builds a new SSL context for every connection and calls this on
// it before envctl's ssl_context_callback runs: OpenSSL's own version parses the whole
// system CA bundle (SSL_CERT_FILE, ~150 certificates: ~1 MiB and a few ms of CPU) per
// connection, tens of MiB at the peak when 50 environments open connections to their own
// vaults and workspaces at once. The executable's definition precedes libssl's in the
// dynamic lookup for every caller in the process (cpprest, libgit2). It gives the context's
// own store the same trust: the certificates parsed once (added by reference, not parsed
// again) and the system CA directory looked up lazily. The store stays the context's
// own, so a caller that adds its own CA to it changes nothing for anyone else.
extern "C" int SSL_CTX_set_default_verify_paths(SSL_CTX* ctx) {
  return envctl::cloud::AddSystemTrust(SSL_CTX_get_cert_store(ctx)) ? 1 : 0;
}

namespace envctl::cloud {

CpprestTransport::CpprestTransport(CpprestTransportOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}

CpprestTransport::~CpprestTransport() { CancelAll(); }

void CpprestTransport::CancelAll() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->cancelled = true;
  }
  state_->cancel.cancel();
}

int CpprestTransport::CachedClientsForTest() const {
  absl::MutexLock lock(&state_->mu);
  return static_cast<int>(state_->clients.size());
}

namespace {

// The cache key of a client: origin and request timeout (cpprest sets timeouts per client).
std::string ClientKey(const std::string& origin, absl::Duration timeout) {
  return absl::StrCat(origin, " ", std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));
}

}  // namespace

std::shared_ptr<client::http_client> CpprestTransport::ClientFor(const std::string& origin,
                                                                 absl::Duration timeout,
                                                                 bool pooled) {
  const int64_t timeout_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout));
  const std::string key = ClientKey(origin, timeout);
  std::vector<std::shared_ptr<client::http_client>> evicted;  // destroyed after unlocking
  absl::MutexLock lock(&state_->mu);
  // A client idle for a while goes, and its pooled connections (~50 KiB of TLS state
  // each) with it: a vault or workspace is used for seconds per sync, then not for
  // minutes, and a process serving 50 environments would otherwise hold hundreds.
  const absl::Time now = absl::Now();
  // Idle clients beyond max_idle_clients go too, least recently used first: 50
  // environments planned at once touch 100 origins within a few seconds, and each kept
  // client holds every connection its origin's concurrent requests opened.
  std::vector<std::pair<absl::Time, std::string>> idle;
  for (auto i = state_->clients.begin(); i != state_->clients.end();) {
    if (i->first != key && i->second.in_flight == 0 &&
        now - i->second.last_used >= options_.idle_client_timeout) {
      evicted.push_back(std::move(i->second.client));
      i = state_->clients.erase(i);
    } else {
      if (i->first != key && i->second.in_flight == 0)
        idle.emplace_back(i->second.last_used, i->first);
      ++i;
    }
  }
  const size_t keep_idle = static_cast<size_t>(std::max(0, options_.max_idle_clients));
  if (idle.size() > keep_idle) {
    std::sort(idle.begin(), idle.end());
    for (size_t n = 0; n < idle.size() - keep_idle; ++n) {
      auto i = state_->clients.find(idle[n].second);
      evicted.push_back(std::move(i->second.client));
      state_->clients.erase(i);
    }
  }
  auto it = pooled ? state_->clients.find(key) : state_->clients.end();
  if (it != state_->clients.end()) {
    ++it->second.in_flight;
    return it->second.client;
  }

  client::http_client_config config;
  config.set_timeout(std::chrono::milliseconds(timeout_ms));
  config.set_validate_certificates(true);
  // cpprest gives every connection its own SSL context with the system store loaded into
  // it (~1 MiB each, times every connection to every vault and workspace). Every context
  // uses one shared, read-only store instead (system CAs plus the extra CA).
  // SSL_MODE_RELEASE_BUFFERS: a connection's TLS read and write buffers (~34 KiB) are
  // freed while it idles in the pool and taken again for its next record; with every
  // environment's vault and workspace connections open at once they were most of the heap.
  X509_STORE* store = SharedTrustStore(options_.ca_cert_file);
  config.set_ssl_context_callback([store](boost::asio::ssl::context& ctx) {
    if (store != nullptr) SSL_CTX_set1_cert_store(ctx.native_handle(), store);
    SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  });
  auto c = std::make_shared<client::http_client>(origin, config);
  if (pooled) state_->clients.emplace(key, State::Cached{c, 1, now});
  return c;
}

void CpprestTransport::DoneWith(const std::string& origin, absl::Duration timeout) {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->clients.find(ClientKey(origin, timeout));
  if (it == state_->clients.end() || it->second.in_flight == 0) return;
  --it->second.in_flight;
  it->second.last_used = absl::Now();
}

absl::StatusOr<HttpResponse> CpprestTransport::Send(const HttpRequest& request) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->cancelled) {
      return absl::CancelledError(Cause(request, "transport is shut down"));
    }
  }
  const std::string origin = OriginOf(request.url);
  if (origin.empty()) {
    return absl::InvalidArgumentError(Cause(request, "not an absolute http(s) URL"));
  }
  try {
    web::uri uri(request.url);
    // cpprest silently sends a request again on a new connection when a pooled
    // connection fails before the status line (it assumes the server had closed an idle
    // connection). After a POST the server may have acted and then lost the connection:
    // the resend would start a second pipeline run or mint a second token. A request
    // that must not be repeated therefore goes out on a connection of its own (one TLS
    // handshake more), so a lost answer reaches the caller as Unavailable instead.
    const bool pooled = request.IsIdempotent();
    auto c = ClientFor(origin, request.timeout, pooled);
    absl::Cleanup done = [&] {
      if (pooled) DoneWith(origin, request.timeout);
    };

    http::http_request req(absl::AsciiStrToUpper(request.method));
    req.set_request_uri(uri.resource());
    if (!request.body.empty()) {
      req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
      // set_body invented a Content-Type; send only what the caller gave.
      req.headers().remove(http::header_names::content_type);
    }
    for (const auto& [name, value] : request.headers) {
      req.headers().remove(name);
      req.headers().add(name, value);
    }
    if (!req.headers().has(http::header_names::user_agent)) {
      req.headers().add(http::header_names::user_agent, options_.user_agent);
    }

    http::http_response resp = c->request(req, state_->cancel.get_token()).get();
    HttpResponse out;
    out.status = resp.status_code();
    for (const auto& [name, value] : resp.headers()) out.headers[name] = value;
    std::vector<unsigned char> body = resp.extract_vector().get();
    out.body.assign(body.begin(), body.end());
    return out;
  } catch (const pplx::task_canceled&) {
    return absl::CancelledError(Cause(request, "request cancelled (shutting down)"));
  } catch (const web::uri_exception& e) {
    return absl::InvalidArgumentError(Cause(request, absl::StrCat("bad URL: ", e.what())));
  } catch (const http::http_exception& e) {
    // Cancelling aborts the socket, which cpprest reports as an I/O error.
    if (state_->cancel.get_token().is_canceled()) {
      return absl::CancelledError(Cause(request, "request cancelled (shutting down)"));
    }
    if (IsTimeout(e.error_code(), e.what())) {
      return absl::DeadlineExceededError(
          Cause(request, absl::StrCat("no answer within ", absl::FormatDuration(request.timeout),
                                      " (", e.what(), ")")));
    }
    // A certificate problem does not go away on retry: say what it is and fail at once.
    const std::string what = absl::AsciiStrToLower(e.what());
    if (absl::StartsWith(request.url, "https://") &&
        (absl::StrContains(what, "ssl") || absl::StrContains(what, "handshake") ||
         absl::StrContains(what, "certificate"))) {
      try {
        web::uri uri(request.url);
        if (std::optional<std::string> why = DiagnoseTlsFailure(
                uri.host(), uri.port() > 0 ? uri.port() : 443, options_.ca_cert_file,
                std::min(request.timeout, absl::Seconds(10)))) {
          return absl::FailedPreconditionError(
              Cause(request, absl::StrCat("TLS: ", *why, " [", e.what(), "]")));
        }
      } catch (const std::exception&) {
        // The URL parsed above; fall through to the generic error.
      }
    }
    return absl::UnavailableError(Cause(request, e.what()));
  } catch (const std::exception& e) {
    return absl::UnavailableError(Cause(request, e.what()));
  }
}

}  // namespace envctl::cloud
