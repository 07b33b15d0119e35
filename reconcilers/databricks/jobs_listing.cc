#include "reconcilers/databricks/jobs_listing.h"

#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/workspace_ref.h"

namespace envctl::reconcilers {

std::string JobsListingKey(const std::string& url) { return absl::StrCat("databricks-jobs:", url); }

std::string JobHashKey(const std::string& url, const std::string& job_id) {
  return absl::StrCat("databricks-job-hash:", url, "#", job_id);
}

std::string JobSettingsHash(const nlohmann::json& settings) {
  return absl::StrCat("sha256:", Sha256Hex(CanonicalJobSettings(settings).dump()));
}

absl::StatusOr<nlohmann::json> ListedJobHashes(cloud::HttpTransport& transport, PassReads& reads,
                                               const std::string& url) {
  return reads.ReadOnce(JobsListingKey(url), [&]() -> absl::StatusOr<nlohmann::json> {
    cloud::databricks::DatabricksClient client(transport, url);
    nlohmann::json hashes = nlohmann::json::object();
    std::string token;
    // Bounded: 100 jobs a page, at most 1000 pages.
    for (int page = 0; page < 1000; ++page) {
      cloud::databricks::Query query = {{"expand_tasks", "true"}, {"limit", "100"}};
      if (!token.empty()) query.push_back({"page_token", token});
      ASSIGN_OR_RETURN(nlohmann::json list,
                       WithContext(client.Get("/api/2.2/jobs/list", query), "listing jobs"));
      for (const nlohmann::json& job : cloud::databricks::JsonArray(list, "jobs")) {
        hashes[cloud::databricks::JsonString(job, "job_id")] =
            JobSettingsHash(job.value("settings", nlohmann::json::object()));
      }
      token = list.value("has_more", false) ? list.value("next_page_token", "") : "";
      if (token.empty()) break;
    }
    return hashes;
  });
}

}  // namespace envctl::reconcilers
