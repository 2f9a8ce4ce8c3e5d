/*
 * The client's transport to an environment: gRPC over HTTP/2 with libcurl
 * (DESIGN.md §5): h2c with prior knowledge for a plain address, TLS (ALPN h2)
 * when the session says so (port 443 or an env marked TLS). One transport is
 * one curl handle and so one connection, reused by every call of a session
 * (the prompt runs many commands over it). Calls are blocking; a server
 * stream delivers each message to a callback as it arrives.
 *
 * Requests carry one message with the JSON codec (content-type
 * application/grpc+json, as upstream's CLI sends); responses are decoded with
 * shared/mc_grpc_frame. The gRPC status comes from the trailers (or the headers
 * of a trailers-only response) and becomes a micro error with mc_error's
 * mappings (grpc-status-details-bin first, then the status message's JSON).
 */
#ifndef MC_CLIENT_TRANSPORT_H
#define MC_CLIENT_TRANSPORT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h" /* struct mc_cli_failure */

struct mc_transport;

#define MC_TRANSPORT_MAX_MSG (32u * 1024u * 1024u) /* as the server's limit */
/* A whole client stream sent at once (framed requests): a source archive of
 * MC_TAR_MAX_BYTES in base64 JSON messages, with room for the framing. */
#define MC_TRANSPORT_MAX_UPLOAD (400u * 1024u * 1024u)

/* address: "host:port" ("[::1]:8081" for IPv6). Returns NULL on OOM only:
 * nothing connects until the first call. */
struct mc_transport *mc_transport_new(const char *address, bool tls);
void mc_transport_free(struct mc_transport *t);

/*
 * The prompt's Ctrl-C (prompt.c): while *flag is non-zero, a running call
 * stops at libcurl's next progress check (a signal wakes it at once) and
 * fails as MC_CLI_LOCAL "cancelled". The flag is the caller's (a SIGINT
 * handler sets it; the caller clears it before the next call). NULL, the
 * default, never cancels. Per thread: it applies to the calls of the thread
 * that set it (another thread may set the flag itself to stop them).
 */
void mc_transport_set_cancel(volatile sig_atomic_t *flag);
/* The flag above is set: for loops of a command that wait between calls (run --watch). */
bool mc_transport_cancel_requested(void);

/*
 * Cancelling another thread's call at once (the prompt's registry watch, the
 * dashboard's feeders): libcurl looks at the cancel flag only at its progress
 * checks, about once a second while a stream is idle, so the canceller also
 * sends the thread MC_TRANSPORT_WAKE_SIGNAL, whose handler does nothing: its
 * delivery interrupts libcurl's poll. mc_transport_wake_install/remove are
 * counted (call them from one thread); wake is for a thread that set its
 * cancel flag with mc_transport_set_cancel.
 */
#define MC_TRANSPORT_WAKE_SIGNAL SIGUSR2
void mc_transport_wake_install(void);
void mc_transport_wake_remove(void);
void mc_transport_wake(pthread_t thread);

/* Called for every response message; non-zero cancels the call (the call then
 * returns 0 as if the stream had ended). */
typedef int mc_transport_msg_fn(void *ud, const char *json, size_t len);

struct mc_transport_request {
    const char *path;            /* "/store.Store/Read" */
    const char *const *headers;  /* extra "name: value" lines (lower-case names), or NULL */
    int header_count;
    const char *body;            /* the request message (JSON); NULL = "{}" */
    size_t body_len;
    bool proto;                  /* body and answers are protobuf (application/grpc+proto)
                                    rather than JSON */
    bool framed;                 /* body is already a sequence of gRPC frames: the
                                    messages of a client stream, all sent at once and
                                    then half-closed (at most MC_TRANSPORT_MAX_UPLOAD) */
    uint64_t timeout_ms;         /* 0 = none; else sent as the grpc-timeout / micro
                                    `timeout` headers and enforced locally */
    mc_transport_msg_fn *on_msg; /* required */
    void *ud;
};

/*
 * Runs one call. Returns 0 when the server ended it with status OK (or on_msg
 * cancelled it); -1 with f filled otherwise:
 *  - MC_CLI_DIAL when no connection could be made (refused, unreachable, DNS,
 *    TLS handshake), error.detail = curl's message;
 *  - MC_CLI_MICRO_ERROR with the server's error (a local deadline becomes a
 *    408 "Request timed out"-class micro error with id "go.micro.client");
 *  - MC_CLI_LOCAL for malformed responses (bad framing, message too big).
 */
int mc_transport_call(struct mc_transport *t, const struct mc_transport_request *req,
                      struct mc_cli_failure *f);

#endif
