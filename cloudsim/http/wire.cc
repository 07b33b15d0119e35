#include "cloudsim/http/wire.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {
constexpr size_t kMaxLine = 64 * 1024;
constexpr int kMaxHeaders = 200;
}  // namespace

int FdStream::Read(char* buf, int n) {
  while (true) {
    ssize_t r = ::recv(fd_, buf, static_cast<size_t>(n), 0);
    if (r < 0 && errno == EINTR) continue;
    return static_cast<int>(r);
  }
}

bool FdStream::Write(absl::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

int SslStream::Read(char* buf, int n) {
  int r = SSL_read(ssl_, buf, n);
  if (r > 0) return r;
  int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  // A peer that closes the TCP connection without close_notify is a normal EOF for us.
  if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;
  ERR_clear_error();
  return -1;
}

bool SslStream::Write(absl::string_view data) {
  while (!data.empty()) {
    int w = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (w <= 0) {
      ERR_clear_error();
      return false;
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

void BufferedReader::Compact() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

bool BufferedReader::Fill() {
  char tmp[16384];
  int r = stream_->Read(tmp, sizeof(tmp));
  if (r <= 0) return false;
  buf_.append(tmp, static_cast<size_t>(r));
  return true;
}

bool BufferedReader::ReadLine(std::string* line, size_t max, bool* eof_before_data) {
  if (eof_before_data != nullptr) *eof_before_data = false;
  Compact();
  size_t scanned = 0;
  while (true) {
    size_t nl = buf_.find('\n', scanned);
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > pos_ && buf_[end - 1] == '\r') --end;
      line->assign(buf_, pos_, end - pos_);
      pos_ = nl + 1;
      return true;
    }
    scanned = buf_.size();
    if (buf_.size() - pos_ > max) return false;
    bool had_data = buf_.size() > pos_;
    if (!Fill()) {
      if (eof_before_data != nullptr) *eof_before_data = !had_data;
      return false;
    }
  }
}

bool BufferedReader::ReadExact(size_t n, std::string* out) {
  Compact();
  while (buf_.size() - pos_ < n) {
    if (!Fill()) return false;
  }
  out->append(buf_, pos_, n);
  pos_ += n;
  return true;
}

absl::Status ReadHead(BufferedReader& reader, MessageHead* head) {
  std::string line;
  bool eof = false;
  // Tolerate blank lines between messages (RFC 9112 §2.2).
  do {
    if (!reader.ReadLine(&line, kMaxLine, &eof)) {
      if (eof) return absl::OutOfRangeError("connection closed");
      return absl::InvalidArgumentError("malformed or truncated start line");
    }
  } while (line.empty());
  head->start_line = line;
  head->headers.clear();
  for (int i = 0;; ++i) {
    if (i > kMaxHeaders) return absl::InvalidArgumentError("too many headers");
    if (!reader.ReadLine(&line, kMaxLine)) {
      return absl::InvalidArgumentError("truncated header block");
    }
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError("malformed header line");
    }
    std::string name = line.substr(0, colon);
    std::string value(absl::StripAsciiWhitespace(absl::string_view(line).substr(colon + 1)));
    auto it = head->headers.find(name);
    if (it == head->headers.end()) {
      head->headers.emplace(name, value);
    } else {
      it->second += ", " + value;
    }
  }
  return absl::OkStatus();
}

absl::Status ReadBody(BufferedReader& reader, const HeaderMap& headers, bool until_eof,
                      size_t max_bytes, std::string* body) {
  body->clear();
  auto te = headers.find("Transfer-Encoding");
  if (te != headers.end() && ContainsIgnoreCase(te->second, "chunked")) {
    std::string line;
    while (true) {
      if (!reader.ReadLine(&line, kMaxLine)) return absl::InvalidArgumentError("truncated chunk");
      absl::string_view size_text = line;
      size_t semi = size_text.find(';');
      if (semi != absl::string_view::npos) size_text = size_text.substr(0, semi);
      size_text = absl::StripAsciiWhitespace(size_text);
      uint64_t size = 0;
      if (size_text.empty() || !absl::SimpleHexAtoi(size_text, &size)) {
        return absl::InvalidArgumentError("bad chunk size");
      }
      if (size == 0) break;
      if (body->size() + size > max_bytes) return absl::ResourceExhaustedError("body too large");
      if (!reader.ReadExact(size, body)) return absl::InvalidArgumentError("truncated chunk");
      if (!reader.ReadLine(&line, kMaxLine) || !line.empty()) {
        return absl::InvalidArgumentError("missing CRLF after chunk");
      }
    }
    // Trailers, up to the empty line.
    while (true) {
      if (!reader.ReadLine(&line, kMaxLine)) return absl::InvalidArgumentError("truncated trailer");
      if (line.empty()) break;
    }
    return absl::OkStatus();
  }
  auto cl = headers.find("Content-Length");
  if (cl != headers.end()) {
    uint64_t length = 0;
    if (!absl::SimpleAtoi(cl->second, &length)) {
      return absl::InvalidArgumentError("bad Content-Length");
    }
    if (length > max_bytes) return absl::ResourceExhaustedError("body too large");
    if (!reader.ReadExact(length, body)) return absl::InvalidArgumentError("truncated body");
    return absl::OkStatus();
  }
  if (until_eof) {
    std::string chunk;
    while (reader.ReadExact(1, &chunk)) {
      if (chunk.size() > max_bytes) return absl::ResourceExhaustedError("body too large");
    }
    *body = std::move(chunk);
  }
  return absl::OkStatus();
}

const char* StatusText(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string SerializeResponse(const Response& response, bool head_request, bool keep_alive) {
  bool no_body = head_request || response.status == 204 || response.status == 304 ||
                 response.status < 200;
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ", StatusText(response.status),
                                 "\r\n");
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Connection") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (response.status != 204 && response.status != 304 && response.status >= 200) {
    absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  }
  absl::StrAppend(&out, "Connection: ", keep_alive ? "keep-alive" : "close", "\r\n\r\n");
  if (!no_body) out += response.body;
  return out;
}

}  // namespace envctl::cloudsim
