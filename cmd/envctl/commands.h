// envctl subcommands. Each lives in its own *_command.cc and returns the process exit
// code; main.cc only dispatches.
#ifndef ENVCTL_CMD_ENVCTL_COMMANDS_H_
#define ENVCTL_CMD_ENVCTL_COMMANDS_H_

namespace envctl::cli {

// argv[0] is the subcommand name; argc counts it.
int RunValidate(int argc, char** argv);
int RunPlan(int argc, char** argv);
int RunApply(int argc, char** argv);
int RunUp(int argc, char** argv);
int RunCloudsim(int argc, char** argv);
int RunStatus(int argc, char** argv);
int RunController(int argc, char** argv);
int RunDestroy(int argc, char** argv);
int RunSync(int argc, char** argv);
int RunPromote(int argc, char** argv);
int RunRollback(int argc, char** argv);
int RunUnpin(int argc, char** argv);
int RunHistory(int argc, char** argv);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_COMMANDS_H_
