// envctl plan DIR [--env E] [--json]: what apply would change, reading live state only.
// Exit 0 no changes, 2 changes, 1 error.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/environment_runner.h"
#include "cmd/envctl/plan_render.h"

namespace envctl::cli {

namespace {
constexpr char kPlanUsage[] =
    R"(Usage: envctl plan DIR [--env E] [--json] [--cloud FILE] [--state-dir D]

Reads live state and prints what `envctl apply` would change, without writing anything:
  + create   ~ update (field: old -> new)   - delete (prune)   ! drift reported   > test run
Sensitive values are shown as (sensitive).

Flags:
  --env E         only this environment (default: all in envctl.yaml)
  --json          machine-readable plan on stdout
  --cloud FILE    endpoints.json of the target cloud (or ENVCTL_CLOUD); default public Azure
  --state-dir D   where envctl keeps its inventory (default ~/.local/state/envctl/<project>/<subscription>)

Exit status: 0 no changes, 2 changes pending, 1 error.
)";
}  // namespace

int RunPlan(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1, {"env", "cloud", "state-dir"}, {"json", "help"});
  if (!args.ok()) {
    std::fprintf(stderr, "envctl plan: %s\n\n%s", std::string(args.status().message()).c_str(),
                 kPlanUsage);
    return 1;
  }
  if (args->GetBool("help")) {
    std::fputs(kPlanUsage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "envctl plan: expected one repo DIR\n\n%s", kPlanUsage);
    return 1;
  }
  auto envs = LoadEnvironments(args->positional[0], args->Get("env"));
  if (!envs.ok()) {
    std::fprintf(stderr, "envctl plan: %s\n", std::string(envs.status().message()).c_str());
    return 1;
  }
  RunnerOptions options{args->Get("cloud"), args->Get("state-dir")};
  options.lock_state_dir = false;  // read-only: works next to a running apply
  auto runner = EnvironmentRunner::Create(options, envs->empty() ? "" : envs->front().project());
  if (!runner.ok()) {
    std::fprintf(stderr, "envctl plan: %s\n", std::string(runner.status().message()).c_str());
    return 1;
  }
  const bool json = args->GetBool("json");
  nlohmann::json all = nlohmann::json::array();
  bool error = false, changes = false;
  for (const auto& env : *envs) {
    auto result = (*runner)->engine().Plan(env);
    if (!result.ok()) {
      std::fprintf(stderr, "envctl plan: environment %s: %s\n", env.name().c_str(),
                   std::string(result.status().message()).c_str());
      error = true;
      continue;
    }
    if (!result->ok()) error = true;
    if (!result->InSync()) changes = true;
    if (json) {
      all.push_back(RenderPlanJson(*result));
    } else {
      std::cout << RenderPlanText(*result) << std::flush;
    }
  }
  if (json) std::cout << all.dump(2) << std::endl;
  return error ? 1 : (changes ? 2 : 0);
}

}  // namespace envctl::cli
