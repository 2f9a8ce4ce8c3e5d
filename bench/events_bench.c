/*
 * micro_bench_events: the events publish/consume benchmark, run by
 * bench/run-events. Against our server (the gRPC proxy at ADDR, logged in as
 * admin) it takes four measurements on a topic new to the run:
 *   publish         N Stream.Publish calls of S payload bytes, C in flight on
 *                   one HTTP/2 connection: events/s, p50/p99 call latency;
 *   consume_auto    a Consume stream of a new group replaying the topic from
 *                   the start of the run (offset = that unix second), auto-ack:
 *                   events/s until all N arrived;
 *   consume_manual  the same with auto_ack false and an AckRequest per event;
 *   e2e             a consumer stream open first (proven live by a probe
 *                   event), then M publishes, C in flight: events/s from the
 *                   first publish to the last arrival, p50/p99 publish->receive.
 * Consumer streams use a second connection. Every call must be OK and every
 * event must arrive exactly once; otherwise the exit status is 1. With --nats
 * the same measurements go to NATS JetStream (events_nats.c). Records go to
 * stdout as JSON, one per measurement; a summary goes to stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auth.pb-c.h"
#include "events.pb-c.h"
#include "events_bench.h"
#include "mc_common.h"
#include "mc_grpc.h"
#include "mc_grpc_client.h"
#include "mc_loop.h"

#include "mc_banned.h"

#define MAX_EVENTS 100000u          /* ours replays from memory: MC_EVENTS_MEMORY_EVENTS */
#define MAX_BYTES (48u << 20)       /* events x size, under MC_EVENTS_MEMORY_BYTES */
#define MAX_SIZE (1u << 20)
#define MAX_CONCURRENCY 1000u       /* the server's default max_streams */
#define PROBE_WAIT_NS (10ull * 1000000000ull)
#define PROBE_EVERY_NS (100ull * 1000000ull)

/* ---- what both halves share ------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void ev_payload_fill(uint8_t *buf, size_t size, uint64_t idx, uint64_t sent_ns)
{
    put_u64(buf, idx);
    put_u64(buf + 8, sent_ns);
    memset(buf + EV_PAYLOAD_MIN, 'x', size - EV_PAYLOAD_MIN);
}

bool ev_payload_read(const uint8_t *buf, size_t len, uint64_t *idx, uint64_t *sent_ns)
{
    if (len < EV_PAYLOAD_MIN)
        return false;
    *idx = get_u64(buf);
    *sent_ns = get_u64(buf + 8);
    return true;
}

void ev_result_init(struct ev_result *r, const char *kind, uint64_t expected, bool consumed)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->expected = expected;
    r->consumed = consumed;
    r->tally.n = expected;
    r->tally.seen = consumed ? mc_calloc(expected ? expected : 1, 1) : NULL;
    bench_stats_init(&r->st);
}

void ev_result_release(struct ev_result *r)
{
    free(r->tally.seen);
    bench_stats_release(&r->st);
}

bool ev_result_take(struct ev_result *r, uint64_t idx)
{
    char why[80];

    if (idx >= r->tally.n) {
        snprintf(why, sizeof(why), "event index %llu out of range", (unsigned long long)idx);
        bench_stats_fail(&r->st, why);
        return false;
    }
    if (r->tally.seen[idx]) {
        r->tally.dups++;
        return false;
    }
    r->tally.seen[idx] = 1;
    r->tally.unique++;
    return true;
}

bool ev_result_complete(const struct ev_result *r)
{
    return (r->consumed ? r->tally.unique : r->st.ok) >= r->expected;
}

static void summary(const struct ev_opts *o, const struct ev_result *r, uint64_t got,
                    double rate)
{
    fprintf(stderr, "%-6s %-15s %7llu/%llu events %4llu errors %4llu dups  %9.0f events/s",
            o->target, r->kind, (unsigned long long)got, (unsigned long long)r->expected,
            (unsigned long long)r->st.errors, (unsigned long long)r->tally.dups, rate);
    if (r->st.nlat)
        fprintf(stderr, "  p50 %8.1f  p99 %8.1f us", bench_pct_us(&r->st, 0.50),
                bench_pct_us(&r->st, 0.99));
    if (r->st.first_error[0])
        fprintf(stderr, "  first error: %s", r->st.first_error);
    fputc('\n', stderr);
}

uint64_t ev_report(const struct ev_opts *o, struct ev_result *r)
{
    uint64_t got = r->consumed ? r->tally.unique : r->st.ok;
    uint64_t missing = r->expected > got ? r->expected - got : 0;
    double secs = (double)r->elapsed_ns / 1e9;
    double rate = secs > 0 ? (double)got / secs : 0;
    cJSON *j = cJSON_CreateObject();

    bench_stats_sort(&r->st);
    cJSON_AddStringToObject(j, "bench", "events");
    cJSON_AddStringToObject(j, "target", o->target);
    cJSON_AddStringToObject(j, "kind", r->kind);
    cJSON_AddNumberToObject(j, "events", (double)r->expected);
    cJSON_AddNumberToObject(j, "payload_bytes", (double)o->size);
    cJSON_AddNumberToObject(j, "concurrency", (double)o->concurrency);
    cJSON_AddNumberToObject(j, "ok", (double)got);
    cJSON_AddNumberToObject(j, "missing", (double)missing);
    cJSON_AddNumberToObject(j, "duplicates", (double)r->tally.dups);
    cJSON_AddNumberToObject(j, "errors", (double)r->st.errors);
    if (r->acks)
        cJSON_AddNumberToObject(j, "acks", (double)r->acks);
    if (r->st.first_error[0])
        cJSON_AddStringToObject(j, "first_error", r->st.first_error);
    cJSON_AddNumberToObject(j, "seconds", secs);
    cJSON_AddNumberToObject(j, "events_per_s", rate);
    if (r->st.nlat) {
        cJSON_AddNumberToObject(j, "p50_us", bench_pct_us(&r->st, 0.50));
        cJSON_AddNumberToObject(j, "p99_us", bench_pct_us(&r->st, 0.99));
        cJSON_AddNumberToObject(j, "max_us", bench_pct_us(&r->st, 1.0));
    }
    bench_record_print(j);
    summary(o, r, got, rate);
    return r->st.errors + missing + r->tally.dups;
}

/* ---- ours: the client side --------------------------------------------------------- */

struct ours {
    const struct ev_opts *o;
    struct mc_loop *loop;
    struct mc_grpc_client *pub;        /* publishes: one HTTP/2 connection */
    struct mc_grpc_client *sub;        /* Consume streams: another */
    struct mc_grpc_metadata md;        /* authorization */
    uint8_t *payload;                  /* scratch: o->size bytes */
    uint8_t *packed;                   /* scratch: a packed PublishRequest */
    int64_t start_unix;                /* replay offset: the run's first second */
};

/* Runs the loop until done(arg) or the deadline; MC_ETIMEDOUT then. */
static int run_until(struct ours *u, bool (*done)(void *), void *arg, uint64_t deadline_ns)
{
    while (!done(arg)) {
        if (mc_now_ns() > deadline_ns)
            return MC_ETIMEDOUT;
        if (mc_loop_run_once(u->loop, 20) != 0)
            return MC_EIO;
    }
    return 0;
}

static uint64_t deadline(const struct ours *u)
{
    return mc_now_ns() + u->o->timeout_ms * 1000000ull;
}

/* Logs in as admin/micro through the proxy and keeps "authorization: Bearer ...". */
static int login(struct ours *u)
{
    Auth__TokenRequest req = AUTH__TOKEN_REQUEST__INIT;
    struct mc_grpc_call_opts co = { .path = "/auth.Auth/Token", .timeout_ms = 10000 };
    struct mc_grpc_unary_result res;
    Auth__TokenResponse *rsp = NULL;
    uint8_t buf[256];
    char bearer[2048];
    int rc;

    req.id = (char *)"admin";
    req.secret = (char *)"micro";
    req.token_expiry = 3600;
    rc = mc_grpc_unary_sync(u->o->addr, &co, buf, auth__token_request__pack(&req, buf), NULL,
                            &res);
    if (rc != 0)
        return rc;
    if (res.code == MC_GRPC_OK && res.response)
        rsp = auth__token_response__unpack(NULL, res.response_len, (uint8_t *)res.response);
    rc = MC_EIO;
    if (rsp && rsp->token && rsp->token->access_token && *rsp->token->access_token &&
        snprintf(bearer, sizeof(bearer), "Bearer %s", rsp->token->access_token) <
            (int)sizeof(bearer))
        rc = mc_grpc_metadata_add_cstr(&u->md, "authorization", bearer);
    else
        fprintf(stderr, EV_PROG ": login as admin failed: %s %s\n",
                mc_grpc_code_name(res.code), res.message);
    auth__token_response__free_unpacked(rsp, NULL);
    mc_grpc_unary_result_release(&res);
    return rc;
}

/* ---- ours: publishing ---------------------------------------------------------------- */

struct pub_run;

struct pub_slot {
    struct pub_run *run;
    uint64_t start_ns;
    unsigned messages;
};

/* total publishes to topic, concurrency of them in flight. */
struct pub_run {
    struct ours *u;
    const char *topic;
    bool probe;                        /* every event is a probe */
    uint64_t total, next, inflight;
    struct bench_stats *st;
    struct pub_slot *slots;
};

static int pub_start(struct pub_run *run, struct pub_slot *s);

static void pub_on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct pub_slot *s = arg;

    (void)call;
    (void)msg;
    (void)len;
    s->messages++;
}

static void pub_on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct pub_slot *s = arg;
    struct pub_run *run = s->run;
    char why[200];

    (void)call;
    run->inflight--;
    if (st->code != MC_GRPC_OK) {
        snprintf(why, sizeof(why), "publish: %s: %.160s", mc_grpc_code_name(st->code),
                 st->message);
        bench_stats_fail(run->st, why);
    } else if (s->messages != 1) {
        snprintf(why, sizeof(why), "publish: status OK but %u messages", s->messages);
        bench_stats_fail(run->st, why);
    } else {
        run->st->ok++;
        bench_stats_add(run->st, mc_now_ns() - s->start_ns);
    }
    if (run->next < run->total && pub_start(run, s) != 0)
        bench_stats_fail(run->st, "publish: cannot start a call");
}

/* Starts the next publish on slot s. */
static int pub_start(struct pub_run *run, struct pub_slot *s)
{
    static const struct mc_grpc_ccall_handler h = { .on_message = pub_on_message,
                                                    .on_done = pub_on_done };
    struct ours *u = run->u;
    struct mc_grpc_call_opts co = { .path = "/events.Stream/Publish", .metadata = &u->md,
                                    .timeout_ms = u->o->timeout_ms };
    Events__PublishRequest req = EVENTS__PUBLISH_REQUEST__INIT;
    struct mc_grpc_ccall *call;
    size_t len;
    int rc;

    s->run = run;
    s->messages = 0;
    s->start_ns = mc_now_ns();
    ev_payload_fill(u->payload, u->o->size, run->probe ? EV_PROBE : run->next, s->start_ns);
    run->next++;
    req.topic = (char *)run->topic;
    req.payload.data = u->payload;
    req.payload.len = u->o->size;
    len = events__publish_request__pack(&req, u->packed);
    if ((rc = mc_grpc_client_call(u->pub, &co, &h, s, &call)) != 0)
        return rc;
    run->inflight++;
    if (mc_grpc_ccall_send(call, u->packed, len) != 0 || mc_grpc_ccall_close_send(call) != 0)
        mc_grpc_ccall_cancel(call);   /* on_done still comes, and counts the error */
    return 0;
}

static bool pub_finished(void *arg)
{
    const struct pub_run *run = arg;

    return run->inflight == 0 && (run->next >= run->total || run->st->errors > 0);
}

static void pub_run_init(struct pub_run *run, struct ours *u, const char *topic,
                         uint64_t total, struct bench_stats *st)
{
    memset(run, 0, sizeof(*run));
    run->u = u;
    run->topic = topic;
    run->total = total;
    run->st = st;
    run->slots = mc_calloc(u->o->concurrency, sizeof(*run->slots));
}

/* Starts the first publishes of run; the loop does the rest. */
static void pub_run_begin(struct pub_run *run)
{
    for (uint64_t i = 0; i < run->u->o->concurrency && run->next < run->total; i++) {
        if (pub_start(run, &run->slots[i]) != 0) {
            bench_stats_fail(run->st, "publish: cannot start a call");
            break;
        }
    }
}

/* Ends the calls still in flight (they point at the slots) and frees the slots. */
static void pub_run_end(struct pub_run *run)
{
    if (run->inflight > 0) {
        bench_stats_fail(run->st, "publish: calls still in flight at the deadline");
        mc_grpc_client_free(run->u->pub);
        run->u->pub = mc_grpc_client_new(run->u->loop, run->u->o->addr, NULL);
        mc_loop_run_once(run->u->loop, 0);
    }
    free(run->slots);
    run->slots = NULL;
}

/* ---- ours: consuming ------------------------------------------------------------------ */

struct sub_run {
    struct ours *u;
    struct mc_grpc_ccall *call;
    struct ev_result *r;
    const char *topic;
    bool manual;
    bool latency;                      /* e2e: a sample per event from its send time */
    bool probe_seen;
    bool ended;                        /* on_done came */
    bool cancelled;                    /* by us, after the last event */
    uint64_t t0;
};

static void sub_ack(struct sub_run *sr, const char *id)
{
    Events__AckRequest ack = EVENTS__ACK_REQUEST__INIT;
    uint8_t buf[128];

    ack.id = (char *)id;
    ack.success = true;
    if (events__ack_request__get_packed_size(&ack) > sizeof(buf) ||
        mc_grpc_ccall_send(sr->call, buf, events__ack_request__pack(&ack, buf)) != 0) {
        bench_stats_fail(&sr->r->st, "consume: cannot send an ack");
        return;
    }
    sr->r->acks++;
}

static void sub_event(struct sub_run *sr, const Events__Event *e, uint64_t now)
{
    uint64_t idx, sent;

    if (!e->topic || strcmp(e->topic, sr->topic) != 0 ||
        !ev_payload_read(e->payload.data, e->payload.len, &idx, &sent)) {
        bench_stats_fail(&sr->r->st, "consume: an event not of this run");
        return;
    }
    if (sr->manual)
        sub_ack(sr, e->id);
    if (idx == EV_PROBE) {
        sr->probe_seen = true;
        return;
    }
    if (ev_result_take(sr->r, idx) && sr->latency)
        bench_stats_add(&sr->r->st, now - sent);
    if (ev_result_complete(sr->r) && sr->t0 && !sr->r->elapsed_ns)
        sr->r->elapsed_ns = now - sr->t0;
}

static void sub_on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct sub_run *sr = arg;
    uint64_t now = mc_now_ns();
    Events__Event *e = events__event__unpack(NULL, len, (const uint8_t *)msg);

    (void)call;
    if (!e) {
        bench_stats_fail(&sr->r->st, "consume: a message that is not an Event");
        return;
    }
    sub_event(sr, e, now);
    events__event__free_unpacked(e, NULL);
}

static void sub_on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct sub_run *sr = arg;
    char why[200];

    (void)call;
    sr->ended = true;
    sr->call = NULL;
    if (!sr->cancelled) {
        snprintf(why, sizeof(why), "consume stream ended: %s: %.160s",
                 mc_grpc_code_name(st->code), st->message);
        bench_stats_fail(&sr->r->st, why);
    }
}

/* Opens a Consume stream of group on sr->topic; offset 0: only new events. */
static int sub_open(struct sub_run *sr, const char *group, int64_t offset)
{
    static const struct mc_grpc_ccall_handler h = { .on_message = sub_on_message,
                                                    .on_done = sub_on_done };
    struct mc_grpc_call_opts co = { .path = "/events.Stream/Consume", .metadata = &sr->u->md };
    Events__ConsumeRequest req = EVENTS__CONSUME_REQUEST__INIT;
    uint8_t buf[1024];
    int rc;

    req.topic = (char *)sr->topic;
    req.group = (char *)group;
    req.offset = offset;
    req.auto_ack = !sr->manual;
    req.ack_wait = sr->manual ? EV_ACK_WAIT_NS : 0;
    req.retry_limit = -1;
    if (events__consume_request__get_packed_size(&req) > sizeof(buf))
        return MC_EINVAL;
    if ((rc = mc_grpc_client_call(sr->u->sub, &co, &h, sr, &sr->call)) != 0)
        return rc;
    return mc_grpc_ccall_send(sr->call, buf, events__consume_request__pack(&req, buf));
}

static bool sub_finished(void *arg)
{
    const struct sub_run *sr = arg;

    return sr->ended || ev_result_complete(sr->r);
}

/* Cancels the stream if it is still open and waits for its on_done. */
static void sub_close(struct sub_run *sr)
{
    sr->cancelled = true;
    if (sr->call)
        mc_grpc_ccall_cancel(sr->call);
    while (!sr->ended && mc_loop_run_once(sr->u->loop, 100) == 0) {
    }
}

/* ---- ours: the measurements ------------------------------------------------------------ */

static uint64_t measure_publish(struct ours *u)
{
    struct ev_result r;
    struct pub_run run;
    uint64_t t0, failed;

    ev_result_init(&r, "publish", u->o->events, false);
    pub_run_init(&run, u, u->o->topic, u->o->events, &r.st);
    t0 = mc_now_ns();
    pub_run_begin(&run);
    if (run_until(u, pub_finished, &run, deadline(u)) != 0)
        bench_stats_fail(&r.st, "publish: deadline reached");
    r.elapsed_ns = mc_now_ns() - t0;
    pub_run_end(&run);
    failed = ev_report(u->o, &r);
    ev_result_release(&r);
    return failed;
}

/* Replays the topic into a new group; manual: an AckRequest per event. */
static uint64_t measure_replay(struct ours *u, bool manual)
{
    struct ev_result r;
    struct sub_run sr = { .u = u, .topic = u->o->topic, .manual = manual };
    char group[96];
    uint64_t failed;

    ev_result_init(&r, manual ? "consume_manual" : "consume_auto", u->o->events, true);
    sr.r = &r;
    snprintf(group, sizeof(group), "%s-%s", u->o->topic, manual ? "manual" : "auto");
    if (u->o->no_group)
        group[0] = '\0';   /* a private group: its position is never stored */
    sr.t0 = mc_now_ns();
    if (sub_open(&sr, group, u->start_unix) != 0) {
        bench_stats_fail(&r.st, "consume: cannot open the stream");
        sr.ended = true;
    } else if (run_until(u, sub_finished, &sr, deadline(u)) != 0) {
        bench_stats_fail(&r.st, "consume: deadline reached");
    }
    if (!r.elapsed_ns)
        r.elapsed_ns = mc_now_ns() - sr.t0;
    sub_close(&sr);
    failed = ev_report(u->o, &r);
    ev_result_release(&r);
    return failed;
}

static bool probe_arrived(void *arg)
{
    const struct sub_run *sr = arg;

    return sr->probe_seen || sr->ended;
}

/* Publishes probes until the consumer sees one: only then is it surely joined. */
static int wait_live(struct ours *u, struct sub_run *sr, const char *topic)
{
    uint64_t give_up = mc_now_ns() + PROBE_WAIT_NS;
    struct bench_stats pst;
    struct pub_run probe;
    int rc = MC_ETIMEDOUT;

    bench_stats_init(&pst);
    while (rc != 0 && !sr->ended && pst.errors == 0 && mc_now_ns() < give_up) {
        pub_run_init(&probe, u, topic, 1, &pst);
        probe.probe = true;
        pub_run_begin(&probe);
        (void)run_until(u, pub_finished, &probe, deadline(u));
        pub_run_end(&probe);
        rc = run_until(u, probe_arrived, sr, mc_now_ns() + PROBE_EVERY_NS);
    }
    if (pst.errors)
        bench_stats_fail(&sr->r->st, pst.first_error);
    bench_stats_release(&pst);
    return sr->probe_seen ? 0 : MC_ETIMEDOUT;
}

struct e2e {
    struct sub_run *sr;
    struct pub_run *run;
};

/* Every event arrived, or the consumer ended, or publishing failed. */
static bool e2e_finished(void *arg)
{
    const struct e2e *x = arg;

    return sub_finished(x->sr) || (pub_finished(x->run) && x->run->st->errors > 0);
}

static uint64_t measure_e2e(struct ours *u)
{
    struct ev_result r;
    struct sub_run sr = { .u = u, .latency = true };
    struct bench_stats pst;
    struct pub_run run;
    char topic[80], group[96];
    uint64_t failed;

    snprintf(topic, sizeof(topic), "%s-e2e", u->o->topic);
    snprintf(group, sizeof(group), "%s-e2e", u->o->topic);
    ev_result_init(&r, "e2e", u->o->e2e_events, true);
    bench_stats_init(&pst);
    sr.r = &r;
    sr.topic = topic;
    if (sub_open(&sr, group, 0) != 0 || wait_live(u, &sr, topic) != 0) {
        bench_stats_fail(&r.st, "e2e: the consumer never saw a probe event");
    } else {
        pub_run_init(&run, u, topic, u->o->e2e_events, &pst);
        sr.t0 = mc_now_ns();
        pub_run_begin(&run);
        if (run_until(u, e2e_finished, &(struct e2e){ &sr, &run }, deadline(u)) != 0)
            bench_stats_fail(&r.st, "e2e: deadline reached");
        (void)run_until(u, pub_finished, &run, deadline(u));
        pub_run_end(&run);
        if (!r.elapsed_ns)
            r.elapsed_ns = mc_now_ns() - sr.t0;
    }
    if (pst.errors) {
        r.st.errors += pst.errors;
        if (!r.st.first_error[0])
            memcpy(r.st.first_error, pst.first_error, sizeof(r.st.first_error));
    }
    sub_close(&sr);
    failed = ev_report(u->o, &r);
    bench_stats_release(&pst);
    ev_result_release(&r);
    return failed;
}

static uint64_t ours_run(const struct ev_opts *o)
{
    struct ours u = { .o = o };
    uint64_t failed = 0;

    u.loop = mc_loop_new();
    if (!u.loop) {
        perror(EV_PROG ": cannot create the event loop");
        return 1;
    }
    mc_grpc_metadata_init(&u.md);
    u.payload = mc_malloc(o->size);
    u.packed = mc_malloc(o->size + sizeof(o->topic) + 64);
    u.start_unix = mc_unix_time();
    if (login(&u) != 0) {
        failed = 1;
    } else {
        u.pub = mc_grpc_client_new(u.loop, o->addr, NULL);
        u.sub = mc_grpc_client_new(u.loop, o->addr, NULL);
        failed += measure_publish(&u);
        failed += measure_replay(&u, false);
        failed += measure_replay(&u, true);
        failed += measure_e2e(&u);
        mc_grpc_client_free(u.pub);
        mc_grpc_client_free(u.sub);
        mc_loop_run_once(u.loop, 0);   /* deferred releases */
    }
    mc_loop_free(u.loop);
    mc_grpc_metadata_release(&u.md);
    free(u.payload);
    free(u.packed);
    return failed;
}

/* ---- options ---------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: micro_bench_events [options] ADDR\n"
        "  ADDR               our gRPC proxy (host:port), or with --nats a NATS server\n"
        "  --nats             measure NATS JetStream (file storage) instead of ours\n"
        "  --no-group         ours: replay without a consumer group\n"
        "  --target LABEL     name put in every JSON record (default ours, or nats)\n"
        "  -n N               events published, then replayed (default 20000, max %u)\n"
        "  -s BYTES           payload bytes (default 256, %u..%u)\n"
        "  -c N               publishes in flight (default 64, max %u)\n"
        "  -m N               end-to-end events (default 2000, max %u)\n"
        "  --timeout-ms MS    bound on each measurement (default 60000)\n"
        "Prints one JSON object per measurement on stdout, a summary on stderr.\n"
        "Exit status: 0 every call OK and every event once, 1 otherwise, 2 usage error.\n",
        MAX_EVENTS, EV_PAYLOAD_MIN, MAX_SIZE, MAX_CONCURRENCY, MAX_EVENTS);
}

static int num(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return bench_parse_num(EV_PROG, flag, s, lo, hi, out);
}

static int check_opts(int argc, char **argv, struct ev_opts *o)
{
    if (argc - optind != 1) {
        fprintf(stderr, EV_PROG ": want exactly one ADDR\n");
        return MC_EINVAL;
    }
    if (o->events * o->size > MAX_BYTES || o->e2e_events * o->size > MAX_BYTES) {
        fprintf(stderr, EV_PROG ": events x size must stay under %u bytes (ours replays "
                "from memory)\n", MAX_BYTES);
        return MC_EINVAL;
    }
    o->addr = argv[optind];
    if (!o->target)
        o->target = o->nats ? "nats" : "ours";
    /* a topic no earlier run used: the replay must see this run's events only */
    snprintf(o->topic, sizeof(o->topic), "evbench-%ld-%lld", (long)getpid(),
             (long long)mc_unix_time());
    return 0;
}

static int parse_opts(int argc, char **argv, struct ev_opts *o)
{
    enum { O_NATS = 256, O_NO_GROUP, O_TARGET, O_TIMEOUT };
    static const struct option longs[] = {
        { "nats", no_argument, NULL, O_NATS },
        { "no-group", no_argument, NULL, O_NO_GROUP },
        { "target", required_argument, NULL, O_TARGET },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = 0;

    *o = (struct ev_opts){ .events = 20000, .size = 256, .concurrency = 64,
                           .e2e_events = 2000, .timeout_ms = 60000 };
    while (rc == 0 && (c = getopt_long(argc, argv, "n:s:c:m:h", longs, NULL)) != -1) {
        switch (c) {
        case O_NATS: o->nats = true; break;
        case O_NO_GROUP: o->no_group = true; break;
        case O_TARGET: o->target = optarg; break;
        case 'n': rc = num("-n", optarg, 1, MAX_EVENTS, &o->events); break;
        case 's': rc = num("-s", optarg, EV_PAYLOAD_MIN, MAX_SIZE, &o->size); break;
        case 'c': rc = num("-c", optarg, 1, MAX_CONCURRENCY, &o->concurrency); break;
        case 'm': rc = num("-m", optarg, 1, MAX_EVENTS, &o->e2e_events); break;
        case O_TIMEOUT: rc = num("--timeout-ms", optarg, 100, 3600000, &o->timeout_ms); break;
        case 'h': usage(stdout); exit(0);
        default: rc = MC_EINVAL; break;
        }
    }
    if (rc == 0)
        rc = check_opts(argc, argv, o);
    if (rc != 0)
        usage(stderr);
    return rc;
}

int main(int argc, char **argv)
{
    struct ev_opts o;
    uint64_t failed;

    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    failed = o.nats ? ev_nats_run(&o) : ours_run(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror(EV_PROG ": stdout");
        return 1;
    }
    if (failed)
        fprintf(stderr, EV_PROG ": %llu failures\n", (unsigned long long)failed);
    return failed ? 1 : 0;
}
