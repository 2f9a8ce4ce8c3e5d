/* Unit tests for client/cli_call: mc_cli_fail's messages and exit codes
 * (spec §3.8, upstream's CliError), and the failures mc_cli_call makes
 * before any I/O (malformed endpoints, bad --metadata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "mc_buf.h"
#include "mc_error.h"

/* The session helper's mc_cli_token (cli.c) is not linked here. */
static const char *test_token;
const char *mc_cli_token(struct mc_cli *cli)
{
    return test_token;
}

struct fixture {
    struct mc_cli cli;
    char *errbuf;
    size_t errlen;
    struct mc_cli_failure f;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    fx->cli.err = open_memstream(&fx->errbuf, &fx->errlen);
    fx->cli.out = fx->cli.err;
    snprintf(fx->cli.address, sizeof(fx->cli.address), "127.0.0.1:8081");
    snprintf(fx->cli.namespace_, sizeof(fx->cli.namespace_), "micro");
    mc_cli_failure_init(&fx->f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    fclose(fx->cli.err);
    free(fx->errbuf);
    mc_cli_failure_release(&fx->f);
    assert_null(fx->cli.tx); /* nothing here gets as far as the transport */
    free(fx);
    return 0;
}

/* mc_cli_fail's output and exit code for the failure in fx. */
static void expect_fail(struct fixture *fx, const char *text, int code)
{
    int rc = mc_cli_fail(&fx->cli, &fx->f);

    fflush(fx->cli.err);
    assert_string_equal(fx->errbuf ? fx->errbuf : "", text);
    assert_int_equal(rc, code);
    fclose(fx->cli.err); /* a fresh stream: rewinding one keeps the old bytes */
    free(fx->errbuf);
    fx->errbuf = NULL;
    fx->cli.err = fx->cli.out = open_memstream(&fx->errbuf, &fx->errlen);
}

static void micro_error(struct fixture *fx, int code, const char *detail)
{
    mc_error_release(&fx->f.error);
    mc_error_set(&fx->f.error, "go.micro.client", code, "%s", detail);
    fx->f.kind = MC_CLI_MICRO_ERROR;
}

static void test_ok(void **state)
{
    struct fixture *fx = *state;

    expect_fail(fx, "", 0);
}

static void test_dial(void **state)
{
    struct fixture *fx = *state;

    fx->f.kind = MC_CLI_DIAL;
    fx->f.error.detail = strdup("Failed to connect to 127.0.0.1 port 8081: Connection refused");
    expect_fail(fx, "Failed to connect to micro server at 127.0.0.1:8081\n", 4);
}

static void test_timeout_and_unauthorized(void **state)
{
    struct fixture *fx = *state;

    micro_error(fx, 408, "context deadline exceeded");
    expect_fail(fx, "Request timed out\n", 1);
    micro_error(fx, 401, "an account is required");
    expect_fail(fx, "Not authorized to perform this request\n", 2);
}

/* The server's texts (shared/mc_error and the proxy) as upstream maps them. */
static void test_route_not_found(void **state)
{
    struct fixture *fx = *state;

    micro_error(fx, 500, "service helloworld: route not found");
    expect_fail(fx, "Service \"helloworld\" not found\n", 4);
    micro_error(fx, 500, "service go.micro.x: route not found");
    expect_fail(fx, "Service \"go.micro.x\" not found\n", 4);
    /* the text wins over the code, as upstream checks it first */
    micro_error(fx, 408, "service a: route not found");
    expect_fail(fx, "Service \"a\" not found\n", 4);
}

static void test_unknown_service(void **state)
{
    struct fixture *fx = *state;
    struct mc_buf b;

    mc_buf_init(&b, 1024);
    assert_int_equal(mc_error_unknown_service(&b, "store", NULL), 0);
    micro_error(fx, 500, mc_buf_cstr(&b));
    expect_fail(fx, "Service \"store\" not found\n", 5);
    mc_buf_reset(&b);
    assert_int_equal(mc_error_unknown_service(&b, "store.Store", "Nope"), 0);
    micro_error(fx, 500, mc_buf_cstr(&b));
    expect_fail(fx, "Service method \"store.Store.Nope\" not found\n", 5);
    mc_buf_release(&b);
}

static void test_malformed_method(void **state)
{
    struct fixture *fx = *state;

    micro_error(fx, 500, "malformed method name: \"Read\"");
    expect_fail(fx, "Method name \"Read\" invalid format. Expecting service.endpoint\n", 3);
    /* upstream's pattern is \w+: a dotted name falls through to the detail */
    micro_error(fx, 500, "malformed method name: \"a.b.c\"");
    expect_fail(fx, "Malformed method name: \"a.b.c\"\n", 127);
}

static void test_other_micro_errors(void **state)
{
    struct fixture *fx = *state;

    micro_error(fx, 404, "service not found");
    expect_fail(fx, "Service not found\n", 127);
    micro_error(fx, 403, "Forbidden call made to store:Store.Read by jane");
    expect_fail(fx, "Forbidden call made to store:Store.Read by jane\n", 127);
    micro_error(fx, 500, "");
    expect_fail(fx, "\n", 127);
}

static void test_local_errors(void **state)
{
    struct fixture *fx = *state;

    fx->f.kind = MC_CLI_LOCAL;
    fx->f.error.detail = strdup("transport error: connection reset");
    expect_fail(fx, "Transport error: connection reset\n", 128);
}

/* An endpoint that is not Handler.Method never leaves the client. */
static void test_call_malformed_endpoint(void **state)
{
    struct fixture *fx = *state;
    char *rsp = (char *)"untouched";

    assert_int_equal(mc_cli_call(&fx->cli, "store", "Read", NULL, NULL, &rsp, &fx->f), -1);
    assert_null(rsp);
    assert_int_equal(fx->f.kind, MC_CLI_MICRO_ERROR);
    assert_string_equal(fx->f.error.detail, "malformed method name: \"Read\"");
    expect_fail(fx, "Method name \"Read\" invalid format. Expecting service.endpoint\n", 3);
    mc_cli_failure_release(&fx->f);
    assert_int_equal(mc_cli_call(&fx->cli, "store", "Store.Read.X", NULL, NULL, &rsp, &fx->f),
                     -1);
    assert_string_equal(fx->f.error.detail, "malformed method name: \"Store.Read.X\"");
    mc_cli_failure_release(&fx->f);
    assert_int_equal(mc_cli_call(&fx->cli, "store", ".Read", NULL, NULL, &rsp, &fx->f), -1);
    assert_int_equal(fx->f.kind, MC_CLI_MICRO_ERROR);
}

static void expect_bad_metadata(struct fixture *fx, const char *kv, const char *detail)
{
    const char *md[] = { "good=1", kv };
    struct mc_call_opts o = { .metadata = md, .metadata_count = 2 };
    char *rsp;

    mc_cli_failure_release(&fx->f);
    assert_int_equal(mc_cli_call(&fx->cli, "store", "Store.Read", "{}", &o, &rsp, &fx->f), -1);
    assert_int_equal(fx->f.kind, MC_CLI_LOCAL);
    assert_string_equal(fx->f.error.detail, detail);
}

static void test_call_bad_metadata(void **state)
{
    struct fixture *fx = *state;

    expect_bad_metadata(fx, "novalue", "invalid metadata \"novalue\": expected key=value");
    expect_bad_metadata(fx, "=x", "invalid metadata \"=x\": expected key=value");
    expect_bad_metadata(fx, "Foo Bar=1", "invalid metadata key \"Foo Bar\"");
    expect_bad_metadata(fx, "Content-Type=text/plain", "metadata key \"content-type\" is reserved");
    expect_bad_metadata(fx, "grpc-timeout=1S", "metadata key \"grpc-timeout\" is reserved");
    expect_bad_metadata(fx, "Timeout=1", "metadata key \"timeout\" is reserved");
    expect_bad_metadata(fx, "te=trailers", "metadata key \"te\" is reserved");
    expect_bad_metadata(fx, "x-bin=AAAA", "metadata key \"x-bin\" is reserved");
    expect_bad_metadata(fx, "k=caf\xc3\xa9",
                        "invalid metadata value for \"k\": printable ASCII only");
    expect_bad_metadata(fx, "k=a\nb", "invalid metadata value for \"k\": printable ASCII only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_ok),
        T(test_dial),
        T(test_timeout_and_unauthorized),
        T(test_route_not_found),
        T(test_unknown_service),
        T(test_malformed_method),
        T(test_other_micro_errors),
        T(test_local_errors),
        T(test_call_malformed_endpoint),
        T(test_call_bad_metadata),
#undef T
    };
    return cmocka_run_group_tests_name("cli_fail", tests, NULL, NULL);
}
