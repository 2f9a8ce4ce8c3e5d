/*
 * HTTP/1.1 server on mc_loop (see mc_http_server.h). Each connection owns
 * an input buffer of bytes not yet parsed, an output buffer of bytes not yet
 * written, a parser and one embedded exchange, since a connection has at
 * most one request being answered at a time. Work that must not happen
 * inside a caller's stack frame (processing after an asynchronous answer,
 * telling a handler its client left, freeing a connection) is queued on the
 * server and run from a zero-delay loop timer, which, unlike a deferred
 * callback, can be cancelled when the server is freed. A second, periodic
 * timer enforces the timeouts.
 */
#include "mc_http_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_log.h"
#include "mc_net.h"

#include "mc_banned.h"

#define IN_MAX (64u * 1024u)        /* unparsed input held per connection */
#define READ_CHUNK (16u * 1024u)
#define HEADERS_MAX (64u * 1024u)   /* response headers added by a handler */
#define HEAD_SLACK 1024u            /* status line and automatic headers */
#define OUT_SLACK 64u               /* room past max_output for a stream's last chunk */
#define LINGER_MS 2000u             /* reading leftovers after our last response */
#define ACCEPT_BATCH 64
#define ACCEPT_RETRY_MS 100u

enum { EX_NONE, EX_PENDING, EX_STREAMING };

enum framing { FRAME_LENGTH, FRAME_NONE, FRAME_CHUNKED };

struct conn;

struct mc_http_exchange {
    struct conn *conn;
    int state;
    bool aborted;
    bool close;        /* the handler asked for Connection: close */
    bool has_date;     /* the handler supplied Date */
    bool chunked;      /* the stream is chunked (else delimited by close) */
    bool no_body;      /* HEAD request, 204 or 304: headers only */
    bool keep;         /* a stream's connection stays open after it */
    mc_http_abort_cb on_abort;
    void *abort_arg;
    struct mc_buf headers; /* "Name: value\r\n" lines from the handler */
};

struct conn {
    struct mc_http_server *srv;
    struct conn *prev, *next;   /* all connections of the server */
    struct conn *kick_next;     /* queue of connections with pending work */
    bool kicked;
    int fd;                     /* -1 once closed */
    unsigned watched;           /* events registered with the loop */
    struct mc_http1_parser parser;
    struct mc_buf in;
    struct mc_buf out;
    size_t out_off;             /* bytes of out already written */
    uint64_t last_active;       /* loop time of the last read/write progress */
    uint64_t request_start;     /* loop time of the first byte of the current request */
    uint64_t linger_start;
    bool peer_eof;              /* the client will send nothing more */
    bool close_after_flush;     /* no further requests: close once out is written */
    bool lingering;             /* write side shut, discarding input before close */
    bool closed;                /* fd closed; freed once the exchange is answered */
    bool in_handler;
    struct mc_http_exchange ex;
};

struct mc_http_server {
    struct mc_loop *loop;
    struct mc_http_server_options opts;
    mc_http_handler handler;
    void *arg;
    int lfd;
    char addr[80];
    struct conn *conns;
    size_t nconns;
    struct conn *kick_head, *kick_tail;
    struct mc_timer *kick_timer;
    struct mc_timer *sweep_timer;
    struct mc_timer *accept_timer;
    bool draining;
    bool freeing;
    int64_t date_sec;
    char date[40];
};

static void conn_process(struct conn *c);
static void conn_update(struct conn *c);

void mc_http_server_options_default(struct mc_http_server_options *o)
{
    mc_http1_limits_default(&o->limits);
    o->max_connections = MC_HTTP_SERVER_DEFAULT_MAX_CONNECTIONS;
    o->idle_timeout_ms = MC_HTTP_SERVER_DEFAULT_IDLE_MS;
    o->request_timeout_ms = MC_HTTP_SERVER_DEFAULT_REQUEST_MS;
    o->write_high_water = MC_HTTP_SERVER_DEFAULT_HIGH_WATER;
    o->max_output = MC_HTTP_SERVER_DEFAULT_MAX_OUTPUT;
    o->error_body = NULL;
    o->error_body_arg = NULL;
}

static size_t queued(const struct conn *c)
{
    return c->out.len - c->out_off;
}

/* ---- deferred work --------------------------------------------------------- */

static void conn_free(struct conn *c)
{
    struct mc_http_server *s = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    mc_http1_parser_release(&c->parser);
    mc_buf_release(&c->in);
    mc_buf_release(&c->out);
    mc_buf_release(&c->ex.headers);
    free(c);
}

/* A closed connection: tell the handler once, free when it has answered. */
static void conn_finalize(struct conn *c)
{
    struct mc_http_exchange *ex = &c->ex;

    if (ex->state != EX_NONE && !ex->aborted) {
        ex->aborted = true;
        if (ex->on_abort)
            ex->on_abort(ex, ex->abort_arg);
        return; /* its answer, now or later, queues us again */
    }
    if (ex->state == EX_NONE)
        conn_free(c);
}

static void on_kick(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_http_server *s = arg;
    struct conn *c = s->kick_head;

    s->kick_head = s->kick_tail = NULL;
    s->kick_timer = NULL;
    while (c) {
        struct conn *next = c->kick_next;
        c->kicked = false;
        if (c->closed) {
            conn_finalize(c);
        } else {
            conn_process(c);
            conn_update(c);
        }
        c = next;
    }
}

/* Queues c for processing from the loop rather than from the caller's frame. */
static void kick(struct conn *c)
{
    struct mc_http_server *s = c->srv;

    if (c->kicked || s->freeing)
        return;
    c->kicked = true;
    c->kick_next = NULL;
    if (s->kick_tail)
        s->kick_tail->kick_next = c;
    else
        s->kick_head = c;
    s->kick_tail = c;
    if (!s->kick_timer)
        s->kick_timer = mc_loop_timer_add(s->loop, 0, 0, on_kick, s);
}

/* Closes the socket now; the rest (abort callback, free) happens from the loop. */
static void conn_close(struct conn *c)
{
    if (c->closed)
        return;
    if (c->fd >= 0) {
        mc_loop_del_fd(c->srv->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    c->closed = true;
    mc_buf_release(&c->in);
    mc_buf_release(&c->out);
    c->out_off = 0;
    kick(c);
}

/* ---- output ---------------------------------------------------------------- */

static const char *http_date(struct mc_http_server *s)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    int64_t now = mc_unix_time();

    if (now != s->date_sec) {
        time_t t = (time_t)now;
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL)
            return s->date;
        snprintf(s->date, sizeof(s->date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = now;
    }
    return s->date;
}

/* Status line and headers; ex NULL for answers the server makes itself. */
static void build_head(struct conn *c, const struct mc_http_exchange *ex, struct mc_buf *h,
                       int status, enum framing f, size_t len, bool keep)
{
    mc_buf_appendf(h, "HTTP/1.1 %d %s\r\n", status, mc_http1_reason(status));
    if (!ex || !ex->has_date)
        mc_buf_appendf(h, "Date: %s\r\n", http_date(c->srv));
    if (f == FRAME_LENGTH)
        mc_buf_appendf(h, "Content-Length: %zu\r\n", len);
    else if (f == FRAME_CHUNKED)
        mc_buf_append_str(h, "Transfer-Encoding: chunked\r\n");
    if (!keep)
        mc_buf_append_str(h, "Connection: close\r\n");
    else if (c->parser.req.version_minor == 0)
        mc_buf_append_str(h, "Connection: keep-alive\r\n");
    if (ex)
        mc_buf_append(h, ex->headers.data, ex->headers.len);
    mc_buf_append_str(h, "\r\n");
}

/* Appends head and body to the output, or nothing (MC_ETOOBIG) past max_output. */
static int queue_output(struct conn *c, const struct mc_buf *head, const void *body, size_t len)
{
    size_t max = c->srv->opts.max_output;

    if (c->out_off > 0) {
        mc_buf_consume(&c->out, c->out_off);
        c->out_off = 0;
    }
    if (head->len > max || len > max - head->len || c->out.len > max - head->len - len)
        return MC_ETOOBIG;
    mc_buf_append(&c->out, head->data, head->len);
    if (len)
        mc_buf_append(&c->out, body, len);
    return MC_OK;
}

/* A response made by the server itself (errors, timeouts); closes afterwards. */
static void reply_error(struct conn *c, int status, const char *detail)
{
    struct mc_buf head, body;
    const char *type = "text/plain; charset=utf-8";
    const struct mc_http_server_options *o = &c->srv->opts;

    mc_buf_init(&head, HEAD_SLACK + 256);
    mc_buf_init(&body, 2048);
    if (o->error_body)
        type = o->error_body(status, detail, &body, o->error_body_arg);
    else
        mc_buf_appendf(&body, "%d %s: %.400s\n", status, mc_http1_reason(status), detail);
    build_head(c, NULL, &head, status, FRAME_LENGTH, body.len, false);
    /* Content-Type goes before the blank line ending the head. */
    head.len -= 2;
    mc_buf_appendf(&head, "Content-Type: %.200s\r\n\r\n", type);
    queue_output(c, &head, body.data, body.len);
    mc_buf_release(&head);
    mc_buf_release(&body);
    c->close_after_flush = true;
}

static void flush(struct conn *c)
{
    while (queued(c) > 0) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, queued(c), MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->last_active = mc_loop_now(c->srv->loop);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            conn_close(c);
            return;
        }
    }
    /* Everything written: drop big storage, reuse small. */
    if (c->out.cap > IN_MAX)
        mc_buf_release(&c->out);
    else
        mc_buf_reset(&c->out);
    c->out_off = 0;
}

/* ---- input ----------------------------------------------------------------- */

static void discard_input(struct conn *c)
{
    char junk[4096];

    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(c->fd, junk, sizeof(junk), 0);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 && errno == EINTR)
            continue;
        conn_close(c);
        return;
    }
}

static void read_input(struct conn *c)
{
    size_t room = IN_MAX - c->in.len;
    char *dst;
    ssize_t n;

    if (c->lingering) {
        discard_input(c);
        return;
    }
    if (room == 0 || c->peer_eof)
        return;
    dst = mc_buf_reserve(&c->in, MC_MIN(room, READ_CHUNK));
    n = recv(c->fd, dst, MC_MIN(room, READ_CHUNK), 0);
    if (n > 0) {
        mc_buf_commit(&c->in, (size_t)n);
        c->last_active = mc_loop_now(c->srv->loop);
    } else if (n == 0) {
        c->peer_eof = true;
        /* Like Go's net/http: a client that stops sending while its request
         * is being answered has gone, so the handler can stop working. */
        if (c->ex.state != EX_NONE)
            conn_close(c);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        conn_close(c);
    }
}

/* ---- requests -------------------------------------------------------------- */

static void dispatch(struct conn *c)
{
    struct mc_http_exchange *ex = &c->ex;
    const struct mc_http1_request *r = &c->parser.req;

    ex->state = EX_PENDING;
    ex->aborted = false;
    ex->close = false;
    ex->has_date = false;
    ex->chunked = false;
    ex->no_body = mc_slice_eq_cstr(r->method, "HEAD");
    ex->keep = false;
    ex->on_abort = NULL;
    ex->abort_arg = NULL;
    mc_buf_reset(&ex->headers);
    c->in_handler = true;
    c->srv->handler(ex, c->srv->arg);
    c->in_handler = false;
}

static void maybe_continue(struct conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    const struct mc_http1_request *r = &c->parser.req;

    if (r->expect_continue && (r->chunked || r->content_length > 0)) {
        struct mc_buf h;
        mc_buf_init(&h, sizeof(cont));
        mc_buf_append(&h, cont, sizeof(cont) - 1);
        queue_output(c, &h, NULL, 0);
        mc_buf_release(&h);
    }
}

/* Parses and dispatches buffered requests while nothing is being answered. */
static void conn_process(struct conn *c)
{
    struct mc_http_server *s = c->srv;

    while (!c->closed && c->ex.state == EX_NONE && !c->close_after_flush &&
           queued(c) < s->opts.write_high_water) {
        size_t used = 0;
        int rc;

        if (mc_http1_parser_idle(&c->parser) && c->in.len > 0)
            c->request_start = mc_loop_now(s->loop);
        rc = mc_http1_parse(&c->parser, mc_buf_cstr(&c->in), c->in.len, &used);
        mc_buf_consume(&c->in, used);
        if (rc < 0) {
            reply_error(c, mc_http1_error_status(&c->parser), mc_http1_error_detail(&c->parser));
        } else if (rc == MC_HTTP1_HEAD) {
            maybe_continue(c);
        } else if (rc == MC_HTTP1_NEED_MORE) {
            if (c->peer_eof)
                c->close_after_flush = true;
            return;
        } else {
            dispatch(c);
        }
    }
}

/* Writes what it can, starts closing when done, and sets the events to watch. */
static void conn_update(struct conn *c)
{
    struct mc_http_server *s = c->srv;
    unsigned want = 0;

    if (c->closed)
        return;
    flush(c);
    if (c->closed)
        return;
    /* Writing may have brought the output under the high-water mark with
     * pipelined requests still buffered: no read event will come for them. */
    if (c->in.len > 0 && c->ex.state == EX_NONE && !c->close_after_flush &&
        queued(c) < s->opts.write_high_water)
        kick(c);
    if (queued(c) == 0 && c->close_after_flush && c->ex.state == EX_NONE && !c->lingering) {
        if (c->peer_eof) {
            conn_close(c);
            return;
        }
        /* Closing with unread input makes the kernel send RST, which can destroy
         * our last response before the client reads it: shut the write side and
         * drain for a while instead (what nginx calls lingering close). */
        shutdown(c->fd, SHUT_WR);
        c->lingering = true;
        c->linger_start = mc_loop_now(s->loop);
        mc_buf_release(&c->in);
    }
    if (c->lingering || (!c->peer_eof && !c->close_after_flush && c->in.len < IN_MAX &&
                         queued(c) < s->opts.write_high_water))
        want |= MC_READ;
    if (queued(c) > 0)
        want |= MC_WRITE;
    if (want != c->watched && mc_loop_mod_fd(s->loop, c->fd, want) == MC_OK)
        c->watched = want;
}

static void on_io(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct conn *c = arg;

    if (events & MC_WRITE)
        flush(c);
    if (!c->closed && (events & MC_READ))
        read_input(c);
    else if (!c->closed && (events & MC_HUP) && !(events & MC_WRITE))
        conn_close(c); /* hang-up or error while we were not reading */
    if (c->closed)
        return;
    conn_process(c);
    conn_update(c);
}

/* ---- answering ------------------------------------------------------------- */

static bool keep_open(const struct conn *c)
{
    return c->parser.req.keep_alive && !c->ex.close && !c->srv->draining && !c->peer_eof;
}

/* The exchange is answered: reset for the next request and resume the connection. */
static void exchange_done(struct conn *c, bool keep)
{
    struct mc_http_exchange *ex = &c->ex;

    ex->state = EX_NONE;
    ex->on_abort = NULL;
    mc_buf_reset(&ex->headers);
    if (!c->closed) {
        mc_http1_parser_reset(&c->parser);
        if (!keep)
            c->close_after_flush = true;
        c->last_active = mc_loop_now(c->srv->loop);
    }
    /* Inside the handler the processing loop carries on by itself, unless the
     * connection is gone (detached): then only the loop can free it. */
    if (!c->in_handler || c->closed)
        kick(c);
}

const struct mc_http1_request *mc_http_exchange_request(const struct mc_http_exchange *ex)
{
    return &ex->conn->parser.req;
}

bool mc_http_exchange_aborted(const struct mc_http_exchange *ex)
{
    return ex->conn->closed;
}

void mc_http_exchange_on_abort(struct mc_http_exchange *ex, mc_http_abort_cb cb, void *arg)
{
    ex->on_abort = cb;
    ex->abort_arg = arg;
}

size_t mc_http_exchange_buffered(const struct mc_http_exchange *ex)
{
    return ex->conn->closed ? 0 : queued(ex->conn);
}

static bool header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("!#$%&'*+-.^_`|~", ch)))
            return false;
    }
    return true;
}

static bool header_value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

static bool has_close_token(const char *v)
{
    struct mc_slice s = mc_slice_cstr(v);
    size_t i = 0;

    while (i < s.len) {
        size_t b, e;
        while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == ','))
            i++;
        b = i;
        while (i < s.len && s.ptr[i] != ',' && s.ptr[i] != ' ' && s.ptr[i] != '\t')
            i++;
        e = i;
        if (mc_slice_ieq_cstr((struct mc_slice){ s.ptr + b, e - b }, "close"))
            return true;
    }
    return false;
}

int mc_http_exchange_add_header(struct mc_http_exchange *ex, const char *name, const char *value)
{
    struct mc_slice n = mc_slice_cstr(name);

    if (ex->state != EX_PENDING || !header_name_ok(name) || !header_value_ok(value))
        return MC_EINVAL;
    if (mc_slice_ieq_cstr(n, "content-length") || mc_slice_ieq_cstr(n, "transfer-encoding"))
        return MC_EINVAL;
    if (mc_slice_ieq_cstr(n, "connection")) {
        if (has_close_token(value))
            ex->close = true;
        return MC_OK; /* the server writes Connection itself */
    }
    if (mc_buf_appendf(&ex->headers, "%s: %s\r\n", name, value) < 0)
        return MC_ETOOBIG;
    if (mc_slice_ieq_cstr(n, "date"))
        ex->has_date = true;
    return MC_OK;
}

int mc_http_exchange_respond(struct mc_http_exchange *ex, int status, const void *body, size_t len)
{
    struct conn *c = ex->conn;
    struct mc_buf head;
    bool bodiless = status == 204 || status == 304;
    bool keep;
    int rc;

    if (ex->state != EX_PENDING || status < 200 || status > 999)
        return MC_EINVAL;
    if (c->closed) {
        exchange_done(c, false);
        return MC_ECLOSED;
    }
    keep = keep_open(c);
    mc_buf_init(&head, HEADERS_MAX + HEAD_SLACK);
    build_head(c, ex, &head, status, bodiless ? FRAME_NONE : FRAME_LENGTH, len, keep);
    rc = queue_output(c, &head, body, (bodiless || ex->no_body) ? 0 : len);
    mc_buf_release(&head);
    if (rc < 0)
        return rc;
    exchange_done(c, keep);
    return MC_OK;
}

int mc_http_exchange_start(struct mc_http_exchange *ex, int status)
{
    struct conn *c = ex->conn;
    struct mc_buf head;
    bool bodiless = status == 204 || status == 304;
    int rc;

    if (ex->state != EX_PENDING || status < 200 || status > 999)
        return MC_EINVAL;
    if (c->closed) {
        ex->state = EX_STREAMING;
        return MC_ECLOSED;
    }
    ex->chunked = c->parser.req.version_minor == 1 && !bodiless;
    /* Without chunked encoding only closing the connection can end the body. */
    ex->keep = (ex->chunked || bodiless) && keep_open(c);
    ex->no_body = ex->no_body || bodiless;
    mc_buf_init(&head, HEADERS_MAX + HEAD_SLACK);
    build_head(c, ex, &head, status, ex->chunked ? FRAME_CHUNKED : FRAME_NONE, 0, ex->keep);
    rc = queue_output(c, &head, NULL, 0);
    mc_buf_release(&head);
    if (rc < 0)
        return rc;
    ex->state = EX_STREAMING;
    if (!c->in_handler)
        kick(c);
    return MC_OK;
}

int mc_http_exchange_write(struct mc_http_exchange *ex, const void *data, size_t len)
{
    struct conn *c = ex->conn;
    struct mc_buf frame;
    int rc;

    if (ex->state != EX_STREAMING)
        return MC_EINVAL;
    if (c->closed)
        return MC_ECLOSED;
    if (len == 0 || ex->no_body)
        return MC_OK;
    mc_buf_init(&frame, 32);
    if (ex->chunked)
        mc_buf_appendf(&frame, "%zx\r\n", len);
    rc = queue_output(c, &frame, data, len);
    /* The chunk's CRLF fits in the OUT_SLACK kept past max_output. */
    if (rc == MC_OK && ex->chunked)
        mc_buf_append(&c->out, "\r\n", 2);
    mc_buf_release(&frame);
    if (rc < 0)
        return rc;
    if (!c->in_handler)
        kick(c);
    return MC_OK;
}

int mc_http_exchange_end(struct mc_http_exchange *ex)
{
    struct conn *c = ex->conn;

    if (ex->state != EX_STREAMING)
        return MC_EINVAL;
    if (c->closed) {
        exchange_done(c, false);
        return MC_ECLOSED;
    }
    /* The out buffer keeps OUT_SLACK bytes past max_output for this. */
    if (ex->chunked && !ex->no_body)
        mc_buf_append(&c->out, "0\r\n\r\n", 5);
    exchange_done(c, ex->keep);
    return MC_OK;
}

int mc_http_exchange_detach(struct mc_http_exchange *ex, struct mc_buf *unsent,
                            struct mc_buf *unread)
{
    struct conn *c = ex->conn;
    int fd;

    if (ex->state != EX_PENDING)
        return MC_EINVAL;
    if (c->closed) {
        exchange_done(c, false);
        return MC_ECLOSED;
    }
    mc_buf_consume(&c->out, c->out_off);
    c->out_off = 0;
    *unsent = c->out;
    *unread = c->in;
    mc_buf_init(&c->out, c->out.max);
    mc_buf_init(&c->in, IN_MAX);
    mc_loop_del_fd(c->srv->loop, c->fd);
    fd = c->fd;
    c->fd = -1;
    c->closed = true;
    exchange_done(c, false);
    return fd;
}

/* ---- connections and the listener ----------------------------------------- */

static void conn_new(struct mc_http_server *s, int fd)
{
    struct conn *c = mc_calloc(1, sizeof(*c));

    c->srv = s;
    c->fd = fd;
    mc_http1_parser_init(&c->parser, &s->opts.limits);
    mc_buf_init(&c->in, IN_MAX);
    mc_buf_init(&c->out, s->opts.max_output + OUT_SLACK);
    mc_buf_init(&c->ex.headers, HEADERS_MAX);
    c->ex.conn = c;
    c->last_active = mc_loop_now(s->loop);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    if (mc_loop_add_fd(s->loop, fd, MC_READ, on_io, c) < 0) {
        mc_log_warn("cannot watch http connection: %s", mc_strerror(MC_EIO));
        close(fd);
        c->fd = -1;
        c->closed = true;
        kick(c);
        return;
    }
    c->watched = MC_READ;
}

/* Over the connection cap: a best-effort 503 rather than a silent close. */
static void refuse(int fd)
{
    static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";

    if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* nothing more we can do for this client */
    }
    close(fd);
}

static void on_accept(struct mc_loop *loop, int fd, unsigned events, void *arg);

static void on_accept_retry(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_http_server *s = arg;

    s->accept_timer = NULL;
    if (s->lfd >= 0)
        mc_loop_mod_fd(loop, s->lfd, MC_READ);
}

static void on_accept(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct mc_http_server *s = arg;

    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int cfd = mc_net_accept(s->lfd);
        if (cfd == MC_EAGAIN)
            return;
        if (cfd < 0) {
            /* Typically EMFILE: the pending connection stays readable, so pause
             * rather than spin on it. */
            mc_log_warn("cannot accept on '%s': %s", s->addr, strerror(errno));
            mc_loop_mod_fd(loop, s->lfd, 0);
            s->accept_timer = mc_loop_timer_add(loop, ACCEPT_RETRY_MS, 0, on_accept_retry, s);
            return;
        }
        if (s->nconns >= s->opts.max_connections || s->draining)
            refuse(cfd);
        else
            conn_new(s, cfd);
    }
}

/* Closes idle keep-alive connections, stalled writers and slow requests. */
static void on_sweep(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_http_server *s = arg;
    uint64_t now = mc_loop_now(loop);

    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->closed)
            continue;
        if (c->lingering) {
            if (now - c->linger_start >= MC_MIN(LINGER_MS, s->opts.idle_timeout_ms))
                conn_close(c);
        } else if (queued(c) > 0) {
            if (now - c->last_active >= s->opts.idle_timeout_ms)
                conn_close(c);
        } else if (c->ex.state != EX_NONE) {
            continue; /* the handler's time is its own business */
        } else if (mc_http1_parser_idle(&c->parser) && c->in.len == 0) {
            if (now - c->last_active >= s->opts.idle_timeout_ms)
                conn_close(c);
        } else if (now - c->request_start >= s->opts.request_timeout_ms) {
            reply_error(c, 408, "request not received in time");
            conn_update(c);
        }
    }
}

struct mc_http_server *mc_http_server_new(struct mc_loop *loop,
                                          const struct mc_http_server_options *opts,
                                          mc_http_handler handler, void *arg)
{
    struct mc_http_server *s = mc_calloc(1, sizeof(*s));

    s->loop = loop;
    if (opts)
        s->opts = *opts;
    else
        mc_http_server_options_default(&s->opts);
    s->handler = handler;
    s->arg = arg;
    s->lfd = -1;
    s->date_sec = -1;
    return s;
}

int mc_http_server_listen(struct mc_http_server *s, const char *addr, char *errbuf, size_t errlen)
{
    uint64_t tick = MC_MIN(s->opts.idle_timeout_ms, s->opts.request_timeout_ms) / 4;
    int fd;

    if (s->lfd >= 0 || s->draining)
        return MC_EEXIST;
    fd = mc_net_listen(addr, errbuf, errlen);
    if (fd < 0)
        return fd;
    if (mc_net_local_addr(fd, s->addr, sizeof(s->addr)) < 0 ||
        mc_loop_add_fd(s->loop, fd, MC_READ, on_accept, s) < 0) {
        snprintf(errbuf, errlen, "cannot listen on '%s': %s", addr, mc_strerror(MC_EIO));
        close(fd);
        s->addr[0] = '\0';
        return MC_EADDR;
    }
    s->lfd = fd;
    tick = MC_MAX(MC_MIN(tick, 1000u), 10u);
    s->sweep_timer = mc_loop_timer_add(s->loop, tick, tick, on_sweep, s);
    return MC_OK;
}

const char *mc_http_server_address(const struct mc_http_server *s)
{
    return s->addr;
}

size_t mc_http_server_connections(const struct mc_http_server *s)
{
    return s->nconns;
}

static void close_listener(struct mc_http_server *s)
{
    if (s->lfd >= 0) {
        mc_loop_del_fd(s->loop, s->lfd);
        close(s->lfd);
        s->lfd = -1;
    }
    mc_loop_timer_cancel(s->loop, s->accept_timer);
    s->accept_timer = NULL;
}

void mc_http_server_shutdown(struct mc_http_server *s)
{
    close_listener(s);
    s->draining = true;
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->closed || c->ex.state != EX_NONE || !mc_http1_parser_idle(&c->parser) ||
            c->in.len > 0)
            continue;
        c->close_after_flush = true;
        kick(c);
    }
}

void mc_http_server_free(struct mc_http_server *s)
{
    if (!s)
        return;
    s->freeing = true;
    close_listener(s);
    mc_loop_timer_cancel(s->loop, s->kick_timer);
    mc_loop_timer_cancel(s->loop, s->sweep_timer);
    while (s->conns) {
        struct conn *c = s->conns;
        if (c->fd >= 0) {
            mc_loop_del_fd(s->loop, c->fd);
            close(c->fd);
            c->fd = -1;
        }
        c->closed = true;
        if (c->ex.state != EX_NONE && !c->ex.aborted) {
            c->ex.aborted = true;
            if (c->ex.on_abort)
                c->ex.on_abort(&c->ex, c->ex.abort_arg);
        }
        conn_free(c);
    }
    free(s);
}
