/* Upstream-format log lines: see mc_log.h. */
#include "mc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_banned.h"

static const char *const level_names[] = { "trace", "debug", "info", "warn", "error", "fatal" };
static int log_fd = 2;
static int log_level = -1;   /* -1: not read from the environment yet */

int mc_log_level_parse(const char *name)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(level_names); i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

enum mc_log_level mc_log_get_level(void)
{
    if (log_level < 0) {
        int l = mc_log_level_parse(getenv("MICRO_LOG_LEVEL"));
        log_level = l < 0 ? MC_LOG_INFO : l;
    }
    return (enum mc_log_level)log_level;
}

void mc_log_set_level(enum mc_log_level level)
{
    log_level = (int)level;
}

void mc_log_set_fd(int fd)
{
    log_fd = fd;
}

int mc_log_format(char *out, int n, long long unix_secs, const char *file, int line,
                  enum mc_log_level level, const char *fmt, va_list ap)
{
    time_t t = (time_t)unix_secs;
    struct tm tm;
    int len;

    localtime_r(&t, &tm);
    len = snprintf(out, (size_t)n, "%04d-%02d-%02d %02d:%02d:%02d  file=%s:%d level=%s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, file, line, level_names[level]);
    if (len < 0 || len >= n)
        return n - 1;
    len += vsnprintf(out + len, (size_t)(n - len), fmt, ap);
    if (len >= n - 1)
        len = n - 2;
    out[len++] = '\n';
    out[len] = '\0';
    return len;
}

struct ring_slot {
    long long unix_secs;
    enum mc_log_level level;
    char *line;
};

static struct ring_slot ring[MC_LOG_RING];
static unsigned ring_next;   /* total lines ever kept; slot = ring_next % MC_LOG_RING */

static void ring_keep(long long secs, enum mc_log_level level, const char *msg, int len)
{
    struct ring_slot *s = &ring[ring_next % MC_LOG_RING];

    free(s->line);
    s->line = mc_strndup(msg, len > 0 && msg[len - 1] == '\n' ? (size_t)len - 1 : (size_t)len);
    s->unix_secs = secs;
    s->level = level;
    ring_next++;
}

int mc_log_recent(long long since, int count,
                  void (*fn)(const struct mc_log_record *r, void *arg), void *arg)
{
    unsigned kept = ring_next < MC_LOG_RING ? ring_next : MC_LOG_RING;
    unsigned first = ring_next - kept, visited = 0, eligible = 0;

    for (unsigned i = first; i < ring_next; i++)
        if (ring[i % MC_LOG_RING].unix_secs >= since)
            eligible++;
    for (unsigned i = first; i < ring_next; i++) {
        struct ring_slot *s = &ring[i % MC_LOG_RING];
        struct mc_log_record r = { s->unix_secs, s->level, s->line };

        if (s->unix_secs < since)
            continue;
        if (count > 0 && eligible-- > (unsigned)count)
            continue;
        fn(&r, arg);
        visited++;
    }
    return (int)visited;
}

void mc_log_at(enum mc_log_level level, const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    int len;
    long long now;

    if (level < mc_log_get_level())
        return;
    va_start(ap, fmt);
    now = mc_unix_time();
    len = mc_log_format(msg, (int)sizeof(msg), now, file, line, level, fmt, ap);
    va_end(ap);
    ring_keep(now, level, msg, len);
    /* One write per line so concurrent writers never interleave within a line. */
    if (write(log_fd, msg, (size_t)len) < 0) {
        /* nowhere left to report it */
    }
}
