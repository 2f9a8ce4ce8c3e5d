/*
 * The completion engine (client/complete.h) without a server: the command
 * table alone (no session), then a session whose registry entries are canned
 * in the schema cache directory, as `micro` would have left them, with a proxy
 * address that refuses connections. Also the budget: a server that accepts
 * the connection and never answers costs the budget and no more, and a
 * budget of 0 answers from the cache alone.
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cli.h"
#include "complete.h"
#include "mc_common.h"
#include "schema_cache.h"
#include "userconf.h"

#define DEAD_ADDR "127.0.0.1:1" /* nothing listens: every call is a dial failure */
#define BUDGET 300u

/* helloworld as the registry describes it: two endpoints, one a two-word command */
static const char hello_json[] =
    "{\"name\":\"helloworld\",\"version\":\"latest\",\"endpoints\":["
    "{\"name\":\"Helloworld.Call\",\"request\":{\"name\":\"Request\",\"type\":\"Request\","
    "\"values\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"loud\",\"type\":\"bool\"},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":["
    "{\"name\":\"max_count\",\"type\":\"int64\"}]}]}},"
    "{\"name\":\"Stream.Publish\",\"request\":{\"name\":\"R\",\"type\":\"R\",\"values\":[]}}]}";

struct fixture {
    char dir[64];
    struct mc_cli cli;
};

/* ---- helpers ------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A cache file as schema_cache.c writes it: field is "service" or "services". */
static void cache_file(struct fixture *fx, const char *name, const char *field,
                       const char *json)
{
    char path[256], text[4096];
    snprintf(path, sizeof(path), "%s/cache/local/micro/%s.json", fx->dir, name);
    snprintf(text, sizeof(text), "{\"address\":\"%s\",\"fetched\":%lld,\"%s\":%s}",
             fx->cli.address, (long long)time(NULL), field, json);
    write_file(path, text);
}

static void canned_registry(struct fixture *fx)
{
    cache_file(fx, ".services", "services", "[\"helloworld\",\"registry\",\"store\"]");
    cache_file(fx, "helloworld", "service", hello_json);
}

static void fixture_address(struct fixture *fx, const char *address)
{
    snprintf(fx->cli.address, sizeof(fx->cli.address), "%s", address);
    mc_schema_cache_free(fx->cli.schemas);
    fx->cli.schemas = mc_schema_cache_new(fx->dir, "local", address);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char path[128], err[256];

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_complete.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->cli.out = stdout;
    fx->cli.err = stderr;
    snprintf(fx->cli.env, sizeof(fx->cli.env), "local");
    snprintf(fx->cli.namespace_, sizeof(fx->cli.namespace_), "micro");
    snprintf(path, sizeof(path), "%s/config.json", fx->dir);
    assert_int_equal(mc_userconf_open(&fx->cli.conf, path, err, sizeof(err)), 0);
    assert_int_equal(mc_userconf_env_add(fx->cli.conf, "staging", "10.0.0.1:8081", err,
                                         sizeof(err)), 0);
    fixture_address(fx, DEAD_ADDR);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    mc_cli_close(&fx->cli);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* Completes the words (the last one partial) and returns the candidates as
 * "value|description" lines, joined with ' ' (static buffer). */
static struct mc_completions last;
static const char *complete(struct mc_cli *cli, unsigned budget, int n, ...)
{
    static char buf[8192];
    const char *words[16];
    va_list ap;

    va_start(ap, n);
    for (int i = 0; i < n; i++)
        words[i] = va_arg(ap, const char *);
    va_end(ap);
    mc_completions_release(&last);
    assert_int_equal(mc_complete(cli, n, words, budget, &last), 0);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < last.n && o < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s|%s", i ? " " : "",
                              last.v[i].value,
                              last.v[i].description ? last.v[i].description : "");
    return buf;
}

static bool has(const char *value)
{
    for (size_t i = 0; i < last.n; i++)
        if (strcmp(last.v[i].value, value) == 0)
            return true;
    return false;
}

/* ---- the command table alone ---------------------------------------------------- */

static void test_builtins(void **state)
{
    (void)state;
    complete(NULL, BUDGET, 1, "");
    assert_true(has("store") && has("call") && has("env") && has("completion"));
    assert_false(has("__complete") || has("__completeNoDesc") || has("help"));
    assert_string_equal(last.v[0].value, "auth"); /* table order */
    assert_int_equal(last.directive, MC_COMP_NOFILE);
    assert_int_equal(last.partial, 0);

    assert_string_equal(complete(NULL, BUDGET, 1, "st"),
                        "status|Get the status of services store|Commands for accessing the "
                        "store stream|Create a service stream e.g. micro stream foo Bar.Baz "
                        "'{\"key\": \"value\"}'");
    assert_string_equal(complete(NULL, BUDGET, 2, "store", "re"),
                        "read|read a record from the store restore|restore a store snapshot");
    assert_string_equal(complete(NULL, BUDGET, 2, "completion", ""),
                        "bash|Generate the autocompletion script for bash "
                        "zsh|Generate the autocompletion script for zsh");
    complete(NULL, BUDGET, 2, "nosuchthing", "");
    assert_int_equal(last.n, 0);
}

static void test_builtin_flags(void **state)
{
    (void)state;
    complete(NULL, BUDGET, 3, "store", "read", "--");
    assert_true(has("--table=") && has("--prefix") && has("--help"));
    assert_int_equal(last.directive, MC_COMP_NOFILE); /* bools need a space after them */
    assert_string_equal(complete(NULL, BUDGET, 3, "store", "read", "--ta"),
                        "--table=|table to write to"); /* upstream's usage text */
    assert_int_equal(last.directive, MC_COMP_NOFILE | MC_COMP_NOSPACE);
    /* flags anywhere: after an argument, and a value word skipped */
    assert_string_equal(complete(NULL, BUDGET, 5, "store", "read", "-t", "x", "--pre"),
                        "--prefix|read prefix");
    /* a bool flag's value after '=' */
    assert_string_equal(complete(NULL, BUDGET, 3, "store", "read", "--prefix="),
                        "--prefix=true| --prefix=false|");
    /* global flags before the command, and the command after them */
    assert_string_equal(complete(NULL, BUDGET, 1, "--na"),
                        "--namespace=|Set the namespace to operate in instead of the "
                        "environment's current one");
    assert_string_equal(complete(NULL, BUDGET, 4, "--namespace", "foo", "-e", ""), "");
    complete(NULL, BUDGET, 4, "--namespace", "foo", "--keep-going", "sto");
    assert_true(has("store") && last.n == 1);
}

static void test_files_where_the_table_has_no_completer(void **state)
{
    (void)state;
    complete(NULL, BUDGET, 2, "run", "");
    assert_int_equal(last.directive, MC_COMP_DEFAULT);
    complete(NULL, BUDGET, 4, "store", "read", "--table", "");
    assert_int_equal(last.directive, MC_COMP_DEFAULT); /* a flag value we do not know */
    complete(NULL, BUDGET, 2, "server", "--");
    assert_int_equal(last.directive, MC_COMP_DEFAULT); /* raw words: its own parser */
    assert_int_equal(last.n, 0);
    complete(NULL, BUDGET, 3, "env", "get", "");
    assert_int_equal(last.directive, MC_COMP_NOFILE); /* takes no argument */
    complete(NULL, BUDGET, 2, "help", "ser");
    assert_true(has("server") && has("services") && last.n == 2);
}

/* ---- with a session: environments and the canned registry ---------------------- */

static void test_environments(void **state)
{
    struct fixture *fx = *state;

    assert_string_equal(complete(&fx->cli, BUDGET, 3, "env", "set", ""),
                        "local|127.0.0.1:8081 platform|proxy.m3o.com staging|10.0.0.1:8081");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "env", "del", "st"),
                        "staging|10.0.0.1:8081");
    assert_string_equal(complete(&fx->cli, BUDGET, 1, "--env=l"), "--env=local|127.0.0.1:8081");
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "-e", "p"), "platform|proxy.m3o.com");
}

static void test_services_from_the_cache(void **state)
{
    struct fixture *fx = *state;

    canned_registry(fx);
    assert_string_equal(complete(&fx->cli, BUDGET, 1, "he"), "helloworld|service");
    assert_int_equal(last.partial, 0);
    /* "store" is a builtin too: listed once, as the builtin */
    complete(&fx->cli, BUDGET, 1, "");
    assert_true(has("helloworld") && has("registry"));
    assert_string_equal(last.v[last.n - 2].value, "helloworld"); /* after the builtins */
    size_t stores = 0;
    for (size_t i = 0; i < last.n; i++)
        stores += strcmp(last.v[i].value, "store") == 0;
    assert_int_equal(stores, 1);
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "get", "service", "hel"),
                        "helloworld|service");
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "call", "h"), "helloworld|service");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "call", "helloworld", ""),
                        "Helloworld.Call|endpoint Stream.Publish|endpoint");
    assert_string_equal(complete(&fx->cli, BUDGET, 4, "call", "helloworld", "x", ""), "");
}

static void test_endpoint_words(void **state)
{
    struct fixture *fx = *state;

    canned_registry(fx);
    /* as the service's help lists them: "call", and "stream publish" in two words */
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", ""),
                        "call|Helloworld.Call stream|");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "helloworld", "stream", ""),
                        "publish|Stream.Publish");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "helloworld", "call", ""), "");
}

static void test_request_fields(void **state)
{
    struct fixture *fx = *state;

    canned_registry(fx);
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--na"), "--name=|string");
    assert_int_equal(last.directive, MC_COMP_NOFILE | MC_COMP_NOSPACE);
    /* the bare alias is <Alias>.Call; the explicit command names the same endpoint */
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "helloworld", "call", "--"),
                        "--name=|string --loud=|bool --options_max_count=|int64");
    /* '_' is the canonical separator; a partial written with '-' keeps '-' */
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--options-"),
                        "--options-max-count=|int64");
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--options_m"),
                        "--options_max_count=|int64");
    /* bools: after '=' and as the next word */
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--loud="),
                        "--loud=true| --loud=false|");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "helloworld", "--loud", "f"), "false|");
    /* other values are the user's: nothing offered */
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--name="), "");
    /* flags before the endpoint words are not arguments */
    assert_string_equal(complete(&fx->cli, BUDGET, 4, "helloworld", "--name", "x", "--lo"),
                        "--loud=|bool");
    /* an endpoint without fields, and one that does not exist */
    assert_string_equal(complete(&fx->cli, BUDGET, 4, "helloworld", "stream", "publish", "--"),
                        "");
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "helloworld", "nope", "--"), "");
}

/* A service whose request has enum fields: one of a type the client knows from
 * its protos (auth's Access), nested, and one of a type it cannot know. */
static const char rules_json[] =
    "{\"name\":\"guard\",\"version\":\"latest\",\"endpoints\":["
    "{\"name\":\"Guard.Create\",\"request\":{\"name\":\"CreateRequest\","
    "\"type\":\"CreateRequest\",\"values\":["
    "{\"name\":\"rule\",\"type\":\"Rule\",\"values\":["
    "{\"name\":\"access\",\"type\":\"Access\"},{\"name\":\"id\",\"type\":\"string\"}]},"
    "{\"name\":\"kind\",\"type\":\"EventType\"},"
    "{\"name\":\"color\",\"type\":\"Color\"}]}}]}";

static void test_enum_values(void **state)
{
    struct fixture *fx = *state;

    cache_file(fx, "guard", "service", rules_json);
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "guard", "create", "--rule_access="),
                        "--rule_access=UNKNOWN|Access --rule_access=GRANTED|Access "
                        "--rule_access=DENIED|Access");
    assert_int_equal(last.directive, MC_COMP_NOFILE);
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "guard", "create", "--rule-access=G"),
                        "--rule-access=GRANTED|Access");
    /* as the next word */
    assert_string_equal(complete(&fx->cli, BUDGET, 4, "guard", "create", "--rule_access", "D"),
                        "DENIED|Access");
    /* registry's and router's EventType have the same values: each listed once */
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "guard", "create", "--kind="),
                        "--kind=Create|EventType --kind=Delete|EventType "
                        "--kind=Update|EventType");
    /* an enum the schema names but no proto of ours defines: nothing to offer */
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "guard", "create", "--color="), "");
    assert_string_equal(complete(&fx->cli, BUDGET, 4, "guard", "create", "--color", ""), "");
    /* a string field next to them offers nothing either */
    assert_string_equal(complete(&fx->cli, BUDGET, 3, "guard", "create", "--rule_id="), "");
}

/* ---- the budget ---------------------------------------------------------------- */

static void test_dead_server_answers_from_the_table(void **state)
{
    struct fixture *fx = *state;

    uint64_t t0 = mc_now_ms();
    assert_string_equal(complete(&fx->cli, BUDGET, 1, "he"), "");
    assert_int_equal(last.partial, 1);
    complete(&fx->cli, BUDGET, 1, "st");
    assert_true(has("store") && has("status") && last.partial == 1);
    assert_string_equal(complete(&fx->cli, BUDGET, 2, "helloworld", "--"), "");
    assert_true(mc_now_ms() - t0 < 3 * BUDGET);
    assert_int_equal(fx->cli.deadline_ms, 0); /* the session's deadline is restored */
}

static void test_silent_server_costs_the_budget(void **state)
{
    struct fixture *fx = *state;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    char addr[64];

    /* the kernel completes the handshake; nothing ever reads or answers */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
    fixture_address(fx, addr);

    uint64_t t0 = mc_now_ms();
    complete(&fx->cli, 200, 1, "he");
    uint64_t spent = mc_now_ms() - t0;
    assert_int_equal(last.partial, 1);
    assert_int_equal(last.n, 0);
    assert_true(spent >= 150 && spent < 1000);
    /* the registry lookup of a dynamic command after it: the same bound */
    t0 = mc_now_ms();
    complete(&fx->cli, 200, 2, "helloworld", "--");
    assert_true(mc_now_ms() - t0 < 1000);
    close(fd);
}

static void test_budget_zero_is_the_cache_alone(void **state)
{
    struct fixture *fx = *state;

    canned_registry(fx);
    assert_string_equal(complete(&fx->cli, 0, 2, "helloworld", "--na"), "--name=|string");
    assert_int_equal(last.partial, 0);
    assert_string_equal(complete(&fx->cli, 0, 1, "reg"), "registry|service");
    /* not cached: no call is made, the answer says so */
    assert_string_equal(complete(&fx->cli, 0, 2, "registry", ""), "");
    assert_int_equal(last.partial, 1);
    /* a caller's own deadline is kept afterwards */
    fx->cli.deadline_ms = 12345;
    complete(&fx->cli, 0, 1, "x");
    assert_int_equal(fx->cli.deadline_ms, 12345);
    fx->cli.deadline_ms = 0;
}

static void test_release(void **state)
{
    (void)state;
    struct mc_completions c;
    const char *w[] = { "" };
    assert_int_equal(mc_complete(NULL, 1, w, 0, &c), 0);
    assert_true(c.n > 0);
    mc_completions_release(&c);
    assert_int_equal(c.n, 0);
    assert_null(c.v);
    mc_completions_release(&c); /* twice is harmless */
    mc_completions_release(NULL);
    assert_int_equal(mc_complete(NULL, 0, w, 0, &c), 0); /* no words: the first one */
    assert_true(c.n > 0);
    mc_completions_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_builtin_flags),
        cmocka_unit_test(test_files_where_the_table_has_no_completer),
        cmocka_unit_test_setup_teardown(test_environments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_services_from_the_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_server_answers_from_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_server_costs_the_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_zero_is_the_cache_alone, setup, teardown),
        cmocka_unit_test(test_release),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mc_completions_release(&last);
    return rc;
}
