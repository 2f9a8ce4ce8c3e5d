/*
 * Unit tests for scripted use (client/script.c): the shell-like word splitter
 * (quotes, escapes, ';', comments, limits, errors) and the run loop (stop at
 * the first failure, --keep-going, exit, line numbers), with a recorder in
 * place of the dispatcher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mc_common.h"
#include "script.h"

/* The commands of a line as "a|b;c" (words joined by '|', commands by ';'). */
static int split_str(const char *line, char *out, size_t outlen, char *err)
{
    struct mc_script_line l;
    int rc = mc_script_split(&l, line, strlen(line), err, 256);
    size_t o = 0;
    out[0] = '\0';
    bool first = true;
    for (int i = 0; i < l.nwords; i++) {
        if (!l.words[i]) {
            o += (size_t)snprintf(out + o, outlen - o, ";");
            first = true;
            continue;
        }
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", first ? "" : "|", l.words[i]);
        first = false;
    }
    mc_script_line_release(&l);
    return rc;
}

static void expect_split(const char *line, const char *want)
{
    char out[1024], err[256];
    assert_int_equal(split_str(line, out, sizeof(out), err), 0);
    assert_string_equal(out, want);
}

static void expect_split_error(const char *line, const char *want)
{
    char out[1024], err[256];
    assert_int_not_equal(split_str(line, out, sizeof(out), err), 0);
    assert_string_equal(err, want);
    assert_string_equal(out, "");
}

static void test_plain_words(void **state)
{
    (void)state;
    expect_split("store read k", "store|read|k;");
    expect_split("  \tstore   read\tk  \r", "store|read|k;");
    expect_split("", "");
    expect_split("   ", "");
}

static void test_quotes_and_escapes(void **state)
{
    (void)state;
    expect_split("config set a 'Hi there!'", "config|set|a|Hi there!;");
    expect_split("call x y '{\"name\": \"a b\"}'", "call|x|y|{\"name\": \"a b\"};");
    expect_split("a \"say \\\"hi\\\" \\\\ \\n\"", "a|say \"hi\" \\ \\n;");
    expect_split("a 'it''s' \"\"", "a|its|;");
    expect_split("a\\ b c\\;d \\'", "a b|c;d|';");
    expect_split("x'a;b'\"c#d\"e", "xa;bc#de;");
    /* no expansion of any kind */
    expect_split("echo $HOME ~ *", "echo|$HOME|~|*;");
}

static void test_semicolons_and_comments(void **state)
{
    (void)state;
    expect_split("a b; c", "a|b;c;");
    expect_split("a;;b;", "a;b;");
    expect_split(";", "");
    expect_split("# a comment", "");
    expect_split("   # indented comment", "");
    expect_split("a b # trailing comment; not a command", "a|b;");
    expect_split("a#b", "a#b;");
}

static void test_split_errors(void **state)
{
    (void)state;
    expect_split_error("a 'open", "unterminated single quote");
    expect_split_error("a \"open \\\"", "unterminated double quote");
    expect_split_error("a \\", "trailing backslash");
    struct mc_script_line l;
    char err[256];
    assert_int_equal(mc_script_split(&l, "a\0b", 3, err, sizeof(err)), MC_EINVAL);
    assert_string_equal(err, "NUL byte in line");
    mc_script_line_release(&l);
}

static void test_limits(void **state)
{
    (void)state;
    /* MC_SCRIPT_WORDS_MAX words pass, one more fails */
    size_t n = MC_SCRIPT_WORDS_MAX + 1;
    char *line = malloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++) {
        line[2 * i] = 'w';
        line[2 * i + 1] = ' ';
    }
    line[2 * n] = '\0';
    struct mc_script_line l;
    char err[256];
    assert_int_equal(mc_script_split(&l, line, (n - 1) * 2, err, sizeof(err)), 0);
    assert_int_equal(l.ncmds, 1);
    assert_int_equal(l.nwords, MC_SCRIPT_WORDS_MAX + 1);
    mc_script_line_release(&l);
    assert_int_equal(mc_script_split(&l, line, n * 2, err, sizeof(err)), MC_ETOOBIG);
    assert_string_equal(err, "more than 4096 words");
    mc_script_line_release(&l);
    free(line);

    assert_int_equal(mc_script_split(&l, "x", (size_t)MC_SCRIPT_LINE_MAX + 1, err, sizeof(err)),
                     MC_ETOOBIG);
    mc_script_line_release(&l);
}

/* ---- the run loop ---------------------------------------------------------------- */

struct recorder {
    char log[4096];
    const char *fail_on; /* a command word that returns fail_code */
    int fail_code;
};

static int record(void *ud, int argc, char **argv)
{
    struct recorder *r = ud;
    size_t o = strlen(r->log);
    for (int i = 0; i < argc; i++)
        o += (size_t)snprintf(r->log + o, sizeof(r->log) - o, "%s%s", i ? " " : "", argv[i]);
    snprintf(r->log + o, sizeof(r->log) - o, "\n");
    return r->fail_on && strcmp(argv[0], r->fail_on) == 0 ? r->fail_code : 0;
}

static FILE *input(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    return f;
}

static void test_run_file_runs_each_command(void **state)
{
    (void)state;
    struct recorder r = {0};
    FILE *f = input("# setup\n\nstore write k 'v 1'\nmicro store read k; services\n  \nlast");
    assert_int_equal(mc_script_run_file(f, "stdin", false, record, &r), 0);
    fclose(f);
    assert_string_equal(r.log, "store write k v 1\nstore read k\nservices\nlast\n");
}

static void test_run_stops_at_first_failure(void **state)
{
    (void)state;
    struct recorder r = {.fail_on = "bad", .fail_code = 4};
    FILE *f = input("one\nbad x\nthree\n");
    assert_int_equal(mc_script_run_file(f, "stdin", false, record, &r), 4);
    fclose(f);
    assert_string_equal(r.log, "one\nbad x\n");

    /* ';' on one line stops the same way */
    struct recorder r2 = {.fail_on = "bad", .fail_code = 2};
    assert_int_equal(mc_script_run_string("one; bad; three", false, record, &r2), 2);
    assert_string_equal(r2.log, "one\nbad\n");
}

static void test_keep_going_returns_last_failure(void **state)
{
    (void)state;
    struct recorder r = {.fail_on = "bad", .fail_code = 5};
    FILE *f = input("bad 1\nok\nbad 2\nok\n");
    assert_int_equal(mc_script_run_file(f, "stdin", true, record, &r), 5);
    fclose(f);
    assert_string_equal(r.log, "bad 1\nok\nbad 2\nok\n");
}

static void test_exit_stops(void **state)
{
    (void)state;
    struct recorder r = {0};
    assert_int_equal(mc_script_run_string("a\nexit\nb", false, record, &r), 0);
    assert_string_equal(r.log, "a\n");
    struct recorder r2 = {0};
    assert_int_equal(mc_script_run_string("a; exit 3; b", false, record, &r2), 3);
    assert_string_equal(r2.log, "a\n");
    /* with --keep-going, a bare exit keeps the last failure */
    struct recorder r3 = {.fail_on = "bad", .fail_code = 9};
    assert_int_equal(mc_script_run_string("bad; ok; exit; c", true, record, &r3), 9);
    assert_string_equal(r3.log, "bad\nok\n");
}

/* Runs fn with stderr captured into buf. */
static void capture_stderr(char *buf, size_t len, int (*fn)(void), int *rc)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    *rc = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, len - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
}

static struct recorder syntax_rec;
static int run_syntax_script(void)
{
    FILE *f = input("ok 1\nbad 'quote\nok 2\n");
    int rc = mc_script_run_file(f, "stdin", false, record, &syntax_rec);
    fclose(f);
    return rc;
}

static void test_syntax_error_names_the_line(void **state)
{
    (void)state;
    char err[512];
    int rc;
    memset(&syntax_rec, 0, sizeof(syntax_rec));
    capture_stderr(err, sizeof(err), run_syntax_script, &rc);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "stdin: line 2: unterminated single quote\n");
    assert_string_equal(syntax_rec.log, "ok 1\n");
}

static int run_long_line(void)
{
    size_t n = (size_t)MC_SCRIPT_LINE_MAX + 10;
    char *text = malloc(n + 16);
    memset(text, 'x', n);
    memcpy(text + n, "\nok\n", 5);
    FILE *f = fmemopen(text, n + 4, "r");
    int rc = mc_script_run_file(f, "stdin", true, record, &syntax_rec);
    fclose(f);
    free(text);
    return rc;
}

static void test_long_line_is_an_error_and_skipped(void **state)
{
    (void)state;
    char err[512];
    int rc;
    memset(&syntax_rec, 0, sizeof(syntax_rec));
    capture_stderr(err, sizeof(err), run_long_line, &rc);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "stdin: line 1: line longer than 1048576 bytes\n");
    assert_string_equal(syntax_rec.log, "ok\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_words),
        cmocka_unit_test(test_quotes_and_escapes),
        cmocka_unit_test(test_semicolons_and_comments),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_run_file_runs_each_command),
        cmocka_unit_test(test_run_stops_at_first_failure),
        cmocka_unit_test(test_keep_going_returns_last_failure),
        cmocka_unit_test(test_exit_stops),
        cmocka_unit_test(test_syntax_error_names_the_line),
        cmocka_unit_test(test_long_line_is_an_error_and_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
