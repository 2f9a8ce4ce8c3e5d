/*
 * The event loop: one per process, single-threaded, on epoll. It watches file
 * descriptors, runs timers (a min-heap keyed by monotonic milliseconds), turns
 * signals into callbacks (signalfd) and runs deferred callbacks after the
 * current iteration's I/O, which is how objects are closed and freed outside
 * their own callbacks (as libuv's uv_close and redis' freeClientAsync do).
 *
 * Ownership: the loop never closes or frees what it is given; callers keep
 * their fds and args. All functions must be called from the loop's thread,
 * except mc_loop_wake(), which any thread may call.
 */
#ifndef MC_LOOP_H
#define MC_LOOP_H

#include <stdint.h>

#include "mc_common.h"

struct mc_loop;
struct mc_timer;

enum {
    MC_READ = 1u << 0,
    MC_WRITE = 1u << 1,
    MC_HUP = 1u << 2,     /* reported only: peer hung up or error on the fd */
};

typedef void (*mc_io_cb)(struct mc_loop *loop, int fd, unsigned events, void *arg);
typedef void (*mc_timer_cb)(struct mc_loop *loop, struct mc_timer *t, void *arg);
typedef void (*mc_defer_cb)(struct mc_loop *loop, void *arg);
typedef void (*mc_signal_cb)(struct mc_loop *loop, int signo, void *arg);

/* A new loop, or NULL when epoll/eventfd cannot be created (errno set). */
struct mc_loop *mc_loop_new(void);
/* Frees the loop. Pending timers and deferred callbacks are dropped without running;
 * watched fds are not closed. */
void mc_loop_free(struct mc_loop *loop);

/* Runs until mc_loop_stop(). Returns 0, or MC_EIO when epoll_wait fails. */
int mc_loop_run(struct mc_loop *loop);
/* Runs one iteration, waiting at most timeout_ms (-1: until something happens). */
int mc_loop_run_once(struct mc_loop *loop, int timeout_ms);
/* Makes mc_loop_run() return after the current iteration. */
void mc_loop_stop(struct mc_loop *loop);
/* Cached monotonic time in ms, updated once per iteration. */
uint64_t mc_loop_now(const struct mc_loop *loop);

/* Watches fd for events (MC_READ|MC_WRITE). One watcher per fd. MC_EEXIST when the
 * fd is already watched, MC_EIO when epoll refuses it. */
int mc_loop_add_fd(struct mc_loop *loop, int fd, unsigned events, mc_io_cb cb, void *arg);
/* Changes the events watched for fd. MC_ENOTFOUND when not watched. */
int mc_loop_mod_fd(struct mc_loop *loop, int fd, unsigned events);
/* Stops watching fd (before the caller closes it). Safe inside any callback:
 * no further events for fd are delivered in this iteration. */
int mc_loop_del_fd(struct mc_loop *loop, int fd);

/* A timer firing after timeout_ms, then every repeat_ms when repeat_ms > 0.
 * The loop owns the timer: it is freed after a one-shot fires or on cancel. */
struct mc_timer *mc_loop_timer_add(struct mc_loop *loop, uint64_t timeout_ms,
                                   uint64_t repeat_ms, mc_timer_cb cb, void *arg);
/* Cancels and frees a pending timer (also allowed from its own callback). NULL is a no-op. */
void mc_loop_timer_cancel(struct mc_loop *loop, struct mc_timer *t);

/* Runs cb(arg) after this iteration's I/O and timers (or in the next iteration when
 * called from a deferred callback). Callbacks run in the order they were deferred. */
void mc_loop_defer(struct mc_loop *loop, mc_defer_cb cb, void *arg);

/* Delivers signo through the loop (blocks it for the process and reads a signalfd). */
int mc_loop_signal(struct mc_loop *loop, int signo, mc_signal_cb cb, void *arg);

/* Wakes a loop blocked in epoll_wait; safe from any thread and from signal handlers. */
void mc_loop_wake(struct mc_loop *loop);

#endif
