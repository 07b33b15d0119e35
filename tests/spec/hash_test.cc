// Content hashes: stable under formatting, sensitive to content, scoped per resource.
#include "spec/hash.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/loader.h"
#include "tests/spec/test_repo.h"

namespace envctl::spec {
namespace {

using testing::TempRepo;

std::map<std::string, std::string> Hashes(const std::string& dir, size_t env = 0) {
  LoadResult result = LoadRepo(dir);
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.errors);
  std::map<std::string, std::string> out;
  if (result.environments.size() <= env) return out;
  for (const auto& c : result.environments[env].contents()) out[c.resource()] = c.content_hash();
  return out;
}

constexpr char kLake[] =
    "name: lake\n"
    "tags: {a: '1', b: '2'}\n"
    "storageAccount:\n"
    "  accountName: demolake\n"
    "  resourceGroup: rg\n"
    "  containers: [{name: raw}]\n";

constexpr char kLakeReordered[] =
    "storageAccount: {containers: [{name: raw}],   resourceGroup: rg,\n"
    "                 accountName: demolake}\n"
    "\n"
    "tags:\n"
    "  b: '2'\n"
    "  a: '1'\n"
    "name: lake   # same resource, other layout\n";

TEST(ContentHashTest, KeyOrderAndWhitespaceDoNotChangeTheHash) {
  TempRepo a, b;
  a.Write("resources/x.yaml", std::string(testing::kResourceGroup) + "---\n" + kLake);
  b.Write("resources/x.yaml", std::string(kLakeReordered) + "---\n" + testing::kResourceGroup);
  const auto ha = Hashes(a.dir());
  const auto hb = Hashes(b.dir());
  ASSERT_EQ(ha.count("lake"), 1u);
  EXPECT_EQ(ha.at("lake"), hb.at("lake"));
  EXPECT_EQ(ha.at("rg"), hb.at("rg"));
  EXPECT_EQ(ha.at("lake").size(), 64u);
}

TEST(ContentHashTest, ChangedContentChangesTheHash) {
  TempRepo a, b;
  a.Write("resources/x.yaml", std::string(testing::kResourceGroup) + "---\n" + kLake);
  std::string changed = kLake;
  changed.replace(changed.find("raw"), 3, "raw2");
  b.Write("resources/x.yaml", std::string(testing::kResourceGroup) + "---\n" + changed);
  const auto ha = Hashes(a.dir());
  const auto hb = Hashes(b.dir());
  EXPECT_NE(ha.at("lake"), hb.at("lake"));
  EXPECT_EQ(ha.at("rg"), hb.at("rg"));
  // Different parameters give different resources, hence hashes, per environment.
  EXPECT_NE(Hashes(a.dir(), 0).at("rg"), Hashes(a.dir(), 1).at("rg"));
}

TEST(ContentHashTest, SourceLocationIsNotPartOfTheHash) {
  envctl::v1::Resource r;
  r.set_name("x");
  r.mutable_resource_group()->set_group_name("g");
  envctl::v1::ResourceContent content;
  const std::string before = ContentHash(r, content);
  r.mutable_source()->set_line(42);
  EXPECT_EQ(ContentHash(r, content), before);
  auto* f = content.add_files();
  f->set_path("a.py");
  f->set_sha256("00");
  EXPECT_NE(ContentHash(r, content), before);
}

class ExampleCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(ENVCTL_SOURCE_DIR "/examples/bikeshare", repo_.dir(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
  void Append(const std::string& rel, const std::string& text) {
    std::ofstream(std::filesystem::path(repo_.dir()) / rel, std::ios::app) << text;
  }
  TempRepo repo_;
};

TEST_F(ExampleCopyTest, NotebookEditChangesOnlyTheNotebooksHash) {
  const auto before = Hashes(repo_.dir(), 1);
  Append("notebooks/train.py", "\n# COMMAND ----------\n\nprint('more')\n");
  const auto after = Hashes(repo_.dir(), 1);
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [name, hash] : before) {
    if (name == "notebooks") {
      EXPECT_NE(after.at(name), hash);
    } else {
      EXPECT_EQ(after.at(name), hash) << name;
    }
  }
}

TEST_F(ExampleCopyTest, DataFactoryJsonFormattingDoesNotChangeTheHash) {
  const auto before = Hashes(repo_.dir(), 1);
  // Same definition, keys reordered and whitespace removed.
  std::ofstream(std::filesystem::path(repo_.dir()) / "datafactory/linkedService/AzureKeyVault.json")
      << R"({"properties":{"typeProperties":{"baseUrl":"${keyvault.vaultUri}"},"type":"AzureKeyVault","annotations":[]},"name":"AzureKeyVault"})";
  EXPECT_EQ(Hashes(repo_.dir(), 1).at("adf-definitions"), before.at("adf-definitions"));
  Append("datafactory/linkedService/AzureKeyVault.json", " ");
  EXPECT_EQ(Hashes(repo_.dir(), 1).at("adf-definitions"), before.at("adf-definitions"));
  std::ofstream(std::filesystem::path(repo_.dir()) / "datafactory/linkedService/AzureKeyVault.json")
      << R"({"name":"AzureKeyVault","properties":{"type":"AzureKeyVault","description":"new","typeProperties":{"baseUrl":"${keyvault.vaultUri}"}}})";
  EXPECT_NE(Hashes(repo_.dir(), 1).at("adf-definitions"), before.at("adf-definitions"));
}

}  // namespace
}  // namespace envctl::spec
