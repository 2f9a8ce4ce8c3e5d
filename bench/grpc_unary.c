/*
 * micro_bench_grpc: a unary gRPC load generator built on our own client
 * (mc_grpc_client on the event loop), used by bench/run-grpc to compare our
 * server with a peer measured in the same run. Against ADDR and PATH it
 * measures sequential latency (one call at a time: p50/p90/p99/max) and
 * throughput (C calls kept in flight on one HTTP/2 connection for D seconds),
 * with the proto codec (empty request) and the JSON codec (body "{}"). Every
 * response must be status OK carrying a HealthResponse whose status is "ok";
 * anything else is counted as an error and makes the exit status 1. Results
 * go to stdout as one JSON object per measurement; a readable summary goes to
 * stderr. Timing is reported, never asserted: the ratio against the peer is
 * what bench/run-grpc prints.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "debug.pb-c.h"
#include "mc_common.h"
#include "mc_grpc.h"
#include "mc_grpc_client.h"
#include "mc_loop.h"

#include "bench_util.h"

#include "mc_banned.h"

#define MAX_CALLS 10000000u        /* -n and --warmup */
#define MAX_CONCURRENCY 1000u      /* the server's default max_streams */
#define MAX_SECONDS 600u           /* -d */
#define MAX_TIMEOUT_MS 600000u
#define DRAIN_GRACE_NS (5ull * 1000000000ull)  /* past the per-call deadline */

enum codec { CODEC_PROTO, CODEC_JSON };

struct opts {
    const char *addr;
    const char *path;
    const char *target;            /* label copied into every JSON record */
    uint64_t calls;                /* -n */
    uint64_t warmup;
    uint64_t concurrency;          /* -c */
    uint64_t seconds;              /* -d */
    uint64_t timeout_ms;
    bool latency, throughput;      /* which measurements */
    bool proto, json;              /* which codecs */
};

struct bench;

/* One in-flight call; the throughput run owns `concurrency` of them. */
struct slot {
    struct bench *b;
    uint64_t start_ns;
    unsigned messages;
    bool body_ok;
    bool busy;
};

struct bench {
    const struct opts *o;
    struct mc_loop *loop;
    struct mc_grpc_client *cl;
    enum codec codec;
    struct bench_stats *st;        /* the measurement being taken */
    bool refill;                   /* throughput: start a new call when one ends */
    uint64_t window_end_ns;        /* throughput: calls ending later are not counted */
    uint64_t in_window;            /* throughput: OK calls ended inside the window */
    unsigned inflight;
};

static const char *codec_name(enum codec c)
{
    return c == CODEC_JSON ? "json" : "proto";
}

/* --- response checks ------------------------------------------------------------- */

static bool proto_body_ok(const char *msg, size_t len)
{
    Debug__HealthResponse *r;
    bool ok;

    r = debug__health_response__unpack(NULL, len, (const uint8_t *)msg);
    if (!r)
        return false;
    ok = r->status && strcmp(r->status, "ok") == 0;
    debug__health_response__free_unpacked(r, NULL);
    return ok;
}

static bool json_body_ok(const char *msg, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(msg, len);
    const cJSON *status;
    bool ok;

    if (!doc)
        return false;
    status = cJSON_GetObjectItemCaseSensitive(doc, "status");
    ok = cJSON_IsObject(doc) && cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0;
    cJSON_Delete(doc);
    return ok;
}

/* --- calls ------------------------------------------------------------------------ */

static void on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    struct slot *s = arg;

    (void)call;
    s->messages++;
    s->body_ok = s->b->codec == CODEC_JSON ? json_body_ok(msg, len) : proto_body_ok(msg, len);
}

static int start_call(struct bench *b, struct slot *s);

static void on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct slot *s = arg;
    struct bench *b = s->b;
    uint64_t now = mc_now_ns();
    char why[200];

    (void)call;
    s->busy = false;
    b->inflight--;
    if (st->code != MC_GRPC_OK) {
        snprintf(why, sizeof(why), "%s: %.160s", mc_grpc_code_name(st->code), st->message);
        bench_stats_fail(b->st, why);
    } else if (s->messages != 1 || !s->body_ok) {
        snprintf(why, sizeof(why), "status OK but %u messages, body %s", s->messages,
                 s->body_ok ? "ok" : "not a HealthResponse{status:\"ok\"}");
        bench_stats_fail(b->st, why);
    } else {
        b->st->ok++;
        bench_stats_add(b->st, now - s->start_ns);
        if (b->refill && now <= b->window_end_ns)
            b->in_window++;
    }
    if (b->refill && now < b->window_end_ns && start_call(b, s) != 0)
        bench_stats_fail(b->st, "cannot start a call");
}

/* Starts one unary call on slot s. MC_EINVAL only for bad options. */
static int start_call(struct bench *b, struct slot *s)
{
    static const struct mc_grpc_ccall_handler h = { .on_message = on_message,
                                                    .on_done = on_done };
    struct mc_grpc_call_opts co = {
        .path = b->o->path,
        .content_type = b->codec == CODEC_JSON ? "application/grpc+json"
                                               : "application/grpc+proto",
        .timeout_ms = b->o->timeout_ms,
    };
    const char *req = b->codec == CODEC_JSON ? "{}" : "";
    struct mc_grpc_ccall *call;
    int rc;

    s->b = b;
    s->messages = 0;
    s->body_ok = false;
    s->start_ns = mc_now_ns();
    rc = mc_grpc_client_call(b->cl, &co, &h, s, &call);
    if (rc != 0)
        return rc;
    s->busy = true;
    b->inflight++;
    if (mc_grpc_ccall_send(call, req, strlen(req)) != 0 || mc_grpc_ccall_close_send(call) != 0)
        mc_grpc_ccall_cancel(call);   /* on_done still comes, and counts the error */
    return 0;
}

/* Runs the loop until no call is in flight, or gives up after limit_ns (the
 * per-call deadline should have ended every call long before). */
static int drain(struct bench *b, uint64_t limit_ns)
{
    while (b->inflight > 0) {
        if (mc_now_ns() > limit_ns) {
            fprintf(stderr, "micro_bench_grpc: %u calls never ended\n", b->inflight);
            return MC_ETIMEDOUT;
        }
        if (mc_loop_run_once(b->loop, 100) != 0)
            return MC_EIO;
    }
    return 0;
}

/* n calls one after another; the latency samples are kept in st. */
static int run_sequential(struct bench *b, uint64_t n, struct bench_stats *st)
{
    struct slot s = { 0 };
    uint64_t per_call = b->o->timeout_ms * 1000000ull + DRAIN_GRACE_NS;
    int rc;

    b->st = st;
    b->refill = false;
    for (uint64_t i = 0; i < n; i++) {
        if ((rc = start_call(b, &s)) != 0)
            return rc;
        if ((rc = drain(b, mc_now_ns() + per_call)) != 0)
            return rc;
    }
    return 0;
}

/* Keeps concurrency calls in flight for seconds; returns the window in ns. */
static int run_throughput(struct bench *b, struct bench_stats *st, uint64_t *window_ns)
{
    size_t n = (size_t)b->o->concurrency;
    struct slot *slots = mc_calloc(n, sizeof(*slots));
    uint64_t t0 = mc_now_ns();
    int rc = 0;

    b->st = st;
    b->refill = true;
    b->in_window = 0;
    b->window_end_ns = t0 + b->o->seconds * 1000000000ull;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = start_call(b, &slots[i]);
    if (rc == 0)
        rc = drain(b, b->window_end_ns + b->o->timeout_ms * 1000000ull + DRAIN_GRACE_NS);
    b->refill = false;
    *window_ns = b->window_end_ns - t0;
    if (rc != 0) {
        /* Calls still point at slots: end them before the slots go away. */
        mc_grpc_client_free(b->cl);
        b->cl = NULL;
        mc_loop_run_once(b->loop, 0);
    }
    free(slots);
    return rc;
}

/* --- output ----------------------------------------------------------------------- */

static cJSON *record_new(const struct bench *b, const char *kind, const struct bench_stats *st)
{
    cJSON *r = cJSON_CreateObject();

    cJSON_AddStringToObject(r, "bench", "grpc_unary");
    cJSON_AddStringToObject(r, "target", b->o->target);
    cJSON_AddStringToObject(r, "addr", b->o->addr);
    cJSON_AddStringToObject(r, "path", b->o->path);
    cJSON_AddStringToObject(r, "codec", codec_name(b->codec));
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON_AddNumberToObject(r, "calls", (double)(st->ok + st->errors));
    cJSON_AddNumberToObject(r, "ok", (double)st->ok);
    cJSON_AddNumberToObject(r, "errors", (double)st->errors);
    if (st->first_error[0])
        cJSON_AddStringToObject(r, "first_error", st->first_error);
    cJSON_AddNumberToObject(r, "p50_us", bench_pct_us(st, 0.50));
    cJSON_AddNumberToObject(r, "p90_us", bench_pct_us(st, 0.90));
    cJSON_AddNumberToObject(r, "p99_us", bench_pct_us(st, 0.99));
    cJSON_AddNumberToObject(r, "max_us", bench_pct_us(st, 1.0));
    return r;
}

static void summary(const struct bench *b, const char *kind, const struct bench_stats *st)
{
    fprintf(stderr, "%-8s %-5s %-10s %8llu calls %4llu errors  p50 %8.1f  p90 %8.1f  "
            "p99 %8.1f  max %9.1f us", b->o->target, codec_name(b->codec), kind,
            (unsigned long long)(st->ok + st->errors), (unsigned long long)st->errors,
            bench_pct_us(st, 0.50), bench_pct_us(st, 0.90), bench_pct_us(st, 0.99),
            bench_pct_us(st, 1.0));
}

/* Warm-up (not reported), then the sequential measurement. */
static int measure_latency(struct bench *b, uint64_t *errors)
{
    struct bench_stats warm, st;
    cJSON *r;
    int rc;

    bench_stats_init(&warm);
    bench_stats_init(&st);
    rc = run_sequential(b, b->o->warmup, &warm);
    if (rc == 0)
        rc = run_sequential(b, b->o->calls, &st);
    st.errors += warm.errors;
    if (!st.first_error[0] && warm.first_error[0])
        memcpy(st.first_error, warm.first_error, sizeof(st.first_error));
    bench_stats_sort(&st);
    r = record_new(b, "latency", &st);
    cJSON_AddNumberToObject(r, "warmup", (double)b->o->warmup);
    bench_record_print(r);
    summary(b, "latency", &st);
    fputc('\n', stderr);
    *errors += st.errors;
    bench_stats_release(&warm);
    bench_stats_release(&st);
    return rc;
}

static int measure_throughput(struct bench *b, uint64_t *errors)
{
    struct bench_stats st;
    uint64_t window_ns = 1;
    double rate;
    cJSON *r;
    int rc;

    bench_stats_init(&st);
    rc = run_throughput(b, &st, &window_ns);
    bench_stats_sort(&st);
    rate = (double)b->in_window * 1e9 / (double)window_ns;
    r = record_new(b, "throughput", &st);
    cJSON_AddNumberToObject(r, "concurrency", (double)b->o->concurrency);
    cJSON_AddNumberToObject(r, "seconds", (double)window_ns / 1e9);
    cJSON_AddNumberToObject(r, "calls_per_s", rate);
    bench_record_print(r);
    summary(b, "throughput", &st);
    fprintf(stderr, "  %.0f calls/s (c=%llu)\n", rate, (unsigned long long)b->o->concurrency);
    *errors += st.errors;
    bench_stats_release(&st);
    return rc;
}

/* --- options ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: micro_bench_grpc [options] ADDR\n"
        "  --path PATH        method path (default /registry.Debug/Health)\n"
        "  --target LABEL     name put in every JSON record (default \"ours\")\n"
        "  -n N               sequential calls per codec (default 5000)\n"
        "  --warmup N         unreported calls before each sequential run (default 200)\n"
        "  -c N               calls in flight for the throughput run (default 64, max %u)\n"
        "  -d SECONDS         throughput run length (default 3, max %u)\n"
        "  --timeout-ms MS    per-call deadline (default 10000)\n"
        "  --codecs LIST      proto,json (default both)\n"
        "  --modes LIST       latency,throughput (default both)\n"
        "Prints one JSON object per measurement on stdout, a summary on stderr.\n"
        "Exit status: 0 all calls OK, 1 some call failed, 2 usage error.\n",
        MAX_CONCURRENCY, MAX_SECONDS);
}

static int parse_num(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return bench_parse_num("micro_bench_grpc", flag, s, lo, hi, out);
}

/* Parses "a,b" against two names; sets the matching flags. */
static int parse_pair(const char *flag, const char *s, const char *n1, bool *f1,
                      const char *n2, bool *f2)
{
    char word[32];
    size_t len;

    *f1 = *f2 = false;
    while (*s) {
        len = strcspn(s, ",");
        if (len == 0 || len >= sizeof(word))
            goto bad;
        memcpy(word, s, len);
        word[len] = '\0';
        if (strcmp(word, n1) == 0)
            *f1 = true;
        else if (strcmp(word, n2) == 0)
            *f2 = true;
        else
            goto bad;
        s += len + (s[len] == ',');
    }
    if (*f1 || *f2)
        return 0;
bad:
    fprintf(stderr, "micro_bench_grpc: %s wants a list of %s,%s\n", flag, n1, n2);
    return MC_EINVAL;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    enum { O_PATH = 256, O_TARGET, O_WARMUP, O_TIMEOUT, O_CODECS, O_MODES };
    static const struct option longs[] = {
        { "path", required_argument, NULL, O_PATH },
        { "target", required_argument, NULL, O_TARGET },
        { "warmup", required_argument, NULL, O_WARMUP },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "codecs", required_argument, NULL, O_CODECS },
        { "modes", required_argument, NULL, O_MODES },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = 0;

    *o = (struct opts){ .path = "/registry.Debug/Health", .target = "ours", .calls = 5000,
                        .warmup = 200, .concurrency = 64, .seconds = 3, .timeout_ms = 10000,
                        .latency = true, .throughput = true, .proto = true, .json = true };
    while (rc == 0 && (c = getopt_long(argc, argv, "n:c:d:h", longs, NULL)) != -1) {
        switch (c) {
        case O_PATH: o->path = optarg; break;
        case O_TARGET: o->target = optarg; break;
        case 'n': rc = parse_num("-n", optarg, 1, MAX_CALLS, &o->calls); break;
        case O_WARMUP: rc = parse_num("--warmup", optarg, 0, MAX_CALLS, &o->warmup); break;
        case 'c': rc = parse_num("-c", optarg, 1, MAX_CONCURRENCY, &o->concurrency); break;
        case 'd': rc = parse_num("-d", optarg, 1, MAX_SECONDS, &o->seconds); break;
        case O_TIMEOUT:
            rc = parse_num("--timeout-ms", optarg, 1, MAX_TIMEOUT_MS, &o->timeout_ms);
            break;
        case O_CODECS: rc = parse_pair("--codecs", optarg, "proto", &o->proto, "json", &o->json);
            break;
        case O_MODES:
            rc = parse_pair("--modes", optarg, "latency", &o->latency, "throughput",
                            &o->throughput);
            break;
        case 'h': usage(stdout); exit(0);
        default: rc = MC_EINVAL; break;
        }
    }
    if (rc == 0 && argc - optind != 1) {
        fprintf(stderr, "micro_bench_grpc: want exactly one ADDR\n");
        rc = MC_EINVAL;
    }
    if (rc == 0 && o->path[0] != '/') {
        fprintf(stderr, "micro_bench_grpc: --path must start with '/'\n");
        rc = MC_EINVAL;
    }
    if (rc != 0) {
        usage(stderr);
        return rc;
    }
    o->addr = argv[optind];
    return 0;
}

/* Runs the chosen measurements for one codec. */
static int run_codec(struct bench *b, enum codec codec, uint64_t *errors)
{
    int rc = 0;

    b->codec = codec;
    if (b->o->latency)
        rc = measure_latency(b, errors);
    if (rc == 0 && b->o->throughput)
        rc = measure_throughput(b, errors);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench b = { .o = &o };
    uint64_t errors = 0;
    int rc = 0;

    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    b.loop = mc_loop_new();
    if (!b.loop) {
        perror("micro_bench_grpc: cannot create the event loop");
        return 1;
    }
    b.cl = mc_grpc_client_new(b.loop, o.addr, NULL);
    if (o.proto)
        rc = run_codec(&b, CODEC_PROTO, &errors);
    if (rc == 0 && o.json)
        rc = run_codec(&b, CODEC_JSON, &errors);
    if (rc != 0)
        fprintf(stderr, "micro_bench_grpc: stopped: %s\n", mc_strerror(rc));
    mc_grpc_client_free(b.cl);
    mc_loop_run_once(b.loop, 0);   /* deferred releases */
    mc_loop_free(b.loop);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("micro_bench_grpc: stdout");
        return 1;
    }
    return rc != 0 || errors > 0 ? 1 : 0;
}
