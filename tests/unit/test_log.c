/* Unit tests for mc_log: upstream's line format and level filtering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "mc_log.h"

__attribute__((format(printf, 3, 4)))
static int format(char *out, int n, const char *fmt, ...)
{
    va_list ap;
    int len;
    va_start(ap, fmt);
    len = mc_log_format(out, n, 1795860202LL, "server/server.c", 88, MC_LOG_INFO, fmt, ap);
    va_end(ap);
    return len;
}

static void test_line_format_matches_upstream(void **state)
{
    char line[256];
    (void)state;
    setenv("TZ", "UTC", 1);
    format(line, sizeof(line), "Starting [service] %s", "helloworld");
    /* 1795860202 = 2026-11-28 10:03:22 UTC */
    assert_string_equal(line, "2026-11-28 10:03:22  file=server/server.c:88 level=info "
                              "Starting [service] helloworld\n");
}

static void test_long_message_is_truncated_with_newline(void **state)
{
    char line[64];
    int len;
    (void)state;
    len = format(line, sizeof(line), "%s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_int_equal(len, (int)strlen(line));
    assert_true(len < 64);
    assert_int_equal(line[len - 1], '\n');
}

static void test_levels_filter_and_parse(void **state)
{
    int fds[2];
    char buf[512] = { 0 };
    ssize_t n;
    (void)state;
    assert_int_equal(mc_log_level_parse("debug"), MC_LOG_DEBUG);
    assert_int_equal(mc_log_level_parse("loud"), -1);
    assert_int_equal(pipe(fds), 0);
    mc_log_set_fd(fds[1]);
    mc_log_set_level(MC_LOG_WARN);
    mc_log_info("hidden");
    mc_log_warn("shown %d", 1);
    mc_log_set_fd(2);
    close(fds[1]);
    n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    assert_true(n > 0);
    assert_null(strstr(buf, "hidden"));
    assert_non_null(strstr(buf, "level=warn shown 1\n"));
}

struct collected {
    int n;
    char last[128];
    char first[128];
};

static void collect(const struct mc_log_record *r, void *arg)
{
    struct collected *c = arg;
    const char *msg = strstr(r->line, "level=");
    if (c->n == 0)
        snprintf(c->first, sizeof(c->first), "%s", msg);
    snprintf(c->last, sizeof(c->last), "%s", msg);
    c->n++;
}

static void test_recent_lines_ring(void **state)
{
    struct collected c = { 0 };
    int fd = open("/dev/null", O_WRONLY);
    (void)state;
    mc_log_set_fd(fd);
    mc_log_set_level(MC_LOG_INFO);
    mc_log_debug("not kept: below the level");
    for (int i = 0; i < MC_LOG_RING + 50; i++)
        mc_log_info("line %d", i);
    mc_log_set_fd(2);
    close(fd);
    assert_int_equal(mc_log_recent(0, 3, collect, &c), 3);
    assert_string_equal(c.first, "level=info line 303");
    assert_string_equal(c.last, "level=info line 305");
    memset(&c, 0, sizeof(c));
    assert_int_equal(mc_log_recent(0, 0, collect, &c), MC_LOG_RING);
    assert_string_equal(c.first, "level=info line 50");
    memset(&c, 0, sizeof(c));
    assert_int_equal(mc_log_recent(4102444800LL /* 2100 */, 0, collect, &c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format_matches_upstream),
        cmocka_unit_test(test_long_message_is_truncated_with_newline),
        cmocka_unit_test(test_levels_filter_and_parse),
        cmocka_unit_test(test_recent_lines_ring),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
