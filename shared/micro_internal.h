/*
 * What the micro_*.c files of libmicro share behind the public micro.h: the
 * service struct, the request context, and the outgoing-call helper every
 * client (store, config, broker, events, registry, auth) goes through. Not
 * installed: service authors see only micro.h.
 */
#ifndef MICRO_INTERNAL_H
#define MICRO_INTERNAL_H

#include <signal.h>

#include "mc_buf.h"
#include "mc_error.h"
#include "mc_grpc_client.h"
#include "mc_loop.h"
#include "mc_metadata.h"
#include "mc_rpc.h"
#include "mc_rpc_grpc.h"
#include "micro.h"
#include "registry.pb-c.h"

#define MICRO_NAME_MAX 255
#define MICRO_ADDR_MAX 256
#define MICRO_TOKEN_MAX 8192
/* Registration, as upstream's services: TTL 90 s, again every 30 s. */
#define MICRO_REGISTER_TTL_S 90
#define MICRO_ACK_WAIT_DEFAULT_S 30   /* micro_consume_opts.ack_wait_s 0 */
#define MICRO_REGISTER_INTERVAL_MS 30000
/* Tokens are asked for 10 minutes and refreshed with less than 1 minute left (§6.3). */
#define MICRO_TOKEN_EXPIRY_S 600
#define MICRO_TOKEN_REFRESH_S 60
#define MICRO_CALL_TIMEOUT_MS 10000
/* A failed subscription stream is opened again after this long. */
#define MICRO_RESUBSCRIBE_MS 1000
/* Most periodic functions (micro_service_every) per service. */
#define MICRO_EVERY_MAX 32

struct micro_sub;
struct micro_every;
struct micro_binding;

struct micro_token {
    char access[MICRO_TOKEN_MAX];
    char refresh[MICRO_TOKEN_MAX];
    int64_t expiry;     /* unix seconds, 0 = none yet */
};

struct mc_grpc_sync;

struct micro_service {
    char name[MICRO_NAME_MAX + 1];
    char version[MICRO_NAME_MAX + 1];
    char ns[MICRO_NAME_MAX + 1];
    char proxy[MICRO_ADDR_MAX];
    char listen[MICRO_ADDR_MAX];     /* MICRO_SERVICE_ADDRESS or 127.0.0.1:0 */
    char address[MICRO_ADDR_MAX];    /* bound, after run */
    char node_id[MICRO_NAME_MAX + 40];
    char *auth_id;
    char *auth_secret;
    struct micro_token token;

    struct mc_loop *loop;
    struct mc_rpc_server *rpc;
    struct mc_rpc_service *rsvc;
    struct mc_rpc_grpc *grpc;
    struct mc_grpc_client *client;   /* async streams to the proxy (subscriptions) */
    struct mc_grpc_sync *calls;      /* blocking calls to the proxy, one kept connection */

    /* Endpoint schemas of the bound methods and subscriptions, published on registration. */
    Registry__Endpoint **endpoints;
    size_t n_endpoints;

    struct micro_binding *bindings;   /* handler bindings, freed with the service */
    struct micro_sub *subs;
    struct micro_every *every;
    volatile sig_atomic_t stopping;
    bool running;
};

struct micro_ctx {
    struct micro_service *svc;
    struct mc_rpc_ctx *rc;
    struct mc_metadata out;      /* pairs set by the handler, carried onward */
    bool out_init;
};

void micro__ctx_init(struct micro_ctx *ctx, struct micro_service *svc, struct mc_rpc_ctx *rc);
void micro__ctx_release(struct micro_ctx *ctx);

/* Copies e into the public error (released first); NULL dst is a no-op. */
void micro__error_export(struct micro_error *dst, const struct mc_error *e);

/*
 * One unary call through the proxy: path "/service.Handler/Method" built from
 * service and endpoint, the body in codec (proto or JSON), the answer appended
 * to out. Adds Micro-Namespace, the service's token (refreshed first as needed;
 * with_token false for the token call itself) and ctx's metadata.
 * Returns 0, MICRO_EREMOTE with err filled, MICRO_EINVAL.
 */
int micro__invoke(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
                  const char *endpoint, bool json, const void *body, size_t len,
                  uint64_t timeout_ms, bool with_token, struct mc_buf *out,
                  struct mc_error *err);
/* micro__invoke with protobuf-c messages; *rsp unpacked with the default allocator. */
int micro__invoke_pb(struct micro_service *svc, struct micro_ctx *ctx, const char *service,
                     const char *endpoint, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *rsp_desc, ProtobufCMessage **rsp,
                     uint64_t timeout_ms, bool with_token, struct mc_error *err);
/* The metadata of an outgoing call (namespace, token, ctx pairs). Returns 0 or a
 * negative code when the token cannot be had (err filled). */
int micro__call_metadata(struct micro_service *svc, struct micro_ctx *ctx, bool with_token,
                         struct mc_grpc_metadata *md, struct mc_error *err);

/* Registration (micro_register.c). */
int micro__register(struct micro_service *svc, bool log_it);
void micro__deregister(struct micro_service *svc);
/* Adds an endpoint (taken) to the registration. */
void micro__add_endpoint(struct micro_service *svc, Registry__Endpoint *ep);

/* Subscriptions (micro_subscribe.c): open every stream; close them all. */
void micro__subs_start(struct micro_service *svc);
void micro__subs_stop(struct micro_service *svc);
void micro__subs_free(struct micro_service *svc);

#endif
