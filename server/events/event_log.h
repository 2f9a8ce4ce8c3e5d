/*
 * The events log and its consumer groups, without I/O: the part of the events
 * service that decides what each consumer gets next, kept pure so that unit tests
 * drive it with a fake clock. The log holds the recent events in publish order
 * (by sequence number, strictly increasing), bounded in count, in bytes and in
 * age; the oldest leave memory first (the service keeps them in storage).
 *
 * Every consumer belongs to a group of one topic. Consumers of one named group
 * share its events (each event goes to one of them; the one that took an event
 * moves to the back of the group's turn order), and the group has a durable
 * position: every event below it has been acknowledged. The position is loaded
 * and saved through hooks (the service keeps it in storage) so that a group
 * resumes after its consumers reconnect, even after a restart. A consumer
 * without a group gets a private group of its own that nothing saves.
 *
 * Acknowledgement: an auto-ack consumer's event counts as acknowledged when it
 * is taken. A manual consumer's event stays unacknowledged until ack; it becomes
 * ready for redelivery (to any consumer of the group) after the consumer's
 * ack_wait, at once on a nack, or when its consumer leaves; after retry_limit
 * redeliveries (-1: no limit) it is dropped with a log line and counts as
 * acknowledged. A redelivery whose event has left memory is dropped the same way.
 *
 * Single-threaded; nothing here calls back into the caller except the hooks.
 */
#ifndef MC_SERVER_EVENT_LOG_H
#define MC_SERVER_EVENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_EVLOG_ID_MAX 64              /* bytes of an event id (a UUID is 36) */
#define MC_EVLOG_NAME_MAX 256           /* bytes of a topic or group name */
#define MC_EVLOG_INFLIGHT_MAX 10000     /* unacknowledged events sent to one consumer */
#define MC_EVLOG_CONSUMERS_MAX 65536    /* consumers in one log */

struct mc_evlog;
struct mc_evlog_consumer;

/* One event in memory. data is the event as the service stores it (opaque here). */
struct mc_evlog_entry {
    uint64_t seq;
    int64_t published;      /* unix seconds when it was published (retention) */
    int64_t timestamp;      /* the event's own time, unix seconds (replay offsets) */
    char *topic;
    char id[MC_EVLOG_ID_MAX + 1];
    uint8_t *data;
    size_t len;
};

struct mc_evlog_limits {
    size_t max_events;      /* events kept in memory */
    size_t max_bytes;       /* bytes of data kept in memory */
    int64_t retention;      /* seconds an event stays in memory after it was published */
};

/* Where named groups keep their positions. load: 0 with *pos, or MC_ENOTFOUND for
 * a group never saved (any other code is treated as not found, with a log line).
 * save: called whenever a named group's position moves; failures are the hook's
 * to report (the group keeps going: at worst it redelivers after a restart). */
struct mc_evlog_hooks {
    int (*load)(void *arg, const char *topic, const char *group, uint64_t *pos);
    void (*save)(void *arg, const char *topic, const char *group, uint64_t pos);
    void *arg;
};

/* A new, empty log. limits and hooks are copied; hooks may be NULL (nothing kept). */
struct mc_evlog *mc_evlog_new(const struct mc_evlog_limits *limits,
                              const struct mc_evlog_hooks *hooks);
/* Frees the log, its events, groups and consumers (their data pointers are the
 * caller's). NULL is a no-op. */
void mc_evlog_free(struct mc_evlog *log);

/* The sequence number for an event published at now_us (unix microseconds):
 * max(last + 1, now_us), so numbers grow across restarts without a counter. */
uint64_t mc_evlog_next_seq(const struct mc_evlog *log, uint64_t now_us);

/*
 * Appends an event (topic, id and data are copied). seq must be above every seq
 * appended before and not 0 (MC_EINVAL otherwise, as for an empty topic or an id past
 * MC_EVLOG_ID_MAX); the oldest events then leave memory until the limits hold
 * (the new one always stays). Returns 0.
 */
int mc_evlog_append(struct mc_evlog *log, uint64_t seq, const char *topic, const char *id,
                    int64_t timestamp, int64_t published, const void *data, size_t len);
/* Events published before now - retention leave memory. */
void mc_evlog_trim(struct mc_evlog *log, int64_t now);

size_t mc_evlog_count(const struct mc_evlog *log);
size_t mc_evlog_bytes(const struct mc_evlog *log);
/* The event with seq, NULL when it is not in memory. Valid until the next append or trim. */
const struct mc_evlog_entry *mc_evlog_get(const struct mc_evlog *log, uint64_t seq);
/* The oldest event in memory, NULL when empty. */
const struct mc_evlog_entry *mc_evlog_first(const struct mc_evlog *log);

/* How a consumer joins. */
struct mc_evlog_consume {
    const char *topic;       /* required, 1..MC_EVLOG_NAME_MAX bytes */
    const char *group;       /* NULL or "": a private group */
    int64_t offset;          /* > 0: start at the first event with timestamp >= offset */
    bool auto_ack;
    uint64_t ack_wait_ms;    /* manual ack: > 0 */
    int64_t retry_limit;     /* redeliveries per event; -1 = no limit */
};

/*
 * Adds a consumer; data is the caller's (mc_evlog_consumer_data). Where it starts:
 * a named group with consumers already keeps its place (offset is ignored); else
 * offset > 0 replays from that time, else a named group resumes at its saved
 * position (the first event in memory when that is older), else only events
 * appended from now on. Errors: MC_EINVAL (topic or group empty/too long, manual
 * ack without ack_wait, retry_limit < -1), MC_ETOOBIG (MC_EVLOG_CONSUMERS_MAX).
 */
int mc_evlog_join(struct mc_evlog *log, const struct mc_evlog_consume *opts, void *data,
                  struct mc_evlog_consumer **out);
/* Removes a consumer: its unacknowledged events become ready for the rest of its
 * group; a group left empty is saved (named) and forgotten. */
void mc_evlog_leave(struct mc_evlog *log, struct mc_evlog_consumer *c);
void *mc_evlog_consumer_data(const struct mc_evlog_consumer *c);
const char *mc_evlog_consumer_topic(const struct mc_evlog_consumer *c);

/*
 * The next event for c at now_ms (monotonic ms): first an event of its group
 * ready for redelivery, else the group's next new event of the topic. Manual
 * consumers get nothing while MC_EVLOG_INFLIGHT_MAX of theirs are unacknowledged.
 * Returns the entry (valid until the next append or trim) and moves c to the back
 * of its group's turn order, or NULL when there is nothing for c now.
 */
const struct mc_evlog_entry *mc_evlog_next(struct mc_evlog *log, struct mc_evlog_consumer *c,
                                           uint64_t now_ms);

/* Acknowledges (success) or rejects (nack: redeliver now) event id sent to c's
 * group. MC_ENOTFOUND when the group has no such unacknowledged event (acked
 * already, dropped, or never sent). */
int mc_evlog_ack(struct mc_evlog *log, struct mc_evlog_consumer *c, const char *id,
                 bool success);

/* Events whose ack_wait ran out by now_ms become ready for redelivery (or are
 * dropped past their retry limit). Returns how many changed state. */
size_t mc_evlog_expire(struct mc_evlog *log, uint64_t now_ms);
/* The earliest ack deadline of any sent event, UINT64_MAX when none. */
uint64_t mc_evlog_next_deadline(const struct mc_evlog *log);

/* Calls fn once for every consumer of topic (NULL: of every topic), in group turn
 * order as it was on entry. fn may take events; it must not join or leave. */
void mc_evlog_each_consumer(const struct mc_evlog *log, const char *topic,
                            void (*fn)(struct mc_evlog_consumer *c, void *arg), void *arg);
/* The position of a group in memory (every event below it acknowledged); 0 and
 * MC_ENOTFOUND when no consumer of it is connected. */
int mc_evlog_group_position(const struct mc_evlog *log, const char *topic, const char *group,
                            uint64_t *pos);
/* Events dropped after their retry limit (or out of memory before redelivery). */
uint64_t mc_evlog_dropped(const struct mc_evlog *log);

#endif
