/*
 * The HTTP API gateway (:8080), spec §4.7: `GET /` answers the version; any
 * other path is resolved to a service and endpoint with upstream's rules
 * (`/svc` -> Svc.Call, `/svc/method` -> Svc.Method, `/v1/svc/method` -> service
 * v1.svc, `/a/b/c/d` -> service a.b, C.D; each part Title-Cased on '-'), the
 * request JSON is built from the query string and the body, and the call is
 * made with the JSON codec. Answers carry upstream's CORS headers; errors come
 * back with the micro error code as HTTP status and the error JSON as body.
 */
#ifndef MC_SERVER_API_H
#define MC_SERVER_API_H

#include <stddef.h>

struct mc_loop;
struct mc_rpc_server;
struct mc_api;
struct mc_proxy;

/* A gateway on loop calling the services of rpc (borrowed), and through proxy
 * (borrowed; NULL: none) the services of other processes. Does not listen yet. */
struct mc_api *mc_api_new(struct mc_loop *loop, struct mc_rpc_server *rpc,
                          struct mc_proxy *proxy);
/* 0, or MC_EADDR with the reason in err. */
int mc_api_listen(struct mc_api *api, const char *addr, char *err, size_t errlen);
const char *mc_api_addr(const struct mc_api *api);
void mc_api_free(struct mc_api *api);

/* Resolves an HTTP path to (service, endpoint) as upstream's "micro" resolver:
 * service gets at most svclen bytes, endpoint at most eplen. 0, or MC_EINVAL
 * for "/" and paths that name no service. Exposed for tests. */
int mc_api_resolve(const char *path, size_t len, char *service, size_t svclen, char *endpoint,
                   size_t eplen);

#endif
