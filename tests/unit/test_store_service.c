/*
 * Unit tests for the store service (server/store): the Store and BlobStore
 * handlers run in process through mc_rpc (JSON codec for unary calls; streams
 * through mc_rpc_stream_open with an in-memory transport) on "test"-profile
 * storage: exact/prefix/suffix reads with limit, offset and order, metadata and
 * expiry, delete, databases and tables, upstream's errors, authorization, the List
 * stream and blob uploads and downloads (chunked, capped, cancelled).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "storage/storage.h"
#include "store.pb-c.h"
#include "store/store.h"

struct fx {
    struct mc_loop *loop;
    struct mc_rpc_server *srv;
    struct mc_storage *storage;
    struct mc_core core;
    struct mc_arena arena;
    struct mc_error err;
    struct mc_buf out;
    int fake_auth;   /* core.auth points here to turn authorization on */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];

    f->loop = mc_loop_new();
    f->srv = mc_rpc_server_new();
    assert_int_equal(mc_storage_open("test", "/nonexistent", &f->storage, err, sizeof(err)),
                     MC_OK);
    f->core.loop = f->loop;
    f->core.rpc = f->srv;
    f->core.storage = f->storage;
    assert_int_equal(mc_store_service_register(&f->core, mc_rpc_server_add(f->srv, "store")),
                     MC_OK);
    assert_non_null(f->core.store);
    mc_arena_init(&f->arena);
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 64u << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    mc_store_service_release(&f->core);
    assert_null(f->core.store);
    mc_store_service_release(&f->core);   /* a second release is a no-op */
    mc_rpc_server_free(f->srv);
    mc_storage_close(f->storage);
    mc_arena_release(&f->arena);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    mc_loop_run_once(f->loop, 0);
    mc_loop_free(f->loop);
    free(f);
    return 0;
}

/* ---- unary calls ------------------------------------------------------------------------ */

static int call_as(struct fx *f, const struct mc_account *account, const char *ns,
                   const char *path, const char *json)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_ctx ctx = { .arena = &f->arena, .err = &f->err, .account = account,
                              .ns = ns ? ns : "micro" };

    mc_error_release(&f->err);
    assert_int_equal(mc_rpc_route(f->srv, path, &m, NULL, &f->err), MC_OK);
    mc_buf_reset(&f->out);
    return mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)json, strlen(json), &f->out);
}

static int call(struct fx *f, const char *path, const char *json)
{
    return call_as(f, NULL, NULL, path, json);
}

static void ok(struct fx *f, const char *path, const char *json, const char *want)
{
    assert_int_equal(call(f, path, json), MC_OK);
    if (want)
        assert_string_equal(mc_buf_cstr(&f->out), want);
}

static void assert_error_json(struct fx *f, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 4096);
    assert_int_equal(mc_error_to_json(&f->err, &b), MC_OK);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void fails(struct fx *f, const char *path, const char *json, int code, const char *id)
{
    assert_true(call(f, path, json) < 0);
    assert_int_equal(f->err.code, code);
    if (id)
        assert_string_equal(f->err.id, id);
}

/* Writes key=value (value given as base64) in database db (NULL: default) table "t". */
static void put(struct fx *f, const char *db, const char *key, const char *b64)
{
    char req[512];

    snprintf(req, sizeof(req),
             "{\"record\":{\"key\":\"%s\",\"value\":\"%s\"},\"options\":{\"database\":\"%s\","
             "\"table\":\"t\"}}", key, b64, db ? db : "");
    ok(f, "/store.Store/Write", req, "{}");
}

/* The keys of a Read in table "t" with the given options, joined by ','. */
static const char *read_keys(struct fx *f, const char *key, const char *options)
{
    static char keys[1024];
    char req[512];
    const char *p;
    size_t n = 0;

    snprintf(req, sizeof(req), "{\"key\":\"%s\",\"options\":{\"table\":\"t\"%s}}", key, options);
    assert_int_equal(call(f, "/store.Store/Read", req), MC_OK);
    keys[0] = '\0';
    for (p = mc_buf_cstr(&f->out); (p = strstr(p, "\"key\":\"")) != NULL;) {
        const char *end;
        p += 7;
        end = strchr(p, '"');
        n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%.*s", n ? "," : "", (int)(end - p),
                              p);
        p = end;
    }
    return keys;
}

static void test_write_read_exact(void **state)
{
    struct fx *f = *state;

    ok(f, "/store.Store/Write",
       "{\"record\":{\"key\":\"k\",\"value\":\"djE=\",\"metadata\":{\"owner\":{\"type\":\"string\","
       "\"value\":\"alice\"},\"n\":{\"type\":\"int\",\"value\":\"5\"}}}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"k\"}",
       "{\"records\":[{\"key\":\"k\",\"value\":\"djE=\",\"expiry\":\"0\",\"metadata\":{"
       "\"n\":{\"type\":\"int\",\"value\":\"5\"},\"owner\":{\"type\":\"string\","
       "\"value\":\"alice\"}}}]}");   /* map keys sorted, as Go's jsonpb */
    /* an upsert replaces value and metadata; no metadata reads as an empty map */
    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"k\",\"value\":\"djI=\"}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"k\"}",
       "{\"records\":[{\"key\":\"k\",\"value\":\"djI=\",\"expiry\":\"0\",\"metadata\":{}}]}");
    /* the default database is the caller's namespace, the default table "micro" */
    assert_int_equal(call_as(f, NULL, "foo", "/store.Store/Read", "{\"key\":\"k\"}"), MC_ENOTFOUND);
    ok(f, "/store.Store/Read", "{\"key\":\"k\",\"options\":{\"database\":\"micro\","
                               "\"table\":\"micro\"}}", NULL);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "djI="));
    assert_int_equal(call_as(f, NULL, "foo", "/store.Store/Write",
                             "{\"record\":{\"key\":\"k\",\"value\":\"Zm9v\"}}"), MC_OK);
    ok(f, "/store.Store/Read", "{\"key\":\"k\",\"options\":{\"database\":\"foo\"}}", NULL);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "Zm9v"));
    /* an empty value and binary bytes survive */
    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"e\"}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"e\"}",
       "{\"records\":[{\"key\":\"e\",\"value\":\"\",\"expiry\":\"0\",\"metadata\":{}}]}");
    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"bin\",\"value\":\"AP8A\"}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"bin\"}", NULL);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"value\":\"AP8A\""));
}

static void test_read_queries(void **state)
{
    struct fx *f = *state;
    const char *keys[] = { "a1", "a2", "a3", "aXa", "b1", "ba", "c" };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        put(f, NULL, keys[i], "eA==");
    ok(f, "/store.Store/Write",
       "{\"record\":{\"key\":\"a-elsewhere\"},\"options\":{\"table\":\"t2\"}}", "{}");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true"), "a1,a2,a3,aXa");
    assert_string_equal(read_keys(f, "", ",\"prefix\":true"),
                        "a1,a2,a3,aXa,b1,ba,c");   /* not table t2 */
    assert_string_equal(read_keys(f, "1", ",\"suffix\":true"), "a1,b1");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"suffix\":true"), "aXa");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"limit\":2"), "a1,a2");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"offset\":1"), "a2,a3,aXa");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"offset\":1,\"limit\":1"), "a2");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"offset\":3"), "aXa");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"offset\":4"), "");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"order\":\"desc\""), "aXa,a3,a2,a1");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"order\":\"desc\",\"offset\":1,"
                                          "\"limit\":1"), "a3");
    assert_string_equal(read_keys(f, "a", ",\"prefix\":true,\"order\":\"asc\""), "a1,a2,a3,aXa");
    /* a prefix read without a match is an empty list, not an error */
    assert_string_equal(read_keys(f, "zz", ",\"prefix\":true"), "");
    ok(f, "/store.Store/Read", "{\"key\":\"zz\",\"options\":{\"prefix\":true}}", "{\"records\":[]}");
    /* an exact read ignores limit and offset */
    assert_string_equal(read_keys(f, "b1", ",\"offset\":5"), "b1");
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    struct mc_storage_record gone = { "gone", "x", 1, NULL, 0 };
    const char *p;
    long left;

    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"ttl\",\"value\":\"eA==\",\"expiry\":100}}",
       "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"ttl\"}", NULL);
    /* the remaining seconds come back (100, or 99 when the second turned) */
    p = strstr(mc_buf_cstr(&f->out), "\"expiry\":\"");
    assert_non_null(p);
    left = strtol(p + 10, NULL, 10);
    assert_true(left == 100 || left == 99);
    /* a record whose time is up is invisible to every read, then purged */
    gone.expiry = mc_unix_time() - 1;
    assert_int_equal(mc_storage_write(f->storage, "micro", "micro", &gone), MC_OK);
    fails(f, "/store.Store/Read", "{\"key\":\"gone\"}", 404, "store.Store.Read");
    ok(f, "/store.Store/Read", "{\"options\":{\"prefix\":true}}", NULL);
    assert_null(strstr(mc_buf_cstr(&f->out), "gone"));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "ttl"));
    assert_int_equal(mc_storage_purge(f->storage), 1);
    /* a negative expiry means none, as upstream (which ignores a non-positive TTL) */
    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"neg\",\"expiry\":-5}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"neg\"}", NULL);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"expiry\":\"0\""));
    /* a huge expiry does not overflow into the past */
    ok(f, "/store.Store/Write",
       "{\"record\":{\"key\":\"far\",\"expiry\":\"9223372036854775807\"}}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"far\"}", NULL);
}

static void test_delete(void **state)
{
    struct fx *f = *state;

    put(f, NULL, "k", "eA==");
    ok(f, "/store.Store/Delete", "{\"key\":\"k\",\"options\":{\"table\":\"t\"}}", "{}");
    assert_string_equal(read_keys(f, "", ",\"prefix\":true"), "");
    fails(f, "/store.Store/Read", "{\"key\":\"k\",\"options\":{\"table\":\"t\"}}", 404, NULL);
    assert_error_json(f, "{\"id\":\"store.Store.Read\",\"code\":404,\"detail\":\"not found\","
                         "\"status\":\"Not Found\"}");
    /* deleting a missing key is not an error (upstream) */
    ok(f, "/store.Store/Delete", "{\"key\":\"k\",\"options\":{\"table\":\"t\"}}", "{}");
}

static void test_databases_tables(void **state)
{
    struct fx *f = *state;

    ok(f, "/store.Store/Databases", "{}", "{\"databases\":[]}");
    put(f, "foo", "k", "eA==");
    put(f, "bar", "k", "eA==");
    ok(f, "/store.Store/Write",
       "{\"record\":{\"key\":\"k\"},\"options\":{\"database\":\"foo\",\"table\":\"u\"}}", "{}");
    ok(f, "/store.Store/Databases", "{}", "{\"databases\":[\"bar\",\"foo\"]}");
    ok(f, "/store.Store/Tables", "{\"database\":\"foo\"}", "{\"tables\":[\"t\",\"u\"]}");
    assert_int_equal(call_as(f, NULL, "bar", "/store.Store/Tables", "{}"), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"tables\":[\"t\"]}");
    ok(f, "/store.Store/Tables", "{\"database\":\"none\"}", "{\"tables\":[]}");
}

static void test_bad_input(void **state)
{
    struct fx *f = *state;
    char *big = malloc(MC_STORAGE_KEY_MAX + 64);

    fails(f, "/store.Store/Read", "{\"key\":\"k\",\"options\":{\"order\":\"sideways\"}}", 400,
          "store.Store.Read");
    assert_string_equal(f->err.detail, "invalid order \"sideways\" (want asc or desc)");
    fails(f, "/store.Store/Write", "{}", 400, "store.Store.Write");
    assert_string_equal(f->err.detail, "no record specified");
    fails(f, "/store.Store/Write", "{\"record\":{\"value\":\"eA==\"}}", 400, "store.Store.Write");
    assert_string_equal(f->err.detail, "no key specified");
    fails(f, "/store.Store/Delete", "{}", 400, "store.Store.Delete");
    fails(f, "/store.Store/Write", "{\"record\":", 400, NULL);          /* malformed */
    fails(f, "/store.Store/Write", "{\"record\":{\"key\":5}}", 400, NULL);   /* wrong type */
    fails(f, "/store.Store/Write", "{\"record\":{\"key\":\"k\",\"value\":\"%%%\"}}", 400, NULL);
    fails(f, "/store.Store/Read", "{\"options\":{\"limit\":-1}}", 400, NULL);
    /* unknown fields are ignored, as upstream's jsonpb does */
    ok(f, "/store.Store/Write", "{\"record\":{\"key\":\"u\",\"colour\":\"red\"},\"extra\":1}", "{}");
    ok(f, "/store.Store/Read", "{\"key\":\"u\"}", NULL);
    /* names and keys past the limits */
    memset(big, 'k', MC_STORAGE_KEY_MAX + 1);
    big[MC_STORAGE_KEY_MAX + 1] = '\0';
    {
        char req[MC_STORAGE_KEY_MAX + 128];
        snprintf(req, sizeof(req), "{\"record\":{\"key\":\"%s\"}}", big);
        fails(f, "/store.Store/Write", req, 400, "store.Store.Write");
        snprintf(req, sizeof(req), "{\"key\":\"%s\"}", big);
        fails(f, "/store.Store/Read", req, 400, "store.Store.Read");
        big[300] = '\0';
        snprintf(req, sizeof(req), "{\"database\":\"%s\"}", big);
        fails(f, "/store.Store/Tables", req, 400, "store.Store.Tables");
    }
    free(big);
    /* nothing was stored by the refused calls */
    ok(f, "/store.Store/Read", "{\"options\":{\"prefix\":true}}", NULL);
    assert_null(strstr(mc_buf_cstr(&f->out), "kkkk"));
}

static const char *const admin_scopes[] = { "admin" };
static const struct mc_account admin = { "admin", "user", "micro", "admin", admin_scopes, 1 };
static const struct mc_account foo_admin = { "bob", "user", "foo", "bob", admin_scopes, 1 };

static void test_authorization(void **state)
{
    struct fx *f = *state;

    f->core.auth = (struct mc_auth *)&f->fake_auth;
    assert_true(call_as(f, NULL, NULL, "/store.Store/Read", "{\"key\":\"k\"}") < 0);
    assert_int_equal(f->err.code, 401);
    assert_string_equal(f->err.id, "store.Store.Read");
    assert_int_equal(call_as(f, &admin, NULL, "/store.Store/Write",
                             "{\"record\":{\"key\":\"k\"}}"), MC_OK);
    assert_int_equal(call_as(f, &admin, NULL, "/store.Store/Read", "{\"key\":\"k\"}"), MC_OK);
    /* an account of namespace foo may use database foo, not micro */
    assert_int_equal(call_as(f, &foo_admin, "foo", "/store.Store/Write",
                             "{\"record\":{\"key\":\"k\"}}"), MC_OK);
    assert_true(call_as(f, &foo_admin, "foo", "/store.Store/Read",
                        "{\"key\":\"k\",\"options\":{\"database\":\"micro\"}}") < 0);
    assert_int_equal(f->err.code, 403);
    assert_true(call_as(f, &foo_admin, "foo", "/store.Store/Databases", "{}") < 0);
    assert_int_equal(f->err.code, 403);
    assert_true(call_as(f, NULL, NULL, "/store.BlobStore/List", "{}") < 0);
    assert_int_equal(f->err.code, 401);
    assert_string_equal(f->err.id, "store.BlobStore.List");
    f->core.auth = NULL;
}

/* ---- streams through an in-memory transport ----------------------------------------------- */

struct fake_transport {
    size_t sent;
    struct mc_buf all;       /* every message, one per line for JSON */
    size_t chunk_max;        /* the largest message */
    int finished;
    struct mc_error err;
};

static int ft_send(void *t, const void *data, size_t len)
{
    struct fake_transport *ft = t;

    ft->sent++;
    if (len > ft->chunk_max)
        ft->chunk_max = len;
    if (mc_buf_append(&ft->all, data, len) < 0)
        return MC_ETOOBIG;
    return mc_buf_append_byte(&ft->all, '\n');
}

static size_t ft_pending(void *t)
{
    (void)t;
    return 0;
}

static void ft_finish(void *t, const struct mc_error *err)
{
    struct fake_transport *ft = t;

    ft->finished++;
    if (err)
        mc_error_copy(&ft->err, err);
}

static const struct mc_rpc_stream_transport ft_ops = { ft_send, ft_pending, ft_finish };

static void ft_init(struct fake_transport *ft)
{
    memset(ft, 0, sizeof(*ft));
    mc_buf_init(&ft->all, 64u << 20);
    mc_error_init(&ft->err);
}

static void ft_release(struct fake_transport *ft)
{
    mc_buf_release(&ft->all);
    mc_error_release(&ft->err);
}

static struct mc_rpc_stream *open_stream(struct fx *f, struct fake_transport *ft,
                                         const char *path, enum mc_codec codec,
                                         enum mc_rpc_stream_kind kind)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_stream *st;

    ft_init(ft);
    assert_int_equal(mc_rpc_route(f->srv, path, &m, NULL, &f->err), MC_OK);
    assert_int_equal(mc_rpc_method_stream_kind(m), kind);
    st = mc_rpc_stream_open(m, codec, NULL, 0, &ft_ops, ft, &f->err);
    assert_non_null(st);
    return st;
}

/* A server stream: one JSON request, then everything it answered. */
static void server_stream(struct fx *f, struct fake_transport *ft, const char *path,
                          const char *request)
{
    struct mc_rpc_stream *st = open_stream(f, ft, path, MC_CODEC_JSON, MC_RPC_STREAM_SERVER);

    mc_rpc_stream_deliver(st, request, strlen(request));
    assert_int_equal(ft->finished, 1);
}

static void test_list_stream(void **state)
{
    struct fx *f = *state;
    struct fake_transport ft;

    put(f, NULL, "a1", "eA==");
    put(f, NULL, "a2", "eA==");
    put(f, NULL, "b1", "eA==");
    server_stream(f, &ft, "/store.Store/List", "{\"options\":{\"table\":\"t\"}}");
    assert_int_equal(ft.sent, 1);
    assert_int_equal(ft.err.code, 0);
    assert_string_equal(mc_buf_cstr(&ft.all), "{\"keys\":[\"a1\",\"a2\",\"b1\"]}\n");
    ft_release(&ft);
    server_stream(f, &ft, "/store.Store/List",
                  "{\"options\":{\"table\":\"t\",\"prefix\":\"a\",\"order\":\"desc\",\"limit\":1}}");
    assert_string_equal(mc_buf_cstr(&ft.all), "{\"keys\":[\"a2\"]}\n");
    ft_release(&ft);
    server_stream(f, &ft, "/store.Store/List",
                  "{\"options\":{\"table\":\"t\",\"suffix\":\"1\",\"offset\":1}}");
    assert_string_equal(mc_buf_cstr(&ft.all), "{\"keys\":[\"b1\"]}\n");
    ft_release(&ft);
    /* an empty table answers one message without keys */
    server_stream(f, &ft, "/store.Store/List", "{\"options\":{\"table\":\"none\"}}");
    assert_string_equal(mc_buf_cstr(&ft.all), "{\"keys\":[]}\n");
    ft_release(&ft);
    /* a bad order ends the stream with 400 */
    server_stream(f, &ft, "/store.Store/List", "{\"options\":{\"order\":\"up\"}}");
    assert_int_equal(ft.sent, 0);
    assert_int_equal(ft.err.code, 400);
    assert_string_equal(ft.err.id, "store.Store.List");
    ft_release(&ft);
}

static void test_list_without_request(void **state)
{
    struct fx *f = *state;
    struct fake_transport ft;
    struct mc_rpc_stream *st = open_stream(f, &ft, "/store.Store/List", MC_CODEC_JSON,
                                           MC_RPC_STREAM_SERVER);

    mc_rpc_stream_half_close(st);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 400);
    ft_release(&ft);
}

/* Sends one BlobWriteRequest in the proto codec. */
static void deliver_blob(struct mc_rpc_stream *st, const char *key, const char *ns,
                         const uint8_t *data, size_t len)
{
    Store__BlobWriteRequest req = STORE__BLOB_WRITE_REQUEST__INIT;
    Store__BlobOptions o = STORE__BLOB_OPTIONS__INIT;
    uint8_t *buf;
    size_t n;

    if (key)
        req.key = (char *)key;
    if (ns) {
        o.namespace_ = (char *)ns;
        req.options = &o;
    }
    req.blob.data = (uint8_t *)data;
    req.blob.len = len;
    n = store__blob_write_request__get_packed_size(&req);
    buf = malloc(n ? n : 1);
    store__blob_write_request__pack(&req, buf);
    mc_rpc_stream_deliver(st, buf, n);
    free(buf);
}

static void test_blob_write_read(void **state)
{
    struct fx *f = *state;
    size_t total = MC_STORE_BLOB_CHUNK * 2 + 100;
    uint8_t *data = malloc(total);
    struct fake_transport ft;
    struct mc_rpc_stream *st;
    uint8_t *got;
    size_t len;

    for (size_t i = 0; i < total; i++)
        data[i] = (uint8_t)(i * 7);
    /* upload in three pieces: the first carries the key and the namespace */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_PROTO, MC_RPC_STREAM_CLIENT);
    deliver_blob(st, "photos/cat", "foo", data, 1000);
    deliver_blob(st, NULL, NULL, data + 1000, MC_STORE_BLOB_CHUNK);
    deliver_blob(st, "ignored", "ignored", data + 1000 + MC_STORE_BLOB_CHUNK,
                 total - 1000 - MC_STORE_BLOB_CHUNK);
    assert_int_equal(ft.finished, 0);
    /* nothing is stored before the client half-closes */
    assert_int_equal(mc_storage_blob_get(f->storage, "foo", "photos/cat", &got, &len),
                     MC_ENOTFOUND);
    mc_rpc_stream_half_close(st);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 0);
    assert_int_equal(ft.sent, 1);   /* the empty BlobWriteResponse */
    ft_release(&ft);
    assert_int_equal(mc_storage_blob_get(f->storage, "foo", "photos/cat", &got, &len), MC_OK);
    assert_int_equal(len, total);
    assert_memory_equal(got, data, total);
    free(got);

    /* download in the proto codec: three chunks, the bytes in order */
    {
        Store__BlobReadRequest req = STORE__BLOB_READ_REQUEST__INIT;
        Store__BlobOptions o = STORE__BLOB_OPTIONS__INIT;
        uint8_t buf[256];
        size_t n;

        req.key = "photos/cat";
        o.namespace_ = "foo";
        req.options = &o;
        n = store__blob_read_request__pack(&req, buf);
        st = open_stream(f, &ft, "/store.BlobStore/Read", MC_CODEC_PROTO, MC_RPC_STREAM_SERVER);
        mc_rpc_stream_deliver(st, buf, n);
        assert_int_equal(ft.finished, 1);
        assert_int_equal(ft.err.code, 0);
        assert_int_equal(ft.sent, 3);
        assert_true(ft.chunk_max <= MC_STORE_BLOB_CHUNK + 16);
        ft_release(&ft);
    }
    /* the same as JSON: the first chunk's base64 starts with the first bytes */
    server_stream(f, &ft, "/store.BlobStore/Read",
                  "{\"key\":\"photos/cat\",\"options\":{\"namespace\":\"foo\"}}");
    assert_int_equal(ft.sent, 3);
    assert_memory_equal(mc_buf_cstr(&ft.all), "{\"blob\":\"AAcOFRwj", 17);
    ft_release(&ft);

    ok(f, "/store.BlobStore/List", "{\"options\":{\"namespace\":\"foo\"}}",
       "{\"keys\":[\"photos/cat\"]}");
    ok(f, "/store.BlobStore/List", "{\"options\":{\"namespace\":\"foo\",\"prefix\":\"v\"}}",
       "{\"keys\":[]}");
    ok(f, "/store.BlobStore/List", "{}", "{\"keys\":[]}");   /* the caller's namespace */
    ok(f, "/store.BlobStore/Delete", "{\"key\":\"photos/cat\",\"options\":{\"namespace\":\"foo\"}}",
       "{}");
    server_stream(f, &ft, "/store.BlobStore/Read",
                  "{\"key\":\"photos/cat\",\"options\":{\"namespace\":\"foo\"}}");
    assert_int_equal(ft.sent, 0);
    assert_int_equal(ft.err.code, 404);
    assert_string_equal(ft.err.id, "store.BlobStore.Read");
    ft_release(&ft);
    fails(f, "/store.BlobStore/Delete", "{}", 400, "store.BlobStore.Delete");
    free(data);
}

static void test_blob_write_limits(void **state)
{
    struct fx *f = *state;
    size_t half = MC_STORAGE_VALUE_MAX / 2 + 1;
    uint8_t *data = calloc(1, half);
    struct fake_transport ft;
    struct mc_rpc_stream *st;
    uint8_t *got;
    size_t len;

    /* past MC_STORAGE_VALUE_MAX in total: 400, nothing stored */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_PROTO, MC_RPC_STREAM_CLIENT);
    deliver_blob(st, "big", NULL, data, half);
    deliver_blob(st, NULL, NULL, data, half);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 400);
    assert_string_equal(ft.err.id, "store.BlobStore.Write");
    ft_release(&ft);
    assert_int_equal(mc_storage_blob_get(f->storage, "micro", "big", &got, &len), MC_ENOTFOUND);
    free(data);

    /* no key in the first message */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_JSON, MC_RPC_STREAM_CLIENT);
    mc_rpc_stream_deliver(st, "{\"blob\":\"eA==\"}", 15);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 400);
    assert_string_equal(ft.err.detail, "no key specified");
    ft_release(&ft);

    /* no message at all */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_JSON, MC_RPC_STREAM_CLIENT);
    mc_rpc_stream_half_close(st);
    assert_int_equal(ft.err.code, 400);
    ft_release(&ft);

    /* a cancelled upload stores nothing (and leaks nothing) */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_JSON, MC_RPC_STREAM_CLIENT);
    mc_rpc_stream_deliver(st, "{\"key\":\"c\",\"blob\":\"eA==\"}", 25);
    mc_rpc_stream_cancel(st);
    assert_int_equal(ft.finished, 0);
    ft_release(&ft);
    assert_int_equal(mc_storage_blob_get(f->storage, "micro", "c", &got, &len), MC_ENOTFOUND);

    /* an empty blob is a blob */
    st = open_stream(f, &ft, "/store.BlobStore/Write", MC_CODEC_JSON, MC_RPC_STREAM_CLIENT);
    mc_rpc_stream_deliver(st, "{\"key\":\"empty\"}", 15);
    mc_rpc_stream_half_close(st);
    assert_int_equal(ft.err.code, 0);
    ft_release(&ft);
    assert_int_equal(mc_storage_blob_get(f->storage, "micro", "empty", &got, &len), MC_OK);
    assert_int_equal(len, 0);
    free(got);
    server_stream(f, &ft, "/store.BlobStore/Read", "{\"key\":\"empty\"}");
    assert_int_equal(ft.err.code, 0);
    assert_int_equal(ft.sent, 0);
    ft_release(&ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_databases_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_without_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_write_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_write_limits, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_service", tests, NULL, NULL);
}
