/*
 * `micro web`: the web dashboard alone, against any server. It runs the same
 * listener `micro server` runs on :8082 (server/web), with the gateway given by
 * --api_address (the address the browser calls) and streams relayed to the
 * current environment's proxy (or --proxy_address), until SIGINT or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "web/web.h"

#include "mc_banned.h"

static const struct mc_flag web_flags[] = {
    {"address", NULL, MC_FLAG_STRING, "127.0.0.1:8082", "Set the web dashboard address to listen on",
     "MICRO_WEB_ADDRESS"},
    {"api_address", NULL, MC_FLAG_STRING, "127.0.0.1:8080",
     "Set the API gateway the browser calls (host:port or http://host:port)",
     "MICRO_API_ADDRESS"},
    {0},
};

static void on_stop_signal(struct mc_loop *loop, int signo, void *arg)
{
    mc_log_info("Received signal %s, stopping", signo == SIGINT ? "interrupt" : "terminated");
    mc_loop_stop(loop);
}

static int run_web(struct mc_cli *cli, const struct mc_args *args)
{
    struct mc_web_options o = { .api_address = mc_args_str(args, "api_address"),
                                .proxy_address = cli->address };
    struct mc_loop *loop;
    struct mc_web *web;
    char err[512];
    int rc = 0;

    if (cli->tls)
        return mc_cli_fail_local(cli, "micro web reaches the proxy over plain HTTP/2 only, "
                                      "and %s is a TLS address", cli->address);
    signal(SIGPIPE, SIG_IGN);
    loop = mc_loop_new();
    if (!loop)
        return mc_cli_fail_local(cli, "cannot create the event loop");
    web = mc_web_new(loop, &o);
    if (mc_web_listen(web, mc_args_str(args, "address"), err, sizeof(err)) < 0) {
        rc = mc_cli_fail_local(cli, "%s", err);
    } else {
        mc_log_info("web dashboard listening on %s", mc_web_addr(web));
        mc_loop_signal(loop, SIGTERM, on_stop_signal, NULL);
        mc_loop_signal(loop, SIGINT, on_stop_signal, NULL);
        if (mc_loop_run(loop) < 0)
            rc = mc_cli_fail_local(cli, "event loop failed");
    }
    mc_web_free(web);
    for (int i = 0; i < 3; i++)   /* deferred releases of connections and calls */
        mc_loop_run_once(loop, 0);
    mc_loop_free(loop);
    return rc;
}

const struct mc_cmd mc_cmd_web = {
    .name = "web",
    .summary = "Run the web dashboard",
    .description = "Serves the dashboard of `micro server` on its own: the browser calls the "
                   "API gateway at --api_address, and streams go through this process to the "
                   "current environment's proxy.",
    .flags = web_flags,
    .run = run_web,
    .max_args = 0,
};
