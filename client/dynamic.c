/*
 * Dynamic commands (spec §3.3): `micro <service> [handler] [endpoint]
 * --field=value` for any service in the registry. The words are split as
 * upstream splits them, the service is found through the schema cache (core
 * services in domain "micro", others in the current namespace then "micro"),
 * the endpoint comes from the arguments and the request from the flags typed
 * by the endpoint's request schema (dynamic.h), and the answer is printed as
 * tab-indented JSON. Help goes to stderr with exit 0, as upstream's cli.Exit.
 *
 * A cached entry is trusted until it disagrees with the user or the server:
 * an endpoint or flag it does not know, or a call answered "unknown service"
 * or "route not found", refetches the entry once; the command is retried only
 * when the entry changed, so a real mistake is reported once, not twice.
 *
 * When the server cannot be reached, the lookup fails and the user sees
 * upstream's "Failed to connect to micro server at ADDR" (exit 4), for
 * `micro helloworld` and for a mistyped `micro nosuchcmd` alike: without the
 * registry there is no telling them apart (upstream v3.10 does the same).
 */
#include "dynamic.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "output.h"
#include "schema_cache.h"
#include "mc_banned.h"

#define ERR_MAX 1024

/* ---- splitting the words ----------------------------------------------------------- */

void mc_dyn_args_release(struct mc_dyn_args *a)
{
    for (int i = 0; i < a->nflags; i++) {
        free(a->flags[i].key);
        free(a->flags[i].values);
    }
    free(a->flags);
    free(a->argv);
    memset(a, 0, sizeof(*a));
}

static struct mc_dyn_flag *flag_slot(struct mc_dyn_args *a, const char *key, size_t klen)
{
    for (int i = 0; i < a->nflags; i++)
        if (strlen(a->flags[i].key) == klen && memcmp(a->flags[i].key, key, klen) == 0)
            return &a->flags[i];
    struct mc_dyn_flag *f = &a->flags[a->nflags++];
    f->key = mc_strndup(key, klen);
    return f;
}

static void flag_add(struct mc_dyn_flag *f, const char *value, int cap)
{
    if (!f->values)
        f->values = mc_calloc((size_t)cap, sizeof(*f->values));
    f->values[f->count++] = value;
}

int mc_dyn_split(int argc, char **argv, struct mc_dyn_args *a, char *err, size_t errlen)
{
    struct mc_dyn_flag *pending = NULL;

    memset(a, 0, sizeof(*a));
    if (argc > MC_DYN_MAX_WORDS) {
        snprintf(err, errlen, "Too many arguments");
        return MC_ETOOBIG;
    }
    a->argv = mc_calloc((size_t)argc + 1, sizeof(*a->argv));
    a->flags = mc_calloc((size_t)argc + 1, sizeof(*a->flags));
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (strncmp(w, "--", 2) != 0) {
            if (pending) {
                flag_add(pending, w, argc);
                pending = NULL;
            } else if (strcmp(w, "-h") == 0) {
                a->help = true;
            } else {
                a->argv[a->argc++] = w;
            }
            continue;
        }
        const char *key = w + 2, *eq = strchr(key, '=');
        if (eq && strchr(eq + 1, '=')) {
            snprintf(err, errlen, "Invalid flag: %s. Expected format: --foo=bar", w);
            return MC_EINVAL;
        }
        size_t klen = eq ? (size_t)(eq - key) : strlen(key);
        struct mc_dyn_flag *f = flag_slot(a, key, klen);
        if (klen == 4 && memcmp(key, "help", 4) == 0)
            a->help = true;
        pending = NULL;
        if (eq)
            flag_add(f, eq + 1, argc);
        else
            pending = f;
    }
    return 0;
}

/* ---- endpoint names ---------------------------------------------------------------- */

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int mc_dyn_endpoint(int argc, const char *const *argv, char *buf, size_t n, char *err,
                    size_t errlen)
{
    const char *h, *m;

    switch (argc) {
    case 1: h = argv[0]; m = "call"; break;
    case 2: h = argv[0]; m = argv[1]; break;
    case 3: h = argv[1]; m = argv[2]; break;
    default:
        snprintf(err, errlen, "Incorrect number of arguments");
        return MC_EINVAL;
    }
    if (!h[0] || !m[0]) {
        snprintf(err, errlen, "Incorrect number of arguments");
        return MC_EINVAL;
    }
    int w = snprintf(buf, n, "%c%s.%c%s", upper(h[0]), h + 1, upper(m[0]), m + 1);
    if (w < 0 || (size_t)w >= n || strlen(h) + strlen(m) + 1 >= MC_DYN_NAME_MAX) {
        snprintf(err, errlen, "Endpoint name too long");
        return MC_EINVAL;
    }
    return 0;
}

void mc_dyn_command_name(const char *alias, const char *endpoint, char *buf, size_t n)
{
    char tmp[MC_DYN_NAME_MAX * 2];
    size_t o = 0;
    bool start = true;

    for (const char *p = endpoint; *p && o + 1 < sizeof(tmp); p++) {
        tmp[o++] = start ? lower(*p) : *p;
        start = *p == '.';
    }
    tmp[o] = '\0';
    const char *name = tmp;
    size_t al = strlen(alias);
    if (strncmp(tmp, alias, al) == 0 && tmp[al] == '.')
        name = tmp + al + 1;
    snprintf(buf, n, "%s", name);
    char *dot = strchr(buf, '.');
    if (dot)
        *dot = ' ';
}

/* ---- help -------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mc_dyn_help_service(FILE *out, const char *alias, const cJSON *svc)
{
    int n = mc_schema_endpoint_count(svc), k = 0;
    char **cmds = mc_calloc((size_t)n + 1, sizeof(*cmds));
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(svc, "version");

    for (int i = 0; i < n; i++) {
        const char *name = mc_schema_endpoint_name(svc, i);
        if (!name)
            continue;
        cmds[k] = mc_malloc(MC_DYN_NAME_MAX * 2);
        mc_dyn_command_name(alias, name, cmds[k++], MC_DYN_NAME_MAX * 2);
    }
    qsort(cmds, (size_t)k, sizeof(*cmds), cmp_str);
    fprintf(out, "NAME:\n\tmicro %s\n\nVERSION:\n\t%s\n\nUSAGE:\n\tmicro %s [command]\n\n"
                 "COMMANDS:\n\t", alias, cJSON_IsString(version) ? version->valuestring : "",
            alias);
    for (int i = 0; i < k; i++) {
        fprintf(out, "%s%s", i ? "\n\t" : "", cmds[i]);
        free(cmds[i]);
    }
    fputs("\n\n", out);
    free(cmds);
}

static int print_flag(void *ud, const char *path, const char *type)
{
    fprintf(ud, "\t--%s %s\n", path, type);
    return 0;
}

int mc_dyn_help_endpoint(FILE *out, const char *alias, const char *sub, const cJSON *svc)
{
    int n = mc_schema_endpoint_count(svc);
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(svc, "endpoints");
    bool found = false;

    for (int i = 0; i < n; i++) {
        const char *name = mc_schema_endpoint_name(svc, i);
        char cmd[MC_DYN_NAME_MAX * 2];
        if (!name)
            continue;
        mc_dyn_command_name(alias, name, cmd, sizeof(cmd));
        if (strcmp(cmd, sub) != 0)
            continue;
        if (!found)
            fprintf(out, "NAME:\n\tmicro %s %s\n\nUSAGE:\n\tmicro %s %s [flags]\n\nFLAGS:\n",
                    alias, sub, alias, sub);
        found = true;
        mc_schema_fields(mc_schema_endpoint_request(cJSON_GetArrayItem(eps, i)), '_',
                         print_flag, out);
    }
    if (!found)
        return MC_ENOTFOUND;
    fputc('\n', out);
    return 0;
}

/* ---- flags to the request ---------------------------------------------------------- */

/* Length of key matched by name ('-' and '_' alike), or 0. */
static size_t name_match(const char *name, const char *key)
{
    size_t i = 0;

    for (; name[i]; i++) {
        char a = name[i], b = key[i];
        bool sep_a = a == '-' || a == '_', sep_b = b == '-' || b == '_';
        if (!b || (a != b && !(sep_a && sep_b)))
            return 0;
    }
    return i;
}

/* The Value that key names under kids (a "values" array), with the field names
 * on the way in names[0..*depth). Exact names are tried before nesting. */
static const cJSON *find_field(const cJSON *kids, const char *key, const char **names,
                               int *depth)
{
    const cJSON *v;

    if (*depth >= MC_DYN_MAX_DEPTH)
        return NULL;
    cJSON_ArrayForEach(v, kids)
    {
        const char *name = mc_schema_value_name(v);
        size_t l = *name ? name_match(name, key) : 0;
        if (l && key[l] == '\0') {
            names[(*depth)++] = name;
            return v;
        }
    }
    cJSON_ArrayForEach(v, kids)
    {
        const char *name = mc_schema_value_name(v);
        size_t l = *name ? name_match(name, key) : 0;
        const cJSON *sub = mc_schema_value_children(v);
        if (!l || cJSON_GetArraySize(sub) == 0 ||
            (key[l] != '-' && key[l] != '_' && key[l] != '.'))
            continue;
        int d = *depth;
        names[(*depth)++] = name;
        const cJSON *hit = find_field(sub, key + l + 1, names, depth);
        if (hit)
            return hit;
        *depth = d;
    }
    return NULL;
}

struct coerce {
    const struct mc_dyn_flag *flag;
    char *err;
    size_t errlen;
};

static cJSON *bad_value(const struct coerce *c, const char *text, const char *type)
{
    snprintf(c->err, c->errlen, "Invalid value \"%s\" for flag --%s: expected %s", text,
             c->flag->key, type);
    return NULL;
}

static bool is_type(const char *t, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(t, *names) == 0)
            return true;
    return false;
}

static const char *const signed_types[] = { "int32", "int64", "sint32", "sint64", "sfixed32",
                                            "sfixed64", "int", NULL };
static const char *const unsigned_types[] = { "uint32", "uint64", "fixed32", "fixed64", "uint",
                                              NULL };
static const char *const float_types[] = { "float32", "float64", "float", "double", NULL };

/* Go's ParseInt/ParseUint with base 0: 0x, 0o, 0b prefixes and a leading-0 octal. */
static bool parse_int(const char *s, bool is_signed, bool narrow, char *out, size_t n)
{
    const char *p = s;
    bool neg = false;
    int base = 10;
    uint64_t v = 0;

    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (neg && !is_signed)
        return false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && p[1]) {
        base = 8;
        p++;
    }
    if (!*p)
        return false;
    for (; *p; p++) {
        int d = *p == '_' && base != 10 ? -2 : mc_hex_value((unsigned char)*p);
        if (d == -2)
            continue;
        if (d < 0 || d >= base || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    uint64_t max = is_signed ? (narrow ? INT32_MAX : INT64_MAX) : (narrow ? UINT32_MAX : UINT64_MAX);
    if (v > max + (neg ? 1u : 0u))
        return false;
    if (neg)
        snprintf(out, n, "-%llu", (unsigned long long)v);
    else
        snprintf(out, n, "%llu", (unsigned long long)v);
    return true;
}

/* The JSON number grammar, so a float is sent as the user wrote it. */
static bool json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static cJSON *parse_bool(const struct coerce *c, const char *s)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };
    if (!*s || is_type(s, yes))
        return cJSON_CreateTrue();
    if (is_type(s, no))
        return cJSON_CreateFalse();
    return bad_value(c, s, "bool");
}

/* One scalar of a Go type; NULL (err set) when text does not fit. */
static cJSON *scalar(const struct coerce *c, const char *type, bool has_fields, const char *s)
{
    char num[64];

    if (strcmp(type, "bool") == 0)
        return parse_bool(c, s);
    if (is_type(type, signed_types) || is_type(type, unsigned_types)) {
        bool sig = is_type(type, signed_types);
        bool narrow = strstr(type, "32") != NULL;
        if (!parse_int(s, sig, narrow, num, sizeof(num)))
            return bad_value(c, s, type);
        return cJSON_CreateRaw(num);
    }
    if (is_type(type, float_types)) {
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (!*s || *end || !isfinite(d) || errno == ERANGE || strchr(s, 'x') || strchr(s, 'X'))
            return bad_value(c, s, type);
        if (json_number(s))
            return cJSON_CreateRaw(s);
        snprintf(num, sizeof(num), "%.17g", d);
        return cJSON_CreateRaw(num);
    }
    if (strcmp(type, "string") == 0 || strcmp(type, "[]uint8") == 0 ||
        strcmp(type, "bytes") == 0)
        return cJSON_CreateString(s);
    cJSON *j = cJSON_Parse(s);
    if (has_fields || strncmp(type, "map[", 4) == 0) {
        if (cJSON_IsObject(j))
            return j;
        cJSON_Delete(j);
        return bad_value(c, s, has_fields ? "a JSON object" : "a JSON object or key=value pairs");
    }
    /* an enum or a type we do not know: its JSON when it parses, else the text */
    return j ? j : cJSON_CreateString(s);
}

/* map[K]V from key=value pairs (each value, or one comma-separated list). */
static cJSON *map_pairs(const struct coerce *c, const char *type)
{
    const char *close = strchr(type, ']');
    const char *vtype = close ? close + 1 : "string";
    cJSON *obj = cJSON_CreateObject();

    for (int i = 0; i < c->flag->count; i++) {
        char *copy = mc_strdup(c->flag->values[i]);
        for (char *item = copy, *next; item; item = next) {
            next = strchr(item, ',');
            if (next)
                *next++ = '\0';
            char *eq = strchr(item, '=');
            cJSON *v = eq && eq != item ? scalar(c, vtype, false, eq + 1) : NULL;
            if (!v) {
                if (!eq || eq == item)
                    bad_value(c, c->flag->values[i], "a JSON object or key=value pairs");
                free(copy);
                cJSON_Delete(obj);
                return NULL;
            }
            *eq = '\0';
            cJSON_DeleteItemFromObjectCaseSensitive(obj, item);
            cJSON_AddItemToObject(obj, item, v);
        }
        free(copy);
    }
    return obj;
}

static cJSON *repeated(const struct coerce *c, const char *elem, bool elem_fields)
{
    const struct mc_dyn_flag *f = c->flag;
    cJSON *arr;

    if (f->count == 1 && f->values[0][0] == '[') {
        arr = cJSON_Parse(f->values[0]);
        if (cJSON_IsArray(arr))
            return arr;
        cJSON_Delete(arr);
    }
    arr = cJSON_CreateArray();
    bool split = f->count == 1 && !elem_fields;
    for (int i = 0; i < f->count; i++) {
        char *copy = mc_strdup(f->values[i]);
        for (char *item = copy, *next; item; item = next) {
            next = split ? strchr(item, ',') : NULL;
            if (next)
                *next++ = '\0';
            cJSON *v = scalar(c, elem, elem_fields, item);
            if (!v) {
                free(copy);
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, v);
        }
        free(copy);
    }
    return arr;
}

/* The JSON value of a flag for the field Value. */
static cJSON *coerce_value(const struct coerce *c, const cJSON *field)
{
    const char *type = mc_schema_value_type(field);
    bool fields = cJSON_GetArraySize(mc_schema_value_children(field)) > 0;
    const struct mc_dyn_flag *f = c->flag;
    const char *last = f->count ? f->values[f->count - 1] : "";

    if (strncmp(type, "[]", 2) == 0 && strcmp(type, "[]uint8") != 0)
        return repeated(c, type + 2, fields);
    if (strncmp(type, "map[", 4) == 0) {
        cJSON *j = cJSON_Parse(last);
        if (cJSON_IsObject(j) && f->count == 1)
            return j;
        cJSON_Delete(j);
        return map_pairs(c, type);
    }
    return scalar(c, type, fields, last);
}

/* Sets value at names[0..depth) in obj, creating objects on the way; an object
 * value merges into an object already there. Takes value. */
static int set_path(cJSON *obj, const char *const *names, int depth, cJSON *value,
                    const char *key, char *err, size_t errlen)
{
    for (int i = 0; i < depth - 1; i++) {
        cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, names[i]);
        if (!next)
            next = cJSON_AddObjectToObject(obj, names[i]);
        if (!cJSON_IsObject(next)) {
            snprintf(err, errlen, "Flag --%s conflicts with the value given for %s", key,
                     names[i]);
            cJSON_Delete(value);
            return MC_EINVAL;
        }
        obj = next;
    }
    const char *leaf = names[depth - 1];
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, leaf);
    if (cJSON_IsObject(old) && cJSON_IsObject(value)) {
        while (value->child) {
            cJSON *kid = cJSON_DetachItemViaPointer(value, value->child);
            cJSON_DeleteItemFromObjectCaseSensitive(old, kid->string);
            cJSON_AddItemToObject(old, kid->string, kid);
        }
        cJSON_Delete(value);
        return 0;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, leaf);
    cJSON_AddItemToObject(obj, leaf, value);
    return 0;
}

/* Without a schema: the path split at '-' and '.', values as strings. */
static int schemaless_flag(cJSON *body, const struct mc_dyn_flag *f, char *err, size_t errlen)
{
    char *copy = mc_strdup(f->key);
    const char *names[MC_DYN_MAX_DEPTH];
    int depth = 0;
    cJSON *v;

    for (char *p = copy, *next; p && depth < MC_DYN_MAX_DEPTH; p = next) {
        next = strpbrk(p, "-.");
        if (next)
            *next++ = '\0';
        names[depth++] = p;
    }
    for (int i = 0; i < depth; i++) {
        if (!*names[i] || depth == MC_DYN_MAX_DEPTH) {
            snprintf(err, errlen, "Unknown flag: %s", f->key);
            free(copy);
            return MC_ENOTFOUND;
        }
    }
    if (f->count == 0) {
        v = cJSON_CreateTrue();
    } else if (f->count == 1) {
        v = cJSON_CreateString(f->values[0]);
    } else {
        v = cJSON_CreateArray();
        for (int i = 0; i < f->count; i++)
            cJSON_AddItemToArray(v, cJSON_CreateString(f->values[i]));
    }
    int rc = set_path(body, names, depth, v, f->key, err, errlen);
    free(copy);
    return rc;
}

int mc_dyn_request(const struct mc_dyn_args *a, const cJSON *request, char **json, char *err,
                   size_t errlen)
{
    cJSON *body = cJSON_CreateObject();
    const cJSON *kids = mc_schema_value_children(request);
    int rc = 0;

    *json = NULL;
    for (int i = 0; i < a->nflags && rc == 0; i++) {
        const struct mc_dyn_flag *f = &a->flags[i];
        if (strcmp(f->key, "help") == 0)
            continue;
        if (!request) {
            rc = schemaless_flag(body, f, err, errlen);
            continue;
        }
        const char *names[MC_DYN_MAX_DEPTH];
        int depth = 0;
        const cJSON *field = *f->key ? find_field(kids, f->key, names, &depth) : NULL;
        if (!field) {
            snprintf(err, errlen, "Unknown flag: %s", f->key);
            rc = MC_ENOTFOUND;
            break;
        }
        struct coerce c = { .flag = f, .err = err, .errlen = errlen };
        cJSON *v = coerce_value(&c, field);
        rc = v ? set_path(body, names, depth, v, f->key, err, errlen) : MC_EINVAL;
    }
    if (rc == 0)
        *json = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return rc;
}

/* ---- lookup ------------------------------------------------------------------------ */

bool mc_dyn_builtin_service(const char *name)
{
    static const char *const core[] = { "network", "runtime", "registry", "config", "store",
                                        "broker",  "router",  "auth",     "proxy",  "api",
                                        "events",  NULL };
    return is_type(name, core);
}

int mc_dyn_lookup(struct mc_cli *cli, const char *alias, bool refresh, cJSON **svc,
                  char *domain, bool *from_cache, struct mc_cli_failure *f)
{
    const char *order[2] = { "micro", NULL };

    if (!mc_dyn_builtin_service(alias) && strcmp(cli->namespace_, "micro") != 0) {
        order[0] = cli->namespace_;
        order[1] = "micro";
    }
    for (int i = 0; i < 2 && order[i]; i++) {
        int rc = mc_schema_cache_get(cli, order[i], alias, refresh, svc, from_cache, f);
        if (rc == 0)
            snprintf(domain, MC_CLI_NAME_MAX, "%s", order[i]);
        if (rc != MC_ENOTFOUND)
            return rc;
    }
    return MC_ENOTFOUND;
}

/* ---- running ----------------------------------------------------------------------- */

/* One command against one registry entry. */
struct dyn_run {
    struct mc_cli *cli;
    const struct mc_dyn_args *args;
    const char *alias;
    char domain[MC_CLI_NAME_MAX];
    cJSON *svc;
    bool from_cache;
    bool refetch;  /* set by an attempt: the entry may be stale, fetch and retry */
    struct mc_cli_failure stale; /* the call's failure that asked for the refetch */
};

static int print_local(struct dyn_run *r, const char *msg, int code)
{
    mc_out_capitalized(r->cli->err, msg);
    fputc('\n', r->cli->err);
    return code;
}

static int run_help(struct dyn_run *r)
{
    const struct mc_dyn_args *a = r->args;

    if (a->argc <= 1) {
        mc_dyn_help_service(r->cli->err, r->alias, r->svc);
        return 0;
    }
    struct mc_buf sub;
    mc_buf_init(&sub, 4096);
    for (int i = 1; i < a->argc; i++) {
        if (i > 1)
            mc_buf_append(&sub, " ", 1);
        mc_buf_append(&sub, a->argv[i], strlen(a->argv[i]));
    }
    char *s = mc_buf_detach(&sub, NULL);
    int rc = mc_dyn_help_endpoint(r->cli->err, r->alias, s, r->svc);
    free(s);
    if (rc == 0)
        return 0;
    if (r->from_cache) {
        r->refetch = true;
        return 0;
    }
    char ep[MC_DYN_NAME_MAX], err[ERR_MAX];
    if (mc_dyn_endpoint(a->argc, a->argv, ep, sizeof(ep), err, sizeof(err)) != 0)
        return print_local(r, err, 128);
    snprintf(err, sizeof(err), "Endpoint %s not found for service %s", ep, r->alias);
    return print_local(r, err, 128);
}

/* Whether a failed call says the service or its method is not (or no longer) there. */
static bool stale_hint(const struct mc_cli_failure *f)
{
    const char *d = f->error.detail ? f->error.detail : "";
    return f->kind == MC_CLI_MICRO_ERROR &&
           (strstr(d, "route not found") || strstr(d, "unknown service") ||
            f->error.code == 501);
}

/* A streaming endpoint ("stream": "true" in its metadata, spec §1.1): the
 * command prints every message as it comes, as `micro stream` does, until the
 * stream ends or the user stops it (Ctrl-C). Client and bidi streams get the
 * flags' request as their one message. */
static bool is_stream(const cJSON *endpoint)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(endpoint, "metadata");
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "stream"));
    return v && strcmp(v, "true") == 0;
}

/* The schema the flags are checked against: upstream's reflection publishes a
 * streaming method's request as an empty "Context", so flags go through as
 * given (schemaless) unless the service published real fields. */
static const cJSON *request_schema(const cJSON *endpoint)
{
    const cJSON *req = endpoint ? mc_schema_endpoint_request(endpoint) : NULL;

    if (req && is_stream(endpoint) &&
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(req, "values")) == 0)
        return NULL;
    return req;
}

static int print_stream_msg(void *ud, const char *json, size_t len)
{
    struct mc_cli *cli = ud;

    mc_out_json(cli->out, json, len);
    /* each message is seen as it arrives, even through a pipe */
    return fflush(cli->out) == 0 ? 0 : 1;
}

static int run_call(struct dyn_run *r)
{
    const struct mc_dyn_args *a = r->args;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->svc, "name"));
    char ep[MC_DYN_NAME_MAX], err[ERR_MAX];

    if (!name)
        name = r->alias;
    if (mc_dyn_endpoint(a->argc, a->argv, ep, sizeof(ep), err, sizeof(err)) != 0)
        return print_local(r, err, 128);
    const cJSON *endpoint = mc_schema_endpoint(r->svc, ep);
    bool schemaless = mc_schema_endpoint_count(r->svc) == 0;
    if (!endpoint && !schemaless) {
        if (r->from_cache) {
            r->refetch = true;
            return 0;
        }
        snprintf(err, sizeof(err), "Endpoint %s not found for service %s", ep, name);
        return print_local(r, err, 128);
    }
    if (endpoint) /* the registry's spelling, when the user's matched ignoring case */
        snprintf(ep, sizeof(ep), "%s",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(endpoint, "name")));
    char *body = NULL;
    int rc = mc_dyn_request(a, request_schema(endpoint), &body, err, sizeof(err));
    if (rc == MC_ENOTFOUND && r->from_cache) {
        r->refetch = true;
        return 0;
    }
    if (rc != 0)
        return print_local(r, err, rc == MC_ENOTFOUND ? 128 : 1);

    struct mc_call_opts opts = {
        .namespace_ = mc_dyn_builtin_service(name) ? "micro" : r->domain,
    };
    struct mc_cli_failure f;
    char *rsp = NULL;
    mc_cli_failure_init(&f);
    if (endpoint && is_stream(endpoint))
        rc = mc_cli_stream(r->cli, name, ep, body, &opts, print_stream_msg, r->cli, &f);
    else
        rc = mc_cli_call(r->cli, name, ep, body, &opts, &rsp, &f);
    free(body);
    if (rc != 0) {
        if (r->from_cache && stale_hint(&f)) {
            /* the caller retries only if the entry changed; else this error stands */
            r->refetch = true;
            mc_cli_failure_release(&r->stale);
            r->stale = f;
            return 0;
        }
        rc = mc_cli_fail(r->cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    if (rsp)
        mc_out_json(r->cli->out, rsp, strlen(rsp));
    free(rsp);
    return 0;
}

static int attempt(struct dyn_run *r)
{
    r->refetch = false;
    return r->args->help || (r->args->argc == 1 && r->args->nflags == 0) ? run_help(r)
                                                                           : run_call(r);
}

/* A word that can name a service: not an option, no path, not absurdly long. */
static bool service_word(const char *w)
{
    size_t n = strlen(w);
    return n > 0 && n < MC_DYN_NAME_MAX && w[0] != '-' && !strchr(w, '/');
}

int mc_dynamic_run(struct mc_cli *cli, int argc, char **argv)
{
    struct dyn_run r = { .cli = cli, .alias = argc > 0 ? argv[0] : "" };
    struct mc_dyn_args args;
    struct mc_cli_failure f;
    char err[ERR_MAX];

    if (argc <= 0 || !service_word(r.alias))
        return MC_DYNAMIC_NOT_A_SERVICE;
    mc_cli_failure_init(&f);
    mc_cli_failure_init(&r.stale);
    int rc = mc_dyn_lookup(cli, r.alias, false, &r.svc, r.domain, &r.from_cache, &f);
    if (rc == MC_ENOTFOUND)
        return MC_DYNAMIC_NOT_A_SERVICE;
    if (rc != 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    r.args = &args;
    if (mc_dyn_split(argc, argv, &args, err, sizeof(err)) != 0) {
        rc = print_local(&r, err, 128);
        goto out;
    }
    rc = attempt(&r);
    if (r.refetch) {
        cJSON *old = r.svc;
        r.svc = NULL;
        int lrc = mc_dyn_lookup(cli, r.alias, true, &r.svc, r.domain, &r.from_cache, &f);
        bool changed = lrc == 0 && !cJSON_Compare(old, r.svc, true);
        if (r.stale.kind != MC_CLI_OK && (lrc != 0 || !changed)) {
            /* the same entry would make the same call: its error stands */
            rc = mc_cli_fail(cli, &r.stale);
        } else if (lrc == MC_EIO) {
            rc = mc_cli_fail(cli, &f);
        } else if (lrc == MC_ENOTFOUND) {
            snprintf(err, sizeof(err), "Service \"%s\" not found", r.alias);
            rc = print_local(&r, err, 4);
        } else {
            /* run against the fetched entry; it is not from the cache, so the
             * attempt reports its error instead of asking for another refetch */
            r.from_cache = false;
            rc = attempt(&r);
        }
        cJSON_Delete(old);
    }
out:
    mc_cli_failure_release(&f);
    mc_cli_failure_release(&r.stale);
    mc_dyn_args_release(&args);
    cJSON_Delete(r.svc);
    return rc;
}
