/* Answers held for the round's commit: see mc_rpc_hold.h. */
#include "mc_rpc_hold.h"

#include <stdlib.h>

#include "mc_common.h"
#include "mc_banned.h"

struct held {
    struct held *next;
    void *batch;
    const char *service;
    mc_rpc_settled_fn fn;
    void *arg;
};

struct mc_rpc_hold {
    struct mc_loop *loop;
    const struct mc_rpc_server *srv;
    struct held *first, **last;
    struct mc_timer *timer;
};

struct mc_rpc_hold *mc_rpc_hold_new(struct mc_loop *loop, const struct mc_rpc_server *srv)
{
    struct mc_rpc_hold *h = mc_calloc(1, sizeof(*h));

    h->loop = loop;
    h->srv = srv;
    h->last = &h->first;
    return h;
}

/* Settles the answers held so far, in the order they were held. The first
 * settle commits the batch; the others learn its outcome. */
static void settle(struct mc_rpc_hold *h)
{
    struct held *list = h->first;

    h->first = NULL;
    h->last = &h->first;
    while (list) {
        struct held *e = list;
        struct mc_error err;

        list = e->next;
        mc_error_init(&err);
        if (mc_rpc_server_settle(h->srv, e->batch, e->service, &err) < 0)
            e->fn(&err, e->arg);
        else
            e->fn(NULL, e->arg);
        mc_error_release(&err);
        free(e);
    }
}

static void on_timer(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct mc_rpc_hold *h = arg;

    (void)loop;
    (void)t;
    h->timer = NULL;   /* a one-shot: the loop frees it */
    settle(h);
}

bool mc_rpc_hold_if_pending(struct mc_rpc_hold *h, const struct mc_rpc_method *m,
                            mc_rpc_settled_fn fn, void *arg)
{
    void *batch = mc_rpc_server_pending_writes(h->srv);
    struct held *e;

    if (!batch)
        return false;
    e = mc_calloc(1, sizeof(*e));
    e->batch = batch;
    e->service = mc_rpc_service_name(mc_rpc_method_service(m));
    e->fn = fn;
    e->arg = arg;
    *h->last = e;
    h->last = &e->next;
    if (!h->timer)
        h->timer = mc_loop_timer_add(h->loop, 0, 0, on_timer, h);
    return true;
}

void mc_rpc_hold_free(struct mc_rpc_hold *h)
{
    if (!h)
        return;
    if (h->timer)
        mc_loop_timer_cancel(h->loop, h->timer);
    settle(h);
    free(h);
}
