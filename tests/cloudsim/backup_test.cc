#include "cloudsim/keyvault/backup.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::cloudsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const nlohmann::json kSecret = {{"name", "pat"},
                                {"versions", {{{"value", "dapi-secret-value"}, {"id", "v1"}}}}};

TEST(SecretBackupTest, RoundTripsAndNeverShowsTheValue) {
  auto blob = SealSecretBackup("state-dir-key", kSecret);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_THAT(*blob, Not(HasSubstr("dapi-secret-value")));
  auto opened = OpenSecretBackup("state-dir-key", *blob);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kSecret);
}

TEST(SecretBackupTest, EachBlobHasItsOwnIv) {
  auto a = SealSecretBackup("k", kSecret);
  auto b = SealSecretBackup("k", kSecret);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(SecretBackupTest, AnyFlippedBitIsRefusedWithAClearError) {
  auto blob = SealSecretBackup("k", kSecret);
  ASSERT_TRUE(blob.ok());
  // Every byte after the format marker: IV, ciphertext and tag are all authenticated.
  for (size_t i = 6; i < blob->size(); ++i) {
    std::string tampered = *blob;
    tampered[i] ^= 0x01;
    auto opened = OpenSecretBackup("k", tampered);
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(opened.status().message()), HasSubstr("integrity check failed"));
  }
}

TEST(SecretBackupTest, AnotherStateDirsKeyTruncationAndOtherFormatsAreRefused) {
  auto blob = SealSecretBackup("k", kSecret);
  ASSERT_TRUE(blob.ok());
  EXPECT_THAT(std::string(OpenSecretBackup("other", *blob).status().message()),
              HasSubstr("made by another cloudsim state dir"));
  EXPECT_FALSE(OpenSecretBackup("k", blob->substr(0, blob->size() - 1)).ok());
  EXPECT_FALSE(OpenSecretBackup("k", blob->substr(0, 20)).ok());
  auto old_format = OpenSecretBackup("k", "AKVSB1" + blob->substr(6));
  ASSERT_FALSE(old_format.ok());
  EXPECT_THAT(std::string(old_format.status().message()), HasSubstr("not a backup made by"));
}

}  // namespace
}  // namespace envctl::cloudsim
