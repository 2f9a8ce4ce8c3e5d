/*
 * Registry entries cached per environment (schema_cache.h): a small list in
 * memory for the session (the prompt runs many commands) backed by one JSON
 * file per service on disk (one-shot runs), both checked for age and for the
 * proxy address they were fetched from. Files are written to a temporary
 * name and renamed, 0600, so a concurrent `micro` never reads half a file.
 */
#include "schema_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "userconf.h"
#include "mc_banned.h"

#define LIST_KEY "\x01list" /* the services list's memory slot: no service is named so */

struct entry {
    char *domain;
    char *service;
    cJSON *json;     /* the service object, or for LIST_KEY the array of names */
    int64_t fetched; /* unix seconds */
    struct entry *next;
};

struct mc_schema_cache {
    char *dir;     /* <config dir>/cache/<env>, or NULL */
    char *env;     /* the environment it serves */
    char *address; /* entries from another address are misses */
    struct entry *entries;
    int count;
    int64_t (*now)(void);
};

static int64_t real_now(void)
{
    return mc_unix_time();
}

/* A name that may become a path component. */
static bool plain_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MC_SCHEMA_CACHE_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

struct mc_schema_cache *mc_schema_cache_new(const char *dir, const char *env,
                                            const char *address)
{
    struct mc_schema_cache *c = mc_calloc(1, sizeof(*c));

    c->address = mc_strdup(address ? address : "");
    c->env = mc_strdup(env ? env : "");
    c->now = real_now;
    if (dir && *dir && env && plain_name(env)) {
        size_t n = strlen(dir) + strlen(env) + 16;
        c->dir = mc_malloc(n);
        snprintf(c->dir, n, "%s/cache/%s", dir, env);
    }
    return c;
}

static void entry_free(struct entry *e)
{
    free(e->domain);
    free(e->service);
    cJSON_Delete(e->json);
    free(e);
}

void mc_schema_cache_free(struct mc_schema_cache *c)
{
    if (!c)
        return;
    while (c->entries) {
        struct entry *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
    free(c->dir);
    free(c->env);
    free(c->address);
    free(c);
}

void mc_schema_cache_set_clock(struct mc_schema_cache *c, int64_t (*now)(void))
{
    c->now = now ? now : real_now;
}

struct mc_schema_cache *mc_schema_cache_of(struct mc_cli *cli)
{
    struct mc_schema_cache *c = cli->schemas;

    if (c && strcmp(c->address, cli->address) == 0 && strcmp(c->env, cli->env) == 0)
        return c;
    mc_schema_cache_free(c);
    char dir[4096] = "";
    const char *cfg = cli->conf ? mc_userconf_config_path(cli->conf) : NULL;
    if (cfg) {
        const char *slash = strrchr(cfg, '/');
        if (slash && (size_t)(slash - cfg) < sizeof(dir))
            snprintf(dir, sizeof(dir), "%.*s", (int)(slash - cfg), cfg);
        else if (!slash)
            snprintf(dir, sizeof(dir), ".");
    }
    cli->schemas = mc_schema_cache_new(dir[0] ? dir : NULL, cli->env, cli->address);
    return cli->schemas;
}

/* ---- memory ----------------------------------------------------------------------- */

static struct entry *mem_find(struct mc_schema_cache *c, const char *domain, const char *service)
{
    for (struct entry *e = c->entries; e; e = e->next)
        if (strcmp(e->domain, domain) == 0 && strcmp(e->service, service) == 0)
            return e;
    return NULL;
}

static void mem_remove(struct mc_schema_cache *c, const char *domain, const char *service)
{
    for (struct entry **p = &c->entries; *p; p = &(*p)->next) {
        struct entry *e = *p;
        if (strcmp(e->domain, domain) == 0 && strcmp(e->service, service) == 0) {
            *p = e->next;
            entry_free(e);
            c->count--;
            return;
        }
    }
}

/* Takes json. The list is kept newest first; the tail goes past the cap. */
static void mem_put(struct mc_schema_cache *c, const char *domain, const char *service,
                    cJSON *json, int64_t fetched)
{
    mem_remove(c, domain, service);
    struct entry *e = mc_calloc(1, sizeof(*e));
    e->domain = mc_strdup(domain);
    e->service = mc_strdup(service);
    e->json = json;
    e->fetched = fetched;
    e->next = c->entries;
    c->entries = e;
    if (++c->count > MC_SCHEMA_CACHE_MAX_ENTRIES) {
        struct entry **p = &c->entries;
        while ((*p)->next)
            p = &(*p)->next;
        entry_free(*p);
        *p = NULL;
        c->count--;
    }
}

static bool fresh(const struct mc_schema_cache *c, int64_t fetched, int64_t max_age)
{
    int64_t now = c->now();
    return fetched <= now && now - fetched < max_age;
}

/* ---- disk ------------------------------------------------------------------------- */

/* The file of a service's entry, or of the domain's list of services for the
 * LIST_KEY (".services.json": no plain service name starts with a dot). */
static bool file_path(const struct mc_schema_cache *c, const char *domain, const char *service,
                      char *buf, size_t n)
{
    bool list = strcmp(service, LIST_KEY) == 0;
    if (!c->dir || !plain_name(domain) || (!list && !plain_name(service)))
        return false;
    int w = snprintf(buf, n, "%s/%s/%s.json", c->dir, domain, list ? ".services" : service);
    return w > 0 && (size_t)w < n;
}

/* mkdir -p of the directories above path, 0700. */
static int make_parents(const char *path)
{
    char tmp[4096];

    if (strlen(path) >= sizeof(tmp))
        return -1;
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static char *read_small_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct mc_buf b;
    mc_buf_init(&b, MC_SCHEMA_CACHE_MAX_FILE);
    char chunk[8192];
    ssize_t r;
    bool ok = true;
    while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || mc_buf_append(&b, chunk, (size_t)r) != 0) {
            ok = false;
            break;
        }
    }
    close(fd);
    if (!ok) {
        mc_buf_release(&b);
        return NULL;
    }
    return mc_buf_detach(&b, NULL);
}

/* The document of a cache file when it is ours, for this address; NULL otherwise. */
static cJSON *disk_load(const struct mc_schema_cache *c, const char *path, int64_t *fetched)
{
    char *text = read_small_file(path);
    if (!text)
        return NULL;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(doc, "address");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(doc, "fetched");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(addr) || strcmp(addr->valuestring, c->address) ||
        !cJSON_IsNumber(when)) {
        cJSON_Delete(doc);
        return NULL;
    }
    *fetched = (int64_t)when->valuedouble;
    return doc;
}

static void disk_store(const struct mc_schema_cache *c, const char *path, const cJSON *json,
                       const char *field, int64_t fetched)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "address", c->address);
    cJSON_AddNumberToObject(doc, "fetched", (double)fetched);
    cJSON_AddItemToObject(doc, field, cJSON_Duplicate(json, true));
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return;
    char tmp[4200];
    size_t len = strlen(text);
    int n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (n > 0 && (size_t)n < sizeof(tmp) && make_parents(path) == 0) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            bool ok = write(fd, text, len) == (ssize_t)len;
            ok = close(fd) == 0 && ok;
            if (!ok || rename(tmp, path) != 0)
                unlink(tmp);
        }
    }
    free(text);
}

/* ---- lookups ---------------------------------------------------------------------- */

/* A fresh cached copy of the entry, or NULL. */
static cJSON *cached(struct mc_schema_cache *c, const char *domain, const char *key,
                     const char *field, int64_t max_age)
{
    struct entry *e = mem_find(c, domain, key);
    if (e && fresh(c, e->fetched, max_age))
        return cJSON_Duplicate(e->json, true);
    char path[4096];
    int64_t fetched = 0;
    if (!file_path(c, domain, key, path, sizeof(path)))
        return NULL;
    cJSON *doc = disk_load(c, path, &fetched);
    cJSON *json = cJSON_DetachItemFromObjectCaseSensitive(doc, field);
    cJSON_Delete(doc);
    if (!json || !fresh(c, fetched, max_age)) {
        cJSON_Delete(json);
        return NULL;
    }
    mem_put(c, domain, key, cJSON_Duplicate(json, true), fetched);
    return json;
}

static void store(struct mc_schema_cache *c, const char *domain, const char *key,
                  const char *field, const cJSON *json)
{
    int64_t now = c->now();
    char path[4096];

    mem_put(c, domain, key, cJSON_Duplicate(json, true), now);
    if (file_path(c, domain, key, path, sizeof(path)))
        disk_store(c, path, json, field, now);
}

/* A registry "not found" (404), which is an answer, not a failure. */
static bool not_found(const struct mc_cli_failure *f)
{
    return f->kind == MC_CLI_MICRO_ERROR && f->error.code == 404;
}

static int fetch(struct mc_cli *cli, const char *method, cJSON *req, cJSON **rsp,
                 struct mc_cli_failure *f)
{
    char *body = cJSON_PrintUnformatted(req);
    char *out = NULL;
    cJSON_Delete(req);
    int rc = mc_cli_call(cli, "registry", method, body, NULL, &out, f);
    free(body);
    if (rc != 0)
        return not_found(f) ? MC_ENOTFOUND : MC_EIO;
    *rsp = cJSON_Parse(out);
    free(out);
    if (!cJSON_IsObject(*rsp)) {
        cJSON_Delete(*rsp);
        *rsp = NULL;
        mc_error_release(&f->error);
        mc_error_init(&f->error);
        f->kind = MC_CLI_LOCAL;
        f->error.detail = mc_strdup("malformed response from the registry");
        return MC_EIO;
    }
    return 0;
}

int mc_schema_cache_get(struct mc_cli *cli, const char *domain, const char *service,
                        bool refresh, cJSON **svc, bool *from_cache, struct mc_cli_failure *f)
{
    struct mc_schema_cache *c = mc_schema_cache_of(cli);
    cJSON *rsp = NULL;

    *svc = NULL;
    if (from_cache)
        *from_cache = false;
    if (!refresh && (*svc = cached(c, domain, service, "service", MC_SCHEMA_CACHE_MAX_AGE_S))) {
        if (from_cache)
            *from_cache = true;
        return 0;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "service", service);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "domain", domain);
    struct mc_cli_failure mine;
    mc_cli_failure_init(&mine);
    int rc = fetch(cli, "Registry.GetService", req, &rsp, &mine);
    if (rc == MC_EIO) {
        mc_cli_failure_release(f);
        *f = mine;
        return rc;
    }
    mc_cli_failure_release(&mine);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(rsp, "services");
    const cJSON *first = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    if (rc != 0 || !cJSON_IsObject(first)) {
        cJSON_Delete(rsp);
        mc_schema_cache_drop(cli, domain, service);
        return MC_ENOTFOUND;
    }
    store(c, domain, service, "service", first);
    *svc = cJSON_Duplicate(first, true);
    cJSON_Delete(rsp);
    return 0;
}

void mc_schema_cache_drop(struct mc_cli *cli, const char *domain, const char *service)
{
    struct mc_schema_cache *c = mc_schema_cache_of(cli);
    char path[4096];

    mem_remove(c, domain, service);
    if (file_path(c, domain, service, path, sizeof(path)))
        unlink(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, unique names (sorts v in place). */
static cJSON *unique_sorted(char **v, size_t n)
{
    cJSON *out = cJSON_CreateArray();

    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
            cJSON_AddItemToArray(out, cJSON_CreateString(v[i]));
    return out;
}

int mc_schema_cache_services(struct mc_cli *cli, const char *domain, bool refresh,
                             char ***names, struct mc_cli_failure *f)
{
    struct mc_schema_cache *c = mc_schema_cache_of(cli);
    cJSON *arr = refresh ? NULL : cached(c, domain, LIST_KEY, "services",
                                         MC_SCHEMA_CACHE_LIST_MAX_AGE_S);

    *names = NULL;
    if (!arr) {
        char **all;
        size_t n_all;
        /* in protobuf: with thousands of services the JSON documents cost more than the call */
        if (mc_cli_service_names(cli, domain, &all, &n_all, f) != 0)
            return MC_EIO;
        arr = unique_sorted(all, n_all);
        mc_cli_names_free(all);
        store(c, domain, LIST_KEY, "services", arr);
    }
    int n = cJSON_GetArraySize(arr), k = 0;
    *names = mc_calloc((size_t)n + 1, sizeof(char *));
    const cJSON *s;
    cJSON_ArrayForEach(s, arr)
    {
        if (cJSON_IsString(s))
            (*names)[k++] = mc_strdup(s->valuestring);
    }
    cJSON_Delete(arr);
    return 0;
}

void mc_schema_cache_set_services(struct mc_cli *cli, const char *domain,
                                  const char *const *names)
{
    struct mc_schema_cache *c = mc_schema_cache_of(cli);
    cJSON *arr = cJSON_CreateArray();

    for (const char *const *p = names; p && *p; p++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(*p));
    mem_put(c, domain, LIST_KEY, arr, c->now());
}


/* ---- reading an entry ------------------------------------------------------------- */

static const cJSON *endpoints_of(const cJSON *svc)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(svc, "endpoints");
    return cJSON_IsArray(e) ? e : NULL;
}

int mc_schema_endpoint_count(const cJSON *svc)
{
    return cJSON_GetArraySize(endpoints_of(svc));
}

const char *mc_schema_endpoint_name(const cJSON *svc, int i)
{
    const cJSON *e = cJSON_GetArrayItem(endpoints_of(svc), i);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    return cJSON_IsString(name) ? name->valuestring : NULL;
}

const cJSON *mc_schema_endpoint(const cJSON *svc, const char *name)
{
    const cJSON *loose = NULL;
    int matches = 0;
    const cJSON *e;

    cJSON_ArrayForEach(e, endpoints_of(svc))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(n))
            continue;
        if (strcmp(n->valuestring, name) == 0)
            return e;
        if (strcasecmp(n->valuestring, name) == 0) {
            loose = e;
            matches++;
        }
    }
    return matches == 1 ? loose : NULL;
}

const cJSON *mc_schema_endpoint_request(const cJSON *endpoint)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(endpoint, "request");
    return cJSON_IsObject(r) ? r : NULL;
}

const cJSON *mc_schema_value_children(const cJSON *value)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "values");
    return cJSON_IsArray(v) ? v : NULL;
}

const char *mc_schema_value_name(const cJSON *value)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "name");
    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *mc_schema_value_type(const cJSON *value)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "type");
    return cJSON_IsString(v) ? v->valuestring : "";
}

#define FIELD_PATH_MAX 1024
#define FIELD_DEPTH_MAX 32

static int fields_at(const cJSON *value, char sep, char *path, size_t len, int depth,
                     mc_schema_field_fn *fn, void *ud)
{
    const cJSON *kids = mc_schema_value_children(value);
    const char *name = mc_schema_value_name(value);
    size_t n = len;

    if (depth > 0) {
        int w = snprintf(path + len, FIELD_PATH_MAX - len, "%s%s", len ? (char[]){sep, 0} : "",
                         name);
        if (w < 0 || (size_t)w >= FIELD_PATH_MAX - len)
            return 0; /* a path this long is not a flag anyone types */
        n = len + (size_t)w;
    }
    if (depth > 0 && (cJSON_GetArraySize(kids) == 0 || depth >= FIELD_DEPTH_MAX))
        return fn(ud, path, mc_schema_value_type(value));
    const cJSON *kid;
    cJSON_ArrayForEach(kid, kids)
    {
        int rc = fields_at(kid, sep, path, n, depth + 1, fn, ud);
        if (rc)
            return rc;
    }
    path[len] = '\0';
    return 0;
}

int mc_schema_fields(const cJSON *request, char sep, mc_schema_field_fn *fn, void *ud)
{
    char path[FIELD_PATH_MAX] = "";
    return request ? fields_at(request, sep, path, 0, 0, fn, ud) : 0;
}
