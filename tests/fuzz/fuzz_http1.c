/*
 * libFuzzer target for the HTTP/1.1 request parser (shared/mc_http1.c).
 * The first input byte picks a piece size; the rest is a stream of pipelined
 * requests, parsed once whole and once in pieces. Besides memory errors, it
 * checks the parser's promises: consumed never exceeds the input, slices are
 * NUL-terminated, limits hold, and the split never changes the outcome.
 * Completed requests also go through the target and query helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_http1.h"

#define MAX_REQUESTS 32

struct result {
    int rc;
    int status;
    size_t end;        /* input offset where the request (or error) ended */
    size_t body_len;
    uint64_t body_hash;
    size_t nheaders;
};

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void check(int cond)
{
    if (!cond)
        abort();
}

static void use_request(const struct mc_http1_request *r, const struct mc_http1_limits *lim)
{
    struct mc_slice path, query;
    struct mc_http1_params ps;

    check(r->method.ptr[r->method.len] == '\0');
    check(r->target.ptr[r->target.len] == '\0');
    check(r->body.ptr[r->body.len] == '\0');
    check(r->body.len <= lim->max_body_bytes);
    check(r->nheaders <= lim->max_headers);
    for (size_t i = 0; i < r->nheaders; i++) {
        check(r->headers[i].name.ptr[r->headers[i].name.len] == '\0');
        check(r->headers[i].value.ptr[r->headers[i].value.len] == '\0');
    }
    mc_http1_target_split(r->target, &path, &query);
    check(path.len <= r->target.len && query.len <= r->target.len);
    if (mc_http1_query_parse(query, 64, &ps) == MC_OK) {
        check(ps.len <= 64);
        for (size_t i = 0; i < ps.len; i++)
            check(ps.items[i].key[ps.items[i].key_len] == '\0');
    }
    mc_http1_params_release(&ps);
    (void)mc_http1_header_find(r, "host");
}

/* Parses every pipelined request in data, feeding at most step bytes a call. */
static size_t run(const char *data, size_t size, size_t step, struct result *out)
{
    struct mc_http1_limits lim = { 4096, 32, 65536 };
    struct mc_http1_parser p;
    size_t off = 0, n = 0;

    mc_http1_parser_init(&p, &lim);
    while (n < MAX_REQUESTS) {
        size_t chunk = size - off < step ? size - off : step;
        size_t used = 0;
        int rc = mc_http1_parse(&p, data + off, chunk, &used);

        check(used <= chunk);
        off += used;
        if (rc == MC_HTTP1_HEAD)
            continue;
        if (rc == MC_HTTP1_NEED_MORE) {
            check(used == chunk);
            if (off < size)
                continue;
        }
        out[n] = (struct result){ rc, mc_http1_error_status(&p), off, 0, 0, 0 };
        if (rc == MC_HTTP1_DONE) {
            const struct mc_http1_request *r = mc_http1_parser_request(&p);
            use_request(r, &lim);
            out[n].body_len = r->body.len;
            out[n].body_hash = fnv(r->body.ptr, r->body.len);
            out[n].nheaders = r->nheaders;
        } else if (rc < 0) {
            check(out[n].status >= 400 && out[n].status <= 505);
        }
        n++;
        if (rc != MC_HTTP1_DONE)
            break;
        mc_http1_parser_reset(&p);
    }
    mc_http1_parser_release(&p);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct result whole[MAX_REQUESTS], split[MAX_REQUESTS];
    size_t step, nw, ns;
    struct mc_buf b;

    if (size < 1)
        return 0;
    step = (size_t)(data[0] % 17) + 1;
    data++;
    size--;
    nw = run((const char *)data, size, size ? size : 1, whole);
    ns = run((const char *)data, size, step, split);
    check(nw == ns);
    for (size_t i = 0; i < nw; i++) {
        check(whole[i].rc == split[i].rc);
        check(whole[i].status == split[i].status);
        check(whole[i].body_len == split[i].body_len);
        check(whole[i].body_hash == split[i].body_hash);
        check(whole[i].nheaders == split[i].nheaders);
        if (whole[i].rc == MC_HTTP1_DONE)
            check(whole[i].end == split[i].end);
    }
    /* The decoder never grows its input and leaves out alone on failure. */
    mc_buf_init(&b, size + 1);
    if (mc_http1_percent_decode((struct mc_slice){ (const char *)data, size }, true, &b) == 0)
        check(b.len <= size);
    else
        check(b.len == 0);
    mc_buf_release(&b);
    return 0;
}
