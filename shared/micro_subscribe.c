/*
 * Subscriptions of a libmicro service: broker subscriptions (Broker.Subscribe,
 * a server stream) and event consumers (events Stream.Consume, where the
 * client sends AckRequests up the same stream). They are declared before run,
 * listed in the registration as upstream lists subscribers (endpoint "Func"
 * with metadata {topic, subscriber: "true"}), opened when the service starts
 * on the service's own loop through an asynchronous gRPC client to the proxy,
 * and opened again a second after any failure until the service stops.
 */
#include "micro_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.pb-c.h"
#include "events.pb-c.h"
#include "mc_log.h"
#include "mc_pbjson.h"
#include "mc_schema.h"
#include "mc_banned.h"

#define SUB_TOPIC_MAX 1024
#define SUB_HEADER_MAX 128

enum sub_kind { SUB_BROKER, SUB_EVENTS };

struct micro_sub {
    struct micro_sub *next;
    struct micro_service *svc;
    enum sub_kind kind;
    char *topic;
    char *queue;                 /* broker queue or events group; NULL = none */
    struct micro_consume_opts opts;
    void (*broker_fn)(const struct micro_message *m, void *user);
    enum micro_ack (*events_fn)(const struct micro_message *m, void *user);
    void *user;
    struct mc_grpc_ccall *call;
    struct mc_timer *retry;
};

static void sub_open(struct micro_sub *sub);

/* The endpoint that lists a subscription in the registration. */
static void add_sub_endpoint(struct micro_service *svc, const char *topic,
                             const ProtobufCMessageDescriptor *msg)
{
    Registry__Endpoint *ep = mc_calloc(1, sizeof(*ep));
    Registry__Endpoint__MetadataEntry **meta = mc_calloc(2, sizeof(*meta));
    const char *keys[2] = { "subscriber", "topic" };
    const char *values[2] = { "true", topic };

    registry__endpoint__init(ep);
    ep->name = mc_strdup("Func");
    if (mc_schema_value_new(msg, &ep->request) < 0)
        ep->request = NULL;
    for (size_t i = 0; i < 2; i++) {
        meta[i] = mc_calloc(1, sizeof(**meta));
        registry__endpoint__metadata_entry__init(meta[i]);
        meta[i]->key = mc_strdup(keys[i]);
        meta[i]->value = mc_strdup(values[i]);
    }
    ep->metadata = meta;
    ep->n_metadata = 2;
    micro__add_endpoint(svc, ep);
}

static struct micro_sub *sub_new(struct micro_service *svc, enum sub_kind kind,
                                 const char *topic, const char *queue)
{
    struct micro_sub *sub = mc_calloc(1, sizeof(*sub));

    sub->svc = svc;
    sub->kind = kind;
    sub->topic = mc_strdup(topic);
    sub->queue = queue && *queue ? mc_strdup(queue) : NULL;
    sub->next = svc->subs;
    svc->subs = sub;
    add_sub_endpoint(svc, topic,
                     kind == SUB_BROKER ? &broker__message__descriptor : &events__event__descriptor);
    return sub;
}

static bool topic_ok(const char *topic)
{
    return topic && *topic && strlen(topic) <= SUB_TOPIC_MAX;
}

int micro_broker_subscribe(struct micro_service *svc, const char *topic, const char *queue,
                           void (*fn)(const struct micro_message *m, void *user), void *user)
{
    struct micro_sub *sub;

    if (!svc || !topic_ok(topic) || !fn || svc->running ||
        (queue && strlen(queue) > SUB_TOPIC_MAX))
        return MICRO_EINVAL;
    sub = sub_new(svc, SUB_BROKER, topic, queue);
    sub->broker_fn = fn;
    sub->user = user;
    return MICRO_OK;
}

int micro_events_consume(struct micro_service *svc, const char *topic,
                         const struct micro_consume_opts *opts,
                         enum micro_ack (*fn)(const struct micro_message *m, void *user),
                         void *user)
{
    struct micro_sub *sub;
    const char *group;

    if (!svc || !topic_ok(topic) || !fn || svc->running ||
        (opts && opts->group && strlen(opts->group) > SUB_TOPIC_MAX))
        return MICRO_EINVAL;
    group = opts && opts->group ? opts->group : svc->name;
    sub = sub_new(svc, SUB_EVENTS, topic, group);
    if (opts)
        sub->opts = *opts;
    sub->opts.group = sub->queue;
    sub->events_fn = fn;
    sub->user = user;
    return MICRO_OK;
}

/* ---- the streams ---------------------------------------------------------------------- */

static void on_retry(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct micro_sub *sub = arg;

    (void)loop;
    (void)t;
    sub->retry = NULL;
    if (!sub->svc->stopping)
        sub_open(sub);
}

static void on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct micro_sub *sub = arg;

    (void)call;
    sub->call = NULL;
    if (sub->svc->stopping)
        return;
    mc_log_warn("subscription to %s ended (%d %s), subscribing again", sub->topic, st->code,
                st->message);
    sub->retry = mc_loop_timer_add(sub->svc->loop, MICRO_RESUBSCRIBE_MS, 0, on_retry, sub);
}

static void deliver_broker(struct micro_sub *sub, const char *msg, size_t len)
{
    const char *keys[SUB_HEADER_MAX], *values[SUB_HEADER_MAX];
    struct micro_message m = { 0 };
    Broker__Message *bm;

    if (mc_pbjson_wire_check(&broker__message__descriptor, (const uint8_t *)msg, len, MC_PBJSON_MAX_DEPTH) < 0)
        return;
    bm = broker__message__unpack(NULL, len, (const uint8_t *)msg);
    if (!bm)
        return;
    for (size_t i = 0; i < bm->n_header && i < SUB_HEADER_MAX; i++) {
        keys[i] = bm->header[i]->key;
        values[i] = bm->header[i]->value;
        m.n_header = i + 1;
    }
    m.topic = sub->topic;
    m.body = bm->body.data;
    m.len = bm->body.len;
    m.keys = keys;
    m.values = values;
    sub->broker_fn(&m, sub->user);
    broker__message__free_unpacked(bm, NULL);
}

static void send_ack(struct micro_sub *sub, const char *id, bool ok)
{
    Events__AckRequest ack = EVENTS__ACK_REQUEST__INIT;
    uint8_t buf[512];
    size_t len;

    ack.id = (char *)id;
    ack.success = ok;
    len = events__ack_request__get_packed_size(&ack);
    if (len > sizeof(buf) || !sub->call)
        return;
    events__ack_request__pack(&ack, buf);
    mc_grpc_ccall_send(sub->call, buf, len);
}

static void deliver_event(struct micro_sub *sub, const char *msg, size_t len)
{
    const char *keys[SUB_HEADER_MAX], *values[SUB_HEADER_MAX];
    struct micro_message m = { 0 };
    Events__Event *ev;
    enum micro_ack ack;

    if (mc_pbjson_wire_check(&events__event__descriptor, (const uint8_t *)msg, len, MC_PBJSON_MAX_DEPTH) < 0)
        return;
    ev = events__event__unpack(NULL, len, (const uint8_t *)msg);
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n_metadata && i < SUB_HEADER_MAX; i++) {
        keys[i] = ev->metadata[i]->key;
        values[i] = ev->metadata[i]->value;
        m.n_header = i + 1;
    }
    m.id = ev->id;
    m.topic = ev->topic && *ev->topic ? ev->topic : sub->topic;
    m.body = ev->payload.data;
    m.len = ev->payload.len;
    m.keys = keys;
    m.values = values;
    m.timestamp = ev->timestamp;
    ack = sub->events_fn(&m, sub->user);
    if (!sub->opts.auto_ack)
        send_ack(sub, ev->id, ack == MICRO_ACK);
    events__event__free_unpacked(ev, NULL);
}

static void on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct micro_sub *sub = arg;

    (void)call;
    if (sub->kind == SUB_BROKER)
        deliver_broker(sub, msg, len);
    else
        deliver_event(sub, msg, len);
}

static const struct mc_grpc_ccall_handler sub_handler = {
    .on_message = on_message,
    .on_done = on_done,
};

/* The first message of the stream: the subscription request, packed into *out. */
static size_t first_request(const struct micro_sub *sub, uint8_t **out)
{
    size_t len;

    if (sub->kind == SUB_BROKER) {
        Broker__SubscribeRequest req = BROKER__SUBSCRIBE_REQUEST__INIT;

        req.topic = sub->topic;
        req.queue = sub->queue ? sub->queue : (char *)"";
        len = broker__subscribe_request__get_packed_size(&req);
        *out = mc_malloc(len ? len : 1);
        broker__subscribe_request__pack(&req, *out);
    } else {
        Events__ConsumeRequest req = EVENTS__CONSUME_REQUEST__INIT;

        req.topic = sub->topic;
        req.group = sub->queue;
        req.offset = sub->opts.offset;
        req.auto_ack = sub->opts.auto_ack;
        /* the wire's ack_wait is in nanoseconds (Go's time.Duration), and a
         * manual consumer must send one: with 0 the server acks on delivery */
        if (!sub->opts.auto_ack)
            req.ack_wait = (sub->opts.ack_wait_s > 0 ? sub->opts.ack_wait_s
                                                     : MICRO_ACK_WAIT_DEFAULT_S) * 1000000000LL;
        /* 0: no limit, as upstream's client sends without WithRetryLimit */
        req.retry_limit = sub->opts.retry_limit ? sub->opts.retry_limit : -1;
        len = events__consume_request__get_packed_size(&req);
        *out = mc_malloc(len ? len : 1);
        events__consume_request__pack(&req, *out);
    }
    return len;
}

static void sub_open(struct micro_sub *sub)
{
    struct micro_service *svc = sub->svc;
    struct mc_grpc_metadata md;
    struct mc_grpc_call_opts o = { 0 };
    struct mc_error err;
    uint8_t *body = NULL;
    size_t len;
    int rc;

    mc_error_init(&err);
    mc_grpc_metadata_init(&md);
    rc = micro__call_metadata(svc, NULL, true, &md, &err);
    o.path = sub->kind == SUB_BROKER ? "/broker.Broker/Subscribe" : "/events.Stream/Consume";
    o.metadata = &md;
    if (rc == MC_OK)
        rc = mc_grpc_client_call(svc->client, &o, &sub_handler, sub, &sub->call);
    mc_grpc_metadata_release(&md);
    mc_error_release(&err);
    if (rc < 0) {
        mc_log_warn("cannot subscribe to %s: %s", sub->topic, mc_strerror(rc));
        sub->retry = mc_loop_timer_add(svc->loop, MICRO_RESUBSCRIBE_MS, 0, on_retry, sub);
        return;
    }
    len = first_request(sub, &body);
    mc_grpc_ccall_send(sub->call, body, len);
    free(body);
    if (sub->kind == SUB_BROKER)
        mc_grpc_ccall_close_send(sub->call);
}

void micro__subs_start(struct micro_service *svc)
{
    if (!svc->subs)
        return;
    svc->client = mc_grpc_client_new(svc->loop, svc->proxy, NULL);
    for (struct micro_sub *s = svc->subs; s; s = s->next)
        sub_open(s);
}

void micro__subs_stop(struct micro_service *svc)
{
    for (struct micro_sub *s = svc->subs; s; s = s->next) {
        mc_loop_timer_cancel(svc->loop, s->retry);
        s->retry = NULL;
    }
    if (svc->client) {
        /* Ends every open stream; their on_done runs from the loop below. */
        mc_grpc_client_free(svc->client);
        svc->client = NULL;
        mc_loop_run_once(svc->loop, 0);
    }
}

void micro__subs_free(struct micro_service *svc)
{
    while (svc->subs) {
        struct micro_sub *next = svc->subs->next;

        free(svc->subs->topic);
        free(svc->subs->queue);
        free(svc->subs);
        svc->subs = next;
    }
}
