/* The HTTP API gateway: see api.h. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mc_codec.h"
#include "mc_error.h"
#include "mc_http_server.h"
#include "mc_log.h"
#include "mc_metadata.h"
#include "mc_pbjson.h"
#include "mc_rpc.h"
#include "mc_rpc_hold.h"
#include "proxy/proxy.h"
#include "mc_banned.h"

#define MAX_NAME 256
#define MAX_PARTS 16
#define MAX_QUERY_PARAMS 256
#define MAX_RESPONSE (32u * 1024u * 1024u)
#define API_ERROR_ID "go.micro.api"

struct mc_api {
    struct mc_http_server *http;
    struct mc_rpc_server *rpc;
    struct mc_proxy *proxy;     /* for services not served in process; may be NULL */
    struct mc_rpc_hold *hold;   /* answers waiting for the round's commit */
};

/* ---- path resolution ------------------------------------------------------------ */

/* Appends part Title-Cased on '-' ("get-service" and "getService" -> "GetService"). */
static int append_title(char *out, size_t cap, size_t *n, const char *part, size_t len)
{
    bool upper = true;

    for (size_t i = 0; i < len; i++) {
        char ch = part[i];
        if (ch == '-') {
            upper = true;
            continue;
        }
        if (*n + 1 >= cap)
            return MC_EINVAL;
        out[(*n)++] = upper ? (char)toupper((unsigned char)ch) : ch;
        upper = false;
    }
    out[*n] = '\0';
    return MC_OK;
}

static bool is_version(const char *p, size_t len)
{
    if (len < 2 || p[0] != 'v')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

/* Appends parts [from, to) of the path joined with '.'. */
static int join_parts(char *out, size_t cap, const char *const *part, const size_t *plen,
                      size_t from, size_t to)
{
    size_t n = 0;

    for (size_t k = from; k < to; k++) {
        if (n + plen[k] + 2 > cap)
            return MC_EINVAL;
        if (k > from)
            out[n++] = '.';
        memcpy(out + n, part[k], plen[k]);
        n += plen[k];
    }
    out[n] = '\0';
    return MC_OK;
}

int mc_api_resolve(const char *path, size_t len, char *service, size_t svclen, char *endpoint,
                   size_t eplen)
{
    const char *part[MAX_PARTS];
    size_t plen[MAX_PARTS], n = 0, i = 0, en = 0, svc_end;
    const char *handler, *method = "call";
    size_t hlen, mlen = 4;

    while (i < len) {
        size_t j;
        while (i < len && path[i] == '/')
            i++;
        for (j = i; j < len && path[j] != '/'; j++)
            ;
        if (j > i) {
            if (n == MAX_PARTS)
                return MC_EINVAL;
            part[n] = path + i;
            plen[n++] = j - i;
        }
        i = j;
    }
    if (n == 0)
        return MC_EINVAL;
    if (n <= 2) {
        /* /svc -> svc, Svc.Call; /svc/method -> svc, Svc.Method */
        svc_end = 1;
        handler = part[0];
        hlen = plen[0];
    } else {
        /* /v1/svc/method -> v1.svc, Svc.Method; /a/b/c/d -> a.b, C.D */
        svc_end = n == 3 && is_version(part[0], plen[0]) ? 2 : n - 2;
        handler = part[n - 2];
        hlen = plen[n - 2];
    }
    if (n >= 2) {
        method = part[n - 1];
        mlen = plen[n - 1];
    }
    if (join_parts(service, svclen, part, plen, 0, svc_end) < 0 ||
        append_title(endpoint, eplen, &en, handler, hlen) < 0 || en + 2 >= eplen)
        return MC_EINVAL;
    endpoint[en++] = '.';
    endpoint[en] = '\0';
    return append_title(endpoint, eplen, &en, method, mlen);
}

/* ---- request body ---------------------------------------------------------------- */

/* Sets root["a"]["b"] = value for key "a.b", creating objects on the way. */
static void set_nested(cJSON *root, const char *key, const char *value)
{
    char name[MAX_NAME];
    const char *dot;
    cJSON *child;

    while ((dot = strchr(key, '.')) != NULL && (size_t)(dot - key) < sizeof(name)) {
        memcpy(name, key, (size_t)(dot - key));
        name[dot - key] = '\0';
        child = cJSON_GetObjectItemCaseSensitive(root, name);
        if (!cJSON_IsObject(child)) {
            cJSON_DeleteItemFromObjectCaseSensitive(root, name);
            child = cJSON_AddObjectToObject(root, name);
        }
        root = child;
        key = dot + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    cJSON_AddStringToObject(root, key, value);
}

static int add_params(cJSON *root, struct mc_slice text, struct mc_error *err)
{
    struct mc_http1_params ps = { 0 };

    if (mc_http1_query_parse(text, MAX_QUERY_PARAMS, &ps) < 0) {
        mc_error_bad_request(err, API_ERROR_ID, "malformed query or form parameters");
        return MC_EINVAL;
    }
    for (size_t i = 0; i < ps.len; i++)
        set_nested(root, ps.items[i].key, ps.items[i].value);
    mc_http1_params_release(&ps);
    return MC_OK;
}

static bool content_type_is(const struct mc_http1_request *r, const char *type)
{
    const struct mc_http1_header *h = mc_http1_header_find(r, "Content-Type");
    size_t n = strlen(type);

    return h && h->value.len >= n && strncasecmp(h->value.ptr, type, n) == 0;
}

/*
 * The request JSON (spec §4.7): a body passes through untouched when there is
 * no query; otherwise the query's fields (nested on '.') are merged over the
 * body's object. Form bodies become objects of strings.
 */
static int build_request(const struct mc_http1_request *r, struct mc_slice query,
                         struct mc_buf *out, struct mc_error *err)
{
    bool form = content_type_is(r, "application/x-www-form-urlencoded");
    struct mc_pbjson_err jerr = { 0 };
    cJSON *root = NULL;
    char *text;
    int rc = MC_OK;

    if (query.len == 0 && !form)
        return mc_buf_append(out, r->body.len ? r->body.ptr : "{}", r->body.len ? r->body.len : 2);
    if (r->body.len > 0 && !form) {
        if (mc_pbjson_parse(r->body.ptr, r->body.len, &root, &jerr) < 0 || !cJSON_IsObject(root)) {
            mc_error_bad_request(err, API_ERROR_ID, "request body is not a JSON object");
            cJSON_Delete(root);
            return MC_EINVAL;
        }
    } else {
        root = cJSON_CreateObject();
    }
    if (form)
        rc = add_params(root, r->body, err);
    if (rc == MC_OK)
        rc = add_params(root, query, err);
    if (rc == MC_OK) {
        mc_pbjson_numbers_to_raw(root);
        text = cJSON_PrintUnformatted(root);
        rc = mc_buf_append_str(out, text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- the handler ---------------------------------------------------------------- */

static void add_cors(struct mc_http_exchange *ex, const struct mc_http1_request *r)
{
    const struct mc_http1_header *origin = mc_http1_header_find(r, "Origin");
    char value[1024];

    snprintf(value, sizeof(value), "%.*s", origin ? (int)origin->value.len : 1,
             origin ? origin->value.ptr : "*");
    mc_http_exchange_add_header(ex, "Access-Control-Allow-Origin", value);
    mc_http_exchange_add_header(ex, "Access-Control-Allow-Credentials", "true");
    mc_http_exchange_add_header(ex, "Access-Control-Allow-Methods",
                                "POST, PATCH, GET, OPTIONS, PUT, DELETE");
    mc_http_exchange_add_header(ex, "Access-Control-Allow-Headers",
                                "Accept, Content-Type, Content-Length, Accept-Encoding, "
                                "X-CSRF-Token, Authorization, Micro-Namespace");
}

static void respond_error(struct mc_http_exchange *ex, const struct mc_error *err)
{
    struct mc_buf body;
    int status = err->code >= 100 && err->code <= 599 ? err->code : 500;

    mc_buf_init(&body, 2 * MC_ERROR_TEXT_MAX);
    mc_error_to_json(err, &body);
    mc_http_exchange_add_header(ex, "Content-Type", "application/json");
    mc_http_exchange_respond(ex, status, body.data, body.len);
    mc_buf_release(&body);
}

/* A service's JSON answer; an empty body is 204, as upstream's gateway answers it. */
static void respond_ok(struct mc_http_exchange *ex, const char *body, size_t len)
{
    if (len == 0) {
        mc_http_exchange_respond(ex, 204, "", 0);
        return;
    }
    mc_http_exchange_add_header(ex, "Content-Type", "application/json");
    mc_http_exchange_respond(ex, 200, body, len);
}

/* ---- answers held for the round's commit (mc_rpc_hold.h) -------------------------------- */

struct held_answer {
    struct mc_http_exchange *ex;   /* valid until answered, even if the client left */
    struct mc_buf body;
};

static void held_settled(const struct mc_error *err, void *arg)
{
    struct held_answer *h = arg;

    if (err)
        respond_error(h->ex, err);
    else
        respond_ok(h->ex, mc_buf_cstr(&h->body), h->body.len);
    mc_buf_release(&h->body);
    free(h);
}

/* Keeps out (taken over) as ex's answer when m's writes are pending: true. */
static bool hold_answer(struct mc_api *api, struct mc_http_exchange *ex,
                        const struct mc_rpc_method *m, struct mc_buf *out)
{
    struct held_answer *h = mc_calloc(1, sizeof(*h));

    h->ex = ex;
    h->body = *out;
    if (mc_rpc_hold_if_pending(api->hold, m, held_settled, h)) {
        mc_buf_init(out, MAX_RESPONSE);
        return true;
    }
    free(h);
    return false;
}

/* ---- calls to services in other processes, through the proxy --------------------------- */

struct forwarded {
    struct mc_http_exchange *ex;
    struct mc_proxy_call *pc;
};

static void forwarded_done(const struct mc_error *err, const char *body, size_t len, void *arg)
{
    struct forwarded *fw = arg;

    mc_http_exchange_on_abort(fw->ex, NULL, NULL);
    if (err)
        respond_error(fw->ex, err);
    else
        respond_ok(fw->ex, body, len);
    free(fw);
}

static void forwarded_abort(struct mc_http_exchange *ex, void *arg)
{
    struct forwarded *fw = arg;

    mc_proxy_call_cancel(fw->pc);   /* forwarded_done will not run */
    mc_http_exchange_respond(ex, 499, "", 0);   /* releases the exchange (a no-op send) */
    free(fw);
}

static void forward(struct mc_api *api, struct mc_http_exchange *ex, const char *service,
                    const char *endpoint, const struct mc_metadata *md, const struct mc_buf *req)
{
    struct forwarded *fw = mc_calloc(1, sizeof(*fw));

    fw->ex = ex;
    mc_http_exchange_on_abort(ex, forwarded_abort, fw);
    fw->pc = mc_proxy_call(api->proxy, service, endpoint, md, mc_buf_cstr(req), req->len, 0,
                           forwarded_done, fw);
}

/* Request headers become metadata (canonical keys), as upstream's gateway does. */
static void headers_to_metadata(const struct mc_http1_request *r, struct mc_metadata *md)
{
    for (size_t i = 0; i < r->nheaders; i++)
        mc_metadata_addn(md, r->headers[i].name, r->headers[i].value);
}

static void call_service(struct mc_api *api, struct mc_http_exchange *ex,
                         const struct mc_http1_request *r, struct mc_slice path,
                         struct mc_slice query)
{
    char service[MAX_NAME], endpoint[MAX_NAME], grpc_path[2 * MAX_NAME + 4];
    const struct mc_rpc_method *m = NULL;
    struct mc_error err;
    struct mc_arena arena;
    struct mc_metadata md;
    struct mc_buf req, out;
    struct mc_rpc_ctx ctx = { 0 };
    const char *dot;

    mc_error_init(&err);
    mc_buf_init(&req, MAX_RESPONSE);
    mc_buf_init(&out, MAX_RESPONSE);
    mc_arena_init(&arena);
    mc_metadata_init(&md, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    if (mc_api_resolve(path.ptr, path.len, service, sizeof(service), endpoint,
                       sizeof(endpoint)) < 0) {
        mc_error_not_found(&err, API_ERROR_ID, "no service for path %.*s", (int)path.len, path.ptr);
        goto fail;
    }
    dot = strchr(endpoint, '.');
    snprintf(grpc_path, sizeof(grpc_path), "/%s.%.*s/%s", service, (int)(dot - endpoint),
             endpoint, dot + 1);
    switch (mc_rpc_route(api->rpc, grpc_path, &m, NULL, &err)) {
    case MC_OK:
        break;
    case MC_EUNSUPPORTED: {
        /* Upstream's gateway reaches the service through a client, which turns the
         * plain Unimplemented status into 500 go.micro.client with that text. */
        char *detail = mc_strdup(err.detail ? err.detail : "");
        mc_error_internal(&err, MC_ERROR_ID_CLIENT, "%s", detail);
        free(detail);
        goto fail;
    }
    case MC_ENOTFOUND:
        if (api->proxy)
            break;   /* not served here: forwarded below */
        /* fall through */
    default:
        mc_error_internal(&err, MC_ERROR_ID_CLIENT, "service %s: route not found", service);
        goto fail;
    }
    if (build_request(r, query, &req, &err) < 0) {
        if (err.code == 0)
            mc_error_bad_request(&err, API_ERROR_ID, "request too large");
        goto fail;
    }
    headers_to_metadata(r, &md);
    if (!m) {
        forward(api, ex, service, endpoint, &md, &req);
        goto done;
    }
    ctx.arena = &arena;
    ctx.md = &md;
    ctx.ns = mc_metadata_namespace(&md);
    ctx.err = &err;
    ctx.hold_answer = true;   /* the group commit: see hold_answer */
    if (mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)req.data, req.len, &out) < 0)
        goto fail;
    if (!hold_answer(api, ex, m, &out))
        respond_ok(ex, mc_buf_cstr(&out), out.len);
    goto done;
fail:
    respond_error(ex, &err);
done:
    mc_metadata_release(&md);
    mc_arena_release(&arena);
    mc_buf_release(&out);
    mc_buf_release(&req);
    mc_error_release(&err);
}

static void on_request(struct mc_http_exchange *ex, void *arg)
{
    struct mc_api *api = arg;
    const struct mc_http1_request *r = mc_http_exchange_request(ex);
    struct mc_slice path, query;
    char version[64];

    add_cors(ex, r);
    if (mc_slice_eq_cstr(r->method, "OPTIONS")) {
        mc_http_exchange_respond(ex, 200, "", 0);
        return;
    }
    mc_http1_target_split(r->target, &path, &query);
    if (mc_slice_eq_cstr(path, "/")) {
        int n = snprintf(version, sizeof(version), "{\"version\": \"%s\"}", MICRO_VERSION);
        mc_http_exchange_add_header(ex, "Content-Type", "text/plain; charset=utf-8");
        mc_http_exchange_respond(ex, 200, version, (size_t)n);
        return;
    }
    if (mc_slice_eq_cstr(path, "/favicon.ico")) {
        mc_http_exchange_respond(ex, 200, "", 0);
        return;
    }
    call_service(api, ex, r, path, query);
}

/* Errors the HTTP server answers itself (malformed or oversized requests) come back
 * as micro errors too, like every other error of the gateway. */
static const char *error_body(int status, const char *detail, struct mc_buf *body, void *arg)
{
    struct mc_error err;

    mc_error_init(&err);
    mc_error_set(&err, API_ERROR_ID, status, "%s", detail);
    mc_error_to_json(&err, body);
    mc_error_release(&err);
    return "application/json";
}

struct mc_api *mc_api_new(struct mc_loop *loop, struct mc_rpc_server *rpc,
                          struct mc_proxy *proxy)
{
    struct mc_api *api = mc_calloc(1, sizeof(*api));
    struct mc_http_server_options opts;

    api->rpc = rpc;
    api->proxy = proxy;
    api->hold = mc_rpc_hold_new(loop, rpc);
    mc_http_server_options_default(&opts);
    opts.error_body = error_body;
    api->http = mc_http_server_new(loop, &opts, on_request, api);
    return api;
}

int mc_api_listen(struct mc_api *api, const char *addr, char *err, size_t errlen)
{
    return mc_http_server_listen(api->http, addr, err, errlen);
}

const char *mc_api_addr(const struct mc_api *api)
{
    return mc_http_server_address(api->http);
}

void mc_api_free(struct mc_api *api)
{
    if (!api)
        return;
    mc_rpc_hold_free(api->hold);   /* held answers go out first */
    mc_http_server_free(api->http);
    free(api);
}
