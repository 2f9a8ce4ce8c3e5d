/* Unit tests for mc_codec: every row of the content-type table, parameters and
 * case, the server's selection rule with its fallbacks and its error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mc_codec.h"

static struct mc_slice cs(const char *s)
{
    return mc_slice_cstr(s);
}

static void test_table(void **state)
{
    static const struct {
        const char *ct;
        enum mc_codec codec;
    } rows[] = {
        { "application/json", MC_CODEC_JSON },
        { "application/grpc+json", MC_CODEC_JSON },
        { "multipart/form-data", MC_CODEC_JSON },
        { "application/proto", MC_CODEC_PROTO },
        { "application/protobuf", MC_CODEC_PROTO },
        { "application/octet-stream", MC_CODEC_PROTO },
        { "application/grpc", MC_CODEC_PROTO },
        { "application/grpc+proto", MC_CODEC_PROTO },
        { "application/grpc+bytes", MC_CODEC_BYTES },
        /* parameters, case and spaces */
        { "application/json; charset=utf-8", MC_CODEC_JSON },
        { "Application/JSON;charset=UTF-8", MC_CODEC_JSON },
        { " application/grpc+proto ", MC_CODEC_PROTO },
        { "multipart/form-data; boundary=----x", MC_CODEC_JSON },
        { "APPLICATION/GRPC+BYTES ;x=y", MC_CODEC_BYTES },
        /* unknown */
        { "", MC_CODEC_UNKNOWN },
        { ";charset=utf-8", MC_CODEC_UNKNOWN },
        { "text/plain", MC_CODEC_UNKNOWN },
        { "application/grpc+xml", MC_CODEC_UNKNOWN },
        { "application/jsonx", MC_CODEC_UNKNOWN },
        { "application/json-rpc", MC_CODEC_UNKNOWN },
        { "application/grpc-web", MC_CODEC_UNKNOWN },
        { "application/x-www-form-urlencoded", MC_CODEC_UNKNOWN },
        { "application/ json", MC_CODEC_UNKNOWN },
    };
    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(rows); i++) {
        enum mc_codec c = mc_codec_from_content_type(cs(rows[i].ct));
        if (c != rows[i].codec)
            fail_msg("'%s' gave %s", rows[i].ct, mc_codec_name(c));
    }
    /* The slice length is honoured and NULL/0 is unknown. */
    assert_int_equal(mc_codec_from_content_type((struct mc_slice){ "application/jsonXYZ", 16 }),
                     MC_CODEC_JSON);
    assert_int_equal(mc_codec_from_content_type((struct mc_slice){ NULL, 0 }), MC_CODEC_UNKNOWN);
}

static void test_select_rule(void **state)
{
    struct mc_slice none = { NULL, 0 };
    enum mc_codec c = MC_CODEC_UNKNOWN;
    struct mc_error err;
    (void)state;
    mc_error_init(&err);
    /* content-type wins over x-content-type */
    assert_int_equal(mc_codec_select(cs("application/grpc+json"), cs("application/protobuf"),
                                     NULL, &c, &err), 0);
    assert_int_equal(c, MC_CODEC_JSON);
    /* x-content-type when content-type is missing or empty */
    assert_int_equal(mc_codec_select(none, cs("application/json"), NULL, &c, &err), 0);
    assert_int_equal(c, MC_CODEC_JSON);
    assert_int_equal(mc_codec_select(cs(""), cs("application/octet-stream"), NULL, &c, &err), 0);
    assert_int_equal(c, MC_CODEC_PROTO);
    /* default application/grpc */
    c = MC_CODEC_UNKNOWN;
    assert_int_equal(mc_codec_select(none, none, NULL, &c, &err), 0);
    assert_int_equal(c, MC_CODEC_PROTO);
    assert_null(err.detail);

    /* unknown: 500 Unsupported Content-Type, codec untouched */
    c = MC_CODEC_BYTES;
    assert_int_equal(mc_codec_select(cs("text/html; charset=utf-8"), cs("application/json"), NULL,
                                     &c, &err), MC_EUNSUPPORTED);
    assert_int_equal(c, MC_CODEC_BYTES);
    assert_int_equal(err.code, 500);
    assert_string_equal(err.id, MC_CODEC_ERROR_ID);
    assert_string_equal(err.detail, "Unsupported Content-Type: text/html; charset=utf-8");
    assert_string_equal(err.status, "Internal Server Error");
    assert_int_equal(mc_codec_select(none, cs("x/y"), "helloworld", &c, &err), MC_EUNSUPPORTED);
    assert_string_equal(err.id, "helloworld");
    assert_string_equal(err.detail, "Unsupported Content-Type: x/y");
    mc_error_release(&err);
}

static void test_grpc_content_type_and_names(void **state)
{
    (void)state;
    assert_string_equal(mc_codec_grpc_content_type(MC_CODEC_JSON), "application/grpc+json");
    assert_string_equal(mc_codec_grpc_content_type(MC_CODEC_PROTO), "application/grpc+proto");
    assert_string_equal(mc_codec_grpc_content_type(MC_CODEC_BYTES), "application/grpc+bytes");
    assert_null(mc_codec_grpc_content_type(MC_CODEC_UNKNOWN));
    /* What we send maps back to the same codec. */
    for (int c = MC_CODEC_JSON; c <= MC_CODEC_BYTES; c++)
        assert_int_equal(mc_codec_from_content_type(cs(mc_codec_grpc_content_type(c))), c);
    assert_string_equal(mc_codec_name(MC_CODEC_JSON), "json");
    assert_string_equal(mc_codec_name(MC_CODEC_PROTO), "proto");
    assert_string_equal(mc_codec_name(MC_CODEC_BYTES), "bytes");
    assert_string_equal(mc_codec_name(MC_CODEC_UNKNOWN), "unknown");
    assert_string_equal(mc_codec_name((enum mc_codec)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_select_rule),
        cmocka_unit_test(test_grpc_content_type_and_names),
    };
    return cmocka_run_group_tests_name("mc_codec", tests, NULL, NULL);
}
