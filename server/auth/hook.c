/*
 * The auth hook run for every call (see mc_auth_hook in auth.h) and the
 * namespace checks handlers use (mc_auth_authorize*). The hook turns a token
 * into ctx->account without touching storage (the JWT carries the account), so
 * an authenticated call costs one signature check plus the cached rules.
 */
#include "auth_internal.h"

#include <string.h>
#include <strings.h>

#include "mc_log.h"
#include "mc_metadata.h"
#include "mc_banned.h"

#define COOKIE_NAME "micro-token"

/* The value of cookie `micro-token` in a Cookie header ("a=b; micro-token=T"). */
static struct mc_slice cookie_token(const char *cookies)
{
    const char *p = cookies;
    size_t nlen = strlen(COOKIE_NAME);

    while (p && *p) {
        const char *end;
        while (*p == ' ' || *p == ';')
            p++;
        end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        if ((size_t)(end - p) > nlen && strncmp(p, COOKIE_NAME, nlen) == 0 && p[nlen] == '=') {
            struct mc_slice v = { p + nlen + 1, (size_t)(end - p) - nlen - 1 };
            while (v.len && v.ptr[v.len - 1] == ' ')
                v.len--;
            if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') {
                v.ptr++;
                v.len -= 2;
            }
            return v;
        }
        p = end;
    }
    return (struct mc_slice){ NULL, 0 };
}

/* The account of a verified token, in the call's arena. */
static struct mc_account *account_from_claims(struct mc_arena *ar, const struct mc_jwt_claims *c)
{
    struct mc_account *acc = mc_arena_alloc(ar, sizeof(*acc));
    const char **scopes = mc_arena_alloc(ar, (c->nscopes ? c->nscopes : 1) * sizeof(*scopes));

    for (size_t i = 0; i < c->nscopes; i++)
        scopes[i] = mc_arena_strdup(ar, c->scopes[i]);
    acc->id = mc_arena_strdup(ar, c->sub ? c->sub : "");
    acc->type = mc_arena_strdup(ar, c->type ? c->type : "");
    acc->issuer = mc_arena_strdup(ar, c->iss ? c->iss : "");
    acc->name = mc_arena_strdup(ar, c->name && c->name[0] ? c->name : acc->id);
    acc->scopes = scopes;
    acc->nscopes = c->nscopes;
    return acc;
}

/*
 * Finds the caller's token and verifies it. Returns 0 (ctx->account set, or
 * left NULL when there is no token or it does not verify) or MC_EINVAL with
 * the 401 for an Authorization header that is not "Bearer <token>".
 */
static int authenticate(struct mc_auth *a, struct mc_rpc_ctx *ctx)
{
    const char *header = ctx->md ? mc_metadata_get(ctx->md, MC_MD_AUTHORIZATION) : NULL;
    struct mc_buf tok;
    struct mc_jwt_claims claims;

    mc_buf_init(&tok, MC_JWT_MAX_LEN + 1);
    if (header && header[0]) {
        if (mc_metadata_auth_token(header, false, &tok) == MC_EINVAL) {
            mc_buf_release(&tok);
            mc_error_unauthorized(ctx->err, ctx->service, "%s", MC_AUTH_BAD_HEADER_MSG);
            return MC_EINVAL;
        }
    } else if (ctx->md && mc_metadata_get(ctx->md, "Cookie")) {
        struct mc_slice v = cookie_token(mc_metadata_get(ctx->md, "Cookie"));
        if (v.len)
            (void)mc_buf_append(&tok, v.ptr, v.len);   /* too long: no token, as bad */
    }
    mc_jwt_claims_init(&claims);
    if (tok.len) {
        int64_t now = mc_unix_time();
        const struct mc_jwt_claims *known = auth_token_cache_get(a, tok.data, tok.len, now);
        if (known) {
            ctx->account = account_from_claims(ctx->arena, known);
        } else if (mc_jwt_verify(tok.data, tok.len, a->pk, now, &claims) == MC_OK) {
            ctx->account = account_from_claims(ctx->arena, &claims);
            auth_token_cache_put(a, tok.data, tok.len, &claims);
        }
    }
    mc_jwt_claims_release(&claims);
    mc_buf_release(&tok);
    return MC_OK;
}

int mc_auth_hook(struct mc_rpc_ctx *ctx, void *arg)
{
    struct mc_auth *a = arg;
    const char *ns = ctx->md ? mc_metadata_get(ctx->md, MC_MD_NAMESPACE) : NULL;
    const struct auth_ns_rules *rs;
    struct mc_auth_resource res = { "service", ctx->service, ctx->endpoint };
    int rc;

    ctx->account = NULL;
    if ((rc = authenticate(a, ctx)) < 0)
        return rc;
    if (!ns || !ns[0])
        ns = ctx->account && ctx->account->issuer[0] ? ctx->account->issuer : MC_DEFAULT_NAMESPACE;
    if (!auth_ns_valid(ns)) {
        mc_error_bad_request(ctx->err, ctx->service, "invalid namespace %.64s", ns);
        return MC_EINVAL;
    }
    ctx->ns = mc_arena_strdup(ctx->arena, ns);
    if (ctx->account && mc_auth_is_blocked(a, ctx->account->issuer, ctx->account->id)) {
        mc_error_unauthorized(ctx->err, ctx->service, MC_AUTH_BLOCKED_MSG);
        return MC_EINVAL;
    }
    if ((rc = auth_rules_get(a, ctx->ns, &rs)) < 0) {
        mc_error_internal(ctx->err, ctx->service, "cannot load the rules of namespace %s: %s",
                          ctx->ns, mc_strerror(rc));
        return rc;
    }
    switch (mc_auth_rules_verify(rs->rules, rs->n, ctx->account, &res, ctx->ns)) {
    case MC_AUTH_ALLOW:
        return MC_OK;
    case MC_AUTH_FORBIDDEN:
        mc_error_forbidden(ctx->err, ctx->service, "Forbidden call made to %s:%s by %s",
                           ctx->service, ctx->endpoint, ctx->account->id);
        return MC_EINVAL;
    default:
        mc_error_unauthorized(ctx->err, ctx->service, "Unauthorized call made to %s:%s",
                              ctx->service, ctx->endpoint);
        return MC_EINVAL;
    }
}

bool auth_ns_valid(const char *ns)
{
    size_t n = strlen(ns);

    /* a part of storage keys: a '/' would reach into other namespaces' records */
    return n > 0 && n <= AUTH_NS_MAX && !strchr(ns, '/');
}

/* An administrator in §5.2's sense: a user with scope admin or a service with scope service. */
static bool is_admin(const struct mc_account *acc)
{
    return (strcmp(acc->type, "user") == 0 && mc_account_has_scope(acc, "admin")) ||
           (strcmp(acc->type, "service") == 0 && mc_account_has_scope(acc, "service"));
}

int auth_namespace_check(const struct mc_rpc_ctx *ctx, const char *ns)
{
    const struct mc_account *acc = ctx->account;

    if (!acc)
        return MC_AUTH_UNAUTHORIZED;
    /* the server's own services and micro's admins reach every namespace */
    if (strcmp(acc->issuer, MC_DEFAULT_NAMESPACE) == 0 && is_admin(acc))
        return MC_AUTH_ALLOW;
    if (strcmp(acc->issuer, ns) == 0 &&
        (strcmp(acc->type, "user") == 0 || strcmp(acc->type, "service") == 0))
        return MC_AUTH_ALLOW;
    return MC_AUTH_FORBIDDEN;
}

int mc_auth_authorize(struct mc_rpc_ctx *ctx, const char *ns, const char *method)
{
    if (!auth_ns_valid(ns)) {
        mc_error_bad_request(ctx->err, method, "invalid namespace %.64s", ns);
        return MC_EINVAL;
    }
    switch (auth_namespace_check(ctx, ns)) {
    case MC_AUTH_ALLOW:
        return MC_OK;
    case MC_AUTH_UNAUTHORIZED:
        mc_error_unauthorized(ctx->err, method, MC_AUTH_NS_UNAUTHORIZED);
        return MC_EINVAL;
    default:
        mc_error_forbidden(ctx->err, method, MC_AUTH_NS_FORBIDDEN);
        return MC_EINVAL;
    }
}

int mc_auth_authorize_admin(struct mc_rpc_ctx *ctx, const char *ns, const char *method)
{
    int rc = mc_auth_authorize(ctx, ns, method);

    if (rc < 0)
        return rc;
    if (!is_admin(ctx->account)) {
        mc_error_unauthorized(ctx->err, method, "Unauthorized");
        return MC_EINVAL;
    }
    return MC_OK;
}
