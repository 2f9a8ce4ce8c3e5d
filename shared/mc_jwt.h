/*
 * Access tokens: JSON Web Tokens signed with Ed25519 (JWS alg "EdDSA",
 * RFC 8037), base64url without padding, carrying upstream's claims (spec §6.2):
 * sub (account id), iss (issuer namespace), exp, iat, and the custom type,
 * scopes, metadata and name. The server signs with its secret key; anyone with
 * the public key verifies locally (the proxy, the gateway, user services).
 * Verification accepts only "EdDSA": "none" and every other alg are refused
 * before the signature is even looked at, so no key confusion is possible.
 * Everything here is pure (the caller passes the time), so tests and the
 * fuzzer control expiry.
 */
#ifndef MC_JWT_H
#define MC_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

#define MC_JWT_PUBLIC_KEY_BYTES 32
#define MC_JWT_SECRET_KEY_BYTES 64
/* Longest token accepted or produced (an HTTP header must carry it). */
#define MC_JWT_MAX_LEN (8 * 1024)
/* Most scopes and metadata entries a token may carry. */
#define MC_JWT_MAX_SCOPES 64
#define MC_JWT_MAX_METADATA 64

/* The claims of a token. Every string is NULL or a heap string owned by the
 * struct (NULL reads as ""); arrays are owned too. */
struct mc_jwt_claims {
    char *sub;          /* account id */
    char *iss;          /* issuer namespace */
    char *type;         /* "user", "service", ... */
    char *name;
    int64_t exp;        /* unix seconds */
    int64_t iat;        /* unix seconds */
    char **scopes;
    size_t nscopes;
    char **meta_keys;   /* metadata, in token order */
    char **meta_values;
    size_t nmeta;
};

/* Empty claims. Allocates nothing. */
void mc_jwt_claims_init(struct mc_jwt_claims *c);
/* Frees everything and leaves empty claims. */
void mc_jwt_claims_release(struct mc_jwt_claims *c);
/* Setters that copy their arguments (replacing earlier values).
 * MC_ETOOBIG past MC_JWT_MAX_SCOPES / MC_JWT_MAX_METADATA (claims unchanged). */
int mc_jwt_claims_add_scope(struct mc_jwt_claims *c, const char *scope);
int mc_jwt_claims_add_metadata(struct mc_jwt_claims *c, const char *key, const char *value);

/* A fresh key pair (libsodium's CSPRNG). Returns 0 or MC_EIO when libsodium
 * cannot initialise. */
int mc_jwt_keypair(uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES], uint8_t sk[MC_JWT_SECRET_KEY_BYTES]);

/*
 * Appends the signed token for c to out: header {"alg":"EdDSA","typ":"JWT"},
 * payload {"type","scopes","metadata","name","exp","iat","iss","sub"}.
 * Returns 0; MC_ETOOBIG when the token would pass MC_JWT_MAX_LEN or out's
 * limit (out is then restored to its previous length); MC_EIO when libsodium
 * cannot initialise.
 */
int mc_jwt_sign(const struct mc_jwt_claims *c, const uint8_t sk[MC_JWT_SECRET_KEY_BYTES],
                struct mc_buf *out);

/*
 * Verifies token (len bytes, not necessarily NUL-terminated) with pk at time
 * now (unix seconds) and fills out (released first) with its claims.
 * Errors (out left empty):
 *   MC_ETOOBIG      len > MC_JWT_MAX_LEN, or too many scopes / metadata entries
 *   MC_EPROTO       not three base64url parts, header or payload not a JSON
 *                   object, a claim of the wrong type, no sub or no exp
 *   MC_EUNSUPPORTED alg other than "EdDSA" ("none" included)
 *   MC_EINVAL       the signature does not verify
 *   MC_ETIMEDOUT    expired (now >= exp)
 */
int mc_jwt_verify(const char *token, size_t len, const uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES],
                  int64_t now, struct mc_jwt_claims *out);

#endif
