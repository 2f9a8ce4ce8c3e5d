/* Forwarding calls to registered nodes: see proxy.h. */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "mc_arena.h"
#include "mc_grpc_client.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "mc_rpc_grpc.h"
#include "registry/registry.h"
#include "mc_banned.h"

#define MAX_NAME 256
#define DEFAULT_TIMEOUT_MS 10000   /* upstream's client default since v3.8 */
#define MAX_CLIENTS 1024           /* node connections kept at once */
#define MAX_BODY (32u * 1024u * 1024u) /* one JSON response for the gateway */

struct node_client {
    char *addr;
    struct mc_grpc_client *cl;
};

struct mc_proxy {
    struct mc_core *core;
    struct node_client *clients;
    size_t nclients;
};

struct mc_proxy *mc_proxy_new(struct mc_core *core)
{
    struct mc_proxy *p = mc_calloc(1, sizeof(*p));

    p->core = core;
    p->clients = mc_calloc(MAX_CLIENTS, sizeof(*p->clients));
    return p;
}

void mc_proxy_free(struct mc_proxy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nclients; i++) {
        mc_grpc_client_free(p->clients[i].cl);
        free(p->clients[i].addr);
    }
    free(p->clients);
    free(p);
}

/* The shared connection to a node (created on first use; the oldest is dropped
 * when the pool is full, its calls ending with CANCELLED). */
static struct mc_grpc_client *client_for(struct mc_proxy *p, const char *addr)
{
    for (size_t i = 0; i < p->nclients; i++)
        if (strcmp(p->clients[i].addr, addr) == 0)
            return p->clients[i].cl;
    if (p->nclients == MAX_CLIENTS) {
        mc_grpc_client_free(p->clients[0].cl);
        free(p->clients[0].addr);
        memmove(p->clients, p->clients + 1, (MAX_CLIENTS - 1) * sizeof(*p->clients));
        p->nclients--;
    }
    p->clients[p->nclients].addr = mc_strdup(addr);
    p->clients[p->nclients].cl = mc_grpc_client_new(p->core->loop, addr, NULL);
    return p->clients[p->nclients++].cl;
}

/* Picks a node of service in namespace ns: 0 with addr set, or MC_ENOTFOUND. */
static int pick_node(struct mc_proxy *p, const char *ns, const char *service, char *addr,
                     size_t len)
{
    struct mc_arena arena;
    char **addrs;
    size_t n;
    int rc;

    if (!p->core->registry)
        return MC_ENOTFOUND;
    mc_arena_init(&arena);
    rc = mc_registry_lookup_nodes(p->core->registry, ns, service, &arena, &addrs, &n);
    if (rc == MC_OK && n > 0)
        /* a random node, as upstream's default selector */
        snprintf(addr, len, "%s", addrs[randombytes_uniform((uint32_t)n)]);
    else
        rc = MC_ENOTFOUND;
    mc_arena_release(&arena);
    return rc;
}

/* "/svc.Handler/Method" -> endpoint "Handler.Method". */
static void endpoint_of(const char *path, char *out, size_t len)
{
    const char *slash = strchr(path + 1, '/');
    const char *dot;
    size_t n;

    out[0] = '\0';
    if (!slash)
        return;
    n = (size_t)(slash - path);
    dot = memrchr(path, '.', n);
    if (dot)
        snprintf(out, len, "%.*s.%s", (int)(slash - dot - 1), dot + 1, slash + 1);
}

/*
 * Authorizes a call about to be forwarded and settles its namespace: runs the
 * server's auth hook as for in-process calls. 0, or a negative code with err set.
 */
static int authorize(struct mc_proxy *p, const char *service, const char *endpoint,
                     struct mc_metadata *md, struct mc_error *err, char *ns, size_t nslen)
{
    struct mc_arena arena;
    struct mc_rpc_ctx ctx = { 0 };
    int rc;

    mc_arena_init(&arena);
    ctx.arena = &arena;
    ctx.service = service;
    ctx.endpoint = endpoint;
    ctx.md = md;
    ctx.ns = mc_metadata_namespace(md);
    ctx.err = err;
    rc = mc_rpc_server_authorize(p->core->rpc, &ctx);
    if (rc == MC_OK) {
        /* the hook may have settled the namespace from the token's issuer */
        snprintf(ns, nslen, "%s", ctx.ns ? ctx.ns : MC_DEFAULT_NAMESPACE);
        if (!mc_metadata_get(md, MC_MD_NAMESPACE))
            mc_metadata_set(md, MC_MD_NAMESPACE, ns);
    }
    mc_arena_release(&arena);
    return rc;
}

static void route_error(struct mc_error *err, const char *service)
{
    mc_error_internal(err, MC_ERROR_ID_CLIENT, "service %s: route not found", service);
}

/* ---- forwarding a gRPC call ------------------------------------------------------------ */

/* One forwarded call: the server side (from our caller) and the client side (to the node).
 * Freed once both sides are over. */
struct pipe {
    struct mc_grpc_scall *in;      /* NULL once the server side is over */
    struct mc_grpc_ccall *out;     /* NULL once the client side is over */
};

static void pipe_maybe_free(struct pipe *pp)
{
    if (!pp->in && !pp->out)
        free(pp);
}

static void out_on_headers(struct mc_grpc_ccall *call, const struct mc_grpc_metadata *md,
                           void *arg)
{
    struct pipe *pp = arg;
    if (pp->in)
        mc_grpc_scall_send_headers(pp->in, md);
}

static void out_on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct pipe *pp = arg;
    if (pp->in)
        mc_grpc_scall_send(pp->in, msg, len);
}

static void out_on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct pipe *pp = arg;

    pp->out = NULL;
    if (pp->in) {
        mc_grpc_scall_finish(pp->in, st->code, st->message, st->details, st->details_len,
                             st->trailers);
        pp->in = NULL;
    }
    pipe_maybe_free(pp);
}

static const struct mc_grpc_ccall_handler out_handler = { out_on_headers, out_on_message,
                                                          out_on_done };

static void in_on_message(struct mc_grpc_scall *call, const char *msg, size_t len, void *arg)
{
    struct pipe *pp = arg;
    if (pp->out)
        mc_grpc_ccall_send(pp->out, msg, len);
}

static void in_on_half_close(struct mc_grpc_scall *call, void *arg)
{
    struct pipe *pp = arg;
    if (pp->out)
        mc_grpc_ccall_close_send(pp->out);
}

static void in_on_cancel(struct mc_grpc_scall *call, enum mc_grpc_cancel_reason reason, void *arg)
{
    struct pipe *pp = arg;

    pp->in = NULL;
    /* on_done still comes (deferred) and frees the pipe */
    if (pp->out)
        mc_grpc_ccall_cancel(pp->out);
    else
        pipe_maybe_free(pp);
}

static const struct mc_grpc_scall_handler in_handler = { in_on_message, in_on_half_close,
                                                         in_on_cancel };

static uint64_t remaining_ms(uint64_t deadline)
{
    uint64_t now = mc_now_ms();

    if (deadline == 0)
        return 0;
    return deadline > now ? deadline - now : 1;
}

bool mc_proxy_forward(struct mc_grpc_scall *call, const char *service, void *arg)
{
    struct mc_proxy *p = arg;
    char endpoint[2 * MAX_NAME], ns[MAX_NAME], addr[MAX_NAME];
    struct mc_metadata md;
    struct mc_grpc_metadata wire;
    struct mc_error err;
    struct pipe *pp;
    struct mc_grpc_call_opts o = { 0 };
    int rc;

    mc_error_init(&err);
    mc_metadata_init(&md, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    mc_grpc_metadata_init(&wire);
    mc_metadata_from_grpc(&md, mc_grpc_scall_metadata(call));
    endpoint_of(mc_grpc_scall_path(call), endpoint, sizeof(endpoint));
    rc = authorize(p, service, endpoint, &md, &err, ns, sizeof(ns));
    if (rc == MC_OK && pick_node(p, ns, service, addr, sizeof(addr)) < 0) {
        route_error(&err, service);
        rc = MC_ENOTFOUND;
    }
    if (rc < 0) {
        mc_rpc_grpc_finish_error(call, &err);
        goto done;
    }
    mc_metadata_to_grpc(&md, &wire);
    o.path = mc_grpc_scall_path(call);
    o.content_type = mc_grpc_scall_content_type(call);
    o.metadata = &wire;
    o.timeout_ms = remaining_ms(mc_grpc_scall_deadline(call));
    pp = mc_calloc(1, sizeof(*pp));
    pp->in = call;
    if (mc_grpc_client_call(client_for(p, addr), &o, &out_handler, pp, &pp->out) < 0) {
        free(pp);
        mc_error_internal(&err, MC_ERROR_ID_CLIENT, "cannot call %s at %s", service, addr);
        mc_rpc_grpc_finish_error(call, &err);
        goto done;
    }
    mc_grpc_scall_set_handler(call, &in_handler, pp);
done:
    mc_grpc_metadata_release(&wire);
    mc_metadata_release(&md);
    mc_error_release(&err);
    return true;
}

/* ---- a unary JSON call for the gateway ---------------------------------------------- */

struct mc_proxy_call {
    struct mc_proxy *p;
    struct mc_grpc_ccall *out;
    struct mc_buf body;
    mc_proxy_done_fn done;
    void *arg;
    struct mc_error err;           /* an answer decided before any call was made */
    bool cancelled;
};

static void call_free(struct mc_proxy_call *c)
{
    mc_buf_release(&c->body);
    mc_error_release(&c->err);
    free(c);
}

static void call_on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct mc_proxy_call *c = arg;
    if (c->body.len == 0)
        mc_buf_append(&c->body, msg, len);
}

static void call_on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct mc_proxy_call *c = arg;
    struct mc_error err;

    if (!c->cancelled) {
        if (st->code == MC_GRPC_OK) {
            c->done(NULL, mc_buf_cstr(&c->body), c->body.len, c->arg);
        } else {
            mc_error_init(&err);
            mc_error_from_grpc_status(&err, st->code, mc_slice_cstr(st->message),
                                      (const uint8_t *)st->details, st->details_len);
            c->done(&err, "", 0, c->arg);
            mc_error_release(&err);
        }
    }
    call_free(c);
}

static const struct mc_grpc_ccall_handler call_handler = { NULL, call_on_message, call_on_done };

/* An answer known before any call: delivered from the loop, as promised. */
static void answer_deferred(struct mc_loop *loop, void *arg)
{
    struct mc_proxy_call *c = arg;

    if (!c->cancelled)
        c->done(&c->err, "", 0, c->arg);
    call_free(c);
}

struct mc_proxy_call *mc_proxy_call(struct mc_proxy *p, const char *service,
                                    const char *endpoint, const struct mc_metadata *md,
                                    const char *json, size_t len, uint64_t timeout_ms,
                                    mc_proxy_done_fn done, void *arg)
{
    struct mc_proxy_call *c = mc_calloc(1, sizeof(*c));
    char ns[MAX_NAME], addr[MAX_NAME], path[3 * MAX_NAME];
    const char *dot = strchr(endpoint, '.');
    struct mc_metadata fwd;
    struct mc_grpc_metadata wire;
    struct mc_grpc_call_opts o = { 0 };
    int rc;

    c->p = p;
    c->done = done;
    c->arg = arg;
    mc_buf_init(&c->body, MAX_BODY);
    mc_error_init(&c->err);
    mc_metadata_init(&fwd, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    mc_grpc_metadata_init(&wire);
    if (md)
        mc_metadata_copy(&fwd, md);
    rc = authorize(p, service, endpoint, &fwd, &c->err, ns, sizeof(ns));
    if (rc == MC_OK && pick_node(p, ns, service, addr, sizeof(addr)) < 0) {
        route_error(&c->err, service);
        rc = MC_ENOTFOUND;
    }
    if (rc == MC_OK) {
        snprintf(path, sizeof(path), "/%s.%.*s/%s", service, dot ? (int)(dot - endpoint) : 0,
                 endpoint, dot ? dot + 1 : "");
        mc_metadata_to_grpc(&fwd, &wire);
        o.path = path;
        o.content_type = "application/grpc+json";
        o.metadata = &wire;
        o.timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
        rc = mc_grpc_client_call(client_for(p, addr), &o, &call_handler, c, &c->out);
        if (rc == MC_OK) {
            mc_grpc_ccall_send(c->out, json, len);
            mc_grpc_ccall_close_send(c->out);
        } else {
            mc_error_internal(&c->err, MC_ERROR_ID_CLIENT, "cannot call %s at %s", service,
                              addr);
        }
    }
    if (rc < 0)
        mc_loop_defer(p->core->loop, answer_deferred, c);
    mc_grpc_metadata_release(&wire);
    mc_metadata_release(&fwd);
    return c;
}

void mc_proxy_call_cancel(struct mc_proxy_call *c)
{
    c->cancelled = true;
    if (c->out)
        mc_grpc_ccall_cancel(c->out);   /* on_done still comes and frees c */
}
