/*
 * The `api` core service (spec §1.9): the gateway's account block list,
 * Api.AddToBlockList / RemoveFromBlockList / ReadBlockList, kept by the auth
 * service (mc_auth_block ...) so the auth hook refuses blocked accounts at the
 * gateway and the proxy alike. Changing or reading the list needs an admin of
 * the entry's namespace (upstream's namespace.AuthorizeAdmin).
 */
#ifndef MC_SERVER_API_SERVICE_H
#define MC_SERVER_API_SERVICE_H

struct mc_core;
struct mc_rpc_service;

/* The core table's registration for "api". Needs core->auth (registered
 * before it); without auth the handlers answer 500 "auth is not running". */
int mc_api_service_register(struct mc_core *core, struct mc_rpc_service *svc);

#endif
