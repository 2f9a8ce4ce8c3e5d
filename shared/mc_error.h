/*
 * The micro error (spec §4.4): {id, code, detail, status}, where code is an
 * HTTP status and status its text. It travels three ways and this module owns
 * all three encodings: as compact JSON (the HTTP API body, the gRPC status
 * message), as the errors.Error proto packed in a google.rpc.Status detail
 * (the grpc-status-details-bin trailer), and as a gRPC status code derived
 * from the HTTP code. Everything here is sans-IO: bytes in, bytes out.
 */
#ifndef MC_ERROR_H
#define MC_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_grpc.h" /* enum mc_grpc_code */

/* Each string of an error is cut to this many bytes when built from a format,
 * so a peer-supplied %s can never make an error unbounded. */
#define MC_ERROR_TEXT_MAX (64 * 1024)
/* Largest error JSON or status-details blob the parsers accept (MC_ETOOBIG above). */
#define MC_ERROR_WIRE_MAX (1024 * 1024)

/* The id upstream clients give errors they make up themselves (§4.4). */
#define MC_ERROR_ID_CLIENT "go.micro.client"
/* type_url of the errors.Error packed in a google.rpc.Status detail. */
#define MC_ERROR_TYPE_URL "type.googleapis.com/errors.Error"

/*
 * A micro error. Every string is NULL or a heap string owned by the struct;
 * NULL reads as "" everywhere (JSON, proto, comparison).
 */
struct mc_error {
    char *id;
    int32_t code;
    char *detail;
    char *status;
};

/* An empty error (code 0, all strings NULL). Allocates nothing. */
void mc_error_init(struct mc_error *e);
/* Frees the strings and leaves an empty error. */
void mc_error_release(struct mc_error *e);
/* Deep copy: dst is released first, then gets copies of src's strings. */
void mc_error_copy(struct mc_error *dst, const struct mc_error *src);
/* Same id, code, detail and status (NULL equals ""). */
bool mc_error_equal(const struct mc_error *a, const struct mc_error *b);

/*
 * Replaces e's content with {id, code, printf(fmt, ...), status text of code},
 * as upstream's errors.New. id may be NULL (empty). Strings longer than
 * MC_ERROR_TEXT_MAX are cut there. Never fails.
 */
void mc_error_set(struct mc_error *e, const char *id, int32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void mc_error_vset(struct mc_error *e, const char *id, int32_t code, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));

/* Upstream's helper constructors: mc_error_set with a fixed code. */
#define MC_ERROR_HELPERS(X)                 \
    X(bad_request, 400)                     \
    X(unauthorized, 401)                    \
    X(forbidden, 403)                       \
    X(not_found, 404)                       \
    X(method_not_allowed, 405)              \
    X(timeout, 408)                         \
    X(conflict, 409)                        \
    X(internal, 500)                        \
    X(not_implemented, 501)                 \
    X(bad_gateway, 502)                     \
    X(unavailable, 503)                     \
    X(gateway_timeout, 504)

#define MC_ERROR_HELPER_DECL(name, code)                                          \
    void mc_error_##name(struct mc_error *e, const char *id, const char *fmt, ...) \
        __attribute__((format(printf, 3, 4)));
MC_ERROR_HELPERS(MC_ERROR_HELPER_DECL)
#undef MC_ERROR_HELPER_DECL

/*
 * Appends the error JSON to out, exactly
 *   {"id":"...","code":404,"detail":"...","status":"Not Found"}
 * compact, keys always present in this order, v3.10+ lower-case keys.
 * Strings are escaped like Go's encoding/json without HTML escaping: \" \\ \n
 * \r \t, other control bytes as \u00XX, U+2028/U+2029 escaped, invalid UTF-8
 * replaced by U+FFFD; '<', '>', '&' and '/' are written as they are.
 * Returns 0, or MC_ETOOBIG when out's limit is reached (out may then hold a
 * partial document: reset it before reuse).
 */
int mc_error_to_json(const struct mc_error *e, struct mc_buf *out);

/*
 * Parses error JSON (a JSON object) into e, which is released first. Keys
 * match case-insensitively, as Go's json.Unmarshal does, so both the v3.10+
 * form ("id") and the older one ("Id") are read; unknown keys are ignored;
 * null leaves a field empty; for duplicate keys the last wins.
 * Errors: MC_ETOOBIG (len > MC_ERROR_WIRE_MAX), MC_EPROTO (not JSON, not an
 * object, trailing bytes, a string field that is not a string, a code that is
 * not an integer within int32). On error e is left empty.
 * The code is not checked: callers test code > 0 as upstream does.
 */
int mc_error_from_json(struct mc_error *e, const char *json, size_t len);

/*
 * micro (HTTP) code -> gRPC code, the table of upstream's grpc server:
 *   200 OK, 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
 *   404 NOT_FOUND, 408 DEADLINE_EXCEEDED, 409 ALREADY_EXISTS,
 *   412 FAILED_PRECONDITION, 500 INTERNAL, 501 UNIMPLEMENTED, 503 UNAVAILABLE,
 *   anything else UNKNOWN.
 */
int mc_error_grpc_code(int32_t http_code);

/*
 * gRPC code -> HTTP status for the API gateway (grpc-gateway's table):
 *   0 200, 1 499, 2 500, 3 400, 4 504, 5 404, 6 409, 7 403, 8 429, 9 400,
 *   10 409, 11 400, 12 501, 13 500, 14 503, 15 500, 16 401, anything else 500.
 */
int mc_grpc_code_http_status(int grpc_code);

/*
 * The gRPC status for a handler's error, as upstream's server builds it:
 * *grpc_code from mc_error_grpc_code, the error JSON appended to message (the
 * grpc-message text before percent-encoding), and a serialized
 * google.rpc.Status {code, message, details: [Any{MC_ERROR_TYPE_URL,
 * errors.Error}]} appended to details (the raw bytes of
 * grpc-status-details-bin, before base64). Invalid UTF-8 is dropped from the
 * proto strings (proto3 strings must be UTF-8 for Go peers to decode them).
 * Returns 0, or MC_ETOOBIG when message or details passes its limit.
 */
int mc_error_to_grpc_status(const struct mc_error *e, int *grpc_code, struct mc_buf *message,
                            struct mc_buf *details);

/*
 * Reads the first detail of a serialized google.rpc.Status into e (released
 * first). Returns 0 when it is an errors.Error (type_url ending in
 * "/errors.Error"); MC_ENOTFOUND when the status has no details or the first
 * one is of another type; MC_EPROTO when the bytes (or the packed Error) do
 * not decode; MC_ETOOBIG past MC_ERROR_WIRE_MAX. e is empty on error.
 */
int mc_error_from_status_details(struct mc_error *e, const uint8_t *details, size_t len);

/*
 * The micro error a client reports for a non-OK gRPC status (upstream's
 * algorithm): (1) the errors.Error in the first detail, when details decode to
 * one; (2) else the message parsed as error JSON, when that gives code > 0;
 * (3) else 500 with id MC_ERROR_ID_CLIENT and the message as detail (cut at
 * MC_ERROR_TEXT_MAX). message is the percent-decoded grpc-message (may be
 * empty); details the raw grpc-status-details-bin bytes or NULL/0.
 * e is released first. Returns 0; MC_EINVAL (e empty) when grpc_code is OK.
 */
int mc_error_from_grpc_status(struct mc_error *e, int grpc_code, struct mc_slice message,
                              const uint8_t *details, size_t details_len);

/*
 * The plain message upstream's server answers, with MC_GRPC_UNIMPLEMENTED and
 * no details, for a handler it does not have: "unknown service X" (method
 * NULL) or "unknown service X.Y". Appended to out; 0 or MC_ETOOBIG.
 */
int mc_error_unknown_service(struct mc_buf *out, const char *service, const char *method);

#endif
