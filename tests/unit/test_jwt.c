/* Unit tests for mc_jwt: sign/verify round trip, every refusal (alg, signature,
 * expiry, shape, limits), and tokens built by hand the way an attacker would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "mc_jwt.h"

static uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES], sk[MC_JWT_SECRET_KEY_BYTES];
static uint8_t pk2[MC_JWT_PUBLIC_KEY_BYTES], sk2[MC_JWT_SECRET_KEY_BYTES];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(mc_jwt_keypair(pk, sk), 0);
    assert_int_equal(mc_jwt_keypair(pk2, sk2), 0);
    return 0;
}

static void sample(struct mc_jwt_claims *c)
{
    mc_jwt_claims_init(c);
    c->sub = strdup("admin");
    c->iss = strdup("micro");
    c->type = strdup("user");
    c->name = strdup("Admin");
    c->iat = 1000;
    c->exp = 2000;
    assert_int_equal(mc_jwt_claims_add_scope(c, "admin"), 0);
    assert_int_equal(mc_jwt_claims_add_scope(c, "service"), 0);
    assert_int_equal(mc_jwt_claims_add_metadata(c, "created", "1000"), 0);
}

static void sign_sample(struct mc_buf *out, const uint8_t *key)
{
    struct mc_jwt_claims c;
    sample(&c);
    mc_buf_init(out, MC_JWT_MAX_LEN);
    assert_int_equal(mc_jwt_sign(&c, key, out), 0);
    mc_jwt_claims_release(&c);
}

static int verify(const char *tok, int64_t now, struct mc_jwt_claims *out)
{
    return mc_jwt_verify(tok, strlen(tok), pk, now, out);
}

static void test_round_trip(void **state)
{
    struct mc_buf tok;
    struct mc_jwt_claims c;
    (void)state;

    sign_sample(&tok, sk);
    /* three base64url parts, no padding */
    assert_null(strchr(tok.data, '='));
    assert_int_equal(tok.data[0], 'e');   /* {"alg"... */
    mc_jwt_claims_init(&c);
    assert_int_equal(verify(tok.data, 1500, &c), 0);
    assert_string_equal(c.sub, "admin");
    assert_string_equal(c.iss, "micro");
    assert_string_equal(c.type, "user");
    assert_string_equal(c.name, "Admin");
    assert_int_equal(c.exp, 2000);
    assert_int_equal(c.iat, 1000);
    assert_int_equal(c.nscopes, 2);
    assert_string_equal(c.scopes[1], "service");
    assert_int_equal(c.nmeta, 1);
    assert_string_equal(c.meta_keys[0], "created");
    assert_string_equal(c.meta_values[0], "1000");
    mc_jwt_claims_release(&c);
    assert_null(c.sub);
    mc_buf_release(&tok);
}

static void test_expiry(void **state)
{
    struct mc_buf tok;
    struct mc_jwt_claims c;
    (void)state;

    sign_sample(&tok, sk);
    mc_jwt_claims_init(&c);
    assert_int_equal(verify(tok.data, 1999, &c), 0);
    assert_int_equal(verify(tok.data, 2000, &c), MC_ETIMEDOUT);
    assert_null(c.sub);   /* claims left empty on error */
    assert_int_equal(verify(tok.data, 99999, &c), MC_ETIMEDOUT);
    mc_jwt_claims_release(&c);
    mc_buf_release(&tok);
}

static void test_other_key_and_tampering(void **state)
{
    struct mc_buf tok;
    struct mc_jwt_claims c;
    char *copy;
    char *dot;
    int rc;
    (void)state;

    mc_jwt_claims_init(&c);
    sign_sample(&tok, sk2);
    assert_int_equal(verify(tok.data, 1500, &c), MC_EINVAL);
    mc_buf_release(&tok);

    sign_sample(&tok, sk);
    copy = strdup(tok.data);
    /* flip one payload character */
    dot = strchr(copy, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    assert_int_not_equal(verify(copy, 1500, &c), 0);
    free(copy);
    /* a truncated signature */
    copy = strdup(tok.data);
    copy[strlen(copy) - 4] = '\0';
    rc = verify(copy, 1500, &c);   /* short (EINVAL) or bad trailing bits (EPROTO) */
    assert_true(rc == MC_EINVAL || rc == MC_EPROTO);
    free(copy);
    /* no signature at all */
    copy = strdup(tok.data);
    strrchr(copy, '.')[1] = '\0';
    assert_int_equal(verify(copy, 1500, &c), MC_EINVAL);
    free(copy);
    mc_jwt_claims_release(&c);
    mc_buf_release(&tok);
}

/* Builds "<b64(header)>.<b64(payload)>.<b64(sig over both with key)>". */
static char *forge(const char *header, const char *payload, const uint8_t *key)
{
    char h[2048], p[4096];
    uint8_t sig[crypto_sign_BYTES];
    char s[128];
    char *out = malloc(8192);

    sodium_bin2base64(h, sizeof(h), (const uint8_t *)header, strlen(header),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(p, sizeof(p), (const uint8_t *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, 8192, "%s.%s", h, p);
    crypto_sign_detached(sig, NULL, (const uint8_t *)out, strlen(out), key);
    sodium_bin2base64(s, sizeof(s), sig, sizeof(sig), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out + strlen(out), 8192 - strlen(out), ".%s", s);
    return out;
}

#define GOOD_HDR "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}"
#define GOOD_BODY "{\"sub\":\"a\",\"iss\":\"micro\",\"exp\":2000}"

static void expect(const char *header, const char *payload, int rc)
{
    struct mc_jwt_claims c;
    char *t = forge(header, payload, sk);
    mc_jwt_claims_init(&c);
    assert_int_equal(verify(t, 1500, &c), rc);
    mc_jwt_claims_release(&c);
    free(t);
}

static void test_alg_refused(void **state)
{
    (void)state;
    expect(GOOD_HDR, GOOD_BODY, 0);
    expect("{\"alg\":\"none\"}", GOOD_BODY, MC_EUNSUPPORTED);
    expect("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", GOOD_BODY, MC_EUNSUPPORTED);
    expect("{\"alg\":\"RS256\"}", GOOD_BODY, MC_EUNSUPPORTED);
    expect("{\"alg\":\"eddsa\"}", GOOD_BODY, MC_EUNSUPPORTED);
    expect("{\"typ\":\"JWT\"}", GOOD_BODY, MC_EPROTO);
    expect("{\"alg\":1}", GOOD_BODY, MC_EPROTO);
    expect("[]", GOOD_BODY, MC_EPROTO);
    expect("not json", GOOD_BODY, MC_EPROTO);

    /* the classic "none" token with an empty signature */
    {
        struct mc_jwt_claims c;
        mc_jwt_claims_init(&c);
        assert_int_equal(verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwiZXhwIjoyMDAwfQ.", 1500, &c),
                         MC_EUNSUPPORTED);
        mc_jwt_claims_release(&c);
    }
}

static void test_claim_shapes(void **state)
{
    (void)state;
    expect(GOOD_HDR, "{\"iss\":\"micro\",\"exp\":2000}", MC_EPROTO);          /* no sub */
    expect(GOOD_HDR, "{\"sub\":\"a\"}", MC_EPROTO);                           /* no exp */
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":\"2000\"}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000.5}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":1e300}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":1,\"exp\":2000}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000,\"scopes\":\"admin\"}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000,\"scopes\":[1]}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000,\"metadata\":[]}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000,\"metadata\":{\"k\":1}}", MC_EPROTO);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000,\"scopes\":null,\"metadata\":null}", 0);
    expect(GOOD_HDR, "{\"sub\":\"a\",\"exp\":2000} trailing", MC_EPROTO);
    expect(GOOD_HDR, "[1,2]", MC_EPROTO);
}

static void test_limits_and_syntax(void **state)
{
    struct mc_jwt_claims c;
    char body[8192];
    size_t n;
    char *big;
    (void)state;

    mc_jwt_claims_init(&c);
    /* too many scopes */
    n = (size_t)snprintf(body, sizeof(body), "{\"sub\":\"a\",\"exp\":2000,\"scopes\":[");
    for (int i = 0; i <= MC_JWT_MAX_SCOPES; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"s%d\"", i ? "," : "", i);
    snprintf(body + n, sizeof(body) - n, "]}");
    expect(GOOD_HDR, body, MC_ETOOBIG);
    /* too long */
    big = malloc(MC_JWT_MAX_LEN + 2);
    memset(big, 'a', MC_JWT_MAX_LEN + 1);
    big[MC_JWT_MAX_LEN + 1] = '\0';
    assert_int_equal(verify(big, 1500, &c), MC_ETOOBIG);
    free(big);
    /* shapes that are not three base64url parts */
    assert_int_equal(verify("", 1500, &c), MC_EPROTO);
    assert_int_equal(verify("abc", 1500, &c), MC_EPROTO);
    assert_int_equal(verify("a.b", 1500, &c), MC_EPROTO);
    assert_int_equal(verify("a.b.c.d", 1500, &c), MC_EPROTO);
    assert_int_equal(verify("!!!.b.c", 1500, &c), MC_EPROTO);
    assert_int_equal(verify("eyJhbGciOiJFZERTQSJ9=.e30.", 1500, &c), MC_EPROTO);
    /* a NUL inside the token: the length rules, not strlen */
    assert_int_equal(mc_jwt_verify("a\0.b.c", 6, pk, 1500, &c), MC_EPROTO);
    mc_jwt_claims_release(&c);
}

static void test_sign_limits(void **state)
{
    struct mc_jwt_claims c;
    struct mc_buf out;
    char *longname = malloc(MC_JWT_MAX_LEN);
    (void)state;

    mc_jwt_claims_init(&c);
    for (int i = 0; i < MC_JWT_MAX_SCOPES; i++)
        assert_int_equal(mc_jwt_claims_add_scope(&c, "x"), 0);
    assert_int_equal(mc_jwt_claims_add_scope(&c, "x"), MC_ETOOBIG);
    for (int i = 0; i < MC_JWT_MAX_METADATA; i++)
        assert_int_equal(mc_jwt_claims_add_metadata(&c, "k", "v"), 0);
    assert_int_equal(mc_jwt_claims_add_metadata(&c, "k", "v"), MC_ETOOBIG);
    memset(longname, 'n', MC_JWT_MAX_LEN - 1);
    longname[MC_JWT_MAX_LEN - 1] = '\0';
    c.name = longname;
    c.sub = strdup("a");
    mc_buf_init(&out, 1 << 20);
    assert_int_equal(mc_buf_append_str(&out, "prefix"), 0);
    assert_int_equal(mc_jwt_sign(&c, sk, &out), MC_ETOOBIG);
    assert_string_equal(mc_buf_cstr(&out), "prefix");   /* restored */
    mc_buf_release(&out);
    /* a small output buffer */
    mc_buf_init(&out, 16);
    free(c.name);
    c.name = strdup("n");
    assert_int_equal(mc_jwt_sign(&c, sk, &out), MC_ETOOBIG);
    assert_int_equal(out.len, 0);
    mc_buf_release(&out);
    mc_jwt_claims_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_other_key_and_tampering),
        cmocka_unit_test(test_alg_refused),
        cmocka_unit_test(test_claim_shapes),
        cmocka_unit_test(test_limits_and_syntax),
        cmocka_unit_test(test_sign_limits),
    };
    return cmocka_run_group_tests_name("jwt", tests, setup, NULL);
}
