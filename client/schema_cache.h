/*
 * The client's cache of registry entries: what dynamic commands (and later the
 * prompt's completion) need to know about a service, its endpoints and their
 * request schemas, without asking the registry before every call. An entry is
 * the first version of a service as Registry.GetService returns it (the JSON
 * object with name, version, metadata, endpoints, nodes), kept in memory for
 * the session and on disk beside config.json:
 *
 *   <dir of config.json>/cache/<env>/<domain>/<service>.json   (0600, dirs 0700)
 *   {"address":"127.0.0.1:8081","fetched":<unix s>,"service":{...}}
 *
 * so a repeated `micro helloworld --name=x` costs one round trip (the call).
 * An entry is used while younger than MC_SCHEMA_CACHE_MAX_AGE_S and recorded
 * for the same proxy address; callers refetch with `refresh` when the cached
 * entry does not know an endpoint or flag, or when a call says the service or
 * method is unknown (dynamic.c). Names that are not plain words
 * ([A-Za-z0-9._-], no leading '.') are never written to disk, only fetched.
 * "Not registered" is never cached: a service registered a moment ago is
 * found by the next command.
 *
 * Disk errors are not failures: an unreadable or malformed file is a miss, a
 * failed write leaves the entry in memory only.
 */
#ifndef MC_CLIENT_SCHEMA_CACHE_H
#define MC_CLIENT_SCHEMA_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define MC_SCHEMA_CACHE_MAX_AGE_S 600            /* entries older than this are refetched */
#define MC_SCHEMA_CACHE_LIST_MAX_AGE_S 60        /* the list of services (completion) */
#define MC_SCHEMA_CACHE_MAX_FILE (8u * 1024u * 1024u) /* a cache file larger is a miss */
#define MC_SCHEMA_CACHE_MAX_ENTRIES 256          /* in memory; the oldest goes first */
#define MC_SCHEMA_CACHE_NAME_MAX 128             /* a service or domain name on disk */

struct mc_schema_cache;

/*
 * A cache rooted at dir (NULL = memory only) for the environment env reached
 * at address. The strings are copied. Never returns NULL (allocation aborts).
 */
struct mc_schema_cache *mc_schema_cache_new(const char *dir, const char *env,
                                            const char *address);
void mc_schema_cache_free(struct mc_schema_cache *c);

/* Overrides the clock (unix seconds) for tests; NULL restores the real one. */
void mc_schema_cache_set_clock(struct mc_schema_cache *c, int64_t (*now)(void));

/*
 * The session's cache (cli->schemas), created on first use from cli's config
 * file location, env and address. When the env or its address changed since
 * (env set in the prompt), the cache is recreated.
 */
struct mc_schema_cache *mc_schema_cache_of(struct mc_cli *cli);

/*
 * The registry entry of service in domain. Unless refresh is set, a fresh
 * entry from memory or disk is used; otherwise Registry.GetService is called
 * (namespace header "micro", domain in options) and a found entry is stored.
 * On success returns 0, *svc is a new cJSON object owned by the caller
 * (cJSON_Delete) and *from_cache (may be NULL) tells whether no call was made.
 * Returns MC_ENOTFOUND when the registry has no such service in that domain
 * (f untouched), or MC_EIO when the call failed (f filled: print it with
 * mc_cli_fail).
 */
int mc_schema_cache_get(struct mc_cli *cli, const char *domain, const char *service,
                        bool refresh, cJSON **svc, bool *from_cache, struct mc_cli_failure *f);

/* Forgets the entry (memory and disk), e.g. after the service went away. */
void mc_schema_cache_drop(struct mc_cli *cli, const char *domain, const char *service);

/*
 * The names of the services registered in domain, sorted, each once (for
 * completion; `micro services` asks the registry itself). Cached for
 * MC_SCHEMA_CACHE_LIST_MAX_AGE_S. Returns 0 with *names a NULL-terminated heap
 * array of heap strings (mc_cli_names_free), or MC_EIO with f filled.
 */
int mc_schema_cache_services(struct mc_cli *cli, const char *domain, bool refresh,
                             char ***names, struct mc_cli_failure *f);

/*
 * Makes names (sorted, unique, NULL-terminated; copied) the domain's list of
 * services as if just fetched, in memory only: the prompt's registry watch
 * (regwatch.h) knows the list better than a fetch, and hands it over before
 * each completion so that completion makes no call for it.
 */
void mc_schema_cache_set_services(struct mc_cli *cli, const char *domain,
                                  const char *const *names);

/* ---- reading an entry (pure; borrowed results live as long as svc) -------------- */

/* The endpoint named name ("Registry.GetService"): an exact match, else the one
 * match ignoring case; NULL when none or ambiguous. */
const cJSON *mc_schema_endpoint(const cJSON *svc, const char *name);

/* Number of endpoints, and the name of endpoint i (NULL past the end). */
int mc_schema_endpoint_count(const cJSON *svc);
const char *mc_schema_endpoint_name(const cJSON *svc, int i);

/* The request Value of an endpoint ({name,type,values}), or NULL. */
const cJSON *mc_schema_endpoint_request(const cJSON *endpoint);

/* The Value's children (its "values" array, possibly empty), its name, its type. */
const cJSON *mc_schema_value_children(const cJSON *value);
const char *mc_schema_value_name(const cJSON *value);
const char *mc_schema_value_type(const cJSON *value);

/*
 * Calls fn for every leaf field of a request Value in schema order, with the
 * path of field names joined by sep ("options_domain") and the Value's type.
 * A message field with no known fields is a leaf. Stops and returns fn's
 * value when it is non-zero; returns 0 otherwise.
 */
typedef int mc_schema_field_fn(void *ud, const char *path, const char *type);
int mc_schema_fields(const cJSON *request, char sep, mc_schema_field_fn *fn, void *ud);

#endif
