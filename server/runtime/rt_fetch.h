/*
 * Getting a service's source onto disk: unpacking an uploaded archive
 * (shared/mc_tar.h) or cloning a git repository with libgit2 and checking out
 * a ref (branch, tag or commit; none = the remote's default branch). Both are
 * blocking, so the runtime runs rt_fetch_run in a forked child (rt_spawn's fn):
 * the result comes back as the exit status plus two small files in meta_dir,
 * "commit" (the checked-out commit id) and "error" (a one-line reason).
 */
#ifndef MC_RUNTIME_FETCH_H
#define MC_RUNTIME_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/rt_source.h"

struct rt_fetch {
    struct rt_source src;
    const char *dir;            /* where the source goes (emptied first) */
    const char *meta_dir;       /* where "commit" and "error" are written */
    const uint8_t *data;        /* RT_SOURCE_BLOB: the archive */
    size_t len;
};

/* Fetches (arg = struct rt_fetch). Returns 0 on success, 1 with meta_dir/error
 * written on failure. Logs progress on stdout. */
int rt_fetch_run(void *arg);

/* Reads meta_dir/name (first line, at most outlen-1 bytes) into out; "" when absent. */
void rt_fetch_result(const char *meta_dir, const char *name, char *out, size_t outlen);

#endif
