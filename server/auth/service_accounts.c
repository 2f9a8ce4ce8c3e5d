/*
 * Accounts the server makes for services it runs (the runtime, spec §6.3):
 * `<name>-<version>`, type service, scope service, issued by the service's
 * namespace. The handlers do the work, called in process as the server itself
 * (a service account of namespace micro with scope service, which the
 * namespace checks treat as an admin of every namespace).
 */
#include "auth_internal.h"

#include <string.h>

#include "mc_arena.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_log.h"
#include "mc_banned.h"

static int call_as_server(struct mc_auth *a, const char *ns, mc_rpc_unary_fn fn,
                          const ProtobufCMessage *req, ProtobufCMessage *rsp, struct mc_arena *ar,
                          struct mc_error *err)
{
    static const char *const scopes[] = { "service" };
    struct mc_account server = { .id = "runtime", .type = "service", .issuer = "micro",
                                 .name = "runtime", .scopes = scopes, .nscopes = 1 };
    struct mc_rpc_ctx ctx = { .arena = ar, .service = "auth", .endpoint = "Accounts.Delete",
                              .ns = ns, .account = &server, .err = err };

    return fn(&ctx, req, rsp, a);
}

int mc_auth_delete_service_account(struct mc_auth *a, const char *ns, const char *id)
{
    Auth__Options opts = AUTH__OPTIONS__INIT;
    Auth__DeleteAccountRequest del = AUTH__DELETE_ACCOUNT_REQUEST__INIT;
    Auth__DeleteAccountResponse rsp = AUTH__DELETE_ACCOUNT_RESPONSE__INIT;
    struct mc_arena ar;
    struct mc_error err;
    int rc;

    mc_arena_init(&ar);
    mc_error_init(&err);
    opts.namespace_ = (char *)ns;
    del.id = (char *)id;
    del.options = &opts;
    rc = call_as_server(a, ns, auth_accounts_delete, &del.base, &rsp.base, &ar, &err);
    mc_error_release(&err);
    mc_arena_release(&ar);
    return rc;
}

int mc_auth_new_service_account(struct mc_auth *a, const char *ns, const char *id, char **secret)
{
    Auth__Options opts = AUTH__OPTIONS__INIT;
    Auth__GenerateRequest gen = AUTH__GENERATE_REQUEST__INIT;
    Auth__GenerateResponse rsp = AUTH__GENERATE_RESPONSE__INIT;
    char *scopes[] = { "service" };
    struct mc_arena ar;
    struct mc_error err;
    int rc;

    *secret = NULL;
    (void)mc_auth_delete_service_account(a, ns, id);   /* its old secret is unknown */
    mc_arena_init(&ar);
    mc_error_init(&err);
    opts.namespace_ = (char *)ns;
    gen.id = (char *)id;
    gen.name = (char *)id;
    gen.type = "service";
    gen.scopes = scopes;
    gen.n_scopes = 1;
    gen.options = &opts;
    rc = call_as_server(a, ns, auth_generate, &gen.base, &rsp.base, &ar, &err);
    if (rc == MC_OK && rsp.account && rsp.account->secret)
        *secret = mc_strdup(rsp.account->secret);
    else
        mc_log_error("cannot create the service account %s: %s", id,
                     err.detail ? err.detail : mc_strerror(rc));
    mc_error_release(&err);
    mc_arena_release(&ar);
    return *secret ? MC_OK : MC_EIO;
}
