/*
 * The sans-IO half of the client transport (transport.c does the I/O with
 * libcurl): it takes one gRPC response as libcurl hands it over -- header
 * lines (the status line, the headers, and the trailers, which libcurl passes
 * to the same callback) and DATA bytes in chunks of any size -- delivers each
 * message to a callback as soon as it is complete, and at the end turns what
 * it saw into a result: OK, a micro error from the gRPC status (through
 * shared/mc_error), or a local error for a response that is not gRPC at all.
 * Kept apart from the curl code so that unit tests can feed it bytes.
 */
#ifndef MC_CLIENT_TRANSPORT_REPLY_H
#define MC_CLIENT_TRANSPORT_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_buf.h"
#include "mc_grpc_frame.h"
#include "transport.h"

/* Limit on the header and trailer bytes of one response (name + value). */
#define MC_TRANSPORT_MAX_HEADER_BYTES (1024u * 1024u)
/* Size of the text kept for a local error (longer texts are cut). */
#define MC_TRANSPORT_REPLY_ERRMSG_MAX 256

struct mc_transport_reply {
    struct mc_grpc_frame_decoder dec;
    mc_transport_msg_fn *on_msg;
    void *ud;
    int http_status;          /* from the status line; 0 until seen */
    bool grpc_content_type;   /* content-type is application/grpc[+x|;...] */
    bool saw_content_type;
    char content_type[64];    /* as received (cut), for the error text */
    bool have_status;         /* grpc-status seen (headers or trailers) */
    int grpc_status;
    struct mc_buf message;    /* grpc-message as received (percent-encoded) */
    struct mc_buf details;    /* grpc-status-details-bin as received (base64) */
    size_t header_bytes;
    size_t messages;          /* messages delivered to on_msg */
    bool cancelled;           /* on_msg asked to stop */
    int err;                  /* first local error (negative MC_E*), 0 if none */
    char errmsg[MC_TRANSPORT_REPLY_ERRMSG_MAX];
};

/* Ready for one response; on_msg is required. Allocates nothing yet. */
void mc_transport_reply_init(struct mc_transport_reply *r, mc_transport_msg_fn *on_msg,
                             void *ud);
void mc_transport_reply_release(struct mc_transport_reply *r);

/*
 * One header line as libcurl gives it, CRLF included or not: "HTTP/2 200",
 * "name: value", or the empty line that ends a block. Returns 0, or a
 * negative MC_E* once the response is unusable (too many header bytes, a bad
 * grpc-status); the error is kept for mc_transport_reply_finish.
 */
int mc_transport_reply_header(struct mc_transport_reply *r, const char *line, size_t len);

/*
 * DATA bytes. Complete messages go to on_msg in order. Returns 0 to go on,
 * 1 when on_msg asked to stop (the caller aborts the transfer), or a negative
 * MC_E* for bad framing or a message over MC_TRANSPORT_MAX_MSG. The body of
 * a response that is not gRPC (wrong status or content-type) is ignored.
 */
int mc_transport_reply_data(struct mc_transport_reply *r, const char *data, size_t len);

/*
 * The result once the response ended (the transfer finished without a
 * transport error). Returns 0 for status OK or a cancelled stream; -1 with f
 * filled otherwise: MC_CLI_MICRO_ERROR for a non-OK grpc-status (the error
 * from grpc-status-details-bin, else grpc-message's JSON, else 500
 * go.micro.client with the message), MC_CLI_LOCAL for anything that is not
 * a well-formed gRPC response (detail says what).
 */
int mc_transport_reply_finish(struct mc_transport_reply *r, struct mc_cli_failure *f);

/* Replaces f with a local failure whose detail is printf(fmt, ...). */
void mc_transport_fail(struct mc_cli_failure *f, enum mc_cli_failure_kind kind,
                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
