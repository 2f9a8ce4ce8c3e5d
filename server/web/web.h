/*
 * The web dashboard (:8082). Today it serves one status page listing the
 * services running in this process with their uptime and request counters;
 * the full dashboard (login, services, generated forms) is built on this
 * listener by the web-dashboard work.
 */
#ifndef MC_SERVER_WEB_H
#define MC_SERVER_WEB_H

#include <stddef.h>

struct mc_loop;
struct mc_rpc_server;
struct mc_web;

struct mc_web *mc_web_new(struct mc_loop *loop, struct mc_rpc_server *rpc);
/* 0, or MC_EADDR with the reason in err. */
int mc_web_listen(struct mc_web *web, const char *addr, char *err, size_t errlen);
const char *mc_web_addr(const struct mc_web *web);
void mc_web_free(struct mc_web *web);

#endif
