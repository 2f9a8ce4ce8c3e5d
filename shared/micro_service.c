/*
 * The service of libmicro: its settings from the environment, its handlers
 * (bound through mc_rpc, the dispatch the platform's own services use, and
 * served over gRPC by mc_rpc_grpc), its run loop with the registration timer
 * and the stop signals, and what handlers see of a request (struct micro_ctx:
 * memory, metadata, errors). Outgoing calls live in micro_call.c, the
 * registration in micro_register.c, subscriptions in micro_subscribe.c.
 */
#include "micro_internal.h"

#include "mc_grpc_client.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mc_arena.h"
#include "mc_log.h"
#include "mc_schema.h"
#include "mc_banned.h"

struct micro_every {
    struct micro_every *next;
    struct micro_service *svc;
    uint64_t interval_ms;
    void (*fn)(struct micro_service *svc, void *user);
    void *user;
};

/* A bound unary method: what the mc_rpc trampoline needs to reach the author's handler. */
struct unary_binding {
    struct micro_service *svc;
    micro_handler_fn fn;
    void *user;
};

struct stream_binding {
    struct micro_service *svc;
    struct micro_stream_handler h;
    void *user;
};

struct micro_stream {
    struct mc_rpc_stream *st;
    struct micro_ctx ctx;
    const struct stream_binding *b;
};

/* Bindings live as long as the service; kept in one list to free them. */
struct micro_binding {
    struct micro_binding *next;
    union {
        struct unary_binding u;
        struct stream_binding s;
    } b;
};

const char *micro_strerror(int code)
{
    if (code == MICRO_EREMOTE)
        return "remote error";
    return mc_strerror(code);
}

void micro_error_release(struct micro_error *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->detail);
    free(e->status);
    memset(e, 0, sizeof(*e));
}

void micro__error_export(struct micro_error *dst, const struct mc_error *e)
{
    if (!dst)
        return;
    micro_error_release(dst);
    dst->id = mc_strdup(e->id ? e->id : "");
    dst->code = e->code;
    dst->detail = mc_strdup(e->detail ? e->detail : "");
    dst->status = mc_strdup(e->status ? e->status : "");
}

/* "dir/file.c" of a path, as upstream's logger shows the caller (the service's own
 * __FILE__ is often absolute when it was built out of tree). */
static const char *short_file(const char *file)
{
    const char *last = NULL, *prev = NULL;

    if (!file)
        return "";
    for (const char *p = file; *p; p++) {
        if (*p == '/') {
            prev = last;
            last = p;
        }
    }
    return prev ? prev + 1 : file;
}

void micro_log(enum micro_log_level level, const char *file, int line, const char *fmt, ...)
{
    static const enum mc_log_level map[] = { MC_LOG_TRACE, MC_LOG_DEBUG, MC_LOG_INFO,
                                             MC_LOG_WARN, MC_LOG_ERROR };
    char text[4096];
    va_list ap;

    if ((unsigned)level > MICRO_LOG_ERROR)
        level = MICRO_LOG_ERROR;
    if (map[level] < mc_log_get_level())
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    mc_log_at(map[level], short_file(file), line, "%s", text);
}

/* ---- settings ------------------------------------------------------------------------ */

static const char *env_or(const char *key, const char *def)
{
    const char *v = getenv(key);

    return v && *v ? v : def;
}

/* Copies s into a fixed field; false when it does not fit (nothing is cut silently). */
static bool set_field(char *dst, size_t n, const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len >= n)
        return false;
    memcpy(dst, s, len + 1);
    return true;
}

static bool read_env(struct micro_service *svc, const char *name)
{
    const char *id = getenv("MICRO_AUTH_ID");
    const char *level = getenv("MICRO_LOG_LEVEL");

    if (!set_field(svc->name, sizeof(svc->name), env_or("MICRO_SERVICE_NAME", name)) ||
        !set_field(svc->version, sizeof(svc->version), env_or("MICRO_SERVICE_VERSION", "latest")) ||
        !set_field(svc->ns, sizeof(svc->ns), env_or("MICRO_NAMESPACE", MC_DEFAULT_NAMESPACE)) ||
        !set_field(svc->proxy, sizeof(svc->proxy), env_or("MICRO_PROXY", "127.0.0.1:8081")) ||
        !set_field(svc->listen, sizeof(svc->listen),
                   env_or("MICRO_SERVICE_ADDRESS", "127.0.0.1:0")))
        return false;
    if (id && *id) {
        svc->auth_id = mc_strdup(id);
        svc->auth_secret = mc_strdup(env_or("MICRO_AUTH_SECRET", ""));
    }
    if (level && mc_log_level_parse(level) >= 0)
        mc_log_set_level((enum mc_log_level)mc_log_level_parse(level));
    return true;
}

struct micro_service *micro_service_new(const char *name)
{
    struct micro_service *svc;

    if (!name || !*name || strlen(name) > MICRO_NAME_MAX)
        return NULL;
    svc = mc_calloc(1, sizeof(*svc));
    if (!read_env(svc, name)) {
        micro_service_free(svc);
        return NULL;
    }
    svc->loop = mc_loop_new();
    if (!svc->loop) {
        micro_service_free(svc);
        return NULL;
    }
    svc->rpc = mc_rpc_server_new();
    svc->rsvc = mc_rpc_server_add(svc->rpc, svc->name);
    return svc;
}

void micro_service_free(struct micro_service *svc)
{
    struct micro_binding *b;

    if (!svc)
        return;
    micro__subs_free(svc);
    mc_grpc_sync_free(svc->calls);
    while (svc->every) {
        struct micro_every *next = svc->every->next;

        free(svc->every);
        svc->every = next;
    }
    b = svc->bindings;
    while (b) {
        struct micro_binding *next = b->next;

        free(b);
        b = next;
    }
    mc_schema_endpoints_free(svc->endpoints, svc->n_endpoints);
    if (svc->rpc)
        mc_rpc_server_free(svc->rpc);
    if (svc->loop)
        mc_loop_free(svc->loop);
    free(svc->auth_id);
    free(svc->auth_secret);
    sodium_memzero(&svc->token, sizeof(svc->token));
    free(svc);
}

const char *micro_service_name(const struct micro_service *svc) { return svc->name; }
const char *micro_service_version(const struct micro_service *svc) { return svc->version; }
const char *micro_service_namespace(const struct micro_service *svc) { return svc->ns; }
const char *micro_service_address(const struct micro_service *svc) { return svc->address; }

/* ---- handlers ------------------------------------------------------------------------ */

static struct micro_binding *binding_new(struct micro_service *svc)
{
    struct micro_binding *n = mc_calloc(1, sizeof(*n));

    n->next = svc->bindings;
    svc->bindings = n;
    return n;
}

static void binding_drop(struct micro_service *svc, struct micro_binding *n)
{
    svc->bindings = n->next;
    free(n);
}

static int unary_trampoline(struct mc_rpc_ctx *rc, const ProtobufCMessage *req,
                            ProtobufCMessage *rsp, void *arg)
{
    const struct unary_binding *b = arg;
    struct micro_ctx ctx;
    int rc_h;

    micro__ctx_init(&ctx, b->svc, rc);
    rc_h = b->fn(&ctx, req, rsp, b->user);
    micro__ctx_release(&ctx);
    if (rc_h < 0 && rc->err->code == 0)
        mc_error_internal(rc->err, b->svc->name, "%s", micro_strerror(rc_h));
    return rc_h < 0 ? (rc_h == MICRO_EREMOTE ? MC_EIO : rc_h) : MC_OK;
}

static int map_bind_error(int rc)
{
    return rc == MC_ENOTFOUND || rc == MC_EEXIST ? rc : MICRO_EINVAL;
}

/* Publishes the method's schema with the registration. */
static int add_schema(struct micro_service *svc, const ProtobufCServiceDescriptor *sd,
                      const char *method, enum mc_schema_stream kind)
{
    const ProtobufCMethodDescriptor *md = protobuf_c_service_descriptor_get_method_by_name(sd, method);
    Registry__Endpoint *ep = NULL;
    int rc;

    if (!md)
        return MC_ENOTFOUND;
    rc = mc_schema_endpoint_new(sd->short_name, md, kind, &ep);
    if (rc < 0)
        return rc;
    micro__add_endpoint(svc, ep);
    return MC_OK;
}

int micro_service_handle(struct micro_service *svc, const ProtobufCServiceDescriptor *sd,
                         const char *method, micro_handler_fn fn, void *user)
{
    struct micro_binding *n;
    int rc;

    if (!svc || !sd || !method || !fn || svc->running)
        return MICRO_EINVAL;
    n = binding_new(svc);
    n->b.u.svc = svc;
    n->b.u.fn = fn;
    n->b.u.user = user;
    rc = mc_rpc_service_handle(svc->rsvc, sd, method, unary_trampoline, &n->b.u);
    if (rc == MC_OK)
        rc = add_schema(svc, sd, method, MC_SCHEMA_UNARY);
    if (rc < 0) {
        binding_drop(svc, n);
        return map_bind_error(rc);
    }
    return MICRO_OK;
}

/* ---- streams ------------------------------------------------------------------------- */

static void ms_free(struct micro_stream *ms)
{
    micro__ctx_release(&ms->ctx);
    free(ms);
}

static void ms_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct micro_stream *ms = arg;

    (void)st;
    ms->b->h.on_message(ms, msg, ms->b->user);
}

static void ms_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    struct micro_stream *ms = arg;

    (void)st;
    if (ms->b->h.on_half_close)
        ms->b->h.on_half_close(ms, ms->b->user);
}

static void ms_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    struct micro_stream *ms = arg;

    (void)st;
    if (ms->b->h.on_end)
        ms->b->h.on_end(ms, ms->b->user);
    ms_free(ms);
}

static const struct mc_rpc_stream_ops ms_ops = {
    .on_message = ms_on_message,
    .on_half_close = ms_on_half_close,
    .on_cancel = ms_on_cancel,
};

static int stream_open(struct mc_rpc_stream *st, void *arg)
{
    const struct stream_binding *b = arg;
    struct micro_stream *ms = mc_calloc(1, sizeof(*ms));

    ms->st = st;
    ms->b = b;
    micro__ctx_init(&ms->ctx, b->svc, mc_rpc_stream_ctx(st));
    mc_rpc_stream_set_ops(st, &ms_ops, ms);
    return MC_OK;
}

int micro_service_handle_stream(struct micro_service *svc, const ProtobufCServiceDescriptor *sd,
                                const char *method, enum micro_stream_kind kind,
                                const struct micro_stream_handler *h, void *user)
{
    static const enum mc_schema_stream schema_kind[] = {
        [MICRO_STREAM_SERVER] = MC_SCHEMA_SERVER_STREAM,
        [MICRO_STREAM_CLIENT] = MC_SCHEMA_CLIENT_STREAM,
        [MICRO_STREAM_BIDI] = MC_SCHEMA_BIDI_STREAM,
    };
    struct micro_binding *n;
    int rc;

    if (!svc || !sd || !method || !h || !h->on_message || svc->running ||
        kind < MICRO_STREAM_SERVER || kind > MICRO_STREAM_BIDI)
        return MICRO_EINVAL;
    n = binding_new(svc);
    n->b.s.svc = svc;
    n->b.s.h = *h;
    n->b.s.user = user;
    rc = mc_rpc_service_handle_stream(svc->rsvc, sd, method, (enum mc_rpc_stream_kind)kind,
                                      stream_open, &n->b.s);
    if (rc == MC_OK)
        rc = add_schema(svc, sd, method, schema_kind[kind]);
    if (rc < 0) {
        binding_drop(svc, n);
        return map_bind_error(rc);
    }
    return MICRO_OK;
}

struct micro_ctx *micro_stream_ctx(struct micro_stream *st)
{
    return &st->ctx;
}

int micro_stream_send(struct micro_stream *st, const ProtobufCMessage *msg)
{
    int rc = mc_rpc_stream_send(st->st, msg);

    if (rc == MC_ECLOSED)
        return MICRO_EIO;
    return rc;
}

void micro_stream_finish(struct micro_stream *st)
{
    struct mc_rpc_ctx *rc = st->ctx.rc;

    mc_rpc_stream_finish(st->st, rc->err->code ? rc->err : NULL);
    ms_free(st);
}

/* ---- running ------------------------------------------------------------------------- */

int micro_service_every(struct micro_service *svc, uint64_t interval_ms,
                        void (*fn)(struct micro_service *svc, void *user), void *user)
{
    struct micro_every *e;

    size_t n = 0;

    if (!svc || !fn || interval_ms == 0 || svc->running)
        return MICRO_EINVAL;
    for (e = svc->every; e; e = e->next)
        n++;
    if (n == MICRO_EVERY_MAX)
        return MICRO_ETOOBIG;
    e = mc_calloc(1, sizeof(*e));
    e->svc = svc;
    e->interval_ms = interval_ms;
    e->fn = fn;
    e->user = user;
    e->next = svc->every;
    svc->every = e;
    return MICRO_OK;
}

static void on_every(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct micro_every *e = arg;

    (void)loop;
    (void)t;
    if (!e->svc->stopping)
        e->fn(e->svc, e->user);
}

static void on_reregister(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct micro_service *svc = arg;

    (void)loop;
    (void)t;
    if (!svc->stopping)
        micro__register(svc, false);
}

static void on_signal(struct mc_loop *loop, int signo, void *arg)
{
    struct micro_service *svc = arg;

    (void)loop;
    mc_log_info("Received signal %s", signo == SIGTERM ? "terminated" : "interrupt");
    svc->stopping = 1;
}

void micro_service_stop(struct micro_service *svc)
{
    svc->stopping = 1;
    mc_loop_wake(svc->loop);
}

static int start_serving(struct micro_service *svc)
{
    char err[256];

    svc->grpc = mc_rpc_grpc_new(svc->loop, svc->rpc, NULL);
    if (mc_rpc_grpc_listen(svc->grpc, svc->listen, err, sizeof(err)) < 0) {
        mc_log_error("cannot listen on %s: %s", svc->listen, err);
        return MICRO_EIO;
    }
    snprintf(svc->address, sizeof(svc->address), "%s", mc_rpc_grpc_addr(svc->grpc));
    mc_log_info("Server [grpc] Listening on %s", svc->address);
    return MICRO_OK;
}

/* Runs the loop until a stop is asked for; timers are the loop's to free. */
static void serve(struct micro_service *svc)
{
    struct mc_timer *timers[MICRO_EVERY_MAX + 1];
    size_t n = 0;

    timers[n++] = mc_loop_timer_add(svc->loop, MICRO_REGISTER_INTERVAL_MS,
                                    MICRO_REGISTER_INTERVAL_MS, on_reregister, svc);
    for (struct micro_every *e = svc->every; e && n < MC_ARRAY_LEN(timers); e = e->next)
        timers[n++] = mc_loop_timer_add(svc->loop, e->interval_ms, e->interval_ms, on_every, e);
    micro__subs_start(svc);
    while (!svc->stopping)
        mc_loop_run_once(svc->loop, -1);
    for (size_t i = 0; i < n; i++)
        mc_loop_timer_cancel(svc->loop, timers[i]);
}

int micro_service_run(struct micro_service *svc)
{
    int rc;

    if (!svc || svc->running)
        return MICRO_EINVAL;
    svc->running = true;
    mc_loop_signal(svc->loop, SIGTERM, on_signal, svc);
    mc_loop_signal(svc->loop, SIGINT, on_signal, svc);
    mc_log_info("Starting [service] %s", svc->name);
    rc = start_serving(svc);
    if (rc == MICRO_OK)
        rc = micro__register(svc, true);
    if (rc == MICRO_OK) {
        serve(svc);
        micro__subs_stop(svc);
        micro__deregister(svc);
    }
    mc_rpc_grpc_free(svc->grpc);
    svc->grpc = NULL;
    mc_loop_run_once(svc->loop, 0);
    svc->running = false;
    return rc;
}

/* ---- the request context ------------------------------------------------------------- */

void micro__ctx_init(struct micro_ctx *ctx, struct micro_service *svc, struct mc_rpc_ctx *rc)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->svc = svc;
    ctx->rc = rc;
}

void micro__ctx_release(struct micro_ctx *ctx)
{
    if (ctx->out_init)
        mc_metadata_release(&ctx->out);
    ctx->out_init = false;
}

void *micro_ctx_alloc(struct micro_ctx *ctx, size_t n)
{
    return mc_arena_alloc(ctx->rc->arena, n);
}

char *micro_ctx_strdup(struct micro_ctx *ctx, const char *s)
{
    return mc_arena_strdup(ctx->rc->arena, s ? s : "");
}

char *micro_ctx_printf(struct micro_ctx *ctx, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *out;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    out = mc_arena_alloc(ctx->rc->arena, (size_t)n + 1);
    vsnprintf(out, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return out;
}

struct micro_service *micro_ctx_service(const struct micro_ctx *ctx) { return ctx->svc; }
const char *micro_ctx_endpoint(const struct micro_ctx *ctx) { return ctx->rc->endpoint; }

const char *micro_ctx_namespace(const struct micro_ctx *ctx)
{
    return ctx->rc->ns ? ctx->rc->ns : MC_DEFAULT_NAMESPACE;
}

const char *micro_ctx_metadata(const struct micro_ctx *ctx, const char *key)
{
    const char *v = NULL;

    if (!key)
        return NULL;
    if (ctx->out_init)
        v = mc_metadata_get(&ctx->out, key);
    if (!v && ctx->rc->md)
        v = mc_metadata_get(ctx->rc->md, key);
    return v;
}

int micro_ctx_set_metadata(struct micro_ctx *ctx, const char *key, const char *value)
{
    if (!key || !value)
        return MICRO_EINVAL;
    if (!ctx->out_init) {
        mc_metadata_init(&ctx->out, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
        ctx->out_init = true;
    }
    return mc_metadata_set(&ctx->out, key, value);
}

void micro_ctx_metadata_each(const struct micro_ctx *ctx,
                             void (*fn)(const char *key, const char *value, void *user),
                             void *user)
{
    const struct mc_metadata *md = ctx->rc->md;

    for (size_t i = 0; md && i < md->len; i++)
        fn(md->pairs[i].key, md->pairs[i].value, user);
}

/* ---- errors from handlers ------------------------------------------------------------- */

__attribute__((format(printf, 4, 0)))
static int fail(struct micro_ctx *ctx, int code, const char *id, const char *fmt, va_list ap)
{
    mc_error_vset(ctx->rc->err, id ? id : ctx->svc->name, code, fmt, ap);
    return MICRO_EREMOTE;
}

int micro_error(struct micro_ctx *ctx, int code, const char *id, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = fail(ctx, code, id, fmt, ap);
    va_end(ap);
    return rc;
}

#define MICRO_ERROR_DEF(name, code)                                                   \
    int micro_error_##name(struct micro_ctx *ctx, const char *id, const char *fmt, ...) \
    {                                                                                 \
        va_list ap;                                                                   \
        int rc;                                                                       \
        va_start(ap, fmt);                                                            \
        rc = fail(ctx, code, id, fmt, ap);                                            \
        va_end(ap);                                                                   \
        return rc;                                                                    \
    }
MICRO_ERROR_DEF(bad_request, 400)
MICRO_ERROR_DEF(unauthorized, 401)
MICRO_ERROR_DEF(forbidden, 403)
MICRO_ERROR_DEF(not_found, 404)
MICRO_ERROR_DEF(timeout, 408)
MICRO_ERROR_DEF(conflict, 409)
MICRO_ERROR_DEF(internal, 500)
#undef MICRO_ERROR_DEF

int micro_error_forward(struct micro_ctx *ctx, const struct micro_error *e)
{
    struct mc_error *dst = ctx->rc->err;

    mc_error_release(dst);
    dst->id = mc_strdup(e->id ? e->id : "");
    dst->code = e->code ? e->code : 500;
    dst->detail = mc_strdup(e->detail ? e->detail : "");
    dst->status = mc_strdup(e->status ? e->status : "");
    return MICRO_EREMOTE;
}
