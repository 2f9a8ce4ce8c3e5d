/*
 * Request metadata: the ordered case-insensitive map, Go's header key
 * canonicalisation, the wire filters, timeouts, namespace and Authorization
 * helpers. See mc_metadata.h.
 */
#include "mc_metadata.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mc_banned.h"

/* ---- keys ------------------------------------------------------------------ */

/* RFC 9110 tchar: the bytes a header name may hold. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(struct mc_slice s)
{
    size_t i;

    if (s.len == 0)
        return false;
    for (i = 0; i < s.len; i++)
        if (!is_tchar((unsigned char)s.ptr[i]))
            return false;
    return true;
}

static bool is_header_value(struct mc_slice s)
{
    size_t i;

    for (i = 0; i < s.len; i++)
        if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == '\0')
            return false;
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - ('a' - 'A')) : c;
}

int mc_metadata_canonical_key(const char *key, size_t len, char *out, size_t n)
{
    bool upper = true, valid = is_token((struct mc_slice){ key, len });
    size_t i;

    if (len >= n || len > INT32_MAX)
        return MC_ETOOBIG;
    for (i = 0; i < len; i++) {
        char c = key[i];
        if (valid)
            c = upper ? ascii_upper(c) : ascii_lower(c);
        out[i] = c;
        upper = c == '-';
    }
    out[len] = '\0';
    return (int)len;
}

static char *canonical_dup(struct mc_slice key)
{
    char *out = mc_malloc(key.len + 1);

    mc_metadata_canonical_key(key.ptr, key.len, out, key.len + 1);
    return out;
}

static char *lower_dup(struct mc_slice key)
{
    char *out = mc_malloc(key.len + 1);
    size_t i;

    for (i = 0; i < key.len; i++)
        out[i] = ascii_lower(key.ptr[i]);
    out[key.len] = '\0';
    return out;
}

/* ---- the map --------------------------------------------------------------- */

void mc_metadata_init(struct mc_metadata *md, size_t max_pairs, size_t max_bytes)
{
    md->pairs = NULL;
    md->len = 0;
    md->cap = 0;
    md->bytes = 0;
    md->max_pairs = max_pairs ? max_pairs : MC_METADATA_MAX_PAIRS;
    md->max_bytes = max_bytes ? max_bytes : MC_METADATA_MAX_BYTES;
}

static void pair_free(struct mc_metadata_pair *p)
{
    free(p->key);
    free(p->wire_key);
    free(p->value);
}

void mc_metadata_release(struct mc_metadata *md)
{
    size_t i;

    for (i = 0; i < md->len; i++)
        pair_free(&md->pairs[i]);
    free(md->pairs);
    mc_metadata_init(md, md->max_pairs, md->max_bytes);
}

static struct mc_metadata_pair *find(const struct mc_metadata *md, struct mc_slice key)
{
    size_t i;

    for (i = 0; i < md->len; i++) {
        struct mc_metadata_pair *p = &md->pairs[i];
        if (strlen(p->key) == key.len && strncasecmp(p->key, key.ptr, key.len) == 0)
            return p;
    }
    return NULL;
}

/* New value for an existing pair: value alone, or old + ", " + value. */
static int update(struct mc_metadata *md, struct mc_metadata_pair *p, struct mc_slice value,
                  bool join)
{
    size_t old = strlen(p->value);
    size_t rest = md->bytes - old;
    size_t len;
    char *v;

    if (value.len > md->max_bytes)
        return MC_ETOOBIG;
    len = join ? old + 2 + value.len : value.len;
    if (len > md->max_bytes || rest > md->max_bytes - len)
        return MC_ETOOBIG;
    v = mc_malloc(len + 1);
    if (join) {
        memcpy(v, p->value, old);
        memcpy(v + old, ", ", 2);
    }
    if (value.len)
        memcpy(v + len - value.len, value.ptr, value.len);
    v[len] = '\0';
    free(p->value);
    p->value = v;
    md->bytes = rest + len;
    return MC_OK;
}

static int append_pair(struct mc_metadata *md, struct mc_slice key, struct mc_slice value)
{
    struct mc_metadata_pair *p;
    size_t add = key.len + value.len;

    if (md->len >= md->max_pairs || add > md->max_bytes || md->bytes > md->max_bytes - add)
        return MC_ETOOBIG;
    if (md->len == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 8;
        md->pairs = mc_realloc(md->pairs, md->cap * sizeof(*md->pairs));
    }
    p = &md->pairs[md->len++];
    p->key = canonical_dup(key);
    p->wire_key = lower_dup(key);
    p->value = mc_strndup(value.len ? value.ptr : "", value.len);
    md->bytes += add;
    return MC_OK;
}

static int put(struct mc_metadata *md, struct mc_slice key, struct mc_slice value, bool join)
{
    struct mc_metadata_pair *p;

    if (!is_token(key) || !is_header_value(value))
        return MC_EINVAL;
    p = find(md, key);
    if (p)
        return update(md, p, value, join);
    return append_pair(md, key, value);
}

int mc_metadata_setn(struct mc_metadata *md, struct mc_slice key, struct mc_slice value)
{
    return put(md, key, value, false);
}

int mc_metadata_addn(struct mc_metadata *md, struct mc_slice key, struct mc_slice value)
{
    return put(md, key, value, true);
}

int mc_metadata_set(struct mc_metadata *md, const char *key, const char *value)
{
    return put(md, mc_slice_cstr(key), mc_slice_cstr(value), false);
}

const char *mc_metadata_get(const struct mc_metadata *md, const char *key)
{
    const struct mc_metadata_pair *p = find(md, mc_slice_cstr(key));

    return p ? p->value : NULL;
}

int mc_metadata_del(struct mc_metadata *md, const char *key)
{
    struct mc_metadata_pair *p = find(md, mc_slice_cstr(key));
    size_t i;

    if (!p)
        return MC_ENOTFOUND;
    i = (size_t)(p - md->pairs);
    md->bytes -= strlen(p->key) + strlen(p->value);
    pair_free(p);
    memmove(p, p + 1, (md->len - i - 1) * sizeof(*p));
    md->len--;
    return MC_OK;
}

int mc_metadata_copy(struct mc_metadata *dst, const struct mc_metadata *src)
{
    size_t i;

    if (dst == src)
        return MC_OK;
    mc_metadata_release(dst);
    for (i = 0; i < src->len; i++) {
        const struct mc_metadata_pair *p = &src->pairs[i];
        if (mc_metadata_set(dst, p->key, p->value) != MC_OK) {
            mc_metadata_release(dst);
            return MC_ETOOBIG;
        }
    }
    return MC_OK;
}

/* ---- wire ------------------------------------------------------------------ */

bool mc_metadata_wire_reserved(struct mc_slice name)
{
    static const char *const exact[] = {
        "te", "content-type", "connection", "keep-alive", "proxy-connection",
        "transfer-encoding", "upgrade", "host", "content-length",
    };
    size_t i;

    if (name.len > 0 && name.ptr[0] == ':')
        return true;
    if (name.len >= 5 && strncasecmp(name.ptr, "grpc-", 5) == 0)
        return true;
    for (i = 0; i < MC_ARRAY_LEN(exact); i++)
        if (mc_slice_ieq_cstr(name, exact[i]))
            return true;
    return false;
}

int mc_metadata_add_wire(struct mc_metadata *md, struct mc_slice name, struct mc_slice value)
{
    if (mc_metadata_wire_reserved(name))
        return MC_OK;
    return mc_metadata_addn(md, name, value);
}

int mc_metadata_from_grpc(struct mc_metadata *md, const struct mc_grpc_metadata *gmd)
{
    size_t i;

    for (i = 0; i < gmd->count; i++) {
        const struct mc_grpc_md *e = &gmd->items[i];
        int rc = mc_metadata_add_wire(md, mc_slice_cstr(e->key),
                                      (struct mc_slice){ e->value, e->value_len });
        if (rc == MC_ETOOBIG)
            return rc;
    }
    return MC_OK;
}

size_t mc_metadata_to_grpc(const struct mc_metadata *md, struct mc_grpc_metadata *gmd)
{
    size_t i, skipped = 0;

    for (i = 0; i < md->len; i++) {
        const struct mc_metadata_pair *p = &md->pairs[i];
        struct mc_slice name = mc_slice_cstr(p->wire_key);
        /* The transport sends its own user-agent; a second one would be a duplicate. */
        if (mc_metadata_wire_reserved(name) || mc_slice_eq_cstr(name, "user-agent"))
            continue;
        if (mc_grpc_metadata_add_cstr(gmd, p->wire_key, p->value) != MC_OK)
            skipped++;
    }
    return skipped;
}

/* ---- timeouts -------------------------------------------------------------- */

#define NS_PER_MS UINT64_C(1000000)

/* Digits only, value <= max: 0, MC_EINVAL (syntax) or MC_ETOOBIG. */
static int parse_digits(struct mc_slice s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s.len == 0)
        return MC_EINVAL;
    for (i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.ptr[i] - '0';
        if (d > 9)
            return MC_EINVAL;
    }
    for (i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.ptr[i] - '0';
        if (v > (max - d) / 10)
            return MC_ETOOBIG;
        v = v * 10 + d;
    }
    *out = v;
    return MC_OK;
}

static uint64_t div_up(uint64_t v, uint64_t d)
{
    return v / d + (v % d != 0);
}

int mc_timeout_parse_ns(struct mc_slice s, uint64_t *ms)
{
    uint64_t ns;
    int rc = parse_digits(s, INT64_MAX, &ns);

    if (rc)
        return rc;
    *ms = div_up(ns, NS_PER_MS);
    return MC_OK;
}

int mc_timeout_format_ns(uint64_t ms, char *out, size_t n)
{
    int w;

    if (ms > (uint64_t)INT64_MAX / NS_PER_MS)
        return MC_ETOOBIG;
    w = snprintf(out, n, "%" PRIu64, ms * NS_PER_MS);
    return w < 0 || (size_t)w >= n ? MC_ETOOBIG : MC_OK;
}

/* ---- namespace and authorization ------------------------------------------- */

const char *mc_metadata_namespace(const struct mc_metadata *md)
{
    const char *ns = mc_metadata_get(md, MC_MD_NAMESPACE);

    return ns && *ns ? ns : MC_DEFAULT_NAMESPACE;
}

/* True when header starts with "<scheme> " (scheme in any case); *rest after it. */
static bool has_scheme(const char *header, const char *scheme, const char **rest)
{
    size_t n = strlen(scheme);

    if (strncasecmp(header, scheme, n) != 0 || header[n] != ' ')
        return false;
    *rest = header + n + 1;
    return true;
}

/* Basic base64(user:token): the token is what follows the first ':'. */
static int basic_token(const char *b64, struct mc_buf *token)
{
    size_t len = strlen(b64), bin_len = 0;
    unsigned char *bin = mc_malloc(len + 1);
    const unsigned char *colon;
    int rc = MC_EINVAL;

    if (sodium_base642bin(bin, len + 1, b64, len, NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        (colon = memchr(bin, ':', bin_len)) != NULL) {
        size_t off = (size_t)(colon - bin) + 1;
        if (off < bin_len && !memchr(bin + off, '\0', bin_len - off))
            rc = mc_buf_append(token, bin + off, bin_len - off);
    }
    free(bin);
    return rc;
}

int mc_metadata_auth_token(const char *header, bool allow_basic, struct mc_buf *token)
{
    const char *rest;

    if (!header)
        return MC_EINVAL;
    if (has_scheme(header, "Bearer", &rest))
        return *rest ? mc_buf_append_str(token, rest) : MC_EINVAL;
    if (allow_basic && has_scheme(header, "Basic", &rest) && *rest)
        return basic_token(rest, token);
    return MC_EINVAL;
}
