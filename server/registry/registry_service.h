/*
 * The registry service (registry.Registry on the RPC table): Register,
 * Deregister, GetService and ListServices as unary handlers and Watch as a
 * server stream, all over the in-memory registry (registry.h), with upstream's
 * authorization (spec §5.2) and error texts. Its registration function creates
 * the registry the whole server shares (core->registry).
 */
#ifndef MC_SERVER_REGISTRY_SERVICE_H
#define MC_SERVER_REGISTRY_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"

struct mc_account;
struct mc_error;

/* A Watch stream whose client has more than this many bytes not yet taken off the
 * connection is finished with 503 instead of queueing without bound (upstream drops
 * events for a watcher that does not read within 10 ms). */
#define MC_REGISTRY_WATCH_MAX_PENDING (4u << 20)

/*
 * The core table's registration for "registry": creates core->registry on
 * core->loop and binds the Registry handlers on svc. The registry is freed by
 * mc_registry_service_release (from mc_core_release). Returns 0 or MC_EEXIST /
 * MC_ENOTFOUND from binding.
 */
int mc_registry_service_register(struct mc_core *core, struct mc_rpc_service *svc);

/* Frees core->registry (its watch streams are finished with 503) and clears it. */
void mc_registry_service_release(struct mc_core *core);

/*
 * Upstream's registry authorization (§5.2) for an account (NULL: anonymous) on
 * domain: read access for Get/List/Watch, write for Register/Deregister. Returns
 * 0, or MC_EINVAL with err set: 401 `an account is required` without an account,
 * 403 `access denied to namespace` for the wrong one, 401 `Unauthorized` for a write
 * by an account that is not an admin (mc_auth_authorize/_admin do the work); id is the error id
 * ("registry.Registry.GetService").
 */
int mc_registry_authorize(const struct mc_account *account, const char *domain, bool write,
                          const char *id, struct mc_error *err);

#endif
