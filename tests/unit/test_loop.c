/* Unit tests for mc_loop (fds, timers, defer, signals, wake) and mc_net (listen/connect/accept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mc_loop.h"
#include "mc_net.h"

struct record {
    char order[64];
    size_t n;
    int count;
    struct mc_timer *self;
};

static void mark(struct record *r, char c)
{
    if (r->n < sizeof(r->order) - 1)
        r->order[r->n++] = c;
}

static void on_timer_a(struct mc_loop *l, struct mc_timer *t, void *arg) { mark(arg, 'a'); }
static void on_timer_b(struct mc_loop *l, struct mc_timer *t, void *arg) { mark(arg, 'b'); }
static void on_timer_c(struct mc_loop *l, struct mc_timer *t, void *arg)
{
    mark(arg, 'c');
    mc_loop_stop(l);
}

static void test_timers_fire_in_deadline_order(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    struct record r = { 0 };
    (void)state;
    mc_loop_timer_add(loop, 30, 0, on_timer_c, &r);
    mc_loop_timer_add(loop, 10, 0, on_timer_b, &r);
    mc_loop_timer_add(loop, 1, 0, on_timer_a, &r);
    struct mc_timer *cancelled = mc_loop_timer_add(loop, 5, 0, on_timer_a, &r);
    mc_loop_timer_cancel(loop, cancelled);
    assert_int_equal(mc_loop_run(loop), MC_OK);
    assert_string_equal(r.order, "abc");
    mc_loop_free(loop);
}

static void on_repeat(struct mc_loop *l, struct mc_timer *t, void *arg)
{
    struct record *r = arg;
    mark(r, 'r');
    if (++r->count == 3) {
        mc_loop_timer_cancel(l, t);   /* cancel from inside its own callback */
        mc_loop_stop(l);
    }
}

static void test_repeating_timer_cancelled_in_callback(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    struct record r = { 0 };
    (void)state;
    mc_loop_timer_add(loop, 1, 1, on_repeat, &r);
    mc_loop_run(loop);
    assert_string_equal(r.order, "rrr");
    mc_loop_free(loop);   /* ASan: the cancelled timer was freed exactly once */
}

static void deferred_2(struct mc_loop *l, void *arg) { mark(arg, '2'); mc_loop_stop(l); }
static void deferred_1(struct mc_loop *l, void *arg)
{
    mark(arg, '1');
    mc_loop_defer(l, deferred_2, arg);   /* runs in the next round, after '3' */
}
static void deferred_3(struct mc_loop *l, void *arg) { mark(arg, '3'); }

static void test_defer_runs_in_order_and_nested_next_round(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    struct record r = { 0 };
    (void)state;
    mc_loop_defer(loop, deferred_1, &r);
    mc_loop_defer(loop, deferred_3, &r);
    mc_loop_run(loop);
    assert_string_equal(r.order, "132");
    mc_loop_free(loop);
}

struct pipe_state {
    int fds[2];
    int reads;
    char got[16];
};

static void on_readable(struct mc_loop *l, int fd, unsigned ev, void *arg)
{
    struct pipe_state *p = arg;
    ssize_t n = read(fd, p->got, sizeof(p->got) - 1);
    assert_true(n > 0);
    p->reads++;
    /* Deleting inside the callback must stop further events. */
    assert_int_equal(mc_loop_del_fd(l, fd), MC_OK);
    mc_loop_stop(l);
}

static void test_fd_readable_and_del_inside_callback(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    struct pipe_state p = { 0 };
    (void)state;
    assert_int_equal(pipe(p.fds), 0);
    assert_int_equal(mc_loop_add_fd(loop, p.fds[0], MC_READ, on_readable, &p), MC_OK);
    assert_int_equal(mc_loop_add_fd(loop, p.fds[0], MC_READ, on_readable, &p), MC_EEXIST);
    assert_int_equal(write(p.fds[1], "hi", 2), 2);
    mc_loop_run(loop);
    assert_int_equal(p.reads, 1);
    assert_string_equal(p.got, "hi");
    assert_int_equal(mc_loop_del_fd(loop, p.fds[0]), MC_ENOTFOUND);
    assert_int_equal(mc_loop_mod_fd(loop, p.fds[0], MC_WRITE), MC_ENOTFOUND);
    close(p.fds[0]);
    close(p.fds[1]);
    mc_loop_free(loop);
}

static void on_sig(struct mc_loop *l, int signo, void *arg)
{
    *(int *)arg = signo;
    mc_loop_stop(l);
}

static void test_signal_delivered_through_loop(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    int got = 0;
    (void)state;
    assert_int_equal(mc_loop_signal(loop, SIGUSR1, on_sig, &got), MC_OK);
    raise(SIGUSR1);
    mc_loop_run(loop);
    assert_int_equal(got, SIGUSR1);
    mc_loop_free(loop);
}

static void test_run_once_times_out(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    uint64_t t0 = mc_now_ms();
    (void)state;
    assert_int_equal(mc_loop_run_once(loop, 20), MC_OK);
    assert_true(mc_now_ms() - t0 >= 15);
    mc_loop_free(loop);
}

/* ---- mc_net ---- */

struct conn_state {
    int lfd, cfd, sfd;
    bool connected;
};

static void on_accept(struct mc_loop *l, int fd, unsigned ev, void *arg)
{
    struct conn_state *c = arg;
    c->sfd = mc_net_accept(fd);
    if (c->sfd >= 0 && c->connected)
        mc_loop_stop(l);
}

static void on_connected(struct mc_loop *l, int fd, unsigned ev, void *arg)
{
    struct conn_state *c = arg;
    assert_int_equal(mc_net_connect_result(fd), MC_OK);
    c->connected = true;
    mc_loop_del_fd(l, fd);
    if (c->sfd >= 0)
        mc_loop_stop(l);
}

static void test_listen_connect_accept_on_ephemeral_port(void **state)
{
    struct mc_loop *loop = mc_loop_new();
    struct conn_state c = { .sfd = -1 };
    char err[256], addr[64];
    (void)state;
    c.lfd = mc_net_listen("127.0.0.1:0", err, sizeof(err));
    assert_true(c.lfd >= 0);
    assert_int_equal(mc_net_local_addr(c.lfd, addr, sizeof(addr)), MC_OK);
    assert_non_null(strstr(addr, "127.0.0.1:"));
    assert_int_equal(mc_net_accept(c.lfd), MC_EAGAIN);
    c.cfd = mc_net_connect(addr, err, sizeof(err));
    assert_true(c.cfd >= 0);
    mc_loop_add_fd(loop, c.lfd, MC_READ, on_accept, &c);
    mc_loop_add_fd(loop, c.cfd, MC_WRITE, on_connected, &c);
    mc_loop_run(loop);
    assert_true(c.connected);
    assert_true(c.sfd >= 0);
    assert_int_equal(write(c.cfd, "x", 1), 1);
    close(c.sfd);
    close(c.cfd);
    close(c.lfd);
    mc_loop_free(loop);
}

static void test_split_addresses(void **state)
{
    char host[64];
    int port;
    (void)state;
    assert_int_equal(mc_net_split("127.0.0.1:8080", host, sizeof(host), &port), MC_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(mc_net_split("[::1]:81", host, sizeof(host), &port), MC_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(mc_net_split(":0", host, sizeof(host), &port), MC_OK);
    assert_string_equal(host, "");
    assert_int_equal(mc_net_split("localhost", host, sizeof(host), &port), MC_EINVAL);
    assert_int_equal(mc_net_split("h:70000", host, sizeof(host), &port), MC_EINVAL);
    assert_int_equal(mc_net_split("::1:80", host, sizeof(host), &port), MC_EINVAL);
    assert_int_equal(mc_net_split("h:", host, sizeof(host), &port), MC_EINVAL);
}

static void test_connect_refused_and_bad_listen(void **state)
{
    char err[256], addr[64];
    int lfd, fd;
    (void)state;
    /* Find a free port, then close it: connecting there is refused. */
    lfd = mc_net_listen("127.0.0.1:0", err, sizeof(err));
    mc_net_local_addr(lfd, addr, sizeof(addr));
    close(lfd);
    fd = mc_net_connect(addr, err, sizeof(err));
    if (fd >= 0) {
        usleep(50000);
        assert_int_equal(mc_net_connect_result(fd), MC_ECONNREFUSED);
        close(fd);
    } else {
        assert_int_equal(fd, MC_ECONNREFUSED);
    }
    assert_int_equal(mc_net_listen("nonsense", err, sizeof(err)), MC_EADDR);
    assert_non_null(strstr(err, "invalid address"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_repeating_timer_cancelled_in_callback),
        cmocka_unit_test(test_defer_runs_in_order_and_nested_next_round),
        cmocka_unit_test(test_fd_readable_and_del_inside_callback),
        cmocka_unit_test(test_signal_delivered_through_loop),
        cmocka_unit_test(test_run_once_times_out),
        cmocka_unit_test(test_listen_connect_accept_on_ephemeral_port),
        cmocka_unit_test(test_split_addresses),
        cmocka_unit_test(test_connect_refused_and_bad_listen),
    };
    return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
