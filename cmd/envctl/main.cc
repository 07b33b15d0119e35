// envctl: keeps Azure data environments equal to what a Git repository declares.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "cmd/envctl/commands.h"
#include "pplx/threadpool.h"

namespace {

constexpr char kUsage[] = R"(envctl - GitOps controller for Azure data environments

Usage:
  envctl validate DIR                      check a repo: schema, references, names, files
  envctl plan DIR [--env E] [--json]       show what apply would change (exit 0 none, 2 changes, 1 error)
  envctl apply DIR [--env E] [--once]      converge live state to the repo
  envctl destroy DIR --env E --confirm E   tear an environment down (what envctl created, dependents first)
  envctl up [--once]                       quickstart: cloudsim (child process) + examples/bikeshare
  envctl cloudsim --port P --state-dir D   run the local Azure/Databricks emulator
  envctl controller --config FILE          run the controller loop (gRPC, metrics, watchers)
  envctl status [--server ADDR]            environment status from a running controller (or --state-dir D)
  envctl sync --env E [--override-windows] sync E now in a running controller (--wait to block)
  envctl promote --env E [--revision R]    approve a revision for E (promotion with requireApproval)
  envctl rollback --env E --to R           pin E to an earlier revision R (until unpin)
  envctl unpin --env E                     release E's pin
  envctl history --env E [--json]          the last 20 revisions E ran, with tests and approvals

Common flags:
  --cloud FILE   endpoints.json of the target cloud (or ENVCTL_CLOUD); default public Azure
Run `envctl COMMAND --help` for a command's flags.
)";

struct Command {
  const char* name;
  int (*run)(int, char**);
};

constexpr Command kCommands[] = {
    {"validate", envctl::cli::RunValidate},
    {"plan", envctl::cli::RunPlan},
    {"apply", envctl::cli::RunApply},
    {"up", envctl::cli::RunUp},
    {"cloudsim", envctl::cli::RunCloudsim},
    {"status", envctl::cli::RunStatus},
    {"controller", envctl::cli::RunController},
    {"destroy", envctl::cli::RunDestroy},
    {"sync", envctl::cli::RunSync},
    {"promote", envctl::cli::RunPromote},
    {"rollback", envctl::cli::RunRollback},
    {"unpin", envctl::cli::RunUnpin},
    {"history", envctl::cli::RunHistory},
};

}  // namespace

int main(int argc, char** argv) {
  // A peer closing a connection mid-write must surface as an I/O error, not kill envctl.
  std::signal(SIGPIPE, SIG_IGN);
  // glibc gives up to 8 malloc arenas per core to a process with many threads (reconcilers
  // of every environment, cpprest's pool); memory freed in one arena is not reused by the
  // others, so the RSS only grows. Requests are network bound: two arenas suffice.
  mallopt(M_ARENA_MAX, 2);
  // cpprestsdk's shared pool runs only the asio completions of envctl's requests (callers
  // block on their own threads), yet starts 40 threads by default, each with its own stack
  // pages and a place in the arenas. Must precede the first request.
  crossplat::threadpool::initialize_with_threads(8);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version")) {
    std::puts("envctl " ENVCTL_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (std::string(argv[1]) == c.name) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "envctl: unknown command \"%s\"\n\n%s", argv[1], kUsage);
  return 1;
}
