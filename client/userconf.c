/*
 * The user's files: config.json (dot paths, environments) and the tokens
 * file, read with limits and written atomically. See userconf.h. Go's
 * encoders are the reference for what we write (sorted map keys, HTML-safe
 * escapes, standard base64), so a file written by upstream's CLI and one
 * written by ours are byte for byte the same.
 */
#include "userconf.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_jwt.h"

#include "mc_banned.h"

#define UC_TOKEN_MAX (64u * 1024u) /* one decoded token line */

struct mc_userconf {
    char *config_path;
    char *tokens_path;
    cJSON *doc;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- files -------------------------------------------------------------------------- */

/* Reads a whole regular file of at most max bytes into a NUL-terminated heap buffer. */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
    struct mc_buf b;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *data = NULL;
    *len = 0;
    if (fd < 0)
        return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    mc_buf_init(&b, max);
    for (;;) {
        char *p = mc_buf_reserve(&b, 4096);
        ssize_t n;

        if (!p) {
            close(fd);
            mc_buf_release(&b);
            return MC_ETOOBIG;
        }
        n = read(fd, p, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            mc_buf_release(&b);
            return MC_EIO;
        }
        if (n == 0)
            break;
        mc_buf_commit(&b, (size_t)n);
    }
    close(fd);
    *data = mc_buf_detach(&b, len);
    return 0;
}

/*
 * Writes path atomically: a temporary file beside it (0600, O_EXCL), synced,
 * then renamed over path. On failure path is untouched and the temporary
 * file removed.
 */
static int write_atomic(const char *path, const char *data, size_t len, char *err,
                        size_t errlen)
{
    struct mc_buf tmp;
    int fd, saved;

    mc_buf_init(&tmp, 4096 + strlen(path));
    /* the thread id too: the prompt's registry watch may refresh the token
     * (and so write these files) while the prompt's own command does */
    if (mc_buf_appendf(&tmp, "%s.tmp.%ld.%ld", path, (long)getpid(), (long)gettid()) < 0) {
        seterr(err, errlen, "cannot write '%s': path too long", path);
        return MC_EIO;
    }
    unlink(mc_buf_cstr(&tmp));
    fd = open(mc_buf_cstr(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    if (mc_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        goto fail_unlink;
    }
    if (close(fd) < 0)
        goto fail_unlink;
    if (rename(mc_buf_cstr(&tmp), path) < 0)
        goto fail_unlink;
    mc_buf_release(&tmp);
    return 0;
fail_unlink:
    saved = errno;
    unlink(mc_buf_cstr(&tmp));
    errno = saved;
fail:
    seterr(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    mc_buf_release(&tmp);
    return MC_EIO;
}

/* mkdir -p with 0700 for every directory it creates. */
static int make_dirs(char *dir)
{
    struct stat st;

    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static char *default_home(void)
{
    const char *home = getenv("MICRO_HOME");
    struct mc_buf b;

    if (home && *home)
        return mc_strdup(home);
    home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());

        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    }
    mc_buf_init(&b, 8192);
    if (mc_buf_appendf(&b, "%s/.micro", strcmp(home, "/") == 0 ? "" : home) < 0) {
        mc_buf_release(&b);
        return NULL;
    }
    return mc_buf_detach(&b, NULL);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return mc_strdup(".");
    if (slash == path)
        return mc_strdup("/");
    return mc_strndup(path, (size_t)(slash - path));
}

/* ---- JSON as Go writes it ------------------------------------------------------------ */

/* Go's encoding/json string escaping (HTML-safe, U+2028/2029 escaped). */
static int go_quote(struct mc_buf *b, const char *s)
{
    int rc = mc_buf_append_byte(b, '"');

    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        switch (*p) {
        case '"': rc = mc_buf_append_str(b, "\\\""); break;
        case '\\': rc = mc_buf_append_str(b, "\\\\"); break;
        case '\n': rc = mc_buf_append_str(b, "\\n"); break;
        case '\r': rc = mc_buf_append_str(b, "\\r"); break;
        case '\t': rc = mc_buf_append_str(b, "\\t"); break;
        case '<': case '>': case '&':
            rc = mc_buf_appendf(b, "\\u00%02x", *p);
            break;
        default:
            if (*p < 0x20)
                rc = mc_buf_appendf(b, "\\u00%02x", *p);
            else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
                rc = mc_buf_appendf(b, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
                p += 2;
            } else
                rc = mc_buf_append_byte(b, (char)*p);
        }
    }
    return rc == 0 ? mc_buf_append_byte(b, '"') : rc;
}

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static int go_write(struct mc_buf *b, const cJSON *v);

/* An object with its keys in byte order, as Go writes a map. */
static int go_write_object(struct mc_buf *b, const cJSON *v)
{
    size_t n = 0, i = 0;
    const cJSON *c;
    const cJSON **kids;
    int rc = 0;

    cJSON_ArrayForEach(c, v)
        n++;
    kids = mc_calloc(n ? n : 1, sizeof(*kids));
    cJSON_ArrayForEach(c, v)
        kids[i++] = c;
    qsort(kids, n, sizeof(*kids), cmp_keys);
    rc = mc_buf_append_byte(b, '{');
    for (i = 0; rc == 0 && i < n; i++) {
        if (i > 0)
            rc = mc_buf_append_byte(b, ',');
        if (rc == 0)
            rc = go_quote(b, kids[i]->string ? kids[i]->string : "");
        if (rc == 0)
            rc = mc_buf_append_byte(b, ':');
        if (rc == 0)
            rc = go_write(b, kids[i]);
    }
    free(kids);
    return rc == 0 ? mc_buf_append_byte(b, '}') : rc;
}

static int go_write(struct mc_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v))
        return go_quote(b, v->valuestring ? v->valuestring : "");
    if (cJSON_IsObject(v))
        return go_write_object(b, v);
    if (cJSON_IsArray(v)) {
        const cJSON *c;
        int rc = mc_buf_append_byte(b, '['), first = 1;

        cJSON_ArrayForEach(c, v) {
            if (rc == 0 && !first)
                rc = mc_buf_append_byte(b, ',');
            if (rc == 0)
                rc = go_write(b, c);
            first = 0;
        }
        return rc == 0 ? mc_buf_append_byte(b, ']') : rc;
    }
    if (cJSON_IsTrue(v))
        return mc_buf_append_str(b, "true");
    if (cJSON_IsFalse(v))
        return mc_buf_append_str(b, "false");
    if (cJSON_IsNumber(v)) {
        char *s = cJSON_PrintUnformatted(v);
        int rc;

        if (!s)
            mc_malloc((size_t)-1); /* cJSON only fails on OOM: abort as everywhere */
        rc = mc_buf_append_str(b, s);
        cJSON_free(s);
        return rc;
    }
    return mc_buf_append_str(b, "null");
}

/* ---- opening and dot paths ----------------------------------------------------------- */

static int load_doc(struct mc_userconf *uc, char *err, size_t errlen)
{
    char *data;
    size_t len, i;
    const char *end = NULL;
    int rc = read_file(uc->config_path, MC_USERCONF_MAX_FILE, &data, &len);

    if (rc == MC_ETOOBIG) {
        seterr(err, errlen, "config file '%s' is larger than %u bytes", uc->config_path,
               MC_USERCONF_MAX_FILE);
        return rc;
    }
    if (rc < 0) {
        seterr(err, errlen, "cannot read config file '%s': %s", uc->config_path,
               strerror(errno));
        return MC_EIO;
    }
    for (i = 0; i < len && strchr(" \t\r\n", data[i]); i++)
        ;
    /* an empty file reads as {} (upstream's Go config does the same) */
    uc->doc = i == len ? cJSON_CreateObject() : cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (uc->doc && end) {
        while (end < data + len && strchr(" \t\r\n", *end))
            end++;
        if (end != data + len) {
            cJSON_Delete(uc->doc);
            uc->doc = NULL;
        }
    }
    if (!uc->doc || !cJSON_IsObject(uc->doc)) {
        size_t at = end ? (size_t)(end - data) : 0;

        if (!uc->doc && cJSON_GetErrorPtr())
            at = (size_t)(cJSON_GetErrorPtr() - data);
        seterr(err, errlen, "malformed config file '%s': %s at byte %zu", uc->config_path,
               uc->doc ? "not a JSON object" : "invalid JSON", uc->doc ? 0 : at);
        cJSON_Delete(uc->doc);
        uc->doc = NULL;
        free(data);
        return MC_EPROTO;
    }
    free(data);
    return 0;
}

static int create_default(struct mc_userconf *uc, char *err, size_t errlen)
{
    static const char def[] = "{\"env\":\"local\"}";
    char *dir = dir_of(uc->config_path);
    int rc = 0;

    if (make_dirs(dir) < 0) {
        seterr(err, errlen, "cannot create directory '%s': %s", dir, strerror(errno));
        rc = MC_EIO;
    } else if (access(uc->config_path, F_OK) != 0) {
        rc = write_atomic(uc->config_path, def, sizeof(def) - 1, err, errlen);
    }
    free(dir);
    return rc;
}

int mc_userconf_open(struct mc_userconf **out, const char *config_file, char *err,
                     size_t errlen)
{
    struct mc_userconf *uc = mc_calloc(1, sizeof(*uc));
    struct mc_buf b;
    char *dir;
    int rc;

    *out = NULL;
    mc_buf_init(&b, 8192);
    if (config_file && *config_file) {
        uc->config_path = mc_strdup(config_file);
    } else {
        char *home = default_home();

        if (!home || mc_buf_appendf(&b, "%s/config.json", home) < 0) {
            free(home);
            mc_buf_release(&b);
            free(uc);
            seterr(err, errlen, "cannot locate the micro home directory");
            return MC_EIO;
        }
        free(home);
        uc->config_path = mc_buf_detach(&b, NULL);
    }
    dir = dir_of(uc->config_path);
    mc_buf_reset(&b);
    if (mc_buf_appendf(&b, "%s/tokens", dir) < 0) {
        free(dir);
        mc_userconf_free(uc);
        seterr(err, errlen, "path too long");
        return MC_EIO;
    }
    free(dir);
    uc->tokens_path = mc_buf_detach(&b, NULL);
    if ((rc = create_default(uc, err, errlen)) < 0 || (rc = load_doc(uc, err, errlen)) < 0) {
        mc_userconf_free(uc);
        return rc;
    }
    *out = uc;
    return 0;
}

void mc_userconf_free(struct mc_userconf *uc)
{
    if (!uc)
        return;
    cJSON_Delete(uc->doc);
    free(uc->config_path);
    free(uc->tokens_path);
    free(uc);
}

const char *mc_userconf_config_path(const struct mc_userconf *uc)
{
    return uc->config_path;
}

const char *mc_userconf_tokens_path(const struct mc_userconf *uc)
{
    return uc->tokens_path;
}

/* Splits a dot path into parts[] (pointers into buf). Returns the count or MC_E*. */
static int split_path(const char *path, char *buf, size_t buflen,
                      char *parts[MC_USERCONF_MAX_DEPTH])
{
    int n = 0;
    char *p;

    if (!path || !*path)
        return MC_EINVAL;
    if (strlen(path) >= buflen)
        return MC_ETOOBIG;
    memcpy(buf, path, strlen(path) + 1); /* length checked above */
    for (p = buf;;) {
        char *dot = strchr(p, '.');

        if (n == MC_USERCONF_MAX_DEPTH)
            return MC_ETOOBIG;
        if (dot)
            *dot = '\0';
        if (!*p)
            return MC_EINVAL;
        parts[n++] = p;
        if (!dot)
            return n;
        p = dot + 1;
    }
}

static cJSON *lookup(const cJSON *doc, const char *path)
{
    char buf[MC_USERCONF_MAX_PATH];
    char *parts[MC_USERCONF_MAX_DEPTH];
    int n = split_path(path, buf, sizeof(buf), parts);
    cJSON *v = (cJSON *)doc;

    for (int i = 0; i < n && v; i++)
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, parts[i]) : NULL;
    return n > 0 ? v : NULL;
}

static char *trimmed(const char *s)
{
    size_t len;

    while (*s && strchr(" \t\r\n", *s))
        s++;
    len = strlen(s);
    while (len > 0 && strchr(" \t\r\n", s[len - 1]))
        len--;
    return mc_strndup(s, len);
}

char *mc_userconf_get(const struct mc_userconf *uc, const char *path)
{
    const cJSON *v = lookup(uc->doc, path);
    struct mc_buf b;

    if (!v || cJSON_IsNull(v))
        return mc_strdup("");
    if (cJSON_IsString(v))
        return trimmed(v->valuestring ? v->valuestring : "");
    mc_buf_init(&b, MC_USERCONF_MAX_FILE * 2);
    if (go_write(&b, v) < 0) {
        mc_buf_release(&b);
        return mc_strdup("");
    }
    return mc_buf_detach(&b, NULL);
}

int mc_userconf_set(struct mc_userconf *uc, const char *path, const char *value)
{
    char buf[MC_USERCONF_MAX_PATH];
    char *parts[MC_USERCONF_MAX_DEPTH];
    int n = split_path(path, buf, sizeof(buf), parts);
    cJSON *v = uc->doc;

    if (n < 0)
        return n;
    if (strlen(value) > MC_USERCONF_MAX_FILE)
        return MC_ETOOBIG;
    for (int i = 0; i < n - 1; i++) {
        cJSON *next = cJSON_GetObjectItemCaseSensitive(v, parts[i]);

        if (!cJSON_IsObject(next)) {
            next = cJSON_CreateObject();
            if (cJSON_GetObjectItemCaseSensitive(v, parts[i]))
                cJSON_ReplaceItemInObjectCaseSensitive(v, parts[i], next);
            else
                cJSON_AddItemToObject(v, parts[i], next);
        }
        v = next;
    }
    if (cJSON_GetObjectItemCaseSensitive(v, parts[n - 1]))
        cJSON_ReplaceItemInObjectCaseSensitive(v, parts[n - 1], cJSON_CreateString(value));
    else
        cJSON_AddItemToObject(v, parts[n - 1], cJSON_CreateString(value));
    return 0;
}

int mc_userconf_delete(struct mc_userconf *uc, const char *path)
{
    char buf[MC_USERCONF_MAX_PATH];
    char *parts[MC_USERCONF_MAX_DEPTH];
    int n = split_path(path, buf, sizeof(buf), parts);
    cJSON *v = uc->doc;

    if (n < 0)
        return n;
    for (int i = 0; i < n - 1 && v; i++)
        v = cJSON_GetObjectItemCaseSensitive(v, parts[i]);
    if (cJSON_IsObject(v))
        cJSON_DeleteItemFromObjectCaseSensitive(v, parts[n - 1]);
    return 0;
}

int mc_userconf_save(struct mc_userconf *uc, char *err, size_t errlen)
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, MC_USERCONF_MAX_FILE);
    if (go_write(&b, uc->doc) < 0) {
        mc_buf_release(&b);
        seterr(err, errlen, "cannot write '%s': larger than %u bytes", uc->config_path,
               MC_USERCONF_MAX_FILE);
        return MC_EIO;
    }
    rc = write_atomic(uc->config_path, mc_buf_cstr(&b), b.len, err, errlen);
    mc_buf_release(&b);
    return rc;
}

/* ---- environments ---------------------------------------------------------------------- */

static const struct {
    const char *name, *address, *description;
} builtin_envs[] = {
    { MC_ENV_LOCAL, MC_ENV_LOCAL_ADDRESS, "Local running Micro Server" },
    { MC_ENV_PLATFORM, MC_ENV_PLATFORM_ADDRESS, "Cloud hosted Micro Platform" },
};

static bool is_builtin(const char *name)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(builtin_envs); i++)
        if (strcmp(builtin_envs[i].name, name) == 0)
            return true;
    return false;
}

/* The user environments object parsed from the "envs" string (an empty object if unset). */
static cJSON *user_envs(const struct mc_userconf *uc, char *err, size_t errlen)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(uc->doc, "envs");
    cJSON *o;

    if (!s || cJSON_IsNull(s) || (cJSON_IsString(s) && !*s->valuestring))
        return cJSON_CreateObject();
    o = cJSON_IsString(s) ? cJSON_Parse(s->valuestring) : NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        seterr(err, errlen, "malformed config file '%s': \"envs\" is not a JSON object string",
               uc->config_path);
        return NULL;
    }
    return o;
}

static const char *field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name); /* case-insensitive, as Go's decoder */

    return cJSON_IsString(v) ? v->valuestring : "";
}

static void env_push(struct mc_env_list *l, const char *name, const char *addr,
                     const char *desc, bool builtin)
{
    struct mc_env *e;

    l->items = mc_realloc(l->items, (l->count + 1) * sizeof(*l->items));
    e = &l->items[l->count++];
    e->name = mc_strdup(name);
    e->address = mc_strdup(addr);
    e->description = mc_strdup(desc);
    e->builtin = builtin;
}

static int cmp_env(const void *a, const void *b)
{
    return strcmp(((const struct mc_env *)a)->name, ((const struct mc_env *)b)->name);
}

int mc_userconf_envs(const struct mc_userconf *uc, struct mc_env_list *list, char *err,
                     size_t errlen)
{
    cJSON *o, *c;

    mc_env_list_release(list);
    if (!(o = user_envs(uc, err, errlen)))
        return MC_EPROTO;
    for (size_t i = 0; i < MC_ARRAY_LEN(builtin_envs); i++)
        env_push(list, builtin_envs[i].name, builtin_envs[i].address,
                 builtin_envs[i].description, true);
    cJSON_ArrayForEach(c, o) {
        if (!c->string || !*c->string || is_builtin(c->string) || !cJSON_IsObject(c))
            continue;
        if (list->count >= MC_USERCONF_MAX_ENVS)
            break;
        env_push(list, c->string, field(c, "ProxyAddress"), field(c, "Description"), false);
    }
    cJSON_Delete(o);
    qsort(list->items, list->count, sizeof(*list->items), cmp_env);
    return 0;
}

void mc_env_list_release(struct mc_env_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].address);
        free(list->items[i].description);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

const struct mc_env *mc_env_list_find(const struct mc_env_list *list, const char *name)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0)
            return &list->items[i];
    return NULL;
}

/* Stores the user environments back as upstream does: a string of
 * {"<name>":{"Name","ProxyAddress","Description"}}, names sorted. */
static int store_envs(struct mc_userconf *uc, const cJSON *o)
{
    struct mc_buf b;
    const cJSON *c;
    const cJSON **kids;
    size_t n = 0, i = 0;
    int rc;

    cJSON_ArrayForEach(c, o)
        n++;
    kids = mc_calloc(n ? n : 1, sizeof(*kids));
    cJSON_ArrayForEach(c, o)
        kids[i++] = c;
    qsort(kids, n, sizeof(*kids), cmp_keys);
    mc_buf_init(&b, MC_USERCONF_MAX_FILE);
    rc = mc_buf_append_byte(&b, '{');
    for (i = 0; rc == 0 && i < n; i++) {
        const char *name = field(kids[i], "Name");

        if (i > 0)
            rc = mc_buf_append_byte(&b, ',');
        if (rc == 0)
            rc = go_quote(&b, kids[i]->string);
        if (rc == 0)
            rc = mc_buf_append_str(&b, ":{\"Name\":");
        if (rc == 0)
            rc = go_quote(&b, *name ? name : kids[i]->string);
        if (rc == 0)
            rc = mc_buf_append_str(&b, ",\"ProxyAddress\":");
        if (rc == 0)
            rc = go_quote(&b, field(kids[i], "ProxyAddress"));
        if (rc == 0)
            rc = mc_buf_append_str(&b, ",\"Description\":");
        if (rc == 0)
            rc = go_quote(&b, field(kids[i], "Description"));
        if (rc == 0)
            rc = mc_buf_append_byte(&b, '}');
    }
    free(kids);
    if (rc == 0)
        rc = mc_buf_append_byte(&b, '}');
    if (rc == 0)
        rc = mc_userconf_set(uc, "envs", mc_buf_cstr(&b));
    mc_buf_release(&b);
    return rc;
}

int mc_userconf_env_add(struct mc_userconf *uc, const char *name, const char *address,
                        char *err, size_t errlen)
{
    cJSON *o, *e;
    int rc;

    if (!name || !*name) {
        seterr(err, errlen, "environment name required");
        return MC_EINVAL;
    }
    if (strlen(name) > 256 || strlen(address) > 512) {
        seterr(err, errlen, "environment name or address too long");
        return MC_ETOOBIG;
    }
    if (!(o = user_envs(uc, err, errlen)))
        return MC_EPROTO;
    if (cJSON_GetArraySize(o) >= (int)MC_USERCONF_MAX_ENVS &&
        !cJSON_GetObjectItemCaseSensitive(o, name)) {
        cJSON_Delete(o);
        seterr(err, errlen, "too many environments");
        return MC_ETOOBIG;
    }
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "Name", name);
    cJSON_AddStringToObject(e, "ProxyAddress", address);
    cJSON_AddStringToObject(e, "Description", "");
    if (cJSON_GetObjectItemCaseSensitive(o, name))
        cJSON_ReplaceItemInObjectCaseSensitive(o, name, e);
    else
        cJSON_AddItemToObject(o, name, e);
    rc = store_envs(uc, o);
    cJSON_Delete(o);
    if (rc < 0)
        seterr(err, errlen, "environments too large");
    return rc;
}

int mc_userconf_env_del(struct mc_userconf *uc, const char *name, char *err, size_t errlen)
{
    cJSON *o = user_envs(uc, err, errlen);
    int rc;

    if (!o)
        return MC_EPROTO;
    if (!cJSON_GetObjectItemCaseSensitive(o, name)) {
        cJSON_Delete(o);
        seterr(err, errlen, "Environment '%s' does not exist", name);
        return MC_ENOTFOUND;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    rc = store_envs(uc, o);
    cJSON_Delete(o);
    return rc;
}

int mc_env_dial_address(const char *address, char *out, size_t outlen, bool *tls)
{
    const char *colon = strrchr(address, ':');
    const char *port = NULL;
    int n;

    if (address[0] == '[') {
        const char *close = strchr(address, ']');

        if (close && close[1] == ':')
            port = close + 2;
    } else if (colon && strchr(address, ':') == colon) {
        port = colon + 1;
    }
    if (port && *port)
        n = snprintf(out, outlen, "%s", address);
    else if (colon && address[0] != '[')
        n = snprintf(out, outlen, "[%s]:443", address); /* a bare IPv6 address */
    else if (port)
        n = snprintf(out, outlen, "%s443", address); /* "host:" or "[v6]:" */
    else
        n = snprintf(out, outlen, "%s:443", address);
    if (n < 0 || (size_t)n >= outlen)
        return MC_ETOOBIG;
    *tls = strlen(out) > 4 && strcmp(out + strlen(out) - 4, ":443") == 0;
    return 0;
}

/* ---- tokens ------------------------------------------------------------------------- */

void mc_token_init(struct mc_token *t)
{
    memset(t, 0, sizeof(*t));
}

void mc_token_release(struct mc_token *t)
{
    free(t->access_token);
    free(t->refresh_token);
    mc_token_init(t);
}

int mc_token_key(struct mc_buf *out, const char *address, const char *ns, const char *account)
{
    return mc_buf_appendf(out, "micro://%s/%s/%s", address, ns, account ? account : "");
}

int64_t mc_json_i64(const cJSON *v)
{
    int64_t x = 0;

    if (cJSON_IsNumber(v))
        return (int64_t)v->valuedouble;
    if (cJSON_IsString(v) && mc_parse_i64(v->valuestring, &x) == 0)
        return x;
    return 0;
}

int mc_token_line_parse(const char *line, size_t len, char **key, struct mc_token *tok)
{
    const char *colon = NULL;
    unsigned char *bin;
    size_t bin_len = 0;
    cJSON *o;
    const cJSON *at;

    *key = NULL;
    mc_token_release(tok);
    if (len > UC_TOKEN_MAX)
        return MC_ETOOBIG;
    for (size_t i = len; i > 0; i--)
        if (line[i - 1] == ':') {
            colon = line + i - 1;
            break;
        }
    if (!colon || (size_t)(colon - line) < 8 || strncmp(line, "micro://", 8) != 0)
        return MC_EPROTO;
    bin = mc_malloc(len + 1);
    if (sodium_base642bin(bin, len, colon + 1, (size_t)(line + len - colon - 1), NULL, &bin_len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bin);
        return MC_EPROTO;
    }
    o = cJSON_ParseWithLength((const char *)bin, bin_len);
    free(bin);
    at = cJSON_GetObjectItemCaseSensitive(o, "access_token");
    if (!cJSON_IsObject(o) || !cJSON_IsString(at)) {
        cJSON_Delete(o);
        return MC_EPROTO;
    }
    tok->access_token = mc_strdup(at->valuestring);
    tok->refresh_token = mc_strdup(field(o, "refresh_token"));
    tok->created = mc_json_i64(cJSON_GetObjectItemCaseSensitive(o, "created"));
    tok->expiry = mc_json_i64(cJSON_GetObjectItemCaseSensitive(o, "expiry"));
    cJSON_Delete(o);
    *key = mc_strndup(line, (size_t)(colon - line));
    return 0;
}

int mc_token_line_format(struct mc_buf *out, const char *key, const struct mc_token *tok)
{
    struct mc_buf js;
    size_t enc_len, before = out->len;
    char *enc;
    int rc;

    mc_buf_init(&js, UC_TOKEN_MAX);
    rc = mc_buf_append_str(&js, "{\"access_token\":");
    if (rc == 0)
        rc = go_quote(&js, tok->access_token ? tok->access_token : "");
    if (rc == 0)
        rc = mc_buf_append_str(&js, ",\"refresh_token\":");
    if (rc == 0)
        rc = go_quote(&js, tok->refresh_token ? tok->refresh_token : "");
    if (rc == 0)
        rc = mc_buf_appendf(&js, ",\"created\":%lld,\"expiry\":%lld}", (long long)tok->created,
                            (long long)tok->expiry);
    if (rc < 0) {
        mc_buf_release(&js);
        return MC_ETOOBIG;
    }
    enc_len = sodium_base64_ENCODED_LEN(js.len, sodium_base64_VARIANT_ORIGINAL);
    enc = mc_malloc(enc_len);
    sodium_bin2base64(enc, enc_len, (const unsigned char *)js.data, js.len,
                      sodium_base64_VARIANT_ORIGINAL);
    rc = mc_buf_appendf(out, "%s:%s\n", key, enc);
    free(enc);
    mc_buf_release(&js);
    if (rc < 0)
        out->len = before;
    return rc < 0 ? MC_ETOOBIG : 0;
}

/* The tokens file as parsed lines: keys, tokens and the raw lines (kept as they were). */
struct token_file {
    char **keys;
    struct mc_token *toks;
    size_t count;
};

static void token_file_release(struct token_file *tf)
{
    for (size_t i = 0; i < tf->count; i++) {
        free(tf->keys[i]);
        mc_token_release(&tf->toks[i]);
    }
    free(tf->keys);
    free(tf->toks);
    memset(tf, 0, sizeof(*tf));
}

static int token_file_read(const struct mc_userconf *uc, struct token_file *tf, char *err,
                           size_t errlen)
{
    char *data;
    size_t len, lineno = 0;
    int rc = read_file(uc->tokens_path, MC_USERCONF_MAX_FILE, &data, &len);

    memset(tf, 0, sizeof(*tf));
    if (rc == MC_ENOTFOUND)
        return 0;
    if (rc < 0) {
        if (rc == MC_ETOOBIG)
            seterr(err, errlen, "tokens file '%s' is larger than %u bytes", uc->tokens_path,
                   MC_USERCONF_MAX_FILE);
        else
            seterr(err, errlen, "cannot read tokens file '%s': %s", uc->tokens_path,
                   strerror(errno));
        return rc;
    }
    for (char *p = data; p < data + len;) {
        char *nl = memchr(p, '\n', (size_t)(data + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);

        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0) {
            if (tf->count >= MC_USERCONF_MAX_TOKENS) {
                rc = MC_ETOOBIG;
            } else {
                tf->keys = mc_realloc(tf->keys, (tf->count + 1) * sizeof(*tf->keys));
                tf->toks = mc_realloc(tf->toks, (tf->count + 1) * sizeof(*tf->toks));
                mc_token_init(&tf->toks[tf->count]);
                rc = mc_token_line_parse(p, n, &tf->keys[tf->count], &tf->toks[tf->count]);
                if (rc == 0)
                    tf->count++;
            }
            if (rc < 0) {
                seterr(err, errlen, "malformed tokens file '%s': line %zu", uc->tokens_path,
                       lineno);
                free(data);
                token_file_release(tf);
                return MC_EPROTO;
            }
        }
        p += (nl ? (size_t)(nl - p) + 1 : n);
        if (!nl)
            break;
    }
    free(data);
    return 0;
}

static int token_file_write(const struct mc_userconf *uc, const struct token_file *tf,
                            char *err, size_t errlen)
{
    struct mc_buf b;
    int rc = 0;

    mc_buf_init(&b, MC_USERCONF_MAX_FILE);
    for (size_t i = 0; rc == 0 && i < tf->count; i++)
        rc = mc_token_line_format(&b, tf->keys[i], &tf->toks[i]);
    if (rc < 0) {
        seterr(err, errlen, "tokens file '%s' would pass %u bytes", uc->tokens_path,
               MC_USERCONF_MAX_FILE);
        mc_buf_release(&b);
        return MC_ETOOBIG;
    }
    rc = write_atomic(uc->tokens_path, mc_buf_cstr(&b), b.len, err, errlen);
    mc_buf_release(&b);
    return rc;
}

/* Index of the token for the key, with upstream's fallback when account is "" or absent. */
static long token_find(const struct token_file *tf, const char *address, const char *ns,
                       const char *account)
{
    struct mc_buf key;
    long found = -1;

    mc_buf_init(&key, 4096);
    if (account && *account && mc_token_key(&key, address, ns, account) == 0)
        for (size_t i = 0; found < 0 && i < tf->count; i++)
            if (strcmp(tf->keys[i], mc_buf_cstr(&key)) == 0)
                found = (long)i;
    mc_buf_reset(&key);
    if (found < 0 && mc_token_key(&key, address, ns, "") == 0)
        for (size_t i = 0; found < 0 && i < tf->count; i++)
            if (strncmp(tf->keys[i], mc_buf_cstr(&key), key.len) == 0 &&
                !strchr(tf->keys[i] + key.len, '/'))
                found = (long)i;
    mc_buf_release(&key);
    return found;
}

int mc_userconf_token_get(const struct mc_userconf *uc, const char *address, const char *ns,
                          const char *account, struct mc_token *tok, char *err, size_t errlen)
{
    struct token_file tf;
    long i;
    int rc = token_file_read(uc, &tf, err, errlen);

    if (rc < 0)
        return rc;
    i = token_find(&tf, address, ns, account);
    if (i < 0) {
        token_file_release(&tf);
        return MC_ENOTFOUND;
    }
    mc_token_release(tok);
    *tok = tf.toks[i];
    mc_token_init(&tf.toks[i]);
    token_file_release(&tf);
    return 0;
}

int mc_userconf_token_put(const struct mc_userconf *uc, const char *address, const char *ns,
                          const char *account, const struct mc_token *tok, char *err,
                          size_t errlen)
{
    struct token_file tf;
    struct mc_buf key;
    size_t i;
    int rc = token_file_read(uc, &tf, err, errlen);

    if (rc < 0)
        return rc;
    mc_buf_init(&key, 4096);
    if (mc_token_key(&key, address, ns, account) < 0) {
        token_file_release(&tf);
        seterr(err, errlen, "token key too long");
        return MC_ETOOBIG;
    }
    for (i = 0; i < tf.count; i++)
        if (strcmp(tf.keys[i], mc_buf_cstr(&key)) == 0)
            break;
    if (i == tf.count) {
        if (tf.count >= MC_USERCONF_MAX_TOKENS) {
            token_file_release(&tf);
            mc_buf_release(&key);
            seterr(err, errlen, "tokens file '%s' has too many tokens", uc->tokens_path);
            return MC_ETOOBIG;
        }
        tf.keys = mc_realloc(tf.keys, (tf.count + 1) * sizeof(*tf.keys));
        tf.toks = mc_realloc(tf.toks, (tf.count + 1) * sizeof(*tf.toks));
        tf.keys[i] = mc_buf_detach(&key, NULL);
        mc_token_init(&tf.toks[i]);
        tf.count++;
    }
    mc_token_release(&tf.toks[i]);
    tf.toks[i].access_token = mc_strdup(tok->access_token ? tok->access_token : "");
    tf.toks[i].refresh_token = mc_strdup(tok->refresh_token ? tok->refresh_token : "");
    tf.toks[i].created = tok->created;
    tf.toks[i].expiry = tok->expiry;
    rc = token_file_write(uc, &tf, err, errlen);
    mc_buf_release(&key);
    token_file_release(&tf);
    return rc;
}

int mc_userconf_token_remove(const struct mc_userconf *uc, const char *address, const char *ns,
                             const char *account, char *err, size_t errlen)
{
    struct token_file tf;
    struct mc_buf key;
    size_t out = 0;
    bool removed = false;
    int rc = token_file_read(uc, &tf, err, errlen);

    if (rc < 0)
        return rc;
    mc_buf_init(&key, 4096);
    mc_token_key(&key, address, ns, account);
    for (size_t i = 0; i < tf.count; i++) {
        if (strcmp(tf.keys[i], mc_buf_cstr(&key)) == 0) {
            free(tf.keys[i]);
            mc_token_release(&tf.toks[i]);
            removed = true;
            continue;
        }
        tf.keys[out] = tf.keys[i];
        tf.toks[out++] = tf.toks[i];
    }
    tf.count = out;
    rc = removed ? token_file_write(uc, &tf, err, errlen) : 0;
    mc_buf_release(&key);
    token_file_release(&tf);
    return rc;
}

int mc_token_inspect(const char *access_token, char *account, size_t account_len, char *name,
                     size_t name_len, int64_t *exp)
{
    const char *dot1 = strchr(access_token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char *bin;
    size_t bin_len = 0, n;
    const cJSON *sub, *nm;
    cJSON *o;
    int rc = MC_EPROTO;

    if (!dot2 || strlen(access_token) > MC_JWT_MAX_LEN)
        return MC_EPROTO;
    n = (size_t)(dot2 - dot1 - 1);
    bin = mc_malloc(n + 1);
    if (sodium_base642bin(bin, n, dot1 + 1, n, "=", &bin_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        free(bin);
        return MC_EPROTO;
    }
    o = cJSON_ParseWithLength((const char *)bin, bin_len);
    free(bin);
    sub = cJSON_GetObjectItemCaseSensitive(o, "sub");
    nm = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (cJSON_IsObject(o) && cJSON_IsString(sub) && *sub->valuestring &&
        strlen(sub->valuestring) < account_len) {
        snprintf(account, account_len, "%s", sub->valuestring);
        snprintf(name, name_len, "%s", cJSON_IsString(nm) ? nm->valuestring : "");
        *exp = mc_json_i64(cJSON_GetObjectItemCaseSensitive(o, "exp"));
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}
