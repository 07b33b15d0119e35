// Data Factory API details the official SDK (@azure/arm-datafactory) depends on, each
// pinned here after the conformance suite found cloudsim diverging from the real service:
// trigger actions and event subscriptions, the query APIs' continuationToken paging.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"

namespace envctl::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kApi[] = "?api-version=2018-06-01";

class AdfApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.page_size = 2;  // as in the conformance harness, so every list pages
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    c_ = std::make_unique<SimClient>(*env_);
    ASSERT_EQ(c_->Arm("PUT", c_->Rg("rg") + "?api-version=2025-04-01", {{"location", "westeurope"}})
                  .status,
              201);
    ASSERT_EQ(c_->Arm("PUT", F() + kApi, {{"location", "westeurope"}}).status, 200);
  }
  std::string F() { return c_->Rg("rg") + "/providers/Microsoft.DataFactory/factories/adf-api"; }
  cloudsim::Response Put(const std::string& kind, const std::string& name,
                         const nlohmann::json& props) {
    return c_->Arm("PUT", F() + "/" + kind + "/" + name + kApi, {{"properties", props}});
  }
  cloudsim::Response Post(const std::string& path,
                          const nlohmann::json& body = nlohmann::json::object()) {
    return c_->Arm("POST", F() + path + kApi, body);
  }
  void PutWaitPipeline(const std::string& name) {
    ASSERT_EQ(
        Put("pipelines", name,
            {{"activities",
              {{{"name", "w"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 1}}}}}}})
            .status,
        200);
  }
  nlohmann::json Schedule(const std::string& pipeline) {
    nlohmann::json pipelines = nlohmann::json::array();
    if (!pipeline.empty())
      pipelines.push_back(
          {{"pipelineReference", {{"referenceName", pipeline}, {"type", "PipelineReference"}}}});
    return {{"type", "ScheduleTrigger"},
            {"typeProperties",
             {{"recurrence",
               {{"frequency", "Hour"}, {"interval", 1}, {"startTime", "2099-01-01T00:00:00Z"}}}}},
            {"pipelines", pipelines}};
  }

  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> c_;
};

std::vector<std::string> Names(const nlohmann::json& value) {
  std::vector<std::string> out;
  for (const auto& v : value) out.push_back(v.value("name", ""));
  return out;
}

// The SDK sends getEventSubscriptionStatus as a POST (cloudsim answered only GET), and
// subscribeToEvents / unsubscribeFromEvents were not routed at all.
TEST_F(AdfApiTest, EventSubscriptionActionsArePostsThatReportTheStatus) {
  PutWaitPipeline("p");
  ASSERT_EQ(Put("triggers", "t", Schedule("p")).status, 200);
  cloudsim::Response status = Post("/triggers/t/getEventSubscriptionStatus");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(JsonOf(status), (nlohmann::json{{"triggerName", "t"}, {"status", "Disabled"}}));
  cloudsim::Response subscribed = Post("/triggers/t/subscribeToEvents");
  ASSERT_EQ(subscribed.status, 200) << subscribed.body;
  EXPECT_EQ(JsonOf(subscribed)["status"], "Enabled");
  EXPECT_EQ(JsonOf(Post("/triggers/t/getEventSubscriptionStatus"))["status"], "Enabled");
  EXPECT_EQ(JsonOf(Post("/triggers/t/unsubscribeFromEvents"))["status"], "Disabled");
  EXPECT_EQ(c_->Arm("GET", F() + "/triggers/t/getEventSubscriptionStatus" + kApi).status, 404)
      << "the spec has no GET of the status";
}

TEST_F(AdfApiTest, StartingATriggerWithoutPipelinesIsRefused) {
  ASSERT_EQ(Put("triggers", "empty", Schedule("")).status, 200);
  cloudsim::Response started = Post("/triggers/empty/start");
  EXPECT_EQ(started.status, 400);
  EXPECT_EQ(ErrorCode(started), "BadRequest");
  EXPECT_EQ(JsonOf(started)["error"]["message"],
            "Missing or invalid pipeline references for trigger empty");
  EXPECT_EQ(JsonOf(c_->Arm("GET", F() + "/triggers/empty" + kApi))["properties"]["runtimeState"],
            "Stopped");
}

// POST F/querytriggers was answered 404; it pages with a body continuationToken.
TEST_F(AdfApiTest, QueryTriggersPagesWithAContinuationToken) {
  PutWaitPipeline("p");
  for (const char* name : {"a", "b", "c"})
    ASSERT_EQ(Put("triggers", name, Schedule("p")).status, 200);
  cloudsim::Response first = Post("/querytriggers");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(JsonOf(first)["value"].size(), 2u);
  ASSERT_TRUE(JsonOf(first).contains("continuationToken"));
  cloudsim::Response second =
      Post("/querytriggers", {{"continuationToken", JsonOf(first)["continuationToken"]}});
  EXPECT_THAT(Names(JsonOf(second)["value"]), ElementsAre("c"));
  EXPECT_FALSE(JsonOf(second).contains("continuationToken"));
  std::vector<std::string> all = Names(JsonOf(first)["value"]);
  all.push_back("c");
  EXPECT_THAT(all, UnorderedElementsAre("a", "b", "c"));
  EXPECT_EQ(Post("/querytriggers", {{"continuationToken", "garbage"}}).status, 400);
  EXPECT_TRUE(JsonOf(Post("/querytriggers", {{"parentTriggerName", "a"}}))["value"].empty());
}

// queryPipelineRuns and queryActivityruns returned every match in one answer: the SDK
// pages them with the body's continuationToken (ADF pages at 100; here at 2).
TEST_F(AdfApiTest, QueryPipelineRunsPagesInCreationOrderAndHonoursOrderBy) {
  PutWaitPipeline("p");
  std::vector<std::string> created;
  for (int i = 0; i < 3; ++i) {
    cloudsim::Response run = Post("/pipelines/p/createRun");
    ASSERT_EQ(run.status, 200) << run.body;
    created.push_back(JsonOf(run)["runId"]);
  }
  const nlohmann::json window = {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
                                 {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}};
  std::vector<std::string> seen;
  nlohmann::json request = window;
  for (int page = 0; page < 5; ++page) {
    cloudsim::Response r = Post("/queryPipelineRuns", request);
    ASSERT_EQ(r.status, 200) << r.body;
    nlohmann::json body = JsonOf(r);
    EXPECT_LE(body["value"].size(), 2u);
    for (const auto& run : body["value"]) seen.push_back(run["runId"]);
    if (!body.contains("continuationToken")) break;
    request["continuationToken"] = body["continuationToken"];
  }
  EXPECT_EQ(seen, created) << "creation order, each run once";

  PutWaitPipeline("q");
  ASSERT_EQ(Post("/pipelines/q/createRun").status, 200);
  nlohmann::json desc = window;
  desc["orderBy"] = {{{"orderBy", "PipelineName"}, {"order", "DESC"}}};
  EXPECT_EQ(JsonOf(Post("/queryPipelineRuns", desc))["value"][0]["pipelineName"], "q");
  nlohmann::json bad = window;
  bad["continuationToken"] = "not-a-token";
  EXPECT_EQ(ErrorCode(Post("/queryPipelineRuns", bad)), "BadRequest");
  cloudsim::Response no_window = Post("/queryPipelineRuns", nlohmann::json::object());
  EXPECT_EQ(no_window.status, 400);
  EXPECT_THAT(JsonOf(no_window)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("lastUpdatedAfter"));
}

// createRun ignored referencePipelineRunId/isRecovery: every run was its own group and
// the latest, and a rerun took the body's parameters instead of the referenced run's.
TEST_F(AdfApiTest, RecoveryRerunJoinsTheRunGroupWithTheReferencedParameters) {
  ASSERT_EQ(
      Put("pipelines", "p",
          {{"parameters", {{"x", {{"type", "String"}, {"defaultValue", "d"}}}}},
           {"activities",
            {{{"name", "w"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 1}}}}}}})
          .status,
      200);
  std::string first = JsonOf(Post("/pipelines/p/createRun", {{"x", "original"}}))["runId"];
  cloudsim::Response rerun = c_->Arm("POST",
                                     F() + "/pipelines/p/createRun" + kApi +
                                         "&referencePipelineRunId=" + first + "&isRecovery=true",
                                     {{"x", "ignored"}});
  ASSERT_EQ(rerun.status, 200) << rerun.body;
  std::string second = JsonOf(rerun)["runId"];
  nlohmann::json old_run = JsonOf(c_->Arm("GET", F() + "/pipelineruns/" + first + kApi));
  nlohmann::json new_run = JsonOf(c_->Arm("GET", F() + "/pipelineruns/" + second + kApi));
  EXPECT_EQ(new_run["runGroupId"], first);
  EXPECT_EQ(old_run["runGroupId"], first);
  EXPECT_EQ(new_run["isLatest"], true);
  EXPECT_EQ(old_run["isLatest"], false);
  EXPECT_EQ(new_run["parameters"]["x"], "original");
  cloudsim::Response plain =
      c_->Arm("POST", F() + "/pipelines/p/createRun" + kApi + "&referencePipelineRunId=" + first,
              nlohmann::json::object());
  nlohmann::json plain_run = JsonOf(
      c_->Arm("GET", F() + "/pipelineruns/" + JsonOf(plain)["runId"].get<std::string>() + kApi));
  EXPECT_EQ(plain_run["runGroupId"], plain_run["runId"])
      << "without isRecovery a rerun is its own group";
  EXPECT_EQ(plain_run["parameters"]["x"], "original");
  EXPECT_EQ(ErrorCode(c_->Arm(
                "POST", F() + "/pipelines/p/createRun" + kApi + "&referencePipelineRunId=nope",
                nlohmann::json::object())),
            "PipelineRunNotFound");
}

}  // namespace
}  // namespace envctl::testing
