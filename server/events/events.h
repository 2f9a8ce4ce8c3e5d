/*
 * The events core service (spec §1.5, §9): a durable log of events with
 * consumer groups, acknowledgements and redelivery. Stream.Publish stores the
 * event (database "micro", table "events", key "<topic>/<seq, 20 digits>/<id>",
 * value the packed events.Event, kept MC_EVENTS_TTL seconds) before it answers,
 * so an acknowledged publish survives kill -9, then hands it to the consumers of
 * its topic. Stream.Consume is a bidirectional stream: a ConsumeRequest, then
 * AckRequest messages from the client. Store.Read reads a topic's stored events
 * in publish order; Store.Write answers 501 as upstream's does.
 *
 * Consume options: group (consumers of one group share its events; its position
 * is kept in table "events_groups", key "<topic>/<group>", so the group resumes
 * where it stopped, also after a restart), offset (unix seconds > 0: replay from
 * the first event in memory at or after that time; 0: the group's saved position,
 * else only new events), and acknowledgement. proto3 cannot tell a missing
 * auto_ack from false, and upstream's clients always send it with an ack_wait
 * when it is false, so a consumer acks manually exactly when auto_ack is false
 * and ack_wait (ns) > 0; otherwise sending an event acknowledges it. A manual
 * consumer's event is redelivered (to any consumer of the group) when it is not
 * acknowledged within ack_wait or is nacked, up to retry_limit redeliveries (-1
 * no limit, 0 none: a JSON client that leaves it out gets no redelivery).
 *
 * Memory: the events of the last MC_EVENTS_TTL seconds, at most
 * MC_EVENTS_MEMORY_EVENTS events and MC_EVENTS_MEMORY_BYTES bytes, loaded from
 * storage at start; consumers are served from memory only (older events stay
 * readable with Store.Read until they expire). Every endpoint but Store.Write
 * needs an admin or service account of namespace "micro" (mc_core_require_admin).
 */
#ifndef MC_SERVER_EVENTS_H
#define MC_SERVER_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct mc_core;
struct mc_rpc_service;

#define MC_EVENTS_TTL (24 * 3600)                   /* seconds an event is kept */
#define MC_EVENTS_MEMORY_EVENTS 100000u             /* events kept in memory */
#define MC_EVENTS_MEMORY_BYTES (64u * 1024 * 1024)  /* bytes of events kept in memory */
#define MC_EVENTS_PENDING_MAX (1024u * 1024)        /* bytes queued on one consumer's
                                                       stream before it waits */
#define MC_EVENTS_TICK_MS 50u                       /* ack deadlines and paced consumers */
#define MC_EVENTS_PACE_MS 2u                        /* first look at a waiting consumer,
                                                       doubling to the tick while it waits */
#define MC_EVENTS_READ_LIMIT 250u                   /* Store.Read's default limit */
#define MC_EVENTS_TOPIC_MAX 256                     /* bytes of a topic or group */
#define MC_EVENTS_TABLE "events"
#define MC_EVENTS_GROUPS_TABLE "events_groups"

/* The core table's registration for "events": loads the stored events of the
 * last MC_EVENTS_TTL seconds into memory, binds Stream (Publish, Consume) and
 * Store (Read, Write) and sets core->events. core->storage must be open.
 * Returns 0, MC_EIO when the stored events cannot be read, or a binding error
 * (core->events is then set: release it with mc_events_service_release). */
int mc_events_service_register(struct mc_core *core, struct mc_rpc_service *svc);
/* Ends every Consume stream (503 "events stopped"), stops the timer and frees
 * core->events (NULL afterwards). No-op without one. */
void mc_events_service_release(struct mc_core *core);

/*
 * Publishes an event from inside the server (the runtime's topic "runtime"):
 * stored and delivered as Stream.Publish does. metadata holds n_pairs
 * key/value pairs (key0, value0, key1, ...). Returns 0, MC_ENOTFOUND without
 * an events service, or the storage's error (logged).
 */
int mc_events_publish(struct mc_core *core, const char *topic, const char *const *metadata,
                      size_t n_pairs, const void *payload, size_t len);

/* Events in memory and events dropped after their retry limit (tests, stats). */
size_t mc_events_in_memory(const struct mc_core *core);
uint64_t mc_events_dropped(const struct mc_core *core);

#endif
