/* Runtime records and their JSON: see rt_record.h. The JSON keeps upstream's
 * metadata names so `micro store` users reading table "runtime" see familiar
 * keys; unknown keys are ignored on read, so records written by a newer
 * server still load. */
#include "runtime/rt_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mc_common.h"
#include "mc_banned.h"

void rt_record_set(char **field, const char *v)
{
    char *copy = v ? mc_strdup(v) : NULL;

    free(*field);
    *field = copy;
}

void rt_record_release(struct rt_record *r)
{
    char **strs[] = { &r->ns, &r->name, &r->version, &r->source, &r->typed, &r->entrypoint,
                      &r->owner, &r->group, &r->started, &r->updated, &r->error, &r->build,
                      &r->usermd };

    for (size_t i = 0; i < MC_ARRAY_LEN(strs); i++)
        rt_record_set(strs[i], NULL);
    for (size_t i = 0; i < r->nenv; i++)
        free(r->env[i]);
    free(r->env);
    memset(r, 0, sizeof(*r));
}

int rt_record_add_env(struct rt_record *r, const char *kv)
{
    if (r->nenv >= RT_ENV_MAX || strlen(kv) > RT_ENV_LEN_MAX)
        return MC_ETOOBIG;
    r->env = mc_realloc(r->env, (r->nenv + 1) * sizeof(*r->env));
    r->env[r->nenv++] = mc_strdup(kv);
    return MC_OK;
}

char *rt_record_key(const char *ns, const char *name, const char *version)
{
    size_t n = strlen("service:") + strlen(ns) + strlen(name) + strlen(version) + 3;
    char *k = mc_malloc(n);

    snprintf(k, n, "service:%s:%s:%s", ns, name, version);
    return k;
}

static void put_str(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
}

char *rt_record_to_json(const struct rt_record *r)
{
    cJSON *o = cJSON_CreateObject(), *env;
    char *out;

    if (!o)
        abort();   /* allocation failure is fatal (STYLE.md) */
    put_str(o, "namespace", r->ns);
    put_str(o, "name", r->name);
    put_str(o, "version", r->version);
    put_str(o, "source", r->source);
    put_str(o, "typed", r->typed);
    put_str(o, "entrypoint", r->entrypoint);
    env = cJSON_AddArrayToObject(o, "env");
    for (size_t i = 0; env && i < r->nenv; i++)
        cJSON_AddItemToArray(env, cJSON_CreateString(r->env[i]));
    cJSON_AddNumberToObject(o, "status", r->status);
    put_str(o, "owner", r->owner);
    put_str(o, "group", r->group);
    put_str(o, "started", r->started);
    put_str(o, "lastStatusUpdate", r->updated);
    put_str(o, "error", r->error);
    put_str(o, "build", r->build);
    cJSON_AddNumberToObject(o, "retries", (double)r->retries);
    put_str(o, "metadata", r->usermd);
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!out)
        abort();
    return out;
}

static void get_str(const cJSON *o, const char *key, char **field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (cJSON_IsString(v))
        rt_record_set(field, v->valuestring);
}

static void get_env(const cJSON *o, struct rt_record *r)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "env"), *e;

    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e))
            (void)rt_record_add_env(r, e->valuestring);
    }
}

int rt_record_from_json(const char *json, size_t len, struct rt_record *r)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *v;

    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return MC_EINVAL;
    }
    get_str(o, "namespace", &r->ns);
    get_str(o, "name", &r->name);
    get_str(o, "version", &r->version);
    get_str(o, "source", &r->source);
    get_str(o, "typed", &r->typed);
    get_str(o, "entrypoint", &r->entrypoint);
    get_env(o, r);
    get_str(o, "owner", &r->owner);
    get_str(o, "group", &r->group);
    get_str(o, "started", &r->started);
    get_str(o, "lastStatusUpdate", &r->updated);
    get_str(o, "error", &r->error);
    get_str(o, "build", &r->build);
    get_str(o, "metadata", &r->usermd);
    v = cJSON_GetObjectItemCaseSensitive(o, "status");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= RT_ERROR)
        r->status = (int)v->valuedouble;
    v = cJSON_GetObjectItemCaseSensitive(o, "retries");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
        r->retries = (int64_t)v->valuedouble;
    cJSON_Delete(o);
    if (!r->ns || !r->name || !r->version) {
        rt_record_release(r);
        return MC_EINVAL;
    }
    return MC_OK;
}

const char *rt_status_name(int status)
{
    static const char *const names[] = { "unknown",  "pending", "building", "starting",
                                         "running",  "stopping", "stopped", "error" };

    if (status < 0 || (size_t)status >= MC_ARRAY_LEN(names))
        return "unknown";
    return names[status];
}

unsigned rt_backoff_seconds(int64_t retries)
{
    if (retries <= 1)
        return 1;
    if (retries > 7)   /* 2^6 = 64 is already past the cap */
        return RT_BACKOFF_MAX_S;
    unsigned s = 1u << (retries - 1);
    return s > RT_BACKOFF_MAX_S ? RT_BACKOFF_MAX_S : s;
}

void rt_time_rfc3339(time_t t, char *out, size_t outlen)
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "1970-01-01T00:00:00Z");
}
