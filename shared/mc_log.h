/*
 * Logging in upstream micro's line format, so logs of C services read like
 * those of Go services:
 *   2026-11-28 10:03:22  file=server/server.go:88 level=info Starting server
 * Lines go to stderr (or the file set with mc_log_set_fd). The level threshold
 * comes from MICRO_LOG_LEVEL (trace, debug, info, warn, error, fatal; default info).
 */
#ifndef MC_LOG_H
#define MC_LOG_H

#include <stdarg.h>

enum mc_log_level {
    MC_LOG_TRACE, MC_LOG_DEBUG, MC_LOG_INFO, MC_LOG_WARN, MC_LOG_ERROR, MC_LOG_FATAL
};

void mc_log_set_level(enum mc_log_level level);
enum mc_log_level mc_log_get_level(void);
/* Parses a level name; -1 when unknown. */
int mc_log_level_parse(const char *name);
/* Where lines go (default 2 = stderr). The fd stays owned by the caller. */
void mc_log_set_fd(int fd);
/* Formats one line into out (at most n bytes, NUL-terminated); returns its length.
 * Used by mc_log_at and by tests of the format. */
int mc_log_format(char *out, int n, long long unix_secs, const char *file, int line,
                  enum mc_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

/* The last MC_LOG_RING lines logged by this process are kept in memory, so a
 * service can answer Debug.Log without reading files. */
#define MC_LOG_RING 256

struct mc_log_record {
    long long unix_secs;
    enum mc_log_level level;
    const char *line;       /* the full formatted line, without the newline */
};

/* Calls fn for each kept record not older than since (unix seconds; 0 = all),
 * oldest first, at most the newest count records (0 = all kept). The records
 * are only valid during the call. Returns how many were visited. */
int mc_log_recent(long long since, int count,
                  void (*fn)(const struct mc_log_record *r, void *arg), void *arg);

void mc_log_at(enum mc_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define mc_log_trace(...) mc_log_at(MC_LOG_TRACE, __FILE__, __LINE__, __VA_ARGS__)
#define mc_log_debug(...) mc_log_at(MC_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define mc_log_info(...) mc_log_at(MC_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define mc_log_warn(...) mc_log_at(MC_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define mc_log_error(...) mc_log_at(MC_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
