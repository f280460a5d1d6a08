/* Subcommands, one file each (builtin-<name>.c), like Linux perf. */
#ifndef PROFILER_BUILTIN_H
#define PROFILER_BUILTIN_H

/* Each returns the process exit status. argv[0] is the subcommand name. */
int cmd_run(int argc, char **argv);
int cmd_iso(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_script(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

/* Exit status for a bad command line (as git and perf use). */
#define EXIT_USAGE 129

#endif
