/* The dashboard's stream bridge: see web_stream.h. */
#include "web_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"
#include "mc_error.h"
#include "mc_grpc_client.h"
#include "mc_http_server.h"
#include "mc_banned.h"

#define MAX_LINE (4u * 1024u * 1024u)
#define MAX_PATH 600

struct mc_web_streams {
    struct mc_grpc_client *grpc;
};

/* One browser request relayed to one gRPC call. Freed by on_done, which comes
 * exactly once for every started call. */
struct bridge {
    struct mc_http_exchange *ex;   /* NULL once the browser went away */
    struct mc_grpc_ccall *call;
};

/* Writes one NDJSON line: prefix, the JSON with raw newlines turned into spaces
 * (they can only be whitespace between tokens), then "}\n". */
static void write_line(struct bridge *b, const char *prefix, const char *json, size_t len)
{
    struct mc_buf line;

    if (!b->ex)
        return;
    mc_buf_init(&line, MAX_LINE);
    mc_buf_append_str(&line, prefix);
    for (size_t i = 0; i < len; i++)
        mc_buf_append_byte(&line, json[i] == '\n' || json[i] == '\r' ? ' ' : json[i]);
    mc_buf_append_str(&line, "}\n");
    /* A browser that does not keep up (more than the server's output cap queued)
     * loses the stream rather than making the server hold without limit. */
    if (mc_http_exchange_write(b->ex, line.data, line.len) == MC_ETOOBIG)
        mc_grpc_ccall_cancel(b->call);
    mc_buf_release(&line);
}

static void on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    write_line(arg, "{\"message\":", len ? msg : "{}", len ? len : 2);
}

static void write_error(struct bridge *b, const struct mc_error *err)
{
    struct mc_buf json;

    mc_buf_init(&json, 2 * MC_ERROR_TEXT_MAX);
    mc_error_to_json(err, &json);
    write_line(b, "{\"error\":", json.data, json.len);
    mc_buf_release(&json);
}

static void on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct bridge *b = arg;
    struct mc_error err;

    if (b->ex) {
        if (st->code == MC_GRPC_OK) {
            write_line(b, "{\"done\":", "true", 4);
        } else {
            mc_error_init(&err);
            mc_error_from_grpc_status(&err, st->code, mc_slice_cstr(st->message),
                                      (const uint8_t *)st->details, st->details_len);
            write_error(b, &err);
            mc_error_release(&err);
        }
        mc_http_exchange_on_abort(b->ex, NULL, NULL);
        mc_http_exchange_end(b->ex);
    }
    free(b);
}

/* The browser went away: the exchange is released now, the call cancelled, and
 * the bridge freed when the call's on_done comes. */
static void on_abort(struct mc_http_exchange *ex, void *arg)
{
    struct bridge *b = arg;

    b->ex = NULL;
    mc_http_exchange_end(ex);
    mc_grpc_ccall_cancel(b->call);
}

/* Sends the request: each element of a JSON array, else the body as it is. */
static void send_request(struct mc_grpc_ccall *call, struct mc_slice body)
{
    cJSON *root = NULL, *item;
    size_t i = 0;

    while (i < body.len && (body.ptr[i] == ' ' || body.ptr[i] == '\n' || body.ptr[i] == '\t' ||
                            body.ptr[i] == '\r'))
        i++;
    if (i < body.len && body.ptr[i] == '[')
        root = cJSON_ParseWithLength(body.ptr, body.len);
    if (cJSON_IsArray(root)) {
        cJSON_ArrayForEach(item, root) {
            char *text = cJSON_PrintUnformatted(item);
            mc_grpc_ccall_send(call, text, strlen(text));
            cJSON_free(text);
        }
    } else {
        mc_grpc_ccall_send(call, body.len ? body.ptr : "{}", body.len ? body.len : 2);
    }
    cJSON_Delete(root);
    mc_grpc_ccall_close_send(call);
}

static const struct mc_grpc_ccall_handler bridge_handler = {
    .on_message = on_message,
    .on_done = on_done,
};

void mc_web_stream_start(struct mc_web_streams *ws, struct mc_http_exchange *ex,
                         const char *service, const char *endpoint, const char *authorization,
                         const char *ns)
{
    const struct mc_http1_request *r = mc_http_exchange_request(ex);
    struct bridge *b = mc_calloc(1, sizeof(*b));
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { 0 };
    char path[MAX_PATH];
    const char *dot = strchr(endpoint, '.');
    struct mc_error err;

    snprintf(path, sizeof(path), "/%s.%.*s/%s", service, (int)(dot - endpoint), endpoint,
             dot + 1);
    mc_grpc_metadata_init(&md);
    if (authorization)
        mc_grpc_metadata_add_cstr(&md, "authorization", authorization);
    if (ns)
        mc_grpc_metadata_add_cstr(&md, "micro-namespace", ns);
    o.path = path;
    o.content_type = "application/grpc+json";
    o.metadata = &md;
    b->ex = ex;
    mc_http_exchange_add_header(ex, "Content-Type", "application/x-ndjson");
    mc_http_exchange_add_header(ex, "Cache-Control", "no-store");
    mc_http_exchange_start(ex, 200);
    if (mc_grpc_client_call(ws->grpc, &o, &bridge_handler, b, &b->call) < 0) {
        mc_error_init(&err);
        mc_error_bad_request(&err, "go.micro.web", "invalid stream request");
        write_error(b, &err);
        mc_error_release(&err);
        mc_http_exchange_end(ex);
        free(b);
    } else {
        mc_http_exchange_on_abort(ex, on_abort, b);
        send_request(b->call, r->body);
    }
    mc_grpc_metadata_release(&md);
}

struct mc_web_streams *mc_web_streams_new(struct mc_loop *loop, const char *proxy_addr)
{
    struct mc_web_streams *ws = mc_calloc(1, sizeof(*ws));

    ws->grpc = mc_grpc_client_new(loop, proxy_addr, NULL);
    return ws;
}

void mc_web_streams_free(struct mc_web_streams *ws)
{
    if (!ws)
        return;
    mc_grpc_client_free(ws->grpc);
    free(ws);
}
