/* Unit tests for client/dash_log: the dashboard's bounded log ring (order,
 * eviction counted as dropped, never silent), saving with the dropped note,
 * JSON lines made readable, and the case-insensitive match of / and n/N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dash_log.h"

static void push(struct dash_log *l, const char *s)
{
    dash_log_push(l, s, strlen(s), 0);
}

static void test_ring_order_and_drop(void **state)
{
    struct dash_log l;
    char buf[32];

    (void)state;
    dash_log_init(&l, 3);
    push(&l, "a\n");
    assert_int_equal(l.len, 1);
    assert_string_equal(dash_log_at(&l, 0)->text, "a"); /* newline removed */
    push(&l, "b");
    push(&l, "c");
    assert_int_equal(l.dropped, 0);
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof(buf), "x%d", i);
        push(&l, buf);
        /* invariants after each push: full, counted, oldest first */
        assert_int_equal(l.len, 3);
        assert_int_equal(l.total, (uint64_t)(4 + i));
        assert_int_equal(l.dropped, l.total - l.len);
        assert_string_equal(dash_log_at(&l, 2)->text, buf);
    }
    assert_string_equal(dash_log_at(&l, 0)->text, "x2");
    assert_null(dash_log_at(&l, 3));
    dash_log_clear(&l);
    assert_int_equal(l.len, 0);
    assert_int_equal(l.dropped, 0);
    push(&l, "again");
    assert_string_equal(dash_log_at(&l, 0)->text, "again");
    dash_log_release(&l);
}

static void test_long_line_cut(void **state)
{
    struct dash_log l;
    char *big = malloc(DASH_LOG_LINE_MAX + 100);

    (void)state;
    memset(big, 'z', DASH_LOG_LINE_MAX + 100);
    dash_log_init(&l, 2);
    dash_log_push(&l, big, DASH_LOG_LINE_MAX + 100, 7);
    assert_int_equal(dash_log_at(&l, 0)->len, DASH_LOG_LINE_MAX);
    assert_int_equal(dash_log_at(&l, 0)->ts, 7);
    dash_log_release(&l);
    free(big);
}

static void test_save_says_dropped(void **state)
{
    struct dash_log l;
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    dash_log_init(&l, 2);
    push(&l, "one");
    f = open_memstream(&text, &len);
    assert_int_equal(dash_log_save(&l, f), 0);
    fclose(f);
    assert_string_equal(text, "one\n");
    free(text);
    push(&l, "two");
    push(&l, "three");
    f = open_memstream(&text, &len);
    assert_int_equal(dash_log_save(&l, f), 0);
    fclose(f);
    assert_string_equal(text, "[dashboard: 1 earlier lines dropped, buffer of 2 lines]\n"
                              "two\nthree\n");
    free(text);
    dash_log_release(&l);
}

static void expect_readable(const char *in, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 4096);
    assert_int_equal(dash_log_readable(in, strlen(in), &b), 0);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void test_readable_json(void **state)
{
    (void)state;
    expect_readable("{\"level\":\"info\",\"msg\":\"started\",\"port\":8080,\"ok\":true}",
                    "INFO started port=8080 ok=true");
    expect_readable("{\"message\":\"m\",\"severity\":\"error\",\"x\":{\"a\":1}}",
                    "ERROR m x={\"a\":1}");
    expect_readable("{\"k\":\"v\"}", "k=v");
    expect_readable("plain text", "plain text");
    expect_readable("{not json", "{not json");
    expect_readable("[1,2]", "[1,2]");
}

static void test_match(void **state)
{
    (void)state;
    assert_true(dash_match("Hello World", 11, "world"));
    assert_true(dash_match("abc", 3, ""));
    assert_false(dash_match("abc", 3, "abcd"));
    assert_false(dash_match("abc", 2, "c")); /* only len bytes count */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_order_and_drop), cmocka_unit_test(test_long_line_cut),
        cmocka_unit_test(test_save_says_dropped),   cmocka_unit_test(test_readable_json),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
