/*
 * The micro error and its encodings: JSON (written by hand so the key order
 * and escaping match upstream byte for byte, read with cJSON), the
 * errors.Error / google.rpc.Status protos (protobuf-c), and the gRPC and HTTP
 * code tables. See mc_error.h.
 */
#include "mc_error.h"

#include "mc_http1.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "errors.pb-c.h"
#include "status.pb-c.h"

#include "mc_banned.h"

/* ---- lifecycle ------------------------------------------------------------- */

void mc_error_init(struct mc_error *e)
{
    e->id = NULL;
    e->code = 0;
    e->detail = NULL;
    e->status = NULL;
}

void mc_error_release(struct mc_error *e)
{
    free(e->id);
    free(e->detail);
    free(e->status);
    mc_error_init(e);
}

static char *dup_or_null(const char *s)
{
    return s ? mc_strdup(s) : NULL;
}

void mc_error_copy(struct mc_error *dst, const struct mc_error *src)
{
    if (dst == src)
        return;
    mc_error_release(dst);
    dst->id = dup_or_null(src->id);
    dst->code = src->code;
    dst->detail = dup_or_null(src->detail);
    dst->status = dup_or_null(src->status);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(str_or_empty(a), str_or_empty(b)) == 0;
}

bool mc_error_equal(const struct mc_error *a, const struct mc_error *b)
{
    return a->code == b->code && str_eq(a->id, b->id) && str_eq(a->detail, b->detail) &&
           str_eq(a->status, b->status);
}

/* ---- constructors ---------------------------------------------------------- */

static char *dup_capped(const char *s, size_t n)
{
    return mc_strndup(s, MC_MIN(n, (size_t)MC_ERROR_TEXT_MAX));
}

/* Sets every field from borrowed bytes; the shared tail of all constructors. */
static void set_fields(struct mc_error *e, const char *id, int32_t code, const char *detail,
                       size_t detail_len)
{
    mc_error_release(e);
    e->id = dup_capped(str_or_empty(id), strlen(str_or_empty(id)));
    e->code = code;
    e->detail = dup_capped(detail, detail_len);
    e->status = mc_strdup(mc_http_status_text(code));
}

void mc_error_vset(struct mc_error *e, const char *id, int32_t code, const char *fmt,
                   va_list ap)
{
    char *detail;
    va_list cp;
    int n;
    size_t size;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    size = n < 0 ? 1 : MC_MIN((size_t)n, (size_t)MC_ERROR_TEXT_MAX) + 1;
    detail = mc_malloc(size);
    detail[0] = '\0';
    if (n > 0)
        vsnprintf(detail, size, fmt, ap);
    set_fields(e, id, code, detail, strlen(detail));
    free(detail);
}

void mc_error_set(struct mc_error *e, const char *id, int32_t code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mc_error_vset(e, id, code, fmt, ap);
    va_end(ap);
}

#define MC_ERROR_HELPER_DEF(name, http_code)                                       \
    void mc_error_##name(struct mc_error *e, const char *id, const char *fmt, ...) \
    {                                                                              \
        va_list ap;                                                                \
        va_start(ap, fmt);                                                         \
        mc_error_vset(e, id, http_code, fmt, ap);                                  \
        va_end(ap);                                                                \
    }
MC_ERROR_HELPERS(MC_ERROR_HELPER_DEF)
#undef MC_ERROR_HELPER_DEF

/* ---- UTF-8 ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there
 * are not one (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len, i;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1fu;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07u;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A heap copy of s without its invalid UTF-8 bytes (Go's strings.ToValidUTF8(s, "")). */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s), i = 0, o = 0;
    char *out = mc_malloc(n + 1);

    while (i < n) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            i++;
            continue;
        }
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return out;
}

/* ---- JSON ------------------------------------------------------------------ */

/* Escape for one byte below 0x20, or NULL when it is written as \u00XX. */
static const char *short_escape(unsigned char c)
{
    switch (c) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    }
    return NULL;
}

static int json_escape_byte(struct mc_buf *out, unsigned char c)
{
    const char *esc = short_escape(c);

    if (c == '"')
        return mc_buf_append(out, "\\\"", 2);
    if (c == '\\')
        return mc_buf_append(out, "\\\\", 2);
    if (esc)
        return mc_buf_append_str(out, esc);
    return mc_buf_appendf(out, "\\u%04x", (unsigned)c);
}

/* Appends s as a JSON string literal, escaped as Go's encoding/json does with
 * SetEscapeHTML(false). */
static int json_string(struct mc_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)str_or_empty(s);
    size_t n = strlen((const char *)p), i = 0;
    int rc = mc_buf_append_byte(out, '"');

    while (rc == 0 && i < n) {
        size_t run = i, k;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            rc = mc_buf_append(out, p + i, run - i);
            i = run;
            continue;
        }
        if (p[i] < 0x80) {
            rc = json_escape_byte(out, p[i++]);
            continue;
        }
        k = utf8_len(p + i, n - i);
        if (k == 0) {
            rc = mc_buf_append_str(out, "\\ufffd");
            k = 1;
        } else if (k == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8) {
            /* U+2028 and U+2029 break JavaScript string literals; Go escapes them. */
            rc = mc_buf_appendf(out, "\\u%04x", 0x2028u + (p[i + 2] & 1u));
        } else {
            rc = mc_buf_append(out, p + i, k);
        }
        i += k;
    }
    return rc ? rc : mc_buf_append_byte(out, '"');
}

int mc_error_to_json(const struct mc_error *e, struct mc_buf *out)
{
    int rc = mc_buf_append_str(out, "{\"id\":");

    if (rc == 0)
        rc = json_string(out, e->id);
    if (rc == 0)
        rc = mc_buf_appendf(out, ",\"code\":%" PRId32 ",\"detail\":", e->code);
    if (rc == 0)
        rc = json_string(out, e->detail);
    if (rc == 0)
        rc = mc_buf_append_str(out, ",\"status\":");
    if (rc == 0)
        rc = json_string(out, e->status);
    if (rc == 0)
        rc = mc_buf_append_byte(out, '}');
    return rc;
}

/* Stores a string member into *dst (null leaves it, as Go does). */
static int json_take_string(const cJSON *item, char **dst)
{
    if (cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item) || !item->valuestring)
        return MC_EPROTO;
    free(*dst);
    *dst = mc_strdup(item->valuestring);
    return 0;
}

static int json_take_code(const cJSON *item, int32_t *dst)
{
    double v;

    if (cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsNumber(item))
        return MC_EPROTO;
    v = item->valuedouble;
    if (!(v >= (double)INT32_MIN && v <= (double)INT32_MAX) || v != (double)(int32_t)v)
        return MC_EPROTO;
    *dst = (int32_t)v;
    return 0;
}

static int json_take_member(struct mc_error *e, const cJSON *item)
{
    const char *k = item->string;

    if (!k)
        return 0;
    if (strcasecmp(k, "id") == 0)
        return json_take_string(item, &e->id);
    if (strcasecmp(k, "code") == 0)
        return json_take_code(item, &e->code);
    if (strcasecmp(k, "detail") == 0)
        return json_take_string(item, &e->detail);
    if (strcasecmp(k, "status") == 0)
        return json_take_string(item, &e->status);
    return 0;
}

static bool only_json_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

int mc_error_from_json(struct mc_error *e, const char *json, size_t len)
{
    const char *end = NULL;
    cJSON *root, *item;
    int rc = 0;

    mc_error_release(e);
    if (len > MC_ERROR_WIRE_MAX)
        return MC_ETOOBIG;
    if (len == 0)
        return MC_EPROTO;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root)
        return MC_EPROTO;
    if (!cJSON_IsObject(root) || !end || !only_json_space(end, json + len))
        rc = MC_EPROTO;
    for (item = root->child; rc == 0 && item; item = item->next)
        rc = json_take_member(e, item);
    cJSON_Delete(root);
    if (rc)
        mc_error_release(e);
    return rc;
}

/* ---- code tables ----------------------------------------------------------- */

int mc_error_grpc_code(int32_t http_code)
{
    switch (http_code) {
    case 200: return MC_GRPC_OK;
    case 400: return MC_GRPC_INVALID_ARGUMENT;
    case 401: return MC_GRPC_UNAUTHENTICATED;
    case 403: return MC_GRPC_PERMISSION_DENIED;
    case 404: return MC_GRPC_NOT_FOUND;
    case 408: return MC_GRPC_DEADLINE_EXCEEDED;
    case 409: return MC_GRPC_ALREADY_EXISTS;
    case 412: return MC_GRPC_FAILED_PRECONDITION;
    case 500: return MC_GRPC_INTERNAL;
    case 501: return MC_GRPC_UNIMPLEMENTED;
    case 503: return MC_GRPC_UNAVAILABLE;
    }
    return MC_GRPC_UNKNOWN;
}

int mc_grpc_code_http_status(int grpc_code)
{
    static const int table[] = {
        [MC_GRPC_OK] = 200,
        [MC_GRPC_CANCELLED] = 499,
        [MC_GRPC_UNKNOWN] = 500,
        [MC_GRPC_INVALID_ARGUMENT] = 400,
        [MC_GRPC_DEADLINE_EXCEEDED] = 504,
        [MC_GRPC_NOT_FOUND] = 404,
        [MC_GRPC_ALREADY_EXISTS] = 409,
        [MC_GRPC_PERMISSION_DENIED] = 403,
        [MC_GRPC_RESOURCE_EXHAUSTED] = 429,
        [MC_GRPC_FAILED_PRECONDITION] = 400,
        [MC_GRPC_ABORTED] = 409,
        [MC_GRPC_OUT_OF_RANGE] = 400,
        [MC_GRPC_UNIMPLEMENTED] = 501,
        [MC_GRPC_INTERNAL] = 500,
        [MC_GRPC_UNAVAILABLE] = 503,
        [MC_GRPC_DATA_LOSS] = 500,
        [MC_GRPC_UNAUTHENTICATED] = 401,
    };

    if (grpc_code < 0 || (size_t)grpc_code >= MC_ARRAY_LEN(table))
        return 500;
    return table[grpc_code];
}

/* ---- gRPC status ----------------------------------------------------------- */

/* errors.Error packed, with proto3-valid (UTF-8) strings. Caller frees *out. */
static size_t pack_error_proto(const struct mc_error *e, uint8_t **out)
{
    Errors__Error msg = ERRORS__ERROR__INIT;
    size_t n;

    msg.id = utf8_clean(str_or_empty(e->id));
    msg.code = e->code;
    msg.detail = utf8_clean(str_or_empty(e->detail));
    msg.status = utf8_clean(str_or_empty(e->status));
    n = errors__error__get_packed_size(&msg);
    *out = mc_malloc(n);
    errors__error__pack(&msg, *out);
    free(msg.id);
    free(msg.detail);
    free(msg.status);
    return n;
}

/* Appends google.rpc.Status{code, message, [Any{errors.Error}]} to out. */
static int pack_status(const struct mc_error *e, int grpc_code, const char *message,
                       struct mc_buf *out)
{
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    Google__Rpc__Any any = GOOGLE__RPC__ANY__INIT;
    Google__Rpc__Any *anys[1] = { &any };
    uint8_t *packed = NULL;
    char *dst;
    size_t n;

    any.type_url = (char *)MC_ERROR_TYPE_URL;
    any.value.len = pack_error_proto(e, &packed);
    any.value.data = packed;
    st.code = grpc_code;
    st.message = (char *)message;
    st.n_details = 1;
    st.details = anys;
    n = google__rpc__status__get_packed_size(&st);
    dst = mc_buf_reserve(out, n);
    if (dst) {
        google__rpc__status__pack(&st, (uint8_t *)dst);
        mc_buf_commit(out, n);
    }
    free(packed);
    return dst ? 0 : MC_ETOOBIG;
}

int mc_error_to_grpc_status(const struct mc_error *e, int *grpc_code, struct mc_buf *message,
                            struct mc_buf *details)
{
    size_t mark = message->len;
    int rc = mc_error_to_json(e, message);

    if (rc)
        return rc;
    *grpc_code = mc_error_grpc_code(e->code);
    /* The JSON just appended is NUL-terminated by the buffer. */
    return pack_status(e, *grpc_code, mc_buf_cstr(message) + mark, details);
}

/* True when an Any's type_url names errors.Error (any host before the last '/'). */
static bool is_error_type(const char *type_url)
{
    const char *slash = strrchr(type_url, '/');

    return strcmp(slash ? slash + 1 : type_url, "errors.Error") == 0;
}

static int unpack_error_any(struct mc_error *e, const Google__Rpc__Any *any)
{
    Errors__Error *msg;

    if (!any || !any->type_url || !is_error_type(any->type_url))
        return MC_ENOTFOUND;
    msg = errors__error__unpack(NULL, any->value.len, any->value.data);
    if (!msg)
        return MC_EPROTO;
    e->id = mc_strdup(str_or_empty(msg->id));
    e->code = msg->code;
    e->detail = mc_strdup(str_or_empty(msg->detail));
    e->status = mc_strdup(str_or_empty(msg->status));
    errors__error__free_unpacked(msg, NULL);
    return 0;
}

int mc_error_from_status_details(struct mc_error *e, const uint8_t *details, size_t len)
{
    Google__Rpc__Status *st;
    int rc;

    mc_error_release(e);
    if (len > MC_ERROR_WIRE_MAX)
        return MC_ETOOBIG;
    st = google__rpc__status__unpack(NULL, len, details);
    if (!st)
        return MC_EPROTO;
    rc = st->n_details ? unpack_error_any(e, st->details[0]) : MC_ENOTFOUND;
    google__rpc__status__free_unpacked(st, NULL);
    return rc;
}

int mc_error_from_grpc_status(struct mc_error *e, int grpc_code, struct mc_slice message,
                              const uint8_t *details, size_t details_len)
{
    mc_error_release(e);
    if (grpc_code == MC_GRPC_OK)
        return MC_EINVAL;
    if (details && details_len && mc_error_from_status_details(e, details, details_len) == 0)
        return 0;
    if (mc_error_from_json(e, message.ptr, message.len) == 0 && e->code > 0)
        return 0;
    set_fields(e, MC_ERROR_ID_CLIENT, 500, message.len ? message.ptr : "", message.len);
    return 0;
}

int mc_error_unknown_service(struct mc_buf *out, const char *service, const char *method)
{
    if (method)
        return mc_buf_appendf(out, "unknown service %s.%s", service, method);
    return mc_buf_appendf(out, "unknown service %s", service);
}
