/*
 * Unit tests for libmicro's outgoing calls (micro_call.c) against a fake
 * platform served in a thread on loopback: an auth service whose tokens the
 * test controls and a config service that answers with the headers it got.
 * They check the token life of spec §6.3 (asked with id and secret for 10
 * minutes, reused while more than a minute is left, refreshed with the refresh
 * token, id and secret again when the refresh fails), the Micro-Namespace and
 * Authorization of each call, and how remote errors reach the caller.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.pb-c.h"
#include "config.pb-c.h"
#include "mc_common.h"
#include "mc_rpc_grpc.h"
#include "micro.h"
#include "micro_internal.h"

struct fake {
    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    struct mc_rpc_grpc *grpc;
    pthread_t thread;
    volatile int stop;
    /* what auth.Token saw and answers */
    int token_calls;
    char last_id[64], last_refresh[64];
    int64_t last_expiry_asked;
    int64_t expires_in;        /* seconds from now of the tokens handed out */
    bool refuse_refresh;
    int serial;
};

static int fake_token(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                      void *arg)
{
    struct fake *f = arg;
    const Auth__TokenRequest *in = (const Auth__TokenRequest *)req;
    Auth__TokenResponse *out = (Auth__TokenResponse *)rsp;
    Auth__Token *t = mc_arena_alloc(ctx->arena, sizeof(*t));

    f->token_calls++;
    snprintf(f->last_id, sizeof(f->last_id), "%s", in->id);
    snprintf(f->last_refresh, sizeof(f->last_refresh), "%s", in->refresh_token);
    f->last_expiry_asked = in->token_expiry;
    if (*in->refresh_token && f->refuse_refresh) {
        mc_error_bad_request(ctx->err, "auth", "invalid token");
        return MC_EINVAL;
    }
    if (!*in->refresh_token && strcmp(in->secret, "good") != 0) {
        mc_error_bad_request(ctx->err, "auth", "invalid secret");
        return MC_EINVAL;
    }
    auth__token__init(t);
    f->serial++;
    t->access_token = mc_arena_printf(ctx->arena, "access-%d", f->serial);
    t->refresh_token = mc_arena_printf(ctx->arena, "refresh-%d", f->serial);
    t->expiry = mc_unix_time() + f->expires_in;
    out->token = t;
    return MC_OK;
}

/* Config.Get answers "<authorization>|<namespace>|<x-carry>" in value.data, or a
 * 404 for path "missing". */
static int fake_get(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    const Config__GetRequest *in = (const Config__GetRequest *)req;
    Config__GetResponse *out = (Config__GetResponse *)rsp;
    Config__Value *v = mc_arena_alloc(ctx->arena, sizeof(*v));
    const char *auth = mc_metadata_get(ctx->md, "Authorization");
    const char *carry = mc_metadata_get(ctx->md, "X-Carry");

    (void)arg;
    if (strcmp(in->path, "missing") == 0) {
        mc_error_not_found(ctx->err, "config", "nothing at %s", in->path);
        return MC_ENOTFOUND;
    }
    config__value__init(v);
    v->data = mc_arena_printf(ctx->arena, "%s|%s|%s", auth ? auth : "-",
                              mc_metadata_get(ctx->md, "Micro-Namespace"), carry ? carry : "-");
    out->value = v;
    return MC_OK;
}

static void *serve(void *arg)
{
    struct fake *f = arg;

    while (!f->stop)
        mc_loop_run_once(f->loop, 20);
    return NULL;
}

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));
    struct mc_rpc_service *s;
    char err[128];

    f->loop = mc_loop_new();
    f->rpc = mc_rpc_server_new();
    s = mc_rpc_server_add(f->rpc, "auth");
    mc_rpc_service_handle(s, &auth__auth__descriptor, "Token", fake_token, f);
    s = mc_rpc_server_add(f->rpc, "config");
    mc_rpc_service_handle(s, &config__config__descriptor, "Get", fake_get, f);
    f->grpc = mc_rpc_grpc_new(f->loop, f->rpc, NULL);
    assert_int_equal(mc_rpc_grpc_listen(f->grpc, "127.0.0.1:0", err, sizeof(err)), MC_OK);
    f->expires_in = 600;
    setenv("MICRO_PROXY", mc_rpc_grpc_addr(f->grpc), 1);
    setenv("MICRO_NAMESPACE", "foo", 1);
    setenv("MICRO_AUTH_ID", "svc-latest", 1);
    setenv("MICRO_AUTH_SECRET", "good", 1);
    pthread_create(&f->thread, NULL, serve, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fake *f = *state;

    f->stop = 1;
    pthread_join(f->thread, NULL);
    mc_rpc_grpc_free(f->grpc);
    mc_loop_run_once(f->loop, 0);
    mc_rpc_server_free(f->rpc);
    mc_loop_free(f->loop);
    free(f);
    unsetenv("MICRO_PROXY");
    unsetenv("MICRO_NAMESPACE");
    unsetenv("MICRO_AUTH_ID");
    unsetenv("MICRO_AUTH_SECRET");
    return 0;
}

/* Config.Get of path through micro_call_json; returns value.data (static buffer). */
static const char *get(struct micro_service *svc, const char *path, int *rc,
                       struct micro_error *err)
{
    static char data[256];
    char req[128], *rsp = NULL;

    snprintf(req, sizeof(req), "{\"path\":\"%s\"}", path);
    *rc = micro_call_json(svc, NULL, "config", "Config.Get", req, &rsp, NULL, err);
    data[0] = '\0';
    if (*rc == 0) {
        const char *p = strstr(rsp, "\"data\":\"");

        assert_non_null(p);
        snprintf(data, sizeof(data), "%s", p + 8);
        *strchr(data, '"') = '\0';
    }
    free(rsp);
    return data;
}

static void test_token_life(void **state)
{
    struct fake *f = *state;
    struct micro_service *svc = micro_service_new("svc");
    struct micro_error err = { 0 };
    int rc;

    /* first call: a token for the account, asked for 10 minutes */
    assert_string_equal(get(svc, "a", &rc, &err), "Bearer access-1|foo|-");
    assert_int_equal(rc, 0);
    assert_int_equal(f->token_calls, 1);
    assert_string_equal(f->last_id, "svc-latest");
    assert_int_equal(f->last_expiry_asked, 600);
    /* plenty of time left: reused */
    assert_string_equal(get(svc, "a", &rc, &err), "Bearer access-1|foo|-");
    assert_int_equal(f->token_calls, 1);

    /* less than a minute left: the next call refreshes it with the refresh token */
    svc->token.expiry = mc_unix_time() + 30;
    assert_string_equal(get(svc, "a", &rc, &err), "Bearer access-2|foo|-");
    assert_int_equal(f->token_calls, 2);
    assert_string_equal(f->last_refresh, "refresh-1");
    assert_string_equal(f->last_id, "");

    /* a refused refresh falls back to the id and secret */
    f->refuse_refresh = true;
    svc->token.expiry = mc_unix_time() + 10;
    assert_string_equal(get(svc, "a", &rc, &err), "Bearer access-3|foo|-");
    assert_int_equal(f->token_calls, 4);
    assert_string_equal(f->last_id, "svc-latest");
    micro_error_release(&err);
    micro_service_free(svc);
}

static void test_bad_secret_and_remote_errors(void **state)
{
    struct fake *f = *state;
    struct micro_service *svc;
    struct micro_error err = { 0 };
    int rc;

    /* a remote error comes back as it was sent */
    svc = micro_service_new("svc");
    get(svc, "missing", &rc, &err);
    assert_int_equal(rc, MICRO_EREMOTE);
    assert_int_equal(err.code, 404);
    assert_string_equal(err.id, "config");
    assert_string_equal(err.detail, "nothing at missing");
    assert_string_equal(err.status, "Not Found");
    micro_service_free(svc);

    /* no token: the call fails with the auth service's error, nothing is sent */
    setenv("MICRO_AUTH_SECRET", "bad", 1);
    svc = micro_service_new("svc");
    f->token_calls = 0;
    get(svc, "a", &rc, &err);
    assert_int_equal(rc, MICRO_EREMOTE);
    assert_int_equal(err.code, 400);
    assert_string_equal(err.detail, "invalid secret");
    micro_service_free(svc);

    /* without an account: no Authorization at all */
    unsetenv("MICRO_AUTH_ID");
    svc = micro_service_new("svc");
    assert_string_equal(get(svc, "a", &rc, &err), "-|foo|-");
    assert_int_equal(f->token_calls, 1);
    micro_service_free(svc);

    /* nothing listening: a transport error made up as upstream's client does */
    setenv("MICRO_PROXY", "127.0.0.1:1", 1);
    svc = micro_service_new("svc");
    get(svc, "a", &rc, &err);
    assert_int_equal(rc, MICRO_EREMOTE);
    assert_int_equal(err.code, 500);
    assert_string_equal(err.id, "go.micro.client");
    micro_service_free(svc);
    assert_int_equal(micro_call_json(NULL, NULL, "config", "Config.Get", NULL, &(char *){ NULL },
                                     NULL, &err),
                     MICRO_EINVAL);
    micro_error_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_life, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_secret_and_remote_errors, setup, teardown),
    };

    return cmocka_run_group_tests_name("micro_call", tests, NULL, NULL);
}
