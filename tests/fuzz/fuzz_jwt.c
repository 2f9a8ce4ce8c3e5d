/*
 * libFuzzer target for mc_jwt_verify: arbitrary bytes are verified as a token
 * against a fixed key. Besides memory safety it checks that nothing but a
 * token we signed ever verifies: whatever verifies must re-sign (same claims,
 * same key) to a token that verifies to the same claims. Seeds:
 * tests/fuzz/corpus/jwt/ (valid tokens for the fixed key below, "none" and
 * HS256 tokens, broken shapes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mc_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed key: the seed of a key pair, so the corpus can hold valid tokens. */
static const uint8_t seed[crypto_sign_SEEDBYTES] = "micro-fuzz-jwt-fixed-seed-000000";

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static void check_resign(const struct mc_jwt_claims *c, const uint8_t *pk, const uint8_t *sk)
{
    struct mc_buf tok;
    struct mc_jwt_claims again;

    mc_buf_init(&tok, MC_JWT_MAX_LEN * 2);
    mc_jwt_claims_init(&again);
    if (mc_jwt_sign(c, sk, &tok) == 0) {
        if (mc_jwt_verify(tok.data, tok.len, pk, c->exp - 1, &again) != 0)
            abort();
        if (!same(again.sub, c->sub) || !same(again.iss, c->iss) || again.exp != c->exp ||
            again.nscopes != c->nscopes || again.nmeta != c->nmeta)
            abort();
    }
    mc_jwt_claims_release(&again);
    mc_buf_release(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    static int ready;
    struct mc_jwt_claims c;

    if (!ready) {
        if (sodium_init() < 0)
            abort();
        crypto_sign_seed_keypair(pk, sk, seed);
        ready = 1;
    }
    mc_jwt_claims_init(&c);
    /* time 0: every well-formed token with exp > 0 passes the expiry check */
    if (mc_jwt_verify((const char *)data, size, pk, 0, &c) == 0)
        check_resign(&c, pk, sk);
    else if (c.sub || c.nscopes || c.nmeta)
        abort();   /* claims must be left empty on error */
    mc_jwt_claims_release(&c);
    return 0;
}
