/*
 * The config client of libmicro: a snapshot of the namespace's config
 * document (Config.Get of the root path, spec §7.2) queried with dot paths and
 * typed getters that fall back to the caller's default, as upstream's
 * config.Get(path).String(def) does, plus a scan into a caller's struct from
 * a field table (offsetof), the C counterpart of Go's Scan into a tagged struct.
 * Everything but load and set is pure, so it is unit tested without a server.
 */
#include "micro_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.pb-c.h"
#include "mc_common.h"
#include "mc_pbjson.h"
#include "mc_banned.h"

#define CONFIG_DOC_MAX (4u * 1024 * 1024)
#define CONFIG_PATH_MAX 1024

/* Arrays handed out by micro_config_strings, freed with the snapshot. */
struct str_list {
    struct str_list *next;
    const char **items;
};

struct micro_config {
    cJSON *root;
    struct str_list *lists;
};

struct micro_config *micro_config_parse(const char *json)
{
    struct micro_config *cfg;
    cJSON *root;

    if (!json || strlen(json) > CONFIG_DOC_MAX)
        return NULL;
    root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    cfg = mc_calloc(1, sizeof(*cfg));
    cfg->root = root;
    return cfg;
}

void micro_config_free(struct micro_config *cfg)
{
    if (!cfg)
        return;
    while (cfg->lists) {
        struct str_list *next = cfg->lists->next;

        free(cfg->lists->items);
        free(cfg->lists);
        cfg->lists = next;
    }
    cJSON_Delete(cfg->root);
    free(cfg);
}

/* The node at a dot path ("" or NULL: the root), or NULL. */
static const cJSON *lookup(const struct micro_config *cfg, const char *path)
{
    const cJSON *node;
    char seg[CONFIG_PATH_MAX + 1];
    const char *p = path;

    if (!cfg)
        return NULL;
    node = cfg->root;
    if (!path || !*path)
        return node;
    if (strlen(path) > CONFIG_PATH_MAX)
        return NULL;
    while (node && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);

        if (len == 0 || !cJSON_IsObject(node))
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, seg);
        p += len + (dot ? 1 : 0);
        if (dot && !*p)
            return NULL;
    }
    return node;
}

const char *micro_config_string(const struct micro_config *cfg, const char *path,
                                const char *def)
{
    const cJSON *n = lookup(cfg, path);

    return cJSON_IsString(n) ? n->valuestring : def;
}

int64_t micro_config_int(const struct micro_config *cfg, const char *path, int64_t def)
{
    const cJSON *n = lookup(cfg, path);
    int64_t v;

    if (cJSON_IsNumber(n) && n->valuedouble == floor(n->valuedouble) &&
        fabs(n->valuedouble) < 9.2e18)
        return (int64_t)n->valuedouble;
    if (cJSON_IsString(n) && mc_parse_i64(n->valuestring, &v) == MC_OK)
        return v;
    return def;
}

bool micro_config_bool(const struct micro_config *cfg, const char *path, bool def)
{
    const cJSON *n = lookup(cfg, path);

    if (cJSON_IsBool(n))
        return cJSON_IsTrue(n);
    if (cJSON_IsString(n) && strcmp(n->valuestring, "true") == 0)
        return true;
    if (cJSON_IsString(n) && strcmp(n->valuestring, "false") == 0)
        return false;
    return def;
}

double micro_config_float(const struct micro_config *cfg, const char *path, double def)
{
    const cJSON *n = lookup(cfg, path);

    return cJSON_IsNumber(n) ? n->valuedouble : def;
}

/* One unit of a Go duration, in ms; 0 when unknown. */
static double unit_ms(const char *u, size_t len)
{
    static const struct { const char *name; double ms; } units[] = {
        { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "ms", 1 },
        { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
    };

    for (size_t i = 0; i < MC_ARRAY_LEN(units); i++) {
        if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0)
            return units[i].ms;
    }
    return 0;
}

/* Parses a Go duration ("1h2m3.5s", "-300ms", "0") into ms; false when malformed. */
static bool parse_duration(const char *s, int64_t *out)
{
    double total = 0, sign = 1;

    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    if (!*s)
        return false;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        const char *u = end;
        double ms;

        if (end == s || *s == '-' || *s == '+' || v < 0)
            return false;
        while (*end && !(*end >= '0' && *end <= '9') && *end != '.')
            end++;
        ms = unit_ms(u, (size_t)(end - u));
        if (ms == 0)
            return false;
        total += v * ms;
        s = end;
    }
    if (total > 9.2e15)
        return false;
    *out = (int64_t)(sign * total);
    return true;
}

int64_t micro_config_duration_ms(const struct micro_config *cfg, const char *path,
                                 int64_t def_ms)
{
    const cJSON *n = lookup(cfg, path);
    int64_t v;

    if (cJSON_IsNumber(n) && fabs(n->valuedouble) < 9.2e12)
        return (int64_t)(n->valuedouble * 1000);
    if (cJSON_IsString(n) && parse_duration(n->valuestring, &v))
        return v;
    return def_ms;
}

size_t micro_config_strings(const struct micro_config *cfg, const char *path,
                            const char *const **out)
{
    static const char *const empty[1] = { NULL };
    const cJSON *n = lookup(cfg, path), *item;
    struct str_list *l;
    size_t count = 0;

    *out = empty;
    if (!cJSON_IsArray(n))
        return 0;
    cJSON_ArrayForEach(item, n) {
        if (!cJSON_IsString(item))
            return 0;
        count++;
    }
    l = mc_calloc(1, sizeof(*l));
    l->items = mc_calloc(count + 1, sizeof(*l->items));
    count = 0;
    cJSON_ArrayForEach(item, n)
        l->items[count++] = item->valuestring;
    l->next = ((struct micro_config *)cfg)->lists;
    ((struct micro_config *)cfg)->lists = l;
    *out = l->items;
    return count;
}

size_t micro_config_map(const struct micro_config *cfg, const char *path,
                        void (*fn)(const char *key, const char *value, void *user),
                        void *user)
{
    const cJSON *n = lookup(cfg, path), *item;
    size_t count = 0;

    if (!cJSON_IsObject(n) || !fn)
        return 0;
    cJSON_ArrayForEach(item, n) {
        if (cJSON_IsString(item)) {
            fn(item->string, item->valuestring, user);
        } else {
            char *text = cJSON_PrintUnformatted(item);

            fn(item->string, text ? text : "", user);
            cJSON_free(text);
        }
        count++;
    }
    return count;
}

char *micro_config_json(const struct micro_config *cfg, const char *path)
{
    const cJSON *n = lookup(cfg, path);
    char *text, *copy;

    if (!n)
        return NULL;
    text = cJSON_PrintUnformatted(n);
    if (!text)
        return NULL;
    copy = mc_strdup(text);
    cJSON_free(text);
    return copy;
}

/* Writes one field of a scan; false when absent or of another type. */
static bool scan_one(const struct micro_config *cfg, const char *path,
                     const struct micro_config_field *f, char *dst)
{
    const cJSON *n = lookup(cfg, path);

    if (!n)
        return false;
    switch (f->type) {
    case MICRO_FIELD_STRING_T:
        if (!cJSON_IsString(n) || f->size == 0)
            return false;
        snprintf(dst, f->size, "%s", n->valuestring);
        return true;
    case MICRO_FIELD_INT_T: {
        int64_t v = micro_config_int(cfg, path, 0), w = micro_config_int(cfg, path, 1);

        if (v != w)
            return false;
        memcpy(dst, &v, sizeof(v));
        return true;
    }
    case MICRO_FIELD_BOOL_T: {
        bool v;

        if (!cJSON_IsBool(n))
            return false;
        v = cJSON_IsTrue(n);
        memcpy(dst, &v, sizeof(v));
        return true;
    }
    case MICRO_FIELD_FLOAT_T:
        if (!cJSON_IsNumber(n))
            return false;
        memcpy(dst, &n->valuedouble, sizeof(double));
        return true;
    case MICRO_FIELD_DURATION_T: {
        int64_t v = micro_config_duration_ms(cfg, path, 0), w = micro_config_duration_ms(cfg, path, 1);

        if (v != w)
            return false;
        memcpy(dst, &v, sizeof(v));
        return true;
    }
    }
    return false;
}

static bool field_ok(const struct micro_config_field *f)
{
    static const size_t sizes[] = {
        [MICRO_FIELD_INT_T] = sizeof(int64_t), [MICRO_FIELD_BOOL_T] = sizeof(bool),
        [MICRO_FIELD_FLOAT_T] = sizeof(double), [MICRO_FIELD_DURATION_T] = sizeof(int64_t),
    };

    if (!f->key || !*f->key || (unsigned)f->type > MICRO_FIELD_DURATION_T)
        return false;
    return f->type == MICRO_FIELD_STRING_T ? f->size > 0 : f->size == sizes[f->type];
}

int micro_config_scan(const struct micro_config *cfg, const char *path,
                      const struct micro_config_field *fields, size_t nfields, void *dst)
{
    char full[CONFIG_PATH_MAX * 2 + 2];
    int set = 0;

    if (!cfg || !fields || !dst || (path && strlen(path) > CONFIG_PATH_MAX))
        return MICRO_EINVAL;
    for (size_t i = 0; i < nfields; i++) {
        if (!field_ok(&fields[i]) || strlen(fields[i].key) > CONFIG_PATH_MAX)
            return MICRO_EINVAL;
    }
    for (size_t i = 0; i < nfields; i++) {
        if (path && *path)
            snprintf(full, sizeof(full), "%s.%s", path, fields[i].key);
        else
            snprintf(full, sizeof(full), "%s", fields[i].key);
        if (scan_one(cfg, full, &fields[i], (char *)dst + fields[i].offset))
            set++;
    }
    return set;
}

/* ---- the service side ------------------------------------------------------------------ */

int micro_config_load(struct micro_service *svc, struct micro_config **out,
                      struct micro_error *err)
{
    Config__GetRequest req = CONFIG__GET_REQUEST__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !out)
        return MICRO_EINVAL;
    *out = NULL;
    req.namespace_ = svc->ns;
    req.path = (char *)"";
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "config", "Config.Get", &req.base,
                          &config__get_response__descriptor, &rsp, 0, true, &e);
    if (rc == MICRO_EREMOTE && e.code == 404) {
        rc = MICRO_OK;
    } else if (rc == MICRO_OK) {
        const Config__GetResponse *r = (const Config__GetResponse *)rsp;
        const char *data = r->value && r->value->data ? r->value->data : "";

        if (*data && strcmp(data, "null") != 0 && !(*out = micro_config_parse(data)))
            rc = MICRO_EPROTO;
    }
    protobuf_c_message_free_unpacked(rsp, NULL);
    if (rc == MICRO_OK && !*out)
        *out = micro_config_parse("{}");
    if (rc == MICRO_EREMOTE)
        micro__error_export(err, &e);
    mc_error_release(&e);
    return rc;
}

int micro_config_set(struct micro_service *svc, const char *path, const char *json,
                     struct micro_error *err)
{
    Config__SetRequest req = CONFIG__SET_REQUEST__INIT;
    Config__Value value = CONFIG__VALUE__INIT;
    ProtobufCMessage *rsp = NULL;
    struct mc_error e;
    int rc;

    if (!svc || !path || !*path || strlen(path) > CONFIG_PATH_MAX || !json ||
        strlen(json) > CONFIG_DOC_MAX)
        return MICRO_EINVAL;
    value.data = (char *)json;
    value.format = (char *)"json";
    req.namespace_ = svc->ns;
    req.path = (char *)path;
    req.value = &value;
    mc_error_init(&e);
    rc = micro__invoke_pb(svc, NULL, "config", "Config.Set", &req.base,
                          &config__set_response__descriptor, &rsp, 0, true, &e);
    protobuf_c_message_free_unpacked(rsp, NULL);
    if (rc == MICRO_EREMOTE)
        micro__error_export(err, &e);
    mc_error_release(&e);
    return rc;
}
