/*
 * Sockets for the loop: address parsing ("host:port", "[v6]:port", ":port"),
 * non-blocking listen and connect on TCP, and the local address of a socket
 * (so tests can listen on port 0 and learn the ephemeral port).
 */
#ifndef MC_NET_H
#define MC_NET_H

#include <stddef.h>
#include <stdint.h>

#include "mc_common.h"

/* Splits "host:port" / "[::1]:port" / ":port" (host "" means all interfaces for a
 * listener, 127.0.0.1 for a client). host gets at most hostlen-1 bytes.
 * MC_EINVAL on a malformed address or a port outside 0..65535. */
int mc_net_split(const char *addr, char *host, size_t hostlen, int *port);

/* A non-blocking, close-on-exec listening socket bound to addr (SO_REUSEADDR),
 * returned as fd >= 0, or MC_EADDR with the reason in errbuf. */
int mc_net_listen(const char *addr, char *errbuf, size_t errlen);

/* Starts a non-blocking connect to addr (TCP_NODELAY set). Returns the fd: the
 * connection completes when the fd becomes writable (check mc_net_connect_result).
 * MC_EADDR when addr does not resolve. */
int mc_net_connect(const char *addr, char *errbuf, size_t errlen);
/* After writability: 0 when connected, MC_ECONNREFUSED or MC_EIO otherwise. */
int mc_net_connect_result(int fd);

/* Accepts one connection (non-blocking, close-on-exec, TCP_NODELAY).
 * fd >= 0, MC_EAGAIN when none is pending, MC_EIO on error. */
int mc_net_accept(int lfd);

/* "host:port" of the socket's local end, e.g. "127.0.0.1:41235". */
int mc_net_local_addr(int fd, char *out, size_t outlen);

#endif
