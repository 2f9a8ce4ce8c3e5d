/* Unit tests for mc_error: constructors, status texts, the exact JSON, both key
 * cases, every code mapping row, the gRPC status round trip and the client's
 * fallback paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.pb-c.h"
#include "status.pb-c.h"
#include "mc_error.h"
#include "mc_http1.h"

static struct mc_slice cs(const char *s)
{
    return mc_slice_cstr(s);
}

static void assert_error(const struct mc_error *e, const char *id, int code, const char *detail,
                         const char *status)
{
    assert_string_equal(e->id ? e->id : "", id);
    assert_int_equal(e->code, code);
    assert_string_equal(e->detail ? e->detail : "", detail);
    assert_string_equal(e->status ? e->status : "", status);
}

/* The JSON of e as a heap string (caller frees). */
static char *to_json(const struct mc_error *e)
{
    struct mc_buf b;
    mc_buf_init(&b, 1 << 20);
    assert_int_equal(mc_error_to_json(e, &b), 0);
    return mc_buf_detach(&b, NULL);
}

static void test_helpers_set_code_and_status(void **state)
{
    static const struct {
        void (*fn)(struct mc_error *, const char *, const char *, ...);
        int code;
        const char *status;
    } rows[] = {
        { mc_error_bad_request, 400, "Bad Request" },
        { mc_error_unauthorized, 401, "Unauthorized" },
        { mc_error_forbidden, 403, "Forbidden" },
        { mc_error_not_found, 404, "Not Found" },
        { mc_error_method_not_allowed, 405, "Method Not Allowed" },
        { mc_error_timeout, 408, "Request Timeout" },
        { mc_error_conflict, 409, "Conflict" },
        { mc_error_internal, 500, "Internal Server Error" },
        { mc_error_not_implemented, 501, "Not Implemented" },
        { mc_error_bad_gateway, 502, "Bad Gateway" },
        { mc_error_unavailable, 503, "Service Unavailable" },
        { mc_error_gateway_timeout, 504, "Gateway Timeout" },
    };
    struct mc_error e;
    (void)state;
    mc_error_init(&e);
    for (size_t i = 0; i < MC_ARRAY_LEN(rows); i++) {
        rows[i].fn(&e, "store", "key %s missing (%d)", "foo", (int)i);
        char want[64];
        snprintf(want, sizeof want, "key foo missing (%d)", (int)i);
        assert_error(&e, "store", rows[i].code, want, rows[i].status);
    }
    mc_error_release(&e);
    assert_null(e.id);
    assert_null(e.detail);
    assert_int_equal(e.code, 0);
}

static void test_status_text_table(void **state)
{
    (void)state;
    assert_string_equal(mc_http_status_text(200), "OK");
    assert_string_equal(mc_http_status_text(204), "No Content");
    assert_string_equal(mc_http_status_text(302), "Found");
    assert_string_equal(mc_http_status_text(412), "Precondition Failed");
    assert_string_equal(mc_http_status_text(418), "I'm a teapot");
    assert_string_equal(mc_http_status_text(429), "Too Many Requests");
    assert_string_equal(mc_http_status_text(511), "Network Authentication Required");
    assert_string_equal(mc_http_status_text(0), "");
    assert_string_equal(mc_http_status_text(499), "");
    assert_string_equal(mc_http_status_text(-1), "");
}

static void test_set_with_null_id_and_unknown_code(void **state)
{
    struct mc_error e;
    (void)state;
    mc_error_init(&e);
    mc_error_set(&e, NULL, 777, "x");
    assert_error(&e, "", 777, "x", "");
    mc_error_release(&e);
}

static void test_long_detail_is_cut(void **state)
{
    struct mc_error e;
    char *big = malloc(MC_ERROR_TEXT_MAX * 2 + 1);
    (void)state;
    memset(big, 'a', MC_ERROR_TEXT_MAX * 2);
    big[MC_ERROR_TEXT_MAX * 2] = '\0';
    mc_error_init(&e);
    mc_error_internal(&e, big, "%s", big);
    assert_int_equal(strlen(e.detail), MC_ERROR_TEXT_MAX);
    assert_int_equal(strlen(e.id), MC_ERROR_TEXT_MAX);
    mc_error_release(&e);
    free(big);
}

static void test_json_exact(void **state)
{
    struct mc_error e;
    char *j;
    (void)state;
    mc_error_init(&e);
    mc_error_not_found(&e, "go.micro.registry", "service %s not found", "helloworld");
    j = to_json(&e);
    assert_string_equal(j, "{\"id\":\"go.micro.registry\",\"code\":404,"
                           "\"detail\":\"service helloworld not found\",\"status\":\"Not Found\"}");
    free(j);
    mc_error_release(&e);

    /* An empty error still has every key. */
    j = to_json(&e);
    assert_string_equal(j, "{\"id\":\"\",\"code\":0,\"detail\":\"\",\"status\":\"\"}");
    free(j);
}

static void test_json_escaping(void **state)
{
    struct mc_error e;
    char *j;
    (void)state;
    mc_error_init(&e);
    mc_error_bad_request(&e, "a\"b\\c", "<b>&</b> /\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xe2\x80\xa8\xe2\x80\xa9");
    j = to_json(&e);
    assert_string_equal(j, "{\"id\":\"a\\\"b\\\\c\",\"code\":400,"
                           "\"detail\":\"<b>&</b> /\\n\\r\\t\\u0001\\u001f\x7f caf\xc3\xa9 "
                           "\\u2028\\u2029\",\"status\":\"Bad Request\"}");
    free(j);
    /* Invalid UTF-8 (lone continuation, truncated sequence, overlong, surrogate)
     * becomes U+FFFD per bad byte, as Go writes it. */
    mc_error_bad_request(&e, "x", "a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80");
    j = to_json(&e);
    assert_string_equal(j, "{\"id\":\"x\",\"code\":400,\"detail\":\"a\\ufffdb\\ufffd\\ufffdc"
                           "\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\",\"status\":\"Bad Request\"}");
    free(j);
    mc_error_release(&e);
}

static void test_json_respects_buffer_limit(void **state)
{
    struct mc_error e;
    struct mc_buf b;
    (void)state;
    mc_error_init(&e);
    mc_error_internal(&e, "id", "0123456789012345678901234567890123456789");
    mc_buf_init(&b, 40);
    assert_int_equal(mc_error_to_json(&e, &b), MC_ETOOBIG);
    assert_true(b.len <= 40);
    mc_buf_release(&b);
    mc_error_release(&e);
}

static void test_json_round_trip(void **state)
{
    struct mc_error a, b;
    char *j;
    (void)state;
    mc_error_init(&a);
    mc_error_init(&b);
    mc_error_conflict(&a, "store\t\"x\"", "line1\nline2 \xe2\x80\xa8 <tag> \x02 \xf0\x9f\x98\x80");
    j = to_json(&a);
    assert_int_equal(mc_error_from_json(&b, j, strlen(j)), 0);
    assert_true(mc_error_equal(&a, &b));
    free(j);
    mc_error_release(&a);
    mc_error_release(&b);
}

static void test_json_parse_both_key_cases(void **state)
{
    const char *lower = "{\"id\":\"go.micro.auth\",\"code\":401,\"detail\":\"no\",\"status\":\"Unauthorized\"}";
    const char *upper = "{\"Id\":\"go.micro.auth\",\"Code\":401,\"Detail\":\"no\",\"Status\":\"Unauthorized\"}";
    const char *mixed = " {\"DETAIL\":\"no\", \"extra\":[1,2], \"iD\":\"go.micro.auth\",\n"
                        "\"cOdE\":401,\"status\":\"Unauthorized\"} \n";
    struct mc_error e;
    (void)state;
    mc_error_init(&e);
    assert_int_equal(mc_error_from_json(&e, lower, strlen(lower)), 0);
    assert_error(&e, "go.micro.auth", 401, "no", "Unauthorized");
    assert_int_equal(mc_error_from_json(&e, upper, strlen(upper)), 0);
    assert_error(&e, "go.micro.auth", 401, "no", "Unauthorized");
    assert_int_equal(mc_error_from_json(&e, mixed, strlen(mixed)), 0);
    assert_error(&e, "go.micro.auth", 401, "no", "Unauthorized");
    mc_error_release(&e);
}

static void test_json_parse_partial_null_and_duplicates(void **state)
{
    const char *partial = "{\"detail\":\"only\"}";
    const char *nulls = "{\"id\":\"a\",\"id\":null,\"code\":null,\"detail\":\"d\",\"detail\":\"e\"}";
    const char *escaped = "{\"detail\":\"\\u00e9\\n\\\"\\/\"}";
    struct mc_error e;
    (void)state;
    mc_error_init(&e);
    assert_int_equal(mc_error_from_json(&e, partial, strlen(partial)), 0);
    assert_error(&e, "", 0, "only", "");
    /* null leaves the earlier value; the last duplicate wins (Go semantics). */
    assert_int_equal(mc_error_from_json(&e, nulls, strlen(nulls)), 0);
    assert_error(&e, "a", 0, "e", "");
    assert_int_equal(mc_error_from_json(&e, escaped, strlen(escaped)), 0);
    assert_error(&e, "", 0, "\xc3\xa9\n\"/", "");
    mc_error_release(&e);
}

static void test_json_parse_rejects_non_error_text(void **state)
{
    static const char *bad[] = {
        "",
        "unknown service Foo",
        "not json at all {",
        "[1,2,3]",
        "\"a string\"",
        "404",
        "null",
        "{\"id\":\"x\"",
        "{\"id\":\"x\"} trailing",
        "{\"id\":\"x\"}{}",
        "{\"id\":5}",
        "{\"detail\":true}",
        "{\"code\":\"404\"}",
        "{\"code\":404.5}",
        "{\"code\":1e20}",
        "{\"code\":-2147483649}",
        "{\"code\":2147483648}",
        "{\"status\":{}}",
    };
    struct mc_error e;
    (void)state;
    mc_error_init(&e);
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        int rc = mc_error_from_json(&e, bad[i], strlen(bad[i]));
        if (rc != MC_EPROTO)
            fail_msg("'%s' gave %d", bad[i], rc);
        assert_null(e.id);
        assert_null(e.detail);
        assert_int_equal(e.code, 0);
    }
    /* Bounds of int32 are accepted. */
    assert_int_equal(mc_error_from_json(&e, "{\"code\":-2147483648}", 20), 0);
    assert_int_equal(e.code, INT32_MIN);
    assert_int_equal(mc_error_from_json(&e, "{\"code\":2147483647}", 19), 0);
    assert_int_equal(e.code, INT32_MAX);
    /* The length is honoured: no reading past it. */
    assert_int_equal(mc_error_from_json(&e, "{\"code\":5}xxxx", 10), 0);
    assert_int_equal(e.code, 5);
    mc_error_release(&e);
}

static void test_json_parse_limit(void **state)
{
    size_t n = MC_ERROR_WIRE_MAX + 1;
    char *big = malloc(n);
    struct mc_error e;
    (void)state;
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    mc_error_init(&e);
    assert_int_equal(mc_error_from_json(&e, big, n), MC_ETOOBIG);
    assert_int_equal(mc_error_from_json(&e, big + 1, n - 1), MC_EPROTO);
    assert_int_equal(mc_error_from_json(&e, big + 2, n - 2), MC_EPROTO);
    memset(big, ' ', n);
    big[0] = '{';
    big[MC_ERROR_WIRE_MAX - 1] = '}';
    assert_int_equal(mc_error_from_json(&e, big, MC_ERROR_WIRE_MAX), 0);
    mc_error_release(&e);
    free(big);
}

static void test_grpc_code_table(void **state)
{
    static const int rows[][2] = {
        { 200, MC_GRPC_OK },
        { 400, MC_GRPC_INVALID_ARGUMENT },
        { 401, MC_GRPC_UNAUTHENTICATED },
        { 403, MC_GRPC_PERMISSION_DENIED },
        { 404, MC_GRPC_NOT_FOUND },
        { 408, MC_GRPC_DEADLINE_EXCEEDED },
        { 409, MC_GRPC_ALREADY_EXISTS },
        { 412, MC_GRPC_FAILED_PRECONDITION },
        { 500, MC_GRPC_INTERNAL },
        { 501, MC_GRPC_UNIMPLEMENTED },
        { 503, MC_GRPC_UNAVAILABLE },
        { 0, MC_GRPC_UNKNOWN },
        { 201, MC_GRPC_UNKNOWN },
        { 405, MC_GRPC_UNKNOWN },
        { 429, MC_GRPC_UNKNOWN },
        { 502, MC_GRPC_UNKNOWN },
        { 504, MC_GRPC_UNKNOWN },
        { -1, MC_GRPC_UNKNOWN },
    };
    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(rows); i++)
        assert_int_equal(mc_error_grpc_code(rows[i][0]), rows[i][1]);
}

static void test_grpc_to_http_table(void **state)
{
    static const int want[17] = { 200, 499, 500, 400, 504, 404, 409, 403, 429,
                                  400, 409, 400, 501, 500, 503, 500, 401 };
    (void)state;
    for (int c = 0; c <= 16; c++)
        assert_int_equal(mc_grpc_code_http_status(c), want[c]);
    assert_int_equal(mc_grpc_code_http_status(17), 500);
    assert_int_equal(mc_grpc_code_http_status(-1), 500);
    assert_int_equal(mc_grpc_code_http_status(1000), 500);
}

static void test_grpc_status_round_trip(void **state)
{
    struct mc_error a, b;
    struct mc_buf msg, det;
    int code = -1;
    char *json;
    (void)state;
    mc_error_init(&a);
    mc_error_init(&b);
    mc_buf_init(&msg, 1 << 16);
    mc_buf_init(&det, 1 << 16);
    mc_error_forbidden(&a, "go.micro.proxy", "Forbidden call made to %s by %s", "x:X.Y", "bob");
    assert_int_equal(mc_error_to_grpc_status(&a, &code, &msg, &det), 0);
    assert_int_equal(code, MC_GRPC_PERMISSION_DENIED);
    json = to_json(&a);
    assert_string_equal(mc_buf_cstr(&msg), json);
    free(json);

    /* The details decode as google.rpc.Status{code, message, [Any{errors.Error}]}. */
    Google__Rpc__Status *st = google__rpc__status__unpack(NULL, det.len, (const uint8_t *)det.data);
    assert_non_null(st);
    assert_int_equal(st->code, MC_GRPC_PERMISSION_DENIED);
    assert_string_equal(st->message, mc_buf_cstr(&msg));
    assert_int_equal(st->n_details, 1);
    assert_string_equal(st->details[0]->type_url, "type.googleapis.com/errors.Error");
    Errors__Error *pe = errors__error__unpack(NULL, st->details[0]->value.len,
                                              st->details[0]->value.data);
    assert_non_null(pe);
    assert_string_equal(pe->id, "go.micro.proxy");
    assert_int_equal(pe->code, 403);
    assert_string_equal(pe->status, "Forbidden");
    errors__error__free_unpacked(pe, NULL);
    google__rpc__status__free_unpacked(st, NULL);

    /* Back: from the details alone, and through the client algorithm. */
    assert_int_equal(mc_error_from_status_details(&b, (const uint8_t *)det.data, det.len), 0);
    assert_true(mc_error_equal(&a, &b));
    assert_int_equal(mc_error_from_grpc_status(&b, code, mc_buf_slice(&msg),
                                               (const uint8_t *)det.data, det.len), 0);
    assert_true(mc_error_equal(&a, &b));
    /* And from the message alone (a peer that sends no details). */
    assert_int_equal(mc_error_from_grpc_status(&b, code, mc_buf_slice(&msg), NULL, 0), 0);
    assert_true(mc_error_equal(&a, &b));

    mc_buf_release(&msg);
    mc_buf_release(&det);
    mc_error_release(&a);
    mc_error_release(&b);
}

static void test_grpc_status_drops_invalid_utf8_in_proto(void **state)
{
    struct mc_error a, b;
    struct mc_buf msg, det;
    int code;
    (void)state;
    mc_error_init(&a);
    mc_error_init(&b);
    mc_buf_init(&msg, 1 << 16);
    mc_buf_init(&det, 1 << 16);
    mc_error_set(&a, "i\xff" "d", 418, "caf\xc3\xa9\xff!");
    assert_int_equal(mc_error_to_grpc_status(&a, &code, &msg, &det), 0);
    assert_int_equal(code, MC_GRPC_UNKNOWN);
    assert_int_equal(mc_error_from_status_details(&b, (const uint8_t *)det.data, det.len), 0);
    assert_error(&b, "id", 418, "caf\xc3\xa9!", "I'm a teapot");
    mc_buf_release(&msg);
    mc_buf_release(&det);
    mc_error_release(&a);
    mc_error_release(&b);
}

static void test_grpc_status_limits(void **state)
{
    struct mc_error a;
    struct mc_buf msg, det;
    int code;
    (void)state;
    mc_error_init(&a);
    mc_error_internal(&a, "x", "%0200d", 1);
    mc_buf_init(&msg, 100);
    mc_buf_init(&det, 1 << 16);
    assert_int_equal(mc_error_to_grpc_status(&a, &code, &msg, &det), MC_ETOOBIG);
    mc_buf_release(&msg);
    mc_buf_init(&msg, 1 << 16);
    mc_buf_release(&det);
    mc_buf_init(&det, 100);
    assert_int_equal(mc_error_to_grpc_status(&a, &code, &msg, &det), MC_ETOOBIG);
    assert_int_equal(det.len, 0);
    mc_buf_release(&msg);
    mc_buf_release(&det);
    mc_error_release(&a);
}

/* Packs a google.rpc.Status with one Any of the given type and value. */
static size_t pack_status(uint8_t *out, const char *type_url, const uint8_t *val, size_t n,
                          bool with_detail)
{
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    Google__Rpc__Any any = GOOGLE__RPC__ANY__INIT;
    Google__Rpc__Any *anys[1] = { &any };
    any.type_url = (char *)type_url;
    any.value.data = (uint8_t *)val;
    any.value.len = n;
    st.code = 5;
    st.message = (char *)"m";
    if (with_detail) {
        st.n_details = 1;
        st.details = anys;
    }
    assert_true(google__rpc__status__get_packed_size(&st) < 512);
    return google__rpc__status__pack(&st, out);
}

static void test_status_details_decoder_cases(void **state)
{
    uint8_t buf[512], err_bytes[128];
    Errors__Error pe = ERRORS__ERROR__INIT;
    struct mc_error e;
    size_t n, en;
    (void)state;
    mc_error_init(&e);
    pe.id = (char *)"svc";
    pe.code = 404;
    pe.detail = (char *)"gone";
    pe.status = (char *)"Not Found";
    en = errors__error__pack(&pe, err_bytes);

    n = pack_status(buf, "type.googleapis.com/errors.Error", err_bytes, en, true);
    assert_int_equal(mc_error_from_status_details(&e, buf, n), 0);
    assert_error(&e, "svc", 404, "gone", "Not Found");
    /* Any host prefix names the same type. */
    n = pack_status(buf, "example.com/x/errors.Error", err_bytes, en, true);
    assert_int_equal(mc_error_from_status_details(&e, buf, n), 0);
    /* Another type, or no detail: not found. */
    n = pack_status(buf, "type.googleapis.com/google.rpc.BadRequest", err_bytes, en, true);
    assert_int_equal(mc_error_from_status_details(&e, buf, n), MC_ENOTFOUND);
    assert_null(e.id);
    n = pack_status(buf, "x", err_bytes, en, false);
    assert_int_equal(mc_error_from_status_details(&e, buf, n), MC_ENOTFOUND);
    /* A right type with a value that is not an errors.Error. */
    n = pack_status(buf, "type.googleapis.com/errors.Error", (const uint8_t *)"\xff\xff\xff", 3, true);
    assert_int_equal(mc_error_from_status_details(&e, buf, n), MC_EPROTO);
    /* Garbage and the empty status. */
    assert_int_equal(mc_error_from_status_details(&e, (const uint8_t *)"\x0a\xff", 2), MC_EPROTO);
    assert_int_equal(mc_error_from_status_details(&e, (const uint8_t *)"", 0), MC_ENOTFOUND);
    assert_int_equal(mc_error_from_status_details(&e, buf, MC_ERROR_WIRE_MAX + 1), MC_ETOOBIG);
    mc_error_release(&e);
}

static void test_client_fallbacks(void **state)
{
    struct mc_error e;
    const char *json = "{\"id\":\"go.micro.store\",\"code\":404,\"detail\":\"not found\",\"status\":\"Not Found\"}";
    const char *json0 = "{\"id\":\"x\",\"code\":0,\"detail\":\"zero\"}";
    (void)state;
    mc_error_init(&e);
    /* Message as JSON when there are no details. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_NOT_FOUND, cs(json), NULL, 0), 0);
    assert_error(&e, "go.micro.store", 404, "not found", "Not Found");
    /* Garbage details fall through to the message. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_NOT_FOUND, cs(json),
                                               (const uint8_t *)"\xff\xff", 2), 0);
    assert_error(&e, "go.micro.store", 404, "not found", "Not Found");
    /* Plain text: 500 go.micro.client with the text as detail. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_UNIMPLEMENTED,
                                               cs("unknown service Foo.Bar"), NULL, 0), 0);
    assert_error(&e, "go.micro.client", 500, "unknown service Foo.Bar", "Internal Server Error");
    /* JSON with code 0 is not an error to report as such. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_UNKNOWN, cs(json0), NULL, 0), 0);
    assert_error(&e, "go.micro.client", 500, json0, "Internal Server Error");
    /* An empty message. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_UNAVAILABLE,
                                               (struct mc_slice){ NULL, 0 }, NULL, 0), 0);
    assert_error(&e, "go.micro.client", 500, "", "Internal Server Error");
    /* OK is not an error. */
    assert_int_equal(mc_error_from_grpc_status(&e, MC_GRPC_OK, cs(json), NULL, 0), MC_EINVAL);
    assert_null(e.id);
    mc_error_release(&e);
}

static void test_unknown_service_text(void **state)
{
    struct mc_buf b;
    (void)state;
    mc_buf_init(&b, 256);
    assert_int_equal(mc_error_unknown_service(&b, "Helloworld", NULL), 0);
    assert_string_equal(mc_buf_cstr(&b), "unknown service Helloworld");
    mc_buf_reset(&b);
    assert_int_equal(mc_error_unknown_service(&b, "Helloworld", "Nope"), 0);
    assert_string_equal(mc_buf_cstr(&b), "unknown service Helloworld.Nope");
    mc_buf_release(&b);
}

static void test_copy_and_equal(void **state)
{
    struct mc_error a, b;
    (void)state;
    mc_error_init(&a);
    mc_error_init(&b);
    assert_true(mc_error_equal(&a, &b));
    mc_error_timeout(&a, "go.micro.client", "context deadline exceeded");
    assert_false(mc_error_equal(&a, &b));
    mc_error_copy(&b, &a);
    assert_true(mc_error_equal(&a, &b));
    assert_ptr_not_equal(a.detail, b.detail);
    mc_error_copy(&b, &b);
    assert_true(mc_error_equal(&a, &b));
    b.code = 500;
    assert_false(mc_error_equal(&a, &b));
    /* NULL and "" compare equal. */
    mc_error_release(&a);
    mc_error_release(&b);
    a.id = strdup("");
    assert_true(mc_error_equal(&a, &b));
    mc_error_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers_set_code_and_status),
        cmocka_unit_test(test_status_text_table),
        cmocka_unit_test(test_set_with_null_id_and_unknown_code),
        cmocka_unit_test(test_long_detail_is_cut),
        cmocka_unit_test(test_json_exact),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_respects_buffer_limit),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_parse_both_key_cases),
        cmocka_unit_test(test_json_parse_partial_null_and_duplicates),
        cmocka_unit_test(test_json_parse_rejects_non_error_text),
        cmocka_unit_test(test_json_parse_limit),
        cmocka_unit_test(test_grpc_code_table),
        cmocka_unit_test(test_grpc_to_http_table),
        cmocka_unit_test(test_grpc_status_round_trip),
        cmocka_unit_test(test_grpc_status_drops_invalid_utf8_in_proto),
        cmocka_unit_test(test_grpc_status_limits),
        cmocka_unit_test(test_status_details_decoder_cases),
        cmocka_unit_test(test_client_fallbacks),
        cmocka_unit_test(test_unknown_service_text),
        cmocka_unit_test(test_copy_and_equal),
    };
    return cmocka_run_group_tests_name("mc_error", tests, NULL, NULL);
}
