#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunUp(int, char**) {
  std::fprintf(stderr, "envctl up: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
