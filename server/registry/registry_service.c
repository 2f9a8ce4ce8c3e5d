/*
 * The registry service's handlers (see registry_service.h). Each unary handler
 * reads the domain from the request's options (default `micro`), checks the
 * caller's account against it and calls the in-memory registry; Watch turns a
 * registry watcher into a server stream of Result messages.
 *
 * Authorization runs only when the server has an auth service (core->auth set):
 * without one there are no accounts to check, every caller is anonymous and the
 * registry is open, as a server started without auth is meant to be.
 */
#include "registry/registry_service.h"

#include <string.h>

#include "mc_error.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "registry.pb-c.h"
#include "registry/registry.h"
#include "auth/auth.h"
#include "mc_banned.h"

#define ID_GET "registry.Registry.GetService"
#define ID_LIST "registry.Registry.ListServices"
#define ID_REGISTER "registry.Registry.Register"
#define ID_DEREGISTER "registry.Registry.Deregister"
#define ID_WATCH "registry.Registry.Watch"

static const char *options_domain(const Registry__Options *o)
{
    return o && o->domain && o->domain[0] ? o->domain : MC_REGISTRY_DEFAULT_DOMAIN;
}

int mc_registry_authorize(const struct mc_account *account, const char *domain, bool write,
                          const char *id, struct mc_error *err)
{
    struct mc_rpc_ctx ctx = { .account = account, .err = err };

    /* the one namespace check of the core services lives in auth (§5.2) */
    return write ? mc_auth_authorize_admin(&ctx, domain, id) : mc_auth_authorize(&ctx, domain, id);
}

static int authorize(const struct mc_core *core, struct mc_rpc_ctx *ctx, const char *domain,
                     bool write, const char *id)
{
    if (!core->auth)
        return MC_OK;
    return mc_registry_authorize(ctx->account, domain, write, id, ctx->err);
}

/* ---- unary handlers ------------------------------------------------------------------ */

static int registry_error(struct mc_rpc_ctx *ctx, const char *id, const char *domain,
                          const Registry__Service *s, int rc)
{
    if (rc == MC_ETOOBIG)
        mc_error_bad_request(ctx->err, id, "registry limit reached for service %s", s->name);
    else if (!s->name || !s->name[0])
        mc_error_bad_request(ctx->err, id, "service name is required");
    else if (strcmp(domain, MC_REGISTRY_WILDCARD_DOMAIN) == 0)
        mc_error_bad_request(ctx->err, id, "cannot register in domain %s", domain);
    else
        mc_error_bad_request(ctx->err, id, "invalid service name, version or node id");
    return rc;
}

static int h_register(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                      void *arg)
{
    struct mc_core *core = arg;
    const Registry__Service *s = (const Registry__Service *)req;
    const char *domain = options_domain(s->options);
    int rc;

    (void)rsp;
    if ((rc = authorize(core, ctx, domain, true, ID_REGISTER)) < 0)
        return rc;
    rc = mc_registry_register(core->registry, domain, s, s->options ? s->options->ttl : 0);
    return rc < 0 ? registry_error(ctx, ID_REGISTER, domain, s, rc) : MC_OK;
}

static int h_deregister(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                        ProtobufCMessage *rsp, void *arg)
{
    struct mc_core *core = arg;
    const Registry__Service *s = (const Registry__Service *)req;
    const char *domain = options_domain(s->options);
    int rc;

    (void)rsp;
    if ((rc = authorize(core, ctx, domain, true, ID_DEREGISTER)) < 0)
        return rc;
    rc = mc_registry_deregister(core->registry, domain, s);
    return rc < 0 ? registry_error(ctx, ID_DEREGISTER, domain, s, rc) : MC_OK;
}

static int h_get_service(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                         ProtobufCMessage *rsp, void *arg)
{
    struct mc_core *core = arg;
    const Registry__GetRequest *r = (const Registry__GetRequest *)req;
    Registry__GetResponse *out = (Registry__GetResponse *)rsp;
    const char *domain = options_domain(r->options);
    int rc;

    if ((rc = authorize(core, ctx, domain, false, ID_GET)) < 0)
        return rc;
    rc = mc_registry_get(core->registry, domain, r->service, ctx->arena, &out->services,
                         &out->n_services);
    if (rc == MC_ENOTFOUND)
        mc_error_not_found(ctx->err, ID_GET, "service not found");
    return rc;
}

static int h_list_services(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                           ProtobufCMessage *rsp, void *arg)
{
    struct mc_core *core = arg;
    const Registry__ListRequest *r = (const Registry__ListRequest *)req;
    Registry__ListResponse *out = (Registry__ListResponse *)rsp;
    const char *domain = options_domain(r->options);
    int rc;

    if ((rc = authorize(core, ctx, domain, false, ID_LIST)) < 0)
        return rc;
    return mc_registry_list(core->registry, domain, ctx->arena, &out->services,
                            &out->n_services);
}

/* ---- Watch ----------------------------------------------------------------------------- */

/* One Watch stream; lives in the stream's arena, so it goes with the stream. */
struct watch {
    struct mc_core *core;
    struct mc_rpc_stream *st;
    struct mc_registry_watcher *w;   /* NULL until the request arrived, and after */
    bool started;
};

/* Ends the stream with a 503 saying why (the watcher must be gone already). */
static void watch_fail(struct watch *wt, const char *why)
{
    struct mc_error err;

    mc_error_init(&err);
    mc_error_unavailable(&err, ID_WATCH, "%s", why);
    mc_rpc_stream_finish(wt->st, &err);
    mc_error_release(&err);
}

static void watch_on_event(const char *action, const Registry__Service *svc, void *arg)
{
    struct watch *wt = arg;
    Registry__Result res = REGISTRY__RESULT__INIT;
    size_t pending = mc_rpc_stream_pending(wt->st);
    int rc;

    if (pending > MC_REGISTRY_WATCH_MAX_PENDING) {
        mc_log_warn("dropping a registry watcher that does not read (%zu bytes pending)", pending);
        mc_registry_unwatch(wt->core->registry, wt->w);
        wt->w = NULL;
        watch_fail(wt, "watcher too slow: events dropped");
        return;
    }
    res.action = (char *)action;
    res.service = (Registry__Service *)svc;
    rc = mc_rpc_stream_send(wt->st, &res.base);
    if (rc == MC_ETOOBIG) {
        mc_registry_unwatch(wt->core->registry, wt->w);
        wt->w = NULL;
        watch_fail(wt, "event exceeds the message limit");
    }
    /* MC_ECLOSED: the client is gone and on_cancel follows. */
}

static void watch_on_close(void *arg)
{
    struct watch *wt = arg;

    wt->w = NULL;   /* the registry frees its watchers itself */
    watch_fail(wt, "registry stopped");
}

static void watch_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct watch *wt = arg;
    const Registry__WatchRequest *r = (const Registry__WatchRequest *)msg;
    const char *domain = options_domain(r->options);
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct mc_error err;

    if (wt->started)
        return;   /* upstream clients send one request; later messages mean nothing */
    wt->started = true;
    if (wt->core->auth) {
        mc_error_init(&err);
        if (mc_registry_authorize(ctx->account, domain, false, ID_WATCH, &err) < 0) {
            mc_rpc_stream_finish(st, &err);
            mc_error_release(&err);
            return;
        }
        mc_error_release(&err);
    }
    wt->w = mc_registry_watch(wt->core->registry, domain, r->service, watch_on_event,
                              watch_on_close, wt);
}

static void watch_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    struct watch *wt = arg;

    (void)st;
    mc_registry_unwatch(wt->core->registry, wt->w);
    wt->w = NULL;
}

static const struct mc_rpc_stream_ops watch_ops = {
    .on_message = watch_on_message,
    .on_cancel = watch_on_cancel,
};

static int watch_open(struct mc_rpc_stream *st, void *arg)
{
    struct watch *wt = mc_arena_alloc(mc_rpc_stream_ctx(st)->arena, sizeof(*wt));

    wt->core = arg;
    wt->st = st;
    mc_rpc_stream_set_ops(st, &watch_ops, wt);
    return MC_OK;
}

/* ---- registration ---------------------------------------------------------------------- */

int mc_registry_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    static const struct {
        const char *method;
        mc_rpc_unary_fn fn;
    } unary[] = {
        { "GetService", h_get_service },
        { "Register", h_register },
        { "Deregister", h_deregister },
        { "ListServices", h_list_services },
    };
    const ProtobufCServiceDescriptor *sd = &registry__registry__descriptor;
    int rc;

    core->registry = mc_registry_new(core->loop);
    for (size_t i = 0; i < MC_ARRAY_LEN(unary); i++) {
        rc = mc_rpc_service_handle(svc, sd, unary[i].method, unary[i].fn, core);
        if (rc < 0)
            return rc;
    }
    return mc_rpc_service_handle_stream(svc, sd, "Watch", MC_RPC_STREAM_SERVER, watch_open, core);
}

void mc_registry_service_release(struct mc_core *core)
{
    mc_registry_free(core->registry);
    core->registry = NULL;
}
