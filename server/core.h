/*
 * The core services of micro v3 that `micro server` runs in process, in
 * upstream's start order. Each one is added to the server's RPC table under
 * its micro name, so `/<name>.<Handler>/<Method>` reaches it through the proxy
 * and `/<name>/<method>` through the API gateway.
 */
#ifndef MC_SERVER_CORE_H
#define MC_SERVER_CORE_H

#include <stddef.h>

struct mc_rpc_server;

/* Names of the core services, in start order ("registry", "broker", ...). */
extern const char *const mc_core_service_names[];
extern const size_t mc_core_service_count;

/* Adds every core service with its handlers to rpc. Returns 0 or a negative code. */
int mc_core_register(struct mc_rpc_server *rpc);

#endif
