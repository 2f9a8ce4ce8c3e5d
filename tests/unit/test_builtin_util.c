/* Unit tests for client/builtin_util and the pure formatting of the core-service
 * builtins (cmd_store.c, cmd_auth.c, cmd_network.c): Go's ParseDuration,
 * encoding/json strings and marshalling, go-humanize, Duration.String,
 * olekukonko/tablewriter, and the builtins' outputs on canned responses
 * (the auth tables against spec/micro-v3-transcript.md's addendum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builtin_util.h"
#include "mc_common.h"

/* ---- helpers ---- */

static void expect_dur(const char *in, int64_t want)
{
    int64_t ns = -12345;
    char err[128] = "";

    assert_int_equal(mc_go_parse_duration(in, &ns, err, sizeof(err)), 0);
    assert_true(ns == want);
}

static void expect_dur_err(const char *in, const char *want)
{
    int64_t ns = 0;
    char err[128] = "";

    assert_int_equal(mc_go_parse_duration(in, &ns, err, sizeof(err)), MC_EINVAL);
    assert_string_equal(err, want);
}

/* Parses json, runs fn on it, compares the appended text with want. */
typedef int tree_fn(struct mc_buf *out, const cJSON *v);
static void expect_tree(tree_fn *fn, const char *json, const char *want)
{
    struct mc_buf out;
    cJSON *v = cJSON_Parse(json);

    assert_non_null(v);
    mc_buf_init(&out, 1 << 20);
    assert_int_equal(fn(&out, v), 0);
    assert_string_equal(mc_buf_cstr(&out), want);
    mc_buf_release(&out);
    cJSON_Delete(v);
}

static void expect_marshal(const char *json, const char *want)
{
    expect_tree(mc_go_json_marshal, json, want);
}

/* ---- Go library behaviour ---- */

static void test_parse_duration(void **state)
{
    (void)state;
    expect_dur("0", 0);
    expect_dur("1h", 3600000000000LL);
    expect_dur("1h30m", 5400000000000LL);
    expect_dur("1.5h", 5400000000000LL);
    expect_dur("300ms", 300000000LL);
    expect_dur("-1s", -1000000000LL);
    expect_dur("+10s", 10000000000LL);
    expect_dur("2us", 2000);
    expect_dur("2\xc2\xb5s", 2000);
    expect_dur(".5s", 500000000LL);
    expect_dur("1ns", 1);
    expect_dur_err("abc", "time: invalid duration \"abc\"");
    expect_dur_err("", "time: invalid duration \"\"");
    expect_dur_err("10", "time: missing unit in duration \"10\"");
    expect_dur_err("10x", "time: unknown unit \"x\" in duration \"10x\"");
    expect_dur_err("1h.", "time: invalid duration \"1h.\"");
    expect_dur_err("3000000h", "time: invalid duration \"3000000h\"");
    expect_dur_err("-", "time: invalid duration \"-\"");
}

static void test_json_string(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 1024);
    const char in[] = "a\"b\\c\n<&>\t\x01\xe2\x80\xa8\xff\xc3\xa9";
    assert_int_equal(mc_go_json_string(&b, in, sizeof(in) - 1), 0);
    assert_string_equal(mc_buf_cstr(&b),
                        "\"a\\\"b\\\\c\\n\\u003c\\u0026\\u003e\\t\\u0001\\u2028\\ufffd\xc3\xa9\"");
    mc_buf_release(&b);
    assert_true(mc_go_has_rune_error("a\xff", 2));
    assert_true(mc_go_has_rune_error("\xef\xbf\xbd", 3)); /* U+FFFD itself */
    assert_false(mc_go_has_rune_error("h\xc3\xa9llo", 6));
    assert_true(mc_go_has_rune_error("\xed\xa0\x80", 3)); /* a surrogate */
}

static void test_json_marshal(void **state)
{
    (void)state;
    /* what `micro config set` sends for an argument */
    expect_marshal("1", "1");
    expect_marshal("1.0", "1");
    expect_marshal("0.1", "0.1");
    expect_marshal("1e3", "1000");
    expect_marshal("1e21", "1e+21");
    expect_marshal("1e-7", "1e-7");
    expect_marshal("123456789", "123456789");
    expect_marshal("-2.5", "-2.5");
    expect_marshal("true", "true");
    expect_marshal("null", "null");
    expect_marshal("{\"b\":2,\"a\":1,\"b\":3}", "{\"a\":1,\"b\":3}");
    expect_marshal("[\"<x>\",{}]", "[\"\\u003cx\\u003e\",{}]");
    expect_marshal("{\"z\":{\"y\":[1,2]},\"a\":\"\"}", "{\"a\":\"\",\"z\":{\"y\":[1,2]}}");
}

static void test_base64(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 64);
    mc_go_base64(&b, "v", 1);
    mc_buf_append_byte(&b, ' ');
    mc_go_base64(&b, "v2", 2);
    mc_buf_append_byte(&b, ' ');
    mc_go_base64(&b, "abc", 3);
    assert_string_equal(mc_buf_cstr(&b), "dg== djI= YWJj");
    mc_buf_release(&b);
}

static void expect_human(int64_t ns, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 64);
    assert_int_equal(mc_go_humanize_ahead(&b, ns), 0);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void test_humanize(void **state)
{
    const int64_t s = 1000000000;

    (void)state;
    expect_human(0, "now");
    expect_human(s, "1 second from now");
    expect_human(59 * s, "59 seconds from now");
    expect_human(60 * s - 1, "59 seconds from now");
    expect_human(3600 * s - 1, "59 minutes from now");
    expect_human(3600 * s, "1 hour from now");
    expect_human(5 * 3600 * s, "5 hours from now");
    expect_human(3 * 86400 * s, "3 days from now");
    expect_human(14 * 86400 * s, "2 weeks from now");
    expect_human(90 * 86400 * s, "3 months from now");
    expect_human(400 * 86400 * s, "1 year from now");
    expect_human(3 * 365 * 86400 * s, "3 years from now");
}

static void expect_go_dur(int64_t ns, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 64);
    assert_int_equal(mc_go_duration_string(&b, ns), 0);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void test_duration_string(void **state)
{
    (void)state;
    expect_go_dur(0, "0s");
    expect_go_dur(12, "12ns");
    expect_go_dur(1500, "1.5\xc2\xb5s");
    expect_go_dur(1500000, "1.5ms");
    expect_go_dur(45000000000LL, "45s");
    expect_go_dur(3723000000000LL, "1h2m3s");
    expect_go_dur(3600000000000LL, "1h0m0s");
    expect_go_dur(4250000000LL, "4.25s");
    expect_go_dur(-61000000000LL, "-1m1s");
}

static void test_ascii_table(void **state)
{
    const char *header[] = {"ID", "ADDRESS"};
    const char *cells[] = {"n1", "127.0.0.1:8081", "node-two", "x"};
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 4096);
    assert_int_equal(mc_go_ascii_table(&b, header, 2, cells, 2), 0);
    assert_string_equal(mc_buf_cstr(&b), "+----------+----------------+\n"
                                         "|    ID    |    ADDRESS     |\n"
                                         "+----------+----------------+\n"
                                         "| n1       | 127.0.0.1:8081 |\n"
                                         "| node-two | x              |\n"
                                         "+----------+----------------+\n");
    mc_buf_release(&b);
}

/* ---- the builtins' outputs ---- */

static int rules_fn(struct mc_buf *out, const cJSON *v)
{
    return mc_auth_format_rules(out, cJSON_GetObjectItem(v, "rules"));
}

static void test_auth_rules(void **state)
{
    (void)state;
    /* the addendum's two tables, bytes as printed by upstream */
    expect_tree(rules_fn,
                "{\"rules\":[{\"id\":\"default\",\"resource\":{\"type\":\"*\",\"name\":\"*\","
                "\"endpoint\":\"*\"},\"access\":\"GRANTED\"}]}",
                "ID\t\tScope\t\t\tAccess\t\tResource\t\tPriority\n"
                "default\t\t<public>\t\tGRANTED\t\t*:*:*\t\t\t0\n");
    expect_tree(rules_fn,
                "{\"rules\":[{\"id\":\"onlyloggedin\",\"scope\":\"*\",\"resource\":{\"type\":\"*\","
                "\"name\":\"*\",\"endpoint\":\"*\"},\"access\":\"GRANTED\"},"
                "{\"id\":\"auth-public\",\"resource\":{\"type\":\"service\",\"name\":\"auth\","
                "\"endpoint\":\"*\"},\"access\":\"GRANTED\"}]}",
                "ID\t\t\tScope\t\t\tAccess\t\tResource\t\tPriority\n"
                "auth-public\t\t<public>\t\tGRANTED\t\tservice:auth:*\t\t0\n"
                "onlyloggedin\t\t*\t\t\tGRANTED\t\t*:*:*\t\t\t0\n");
    /* same resource: the key ends in string(rune(priority)), sorted descending */
    expect_tree(rules_fn,
                "{\"rules\":[{\"id\":\"a\",\"resource\":{\"type\":\"s\",\"name\":\"n\","
                "\"endpoint\":\"e\"},\"access\":\"DENIED\",\"priority\":1},"
                "{\"id\":\"b\",\"resource\":{\"type\":\"s\",\"name\":\"n\",\"endpoint\":\"e\"},"
                "\"access\":2,\"priority\":5}]}",
                "ID\t\tScope\t\t\tAccess\t\tResource\t\tPriority\n"
                "b\t\t<public>\t\tDENIED\t\ts:n:e\t\t\t5\n"
                "a\t\t<public>\t\tDENIED\t\ts:n:e\t\t\t1\n");
}

static int accounts_fn(struct mc_buf *out, const cJSON *v)
{
    return mc_auth_format_accounts(out, cJSON_GetObjectItem(v, "accounts"));
}

static void test_auth_accounts(void **state)
{
    (void)state;
    expect_tree(accounts_fn,
                "{\"accounts\":[{\"id\":\"admin\",\"name\":\"admin\",\"scopes\":[\"admin\"],"
                "\"metadata\":{\"created\":\"1795860836\"}},{\"id\":\"jane\",\"name\":\"jane\","
                "\"scopes\":[\"admin\"],\"metadata\":{\"created\":\"1795860837\"}},"
                "{\"id\":\"svc\",\"name\":\"svc\",\"scopes\":[\"a\",\"b\"],"
                "\"metadata\":{\"z\":\"1\",\"b\":\"2\"}},{\"id\":\"bare\",\"name\":\"bare\"}]}",
                "ID\t\tName\t\tScopes\t\tMetadata\n"
                "admin\t\tadmin\t\tadmin\t\tcreated=1795860836 \n"
                "jane\t\tjane\t\tadmin\t\tcreated=1795860837 \n"
                "svc\t\tsvc\t\ta, b\t\tb=2 z=1 \n"
                "bare\t\tbare\t\tn/a\t\tn/a\n");
    expect_tree(mc_auth_format_account_json,
                "{\"id\":\"jane\",\"type\":\"user\",\"issuer\":\"micro\",\"metadata\":{\"created\":"
                "\"1795860837\"},\"scopes\":[\"admin\"],\"secret\":\"s\",\"name\":\"jane\"}",
                "{\"id\":\"jane\",\"type\":\"user\",\"issuer\":\"micro\",\"metadata\":{\"created\":"
                "\"1795860837\"},\"scopes\":[\"admin\"],\"secret\":\"s\",\"name\":\"jane\"}");
    /* protojson leaves out what is empty; Go's nil map and slice are null */
    expect_tree(mc_auth_format_account_json, "{\"id\":\"x\"}",
                "{\"id\":\"x\",\"type\":\"\",\"issuer\":\"\",\"metadata\":null,\"scopes\":null,"
                "\"secret\":\"\",\"name\":\"\"}");
}

static void test_auth_token(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    expect_tree(mc_auth_format_token_json,
                "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"created\":\"0\","
                "\"expiry\":\"60\"}",
                "{\"access_token\":\"a\",\"refresh_token\":\"r\","
                "\"created\":\"1970-01-01T00:00:00Z\",\"expiry\":\"1970-01-01T00:01:00Z\"}");
}

static int records_values(struct mc_buf *out, const cJSON *v)
{
    return mc_store_format_records(out, cJSON_GetObjectItem(v, "records"), MC_STORE_OUT_VALUES);
}

static int records_json(struct mc_buf *out, const cJSON *v)
{
    return mc_store_format_records(out, cJSON_GetObjectItem(v, "records"), MC_STORE_OUT_JSON);
}

static int records_verbose(struct mc_buf *out, const cJSON *v)
{
    return mc_store_format_records(out, cJSON_GetObjectItem(v, "records"), MC_STORE_OUT_VERBOSE);
}

static void test_store_records(void **state)
{
    const char *rsp = "{\"records\":[{\"key\":\"k\",\"value\":\"dg==\"},"
                      "{\"key\":\"k2\",\"value\":\"djI=\",\"expiry\":\"3600\","
                      "\"metadata\":{\"z\":{\"type\":\"string\",\"value\":\"1\"},\"a\":{}}},"
                      "{\"key\":\"bin\",\"value\":\"/wABAgMEBQYHCAkKCwwNDg8QERITFBUWFw==\"}]}";

    (void)state;
    expect_tree(records_values, "{\"records\":[{\"key\":\"k\",\"value\":\"dg==\"},"
                                "{\"key\":\"k2\",\"value\":\"djI=\"}]}",
                "v\nv2\n");
    expect_tree(records_json, "{\"records\":[]}", "null\n");
    expect_tree(records_json, rsp,
                "[\n"
                "  {\n    \"key\": \"k\",\n    \"value\": \"dg==\",\n    \"metadata\": {}\n  },\n"
                "  {\n    \"key\": \"k2\",\n    \"value\": \"djI=\",\n    \"metadata\": {\n"
                "      \"a\": {},\n"
                "      \"z\": {\n        \"type\": \"string\",\n        \"value\": \"1\"\n      }\n"
                "    },\n    \"expiry\": 3600000000000\n  },\n"
                "  {\n    \"key\": \"bin\",\n"
                "    \"value\": \"/wABAgMEBQYHCAkKCwwNDg8QERITFBUWFw==\",\n"
                "    \"metadata\": {}\n  }\n"
                "]\n");
    expect_tree(records_verbose, rsp,
                "KEY   VALUE                                        EXPIRY\n"
                "k     v                                            None\n"
                "k2    v2                                           59 minutes from now\n"
                "bin   0xff000102030405060708090a0b0c0d0e0f101112   None\n");
}

static int keys_lines(struct mc_buf *out, const cJSON *v)
{
    return mc_store_format_keys(out, v, false);
}

static int keys_json(struct mc_buf *out, const cJSON *v)
{
    return mc_store_format_keys(out, v, true);
}

static void test_store_keys(void **state)
{
    (void)state;
    expect_tree(keys_lines, "[\"a\",\"b\"]", "a\nb\n");
    expect_tree(keys_lines, "[]", "");
    expect_tree(keys_json, "[\"a\",\"<b>\"]", "[\n  \"a\",\n  \"\\u003cb\\u003e\"\n]\n");
    expect_tree(keys_json, "[]", "null\n");
}

static void test_network(void **state)
{
    (void)state;
    expect_tree(mc_network_format_services, "{\"services\":[\"store\",\"auth\",\"config\"]}",
                "auth\nconfig\nstore");
    expect_tree(mc_network_format_services, "{}", "");
    expect_tree(mc_network_format_nodes, "{}", "");
    expect_tree(mc_network_format_nodes,
                "{\"nodes\":[{\"id\":\"n1\",\"address\":\"10.0.0.1:8085\"},{\"id\":\"n2\"}]}",
                "+----+---------------+\n"
                "| ID |    ADDRESS    |\n"
                "+----+---------------+\n"
                "| n1 | 10.0.0.1:8085 |\n"
                "| n2 | %!s(<nil>)    |\n"
                "+----+---------------+\n");
    expect_tree(mc_network_format_connections, "{\"root\":{\"node\":{\"id\":\"r\"}}}", "");
    expect_tree(mc_network_format_connections,
                "{\"root\":{\"node\":{\"id\":\"r\"},\"peers\":[{\"node\":{\"id\":\"p1\","
                "\"address\":\"a:1\"}}]}}",
                "+------+---------+\n"
                "| NODE | ADDRESS |\n"
                "+------+---------+\n"
                "| p1   | a:1     |\n"
                "+------+---------+\n");
    expect_tree(mc_network_format_routes, "{}", "");
    expect_tree(mc_network_format_routes,
                "{\"routes\":[{\"service\":\"store\",\"address\":\"a:1\",\"router\":\"r\","
                "\"network\":\"micro\",\"link\":\"local\",\"metric\":\"9223372036854775807\"},"
                "{\"service\":\"auth\",\"address\":\"a:2\",\"gateway\":\"g\",\"router\":\"r\","
                "\"network\":\"micro\",\"link\":\"local\",\"metric\":\"1\"}]}",
                "+---------+---------+---------+--------+---------+--------+-------+\n"
                "| SERVICE | ADDRESS | GATEWAY | ROUTER | NETWORK | METRIC | LINK  |\n"
                "+---------+---------+---------+--------+---------+--------+-------+\n"
                "| auth    | a:2     | g       | r      | micro   | 1      | local |\n"
                "| store   | a:1     |         | r      | micro   | \xe2\x88\x9e      | local |\n"
                "+---------+---------+---------+--------+---------+--------+-------+\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration), cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_marshal),   cmocka_unit_test(test_base64),
        cmocka_unit_test(test_humanize),       cmocka_unit_test(test_duration_string),
        cmocka_unit_test(test_ascii_table),    cmocka_unit_test(test_auth_rules),
        cmocka_unit_test(test_auth_accounts),  cmocka_unit_test(test_auth_token),
        cmocka_unit_test(test_store_records),  cmocka_unit_test(test_store_keys),
        cmocka_unit_test(test_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
