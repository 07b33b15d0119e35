// HttpServer over HTTPS and mutual TLS: certificates made by the openssl CLI into a temp
// dir, a real loopback server, and an OpenSSL client that verifies the server against the
// test CA (and presents a client certificate for mTLS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/http_test_client.h"
#include "tests/fakes/status_matchers.h"
#include "tests/fakes/test_certificates.h"

namespace envctl::api {
namespace {

namespace fs = std::filesystem;
using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

// One TLS connection to 127.0.0.1:port; every read is bounded by a receive timeout.
class TlsClient {
 public:
  TlsClient(int port, const std::string& ca_file, const std::string& cert_file = "",
            const std::string& key_file = "") {
    // Writing to a connection the server refused must fail, not kill the test.
    ::signal(SIGPIPE, SIG_IGN);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!cert_file.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx_, cert_file.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }

  // Sends one request and reads one response (by Content-Length); nullopt when the server
  // refused or closed instead (e.g. mTLS without a client certificate, checked on read in
  // TLS 1.3).
  std::optional<testing::ParsedResponse> Get(const std::string& path) {
    if (!handshake_ok_) return std::nullopt;
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return std::nullopt;
    std::string data;
    char buf[4096];
    while (true) {
      testing::ParsedResponse r;
      size_t consumed = 0;
      if (testing::TestConnection::TryParse(data, &r, &consumed)) return r;
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) {
        ERR_clear_error();
        return std::nullopt;
      }
      data.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("envctl-http-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(envctl::testing::MakeTestCertificates(dir_)) << "openssl failed";
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  std::string File(const std::string& name) const { return (dir_ / name).string(); }

  void StartServer(bool mtls) {
    HttpServerOptions options;
    options.tls_cert_file = File("server.pem");
    options.tls_key_file = File("server.key");
    if (mtls) options.tls_client_ca_file = File("ca.pem");
    options.read_timeout = absl::Seconds(2);
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("GET", "/healthz", [](const HttpRequest&) {
      HttpResponse r;
      r.body = "ok\n";
      return r;
    });
    ASSERT_OK(server_->Start("127.0.0.1:0"));
  }

  fs::path dir_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpTlsTest, ServesHttpsVerifiedAgainstTheCaWithKeepAlive) {
  StartServer(/*mtls=*/false);
  TlsClient client(server_->port(), File("ca.pem"));
  ASSERT_TRUE(client.handshake_ok()) << "the client verified the server certificate";
  for (int i = 0; i < 2; ++i) {  // two requests on one connection
    auto r = client.Get("/healthz");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok\n");
  }
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpTlsTest, PlaintextRequestGetsNoHttpAnswer) {
  StartServer(/*mtls=*/false);
  testing::TestConnection plain(server_->port());
  plain.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(plain.ReadToEnd(), ::testing::Not(HasSubstr("HTTP/1.1 200")));
  // The server is still fine for a TLS client afterwards.
  TlsClient client(server_->port(), File("ca.pem"));
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpTlsTest, MutualTlsNeedsAClientCertificateFromTheConfiguredCa) {
  StartServer(/*mtls=*/true);
  {
    TlsClient anonymous(server_->port(), File("ca.pem"));
    EXPECT_FALSE(anonymous.Get("/healthz").has_value()) << "no client certificate: refused";
  }
  {
    TlsClient stranger(server_->port(), File("ca.pem"), File("other.pem"), File("other.key"));
    EXPECT_FALSE(stranger.Get("/healthz").has_value()) << "a certificate of another CA: refused";
  }
  TlsClient client(server_->port(), File("ca.pem"), File("client.pem"), File("client.key"));
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpTlsTest, UnusableFilesAreRefusedAtStartNamingTheFile) {
  HttpServerOptions options;
  options.tls_cert_file = File("server.pem");
  options.tls_key_file = File("other.key");  // not the certificate's key
  HttpServer mismatched(options);
  EXPECT_THAT(mismatched.Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("other.key")));

  options.tls_key_file = File("missing.key");
  HttpServer missing(options);
  EXPECT_THAT(missing.Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing.key")));

  options.tls_key_file.clear();
  HttpServer half(options);
  EXPECT_THAT(half.Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both a certificate")));
}

}  // namespace
}  // namespace envctl::api
