/*
 * An HTTP/1.1 server on the event loop, used by the API gateway (:8080) and
 * the web dashboard (:8082). It accepts connections, parses requests with
 * mc_http1 and hands each complete request to one handler as an exchange.
 * The handler answers at once or later (after other loop work), with a whole
 * response or a chunked stream. Requests on a connection are answered in
 * order: the next pipelined request is parsed only after the current one is
 * answered. The server supplies Date, Content-Length/Transfer-Encoding and
 * Connection, answers Expect: 100-continue and parser errors (400, 413, 431,
 * 501, 505 with Connection: close), enforces the idle and request timeouts
 * and a connection cap, and stops reading while a client is slow to take its
 * output. Connections are never freed inside their own callbacks: closing is
 * finished from a loop timer, as libuv's uv_close does.
 */
#ifndef MC_HTTP_SERVER_H
#define MC_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_http1.h"
#include "mc_loop.h"

struct mc_http_server;
struct mc_http_exchange;

struct mc_http_server_options {
    struct mc_http1_limits limits; /* per request; see mc_http1.h */
    size_t max_connections;        /* open connections; more are refused with 503 */
    uint64_t idle_timeout_ms;      /* keep-alive wait for a request, and stalled writes */
    uint64_t request_timeout_ms;   /* to receive a whole request once it has started (408) */
    size_t write_high_water;       /* stop reading and parsing above this much queued output */
    size_t max_output;             /* queued output per connection (responses beyond: MC_ETOOBIG) */
    /* Formats the body of a response the server makes itself (parser errors such as
     * 400/413/431, timeouts): appends it to body and returns its content type. NULL
     * (the default): "STATUS Reason: detail" as text/plain. */
    const char *(*error_body)(int status, const char *detail, struct mc_buf *body, void *arg);
    void *error_body_arg;
};

#define MC_HTTP_SERVER_DEFAULT_MAX_CONNECTIONS 1024u
#define MC_HTTP_SERVER_DEFAULT_IDLE_MS 60000u
#define MC_HTTP_SERVER_DEFAULT_REQUEST_MS 30000u
#define MC_HTTP_SERVER_DEFAULT_HIGH_WATER (1024u * 1024u)
#define MC_HTTP_SERVER_DEFAULT_MAX_OUTPUT (64u * 1024u * 1024u)

/* Fills o with the defaults above and mc_http1_limits_default(). */
void mc_http_server_options_default(struct mc_http_server_options *o);

/* Called once per complete request. The exchange belongs to the server; the
 * handler must eventually answer it with mc_http_exchange_respond() or
 * mc_http_exchange_start()...end(), now or from a later callback, even when
 * the client has gone away (answering is then a no-op that releases it). */
typedef void (*mc_http_handler)(struct mc_http_exchange *ex, void *arg);
/* Told that the client of an unanswered exchange went away (or the server is
 * being freed). The exchange stays valid; answering it is a no-op. */
typedef void (*mc_http_abort_cb)(struct mc_http_exchange *ex, void *arg);

/* A server on loop calling handler(ex, arg) for each request. opts NULL means
 * the defaults (a copy is kept). Nothing listens until mc_http_server_listen(). */
struct mc_http_server *mc_http_server_new(struct mc_loop *loop,
                                          const struct mc_http_server_options *opts,
                                          mc_http_handler handler, void *arg);

/* Listens on addr ("127.0.0.1:8080", ":0" ...). MC_EADDR with the reason in
 * errbuf when it cannot bind, MC_EEXIST when already listening. */
int mc_http_server_listen(struct mc_http_server *s, const char *addr, char *errbuf, size_t errlen);
/* The bound address ("127.0.0.1:41235", so port 0 can be learnt); "" before listen. */
const char *mc_http_server_address(const struct mc_http_server *s);
/* Connections currently held (including closed ones still awaiting an answer). */
size_t mc_http_server_connections(const struct mc_http_server *s);

/* Graceful stop: closes the listener and idle connections; requests in progress
 * are completed and their connections closed after the response. */
void mc_http_server_shutdown(struct mc_http_server *s);
/* Stops accepting and closes every connection: unanswered exchanges get their
 * abort callback (answering from it is allowed and a no-op), then everything is
 * freed; exchanges must not be used afterwards. Not from a handler or abort
 * callback of this server. NULL is a no-op. */
void mc_http_server_free(struct mc_http_server *s);

/* ---- exchanges ------------------------------------------------------------ */

/* The request; valid until the exchange is answered. */
const struct mc_http1_request *mc_http_exchange_request(const struct mc_http_exchange *ex);
/* True once the client has gone away: answering is then a no-op (MC_ECLOSED). */
bool mc_http_exchange_aborted(const struct mc_http_exchange *ex);
/* Sets the callback told when the client goes away before the answer (replaces
 * any previous one; NULL removes it). */
void mc_http_exchange_on_abort(struct mc_http_exchange *ex, mc_http_abort_cb cb, void *arg);

/* Adds a response header (copied). Content-Length and Transfer-Encoding are
 * the server's (MC_EINVAL); "Connection: close" makes the server close after
 * this response; a Date given here replaces the automatic one. MC_EINVAL for a
 * name that is not a token or a value with CR, LF or NUL; MC_ETOOBIG past 64 KiB
 * of headers. */
int mc_http_exchange_add_header(struct mc_http_exchange *ex, const char *name, const char *value);

/* Sends the whole response (status 200..999) with body (copied; not sent for
 * HEAD requests, 204 and 304). Afterwards ex and its request are invalid,
 * except on MC_EINVAL (bad status or not awaiting an answer) and MC_ETOOBIG
 * (more than max_output queued), where nothing was sent and ex is still
 * pending. MC_ECLOSED when the client had gone: the exchange is released. */
int mc_http_exchange_respond(struct mc_http_exchange *ex, int status, const void *body, size_t len);

/* Starts a streamed response: chunked for HTTP/1.1 clients, delimited by
 * closing the connection for HTTP/1.0 ones. Errors as for respond; on
 * MC_ECLOSED the exchange is still to be ended. */
int mc_http_exchange_start(struct mc_http_exchange *ex, int status);
/* Queues len bytes of a started stream (len 0 does nothing). MC_ECLOSED when
 * the client went away, MC_ETOOBIG when max_output would be passed (nothing
 * queued: wait for mc_http_exchange_buffered() to fall), MC_EINVAL when not
 * streaming. */
int mc_http_exchange_write(struct mc_http_exchange *ex, const void *data, size_t len);
/* Ends the stream; ex and its request are invalid afterwards (also when the
 * client went away, where it returns MC_ECLOSED). MC_EINVAL when not streaming. */
int mc_http_exchange_end(struct mc_http_exchange *ex);
/* Takes the connection from the server, for protocol upgrades (WebSocket):
 * returns the socket (non-blocking, no longer watched by the loop, now owned
 * by the caller, who writes the 101 response itself) as an fd >= 0. Output not yet written
 * (answers to earlier pipelined requests, to be sent first) is moved into
 * *unsent and bytes received after this request into *unread; both buffers
 * are overwritten without being released and are the caller's to release.
 * The exchange is released. MC_ECLOSED when the client went away (released
 * too), MC_EINVAL when the exchange is not awaiting an answer. */
int mc_http_exchange_detach(struct mc_http_exchange *ex, struct mc_buf *unsent,
                            struct mc_buf *unread);
/* Output queued on the exchange's connection and not yet written (0 once the
 * client is gone), for producers of streams to pace themselves. */
size_t mc_http_exchange_buffered(const struct mc_http_exchange *ex);

#endif
