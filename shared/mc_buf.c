/* Capped growable buffer: see mc_buf.h. */
#include "mc_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_banned.h"

void mc_buf_init(struct mc_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void mc_buf_release(struct mc_buf *b)
{
    free(b->data);
    mc_buf_init(b, b->max);
}

void mc_buf_reset(struct mc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *mc_buf_reserve(struct mc_buf *b, size_t n)
{
    size_t need;

    if (n > b->max || b->len > b->max - n)
        return NULL;
    need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        b->data = mc_realloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void mc_buf_commit(struct mc_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int mc_buf_append(struct mc_buf *b, const void *p, size_t n)
{
    char *dst = mc_buf_reserve(b, n);

    if (!dst)
        return MC_ETOOBIG;
    if (n)
        memcpy(dst, p, n);
    mc_buf_commit(b, n);
    return MC_OK;
}

int mc_buf_append_str(struct mc_buf *b, const char *s)
{
    return mc_buf_append(b, s, strlen(s));
}

int mc_buf_append_byte(struct mc_buf *b, char c)
{
    return mc_buf_append(b, &c, 1);
}

int mc_buf_vappendf(struct mc_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    char *dst;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return MC_EINVAL;
    dst = mc_buf_reserve(b, (size_t)n);
    if (!dst)
        return MC_ETOOBIG;
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    mc_buf_commit(b, (size_t)n);
    return MC_OK;
}

int mc_buf_appendf(struct mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = mc_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void mc_buf_consume(struct mc_buf *b, size_t n)
{
    if (n >= b->len) {
        mc_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

const char *mc_buf_cstr(const struct mc_buf *b)
{
    return b->data ? b->data : "";
}

struct mc_slice mc_buf_slice(const struct mc_buf *b)
{
    return (struct mc_slice){ mc_buf_cstr(b), b->len };
}

char *mc_buf_detach(struct mc_buf *b, size_t *len)
{
    char *p = b->data ? b->data : mc_strdup("");

    if (len)
        *len = b->len;
    mc_buf_init(b, b->max);
    return p;
}
