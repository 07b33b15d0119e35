#include <cstdio>

#include "cmd/envctl/commands.h"

namespace envctl::cli {

int RunValidate(int, char**) {
  std::fprintf(stderr, "envctl validate: not implemented yet in this build\n");
  return 1;
}

}  // namespace envctl::cli
