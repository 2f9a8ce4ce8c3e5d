/*
 * The dashboard's model (dash_model.h): the lock, the wake pipe and the
 * merge of the runtime's and the registry's service lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dash_model.h"
#include "mc_common.h"
#include "run_util.h"
#include "mc_banned.h"

int dash_model_init(struct dash_model *m, size_t log_cap)
{
    int fds[2];

    memset(m, 0, sizeof(*m));
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return MC_EIO;
    m->wake_r = fds[0];
    m->wake_w = fds[1];
    pthread_mutex_init(&m->mu, NULL);
    dash_log_init(&m->log, log_cap);
    m->conn = DASH_CONNECTING;
    return 0;
}

void dash_model_release(struct dash_model *m)
{
    dash_log_release(&m->log);
    cJSON_Delete(m->detail);
    free(m->svcs);
    close(m->wake_r);
    close(m->wake_w);
    pthread_mutex_destroy(&m->mu);
}

void dash_model_lock(struct dash_model *m)
{
    pthread_mutex_lock(&m->mu);
}

void dash_model_unlock(struct dash_model *m)
{
    pthread_mutex_unlock(&m->mu);
}

void dash_model_wake(struct dash_model *m)
{
    char b = 1;

    m->version++;
    /* a full pipe already holds a wake-up: EAGAIN is fine */
    if (write(m->wake_w, &b, 1) < 0 && errno != EAGAIN)
        return;
}

void dash_model_drain(struct dash_model *m)
{
    char buf[256];

    while (read(m->wake_r, buf, sizeof(buf)) > 0)
        ;
}

void dash_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (cap == 0)
        return;
    n = n < cap ? n : cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static const char *str_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int cmp_svc(const void *a, const void *b)
{
    return strcmp(((const struct dash_svc *)a)->name, ((const struct dash_svc *)b)->name);
}

/* The rows being built, with an open-addressing index by name (slot = row + 1),
 * so that a refresh with 10,000 services does not compare every name with every
 * row. The table has room for every row the two sources can give. */
struct rows {
    struct dash_svc *v;
    size_t n;
    size_t *slot;
    size_t mask;
};

static void rows_init(struct rows *r, size_t most)
{
    size_t size = 16;

    while (size < 2 * most)
        size *= 2;
    r->v = mc_calloc(most + 1, sizeof(*r->v));
    r->n = 0;
    r->slot = mc_calloc(size, sizeof(*r->slot));
    r->mask = size - 1;
}

/* The row for name, appended (zeroed, not registered) when missing. */
static struct dash_svc *row_for(struct rows *r, const char *name)
{
    char key[DASH_NAME_MAX];
    size_t i;

    dash_copy(key, sizeof(key), name);   /* rows keep names cut to fit: compare those */
    i = (size_t)mc_fnv1a(MC_FNV1A_INIT, key, strlen(key)) & r->mask;
    for (; r->slot[i]; i = (i + 1) & r->mask)
        if (strcmp(r->v[r->slot[i] - 1].name, key) == 0)
            return &r->v[r->slot[i] - 1];
    r->slot[i] = r->n + 1;
    dash_copy(r->v[r->n].name, DASH_NAME_MAX, name);
    r->v[r->n].nodes = -1;
    return &r->v[r->n++];
}

static void runtime_row(struct dash_svc *r, const cJSON *s)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(s, "metadata");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "status");
    const char *src = str_of(md, "source"), *retries = str_of(md, "retries");
    int64_t n = 0;

    r->runtime = true;
    dash_copy(r->version, sizeof(r->version), str_of(s, "version"));
    dash_copy(r->source, sizeof(r->source), src && *src ? src : str_of(s, "source"));
    dash_copy(r->status, sizeof(r->status),
         mc_run_status_name(cJSON_IsNumber(st) ? (int)st->valuedouble : 0));
    dash_copy(r->started, sizeof(r->started), str_of(md, "started"));
    dash_copy(r->error, sizeof(r->error), str_of(md, "error"));
    r->restarts = retries && mc_parse_i64(retries, &n) == 0 ? (int)n : 0;
}

void dash_model_set_services(struct dash_model *m, const cJSON *runtime,
                             const Registry__ListResponse *registry)
{
    struct rows r;
    const cJSON *s;

    rows_init(&r, (size_t)cJSON_GetArraySize(runtime) + (registry ? registry->n_services : 0));
    cJSON_ArrayForEach(s, runtime)
    {
        const char *name = str_of(s, "name");
        if (name && *name)
            runtime_row(row_for(&r, name), s);
    }
    for (size_t i = 0; registry && i < registry->n_services; i++) {
        const Registry__Service *rs = registry->services[i];
        struct dash_svc *row;
        if (!rs->name || !*rs->name)
            continue;
        row = row_for(&r, rs->name);
        if (row->nodes < 0)
            row->nodes = 0;
        row->nodes += (int)rs->n_nodes;
        if (!row->version[0])
            dash_copy(row->version, sizeof(row->version), rs->version);
    }
    if (r.n > 1)
        qsort(r.v, r.n, sizeof(*r.v), cmp_svc);
    free(r.slot);
    free(m->svcs);
    m->svcs = r.v;
    m->nsvcs = r.n;
}

long dash_model_find(const struct dash_model *m, const char *name)
{
    for (size_t i = 0; i < m->nsvcs; i++)
        if (strcmp(m->svcs[i].name, name) == 0)
            return (long)i;
    return -1;
}

void dash_model_follow(struct dash_model *m, const char *name)
{
    if (strcmp(m->log_name, name) == 0)
        return;
    dash_copy(m->log_name, sizeof(m->log_name), name);
    m->log_gen++;
    m->log_live = false;
    m->log_error[0] = '\0';
    dash_log_clear(&m->log);
}
