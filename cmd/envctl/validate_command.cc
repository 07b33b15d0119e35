// `envctl validate DIR [--env E]`: loads a repo strictly and prints every problem as
// `file:line:column: field: message`, or a per-environment summary when it is valid.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "spec/kinds.h"
#include "spec/loader.h"
#include "spec/warnings.h"

namespace envctl::cli {

namespace {

constexpr char kValidateUsage[] = R"(Usage: envctl validate DIR [--env E]

Loads the GitOps repo at DIR (envctl.yaml, environments/, resource files, notebooks,
Data Factory definitions) exactly as apply would, and reports every problem found in
every file and environment as `file:line:column: field: message`.

Exit status: 0 valid, 1 errors or bad usage.

Flags:
  --env E   validate only environment E
  --help    show this help
)";

std::string Summary(const envctl::v1::Environment& env) {
  std::map<spec::Kind, int> counts;
  int enabled = 0;
  int disabled = 0;
  for (const auto& r : env.resources()) {
    if (!spec::IsEnabled(r)) {
      ++disabled;
      continue;
    }
    ++enabled;
    ++counts[r.kind_case()];
  }
  std::string out = absl::StrCat("environment ", env.name(), " (project ", env.project(),
                                 "): ", enabled, enabled == 1 ? " resource" : " resources");
  if (disabled > 0) absl::StrAppend(&out, " (", disabled, " disabled)");
  std::vector<std::string> parts;
  for (spec::Kind k : spec::AllKinds()) {
    if (counts.count(k)) parts.push_back(absl::StrCat(spec::KindName(k), " ", counts[k]));
  }
  if (!parts.empty()) absl::StrAppend(&out, "\n  ", absl::StrJoin(parts, ", "));
  return out;
}

}  // namespace

int RunValidate(int argc, char** argv) {
  absl::StatusOr<Args> args = ParseArgs(argc, argv, 1, {"env"}, {"help"});
  if (!args.ok()) {
    std::fprintf(stderr, "envctl validate: %s\n\n%s", std::string(args.status().message()).c_str(),
                 kValidateUsage);
    return 1;
  }
  if (args->GetBool("help")) {
    std::fputs(kValidateUsage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "envctl validate: %s\n\n%s",
                 args->positional.empty() ? "missing DIR (the repo to validate)"
                                          : "expected exactly one DIR",
                 kValidateUsage);
    return 1;
  }
  const std::string dir = args->positional[0];
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "envctl validate: %s is not a directory\n", dir.c_str());
    return 1;
  }
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "envctl.yaml", ec)) {
    std::fprintf(stderr,
                 "envctl validate: %s has no envctl.yaml; an envctl repo declares its project "
                 "and environments there (see docs/spec-format.md)\n",
                 dir.c_str());
    return 1;
  }

  spec::LoadResult result = spec::LoadRepo(dir, args->Get("env"));
  const auto& errors = result.errors;
  if (!errors.empty()) {
    for (const spec::Diagnostic& d : errors) std::printf("%s\n", d.ToString().c_str());
    std::printf("%zu error(s)\n", errors.size());
    return 1;
  }
  // Warnings do not fail validation; they name the file and line like errors do.
  std::vector<spec::Diagnostic> warnings;
  for (const auto& env : result.environments) {
    for (spec::Diagnostic& w : spec::Warnings(env)) warnings.push_back(std::move(w));
  }
  for (const spec::Diagnostic& w : warnings) std::printf("warning: %s\n", w.ToString().c_str());
  for (const auto& env : result.environments) std::printf("%s\n", Summary(env).c_str());
  return 0;
}

}  // namespace envctl::cli
