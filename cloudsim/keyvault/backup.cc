#include "cloudsim/keyvault/backup.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

// Blob layout: magic || IV || ciphertext || tag; the magic is authenticated too (AAD).
constexpr absl::string_view kMagic = "AKVSB2";  // cloudsim secret backup, format 2: AES-256-GCM
constexpr int kIvBytes = 12;
constexpr int kTagBytes = 16;
// Azure's message for a blob it cannot read; cloudsim adds why.
constexpr absl::string_view kInvalid = "Backup blob contains invalid or corrupt version.";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// 32 bytes: the AES-256 key, kept apart from the token-signing use of the same secret.
std::string BackupKey(absl::string_view signing_key) {
  return HmacSha256(signing_key, "keyvault-backup-aes-256-gcm");
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(&s[0]); }

}  // namespace

absl::StatusOr<std::string> SealSecretBackup(absl::string_view key, const nlohmann::json& secret) {
  const std::string aes_key = BackupKey(key);
  const std::string plain = secret.dump();
  std::string iv(kIvBytes, '\0');
  if (RAND_bytes(Bytes(iv), kIvBytes) != 1)
    return absl::InternalError("no randomness for the backup IV");
  std::string sealed(plain.size() + kTagBytes, '\0');
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int total = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(aes_key), Bytes(iv)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(kMagic), static_cast<int>(kMagic.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), Bytes(sealed), &len, Bytes(plain),
                        static_cast<int>(plain.size())) != 1) {
    return absl::InternalError("AES-256-GCM encryption of the backup failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), Bytes(sealed) + total, &len) != 1) {
    return absl::InternalError("AES-256-GCM encryption of the backup failed");
  }
  total += len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, Bytes(sealed) + total) != 1) {
    return absl::InternalError("AES-256-GCM encryption of the backup failed");
  }
  sealed.resize(static_cast<size_t>(total) + kTagBytes);
  return absl::StrCat(kMagic, iv, sealed);
}

absl::StatusOr<nlohmann::json> OpenSecretBackup(absl::string_view key, absl::string_view blob) {
  if (!absl::StartsWith(blob, kMagic) || blob.size() < kMagic.size() + kIvBytes + kTagBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(kInvalid, " It is not a backup made by this version of cloudsim."));
  }
  const std::string aes_key = BackupKey(key);
  const absl::string_view iv = blob.substr(kMagic.size(), kIvBytes);
  const absl::string_view sealed =
      blob.substr(kMagic.size() + kIvBytes, blob.size() - kMagic.size() - kIvBytes - kTagBytes);
  std::string tag(blob.substr(blob.size() - kTagBytes));
  std::string plain(sealed.size() + kTagBytes, '\0');  // room, so pointers are never null
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int total = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(aes_key), Bytes(iv)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(kMagic), static_cast<int>(kMagic.size())) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), Bytes(plain), &len, Bytes(sealed),
                        static_cast<int>(sealed.size())) == 1;
  total = len;
  // The tag is checked here: a single flipped bit anywhere fails.
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + total, &len) == 1;
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        kInvalid,
        " Its integrity check failed: it was altered, or made by another cloudsim state dir."));
  }
  plain.resize(static_cast<size_t>(total) + static_cast<size_t>(len));
  nlohmann::json secret = nlohmann::json::parse(plain, nullptr, false);
  if (!secret.is_object() || !secret.contains("name") || !secret["name"].is_string() ||
      !secret.contains("versions") || !secret["versions"].is_array() ||
      secret["versions"].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kInvalid, " It holds no secret."));
  }
  return secret;
}

}  // namespace envctl::cloudsim
