/*
 * Serves an mc_rpc table over gRPC: the glue between mc_grpc_server (bytes,
 * content type, metadata) and mc_rpc (routing, codecs, handlers). Each call is
 * routed by its path when its headers arrive; its codec comes from content-type
 * (then x-content-type); the request message is buffered until the client
 * half-closes; the handler runs and its response or error is sent with the
 * status upstream would send: errors as a gRPC status whose message is the error
 * JSON and whose first detail is the errors.Error.
 *
 * Calls to a service that the table does not serve go to the fallback, which the
 * proxy uses to forward them to a registered node; without a fallback they get
 * upstream's route error (500 go.micro.client "service X: route not found").
 */
#ifndef MC_RPC_GRPC_H
#define MC_RPC_GRPC_H

#include <stdbool.h>

#include "mc_grpc_server.h"
#include "mc_loop.h"
#include "mc_rpc.h"

struct mc_rpc_grpc;

/* Takes a call for service (not served by the table). Returns true when it has
 * taken the call (and set its handler), false to let the route error be sent. */
typedef bool (*mc_rpc_grpc_fallback)(struct mc_grpc_scall *call, const char *service, void *arg);

/* A gRPC server on loop serving rpc (borrowed: it must outlive the result).
 * limits NULL: the defaults (32 MiB messages). Does not listen yet. */
struct mc_rpc_grpc *mc_rpc_grpc_new(struct mc_loop *loop, struct mc_rpc_server *rpc,
                                    const struct mc_grpc_limits *limits);
/* Listens on addr (port 0 picks one). 0, or MC_EADDR with the reason in err. */
int mc_rpc_grpc_listen(struct mc_rpc_grpc *g, const char *addr, char *err, size_t errlen);
/* The bound address after listen. */
const char *mc_rpc_grpc_addr(const struct mc_rpc_grpc *g);
/* The gRPC server underneath (borrowed, valid until mc_rpc_grpc_free): to serve a
 * socket accepted elsewhere with mc_grpc_server_adopt (the h2 fuzzer drives one
 * end of a socketpair) or to count connections. */
struct mc_grpc_server *mc_rpc_grpc_server(const struct mc_rpc_grpc *g);
void mc_rpc_grpc_set_fallback(struct mc_rpc_grpc *g, mc_rpc_grpc_fallback fn, void *arg);
/* Stops serving and frees (calls in flight are cancelled). NULL is a no-op. Run
 * the loop once before freeing the loop, as for mc_grpc_server_free(). */
void mc_rpc_grpc_free(struct mc_rpc_grpc *g);

/* Finishes call with the gRPC status for err (message = error JSON, details =
 * google.rpc.Status with the errors.Error). Shared with the proxy. */
void mc_rpc_grpc_finish_error(struct mc_grpc_scall *call, const struct mc_error *err);

#endif
