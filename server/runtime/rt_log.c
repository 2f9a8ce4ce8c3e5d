/* Service log files: see rt_log.h. Rotation keeps one old file, which bounds a
 * chatty service to about twice RT_LOG_ROTATE_BYTES on disk. */
#include "runtime/rt_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_banned.h"

int rt_logw_open(struct rt_logw *w, const char *path)
{
    struct stat st;

    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return MC_EIO;
    w->path = mc_strdup(path);
    w->size = fstat(w->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (!w->rotate_at)
        w->rotate_at = RT_LOG_ROTATE_BYTES;
    return MC_OK;
}

static int rotate(struct rt_logw *w)
{
    size_t n = strlen(w->path) + 3;
    char *old = mc_malloc(n);
    int fd;

    snprintf(old, n, "%s.1", w->path);
    (void)rename(w->path, old);
    free(old);
    fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return MC_EIO;
    close(w->fd);
    w->fd = fd;
    w->size = 0;
    return MC_OK;
}

int rt_logw_write(struct rt_logw *w, const void *data, size_t len)
{
    const char *p = data;

    if (w->fd < 0)
        return MC_EIO;
    if (w->size > 0 && w->size + len > w->rotate_at && rotate(w) < 0)
        return MC_EIO;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return MC_EIO;
        p += n;
        len -= (size_t)n;
        w->size += (uint64_t)n;
    }
    return MC_OK;
}

void rt_logw_close(struct rt_logw *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->path);
    w->path = NULL;
}

size_t rt_tail_start(const char *buf, size_t len, size_t count)
{
    size_t i = len, seen = 0;

    if (count == 0 || len == 0)
        return 0;
    if (buf[len - 1] == '\n')
        i--;   /* the final newline ends the last line, it does not start one */
    while (i > 0) {
        if (buf[i - 1] == '\n' && ++seen == count)
            return i;
        i--;
    }
    return 0;
}

int rt_tail_file(const char *path, size_t count, struct mc_buf *out, uint64_t *end)
{
    struct stat st;
    uint64_t from;
    char *chunk;
    size_t want, got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = MC_OK;

    if (fd < 0)
        return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return MC_EIO;
    }
    from = (uint64_t)st.st_size > RT_LOG_TAIL_MAX ? (uint64_t)st.st_size - RT_LOG_TAIL_MAX : 0;
    want = (size_t)((uint64_t)st.st_size - from);
    chunk = mc_malloc(want + 1);
    while (got < want) {
        ssize_t n = pread(fd, chunk + got, want - got, (off_t)(from + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = MC_EIO;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (rc == MC_OK) {
        size_t start = rt_tail_start(chunk, got, count);
        rc = mc_buf_append(out, chunk + start, got - start);
        *end = from + got;
    }
    free(chunk);
    return rc;
}
