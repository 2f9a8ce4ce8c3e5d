/*
 * The network core service (spec §1.8) for a single-node platform: this server
 * is the network's only node, and its routing table is the registry (as
 * upstream's router, which builds routes from the registry in process). So
 * Network.Services lists the registry's services of the caller's namespace,
 * Nodes and Graph show this node, Routes gives one route per registered node
 * (filtered by the query), and Status reports no errors. Network.Connect, which
 * peers networks over upstream's tunnel, answers 400: a single node has no
 * tunnel to join (DESIGN.md §6: growing past one machine goes to existing
 * engines, not a home-made cluster).
 */
#ifndef MC_SERVER_NETWORK_H
#define MC_SERVER_NETWORK_H

struct mc_core;
struct mc_rpc_service;

#define MC_NETWORK_NAME "micro"   /* the network name upstream's nodes carry by default */

/* The core table's registration for "network": needs core->registry. */
int mc_network_service_register(struct mc_core *core, struct mc_rpc_service *svc);

#endif
