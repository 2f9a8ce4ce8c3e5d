/*
 * Unit tests for the `micro new` scaffold (client/new_templates.c): which
 * names are accepted, how the derived names fill the templates (a dashed name
 * becomes a proto package and protoc-c's C names), and that a scaffold writes
 * every file of the table into a new folder, refuses an existing one, and
 * leaves nothing behind when it cannot write.
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

#include "mc_common.h"
#include "new_templates.h"

static void test_names(void **state)
{
    char long_name[MC_NEW_NAME_MAX + 2];

    (void)state;
    assert_true(mc_new_name_ok("helloworld"));
    assert_true(mc_new_name_ok("foo-bar_2"));
    assert_true(mc_new_name_ok("Greeter"));
    assert_false(mc_new_name_ok(""));
    assert_false(mc_new_name_ok(NULL));
    assert_false(mc_new_name_ok("2fast"));
    assert_false(mc_new_name_ok("-x"));
    assert_false(mc_new_name_ok("a/b"));
    assert_false(mc_new_name_ok("a.b"));
    assert_false(mc_new_name_ok("a b"));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(mc_new_name_ok(long_name));
    long_name[MC_NEW_NAME_MAX] = '\0';
    assert_true(mc_new_name_ok(long_name));
}

static void test_render(void **state)
{
    char *out;

    (void)state;
    assert_int_equal(mc_new_render("{{name}} {{Handler}} {{pkg}} {{Pkg}} {{PKG}} {{other}} {{",
                                   "foo-Bar_9", &out),
                     MC_OK);
    assert_string_equal(out, "foo-Bar_9 Foobar9 foobar9 Foobar9 FOOBAR9 {{other}} {{");
    free(out);
    assert_int_equal(mc_new_render("", "x", &out), MC_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(mc_new_render("{{name}}", "bad name", &out), MC_EINVAL);
    assert_null(out);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void rm_tree(const char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_scaffold(void **state)
{
    char base[] = "/tmp/test_micro_new.XXXXXX";
    char dir[256], path[512], err[256];
    const struct mc_new_file *files;
    size_t n;
    char *text;

    (void)state;
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof(dir), "%s/foo-bar", base);
    assert_int_equal(mc_new_scaffold(dir, "foo-bar", err, sizeof(err)), MC_OK);
    files = mc_new_files(&n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        char *rel;
        struct stat st;

        assert_int_equal(mc_new_render(files[i].path, "foo-bar", &rel), MC_OK);
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 0);
        free(rel);
    }
    snprintf(path, sizeof(path), "%s/proto/foo-bar.proto", dir);
    text = read_all(path);
    assert_non_null(strstr(text, "package foobar;"));
    assert_non_null(strstr(text, "service Foobar {"));
    assert_non_null(strstr(text, "rpc PingPong(stream Ping) returns (stream Pong) {}"));
    free(text);
    snprintf(path, sizeof(path), "%s/CMakeLists.txt", dir);
    text = read_all(path);
    assert_non_null(strstr(text, "project(foo-bar C)"));
    assert_non_null(strstr(text, "add_executable(foo-bar main.c handler.c ${GEN_SRCS})"));
    free(text);
    snprintf(path, sizeof(path), "%s/handler.c", dir);
    text = read_all(path);
    assert_non_null(strstr(text, "&foobar__foobar__descriptor"));
    assert_non_null(strstr(text, "FOOBAR__PONG__INIT"));
    assert_null(strstr(text, "{{"));
    free(text);

    /* an existing folder is refused and left alone */
    assert_int_equal(mc_new_scaffold(dir, "foo-bar", err, sizeof(err)), MC_EEXIST);
    snprintf(path, sizeof(path), "%s already exists", dir);
    assert_string_equal(err, path);
    assert_int_equal(mc_new_scaffold(dir, "no good", err, sizeof(err)), MC_EINVAL);
    assert_string_equal(err, "invalid service name 'no good'");
    /* a parent that does not exist */
    snprintf(path, sizeof(path), "%s/nope/x", base);
    assert_int_equal(mc_new_scaffold(path, "x", err, sizeof(err)), MC_EIO);
    rm_tree(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_scaffold),
    };

    return cmocka_run_group_tests_name("micro_new", tests, NULL, NULL);
}
