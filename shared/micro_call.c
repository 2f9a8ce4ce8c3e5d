/*
 * Outgoing calls of a libmicro service: every call goes to the platform's
 * proxy (MICRO_PROXY) as a unary gRPC call with the service's namespace, its
 * access token and the metadata of the request being handled, and comes back
 * as a response or a micro error decoded as upstream's client does. The token
 * comes from the service account (MICRO_AUTH_ID/SECRET) and is refreshed with
 * its refresh token when less than a minute is left (spec §6.3), falling back
 * to the id and secret. The store, broker and events clients are thin
 * wrappers over the same call. They share one connection to the proxy, kept
 * open between calls (mc_grpc_sync).
 */
#include "micro_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.pb-c.h"
#include "broker.pb-c.h"
#include "events.pb-c.h"
#include "mc_common.h"
#include "mc_log.h"
#include "mc_pbjson.h"
#include "store.pb-c.h"
#include "mc_banned.h"

/* Largest answer accepted from another service (the gRPC default limit). */
#define MICRO_RESPONSE_MAX (32u * 1024 * 1024)
#define MICRO_KEY_MAX 1024
#define MICRO_VALUE_MAX (4u * 1024 * 1024)
#define MICRO_TOPIC_MAX 1024

/* "Helloworld.Call" + "helloworld" -> "/helloworld.Helloworld/Call". */
static int build_path(char *out, size_t n, const char *service, const char *endpoint)
{
    const char *dot = strchr(endpoint, '.');
    int len;

    if (!dot || dot == endpoint || !dot[1] || strchr(dot + 1, '.') || !*service)
        return MC_EINVAL;
    len = snprintf(out, n, "/%s.%.*s/%s", service, (int)(dot - endpoint), endpoint, dot + 1);
    return len > 0 && (size_t)len < n ? MC_OK : MC_EINVAL;
}

/* Transport and identity headers are the caller's own, never forwarded. */
static void drop_transport_keys(struct mc_metadata *md)
{
    static const char *const keys[] = { MC_MD_AUTHORIZATION, MC_MD_TIMEOUT, MC_MD_NAMESPACE,
                                        MC_MD_CONTENT_TYPE, "Content-Type", "Content-Length",
                                        "Grpc-Timeout" };

    for (size_t i = 0; i < MC_ARRAY_LEN(keys); i++)
        mc_metadata_del(md, keys[i]);
}

static void set_token(struct micro_token *t, const Auth__Token *tok)
{
    snprintf(t->access, sizeof(t->access), "%s", tok->access_token ? tok->access_token : "");
    snprintf(t->refresh, sizeof(t->refresh), "%s", tok->refresh_token ? tok->refresh_token : "");
    t->expiry = tok->expiry;
}

static int token_call(struct micro_service *svc, bool refresh, struct mc_error *err)
{
    Auth__TokenRequest req = AUTH__TOKEN_REQUEST__INIT;
    Auth__Options opts = AUTH__OPTIONS__INIT;
    ProtobufCMessage *rsp = NULL;
    int rc;

    opts.namespace_ = svc->ns;
    req.options = &opts;
    req.token_expiry = MICRO_TOKEN_EXPIRY_S;
    if (refresh) {
        req.refresh_token = svc->token.refresh;
    } else {
        req.id = svc->auth_id;
        req.secret = svc->auth_secret;
    }
    rc = micro__invoke_pb(svc, NULL, "auth", "Auth.Token", &req.base,
                          &auth__token_response__descriptor, &rsp, MICRO_CALL_TIMEOUT_MS, false,
                          err);
    if (rc == MC_OK) {
        const Auth__TokenResponse *tr = (const Auth__TokenResponse *)rsp;

        if (tr->token && tr->token->access_token && *tr->token->access_token)
            set_token(&svc->token, tr->token);
        else
            rc = MC_EPROTO;
        protobuf_c_message_free_unpacked(rsp, NULL);
    }
    return rc;
}

/* A token with more than a minute left, asking for one when needed. */
static int ensure_token(struct micro_service *svc, struct mc_error *err)
{
    int64_t now = mc_unix_time();
    int rc;

    if (!svc->auth_id)
        return MC_OK;
    if (svc->token.access[0] && svc->token.expiry - now > MICRO_TOKEN_REFRESH_S)
        return MC_OK;
    if (svc->token.refresh[0] && token_call(svc, true, err) == MC_OK)
        return MC_OK;
    rc = token_call(svc, false, err);
    if (rc < 0)
        mc_log_error("cannot get a token for account %s: %s", svc->auth_id,
                     err->detail ? err->detail : mc_strerror(rc));
    return rc;
}

int micro__call_metadata(struct micro_service *svc, struct micro_ctx *ctx, bool with_token,
                         struct mc_grpc_metadata *md, struct mc_error *err)
{
    struct mc_metadata carry;
    int rc = MC_OK;

    mc_metadata_init(&carry, MC_METADATA_MAX_PAIRS, MC_METADATA_MAX_BYTES);
    if (ctx && ctx->rc->md)
        mc_metadata_copy(&carry, ctx->rc->md);
    drop_transport_keys(&carry);
    if (ctx && ctx->out_init) {
        for (size_t i = 0; i < ctx->out.len && rc == MC_OK; i++)
            rc = mc_metadata_set(&carry, ctx->out.pairs[i].key, ctx->out.pairs[i].value);
    }
    mc_metadata_to_grpc(&carry, md);
    mc_metadata_release(&carry);
    mc_grpc_metadata_add_cstr(md, "micro-namespace", svc->ns);
    if (rc == MC_OK && with_token)
        rc = ensure_token(svc, err);
    if (rc == MC_OK && with_token && svc->token.access[0]) {
        char bearer[MICRO_TOKEN_MAX + 8];

        snprintf(bearer, sizeof(bearer), "Bearer %s", svc->token.access);
        mc_grpc_metadata_add_cstr(md, "authorization", bearer);
    }
    return rc;
}

static void transport_error(struct mc_error *err, const struct mc_grpc_unary_result *res)
{
    mc_error_from_grpc_status(err, res->code, mc_slice_cstr(res->message),
                              (const uint8_t *)res->details, res->details_len);
}

int micro__invoke(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
                  const char *endpoint, bool json, const void *body, size_t len,
                  uint64_t timeout_ms, bool with_token, struct mc_buf *out,
                  struct mc_error *err)
{
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { 0 };
    struct mc_grpc_unary_result res;
    char path[768];
    int rc;

    if (!service || !endpoint || build_path(path, sizeof(path), service, endpoint) < 0)
        return MC_EINVAL;
    mc_grpc_metadata_init(&md);
    rc = micro__call_metadata(svc, ctx, with_token, &md, err);
    if (rc < 0) {
        mc_grpc_metadata_release(&md);
        if (err->code == 0)
            mc_error_unauthorized(err, MC_ERROR_ID_CLIENT, "cannot get a token: %s",
                                  mc_strerror(rc));
        return MICRO_EREMOTE;
    }
    o.path = path;
    o.content_type = json ? "application/grpc+json" : "application/grpc+proto";
    o.metadata = &md;
    o.timeout_ms = timeout_ms ? timeout_ms : MICRO_CALL_TIMEOUT_MS;
    if (!svc->calls && !(svc->calls = mc_grpc_sync_new(svc->proxy, NULL))) {
        mc_grpc_metadata_release(&md);
        mc_error_internal(err, MC_ERROR_ID_CLIENT, "%s", mc_strerror(MC_EIO));
        return MICRO_EREMOTE;
    }
    rc = mc_grpc_sync_unary(svc->calls, &o, body, len, &res);
    mc_grpc_metadata_release(&md);
    if (rc < 0) {
        mc_error_internal(err, MC_ERROR_ID_CLIENT, "%s", mc_strerror(rc));
        return MICRO_EREMOTE;
    }
    if (res.code != MC_GRPC_OK) {
        transport_error(err, &res);
        rc = MICRO_EREMOTE;
    } else if (res.response && mc_buf_append(out, res.response, res.response_len) < 0) {
        rc = MC_ETOOBIG;
    }
    mc_grpc_unary_result_release(&res);
    return rc;
}

int micro__invoke_pb(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
                     const char *endpoint, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *rsp_desc, ProtobufCMessage **rsp,
                     uint64_t timeout_ms, bool with_token, struct mc_error *err)
{
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *body = mc_malloc(len ? len : 1);
    struct mc_buf out;
    int rc;

    *rsp = NULL;
    protobuf_c_message_pack(req, body);
    mc_buf_init(&out, MICRO_RESPONSE_MAX);
    rc = micro__invoke(svc, ctx, service, endpoint, false, body, len, timeout_ms, with_token,
                       &out, err);
    free(body);
    if (rc == MC_OK) {
        const uint8_t *data = (const uint8_t *)out.data;

        if (mc_pbjson_wire_check(rsp_desc, data, out.len, MC_PBJSON_MAX_DEPTH) < 0 ||
            !(*rsp = protobuf_c_message_unpack(rsp_desc, NULL, out.len, data)))
            rc = MC_EPROTO;
    }
    mc_buf_release(&out);
    return rc;
}

/* ---- the public calls ---------------------------------------------------------------- */

/* Runs f with an internal error and exports it to the caller's. */
static int finish_public(int rc, struct mc_error *e, struct micro_error *err)
{
    if (rc == MICRO_EREMOTE)
        micro__error_export(err, e);
    mc_error_release(e);
    return rc;
}

int micro_call(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
               const char *endpoint, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *rsp_desc, ProtobufCMessage **rsp,
               const struct micro_call_opts *opts, struct micro_error *err)
{
    struct mc_error e;

    if (!svc || !req || !rsp_desc || !rsp)
        return MICRO_EINVAL;
    mc_error_init(&e);
    return finish_public(micro__invoke_pb(svc, ctx, service, endpoint, req, rsp_desc, rsp,
                                          opts ? opts->timeout_ms : 0, true, &e),
                         &e, err);
}

int micro_call_json(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
                    const char *endpoint, const char *req_json, char **rsp_json,
                    const struct micro_call_opts *opts, struct micro_error *err)
{
    struct mc_error e;
    struct mc_buf out;
    const char *body = req_json ? req_json : "{}";
    int rc;

    if (!svc || !rsp_json)
        return MICRO_EINVAL;
    *rsp_json = NULL;
    mc_error_init(&e);
    mc_buf_init(&out, MICRO_RESPONSE_MAX);
    rc = micro__invoke(svc, ctx, service, endpoint, true, body, strlen(body),
                       opts ? opts->timeout_ms : 0, true, &out, &e);
    if (rc == MC_OK)
        *rsp_json = mc_strdup(mc_buf_cstr(&out));
    mc_buf_release(&out);
    return finish_public(rc, &e, err);
}

/* ---- store --------------------------------------------------------------------------- */

static bool key_ok(const char *key)
{
    return key && *key && strlen(key) <= MICRO_KEY_MAX;
}

int micro_store_write(struct micro_service *svc, const char *key, const void *value,
                      size_t len, int64_t ttl_s, struct micro_error *err)
{
    Store__WriteRequest req = STORE__WRITE_REQUEST__INIT;
    Store__Record rec = STORE__RECORD__INIT;
    Store__WriteOptions opts = STORE__WRITE_OPTIONS__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !key_ok(key) || (!value && len) || len > MICRO_VALUE_MAX || ttl_s < 0)
        return MICRO_EINVAL;
    rec.key = (char *)key;
    rec.value.data = (uint8_t *)value;
    rec.value.len = len;
    rec.expiry = ttl_s;
    opts.database = svc->ns;
    opts.table = svc->name;
    req.record = &rec;
    req.options = &opts;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "store", "Store.Write", &req.base,
                          &store__write_response__descriptor, &rsp, 0, true, &e);
    protobuf_c_message_free_unpacked(rsp, NULL);
    return finish_public(rc, &e, err);
}

int micro_store_read(struct micro_service *svc, const char *key, char **value, size_t *len,
                     struct micro_error *err)
{
    Store__ReadRequest req = STORE__READ_REQUEST__INIT;
    Store__ReadOptions opts = STORE__READ_OPTIONS__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !key_ok(key) || !value || !len)
        return MICRO_EINVAL;
    *value = NULL;
    *len = 0;
    opts.database = svc->ns;
    opts.table = svc->name;
    req.key = (char *)key;
    req.options = &opts;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "store", "Store.Read", &req.base,
                          &store__read_response__descriptor, &rsp, 0, true, &e);
    if (rc == MICRO_EREMOTE && e.code == 404)
        rc = MICRO_ENOTFOUND;
    if (rc == MC_OK) {
        const Store__ReadResponse *r = (const Store__ReadResponse *)rsp;

        if (r->n_records == 0) {
            rc = MICRO_ENOTFOUND;
        } else {
            const ProtobufCBinaryData *v = &r->records[0]->value;

            *value = mc_malloc(v->len + 1);
            if (v->len)
                memcpy(*value, v->data, v->len);
            (*value)[v->len] = '\0';
            *len = v->len;
        }
    }
    protobuf_c_message_free_unpacked(rsp, NULL);
    return finish_public(rc, &e, err);
}

int micro_store_delete(struct micro_service *svc, const char *key, struct micro_error *err)
{
    Store__DeleteRequest req = STORE__DELETE_REQUEST__INIT;
    Store__DeleteOptions opts = STORE__DELETE_OPTIONS__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !key_ok(key))
        return MICRO_EINVAL;
    opts.database = svc->ns;
    opts.table = svc->name;
    req.key = (char *)key;
    req.options = &opts;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "store", "Store.Delete", &req.base,
                          &store__delete_response__descriptor, &rsp, 0, true, &e);
    if (rc == MICRO_EREMOTE && e.code == 404)
        rc = MICRO_OK;
    protobuf_c_message_free_unpacked(rsp, NULL);
    return finish_public(rc, &e, err);
}

int micro_store_list(struct micro_service *svc, const char *prefix, uint64_t limit,
                     void (*fn)(const char *key, void *user), void *user,
                     struct micro_error *err)
{
    Store__ListRequest req = STORE__LIST_REQUEST__INIT;
    Store__ListOptions opts = STORE__LIST_OPTIONS__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !fn || (prefix && strlen(prefix) > MICRO_KEY_MAX))
        return MICRO_EINVAL;
    opts.database = svc->ns;
    opts.table = svc->name;
    opts.prefix = (char *)(prefix ? prefix : "");
    opts.limit = limit;
    req.options = &opts;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "store", "Store.List", &req.base,
                          &store__list_response__descriptor, &rsp, 0, true, &e);
    if (rc == MC_OK) {
        const Store__ListResponse *r = (const Store__ListResponse *)rsp;

        for (size_t i = 0; i < r->n_keys; i++)
            fn(r->keys[i], user);
        rc = r->n_keys > INT32_MAX ? INT32_MAX : (int)r->n_keys;
    }
    protobuf_c_message_free_unpacked(rsp, NULL);
    return finish_public(rc, &e, err);
}

/* ---- broker and events publishing ---------------------------------------------------- */

int micro_broker_publish(struct micro_service *svc, const char *topic, const void *body,
                         size_t len, struct micro_error *err)
{
    Broker__PublishRequest req = BROKER__PUBLISH_REQUEST__INIT;
    Broker__Message msg = BROKER__MESSAGE__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !topic || !*topic || strlen(topic) > MICRO_TOPIC_MAX || (!body && len) ||
        len > MICRO_VALUE_MAX)
        return MICRO_EINVAL;
    msg.body.data = (uint8_t *)body;
    msg.body.len = len;
    req.topic = (char *)topic;
    req.message = &msg;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "broker", "Broker.Publish", &req.base,
                          &broker__empty__descriptor, &rsp, 0, true, &e);
    protobuf_c_message_free_unpacked(rsp, NULL);
    return finish_public(rc, &e, err);
}

int micro_events_publish(struct micro_service *svc, const char *topic, const void *payload,
                         size_t len, const char *const *keys, const char *const *values,
                         size_t n_meta, struct micro_error *err)
{
    Events__PublishRequest req = EVENTS__PUBLISH_REQUEST__INIT;
    Events__PublishRequest__MetadataEntry *entries;
    Events__PublishRequest__MetadataEntry **ptrs;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !topic || !*topic || strlen(topic) > MICRO_TOPIC_MAX || (!payload && len) ||
        len > MICRO_VALUE_MAX || (n_meta && (!keys || !values)) || n_meta > 128)
        return MICRO_EINVAL;
    entries = mc_calloc(n_meta ? n_meta : 1, sizeof(*entries));
    ptrs = mc_calloc(n_meta ? n_meta : 1, sizeof(*ptrs));
    for (size_t i = 0; i < n_meta; i++) {
        events__publish_request__metadata_entry__init(&entries[i]);
        entries[i].key = (char *)keys[i];
        entries[i].value = (char *)values[i];
        ptrs[i] = &entries[i];
    }
    req.topic = (char *)topic;
    req.payload.data = (uint8_t *)payload;
    req.payload.len = len;
    req.metadata = ptrs;
    req.n_metadata = n_meta;
    req.timestamp = mc_unix_time();
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "events", "Stream.Publish", &req.base,
                          &events__publish_response__descriptor, &rsp, 0, true, &e);
    protobuf_c_message_free_unpacked(rsp, NULL);
    free(entries);
    free(ptrs);
    return finish_public(rc, &e, err);
}
