#include "reconcilers/pass_reads.h"

#include "gtest/gtest.h"

namespace envctl::reconcilers {
namespace {

TEST(PassReadsTest, ReadOnceReadsOncePerKeyAndKeepsNoErrors) {
  PassReads reads;
  int calls = 0;
  auto failing = [&]() -> absl::StatusOr<nlohmann::json> {
    ++calls;
    return absl::UnavailableError("down");
  };
  EXPECT_FALSE(reads.ReadOnce("k", failing).ok());
  auto ok = [&]() -> absl::StatusOr<nlohmann::json> {
    ++calls;
    return nlohmann::json{{"n", calls}};
  };
  ASSERT_TRUE(reads.ReadOnce("k", ok).ok());  // the error was not kept: read again
  auto again = reads.ReadOnce("k", ok);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["n"], 2);
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(reads.ReadOnce("other", ok).ok());
  EXPECT_EQ(calls, 3);
}

TEST(PassReadsTest, ForgottenBodyIsNeitherRecalledNorServed) {
  PassReads reads;
  reads.Remember(FactoryBodyKey("/Subscriptions/S/F"), nlohmann::json{{"v", 1}});
  ASSERT_TRUE(reads.Recall(FactoryBodyKey("/subscriptions/s/f")).has_value());
  reads.Forget(FactoryBodyKey("/subscriptions/s/f"));
  EXPECT_FALSE(reads.Recall(FactoryBodyKey("/subscriptions/s/f")).has_value());
  int calls = 0;
  auto read = [&]() -> absl::StatusOr<nlohmann::json> { return nlohmann::json(++calls); };
  ASSERT_TRUE(reads.ReadOnce(FactoryBodyKey("/subscriptions/s/f"), read).ok());
  EXPECT_EQ(calls, 1);
}

TEST(PassReadsTest, CreatedInThisPassOnlyForTheResourceMarked) {
  PassReads reads;
  EXPECT_FALSE(reads.CreatedInThisPass("factory"));
  reads.MarkCreated("factory");
  EXPECT_TRUE(reads.CreatedInThisPass("factory"));
  EXPECT_FALSE(reads.CreatedInThisPass("workspace"));
  // A new pass (a new PassReads) knows nothing of the last one's creations.
  EXPECT_FALSE(PassReads().CreatedInThisPass("factory"));
}

}  // namespace
}  // namespace envctl::reconcilers
