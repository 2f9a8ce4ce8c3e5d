/*
 * Parsing one gRPC response for the client transport, without I/O: header
 * lines and trailers in, DATA bytes in, messages and a final status out (see
 * transport_reply.h). The texts of local errors follow grpc-go's where one
 * exists, so a user who searches for them finds the same explanations.
 */
#include "transport_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_error.h"
#include "mc_grpc.h"
#include "mc_banned.h"

/* grpc-message and grpc-status-details-bin are each at most this long as
 * received (an error JSON of MC_ERROR_WIRE_MAX, percent-encoded, fits). */
#define REPLY_FIELD_MAX (3u * MC_ERROR_WIRE_MAX)

void mc_transport_reply_init(struct mc_transport_reply *r, mc_transport_msg_fn *on_msg,
                             void *ud)
{
    memset(r, 0, sizeof(*r));
    mc_grpc_frame_decoder_init(&r->dec, MC_TRANSPORT_MAX_MSG, false);
    r->on_msg = on_msg;
    r->ud = ud;
    mc_buf_init(&r->message, REPLY_FIELD_MAX);
    mc_buf_init(&r->details, REPLY_FIELD_MAX);
}

void mc_transport_reply_release(struct mc_transport_reply *r)
{
    mc_grpc_frame_decoder_release(&r->dec);
    mc_buf_release(&r->message);
    mc_buf_release(&r->details);
}

/* Records the first local error; later ones are consequences of it. */
static int reply_error(struct mc_transport_reply *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reply_error(struct mc_transport_reply *r, int code, const char *fmt, ...)
{
    va_list ap;

    if (r->err)
        return r->err;
    r->err = code;
    va_start(ap, fmt);
    vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

void mc_transport_fail(struct mc_cli_failure *f, enum mc_cli_failure_kind kind,
                       const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    mc_error_release(&f->error);
    f->kind = kind;
    f->error.detail = mc_strdup(text);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "HTTP/2 200" (libcurl's rendering of :status) -> 200; 0 if malformed. */
static int status_line_code(const char *line, size_t len)
{
    size_t i = 5;
    int code = 0, digits = 0;

    while (i < len && line[i] != ' ')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    for (; i < len && line[i] >= '0' && line[i] <= '9' && digits < 3; i++, digits++)
        code = code * 10 + (line[i] - '0');
    return digits == 3 ? code : 0;
}

/* application/grpc, application/grpc+json, application/grpc;charset=... */
static bool grpc_content_type(const char *v, size_t len)
{
    static const char prefix[] = "application/grpc";
    const size_t plen = sizeof(prefix) - 1;

    if (len < plen || !mc_slice_ieq_cstr((struct mc_slice){ v, plen }, prefix))
        return false;
    return len == plen || v[plen] == '+' || v[plen] == ';';
}

static int set_grpc_status(struct mc_transport_reply *r, const char *v, size_t len)
{
    int code = 0;

    if (len == 0 || len > 3)
        return reply_error(r, MC_EPROTO, "malformed grpc-status: %.*s", (int)MC_MIN(len, 32), v);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return reply_error(r, MC_EPROTO, "malformed grpc-status: %.*s", (int)len, v);
        code = code * 10 + (v[i] - '0');
    }
    r->have_status = true;
    r->grpc_status = code;
    return 0;
}

static int set_field(struct mc_transport_reply *r, struct mc_buf *b, const char *name,
                     const char *v, size_t len)
{
    mc_buf_reset(b);
    if (mc_buf_append(b, v, len) < 0)
        return reply_error(r, MC_ETOOBIG, "%s too long", name);
    return 0;
}

static int on_field(struct mc_transport_reply *r, struct mc_slice name, const char *v,
                    size_t len)
{
    if (mc_slice_ieq_cstr(name, "content-type")) {
        size_t n = MC_MIN(len, sizeof(r->content_type) - 1);
        memcpy(r->content_type, v, n);
        r->content_type[n] = '\0';
        r->saw_content_type = true;
        r->grpc_content_type = grpc_content_type(v, len);
    } else if (mc_slice_ieq_cstr(name, "grpc-status")) {
        return set_grpc_status(r, v, len);
    } else if (mc_slice_ieq_cstr(name, "grpc-message")) {
        return set_field(r, &r->message, "grpc-message", v, len);
    } else if (mc_slice_ieq_cstr(name, "grpc-status-details-bin")) {
        return set_field(r, &r->details, "grpc-status-details-bin", v, len);
    }
    return 0;
}

int mc_transport_reply_header(struct mc_transport_reply *r, const char *line, size_t len)
{
    const char *colon;
    size_t vstart, vend;

    if (r->err)
        return r->err;
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    r->header_bytes += len;
    if (r->header_bytes > MC_TRANSPORT_MAX_HEADER_BYTES)
        return reply_error(r, MC_ETOOBIG, "response headers exceed %u bytes",
                           MC_TRANSPORT_MAX_HEADER_BYTES);
    if (len == 0)
        return 0; /* end of a header block */
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response head (an interim 1xx is replaced by the final one). */
        r->http_status = status_line_code(line, len);
        r->saw_content_type = r->grpc_content_type = false;
        return 0;
    }
    colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return 0; /* not a header line: nothing gRPC needs */
    vstart = (size_t)(colon - line) + 1;
    vend = len;
    while (vstart < vend && is_space(line[vstart]))
        vstart++;
    while (vend > vstart && is_space(line[vend - 1]))
        vend--;
    return on_field(r, (struct mc_slice){ line, (size_t)(colon - line) }, line + vstart,
                    vend - vstart);
}

/* Whether DATA is gRPC framing at all: a 200 with a gRPC content-type. */
static bool grpc_body(const struct mc_transport_reply *r)
{
    return r->http_status == 200 && r->grpc_content_type;
}

static int frame_error(struct mc_transport_reply *r, int rc)
{
    if (rc == MC_ETOOBIG)
        return reply_error(r, rc, "received message larger than max (%u vs. %u)",
                           (unsigned)r->dec.bad_len, MC_TRANSPORT_MAX_MSG);
    return reply_error(r, rc, "received a compressed message, which was not negotiated");
}

int mc_transport_reply_data(struct mc_transport_reply *r, const char *data, size_t len)
{
    if (r->err)
        return r->err;
    if (r->cancelled)
        return 1;
    if (!grpc_body(r))
        return 0;
    while (len > 0) {
        struct mc_slice msg;
        size_t used = 0;
        int rc = mc_grpc_frame_feed(&r->dec, data, len, &used, &msg, NULL);

        if (rc < 0)
            return frame_error(r, rc);
        data += used;
        len -= used;
        if (rc == 1) {
            r->messages++;
            if (r->on_msg(r->ud, msg.ptr, msg.len) != 0) {
                r->cancelled = true;
                return 1;
            }
        }
    }
    return 0;
}

/* Fills f and returns -1 when a finished response is not usable gRPC. A
 * non-OK grpc-status is believed whatever the HTTP status or content-type
 * (a proxy's trailers-only error); anything else needs a 200 gRPC response. */
static int check_shape(struct mc_transport_reply *r, struct mc_cli_failure *f)
{
    bool status_error = r->have_status && r->grpc_status != MC_GRPC_OK;

    if (r->http_status == 0) {
        mc_transport_fail(f, MC_CLI_LOCAL, "the server closed the stream without a response");
        return -1;
    }
    if (r->http_status != 200 && !status_error) {
        mc_transport_fail(f, MC_CLI_LOCAL,
                          "unexpected HTTP status code received from server: %d",
                          r->http_status);
        return -1;
    }
    if (!r->grpc_content_type && !status_error) {
        mc_transport_fail(f, MC_CLI_LOCAL, "unexpected content-type \"%s\" received from server",
                          r->saw_content_type ? r->content_type : "");
        return -1;
    }
    if (!r->have_status) {
        mc_transport_fail(f, MC_CLI_LOCAL, "server closed the stream without sending trailers");
        return -1;
    }
    return 0;
}

/* The micro error of a non-OK status, as upstream's client builds it. */
static int status_error(struct mc_transport_reply *r, struct mc_cli_failure *f)
{
    struct mc_buf msg, det;
    int rc;

    mc_buf_init(&msg, REPLY_FIELD_MAX);
    mc_buf_init(&det, REPLY_FIELD_MAX);
    mc_grpc_percent_decode(&msg, r->message.data ? r->message.data : "", r->message.len);
    /* Undecodable details are ignored: the message still says what happened. */
    if (r->details.len > 0 &&
        mc_grpc_base64_decode(&det, r->details.data, r->details.len) < 0)
        mc_buf_reset(&det);
    mc_error_release(&f->error);
    rc = mc_error_from_grpc_status(&f->error, r->grpc_status, mc_buf_slice(&msg),
                                   (const uint8_t *)det.data, det.len);
    mc_buf_release(&msg);
    mc_buf_release(&det);
    if (rc < 0) {
        mc_transport_fail(f, MC_CLI_LOCAL, "malformed grpc-status %d", r->grpc_status);
        return -1;
    }
    /* A deadline the server enforced (its status carries no micro error) is the
     * same event as our own timer firing: report it as upstream's client-side 408,
     * so the exit code does not depend on which of the two fired first. */
    if (r->grpc_status == MC_GRPC_DEADLINE_EXCEEDED && f->error.code == 500 &&
        strcmp(f->error.id ? f->error.id : "", MC_ERROR_ID_CLIENT) == 0) {
        char *detail = f->error.detail;
        f->error.detail = NULL;
        mc_error_timeout(&f->error, MC_ERROR_ID_CLIENT, "%s", detail ? detail : "");
        free(detail);
    }
    f->kind = MC_CLI_MICRO_ERROR;
    return -1;
}

int mc_transport_reply_finish(struct mc_transport_reply *r, struct mc_cli_failure *f)
{
    if (r->cancelled)
        return 0;
    if (r->err) {
        mc_transport_fail(f, MC_CLI_LOCAL, "%s", r->errmsg);
        return -1;
    }
    if (check_shape(r, f) < 0)
        return -1;
    if (r->grpc_status != MC_GRPC_OK)
        return status_error(r, f);
    if (!mc_grpc_frame_decoder_idle(&r->dec)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "the stream ended in the middle of a message");
        return -1;
    }
    return 0;
}
