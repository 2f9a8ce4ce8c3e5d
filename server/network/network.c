/* The network service of a single-node platform: see network.h. */
#include "network/network.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core.h"
#include "mc_arena.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_rpc.h"
#include "network.pb-c.h"
#include "registry/registry.h"
#include "router.pb-c.h"
#include "mc_banned.h"

/* Reads need an account of the namespace (or micro's admin), as Registry reads. */
static int authorize(const struct mc_core *core, struct mc_rpc_ctx *ctx, const char *id)
{
    return core->auth ? mc_auth_authorize(ctx, ctx->ns, id) : MC_OK;
}

/* Every version of every service of the caller's namespace (arena-owned). */
static int services_of(struct mc_core *core, struct mc_rpc_ctx *ctx, const char *id,
                       Registry__Service ***out, size_t *n)
{
    int rc = mc_registry_list(core->registry, ctx->ns, ctx->arena, out, n);

    if (rc < 0)
        mc_error_internal(ctx->err, id, "cannot read the registry: %s", mc_strerror(rc));
    return rc;
}

/* This server as a network node: the address the network service is registered at. */
static Network__Node *self_node(struct mc_core *core, struct mc_rpc_ctx *ctx)
{
    Network__Node *node = mc_arena_alloc(ctx->arena, sizeof(*node));
    Registry__Service **svcs = NULL;
    size_t n = 0;

    network__node__init(node);
    node->id = "server";
    node->network = MC_NETWORK_NAME;
    if (mc_registry_get(core->registry, MC_REGISTRY_DEFAULT_DOMAIN, "network", ctx->arena, &svcs,
                        &n) == MC_OK && n > 0 && svcs[0]->n_nodes > 0) {
        node->id = svcs[0]->nodes[0]->id;
        node->address = svcs[0]->nodes[0]->address;
    }
    return node;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int h_services(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                      void *arg)
{
    const char *id = "network.Network.Services";
    Network__ServicesResponse *out = (Network__ServicesResponse *)rsp;
    Registry__Service **svcs;
    size_t n, k = 0;
    int rc;

    (void)req;
    if ((rc = authorize(arg, ctx, id)) < 0 || (rc = services_of(arg, ctx, id, &svcs, &n)) < 0)
        return rc;
    out->services = mc_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*out->services));
    for (size_t i = 0; i < n; i++)
        out->services[k++] = svcs[i]->name;
    qsort(out->services, k, sizeof(*out->services), cmp_str);
    /* one name per service, whatever its number of versions */
    out->n_services = 0;
    for (size_t i = 0; i < k; i++) {
        if (out->n_services == 0 || strcmp(out->services[out->n_services - 1], out->services[i]))
            out->services[out->n_services++] = out->services[i];
    }
    return MC_OK;
}

static int h_nodes(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    Network__NodesResponse *out = (Network__NodesResponse *)rsp;
    int rc;

    (void)req;
    if ((rc = authorize(arg, ctx, "network.Network.Nodes")) < 0)
        return rc;
    out->nodes = mc_arena_alloc(ctx->arena, sizeof(*out->nodes));
    out->nodes[0] = self_node(arg, ctx);
    out->n_nodes = 1;
    return MC_OK;
}

static int h_graph(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    Network__GraphResponse *out = (Network__GraphResponse *)rsp;
    int rc;

    (void)req;
    if ((rc = authorize(arg, ctx, "network.Network.Graph")) < 0)
        return rc;
    out->root = mc_arena_alloc(ctx->arena, sizeof(*out->root));
    network__peer__init(out->root);
    out->root->node = self_node(arg, ctx);
    return MC_OK;
}

/* A query field matches when it is empty or equal (upstream's router filter). */
static bool field_matches(const char *want, const char *have)
{
    return !want || !want[0] || strcmp(want, have ? have : "") == 0;
}

static bool route_matches(const Network__Query *q, const Router__Route *r)
{
    return !q || (field_matches(q->service, r->service) && field_matches(q->address, r->address) &&
                  field_matches(q->gateway, r->gateway) && field_matches(q->router, r->router) &&
                  field_matches(q->network, r->network));
}

static int h_routes(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    const char *id = "network.Network.Routes";
    const Network__RoutesRequest *in = (const Network__RoutesRequest *)req;
    Network__RoutesResponse *out = (Network__RoutesResponse *)rsp;
    const char *router_id = self_node(arg, ctx)->id;
    Registry__Service **svcs;
    size_t n, total = 0;
    int rc;

    if ((rc = authorize(arg, ctx, id)) < 0 || (rc = services_of(arg, ctx, id, &svcs, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        total += svcs[i]->n_nodes;
    out->routes = mc_arena_alloc(ctx->arena, (total ? total : 1) * sizeof(*out->routes));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < svcs[i]->n_nodes; j++) {
            Router__Route *r = mc_arena_alloc(ctx->arena, sizeof(*r));
            router__route__init(r);
            r->service = svcs[i]->name;
            r->address = svcs[i]->nodes[j]->address;
            r->network = MC_NETWORK_NAME;
            r->router = (char *)router_id;
            r->link = "local";
            r->metric = 1;   /* every node is one hop away on a single node */
            if (route_matches(in->query, r))
                out->routes[out->n_routes++] = r;
        }
    }
    return MC_OK;
}

static int h_status(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    Network__StatusResponse *out = (Network__StatusResponse *)rsp;
    int rc;

    (void)req;
    if ((rc = authorize(arg, ctx, "network.Network.Status")) < 0)
        return rc;
    out->status = mc_arena_alloc(ctx->arena, sizeof(*out->status));
    network__status__init(out->status);
    out->status->error = mc_arena_alloc(ctx->arena, sizeof(*out->status->error));
    network__error__init(out->status->error);
    return MC_OK;
}

static int h_connect(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                     void *arg)
{
    const char *id = "network.Network.Connect";
    int rc;

    (void)req;
    (void)rsp;
    if ((rc = ((struct mc_core *)arg)->auth ? mc_auth_authorize_admin(ctx, ctx->ns, id) : 0) < 0)
        return rc;
    mc_error_bad_request(ctx->err, id,
                         "this server is a single-node network: it does not peer with others");
    return MC_EUNSUPPORTED;
}

int mc_network_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    static const struct {
        const char *method;
        mc_rpc_unary_fn fn;
    } handlers[] = {
        { "Connect", h_connect }, { "Graph", h_graph },       { "Nodes", h_nodes },
        { "Routes", h_routes },   { "Services", h_services }, { "Status", h_status },
    };

    for (size_t i = 0; i < MC_ARRAY_LEN(handlers); i++) {
        int rc = mc_rpc_service_handle(svc, &network__network__descriptor, handlers[i].method,
                                       handlers[i].fn, core);
        if (rc < 0)
            return rc;
    }
    return MC_OK;
}
