/* Unit tests for the prompt's registry watch (client/regwatch): the set of
 * (name, version) pairs fed with ListServices and Watch JSON, and the thread
 * stopping at once whether the server is down or holds a call open without
 * answering (the wake signal, not libcurl's one-second poll, ends it). The
 * live behaviour against the real server is in tests/tui/test_prompt.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "mc_common.h"
#include "regwatch.h"
#include "schema_cache.h"

static int load(struct mc_regwatch_set *s, const char *json)
{
    return mc_regwatch_set_load(s, json, strlen(json));
}

static int apply(struct mc_regwatch_set *s, const char *json)
{
    return mc_regwatch_set_apply(s, json, strlen(json));
}

/* The names joined by ',' (a static buffer: one check at a time). */
static const char *joined(const struct mc_regwatch_set *s)
{
    static char buf[512];
    char **names = mc_regwatch_set_names(s);
    size_t o = 0;

    buf[0] = '\0';
    for (char **p = names; *p; p++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? "," : "", *p);
    mc_cli_names_free(names);
    return buf;
}

static void test_load_sorts_and_dedups(void **state)
{
    struct mc_regwatch_set s = { 0 };

    (void)state;
    assert_int_equal(load(&s, "{\"services\":[{\"name\":\"store\",\"version\":\"latest\"},"
                              "{\"name\":\"auth\",\"version\":\"latest\"},"
                              "{\"name\":\"store\",\"version\":\"v2\"},{\"version\":\"x\"}]}"),
                     0);
    assert_string_equal(joined(&s), "auth,store");
    assert_int_equal(s.n, 3); /* the entry without a name is not kept */
    /* an empty registry answers {} (jsonpb omits nothing, our server may) */
    assert_int_equal(load(&s, "{}"), 0);
    assert_string_equal(joined(&s), "");
    mc_regwatch_set_release(&s);
}

static void test_load_rejects_garbage_unchanged(void **state)
{
    struct mc_regwatch_set s = { 0 };

    (void)state;
    assert_int_equal(load(&s, "{\"services\":[{\"name\":\"a\",\"version\":\"1\"}]}"), 0);
    assert_int_equal(load(&s, "not json"), MC_EPROTO);
    assert_int_equal(load(&s, "{\"services\":3}"), MC_EPROTO);
    assert_string_equal(joined(&s), "a");
    mc_regwatch_set_release(&s);
}

static void test_events_add_and_remove_versions(void **state)
{
    struct mc_regwatch_set s = { 0 };

    (void)state;
    assert_int_equal(apply(&s, "{\"action\":\"create\",\"service\":{\"name\":\"greeter\","
                               "\"version\":\"1\"}}"),
                     1);
    assert_int_equal(apply(&s, "{\"action\":\"update\",\"service\":{\"name\":\"greeter\","
                               "\"version\":\"1\"}}"),
                     0); /* a heartbeat: already there */
    assert_int_equal(apply(&s, "{\"action\":\"create\",\"service\":{\"name\":\"greeter\","
                               "\"version\":\"2\"}}"),
                     1);
    assert_int_equal(apply(&s, "{\"action\":\"create\",\"service\":{\"name\":\"abc\"}}"), 1);
    assert_string_equal(joined(&s), "abc,greeter");
    /* one version gone: the name stays while the other is registered */
    assert_int_equal(apply(&s, "{\"action\":\"delete\",\"service\":{\"name\":\"greeter\","
                               "\"version\":\"1\"}}"),
                     1);
    assert_string_equal(joined(&s), "abc,greeter");
    assert_int_equal(apply(&s, "{\"action\":\"delete\",\"service\":{\"name\":\"greeter\","
                               "\"version\":\"2\"}}"),
                     1);
    assert_string_equal(joined(&s), "abc");
    assert_int_equal(apply(&s, "{\"action\":\"delete\",\"service\":{\"name\":\"nope\"}}"), 0);
    mc_regwatch_set_release(&s);
}

static void test_events_malformed_or_unknown(void **state)
{
    struct mc_regwatch_set s = { 0 };

    (void)state;
    assert_int_equal(apply(&s, "{\"action\":\"create\"}"), MC_EPROTO);
    assert_int_equal(apply(&s, "{\"action\":\"create\",\"service\":{\"name\":\"\"}}"), MC_EPROTO);
    assert_int_equal(apply(&s, "garbage"), MC_EPROTO);
    assert_int_equal(apply(&s, "{\"action\":\"rename\",\"service\":{\"name\":\"x\"}}"), 0);
    assert_int_equal(s.n, 0);
    mc_regwatch_set_release(&s);
}

/* ---- the thread ------------------------------------------------------------------ */

struct fixture {
    char dir[64];
    char config[128];
    char address[64];
    int listener; /* -1, or a socket that accepts connections and never answers */
};

static int setup(void **state)
{
    struct fixture *fx = mc_calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_regwatch.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
    fx->listener = -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    if (fx->listener >= 0)
        close(fx->listener);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* A loopback port: listening (connections complete, nothing is ever read
 * or written) or, with listen_too false, closed again (refused). */
static void make_port(struct fixture *fx, bool listen_too)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (listen_too)
        assert_int_equal(listen(fd, 8), 0);
    snprintf(fx->address, sizeof(fx->address), "127.0.0.1:%u", ntohs(a.sin_port));
    if (listen_too)
        fx->listener = fd;
    else
        close(fd);
}

static void session_for(const struct fixture *fx, struct mc_cli *cli)
{
    memset(cli, 0, sizeof(*cli));
    cli->opts.config_file = fx->config;
    cli->opts.proxy_address = fx->address;
    snprintf(cli->env, sizeof(cli->env), "local");
    snprintf(cli->namespace_, sizeof(cli->namespace_), "micro");
    snprintf(cli->address, sizeof(cli->address), "%s", fx->address);
}

/* Starts a watch, lets it try for a while, checks it is not live, and
 * returns how long stopping took. */
static uint64_t run_and_stop(const struct fixture *fx, unsigned run_ms)
{
    struct mc_cli cli;
    char **names = (char **)1;

    session_for(fx, &cli);
    struct mc_regwatch *w = mc_regwatch_start(&cli, "micro");
    assert_non_null(w);
    assert_true(mc_regwatch_follows(w, &cli));
    usleep(run_ms * 1000u);
    assert_int_equal(mc_regwatch_names(w, &names), MC_EAGAIN);
    assert_null(names);
    snprintf(cli.namespace_, sizeof(cli.namespace_), "other");
    assert_false(mc_regwatch_follows(w, &cli));
    uint64_t t0 = mc_now_ms();
    mc_regwatch_stop(w);
    return mc_now_ms() - t0;
}

static void test_server_down_not_live_stops_at_once(void **state)
{
    struct fixture *fx = *state;

    make_port(fx, false);
    /* refused again and again, with the backoff's sleep in between */
    assert_true(run_and_stop(fx, 400) < 200);
}

static void test_silent_server_stops_at_once(void **state)
{
    struct fixture *fx = *state;

    make_port(fx, true);
    /* the list call waits on a connection that never answers: libcurl's poll
     * would sleep a second; the wake signal ends it now */
    assert_true(run_and_stop(fx, 300) < 200);
}

static void test_stop_null_is_fine(void **state)
{
    (void)state;
    mc_regwatch_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_sorts_and_dedups),
        cmocka_unit_test(test_load_rejects_garbage_unchanged),
        cmocka_unit_test(test_events_add_and_remove_versions),
        cmocka_unit_test(test_events_malformed_or_unknown),
        cmocka_unit_test_setup_teardown(test_server_down_not_live_stops_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_server_stops_at_once, setup, teardown),
        cmocka_unit_test(test_stop_null_is_fine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
