/*
 * libFuzzer target for the server side of gRPC over HTTP/2 (shared/mc_grpc_server.c
 * on shared/mc_h2conn.c and nghttp2). The input is the byte stream a client sends
 * on one connection, after the client preface (the harness sends the 24-byte
 * preface itself so every input starts inside the frame layer). The first input
 * byte picks the server and how the rest is cut into writes: bit 7 set serves
 * through mc_rpc_grpc (routing, codecs, metadata, the stream glue) instead of raw
 * calls; the low 7 bits b give one write when 0, else pieces of 13 * b bytes, so
 * frames also arrive split across reads.
 *
 * The server runs on a real mc_loop and reads one end of a socketpair, exactly as
 * it reads an accepted socket (mc_grpc_server_adopt); the harness writes the
 * input into the other end, turns the loop without waiting and drains what the
 * server answers. No threads, no listening socket. Handlers, chosen by path:
 *   /echo.Echo/Call    unary: answers the last message with the request's
 *                      metadata as response headers and trailers
 *   /echo.Echo/Stream  server stream: three messages after the half-close
 *   /echo.Echo/Bidi    echoes each message as it arrives
 *   /echo.Echo/Fail    answers an error with details from the headers alone
 *   /echo.Echo/Hang    never answers (cancel, reset and deadline paths)
 *   anything else      UNIMPLEMENTED from on_call
 * Through mc_rpc_grpc, service "echo" answers Debug.* (every service has it),
 * Store.Read (unary: echoes the key and Micro-Namespace; key "fail" is a 400) and
 * Store.List (server stream: one answer per request, then OK); service "fwd" is
 * taken by the fallback (as the proxy takes user services) and served by the
 * raw Call handler; any other service gets the route error.
 * At the end the client end is closed, the loop runs until the server has closed
 * and freed the connection, then the server and loop are freed, so leaks of calls
 * or connections show up in libFuzzer's leak check. Deadlines of the raw
 * handlers' calls up to DEADLINE_WAIT_MS are waited for at the end, so they
 * always fire, and longer ones never do; the only timing left is a deadline of a
 * millisecond or two (or one of an mc_rpc_grpc call) firing before the rest of
 * the input instead of after it, or not at all.
 *
 * Seed corpus (tests/fuzz/corpus/h2/): the named files are made by
 * tests/fuzz/gen_h2_corpus.py (valid calls of every kind, a few bad ones); the
 * files named by hash are what 10-minute runs kept (libFuzzer -set_cover_merge).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_grpc_server.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "mc_rpc_grpc.h"
#include "store.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define MAX_TURNS 4096
#define ECHO_MAX (64 * 1024)
#define DEADLINE_WAIT_MS 3

enum kind { K_CALL, K_STREAM, K_BIDI, K_HANG };

struct call {
    struct call *prev, *next;    /* the live calls */
    uint64_t deadline;           /* mc_now_ms() clock, 0: none */
    enum kind kind;
    char *last;                  /* last message (K_CALL) */
    size_t last_len;
    size_t nmsgs;
};

static struct call *live;

static void check(int cond)
{
    if (!cond)
        abort();
}

static void call_free(struct call *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        live = st->next;
    if (st->next)
        st->next->prev = st->prev;
    free(st->last);
    free(st);
}

/* The earliest deadline of a call still in the handler's hands, 0 when none. */
static uint64_t next_deadline(void)
{
    uint64_t soonest = 0;

    for (const struct call *st = live; st; st = st->next)
        if (st->deadline && (!soonest || st->deadline < soonest))
            soonest = st->deadline;
    return soonest;
}

static void on_message(struct mc_grpc_scall *c, const char *msg, size_t len, void *arg)
{
    struct call *st = arg;

    st->nmsgs++;
    if (st->kind == K_BIDI) {
        int rc = mc_grpc_scall_send(c, msg, len);
        check(rc == 0 || rc == MC_ECLOSED);
        return;
    }
    if (st->kind == K_CALL) {
        len = len < ECHO_MAX ? len : ECHO_MAX;
        free(st->last);
        st->last = malloc(len ? len : 1);
        check(st->last != NULL);
        if (len)
            memcpy(st->last, msg, len);
        st->last_len = len;
    }
}

static void on_half_close(struct mc_grpc_scall *c, void *arg)
{
    struct call *st = arg;
    const struct mc_grpc_metadata *md = mc_grpc_scall_metadata(c);
    int rc;

    switch (st->kind) {
    case K_CALL:
        (void)mc_grpc_scall_send_headers(c, md);
        if (st->nmsgs)
            (void)mc_grpc_scall_send(c, st->last, st->last_len);
        rc = mc_grpc_scall_finish(c, MC_GRPC_OK, NULL, NULL, 0, md);
        break;
    case K_STREAM:
        (void)mc_grpc_scall_send(c, "a", 1);
        (void)mc_grpc_scall_send(c, "", 0);
        (void)mc_grpc_scall_send(c, mc_grpc_scall_path(c), strlen(mc_grpc_scall_path(c)));
        rc = mc_grpc_scall_finish(c, MC_GRPC_OK, "done", NULL, 0, NULL);
        break;
    case K_BIDI:
        rc = mc_grpc_scall_finish(c, MC_GRPC_OK, NULL, NULL, 0, NULL);
        break;
    default:
        return; /* K_HANG: the client's half-close changes nothing */
    }
    check(rc == 0 || rc == MC_ECLOSED);
    call_free(st);
}

static void on_cancel(struct mc_grpc_scall *c, enum mc_grpc_cancel_reason reason, void *arg)
{
    (void)c;
    check(mc_grpc_cancel_reason_str(reason)[0] != '\0');
    call_free(arg);
}

static const struct mc_grpc_scall_handler handler = { on_message, on_half_close, on_cancel };

/* Handles c with a raw handler of kind, on the list of live calls. */
static void take_call(struct mc_grpc_scall *c, enum kind kind)
{
    struct call *st = calloc(1, sizeof(*st));

    check(st != NULL);
    st->kind = kind;
    st->deadline = mc_grpc_scall_deadline(c);
    st->next = live;
    if (live)
        live->prev = st;
    live = st;
    mc_grpc_scall_set_handler(c, &handler, st);
}

static void on_call(struct mc_grpc_scall *c, void *arg)
{
    static const struct { const char *path; enum kind kind; } routes[] = {
        { "/echo.Echo/Call", K_CALL },
        { "/echo.Echo/Stream", K_STREAM },
        { "/echo.Echo/Bidi", K_BIDI },
        { "/echo.Echo/Hang", K_HANG },
    };
    const char *path = mc_grpc_scall_path(c);
    const struct mc_grpc_md *who;

    (void)arg;
    check(strncmp(mc_grpc_scall_content_type(c), "application/grpc", 16) == 0);
    (void)mc_grpc_scall_authority(c);
    if (strcmp(path, "/echo.Echo/Fail") == 0) {
        /* an error decided from the headers: held until the request is in */
        who = mc_grpc_metadata_get(mc_grpc_scall_metadata(c), "x-who");
        int rc = mc_grpc_scall_finish(c, MC_GRPC_PERMISSION_DENIED, "denied: caf\xc3\xa9 100%\n",
                                      who ? who->value : "d", who ? who->value_len : 1, NULL);
        check(rc == 0 || rc == MC_ECLOSED);
        return;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(path, routes[i].path) == 0) {
            take_call(c, routes[i].kind);
            return;
        }
    }
    int rc = mc_grpc_scall_finish(c, MC_GRPC_UNIMPLEMENTED, "unknown method", NULL, 0, NULL);
    check(rc == 0 || rc == MC_ECLOSED);
}

/* --- through mc_rpc_grpc ---------------------------------------------------------- */

static int store_read(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                      void *arg)
{
    const Store__ReadRequest *rq = (const Store__ReadRequest *)req;
    Store__ReadResponse *rs = (Store__ReadResponse *)rsp;
    Store__Record *rec;
    const char *ns = ctx->md ? mc_metadata_get(ctx->md, "Micro-Namespace") : NULL;

    (void)arg;
    if (rq->key && strcmp(rq->key, "fail") == 0) {
        mc_error_bad_request(ctx->err, "echo", "bad key %s in %s", rq->key, ctx->ns);
        return MC_EINVAL;
    }
    rec = mc_arena_alloc(ctx->arena, sizeof(*rec));
    store__record__init(rec);
    rec->key = rq->key;
    rec->value.data = (uint8_t *)(ns ? ns : "");
    rec->value.len = ns ? strlen(ns) : 0;
    rec->expiry = (int64_t)(ctx->deadline_ms != 0);
    rs->records = mc_arena_alloc(ctx->arena, sizeof(*rs->records));
    rs->records[0] = rec;
    rs->n_records = 1;
    return 0;
}

static void list_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    const Store__ListRequest *rq = (const Store__ListRequest *)msg;
    Store__ListResponse rs = STORE__LIST_RESPONSE__INIT;
    char *keys[2] = { "k", NULL };

    (void)arg;
    keys[1] = rq->options && rq->options->prefix ? rq->options->prefix : "";
    rs.keys = keys;
    rs.n_keys = 2;
    if (rq->options && rq->options->limit == 7) {
        struct mc_error err;
        mc_error_init(&err);
        mc_error_not_found(&err, "echo", "no %s", keys[1]);
        mc_rpc_stream_finish(st, &err);
        mc_error_release(&err);
        return;
    }
    (void)mc_rpc_stream_send(st, &rs.base);
}

static void list_half_close(struct mc_rpc_stream *st, void *arg)
{
    (void)arg;
    mc_rpc_stream_finish(st, NULL);
}

static void list_cancel(struct mc_rpc_stream *st, void *arg)
{
    (void)st;
    (void)arg;
}

static int store_list(struct mc_rpc_stream *st, void *arg)
{
    static const struct mc_rpc_stream_ops ops = { list_message, list_half_close, list_cancel };

    (void)arg;
    mc_rpc_stream_set_ops(st, &ops, NULL);
    return 0;
}

static bool fallback(struct mc_grpc_scall *c, const char *service, void *arg)
{
    (void)arg;
    if (strcmp(service, "fwd") != 0)
        return false;
    take_call(c, K_CALL);
    return true;
}

static struct mc_rpc_server *rpc_table(void)
{
    struct mc_rpc_server *rpc = mc_rpc_server_new();
    struct mc_rpc_service *svc = mc_rpc_server_add(rpc, "echo");

    check(svc != NULL);
    check(mc_rpc_service_handle(svc, &store__store__descriptor, "Read", store_read, NULL) == 0);
    check(mc_rpc_service_handle_stream(svc, &store__store__descriptor, "List",
                                       MC_RPC_STREAM_SERVER, store_list, NULL) == 0);
    return rpc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mc_log_set_level(MC_LOG_FATAL);
    return 0;
}

/* Reads and drops whatever the server wrote. True when something was read. */
static bool drain(int fd)
{
    char buf[16384];
    bool got = false;

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            return got;
        got = true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_loop *loop = mc_loop_new();
    struct mc_grpc_limits lim;
    struct mc_grpc_server *srv;
    struct mc_rpc_server *rpc = NULL;
    struct mc_rpc_grpc *g = NULL;
    size_t off = 0, piece;
    int sv[2], idle = 0;

    check(loop != NULL);
    if (size == 0) {
        mc_loop_free(loop);
        return 0;
    }
    piece = data[0] & 0x7f ? (size_t)(data[0] & 0x7f) * 13 : SIZE_MAX;
    data++;
    size--;
    /* small limits so the fuzzer reaches them */
    mc_grpc_limits_default(&lim);
    lim.max_recv_msg = 4096;
    lim.max_send_msg = 4096;
    lim.max_header_bytes = 2048;
    lim.max_metadata = 16;
    lim.max_streams = 8;
    lim.stream_window = 65535;
    lim.conn_window = 65535;
    if (data[-1] & 0x80) {
        rpc = rpc_table();
        g = mc_rpc_grpc_new(loop, rpc, &lim);
        mc_rpc_grpc_set_fallback(g, fallback, NULL);
        srv = mc_rpc_grpc_server(g);
    } else {
        srv = mc_grpc_server_new(loop, &lim, on_call, NULL);
    }
    check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    check(mc_grpc_server_adopt(srv, sv[0]) == 0);
    check(send(sv[1], PREFACE, sizeof(PREFACE) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(PREFACE) - 1);

    for (int turn = 0; turn < MAX_TURNS && idle < 3; turn++) {
        bool progress = false;
        if (off < size) {
            size_t want = size - off < piece ? size - off : piece;
            ssize_t n = send(sv[1], data + off, want, MSG_NOSIGNAL);
            if (n > 0) {
                off += (size_t)n;
                progress = true;
            } else if (n < 0 && errno != EAGAIN) {
                off = size; /* the server closed: nothing more goes in */
            }
        }
        mc_loop_run_once(loop, 0);
        progress |= drain(sv[1]);
        if (mc_grpc_server_conn_count(srv) == 0)
            break;
        idle = progress || off < size ? 0 : idle + 1;
    }

    /* Deadlines within DEADLINE_WAIT_MS always fire (waiting for them costs little),
     * later ones never do: the same input takes the same path every time. */
    for (int turn = 0; turn < 16 && mc_grpc_server_conn_count(srv) > 0; turn++) {
        uint64_t now = mc_now_ms(), soonest = next_deadline();
        if (!soonest || soonest > now + DEADLINE_WAIT_MS)
            break;
        mc_loop_run_once(loop, (int)(soonest > now ? soonest - now : 0) + 1);
        (void)drain(sv[1]);
    }

    /* the client goes away: the server must close and free everything */
    close(sv[1]);
    for (int turn = 0; turn < 64 && mc_grpc_server_conn_count(srv) > 0; turn++)
        mc_loop_run_once(loop, 0);
    check(mc_grpc_server_conn_count(srv) == 0);
    check(live == NULL); /* every handler got its on_cancel or finished */
    if (g)
        mc_rpc_grpc_free(g);
    else
        mc_grpc_server_free(srv);
    for (int turn = 0; turn < 4; turn++)
        mc_loop_run_once(loop, 0);
    mc_loop_free(loop);
    mc_rpc_server_free(rpc);
    return 0;
}
