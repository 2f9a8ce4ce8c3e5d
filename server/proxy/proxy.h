/*
 * The proxy's forwarding half (spec §4.6): calls for services that are not served
 * in this process go to a node of that service from the registry. The auth hook
 * runs first (resource service:<svc>:<Handler.Method>); the namespace is the
 * caller's Micro-Namespace (else the token's issuer, else "micro") and only nodes
 * registered in that domain qualify. Frames are forwarded as they are, keeping the
 * content type: unary calls and every kind of stream, with deadlines and
 * cancellation carried both ways. One HTTP/2 connection per node address is kept
 * and shared by all calls to it.
 *
 * The gateway uses the same path for user services through mc_proxy_call(): one
 * JSON request, one JSON response.
 */
#ifndef MC_SERVER_PROXY_H
#define MC_SERVER_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_error.h"
#include "mc_grpc_server.h"
#include "mc_metadata.h"

struct mc_core;
struct mc_proxy;

/* A forwarder on core's loop, using core->registry for routes and core->rpc's auth
 * hook. Both must outlive it. */
struct mc_proxy *mc_proxy_new(struct mc_core *core);
/* Cancels calls in flight and closes the node connections. NULL is a no-op. */
void mc_proxy_free(struct mc_proxy *p);

/* mc_rpc_grpc's fallback: forwards call to a node of service. Always takes the call
 * (answers with the route error itself when no node serves it). */
bool mc_proxy_forward(struct mc_grpc_scall *call, const char *service, void *proxy);

/* The answer to mc_proxy_call: on success err is NULL and body holds the response
 * JSON; else err is the micro error (body empty). Both borrowed for the callback. */
typedef void (*mc_proxy_done_fn)(const struct mc_error *err, const char *body, size_t len,
                                 void *arg);

/* Calls service's endpoint ("Handler.Method") with a JSON request on behalf of the
 * gateway: md are the request's metadata (copied), timeout_ms 0 = the default (10 s,
 * upstream's). done runs exactly once, from the loop, never from inside this call.
 * Returns a handle for mc_proxy_call_cancel (valid until done runs). */
struct mc_proxy_call;
struct mc_proxy_call *mc_proxy_call(struct mc_proxy *p, const char *service,
                                    const char *endpoint, const struct mc_metadata *md,
                                    const char *json, size_t len, uint64_t timeout_ms,
                                    mc_proxy_done_fn done, void *arg);
/* The caller lost interest (HTTP client went away): done is not called. */
void mc_proxy_call_cancel(struct mc_proxy_call *c);

#endif
