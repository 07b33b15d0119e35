// TempRepo: a throwaway GitOps repo on disk for loader tests. Starts from a minimal
// envctl.yaml (project demo, environments dev and test) with one parameter file per
// environment; tests add files and read back the loader's diagnostics as strings.
#ifndef ENVCTL_TESTS_SPEC_TEST_REPO_H_
#define ENVCTL_TESTS_SPEC_TEST_REPO_H_

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "spec/loader.h"

namespace envctl::spec::testing {

class TempRepo {
 public:
  TempRepo() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("envctl_spec_" + std::string(info ? info->name() : "repo") + "_" +
            std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Write("envctl.yaml",
          "project: demo\n"
          "environments: [dev, test]\n"
          "parameters:\n"
          "  location: westeurope\n"
          "azure:\n"
          "  location: ${location}\n");
    Write("environments/dev.yaml", "parameters:\n  suffix: dev\n");
    Write("environments/test.yaml", "parameters:\n  suffix: test\n");
  }
  ~TempRepo() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Write(const std::string& rel, const std::string& content) const {
    const auto path = dir_ / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
  void Remove(const std::string& rel) const { std::filesystem::remove_all(dir_ / rel); }

  std::string dir() const { return dir_.string(); }

  // Every diagnostic of LoadRepo as "file:line:col: field: message".
  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : LoadRepo(dir()).errors) out.push_back(d.ToString());
    return out;
  }

 private:
  std::filesystem::path dir_;
};

// A resource group named rg, usable as the target of resourceGroup references.
inline constexpr char kResourceGroup[] =
    "name: rg\n"
    "resourceGroup:\n"
    "  groupName: demo-${suffix}-rg\n";

}  // namespace envctl::spec::testing

#endif  // ENVCTL_TESTS_SPEC_TEST_REPO_H_
