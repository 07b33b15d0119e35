// TempDir: a fresh directory from mkdtemp under the test temp dir, removed with everything
// in it when the object goes out of scope.
#ifndef ENVCTL_TESTS_WATCHERS_TEMP_DIR_H_
#define ENVCTL_TESTS_WATCHERS_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace envctl::watchers::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::path(::testing::TempDir()) / "envctl_watchers_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    dir_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return dir_; }
  std::string Sub(const std::string& rel) const { return dir_ + "/" + rel; }

  // Writes `content` to <dir>/<rel>, creating parent folders.
  void Write(const std::string& rel, const std::string& content) const {
    const std::filesystem::path p = std::filesystem::path(dir_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  }

 private:
  std::string dir_;
};

}  // namespace envctl::watchers::testing

#endif  // ENVCTL_TESTS_WATCHERS_TEMP_DIR_H_
