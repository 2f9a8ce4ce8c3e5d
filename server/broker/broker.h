/*
 * The broker core service (spec §1.4, §9): fire-and-forget publish/subscribe
 * in process. Broker.Publish sends a message to every current subscriber of
 * its topic; Broker.Subscribe is a server stream that delivers the messages of
 * one topic from the moment it starts. Topics are per namespace: the server
 * prefixes them with the caller's account issuer ("<issuer>.<topic>"), so
 * tenants never see each other's messages; an account is required for both.
 * Subscribers that give a queue name share that topic's messages: each message
 * goes to one of them (round robin), while subscribers without a queue each get
 * every message. Nothing is stored: a message nobody is subscribed to is gone
 * (durable delivery is the events service's job).
 */
#ifndef MC_SERVER_BROKER_H
#define MC_SERVER_BROKER_H

#include <stddef.h>

struct mc_core;
struct mc_rpc_service;

#define MC_BROKER_TOPIC_MAX 256                 /* bytes of a topic or queue name */
#define MC_BROKER_SUBSCRIBERS_MAX 65536         /* open Subscribe streams */
#define MC_BROKER_PENDING_MAX (8u * 1024 * 1024) /* bytes queued to one subscriber before
                                                    messages to it are dropped */

/* The core table's registration for "broker": binds Publish and Subscribe, sets
 * core->broker. */
int mc_broker_service_register(struct mc_core *core, struct mc_rpc_service *svc);
/* Ends every open subscription (503 "broker stopped") and frees core->broker. */
void mc_broker_service_release(struct mc_core *core);

/* Messages dropped because a subscriber did not read (for tests and stats). */
size_t mc_broker_dropped(const struct mc_core *core);

#endif
