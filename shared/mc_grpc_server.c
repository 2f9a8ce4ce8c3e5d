/*
 * gRPC server over nghttp2: see mc_grpc_server.h. Each accepted socket is an
 * sconn (an mc_h2conn plus its list of calls); each HTTP/2 stream is an
 * mc_grpc_scall. A call is freed once both the stream is closed and the
 * handler's part has ended (finish or on_cancel); the free itself is deferred.
 * Responses flow through an nghttp2 data provider that defers while the
 * call's queue is empty, so HTTP/2 flow control paces large messages.
 */
#include "mc_grpc_server.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_grpc_frame.h"
#include "mc_h2conn.h"
#include "mc_log.h"
#include "mc_net.h"
#include "mc_banned.h"

#define ACCEPTS_PER_WAKEUP 64
#define MAX_QUEUED_EXTRA (1024 * 1024)

struct sconn {
    struct mc_h2conn h;          /* first: the hooks cast back */
    struct mc_grpc_server *srv;  /* NULL once the server is freed */
    struct mc_grpc_limits lim;
    struct sconn *prev, *next;
    struct mc_grpc_scall *calls; /* every call not yet freed */
};

struct mc_grpc_server {
    struct mc_loop *loop;
    struct mc_grpc_limits lim;
    mc_grpc_server_call_cb on_call;
    void *arg;
    int lfd;
    char addr[128];
    struct sconn *conns;
    size_t nconns;
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
};

struct mc_grpc_scall {
    struct sconn *conn;
    int32_t sid;
    struct mc_grpc_scall *prev, *next;
    /* request */
    char *method, *path, *ctype, *authority, *encoding;
    const char *bad;             /* why the request headers were rejected */
    int bad_http;                /* HTTP status for bad */
    int bad_code;                /* gRPC status for bad */
    struct mc_grpc_metadata md;
    size_t hdr_bytes;
    uint64_t grpc_timeout_ns, micro_timeout_ns;
    uint64_t deadline;
    struct mc_timer *timer;
    struct mc_grpc_frame_decoder dec;
    /* handler */
    struct mc_grpc_scall_handler h;
    void *harg;
    /* response */
    struct mc_h2_outq out;
    struct mc_h2_nvs trailers;   /* pending trailers, sent when the queue drains */
    bool dispatched;             /* on_call was invoked */
    bool handler_done;           /* finish called or on_cancel delivered */
    bool headers_sent;           /* response HEADERS submitted */
    bool finish_pending;         /* trailers wait for the queue to drain */
    bool remote_closed;          /* client sent END_STREAM */
    struct mc_h2_nvs early;      /* a trailers-only answer held until the request is in */
    bool early_pending;
    struct mc_timer *early_timer;
    bool stream_closed;
    bool release_scheduled;
};

const char *mc_grpc_cancel_reason_str(enum mc_grpc_cancel_reason r)
{
    switch (r) {
    case MC_GRPC_CANCEL_RESET: return "stream reset by client";
    case MC_GRPC_CANCEL_CONN_LOST: return "connection lost";
    case MC_GRPC_CANCEL_DEADLINE: return "deadline exceeded";
    case MC_GRPC_CANCEL_SHUTDOWN: return "server shutdown";
    case MC_GRPC_CANCEL_PROTOCOL: return "protocol error";
    }
    return "unknown";
}

/* --- call lifetime ---------------------------------------------------------------- */

static void scall_free(struct mc_loop *loop, void *arg)
{
    struct mc_grpc_scall *c = arg;
    struct sconn *sc = c->conn;

    (void)loop;
    if (c->prev)
        c->prev->next = c->next;
    else
        sc->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->method);
    free(c->path);
    free(c->ctype);
    free(c->authority);
    free(c->encoding);
    mc_grpc_metadata_release(&c->md);
    mc_grpc_frame_decoder_release(&c->dec);
    mc_h2_outq_release(&c->out);
    mc_h2_nvs_release(&c->trailers);
    if (c->early_timer)
        mc_loop_timer_cancel(sc->h.loop, c->early_timer);
    mc_h2_nvs_release(&c->early);
    free(c);
    mc_h2conn_unref(&sc->h);
}

static void maybe_release(struct mc_grpc_scall *c)
{
    if (c->release_scheduled || !c->stream_closed || !c->handler_done)
        return;
    c->release_scheduled = true;
    mc_loop_defer(c->conn->h.loop, scall_free, c);
}

static void stop_timer(struct mc_grpc_scall *c)
{
    if (c->timer) {
        mc_loop_timer_cancel(c->conn->h.loop, c->timer);
        c->timer = NULL;
    }
}

/* Ends the handler's part with on_cancel (when it was dispatched and still on). */
static void cancel_handler(struct mc_grpc_scall *c, enum mc_grpc_cancel_reason reason)
{
    bool notify = c->dispatched && !c->handler_done;

    c->handler_done = true;
    stop_timer(c);
    if (notify && c->h.on_cancel)
        c->h.on_cancel(c, reason, c->harg);
    maybe_release(c);
}

static bool conn_open(const struct mc_grpc_scall *c)
{
    return !c->conn->h.closed && !c->conn->h.close_req && !c->stream_closed;
}

/* --- response ------------------------------------------------------------------- */

static ssize_t read_cb(nghttp2_session *session, int32_t sid, uint8_t *buf, size_t length,
                       uint32_t *flags, nghttp2_data_source *src, void *user_data)
{
    struct mc_grpc_scall *c = src->ptr;
    size_t n = mc_h2_outq_read(&c->out, buf, length);

    (void)user_data;
    if (c->out.bytes == 0 && c->finish_pending) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        c->finish_pending = false;
        if (nghttp2_submit_trailer(session, sid, c->trailers.nv, c->trailers.n) != 0)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        mc_h2_nvs_release(&c->trailers);
        return (ssize_t)n;
    }
    if (n == 0)
        return NGHTTP2_ERR_DEFERRED;
    return (ssize_t)n;
}

/* Adds md to nvs, base64-encoding "-bin" values. */
static void add_metadata(struct mc_h2_nvs *nvs, const struct mc_grpc_metadata *md)
{
    for (size_t i = 0; md && i < md->count; i++) {
        const struct mc_grpc_md *e = &md->items[i];
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

static void add_response_head(struct mc_grpc_scall *c, struct mc_h2_nvs *nvs, int http)
{
    char st[16];

    snprintf(st, sizeof(st), "%d", http);
    mc_h2_nvs_add_cstr(nvs, ":status", st);
    mc_h2_nvs_add_cstr(nvs, "content-type",
                       c->ctype && http == 200 ? c->ctype : "application/grpc");
}

static void add_status(struct mc_h2_nvs *nvs, int code, const char *message,
                       const void *details, size_t details_len)
{
    char st[16];

    snprintf(st, sizeof(st), "%d", code);
    mc_h2_nvs_add_cstr(nvs, "grpc-status", st);
    if (message && *message) {
        struct mc_buf b;
        mc_buf_init(&b, SIZE_MAX / 2);
        (void)mc_grpc_percent_encode(&b, message, strlen(message));
        mc_h2_nvs_add(nvs, "grpc-message", mc_buf_cstr(&b), b.len);
        mc_buf_release(&b);
    }
    if (details && details_len) {
        struct mc_buf b;
        mc_buf_init(&b, SIZE_MAX / 2);
        (void)mc_grpc_base64_encode(&b, details, details_len);
        mc_h2_nvs_add(nvs, "grpc-status-details-bin", mc_buf_cstr(&b), b.len);
        mc_buf_release(&b);
    }
}

static int submit_headers(struct mc_grpc_scall *c, const struct mc_grpc_metadata *md)
{
    struct mc_h2_nvs nvs;
    nghttp2_data_provider prd = { .source.ptr = c, .read_callback = read_cb };
    int rv;

    mc_h2_nvs_init(&nvs);
    add_response_head(c, &nvs, 200);
    add_metadata(&nvs, md);
    rv = nghttp2_submit_response(c->conn->h.session, c->sid, nvs.nv, nvs.n, &prd);
    mc_h2_nvs_release(&nvs);
    if (rv != 0)
        return MC_EPROTO;
    c->headers_sent = true;
    return 0;
}

/* Sends the status (trailers, or trailers-only). The library's own answers
 * (deadline, bad input) go through here too. */
/*
 * An answer decided before the request is complete (a route or auth error from
 * the headers alone) waits until the client has sent END_STREAM, or at most
 * MC_GRPC_EARLY_HOLD_MS. HTTP/2 allows answering early (and the RST_STREAM
 * NO_ERROR that follows), but libcurl up to 8.x fails a stream answered before
 * it finished uploading and drops the answer, so `curl` and our own CLI would
 * see a transport error instead of the gRPC status. Holding costs a well-behaved
 * client nothing: its request is on the wire already.
 */
static void send_early(struct mc_grpc_scall *c)
{
    if (!c->early_pending)
        return;
    c->early_pending = false;
    if (c->early_timer) {
        mc_loop_timer_cancel(c->conn->h.loop, c->early_timer);
        c->early_timer = NULL;
    }
    if (conn_open(c) && !c->stream_closed) {
        (void)nghttp2_submit_response(c->conn->h.session, c->sid, c->early.nv, c->early.n, NULL);
        mc_h2conn_schedule(&c->conn->h);
    }
    mc_h2_nvs_release(&c->early);
}

static void early_timer_cb(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_grpc_scall *c = arg;

    (void)loop;
    (void)t;
    c->early_timer = NULL;
    send_early(c);
}

static void hold_early(struct mc_grpc_scall *c, struct mc_h2_nvs *nvs)
{
    c->headers_sent = true;  /* nothing else may go out before it */
    c->early = *nvs;
    c->early_pending = true;
    c->early_timer = mc_loop_timer_add(c->conn->h.loop, MC_GRPC_EARLY_HOLD_MS, 0, early_timer_cb, c);
}

static int submit_status(struct mc_grpc_scall *c, int http, int code, const char *message,
                         const void *details, size_t details_len,
                         const struct mc_grpc_metadata *trailers)
{
    struct mc_h2_nvs nvs;
    int rv = 0;

    if (!conn_open(c))
        return MC_ECLOSED;
    mc_h2_nvs_init(&nvs);
    if (!c->headers_sent && !c->remote_closed) {
        add_response_head(c, &nvs, http);
        add_status(&nvs, code, message, details, details_len);
        add_metadata(&nvs, trailers);
        hold_early(c, &nvs);
        return 0;
    }
    if (!c->headers_sent) {
        add_response_head(c, &nvs, http);
        add_status(&nvs, code, message, details, details_len);
        add_metadata(&nvs, trailers);
        rv = nghttp2_submit_response(c->conn->h.session, c->sid, nvs.nv, nvs.n, NULL);
        c->headers_sent = true;
        mc_h2_nvs_release(&nvs);
    } else {
        add_status(&nvs, code, message, details, details_len);
        add_metadata(&nvs, trailers);
        mc_h2_nvs_release(&c->trailers);
        c->trailers = nvs;
        c->finish_pending = true;
        /* Fails only when the provider is not deferred, i.e. already due to run. */
        (void)nghttp2_session_resume_data(c->conn->h.session, c->sid);
    }
    mc_h2conn_schedule(&c->conn->h);
    return rv == 0 ? 0 : MC_EPROTO;
}

/* The library answers on the handler's behalf and tells it via on_cancel. */
static void abort_call(struct mc_grpc_scall *c, int code, const char *message,
                       enum mc_grpc_cancel_reason reason)
{
    if (c->handler_done)
        return;
    (void)submit_status(c, 200, code, message, NULL, 0, NULL);
    cancel_handler(c, reason);
}

const char *mc_grpc_scall_path(const struct mc_grpc_scall *c)
{
    return c->path ? c->path : "";
}

const char *mc_grpc_scall_content_type(const struct mc_grpc_scall *c)
{
    return c->ctype ? c->ctype : "";
}

const char *mc_grpc_scall_authority(const struct mc_grpc_scall *c)
{
    return c->authority ? c->authority : "";
}

const struct mc_grpc_metadata *mc_grpc_scall_metadata(const struct mc_grpc_scall *c)
{
    return &c->md;
}

uint64_t mc_grpc_scall_deadline(const struct mc_grpc_scall *c)
{
    return c->deadline;
}

void mc_grpc_scall_set_handler(struct mc_grpc_scall *c, const struct mc_grpc_scall_handler *h,
                               void *arg)
{
    c->h = *h;
    c->harg = arg;
}

int mc_grpc_scall_send_headers(struct mc_grpc_scall *c, const struct mc_grpc_metadata *md)
{
    int rc;

    if (c->handler_done || c->headers_sent)
        return MC_EINVAL;
    if (!conn_open(c))
        return MC_ECLOSED;
    rc = submit_headers(c, md);
    mc_h2conn_schedule(&c->conn->h);
    return rc;
}

int mc_grpc_scall_send(struct mc_grpc_scall *c, const void *msg, size_t len)
{
    if (c->handler_done)
        return MC_EINVAL;
    if (!conn_open(c))
        return MC_ECLOSED;
    if (len > c->conn->lim.max_send_msg || len > UINT32_MAX)
        return MC_ETOOBIG;
    if (!c->headers_sent && submit_headers(c, NULL) < 0)
        return MC_EPROTO;
    mc_h2_outq_push_msg(&c->out, msg, len);
    (void)nghttp2_session_resume_data(c->conn->h.session, c->sid);
    mc_h2conn_schedule(&c->conn->h);
    return 0;
}

size_t mc_grpc_scall_pending(const struct mc_grpc_scall *c)
{
    return c->out.bytes;
}

int mc_grpc_scall_finish(struct mc_grpc_scall *c, int code, const char *message,
                         const void *details, size_t details_len,
                         const struct mc_grpc_metadata *trailers)
{
    int rc;

    if (c->handler_done)
        return MC_EINVAL;
    c->handler_done = true;
    stop_timer(c);
    rc = submit_status(c, 200, code, message, details, details_len, trailers);
    maybe_release(c);
    return rc;
}

/* --- request -------------------------------------------------------------------- */

static void deadline_cb(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_grpc_scall *c = arg;

    (void)loop;
    (void)t;
    c->timer = NULL;
    abort_call(c, MC_GRPC_DEADLINE_EXCEEDED, "context deadline exceeded", MC_GRPC_CANCEL_DEADLINE);
}

static void set_deadline(struct mc_grpc_scall *c)
{
    uint64_t ns = 0, now = mc_now_ms(), ms;

    if (c->grpc_timeout_ns && c->micro_timeout_ns)
        ns = MC_MIN(c->grpc_timeout_ns, c->micro_timeout_ns);
    else
        ns = c->grpc_timeout_ns ? c->grpc_timeout_ns : c->micro_timeout_ns;
    if (!ns)
        return;
    ms = ns / 1000000 + (ns % 1000000 != 0);
    if (ms > UINT64_MAX / 2)
        return; /* effectively no deadline */
    c->deadline = now + ms;
    c->timer = mc_loop_timer_add(c->conn->h.loop, ms, 0, deadline_cb, c);
}

static bool grpc_content_type(const char *ct)
{
    size_t n = strlen("application/grpc");

    return ct && strncmp(ct, "application/grpc", n) == 0 &&
           (ct[n] == '\0' || ct[n] == '+' || ct[n] == ';');
}

/* Headers complete: validate, then hand the call to the server's on_call. */
static void dispatch(struct mc_grpc_scall *c, bool end_stream)
{
    struct mc_grpc_server *srv = c->conn->srv;
    char msg[256];

    c->remote_closed = end_stream;
    if (!srv) {
        nghttp2_submit_rst_stream(c->conn->h.session, NGHTTP2_FLAG_NONE, c->sid,
                                  NGHTTP2_REFUSED_STREAM);
        return;
    }
    if (!c->bad && (!c->method || strcmp(c->method, "POST") != 0)) {
        c->bad = "invalid gRPC request method";
        c->bad_http = 405;
        c->bad_code = MC_GRPC_INTERNAL;
    }
    if (!c->bad && !grpc_content_type(c->ctype)) {
        c->bad = "invalid gRPC request content-type";
        c->bad_http = 415;
        c->bad_code = MC_GRPC_INTERNAL;
    }
    if (c->bad) {
        snprintf(msg, sizeof(msg), "%s", c->bad);
        (void)submit_status(c, c->bad_http, c->bad_code, msg, NULL, 0, NULL);
        c->handler_done = true;
        return;
    }
    if (c->encoding && strcmp(c->encoding, "identity") != 0) {
        snprintf(msg, sizeof(msg), "grpc: Decompressor is not installed for grpc-encoding \"%.64s\"",
                 c->encoding);
        (void)submit_status(c, 200, MC_GRPC_UNIMPLEMENTED, msg, NULL, 0, NULL);
        c->handler_done = true;
        return;
    }
    set_deadline(c);
    c->dispatched = true;
    srv->on_call(c, srv->arg);
    if (end_stream && !c->handler_done && c->h.on_half_close)
        c->h.on_half_close(c, c->harg);
}

static void on_half_close(struct mc_grpc_scall *c)
{
    c->remote_closed = true;
    send_early(c);
    if (c->handler_done)
        return;
    if (!mc_grpc_frame_decoder_idle(&c->dec)) {
        abort_call(c, MC_GRPC_INTERNAL, "grpc: stream ended inside a message",
                   MC_GRPC_CANCEL_PROTOCOL);
        return;
    }
    if (c->h.on_half_close)
        c->h.on_half_close(c, c->harg);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct sconn *sc = ud;
    struct mc_grpc_scall *c;

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    c = mc_calloc(1, sizeof(*c));
    c->conn = sc;
    c->sid = frame->hd.stream_id;
    mc_grpc_metadata_init(&c->md);
    mc_grpc_frame_decoder_init(&c->dec, sc->lim.max_recv_msg, false);
    mc_h2_outq_init(&c->out);
    mc_h2_nvs_init(&c->trailers);
    c->next = sc->calls;
    if (sc->calls)
        sc->calls->prev = c;
    sc->calls = c;
    mc_h2conn_ref(&sc->h);
    nghttp2_session_set_stream_user_data(session, c->sid, c);
    return 0;
}

static void set_str(char **dst, const uint8_t *v, size_t len)
{
    free(*dst);
    *dst = mc_strndup((const char *)v, len);
}

static void reject(struct mc_grpc_scall *c, int http, int code, const char *why)
{
    if (c->bad)
        return;
    c->bad = why;
    c->bad_http = http;
    c->bad_code = code;
}

static void add_request_md(struct mc_grpc_scall *c, const char *name, size_t nlen,
                           const uint8_t *value, size_t vlen)
{
    if (c->md.count >= c->conn->lim.max_metadata) {
        reject(c, 200, MC_GRPC_RESOURCE_EXHAUSTED, "too many metadata entries");
        return;
    }
    if (mc_grpc_key_is_bin(name, nlen)) {
        struct mc_buf b;
        mc_buf_init(&b, vlen + 4);
        if (mc_grpc_base64_decode(&b, (const char *)value, vlen) < 0)
            reject(c, 200, MC_GRPC_INTERNAL, "malformed binary metadata");
        else
            (void)mc_grpc_metadata_add(&c->md, name, nlen, mc_buf_cstr(&b), b.len);
        mc_buf_release(&b);
        return;
    }
    /* Entries that are not valid gRPC metadata (odd key or value bytes) are dropped. */
    (void)mc_grpc_metadata_add(&c->md, name, nlen, (const char *)value, vlen);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct mc_grpc_scall *c = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    const char *n = (const char *)name;
    uint64_t ns;

    (void)flags;
    (void)ud;
    if (!c || frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* client trailers carry nothing we use */
    c->hdr_bytes += nlen + vlen;
    if (c->hdr_bytes > c->conn->lim.max_header_bytes) {
        reject(c, 431, MC_GRPC_RESOURCE_EXHAUSTED, "request headers exceed the limit");
        return 0;
    }
    if (nlen > 0 && n[0] == ':') {
        if (nlen == 7 && memcmp(n, ":method", 7) == 0)
            set_str(&c->method, value, vlen);
        else if (nlen == 5 && memcmp(n, ":path", 5) == 0)
            set_str(&c->path, value, vlen);
        else if (nlen == 10 && memcmp(n, ":authority", 10) == 0)
            set_str(&c->authority, value, vlen);
        return 0;
    }
    if (nlen == 12 && memcmp(n, "content-type", 12) == 0) {
        set_str(&c->ctype, value, vlen);
    } else if (nlen == 12 && memcmp(n, "grpc-timeout", 12) == 0) {
        if (mc_grpc_timeout_parse((const char *)value, vlen, &ns) < 0)
            reject(c, 400, MC_GRPC_INTERNAL, "malformed grpc-timeout");
        else
            c->grpc_timeout_ns = ns ? ns : 1;
    } else if (nlen == 13 && memcmp(n, "grpc-encoding", 13) == 0) {
        set_str(&c->encoding, value, vlen);
    } else if ((nlen == 2 && memcmp(n, "te", 2) == 0) ||
               (nlen == 20 && memcmp(n, "grpc-accept-encoding", 20) == 0)) {
        /* transport-level, not metadata */
    } else {
        if (nlen == 7 && memcmp(n, "timeout", 7) == 0 && vlen < 24) {
            char tmp[24];
            memcpy(tmp, value, vlen);
            tmp[vlen] = '\0';
            /* micro's timeout header: decimal nanoseconds; ignored when malformed */
            if (mc_parse_u64(tmp, &ns) == 0 && ns > 0)
                c->micro_timeout_ns = ns;
        }
        add_request_md(c, n, nlen, value, vlen);
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct mc_grpc_scall *c;
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

    (void)ud;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    c = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!c)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        dispatch(c, end);
        return 0;
    }
    if (end)
        on_half_close(c);
    return 0;
}

static void too_big(struct mc_grpc_scall *c)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "grpc: received message larger than max (%u vs. %zu)",
             (unsigned)c->dec.bad_len, c->dec.max_msg);
    abort_call(c, MC_GRPC_RESOURCE_EXHAUSTED, msg, MC_GRPC_CANCEL_PROTOCOL);
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t sid,
                         const uint8_t *data, size_t len, void *ud)
{
    struct mc_grpc_scall *c = nghttp2_session_get_stream_user_data(session, sid);
    size_t off = 0;

    (void)flags;
    (void)ud;
    while (c && !c->handler_done && c->dispatched && off < len) {
        struct mc_slice msg;
        size_t used;
        int rc = mc_grpc_frame_feed(&c->dec, data + off, len - off, &used, &msg, NULL);
        off += used;
        if (rc == MC_ETOOBIG) {
            too_big(c);
        } else if (rc < 0) {
            abort_call(c, MC_GRPC_INTERNAL,
                       "grpc: compressed flag set with identity or empty encoding",
                       MC_GRPC_CANCEL_PROTOCOL);
        } else if (rc == 1 && c->h.on_message) {
            c->h.on_message(c, msg.ptr, msg.len, c->harg);
        }
    }
    return 0;
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct mc_grpc_scall *c;

    (void)ud;
    if (frame->hd.type != NGHTTP2_HEADERS || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    c = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    /* The status is out while the client may still send: tell it to stop (as
     * RFC 9113 §8.1 asks), which also frees the stream on both ends. */
    if (c && !c->remote_closed)
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, c->sid, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t sid, uint32_t error_code, void *ud)
{
    struct mc_grpc_scall *c = nghttp2_session_get_stream_user_data(session, sid);

    (void)error_code;
    (void)ud;
    if (!c)
        return 0;
    nghttp2_session_set_stream_user_data(session, sid, NULL);
    c->stream_closed = true;
    cancel_handler(c, MC_GRPC_CANCEL_RESET);
    return 0;
}

/* --- connections ---------------------------------------------------------------- */

static void sconn_closed(struct mc_h2conn *h, int err)
{
    struct sconn *sc = (struct sconn *)h;
    struct mc_grpc_server *srv = sc->srv;
    enum mc_grpc_cancel_reason reason = srv ? MC_GRPC_CANCEL_CONN_LOST : MC_GRPC_CANCEL_SHUTDOWN;

    (void)err;
    if (srv) {
        if (sc->prev)
            sc->prev->next = sc->next;
        else
            srv->conns = sc->next;
        if (sc->next)
            sc->next->prev = sc->prev;
        srv->nconns--;
        sc->srv = NULL;
    }
    for (struct mc_grpc_scall *c = sc->calls; c; c = c->next) {
        c->stream_closed = true;
        cancel_handler(c, reason);
    }
}

static void sconn_free(struct mc_h2conn *h)
{
    free(h);
}

static const struct mc_h2conn_hooks sconn_hooks = {
    .on_connected = NULL,
    .on_closed = sconn_closed,
    .on_free = sconn_free,
};

int mc_grpc_server_adopt(struct mc_grpc_server *s, int fd)
{
    struct sconn *sc = mc_calloc(1, sizeof(*sc));

    if (mc_h2conn_init(&sc->h, s->loop, fd, false, &sconn_hooks) < 0) {
        free(sc);
        return MC_EIO;
    }
    sc->srv = s;
    sc->lim = s->lim;
    if (nghttp2_session_server_new2(&sc->h.session, s->cbs, sc, s->opt) != 0) {
        mc_loop_del_fd(s->loop, fd);
        close(fd);
        free(sc);
        return MC_EIO;
    }
    sc->next = s->conns;
    if (s->conns)
        s->conns->prev = sc;
    s->conns = sc;
    s->nconns++;
    if (mc_h2_session_setup(sc->h.session, s->lim.max_streams, s->lim.stream_window,
                            s->lim.conn_window, s->lim.max_header_bytes) < 0) {
        mc_h2conn_close(&sc->h, MC_EPROTO);
        return MC_EIO;
    }
    mc_h2conn_schedule(&sc->h);
    return 0;
}

static void accept_cb(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct mc_grpc_server *s = arg;

    (void)loop;
    (void)events;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        int cfd = mc_net_accept(fd);
        if (cfd < 0)
            return;
        if (s->nconns >= s->lim.max_conns) {
            close(cfd); /* over the limit: refuse by closing */
            continue;
        }
        (void)mc_grpc_server_adopt(s, cfd);
    }
}

struct mc_grpc_server *mc_grpc_server_new(struct mc_loop *loop, const struct mc_grpc_limits *limits,
                                          mc_grpc_server_call_cb on_call, void *arg)
{
    struct mc_grpc_server *s = mc_calloc(1, sizeof(*s));
    nghttp2_session_callbacks *cbs;

    s->loop = loop;
    if (limits)
        s->lim = *limits;
    else
        mc_grpc_limits_default(&s->lim);
    s->on_call = on_call;
    s->arg = arg;
    s->lfd = -1;
    if (nghttp2_session_callbacks_new(&s->cbs) != 0 || nghttp2_option_new(&s->opt) != 0) {
        /* nghttp2 only fails here on allocation, which is fatal everywhere */
        mc_log_error("nghttp2: out of memory");
        abort();
    }
    cbs = s->cbs;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_option_set_max_send_header_block_length(s->opt, s->lim.max_header_bytes + 4096);
    return s;
}

int mc_grpc_server_listen(struct mc_grpc_server *s, const char *addr, char *err, size_t errlen)
{
    int fd;

    if (s->lfd >= 0)
        return MC_EEXIST;
    fd = mc_net_listen(addr, err, errlen);
    if (fd < 0)
        return fd;
    if (mc_loop_add_fd(s->loop, fd, MC_READ, accept_cb, s) < 0) {
        close(fd);
        if (err && errlen)
            snprintf(err, errlen, "cannot watch listener for '%s'", addr);
        return MC_EADDR;
    }
    s->lfd = fd;
    if (mc_net_local_addr(fd, s->addr, sizeof(s->addr)) < 0)
        s->addr[0] = '\0';
    return 0;
}

const char *mc_grpc_server_addr(const struct mc_grpc_server *s)
{
    return s->addr;
}

size_t mc_grpc_server_conn_count(const struct mc_grpc_server *s)
{
    return s->nconns;
}

void mc_grpc_server_free(struct mc_grpc_server *s)
{
    if (!s)
        return;
    if (s->lfd >= 0) {
        mc_loop_del_fd(s->loop, s->lfd);
        close(s->lfd);
    }
    while (s->conns) {
        struct sconn *sc = s->conns;
        s->conns = sc->next;
        sc->srv = NULL; /* from here on, closing reports SHUTDOWN */
        mc_h2conn_ref(&sc->h); /* the flush below may close and drop the owner's ref */
        if (sc->h.session && !sc->h.closed) {
            nghttp2_submit_goaway(sc->h.session, NGHTTP2_FLAG_NONE,
                                  nghttp2_session_get_last_proc_stream_id(sc->h.session),
                                  NGHTTP2_NO_ERROR, NULL, 0);
            for (struct mc_grpc_scall *c = sc->calls; c; c = c->next)
                cancel_handler(c, MC_GRPC_CANCEL_SHUTDOWN);
            mc_h2conn_flush(&sc->h);
        }
        mc_h2conn_close(&sc->h, MC_ECANCELED);
        mc_h2conn_unref(&sc->h);
    }
    nghttp2_session_callbacks_del(s->cbs);
    nghttp2_option_del(s->opt);
    free(s);
}
