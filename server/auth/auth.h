/*
 * The auth service (spec §6): the server's Ed25519 key pair, accounts with
 * argon2id-hashed secrets, access tokens (JWTs, mc_jwt), rules per namespace,
 * and the auth hook that mc_rpc runs for every call (proxy and API gateway
 * alike): it authenticates the caller from its token and enforces the rules of
 * the call's namespace (mc_auth_rules). Records live in the storage layer,
 * database "micro", table "auth", under upstream's keys:
 *   account/<ns>/<id>, accountByName/<ns>/<name>   account JSON, secret hashed
 *   refresh/<ns>/<id>/<uuid>                       refresh-token marker
 *   rules/<ns>/<id>                                rule JSON
 * Rules are cached in memory per namespace and dropped on every Rules.Create
 * and Rules.Delete, so a change is enforced from the next call on.
 */
#ifndef MC_SERVER_AUTH_H
#define MC_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "mc_buf.h"
#include "mc_jwt.h"
#include "mc_rpc.h"

struct mc_auth;

/* Token lifetime when a Token request names none (seconds, as upstream's server). */
#define MC_AUTH_DEFAULT_EXPIRY 900
/* Longest token lifetime a Token request may ask for: 1 year. */
#define MC_AUTH_MAX_EXPIRY (366LL * 24 * 3600)
/* Limits on what a request may store. */
#define MC_AUTH_ID_MAX 256
#define MC_AUTH_SECRET_MAX 1024
#define MC_AUTH_SCOPES_MAX 64
#define MC_AUTH_METADATA_MAX 64
#define MC_AUTH_ACCOUNTS_MAX 10000   /* per namespace */

/* The error texts of upstream's namespace checks. */
#define MC_AUTH_NS_UNAUTHORIZED "an account is required"   /* as the transcript shows */
#define MC_AUTH_NS_FORBIDDEN "access denied to namespace"

/* Where the key pair comes from (mc_auth_new). */
struct mc_auth_options {
    const char *home;              /* key files $home/auth_{public,private}_key; NULL: none */
    const char *public_key_b64;    /* MICRO_AUTH_PUBLIC_KEY (standard base64), or NULL */
    const char *private_key_b64;   /* MICRO_AUTH_PRIVATE_KEY, or NULL */
    bool disable_admin;            /* MICRO_AUTH_DISABLE_ADMIN: no default admin account */
    uint64_t pwhash_ops;           /* argon2id cost; 0: MC_AUTH_PWHASH_OPS */
    size_t pwhash_mem;             /* bytes; 0: MC_AUTH_PWHASH_MEM */
};

/* argon2id cost of a secret: OWASP's minimum (t=2, m=19 MiB, p=1), measured at
 * about 35 ms per hash or verify on the 2-core dev box (t=2 m=16 MiB: 31 ms,
 * t=2 m=32 MiB: 64 ms, t=2 m=64 MiB: 143 ms), well under the 100 ms a login may
 * take. The hash runs on the loop thread, so it is also what one login stalls it. */
#define MC_AUTH_PWHASH_OPS 2
#define MC_AUTH_PWHASH_MEM (19u * 1024 * 1024)

/*
 * Creates the auth service on storage (borrowed, must outlive it). The key
 * pair: both env keys when given (both or neither: MC_EINVAL otherwise, or when
 * they do not decode or do not belong together); else the key files under home,
 * created (0600) on first start; else (home NULL) a fresh pair in memory.
 * Returns NULL with a log line saying why.
 */
struct mc_auth *mc_auth_new(struct mc_storage *storage, const struct mc_auth_options *opts);
void mc_auth_free(struct mc_auth *a);

/* The core-table registration: creates the service from core->settings and the
 * environment, binds Auth, Accounts and Rules on svc, sets core->auth and
 * installs the auth hook on core->rpc. */
int mc_auth_register(struct mc_core *core, struct mc_rpc_service *svc);

/* The core-table release: removes the hook from core->rpc and frees core->auth. */
void mc_auth_release(struct mc_core *core);

/* The public key (MC_JWT_PUBLIC_KEY_BYTES), e.g. for MICRO_AUTH_PUBLIC_KEY of
 * services the runtime starts. */
const uint8_t *mc_auth_public_key(const struct mc_auth *a);

/*
 * The hook (mc_rpc_auth_fn, arg = struct mc_auth): reads the token from
 * Authorization ("Bearer" only; anything else is 401 MC_AUTH_BAD_HEADER_MSG),
 * else from the `micro-token` cookie of a Cookie header (the gateway passes HTTP
 * headers as metadata). A token that does not verify (bad signature, another
 * key, expired, malformed) authenticates nobody: the call goes on anonymously,
 * as upstream's proxy does, and the rules decide. Sets ctx->account (in
 * ctx->arena) and ctx->ns (Micro-Namespace, else the token's issuer, else
 * "micro"), then checks the namespace's rules for service:<service>:<endpoint>:
 * 403 "Forbidden call made to S:E by ID" with an account, 401 "Unauthorized call
 * made to S:E" without, error id = the service.
 */
int mc_auth_hook(struct mc_rpc_ctx *ctx, void *arg);

/*
 * The namespace check of core handlers (spec §5.2, upstream's namespace.Authorize):
 * the caller needs an account (else 401 MC_AUTH_NS_UNAUTHORIZED) that is either
 * issued by ns with type user or service, or issued by "micro" and an admin (type
 * user with scope admin, or type service with scope service); else 403
 * MC_AUTH_NS_FORBIDDEN; 400 for a namespace that cannot be one (empty, longer
 * than 256 bytes, holding '/'). Returns 0 or MC_EINVAL with ctx->err set, id = method
 * (e.g. "registry.Registry.GetService"). Store, config and registry use it too.
 */
int mc_auth_authorize(struct mc_rpc_ctx *ctx, const char *ns, const char *method);
/* mc_auth_authorize, and the account must itself be an admin (user + scope admin,
 * or service + scope service), else 401 "Unauthorized" (upstream's AuthorizeAdmin):
 * for Generate, Accounts.List/Delete, Rules.Create/Delete, Registry.Register... */
int mc_auth_authorize_admin(struct mc_rpc_ctx *ctx, const char *ns, const char *method);

/*
 * The account block list (upstream's api service, v3.10+): a blocked account's
 * token no longer authenticates anywhere; the hook answers 401
 * MC_AUTH_BLOCKED_MSG for it, before the rules. Kept in memory, as upstream's
 * default list (a restart forgets it), at most MC_AUTH_BLOCKED_MAX entries.
 * block: 0, MC_EINVAL (empty id or bad namespace), MC_ETOOBIG when full (adding
 * a blocked account again is 0); unblock: 0 whether or not it was blocked.
 * list: calls fn with each "namespace:id" in insertion order.
 */
#define MC_AUTH_BLOCKED_MAX 65536
#define MC_AUTH_BLOCKED_MSG "account is blocked"
int mc_auth_block(struct mc_auth *a, const char *ns, const char *id);
int mc_auth_unblock(struct mc_auth *a, const char *ns, const char *id);
bool mc_auth_is_blocked(const struct mc_auth *a, const char *ns, const char *id);
void mc_auth_blocked_each(const struct mc_auth *a, void (*fn)(const char *entry, void *arg),
                          void *arg);
size_t mc_auth_blocked_count(const struct mc_auth *a);

/*
 * Service accounts for the services the server runs (spec §6.3): new replaces the
 * account id (`<name>-<version>`, type service, scope service) of namespace ns with
 * a fresh one and gives its secret (*secret malloc'd); 0 or MC_EIO with a log line.
 * delete removes it (0, or the handler's error when there is none).
 */
int mc_auth_new_service_account(struct mc_auth *a, const char *ns, const char *id,
                                char **secret);
int mc_auth_delete_service_account(struct mc_auth *a, const char *ns, const char *id);

/* Drops the cached rules of ns (every namespace when ns is NULL). */
void mc_auth_rules_invalidate(struct mc_auth *a, const char *ns);

#endif
