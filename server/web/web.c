/* The web dashboard listener: see web.h. */
#include "web.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_http_server.h"
#include "web_assets.h"
#include "web_stream.h"
#include "mc_banned.h"

#define MAX_NAME 256
#define MAX_URL 512
#define TOKEN_COOKIE "micro-token"

struct mc_web {
    struct mc_http_server *http;
    struct mc_web_streams *streams;
    char *api_address;
};

/* ---- helpers ---------------------------------------------------------------------- */

struct mc_slice mc_web_cookie(struct mc_slice header, const char *name)
{
    size_t n = strlen(name), i = 0;

    while (i < header.len) {
        size_t end = i;
        while (end < header.len && header.ptr[end] != ';')
            end++;
        while (i < end && header.ptr[i] == ' ')
            i++;
        if (end - i > n && memcmp(header.ptr + i, name, n) == 0 && header.ptr[i + n] == '=')
            return (struct mc_slice){ header.ptr + i + n + 1, end - i - n - 1 };
        i = end + 1;
    }
    return (struct mc_slice){ "", 0 };
}

/* The micro-token cookie of r, empty when it has none. */
static struct mc_slice request_token(const struct mc_http1_request *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (!mc_slice_ieq_cstr(r->headers[i].name, "Cookie"))
            continue;
        struct mc_slice v = mc_web_cookie(r->headers[i].value, TOKEN_COOKIE);
        if (v.len)
            return v;
    }
    return (struct mc_slice){ "", 0 };
}

/* The host the browser used (Host header without the port), when it is a plain
 * host name or address; else "127.0.0.1". */
static void browser_host(const struct mc_http1_request *r, char *out, size_t cap)
{
    const struct mc_http1_header *h = mc_http1_header_find(r, "Host");
    size_t n = 0;

    if (h) {
        const char *p = h->value.ptr;
        size_t len = h->value.len;
        if (len && p[0] == '[') {   /* [::1]:8082 */
            while (n < len && p[n] != ']')
                n++;
            n = n < len ? n + 1 : 0;
        } else {
            while (n < len && p[n] != ':')
                n++;
        }
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr(".-[]:", p[i]))
                n = 0;
    }
    if (n == 0 || n >= cap)
        snprintf(out, cap, "127.0.0.1");
    else
        snprintf(out, cap, "%.*s", (int)n, h->value.ptr);
}

/* The gateway's URL as the browser must call it. */
static void api_url(const struct mc_web *web, const struct mc_http1_request *r, char *out,
                    size_t cap)
{
    const char *a = web->api_address, *colon = strrchr(a, ':');
    char host[MAX_NAME];

    if (strncmp(a, "http://", 7) == 0 || strncmp(a, "https://", 8) == 0 || !colon) {
        snprintf(out, cap, "%s", a);
        return;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - a), a);
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 ||
        strcmp(host, "::") == 0)
        browser_host(r, host, sizeof(host));
    snprintf(out, cap, "http://%s%s", host, colon);
}

/* ---- responses -------------------------------------------------------------------- */

static void respond_text(struct mc_http_exchange *ex, int status, const char *text)
{
    mc_http_exchange_add_header(ex, "Content-Type", "text/plain; charset=utf-8");
    mc_http_exchange_respond(ex, status, text, strlen(text));
}

static void redirect(struct mc_http_exchange *ex, const char *location)
{
    mc_http_exchange_add_header(ex, "Location", location);
    respond_text(ex, 302, "");
}

/* The page: the browser may load scripts and styles from here only, and talk to
 * here and to the gateway, so nothing is fetched from outside even by mistake. */
static void serve_page(struct mc_web *web, struct mc_http_exchange *ex,
                       const struct mc_http1_request *r)
{
    const struct mc_web_asset *page = mc_web_asset_find(MC_SLICE_LIT("index.html"));
    char url[MAX_URL], csp[2 * MAX_URL];

    api_url(web, r, url, sizeof(url));
    snprintf(csp, sizeof(csp),
             "default-src 'self'; connect-src 'self' %s; img-src 'self' data:; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'", url);
    mc_http_exchange_add_header(ex, "Content-Security-Policy", csp);
    mc_http_exchange_add_header(ex, "Cache-Control", "no-store");
    mc_http_exchange_add_header(ex, "Content-Type", page->content_type);
    mc_http_exchange_respond(ex, 200, page->data, page->len);
}

static void serve_asset(struct mc_http_exchange *ex, struct mc_slice name)
{
    const struct mc_web_asset *a = mc_web_asset_find(name);

    if (!a) {
        respond_text(ex, 404, "404 page not found\n");
        return;
    }
    mc_http_exchange_add_header(ex, "Content-Type", a->content_type);
    mc_http_exchange_add_header(ex, "Cache-Control", "no-cache");
    mc_http_exchange_add_header(ex, "X-Content-Type-Options", "nosniff");
    mc_http_exchange_respond(ex, 200, a->data, a->len);
}

static void serve_config(struct mc_web *web, struct mc_http_exchange *ex,
                         const struct mc_http1_request *r)
{
    char url[MAX_URL];
    cJSON *o = cJSON_CreateObject();
    char *text;

    api_url(web, r, url, sizeof(url));
    cJSON_AddStringToObject(o, "api", url);
    cJSON_AddStringToObject(o, "version", MICRO_VERSION);
    text = cJSON_PrintUnformatted(o);
    mc_http_exchange_add_header(ex, "Content-Type", "application/json");
    mc_http_exchange_add_header(ex, "Cache-Control", "no-store");
    mc_http_exchange_respond(ex, 200, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(o);
}

/* ---- streams ---------------------------------------------------------------------- */

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* "/stream/<service>/<Handler.Method>" into service and endpoint; false when the
 * path is not of that shape (names of [A-Za-z0-9._-], one dot in the endpoint). */
static bool stream_target(struct mc_slice path, char *service, char *endpoint)
{
    struct mc_slice rest = { path.ptr + 8, path.len - 8 };   /* after "/stream/" */
    size_t slash = rest.len, dots = 0;

    for (size_t i = 0; i < rest.len; i++) {
        if (rest.ptr[i] == '/') {
            if (slash != rest.len)
                return false;
            slash = i;
        } else if (!name_char(rest.ptr[i])) {
            return false;
        } else if (slash != rest.len && rest.ptr[i] == '.') {
            dots++;
        }
    }
    if (slash == 0 || slash >= MAX_NAME || rest.len - slash - 1 >= MAX_NAME || dots != 1 ||
        rest.ptr[slash + 1] == '.' || rest.ptr[rest.len - 1] == '.')
        return false;
    snprintf(service, MAX_NAME, "%.*s", (int)slash, rest.ptr);
    snprintf(endpoint, MAX_NAME, "%.*s", (int)(rest.len - slash - 1), rest.ptr + slash + 1);
    return true;
}

static void start_stream(struct mc_web *web, struct mc_http_exchange *ex,
                         const struct mc_http1_request *r, struct mc_slice path)
{
    const struct mc_http1_header *auth = mc_http1_header_find(r, "Authorization");
    const struct mc_http1_header *ns = mc_http1_header_find(r, "Micro-Namespace");
    struct mc_slice token = request_token(r);
    char service[MAX_NAME], endpoint[MAX_NAME], *authz = NULL, *nsv = NULL;

    if (!mc_slice_eq_cstr(r->method, "POST")) {
        mc_http_exchange_add_header(ex, "Allow", "POST");
        respond_text(ex, 405, "405 method not allowed\n");
        return;
    }
    if (!stream_target(path, service, endpoint)) {
        respond_text(ex, 404, "404 page not found\n");
        return;
    }
    /* the page sends Authorization itself; the cookie is the fallback */
    if (auth) {
        authz = mc_strndup(auth->value.ptr, auth->value.len);
    } else if (token.len) {
        authz = mc_malloc(token.len + 8);
        snprintf(authz, token.len + 8, "Bearer %.*s", (int)token.len, token.ptr);
    }
    if (ns)
        nsv = mc_strndup(ns->value.ptr, ns->value.len);
    mc_web_stream_start(web->streams, ex, service, endpoint, authz, nsv);
    free(authz);
    free(nsv);
}

/* ---- routing ---------------------------------------------------------------------- */

static bool has_prefix(struct mc_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

/* A page asked for without a token: to /login, remembering a plain path to come
 * back to (only [A-Za-z0-9/._-], so nothing needs escaping and "//host" cannot
 * make it an open redirect). */
static void redirect_to_login(struct mc_http_exchange *ex, struct mc_slice path)
{
    char location[MAX_URL];
    bool plain = path.len > 1 && path.len < MAX_URL - 20 && path.ptr[1] != '/';

    for (size_t i = 0; plain && i < path.len; i++)
        plain = path.ptr[i] == '/' || name_char(path.ptr[i]);
    if (plain)
        snprintf(location, sizeof(location), "/login?next=%.*s", (int)path.len, path.ptr);
    else
        snprintf(location, sizeof(location), "/login");
    redirect(ex, location);
}

static void on_request(struct mc_http_exchange *ex, void *arg)
{
    struct mc_web *web = arg;
    const struct mc_http1_request *r = mc_http_exchange_request(ex);
    struct mc_slice path, query;

    mc_http1_target_split(r->target, &path, &query);
    if (has_prefix(path, "/stream/")) {
        start_stream(web, ex, r, path);
        return;
    }
    if (!mc_slice_eq_cstr(r->method, "GET") && !mc_slice_eq_cstr(r->method, "HEAD")) {
        mc_http_exchange_add_header(ex, "Allow", "GET, HEAD");
        respond_text(ex, 405, "405 method not allowed\n");
    } else if (has_prefix(path, "/assets/")) {
        serve_asset(ex, (struct mc_slice){ path.ptr + 8, path.len - 8 });
    } else if (mc_slice_eq_cstr(path, "/config.json")) {
        serve_config(web, ex, r);
    } else if (mc_slice_eq_cstr(path, "/favicon.ico")) {
        mc_http_exchange_respond(ex, 204, "", 0);
    } else if (mc_slice_eq_cstr(path, "/logout")) {
        mc_http_exchange_add_header(ex, "Set-Cookie",
                                    TOKEN_COOKIE "=; Path=/; Max-Age=0; SameSite=Strict");
        redirect(ex, "/login");
    } else if (mc_slice_eq_cstr(path, "/login") || request_token(r).len) {
        serve_page(web, ex, r);
    } else {
        redirect_to_login(ex, path);
    }
}

struct mc_web *mc_web_new(struct mc_loop *loop, const struct mc_web_options *o)
{
    struct mc_web *web = mc_calloc(1, sizeof(*web));

    web->api_address = mc_strdup(o->api_address);
    web->streams = mc_web_streams_new(loop, o->proxy_address);
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
    mc_http_server_free(web->http);   /* first: its aborts detach the streams */
    mc_web_streams_free(web->streams);
    free(web->api_address);
    free(web);
}
