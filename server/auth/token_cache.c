/*
 * Verified tokens, remembered until they expire. Checking an Ed25519 signature
 * costs about 100 µs here, two thirds of the server's time per store call under
 * load (bench/run-store with perf); a client sends the same token for its whole
 * lifetime, so the hook verifies each token once and later looks up its claims
 * by the token's BLAKE2b hash. That is safe because nothing can make a
 * signature that verified stop verifying while the server runs (the key pair
 * is fixed at start); expiry is checked on every hit, and the block list after
 * the lookup. Direct-mapped and bounded: a new token evicts whatever shared
 * its slot, so a flood of distinct tokens costs verifications, never memory.
 */
#include "auth_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mc_common.h"
#include "mc_banned.h"

struct auth_token_slot {
    uint8_t hash[AUTH_TOKEN_HASH_BYTES];
    bool used;
    struct mc_jwt_claims claims;
};

static size_t slot_of(const uint8_t hash[AUTH_TOKEN_HASH_BYTES])
{
    size_t h;

    memcpy(&h, hash, sizeof(h));
    return h % AUTH_TOKEN_CACHE_SLOTS;
}

static void token_hash(const char *token, size_t len, uint8_t out[AUTH_TOKEN_HASH_BYTES])
{
    crypto_generichash(out, AUTH_TOKEN_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

const struct mc_jwt_claims *auth_token_cache_get(struct mc_auth *a, const char *token,
                                                 size_t len, int64_t now)
{
    uint8_t hash[AUTH_TOKEN_HASH_BYTES];
    struct auth_token_slot *s;

    if (!a->tokens)
        return NULL;
    token_hash(token, len, hash);
    s = &a->tokens[slot_of(hash)];
    if (!s->used || sodium_memcmp(s->hash, hash, sizeof(hash)) != 0)
        return NULL;
    if (now >= s->claims.exp) {
        mc_jwt_claims_release(&s->claims);
        s->used = false;
        return NULL;
    }
    return &s->claims;
}

void auth_token_cache_put(struct mc_auth *a, const char *token, size_t len,
                          struct mc_jwt_claims *claims)
{
    struct auth_token_slot *s;
    uint8_t hash[AUTH_TOKEN_HASH_BYTES];

    if (!a->tokens)
        a->tokens = mc_calloc(AUTH_TOKEN_CACHE_SLOTS, sizeof(*a->tokens));
    token_hash(token, len, hash);
    s = &a->tokens[slot_of(hash)];
    if (s->used)
        mc_jwt_claims_release(&s->claims);
    memcpy(s->hash, hash, sizeof(hash));
    s->claims = *claims;          /* the slot takes the strings */
    mc_jwt_claims_init(claims);
    s->used = true;
}

void auth_token_cache_free(struct mc_auth *a)
{
    if (!a->tokens)
        return;
    for (size_t i = 0; i < AUTH_TOKEN_CACHE_SLOTS; i++) {
        if (a->tokens[i].used)
            mc_jwt_claims_release(&a->tokens[i].claims);
    }
    free(a->tokens);
    a->tokens = NULL;
}
