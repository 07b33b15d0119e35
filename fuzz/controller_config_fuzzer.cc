// libFuzzer target: arbitrary bytes as the controller's config file (envctl controller
// --config). Loading must never crash, hang, run away or throw: every input is a config
// or a located InvalidArgument.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cmd/envctl/controller_config.h"

namespace {

// One scratch file per fuzzing process, rewritten for every input.
const std::string& ScratchFile() {
  static const std::string* path = [] {
    std::string tmpl = "/tmp/envctl-config-fuzz-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd >= 0) ::close(fd);
    std::atexit([] { ::unlink(ScratchFile().c_str()); });  // libFuzzer ends a run with exit()
    return new std::string(tmpl);
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& file = ScratchFile();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  (void)envctl::cli::LoadControllerConfig(file);
  return 0;
}
