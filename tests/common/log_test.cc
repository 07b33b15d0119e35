#include "common/log.h"

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/status_matchers.h"

namespace envctl::log {
namespace {

using ::envctl::testing::StatusIs;

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { Disable(); }
  std::ostringstream out_;
};

TEST_F(LogTest, JsonLineCarriesEventLevelTimeAndFields) {
  Configure({Format::kJson, Level::kInfo, &out_});
  Info("sync_end").Str("environment", "dev").Int("duration_ms", 42).Bool("ok", true);
  auto lines = JsonLines(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["event"], "sync_end");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["environment"], "dev");
  EXPECT_EQ(lines[0]["duration_ms"], 42);
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[0]["ts"].get<std::string>().back(), 'Z');
}

TEST_F(LogTest, JsonEscapesQuotesNewlinesAndInvalidUtf8) {
  Configure({Format::kJson, Level::kInfo, &out_});
  Error("cloud_error").Str("message", "say \"hi\"\nthen\xff go");
  auto lines = JsonLines(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_NE(lines[0]["message"].get<std::string>().find("say \"hi\"\nthen"), std::string::npos);
}

TEST_F(LogTest, TextLineQuotesValuesWithSpaces) {
  Configure({Format::kText, Level::kInfo, &out_});
  Warn("webhook_refused").Str("reason", "bad signature").Str("source", "github");
  const std::string line = out_.str();
  EXPECT_NE(line.find(" warning webhook_refused reason=\"bad signature\" source=github\n"),
            std::string::npos)
      << line;
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  Configure({Format::kJson, Level::kWarn, &out_});
  Info("sync_start");
  Debug("detail");
  Warn("kept");
  auto lines = JsonLines(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["event"], "kept");
}

TEST_F(LogTest, NothingIsWrittenBeforeConfigure) {
  Disable();
  EXPECT_FALSE(Enabled(Level::kError));
  Error("dropped");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LogTest, ScopedContextAddsFieldsOnItsThreadOnly) {
  Configure({Format::kJson, Level::kInfo, &out_});
  {
    ScopedContext sync({{"sync_id", "dev-7"}, {"environment", "dev"}});
    ScopedContext resource({{"resource", "kv"}, {"environment", "dev2"}});
    EXPECT_EQ(CurrentSyncId(), "dev-7");
    Info("cloud_write").Str("action", "update");
    std::thread other([] {
      EXPECT_EQ(CurrentSyncId(), "");
      Info("elsewhere");
    });
    other.join();
  }
  EXPECT_EQ(CurrentSyncId(), "");
  Info("after");
  auto lines = JsonLines(out_.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["sync_id"], "dev-7");
  EXPECT_EQ(lines[0]["environment"], "dev2");  // the inner scope wins
  EXPECT_EQ(lines[0]["resource"], "kv");
  EXPECT_EQ(lines[0]["action"], "update");
  EXPECT_FALSE(lines[1].contains("sync_id"));
  EXPECT_FALSE(lines[2].contains("sync_id"));
}

TEST_F(LogTest, ErrorFieldHoldsMessageAndCode) {
  Configure({Format::kJson, Level::kInfo, &out_});
  Error("resource_failed").Error(absl::NotFoundError("vault kv: 404 VaultNotFound"));
  auto lines = JsonLines(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["error"], "vault kv: 404 VaultNotFound");
  EXPECT_EQ(lines[0]["code"], "NOT_FOUND");
}

TEST_F(LogTest, ParsesFormatsAndLevelsAndNamesTheChoices) {
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarn);
  EXPECT_THAT(ParseFormat("xml"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("text, json")));
  EXPECT_EQ(std::string(ParseLevel("loud").status().message()),
            "log level \"loud\" is not one of debug, info, warn, error, off");
}

TEST_F(LogTest, ManyThreadsWriteWholeLines) {
  Configure({Format::kJson, Level::kInfo, &out_});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) Info("tick").Int("thread", t).Int("i", i);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(JsonLines(out_.str()).size(), 400u);
}

}  // namespace
}  // namespace envctl::log
