/*
 * HTTP/1.1 request parsing without I/O (sans-IO, as nghttp2 does for HTTP/2):
 * the caller feeds whatever bytes it has read, in pieces of any size, and the
 * parser reports when the head of a request is complete and when the whole
 * request (body included) is. Any split of the same input gives the same
 * result. The parser copies what it keeps (head and body) into capped buffers
 * of its own, so the caller's bytes are only borrowed for the duration of a
 * call, and bytes after the end of one request are left unconsumed for the
 * next (pipelining). It is strict where leniency enables request smuggling:
 * lines end in CRLF only, and bare CR, NUL, obs-fold, conflicting lengths and
 * unknown transfer codings are errors carrying the HTTP status to answer.
 * The module also holds the helpers shared by HTTP frontends: reason phrases,
 * target splitting, percent-decoding and query-string parsing.
 */
#ifndef MC_HTTP1_H
#define MC_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"

#define MC_HTTP1_DEFAULT_MAX_HEAD (64u * 1024u)
#define MC_HTTP1_DEFAULT_MAX_HEADERS 100u
#define MC_HTTP1_DEFAULT_MAX_BODY (32u * 1024u * 1024u)

/* Every limit of the parser in one place. Exceeding one is an error whose
 * status tells which: 431 for the head (and chunked trailers), 413 for the body. */
struct mc_http1_limits {
    size_t max_head_bytes; /* request line + header lines, CRLFs included */
    size_t max_headers;    /* header fields per request */
    size_t max_body_bytes; /* decoded body (Content-Length or sum of chunks) */
};

/* Fills l with the MC_HTTP1_DEFAULT_* values. */
void mc_http1_limits_default(struct mc_http1_limits *l);

/* One header field as received; name and value are also NUL-terminated
 * (value without the surrounding whitespace). */
struct mc_http1_header {
    struct mc_slice name;
    struct mc_slice value;
};

/* A parsed request. All slices point into the parser and are NUL-terminated;
 * they stay valid until mc_http1_parser_reset() or _release(). */
struct mc_http1_request {
    struct mc_slice method;   /* case-sensitive token, e.g. "GET" */
    struct mc_slice target;   /* raw request-target: "/path?query", "*", or absolute-form */
    int version_minor;        /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and 1.x, x > 1) */
    struct mc_http1_header *headers; /* in arrival order, duplicates kept */
    size_t nheaders;
    int64_t content_length;   /* -1 when the request had no Content-Length */
    bool chunked;             /* Transfer-Encoding: chunked */
    bool keep_alive;          /* the connection may carry another request after this one */
    bool expect_continue;     /* HTTP/1.1 with "Expect: 100-continue" */
    struct mc_slice body;     /* decoded body; set when MC_HTTP1_DONE is returned */
};

/* Events returned by mc_http1_parse() (errors are negative MC_E* codes). */
enum mc_http1_event {
    MC_HTTP1_NEED_MORE = 0, /* all input consumed; feed more bytes */
    MC_HTTP1_HEAD = 1,      /* head complete: request fields are readable, body follows */
    MC_HTTP1_DONE = 2,      /* request complete, body included */
};

/* Caller-owned parser state; fields are private (use the functions below). */
struct mc_http1_parser {
    struct mc_http1_limits limits;
    struct mc_http1_request req;
    struct mc_buf head;       /* request line and headers, edited in place to NUL-terminate */
    struct mc_buf body;
    size_t line_start;        /* offset in head of the line being received */
    size_t head_seen;         /* head bytes received, including skipped leading CRLFs */
    size_t trailer_seen;      /* trailer bytes received (limited like the head) */
    size_t headers_cap;       /* allocated entries in req.headers */
    uint64_t chunk_left;      /* bytes of the current chunk still to read */
    size_t chunk_line;        /* bytes of the current chunk-size line */
    unsigned chunk_digits;
    unsigned conn_flags;      /* Connection options seen in the head */
    int state;
    int err;                  /* first error (sticky), MC_OK when none */
    int err_status;           /* HTTP status answering the error */
    const char *err_detail;   /* static string saying what was wrong */
};

/* Prepares p for the first request. limits NULL means the defaults; a copy
 * is kept. Allocates nothing until bytes arrive. */
void mc_http1_parser_init(struct mc_http1_parser *p, const struct mc_http1_limits *limits);
/* Frees everything p holds; the request's slices become invalid. */
void mc_http1_parser_release(struct mc_http1_parser *p);
/* Forgets the current request (and any error) to parse the next one on the
 * same connection; the request's slices become invalid. */
void mc_http1_parser_reset(struct mc_http1_parser *p);

/*
 * Feeds len bytes and sets *consumed to how many were used (the rest belong
 * to a later call or the next request). Returns:
 *   MC_HTTP1_NEED_MORE  every byte consumed, request incomplete;
 *   MC_HTTP1_HEAD       once per request, when the head is complete (the body,
 *                       if any, has not been read yet: answer 100-continue now);
 *   MC_HTTP1_DONE       the request is complete; returned again (consuming
 *                       nothing) until mc_http1_parser_reset();
 *   MC_EPROTO           malformed input (status 400, or 505 for an unknown
 *                       HTTP version);
 *   MC_ETOOBIG          a limit was exceeded (status 431 head, 413 body);
 *   MC_EUNSUPPORTED     a transfer coding other than chunked (status 501).
 * After HEAD with no body, call again (len may be 0) to get DONE.
 * Errors are sticky: later calls return the same error until reset. After an
 * error the connection's framing is lost: answer and close it.
 */
int mc_http1_parse(struct mc_http1_parser *p, const char *data, size_t len, size_t *consumed);

/* The request being parsed: fields valid after MC_HTTP1_HEAD, body after DONE. */
const struct mc_http1_request *mc_http1_parser_request(const struct mc_http1_parser *p);
/* True while no byte of the next request has arrived (keep-alive idle). */
bool mc_http1_parser_idle(const struct mc_http1_parser *p);
/* The HTTP status answering the last error (400, 413, 431, 501, 505), or 0. */
int mc_http1_error_status(const struct mc_http1_parser *p);
/* What was wrong, e.g. "bare CR in head"; "" when there is no error. */
const char *mc_http1_error_detail(const struct mc_http1_parser *p);

/* First header named name (ASCII case-insensitive), or NULL. */
const struct mc_http1_header *mc_http1_header_find(const struct mc_http1_request *r,
                                                   const char *name);

/* Go's http.StatusText: "Not Found" for 404, "" for a code without a text. The one
 * table of status texts: micro error JSON carries them in its "status" field. */
const char *mc_http_status_text(int code);
/* Reason phrase for a status line: mc_http_status_text, or "Unknown" when it has none. */
const char *mc_http1_reason(int status);

/* Splits a request-target into path and query (without the '?'); a fragment is
 * dropped. Absolute-form ("http://host/p?q") yields the path "/p" ("/" when
 * absent). Both outputs borrow from target. */
void mc_http1_target_split(struct mc_slice target, struct mc_slice *path,
                           struct mc_slice *query);

/* Appends the percent-decoding of in to out; with plus_is_space, '+' becomes ' '
 * (form and query encoding). MC_EINVAL on a malformed escape, MC_ETOOBIG past
 * out's limit; out is unchanged on failure. Decoded bytes may include NUL. */
int mc_http1_percent_decode(struct mc_slice in, bool plus_is_space, struct mc_buf *out);

/* One decoded query parameter; key and value are NUL-terminated and may
 * contain NUL bytes themselves (use the lengths). */
struct mc_http1_param {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
};

/* Decoded parameters in order of appearance (duplicates kept). */
struct mc_http1_params {
    struct mc_http1_param *items;
    size_t len;
};

/* Parses "a=1&b=x+y&c" (without '?'): pairs separated by '&', empty pairs
 * skipped, a key without '=' gets "". At most max_params pairs (MC_ETOOBIG
 * beyond), MC_EINVAL on a malformed escape. out is owned by the caller
 * (mc_http1_params_release) and left empty on failure. */
int mc_http1_query_parse(struct mc_slice query, size_t max_params, struct mc_http1_params *out);
/* Frees the parameters; out is left empty. */
void mc_http1_params_release(struct mc_http1_params *ps);

#endif
