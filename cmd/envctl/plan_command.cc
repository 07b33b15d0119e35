#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunPlan(int, char**) {
  std::fprintf(stderr, "envctl plan: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
