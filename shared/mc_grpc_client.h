/*
 * The gRPC client on the event loop: one HTTP/2 cleartext connection per
 * client object (prior knowledge), connected lazily on the first call,
 * multiplexing every call, and replaced by a fresh one on the next call after
 * it fails or the server sends GOAWAY. The proxy uses it to reach service
 * nodes; tests and simple tools use the synchronous helper at the end.
 *
 * Call lifetime (struct mc_grpc_ccall): valid from mc_grpc_client_call() until
 * its on_done callback returns. on_done comes exactly once for every started
 * call, always from a deferred loop callback (never from inside an
 * mc_grpc_* function), with the final status; the library frees the call after
 * it returns. on_headers and on_message come from I/O callbacks, before on_done.
 */
#ifndef MC_GRPC_CLIENT_H
#define MC_GRPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_grpc.h"
#include "mc_loop.h"

struct mc_grpc_client;
struct mc_grpc_ccall;

/* The final status of a call; everything borrowed for the on_done callback only. */
struct mc_grpc_status {
    int code;                              /* enum mc_grpc_code */
    const char *message;                   /* percent-decoded grpc-message, "" if none */
    const char *details;                   /* decoded grpc-status-details-bin or NULL */
    size_t details_len;
    const struct mc_grpc_metadata *trailers;  /* trailing metadata (maybe empty) */
};

struct mc_grpc_ccall_handler {
    /* Response headers (initial metadata) arrived. Optional. */
    void (*on_headers)(struct mc_grpc_ccall *call, const struct mc_grpc_metadata *md, void *arg);
    /* One whole response message; valid during the callback only. Optional. */
    void (*on_message)(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg);
    /* The call is over (see the lifetime above). Required. */
    void (*on_done)(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg);
};

struct mc_grpc_call_opts {
    const char *path;                      /* "/service.Handler/Method", required */
    const char *content_type;              /* NULL: "application/grpc+proto" */
    const char *authority;                 /* NULL: the client's address */
    const struct mc_grpc_metadata *metadata;  /* NULL or copied; "-bin" values base64'd */
    uint64_t timeout_ms;                   /* 0: no deadline; else sent as grpc-timeout
                                              and enforced locally (DEADLINE_EXCEEDED) */
};

/* A client for addr ("host:port"); nothing is connected yet. limits NULL: defaults.
 * Never NULL. */
struct mc_grpc_client *mc_grpc_client_new(struct mc_loop *loop, const char *addr,
                                          const struct mc_grpc_limits *limits);
/* Ends every unfinished call with CANCELLED "grpc: the client connection is closing"
 * (on_done still delivered, deferred), closes the connection and frees the client.
 * Safe from inside this client's callbacks. As with the server, run the loop once
 * before mc_loop_free() so deferred releases complete. NULL is a no-op. */
void mc_grpc_client_free(struct mc_grpc_client *cl);
const char *mc_grpc_client_addr(const struct mc_grpc_client *cl);

/* Starts a call. h and arg stay with the call. *out gets the call (may be NULL
 * when the caller does not need it). Connection problems are not errors here:
 * they end the call through on_done with UNAVAILABLE (the message contains
 * "connection refused" when the connect was refused). Returns 0, or MC_EINVAL
 * (missing path or on_done, invalid metadata) with no call started. */
int mc_grpc_client_call(struct mc_grpc_client *cl, const struct mc_grpc_call_opts *o,
                        const struct mc_grpc_ccall_handler *h, void *arg,
                        struct mc_grpc_ccall **out);
/* Queues one request message (copied). MC_EINVAL after close_send or once the
 * call is over, MC_ETOOBIG past max_send_msg. */
int mc_grpc_ccall_send(struct mc_grpc_ccall *call, const void *msg, size_t len);
/* Half-closes: no more messages from the client. MC_EINVAL when already done. */
int mc_grpc_ccall_close_send(struct mc_grpc_ccall *call);
/* Cancels: RST_STREAM(CANCEL) to the server, on_done with CANCELLED ("context
 * canceled") delivered once, deferred. No-op when the call already has its status. */
void mc_grpc_ccall_cancel(struct mc_grpc_ccall *call);
/* Bytes queued and not yet handed to HTTP/2. */
size_t mc_grpc_ccall_pending(const struct mc_grpc_ccall *call);

/* --- synchronous unary helper (runs a private loop) --------------------------------- */

struct mc_grpc_unary_result {
    int code;
    char *message;                 /* never NULL after the call */
    char *details;                 /* NULL when none */
    size_t details_len;
    char *response;                /* the response message, NULL when none arrived */
    size_t response_len;
    struct mc_grpc_metadata headers;
    struct mc_grpc_metadata trailers;
};

/* Runs one unary call to addr on a private loop until it ends. res is filled
 * (release it with mc_grpc_unary_result_release) whenever 0 is returned, even for
 * non-OK statuses. MC_EINVAL for bad options; MC_EIO when no loop can be created. */
int mc_grpc_unary_sync(const char *addr, const struct mc_grpc_call_opts *o, const void *req,
                       size_t req_len, const struct mc_grpc_limits *limits,
                       struct mc_grpc_unary_result *res);
void mc_grpc_unary_result_release(struct mc_grpc_unary_result *res);

/*
 * A blocking client that keeps its connection between calls: a private loop and
 * one mc_grpc_client, for single-threaded code that makes one call at a time
 * (libmicro's outgoing calls) and should not pay a TCP and HTTP/2 handshake per
 * call. Before each call the private loop handles what arrived while it was
 * idle (a GOAWAY, the server closing the connection), so a connection the
 * server dropped is replaced rather than failing the call. Not thread-safe.
 */
struct mc_grpc_sync;
/* NULL when no loop can be created. limits NULL: defaults. */
struct mc_grpc_sync *mc_grpc_sync_new(const char *addr, const struct mc_grpc_limits *limits);
/* As mc_grpc_unary_sync, on sc's connection. */
int mc_grpc_sync_unary(struct mc_grpc_sync *sc, const struct mc_grpc_call_opts *o,
                       const void *req, size_t req_len, struct mc_grpc_unary_result *res);
/* Closes the connection and frees everything. NULL is a no-op. */
void mc_grpc_sync_free(struct mc_grpc_sync *sc);

#endif
