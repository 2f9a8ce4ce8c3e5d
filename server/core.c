/* The core services served in process: see core.h. Each service lives in its own
 * folder and exposes one registration function, listed here in start order. */
#include "core.h"

#include "mc_common.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "mc_banned.h"

const struct mc_core_service mc_core_services[] = {
    { "registry", NULL },
    { "broker", NULL },
    { "network", NULL },
    { "runtime", NULL },
    { "config", NULL },
    { "store", NULL },
    { "events", NULL },
    { "auth", NULL },
};
const size_t mc_core_service_count = MC_ARRAY_LEN(mc_core_services);

int mc_core_register(struct mc_core *core)
{
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
    (void)core;   /* services add their release steps here as they gain state */
}
