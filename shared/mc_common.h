/*
 * Common ground for every libmicro module: the one table of error codes that
 * functions return (0 or a negative MC_E* value, as libuv does), the borrowed
 * byte slice, and allocation wrappers that abort on failure (out of memory is
 * fatal, decided once here; anything a peer sends is a recoverable error).
 */
#ifndef MC_COMMON_H
#define MC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

/* X-macro: name, value, message (lower case, no final period). */
#define MC_ERRNO_MAP(X)                                              \
    X(ENOMEM, -1, "out of memory")                                   \
    X(EINVAL, -2, "invalid argument")                                \
    X(ETOOBIG, -3, "input exceeds its limit")                        \
    X(EPROTO, -4, "protocol error")                                  \
    X(EIO, -5, "i/o error")                                          \
    X(ECLOSED, -6, "connection closed")                              \
    X(ETIMEDOUT, -7, "deadline exceeded")                            \
    X(ECANCELED, -8, "canceled")                                     \
    X(ENOTFOUND, -9, "not found")                                    \
    X(EAGAIN, -10, "need more data")                                 \
    X(EEXIST, -11, "already exists")                                 \
    X(EADDR, -12, "cannot resolve or bind address")                  \
    X(ECONNREFUSED, -13, "connection refused")                       \
    X(EUNSUPPORTED, -14, "unsupported")                             \
    X(ENOSPC, -15, "no space left on the disk")                      \
    X(EROFS, -16, "the storage is read-only")

enum mc_errno {
    MC_OK = 0,
#define MC_ERRNO_ENUM(name, val, msg) MC_##name = (val),
    MC_ERRNO_MAP(MC_ERRNO_ENUM)
#undef MC_ERRNO_ENUM
};

/* Message for a code from the table; "unknown error" for anything else. */
const char *mc_strerror(int code);

/* Borrowed bytes: never owns ptr. */
struct mc_slice {
    const char *ptr;
    size_t len;
};
#define MC_SLICE_LIT(s) ((struct mc_slice){ (s), sizeof(s) - 1 })
struct mc_slice mc_slice_cstr(const char *s);
bool mc_slice_eq(struct mc_slice a, struct mc_slice b);
bool mc_slice_eq_cstr(struct mc_slice a, const char *s);
/* Case-insensitive ASCII comparison. */
bool mc_slice_ieq_cstr(struct mc_slice a, const char *s);

/* Allocation wrappers: they never return NULL (abort with a message instead). */
void *mc_malloc(size_t n);
void *mc_calloc(size_t n, size_t size);
void *mc_realloc(void *p, size_t n);
char *mc_strdup(const char *s);
char *mc_strndup(const char *s, size_t n);
/* Hook run before abort() on allocation failure (the client uses it for endwin()). */
void mc_set_oom_hook(void (*hook)(void));

/* Monotonic and wall clocks. */
uint64_t mc_now_ms(void);       /* CLOCK_MONOTONIC, milliseconds */
uint64_t mc_now_ns(void);       /* CLOCK_MONOTONIC, nanoseconds */
int64_t mc_unix_time(void);     /* wall clock, seconds */
/* *ts = now on clock + ms: the absolute deadline pthread_cond_timedwait and
 * pthread_timedjoin_np take (clock: what the condition variable waits on). */
void mc_deadline_after(clockid_t clock, uint64_t ms, struct timespec *ts);

/* Value of an ASCII hex digit (0-15), or -1 for any other byte. */
int mc_hex_value(int c);

/* Strict decimal parsing (never atoi): whole string, range checked. 0 or MC_EINVAL. */
int mc_parse_i64(const char *s, int64_t *out);
int mc_parse_u64(const char *s, uint64_t *out);

/* Writes all n bytes to fd, retrying short writes and EINTR. 0, or -1 with errno set. */
int mc_write_all(int fd, const void *p, size_t n);

/* 64-bit FNV-1a over n bytes, continuing from h (start with MC_FNV1A_INIT): for
 * hash tables and fingerprints, not for anything an attacker must not collide. */
#define MC_FNV1A_INIT 14695981039346656037ull
uint64_t mc_fnv1a(uint64_t h, const void *p, size_t n);

/* A random (version 4) UUID in lower-case hex with dashes, as upstream's ids
 * (node ids, event ids). Uses libsodium's CSPRNG. */
#define MC_UUID_LEN 36
void mc_uuid_v4(char out[MC_UUID_LEN + 1]);

#define MC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MC_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
