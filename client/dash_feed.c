/*
 * The dashboard's feeder threads (dash_feed.h). Each thread owns one
 * session; it touches the model only under the model's lock and wakes the
 * UI thread after a change. Waits between attempts are on the feed's
 * condition variable, so a poke or a stop ends them at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "dash_feed.h"
#include "mc_common.h"
#include "transport.h"
#include "mc_banned.h"

#define RETRY_MS 500           /* a stream that ended is opened again after this */
#define EVENTS_RETRY_MS 2000   /* the events service may not exist (yet) */
#define RESYNC_MAX 200         /* lines compared to skip repeats after a reconnect */

/* ---- waiting ----------------------------------------------------------------- */

/* Waits up to ms or until *flag (under f->mu) is set; clears it. */
static void wait_for(struct dash_feed *f, bool *flag, unsigned ms)
{
    struct timespec ts;

    mc_deadline_after(CLOCK_REALTIME, ms, &ts);
    pthread_mutex_lock(&f->mu);
    while (!f->stop && !(flag && *flag))
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) == ETIMEDOUT)
            break;
    if (flag)
        *flag = false;
    pthread_mutex_unlock(&f->mu);
}

static void set_flag(struct dash_feed *f, bool *flag)
{
    pthread_mutex_lock(&f->mu);
    *flag = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void dash_feed_poke(struct dash_feed *f)
{
    set_flag(f, &f->poke);
}

/* Makes the thread's running call stop now: its flag, then a signal so that
 * libcurl's poll returns and checks it. */
static void cancel_thread(struct dash_feed_thread *t)
{
    t->cancel = 1;
    if (t->started)
        mc_transport_wake(t->id);
}

static int open_session(struct dash_feed *f, struct mc_cli *cli)
{
    char err[256];

    if (mc_cli_open(cli, &f->opts, err, sizeof(err)) != 0)
        return -1;
    cli->out = stderr;
    cli->err = stderr;
    return 0;
}

static void failure_text(const struct mc_cli_failure *fl, char *buf, size_t n)
{
    const char *d = fl->error.detail && *fl->error.detail ? fl->error.detail : "call failed";
    if (fl->kind == MC_CLI_DIAL)
        snprintf(buf, n, "cannot connect: %s", d);
    else
        snprintf(buf, n, "%s", d);
}

/* ---- status: Runtime.Read, Registry.ListServices, Registry.GetService ---------- */

/* One unary call with a JSON request; the parsed answer or NULL (fl filled). */
static cJSON *call_json(struct mc_cli *cli, const char *svc, const char *ep, const char *req,
                        struct mc_cli_failure *fl)
{
    struct mc_call_opts o = { .timeout_ms = 5000 };
    char *rsp = NULL;
    cJSON *out;

    if (mc_cli_call(cli, svc, ep, req, &o, &rsp, fl) < 0)
        return NULL;
    out = cJSON_Parse(rsp ? rsp : "{}");
    free(rsp);
    return out;
}

static void poll_detail(struct dash_feed *f, struct mc_cli *cli)
{
    char name[DASH_NAME_MAX], req[DASH_NAME_MAX + 32];
    struct mc_cli_failure fl;
    cJSON *rsp;

    dash_model_lock(f->m);
    snprintf(name, sizeof(name), "%s", f->m->detail_name);
    dash_model_unlock(f->m);
    if (!name[0])
        return;
    snprintf(req, sizeof(req), "{\"service\":\"%s\"}", name);
    mc_cli_failure_init(&fl);
    rsp = call_json(cli, "registry", "Registry.GetService", req, &fl);
    dash_model_lock(f->m);
    if (strcmp(f->m->detail_name, name) == 0) {
        cJSON_Delete(f->m->detail);
        f->m->detail = rsp;
        rsp = NULL;
        if (!f->m->detail)
            failure_text(&fl, f->m->detail_error, sizeof(f->m->detail_error));
        else
            f->m->detail_error[0] = '\0';
        dash_model_wake(f->m);
    }
    dash_model_unlock(f->m);
    cJSON_Delete(rsp);
    mc_cli_failure_release(&fl);
}

static void poll_status(struct dash_feed *f, struct mc_cli *cli)
{
    char req[MC_CLI_NAME_MAX + 64];
    struct mc_cli_failure fl;
    Registry__ListResponse *reg = NULL;
    cJSON *rt;

    snprintf(req, sizeof(req), "{\"options\":{\"namespace\":\"%s\"}}", cli->namespace_);
    mc_cli_failure_init(&fl);
    rt = call_json(cli, "runtime", "Runtime.Read", req, &fl);
    /* the registry in protobuf: every second, its JSON would cost more than the rest */
    if (rt || fl.kind != MC_CLI_DIAL) {
        mc_cli_failure_release(&fl);
        mc_cli_failure_init(&fl);
        if (mc_cli_list_services(cli, NULL, &reg, &fl) < 0)
            reg = NULL;
    }
    dash_model_lock(f->m);
    if (rt || reg) {
        dash_model_set_services(f->m, cJSON_GetObjectItemCaseSensitive(rt, "services"), reg);
        f->m->conn = DASH_CONNECTED;
        f->m->refreshed_ms = mc_now_ms();
        f->m->conn_error[0] = '\0';
    } else {
        f->m->conn = DASH_DISCONNECTED;
        failure_text(&fl, f->m->conn_error, sizeof(f->m->conn_error));
    }
    dash_model_wake(f->m);
    dash_model_unlock(f->m);
    cJSON_Delete(rt);
    if (reg)
        registry__list_response__free_unpacked(reg, NULL);
    mc_cli_failure_release(&fl);
}

static void *status_main(void *arg)
{
    struct dash_feed_thread *t = arg;
    struct dash_feed *f = t->feed;
    struct mc_cli cli;

    mc_transport_set_cancel(&t->cancel);
    if (open_session(f, &cli) < 0)
        return NULL;
    while (!f->stop) {
        poll_status(f, &cli);
        poll_detail(f, &cli);
        wait_for(f, &f->poke, f->refresh_ms);
    }
    mc_cli_close(&cli);
    return NULL;
}

/* ---- watch and events: streams that only poke the status poller ------------- */

struct poker {
    struct dash_feed *f;
    bool *live;  /* the model's flag saying this stream is open */
};

static int on_change(void *ud, const char *json, size_t len)
{
    struct poker *p = ud;

    (void)json, (void)len;
    dash_model_lock(p->f->m);
    *p->live = true;
    dash_model_unlock(p->f->m);
    dash_feed_poke(p->f);
    return p->f->stop ? 1 : 0;
}

static void run_poker(struct dash_feed_thread *t, const char *svc, const char *ep,
                      const char *req, bool *live, unsigned retry_ms)
{
    struct dash_feed *f = t->feed;
    struct poker p = { f, live };
    struct mc_cli cli;

    mc_transport_set_cancel(&t->cancel);
    if (open_session(f, &cli) < 0)
        return;
    while (!f->stop) {
        struct mc_cli_failure fl;
        dash_model_lock(f->m);
        *live = true; /* a watch says nothing until something changes */
        dash_model_unlock(f->m);
        mc_cli_failure_init(&fl);
        (void)mc_cli_stream(&cli, svc, ep, req, NULL, on_change, &p, &fl);
        mc_cli_failure_release(&fl);
        dash_model_lock(f->m);
        *live = false;
        dash_model_unlock(f->m);
        wait_for(f, NULL, retry_ms);
    }
    mc_cli_close(&cli);
}

static void *watch_main(void *arg)
{
    struct dash_feed_thread *t = arg;
    run_poker(t, "registry", "Registry.Watch", "{}", &t->feed->m->registry_watch, RETRY_MS);
    return NULL;
}

static void *events_main(void *arg)
{
    struct dash_feed_thread *t = arg;
    run_poker(t, "events", "Stream.Consume", "{\"topic\":\"runtime\",\"auto_ack\":true}",
              &t->feed->m->runtime_events, EVENTS_RETRY_MS);
    return NULL;
}

/* ---- log: Runtime.Logs stream=true ------------------------------------------- */

struct log_state {
    struct dash_feed *f;
    unsigned gen;
    /* after a reconnect: the last lines we had, to skip when they come again */
    char **seen;
    size_t nseen, pos;
    bool resync;
};

static int64_t record_ts(const cJSON *rec)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "timestamp");
    int64_t v = 0;

    if (cJSON_IsNumber(ts))
        return (int64_t)ts->valuedouble;
    if (cJSON_IsString(ts) && mc_parse_i64(ts->valuestring, &v) == 0)
        return v;
    return 0;
}

/*
 * Whether msg repeats a line shown before the reconnect (then it is skipped).
 * The new stream asks for as many lines as the window holds, so its tail is
 * the window minus the lines written meanwhile: its first line is found in
 * the window and the rest must follow in order. A first line not found
 * means the file started again (the service restarted): all of it is new.
 */
static bool resync_skip(struct log_state *s, const char *msg)
{
    if (!s->resync)
        return false;
    if (s->pos == 0) {
        size_t i = 0;
        while (i < s->nseen && strcmp(s->seen[i], msg) != 0)
            i++;
        if (i == s->nseen) {
            s->resync = false;
            return false;
        }
        s->pos = i + 1;
    } else if (s->pos < s->nseen && strcmp(s->seen[s->pos], msg) == 0) {
        s->pos++;
    } else {
        s->resync = false;
        return false;
    }
    if (s->pos == s->nseen)
        s->resync = false;
    return true;
}

static int on_log(void *ud, const char *json, size_t len)
{
    struct log_state *s = ud;
    struct dash_model *m = s->f->m;
    cJSON *rec = cJSON_ParseWithLength(json, len);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "message"));
    int stop = 0;

    if (!msg)
        msg = "";
    dash_model_lock(m);
    if (m->log_gen != s->gen || s->f->stop)
        stop = 1;
    else if (!resync_skip(s, msg)) {
        dash_log_push(&m->log, msg, strlen(msg), record_ts(rec));
        m->log_last_ms = mc_now_ms();
        m->log_live = true;
        dash_model_wake(m);
    } else if (!m->log_live) {
        m->log_live = true;
        dash_model_wake(m);
    }
    dash_model_unlock(m);
    cJSON_Delete(rec);
    return stop;
}

static void free_seen(struct log_state *s)
{
    for (size_t i = 0; i < s->nseen; i++)
        free(s->seen[i]);
    free(s->seen);
    s->seen = NULL;
    s->nseen = s->pos = 0;
    s->resync = false;
}

/* Copies the last lines shown (lock held); the next stream's tail repeats them. */
static void remember_tail(struct log_state *s, const struct dash_log *l)
{
    size_t n = MC_MIN(l->len, (size_t)RESYNC_MAX);

    free_seen(s);
    if (n == 0)
        return;
    s->seen = mc_calloc(n, sizeof(*s->seen));
    for (size_t i = 0; i < n; i++)
        s->seen[i] = mc_strdup(dash_log_at(l, l->len - n + i)->text);
    s->nseen = n;
    s->resync = true;
}

/* One Runtime.Logs stream of the followed service; returns when it ends. */
static void log_stream(struct dash_feed *f, struct mc_cli *cli, struct log_state *s,
                       const char *name)
{
    struct mc_cli_failure fl;
    cJSON *req = cJSON_CreateObject();
    char *body;

    cJSON_AddStringToObject(req, "service", name);
    cJSON_AddBoolToObject(req, "stream", true);
    cJSON_AddNumberToObject(req, "count", s->resync ? (double)s->nseen : DASH_LOG_TAIL);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "namespace",
                            cli->namespace_);
    body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    mc_cli_failure_init(&fl);
    int rc = mc_cli_stream(cli, "runtime", "Runtime.Logs", body, NULL, on_log, s, &fl);
    free(body);
    dash_model_lock(f->m);
    if (f->m->log_gen == s->gen) {
        f->m->log_live = false;
        if (rc < 0)
            failure_text(&fl, f->m->log_error, sizeof(f->m->log_error));
        else
            snprintf(f->m->log_error, sizeof(f->m->log_error), "log stream ended");
        remember_tail(s, &f->m->log);
        dash_model_wake(f->m);
    }
    dash_model_unlock(f->m);
    mc_cli_failure_release(&fl);
}

static void *log_main(void *arg)
{
    struct dash_feed_thread *t = arg;
    struct dash_feed *f = t->feed;
    struct log_state s = { .f = f };
    struct mc_cli cli;

    mc_transport_set_cancel(&t->cancel);
    if (open_session(f, &cli) < 0)
        return NULL;
    while (!f->stop) {
        char name[DASH_NAME_MAX];
        unsigned gen;
        pthread_mutex_lock(&f->mu);
        t->cancel = 0;
        f->log_poke = false;
        pthread_mutex_unlock(&f->mu);
        dash_model_lock(f->m);
        snprintf(name, sizeof(name), "%s", f->m->log_name);
        gen = f->m->log_gen;
        dash_model_unlock(f->m);
        if (gen != s.gen)
            free_seen(&s);
        s.gen = gen;
        if (name[0])
            log_stream(f, &cli, &s, name);
        /* then wait: for another service, or to open this one again (the poke
         * is left for the top of the loop, which clears the cancel flag) */
        pthread_mutex_lock(&f->mu);
        if (!f->log_poke && !f->stop) {
            struct timespec ts;
            mc_deadline_after(CLOCK_REALTIME, name[0] ? RETRY_MS : 60000, &ts);
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        }
        pthread_mutex_unlock(&f->mu);
    }
    free_seen(&s);
    mc_cli_close(&cli);
    return NULL;
}

void dash_feed_log_changed(struct dash_feed *f)
{
    /* the flag and the poke together: the thread clears the flag only when it
     * takes the poke, so a stream of the new service is never the one cancelled */
    pthread_mutex_lock(&f->mu);
    f->t[3].cancel = 1;
    f->log_poke = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->t[3].started)
        mc_transport_wake(f->t[3].id);
}

/* ---- start and stop ------------------------------------------------------------ */

int dash_feed_start(struct dash_feed *f, struct dash_model *m, const struct mc_cli_options *opts,
                    unsigned refresh_ms)
{
    static void *(*const mains[DASH_FEED_THREADS])(void *) = { status_main, watch_main,
                                                               events_main, log_main };
    memset(f, 0, sizeof(*f));
    f->m = m;
    f->opts = *opts;
    f->refresh_ms = refresh_ms;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    mc_transport_wake_install();
    for (int k = 0; k < DASH_FEED_THREADS; k++) {
        f->t[k].feed = f;
        if (pthread_create(&f->t[k].id, NULL, mains[k], &f->t[k]) != 0) {
            dash_feed_stop(f);
            return MC_EIO;
        }
        f->t[k].started = true;
    }
    return 0;
}

void dash_feed_stop(struct dash_feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    for (int k = 0; k < DASH_FEED_THREADS; k++)
        cancel_thread(&f->t[k]);
    for (int k = 0; k < DASH_FEED_THREADS; k++)
        if (f->t[k].started) {
            pthread_join(f->t[k].id, NULL);
            f->t[k].started = false;
        }
    mc_transport_wake_remove();
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}
