/*
 * The epoll event loop: see mc_loop.h. Watchers live in an array indexed by fd
 * (fds are small and dense); timers in a binary min-heap whose entries know
 * their own index so cancel is O(log n); deferred callbacks in a FIFO that is
 * swapped out before running, so a callback that defers again runs next round.
 */
#include "mc_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mc_banned.h"

#define MAX_EVENTS 256
#define MAX_SIGNALS 8

struct watcher {
    mc_io_cb cb;
    void *arg;
    unsigned events;
    bool active;
    unsigned gen;   /* bumped on del, so a stale event from this round is dropped */
};

struct mc_timer {
    uint64_t when;
    uint64_t repeat;
    mc_timer_cb cb;
    void *arg;
    size_t idx;     /* position in the heap */
};

struct deferred {
    mc_defer_cb cb;
    void *arg;
};

struct sig_handler {
    int signo;
    mc_signal_cb cb;
    void *arg;
};

struct mc_loop {
    int epfd;
    int wakefd;
    int sigfd;
    sigset_t sigmask;
    bool stop;
    uint64_t now;

    struct watcher *w;
    size_t nw;

    struct mc_timer **heap;
    size_t nheap, capheap;

    struct deferred *dq;
    size_t ndq, capdq;

    struct sig_handler sigs[MAX_SIGNALS];
    size_t nsigs;
};

/* Tags in epoll_event.data.u64: the fd in the low 32 bits, its watcher generation above. */
static uint64_t pack(int fd, unsigned gen)
{
    return ((uint64_t)gen << 32) | (uint32_t)fd;
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & MC_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & MC_WRITE)
        e |= EPOLLOUT;
    return e;
}

struct mc_loop *mc_loop_new(void)
{
    struct mc_loop *loop = mc_calloc(1, sizeof(*loop));
    struct epoll_event ev = { .events = EPOLLIN };

    loop->sigfd = -1;
    sigemptyset(&loop->sigmask);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epfd < 0 || loop->wakefd < 0)
        goto fail;
    ev.data.u64 = UINT64_MAX;   /* the wake fd */
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0)
        goto fail;
    loop->now = mc_now_ms();
    return loop;
fail:
    if (loop->epfd >= 0)
        close(loop->epfd);
    if (loop->wakefd >= 0)
        close(loop->wakefd);
    free(loop);
    return NULL;
}

void mc_loop_free(struct mc_loop *loop)
{
    if (!loop)
        return;
    for (size_t i = 0; i < loop->nheap; i++)
        free(loop->heap[i]);
    free(loop->heap);
    free(loop->dq);
    free(loop->w);
    if (loop->sigfd >= 0) {
        sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
        close(loop->sigfd);
    }
    close(loop->wakefd);
    close(loop->epfd);
    free(loop);
}

uint64_t mc_loop_now(const struct mc_loop *loop)
{
    return loop->now;
}

void mc_loop_stop(struct mc_loop *loop)
{
    loop->stop = true;
    mc_loop_wake(loop);
}

void mc_loop_wake(struct mc_loop *loop)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will wake anyway. */
    if (write(loop->wakefd, &one, sizeof(one)) < 0) {
    }
}

/* ---- file descriptors ---------------------------------------------------------- */

static struct watcher *watcher_for(struct mc_loop *loop, int fd, bool grow)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= loop->nw) {
        size_t n = loop->nw ? loop->nw : 64;
        if (!grow)
            return NULL;
        while (n <= (size_t)fd)
            n *= 2;
        loop->w = mc_realloc(loop->w, n * sizeof(*loop->w));
        memset(loop->w + loop->nw, 0, (n - loop->nw) * sizeof(*loop->w));
        loop->nw = n;
    }
    return &loop->w[fd];
}

int mc_loop_add_fd(struct mc_loop *loop, int fd, unsigned events, mc_io_cb cb, void *arg)
{
    struct watcher *w = watcher_for(loop, fd, true);
    struct epoll_event ev;

    if (!w)
        return MC_EINVAL;
    if (w->active)
        return MC_EEXIST;
    ev.events = to_epoll(events);
    ev.data.u64 = pack(fd, w->gen);
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return MC_EIO;
    w->cb = cb;
    w->arg = arg;
    w->events = events;
    w->active = true;
    return MC_OK;
}

int mc_loop_mod_fd(struct mc_loop *loop, int fd, unsigned events)
{
    struct watcher *w = watcher_for(loop, fd, false);
    struct epoll_event ev;

    if (!w || !w->active)
        return MC_ENOTFOUND;
    if (w->events == events)
        return MC_OK;
    ev.events = to_epoll(events);
    ev.data.u64 = pack(fd, w->gen);
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return MC_EIO;
    w->events = events;
    return MC_OK;
}

int mc_loop_del_fd(struct mc_loop *loop, int fd)
{
    struct watcher *w = watcher_for(loop, fd, false);

    if (!w || !w->active)
        return MC_ENOTFOUND;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    w->active = false;
    w->gen++;
    return MC_OK;
}

/* ---- timers: binary min-heap ---------------------------------------------------- */

static void heap_swap(struct mc_loop *loop, size_t a, size_t b)
{
    struct mc_timer *t = loop->heap[a];
    loop->heap[a] = loop->heap[b];
    loop->heap[b] = t;
    loop->heap[a]->idx = a;
    loop->heap[b]->idx = b;
}

static void heap_up(struct mc_loop *loop, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (loop->heap[parent]->when <= loop->heap[i]->when)
            break;
        heap_swap(loop, i, parent);
        i = parent;
    }
}

static void heap_down(struct mc_loop *loop, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < loop->nheap && loop->heap[l]->when < loop->heap[m]->when)
            m = l;
        if (r < loop->nheap && loop->heap[r]->when < loop->heap[m]->when)
            m = r;
        if (m == i)
            return;
        heap_swap(loop, i, m);
        i = m;
    }
}

static void heap_push(struct mc_loop *loop, struct mc_timer *t)
{
    if (loop->nheap == loop->capheap) {
        loop->capheap = loop->capheap ? loop->capheap * 2 : 16;
        loop->heap = mc_realloc(loop->heap, loop->capheap * sizeof(*loop->heap));
    }
    t->idx = loop->nheap;
    loop->heap[loop->nheap++] = t;
    heap_up(loop, t->idx);
}

static void heap_remove(struct mc_loop *loop, struct mc_timer *t)
{
    size_t i = t->idx;

    loop->nheap--;
    if (i != loop->nheap) {
        heap_swap(loop, i, loop->nheap);
        heap_down(loop, i);
        heap_up(loop, i);
    }
    t->idx = SIZE_MAX;
}

struct mc_timer *mc_loop_timer_add(struct mc_loop *loop, uint64_t timeout_ms,
                                   uint64_t repeat_ms, mc_timer_cb cb, void *arg)
{
    struct mc_timer *t = mc_calloc(1, sizeof(*t));

    t->when = mc_now_ms() + timeout_ms;
    t->repeat = repeat_ms;
    t->cb = cb;
    t->arg = arg;
    heap_push(loop, t);
    return t;
}

void mc_loop_timer_cancel(struct mc_loop *loop, struct mc_timer *t)
{
    if (!t)
        return;
    if (t->idx != SIZE_MAX)
        heap_remove(loop, t);
    /* A timer cancelled from its own callback is freed by run_timers once it returns. */
    if (t->cb)
        free(t);
    else
        t->repeat = 0;
}

static void run_timers(struct mc_loop *loop)
{
    while (loop->nheap > 0 && loop->heap[0]->when <= loop->now) {
        struct mc_timer *t = loop->heap[0];
        mc_timer_cb cb = t->cb;

        heap_remove(loop, t);
        /* While the callback runs, cb == NULL marks the timer as "firing" so that
         * mc_loop_timer_cancel() from inside it does not free it under our feet. */
        t->cb = NULL;
        cb(loop, t, t->arg);
        if (t->repeat > 0) {
            t->cb = cb;
            t->when = loop->now + t->repeat;
            heap_push(loop, t);
        } else {
            free(t);
        }
    }
}

static int next_timeout(struct mc_loop *loop, int timeout_ms)
{
    uint64_t wait;

    if (loop->ndq > 0 || loop->stop)
        return 0;
    if (loop->nheap == 0)
        return timeout_ms;
    wait = loop->heap[0]->when > loop->now ? loop->heap[0]->when - loop->now : 0;
    if (timeout_ms >= 0 && (uint64_t)timeout_ms < wait)
        return timeout_ms;
    return wait > INT32_MAX ? INT32_MAX : (int)wait;
}

/* ---- deferred callbacks --------------------------------------------------------- */

void mc_loop_defer(struct mc_loop *loop, mc_defer_cb cb, void *arg)
{
    if (loop->ndq == loop->capdq) {
        loop->capdq = loop->capdq ? loop->capdq * 2 : 16;
        loop->dq = mc_realloc(loop->dq, loop->capdq * sizeof(*loop->dq));
    }
    loop->dq[loop->ndq++] = (struct deferred){ cb, arg };
}

static void run_deferred(struct mc_loop *loop)
{
    struct deferred *q = loop->dq;
    size_t n = loop->ndq, cap = loop->capdq;

    if (n == 0)
        return;
    loop->dq = NULL;
    loop->ndq = loop->capdq = 0;
    for (size_t i = 0; i < n; i++)
        q[i].cb(loop, q[i].arg);
    /* Keep the larger array for reuse. */
    if (loop->dq == NULL) {
        loop->dq = q;
        loop->capdq = cap;
    } else {
        free(q);
    }
}

/* ---- signals ---------------------------------------------------------------------- */

static void on_signalfd(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct signalfd_siginfo si;

    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        for (size_t i = 0; i < loop->nsigs; i++)
            if (loop->sigs[i].signo == (int)si.ssi_signo)
                loop->sigs[i].cb(loop, (int)si.ssi_signo, loop->sigs[i].arg);
    }
}

int mc_loop_signal(struct mc_loop *loop, int signo, mc_signal_cb cb, void *arg)
{
    int fd;

    if (loop->nsigs == MAX_SIGNALS)
        return MC_ETOOBIG;
    sigaddset(&loop->sigmask, signo);
    if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
        return MC_EIO;
    fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return MC_EIO;
    if (loop->sigfd < 0) {
        loop->sigfd = fd;
        if (mc_loop_add_fd(loop, fd, MC_READ, on_signalfd, NULL) < 0)
            return MC_EIO;
    }
    loop->sigs[loop->nsigs++] = (struct sig_handler){ signo, cb, arg };
    return MC_OK;
}

/* ---- running ------------------------------------------------------------------------ */

static void dispatch(struct mc_loop *loop, struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    unsigned gen = (unsigned)(ev->data.u64 >> 32);
    struct watcher *w;
    unsigned events = 0;

    if (ev->data.u64 == UINT64_MAX) {
        uint64_t n;
        if (read(loop->wakefd, &n, sizeof(n)) < 0) {
        }
        return;
    }
    w = watcher_for(loop, fd, false);
    if (!w || !w->active || w->gen != gen)
        return;   /* deleted earlier in this round */
    if (ev->events & (EPOLLIN | EPOLLRDHUP))
        events |= MC_READ;
    if (ev->events & EPOLLOUT)
        events |= MC_WRITE;
    if (ev->events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
        events |= MC_HUP | (w->events & MC_READ);
    w->cb(loop, fd, events, w->arg);
}

int mc_loop_run_once(struct mc_loop *loop, int timeout_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int n;

    n = epoll_wait(loop->epfd, evs, MAX_EVENTS, next_timeout(loop, timeout_ms));
    if (n < 0 && errno != EINTR)
        return MC_EIO;
    loop->now = mc_now_ms();
    for (int i = 0; i < n; i++)
        dispatch(loop, &evs[i]);
    run_timers(loop);
    run_deferred(loop);
    return MC_OK;
}

int mc_loop_run(struct mc_loop *loop)
{
    int rc = MC_OK;

    loop->stop = false;
    while (!loop->stop && rc == MC_OK)
        rc = mc_loop_run_once(loop, -1);
    return rc;
}
