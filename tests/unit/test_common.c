/* Unit tests for mc_common (error table, slices, strict parsing) and mc_buf (capped buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mc_buf.h"
#include "mc_common.h"

static void test_strerror_table(void **state)
{
    (void)state;
    assert_string_equal(mc_strerror(MC_OK), "ok");
    assert_string_equal(mc_strerror(MC_ETOOBIG), "input exceeds its limit");
    assert_string_equal(mc_strerror(-9999), "unknown error");
}

static void test_parse_numbers_strictly(void **state)
{
    int64_t i;
    uint64_t u;
    (void)state;
    assert_int_equal(mc_parse_i64("-42", &i), MC_OK);
    assert_int_equal(i, -42);
    assert_int_equal(mc_parse_i64("42x", &i), MC_EINVAL);
    assert_int_equal(mc_parse_i64("", &i), MC_EINVAL);
    assert_int_equal(mc_parse_i64("99999999999999999999", &i), MC_EINVAL);
    assert_int_equal(mc_parse_u64("18446744073709551615", &u), MC_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(mc_parse_u64("-1", &u), MC_EINVAL);
}

static void test_slices(void **state)
{
    (void)state;
    assert_true(mc_slice_eq_cstr(MC_SLICE_LIT("abc"), "abc"));
    assert_false(mc_slice_eq_cstr(MC_SLICE_LIT("abc"), "abcd"));
    assert_true(mc_slice_ieq_cstr(MC_SLICE_LIT("Content-Type"), "content-type"));
}

static void test_buf_append_and_cap(void **state)
{
    struct mc_buf b;
    (void)state;
    mc_buf_init(&b, 8);
    assert_string_equal(mc_buf_cstr(&b), "");
    assert_int_equal(mc_buf_append_str(&b, "hello"), MC_OK);
    assert_int_equal(mc_buf_append_str(&b, "world"), MC_ETOOBIG);
    assert_string_equal(mc_buf_cstr(&b), "hello");   /* unchanged on failure */
    assert_int_equal(mc_buf_appendf(&b, "%d", 123), MC_OK);
    assert_string_equal(mc_buf_cstr(&b), "hello123");
    assert_int_equal(mc_buf_append_byte(&b, 'x'), MC_ETOOBIG);
    assert_int_equal(b.len, 8);
    mc_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.max, 8);
}

static void test_buf_consume_reserve_detach(void **state)
{
    struct mc_buf b;
    char *p;
    size_t n;
    (void)state;
    mc_buf_init(&b, 1 << 20);
    mc_buf_append_str(&b, "abcdef");
    mc_buf_consume(&b, 2);
    assert_string_equal(mc_buf_cstr(&b), "cdef");
    p = mc_buf_reserve(&b, 3);
    memcpy(p, "XYZ", 3);
    mc_buf_commit(&b, 2);
    assert_string_equal(mc_buf_cstr(&b), "cdefXY");
    assert_null(mc_buf_reserve(&b, 1 << 20));
    mc_buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    mc_buf_append_str(&b, "kept");
    p = mc_buf_detach(&b, &n);
    assert_int_equal(n, 4);
    assert_string_equal(p, "kept");
    assert_null(b.data);
    free(p);
    p = mc_buf_detach(&b, &n);
    assert_string_equal(p, "");
    free(p);
}

static void test_buf_grows_across_many_appends(void **state)
{
    struct mc_buf b;
    (void)state;
    mc_buf_init(&b, 100000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(mc_buf_appendf(&b, "%d,", i % 10), MC_OK);
    assert_int_equal(b.len, 20000);
    assert_int_equal(strlen(mc_buf_cstr(&b)), 20000);
    mc_buf_release(&b);
}

/* The published FNV-1a 64 vectors, and continuing a hash equals hashing the whole. */
static void test_fnv1a(void **state)
{
    (void)state;
    assert_true(mc_fnv1a(MC_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ull);
    assert_true(mc_fnv1a(MC_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(mc_fnv1a(MC_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ull);
    assert_true(mc_fnv1a(mc_fnv1a(MC_FNV1A_INIT, "foo", 3), "bar", 3) ==
                mc_fnv1a(MC_FNV1A_INIT, "foobar", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_table),
        cmocka_unit_test(test_parse_numbers_strictly),
        cmocka_unit_test(test_slices),
        cmocka_unit_test(test_fnv1a),
        cmocka_unit_test(test_buf_append_and_cap),
        cmocka_unit_test(test_buf_consume_reserve_detach),
        cmocka_unit_test(test_buf_grows_across_many_appends),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
