// TokenStore: personal access tokens of the workspace and the Token API 2.0 handlers
// (create, list, delete). Only a SHA-256 of each token value is kept, so neither the
// state file nor a list call can reveal a token. Not thread-safe: the Workspace
// serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_TOKEN_STORE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_TOKEN_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

class TokenStore {
 public:
  TokenStore();

  // The owner of `token` when it is a live PAT of this workspace at `now`.
  std::optional<std::string> Validate(const std::string& token, absl::Time now) const;

  // Handles "token/<verb>"; sets *mutated when the store changed.
  Response Handle(const Call& call, bool* mutated);

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Token {
    std::string hash;  // sha256 hex of the value
    std::string owner;
    std::string comment;
    int64_t creation_time = 0;  // epoch ms
    int64_t expiry_time = -1;   // epoch ms, -1 = never
  };
  std::string RandomHex(int chars);

  std::map<std::string, Token> tokens_;  // keyed by token_id
  std::mt19937_64 rng_;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_TOKEN_STORE_H_
