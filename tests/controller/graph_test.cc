#include "controller/graph.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DependencyGraphTest, IndependentResourcesShareAWave) {
  auto g = DependencyGraph::Build(
      {{"rg", {}}, {"kv", {"rg"}}, {"sa", {"rg"}}, {"secret", {"kv", "sa"}}});
  ASSERT_OK(g);
  ASSERT_EQ(g->waves().size(), 3u);
  EXPECT_THAT(g->waves()[0], ElementsAre("rg"));
  EXPECT_THAT(g->waves()[1], ElementsAre("kv", "sa"));
  EXPECT_THAT(g->waves()[2], ElementsAre("secret"));
  EXPECT_EQ(g->WaveOf("secret"), 2);
  EXPECT_EQ(g->Dependents("rg"), (std::set<std::string>{"kv", "sa", "secret"}));
}

TEST(DependencyGraphTest, CycleMessageNamesTheCycle) {
  auto g = DependencyGraph::Build({{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {}}});
  EXPECT_THAT(g, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a -> b -> c -> a")));
}

TEST(DependencyGraphTest, UnknownDependencyIsAnError) {
  auto g = DependencyGraph::Build({{"a", {"ghost"}}});
  EXPECT_THAT(
      g, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown resource \"ghost\"")));
}

}  // namespace
}  // namespace envctl::controller
