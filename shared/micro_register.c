/*
 * The registration of a libmicro service: one node (id "<name>-<uuid>", the
 * address the service listens on, upstream's node metadata) with the endpoint
 * schemas of every bound method and subscription, sent to Registry.Register
 * through the proxy with TTL 90 s in the service's namespace. The run loop
 * calls it at start and every 30 s; Deregister runs once on stop.
 */
#include "micro_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "mc_log.h"
#include "mc_schema.h"
#include "mc_banned.h"

#define NODE_META 5

void micro__add_endpoint(struct micro_service *svc, Registry__Endpoint *ep)
{
    svc->endpoints = mc_realloc(svc->endpoints, (svc->n_endpoints + 1) * sizeof(*svc->endpoints));
    svc->endpoints[svc->n_endpoints++] = ep;
}

static void node_id(struct micro_service *svc)
{
    char uuid[MC_UUID_LEN + 1];

    if (svc->node_id[0])
        return;
    mc_uuid_v4(uuid);
    snprintf(svc->node_id, sizeof(svc->node_id), "%s-%s", svc->name, uuid);
}

/* Sends svc's registration to endpoint ("Registry.Register" or "Registry.Deregister"). */
static int send_registration(struct micro_service *svc, const char *endpoint, struct mc_error *err)
{
    static const char *const keys[NODE_META] = { "broker", "protocol", "registry", "server",
                                                  "transport" };
    static const char *const values[NODE_META] = { "service", "grpc", "service", "grpc",
                                                    "grpc" };
    Registry__Node__MetadataEntry meta[NODE_META];
    Registry__Node__MetadataEntry *meta_ptrs[NODE_META];
    Registry__Node node = REGISTRY__NODE__INIT;
    Registry__Node *nodes[1] = { &node };
    Registry__Options opts = REGISTRY__OPTIONS__INIT;
    Registry__Service s = REGISTRY__SERVICE__INIT;
    ProtobufCMessage *rsp = NULL;
    int rc;

    for (size_t i = 0; i < NODE_META; i++) {
        registry__node__metadata_entry__init(&meta[i]);
        meta[i].key = (char *)keys[i];
        meta[i].value = (char *)values[i];
        meta_ptrs[i] = &meta[i];
    }
    node.id = svc->node_id;
    node.address = svc->address;
    node.metadata = meta_ptrs;
    node.n_metadata = NODE_META;
    opts.ttl = MICRO_REGISTER_TTL_S;
    opts.domain = svc->ns;
    s.name = svc->name;
    s.version = svc->version;
    s.nodes = nodes;
    s.n_nodes = 1;
    s.endpoints = svc->endpoints;
    s.n_endpoints = svc->n_endpoints;
    s.options = &opts;
    rc = micro__invoke_pb(svc, NULL, "registry", endpoint, &s.base,
                          &registry__empty_response__descriptor, &rsp, 0, true, err);
    protobuf_c_message_free_unpacked(rsp, NULL);
    return rc;
}

int micro__register(struct micro_service *svc, bool log_it)
{
    struct mc_error err;
    int rc;

    node_id(svc);
    if (log_it)
        mc_log_info("Registry [service] Registering node: %s", svc->node_id);
    mc_error_init(&err);
    rc = send_registration(svc, "Registry.Register", &err);
    if (rc < 0) {
        mc_log_error("Server register error: %s",
                     err.detail ? err.detail : micro_strerror(rc));
        rc = MICRO_EIO;
    }
    mc_error_release(&err);
    return rc;
}

void micro__deregister(struct micro_service *svc)
{
    struct mc_error err;

    mc_log_info("Registry [service] Deregistering node: %s", svc->node_id);
    mc_error_init(&err);
    if (send_registration(svc, "Registry.Deregister", &err) < 0)
        mc_log_error("Server deregister error: %s", err.detail ? err.detail : "unknown");
    mc_error_release(&err);
}
