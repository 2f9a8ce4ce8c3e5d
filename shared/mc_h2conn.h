/*
 * The I/O half of one HTTP/2 connection, shared by the gRPC server and client
 * (internal to libmicro). nghttp2 stays sans-IO: this module reads the socket
 * into nghttp2_session_mem_recv, writes what nghttp2_session_mem_send produces
 * (buffering the rest when the socket is full), and closes the connection when
 * nghttp2 wants neither to read nor to write. It is embedded as the first
 * member of the owner's connection struct and reference counted: the owner
 * holds one reference while the connection is open, each pending deferred
 * flush holds one, and so does every stream object that points at it; the
 * on_free hook runs when the last one is dropped, from a loop callback.
 *
 * Closing is always safe to request, even from inside an nghttp2 callback:
 * the close then happens as soon as nghttp2_session_mem_recv returns.
 */
#ifndef MC_H2CONN_H
#define MC_H2CONN_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stddef.h>

#include "mc_buf.h"
#include "mc_loop.h"

struct mc_h2conn;

struct mc_h2conn_hooks {
    /* A client connect completed (optional). */
    void (*on_connected)(struct mc_h2conn *c);
    /* The connection is closed: fd closed, no more nghttp2 callbacks will come;
     * the session is deleted right after this returns. err: 0 for an orderly end,
     * MC_ECONNREFUSED/MC_EIO/MC_EPROTO/MC_ECLOSED/MC_ECANCELED otherwise. */
    void (*on_closed)(struct mc_h2conn *c, int err);
    /* The last reference is gone: free the owner. */
    void (*on_free)(struct mc_h2conn *c);
};

struct mc_h2conn {
    struct mc_loop *loop;
    int fd;
    nghttp2_session *session;
    const struct mc_h2conn_hooks *hooks;
    struct mc_buf wbuf;      /* bytes from nghttp2 not yet written */
    size_t woff;             /* written prefix of wbuf */
    unsigned refs;
    unsigned watched;        /* MC_READ/MC_WRITE currently registered */
    int close_err;
    bool connecting;         /* client: connect() in progress */
    bool in_recv;            /* inside nghttp2_session_mem_recv */
    bool close_req;          /* close requested while in_recv */
    bool closed;
    bool flush_scheduled;
};

/* Starts driving fd (owned from now on; closed on close). session must be set by
 * the caller right after (mc_h2conn_init does not create it). refs starts at 1
 * (the owner's). connecting: fd is an in-progress client connect. Returns 0, or
 * MC_EIO when the loop refuses the fd (fd then closed by this function). */
int mc_h2conn_init(struct mc_h2conn *c, struct mc_loop *loop, int fd, bool connecting,
                   const struct mc_h2conn_hooks *hooks);
void mc_h2conn_ref(struct mc_h2conn *c);
void mc_h2conn_unref(struct mc_h2conn *c);
/* Writes pending nghttp2 output soon (from a deferred callback), so callers never
 * re-enter nghttp2 from their own stack. No-op when closed. */
void mc_h2conn_schedule(struct mc_h2conn *c);
/* Writes what can be written now (not from inside nghttp2 callbacks). */
void mc_h2conn_flush(struct mc_h2conn *c);
/* Closes the connection (see the file comment) and drops the owner's reference.
 * Idempotent. */
void mc_h2conn_close(struct mc_h2conn *c, int err);

/* Owned header lists for nghttp2 submissions. */
struct mc_h2_nvs {
    nghttp2_nv *nv;
    size_t n;
    size_t cap;
};
void mc_h2_nvs_init(struct mc_h2_nvs *h);
void mc_h2_nvs_release(struct mc_h2_nvs *h);
/* Copies name (lower case expected) and value into the list. */
void mc_h2_nvs_add(struct mc_h2_nvs *h, const char *name, const char *value, size_t value_len);
void mc_h2_nvs_add_cstr(struct mc_h2_nvs *h, const char *name, const char *value);

/* Queue of outgoing gRPC-framed bytes for one stream (prefix + payload per chunk). */
struct mc_h2_outq {
    struct mc_h2_chunk *head;
    struct mc_h2_chunk *tail;
    size_t bytes;            /* unsent bytes queued */
};
void mc_h2_outq_init(struct mc_h2_outq *q);
void mc_h2_outq_release(struct mc_h2_outq *q);
/* Appends one framed message (copies msg). */
void mc_h2_outq_push_msg(struct mc_h2_outq *q, const void *msg, size_t len);
/* Copies up to len queued bytes into buf; returns the count. */
size_t mc_h2_outq_read(struct mc_h2_outq *q, uint8_t *buf, size_t len);

/* Sets the session options both ends use: SETTINGS (streams, windows, header list,
 * frame size), the connection window. 0 or MC_EPROTO. */
int mc_h2_session_setup(nghttp2_session *s, uint32_t max_streams, uint32_t stream_window,
                        uint32_t conn_window, size_t max_header_bytes);

#endif
