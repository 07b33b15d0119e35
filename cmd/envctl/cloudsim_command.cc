// `envctl cloudsim ...`: runs the `cloudsim` binary beside envctl with the same arguments
// (exec, so signals and exit status are cloudsim's own). envctl links no emulator code.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cmd/envctl/cloudsim_process.h"
#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunCloudsim(int argc, char** argv) {
  absl::StatusOr<std::string> binary = CloudsimBinary();
  if (!binary.ok()) {
    std::fprintf(stderr, "envctl cloudsim: %s\n", std::string(binary.status().message()).c_str());
    return 1;
  }
  std::vector<char*> args = {binary->data()};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(binary->c_str(), args.data());
  std::fprintf(stderr, "envctl cloudsim: cannot run %s: %s\n", binary->c_str(),
               std::strerror(errno));
  return 1;
}

}  // namespace envctl::cli
