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

/* The row for name in v[0..*n), appended (zeroed, not registered) when missing. */
static struct dash_svc *row_for(struct dash_svc **v, size_t *n, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].name, name) == 0)
            return &(*v)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = mc_realloc(*v, *cap * sizeof(**v));
    }
    memset(&(*v)[*n], 0, sizeof(**v));
    dash_copy((*v)[*n].name, DASH_NAME_MAX, name);
    (*v)[*n].nodes = -1;
    return &(*v)[(*n)++];
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

void dash_model_set_services(struct dash_model *m, const cJSON *runtime, const cJSON *registry)
{
    struct dash_svc *v = NULL;
    size_t n = 0, cap = 0;
    const cJSON *s;

    cJSON_ArrayForEach(s, runtime)
    {
        const char *name = str_of(s, "name");
        if (name && *name)
            runtime_row(row_for(&v, &n, &cap, name), s);
    }
    cJSON_ArrayForEach(s, registry)
    {
        const char *name = str_of(s, "name");
        struct dash_svc *r;
        if (!name || !*name)
            continue;
        r = row_for(&v, &n, &cap, name);
        if (r->nodes < 0)
            r->nodes = 0;
        r->nodes += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "nodes"));
        if (!r->version[0])
            dash_copy(r->version, sizeof(r->version), str_of(s, "version"));
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_svc);
    free(m->svcs);
    m->svcs = v;
    m->nsvcs = n;
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
