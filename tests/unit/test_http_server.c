/*
 * Tests for the HTTP/1.1 server (shared/mc_http_server.c) over real loopback
 * sockets: the server runs on a loop in the test's thread, and each test's
 * client runs in its own thread with plain blocking sockets, recording what
 * it read; the test thread checks the transcript after joining it (cmocka
 * assertions only work in the test's thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_http_server.h"
#include "mc_loop.h"
#include "mc_net.h"

struct fixture {
    struct mc_loop *loop;
    struct mc_http_server *srv;
    struct mc_http_server_options opts;
    int handled;
    int aborts;
    int late_rc;        /* what a late answer to an aborted exchange returned */
    int late_answers;
    int stream_write_rc;
};

/* ---- the handler ------------------------------------------------------------ */

struct pending {
    struct fixture *f;
    struct mc_http_exchange *ex;
    struct mc_timer *timer;
    int step;
};

static struct pending *pending_new(struct fixture *f, struct mc_http_exchange *ex)
{
    struct pending *p = mc_calloc(1, sizeof(*p));
    p->f = f;
    p->ex = ex;
    return p;
}

static void on_async(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct pending *p = arg;
    assert_int_equal(mc_http_exchange_add_header(p->ex, "Content-Type", "text/plain"), 0);
    assert_int_equal(mc_http_exchange_respond(p->ex, 200, "async", 5), 0);
    free(p);
}

static void on_hang_abort(struct mc_http_exchange *ex, void *arg)
{
    struct pending *p = arg;
    p->f->aborts++;
    assert_true(mc_http_exchange_aborted(ex));
    /* The request is still readable after the client left. */
    assert_string_equal(mc_http_exchange_request(ex)->target.ptr, "/hang");
}

static void on_hang_late(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct pending *p = arg;
    p->f->late_rc = mc_http_exchange_respond(p->ex, 200, "late", 4);
    p->f->late_answers++;
    free(p);
}

static void on_abort_respond(struct mc_http_exchange *ex, void *arg)
{
    struct fixture *f = arg;
    f->aborts++;
    f->late_rc = mc_http_exchange_respond(ex, 500, "x", 1);
    f->late_answers++;
}

static void on_stream_tick(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct pending *p = arg;
    static const char *parts[] = { "b", "cc" };

    if (p->step < 2) {
        assert_int_equal(mc_http_exchange_write(p->ex, parts[p->step], strlen(parts[p->step])), 0);
        p->step++;
        return;
    }
    assert_int_equal(mc_http_exchange_end(p->ex), 0);
    mc_loop_timer_cancel(loop, t);
    free(p);
}

/* Writes until the client goes away, then ends the stream. */
static void on_forever_tick(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct pending *p = arg;
    int rc = mc_http_exchange_write(p->ex, "tick\n", 5);

    if (rc == MC_OK)
        return;
    p->f->stream_write_rc = rc;
    assert_int_equal(mc_http_exchange_end(p->ex), MC_ECLOSED);
    mc_loop_timer_cancel(loop, t);
    free(p);
}

static void echo(struct mc_http_exchange *ex, const struct mc_http1_request *r)
{
    struct mc_buf b;

    mc_buf_init(&b, 1 << 20);
    assert_int_equal(mc_buf_appendf(&b, "%s %s\n", r->method.ptr, r->target.ptr), 0);
    assert_int_equal(mc_buf_append(&b, r->body.ptr, r->body.len), 0);
    assert_int_equal(mc_http_exchange_add_header(ex, "X-Test", "yes"), 0);
    assert_int_equal(mc_http_exchange_respond(ex, 200, b.data, b.len), 0);
    mc_buf_release(&b);
}

static void handler(struct mc_http_exchange *ex, void *arg)
{
    struct fixture *f = arg;
    const struct mc_http1_request *r = mc_http_exchange_request(ex);
    struct mc_slice path, query;

    f->handled++;
    mc_http1_target_split(r->target, &path, &query);
    if (mc_slice_eq_cstr(path, "/async")) {
        mc_loop_timer_add(f->loop, 30, 0, on_async, pending_new(f, ex));
    } else if (mc_slice_eq_cstr(path, "/hang")) {
        struct pending *p = pending_new(f, ex);
        mc_http_exchange_on_abort(ex, on_hang_abort, p);
        mc_loop_timer_add(f->loop, 500, 0, on_hang_late, p);
    } else if (mc_slice_eq_cstr(path, "/abort-respond")) {
        mc_http_exchange_on_abort(ex, on_abort_respond, f);
    } else if (mc_slice_eq_cstr(path, "/stream")) {
        assert_int_equal(mc_http_exchange_start(ex, 200), 0);
        assert_int_equal(mc_http_exchange_write(ex, "a", 1), 0);
        assert_int_equal(mc_http_exchange_write(ex, "", 0), 0);
        mc_loop_timer_add(f->loop, 20, 20, on_stream_tick, pending_new(f, ex));
    } else if (mc_slice_eq_cstr(path, "/forever")) {
        assert_int_equal(mc_http_exchange_start(ex, 200), 0);
        mc_loop_timer_add(f->loop, 5, 5, on_forever_tick, pending_new(f, ex));
    } else if (mc_slice_eq_cstr(path, "/big")) {
        size_t n = 3u << 20;
        char *big = mc_malloc(n);
        for (size_t i = 0; i < n; i++)
            big[i] = (char)('a' + i % 26);
        assert_int_equal(mc_http_exchange_respond(ex, 200, big, n), 0);
        free(big);
    } else if (mc_slice_eq_cstr(path, "/upgrade")) {
        static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\n";
        struct mc_buf unsent, unread;
        int fd = mc_http_exchange_detach(ex, &unsent, &unread);
        assert_true(fd >= 0);
        assert_int_equal(unsent.len, 0);
        assert_int_equal(send(fd, sw, sizeof(sw) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(sw) - 1);
        assert_int_equal(send(fd, unread.data, unread.len, MSG_NOSIGNAL), (ssize_t)unread.len);
        mc_buf_release(&unsent);
        mc_buf_release(&unread);
        close(fd);
    } else if (mc_slice_eq_cstr(path, "/close")) {
        assert_int_equal(mc_http_exchange_add_header(ex, "Connection", "close"), 0);
        assert_int_equal(mc_http_exchange_respond(ex, 200, "bye", 3), 0);
    } else if (mc_slice_eq_cstr(path, "/nocontent")) {
        assert_int_equal(mc_http_exchange_respond(ex, 204, "ignored", 7), 0);
    } else if (mc_slice_eq_cstr(path, "/badheaders")) {
        assert_int_equal(mc_http_exchange_add_header(ex, "Content-Length", "5"), MC_EINVAL);
        assert_int_equal(mc_http_exchange_add_header(ex, "X-Bad", "a\r\nInjected: 1"), MC_EINVAL);
        assert_int_equal(mc_http_exchange_add_header(ex, "Bad Name", "v"), MC_EINVAL);
        assert_int_equal(mc_http_exchange_write(ex, "x", 1), MC_EINVAL);
        assert_int_equal(mc_http_exchange_respond(ex, 99, "", 0), MC_EINVAL);
        assert_int_equal(mc_http_exchange_respond(ex, 200, "fine", 4), 0);
    } else {
        echo(ex, r);
    }
}

/* ---- fixture ---------------------------------------------------------------- */

static struct fixture *fixture_new(const struct mc_http_server_options *opts)
{
    struct fixture *f = mc_calloc(1, sizeof(*f));
    char err[256];

    f->loop = mc_loop_new();
    assert_non_null(f->loop);
    if (opts)
        f->opts = *opts;
    else
        mc_http_server_options_default(&f->opts);
    f->srv = mc_http_server_new(f->loop, &f->opts, handler, f);
    assert_string_equal(mc_http_server_address(f->srv), "");
    assert_int_equal(mc_http_server_listen(f->srv, "127.0.0.1:0", err, sizeof(err)), 0);
    assert_int_equal(mc_http_server_listen(f->srv, "127.0.0.1:0", err, sizeof(err)), MC_EEXIST);
    assert_non_null(strstr(mc_http_server_address(f->srv), "127.0.0.1:"));
    assert_true(strcmp(mc_http_server_address(f->srv), "127.0.0.1:0") != 0);
    return f;
}

static void fixture_free(struct fixture *f)
{
    mc_http_server_free(f->srv);
    mc_loop_free(f->loop);
    free(f);
}

/* Runs the loop until the server holds no connection (or 5 s pass). */
static void spin_until_no_connections(struct fixture *f)
{
    uint64_t end = mc_now_ms() + 5000;

    while (mc_http_server_connections(f->srv) > 0 && mc_now_ms() < end)
        mc_loop_run_once(f->loop, 5);
    assert_int_equal(mc_http_server_connections(f->srv), 0);
}

/* ---- the client thread -------------------------------------------------------- */

struct client {
    char addr[80];
    void (*script)(struct client *c);
    pthread_t thread;
    atomic_int done;
    int failed_line;        /* first failed CHECK in the thread, 0 if none */
    struct mc_buf got[4];   /* responses or transcripts, as the script decides */
    uint64_t elapsed_ms;
};

#define CHECK(c, cond)                                        \
    do {                                                      \
        if (!(cond) && !(c)->failed_line)                     \
            (c)->failed_line = __LINE__;                      \
    } while (0)

static int tconnect(struct client *c)
{
    char host[64];
    int port, fd;
    struct sockaddr_in sin;
    struct timeval tv = { 5, 0 };

    if (mc_net_split(c->addr, host, sizeof(host), &port) < 0)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &sin.sin_addr);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(struct client *c, int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) {
            CHECK(c, !"send failed");
            return;
        }
        s += k;
        n -= (size_t)k;
    }
}

#define SEND(c, fd, lit) send_all((c), (fd), (lit), strlen(lit))

/* Reads until the peer closes; false on timeout or error. */
static bool read_to_eof(int fd, struct mc_buf *out)
{
    for (;;) {
        char *dst = mc_buf_reserve(out, 65536);
        ssize_t n;
        if (!dst)
            return false;
        n = recv(fd, dst, 65536, 0);
        if (n == 0)
            return true;
        if (n < 0)
            return false;
        mc_buf_commit(out, (size_t)n);
    }
}

/* Length of the first complete response in data (Content-Length framed, or a
 * 1xx head), 0 while incomplete. */
static size_t response_len(const char *data, size_t len)
{
    const char *end = memmem(data, len, "\r\n\r\n", 4);
    const char *cl;
    size_t head;

    if (!end)
        return 0;
    head = (size_t)(end - data) + 4;
    if (len >= 10 && memcmp(data, "HTTP/1.1 1", 10) == 0)
        return head;
    cl = memmem(data, head, "Content-Length: ", 16);
    if (!cl)
        return 0;
    {
        size_t body = strtoul(cl + 16, NULL, 10);
        return len >= head + body ? head + body : 0;
    }
}

/* Reads one response into out (bytes past it stay in carry). */
static bool read_response(int fd, struct mc_buf *carry, struct mc_buf *out)
{
    for (;;) {
        size_t n = response_len(carry->data ? carry->data : "", carry->len);
        char buf[65536];
        ssize_t k;

        if (n > 0) {
            mc_buf_append(out, carry->data, n);
            mc_buf_consume(carry, n);
            return true;
        }
        k = recv(fd, buf, sizeof(buf), 0);
        if (k <= 0)
            return false;
        mc_buf_append(carry, buf, (size_t)k);
    }
}

/* Reads one response head into out, for answers without a body (HEAD, 204). */
static bool read_head_only(int fd, struct mc_buf *carry, struct mc_buf *out)
{
    for (;;) {
        const char *end = memmem(carry->data ? carry->data : "", carry->len, "\r\n\r\n", 4);
        char buf[512];
        ssize_t k;

        if (end) {
            size_t n = (size_t)(end - carry->data) + 4;
            mc_buf_append(out, carry->data, n);
            mc_buf_consume(carry, n);
            return true;
        }
        k = recv(fd, buf, sizeof(buf), 0);
        if (k <= 0)
            return false;
        mc_buf_append(carry, buf, (size_t)k);
    }
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    uint64_t t0 = mc_now_ms();

    c->script(c);
    c->elapsed_ms = mc_now_ms() - t0;
    atomic_store(&c->done, 1);
    return NULL;
}

/* Starts script in a thread, runs the loop until it finishes, joins it. */
static void run_client(struct fixture *f, struct client *c, void (*script)(struct client *))
{
    uint64_t deadline = mc_now_ms() + 15000;

    memset(c, 0, sizeof(*c));
    snprintf(c->addr, sizeof(c->addr), "%s", mc_http_server_address(f->srv));
    c->script = script;
    for (size_t i = 0; i < MC_ARRAY_LEN(c->got); i++)
        mc_buf_init(&c->got[i], 64u << 20);
    assert_int_equal(pthread_create(&c->thread, NULL, client_main, c), 0);
    while (!atomic_load(&c->done) && mc_now_ms() < deadline)
        mc_loop_run_once(f->loop, 5);
    assert_true(atomic_load(&c->done));
    pthread_join(c->thread, NULL);
    if (c->failed_line)
        fail_msg("client check failed at line %d", c->failed_line);
}

static void client_release(struct client *c)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(c->got); i++)
        mc_buf_release(&c->got[i]);
}

static const char *got(struct client *c, int i)
{
    return mc_buf_cstr(&c->got[i]);
}

/* ---- tests ------------------------------------------------------------------ */

static void script_keep_alive(struct client *c)
{
    struct mc_buf carry;
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    mc_buf_init(&carry, 1 << 20);
    SEND(c, fd, "GET /one HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_response(fd, &carry, &c->got[0]));
    SEND(c, fd, "GET /two?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(c, read_to_eof(fd, &carry));
    mc_buf_append(&c->got[1], carry.data, carry.len);
    mc_buf_release(&carry);
    close(fd);
}

static void test_keep_alive_two_requests(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_keep_alive);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nDate: "));
    assert_non_null(strstr(got(&c, 0), " GMT\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nContent-Length: 9\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nX-Test: yes\r\n"));
    assert_null(strstr(got(&c, 0), "Connection:"));
    assert_non_null(strstr(got(&c, 0), "\r\n\r\nGET /one\n"));
    /* The second answer came over the same connection, which then closed. */
    assert_non_null(strstr(got(&c, 1), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 1), "\r\nConnection: close\r\n"));
    assert_non_null(strstr(got(&c, 1), "\r\n\r\nGET /two?x=1\n"));
    assert_int_equal(f->handled, 2);
    spin_until_no_connections(f);
    client_release(&c);
    fixture_free(f);
}

static void script_pipelined(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /first HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"
                "POST /third HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody"
                "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_pipelined_in_order(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;
    const char *a, *b, *d, *e;

    (void)state;
    run_client(f, &c, script_pipelined);
    a = strstr(got(&c, 0), "GET /first\n");
    b = strstr(got(&c, 0), "\r\n\r\nasync");
    d = strstr(got(&c, 0), "POST /third\nbody");
    e = strstr(got(&c, 0), "GET /last\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    assert_non_null(e);
    assert_true(a < b && b < d && d < e);
    assert_int_equal(f->handled, 4);
    client_release(&c);
    fixture_free(f);
}

static void script_chunked_post(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n5\r\nhello\r\n");
    usleep(20000);
    SEND(c, fd, "7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_chunked_post(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_chunked_post);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\n\r\nPOST /upload\nhello, world"));
    client_release(&c);
    fixture_free(f);
}

static void script_expect_continue(struct client *c)
{
    struct mc_buf carry;
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    mc_buf_init(&carry, 1 << 20);
    SEND(c, fd, "PUT /put HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    CHECK(c, read_response(fd, &carry, &c->got[0]));   /* the interim 100 */
    SEND(c, fd, "abc");
    CHECK(c, read_response(fd, &carry, &c->got[1]));
    mc_buf_release(&carry);
    close(fd);
}

static void test_expect_continue(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_expect_continue);
    assert_string_equal(got(&c, 0), "HTTP/1.1 100 Continue\r\n\r\n");
    assert_non_null(strstr(got(&c, 1), "\r\n\r\nPUT /put\nabc"));
    client_release(&c);
    fixture_free(f);
}

static void script_async(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /async HTTP/1.0\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_async_response(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_async);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nContent-Type: text/plain\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nConnection: close\r\n")); /* HTTP/1.0 default */
    assert_non_null(strstr(got(&c, 0), "\r\n\r\nasync"));
    assert_true(c.elapsed_ms >= 25);
    client_release(&c);
    fixture_free(f);
}

static void script_send_and_leave(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, c->got[3].data ? c->got[3].data : "");
    usleep(50000);
    close(fd);
}

static void run_leaving_client(struct fixture *f, struct client *c, const char *request)
{
    /* got[3] carries the request into the script (set before the thread starts). */
    uint64_t deadline = mc_now_ms() + 15000;

    memset(c, 0, sizeof(*c));
    snprintf(c->addr, sizeof(c->addr), "%s", mc_http_server_address(f->srv));
    c->script = script_send_and_leave;
    for (size_t i = 0; i < MC_ARRAY_LEN(c->got); i++)
        mc_buf_init(&c->got[i], 1 << 20);
    mc_buf_append_str(&c->got[3], request);
    assert_int_equal(pthread_create(&c->thread, NULL, client_main, c), 0);
    while (!atomic_load(&c->done) && mc_now_ms() < deadline)
        mc_loop_run_once(f->loop, 5);
    pthread_join(c->thread, NULL);
    assert_int_equal(c->failed_line, 0);
}

/* Runs the loop until *counter reaches want (or 5 s pass). */
static void spin_until(struct fixture *f, const int *counter, int want)
{
    uint64_t end = mc_now_ms() + 5000;

    while (*counter < want && mc_now_ms() < end)
        mc_loop_run_once(f->loop, 5);
}

static void test_client_leaves_before_async_answer(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    f->late_rc = 1;
    run_leaving_client(f, &c, "GET /hang HTTP/1.1\r\nHost: t\r\n\r\n");
    spin_until(f, &f->aborts, 1);
    assert_int_equal(f->aborts, 1);
    assert_int_equal(f->late_answers, 0);
    /* The connection is held until the handler answers... */
    assert_int_equal(mc_http_server_connections(f->srv), 1);
    spin_until(f, &f->late_answers, 1);
    /* ...and answering is a harmless no-op that releases it. */
    assert_int_equal(f->late_answers, 1);
    assert_int_equal(f->late_rc, MC_ECLOSED);
    spin_until_no_connections(f);
    assert_int_equal(f->aborts, 1);
    client_release(&c);
    fixture_free(f);
}

static void test_answer_from_abort_callback(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_leaving_client(f, &c, "GET /abort-respond HTTP/1.1\r\nHost: t\r\n\r\n");
    spin_until_no_connections(f);
    assert_int_equal(f->aborts, 1);
    assert_int_equal(f->late_answers, 1);
    assert_int_equal(f->late_rc, MC_ECLOSED);
    client_release(&c);
    fixture_free(f);
}

static void test_free_with_pending_exchange(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;
    int fd;

    (void)state;
    /* A client that stays connected while the handler holds the exchange:
     * freeing the server tells the handler, which answers from the callback. */
    memset(&c, 0, sizeof(c));
    snprintf(c.addr, sizeof(c.addr), "%s", mc_http_server_address(f->srv));
    fd = tconnect(&c);
    assert_true(fd >= 0);
    {
        static const char req[] = "GET /abort-respond HTTP/1.1\r\nHost: t\r\n\r\n";
        assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
    }
    while (f->handled == 0)
        mc_loop_run_once(f->loop, 5);
    mc_http_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(f->aborts, 1);
    assert_int_equal(f->late_rc, MC_ECLOSED);
    close(fd);
    mc_loop_free(f->loop);
    free(f);
}

static void script_stream(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
    fd = tconnect(c);
    SEND(c, fd, "GET /stream HTTP/1.0\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[1]));
    close(fd);
}

static void test_streaming_response(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;
    const char *body;

    (void)state;
    run_client(f, &c, script_stream);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nTransfer-Encoding: chunked\r\n"));
    assert_null(strstr(got(&c, 0), "Content-Length"));
    body = strstr(got(&c, 0), "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "1\r\na\r\n1\r\nb\r\n2\r\ncc\r\n0\r\n\r\n");
    /* HTTP/1.0 has no chunked encoding: the body ends when the connection does. */
    assert_null(strstr(got(&c, 1), "Transfer-Encoding"));
    assert_non_null(strstr(got(&c, 1), "\r\nConnection: close\r\n"));
    body = strstr(got(&c, 1), "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "abcc");
    client_release(&c);
    fixture_free(f);
}

static void test_stream_client_leaves(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_leaving_client(f, &c, "GET /forever HTTP/1.1\r\nHost: t\r\n\r\n");
    spin_until_no_connections(f);
    assert_int_equal(f->stream_write_rc, MC_ECLOSED);
    client_release(&c);
    fixture_free(f);
}

static void script_big_headers(struct client *c)
{
    int fd = tconnect(c);
    char line[2100];

    CHECK(c, fd >= 0);
    memset(line, 'x', sizeof(line));
    memcpy(line, "X-Big: ", 7);
    SEND(c, fd, "GET / HTTP/1.1\r\nHost: t\r\n");
    send_all(c, fd, line, sizeof(line));
    SEND(c, fd, "\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_oversized_headers_431(void **state)
{
    struct mc_http_server_options o;
    struct fixture *f;
    struct client c;

    (void)state;
    mc_http_server_options_default(&o);
    o.limits.max_head_bytes = 1024;
    f = fixture_new(&o);
    run_client(f, &c, script_big_headers);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nConnection: close\r\n"));
    assert_int_equal(f->handled, 0);
    client_release(&c);
    fixture_free(f);
}

static void script_big_body(struct client *c)
{
    int fd = tconnect(c);
    char *body = mc_calloc(1, 200000);

    CHECK(c, fd >= 0);
    SEND(c, fd, "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n");
    /* The server may answer and stop reading before all of it is sent. */
    send(fd, body, 200000, MSG_NOSIGNAL);
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
    fd = tconnect(c);
    SEND(c, fd, "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "800\r\n");
    send_all(c, fd, body, 0x800);
    SEND(c, fd, "\r\n0\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[1]));
    close(fd);
    free(body);
}

static void test_oversized_body_413(void **state)
{
    struct mc_http_server_options o;
    struct fixture *f;
    struct client c;

    (void)state;
    mc_http_server_options_default(&o);
    o.limits.max_body_bytes = 1000;
    f = fixture_new(&o);
    run_client(f, &c, script_big_body);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 413 Request Entity Too Large\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\nConnection: close\r\n"));
    assert_non_null(strstr(got(&c, 1), "HTTP/1.1 413 Request Entity Too Large\r\n"));
    assert_int_equal(f->handled, 0);
    spin_until_no_connections(f);
    client_release(&c);
    fixture_free(f);
}

static void script_malformed(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /bad HTTP/1.1\r\nHost: t\r\nBad Header: 1\r\n\r\n"
                "GET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
    fd = tconnect(c);
    SEND(c, fd, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[1]));
    close(fd);
    fd = tconnect(c);
    SEND(c, fd, "GET / HTTP/3.0\r\nHost: t\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[2]));
    close(fd);
}

static void test_malformed_400_and_close(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;
    const char *ok, *bad;

    (void)state;
    run_client(f, &c, script_malformed);
    ok = strstr(got(&c, 0), "GET /ok\n");
    bad = strstr(got(&c, 0), "HTTP/1.1 400 Bad Request\r\n");
    assert_non_null(ok);
    assert_non_null(bad);
    assert_true(ok < bad);
    assert_non_null(strstr(bad, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(bad, "malformed header field name"));
    assert_null(strstr(got(&c, 0), "/never"));
    assert_non_null(strstr(got(&c, 1), "HTTP/1.1 501 Not Implemented\r\n"));
    assert_non_null(strstr(got(&c, 2), "HTTP/1.1 505 HTTP Version Not Supported\r\n"));
    assert_int_equal(f->handled, 1);
    client_release(&c);
    fixture_free(f);
}

static void script_misc(struct client *c)
{
    struct mc_buf carry;
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    mc_buf_init(&carry, 1 << 20);
    SEND(c, fd, "HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_head_only(fd, &carry, &c->got[0]));
    SEND(c, fd, "GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_head_only(fd, &carry, &c->got[1]));
    CHECK(c, carry.len == 0);
    SEND(c, fd, "GET /badheaders HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c, read_response(fd, &carry, &c->got[2]));
    SEND(c, fd, "GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_to_eof(fd, &carry));
    mc_buf_append(&c->got[3], carry.data, carry.len);
    mc_buf_release(&carry);
    close(fd);
}

static void test_head_204_keepalive10_and_close(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_misc);
    /* HEAD: the length of the body it would have had, and no body. */
    assert_non_null(strstr(got(&c, 0), "\r\nContent-Length: 11\r\n"));
    assert_true(strstr(got(&c, 0), "\r\n\r\n")[4] == '\0');
    /* Nothing (no HEAD body) came between the two answers. */
    assert_memory_equal(got(&c, 1), "HTTP/1.1 204 No Content\r\n", 25);
    assert_null(strstr(got(&c, 1), "Content-Length"));
    assert_true(strstr(got(&c, 1), "\r\n\r\n")[4] == '\0');
    assert_non_null(strstr(got(&c, 2), "\r\nConnection: keep-alive\r\n"));
    assert_non_null(strstr(got(&c, 2), "\r\n\r\nfine"));
    assert_null(strstr(got(&c, 2), "Injected"));
    assert_non_null(strstr(got(&c, 3), "\r\nConnection: close\r\n"));
    assert_non_null(strstr(got(&c, 3), "\r\n\r\nbye"));
    assert_int_equal(f->handled, 4);
    client_release(&c);
    fixture_free(f);
}

static void script_big_responses(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /tail HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    usleep(100000); /* let the server fill the socket and hit its high-water mark */
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_backpressure_large_responses(void **state)
{
    struct mc_http_server_options o;
    struct fixture *f;
    struct client c;
    const char *p;
    size_t n = 3u << 20;

    (void)state;
    mc_http_server_options_default(&o);
    o.write_high_water = 64 * 1024;
    f = fixture_new(&o);
    run_client(f, &c, script_big_responses);
    p = got(&c, 0);
    for (int i = 0; i < 2; i++) {
        const char *body = strstr(p, "\r\n\r\n");
        assert_non_null(body);
        body += 4;
        for (size_t k = 0; k < n; k += 4099)
            assert_int_equal(body[k], 'a' + k % 26);
        p = body + n;
        assert_memory_equal(p, "HTTP/1.1 200 OK\r\n", 17);
    }
    assert_non_null(strstr(p, "GET /tail\n"));
    client_release(&c);
    fixture_free(f);
}

static void script_idle(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    CHECK(c, read_to_eof(fd, &c->got[0]));   /* closed by the server, not by our timeout */
    close(fd);
    fd = tconnect(c);
    SEND(c, fd, "GET / HTTP/1.1\r\nHo");     /* a request that never completes */
    CHECK(c, read_to_eof(fd, &c->got[1]));
    close(fd);
}

static void test_idle_and_request_timeouts(void **state)
{
    struct mc_http_server_options o;
    struct fixture *f;
    struct client c;

    (void)state;
    mc_http_server_options_default(&o);
    o.idle_timeout_ms = 100;
    o.request_timeout_ms = 150;
    f = fixture_new(&o);
    run_client(f, &c, script_idle);
    assert_int_equal(c.got[0].len, 0);
    assert_non_null(strstr(got(&c, 1), "HTTP/1.1 408 Request Timeout\r\n"));
    assert_true(c.elapsed_ms < 3000);
    spin_until_no_connections(f);
    client_release(&c);
    fixture_free(f);
}

static void script_cap(struct client *c)
{
    struct mc_buf carry;
    int first = tconnect(c);
    int second;

    CHECK(c, first >= 0);
    mc_buf_init(&carry, 1 << 20);
    SEND(c, first, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_response(first, &carry, &c->got[0]));
    second = tconnect(c);
    CHECK(c, second >= 0);
    CHECK(c, read_to_eof(second, &c->got[1]));
    close(second);
    close(first);
    mc_buf_release(&carry);
}

static void test_connection_cap(void **state)
{
    struct mc_http_server_options o;
    struct fixture *f;
    struct client c;

    (void)state;
    mc_http_server_options_default(&o);
    o.max_connections = 1;
    f = fixture_new(&o);
    run_client(f, &c, script_cap);
    assert_non_null(strstr(got(&c, 0), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got(&c, 1), "HTTP/1.1 503 Service Unavailable\r\n"));
    client_release(&c);
    fixture_free(f);
}

static void script_shutdown(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_graceful_shutdown(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;
    uint64_t deadline = mc_now_ms() + 5000;
    char addr[80];

    (void)state;
    snprintf(addr, sizeof(addr), "%s", mc_http_server_address(f->srv));
    memset(&c, 0, sizeof(c));
    snprintf(c.addr, sizeof(c.addr), "%s", addr);
    c.script = script_shutdown;
    for (size_t i = 0; i < MC_ARRAY_LEN(c.got); i++)
        mc_buf_init(&c.got[i], 1 << 20);
    assert_int_equal(pthread_create(&c.thread, NULL, client_main, &c), 0);
    while (f->handled == 0 && mc_now_ms() < deadline)
        mc_loop_run_once(f->loop, 5);
    mc_http_server_shutdown(f->srv);
    /* New connections are refused at once... */
    assert_true(tconnect(&c) < 0);
    /* ...while the request in progress is still answered, then closed. */
    while (!atomic_load(&c.done) && mc_now_ms() < deadline)
        mc_loop_run_once(f->loop, 5);
    pthread_join(c.thread, NULL);
    assert_int_equal(c.failed_line, 0);
    assert_non_null(strstr(got(&c, 0), "\r\nConnection: close\r\n"));
    assert_non_null(strstr(got(&c, 0), "\r\n\r\nasync"));
    spin_until_no_connections(f);
    client_release(&c);
    fixture_free(f);
}

static void script_upgrade(struct client *c)
{
    int fd = tconnect(c);

    CHECK(c, fd >= 0);
    SEND(c, fd, "GET /upgrade HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
                "EXTRA");
    CHECK(c, read_to_eof(fd, &c->got[0]));
    close(fd);
}

static void test_detach_for_upgrade(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct client c;

    (void)state;
    run_client(f, &c, script_upgrade);
    assert_string_equal(got(&c, 0), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\nEXTRA");
    spin_until_no_connections(f);
    client_release(&c);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_two_requests),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_chunked_post),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_async_response),
        cmocka_unit_test(test_client_leaves_before_async_answer),
        cmocka_unit_test(test_answer_from_abort_callback),
        cmocka_unit_test(test_free_with_pending_exchange),
        cmocka_unit_test(test_streaming_response),
        cmocka_unit_test(test_stream_client_leaves),
        cmocka_unit_test(test_oversized_headers_431),
        cmocka_unit_test(test_oversized_body_413),
        cmocka_unit_test(test_malformed_400_and_close),
        cmocka_unit_test(test_head_204_keepalive10_and_close),
        cmocka_unit_test(test_backpressure_large_responses),
        cmocka_unit_test(test_idle_and_request_timeouts),
        cmocka_unit_test(test_connection_cap),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_detach_for_upgrade),
    };

    return cmocka_run_group_tests_name("http_server", tests, NULL, NULL);
}
