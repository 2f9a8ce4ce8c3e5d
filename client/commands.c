/*
 * The root of the command table: `micro` itself (its global flags and the
 * list of builtins, sorted by name as upstream's Register sorts them), plus
 * the two builtins that are not about a service: `server`, which hands its
 * words untouched to the server's own flag parser, and `help [command...]`.
 * Every other builtin is defined beside its code (commands.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_common.h"
#include "server.h"

/* `micro server ...`: the words reach mc_server_main as its argv[1..]. */
static int run_server(struct mc_cli *cli, const struct mc_args *args)
{
    (void)cli;
    char **argv = mc_calloc((size_t)args->argc + 2, sizeof(*argv));
    argv[0] = (char *)"server";
    for (int i = 0; i < args->argc; i++)
        argv[i + 1] = (char *)args->argv[i];
    int rc = mc_server_main(args->argc + 1, argv);
    free(argv);
    return rc;
}

const struct mc_cmd mc_cmd_server = {
    .name = "server",
    .summary = "Run the micro server",
    .args_usage = "[server options]",
    .run = run_server,
    .max_args = -1,
    .raw_args = true,
};

/* `micro help [command...]`: urfave's help command, hidden from the list
 * because the help printer always appends its "help, h" line. */
static int run_help(struct mc_cli *cli, const struct mc_args *args)
{
    const struct mc_cmd *root = mc_commands_root();
    if (args->argc == 0) {
        mc_cmd_print_help(cli->out, root, root->name);
        return 0;
    }
    int consumed;
    const struct mc_cmd *cmd = mc_cmd_find(root, args->argc, (char **)args->argv, &consumed);
    if (!cmd || consumed < args->argc) {
        fprintf(cli->err, "No help topic for '%s'\n", args->argv[cmd ? consumed : 0]);
        return 3;
    }
    char path[256];
    size_t o = (size_t)snprintf(path, sizeof(path), "%s", root->name);
    for (int k = 1; k <= consumed && o < sizeof(path); k++) {
        int n;
        o += (size_t)snprintf(path + o, sizeof(path) - o, " %s",
                              mc_cmd_find(root, k, (char **)args->argv, &n)->name);
    }
    mc_cmd_print_help(cli->out, cmd, path);
    return 0;
}

static const struct mc_cmd cmd_help = {
    .name = "help",
    .aliases = "h",
    .summary = "Shows a list of commands or help for one command",
    .args_usage = "[command]",
    .run = run_help,
    .hidden = true,
    .max_args = -1,
};

/*
 * Global flags (spec §3.1, the ones that mean something to a client). Upstream's
 * -c named the config file; here it carries a command string (issue 4 §5) and
 * the config file is --config_file. main.c reads these with mc_args_*.
 */
static const struct mc_flag global_flags[] = {
    {"c", NULL, MC_FLAG_STRING, NULL,
     "Run the commands in the string, separated by ';' (upstream's -c: see --config_file)",
     NULL},
    {"config_file", NULL, MC_FLAG_STRING, NULL,
     "Set the config file: Defaults to ~/.micro/config.json", "MICRO_CONFIG_FILE"},
    {"env", "e", MC_FLAG_STRING, NULL, "Set the environment to operate in", "MICRO_ENV"},
    {"namespace", NULL, MC_FLAG_STRING, NULL,
     "Set the namespace to operate in instead of the environment's current one",
     "MICRO_NAMESPACE"},
    {"proxy_address", NULL, MC_FLAG_STRING, NULL,
     "Proxy requests via the HTTP address specified", "MICRO_PROXY"},
    {"keep-going", NULL, MC_FLAG_BOOL, NULL,
     "Scripted use: go on after a failed command; exit with the last failure's code",
     NULL},
    {0},
};

static const struct mc_cmd *const builtins[] = {
    &mc_cmd_auth, &mc_cmd_call, &mc_cmd_cli, &mc_cmd_completion, &mc_cmd_config,
    &mc_cmd_dashboard, &mc_cmd_debug, &mc_cmd_env, &mc_cmd_get, &cmd_help,
    &mc_cmd_kill, &mc_cmd_login, &mc_cmd_logout, &mc_cmd_logs, &mc_cmd_network,
    &mc_cmd_new, &mc_cmd_run, &mc_cmd_server, &mc_cmd_services, &mc_cmd_status,
    &mc_cmd_store, &mc_cmd_stream, &mc_cmd_update, &mc_cmd_user, &mc_cmd_web,
    /* hidden: what the shell completion scripts call */
    &mc_cmd_complete, &mc_cmd_complete_nodesc,
    NULL,
};

static const struct mc_cmd root = {
    .name = "micro",
    .summary = "A framework for cloud native development\n\n"
               "\t Use `micro [command] --help` to see command specific help.",
    .flags = global_flags,
    .subs = builtins,
    .max_args = -1,
};

const struct mc_cmd *mc_commands_root(void)
{
    return &root;
}
