/*
 * The in-memory registry (spec §5.2): domain -> service name -> version ->
 * {service document, nodes {id -> node, TTL, last seen}}. Services register
 * their nodes with a TTL and re-register to stay alive; a loop timer prunes
 * expired nodes every second. Watchers (in-process callbacks; the Registry.Watch
 * handler is one of them) hear of every change as upstream's memory registry
 * reports it: `create` for a new version, `update` for new or removed nodes,
 * `delete` for a removed version. The proxy looks up node addresses here and
 * the web and CLI list services, all in process, on the loop's thread.
 *
 * Where we differ from upstream: an expired node is reported to watchers as if
 * it had been deregistered (`update` when the version keeps other nodes,
 * `delete` when it was the last), so a dashboard watching the registry sees a
 * crashed service go away; upstream says nothing and clients find out by
 * polling. Domain `*` is for lookups only and cannot be registered into.
 *
 * Documents keep upstream's shape: the registry adds metadata `domain` to each
 * service (not to nodes, as the transcript shows), node `port` is always 0, and
 * every returned service carries an empty `options` ({ttl 0, domain ""}).
 * Re-registering an existing version only adds nodes and refreshes TTLs: its
 * endpoints and metadata stay those of the first registration, as upstream.
 */
#ifndef MC_SERVER_REGISTRY_H
#define MC_SERVER_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "mc_arena.h"
#include "registry.pb-c.h"

struct mc_loop;
struct mc_rpc_server;
struct mc_registry;
struct mc_registry_watcher;

#define MC_REGISTRY_DEFAULT_DOMAIN "micro"
#define MC_REGISTRY_WILDCARD_DOMAIN "*"

/* Limits on what peers can make the registry hold. */
#define MC_REGISTRY_MAX_NAME 256              /* domain, service, version, node id bytes */
#define MC_REGISTRY_MAX_VERSIONS 65536        /* service versions over all domains */
#define MC_REGISTRY_MAX_NODES 1024            /* nodes of one version */
#define MC_REGISTRY_MAX_DOC (4u << 20)        /* packed service document, nodes excluded */
#define MC_REGISTRY_MAX_BYTES (256u << 20)    /* all documents and nodes together */
#define MC_REGISTRY_MAX_TTL (10LL * 365 * 86400)   /* seconds; longer TTLs are cut to this */
/* How often expired nodes are pruned. */
#define MC_REGISTRY_PRUNE_MS 1000

/* A registry pruned by a timer on loop (borrowed; must outlive the registry). Never NULL. */
struct mc_registry *mc_registry_new(struct mc_loop *loop);
/* Cancels the timer, closes every watcher that is still open (its on_close runs, see
 * mc_registry_watch) and frees everything. NULL is a no-op. */
void mc_registry_free(struct mc_registry *reg);

/*
 * Registers svc (borrowed, deep-copied) in domain (NULL or "" = "micro") with a TTL
 * of ttl_s seconds for its nodes (<= 0: never expire). A new version is stored with
 * its nodes and reported as `create`; otherwise nodes not known yet are added and
 * reported as `update`, and known ones only get their TTL and last-seen time
 * refreshed. svc->options is ignored (callers pass its fields).
 * Errors: MC_EINVAL (no service name, a node without id, domain `*`, a name past
 * MC_REGISTRY_MAX_NAME), MC_ETOOBIG (past a MC_REGISTRY_MAX_* limit). The registry
 * is unchanged on error. Watchers run before this returns.
 */
int mc_registry_register(struct mc_registry *reg, const char *domain, const Registry__Service *svc,
                         int64_t ttl_s);

/*
 * Removes the nodes of svc (borrowed; matched by id) from its version in domain.
 * When the version keeps nodes: `update`; else the version goes, and the service
 * with it when it was its last version: `delete`. Deregistering what is not
 * there is not an error (0, nothing reported), as upstream. MC_EINVAL for a
 * NULL or nameless svc.
 */
int mc_registry_deregister(struct mc_registry *reg, const char *domain,
                           const Registry__Service *svc);

/*
 * The versions of service name in domain (`*`: every domain), one Service each
 * with its nodes, deep-copied into arena (freed with it): *out gets an array of
 * *n services. MC_ENOTFOUND when there is none (*out NULL, *n 0).
 */
int mc_registry_get(const struct mc_registry *reg, const char *domain, const char *name,
                    struct mc_arena *arena, Registry__Service ***out, size_t *n);

/* Every version of every service in domain (`*`: all), as mc_registry_get; an empty
 * registry gives 0 with *n 0. */
int mc_registry_list(const struct mc_registry *reg, const char *domain, struct mc_arena *arena,
                     Registry__Service ***out, size_t *n);

/*
 * The addresses of the nodes serving name in domain (`*` matches any domain, as
 * the proxy's routing, §4.6), every version, in registration order; strings in
 * arena. MC_ENOTFOUND when no node serves it.
 */
int mc_registry_lookup_nodes(const struct mc_registry *reg, const char *domain, const char *name,
                             struct mc_arena *arena, char ***addrs, size_t *n);

/*
 * A change: action is "create", "update" or "delete"; svc (borrowed for the call)
 * is the registered or deregistered document with metadata `domain` set.
 */
typedef void (*mc_registry_watch_fn)(const char *action, const Registry__Service *svc, void *arg);

/*
 * Calls fn for every change in domain (NULL/"" = "micro", `*` = all) to service
 * (NULL or "" = every service) until mc_registry_unwatch. When the registry is freed
 * first, on_close (optional) runs once instead; the watcher is gone after it.
 * The callback may register, deregister and (un)watch, itself included.
 * Returns the watcher, owned by the registry.
 */
struct mc_registry_watcher *mc_registry_watch(struct mc_registry *reg, const char *domain,
                                              const char *service, mc_registry_watch_fn fn,
                                              void (*on_close)(void *arg), void *arg);
/* Stops a watcher; allowed from inside any watcher callback. NULL is a no-op. */
void mc_registry_unwatch(struct mc_registry *reg, struct mc_registry_watcher *w);

/* Prunes expired nodes now (the timer calls it every MC_REGISTRY_PRUNE_MS). */
void mc_registry_prune(struct mc_registry *reg);

/*
 * Registers the core services of this server (spec §5.1: registry, broker, network,
 * runtime, config, store, events, auth, api) in domain `micro`, version `latest`,
 * with the endpoint schemas of their proto handlers sorted by name, TTL 0 (they live
 * in this process) and one node each: id `<name>-<uuid v4>`, address proxy_addr
 * (the core services are reached through the proxy), metadata broker, protocol,
 * registry, server, transport as upstream. Only the services rpc (borrowed) serves
 * are registered: a node at the proxy's address for a service it does not serve
 * would make the proxy forward that service's calls to itself. Returns 0 or the
 * first error.
 */
int mc_registry_register_core(struct mc_registry *reg, const struct mc_rpc_server *rpc,
                              const char *proxy_addr);

#endif
