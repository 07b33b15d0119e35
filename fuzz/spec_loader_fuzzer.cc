// libFuzzer target: arbitrary bytes as a resource file of an otherwise valid repo. The
// loader must never crash, hang or throw, whatever the YAML/JSON holds.
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
    auto* d = new std::string((std::filesystem::temp_directory_path() /
                               ("envctl_spec_fuzz_" + std::to_string(::getpid())))
                                  .string());
    std::filesystem::create_directories(*d + "/environments");
    std::filesystem::create_directories(*d + "/resources");
    std::ofstream(*d + "/envctl.yaml")
        << "project: fuzz\nenvironments: [dev]\nparameters: {p: v}\nazure: {location: x}\n";
    std::ofstream(*d + "/environments/dev.yaml") << "parameters: {q: w}\n";
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
  const bool json = size > 0 && data[0] == '{';
  const std::string file = dir + (json ? "/resources/f.json" : "/resources/f.yaml");
  std::filesystem::remove(dir + "/resources/f.json");
  std::filesystem::remove(dir + "/resources/f.yaml");
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  envctl::spec::LoadResult result = envctl::spec::LoadRepo(dir);
  for (const auto& d : result.errors) (void)d.ToString();
  return 0;
}
