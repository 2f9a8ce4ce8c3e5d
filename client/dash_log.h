/*
 * The dashboard's log buffer: a bounded ring of the lines of the service
 * whose log is open. Lines arrive from the log feeder thread (the caller
 * holds the model's lock) and are read by the renderer and by `s` (save).
 * When the ring is full the oldest line goes and `dropped` counts it, so a
 * flood never grows memory without bound and never loses a line silently:
 * the log view and the saved file both say how many lines were dropped.
 * Also here, pure helpers the log view uses: JSON log lines made readable,
 * and case-insensitive matching for `/` and `n`/`N`.
 */
#ifndef MC_CLIENT_DASH_LOG_H
#define MC_CLIENT_DASH_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mc_buf.h"

#define DASH_LOG_DEFAULT_LINES 100000u  /* scrollback kept (k9s keeps 1,000) */
#define DASH_LOG_LINE_MAX (64u * 1024)  /* longer lines are cut (the runtime's record cap) */

struct dash_line {
    char *text;      /* heap, NUL-terminated, no newline */
    size_t len;
    int64_t ts;      /* unix seconds from the record, 0 when unknown */
};

struct dash_log {
    struct dash_line *v; /* cap slots; the oldest kept line is at head */
    size_t cap, head, len;
    uint64_t total;      /* lines ever pushed since the last clear */
    uint64_t dropped;    /* lines evicted because the ring was full */
};

/* An empty ring of cap lines (cap 0 = DASH_LOG_DEFAULT_LINES). */
void dash_log_init(struct dash_log *l, size_t cap);
void dash_log_release(struct dash_log *l);
/* Forgets every line and resets the counters; the capacity stays. */
void dash_log_clear(struct dash_log *l);

/* Appends a copy of text[0..len) (cut at DASH_LOG_LINE_MAX, a trailing
 * newline removed); when full, the oldest line is freed and counted. */
void dash_log_push(struct dash_log *l, const char *text, size_t len, int64_t ts);

/* Line i, 0 = the oldest kept; NULL when i >= len. Valid until the next push. */
const struct dash_line *dash_log_at(const struct dash_log *l, size_t i);

/*
 * Writes every kept line to f, one per line, preceded by a line saying how
 * many were dropped when any were. 0, or MC_EIO when a write fails.
 */
int dash_log_save(const struct dash_log *l, FILE *f);

/*
 * A log line for people: when text is a JSON object, its level and message
 * (keys "level"/"lvl"/"severity", "msg"/"message") first, then the other
 * keys as key=value; otherwise text unchanged. Appends to out; 0 or MC_ETOOBIG.
 */
int dash_log_readable(const char *text, size_t len, struct mc_buf *out);

/* Whether pat (ASCII case-insensitive substring) occurs in text; an empty
 * pat matches everything. */
bool dash_match(const char *text, size_t len, const char *pat);

#endif
