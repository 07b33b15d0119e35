#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunController(int, char**) {
  std::fprintf(stderr, "envctl controller: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
