#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunCloudsim(int, char**) {
  std::fprintf(stderr, "envctl cloudsim: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
