#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunApply(int, char**) {
  std::fprintf(stderr, "envctl apply: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
