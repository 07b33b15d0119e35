#include "cloudsim/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace envctl::cloudsim {
namespace {
std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}
}  // namespace

std::string NewGuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = absl::BytesToHexString(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

std::string RandomHex(size_t bytes) { return absl::BytesToHexString(RandomBytes(bytes)); }

std::string RandomBase64(size_t bytes) { return absl::Base64Escape(RandomBytes(bytes)); }

std::string RandomDigits(size_t n) {
  std::string b = RandomBytes(n);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    int d = static_cast<unsigned char>(b[i]) % 10;
    if (i == 0 && d == 0) d = 1;
    out.push_back(static_cast<char>('0' + d));
  }
  return out;
}

std::string Base64UrlEncode(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(data, &out)) {
    return absl::InvalidArgumentError("not base64url");
  }
  return out;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string IsoTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E7SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseIsoTime(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", std::string(s), &t, &err) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", std::string(s), &t, &err) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", std::string(s), &t, &err)) {
    return t;
  }
  return absl::InvalidArgumentError("not an ISO 8601 time: " + std::string(s));
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  return Lower(haystack).find(Lower(needle)) != std::string::npos;
}

absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, int mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int err = errno;
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    off += static_cast<size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rename ", tmp, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json ParseRequestJson(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxRequestJsonDepth) return nlohmann::json(nlohmann::json::value_t::discarded);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

}  // namespace envctl::cloudsim
