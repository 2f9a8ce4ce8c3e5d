/* The store service's Store handler and its registration: see store.h. Records
 * read from storage are copied into the request's arena, because the response is
 * encoded after the handler returns and the storage list is freed before that. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "storage/storage.h"
#include "store.pb-c.h"
#include "store_internal.h"
#include "mc_banned.h"

int mc_store_fail(struct mc_error *err, const char *id, int rc, const char *what)
{
    if (rc == MC_ENOTFOUND)
        mc_error_not_found(err, id, "not found");
    else if (rc == MC_EINVAL)
        mc_error_bad_request(err, id, "%s", what);
    else
        mc_error_internal(err, id, "cannot access the store: %s", mc_strerror(rc));
    return rc;
}

/* ---- request options ------------------------------------------------------------------- */

static const char *database_of(const struct mc_rpc_ctx *ctx, const char *field)
{
    return field && *field ? field : ctx->ns;
}

static const char *table_of(const char *field)
{
    return field && *field ? field : MC_STORAGE_DEFAULT;
}

/* "asc" (or empty) and "desc" are the orders upstream knows: anything else is 400. */
static int parse_order(const char *order, bool *desc, struct mc_error *err, const char *id)
{
    *desc = false;
    if (!order || !*order || strcmp(order, "asc") == 0)
        return MC_OK;
    if (strcmp(order, "desc") == 0) {
        *desc = true;
        return MC_OK;
    }
    mc_error_bad_request(err, id, "invalid order \"%s\" (want asc or desc)", order);
    return MC_EINVAL;
}

/* ---- records between the wire and storage ------------------------------------------------- */

/* The metadata map as a JSON object {"k":{"type":"..","value":".."}} in *out (cJSON's
 * allocation; NULL when the record has none). A key given twice keeps its last value,
 * as in a Go map. MC_ENOMEM when cJSON cannot allocate. */
static int metadata_to_json(const Store__Record *r, char **out)
{
    cJSON *obj;

    *out = NULL;
    if (r->n_metadata == 0)
        return MC_OK;
    if (!(obj = cJSON_CreateObject()))
        return MC_ENOMEM;
    for (size_t i = 0; i < r->n_metadata; i++) {
        const Store__Record__MetadataEntry *e = r->metadata[i];
        cJSON *f = cJSON_CreateObject();

        cJSON_AddStringToObject(f, "type", e->value && e->value->type ? e->value->type : "");
        cJSON_AddStringToObject(f, "value", e->value && e->value->value ? e->value->value : "");
        if (cJSON_GetObjectItemCaseSensitive(obj, e->key ? e->key : ""))
            cJSON_ReplaceItemInObjectCaseSensitive(obj, e->key ? e->key : "", f);
        else
            cJSON_AddItemToObject(obj, e->key ? e->key : "", f);
    }
    *out = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return *out ? MC_OK : MC_ENOMEM;
}

static char *json_string_or_empty(struct mc_arena *a, const cJSON *obj, const char *name)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, name);
    return mc_arena_strdup(a, cJSON_IsString(s) ? s->valuestring : "");
}

/* Fills r's metadata from the stored JSON text (ours: anything else reads as none). */
static void metadata_from_json(struct mc_arena *a, const char *text, Store__Record *r)
{
    cJSON *obj = text ? cJSON_Parse(text) : NULL;
    const cJSON *f;
    size_t n = 0;

    if (cJSON_IsObject(obj)) {
        r->metadata = mc_arena_alloc(a, (size_t)cJSON_GetArraySize(obj) * sizeof(*r->metadata));
        cJSON_ArrayForEach(f, obj) {
            Store__Record__MetadataEntry *e = mc_arena_alloc(a, sizeof(*e));
            store__record__metadata_entry__init(e);
            e->key = mc_arena_strdup(a, f->string);
            e->value = mc_arena_alloc(a, sizeof(*e->value));
            store__field__init(e->value);
            e->value->type = json_string_or_empty(a, f, "type");
            e->value->value = json_string_or_empty(a, f, "value");
            r->metadata[n++] = e;
        }
    }
    r->n_metadata = n;
    cJSON_Delete(obj);
}

/* A stored record for the wire: expiry becomes the seconds left (at least 1, since
 * storage hides records whose time is up). */
static Store__Record *record_out(struct mc_arena *a, const struct mc_storage_item *it,
                                 int64_t now)
{
    Store__Record *r = mc_arena_alloc(a, sizeof(*r));

    store__record__init(r);
    r->key = mc_arena_strdup(a, it->key);
    r->value.len = it->value_len;
    if (it->value_len) {
        r->value.data = mc_arena_alloc(a, it->value_len);
        memcpy(r->value.data, it->value, it->value_len);
    }
    if (it->expiry > 0)
        r->expiry = it->expiry > now ? it->expiry - now : 1;
    metadata_from_json(a, it->metadata, r);
    return r;
}

/* Absolute expiry of a write: now + seconds, 0 for none (upstream ignores a
 * non-positive TTL), capped instead of overflowing. */
static int64_t expiry_in(int64_t seconds)
{
    int64_t now = mc_unix_time();

    if (seconds <= 0)
        return 0;
    return seconds > INT64_MAX - now ? INT64_MAX : now + seconds;
}

/* ---- unary handlers ------------------------------------------------------------------------ */

static int read_(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                 void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__ReadRequest *in = (const Store__ReadRequest *)req;
    Store__ReadResponse *out = (Store__ReadResponse *)rsp;
    const Store__ReadOptions *o = in->options;
    const char *id = "store.Store.Read", *key = in->key ? in->key : "";
    struct mc_storage_query q = { 0 };
    struct mc_storage_items items = { 0 };
    int64_t now = mc_unix_time();
    int rc;

    q.database = database_of(ctx, o ? o->database : NULL);
    q.table = table_of(o ? o->table : NULL);
    if ((rc = mc_core_require_admin(ss->core, ctx, q.database, id)) < 0 ||
        (rc = parse_order(o ? o->order : NULL, &q.desc, ctx->err, id)) < 0)
        return rc;
    if (o && (o->prefix || o->suffix)) {
        q.prefix = o->prefix ? key : NULL;
        q.suffix = o->suffix ? key : NULL;
        q.limit = o->limit;
        q.offset = o->offset;
    } else {
        q.key = key;
    }
    rc = mc_storage_read(ss->core->storage, &q, &items);
    if (rc < 0) {
        mc_storage_items_release(&items);
        return mc_store_fail(ctx->err, id, rc, "key, database or table too long");
    }
    out->n_records = items.n;
    out->records = mc_arena_alloc(ctx->arena, items.n * sizeof(*out->records));
    for (size_t i = 0; i < items.n; i++)
        out->records[i] = record_out(ctx->arena, &items.v[i], now);
    mc_storage_items_release(&items);
    return MC_OK;
}

static int write_(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__WriteRequest *in = (const Store__WriteRequest *)req;
    const Store__WriteOptions *o = in->options;
    const char *id = "store.Store.Write";
    const char *db = database_of(ctx, o ? o->database : NULL), *tbl = table_of(o ? o->table : NULL);
    struct mc_storage_record r = { 0 };
    char *metadata;
    int rc;

    if ((rc = mc_core_require_admin(ss->core, ctx, db, id)) < 0)
        return rc;
    if (!in->record) {
        mc_error_bad_request(ctx->err, id, "no record specified");
        return MC_EINVAL;
    }
    if (!in->record->key || !*in->record->key) {
        mc_error_bad_request(ctx->err, id, "no key specified");
        return MC_EINVAL;
    }
    if ((rc = metadata_to_json(in->record, &metadata)) < 0)
        return mc_store_fail(ctx->err, id, rc, "");
    r.key = in->record->key;
    r.value = in->record->value.data;
    r.value_len = in->record->value.len;
    r.metadata = metadata;
    r.expiry = expiry_in(in->record->expiry);
    rc = mc_storage_write_later(ss->core->storage, db, tbl, &r);   /* group commit */
    cJSON_free(metadata);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "key, value, database or table too long")
                  : MC_OK;
}

static int delete_(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__DeleteRequest *in = (const Store__DeleteRequest *)req;
    const Store__DeleteOptions *o = in->options;
    const char *id = "store.Store.Delete";
    const char *db = database_of(ctx, o ? o->database : NULL), *tbl = table_of(o ? o->table : NULL);
    int rc;

    if ((rc = mc_core_require_admin(ss->core, ctx, db, id)) < 0)
        return rc;
    if (!in->key || !*in->key) {
        mc_error_bad_request(ctx->err, id, "no key specified");
        return MC_EINVAL;
    }
    rc = mc_storage_delete(ss->core->storage, db, tbl, in->key);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "key, database or table too long") : MC_OK;
}

/* The keys of items as an arena array of strings. */
static char **names_out(struct mc_arena *a, const struct mc_storage_items *items)
{
    char **v = mc_arena_alloc(a, items->n * sizeof(*v));

    for (size_t i = 0; i < items->n; i++)
        v[i] = mc_arena_strdup(a, items->v[i].key);
    return v;
}

static int databases(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                     void *arg)
{
    struct mc_store_service *ss = arg;
    Store__DatabasesResponse *out = (Store__DatabasesResponse *)rsp;
    const char *id = "store.Store.Databases";
    struct mc_storage_items items = { 0 };
    int rc;

    (void)req;
    /* the list spans every namespace: only the default namespace's admins see it */
    if ((rc = mc_core_require_admin(ss->core, ctx, MC_STORAGE_DEFAULT, id)) < 0)
        return rc;
    if ((rc = mc_storage_databases(ss->core->storage, &items)) == MC_OK) {
        out->n_databases = items.n;
        out->databases = names_out(ctx->arena, &items);
    }
    mc_storage_items_release(&items);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "bad request") : MC_OK;
}

static int tables(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *arg)
{
    struct mc_store_service *ss = arg;
    const Store__TablesRequest *in = (const Store__TablesRequest *)req;
    Store__TablesResponse *out = (Store__TablesResponse *)rsp;
    const char *id = "store.Store.Tables", *db = database_of(ctx, in->database);
    struct mc_storage_items items = { 0 };
    int rc;

    if ((rc = mc_core_require_admin(ss->core, ctx, db, id)) < 0)
        return rc;
    if ((rc = mc_storage_tables(ss->core->storage, db, &items)) == MC_OK) {
        out->n_tables = items.n;
        out->tables = names_out(ctx->arena, &items);
    }
    mc_storage_items_release(&items);
    return rc < 0 ? mc_store_fail(ctx->err, id, rc, "database name too long") : MC_OK;
}

/* ---- List: a server stream of one message ------------------------------------------------- */

/* Answers the request with every matching key in one ListResponse (as upstream). */
static int list_keys(struct mc_store_service *ss, struct mc_rpc_stream *st,
                     const Store__ListRequest *in)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    const Store__ListOptions *o = in->options;
    const char *id = "store.Store.List";
    struct mc_storage_query q = { .keys_only = true };
    struct mc_storage_items items = { 0 };
    Store__ListResponse out = STORE__LIST_RESPONSE__INIT;
    int rc;

    q.database = database_of(ctx, o ? o->database : NULL);
    q.table = table_of(o ? o->table : NULL);
    if ((rc = mc_core_require_admin(ss->core, ctx, q.database, id)) < 0 ||
        (rc = parse_order(o ? o->order : NULL, &q.desc, ctx->err, id)) < 0)
        return rc;
    if (o) {
        q.prefix = o->prefix;
        q.suffix = o->suffix;
        q.limit = o->limit;
        q.offset = o->offset;
    }
    rc = mc_storage_read(ss->core->storage, &q, &items);
    if (rc == MC_OK) {
        out.n_keys = items.n;
        out.keys = mc_calloc(items.n ? items.n : 1, sizeof(*out.keys));
        for (size_t i = 0; i < items.n; i++)
            out.keys[i] = items.v[i].key;   /* borrowed until the send copies them */
        if ((rc = mc_rpc_stream_send(st, &out.base)) == MC_ETOOBIG)
            mc_error_internal(ctx->err, id, "too many keys for one message: narrow the list");
        else if (rc < 0)
            mc_error_internal(ctx->err, id, "cannot send the keys: %s", mc_strerror(rc));
        free(out.keys);
    } else {
        mc_store_fail(ctx->err, id, rc, "prefix, suffix, database or table too long");
    }
    mc_storage_items_release(&items);
    return rc;
}

static void list_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    int rc = list_keys(arg, st, (const Store__ListRequest *)msg);
    mc_rpc_stream_finish(st, rc < 0 ? mc_rpc_stream_ctx(st)->err : NULL);
}

/* The client closed without sending its request. */
static void list_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);

    (void)arg;
    mc_error_bad_request(ctx->err, "store.Store.List", "no request sent");
    mc_rpc_stream_finish(st, ctx->err);
}

static const struct mc_rpc_stream_ops list_ops = { list_on_message, list_on_half_close, NULL };

static int list_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &list_ops, arg);
    return MC_OK;
}

/* ---- registration ------------------------------------------------------------------------ */

static void on_purge(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_store_service *ss = arg;
    int n = mc_storage_purge(ss->core->storage);

    (void)loop;
    (void)t;
    if (n > 0)
        mc_log_debug("store: purged %d expired records", n);
}

int mc_store_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &store__store__descriptor;
    struct mc_store_service *ss = mc_calloc(1, sizeof(*ss));
    int rc;

    ss->core = core;
    core->store = ss;
    if ((rc = mc_rpc_service_handle(svc, sd, "Read", read_, ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Write", write_, ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Delete", delete_, ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Databases", databases, ss)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Tables", tables, ss)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, sd, "List", MC_RPC_STREAM_SERVER, list_open,
                                           ss)) < 0 ||
        (rc = mc_store_blob_register(ss, svc)) < 0)
        return rc;
    ss->purge = mc_loop_timer_add(core->loop, MC_STORE_PURGE_MS, MC_STORE_PURGE_MS, on_purge, ss);
    return MC_OK;
}

void mc_store_service_release(struct mc_core *core)
{
    struct mc_store_service *ss = core->store;

    if (!ss)
        return;
    mc_loop_timer_cancel(core->loop, ss->purge);
    free(ss);
    core->store = NULL;
}
