/* Services, handlers and dispatch: see mc_rpc.h. */
#include "mc_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_debug.h"
#include "mc_pbjson.h"
#include "mc_banned.h"

#define MAX_NAME 256

struct mc_rpc_method {
    const struct mc_rpc_service *svc;
    const ProtobufCServiceDescriptor *sd;
    const ProtobufCMethodDescriptor *md;
    char endpoint[MAX_NAME];         /* "Registry.GetService" */
    enum mc_rpc_stream_kind kind;    /* 0: unary */
    mc_rpc_unary_fn fn;
    mc_rpc_stream_open_fn open;
    void *arg;
};

struct mc_rpc_service {
    const struct mc_rpc_server *srv;
    char *name;
    int64_t started;
    uint64_t requests;
    uint64_t errors;
    struct mc_rpc_method *methods;
    size_t nmethods, capmethods;
};

struct mc_rpc_server {
    struct mc_rpc_service **svcs;
    size_t n, cap;
    mc_rpc_auth_fn auth;
    void *auth_arg;
    const struct mc_rpc_durability *durability;
    void *durability_arg;
};

struct mc_rpc_server *mc_rpc_server_new(void)
{
    return mc_calloc(1, sizeof(struct mc_rpc_server));
}

void mc_rpc_server_free(struct mc_rpc_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->n; i++) {
        free(srv->svcs[i]->methods);
        free(srv->svcs[i]->name);
        free(srv->svcs[i]);
    }
    free(srv->svcs);
    free(srv);
}

struct mc_rpc_service *mc_rpc_server_find(const struct mc_rpc_server *srv, const char *name)
{
    for (size_t i = 0; i < srv->n; i++)
        if (strcmp(srv->svcs[i]->name, name) == 0)
            return srv->svcs[i];
    return NULL;
}

struct mc_rpc_service *mc_rpc_server_add(struct mc_rpc_server *srv, const char *name)
{
    struct mc_rpc_service *svc;

    if (strlen(name) >= MAX_NAME || mc_rpc_server_find(srv, name))
        return NULL;
    svc = mc_calloc(1, sizeof(*svc));
    svc->srv = srv;
    svc->name = mc_strdup(name);
    svc->started = mc_unix_time();
    if (srv->n == srv->cap) {
        srv->cap = srv->cap ? srv->cap * 2 : 8;
        srv->svcs = mc_realloc(srv->svcs, srv->cap * sizeof(*srv->svcs));
    }
    srv->svcs[srv->n++] = svc;
    mc_debug_attach(svc);
    return svc;
}

size_t mc_rpc_server_count(const struct mc_rpc_server *srv) { return srv->n; }
struct mc_rpc_service *mc_rpc_server_at(const struct mc_rpc_server *srv, size_t i)
{
    return i < srv->n ? srv->svcs[i] : NULL;
}

const char *mc_rpc_service_name(const struct mc_rpc_service *svc) { return svc->name; }
int64_t mc_rpc_service_started(const struct mc_rpc_service *svc) { return svc->started; }
uint64_t mc_rpc_service_requests(const struct mc_rpc_service *svc) { return svc->requests; }
uint64_t mc_rpc_service_errors(const struct mc_rpc_service *svc) { return svc->errors; }

const char *mc_rpc_method_endpoint(const struct mc_rpc_method *m) { return m->endpoint; }
const struct mc_rpc_service *mc_rpc_method_service(const struct mc_rpc_method *m)
{
    return m->svc;
}
const ProtobufCMethodDescriptor *mc_rpc_method_desc(const struct mc_rpc_method *m)
{
    return m->md;
}

static struct mc_rpc_method *bind(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                                  const char *method, int *rc)
{
    const ProtobufCMethodDescriptor *md =
        protobuf_c_service_descriptor_get_method_by_name(sd, method);
    struct mc_rpc_method *m;

    *rc = MC_OK;
    if (!md) {
        *rc = MC_ENOTFOUND;
        return NULL;
    }
    for (size_t i = 0; i < svc->nmethods; i++) {
        if (svc->methods[i].md == md) {
            *rc = MC_EEXIST;
            return NULL;
        }
    }
    if (svc->nmethods == svc->capmethods) {
        svc->capmethods = svc->capmethods ? svc->capmethods * 2 : 8;
        svc->methods = mc_realloc(svc->methods, svc->capmethods * sizeof(*svc->methods));
    }
    m = &svc->methods[svc->nmethods++];
    memset(m, 0, sizeof(*m));
    m->svc = svc;
    m->sd = sd;
    m->md = md;
    snprintf(m->endpoint, sizeof(m->endpoint), "%s.%s", sd->short_name, md->name);
    return m;
}

int mc_rpc_service_handle(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                          const char *method, mc_rpc_unary_fn fn, void *arg)
{
    int rc;
    struct mc_rpc_method *m = bind(svc, sd, method, &rc);

    if (m) {
        m->fn = fn;
        m->arg = arg;
    }
    return rc;
}

int mc_rpc_service_handle_stream(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                                 const char *method, enum mc_rpc_stream_kind kind,
                                 mc_rpc_stream_open_fn open, void *arg)
{
    int rc;
    struct mc_rpc_method *m = bind(svc, sd, method, &rc);

    if (m) {
        m->kind = kind;
        m->open = open;
        m->arg = arg;
    }
    return rc;
}

enum mc_rpc_stream_kind mc_rpc_method_stream_kind(const struct mc_rpc_method *m)
{
    return m->kind;
}

bool mc_account_has_scope(const struct mc_account *a, const char *scope)
{
    for (size_t i = 0; a && i < a->nscopes; i++)
        if (a->scopes[i] && strcmp(a->scopes[i], scope) == 0)
            return true;
    return false;
}

void mc_rpc_server_set_auth(struct mc_rpc_server *srv, mc_rpc_auth_fn fn, void *arg)
{
    srv->auth = fn;
    srv->auth_arg = arg;
}

void mc_rpc_server_set_durability(struct mc_rpc_server *srv, const struct mc_rpc_durability *d,
                                  void *arg)
{
    srv->durability = d;
    srv->durability_arg = arg;
}

void *mc_rpc_server_pending_writes(const struct mc_rpc_server *srv)
{
    return srv->durability ? srv->durability->pending(srv->durability_arg) : NULL;
}

int mc_rpc_server_settle(const struct mc_rpc_server *srv, void *batch, const char *service,
                         struct mc_error *err)
{
    int rc;

    if (!batch)
        return MC_OK;
    rc = srv->durability->commit(srv->durability_arg, batch);
    srv->durability->release(srv->durability_arg, batch);
    if (rc < 0)
        mc_error_internal(err, service, "cannot store the data: %s", mc_strerror(rc));
    return rc;
}

int mc_rpc_server_authorize(const struct mc_rpc_server *srv, struct mc_rpc_ctx *ctx)
{
    int rc;

    if (!srv->auth)
        return MC_OK;
    rc = srv->auth(ctx, srv->auth_arg);
    if (rc < 0 && ctx->err->code == 0)
        mc_error_unauthorized(ctx->err, ctx->service, "Unauthorized call made to %s:%s",
                              ctx->service, ctx->endpoint);
    return rc;
}

/* Splits "/svc.Handler/Method" into its three parts (copied into the buffers). */
static int split_path(const char *path, char *svc, char *handler, char *method)
{
    const char *slash, *dot;
    size_t n;

    if (!path || path[0] != '/')
        return MC_EINVAL;
    path++;
    slash = strchr(path, '/');
    if (!slash || strchr(slash + 1, '/') || slash[1] == '\0')
        return MC_EINVAL;
    n = (size_t)(slash - path);
    if (n >= MAX_NAME || strlen(slash + 1) >= MAX_NAME)
        return MC_EINVAL;
    memcpy(svc, path, n);
    svc[n] = '\0';
    dot = strrchr(svc, '.');
    if (!dot || dot == svc || dot[1] == '\0')
        return MC_EINVAL;
    memcpy(handler, dot + 1, strlen(dot + 1) + 1);
    svc[dot - svc] = '\0';
    memcpy(method, slash + 1, strlen(slash + 1) + 1);
    return MC_OK;
}

static void unknown_service(struct mc_error *err, const char *handler, const char *method)
{
    struct mc_buf msg;

    mc_buf_init(&msg, 4 * MAX_NAME);
    mc_error_unknown_service(&msg, handler, method);
    mc_error_not_implemented(err, NULL, "%s", mc_buf_cstr(&msg));
    mc_buf_release(&msg);
}

int mc_rpc_route(const struct mc_rpc_server *srv, const char *path,
                 const struct mc_rpc_method **out, char *service, struct mc_error *err)
{
    char svcname[MAX_NAME], handler[MAX_NAME], method[MAX_NAME];
    const struct mc_rpc_service *svc;
    bool handler_known = false;

    if (split_path(path, svcname, handler, method) < 0) {
        if (service)
            snprintf(service, MAX_NAME, "%s", path ? path : "");
        return MC_EINVAL;
    }
    svc = mc_rpc_server_find(srv, svcname);
    if (!svc) {
        if (service)
            memcpy(service, svcname, strlen(svcname) + 1);
        return MC_ENOTFOUND;
    }
    for (size_t i = 0; i < svc->nmethods; i++) {
        const struct mc_rpc_method *m = &svc->methods[i];
        if (strcmp(m->sd->short_name, handler) != 0)
            continue;
        handler_known = true;
        if (strcmp(m->md->name, method) == 0) {
            *out = m;
            return MC_OK;
        }
    }
    unknown_service(err, handler, handler_known ? method : NULL);
    return MC_EUNSUPPORTED;
}

/* Decodes req as `in` (the method's input type, or what a stream set instead). */
static int decode_as(const struct mc_rpc_method *m, const ProtobufCMessageDescriptor *in,
                     struct mc_rpc_ctx *ctx, enum mc_codec codec, const uint8_t *req,
                     size_t len, ProtobufCMessage **msg)
{
    struct mc_pbjson_err jerr = { 0 };

    switch (codec) {
    case MC_CODEC_PROTO:
        if (mc_pbjson_wire_check(in, req, len, MC_PBJSON_MAX_DEPTH) == MC_OK)
            *msg = protobuf_c_message_unpack(in, mc_arena_pb(ctx->arena), len, req);
        if (!*msg) {
            mc_error_bad_request(ctx->err, m->svc->name,
                                 "cannot decode %s request: malformed protobuf", m->endpoint);
            return MC_EINVAL;
        }
        return MC_OK;
    case MC_CODEC_JSON:
        if (mc_pbjson_decode(in, (const char *)req, len, mc_arena_pb(ctx->arena), msg, &jerr) < 0) {
            mc_error_bad_request(ctx->err, m->svc->name, "cannot decode %s request: %s",
                                 m->endpoint, jerr.msg);
            return MC_EINVAL;
        }
        return MC_OK;
    default:
        mc_error_bad_request(ctx->err, m->svc->name, "unsupported codec for %s", m->endpoint);
        return MC_EUNSUPPORTED;
    }
}

static int decode_request(const struct mc_rpc_method *m, struct mc_rpc_ctx *ctx,
                          enum mc_codec codec, const uint8_t *req, size_t len,
                          ProtobufCMessage **msg)
{
    return decode_as(m, m->md->input, ctx, codec, req, len, msg);
}

static int encode_response(const struct mc_rpc_method *m, struct mc_rpc_ctx *ctx,
                           enum mc_codec codec, const ProtobufCMessage *rsp, struct mc_buf *out)
{
    struct mc_pbjson_err jerr = { 0 };
    size_t n;
    uint8_t *dst;

    if (codec == MC_CODEC_JSON) {
        if (mc_pbjson_encode(rsp, MC_PBJSON_COMPACT, out, &jerr) == MC_OK)
            return MC_OK;
        mc_error_internal(ctx->err, m->svc->name, "cannot encode %s response: %s", m->endpoint,
                          jerr.msg);
        return MC_EINVAL;
    }
    n = protobuf_c_message_get_packed_size(rsp);
    dst = (uint8_t *)mc_buf_reserve(out, n);
    if (!dst) {
        mc_error_internal(ctx->err, m->svc->name, "%s response too large (%zu bytes)",
                          m->endpoint, n);
        return MC_ETOOBIG;
    }
    protobuf_c_message_pack(rsp, dst);
    mc_buf_commit(out, n);
    return MC_OK;
}

int mc_rpc_invoke(const struct mc_rpc_method *m, struct mc_rpc_ctx *ctx, enum mc_codec codec,
                  const uint8_t *req, size_t len, struct mc_buf *out)
{
    struct mc_rpc_service *svc = (struct mc_rpc_service *)m->svc;
    ProtobufCMessage *in = NULL, *rsp;
    int rc;

    ctx->service = svc->name;
    ctx->endpoint = m->endpoint;
    if (!ctx->ns)
        ctx->ns = MC_DEFAULT_NAMESPACE;
    svc->requests++;
    if (m->kind != 0) {
        mc_error_bad_request(ctx->err, svc->name, "%s is a streaming endpoint", m->endpoint);
        rc = MC_EINVAL;
    } else {
        rc = mc_rpc_server_authorize(svc->srv, ctx);
    }
    if (rc == MC_OK)
        rc = decode_request(m, ctx, codec, req, len, &in);
    if (rc == MC_OK) {
        rsp = mc_arena_message(ctx->arena, m->md->output);
        rc = m->fn(ctx, in, rsp, m->arg);
        if (rc < 0 && ctx->err->code == 0)
            mc_error_internal(ctx->err, svc->name, "%s", mc_strerror(rc));
        if (rc == MC_OK)
            rc = encode_response(m, ctx, codec, rsp, out);
        if (rc == MC_OK && !ctx->hold_answer)
            rc = mc_rpc_server_settle(svc->srv, mc_rpc_server_pending_writes(svc->srv),
                                      svc->name, ctx->err);
    }
    if (rc < 0)
        svc->errors++;
    return rc;
}

/* ---- streams ------------------------------------------------------------------------ */

struct mc_rpc_stream {
    const struct mc_rpc_method *method;
    enum mc_codec codec;
    struct mc_rpc_ctx ctx;
    struct mc_arena arena;         /* lives as long as the stream */
    struct mc_metadata md;
    struct mc_error err;
    const struct mc_rpc_stream_ops *ops;
    void *ops_arg;
    const ProtobufCMessageDescriptor *input;   /* NULL: the method's input type */
    const struct mc_rpc_stream_transport *t;
    void *targ;
    struct mc_buf out;             /* one encoded message at a time */
    unsigned busy;                 /* depth of frontend calls in progress */
    bool finished;                 /* transport->finish done: free when not busy */
    bool gone;                     /* the transport was cancelled: never call it again */
};

static void stream_free(struct mc_rpc_stream *st)
{
    mc_buf_release(&st->out);
    mc_error_release(&st->err);
    mc_metadata_release(&st->md);
    mc_arena_release(&st->arena);
    free(st);
}

/* Frontend entry points hold the stream busy so that a finish from inside a
 * handler callback frees it only once the outermost call returns. */
static void stream_enter(struct mc_rpc_stream *st)
{
    st->busy++;
}

static void stream_leave(struct mc_rpc_stream *st)
{
    if (--st->busy == 0 && st->finished)
        stream_free(st);
}

struct mc_rpc_stream *mc_rpc_stream_open(const struct mc_rpc_method *m, enum mc_codec codec,
                                         const struct mc_metadata *md, uint64_t deadline_ms,
                                         const struct mc_rpc_stream_transport *t, void *targ,
                                         struct mc_error *err)
{
    struct mc_rpc_stream *st = mc_calloc(1, sizeof(*st));
    struct mc_rpc_service *svc = (struct mc_rpc_service *)m->svc;
    int rc;

    st->method = m;
    st->codec = codec;
    st->t = t;
    st->targ = targ;
    mc_arena_init(&st->arena);
    mc_error_init(&st->err);
    mc_buf_init(&st->out, MC_PBJSON_MAX_INPUT);
    mc_metadata_init(&st->md, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    if (md)
        mc_metadata_copy(&st->md, md);
    st->ctx.arena = &st->arena;
    st->ctx.service = svc->name;
    st->ctx.endpoint = m->endpoint;
    st->ctx.md = &st->md;
    st->ctx.ns = mc_metadata_namespace(&st->md);
    st->ctx.deadline_ms = deadline_ms;
    st->ctx.err = &st->err;
    svc->requests++;
    if (m->kind == 0) {
        mc_error_bad_request(&st->err, svc->name, "%s is not a streaming endpoint", m->endpoint);
        rc = MC_EINVAL;
    } else if (codec != MC_CODEC_JSON && codec != MC_CODEC_PROTO) {
        mc_error_bad_request(&st->err, svc->name, "unsupported codec for %s", m->endpoint);
        rc = MC_EUNSUPPORTED;
    } else {
        rc = mc_rpc_server_authorize(svc->srv, &st->ctx);
    }
    if (rc == MC_OK) {
        stream_enter(st);
        rc = m->open(st, m->arg);
        if (st->finished) {
            /* The handler answered inside open (it may not both answer and fail). */
            stream_leave(st);
            mc_error_release(err);
            return NULL;
        }
        st->busy--;
        if (rc < 0 && st->err.code == 0)
            mc_error_internal(&st->err, svc->name, "%s", mc_strerror(rc));
    }
    if (rc < 0) {
        svc->errors++;
        mc_error_copy(err, &st->err);
        stream_free(st);
        return NULL;
    }
    return st;
}

void mc_rpc_stream_set_ops(struct mc_rpc_stream *st, const struct mc_rpc_stream_ops *ops,
                           void *arg)
{
    st->ops = ops;
    st->ops_arg = arg;
}

void mc_rpc_stream_set_input(struct mc_rpc_stream *st, const ProtobufCMessageDescriptor *desc)
{
    st->input = desc;
}

struct mc_rpc_ctx *mc_rpc_stream_ctx(struct mc_rpc_stream *st)
{
    return &st->ctx;
}

int mc_rpc_stream_send(struct mc_rpc_stream *st, const ProtobufCMessage *msg)
{
    int rc;

    if (st->finished)
        return MC_EINVAL;
    if (st->gone)
        return MC_ECLOSED;
    mc_buf_reset(&st->out);
    mc_error_release(&st->err);
    rc = encode_response(st->method, &st->ctx, st->codec, msg, &st->out);
    if (rc < 0)
        return rc;
    return st->t->send(st->targ, st->out.data ? st->out.data : "", st->out.len);
}

int mc_rpc_stream_send_packed(struct mc_rpc_stream *st, const ProtobufCMessageDescriptor *desc,
                              const void *data, size_t len)
{
    struct mc_arena a;
    ProtobufCMessage *msg;
    int rc;

    if (st->finished)
        return MC_EINVAL;
    if (st->gone)
        return MC_ECLOSED;
    if (st->codec == MC_CODEC_PROTO)
        return st->t->send(st->targ, len ? data : "", len);
    mc_arena_init(&a);
    msg = protobuf_c_message_unpack(desc, mc_arena_pb(&a), len, data);
    rc = msg ? mc_rpc_stream_send(st, msg) : MC_EPROTO;
    mc_arena_release(&a);
    return rc;
}

size_t mc_rpc_stream_pending(const struct mc_rpc_stream *st)
{
    return st->finished || st->gone ? 0 : st->t->pending(st->targ);
}

void mc_rpc_stream_finish(struct mc_rpc_stream *st, const struct mc_error *err)
{
    if (st->finished)
        return;
    st->finished = true;
    if (err && err->code != 0)
        ((struct mc_rpc_service *)st->method->svc)->errors++;
    if (!st->gone)
        st->t->finish(st->targ, err && err->code != 0 ? err : NULL);
    if (st->busy == 0)
        stream_free(st);
}

void mc_rpc_stream_deliver(struct mc_rpc_stream *st, const void *data, size_t len)
{
    struct mc_arena msg_arena;
    ProtobufCMessage *msg = NULL;
    struct mc_rpc_ctx ctx = st->ctx;
    struct mc_error err;

    if (st->finished)
        return;
    stream_enter(st);
    mc_arena_init(&msg_arena);
    mc_error_init(&err);
    ctx.arena = &msg_arena;
    ctx.err = &err;
    if (decode_as(st->method, st->input ? st->input : st->method->md->input, &ctx, st->codec,
                  data, len, &msg) < 0)
        mc_rpc_stream_finish(st, &err);
    else if (st->ops && st->ops->on_message)
        st->ops->on_message(st, msg, st->ops_arg);
    mc_error_release(&err);
    mc_arena_release(&msg_arena);
    stream_leave(st);
}

void mc_rpc_stream_half_close(struct mc_rpc_stream *st)
{
    if (st->finished)
        return;
    stream_enter(st);
    if (st->ops && st->ops->on_half_close)
        st->ops->on_half_close(st, st->ops_arg);
    stream_leave(st);
}

void mc_rpc_stream_cancel(struct mc_rpc_stream *st)
{
    if (st->finished)
        return;
    st->gone = true;   /* from here on nothing reaches the transport */
    stream_enter(st);
    if (st->ops && st->ops->on_cancel)
        st->ops->on_cancel(st, st->ops_arg);
    st->finished = true;
    stream_leave(st);
}
