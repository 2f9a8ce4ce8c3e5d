/*
 * Request metadata (spec §4.3): a small ordered string map with
 * case-insensitive keys, stored in Go's canonical header form
 * ("micro-namespace" -> "Micro-Namespace") as micro code sees it, and
 * lower-case on the gRPC wire. Both directions of the wire conversion live
 * here (to and from mc_grpc's wire list), with the filtering of transport
 * headers, together with the helpers every frontend needs: the `timeout`
 * header, the request namespace and the token of an Authorization header
 * (grpc-timeout is mc_grpc_timeout_parse/format in mc_grpc.h). Every map has
 * a limit on its pair count and total bytes. No I/O.
 */
#ifndef MC_METADATA_H
#define MC_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_grpc.h" /* struct mc_grpc_metadata, grpc-timeout */

/* Well-known keys, in canonical form. Lookups are case-insensitive, so
 * "timeout" (upstream's spelling on the wire) and MC_MD_TIMEOUT are the same key. */
#define MC_MD_NAMESPACE "Micro-Namespace"
#define MC_MD_AUTHORIZATION "Authorization"
#define MC_MD_TIMEOUT "Timeout"
#define MC_MD_CONTENT_TYPE "X-Content-Type"
#define MC_MD_DATABASE "Micro-Database"
#define MC_MD_TABLE "Micro-Table"
#define MC_MD_TOPIC "Micro-Topic"
#define MC_MD_TRACE_ID "Micro-Trace-Id"
#define MC_MD_SPAN_ID "Micro-Span-Id"
#define MC_MD_ID "Micro-Id"

/* The namespace of a request that names none. */
#define MC_DEFAULT_NAMESPACE "micro"

/* Defaults for mc_metadata_init (an HTTP request rarely has 100 headers). */
#define MC_METADATA_MAX_PAIRS 128
#define MC_METADATA_MAX_BYTES (64 * 1024)

/* The detail of the proxy's 401 for an Authorization header it cannot use. */
#define MC_AUTH_BAD_HEADER_MSG "invalid authorization header. expected Bearer schema"

struct mc_metadata_pair {
    char *key;      /* canonical form, e.g. "Micro-Namespace" */
    char *wire_key; /* lower-case form, e.g. "micro-namespace" */
    char *value;
};

struct mc_metadata {
    struct mc_metadata_pair *pairs; /* insertion order; read-only for callers */
    size_t len;
    size_t cap;
    size_t bytes;     /* sum of key and value lengths */
    size_t max_pairs; /* limits fixed at init */
    size_t max_bytes;
};

/* An empty map with the given limits (0 means the default). Allocates nothing. */
void mc_metadata_init(struct mc_metadata *md, size_t max_pairs, size_t max_bytes);
/* Frees every pair and leaves an empty map with the same limits. */
void mc_metadata_release(struct mc_metadata *md);

/*
 * Sets key to value, replacing the value of an existing key (any case) in
 * place, else appending. The key is stored canonicalised. Copies both.
 * Errors (map unchanged): MC_EINVAL when the key is empty or not an HTTP
 * token, or the value holds CR, LF or NUL (header injection); MC_ETOOBIG past
 * max_pairs or max_bytes.
 */
int mc_metadata_set(struct mc_metadata *md, const char *key, const char *value);
int mc_metadata_setn(struct mc_metadata *md, struct mc_slice key, struct mc_slice value);
/*
 * As setn, but an existing key gets ", " and the value appended (how Go
 * joins a repeated header into one metadata value).
 */
int mc_metadata_addn(struct mc_metadata *md, struct mc_slice key, struct mc_slice value);

/* The value of key (any case), or NULL. Borrowed until the map changes. */
const char *mc_metadata_get(const struct mc_metadata *md, const char *key);
/* Removes key (any case). 0 or MC_ENOTFOUND. */
int mc_metadata_del(struct mc_metadata *md, const char *key);
/* Replaces dst's pairs with copies of src's (dst keeps its limits).
 * MC_ETOOBIG (dst emptied) when src does not fit dst's limits. */
int mc_metadata_copy(struct mc_metadata *dst, const struct mc_metadata *src);

/*
 * Go's http.CanonicalHeaderKey into out (n bytes, n >= len + 1): first letter
 * and every letter after '-' upper case, the rest lower case. A key holding a
 * byte that is not an HTTP token character (a space, say) is copied unchanged,
 * as Go does. Returns the length written, or MC_ETOOBIG when out is too small.
 */
int mc_metadata_canonical_key(const char *key, size_t len, char *out, size_t n);

/*
 * True for the headers that are transport, not metadata, on the way in:
 * HTTP/2 pseudo-headers (":path"...), every "grpc-*" header (grpc-timeout,
 * grpc-encoding, grpc-status...), "te", "content-type" (the codec is chosen
 * from it separately, see mc_codec), and the HTTP/1 connection headers
 * "connection", "keep-alive", "proxy-connection", "transfer-encoding",
 * "upgrade", "host". Case-insensitive. "user-agent" is metadata (grpc-go
 * passes it through too); "-bin" entries are kept (mc_grpc has decoded them).
 */
bool mc_metadata_wire_reserved(struct mc_slice name);

/*
 * Adds one received header, skipping reserved ones (returns 0 for those).
 * Repeated names are joined with ", ". Errors as mc_metadata_addn; a header
 * that is not a valid key or value is MC_EINVAL (the map is unchanged).
 */
int mc_metadata_add_wire(struct mc_metadata *md, struct mc_slice name, struct mc_slice value);

/*
 * Adds every entry of a received gRPC metadata list: reserved keys skipped,
 * repeated keys joined with ", ", entries that cannot be micro metadata
 * skipped too ("-bin" values holding NUL, CR or LF). Stops at the first
 * MC_ETOOBIG (md keeps what was added before).
 */
int mc_metadata_from_grpc(struct mc_metadata *md, const struct mc_grpc_metadata *gmd);

/*
 * Appends md's pairs to a gRPC metadata list for sending, lower-case keys,
 * reserved keys (mc_metadata_wire_reserved) and "user-agent" left out so
 * metadata the gateway copied from HTTP (Host, Content-Type, Connection,
 * User-Agent...) never clashes with the transport's own headers. Pairs gRPC
 * refuses (a key outside [0-9a-z_.-], a value outside 0x20..0x7e such as UTF-8
 * text) are skipped, not fatal: one odd HTTP header must not fail every call.
 * Returns how many gRPC refused.
 */
size_t mc_metadata_to_grpc(const struct mc_metadata *md, struct mc_grpc_metadata *gmd);

/*
 * The `timeout` header: decimal nanoseconds, digits only (no sign, no space),
 * at most INT64_MAX (Go's time.Duration). *ms = the relative deadline in
 * milliseconds, rounded up so that 1 ns is 1 ms and not "no time at all";
 * "0" gives 0 (already expired). MC_EINVAL on syntax, MC_ETOOBIG on overflow;
 * *ms is unchanged on error.
 */
int mc_timeout_parse_ns(struct mc_slice s, uint64_t *ms);
/* Formats ms as the `timeout` header (decimal ns) into out (n bytes, >= 21).
 * 0 or MC_ETOOBIG (ms * 1e6 past INT64_MAX, or n too small). */
int mc_timeout_format_ns(uint64_t ms, char *out, size_t n);

/* Micro-Namespace when present and non-empty, else MC_DEFAULT_NAMESPACE.
 * Borrowed from md (or static). */
const char *mc_metadata_namespace(const struct mc_metadata *md);

/*
 * The token of an Authorization header value. "Bearer <token>" gives
 * <token>; with allow_basic (service handlers do, the proxy does not)
 * "Basic base64(user:token)" gives the part after the first ':'. Scheme names
 * match case-insensitively. The token is appended to token.
 * Errors: MC_EINVAL for any other form (no scheme, another scheme, an empty
 * token, bad base64, no ':'); answer it with 401 MC_AUTH_BAD_HEADER_MSG.
 * MC_ETOOBIG past token's limit.
 */
int mc_metadata_auth_token(const char *header, bool allow_basic, struct mc_buf *token);

#endif
