/*
 * Answers held for the group commit (see mc_rpc_durability in mc_rpc.h), for
 * frontends that can answer a call after its handler returned: after a call
 * that may have written, the frontend asks here whether its answer must wait,
 * and if so keeps it and gets a callback. At the end of the
 * loop round (a 0 ms timer, after the round's I/O) one commit settles every
 * held answer: each callback runs once, with NULL (send the answer as it is) or
 * with the error to send instead (the commit failed).
 */
#ifndef MC_RPC_HOLD_H
#define MC_RPC_HOLD_H

#include <stdbool.h>

#include "mc_error.h"
#include "mc_loop.h"
#include "mc_rpc.h"

struct mc_rpc_hold;

typedef void (*mc_rpc_settled_fn)(const struct mc_error *err, void *arg);

/* Holds answers of srv's calls on loop (both borrowed: they outlive the result). */
struct mc_rpc_hold *mc_rpc_hold_new(struct mc_loop *loop, const struct mc_rpc_server *srv);
/* After a call of m invoked with ctx->hold_answer: when writes are pending, holds
 * its answer (fn runs at the round's commit) and returns true; false when nothing
 * is pending and the answer goes out now. */
bool mc_rpc_hold_if_pending(struct mc_rpc_hold *h, const struct mc_rpc_method *m,
                            mc_rpc_settled_fn fn, void *arg);
/* Settles what is held now (the callbacks run) and frees. NULL is a no-op. */
void mc_rpc_hold_free(struct mc_rpc_hold *h);

#endif
