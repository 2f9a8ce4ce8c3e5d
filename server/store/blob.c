/* The store service's BlobStore handler (spec §8): blobs by (namespace, key) in the
 * storage layer. Read streams the blob in MC_STORE_BLOB_CHUNK pieces; Write is a
 * client stream whose first message carries the key and options and whose blob
 * bytes are gathered (up to MC_STORAGE_VALUE_MAX) and stored on half-close, so a
 * cancelled upload stores nothing. The namespace is options.namespace, else the
 * caller's. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "mc_rpc.h"
#include "storage/storage.h"
#include "store.h"
#include "store.pb-c.h"
#include "store_internal.h"
#include "mc_banned.h"

static const char *ns_of(const struct mc_rpc_ctx *ctx, const Store__BlobOptions *o)
{
    return o && o->namespace_ && *o->namespace_ ? o->namespace_ : ctx->ns;
}

/* The checks every blob call starts with: the caller may use ns, and a key is given. */
static int check(struct mc_store_service *ss, struct mc_rpc_ctx *ctx, const char *ns,
                 const char *key, const char *id)
{
    int rc = mc_core_require_admin(ss->core, ctx, ns, id);

    if (rc == MC_OK && (!key || !*key)) {
        mc_error_bad_request(ctx->err, id, "no key specified");
        rc = MC_EINVAL;
    }
    return rc;
}

/* ---- Read: a server stream of chunks ------------------------------------------------------ */

static int read_send(struct mc_store_service *ss, struct mc_rpc_stream *st,
                     const Store__BlobReadRequest *in)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    const char *id = "store.BlobStore.Read", *ns = ns_of(ctx, in->options);
    Store__BlobReadResponse out = STORE__BLOB_READ_RESPONSE__INIT;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;

    if ((rc = check(ss, ctx, ns, in->key, id)) < 0)
        return rc;
    rc = mc_storage_blob_get(ss->core->storage, ns, in->key, &data, &len);
    if (rc < 0)
        return mc_store_fail(ctx->err, id, rc, "key or namespace too long");
    for (size_t off = 0; off < len && rc == MC_OK; off += out.blob.len) {
        out.blob.data = data + off;
        out.blob.len = len - off < MC_STORE_BLOB_CHUNK ? len - off : MC_STORE_BLOB_CHUNK;
        rc = mc_rpc_stream_send(st, &out.base);
    }
    free(data);
    if (rc < 0)
        mc_error_internal(ctx->err, id, "cannot send the blob: %s", mc_strerror(rc));
    return rc;
}

static void read_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    int rc = read_send(arg, st, (const Store__BlobReadRequest *)msg);
    mc_rpc_stream_finish(st, rc < 0 ? mc_rpc_stream_ctx(st)->err : NULL);
}

static void read_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);

    (void)arg;
    mc_error_bad_request(ctx->err, "store.BlobStore.Read", "no request sent");
    mc_rpc_stream_finish(st, ctx->err);
}

static const struct mc_rpc_stream_ops read_ops = { read_on_message, read_on_half_close, NULL };

static int read_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &read_ops, arg);
    return MC_OK;
}

/* ---- Write: a client stream gathered in memory --------------------------------------------- */

struct blob_upload {
    struct mc_store_service *ss;
    char *ns, *key;          /* from the first message; NULL before it */
    struct mc_buf data;      /* capped at MC_STORAGE_VALUE_MAX */
};

static void upload_free(struct blob_upload *u)
{
    free(u->ns);
    free(u->key);
    mc_buf_release(&u->data);
    free(u);
}

/* Ends the stream (with ctx->err when rc < 0) and frees the upload. */
static void upload_finish(struct mc_rpc_stream *st, struct blob_upload *u, int rc)
{
    mc_rpc_stream_finish(st, rc < 0 ? mc_rpc_stream_ctx(st)->err : NULL);
    upload_free(u);
}

static void write_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    const Store__BlobWriteRequest *in = (const Store__BlobWriteRequest *)msg;
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct blob_upload *u = arg;
    const char *id = "store.BlobStore.Write";
    int rc;

    if (!u->key) {
        const char *ns = ns_of(ctx, in->options);
        if ((rc = check(u->ss, ctx, ns, in->key, id)) < 0) {
            upload_finish(st, u, rc);
            return;
        }
        u->ns = mc_strdup(ns);
        u->key = mc_strdup(in->key);
    }
    if (mc_buf_append(&u->data, in->blob.data, in->blob.len) < 0) {
        mc_error_bad_request(ctx->err, id, "blob larger than %u bytes", MC_STORAGE_VALUE_MAX);
        upload_finish(st, u, MC_ETOOBIG);
    }
}

static void write_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct blob_upload *u = arg;
    const char *id = "store.BlobStore.Write";
    Store__BlobWriteResponse out = STORE__BLOB_WRITE_RESPONSE__INIT;
    int rc;

    if (!u->key) {
        mc_error_bad_request(ctx->err, id, "no key specified");
        upload_finish(st, u, MC_EINVAL);
        return;
    }
    rc = mc_storage_blob_put(u->ss->core->storage, u->ns, u->key, u->data.data, u->data.len);
    if (rc < 0)
        mc_store_fail(ctx->err, id, rc, "key or namespace too long");
    else if ((rc = mc_rpc_stream_send(st, &out.base)) < 0)
        mc_error_internal(ctx->err, id, "cannot answer: %s", mc_strerror(rc));
    upload_finish(st, u, rc);
}

static void write_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    (void)st;
    upload_free(arg);
}

static const struct mc_rpc_stream_ops write_ops = { write_on_message, write_on_half_close,
                                                    write_on_cancel };

static int write_open(struct mc_rpc_stream *st, void *arg)
{
    struct blob_upload *u = mc_calloc(1, sizeof(*u));

    u->ss = arg;
    mc_buf_init(&u->data, MC_STORAGE_VALUE_MAX);
    mc_rpc_stream_set_ops(st, &write_ops, u);
    return MC_OK;
}

/* ---- Delete and List ------------------------------------------------------------------------ */

static int delete_(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__BlobDeleteRequest *in = (const Store__BlobDeleteRequest *)req;
    const char *id = "store.BlobStore.Delete", *ns = ns_of(ctx, in->options);
    int rc;

    (void)rsp;
    if ((rc = check(ss, ctx, ns, in->key, id)) < 0)
        return rc;
    rc = mc_storage_blob_delete(ss->core->storage, ns, in->key);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "key or namespace too long") : MC_OK;
}

static int list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__BlobListRequest *in = (const Store__BlobListRequest *)req;
    Store__BlobListResponse *out = (Store__BlobListResponse *)rsp;
    const Store__BlobListOptions *o = in->options;
    const char *id = "store.BlobStore.List";
    const char *ns = o && o->namespace_ && *o->namespace_ ? o->namespace_ : ctx->ns;
    struct mc_storage_items items = { 0 };
    int rc;

    if ((rc = mc_core_require_admin(ss->core, ctx, ns, id)) < 0)
        return rc;
    rc = mc_storage_blob_keys(ss->core->storage, ns, o ? o->prefix : NULL, &items);
    if (rc == MC_OK) {
        out->n_keys = items.n;
        out->keys = mc_arena_alloc(ctx->arena, items.n * sizeof(*out->keys));
        for (size_t i = 0; i < items.n; i++)
            out->keys[i] = mc_arena_strdup(ctx->arena, items.v[i].key);
    }
    mc_storage_items_release(&items);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "prefix or namespace too long") : MC_OK;
}

int mc_store_blob_register(struct mc_store_service *ss, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &store__blob_store__descriptor;
    int rc;

    if ((rc = mc_rpc_service_handle_stream(svc, sd, "Read", MC_RPC_STREAM_SERVER, read_open,
                                           ss)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, sd, "Write", MC_RPC_STREAM_CLIENT, write_open,
                                           ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Delete", delete_, ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "List", list, ss)) < 0)
        return rc;
    return MC_OK;
}
