#include "cloudsim/keyvault/backup.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr absl::string_view kMagic = "AKVSB1";  // cloudsim secret backup, format 1
constexpr size_t kNonceChars = 32;              // RandomHex(16)
constexpr size_t kTagBytes = 32;                // HMAC-SHA256

// XORs `data` with HMAC-SHA256(enc_key, nonce || counter) blocks (a PRF in counter mode).
std::string Xor(absl::string_view enc_key, absl::string_view nonce, absl::string_view data) {
  std::string out(data);
  for (size_t block = 0; block * 32 < out.size(); ++block) {
    std::string stream = HmacSha256(enc_key, absl::StrCat(nonce, ":", block));
    for (size_t i = 0; i < 32 && block * 32 + i < out.size(); ++i) out[block * 32 + i] ^= stream[i];
  }
  return out;
}

std::string EncKey(absl::string_view key) { return HmacSha256(key, "keyvault-backup-enc"); }
std::string MacKey(absl::string_view key) { return HmacSha256(key, "keyvault-backup-mac"); }

}  // namespace

std::string SealSecretBackup(absl::string_view key, const nlohmann::json& secret) {
  std::string nonce = RandomHex(kNonceChars / 2);
  std::string sealed = Xor(EncKey(key), nonce, secret.dump());
  std::string body = absl::StrCat(kMagic, nonce, sealed);
  return absl::StrCat(body, HmacSha256(MacKey(key), body));
}

absl::StatusOr<nlohmann::json> OpenSecretBackup(absl::string_view key, absl::string_view blob) {
  const absl::Status invalid =
      absl::InvalidArgumentError("Backup blob contains invalid or corrupt version.");
  if (!absl::StartsWith(blob, kMagic) || blob.size() < kMagic.size() + kNonceChars + kTagBytes) {
    return invalid;
  }
  absl::string_view body = blob.substr(0, blob.size() - kTagBytes);
  absl::string_view tag = blob.substr(blob.size() - kTagBytes);
  if (HmacSha256(MacKey(key), body) != tag) return invalid;
  absl::string_view nonce = body.substr(kMagic.size(), kNonceChars);
  std::string plain = Xor(EncKey(key), nonce, body.substr(kMagic.size() + kNonceChars));
  nlohmann::json secret = nlohmann::json::parse(plain, nullptr, false);
  if (!secret.is_object() || !secret.contains("name") || !secret["name"].is_string() ||
      !secret.contains("versions") || !secret["versions"].is_array() ||
      secret["versions"].empty()) {
    return invalid;
  }
  return secret;
}

}  // namespace envctl::cloudsim
