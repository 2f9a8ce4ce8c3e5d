/* The broker service: see broker.h. Subscriptions are a doubly linked list;
 * publishing walks it, which is fine for the few hundred subscribers a single
 * node has (a topic index can come when a benchmark asks for it). */
#include "broker/broker.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker.pb-c.h"
#include "core.h"
#include "mc_arena.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_log.h"
#include "mc_metadata.h"
#include "mc_rpc.h"
#include "mc_banned.h"

#define ID_PUBLISH "broker.Broker.Publish"
#define ID_SUBSCRIBE "broker.Broker.Subscribe"

struct sub {
    struct sub *prev, *next;
    struct mc_broker_service *b;
    struct mc_rpc_stream *st;
    char *topic; /* "<issuer>.<topic>", heap */
    char *queue; /* "" when none, heap */
    bool started;
};

struct mc_broker_service {
    struct sub *subs;
    size_t nsubs;
    size_t dropped;
    unsigned long long rr; /* round-robin counter for queues */
};

/* The topic as stored: "<issuer>.<topic>", or NULL with ctx->err set. */
static char *full_topic(const struct mc_rpc_ctx *ctx, const char *topic, const char *id,
                        struct mc_error *err)
{
    size_t n;
    char *t;

    if (!ctx->account) {
        mc_error_unauthorized(err, id, "an account is required");
        return NULL;
    }
    if (!topic || !topic[0] || strlen(topic) > MC_BROKER_TOPIC_MAX) {
        mc_error_bad_request(err, id, "a topic of 1 to %d bytes is required",
                             MC_BROKER_TOPIC_MAX);
        return NULL;
    }
    n = strlen(ctx->account->issuer) + 1 + strlen(topic) + 1;
    t = mc_malloc(n);
    snprintf(t, n, "%s.%s", ctx->account->issuer, topic);
    return t;
}

/* The request's metadata that the message header does not have yet, except
 * credentials: subscribers must never receive the publisher's token. */
static bool header_has(const Broker__Message *m, const char *key)
{
    for (size_t i = 0; i < m->n_header; i++) {
        if (strcasecmp(m->header[i]->key, key) == 0)
            return true;
    }
    return false;
}

static bool private_key(const char *key)
{
    return strcasecmp(key, MC_MD_AUTHORIZATION) == 0 || strcasecmp(key, "Cookie") == 0;
}

static void merge_metadata(struct mc_rpc_ctx *ctx, const Broker__Message *in, Broker__Message *out)
{
    size_t extra = ctx->md ? ctx->md->len : 0;

    *out = *in;
    out->header = mc_arena_alloc(ctx->arena, (in->n_header + extra + 1) * sizeof(*out->header));
    if (in->n_header)
        memcpy(out->header, in->header, in->n_header * sizeof(*out->header));
    out->n_header = in->n_header;
    for (size_t i = 0; i < extra; i++) {
        const struct mc_metadata_pair *p = &ctx->md->pairs[i];
        Broker__Message__HeaderEntry *e;
        if (private_key(p->key) || header_has(in, p->key))
            continue;
        e = mc_arena_alloc(ctx->arena, sizeof(*e));
        broker__message__header_entry__init(e);
        e->key = p->key;
        e->value = p->value;
        out->header[out->n_header++] = e;
    }
}

static void deliver(struct mc_broker_service *b, struct sub *s, const Broker__Message *m)
{
    if (mc_rpc_stream_pending(s->st) > MC_BROKER_PENDING_MAX) {
        if (b->dropped++ % 1000 == 0)
            mc_log_warn("broker: subscriber of %s does not read; dropping messages (%zu so far)",
                        s->topic, b->dropped);
        return;
    }
    (void)mc_rpc_stream_send(s->st, &m->base); /* ECLOSED: on_cancel follows */
}

/* Sends m to every queue-less subscriber of topic and to one subscriber of each queue. */
static void publish(struct mc_broker_service *b, const char *topic, const Broker__Message *m)
{
    for (struct sub *s = b->subs; s; s = s->next) {
        if (!s->started || strcmp(s->topic, topic) != 0)
            continue;
        if (!s->queue[0]) {
            deliver(b, s, m);
            continue;
        }
        /* a queue: only its first member in list order decides, so each queue is
         * served once per message */
        bool first = true;
        size_t members = 0, pick, k = 0;
        for (struct sub *o = b->subs; o != s; o = o->next) {
            if (o->started && strcmp(o->topic, topic) == 0 && strcmp(o->queue, s->queue) == 0)
                first = false;
        }
        if (!first)
            continue;
        for (struct sub *o = s; o; o = o->next) {
            if (o->started && strcmp(o->topic, topic) == 0 && strcmp(o->queue, s->queue) == 0)
                members++;
        }
        pick = (size_t)(b->rr++ % members);
        for (struct sub *o = s; o; o = o->next) {
            if (o->started && strcmp(o->topic, topic) == 0 && strcmp(o->queue, s->queue) == 0 &&
                k++ == pick) {
                deliver(b, o, m);
                break;
            }
        }
    }
}

static int h_publish(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                     void *arg)
{
    struct mc_core *core = arg;
    const Broker__PublishRequest *in = (const Broker__PublishRequest *)req;
    Broker__Message empty = BROKER__MESSAGE__INIT, msg;
    char *topic = full_topic(ctx, in->topic, ID_PUBLISH, ctx->err);

    (void)rsp;
    if (!topic)
        return MC_EINVAL;
    merge_metadata(ctx, in->message ? in->message : &empty, &msg);
    publish(core->broker, topic, &msg);
    free(topic);
    return MC_OK;
}

/* ---- Subscribe ------------------------------------------------------------------------- */

static void sub_unlink(struct sub *s)
{
    struct mc_broker_service *b = s->b;

    if (s->prev)
        s->prev->next = s->next;
    else if (b->subs == s)
        b->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    b->nsubs--;
    free(s->topic);
    free(s->queue);
    s->topic = s->queue = NULL;
}

static void sub_finish(struct sub *s, const struct mc_error *err)
{
    struct mc_rpc_stream *st = s->st;

    sub_unlink(s);
    free(s);
    mc_rpc_stream_finish(st, err);
}

static void sub_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct sub *s = arg;
    const Broker__SubscribeRequest *r = (const Broker__SubscribeRequest *)msg;
    struct mc_error err;

    if (s->started)
        return; /* one request per stream, as upstream's clients send */
    mc_error_init(&err);
    s->topic = full_topic(mc_rpc_stream_ctx(st), r->topic, ID_SUBSCRIBE, &err);
    if (s->topic && r->queue && strlen(r->queue) > MC_BROKER_TOPIC_MAX)
        mc_error_bad_request(&err, ID_SUBSCRIBE, "a queue name is at most %d bytes",
                             MC_BROKER_TOPIC_MAX);
    if (err.code) {
        sub_finish(s, &err);
        mc_error_release(&err);
        return;
    }
    s->queue = mc_strdup(r->queue ? r->queue : "");
    s->started = true;
}

static void sub_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    (void)st;
    sub_unlink(arg);
    free(arg);
}

static const struct mc_rpc_stream_ops sub_ops = {
    .on_message = sub_on_message,
    .on_cancel = sub_on_cancel,
};

static int sub_open(struct mc_rpc_stream *st, void *arg)
{
    struct mc_core *core = arg;
    struct mc_broker_service *b = core->broker;
    struct sub *s;

    if (b->nsubs >= MC_BROKER_SUBSCRIBERS_MAX) {
        mc_error_unavailable(mc_rpc_stream_ctx(st)->err, ID_SUBSCRIBE,
                             "too many subscribers (%d)", MC_BROKER_SUBSCRIBERS_MAX);
        return MC_ETOOBIG;
    }
    s = mc_calloc(1, sizeof(*s));
    s->b = b;
    s->st = st;
    s->next = b->subs;
    if (b->subs)
        b->subs->prev = s;
    b->subs = s;
    b->nsubs++;
    mc_rpc_stream_set_ops(st, &sub_ops, s);
    return MC_OK;
}

/* ---- registration ------------------------------------------------------------------------ */

int mc_broker_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &broker__broker__descriptor;
    int rc;

    core->broker = mc_calloc(1, sizeof(*core->broker));
    if ((rc = mc_rpc_service_handle(svc, sd, "Publish", h_publish, core)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, sd, "Subscribe", MC_RPC_STREAM_SERVER, sub_open,
                                           core)) < 0)
        return rc;
    return MC_OK;
}

void mc_broker_service_release(struct mc_core *core)
{
    struct mc_broker_service *b = core->broker;
    struct mc_error err;

    if (!b)
        return;
    mc_error_init(&err);
    mc_error_unavailable(&err, ID_SUBSCRIBE, "broker stopped");
    while (b->subs)
        sub_finish(b->subs, &err);
    mc_error_release(&err);
    free(b);
    core->broker = NULL;
}

size_t mc_broker_dropped(const struct mc_core *core)
{
    return core->broker ? core->broker->dropped : 0;
}
