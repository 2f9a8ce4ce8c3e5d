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
    mc_rpc_unary_fn fn;
    void *arg;
};

struct mc_rpc_service {
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

int mc_rpc_service_handle(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                          const char *method, mc_rpc_unary_fn fn, void *arg)
{
    const ProtobufCMethodDescriptor *md = protobuf_c_service_descriptor_get_method_by_name(sd,
                                                                                         method);
    struct mc_rpc_method *m;

    if (!md)
        return MC_ENOTFOUND;
    for (size_t i = 0; i < svc->nmethods; i++)
        if (svc->methods[i].md == md)
            return MC_EEXIST;
    if (svc->nmethods == svc->capmethods) {
        svc->capmethods = svc->capmethods ? svc->capmethods * 2 : 8;
        svc->methods = mc_realloc(svc->methods, svc->capmethods * sizeof(*svc->methods));
    }
    m = &svc->methods[svc->nmethods++];
    memset(m, 0, sizeof(*m));
    m->svc = svc;
    m->sd = sd;
    m->md = md;
    m->fn = fn;
    m->arg = arg;
    snprintf(m->endpoint, sizeof(m->endpoint), "%s.%s", sd->short_name, md->name);
    return MC_OK;
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

static int decode_request(const struct mc_rpc_method *m, struct mc_rpc_ctx *ctx,
                          enum mc_codec codec, const uint8_t *req, size_t len,
                          ProtobufCMessage **msg)
{
    const ProtobufCMessageDescriptor *in = m->md->input;
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
    rc = decode_request(m, ctx, codec, req, len, &in);
    if (rc == MC_OK) {
        rsp = mc_arena_message(ctx->arena, m->md->output);
        rc = m->fn(ctx, in, rsp, m->arg);
        if (rc < 0 && ctx->err->code == 0)
            mc_error_internal(ctx->err, svc->name, "%s", mc_strerror(rc));
        if (rc == MC_OK)
            rc = encode_response(m, ctx, codec, rsp, out);
    }
    if (rc < 0)
        svc->errors++;
    return rc;
}
