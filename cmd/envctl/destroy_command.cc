// envctl destroy DIR --env E --confirm E: the teardown the seed pipeline never had.
// Deletes every resource envctl manages for the environment (its recorded inventory), in
// reverse dependency order; resources envctl did not create are never touched.
#include <cstdio>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/environment_runner.h"
#include "cmd/envctl/plan_render.h"

namespace envctl::cli {

namespace {

constexpr char kDestroyUsage[] =
    R"(Usage: envctl destroy DIR --env E (--dry-run | --confirm E) [--cloud FILE] [--state-dir D]

Tears environment E down: deletes every resource envctl created for it (the inventory in
the state dir), dependents first. A secret goes with its vault, notebooks, libraries and
secret scopes with a workspace envctl provisioned, Data Factory definitions with their
factory. Resources envctl did not create are never deleted, and a resource group that
still holds one is left in place with an error naming them.

Flags:
  --env E        the environment to destroy (required; one at a time)
  --dry-run      print what would be deleted and delete nothing
  --confirm E    required to delete: the environment's name again
  --cloud FILE   endpoints.json of the target cloud (or ENVCTL_CLOUD); default public Azure
  --state-dir D  where envctl keeps its inventory (the one apply used)

Exit status: 0 deleted (or nothing to delete), 1 error or not confirmed, 2 --dry-run
found resources to delete.
)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "envctl destroy: %s\n", message.c_str());
  return 1;
}

}  // namespace

int RunDestroy(int argc, char** argv) {
  auto args =
      ParseArgs(argc, argv, 1, {"env", "confirm", "cloud", "state-dir"}, {"dry-run", "help"});
  if (!args.ok()) return Fail(std::string(args.status().message()) + " (see --help)");
  if (args->GetBool("help")) {
    std::fputs(kDestroyUsage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) return Fail("expected one repo DIR (see --help)");
  if (!args->Has("env") || args->Get("env").empty())
    return Fail("--env E is required: destroy one environment at a time");
  const std::string name = args->Get("env");
  const bool dry_run = args->GetBool("dry-run");
  if (!dry_run && args->Has("confirm") && args->Get("confirm") != name) {
    return Fail(absl::StrCat("--confirm ", args->Get("confirm"), " does not match --env ", name));
  }

  auto envs = LoadEnvironments(args->positional[0], name);
  if (!envs.ok()) return Fail(std::string(envs.status().message()));
  auto runner = EnvironmentRunner::Create({args->Get("cloud"), args->Get("state-dir")},
                                          envs->front().project());
  if (!runner.ok()) return Fail(std::string(runner.status().message()));
  const envctl::v1::Environment& env = envs->front();

  controller::EngineOptions options;
  options.destroy = true;
  options.allow_mass_prune = true;  // the --confirm below is the explicit go-ahead
  auto plan = (*runner)->engine().Plan(env, options);
  if (!plan.ok()) return Fail(absl::StrCat("environment ", name, ": ", plan.status().message()));
  const size_t count = plan->prunes.size();
  if (count == 0) {
    std::cout << "Nothing to destroy: envctl manages no resource of " << name << " in "
              << (*runner)->state_dir() << "\n";
    return 0;
  }
  std::cout << RenderPlanText(*plan) << std::flush;
  if (dry_run) return 2;
  if (!args->Has("confirm")) {
    return Fail(absl::StrCat("this deletes ", count, " resource(s) of ", name,
                             "; rerun with --confirm ", name,
                             " to go ahead (or --dry-run to only look)"));
  }

  std::mutex out_mu;
  options.on_progress = [&out_mu](controller::Phase phase, const controller::ResourceOutcome& o) {
    if (phase == controller::Phase::kStarted) return;
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << "  " << RenderProgressLine(phase, o) << std::endl;
  };
  const absl::Time start = absl::Now();
  auto result = (*runner)->engine().Apply(env, options);
  if (!result.ok())
    return Fail(absl::StrCat("environment ", name, ": ", result.status().message()));
  int deleted = 0, failed = 0;
  for (const auto& o : result->prunes) {
    if (o.status.ok() && o.applied) {
      ++deleted;
    } else if (!o.status.ok()) {
      ++failed;
      std::cerr << "  error: " << o.status.message() << "\n";
    }
  }
  std::cout << "Destroy of " << name << " finished in " << absl::FormatDuration(absl::Now() - start)
            << ": " << deleted << " deleted, " << failed << " failed"
            << (failed ? " (they stay in the inventory; fix the cause and rerun)" : "") << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace envctl::cli
