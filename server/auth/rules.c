/*
 * Rules: the Rules handler (Create, Delete, List with upstream's validation and
 * texts, spec §6.4: changing rules takes an admin, listing them any account of
 * the namespace) and the per-namespace cache the auth hook reads. A
 * namespace's rules are loaded once and kept until Rules.Create or Rules.Delete
 * changes that namespace; loading a namespace without rules writes the
 * `default` public rule first, as upstream's Rules.List does.
 */
#include "auth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "mc_pbjson.h"
#include "mc_banned.h"

#define RULE_ID_MAX 256
#define RULE_FIELD_MAX 1024

static const char *s0(const char *s)
{
    return s ? s : "";
}

/* ---- the cache ------------------------------------------------------------------------ */

static void ns_rules_free(struct auth_ns_rules *r)
{
    mc_arena_release(&r->arena);
    free(r->ns);
    free(r);
}

void mc_auth_rules_invalidate(struct mc_auth *a, const char *ns)
{
    struct auth_ns_rules **pp = &a->cache;

    while (*pp) {
        struct auth_ns_rules *r = *pp;
        if (!ns || strcmp(r->ns, ns) == 0) {
            *pp = r->next;
            ns_rules_free(r);
            a->ncache--;
        } else {
            pp = &r->next;
        }
    }
}

struct load {
    size_t prefix_len;
    struct auth_ns_rules *r;
    size_t cap;
    int rc;
};

static int load_each(const char *key, const char *val, size_t len, void *arg)
{
    struct load *l = arg;
    struct mc_auth_rule *rule;
    ProtobufCMessage *m;
    const Auth__Rule *pr;

    if (l->r->n >= MC_AUTH_RULES_MAX)
        return 1;
    if (strchr(key + l->prefix_len, '/'))
        return MC_OK;   /* a record of a deeper key, not a rule of this namespace */
    if (mc_pbjson_decode(&auth__rule__descriptor, val, len, mc_arena_pb(&l->r->arena), &m, NULL) < 0) {
        mc_log_warn("ignoring the unreadable rule %s", key);
        return MC_OK;
    }
    pr = (const Auth__Rule *)m;
    if (l->r->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->r->rules = mc_realloc(l->r->rules, l->cap * sizeof(*l->r->rules));
    }
    rule = &l->r->rules[l->r->n++];
    rule->id = pr->id;
    rule->scope = pr->scope;
    rule->resource.type = pr->resource ? pr->resource->type : "";
    rule->resource.name = pr->resource ? pr->resource->name : "";
    rule->resource.endpoint = pr->resource ? pr->resource->endpoint : "";
    rule->access = (enum mc_auth_access)pr->access;
    rule->priority = pr->priority;
    return MC_OK;
}

static int write_rule(struct mc_auth *a, struct mc_arena *ar, const char *ns, const Auth__Rule *r)
{
    struct mc_buf json;
    int rc;

    mc_buf_init(&json, AUTH_RECORD_MAX);
    rc = mc_pbjson_encode(&r->base, 0, &json, NULL);
    if (rc == MC_OK)
        rc = auth_store_write(a, mc_arena_printf(ar, "rules/%s/%s", ns, r->id), json.data,
                              json.len);
    mc_buf_release(&json);
    return rc;
}

static int write_default_rule(struct mc_auth *a, const char *ns)
{
    Auth__Resource res = AUTH__RESOURCE__INIT;
    Auth__Rule rule = AUTH__RULE__INIT;
    struct mc_arena ar;
    int rc;

    res.type = res.name = res.endpoint = "*";
    rule.id = "default";
    rule.scope = "";
    rule.resource = &res;
    rule.access = AUTH__ACCESS__GRANTED;
    mc_arena_init(&ar);
    rc = write_rule(a, &ar, ns, &rule);
    mc_arena_release(&ar);
    return rc;
}

static int load(struct mc_auth *a, const char *ns, struct auth_ns_rules *r)
{
    struct load l = { 0, r, 0, MC_OK };
    char prefix[RULE_FIELD_MAX + 16];
    int rc;

    snprintf(prefix, sizeof(prefix), "rules/%s/", ns);
    l.prefix_len = strlen(prefix);
    rc = auth_store_prefix(a, prefix, load_each, &l);
    if (rc == MC_OK && r->n == 0) {
        if ((rc = write_default_rule(a, ns)) < 0)
            mc_log_warn("Error creating default rule: %s", mc_strerror(rc));
        rc = auth_store_prefix(a, prefix, load_each, &l);
    }
    return rc;
}

int auth_rules_get(struct mc_auth *a, const char *ns, const struct auth_ns_rules **out)
{
    struct auth_ns_rules *r;
    int rc;

    for (r = a->cache; r; r = r->next)
        if (strcmp(r->ns, ns) == 0) {
            *out = r;
            return MC_OK;
        }
    if (strlen(ns) > RULE_FIELD_MAX)
        return MC_ETOOBIG;
    if (a->ncache >= AUTH_RULES_CACHE_MAX)
        mc_auth_rules_invalidate(a, NULL);
    r = mc_calloc(1, sizeof(*r));
    r->ns = mc_strdup(ns);
    mc_arena_init(&r->arena);
    if ((rc = load(a, ns, r)) < 0) {
        free(r->rules);
        ns_rules_free(r);
        return rc;
    }
    /* the rules array is heap memory: move it into the arena so one release frees all */
    if (r->n) {
        struct mc_auth_rule *moved = mc_arena_alloc(&r->arena, r->n * sizeof(*moved));
        memcpy(moved, r->rules, r->n * sizeof(*moved));
        free(r->rules);
        r->rules = moved;
    }
    r->next = a->cache;
    a->cache = r;
    a->ncache++;
    *out = r;
    return MC_OK;
}

/* ---- the handler ------------------------------------------------------------------------ */

static int validate(struct mc_rpc_ctx *ctx, const Auth__Rule *r)
{
    const char *m = "auth.Rules.Create";

    if (!r) {
        mc_error_bad_request(ctx->err, m, "Rule missing");
        return MC_EINVAL;
    }
    if (!r->id[0]) {
        mc_error_bad_request(ctx->err, m, "ID missing");
        return MC_EINVAL;
    }
    if (!r->resource) {
        mc_error_bad_request(ctx->err, m, "Resource missing");
        return MC_EINVAL;
    }
    if (r->access == AUTH__ACCESS__UNKNOWN) {
        mc_error_bad_request(ctx->err, m, "Access missing");
        return MC_EINVAL;
    }
    if (strlen(r->id) > RULE_ID_MAX || strchr(r->id, '/') || strlen(s0(r->scope)) > RULE_FIELD_MAX ||
        strlen(s0(r->resource->type)) > RULE_FIELD_MAX ||
        strlen(s0(r->resource->name)) > RULE_FIELD_MAX ||
        strlen(s0(r->resource->endpoint)) > RULE_FIELD_MAX) {
        mc_error_bad_request(ctx->err, m, "ID or resource too long, or ID holding '/'");
        return MC_EINVAL;
    }
    return MC_OK;
}

int auth_rules_create(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                      void *arg)
{
    struct mc_auth *a = arg;
    const Auth__CreateRequest *req = (const Auth__CreateRequest *)rq;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const char *m = "auth.Rules.Create";
    const struct auth_ns_rules *cur;
    struct mc_buf probe;
    int rc;

    (void)rs;
    if ((rc = validate(ctx, req->rule)) < 0)
        return rc;
    if ((rc = mc_auth_authorize_admin(ctx, ns, m)) < 0)
        return rc;
    /* the namespace's rules exist (with `default` when it had none) before the
     * first rule is added, as upstream's clients always listed before creating */
    if ((rc = auth_rules_get(a, ns, &cur)) == MC_OK && cur->n >= MC_AUTH_RULES_MAX) {
        mc_error_bad_request(ctx->err, m, "at most %d rules per namespace", MC_AUTH_RULES_MAX);
        return MC_ETOOBIG;
    }
    mc_buf_init(&probe, AUTH_RECORD_MAX);
    rc = auth_store_read(a, mc_arena_printf(ctx->arena, "rules/%s/%s", ns, req->rule->id), &probe);
    mc_buf_release(&probe);
    if (rc == MC_OK) {
        mc_error_bad_request(ctx->err, m, "A rule with this ID already exists");
        return MC_EEXIST;
    }
    if (rc == MC_ENOTFOUND)
        rc = write_rule(a, ctx->arena, ns, req->rule);
    mc_auth_rules_invalidate(a, ns);
    if (rc < 0)
        mc_error_internal(ctx->err, m, "Unable to write to the store: %s", mc_strerror(rc));
    return rc;
}

int auth_rules_delete(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                      void *arg)
{
    struct mc_auth *a = arg;
    const Auth__DeleteRequest *req = (const Auth__DeleteRequest *)rq;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const char *m = "auth.Rules.Delete";
    int rc;

    (void)rs;
    if (!req->id[0]) {
        mc_error_bad_request(ctx->err, m, "ID missing");
        return MC_EINVAL;
    }
    if ((rc = mc_auth_authorize_admin(ctx, ns, m)) < 0)
        return rc;
    rc = auth_store_delete(a, mc_arena_printf(ctx->arena, "rules/%s/%s", ns, req->id));
    mc_auth_rules_invalidate(a, ns);
    if (rc == MC_ENOTFOUND) {
        mc_error_bad_request(ctx->err, m, "Rule not found");
        return rc;
    }
    if (rc < 0)
        mc_error_internal(ctx->err, m, "Unable to delete key from store: %s", mc_strerror(rc));
    return rc;
}

int auth_rules_list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                    void *arg)
{
    struct mc_auth *a = arg;
    const Auth__ListRequest *req = (const Auth__ListRequest *)rq;
    Auth__ListResponse *rsp = (Auth__ListResponse *)rs;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const struct auth_ns_rules *cur;
    int rc;

    if ((rc = mc_auth_authorize(ctx, ns, "auth.Rules.List")) < 0)
        return rc;
    if ((rc = auth_rules_get(a, ns, &cur)) < 0) {
        mc_error_internal(ctx->err, "auth.Rules.List", "Unable to read from store: %s",
                          mc_strerror(rc));
        return rc;
    }
    rsp->rules = mc_arena_alloc(ctx->arena, (cur->n + 1) * sizeof(*rsp->rules));
    for (size_t i = 0; i < cur->n; i++) {
        const struct mc_auth_rule *r = &cur->rules[i];
        Auth__Rule *out = (Auth__Rule *)mc_arena_message(ctx->arena, &auth__rule__descriptor);
        Auth__Resource *res =
            (Auth__Resource *)mc_arena_message(ctx->arena, &auth__resource__descriptor);
        out->id = mc_arena_strdup(ctx->arena, s0(r->id));
        out->scope = mc_arena_strdup(ctx->arena, s0(r->scope));
        res->type = mc_arena_strdup(ctx->arena, s0(r->resource.type));
        res->name = mc_arena_strdup(ctx->arena, s0(r->resource.name));
        res->endpoint = mc_arena_strdup(ctx->arena, s0(r->resource.endpoint));
        out->resource = res;
        out->access = (Auth__Access)r->access;
        out->priority = r->priority;
        rsp->rules[i] = out;
    }
    rsp->n_rules = cur->n;
    return MC_OK;
}
