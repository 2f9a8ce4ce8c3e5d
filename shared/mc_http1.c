/*
 * Sans-IO HTTP/1.1 request parser (see mc_http1.h). The head is collected
 * line by line into a capped buffer and parsed once complete, which keeps
 * the incremental part trivial (find the next LF) and lets the head parser
 * see whole lines; the chunked body is a byte-level state machine because a
 * chunk may be split anywhere. Strictness rules follow RFC 9112's advice on
 * smuggling: CRLF only, no bare CR, no obs-fold, no NUL, a single agreed
 * Content-Length, never Content-Length together with Transfer-Encoding.
 */
#include "mc_http1.h"

#include <stdlib.h>
#include <string.h>

#include "mc_banned.h"

enum {
    ST_HEAD,
    ST_HEAD_DONE,      /* MC_HTTP1_HEAD was returned; body framing not started */
    ST_BODY_CL,
    ST_CH_SIZE,
    ST_CH_SIZE_WS,
    ST_CH_EXT,
    ST_CH_SIZE_LF,
    ST_CH_DATA,
    ST_CH_DATA_CR,
    ST_CH_DATA_LF,
    ST_CH_TRAILER_START,
    ST_CH_TRAILER_LINE,
    ST_CH_TRAILER_LF,
    ST_CH_END_LF,
    ST_DONE,
};

/* A chunk-size line (size and extensions) longer than this is refused:
 * extensions carry nothing we use and only cost memory and time. */
#define CHUNK_LINE_MAX 1024u
/* Head and body buffers bigger than this are freed between requests rather
 * than kept for the next one on the connection. */
#define KEEP_STORAGE_MAX (64u * 1024u)

void mc_http1_limits_default(struct mc_http1_limits *l)
{
    l->max_head_bytes = MC_HTTP1_DEFAULT_MAX_HEAD;
    l->max_headers = MC_HTTP1_DEFAULT_MAX_HEADERS;
    l->max_body_bytes = MC_HTTP1_DEFAULT_MAX_BODY;
}

static void request_clear(struct mc_http1_request *r)
{
    struct mc_http1_header *headers = r->headers;

    memset(r, 0, sizeof(*r));
    r->headers = headers;
    r->content_length = -1;
    r->method = r->target = r->body = MC_SLICE_LIT("");
}

void mc_http1_parser_init(struct mc_http1_parser *p, const struct mc_http1_limits *limits)
{
    memset(p, 0, sizeof(*p));
    if (limits)
        p->limits = *limits;
    else
        mc_http1_limits_default(&p->limits);
    mc_buf_init(&p->head, p->limits.max_head_bytes);
    mc_buf_init(&p->body, p->limits.max_body_bytes);
    request_clear(&p->req);
    p->state = ST_HEAD;
}

void mc_http1_parser_release(struct mc_http1_parser *p)
{
    mc_buf_release(&p->head);
    mc_buf_release(&p->body);
    free(p->req.headers);
    p->req.headers = NULL;
    p->headers_cap = 0;
    mc_http1_parser_reset(p);
}

static void buf_recycle(struct mc_buf *b)
{
    if (b->cap > KEEP_STORAGE_MAX)
        mc_buf_release(b);
    else
        mc_buf_reset(b);
}

void mc_http1_parser_reset(struct mc_http1_parser *p)
{
    buf_recycle(&p->head);
    buf_recycle(&p->body);
    request_clear(&p->req);
    p->line_start = 0;
    p->head_seen = 0;
    p->trailer_seen = 0;
    p->chunk_left = 0;
    p->chunk_line = 0;
    p->chunk_digits = 0;
    p->conn_flags = 0;
    p->state = ST_HEAD;
    p->err = MC_OK;
    p->err_status = 0;
    p->err_detail = NULL;
}

static int fail(struct mc_http1_parser *p, int err, int status, const char *detail)
{
    p->err = err;
    p->err_status = status;
    p->err_detail = detail;
    return err;
}

#define BAD(p, detail) fail((p), MC_EPROTO, 400, (detail))

const struct mc_http1_request *mc_http1_parser_request(const struct mc_http1_parser *p)
{
    return &p->req;
}

bool mc_http1_parser_idle(const struct mc_http1_parser *p)
{
    return p->state == ST_HEAD && p->head_seen == 0;
}

int mc_http1_error_status(const struct mc_http1_parser *p)
{
    return p->err ? p->err_status : 0;
}

const char *mc_http1_error_detail(const struct mc_http1_parser *p)
{
    return p->err && p->err_detail ? p->err_detail : "";
}

/* ---- character classes (RFC 9110 §5.6.2) ---------------------------------- */

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* field-vchar / SP / HTAB / obs-text: everything but the other controls and DEL. */
static bool is_field_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- the head ------------------------------------------------------------- */

static int parse_version(struct mc_http1_parser *p, const char *v, size_t n)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
        v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return BAD(p, "malformed http version");
    if (v[5] != '1')
        return fail(p, MC_EPROTO, 505, "unsupported http version");
    p->req.version_minor = v[7] == '0' ? 0 : 1;
    return MC_OK;
}

/* "METHOD SP target SP HTTP/1.x"; line has its CRLF replaced by NUL. */
static int parse_request_line(struct mc_http1_parser *p, char *line, size_t n)
{
    char *sp1 = memchr(line, ' ', n);
    char *sp2;
    size_t tlen;

    if (!sp1 || !is_token(line, (size_t)(sp1 - line)))
        return BAD(p, "malformed request method");
    sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line));
    if (!sp2)
        return BAD(p, "malformed request line");
    tlen = (size_t)(sp2 - sp1 - 1);
    if (tlen == 0)
        return BAD(p, "empty request target");
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)sp1[1 + i];
        if (c <= 0x20 || c >= 0x7f)
            return BAD(p, "invalid byte in request target");
    }
    if (parse_version(p, sp2 + 1, n - (size_t)(sp2 + 1 - line)) < 0)
        return p->err;
    *sp1 = '\0';
    *sp2 = '\0';
    p->req.method = (struct mc_slice){ line, (size_t)(sp1 - line) };
    p->req.target = (struct mc_slice){ sp1 + 1, tlen };
    return MC_OK;
}

static int add_header(struct mc_http1_parser *p, struct mc_slice name, struct mc_slice value)
{
    struct mc_http1_request *r = &p->req;

    if (r->nheaders >= p->limits.max_headers)
        return fail(p, MC_ETOOBIG, 431, "too many header fields");
    if (r->nheaders == p->headers_cap) {
        size_t cap = p->headers_cap ? p->headers_cap * 2 : 16;
        cap = MC_MIN(cap, p->limits.max_headers);
        r->headers = mc_realloc(r->headers, cap * sizeof(*r->headers));
        p->headers_cap = cap;
    }
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
    return MC_OK;
}

/* "name: value"; line has its CRLF replaced by NUL. */
static int parse_header_line(struct mc_http1_parser *p, char *line, size_t n)
{
    char *colon;
    size_t vs, ve;

    if (is_ows(line[0]))
        return BAD(p, "obsolete line folding in header");
    colon = memchr(line, ':', n);
    if (!colon || !is_token(line, (size_t)(colon - line)))
        return BAD(p, "malformed header field name");
    vs = (size_t)(colon - line) + 1;
    ve = n;
    while (vs < ve && is_ows(line[vs]))
        vs++;
    while (ve > vs && is_ows(line[ve - 1]))
        ve--;
    for (size_t i = vs; i < ve; i++)
        if (!is_field_byte((unsigned char)line[i]))
            return BAD(p, "invalid byte in header field value");
    *colon = '\0';
    line[ve] = '\0';
    return add_header(p, (struct mc_slice){ line, (size_t)(colon - line) },
                      (struct mc_slice){ line + vs, ve - vs });
}

/* Strict Content-Length: digits only, no sign, no list, no overflow. */
static int parse_content_length(struct mc_http1_parser *p, struct mc_slice v)
{
    int64_t n = 0;

    if (v.len == 0)
        return BAD(p, "empty content-length");
    for (size_t i = 0; i < v.len; i++) {
        int d = v.ptr[i] - '0';
        if (d < 0 || d > 9)
            return BAD(p, "malformed content-length");
        if (n > (INT64_MAX - d) / 10)
            return BAD(p, "content-length overflows");
        n = n * 10 + d;
    }
    if (p->req.content_length >= 0 && p->req.content_length != n)
        return BAD(p, "conflicting content-length values");
    p->req.content_length = n;
    return MC_OK;
}

/* Calls fn on each non-empty, OWS-trimmed element of a comma-separated list. */
static int for_each_element(struct mc_http1_parser *p, struct mc_slice v,
                            int (*fn)(struct mc_http1_parser *, struct mc_slice))
{
    size_t i = 0;

    while (i < v.len) {
        size_t s = i, e;
        while (i < v.len && v.ptr[i] != ',')
            i++;
        e = i++;
        while (s < e && is_ows(v.ptr[s]))
            s++;
        while (e > s && is_ows(v.ptr[e - 1]))
            e--;
        if (e > s) {
            int rc = fn(p, (struct mc_slice){ v.ptr + s, e - s });
            if (rc < 0)
                return rc;
        }
    }
    return MC_OK;
}

/* Transfer codings: only a single "chunked" is supported; anything else is
 * 501 because we cannot find the end of a body we cannot decode. */
static int te_element(struct mc_http1_parser *p, struct mc_slice e)
{
    if (!mc_slice_ieq_cstr(e, "chunked"))
        return fail(p, MC_EUNSUPPORTED, 501, "unsupported transfer-encoding");
    if (p->req.chunked)
        return BAD(p, "chunked applied more than once");
    p->req.chunked = true;
    return MC_OK;
}

enum { CONN_CLOSE = 1u, CONN_KEEP_ALIVE = 2u };

/* Connection options; other tokens name hop-by-hop headers and are ignored. */
static int conn_element(struct mc_http1_parser *p, struct mc_slice e)
{
    if (mc_slice_ieq_cstr(e, "close"))
        p->conn_flags |= CONN_CLOSE;
    else if (mc_slice_ieq_cstr(e, "keep-alive"))
        p->conn_flags |= CONN_KEEP_ALIVE;
    return MC_OK;
}

/* Interprets the fields that decide framing and connection reuse. */
static int check_head_semantics(struct mc_http1_parser *p)
{
    struct mc_http1_request *r = &p->req;
    size_t hosts = 0;
    bool te = false;
    int rc = MC_OK;

    p->conn_flags = 0;
    for (size_t i = 0; i < r->nheaders && rc == MC_OK; i++) {
        struct mc_slice n = r->headers[i].name, v = r->headers[i].value;
        if (mc_slice_ieq_cstr(n, "content-length")) {
            rc = parse_content_length(p, v);
        } else if (mc_slice_ieq_cstr(n, "transfer-encoding")) {
            te = true;
            rc = for_each_element(p, v, te_element);
        } else if (mc_slice_ieq_cstr(n, "connection")) {
            rc = for_each_element(p, v, conn_element);
        } else if (mc_slice_ieq_cstr(n, "host")) {
            hosts++;
        } else if (mc_slice_ieq_cstr(n, "expect")) {
            r->expect_continue = mc_slice_ieq_cstr(v, "100-continue");
        }
    }
    if (rc < 0)
        return rc;
    if (te && !r->chunked)
        return BAD(p, "empty transfer-encoding");
    if (te && r->content_length >= 0)
        return BAD(p, "both content-length and transfer-encoding");
    if (te && r->version_minor == 0)
        return BAD(p, "transfer-encoding in an http/1.0 request");
    if (hosts > 1 || (hosts == 0 && r->version_minor == 1))
        return BAD(p, hosts ? "more than one host header" : "missing host header");
    if (r->content_length > 0 && (uint64_t)r->content_length > p->limits.max_body_bytes)
        return fail(p, MC_ETOOBIG, 413, "request body too large");
    if (r->version_minor == 1)
        r->keep_alive = !(p->conn_flags & CONN_CLOSE);
    else
        r->keep_alive = (p->conn_flags & CONN_KEEP_ALIVE) && !(p->conn_flags & CONN_CLOSE);
    if (r->version_minor == 0)
        r->expect_continue = false;
    return MC_OK;
}

/* The head buffer holds complete CRLF lines ending in an empty one. */
static int parse_head(struct mc_http1_parser *p)
{
    char *line = p->head.data;
    char *end = p->head.data + p->head.len;
    bool first = true;

    while (line < end) {
        char *cr = memchr(line, '\r', (size_t)(end - line));
        size_t n = (size_t)(cr - line);
        int rc;

        if (n == 0)
            break;
        *cr = '\0';
        rc = first ? parse_request_line(p, line, n) : parse_header_line(p, line, n);
        if (rc < 0)
            return rc;
        first = false;
        line = cr + 2;
    }
    return check_head_semantics(p);
}

/* Checks the line just completed in the head buffer; returns MC_HTTP1_HEAD
 * when it was the empty line ending the head. */
static int head_line_done(struct mc_http1_parser *p)
{
    char *line = p->head.data + p->line_start;
    size_t n = p->head.len - p->line_start;

    if (n < 2 || line[n - 2] != '\r')
        return BAD(p, "bare LF in head");
    if (memchr(line, '\r', n - 2))
        return BAD(p, "bare CR in head");
    if (memchr(line, '\0', n - 2))
        return BAD(p, "NUL in head");
    if (n > 2) {
        p->line_start = p->head.len;
        return MC_HTTP1_NEED_MORE;
    }
    if (p->line_start == 0) {
        /* RFC 9112 §2.2: ignore empty lines before the request line. */
        mc_buf_reset(&p->head);
        return MC_HTTP1_NEED_MORE;
    }
    if (parse_head(p) < 0)
        return p->err;
    p->state = ST_HEAD_DONE;
    return MC_HTTP1_HEAD;
}

static int feed_head(struct mc_http1_parser *p, const char *data, size_t len, size_t *off)
{
    while (*off < len) {
        const char *s = data + *off;
        const char *nl = memchr(s, '\n', len - *off);
        size_t take = nl ? (size_t)(nl - s) + 1 : len - *off;
        int rc;

        if (take > p->limits.max_head_bytes - p->head_seen)
            return fail(p, MC_ETOOBIG, 431, "request head too large");
        if (mc_buf_append(&p->head, s, take) < 0)
            return fail(p, MC_ETOOBIG, 431, "request head too large");
        p->head_seen += take;
        *off += take;
        if (!nl)
            break;
        rc = head_line_done(p);
        if (rc != MC_HTTP1_NEED_MORE)
            return rc;
    }
    return MC_HTTP1_NEED_MORE;
}

/* ---- the body ------------------------------------------------------------- */

static int body_append(struct mc_http1_parser *p, const char *s, size_t n)
{
    if (mc_buf_append(&p->body, s, n) < 0)
        return fail(p, MC_ETOOBIG, 413, "request body too large");
    return MC_OK;
}

static int finish(struct mc_http1_parser *p)
{
    p->req.body = (struct mc_slice){ mc_buf_cstr(&p->body), p->body.len };
    p->state = ST_DONE;
    return MC_HTTP1_DONE;
}

static int chunk_size_byte(struct mc_http1_parser *p, unsigned char c)
{
    int h = mc_hex_value(c);

    if (p->state == ST_CH_SIZE && h >= 0) {
        if (p->chunk_left > (UINT64_MAX >> 4))
            return BAD(p, "chunk size overflows");
        p->chunk_left = (p->chunk_left << 4) | (uint64_t)h;
        p->chunk_digits++;
        if (p->chunk_left > p->limits.max_body_bytes - p->body.len)
            return fail(p, MC_ETOOBIG, 413, "request body too large");
        return MC_OK;
    }
    if (p->chunk_digits == 0)
        return BAD(p, "malformed chunk size");
    if (c == '\r')
        p->state = ST_CH_SIZE_LF;
    else if (c == ';')
        p->state = ST_CH_EXT;
    else if (is_ows((char)c))
        p->state = ST_CH_SIZE_WS;
    else
        return BAD(p, "malformed chunk size");
    return MC_OK;
}

/* Trailer section: validated for framing, then dropped. */
static int trailer_byte(struct mc_http1_parser *p, unsigned char c)
{
    if (++p->trailer_seen > p->limits.max_head_bytes)
        return fail(p, MC_ETOOBIG, 431, "trailer section too large");
    switch (p->state) {
    case ST_CH_TRAILER_START:
        if (c == '\r')
            p->state = ST_CH_END_LF;
        else if (is_tchar(c))
            p->state = ST_CH_TRAILER_LINE;
        else
            return BAD(p, is_ows((char)c) ? "obsolete line folding in trailer"
                                          : "malformed trailer field");
        return MC_OK;
    case ST_CH_TRAILER_LINE:
        if (c == '\r')
            p->state = ST_CH_TRAILER_LF;
        else if (!is_field_byte(c))
            return BAD(p, "invalid byte in trailer field");
        return MC_OK;
    case ST_CH_TRAILER_LF:
        if (c != '\n')
            return BAD(p, "bare CR in trailer");
        p->state = ST_CH_TRAILER_START;
        return MC_OK;
    case ST_CH_END_LF:
        if (c != '\n')
            return BAD(p, "bare CR after last chunk");
        return finish(p);
    default:
        return BAD(p, "internal parser state");
    }
}

/* Control bytes of the chunked framing (everything but chunk data). */
static int chunk_byte(struct mc_http1_parser *p, unsigned char c)
{
    switch (p->state) {
    case ST_CH_SIZE:
    case ST_CH_SIZE_WS:
        if (++p->chunk_line > CHUNK_LINE_MAX)
            return BAD(p, "chunk size line too long");
        return chunk_size_byte(p, c);
    case ST_CH_EXT:
        if (++p->chunk_line > CHUNK_LINE_MAX)
            return BAD(p, "chunk size line too long");
        if (c == '\r')
            p->state = ST_CH_SIZE_LF;
        else if (!is_field_byte(c))
            return BAD(p, "invalid byte in chunk extension");
        return MC_OK;
    case ST_CH_SIZE_LF:
        if (c != '\n')
            return BAD(p, "bare CR in chunk size line");
        p->chunk_line = 0;
        p->chunk_digits = 0;
        p->state = p->chunk_left ? ST_CH_DATA : ST_CH_TRAILER_START;
        return MC_OK;
    case ST_CH_DATA_CR:
        if (c != '\r')
            return BAD(p, "chunk data not followed by CRLF");
        p->state = ST_CH_DATA_LF;
        return MC_OK;
    case ST_CH_DATA_LF:
        if (c != '\n')
            return BAD(p, "chunk data not followed by CRLF");
        p->state = ST_CH_SIZE;
        return MC_OK;
    default:
        return trailer_byte(p, c);
    }
}

static int feed_chunked(struct mc_http1_parser *p, const char *data, size_t len, size_t *off)
{
    while (*off < len) {
        int rc;

        if (p->state == ST_CH_DATA) {
            size_t n = (size_t)MC_MIN((uint64_t)(len - *off), p->chunk_left);
            if (body_append(p, data + *off, n) < 0)
                return p->err;
            *off += n;
            p->chunk_left -= n;
            if (p->chunk_left == 0)
                p->state = ST_CH_DATA_CR;
            continue;
        }
        rc = chunk_byte(p, (unsigned char)data[(*off)++]);
        if (rc < 0 || rc == MC_HTTP1_DONE)
            return rc;
    }
    return MC_HTTP1_NEED_MORE;
}

static int feed_length(struct mc_http1_parser *p, const char *data, size_t len, size_t *off)
{
    uint64_t left = (uint64_t)p->req.content_length - p->body.len;
    size_t n = (size_t)MC_MIN((uint64_t)len, left);

    if (body_append(p, data, n) < 0)
        return p->err;
    *off += n;
    if (p->body.len == (uint64_t)p->req.content_length)
        return finish(p);
    return MC_HTTP1_NEED_MORE;
}

int mc_http1_parse(struct mc_http1_parser *p, const char *data, size_t len, size_t *consumed)
{
    size_t off = 0;
    int rc;

    *consumed = 0;
    if (p->err)
        return p->err;
    if (p->state == ST_DONE)
        return MC_HTTP1_DONE;
    if (p->state == ST_HEAD) {
        rc = feed_head(p, data, len, &off);
        *consumed = off;
        return rc;
    }
    if (p->state == ST_HEAD_DONE) {
        if (p->req.chunked)
            p->state = ST_CH_SIZE;
        else if (p->req.content_length > 0)
            p->state = ST_BODY_CL;
        else
            return finish(p);
    }
    if (p->state == ST_BODY_CL)
        rc = feed_length(p, data, len, &off);
    else
        rc = feed_chunked(p, data, len, &off);
    *consumed = off;
    return rc;
}

/* ---- helpers for frontends ------------------------------------------------ */

const struct mc_http1_header *mc_http1_header_find(const struct mc_http1_request *r,
                                                   const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (mc_slice_ieq_cstr(r->headers[i].name, name))
            return &r->headers[i];
    return NULL;
}

/* The texts of Go's net/http as of the Go releases micro v3 was built with. */
const char *mc_http_status_text(int code)
{
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    }
    return "";
}

const char *mc_http1_reason(int status)
{
    const char *text = mc_http_status_text(status);

    return *text ? text : "Unknown";
}

/* Skips "scheme://authority" of an absolute-form target; 0 when not one. */
static size_t absolute_prefix(struct mc_slice t)
{
    size_t i = 0;

    if (t.len == 0 || t.ptr[0] == '/')
        return 0;
    while (i < t.len && t.ptr[i] != ':' && t.ptr[i] != '/' && t.ptr[i] != '?')
        i++;
    if (i + 3 > t.len || memcmp(t.ptr + i, "://", 3) != 0)
        return 0;
    i += 3;
    while (i < t.len && t.ptr[i] != '/' && t.ptr[i] != '?' && t.ptr[i] != '#')
        i++;
    return i;
}

void mc_http1_target_split(struct mc_slice target, struct mc_slice *path,
                           struct mc_slice *query)
{
    size_t start = absolute_prefix(target);
    const char *s = target.ptr + start;
    size_t n = target.len - start;
    const char *hash = memchr(s, '#', n);
    const char *q;

    if (hash)
        n = (size_t)(hash - s);
    q = memchr(s, '?', n);
    *query = q ? (struct mc_slice){ q + 1, n - (size_t)(q + 1 - s) } : MC_SLICE_LIT("");
    if (q)
        n = (size_t)(q - s);
    *path = (start && n == 0) ? MC_SLICE_LIT("/") : (struct mc_slice){ s, n };
}

int mc_http1_percent_decode(struct mc_slice in, bool plus_is_space, struct mc_buf *out)
{
    size_t before = out->len;
    char *dst = mc_buf_reserve(out, in.len);
    size_t k = 0;

    if (!dst)
        return MC_ETOOBIG;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%') {
            int hi = i + 2 < in.len ? mc_hex_value((unsigned char)in.ptr[i + 1]) : -1;
            int lo = hi >= 0 ? mc_hex_value((unsigned char)in.ptr[i + 2]) : -1;
            if (lo < 0) {
                out->data[before] = '\0';
                return MC_EINVAL;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        dst[k++] = c;
    }
    mc_buf_commit(out, k);
    return MC_OK;
}

/* Decodes key and value into one allocation: "key\0value\0". */
static int add_param(struct mc_http1_params *ps, size_t *cap, struct mc_slice k,
                     struct mc_slice v)
{
    struct mc_buf b;
    struct mc_http1_param *it;
    size_t klen;

    mc_buf_init(&b, k.len + v.len + 2);
    if (mc_http1_percent_decode(k, true, &b) < 0) {
        mc_buf_release(&b);
        return MC_EINVAL;
    }
    klen = b.len;
    mc_buf_append_byte(&b, '\0');
    if (mc_http1_percent_decode(v, true, &b) < 0) {
        mc_buf_release(&b);
        return MC_EINVAL;
    }
    if (ps->len == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        ps->items = mc_realloc(ps->items, *cap * sizeof(*ps->items));
    }
    it = &ps->items[ps->len++];
    it->value_len = b.len - klen - 1;
    it->key_len = klen;
    it->key = mc_buf_detach(&b, NULL);
    it->value = it->key + klen + 1;
    return MC_OK;
}

int mc_http1_query_parse(struct mc_slice query, size_t max_params, struct mc_http1_params *out)
{
    size_t cap = 0, i = 0;

    out->items = NULL;
    out->len = 0;
    while (i < query.len) {
        size_t s = i, eq;
        int rc;

        while (i < query.len && query.ptr[i] != '&')
            i++;
        if (i == s) {
            i++;
            continue;
        }
        for (eq = s; eq < i && query.ptr[eq] != '='; eq++)
            ;
        rc = out->len >= max_params ? MC_ETOOBIG
             : add_param(out, &cap, (struct mc_slice){ query.ptr + s, eq - s },
                         eq < i ? (struct mc_slice){ query.ptr + eq + 1, i - eq - 1 }
                                : MC_SLICE_LIT(""));
        if (rc < 0) {
            mc_http1_params_release(out);
            return rc;
        }
        i++;
    }
    return MC_OK;
}

void mc_http1_params_release(struct mc_http1_params *ps)
{
    for (size_t i = 0; i < ps->len; i++)
        free(ps->items[i].key);
    free(ps->items);
    ps->items = NULL;
    ps->len = 0;
}
