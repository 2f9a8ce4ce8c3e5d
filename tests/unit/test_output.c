/* Unit tests for client/output: Go json.Indent with a tab, Go text/tabwriter
 * (against the tables of spec/micro-v3-transcript.md), mc_out_finish and
 * mc_out_capitalized. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"

/* Runs mc_out_json_indent on in; returns what it wrote (heap) and its result. */
static char *indent(const char *in, size_t len, int *rc)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    assert_non_null(f);
    *rc = mc_out_json_indent(f, in, len);
    fclose(f);
    return buf;
}

static void expect_indent(const char *in, const char *want)
{
    int rc;
    char *got = indent(in, strlen(in), &rc);

    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static void expect_invalid(const char *in)
{
    int rc;
    char *got = indent(in, strlen(in), &rc);

    if (rc != -1)
        fail_msg("accepted invalid JSON '%s' as '%s'", in, got);
    assert_string_equal(got, ""); /* nothing written */
    free(got);
}

static void test_json_flat(void **state)
{
    expect_indent("{\"msg\":\"Hello Alice\"}", "{\n\t\"msg\": \"Hello Alice\"\n}\n");
    expect_indent("{\"a\":1,\"b\":true,\"c\":null,\"d\":false}",
                  "{\n\t\"a\": 1,\n\t\"b\": true,\n\t\"c\": null,\n\t\"d\": false\n}\n");
}

static void test_json_nested(void **state)
{
    expect_indent("{\"a\":{\"b\":[1,2,{}],\"c\":[]},\"d\":[{\"e\":\"f\"}]}",
                  "{\n"
                  "\t\"a\": {\n"
                  "\t\t\"b\": [\n"
                  "\t\t\t1,\n"
                  "\t\t\t2,\n"
                  "\t\t\t{}\n"
                  "\t\t],\n"
                  "\t\t\"c\": []\n"
                  "\t},\n"
                  "\t\"d\": [\n"
                  "\t\t{\n"
                  "\t\t\t\"e\": \"f\"\n"
                  "\t\t}\n"
                  "\t]\n"
                  "}\n");
}

/* Go's rules: empty containers on one line, top-level scalars as they are. */
static void test_json_empty_and_scalars(void **state)
{
    expect_indent("{}", "{}\n");
    expect_indent("[]", "[]\n");
    expect_indent("{ \n }", "{}\n");
    expect_indent("[\t]", "[]\n");
    expect_indent("\"x\"", "\"x\"\n");
    expect_indent("123", "123\n");
    expect_indent("null", "null\n");
    expect_indent("[[]]", "[\n\t[]\n]\n");
}

/* Insignificant whitespace goes, except after the document: Go keeps it. */
static void test_json_whitespace(void **state)
{
    expect_indent("  { \"a\" : [ ] ,\n \"b\":true }", "{\n\t\"a\": [],\n\t\"b\": true\n}\n");
    expect_indent("{\"a\":1} \n", "{\n\t\"a\": 1\n} \n\n");
    expect_indent("7 ", "7 \n");
}

static void test_json_strings_kept(void **state)
{
    expect_indent("{\"s\":\"a\\\"b\\\\c\\u00e9\\n\\/\",\"\xc3\xa9\":\"\xc3\xbc\"}",
                  "{\n\t\"s\": \"a\\\"b\\\\c\\u00e9\\n\\/\",\n\t\"\xc3\xa9\": \"\xc3\xbc\"\n}\n");
    /* punctuation inside strings is text, not structure */
    expect_indent("[\"{,:}[]\"]", "[\n\t\"{,:}[]\"\n]\n");
}

/* Numbers keep their exact text: int64 and floats are never reformatted. */
static void test_json_numbers_exact(void **state)
{
    expect_indent("{\"n\":9223372036854775807,\"m\":-9223372036854775808,\"f\":-1.50e+10,"
                  "\"z\":0,\"g\":0.000001E-7,\"h\":123456789012345678901234567890}",
                  "{\n\t\"n\": 9223372036854775807,\n\t\"m\": -9223372036854775808,\n"
                  "\t\"f\": -1.50e+10,\n\t\"z\": 0,\n\t\"g\": 0.000001E-7,\n"
                  "\t\"h\": 123456789012345678901234567890\n}\n");
}

static void test_json_invalid(void **state)
{
    static const char *const bad[] = {
        "", "   ", "{", "}", "[1,]", "[,1]", "{\"a\"}", "{\"a\":1,}", "{\"a\" 1}", "{1:2}",
        "01", "1.", "-", ".5", "1e", "1e+", "+1", "tru", "truex", "nul", "[1 2]", "{}x",
        "{}{}", "\"a\nb\"", "\"\\x\"", "\"\\u12g4\"", "\"abc", "[\"a\",]", "{\"a\":}",
        "[1]]", "NaN", "'a'",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_invalid(bad[i]);
}

/* Go's scanner allows 10000 levels of nesting and refuses the 10001st. */
static void test_json_depth_limit(void **state)
{
    enum { N = 10001 };
    char *doc = malloc(2 * N + 1);
    char *got;
    int rc;

    for (int i = 0; i < N; i++) {
        doc[i] = '[';
        doc[2 * N - 1 - i] = ']';
    }
    doc[2 * N] = '\0';
    got = indent(doc, 2 * N, &rc);
    assert_int_equal(rc, -1);
    free(got);
    got = indent(doc + 1, 2 * N - 2, &rc); /* 10000 levels */
    assert_int_equal(rc, 0);
    free(got);
    free(doc);
}

/* A NUL inside the buffer is not the end: len is. */
static void test_json_embedded_nul(void **state)
{
    int rc;
    char *got = indent("{\"a\":\"x\0y\"}", 11, &rc);

    assert_int_equal(rc, -1);
    free(got);
}

/* Renders text through a table and returns the output (heap). */
static char *table(int minwidth, int padding, char padchar, bool right, const char *text)
{
    struct mc_table *t = mc_table_new(minwidth, padding, padchar, right);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    assert_int_equal(mc_table_write(t, text), 0);
    assert_int_equal(mc_table_flush(t, f), 0);
    fclose(f);
    return buf;
}

static void expect_table(int minwidth, int padding, char padchar, bool right, const char *text,
                         const char *want)
{
    char *got = table(minwidth, padding, padchar, right, text);

    assert_string_equal(got, want);
    free(got);
}

/* `micro env`: tabwriter.NewWriter(w, 0, 0, 1, ' ', 0), lines
 * "%v %v \t %v \t\t %v" joined by "\n" (transcript: `micro env`). */
static void test_table_env(void **state)
{
    expect_table(0, 1, ' ', false,
                 "* local \t 127.0.0.1:8081 \t\t Local running Micro Server\n"
                 "  platform \t proxy.m3o.com \t\t Cloud hosted Micro Platform",
                 "* local      127.0.0.1:8081    Local running Micro Server\n"
                 "  platform   proxy.m3o.com     Cloud hosted Micro Platform");
    expect_table(0, 1, ' ', false,
                 "* foobar \t example.com \t\t \n"
                 "  local \t 127.0.0.1:8081 \t\t Local running Micro Server\n"
                 "  platform \t proxy.m3o.com \t\t Cloud hosted Micro Platform",
                 "* foobar     example.com       \n"
                 "  local      127.0.0.1:8081    Local running Micro Server\n"
                 "  platform   proxy.m3o.com     Cloud hosted Micro Platform");
}

/* `micro auth list rules`: NewWriter(os.Stdout, 0, 8, 1, '\t', 0), cells
 * joined by "\t\t" (transcript addendum). */
static void test_table_rules(void **state)
{
    expect_table(0, 1, '\t', false,
                 "ID\t\tScope\t\tAccess\t\tResource\t\tPriority\n"
                 "default\t\t<public>\t\tGRANTED\t\t*:*:*\t\t0\n",
                 "ID\t\tScope\t\t\tAccess\t\tResource\t\tPriority\n"
                 "default\t\t<public>\t\tGRANTED\t\t*:*:*\t\t\t0\n");
    expect_table(0, 1, '\t', false,
                 "ID\t\tScope\t\tAccess\t\tResource\t\tPriority\n"
                 "auth-public\t\t<public>\t\tGRANTED\t\tservice:auth:*\t\t0\n"
                 "onlyloggedin\t\t*\t\tGRANTED\t\t*:*:*\t\t0\n",
                 "ID\t\t\tScope\t\t\tAccess\t\tResource\t\tPriority\n"
                 "auth-public\t\t<public>\t\tGRANTED\t\tservice:auth:*\t\t0\n"
                 "onlyloggedin\t\t*\t\t\tGRANTED\t\t*:*:*\t\t\t0\n");
}

/* `micro auth list accounts` (transcript addendum), same writer. */
static void test_table_accounts(void **state)
{
    expect_table(0, 1, '\t', false,
                 "ID\t\tName\t\tScopes\t\tMetadata\n"
                 "admin\t\tadmin\t\tadmin\t\tcreated=1795860836 \n"
                 "jane\t\tjane\t\tadmin\t\tcreated=1795860837 \n",
                 "ID\t\tName\t\tScopes\t\tMetadata\n"
                 "admin\t\tadmin\t\tadmin\t\tcreated=1795860836 \n"
                 "jane\t\tjane\t\tadmin\t\tcreated=1795860837 \n");
}

/* A column block is a run of consecutive lines with that column: a line
 * without it ends the block, and the next block is aligned on its own. */
static void test_table_column_blocks(void **state)
{
    expect_table(0, 1, ' ', false, "a\tb\nlonger\tc\nno tabs\nx\ty\n",
                 "a      b\nlonger c\nno tabs\nx y\n");
    /* the second column's block is lines 0-1 only; line 2 has just one column */
    expect_table(0, 1, ' ', false, "a\tb\tc\nd\teeee\tf\ng\th\n",
                 "a b    c\nd eeee f\ng h\n");
}

static void test_table_align_right_minwidth(void **state)
{
    expect_table(0, 1, ' ', true, "a\tbbb\t\nccc\td\t\n", "   a bbb\n ccc   d\n");
    expect_table(5, 0, ' ', false, "a\tb\n", "a    b\n");
    expect_table(0, 2, '.', false, "ab\tc\n", "ab..c\n");
    /* tab padding is always left-aligned, as Go's */
    expect_table(0, 1, '\t', true, "a\tb\n", "a\tb\n");
}

/* Widths count runes, not bytes (Go's utf8.RuneCount). */
static void test_table_utf8_width(void **state)
{
    expect_table(0, 1, ' ', false, "\xc3\xa9\tx\nab\ty\n", "\xc3\xa9  x\nab y\n");
}

static void test_table_printf_and_empty(void **state)
{
    struct mc_table *t = mc_table_new(0, 3, ' ', false);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    assert_int_equal(mc_table_printf(t, "%s\t%d\n", "NAME", 1), 0);
    assert_int_equal(mc_table_printf(t, "%s\t%d\n", "x", 22), 0);
    assert_int_equal(mc_table_flush(t, f), 0);
    fclose(f);
    assert_string_equal(buf, "NAME   1\nx      22\n");
    free(buf);

    free(table(0, 1, ' ', false, ""));
    buf = table(0, 1, ' ', false, "");
    assert_string_equal(buf, "");
    free(buf);
}

static void test_finish_write_error(void **state)
{
    FILE *full = fopen("/dev/full", "w");
    char *buf = NULL;
    size_t size = 0;
    FILE *err = open_memstream(&buf, &size);

    if (!full)
        skip();
    fputs("hello\n", full);
    assert_int_equal(mc_out_finish(full, err), 1);
    fclose(err);
    assert_string_equal(buf, "write error: No space left on device\n");
    free(buf);
    fclose(full);
}

static void test_finish_ok(void **state)
{
    char *out = NULL, *errs = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *o = open_memstream(&out, &n1), *e = open_memstream(&errs, &n2);

    fputs("data\n", o);
    assert_int_equal(mc_out_finish(o, e), 0);
    fclose(o);
    fclose(e);
    assert_string_equal(out, "data\n");
    assert_string_equal(errs, "");
    free(out);
    free(errs);
}

static void expect_cap(const char *in, const char *want)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    mc_out_capitalized(f, in);
    fclose(f);
    assert_string_equal(buf, want);
    free(buf);
}

static void test_capitalized(void **state)
{
    expect_cap("service not found", "Service not found");
    expect_cap("Already", "Already");
    expect_cap("", "");
    expect_cap("1 thing", "1 thing");
    expect_cap("x", "X");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_flat),
        cmocka_unit_test(test_json_nested),
        cmocka_unit_test(test_json_empty_and_scalars),
        cmocka_unit_test(test_json_whitespace),
        cmocka_unit_test(test_json_strings_kept),
        cmocka_unit_test(test_json_numbers_exact),
        cmocka_unit_test(test_json_invalid),
        cmocka_unit_test(test_json_depth_limit),
        cmocka_unit_test(test_json_embedded_nul),
        cmocka_unit_test(test_table_env),
        cmocka_unit_test(test_table_rules),
        cmocka_unit_test(test_table_accounts),
        cmocka_unit_test(test_table_column_blocks),
        cmocka_unit_test(test_table_align_right_minwidth),
        cmocka_unit_test(test_table_utf8_width),
        cmocka_unit_test(test_table_printf_and_empty),
        cmocka_unit_test(test_finish_write_error),
        cmocka_unit_test(test_finish_ok),
        cmocka_unit_test(test_capitalized),
    };
    return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
