/* Unit tests for mc_rpc (routing, invoke in both codecs, errors, counters) and mc_debug. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug.pb-c.h"
#include "errors.pb-c.h"
#include "mc_log.h"
#include "mc_rpc.h"

struct fixture {
    struct mc_rpc_server *srv;
    struct mc_arena arena;
    struct mc_error err;
    struct mc_buf out;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->srv = mc_rpc_server_new();
    assert_non_null(mc_rpc_server_add(f->srv, "registry"));
    assert_non_null(mc_rpc_server_add(f->srv, "go.micro.store"));
    mc_arena_init(&f->arena);
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 1 << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mc_rpc_server_free(f->srv);
    mc_arena_release(&f->arena);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    free(f);
    return 0;
}

static int invoke(struct fixture *f, const char *path, enum mc_codec codec, const char *req,
                  size_t len)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_ctx ctx = { .arena = &f->arena, .err = &f->err };
    int rc = mc_rpc_route(f->srv, path, &m, NULL, &f->err);
    if (rc < 0)
        return rc;
    mc_buf_reset(&f->out);
    return mc_rpc_invoke(m, &ctx, codec, (const uint8_t *)req, len, &f->out);
}

static void test_health_in_json_and_proto(void **state)
{
    struct fixture *f = *state;
    Debug__HealthResponse *h;

    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_JSON, "{}", 2), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"status\":\"ok\"}");
    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_PROTO, "", 0), MC_OK);
    h = debug__health_response__unpack(NULL, f->out.len, (const uint8_t *)f->out.data);
    assert_non_null(h);
    assert_string_equal(h->status, "ok");
    debug__health_response__free_unpacked(h, NULL);
    /* a dotted service name: everything before the last '.' is the service */
    assert_int_equal(invoke(f, "/go.micro.store.Debug/Health", MC_CODEC_JSON, "", 0), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"status\":\"ok\"}");
}

static void test_route_errors(void **state)
{
    struct fixture *f = *state;
    const struct mc_rpc_method *m;
    char svc[256];

    assert_int_equal(mc_rpc_route(f->srv, "/nosuch.Foo/Bar", &m, svc, &f->err), MC_ENOTFOUND);
    assert_string_equal(svc, "nosuch");
    assert_int_equal(mc_rpc_route(f->srv, "/registry.Nope/Call", &m, svc, &f->err),
                     MC_EUNSUPPORTED);
    assert_int_equal(f->err.code, 501);
    assert_string_equal(f->err.detail, "unknown service Nope");
    assert_int_equal(mc_rpc_route(f->srv, "/registry.Debug/Nope", &m, svc, &f->err),
                     MC_EUNSUPPORTED);
    assert_string_equal(f->err.detail, "unknown service Debug.Nope");
    assert_int_equal(mc_rpc_route(f->srv, "registry.Debug/Health", &m, svc, &f->err), MC_EINVAL);
    assert_int_equal(mc_rpc_route(f->srv, "/registry/Health", &m, svc, &f->err), MC_EINVAL);
    assert_int_equal(mc_rpc_route(f->srv, "/registry.Debug/Health/x", &m, svc, &f->err),
                     MC_EINVAL);
    assert_int_equal(mc_rpc_route(f->srv, "/.Debug/Health", &m, svc, &f->err), MC_EINVAL);
    assert_int_equal(mc_rpc_route(f->srv, "/registry.Debug/Health", &m, svc, &f->err), MC_OK);
    assert_string_equal(mc_rpc_method_endpoint(m), "Debug.Health");
    assert_string_equal(mc_rpc_service_name(mc_rpc_method_service(m)), "registry");
}

static void test_bad_requests_are_400_and_counted(void **state)
{
    struct fixture *f = *state;
    struct mc_rpc_service *svc = mc_rpc_server_find(f->srv, "registry");
    uint64_t errors = mc_rpc_service_errors(svc);

    assert_int_equal(invoke(f, "/registry.Debug/Log", MC_CODEC_JSON, "{\"count\":\"x\"}", 13),
                     MC_EINVAL);
    assert_int_equal(f->err.code, 400);
    assert_string_equal(f->err.id, "registry");
    assert_non_null(strstr(f->err.detail, "cannot decode Debug.Log request: field count"));
    assert_int_equal(invoke(f, "/registry.Debug/Log", MC_CODEC_PROTO, "\xff\xff\xff", 3),
                     MC_EINVAL);
    assert_int_equal(f->err.code, 400);
    assert_int_equal(invoke(f, "/registry.Debug/Log", MC_CODEC_BYTES, "", 0), MC_EUNSUPPORTED);
    assert_int_equal(mc_rpc_service_errors(svc), errors + 3);
}

static int failing(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    if (arg)
        mc_error_not_found(ctx->err, "registry.Registry.GetService", "service not found");
    return MC_ENOTFOUND;
}

static void test_handler_errors_propagate(void **state)
{
    struct fixture *f = *state;
    struct mc_rpc_service *svc = mc_rpc_server_add(f->srv, "custom");
    assert_null(mc_rpc_server_add(f->srv, "custom"));
    assert_int_equal(mc_rpc_service_handle(svc, &debug__debug__descriptor, "Health", failing,
                                           NULL), MC_EEXIST);
    assert_int_equal(mc_rpc_service_handle(svc, &debug__debug__descriptor, "Nope", failing,
                                           NULL), MC_ENOTFOUND);
    /* a second service bound to the same descriptor under another name */
    svc = mc_rpc_server_add(f->srv, "other");
    mc_rpc_server_free(f->srv);
    f->srv = mc_rpc_server_new();
    svc = mc_rpc_server_add(f->srv, "x");
    (void)svc;
    assert_int_equal(invoke(f, "/x.Debug/Health", MC_CODEC_JSON, "", 0), MC_OK);
}

/* ---- group commit: a durability provider with one batch and a chosen outcome ---- */

struct batches {
    int open;          /* 1 while a batch is open */
    int outcome;       /* what committing it gives */
    int commits, refs;
};

static void *b_pending(void *arg)
{
    struct batches *b = arg;
    if (!b->open)
        return NULL;
    b->refs++;
    return b;
}

static int b_commit(void *arg, void *batch)
{
    struct batches *b = arg;
    assert_ptr_equal(batch, b);
    if (b->open) {
        b->open = 0;
        b->commits++;
    }
    return b->outcome;
}

static void b_release(void *arg, void *batch)
{
    (void)batch;
    ((struct batches *)arg)->refs--;
}

static const struct mc_rpc_durability fake_durability = { b_pending, b_commit, b_release };

static void test_answers_wait_for_open_writes(void **state)
{
    struct fixture *f = *state;
    struct batches b = { 0 };
    const struct mc_rpc_method *m;
    struct mc_rpc_ctx ctx = { .arena = &f->arena, .err = &f->err };
    void *held;

    mc_rpc_server_set_durability(f->srv, &fake_durability, &b);
    /* nothing open: answered as is, nothing committed */
    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_JSON, "", 0), MC_OK);
    assert_int_equal(b.commits, 0);
    /* a batch open and a good commit: the answer goes out after one commit */
    b.open = 1;
    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_JSON, "", 0), MC_OK);
    assert_int_equal(b.commits, 1);
    assert_int_equal(b.refs, 0);
    /* a failed commit turns the answer into a 500 saying why */
    b.open = 1;
    b.outcome = MC_ENOSPC;
    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_JSON, "", 0), MC_ENOSPC);
    assert_int_equal(f->err.code, 500);
    assert_string_equal(f->err.id, "registry");
    assert_non_null(strstr(f->err.detail, "cannot store the data: no space left on the disk"));
    mc_error_release(&f->err);
    mc_error_init(&f->err);
    /* a frontend that holds answers: invoke leaves the batch to it */
    b.open = 1;
    b.outcome = MC_OK;
    ctx.hold_answer = true;
    assert_int_equal(mc_rpc_route(f->srv, "/registry.Debug/Health", &m, NULL, &f->err), MC_OK);
    mc_buf_reset(&f->out);
    assert_int_equal(mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)"", 0, &f->out),
                     MC_OK);
    assert_int_equal(b.commits, 2);
    held = mc_rpc_server_pending_writes(f->srv);
    assert_ptr_equal(held, &b);
    assert_int_equal(mc_rpc_server_settle(f->srv, held, "registry", &f->err), MC_OK);
    assert_int_equal(b.commits, 3);
    assert_int_equal(b.refs, 0);
    assert_null(mc_rpc_server_pending_writes(f->srv));
    assert_int_equal(mc_rpc_server_settle(f->srv, NULL, "registry", &f->err), MC_OK);
}

static void test_stats_and_log(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(invoke(f, "/registry.Debug/Health", MC_CODEC_JSON, "", 0), MC_OK);
    assert_int_equal(invoke(f, "/registry.Debug/Stats", MC_CODEC_JSON, "{}", 2), MC_OK);
    /* two requests so far: Health, then Stats itself */
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"requests\":\"2\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"errors\":\"0\""));
    assert_null(strstr(mc_buf_cstr(&f->out), "\"memory\":\"0\""));
    mc_log_set_level(MC_LOG_INFO);
    mc_log_info("a line for Debug.Log");
    assert_int_equal(invoke(f, "/registry.Debug/Log", MC_CODEC_JSON, "{\"count\":1}", 11), MC_OK);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "level=info a line for Debug.Log"));
    assert_int_equal(invoke(f, "/registry.Debug/Trace", MC_CODEC_JSON, "{\"id\":\"t\"}", 10),
                     MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"spans\":[]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_in_json_and_proto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answers_wait_for_open_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_are_400_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_errors_propagate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_and_log, setup, teardown),
    };
    return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}
