/*
 * The account block list behind upstream's api service (Api.AddToBlockList,
 * RemoveFromBlockList, ReadBlockList; handlers in server/api/api_service.c).
 * Entries are "namespace:id" as upstream keys them. The hook asks
 * mc_auth_is_blocked for every authenticated call, so the list stays a plain
 * array: it is expected to hold a handful of entries, and a linear scan of a
 * few strings costs less than the signature check before it.
 */
#include "auth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_common.h"
#include "mc_banned.h"

/* "ns:id" in a heap string, or NULL for input that cannot be an entry. */
static char *entry_of(const char *ns, const char *id)
{
    size_t n;
    char *e;

    if (!id || !id[0] || !ns || !auth_ns_valid(ns))
        return NULL;
    n = strlen(ns) + 1 + strlen(id) + 1;
    e = mc_malloc(n);
    snprintf(e, n, "%s:%s", ns, id);
    return e;
}

static bool find(const struct mc_auth *a, const char *entry, size_t *at)
{
    for (size_t i = 0; i < a->nblocked; i++) {
        if (strcmp(a->blocked[i], entry) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

int mc_auth_block(struct mc_auth *a, const char *ns, const char *id)
{
    char *e = entry_of(ns, id);
    size_t at;

    if (!e)
        return MC_EINVAL;

    if (find(a, e, &at)) {
        free(e);
        return MC_OK;
    }
    if (a->nblocked >= MC_AUTH_BLOCKED_MAX) {
        free(e);
        return MC_ETOOBIG;
    }
    a->blocked = mc_realloc(a->blocked, (a->nblocked + 1) * sizeof(*a->blocked));
    a->blocked[a->nblocked++] = e;
    return MC_OK;
}

int mc_auth_unblock(struct mc_auth *a, const char *ns, const char *id)
{
    char *e = entry_of(ns, id);
    size_t i;
    bool found;

    if (!e)
        return MC_EINVAL;
    found = find(a, e, &i);
    free(e);
    if (found) {
        free(a->blocked[i]);
        memmove(&a->blocked[i], &a->blocked[i + 1],
                (a->nblocked - i - 1) * sizeof(*a->blocked));
        a->nblocked--;
    }
    return MC_OK;
}

bool mc_auth_is_blocked(const struct mc_auth *a, const char *ns, const char *id)
{
    size_t nl = strlen(ns);

    for (size_t i = 0; i < a->nblocked; i++) {
        const char *e = a->blocked[i];
        if (strncmp(e, ns, nl) == 0 && e[nl] == ':' && strcmp(e + nl + 1, id) == 0)
            return true;
    }
    return false;
}

void mc_auth_blocked_each(const struct mc_auth *a, void (*fn)(const char *entry, void *arg),
                          void *arg)
{
    for (size_t i = 0; i < a->nblocked; i++)
        fn(a->blocked[i], arg);
}

size_t mc_auth_blocked_count(const struct mc_auth *a)
{
    return a->nblocked;
}

void auth_blocklist_free(struct mc_auth *a)
{
    for (size_t i = 0; i < a->nblocked; i++)
        free(a->blocked[i]);
    free(a->blocked);
    a->blocked = NULL;
    a->nblocked = 0;
}
