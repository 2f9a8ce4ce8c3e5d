/*
 * Unit tests for guided calls (client/guided.c) and the prompt's pure parts
 * (client/prompt.c): the walk over a request schema with a scripted reader
 * (prompts, nesting, repeated scalars and messages, maps, defaults from
 * flags, Ctrl-C, the answer limit), the words it makes read back by
 * dynamic.c into the expected request JSON, when a command is guided, the
 * quoting that script.h splits back, and the prompt's completion words and
 * history path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "dynamic.h"
#include "guided.h"
#include "mc_common.h"
#include "prompt.h"
#include "script.h"

static const char *schema_json =
    "{\"name\":\"Request\",\"type\":\"Request\",\"values\":["
    "{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"count\",\"type\":\"int64\"},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":[{\"name\":\"domain\",\"type\":\"string\"}]},"
    "{\"name\":\"tags\",\"type\":\"[]string\"},"
    "{\"name\":\"labels\",\"type\":\"map[string]string\"},"
    "{\"name\":\"records\",\"type\":\"[]Record\",\"values\":["
    "{\"name\":\"key\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int32\"}]}]}";

/* The scripted user: answers in order ("^C" = Ctrl-C, NULL = Ctrl-D); the
 * prompts seen are kept joined by '|'. */
struct script {
    const char *const *answers;
    int next;
    char prompts[4096];
};

static int scripted(void *ud, const char *prompt, char **line)
{
    struct script *s = ud;
    size_t o = strlen(s->prompts);
    snprintf(s->prompts + o, sizeof(s->prompts) - o, "%s%s", o ? "|" : "", prompt);
    const char *a = s->answers[s->next++];
    if (!a)
        return MC_ECLOSED;
    if (strcmp(a, "^C") == 0)
        return MC_ECANCELED;
    *line = mc_strdup(a);
    return 0;
}

static int fill(const char *const *argv, int argc, const char *const *answers, struct script *s,
                struct mc_guided *g, cJSON **schema)
{
    char err[256];
    memset(s, 0, sizeof(*s));
    s->answers = answers;
    *schema = cJSON_Parse(schema_json);
    FILE *null = fopen("/dev/null", "w");
    int rc = mc_guided_fill(argc, (char *const *)argv, *schema, scripted, s, null, g, err,
                            sizeof(err));
    fclose(null);
    return rc;
}

/* The request dynamic.c makes of the guided words. */
static char *request_of(const struct mc_guided *g, const cJSON *schema)
{
    struct mc_dyn_args a;
    char err[256], *json = NULL;
    assert_int_equal(mc_dyn_split(g->argc, g->argv, &a, err, sizeof(err)), 0);
    int rc = mc_dyn_request(&a, schema, &json, err, sizeof(err));
    if (rc != 0)
        fail_msg("mc_dyn_request: %s", err);
    mc_dyn_args_release(&a);
    return json;
}

static void test_every_kind_of_field(void **state)
{
    (void)state;
    const char *argv[] = { "svc", "call" };
    const char *answers[] = { "Bob", "", "micro", "a", "b=c", "", "k=v", "", "x", "3", "", "",
                              NULL };
    struct script s;
    struct mc_guided g;
    cJSON *schema;

    assert_int_equal(fill(argv, 2, answers, &s, &g, &schema), 0);
    assert_string_equal(s.prompts,
                        "name (string) => |count (int64) => |options.domain (string) => |"
                        "tags[0] (string) => |tags[1] (string) => |tags[2] (string) => |"
                        "labels (map[string]string, key=value) => |"
                        "labels (map[string]string, key=value) => |"
                        "records[0].key (string) => |records[0].n (int32) => |"
                        "records[1].key (string) => |records[1].n (int32) => ");
    char *line = mc_guided_quote(g.argc, g.argv);
    assert_string_equal(line, "svc call --name=Bob --options.domain=micro --tags "
                              "'[\"a\",\"b=c\"]' '--labels={\"k\":\"v\"}' "
                              "'--records=[{\"key\":\"x\",\"n\":3}]'");
    free(line);
    char *json = request_of(&g, schema);
    assert_string_equal(json, "{\"name\":\"Bob\",\"options\":{\"domain\":\"micro\"},"
                              "\"tags\":[\"a\",\"b=c\"],\"labels\":{\"k\":\"v\"},"
                              "\"records\":[{\"key\":\"x\",\"n\":3}]}");
    free(json);
    mc_guided_release(&g);
    cJSON_Delete(schema);
}

static void test_flags_are_defaults(void **state)
{
    (void)state;
    const char *argv[] = { "svc", "call", "--name=Zed", "--edit", "--extra", "1", "--count=7" };
    const char *answers[] = { "", "", "", "", "", "", NULL };
    struct script s;
    struct mc_guided g;
    cJSON *schema;

    assert_int_equal(fill(argv, 7, answers, &s, &g, &schema), 0);
    assert_non_null(strstr(s.prompts, "name (string) [Zed] => |count (int64) [7] => "));
    char *line = mc_guided_quote(g.argc, g.argv);
    assert_string_equal(line, "svc call --name=Zed --count=7 --extra=1");
    free(line);
    mc_guided_release(&g);
    cJSON_Delete(schema);
}

static void test_ctrl_c_abandons(void **state)
{
    (void)state;
    const char *argv[] = { "svc", "call" };
    const char *answers[] = { "Bob", "^C", NULL };
    struct script s;
    struct mc_guided g;
    cJSON *schema;

    assert_int_equal(fill(argv, 2, answers, &s, &g, &schema), MC_ECANCELED);
    assert_int_equal(g.argc, 0);
    assert_null(g.argv);
    mc_guided_release(&g);
    cJSON_Delete(schema);
}

/* Ctrl-D is an empty answer: it ends a repeated field and the rest is skipped. */
static void test_end_of_input_is_empty(void **state)
{
    (void)state;
    const char *argv[] = { "svc", "call", "--edit" };
    const char *answers[] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
    struct script s;
    struct mc_guided g;
    cJSON *schema;

    assert_int_equal(fill(argv, 3, answers, &s, &g, &schema), 0);
    char *line = mc_guided_quote(g.argc, g.argv);
    assert_string_equal(line, "svc call");
    free(line);
    mc_guided_release(&g);
    cJSON_Delete(schema);
}

static const char *endless(void)
{
    return "again";
}

static int always(void *ud, const char *prompt, char **line)
{
    (void)ud, (void)prompt;
    *line = mc_strdup(endless());
    return 0;
}

/* A repeated field answered forever stops at the limit. */
static void test_answer_limit(void **state)
{
    (void)state;
    cJSON *schema = cJSON_Parse("{\"values\":[{\"name\":\"tags\",\"type\":\"[]string\"}]}");
    char *argv[] = { (char *)"svc", (char *)"call" };
    struct mc_guided g;
    char err[128] = "";
    FILE *null = fopen("/dev/null", "w");

    assert_int_equal(mc_guided_fill(2, argv, schema, always, NULL, null, &g, err, sizeof(err)),
                     MC_ETOOBIG);
    assert_non_null(strstr(err, "answers"));
    assert_int_equal(g.argc, 0);
    fclose(null);
    mc_guided_release(&g);
    cJSON_Delete(schema);
}

static void test_wanted(void **state)
{
    (void)state;
    cJSON *schema = cJSON_Parse(schema_json);
    cJSON *empty = cJSON_Parse("{\"name\":\"Empty\",\"type\":\"Empty\",\"values\":[]}");
    cJSON *with_edit = cJSON_Parse("{\"values\":[{\"name\":\"edit\",\"type\":\"bool\"}]}");
    bool edit;
    char *bare[] = { (char *)"svc", (char *)"call" };
    char *one[] = { (char *)"svc" };
    char *flagged[] = { (char *)"svc", (char *)"call", (char *)"--name=x" };
    char *edited[] = { (char *)"svc", (char *)"--edit", (char *)"--name=x" };

    assert_true(mc_guided_wanted(2, bare, schema, &edit));
    assert_false(edit);
    assert_false(mc_guided_wanted(1, one, schema, &edit));
    assert_false(mc_guided_wanted(3, flagged, schema, &edit));
    assert_false(mc_guided_wanted(2, bare, empty, &edit));
    assert_true(mc_guided_wanted(3, edited, schema, &edit));
    assert_true(edit);
    assert_true(mc_guided_wanted(3, edited, empty, &edit)); /* --edit is dropped, nothing asked */
    /* a request with a field named edit: --edit is that field */
    assert_false(mc_guided_wanted(3, edited, with_edit, &edit));
    assert_false(edit);
    cJSON_Delete(schema);
    cJSON_Delete(empty);
    cJSON_Delete(with_edit);
}

static void test_quote_round_trip(void **state)
{
    (void)state;
    char *argv[] = { (char *)"a", (char *)"b c", (char *)"it's", (char *)"", (char *)"#x;y",
                     (char *)"--k=v" };
    char *line = mc_guided_quote(6, argv);
    assert_string_equal(line, "a 'b c' 'it'\\''s' '' '#x;y' --k=v");
    struct mc_script_line l;
    char err[128];
    assert_int_equal(mc_script_split(&l, line, strlen(line), err, sizeof(err)), 0);
    assert_int_equal(l.ncmds, 1);
    assert_int_equal(l.nwords, 7);
    for (int i = 0; i < 6; i++)
        assert_string_equal(l.words[i], argv[i]);
    mc_script_line_release(&l);
    free(line);
}

static void words_are(const char *line, size_t start, int rc, const char *want)
{
    struct mc_script_line l;
    char **w, got[512] = "";
    int n;
    assert_int_equal(mc_prompt_words(line, start, &l, &w, &n), rc);
    for (int i = 0; i < n; i++) {
        size_t o = strlen(got);
        snprintf(got + o, sizeof(got) - o, "%s%s", i ? "|" : "", w[i]);
    }
    assert_string_equal(got, want);
    mc_script_line_release(&l);
}

static void test_prompt_words(void **state)
{
    (void)state;
    words_are("store read k", 11, 0, "store|read");
    words_are("micro store ", 12, 0, "store");
    words_are("", 0, 0, "");
    words_are("services; he", 10, 0, "");
    words_are("services ; call 'hello w", 16, 0, "call");
    words_are("call 'hello w", 13, MC_EINVAL, "");
}

static void test_history_path(void **state)
{
    (void)state;
    char buf[256];
    assert_int_equal(mc_prompt_history_path("/h/.micro/config.json", "local", buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "/h/.micro/history/local");
    assert_int_equal(mc_prompt_history_path("config.json", "dev", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "./history/dev");
    assert_int_equal(mc_prompt_history_path("/h/config.json", "../x", buf, sizeof(buf)),
                     MC_EINVAL);
    assert_int_equal(mc_prompt_history_path("/h/config.json", "a/b", buf, sizeof(buf)),
                     MC_EINVAL);
    assert_int_equal(mc_prompt_history_path("/h/config.json", "", buf, sizeof(buf)), MC_EINVAL);
    assert_int_equal(mc_prompt_history_path("/h/config.json", "local", buf, 8), MC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_of_field),
        cmocka_unit_test(test_flags_are_defaults),
        cmocka_unit_test(test_ctrl_c_abandons),
        cmocka_unit_test(test_end_of_input_is_empty),
        cmocka_unit_test(test_answer_limit),
        cmocka_unit_test(test_wanted),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_prompt_words),
        cmocka_unit_test(test_history_path),
    };
    return cmocka_run_group_tests_name("guided", tests, NULL, NULL);
}
