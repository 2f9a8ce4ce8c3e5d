/*
 * Guided calls (guided.h): a walk over an endpoint's request Value that asks
 * for each field through the caller's reader. Scalars at any depth of plain
 * nesting become path flags (`--options.domain=x`) so dynamic.c types them as
 * it types any flag; repeated and map fields, which a flag can only carry
 * whole, are built as JSON (an array until an empty answer, an object from
 * key=value answers, a repeated message element by element until one is left
 * empty) and passed as one flag holding that JSON, which dynamic.c accepts.
 */
#include "guided.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dynamic.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "schema_cache.h"
#include "mc_banned.h"

#define PATH_MAX_LEN 1024

struct walk {
    mc_guided_read_fn *read;
    void *ud;
    FILE *note;
    struct mc_dyn_args *args; /* the command's own flags: defaults */
    bool *used;               /* parallel to args->flags: a field took it */
    int answers;
    struct mc_guided *out;
};

/* ---- words ------------------------------------------------------------------------ */

static void push(struct mc_guided *g, char *word)
{
    g->argv = mc_realloc(g->argv, ((size_t)g->argc + 2) * sizeof(*g->argv));
    g->argv[g->argc++] = word;
    g->argv[g->argc] = NULL;
}

/* One flag as dynamic.c splits it: "--k=v", or "--k" "v" when v holds a '='
 * (a word with two '=' is refused there). */
static void push_flag(struct mc_guided *g, const char *key, const char *value)
{
    size_t n = strlen(key) + 4 + (value ? strlen(value) : 0);
    char *w = mc_malloc(n);

    if (!value) {
        snprintf(w, n, "--%s", key);
        push(g, w);
    } else if (strchr(value, '=') && value[0] != '-') {
        snprintf(w, n, "--%s", key);
        push(g, w);
        push(g, mc_strdup(value));
    } else {
        snprintf(w, n, "--%s=%s", key, value);
        push(g, w);
    }
}

void mc_guided_release(struct mc_guided *g)
{
    for (int i = 0; i < g->argc; i++)
        free(g->argv[i]);
    free(g->argv);
    g->argv = NULL;
    g->argc = 0;
}

/* ---- defaults ---------------------------------------------------------------------- */

/* Field paths compared as dynamic.c reads flag names: '-', '_' and '.' alike. */
static bool same_path(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        bool sa = *a == '-' || *a == '_' || *a == '.', sb = *b == '-' || *b == '_' || *b == '.';
        if (sa != sb || (!sa && *a != *b))
            return false;
    }
    return *a == *b;
}

/* The command's flag for path, marked as taken, or NULL. */
static const struct mc_dyn_flag *default_flag(struct walk *w, const char *path)
{
    for (int i = 0; i < w->args->nflags; i++) {
        if (same_path(w->args->flags[i].key, path)) {
            w->used[i] = true;
            return &w->args->flags[i];
        }
    }
    return NULL;
}

static void push_default(struct walk *w, const char *path, const struct mc_dyn_flag *f)
{
    if (f->count == 0)
        push_flag(w->out, path, NULL);
    for (int i = 0; i < f->count; i++)
        push_flag(w->out, path, f->values[i]);
}

/* ---- asking ------------------------------------------------------------------------ */

/* One answer: 0 with *line (heap, "" for Enter or end of input), or an error. */
static int ask(struct walk *w, char **line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ask(struct walk *w, char **line, const char *fmt, ...)
{
    char prompt[MC_GUIDED_PROMPT_MAX];
    va_list ap;

    if (++w->answers > MC_GUIDED_MAX_ANSWERS)
        return MC_ETOOBIG;
    va_start(ap, fmt);
    vsnprintf(prompt, sizeof(prompt), fmt, ap);
    va_end(ap);
    *line = NULL;
    int rc = w->read(w->ud, prompt, line);
    if (rc == MC_ECLOSED || (rc == 0 && !*line)) {
        free(*line);
        *line = mc_strdup("");
        return 0;
    }
    if (rc != 0) {
        free(*line);
        *line = NULL;
    }
    return rc;
}

static bool is_repeated(const char *type)
{
    return strncmp(type, "[]", 2) == 0 && strcmp(type, "[]uint8") != 0;
}

static bool is_map(const char *type)
{
    return strncmp(type, "map[", 4) == 0;
}

static bool is_text(const char *type)
{
    return !strcmp(type, "string") || !strcmp(type, "[]uint8") || !strcmp(type, "bytes");
}

/* A leaf answer as JSON: text for string types; a number, bool or JSON value
 * as written when it parses; else the text (an enum's name), as dynamic.c
 * reads an enum or unknown type. */
static cJSON *json_scalar(const char *type, const char *text)
{
    if (is_text(type))
        return cJSON_CreateString(text);
    cJSON *j = cJSON_Parse(text);
    if (cJSON_IsNumber(j)) {
        cJSON_Delete(j);
        return cJSON_CreateRaw(text); /* int64 digits kept exactly */
    }
    return j ? j : cJSON_CreateString(text);
}

static int json_value(struct walk *w, const cJSON *v, const char *path, int depth, cJSON **out);

/* A message's fields as one object; NULL when every field was left empty. */
static int json_message(struct walk *w, const cJSON *kids, const char *path, int depth,
                        cJSON **out)
{
    const cJSON *k;
    cJSON *obj = cJSON_CreateObject();
    char sub[PATH_MAX_LEN];

    *out = NULL;
    cJSON_ArrayForEach(k, kids)
    {
        const char *name = mc_schema_value_name(k);
        cJSON *val = NULL;
        snprintf(sub, sizeof(sub), "%s.%s", path, name);
        int rc = json_value(w, k, sub, depth + 1, &val);
        if (rc != 0) {
            cJSON_Delete(obj);
            return rc;
        }
        if (val)
            cJSON_AddItemToObject(obj, name, val);
    }
    if (cJSON_GetArraySize(obj) > 0)
        *out = obj;
    else
        cJSON_Delete(obj);
    return 0;
}

/* A leaf: NULL when left empty. */
static int json_leaf(struct walk *w, const char *path, const char *type, cJSON **out)
{
    char *line;
    int rc = ask(w, &line, "%s (%s) => ", path, type);

    *out = NULL;
    if (rc != 0)
        return rc;
    if (line[0])
        *out = json_scalar(type, line);
    free(line);
    return 0;
}

static int json_repeated(struct walk *w, const cJSON *v, const char *path, int depth,
                         cJSON **out)
{
    const char *elem = mc_schema_value_type(v) + 2;
    const cJSON *kids = mc_schema_value_children(v);
    cJSON *arr = cJSON_CreateArray();
    char sub[PATH_MAX_LEN];

    *out = NULL;
    for (int i = 0;; i++) {
        cJSON *item = NULL;
        int rc;
        snprintf(sub, sizeof(sub), "%s[%d]", path, i);
        if (cJSON_GetArraySize(kids) > 0)
            rc = json_message(w, kids, sub, depth + 1, &item);
        else
            rc = json_leaf(w, sub, elem, &item);
        if (rc != 0) {
            cJSON_Delete(arr);
            return rc;
        }
        if (!item)
            break;
        cJSON_AddItemToArray(arr, item);
    }
    if (cJSON_GetArraySize(arr) > 0)
        *out = arr;
    else
        cJSON_Delete(arr);
    return 0;
}

static int json_map(struct walk *w, const char *path, const char *type, cJSON **out)
{
    const char *close = strchr(type, ']');
    const char *vtype = close ? close + 1 : "string";
    cJSON *obj = cJSON_CreateObject();

    *out = NULL;
    for (;;) {
        char *line;
        int rc = ask(w, &line, "%s (%s, key=value) => ", path, type);
        if (rc != 0) {
            cJSON_Delete(obj);
            return rc;
        }
        char *eq = strchr(line, '=');
        if (!line[0]) {
            free(line);
            break;
        }
        if (!eq || eq == line) {
            fprintf(w->note, "%s: expected key=value\n", path);
        } else {
            *eq = '\0';
            cJSON_DeleteItemFromObjectCaseSensitive(obj, line);
            cJSON_AddItemToObject(obj, line, json_scalar(vtype, eq + 1));
        }
        free(line);
    }
    if (cJSON_GetArraySize(obj) > 0)
        *out = obj;
    else
        cJSON_Delete(obj);
    return 0;
}

static int json_value(struct walk *w, const cJSON *v, const char *path, int depth, cJSON **out)
{
    const char *type = mc_schema_value_type(v);
    const cJSON *kids = mc_schema_value_children(v);

    *out = NULL;
    if (depth > MC_DYN_MAX_DEPTH)
        return 0;
    if (is_repeated(type))
        return json_repeated(w, v, path, depth, out);
    if (is_map(type))
        return json_map(w, path, type, out);
    if (cJSON_GetArraySize(kids) > 0)
        return json_message(w, kids, path, depth, out);
    return json_leaf(w, path, type, out);
}

/* ---- the walk that makes flags ------------------------------------------------------ */

static int flag_field(struct walk *w, const cJSON *v, const char *path, int depth);

static int flag_scalar(struct walk *w, const char *path, const char *type)
{
    const struct mc_dyn_flag *def = default_flag(w, path);
    const char *dv = def && def->count ? def->values[def->count - 1] : NULL;
    char *line;
    int rc = dv ? ask(w, &line, "%s (%s) [%s] => ", path, type, dv)
                : ask(w, &line, "%s (%s) => ", path, type);

    if (rc != 0)
        return rc;
    if (line[0])
        push_flag(w->out, path, line);
    else if (def)
        push_default(w, path, def);
    free(line);
    return 0;
}

/* A field a flag carries whole (repeated, map) as JSON. */
static int flag_json(struct walk *w, const cJSON *v, const char *path, int depth)
{
    const struct mc_dyn_flag *def = default_flag(w, path);
    cJSON *j = NULL;

    if (def)
        fprintf(w->note, "%s: Enter keeps the value given\n", path);
    int rc = json_value(w, v, path, depth, &j);
    if (rc != 0)
        return rc;
    if (j) {
        char *text = cJSON_PrintUnformatted(j);
        if (cJSON_IsString(j))
            push_flag(w->out, path, j->valuestring);
        else
            push_flag(w->out, path, text);
        free(text);
        cJSON_Delete(j);
    } else if (def) {
        push_default(w, path, def);
    }
    return 0;
}

static int flag_field(struct walk *w, const cJSON *v, const char *path, int depth)
{
    const char *type = mc_schema_value_type(v);
    const cJSON *kids = mc_schema_value_children(v), *k;
    char sub[PATH_MAX_LEN];

    if (depth > MC_DYN_MAX_DEPTH)
        return 0;
    if (is_repeated(type) || is_map(type))
        return flag_json(w, v, path, depth);
    if (cJSON_GetArraySize(kids) == 0)
        return flag_scalar(w, path, type);
    cJSON_ArrayForEach(k, kids)
    {
        int rc;
        if (snprintf(sub, sizeof(sub), "%s.%s", path, mc_schema_value_name(k)) >= (int)sizeof(sub))
            continue;   /* a path too long to be a flag */
        rc = flag_field(w, k, sub, depth + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- entry points ------------------------------------------------------------------- */

static bool is_edit(const char *word)
{
    return strcmp(word, "--edit") == 0 || strcmp(word, "--edit=true") == 0;
}

static bool has_field(const cJSON *request, const char *name)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, mc_schema_value_children(request))
        if (same_path(mc_schema_value_name(k), name))
            return true;
    return false;
}

bool mc_guided_wanted(int argc, char *const *argv, const cJSON *request, bool *edit)
{
    bool own_edit = !has_field(request, "edit");
    int nargs = 0, nflags = 0;

    *edit = false;
    for (int i = 0; i < argc; i++) {
        if (own_edit && is_edit(argv[i]))
            *edit = true;
        else if (argv[i][0] == '-')
            nflags++;
        else
            nargs++;
    }
    return *edit ||
           (nargs >= 2 && nflags == 0 && cJSON_GetArraySize(mc_schema_value_children(request)) > 0);
}

int mc_guided_fill(int argc, char *const *argv, const cJSON *request, mc_guided_read_fn *read,
                   void *ud, FILE *note, struct mc_guided *out, char *err, size_t errlen)
{
    bool own_edit = !has_field(request, "edit");
    char **words = mc_calloc((size_t)argc + 1, sizeof(*words));
    struct mc_dyn_args args;
    int n = 0;

    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++)
        if (!own_edit || !is_edit(argv[i]))
            words[n++] = argv[i];
    int rc = mc_dyn_split(n, words, &args, err, errlen);
    if (rc != 0) {
        mc_dyn_args_release(&args);
        free(words);
        return rc;
    }
    struct walk w = {
        .read = read, .ud = ud, .note = note, .args = &args, .out = out,
        .used = mc_calloc((size_t)args.nflags + 1, sizeof(bool)),
    };
    for (int i = 0; i < args.argc; i++)
        push(out, mc_strdup(args.argv[i]));
    const cJSON *k;
    cJSON_ArrayForEach(k, mc_schema_value_children(request))
    {
        rc = flag_field(&w, k, mc_schema_value_name(k), 1);
        if (rc != 0)
            break;
    }
    for (int i = 0; rc == 0 && i < args.nflags; i++)
        if (!w.used[i])
            push_default(&w, args.flags[i].key, &args.flags[i]);
    if (rc != 0) {
        mc_guided_release(out);
        if (rc == MC_ETOOBIG)
            snprintf(err, errlen, "more than %d answers", MC_GUIDED_MAX_ANSWERS);
    }
    free(w.used);
    mc_dyn_args_release(&args);
    free(words);
    return rc;
}

/* ---- quoting ------------------------------------------------------------------------ */

static bool plain_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_./:@%+,=-", c)))
            return false;
    }
    return true;
}

char *mc_guided_quote(int argc, char *const *argv)
{
    struct mc_buf b;
    bool ok = true;

    mc_buf_init(&b, MC_GUIDED_LINE_MAX);
    for (int i = 0; i < argc && ok; i++) {
        if (i > 0)
            ok = mc_buf_append(&b, " ", 1) == 0;
        if (plain_word(argv[i])) {
            ok = ok && mc_buf_append_str(&b, argv[i]) == 0;
            continue;
        }
        ok = ok && mc_buf_append(&b, "'", 1) == 0;
        for (const char *p = argv[i]; ok && *p; p++)
            ok = *p == '\'' ? mc_buf_append_str(&b, "'\\''") == 0 : mc_buf_append(&b, p, 1) == 0;
        ok = ok && mc_buf_append(&b, "'", 1) == 0;
    }
    if (!ok) {
        mc_buf_release(&b);
        return NULL;
    }
    return mc_buf_detach(&b, NULL);
}
