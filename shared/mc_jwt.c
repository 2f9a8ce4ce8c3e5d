/*
 * Ed25519-signed JWTs (see mc_jwt.h). JSON goes through cJSON; base64url and
 * the signature through libsodium. The signed input is the ASCII of
 * "<b64url(header)>.<b64url(payload)>", as RFC 7515 says.
 */
#include "mc_jwt.h"

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "mc_banned.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static int sodium_ready(void)
{
    return sodium_init() < 0 ? MC_EIO : MC_OK;
}

void mc_jwt_claims_init(struct mc_jwt_claims *c)
{
    memset(c, 0, sizeof(*c));
}

void mc_jwt_claims_release(struct mc_jwt_claims *c)
{
    free(c->sub);
    free(c->iss);
    free(c->type);
    free(c->name);
    for (size_t i = 0; i < c->nscopes; i++)
        free(c->scopes[i]);
    free(c->scopes);
    for (size_t i = 0; i < c->nmeta; i++) {
        free(c->meta_keys[i]);
        free(c->meta_values[i]);
    }
    free(c->meta_keys);
    free(c->meta_values);
    mc_jwt_claims_init(c);
}

int mc_jwt_claims_add_scope(struct mc_jwt_claims *c, const char *scope)
{
    if (c->nscopes >= MC_JWT_MAX_SCOPES)
        return MC_ETOOBIG;
    c->scopes = mc_realloc(c->scopes, (c->nscopes + 1) * sizeof(*c->scopes));
    c->scopes[c->nscopes++] = mc_strdup(scope);
    return MC_OK;
}

int mc_jwt_claims_add_metadata(struct mc_jwt_claims *c, const char *key, const char *value)
{
    if (c->nmeta >= MC_JWT_MAX_METADATA)
        return MC_ETOOBIG;
    c->meta_keys = mc_realloc(c->meta_keys, (c->nmeta + 1) * sizeof(*c->meta_keys));
    c->meta_values = mc_realloc(c->meta_values, (c->nmeta + 1) * sizeof(*c->meta_values));
    c->meta_keys[c->nmeta] = mc_strdup(key);
    c->meta_values[c->nmeta] = mc_strdup(value);
    c->nmeta++;
    return MC_OK;
}

int mc_jwt_keypair(uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES], uint8_t sk[MC_JWT_SECRET_KEY_BYTES])
{
    if (sodium_ready() < 0)
        return MC_EIO;
    crypto_sign_keypair(pk, sk);
    return MC_OK;
}

/* ---- signing ------------------------------------------------------------------------ */

static cJSON *claims_json(const struct mc_jwt_claims *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *scopes, *md;

    cJSON_AddStringToObject(o, "type", c->type ? c->type : "");
    scopes = cJSON_AddArrayToObject(o, "scopes");
    for (size_t i = 0; i < c->nscopes; i++)
        cJSON_AddItemToArray(scopes, cJSON_CreateString(c->scopes[i]));
    md = cJSON_AddObjectToObject(o, "metadata");
    for (size_t i = 0; i < c->nmeta; i++)
        cJSON_AddStringToObject(md, c->meta_keys[i], c->meta_values[i]);
    cJSON_AddStringToObject(o, "name", c->name ? c->name : "");
    cJSON_AddNumberToObject(o, "exp", (double)c->exp);
    cJSON_AddNumberToObject(o, "iat", (double)c->iat);
    cJSON_AddStringToObject(o, "iss", c->iss ? c->iss : "");
    cJSON_AddStringToObject(o, "sub", c->sub ? c->sub : "");
    return o;
}

/* Appends base64url(p, n) to out. */
static int append_b64(struct mc_buf *out, const void *p, size_t n)
{
    size_t enc = sodium_base64_ENCODED_LEN(n, B64);
    char *dst = mc_buf_reserve(out, enc);

    if (!dst)
        return MC_ETOOBIG;
    sodium_bin2base64(dst, enc, p, n, B64);
    mc_buf_commit(out, strlen(dst));
    return MC_OK;
}

int mc_jwt_sign(const struct mc_jwt_claims *c, const uint8_t sk[MC_JWT_SECRET_KEY_BYTES],
                struct mc_buf *out)
{
    static const char header[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
    size_t start = out->len;
    uint8_t sig[crypto_sign_BYTES];
    cJSON *o;
    char *payload;
    int rc;

    if (sodium_ready() < 0)
        return MC_EIO;
    o = claims_json(c);
    payload = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!payload)
        return MC_ETOOBIG;   /* cJSON fails only on allocation: treat it as no room */
    rc = append_b64(out, header, sizeof(header) - 1);
    if (rc == MC_OK)
        rc = mc_buf_append_byte(out, '.');
    if (rc == MC_OK)
        rc = append_b64(out, payload, strlen(payload));
    free(payload);
    if (rc == MC_OK) {
        crypto_sign_detached(sig, NULL, (const uint8_t *)out->data + start, out->len - start,
                             sk);
        rc = mc_buf_append_byte(out, '.');
    }
    if (rc == MC_OK)
        rc = append_b64(out, sig, sizeof(sig));
    if (rc == MC_OK && out->len - start > MC_JWT_MAX_LEN)
        rc = MC_ETOOBIG;
    if (rc < 0) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

/* ---- verifying ---------------------------------------------------------------------- */

/* Decodes base64url part p[0..n) into a fresh NUL-terminated buffer. */
static int decode_part(const char *p, size_t n, uint8_t **bin, size_t *bin_len)
{
    size_t cap = n / 4 * 3 + 3;
    const char *end;

    *bin = mc_malloc(cap + 1);
    *bin_len = 0;
    if (n == 0) {   /* libsodium refuses empty input; an empty part is empty bytes */
        (*bin)[0] = '\0';
        return MC_OK;
    }
    if (sodium_base642bin(*bin, cap, p, n, NULL, bin_len, &end, B64) != 0 || end != p + n) {
        free(*bin);
        *bin = NULL;
        return MC_EPROTO;
    }
    (*bin)[*bin_len] = '\0';
    return MC_OK;
}

/* Parses decoded JSON that must be an object; NULL for anything else (an
 * embedded NUL makes it fail too, since cJSON must consume every byte). */
static cJSON *parse_object(const uint8_t *bin, size_t len)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts((const char *)bin, len, &end, 0);

    if (o && (!cJSON_IsObject(o) || end != (const char *)bin + len)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int check_header(const char *p, size_t n)
{
    uint8_t *bin;
    size_t len;
    cJSON *h, *alg;
    int rc = decode_part(p, n, &bin, &len);

    if (rc < 0)
        return rc;
    h = parse_object(bin, len);
    free(bin);
    if (!h)
        return MC_EPROTO;
    alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    if (!cJSON_IsString(alg))
        rc = MC_EPROTO;
    else if (strcmp(alg->valuestring, "EdDSA") != 0)
        rc = MC_EUNSUPPORTED;
    cJSON_Delete(h);
    return rc;
}

static int check_signature(const char *token, size_t signed_len, const char *sig, size_t n,
                           const uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES])
{
    uint8_t *bin;
    size_t len;
    int rc = decode_part(sig, n, &bin, &len);

    if (rc < 0)
        return rc;
    if (len != crypto_sign_BYTES ||
        crypto_sign_verify_detached(bin, (const uint8_t *)token, signed_len, pk) != 0)
        rc = MC_EINVAL;
    free(bin);
    return rc;
}

/* A string claim: absent or null is NULL, another type is MC_EPROTO. */
static int take_string(const cJSON *o, const char *key, char **dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v || cJSON_IsNull(v))
        return MC_OK;
    if (!cJSON_IsString(v))
        return MC_EPROTO;
    *dst = mc_strdup(v->valuestring);
    return MC_OK;
}

/* A NumericDate: an integral number within what a double holds exactly. */
static int take_time(const cJSON *o, const char *key, int64_t *dst, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double d;

    if (!v || cJSON_IsNull(v))
        return required ? MC_EPROTO : MC_OK;
    if (!cJSON_IsNumber(v))
        return MC_EPROTO;
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
        return MC_EPROTO;
    *dst = (int64_t)d;
    return MC_OK;
}

static int take_scopes(const cJSON *o, struct mc_jwt_claims *c)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "scopes");
    const cJSON *it;

    if (!arr || cJSON_IsNull(arr))
        return MC_OK;
    if (!cJSON_IsArray(arr))
        return MC_EPROTO;
    cJSON_ArrayForEach(it, arr) {
        int rc;
        if (!cJSON_IsString(it))
            return MC_EPROTO;
        if ((rc = mc_jwt_claims_add_scope(c, it->valuestring)) < 0)
            return rc;
    }
    return MC_OK;
}

static int take_metadata(const cJSON *o, struct mc_jwt_claims *c)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    const cJSON *it;

    if (!md || cJSON_IsNull(md))
        return MC_OK;
    if (!cJSON_IsObject(md))
        return MC_EPROTO;
    cJSON_ArrayForEach(it, md) {
        int rc;
        if (!cJSON_IsString(it) || !it->string)
            return MC_EPROTO;
        if ((rc = mc_jwt_claims_add_metadata(c, it->string, it->valuestring)) < 0)
            return rc;
    }
    return MC_OK;
}

static int parse_claims(const char *p, size_t n, struct mc_jwt_claims *c)
{
    uint8_t *bin;
    size_t len;
    cJSON *o;
    int rc = decode_part(p, n, &bin, &len);

    if (rc < 0)
        return rc;
    o = parse_object(bin, len);
    free(bin);
    if (!o)
        return MC_EPROTO;
    rc = take_string(o, "sub", &c->sub);
    if (rc == MC_OK && !c->sub)
        rc = MC_EPROTO;
    if (rc == MC_OK)
        rc = take_string(o, "iss", &c->iss);
    if (rc == MC_OK)
        rc = take_string(o, "type", &c->type);
    if (rc == MC_OK)
        rc = take_string(o, "name", &c->name);
    if (rc == MC_OK)
        rc = take_time(o, "exp", &c->exp, true);
    if (rc == MC_OK)
        rc = take_time(o, "iat", &c->iat, false);
    if (rc == MC_OK)
        rc = take_scopes(o, c);
    if (rc == MC_OK)
        rc = take_metadata(o, c);
    cJSON_Delete(o);
    return rc;
}

int mc_jwt_verify(const char *token, size_t len, const uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES],
                  int64_t now, struct mc_jwt_claims *out)
{
    const char *dot1, *dot2;
    int rc;

    mc_jwt_claims_release(out);
    if (len > MC_JWT_MAX_LEN)
        return MC_ETOOBIG;
    if (sodium_ready() < 0)
        return MC_EIO;
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return MC_EPROTO;
    /* the alg first: a token that names another algorithm is never checked with ours */
    rc = check_header(token, (size_t)(dot1 - token));
    if (rc == MC_OK)
        rc = check_signature(token, (size_t)(dot2 - token), dot2 + 1,
                             len - (size_t)(dot2 + 1 - token), pk);
    if (rc == MC_OK)
        rc = parse_claims(dot1 + 1, (size_t)(dot2 - dot1 - 1), out);
    if (rc == MC_OK && now >= out->exp)
        rc = MC_ETIMEDOUT;
    if (rc < 0)
        mc_jwt_claims_release(out);
    return rc;
}
