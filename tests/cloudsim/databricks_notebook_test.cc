// The notebook parser (directives, dbutils calls, cells, MAGIC lines) and the run
// interpreter against an in-memory workspace.
#include <map>
#include <string>
#include <vector>

#include "cloudsim/databricks/internal/interpreter.h"
#include "cloudsim/databricks/internal/notebook_program.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::cloudsim::databricks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MapRuntime : public RuntimeEnv {
 public:
  std::optional<Notebook> FindNotebook(const std::string& path) override {
    auto it = notebooks.find(path);
    if (it == notebooks.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::string> GetSecret(const std::string& scope, const std::string& key) override {
    auto it = secrets.find(scope + "/" + key);
    if (it == secrets.end()) return absl::NotFoundError("missing");
    return it->second;
  }
  absl::Status AuthorizeStorage(const StorageAccess& access) override {
    accesses.push_back(access);
    return storage_answer;
  }
  void Add(const std::string& path, const std::string& body, const std::string& lang = "PYTHON") {
    notebooks[path] = Notebook{lang, body};
  }
  std::map<std::string, Notebook> notebooks;
  std::map<std::string, std::string> secrets;
  std::vector<StorageAccess> accesses;
  absl::Status storage_answer;
};

TEST(NotebookParserTest, DirectivesAreParsedInSourceOrder) {
  auto steps = ParseNotebook("PYTHON",
                             "# cloudsim: sleep 30s\n"
                             "x = 1\n"
                             "# cloudsim: fail \"boom \\\"quoted\\\"\"\n"
                             "# cloudsim: exit \"done\"\n");
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[0].kind, Step::kSleep);
  EXPECT_EQ(steps[0].sleep, absl::Seconds(30));
  EXPECT_EQ(steps[1].kind, Step::kAssign);
  EXPECT_EQ(steps[1].target, "x");
  EXPECT_EQ(steps[2].kind, Step::kFail);
  EXPECT_EQ(steps[2].text, "boom \"quoted\"");
  EXPECT_EQ(steps[2].line, 3);
  EXPECT_EQ(steps[3].kind, Step::kExit);
  EXPECT_EQ(steps[3].args[0].text, "done");
}

TEST(NotebookParserTest, SleepAcceptsUnitsAndBareSeconds) {
  auto steps = ParseNotebook("PYTHON", "# cloudsim: sleep 2m\n# cloudsim: sleep 45\n");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].sleep, absl::Minutes(2));
  EXPECT_EQ(steps[1].sleep, absl::Seconds(45));
}

TEST(NotebookParserTest, MalformedDirectivesBecomeErrors) {
  auto steps = ParseNotebook("PYTHON",
                             "# cloudsim: explode\n# cloudsim: fail boom\n"
                             "# cloudsim: sleep soon\n");
  ASSERT_EQ(steps.size(), 3u);
  for (const Step& s : steps) EXPECT_EQ(s.kind, Step::kDirectiveError);
  EXPECT_THAT(steps[0].text, HasSubstr("unknown cloudsim directive \"explode\""));
  EXPECT_THAT(steps[1].text, HasSubstr("needs a quoted string"));
  EXPECT_THAT(steps[2].text, HasSubstr("needs a duration"));
}

TEST(NotebookParserTest, DbutilsCallsWithTargetsAndKeywordArguments) {
  auto steps = ParseNotebook("PYTHON",
                             "# Databricks notebook source\n"
                             "dbutils.widgets.text(\"env\", \"dev\", \"Environment\")\n"
                             "env = dbutils.widgets.get(\"env\")\n"
                             "pw = dbutils.secrets.get(scope=\"app\", key=\"db-password\")\n"
                             "r = dbutils.notebook.run(\"./child\", 60, {\"env\": env,\n"
                             "                                          \"x\": \"1\"})\n"
                             "print(\"# cloudsim: fail \\\"not a directive\\\"\")\n"
                             "dbutils.notebook.exit(r)\n");
  // print(...) holds no dbutils call, and the directive inside its string is not a comment.
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0].kind, Step::kWidgetDefine);
  EXPECT_EQ(steps[1].kind, Step::kWidgetGet);
  EXPECT_EQ(steps[1].target, "env");
  EXPECT_EQ(steps[2].kind, Step::kSecretGet);
  EXPECT_EQ(steps[2].args[1].text, "db-password");
  EXPECT_EQ(steps[3].kind, Step::kNotebookRun);
  EXPECT_EQ(steps[3].target, "r");
  ASSERT_EQ(steps[3].args.size(), 3u);
  EXPECT_EQ(steps[3].args[2].kind, Expr::kMap);
  EXPECT_EQ(steps[3].args[2].keys.size(), 2u);
  EXPECT_EQ(steps[4].kind, Step::kExit);
  EXPECT_EQ(steps[4].args[0].kind, Expr::kVariable);
}

TEST(NotebookParserTest, MagicCellsRunAndMarkdownIsSkipped) {
  auto steps = ParseNotebook("PYTHON",
                             "# MAGIC %md\n"
                             "# MAGIC dbutils.notebook.exit(\"not code\")\n"
                             "\n"
                             "# COMMAND ----------\n"
                             "\n"
                             "# MAGIC %run ./helpers\n"
                             "\n"
                             "# COMMAND ----------\n"
                             "\n"
                             "# MAGIC %sql SELECT 1\n");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, Step::kRunInline);
  EXPECT_EQ(steps[0].text, "./helpers");
}

TEST(NotebookParserTest, ScalaValAndMapArguments) {
  auto steps = ParseNotebook("SCALA",
                             "// cloudsim: sleep 5s\n"
                             "val x: String = dbutils.widgets.get(\"x\")\n"
                             "dbutils.notebook.run(\"/Shared/c\", 0, Map(\"a\" -> x))\n");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, Step::kSleep);
  EXPECT_EQ(steps[1].target, "x");
  EXPECT_EQ(steps[2].kind, Step::kNotebookRun);
  EXPECT_EQ(steps[2].args[2].kind, Expr::kMap);
}

TEST(NotebookPathTest, RelativePathsResolveAgainstTheCallersFolder) {
  EXPECT_EQ(ResolveNotebookPath("/Shared/app/main", "./child"), "/Shared/app/child");
  EXPECT_EQ(ResolveNotebookPath("/Shared/app/main", "../lib/x"), "/Shared/lib/x");
  EXPECT_EQ(ResolveNotebookPath("/Shared/app/main", "sib"), "/Shared/app/sib");
  EXPECT_EQ(ResolveNotebookPath("/Shared/app/main", "/Users/a/nb"), "/Users/a/nb");
}

TEST(InterpreterTest, ChildExitValueFlowsBackThroughWidgets) {
  MapRuntime rt;
  rt.Add("/Shared/app/main",
         "env = dbutils.widgets.get(\"env\")\n"
         "r = dbutils.notebook.run(\"./child\", 60, {\"who\": env})\n"
         "dbutils.notebook.exit(\"child said \" + r)\n");
  rt.Add("/Shared/app/child",
         "dbutils.widgets.text(\"who\", \"nobody\")\n"
         "# cloudsim: sleep 10s\n"
         "dbutils.notebook.exit(dbutils.widgets.get(\"who\"))\n");
  ExecutionResult r = ExecuteNotebook(rt, "/Shared/app/main", {{"env", "test"}});
  EXPECT_FALSE(r.failed) << r.error;
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_value, "child said test");
  // 20 s per notebook plus the child's 10 s sleep.
  EXPECT_EQ(r.duration, absl::Seconds(50));
}

TEST(InterpreterTest, MissingChildFailsWithWorkflowException) {
  MapRuntime rt;
  rt.Add("/Shared/main", "dbutils.notebook.run(\"./x\", 0)\ndbutils.notebook.exit(\"never\")\n");
  ExecutionResult r = ExecuteNotebook(rt, "/Shared/main", {});
  EXPECT_TRUE(r.failed);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.error,
            "com.databricks.WorkflowException: com.databricks.NotebookExecutionException: "
            "FAILED: Notebook not found: /Shared/x");
}

TEST(InterpreterTest, GrandchildFailurePropagates) {
  MapRuntime rt;
  rt.Add("/a", "dbutils.notebook.run(\"/b\", 0, {})\n");
  rt.Add("/b", "dbutils.notebook.run(\"/c\", 0, {})\n");
  rt.Add("/c", "raise ValueError(\"bad input\")\n");
  ExecutionResult r = ExecuteNotebook(rt, "/a", {});
  EXPECT_TRUE(r.failed);
  EXPECT_THAT(r.error, HasSubstr("FAILED: com.databricks.WorkflowException"));
  EXPECT_THAT(r.error, HasSubstr("ValueError: bad input"));
  EXPECT_THAT(r.error_trace, HasSubstr("/c, line 1"));
}

TEST(InterpreterTest, ChildSlowerThanItsTimeoutFailsTheParent) {
  MapRuntime rt;
  rt.Add("/p", "dbutils.notebook.run(\"/slow\", 30)\n");
  rt.Add("/slow", "# cloudsim: sleep 1m\n");
  ExecutionResult r = ExecuteNotebook(rt, "/p", {});
  EXPECT_TRUE(r.failed);
  EXPECT_THAT(r.error, HasSubstr("TIMEDOUT: Notebook /slow did not finish within 30 seconds"));
  EXPECT_EQ(r.duration, absl::Seconds(50));
}

TEST(InterpreterTest, MissingSecretAndWidgetMessages) {
  MapRuntime rt;
  rt.Add("/s", "v = dbutils.secrets.get(\"s\", \"k\")\n");
  rt.Add("/w", "v = dbutils.widgets.get(\"x\")\n");
  EXPECT_EQ(ExecuteNotebook(rt, "/s", {}).error,
            "IllegalArgumentException: Secret does not exist with scope: s and key: k");
  EXPECT_EQ(ExecuteNotebook(rt, "/w", {}).error,
            "com.databricks.dbutils_v1.InputWidgetNotDefined: No input widget named x is defined");
  rt.Add("/g", "dbutils.notebook.exit(getArgument(\"x\", \"fallback\"))\n");
  EXPECT_EQ(ExecuteNotebook(rt, "/g", {}).exit_value, "fallback");
}

TEST(InterpreterTest, SecretsInOutputAreRedacted) {
  MapRuntime rt;
  rt.secrets["app/pw"] = "hunter2";
  rt.Add("/leak",
         "pw = dbutils.secrets.get(\"app\", \"pw\")\ndbutils.notebook.exit(\"pw=\" + pw)\n");
  rt.Add("/leak2", "pw = dbutils.secrets.get(\"app\", \"pw\")\nraise Exception(pw)\n");
  ExecutionResult r = ExecuteNotebook(rt, "/leak", {});
  EXPECT_EQ(r.exit_value, "pw=[REDACTED]");
  ExecutionResult r2 = ExecuteNotebook(rt, "/leak2", {});
  EXPECT_EQ(r2.error, "Exception: [REDACTED]");
  EXPECT_THAT(r2.error_trace, Not(HasSubstr("hunter2")));
}

TEST(InterpreterTest, StopsAtTheFirstExitOrFail) {
  MapRuntime rt;
  rt.Add("/e", "# cloudsim: exit \"first\"\n# cloudsim: fail \"unreached\"\n");
  rt.Add("/f", "# cloudsim: fail \"broken on purpose\"\ndbutils.notebook.exit(\"unreached\")\n");
  ExecutionResult e = ExecuteNotebook(rt, "/e", {});
  EXPECT_FALSE(e.failed);
  EXPECT_EQ(e.exit_value, "first");
  ExecutionResult f = ExecuteNotebook(rt, "/f", {});
  EXPECT_TRUE(f.failed);
  EXPECT_FALSE(f.exited);
  EXPECT_EQ(f.error, "broken on purpose");
}

TEST(InterpreterTest, RunInlineSharesTheNamespace) {
  MapRuntime rt;
  rt.Add("/app/main",
         "x = \"unset\"\n\n# COMMAND ----------\n\n# MAGIC %run ./setup\n\n"
         "# COMMAND ----------\n\ndbutils.notebook.exit(x)\n");
  rt.Add("/app/setup", "x = \"from setup\"\n");
  EXPECT_EQ(ExecuteNotebook(rt, "/app/main", {}).exit_value, "from setup");
  rt.Add("/app/bad", "# MAGIC %run ./nope\n");
  EXPECT_EQ(ExecuteNotebook(rt, "/app/bad", {}).error, "Exception: Notebook not found: /app/nope");
}

TEST(InterpreterTest, RecursionIsBounded) {
  MapRuntime rt;
  rt.Add("/loop", "dbutils.notebook.run(\"/loop\", 0)\n");
  ExecutionResult r = ExecuteNotebook(rt, "/loop", {});
  EXPECT_TRUE(r.failed);
  EXPECT_THAT(r.error, HasSubstr("nested deeper than 10 levels"));
}

// The lake notebook of examples/bikeshare: an account key in one environment, a managed
// identity in the other, chosen with a plain Python if/else on a widget.
constexpr char kLakeNotebook[] =
    "auth = dbutils.widgets.get(\"lake_auth\")\n"
    "suffix = \"lake.dfs.core.windows.net\"\n"
    "if auth == \"key\":\n"
    "    spark.conf.set(f\"fs.azure.account.key.{suffix}\", dbutils.secrets.get(\"s\", "
    "\"storagekey\"))\n"
    "else:\n"
    "    spark.conf.set(f\"fs.azure.account.auth.type.{suffix}\", \"OAuth\")\n"
    "    spark.conf.set(f\"fs.azure.account.oauth.provider.type.{suffix}\",\n"
    "                   \"org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider\")\n"
    "    spark.conf.set(f\"fs.azure.account.oauth2.client.id.{suffix}\", "
    "dbutils.widgets.get(\"client_id\"))\n"
    "df.write.mode(\"overwrite\").json(\"abfss://bikeshare@lake.dfs.core.windows.net/"
    "predictions\")\n";

TEST(NotebookParserTest, IfElseOnALiteralGuardsTheBlocksSteps) {
  auto steps = ParseNotebook("PYTHON", kLakeNotebook);
  ASSERT_EQ(steps.size(), 7u);
  EXPECT_TRUE(steps[0].guards.empty());
  ASSERT_EQ(steps[2].kind, Step::kSparkConf);
  ASSERT_EQ(steps[2].guards.size(), 1u);
  EXPECT_EQ(steps[2].guards[0].variable, "auth");
  EXPECT_EQ(steps[2].guards[0].literal, "key");
  EXPECT_TRUE(steps[2].guards[0].equal);
  EXPECT_EQ(steps[2].line, 4);
  ASSERT_EQ(steps[5].guards.size(), 1u);
  EXPECT_FALSE(steps[5].guards[0].equal) << "the else block";
  EXPECT_EQ(steps[5].line, 9);
  EXPECT_EQ(steps[6].kind, Step::kDataWrite);
  EXPECT_TRUE(steps[6].guards.empty()) << "back at the if's indentation";
}

TEST(InterpreterTest, AccountKeyBranchSetsTheKeyAndSkipsTheIdentity) {
  MapRuntime rt;
  rt.Add("/nb", kLakeNotebook);
  rt.secrets["s/storagekey"] = "the-key";
  ExecutionResult r = ExecuteNotebook(rt, "/nb", {{"lake_auth", "key"}});
  EXPECT_FALSE(r.failed) << r.error;
  ASSERT_EQ(rt.accesses.size(), 1u);
  EXPECT_EQ(rt.accesses[0].auth, StorageAccess::kSharedKey);
  EXPECT_EQ(rt.accesses[0].account_key, "the-key");
  EXPECT_EQ(rt.accesses[0].account, "lake");
  EXPECT_EQ(rt.accesses[0].container, "bikeshare");
  EXPECT_TRUE(rt.accesses[0].write);
}

TEST(InterpreterTest, IdentityBranchReadsNoSecretAndUsesTheManagedIdentity) {
  MapRuntime rt;  // no secret at all: the key branch must not run
  rt.Add("/nb", kLakeNotebook);
  ExecutionResult r = ExecuteNotebook(rt, "/nb", {{"lake_auth", "identity"}, {"client_id", "c-1"}});
  EXPECT_FALSE(r.failed) << r.error;
  ASSERT_EQ(rt.accesses.size(), 1u);
  EXPECT_EQ(rt.accesses[0].auth, StorageAccess::kManagedIdentity);
  EXPECT_EQ(rt.accesses[0].client_id, "c-1");
}

TEST(InterpreterTest, RefusedLakeAccessFailsTheRunWithTheStorageError) {
  MapRuntime rt;
  rt.Add("/nb", kLakeNotebook);
  rt.storage_answer = absl::PermissionDeniedError(
      "This request is not authorized to perform this operation using this permission.");
  ExecutionResult r = ExecuteNotebook(rt, "/nb", {{"lake_auth", "identity"}, {"client_id", "c-1"}});
  ASSERT_TRUE(r.failed);
  EXPECT_THAT(
      r.error,
      HasSubstr("AbfsRestOperationException: Operation failed: \"This request is not authorized"));
  EXPECT_THAT(r.error,
              HasSubstr("403, PUT, https://lake.dfs.core.windows.net/bikeshare/predictions, "
                        "AuthorizationPermissionMismatch"));
}

TEST(InterpreterTest, LakeAccessWithoutAnyCredentialNamesTheMissingSetting) {
  MapRuntime rt;
  rt.Add("/nb", "spark.read.json(\"abfss://c@lake.dfs.core.windows.net/x\")\n");
  ExecutionResult r = ExecuteNotebook(rt, "/nb", {});
  ASSERT_TRUE(r.failed);
  EXPECT_THAT(r.error,
              HasSubstr("Failure to initialize configuration for storage account "
                        "lake.dfs.core.windows.net: Invalid configuration value detected for "
                        "fs.azure.account.key"));
  EXPECT_TRUE(rt.accesses.empty());
}

}  // namespace
}  // namespace envctl::cloudsim::databricks
