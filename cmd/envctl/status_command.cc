#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunStatus(int, char**) {
  std::fprintf(stderr, "envctl status: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
