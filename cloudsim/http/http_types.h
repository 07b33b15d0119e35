// Request and response as cloudsim's handlers see them. The HTTPS server
// (cloudsim/http/server.h) parses the wire into these and back; handlers are plain
// functions of (request) -> response so they are unit-testable without sockets.
// cloudsim shares no code with cloud/ on purpose (see DESIGN.md), hence its own types.
#ifndef ENVCTL_CLOUDSIM_HTTP_HTTP_TYPES_H_
#define ENVCTL_CLOUDSIM_HTTP_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <string>

#include "absl/strings/ascii.h"

namespace envctl::cloudsim {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return absl::AsciiStrToLower(a) < absl::AsciiStrToLower(b);
  }
};
using HeaderMap = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;
  // Path without the query string, percent-decoded.
  std::string path;
  // Raw query string (after '?'), not decoded.
  std::string raw_query;
  // Decoded query parameters; keys also percent-decoded (the Key Vault SDK sends
  // `api%2Dversion`).
  std::map<std::string, std::string> query;
  HeaderMap headers;
  std::string body;
  // host:port the client connected to (Host header), and the local address/port of the
  // listener that accepted the connection (vaults and workspaces each have their own).
  std::string host;
  std::string local_address;
  int local_port = 0;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

struct Response {
  int status = 200;
  HeaderMap headers;
  std::string body;
  // When true the server closes the connection without answering (fault injection of a
  // reset connection).
  bool reset_connection = false;
};

using Handler = std::function<Response(const Request&)>;

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_HTTP_TYPES_H_
