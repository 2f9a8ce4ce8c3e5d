/*
 * Shared gRPC pieces: see mc_grpc.h. Base64 comes from libsodium (it has the
 * unpadded variant gRPC wants); the rest are small table-free encoders.
 */
#include "mc_grpc.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_grpc_frame.h"
#include "mc_banned.h"

static const char *const code_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *mc_grpc_code_name(int code)
{
    if (code < 0 || (size_t)code >= MC_ARRAY_LEN(code_names))
        return "UNKNOWN";
    return code_names[code];
}

void mc_grpc_limits_default(struct mc_grpc_limits *l)
{
    l->max_recv_msg = MC_GRPC_MAX_MSG_DEFAULT;
    l->max_send_msg = MC_GRPC_MAX_MSG_DEFAULT;
    l->max_header_bytes = 64 * 1024;
    l->max_metadata = 256;
    l->max_streams = 1000;
    l->stream_window = 1024 * 1024;
    l->conn_window = 16 * 1024 * 1024;
    l->max_conns = 10000;
}

void mc_grpc_metadata_init(struct mc_grpc_metadata *md)
{
    md->items = NULL;
    md->count = 0;
    md->cap = 0;
}

void mc_grpc_metadata_release(struct mc_grpc_metadata *md)
{
    for (size_t i = 0; i < md->count; i++) {
        free(md->items[i].key);
        free(md->items[i].value);
    }
    free(md->items);
    mc_grpc_metadata_init(md);
}

bool mc_grpc_key_is_bin(const char *key, size_t key_len)
{
    return key_len >= 4 && strncasecmp(key + key_len - 4, "-bin", 4) == 0;
}

static bool valid_key(const char *key, size_t len)
{
    if (len == 0 || key[0] == ':')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)key[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

int mc_grpc_metadata_add(struct mc_grpc_metadata *md, const char *key, size_t key_len,
                         const char *value, size_t value_len)
{
    struct mc_grpc_md *e;

    if (!valid_key(key, key_len))
        return MC_EINVAL;
    if (!mc_grpc_key_is_bin(key, key_len) && !printable(value, value_len))
        return MC_EINVAL;
    if (md->count == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 8;
        md->items = mc_realloc(md->items, md->cap * sizeof(*md->items));
    }
    e = &md->items[md->count++];
    e->key = mc_strndup(key, key_len);
    for (size_t i = 0; i < key_len; i++)
        e->key[i] = (char)tolower((unsigned char)e->key[i]);
    e->value = mc_malloc(value_len + 1);
    if (value_len)
        memcpy(e->value, value, value_len);
    e->value[value_len] = '\0';
    e->value_len = value_len;
    return MC_OK;
}

int mc_grpc_metadata_add_cstr(struct mc_grpc_metadata *md, const char *key, const char *value)
{
    return mc_grpc_metadata_add(md, key, strlen(key), value, strlen(value));
}

const struct mc_grpc_md *mc_grpc_metadata_get(const struct mc_grpc_metadata *md,
                                              const char *key)
{
    for (size_t i = 0; md && i < md->count; i++)
        if (strcasecmp(md->items[i].key, key) == 0)
            return &md->items[i];
    return NULL;
}

void mc_grpc_metadata_copy(struct mc_grpc_metadata *dst, const struct mc_grpc_metadata *src)
{
    for (size_t i = 0; src && i < src->count; i++) {
        const struct mc_grpc_md *e = &src->items[i];
        /* src entries were validated when added, so this cannot fail */
        (void)mc_grpc_metadata_add(dst, e->key, strlen(e->key), e->value, e->value_len);
    }
}

static uint64_t unit_ns(char u)
{
    switch (u) {
    case 'H': return 3600ull * 1000000000ull;
    case 'M': return 60ull * 1000000000ull;
    case 'S': return 1000000000ull;
    case 'm': return 1000000ull;
    case 'u': return 1000ull;
    case 'n': return 1ull;
    }
    return 0;
}

int mc_grpc_timeout_parse(const char *s, size_t len, uint64_t *ns)
{
    uint64_t v = 0, unit;

    if (len < 2 || len > 9)
        return MC_EINVAL;
    unit = unit_ns(s[len - 1]);
    if (!unit)
        return MC_EINVAL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MC_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *ns = v > UINT64_MAX / unit ? UINT64_MAX : v * unit;
    return MC_OK;
}

void mc_grpc_timeout_format(uint64_t ns, char out[10])
{
    static const struct { char unit; uint64_t ns; } units[] = {
        { 'n', 1ull }, { 'u', 1000ull }, { 'm', 1000000ull }, { 'S', 1000000000ull },
        { 'M', 60000000000ull }, { 'H', 3600000000000ull },
    };
    const uint64_t max = 99999999ull;

    for (size_t i = 0; i < MC_ARRAY_LEN(units); i++) {
        /* Round up so the peer never sees a shorter deadline than ours. */
        uint64_t v = ns / units[i].ns + (ns % units[i].ns != 0);
        if (v <= max || i + 1 == MC_ARRAY_LEN(units)) {
            snprintf(out, 10, "%llu%c", (unsigned long long)MC_MIN(v, max), units[i].unit);
            return;
        }
    }
}

int mc_grpc_percent_encode(struct mc_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c <= 0x7e && c != '%') {
            if (mc_buf_append_byte(out, (char)c) < 0)
                return MC_ETOOBIG;
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            if (mc_buf_append(out, esc, 3) < 0)
                return MC_ETOOBIG;
        }
    }
    return MC_OK;
}

int mc_grpc_percent_decode(struct mc_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < len && mc_hex_value(s[i + 1]) >= 0 && mc_hex_value(s[i + 2]) >= 0) {
            c = (char)(mc_hex_value(s[i + 1]) * 16 + mc_hex_value(s[i + 2]));
            i += 2;
        }
        if (mc_buf_append_byte(out, c) < 0)
            return MC_ETOOBIG;
    }
    return MC_OK;
}

int mc_grpc_base64_encode(struct mc_buf *out, const void *data, size_t len)
{
    const int variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    size_t n = sodium_base64_encoded_len(len, variant);
    char *dst = mc_buf_reserve(out, n);

    if (!dst)
        return MC_ETOOBIG;
    sodium_bin2base64(dst, n, data, len, variant);
    mc_buf_commit(out, n - 1); /* n counts the NUL */
    return MC_OK;
}

int mc_grpc_base64_decode(struct mc_buf *out, const char *s, size_t len)
{
    size_t bin_len = 0, max = len / 4 * 3 + 3;
    char *dst;

    while (len > 0 && s[len - 1] == '=')
        len--;
    dst = mc_buf_reserve(out, max);
    if (!dst)
        return MC_ETOOBIG;
    if (sodium_base642bin((unsigned char *)dst, max, s, len, NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        return MC_EINVAL;
    mc_buf_commit(out, bin_len);
    return MC_OK;
}

int mc_grpc_code_from_http(int http_status)
{
    switch (http_status) {
    case 400: return MC_GRPC_INTERNAL;
    case 401: return MC_GRPC_UNAUTHENTICATED;
    case 403: return MC_GRPC_PERMISSION_DENIED;
    case 404: return MC_GRPC_UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return MC_GRPC_UNAVAILABLE;
    }
    return MC_GRPC_UNKNOWN;
}
