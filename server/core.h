/*
 * The core services of micro v3 that `micro server` runs in process, in
 * upstream's start order. Each one is added to the server's RPC table under
 * its micro name, so `/<name>.<Handler>/<Method>` reaches it through the proxy
 * and `/<name>/<method>` through the API gateway, and each may bind its handlers
 * through its registration function with what the services share (struct mc_core).
 */
#ifndef MC_SERVER_CORE_H
#define MC_SERVER_CORE_H

#include <stddef.h>

struct mc_loop;
struct mc_rpc_server;
struct mc_rpc_service;
struct mc_server_settings;
struct mc_storage;
struct mc_registry;
struct mc_auth;
struct mc_config_service;
struct mc_store_service;
struct mc_broker_service;
struct mc_events_service;
struct mc_runtime;

/* What the core services share. Owned by the server (main.c); services borrow it
 * for the server's lifetime. Fields are filled in start order: a service sees the
 * ones set before its own registration (storage first, then registry, auth ...). */
struct mc_core {
    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    const struct mc_server_settings *settings;
    struct mc_storage *storage;     /* records and blobs (server/storage) */
    struct mc_registry *registry;   /* the in-memory registry (server/registry) */
    struct mc_auth *auth;           /* accounts, tokens, rules (server/auth) */
    struct mc_config_service *config;   /* server/config */
    struct mc_store_service *store;     /* server/store */
    struct mc_broker_service *broker;   /* server/broker */
    struct mc_events_service *events;   /* server/events */
    struct mc_runtime *runtime;         /* server/runtime */
    struct mc_timer *commit_timer;      /* the end of the round's group commit */
};

/* A core service's registration: binds its handlers on svc (already added to
 * core->rpc with the Debug handler) and may set its field of core. Returns 0 or a
 * negative code with a log line saying why. */
typedef int (*mc_core_register_fn)(struct mc_core *core, struct mc_rpc_service *svc);

struct mc_core_service {
    const char *name;
    mc_core_register_fn registration;   /* NULL: only the Debug handler */
};

/* The core services, in start order. */
extern const struct mc_core_service mc_core_services[];
extern const size_t mc_core_service_count;

struct mc_rpc_ctx;

/*
 * The namespace check of the stateful core services (spec §5.2, §7.2, §8):
 * mc_auth_authorize_admin (server/auth/auth.h) when the server runs the auth
 * service; skipped (0) when it does not (core->auth NULL), as in tests of a single
 * service. id is the endpoint's error id ("config.Config.Get").
 */
int mc_core_require_admin(const struct mc_core *core, struct mc_rpc_ctx *ctx, const char *ns,
                          const char *id);

/* Adds every core service to core->rpc and runs its registration. Returns 0 or the
 * first failure. */
int mc_core_register(struct mc_core *core);
/* Releases what the services keep (called once, after the frontends are gone). */
void mc_core_release(struct mc_core *core);

#endif
