/*
 * Services, handlers and dispatch, independent of the transport. Every
 * frontend (the gRPC server on :8081, the HTTP API gateway on :8080, in-process
 * callers) resolves a call here and hands over the request bytes with their
 * codec; this module decodes them into the method's protobuf-c message (in a
 * per-request arena), runs the C handler and encodes its response.
 *
 * A service has a micro name ("registry") and handlers that come from protobuf-c
 * service descriptors ("Registry", "Debug"): the endpoint "Registry.GetService"
 * is method GetService of the descriptor whose short name is "Registry". Every
 * service gets the internal Debug handler (Health, Stats, Log, Trace) when it is
 * added, as upstream's services do.
 */
#ifndef MC_RPC_H
#define MC_RPC_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "mc_arena.h"
#include "mc_buf.h"
#include "mc_codec.h"
#include "mc_error.h"
#include "mc_metadata.h"

struct mc_rpc_server;
struct mc_rpc_service;
struct mc_rpc_method;

/* What a handler sees of its call. Everything is borrowed for the call's duration. */
struct mc_rpc_ctx {
    struct mc_arena *arena;          /* request-scoped memory: put response fields here */
    const char *service;             /* "registry" */
    const char *endpoint;            /* "Registry.GetService" */
    const struct mc_metadata *md;    /* request metadata, canonical keys; may be NULL */
    const char *ns;                  /* Micro-Namespace of the request, else "micro" */
    uint64_t deadline_ms;            /* monotonic ms (mc_now_ms), 0 = none */
    struct mc_error *err;            /* set it (mc_error_* helpers) when failing */
};

/*
 * A unary handler. req is the decoded request (read only); rsp is an
 * initialised response message in ctx->arena to fill in (strings and arrays may
 * point into the arena or at static data: nothing is freed field by field).
 * Returns 0, or a negative MC_E* code after setting ctx->err; a failure without
 * an error set becomes 500 with the code's message.
 */
typedef int (*mc_rpc_unary_fn)(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                               ProtobufCMessage *rsp, void *arg);

struct mc_rpc_server *mc_rpc_server_new(void);
/* Frees the server with its services. */
void mc_rpc_server_free(struct mc_rpc_server *srv);

/* Adds a service named name (copied) with the Debug handler already attached.
 * Returns NULL (MC_EEXIST) when the name is taken. The server owns the service. */
struct mc_rpc_service *mc_rpc_server_add(struct mc_rpc_server *srv, const char *name);
struct mc_rpc_service *mc_rpc_server_find(const struct mc_rpc_server *srv, const char *name);
/* Services in the order they were added. */
size_t mc_rpc_server_count(const struct mc_rpc_server *srv);
struct mc_rpc_service *mc_rpc_server_at(const struct mc_rpc_server *srv, size_t i);

const char *mc_rpc_service_name(const struct mc_rpc_service *svc);
/* Time the service was added (unix seconds), its counters of calls and failed calls. */
int64_t mc_rpc_service_started(const struct mc_rpc_service *svc);
uint64_t mc_rpc_service_requests(const struct mc_rpc_service *svc);
uint64_t mc_rpc_service_errors(const struct mc_rpc_service *svc);

/*
 * Binds method `method` of service descriptor sd (e.g. &registry__registry__descriptor,
 * "GetService") to fn. The descriptor must outlive the server (generated ones do).
 * Errors: MC_ENOTFOUND (no such method in sd), MC_EEXIST (already bound).
 * Only unary methods may be bound here (protobuf-c descriptors do not say which
 * methods stream: see mc_schema_core_streams for the core services' table).
 */
int mc_rpc_service_handle(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                          const char *method, mc_rpc_unary_fn fn, void *arg);

/*
 * Resolves a gRPC path "/<service>.<Handler>/<Method>" (the service is everything
 * before the last '.' of the first segment, as upstream's proxy does).
 * Returns 0 with *m set; MC_ENOTFOUND when no such service is served here (the
 * proxy then routes elsewhere); MC_EINVAL for a malformed path; MC_EUNSUPPORTED
 * when the service exists but not the handler or method: err then holds the
 * upstream answer, gRPC Unimplemented "unknown service X" / "unknown service X.Y"
 * (err->code 501 and err->detail the message).
 * On MC_ENOTFOUND / MC_EINVAL, service (when not NULL, at least 256 bytes) gets
 * the service part of the path for the caller's message.
 */
int mc_rpc_route(const struct mc_rpc_server *srv, const char *path,
                 const struct mc_rpc_method **m, char *service, struct mc_error *err);

const char *mc_rpc_method_endpoint(const struct mc_rpc_method *m);   /* "Registry.GetService" */
const struct mc_rpc_service *mc_rpc_method_service(const struct mc_rpc_method *m);
const ProtobufCMethodDescriptor *mc_rpc_method_desc(const struct mc_rpc_method *m);

/*
 * Runs a unary method: decodes len bytes of req with codec into the method's
 * input type (in ctx->arena), calls the handler, and appends the response
 * encoded with the same codec to out. ctx->service/endpoint are filled in.
 * Returns 0, or a negative code with ctx->err set: 400 when the request does not
 * decode, the handler's error, 500 when the response does not encode.
 * MC_CODEC_BYTES is refused with 400 (core services speak proto or JSON).
 */
int mc_rpc_invoke(const struct mc_rpc_method *m, struct mc_rpc_ctx *ctx, enum mc_codec codec,
                  const uint8_t *req, size_t len, struct mc_buf *out);

#endif
