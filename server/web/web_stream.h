/*
 * Streaming calls for the web dashboard. The API gateway answers one JSON
 * request with one JSON response, so streaming endpoints (a service's server
 * streams, Runtime.Logs when following) are bridged here instead: the browser
 * POSTs the request JSON to the dashboard's own listener, which opens a gRPC
 * call with the JSON codec to the gRPC proxy (where the auth hook applies the
 * same rules as at the gateway) and relays every message as it arrives.
 *
 * The answer is always 200 with newline-delimited JSON, one object a line:
 *   {"message": <the service's message>}   for every message, as it arrives
 *   {"done": true}                        when the stream ended well
 *   {"error": <micro error JSON>}         when it failed (unauthorised, no node...)
 * Errors travel in-band because a stream can fail after messages were sent.
 * A request body that is a JSON array is sent as one message per element
 * (client and bidi streams); anything else is sent as the one message.
 */
#ifndef MC_SERVER_WEB_STREAM_H
#define MC_SERVER_WEB_STREAM_H

#include "mc_common.h"
#include "mc_loop.h"

struct mc_http_exchange;
struct mc_web_streams;

/* Bridges on loop to the gRPC proxy at proxy_addr ("host:port", copied). The
 * connection is opened on the first stream. Never NULL. */
struct mc_web_streams *mc_web_streams_new(struct mc_loop *loop, const char *proxy_addr);
/* Cancels the streams in flight. Free the HTTP server whose exchanges they
 * answer first (its aborts detach them), then this; run the loop once after so
 * the cancelled calls are released. NULL is a no-op. */
void mc_web_streams_free(struct mc_web_streams *ws);

/* Answers ex with the stream of service's endpoint ("Handler.Method"), the
 * request body of ex as the request. authorization is the value to send
 * ("Bearer <token>", or NULL for none); ns the Micro-Namespace (NULL: none).
 * Both are copied. The exchange is answered by this module from now on. */
void mc_web_stream_start(struct mc_web_streams *ws, struct mc_http_exchange *ex,
                         const char *service, const char *endpoint, const char *authorization,
                         const char *ns);

#endif
