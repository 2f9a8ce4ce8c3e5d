/*
 * HTTP/2 connection I/O for the loop: see mc_h2conn.h. Output is gathered from
 * nghttp2 into one buffer (up to WRITE_BATCH bytes) before each send(), so many
 * small frames cost one system call; reads are bounded per wakeup so one busy
 * connection cannot starve the others.
 */
#include "mc_h2conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_grpc_frame.h"
#include "mc_net.h"
#include "mc_banned.h"

#define READ_CHUNK (64 * 1024)
#define READS_PER_WAKEUP 16
#define WRITE_BATCH (64 * 1024)
#define WBUF_MAX (32 * 1024 * 1024)

static void really_close(struct mc_h2conn *c, int err);

static void set_watch(struct mc_h2conn *c, unsigned events)
{
    if (c->closed || events == c->watched)
        return;
    if (mc_loop_mod_fd(c->loop, c->fd, events) == 0)
        c->watched = events;
}

void mc_h2conn_ref(struct mc_h2conn *c)
{
    c->refs++;
}

void mc_h2conn_unref(struct mc_h2conn *c)
{
    if (--c->refs > 0)
        return;
    mc_buf_release(&c->wbuf);
    c->hooks->on_free(c);
}

/* Fills wbuf from nghttp2 and sends it; returns 0, or an error after which the
 * caller closes. Sets the write watch while output is pending. */
static int write_out(struct mc_h2conn *c)
{
    for (;;) {
        while (c->wbuf.len - c->woff < WRITE_BATCH) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(c->session, &data);
            if (n < 0)
                return MC_EPROTO;
            if (n == 0)
                break;
            if (mc_buf_append(&c->wbuf, data, (size_t)n) < 0)
                return MC_ETOOBIG;
        }
        if (c->woff == c->wbuf.len)
            break;
        ssize_t m = send(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return MC_EIO;
        }
        c->woff += (size_t)m;
        if (c->woff < c->wbuf.len)
            break;
        mc_buf_reset(&c->wbuf);
        c->woff = 0;
    }
    set_watch(c, MC_READ | (c->woff < c->wbuf.len ? MC_WRITE : 0));
    return 0;
}

void mc_h2conn_flush(struct mc_h2conn *c)
{
    int rc;

    if (c->closed || c->connecting || c->in_recv)
        return;
    rc = write_out(c);
    if (rc < 0) {
        really_close(c, rc);
        return;
    }
    if (c->woff == c->wbuf.len && !nghttp2_session_want_read(c->session) &&
        !nghttp2_session_want_write(c->session))
        really_close(c, 0);
}

static void flush_deferred(struct mc_loop *loop, void *arg)
{
    struct mc_h2conn *c = arg;

    (void)loop;
    c->flush_scheduled = false;
    mc_h2conn_flush(c);
    mc_h2conn_unref(c);
}

void mc_h2conn_schedule(struct mc_h2conn *c)
{
    if (c->closed || c->flush_scheduled)
        return;
    c->flush_scheduled = true;
    mc_h2conn_ref(c);
    mc_loop_defer(c->loop, flush_deferred, c);
}

/* Reads and feeds nghttp2; returns 0 or the error that ends the connection. */
static int read_in(struct mc_h2conn *c)
{
    uint8_t buf[READ_CHUNK];

    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0)
            return MC_ECLOSED;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return MC_EIO;
        }
        c->in_recv = true;
        ssize_t rv = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
        c->in_recv = false;
        if (c->close_req)
            return c->close_err;
        if (rv < 0) {
            /* Tell the peer why (best effort) before closing. */
            if (rv != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
                nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
            (void)write_out(c);
            return MC_EPROTO;
        }
        if ((size_t)n < sizeof(buf))
            return 0;
    }
    return 0;
}

static void io_cb(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct mc_h2conn *c = arg;
    int rc = 0;

    (void)loop;
    (void)fd;
    if (c->closed)
        return;
    mc_h2conn_ref(c);
    if (c->connecting) {
        rc = mc_net_connect_result(c->fd);
        if (rc < 0)
            goto fail;
        c->connecting = false;
        if (c->hooks->on_connected)
            c->hooks->on_connected(c);
    }
    if (events & (MC_READ | MC_HUP)) {
        rc = read_in(c);
        if (rc < 0 || c->close_req)
            goto fail;
    }
    mc_h2conn_flush(c);
    mc_h2conn_unref(c);
    return;
fail:
    really_close(c, c->close_req ? c->close_err : rc);
    mc_h2conn_unref(c);
}

int mc_h2conn_init(struct mc_h2conn *c, struct mc_loop *loop, int fd, bool connecting,
                   const struct mc_h2conn_hooks *hooks)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->fd = fd;
    c->hooks = hooks;
    c->refs = 1;
    c->connecting = connecting;
    mc_buf_init(&c->wbuf, WBUF_MAX);
    c->watched = connecting ? (MC_READ | MC_WRITE) : MC_READ;
    if (mc_loop_add_fd(loop, fd, c->watched, io_cb, c) < 0) {
        close(fd);
        c->fd = -1;
        c->closed = true;
        return MC_EIO;
    }
    return 0;
}

static void really_close(struct mc_h2conn *c, int err)
{
    if (c->closed)
        return;
    c->closed = true;
    c->close_req = false;
    mc_loop_del_fd(c->loop, c->fd);
    close(c->fd);
    c->fd = -1;
    c->hooks->on_closed(c, err);
    nghttp2_session_del(c->session);
    c->session = NULL;
    mc_h2conn_unref(c); /* the owner's reference */
}

void mc_h2conn_close(struct mc_h2conn *c, int err)
{
    if (c->closed || c->close_req)
        return;
    if (c->in_recv) {
        /* nghttp2 is on the stack: finish after mem_recv returns (see read_in). */
        c->close_req = true;
        c->close_err = err;
        return;
    }
    really_close(c, err);
}

void mc_h2_nvs_init(struct mc_h2_nvs *h)
{
    h->nv = NULL;
    h->n = 0;
    h->cap = 0;
}

void mc_h2_nvs_release(struct mc_h2_nvs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->nv[i].name);
        free(h->nv[i].value);
    }
    free(h->nv);
    mc_h2_nvs_init(h);
}

void mc_h2_nvs_add(struct mc_h2_nvs *h, const char *name, const char *value, size_t value_len)
{
    nghttp2_nv *nv;

    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->nv = mc_realloc(h->nv, h->cap * sizeof(*h->nv));
    }
    nv = &h->nv[h->n++];
    nv->namelen = strlen(name);
    nv->name = (uint8_t *)mc_strndup(name, nv->namelen);
    nv->value = (uint8_t *)mc_strndup(value, value_len);
    nv->valuelen = value_len;
    /* nghttp2 copies on submit, so the list may be released right after. */
    nv->flags = NGHTTP2_NV_FLAG_NONE;
}

void mc_h2_nvs_add_cstr(struct mc_h2_nvs *h, const char *name, const char *value)
{
    mc_h2_nvs_add(h, name, value, strlen(value));
}

struct mc_h2_chunk {
    struct mc_h2_chunk *next;
    size_t len;
    size_t off;
    uint8_t data[];
};

void mc_h2_outq_init(struct mc_h2_outq *q)
{
    q->head = NULL;
    q->tail = NULL;
    q->bytes = 0;
}

void mc_h2_outq_release(struct mc_h2_outq *q)
{
    while (q->head) {
        struct mc_h2_chunk *next = q->head->next;
        free(q->head);
        q->head = next;
    }
    mc_h2_outq_init(q);
}

void mc_h2_outq_push_msg(struct mc_h2_outq *q, const void *msg, size_t len)
{
    struct mc_h2_chunk *ch = mc_malloc(sizeof(*ch) + MC_GRPC_FRAME_HDR_LEN + len);

    ch->next = NULL;
    ch->len = MC_GRPC_FRAME_HDR_LEN + len;
    ch->off = 0;
    mc_grpc_frame_header(ch->data, false, (uint32_t)len);
    if (len)
        memcpy(ch->data + MC_GRPC_FRAME_HDR_LEN, msg, len);
    if (q->tail)
        q->tail->next = ch;
    else
        q->head = ch;
    q->tail = ch;
    q->bytes += ch->len;
}

size_t mc_h2_outq_read(struct mc_h2_outq *q, uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len && q->head) {
        struct mc_h2_chunk *ch = q->head;
        size_t take = MC_MIN(len - done, ch->len - ch->off);
        memcpy(buf + done, ch->data + ch->off, take);
        ch->off += take;
        done += take;
        if (ch->off == ch->len) {
            q->head = ch->next;
            if (!q->head)
                q->tail = NULL;
            free(ch);
        }
    }
    q->bytes -= done;
    return done;
}

int mc_h2_session_setup(nghttp2_session *s, uint32_t max_streams, uint32_t stream_window,
                        uint32_t conn_window, size_t max_header_bytes)
{
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, stream_window },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)max_header_bytes },
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
    };
    /* ENABLE_PUSH is a client-only setting; servers must not send it. */
    size_t n = nghttp2_session_check_server_session(s) ? 3 : 4;

    if (nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, n) != 0)
        return MC_EPROTO;
    if (conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE &&
        nghttp2_session_set_local_window_size(s, NGHTTP2_FLAG_NONE, 0, (int32_t)conn_window) != 0)
        return MC_EPROTO;
    return 0;
}
