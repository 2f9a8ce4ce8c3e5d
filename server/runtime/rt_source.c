/* Parsing of runtime sources and path-safe names: see rt_source.h. Everything
 * here is pure so the unit tests cover it without a server. */
#include "runtime/rt_source.h"

#include <stdio.h>
#include <string.h>

#include "mc_common.h"
#include "mc_banned.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

bool rt_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > RT_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!name_char(s[i]))
            return false;
    }
    return true;
}

bool rt_folder_valid(const char *s)
{
    char part[RT_SOURCE_MAX + 1];
    const char *p = s;

    if (!s)
        return false;
    if (strlen(s) > RT_SOURCE_MAX || s[0] == '/')
        return false;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0) { /* "a//b" or a trailing '/' */
            p++;
            continue;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        if (!rt_name_valid(part))
            return false;
        p += n;
    }
    return true;
}

static bool has_scheme(const char *s)
{
    static const char *const schemes[] = { "https://", "http://", "git://", "ssh://", "file://" };

    for (size_t i = 0; i < MC_ARRAY_LEN(schemes); i++) {
        if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
            return true;
    }
    return false;
}

/* "host/org/repo[/folder...]" with a dotted host: the https URL and the folder. */
static int parse_short(const char *base, struct rt_source *out, char *err, size_t errlen)
{
    const char *p = base;
    size_t slashes = 0, host_len = strcspn(base, "/");

    while (*p && slashes < 3) {
        if (*p++ == '/')
            slashes++;
    }
    if (slashes < 2 || !memchr(base, '.', host_len) || strstr(base, "//")) {
        snprintf(err, errlen, "unsupported source %s (want a git URL or host/org/repo)", base);
        return MC_EINVAL;
    }
    /* p is past the third '/', or at the end when there is no folder */
    size_t repo_len = (size_t)(p - base) - (slashes == 3 ? 1 : 0);
    snprintf(out->url, sizeof(out->url), "https://%.*s", (int)repo_len, base);
    snprintf(out->folder, sizeof(out->folder), "%s", slashes == 3 ? p : "");
    if (!rt_folder_valid(out->folder)) {
        snprintf(err, errlen, "bad folder %s in source %s", out->folder, base);
        return MC_EINVAL;
    }
    return MC_OK;
}

int rt_source_parse(const char *src, struct rt_source *out, char *err, size_t errlen)
{
    char base[RT_SOURCE_MAX + 1];
    const char *at;

    memset(out, 0, sizeof(*out));
    if (!src || !src[0] || strlen(src) > RT_SOURCE_MAX) {
        snprintf(err, errlen, "a source of 1 to %d bytes is required", RT_SOURCE_MAX);
        return MC_EINVAL;
    }
    if (strncmp(src, "source://", 9) == 0) {
        out->kind = RT_SOURCE_BLOB;
        snprintf(out->url, sizeof(out->url), "%s", src);
        return MC_OK;
    }
    if (src[0] == '.' || src[0] == '/' || src[0] == '~') {
        snprintf(err, errlen, "local paths are not accepted by the server: upload %s "
                              "(micro run does)", src);
        return MC_EINVAL;
    }
    out->kind = RT_SOURCE_GIT;
    snprintf(base, sizeof(base), "%s", src);
    /* the ref follows the last '@' after the last '/' (user@host is not a ref) */
    at = strrchr(base, '@');
    if (at && !strchr(at, '/')) {
        snprintf(out->ref, sizeof(out->ref), "%s", at + 1);
        base[at - base] = '\0';
        if (!out->ref[0] || strcmp(out->ref, "latest") == 0)
            out->ref[0] = '\0';
    }
    if (has_scheme(base)) {
        snprintf(out->url, sizeof(out->url), "%s", base);
        return MC_OK;
    }
    return parse_short(base, out, err, errlen);
}
