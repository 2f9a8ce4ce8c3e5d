/*
 * Unit tests for libmicro's config snapshot (micro_config.c): dot paths, each
 * typed getter with its default for missing paths and wrong types, Go
 * durations, string lists and maps, the JSON of a subtree, and the scan into a
 * struct through a field table (types, defaults kept, bad tables refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "micro.h"

static const char DOC[] =
    "{\"db\":{\"host\":\"db.local\",\"port\":5432,\"tls\":true,\"ratio\":0.25,"
    "\"timeout\":\"1m30s\",\"retry\":\"250ms\",\"idle\":15,\"port_text\":\"6543\"},"
    "\"hosts\":[\"a\",\"b\",\"c\"],\"mixed\":[\"a\",1],"
    "\"labels\":{\"team\":\"core\",\"tier\":2,\"on\":false},"
    "\"name\":\"svc\",\"flag\":\"true\"}";

static struct micro_config *doc(void)
{
    struct micro_config *cfg = micro_config_parse(DOC);

    assert_non_null(cfg);
    return cfg;
}

static void test_parse_refuses_non_objects(void **state)
{
    (void)state;
    assert_null(micro_config_parse("[1,2]"));
    assert_null(micro_config_parse("{\"a\":"));
    assert_null(micro_config_parse(NULL));
    micro_config_free(micro_config_parse("{}"));
    micro_config_free(NULL);
}

static void test_strings_and_paths(void **state)
{
    struct micro_config *cfg = doc();

    (void)state;
    assert_string_equal(micro_config_string(cfg, "db.host", "x"), "db.local");
    assert_string_equal(micro_config_string(cfg, "name", "x"), "svc");
    assert_string_equal(micro_config_string(cfg, "db.nope", "dflt"), "dflt");
    assert_string_equal(micro_config_string(cfg, "db.port", "dflt"), "dflt");   /* a number */
    assert_string_equal(micro_config_string(cfg, "db.host.deeper", "d"), "d");
    assert_string_equal(micro_config_string(cfg, "db..host", "d"), "d");
    assert_string_equal(micro_config_string(cfg, "db.", "d"), "d");
    assert_string_equal(micro_config_string(cfg, ".db", "d"), "d");
    assert_null(micro_config_string(cfg, "missing", NULL));
    micro_config_free(cfg);
}

static void test_numbers_and_bools(void **state)
{
    struct micro_config *cfg = doc();

    (void)state;
    assert_int_equal(micro_config_int(cfg, "db.port", 1), 5432);
    assert_int_equal(micro_config_int(cfg, "db.port_text", 1), 6543);
    assert_int_equal(micro_config_int(cfg, "db.ratio", 7), 7);      /* not an integer */
    assert_int_equal(micro_config_int(cfg, "db.host", 7), 7);
    assert_true(micro_config_bool(cfg, "db.tls", false));
    assert_true(micro_config_bool(cfg, "flag", false));
    assert_false(micro_config_bool(cfg, "labels.on", true));
    assert_true(micro_config_bool(cfg, "db.port", true));          /* wrong type: default */
    assert_true(micro_config_float(cfg, "db.ratio", 0) == 0.25);
    assert_true(micro_config_float(cfg, "db.port", 0) == 5432.0);
    assert_true(micro_config_float(cfg, "db.host", 1.5) == 1.5);
    micro_config_free(cfg);
}

static void test_durations(void **state)
{
    struct micro_config *cfg = micro_config_parse(
        "{\"a\":\"1h2m3.5s\",\"b\":\"300ms\",\"c\":\"-2s\",\"d\":\"0\",\"e\":\"10\",\"f\":\"5x\","
        "\"g\":\"\",\"h\":2.5,\"i\":\"1.5us\",\"j\":\"s\",\"k\":\"1s-2s\"}");

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(micro_config_duration_ms(cfg, "a", -1), 3723500);
    assert_int_equal(micro_config_duration_ms(cfg, "b", -1), 300);
    assert_int_equal(micro_config_duration_ms(cfg, "c", -1), -2000);
    assert_int_equal(micro_config_duration_ms(cfg, "d", -1), 0);
    assert_int_equal(micro_config_duration_ms(cfg, "e", -1), -1);   /* no unit, as Go */
    assert_int_equal(micro_config_duration_ms(cfg, "f", -1), -1);
    assert_int_equal(micro_config_duration_ms(cfg, "g", -1), -1);
    assert_int_equal(micro_config_duration_ms(cfg, "h", -1), 2500); /* seconds */
    assert_int_equal(micro_config_duration_ms(cfg, "i", -1), 0);
    assert_int_equal(micro_config_duration_ms(cfg, "j", -1), -1);
    assert_int_equal(micro_config_duration_ms(cfg, "k", -1), -1);
    assert_int_equal(micro_config_duration_ms(cfg, "zz", 42), 42);
    micro_config_free(cfg);
}

static int seen;
static void count_pair(const char *key, const char *value, void *user)
{
    char *acc = user;
    size_t len = strlen(acc);

    seen++;
    snprintf(acc + len, 256 - len, "%s=%s;", key, value);
}

static void test_lists_maps_json(void **state)
{
    struct micro_config *cfg = doc();
    const char *const *list;
    char acc[256] = "";
    char *json;

    (void)state;
    assert_int_equal(micro_config_strings(cfg, "hosts", &list), 3);
    assert_string_equal(list[0], "a");
    assert_string_equal(list[2], "c");
    assert_null(list[3]);
    assert_int_equal(micro_config_strings(cfg, "mixed", &list), 0);
    assert_null(list[0]);
    assert_int_equal(micro_config_strings(cfg, "nope", &list), 0);
    assert_null(list[0]);
    seen = 0;
    assert_int_equal(micro_config_map(cfg, "labels", count_pair, acc), 3);
    assert_int_equal(seen, 3);
    assert_string_equal(acc, "team=core;tier=2;on=false;");
    assert_int_equal(micro_config_map(cfg, "hosts", count_pair, acc), 0);
    json = micro_config_json(cfg, "labels");
    assert_string_equal(json, "{\"team\":\"core\",\"tier\":2,\"on\":false}");
    free(json);
    assert_null(micro_config_json(cfg, "labels.nope"));
    micro_config_free(cfg);
}

struct db {
    char host[8];
    int64_t port;
    bool tls;
    double ratio;
    int64_t timeout_ms;
    int64_t idle_ms;
    char missing[16];
};

static void test_scan(void **state)
{
    static const struct micro_config_field fields[] = {
        MICRO_FIELD_STRING(struct db, host),
        MICRO_FIELD_INT(struct db, port),
        MICRO_FIELD_BOOL(struct db, tls),
        MICRO_FIELD_FLOAT(struct db, ratio),
        MICRO_FIELD_DURATION_KEY(struct db, timeout_ms, "timeout"),
        MICRO_FIELD_DURATION_KEY(struct db, idle_ms, "idle"),
        MICRO_FIELD_STRING(struct db, missing),
    };
    struct micro_config *cfg = doc();
    struct db d = { .missing = "keep", .port = 1 };

    (void)state;
    assert_int_equal(micro_config_scan(cfg, "db", fields, 7, &d), 6);
    assert_string_equal(d.host, "db.loca");     /* cut to the array, NUL-terminated */
    assert_int_equal(d.port, 5432);
    assert_true(d.tls);
    assert_true(d.ratio == 0.25);
    assert_int_equal(d.timeout_ms, 90000);
    assert_int_equal(d.idle_ms, 15000);
    assert_string_equal(d.missing, "keep");
    /* wrong types leave the field alone */
    assert_int_equal(micro_config_scan(cfg, "labels", (const struct micro_config_field[]){
                                           MICRO_FIELD_INT_KEY(struct db, port, "team") },
                                       1, &d), 0);
    assert_int_equal(d.port, 5432);
    micro_config_free(cfg);
}

static void test_scan_refuses_bad_tables(void **state)
{
    struct micro_config *cfg = doc();
    struct db d = { 0 };
    struct micro_config_field bad = { "port", MICRO_FIELD_INT_T, offsetof(struct db, port), 4 };
    struct micro_config_field nokey = { "", MICRO_FIELD_BOOL_T, 0, sizeof(bool) };

    (void)state;
    assert_int_equal(micro_config_scan(cfg, "db", &bad, 1, &d), MICRO_EINVAL);
    assert_int_equal(micro_config_scan(cfg, "db", &nokey, 1, &d), MICRO_EINVAL);
    assert_int_equal(micro_config_scan(NULL, "db", &nokey, 1, &d), MICRO_EINVAL);
    micro_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_refuses_non_objects),
        cmocka_unit_test(test_strings_and_paths),
        cmocka_unit_test(test_numbers_and_bools),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_lists_maps_json),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_scan_refuses_bad_tables),
    };

    return cmocka_run_group_tests_name("micro_config", tests, NULL, NULL);
}
