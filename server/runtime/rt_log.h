/*
 * Log files of runtime services: the writer the runtime copies a child's
 * output through (append, size-based rotation to "<path>.1"), and reading the
 * last lines of a log for Runtime.Logs. rt_tail_start is pure (the unit tests'
 * part); the rest does file I/O on the loop thread, bounded by the caps below.
 */
#ifndef MC_RUNTIME_LOG_H
#define MC_RUNTIME_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

#define RT_LOG_ROTATE_BYTES (10u * 1024 * 1024)   /* a log past this moves to .1 */
#define RT_LOG_TAIL_MAX (4u * 1024 * 1024)        /* bytes read back for a tail */
#define RT_LOG_LINE_MAX (64u * 1024)              /* longer lines are cut into records */

/* An append-only log file that rotates itself. */
struct rt_logw {
    char *path;          /* owned */
    int fd;              /* -1 when closed */
    uint64_t size;
    uint64_t rotate_at;  /* RT_LOG_ROTATE_BYTES unless a test sets less */
};

/* Opens (creating, mode 0644, with parent folders made by the caller) path for
 * appending. 0 or MC_EIO (errno kept). */
int rt_logw_open(struct rt_logw *w, const char *path);
/* Appends len bytes; first renames the file to "<path>.1" (replacing it) and
 * starts a new one when it would grow past rotate_at. 0 or MC_EIO. */
int rt_logw_write(struct rt_logw *w, const void *data, size_t len);
void rt_logw_close(struct rt_logw *w);

/*
 * The offset in buf where its last `count` lines start (a final line without a
 * newline counts as a line). count 0 = every line (offset 0).
 */
size_t rt_tail_start(const char *buf, size_t len, size_t count);

/*
 * Appends the last `count` lines of the file at path (0: all of at most the last
 * RT_LOG_TAIL_MAX bytes) to out, and sets *end to the file offset read up to
 * (where following starts). MC_ENOTFOUND when the file does not exist, MC_EIO.
 */
int rt_tail_file(const char *path, size_t count, struct mc_buf *out, uint64_t *end);

#endif
