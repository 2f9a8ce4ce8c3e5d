/*
 * The auth service's records on the storage layer: database "micro", table
 * "auth", as upstream's auth service keeps them (spec §6.1). A thin layer so the
 * handlers speak in keys and values and never in queries.
 */
#include "auth_internal.h"

#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"
#include "mc_banned.h"

#define AUTH_DB MC_STORAGE_DEFAULT
#define AUTH_TABLE "auth"

int auth_store_read(struct mc_auth *a, const char *key, struct mc_buf *val)
{
    char *v = NULL;
    size_t len = 0;
    int rc = mc_storage_get(a->storage, AUTH_DB, AUTH_TABLE, key, &v, &len);

    if (rc == MC_OK)
        rc = mc_buf_append(val, v, len);
    free(v);
    return rc;
}

int auth_store_write(struct mc_auth *a, const char *key, const char *val, size_t len)
{
    return mc_storage_put(a->storage, AUTH_DB, AUTH_TABLE, key, val, len);
}

int auth_store_delete(struct mc_auth *a, const char *key)
{
    struct mc_storage_query q = { .database = AUTH_DB, .table = AUTH_TABLE, .key = key,
                                  .keys_only = true };
    struct mc_storage_items items = { 0 };
    int rc = mc_storage_read(a->storage, &q, &items);

    mc_storage_items_release(&items);
    if (rc < 0)
        return rc;
    return mc_storage_delete(a->storage, AUTH_DB, AUTH_TABLE, key);
}

int auth_store_prefix(struct mc_auth *a, const char *prefix, auth_store_each_fn fn, void *arg)
{
    struct mc_storage_query q = { .database = AUTH_DB, .table = AUTH_TABLE, .prefix = prefix };
    struct mc_storage_items items = { 0 };
    int rc = mc_storage_read(a->storage, &q, &items);

    for (size_t i = 0; rc == MC_OK && i < items.n; i++) {
        const struct mc_storage_item *it = &items.v[i];
        rc = fn(it->key, (const char *)it->value, it->value_len, arg);
    }
    mc_storage_items_release(&items);
    return rc > 0 ? MC_OK : rc;
}
