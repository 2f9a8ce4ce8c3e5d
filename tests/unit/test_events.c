/*
 * Unit tests for the events service: the pure log and groups (server/events/
 * event_log) with a fake clock and an in-memory position store: publish order,
 * memory bounds and retention, consumers without a group, offsets, groups
 * sharing and resuming (also in a new log, as after a restart), redelivery after
 * ack_wait, nack, retry limits, a leaving consumer's events, the in-flight bound;
 * mc_rpc_stream_set_input (later stream messages decoded as another type); and
 * the service (server/events) in process on "test"-profile storage: publish,
 * consume with acks and flow control, Store.Read, Store.Write, errors, accounts,
 * and a second registration on the same storage (a restart) resuming a group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "events.pb-c.h"
#include "events/event_log.h"
#include "events/events.h"
#include "mc_loop.h"
#include "mc_rpc.h"
#include "storage/storage.h"

/* ---- the log ------------------------------------------------------------------------------ */

/* An in-memory position store for the hooks. */
struct positions {
    char key[8][600];
    uint64_t pos[8];
    int n;
    int saves;
};

static int pos_load(void *arg, const char *topic, const char *group, uint64_t *pos)
{
    struct positions *p = arg;
    char key[600];

    snprintf(key, sizeof(key), "%s/%s", topic, group);
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->key[i], key) == 0) {
            *pos = p->pos[i];
            return MC_OK;
        }
    }
    return MC_ENOTFOUND;
}

static void pos_save(void *arg, const char *topic, const char *group, uint64_t pos)
{
    struct positions *p = arg;
    char key[600];
    int i;

    snprintf(key, sizeof(key), "%s/%s", topic, group);
    p->saves++;
    for (i = 0; i < p->n && strcmp(p->key[i], key) != 0; i++)
        ;
    assert_true(i < 8);
    if (i == p->n)
        p->n++;
    memcpy(p->key[i], key, strlen(key) + 1);
    p->pos[i] = pos;
}

static struct mc_evlog *new_log(struct positions *p, size_t max_events, size_t max_bytes)
{
    struct mc_evlog_limits limits = { max_events, max_bytes, 3600 };
    struct mc_evlog_hooks hooks = { pos_load, pos_save, p };

    return mc_evlog_new(&limits, p ? &hooks : NULL);
}

/* Appends an event whose id and data are its payload text, seq next, published at 1000. */
static uint64_t add(struct mc_evlog *log, const char *topic, const char *text, int64_t ts)
{
    uint64_t seq = mc_evlog_next_seq(log, 0);

    assert_int_equal(mc_evlog_append(log, seq, topic, text, ts, 1000, text, strlen(text)),
                     MC_OK);
    return seq;
}

static struct mc_evlog_consumer *join(struct mc_evlog *log, const char *topic, const char *group,
                                      int64_t offset, uint64_t ack_wait_ms, int64_t retry)
{
    struct mc_evlog_consume o = { topic, group, offset, ack_wait_ms == 0, ack_wait_ms, retry };
    struct mc_evlog_consumer *c;

    assert_int_equal(mc_evlog_join(log, &o, NULL, &c), MC_OK);
    return c;
}

/* The next event's id for c at now, "" when none. */
static const char *next(struct mc_evlog *log, struct mc_evlog_consumer *c, uint64_t now)
{
    const struct mc_evlog_entry *e = mc_evlog_next(log, c, now);
    return e ? e->id : "";
}

static void test_log_order_and_bounds(void **state)
{
    struct mc_evlog *log = new_log(NULL, 3, 10);
    uint64_t s1;

    (void)state;
    assert_int_equal(mc_evlog_next_seq(log, 500), 500);
    s1 = mc_evlog_next_seq(log, 500);
    assert_int_equal(mc_evlog_append(log, s1, "t", "a", 1, 1000, "aa", 2), MC_OK);
    /* seq only grows: the clock going back still gives a larger one */
    assert_int_equal(mc_evlog_next_seq(log, 10), 501);
    assert_int_equal(mc_evlog_append(log, s1, "t", "b", 1, 1000, "b", 1), MC_EINVAL);
    assert_int_equal(mc_evlog_append(log, 0, "t", "b", 1, 1000, "b", 1), MC_EINVAL);
    assert_int_equal(mc_evlog_append(log, 600, "", "b", 1, 1000, "b", 1), MC_EINVAL);
    add(log, "t", "b", 1);
    add(log, "t", "c", 1);
    assert_int_equal(mc_evlog_count(log), 3);
    add(log, "t", "d", 1);   /* past 3 events: the oldest leaves */
    assert_int_equal(mc_evlog_count(log), 3);
    assert_string_equal(mc_evlog_first(log)->id, "b");
    assert_null(mc_evlog_get(log, s1));
    assert_int_equal(mc_evlog_append(log, mc_evlog_next_seq(log, 0), "t", "big", 1, 2000,
                                     "0123456789", 10), MC_OK);   /* past 10 bytes */
    assert_int_equal(mc_evlog_count(log), 1);
    assert_int_equal(mc_evlog_bytes(log), 10);
    mc_evlog_trim(log, 2000 + 3600);      /* still within retention */
    assert_int_equal(mc_evlog_count(log), 1);
    mc_evlog_trim(log, 2000 + 3601);
    assert_int_equal(mc_evlog_count(log), 0);
    assert_null(mc_evlog_first(log));
    mc_evlog_free(log);
}

static void test_private_consumers(void **state)
{
    struct mc_evlog *log = new_log(NULL, 100, 1000);
    struct mc_evlog_consumer *now, *replay, *other;

    (void)state;
    add(log, "t", "old", 100);
    add(log, "t", "mid", 200);
    now = join(log, "t", NULL, 0, 0, -1);
    replay = join(log, "t", "", 150, 0, -1);
    other = join(log, "u", NULL, 0, 0, -1);
    assert_string_equal(next(log, now, 0), "");   /* only new events */
    add(log, "u", "x", 300);
    add(log, "t", "new", 300);
    assert_string_equal(next(log, now, 0), "new");
    assert_string_equal(next(log, now, 0), "");
    assert_string_equal(next(log, replay, 0), "mid");   /* from the offset on */
    assert_string_equal(next(log, replay, 0), "new");
    assert_string_equal(next(log, other, 0), "x");
    assert_string_equal(next(log, other, 0), "");
    mc_evlog_leave(log, now);
    mc_evlog_leave(log, replay);
    mc_evlog_leave(log, other);
    mc_evlog_free(log);
}

static void visit(struct mc_evlog_consumer *c, void *arg)
{
    struct mc_evlog *log = arg;
    (void)mc_evlog_next(log, c, 0);   /* taking an event reorders the group */
}

static void test_group_shares(void **state)
{
    struct mc_evlog *log = new_log(NULL, 100, 1000);
    struct mc_evlog_consumer *a = join(log, "t", "g", 0, 0, -1);
    struct mc_evlog_consumer *b = join(log, "t", "g", 0, 0, -1);
    struct mc_evlog_consumer *solo = join(log, "t", NULL, 0, 0, -1);

    (void)state;
    add(log, "t", "1", 1);
    add(log, "t", "2", 1);
    add(log, "t", "3", 1);
    assert_string_equal(next(log, a, 0), "1");
    assert_string_equal(next(log, b, 0), "2");
    assert_string_equal(next(log, a, 0), "3");
    assert_string_equal(next(log, b, 0), "");
    assert_string_equal(next(log, solo, 0), "1");   /* outside the group: everything */
    assert_string_equal(next(log, solo, 0), "2");
    assert_string_equal(next(log, solo, 0), "3");
    /* each_consumer visits everyone once even when visits reorder a group: a and b
     * take one each, solo one of its two */
    add(log, "t", "4", 1);
    add(log, "t", "5", 1);
    mc_evlog_each_consumer(log, "t", visit, log);
    assert_string_equal(next(log, a, 0), "");
    assert_string_equal(next(log, b, 0), "");
    assert_string_equal(next(log, solo, 0), "5");
    mc_evlog_each_consumer(log, "none", visit, NULL);   /* no consumer: not called */
    mc_evlog_leave(log, a);
    mc_evlog_leave(log, b);
    mc_evlog_leave(log, solo);
    mc_evlog_free(log);
}

static void test_group_resumes(void **state)
{
    struct positions p = { 0 };
    struct mc_evlog *log = new_log(&p, 100, 1000);
    struct mc_evlog_consumer *c = join(log, "t", "g", 0, 0, -1);
    uint64_t s2, s3, pos;

    (void)state;
    assert_int_equal(p.saves, 1);   /* a new group is saved at once */
    add(log, "t", "1", 1);
    assert_string_equal(next(log, c, 0), "1");
    mc_evlog_leave(log, c);
    assert_int_equal(mc_evlog_group_position(log, "t", "g", &pos), MC_ENOTFOUND);
    s2 = add(log, "t", "2", 1);
    s3 = add(log, "t", "3", 1);
    c = join(log, "t", "g", 0, 0, -1);   /* reconnect: what came meanwhile */
    assert_string_equal(next(log, c, 0), "2");
    assert_int_equal(mc_evlog_group_position(log, "t", "g", &pos), MC_OK);
    assert_int_equal(pos, s3);
    mc_evlog_leave(log, c);
    /* a restart: a new log with the stored events and positions */
    mc_evlog_free(log);
    log = new_log(&p, 100, 1000);
    assert_int_equal(mc_evlog_append(log, s2, "t", "2", 1, 1000, "2", 1), MC_OK);
    assert_int_equal(mc_evlog_append(log, s3, "t", "3", 1, 1000, "3", 1), MC_OK);
    c = join(log, "t", "g", 0, 0, -1);
    assert_string_equal(next(log, c, 0), "3");
    assert_string_equal(next(log, c, 0), "");
    mc_evlog_leave(log, c);
    /* an offset replays even for a saved group */
    c = join(log, "t", "g", 1, 0, -1);
    assert_string_equal(next(log, c, 0), "2");
    mc_evlog_leave(log, c);
    mc_evlog_free(log);
}

static void test_redelivery_after_ack_wait(void **state)
{
    struct positions p = { 0 };
    struct mc_evlog *log = new_log(&p, 100, 1000);
    struct mc_evlog_consumer *a = join(log, "t", "g", 0, 100, -1);
    struct mc_evlog_consumer *b = join(log, "t", "g", 0, 100, -1);
    uint64_t s1, s2, pos;

    (void)state;
    s1 = add(log, "t", "1", 1);
    s2 = add(log, "t", "2", 1);
    assert_string_equal(next(log, a, 1000), "1");
    assert_string_equal(next(log, b, 1000), "2");
    assert_int_equal(mc_evlog_next_deadline(log), 1100);
    assert_int_equal(mc_evlog_ack(log, b, "2", true), MC_OK);
    assert_int_equal(mc_evlog_ack(log, b, "2", true), MC_ENOTFOUND);
    mc_evlog_group_position(log, "t", "g", &pos);
    assert_int_equal(pos, s1);   /* 1 is not acknowledged yet */
    assert_int_equal(mc_evlog_expire(log, 1099), 0);
    assert_string_equal(next(log, b, 1099), "");
    assert_int_equal(mc_evlog_expire(log, 1100), 1);
    assert_int_equal(mc_evlog_next_deadline(log), UINT64_MAX);
    assert_string_equal(next(log, b, 1100), "1");   /* to any member of the group */
    assert_int_equal(mc_evlog_ack(log, a, "1", true), MC_OK);   /* any member may ack */
    mc_evlog_group_position(log, "t", "g", &pos);
    assert_int_equal(pos, s2 + 1);
    assert_int_equal(p.pos[0], s2 + 1);   /* and it was saved */
    assert_string_equal(next(log, a, 2000), "");
    mc_evlog_leave(log, a);
    mc_evlog_leave(log, b);
    mc_evlog_free(log);
}

/* Many events in flight, acked in order and out of order while more are taken:
 * the pending list drops acked events off its front, compacts and grows without
 * losing or repeating one (the group's position lands after the last). */
static void test_many_in_flight_acked_in_any_order(void **state)
{
    struct positions p = { 0 };
    struct mc_evlog *log = new_log(&p, 1000, 100000);
    struct mc_evlog_consumer *c = join(log, "t", "g", 0, 1000, -1);
    char id[16];
    uint64_t last = 0, pos;
    int taken = 0;

    (void)state;
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof(id), "%d", i);
        last = add(log, "t", id, 1);
    }
    /* take 100, ack the first 60 in order (off the front) */
    for (; taken < 100; taken++) {
        snprintf(id, sizeof(id), "%d", taken);
        assert_string_equal(next(log, c, 1000), id);
    }
    for (int i = 0; i < 60; i++) {
        snprintf(id, sizeof(id), "%d", i);
        assert_int_equal(mc_evlog_ack(log, c, id, true), MC_OK);
    }
    /* take the rest (the list compacts and grows), acking backwards from the middle */
    for (; taken < 300; taken++) {
        snprintf(id, sizeof(id), "%d", taken);
        assert_string_equal(next(log, c, 1000), id);
        if (taken % 7 == 0) {
            snprintf(id, sizeof(id), "%d", taken - 1);
            assert_int_equal(mc_evlog_ack(log, c, id, true), MC_OK);
        }
    }
    assert_string_equal(next(log, c, 1000), "");
    for (int i = 299; i >= 60; i--) {
        snprintf(id, sizeof(id), "%d", i);
        int rc = mc_evlog_ack(log, c, id, true);
        assert_true(rc == MC_OK || (rc == MC_ENOTFOUND && i % 7 == 6 && i < 299));
    }
    assert_int_equal(mc_evlog_next_deadline(log), UINT64_MAX);   /* nothing in flight */
    assert_int_equal(mc_evlog_expire(log, 5000), 0);             /* nothing to redeliver */
    mc_evlog_group_position(log, "t", "g", &pos);
    assert_int_equal(pos, last + 1);
    mc_evlog_leave(log, c);
    mc_evlog_free(log);
}

static void test_nack_and_retry_limit(void **state)
{
    struct mc_evlog *log = new_log(NULL, 100, 1000);
    struct mc_evlog_consumer *c = join(log, "t", NULL, 0, 100, 1);
    struct mc_evlog_consumer *d;

    (void)state;
    add(log, "t", "1", 1);
    assert_string_equal(next(log, c, 0), "1");
    assert_int_equal(mc_evlog_ack(log, c, "1", false), MC_OK);   /* nack: ready at once */
    assert_string_equal(next(log, c, 0), "1");                    /* redelivery 1 of 1 */
    assert_int_equal(mc_evlog_expire(log, 100), 1);               /* limit reached: dropped */
    assert_int_equal(mc_evlog_dropped(log), 1);
    assert_string_equal(next(log, c, 200), "");
    /* retry_limit 0: never redelivered; -1: always */
    d = join(log, "u", NULL, 0, 10, 0);
    add(log, "u", "2", 1);
    assert_string_equal(next(log, d, 0), "2");
    assert_int_equal(mc_evlog_ack(log, d, "2", false), MC_OK);
    assert_int_equal(mc_evlog_dropped(log), 2);
    assert_string_equal(next(log, d, 0), "");
    mc_evlog_leave(log, d);
    d = join(log, "u", NULL, 0, 10, -1);
    add(log, "u", "3", 1);
    for (uint64_t now = 0; now < 1000; now += 10) {
        assert_string_equal(next(log, d, now), "3");
        assert_int_equal(mc_evlog_expire(log, now + 10), 1);
    }
    assert_int_equal(mc_evlog_dropped(log), 2);
    mc_evlog_leave(log, d);
    mc_evlog_leave(log, c);
    mc_evlog_free(log);
}

static void test_leave_and_eviction(void **state)
{
    struct mc_evlog *log = new_log(NULL, 2, 1000);
    struct mc_evlog_consumer *a = join(log, "t", "g", 0, 1000, -1);
    struct mc_evlog_consumer *b = join(log, "t", "g", 0, 1000, -1);
    struct mc_evlog_consumer *auto_c;

    (void)state;
    add(log, "t", "1", 1);
    assert_string_equal(next(log, a, 0), "1");
    mc_evlog_leave(log, a);   /* its unacknowledged event goes to b at once */
    assert_string_equal(next(log, b, 0), "1");
    assert_int_equal(mc_evlog_ack(log, b, "1", false), MC_OK);
    add(log, "t", "2", 1);
    add(log, "t", "3", 1);    /* "1" leaves memory before it is redelivered */
    assert_string_equal(next(log, b, 0), "2");
    assert_int_equal(mc_evlog_dropped(log), 1);
    /* an auto-ack member taking a redelivery acknowledges it */
    auto_c = join(log, "t", "g", 0, 0, -1);
    assert_int_equal(mc_evlog_ack(log, b, "2", false), MC_OK);
    assert_string_equal(next(log, auto_c, 0), "2");
    assert_int_equal(mc_evlog_ack(log, b, "2", true), MC_ENOTFOUND);
    mc_evlog_leave(log, b);
    mc_evlog_leave(log, auto_c);
    mc_evlog_free(log);
}

static void test_inflight_bound_and_join_errors(void **state)
{
    struct mc_evlog *log = new_log(NULL, MC_EVLOG_INFLIGHT_MAX + 10, 1u << 30);
    struct mc_evlog_consume bad = { "t", NULL, 0, false, 0, -1 };
    struct mc_evlog_consumer *c = join(log, "t", NULL, 0, 1000, -1), *x;
    char name[MC_EVLOG_NAME_MAX + 2];
    char id[32];

    (void)state;
    for (int i = 0; i < MC_EVLOG_INFLIGHT_MAX + 1; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        add(log, "t", id, 1);
    }
    for (int i = 0; i < MC_EVLOG_INFLIGHT_MAX; i++)
        assert_non_null(mc_evlog_next(log, c, 0));
    assert_null(mc_evlog_next(log, c, 0));   /* too many unacknowledged */
    assert_int_equal(mc_evlog_ack(log, c, "e0", true), MC_OK);
    assert_string_equal(next(log, c, 0), "e10000");
    mc_evlog_leave(log, c);

    assert_int_equal(mc_evlog_join(log, &bad, NULL, &x), MC_EINVAL);   /* manual, no wait */
    assert_null(x);
    bad.auto_ack = true;
    bad.retry_limit = -2;
    assert_int_equal(mc_evlog_join(log, &bad, NULL, &x), MC_EINVAL);
    bad.retry_limit = -1;
    bad.topic = "";
    assert_int_equal(mc_evlog_join(log, &bad, NULL, &x), MC_EINVAL);
    memset(name, 'g', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    bad.topic = "t";
    bad.group = name;
    assert_int_equal(mc_evlog_join(log, &bad, NULL, &x), MC_EINVAL);
    mc_evlog_free(log);
}

/* ---- mc_rpc_stream_set_input ----------------------------------------------------------------- */

struct fake_transport {
    int sent;
    struct mc_buf all;       /* every message, one per line (JSON) */
    size_t pending;
    int finished;
    struct mc_error err;
};

static int ft_send(void *t, const void *data, size_t len)
{
    struct fake_transport *ft = t;

    ft->sent++;
    mc_buf_append(&ft->all, data, len);
    return mc_buf_append_byte(&ft->all, '\n');
}

static size_t ft_pending(void *t)
{
    return ((struct fake_transport *)t)->pending;
}

static void ft_finish(void *t, const struct mc_error *err)
{
    struct fake_transport *ft = t;

    ft->finished++;
    if (err)
        mc_error_copy(&ft->err, err);
}

static const struct mc_rpc_stream_transport ft_ops = { ft_send, ft_pending, ft_finish };

static void ft_init(struct fake_transport *ft)
{
    memset(ft, 0, sizeof(*ft));
    mc_buf_init(&ft->all, 1u << 20);
    mc_error_init(&ft->err);
}

static void ft_release(struct fake_transport *ft)
{
    mc_buf_release(&ft->all);
    mc_error_release(&ft->err);
}

static struct {
    bool switch_input;
    int consumes, acks;
    char ack_id[64];
    bool ack_success;
} seen;

static void in_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    (void)arg;
    if (msg->descriptor == &events__consume_request__descriptor) {
        seen.consumes++;
        if (seen.switch_input)
            mc_rpc_stream_set_input(st, &events__ack_request__descriptor);
        return;
    }
    assert_ptr_equal(msg->descriptor, &events__ack_request__descriptor);
    seen.acks++;
    snprintf(seen.ack_id, sizeof(seen.ack_id), "%s", ((const Events__AckRequest *)msg)->id);
    seen.ack_success = ((const Events__AckRequest *)msg)->success;
}

static const struct mc_rpc_stream_ops in_ops = { in_on_message, NULL, NULL };

static int in_open(struct mc_rpc_stream *st, void *arg)
{
    (void)arg;
    mc_rpc_stream_set_ops(st, &in_ops, NULL);
    return MC_OK;
}

/* Opens a bidi Consume stream (proto codec) on a handler that records what arrives,
 * sends a ConsumeRequest and an AckRequest. */
static void consume_then_ack(bool switch_input, struct fake_transport *ft)
{
    struct mc_rpc_server *srv = mc_rpc_server_new();
    struct mc_rpc_service *svc = mc_rpc_server_add(srv, "events");
    Events__ConsumeRequest cr = EVENTS__CONSUME_REQUEST__INIT;
    Events__AckRequest ack = EVENTS__ACK_REQUEST__INIT;
    const struct mc_rpc_method *m;
    struct mc_rpc_stream *st;
    struct mc_error err;
    uint8_t buf[256];
    size_t n;

    memset(&seen, 0, sizeof(seen));
    seen.switch_input = switch_input;
    mc_error_init(&err);
    ft_init(ft);
    assert_int_equal(mc_rpc_service_handle_stream(svc, &events__stream__descriptor, "Consume",
                                                  MC_RPC_STREAM_BIDI, in_open, NULL), MC_OK);
    assert_int_equal(mc_rpc_route(srv, "/events.Stream/Consume", &m, NULL, &err), MC_OK);
    st = mc_rpc_stream_open(m, MC_CODEC_PROTO, NULL, 0, &ft_ops, ft, &err);
    assert_non_null(st);
    cr.topic = (char *)"t";
    cr.group = (char *)"g";
    n = protobuf_c_message_pack(&cr.base, buf);
    mc_rpc_stream_deliver(st, buf, n);
    ack.id = (char *)"abc";
    ack.success = true;   /* field 2 as a varint: a ConsumeRequest has a string there */
    n = protobuf_c_message_pack(&ack.base, buf);
    mc_rpc_stream_deliver(st, buf, n);
    if (!ft->finished)
        mc_rpc_stream_cancel(st);
    mc_error_release(&err);
    mc_rpc_server_free(srv);
}

static void test_stream_set_input(void **state)
{
    struct fake_transport ft;

    (void)state;
    consume_then_ack(true, &ft);
    assert_int_equal(seen.consumes, 1);
    assert_int_equal(seen.acks, 1);
    assert_string_equal(seen.ack_id, "abc");
    assert_true(seen.ack_success);
    assert_int_equal(ft.finished, 0);
    ft_release(&ft);
    /* without it the ack does not decode as the method's input: 400 */
    consume_then_ack(false, &ft);
    assert_int_equal(seen.consumes, 1);
    assert_int_equal(seen.acks, 0);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 400);
    ft_release(&ft);
}

/* ---- the service ------------------------------------------------------------------------------ */

struct fx {
    struct mc_loop *loop;
    struct mc_rpc_server *srv;
    struct mc_storage *storage;
    struct mc_core core;
    struct mc_arena arena;
    struct mc_error err;
    struct mc_buf out;
    int fake_auth;
};

static void start_service(struct fx *f)
{
    f->srv = mc_rpc_server_new();
    f->core.rpc = f->srv;
    assert_int_equal(mc_events_service_register(&f->core, mc_rpc_server_add(f->srv, "events")),
                     MC_OK);
}

static void stop_service(struct fx *f)
{
    mc_events_service_release(&f->core);
    assert_null(f->core.events);
    mc_rpc_server_free(f->srv);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];

    f->loop = mc_loop_new();
    assert_int_equal(mc_storage_open("test", "/nonexistent", &f->storage, err, sizeof(err)),
                     MC_OK);
    f->core.loop = f->loop;
    f->core.storage = f->storage;
    start_service(f);
    mc_arena_init(&f->arena);
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 1u << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    stop_service(f);
    mc_events_service_release(&f->core);   /* a second release is a no-op */
    mc_storage_close(f->storage);
    mc_arena_release(&f->arena);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    mc_loop_run_once(f->loop, 0);
    mc_loop_free(f->loop);
    free(f);
    return 0;
}

static int call_as(struct fx *f, const struct mc_account *account, const char *path,
                   const char *json)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_ctx ctx = { .arena = &f->arena, .err = &f->err, .account = account,
                              .ns = "micro" };

    mc_error_release(&f->err);
    assert_int_equal(mc_rpc_route(f->srv, path, &m, NULL, &f->err), MC_OK);
    mc_buf_reset(&f->out);
    return mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)json, strlen(json), &f->out);
}

static void publish(struct fx *f, const char *topic, const char *payload_b64)
{
    char json[256];

    snprintf(json, sizeof(json), "{\"topic\":\"%s\",\"payload\":\"%s\",\"metadata\":{\"k\":\"v\"}}",
             topic, payload_b64);
    assert_int_equal(call_as(f, NULL, "/events.Stream/Publish", json), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{}");
}

static struct mc_rpc_stream *consume(struct fx *f, struct fake_transport *ft, const char *json)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_stream *st;

    ft_init(ft);
    assert_int_equal(mc_rpc_route(f->srv, "/events.Stream/Consume", &m, NULL, &f->err), MC_OK);
    assert_int_equal(mc_rpc_method_stream_kind(m), MC_RPC_STREAM_BIDI);
    st = mc_rpc_stream_open(m, MC_CODEC_JSON, NULL, 0, &ft_ops, ft, &f->err);
    assert_non_null(st);
    mc_rpc_stream_deliver(st, json, strlen(json));
    return st;
}

/* The id of message n (0-based) that ft received, in out. */
static void nth_id(const struct fake_transport *ft, int n, char out[64])
{
    const char *p = mc_buf_cstr(&ft->all);

    for (int i = 0; i < n; i++)
        p = strchr(p, '\n') + 1;
    p = strstr(p, "\"id\":\"") + 6;
    snprintf(out, 64, "%.*s", (int)(strchr(p, '"') - p), p);
}

static void ack(struct mc_rpc_stream *st, const char *id, bool success)
{
    char json[128];

    snprintf(json, sizeof(json), "{\"id\":\"%s\",\"success\":%s}", id, success ? "true" : "false");
    mc_rpc_stream_deliver(st, json, strlen(json));
}

static void test_service_publish_consume(void **state)
{
    struct fx *f = *state;
    struct fake_transport all, manual;
    struct mc_rpc_stream *a, *m;
    char id0[64], id1[64];

    a = consume(f, &all, "{\"topic\":\"t\"}");
    m = consume(f, &manual, "{\"topic\":\"t\",\"group\":\"g\",\"ack_wait\":\"60000000000\","
                              "\"retry_limit\":\"-1\"}");
    publish(f, "t", "b25l");
    publish(f, "u", "eA==");
    publish(f, "t", "dHdv");
    assert_int_equal(all.sent, 2);
    assert_non_null(strstr(mc_buf_cstr(&all.all), "\"topic\":\"t\",\"metadata\":{\"k\":\"v\"},"
                                                  "\"payload\":\"b25l\""));
    assert_int_equal(manual.sent, 2);
    nth_id(&manual, 0, id0);
    nth_id(&manual, 1, id1);
    ack(m, id0, false);   /* nack: sent again at once */
    assert_int_equal(manual.sent, 3);
    nth_id(&manual, 2, id0);
    assert_string_not_equal(id0, id1);
    ack(m, id0, true);
    ack(m, id1, true);
    ack(m, "unknown", true);   /* ignored, as upstream */
    assert_int_equal(manual.finished, 0);
    /* flow control: a stream with too much queued waits for the tick */
    all.pending = MC_EVENTS_PENDING_MAX;
    publish(f, "t", "dGhyZWU=");
    assert_int_equal(all.sent, 2);
    all.pending = 0;
    for (int i = 0; i < 100 && all.sent < 3; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(all.sent, 3);
    mc_rpc_stream_cancel(a);
    mc_rpc_stream_cancel(m);
    assert_int_equal(mc_events_in_memory(&f->core), 4);
    ft_release(&all);
    ft_release(&manual);
}

static void test_service_redelivery(void **state)
{
    struct fx *f = *state;
    struct fake_transport ft;
    struct mc_rpc_stream *st;

    st = consume(f, &ft, "{\"topic\":\"r\",\"ack_wait\":\"20000000\",\"retry_limit\":\"1\"}");
    publish(f, "r", "eA==");
    assert_int_equal(ft.sent, 1);
    for (int i = 0; i < 100 && ft.sent < 2; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(ft.sent, 2);   /* not acknowledged within 20 ms */
    for (int i = 0; i < 100 && mc_events_dropped(&f->core) == 0; i++)
        mc_loop_run_once(f->loop, 10);
    assert_int_equal(mc_events_dropped(&f->core), 1);   /* past its retry limit */
    assert_int_equal(ft.sent, 2);
    mc_rpc_stream_cancel(st);
    ft_release(&ft);
}

static void test_service_restart_resumes(void **state)
{
    struct fx *f = *state;
    struct fake_transport ft;
    struct mc_rpc_stream *st;

    st = consume(f, &ft, "{\"topic\":\"t\",\"group\":\"g\"}");
    publish(f, "t", "MQ==");
    assert_int_equal(ft.sent, 1);
    mc_rpc_stream_cancel(st);
    ft_release(&ft);
    publish(f, "t", "Mg==");
    publish(f, "t", "Mw==");
    /* a restart on the same storage: events and the group's position come back */
    stop_service(f);
    start_service(f);
    assert_int_equal(mc_events_in_memory(&f->core), 3);
    st = consume(f, &ft, "{\"topic\":\"t\",\"group\":\"g\"}");
    assert_int_equal(ft.sent, 2);
    assert_non_null(strstr(mc_buf_cstr(&ft.all), "\"payload\":\"Mg==\""));
    assert_non_null(strstr(mc_buf_cstr(&ft.all), "\"payload\":\"Mw==\""));
    mc_rpc_stream_cancel(st);
    ft_release(&ft);
    /* the consumer still open at release gets 503 */
    st = consume(f, &ft, "{\"topic\":\"t\"}");
    stop_service(f);
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 503);
    ft_release(&ft);
    start_service(f);
}

static void test_service_read_write_errors(void **state)
{
    struct fx *f = *state;
    struct mc_account admin = { .id = "admin", .type = "user", .issuer = "micro",
                                .scopes = (const char *const[]){ "admin" }, .nscopes = 1 };
    struct fake_transport ft;

    publish(f, "r", "MQ==");
    publish(f, "r", "Mg==");
    publish(f, "r", "Mw==");
    assert_int_equal(call_as(f, NULL, "/events.Store/Read", "{\"topic\":\"r\"}"), MC_OK);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "MQ==\",\"timestamp\""));
    assert_int_equal(call_as(f, NULL, "/events.Store/Read",
                             "{\"topic\":\"r\",\"limit\":\"1\",\"offset\":\"1\"}"), MC_OK);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "Mg=="));
    assert_null(strstr(mc_buf_cstr(&f->out), "MQ=="));
    assert_null(strstr(mc_buf_cstr(&f->out), "Mw=="));
    assert_int_equal(call_as(f, NULL, "/events.Store/Read", "{\"topic\":\"none\"}"), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"events\":[]}");

    assert_true(call_as(f, NULL, "/events.Store/Write", "{}") < 0);
    assert_int_equal(f->err.code, 501);
    assert_string_equal(f->err.detail, "Writing to the store directly is not supported");
    assert_true(call_as(f, NULL, "/events.Stream/Publish", "{}") < 0);
    assert_int_equal(f->err.code, 400);
    assert_string_equal(f->err.detail, "Missing topic");
    assert_true(call_as(f, NULL, "/events.Stream/Publish", "{\"topic\":\"a/b\"}") < 0);
    assert_int_equal(f->err.code, 400);
    assert_true(call_as(f, NULL, "/events.Store/Read", "{}") < 0);
    assert_int_equal(f->err.code, 400);
    (void)consume(f, &ft, "{\"topic\":\"\"}");   /* finished (and freed) at once */
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 400);
    ft_release(&ft);

    /* with auth: a micro admin only */
    f->core.auth = (struct mc_auth *)&f->fake_auth;
    assert_true(call_as(f, NULL, "/events.Stream/Publish", "{\"topic\":\"t\"}") < 0);
    assert_int_equal(f->err.code, 401);
    assert_string_equal(f->err.id, "events.Stream.Publish");
    assert_true(call_as(f, NULL, "/events.Store/Read", "{\"topic\":\"t\"}") < 0);
    assert_int_equal(f->err.code, 401);
    assert_int_equal(call_as(f, &admin, "/events.Stream/Publish", "{\"topic\":\"t\"}"), MC_OK);
    f->core.auth = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_order_and_bounds),
        cmocka_unit_test(test_private_consumers),
        cmocka_unit_test(test_group_shares),
        cmocka_unit_test(test_group_resumes),
        cmocka_unit_test(test_redelivery_after_ack_wait),
        cmocka_unit_test(test_many_in_flight_acked_in_any_order),
        cmocka_unit_test(test_nack_and_retry_limit),
        cmocka_unit_test(test_leave_and_eviction),
        cmocka_unit_test(test_inflight_bound_and_join_errors),
        cmocka_unit_test(test_stream_set_input),
        cmocka_unit_test_setup_teardown(test_service_publish_consume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_redelivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_restart_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_read_write_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
