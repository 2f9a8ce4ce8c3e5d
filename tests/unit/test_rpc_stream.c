/* Streams through mc_rpc and mc_rpc_grpc, our client and server on one loop: server,
 * client and bidi streams in both codecs, refusal in open, a bad message, client
 * cancellation reaching on_cancel, and the auth hook for unary calls and streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry.pb-c.h"
#include "store.pb-c.h"
#include "mc_grpc_client.h"
#include "mc_rpc_grpc.h"

struct fx {
    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    struct mc_rpc_grpc *g;
    struct mc_grpc_client *cl;
    /* what the client saw */
    char got[4096];
    int messages;
    int code;
    char message[1024];
    bool done;
    /* what the server saw */
    int cancels;
    int received;
};

static struct fx *F;   /* the handlers' view of the fixture */

/* Registry.Watch as a server stream: on the request, send three results, finish. */
static void watch_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    const Registry__WatchRequest *req = (const Registry__WatchRequest *)msg;
    Registry__Service svc = REGISTRY__SERVICE__INIT;
    Registry__Result r = REGISTRY__RESULT__INIT;
    static const char *const actions[] = { "create", "update", "delete" };

    svc.name = req->service;
    r.service = &svc;
    for (int i = 0; i < 3; i++) {
        r.action = (char *)actions[i];
        assert_int_equal(mc_rpc_stream_send(st, &r.base), MC_OK);
    }
    mc_rpc_stream_finish(st, NULL);
}

static const struct mc_rpc_stream_ops watch_ops = { watch_on_message, NULL, NULL };

static int watch_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &watch_ops, NULL);
    return MC_OK;
}

/* BlobStore.Write as a client stream: count chunks, answer after half-close. */
static void blob_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    F->received++;
}

static void blob_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    Store__BlobWriteResponse rsp = STORE__BLOB_WRITE_RESPONSE__INIT;
    mc_rpc_stream_send(st, &rsp.base);
    mc_rpc_stream_finish(st, NULL);
}

static const struct mc_rpc_stream_ops blob_ops = { blob_on_message, blob_on_half_close, NULL };

static int blob_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &blob_ops, NULL);
    return MC_OK;
}

/* Registry.Register as a bidi echo that never ends by itself: cancellation ends it. */
static void echo_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    F->received++;
    mc_rpc_stream_send(st, msg);
}

static void echo_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    F->cancels++;
}

static const struct mc_rpc_stream_ops echo_ops = { echo_on_message, NULL, echo_on_cancel };

static int echo_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &echo_ops, NULL);
    return MC_OK;
}

/* Registry.ListServices as a server stream of stored (packed) answers: a good
 * ListResponse, then bytes that are not one. */
static int packed_rc[2];

static void packed_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    Registry__Service svc = REGISTRY__SERVICE__INIT, *list[1] = { &svc };
    Registry__ListResponse rsp = REGISTRY__LIST_RESPONSE__INIT;
    uint8_t buf[64];
    size_t n;

    svc.name = "stored";
    rsp.services = list;
    rsp.n_services = 1;
    n = registry__list_response__pack(&rsp, buf);
    packed_rc[0] = mc_rpc_stream_send_packed(st, &registry__list_response__descriptor, buf, n);
    packed_rc[1] = mc_rpc_stream_send_packed(st, &registry__list_response__descriptor,
                                             "\xff\xff\xff", 3);
    mc_rpc_stream_finish(st, NULL);
}

static const struct mc_rpc_stream_ops packed_ops = { packed_on_message, NULL, NULL };

static int packed_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &packed_ops, NULL);
    return MC_OK;
}

/* Registry.Deregister refuses in open. */
static int refuse_open(struct mc_rpc_stream *st, void *arg)
{
    mc_error_forbidden(mc_rpc_stream_ctx(st)->err, "test", "no streams for you");
    return MC_EINVAL;
}

/* Auth hook: a call is let through only with "authorization: Bearer good". */
static const char *const admin_scopes[] = { "admin" };
static const struct mc_account admin = { "admin", "user", "micro", "admin", admin_scopes, 1 };

static int auth_hook(struct mc_rpc_ctx *ctx, void *arg)
{
    const char *a = mc_metadata_get(ctx->md, "Authorization");
    if (a && strcmp(a, "Bearer good") == 0) {
        ctx->account = &admin;
        return MC_OK;
    }
    mc_error_unauthorized(ctx->err, ctx->service, "Unauthorized call made to %s:%s",
                          ctx->service, ctx->endpoint);
    return MC_EINVAL;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct mc_rpc_service *svc;
    char err[256];

    F = f;
    f->loop = mc_loop_new();
    f->rpc = mc_rpc_server_new();
    svc = mc_rpc_server_add(f->rpc, "test");
    assert_int_equal(mc_rpc_service_handle_stream(svc, &registry__registry__descriptor, "Watch",
                                                  MC_RPC_STREAM_SERVER, watch_open, NULL), MC_OK);
    assert_int_equal(mc_rpc_service_handle_stream(svc, &registry__registry__descriptor, "Watch",
                                                  MC_RPC_STREAM_SERVER, watch_open, NULL),
                     MC_EEXIST);
    mc_rpc_service_handle_stream(svc, &store__blob_store__descriptor, "Write",
                                 MC_RPC_STREAM_CLIENT, blob_open, NULL);
    mc_rpc_service_handle_stream(svc, &registry__registry__descriptor, "Register",
                                 MC_RPC_STREAM_BIDI, echo_open, NULL);
    mc_rpc_service_handle_stream(svc, &registry__registry__descriptor, "Deregister",
                                 MC_RPC_STREAM_BIDI, refuse_open, NULL);
    mc_rpc_service_handle_stream(svc, &registry__registry__descriptor, "ListServices",
                                 MC_RPC_STREAM_SERVER, packed_open, NULL);
    f->g = mc_rpc_grpc_new(f->loop, f->rpc, NULL);
    assert_int_equal(mc_rpc_grpc_listen(f->g, "127.0.0.1:0", err, sizeof(err)), MC_OK);
    f->cl = mc_grpc_client_new(f->loop, mc_rpc_grpc_addr(f->g), NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mc_grpc_client_free(f->cl);
    mc_rpc_grpc_free(f->g);
    for (int i = 0; i < 3; i++)
        mc_loop_run_once(f->loop, 0);
    mc_rpc_server_free(f->rpc);
    mc_loop_free(f->loop);
    free(f);
    return 0;
}

static void c_on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct fx *f = arg;
    size_t n = strlen(f->got);
    snprintf(f->got + n, sizeof(f->got) - n, "%.*s\n", (int)len, msg);
    f->messages++;
}

static void c_on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct fx *f = arg;
    f->code = st->code;
    snprintf(f->message, sizeof(f->message), "%s", st->message);
    f->done = true;
}

static const struct mc_grpc_ccall_handler chandler = { NULL, c_on_message, c_on_done };

/* Starts a call sending msgs (JSON), half-closing when close_send. */
static struct mc_grpc_ccall *start(struct fx *f, const char *path, const char *ct,
                                   const char *const *msgs, int n, bool close_send,
                                   const char *auth)
{
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { .path = path, .content_type = ct, .timeout_ms = 5000 };
    struct mc_grpc_ccall *call;

    mc_grpc_metadata_init(&md);
    if (auth)
        mc_grpc_metadata_add_cstr(&md, "authorization", auth);
    o.metadata = &md;
    f->got[0] = '\0';
    f->messages = 0;
    f->done = false;
    assert_int_equal(mc_grpc_client_call(f->cl, &o, &chandler, f, &call), MC_OK);
    for (int i = 0; i < n; i++)
        mc_grpc_ccall_send(call, msgs[i], strlen(msgs[i]));
    if (close_send)
        mc_grpc_ccall_close_send(call);
    mc_grpc_metadata_release(&md);
    return call;
}

static void run_until_done(struct fx *f)
{
    for (int i = 0; i < 500 && !f->done; i++)
        mc_loop_run_once(f->loop, 10);
    assert_true(f->done);
}

static void test_server_stream_json(void **state)
{
    struct fx *f = *state;
    const char *req[] = { "{\"service\":\"helloworld\"}" };
    start(f, "/test.Registry/Watch", "application/grpc+json", req, 1, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_OK);
    assert_int_equal(f->messages, 3);
    assert_non_null(strstr(f->got, "{\"action\":\"create\",\"service\":{\"name\":\"helloworld\""));
    assert_non_null(strstr(f->got, "{\"action\":\"delete\""));
}

static void test_packed_answers(void **state)
{
    struct fx *f = *state;
    const char *req[] = { "{}" };
    const char proto_req[] = "";

    /* JSON: decoded and encoded again; bytes that do not decode are refused */
    start(f, "/test.Registry/ListServices", "application/grpc+json", req, 1, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_OK);
    assert_int_equal(f->messages, 1);
    assert_non_null(strstr(f->got, "{\"services\":[{\"name\":\"stored\",\"version\":\"\""));
    assert_int_equal(packed_rc[0], MC_OK);
    assert_int_equal(packed_rc[1], MC_EPROTO);
    /* proto: the stored bytes as they are (field 1, a Service with field 1 "stored") */
    f->got[0] = '\0';
    {
        const char *msgs[] = { proto_req };
        start(f, "/test.Registry/ListServices", "application/grpc+proto", msgs, 1, true, NULL);
    }
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_OK);
    assert_int_equal(f->messages, 2);
    assert_memory_equal(f->got, "\x0a\x08\x0a\x06stored\n\xff\xff\xff\n", 16);
    assert_int_equal(packed_rc[0], MC_OK);
    assert_int_equal(packed_rc[1], MC_OK);
}

static void test_client_stream_counts_chunks(void **state)
{
    struct fx *f = *state;
    const char *req[] = { "{\"key\":\"k\",\"blob\":\"YQ==\"}", "{\"blob\":\"Yg==\"}",
                          "{\"blob\":\"Yw==\"}" };
    F->received = 0;
    start(f, "/test.BlobStore/Write", "application/grpc+json", req, 3, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_OK);
    assert_int_equal(F->received, 3);
    assert_string_equal(f->got, "{}\n");
}

static void test_bidi_cancel_reaches_handler(void **state)
{
    struct fx *f = *state;
    const char *req[] = { "{\"name\":\"a\"}", "{\"name\":\"b\"}" };
    struct mc_grpc_ccall *call;

    F->received = 0;
    F->cancels = 0;
    call = start(f, "/test.Registry/Register", "application/grpc+json", req, 2, false, NULL);
    for (int i = 0; i < 200 && f->messages < 2; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(f->messages, 2);
    assert_non_null(strstr(f->got, "\"name\":\"b\""));
    mc_grpc_ccall_cancel(call);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_CANCELLED);
    for (int i = 0; i < 200 && F->cancels == 0; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(F->cancels, 1);
}

static void test_refused_and_bad_messages(void **state)
{
    struct fx *f = *state;
    const char *bad[] = { "{\"service\":5}" };
    start(f, "/test.Registry/Deregister", NULL, NULL, 0, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_PERMISSION_DENIED);
    assert_non_null(strstr(f->message, "no streams for you"));
    start(f, "/test.Registry/Watch", "application/grpc+json", bad, 1, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_INVALID_ARGUMENT);
    assert_int_equal(f->messages, 0);
}

static void test_auth_hook_guards_unary_and_streams(void **state)
{
    struct fx *f = *state;
    const char *req[] = { "{}" };

    mc_rpc_server_set_auth(f->rpc, auth_hook, NULL);
    start(f, "/test.Registry/Watch", "application/grpc+json", req, 1, true, NULL);
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_UNAUTHENTICATED);
    assert_non_null(strstr(f->message, "Unauthorized call made to test:Registry.Watch"));
    start(f, "/test.Debug/Health", "application/grpc+json", req, 1, true, "Bearer bad");
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_UNAUTHENTICATED);
    start(f, "/test.Registry/Watch", "application/grpc+json", req, 1, true, "Bearer good");
    run_until_done(f);
    assert_int_equal(f->code, MC_GRPC_OK);
    assert_int_equal(f->messages, 3);
}

static void test_account_scopes(void **state)
{
    (void)state;
    assert_true(mc_account_has_scope(&admin, "admin"));
    assert_false(mc_account_has_scope(&admin, "service"));
    assert_false(mc_account_has_scope(NULL, "admin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_stream_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packed_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_stream_counts_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bidi_cancel_reaches_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_bad_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_hook_guards_unary_and_streams, setup, teardown),
        cmocka_unit_test(test_account_scopes),
    };
    return cmocka_run_group_tests_name("rpc_stream", tests, NULL, NULL);
}
