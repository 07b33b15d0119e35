#include "cloud/arm/resource_id.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::arm {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ResourceIdTest, ParsesNestedResourceIds) {
  auto id = ResourceId::Parse(
      "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/sa1/"
      "blobServices/default/containers/raw/");
  ASSERT_OK(id);
  EXPECT_EQ(id->subscription, "S1");
  EXPECT_EQ(id->resource_group, "RG");
  EXPECT_EQ(id->provider, "Microsoft.Storage");
  ASSERT_EQ(id->types.size(), 3u);
  EXPECT_EQ(id->types[0], std::make_pair(std::string("storageAccounts"), std::string("sa1")));
  EXPECT_EQ(id->FullType(), "Microsoft.Storage/storageAccounts/blobServices/containers");
  EXPECT_EQ(id->Name(), "raw");
  EXPECT_EQ(id->ToString(),
            "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/sa1/"
            "blobServices/default/containers/raw");
}

TEST(ResourceIdTest, ParsesGroupIdsCaseInsensitively) {
  auto id = ResourceId::Parse("/SUBSCRIPTIONS/s/resourcegroups/My-RG");
  ASSERT_OK(id);
  EXPECT_EQ(id->resource_group, "My-RG");
  EXPECT_EQ(id->FullType(), "Microsoft.Resources/resourceGroups");
  EXPECT_EQ(id->Name(), "My-RG");
  EXPECT_EQ(id->ToString(), "/subscriptions/s/resourceGroups/My-RG");
}

TEST(ResourceIdTest, ParsesSubscriptionScopedProviderIds) {
  auto id = ResourceId::Parse(
      "/subscriptions/s/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1");
  ASSERT_OK(id);
  EXPECT_EQ(id->resource_group, "");
  EXPECT_EQ(id->FullType(), "Microsoft.KeyVault/locations/deletedVaults");
}

TEST(ResourceIdTest, BuildersAndMatchesIgnoreCase) {
  ResourceId a = ResourceId::Resource("s", "rg", "Microsoft.KeyVault", "vaults", "kv1");
  auto b = ResourceId::Parse(
      "/subscriptions/S/resourcegroups/RG/providers/microsoft.keyvault/VAULTS/KV1");
  ASSERT_OK(b);
  EXPECT_TRUE(a.Matches(*b));
  EXPECT_FALSE(a.Matches(ResourceId::ResourceGroup("s", "rg")));
  EXPECT_EQ(ResourceId::Resource("s", "rg", "Microsoft.Storage", "storageAccounts", "sa")
                .Child("blobServices", "default")
                .FullType(),
            "Microsoft.Storage/storageAccounts/blobServices");
  EXPECT_TRUE(
      SameResourceId("/subscriptions/a/resourceGroups/b/", "/SUBSCRIPTIONS/A/RESOURCEGROUPS/B"));
  EXPECT_FALSE(
      SameResourceId("/subscriptions/a/resourceGroups/b", "/subscriptions/a/resourceGroups/c"));
}

TEST(ResourceIdTest, RejectsMalformedIdsWithReasons) {
  EXPECT_THAT(
      ResourceId::Parse("subscriptions/s"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must start with /subscriptions")));
  EXPECT_THAT(
      ResourceId::Parse("/tenants/x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must start with /subscriptions")));
  EXPECT_THAT(
      ResourceId::Parse("/subscriptions/s/resourceGroups"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resourceGroups has no name")));
  EXPECT_THAT(ResourceId::Parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no resource type")));
  EXPECT_THAT(
      ResourceId::Parse(
          "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"storageAccounts\" has no name")));
  EXPECT_THAT(ResourceId::Parse("/subscriptions/s/resourceGroups/rg/oops/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected \"providers\"")));
  EXPECT_THAT(ResourceId::Parse("/subscriptions//resourceGroups/rg"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty segment")));
}

}  // namespace
}  // namespace envctl::cloud::arm
