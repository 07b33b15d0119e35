#include "reconcilers/ignored_fields.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::reconcilers {
namespace {

using nlohmann::json;

TEST(IgnoredFieldsTest, APathCoversItselfAndWhatIsBelowItOnly) {
  EXPECT_TRUE(PathCovers("tags.CostCenter", "tags.CostCenter"));
  EXPECT_TRUE(PathCovers("tags", "tags.CostCenter"));
  EXPECT_TRUE(
      PathCovers("properties.accessPolicies", "properties.accessPolicies[objectId=a].permissions"));
  EXPECT_FALSE(PathCovers("tags.CostCenter", "tags.CostCenterOld"));
  EXPECT_FALSE(PathCovers("tags.CostCenter", "tags"));
  EXPECT_FALSE(PathCovers("", "tags"));
  EXPECT_TRUE(IsIgnored("sku.name", {"tags.Owner", "sku"}));
  EXPECT_FALSE(IsIgnored("sku.name", {"tags.Owner"}));
}

TEST(IgnoredFieldsTest, AnIgnoredTagKeepsItsLiveValueAndOthersKeepTheSpecs) {
  json body = {{"tags", {{"team", "data"}, {"envctl-managed-by", "envctl"}}},
               {"sku", {{"name", "Standard_LRS"}}}};
  const json live = {{"tags", {{"team", "someone"}, {"CostCenter", "4711"}}},
                     {"sku", {{"name", "Premium_LRS"}}}};
  KeepIgnoredLiveValues({"tags.CostCenter"}, live, &body);
  EXPECT_EQ(
      body,
      (json{{"tags", {{"team", "data"}, {"envctl-managed-by", "envctl"}, {"CostCenter", "4711"}}},
            {"sku", {{"name", "Standard_LRS"}}}}));
}

TEST(IgnoredFieldsTest, AnIgnoredPathLiveDoesNotHaveIsRemovedFromTheBody) {
  json body = {{"tags", {{"CostCenter", "1"}, {"team", "data"}}}};
  KeepIgnoredLiveValues({"tags.CostCenter"}, json{{"tags", {{"team", "x"}}}}, &body);
  EXPECT_EQ(body, (json{{"tags", {{"team", "data"}}}}));
}

TEST(IgnoredFieldsTest, TagNamesWithDotsAreOneKey) {
  json body = {{"tags", {{"team", "data"}}}};
  KeepIgnoredLiveValues({"tags.cost.center"}, json{{"tags", {{"cost.center", "7"}}}}, &body);
  EXPECT_EQ(body["tags"]["cost.center"], "7");
  EXPECT_FALSE(body["tags"].contains("cost"));
}

TEST(IgnoredFieldsTest, SelectorsAndIndexesPickArrayElements) {
  json body = {
      {"properties",
       {{"accessPolicies",
         json::array({{{"objectId", "aaa"}, {"permissions", {{"secrets", {"get"}}}}},
                      {{"objectId", "bbb"}, {"permissions", {{"secrets", {"list"}}}}}})}}}};
  const json live = {
      {"properties",
       {{"accessPolicies",
         json::array({{{"objectId", "AAA"}, {"permissions", {{"secrets", {"get", "set"}}}}},
                      {{"objectId", "ccc"}, {"permissions", {{"keys", {"get"}}}}}})}}}};
  KeepIgnoredLiveValues(
      {"properties.accessPolicies[objectId=aaa].permissions",
       "properties.accessPolicies[objectId=ccc]", "properties.accessPolicies[objectId=bbb]"},
      live, &body);
  EXPECT_EQ(body["properties"]["accessPolicies"],
            json::array({{{"objectId", "aaa"}, {"permissions", {{"secrets", {"get", "set"}}}}},
                         {{"objectId", "ccc"}, {"permissions", {{"keys", {"get"}}}}}}));

  json job = {{"tasks", json::array({{{"task_key", "a"}, {"timeout_seconds", 60}}})}};
  KeepIgnoredLiveValues(
      {"tasks[0].timeout_seconds"},
      json{{"tasks", json::array({{{"task_key", "a"}, {"timeout_seconds", 900}}})}}, &job);
  EXPECT_EQ(job["tasks"][0]["timeout_seconds"], 900);
}

TEST(IgnoredFieldsTest, ABodyRootedBelowTheResourceTakesOnlyPathsUnderItsRoot) {
  json repo = {{"accountName", "org"}, {"disablePublish", false}};
  const json live_repo = {{"accountName", "other"}, {"disablePublish", true}};
  KeepIgnoredLiveValues({"tags.x", "properties.repoConfiguration.disablePublish"}, live_repo, &repo,
                        "properties.repoConfiguration");
  EXPECT_EQ(repo, (json{{"accountName", "org"}, {"disablePublish", true}}));
  KeepIgnoredLiveValues({"properties"}, live_repo, &repo, "properties.repoConfiguration");
  EXPECT_EQ(repo, live_repo) << "an ignored parent makes the whole body the live one";
}

TEST(IgnoredFieldsTest, AnyFieldUnderTellsWhichPartsStillNeedAWrite) {
  const std::vector<FieldChange> fields = {
      {"tags.team", "\"a\"", "\"b\"", false},
      {"containers[name=raw].properties.publicAccess", "", "", false}};
  EXPECT_TRUE(AnyFieldUnder(fields, "tags"));
  EXPECT_TRUE(AnyFieldUnder(fields, "containers[name=raw]"));
  EXPECT_FALSE(AnyFieldUnder(fields, "containers[name=rawer]"));
  EXPECT_FALSE(AnyFieldUnder(fields, "sku"));
}

}  // namespace
}  // namespace envctl::reconcilers
