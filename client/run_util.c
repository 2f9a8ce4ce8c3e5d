/*
 * Sources, the status table and log lines of the runtime commands: see
 * run_util.h. Texts follow upstream's client/cli/run (timeAgo, fmtDuration,
 * humanizeStatus, getService's table).
 */
#include "run_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>

#include "builtin_util.h"
#include "mc_common.h"
#include "output.h"
#include "mc_banned.h"

#define NS_PER_S 1000000000LL

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return MC_EINVAL;
}

bool mc_run_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 63 || name[0] == '.' || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Copies src (n bytes) into dst[cap]; false when it does not fit. */
static bool copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/* The last non-empty '/'-separated part of s (n bytes) into name. */
static bool last_part(const char *s, size_t n, char *name, size_t cap)
{
    while (n > 0 && s[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '/')
        start--;
    return copy(name, cap, s + start, n - start);
}

/* Splits "x@ref" at the '@' after the last '/': *len gets x's length. */
static int split_ref(const char *arg, size_t *len, struct mc_run_source *s, char *err,
                     size_t errlen)
{
    const char *slash = strrchr(arg, '/');
    const char *at = strrchr(slash ? slash : arg, '@');

    *len = strlen(arg);
    if (!at) {
        snprintf(s->version, sizeof(s->version), "latest");
        return 0;
    }
    if (!at[1] || !copy(s->version, sizeof(s->version), at + 1, strlen(at + 1)))
        return fail(err, errlen, "invalid version in '%s'", arg);
    *len = (size_t)(at - arg);
    return 0;
}

static bool has_scheme(const char *arg, size_t n)
{
    const char *p = memchr(arg, ':', n);

    return p && p > arg && p + 2 < arg + n && p[1] == '/' && p[2] == '/';
}

/* "file:///srv/repo.git" → name "repo"; the URL is the repository. */
static int parse_url(const char *arg, size_t n, struct mc_run_source *s, char *err,
                     size_t errlen)
{
    if (!copy(s->url, sizeof(s->url), arg, n))
        return fail(err, errlen, "source too long");
    if (!last_part(arg, n, s->name, sizeof(s->name)))
        return fail(err, errlen, "invalid source '%s'", arg);
    size_t k = strlen(s->name);
    if (k > 4 && strcmp(s->name + k - 4, ".git") == 0)
        s->name[k - 4] = '\0';
    return 0;
}

/* "host/org/repo[/folder...]": repository https://host/org/repo. */
static int parse_repo_path(const char *arg, size_t n, struct mc_run_source *s, char *err,
                           size_t errlen)
{
    size_t parts = 0, repo_end = n;

    while (n > 0 && arg[n - 1] == '/')
        n--;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || arg[i] == '/') {
            parts++;
            if (parts == 3)
                repo_end = i;
        }
    }
    if (parts < 3 || strstr(arg, "//"))
        return fail(err, errlen, "invalid source '%.*s': expected host/org/repo[/folder]",
                    (int)n, arg);
    if (snprintf(s->url, sizeof(s->url), "https://%.*s", (int)repo_end, arg) >=
        (int)sizeof(s->url))
        return fail(err, errlen, "source too long");
    if (repo_end < n && !copy(s->folder, sizeof(s->folder), arg + repo_end + 1,
                              n - repo_end - 1))
        return fail(err, errlen, "source too long");
    if (!last_part(arg, n, s->name, sizeof(s->name)))
        return fail(err, errlen, "invalid source '%s'", arg);
    return 0;
}

int mc_run_source_parse(const char *arg, bool local_dir, const char *base,
                        struct mc_run_source *s, char *err, size_t errlen)
{
    char expanded[MC_RUN_ARG_MAX];
    size_t n;
    int rc;

    memset(s, 0, sizeof(*s));
    if (!arg || !*arg)
        return fail(err, errlen, "no source given");
    if (strlen(arg) >= MC_RUN_ARG_MAX)
        return fail(err, errlen, "source too long");
    if (arg[0] == '/' || arg[0] == '.' || local_dir) {
        /* a folder: no @ref (a path may contain '@'); the version is latest */
        s->local = true;
        snprintf(s->version, sizeof(s->version), "latest");
        n = strlen(arg);
        copy(s->path, sizeof(s->path), arg, n);
        return 0;
    }
    rc = split_ref(arg, &n, s, err, errlen);
    if (rc < 0)
        return rc;
    if (has_scheme(arg, n))
        rc = parse_url(arg, n, s, err, errlen);
    else {
        const char *slash = memchr(arg, '/', n);
        size_t first = slash ? (size_t)(slash - arg) : n;
        if (!memchr(arg, '.', first)) {
            /* no domain: a short name under the configured base */
            const char *b = base && *base ? base : MC_RUN_DEFAULT_BASE;
            size_t bl = strlen(b);
            while (bl > 0 && b[bl - 1] == '/')
                bl--;
            if (snprintf(expanded, sizeof(expanded), "%.*s/%.*s", (int)bl, b, (int)n, arg) >=
                (int)sizeof(expanded))
                return fail(err, errlen, "source too long");
            arg = expanded;
            n = strlen(expanded);
        }
        /* a base with a scheme holds repositories: the name is one of them */
        rc = has_scheme(arg, n) ? parse_url(arg, n, s, err, errlen)
                                : parse_repo_path(arg, n, s, err, errlen);
    }
    if (rc == 0 && !mc_run_name_valid(s->name))
        rc = fail(err, errlen, "invalid service name '%s'", s->name);
    return rc;
}

const char *mc_run_status_name(int status)
{
    static const char *const names[] = { "unknown", "pending", "building", "starting",
                                         "running", "stopping", "stopped",  "error" };

    return status > 0 && status < (int)MC_ARRAY_LEN(names) ? names[status] : "unknown";
}

/* Digits of s[*i..*i+n) as a number; false when not all digits. */
static bool digits(const char *s, size_t *i, size_t n, int *out)
{
    int v = 0;

    for (size_t k = 0; k < n; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t *i, char c)
{
    if (s[*i] != c)
        return false;
    (*i)++;
    return true;
}

int64_t mc_run_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

bool mc_run_parse_rfc3339(const char *s, int64_t *unix_ns)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, oh = 0, om = 0;   /* (set by digits; -O3 cannot see it) */
    int64_t frac = 0, scale = NS_PER_S;
    size_t i = 0;
    struct tm tm;

    if (!digits(s, &i, 4, &y) || !expect(s, &i, '-') || !digits(s, &i, 2, &mo) ||
        !expect(s, &i, '-') || !digits(s, &i, 2, &d) || !expect(s, &i, 'T') ||
        !digits(s, &i, 2, &h) || !expect(s, &i, ':') || !digits(s, &i, 2, &mi) ||
        !expect(s, &i, ':') || !digits(s, &i, 2, &sec))
        return false;
    if (s[i] == '.') {
        i++;
        if (s[i] < '0' || s[i] > '9')
            return false;
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
        }
    }
    int sign = 0;
    if (s[i] == 'Z')
        i++;
    else if (s[i] == '+' || s[i] == '-') {
        sign = s[i++] == '+' ? 1 : -1;
        if (!digits(s, &i, 2, &oh) || !expect(s, &i, ':') || !digits(s, &i, 2, &om))
            return false;
    } else
        return false;
    if (s[i] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 59 || oh > 23 || om > 59)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
    *unix_ns = t * NS_PER_S + frac;
    return true;
}

int mc_run_time_ago(struct mc_buf *out, const char *v, int64_t now_ns)
{
    int64_t t, d, days, h, m;
    bool lead = false;
    int rc = 0;

    if (!v || !*v)
        return mc_buf_append_str(out, "unknown");
    if (!mc_run_parse_rfc3339(v, &t))
        return mc_buf_append_str(out, v);
    d = now_ns - t;
    /* time.Duration.Round(time.Second): halves away from zero */
    d = d >= 0 ? (d + NS_PER_S / 2) / NS_PER_S : -((-d + NS_PER_S / 2) / NS_PER_S);
    days = d / 86400;
    if (days > 0) {
        d -= days * 86400;
        rc = mc_buf_appendf(out, "%lldd", (long long)days);
        lead = true;
    }
    h = d / 3600;
    if (rc == 0 && (lead || h > 0)) {
        d -= h * 3600;
        rc = mc_buf_appendf(out, "%lldh", (long long)h);
        lead = true;
    }
    m = d / 60;
    if (rc == 0 && (lead || m > 0)) {
        d -= m * 60;
        rc = mc_buf_appendf(out, "%lldm", (long long)m);
    }
    return rc ? rc : mc_buf_appendf(out, "%llds ago", (long long)d);
}

static const char *meta(const cJSON *svc, const char *key)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(svc, "metadata");
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, key));

    return v ? v : "";
}

static const char *str_or_na(const char *v)
{
    return v && *v ? v : "n/a";
}

static int status_of(const cJSON *svc)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(svc, "status");
    static const char *const names[] = { "UNKNOWN", "PENDING", "BUILDING", "STARTING",
                                         "RUNNING", "STOPPING", "STOPPED", "ERROR" };

    if (cJSON_IsNumber(st))
        return (int)st->valuedouble;
    if (cJSON_IsString(st)) /* an enum by name, should a server send one */
        for (size_t i = 0; i < MC_ARRAY_LEN(names); i++)
            if (strcmp(st->valuestring, names[i]) == 0)
                return (int)i;
    return 0;
}

static const char *name_of(const cJSON *svc)
{
    const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "name"));
    return n ? n : "";
}

static int cmp_services(const void *a, const void *b)
{
    return strcmp(name_of(*(const cJSON *const *)a), name_of(*(const cJSON *const *)b));
}

static int status_row(struct mc_table *t, const cJSON *svc, int64_t now_ns)
{
    struct mc_buf updated, md;
    const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "source"));
    const cJSON *mdo = cJSON_GetObjectItemCaseSensitive(svc, "metadata");
    int status = status_of(svc);
    char build[8];
    int rc;

    /* the argument given to `micro run` wins over the source id it became */
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(mdo, "source")))
        source = meta(svc, "source");
    snprintf(build, sizeof(build), "%s", str_or_na(meta(svc, "build")));
    mc_buf_init(&updated, 256);
    mc_buf_init(&md, 64 * 1024);
    mc_run_time_ago(&updated, meta(svc, "started"), now_ns);
    mc_buf_appendf(&md, "owner=%s, group=%s", str_or_na(meta(svc, "owner")),
                   str_or_na(meta(svc, "group")));
    if (status == 7)
        mc_buf_appendf(&md, ", error=%s", str_or_na(meta(svc, "error")));
    rc = mc_table_printf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name_of(svc),
                         str_or_na(cJSON_GetStringValue(
                             cJSON_GetObjectItemCaseSensitive(svc, "version"))),
                         str_or_na(source), mc_run_status_name(status), build,
                         str_or_na(mc_buf_cstr(&updated)), mc_buf_cstr(&md));
    mc_buf_release(&updated);
    mc_buf_release(&md);
    return rc;
}

int mc_run_status_table(struct mc_buf *out, const cJSON *services, int64_t now_ns)
{
    int n = cJSON_GetArraySize(services), k = 0, rc;
    const cJSON **rows;
    const cJSON *s;
    struct mc_table *t;

    if (n <= 0)
        return 0;
    rows = mc_calloc((size_t)n, sizeof(*rows));
    cJSON_ArrayForEach(s, services)
    {
        if (cJSON_IsObject(s) && k < n)
            rows[k++] = s;
    }
    qsort(rows, (size_t)k, sizeof(*rows), cmp_services);
    t = mc_table_new(0, 1, '\t', true);
    rc = mc_table_write(t, "NAME\tVERSION\tSOURCE\tSTATUS\tBUILD\tUPDATED\tMETADATA\n");
    for (int i = 0; i < k && rc == 0; i++)
        rc = status_row(t, rows[i], now_ns);
    free(rows);
    if (rc < 0) {
        mc_table_free(t);
        return rc;
    }
    return mc_bi_table_flush(t, out);
}

int mc_run_log_line(struct mc_buf *out, const cJSON *record, bool json)
{
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "message"));
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(record, "metadata");
    int rc;

    if (!msg)
        msg = "";
    if (!json)
        return mc_buf_appendf(out, "%s\n", msg);
    rc = mc_buf_append_str(out, "{\"Message\":");
    if (rc == 0)
        rc = mc_go_json_string(out, msg, strlen(msg));
    if (rc == 0)
        rc = mc_buf_append_str(out, ",\"Metadata\":");
    /* a Go map decoded from an empty proto map is nil: null */
    if (rc == 0)
        rc = cJSON_IsObject(md) && md->child ? mc_go_json_marshal(out, md)
                                             : mc_buf_append_str(out, "null");
    return rc ? rc : mc_buf_append_str(out, "}\n");
}

/* ---- run --watch: what counts as a source ---------------------------------------- */

static bool watched_name(const char *name)
{
    static const char *const exts[] = { ".c", ".h", ".cc", ".cpp", ".hpp", ".proto", ".cmake" };
    const char *dot = strrchr(name, '.');

    if (strcmp(name, "CMakeLists.txt") == 0 || strcmp(name, "Makefile") == 0 ||
        strcmp(name, "makefile") == 0 || strcmp(name, "GNUmakefile") == 0)
        return true;
    for (size_t i = 0; dot && i < MC_ARRAY_LEN(exts); i++) {
        if (strcmp(dot, exts[i]) == 0)
            return true;
    }
    return false;
}

static bool skipped(const char *name, const char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++) {
        if (strcmp(name, skip[i]) == 0)
            return true;
    }
    return false;
}

struct fingerprint {
    uint64_t hash;
    unsigned files;
    const char *const *skip;
};

static void fingerprint_dir(struct fingerprint *fp, const char *dir, int depth);

static void fingerprint_entry(struct fingerprint *fp, const char *dir, const char *name, int depth)
{
    char path[4096];
    struct stat st;

    if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
        return;
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
        lstat(path, &st) < 0 || fp->files >= MC_RUN_WATCH_FILES)
        return;
    if (S_ISDIR(st.st_mode)) {
        if (!skipped(name, fp->skip))
            fingerprint_dir(fp, path, depth + 1);
    } else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && watched_name(name)) {
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        uint64_t size = (uint64_t)st.st_size;

        fp->hash = mc_fnv1a(fp->hash, path, strlen(path) + 1);
        fp->hash = mc_fnv1a(fp->hash, &size, sizeof(size));
        fp->hash = mc_fnv1a(fp->hash, &mtime, sizeof(mtime));
        fp->files++;
    }
}

/* Entries are visited in name order, so the same tree always hashes the same. */
static void fingerprint_dir(struct fingerprint *fp, const char *dir, int depth)
{
    struct dirent **ents = NULL;
    int n = depth > 32 ? -1 : scandir(dir, &ents, NULL, alphasort);

    for (int i = 0; i < n; i++) {
        fingerprint_entry(fp, dir, ents[i]->d_name, depth);
        free(ents[i]);
    }
    free(ents);
}

uint64_t mc_run_tree_fingerprint(const char *dir, const char *const *skip)
{
    struct fingerprint fp = { .hash = MC_FNV1A_INIT, .skip = skip };

    fingerprint_dir(&fp, dir, 0);
    return fp.hash;
}
