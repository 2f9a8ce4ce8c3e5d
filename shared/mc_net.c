/* TCP sockets for the loop: see mc_net.h. */
#include "mc_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_banned.h"

int mc_net_split(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon, *hs, *he;
    int64_t p;

    if (!addr || hostlen == 0)
        return MC_EINVAL;
    if (addr[0] == '[') {
        hs = addr + 1;
        he = strchr(hs, ']');
        if (!he || he[1] != ':')
            return MC_EINVAL;
        colon = he + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return MC_EINVAL;
        hs = addr;
        he = colon;
        if (memchr(hs, ':', (size_t)(he - hs)))
            return MC_EINVAL;   /* bare IPv6 needs brackets */
    }
    if ((size_t)(he - hs) >= hostlen)
        return MC_EINVAL;
    if (mc_parse_i64(colon + 1, &p) < 0 || p < 0 || p > 65535)
        return MC_EINVAL;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    *port = (int)p;
    return MC_OK;
}

static int resolve(const char *addr, bool passive, struct addrinfo **res, char *errbuf,
                   size_t errlen)
{
    char host[256], portstr[8];
    int port, rc;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

    if (mc_net_split(addr, host, sizeof(host), &port) < 0) {
        snprintf(errbuf, errlen, "invalid address '%s'", addr ? addr : "");
        return MC_EADDR;
    }
    if (passive)
        hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host[0] ? host : (passive ? NULL : "127.0.0.1"), portstr, &hints, res);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot resolve '%s': %s", addr, gai_strerror(rc));
        return MC_EADDR;
    }
    return MC_OK;
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int mc_net_listen(const char *addr, char *errbuf, size_t errlen)
{
    struct addrinfo *res, *ai;
    int fd = -1, one = 1, err = 0;

    if (resolve(addr, true, &res, errbuf, errlen) < 0)
        return MC_EADDR;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot listen on '%s': %s", addr, strerror(err));
        return MC_EADDR;
    }
    return fd;
}

int mc_net_connect(const char *addr, char *errbuf, size_t errlen)
{
    struct addrinfo *res;
    int fd;

    if (resolve(addr, false, &res, errbuf, errlen) < 0)
        return MC_EADDR;
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot create socket: %s", strerror(errno));
        freeaddrinfo(res);
        return MC_EIO;
    }
    set_nodelay(fd);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        snprintf(errbuf, errlen, "dial tcp %s: connect: %s", addr, strerror(e));
        freeaddrinfo(res);
        close(fd);
        return e == ECONNREFUSED ? MC_ECONNREFUSED : MC_EIO;
    }
    freeaddrinfo(res);
    return fd;
}

int mc_net_connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return MC_EIO;
    if (err == 0)
        return MC_OK;
    return err == ECONNREFUSED ? MC_ECONNREFUSED : MC_EIO;
}

int mc_net_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED) ? MC_EAGAIN : MC_EIO;
    set_nodelay(fd);
    return fd;
}

int mc_net_local_addr(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN];
    int port;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return MC_EIO;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        port = ntohs(sin->sin_port);
        snprintf(out, outlen, "%s:%d", host, port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        port = ntohs(sin6->sin6_port);
        snprintf(out, outlen, "[%s]:%d", host, port);
    } else {
        return MC_EINVAL;
    }
    return MC_OK;
}
