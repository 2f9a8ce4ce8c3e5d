/*
 * Per-request arena (after h2o's pools): allocations are bump-pointer carved from
 * chunks and all freed at once by mc_arena_release(). Request-scoped data (a
 * decoded request, the handler's response message and its strings) lives here,
 * so handlers never free individual fields and may point at static strings.
 * The arena can also serve as a ProtobufCAllocator for protobuf_c_message_unpack().
 */
#ifndef MC_ARENA_H
#define MC_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct mc_arena_chunk;

struct mc_arena {
    struct mc_arena_chunk *chunks;   /* newest first */
    size_t used;                     /* bytes used in the newest chunk */
    size_t total;                    /* bytes handed out, for limits and stats */
    ProtobufCAllocator pb;           /* allocator view of this arena */
};

void mc_arena_init(struct mc_arena *a);
/* Frees every allocation; the arena can be used again. */
void mc_arena_release(struct mc_arena *a);

/* Zeroed memory aligned for any type; never NULL (aborts on OOM). */
void *mc_arena_alloc(struct mc_arena *a, size_t n);
char *mc_arena_strdup(struct mc_arena *a, const char *s);
char *mc_arena_strndup(struct mc_arena *a, const char *s, size_t n);
char *mc_arena_printf(struct mc_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A protobuf-c allocator backed by the arena: free() is a no-op. */
ProtobufCAllocator *mc_arena_pb(struct mc_arena *a);

/* A new message of the descriptor's type, initialised, in the arena. */
ProtobufCMessage *mc_arena_message(struct mc_arena *a, const ProtobufCMessageDescriptor *d);

#endif
