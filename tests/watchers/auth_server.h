// AuthRequiredServer: a loopback HTTP server for GitSource tests that answers every request
// with 401 + `WWW-Authenticate: Basic`, and remembers the Authorization headers it saw, so
// a test can check which credentials a client sent without a real Git host.
// Serves on its own thread until destroyed (test-only; the module itself has no threads).
#ifndef ENVCTL_TESTS_WATCHERS_AUTH_SERVER_H_
#define ENVCTL_TESTS_WATCHERS_AUTH_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace envctl::watchers::testing {

class AuthRequiredServer {
 public:
  AuthRequiredServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~AuthRequiredServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorizations_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd c{client, POLLIN, 0};
        if (::poll(&c, 1, 2000) <= 0) break;
        ssize_t n = ::recv(client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      for (absl::string_view line : absl::StrSplit(request, "\r\n")) {
        if (absl::StartsWithIgnoreCase(line, "authorization:")) {
          std::lock_guard<std::mutex> lock(mu_);
          authorizations_.emplace_back(absl::StripAsciiWhitespace(line.substr(14)));
        }
      }
      const std::string response =
          "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> authorizations_;
};

}  // namespace envctl::watchers::testing

#endif  // ENVCTL_TESTS_WATCHERS_AUTH_SERVER_H_
