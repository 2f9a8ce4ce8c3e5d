/*
 * The web dashboard (:8082, spec §11): one HTML page and its scripts, compiled
 * into the binary (web_assets.h), that log in, list services, show a service's
 * endpoints, nodes and schemas, build a form from an endpoint's request schema,
 * call it, and show the runtime's services and their logs.
 *
 * How the browser reaches the services. Unary calls go from the browser
 * straight to the API gateway, as upstream's dashboard does: /config.json
 * tells the page the gateway's address, the gateway already answers CORS
 * preflights, and the user's token goes as `Authorization: Bearer`, so the
 * gateway's auth rules apply and the page shows the very `curl` it made. The
 * gateway has no streaming, so streams come through this listener instead
 * (POST /stream/<service>/<Handler.Method>, see web_stream.h), relayed to the
 * gRPC proxy with the same token. Both paths need only two addresses, which is
 * why `micro web` can run this listener alone, against any server.
 *
 * Routes: /assets/<file>, /config.json, /stream/..., /login, /logout; any other
 * GET is the page itself, which routes on the path in the browser. Without the
 * `micro-token` cookie every page but /login redirects to /login.
 */
#ifndef MC_SERVER_WEB_H
#define MC_SERVER_WEB_H

#include <stddef.h>

#include "mc_common.h"

struct mc_loop;
struct mc_web;

struct mc_web_options {
    /* The gateway the browser calls: "host:port" (a wildcard host becomes the
     * host the browser used to reach the dashboard) or a whole "http://..." URL. */
    const char *api_address;
    /* The gRPC proxy streams are relayed to: "host:port". */
    const char *proxy_address;
};

/* A dashboard on loop; o's strings are copied. Does not listen yet. */
struct mc_web *mc_web_new(struct mc_loop *loop, const struct mc_web_options *o);
/* 0, or MC_EADDR with the reason in err. */
int mc_web_listen(struct mc_web *web, const char *addr, char *err, size_t errlen);
const char *mc_web_addr(const struct mc_web *web);
/* Closes every connection and cancels the streams; run the loop once afterwards
 * so cancelled calls are released. NULL is a no-op. */
void mc_web_free(struct mc_web *web);

/* The value of cookie name in a Cookie header value ("a=b; micro-token=T"),
 * empty when absent. Exposed for tests. */
struct mc_slice mc_web_cookie(struct mc_slice header, const char *name);

#endif
