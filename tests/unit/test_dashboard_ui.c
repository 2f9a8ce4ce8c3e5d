/* Unit tests for the dashboard's model, key table and renderers
 * (client/dash_model.c, dash_ui.c, dash_render.c): the merge of runtime and
 * registry services, keys moving the selection, filtering, opening views and
 * asking for effects, the log view's follow/scroll/search, and whole frames
 * rendered as text at 80x24 and smaller. No terminal and no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <curses.h>

#include "dash_model.h"
#include "dash_render.h"
#include "dash_ui.h"

#define NOW_NS (1764400000LL * 1000000000LL)

static const char *RUNTIME =
    "[{\"name\":\"zeta\",\"version\":\"latest\",\"source\":\"src-id\",\"status\":4,"
    "\"metadata\":{\"source\":\"./zeta\",\"started\":\"2025-11-29T06:56:10Z\",\"retries\":\"2\"}},"
    "{\"name\":\"broken\",\"version\":\"v1\",\"status\":7,"
    "\"metadata\":{\"error\":\"build failed\",\"retries\":\"0\"}}]";
/* The registry's answer: alpha 1.0 on two nodes, zeta latest on one. */
static Registry__Node a1 = REGISTRY__NODE__INIT, a2 = REGISTRY__NODE__INIT, z1 = REGISTRY__NODE__INIT;
static Registry__Node *alpha_nodes[] = { &a1, &a2 }, *zeta_nodes[] = { &z1 };
static Registry__Service alpha = REGISTRY__SERVICE__INIT, zeta = REGISTRY__SERVICE__INIT;
static Registry__Service *listed[] = { &alpha, &zeta };
static Registry__ListResponse REGISTRY = REGISTRY__LIST_RESPONSE__INIT;

static const Registry__ListResponse *registry_answer(void)
{
    alpha.name = "alpha";
    alpha.version = "1.0";
    alpha.nodes = alpha_nodes;
    alpha.n_nodes = 2;
    zeta.name = "zeta";
    zeta.version = "latest";
    zeta.nodes = zeta_nodes;
    zeta.n_nodes = 1;
    REGISTRY.services = listed;
    REGISTRY.n_services = 2;
    return &REGISTRY;
}

static void model_with_services(struct dash_model *m)
{
    cJSON *rt = cJSON_Parse(RUNTIME);
    const Registry__ListResponse *reg = registry_answer();

    assert_int_equal(dash_model_init(m, 100), 0);
    dash_copy(m->env, sizeof(m->env), "local");
    dash_copy(m->ns, sizeof(m->ns), "micro");
    dash_copy(m->address, sizeof(m->address), "127.0.0.1:8081");
    m->conn = DASH_CONNECTED;
    dash_model_set_services(m, rt, reg);
    cJSON_Delete(rt);
}

static void test_model_merge(void **state)
{
    struct dash_model m;

    (void)state;
    model_with_services(&m);
    assert_int_equal(m.nsvcs, 3);
    assert_string_equal(m.svcs[0].name, "alpha"); /* sorted by name */
    assert_string_equal(m.svcs[1].name, "broken");
    assert_string_equal(m.svcs[2].name, "zeta");
    assert_false(m.svcs[0].runtime);
    assert_int_equal(m.svcs[0].nodes, 2);
    assert_string_equal(m.svcs[1].status, "error");
    assert_string_equal(m.svcs[1].error, "build failed");
    assert_int_equal(m.svcs[1].nodes, -1);           /* not registered */
    assert_string_equal(m.svcs[2].source, "./zeta"); /* the argument wins over the id */
    assert_string_equal(m.svcs[2].status, "running");
    assert_int_equal(m.svcs[2].restarts, 2);
    assert_int_equal(m.svcs[2].nodes, 1);
    assert_int_equal(dash_model_find(&m, "zeta"), 2);
    assert_int_equal(dash_model_find(&m, "nope"), -1);
    /* one source unknown: the other still lists */
    dash_model_set_services(&m, NULL, NULL);
    assert_int_equal(m.nsvcs, 0);
    dash_model_release(&m);
}

/* Many services: every name once, merged across the sources, two versions of
 * one service counted as one row with both nodes. */
static void test_model_many_services(void **state)
{
    enum { N = 10000 };
    static Registry__Service svc[N + 1], *list[N + 1];
    static Registry__Node node = REGISTRY__NODE__INIT, *nodes[] = { &node };
    static char names[N][16];
    Registry__ListResponse reg = REGISTRY__LIST_RESPONSE__INIT;
    cJSON *rt = cJSON_CreateArray();
    struct dash_model m;

    (void)state;
    for (int i = 0; i < N; i++) {
        registry__service__init(&svc[i]);
        snprintf(names[i], sizeof(names[i]), "svc%05d", i);
        svc[i].name = names[i];
        svc[i].version = "latest";
        svc[i].nodes = nodes;
        svc[i].n_nodes = 1;
        list[i] = &svc[i];
        if (i % 2 == 0) {   /* half of them run in the runtime too */
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "name", names[i]);
            cJSON_AddNumberToObject(r, "status", 4);
            cJSON_AddItemToArray(rt, r);
        }
    }
    registry__service__init(&svc[N]);   /* a second version of svc00007 */
    svc[N].name = names[7];
    svc[N].version = "v2";
    svc[N].nodes = nodes;
    svc[N].n_nodes = 1;
    list[N] = &svc[N];
    reg.services = list;
    reg.n_services = N + 1;
    assert_int_equal(dash_model_init(&m, 100), 0);
    dash_model_set_services(&m, rt, &reg);
    assert_int_equal(m.nsvcs, N);
    assert_string_equal(m.svcs[0].name, "svc00000");
    assert_string_equal(m.svcs[N - 1].name, "svc09999");
    assert_true(m.svcs[0].runtime);
    assert_false(m.svcs[1].runtime);
    assert_int_equal(m.svcs[7].nodes, 2);
    assert_int_equal(m.svcs[8].nodes, 1);
    cJSON_Delete(rt);
    dash_model_release(&m);
}

static void test_model_follow_clears(void **state)
{
    struct dash_model m;

    (void)state;
    model_with_services(&m);
    dash_model_follow(&m, "zeta");
    unsigned gen = m.log_gen;
    dash_log_push(&m.log, "x", 1, 0);
    dash_model_follow(&m, "zeta"); /* same service: nothing changes */
    assert_int_equal(m.log_gen, gen);
    assert_int_equal(m.log.len, 1);
    dash_model_follow(&m, "alpha");
    assert_int_equal(m.log_gen, gen + 1);
    assert_int_equal(m.log.len, 0);
    dash_model_release(&m);
}

static void test_keys_table(void **state)
{
    (void)state;
    assert_int_equal(dash_key_find('j', DASH_V_SERVICES)->action, DA_DOWN);
    assert_int_equal(dash_key_find(KEY_UP, DASH_V_LOGS)->action, DA_UP);
    assert_null(dash_key_find('f', DASH_V_SERVICES)); /* follow is a log key */
    assert_int_equal(dash_key_find('f', DASH_V_LOGS)->action, DA_FOLLOW);
    /* every action key with a label has help text */
    for (const struct dash_key *k = dash_keys; k->key; k++)
        if (k->label)
            assert_non_null(k->help);
}

static void type(struct dash_ui *ui, struct dash_model *m, const char *s)
{
    for (; *s; s++)
        dash_ui_key(ui, m, (unsigned char)*s);
}

static void test_keys_services(void **state)
{
    struct dash_model m;
    struct dash_ui ui;

    (void)state;
    model_with_services(&m);
    dash_ui_init(&ui, 24, 80);
    assert_int_equal(dash_ui_key(&ui, &m, 'j'), DE_NONE);
    assert_int_equal(ui.sel, 1);
    dash_ui_key(&ui, &m, 'j');
    dash_ui_key(&ui, &m, 'j'); /* stops at the last row */
    assert_int_equal(ui.sel, 2);
    dash_ui_key(&ui, &m, 'k');
    assert_int_equal(ui.sel, 1);
    assert_int_equal(dash_ui_key(&ui, &m, '\n'), DE_DETAIL);
    assert_string_equal(ui.target, "broken");
    assert_int_equal(ui.view, DASH_V_DETAIL);
    assert_int_equal(dash_ui_key(&ui, &m, 'q'), DE_NONE);
    assert_int_equal(ui.view, DASH_V_SERVICES);
    /* / filters: only zeta; l opens its log */
    type(&ui, &m, "/zet");
    assert_int_equal(ui.input, DASH_IN_FILTER);
    dash_ui_key(&ui, &m, '\n');
    assert_string_equal(ui.svc_filter, "zet");
    assert_int_equal(dash_ui_services(&ui, &m, NULL, 0), 1);
    assert_int_equal(dash_ui_key(&ui, &m, 'l'), DE_FOLLOW);
    assert_string_equal(ui.target, "zeta");
    assert_int_equal(ui.view, DASH_V_LOGS);
    assert_true(ui.follow);
    dash_ui_key(&ui, &m, 27);
    assert_int_equal(ui.view, DASH_V_SERVICES);
    /* K asks first; only y kills */
    assert_int_equal(dash_ui_key(&ui, &m, 'K'), DE_NONE);
    assert_string_equal(ui.message, "kill zeta? (y/n)");
    assert_int_equal(dash_ui_key(&ui, &m, 'n'), DE_NONE);
    dash_ui_key(&ui, &m, 'K');
    assert_int_equal(dash_ui_key(&ui, &m, 'y'), DE_KILL);
    assert_int_equal(dash_ui_key(&ui, &m, 'u'), DE_UPDATE);
    /* : command mode: Tab asks for completion, Enter runs */
    type(&ui, &m, ":sta");
    assert_int_equal(dash_ui_key(&ui, &m, '\t'), DE_COMPLETE);
    assert_int_equal(dash_ui_key(&ui, &m, '\n'), DE_RUN);
    assert_string_equal(ui.line, "sta");
    /* Esc clears the filter first, then q quits */
    assert_int_equal(dash_ui_key(&ui, &m, 27), DE_NONE);
    assert_string_equal(ui.svc_filter, "");
    assert_int_equal(dash_ui_key(&ui, &m, 'q'), DE_QUIT);
    dash_ui_release(&ui);
    dash_model_release(&m);
}

static void test_keys_logs(void **state)
{
    struct dash_model m;
    struct dash_ui ui;
    char line[32];

    (void)state;
    model_with_services(&m);
    dash_ui_init(&ui, 10, 80); /* 7 body rows */
    for (int i = 0; i < 50; i++) {
        snprintf(line, sizeof(line), "%s %d", i % 10 == 3 ? "needle" : "hay", i);
        dash_log_push(&m.log, line, strlen(line), 0);
    }
    dash_copy(ui.target, sizeof(ui.target), "zeta");
    ui.view = DASH_V_LOGS;
    dash_ui_key(&ui, &m, 'k'); /* scrolling up stops following */
    assert_false(ui.follow);
    assert_int_equal(ui.log_top, 50 - 7 - 1);
    dash_ui_key(&ui, &m, 'G');
    assert_true(ui.follow);
    /* the pattern, then n/N jump between matches (every line shown) */
    type(&ui, &m, "/needle\n");
    assert_true(ui.log_hide);
    dash_ui_key(&ui, &m, 'N');
    assert_false(ui.log_hide);
    assert_int_equal(ui.log_mark, 43);
    dash_ui_key(&ui, &m, 'N');
    assert_int_equal(ui.log_mark, 33);
    dash_ui_key(&ui, &m, 'n');
    assert_int_equal(ui.log_mark, 43);
    dash_ui_key(&ui, &m, 'n');
    assert_string_equal(ui.message, "no further match for 'needle'");
    assert_int_equal(ui.log_mark, 43);
    assert_int_equal(dash_ui_key(&ui, &m, 's'), DE_SAVE);
    dash_ui_key(&ui, &m, 't');
    dash_ui_key(&ui, &m, 'w');
    assert_true(ui.timestamps);
    assert_true(ui.wrap);
    dash_ui_release(&ui);
    dash_model_release(&m);
}

static void row(const struct dash_frame *f, int r, char *buf)
{
    dash_frame_row(f, r, buf, 256);
}

static void test_render_services(void **state)
{
    struct dash_model m;
    struct dash_ui ui;
    struct dash_frame f;
    char r[256];

    (void)state;
    model_with_services(&m);
    dash_ui_init(&ui, 24, 80);
    dash_frame_init(&f, 24, 80);
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 0, r);
    assert_string_equal(r, " micro | env local | ns micro | 127.0.0.1:8081 | connected | "
                           "watch off | events");
    row(&f, 1, r);
    assert_string_equal(r, " Services (3)");
    row(&f, 2, r);
    assert_string_equal(r,
                        "NAME              VERSION  STATUS   UPTIME  RST NODES SOURCE       ERROR");
    row(&f, 3, r);
    assert_string_equal(r, "alpha             1.0      -        -       -   2     -");
    row(&f, 4, r);
    assert_string_equal(r, "broken            v1       error    -       0   -     -"
                           "            build failed");
    row(&f, 5, r);
    assert_string_equal(r, "zeta              latest   running  10m30s  2   1     ./zeta");
    assert_int_equal(f.attr[3 * 80], DASH_A_SELECTED); /* the first row is selected */
    row(&f, 23, r);
    assert_string_equal(r, "Enter open  l logs  / filter  : cmd  K kill  u update  ? help  q quit");
    /* disconnected: the header says so and why */
    m.conn = DASH_DISCONNECTED;
    dash_copy(m.conn_error, sizeof(m.conn_error), "cannot connect: refused");
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 0, r);
    assert_string_equal(r, " micro | env local | ns micro | 127.0.0.1:8081 | "
                           "DISCONNECTED: cannot connect: r");
    /* too small: says so instead of a broken layout */
    dash_frame_release(&f);
    dash_frame_init(&f, 4, 20);
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 0, r);
    assert_string_equal(r, "terminal too small (");
    dash_frame_release(&f);
    dash_ui_release(&ui);
    dash_model_release(&m);
}

static void test_render_logs(void **state)
{
    struct dash_model m;
    struct dash_ui ui;
    struct dash_frame f;
    char r[256];

    (void)state;
    model_with_services(&m);
    dash_ui_init(&ui, 8, 40);
    dash_frame_init(&f, 8, 40);
    dash_model_follow(&m, "zeta");
    m.log_live = true;
    for (int i = 0; i < 9; i++) {
        char line[32];
        snprintf(line, sizeof(line), "line %d", i);
        dash_log_push(&m.log, line, strlen(line), 0);
    }
    dash_log_push(&m.log, "{\"level\":\"warn\",\"msg\":\"hot\"}", 28, 0);
    ui.view = DASH_V_LOGS;
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 1, r);
    assert_string_equal(r, " Logs: zeta (live) | follow | 10 lines,");
    row(&f, 2, r);
    assert_string_equal(r, "line 5");
    row(&f, 6, r);
    assert_string_equal(r, "WARN hot"); /* the newest at the bottom, readable */
    /* wrap: a long line takes two rows */
    dash_log_push(&m.log, "0123456789012345678901234567890123456789abc", 43, 0);
    ui.wrap = true;
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 5, r);
    assert_string_equal(r, "0123456789012345678901234567890123456789");
    row(&f, 6, r);
    assert_string_equal(r, "abc");
    /* a filter hides the rest (following: the matches at the bottom) */
    dash_copy(ui.log_pat, sizeof(ui.log_pat), "line 1");
    dash_render(&f, &m, &ui, NOW_NS);
    row(&f, 6, r);
    assert_string_equal(r, "line 1");
    row(&f, 5, r);
    assert_string_equal(r, "");
    row(&f, 1, r);
    assert_string_equal(r, " Logs: zeta (live) | follow wrap | 11 li");
    dash_frame_release(&f);
    dash_ui_release(&ui);
    dash_model_release(&m);
}

static void test_uptime(void **state)
{
    char b[32];

    (void)state;
    dash_format_uptime(b, sizeof(b), 5);
    assert_string_equal(b, "5s");
    dash_format_uptime(b, sizeof(b), 125);
    assert_string_equal(b, "2m5s");
    dash_format_uptime(b, sizeof(b), 7260);
    assert_string_equal(b, "2h1m");
    dash_format_uptime(b, sizeof(b), 90000);
    assert_string_equal(b, "1d1h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_merge),    cmocka_unit_test(test_model_many_services),
        cmocka_unit_test(test_model_follow_clears),
        cmocka_unit_test(test_keys_table),     cmocka_unit_test(test_keys_services),
        cmocka_unit_test(test_keys_logs),      cmocka_unit_test(test_render_services),
        cmocka_unit_test(test_render_logs),    cmocka_unit_test(test_uptime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
