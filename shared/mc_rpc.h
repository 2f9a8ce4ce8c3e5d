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

#include <stdbool.h>
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
struct mc_rpc_stream;

/* The caller's account, from its access token (NULL in the ctx: anonymous).
 * Filled by the server's auth hook; strings borrowed for the call's duration. */
struct mc_account {
    const char *id;
    const char *type;        /* "user", "service", ... */
    const char *issuer;      /* the namespace that issued it */
    const char *name;
    const char *const *scopes;
    size_t nscopes;
};

/* Whether an account has a scope (exact match). */
bool mc_account_has_scope(const struct mc_account *a, const char *scope);

/* What a handler sees of its call. Everything is borrowed for the call's duration. */
struct mc_rpc_ctx {
    struct mc_arena *arena;          /* request-scoped memory: put response fields here */
    const char *service;             /* "registry" */
    const char *endpoint;            /* "Registry.GetService" */
    const struct mc_metadata *md;    /* request metadata, canonical keys; may be NULL */
    const char *ns;                  /* Micro-Namespace of the request, else "micro" */
    uint64_t deadline_ms;            /* monotonic ms (mc_now_ms), 0 = none */
    const struct mc_account *account;   /* the caller, NULL when anonymous */
    struct mc_error *err;            /* set it (mc_error_* helpers) when failing */
    /* Set by a frontend that holds an answer until the writes it may depend on are
     * committed (see mc_rpc_durability); otherwise mc_rpc_invoke commits them. */
    bool hold_answer;
};

/*
 * The server's auth hook, run for every call before its handler (and by the
 * proxy for calls it forwards): it authenticates the caller from ctx->md
 * (Authorization), sets ctx->account (allocated in ctx->arena), and checks the
 * rules for resource service:<ctx->service>:<ctx->endpoint>. Returns 0 to let
 * the call through, or a negative code with ctx->err set (401/403 as §6.5).
 * Without a hook every call is let through anonymously.
 */
typedef int (*mc_rpc_auth_fn)(struct mc_rpc_ctx *ctx, void *arg);
void mc_rpc_server_set_auth(struct mc_rpc_server *srv, mc_rpc_auth_fn fn, void *arg);
/* Runs the hook (0 when none is set). For frontends that dispatch elsewhere. */
int mc_rpc_server_authorize(const struct mc_rpc_server *srv, struct mc_rpc_ctx *ctx);

/*
 * Group commit. The server's storage may keep writes in an open batch that one
 * commit makes durable (mc_storage_write_later). An answer given while a batch is
 * open may acknowledge a write of it, or show one, so it must not leave before
 * the batch commits, and must become an error if the commit fails. mc_rpc_invoke
 * commits the open batch before returning a success, unless ctx->hold_answer:
 * the frontends that can answer later (the gRPC server, the HTTP gateway) take
 * the batch (mc_rpc_server_pending_writes), keep the answer, and settle every
 * answer held at the end of the loop round with one commit (mc_rpc_hold.h).
 * Without a durability provider nothing is ever pending.
 */
struct mc_rpc_durability {
    /* The batch of uncommitted writes, with a reference taken; NULL when none. */
    void *(*pending)(void *arg);
    /* Commits batch if it is still open; its outcome: 0 or a negative MC_E* code. */
    int (*commit)(void *arg, void *batch);
    /* Drops the reference pending() took. */
    void (*release)(void *arg, void *batch);
};
void mc_rpc_server_set_durability(struct mc_rpc_server *srv, const struct mc_rpc_durability *d,
                                  void *arg);
/* The open batch (a reference to pass to mc_rpc_server_settle), or NULL. */
void *mc_rpc_server_pending_writes(const struct mc_rpc_server *srv);
/* Commits batch when still open and drops the reference. 0 when its writes are
 * durable; else a negative code with err set to 500 "cannot store the data: <why>"
 * from service, the answer to send instead of the held one. */
int mc_rpc_server_settle(const struct mc_rpc_server *srv, void *batch, const char *service,
                         struct mc_error *err);

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

/* ---- streams ------------------------------------------------------------------------- */

/*
 * A streaming method (server, client or bidirectional streaming; upstream opens
 * every stream as bidi and the client sends the request as its first message).
 * The open handler runs once when the stream starts, after the auth hook, and
 * sets the stream's callbacks; every client message, the first included, then
 * arrives decoded in on_message. The handler sends with mc_rpc_stream_send() at
 * any time (also later, from other loop callbacks: watches, subscriptions) and
 * ends the stream with mc_rpc_stream_finish().
 *
 * Lifetime: the stream is the handler's from open until the first of its own
 * mc_rpc_stream_finish() or the return of on_cancel (client gone, deadline,
 * server shutdown); after that the pointer must not be touched. Callbacks never
 * run from inside mc_rpc_stream_* functions.
 */
enum mc_rpc_stream_kind {
    MC_RPC_STREAM_SERVER = 1,   /* one request, many responses (Registry.Watch) */
    MC_RPC_STREAM_CLIENT,       /* many requests, one response (BlobStore.Write) */
    MC_RPC_STREAM_BIDI,         /* both (Stream.Consume with acks) */
};

struct mc_rpc_stream_ops {
    /* One client message, decoded into the method's input type; valid during the call. */
    void (*on_message)(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg);
    /* The client finished sending (optional). */
    void (*on_half_close)(struct mc_rpc_stream *st, void *arg);
    /* The stream ended without the handler finishing it (required when the handler keeps
     * the pointer beyond its callbacks). */
    void (*on_cancel)(struct mc_rpc_stream *st, void *arg);
};

/* Opens a stream: set the callbacks with mc_rpc_stream_set_ops(). Returning a negative
 * code with ctx->err set (mc_rpc_stream_ctx) refuses the stream with that error. */
typedef int (*mc_rpc_stream_open_fn)(struct mc_rpc_stream *st, void *arg);

/* Binds a streaming method (errors as mc_rpc_service_handle). */
int mc_rpc_service_handle_stream(struct mc_rpc_service *svc, const ProtobufCServiceDescriptor *sd,
                                 const char *method, enum mc_rpc_stream_kind kind,
                                 mc_rpc_stream_open_fn open, void *arg);
/* MC_RPC_STREAM_* of a method, 0 for a unary one. */
enum mc_rpc_stream_kind mc_rpc_method_stream_kind(const struct mc_rpc_method *m);

void mc_rpc_stream_set_ops(struct mc_rpc_stream *st, const struct mc_rpc_stream_ops *ops,
                           void *arg);
/*
 * Decodes the client messages that arrive after this call as desc instead of the
 * method's input type (desc must outlive the stream; generated descriptors do).
 * For protocols whose later messages differ from the first: upstream's
 * events.Stream.Consume sends a ConsumeRequest, then AckRequest messages, and
 * the two disagree on the wire types of fields 1 and 2. NULL restores the input type.
 */
void mc_rpc_stream_set_input(struct mc_rpc_stream *st, const ProtobufCMessageDescriptor *desc);
/* The call's context; its arena lives as long as the stream (use it for state that
 * does not grow per message: per-message data belongs in the handler's own memory). */
struct mc_rpc_ctx *mc_rpc_stream_ctx(struct mc_rpc_stream *st);
/* Sends one response message (encoded with the stream's codec; msg is borrowed).
 * MC_ECLOSED when the client is gone (the handler still gets on_cancel), MC_ETOOBIG
 * past the message limit, MC_EINVAL after finish. */
int mc_rpc_stream_send(struct mc_rpc_stream *st, const ProtobufCMessage *msg);
/* Sends one response that is already packed protobuf of the method's output type
 * (desc): as it is on a proto stream, decoded and encoded again on a JSON one, so a
 * stored message (an event) goes out without a decode and an encode. Errors as
 * mc_rpc_stream_send, and MC_EPROTO when data does not decode as desc. */
int mc_rpc_stream_send_packed(struct mc_rpc_stream *st, const ProtobufCMessageDescriptor *desc,
                              const void *data, size_t len);
/* Bytes queued and not yet sent, to pace a producer. */
size_t mc_rpc_stream_pending(const struct mc_rpc_stream *st);
/* Ends the stream: OK when err is NULL or has code 0, else that error's status. */
void mc_rpc_stream_finish(struct mc_rpc_stream *st, const struct mc_error *err);

/* ---- streams, the frontend's side ------------------------------------------------------ */

/* What a frontend (the gRPC binding) provides to carry a stream's output. */
struct mc_rpc_stream_transport {
    /* Sends one encoded message: 0, MC_ECLOSED, MC_ETOOBIG. */
    int (*send)(void *t, const void *data, size_t len);
    /* Bytes queued and not yet sent. */
    size_t (*pending)(void *t);
    /* Ends the transport's call with err (NULL: OK). Called exactly once, when the
     * handler finishes the stream; the transport gets no further calls after it. */
    void (*finish)(void *t, const struct mc_error *err);
};

/*
 * Opens a stream on a streaming method for a frontend: copies md, runs the auth
 * hook and the method's open handler. Returns the stream, or NULL with err set
 * (the frontend answers that error; the transport is not used), or NULL with err
 * empty (code 0) when the handler already answered through the transport inside
 * open (transport->finish has run). The frontend then
 * feeds it with the calls below until the stream finishes (transport->finish) or
 * the frontend cancels it.
 */
struct mc_rpc_stream *mc_rpc_stream_open(const struct mc_rpc_method *m, enum mc_codec codec,
                                         const struct mc_metadata *md, uint64_t deadline_ms,
                                         const struct mc_rpc_stream_transport *t, void *targ,
                                         struct mc_error *err);
/* One client message (encoded with the stream's codec). A message that does not
 * decode finishes the stream with 400. */
void mc_rpc_stream_deliver(struct mc_rpc_stream *st, const void *data, size_t len);
void mc_rpc_stream_half_close(struct mc_rpc_stream *st);
/* The transport is gone (client cancelled, connection lost, deadline): the handler
 * gets on_cancel, the stream is freed. Not after transport->finish. */
void mc_rpc_stream_cancel(struct mc_rpc_stream *st);

#endif
