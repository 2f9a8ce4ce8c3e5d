/*
 * Accounts and tokens: Auth.Generate, Auth.Inspect, Auth.Token and the Accounts
 * handler (List, Delete, ChangeSecret), with upstream's validation, error ids
 * and texts (spec §6.1, §6.2). Accounts are stored as the JSON of auth.Account
 * (mc_pbjson) with the secret replaced by its argon2id hash; the plain secret
 * is only ever returned by the Generate call that chose it.
 */
#include "auth_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.pb-c.h"
#include "mc_log.h"
#include "mc_pbjson.h"
#include "mc_banned.h"


const char *auth_opts_ns(const Auth__Options *o, const char *fallback)
{
    return o && o->namespace_ && o->namespace_[0] ? o->namespace_ : fallback;
}

/* ---- records ------------------------------------------------------------------------- */

static char *key_of(struct mc_arena *ar, const char *prefix, const char *ns, const char *id)
{
    return mc_arena_printf(ar, "%s/%s/%s", prefix, ns, id);
}

/* Reads and decodes the account stored under key into ar. */
static int account_read(struct mc_auth *a, struct mc_arena *ar, const char *key,
                        Auth__Account **out)
{
    struct mc_buf val;
    ProtobufCMessage *m = NULL;
    int rc;

    mc_buf_init(&val, AUTH_RECORD_MAX);
    rc = auth_store_read(a, key, &val);
    if (rc == MC_OK)
        rc = mc_pbjson_decode(&auth__account__descriptor, val.data, val.len, mc_arena_pb(ar), &m,
                              NULL) < 0 ? MC_EPROTO : MC_OK;
    mc_buf_release(&val);
    *out = (Auth__Account *)m;
    return rc;
}

/* Upstream's getAccountForID: by id, then by name. Errors in ctx->err. */
static int auth_account_get(struct mc_auth *a, struct mc_rpc_ctx *ctx, const char *ns, const char *id,
                     const char *method, Auth__Account **out)
{
    int rc = account_read(a, ctx->arena, key_of(ctx->arena, "account", ns, id), out);

    if (rc == MC_ENOTFOUND)
        rc = account_read(a, ctx->arena, key_of(ctx->arena, "accountByName", ns, id), out);
    if (rc == MC_ENOTFOUND) {
        mc_error_bad_request(ctx->err, method, "Account not found with this ID");
        return rc;
    }
    if (rc < 0)
        mc_error_internal(ctx->err, method, "Unable to read from store: %s", mc_strerror(rc));
    return rc;
}

/* Writes acc under both of its keys. */
static int account_write(struct mc_auth *a, struct mc_arena *ar, const Auth__Account *acc)
{
    struct mc_buf json;
    int rc;

    mc_buf_init(&json, AUTH_RECORD_MAX);
    rc = mc_pbjson_encode(&acc->base, 0, &json, NULL);
    if (rc == MC_OK)
        rc = auth_store_write(a, key_of(ar, "account", acc->issuer, acc->id), json.data, json.len);
    if (rc == MC_OK)
        rc = auth_store_write(a, key_of(ar, "accountByName", acc->issuer, acc->name), json.data,
                              json.len);
    mc_buf_release(&json);
    return rc;
}

static bool secret_matches(const char *hash, const char *secret)
{
    return hash && secret &&
           crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

static char *hash_secret(struct mc_auth *a, struct mc_arena *ar, const char *secret)
{
    char *h = mc_arena_alloc(ar, crypto_pwhash_STRBYTES);

    if (crypto_pwhash_str(h, secret, strlen(secret), a->pwhash_ops, a->pwhash_mem) != 0)
        return NULL;   /* out of memory for the hash's own buffer */
    return h;
}

/* The refresh token of an account (the last part of refresh/<ns>/<id>/<uuid>). */
struct refresh_find {
    const char *want;   /* token to find (by token), or NULL (by account) */
    char *found;        /* arena copy of the token or the account id */
    struct mc_arena *ar;
};

static int refresh_each(const char *key, const char *val, size_t len, void *arg)
{
    struct refresh_find *f = arg;
    const char *p1 = strchr(key, '/'), *p2, *p3;

    (void)val;
    (void)len;
    p2 = p1 ? strchr(p1 + 1, '/') : NULL;
    p3 = p2 ? strchr(p2 + 1, '/') : NULL;
    if (!p3 || strchr(p3 + 1, '/'))
        return MC_OK;
    if (!f->want) {
        f->found = mc_arena_strdup(f->ar, p3 + 1);
        return 1;   /* stop: the first one */
    }
    if (strcmp(p3 + 1, f->want) == 0) {
        f->found = mc_arena_strndup(f->ar, p2 + 1, (size_t)(p3 - p2 - 1));
        return 1;
    }
    return MC_OK;
}

static int refresh_token_of(struct mc_auth *a, struct mc_arena *ar, const char *ns,
                            const char *id, char **out)
{
    struct refresh_find f = { NULL, NULL, ar };
    int rc = auth_store_prefix(a, mc_arena_printf(ar, "refresh/%s/%s/", ns, id), refresh_each, &f);

    *out = f.found;
    return rc < 0 ? rc : f.found ? MC_OK : MC_ENOTFOUND;
}

static int account_of_refresh(struct mc_auth *a, struct mc_arena *ar, const char *ns,
                              const char *token, char **id)
{
    struct refresh_find f = { token, NULL, ar };
    int rc = auth_store_prefix(a, mc_arena_printf(ar, "refresh/%s/", ns), refresh_each, &f);

    *id = f.found;
    return rc < 0 ? rc : f.found ? MC_OK : MC_ENOTFOUND;
}

/* ---- creating accounts -------------------------------------------------------------- */

static bool has_metadata(const Auth__Account *acc, const char *key)
{
    for (size_t i = 0; i < acc->n_metadata; i++)
        if (strcmp(acc->metadata[i]->key, key) == 0)
            return true;
    return false;
}

static void add_created(struct mc_arena *ar, Auth__Account *acc)
{
    Auth__Account__MetadataEntry **md;
    Auth__Account__MetadataEntry *e;

    if (has_metadata(acc, "created"))
        return;
    md = mc_arena_alloc(ar, (acc->n_metadata + 1) * sizeof(*md));
    if (acc->n_metadata)
        memcpy(md, acc->metadata, acc->n_metadata * sizeof(*md));
    e = (Auth__Account__MetadataEntry *)mc_arena_message(
        ar, &auth__account__metadata_entry__descriptor);
    e->key = "created";
    e->value = mc_arena_printf(ar, "%lld", (long long)mc_unix_time());
    md[acc->n_metadata++] = e;
    acc->metadata = md;
}

/* Upstream's createAccount: acc->secret is the plain secret on entry and the
 * hash on return. Errors in ctx->err under id method. */
static int auth_account_create(struct mc_auth *a, struct mc_rpc_ctx *ctx, Auth__Account *acc,
                        const char *method)
{
    struct mc_buf probe;
    char uuid[MC_UUID_LEN + 1];
    int rc;

    if (!acc->name || !acc->name[0])
        acc->name = acc->id;
    mc_buf_init(&probe, AUTH_RECORD_MAX);
    rc = auth_store_read(a, key_of(ctx->arena, "account", acc->issuer, acc->id), &probe);
    if (rc == MC_OK) {
        mc_error_bad_request(ctx->err, method, "Account with this ID already exists");
        rc = MC_EEXIST;
    } else if (rc == MC_ENOTFOUND) {
        rc = auth_store_read(a, key_of(ctx->arena, "accountByName", acc->issuer, acc->name),
                             &probe);
        if (rc == MC_OK) {
            mc_error_bad_request(ctx->err, method, "Account with this Name already exists");
            rc = MC_EEXIST;
        } else if (rc == MC_ENOTFOUND) {
            rc = MC_OK;
        }
    }
    mc_buf_release(&probe);
    if (rc != MC_OK) {
        if (ctx->err->code == 0)
            mc_error_internal(ctx->err, method, "Unable to read from store: %s", mc_strerror(rc));
        return rc;
    }
    add_created(ctx->arena, acc);
    if (!(acc->secret = hash_secret(a, ctx->arena, acc->secret ? acc->secret : ""))) {
        mc_error_internal(ctx->err, method, "Unable to hash password: out of memory");
        return MC_ENOMEM;
    }
    mc_uuid_v4(uuid);
    rc = account_write(a, ctx->arena, acc);
    if (rc == MC_OK)
        rc = auth_store_write(a, mc_arena_printf(ctx->arena, "refresh/%s/%s/%s", acc->issuer,
                                                 acc->id, uuid), "", 0);
    if (rc < 0)
        mc_error_internal(ctx->err, method, "Unable to write account to store: %s",
                          mc_strerror(rc));
    return rc;
}

/* The default admin/micro account, created the first time it is looked for in
 * namespace micro when that namespace has no user account (spec §6.1). */
struct has_user {
    bool found;
    struct mc_arena *ar;
};

static int has_user_each(const char *key, const char *val, size_t len, void *arg)
{
    struct has_user *h = arg;
    ProtobufCMessage *m;

    (void)key;
    if (mc_pbjson_decode(&auth__account__descriptor, val, len, mc_arena_pb(h->ar), &m, NULL) == 0 &&
        strcmp(((Auth__Account *)m)->type, "user") == 0) {
        h->found = true;
        return 1;
    }
    return MC_OK;
}

void auth_default_account(struct mc_auth *a, struct mc_rpc_ctx *ctx, const char *ns)
{
    static char *admin_scopes[] = { "admin" };
    struct has_user h = { false, ctx->arena };
    Auth__Account *acc;
    struct mc_error err;
    struct mc_error *saved = ctx->err;

    if (a->disable_admin || a->admin_checked || strcmp(ns, MC_DEFAULT_NAMESPACE) != 0)
        return;
    if (auth_store_prefix(a, "account/" MC_DEFAULT_NAMESPACE "/", has_user_each, &h) < 0)
        return;   /* tried again next time */
    a->admin_checked = true;
    if (h.found)
        return;
    acc = (Auth__Account *)mc_arena_message(ctx->arena, &auth__account__descriptor);
    acc->id = "admin";
    acc->type = "user";
    acc->issuer = MC_DEFAULT_NAMESPACE;
    acc->secret = "micro";
    acc->scopes = admin_scopes;
    acc->n_scopes = 1;
    mc_error_init(&err);
    ctx->err = &err;   /* failing gracefully, as upstream: the call goes on */
    if (auth_account_create(a, ctx, acc, "auth.Auth.Token") < 0) {
        mc_log_error("Error setting up default accounts: %s", err.detail ? err.detail : "");
        a->admin_checked = false;
    } else {
        mc_log_info("Generated the default account admin in namespace micro");
    }
    ctx->err = saved;
    mc_error_release(&err);
}

/* ---- tokens ------------------------------------------------------------------------- */

/* Signs a token for acc valid expiry seconds from now into t (strings in ar). */
int auth_token_issue(struct mc_auth *a, struct mc_arena *ar, const Auth__Account *acc,
                     int64_t expiry, Auth__Token *t)
{
    struct mc_jwt_claims c;
    struct mc_buf tok;
    int64_t now = mc_unix_time();
    int rc = MC_OK;

    if (expiry <= 0)
        expiry = MC_AUTH_DEFAULT_EXPIRY;
    if (expiry > MC_AUTH_MAX_EXPIRY)
        expiry = MC_AUTH_MAX_EXPIRY;
    mc_jwt_claims_init(&c);
    c.sub = mc_strdup(acc->id ? acc->id : "");
    c.iss = mc_strdup(acc->issuer ? acc->issuer : "");
    c.type = mc_strdup(acc->type ? acc->type : "");
    c.name = mc_strdup(acc->name && acc->name[0] ? acc->name : c.sub);
    c.iat = now;
    c.exp = now + expiry;
    for (size_t i = 0; rc == MC_OK && i < acc->n_scopes; i++)
        rc = mc_jwt_claims_add_scope(&c, acc->scopes[i]);
    for (size_t i = 0; rc == MC_OK && i < acc->n_metadata; i++)
        rc = mc_jwt_claims_add_metadata(&c, acc->metadata[i]->key, acc->metadata[i]->value);
    mc_buf_init(&tok, MC_JWT_MAX_LEN);
    if (rc == MC_OK)
        rc = mc_jwt_sign(&c, a->sk, &tok);
    if (rc == MC_OK) {
        t->access_token = mc_arena_strndup(ar, tok.data, tok.len);
        t->created = now;
        t->expiry = c.exp;
    }
    mc_buf_release(&tok);
    mc_jwt_claims_release(&c);
    return rc;
}

/* The account a valid token carries, in ar; MC_E* from mc_jwt_verify otherwise. */
int auth_token_account(struct mc_auth *a, struct mc_arena *ar, const char *token,
                       Auth__Account **out)
{
    struct mc_jwt_claims c;
    Auth__Account *acc;
    int rc;

    mc_jwt_claims_init(&c);
    rc = mc_jwt_verify(token, strlen(token), a->pk, mc_unix_time(), &c);
    if (rc < 0)
        return rc;
    acc = (Auth__Account *)mc_arena_message(ar, &auth__account__descriptor);
    acc->id = mc_arena_strdup(ar, c.sub ? c.sub : "");
    acc->issuer = mc_arena_strdup(ar, c.iss ? c.iss : "");
    acc->type = mc_arena_strdup(ar, c.type ? c.type : "");
    acc->name = mc_arena_strdup(ar, c.name ? c.name : "");
    acc->n_scopes = c.nscopes;
    acc->scopes = mc_arena_alloc(ar, (c.nscopes + 1) * sizeof(char *));
    for (size_t i = 0; i < c.nscopes; i++)
        acc->scopes[i] = mc_arena_strdup(ar, c.scopes[i]);
    acc->n_metadata = c.nmeta;
    acc->metadata = mc_arena_alloc(ar, (c.nmeta + 1) * sizeof(*acc->metadata));
    for (size_t i = 0; i < c.nmeta; i++) {
        Auth__Account__MetadataEntry *e = (Auth__Account__MetadataEntry *)mc_arena_message(
            ar, &auth__account__metadata_entry__descriptor);
        e->key = mc_arena_strdup(ar, c.meta_keys[i]);
        e->value = mc_arena_strdup(ar, c.meta_values[i]);
        acc->metadata[i] = e;
    }
    mc_jwt_claims_release(&c);
    *out = acc;
    return MC_OK;
}

/* The account as handlers return it: everything but the secret. */
static Auth__Account *public_account(struct mc_arena *ar, const Auth__Account *acc)
{
    Auth__Account *out = (Auth__Account *)mc_arena_message(ar, &auth__account__descriptor);

    out->id = acc->id;
    out->type = acc->type;
    out->issuer = acc->issuer;
    out->name = acc->name;
    out->scopes = acc->scopes;
    out->n_scopes = acc->n_scopes;
    out->metadata = acc->metadata;
    out->n_metadata = acc->n_metadata;
    return out;
}

/* ---- Auth ------------------------------------------------------------------------------ */

static int check_len(struct mc_rpc_ctx *ctx, const char *method, const char *what,
                     const char *s, size_t max)
{
    if (s && strlen(s) > max) {
        mc_error_bad_request(ctx->err, method, "%s longer than %zu bytes", what, max);
        return MC_ETOOBIG;
    }
    return MC_OK;
}

static int generate_limits(struct mc_rpc_ctx *ctx, const Auth__GenerateRequest *req)
{
    const char *m = "auth.Auth.Generate";
    int rc = check_len(ctx, m, "ID", req->id, MC_AUTH_ID_MAX);

    if (rc == MC_OK)
        rc = check_len(ctx, m, "Name", req->name, MC_AUTH_ID_MAX);
    if (rc == MC_OK)
        rc = check_len(ctx, m, "Type", req->type, MC_AUTH_ID_MAX);
    if (rc == MC_OK)
        rc = check_len(ctx, m, "Secret", req->secret, MC_AUTH_SECRET_MAX);
    if (rc == MC_OK && (req->n_scopes > MC_AUTH_SCOPES_MAX || req->n_metadata > MC_AUTH_METADATA_MAX)) {
        mc_error_bad_request(ctx->err, m, "at most %d scopes and %d metadata entries",
                             MC_AUTH_SCOPES_MAX, MC_AUTH_METADATA_MAX);
        rc = MC_ETOOBIG;
    }
    if (rc == MC_OK && (strchr(req->id, '/') || (req->name && strchr(req->name, '/')))) {
        mc_error_bad_request(ctx->err, m, "ID and Name cannot contain '/'");
        rc = MC_EINVAL;
    }
    return rc;
}

int auth_generate(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                  void *arg)
{
    struct mc_auth *a = arg;
    const Auth__GenerateRequest *req = (const Auth__GenerateRequest *)rq;
    Auth__GenerateResponse *rsp = (Auth__GenerateResponse *)rs;
    Auth__Account *acc;
    char uuid[MC_UUID_LEN + 1];
    const char *secret = req->secret;
    const char *ns = auth_opts_ns(req->options, ctx->ns);
    int rc;

    if (!req->id[0]) {
        mc_error_bad_request(ctx->err, "auth.Auth.Generate", "ID required");
        return MC_EINVAL;
    }
    if ((rc = generate_limits(ctx, req)) < 0)
        return rc;
    if (!secret[0]) {
        mc_uuid_v4(uuid);
        secret = uuid;
    }
    if ((rc = mc_auth_authorize_admin(ctx, ns, "auth.Auth.Generate")) < 0)
        return rc;
    acc = (Auth__Account *)mc_arena_message(ctx->arena, &auth__account__descriptor);
    acc->id = req->id;
    acc->type = req->type[0] ? req->type : "user";
    acc->scopes = req->scopes;
    acc->n_scopes = req->n_scopes;
    /* the two map-entry types have the same layout; copy to be exact about it */
    acc->n_metadata = req->n_metadata;
    acc->metadata = mc_arena_alloc(ctx->arena, (req->n_metadata + 1) * sizeof(*acc->metadata));
    for (size_t i = 0; i < req->n_metadata; i++) {
        Auth__Account__MetadataEntry *e = (Auth__Account__MetadataEntry *)mc_arena_message(
            ctx->arena, &auth__account__metadata_entry__descriptor);
        e->key = req->metadata[i]->key;
        e->value = req->metadata[i]->value;
        acc->metadata[i] = e;
    }
    acc->issuer = (char *)ns;
    acc->name = req->name;
    acc->secret = mc_arena_strdup(ctx->arena, secret);
    if ((rc = auth_account_create(a, ctx, acc, "auth.Auth.Generate")) < 0)
        return rc;
    rsp->account = public_account(ctx->arena, acc);
    rsp->account->secret = mc_arena_strdup(ctx->arena, secret);   /* the only time it is shown */
    return MC_OK;
}

int auth_inspect(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                 void *arg)
{
    const Auth__InspectRequest *req = (const Auth__InspectRequest *)rq;
    Auth__InspectResponse *rsp = (Auth__InspectResponse *)rs;

    if (auth_token_account(arg, ctx->arena, req->token, &rsp->account) < 0) {
        mc_error_bad_request(ctx->err, "auth.Auth.Inspect", "invalid token provided");
        return MC_EINVAL;
    }
    return MC_OK;
}

/* Case (c) of §6.2: a secret or refresh token that is itself a valid JWT gets a
 * new JWT for the account it carries, returned as both tokens. 1 when it was. */
static int token_from_jwt(struct mc_auth *a, struct mc_rpc_ctx *ctx,
                          const Auth__TokenRequest *req, Auth__Token *t)
{
    const char *jwt = req->refresh_token[0] ? req->refresh_token : req->secret;
    Auth__Account *acc;

    if (strchr(jwt, '.') == NULL || auth_token_account(a, ctx->arena, jwt, &acc) < 0)
        return 0;
    if (auth_token_issue(a, ctx->arena, acc, req->token_expiry, t) < 0)
        return 0;
    t->refresh_token = t->access_token;
    return 1;
}

int auth_token(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
               void *arg)
{
    struct mc_auth *a = arg;
    const Auth__TokenRequest *req = (const Auth__TokenRequest *)rq;
    Auth__TokenResponse *rsp = (Auth__TokenResponse *)rs;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const char *m = "auth.Auth.Token";
    const char *id = req->id;
    char *refresh = req->refresh_token;
    Auth__Account *acc;
    Auth__Token *t = (Auth__Token *)mc_arena_message(ctx->arena, &auth__token__descriptor);
    int rc;

    if (!auth_ns_valid(ns)) {
        mc_error_bad_request(ctx->err, m, "invalid namespace %.64s", ns);
        return MC_EINVAL;
    }
    auth_default_account(a, ctx, ns);
    if ((!req->id[0] || !req->secret[0]) && !req->refresh_token[0]) {
        mc_error_bad_request(ctx->err, m, "Credentials or a refresh token required");
        return MC_EINVAL;
    }
    if (check_len(ctx, m, "Secret", req->secret, MC_AUTH_SECRET_MAX) < 0 ||
        check_len(ctx, m, "Refresh token", req->refresh_token, MC_JWT_MAX_LEN) < 0 ||
        check_len(ctx, m, "ID", req->id, MC_AUTH_ID_MAX) < 0)
        return MC_ETOOBIG;
    rsp->token = t;
    if (token_from_jwt(a, ctx, req, t))
        return MC_OK;
    if (refresh[0]) {
        char *owner;
        rc = account_of_refresh(a, ctx->arena, ns, refresh, &owner);
        if (rc == MC_ENOTFOUND) {
            mc_error_bad_request(ctx->err, m, "invalid token provided");
            return rc;
        }
        if (rc < 0) {
            mc_error_internal(ctx->err, m, "Unable to lookup token: %s", mc_strerror(rc));
            return rc;
        }
        id = owner;
    }
    if ((rc = auth_account_get(a, ctx, ns, id, m, &acc)) < 0)
        return rc;
    if (!refresh[0]) {
        if (!secret_matches(acc->secret, req->secret)) {
            mc_error_bad_request(ctx->err, m, "Secret not correct");
            return MC_EINVAL;
        }
        if ((rc = refresh_token_of(a, ctx->arena, ns, acc->id, &refresh)) < 0) {
            mc_error_internal(ctx->err, m, "Unable to get refresh token: %s", mc_strerror(rc));
            return rc;
        }
    }
    if ((rc = auth_token_issue(a, ctx->arena, acc, req->token_expiry, t)) < 0) {
        mc_error_internal(ctx->err, m, "Unable to generate token: %s", mc_strerror(rc));
        return rc;
    }
    t->refresh_token = refresh;
    return MC_OK;
}

/* ---- Accounts -------------------------------------------------------------------------- */

struct list_accounts {
    struct mc_arena *ar;
    Auth__Account **out;
    size_t n;
    int rc;
};

static int list_each(const char *key, const char *val, size_t len, void *arg)
{
    struct list_accounts *l = arg;
    ProtobufCMessage *m;

    (void)key;
    if (l->n >= MC_AUTH_ACCOUNTS_MAX)
        return 1;
    if (mc_pbjson_decode(&auth__account__descriptor, val, len, mc_arena_pb(l->ar), &m, NULL) < 0) {
        l->rc = MC_EPROTO;
        return 1;
    }
    if (l->n % 64 == 0) {
        Auth__Account **grown = mc_arena_alloc(l->ar, (l->n + 64) * sizeof(*grown));
        if (l->n)
            memcpy(grown, l->out, l->n * sizeof(*grown));
        l->out = grown;
    }
    l->out[l->n++] = public_account(l->ar, (Auth__Account *)m);
    return MC_OK;
}

int auth_accounts_list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                       void *arg)
{
    struct mc_auth *a = arg;
    const Auth__ListAccountsRequest *req = (const Auth__ListAccountsRequest *)rq;
    Auth__ListAccountsResponse *rsp = (Auth__ListAccountsResponse *)rs;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    struct list_accounts l = { ctx->arena, NULL, 0, MC_OK };
    int rc;

    auth_default_account(a, ctx, ns);
    if ((rc = mc_auth_authorize_admin(ctx, ns, "auth.Accounts.List")) < 0)
        return rc;
    rc = auth_store_prefix(a, mc_arena_printf(ctx->arena, "account/%s/", ns), list_each, &l);
    if (rc < 0 || l.rc < 0) {
        mc_error_internal(ctx->err, "auth.Accounts.List", "Unable to read from store: %s",
                          mc_strerror(rc < 0 ? rc : l.rc));
        return rc < 0 ? rc : l.rc;
    }
    rsp->accounts = l.out;
    rsp->n_accounts = l.n;
    return MC_OK;
}

int auth_accounts_delete(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                         void *arg)
{
    struct mc_auth *a = arg;
    const Auth__DeleteAccountRequest *req = (const Auth__DeleteAccountRequest *)rq;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const char *m = "auth.Accounts.Delete";
    Auth__Account *acc;
    char *tok;
    int rc;

    (void)rs;
    if (!req->id[0]) {
        mc_error_bad_request(ctx->err, m, "Missing ID");
        return MC_EINVAL;
    }
    if (!ctx->account) {
        mc_error_unauthorized(ctx->err, m, "Unauthorized");
        return MC_EINVAL;
    }
    if ((rc = mc_auth_authorize_admin(ctx, ns, m)) < 0)
        return rc;
    if ((rc = auth_account_get(a, ctx, ns, req->id, m, &acc)) < 0)
        return rc;
    if (strcmp(req->id, ctx->account->id) == 0 || strcmp(req->id, ctx->account->name) == 0) {
        mc_error_bad_request(ctx->err, m, "Can't delete your own account");
        return MC_EINVAL;
    }
    if (refresh_token_of(a, ctx->arena, ns, acc->id, &tok) < 0) {
        mc_error_internal(ctx->err, m, "Error finding refresh token");
        return MC_EIO;
    }
    rc = auth_store_delete(a, mc_arena_printf(ctx->arena, "refresh/%s/%s/%s", ns, acc->id, tok));
    if (rc == MC_OK || rc == MC_ENOTFOUND)
        rc = auth_store_delete(a, key_of(ctx->arena, "account", ns, acc->id));
    if (rc == MC_OK || rc == MC_ENOTFOUND)
        rc = auth_store_delete(a, key_of(ctx->arena, "accountByName", ns, acc->name));
    if (rc < 0 && rc != MC_ENOTFOUND) {
        mc_error_internal(ctx->err, m, "Error deleting account: %s", mc_strerror(rc));
        return rc;
    }
    if (strcmp(ns, MC_DEFAULT_NAMESPACE) == 0)
        a->admin_checked = false;   /* the namespace may have no user left */
    return MC_OK;
}

/* ChangeSecret needs the old secret unless the caller is a micro admin or a
 * service account of the namespace (spec §6.1). */
static bool may_skip_old_secret(const struct mc_rpc_ctx *ctx, const char *ns)
{
    const struct mc_account *c = ctx->account;

    if (!c)
        return false;
    if (strcmp(c->issuer, MC_DEFAULT_NAMESPACE) == 0 && mc_account_has_scope(c, "admin"))
        return true;
    return strcmp(c->type, "service") == 0 && strcmp(c->issuer, ns) == 0;
}

int auth_accounts_change_secret(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq,
                                ProtobufCMessage *rs, void *arg)
{
    struct mc_auth *a = arg;
    const Auth__ChangeSecretRequest *req = (const Auth__ChangeSecretRequest *)rq;
    const char *ns = auth_opts_ns(req->options, MC_DEFAULT_NAMESPACE);
    const char *m = "auth.Accounts.ChangeSecret";
    Auth__Account *acc;
    int rc;

    (void)rs;
    if (!req->new_secret[0]) {
        mc_error_bad_request(ctx->err, "auth.Auth.ChangeSecret", "New secret should not be blank");
        return MC_EINVAL;
    }
    if ((rc = check_len(ctx, m, "Secret", req->new_secret, MC_AUTH_SECRET_MAX)) < 0)
        return rc;
    if ((rc = mc_auth_authorize(ctx, ns, m)) < 0)
        return rc;
    if ((rc = auth_account_get(a, ctx, ns, req->id, m, &acc)) < 0)
        return rc;
    if (!(req->old_secret[0] == '\0' && may_skip_old_secret(ctx, ns)) &&
        !secret_matches(acc->secret, req->old_secret)) {
        mc_error_bad_request(ctx->err, m, "Secret not correct");
        return MC_EINVAL;
    }
    if (!(acc->secret = hash_secret(a, ctx->arena, req->new_secret))) {
        mc_error_internal(ctx->err, m, "Unable to hash password: out of memory");
        return MC_ENOMEM;
    }
    if ((rc = account_write(a, ctx->arena, acc)) < 0) {
        mc_error_internal(ctx->err, m, "Unable to write account to store: %s", mc_strerror(rc));
        return rc;
    }
    return MC_OK;
}
