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

void mc_log_at(enum mc_log_level level, const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    int len;

    if (level < mc_log_get_level())
        return;
    va_start(ap, fmt);
    len = mc_log_format(msg, (int)sizeof(msg), mc_unix_time(), file, line, level, fmt, ap);
    va_end(ap);
    /* One write per line so concurrent writers never interleave within a line. */
    if (write(log_fd, msg, (size_t)len) < 0) {
        /* nowhere left to report it */
    }
}
