/*
 * The schema cache without a server (client/schema_cache.h): entries written
 * to disk are served without a call while fresh and for the same proxy
 * address; stale, foreign or malformed ones fall through to the registry,
 * which here is an address that refuses connections, so a miss shows as a
 * dial failure. Also the pure readers of an entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "schema_cache.h"

#define DEAD_ADDR "127.0.0.1:1" /* nothing listens: every call is a dial failure */

static int64_t fake_now = 1000000;
static int64_t clock_fn(void)
{
    return fake_now;
}

struct fixture {
    char dir[64];
    struct mc_cli cli;
};

static void write_file(const char *path, const char *text)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_schema_cache.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->cli.out = stdout;
    fx->cli.err = stderr;
    snprintf(fx->cli.env, sizeof(fx->cli.env), "local");
    snprintf(fx->cli.address, sizeof(fx->cli.address), DEAD_ADDR);
    snprintf(fx->cli.namespace_, sizeof(fx->cli.namespace_), "micro");
    fx->cli.schemas = mc_schema_cache_new(fx->dir, "local", DEAD_ADDR);
    mc_schema_cache_set_clock(fx->cli.schemas, clock_fn);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    mc_cli_close(&fx->cli);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static void cache_file(struct fixture *fx, const char *service, const char *address,
                       int64_t fetched, const char *svc_json)
{
    char path[256], text[4096];
    snprintf(path, sizeof(path), "%s/cache/local/micro/%s.json", fx->dir, service);
    snprintf(text, sizeof(text), "{\"address\":\"%s\",\"fetched\":%lld,\"service\":%s}", address,
             (long long)fetched, svc_json);
    write_file(path, text);
}

static const char hello[] =
    "{\"name\":\"helloworld\",\"version\":\"v1\",\"endpoints\":["
    "{\"name\":\"Helloworld.Call\",\"request\":{\"name\":\"Req\",\"type\":\"Req\",\"values\":["
    "{\"name\":\"name\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"opts\",\"type\":\"Opts\",\"values\":[{\"name\":\"n\",\"type\":\"int32\","
    "\"values\":[]}]}]}},"
    "{\"name\":\"Helloworld.Stream\",\"request\":{\"name\":\"S\",\"type\":\"S\",\"values\":[]}}]}";

/* Looks the service up; returns the rc and whether it came from the cache. */
static int get(struct fixture *fx, const char *service, bool refresh, bool *from_cache,
               cJSON **svc, enum mc_cli_failure_kind *kind)
{
    struct mc_cli_failure f;
    mc_cli_failure_init(&f);
    int rc = mc_schema_cache_get(&fx->cli, "micro", service, refresh, svc, from_cache, &f);
    *kind = f.kind;
    mc_cli_failure_release(&f);
    return rc;
}

static void test_fresh_entry_needs_no_call(void **state)
{
    struct fixture *fx = *state;
    bool from_cache = false;
    enum mc_cli_failure_kind kind;
    cJSON *svc = NULL;

    cache_file(fx, "helloworld", DEAD_ADDR, fake_now - 10, hello);
    assert_int_equal(get(fx, "helloworld", false, &from_cache, &svc, &kind), 0);
    assert_true(from_cache);
    assert_string_equal(cJSON_GetObjectItem(svc, "version")->valuestring, "v1");
    cJSON_Delete(svc);

    /* the session keeps it in memory: the file may go */
    char path[256];
    snprintf(path, sizeof(path), "%s/cache/local/micro/helloworld.json", fx->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(get(fx, "helloworld", false, &from_cache, &svc, &kind), 0);
    assert_true(from_cache);
    cJSON_Delete(svc);

    /* refresh always asks the registry */
    assert_int_equal(get(fx, "helloworld", true, &from_cache, &svc, &kind), MC_EIO);
    assert_int_equal(kind, MC_CLI_DIAL);
    assert_null(svc);
}

static void test_stale_foreign_or_broken_entries_are_misses(void **state)
{
    struct fixture *fx = *state;
    bool from_cache;
    enum mc_cli_failure_kind kind;
    cJSON *svc = NULL;

    cache_file(fx, "old", DEAD_ADDR, fake_now - MC_SCHEMA_CACHE_MAX_AGE_S, hello);
    assert_int_equal(get(fx, "old", false, &from_cache, &svc, &kind), MC_EIO);
    assert_int_equal(kind, MC_CLI_DIAL);

    cache_file(fx, "future", DEAD_ADDR, fake_now + 100, hello);
    assert_int_equal(get(fx, "future", false, &from_cache, &svc, &kind), MC_EIO);

    cache_file(fx, "other", "10.0.0.1:8081", fake_now, hello);
    assert_int_equal(get(fx, "other", false, &from_cache, &svc, &kind), MC_EIO);

    char path[256];
    snprintf(path, sizeof(path), "%s/cache/local/micro/broken.json", fx->dir);
    write_file(path, "{\"address\":\"" DEAD_ADDR "\",\"fetched\":");
    assert_int_equal(get(fx, "broken", false, &from_cache, &svc, &kind), MC_EIO);

    /* names that are not plain words never touch the disk */
    assert_int_equal(get(fx, "../x", false, &from_cache, &svc, &kind), MC_EIO);
    assert_null(svc);

    /* the entry ages in memory too */
    cache_file(fx, "aging", DEAD_ADDR, fake_now, hello);
    assert_int_equal(get(fx, "aging", false, &from_cache, &svc, &kind), 0);
    cJSON_Delete(svc);
    fake_now += MC_SCHEMA_CACHE_MAX_AGE_S;
    assert_int_equal(get(fx, "aging", false, &from_cache, &svc, &kind), MC_EIO);
    fake_now -= MC_SCHEMA_CACHE_MAX_AGE_S;
}

static void test_drop(void **state)
{
    struct fixture *fx = *state;
    bool from_cache;
    enum mc_cli_failure_kind kind;
    cJSON *svc = NULL;

    cache_file(fx, "helloworld", DEAD_ADDR, fake_now, hello);
    assert_int_equal(get(fx, "helloworld", false, &from_cache, &svc, &kind), 0);
    cJSON_Delete(svc);
    mc_schema_cache_drop(&fx->cli, "micro", "helloworld");
    char path[256];
    snprintf(path, sizeof(path), "%s/cache/local/micro/helloworld.json", fx->dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(get(fx, "helloworld", false, &from_cache, &svc, &kind), MC_EIO);
}

static void test_services_list(void **state)
{
    struct fixture *fx = *state;
    char path[256], text[256];
    struct mc_cli_failure f;
    char **names = NULL;

    snprintf(path, sizeof(path), "%s/cache/local/micro/.services.json", fx->dir);
    snprintf(text, sizeof(text),
             "{\"address\":\"" DEAD_ADDR "\",\"fetched\":%lld,\"services\":[\"a\",\"b\"]}",
             (long long)fake_now);
    write_file(path, text);
    mc_cli_failure_init(&f);
    assert_int_equal(mc_schema_cache_services(&fx->cli, "micro", false, &names, &f), 0);
    assert_string_equal(names[0], "a");
    assert_string_equal(names[1], "b");
    assert_null(names[2]);
    mc_cli_names_free(names);
    fake_now += MC_SCHEMA_CACHE_LIST_MAX_AGE_S;
    assert_int_equal(mc_schema_cache_services(&fx->cli, "micro", false, &names, &f), MC_EIO);
    assert_int_equal(f.kind, MC_CLI_DIAL);
    fake_now -= MC_SCHEMA_CACHE_LIST_MAX_AGE_S;
    mc_cli_failure_release(&f);
}

static int count_field(void *ud, const char *path, const char *type)
{
    char *acc = ud;
    size_t n = strlen(acc);
    snprintf(acc + n, 256 - n, "%s:%s;", path, type);
    return 0;
}

static void test_readers(void **state)
{
    (void)state;
    cJSON *svc = cJSON_Parse(hello);
    assert_int_equal(mc_schema_endpoint_count(svc), 2);
    assert_string_equal(mc_schema_endpoint_name(svc, 1), "Helloworld.Stream");
    assert_null(mc_schema_endpoint_name(svc, 2));
    const cJSON *e = mc_schema_endpoint(svc, "helloworld.call"); /* case-insensitive */
    assert_non_null(e);
    assert_null(mc_schema_endpoint(svc, "Helloworld.Nope"));
    const cJSON *req = mc_schema_endpoint_request(e);
    assert_string_equal(mc_schema_value_type(req), "Req");
    char acc[256] = "";
    assert_int_equal(mc_schema_fields(req, '-', count_field, acc), 0);
    assert_string_equal(acc, "name:string;opts-n:int32;");
    cJSON_Delete(svc);

    cJSON *none = cJSON_Parse("{\"name\":\"x\"}");
    assert_int_equal(mc_schema_endpoint_count(none), 0);
    assert_null(mc_schema_endpoint(none, "X.Call"));
    cJSON_Delete(none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_entry_needs_no_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_foreign_or_broken_entries_are_misses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_services_list, setup, teardown),
        cmocka_unit_test(test_readers),
    };
    return cmocka_run_group_tests_name("schema_cache", tests, NULL, NULL);
}
