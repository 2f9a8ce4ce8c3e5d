/*
 * The completion engine (complete.h). It walks the words of a command line as
 * the dispatcher would run them: global flags, then a builtin and its
 * subcommands and flags from the command table (cmd.h), or else a dynamic
 * service command (dynamic.h) whose endpoints and request fields come from the
 * session's schema cache. What the partial word can become is decided by where
 * the walk stops: a command word, a flag, a flag's value, or a positional
 * argument of a builtin that has a completer of its own (environments, config
 * and store keys, services, endpoints).
 *
 * Server access is bounded by the session's deadline (cli.h deadline_ms): the
 * budget is set before the walk and restored after it, every call made through
 * the cache inherits it, and after the first failure the deadline is moved to
 * "now" so the rest of the walk answers from the cache alone.
 *
 * Request fields are offered in one canonical form: levels joined with '_',
 * as the endpoint help lists them (`--options_domain=`). When the partial word
 * already uses '-' (upstream v3.10's separator), the candidates are rendered
 * with '-' throughout (`--options-domain=`); dynamic.c accepts both.
 */
#include "complete.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cmd.h"
#include "dynamic.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "schema_cache.h"
#include "userconf.h"

#include "auth.pb-c.h"
#include "debug.pb-c.h"
#include "registry.pb-c.h"
#include "router.pb-c.h"

#include "mc_banned.h"

#define COMP_MAX_CANDIDATES 4096 /* more are dropped: no shell shows that many usefully */
#define COMP_MAX_ARGS 8          /* positional arguments a completer looks at */
#define COMP_KEYS_LIMIT 200      /* store keys asked for in one Store.List */
#define COMP_WORD_MAX 1024       /* a candidate built from parts */

struct comp {
    struct mc_cli *cli;          /* NULL: the table only */
    const char *partial;         /* the word being completed */
    struct mc_completions *out;
    size_t cap;
    const char *table;           /* store builtins' --table, if given */
};

/* ---- candidates ------------------------------------------------------------------ */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Adds value (copied) when it extends the partial word and is not there yet. */
static void add(struct comp *c, const char *value, const char *desc)
{
    struct mc_completions *o = c->out;

    if (!has_prefix(value, c->partial) || o->n >= COMP_MAX_CANDIDATES)
        return;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].value, value) == 0)
            return;
    if (o->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        o->v = mc_realloc(o->v, c->cap * sizeof(*o->v));
    }
    o->v[o->n].value = mc_strdup(value);
    o->v[o->n].description = desc && *desc ? mc_strdup(desc) : NULL;
    o->n++;
}

void mc_completions_release(struct mc_completions *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].value);
        free(c->v[i].description);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* A call failed or ran out of time: say the answer is partial, and spend no
 * more time on the server in this walk (the cache still answers). */
static void server_failed(struct comp *c)
{
    c->out->partial = 1;
    c->cli->deadline_ms = mc_now_ms();
    if (c->cli->deadline_ms == 0)
        c->cli->deadline_ms = 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the command table ----------------------------------------------------------- */

static bool named(const struct mc_cmd *cmd, const char *word)
{
    if (strcmp(cmd->name, word) == 0)
        return true;
    size_t n = strlen(word);
    for (const char *a = cmd->aliases; a && *a;) {
        size_t len = strcspn(a, ",");
        if (len == n && strncmp(a, word, n) == 0)
            return true;
        a += len + (a[len] == ',');
    }
    return false;
}

static const struct mc_cmd *sub_named(const struct mc_cmd *cmd, const char *word)
{
    for (const struct mc_cmd *const *s = cmd->subs; s && *s; s++)
        if (named(*s, word))
            return *s;
    return NULL;
}

/* The flag a word ("--name", "-n", "--name=v") names, or NULL. */
static const struct mc_flag *flag_named(const struct mc_cmd *cmd, const char *word)
{
    const char *name = word + (word[1] == '-' ? 2 : 1);
    size_t len = strcspn(name, "=");

    for (const struct mc_flag *f = cmd->flags; f && f->name; f++) {
        if ((strlen(f->name) == len && strncmp(f->name, name, len) == 0) ||
            (f->alias && strlen(f->alias) == len && strncmp(f->alias, name, len) == 0))
            return f;
    }
    return NULL;
}

static bool is_flag_word(const char *w)
{
    return w[0] == '-' && w[1] != '\0';
}

/* A flag that takes the next word as its value when not given with '='. */
static bool takes_next(const struct mc_flag *f, const char *word)
{
    return f && f->type != MC_FLAG_BOOL && !strchr(word, '=');
}

static void add_subcommands(struct comp *c, const struct mc_cmd *cmd)
{
    for (const struct mc_cmd *const *s = cmd->subs; s && *s; s++)
        if (!(*s)->hidden)
            add(c, (*s)->name, (*s)->summary);
}

static void add_flags(struct comp *c, const struct mc_cmd *cmd)
{
    char word[COMP_WORD_MAX];

    for (const struct mc_flag *f = cmd->flags; f && f->name; f++) {
        /* a one-letter name is a short flag whose value is the next word (-c) */
        bool short_name = strlen(f->name) == 1;
        snprintf(word, sizeof(word), "%s%s%s", short_name ? "-" : "--", f->name,
                 f->type == MC_FLAG_BOOL || short_name ? "" : "=");
        add(c, word, f->usage);
    }
    add(c, "--help", "show help");
}

/* ---- values ---------------------------------------------------------------------- */

static void add_envs(struct comp *c, const char *prefix)
{
    struct mc_env_list list = { 0 };
    char err[256], word[COMP_WORD_MAX];

    if (!c->cli || !c->cli->conf || mc_userconf_envs(c->cli->conf, &list, err, sizeof(err)))
        return;
    for (size_t i = 0; i < list.count; i++) {
        snprintf(word, sizeof(word), "%s%s", prefix, list.items[i].name);
        add(c, word, list.items[i].address[0] ? list.items[i].address : NULL);
    }
    mc_env_list_release(&list);
}

static void add_bools(struct comp *c, const char *prefix)
{
    char word[COMP_WORD_MAX];

    /* a prefix too long for a word completes nothing */
    if (snprintf(word, sizeof(word), "%strue", prefix) < (int)sizeof(word))
        add(c, word, NULL);
    if (snprintf(word, sizeof(word), "%sfalse", prefix) < (int)sizeof(word))
        add(c, word, NULL);
}

/* The value of a builtin's flag; prefix is "--flag=" when the partial word
 * carries both, "" when the value is a word of its own. Flags whose values
 * are not known leave the shell its file names. */
static void flag_value(struct comp *c, const struct mc_flag *f, const char *prefix)
{
    if (strcmp(f->name, "env") == 0)
        add_envs(c, prefix);
    else if (f->type == MC_FLAG_BOOL)
        add_bools(c, prefix);
    else
        c->out->directive = MC_COMP_DEFAULT;
}

/* ---- services and endpoints ------------------------------------------------------ */

/* The domains a service name may live in: the namespace's, then "micro". */
static int domains(const struct mc_cli *cli, const char *out[2])
{
    out[0] = "micro";
    if (strcmp(cli->namespace_, "micro") == 0)
        return 1;
    out[1] = cli->namespace_;
    return 2;
}

/* Registered services, sorted, except those a builtin of the same name hides
 * (hide_builtins: at the top level, where `micro store` is the builtin). */
static void add_services(struct comp *c, bool hide_builtins)
{
    const char *dom[2];
    char **all = NULL;
    size_t n = 0;

    if (!c->cli)
        return;
    for (int d = 0, nd = domains(c->cli, dom); d < nd; d++) {
        struct mc_cli_failure f;
        char **names = NULL;
        mc_cli_failure_init(&f);
        if (mc_schema_cache_services(c->cli, dom[d], false, &names, &f) != 0)
            server_failed(c);
        mc_cli_failure_release(&f);
        for (char **p = names; p && *p; p++) {
            all = mc_realloc(all, (n + 1) * sizeof(*all));
            all[n++] = *p;
        }
        free(names); /* the strings moved to all */
    }
    if (n)
        qsort(all, n, sizeof(*all), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!hide_builtins || !sub_named(mc_commands_root(), all[i]))
            add(c, all[i], "service");
        free(all[i]);
    }
    free(all);
}

/* The registry entry of a service alias (owned), or NULL. */
static cJSON *lookup(struct comp *c, const char *alias)
{
    char domain[MC_CLI_NAME_MAX];
    struct mc_cli_failure f;
    cJSON *svc = NULL;

    if (!c->cli || strlen(alias) >= MC_DYN_NAME_MAX)
        return NULL;
    mc_cli_failure_init(&f);
    if (mc_dyn_lookup(c->cli, alias, false, &svc, domain, NULL, &f) == MC_EIO)
        server_failed(c);
    mc_cli_failure_release(&f);
    return svc;
}

/* Endpoint names as `micro call` takes them ("Helloworld.Call"). */
static void add_endpoint_names(struct comp *c, const char *service)
{
    cJSON *svc = lookup(c, service);

    for (int i = 0, n = mc_schema_endpoint_count(svc); i < n; i++) {
        const char *name = mc_schema_endpoint_name(svc, i);
        if (name)
            add(c, name, "endpoint");
    }
    cJSON_Delete(svc);
}

/*
 * The command words of a dynamic command, as its help lists them: word 1
 * ("call", or "stream" of "stream publish") when after is NULL, else the
 * word that follows `after` in a two-word command. Sorted as the help.
 */
static void add_command_words(struct comp *c, const char *alias, const cJSON *svc,
                              const char *after)
{
    int n = mc_schema_endpoint_count(svc), k = 0;
    char **words = mc_calloc((size_t)n + 1, sizeof(*words));
    char cmd[MC_DYN_NAME_MAX * 2];

    for (int i = 0; i < n; i++) {
        const char *name = mc_schema_endpoint_name(svc, i);
        if (!name)
            continue;
        mc_dyn_command_name(alias, name, cmd, sizeof(cmd));
        char *space = strchr(cmd, ' ');
        const char *word = cmd;
        if (after) {
            if (!space || strncmp(cmd, after, (size_t)(space - cmd)) != 0 ||
                after[space - cmd] != '\0')
                continue;
            word = space + 1;
        } else if (space) {
            *space = '\0';
        }
        /* "word\0description": sorted by word, the endpoint kept beside it */
        size_t wl = strlen(word), dl = (space && !after) ? 0 : strlen(name);
        words[k] = mc_malloc(wl + dl + 2);
        memcpy(words[k], word, wl + 1);
        memcpy(words[k] + wl + 1, name, dl);
        words[k][wl + 1 + dl] = '\0';
        k++;
    }
    qsort(words, (size_t)k, sizeof(*words), cmp_str);
    for (int i = 0; i < k; i++) {
        add(c, words[i], words[i] + strlen(words[i]) + 1);
        free(words[i]);
    }
    free(words);
}

/* ---- request fields -------------------------------------------------------------- */

/*
 * Enums the client knows by their Go type name: those of our protos, compiled
 * in. A registry schema names an enum field's type and nothing more (spec
 * §5.4: no values), so the values of any other enum are not known here.
 */
static const ProtobufCEnumDescriptor *const known_enums[] = {
    &auth__access__descriptor,
    &debug__span_type__descriptor,
    &registry__event_type__descriptor,
    &router__event_type__descriptor,
};

static void add_enum_values(struct comp *c, const char *type, const char *prefix)
{
    char word[COMP_WORD_MAX];

    for (size_t i = 0; i < MC_ARRAY_LEN(known_enums); i++) {
        const ProtobufCEnumDescriptor *e = known_enums[i];
        if (strcmp(e->short_name, type) != 0)
            continue;
        for (unsigned k = 0; k < e->n_values; k++) {
            snprintf(word, sizeof(word), "%s%s", prefix, e->values[k].name);
            add(c, word, type); /* the same name in two protos: add() keeps one */
        }
    }
}

/* The values a field of this Go type can take, when they are known: bools
 * and the known enums; any other value is the user's to type. */
static void add_typed_values(struct comp *c, const char *type, const char *prefix)
{
    if (strcmp(type, "bool") == 0)
        add_bools(c, prefix);
    else
        add_enum_values(c, type, prefix);
}

struct field_walk {
    struct comp *c;
    bool dashes;       /* render every separator (and '_' in names) as '-' */
    const char *want;  /* NULL: list the fields; else the path whose type to find */
    char type[128];    /* the type of want, when found */
};

static void render_path(char *word, size_t n, const char *path, bool dashes, const char *tail)
{
    size_t o = (size_t)snprintf(word, n, "--%s%s", path, tail);
    for (size_t i = 2; dashes && i < o && i < n; i++)
        if (word[i] == '_')
            word[i] = '-';
}

/* Field names compared as dynamic.c reads them: '-', '_' and '.' alike. */
static bool same_path(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        bool sa = *a == '-' || *a == '_' || *a == '.', sb = *b == '-' || *b == '_' || *b == '.';
        if (sa != sb || (!sa && *a != *b))
            return false;
    }
    return *a == *b;
}

static int on_field(void *ud, const char *path, const char *type)
{
    struct field_walk *w = ud;
    char word[COMP_WORD_MAX];

    if (w->want) {
        if (!same_path(path, w->want))
            return 0;
        snprintf(w->type, sizeof(w->type), "%s", type ? type : "");
        return 1;
    }
    render_path(word, sizeof(word), path, w->dashes, "=");
    add(w->c, word, type);
    return 0;
}

/* `--field=` candidates, or for a partial "--field=v" the field's values. */
static void complete_fields(struct comp *c, const cJSON *request)
{
    const char *p = c->partial;
    const char *eq = strchr(p, '=');
    struct field_walk w = { .c = c, .dashes = strchr(p + strspn(p, "-"), '-') != NULL };

    if (!request)
        return;
    if (!eq) {
        mc_schema_fields(request, '_', on_field, &w);
        return;
    }
    char name[COMP_WORD_MAX], prefix[COMP_WORD_MAX];
    size_t skip = strspn(p, "-");
    snprintf(name, sizeof(name), "%.*s", (int)(eq - p - (ptrdiff_t)skip), p + skip);
    w.want = name;
    if (mc_schema_fields(request, '_', on_field, &w) == 1) {
        snprintf(prefix, sizeof(prefix), "%.*s", (int)(eq - p + 1), p);
        add_typed_values(c, w.type, prefix);
    }
}

/* The type of the field a bare "--field" word names ("" when unknown). */
static void field_type(const cJSON *request, const char *flag, char *type, size_t n)
{
    struct field_walk w = { .want = flag + strspn(flag, "-") };

    type[0] = '\0';
    if (request && mc_schema_fields(request, '_', on_field, &w) == 1)
        snprintf(type, n, "%s", w.type);
}

/* ---- dynamic commands ------------------------------------------------------------ */

/* `micro <alias> [words...] <partial>`: w[0] is the alias, w[1..n) the words
 * typed after it. */
static void complete_dynamic(struct comp *c, int n, const char *const *w)
{
    const char *args[COMP_MAX_ARGS];
    int argc = 0;
    const char *value_of = NULL; /* the "--flag" the partial is the value of */
    char endpoint[MC_DYN_NAME_MAX], err[256];

    cJSON *svc = lookup(c, w[0]);
    if (!svc)
        return;
    for (int k = 0; k < n; k++) {
        if (is_flag_word(w[k]))
            continue;
        /* "--k v" sets k (mc_dyn_split): v is not an argument */
        if (k > 0 && is_flag_word(w[k - 1]) && !strchr(w[k - 1], '='))
            continue;
        if (argc < COMP_MAX_ARGS)
            args[argc++] = w[k];
    }
    if (n > 1 && is_flag_word(w[n - 1]) && !strchr(w[n - 1], '=') && !is_flag_word(c->partial))
        value_of = w[n - 1];
    const cJSON *request = NULL;
    if (mc_dyn_endpoint(argc, args, endpoint, sizeof(endpoint), err, sizeof(err)) == 0)
        request = mc_schema_endpoint_request(mc_schema_endpoint(svc, endpoint));
    if (value_of) {
        char type[128];
        field_type(request, value_of, type, sizeof(type));
        add_typed_values(c, type, "");
    } else if (c->partial[0] == '-') {
        complete_fields(c, request);
    } else if (argc == 1) {
        add_command_words(c, w[0], svc, NULL);
    } else if (argc == 2) {
        add_command_words(c, w[0], svc, args[1]);
    }
    cJSON_Delete(svc);
}

/* ---- config and store keys ------------------------------------------------------- */

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "object";
    if (cJSON_IsArray(v))
        return "array";
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsNumber(v))
        return "number";
    return cJSON_IsBool(v) ? "bool" : "null";
}

/* `config get a.b<TAB>`: the keys of the object at "a" (one Config.Get). */
static void add_config_keys(struct comp *c)
{
    const char *dot = strrchr(c->partial, '.');
    int plen = dot ? (int)(dot - c->partial) : 0;
    struct mc_cli_failure f;
    char *rsp = NULL, word[COMP_WORD_MAX], parent[COMP_WORD_MAX];

    if (!c->cli)
        return;
    snprintf(parent, sizeof(parent), "%.*s", plen, c->partial);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "namespace", c->cli->namespace_);
    cJSON_AddStringToObject(req, "path", parent);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    mc_cli_failure_init(&f);
    if (mc_cli_call(c->cli, "config", "Config.Get", body, NULL, &rsp, &f) != 0) {
        if (f.kind != MC_CLI_MICRO_ERROR || f.error.code != 404)
            server_failed(c);
    } else {
        cJSON *doc = cJSON_Parse(rsp);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(doc, "value"), "data");
        cJSON *val = cJSON_IsString(data) ? cJSON_Parse(data->valuestring) : NULL;
        const cJSON *obj = cJSON_IsObject(val) ? val : NULL, *k;
        cJSON_ArrayForEach(k, obj)
        {
            int w = snprintf(word, sizeof(word), "%s%s%s", parent, plen ? "." : "", k->string);
            if (w > 0 && (size_t)w < sizeof(word))
                add(c, word, json_kind(k));
        }
        cJSON_Delete(val);
        cJSON_Delete(doc);
    }
    mc_cli_failure_release(&f);
    free(rsp);
    free(body);
}

static int on_keys(void *ud, const char *json, size_t len)
{
    struct comp *c = ud;
    cJSON *msg = cJSON_ParseWithLength(json, len);
    const cJSON *k;

    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(msg, "keys"))
        if (cJSON_IsString(k))
            add(c, k->valuestring, NULL);
    cJSON_Delete(msg);
    return 0;
}

/* `store read <TAB>`: keys with the partial word as prefix (one Store.List). */
static void add_store_keys(struct comp *c)
{
    struct mc_cli_failure f;

    if (!c->cli)
        return;
    cJSON *req = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(o, "database", c->cli->namespace_);
    cJSON_AddStringToObject(o, "table", c->table ? c->table : "micro");
    if (*c->partial)
        cJSON_AddStringToObject(o, "prefix", c->partial);
    cJSON_AddNumberToObject(o, "limit", COMP_KEYS_LIMIT);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    mc_cli_failure_init(&f);
    if (mc_cli_stream(c->cli, "store", "Store.List", body, NULL, on_keys, c, &f) != 0)
        server_failed(c);
    mc_cli_failure_release(&f);
    free(body);
}

/* ---- builtins -------------------------------------------------------------------- */

static void add_builtins(struct comp *c)
{
    add_subcommands(c, mc_commands_root());
}

/* A positional argument of a builtin (path "store read", argc arguments before
 * the partial one). Commands without a completer of their own leave the shell
 * its file names when they take arguments at all. */
static void positional(struct comp *c, const struct mc_cmd *cmd, const char *path, int argc,
                       const char *const *args)
{
    bool first = argc == 0;

    if (strcmp(path, "help") == 0)
        add_builtins(c);
    else if (first && (!strcmp(path, "env set") || !strcmp(path, "env del")))
        add_envs(c, "");
    else if (first && (!strcmp(path, "config get") || !strcmp(path, "config set") ||
                       !strcmp(path, "config del")))
        add_config_keys(c);
    else if (first && (!strcmp(path, "store read") || !strcmp(path, "store delete") ||
                       !strcmp(path, "store write")))
        add_store_keys(c);
    else if (first && (!strcmp(path, "call") || !strcmp(path, "stream") ||
                       !strcmp(path, "get service")))
        add_services(c, false);
    else if (argc == 1 && (!strcmp(path, "call") || !strcmp(path, "stream")))
        add_endpoint_names(c, args[0]);
    else if (cmd->max_args != 0 && !cmd->subs && strcmp(path, "call") && strcmp(path, "stream"))
        c->out->directive = MC_COMP_DEFAULT;
}

/* `micro <builtin> [words...] <partial>`: w[0..n) are the words after the
 * builtin's name. */
static void complete_builtin(struct comp *c, const struct mc_cmd *cmd, int n,
                             const char *const *w)
{
    const char *args[COMP_MAX_ARGS];
    char path[256];
    int argc = 0;
    bool dashdash = false;

    snprintf(path, sizeof(path), "%s", cmd->name);
    for (int k = 0; k < n; k++) {
        if (cmd->raw_args) {
            c->out->directive = MC_COMP_DEFAULT;
            return;
        }
        if (!dashdash && strcmp(w[k], "--") == 0) {
            dashdash = true;
        } else if (!dashdash && is_flag_word(w[k])) {
            const struct mc_flag *f = flag_named(cmd, w[k]);
            if (f && !strcmp(f->name, "table")) /* store keys live in a table */
                c->table = strchr(w[k], '=') ? strchr(w[k], '=') + 1 : k + 1 < n ? w[k + 1]
                                                                                 : NULL;
            if (takes_next(f, w[k]) && k + 1 == n) {
                flag_value(c, f, "");
                return;
            }
            k += takes_next(f, w[k]);
        } else if (argc == 0 && sub_named(cmd, w[k])) {
            cmd = sub_named(cmd, w[k]);
            size_t o = strlen(path);
            snprintf(path + o, sizeof(path) - o, " %s", cmd->name);
        } else if (argc < COMP_MAX_ARGS) {
            args[argc++] = w[k];
        }
    }
    if (cmd->raw_args) {
        c->out->directive = MC_COMP_DEFAULT;
        return;
    }
    const char *p = c->partial;
    if (!dashdash && p[0] == '-') {
        const struct mc_flag *f = strchr(p, '=') ? flag_named(cmd, p) : NULL;
        if (f) {
            char prefix[COMP_WORD_MAX];
            snprintf(prefix, sizeof(prefix), "%.*s", (int)(strchr(p, '=') - p + 1), p);
            flag_value(c, f, prefix);
        } else if (!strchr(p, '=')) {
            add_flags(c, cmd);
        }
        return;
    }
    if (cmd->subs && argc == 0)
        add_subcommands(c, cmd);
    else
        positional(c, cmd, path, argc, args);
}

/* ---- the walk -------------------------------------------------------------------- */

static void complete_words(struct comp *c, int n, const char *const *w)
{
    const struct mc_cmd *root = mc_commands_root();
    int i = 0;

    /* global flags before the command */
    while (i < n && is_flag_word(w[i]) && strcmp(w[i], "--") != 0) {
        const struct mc_flag *f = flag_named(root, w[i]);
        if (takes_next(f, w[i]) && i + 1 == n) {
            flag_value(c, f, "");
            return;
        }
        i += 1 + takes_next(f, w[i]);
    }
    if (i < n && strcmp(w[i], "--") == 0)
        i++;
    if (i >= n) {
        const char *p = c->partial;
        const struct mc_flag *f = p[0] == '-' && strchr(p, '=') ? flag_named(root, p) : NULL;
        if (f) {
            char prefix[COMP_WORD_MAX];
            snprintf(prefix, sizeof(prefix), "%.*s", (int)(strchr(p, '=') - p + 1), p);
            flag_value(c, f, prefix);
        } else if (p[0] == '-') {
            add_flags(c, root);
        } else {
            add_builtins(c);
            add_services(c, true);
        }
        return;
    }
    const struct mc_cmd *cmd = sub_named(root, w[i]);
    if (cmd)
        complete_builtin(c, cmd, n - i - 1, w + i + 1);
    else
        complete_dynamic(c, n - i, w + i);
}

/* Every candidate ends in '=' (a flag waiting for its value): no space after it. */
static bool all_open(const struct mc_completions *o)
{
    for (size_t i = 0; i < o->n; i++) {
        size_t len = strlen(o->v[i].value);
        if (len == 0 || o->v[i].value[len - 1] != '=')
            return false;
    }
    return o->n > 0;
}

int mc_complete(struct mc_cli *cli, int nwords, const char *const *words, unsigned budget_ms,
                struct mc_completions *out)
{
    struct comp c = { .cli = cli, .out = out, .partial = "" };
    uint64_t saved = 0;

    memset(out, 0, sizeof(*out));
    out->directive = MC_COMP_NOFILE;
    if (nwords > 0 && words[nwords - 1])
        c.partial = words[nwords - 1];
    if (cli) {
        saved = cli->deadline_ms;
        uint64_t deadline = mc_now_ms() + budget_ms;
        if (saved && saved < deadline)
            deadline = saved; /* a caller's own deadline is never extended */
        cli->deadline_ms = deadline ? deadline : 1;
    }
    complete_words(&c, nwords > 0 ? nwords - 1 : 0, words);
    if (cli)
        cli->deadline_ms = saved;
    if (all_open(out))
        out->directive |= MC_COMP_NOSPACE;
    return 0;
}
