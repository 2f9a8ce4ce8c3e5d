/*
 * Guided calls on a session (client/guide): which command lines are guided
 * in the prompt and in one-shot use (`--edit` only), the words that run
 * afterwards, a cancelled reader, and one-shot `--edit` without a terminal
 * refused with its message. The registry entries are canned in the schema
 * cache directory and the proxy refuses connections, so nothing here needs a
 * server; the prompt and one-shot use on a real terminal are in
 * tests/tui/test_prompt.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "guide.h"
#include "mc_common.h"
#include "schema_cache.h"
#include "userconf.h"

#define DEAD_ADDR "127.0.0.1:1"

/* helloworld's Call, and Notes.Edit whose request has a field named "edit" */
static const char hello_json[] =
    "{\"name\":\"helloworld\",\"version\":\"latest\",\"endpoints\":["
    "{\"name\":\"Helloworld.Call\",\"request\":{\"name\":\"Request\",\"type\":\"Request\","
    "\"values\":[{\"name\":\"name\",\"type\":\"string\"}]}},"
    "{\"name\":\"Notes.Edit\",\"request\":{\"name\":\"R\",\"type\":\"R\","
    "\"values\":[{\"name\":\"edit\",\"type\":\"bool\"},{\"name\":\"text\",\"type\":\"string\"}]}}]}";

struct fixture {
    char dir[64];
    char errpath[128];
    struct mc_cli cli;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char path[256], text[4096], cmd[512], err[256];

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_guide.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(path, sizeof(path), "%s/config.json", fx->dir);
    assert_int_equal(mc_userconf_open(&fx->cli.conf, path, err, sizeof(err)), 0);
    snprintf(fx->cli.env, sizeof(fx->cli.env), "local");
    snprintf(fx->cli.namespace_, sizeof(fx->cli.namespace_), "micro");
    snprintf(fx->cli.address, sizeof(fx->cli.address), DEAD_ADDR);
    fx->cli.schemas = mc_schema_cache_new(fx->dir, "local", DEAD_ADDR);
    snprintf(fx->errpath, sizeof(fx->errpath), "%s/err.txt", fx->dir);
    fx->cli.out = stdout;
    fx->cli.err = fopen(fx->errpath, "w+");
    assert_non_null(fx->cli.err);
    /* the entry as schema_cache.c leaves it on disk */
    snprintf(path, sizeof(path), "%s/cache/local/micro/helloworld.json", fx->dir);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/cache/local/micro'", fx->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(text, sizeof(text), "{\"address\":\"%s\",\"fetched\":%lld,\"service\":%s}",
             DEAD_ADDR, (long long)time(NULL), hello_json);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    fclose(fx->cli.err);
    fx->cli.err = NULL;
    mc_cli_close(&fx->cli);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* A reader that answers from a list, then MC_ECLOSED; "^C" cancels. */
struct script {
    const char *const *answers;
    int next;
    int asked;
};

static int scripted(void *ud, const char *prompt, char **line)
{
    struct script *s = ud;
    const char *a = s->answers ? s->answers[s->next] : NULL;

    (void)prompt;
    s->asked++;
    *line = NULL;
    if (!a)
        return MC_ECLOSED;
    s->next++;
    if (strcmp(a, "^C") == 0)
        return MC_ECANCELED;
    *line = mc_strdup(a);
    return 0;
}

/* mc_guide on the words; the words to run joined by ' ' in *joined (static). */
static int guide(struct fixture *fx, bool edit_only, struct script *s, const char **joined, int n,
                 ...)
{
    static char buf[512];
    char *argv[8];
    struct mc_guided g = { 0 };
    va_list ap;

    va_start(ap, n);
    for (int i = 0; i < n; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    int rc = mc_guide(&fx->cli, n, argv, edit_only, s ? scripted : NULL, s, &g);
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < g.argc; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", g.argv[i]);
    mc_guided_release(&g);
    *joined = buf;
    return rc;
}

static const char *err_text(struct fixture *fx)
{
    static char buf[512];
    fflush(fx->cli.err);
    rewind(fx->cli.err);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fx->cli.err);
    buf[n] = '\0';
    return buf;
}

static void test_edit_is_guided_in_both_modes(void **state)
{
    struct fixture *fx = *state;
    const char *answers[] = { "Bob", NULL };
    const char *out;

    for (int edit_only = 0; edit_only < 2; edit_only++) {
        struct script s = { .answers = answers };
        assert_int_equal(guide(fx, edit_only, &s, &out, 3, "helloworld", "call", "--edit"), 1);
        assert_string_equal(out, "helloworld call --name=Bob");
        assert_int_equal(s.asked, 1);
    }
}

static void test_bare_endpoint_only_in_the_prompt(void **state)
{
    struct fixture *fx = *state;
    const char *answers[] = { "Eve", NULL };
    struct script s = { .answers = answers };
    const char *out;

    /* one-shot: upstream sends the empty request; nothing is asked */
    assert_int_equal(guide(fx, true, &s, &out, 2, "helloworld", "call"), 0);
    assert_int_equal(s.asked, 0);
    assert_int_equal(guide(fx, false, &s, &out, 2, "helloworld", "call"), 1);
    assert_string_equal(out, "helloworld call --name=Eve");
    /* Notes.Edit, bare, is guided in the prompt (its "edit" field is asked as any other) */
    struct script t = { 0 };
    assert_int_equal(guide(fx, false, &t, &out, 3, "helloworld", "notes", "edit"), 1);
    assert_int_equal(t.asked, 2);
}

static void test_not_guided(void **state)
{
    struct fixture *fx = *state;
    struct script s = { 0 };
    const char *out;

    /* builtins, unknown services, and an endpoint whose request has an "edit" field */
    assert_int_equal(guide(fx, true, &s, &out, 3, "store", "read", "--edit"), 0);
    assert_int_equal(guide(fx, true, &s, &out, 3, "nope", "call", "--edit"), 0);
    assert_int_equal(guide(fx, true, &s, &out, 4, "helloworld", "notes", "edit", "--edit"), 0);
    assert_int_equal(guide(fx, false, &s, &out, 4, "helloworld", "notes", "edit", "--edit"), 0);
    assert_int_equal(guide(fx, false, &s, &out, 3, "helloworld", "call", "--name=x"), 0);
    assert_int_equal(s.asked, 0);
    assert_string_equal(err_text(fx), "");
}

static void test_cancelled_reader_runs_nothing(void **state)
{
    struct fixture *fx = *state;
    const char *answers[] = { "^C", NULL };
    struct script s = { .answers = answers };
    const char *out;

    assert_int_equal(guide(fx, true, &s, &out, 3, "helloworld", "call", "--edit"), MC_ECANCELED);
    assert_string_equal(out, "");
    assert_string_equal(err_text(fx), "");
}

static void test_edit_without_a_terminal_is_refused(void **state)
{
    struct fixture *fx = *state;
    const char *out;

    assert_int_equal(guide(fx, true, NULL, &out, 3, "helloworld", "call", "--edit"),
                     MC_EUNSUPPORTED);
    assert_string_equal(out, "");
    assert_string_equal(err_text(fx), "--edit asks for the request's fields on a terminal; stdin "
                                      "is not one: give the fields as flags\n");
}

static void test_has_edit(void **state)
{
    char *a[] = { (char *)"x", (char *)"--edit=true" };
    char *b[] = { (char *)"x", (char *)"--edit=false", (char *)"--editor" };

    (void)state;
    assert_true(mc_guide_has_edit(2, a));
    assert_false(mc_guide_has_edit(3, b));
    assert_false(mc_guide_has_edit(0, b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_edit_is_guided_in_both_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bare_endpoint_only_in_the_prompt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_guided, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_reader_runs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_without_a_terminal_is_refused, setup, teardown),
        cmocka_unit_test(test_has_edit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
