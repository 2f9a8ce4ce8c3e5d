/* The core services served in process: see core.h. Each service lives in its own
 * folder and exposes one registration function, listed here in start order. */
#include "core.h"

#include <string.h>

#include "mc_common.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "api/api_service.h"
#include "auth/auth.h"
#include "broker/broker.h"
#include "config/config.h"
#include "events/events.h"
#include "network/network.h"
#include "registry/registry_service.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "storage/storage.h"
#include "mc_banned.h"

const struct mc_core_service mc_core_services[] = {
    { "registry", mc_registry_service_register },
    { "broker", mc_broker_service_register },
    { "network", mc_network_service_register },
    { "runtime", mc_runtime_service_register },
    { "config", mc_config_service_register },
    { "store", mc_store_service_register },
    { "events", mc_events_service_register },
    { "auth", mc_auth_register },
    { "proxy", NULL },
    { "api", mc_api_service_register },
    { "web", NULL },
};
const size_t mc_core_service_count = MC_ARRAY_LEN(mc_core_services);

int mc_core_require_admin(const struct mc_core *core, struct mc_rpc_ctx *ctx, const char *ns,
                          const char *id)
{
    return core->auth ? mc_auth_authorize_admin(ctx, ns, id) : MC_OK;
}

/* ---- group commit: the storage's batches as the RPC layer sees them --------------------- */

static void *pending_batch(void *arg)
{
    return mc_storage_batch_open(arg);
}

static int commit_batch(void *arg, void *batch)
{
    return mc_storage_batch_commit(arg, batch);
}

static void release_batch(void *arg, void *batch)
{
    (void)arg;
    mc_storage_batch_unref(batch);
}

static const struct mc_rpc_durability durability = { pending_batch, commit_batch, release_batch };

static void on_commit_timer(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_core *core = arg;

    (void)loop;
    (void)t;
    core->commit_timer = NULL;
    (void)mc_storage_commit(core->storage);   /* a failure is logged; holders get it */
}

/* A batch opened: it commits at the end of this round at the latest, also when
 * no answer waits for it (writes made by the server itself). */
static void on_batch_open(void *arg)
{
    struct mc_core *core = arg;

    if (!core->commit_timer)
        core->commit_timer = mc_loop_timer_add(core->loop, 0, 0, on_commit_timer, core);
}

int mc_core_register(struct mc_core *core)
{
    mc_storage_set_batch_hook(core->storage, on_batch_open, core);
    mc_rpc_server_set_durability(core->rpc, &durability, core->storage);
    for (size_t i = 0; i < mc_core_service_count; i++) {
        const struct mc_core_service *cs = &mc_core_services[i];
        struct mc_rpc_service *svc;
        int rc;

        mc_log_info("Registering %s", cs->name);
        svc = mc_rpc_server_add(core->rpc, cs->name);
        if (!svc)
            return MC_EEXIST;
        if (cs->registration && (rc = cs->registration(core, svc)) < 0) {
            mc_log_error("cannot start the %s service: %s", cs->name, mc_strerror(rc));
            return rc;
        }
    }
    return MC_OK;
}

void mc_core_release(struct mc_core *core)
{
    mc_runtime_service_release(core);   /* first: its children use the other services */
    /* services add their release steps here as they gain state */
    mc_registry_service_release(core);
    mc_config_service_release(core);
    mc_store_service_release(core);
    mc_broker_service_release(core);
    mc_events_service_release(core);
    mc_auth_release(core);
    /* what is still open commits when the storage closes */
    mc_loop_timer_cancel(core->loop, core->commit_timer);
    core->commit_timer = NULL;
    mc_storage_set_batch_hook(core->storage, NULL, NULL);
}
