/*
 * The prompt's registry watch (regwatch.h). One thread per watched domain;
 * everything it shares with the prompt is in struct mc_regwatch under mu,
 * except the stop flag, which the transport also reads from its progress
 * check (transport.h's per-thread cancel flag) and which a signal sent to
 * the thread makes it look at at once: libcurl's wait is a poll(), which a
 * signal always interrupts.
 */
#include "regwatch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mc_common.h"
#include "transport.h"
#include "mc_banned.h"

#define REGWATCH_BACKOFF_MIN_MS 100u
#define REGWATCH_BACKOFF_MAX_MS 2000u
#define REGWATCH_LIST_TIMEOUT_MS 2000u
#define REGWATCH_STEADY_MS 1000u /* a watch that lasted this long resets the backoff */
#define REGWATCH_JOIN_POLL_MS 20 /* the wake signal is sent again this often */

struct mc_regwatch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;             /* the backoff's sleep, woken by stop */
    volatile sig_atomic_t stop;    /* the thread's transport cancel flag */
    bool live;                     /* listed and watching: names are current */
    struct mc_regwatch_set set;
    char *domain;
    /* the session to open (strings owned here), and what the prompt had */
    char *config_file, *env, *namespace_, *proxy_address, *address;
};

/* ---- the set ------------------------------------------------------------------------ */

void mc_regwatch_set_release(struct mc_regwatch_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].version);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static size_t set_find(const struct mc_regwatch_set *s, const char *name, const char *version)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0 && strcmp(s->v[i].version, version) == 0)
            return i;
    return s->n;
}

static bool set_add(struct mc_regwatch_set *s, const char *name, const char *version)
{
    if (set_find(s, name, version) < s->n || s->n >= MC_REGWATCH_MAX_ENTRIES)
        return false;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = mc_realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n].name = mc_strdup(name);
    s->v[s->n].version = mc_strdup(version);
    s->n++;
    return true;
}

static bool set_remove(struct mc_regwatch_set *s, const char *name, const char *version)
{
    size_t i = set_find(s, name, version);

    if (i == s->n)
        return false;
    free(s->v[i].name);
    free(s->v[i].version);
    s->v[i] = s->v[--s->n];
    return true;
}

/* A service object's name and version ("" when absent); false without a name. */
static bool service_id(const cJSON *svc, const char **name, const char **version)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(svc, "name");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "version");

    if (!cJSON_IsString(n) || !n->valuestring[0])
        return false;
    *name = n->valuestring;
    *version = cJSON_IsString(v) ? v->valuestring : "";
    return true;
}

int mc_regwatch_set_load(struct mc_regwatch_set *s, const char *json, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "services"), *svc;
    struct mc_regwatch_set fresh = { 0 };

    if (!cJSON_IsObject(doc) || (list && !cJSON_IsArray(list))) {
        cJSON_Delete(doc);
        return MC_EPROTO;
    }
    cJSON_ArrayForEach(svc, list)
    {
        const char *name, *version;
        if (service_id(svc, &name, &version))
            set_add(&fresh, name, version);
    }
    cJSON_Delete(doc);
    mc_regwatch_set_release(s);
    *s = fresh;
    return 0;
}

int mc_regwatch_set_apply(struct mc_regwatch_set *s, const char *json, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(doc, "action");
    const char *name, *version;
    int rc = 0;

    if (!service_id(cJSON_GetObjectItemCaseSensitive(doc, "service"), &name, &version)) {
        cJSON_Delete(doc);
        return MC_EPROTO;
    }
    const char *a = cJSON_IsString(action) ? action->valuestring : "";
    if (strcmp(a, "create") == 0 || strcmp(a, "update") == 0)
        rc = set_add(s, name, version);
    else if (strcmp(a, "delete") == 0)
        rc = set_remove(s, name, version);
    cJSON_Delete(doc);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **mc_regwatch_set_names(const struct mc_regwatch_set *s)
{
    char **names = mc_calloc(s->n + 1, sizeof(*names));
    size_t k = 0;

    for (size_t i = 0; i < s->n; i++)
        names[k++] = s->v[i].name; /* borrowed while sorting */
    qsort(names, k, sizeof(*names), cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(names[i], names[u - 1]) != 0)
            names[u++] = names[i];
    for (size_t i = 0; i < u; i++)
        names[i] = mc_strdup(names[i]);
    names[u] = NULL;
    return names;
}

/* ---- the thread ----------------------------------------------------------------------- */

static bool stopping(struct mc_regwatch *w)
{
    pthread_mutex_lock(&w->mu);
    bool stop = w->stop != 0;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void set_live(struct mc_regwatch *w, bool live)
{
    pthread_mutex_lock(&w->mu);
    w->live = live;
    pthread_mutex_unlock(&w->mu);
}

/* The thread's own session; its messages (a broken tokens file) go nowhere,
 * as the terminal belongs to the prompt. */
static bool session_open(struct mc_regwatch *w, struct mc_cli *s, FILE *quiet)
{
    struct mc_cli_options o = {
        .config_file = w->config_file,
        .env = w->env,
        .namespace_ = w->namespace_,
        .proxy_address = w->proxy_address,
    };
    char err[256];

    if (mc_cli_open(s, &o, err, sizeof(err)) != 0)
        return false;
    s->out = quiet;
    s->err = quiet;
    return true;
}

static char *domain_request(const struct mc_regwatch *w)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "domain", w->domain);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return body;
}

static bool list_services(struct mc_regwatch *w, struct mc_cli *s, const char *body)
{
    struct mc_call_opts co = { .timeout_ms = REGWATCH_LIST_TIMEOUT_MS };
    struct mc_cli_failure f;
    char *rsp = NULL;

    mc_cli_failure_init(&f);
    int rc = mc_cli_call(s, "registry", "Registry.ListServices", body, &co, &rsp, &f);
    mc_cli_failure_release(&f);
    if (rc != 0)
        return false;
    pthread_mutex_lock(&w->mu);
    rc = mc_regwatch_set_load(&w->set, rsp, strlen(rsp));
    w->live = rc == 0;
    pthread_mutex_unlock(&w->mu);
    free(rsp);
    return rc == 0;
}

static int on_event(void *ud, const char *json, size_t len)
{
    struct mc_regwatch *w = ud;

    pthread_mutex_lock(&w->mu);
    mc_regwatch_set_apply(&w->set, json, len);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* One round: list, then follow the watch until it ends. Returns how long the
 * watch lasted (0 when it never started). */
static uint64_t watch_round(struct mc_regwatch *w, FILE *quiet)
{
    struct mc_cli s;
    uint64_t started = 0, lasted = 0;

    if (!session_open(w, &s, quiet))
        return 0;
    char *body = domain_request(w);
    if (!stopping(w) && list_services(w, &s, body)) {
        struct mc_cli_failure f;
        mc_cli_failure_init(&f);
        started = mc_now_ms();
        mc_cli_stream(&s, "registry", "Registry.Watch", body, NULL, on_event, w, &f);
        lasted = mc_now_ms() - started;
        mc_cli_failure_release(&f);
    }
    set_live(w, false);
    free(body);
    mc_cli_close(&s);
    return lasted;
}

/* Sleeps ms unless stop comes first. */
static void backoff_sleep(struct mc_regwatch *w, unsigned ms)
{
    struct timespec until;

    mc_deadline_after(CLOCK_MONOTONIC, ms, &until);
    pthread_mutex_lock(&w->mu);
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&w->mu);
}

static void *watch_main(void *arg)
{
    struct mc_regwatch *w = arg;
    unsigned backoff = REGWATCH_BACKOFF_MIN_MS;
    sigset_t wake;
    FILE *quiet = fopen("/dev/null", "we");

    sigemptyset(&wake);
    sigaddset(&wake, MC_TRANSPORT_WAKE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    mc_transport_set_cancel(&w->stop);
    while (quiet && !stopping(w)) {
        if (watch_round(w, quiet) >= REGWATCH_STEADY_MS)
            backoff = REGWATCH_BACKOFF_MIN_MS;
        if (stopping(w))
            break;
        backoff_sleep(w, backoff);
        backoff = MC_MIN(2 * backoff, REGWATCH_BACKOFF_MAX_MS);
    }
    mc_transport_set_cancel(NULL);
    if (quiet)
        fclose(quiet);
    return NULL;
}

/* ---- starting and stopping -------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? mc_strdup(s) : NULL;
}

static void regwatch_free(struct mc_regwatch *w)
{
    mc_regwatch_set_release(&w->set);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->domain);
    free(w->config_file);
    free(w->env);
    free(w->namespace_);
    free(w->proxy_address);
    free(w->address);
    free(w);
}

struct mc_regwatch *mc_regwatch_start(const struct mc_cli *cli, const char *domain)
{
    struct mc_regwatch *w = mc_calloc(1, sizeof(*w));
    pthread_condattr_t ca;
    sigset_t all, old;

    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->domain = mc_strdup(domain);
    w->config_file = dup_or_null(cli->opts.config_file);
    w->env = mc_strdup(cli->env);
    w->namespace_ = mc_strdup(cli->namespace_);
    w->proxy_address = dup_or_null(cli->opts.proxy_address);
    w->address = mc_strdup(cli->address);
    mc_transport_wake_install();
    /* the thread starts with every signal blocked and unblocks the wake one */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, watch_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        mc_transport_wake_remove();
        regwatch_free(w);
        return NULL;
    }
    return w;
}

void mc_regwatch_stop(struct mc_regwatch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    /* again and again: a signal that lands before the thread's poll is lost */
    for (;;) {
        struct timespec until;
        mc_transport_wake(w->thread);
        mc_deadline_after(CLOCK_REALTIME, REGWATCH_JOIN_POLL_MS, &until);
        if (pthread_timedjoin_np(w->thread, NULL, &until) == 0)
            break;
    }
    mc_transport_wake_remove();
    regwatch_free(w);
}

bool mc_regwatch_follows(const struct mc_regwatch *w, const struct mc_cli *cli)
{
    return w && strcmp(w->env, cli->env) == 0 && strcmp(w->address, cli->address) == 0 &&
           strcmp(w->namespace_, cli->namespace_) == 0;
}

int mc_regwatch_names(struct mc_regwatch *w, char ***names)
{
    *names = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->live)
        *names = mc_regwatch_set_names(&w->set);
    pthread_mutex_unlock(&w->mu);
    return *names ? 0 : MC_EAGAIN;
}
