// DatabricksNotebooksReconciler: a repo folder of notebooks (ctx.content.files, paths
// relative to source_folder, e.g. `prepare.py`) kept equal to a workspace folder
// (target_folder, e.g. /Shared/bikeshare, which envctl owns wholly): `prepare.py` becomes
// the notebook /Shared/bikeshare/prepare, language from the extension (.py PYTHON,
// .scala SCALA, .sql SQL, .r/.R R).
//
// Plan lists the target folder recursively and compares each notebook. Exporting is the
// expensive part, so a notebook is exported (SOURCE) only when its `modified_at` differs
// from what memory recorded at the last apply or its file changed since; sources are
// compared after NormalizeNotebookSource. Notebooks under the target folder that are no
// longer in the repo are deleted (only there: nothing outside the folder is touched).
// Field paths read `notebooks[/Shared/bikeshare/prepare]`.
// Apply: mkdirs, import (SOURCE, overwrite) what differs, delete what left the repo, then
// records {"notebooks": {path: {"sha256", "modified_at"}}} as memory.
// Delete (prune) removes the target folder recursively. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_NOTEBOOKS_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_NOTEBOOKS_RECONCILER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

// What is compared of a SOURCE notebook: CRLF -> LF, the "Databricks notebook source"
// header line dropped (the service adds it on export; a repo file may or may not have it,
// legacy exports append " exported at <date>"), leading and trailing blank lines and
// trailing whitespace trimmed.
std::string NormalizeNotebookSource(absl::string_view source);

class DatabricksNotebooksReconciler : public Reconciler {
 public:
  // `databricks`: CloudSession::Databricks() (AAD-authenticated workspace calls).
  explicit DatabricksNotebooksReconciler(cloud::HttpTransport& databricks)
      : transport_(databricks) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;
  // One recursive listing of the target folder compared with the `modified_at` values
  // memory recorded at the last apply (and the workspace URL it recorded): true when a
  // notebook was edited, added or removed since.
  absl::StatusOr<bool> ChangedSinceApply(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_NOTEBOOKS_RECONCILER_H_
