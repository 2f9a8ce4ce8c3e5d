/*
 * Running one command line: what `micro <words...>` does once the global flags
 * are gone, shared by one-shot use (main.c), scripted use (script.c) and, with
 * issue 6, the prompt. It resolves the words in the command table (a builtin),
 * else an executable `micro-<cmd>` on PATH, else a dynamic service command,
 * and keeps one session (struct mc_cli: user files, token, one transport)
 * across every command it runs, opening it on the first command that needs it.
 */
#ifndef MC_CLIENT_DISPATCH_H
#define MC_CLIENT_DISPATCH_H

#include <stdbool.h>

#include "cli.h"

struct mc_dispatch {
    struct mc_cli cli;           /* valid once cli_open is true */
    bool cli_open;
    struct mc_cli_options opts;  /* borrowed strings (argv / environ) */
    bool stdin_is_script;        /* micro-<cmd> children get /dev/null, not our script */
};

/* Prepares d; nothing is opened. opts' strings must outlive d. */
void mc_dispatch_init(struct mc_dispatch *d, const struct mc_cli_options *opts);

/*
 * Runs the command argv[0..argc) and returns its exit code: 0, the command's
 * code, 1 for a usage error, an unknown command ("Unrecognized micro command:
 * X. Please refer to 'micro --help'") or a session that cannot be opened, 3
 * for help on an unknown subcommand (urfave's "No help topic for 'x'").
 * stdout is flushed and checked after every command (a write error is 1).
 * argv is not modified; argc == 0 returns 0.
 */
int mc_dispatch_run(struct mc_dispatch *d, int argc, char **argv);

/* Closes the session if one was opened. */
void mc_dispatch_release(struct mc_dispatch *d);

/*
 * Looks for an executable "micro-<name>" in $PATH. Returns 0 and writes its
 * path to buf, or MC_ENOTFOUND (also for names with a '/' or longer than
 * the buffer allows).
 */
int mc_dispatch_find_plugin(const char *name, char *buf, size_t buflen);

#endif
