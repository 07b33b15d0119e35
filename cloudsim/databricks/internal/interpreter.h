// The notebook run simulator: executes a notebook's parsed steps (notebook_program.h)
// against the workspace at the moment the run starts executing. It resolves
// dbutils.notebook.run children (relative paths against the caller's folder, their exit
// values returned, their failures and timeouts propagated), %run, secrets, widgets and
// `cloudsim:` directives, accumulates simulated run time, and redacts secret values from
// what it reports. Single-threaded: the caller holds the workspace lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_INTERPRETER_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_INTERPRETER_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/workspace.h"

namespace envctl::cloudsim::databricks {

// Simulated time every notebook (each child too) takes, before `cloudsim: sleep`.
inline constexpr absl::Duration kNotebookBaseRunTime = absl::Seconds(20);
// dbutils.notebook.run nesting beyond this fails the run (guards against recursion).
inline constexpr int kMaxNotebookDepth = 10;

// What the interpreter needs from the workspace.
class RuntimeEnv {
 public:
  struct Notebook {
    std::string language;
    std::string body;
  };
  virtual ~RuntimeEnv() = default;
  // The notebook at the absolute workspace path, or nullopt when there is none.
  virtual std::optional<Notebook> FindNotebook(const std::string& path) = 0;
  // The secret's value; NotFound when the scope or key does not exist, PermissionDenied
  // (with the message) when the run's identity may not read the scope.
  virtual absl::StatusOr<std::string> GetSecret(const std::string& scope,
                                                const std::string& key) = 0;
  // Who the next execution runs as: a workspace admin reads every scope, anyone else
  // needs READ (or more) in the scope's ACL.
  virtual void SetRunIdentity(const std::string& /*principal*/, bool /*admin*/) {}
  // Data a notebook reads and writes through Spark (a "dbfs:/x" or "/x" path). DataPathExists is
  // false when nothing was ever written there (or it was deleted); paths outside DBFS are not
  // tracked and always exist.
  virtual bool DataPathExists(const std::string& /*path*/) { return true; }
  virtual void WriteDataPath(const std::string& /*path*/) {}
  // Whether the run may read or write an ABFS path with the credential its Spark session
  // configured; the storage service's refusal otherwise.
  virtual absl::Status AuthorizeStorage(const StorageAccess& /*access*/) {
    return absl::OkStatus();
  }
};

struct ExecutionResult {
  bool failed = false;
  std::string error;        // e.g. "IllegalArgumentException: Secret does not exist ..."
  std::string error_trace;  // a short trace naming notebook and line
  bool exited = false;      // dbutils.notebook.exit (or `cloudsim: exit`) was called
  std::string exit_value;
  absl::Duration duration;  // simulated execution time
};

// Runs the notebook at `path` with widget parameters `params`. A missing notebook is a
// failure ("Notebook not found: <path>"), not an error of this function.
ExecutionResult ExecuteNotebook(RuntimeEnv& env, const std::string& path,
                                const std::map<std::string, std::string>& params);

// Resolves `path` ("./x", "../x", "x" or "/abs") against the folder of `caller`.
std::string ResolveNotebookPath(const std::string& caller, const std::string& path);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_INTERPRETER_H_
