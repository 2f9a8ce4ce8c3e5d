/* Unit tests for the pure parts of server/runtime: source parsing (blob keys,
 * URLs, host/org/repo[/folder], refs, refused local paths), path-safe names and
 * folders, the record's JSON round trip, the restart backoff, RFC3339 times,
 * tailing lines of a buffer and of a file, and log rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "runtime/rt_log.h"
#include "runtime/rt_proc.h"
#include "runtime/rt_record.h"
#include "runtime/rt_source.h"

static void parse_ok(const char *in, enum rt_source_kind kind, const char *url, const char *ref,
                     const char *folder)
{
    struct rt_source s;
    char err[256] = "";

    assert_int_equal(rt_source_parse(in, &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, kind);
    assert_string_equal(s.url, url);
    assert_string_equal(s.ref, ref);
    assert_string_equal(s.folder, folder);
}

static void parse_bad(const char *in, const char *want)
{
    struct rt_source s;
    char err[256] = "";

    assert_int_equal(rt_source_parse(in, &s, err, sizeof(err)), MC_EINVAL);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_source_parse(void **state)
{
    (void)state;
    parse_ok("source://hello:latest", RT_SOURCE_BLOB, "source://hello:latest", "", "");
    parse_ok("file:///tmp/repo", RT_SOURCE_GIT, "file:///tmp/repo", "", "");
    parse_ok("file:///tmp/repo@main", RT_SOURCE_GIT, "file:///tmp/repo", "main", "");
    parse_ok("file:///tmp/repo@latest", RT_SOURCE_GIT, "file:///tmp/repo", "", "");
    parse_ok("https://user@example.com/o/r", RT_SOURCE_GIT, "https://user@example.com/o/r", "",
             "");
    parse_ok("https://example.com/o/r@v1.2", RT_SOURCE_GIT, "https://example.com/o/r", "v1.2", "");
    parse_ok("git://example.com/o/r@abc123", RT_SOURCE_GIT, "git://example.com/o/r", "abc123",
             "");
    parse_ok("github.com/micro/services", RT_SOURCE_GIT, "https://github.com/micro/services", "",
             "");
    parse_ok("github.com/micro/services/helloworld@dev", RT_SOURCE_GIT,
             "https://github.com/micro/services", "dev", "helloworld");
    parse_ok("github.com/micro/services/a/b", RT_SOURCE_GIT, "https://github.com/micro/services",
             "", "a/b");
    parse_bad("./here", "local paths are not accepted");
    parse_bad("/abs/path", "local paths are not accepted");
    parse_bad("~/x", "local paths are not accepted");
    parse_bad("helloworld", "unsupported source");
    parse_bad("nodots/org/repo", "unsupported source");
    parse_bad("github.com/org", "unsupported source");
    parse_bad("github.com/org/repo/../../etc", "bad folder");
    parse_bad("", "a source of 1 to");
}

static void test_names(void **state)
{
    char longname[RT_NAME_MAX + 2];

    (void)state;
    assert_true(rt_name_valid("helloworld"));
    assert_true(rt_name_valid("v1.2-rc_3"));
    assert_false(rt_name_valid(""));
    assert_false(rt_name_valid("."));
    assert_false(rt_name_valid(".."));
    assert_false(rt_name_valid("a/b"));
    assert_false(rt_name_valid("a b"));
    assert_false(rt_name_valid(NULL));
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_false(rt_name_valid(longname));
    longname[RT_NAME_MAX] = '\0';
    assert_true(rt_name_valid(longname));
    assert_true(rt_folder_valid(""));
    assert_true(rt_folder_valid("a/b/c"));
    assert_false(rt_folder_valid("/a"));
    assert_false(rt_folder_valid("a/../b"));
    assert_false(rt_folder_valid("a/./b"));
}

static void test_record_json(void **state)
{
    struct rt_record r = { 0 }, back = { 0 };
    char *json, *key;

    (void)state;
    rt_record_set(&r.ns, "micro");
    rt_record_set(&r.name, "hello");
    rt_record_set(&r.version, "latest");
    rt_record_set(&r.source, "source://hello:latest");
    rt_record_set(&r.typed, "./hello");
    rt_record_set(&r.entrypoint, "sub/dir");
    rt_record_set(&r.owner, "admin");
    rt_record_set(&r.group, "micro");
    rt_record_set(&r.error, "build \"failed\"\nbadly");
    rt_record_set(&r.usermd, "{\"foo\":\"bar\"}");
    assert_int_equal(rt_record_add_env(&r, "A=1"), 0);
    assert_int_equal(rt_record_add_env(&r, "B=two words"), 0);
    r.status = RT_ERROR;
    r.retries = 3;
    json = rt_record_to_json(&r);
    assert_int_equal(rt_record_from_json(json, strlen(json), &back), 0);
    assert_string_equal(back.ns, "micro");
    assert_string_equal(back.typed, "./hello");
    assert_string_equal(back.entrypoint, "sub/dir");
    assert_string_equal(back.error, "build \"failed\"\nbadly");
    assert_string_equal(back.usermd, "{\"foo\":\"bar\"}");
    assert_int_equal(back.nenv, 2);
    assert_string_equal(back.env[1], "B=two words");
    assert_int_equal(back.status, RT_ERROR);
    assert_int_equal(back.retries, 3);
    assert_null(back.build);
    key = rt_record_key(r.ns, r.name, r.version);
    assert_string_equal(key, "service:micro:hello:latest");
    free(key);
    free(json);
    rt_record_release(&back);
    rt_record_release(&r);
    /* not a record: no object, or missing identity; the record is left empty */
    assert_int_equal(rt_record_from_json("[1]", 3, &back), MC_EINVAL);
    assert_int_equal(rt_record_from_json("{\"name\":\"x\"}", 12, &back), MC_EINVAL);
    assert_null(back.name);
    json = "{\"namespace\":\"a\",\"name\":\"b\",\"version\":\"c\",\"status\":99,\"retries\":-4}";
    assert_int_equal(rt_record_from_json(json, strlen(json), &back), 0);
    assert_int_equal(back.status, RT_UNKNOWN);
    assert_int_equal(back.retries, 0);
    rt_record_release(&back);
}

static void test_env_limits(void **state)
{
    struct rt_record r = { 0 };
    char *big = malloc(RT_ENV_LEN_MAX + 2);

    (void)state;
    memset(big, 'x', RT_ENV_LEN_MAX + 1);
    big[RT_ENV_LEN_MAX + 1] = '\0';
    assert_int_equal(rt_record_add_env(&r, big), MC_ETOOBIG);
    for (int i = 0; i < RT_ENV_MAX; i++)
        assert_int_equal(rt_record_add_env(&r, "K=V"), 0);
    assert_int_equal(rt_record_add_env(&r, "K=V"), MC_ETOOBIG);
    free(big);
    rt_record_release(&r);
}

static void test_status_backoff_time(void **state)
{
    char t[32];

    (void)state;
    assert_string_equal(rt_status_name(RT_RUNNING), "running");
    assert_string_equal(rt_status_name(RT_ERROR), "error");
    assert_string_equal(rt_status_name(-1), "unknown");
    assert_string_equal(rt_status_name(42), "unknown");
    assert_int_equal(rt_backoff_seconds(1), 1);
    assert_int_equal(rt_backoff_seconds(2), 2);
    assert_int_equal(rt_backoff_seconds(3), 4);
    assert_int_equal(rt_backoff_seconds(6), 32);
    assert_int_equal(rt_backoff_seconds(7), 60);
    assert_int_equal(rt_backoff_seconds(1000000), 60);
    rt_time_rfc3339(0, t, sizeof(t));
    assert_string_equal(t, "1970-01-01T00:00:00Z");
    rt_time_rfc3339(1700000000, t, sizeof(t));
    assert_string_equal(t, "2023-11-14T22:13:20Z");
}

static void test_tail_start(void **state)
{
    const char *s = "a\nbb\nccc\n";
    const char *p = "a\nbb\nccc";   /* last line unfinished */

    (void)state;
    assert_int_equal(rt_tail_start(s, strlen(s), 1), 5);
    assert_int_equal(rt_tail_start(s, strlen(s), 2), 2);
    assert_int_equal(rt_tail_start(s, strlen(s), 3), 0);
    assert_int_equal(rt_tail_start(s, strlen(s), 10), 0);
    assert_int_equal(rt_tail_start(s, strlen(s), 0), 0);
    assert_int_equal(rt_tail_start(p, strlen(p), 1), 5);
    assert_int_equal(rt_tail_start(p, strlen(p), 2), 2);
    assert_int_equal(rt_tail_start("", 0, 3), 0);
    assert_int_equal(rt_tail_start("\n\n", 2, 1), 1);
}

static void test_log_file(void **state)
{
    char dir[] = "/tmp/rt_log_XXXXXX", path[64], old[80];
    struct rt_logw w = { .rotate_at = 32 };
    struct mc_buf out;
    uint64_t end = 0;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.log", dir);
    snprintf(old, sizeof(old), "%s.1", path);
    mc_buf_init(&out, 1024);
    assert_int_equal(rt_tail_file(path, 1, &out, &end), MC_ENOTFOUND);
    assert_int_equal(rt_logw_open(&w, path), 0);
    assert_int_equal(rt_logw_write(&w, "one\ntwo\nthree\n", 14), 0);
    assert_int_equal(rt_tail_file(path, 2, &out, &end), 0);
    assert_string_equal(out.data, "two\nthree\n");
    assert_int_equal(end, 14);
    /* past rotate_at the file moves to .1 and a new one starts */
    assert_int_equal(rt_logw_write(&w, "four is a longer line\n", 22), 0);
    assert_int_equal(stat(old, &st), 0);
    assert_int_equal(st.st_size, 14);
    mc_buf_reset(&out);
    assert_int_equal(rt_tail_file(path, 0, &out, &end), 0);
    assert_string_equal(out.data, "four is a longer line\n");
    rt_logw_close(&w);
    mc_buf_release(&out);
    assert_int_equal(rt_rmtree(dir), 0);
    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(rt_rmtree(dir), 0);   /* a missing tree is fine */
}

static void test_index_offset(void **state)
{
    const char *idx = "100 0\n105 40\n109 90\n";
    char dir[] = "/tmp/rt_idx_XXXXXX", path[64];
    struct rt_logw w = { 0 };
    struct mc_buf out;
    uint64_t end = 0;

    (void)state;
    /* the first second at or after since starts the answer */
    assert_int_equal(rt_index_offset(idx, strlen(idx), 50, 120), 0);
    assert_int_equal(rt_index_offset(idx, strlen(idx), 101, 120), 40);
    assert_int_equal(rt_index_offset(idx, strlen(idx), 109, 120), 90);
    /* all older: nothing; no index: everything; an offset past the file is cut */
    assert_int_equal(rt_index_offset(idx, strlen(idx), 110, 120), 120);
    assert_int_equal(rt_index_offset("", 0, 110, 120), 0);
    assert_int_equal(rt_index_offset(idx, strlen(idx), 109, 50), 50);
    /* a torn last line (crash mid-write) is skipped */
    assert_int_equal(rt_index_offset("100 0\n10", 8, 101, 7), 7);

    /* the writer notes the offset of a second's first write */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.log", dir);
    mc_buf_init(&out, 1024);
    assert_int_equal(rt_logw_open(&w, path), 0);
    assert_int_equal(rt_logw_write(&w, "old\n", 4), 0);
    assert_int_equal(rt_log_offset_since(path, 0), 0);
    assert_int_equal(rt_log_offset_since(path, (int64_t)time(NULL) + 5), 4);
    assert_int_equal(rt_tail_file_from(path, 4, 0, &out, &end), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(end, 4);
    rt_logw_close(&w);
    mc_buf_release(&out);
    assert_int_equal(rt_rmtree(dir), 0);
}

static void test_describe_exit(void **state)
{
    char d[64];

    (void)state;
    rt_describe_exit(3 << 8, d, sizeof(d));
    assert_string_equal(d, "exited with status 3");
    rt_describe_exit(9, d, sizeof(d));
    assert_string_equal(d, "killed by signal 9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_parse),     cmocka_unit_test(test_names),
        cmocka_unit_test(test_record_json),      cmocka_unit_test(test_env_limits),
        cmocka_unit_test(test_status_backoff_time), cmocka_unit_test(test_tail_start),
        cmocka_unit_test(test_log_file), cmocka_unit_test(test_index_offset),         cmocka_unit_test(test_describe_exit),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
