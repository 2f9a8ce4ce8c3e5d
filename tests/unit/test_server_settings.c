/* Unit tests for the `micro server` settings: defaults, env, flags, errors, MICRO_HOME. */
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

#include "mc_common.h"
#include "settings.h"

static int parse(struct mc_server_settings *s, char *err, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return mc_server_settings_parse(s, argc, argv, err, 256);
}

static void test_defaults_are_loopback(void **state)
{
    struct mc_server_settings s;
    char err[256];
    (void)state;
    unsetenv("MICRO_API_ADDRESS");
    unsetenv("MICRO_PROXY_ADDRESS");
    unsetenv("MICRO_WEB_ADDRESS");
    setenv("HOME", "/home/alice", 1);
    unsetenv("MICRO_HOME");
    assert_int_equal(parse(&s, err, 1, "server"), MC_OK);
    assert_string_equal(s.api_address, "127.0.0.1:8080");
    assert_string_equal(s.proxy_address, "127.0.0.1:8081");
    assert_string_equal(s.web_address, "127.0.0.1:8082");
    assert_string_equal(s.home, "/home/alice/.micro");
}

static void test_env_then_flags_override(void **state)
{
    struct mc_server_settings s;
    char err[256];
    (void)state;
    setenv("MICRO_API_ADDRESS", "127.0.0.1:9000", 1);
    setenv("MICRO_WEB_ADDRESS", "127.0.0.1:9002", 1);
    setenv("MICRO_HOME", "/tmp/mh", 1);
    assert_int_equal(parse(&s, err, 4, "server", "--api_address=127.0.0.1:1",
                           "--proxy_address", "[::1]:2"), MC_OK);
    assert_string_equal(s.api_address, "127.0.0.1:1");
    assert_string_equal(s.proxy_address, "[::1]:2");
    assert_string_equal(s.web_address, "127.0.0.1:9002");
    assert_string_equal(s.home, "/tmp/mh");
    unsetenv("MICRO_API_ADDRESS");
    unsetenv("MICRO_WEB_ADDRESS");
    unsetenv("MICRO_HOME");
}

static void test_bad_flags_are_one_line_errors(void **state)
{
    struct mc_server_settings s;
    char err[256];
    (void)state;
    assert_int_equal(parse(&s, err, 2, "server", "--nope=1"), MC_EINVAL);
    assert_string_equal(err, "flag provided but not defined: -nope");
    assert_int_equal(parse(&s, err, 2, "server", "--api_address"), MC_EINVAL);
    assert_string_equal(err, "flag needs an argument: -api_address");
    assert_int_equal(parse(&s, err, 2, "server", "extra"), MC_EINVAL);
    assert_string_equal(err, "unexpected argument 'extra'");
    assert_int_equal(parse(&s, err, 2, "server", "-h"), MC_OK);
    assert_true(s.show_help);
}

static void test_make_home_creates_private_dirs(void **state)
{
    struct mc_server_settings s;
    char err[256], tmpl[] = "/tmp/mc_settings_XXXXXX", cmd[512];
    struct stat st;
    (void)state;
    assert_non_null(mkdtemp(tmpl));
    memset(&s, 0, sizeof(s));
    snprintf(s.home, sizeof(s.home), "%s/a/b/.micro", tmpl);
    assert_int_equal(mc_server_settings_make_home(&s, err, sizeof(err)), MC_OK);
    assert_int_equal(stat(s.home, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    /* again: already there is fine */
    assert_int_equal(mc_server_settings_make_home(&s, err, sizeof(err)), MC_OK);
    snprintf(s.home, sizeof(s.home), "/proc/nope/x");
    assert_int_equal(mc_server_settings_make_home(&s, err, sizeof(err)), MC_EIO);
    assert_non_null(strstr(err, "cannot create"));
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_loopback),
        cmocka_unit_test(test_env_then_flags_override),
        cmocka_unit_test(test_bad_flags_are_one_line_errors),
        cmocka_unit_test(test_make_home_creates_private_dirs),
    };
    return cmocka_run_group_tests_name("server_settings", tests, NULL, NULL);
}
