/*
 * The gRPC server on the event loop: HTTP/2 cleartext with prior knowledge
 * (clients send the connection preface directly), any number of connections,
 * each multiplexing calls. It deals in raw message bytes, the content type and
 * metadata; decoding and dispatch by path belong to the layer above, which gets
 * one callback per new call and answers through the call object.
 *
 * Call lifetime (struct mc_grpc_scall):
 *   - The call is handed to on_call when its request headers are complete. The
 *     handler sets its callbacks there (mc_grpc_scall_set_handler); messages that
 *     arrive while no handler is set are dropped.
 *   - The handler's part ends at the first of: its own mc_grpc_scall_finish(), or
 *     the return of its on_cancel callback. From then on the handler must not
 *     touch the call pointer; no further callbacks come. The library frees the
 *     call later from a deferred loop callback, never inside a callback.
 *   - Callbacks are never invoked from inside an mc_grpc_scall_* function, so a
 *     handler may call them while holding its own state in any shape.
 * Output is written from a deferred loop callback, so calls from the handler
 * batch into few system calls.
 */
#ifndef MC_GRPC_SERVER_H
#define MC_GRPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mc_grpc.h"
#include "mc_loop.h"

struct mc_grpc_server;
struct mc_grpc_scall;

/* Longest an answer given before the client finished its request is held back
 * waiting for the client's END_STREAM (see hold_early in mc_grpc_server.c). */
#define MC_GRPC_EARLY_HOLD_MS 1000

/* Why a call ended before the handler finished it. */
enum mc_grpc_cancel_reason {
    MC_GRPC_CANCEL_RESET = 1,      /* the client sent RST_STREAM */
    MC_GRPC_CANCEL_CONN_LOST,      /* the connection closed or broke */
    MC_GRPC_CANCEL_DEADLINE,       /* the deadline passed; DEADLINE_EXCEEDED was sent */
    MC_GRPC_CANCEL_SHUTDOWN,       /* mc_grpc_server_free() */
    MC_GRPC_CANCEL_PROTOCOL,       /* bad input on the stream (oversized or malformed
                                      message); the library sent the error status */
};
const char *mc_grpc_cancel_reason_str(enum mc_grpc_cancel_reason r);

/* New call: the request headers are in; set the handler before returning. */
typedef void (*mc_grpc_server_call_cb)(struct mc_grpc_scall *call, void *arg);

struct mc_grpc_scall_handler {
    /* One whole request message; msg is valid during the callback only. */
    void (*on_message)(struct mc_grpc_scall *call, const char *msg, size_t len, void *arg);
    /* The client finished sending (END_STREAM). */
    void (*on_half_close)(struct mc_grpc_scall *call, void *arg);
    /* The call ended without the handler finishing it; see the lifetime above. */
    void (*on_cancel)(struct mc_grpc_scall *call, enum mc_grpc_cancel_reason reason, void *arg);
};

/* A server on loop. limits NULL: mc_grpc_limits_default. on_call is required.
 * Never NULL (allocation failure aborts). The server does not listen yet. */
struct mc_grpc_server *mc_grpc_server_new(struct mc_loop *loop, const struct mc_grpc_limits *limits,
                                          mc_grpc_server_call_cb on_call, void *arg);
/* Listens on addr ("host:port", port 0 picks one). One listener per server.
 * 0, MC_EADDR with the reason in err, or MC_EEXIST when already listening. */
int mc_grpc_server_listen(struct mc_grpc_server *s, const char *addr, char *err, size_t errlen);
/* The bound address ("127.0.0.1:41235") after listen; "" before. Owned by s. */
const char *mc_grpc_server_addr(const struct mc_grpc_server *s);
/* Serves an already accepted socket (fd owned by the server from now on, even on
 * failure). 0 or MC_EIO. */
int mc_grpc_server_adopt(struct mc_grpc_server *s, int fd);
/* Connections currently open (for tests and stats). */
size_t mc_grpc_server_conn_count(const struct mc_grpc_server *s);

/* Shuts down: stops accepting, sends GOAWAY on every connection, cancels every
 * live call (on_cancel with MC_GRPC_CANCEL_SHUTDOWN, called from inside this
 * function), closes the connections and frees the server. Safe from inside a
 * callback of this server. Memory of connections and calls is released by
 * deferred callbacks: run the loop once (mc_loop_run_once(loop, 0)) before
 * mc_loop_free(). NULL is a no-op. */
void mc_grpc_server_free(struct mc_grpc_server *s);

/* --- the call ---------------------------------------------------------------- */

/* The request: all borrowed from the call, valid while the handler owns it. */
const char *mc_grpc_scall_path(const struct mc_grpc_scall *c);          /* ":path" */
const char *mc_grpc_scall_content_type(const struct mc_grpc_scall *c);  /* "application/grpc..." */
const char *mc_grpc_scall_authority(const struct mc_grpc_scall *c);     /* "" when absent */
/* Request metadata: every header except pseudo-headers and the transport ones
 * (content-type, te, grpc-timeout, grpc-encoding, grpc-accept-encoding); keys
 * lower-case; "-bin" values base64-decoded. micro's "timeout" stays in it. */
const struct mc_grpc_metadata *mc_grpc_scall_metadata(const struct mc_grpc_scall *c);
/* Absolute deadline on the mc_now_ms() clock, 0 when none; the earlier of
 * grpc-timeout and micro's "timeout" (nanoseconds) header. */
uint64_t mc_grpc_scall_deadline(const struct mc_grpc_scall *c);

void mc_grpc_scall_set_handler(struct mc_grpc_scall *c, const struct mc_grpc_scall_handler *h,
                               void *arg);

/* Sends the response headers now (optional: otherwise they go with the first
 * message or the status). md may be NULL; its entries are copied ("-bin" values
 * are base64-encoded on the wire). MC_EINVAL when headers were already sent or
 * the call is finished, MC_ECLOSED when the connection is gone. */
int mc_grpc_scall_send_headers(struct mc_grpc_scall *c, const struct mc_grpc_metadata *md);
/* Queues one response message (copied). MC_ETOOBIG past max_send_msg,
 * MC_EINVAL after finish, MC_ECLOSED when the connection is gone. */
int mc_grpc_scall_send(struct mc_grpc_scall *c, const void *msg, size_t len);
/* Bytes queued and not yet handed to HTTP/2 (for back-pressure by the caller). */
size_t mc_grpc_scall_pending(const struct mc_grpc_scall *c);
/* Ends the call with a status: code, message (NULL or text; percent-encoded on
 * the wire), details (optional bytes for grpc-status-details-bin), trailing
 * metadata (NULL or copied). Without any message or headers sent before, this
 * is a trailers-only response. The handler's part ends here whatever the
 * result: 0, MC_ECLOSED (connection gone; nothing sent), MC_EINVAL (already
 * finished: the call pointer was already invalid, so this is a handler bug). */
int mc_grpc_scall_finish(struct mc_grpc_scall *c, int code, const char *message,
                         const void *details, size_t details_len,
                         const struct mc_grpc_metadata *trailers);

#endif
