/*
 * The dashboard's bounded log ring and the log view's pure helpers
 * (dash_log.h). The ring stores each line once, as received, so `s` saves
 * exactly what the service wrote; making JSON readable is done per drawn
 * line, which costs a screenful of parses per frame, not one per line.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dash_log.h"
#include "mc_common.h"
#include "mc_banned.h"

void dash_log_init(struct dash_log *l, size_t cap)
{
    memset(l, 0, sizeof(*l));
    l->cap = cap ? cap : DASH_LOG_DEFAULT_LINES;
    l->v = mc_calloc(l->cap, sizeof(*l->v));
}

void dash_log_clear(struct dash_log *l)
{
    for (size_t i = 0; i < l->len; i++)
        free(l->v[(l->head + i) % l->cap].text);
    l->head = l->len = 0;
    l->total = l->dropped = 0;
}

void dash_log_release(struct dash_log *l)
{
    if (!l->v)
        return;
    dash_log_clear(l);
    free(l->v);
    l->v = NULL;
}

void dash_log_push(struct dash_log *l, const char *text, size_t len, int64_t ts)
{
    struct dash_line *slot;

    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len > DASH_LOG_LINE_MAX)
        len = DASH_LOG_LINE_MAX;
    if (l->len == l->cap) {
        /* full: the oldest goes, and is counted, never silently */
        free(l->v[l->head].text);
        l->head = (l->head + 1) % l->cap;
        l->len--;
        l->dropped++;
    }
    slot = &l->v[(l->head + l->len) % l->cap];
    slot->text = mc_strndup(text, len);
    slot->len = len;
    slot->ts = ts;
    l->len++;
    l->total++;
}

const struct dash_line *dash_log_at(const struct dash_log *l, size_t i)
{
    return i < l->len ? &l->v[(l->head + i) % l->cap] : NULL;
}

int dash_log_save(const struct dash_log *l, FILE *f)
{
    if (l->dropped > 0)
        fprintf(f, "[dashboard: %llu earlier lines dropped, buffer of %zu lines]\n",
                (unsigned long long)l->dropped, l->cap);
    for (size_t i = 0; i < l->len; i++) {
        const struct dash_line *ln = dash_log_at(l, i);
        fwrite(ln->text, 1, ln->len, f);
        fputc('\n', f);
    }
    return fflush(f) != 0 || ferror(f) ? MC_EIO : 0;
}

/* The first string member of o named one of keys (NULL-terminated), or NULL. */
static const cJSON *first_of(const cJSON *o, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *keys);
        if (cJSON_IsString(v))
            return v;
    }
    return NULL;
}

static int append_value(struct mc_buf *out, const cJSON *v)
{
    char *s;
    int rc;

    if (cJSON_IsString(v))
        return mc_buf_append_str(out, v->valuestring);
    s = cJSON_PrintUnformatted(v);
    rc = mc_buf_append_str(out, s ? s : "?");
    free(s);
    return rc;
}

int dash_log_readable(const char *text, size_t len, struct mc_buf *out)
{
    static const char *const level_keys[] = { "level", "lvl", "severity", NULL };
    static const char *const msg_keys[] = { "msg", "message", NULL };
    const cJSON *level, *msg, *it;
    cJSON *o;
    int rc = 0;

    o = len > 0 && text[0] == '{' ? cJSON_ParseWithLength(text, len) : NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return mc_buf_append(out, text, len);
    }
    level = first_of(o, level_keys);
    msg = first_of(o, msg_keys);
    if (level) {
        for (const char *p = level->valuestring; *p && rc == 0; p++)
            rc = mc_buf_append_byte(out, (char)toupper((unsigned char)*p));
        if (rc == 0)
            rc = mc_buf_append_byte(out, ' ');
    }
    if (msg && rc == 0)
        rc = mc_buf_append_str(out, msg->valuestring);
    cJSON_ArrayForEach(it, o)
    {
        if (rc != 0 || it == level || it == msg || !it->string)
            continue;
        rc = mc_buf_appendf(out, "%s%s=", out->len ? " " : "", it->string);
        if (rc == 0)
            rc = append_value(out, it);
    }
    cJSON_Delete(o);
    return rc;
}

bool dash_match(const char *text, size_t len, const char *pat)
{
    size_t m = strlen(pat);

    if (m == 0)
        return true;
    for (size_t i = 0; i + m <= len; i++) {
        size_t k = 0;
        while (k < m && tolower((unsigned char)text[i + k]) == tolower((unsigned char)pat[k]))
            k++;
        if (k == m)
            return true;
    }
    return false;
}
