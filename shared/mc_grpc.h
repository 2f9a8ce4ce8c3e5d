/*
 * What the gRPC server and client share: status codes, the metadata list
 * (lower-case keys; values of "-bin" keys are the decoded bytes, base64 only
 * on the wire, as gRPC libraries do), the limits struct with its defaults, and
 * the small wire encodings gRPC uses in headers: grpc-timeout values,
 * percent-encoded grpc-message and unpadded base64. All of it is sans-IO.
 */
#ifndef MC_GRPC_H
#define MC_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"

/* gRPC status codes (grpc/doc/statuscodes.md). */
enum mc_grpc_code {
    MC_GRPC_OK = 0,
    MC_GRPC_CANCELLED = 1,
    MC_GRPC_UNKNOWN = 2,
    MC_GRPC_INVALID_ARGUMENT = 3,
    MC_GRPC_DEADLINE_EXCEEDED = 4,
    MC_GRPC_NOT_FOUND = 5,
    MC_GRPC_ALREADY_EXISTS = 6,
    MC_GRPC_PERMISSION_DENIED = 7,
    MC_GRPC_RESOURCE_EXHAUSTED = 8,
    MC_GRPC_FAILED_PRECONDITION = 9,
    MC_GRPC_ABORTED = 10,
    MC_GRPC_OUT_OF_RANGE = 11,
    MC_GRPC_UNIMPLEMENTED = 12,
    MC_GRPC_INTERNAL = 13,
    MC_GRPC_UNAVAILABLE = 14,
    MC_GRPC_DATA_LOSS = 15,
    MC_GRPC_UNAUTHENTICATED = 16,
};

/* Upper-case name of a code ("DEADLINE_EXCEEDED"); "UNKNOWN" outside 0..16. */
const char *mc_grpc_code_name(int code);

/* Limits for both ends; every field has a default (mc_grpc_limits_default). */
struct mc_grpc_limits {
    size_t max_recv_msg;          /* largest message accepted (32 MiB) */
    size_t max_send_msg;          /* largest message sent (32 MiB) */
    size_t max_header_bytes;      /* sum of header name+value bytes per header block (64 KiB) */
    size_t max_metadata;          /* metadata entries per header block (256) */
    uint32_t max_streams;         /* concurrent streams per connection (1000) */
    uint32_t stream_window;       /* initial HTTP/2 stream receive window (1 MiB) */
    uint32_t conn_window;         /* HTTP/2 connection receive window (16 MiB) */
    size_t max_conns;             /* server: connections accepted at once (10000) */
};
void mc_grpc_limits_default(struct mc_grpc_limits *l);

/* One metadata entry. key: lower-case, NUL-terminated. value: value_len bytes
 * plus a NUL (so text values are C strings; "-bin" values may contain NULs). */
struct mc_grpc_md {
    char *key;
    char *value;
    size_t value_len;
};

/* An owned list of entries; duplicates are kept in order. */
struct mc_grpc_metadata {
    struct mc_grpc_md *items;
    size_t count;
    size_t cap;
};

void mc_grpc_metadata_init(struct mc_grpc_metadata *md);
void mc_grpc_metadata_release(struct mc_grpc_metadata *md);
/* Copies key (lower-cased) and value. MC_EINVAL (list unchanged) for a key that
 * is empty, starts with ':' or has characters outside [0-9a-z_.-] after
 * lower-casing, or for a non "-bin" value with bytes outside 0x20..0x7e. */
int mc_grpc_metadata_add(struct mc_grpc_metadata *md, const char *key, size_t key_len,
                         const char *value, size_t value_len);
int mc_grpc_metadata_add_cstr(struct mc_grpc_metadata *md, const char *key, const char *value);
/* The first entry with this key (case-insensitive), or NULL. */
const struct mc_grpc_md *mc_grpc_metadata_get(const struct mc_grpc_metadata *md,
                                              const char *key);
/* Copies every entry of src to the end of dst. */
void mc_grpc_metadata_copy(struct mc_grpc_metadata *dst, const struct mc_grpc_metadata *src);
/* True for keys ending in "-bin". */
bool mc_grpc_key_is_bin(const char *key, size_t key_len);

/* Parses a grpc-timeout value (1-8 digits + unit H M S m u n) into nanoseconds
 * (saturating at UINT64_MAX). MC_EINVAL when malformed. */
int mc_grpc_timeout_parse(const char *s, size_t len, uint64_t *ns);
/* Formats ns as a grpc-timeout value (at most 8 digits, rounded up to the unit
 * that fits); out needs 10 bytes. */
void mc_grpc_timeout_format(uint64_t ns, char out[10]);

/* grpc-message encoding: bytes outside 0x20..0x7e and '%' become %XX.
 * MC_ETOOBIG when out's limit is reached. */
int mc_grpc_percent_encode(struct mc_buf *out, const char *s, size_t len);
/* Reverses it; malformed %-sequences are kept literally (as gRPC does). */
int mc_grpc_percent_decode(struct mc_buf *out, const char *s, size_t len);

/* Standard base64 without padding (gRPC's "-bin" header encoding). */
int mc_grpc_base64_encode(struct mc_buf *out, const void *data, size_t len);
/* Accepts padded and unpadded input. MC_EINVAL on other characters. */
int mc_grpc_base64_decode(struct mc_buf *out, const char *s, size_t len);

/* Status for an HTTP :status when a response has no grpc-status (gRPC's
 * http-grpc-status-mapping.md). */
int mc_grpc_code_from_http(int http_status);

#endif
