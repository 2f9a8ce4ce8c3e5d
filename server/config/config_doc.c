/* The config document of one namespace: see config_doc.h. */
#include "config_doc.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mc_pbjson.h"
#include "mc_banned.h"

#define MAX_SEGMENTS 64
#define ERROR_ID "config.Config"

struct path {
    char buf[MC_CONFIG_PATH_MAX + 1];
    const char *seg[MAX_SEGMENTS];
    size_t n;
};

/* Splits "a.b.c" into segments; "" has none. MC_EINVAL for empty segments or
 * paths past the limits. */
static int split_path(const char *path, struct path *p)
{
    size_t len = path ? strlen(path) : 0;
    char *s;

    p->n = 0;
    if (len == 0)
        return MC_OK;
    if (len > MC_CONFIG_PATH_MAX)
        return MC_EINVAL;
    memcpy(p->buf, path, len + 1);
    for (s = p->buf;;) {
        char *dot = strchr(s, '.');
        if (dot)
            *dot = '\0';
        if (*s == '\0' || p->n == MAX_SEGMENTS)
            return MC_EINVAL;
        p->seg[p->n++] = s;
        if (!dot)
            return MC_OK;
        s = dot + 1;
    }
}

static int bad_path(struct mc_error *err, const char *path)
{
    mc_error_bad_request(err, ERROR_ID, "invalid path '%.200s'", path ? path : "");
    return MC_EINVAL;
}

static bool is_leaf(const cJSON *n)
{
    return cJSON_IsObject(n) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "leaf"));
}

/* The node at the first n segments, or NULL (a leaf or a scalar ends the walk). */
static cJSON *walk(const cJSON *root, const struct path *p, size_t n)
{
    cJSON *node = (cJSON *)root;

    for (size_t i = 0; i < n; i++) {
        if (!cJSON_IsObject(node) || is_leaf(node))
            return NULL;
        node = cJSON_GetObjectItemCaseSensitive(node, p->seg[i]);
        if (!node)
            return NULL;
    }
    return node;
}

/* The object child name of parent, created (or made to replace a leaf) as needed. */
static cJSON *child_object(cJSON *parent, const char *name)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, name);

    if (cJSON_IsObject(c) && !is_leaf(c))
        return c;
    c = cJSON_CreateObject();
    /* case-sensitive on both sides: cJSON_HasObjectItem ignores case, so a
     * key "A" beside "a" was neither added nor replaced (found by fuzz_config_path) */
    if (cJSON_GetObjectItemCaseSensitive(parent, name))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, name, c);
    else
        cJSON_AddItemToObject(parent, name, c);
    return c;
}

/* The object at the first n segments, created along the way. */
static cJSON *ensure(cJSON *root, const struct path *p, size_t n)
{
    cJSON *node = root;

    for (size_t i = 0; i < n; i++)
        node = child_object(node, p->seg[i]);
    return node;
}

/* ---- secrets ----------------------------------------------------------------------- */

static char *seal(const char *text, const uint8_t *key)
{
    size_t tlen = strlen(text);
    size_t clen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + tlen +
                  crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *c = mc_malloc(clen);
    size_t b64len = sodium_base64_encoded_len(clen, sodium_base64_VARIANT_ORIGINAL);
    char *out = mc_malloc(b64len);
    unsigned long long n;

    randombytes_buf(c, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(c + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                               &n, (const unsigned char *)text, tlen, NULL, 0,
                                               NULL, c, key);
    sodium_bin2base64(out, b64len, c, clen, sodium_base64_VARIANT_ORIGINAL);
    free(c);
    return out;
}

/* The plain text of a sealed value, or NULL when it does not open with key. */
static char *unseal(const char *sealed, const uint8_t *key)
{
    size_t len = strlen(sealed), clen;
    unsigned char *c = mc_malloc(len + 1);
    char *out = NULL;
    unsigned long long n;

    if (sodium_base642bin(c, len + 1, sealed, len, NULL, &clen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        clen >= crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                    crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        out = mc_malloc(clen + 1);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                (unsigned char *)out, &n, NULL, c + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                clen - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, 0, c, key) == 0) {
            out[n] = '\0';
        } else {
            free(out);
            out = NULL;
        }
    }
    free(c);
    return out;
}

/* ---- set ---------------------------------------------------------------------------- */

struct set_ctx {
    bool secret;
    const uint8_t *key;
    struct mc_error *err;
};

/* A leaf wrapping the JSON text of value (numbers already raw, so exact). */
static cJSON *make_leaf(const cJSON *value, const struct set_ctx *sc)
{
    cJSON *leaf = cJSON_CreateObject();
    char *text = cJSON_IsRaw(value) ? mc_strdup(value->valuestring)
                                    : cJSON_PrintUnformatted(value);

    if (sc->secret) {
        char *sealed = seal(text, sc->key);
        cJSON_AddStringToObject(leaf, "value", sealed);
        free(sealed);
    } else {
        cJSON_AddStringToObject(leaf, "value", text);
    }
    cJSON_AddTrueToObject(leaf, "leaf");
    if (sc->secret)
        cJSON_AddTrueToObject(leaf, "secret");
    free(text);
    return leaf;
}

static void put_leaf(cJSON *parent, const char *name, const cJSON *value,
                     const struct set_ctx *sc)
{
    cJSON *leaf = make_leaf(value, sc);

    if (cJSON_GetObjectItemCaseSensitive(parent, name))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, name, leaf);
    else
        cJSON_AddItemToObject(parent, name, leaf);
}

/* Merges object value into node leaf by leaf (siblings already there are kept). */
static int merge(cJSON *node, const cJSON *value, const struct set_ctx *sc, int depth)
{
    const cJSON *c;

    if (depth > MC_CONFIG_DEPTH_MAX) {
        mc_error_bad_request(sc->err, ERROR_ID, "value nests deeper than %d levels",
                             MC_CONFIG_DEPTH_MAX);
        return MC_EINVAL;
    }
    cJSON_ArrayForEach(c, value) {
        if (cJSON_IsObject(c)) {
            if (merge(child_object(node, c->string), c, sc, depth + 1) < 0)
                return MC_EINVAL;
        } else {
            put_leaf(node, c->string, c, sc);
        }
    }
    return MC_OK;
}

int mc_config_doc_set(cJSON *root, const char *path, const char *data, size_t len, bool secret,
                      const uint8_t *key, struct mc_error *err)
{
    struct set_ctx sc = { secret, key, err };
    struct mc_pbjson_err jerr;
    struct path p;
    cJSON *value = NULL, *work;
    int rc = MC_OK;

    if (split_path(path, &p) < 0)
        return bad_path(err, path);
    if (secret && !key) {
        mc_error_internal(err, ERROR_ID, "Can't encode secret: secret key is not set");
        return MC_EINVAL;
    }
    if (mc_pbjson_parse(data, len, &value, &jerr) < 0) {
        mc_error_bad_request(err, ERROR_ID, "value is not JSON: %s", jerr.msg);
        return MC_EINVAL;
    }
    if (cJSON_IsNumber(value) && value->valuestring)
        value->type = cJSON_Raw;
    else
        mc_pbjson_numbers_to_raw(value);
    if (cJSON_IsObject(value)) {
        /* merge into a copy so that a failure leaves the document unchanged */
        work = cJSON_Duplicate(root, true);
        rc = merge(ensure(work, &p, p.n), value, &sc, 0);
        if (rc == MC_OK) {
            cJSON *c;
            /* move the merged contents over: root keeps its identity for the caller */
            while ((c = root->child) != NULL)
                cJSON_Delete(cJSON_DetachItemViaPointer(root, c));
            while ((c = work->child) != NULL)
                cJSON_AddItemToObject(root, c->string, cJSON_DetachItemViaPointer(work, c));
        }
        cJSON_Delete(work);
    } else if (p.n == 0) {
        mc_error_bad_request(err, ERROR_ID, "only an object can be set at the root");
        rc = MC_EINVAL;
    } else {
        put_leaf(ensure(root, &p, p.n - 1), p.seg[p.n - 1], value, &sc);
    }
    cJSON_Delete(value);
    return rc;
}

/* ---- get ---------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* The unwrapped copy of node: leaves as raw JSON, objects with sorted keys. */
static cJSON *unwrap(const cJSON *node, bool decrypt, const uint8_t *key, struct mc_error *err,
                     int depth)
{
    const cJSON *c;
    const cJSON **kids;
    size_t n = 0, i = 0;
    cJSON *out;

    if (is_leaf(node)) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "value"));
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(node, "secret")))
            return cJSON_CreateRaw(v ? v : "null");
        if (!decrypt)
            return cJSON_CreateString("[secret]");
        char *plain = key && v ? unseal(v, key) : NULL;
        if (!plain) {
            mc_error_internal(err, ERROR_ID, "Can't decode secret: %s",
                              key ? "the secret does not open with this key"
                                  : "secret key is not set");
            return NULL;
        }
        out = cJSON_CreateRaw(plain);
        free(plain);
        return out;
    }
    if (!cJSON_IsObject(node) || depth > MC_CONFIG_DEPTH_MAX)
        return cJSON_CreateNull();
    cJSON_ArrayForEach(c, node)
        n++;
    kids = mc_calloc(n ? n : 1, sizeof(*kids));
    cJSON_ArrayForEach(c, node)
        kids[i++] = c;
    qsort(kids, n, sizeof(*kids), by_name);
    out = cJSON_CreateObject();
    for (i = 0; i < n; i++) {
        cJSON *v = unwrap(kids[i], decrypt, key, err, depth + 1);
        if (!v) {
            cJSON_Delete(out);
            out = NULL;
            break;
        }
        cJSON_AddItemToObject(out, kids[i]->string, v);
    }
    free(kids);
    return out;
}

int mc_config_doc_get(const cJSON *root, const char *path, bool decrypt, const uint8_t *key,
                      struct mc_buf *out, struct mc_error *err)
{
    struct path p;
    const cJSON *node;
    cJSON *value;
    char *text;
    int rc;

    if (split_path(path, &p) < 0)
        return bad_path(err, path);
    node = walk(root, &p, p.n);
    if (!node)
        return mc_buf_append_str(out, "null");
    value = unwrap(node, decrypt, key, err, 0);
    if (!value)
        return MC_EINVAL;
    text = cJSON_PrintUnformatted(value);
    rc = mc_buf_append_str(out, text);
    cJSON_free(text);
    cJSON_Delete(value);
    return rc;
}

/* ---- delete, load, save ------------------------------------------------------------- */

int mc_config_doc_delete(cJSON *root, const char *path, struct mc_error *err)
{
    struct path p;
    cJSON *parent, *c;

    if (split_path(path, &p) < 0)
        return bad_path(err, path);
    if (p.n == 0) {
        while ((c = root->child) != NULL)
            cJSON_Delete(cJSON_DetachItemViaPointer(root, c));
        return MC_OK;
    }
    parent = walk(root, &p, p.n - 1);
    if (parent && cJSON_IsObject(parent) && !is_leaf(parent))
        cJSON_DeleteItemFromObjectCaseSensitive(parent, p.seg[p.n - 1]);
    return MC_OK;
}

int mc_config_doc_load(const char *text, size_t len, cJSON **root)
{
    struct mc_pbjson_err jerr;

    *root = NULL;
    if (!text || len == 0) {
        *root = cJSON_CreateObject();
        return MC_OK;
    }
    if (mc_pbjson_parse(text, len, root, &jerr) < 0 || !cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return MC_EINVAL;
    }
    return MC_OK;
}

int mc_config_doc_save(const cJSON *root, struct mc_buf *out)
{
    char *text = cJSON_PrintUnformatted(root);
    int rc = mc_buf_append_str(out, text);

    cJSON_free(text);
    return rc;
}
