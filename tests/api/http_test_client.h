// A tiny blocking HTTP/1.1 test client on raw sockets, so tests can send exactly the bytes
// they mean (malformed, partial, pipelined). Every read is bounded by a receive timeout.
#ifndef ENVCTL_TESTS_API_HTTP_TEST_CLIENT_H_
#define ENVCTL_TESTS_API_HTTP_TEST_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace envctl::api::testing {

struct ParsedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, name)) return v;
    }
    return "";
  }
};

// An open loopback connection; closed by the destructor.
class TestConnection {
 public:
  explicit TestConnection(int port, const char* address = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address, &addr.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TestConnection() {
    if (fd_ >= 0) close(fd_);
  }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Everything until the server closes the connection (or 5s pass without data).
  std::string ReadToEnd() {
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

  // Reads until `count` complete responses have arrived (or the stream ends).
  std::vector<ParsedResponse> ReadResponses(size_t count) {
    std::vector<ParsedResponse> out;
    while (out.size() < count) {
      ParsedResponse r;
      size_t consumed = 0;
      if (TryParse(buffer_, &r, &consumed)) {
        out.push_back(std::move(r));
        buffer_.erase(0, consumed);
        continue;
      }
      char buf[8192];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // True when the server closed the connection (read returns 0) within 5s.
  bool ClosedByServer() {
    char c;
    return buffer_.empty() && recv(fd_, &c, 1, 0) == 0;
  }

  // Parses one response (head + Content-Length body) at the start of `raw`.
  static bool TryParse(const std::string& raw, ParsedResponse* r, size_t* consumed) {
    const size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
    std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &r->status)) return false;
    size_t length = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      std::string name = lines[i].substr(0, colon);
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      if (absl::EqualsIgnoreCase(name, "content-length")) (void)absl::SimpleAtoi(value, &length);
      r->headers.emplace_back(name, value);
    }
    if (r->status == 100) length = 0;
    if (raw.size() < end + 4 + length) return false;
    r->body = raw.substr(end + 4, length);
    *consumed = end + 4 + length;
    return true;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// One request on a fresh connection; the parsed response (status 0 if none came).
inline ParsedResponse Fetch(int port, const std::string& method, const std::string& target,
                            const std::string& body = "", const std::string& extra_headers = "") {
  TestConnection c(port);
  c.Send(absl::StrCat(
      method, " ", target, " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n", extra_headers,
      body.empty() && method == "GET" ? "" : absl::StrCat("Content-Length: ", body.size(), "\r\n"),
      "\r\n", body));
  std::vector<ParsedResponse> r = c.ReadResponses(1);
  return r.empty() ? ParsedResponse{} : r[0];
}

}  // namespace envctl::api::testing

#endif  // ENVCTL_TESTS_API_HTTP_TEST_CLIENT_H_
