/* Per-request arena: see mc_arena.h. */
#include "mc_arena.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_common.h"
#include "mc_banned.h"

#define CHUNK_SIZE 4096

struct mc_arena_chunk {
    struct mc_arena_chunk *next;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

static void *pb_alloc(void *data, size_t n)
{
    return mc_arena_alloc(data, n);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p;   /* released with the arena */
}

void mc_arena_init(struct mc_arena *a)
{
    a->chunks = NULL;
    a->used = 0;
    a->total = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

void mc_arena_release(struct mc_arena *a)
{
    struct mc_arena_chunk *c = a->chunks, *next;

    for (; c; c = next) {
        next = c->next;
        free(c);
    }
    mc_arena_init(a);
}

void *mc_arena_alloc(struct mc_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t need = (n + align - 1) & ~(align - 1);
    struct mc_arena_chunk *c = a->chunks;
    void *p;

    if (need == 0)
        need = align;
    if (!c || c->size - a->used < need) {
        size_t size = need > CHUNK_SIZE / 2 ? need : CHUNK_SIZE;
        struct mc_arena_chunk *nc = mc_malloc(sizeof(*nc) + size);
        nc->size = size;
        if (c && size == need && c->size - a->used > 0) {
            /* A big block: put it behind the current chunk so its free space stays usable. */
            nc->next = c->next;
            c->next = nc;
            a->total += need;
            memset(nc->data, 0, need);
            return nc->data;
        }
        nc->next = c;
        a->chunks = nc;
        a->used = 0;
        c = nc;
    }
    p = c->data + a->used;
    a->used += need;
    a->total += need;
    memset(p, 0, need);
    return p;
}

char *mc_arena_strndup(struct mc_arena *a, const char *s, size_t n)
{
    char *p = mc_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mc_arena_strdup(struct mc_arena *a, const char *s)
{
    return mc_arena_strndup(a, s, strlen(s));
}

char *mc_arena_printf(struct mc_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    p = mc_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

ProtobufCAllocator *mc_arena_pb(struct mc_arena *a)
{
    return &a->pb;
}

ProtobufCMessage *mc_arena_message(struct mc_arena *a, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = mc_arena_alloc(a, d->sizeof_message);
    d->message_init(m);
    return m;
}
