/*
 * Log files of runtime services: the writer the runtime copies a child's
 * output through (append, size-based rotation to "<path>.1"), and reading the
 * last lines of a log for Runtime.Logs. rt_tail_start is pure (the unit tests'
 * part); the rest does file I/O on the loop thread, bounded by the caps below.
 *
 * A log holds what the service printed, byte for byte, so it carries no times
 * of its own. For `logs --since` the writer keeps a time index beside it,
 * "<path>.idx": one text line "<unix seconds> <offset>" for the first write of
 * every second in which the service wrote (at most one line per second, reset
 * with the log at rotation), which maps a time to the offset where its lines
 * start, to the second.
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
    int idx_fd;          /* the time index, -1 when closed */
    int64_t indexed_s;   /* the second of the index's last line */
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

/*
 * Where the lines written at or after unix second `since` start in the log at
 * path, from its time index: 0 when the index has nothing older (or does not
 * exist: all of the log is recent enough as far as anyone can tell), the log's
 * size when everything is older. Pure over the index's text for the tests:
 * rt_index_offset(idx, len, since, size).
 */
uint64_t rt_log_offset_since(const char *path, int64_t since);
uint64_t rt_index_offset(const char *idx, size_t len, int64_t since, uint64_t size);

/* As rt_tail_file, from offset `from` at the earliest (0 = no limit). */
int rt_tail_file_from(const char *path, uint64_t from, size_t count, struct mc_buf *out,
                      uint64_t *end);

#endif
