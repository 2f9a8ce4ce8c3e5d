/* The web dashboard listener: see web.h. */
#include "web.h"

#include <stdio.h>
#include <stdlib.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_http_server.h"
#include "mc_rpc.h"
#include "mc_banned.h"

struct mc_web {
    struct mc_http_server *http;
    struct mc_rpc_server *rpc;
};

static void status_page(struct mc_web *web, struct mc_buf *out)
{
    int64_t now = mc_unix_time();

    mc_buf_appendf(out, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                        "<title>micro</title></head>\n<body>\n<h1>micro %s</h1>\n"
                        "<table>\n<tr><th>service</th><th>uptime (s)</th><th>requests</th>"
                        "<th>errors</th></tr>\n", MICRO_VERSION);
    for (size_t i = 0; i < mc_rpc_server_count(web->rpc); i++) {
        const struct mc_rpc_service *s = mc_rpc_server_at(web->rpc, i);
        /* service names are [a-z.] identifiers chosen by the server: no escaping needed */
        mc_buf_appendf(out, "<tr><td>%s</td><td>%lld</td><td>%llu</td><td>%llu</td></tr>\n",
                       mc_rpc_service_name(s),
                       (long long)(now - mc_rpc_service_started(s)),
                       (unsigned long long)mc_rpc_service_requests(s),
                       (unsigned long long)mc_rpc_service_errors(s));
    }
    mc_buf_append_str(out, "</table>\n</body></html>\n");
}

static void on_request(struct mc_http_exchange *ex, void *arg)
{
    struct mc_web *web = arg;
    const struct mc_http1_request *r = mc_http_exchange_request(ex);
    struct mc_slice path, query;
    struct mc_buf page;

    mc_http1_target_split(r->target, &path, &query);
    if (!mc_slice_eq_cstr(path, "/")) {
        mc_http_exchange_add_header(ex, "Content-Type", "text/plain; charset=utf-8");
        mc_http_exchange_respond(ex, 404, "404 page not found\n", 19);
        return;
    }
    mc_buf_init(&page, 1 << 20);
    status_page(web, &page);
    mc_http_exchange_add_header(ex, "Content-Type", "text/html; charset=utf-8");
    mc_http_exchange_respond(ex, 200, page.data, page.len);
    mc_buf_release(&page);
}

struct mc_web *mc_web_new(struct mc_loop *loop, struct mc_rpc_server *rpc)
{
    struct mc_web *web = mc_calloc(1, sizeof(*web));

    web->rpc = rpc;
    web->http = mc_http_server_new(loop, NULL, on_request, web);
    return web;
}

int mc_web_listen(struct mc_web *web, const char *addr, char *err, size_t errlen)
{
    return mc_http_server_listen(web->http, addr, err, errlen);
}

const char *mc_web_addr(const struct mc_web *web)
{
    return mc_http_server_address(web->http);
}

void mc_web_free(struct mc_web *web)
{
    if (!web)
        return;
    mc_http_server_free(web->http);
    free(web);
}
