/* Unit tests for client/run_util: what a `micro run` source argument means,
 * upstream's "5m59s ago", the `micro status` table (spec §3.5) from canned
 * Runtime.Read answers, and `micro logs` lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mc_common.h"
#include "run_util.h"

#define S 1000000000LL

struct want {
    bool local;
    const char *path, *url, *folder, *version, *name;
};

static void expect_source(const char *arg, bool local_dir, const char *base, struct want w)
{
    struct mc_run_source s;
    char err[256] = "";

    if (mc_run_source_parse(arg, local_dir, base, &s, err, sizeof(err)) != 0)
        fail_msg("%s: %s", arg, err);
    assert_int_equal(s.local, w.local);
    assert_string_equal(s.path, w.path ? w.path : "");
    assert_string_equal(s.url, w.url ? w.url : "");
    assert_string_equal(s.folder, w.folder ? w.folder : "");
    assert_string_equal(s.version, w.version);
    assert_string_equal(s.name, w.name ? w.name : "");
}

static void expect_bad_source(const char *arg, const char *base, const char *want_err)
{
    struct mc_run_source s;
    char err[256] = "";

    assert_int_equal(mc_run_source_parse(arg, false, base, &s, err, sizeof(err)), MC_EINVAL);
    assert_non_null(strstr(err, want_err));
}

static void test_source_local(void **state)
{
    (void)state;
    expect_source(".", false, NULL, (struct want){ .local = true, .path = ".",
                                                   .version = "latest" });
    expect_source("./examples/helloworld", false, NULL,
                  (struct want){ .local = true, .path = "./examples/helloworld",
                                 .version = "latest" });
    expect_source("../x", false, NULL, (struct want){ .local = true, .path = "../x",
                                                      .version = "latest" });
    /* a path may hold an '@': never a version */
    expect_source("/srv/a@b", false, NULL, (struct want){ .local = true, .path = "/srv/a@b",
                                                          .version = "latest" });
    /* a folder of that name in the working directory wins over a short name */
    expect_source("helloworld", true, NULL, (struct want){ .local = true, .path = "helloworld",
                                                           .version = "latest" });
}

static void test_source_git(void **state)
{
    (void)state;
    expect_source("helloworld", false, NULL,
                  (struct want){ .url = "https://github.com/micro/services",
                                 .folder = "helloworld", .version = "latest",
                                 .name = "helloworld" });
    expect_source("helloworld@9342934e6180", false, NULL,
                  (struct want){ .url = "https://github.com/micro/services",
                                 .folder = "helloworld", .version = "9342934e6180",
                                 .name = "helloworld" });
    expect_source("github.com/micro/services/helloworld@branch", false, NULL,
                  (struct want){ .url = "https://github.com/micro/services",
                                 .folder = "helloworld", .version = "branch",
                                 .name = "helloworld" });
    expect_source("github.com/org/repo", false, NULL,
                  (struct want){ .url = "https://github.com/org/repo", .version = "latest",
                                 .name = "repo" });
    expect_source("gitlab.com/a/b/c/d/", false, NULL,
                  (struct want){ .url = "https://gitlab.com/a/b", .folder = "c/d",
                                 .version = "latest", .name = "d" });
    expect_source("file:///tmp/repos/hello.git@main", false, NULL,
                  (struct want){ .url = "file:///tmp/repos/hello.git", .version = "main",
                                 .name = "hello" });
    expect_source("git://127.0.0.1:9418/hello", false, NULL,
                  (struct want){ .url = "git://127.0.0.1:9418/hello", .version = "latest",
                                 .name = "hello" });
    /* an '@' before the last '/' is a user, not a ref */
    expect_source("https://user@example.com/org/repo", false, NULL,
                  (struct want){ .url = "https://user@example.com/org/repo",
                                 .version = "latest", .name = "repo" });
}

static void test_source_base_url(void **state)
{
    (void)state;
    expect_source("invite", false, "github.com/m3o/services/",
                  (struct want){ .url = "https://github.com/m3o/services", .folder = "invite",
                                 .version = "latest", .name = "invite" });
    expect_source("invite@v2", false, "example.com/org/repo/sub",
                  (struct want){ .url = "https://example.com/org/repo",
                                 .folder = "sub/invite", .version = "v2", .name = "invite" });
    /* a base with a scheme holds repositories */
    expect_source("hello@abc", false, "file:///srv/git",
                  (struct want){ .url = "file:///srv/git/hello", .version = "abc",
                                 .name = "hello" });
    /* an empty setting means the default */
    expect_source("x", false, "", (struct want){ .url = "https://github.com/micro/services",
                                                 .folder = "x", .version = "latest",
                                                 .name = "x" });
}

static void test_source_errors(void **state)
{
    char big[2000];

    (void)state;
    expect_bad_source("", NULL, "no source");
    expect_bad_source("helloworld@", NULL, "invalid version");
    expect_bad_source("github.com/onlyorg", NULL, "expected host/org/repo");
    expect_bad_source("github.com//x/y", NULL, "expected host/org/repo");
    expect_bad_source("github.com/org/bad name", NULL, "invalid service name");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_bad_source(big, NULL, "too long");
}

static void test_name_valid(void **state)
{
    (void)state;
    assert_true(mc_run_name_valid("helloworld"));
    assert_true(mc_run_name_valid("my-app_2.v1"));
    assert_false(mc_run_name_valid(""));
    assert_false(mc_run_name_valid("-x"));
    assert_false(mc_run_name_valid(".hidden"));
    assert_false(mc_run_name_valid("a b"));
    assert_false(mc_run_name_valid("a/b"));
    assert_false(mc_run_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

static void expect_ago(const char *v, int64_t now_ns, const char *want)
{
    struct mc_buf b;
    mc_buf_init(&b, 256);
    assert_int_equal(mc_run_time_ago(&b, v, now_ns), 0);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void test_time_ago(void **state)
{
    int64_t t0;

    (void)state;
    assert_true(mc_run_parse_rfc3339("2026-11-28T16:00:00Z", &t0));
    assert_int_equal(t0, 1795881600LL * S);
    expect_ago("", t0, "unknown");
    expect_ago("yesterday", t0, "yesterday");
    expect_ago("2026-11-28T16:00:00Z", t0 + 4 * S, "4s ago");
    expect_ago("2026-11-28T16:00:00Z", t0, "0s ago");
    expect_ago("2026-11-28T16:00:00Z", t0 + 359 * S, "5m59s ago");
    expect_ago("2026-11-28T16:00:00Z", t0 + 3600 * S, "1h0m0s ago");
    expect_ago("2026-11-28T16:00:00Z", t0 + 86403 * S, "1d0h0m3s ago");
    /* rounded to the second, halves away from zero */
    expect_ago("2026-11-28T16:00:00Z", t0 + 4 * S + S / 2, "5s ago");
    expect_ago("2026-11-28T16:00:00.75Z", t0 + 2 * S, "1s ago");
    /* zones */
    expect_ago("2026-11-28T17:00:00+01:00", t0 + 10 * S, "10s ago");
    expect_ago("2026-11-28T15:30:00-00:30", t0 + 10 * S, "10s ago");
    /* a time ahead (clock skew) reads as Go prints it */
    expect_ago("2026-11-28T16:00:05Z", t0, "-5s ago");
    int64_t x;
    assert_false(mc_run_parse_rfc3339("2026-11-28 16:00:00Z", &x));
    assert_false(mc_run_parse_rfc3339("2026-13-28T16:00:00Z", &x));
    assert_false(mc_run_parse_rfc3339("2026-11-28T16:00:00", &x));
    assert_false(mc_run_parse_rfc3339("2026-11-28T16:00:00Zjunk", &x));
}

static char *table_of(const char *json, int64_t now_ns)
{
    cJSON *doc = cJSON_Parse(json);
    struct mc_buf b;

    assert_non_null(doc);
    mc_buf_init(&b, 1 << 20);
    assert_int_equal(mc_run_status_table(&b, cJSON_GetObjectItem(doc, "services"), now_ns), 0);
    cJSON_Delete(doc);
    return mc_buf_detach(&b, NULL);
}

static void test_status_table(void **state)
{
    int64_t t0;
    char *got;

    (void)state;
    assert_true(mc_run_parse_rfc3339("2026-11-28T16:00:00Z", &t0));
    got = table_of(
        "{\"services\":[{\"name\":\"helloworld\",\"version\":\"latest\","
        "\"source\":\"source://helloworld:latest\",\"status\":4,"
        "\"metadata\":{\"source\":\"./examples/helloworld\",\"owner\":\"admin\","
        "\"group\":\"micro\",\"started\":\"2026-11-28T15:54:01Z\"}},"
        "{\"name\":\"broken\",\"version\":\"v1\",\"source\":\"source://broken:v1\","
        "\"status\":7,\"metadata\":{\"error\":\"build failed\",\"build\":\"0123456789abc\"}}]}",
        t0);
    assert_string_equal(got,
                        "NAME\t\tVERSION\tSOURCE\t\t\tSTATUS\tBUILD\tUPDATED\t\tMETADATA\n"
                        "broken\t\tv1\tsource://broken:v1\terror\t0123456\tunknown\t\t"
                        "owner=n/a, group=n/a, error=build failed\n"
                        "helloworld\tlatest\t./examples/helloworld\trunning\tn/a\t5m59s ago\t"
                        "owner=admin, group=micro\n");
    free(got);
}

static void test_status_table_edges(void **state)
{
    char *got;

    (void)state;
    /* no services: nothing at all */
    got = table_of("{\"services\":[]}", 0);
    assert_string_equal(got, "");
    free(got);
    got = table_of("{}", 0);
    assert_string_equal(got, "");
    free(got);
    /* empty fields are n/a, a missing status is unknown, an error without text n/a,
     * a status by name is read too */
    got = table_of("{\"services\":[{\"name\":\"a\"},{\"name\":\"b\",\"status\":\"ERROR\"},"
                   "{\"name\":\"c\",\"status\":42}]}",
                   0);
    assert_string_equal(got, "NAME\tVERSION\tSOURCE\tSTATUS\tBUILD\tUPDATED\tMETADATA\n"
                             "a\tn/a\tn/a\tunknown\tn/a\tunknown\towner=n/a, group=n/a\n"
                             "b\tn/a\tn/a\terror\tn/a\tunknown\t"
                             "owner=n/a, group=n/a, error=n/a\n"
                             "c\tn/a\tn/a\tunknown\tn/a\tunknown\towner=n/a, group=n/a\n");
    free(got);
    for (int i = -1; i <= 8; i++) {
        static const char *const names[] = { "unknown", "unknown", "pending", "building",
                                             "starting", "running", "stopping", "stopped",
                                             "error", "unknown" };
        assert_string_equal(mc_run_status_name(i), names[i + 1]);
    }
}

static void expect_log(const char *rec, bool json, const char *want)
{
    cJSON *doc = cJSON_Parse(rec);
    struct mc_buf b;

    mc_buf_init(&b, 4096);
    assert_int_equal(mc_run_log_line(&b, doc, json), 0);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
    cJSON_Delete(doc);
}

static void test_log_lines(void **state)
{
    (void)state;
    expect_log("{\"message\":\"Starting [service] helloworld\"}", false,
               "Starting [service] helloworld\n");
    expect_log("{}", false, "\n");
    expect_log("{\"timestamp\":\"5\",\"message\":\"a <b> & \\\"c\\\"\"}", true,
               "{\"Message\":\"a \\u003cb\\u003e \\u0026 \\\"c\\\"\",\"Metadata\":null}\n");
    expect_log("{\"message\":\"m\",\"metadata\":{}}", true,
               "{\"Message\":\"m\",\"Metadata\":null}\n");
    expect_log("{\"message\":\"m\",\"metadata\":{\"b\":\"2\",\"a\":\"1\"}}", true,
               "{\"Message\":\"m\",\"Metadata\":{\"a\":\"1\",\"b\":\"2\"}}\n");
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_tree_fingerprint(void **state)
{
    static const char *const skip[] = { ".git", "build", NULL };
    char dir[] = "/tmp/run_fp_XXXXXX", sub[64], cmd[128];
    uint64_t a, b;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/build", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/src", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    put(dir, "CMakeLists.txt", "project(x C)\n");
    put(sub, "main.c", "int main(void) { return 0; }\n");
    a = mc_run_tree_fingerprint(dir, skip);
    assert_int_equal(mc_run_tree_fingerprint(dir, skip), a);   /* stable */
    /* not sources: build output, skipped folders, editor files */
    put(dir, "build/main.o", "obj");
    put(dir, "notes.txt", "x");
    put(sub, "main.c~", "backup");
    assert_int_equal(mc_run_tree_fingerprint(dir, skip), a);
    /* an edit that keeps the size still changes the time */
    put(sub, "main.c", "int main(void) { return 1; }\n");
    b = mc_run_tree_fingerprint(dir, skip);
    assert_true(b != a);
    /* a new header, then its removal */
    put(sub, "util.h", "#pragma once\n");
    a = mc_run_tree_fingerprint(dir, skip);
    assert_true(a != b);
    snprintf(cmd, sizeof(cmd), "%s/util.h", sub);
    assert_int_equal(unlink(cmd), 0);
    assert_int_equal(mc_run_tree_fingerprint(dir, skip), b);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_local),
        cmocka_unit_test(test_source_git),
        cmocka_unit_test(test_source_base_url),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_time_ago),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_status_table_edges),
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_tree_fingerprint),
    };
    return cmocka_run_group_tests_name("run_util", tests, NULL, NULL);
}
