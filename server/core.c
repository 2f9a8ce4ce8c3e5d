/* The core services served in process: see core.h. Today each one answers its
 * Debug handler; the services' own handlers land with the core-services work. */
#include "core.h"

#include "mc_common.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "mc_banned.h"

const char *const mc_core_service_names[] = {
    "registry", "broker", "network", "runtime", "config", "store", "events", "auth",
};
const size_t mc_core_service_count = MC_ARRAY_LEN(mc_core_service_names);

int mc_core_register(struct mc_rpc_server *rpc)
{
    for (size_t i = 0; i < mc_core_service_count; i++) {
        mc_log_info("Registering %s", mc_core_service_names[i]);
        if (!mc_rpc_server_add(rpc, mc_core_service_names[i]))
            return MC_EEXIST;
    }
    return MC_OK;
}
