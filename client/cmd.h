/*
 * The command table: every builtin of `micro` is one `struct mc_cmd` (name,
 * summary, flags, subcommands, run function), and this one table drives
 * one-shot use, `--help` output (upstream's urfave/cli layout), scripted use,
 * and later the prompt and shell completion (STYLE.md: one table, many
 * front ends). Nothing here does I/O except the help printer.
 *
 * Parsing rules (upstream's, with one friendlier exception):
 *  - `--name=value`, `--name value`, `-n value` set a flag; a bool flag takes
 *    no separate value (`--secret`, or `--secret=false`).
 *  - Flags may come before or after positional arguments (urfave stops at the
 *    first argument; we do not, so `micro store read k -t users` works). A
 *    token `--` ends flag parsing. A token starting with '-' that is not a
 *    known flag of the command is an error: "flag provided but not defined: -x"
 *    (urfave's text), unless it looks like a negative number, which is an
 *    argument.
 *  - `--help`/`-h` anywhere prints the command's help on stdout and exits 0.
 */
#ifndef MC_CLIENT_CMD_H
#define MC_CLIENT_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct mc_cli;

enum mc_flag_type {
    MC_FLAG_BOOL,    /* present → "true"; --x=false allowed */
    MC_FLAG_STRING,  /* one value; the last one given wins */
    MC_FLAG_INT,     /* one value, checked to be a base-10 integer at parse time */
    MC_FLAG_STRINGS, /* repeatable (--metadata a=1 --metadata b=2); all kept in order */
};

/* One flag of a command. Tables of flags end with an entry whose name is NULL. */
struct mc_flag {
    const char *name;  /* long name without dashes: "secret" */
    const char *alias; /* short name without dash ("s"), or NULL */
    enum mc_flag_type type;
    const char *def;   /* default value (help shows it; mc_args_str returns it), or NULL */
    const char *usage; /* help text */
    const char *env;   /* environment variable read when the flag is absent, or NULL */
};

struct mc_args;

/*
 * A command's action. Returns the process exit code (0 success; spec §3.8
 * codes for errors, see output.h). Output goes to cli->out / cli->err.
 */
typedef int mc_cmd_fn(struct mc_cli *cli, const struct mc_args *args);

struct mc_cmd {
    const char *name;       /* "read" */
    const char *aliases;    /* comma-separated other names ("h"), or NULL */
    const char *summary;    /* one line for the parent's COMMANDS list and NAME: */
    const char *args_usage; /* "KEY [VALUE]" for USAGE:, or NULL for "[arguments...]" */
    const char *description; /* optional paragraph under DESCRIPTION: */
    const struct mc_flag *flags;       /* NULL or ends with {0} */
    const struct mc_cmd *const *subs;  /* NULL or NULL-terminated list of subcommands */
    mc_cmd_fn *run; /* NULL for a group: running it bare prints its help */
    bool hidden;    /* left out of help and completion (e.g. __complete) */
    int min_args;   /* fewer positional arguments → usage error (exit 1) */
    int max_args;   /* more → usage error; -1 = unbounded */
    bool raw_args;  /* no parsing at all: every word after the command is a positional
                     * argument, --help included (`server` parses its own flags) */
};

/* One parsed flag value (internal to the parser, visible for tests). */
struct mc_flag_value {
    bool set;           /* given on the command line or by its env variable */
    int count;          /* number of values (STRINGS); 0 or 1 otherwise */
    const char **values; /* borrowed from argv/environ; heap array */
};

/* A parsed invocation of one command. Strings borrow from the argv parsed. */
struct mc_args {
    const struct mc_cmd *cmd;
    char path[256];        /* "micro store read": for help and error texts */
    int argc;              /* positional arguments after the command words */
    const char **argv;     /* heap array of argc borrowed strings */
    struct mc_flag_value *flags; /* parallel to cmd->flags, heap */
};

/* Positional argument i, or NULL when i >= argc. */
const char *mc_args_arg(const struct mc_args *a, int i);
/* The flag's value: last given, else its env variable, else its default, else NULL.
 * Asking for a name the command does not declare is a programming error (abort). */
const char *mc_args_str(const struct mc_args *a, const char *flag);
/* Bool flag: true when given without value or with a true value ("true", "1", "t"). */
bool mc_args_bool(const struct mc_args *a, const char *flag);
/* Int flag: its value (or default) parsed, else dflt. */
long long mc_args_int(const struct mc_args *a, const char *flag, long long dflt);
/* Whether the user gave the flag (or its env variable). */
bool mc_args_isset(const struct mc_args *a, const char *flag);
/* STRINGS flag: number of values given; *values gets the borrowed array. */
int mc_args_strings(const struct mc_args *a, const char *flag, const char *const **values);

/*
 * Finds the command that argv names, walking subcommands from root: for
 * argv = {"store", "read", "k", "-t", "x"} returns the `read` command and
 * *consumed = 2. Aliases match. Returns NULL when argv[0] names no child of
 * root (the caller then tries micro-<cmd> on PATH and dynamic commands).
 */
const struct mc_cmd *mc_cmd_find(const struct mc_cmd *root, int argc, char **argv,
                                 int *consumed);

/*
 * Parses argv (the words after the command path) for cmd into a. Returns 0,
 * 1 when help was asked for (a is valid, the caller prints help), or -1 on a
 * usage error with a one-line message in err (no trailing newline).
 * Release a with mc_args_release in every case.
 */
int mc_args_parse(struct mc_args *a, const struct mc_cmd *cmd, const char *path, int argc,
                  char **argv, char *err, size_t errlen);
void mc_args_release(struct mc_args *a);

/* Help for cmd in urfave/cli's layout (NAME/USAGE/COMMANDS/OPTIONS, three-space
 * indent, aligned columns, trailing "   \n" line), as spec/micro-v3-transcript.md
 * shows for `micro services --help` and `micro store --help`. */
void mc_cmd_print_help(FILE *out, const struct mc_cmd *cmd, const char *path);

/* The root of the table (`micro` itself, whose subs are every builtin). */
const struct mc_cmd *mc_commands_root(void);

#endif
