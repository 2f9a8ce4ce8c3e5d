/*
 * The core services' own registrations (mc_registry_register_core): every core
 * service of this server is published in the registry as upstream's are, with
 * the endpoint schemas of its proto handlers, so `micro registry getService
 * --service=config` and the CLI's dynamic commands work against it. They all
 * live in this process and are reached through the proxy, hence one node each
 * at the proxy's address and TTL 0.
 */
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.pb-c.h"
#include "auth.pb-c.h"
#include "broker.pb-c.h"
#include "config.pb-c.h"
#include "events.pb-c.h"
#include "mc_common.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "mc_schema.h"
#include "network.pb-c.h"
#include "registry.pb-c.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "mc_banned.h"

#define CORE_MAX_HANDLERS 3

struct core_service {
    const char *name;
    const ProtobufCServiceDescriptor *handlers[CORE_MAX_HANDLERS];
    /* Upstream's registry and broker services run the memory implementations
     * themselves and say so in their node metadata; the others use the services. */
    const char *registry_kind;
    const char *broker_kind;
};

/* In upstream's start order (spec §2.1). The proxy and the web dashboard serve
 * no handler of their own (only Debug), so they publish no endpoints, as upstream. */
static const struct core_service core_services[] = {
    { "registry", { &registry__registry__descriptor }, "memory", "service" },
    { "broker", { &broker__broker__descriptor }, "service", "memory" },
    { "network", { &network__network__descriptor }, "service", "service" },
    { "runtime",
      { &runtime__runtime__descriptor, &runtime__source__descriptor, &runtime__build__descriptor },
      "service", "service" },
    { "config", { &config__config__descriptor }, "service", "service" },
    { "store", { &store__store__descriptor, &store__blob_store__descriptor }, "service",
      "service" },
    { "events", { &events__stream__descriptor, &events__store__descriptor }, "service",
      "service" },
    { "auth", { &auth__auth__descriptor, &auth__accounts__descriptor, &auth__rules__descriptor },
      "service", "service" },
    { "proxy", { NULL }, "service", "service" },
    { "api", { &api__api__descriptor }, "service", "service" },
    { "web", { NULL }, "service", "service" },
};

static int endpoint_cmp(const void *a, const void *b)
{
    const Registry__Endpoint *x = *(Registry__Endpoint *const *)a;
    const Registry__Endpoint *y = *(Registry__Endpoint *const *)b;

    return strcmp(x->name, y->name);
}

/* The endpoints of every handler of cs, sorted by name as upstream lists them. The
 * handler arrays go to eps[i]/n_eps[i] (the caller frees them); *all borrows them. */
static int core_endpoints(const struct core_service *cs, Registry__Endpoint **eps[],
                          size_t n_eps[], Registry__Endpoint ***all, size_t *n_all)
{
    size_t total = 0, k = 0;

    for (size_t h = 0; h < CORE_MAX_HANDLERS && cs->handlers[h]; h++) {
        size_t n_streams;
        const struct mc_schema_stream_spec *streams =
            mc_schema_core_streams(cs->handlers[h]->name, &n_streams);
        int rc = mc_schema_service_endpoints(cs->handlers[h], streams, n_streams, &eps[h],
                                             &n_eps[h]);
        if (rc < 0)
            return rc;
        total += n_eps[h];
    }
    *all = mc_calloc(total ? total : 1, sizeof(**all));
    for (size_t h = 0; h < CORE_MAX_HANDLERS && cs->handlers[h]; h++) {
        for (size_t i = 0; i < n_eps[h]; i++)
            (*all)[k++] = eps[h][i];
    }
    qsort(*all, total, sizeof(**all), endpoint_cmp);
    *n_all = total;
    return MC_OK;
}

static int register_one(struct mc_registry *reg, const struct core_service *cs,
                        const char *proxy_addr)
{
    Registry__Endpoint **eps[CORE_MAX_HANDLERS] = { NULL };
    size_t n_eps[CORE_MAX_HANDLERS] = { 0 };
    Registry__Node__MetadataEntry meta[5];
    Registry__Node__MetadataEntry *meta_ptrs[5];
    const char *keys[5] = { "broker", "protocol", "registry", "server", "transport" };
    const char *values[5] = { cs->broker_kind, "grpc", cs->registry_kind, "grpc", "grpc" };
    Registry__Node node = REGISTRY__NODE__INIT;
    Registry__Node *nodes[1] = { &node };
    Registry__Service svc = REGISTRY__SERVICE__INIT;
    char uuid[MC_UUID_LEN + 1], id[MC_REGISTRY_MAX_NAME];
    int rc;

    for (size_t i = 0; i < 5; i++) {
        registry__node__metadata_entry__init(&meta[i]);
        meta[i].key = (char *)keys[i];
        meta[i].value = (char *)values[i];
        meta_ptrs[i] = &meta[i];
    }
    mc_uuid_v4(uuid);
    snprintf(id, sizeof(id), "%s-%s", cs->name, uuid);
    node.id = id;
    node.address = (char *)proxy_addr;
    node.metadata = meta_ptrs;
    node.n_metadata = 5;
    svc.name = (char *)cs->name;
    svc.version = (char *)"latest";
    svc.nodes = nodes;
    svc.n_nodes = 1;
    rc = core_endpoints(cs, eps, n_eps, &svc.endpoints, &svc.n_endpoints);
    if (rc == MC_OK)
        rc = mc_registry_register(reg, MC_REGISTRY_DEFAULT_DOMAIN, &svc, 0);
    free(svc.endpoints);
    for (size_t h = 0; h < CORE_MAX_HANDLERS; h++)
        mc_schema_endpoints_free(eps[h], n_eps[h]);
    return rc;
}

int mc_registry_register_core(struct mc_registry *reg, const struct mc_rpc_server *rpc,
                              const char *proxy_addr)
{
    if (!reg || !rpc || !proxy_addr)
        return MC_EINVAL;
    if (sodium_init() < 0)
        return MC_EIO;
    for (size_t i = 0; i < MC_ARRAY_LEN(core_services); i++) {
        int rc;

        if (!mc_rpc_server_find(rpc, core_services[i].name)) {
            mc_log_debug("not registering %s: not served in process", core_services[i].name);
            continue;
        }
        rc = register_one(reg, &core_services[i], proxy_addr);
        if (rc < 0) {
            mc_log_error("cannot register the %s service: %s", core_services[i].name,
                         mc_strerror(rc));
            return rc;
        }
    }
    return MC_OK;
}
