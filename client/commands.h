/*
 * Every builtin command, one `struct mc_cmd` each, defined next to its code
 * (cmd_<name>.c) and assembled into the root table by commands.c. Adding a
 * builtin = defining its mc_cmd in its own file and listing it in commands.c;
 * help, scripting, the prompt and completion then know it.
 */
#ifndef MC_CLIENT_COMMANDS_H
#define MC_CLIENT_COMMANDS_H

#include "cmd.h"

/* environments, login, the user (cmd_env.c, cmd_login.c, cmd_user.c) */
extern const struct mc_cmd mc_cmd_env;
extern const struct mc_cmd mc_cmd_login;
extern const struct mc_cmd mc_cmd_logout;
extern const struct mc_cmd mc_cmd_user;

/* the registry and calls (cmd_services.c, cmd_call.c) */
extern const struct mc_cmd mc_cmd_services;
extern const struct mc_cmd mc_cmd_get;
extern const struct mc_cmd mc_cmd_call;
extern const struct mc_cmd mc_cmd_stream;

/* core services' builtins (cmd_config.c, cmd_store.c, cmd_auth.c, cmd_network.c, cmd_debug.c) */
extern const struct mc_cmd mc_cmd_config;
extern const struct mc_cmd mc_cmd_store;
extern const struct mc_cmd mc_cmd_auth;
extern const struct mc_cmd mc_cmd_network;
extern const struct mc_cmd mc_cmd_new;
extern const struct mc_cmd mc_cmd_debug;

/* services on the runtime (cmd_run.c, cmd_status.c, cmd_logs.c) */
extern const struct mc_cmd mc_cmd_run;
extern const struct mc_cmd mc_cmd_update;
extern const struct mc_cmd mc_cmd_kill;
extern const struct mc_cmd mc_cmd_status;
extern const struct mc_cmd mc_cmd_logs;

/* the terminal dashboard, `micro dashboard` (dashboard.c) */
extern const struct mc_cmd mc_cmd_dashboard;

/* shell completion: `completion bash|zsh` and the hidden `__complete` the
 * scripts call, cobra's protocol (cmd_complete.c) */
extern const struct mc_cmd mc_cmd_completion;
extern const struct mc_cmd mc_cmd_complete;
extern const struct mc_cmd mc_cmd_complete_nodesc;

/* the interactive prompt, `micro cli` (prompt.c) */
extern const struct mc_cmd mc_cmd_cli;

/* `micro server` (commands.c wraps server/server.h's mc_server_main) */
extern const struct mc_cmd mc_cmd_server;

/* `micro web`: the web dashboard alone (cmd_web.c runs server/web) */
extern const struct mc_cmd mc_cmd_web;

/* `micro web`: the web dashboard alone (cmd_web.c runs server/web) */
extern const struct mc_cmd mc_cmd_web;

/*
 * Dynamic commands (dynamic.c, spec §3.3): `micro <service> [handler]
 * [endpoint] --field=value`, resolved from the registry's endpoint schemas.
 * argv[0] is the service alias. Returns the exit code; returns
 * MC_DYNAMIC_NOT_A_SERVICE (without printing) when no service has that name,
 * so the caller prints "Unrecognized micro command".
 */
#define MC_DYNAMIC_NOT_A_SERVICE (-1000)
int mc_dynamic_run(struct mc_cli *cli, int argc, char **argv);

#endif
