// Clusters API 2.1 and Cluster Policies API 2.0 of the simulated workspace.
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim_databricks/workspace_harness.h"

namespace envctl::cloudsim::databricks::testing {
namespace {

using ::testing::HasSubstr;

class DatabricksComputeTest : public ::testing::Test {
 protected:
  std::string CreateCluster(Json extra = Json::object()) {
    Json body = {{"cluster_name", "etl"},
                 {"spark_version", "13.3.x-scala2.12"},
                 {"node_type_id", "Standard_DS3_v2"},
                 {"num_workers", 2}};
    body.update(extra);
    for (auto it = body.begin(); it != body.end();)
      it = it->is_null() ? body.erase(it) : std::next(it);
    return h.Post("/api/2.1/clusters/create", body).at("cluster_id").get<std::string>();
  }
  Json GetCluster(const std::string& id) {
    return h.Get("/api/2.1/clusters/get", {{"cluster_id", id}});
  }
  std::string State(const std::string& id) { return GetCluster(id).at("state").get<std::string>(); }
  WorkspaceHarness h{10.0};
};

TEST_F(DatabricksComputeTest, ClusterGoesPendingRunningTerminatingTerminatedScaledBySpeed) {
  std::string id = CreateCluster();
  EXPECT_EQ(State(id), "PENDING");
  h.clock.Advance(absl::Seconds(2));  // 30 s simulated / speed 10 = 3 s
  EXPECT_EQ(State(id), "PENDING");
  h.clock.Advance(absl::Seconds(1));
  EXPECT_EQ(State(id), "RUNNING");
  Json c = GetCluster(id);
  EXPECT_EQ(c["num_workers"], 2);
  EXPECT_FALSE(c.contains("autotermination_minutes")) << "not set: never terminated for idleness";
  EXPECT_EQ(c["driver_node_type_id"], "Standard_DS3_v2");
  EXPECT_EQ(c["default_tags"]["ClusterId"], id);

  h.Post("/api/2.1/clusters/delete", {{"cluster_id", id}});
  EXPECT_EQ(State(id), "TERMINATING");
  h.clock.Advance(absl::Seconds(1));
  EXPECT_EQ(State(id), "TERMINATED");
  EXPECT_EQ(GetCluster(id)["termination_reason"]["code"], "USER_REQUEST");

  h.Post("/api/2.1/clusters/start", {{"cluster_id", id}});
  EXPECT_EQ(State(id), "PENDING");
  Response again = h.Send("POST", "/api/2.1/clusters/start", {{"cluster_id", id}});
  EXPECT_EQ(again.status, 400);
  EXPECT_THAT(again.body, HasSubstr("INVALID_STATE"));
}

TEST_F(DatabricksComputeTest, EditOfRunningClusterRestartsItAndTerminatingClusterIsInvalidState) {
  std::string id = CreateCluster();
  h.clock.Advance(absl::Seconds(3));
  ASSERT_EQ(State(id), "RUNNING");
  h.Post("/api/2.1/clusters/edit", {{"cluster_id", id},
                                    {"cluster_name", "etl"},
                                    {"spark_version", "13.3.x-scala2.12"},
                                    {"node_type_id", "Standard_DS3_v2"},
                                    {"autoscale", {{"min_workers", 1}, {"max_workers", 4}}}});
  Json c = GetCluster(id);
  EXPECT_EQ(c["state"], "RESTARTING");
  EXPECT_EQ(c["autoscale"]["max_workers"], 4);
  EXPECT_FALSE(c.contains("num_workers"));
  h.clock.Advance(absl::Seconds(3));
  EXPECT_EQ(State(id), "RUNNING");

  h.Post("/api/2.1/clusters/delete", {{"cluster_id", id}});
  Response edit = h.Send("POST", "/api/2.1/clusters/edit",
                         {{"cluster_id", id},
                          {"spark_version", "13.3.x-scala2.12"},
                          {"node_type_id", "Standard_DS3_v2"},
                          {"num_workers", 1}});
  EXPECT_EQ(edit.status, 400);
  Json err = Json::parse(edit.body);
  EXPECT_EQ(err["error_code"], "INVALID_STATE");
  EXPECT_EQ(err["message"], "Cluster " + id + " is in unexpected state Terminating.");
}

TEST_F(DatabricksComputeTest, UnknownClusterIsInvalidParameterAndPermanentDeleteRemovesIt) {
  Response missing = h.Send("GET", "/api/2.1/clusters/get", nullptr, {{"cluster_id", "nope"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("Cluster nope does not exist"));
  std::string a = CreateCluster();
  std::string b = CreateCluster({{"cluster_name", "b"}});
  Json page = h.Get("/api/2.1/clusters/list", {{"page_size", "1"}});
  ASSERT_EQ(page["clusters"].size(), 1u);
  EXPECT_EQ(page["next_page_token"], "1");
  Json next = h.Get("/api/2.1/clusters/list", {{"page_size", "1"}, {"page_token", "1"}});
  EXPECT_EQ(next["clusters"].size(), 1u);
  EXPECT_FALSE(next.contains("next_page_token"));
  h.Post("/api/2.1/clusters/permanent-delete", {{"cluster_id", a}});
  EXPECT_EQ(h.Send("GET", "/api/2.1/clusters/get", nullptr, {{"cluster_id", a}}).status, 400);
  EXPECT_EQ(h.Get("/api/2.1/clusters/list", {})["clusters"].size(), 1u);
  (void)b;
}

TEST_F(DatabricksComputeTest, PolicyCrudAndClusterMustComply) {
  Json def = {{"spark_version", {{"type", "fixed"}, {"value", "13.3.x-scala2.12"}}},
              {"autoscale.max_workers", {{"type", "range"}, {"maxValue", 4}}},
              {"custom_tags.team", {{"type", "fixed"}, {"value", "bikeshare"}}}};
  std::string pid =
      h.Post("/api/2.0/policies/clusters/create",
             {{"name", "small"}, {"definition", def.dump()}, {"max_clusters_per_user", 2}})
          .at("policy_id")
          .get<std::string>();
  Json got = h.Get("/api/2.0/policies/clusters/get", {{"policy_id", pid}});
  EXPECT_EQ(got["name"], "small");
  EXPECT_EQ(Json::parse(got["definition"].get<std::string>()), def);
  EXPECT_EQ(got["max_clusters_per_user"], 2);

  Response dup = h.Send("POST", "/api/2.0/policies/clusters/create",
                        {{"name", "small"}, {"definition", "{}"}});
  EXPECT_EQ(dup.status, 400);
  Response bad =
      h.Send("POST", "/api/2.0/policies/clusters/create", {{"name", "x"}, {"definition", "[1]"}});
  EXPECT_THAT(bad.body, HasSubstr("INVALID_PARAMETER_VALUE"));

  Response too_big = h.Send("POST", "/api/2.1/clusters/create",
                            {{"cluster_name", "c"},
                             {"policy_id", pid},
                             {"node_type_id", "Standard_DS3_v2"},
                             {"autoscale", {{"min_workers", 1}, {"max_workers", 8}}}});
  EXPECT_EQ(too_big.status, 400);
  EXPECT_THAT(too_big.body, HasSubstr("autoscale.max_workers"));
  std::string id = CreateCluster({{"policy_id", pid}, {"spark_version", nullptr}});
  Json c = GetCluster(id);
  EXPECT_EQ(c["spark_version"], "13.3.x-scala2.12");  // fixed value filled in
  EXPECT_EQ(c["custom_tags"]["team"], "bikeshare");

  h.Post("/api/2.0/policies/clusters/edit",
         {{"policy_id", pid}, {"name", "small"}, {"definition", "{}"}});
  EXPECT_EQ(h.Get("/api/2.0/policies/clusters/get", {{"policy_id", pid}})["definition"], "{}");
  EXPECT_EQ(h.Get("/api/2.0/policies/clusters/list", {})["policies"].size(), 1u);
  h.Post("/api/2.0/policies/clusters/delete", {{"policy_id", pid}});
  Response gone = h.Send("GET", "/api/2.0/policies/clusters/get", nullptr, {{"policy_id", pid}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_THAT(gone.body, HasSubstr("RESOURCE_DOES_NOT_EXIST"));
}

TEST_F(DatabricksComputeTest, ClustersAndPoliciesSurviveSaveAndLoad) {
  std::string id = CreateCluster();
  std::string pid =
      h.Post("/api/2.0/policies/clusters/create", {{"name", "p"}, {"definition", "{}"}})
          .at("policy_id")
          .get<std::string>();
  Json saved = h.ws->Save();
  h.Reset(10.0);
  ASSERT_TRUE(h.ws->Load(saved).ok());
  EXPECT_EQ(GetCluster(id)["cluster_name"], "etl");
  EXPECT_EQ(h.Get("/api/2.0/policies/clusters/get", {{"policy_id", pid}})["name"], "p");
}

TEST_F(DatabricksComputeTest, RestartOfARunningClusterGoesRestartingThenRunning) {
  std::string id = CreateCluster();
  h.clock.Advance(absl::Seconds(3));
  ASSERT_EQ(State(id), "RUNNING");
  h.Post("/api/2.1/clusters/restart", {{"cluster_id", id}});
  EXPECT_EQ(State(id), "RESTARTING");
  Response busy = h.Send("POST", "/api/2.1/clusters/restart", {{"cluster_id", id}});
  EXPECT_EQ(busy.status, 400);
  EXPECT_THAT(busy.body, HasSubstr("INVALID_STATE"));
  h.clock.Advance(absl::Seconds(3));
  EXPECT_EQ(State(id), "RUNNING");
  h.Post("/api/2.1/clusters/delete", {{"cluster_id", id}});
  h.clock.Advance(absl::Seconds(1));
  h.Post("/api/2.1/clusters/restart", {{"cluster_id", id}});  // not running: nothing happens
  EXPECT_EQ(State(id), "TERMINATED");
}

TEST_F(DatabricksComputeTest, IdleClusterTerminatesAfterAutoterminationMinutesAndARunKeepsItAlive) {
  std::string id = CreateCluster({{"autotermination_minutes", 10}});
  h.clock.Advance(absl::Seconds(3));  // RUNNING
  ASSERT_EQ(State(id), "RUNNING");
  // A notebook run on the cluster is activity: idle time counts from its end.
  h.ImportNotebook("/Shared/long", "# cloudsim: sleep 15m\n");
  int64_t run = h.SubmitNotebook("/Shared/long", {{"existing_cluster_id", id}});
  h.clock.Advance(absl::Seconds(60));  // 10 simulated minutes
  EXPECT_EQ(State(id), "RUNNING") << "busy with the run";
  h.Finish(run);
  const absl::Time run_end = absl::FromUnixMillis(h.GetRunJson(run)["end_time"].get<int64_t>());
  h.clock.Advance(run_end + absl::Seconds(59) - h.clock.Now());
  EXPECT_EQ(State(id), "RUNNING");
  h.clock.Advance(absl::Milliseconds(1500));  // idle 10 simulated minutes: terminating (1 s)
  EXPECT_EQ(State(id), "TERMINATING");
  h.clock.Advance(absl::Seconds(1));
  Json c = GetCluster(id);
  EXPECT_EQ(c["state"], "TERMINATED");
  EXPECT_EQ(c["termination_reason"]["code"], "INACTIVITY");
  EXPECT_EQ(c["termination_reason"]["parameters"]["inactivity_duration_min"], "10");

  Response too_short = h.Send("POST", "/api/2.1/clusters/create",
                              {{"cluster_name", "x"},
                               {"spark_version", "13.3.x-scala2.12"},
                               {"node_type_id", "Standard_DS3_v2"},
                               {"autotermination_minutes", 5}});
  EXPECT_EQ(too_short.status, 400);
}

TEST_F(DatabricksComputeTest, LibrariesInstallThroughTheirStatesAndUninstallOnRestart) {
  std::string id = CreateCluster();
  h.Post("/api/2.0/dbfs/put", {{"path", "dbfs:/libs/app.whl"}, {"contents", "UEsDBA=="}});
  Json libs = Json::array({{{"pypi", {{"package", "simplejson==3.8.0"}}}},
                           {{"whl", "dbfs:/libs/app.whl"}},
                           {{"jar", "dbfs:/libs/missing.jar"}}});
  h.Post("/api/2.0/libraries/install", {{"cluster_id", id}, {"libraries", libs}});
  auto statuses = [&] {
    std::vector<std::string> out;
    Json s = h.Get("/api/2.0/libraries/cluster-status", {{"cluster_id", id}});
    for (const Json& l : s.value("library_statuses", Json::array())) out.push_back(l["status"]);
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(statuses(), ElementsAre("PENDING", "PENDING", "PENDING"))
      << "the cluster is still starting";
  h.clock.Advance(absl::Seconds(3));  // RUNNING
  h.clock.Advance(absl::Milliseconds(200));
  EXPECT_THAT(statuses(), ElementsAre("INSTALLING", "INSTALLING", "INSTALLING"));
  h.clock.Advance(absl::Seconds(1));
  EXPECT_THAT(statuses(), ElementsAre("INSTALLED", "INSTALLED", "FAILED"));
  Json failed =
      h.Get("/api/2.0/libraries/cluster-status", {{"cluster_id", id}})["library_statuses"][2];
  EXPECT_THAT(failed["messages"][0].get<std::string>(), HasSubstr("dbfs:/libs/missing.jar"));

  h.Post("/api/2.0/libraries/uninstall",
         {{"cluster_id", id}, {"libraries", Json::array({libs[0]})}});
  EXPECT_THAT(statuses(), ElementsAre("INSTALLED", "FAILED", "UNINSTALL_ON_RESTART"));
  Json all = h.Get("/api/2.0/libraries/all-cluster-statuses", {});
  EXPECT_EQ(all["statuses"][0]["cluster_id"], id);
  h.Post("/api/2.1/clusters/restart", {{"cluster_id", id}});
  EXPECT_THAT(statuses(), ElementsAre("PENDING", "PENDING"));
  h.clock.Advance(absl::Seconds(5));
  EXPECT_THAT(statuses(), ElementsAre("INSTALLED", "FAILED"));

  Response bad = h.Send("POST", "/api/2.0/libraries/install",
                        {{"cluster_id", id}, {"libraries", Json::array({{{"nope", "x"}}})}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("INVALID_PARAMETER_VALUE"));
  Response unknown = h.Send("POST", "/api/2.0/libraries/install",
                            {{"cluster_id", "0000-000000-nosuch00"}, {"libraries", libs}});
  EXPECT_EQ(unknown.status, 400);
}

}  // namespace
}  // namespace envctl::cloudsim::databricks::testing
