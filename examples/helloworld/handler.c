/*
 * Helloworld's handlers. Call answers {msg: "Hello <name>"}; Stream sends
 * count messages back on a server stream. Each call logs a line, so
 * `micro logs helloworld` shows the traffic.
 */
#include "handler.h"

#include "helloworld.pb-c.h"

/* The most messages one Stream call sends. */
#define STREAM_MAX 1000

static int call(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                void *user)
{
    const Helloworld__CallRequest *in = (const Helloworld__CallRequest *)req;
    Helloworld__CallResponse *out = (Helloworld__CallResponse *)rsp;

    (void)user;
    micro_log_info("Received Helloworld.Call request: name=%s", in->name);
    out->msg = micro_ctx_printf(ctx, "Hello %s", in->name);
    return 0;
}

/* The request arrives as the stream's first message: answer it and finish. */
static void stream_message(struct micro_stream *st, const ProtobufCMessage *msg, void *user)
{
    const Helloworld__StreamRequest *in = (const Helloworld__StreamRequest *)msg;
    struct micro_ctx *ctx = micro_stream_ctx(st);
    Helloworld__StreamResponse out = HELLOWORLD__STREAM_RESPONSE__INIT;

    (void)user;
    micro_log_info("Received Helloworld.Stream request: name=%s count=%lld", in->name,
                   (long long)in->count);
    if (in->count < 0 || in->count > STREAM_MAX) {
        micro_error_bad_request(ctx, NULL, "count must be between 0 and %d", STREAM_MAX);
        micro_stream_finish(st);
        return;
    }
    out.msg = micro_ctx_printf(ctx, "Hello %s", in->name);
    for (int64_t i = 1; i <= in->count; i++) {
        out.count = i;
        if (micro_stream_send(st, &out.base) < 0)
            break;
    }
    micro_stream_finish(st);
}

int helloworld_register(struct micro_service *svc)
{
    static const struct micro_stream_handler stream = { .on_message = stream_message };
    int rc = micro_service_handle(svc, &helloworld__helloworld__descriptor, "Call", call, NULL);

    if (rc == 0)
        rc = micro_service_handle_stream(svc, &helloworld__helloworld__descriptor, "Stream",
                                         MICRO_STREAM_SERVER, &stream, NULL);
    return rc;
}
