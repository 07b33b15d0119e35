// The change poll's look at a workspace's jobs: one paged `jobs/list?expand_tasks=true`
// per workspace per poll pass (kept in the pass's PassReads, so every job and every job
// permissions resource of that workspace share it), reduced to a settings hash per job
// id. The hash is taken over the canonical settings (compute_json.h: Databricks' defaults
// removed, tasks and job clusters sorted), so jobs/get and jobs/list bodies of one job
// hash alike. Thread-safe (no state).
#ifndef ENVCTL_RECONCILERS_DATABRICKS_JOBS_LISTING_H_
#define ENVCTL_RECONCILERS_DATABRICKS_JOBS_LISTING_H_

#include <string>

#include "absl/status/statusor.h"
#include "cloud/transport/http_transport.h"
#include "nlohmann/json.hpp"
#include "reconcilers/pass_reads.h"

namespace envctl::reconcilers {

// The PassReads key of the listing of the workspace at `url` (a job write forgets it).
std::string JobsListingKey(const std::string& url);

// The PassReads key of one job's settings hash as its own reconciler last read (jobs/get in
// Plan) or wrote it in this pass: the job's permissions take their hint from it instead of
// listing the workspace's jobs.
std::string JobHashKey(const std::string& url, const std::string& job_id);

// "sha256:<hex>" of a job's canonical settings.
std::string JobSettingsHash(const nlohmann::json& settings);

// {"<job_id>": "<settings hash>", ...} for every job of the workspace at `url`, read once
// per pass. The listing's error (annotated) when a page cannot be read.
absl::StatusOr<nlohmann::json> ListedJobHashes(cloud::HttpTransport& transport, PassReads& reads,
                                               const std::string& url);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_JOBS_LISTING_H_
