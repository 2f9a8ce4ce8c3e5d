/*
 * JSON <-> protobuf transcoding driven by protobuf-c descriptors (see
 * mc_pbjson.h for the dialect). The encoder writes text straight into a capped
 * mc_buf, because cJSON's printer formats neither numbers nor indentation the
 * way Go does. The decoder walks a cJSON tree whose number items carry their
 * source text (attached by a forward scan of the input in document order), so
 * 64-bit integers keep every digit. Numbers are parsed and printed in the "C"
 * locale: the client calls setlocale() for ncurses and readline.
 */
#include "mc_pbjson.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium/utils.h>

#include "mc_banned.h"

/* ---- errors, locale, small helpers ---------------------------------------- */

static int fail(struct mc_pbjson_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error only (later ones are consequences) and returns code. */
static int fail(struct mc_pbjson_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && err->code == MC_OK) {
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

static struct mc_pbjson_err *err_begin(struct mc_pbjson_err *err, struct mc_pbjson_err *local)
{
    if (!err)
        err = local;
    err->code = MC_OK;
    err->msg[0] = '\0';
    return err;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale_obj;

static void c_locale_init(void)
{
    c_locale_obj = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_locale_obj) {
        fprintf(stderr, "fatal: cannot create the C locale\n");
        abort();
    }
}

static locale_t c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale_obj;
}

/* "%.*e" of v in the C locale (the decimal point must be '.'). */
static void format_exp(char *buf, size_t n, int prec, double v)
{
    locale_t old = uselocale(c_locale());

    snprintf(buf, n, "%.*e", prec, v);
    uselocale(old);
}

static bool is_json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool all_ws(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_json_ws(s[i]))
            return false;
    return true;
}

/* Bytes one element of a field's type occupies in a protobuf-c struct/array. */
static size_t type_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4;   /* 32-bit ints, float, enum (protobuf-c stores enums as 4 bytes) */
    }
}

static const char *type_name(ProtobufCType t)
{
    static const char *const names[] = {
        "int32", "sint32", "sfixed32", "int64", "sint64", "sfixed64", "uint32",
        "fixed32", "uint64", "fixed64", "float", "double", "bool", "enum",
        "string", "bytes", "object",
    };
    return (unsigned)t < MC_ARRAY_LEN(names) ? names[t] : "value";
}

/* Optional (proto2) scalars and bytes have a has_ flag; strings and messages
 * use a NULL pointer instead, and oneof members use the case word. */
static bool has_flag(const ProtobufCFieldDescriptor *f)
{
    return f->label == PROTOBUF_C_LABEL_OPTIONAL && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
           f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* protoc's json_name: '_' dropped and the letter after it upper-cased. */
static bool json_name_eq(const char *name, const char *key)
{
    bool up = false;

    for (; *name; name++) {
        char c = *name;
        if (c == '_') {
            up = true;
            continue;
        }
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        up = false;
        if (*key++ != c)
            return false;
    }
    return *key == '\0';
}

/* protoc's map entry name: "foo_bar" -> "FooBarEntry". */
static bool entry_name_eq(const char *field, const char *entry)
{
    bool up = true;

    for (; *field; field++) {
        char c = *field;
        if (c == '_') {
            up = true;
            continue;
        }
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        up = false;
        if (*entry++ != c)
            return false;
    }
    return strcmp(entry, "Entry") == 0;
}

bool mc_pbjson_field_is_map(const ProtobufCMessageDescriptor *parent,
                            const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *e = f->descriptor;
    size_t n;

    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e)
        return false;
    if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0 ||
        e->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
        e->fields[1].label == PROTOBUF_C_LABEL_REPEATED)
        return false;
    n = strlen(parent->name);
    if (strncmp(e->name, parent->name, n) != 0 || e->name[n] != '.')
        return false;
    return entry_name_eq(f->name, e->name + n + 1);
}

static int64_t load_signed(ProtobufCType t, const void *p)
{
    int32_t i32;
    int64_t i64;

    if (type_size(t) == 8) {
        memcpy(&i64, p, 8);
        return i64;
    }
    memcpy(&i32, p, 4);
    return i32;
}

static uint64_t load_unsigned(ProtobufCType t, const void *p)
{
    uint32_t u32;
    uint64_t u64;

    if (type_size(t) == 8) {
        memcpy(&u64, p, 8);
        return u64;
    }
    memcpy(&u32, p, 4);
    return u32;
}

static bool is_unsigned(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_UINT32 || t == PROTOBUF_C_TYPE_FIXED32 ||
           t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

/* ---- encoder ---------------------------------------------------------------- */

struct enc {
    struct mc_buf *out;
    struct mc_pbjson_err *err;
    bool indent;
    unsigned level;   /* open arrays/objects, for indentation */
    int rc;           /* sticky: once set, nothing more is written */
};

static void put(struct enc *e, const char *p, size_t n)
{
    if (e->rc == MC_OK && mc_buf_append(e->out, p, n) != MC_OK)
        e->rc = fail(e->err, MC_ETOOBIG, "json output exceeds %zu bytes", e->out->max);
}

static void put_str(struct enc *e, const char *s)
{
    put(e, s, strlen(s));
}

static void put_ch(struct enc *e, char c)
{
    put(e, &c, 1);
}

static void newline(struct enc *e)
{
    if (!e->indent)
        return;
    put_ch(e, '\n');
    for (unsigned i = 0; i < e->level; i++)
        put_ch(e, '\t');
}

static void open_container(struct enc *e, char c)
{
    put_ch(e, c);
    e->level++;
}

/* Empty containers stay "{}"/"[]" as in Go's json.Indent. */
static void close_container(struct enc *e, char c, bool first)
{
    e->level--;
    if (!first)
        newline(e);
    put_ch(e, c);
}

static void separate(struct enc *e, bool *first)
{
    if (!*first)
        put_ch(e, ',');
    *first = false;
    newline(e);
}

/* Length of the valid UTF-8 sequence at p (2..4 bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len;

    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        c = p[0] & 0x1Fu;
    } else if ((p[0] & 0xF0) == 0xE0) {
        len = 3;
        c = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        c = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[k] & 0x3Fu);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* The escape Go's encoding/json writes for byte c, or NULL when c is copied. */
static const char *ascii_escape(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '<': return "\\u003c";
    case '>': return "\\u003e";
    case '&': return "\\u0026";
    default:
        break;
    }
    if (c >= 0x20)
        return NULL;
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

static void enc_string(struct enc *e, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    char tmp[8];

    put_ch(e, '"');
    while (i < n) {
        const char *esc = NULL;
        size_t adv = 1;
        uint32_t cp = 0;

        if (u[i] < 0x80) {
            esc = ascii_escape(u[i], tmp);
        } else {
            adv = utf8_seq(u + i, n - i, &cp);
            if (adv == 0) {
                esc = "\\ufffd";   /* one replacement per invalid byte, as Go */
                adv = 1;
            } else if (cp == 0x2028 || cp == 0x2029) {
                esc = cp == 0x2028 ? "\\u2028" : "\\u2029";
            }
        }
        if (esc) {
            put(e, s + run, i - run);
            put_str(e, esc);
            run = i + adv;
        }
        i += adv;
    }
    put(e, s + run, n - run);
    put_ch(e, '"');
}

static void put_key(struct enc *e, bool *first, const char *k, size_t n)
{
    separate(e, first);
    enc_string(e, k, n);
    put_ch(e, ':');
    if (e->indent)
        put_ch(e, ' ');
}

/* Shortest "%.*e" text of v that reads back as the same float/double. */
static void shortest_exp(double v, bool is_float, char *buf, size_t n)
{
    int max = is_float ? 9 : 17;

    for (int prec = 0; prec < max; prec++) {
        format_exp(buf, n, prec, v);
        if (is_float ? strtof_l(buf, NULL, c_locale()) == (float)v
                     : strtod_l(buf, NULL, c_locale()) == v)
            return;
    }
    format_exp(buf, n, max - 1, v);
}

/* Go's encoding/json float format: %f style for 1e-6 <= |v| < 1e21, else
 * exponent style without zero padding ("1e-7", "1e+21"). out needs 64 bytes. */
static void format_float(double v, bool is_float, char *out, size_t n)
{
    char e[48], digits[24];
    size_t nd = 0, k = 0;
    const char *p;
    long x;
    double a = fabs(v);
    bool use_exp = false;

    shortest_exp(v, is_float, e, sizeof(e));
    if (e[0] == '-')
        out[k++] = '-';
    for (p = e + (e[0] == '-'); *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    x = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    if (a != 0)
        use_exp = is_float ? ((float)a < 1e-6f || (float)a >= 1e21f) : (a < 1e-6 || a >= 1e21);
    if (use_exp || x > 24 || x < -24) {
        out[k++] = digits[0];
        if (nd > 1) {
            out[k++] = '.';
            memcpy(out + k, digits + 1, nd - 1);
            k += nd - 1;
        }
        snprintf(out + k, n - k, "e%c%ld", x < 0 ? '-' : '+', x < 0 ? -x : x);
        return;
    }
    if (x < 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (long i = 0; i < -x - 1; i++)
            out[k++] = '0';
        memcpy(out + k, digits, nd);
        k += nd;
    } else {
        for (long i = 0; i <= x; i++)
            out[k++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)x + 1 < nd) {
            out[k++] = '.';
            memcpy(out + k, digits + x + 1, nd - (size_t)x - 1);
            k += nd - (size_t)x - 1;
        }
    }
    out[k] = '\0';
}

static void enc_float(struct enc *e, double v, bool is_float)
{
    char out[64];

    if (isnan(v)) {
        put_str(e, "\"NaN\"");
    } else if (isinf(v)) {
        put_str(e, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
        format_float(v, is_float, out, sizeof(out));
        put_str(e, out);
    }
}

static void enc_bytes(struct enc *e, const ProtobufCBinaryData *b)
{
    size_t n;
    char *dst;

    if (!b->len || !b->data) {
        put_str(e, "\"\"");
        return;
    }
    n = sodium_base64_encoded_len(b->len, sodium_base64_VARIANT_ORIGINAL);
    put_ch(e, '"');
    if (e->rc != MC_OK)
        return;
    dst = mc_buf_reserve(e->out, n);
    if (!dst) {
        e->rc = fail(e->err, MC_ETOOBIG, "json output exceeds %zu bytes", e->out->max);
        return;
    }
    sodium_bin2base64(dst, n, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
    mc_buf_commit(e->out, n - 1);   /* n counts the NUL */
    put_ch(e, '"');
}

static void enc_message(struct enc *e, const ProtobufCMessage *m, unsigned depth);

/* One value of field f stored at p (an element, for repeated fields). */
static void enc_value(struct enc *e, const ProtobufCFieldDescriptor *f, const void *p,
                      unsigned depth)
{
    char tmp[48];
    const ProtobufCEnumValue *ev;
    const char *s;
    float fl;
    double d;
    protobuf_c_boolean b;

    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        snprintf(tmp, sizeof(tmp), "%" PRId64, load_signed(f->type, p));
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        snprintf(tmp, sizeof(tmp), "%" PRIu64, load_unsigned(f->type, p));
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(tmp, sizeof(tmp), "\"%" PRId64 "\"", load_signed(f->type, p));
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(tmp, sizeof(tmp), "\"%" PRIu64 "\"", load_unsigned(f->type, p));
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        memcpy(&fl, p, sizeof(fl));
        enc_float(e, fl, true);
        return;
    case PROTOBUF_C_TYPE_DOUBLE:
        memcpy(&d, p, sizeof(d));
        enc_float(e, d, false);
        return;
    case PROTOBUF_C_TYPE_BOOL:
        memcpy(&b, p, sizeof(b));
        put_str(e, b ? "true" : "false");
        return;
    case PROTOBUF_C_TYPE_ENUM:
        ev = protobuf_c_enum_descriptor_get_value(f->descriptor, (int)load_signed(f->type, p));
        if (ev) {
            enc_string(e, ev->name, strlen(ev->name));
            return;
        }
        snprintf(tmp, sizeof(tmp), "%" PRId64, load_signed(f->type, p));
        break;
    case PROTOBUF_C_TYPE_STRING:
        memcpy(&s, p, sizeof(s));
        enc_string(e, s ? s : "", s ? strlen(s) : 0);
        return;
    case PROTOBUF_C_TYPE_BYTES:
        enc_bytes(e, p);
        return;
    case PROTOBUF_C_TYPE_MESSAGE:
        enc_message(e, *(const ProtobufCMessage *const *)p, depth + 1);
        return;
    }
    put_str(e, tmp);
}

static void enc_array(struct enc *e, const ProtobufCFieldDescriptor *f, const char *arr,
                      size_t n, unsigned depth)
{
    size_t sz = type_size(f->type);
    bool first = true;

    open_container(e, '[');
    for (size_t i = 0; i < n && e->rc == MC_OK; i++) {
        separate(e, &first);
        enc_value(e, f, arr + i * sz, depth);
    }
    close_container(e, ']', first);
}

struct map_item {
    const ProtobufCMessage *entry;
    const ProtobufCFieldDescriptor *key;
    size_t index;
};

/* A map key as an unsigned number: bools and unsigned types. */
static uint64_t key_unsigned(ProtobufCType t, const void *p)
{
    if (t == PROTOBUF_C_TYPE_BOOL)
        return *(const protobuf_c_boolean *)p != 0;
    return load_unsigned(t, p);
}

static int key_cmp(const struct map_item *a, const struct map_item *b)
{
    const ProtobufCFieldDescriptor *k = a->key;
    const char *pa = (const char *)a->entry + k->offset;
    const char *pb = (const char *)b->entry + k->offset;

    if (k->type == PROTOBUF_C_TYPE_STRING) {
        const char *sa = *(const char *const *)pa, *sb = *(const char *const *)pb;
        return strcmp(sa ? sa : "", sb ? sb : "");
    }
    if (k->type == PROTOBUF_C_TYPE_BOOL || is_unsigned(k->type)) {
        uint64_t ua = key_unsigned(k->type, pa), ub = key_unsigned(k->type, pb);
        return (ua > ub) - (ua < ub);
    }
    return (load_signed(k->type, pa) > load_signed(k->type, pb)) -
           (load_signed(k->type, pa) < load_signed(k->type, pb));
}

/* Sort by key, then by position, so the last of equal keys (the one protobuf
 * parsing keeps) is the last of its run. */
static int map_item_cmp(const void *va, const void *vb)
{
    const struct map_item *a = va, *b = vb;
    int c = key_cmp(a, b);

    if (c)
        return c;
    return (a->index > b->index) - (a->index < b->index);
}

static void enc_map_key(struct enc *e, bool *first, const ProtobufCFieldDescriptor *k,
                        const ProtobufCMessage *entry)
{
    const char *p = (const char *)entry + k->offset;
    char tmp[32];

    if (k->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(const char *const *)p;
        put_key(e, first, s ? s : "", s ? strlen(s) : 0);
        return;
    }
    if (k->type == PROTOBUF_C_TYPE_BOOL)
        snprintf(tmp, sizeof(tmp), "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
    else if (is_unsigned(k->type))
        snprintf(tmp, sizeof(tmp), "%" PRIu64, load_unsigned(k->type, p));
    else
        snprintf(tmp, sizeof(tmp), "%" PRId64, load_signed(k->type, p));
    put_key(e, first, tmp, strlen(tmp));
}

static void enc_map(struct enc *e, const ProtobufCFieldDescriptor *f,
                    const ProtobufCMessage *const *entries, size_t n, unsigned depth)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    struct map_item *items = mc_calloc(n ? n : 1, sizeof(*items));
    size_t m = 0;
    bool first = true;

    for (size_t i = 0; i < n; i++)
        if (entries[i])
            items[m++] = (struct map_item){ entries[i], &ed->fields[0], i };
    qsort(items, m, sizeof(*items), map_item_cmp);
    open_container(e, '{');
    for (size_t i = 0; i < m && e->rc == MC_OK; i++) {
        if (i + 1 < m && key_cmp(&items[i], &items[i + 1]) == 0)
            continue;   /* a later entry with the same key wins */
        enc_map_key(e, &first, &ed->fields[0], items[i].entry);
        enc_value(e, &ed->fields[1], (const char *)items[i].entry + ed->fields[1].offset, depth);
    }
    close_container(e, '}', first);
    free(items);
}

static void enc_field(struct enc *e, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      bool *first, unsigned depth)
{
    const char *base = (const char *)m;

    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *(const uint32_t *)(base + f->quantifier_offset) != f->id)
        return;   /* only the set member of a oneof */
    put_key(e, first, f->name, strlen(f->name));
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *arr = *(const char *const *)(base + f->offset);
        if (n && !arr)
            n = 0;
        if (mc_pbjson_field_is_map(m->descriptor, f))
            enc_map(e, f, (const ProtobufCMessage *const *)arr, n, depth);
        else
            enc_array(e, f, arr, n, depth);
    } else if (has_flag(f) && !*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
        put_str(e, "null");   /* unset proto2 optional: Go writes null too */
    } else {
        enc_value(e, f, base + f->offset, depth);
    }
}

static void enc_message(struct enc *e, const ProtobufCMessage *m, unsigned depth)
{
    const ProtobufCMessageDescriptor *d;
    bool first = true;

    if (e->rc != MC_OK)
        return;
    if (!m) {
        put_str(e, "null");   /* unset sub-message: Go's EmitDefaults writes null */
        return;
    }
    if (depth > MC_PBJSON_MAX_DEPTH) {
        e->rc = fail(e->err, MC_ETOOBIG, "message nesting exceeds %d levels",
                     MC_PBJSON_MAX_DEPTH);
        return;
    }
    d = m->descriptor;
    open_container(e, '{');
    for (unsigned i = 0; i < d->n_fields && e->rc == MC_OK; i++)
        enc_field(e, m, &d->fields[i], &first, depth);
    close_container(e, '}', first);
}

/* Drops whatever a failed call appended. */
static void buf_truncate(struct mc_buf *b, size_t len)
{
    if (b->data && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

int mc_pbjson_encode(const ProtobufCMessage *msg, unsigned flags, struct mc_buf *out,
                     struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    struct enc e = { out, err_begin(err, &local), (flags & MC_PBJSON_INDENT) != 0, 0, MC_OK };
    size_t start = out->len;

    if (!msg || !msg->descriptor)
        return fail(e.err, MC_EINVAL, "no message to encode");
    enc_message(&e, msg, 1);
    if (e.rc != MC_OK)
        buf_truncate(out, start);
    return e.rc;
}

/* ---- parsing with exact number text ------------------------------------------ */

static bool is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Forward scan over the source text yielding number tokens in document order,
 * the same order in which a depth-first walk of cJSON's tree meets them. */
struct numscan {
    const char *s;
    size_t n, pos;
};

static bool next_number(struct numscan *ns, size_t *off, size_t *len)
{
    const char *s = ns->s;
    size_t i = ns->pos;

    while (i < ns->n) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < ns->n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            *off = i;
            while (i < ns->n && is_num_char(s[i]))
                i++;
            *len = i - *off;
            ns->pos = i;
            return true;
        } else {
            i++;
        }
    }
    ns->pos = ns->n;
    return false;
}

/* RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. cJSON
 * takes what strtod takes ("1.", "01", "+1"), which Go's decoder and every
 * strict client refuse, and the text is kept to be sent on as it came. */
static bool number_ok(const char *t, size_t n)
{
    size_t i = 0, d;

    if (i < n && t[i] == '-')
        i++;
    if (i < n && t[i] == '0')
        i++;
    else if (i < n && t[i] >= '1' && t[i] <= '9')
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
    else
        return false;
    if (i < n && t[i] == '.') {
        for (d = ++i; i < n && t[i] >= '0' && t[i] <= '9'; i++)
            ;
        if (i == d)
            return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        for (d = i; i < n && t[i] >= '0' && t[i] <= '9'; i++)
            ;
        if (i == d)
            return false;
    }
    return i == n;
}

/* The offset of the first number token that is not RFC 8259's, or -1. */
static long bad_number(const char *json, size_t len)
{
    struct numscan ns = { json, len, 0 };
    size_t off, n;

    while (next_number(&ns, &off, &n)) {
        if (!number_ok(json + off, n))
            return (long)off;
    }
    return -1;
}

/* Attaches each number's text; false when the scan and the tree disagree. */
static bool attach_numbers(cJSON *item, struct numscan *ns)
{
    for (; item; item = item->next) {
        if (cJSON_IsNumber(item)) {
            size_t off, len;
            char *t;
            if (!next_number(ns, &off, &len) || item->valuestring)
                return false;
            t = cJSON_malloc(len + 1);
            if (!t) {
                fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", len + 1);
                abort();
            }
            memcpy(t, ns->s + off, len);
            t[len] = '\0';
            item->valuestring = t;
            if (strtod_l(t, NULL, c_locale()) != item->valuedouble)
                return false;
        } else if (item->child && !attach_numbers(item->child, ns)) {
            return false;
        }
    }
    return true;
}

static void strip_numbers(cJSON *item)
{
    for (; item; item = item->next) {
        if (cJSON_IsNumber(item) && item->valuestring) {
            cJSON_free(item->valuestring);
            item->valuestring = NULL;
        }
        strip_numbers(item->child);
    }
}

int mc_pbjson_parse(const char *json, size_t len, cJSON **out, struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    const char *end = NULL;
    struct numscan ns = { json, len, 0 };
    cJSON *root;

    err = err_begin(err, &local);
    *out = NULL;
    if (len > MC_PBJSON_MAX_INPUT)
        return fail(err, MC_ETOOBIG, "json input of %zu bytes exceeds %u bytes", len,
                    MC_PBJSON_MAX_INPUT);
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root)
        return fail(err, MC_EINVAL, "invalid json near byte %zu",
                    end && end >= json ? (size_t)(end - json) : (size_t)0);
    if (!end || end < json || end > json + len)
        end = json + len;   /* cJSON always sets it; be safe if not */
    while (end < json + len && is_json_ws(*end))
        end++;
    if (end != json + len) {
        cJSON_Delete(root);
        return fail(err, MC_EINVAL, "invalid json: trailing data at byte %zu",
                    (size_t)(end - json));
    }
    long bad = bad_number(json, len);
    if (bad >= 0) {
        cJSON_Delete(root);
        return fail(err, MC_EINVAL, "invalid json: bad number at byte %ld", bad);
    }
    /* A disagreement would be a bug; fall back to the doubles rather than
     * attach a wrong text to a number. */
    if (!attach_numbers(root, &ns))
        strip_numbers(root);
    *out = root;
    return MC_OK;
}

/* ---- decoder ------------------------------------------------------------------ */

struct dec {
    struct mc_pbjson_err *err;
    ProtobufCAllocator *alloc;   /* NULL: malloc, as protobuf-c's default */
    char path[160];              /* field path for messages, e.g. "options.limit" */
    size_t plen;
};

static void *d_alloc(struct dec *d, size_t n)
{
    void *p;

    if (!d->alloc)
        return mc_calloc(1, n);
    p = d->alloc->alloc(d->alloc->allocator_data, n ? n : 1);
    if (p)
        memset(p, 0, n);
    return p;
}

static void d_free(struct dec *d, void *p)
{
    if (!d->alloc)
        free(p);
    else if (p)
        d->alloc->free(d->alloc->allocator_data, p);
}

static int oom(struct dec *d)
{
    return fail(d->err, MC_ENOMEM, "out of memory decoding field %s", d->path);
}

/* Appends pre + name (at most 40 bytes of it) + post to the path, truncating
 * at the buffer's end; returns the old length for path_pop. */
static size_t path_push(struct dec *d, const char *pre, const char *name, const char *post)
{
    size_t old = d->plen;
    int n = snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "%s%.40s%s", pre, name, post);

    if (n > 0)
        d->plen = MC_MIN(d->plen + (size_t)n, sizeof(d->path) - 1);
    return old;
}

static size_t path_push_index(struct dec *d, size_t i)
{
    char tmp[32];

    snprintf(tmp, sizeof(tmp), "%zu", i);
    return path_push(d, "[", tmp, "]");
}

static void path_pop(struct dec *d, size_t old)
{
    d->plen = old;
    d->path[old] = '\0';
}

/* Short description of a JSON value for error messages. */
static void describe(const cJSON *v, char *out, size_t n)
{
    const char *s;
    size_t k = 0, len;

    if (cJSON_IsString(v) || (cJSON_IsNumber(v) && v->valuestring)) {
        bool str = cJSON_IsString(v);
        s = v->valuestring;
        len = strlen(s);
        if (str)
            out[k++] = '"';
        for (size_t i = 0; i < len && i < 40 && k + 6 < n; i++)
            out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (len > 40 && k + 6 < n)
            k += (size_t)snprintf(out + k, n - k, "...");
        if (str)
            out[k++] = '"';
        out[k] = '\0';
    } else if (cJSON_IsNumber(v)) {
        snprintf(out, n, "%.17g", v->valuedouble);
    } else {
        snprintf(out, n, "%s", cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true" : "false")
                               : cJSON_IsNull(v) ? "null"
                               : cJSON_IsObject(v) ? "object"
                               : cJSON_IsArray(v) ? "array" : "invalid value");
    }
}

static int type_error(struct dec *d, const char *want, const cJSON *v)
{
    char got[64];

    describe(v, got, sizeof(got));
    return fail(d->err, MC_EINVAL, "field %s: expected %s, got %s", d->path, want, got);
}

static int range_error(struct dec *d, const char *want, const cJSON *v)
{
    char got[64];

    describe(v, got, sizeof(got));
    return fail(d->err, MC_EINVAL, "field %s: value %s out of range for %s", d->path, got,
                want);
}

/* Text to parse for a number field: the string's contents, the number's source
 * text (when it still matches the double), else the double printed exactly. */
static const char *num_text(const cJSON *v, char *tmp, size_t n)
{
    locale_t old;

    if (cJSON_IsString(v))
        return v->valuestring;
    if (!cJSON_IsNumber(v))
        return NULL;
    if (v->valuestring && strtod_l(v->valuestring, NULL, c_locale()) == v->valuedouble)
        return v->valuestring;
    old = uselocale(c_locale());
    snprintf(tmp, n, "%.17g", v->valuedouble);
    uselocale(old);
    return tmp;
}

static int parse_double_text(const char *s, double *out)
{
    char *end;
    double v;

    if (!*s)
        return MC_EINVAL;
    for (const char *p = s; *p; p++)
        if (!is_num_char(*p))
            return MC_EINVAL;   /* keeps out strtod's "inf", "nan", hex and spaces */
    errno = 0;
    v = strtod_l(s, &end, c_locale());
    if (end == s || *end)
        return MC_EINVAL;
    if (errno == ERANGE && isinf(v))
        return MC_ETOOBIG;
    *out = v;
    return MC_OK;
}

static bool plain_int(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Integers may come with a fraction or exponent ("1e3") as long as they are whole. */
static int parse_i64_text(const char *s, int64_t *out)
{
    double d;
    int rc;

    if (plain_int(s)) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
            return MC_ETOOBIG;
        *out = v;
        return MC_OK;
    }
    rc = parse_double_text(s, &d);
    if (rc)
        return rc;
    if (d != floor(d))
        return MC_EINVAL;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return MC_ETOOBIG;
    *out = (int64_t)d;
    return MC_OK;
}

static int parse_u64_text(const char *s, uint64_t *out)
{
    double d;
    int rc;

    if (plain_int(s)) {
        char *end;
        unsigned long long v;
        if (*s == '-') {
            if (strspn(s + 1, "0") != strlen(s + 1))
                return MC_ETOOBIG;
            *out = 0;   /* "-0" */
            return MC_OK;
        }
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
            return MC_ETOOBIG;
        *out = v;
        return MC_OK;
    }
    rc = parse_double_text(s, &d);
    if (rc)
        return rc;
    if (d != floor(d))
        return MC_EINVAL;
    if (!(d > -1.0 && d < 18446744073709551616.0))
        return MC_ETOOBIG;
    *out = (uint64_t)d;
    return MC_OK;
}

/* Parses integer text for type t and stores it at dst (4 or 8 bytes). */
static int int_text(ProtobufCType t, const char *s, void *dst)
{
    int64_t i = 0;
    uint64_t u = 0;
    int rc = is_unsigned(t) ? parse_u64_text(s, &u) : parse_i64_text(s, &i);

    if (rc)
        return rc;
    if (type_size(t) == 8) {
        if (is_unsigned(t))
            memcpy(dst, &u, 8);
        else
            memcpy(dst, &i, 8);
        return MC_OK;
    }
    if (is_unsigned(t)) {
        uint32_t u32 = (uint32_t)u;
        if (u > UINT32_MAX)
            return MC_ETOOBIG;
        memcpy(dst, &u32, 4);
    } else {
        int32_t i32 = (int32_t)i;
        if (i < INT32_MIN || i > INT32_MAX)
            return MC_ETOOBIG;
        memcpy(dst, &i32, 4);
    }
    return MC_OK;
}

static int dec_int(struct dec *d, const ProtobufCFieldDescriptor *f, const cJSON *v, void *dst)
{
    char tmp[40];
    const char *t = num_text(v, tmp, sizeof(tmp));
    int rc;

    if (!t)
        return type_error(d, type_name(f->type), v);
    rc = int_text(f->type, t, dst);
    if (rc == MC_ETOOBIG)
        return range_error(d, type_name(f->type), v);
    if (rc)
        return type_error(d, type_name(f->type), v);
    return MC_OK;
}

static int dec_float(struct dec *d, const ProtobufCFieldDescriptor *f, const cJSON *v, void *dst)
{
    char tmp[40];
    const char *t = num_text(v, tmp, sizeof(tmp));
    double x = 0;
    int rc = MC_EINVAL;

    if (t && cJSON_IsString(v) && strcmp(t, "NaN") == 0) {
        x = NAN;
        rc = MC_OK;
    } else if (t && cJSON_IsString(v) &&
               (strcmp(t, "Infinity") == 0 || strcmp(t, "-Infinity") == 0)) {
        x = t[0] == '-' ? -INFINITY : INFINITY;
        rc = MC_OK;
    } else if (t) {
        rc = parse_double_text(t, &x);
        if (rc == MC_OK && f->type == PROTOBUF_C_TYPE_FLOAT && isinf((float)x))
            rc = MC_ETOOBIG;
    }
    if (rc == MC_ETOOBIG)
        return range_error(d, type_name(f->type), v);
    if (rc)
        return type_error(d, type_name(f->type), v);
    if (f->type == PROTOBUF_C_TYPE_FLOAT) {
        float fl = (float)x;
        memcpy(dst, &fl, sizeof(fl));
    } else {
        memcpy(dst, &x, sizeof(x));
    }
    return MC_OK;
}

/* Booleans, or the strings Go's strconv.ParseBool accepts. */
static int dec_bool(struct dec *d, const cJSON *v, void *dst)
{
    static const char *const yes[] = { "true", "True", "TRUE", "t", "T", "1" };
    static const char *const no[] = { "false", "False", "FALSE", "f", "F", "0" };
    protobuf_c_boolean b = -1;

    if (cJSON_IsBool(v)) {
        b = cJSON_IsTrue(v) ? 1 : 0;
    } else if (cJSON_IsString(v)) {
        for (size_t i = 0; i < MC_ARRAY_LEN(yes); i++) {
            if (strcmp(v->valuestring, yes[i]) == 0)
                b = 1;
            if (strcmp(v->valuestring, no[i]) == 0)
                b = 0;
        }
    }
    if (b < 0)
        return type_error(d, "bool", v);
    memcpy(dst, &b, sizeof(b));
    return MC_OK;
}

static int dec_enum(struct dec *d, const ProtobufCFieldDescriptor *f, const cJSON *v, void *dst)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    char want[96], tmp[40];
    const char *t;
    int32_t x;
    int rc;

    snprintf(want, sizeof(want), "enum %s", ed->name);
    if (cJSON_IsString(v)) {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(ed, v->valuestring);
        if (ev) {
            x = ev->value;
            memcpy(dst, &x, sizeof(x));
            return MC_OK;
        }
    }
    t = num_text(v, tmp, sizeof(tmp));   /* proto3 enums are open: any int32 */
    if (!t)
        return type_error(d, want, v);
    rc = int_text(PROTOBUF_C_TYPE_INT32, t, dst);
    if (rc == MC_ETOOBIG)
        return range_error(d, want, v);
    return rc ? type_error(d, want, v) : MC_OK;
}

static int copy_string(struct dec *d, const char *src, void *dst)
{
    size_t n = strlen(src);
    char *s = d_alloc(d, n + 1);

    if (!s)
        return oom(d);
    memcpy(s, src, n + 1);
    memcpy(dst, &s, sizeof(s));
    return MC_OK;
}

static int dec_string(struct dec *d, const cJSON *v, void *dst)
{
    if (!cJSON_IsString(v))
        return type_error(d, "string", v);
    return copy_string(d, v->valuestring, dst);
}

/* Standard or URL-safe alphabet, padded or not (as Go's lenient decoder). */
static int dec_bytes(struct dec *d, const cJSON *v, void *dst)
{
    ProtobufCBinaryData b = { 0, NULL };
    const char *s, *end = NULL;
    size_t n, max;
    int variant;

    if (!cJSON_IsString(v))
        return type_error(d, "bytes (base64)", v);
    s = v->valuestring;
    n = strlen(s);
    if (n) {
        variant = strpbrk(s, "-_") ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_ORIGINAL;
        if (!memchr(s, '=', n))
            variant |= 2;   /* the _NO_PADDING variants are the padded ones | 2 */
        max = n / 4 * 3 + 3;
        b.data = d_alloc(d, max);
        if (!b.data)
            return oom(d);
        if (sodium_base642bin(b.data, max, s, n, "\r\n", &b.len, &end, variant) != 0 ||
            end != s + n) {
            d_free(d, b.data);
            return type_error(d, "bytes (base64)", v);
        }
        if (!b.len) {
            d_free(d, b.data);
            b.data = NULL;
        }
    }
    memcpy(dst, &b, sizeof(b));
    return MC_OK;
}

static int dec_message(struct dec *d, const ProtobufCMessageDescriptor *md, const cJSON *v,
                       unsigned depth, ProtobufCMessage **out);

/* One value of field f into dst (the member, or an element of its array). */
static int dec_value(struct dec *d, const ProtobufCFieldDescriptor *f, const cJSON *v,
                     void *dst, unsigned depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        return dec_float(d, f, v, dst);
    case PROTOBUF_C_TYPE_BOOL:
        return dec_bool(d, v, dst);
    case PROTOBUF_C_TYPE_ENUM:
        return dec_enum(d, f, v, dst);
    case PROTOBUF_C_TYPE_STRING:
        return dec_string(d, v, dst);
    case PROTOBUF_C_TYPE_BYTES:
        return dec_bytes(d, v, dst);
    case PROTOBUF_C_TYPE_MESSAGE:
        return dec_message(d, f->descriptor, v, depth + 1, dst);
    default:
        return dec_int(d, f, v, dst);
    }
}

/* Allocates count zeroed elements and hangs them on the message at once, so
 * that freeing the message on a later error releases whatever was decoded. */
static void *attach_array(struct dec *d, char *base, const ProtobufCFieldDescriptor *f,
                          size_t count, size_t esz)
{
    void *arr = d_alloc(d, count * esz);

    if (arr) {
        memcpy(base + f->offset, &arr, sizeof(arr));
        memcpy(base + f->quantifier_offset, &count, sizeof(count));
    }
    return arr;
}

static int dec_array(struct dec *d, char *base, const ProtobufCFieldDescriptor *f,
                     const cJSON *v, unsigned depth)
{
    size_t esz = type_size(f->type), n = 0, i = 0;
    char *arr;
    int rc = MC_OK;

    if (!cJSON_IsArray(v))
        return type_error(d, "array", v);
    for (const cJSON *c = v->child; c; c = c->next)
        n++;
    if (!n)
        return MC_OK;
    arr = attach_array(d, base, f, n, esz);
    if (!arr)
        return oom(d);
    for (const cJSON *c = v->child; c && rc == MC_OK; c = c->next, i++) {
        size_t old = path_push_index(d, i);
        if (cJSON_IsNull(c))   /* a hole cannot be represented in a repeated field */
            rc = type_error(d, type_name(f->type), c);   /* MESSAGE's name is "object" */
        else
            rc = dec_value(d, f, c, arr + i * esz, depth);
        path_pop(d, old);
    }
    return rc;
}

static int dec_map_key(struct dec *d, const ProtobufCFieldDescriptor *k, const char *s, void *dst)
{
    int rc;

    if (k->type == PROTOBUF_C_TYPE_STRING)
        return copy_string(d, s, dst);
    if (k->type == PROTOBUF_C_TYPE_BOOL) {
        protobuf_c_boolean b = strcmp(s, "true") == 0;
        if (!b && strcmp(s, "false") != 0)
            return fail(d->err, MC_EINVAL, "field %s: expected bool map key, got \"%.40s\"",
                        d->path, s);
        memcpy(dst, &b, sizeof(b));
        return MC_OK;
    }
    rc = int_text(k->type, s, dst);
    if (rc)
        return fail(d->err, MC_EINVAL, "field %s: expected %s map key, got \"%.40s\"", d->path,
                    type_name(k->type), s);
    return MC_OK;
}

static int dec_map(struct dec *d, char *base, const ProtobufCFieldDescriptor *f,
                   const cJSON *v, unsigned depth)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    ProtobufCMessage **arr;
    size_t n = 0, i = 0;
    int rc = MC_OK;

    if (!cJSON_IsObject(v))
        return type_error(d, "object", v);
    for (const cJSON *c = v->child; c; c = c->next)
        n++;
    if (!n)
        return MC_OK;
    arr = attach_array(d, base, f, n, sizeof(*arr));
    if (!arr)
        return oom(d);
    for (const cJSON *c = v->child; c && rc == MC_OK; c = c->next, i++) {
        size_t old = path_push(d, "[", c->string ? c->string : "", "]");
        char *entry = d_alloc(d, ed->sizeof_message);
        if (!entry) {
            rc = oom(d);
            break;
        }
        protobuf_c_message_init(ed, entry);
        arr[i] = (ProtobufCMessage *)entry;
        rc = dec_map_key(d, &ed->fields[0], c->string ? c->string : "",
                         entry + ed->fields[0].offset);
        if (rc == MC_OK && !cJSON_IsNull(c))   /* null value: the default */
            rc = dec_value(d, &ed->fields[1], c, entry + ed->fields[1].offset, depth);
        path_pop(d, old);
    }
    return rc;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md,
                                                  const char *key)
{
    const ProtobufCFieldDescriptor *f;

    if (!key)
        return NULL;
    f = protobuf_c_message_descriptor_get_field_by_name(md, key);
    if (f)
        return f;
    for (unsigned i = 0; i < md->n_fields; i++)
        if (json_name_eq(md->fields[i].name, key))
            return &md->fields[i];
    return NULL;
}

static int dec_member(struct dec *d, ProtobufCMessage *m, const cJSON *c, bool *seen,
                      unsigned depth)
{
    const ProtobufCMessageDescriptor *md = m->descriptor;
    const ProtobufCFieldDescriptor *f = find_field(md, c->string);
    char *base = (char *)m;
    size_t old;
    int rc = MC_OK;

    if (!f)
        return MC_OK;   /* unknown fields are ignored, as upstream's lenient decoder */
    old = path_push(d, d->plen ? "." : "", f->name, "");
    if (seen[f - md->fields]) {
        rc = fail(d->err, MC_EINVAL, "field %s: given more than once", d->path);
    } else if (!cJSON_IsNull(c)) {
        seen[f - md->fields] = true;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
            if (*which != 0)
                rc = fail(d->err, MC_EINVAL, "field %s: another member of its oneof is set",
                          d->path);
            *which = rc ? *which : f->id;   /* set first: a half-decoded value gets freed */
        }
        if (rc == MC_OK && f->label == PROTOBUF_C_LABEL_REPEATED)
            rc = mc_pbjson_field_is_map(md, f) ? dec_map(d, base, f, c, depth)
                                               : dec_array(d, base, f, c, depth);
        else if (rc == MC_OK)
            rc = dec_value(d, f, c, base + f->offset, depth);
        if (rc == MC_OK && has_flag(f))
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    } else {
        seen[f - md->fields] = true;
    }
    path_pop(d, old);
    return rc;
}

static ProtobufCMessage *new_message(struct dec *d, const ProtobufCMessageDescriptor *md)
{
    ProtobufCMessage *m = d_alloc(d, md->sizeof_message);

    if (m)
        protobuf_c_message_init(md, m);
    return m;
}

/* *out (a member of the parent, or the root) is set as soon as the message
 * exists, so the caller's single free releases a half-decoded tree. */
static int dec_message(struct dec *d, const ProtobufCMessageDescriptor *md, const cJSON *v,
                       unsigned depth, ProtobufCMessage **out)
{
    ProtobufCMessage *m;
    bool *seen;
    int rc = MC_OK;

    if (cJSON_IsNull(v))
        return MC_OK;
    if (!cJSON_IsObject(v))
        return type_error(d, "object", v);
    if (depth > MC_PBJSON_MAX_DEPTH)
        return fail(d->err, MC_ETOOBIG, "field %s: message nesting exceeds %d levels", d->path,
                    MC_PBJSON_MAX_DEPTH);
    m = new_message(d, md);
    if (!m)
        return oom(d);
    *out = m;
    seen = mc_calloc(md->n_fields ? md->n_fields : 1, sizeof(*seen));
    for (const cJSON *c = v->child; c && rc == MC_OK; c = c->next)
        rc = dec_member(d, m, c, seen, depth);
    free(seen);
    return rc;
}

int mc_pbjson_from_cjson(const ProtobufCMessageDescriptor *desc, const cJSON *json,
                         ProtobufCAllocator *allocator, ProtobufCMessage **out,
                         struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    struct dec d = { err_begin(err, &local), allocator, "", 0 };
    char got[64];
    int rc;

    *out = NULL;
    if (!json || cJSON_IsNull(json)) {
        *out = new_message(&d, desc);
        return *out ? MC_OK : oom(&d);
    }
    if (!cJSON_IsObject(json)) {
        describe(json, got, sizeof(got));
        return fail(d.err, MC_EINVAL, "expected a json object for %s, got %s", desc->name, got);
    }
    rc = dec_message(&d, desc, json, 1, out);
    if (rc != MC_OK && *out) {
        protobuf_c_message_free_unpacked(*out, allocator);
        *out = NULL;
    }
    return rc;
}

int mc_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                     ProtobufCAllocator *allocator, ProtobufCMessage **out,
                     struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    cJSON *root = NULL;
    int rc;

    err = err_begin(err, &local);
    *out = NULL;
    if (len > MC_PBJSON_MAX_INPUT)
        return fail(err, MC_ETOOBIG, "json input of %zu bytes exceeds %u bytes", len,
                    MC_PBJSON_MAX_INPUT);
    if (!all_ws(json, len)) {
        rc = mc_pbjson_parse(json, len, &root, err);
        if (rc)
            return rc;
    }
    rc = mc_pbjson_from_cjson(desc, root, allocator, out, err);
    cJSON_Delete(root);
    return rc;
}

int mc_pbjson_to_cjson(const ProtobufCMessage *msg, cJSON **out, struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    struct mc_buf b;
    int rc;

    err = err_begin(err, &local);
    *out = NULL;
    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    rc = mc_pbjson_encode(msg, MC_PBJSON_COMPACT, &b, err);
    if (rc == MC_OK)
        rc = mc_pbjson_parse(mc_buf_cstr(&b), b.len, out, err);
    mc_buf_release(&b);
    return rc;
}

/* ---- wire bytes ------------------------------------------------------------- */

static int read_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned shift = 0; shift < 64 && *pos < n; shift += 7) {
        uint8_t b = p[(*pos)++];
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return MC_OK;
        }
    }
    return MC_EINVAL;
}

static int wire_walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
                     unsigned depth, unsigned max)
{
    size_t pos = 0;
    uint64_t tag, len;
    const ProtobufCFieldDescriptor *f;
    int rc;

    if (depth > max)
        return MC_ETOOBIG;
    while (pos < n) {
        if (read_varint(p, n, &pos, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF)
            return MC_EINVAL;
        switch (tag & 7) {
        case 0:
            if (read_varint(p, n, &pos, &len))
                return MC_EINVAL;
            break;
        case 1:
        case 5:
            len = (tag & 7) == 1 ? 8 : 4;
            if (n - pos < len)
                return MC_EINVAL;
            pos += len;
            break;
        case 2:
            if (read_varint(p, n, &pos, &len) || len > n - pos)
                return MC_EINVAL;
            f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                rc = wire_walk(f->descriptor, p + pos, (size_t)len, depth + 1, max);
                if (rc)
                    return rc;
            }
            pos += (size_t)len;
            break;
        default:
            return MC_EINVAL;   /* groups: protobuf-c does not support them either */
        }
    }
    return MC_OK;
}

int mc_pbjson_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                         size_t len, unsigned max_depth)
{
    if (len > MC_PBJSON_MAX_INPUT)
        return MC_ETOOBIG;
    return wire_walk(desc, data, len, 1, max_depth);
}

int mc_pbjson_proto_to_json(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                            size_t len, unsigned flags, struct mc_buf *out,
                            struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    ProtobufCMessage *m;
    int rc;

    err = err_begin(err, &local);
    rc = mc_pbjson_wire_check(desc, data, len, MC_PBJSON_MAX_DEPTH);
    if (rc == MC_ETOOBIG)
        return fail(err, rc, "protobuf %s of %zu bytes exceeds the size or nesting limit",
                    desc->name, len);
    if (rc)
        return fail(err, rc, "invalid protobuf data for %s", desc->name);
    m = protobuf_c_message_unpack(desc, NULL, len, data);
    if (!m)
        return fail(err, MC_EINVAL, "invalid protobuf data for %s", desc->name);
    rc = mc_pbjson_encode(m, flags, out, err);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int mc_pbjson_json_to_proto(const ProtobufCMessageDescriptor *desc, const char *json,
                            size_t len, struct mc_buf *out, struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    ProtobufCMessage *m;
    size_t n;
    char *dst;
    int rc;

    err = err_begin(err, &local);
    rc = mc_pbjson_decode(desc, json, len, NULL, &m, err);
    if (rc)
        return rc;
    n = protobuf_c_message_get_packed_size(m);
    dst = mc_buf_reserve(out, n);
    if (!dst) {
        rc = fail(err, MC_ETOOBIG, "protobuf %s of %zu bytes exceeds %zu bytes", desc->name, n,
                  out->max);
    } else {
        mc_buf_commit(out, protobuf_c_message_pack(m, (uint8_t *)dst));
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- json.Indent ------------------------------------------------------------- */

#define INDENT_MAX_NEST 1000   /* cJSON's own nesting limit */

struct indenter {
    struct enc e;
    char stack[INDENT_MAX_NEST];
    unsigned depth;
    bool need_indent;   /* just opened: indent unless it closes at once */
};

static int indent_struct(struct indenter *in, char c)
{
    struct enc *e = &in->e;

    if (in->need_indent && c != '}' && c != ']') {
        in->need_indent = false;
        newline(e);
    }
    switch (c) {
    case '{':
    case '[':
        if (in->depth == INDENT_MAX_NEST)
            return MC_ETOOBIG;
        in->stack[in->depth++] = c == '{' ? '}' : ']';
        in->need_indent = true;
        put_ch(e, c);
        e->level++;
        return MC_OK;
    case '}':
    case ']':
        if (!in->depth || in->stack[in->depth - 1] != c)
            return MC_EINVAL;
        in->depth--;
        e->level--;
        if (in->need_indent)
            in->need_indent = false;
        else
            newline(e);
        put_ch(e, c);
        return MC_OK;
    case ',':
        put_ch(e, c);
        newline(e);
        return MC_OK;
    case ':':
        put_str(e, ": ");
        return MC_OK;
    default:
        put_ch(e, c);
        return MC_OK;
    }
}

int mc_pbjson_indent(const char *json, size_t len, struct mc_buf *out,
                     struct mc_pbjson_err *err)
{
    struct mc_pbjson_err local;
    struct indenter *in = mc_calloc(1, sizeof(*in));
    size_t start = out->len, i = 0;
    int rc = MC_OK;

    in->e = (struct enc){ out, err_begin(err, &local), true, 0, MC_OK };
    while (i < len && rc == MC_OK && in->e.rc == MC_OK) {
        char c = json[i];
        if (is_json_ws(c)) {
            i++;
        } else if (c == '"') {
            size_t j = i + 1;
            while (j < len && json[j] != '"')
                j += json[j] == '\\' ? 2 : 1;
            if (j >= len) {
                rc = MC_EINVAL;
                break;
            }
            rc = indent_struct(in, '"');   /* performs any pending indentation */
            put(&in->e, json + i + 1, j - i);
            i = j + 1;
        } else {
            rc = indent_struct(in, c);
            i++;
        }
    }
    if (rc == MC_OK && in->depth)
        rc = MC_EINVAL;
    if (rc == MC_OK)
        rc = in->e.rc;
    else if (rc == MC_ETOOBIG)
        fail(in->e.err, rc, "json nests deeper than %d levels", INDENT_MAX_NEST);
    else
        fail(in->e.err, rc, "invalid json near byte %zu", i);
    if (rc)
        buf_truncate(out, start);
    free(in);
    return rc;
}

void mc_pbjson_numbers_to_raw(cJSON *item)
{
    for (cJSON *c = item ? item->child : NULL; c; c = c->next) {
        if (cJSON_IsNumber(c) && c->valuestring)
            c->type = cJSON_Raw;   /* valuestring already holds the exact text */
        else
            mc_pbjson_numbers_to_raw(c);
    }
}
