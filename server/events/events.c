/* The events service: see events.h. This file is the glue between the RPC
 * layer, storage and the pure log (event_log.h): it stores and loads events and
 * group positions, and pumps events from the log into Consume streams. A pump
 * gives each consumer at most one event per round, so the members of a group
 * take turns; a stream with too many bytes queued waits for the tick timer. */
#include "events/events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "core.h"
#include "events.pb-c.h"
#include "events/event_log.h"
#include "mc_arena.h"
#include "mc_common.h"
#include "mc_error.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "storage/storage.h"
#include "mc_banned.h"

#define ID_PUBLISH "events.Stream.Publish"
#define ID_CONSUME "events.Stream.Consume"
#define ID_READ "events.Store.Read"
#define ID_WRITE "events.Store.Write"
#define MISSING_TOPIC "Missing topic"   /* upstream's ErrMissingTopic */
#define DB MC_STORAGE_DEFAULT
#define SEQ_DIGITS 20
#define KEY_MAX (MC_EVENTS_TOPIC_MAX * 2 + 64)

/* One Consume stream. */
struct consumer {
    struct consumer *prev, *next;
    struct mc_events_service *ev;
    struct mc_rpc_stream *st;
    struct mc_evlog_consumer *c;   /* NULL until the ConsumeRequest arrived */
    bool manual;
    bool blocked;                  /* too many bytes queued: the pace timer resumes it */
    bool gone;                     /* the client left: on_cancel follows */
};

/* A group position not written to storage yet (see save_position). */
struct unsaved {
    struct unsaved *next;
    uint64_t pos;
    char key[];            /* "<topic>/<group>" */
};

struct mc_events_service {
    struct mc_core *core;
    struct mc_evlog *log;
    struct consumer *streams;
    size_t nstreams;
    struct mc_timer *tick;
    struct mc_timer *pace;         /* while streams wait for their queue to drain */
    uint64_t pace_ms;
    struct unsaved *unsaved;
};

static uint64_t unix_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A topic is 1..MC_EVENTS_TOPIC_MAX bytes without '/' (the storage keys' separator). */
static int check_topic(const char *topic, const char *id, struct mc_error *err)
{
    if (!topic || !*topic) {
        mc_error_bad_request(err, id, MISSING_TOPIC);
        return MC_EINVAL;
    }
    if (strlen(topic) > MC_EVENTS_TOPIC_MAX || strchr(topic, '/')) {
        mc_error_bad_request(err, id, "a topic is 1 to %d bytes without '/'",
                             MC_EVENTS_TOPIC_MAX);
        return MC_EINVAL;
    }
    return MC_OK;
}

/* ---- group positions in storage ---------------------------------------------------------- */

static int group_key(char *key, size_t n, const char *topic, const char *group)
{
    int len = snprintf(key, n, "%s/%s", topic, group);
    return len < 0 || (size_t)len >= n ? MC_EINVAL : MC_OK;
}

static struct unsaved *unsaved_find(struct mc_events_service *ev, const char *key)
{
    for (struct unsaved *u = ev->unsaved; u; u = u->next) {
        if (strcmp(u->key, key) == 0)
            return u;
    }
    return NULL;
}

/* Whether u is the position of (topic, group): its key is "<topic>/<group>". */
static bool unsaved_is(const struct unsaved *u, const char *topic, const char *group)
{
    size_t n = strlen(topic);
    return strncmp(u->key, topic, n) == 0 && u->key[n] == '/' && strcmp(u->key + n + 1, group) == 0;
}

static int load_position(void *arg, const char *topic, const char *group, uint64_t *pos)
{
    struct mc_events_service *ev = arg;
    char key[KEY_MAX], *value = NULL;
    struct unsaved *u;
    size_t len;
    int rc;

    if ((rc = group_key(key, sizeof(key), topic, group)) < 0)
        return rc;
    if ((u = unsaved_find(ev, key))) {
        *pos = u->pos;
        return MC_OK;
    }
    if ((rc = mc_storage_get(ev->core->storage, DB, MC_EVENTS_GROUPS_TABLE, key, &value,
                             &len)) < 0)
        return rc;
    rc = mc_parse_u64(value, pos);
    free(value);
    return rc;
}

static void tick_start(struct mc_events_service *ev);
static void pace_start(struct mc_events_service *ev);

/*
 * A group's position moves with every event delivered or acked; writing it
 * each time cost one sqlite write per event and halved replay speed. It is
 * kept here and written by the next tick (MC_EVENTS_TICK_MS) and at shutdown.
 * After a kill -9 a group may see the events of that last tick again, which
 * at-least-once delivery allows; it never skips one.
 */
static void save_position(void *arg, const char *topic, const char *group, uint64_t pos)
{
    struct mc_events_service *ev = arg;
    char key[KEY_MAX];
    struct unsaved *u = ev->unsaved;

    /* called for every event delivered: the group of the last call is the likely one */
    if (!u || !unsaved_is(u, topic, group)) {
        if (group_key(key, sizeof(key), topic, group) < 0)
            return;
        if (!(u = unsaved_find(ev, key))) {
            size_t n = strlen(key) + 1;
            u = mc_malloc(sizeof(*u) + n);
            memcpy(u->key, key, n);
            u->next = ev->unsaved;
            ev->unsaved = u;
        }
    }
    u->pos = pos;
    tick_start(ev);
}

static void flush_positions(struct mc_events_service *ev)
{
    while (ev->unsaved) {
        struct unsaved *u = ev->unsaved;
        char value[32];
        int n = snprintf(value, sizeof(value), "%" PRIu64, u->pos);
        int rc = mc_storage_put(ev->core->storage, DB, MC_EVENTS_GROUPS_TABLE, u->key, value,
                                (size_t)n);
        if (rc < 0)
            mc_log_error("events: cannot save the position of group %s: %s", u->key,
                         mc_strerror(rc));
        ev->unsaved = u->next;
        free(u);
    }
}

/* ---- pumping events into streams ---------------------------------------------------------- */

/* Sends one event (its stored bytes are the packed Event); a stream that cannot
 * take it any more is marked gone. */
static void send_entry(struct consumer *cs, const struct mc_evlog_entry *e)
{
    int rc = mc_rpc_stream_send_packed(cs->st, &events__event__descriptor, e->data, e->len);

    if (rc == MC_ECLOSED) {
        cs->gone = true;   /* on_cancel follows; unacked events go back to the group then */
    } else if (rc < 0) {
        /* an event this stream can never carry: do not offer it again */
        mc_log_error("events: cannot send event %s of %s: %s", e->id, e->topic,
                     mc_strerror(rc));
        if (cs->manual)
            (void)mc_evlog_ack(cs->ev->log, cs->c, e->id, true);
    }
}

/* One round of a pump: at most one event for this consumer. */
static void pump_one(struct mc_evlog_consumer *c, void *arg)
{
    struct consumer *cs = mc_evlog_consumer_data(c);
    size_t *progress = arg;
    const struct mc_evlog_entry *e;

    if (cs->gone || cs->blocked)
        return;
    if (mc_rpc_stream_pending(cs->st) >= MC_EVENTS_PENDING_MAX) {
        cs->blocked = true;
        pace_start(cs->ev);
        return;
    }
    e = mc_evlog_next(cs->ev->log, c, mc_loop_now(cs->ev->core->loop));
    if (!e)
        return;
    send_entry(cs, e);
    (*progress)++;
    if (cs->manual)
        tick_start(cs->ev);   /* an ack deadline to watch */
}

/* Hands out what the log has for the consumers of topic (NULL: every topic). */
static void pump(struct mc_events_service *ev, const char *topic)
{
    size_t progress;

    do {
        progress = 0;
        mc_evlog_each_consumer(ev->log, topic, pump_one, &progress);
    } while (progress > 0);
}

/* Resumes a waiting stream whose client has read half of its queue; counts those resumed. */
static void unblock(struct mc_evlog_consumer *c, void *arg)
{
    struct consumer *cs = mc_evlog_consumer_data(c);

    if (cs->blocked && mc_rpc_stream_pending(cs->st) < MC_EVENTS_PENDING_MAX / 2) {
        cs->blocked = false;
        (*(size_t *)arg)++;
    }
}

static void count_blocked(struct mc_evlog_consumer *c, void *arg)
{
    if (((struct consumer *)mc_evlog_consumer_data(c))->blocked)
        (*(size_t *)arg)++;
}

/* Every MC_EVENTS_TICK_MS while there are ack deadlines or unsaved positions:
 * expired events go back to their groups, positions are written. */
static void on_tick(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_events_service *ev = arg;

    flush_positions(ev);
    mc_evlog_trim(ev->log, mc_unix_time());
    mc_evlog_expire(ev->log, mc_loop_now(loop));
    pump(ev, NULL);   /* expired events are back in their groups */
    if (!ev->unsaved && mc_evlog_next_deadline(ev->log) == UINT64_MAX) {
        mc_loop_timer_cancel(loop, t);
        ev->tick = NULL;
    }
}

/*
 * A stream that queued MC_EVENTS_PENDING_MAX bytes waits until its client has
 * read half of them. Nothing tells us when that happens, so we look: soon at
 * first (a fast consumer drains 1 MiB in a few ms, and waiting for the 50 ms tick
 * capped a replay at 20 MiB/s), then at doubling intervals up to the tick while
 * no waiting stream moves, so that a stalled client costs little.
 */
static void on_pace(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_events_service *ev = arg;
    size_t resumed = 0, waiting = 0;

    (void)t;
    ev->pace = NULL;   /* a one-shot: the loop frees it */
    mc_evlog_each_consumer(ev->log, NULL, unblock, &resumed);
    pump(ev, NULL);
    mc_evlog_each_consumer(ev->log, NULL, count_blocked, &waiting);
    if (waiting == 0)
        return;
    /* a stream moved: look again soon; none did: back off */
    ev->pace_ms = resumed ? MC_EVENTS_PACE_MS : MC_MIN(ev->pace_ms * 2, MC_EVENTS_TICK_MS);
    ev->pace = mc_loop_timer_add(loop, ev->pace_ms, 0, on_pace, ev);
}

static void pace_start(struct mc_events_service *ev)
{
    if (ev->pace)
        return;
    ev->pace_ms = MC_EVENTS_PACE_MS;
    ev->pace = mc_loop_timer_add(ev->core->loop, ev->pace_ms, 0, on_pace, ev);
}

static void tick_start(struct mc_events_service *ev)
{
    if (!ev->tick)
        ev->tick = mc_loop_timer_add(ev->core->loop, MC_EVENTS_TICK_MS, MC_EVENTS_TICK_MS,
                                     on_tick, ev);
}

/* ---- Publish ------------------------------------------------------------------------------ */

/* Stores e (its id and topic set) and hands it to the topic's consumers: the
 * one path of every publish, from Stream.Publish or from inside the server. */
static int store_event(struct mc_events_service *ev, struct mc_arena *arena, const Events__Event *e,
                       struct mc_error *err)
{
    struct mc_storage_record r = { 0 };
    char key[KEY_MAX];
    int64_t now = mc_unix_time();
    size_t len = protobuf_c_message_get_packed_size(&e->base);
    uint8_t *data;
    uint64_t seq;
    int rc;

    if (len > MC_STORAGE_VALUE_MAX) {
        mc_error_bad_request(err, ID_PUBLISH, "event too large (%zu bytes)", len);
        return MC_ETOOBIG;
    }
    data = mc_arena_alloc(arena, len ? len : 1);
    protobuf_c_message_pack(&e->base, data);
    seq = mc_evlog_next_seq(ev->log, unix_us());
    snprintf(key, sizeof(key), "%s/%0*" PRIu64 "/%s", e->topic, SEQ_DIGITS, seq, e->id);
    r.key = key;
    r.value = data;
    r.value_len = len;
    r.expiry = now + MC_EVENTS_TTL;
    /* durable with the round's group commit, before Publish answers (mc_rpc_durability) */
    if ((rc = mc_storage_write_later(ev->core->storage, DB, MC_EVENTS_TABLE, &r)) < 0) {
        mc_error_internal(err, ID_PUBLISH, "cannot store the event: %s", mc_strerror(rc));
        return rc;
    }
    mc_evlog_trim(ev->log, now);
    (void)mc_evlog_append(ev->log, seq, e->topic, e->id, e->timestamp, now, data, len);
    pump(ev, e->topic);
    return MC_OK;
}

/* An Event with a new id, topic, timestamp, payload and n metadata pairs
 * (all borrowed), its metadata array allocated in arena. */
static void make_event(struct mc_arena *arena, char id[MC_UUID_LEN + 1], const char *topic,
                       int64_t timestamp, ProtobufCBinaryData payload, size_t n,
                       Events__Event *e)
{
    events__event__init(e);
    mc_uuid_v4(id);
    e->id = id;
    e->topic = (char *)topic;
    e->payload = payload;
    e->timestamp = timestamp > 0 ? timestamp : mc_unix_time();
    e->n_metadata = n;
    e->metadata = mc_arena_alloc(arena, (n + 1) * sizeof(*e->metadata));
    for (size_t i = 0; i < n; i++) {
        e->metadata[i] = mc_arena_alloc(arena, sizeof(*e->metadata[i]));
        events__event__metadata_entry__init(e->metadata[i]);
    }
}

static int h_publish(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                     void *arg)
{
    struct mc_events_service *ev = arg;
    const Events__PublishRequest *in = (const Events__PublishRequest *)req;
    Events__Event e;
    char id[MC_UUID_LEN + 1];
    int rc;

    (void)rsp;
    if ((rc = mc_core_require_admin(ev->core, ctx, MC_STORAGE_DEFAULT, ID_PUBLISH)) < 0 ||
        (rc = check_topic(in->topic, ID_PUBLISH, ctx->err)) < 0)
        return rc;
    make_event(ctx->arena, id, in->topic, in->timestamp, in->payload, in->n_metadata, &e);
    for (size_t i = 0; i < in->n_metadata; i++) {
        e.metadata[i]->key = in->metadata[i]->key;
        e.metadata[i]->value = in->metadata[i]->value;
    }
    return store_event(ev, ctx->arena, &e, ctx->err);
}

int mc_events_publish(struct mc_core *core, const char *topic, const char *const *metadata,
                      size_t n_pairs, const void *payload, size_t len)
{
    ProtobufCBinaryData data = { .len = len, .data = (uint8_t *)payload };
    struct mc_error err;
    struct mc_arena arena;
    Events__Event e;
    char id[MC_UUID_LEN + 1];
    int rc;

    if (!core->events)
        return MC_ENOTFOUND;
    mc_error_init(&err);
    if ((rc = check_topic(topic, ID_PUBLISH, &err)) < 0) {
        mc_error_release(&err);
        return rc;
    }
    mc_arena_init(&arena);
    make_event(&arena, id, topic, 0, data, n_pairs, &e);
    for (size_t i = 0; i < n_pairs; i++) {
        e.metadata[i]->key = (char *)metadata[2 * i];
        e.metadata[i]->value = (char *)metadata[2 * i + 1];
    }
    rc = store_event(core->events, &arena, &e, &err);
    if (rc < 0)
        mc_log_error("events: cannot publish on %s: %s", topic,
                     err.detail ? err.detail : mc_strerror(rc));
    mc_error_release(&err);
    mc_arena_release(&arena);
    return rc;
}

/* ---- Consume ------------------------------------------------------------------------------ */

static void consumer_unlink(struct consumer *cs)
{
    struct mc_events_service *ev = cs->ev;

    if (cs->prev)
        cs->prev->next = cs->next;
    else
        ev->streams = cs->next;
    if (cs->next)
        cs->next->prev = cs->prev;
    ev->nstreams--;
}

/* Takes the consumer out of the log and the list and frees it; what it had not
 * acknowledged goes to the rest of its group (pumped here) when pump is set. */
static void consumer_free(struct consumer *cs, bool pump_rest)
{
    struct mc_events_service *ev = cs->ev;
    char topic[MC_EVENTS_TOPIC_MAX + 1] = "";

    if (cs->c) {
        snprintf(topic, sizeof(topic), "%s", mc_evlog_consumer_topic(cs->c));
        mc_evlog_leave(ev->log, cs->c);
    }
    consumer_unlink(cs);
    free(cs);
    if (pump_rest && topic[0])
        pump(ev, topic);
}

static void consumer_fail(struct consumer *cs, const struct mc_error *err)
{
    struct mc_rpc_stream *st = cs->st;

    consumer_free(cs, true);
    mc_rpc_stream_finish(st, err);
}

static int consume_options(const Events__ConsumeRequest *r, struct mc_evlog_consume *o,
                           struct mc_error *err)
{
    if (check_topic(r->topic, ID_CONSUME, err) < 0)
        return MC_EINVAL;
    if (r->group && strlen(r->group) > MC_EVENTS_TOPIC_MAX) {
        mc_error_bad_request(err, ID_CONSUME, "a group name is at most %d bytes",
                             MC_EVENTS_TOPIC_MAX);
        return MC_EINVAL;
    }
    if (r->retry_limit < -1) {
        mc_error_bad_request(err, ID_CONSUME, "retry_limit is -1 (no limit) or more");
        return MC_EINVAL;
    }
    memset(o, 0, sizeof(*o));
    o->topic = r->topic;
    o->group = r->group;
    o->offset = r->offset;
    o->auto_ack = r->auto_ack || r->ack_wait <= 0;
    /* ns to ms, rounded up so that a short wait never becomes none */
    o->ack_wait_ms = o->auto_ack ? 0 : (uint64_t)(r->ack_wait / 1000000 +
                                                  (r->ack_wait % 1000000 != 0));
    o->retry_limit = r->retry_limit;
    return MC_OK;
}

static void consume_start(struct consumer *cs, const Events__ConsumeRequest *r)
{
    struct mc_evlog_consume o;
    struct mc_error err;
    int rc;

    mc_error_init(&err);
    if (consume_options(r, &o, &err) == MC_OK &&
        (rc = mc_evlog_join(cs->ev->log, &o, cs, &cs->c)) < 0) {
        if (rc == MC_ETOOBIG)
            mc_error_unavailable(&err, ID_CONSUME, "too many consumers (%d)",
                                 MC_EVLOG_CONSUMERS_MAX);
        else
            mc_error_bad_request(&err, ID_CONSUME, "invalid consume options");
    }
    if (err.code) {
        consumer_fail(cs, &err);
        mc_error_release(&err);
        return;
    }
    cs->manual = !o.auto_ack;
    /* what follows on this stream are acknowledgements */
    mc_rpc_stream_set_input(cs->st, &events__ack_request__descriptor);
    pump(cs->ev, r->topic);
}

static void consume_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct consumer *cs = arg;
    const Events__AckRequest *ack;

    (void)st;
    if (!cs->c) {
        consume_start(cs, (const Events__ConsumeRequest *)msg);
        return;
    }
    ack = (const Events__AckRequest *)msg;
    /* an unknown id was acked already or given up on: nothing to do, as upstream;
     * else a nack has an event to redeliver, an ack room under the in-flight bound */
    if (mc_evlog_ack(cs->ev->log, cs->c, ack->id, ack->success) == MC_OK)
        pump(cs->ev, mc_evlog_consumer_topic(cs->c));
}

static void consume_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    (void)st;
    consumer_free(arg, true);
}

static const struct mc_rpc_stream_ops consume_ops = {
    .on_message = consume_on_message,
    .on_cancel = consume_on_cancel,
};

static int consume_open(struct mc_rpc_stream *st, void *arg)
{
    struct mc_events_service *ev = arg;
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct consumer *cs;
    int rc;

    if ((rc = mc_core_require_admin(ev->core, ctx, MC_STORAGE_DEFAULT, ID_CONSUME)) < 0)
        return rc;
    if (ev->nstreams >= MC_EVLOG_CONSUMERS_MAX) {
        mc_error_unavailable(ctx->err, ID_CONSUME, "too many consumers (%d)",
                             MC_EVLOG_CONSUMERS_MAX);
        return MC_ETOOBIG;
    }
    cs = mc_calloc(1, sizeof(*cs));
    cs->ev = ev;
    cs->st = st;
    cs->next = ev->streams;
    if (ev->streams)
        ev->streams->prev = cs;
    ev->streams = cs;
    ev->nstreams++;
    mc_rpc_stream_set_ops(st, &consume_ops, cs);
    return MC_OK;
}

/* ---- Store -------------------------------------------------------------------------------- */

static int h_read(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *arg)
{
    struct mc_events_service *ev = arg;
    const Events__ReadRequest *in = (const Events__ReadRequest *)req;
    Events__ReadResponse *out = (Events__ReadResponse *)rsp;
    struct mc_storage_query q = { 0 };
    struct mc_storage_items items = { 0 };
    char prefix[KEY_MAX];
    int rc;

    if ((rc = mc_core_require_admin(ev->core, ctx, MC_STORAGE_DEFAULT, ID_READ)) < 0 ||
        (rc = check_topic(in->topic, ID_READ, ctx->err)) < 0)
        return rc;
    snprintf(prefix, sizeof(prefix), "%s/", in->topic);
    q.database = DB;
    q.table = MC_EVENTS_TABLE;
    q.prefix = prefix;
    q.limit = in->limit ? MC_MIN(in->limit, (uint64_t)MC_STORAGE_RESULTS_MAX)
                        : MC_EVENTS_READ_LIMIT;
    q.offset = in->offset;
    if ((rc = mc_storage_read(ev->core->storage, &q, &items)) < 0) {
        mc_storage_items_release(&items);
        mc_error_internal(ctx->err, ID_READ, "cannot read the events: %s", mc_strerror(rc));
        return rc;
    }
    out->events = mc_arena_alloc(ctx->arena, (items.n + 1) * sizeof(*out->events));
    for (size_t i = 0; i < items.n; i++) {
        /* unpacked into the arena: the items are freed before the answer is encoded */
        ProtobufCMessage *m = protobuf_c_message_unpack(
            &events__event__descriptor, mc_arena_pb(ctx->arena), items.v[i].value_len,
            items.v[i].value);
        if (m)
            out->events[out->n_events++] = (Events__Event *)m;
        else
            mc_log_error("events: stored event %s does not decode", items.v[i].key);
    }
    mc_storage_items_release(&items);
    return MC_OK;
}

static int h_write(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *arg)
{
    (void)req;
    (void)rsp;
    (void)arg;
    /* upstream's answer, word for word: events are written by publishing them */
    mc_error_not_implemented(ctx->err, ID_WRITE, "Writing to the store directly is not supported");
    return MC_EUNSUPPORTED;
}

/* ---- start: the stored events back into memory --------------------------------------------- */

/* Parses "<topic>/<seq>/<id>" in place: 0, or MC_EINVAL for a key not ours. */
static int parse_key(char *key, uint64_t *seq, const char **id)
{
    char *a = strchr(key, '/'), *b = a ? strchr(a + 1, '/') : NULL;

    if (!a || !b || b - a - 1 != SEQ_DIGITS)
        return MC_EINVAL;
    *a = *b = '\0';
    *id = b + 1;
    return mc_parse_u64(a + 1, seq);
}

struct loaded {
    uint64_t seq;
    const char *id;
    const struct mc_storage_item *it;
};

static int loaded_cmp(const void *x, const void *y)
{
    const struct loaded *a = x, *b = y;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int load_events(struct mc_events_service *ev)
{
    struct mc_storage_query q = { .database = DB, .table = MC_EVENTS_TABLE };
    struct mc_storage_items items = { 0 };
    struct loaded *order;
    size_t n = 0;
    int rc = mc_storage_read(ev->core->storage, &q, &items);

    if (rc < 0) {
        mc_storage_items_release(&items);
        mc_log_error("events: cannot read the stored events: %s", mc_strerror(rc));
        return MC_EIO;
    }
    order = mc_malloc((items.n + 1) * sizeof(*order));
    for (size_t i = 0; i < items.n; i++) {
        if (parse_key(items.v[i].key, &order[n].seq, &order[n].id) == MC_OK)
            order[n++].it = &items.v[i];
    }
    qsort(order, n, sizeof(*order), loaded_cmp);   /* keys sort by topic first */
    for (size_t i = 0; i < n; i++) {
        const struct mc_storage_item *it = order[i].it;
        Events__Event *e = (Events__Event *)protobuf_c_message_unpack(
            &events__event__descriptor, NULL, it->value_len, it->value);
        if (!e)
            continue;
        /* parse_key cut the key: it->key is now the topic */
        (void)mc_evlog_append(ev->log, order[i].seq, it->key, order[i].id, e->timestamp,
                              it->expiry - MC_EVENTS_TTL, it->value, it->value_len);
        protobuf_c_message_free_unpacked(&e->base, NULL);
    }
    if (n)
        mc_log_info("events: %zu stored events, %zu in memory", n, mc_evlog_count(ev->log));
    free(order);
    mc_storage_items_release(&items);
    return MC_OK;
}

/* ---- registration ------------------------------------------------------------------------- */

int mc_events_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    static const struct mc_evlog_limits limits = {
        MC_EVENTS_MEMORY_EVENTS, MC_EVENTS_MEMORY_BYTES, MC_EVENTS_TTL
    };
    struct mc_events_service *ev = mc_calloc(1, sizeof(*ev));
    struct mc_evlog_hooks hooks = { load_position, save_position, ev };
    const ProtobufCServiceDescriptor *stream = &events__stream__descriptor;
    const ProtobufCServiceDescriptor *store = &events__store__descriptor;
    int rc;

    ev->core = core;
    ev->log = mc_evlog_new(&limits, &hooks);
    core->events = ev;
    if ((rc = load_events(ev)) < 0 ||
        (rc = mc_rpc_service_handle(svc, stream, "Publish", h_publish, ev)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, stream, "Consume", MC_RPC_STREAM_BIDI,
                                           consume_open, ev)) < 0 ||
        (rc = mc_rpc_service_handle(svc, store, "Read", h_read, ev)) < 0 ||
        (rc = mc_rpc_service_handle(svc, store, "Write", h_write, ev)) < 0)
        return rc;
    return MC_OK;
}

void mc_events_service_release(struct mc_core *core)
{
    struct mc_events_service *ev = core->events;
    struct mc_error err;

    if (!ev)
        return;
    mc_error_init(&err);
    mc_error_unavailable(&err, ID_CONSUME, "events stopped");
    while (ev->streams) {
        struct consumer *cs = ev->streams;
        struct mc_rpc_stream *st = cs->st;
        consumer_free(cs, false);
        mc_rpc_stream_finish(st, &err);
    }
    mc_error_release(&err);
    flush_positions(ev);
    mc_loop_timer_cancel(core->loop, ev->tick);
    mc_loop_timer_cancel(core->loop, ev->pace);
    mc_evlog_free(ev->log);
    free(ev);
    core->events = NULL;
}

size_t mc_events_in_memory(const struct mc_core *core)
{
    return core->events ? mc_evlog_count(core->events->log) : 0;
}

uint64_t mc_events_dropped(const struct mc_core *core)
{
    return core->events ? mc_evlog_dropped(core->events->log) : 0;
}
