/*
 * Tests for the sans-IO HTTP/1.1 parser (shared/mc_http1.c): every case is
 * fed whole and in pieces of every size from 1 byte up, and the outcome must
 * not depend on the split. Covers framing (Content-Length, chunked, trailers),
 * keep-alive rules, pipelining, limits, each smuggling defence, and the
 * target/query helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_http1.h"

/* Outcome of feeding one input: the final return code and what was used. */
struct outcome {
    int rc;          /* MC_HTTP1_DONE, MC_HTTP1_NEED_MORE or an error */
    int status;      /* error status, 0 without error */
    size_t used;     /* bytes consumed */
    int heads;       /* MC_HTTP1_HEAD events seen */
};

/* Feeds in[0..len) in pieces of step bytes, following HEAD with another call. */
static struct outcome feed(struct mc_http1_parser *p, const char *in, size_t len, size_t step)
{
    struct outcome o = { MC_HTTP1_NEED_MORE, 0, 0, 0 };
    size_t off = 0;

    for (;;) {
        size_t n = MC_MIN(step, len - off), used = 0;
        o.rc = mc_http1_parse(p, in + off, n, &used);
        assert_true(used <= n);
        off += used;
        if (o.rc == MC_HTTP1_HEAD) {
            o.heads++;
            continue;
        }
        if (o.rc != MC_HTTP1_NEED_MORE)
            break;
        assert_int_equal(used, n); /* NEED_MORE consumes everything */
        if (off == len)
            break;
    }
    o.used = off;
    o.status = mc_http1_error_status(p);
    return o;
}

/* Parses in whole, then at every split size, checking the outcome (and the
 * body when done) never changes; leaves p holding the whole-input parse. */
static struct outcome parse_all_splits(struct mc_http1_parser *p, const char *in, size_t len,
                                       const struct mc_http1_limits *lim)
{
    struct outcome whole;
    char *body = NULL;
    size_t body_len = 0;

    for (size_t step = 1; step <= len; step++) {
        struct mc_http1_parser q;
        struct outcome o;

        if (step > 40 && step != len && step % 97 != 0)
            continue;
        mc_http1_parser_init(&q, lim);
        o = feed(&q, in, len, step);
        if (step == 1) {
            whole = o;
            if (o.rc == MC_HTTP1_DONE) {
                body_len = q.req.body.len;
                body = mc_malloc(body_len + 1);
                memcpy(body, q.req.body.ptr, body_len);
            }
        } else {
            assert_int_equal(o.rc, whole.rc);
            assert_int_equal(o.status, whole.status);
            if (o.rc == MC_HTTP1_DONE) {
                assert_int_equal(o.used, whole.used);
                assert_int_equal(q.req.body.len, body_len);
                assert_memory_equal(q.req.body.ptr, body, body_len);
            }
        }
        mc_http1_parser_release(&q);
    }
    free(body);
    mc_http1_parser_init(p, lim);
    {
        struct outcome last = feed(p, in, len, len ? len : 1);
        assert_int_equal(last.rc, whole.rc);
        assert_int_equal(last.status, whole.status);
        return last;
    }
}

#define PARSE(p, lit) parse_all_splits((p), (lit), sizeof(lit) - 1, NULL)

static void expect_error(const char *in, int err, int status)
{
    struct mc_http1_parser p;
    struct outcome o = parse_all_splits(&p, in, strlen(in), NULL);

    if (o.rc != err || o.status != status)
        fail_msg("input %s: rc %d status %d, want %d %d (%s)", in, o.rc, o.status, err, status,
                 mc_http1_error_detail(&p));
    assert_true(mc_http1_error_detail(&p)[0] != '\0');
    mc_http1_parser_release(&p);
}

static void test_simple_get(void **state)
{
    static const char in[] = "GET /helloworld/call?name=Joe HTTP/1.1\r\n"
                             "Host: 127.0.0.1:8080\r\n"
                             "X-Empty:\r\n"
                             "Accept:   */*  \r\n"
                             "\r\n";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);
    const struct mc_http1_request *r = mc_http1_parser_request(&p);
    const struct mc_http1_header *h;

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(o.heads, 1);
    assert_int_equal(o.used, sizeof(in) - 1);
    assert_string_equal(r->method.ptr, "GET");
    assert_int_equal(r->method.len, 3);
    assert_string_equal(r->target.ptr, "/helloworld/call?name=Joe");
    assert_int_equal(r->version_minor, 1);
    assert_int_equal(r->nheaders, 3);
    assert_true(r->keep_alive);
    assert_false(r->chunked);
    assert_int_equal(r->content_length, -1);
    assert_int_equal(r->body.len, 0);
    h = mc_http1_header_find(r, "ACCEPT");
    assert_non_null(h);
    assert_string_equal(h->value.ptr, "*/*");
    assert_int_equal(h->value.len, 3);
    h = mc_http1_header_find(r, "x-empty");
    assert_non_null(h);
    assert_int_equal(h->value.len, 0);
    assert_null(mc_http1_header_find(r, "missing"));
    /* DONE is repeated without consuming until reset. */
    {
        size_t used = 7;
        assert_int_equal(mc_http1_parse(&p, "GET", 3, &used), MC_HTTP1_DONE);
        assert_int_equal(used, 0);
    }
    assert_false(mc_http1_parser_idle(&p));
    mc_http1_parser_reset(&p);
    assert_true(mc_http1_parser_idle(&p));
    mc_http1_parser_release(&p);
}

static void test_content_length_body(void **state)
{
    static const char in[] = "POST /greeter HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                             "Content-Type: application/json\r\n\r\n{\"name\":1}\n";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(p.req.content_length, 11);
    assert_int_equal(p.req.body.len, 11);
    assert_memory_equal(p.req.body.ptr, "{\"name\":1}\n", 11);
    assert_int_equal(p.req.body.ptr[11], '\0');
    mc_http1_parser_release(&p);
}

static void test_zero_length_and_duplicate_equal_length(void **state)
{
    static const char in[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                             "content-length: 0\r\n\r\n";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(p.req.content_length, 0);
    assert_int_equal(p.req.body.len, 0);
    mc_http1_parser_release(&p);
}

static void test_chunked_body(void **state)
{
    static const char in[] = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                             "5\r\nhello\r\n"
                             "1;ext=\"v\" ; other\r\n \r\n"
                             "00A  ;x=y\r\n0123456789\r\n"
                             "0\r\n"
                             "Trailer-One: a\r\nTrailer-Two: b\r\n"
                             "\r\n";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(o.used, sizeof(in) - 1);
    assert_true(p.req.chunked);
    assert_int_equal(p.req.body.len, 16);
    assert_memory_equal(p.req.body.ptr, "hello 0123456789", 16);
    /* Trailers are dropped, not added to the headers. */
    assert_null(mc_http1_header_find(&p.req, "trailer-one"));
    mc_http1_parser_release(&p);
}

static void test_chunked_empty(void **state)
{
    static const char in[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "0\r\n\r\nGET";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(o.used, sizeof(in) - 1 - 3);
    assert_int_equal(p.req.body.len, 0);
    mc_http1_parser_release(&p);
}

static void test_pipelining(void **state)
{
    static const char in[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                             "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nxy\r\n0\r\n\r\n";
    const char *want_target[] = { "/a", "/b", "/c" };
    const char *want_body[] = { "abc", "", "xy" };

    (void)state;
    for (size_t step = 1; step <= sizeof(in); step++) {
        struct mc_http1_parser p;
        size_t off = 0;

        mc_http1_parser_init(&p, NULL);
        for (int i = 0; i < 3; i++) {
            struct outcome o = feed(&p, in + off, sizeof(in) - 1 - off, step);
            assert_int_equal(o.rc, MC_HTTP1_DONE);
            assert_string_equal(p.req.target.ptr, want_target[i]);
            assert_string_equal(p.req.body.ptr, want_body[i]);
            off += o.used;
            mc_http1_parser_reset(&p);
        }
        assert_int_equal(off, sizeof(in) - 1);
        mc_http1_parser_release(&p);
    }
}

static bool keep_alive_of(const char *in)
{
    struct mc_http1_parser p;
    struct outcome o = parse_all_splits(&p, in, strlen(in), NULL);
    bool ka = p.req.keep_alive;

    assert_int_equal(o.rc, MC_HTTP1_DONE);
    mc_http1_parser_release(&p);
    return ka;
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
                               "Connection: close\r\n\r\n"));
    /* HTTP/1.2 is treated as the highest minor version we speak. */
    assert_true(keep_alive_of("GET / HTTP/1.2\r\nHost: x\r\n\r\n"));
}

static void test_expect_continue(void **state)
{
    static const char head[] = "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                               "Content-Length: 4\r\n\r\n";
    struct mc_http1_parser p;
    size_t used;
    int rc;

    (void)state;
    mc_http1_parser_init(&p, NULL);
    rc = mc_http1_parse(&p, head, sizeof(head) - 1, &used);
    assert_int_equal(rc, MC_HTTP1_HEAD);
    assert_int_equal(used, sizeof(head) - 1);
    assert_true(p.req.expect_continue);
    assert_int_equal(mc_http1_parse(&p, "", 0, &used), MC_HTTP1_NEED_MORE);
    assert_int_equal(mc_http1_parse(&p, "body", 4, &used), MC_HTTP1_DONE);
    assert_string_equal(p.req.body.ptr, "body");
    mc_http1_parser_release(&p);

    /* HTTP/1.0 clients cannot expect a 100 response. */
    mc_http1_parser_init(&p, NULL);
    rc = mc_http1_parse(&p, "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", 40, &used);
    assert_int_equal(rc, MC_HTTP1_HEAD);
    assert_false(p.req.expect_continue);
    mc_http1_parser_release(&p);
}

static void test_leading_empty_lines_ignored(void **state)
{
    static const char in[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, in);

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_string_equal(p.req.method.ptr, "GET");
    mc_http1_parser_release(&p);
}

static void test_other_target_forms(void **state)
{
    struct mc_http1_parser p;
    struct outcome o = PARSE(&p, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");

    (void)state;
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_string_equal(p.req.target.ptr, "*");
    mc_http1_parser_release(&p);
    o = PARSE(&p, "GET http://h:1/p?q=1 HTTP/1.1\r\nHost: h:1\r\n\r\n");
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_string_equal(p.req.target.ptr, "http://h:1/p?q=1");
    mc_http1_parser_release(&p);
}

static void test_limits_head(void **state)
{
    struct mc_http1_limits lim;
    struct mc_http1_parser p;
    char in[400];
    struct outcome o;
    int n;

    (void)state;
    mc_http1_limits_default(&lim);
    assert_int_equal(lim.max_head_bytes, 64 * 1024);
    assert_int_equal(lim.max_headers, 100);
    assert_int_equal(lim.max_body_bytes, 32 * 1024 * 1024);

    lim.max_head_bytes = 64;
    n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: x\r\nX-Long: %060d\r\n\r\n", 0);
    o = parse_all_splits(&p, in, (size_t)n, &lim);
    assert_int_equal(o.rc, MC_ETOOBIG);
    assert_int_equal(o.status, 431);
    mc_http1_parser_release(&p);

    /* Exactly at the limit is fine. */
    n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: x\r\nX: %032d\r\n\r\n", 0);
    assert_int_equal(n, 64);
    o = parse_all_splits(&p, in, (size_t)n, &lim);
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    mc_http1_parser_release(&p);

    /* A head line that never ends is stopped at the limit too. */
    memset(in, 'a', sizeof(in));
    o = parse_all_splits(&p, in, sizeof(in), &lim);
    assert_int_equal(o.status, 431);
    mc_http1_parser_release(&p);

    /* Leading empty lines count. */
    memset(in, 0, sizeof(in));
    for (int i = 0; i < 40; i++)
        memcpy(in + 2 * i, "\r\n", 2);
    o = parse_all_splits(&p, in, 80, &lim);
    assert_int_equal(o.status, 431);
    mc_http1_parser_release(&p);
}

static void test_limits_header_count(void **state)
{
    struct mc_http1_limits lim;
    struct mc_http1_parser p;
    struct mc_buf b;
    struct outcome o;

    (void)state;
    mc_http1_limits_default(&lim);
    lim.max_headers = 5;
    mc_buf_init(&b, 4096);
    assert_int_equal(mc_buf_append_str(&b, "GET / HTTP/1.1\r\nHost: x\r\n"), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(mc_buf_appendf(&b, "X-%d: v\r\n", i), 0);
    assert_int_equal(mc_buf_append_str(&b, "\r\n"), 0);
    o = parse_all_splits(&p, b.data, b.len, &lim);
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_int_equal(p.req.nheaders, 5);
    mc_http1_parser_release(&p);

    b.len -= 2;
    assert_int_equal(mc_buf_append_str(&b, "X-5: v\r\n\r\n"), 0);
    o = parse_all_splits(&p, b.data, b.len, &lim);
    assert_int_equal(o.rc, MC_ETOOBIG);
    assert_int_equal(o.status, 431);
    mc_http1_parser_release(&p);
    mc_buf_release(&b);
}

static void test_limits_body(void **state)
{
    struct mc_http1_limits lim;
    struct mc_http1_parser p;
    struct outcome o;
    static const char cl_ok[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n12345678";
    static const char cl_big[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n";
    static const char ch_big[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "5\r\n12345\r\n4\r\n6789\r\n0\r\n\r\n";
    static const char ch_ok[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\n12345\r\n3\r\n678\r\n0\r\n\r\n";
    static const char ch_huge[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "ffffffff\r\n";
    static const char trailers_big[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                       "\r\n0\r\nA: 0123456789012345678901234567890123456789"
                                       "0123456789012345678901234567890123456789\r\n\r\n";

    (void)state;
    mc_http1_limits_default(&lim);
    lim.max_body_bytes = 8;
    o = parse_all_splits(&p, cl_ok, sizeof(cl_ok) - 1, &lim);
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    mc_http1_parser_release(&p);
    o = parse_all_splits(&p, cl_big, sizeof(cl_big) - 1, &lim);
    assert_int_equal(o.rc, MC_ETOOBIG);
    assert_int_equal(o.status, 413);
    assert_int_equal(o.heads, 0); /* refused before any 100-continue */
    mc_http1_parser_release(&p);
    o = parse_all_splits(&p, ch_ok, sizeof(ch_ok) - 1, &lim);
    assert_int_equal(o.rc, MC_HTTP1_DONE);
    assert_string_equal(p.req.body.ptr, "12345678");
    mc_http1_parser_release(&p);
    o = parse_all_splits(&p, ch_big, sizeof(ch_big) - 1, &lim);
    assert_int_equal(o.status, 413);
    mc_http1_parser_release(&p);
    o = parse_all_splits(&p, ch_huge, sizeof(ch_huge) - 1, &lim);
    assert_int_equal(o.status, 413);
    mc_http1_parser_release(&p);
    lim.max_head_bytes = 64;
    o = parse_all_splits(&p, trailers_big, sizeof(trailers_big) - 1, &lim);
    assert_int_equal(o.rc, MC_ETOOBIG);
    assert_int_equal(o.status, 431);
    mc_http1_parser_release(&p);
}

#define H "Host: x\r\n"

static void test_bad_framing_400(void **state)
{
    (void)state;
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 3, 3\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: +1\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n",
                 MC_EPROTO, 400);
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,\r\n\r\n", MC_EPROTO, 400);
    expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", MC_EPROTO, 400);
}

static void test_bad_bytes_400(void **state)
{
    static const char nul_in_header[] = "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n";
    static const char nul_in_line[] = "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n";
    struct mc_http1_parser p;
    struct outcome o;

    (void)state;
    expect_error("GET / HTTP/1.1\r\nHost: x\rX-Evil: 1\r\n\r\n", MC_EPROTO, 400);  /* bare CR */
    expect_error("GET / HTTP/1.1\r\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\nHost: x\r\n\r\n", MC_EPROTO, 400);              /* bare LF */
    expect_error("GET / HTTP/1.1\r\nHost: x\r\n\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tfolded\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nX : a\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01" "b\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\nHost: x\r\nX: a\x7f\r\n\r\n", MC_EPROTO, 400);
    o = parse_all_splits(&p, nul_in_header, sizeof(nul_in_header) - 1, NULL);
    assert_int_equal(o.rc, MC_EPROTO);
    assert_int_equal(o.status, 400);
    mc_http1_parser_release(&p);
    o = parse_all_splits(&p, nul_in_line, sizeof(nul_in_line) - 1, NULL);
    assert_int_equal(o.status, 400);
    mc_http1_parser_release(&p);
}

static void test_bad_request_line_400(void **state)
{
    (void)state;
    expect_error("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET /\x80 HTTP/1.1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET /\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / http/1.1\r\nHost: x\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/1.1\r\n\r\n", MC_EPROTO, 400); /* missing Host */
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", MC_EPROTO, 400);
    expect_error("GET / HTTP/2.0\r\nHost: x\r\n\r\n", MC_EPROTO, 505);
    expect_error("GET / HTTP/0.9\r\nHost: x\r\n\r\n", MC_EPROTO, 505);
}

static void test_unsupported_coding_501(void **state)
{
    (void)state;
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", MC_EUNSUPPORTED, 501);
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n",
                 MC_EUNSUPPORTED, 501);
    expect_error("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
                 "Transfer-Encoding: identity\r\n\r\n", MC_EUNSUPPORTED, 501);
}

#define CH "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

static void test_bad_chunks_400(void **state)
{
    (void)state;
    expect_error(CH "zz\r\n", MC_EPROTO, 400);
    expect_error(CH "\r\n", MC_EPROTO, 400);
    expect_error(CH ";ext\r\n", MC_EPROTO, 400);
    expect_error(CH "-1\r\n", MC_EPROTO, 400);
    expect_error(CH "3\r\nabcd\r\n", MC_EPROTO, 400);      /* data longer than size */
    expect_error(CH "3\nabc\r\n", MC_EPROTO, 400);         /* bare LF after size */
    expect_error(CH "3\r\nabc\n0\r\n\r\n", MC_EPROTO, 400);
    expect_error(CH "3\r\nabc\r\r\n", MC_EPROTO, 400);
    expect_error(CH "3 4\r\nabc\r\n", MC_EPROTO, 400);
    expect_error(CH "3;a\x01\r\nabc\r\n", MC_EPROTO, 400);
    expect_error(CH "0\r\n\n", MC_EPROTO, 400);
    expect_error(CH "0\r\n folded: x\r\n\r\n", MC_EPROTO, 400);
    expect_error(CH "0\r\nA: b\rC\r\n\r\n", MC_EPROTO, 400);
    expect_error(CH "0\r\n\rx", MC_EPROTO, 400);
    {
        struct mc_http1_limits lim;
        struct mc_http1_parser p;
        static const char in[] = CH "10000000000000000\r\n";
        struct outcome o;

        mc_http1_limits_default(&lim);
        lim.max_body_bytes = SIZE_MAX;
        o = parse_all_splits(&p, in, sizeof(in) - 1, &lim);
        assert_int_equal(o.rc, MC_EPROTO);
        assert_int_equal(o.status, 400);
        mc_http1_parser_release(&p);
    }
    {
        /* A chunk extension cannot grow without bound. */
        struct mc_buf b;
        struct mc_http1_parser p;
        struct outcome o;

        mc_buf_init(&b, 8192);
        assert_int_equal(mc_buf_append_str(&b, CH "1;"), 0);
        for (int i = 0; i < 2000; i++)
            assert_int_equal(mc_buf_append_byte(&b, 'e'), 0);
        o = parse_all_splits(&p, b.data, b.len, NULL);
        assert_int_equal(o.status, 400);
        mc_http1_parser_release(&p);
        mc_buf_release(&b);
    }
}

static void test_errors_are_sticky(void **state)
{
    struct mc_http1_parser p;
    size_t used;

    (void)state;
    mc_http1_parser_init(&p, NULL);
    assert_int_equal(mc_http1_parse(&p, "BAD\n", 4, &used), MC_EPROTO);
    assert_int_equal(mc_http1_parse(&p, "GET / HTTP/1.1\r\n", 16, &used), MC_EPROTO);
    assert_int_equal(used, 0);
    assert_int_equal(mc_http1_error_status(&p), 400);
    mc_http1_parser_reset(&p);
    assert_int_equal(mc_http1_error_status(&p), 0);
    assert_string_equal(mc_http1_error_detail(&p), "");
    assert_int_equal(mc_http1_parse(&p, "GET / HTTP/1.0\r\n\r\n", 18, &used), MC_HTTP1_HEAD);
    assert_int_equal(mc_http1_parse(&p, NULL, 0, &used), MC_HTTP1_DONE);
    mc_http1_parser_release(&p);
}

static void test_reason_phrases(void **state)
{
    (void)state;
    assert_string_equal(mc_http1_reason(200), "OK");
    assert_string_equal(mc_http1_reason(404), "Not Found");
    assert_string_equal(mc_http1_reason(413), "Request Entity Too Large");
    assert_string_equal(mc_http1_reason(431), "Request Header Fields Too Large");
    assert_string_equal(mc_http1_reason(501), "Not Implemented");
    assert_string_equal(mc_http1_reason(799), "Unknown");
}

static void split(const char *target, const char *want_path, const char *want_query)
{
    struct mc_slice path, query;

    mc_http1_target_split(mc_slice_cstr(target), &path, &query);
    assert_true(mc_slice_eq_cstr(path, want_path));
    assert_true(mc_slice_eq_cstr(query, want_query));
}

static void test_target_split(void **state)
{
    (void)state;
    split("/a/b?x=1&y=2", "/a/b", "x=1&y=2");
    split("/a/b", "/a/b", "");
    split("/a?", "/a", "");
    split("/a?q#frag", "/a", "q");
    split("/a#f?x", "/a", "");
    split("*", "*", "");
    split("http://host:8080/p/q?z=1", "/p/q", "z=1");
    split("http://host:8080", "/", "");
    split("https://host?k=v", "/", "k=v");
}

static void test_percent_decode(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 64);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("a%20b+c%2Fd%2f"), false, &b), 0);
    assert_string_equal(b.data, "a b+c/d/");
    mc_buf_reset(&b);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("a+b%2B"), true, &b), 0);
    assert_string_equal(b.data, "a b+");
    mc_buf_reset(&b);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("x%00y"), false, &b), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "x\0y", 3);
    mc_buf_reset(&b);
    assert_int_equal(mc_buf_append_str(&b, "keep"), 0);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("ab%2"), false, &b), MC_EINVAL);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("%g1"), false, &b), MC_EINVAL);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("%"), false, &b), MC_EINVAL);
    assert_string_equal(b.data, "keep"); /* unchanged on failure */
    assert_int_equal(b.len, 4);
    mc_buf_release(&b);

    mc_buf_init(&b, 3);
    assert_int_equal(mc_http1_percent_decode(MC_SLICE_LIT("abcd"), false, &b), MC_ETOOBIG);
    assert_int_equal(b.len, 0);
    mc_buf_release(&b);
}

static void test_query_parse(void **state)
{
    struct mc_http1_params ps;

    (void)state;
    assert_int_equal(mc_http1_query_parse(MC_SLICE_LIT("name=Joe+Bloggs&a.b=%7B1%7D&&flag&"
                                                       "empty=&=v&name=x%00y"), 16, &ps), 0);
    assert_int_equal(ps.len, 6);
    assert_string_equal(ps.items[0].key, "name");
    assert_string_equal(ps.items[0].value, "Joe Bloggs");
    assert_string_equal(ps.items[1].key, "a.b");
    assert_string_equal(ps.items[1].value, "{1}");
    assert_string_equal(ps.items[2].key, "flag");
    assert_string_equal(ps.items[2].value, "");
    assert_string_equal(ps.items[3].key, "empty");
    assert_int_equal(ps.items[3].value_len, 0);
    assert_int_equal(ps.items[4].key_len, 0);
    assert_string_equal(ps.items[4].value, "v");
    assert_string_equal(ps.items[5].key, "name");
    assert_int_equal(ps.items[5].value_len, 3);
    assert_memory_equal(ps.items[5].value, "x\0y", 3);
    mc_http1_params_release(&ps);
    assert_null(ps.items);
    assert_int_equal(ps.len, 0);

    assert_int_equal(mc_http1_query_parse(MC_SLICE_LIT(""), 4, &ps), 0);
    assert_int_equal(ps.len, 0);
    mc_http1_params_release(&ps);

    assert_int_equal(mc_http1_query_parse(MC_SLICE_LIT("a=1&b=%zz"), 4, &ps), MC_EINVAL);
    assert_int_equal(ps.len, 0);
    assert_null(ps.items);
    assert_int_equal(mc_http1_query_parse(MC_SLICE_LIT("a=1&b=2&c=3"), 2, &ps), MC_ETOOBIG);
    assert_int_equal(ps.len, 0);
    assert_int_equal(mc_http1_query_parse(MC_SLICE_LIT("a=1&b=2"), 2, &ps), 0);
    assert_int_equal(ps.len, 2);
    mc_http1_params_release(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_content_length_body),
        cmocka_unit_test(test_zero_length_and_duplicate_equal_length),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_chunked_empty),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_leading_empty_lines_ignored),
        cmocka_unit_test(test_other_target_forms),
        cmocka_unit_test(test_limits_head),
        cmocka_unit_test(test_limits_header_count),
        cmocka_unit_test(test_limits_body),
        cmocka_unit_test(test_bad_framing_400),
        cmocka_unit_test(test_bad_bytes_400),
        cmocka_unit_test(test_bad_request_line_400),
        cmocka_unit_test(test_unsupported_coding_501),
        cmocka_unit_test(test_bad_chunks_400),
        cmocka_unit_test(test_errors_are_sticky),
        cmocka_unit_test(test_reason_phrases),
        cmocka_unit_test(test_target_split),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_query_parse),
    };

    return cmocka_run_group_tests_name("http1", tests, NULL, NULL);
}
