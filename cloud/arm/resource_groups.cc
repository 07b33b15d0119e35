#include "cloud/arm/resource_groups.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace envctl::cloud::arm {
namespace {

// OData string literal: single quotes doubled.
std::string ODataQuote(const std::string& value) {
  return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "''"}}), "'");
}

}  // namespace

ResourceGroupsClient::ResourceGroupsClient(const ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string ResourceGroupsClient::Id(const std::string& name) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", name);
}

absl::StatusOr<nlohmann::json> ResourceGroupsClient::CreateOrUpdate(
    const std::string& name, const std::string& location, const nlohmann::json& tags) const {
  nlohmann::json body = {{"location", location}};
  body["tags"] = tags.is_object() ? tags : nlohmann::json::object();
  return arm_.Put(Id(name), kResourcesApiVersion, body);
}

absl::StatusOr<nlohmann::json> ResourceGroupsClient::Get(const std::string& name) const {
  return arm_.Get(Id(name), kResourcesApiVersion);
}

absl::StatusOr<nlohmann::json> ResourceGroupsClient::UpdateTags(const std::string& name,
                                                                const nlohmann::json& tags) const {
  return arm_.Patch(Id(name), kResourcesApiVersion,
                    {{"tags", tags.is_object() ? tags : nlohmann::json::object()}});
}

absl::Status ResourceGroupsClient::Delete(const std::string& name) const {
  return arm_.Delete(Id(name), kResourcesApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> ResourceGroupsClient::List() const {
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_, "/resourcegroups"),
                   kResourcesApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> ResourceGroupsClient::ListResources(
    const std::string& name) const {
  return arm_.List(absl::StrCat(Id(name), "/resources"), kResourcesApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> ResourceGroupsClient::ListByTag(
    const std::string& tag_name, const std::string& tag_value) const {
  RequestOptions options;
  options.query.emplace_back("$filter", absl::StrCat("tagName eq ", ODataQuote(tag_name),
                                                     " and tagValue eq ", ODataQuote(tag_value)));
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_, "/resourcegroups"),
                   kResourcesApiVersion, options);
}

}  // namespace envctl::cloud::arm
