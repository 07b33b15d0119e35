// Throwaway certificates for TLS tests, made by the openssl CLI into a directory: a CA
// (ca.pem, ca.key), a server certificate for 127.0.0.1 and localhost (server.pem,
// server.key) and a client certificate (client.pem, client.key), both signed by that CA,
// and a second self-signed CA (other.pem, other.key) whose certificates must not be trusted.
// Valid for one day.
#ifndef ENVCTL_TESTS_FAKES_TEST_CERTIFICATES_H_
#define ENVCTL_TESTS_FAKES_TEST_CERTIFICATES_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"

namespace envctl::testing {

// False when openssl failed (its output is discarded: nothing secret, but noisy).
inline bool MakeTestCertificates(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string script =
      absl::StrCat("cd '", dir.string(), "' && ",
                   "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
                   "-subj /CN=test-ca 2>/dev/null && ",
                   "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
                   "/CN=localhost 2>/dev/null && ",
                   "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext && ",
                   "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                   "-out server.pem -days 1 -extfile san.ext 2>/dev/null && ",
                   "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "
                   "/CN=client 2>/dev/null && ",
                   "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                   "-out client.pem -days 1 2>/dev/null && ",
                   "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem "
                   "-days 1 -subj /CN=other 2>/dev/null");
  return std::system(script.c_str()) == 0;
}

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_TEST_CERTIFICATES_H_
