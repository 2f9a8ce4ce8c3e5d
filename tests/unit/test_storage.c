/* Unit tests for the storage layer, every case on both profiles: "local" (a sqlite
 * file in a temporary MICRO_HOME) and "test" (in memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "storage/storage.h"

struct fx {
    char home[64];
    const char *profile;
    struct mc_storage *s;
};

static int open_profile(void **state, const char *profile)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];

    snprintf(f->home, sizeof(f->home), "/tmp/mc_storage_XXXXXX");
    assert_non_null(mkdtemp(f->home));
    f->profile = profile;
    assert_int_equal(mc_storage_open(profile, f->home, &f->s, err, sizeof(err)), MC_OK);
    *state = f;
    return 0;
}

static int setup_local(void **state) { return open_profile(state, "local"); }
static int setup_test(void **state) { return open_profile(state, "test"); }

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    mc_storage_close(f->s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->home);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void put(struct mc_storage *s, const char *table, const char *key, const char *value,
                int64_t expiry)
{
    struct mc_storage_record r = { key, value, strlen(value), NULL, expiry };
    assert_int_equal(mc_storage_write(s, "db", table, &r), MC_OK);
}

/* Keys of a query joined with ',' */
static const char *keys(struct mc_storage *s, struct mc_storage_query q)
{
    static char out[4096];
    struct mc_storage_items items = { 0 };
    size_t n = 0;

    q.database = "db";
    if (!q.table)
        q.table = "t";
    out[0] = '\0';
    assert_int_equal(mc_storage_read(s, &q, &items), MC_OK);
    for (size_t i = 0; i < items.n; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? "," : "", items.v[i].key);
    mc_storage_items_release(&items);
    return out;
}

static void test_queries_follow_the_upstream_algorithm(void **state)
{
    struct fx *f = *state;
    const char *ks[] = { "b/2", "a/1", "a/3", "a/2", "c", "a\xff", "ab" };
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
        put(f->s, "t", ks[i], "v", 0);

    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/" }), "a/1,a/2,a/3");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a" }),
                        "a/1,a/2,a/3,ab,a\xff");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a\xff" }), "a\xff");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .suffix = "/2" }), "a/2,b/2");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/", .suffix = "3" }),
                        "a/3");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/", .desc = true }),
                        "a/3,a/2,a/1");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/", .offset = 1,
                                                               .limit = 1 }), "a/2");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/", .desc = true,
                                                               .offset = 2 }), "a/1");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "a/", .offset = 9 }), "");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .prefix = "zzz" }), "");
    assert_string_equal(keys(f->s, (struct mc_storage_query){ .limit = 2 }), "a/1,a/2");
}

static void test_exact_reads_upserts_deletes_and_tables(void **state)
{
    struct fx *f = *state;
    struct mc_storage_items items = { 0 };
    struct mc_storage_query q = { .database = "db", .table = "t", .key = "k" };
    struct mc_storage_record r = { "k", "v2", 2, "{\"a\":{\"type\":\"int\",\"value\":\"1\"}}", 0 };
    char *v;
    size_t len;

    assert_int_equal(mc_storage_read(f->s, &q, &items), MC_ENOTFOUND);
    put(f->s, "t", "k", "v1", 0);
    assert_int_equal(mc_storage_write(f->s, "db", "t", &r), MC_OK);
    assert_int_equal(mc_storage_read(f->s, &q, &items), MC_OK);
    assert_int_equal(items.n, 1);
    assert_int_equal(items.v[0].value_len, 2);
    assert_memory_equal(items.v[0].value, "v2", 2);
    assert_string_equal(items.v[0].metadata, "{\"a\":{\"type\":\"int\",\"value\":\"1\"}}");
    mc_storage_items_release(&items);
    put(f->s, "other", "x", "y", 0);
    assert_int_equal(mc_storage_tables(f->s, "db", &items), MC_OK);
    assert_int_equal(items.n, 2);
    assert_string_equal(items.v[0].key, "other");
    assert_string_equal(items.v[1].key, "t");
    mc_storage_items_release(&items);
    assert_int_equal(mc_storage_databases(f->s, &items), MC_OK);
    assert_int_equal(items.n, 1);
    assert_string_equal(items.v[0].key, "db");
    mc_storage_items_release(&items);
    assert_int_equal(mc_storage_delete(f->s, "db", "t", "k"), MC_OK);
    assert_int_equal(mc_storage_delete(f->s, "db", "t", "k"), MC_OK);   /* idempotent */
    assert_int_equal(mc_storage_get(f->s, "db", "t", "k", &v, &len), MC_ENOTFOUND);
    assert_int_equal(mc_storage_put(f->s, NULL, NULL, "doc", "{}", 2), MC_OK);
    assert_int_equal(mc_storage_get(f->s, "micro", "micro", "doc", &v, &len), MC_OK);
    assert_string_equal(v, "{}");
    free(v);
}

static void test_expired_records_are_invisible_then_purged(void **state)
{
    struct fx *f = *state;
    struct mc_storage_items items = { 0 };

    put(f->s, "t", "old", "v", mc_unix_time() - 1);
    put(f->s, "t", "new", "v", mc_unix_time() + 3600);
    put(f->s, "t", "forever", "v", 0);
    assert_string_equal(keys(f->s, (struct mc_storage_query){ 0 }), "forever,new");
    assert_int_equal(mc_storage_read(f->s, &(struct mc_storage_query){ .database = "db",
                                              .table = "t", .key = "old" }, &items),
                     MC_ENOTFOUND);
    assert_int_equal(mc_storage_purge(f->s), 1);
    assert_int_equal(mc_storage_purge(f->s), 0);
}

static void test_blobs(void **state)
{
    struct fx *f = *state;
    struct mc_storage_items items = { 0 };
    uint8_t *data;
    size_t len;
    char big[70000];

    memset(big, 'x', sizeof(big));
    assert_int_equal(mc_storage_blob_put(f->s, "ns", "img/a", big, sizeof(big)), MC_OK);
    assert_int_equal(mc_storage_blob_put(f->s, "ns", "img/b", "\0bin", 4), MC_OK);
    assert_int_equal(mc_storage_blob_put(f->s, "other", "img/c", "c", 1), MC_OK);
    assert_int_equal(mc_storage_blob_get(f->s, "ns", "img/b", &data, &len), MC_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(data, "\0bin", 4);
    free(data);
    assert_int_equal(mc_storage_blob_keys(f->s, "ns", "img/", &items), MC_OK);
    assert_int_equal(items.n, 2);
    mc_storage_items_release(&items);
    assert_int_equal(mc_storage_blob_delete(f->s, "ns", "img/a"), MC_OK);
    assert_int_equal(mc_storage_blob_get(f->s, "ns", "img/a", &data, &len), MC_ENOTFOUND);
}

static void test_limits(void **state)
{
    struct fx *f = *state;
    char *longkey = malloc(MC_STORAGE_KEY_MAX + 2);
    struct mc_storage_record r = { longkey, "v", 1, NULL, 0 };

    memset(longkey, 'k', MC_STORAGE_KEY_MAX + 1);
    longkey[MC_STORAGE_KEY_MAX + 1] = '\0';
    assert_int_equal(mc_storage_write(f->s, "db", "t", &r), MC_EINVAL);
    free(longkey);
}

static void test_many_keys_prefix_read(void **state)
{
    struct fx *f = *state;
    struct mc_storage_items items = { 0 };
    char key[32];

    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "%c/%05d", 'a' + i % 3, i);
        put(f->s, "t", key, "v", 0);
    }
    assert_int_equal(mc_storage_read(f->s, &(struct mc_storage_query){ .database = "db",
                                              .table = "t", .prefix = "b/", .keys_only = true },
                                     &items), MC_OK);
    assert_int_equal(items.n, 3333);
    for (size_t i = 1; i < items.n; i++)
        assert_true(strcmp(items.v[i - 1].key, items.v[i].key) < 0);
    mc_storage_items_release(&items);
}

static void test_profiles_keep_or_forget(void **state)
{
    struct fx *f = *state;
    char err[256], path[128];
    struct stat st;
    char *v;

    put(f->s, "t", "k", "v", 0);
    mc_storage_close(f->s);
    assert_int_equal(mc_storage_open(f->profile, f->home, &f->s, err, sizeof(err)), MC_OK);
    if (strcmp(f->profile, "local") == 0) {
        assert_int_equal(mc_storage_get(f->s, "db", "t", "k", &v, NULL), MC_OK);
        free(v);
        snprintf(path, sizeof(path), "%s/store/store.db", f->home);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    } else {
        assert_int_equal(mc_storage_get(f->s, "db", "t", "k", &v, NULL), MC_ENOTFOUND);
    }
}

/* ---- group commit ---- */

static void put_later(struct mc_storage *s, const char *key)
{
    struct mc_storage_record r = { key, "v", 1, NULL, 0 };
    assert_int_equal(mc_storage_write_later(s, "db", "t", &r), MC_OK);
}

/* Records of table t as another connection to the file sees them (committed ones),
 * or -1 on the in-memory profile, which no one else can see. */
static int committed_count(struct fx *f)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *q;
    int n = -1;

    if (strcmp(f->profile, "local") != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/store/store.db", f->home);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM records WHERE tbl = 't'", -1,
                                        &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void test_batch_commits_many_writes_at_once(void **state)
{
    struct fx *f = *state;
    struct mc_storage_batch *b;
    bool local = strcmp(f->profile, "local") == 0;

    assert_null(mc_storage_batch_open(f->s));           /* nothing uncommitted */
    put_later(f->s, "a");
    put_later(f->s, "b");
    b = mc_storage_batch_open(f->s);
    assert_non_null(b);
    assert_string_equal(keys(f->s, (struct mc_storage_query){ 0 }), "a,b");   /* own reads see it */
    if (local)
        assert_int_equal(committed_count(f), 0);        /* no one else does yet */
    assert_int_equal(mc_storage_batch_commit(f->s, b), MC_OK);
    assert_null(mc_storage_batch_open(f->s));
    if (local)
        assert_int_equal(committed_count(f), 2);
    assert_int_equal(mc_storage_batch_commit(f->s, b), MC_OK);   /* the outcome is kept */
    mc_storage_batch_unref(b);
    put_later(f->s, "c");                                /* a new batch opens */
    b = mc_storage_batch_open(f->s);
    assert_non_null(b);
    assert_int_equal(mc_storage_commit(f->s), MC_OK);
    assert_int_equal(mc_storage_batch_commit(f->s, b), MC_OK);
    mc_storage_batch_unref(b);
    assert_int_equal(mc_storage_commit(f->s), MC_OK);    /* nothing open: a no-op */
}

static void test_other_changes_commit_the_open_batch(void **state)
{
    struct fx *f = *state;
    struct mc_storage_batch *b;

    put_later(f->s, "a");
    b = mc_storage_batch_open(f->s);
    put(f->s, "t", "b", "v", 0);         /* durable when it returns, and so is a */
    assert_null(mc_storage_batch_open(f->s));
    if (strcmp(f->profile, "local") == 0)
        assert_int_equal(committed_count(f), 2);
    assert_int_equal(mc_storage_batch_commit(f->s, b), MC_OK);
    mc_storage_batch_unref(b);
    put_later(f->s, "c");
    assert_int_equal(mc_storage_delete(f->s, "db", "t", "a"), MC_OK);
    assert_null(mc_storage_batch_open(f->s));
    if (strcmp(f->profile, "local") == 0)
        assert_int_equal(committed_count(f), 2);   /* b and c */
    put_later(f->s, "d");
    assert_int_equal(mc_storage_blob_put(f->s, "ns", "x", "1", 1), MC_OK);
    assert_null(mc_storage_batch_open(f->s));
}

static int hook_calls;
static void count_hook(void *arg)
{
    (void)arg;
    hook_calls++;
}

static void test_batch_hook_and_close(void **state)
{
    struct fx *f = *state;
    char err[256], *v;

    hook_calls = 0;
    mc_storage_set_batch_hook(f->s, count_hook, NULL);
    put_later(f->s, "a");
    put_later(f->s, "b");
    assert_int_equal(hook_calls, 1);      /* once per batch, when it opens */
    assert_int_equal(mc_storage_commit(f->s), MC_OK);
    put_later(f->s, "c");
    assert_int_equal(hook_calls, 2);
    mc_storage_close(f->s);               /* commits what is open */
    assert_int_equal(mc_storage_open(f->profile, f->home, &f->s, err, sizeof(err)), MC_OK);
    if (strcmp(f->profile, "local") == 0) {
        assert_int_equal(mc_storage_get(f->s, "db", "t", "c", &v, NULL), MC_OK);
        free(v);
    }
}

static void test_unknown_profile(void **state)
{
    struct mc_storage *s;
    char err[256];
    (void)state;
    assert_int_equal(mc_storage_open("cloud", "/tmp", &s, err, sizeof(err)), MC_EINVAL);
    assert_null(s);
    assert_string_equal(err, "unknown profile \"cloud\" (want local or test)");
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_local, teardown), \
                cmocka_unit_test_setup_teardown(t, setup_test, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_queries_follow_the_upstream_algorithm),
        BOTH(test_exact_reads_upserts_deletes_and_tables),
        BOTH(test_expired_records_are_invisible_then_purged),
        BOTH(test_blobs),
        BOTH(test_limits),
        BOTH(test_many_keys_prefix_read),
        BOTH(test_profiles_keep_or_forget),
        BOTH(test_batch_commits_many_writes_at_once),
        BOTH(test_other_changes_commit_the_open_batch),
        BOTH(test_batch_hook_and_close),
        cmocka_unit_test(test_unknown_profile),
    };
    return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
