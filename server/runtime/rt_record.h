/*
 * A runtime service as the runtime keeps it: what it was created from (source,
 * folder, environment) and where it is (status and upstream's metadata:
 * owner, group, started, error, retries, build). Records are JSON in the
 * storage layer (database "micro", table "runtime", key
 * "service:<ns>:<name>:<version>"), so they survive a restart of the server.
 * Also the pure helpers of the service lifecycle: status names, the restart
 * backoff and RFC3339 times.
 */
#ifndef MC_RUNTIME_RECORD_H
#define MC_RUNTIME_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RT_ENV_MAX 256          /* --env_vars entries of one service */
#define RT_ENV_LEN_MAX 8192     /* bytes of one "K=V" */
#define RT_RECORD_MAX (1024 * 1024)   /* bytes of a record's JSON read back */

/* Service.status values (spec §10). */
enum rt_status {
    RT_UNKNOWN = 0,
    RT_PENDING,
    RT_BUILDING,
    RT_STARTING,
    RT_RUNNING,
    RT_STOPPING,
    RT_STOPPED,
    RT_ERROR,
};

/* Every string is heap-owned by the record (NULL = absent). */
struct rt_record {
    char *ns, *name, *version;
    char *source;            /* Service.source: the blob key or git URL[@ref] */
    char *typed;             /* metadata "source": what the user typed */
    char *entrypoint;        /* folder inside the source to build, "" = root */
    char **env;              /* "K=V" from --env_vars */
    size_t nenv;
    int status;
    char *owner, *group;     /* creator's account name and namespace */
    char *started;           /* RFC3339 of the last process start */
    char *updated;           /* RFC3339 of the last status change (lastStatusUpdate) */
    char *error;             /* reason of RT_ERROR */
    char *build;             /* commit id of a git source */
    int64_t retries;         /* restarts after crashes since the last Create/Update */
    char *usermd;            /* the creator's other metadata, a JSON object of strings */
};

void rt_record_release(struct rt_record *r);
/* Replaces *field with a copy of v (NULL clears it). */
void rt_record_set(char **field, const char *v);
/* Adds a "K=V" entry; MC_ETOOBIG past RT_ENV_MAX entries or RT_ENV_LEN_MAX bytes. */
int rt_record_add_env(struct rt_record *r, const char *kv);

/* The storage key "service:<ns>:<name>:<version>" (malloc'd). */
char *rt_record_key(const char *ns, const char *name, const char *version);

/* The record as compact JSON (malloc'd, NUL-terminated). */
char *rt_record_to_json(const struct rt_record *r);
/* Fills an empty record (zeroed) from JSON. MC_EINVAL when it is not a record
 * (not an object, ns/name/version missing); r is released on failure. */
int rt_record_from_json(const char *json, size_t len, struct rt_record *r);

/* "pending", "running", ... ("unknown" for values out of range). */
const char *rt_status_name(int status);

/* Seconds to wait before restart number `retries` (1-based): 1, 2, 4 ... capped at
 * RT_BACKOFF_MAX_S. */
#define RT_BACKOFF_MAX_S 60
unsigned rt_backoff_seconds(int64_t retries);

/* t as RFC3339 in UTC ("2006-01-02T15:04:05Z"); out has at least 32 bytes. */
void rt_time_rfc3339(time_t t, char *out, size_t outlen);

#endif
