/*
 * Helpers of the core-service builtins (builtin_util.h): the JSON call, the
 * wrapped-error report, and exact re-implementations of the few Go library
 * outputs upstream's commands print (durations, JSON strings, relative
 * times, ASCII tables), so our bytes match upstream's.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin_util.h"
#include "cli.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_grpc.h"
#include "output.h"

#include "mc_banned.h"

int mc_bi_call(struct mc_cli *cli, const char *service, const char *endpoint, const cJSON *req,
               cJSON **rsp, struct mc_cli_failure *f)
{
    char *body = req ? cJSON_PrintUnformatted(req) : mc_strdup("{}");
    char *text = NULL;
    int rc;

    if (!body)
        mc_malloc((size_t)-1); /* cJSON fails only on OOM: abort as everywhere */
    rc = mc_cli_call(cli, service, endpoint, body, NULL, &text, f);
    free(body);
    if (rc != 0)
        return -1;
    *rsp = cJSON_Parse(text);
    free(text);
    if (!*rsp || !cJSON_IsObject(*rsp)) {
        cJSON_Delete(*rsp);
        *rsp = NULL;
        f->kind = MC_CLI_LOCAL;
        mc_error_set(&f->error, "go.micro.client", 500, "invalid response from %s", service);
        return -1;
    }
    return 0;
}

int mc_bi_fail_plain(struct mc_cli *cli, const struct mc_cli_failure *f, const char *fmt, ...)
{
    struct mc_buf text;
    va_list ap;

    if (f->kind == MC_CLI_DIAL || f->kind == MC_CLI_OK)
        return mc_cli_fail(cli, f);
    mc_buf_init(&text, 8192);
    if (fmt) {
        va_start(ap, fmt);
        mc_buf_vappendf(&text, fmt, ap);
        va_end(ap);
        mc_buf_append_str(&text, ": ");
    }
    /* Go prints a wrapped *errors.Error through its Error(), i.e. its JSON */
    if (!fmt || f->kind != MC_CLI_MICRO_ERROR || mc_error_to_json(&f->error, &text) < 0)
        mc_buf_append_str(&text, f->error.detail ? f->error.detail : "");
    mc_out_capitalized(cli->out, mc_buf_cstr(&text));
    fputc('\n', cli->out);
    mc_buf_release(&text);
    return 1;
}

int mc_bi_fail_text(struct mc_cli *cli, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    mc_out_capitalized(cli->out, text);
    fputc('\n', cli->out);
    return 1;
}

int mc_bi_table_flush(struct mc_table *t, struct mc_buf *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc;

    if (!mem) {
        mc_table_free(t);
        return MC_ENOMEM;
    }
    rc = mc_table_flush(t, mem);
    if (fclose(mem) != 0 || rc != 0)
        rc = MC_ENOMEM;
    else
        rc = mc_buf_append(out, text, len);
    free(text);
    return rc;
}

/* --- time.ParseDuration ---------------------------------------------------------- */

/* strconv.Quote for the texts a duration can hold (ASCII; others as \x escapes). */
static void go_quote(char *out, size_t outlen, const char *s)
{
    size_t o = 0;

    if (outlen < 3) {
        if (outlen)
            *out = '\0';
        return;
    }
    out[o++] = '"';
    for (; *s && o + 6 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, outlen - o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o++] = '"';
    out[o] = '\0';
}

static int dur_error(char *err, size_t errlen, const char *what, const char *unit,
                     const char *orig)
{
    char q[128], u[64];

    go_quote(q, sizeof(q), orig);
    if (unit) {
        go_quote(u, sizeof(u), unit);
        snprintf(err, errlen, "time: unknown unit %s in duration %s", u, q);
    } else {
        snprintf(err, errlen, "time: %s %s", what, q);
    }
    return MC_EINVAL;
}

static uint64_t unit_ns(const char *u, size_t n)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", 1000000000ull},
        {"m", 60000000000ull},
        {"h", 3600000000000ull},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ns;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One "<int>[.<frac>]<unit>" component at *sp, added to *d. 0, or -1 with the
 * kind of error in *why (1 invalid, 2 missing unit, 3 unknown unit: *unit set). */
static int dur_component(const char **sp, uint64_t *d, int *why, char *unit, size_t unitlen)
{
    const char *s = *sp;
    uint64_t v = 0, f = 0;
    double scale = 1;
    bool pre = false, post = false, overflow = false;

    if (!(*s == '.' || is_digit(*s)))
        return *why = 1, -1;
    for (; is_digit(*s); s++, pre = true) {
        if (v > (UINT64_C(1) << 63) / 10)
            return *why = 1, -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > (UINT64_C(1) << 63))
            return *why = 1, -1;
    }
    if (*s == '.') {
        for (s++; is_digit(*s); s++, post = true) {
            if (overflow)
                continue;
            if (f > (UINT64_C(1) << 63) / 10) { /* Go stops accumulating, keeps skipping */
                overflow = true;
                continue;
            }
            f = f * 10 + (uint64_t)(*s - '0');
            scale *= 10;
        }
    }
    if (!pre && !post)
        return *why = 1, -1;
    size_t n = 0;
    while (s[n] && s[n] != '.' && !is_digit(s[n]))
        n++;
    if (n == 0)
        return *why = 2, -1;
    uint64_t u = unit_ns(s, n);
    if (u == 0) {
        snprintf(unit, unitlen, "%.*s", (int)n, s);
        return *why = 3, -1;
    }
    if (v > (UINT64_C(1) << 63) / u)
        return *why = 1, -1;
    v *= u;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)u / scale));
        if (v > (UINT64_C(1) << 63))
            return *why = 1, -1;
    }
    *d += v;
    if (*d > (UINT64_C(1) << 63))
        return *why = 1, -1;
    *sp = s + n;
    return 0;
}

int mc_go_parse_duration(const char *orig, int64_t *ns, char *err, size_t errlen)
{
    const char *s = orig;
    bool neg = false;
    uint64_t d = 0;
    char unit[64];
    int why = 0;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*s == '\0')
        return dur_error(err, errlen, "invalid duration", NULL, orig);
    while (*s) {
        if (dur_component(&s, &d, &why, unit, sizeof(unit)) < 0)
            return dur_error(err, errlen,
                             why == 2 ? "missing unit in duration" : "invalid duration",
                             why == 3 ? unit : NULL, orig);
    }
    if (neg) {
        *ns = d == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)d;
        return 0;
    }
    if (d > (uint64_t)INT64_MAX)
        return dur_error(err, errlen, "invalid duration", NULL, orig);
    *ns = (int64_t)d;
    return 0;
}

/* --- encoding/json strings --------------------------------------------------------- */

/* Decodes one UTF-8 sequence as Go does: returns its length and the code point,
 * or 0 for an invalid byte (Go then takes one byte as U+FFFD). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80)
        return *cp = s[0], 1;
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] > 0xf4 || n > len)
        return 0;
    uint32_t c = s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

bool mc_go_has_rune_error(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0 || cp == 0xfffd)
            return true;
        i += n;
    }
    return false;
}

int mc_go_json_string(struct mc_buf *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int rc = mc_buf_append_byte(out, '"');

    for (size_t i = 0; i < len && rc == 0;) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0) {
            rc = mc_buf_append_str(out, "\\ufffd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            rc = mc_buf_appendf(out, "\\%c", (char)cp);
        else if (cp == '\n')
            rc = mc_buf_append_str(out, "\\n");
        else if (cp == '\r')
            rc = mc_buf_append_str(out, "\\r");
        else if (cp == '\t')
            rc = mc_buf_append_str(out, "\\t");
        else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 ||
                 cp == 0x2029)
            rc = mc_buf_appendf(out, "\\u%04x", (unsigned)cp);
        else
            rc = mc_buf_append(out, s + i, n);
        i += n;
    }
    return rc ? rc : mc_buf_append_byte(out, '"');
}

/* strconv.FormatFloat(f, 'f' or 'e', -1, 64) as encoding/json picks them. */
static int go_float(struct mc_buf *out, double f)
{
    char text[64];
    double a = f < 0 ? -f : f;
    bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
    int prec;

    /* the shortest precision that reads back the same double */
    for (prec = 1; prec < 17; prec++) {
        snprintf(text, sizeof(text), "%.*e", prec - 1, f);
        if (strtod(text, NULL) == f)
            break;
    }
    if (exp) {
        snprintf(text, sizeof(text), "%.*e", prec - 1, f);
        char *e = strchr(text, 'e');
        /* C writes at least two exponent digits; Go writes "e-7" but "e+21" */
        if (e && e[2] == '0' && e[3] != '\0')
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
        return mc_buf_append_str(out, text);
    }
    /* 'f' with exactly the digits needed: %.*e told how many are significant */
    snprintf(text, sizeof(text), "%.*e", prec - 1, f);
    int e10 = (int)strtol(strchr(text, 'e') + 1, NULL, 10);
    int decimals = prec - 1 - e10;
    snprintf(text, sizeof(text), "%.*f", decimals > 0 ? decimals : 0, f);
    return mc_buf_append_str(out, text);
}

struct kid {
    const cJSON *item;
    size_t pos;
};

/* By key bytewise, then document position, so a repeated key's last copy sorts last. */
static int kid_cmp(const void *a, const void *b)
{
    const struct kid *x = a, *y = b;
    int c = strcmp(x->item->string, y->item->string);

    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int go_object(struct mc_buf *out, const cJSON *v)
{
    size_t n = 0, i = 0;
    const cJSON *c;
    bool first = true;
    int rc;

    cJSON_ArrayForEach(c, v)
        n++;
    struct kid *kids = mc_calloc(n ? n : 1, sizeof(*kids));
    cJSON_ArrayForEach(c, v) {
        kids[i].item = c;
        kids[i].pos = i;
        i++;
    }
    qsort(kids, n, sizeof(*kids), kid_cmp);
    rc = mc_buf_append_byte(out, '{');
    for (i = 0; i < n && rc == 0; i++) {
        const cJSON *k = kids[i].item;
        if (i + 1 < n && strcmp(k->string, kids[i + 1].item->string) == 0)
            continue; /* json.Unmarshal into a map: the later duplicate wins */
        if (!first)
            rc = mc_buf_append_byte(out, ',');
        first = false;
        if (rc == 0)
            rc = mc_go_json_string(out, k->string, strlen(k->string));
        if (rc == 0)
            rc = mc_buf_append_byte(out, ':');
        if (rc == 0)
            rc = mc_go_json_marshal(out, k);
    }
    free(kids);
    return rc ? rc : mc_buf_append_byte(out, '}');
}

int mc_go_json_marshal(struct mc_buf *out, const cJSON *v)
{
    const cJSON *c;
    int rc;

    if (cJSON_IsObject(v))
        return go_object(out, v);
    if (cJSON_IsArray(v)) {
        bool first = true;
        rc = mc_buf_append_byte(out, '[');
        cJSON_ArrayForEach(c, v) {
            if (rc == 0 && !first)
                rc = mc_buf_append_byte(out, ',');
            first = false;
            if (rc == 0)
                rc = mc_go_json_marshal(out, c);
        }
        return rc ? rc : mc_buf_append_byte(out, ']');
    }
    if (cJSON_IsString(v))
        return mc_go_json_string(out, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsNumber(v))
        return go_float(out, v->valuedouble);
    if (cJSON_IsBool(v))
        return mc_buf_append_str(out, cJSON_IsTrue(v) ? "true" : "false");
    return mc_buf_append_str(out, "null");
}

int mc_go_base64(struct mc_buf *out, const void *data, size_t len)
{
    int rc = mc_grpc_base64_encode(out, data, len);

    for (size_t pad = (3 - len % 3) % 3; rc == 0 && pad > 0; pad--)
        rc = mc_buf_append_byte(out, '=');
    return rc;
}

/* --- go-humanize ---------------------------------------------------------------------- */

int mc_go_humanize_ahead(struct mc_buf *out, int64_t d)
{
    const int64_t sec = 1000000000, min = 60 * sec, hour = 60 * min, day = 24 * hour,
                  week = 7 * day, month = 30 * day, year = 12 * month;
    const struct {
        int64_t below;
        const char *text; /* after the count when div != 0; then " from now" */
        int64_t div;
    } mags[] = {
        {2 * sec, "1 second", 0},   {min, "seconds", sec},  {2 * min, "1 minute", 0},
        {hour, "minutes", min}, {2 * hour, "1 hour", 0},    {day, "hours", hour},
        {2 * day, "1 day", 0},      {week, "days", day},    {2 * week, "1 week", 0},
        {month, "weeks", week}, {2 * month, "1 month", 0},  {year, "months", month},
        {18 * month, "1 year", 0},  {2 * year, "2 years", 0},    {37 * year, "years", year},
    };

    if (d < sec)
        return mc_buf_append_str(out, "now");
    for (size_t i = 0; i < sizeof(mags) / sizeof(mags[0]); i++) {
        if (d >= mags[i].below)
            continue;
        int rc = mags[i].div ? mc_buf_appendf(out, "%lld %s", (long long)(d / mags[i].div),
                                              mags[i].text)
                             : mc_buf_append_str(out, mags[i].text);
        return rc ? rc : mc_buf_append_str(out, " from now");
    }
    return mc_buf_append_str(out, "a long while from now");
}

/* "<u / 10^prec>[.<fraction without trailing zeros>]" */
static int go_frac(struct mc_buf *out, uint64_t u, int prec)
{
    uint64_t scale = 1;
    char frac[24];

    for (int i = 0; i < prec; i++)
        scale *= 10;
    uint64_t f = u % scale;
    if (f == 0)
        return mc_buf_appendf(out, "%llu", (unsigned long long)(u / scale));
    snprintf(frac, sizeof(frac), "%0*llu", prec, (unsigned long long)f);
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0')
        n--;
    return mc_buf_appendf(out, "%llu.%.*s", (unsigned long long)(u / scale), (int)n, frac);
}

int mc_go_duration_string(struct mc_buf *out, int64_t d)
{
    uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    const uint64_t sec = 1000000000;

    if (d < 0)
        mc_buf_append_byte(out, '-');
    if (u == 0)
        return mc_buf_append_str(out, "0s");
    if (u < 1000)
        return mc_buf_appendf(out, "%lluns", (unsigned long long)u);
    if (u < 1000000)
        return go_frac(out, u, 3) ? MC_ETOOBIG : mc_buf_append_str(out, "\xc2\xb5s");
    if (u < sec)
        return go_frac(out, u, 6) ? MC_ETOOBIG : mc_buf_append_str(out, "ms");
    uint64_t s = u / sec, h = s / 3600, m = s / 60 % 60;
    if (h > 0)
        mc_buf_appendf(out, "%lluh", (unsigned long long)h);
    if (h > 0 || m > 0)
        mc_buf_appendf(out, "%llum", (unsigned long long)m);
    /* the seconds with their fraction: (u mod 1 minute) over 10^9 */
    return go_frac(out, u % (60 * sec), 9) ? MC_ETOOBIG : mc_buf_append_byte(out, 's');
}

int mc_go_time_json(struct mc_buf *out, int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    char text[64];

    if (!localtime_r(&t, &tm))
        return mc_buf_appendf(out, "\"%lld\"", (long long)unix_s);
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    if (off == 0)
        return mc_buf_appendf(out, "\"%sZ\"", text);
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    return mc_buf_appendf(out, "\"%s%c%02ld:%02ld\"", text, sign, off / 3600, off / 60 % 60);
}

/* --- olekukonko/tablewriter --------------------------------------------------------- */

/* Display width in runes (every code point counts one, as for our ASCII and ∞). */
static size_t runes(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int table_line(struct mc_buf *out, const size_t *w, size_t ncols)
{
    int rc = mc_buf_append_byte(out, '+');

    for (size_t c = 0; c < ncols && rc == 0; c++) {
        for (size_t i = 0; i < w[c] + 2 && rc == 0; i++)
            rc = mc_buf_append_byte(out, '-');
        if (rc == 0)
            rc = mc_buf_append_byte(out, '+');
    }
    return rc ? rc : mc_buf_append_byte(out, '\n');
}

/* One row; centre = the header's Pad (gap split with the smaller half left). */
static int table_row(struct mc_buf *out, const char *const *cells, const size_t *w,
                     size_t ncols, bool centre)
{
    int rc = mc_buf_append_byte(out, '|');

    for (size_t c = 0; c < ncols && rc == 0; c++) {
        size_t gap = w[c] - runes(cells[c]);
        size_t left = centre ? gap / 2 : 0;
        rc = mc_buf_appendf(out, " %*s%s%*s |", (int)left, "", cells[c], (int)(gap - left), "");
    }
    return rc ? rc : mc_buf_append_byte(out, '\n');
}

int mc_go_ascii_table(struct mc_buf *out, const char *const *header, size_t ncols,
                      const char *const *cells, size_t nrows)
{
    size_t w[16] = {0};
    int rc;

    if (ncols == 0 || ncols > sizeof(w) / sizeof(w[0]))
        return MC_EINVAL;
    for (size_t c = 0; c < ncols; c++) {
        w[c] = runes(header[c]);
        for (size_t r = 0; r < nrows; r++) {
            size_t n = runes(cells[r * ncols + c]);
            w[c] = n > w[c] ? n : w[c];
        }
    }
    if ((rc = table_line(out, w, ncols)) || (rc = table_row(out, header, w, ncols, true)) ||
        (rc = table_line(out, w, ncols)))
        return rc;
    for (size_t r = 0; r < nrows; r++)
        if ((rc = table_row(out, cells + r * ncols, w, ncols, false)))
            return rc;
    return table_line(out, w, ncols);
}
