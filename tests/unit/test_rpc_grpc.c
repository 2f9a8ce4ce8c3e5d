/* mc_rpc_grpc over real loopback sockets: our gRPC client calls an RPC table served by
 * mc_rpc_grpc (in a thread with its own loop), in both codecs, and the error paths come
 * back as upstream's statuses (error JSON message + errors.Error detail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug.pb-c.h"
#include "mc_grpc_client.h"
#include "mc_rpc_grpc.h"

struct server {
    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    struct mc_rpc_grpc *g;
    pthread_t thread;
    atomic_bool stop;
    char addr[64];
};

static bool fallback_taken;

static bool fallback(struct mc_grpc_scall *call, const char *service, void *arg)
{
    if (strcmp(service, "forwarded") != 0)
        return false;
    fallback_taken = true;
    mc_grpc_scall_finish(call, MC_GRPC_UNAVAILABLE, "taken by the fallback", NULL, 0, NULL);
    return true;
}

static const struct mc_rpc_durability durability;

static void *serve(void *arg)
{
    struct server *s = arg;
    while (!atomic_load(&s->stop))
        mc_loop_run_once(s->loop, 20);
    return NULL;
}

static int setup(void **state)
{
    struct server *s = calloc(1, sizeof(*s));
    char err[256];

    s->loop = mc_loop_new();
    s->rpc = mc_rpc_server_new();
    mc_rpc_server_add(s->rpc, "registry");
    mc_rpc_server_add(s->rpc, "go.micro.auth");
    /* inert until a test opens a batch (set before the loop thread starts) */
    mc_rpc_server_set_durability(s->rpc, &durability, NULL);
    s->g = mc_rpc_grpc_new(s->loop, s->rpc, NULL);
    mc_rpc_grpc_set_fallback(s->g, fallback, NULL);
    assert_int_equal(mc_rpc_grpc_listen(s->g, "127.0.0.1:0", err, sizeof(err)), MC_OK);
    snprintf(s->addr, sizeof(s->addr), "%s", mc_rpc_grpc_addr(s->g));
    pthread_create(&s->thread, NULL, serve, s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    mc_rpc_grpc_free(s->g);
    mc_loop_run_once(s->loop, 0);
    mc_loop_run_once(s->loop, 0);
    mc_rpc_server_free(s->rpc);
    mc_loop_free(s->loop);
    free(s);
    return 0;
}

static void call(struct server *s, const char *path, const char *ct, const char *body, size_t len,
                 struct mc_grpc_unary_result *res)
{
    struct mc_grpc_call_opts o = { .path = path, .content_type = ct, .timeout_ms = 5000 };
    assert_int_equal(mc_grpc_unary_sync(s->addr, &o, body, len, NULL, res), MC_OK);
}

static void test_health_proto_and_json(void **state)
{
    struct server *s = *state;
    struct mc_grpc_unary_result res;
    Debug__HealthResponse *h;

    call(s, "/registry.Debug/Health", "application/grpc+proto", "", 0, &res);
    assert_int_equal(res.code, MC_GRPC_OK);
    h = debug__health_response__unpack(NULL, res.response_len, (const uint8_t *)res.response);
    assert_non_null(h);
    assert_string_equal(h->status, "ok");
    debug__health_response__free_unpacked(h, NULL);
    mc_grpc_unary_result_release(&res);

    call(s, "/go.micro.auth.Debug/Health", "application/grpc+json", "{}", 2, &res);
    assert_int_equal(res.code, MC_GRPC_OK);
    assert_int_equal(res.response_len, 15);
    assert_memory_equal(res.response, "{\"status\":\"ok\"}", 15);
    mc_grpc_unary_result_release(&res);
}

static void expect_micro_error(struct mc_grpc_unary_result *res, int grpc_code, int code,
                               const char *id, const char *detail)
{
    struct mc_error e;
    mc_error_init(&e);
    assert_int_equal(res->code, grpc_code);
    assert_non_null(res->details);   /* the errors.Error rides in the status details */
    assert_int_equal(mc_error_from_status_details(&e, (const uint8_t *)res->details,
                                                  res->details_len), MC_OK);
    assert_int_equal(e.code, code);
    assert_string_equal(e.id, id);
    assert_string_equal(e.detail, detail);
    mc_error_release(&e);
    /* and the message is the same error as JSON */
    assert_int_equal(mc_error_from_json(&e, res->message, strlen(res->message)), MC_OK);
    assert_int_equal(e.code, code);
    mc_error_release(&e);
}

/* ---- group commit: answers held until the round's commit ---- */

/* One batch, opened by the test and committed by the server's loop thread. */
static atomic_int batch_open, batch_outcome, batch_commits, batch_refs;

static void *b_pending(void *arg)
{
    (void)arg;
    if (!atomic_load(&batch_open))
        return NULL;
    atomic_fetch_add(&batch_refs, 1);
    return &batch_open;
}

static int b_commit(void *arg, void *batch)
{
    (void)arg;
    assert_ptr_equal(batch, &batch_open);
    if (atomic_exchange(&batch_open, 0))
        atomic_fetch_add(&batch_commits, 1);
    return atomic_load(&batch_outcome);
}

static void b_release(void *arg, void *batch)
{
    (void)arg;
    (void)batch;
    atomic_fetch_sub(&batch_refs, 1);
}

static const struct mc_rpc_durability durability = { b_pending, b_commit, b_release };

static void test_answers_held_until_the_commit(void **state)
{
    struct server *s = *state;
    struct mc_grpc_unary_result res;

    atomic_store(&batch_commits, 0);
    call(s, "/registry.Debug/Health", "application/grpc+json", "{}", 2, &res);
    assert_int_equal(res.code, MC_GRPC_OK);          /* nothing open: no commit */
    assert_int_equal(atomic_load(&batch_commits), 0);
    mc_grpc_unary_result_release(&res);

    atomic_store(&batch_outcome, MC_OK);
    atomic_store(&batch_open, 1);
    call(s, "/registry.Debug/Health", "application/grpc+json", "{}", 2, &res);
    assert_int_equal(res.code, MC_GRPC_OK);          /* sent once the batch committed */
    assert_memory_equal(res.response, "{\"status\":\"ok\"}", 15);
    assert_int_equal(atomic_load(&batch_commits), 1);
    assert_int_equal(atomic_load(&batch_refs), 0);
    mc_grpc_unary_result_release(&res);

    atomic_store(&batch_outcome, MC_ENOSPC);
    atomic_store(&batch_open, 1);
    call(s, "/registry.Debug/Health", "application/grpc+json", "{}", 2, &res);
    expect_micro_error(&res, MC_GRPC_INTERNAL, 500, "registry",
                       "cannot store the data: no space left on the disk");
    assert_int_equal(atomic_load(&batch_commits), 2);
    assert_int_equal(atomic_load(&batch_refs), 0);
    mc_grpc_unary_result_release(&res);
}

static void test_route_not_found_and_fallback(void **state)
{
    struct server *s = *state;
    struct mc_grpc_unary_result res;

    call(s, "/nosuch.Foo/Bar", NULL, "", 0, &res);
    expect_micro_error(&res, MC_GRPC_INTERNAL, 500, "go.micro.client",
                       "service nosuch: route not found");
    mc_grpc_unary_result_release(&res);

    call(s, "/forwarded.Foo/Bar", NULL, "", 0, &res);
    assert_true(fallback_taken);
    assert_int_equal(res.code, MC_GRPC_UNAVAILABLE);
    assert_string_equal(res.message, "taken by the fallback");
    mc_grpc_unary_result_release(&res);
}

static void test_unknown_handler_method_and_bad_path(void **state)
{
    struct server *s = *state;
    struct mc_grpc_unary_result res;

    call(s, "/registry.Nope/Call", NULL, "", 0, &res);
    assert_int_equal(res.code, MC_GRPC_UNIMPLEMENTED);
    assert_string_equal(res.message, "unknown service Nope");
    mc_grpc_unary_result_release(&res);
    call(s, "/registry.Debug/Nope", NULL, "", 0, &res);
    assert_int_equal(res.code, MC_GRPC_UNIMPLEMENTED);
    assert_string_equal(res.message, "unknown service Debug.Nope");
    mc_grpc_unary_result_release(&res);
    call(s, "/registry", NULL, "", 0, &res);
    assert_int_equal(res.code, MC_GRPC_UNIMPLEMENTED);
    assert_string_equal(res.message, "malformed method name");
    mc_grpc_unary_result_release(&res);
}

static void test_bad_bodies_and_codecs(void **state)
{
    struct server *s = *state;
    struct mc_grpc_unary_result res;

    call(s, "/registry.Debug/Log", "application/grpc+json", "{\"count\":true}", 14, &res);
    assert_int_equal(res.code, MC_GRPC_INVALID_ARGUMENT);
    mc_grpc_unary_result_release(&res);
    call(s, "/registry.Debug/Log", "application/grpc+proto", "\x08", 1, &res);
    expect_micro_error(&res, MC_GRPC_INVALID_ARGUMENT, 400, "registry",
                       "cannot decode Debug.Log request: malformed protobuf");
    mc_grpc_unary_result_release(&res);
    call(s, "/registry.Debug/Health", "application/grpc+bytes", "", 0, &res);
    assert_int_equal(res.code, MC_GRPC_INVALID_ARGUMENT);
    mc_grpc_unary_result_release(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_proto_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_not_found_and_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_handler_method_and_bad_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bodies_and_codecs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answers_held_until_the_commit, setup, teardown),
    };
    return cmocka_run_group_tests_name("rpc_grpc", tests, NULL, NULL);
}
