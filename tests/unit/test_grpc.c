/*
 * Unit tests for the gRPC layer: the shared encodings (mc_grpc), and our client
 * against our server (mc_grpc_client, mc_grpc_server) over real loopback
 * sockets on one loop: unary, streaming both ways, bidi, metadata, errors,
 * deadlines, cancellation, size limits, malformed peers, many streams,
 * connection refused, the synchronous helper and shutdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug.pb-c.h"
#include "mc_grpc.h"
#include "mc_grpc_client.h"
#include "mc_grpc_server.h"
#include "mc_loop.h"
#include "mc_net.h"

#define CT_PROTO "application/grpc+proto"
#define CT_JSON "application/grpc+json"

/* --- server side: a test service dispatching on the path ---------------------------- */

enum kind { K_UNARY, K_SSTREAM, K_CSTREAM, K_BIDI, K_NEVER };

struct srv_state {
    int calls;
    int cancels;
    enum mc_grpc_cancel_reason last_reason;
    char last_ctype[64];
    char last_authority[128];
    char last_path[128];
    struct mc_grpc_metadata last_md;
    uint64_t last_deadline;
    size_t last_len;
};

struct sctx {
    struct srv_state *st;
    enum kind kind;
    struct mc_buf buf;
    int count;
    size_t total;
};

static void sctx_free(struct sctx *x)
{
    mc_buf_release(&x->buf);
    free(x);
}

static void s_message(struct mc_grpc_scall *call, const char *msg, size_t len, void *arg)
{
    struct sctx *x = arg;

    x->count++;
    x->total += len;
    x->st->last_len = len;
    if (x->kind == K_BIDI) {
        assert_int_equal(mc_grpc_scall_send(call, msg, len), 0);
        return;
    }
    mc_buf_reset(&x->buf);
    assert_int_equal(mc_buf_append(&x->buf, msg, len), 0);
}

static void s_half_close(struct mc_grpc_scall *call, void *arg)
{
    struct sctx *x = arg;
    struct mc_grpc_metadata md, trl;
    const struct mc_grpc_md *e;
    char line[64];

    mc_grpc_metadata_init(&md);
    mc_grpc_metadata_init(&trl);
    switch (x->kind) {
    case K_UNARY:
        e = mc_grpc_metadata_get(mc_grpc_scall_metadata(call), "x-client");
        if (e)
            assert_int_equal(mc_grpc_metadata_add_cstr(&md, "x-echo", e->value), 0);
        assert_int_equal(mc_grpc_metadata_add(&md, "srv-bin", 7, "\0\1\2", 3), 0);
        assert_int_equal(mc_grpc_scall_send_headers(call, &md), 0);
        assert_int_equal(mc_grpc_scall_send(call, x->buf.data ? x->buf.data : "", x->buf.len), 0);
        assert_int_equal(mc_grpc_metadata_add_cstr(&trl, "x-trailer", "done"), 0);
        assert_int_equal(mc_grpc_metadata_add(&trl, "trl-bin", 7, "\xff\0", 2), 0);
        assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_OK, NULL, NULL, 0, &trl), 0);
        break;
    case K_SSTREAM: {
        int64_t n = 0;
        assert_int_equal(mc_parse_i64(mc_buf_cstr(&x->buf), &n), 0);
        for (int64_t i = 0; i < n; i++) {
            snprintf(line, sizeof(line), "msg-%lld", (long long)i);
            assert_int_equal(mc_grpc_scall_send(call, line, strlen(line)), 0);
        }
        assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_OK, NULL, NULL, 0, NULL), 0);
        break;
    }
    case K_CSTREAM:
        snprintf(line, sizeof(line), "count=%d total=%zu", x->count, x->total);
        assert_int_equal(mc_grpc_scall_send(call, line, strlen(line)), 0);
        assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_OK, NULL, NULL, 0, NULL), 0);
        break;
    case K_BIDI:
        assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_OK, NULL, NULL, 0, NULL), 0);
        break;
    case K_NEVER:
        mc_grpc_metadata_release(&md);
        return; /* keeps the call open until the deadline or a cancel */
    }
    mc_grpc_metadata_release(&md);
    mc_grpc_metadata_release(&trl);
    sctx_free(x);
}

static void s_cancel(struct mc_grpc_scall *call, enum mc_grpc_cancel_reason reason, void *arg)
{
    struct sctx *x = arg;

    (void)call;
    x->st->cancels++;
    x->st->last_reason = reason;
    sctx_free(x);
}

static const struct mc_grpc_scall_handler s_handler = {
    .on_message = s_message, .on_half_close = s_half_close, .on_cancel = s_cancel,
};

static void on_call(struct mc_grpc_scall *call, void *arg)
{
    struct srv_state *st = arg;
    const char *path = mc_grpc_scall_path(call);
    struct sctx *x;
    static const struct { const char *path; enum kind kind; } routes[] = {
        { "/test.Svc/Unary", K_UNARY }, { "/test.Svc/ServerStream", K_SSTREAM },
        { "/test.Svc/ClientStream", K_CSTREAM }, { "/test.Svc/Bidi", K_BIDI },
        { "/test.Svc/Never", K_NEVER },
    };

    st->calls++;
    snprintf(st->last_ctype, sizeof(st->last_ctype), "%s", mc_grpc_scall_content_type(call));
    snprintf(st->last_authority, sizeof(st->last_authority), "%s", mc_grpc_scall_authority(call));
    snprintf(st->last_path, sizeof(st->last_path), "%s", path);
    mc_grpc_metadata_release(&st->last_md);
    mc_grpc_metadata_copy(&st->last_md, mc_grpc_scall_metadata(call));
    st->last_deadline = mc_grpc_scall_deadline(call);
    if (strcmp(path, "/test.Svc/Error") == 0) {
        assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_NOT_FOUND, "not found: 100% \xc3\xbc\n",
                                              "\x08\x05\x00z", 4, NULL), 0);
        return;
    }
    for (size_t i = 0; i < MC_ARRAY_LEN(routes); i++) {
        if (strcmp(path, routes[i].path) == 0) {
            x = mc_calloc(1, sizeof(*x));
            x->st = st;
            x->kind = routes[i].kind;
            mc_buf_init(&x->buf, 64u * 1024 * 1024);
            mc_grpc_scall_set_handler(call, &s_handler, x);
            return;
        }
    }
    assert_int_equal(mc_grpc_scall_finish(call, MC_GRPC_UNIMPLEMENTED, "unknown service", NULL, 0,
                                          NULL), 0);
}

/* --- client side: collecting results ------------------------------------------------- */

struct cres {
    int done;                /* on_done count: must end at exactly 1 */
    int code;
    char msg[512];
    struct mc_buf details;
    struct mc_grpc_metadata hdrs, trl;
    bool got_headers;
    int nmsgs;
    struct mc_buf last;
    struct mc_buf all;       /* every message followed by '\n' */
    bool bidi;               /* answer each message with the next ping */
    int bidi_left;
};

static void cres_init(struct cres *r)
{
    memset(r, 0, sizeof(*r));
    mc_buf_init(&r->details, 1024);
    mc_buf_init(&r->last, 64u * 1024 * 1024);
    mc_buf_init(&r->all, 1024 * 1024);
    mc_grpc_metadata_init(&r->hdrs);
    mc_grpc_metadata_init(&r->trl);
}

static void cres_release(struct cres *r)
{
    mc_buf_release(&r->details);
    mc_buf_release(&r->last);
    mc_buf_release(&r->all);
    mc_grpc_metadata_release(&r->hdrs);
    mc_grpc_metadata_release(&r->trl);
}

static void c_headers(struct mc_grpc_ccall *call, const struct mc_grpc_metadata *md, void *arg)
{
    struct cres *r = arg;

    (void)call;
    r->got_headers = true;
    mc_grpc_metadata_copy(&r->hdrs, md);
}

static void c_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct cres *r = arg;

    r->nmsgs++;
    mc_buf_reset(&r->last);
    assert_int_equal(mc_buf_append(&r->last, msg, len), 0);
    if (len < 1024) {
        assert_int_equal(mc_buf_append(&r->all, msg, len), 0);
        assert_int_equal(mc_buf_append_byte(&r->all, '\n'), 0);
    }
    if (r->bidi && r->bidi_left > 0) {
        char ping[32];
        snprintf(ping, sizeof(ping), "ping-%d", r->bidi_left--);
        assert_int_equal(mc_grpc_ccall_send(call, ping, strlen(ping)), 0);
    } else if (r->bidi) {
        r->bidi = false;
        assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    }
}

static void c_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct cres *r = arg;

    (void)call;
    r->done++;
    r->code = st->code;
    snprintf(r->msg, sizeof(r->msg), "%s", st->message);
    if (st->details)
        assert_int_equal(mc_buf_append(&r->details, st->details, st->details_len), 0);
    mc_grpc_metadata_copy(&r->trl, st->trailers);
}

static const struct mc_grpc_ccall_handler c_handler = {
    .on_headers = c_headers, .on_message = c_message, .on_done = c_done,
};

/* --- fixture -------------------------------------------------------------------------- */

struct fx {
    struct mc_loop *loop;
    struct mc_grpc_server *srv;
    struct mc_grpc_client *cl;
    struct srv_state st;
};

#define RUN_UNTIL(f, cond)                                            \
    do {                                                              \
        uint64_t end_ = mc_now_ms() + 30000;                          \
        while (!(cond)) {                                             \
            assert_true(mc_now_ms() < end_);                          \
            mc_loop_run_once((f)->loop, 20);                          \
        }                                                             \
    } while (0)

static int fx_setup(void **state)
{
    struct fx *f = mc_calloc(1, sizeof(*f));
    struct mc_grpc_limits lim;
    char err[256];

    f->loop = mc_loop_new();
    assert_non_null(f->loop);
    mc_grpc_metadata_init(&f->st.last_md);
    f->srv = mc_grpc_server_new(f->loop, NULL, on_call, &f->st);
    assert_int_equal(mc_grpc_server_listen(f->srv, "127.0.0.1:0", err, sizeof(err)), 0);
    assert_int_not_equal(strcmp(mc_grpc_server_addr(f->srv), "127.0.0.1:0"), 0);
    mc_grpc_limits_default(&lim);
    lim.max_send_msg = 64u * 1024 * 1024; /* so the client can send an oversized message */
    f->cl = mc_grpc_client_new(f->loop, mc_grpc_server_addr(f->srv), &lim);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    mc_grpc_client_free(f->cl);
    mc_grpc_server_free(f->srv);
    for (int i = 0; i < 3; i++)
        mc_loop_run_once(f->loop, 0);
    mc_loop_free(f->loop);
    mc_grpc_metadata_release(&f->st.last_md);
    free(f);
    return 0;
}

static struct mc_grpc_ccall *start(struct fx *f, const char *path, const char *ct,
                                   const struct mc_grpc_metadata *md, uint64_t timeout_ms,
                                   struct cres *r)
{
    struct mc_grpc_call_opts o = {
        .path = path, .content_type = ct, .metadata = md, .timeout_ms = timeout_ms,
    };
    struct mc_grpc_ccall *call = NULL;

    assert_int_equal(mc_grpc_client_call(f->cl, &o, &c_handler, r, &call), 0);
    assert_non_null(call);
    return call;
}

/* A request body in the given codec: debug.HealthResponse packed, or its JSON. */
static size_t make_payload(const char *ct, const char *status, uint8_t *out, size_t cap)
{
    if (strcmp(ct, CT_PROTO) == 0) {
        Debug__HealthResponse m = DEBUG__HEALTH_RESPONSE__INIT;
        m.status = (char *)status;
        assert_true(debug__health_response__get_packed_size(&m) <= cap);
        return debug__health_response__pack(&m, out);
    }
    return (size_t)snprintf((char *)out, cap, "{\"status\":\"%s\"}", status);
}

/* --- the shared encodings --------------------------------------------------------------- */

static void test_timeout_encoding(void **state)
{
    uint64_t ns;
    char t[10];
    (void)state;
    assert_int_equal(mc_grpc_timeout_parse("5S", 2, &ns), 0);
    assert_true(ns == 5000000000ull);
    assert_int_equal(mc_grpc_timeout_parse("100m", 4, &ns), 0);
    assert_true(ns == 100000000ull);
    assert_int_equal(mc_grpc_timeout_parse("2H", 2, &ns), 0);
    assert_true(ns == 7200000000000ull);
    assert_int_equal(mc_grpc_timeout_parse("7u", 2, &ns), 0);
    assert_true(ns == 7000ull);
    assert_int_equal(mc_grpc_timeout_parse("123456789S", 10, &ns), MC_EINVAL); /* 9 digits */
    assert_int_equal(mc_grpc_timeout_parse("5", 1, &ns), MC_EINVAL);
    assert_int_equal(mc_grpc_timeout_parse("5x", 2, &ns), MC_EINVAL);
    assert_int_equal(mc_grpc_timeout_parse("-5S", 3, &ns), MC_EINVAL);
    mc_grpc_timeout_format(250000000ull, t);
    assert_string_equal(t, "250000u");
    mc_grpc_timeout_format(1500, t);
    assert_string_equal(t, "1500n");
    mc_grpc_timeout_format(10ull * 3600 * 1000000000ull, t);
    assert_string_equal(t, "36000000m");
    mc_grpc_timeout_format(UINT64_MAX, t);
    assert_int_equal(mc_grpc_timeout_parse(t, strlen(t), &ns), 0);
    assert_true(ns >= 5124095ull * 3600 * 1000000000ull); /* clamped, still huge */
}

static void test_percent_and_base64(void **state)
{
    struct mc_buf b, d;
    (void)state;
    mc_buf_init(&b, 1024);
    mc_buf_init(&d, 1024);
    assert_int_equal(mc_grpc_percent_encode(&b, "a%b \xc3\xbc\n", 7), 0);
    assert_string_equal(mc_buf_cstr(&b), "a%25b %C3%BC%0A");
    assert_int_equal(mc_grpc_percent_decode(&d, b.data, b.len), 0);
    assert_string_equal(mc_buf_cstr(&d), "a%b \xc3\xbc\n");
    mc_buf_reset(&d);
    assert_int_equal(mc_grpc_percent_decode(&d, "100%zz%4", 8), 0);
    assert_string_equal(mc_buf_cstr(&d), "100%zz%4"); /* malformed escapes kept */
    mc_buf_reset(&b);
    assert_int_equal(mc_grpc_base64_encode(&b, "\xff\0", 2), 0);
    assert_string_equal(mc_buf_cstr(&b), "/wA"); /* no padding */
    mc_buf_reset(&d);
    assert_int_equal(mc_grpc_base64_decode(&d, "/wA=", 4), 0);
    assert_int_equal(d.len, 2);
    assert_memory_equal(d.data, "\xff\0", 2);
    mc_buf_reset(&d);
    assert_int_equal(mc_grpc_base64_decode(&d, "/wA", 3), 0);
    assert_int_equal(d.len, 2);
    assert_int_equal(mc_grpc_base64_decode(&d, "*a", 2), MC_EINVAL);
    mc_buf_release(&b);
    mc_buf_release(&d);
}

static void test_metadata_rules(void **state)
{
    struct mc_grpc_metadata md;
    (void)state;
    mc_grpc_metadata_init(&md);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "Micro-Namespace", "micro"), 0);
    assert_string_equal(md.items[0].key, "micro-namespace");
    assert_non_null(mc_grpc_metadata_get(&md, "MICRO-NAMESPACE"));
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, ":path", "x"), MC_EINVAL);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "bad key", "x"), MC_EINVAL);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "k", "line\nbreak"), MC_EINVAL);
    assert_int_equal(mc_grpc_metadata_add(&md, "k-bin", 5, "\0\n", 2), 0);
    assert_int_equal(md.count, 2);
    assert_int_equal(md.items[1].value_len, 2);
    mc_grpc_metadata_release(&md);
    assert_string_equal(mc_grpc_code_name(4), "DEADLINE_EXCEEDED");
    assert_int_equal(mc_grpc_code_from_http(503), MC_GRPC_UNAVAILABLE);
}

static void assert_serves(struct fx *f);

/* --- calls ------------------------------------------------------------------------------ */

static void unary_with(struct fx *f, const char *ct)
{
    struct mc_grpc_metadata md;
    struct mc_grpc_ccall *call;
    struct cres r;
    uint8_t req[256];
    size_t n = make_payload(ct, "ok", req, sizeof(req));
    const struct mc_grpc_md *e;

    cres_init(&r);
    mc_grpc_metadata_init(&md);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "x-client", "hello"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "Micro-Namespace", "micro"), 0);
    assert_int_equal(mc_grpc_metadata_add(&md, "cli-bin", 7, "\0\xfe", 2), 0);
    call = start(f, "/test.Svc/Unary", ct, &md, 5000, &r);
    assert_int_equal(mc_grpc_ccall_send(call, req, n), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    mc_loop_run_once(f->loop, 0);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_int_equal(r.nmsgs, 1);
    assert_int_equal(r.last.len, n);
    assert_memory_equal(r.last.data, req, n);
    if (strcmp(ct, CT_PROTO) == 0) {
        Debug__HealthResponse *m = debug__health_response__unpack(NULL, r.last.len,
                                                                  (const uint8_t *)r.last.data);
        assert_non_null(m);
        assert_string_equal(m->status, "ok");
        debug__health_response__free_unpacked(m, NULL);
    } else {
        assert_string_equal(mc_buf_cstr(&r.last), "{\"status\":\"ok\"}");
    }
    /* server view of the request */
    assert_string_equal(f->st.last_ctype, ct);
    assert_string_equal(f->st.last_authority, mc_grpc_server_addr(f->srv));
    e = mc_grpc_metadata_get(&f->st.last_md, "micro-namespace");
    assert_non_null(e);
    assert_string_equal(e->value, "micro");
    e = mc_grpc_metadata_get(&f->st.last_md, "cli-bin");
    assert_non_null(e);
    assert_int_equal(e->value_len, 2);
    assert_memory_equal(e->value, "\0\xfe", 2);
    assert_null(mc_grpc_metadata_get(&f->st.last_md, "grpc-timeout"));
    assert_null(mc_grpc_metadata_get(&f->st.last_md, "content-type"));
    assert_true(f->st.last_deadline > mc_now_ms() && f->st.last_deadline <= mc_now_ms() + 5000);
    /* metadata back */
    assert_true(r.got_headers);
    e = mc_grpc_metadata_get(&r.hdrs, "x-echo");
    assert_non_null(e);
    assert_string_equal(e->value, "hello");
    e = mc_grpc_metadata_get(&r.hdrs, "srv-bin");
    assert_non_null(e);
    assert_int_equal(e->value_len, 3);
    assert_memory_equal(e->value, "\0\1\2", 3);
    e = mc_grpc_metadata_get(&r.trl, "x-trailer");
    assert_non_null(e);
    assert_string_equal(e->value, "done");
    e = mc_grpc_metadata_get(&r.trl, "trl-bin");
    assert_non_null(e);
    assert_memory_equal(e->value, "\xff\0", 2);
    assert_null(mc_grpc_metadata_get(&r.trl, "grpc-status"));
    mc_grpc_metadata_release(&md);
    cres_release(&r);
}

static void test_unary_proto(void **state)
{
    unary_with(*state, CT_PROTO);
}

static void test_unary_json(void **state)
{
    unary_with(*state, CT_JSON);
}

static void server_stream_with(struct fx *f, const char *ct)
{
    struct mc_grpc_ccall *call;
    struct cres r;
    struct mc_buf want;

    cres_init(&r);
    mc_buf_init(&want, 1 << 20);
    call = start(f, "/test.Svc/ServerStream", ct, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "100", 3), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_int_equal(r.nmsgs, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(mc_buf_appendf(&want, "msg-%d\n", i), 0);
    assert_string_equal(mc_buf_cstr(&r.all), mc_buf_cstr(&want));
    assert_string_equal(f->st.last_ctype, ct);
    assert_int_equal(f->st.last_deadline, 0);
    mc_buf_release(&want);
    cres_release(&r);
}

static void test_server_streaming(void **state)
{
    server_stream_with(*state, CT_PROTO);
    server_stream_with(*state, CT_JSON);
}

static void client_stream_with(struct fx *f, const char *ct)
{
    struct mc_grpc_ccall *call;
    struct cres r;
    uint8_t req[256];
    size_t n = make_payload(ct, "ok", req, sizeof(req));
    char want[64];

    cres_init(&r);
    call = start(f, "/test.Svc/ClientStream", ct, NULL, 0, &r);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(mc_grpc_ccall_send(call, req, n), 0);
        if (i % 10 == 0)
            mc_loop_run_once(f->loop, 0); /* interleave with I/O */
    }
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    assert_int_equal(mc_grpc_ccall_send(call, req, n), MC_EINVAL);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    snprintf(want, sizeof(want), "count=50 total=%zu", 50 * n);
    assert_string_equal(mc_buf_cstr(&r.last), want);
    cres_release(&r);
}

static void test_client_streaming(void **state)
{
    client_stream_with(*state, CT_PROTO);
    client_stream_with(*state, CT_JSON);
}

static void bidi_with(struct fx *f, const char *ct)
{
    struct mc_grpc_ccall *call;
    struct cres r;
    struct mc_buf want;

    cres_init(&r);
    mc_buf_init(&want, 4096);
    r.bidi = true;
    r.bidi_left = 20; /* each answer triggers the next ping; then half-close */
    call = start(f, "/test.Svc/Bidi", ct, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "ping-start", 10), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_int_equal(r.nmsgs, 21);
    assert_int_equal(mc_buf_append_str(&want, "ping-start\n"), 0);
    for (int i = 20; i >= 1; i--)
        assert_int_equal(mc_buf_appendf(&want, "ping-%d\n", i), 0);
    assert_string_equal(mc_buf_cstr(&r.all), mc_buf_cstr(&want));
    mc_buf_release(&want);
    cres_release(&r);
}

static void test_bidi_ping_pong(void **state)
{
    bidi_with(*state, CT_PROTO);
    bidi_with(*state, CT_JSON);
}

static void test_error_trailers_only(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;

    cres_init(&r);
    call = start(f, "/test.Svc/Error", CT_JSON, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "{}", 2), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_NOT_FOUND);
    assert_string_equal(r.msg, "not found: 100% \xc3\xbc\n");
    assert_int_equal(r.details.len, 4);
    assert_memory_equal(r.details.data, "\x08\x05\x00z", 4);
    assert_false(r.got_headers); /* trailers-only */
    assert_int_equal(r.nmsgs, 0);
    cres_release(&r);

    cres_init(&r);
    call = start(f, "/nope.X/Y", NULL, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_UNIMPLEMENTED);
    assert_string_equal(r.msg, "unknown service");
    assert_string_equal(f->st.last_ctype, CT_PROTO); /* the default */
    cres_release(&r);
}

static void test_bad_content_type_rejected(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;
    int calls = f->st.calls;

    cres_init(&r);
    call = start(f, "/test.Svc/Unary", "application/json", NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "{}", 2), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_INTERNAL);
    assert_non_null(strstr(r.msg, "content-type"));
    assert_int_equal(f->st.calls, calls); /* never reached the handler */
    cres_release(&r);
}

static void test_header_limits(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_limits lim;
    struct mc_grpc_client *cl;
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary", .metadata = &md };
    struct mc_grpc_ccall *call;
    struct cres r;
    char *v = mc_malloc(70 * 1024 + 1);
    int calls = f->st.calls;

    memset(v, 'v', 70 * 1024);
    v[70 * 1024] = '\0';
    mc_grpc_metadata_init(&md);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "x-big", v), 0);
    /* our own client refuses to send more than its limit */
    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(f->cl, &o, &c_handler, &r, &call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_INTERNAL);
    assert_non_null(strstr(r.msg, "headers exceed"));
    cres_release(&r);
    /* a client with a larger limit gets the server's answer */
    mc_grpc_limits_default(&lim);
    lim.max_header_bytes = 1024 * 1024;
    cl = mc_grpc_client_new(f->loop, mc_grpc_server_addr(f->srv), &lim);
    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_RESOURCE_EXHAUSTED);
    assert_int_equal(f->st.calls, calls); /* the handler never saw it */
    cres_release(&r);
    mc_grpc_client_free(cl);
    mc_grpc_metadata_release(&md);
    free(v);
    assert_serves(f);
}

static void test_deadline_expiry(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;
    uint64_t t0 = mc_now_ms();

    cres_init(&r);
    call = start(f, "/test.Svc/Never", CT_PROTO, NULL, 200, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "x", 1), 0);
    RUN_UNTIL(f, r.done && f->st.cancels == 1);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.code, MC_GRPC_DEADLINE_EXCEEDED);
    assert_true(mc_now_ms() - t0 >= 190);
    assert_true(f->st.last_reason == MC_GRPC_CANCEL_DEADLINE ||
                f->st.last_reason == MC_GRPC_CANCEL_RESET);
    assert_true(f->st.last_deadline > 0);
    cres_release(&r);
}

static void test_micro_timeout_header_sets_deadline(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_metadata md;
    struct cres r;

    /* No client deadline: the server alone enforces micro's nanosecond header. */
    cres_init(&r);
    mc_grpc_metadata_init(&md);
    assert_int_equal(mc_grpc_metadata_add_cstr(&md, "timeout", "150000000"), 0);
    (void)start(f, "/test.Svc/Never", CT_JSON, &md, 0, &r);
    RUN_UNTIL(f, r.done && f->st.cancels == 1);
    assert_int_equal(r.code, MC_GRPC_DEADLINE_EXCEEDED);
    assert_int_equal(f->st.last_reason, MC_GRPC_CANCEL_DEADLINE);
    assert_non_null(mc_grpc_metadata_get(&f->st.last_md, "timeout"));
    mc_grpc_metadata_release(&md);
    cres_release(&r);
}

static void test_client_cancel(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;

    cres_init(&r);
    call = start(f, "/test.Svc/Never", CT_PROTO, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "x", 1), 0);
    RUN_UNTIL(f, f->st.calls == 1);
    mc_grpc_ccall_cancel(call);
    assert_int_equal(r.done, 0); /* delivered later, from the loop */
    RUN_UNTIL(f, r.done && f->st.cancels == 1);
    for (int i = 0; i < 5; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.code, MC_GRPC_CANCELLED);
    assert_int_equal(f->st.last_reason, MC_GRPC_CANCEL_RESET);
    cres_release(&r);
}

static void test_cancel_before_connect(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;

    /* Cancelled before the request HEADERS ever left: on_done still exactly once. */
    cres_init(&r);
    call = start(f, "/test.Svc/Never", CT_PROTO, NULL, 0, &r);
    mc_grpc_ccall_cancel(call);
    RUN_UNTIL(f, r.done);
    for (int i = 0; i < 5; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.code, MC_GRPC_CANCELLED);
    cres_release(&r);
}

static char *pattern(size_t n)
{
    char *p = mc_malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 31 + (i >> 12));
    return p;
}

static void test_oversized_message(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r, r2;
    size_t big = 33u * 1024 * 1024;
    char *p = pattern(big);

    cres_init(&r);
    call = start(f, "/test.Svc/Unary", CT_PROTO, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, p, big), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done && f->st.cancels == 1);
    assert_int_equal(r.code, MC_GRPC_RESOURCE_EXHAUSTED);
    assert_string_equal(r.msg, "grpc: received message larger than max (34603008 vs. 33554432)");
    assert_int_equal(f->st.last_reason, MC_GRPC_CANCEL_PROTOCOL);
    free(p);

    /* The same connection keeps serving. */
    cres_init(&r2);
    call = start(f, "/test.Svc/Unary", CT_PROTO, NULL, 0, &r2);
    assert_int_equal(mc_grpc_ccall_send(call, "after", 5), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r2.done);
    assert_int_equal(r2.code, MC_GRPC_OK);
    assert_string_equal(mc_buf_cstr(&r2.last), "after");
    assert_int_equal(mc_grpc_server_conn_count(f->srv), 1);
    cres_release(&r);
    cres_release(&r2);
}

static void test_16mib_message(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_ccall *call;
    struct cres r;
    size_t n = 16u * 1024 * 1024;
    char *p = pattern(n);

    cres_init(&r);
    call = start(f, "/test.Svc/Unary", CT_PROTO, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, p, n), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_int_equal(f->st.last_len, n);
    assert_int_equal(r.last.len, n);
    assert_memory_equal(r.last.data, p, n);
    free(p);
    cres_release(&r);
}

static void test_send_limit_checked_locally(void **state)
{
    struct fx *f = *state;
    struct mc_grpc_client *cl = mc_grpc_client_new(f->loop, mc_grpc_server_addr(f->srv), NULL);
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary" };
    struct mc_grpc_ccall *call;
    struct cres r;
    size_t big = 32u * 1024 * 1024 + 1;
    char *p = mc_calloc(1, big);

    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), 0);
    assert_int_equal(mc_grpc_ccall_send(call, p, big), MC_ETOOBIG);
    mc_grpc_ccall_cancel(call);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_CANCELLED);
    /* bad options never start a call */
    o.path = "no-slash";
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), MC_EINVAL);
    free(p);
    mc_grpc_client_free(cl);
    cres_release(&r);
}

static int raw_connect(const char *addr)
{
    char host[64];
    int port;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_int_equal(mc_net_split(addr, host, sizeof(host), &port), 0);
    sa.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, host, &sa.sin_addr), 1);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Runs the loop until the server closes fd (reads return 0 or an error). */
static void expect_server_close(struct fx *f, int fd)
{
    char buf[4096];
    uint64_t end = mc_now_ms() + 10000;

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break;
        assert_true(mc_now_ms() < end);
        mc_loop_run_once(f->loop, 10);
    }
    for (int i = 0; i < 3; i++)
        mc_loop_run_once(f->loop, 0);
}

static void assert_serves(struct fx *f)
{
    struct mc_grpc_client *cl = mc_grpc_client_new(f->loop, mc_grpc_server_addr(f->srv), NULL);
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary", .content_type = CT_JSON };
    struct mc_grpc_ccall *call;
    struct cres r;

    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), 0);
    assert_int_equal(mc_grpc_ccall_send(call, "{\"a\":1}", 7), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_string_equal(mc_buf_cstr(&r.last), "{\"a\":1}");
    mc_grpc_client_free(cl);
    cres_release(&r);
}

static void test_garbage_after_preface(void **state)
{
    struct fx *f = *state;
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    static const char garbage[] = "\x00\x00\x06\x04\x00\x00\x00\x00\x00" /* SETTINGS, ok */
                                  "\xff\xff\xff\xee\xee\xee\xee\xee\xee garbage garbage";
    int fd = raw_connect(mc_grpc_server_addr(f->srv));

    assert_int_equal(send(fd, preface, sizeof(preface) - 1, 0), (ssize_t)sizeof(preface) - 1);
    assert_int_equal(send(fd, garbage, sizeof(garbage) - 1, 0), (ssize_t)sizeof(garbage) - 1);
    expect_server_close(f, fd);
    close(fd);
    /* and HTTP/1.1 instead of a preface */
    fd = raw_connect(mc_grpc_server_addr(f->srv));
    assert_true(send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 0) == 27);
    expect_server_close(f, fd);
    close(fd);
    assert_int_equal(mc_grpc_server_conn_count(f->srv), 0);
    assert_serves(f);
}

/* A hand-driven nghttp2 client, to send what our client never would. */
struct raw {
    int fd;
    nghttp2_session *s;
    int grpc_status;
    bool closed;
    bool stream_closed;
    char msg[256];
};

static ssize_t raw_read(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)sid;
    (void)src;
    (void)ud;
    assert_true(len >= 6);
    memcpy(buf, "\x01\x00\x00\x00\x01z", 6); /* compressed flag, no grpc-encoding */
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 6;
}

static int raw_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nlen,
                      const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct raw *r = ud;

    (void)s;
    (void)fr;
    (void)flags;
    if (nlen == 11 && memcmp(name, "grpc-status", 11) == 0) {
        r->grpc_status = 0;
        for (size_t i = 0; i < vlen; i++)
            r->grpc_status = r->grpc_status * 10 + (value[i] - '0');
    }
    if (nlen == 12 && memcmp(name, "grpc-message", 12) == 0)
        snprintf(r->msg, sizeof(r->msg), "%.*s", (int)vlen, (const char *)value);
    return 0;
}

static int raw_close(nghttp2_session *s, int32_t sid, uint32_t code, void *ud)
{
    (void)s;
    (void)sid;
    (void)code;
    ((struct raw *)ud)->stream_closed = true;
    return 0;
}

static void raw_pump(struct raw *r)
{
    const uint8_t *d;
    ssize_t n;
    uint8_t buf[16384];

    while ((n = nghttp2_session_mem_send(r->s, &d)) > 0)
        assert_int_equal(send(r->fd, d, (size_t)n, MSG_NOSIGNAL), n);
    while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        assert_true(nghttp2_session_mem_recv(r->s, buf, (size_t)n) == n);
    if (n == 0)
        r->closed = true;
}

static void test_bad_compressed_flag(void **state)
{
    struct fx *f = *state;
    struct raw r = { .grpc_status = -1 };
    nghttp2_session_callbacks *cbs;
    nghttp2_data_provider prd = { .read_callback = raw_read };
    char authority[64];
    nghttp2_nv nv[] = {
        { (uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0 },
        { (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
        { (uint8_t *)":path", (uint8_t *)"/test.Svc/Unary", 5, 15, 0 },
        { (uint8_t *)":authority", (uint8_t *)authority, 10, 0, 0 },
        { (uint8_t *)"content-type", (uint8_t *)CT_PROTO, 12, strlen(CT_PROTO), 0 },
        { (uint8_t *)"te", (uint8_t *)"trailers", 2, 8, 0 },
    };
    uint64_t end = mc_now_ms() + 10000;

    snprintf(authority, sizeof(authority), "%s", mc_grpc_server_addr(f->srv));
    nv[3].valuelen = strlen(authority);
    r.fd = raw_connect(mc_grpc_server_addr(f->srv));
    assert_int_equal(nghttp2_session_callbacks_new(&cbs), 0);
    nghttp2_session_callbacks_set_on_header_callback(cbs, raw_header);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, raw_close);
    assert_int_equal(nghttp2_session_client_new(&r.s, cbs, &r), 0);
    nghttp2_session_callbacks_del(cbs);
    assert_int_equal(nghttp2_submit_settings(r.s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    assert_true(nghttp2_submit_request(r.s, NULL, nv, MC_ARRAY_LEN(nv), &prd, NULL) > 0);
    while (!r.stream_closed && !r.closed) {
        assert_true(mc_now_ms() < end);
        raw_pump(&r);
        mc_loop_run_once(f->loop, 10);
    }
    assert_int_equal(r.grpc_status, MC_GRPC_INTERNAL);
    assert_non_null(strstr(r.msg, "compressed flag"));
    assert_int_equal(f->st.cancels, 1);
    assert_int_equal(f->st.last_reason, MC_GRPC_CANCEL_PROTOCOL);
    nghttp2_session_del(r.s);
    close(r.fd);
    assert_serves(f);
}

struct many {
    int done;
    int ok;
};

static void m_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct many *m = arg;

    (void)call;
    m->done++;
    m->ok += st->code == MC_GRPC_OK;
}

static void m_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    (void)call;
    (void)arg;
    assert_true(len >= 4 && memcmp(msg, "req-", 4) == 0);
}

static void test_many_concurrent_streams(void **state)
{
    struct fx *f = *state;
    static const struct mc_grpc_ccall_handler h = { .on_message = m_message, .on_done = m_done };
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary", .content_type = CT_PROTO };
    struct many m = { 0, 0 };

    for (int i = 0; i < 200; i++) {
        struct mc_grpc_ccall *call;
        char req[32];
        snprintf(req, sizeof(req), "req-%d", i);
        assert_int_equal(mc_grpc_client_call(f->cl, &o, &h, &m, &call), 0);
        assert_int_equal(mc_grpc_ccall_send(call, req, strlen(req)), 0);
        assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    }
    RUN_UNTIL(f, m.done == 200);
    assert_int_equal(m.ok, 200);
    assert_int_equal(f->st.calls, 200);
    assert_int_equal(mc_grpc_server_conn_count(f->srv), 1);
}

static void test_connection_refused(void **state)
{
    struct fx *f = *state;
    char err[128], addr[64];
    int fd = mc_net_listen("127.0.0.1:0", err, sizeof(err));
    struct mc_grpc_client *cl;
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary" };
    struct mc_grpc_ccall *call;
    struct mc_grpc_unary_result res;
    struct cres r;

    assert_true(fd >= 0);
    assert_int_equal(mc_net_local_addr(fd, addr, sizeof(addr)), 0);
    close(fd); /* nothing listens there now */
    cl = mc_grpc_client_new(f->loop, addr, NULL);
    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_UNAVAILABLE);
    assert_non_null(strstr(r.msg, "connection refused"));
    cres_release(&r);
    /* the next call tries again (and fails the same way) */
    cres_init(&r);
    assert_int_equal(mc_grpc_client_call(cl, &o, &c_handler, &r, &call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_UNAVAILABLE);
    assert_non_null(strstr(r.msg, "connection refused"));
    cres_release(&r);
    mc_grpc_client_free(cl);

    assert_int_equal(mc_grpc_unary_sync(addr, &o, "x", 1, NULL, &res), 0);
    assert_int_equal(res.code, MC_GRPC_UNAVAILABLE);
    assert_non_null(strstr(res.message, "connection refused"));
    mc_grpc_unary_result_release(&res);
}

static void test_reconnect_after_server_restart(void **state)
{
    struct fx *f = *state;
    char addr[64], err[128];
    struct cres r;
    struct mc_grpc_ccall *call;

    snprintf(addr, sizeof(addr), "%s", mc_grpc_server_addr(f->srv));
    assert_serves(f);
    cres_init(&r);
    call = start(f, "/test.Svc/Unary", CT_JSON, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    cres_release(&r);
    /* restart the server on the same port: the client's connection dies */
    mc_grpc_server_free(f->srv);
    mc_loop_run_once(f->loop, 0);
    f->srv = mc_grpc_server_new(f->loop, NULL, on_call, &f->st);
    assert_int_equal(mc_grpc_server_listen(f->srv, addr, err, sizeof(err)), 0);
    for (int i = 0; i < 5; i++)
        mc_loop_run_once(f->loop, 10);
    cres_init(&r);
    call = start(f, "/test.Svc/Unary", CT_JSON, NULL, 0, &r);
    assert_int_equal(mc_grpc_ccall_send(call, "again", 5), 0);
    assert_int_equal(mc_grpc_ccall_close_send(call), 0);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_OK);
    assert_string_equal(mc_buf_cstr(&r.last), "again");
    cres_release(&r);
}

static void test_server_free_cancels_calls(void **state)
{
    struct fx *f = *state;
    struct cres r;

    cres_init(&r);
    (void)start(f, "/test.Svc/Never", CT_PROTO, NULL, 0, &r);
    RUN_UNTIL(f, f->st.calls == 1);
    mc_grpc_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(f->st.cancels, 1);
    assert_int_equal(f->st.last_reason, MC_GRPC_CANCEL_SHUTDOWN);
    RUN_UNTIL(f, r.done);
    assert_int_equal(r.code, MC_GRPC_UNAVAILABLE);
    cres_release(&r);
}

/* The synchronous helper needs the server on another thread's loop. */
struct bg {
    struct mc_loop *loop;
    struct mc_grpc_server *srv;
    struct srv_state st;
    atomic_bool stop;
};

static void *bg_main(void *arg)
{
    struct bg *b = arg;

    while (!atomic_load(&b->stop))
        mc_loop_run_once(b->loop, 20);
    return NULL;
}

static void test_unary_sync(void **state)
{
    struct bg b;
    pthread_t th;
    char err[128];
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary", .content_type = CT_JSON,
                                   .timeout_ms = 5000 };
    struct mc_grpc_unary_result res;
    const struct mc_grpc_md *e;

    (void)state;
    memset(&b, 0, sizeof(b));
    b.loop = mc_loop_new();
    mc_grpc_metadata_init(&b.st.last_md);
    b.srv = mc_grpc_server_new(b.loop, NULL, on_call, &b.st);
    assert_int_equal(mc_grpc_server_listen(b.srv, "127.0.0.1:0", err, sizeof(err)), 0);
    atomic_store(&b.stop, false);
    assert_int_equal(pthread_create(&th, NULL, bg_main, &b), 0);
    assert_int_equal(mc_grpc_unary_sync(mc_grpc_server_addr(b.srv), &o, "{\"x\":2}", 7, NULL, &res), 0);
    atomic_store(&b.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(res.code, MC_GRPC_OK);
    assert_string_equal(res.message, "");
    assert_int_equal(res.response_len, 7);
    assert_string_equal(res.response, "{\"x\":2}");
    e = mc_grpc_metadata_get(&res.trailers, "x-trailer");
    assert_non_null(e);
    assert_non_null(mc_grpc_metadata_get(&res.headers, "srv-bin"));
    mc_grpc_unary_result_release(&res);
    mc_grpc_server_free(b.srv);
    mc_loop_run_once(b.loop, 0);
    mc_loop_free(b.loop);
    mc_grpc_metadata_release(&b.st.last_md);
}

static void bg_start(struct bg *b, const char *addr, pthread_t *th)
{
    char err[128];

    memset(b, 0, sizeof(*b));
    b->loop = mc_loop_new();
    mc_grpc_metadata_init(&b->st.last_md);
    b->srv = mc_grpc_server_new(b->loop, NULL, on_call, &b->st);
    assert_int_equal(mc_grpc_server_listen(b->srv, addr, err, sizeof(err)), 0);
    atomic_store(&b->stop, false);
    assert_int_equal(pthread_create(th, NULL, bg_main, b), 0);
}

static void bg_stop(struct bg *b, pthread_t th)
{
    atomic_store(&b->stop, true);
    pthread_join(th, NULL);
    mc_grpc_server_free(b->srv);
    mc_loop_run_once(b->loop, 0);
    mc_loop_free(b->loop);
    mc_grpc_metadata_release(&b->st.last_md);
}

static void sync_call_ok(struct mc_grpc_sync *sc, const char *body)
{
    struct mc_grpc_call_opts o = { .path = "/test.Svc/Unary", .content_type = CT_JSON,
                                   .timeout_ms = 5000 };
    struct mc_grpc_unary_result res;

    assert_int_equal(mc_grpc_sync_unary(sc, &o, body, strlen(body), &res), 0);
    assert_int_equal(res.code, MC_GRPC_OK);
    assert_int_equal(res.response_len, strlen(body));
    assert_memory_equal(res.response, body, strlen(body));
    mc_grpc_unary_result_release(&res);
}

/* One connection for every call; a server that went away between calls is
 * replaced by a new connection, not a failed call. */
static void test_sync_client_keeps_its_connection(void **state)
{
    struct bg b;
    pthread_t th;
    struct mc_grpc_sync *sc;
    char addr[64];

    (void)state;
    bg_start(&b, "127.0.0.1:0", &th);
    snprintf(addr, sizeof(addr), "%s", mc_grpc_server_addr(b.srv));
    sc = mc_grpc_sync_new(addr, NULL);
    assert_non_null(sc);
    sync_call_ok(sc, "{\"n\":1}");
    sync_call_ok(sc, "{\"n\":2}");
    sync_call_ok(sc, "{\"n\":3}");
    assert_int_equal(mc_grpc_server_conn_count(b.srv), 1);
    bg_stop(&b, th);                 /* closes the connection under the idle client */
    bg_start(&b, addr, &th);         /* a new server on the same port */
    sync_call_ok(sc, "{\"n\":4}");
    assert_int_equal(mc_grpc_server_conn_count(b.srv), 1);
    mc_grpc_sync_free(sc);
    bg_stop(&b, th);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_encoding),
        cmocka_unit_test(test_sync_client_keeps_its_connection),
        cmocka_unit_test(test_percent_and_base64),
        cmocka_unit_test(test_metadata_rules),
        T(test_unary_proto),
        T(test_unary_json),
        T(test_server_streaming),
        T(test_client_streaming),
        T(test_bidi_ping_pong),
        T(test_error_trailers_only),
        T(test_bad_content_type_rejected),
        T(test_header_limits),
        T(test_deadline_expiry),
        T(test_micro_timeout_header_sets_deadline),
        T(test_client_cancel),
        T(test_cancel_before_connect),
        T(test_oversized_message),
        T(test_16mib_message),
        T(test_send_limit_checked_locally),
        T(test_garbage_after_preface),
        T(test_bad_compressed_flag),
        T(test_many_concurrent_streams),
        T(test_connection_refused),
        T(test_reconnect_after_server_restart),
        T(test_server_free_cancels_calls),
        cmocka_unit_test(test_unary_sync),
    };
    return cmocka_run_group_tests_name("grpc", tests, NULL, NULL);
}
