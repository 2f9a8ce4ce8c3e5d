/*
 * The capped growable byte buffer used everywhere (after git's strbuf and
 * curl's dynbuf): every buffer has a maximum size fixed at init, so no input
 * can grow one without bound. data is always NUL-terminated (the NUL is not
 * counted in len), so text can be handed to C string functions directly.
 */
#ifndef MC_BUF_H
#define MC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "mc_common.h"

struct mc_buf {
    char *data;   /* NULL until the first append; then len+1 bytes valid */
    size_t len;   /* bytes in use, excluding the terminating NUL */
    size_t cap;   /* bytes allocated */
    size_t max;   /* hard limit on len */
};

/* A zeroed buffer with the given limit. Allocates nothing. */
void mc_buf_init(struct mc_buf *b, size_t max);
/* Frees the storage and leaves an empty buffer with the same limit. */
void mc_buf_release(struct mc_buf *b);
/* Empties the buffer, keeping its storage. */
void mc_buf_reset(struct mc_buf *b);

/* Appends n bytes. MC_ETOOBIG (buffer unchanged) when len+n would pass max. */
int mc_buf_append(struct mc_buf *b, const void *p, size_t n);
int mc_buf_append_str(struct mc_buf *b, const char *s);
int mc_buf_append_byte(struct mc_buf *b, char c);
/* printf-style append. MC_ETOOBIG (unchanged) when the result passes max. */
int mc_buf_appendf(struct mc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mc_buf_vappendf(struct mc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Makes room for n more bytes; returns a pointer to write into, or NULL past max.
 * Call mc_buf_commit(b, k) afterwards with the k <= n bytes actually written. */
char *mc_buf_reserve(struct mc_buf *b, size_t n);
void mc_buf_commit(struct mc_buf *b, size_t n);

/* Drops the first n bytes (n > len drops everything). */
void mc_buf_consume(struct mc_buf *b, size_t n);

/* The contents as a C string ("" for a buffer never written). */
const char *mc_buf_cstr(const struct mc_buf *b);
struct mc_slice mc_buf_slice(const struct mc_buf *b);

/* Hands the storage to the caller (free() it) and re-inits the buffer.
 * Returns an allocated "" for an empty buffer; never NULL. */
char *mc_buf_detach(struct mc_buf *b, size_t *len);

#endif
