/* Service log files: see rt_log.h. Rotation keeps one old file, which bounds a
 * chatty service to about twice RT_LOG_ROTATE_BYTES on disk. */
#include "runtime/rt_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_banned.h"

#define INDEX_LINE_MAX 48

/* The index's path: "<log path>.idx" (malloc'd). */
static char *index_path(const char *path)
{
    size_t n = strlen(path) + 5;
    char *p = mc_malloc(n);

    snprintf(p, n, "%s.idx", path);
    return p;
}

static int index_open(const char *path, int extra_flags)
{
    char *ip = index_path(path);
    int fd = open(ip, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags, 0644);

    free(ip);
    return fd;
}

/* Notes where the bytes written in this second start (once per second). A
 * failure only costs --since its precision, so it is not an error of the log. */
static void index_note(struct rt_logw *w)
{
    int64_t now = (int64_t)time(NULL);
    char line[INDEX_LINE_MAX];
    int n;

    if (now == w->indexed_s || w->idx_fd < 0)
        return;
    w->indexed_s = now;
    n = snprintf(line, sizeof(line), "%lld %llu\n", (long long)now,
                 (unsigned long long)w->size);
    (void)mc_write_all(w->idx_fd, line, (size_t)n);
}

int rt_logw_open(struct rt_logw *w, const char *path)
{
    struct stat st;

    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return MC_EIO;
    w->idx_fd = index_open(path, 0);
    w->indexed_s = 0;
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
    if (w->idx_fd >= 0)
        close(w->idx_fd);
    w->idx_fd = index_open(w->path, O_TRUNC);
    w->indexed_s = 0;
    return MC_OK;
}

int rt_logw_write(struct rt_logw *w, const void *data, size_t len)
{
    const char *p = data;

    if (w->fd < 0)
        return MC_EIO;
    if (w->size > 0 && w->size + len > w->rotate_at && rotate(w) < 0)
        return MC_EIO;
    index_note(w);
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
    if (w->path && w->idx_fd >= 0)   /* idx_fd is only set once open succeeded */
        close(w->idx_fd);
    w->fd = w->idx_fd = -1;
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
    return rt_tail_file_from(path, 0, count, out, end);
}

uint64_t rt_index_offset(const char *idx, size_t len, int64_t since, uint64_t size)
{
    const char *p = idx, *end = idx + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        long long sec;
        unsigned long long off;
        char line[INDEX_LINE_MAX];
        size_t n = (size_t)((nl ? nl : end) - p);

        if (n < sizeof(line)) {
            memcpy(line, p, n);
            line[n] = '\0';
            if (sscanf(line, "%lld %llu", &sec, &off) == 2 && sec >= since)
                return off < size ? off : size;
        }
        p = nl ? nl + 1 : end;
    }
    /* nothing at or after since: an empty index knows nothing, so all of it */
    return len == 0 ? 0 : size;
}

uint64_t rt_log_offset_since(const char *path, int64_t since)
{
    char *ip = index_path(path), *idx = NULL;
    struct stat st, log;
    uint64_t off = 0;
    size_t got = 0;
    int fd = open(ip, O_RDONLY | O_CLOEXEC);

    free(ip);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && stat(path, &log) == 0 && st.st_size <= RT_LOG_TAIL_MAX) {
        idx = mc_malloc((size_t)st.st_size + 1);
        while (got < (size_t)st.st_size) {
            ssize_t n = pread(fd, idx + got, (size_t)st.st_size - got, (off_t)got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        off = rt_index_offset(idx, got, since, (uint64_t)log.st_size);
        free(idx);
    }
    close(fd);
    return off;
}

int rt_tail_file_from(const char *path, uint64_t from_min, size_t count, struct mc_buf *out,
                      uint64_t *end)
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
    if (from_min > from)
        from = from_min < (uint64_t)st.st_size ? from_min : (uint64_t)st.st_size;
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
