/*
 * micro_bench_events, shared between its two halves: events_bench.c measures
 * our events service (Stream.Publish and Stream.Consume through the gRPC proxy)
 * and prints every record; events_nats.c takes the same measurements against
 * a NATS JetStream server over the NATS text protocol. Both put the same
 * payload in every event: the event's index and its send time, so the
 * consumer side can tell missing and duplicate events and end-to-end latency.
 */
#ifndef MC_BENCH_EVENTS_H
#define MC_BENCH_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_util.h"

#define EV_PROG "micro_bench_events"
#define EV_PAYLOAD_MIN 16u             /* index and send time, 8 bytes each */
#define EV_PROBE UINT64_MAX            /* the index of a probe event (not counted) */
#define EV_ACK_WAIT_NS 30000000000ll   /* manual ack: no redelivery in a healthy run */
#define EV_INFLIGHT_MAX 10000          /* manual ack: unacked events per consumer
                                          (ours: MC_EVLOG_INFLIGHT_MAX) */

struct ev_opts {
    const char *addr;          /* ours: the gRPC proxy; the peer: the NATS server */
    const char *target;        /* label copied into every record */
    bool nats;                 /* the peer: NATS JetStream */
    bool no_group;             /* ours: replay without a group (nothing saved) */
    char topic[64];            /* unique per run; also the JetStream stream name */
    uint64_t events;           /* -n: publish and replay */
    uint64_t size;             /* -s: payload bytes */
    uint64_t concurrency;      /* -c: publishes in flight */
    uint64_t e2e_events;       /* -m */
    uint64_t timeout_ms;       /* per measurement */
};

/* Which event indexes arrived. */
struct ev_tally {
    uint8_t *seen;
    uint64_t n;
    uint64_t unique;
    uint64_t dups;
};

/* One measurement. Publishing counts st.ok; consuming counts the tally. */
struct ev_result {
    const char *kind;          /* publish, consume_auto, consume_manual, e2e */
    uint64_t expected;
    uint64_t elapsed_ns;       /* until the last expected event (or the phase ended) */
    uint64_t acks;             /* consume_manual: acknowledgements sent */
    bool consumed;             /* the tally, not st.ok, says what arrived */
    struct ev_tally tally;
    struct bench_stats st;     /* latencies and errors */
};

void ev_payload_fill(uint8_t *buf, size_t size, uint64_t idx, uint64_t sent_ns);
/* False when the payload is too short to be one of ours. */
bool ev_payload_read(const uint8_t *buf, size_t len, uint64_t *idx, uint64_t *sent_ns);

void ev_result_init(struct ev_result *r, const char *kind, uint64_t expected, bool consumed);
void ev_result_release(struct ev_result *r);
/* Counts one consumed event: an error past the expected range, else a new or a
 * duplicate index. Returns true for a new one. */
bool ev_result_take(struct ev_result *r, uint64_t idx);
/* Everything expected arrived (consumed) or was answered OK (published). */
bool ev_result_complete(const struct ev_result *r);
/* Prints r as a JSON record (stdout) and a summary line (stderr); returns the
 * number of failures it holds (errors, missing and duplicate events). */
uint64_t ev_report(const struct ev_opts *o, struct ev_result *r);

/* The four measurements against NATS JetStream at o->addr; the number of
 * failures, or 1 when it could not run at all. */
uint64_t ev_nats_run(const struct ev_opts *o);

#endif
