/* Unit tests for the client transport: the sans-IO response parser
 * (client/transport_reply: framing, header and trailer parsing, grpc-message
 * percent-decoding, grpc-status-details-bin, error mapping, cancellation)
 * fed with bytes, and mc_transport_call's local checks and dial failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_error.h"
#include "mc_grpc.h"
#include "mc_grpc_frame.h"
#include "transport.h"
#include "transport_reply.h"

/* mc_cli_failure_init/release live with the session's calls (cli_call.c),
 * which this test does not link: the same two steps here. */
static void failure_init(struct mc_cli_failure *f)
{
    f->kind = MC_CLI_OK;
    mc_error_init(&f->error);
}

static void failure_release(struct mc_cli_failure *f)
{
    mc_error_release(&f->error);
    f->kind = MC_CLI_OK;
}

/* What on_msg saw: messages joined by '|'. */
struct seen {
    struct mc_buf msgs;
    int count;
    int stop_after; /* cancel after this many messages; 0 = never */
};

static int collect(void *ud, const char *json, size_t len)
{
    struct seen *s = ud;

    if (s->count++ > 0)
        mc_buf_append_byte(&s->msgs, '|');
    mc_buf_append(&s->msgs, json, len);
    return s->stop_after && s->count >= s->stop_after;
}

struct fixture {
    struct mc_transport_reply r;
    struct seen seen;
    struct mc_cli_failure f;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    mc_buf_init(&fx->seen.msgs, 1 << 20);
    mc_transport_reply_init(&fx->r, collect, &fx->seen);
    failure_init(&fx->f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    mc_transport_reply_release(&fx->r);
    mc_buf_release(&fx->seen.msgs);
    failure_release(&fx->f);
    free(fx);
    return 0;
}

static int header(struct fixture *fx, const char *line)
{
    return mc_transport_reply_header(&fx->r, line, strlen(line));
}

/* The head of a normal gRPC response, as libcurl passes it. */
static void grpc_head(struct fixture *fx)
{
    assert_int_equal(header(fx, "HTTP/2 200 \r\n"), 0);
    assert_int_equal(header(fx, "content-type: application/grpc+json\r\n"), 0);
    assert_int_equal(header(fx, "\r\n"), 0);
}

/* Frames each message into out. */
static void frames(struct mc_buf *out, const char *const *msgs, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(mc_grpc_frame_encode(out, msgs[i], strlen(msgs[i])), 0);
}

/* Feeds data in chunks of step bytes; returns the last non-zero result. */
static int feed(struct fixture *fx, const char *data, size_t len, size_t step)
{
    for (size_t off = 0; off < len; off += step) {
        int rc = mc_transport_reply_data(&fx->r, data + off, MC_MIN(step, len - off));
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void test_ok_unary_byte_by_byte(void **state)
{
    struct fixture *fx = *state;
    const char *msgs[] = { "{\"a\":1}" };
    struct mc_buf body;

    mc_buf_init(&body, 1024);
    frames(&body, msgs, 1);
    grpc_head(fx);
    assert_int_equal(feed(fx, body.data, body.len, 1), 0);
    assert_int_equal(header(fx, "grpc-status: 0\r\n"), 0);
    assert_int_equal(header(fx, "grpc-message: \r\n"), 0);
    assert_int_equal(header(fx, "\r\n"), 0);
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), 0);
    assert_int_equal(fx->seen.count, 1);
    assert_string_equal(mc_buf_cstr(&fx->seen.msgs), "{\"a\":1}");
    mc_buf_release(&body);
}

static void test_stream_chunks(void **state)
{
    struct fixture *fx = *state;
    const char *msgs[] = { "{\"n\":1}", "{}", "{\"n\":\"three\"}", "" };
    struct mc_buf body;

    mc_buf_init(&body, 1024);
    frames(&body, msgs, 4);
    grpc_head(fx);
    assert_int_equal(feed(fx, body.data, body.len, 7), 0);
    assert_int_equal(header(fx, "Grpc-Status:  0 \r\n"), 0); /* any case, spaces trimmed */
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), 0);
    assert_int_equal(fx->seen.count, 4);
    assert_string_equal(mc_buf_cstr(&fx->seen.msgs), "{\"n\":1}|{}|{\"n\":\"three\"}|");
    mc_buf_release(&body);
}

/* The server's error as our server (and upstream's) sends it: JSON in
 * grpc-message (percent-encoded) and errors.Error in the details. */
static void send_error_status(struct fixture *fx, const struct mc_error *e, bool details)
{
    struct mc_buf msg, det, enc, line;
    int code;

    mc_buf_init(&msg, 1 << 20);
    mc_buf_init(&det, 1 << 20);
    mc_buf_init(&enc, 1 << 20);
    mc_buf_init(&line, 1 << 20);
    assert_int_equal(mc_error_to_grpc_status(e, &code, &msg, &det), 0);
    mc_buf_appendf(&line, "grpc-status: %d\r\n", code);
    assert_int_equal(header(fx, mc_buf_cstr(&line)), 0);
    assert_int_equal(mc_grpc_percent_encode(&enc, msg.data, msg.len), 0);
    mc_buf_reset(&line);
    mc_buf_appendf(&line, "grpc-message: %s\r\n", mc_buf_cstr(&enc));
    assert_int_equal(header(fx, mc_buf_cstr(&line)), 0);
    if (details) {
        mc_buf_reset(&enc);
        assert_int_equal(mc_grpc_base64_encode(&enc, det.data, det.len), 0);
        mc_buf_reset(&line);
        mc_buf_appendf(&line, "grpc-status-details-bin: %s\r\n", mc_buf_cstr(&enc));
        assert_int_equal(header(fx, mc_buf_cstr(&line)), 0);
    }
    mc_buf_release(&msg);
    mc_buf_release(&det);
    mc_buf_release(&enc);
    mc_buf_release(&line);
}

static void expect_micro_error(struct fixture *fx, const char *id, int code, const char *detail)
{
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), -1);
    assert_int_equal(fx->f.kind, MC_CLI_MICRO_ERROR);
    assert_string_equal(fx->f.error.id ? fx->f.error.id : "", id);
    assert_int_equal(fx->f.error.code, code);
    assert_string_equal(fx->f.error.detail ? fx->f.error.detail : "", detail);
}

static void test_error_with_details(void **state)
{
    struct fixture *fx = *state;
    struct mc_error e;

    mc_error_init(&e);
    mc_error_not_found(&e, "store.Store.Read", "not found: caf\xc3\xa9 100%%");
    grpc_head(fx);
    send_error_status(fx, &e, true);
    expect_micro_error(fx, "store.Store.Read", 404, "not found: caf\xc3\xa9 100%");
    assert_string_equal(fx->f.error.status, "Not Found");
    mc_error_release(&e);
}

/* Without details the percent-decoded message is parsed as the error JSON. */
static void test_error_message_json(void **state)
{
    struct fixture *fx = *state;
    struct mc_error e;

    mc_error_init(&e);
    mc_error_unauthorized(&e, "registry.Registry.ListServices", "an account is required");
    /* trailers-only: the status comes in the one header block */
    assert_int_equal(header(fx, "HTTP/2 200\r\n"), 0);
    assert_int_equal(header(fx, "content-type: application/grpc\r\n"), 0);
    send_error_status(fx, &e, false);
    expect_micro_error(fx, "registry.Registry.ListServices", 401, "an account is required");
    mc_error_release(&e);
}

/* A plain message (grpc's own, e.g. unknown service) -> 500 go.micro.client. */
static void test_error_plain_message(void **state)
{
    struct fixture *fx = *state;

    grpc_head(fx);
    assert_int_equal(header(fx, "grpc-status: 12\r\n"), 0);
    assert_int_equal(header(fx, "grpc-message: unknown service store.Nope%2Fx\r\n"), 0);
    expect_micro_error(fx, "go.micro.client", 500, "unknown service store.Nope/x");
}

/* Details that are not base64 are ignored; the message still counts. */
static void test_error_bad_details(void **state)
{
    struct fixture *fx = *state;

    grpc_head(fx);
    assert_int_equal(header(fx, "grpc-status: 5\r\n"), 0);
    assert_int_equal(header(fx, "grpc-message: {\"id\":\"x\",\"code\":404,\"detail\":\"gone\","
                                "\"status\":\"Not Found\"}\r\n"), 0);
    assert_int_equal(header(fx, "grpc-status-details-bin: !!!not base64!!!\r\n"), 0);
    expect_micro_error(fx, "x", 404, "gone");
}

static void expect_local(struct fixture *fx, const char *detail)
{
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), -1);
    assert_int_equal(fx->f.kind, MC_CLI_LOCAL);
    assert_string_equal(fx->f.error.detail, detail);
}

static void test_http_error_status(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(header(fx, "HTTP/2 404\r\n"), 0);
    assert_int_equal(header(fx, "content-type: text/html\r\n"), 0);
    assert_int_equal(feed(fx, "<html>\x00\x00\x00\x00\x09", 11, 3), 0); /* not decoded */
    expect_local(fx, "unexpected HTTP status code received from server: 404");
    assert_int_equal(fx->seen.count, 0);
}

static void test_not_grpc_content_type(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(header(fx, "HTTP/1.1 200 OK\r\n"), 0);
    assert_int_equal(header(fx, "Content-Type: text/plain; charset=utf-8\r\n"), 0);
    assert_int_equal(feed(fx, "hello", 5, 5), 0);
    expect_local(fx, "unexpected content-type \"text/plain; charset=utf-8\" received from server");
}

/* "application/grpcfoo" is not gRPC; "application/grpc;x" is. */
static void test_content_type_rules(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(header(fx, "HTTP/2 200\r\n"), 0);
    assert_int_equal(header(fx, "content-type: application/grpcfoo\r\n"), 0);
    assert_int_equal(header(fx, "grpc-status: 0\r\n"), 0);
    expect_local(fx, "unexpected content-type \"application/grpcfoo\" received from server");
    failure_release(&fx->f);
    mc_transport_reply_release(&fx->r);
    mc_transport_reply_init(&fx->r, collect, &fx->seen);
    assert_int_equal(header(fx, "HTTP/2 200\r\n"), 0);
    assert_int_equal(header(fx, "content-type: Application/GRPC;charset=x\r\n"), 0);
    assert_int_equal(header(fx, "grpc-status: 0\r\n"), 0);
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), 0);
}

static void test_missing_trailers(void **state)
{
    struct fixture *fx = *state;
    const char *msgs[] = { "{}" };
    struct mc_buf body;

    mc_buf_init(&body, 1024);
    frames(&body, msgs, 1);
    grpc_head(fx);
    assert_int_equal(feed(fx, body.data, body.len, 100), 0);
    expect_local(fx, "server closed the stream without sending trailers");
    mc_buf_release(&body);
}

static void test_no_response(void **state)
{
    struct fixture *fx = *state;

    expect_local(fx, "the server closed the stream without a response");
}

static void test_message_too_big(void **state)
{
    struct fixture *fx = *state;
    uint8_t hdr[MC_GRPC_FRAME_HDR_LEN];

    grpc_head(fx);
    mc_grpc_frame_header(hdr, false, MC_TRANSPORT_MAX_MSG + 1);
    assert_true(feed(fx, (const char *)hdr, sizeof(hdr), 2) < 0);
    /* the error sticks, even if the server ends the call well */
    assert_true(header(fx, "grpc-status: 0\r\n") < 0);
    expect_local(fx, "received message larger than max (33554433 vs. 33554432)");
}

static void test_compressed_refused(void **state)
{
    struct fixture *fx = *state;
    uint8_t hdr[MC_GRPC_FRAME_HDR_LEN];

    grpc_head(fx);
    mc_grpc_frame_header(hdr, true, 2);
    assert_true(feed(fx, (const char *)hdr, sizeof(hdr), 5) < 0);
    expect_local(fx, "received a compressed message, which was not negotiated");
}

static void test_truncated_message(void **state)
{
    struct fixture *fx = *state;
    const char *msgs[] = { "{\"abc\":1}" };
    struct mc_buf body;

    mc_buf_init(&body, 1024);
    frames(&body, msgs, 1);
    grpc_head(fx);
    assert_int_equal(feed(fx, body.data, body.len - 3, 4), 0);
    assert_int_equal(header(fx, "grpc-status: 0\r\n"), 0);
    expect_local(fx, "the stream ended in the middle of a message");
    assert_int_equal(fx->seen.count, 0);
    mc_buf_release(&body);
}

static void test_cancel_from_on_msg(void **state)
{
    struct fixture *fx = *state;
    const char *msgs[] = { "{\"e\":1}", "{\"e\":2}", "{\"e\":3}" };
    struct mc_buf body;

    fx->seen.stop_after = 2;
    mc_buf_init(&body, 1024);
    frames(&body, msgs, 3);
    grpc_head(fx);
    assert_int_equal(feed(fx, body.data, body.len, body.len), 1);
    assert_int_equal(mc_transport_reply_data(&fx->r, "x", 1), 1); /* stays stopped */
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), 0);
    assert_int_equal(fx->seen.count, 2);
    assert_string_equal(mc_buf_cstr(&fx->seen.msgs), "{\"e\":1}|{\"e\":2}");
    mc_buf_release(&body);
}

static void test_bad_grpc_status(void **state)
{
    struct fixture *fx = *state;

    grpc_head(fx);
    assert_true(header(fx, "grpc-status: abc\r\n") < 0);
    expect_local(fx, "malformed grpc-status: abc");
}

static void test_header_limit(void **state)
{
    struct fixture *fx = *state;
    size_t n = MC_TRANSPORT_MAX_HEADER_BYTES / 2 + 16;
    char *line = malloc(n + 1);
    int rc;

    memset(line, 'a', n);
    memcpy(line, "x-big: ", 7);
    line[n] = '\0';
    grpc_head(fx);
    assert_int_equal(header(fx, line), 0);
    rc = header(fx, line);
    assert_int_equal(rc, MC_ETOOBIG);
    expect_local(fx, "response headers exceed 1048576 bytes");
    free(line);
}

/* An interim 1xx head is replaced by the final one. */
static void test_interim_head(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(header(fx, "HTTP/1.1 100 Continue\r\n"), 0);
    assert_int_equal(header(fx, "\r\n"), 0);
    grpc_head(fx);
    assert_int_equal(header(fx, "grpc-status: 0\r\n"), 0);
    assert_int_equal(mc_transport_reply_finish(&fx->r, &fx->f), 0);
}

static int ignore_msg(void *ud, const char *json, size_t len)
{
    return 0;
}

/* A port nothing listens on: bound, then closed. */
static int closed_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_dial_refused(void **state)
{
    char addr[64];
    struct mc_transport *t;
    struct mc_cli_failure f;
    struct mc_transport_request req = { .path = "/registry.Registry/ListServices",
                                        .on_msg = ignore_msg };

    snprintf(addr, sizeof(addr), "127.0.0.1:%d", closed_port());
    t = mc_transport_new(addr, false);
    assert_non_null(t);
    failure_init(&f);
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_DIAL);
    assert_non_null(f.error.detail);
    /* the transport stays usable: the same failure again */
    failure_release(&f);
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_DIAL);
    failure_release(&f);
    mc_transport_free(t);
}

/* A client stream's frames (framed): larger than one message may be, bounded by
 * MC_TRANSPORT_MAX_UPLOAD; within it the call goes on to dial. */
static void test_framed_limits(void **state)
{
    struct mc_transport *t = mc_transport_new("127.0.0.1:1", false);
    struct mc_cli_failure f;
    struct mc_transport_request req = { .path = "/runtime.Source/Upload", .on_msg = ignore_msg,
                                        .framed = true };

    (void)state;
    failure_init(&f);
    req.body = NULL;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_LOCAL);
    req.body = "x";
    req.body_len = (size_t)MC_TRANSPORT_MAX_UPLOAD + 1;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_LOCAL);
    assert_non_null(strstr(f.error.detail, "trying to send a stream larger than max"));
    /* past one message's limit but a valid stream: only the dial fails */
    char *big = calloc(1, (size_t)MC_TRANSPORT_MAX_MSG + 1);
    assert_non_null(big);
    req.body = big;
    req.body_len = (size_t)MC_TRANSPORT_MAX_MSG + 1;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_DIAL);
    free(big);
    failure_release(&f);
    mc_transport_free(t);
}

static void test_local_checks(void **state)
{
    struct mc_transport *t = mc_transport_new("127.0.0.1:1", false);
    struct mc_cli_failure f;
    const char *bad_hdr[] = { "x-a: 1\r\nx-b: 2" };
    const char *no_colon[] = { "x-a 1" };
    struct mc_transport_request req = { .path = "/a b/c", .on_msg = ignore_msg };

    failure_init(&f);
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_int_equal(f.kind, MC_CLI_LOCAL);
    assert_string_equal(f.error.detail, "invalid method path \"/a b/c\"");
    req.path = "/x.Y/Z";
    req.headers = bad_hdr;
    req.header_count = 1;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_string_equal(f.error.detail, "invalid request header");
    req.headers = no_colon;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_string_equal(f.error.detail, "invalid request header");
    req.headers = NULL;
    req.header_count = 0;
    req.body = "x";
    req.body_len = (size_t)MC_TRANSPORT_MAX_MSG + 1;
    assert_int_equal(mc_transport_call(t, &req, &f), -1);
    assert_string_equal(f.error.detail,
                        "trying to send message larger than max (33554433 vs. 33554432)");
    failure_release(&f);
    mc_transport_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_ok_unary_byte_by_byte),
        T(test_stream_chunks),
        T(test_error_with_details),
        T(test_error_message_json),
        T(test_error_plain_message),
        T(test_error_bad_details),
        T(test_http_error_status),
        T(test_not_grpc_content_type),
        T(test_content_type_rules),
        T(test_missing_trailers),
        T(test_no_response),
        T(test_message_too_big),
        T(test_compressed_refused),
        T(test_truncated_message),
        T(test_cancel_from_on_msg),
        T(test_bad_grpc_status),
        T(test_header_limit),
        T(test_interim_head),
#undef T
        cmocka_unit_test(test_dial_refused),
        cmocka_unit_test(test_local_checks),
        cmocka_unit_test(test_framed_limits),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
