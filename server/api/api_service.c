/* The api service's block list handlers: see api_service.h. */
#include "api/api_service.h"

#include <string.h>

#include "api.pb-c.h"
#include "auth/auth.h"
#include "core.h"
#include "mc_arena.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_metadata.h"
#include "mc_rpc.h"
#include "mc_banned.h"

/* The namespace an entry is for: the request's, else the caller's. */
static const char *ns_of(const struct mc_rpc_ctx *ctx, const char *field)
{
    return field && *field ? field : ctx->ns;
}

static int need_auth(const struct mc_core *core, struct mc_rpc_ctx *ctx, const char *id)
{
    if (core->auth)
        return MC_OK;
    mc_error_internal(ctx->err, id, "auth is not running");
    return MC_EUNSUPPORTED;
}

/* Add and Remove share their shape: {id, namespace}. */
static int change(struct mc_rpc_ctx *ctx, struct mc_core *core, const char *id_field,
                  const char *ns_field, bool add, const char *method)
{
    const char *ns = ns_of(ctx, ns_field);
    int rc;

    if ((rc = need_auth(core, ctx, method)) < 0 ||
        (rc = mc_auth_authorize_admin(ctx, ns, method)) < 0)
        return rc;
    if (!id_field || !id_field[0]) {
        mc_error_bad_request(ctx->err, method, "Missing id");
        return MC_EINVAL;
    }
    rc = add ? mc_auth_block(core->auth, ns, id_field) : mc_auth_unblock(core->auth, ns, id_field);
    if (rc == MC_ETOOBIG)
        mc_error_bad_request(ctx->err, method, "The block list is full (%d entries)",
                             MC_AUTH_BLOCKED_MAX);
    else if (rc < 0)
        mc_error_bad_request(ctx->err, method, "Invalid id or namespace");
    return rc;
}

static int add(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *arg)
{
    const Api__AddToBlockListRequest *in = (const Api__AddToBlockListRequest *)req;

    (void)rsp;
    return change(ctx, arg, in->id, in->namespace_, true, "api.Api.AddToBlockList");
}

static int del(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *arg)
{
    const Api__RemoveFromBlockListRequest *in = (const Api__RemoveFromBlockListRequest *)req;

    (void)rsp;
    return change(ctx, arg, in->id, in->namespace_, false, "api.Api.RemoveFromBlockList");
}

struct collect {
    struct mc_arena *arena;
    const char *ns;     /* only entries of this namespace, unless the caller is micro's admin */
    char **ids;
    size_t n;
};

static void collect_one(const char *entry, void *arg)
{
    struct collect *c = arg;
    size_t nl = c->ns ? strlen(c->ns) : 0;

    if (c->ns && (strncmp(entry, c->ns, nl) != 0 || entry[nl] != ':'))
        return;
    c->ids[c->n++] = mc_arena_strdup(c->arena, entry);
}

static int list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                void *arg)
{
    struct mc_core *core = arg;
    Api__ReadBlockListResponse *out = (Api__ReadBlockListResponse *)rsp;
    const char *method = "api.Api.ReadBlockList";
    struct collect c = { ctx->arena, NULL, NULL, 0 };
    size_t total;
    int rc;

    (void)req;
    if ((rc = need_auth(core, ctx, method)) < 0 ||
        (rc = mc_auth_authorize_admin(ctx, ctx->ns, method)) < 0)
        return rc;
    /* micro's admins see every namespace's entries, others their own */
    if (strcmp(ctx->account->issuer, MC_DEFAULT_NAMESPACE) != 0)
        c.ns = ctx->account->issuer;
    total = mc_auth_blocked_count(core->auth);
    c.ids = mc_arena_alloc(ctx->arena, (total ? total : 1) * sizeof(*c.ids));
    mc_auth_blocked_each(core->auth, collect_one, &c);
    out->ids = c.ids;
    out->n_ids = c.n;
    return MC_OK;
}

int mc_api_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &api__api__descriptor;
    int rc;

    if ((rc = mc_rpc_service_handle(svc, sd, "AddToBlockList", add, core)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "RemoveFromBlockList", del, core)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "ReadBlockList", list, core)) < 0)
        return rc;
    return MC_OK;
}
