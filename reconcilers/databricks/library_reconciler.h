// DatabricksLibraryReconciler: one repo file (a jar, wheel or .py) uploaded to a DBFS
// path. Plan calls dbfs/get-status only; the file is read back (dbfs/read) only when its
// size or modification time moved since envctl's last upload (memory {"sha256", "size",
// "mtime"}) and the size alone cannot tell, and then the SHA-256 of the content decides.
// Apply uploads with overwrite: one dbfs/put up to 1 MB, else create / add-block / close
// (DbfsApi::Put), then records the new size and mtime. Delete removes the file.
// Field path: `dbfs:/FileStore/x.py` style `content`. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_LIBRARY_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_LIBRARY_RECONCILER_H_

#include <cstddef>

#include "cloud/databricks/dbfs_api.h"
#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksLibraryReconciler : public Reconciler {
 public:
  // `databricks`: CloudSession::Databricks(). `block_size`: inline-put threshold and
  // streaming block (tests lower it to exercise streaming).
  explicit DatabricksLibraryReconciler(cloud::HttpTransport& databricks,
                                       size_t block_size = cloud::databricks::kDbfsMaxBlockBytes)
      : transport_(databricks), block_size_(block_size) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
  const size_t block_size_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_LIBRARY_RECONCILER_H_
