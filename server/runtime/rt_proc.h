/*
 * Child processes of the runtime: fetch, build and service processes. Each
 * child gets its own process group (so a stop signals everything it started,
 * make and compilers included), PR_SET_PDEATHSIG=SIGKILL (so a kill -9 of the
 * server does not leave it running), an unblocked signal mask and default
 * SIGPIPE (the server blocks signals for its signalfd and ignores SIGPIPE, both
 * inherited otherwise), stdin from /dev/null, stdout and stderr on out_fd, and
 * no other inherited descriptor. The parent watches its end through a pidfd,
 * which becomes readable when the child exits, so no SIGCHLD handler is
 * needed and the loop never blocks.
 */
#ifndef MC_RUNTIME_PROC_H
#define MC_RUNTIME_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct rt_spawn {
    const char *cwd;            /* folder to run in */
    char *const *argv;          /* program (looked up on PATH) and arguments; or NULL */
    char *const *envp;          /* the child's whole environment (argv only) */
    int out_fd;                 /* becomes the child's fds 1 and 2 (borrowed) */
    /* Without argv: runs fn(arg) in the forked child and exits with its result (0-255). */
    int (*fn)(void *arg);
    void *arg;
};

/* Starts the child. On success *pid and *pidfd (CLOEXEC, the caller closes it)
 * are set. MC_EIO when fork or pidfd_open fails (nothing started). */
int rt_spawn(const struct rt_spawn *s, pid_t *pid, int *pidfd);

/* Reaps an exited child without blocking: true with *status (waitpid's) when it
 * has exited, false while it runs. */
bool rt_reap(pid_t pid, int *status);

/* Sends sig to the child's whole process group (0, or MC_ENOTFOUND when gone). */
int rt_signal_group(pid_t pid, int sig);

/* Removes path and everything below it (a missing path is fine). 0 or MC_EIO. */
int rt_rmtree(const char *path);
/* Creates path and its parents (mode 0755). 0 or MC_EIO. */
int rt_mkdirs(const char *path);

/* "exited with status N" / "killed by signal N" for a waitpid status. */
void rt_describe_exit(int status, char *out, size_t outlen);

#endif
