// TokensApi: Databricks Token API 2.0 (databricks-rest.md §2.1): personal access tokens
// of the calling identity. A created token's value is a secret: it is returned once and
// never appears in a Status message. Stateless besides the client reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_TOKENS_API_H_
#define ENVCTL_CLOUD_DATABRICKS_TOKENS_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::cloud::databricks {

struct TokenInfo {
  std::string token_id;
  int64_t creation_time = 0;  // epoch ms
  int64_t expiry_time = 0;    // epoch ms; -1 or 0 = never
  std::string comment;
};

struct CreatedToken {
  std::string token_value;  // secret: store it (e.g. in Key Vault), never print it
  TokenInfo info;
};

class TokensApi {
 public:
  explicit TokensApi(const DatabricksClient& client);

  // POST token/create {lifetime_seconds (omitted = no expiry), comment}.
  // Internal (without the body) when the answer has no token_value.
  absl::StatusOr<CreatedToken> Create(std::optional<int64_t> lifetime_seconds,
                                      const std::string& comment) const;
  // token/create is not idempotent: a failure may come after the token was made. This
  // lists the tokens first, tries Create up to `max_attempts` times while the error is
  // temporary (Unavailable, DeadlineExceeded, ResourceExhausted), and after a success
  // revokes every token with `comment` that appeared during the attempts and is not the
  // one returned (an orphan of an attempt whose answer was lost). The last error otherwise.
  absl::StatusOr<CreatedToken> CreateRetrying(std::optional<int64_t> lifetime_seconds,
                                              const std::string& comment, int max_attempts) const;
  // GET token/list: the caller's tokens (no values).
  absl::StatusOr<std::vector<TokenInfo>> List() const;
  // POST token/delete {token_id}; NotFound when there is no such token.
  absl::Status Delete(const std::string& token_id) const;

 private:
  const DatabricksClient& client_;
};

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_TOKENS_API_H_
