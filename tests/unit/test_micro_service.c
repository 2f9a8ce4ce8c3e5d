/*
 * Unit tests for libmicro's service (micro_service.c) without a network: the
 * settings from the environment, binding handlers (errors, the endpoint
 * schemas published with the registration, subscribers listed as upstream
 * lists them), and a request dispatched through the service's rpc table
 * (mc_rpc_invoke, what the gRPC frontend calls) reaching the author's handler
 * with its metadata, request memory, and micro errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.pb-c.h"
#include "mc_arena.h"
#include "mc_schema.h"
#include "micro.h"
#include "micro_internal.h"

static void clear_env(void)
{
    unsetenv("MICRO_SERVICE_NAME");
    unsetenv("MICRO_SERVICE_VERSION");
    unsetenv("MICRO_NAMESPACE");
    unsetenv("MICRO_PROXY");
    unsetenv("MICRO_AUTH_ID");
    unsetenv("MICRO_AUTH_SECRET");
    unsetenv("MICRO_SERVICE_ADDRESS");
}

static void test_new_reads_the_environment(void **state)
{
    struct micro_service *svc;
    char long_name[300];

    (void)state;
    clear_env();
    assert_null(micro_service_new(NULL));
    assert_null(micro_service_new(""));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_null(micro_service_new(long_name));

    svc = micro_service_new("greeter");
    assert_non_null(svc);
    assert_string_equal(micro_service_name(svc), "greeter");
    assert_string_equal(micro_service_version(svc), "latest");
    assert_string_equal(micro_service_namespace(svc), "micro");
    assert_string_equal(micro_service_address(svc), "");
    assert_string_equal(svc->proxy, "127.0.0.1:8081");
    assert_string_equal(svc->listen, "127.0.0.1:0");
    assert_null(svc->auth_id);
    micro_service_free(svc);

    setenv("MICRO_SERVICE_NAME", "other", 1);
    setenv("MICRO_SERVICE_VERSION", "v2", 1);
    setenv("MICRO_NAMESPACE", "foo", 1);
    setenv("MICRO_PROXY", "127.0.0.1:9999", 1);
    setenv("MICRO_AUTH_ID", "other-v2", 1);
    setenv("MICRO_AUTH_SECRET", "s3cret", 1);
    svc = micro_service_new("greeter");
    assert_non_null(svc);
    assert_string_equal(micro_service_name(svc), "other");
    assert_string_equal(micro_service_version(svc), "v2");
    assert_string_equal(micro_service_namespace(svc), "foo");
    assert_string_equal(svc->proxy, "127.0.0.1:9999");
    assert_string_equal(svc->auth_id, "other-v2");
    assert_string_equal(svc->auth_secret, "s3cret");
    micro_service_free(svc);
    clear_env();
}

/* Config.Get as a user handler: echoes the path, the caller's metadata and
 * namespace into the value; path "missing" fails with a 404. */
static int get(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *user)
{
    const Config__GetRequest *in = (const Config__GetRequest *)req;
    Config__GetResponse *out = (Config__GetResponse *)rsp;
    Config__Value *v = micro_ctx_alloc(ctx, sizeof(*v));
    const char *who = micro_ctx_metadata(ctx, "x-user");
    int *calls = user;

    (*calls)++;
    if (strcmp(in->path, "missing") == 0)
        return micro_error_not_found(ctx, NULL, "no config at %s", in->path);
    if (strcmp(in->path, "fail") == 0)
        return MICRO_EIO;
    assert_int_equal(micro_ctx_set_metadata(ctx, "X-Trace", "t1"), MICRO_OK);
    assert_string_equal(micro_ctx_metadata(ctx, "x-trace"), "t1");
    assert_int_equal(micro_ctx_set_metadata(ctx, "bad key", "v"), MICRO_EINVAL);
    assert_int_equal(micro_ctx_set_metadata(ctx, "X-Ok", "a\r\nb"), MICRO_EINVAL);
    config__value__init(v);
    v->data = micro_ctx_printf(ctx, "%s|%s|%s|%s", in->path, who ? who : "-",
                               micro_ctx_namespace(ctx), micro_ctx_endpoint(ctx));
    v->format = micro_ctx_strdup(ctx, "text");
    out->value = v;
    return 0;
}

struct call_result {
    int rc;
    struct mc_error err;
    struct mc_buf out;
};

static void invoke(struct micro_service *svc, const char *json, const char *user,
                   struct call_result *r)
{
    const struct mc_rpc_method *m = NULL;
    struct mc_metadata md;
    struct mc_arena arena;
    struct mc_rpc_ctx ctx = { 0 };

    mc_error_init(&r->err);
    mc_buf_init(&r->out, 1 << 20);
    mc_metadata_init(&md, 0, 0);
    if (user)
        mc_metadata_set(&md, "X-User", user);
    mc_metadata_set(&md, "Micro-Namespace", "micro");
    mc_arena_init(&arena);
    ctx.arena = &arena;
    ctx.err = &r->err;
    ctx.md = &md;
    ctx.ns = "micro";
    assert_int_equal(mc_rpc_route(svc->rpc, "/greeter.Config/Get", &m, NULL, &r->err), MC_OK);
    r->rc = mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)json, strlen(json), &r->out);
    mc_arena_release(&arena);
    mc_metadata_release(&md);
}

static void call_result_release(struct call_result *r)
{
    mc_error_release(&r->err);
    mc_buf_release(&r->out);
}

static void test_handler_dispatch(void **state)
{
    struct micro_service *svc;
    struct call_result r;
    int calls = 0;

    (void)state;
    clear_env();
    svc = micro_service_new("greeter");
    assert_non_null(svc);
    assert_int_equal(micro_service_handle(svc, &config__config__descriptor, "Get", get, &calls),
                     MICRO_OK);

    invoke(svc, "{\"path\":\"a.b\"}", "ann", &r);
    assert_int_equal(r.rc, 0);
    assert_string_equal(mc_buf_cstr(&r.out),
                        "{\"value\":{\"data\":\"a.b|ann|micro|Config.Get\",\"format\":\"text\"}}");
    call_result_release(&r);

    invoke(svc, "{\"path\":\"missing\"}", NULL, &r);
    assert_true(r.rc < 0);
    assert_int_equal(r.err.code, 404);
    assert_string_equal(r.err.id, "greeter");
    assert_string_equal(r.err.detail, "no config at missing");
    assert_string_equal(r.err.status, "Not Found");
    call_result_release(&r);

    invoke(svc, "{\"path\":\"fail\"}", NULL, &r);
    assert_true(r.rc < 0);
    assert_int_equal(r.err.code, 500);
    assert_string_equal(r.err.detail, "i/o error");
    call_result_release(&r);
    assert_int_equal(calls, 3);
    micro_service_free(svc);
}

static void noop_stream(struct micro_stream *st, const ProtobufCMessage *msg, void *user)
{
    (void)msg;
    (void)user;
    micro_stream_finish(st);
}

static void noop_sub(const struct micro_message *m, void *user)
{
    (void)m;
    (void)user;
}

static enum micro_ack noop_consume(const struct micro_message *m, void *user)
{
    (void)m;
    (void)user;
    return MICRO_ACK;
}

static void tick(struct micro_service *svc, void *user)
{
    (void)svc;
    (void)user;
}

static const char *meta(const Registry__Endpoint *ep, const char *key)
{
    for (size_t i = 0; i < ep->n_metadata; i++) {
        if (strcmp(ep->metadata[i]->key, key) == 0)
            return ep->metadata[i]->value;
    }
    return NULL;
}

static void test_binding_and_schemas(void **state)
{
    static const struct micro_stream_handler sh = { .on_message = noop_stream };
    static const struct micro_stream_handler no_msg = { 0 };
    struct micro_service *svc;
    int calls = 0;

    (void)state;
    clear_env();
    svc = micro_service_new("greeter");
    assert_int_equal(micro_service_handle(svc, &config__config__descriptor, "Nope", get, NULL),
                     MICRO_ENOTFOUND);
    assert_int_equal(micro_service_handle(svc, NULL, "Get", get, NULL), MICRO_EINVAL);
    assert_int_equal(micro_service_handle(svc, &config__config__descriptor, "Get", NULL, NULL),
                     MICRO_EINVAL);
    assert_int_equal(micro_service_handle(svc, &config__config__descriptor, "Get", get, &calls),
                     MICRO_OK);
    assert_int_equal(micro_service_handle(svc, &config__config__descriptor, "Get", get, &calls),
                     MICRO_EEXIST);
    assert_int_equal(micro_service_handle_stream(svc, &config__config__descriptor, "Read",
                                                 MICRO_STREAM_SERVER, &no_msg, NULL),
                     MICRO_EINVAL);
    assert_int_equal(micro_service_handle_stream(svc, &config__config__descriptor, "Read",
                                                 (enum micro_stream_kind)9, &sh, NULL),
                     MICRO_EINVAL);
    assert_int_equal(micro_service_handle_stream(svc, &config__config__descriptor, "Read",
                                                 MICRO_STREAM_SERVER, &sh, NULL),
                     MICRO_OK);
    assert_int_equal(micro_broker_subscribe(svc, "", NULL, noop_sub, NULL), MICRO_EINVAL);
    assert_int_equal(micro_broker_subscribe(svc, "news", "q1", noop_sub, NULL), MICRO_OK);
    assert_int_equal(micro_events_consume(svc, "orders", NULL, NULL, NULL), MICRO_EINVAL);
    assert_int_equal(micro_events_consume(svc, "orders", NULL, noop_consume, NULL), MICRO_OK);
    assert_int_equal(micro_service_every(svc, 0, NULL, NULL), MICRO_EINVAL);
    for (int i = 0; i < 32; i++)
        assert_int_equal(micro_service_every(svc, 1000, tick, NULL), MICRO_OK);
    assert_int_equal(micro_service_every(svc, 1000, tick, NULL), MICRO_ETOOBIG);

    /* What the registration publishes: the methods in bind order, then subscribers. */
    assert_int_equal(svc->n_endpoints, 4);
    assert_string_equal(svc->endpoints[0]->name, "Config.Get");
    assert_null(meta(svc->endpoints[0], "stream"));
    assert_string_equal(svc->endpoints[0]->request->type, "GetRequest");
    assert_string_equal(svc->endpoints[1]->name, "Config.Read");
    assert_string_equal(meta(svc->endpoints[1], "stream"), "true");
    assert_string_equal(meta(svc->endpoints[1], "stream_kind"), "server");
    assert_string_equal(svc->endpoints[2]->name, "Func");
    assert_string_equal(meta(svc->endpoints[2], "subscriber"), "true");
    assert_string_equal(meta(svc->endpoints[2], "topic"), "news");
    assert_string_equal(svc->endpoints[2]->request->type, "Message");
    assert_string_equal(meta(svc->endpoints[3], "topic"), "orders");
    assert_string_equal(svc->endpoints[3]->request->type, "Event");
    assert_string_equal(svc->subs ? "set" : "none", "set");
    micro_service_free(svc);
}

static void test_errors_and_strerror(void **state)
{
    struct micro_error e = { 0 };

    (void)state;
    assert_string_equal(micro_strerror(MICRO_EINVAL), "invalid argument");
    assert_string_equal(micro_strerror(MICRO_ENOTFOUND), "not found");
    assert_string_equal(micro_strerror(MICRO_EREMOTE), "remote error");
    micro_error_release(&e);
    e.id = strdup("x");
    e.detail = strdup("y");
    micro_error_release(&e);
    assert_null(e.id);
    assert_null(e.detail);
    micro_error_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_reads_the_environment),
        cmocka_unit_test(test_handler_dispatch),
        cmocka_unit_test(test_binding_and_schemas),
        cmocka_unit_test(test_errors_and_strerror),
    };

    return cmocka_run_group_tests_name("micro_service", tests, NULL, NULL);
}
