/*
 * What the files of server/auth share and nobody else sees: the service's
 * state, the key loader, the rules cache and the record layer the handlers and
 * the hook read accounts and rules through.
 */
#ifndef MC_SERVER_AUTH_INTERNAL_H
#define MC_SERVER_AUTH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "auth.pb-c.h"
#include "mc_arena.h"
#include "mc_auth_rules.h"
#include "mc_jwt.h"

/* The rules of one namespace, as loaded from storage (strings owned by arena). */
struct auth_ns_rules {
    struct auth_ns_rules *next;
    char *ns;
    struct mc_arena arena;
    struct mc_auth_rule *rules;
    size_t n;
};

/* Most namespaces whose rules stay cached; past it the cache starts over. */
#define AUTH_RULES_CACHE_MAX 256

struct mc_auth {
    struct mc_storage *storage;
    uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES];
    uint8_t sk[MC_JWT_SECRET_KEY_BYTES];
    bool disable_admin;
    bool admin_checked;              /* default account looked for in "micro" */
    uint64_t pwhash_ops;
    size_t pwhash_mem;
    struct auth_ns_rules *cache;
    size_t ncache;
    char **blocked;                  /* "namespace:id" of blocked accounts (blocklist.c) */
    struct auth_token_slot *tokens;  /* verified tokens (token_cache.c), NULL until the first */
    size_t nblocked;
};

/* token_cache.c: claims of verified tokens by hash, until they expire. get returns
 * NULL on a miss (or an expired entry, which it drops); put takes claims' strings
 * (claims is left empty); free drops everything (mc_auth_free). */
#define AUTH_TOKEN_CACHE_SLOTS 4096
#define AUTH_TOKEN_HASH_BYTES 32
struct auth_token_slot;
const struct mc_jwt_claims *auth_token_cache_get(struct mc_auth *a, const char *token,
                                                 size_t len, int64_t now);
void auth_token_cache_put(struct mc_auth *a, const char *token, size_t len,
                          struct mc_jwt_claims *claims);
void auth_token_cache_free(struct mc_auth *a);

/* blocklist.c: frees the block list (mc_auth_free). */
void auth_blocklist_free(struct mc_auth *a);

/* Largest stored account or rule JSON read back. */
#define AUTH_RECORD_MAX (256 * 1024)

/* store.c: the records of database "micro", table "auth". read: the value of
 * key into val (appended) or MC_ENOTFOUND; write: replaces; delete: MC_ENOTFOUND
 * when absent; prefix: calls fn for each record whose key starts with prefix,
 * in key order, until fn returns nonzero (negative is returned, positive stops
 * with 0). Other errors are the storage layer's. */
typedef int (*auth_store_each_fn)(const char *key, const char *val, size_t len, void *arg);
int auth_store_read(struct mc_auth *a, const char *key, struct mc_buf *val);
int auth_store_write(struct mc_auth *a, const char *key, const char *val, size_t len);
int auth_store_delete(struct mc_auth *a, const char *key);
int auth_store_prefix(struct mc_auth *a, const char *prefix, auth_store_each_fn fn, void *arg);

/* keys.c: fills a->pk/sk as mc_auth_new documents. 0 or a negative code, logged. */
int auth_keys_load(struct mc_auth *a, const struct mc_auth_options *opts);

/* rules.c: the rules of ns (loading them, and writing the `default` rule when
 * the namespace has none, on a miss). Borrowed until the cache changes.
 * 0 or a negative storage code. */
int auth_rules_get(struct mc_auth *a, const char *ns, const struct auth_ns_rules **out);

/* accounts.c: Auth and Accounts handlers (mc_rpc_unary_fn, arg = struct mc_auth)
 * and what rules.c and the tests share with them. */
const char *auth_opts_ns(const Auth__Options *o, const char *fallback);
int auth_token_issue(struct mc_auth *a, struct mc_arena *ar, const Auth__Account *acc,
                     int64_t expiry, Auth__Token *t);
int auth_token_account(struct mc_auth *a, struct mc_arena *ar, const char *token,
                       Auth__Account **out);
void auth_default_account(struct mc_auth *a, struct mc_rpc_ctx *ctx, const char *ns);
int auth_generate(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs, void *arg);
int auth_inspect(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs, void *arg);
int auth_token(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs, void *arg);
int auth_accounts_list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                       void *arg);
int auth_accounts_delete(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                         void *arg);
int auth_accounts_change_secret(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq,
                                ProtobufCMessage *rs, void *arg);
/* rules.c: the Rules handler. */
int auth_rules_create(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                      void *arg);
int auth_rules_delete(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                      void *arg);
int auth_rules_list(struct mc_rpc_ctx *ctx, const ProtobufCMessage *rq, ProtobufCMessage *rs,
                    void *arg);

/* Longest namespace name (the storage layer's name limit). */
#define AUTH_NS_MAX 256
/* Whether ns may name a namespace: 1..AUTH_NS_MAX bytes, no '/'. */
bool auth_ns_valid(const char *ns);

/* Checks the hook and the Authorize helpers share. */
int auth_namespace_check(const struct mc_rpc_ctx *ctx, const char *ns);

#endif
