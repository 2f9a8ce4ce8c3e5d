/* Serving an mc_rpc table over gRPC: see mc_rpc_grpc.h. */
#include "mc_rpc_grpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_rpc_hold.h"
#include "mc_banned.h"

/* One unary request message is at most the gRPC receive limit (32 MiB); the
 * response buffer gets the same cap. */
#define MAX_MSG (32u * 1024u * 1024u)

struct mc_rpc_grpc {
    struct mc_grpc_server *server;
    struct mc_rpc_server *rpc;
    mc_rpc_grpc_fallback fallback;
    void *fallback_arg;
    struct mc_rpc_hold *hold;   /* answers waiting for the round's commit */
};

/* State of one call routed to a handler of the table. */
struct call {
    struct mc_rpc_grpc *g;
    const struct mc_rpc_method *method;
    enum mc_codec codec;
    struct mc_buf req;
    unsigned messages;
    /* while held (mc_rpc_hold): the encoded answer and where it goes */
    struct mc_buf out;
    struct mc_grpc_scall *scall;
    bool held;
    bool cancelled;      /* the client left while the answer was held */
};

static void call_free(struct call *c)
{
    mc_buf_release(&c->req);
    mc_buf_release(&c->out);
    free(c);
}

void mc_rpc_grpc_finish_error(struct mc_grpc_scall *scall, const struct mc_error *err)
{
    struct mc_buf msg, details;
    int code = MC_GRPC_INTERNAL;

    mc_buf_init(&msg, 2 * MC_ERROR_TEXT_MAX);
    mc_buf_init(&details, MC_ERROR_WIRE_MAX);
    if (mc_error_to_grpc_status(err, &code, &msg, &details) < 0)
        mc_grpc_scall_finish(scall, MC_GRPC_INTERNAL, "error too large to send", NULL, 0, NULL);
    else
        mc_grpc_scall_finish(scall, code, mc_buf_cstr(&msg), details.data, details.len, NULL);
    mc_buf_release(&msg);
    mc_buf_release(&details);
}

static void on_message(struct mc_grpc_scall *scall, const char *msg, size_t len, void *arg)
{
    struct call *c = arg;

    /* Unary: keep the first message; a second one is answered when the client
     * half-closes (a callback must not finish the call itself mid-stream). */
    if (c->messages++ == 0 && mc_buf_append(&c->req, msg, len) < 0)
        c->messages = UINT32_MAX;
}

static void answer(struct mc_grpc_scall *scall, const struct mc_buf *out)
{
    if (mc_grpc_scall_send(scall, out->data ? out->data : "", out->len) < 0)
        mc_grpc_scall_finish(scall, MC_GRPC_RESOURCE_EXHAUSTED, "response too large", NULL, 0,
                             NULL);
    else
        mc_grpc_scall_finish(scall, MC_GRPC_OK, NULL, NULL, 0, NULL);
}

/* The round's commit settled c's held answer: it goes out, or the commit's error
 * does (unless the client left meanwhile). */
static void on_settled(const struct mc_error *err, void *arg)
{
    struct call *c = arg;

    if (!c->cancelled && err)
        mc_rpc_grpc_finish_error(c->scall, err);
    else if (!c->cancelled)
        answer(c->scall, &c->out);
    call_free(c);
}

/* Runs the call; true when its answer is held (c then belongs to g->hold). */
static bool invoke(struct mc_grpc_scall *scall, struct call *c)
{
    struct mc_arena arena;
    struct mc_error err;
    struct mc_metadata md;
    struct mc_rpc_ctx ctx = { 0 };

    mc_arena_init(&arena);
    mc_error_init(&err);
    mc_metadata_init(&md, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    mc_buf_init(&c->out, MAX_MSG);
    mc_metadata_from_grpc(&md, mc_grpc_scall_metadata(scall));
    ctx.arena = &arena;
    ctx.md = &md;
    ctx.ns = mc_metadata_namespace(&md);
    ctx.deadline_ms = mc_grpc_scall_deadline(scall);
    ctx.err = &err;
    ctx.hold_answer = true;
    c->scall = scall;
    if (mc_rpc_invoke(c->method, &ctx, c->codec, (const uint8_t *)c->req.data, c->req.len,
                      &c->out) != MC_OK)
        mc_rpc_grpc_finish_error(scall, &err);
    else if (!(c->held = mc_rpc_hold_if_pending(c->g->hold, c->method, on_settled, c)))
        answer(scall, &c->out);
    mc_metadata_release(&md);
    mc_error_release(&err);
    mc_arena_release(&arena);
    return c->held;
}

static void on_half_close(struct mc_grpc_scall *scall, void *arg)
{
    struct call *c = arg;

    if (c->messages == 1) {
        if (invoke(scall, c))
            return;
    } else if (c->messages == 0)
        mc_grpc_scall_finish(scall, MC_GRPC_INTERNAL,
                             "grpc: no request message for a unary call", NULL, 0, NULL);
    else
        mc_grpc_scall_finish(scall, MC_GRPC_INTERNAL,
                             "grpc: more than one request message for a unary call", NULL, 0,
                             NULL);
    call_free(c);
}

static void on_cancel(struct mc_grpc_scall *scall, enum mc_grpc_cancel_reason reason, void *arg)
{
    struct call *c = arg;

    if (c->held)
        c->cancelled = true;   /* on_settled frees it */
    else
        call_free(c);
}

static const struct mc_grpc_scall_handler unary_handler = { on_message, on_half_close,
                                                            on_cancel };

/* ---- streams: an mc_rpc_stream carried by a gRPC call ---------------------------- */

struct gstream {
    struct mc_grpc_scall *scall;
    struct mc_rpc_stream *st;
};

static int gs_send(void *t, const void *data, size_t len)
{
    struct gstream *gs = t;
    return mc_grpc_scall_send(gs->scall, data, len);
}

static size_t gs_pending(void *t)
{
    struct gstream *gs = t;
    return mc_grpc_scall_pending(gs->scall);
}

static void gs_finish(void *t, const struct mc_error *err)
{
    struct gstream *gs = t;

    if (err)
        mc_rpc_grpc_finish_error(gs->scall, err);
    else
        mc_grpc_scall_finish(gs->scall, MC_GRPC_OK, NULL, NULL, 0, NULL);
    free(gs);   /* the gRPC call sends no more callbacks after finish */
}

static const struct mc_rpc_stream_transport gs_transport = { gs_send, gs_pending, gs_finish };

static void gs_on_message(struct mc_grpc_scall *scall, const char *msg, size_t len, void *arg)
{
    struct gstream *gs = arg;
    mc_rpc_stream_deliver(gs->st, msg, len);
}

static void gs_on_half_close(struct mc_grpc_scall *scall, void *arg)
{
    struct gstream *gs = arg;
    mc_rpc_stream_half_close(gs->st);
}

static void gs_on_cancel(struct mc_grpc_scall *scall, enum mc_grpc_cancel_reason reason, void *arg)
{
    struct gstream *gs = arg;

    mc_rpc_stream_cancel(gs->st);
    free(gs);
}

static const struct mc_grpc_scall_handler stream_handler = { gs_on_message, gs_on_half_close,
                                                             gs_on_cancel };

static void open_stream(struct mc_grpc_scall *scall, const struct mc_rpc_method *m,
                        enum mc_codec codec)
{
    struct gstream *gs = mc_calloc(1, sizeof(*gs));
    struct mc_metadata md;
    struct mc_error err;

    gs->scall = scall;
    mc_error_init(&err);
    mc_metadata_init(&md, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    mc_metadata_from_grpc(&md, mc_grpc_scall_metadata(scall));
    gs->st = mc_rpc_stream_open(m, codec, &md, mc_grpc_scall_deadline(scall), &gs_transport, gs,
                                &err);
    if (gs->st) {
        mc_grpc_scall_set_handler(scall, &stream_handler, gs);
    } else if (err.code != 0) {
        mc_rpc_grpc_finish_error(scall, &err);
        free(gs);
    }
    /* else: answered inside open; gs_finish freed gs */
    mc_metadata_release(&md);
    mc_error_release(&err);
}

static void finish_route_error(struct mc_grpc_scall *scall, const char *service)
{
    struct mc_error err;

    mc_error_init(&err);
    mc_error_internal(&err, MC_ERROR_ID_CLIENT, "service %s: route not found", service);
    mc_rpc_grpc_finish_error(scall, &err);
    mc_error_release(&err);
}

static bool select_codec(struct mc_grpc_scall *scall, enum mc_codec *codec)
{
    const struct mc_grpc_md *x = mc_grpc_scall_metadata(scall)
        ? mc_grpc_metadata_get(mc_grpc_scall_metadata(scall), "x-content-type")
        : NULL;
    struct mc_error err;
    bool ok;

    mc_error_init(&err);
    ok = mc_codec_select(mc_slice_cstr(mc_grpc_scall_content_type(scall)),
                         x ? (struct mc_slice){ x->value, x->value_len } : (struct mc_slice){ 0 },
                         NULL, codec, &err) == MC_OK;
    if (ok && *codec == MC_CODEC_BYTES) {
        mc_error_bad_request(&err, MC_CODEC_ERROR_ID,
                             "core services take application/grpc+proto or +json, not +bytes");
        ok = false;
    }
    if (!ok)
        mc_rpc_grpc_finish_error(scall, &err);
    mc_error_release(&err);
    return ok;
}

static void start_unary(struct mc_rpc_grpc *g, struct mc_grpc_scall *scall,
                        const struct mc_rpc_method *m, enum mc_codec codec)
{
    struct call *c = mc_calloc(1, sizeof(*c));

    c->g = g;
    c->method = m;
    c->codec = codec;
    mc_buf_init(&c->req, MAX_MSG);
    mc_grpc_scall_set_handler(scall, &unary_handler, c);
}

static void on_call(struct mc_grpc_scall *scall, void *arg)
{
    struct mc_rpc_grpc *g = arg;
    const struct mc_rpc_method *m = NULL;
    char service[256];
    struct mc_error err;
    enum mc_codec codec;
    int rc;

    mc_error_init(&err);
    rc = mc_rpc_route(g->rpc, mc_grpc_scall_path(scall), &m, service, &err);
    if (rc == MC_ENOTFOUND) {
        if (!g->fallback || !g->fallback(scall, service, g->fallback_arg))
            finish_route_error(scall, service);
    } else if (rc == MC_EUNSUPPORTED) {
        /* As upstream's gRPC server: Unimplemented with a plain message. */
        mc_grpc_scall_finish(scall, MC_GRPC_UNIMPLEMENTED, err.detail, NULL, 0, NULL);
    } else if (rc < 0) {
        mc_grpc_scall_finish(scall, MC_GRPC_UNIMPLEMENTED, "malformed method name", NULL, 0,
                             NULL);
    } else if (select_codec(scall, &codec)) {   /* else answered with the codec error */
        if (mc_rpc_method_stream_kind(m) != 0)
            open_stream(scall, m, codec);
        else
            start_unary(g, scall, m, codec);
    }
    mc_error_release(&err);
}

struct mc_rpc_grpc *mc_rpc_grpc_new(struct mc_loop *loop, struct mc_rpc_server *rpc,
                                    const struct mc_grpc_limits *limits)
{
    struct mc_rpc_grpc *g = mc_calloc(1, sizeof(*g));

    g->rpc = rpc;
    g->hold = mc_rpc_hold_new(loop, rpc);
    g->server = mc_grpc_server_new(loop, limits, on_call, g);
    return g;
}

int mc_rpc_grpc_listen(struct mc_rpc_grpc *g, const char *addr, char *err, size_t errlen)
{
    return mc_grpc_server_listen(g->server, addr, err, errlen);
}

const char *mc_rpc_grpc_addr(const struct mc_rpc_grpc *g)
{
    return mc_grpc_server_addr(g->server);
}

struct mc_grpc_server *mc_rpc_grpc_server(const struct mc_rpc_grpc *g)
{
    return g->server;
}

void mc_rpc_grpc_set_fallback(struct mc_rpc_grpc *g, mc_rpc_grpc_fallback fn, void *arg)
{
    g->fallback = fn;
    g->fallback_arg = arg;
}

void mc_rpc_grpc_free(struct mc_rpc_grpc *g)
{
    if (!g)
        return;
    /* held answers go out first (their batch commits now), then calls are cancelled */
    mc_rpc_hold_free(g->hold);
    mc_grpc_server_free(g->server);
    free(g);
}
