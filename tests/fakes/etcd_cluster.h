// EtcdCluster: real etcd members (Debian's etcd-server, /usr/bin/etcd) for integration and
// end-to-end tests, on loopback ports picked free, each with a data dir under a temp dir
// deleted afterwards; their log goes to <dir>/<name>.log, not the test output. Start()
// waits (bounded) until every member answers. Kill(i) is kill -9 of a member; Restart(i)
// starts it again on its data dir. Leader() asks etcdctl (etcd-client) which member leads.
// Not thread-safe. Tests skip with GTEST_SKIP only when etcd is not installed.
#ifndef ENVCTL_TESTS_FAKES_ETCD_CLUSTER_H_
#define ENVCTL_TESTS_FAKES_ETCD_CLUSTER_H_

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/etcd_client.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace envctl::testing {

inline constexpr char kEtcdBinary[] = "/usr/bin/etcd";
inline constexpr char kEtcdctlBinary[] = "/usr/bin/etcdctl";

inline bool EtcdInstalled() { return ::access(kEtcdBinary, X_OK) == 0; }

// A loopback TCP port free right now.
inline int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class EtcdCluster {
 public:
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(int members) {
    std::unique_ptr<EtcdCluster> c(new EtcdCluster());
    std::string tmpl = (std::filesystem::temp_directory_path() / "etcd-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    c->dir_ = tmpl;
    std::vector<std::string> peers;
    for (int i = 0; i < members; ++i) {
      Member m;
      m.name = absl::StrCat("m", i);
      m.client_port = FreeLoopbackPort();
      m.peer_port = FreeLoopbackPort();
      peers.push_back(absl::StrCat(m.name, "=http://127.0.0.1:", m.peer_port));
      c->members_.push_back(m);
    }
    c->initial_cluster_ = absl::StrJoin(peers, ",");
    for (int i = 0; i < members; ++i) {
      if (absl::Status s = c->Spawn(i); !s.ok()) return s;
    }
    if (absl::Status s = c->WaitHealthy(std::chrono::seconds(30)); !s.ok()) return s;
    return c;
  }

  ~EtcdCluster() {
    for (size_t i = 0; i < members_.size(); ++i) Kill(static_cast<int>(i));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int size() const { return static_cast<int>(members_.size()); }
  std::string Endpoint(int i) const {
    return absl::StrCat("http://127.0.0.1:", members_[i].client_port);
  }
  std::vector<std::string> Endpoints() const {
    std::vector<std::string> out;
    for (int i = 0; i < size(); ++i) out.push_back(Endpoint(i));
    return out;
  }
  const std::filesystem::path& dir() const { return dir_; }

  // kill -9 of member i (no-op when it is not running).
  void Kill(int i) {
    Member& m = members_[i];
    if (m.pid <= 0) return;
    ::kill(m.pid, SIGKILL);
    ::waitpid(m.pid, nullptr, 0);
    m.pid = -1;
  }
  // Starts member i again on its data dir (it rejoins the cluster).
  absl::Status Restart(int i) {
    if (members_[i].pid > 0) return absl::OkStatus();
    return Spawn(i, /*existing=*/true);
  }

  // Index of the member that leads, or -1 (etcdctl endpoint status).
  int Leader() {
    std::vector<std::string> live;
    for (int i = 0; i < size(); ++i) {
      if (members_[i].pid > 0) live.push_back(Endpoint(i));
    }
    const std::string cmd =
        absl::StrCat(kEtcdctlBinary, " --command-timeout=2s --endpoints=", absl::StrJoin(live, ","),
                     " endpoint status --write-out=json 2>/dev/null");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return -1;
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    ::pclose(pipe);
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_array()) return -1;
    for (const auto& e : j) {
      const auto& st = e.value("Status", nlohmann::json::object());
      const uint64_t member =
          st.value("header", nlohmann::json::object()).value("member_id", uint64_t{0});
      if (member != 0 && member == st.value("leader", uint64_t{1})) {
        const std::string endpoint = e.value("Endpoint", "");
        for (int i = 0; i < size(); ++i) {
          if (Endpoint(i) == endpoint) return i;
        }
      }
    }
    return -1;
  }

  // Bounded wait until every running member answers a read.
  absl::Status WaitHealthy(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int i = 0; i < size(); ++i) {
      if (members_[i].pid <= 0) continue;
      controller::EtcdOptions o;
      o.endpoints = {Endpoint(i)};
      o.request_timeout = absl::Seconds(1);
      absl::Status last;
      while (std::chrono::steady_clock::now() < deadline) {
        // A fresh channel per attempt: no reconnect backoff left over from a refused one.
        auto kv = controller::EtcdKvStore::Create(o);
        if (!kv.ok()) return kv.status();
        last = (*kv)->Get("/health").status();
        if (last.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!last.ok()) {
        std::ifstream in(dir_ / (members_[i].name + ".log"));
        std::stringstream log;
        log << in.rdbuf();
        std::string tail = log.str();
        if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
        return absl::UnavailableError(
            absl::StrCat("etcd member ", i, " not ready: ", last.message(), "\n", tail));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };

  absl::Status Spawn(int i, bool existing = false) {
    Member& m = members_[i];
    const std::string client = absl::StrCat("http://127.0.0.1:", m.client_port);
    const std::string peer = absl::StrCat("http://127.0.0.1:", m.peer_port);
    std::vector<std::string> args = {
        kEtcdBinary,
        "--name",
        m.name,
        "--data-dir",
        (dir_ / m.name).string(),
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        client,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        initial_cluster_,
        "--initial-cluster-state",
        existing ? "existing" : "new",
        "--initial-cluster-token",
        dir_.filename().string(),
        // Fast elections on loopback: a killed leader is replaced in well under a second.
        "--heartbeat-interval",
        "50",
        "--election-timeout",
        "500",
    };
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (dir_ / (m.name + ".log")).string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int rc = posix_spawn(&m.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      m.pid = -1;
      return absl::InternalError(
          absl::StrCat("cannot start ", kEtcdBinary, ": ", std::strerror(rc)));
    }
    return absl::OkStatus();
  }

  std::filesystem::path dir_;
  std::string initial_cluster_;
  std::vector<Member> members_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_ETCD_CLUSTER_H_
