/*
 * The `micro` binary: reads the global flags that come before the command
 * (commands.c declares them; their MICRO_* variables apply), then runs one
 * command, a -c command string, or, with no command, a script from stdin
 * when stdin is not a terminal. Everything else lives in the client library.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "dispatch.h"
#include "mc_common.h"
#include "output.h"
#include "prompt.h"
#include "script.h"

/* What the global flags asked for. */
struct global {
    struct mc_cli_options opts;
    const char *command_string; /* -c */
    bool keep_going;
};

static bool is_flag(const char *tok, const char *name, const char *alias)
{
    const char *p = tok + (tok[1] == '-' ? 2 : 1);
    return strcmp(p, name) == 0 || (alias && strcmp(p, alias) == 0);
}

/* The words before the command: flags and the values of the flags that take one. */
static int leading_flags(const struct mc_cmd *root, int argc, char **argv)
{
    int i = 0;
    while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--") != 0) {
        const char *name = argv[i] + (argv[i][1] == '-' ? 2 : 1);
        bool value = false;
        for (const struct mc_flag *f = root->flags; f && f->name; f++) {
            size_t len = strcspn(name, "=");
            bool named = (strlen(f->name) == len && strncmp(f->name, name, len) == 0) ||
                         (f->alias && strlen(f->alias) == len && strncmp(f->alias, name, len) == 0);
            if (named)
                value = f->type != MC_FLAG_BOOL && name[len] != '=';
        }
        i += value ? 2 : 1;
    }
    return MC_MIN(i, argc);
}

static int version(void)
{
    printf("micro version %s\n", MICRO_VERSION);
    return mc_out_finish(stdout, stderr);
}

static int help(const struct mc_cmd *root)
{
    mc_cmd_print_help(stdout, root, root->name);
    return mc_out_finish(stdout, stderr);
}

/*
 * `micro` with no command on a terminal opens the prompt (issue 6). With
 * stdout redirected there is no one to talk to: upstream's message.
 */
static int run_no_command(struct mc_dispatch *d)
{
    if (!isatty(STDOUT_FILENO)) {
        fputs("No command provided to micro. Please refer to 'micro --help'\n", stderr);
        return 1;
    }
    return mc_prompt_run(d);
}

static int run_dispatch(void *ud, int argc, char **argv)
{
    return mc_dispatch_run(ud, argc, argv);
}

/* Parses the global flags; returns -1 to go on, else an exit code. */
static int parse_global(const struct mc_cmd *root, int nflags, char **argv, struct global *g)
{
    for (int i = 0; i < nflags; i++) {
        if (is_flag(argv[i], "version", "v"))
            return version();
    }
    struct mc_args a;
    char err[512];
    int rc = mc_args_parse(&a, root, root->name, nflags, argv, err, sizeof(err));
    if (rc == 1) {
        mc_args_release(&a);
        return help(root);
    }
    if (rc < 0) {
        fprintf(stderr, "Incorrect Usage: %s\n\n", err);
        mc_cmd_print_help(stderr, root, root->name);
        mc_args_release(&a);
        return 1;
    }
    g->opts.config_file = mc_args_str(&a, "config_file");
    g->opts.env = mc_args_str(&a, "env");
    g->opts.namespace_ = mc_args_str(&a, "namespace");
    g->opts.proxy_address = mc_args_str(&a, "proxy_address");
    g->command_string = mc_args_str(&a, "c");
    g->keep_going = mc_args_bool(&a, "keep-going");
    mc_args_release(&a);
    return -1;
}

int main(int argc, char **argv)
{
    const struct mc_cmd *root = mc_commands_root();
    int nflags = leading_flags(root, argc - 1, argv + 1);
    struct global g = {0};
    int rc = parse_global(root, nflags, argv + 1, &g);
    if (rc >= 0)
        return rc;
    int first = 1 + nflags;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;

    struct mc_dispatch d;
    mc_dispatch_init(&d, &g.opts);
    if (g.command_string && first < argc) {
        fprintf(stderr, "Incorrect Usage: -c takes the commands to run; no command may follow it\n");
        rc = 1;
    } else if (g.command_string) {
        rc = mc_script_run_string(g.command_string, g.keep_going, run_dispatch, &d);
    } else if (first < argc) {
        rc = mc_dispatch_run(&d, argc - first, argv + first);
    } else if (!isatty(STDIN_FILENO)) {
        d.stdin_is_script = true; /* a micro-<cmd> child must not eat the script */
        rc = mc_script_run_file(stdin, "stdin", g.keep_going, run_dispatch, &d);
    } else {
        rc = run_no_command(&d);
    }
    /* the dispatcher checked stdout after every command */
    mc_dispatch_release(&d);
    return rc;
}
