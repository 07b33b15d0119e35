// libFuzzer target: arbitrary bytes as a Data Factory definition file
// (datafactory/pipeline/P.json) of an otherwise valid repo. The loader must never crash,
// hang or throw, whatever the JSON holds (depth, UTF-8, numbers, parameters).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "spec/loader.h"

namespace {

const std::string& RepoDir() {
  static const std::string* dir = [] {
    namespace fs = std::filesystem;
    auto* d = new std::string(
        (fs::temp_directory_path() / ("envctl_adf_fuzz_" + std::to_string(::getpid()))).string());
    fs::create_directories(*d + "/environments");
    fs::create_directories(*d + "/resources");
    fs::create_directories(*d + "/datafactory/pipeline");
    std::ofstream(*d + "/envctl.yaml")
        << "project: fuzz\nenvironments: [dev]\nparameters: {p: v}\nazure: {location: x}\n";
    std::ofstream(*d + "/environments/dev.yaml") << "parameters: {q: w}\n";
    std::ofstream(*d + "/resources/adf.yaml")
        << "name: rg\nresourceGroup: {groupName: rg-fuzz}\n---\n"
           "name: factory\ndataFactory: {factoryName: adf-fuzz, resourceGroup: rg}\n---\n"
           "name: defs\ndataFactoryDefinitions: {dataFactory: factory, folder: datafactory}\n";
    // libFuzzer ends a run with exit(): merge and replay runs, a process each, leave no repo.
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(RepoDir(), ec);
    });
    return d;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = RepoDir();
  std::ofstream(dir + "/datafactory/pipeline/P.json", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  envctl::spec::LoadResult result = envctl::spec::LoadRepo(dir);
  for (const auto& d : result.errors) (void)d.ToString();
  return 0;
}
