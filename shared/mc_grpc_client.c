/*
 * gRPC client over nghttp2: see mc_grpc_client.h. A call's final status is
 * decided once (complete()) and delivered from a deferred callback; the call
 * is freed when that delivery is done and its HTTP/2 stream is gone, so
 * neither nghttp2 nor the user ever sees a freed call.
 */
#include "mc_grpc_client.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_grpc_frame.h"
#include "mc_h2conn.h"
#include "mc_log.h"
#include "mc_net.h"
#include "mc_banned.h"

#define MAX_STATUS_MSG (64 * 1024)

struct cconn {
    struct mc_h2conn h;            /* first: the hooks cast back */
    struct mc_grpc_client *cl;     /* NULL once the client is freed */
    struct cconn *prev, *next;
    struct mc_grpc_ccall *calls;   /* calls submitted here and not yet freed */
    bool usable;                   /* new calls may go here (no GOAWAY, not closed) */
    bool was_connected;
    char addr[256];                /* for error messages after the client is gone */
};

struct mc_grpc_client {
    struct mc_loop *loop;
    char *addr;
    struct mc_grpc_limits lim;
    struct cconn *conn;            /* the one new calls use, NULL when none */
    struct cconn *conns;           /* every open connection */
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
};

struct mc_grpc_ccall {
    struct mc_loop *loop;
    struct cconn *conn;            /* NULL when never submitted */
    int32_t sid;
    struct mc_grpc_ccall *prev, *next;
    struct mc_grpc_ccall_handler h;
    void *arg;
    struct mc_grpc_frame_decoder dec;
    struct mc_h2_outq out;
    size_t max_send;
    size_t max_md, max_header_bytes;
    struct mc_timer *timer;
    /* response */
    int http_status;
    char *ctype;
    struct mc_grpc_metadata hdrs, trl;
    size_t hdr_bytes;
    bool has_grpc_status;
    int grpc_status;
    struct mc_buf gmsg;            /* decoded grpc-message */
    struct mc_buf gdetails;        /* decoded grpc-status-details-bin */
    /* final status */
    int code;
    char *message;
    /* state */
    bool send_closed, stream_open, done, delivered;
};

/* --- call lifetime ---------------------------------------------------------------- */

static void ccall_free(struct mc_grpc_ccall *c)
{
    if (c->conn) {
        if (c->prev)
            c->prev->next = c->next;
        else
            c->conn->calls = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    mc_grpc_frame_decoder_release(&c->dec);
    mc_h2_outq_release(&c->out);
    mc_grpc_metadata_release(&c->hdrs);
    mc_grpc_metadata_release(&c->trl);
    mc_buf_release(&c->gmsg);
    mc_buf_release(&c->gdetails);
    free(c->ctype);
    free(c->message);
    if (c->conn)
        mc_h2conn_unref(&c->conn->h);
    free(c);
}

static void maybe_free(struct mc_grpc_ccall *c)
{
    if (c->delivered && !c->stream_open)
        ccall_free(c);
}

static void deliver(struct mc_loop *loop, void *arg)
{
    struct mc_grpc_ccall *c = arg;
    struct mc_grpc_status st = {
        .code = c->code,
        .message = c->message ? c->message : "",
        .details = c->gdetails.len ? c->gdetails.data : NULL,
        .details_len = c->gdetails.len,
        .trailers = &c->trl,
    };

    (void)loop;
    c->h.on_done(c, &st, c->arg);
    c->delivered = true;
    maybe_free(c);
}

static void stop_timer(struct mc_grpc_ccall *c, struct mc_loop *loop)
{
    if (c->timer) {
        mc_loop_timer_cancel(loop, c->timer);
        c->timer = NULL;
    }
}

/* Decides the final status (first decision wins) and schedules on_done. */
static void complete(struct mc_grpc_ccall *c, struct mc_loop *loop, int code, const char *msg)
{
    if (c->done)
        return;
    c->done = true;
    stop_timer(c, loop);
    c->code = code;
    c->message = mc_strdup(msg ? msg : "");
    mc_loop_defer(loop, deliver, c);
}

static struct mc_loop *call_loop(const struct mc_grpc_ccall *c)
{
    return c->loop;
}

static bool stream_usable(const struct mc_grpc_ccall *c)
{
    return c->conn && c->stream_open && !c->conn->h.closed && !c->conn->h.close_req;
}

/* Ends the call locally and resets its stream. */
static void abort_stream(struct mc_grpc_ccall *c, int code, const char *msg)
{
    complete(c, call_loop(c), code, msg);
    if (stream_usable(c)) {
        nghttp2_submit_rst_stream(c->conn->h.session, NGHTTP2_FLAG_NONE, c->sid, NGHTTP2_CANCEL);
        mc_h2conn_schedule(&c->conn->h);
    }
}

/* --- nghttp2 callbacks ------------------------------------------------------------ */

static ssize_t read_cb(nghttp2_session *session, int32_t sid, uint8_t *buf, size_t length,
                       uint32_t *flags, nghttp2_data_source *src, void *user_data)
{
    struct mc_grpc_ccall *c = src->ptr;
    size_t n = mc_h2_outq_read(&c->out, buf, length);

    (void)session;
    (void)sid;
    (void)user_data;
    if (c->out.bytes == 0 && c->send_closed) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
}

static void add_response_md(struct mc_grpc_ccall *c, struct mc_grpc_metadata *md,
                            const char *name, size_t nlen, const uint8_t *value, size_t vlen)
{
    if (md->count >= c->max_md)
        return; /* over the limit: dropped (the byte limit bounds the work) */
    if (mc_grpc_key_is_bin(name, nlen)) {
        struct mc_buf b;
        mc_buf_init(&b, vlen + 4);
        if (mc_grpc_base64_decode(&b, (const char *)value, vlen) == 0)
            (void)mc_grpc_metadata_add(md, name, nlen, mc_buf_cstr(&b), b.len);
        mc_buf_release(&b);
        return;
    }
    (void)mc_grpc_metadata_add(md, name, nlen, (const char *)value, vlen);
}

static bool name_is(const uint8_t *name, size_t nlen, const char *s)
{
    return nlen == strlen(s) && memcmp(name, s, nlen) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct mc_grpc_ccall *c = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    bool trailers;

    (void)flags;
    (void)ud;
    if (!c || c->done || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    c->hdr_bytes += nlen + vlen;
    if (c->hdr_bytes > c->max_header_bytes) {
        abort_stream(c, MC_GRPC_RESOURCE_EXHAUSTED, "grpc: response headers exceed the limit");
        return 0;
    }
    /* Trailers-only responses carry the status in the one HEADERS frame. */
    trailers = frame->headers.cat != NGHTTP2_HCAT_RESPONSE ||
               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (name_is(name, nlen, ":status")) {
        int st = 0;
        for (size_t i = 0; i < vlen && i < 3; i++)
            st = st * 10 + (value[i] >= '0' && value[i] <= '9' ? value[i] - '0' : 0);
        c->http_status = st;
    } else if (name_is(name, nlen, "content-type")) {
        free(c->ctype);
        c->ctype = mc_strndup((const char *)value, vlen);
    } else if (name_is(name, nlen, "grpc-status")) {
        int st = 0;
        for (size_t i = 0; i < vlen && i < 4; i++)
            st = st * 10 + (value[i] >= '0' && value[i] <= '9' ? value[i] - '0' : 0);
        c->has_grpc_status = true;
        c->grpc_status = st;
    } else if (name_is(name, nlen, "grpc-message")) {
        mc_buf_reset(&c->gmsg);
        (void)mc_grpc_percent_decode(&c->gmsg, (const char *)value, vlen);
    } else if (name_is(name, nlen, "grpc-status-details-bin")) {
        mc_buf_reset(&c->gdetails);
        if (mc_grpc_base64_decode(&c->gdetails, (const char *)value, vlen) < 0)
            mc_buf_reset(&c->gdetails);
    } else if (name_is(name, nlen, "grpc-encoding") ||
               name_is(name, nlen, "grpc-accept-encoding")) {
        /* transport-level, not metadata (we never compress) */
    } else if (nlen > 0 && name[0] != ':') {
        add_response_md(c, trailers ? &c->trl : &c->hdrs, (const char *)name, nlen, value, vlen);
    }
    return 0;
}

/* The server ended the stream: the status comes from what it sent. */
static void finalize(struct mc_grpc_ccall *c)
{
    struct mc_loop *loop = call_loop(c);

    if (c->done)
        return;
    if (!c->has_grpc_status) {
        complete(c, loop, MC_GRPC_INTERNAL, "server closed the stream without sending trailers");
    } else if (!mc_grpc_frame_decoder_idle(&c->dec)) {
        complete(c, loop, MC_GRPC_INTERNAL, "grpc: stream ended inside a message");
    } else {
        complete(c, loop, c->grpc_status, mc_buf_cstr(&c->gmsg));
    }
}

static bool grpc_content_type(const char *ct)
{
    size_t n = strlen("application/grpc");

    return ct && strncmp(ct, "application/grpc", n) == 0 &&
           (ct[n] == '\0' || ct[n] == '+' || ct[n] == ';');
}

static void on_response_headers(struct mc_grpc_ccall *c, bool end)
{
    char msg[128];

    if (c->http_status != 200) {
        if (end && c->has_grpc_status) {
            finalize(c);
            return;
        }
        snprintf(msg, sizeof(msg), "unexpected HTTP status code received from server: %d",
                 c->http_status);
        abort_stream(c, mc_grpc_code_from_http(c->http_status), msg);
        return;
    }
    if (!grpc_content_type(c->ctype)) {
        snprintf(msg, sizeof(msg), "transport: received unexpected content-type \"%.64s\"",
                 c->ctype ? c->ctype : "");
        abort_stream(c, MC_GRPC_INTERNAL, msg);
        return;
    }
    if (end) {
        finalize(c);
        return;
    }
    if (c->h.on_headers)
        c->h.on_headers(c, &c->hdrs, c->arg);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct cconn *cc = ud;
    struct mc_grpc_ccall *c;
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        /* Streams above last_stream_id are closed by nghttp2 (REFUSED_STREAM);
         * the rest finish here, and new calls go to a new connection. */
        cc->usable = false;
        if (cc->cl && cc->cl->conn == cc)
            cc->cl->conn = NULL;
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    c = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!c || c->done)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_RESPONSE)
        on_response_headers(c, end);
    else if (end)
        finalize(c);
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t sid,
                         const uint8_t *data, size_t len, void *ud)
{
    struct mc_grpc_ccall *c = nghttp2_session_get_stream_user_data(session, sid);
    size_t off = 0;
    char msg[128];

    (void)flags;
    (void)ud;
    while (c && !c->done && off < len) {
        struct mc_slice m;
        size_t used;
        int rc = mc_grpc_frame_feed(&c->dec, data + off, len - off, &used, &m, NULL);
        off += used;
        if (rc == MC_ETOOBIG) {
            snprintf(msg, sizeof(msg), "grpc: received message larger than max (%u vs. %zu)",
                     (unsigned)c->dec.bad_len, c->dec.max_msg);
            abort_stream(c, MC_GRPC_RESOURCE_EXHAUSTED, msg);
        } else if (rc < 0) {
            abort_stream(c, MC_GRPC_INTERNAL,
                         "grpc: compressed flag set with identity or empty encoding");
        } else if (rc == 1 && c->h.on_message) {
            c->h.on_message(c, m.ptr, m.len, c->arg);
        }
    }
    return 0;
}

static void stream_gone(struct mc_grpc_ccall *c, uint32_t error_code)
{
    char msg[128];

    c->stream_open = false;
    if (!c->done) {
        if (error_code == NGHTTP2_NO_ERROR) {
            finalize(c);
        } else {
            snprintf(msg, sizeof(msg), "stream terminated by RST_STREAM with error code: %s",
                     nghttp2_http2_strerror(error_code));
            complete(c, call_loop(c),
                     error_code == NGHTTP2_REFUSED_STREAM ? MC_GRPC_UNAVAILABLE
                     : error_code == NGHTTP2_CANCEL       ? MC_GRPC_CANCELLED
                                                          : MC_GRPC_INTERNAL,
                     msg);
        }
    }
    maybe_free(c);
}

static int on_stream_close(nghttp2_session *session, int32_t sid, uint32_t error_code, void *ud)
{
    struct mc_grpc_ccall *c = nghttp2_session_get_stream_user_data(session, sid);

    (void)ud;
    if (!c)
        return 0;
    nghttp2_session_set_stream_user_data(session, sid, NULL);
    stream_gone(c, error_code);
    return 0;
}

/* A request HEADERS that never went out (cancelled before sending, or the
 * session ended): no stream close will come, so finish the call here. */
static int on_frame_not_send(nghttp2_session *session, const nghttp2_frame *frame, int err,
                             void *ud)
{
    struct cconn *cc = ud;

    (void)session;
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    for (struct mc_grpc_ccall *c = cc->calls; c; c = c->next) {
        if (c->sid == frame->hd.stream_id && c->stream_open) {
            if (err == NGHTTP2_ERR_FRAME_SIZE_ERROR)
                complete(c, c->loop, MC_GRPC_INTERNAL, "grpc: request headers exceed the limit");
            stream_gone(c, NGHTTP2_REFUSED_STREAM);
            break;
        }
    }
    return 0;
}

/* --- connections ---------------------------------------------------------------- */

static void dial_error(char *out, size_t n, const char *addr, int err)
{
    snprintf(out, n,
             "connection error: desc = \"transport: Error while dialing: dial tcp %s: connect: %s\"",
             addr, err == MC_ECONNREFUSED ? "connection refused" : mc_strerror(err));
}

static void cconn_closed(struct mc_h2conn *h, int err)
{
    struct cconn *cc = (struct cconn *)h;
    struct mc_grpc_client *cl = cc->cl;
    char msg[512];

    cc->usable = false;
    if (cl) {
        if (cl->conn == cc)
            cl->conn = NULL;
        if (cc->prev)
            cc->prev->next = cc->next;
        else
            cl->conns = cc->next;
        if (cc->next)
            cc->next->prev = cc->prev;
        cc->cl = NULL;
    }
    if (cc->was_connected || !h->connecting)
        snprintf(msg, sizeof(msg), "error reading from server: %s",
                 mc_strerror(err ? err : MC_ECLOSED));
    else
        dial_error(msg, sizeof(msg), cc->addr, err);
    for (struct mc_grpc_ccall *c = cc->calls, *next; c; c = next) {
        next = c->next; /* maybe_free below may unlink c */
        if (!c->stream_open)
            continue;
        c->stream_open = false;
        complete(c, h->loop, MC_GRPC_UNAVAILABLE, msg);
        maybe_free(c);
    }
}

static void cconn_connected(struct mc_h2conn *h)
{
    ((struct cconn *)h)->was_connected = true;
}

static void cconn_free(struct mc_h2conn *h)
{
    free(h);
}

static const struct mc_h2conn_hooks cconn_hooks = {
    .on_connected = cconn_connected,
    .on_closed = cconn_closed,
    .on_free = cconn_free,
};

/* The connection for a new call, connecting when needed; NULL with *err set. */
static struct cconn *get_conn(struct mc_grpc_client *cl, int *err, char *errbuf, size_t errlen)
{
    struct cconn *cc;
    int fd;

    if (cl->conn && cl->conn->usable)
        return cl->conn;
    fd = mc_net_connect(cl->addr, errbuf, errlen);
    if (fd < 0) {
        *err = fd;
        return NULL;
    }
    cc = mc_calloc(1, sizeof(*cc));
    if (mc_h2conn_init(&cc->h, cl->loop, fd, true, &cconn_hooks) < 0) {
        free(cc);
        *err = MC_EIO;
        return NULL;
    }
    if (nghttp2_session_client_new2(&cc->h.session, cl->cbs, cc, cl->opt) != 0) {
        mc_log_error("nghttp2: out of memory");
        abort();
    }
    cc->cl = cl;
    snprintf(cc->addr, sizeof(cc->addr), "%s", cl->addr);
    cc->usable = true;
    cc->next = cl->conns;
    if (cl->conns)
        cl->conns->prev = cc;
    cl->conns = cc;
    cl->conn = cc;
    if (mc_h2_session_setup(cc->h.session, cl->lim.max_streams, cl->lim.stream_window,
                            cl->lim.conn_window, cl->lim.max_header_bytes) < 0) {
        mc_h2conn_close(&cc->h, MC_EPROTO);
        *err = MC_EPROTO;
        return NULL;
    }
    return cc;
}

/* --- public API ------------------------------------------------------------------- */

struct mc_grpc_client *mc_grpc_client_new(struct mc_loop *loop, const char *addr,
                                          const struct mc_grpc_limits *limits)
{
    struct mc_grpc_client *cl = mc_calloc(1, sizeof(*cl));
    nghttp2_session_callbacks *cbs;

    cl->loop = loop;
    cl->addr = mc_strdup(addr);
    if (limits)
        cl->lim = *limits;
    else
        mc_grpc_limits_default(&cl->lim);
    if (nghttp2_session_callbacks_new(&cl->cbs) != 0 || nghttp2_option_new(&cl->opt) != 0) {
        mc_log_error("nghttp2: out of memory");
        abort();
    }
    cbs = cl->cbs;
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
    nghttp2_option_set_max_send_header_block_length(cl->opt, cl->lim.max_header_bytes + 4096);
    return cl;
}

const char *mc_grpc_client_addr(const struct mc_grpc_client *cl)
{
    return cl->addr;
}

void mc_grpc_client_free(struct mc_grpc_client *cl)
{
    if (!cl)
        return;
    /* No I/O here: the server sees the connection drop and cancels its side.
     * Closing marks every stream gone, which frees delivered calls. */
    while (cl->conns) {
        struct cconn *cc = cl->conns;
        cl->conns = cc->next;
        cc->cl = NULL;
        for (struct mc_grpc_ccall *c = cc->calls; c; c = c->next)
            complete(c, c->loop, MC_GRPC_CANCELLED, "grpc: the client connection is closing");
        mc_h2conn_close(&cc->h, MC_ECANCELED);
    }
    nghttp2_session_callbacks_del(cl->cbs);
    nghttp2_option_del(cl->opt);
    free(cl->addr);
    free(cl);
}

static void build_request(struct mc_grpc_client *cl, const struct mc_grpc_call_opts *o,
                          struct mc_h2_nvs *nvs)
{
    mc_h2_nvs_add_cstr(nvs, ":method", "POST");
    mc_h2_nvs_add_cstr(nvs, ":scheme", "http");
    mc_h2_nvs_add_cstr(nvs, ":path", o->path);
    mc_h2_nvs_add_cstr(nvs, ":authority", o->authority ? o->authority : cl->addr);
    mc_h2_nvs_add_cstr(nvs, "content-type",
                       o->content_type ? o->content_type : "application/grpc+proto");
    mc_h2_nvs_add_cstr(nvs, "te", "trailers");
    mc_h2_nvs_add_cstr(nvs, "user-agent", "grpc-c-micro/" MICRO_VERSION);
    if (o->timeout_ms) {
        char t[10];
        mc_grpc_timeout_format(o->timeout_ms * 1000000ull, t);
        mc_h2_nvs_add_cstr(nvs, "grpc-timeout", t);
    }
    for (size_t i = 0; o->metadata && i < o->metadata->count; i++) {
        const struct mc_grpc_md *e = &o->metadata->items[i];
        if (mc_grpc_key_is_bin(e->key, strlen(e->key))) {
            struct mc_buf b;
            mc_buf_init(&b, SIZE_MAX / 2);
            (void)mc_grpc_base64_encode(&b, e->value, e->value_len);
            mc_h2_nvs_add(nvs, e->key, mc_buf_cstr(&b), b.len);
            mc_buf_release(&b);
        } else {
            mc_h2_nvs_add(nvs, e->key, e->value, e->value_len);
        }
    }
}

static void deadline_cb(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_grpc_ccall *c = arg;

    (void)loop;
    (void)t;
    c->timer = NULL;
    abort_stream(c, MC_GRPC_DEADLINE_EXCEEDED, "context deadline exceeded");
}

static bool reserved_key(const char *k)
{
    static const char *const names[] = {
        "content-type", "te", "grpc-timeout", "grpc-status", "grpc-message",
        "grpc-status-details-bin", "grpc-encoding", "grpc-accept-encoding", "user-agent",
        "connection", "host", "transfer-encoding", "upgrade", "keep-alive",
        "proxy-connection",
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(names); i++)
        if (strcmp(k, names[i]) == 0)
            return true;
    return false;
}

/* Submits the request on a usable connection; 0, or an error with the reason. */
static int submit(struct mc_grpc_client *cl, struct mc_grpc_ccall *c,
                  const struct mc_grpc_call_opts *o, char *errbuf, size_t errlen)
{
    nghttp2_data_provider prd = { .source.ptr = c, .read_callback = read_cb };
    struct mc_h2_nvs nvs;
    int err = 0;

    for (int attempt = 0; attempt < 2; attempt++) {
        struct cconn *cc = get_conn(cl, &err, errbuf, errlen);
        int32_t sid;
        if (!cc)
            return err;
        mc_h2_nvs_init(&nvs);
        build_request(cl, o, &nvs);
        sid = nghttp2_submit_request(cc->h.session, NULL, nvs.nv, nvs.n, &prd, c);
        mc_h2_nvs_release(&nvs);
        if (sid >= 0) {
            c->conn = cc;
            c->sid = sid;
            c->stream_open = true;
            c->next = cc->calls;
            if (cc->calls)
                cc->calls->prev = c;
            cc->calls = c;
            mc_h2conn_ref(&cc->h);
            mc_h2conn_schedule(&cc->h);
            return 0;
        }
        /* Stream ids used up: this connection takes no more calls; retry once. */
        cc->usable = false;
        cl->conn = NULL;
        snprintf(errbuf, errlen, "cannot start stream: %s", nghttp2_strerror(sid));
        err = MC_EPROTO;
    }
    return err;
}

int mc_grpc_client_call(struct mc_grpc_client *cl, const struct mc_grpc_call_opts *o,
                        const struct mc_grpc_ccall_handler *h, void *arg,
                        struct mc_grpc_ccall **out)
{
    struct mc_grpc_ccall *c;
    char errbuf[256] = "";
    char msg[512];
    int rc;

    if (out)
        *out = NULL;
    if (!o || !o->path || o->path[0] != '/' || !h || !h->on_done)
        return MC_EINVAL;
    for (size_t i = 0; o->metadata && i < o->metadata->count; i++)
        if (reserved_key(o->metadata->items[i].key))
            return MC_EINVAL;
    c = mc_calloc(1, sizeof(*c));
    c->loop = cl->loop;
    c->h = *h;
    c->arg = arg;
    c->max_send = cl->lim.max_send_msg;
    c->max_md = cl->lim.max_metadata;
    c->max_header_bytes = cl->lim.max_header_bytes;
    mc_grpc_frame_decoder_init(&c->dec, cl->lim.max_recv_msg, false);
    mc_h2_outq_init(&c->out);
    mc_grpc_metadata_init(&c->hdrs);
    mc_grpc_metadata_init(&c->trl);
    mc_buf_init(&c->gmsg, MAX_STATUS_MSG);
    mc_buf_init(&c->gdetails, MAX_STATUS_MSG);
    if (out)
        *out = c;
    rc = submit(cl, c, o, errbuf, sizeof(errbuf));
    if (rc < 0) {
        if (rc == MC_ECONNREFUSED || rc == MC_EADDR || rc == MC_EIO)
            dial_error(msg, sizeof(msg), cl->addr, rc);
        else
            snprintf(msg, sizeof(msg), "%s", errbuf[0] ? errbuf : mc_strerror(rc));
        complete(c, cl->loop, MC_GRPC_UNAVAILABLE, msg);
        return 0;
    }
    if (o->timeout_ms)
        c->timer = mc_loop_timer_add(cl->loop, o->timeout_ms, 0, deadline_cb, c);
    return 0;
}

int mc_grpc_ccall_send(struct mc_grpc_ccall *c, const void *msg, size_t len)
{
    if (c->done || c->send_closed)
        return MC_EINVAL;
    if (len > c->max_send || len > UINT32_MAX)
        return MC_ETOOBIG;
    if (!stream_usable(c))
        return MC_ECLOSED;
    mc_h2_outq_push_msg(&c->out, msg, len);
    /* Fails only when the provider is not deferred, i.e. already due to run. */
    (void)nghttp2_session_resume_data(c->conn->h.session, c->sid);
    mc_h2conn_schedule(&c->conn->h);
    return 0;
}

int mc_grpc_ccall_close_send(struct mc_grpc_ccall *c)
{
    if (c->done || c->send_closed)
        return MC_EINVAL;
    c->send_closed = true;
    if (stream_usable(c)) {
        (void)nghttp2_session_resume_data(c->conn->h.session, c->sid);
        mc_h2conn_schedule(&c->conn->h);
    }
    return 0;
}

void mc_grpc_ccall_cancel(struct mc_grpc_ccall *c)
{
    abort_stream(c, MC_GRPC_CANCELLED, "context canceled");
}

size_t mc_grpc_ccall_pending(const struct mc_grpc_ccall *c)
{
    return c->out.bytes;
}

/* --- synchronous unary ------------------------------------------------------------ */

struct sync_state {
    struct mc_grpc_unary_result *res;
    bool done;
};

static void sync_headers(struct mc_grpc_ccall *call, const struct mc_grpc_metadata *md, void *arg)
{
    struct sync_state *s = arg;

    (void)call;
    mc_grpc_metadata_copy(&s->res->headers, md);
}

static void sync_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct sync_state *s = arg;

    (void)call;
    if (s->res->response)
        return; /* unary: keep the first */
    s->res->response = mc_malloc(len + 1);
    if (len)
        memcpy(s->res->response, msg, len);
    s->res->response[len] = '\0';
    s->res->response_len = len;
}

static void sync_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct sync_state *s = arg;

    (void)call;
    s->res->code = st->code;
    s->res->message = mc_strdup(st->message);
    if (st->details_len) {
        s->res->details = mc_malloc(st->details_len);
        memcpy(s->res->details, st->details, st->details_len);
        s->res->details_len = st->details_len;
    }
    mc_grpc_metadata_copy(&s->res->trailers, st->trailers);
    s->done = true;
}

struct mc_grpc_sync {
    struct mc_loop *loop;
    struct mc_grpc_client *cl;
};

struct mc_grpc_sync *mc_grpc_sync_new(const char *addr, const struct mc_grpc_limits *limits)
{
    struct mc_grpc_sync *sc;
    struct mc_loop *loop = mc_loop_new();

    if (!loop)
        return NULL;
    sc = mc_calloc(1, sizeof(*sc));
    sc->loop = loop;
    sc->cl = mc_grpc_client_new(loop, addr, limits);
    return sc;
}

int mc_grpc_sync_unary(struct mc_grpc_sync *sc, const struct mc_grpc_call_opts *o,
                       const void *req, size_t req_len, struct mc_grpc_unary_result *res)
{
    static const struct mc_grpc_ccall_handler h = {
        .on_headers = sync_headers, .on_message = sync_message, .on_done = sync_done,
    };
    struct sync_state s = { .res = res, .done = false };
    struct mc_grpc_ccall *call;
    int rc;

    memset(res, 0, sizeof(*res));
    mc_grpc_metadata_init(&res->headers);
    mc_grpc_metadata_init(&res->trailers);
    mc_loop_run_once(sc->loop, 0);   /* news from the idle connection first */
    rc = mc_grpc_client_call(sc->cl, o, &h, &s, &call);
    if (rc == 0) {
        if (mc_grpc_ccall_send(call, req, req_len) == 0)
            (void)mc_grpc_ccall_close_send(call);
        else
            mc_grpc_ccall_cancel(call); /* too big or already over: on_done still comes */
        while (!s.done)
            mc_loop_run_once(sc->loop, -1);
    }
    return rc;
}

void mc_grpc_sync_free(struct mc_grpc_sync *sc)
{
    if (!sc)
        return;
    mc_grpc_client_free(sc->cl);
    mc_loop_run_once(sc->loop, 0); /* deferred releases */
    mc_loop_free(sc->loop);
    free(sc);
}

int mc_grpc_unary_sync(const char *addr, const struct mc_grpc_call_opts *o, const void *req,
                       size_t req_len, const struct mc_grpc_limits *limits,
                       struct mc_grpc_unary_result *res)
{
    struct mc_grpc_sync *sc = mc_grpc_sync_new(addr, limits);
    int rc;

    if (!sc) {
        memset(res, 0, sizeof(*res));
        return MC_EIO;
    }
    rc = mc_grpc_sync_unary(sc, o, req, req_len, res);
    mc_grpc_sync_free(sc);
    return rc;
}

void mc_grpc_unary_result_release(struct mc_grpc_unary_result *res)
{
    free(res->message);
    free(res->details);
    free(res->response);
    mc_grpc_metadata_release(&res->headers);
    mc_grpc_metadata_release(&res->trailers);
    memset(res, 0, sizeof(*res));
}
