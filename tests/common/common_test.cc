#include "common/clock.h"
#include "common/secret_equals.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Sha256Test, MatchesKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SecretEqualsTest, ComparesWholeStrings) {
  EXPECT_TRUE(SecretEquals("abc", "abc"));
  EXPECT_TRUE(SecretEquals("", ""));
  EXPECT_FALSE(SecretEquals("abc", "abd"));
  EXPECT_FALSE(SecretEquals("ab", "abc"));
  EXPECT_FALSE(SecretEquals("abcd", "abc"));
  EXPECT_FALSE(SecretEquals("", "abc"));
  EXPECT_FALSE(SecretEquals(std::string("ab\0", 3), "ab"));
  EXPECT_FALSE(SecretEquals(std::string("ab\0", 3), std::string("ab\1", 3)));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_OK(CheckEven(4));
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(StatusMacrosTest, AnnotateKeepsCodeAndPrefixesContext) {
  auto s = Annotate(absl::NotFoundError("gone"), "vault kv1");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("vault kv1: gone")));
  EXPECT_OK(Annotate(absl::OkStatus(), "x"));
}

TEST(FakeClockTest, SleepAdvancesTimeAndIsRecorded) {
  FakeClock clock;
  absl::Time start = clock.Now();
  clock.SleepFor(absl::Seconds(3));
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(clock.Now() - start, absl::Seconds(5));
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], absl::Seconds(3));
}

}  // namespace
}  // namespace envctl
