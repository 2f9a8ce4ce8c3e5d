/*
 * `micro server`: one process, one event loop, every core service. This file
 * only wires the parts together: settings, the RPC table of core services, and
 * the three frontends (gRPC proxy, HTTP API gateway, web dashboard).
 */
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "mc_rpc_grpc.h"
#include "proxy/proxy.h"
#include "registry/registry.h"
#include "settings.h"
#include "storage/storage.h"
#include "web/web.h"
#include "mc_banned.h"

struct server {
    struct mc_server_settings settings;
    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    struct mc_core core;
    struct mc_rpc_grpc *proxy;
    struct mc_proxy *forwarder;     /* calls for services in other processes */
    struct mc_api *api;
    struct mc_web *web;
};

static void on_stop_signal(struct mc_loop *loop, int signo, void *arg)
{
    mc_log_info("Received signal %s, stopping", signo == SIGINT ? "interrupt" : "terminated");
    mc_loop_stop(loop);
}

static int start_frontends(struct server *s)
{
    char err[512];

    s->proxy = mc_rpc_grpc_new(s->loop, s->rpc, NULL);
    s->forwarder = mc_proxy_new(&s->core);
    mc_rpc_grpc_set_fallback(s->proxy, mc_proxy_forward, s->forwarder);
    if (mc_rpc_grpc_listen(s->proxy, s->settings.proxy_address, err, sizeof(err)) < 0)
        goto fail;
    mc_log_info("gRPC proxy listening on %s", mc_rpc_grpc_addr(s->proxy));
    s->api = mc_api_new(s->loop, s->rpc, s->forwarder);
    if (mc_api_listen(s->api, s->settings.api_address, err, sizeof(err)) < 0)
        goto fail;
    mc_log_info("API gateway listening on %s", mc_api_addr(s->api));
    s->web = mc_web_new(s->loop, &(struct mc_web_options){
                                     .api_address = mc_api_addr(s->api),
                                     .proxy_address = mc_rpc_grpc_addr(s->proxy) });
    if (mc_web_listen(s->web, s->settings.web_address, err, sizeof(err)) < 0)
        goto fail;
    mc_log_info("web dashboard listening on %s", mc_web_addr(s->web));
    return MC_OK;
fail:
    fprintf(stderr, "micro server: %s\n", err);
    return MC_EADDR;
}

static void stop(struct server *s)
{
    mc_web_free(s->web);
    mc_api_free(s->api);
    mc_rpc_grpc_free(s->proxy);
    mc_proxy_free(s->forwarder);
    /* connections and calls are released by deferred callbacks */
    for (int i = 0; i < 3; i++)
        mc_loop_run_once(s->loop, 0);
    mc_core_release(&s->core);
    mc_rpc_server_free(s->rpc);
    mc_storage_close(s->core.storage);
    mc_loop_free(s->loop);
}

int mc_server_main(int argc, char **argv)
{
    struct server s;
    char err[512];
    int rc = 0;

    memset(&s, 0, sizeof(s));
    if (mc_server_settings_parse(&s.settings, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "micro server: %s\n", err);
        return 2;
    }
    if (s.settings.show_help) {
        mc_server_settings_usage(stdout);
        return 0;
    }
    if (mc_server_settings_make_home(&s.settings, err, sizeof(err)) < 0) {
        fprintf(stderr, "micro server: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    s.loop = mc_loop_new();
    if (!s.loop) {
        fprintf(stderr, "micro server: cannot create the event loop\n");
        return 1;
    }
    mc_log_info("Starting server %s, state in %s", MICRO_VERSION, s.settings.home);
    if (mc_storage_open(s.settings.profile, s.settings.home, &s.core.storage, err,
                        sizeof(err)) < 0) {
        fprintf(stderr, "micro server: %s\n", err);
        mc_loop_free(s.loop);
        return 1;
    }
    s.rpc = mc_rpc_server_new();
    s.core.loop = s.loop;
    s.core.rpc = s.rpc;
    s.core.settings = &s.settings;
    if (mc_core_register(&s.core) < 0 || start_frontends(&s) < 0 ||
        mc_registry_register_core(s.core.registry, s.rpc, mc_rpc_grpc_addr(s.proxy)) < 0) {
        stop(&s);
        return 1;
    }
    mc_loop_signal(s.loop, SIGTERM, on_stop_signal, &s);
    mc_loop_signal(s.loop, SIGINT, on_stop_signal, &s);
    if (mc_loop_run(s.loop) < 0) {
        mc_log_error("event loop failed");
        rc = 1;
    }
    stop(&s);
    mc_log_info("Stopped server");
    return rc;
}
