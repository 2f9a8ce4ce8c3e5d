/*
 * Calls from commands to the environment's proxy, and how their failures
 * are told to the user (cli.h): mc_cli_call and mc_cli_stream build the gRPC
 * path and the headers (token, namespace, --metadata) and run the call on the
 * session's one transport; mc_cli_fail prints upstream's message for a
 * failure and returns its exit code (spec §3.8), recognising the same error
 * texts upstream's CLI recognises (client/cli/util CliError).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_grpc_frame.h"
#include "mc_metadata.h"
#include "output.h"
#include "registry.pb-c.h"
#include "transport.h"
#include "transport_reply.h"
#include "mc_banned.h"

#define CALL_MAX_HEADERS 64     /* token + namespace + --metadata values */
#define CALL_HEADER_MAX 8192    /* one "name: value" line */
#define CALL_NAME_MAX 256       /* service, endpoint */
#define MC_CLI_NAME_REQ_MAX 1024   /* a ListRequest: a namespace name and a few bytes */

void mc_cli_failure_init(struct mc_cli_failure *f)
{
    f->kind = MC_CLI_OK;
    mc_error_init(&f->error);
}

void mc_cli_failure_release(struct mc_cli_failure *f)
{
    mc_error_release(&f->error);
    f->kind = MC_CLI_OK;
}

/* Header lines of one call; each line is heap-owned. */
struct call_headers {
    char *lines[CALL_MAX_HEADERS];
    int count;
};

static void headers_release(struct call_headers *h)
{
    for (int i = 0; i < h->count; i++)
        free(h->lines[i]);
    h->count = 0;
}

static int headers_add(struct call_headers *h, const char *name, const char *value,
                       struct mc_cli_failure *f)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line;

    if (h->count == CALL_MAX_HEADERS || n > CALL_HEADER_MAX) {
        mc_transport_fail(f, MC_CLI_LOCAL, "too much metadata");
        return -1;
    }
    line = mc_malloc(n);
    snprintf(line, n, "%s: %s", name, value);
    h->lines[h->count++] = line;
    return 0;
}

/* Whether the caller's metadata already names this header (any case). */
static bool headers_have(const struct call_headers *h, const char *name)
{
    size_t n = strlen(name);

    for (int i = 0; i < h->count; i++)
        if (strncasecmp(h->lines[i], name, n) == 0 && h->lines[i][n] == ':')
            return true;
    return false;
}

/* Header names gRPC and the transport own, which --metadata must not set. */
static bool reserved_name(const char *name)
{
    static const char *const own[] = { "timeout", "user-agent", "accept", "expect",
                                       "content-length" };

    if (mc_metadata_wire_reserved(mc_slice_cstr(name)))
        return true;
    for (size_t i = 0; i < MC_ARRAY_LEN(own); i++)
        if (strcmp(name, own[i]) == 0)
            return true;
    return mc_grpc_key_is_bin(name, strlen(name));
}

/* One --metadata "Key=Value": the key lower-cased as gRPC sends it. */
static int add_metadata(struct call_headers *h, const char *kv, struct mc_cli_failure *f)
{
    const char *eq = strchr(kv, '=');
    char name[CALL_NAME_MAX];
    size_t klen;

    if (!eq || eq == kv) {
        mc_transport_fail(f, MC_CLI_LOCAL, "invalid metadata \"%s\": expected key=value", kv);
        return -1;
    }
    klen = (size_t)(eq - kv);
    if (klen >= sizeof(name)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "invalid metadata key \"%.*s\"", 64, kv);
        return -1;
    }
    for (size_t i = 0; i < klen; i++) {
        char c = kv[i] >= 'A' && kv[i] <= 'Z' ? (char)(kv[i] - 'A' + 'a') : kv[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            mc_transport_fail(f, MC_CLI_LOCAL, "invalid metadata key \"%.*s\"", (int)klen, kv);
            return -1;
        }
        name[i] = c;
    }
    name[klen] = '\0';
    if (reserved_name(name)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "metadata key \"%s\" is reserved", name);
        return -1;
    }
    for (const char *v = eq + 1; *v; v++) {
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e) {
            mc_transport_fail(f, MC_CLI_LOCAL,
                              "invalid metadata value for \"%s\": printable ASCII only", name);
            return -1;
        }
    }
    return headers_add(h, name, eq + 1, f);
}

/* --metadata first, so that a user's Authorization or Micro-Namespace wins. */
static int build_headers(struct mc_cli *cli, const struct mc_call_opts *o,
                         struct call_headers *h, struct mc_cli_failure *f)
{
    const char *ns = o->namespace_ ? o->namespace_ : cli->namespace_;

    for (int i = 0; i < o->metadata_count; i++)
        if (add_metadata(h, o->metadata[i], f) < 0)
            return -1;
    if (!o->no_auth && !headers_have(h, "authorization")) {
        const char *token = mc_cli_token(cli);
        if (token && *token) {
            char *v = mc_malloc(strlen(token) + 8);
            int rc;
            snprintf(v, strlen(token) + 8, "Bearer %s", token);
            rc = headers_add(h, "authorization", v, f);
            free(v);
            if (rc < 0)
                return -1;
        }
    }
    if (ns && *ns && !headers_have(h, "micro-namespace"))
        return headers_add(h, "micro-namespace", ns, f);
    return 0;
}

/*
 * "/<service>.<Handler>/<Method>" from an endpoint "Handler.Method", as
 * upstream's client maps it. An endpoint that is not two dot-separated words
 * is sent as it is by upstream, which the server rejects as a malformed
 * method name; that error is made here, with the same text.
 */
static int build_path(const char *service, const char *endpoint, char *path, size_t n,
                      struct mc_cli_failure *f)
{
    const char *dot = strchr(endpoint, '.');

    if (!service || !*service || strlen(service) > CALL_NAME_MAX ||
        strlen(endpoint) > CALL_NAME_MAX) {
        mc_transport_fail(f, MC_CLI_LOCAL, "invalid service or endpoint name");
        return -1;
    }
    if (!dot || dot == endpoint || !dot[1] || strchr(dot + 1, '.')) {
        mc_error_release(&f->error);
        mc_error_internal(&f->error, MC_ERROR_ID_CLIENT, "malformed method name: \"%s\"",
                          endpoint);
        f->kind = MC_CLI_MICRO_ERROR;
        return -1;
    }
    snprintf(path, n, "/%s.%.*s/%s", service, (int)(dot - endpoint), endpoint, dot + 1);
    return 0;
}

/* The request of one call: a JSON message, or (framed) the gRPC frames of a
 * whole client stream, or (proto) one protobuf message. */
struct call_body {
    const char *data;
    size_t len;
    bool framed;
    bool proto;
};

static struct call_body json_body(const char *req_json)
{
    return (struct call_body){ .data = req_json ? req_json : "{}",
                               .len = req_json ? strlen(req_json) : 2 };
}

/* The session's deadline (cli.h) shortens the call's timeout (which also
 * bounds the connect); past it the call fails as a timed-out dial would. */
static int cap_by_deadline(uint64_t deadline_ms, uint64_t *timeout_ms, struct mc_cli_failure *f)
{
    uint64_t now = mc_now_ms();

    if (now >= deadline_ms) {
        mc_transport_fail(f, MC_CLI_DIAL, "no time left for the call");
        return -1;
    }
    if (*timeout_ms == 0 || *timeout_ms > deadline_ms - now)
        *timeout_ms = deadline_ms - now;
    return 0;
}

static int run_call(struct mc_cli *cli, const char *service, const char *endpoint,
                    struct call_body body, const struct mc_call_opts *opts, uint64_t timeout_ms,
                    mc_transport_msg_fn *on_msg, void *ud, struct mc_cli_failure *f)
{
    static const struct mc_call_opts none;
    const struct mc_call_opts *o = opts ? opts : &none;
    struct call_headers h = { .count = 0 };
    char path[2 * CALL_NAME_MAX + 4];
    struct mc_transport_request req;
    int rc = -1;

    if (build_path(service, endpoint ? endpoint : "", path, sizeof(path), f) < 0)
        return -1;
    if (cli->deadline_ms && cap_by_deadline(cli->deadline_ms, &timeout_ms, f) < 0)
        return -1;
    if (build_headers(cli, o, &h, f) < 0)
        goto out;
    if (!cli->tx)
        cli->tx = mc_transport_new(cli->address, cli->tls);
    if (!cli->tx) {
        mc_transport_fail(f, MC_CLI_LOCAL, "cannot initialise the HTTP client");
        goto out;
    }
    req = (struct mc_transport_request){
        .path = path,
        .headers = (const char *const *)h.lines,
        .header_count = h.count,
        .body = body.data,
        .body_len = body.len,
        .framed = body.framed,
        .proto = body.proto,
        .timeout_ms = timeout_ms,
        .on_msg = on_msg,
        .ud = ud,
    };
    rc = mc_transport_call(cli->tx, &req, f);
out:
    headers_release(&h);
    return rc;
}

/* The one response message of a unary call. */
struct unary {
    struct mc_buf buf;
    size_t count;
};

static int keep_first(void *ud, const char *json, size_t len)
{
    struct unary *u = ud;

    if (u->count++ == 0)
        mc_buf_append(&u->buf, json, len); /* fits: the decoder caps len at the same limit */
    return 0;
}

/* The one response of a call that has exactly one (unary, client stream). */
static int unary_result(struct unary *u, char **resp_json, struct mc_cli_failure *f)
{
    if (u->count != 1) {
        mc_buf_release(&u->buf);
        mc_transport_fail(f, MC_CLI_LOCAL, u->count == 0 ? "no response message received"
                                                         : "more than one response message "
                                                           "received for a unary call");
        return -1;
    }
    *resp_json = mc_buf_detach(&u->buf, NULL);
    return 0;
}

int mc_cli_call(struct mc_cli *cli, const char *service, const char *endpoint,
                const char *req_json, const struct mc_call_opts *opts, char **resp_json,
                struct mc_cli_failure *f)
{
    uint64_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : MC_CLI_DEFAULT_TIMEOUT_MS;
    struct unary u = { .count = 0 };

    *resp_json = NULL;
    mc_buf_init(&u.buf, MC_TRANSPORT_MAX_MSG);
    if (run_call(cli, service, endpoint, json_body(req_json), opts, timeout, keep_first, &u,
                 f) < 0) {
        mc_buf_release(&u.buf);
        return -1;
    }
    return unary_result(&u, resp_json, f);
}

int mc_cli_call_proto(struct mc_cli *cli, const char *service, const char *endpoint,
                      const void *req, size_t len, const struct mc_call_opts *opts,
                      uint8_t **resp, size_t *resp_len, struct mc_cli_failure *f)
{
    uint64_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : MC_CLI_DEFAULT_TIMEOUT_MS;
    struct unary u = { .count = 0 };
    struct call_body body = { .data = len ? req : "", .len = len, .proto = true };
    char *out;

    *resp = NULL;
    *resp_len = 0;
    mc_buf_init(&u.buf, MC_TRANSPORT_MAX_MSG);
    if (run_call(cli, service, endpoint, body, opts, timeout, keep_first, &u, f) < 0) {
        mc_buf_release(&u.buf);
        return -1;
    }
    *resp_len = u.buf.len;
    if (unary_result(&u, &out, f) < 0)
        return -1;
    *resp = (uint8_t *)out;
    return 0;
}

int mc_cli_list_services(struct mc_cli *cli, const char *domain, Registry__ListResponse **out,
                         struct mc_cli_failure *f)
{
    Registry__Options opts = REGISTRY__OPTIONS__INIT;
    Registry__ListRequest lr = REGISTRY__LIST_REQUEST__INIT;
    uint8_t req[MC_CLI_NAME_REQ_MAX], *rsp = NULL;
    size_t len;

    *out = NULL;
    if (domain) {
        opts.domain = (char *)domain;
        lr.options = &opts;
    }
    if (registry__list_request__get_packed_size(&lr) > sizeof(req)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "namespace name too long");
        return -1;
    }
    len = registry__list_request__pack(&lr, req);
    if (mc_cli_call_proto(cli, "registry", "Registry.ListServices", req, len, NULL, &rsp, &len,
                          f) < 0)
        return -1;
    *out = registry__list_response__unpack(NULL, len, rsp);
    free(rsp);
    if (!*out) {
        mc_transport_fail(f, MC_CLI_LOCAL, "malformed response from the registry");
        return -1;
    }
    return 0;
}

int mc_cli_service_names(struct mc_cli *cli, const char *domain, char ***names, size_t *n,
                         struct mc_cli_failure *f)
{
    Registry__ListResponse *rsp;

    *names = NULL;
    *n = 0;
    if (mc_cli_list_services(cli, domain ? domain : "", &rsp, f) < 0)
        return -1;
    *names = mc_calloc(rsp->n_services + 1, sizeof(**names));
    for (size_t i = 0; i < rsp->n_services; i++) {
        if (rsp->services[i]->name && rsp->services[i]->name[0])
            (*names)[(*n)++] = mc_strdup(rsp->services[i]->name);
    }
    registry__list_response__free_unpacked(rsp, NULL);
    return 0;
}

void mc_cli_names_free(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}

int mc_cli_client_stream(struct mc_cli *cli, const char *service, const char *endpoint,
                         mc_cli_next_fn *next, void *next_ud, const struct mc_call_opts *opts,
                         char **resp_json, struct mc_cli_failure *f)
{
    uint64_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : MC_CLI_DEFAULT_TIMEOUT_MS;
    struct unary u = { .count = 0 };
    struct mc_buf frames;
    const char *msg;
    size_t len;
    int rc;

    *resp_json = NULL;
    /* every message framed into one body: the stream goes out at once and is
     * then half-closed, which is all a client stream needs to be */
    mc_buf_init(&frames, MC_TRANSPORT_MAX_UPLOAD);
    while ((msg = next(next_ud, &len)) != NULL) {
        if (len > MC_TRANSPORT_MAX_MSG || mc_grpc_frame_encode(&frames, msg, len) < 0) {
            mc_buf_release(&frames);
            mc_transport_fail(f, MC_CLI_LOCAL, "trying to send a stream larger than max "
                              "(%u)", MC_TRANSPORT_MAX_UPLOAD);
            return -1;
        }
    }
    mc_buf_init(&u.buf, MC_TRANSPORT_MAX_MSG);
    rc = run_call(cli, service, endpoint,
                  (struct call_body){ .data = frames.data ? frames.data : "", .len = frames.len,
                                      .framed = true },
                  opts, timeout, keep_first, &u, f);
    mc_buf_release(&frames);
    if (rc < 0) {
        mc_buf_release(&u.buf);
        return -1;
    }
    return unary_result(&u, resp_json, f);
}

int mc_cli_stream(struct mc_cli *cli, const char *service, const char *endpoint,
                  const char *req_json, const struct mc_call_opts *opts, mc_cli_msg_fn *on_msg,
                  void *ud, struct mc_cli_failure *f)
{
    /* A stream runs as long as the server keeps it open: no default deadline. */
    uint64_t timeout = opts ? opts->timeout_ms : 0;

    return run_call(cli, service, endpoint, json_body(req_json), opts, timeout, on_msg, ud, f);
}

/* --- mc_cli_fail: upstream's CliError ------------------------------------ */

/* Go's regexp \w */
static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* Length of the run of [\w.] at s. */
static size_t name_run(const char *s)
{
    size_t n = 0;

    while (word_char(s[n]) || s[n] == '.')
        n++;
    return n;
}

/* `malformed method name: \\?"(\w+)\\?"` -> the name, or 0. */
static size_t match_malformed(const char *text, const char **name)
{
    static const char pre[] = "malformed method name: ";

    for (const char *p = strstr(text, pre); p; p = strstr(p + 1, pre)) {
        const char *s = p + sizeof(pre) - 1;
        size_t n = 0;
        if (*s == '\\')
            s++;
        if (*s++ != '"')
            continue;
        while (word_char(s[n]))
            n++;
        if (n == 0)
            continue;
        if (s[n] == '"' || (s[n] == '\\' && s[n + 1] == '"')) {
            *name = s;
            return n;
        }
    }
    return 0;
}

/* `service ([\w\.]+): route not found` -> the service, or 0. */
static size_t match_route(const char *text, const char **name)
{
    static const char pre[] = "service ", post[] = ": route not found";

    for (const char *p = strstr(text, pre); p; p = strstr(p + 1, pre)) {
        const char *s = p + sizeof(pre) - 1;
        size_t n = name_run(s);
        if (n > 0 && strncmp(s + n, post, sizeof(post) - 1) == 0) {
            *name = s;
            return n;
        }
    }
    return 0;
}

/* `unknown service ([\w\.]+)` -> the name, or 0. */
static size_t match_unknown(const char *text, const char **name)
{
    static const char pre[] = "unknown service ";

    for (const char *p = strstr(text, pre); p; p = strstr(p + 1, pre)) {
        const char *s = p + sizeof(pre) - 1;
        size_t n = name_run(s);
        if (n > 0) {
            *name = s;
            return n;
        }
    }
    return 0;
}

/* The texts upstream recognises in any error; the exit code, or 0. */
static int known_text(FILE *err, const char *text)
{
    const char *name;
    size_t n;

    if ((n = match_malformed(text, &name)) > 0) {
        fprintf(err, "Method name \"%.*s\" invalid format. Expecting service.endpoint\n",
                (int)n, name);
        return 3;
    }
    if ((n = match_route(text, &name)) > 0) {
        fprintf(err, "Service \"%.*s\" not found\n", (int)n, name);
        return 4;
    }
    if ((n = match_unknown(text, &name)) > 0) {
        fprintf(err, "Service %s\"%.*s\" not found\n", memchr(name, '.', n) ? "method " : "",
                (int)n, name);
        return 5;
    }
    return 0;
}

static int print_capitalized(FILE *err, const char *text, int code)
{
    mc_out_capitalized(err, text);
    fputc('\n', err);
    return code;
}

int mc_cli_fail(struct mc_cli *cli, const struct mc_cli_failure *f)
{
    const char *detail = f->error.detail ? f->error.detail : "";
    int code;

    switch (f->kind) {
    case MC_CLI_OK:
        return 0;
    case MC_CLI_DIAL:
        fprintf(cli->err, "Failed to connect to micro server at %s\n", cli->address);
        return 4;
    case MC_CLI_MICRO_ERROR:
        if ((code = known_text(cli->err, detail)) != 0)
            return code;
        if (f->error.code == 408) {
            fputs("Request timed out\n", cli->err);
            return 1;
        }
        if (f->error.code == 401) {
            fputs("Not authorized to perform this request\n", cli->err);
            return 2;
        }
        return print_capitalized(cli->err, detail, 127);
    case MC_CLI_LOCAL:
    default:
        if ((code = known_text(cli->err, detail)) != 0)
            return code;
        return print_capitalized(cli->err, detail, 128);
    }
}
