/*
 * The auth service's life cycle: creating it (keys, costs), binding its
 * handlers, installing the hook on the server's RPC table, and freeing it.
 */
#include "auth_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mc_log.h"
#include "settings.h"
#include "mc_banned.h"

struct mc_auth *mc_auth_new(struct mc_storage *storage, const struct mc_auth_options *opts)
{
    struct mc_auth *a = mc_calloc(1, sizeof(*a));

    a->storage = storage;
    a->disable_admin = opts->disable_admin;
    a->pwhash_ops = opts->pwhash_ops ? opts->pwhash_ops : MC_AUTH_PWHASH_OPS;
    a->pwhash_mem = opts->pwhash_mem ? opts->pwhash_mem : MC_AUTH_PWHASH_MEM;
    if (auth_keys_load(a, opts) < 0) {
        mc_auth_free(a);
        return NULL;
    }
    return a;
}

void mc_auth_free(struct mc_auth *a)
{
    if (!a)
        return;
    mc_auth_rules_invalidate(a, NULL);
    auth_blocklist_free(a);
    auth_token_cache_free(a);
    sodium_memzero(a->sk, sizeof(a->sk));
    free(a);
}

const uint8_t *mc_auth_public_key(const struct mc_auth *a)
{
    return a->pk;
}

/* MICRO_AUTH_DISABLE_ADMIN: any value but "", "0" and "false" disables. */
static bool env_true(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

static int bind_all(struct mc_rpc_service *svc, struct mc_auth *a)
{
    static const struct {
        const ProtobufCServiceDescriptor *sd;
        const char *method;
        mc_rpc_unary_fn fn;
    } table[] = {
        { &auth__auth__descriptor, "Generate", auth_generate },
        { &auth__auth__descriptor, "Inspect", auth_inspect },
        { &auth__auth__descriptor, "Token", auth_token },
        { &auth__accounts__descriptor, "List", auth_accounts_list },
        { &auth__accounts__descriptor, "Delete", auth_accounts_delete },
        { &auth__accounts__descriptor, "ChangeSecret", auth_accounts_change_secret },
        { &auth__rules__descriptor, "Create", auth_rules_create },
        { &auth__rules__descriptor, "Delete", auth_rules_delete },
        { &auth__rules__descriptor, "List", auth_rules_list },
    };

    for (size_t i = 0; i < MC_ARRAY_LEN(table); i++) {
        int rc = mc_rpc_service_handle(svc, table[i].sd, table[i].method, table[i].fn, a);
        if (rc < 0)
            return rc;
    }
    return MC_OK;
}

int mc_auth_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    bool in_memory = strcmp(core->settings->profile, "test") == 0;
    struct mc_auth_options opts = {
        .home = in_memory ? NULL : core->settings->home,
        .public_key_b64 = getenv("MICRO_AUTH_PUBLIC_KEY"),
        .private_key_b64 = getenv("MICRO_AUTH_PRIVATE_KEY"),
        .disable_admin = env_true("MICRO_AUTH_DISABLE_ADMIN"),
    };
    struct mc_auth *a;
    int rc;

    if (!core->storage) {
        mc_log_error("the auth service needs the storage layer");
        return MC_EINVAL;
    }
    if (!(a = mc_auth_new(core->storage, &opts)))
        return MC_EINVAL;
    if ((rc = bind_all(svc, a)) < 0) {
        mc_auth_free(a);
        return rc;
    }
    core->auth = a;
    mc_rpc_server_set_auth(core->rpc, mc_auth_hook, a);
    return MC_OK;
}

void mc_auth_release(struct mc_core *core)
{
    if (!core->auth)
        return;
    mc_rpc_server_set_auth(core->rpc, NULL, NULL);
    mc_auth_free(core->auth);
    core->auth = NULL;
}
