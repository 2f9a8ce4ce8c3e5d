/* Spawning and reaping the runtime's children: see rt_proc.h. */
#include "runtime/rt_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mc_common.h"
#include "mc_banned.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static void child_fail(const char *what)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "runtime: %s: %s\n", what, strerror(errno));

    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n);
    _exit(127);
}

/* In the child, before exec or fn: the isolation rt_proc.h promises. */
static void child_setup(const struct rt_spawn *s, pid_t parent)
{
    sigset_t none;
    int null;

    (void)setpgid(0, 0);
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)   /* the server died before prctl took effect */
        _exit(1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(s->out_fd, STDOUT_FILENO) < 0 ||
        dup2(s->out_fd, STDERR_FILENO) < 0)
        child_fail("cannot set up stdio");
    if (null > STDERR_FILENO)
        close(null);
    /* fds 0-2 stay; the server's sockets, databases and the out pipe's copy go */
    if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
            close((int)fd);
    }
    if (s->cwd && chdir(s->cwd) < 0)
        child_fail(s->cwd);
}

int rt_spawn(const struct rt_spawn *s, pid_t *pid, int *pidfd)
{
    pid_t parent = getpid(), p;
    int fd;

    p = fork();
    if (p < 0)
        return MC_EIO;
    if (p == 0) {
        child_setup(s, parent);
        if (!s->argv)
            _exit(s->fn(s->arg) & 0xff);
        execvpe(s->argv[0], s->argv, s->envp);
        child_fail(s->argv[0]);
    }
    (void)setpgid(p, p);   /* also from the parent: no window where a signal misses it */
    fd = (int)syscall(SYS_pidfd_open, p, 0);
    if (fd < 0) {
        kill(p, SIGKILL);
        (void)waitpid(p, NULL, 0);
        return MC_EIO;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    *pid = p;
    *pidfd = fd;
    return MC_OK;
}

bool rt_reap(pid_t pid, int *status)
{
    pid_t r;

    do {
        r = waitpid(pid, status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ECHILD) {   /* already reaped elsewhere: treat as gone */
        *status = 0;
        return true;
    }
    return r == pid;
}

int rt_signal_group(pid_t pid, int sig)
{
    if (pid <= 0)
        return MC_ENOTFOUND;
    if (kill(-pid, sig) == 0)
        return MC_OK;
    /* the group may not exist yet or any more: try the process itself */
    return kill(pid, sig) == 0 ? MC_OK : MC_ENOTFOUND;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rt_rmtree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? MC_OK : MC_EIO;
    return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) == 0 ? MC_OK : MC_EIO;
}

int rt_mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(tmp))
        return MC_EIO;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return MC_EIO;
        *p = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? MC_EIO : MC_OK;
}

void rt_describe_exit(int status, char *out, size_t outlen)
{
    if (WIFSIGNALED(status))
        snprintf(out, outlen, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
}
