/*
 * What the Store and BlobStore handlers of the store service share (store.c,
 * blob.c): the service state hung on struct mc_core and the error mapping of
 * storage codes to micro errors.
 */
#ifndef MC_SERVER_STORE_INTERNAL_H
#define MC_SERVER_STORE_INTERNAL_H

#include "core.h"

struct mc_error;
struct mc_rpc_service;
struct mc_timer;

struct mc_store_service {
    struct mc_core *core;
    struct mc_timer *purge;   /* every MC_STORE_PURGE_MS; owned by core->loop */
};

/* Binds the BlobStore handlers of svc (blob.c). 0 or the binding's error. */
int mc_store_blob_register(struct mc_store_service *ss, struct mc_rpc_service *svc);

/*
 * Sets err for a failed storage call of endpoint id and returns rc:
 * MC_ENOTFOUND → 404 "not found" (upstream's store.ErrNotFound text), MC_EINVAL →
 * 400 `what` past the store's limits, anything else → 500.
 */
int mc_store_fail(struct mc_error *err, const char *id, int rc, const char *what);

#endif
