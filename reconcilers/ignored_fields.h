// ignoreDifferences on the write side. The engine removes ignored paths from a planned
// change, but a repair of the fields that remain often writes a whole object (an ARM PUT
// or PATCH of `tags`, a Databricks jobs/reset or clusters/edit): without care, that write
// would put the spec's value back at an ignored path (an Azure Policy tag removed because
// another tag was repaired). These helpers carry the live values of ignored paths into
// the body a reconciler writes, and tell a reconciler which parts still need a write.
// Paths are as plan prints them: `tags.CostCenter`, `properties.sku.name`,
// `properties.accessPolicies[objectId=<guid>]`, `tasks[2].timeout_seconds`.
// Pure functions; safe from any thread.
#ifndef ENVCTL_RECONCILERS_IGNORED_FIELDS_H_
#define ENVCTL_RECONCILERS_IGNORED_FIELDS_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

// True when `path` is `ignored` itself or lies under it ("tags.CostCenter" covers
// "tags.CostCenter" and "tags.CostCenter.x", never "tags.CostCenterOld").
bool PathCovers(const std::string& ignored, const std::string& path);

// True when `path` is covered by any of `ignored`.
bool IsIgnored(const std::string& path, const std::vector<std::string>& ignored);

// What the engine does to a planned update before drift policy and Apply: records
// `ignored` on the change and removes the fields it covers. When every field was
// ignored the change becomes kNone ("differences ignored"). Returns whether any field
// was removed.
bool DropIgnoredFields(const std::vector<std::string>& ignored, Change* change);

// Makes every ignored path that falls inside `body` hold what `live` holds there: the
// live value is copied in, and a path live does not have is removed from `body` (an
// ignored tag someone deleted stays deleted). `body` and `live` are both rooted at plan
// path `root` ("" for the whole resource, "properties.repoConfiguration" for that
// object); an ignored path at or above `root` makes `body` a copy of `live`. Object keys
// that contain dots (tag names) are matched whole first. Array steps are `[N]` (index)
// or `[key=value]` (the element whose `key` equals value, case-insensitively).
void KeepIgnoredLiveValues(const std::vector<std::string>& ignored, const nlohmann::json& live,
                           nlohmann::json* body, const std::string& root = "");

// True when some planned field is at `prefix` or under it: whether a part of the
// resource still needs a write once ignored fields were taken out of the change.
bool AnyFieldUnder(const std::vector<FieldChange>& fields, const std::string& prefix);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_IGNORED_FIELDS_H_
