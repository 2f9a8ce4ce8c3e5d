/*
 * The runtime's manager: the lifecycle of each service (fetch → build → run,
 * restarts, stops) driven by loop callbacks. Every stage is a child process
 * (rt_proc.h) whose pidfd and output pipe are watched by the loop; output goes
 * to the service's log file (and to build.log during fetch and build).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "mc_arena.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "registry/registry.h"
#include "runtime/rt_fetch.h"
#include "runtime/rt_internal.h"
#include "runtime/rt_proc.h"
#include "runtime/rt_source.h"
#include "runtime/runtime.h"
#include "settings.h"
#include "storage/storage.h"
#include "mc_banned.h"

#define RT_TABLE "runtime"
#define BUILD_ERROR_LINES 5
#define ERROR_MAX 1024

extern char **environ;

static void on_exit_ready(struct mc_loop *loop, int fd, unsigned events, void *arg);

/* ---- paths and records ------------------------------------------------------------------ */

char *rt_dir(const struct mc_runtime *rt, const struct rt_record *r, const char *suffix)
{
    size_t n = strlen(rt->home) + strlen(r->ns) + strlen(r->name) + strlen(r->version) +
               (suffix ? strlen(suffix) : 0) + 32;
    char *p = mc_malloc(n);

    snprintf(p, n, "%s/runtime/%s/%s/%s%s%s", rt->home, r->ns, r->name, r->version,
             suffix ? "/" : "", suffix ? suffix : "");
    return p;
}

char *rt_log_path(const struct mc_runtime *rt, const char *ns, const char *name)
{
    size_t n = strlen(rt->home) + strlen(ns) + strlen(name) + 32;
    char *p = mc_malloc(n);

    snprintf(p, n, "%s/logs/%s/%s.log", rt->home, ns, name);
    return p;
}

int rt_save(struct rt_svc *s)
{
    char *key = rt_record_key(s->rec.ns, s->rec.name, s->rec.version);
    char *json = rt_record_to_json(&s->rec);
    struct mc_storage_record r = { .key = key, .value = json, .value_len = strlen(json) };
    int rc = mc_storage_write(s->rt->core->storage, MC_STORAGE_DEFAULT, RT_TABLE, &r);

    if (rc < 0)
        mc_log_error("runtime: cannot save %s: %s", key, mc_strerror(rc));
    free(key);
    free(json);
    return rc;
}

static void set_status(struct rt_svc *s, int status, const char *error)
{
    char now[32];

    rt_time_rfc3339((time_t)mc_unix_time(), now, sizeof(now));
    s->rec.status = status;
    rt_record_set(&s->rec.updated, now);
    rt_record_set(&s->rec.error, error);
    if (status == RT_ERROR)
        mc_log_error("runtime: %s/%s:%s: %s", s->rec.ns, s->rec.name, s->rec.version,
                     error ? error : "error");
    else
        mc_log_info("runtime: %s/%s:%s is %s", s->rec.ns, s->rec.name, s->rec.version,
                    rt_status_name(status));
    (void)rt_save(s);
    rt_publish(s, RT_EVENT_STATUS);
}

struct rt_svc *rt_find(struct mc_runtime *rt, const char *ns, const char *name,
                       const char *version)
{
    for (struct rt_svc *s = rt->svcs; s; s = s->next) {
        if (!s->gone && strcmp(s->rec.ns, ns) == 0 && strcmp(s->rec.name, name) == 0 &&
            strcmp(s->rec.version, version) == 0)
            return s;
    }
    return NULL;
}

struct rt_svc *rt_add(struct mc_runtime *rt, struct rt_record *rec)
{
    struct rt_svc *s = mc_calloc(1, sizeof(*s)), **pp = &rt->svcs;

    s->rt = rt;
    s->rec = *rec;
    memset(rec, 0, sizeof(*rec));
    s->pidfd = s->out_fd = -1;
    s->log.fd = s->build.fd = s->log.idx_fd = s->build.idx_fd = -1;
    while (*pp)   /* keep creation order */
        pp = &(*pp)->next;
    *pp = s;
    rt->nsvcs++;
    return s;
}

static void svc_unlink_free(struct mc_loop *loop, void *arg)
{
    struct rt_svc *s = arg;
    struct mc_runtime *rt = s->rt;

    (void)loop;
    for (struct rt_svc **pp = &rt->svcs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            rt->nsvcs--;
            break;
        }
    }
    rt_record_release(&s->rec);
    free(s);
}

/* ---- the service account ---------------------------------------------------------------- */

/* The account <name>-<version> of the service's namespace, made anew: its
 * secret is only known when it is generated. *id and *secret are malloc'd. */
static int make_account(struct rt_svc *s, char **id, char **secret)
{
    size_t n = strlen(s->rec.name) + strlen(s->rec.version) + 2;

    *id = mc_malloc(n);
    snprintf(*id, n, "%s-%s", s->rec.name, s->rec.version);
    *secret = NULL;
    if (!s->rt->core->auth)
        return MC_OK;   /* no auth service: services run without credentials */
    return mc_auth_new_service_account(s->rt->core->auth, s->rec.ns, *id, secret);
}

static void delete_account(struct rt_svc *s)
{
    size_t n = strlen(s->rec.name) + strlen(s->rec.version) + 2;
    char *id = mc_malloc(n);

    snprintf(id, n, "%s-%s", s->rec.name, s->rec.version);
    if (s->rt->core->auth)
        (void)mc_auth_delete_service_account(s->rt->core->auth, s->rec.ns, id);
    free(id);
}

/* ---- children ------------------------------------------------------------------------------ */

static void copy_output(struct rt_svc *s)
{
    char buf[65536];
    ssize_t n;

    while (s->out_fd >= 0) {
        n = read(s->out_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                mc_loop_del_fd(s->rt->core->loop, s->out_fd);
                close(s->out_fd);
                s->out_fd = -1;
            }
            return;
        }
        (void)rt_logw_write(&s->log, buf, (size_t)n);
        if (s->build.fd >= 0)
            (void)rt_logw_write(&s->build, buf, (size_t)n);
        if (s->log.path && s->rt->follows)
            rt_follow_poke(s->rt, s->log.path);
    }
}

static void on_output(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    copy_output(arg);
}

static void close_child(struct rt_svc *s)
{
    struct mc_loop *loop = s->rt->core->loop;

    copy_output(s);   /* what the child wrote before exiting */
    if (s->out_fd >= 0) {
        mc_loop_del_fd(loop, s->out_fd);
        close(s->out_fd);
        s->out_fd = -1;
    }
    if (s->pidfd >= 0) {
        mc_loop_del_fd(loop, s->pidfd);
        close(s->pidfd);
        s->pidfd = -1;
    }
    rt_logw_close(&s->build);
    rt_logw_close(&s->log);
    s->pid = 0;
    s->stage = RT_STAGE_NONE;
}

/* Starts a child for stage with its output going to the logs. 0 or MC_EIO. */
static int spawn_stage(struct rt_svc *s, enum rt_stage stage, struct rt_spawn *sp)
{
    struct mc_loop *loop = s->rt->core->loop;
    char *logp = rt_log_path(s->rt, s->rec.ns, s->rec.name), *slash;
    int p[2], rc;

    slash = strrchr(logp, '/');
    *slash = '\0';
    (void)rt_mkdirs(logp);
    *slash = '/';
    rc = rt_logw_open(&s->log, logp);
    free(logp);
    if (rc < 0 || pipe2(p, O_CLOEXEC) < 0) {
        rt_logw_close(&s->log);
        return MC_EIO;
    }
    sp->out_fd = p[1];
    rc = rt_spawn(sp, &s->pid, &s->pidfd);
    close(p[1]);
    if (rc < 0) {
        close(p[0]);
        rt_logw_close(&s->log);
        return rc;
    }
    (void)fcntl(p[0], F_SETFL, O_NONBLOCK);
    s->out_fd = p[0];
    s->stage = stage;
    mc_loop_add_fd(loop, s->out_fd, MC_READ, on_output, s);
    mc_loop_add_fd(loop, s->pidfd, MC_READ, on_exit_ready, s);
    return MC_OK;
}

static void fail(struct rt_svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct rt_svc *s, const char *fmt, ...)
{
    char msg[ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_status(s, RT_ERROR, msg);
}

/* ---- fetch ----------------------------------------------------------------------------------- */

void rt_start(struct rt_svc *s)
{
    struct rt_fetch f = { 0 };
    struct rt_spawn sp = { 0 };
    char err[512], *dir = rt_dir(s->rt, &s->rec, NULL), *src = rt_dir(s->rt, &s->rec, "src");
    char *buildlog = rt_dir(s->rt, &s->rec, "build.log"), *meta;
    uint8_t *blob = NULL;
    int rc;

    mc_loop_timer_cancel(s->rt->core->loop, s->timer);
    s->timer = NULL;
    set_status(s, RT_PENDING, NULL);
    rt_record_set(&s->rec.build, NULL);
    if (rt_source_parse(s->rec.source, &f.src, err, sizeof(err)) < 0) {
        fail(s, "%s", err);
        goto out;
    }
    /* upstream's CLI sends a git ref as the version (`micro run repo@dev` is
     * version dev), with the source without it */
    if (f.src.kind == RT_SOURCE_GIT && !f.src.ref[0] && strcmp(s->rec.version, "latest") != 0)
        snprintf(f.src.ref, sizeof(f.src.ref), "%s", s->rec.version);
    if (f.src.kind == RT_SOURCE_BLOB) {
        const char *bns = s->rec.group && s->rec.group[0] ? s->rec.group : s->rec.ns;
        rc = mc_storage_blob_get(s->rt->core->storage, bns, f.src.url, &blob, &f.len);
        if (rc == MC_ENOTFOUND && strcmp(bns, s->rec.ns) != 0)
            rc = mc_storage_blob_get(s->rt->core->storage, s->rec.ns, f.src.url, &blob, &f.len);
        if (rc < 0) {
            fail(s, "source %s not found: upload it again", f.src.url);
            goto out;
        }
        f.data = blob;
    }
    (void)rt_mkdirs(dir);
    for (size_t i = 0; i < 2; i++) {
        meta = rt_dir(s->rt, &s->rec, i ? "error" : "commit");
        unlink(meta);
        free(meta);
    }
    unlink(buildlog);
    f.dir = src;
    f.meta_dir = dir;
    sp.cwd = dir;
    sp.fn = rt_fetch_run;
    sp.arg = &f;
    if (spawn_stage(s, RT_STAGE_FETCH, &sp) < 0)
        fail(s, "cannot start fetching %s: %s", s->rec.source, strerror(errno));
out:
    free(blob);
    free(dir);
    free(src);
    free(buildlog);
}

struct envb {
    char **v;
    size_t n;
};

static void env_add(struct envb *e, const char *k, const char *v)
{
    size_t n = strlen(k) + (v ? strlen(v) : 0) + 2;
    char *kv = mc_malloc(n);

    snprintf(kv, n, "%s%s%s", k, v ? "=" : "", v ? v : "");
    e->v = mc_realloc(e->v, (e->n + 2) * sizeof(*e->v));
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
}

static void env_free(struct envb *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

/* The server's environment without MICRO_* (its keys and addresses are its own). */
static void server_env(struct envb *e)
{
    env_add(e, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
    for (char **p = environ; p && *p; p++) {
        if (strncmp(*p, "MICRO_", 6) != 0 && strncmp(*p, "PATH=", 5) != 0)
            env_add(e, *p, NULL);
    }
}

/* ---- build ----------------------------------------------------------------------------------- */

static bool file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder to build: src/<folder of a host/org/repo/folder source>/<entrypoint>
 * (malloc'd). */
static char *work_dir(struct rt_svc *s)
{
    const char *ep = s->rec.entrypoint ? s->rec.entrypoint : "";
    struct rt_source *parsed = mc_calloc(1, sizeof(*parsed));
    char *src = rt_dir(s->rt, &s->rec, "src"), err[256], *w;
    size_t n;

    if (rt_source_parse(s->rec.source ? s->rec.source : "", parsed, err, sizeof(err)) < 0)
        parsed->folder[0] = '\0';
    n = strlen(src) + strlen(parsed->folder) + strlen(ep) + 3;
    w = mc_malloc(n);
    snprintf(w, n, "%s%s%s%s%s", src, parsed->folder[0] ? "/" : "", parsed->folder,
             ep[0] ? "/" : "", ep);
    free(parsed);
    free(src);
    return w;
}

static void begin_build(struct rt_svc *s)
{
    static char *cmake_argv[] = { "/bin/sh", "-c",
                                  "cmake -S . -B .micro/build -DCMAKE_BUILD_TYPE=RelWithDebInfo"
                                  " && cmake --build .micro/build -j2",
                                  NULL };
    static char *make_argv[] = { "make", NULL };
    struct rt_spawn sp = { 0 };
    char *wd = work_dir(s), *buildlog = rt_dir(s->rt, &s->rec, "build.log");
    struct stat st;

    struct envb env = { 0 };

    server_env(&env);   /* the contract: builds see the server's environment */
    sp.cwd = wd;
    sp.envp = env.v;
    if (stat(wd, &st) < 0 || !S_ISDIR(st.st_mode))
        fail(s, "no folder %s in %s", s->rec.entrypoint, s->rec.typed);
    else if (file_exists(wd, "CMakeLists.txt"))
        sp.argv = cmake_argv;
    else if (file_exists(wd, "Makefile") || file_exists(wd, "makefile") ||
             file_exists(wd, "GNUmakefile"))
        sp.argv = make_argv;
    else
        fail(s, "no CMakeLists.txt or Makefile in %s", s->rec.typed);
    if (sp.argv) {
        set_status(s, RT_BUILDING, NULL);
        unlink(buildlog);   /* build.log holds this build's output only */
        if (rt_logw_open(&s->build, buildlog) < 0 || spawn_stage(s, RT_STAGE_BUILD, &sp) < 0) {
            rt_logw_close(&s->build);
            fail(s, "cannot start the build: %s", strerror(errno));
        }
    }
    env_free(&env);
    free(wd);
    free(buildlog);
}

/* "build failed: <last lines of build.log>" joined with "; ". */
static void build_failed(struct rt_svc *s, int status)
{
    char *path = rt_dir(s->rt, &s->rec, "build.log"), desc[64];
    char msg[ERROR_MAX];
    struct mc_buf tail;
    uint64_t end;
    size_t o;

    rt_describe_exit(status, desc, sizeof(desc));
    mc_buf_init(&tail, RT_LOG_TAIL_MAX);
    o = (size_t)snprintf(msg, sizeof(msg), "build failed (%s)", desc);
    if (rt_tail_file(path, BUILD_ERROR_LINES, &tail, &end) == MC_OK && tail.len) {
        const char *p = tail.data;
        const char *sep = ": ";
        while (*p && o < sizeof(msg) - 1) {
            size_t n = strcspn(p, "\n");
            if (n)
                o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%.*s", sep, (int)n, p);
            if (o >= sizeof(msg))
                o = sizeof(msg) - 1;
            sep = "; ";
            p += n + (p[n] == '\n');
        }
    }
    mc_buf_release(&tail);
    free(path);
    fail(s, "%s", msg);
}

/* ---- run --------------------------------------------------------------------------------------- */

static char *find_exe(struct rt_svc *s)
{
    const char *cands[] = { ".micro/build/", "" };
    char *wd = work_dir(s), path[4096];
    struct stat st;

    for (size_t i = 0; i < MC_ARRAY_LEN(cands); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", wd, cands[i], s->rec.name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
            free(wd);
            return mc_strdup(path);
        }
    }
    free(wd);
    return NULL;
}

/* The proxy address the server really listens on (its core services' node). */
static char *proxy_addr(struct mc_runtime *rt)
{
    struct mc_arena ar;
    char **addrs = NULL, *out;
    size_t n = 0;

    mc_arena_init(&ar);
    if (mc_registry_lookup_nodes(rt->core->registry, "micro", "runtime", &ar, &addrs, &n) == 0 &&
        n > 0)
        out = mc_strdup(addrs[0]);
    else
        out = mc_strdup(rt->core->settings->proxy_address);
    mc_arena_release(&ar);
    return out;
}

/* The server's environment, then the variables of spec §10, then the user's --env_vars. */
static void build_env(struct rt_svc *s, struct envb *e, const char *id, const char *secret)
{
    char *proxy = proxy_addr(s->rt);

    server_env(e);
    env_add(e, "MICRO_SERVICE_NAME", s->rec.name);
    env_add(e, "MICRO_SERVICE_VERSION", s->rec.version);
    env_add(e, "MICRO_NAMESPACE", s->rec.ns);
    env_add(e, "MICRO_PROXY", proxy);
    env_add(e, "MICRO_PROFILE", "service");
    if (secret) {
        env_add(e, "MICRO_AUTH_ID", id);
        env_add(e, "MICRO_AUTH_SECRET", secret);
    }
    for (size_t i = 0; i < s->rec.nenv; i++)
        env_add(e, s->rec.env[i], NULL);
    free(proxy);
}

static void on_up(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct rt_svc *s = arg;

    (void)loop;
    (void)t;
    s->timer = NULL;
    if (s->stage == RT_STAGE_RUN && !s->stopping)
        set_status(s, RT_RUNNING, NULL);
}

static void begin_run(struct rt_svc *s)
{
    char *exe = find_exe(s), *id = NULL, *secret = NULL, *wd = work_dir(s), now[32];
    char *argv[2] = { exe, NULL };
    struct envb env = { 0 };
    struct rt_spawn sp = { .cwd = wd, .argv = argv };

    if (!exe) {
        fail(s, "executable %s missing after the build (want .micro/build/%s or ./%s)",
             s->rec.name, s->rec.name, s->rec.name);
        goto out;
    }
    if (make_account(s, &id, &secret) < 0) {
        fail(s, "cannot create the service account %s", id);
        goto out;
    }
    build_env(s, &env, id, secret);
    sp.envp = env.v;
    rt_time_rfc3339((time_t)mc_unix_time(), now, sizeof(now));
    rt_record_set(&s->rec.started, now);
    set_status(s, RT_STARTING, NULL);
    if (spawn_stage(s, RT_STAGE_RUN, &sp) < 0) {
        fail(s, "cannot start %s: %s", exe, strerror(errno));
        goto out;
    }
    s->timer = mc_loop_timer_add(s->rt->core->loop, RT_UP_MS, 0, on_up, s);
out:
    env_free(&env);
    free(exe);
    free(wd);
    free(id);
    free(secret);
}

static void on_backoff(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct rt_svc *s = arg;

    (void)loop;
    (void)t;
    s->timer = NULL;
    if (s->stage == RT_STAGE_NONE && !s->stopping)
        begin_run(s);
}

static void crashed(struct rt_svc *s, int status)
{
    char desc[64], msg[ERROR_MAX];
    unsigned delay;

    s->rec.retries++;
    delay = rt_backoff_seconds(s->rec.retries);
    rt_describe_exit(status, desc, sizeof(desc));
    snprintf(msg, sizeof(msg), "process %s; restart %lld in %us", desc, (long long)s->rec.retries,
             delay);
    mc_loop_timer_cancel(s->rt->core->loop, s->timer);
    set_status(s, RT_ERROR, msg);
    s->timer = mc_loop_timer_add(s->rt->core->loop, (uint64_t)delay * 1000, 0, on_backoff, s);
}

/* ---- exits and stops ------------------------------------------------------------------------- */

static void finish_stop(struct rt_svc *s)
{
    struct mc_loop *loop = s->rt->core->loop;

    mc_loop_timer_cancel(loop, s->kill_timer);
    s->kill_timer = NULL;
    s->stopping = false;
    switch (s->after) {
    case RT_AFTER_DELETE: {
        char *key = rt_record_key(s->rec.ns, s->rec.name, s->rec.version);
        char *dir = rt_dir(s->rt, &s->rec, NULL);
        const char *bns = s->rec.group && s->rec.group[0] ? s->rec.group : s->rec.ns;
        (void)mc_storage_delete(s->rt->core->storage, MC_STORAGE_DEFAULT, RT_TABLE, key);
        if (s->rec.source && strncmp(s->rec.source, "source://", 9) == 0) {
            (void)mc_storage_blob_delete(s->rt->core->storage, bns, s->rec.source);
            if (strcmp(bns, s->rec.ns) != 0)
                (void)mc_storage_blob_delete(s->rt->core->storage, s->rec.ns, s->rec.source);
        }
        (void)rt_rmtree(dir);
        delete_account(s);
        mc_log_info("runtime: deleted %s/%s:%s", s->rec.ns, s->rec.name, s->rec.version);
        free(key);
        free(dir);
        s->stage = RT_STAGE_NONE;
        s->rec.status = RT_STOPPED;
        rt_publish(s, RT_EVENT_DELETED);
        s->gone = true;
        mc_loop_defer(loop, svc_unlink_free, s);   /* not inside its own callback */
        break;
    }
    case RT_AFTER_RESTART:
        s->rec.retries = 0;
        rt_start(s);
        break;
    case RT_AFTER_STOPPED:
        set_status(s, RT_STOPPED, NULL);
        break;
    }
}

static void on_exit_ready(struct mc_loop *loop, int fd, unsigned events, void *arg)
{
    struct rt_svc *s = arg;
    enum rt_stage stage = s->stage;
    char reason[ERROR_MAX], *dir;
    int status = 0;

    (void)loop;
    (void)fd;
    (void)events;
    if (!rt_reap(s->pid, &status))
        return;
    close_child(s);
    mc_loop_timer_cancel(s->rt->core->loop, s->timer);
    s->timer = NULL;
    if (s->stopping) {
        finish_stop(s);
        return;
    }
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    switch (stage) {
    case RT_STAGE_FETCH:
        dir = rt_dir(s->rt, &s->rec, NULL);
        if (ok) {
            rt_fetch_result(dir, "commit", reason, sizeof(reason));
            rt_record_set(&s->rec.build, reason[0] ? reason : NULL);
            begin_build(s);
        } else {
            rt_fetch_result(dir, "error", reason, sizeof(reason));
            fail(s, "%s", reason[0] ? reason : "cannot fetch the source");
        }
        free(dir);
        break;
    case RT_STAGE_BUILD:
        if (ok)
            begin_run(s);
        else
            build_failed(s, status);
        break;
    case RT_STAGE_RUN:
        crashed(s, status);
        break;
    case RT_STAGE_NONE:
        break;
    }
}

static void on_kill(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct rt_svc *s = arg;

    (void)loop;
    (void)t;
    s->kill_timer = NULL;
    mc_log_warn("runtime: %s did not stop in %d ms, killing it", s->rec.name, RT_STOP_GRACE_MS);
    (void)rt_signal_group(s->pid, SIGKILL);
}

void rt_stop(struct rt_svc *s, enum rt_after after)
{
    struct mc_loop *loop = s->rt->core->loop;

    s->after = after;
    mc_loop_timer_cancel(loop, s->timer);
    s->timer = NULL;
    if (s->stopping)
        return;   /* the running stop ends with the new `after` */
    if (s->stage == RT_STAGE_NONE) {
        finish_stop(s);
        return;
    }
    s->stopping = true;
    if (after != RT_AFTER_DELETE)
        set_status(s, RT_STOPPING, NULL);
    (void)rt_signal_group(s->pid, SIGTERM);
    s->kill_timer = mc_loop_timer_add(loop, RT_STOP_GRACE_MS, 0, on_kill, s);
}

/* ---- load and shutdown ------------------------------------------------------------------------ */

static void resume(struct rt_svc *s)
{
    char *src = rt_dir(s->rt, &s->rec, "src");
    struct stat st;

    mc_log_info("runtime: restarting recorded service %s/%s:%s", s->rec.ns, s->rec.name,
                s->rec.version);
    /* the source is on disk from the last start: an incremental build is enough */
    if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
        begin_build(s);
    else
        rt_start(s);
    free(src);
}

static void resume_all(struct mc_loop *loop, void *arg)
{
    struct mc_runtime *rt = arg;

    (void)loop;
    for (struct rt_svc *s = rt->svcs; s; s = s->next) {
        if (s->rec.status != RT_ERROR && s->rec.status != RT_STOPPED && s->stage == RT_STAGE_NONE)
            resume(s);
    }
}

void rt_load(struct mc_runtime *rt)
{
    struct mc_storage_query q = { .database = MC_STORAGE_DEFAULT, .table = RT_TABLE,
                                  .prefix = "service:" };
    struct mc_storage_items items = { 0 };

    if (mc_storage_read(rt->core->storage, &q, &items) < 0) {
        mc_log_error("runtime: cannot read the service records");
        return;
    }
    for (size_t i = 0; i < items.n && rt->nsvcs < RT_SERVICES_MAX; i++) {
        struct rt_record rec = { 0 };
        if (rt_record_from_json((const char *)items.v[i].value, items.v[i].value_len, &rec) < 0 ||
            !rt_name_valid(rec.ns) || !rt_name_valid(rec.name) || !rt_name_valid(rec.version)) {
            rt_record_release(&rec);
            mc_log_warn("runtime: skipping bad record %s", items.v[i].key);
            continue;
        }
        if (!rec.entrypoint)
            rt_record_set(&rec.entrypoint, "");
        if (!rec.typed)
            rt_record_set(&rec.typed, rec.source ? rec.source : "");
        rt_add(rt, &rec);
    }
    mc_storage_items_release(&items);
    /* after the loop starts: the registry then holds the proxy's address */
    mc_loop_defer(rt->core->loop, resume_all, rt);
}

void rt_kill_all(struct mc_runtime *rt)
{
    uint64_t deadline = mc_now_ms() + RT_STOP_GRACE_MS;
    pid_t *groups = mc_calloc(rt->nsvcs + 1, sizeof(*groups));
    size_t ngroups = 0;
    bool left = false;
    int status;

    for (struct rt_svc *s = rt->svcs; s; s = s->next) {
        if (s->pid > 0) {
            groups[ngroups++] = s->pid;
            (void)rt_signal_group(s->pid, SIGTERM);
        }
    }
    do {
        left = false;
        for (struct rt_svc *s = rt->svcs; s; s = s->next) {
            if (s->pid > 0 && rt_reap(s->pid, &status))
                close_child(s);
            left |= s->pid > 0;
        }
        if (left)
            usleep(20 * 1000);
    } while (left && mc_now_ms() < deadline);
    for (struct rt_svc *s = rt->svcs; s; s = s->next) {
        if (s->pid <= 0)
            continue;
        mc_log_warn("runtime: %s did not stop in %d ms, killing it", s->rec.name,
                    RT_STOP_GRACE_MS);
        (void)rt_signal_group(s->pid, SIGKILL);
        (void)waitpid(s->pid, &status, 0);
        close_child(s);
    }
    /* what the leaders left in their groups (the compilers of a build) */
    for (size_t i = 0; i < ngroups; i++)
        (void)kill(-groups[i], SIGKILL);
    free(groups);
}

void rt_free_all(struct mc_runtime *rt)
{
    struct mc_loop *loop = rt->core->loop;

    while (rt->svcs) {
        struct rt_svc *s = rt->svcs;
        rt->svcs = s->next;
        mc_loop_timer_cancel(loop, s->timer);
        mc_loop_timer_cancel(loop, s->kill_timer);
        rt_record_release(&s->rec);
        free(s);
    }
    rt->nsvcs = 0;
}
