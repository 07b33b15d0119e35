// HTTP/1.1 wire format shared by cloudsim's server and its small client: a byte-stream
// abstraction over a plain or TLS socket, a buffered reader, header-block and body
// (Content-Length or chunked) parsing, and response serialization.
// A Stream and its BufferedReader belong to one connection and one thread at a time.
#ifndef ENVCTL_CLOUDSIM_HTTP_WIRE_H_
#define ENVCTL_CLOUDSIM_HTTP_WIRE_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads up to `n` bytes: >0 bytes read, 0 on orderly EOF, <0 on error or timeout.
  virtual int Read(char* buf, int n) = 0;
  // Writes everything; false on error.
  virtual bool Write(absl::string_view data) = 0;
};

// Plain socket stream; does not own the fd.
class FdStream : public Stream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  int Read(char* buf, int n) override;
  bool Write(absl::string_view data) override;

 private:
  int fd_;
};

// TLS stream over an established SSL session; does not own it.
class SslStream : public Stream {
 public:
  explicit SslStream(SSL* ssl) : ssl_(ssl) {}
  int Read(char* buf, int n) override;
  bool Write(absl::string_view data) override;

 private:
  SSL* ssl_;
};

class BufferedReader {
 public:
  explicit BufferedReader(Stream* stream) : stream_(stream) {}
  // Reads one line without its CRLF/LF. False on EOF, error, or a line over `max` bytes.
  // `*eof_before_data` is set when the stream ended before any byte of the line.
  bool ReadLine(std::string* line, size_t max, bool* eof_before_data = nullptr);
  // Appends exactly `n` bytes to `out`; false on EOF/error.
  bool ReadExact(size_t n, std::string* out);

 private:
  bool Fill();
  void Compact();
  Stream* stream_;
  std::string buf_;
  size_t pos_ = 0;
};

struct MessageHead {
  std::string start_line;
  HeaderMap headers;
};

// Reads a start line and headers. OutOfRange when the peer closed cleanly before a new
// message (normal end of a keep-alive connection); InvalidArgument for malformed input.
absl::Status ReadHead(BufferedReader& reader, MessageHead* head);

// Reads a message body framed by `headers` (chunked or Content-Length; neither = empty
// for requests). `until_eof` reads to EOF when there is no framing (responses).
absl::Status ReadBody(BufferedReader& reader, const HeaderMap& headers, bool until_eof,
                      size_t max_bytes, std::string* body);

const char* StatusText(int status);

// Status line, headers (adds Content-Length and Connection), body (omitted for HEAD,
// 1xx, 204, 304).
std::string SerializeResponse(const Response& response, bool head_request, bool keep_alive);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_WIRE_H_
