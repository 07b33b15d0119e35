#include "reconcilers/json_diff.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcilers/outputs.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::reconcilers {
namespace {

using nlohmann::json;

TEST(DiffJsonTest, IgnoresServerOnlyFieldsAndReportsLeafPaths) {
  json desired = {{"sku", {{"name", "Standard_LRS"}}}, {"properties", {{"accessTier", "Hot"}}}};
  json live = {{"sku", {{"name", "Standard_LRS"}, {"tier", "Standard"}}},
               {"properties", {{"accessTier", "Cool"}, {"provisioningState", "Succeeded"}}}};
  std::vector<FieldChange> changes;
  EXPECT_TRUE(DiffJson(desired, live, &changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "properties.accessTier");
  EXPECT_EQ(changes[0].old_value, "\"Cool\"");
  EXPECT_EQ(changes[0].new_value, "\"Hot\"");
}

TEST(DiffJsonTest, ExactModeReportsExtraKeysAndSensitiveValuesAreHidden) {
  DiffOptions options;
  options.exact = true;
  options.sensitive_paths = {"value"};
  std::vector<FieldChange> changes;
  EXPECT_TRUE(DiffJson(json{{"value", "new-secret"}}, json{{"value", "old-secret"}, {"extra", 1}},
                       &changes, options));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].old_value, "(sensitive)");
  EXPECT_EQ(changes[0].new_value, "(sensitive)");
  EXPECT_EQ(changes[1].path, "extra");
}

TEST(DiffJsonTest, CaseInsensitivePathsAndNumbers) {
  DiffOptions options;
  options.case_insensitive_paths = {"id"};
  std::vector<FieldChange> changes;
  EXPECT_FALSE(DiffJson(json{{"id", "/Subscriptions/X"}, {"n", 2}},
                        json{{"id", "/subscriptions/x"}, {"n", 2.0}}, &changes, options));
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(NormalizeLocation("West Europe"), "westeurope");
}

TEST(OutputsTest, ExpandResolvesOutputsAndFlagsSensitive) {
  Outputs outputs;
  OutputValue url_value, token_value;
  url_value.value = "adb-1.azuredatabricks.net";
  token_value.value = "generated-token-value";
  token_value.sensitive = true;
  outputs.Set("ws", "workspaceUrl", url_value);
  outputs.Set("ws", "token", token_value);
  bool sensitive = false;
  auto url = outputs.Expand("https://${ws.workspaceUrl}/", &sensitive);
  ASSERT_OK(url);
  EXPECT_EQ(*url, "https://adb-1.azuredatabricks.net/");
  EXPECT_FALSE(sensitive);
  ASSERT_OK(outputs.Expand("${ws.token}", &sensitive));
  EXPECT_TRUE(sensitive);
  EXPECT_THAT(outputs.Expand("${kv.vaultUri}"),
              envctl::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                        ::testing::HasSubstr("kv.vaultUri")));
}

TEST(OutputsTest, ResolveReadsEnvironmentVariablesAsSensitive) {
  envctl::v1::ValueSource source;
  source.set_env("ENVCTL_TEST_SECRET_VALUE");
  EXPECT_THAT(Outputs().Resolve(source),
              envctl::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                        ::testing::HasSubstr("ENVCTL_TEST_SECRET_VALUE")));
  ::setenv("ENVCTL_TEST_SECRET_VALUE", "generated-value", 1);
  auto v = Outputs().Resolve(source);
  ASSERT_OK(v);
  EXPECT_TRUE(v->sensitive);
  ::unsetenv("ENVCTL_TEST_SECRET_VALUE");
}

}  // namespace
}  // namespace envctl::reconcilers

namespace envctl::reconcilers {
namespace {

TEST(OutputsTest, MaterializeMintsLazilyOnceAndKeepsFingerprint) {
  Outputs outputs;
  int mints = 0;
  OutputValue lazy;
  lazy.sensitive = true;
  lazy.fingerprint = "token-id-1";
  lazy.mint = [&mints]() -> absl::StatusOr<OutputValue> {
    ++mints;
    OutputValue v;
    v.value = "minted-value";
    v.fingerprint = "token-id-2";
    return v;
  };
  outputs.Set("ws", "token", lazy);
  envctl::v1::ValueSource source;
  source.mutable_output()->set_resource("ws");
  source.mutable_output()->set_output("token");
  auto resolved = outputs.Resolve(source);
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->Fingerprint(), "token-id-1");
  EXPECT_EQ(mints, 0);
  auto first = outputs.Materialize(source);
  ASSERT_OK(first);
  EXPECT_EQ(first->value, "minted-value");
  EXPECT_TRUE(first->sensitive);
  EXPECT_EQ(first->Fingerprint(), "token-id-2");
  ASSERT_OK(outputs.Materialize(source));
  EXPECT_EQ(mints, 1);
  OutputValue plain;
  plain.value = "abc";
  EXPECT_EQ(plain.Fingerprint().size(), 16u);
}

// Two consumers writing at once (a Key Vault secret and a secret scope of one PAT) get one
// mint: a second PAT would revoke the first consumer's.
TEST(OutputsTest, ConcurrentMaterializeMintsOnce) {
  Outputs outputs;
  std::atomic<int> mints{0};
  absl::Notification release;
  OutputValue lazy;
  lazy.sensitive = true;
  lazy.fingerprint = "new-token";
  lazy.mint = [&]() -> absl::StatusOr<OutputValue> {
    const int n = ++mints;
    release.WaitForNotification();  // the other consumer arrives while this mint is out
    OutputValue v;
    v.value = absl::StrCat("pat-", n);
    v.fingerprint = absl::StrCat("token-", n);
    return v;
  };
  outputs.Set("ws", "token", lazy);
  envctl::v1::ValueSource source;
  source.mutable_output()->set_resource("ws");
  source.mutable_output()->set_output("token");
  absl::StatusOr<OutputValue> a, b;
  std::thread first([&] { a = outputs.Materialize(source); });
  std::thread second([&] { b = outputs.Materialize(source); });
  while (mints.load() == 0) std::this_thread::yield();
  release.Notify();
  first.join();
  second.join();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(mints.load(), 1);
  EXPECT_EQ(a->value, "pat-1");
  EXPECT_EQ(b->value, "pat-1");
  EXPECT_EQ(b->Fingerprint(), "token-1");
}

}  // namespace
}  // namespace envctl::reconcilers
