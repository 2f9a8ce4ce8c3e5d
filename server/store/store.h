/*
 * The store service (spec §8): store.Store (Read, Write, Delete, List, Databases,
 * Tables) and store.BlobStore (Read, Write, Delete, List) on the server's storage
 * layer (core->storage). A request's database is options.database, else the
 * caller's namespace; its table is options.table, else "micro" (each service's
 * client sends database = its namespace and table = its name). Record expiry is
 * relative seconds on the wire and absolute in storage; metadata (map of
 * Field{type,value}) is kept as JSON text. Every call needs an admin or service
 * account of the database's namespace (mc_core_require_admin). A loop timer
 * purges expired records every MC_STORE_PURGE_MS.
 */
#ifndef MC_SERVER_STORE_H
#define MC_SERVER_STORE_H

#include <stdint.h>

struct mc_core;
struct mc_rpc_service;

#define MC_STORE_PURGE_MS 60000u              /* how often expired records are deleted */
#define MC_STORE_BLOB_CHUNK (512u * 1024u)    /* bytes per BlobStore.Read message */

/*
 * The core table's registration for "store": binds the Store and BlobStore
 * handlers on svc, sets core->store and starts the purge timer on core->loop.
 * core->storage must be open. Returns 0 or MC_EEXIST / MC_ENOTFOUND from binding
 * (core->store is then set: release it with mc_store_service_release).
 */
int mc_store_service_register(struct mc_core *core, struct mc_rpc_service *svc);

/* Stops the purge timer and frees core->store (NULL afterwards). No-op without one.
 * Streams still open hold no pointer into it past their own end. */
void mc_store_service_release(struct mc_core *core);

#endif
