/*
 * micro_bench_load: fills a server fast for bench/run-scale. It makes calls
 * FROM..TO-1 of one unary gRPC method, each with its own JSON request: the
 * template's every "{i}" becomes the call's index, zero-padded to --pad digits
 * ("scale-{i}" -> "scale-00042"), so 10,000 services or a million store keys
 * are one command. C calls are kept in flight on one HTTP/2 connection (the
 * JSON codec, application/grpc+json, and an optional authorization header).
 * A call is OK when its status is OK; anything else is counted, the first
 * failure is kept, and the exit status is 1. One JSON record on stdout gives
 * the count, the time and the rate, which is reported, never asserted.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_grpc.h"
#include "mc_grpc_client.h"
#include "mc_loop.h"

#include "bench_util.h"

#include "mc_banned.h"

#define MAX_INDEX 100000000u       /* --from, --to */
#define MAX_CONCURRENCY 1000u      /* the server's default max_streams */
#define MAX_PAD 12u
#define MAX_TEMPLATE (64u << 10)
#define TIMEOUT_MS 60000u
#define DRAIN_GRACE_NS (5ull * 1000000000ull)

struct opts {
    const char *addr;
    const char *path;
    const char *tmpl;
    const char *auth;              /* authorization header value, NULL for none */
    uint64_t from, to;             /* indexes [from, to) */
    uint64_t concurrency;
    uint64_t pad;
};

struct load {
    const struct opts *o;
    struct mc_loop *loop;
    struct mc_grpc_client *cl;
    struct mc_grpc_metadata md;
    struct bench_stats st;
    struct mc_buf body;
    uint64_t next;                 /* the next index to send */
    unsigned inflight;
};

/* The request of index i in l->body. Cannot fail: the buffer's cap allows every
 * {i} of a MAX_TEMPLATE template to grow to MAX_PAD digits or more. */
static void build_body(struct load *l, uint64_t i)
{
    const char *t = l->o->tmpl, *hit;
    char num[32];
    int n = snprintf(num, sizeof(num), "%0*llu", (int)l->o->pad, (unsigned long long)i);
    int rc = 0;

    mc_buf_reset(&l->body);
    while ((hit = strstr(t, "{i}")) != NULL) {
        rc |= mc_buf_append(&l->body, t, (size_t)(hit - t));
        rc |= mc_buf_append(&l->body, num, (size_t)n);
        t = hit + 3;
    }
    rc |= mc_buf_append_str(&l->body, t);
    if (rc != 0)
        abort();
}

static void start_next(struct load *l);

static void on_message(struct mc_grpc_ccall *call, const char *msg, size_t len, void *arg)
{
    (void)call;
    (void)msg;
    (void)len;
    (void)arg;
}

static void on_done(struct mc_grpc_ccall *call, const struct mc_grpc_status *st, void *arg)
{
    struct load *l = arg;
    char why[240];

    (void)call;
    l->inflight--;
    if (st->code != MC_GRPC_OK) {
        snprintf(why, sizeof(why), "%s: %.200s", mc_grpc_code_name(st->code), st->message);
        bench_stats_fail(&l->st, why);
    } else {
        l->st.ok++;
    }
    /* one failure stops new calls: a refused load would only repeat it */
    if (l->st.errors == 0)
        start_next(l);
}

/* Starts the call of index l->next, if any is left. */
static void start_next(struct load *l)
{
    static const struct mc_grpc_ccall_handler h = { .on_message = on_message,
                                                    .on_done = on_done };
    struct mc_grpc_call_opts co = {
        .path = l->o->path,
        .content_type = "application/grpc+json",
        .metadata = l->o->auth ? &l->md : NULL,
        .timeout_ms = TIMEOUT_MS,
    };
    struct mc_grpc_ccall *call;

    if (l->next >= l->o->to)
        return;
    build_body(l, l->next++);
    if (mc_grpc_client_call(l->cl, &co, &h, l, &call) != 0) {
        bench_stats_fail(&l->st, "cannot start a call");
        return;
    }
    l->inflight++;
    if (mc_grpc_ccall_send(call, l->body.data, l->body.len) != 0 ||
        mc_grpc_ccall_close_send(call) != 0)
        mc_grpc_ccall_cancel(call);   /* on_done still comes, and counts the error */
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: micro_bench_load [options] ADDR PATH TEMPLATE\n"
        "  --from N        first index (default 0)\n"
        "  --to N          one past the last index (required, max %u)\n"
        "  --pad N         digits of the index, zero-padded (default 0: none; max %u)\n"
        "  -c N            calls in flight on one connection (default 64, max %u)\n"
        "  --auth VALUE    the authorization header (\"Bearer <token>\")\n"
        "TEMPLATE is the JSON request; each {i} in it becomes the index.\n"
        "Prints one JSON record on stdout. Exit status: 0 all calls OK, 1 some failed,\n"
        "2 usage error.\n",
        MAX_INDEX, MAX_PAD, MAX_CONCURRENCY);
}

static int parse_num(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return bench_parse_num("micro_bench_load", flag, s, lo, hi, out);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    enum { O_FROM = 256, O_TO, O_PAD, O_AUTH };
    static const struct option longs[] = {
        { "from", required_argument, NULL, O_FROM },
        { "to", required_argument, NULL, O_TO },
        { "pad", required_argument, NULL, O_PAD },
        { "auth", required_argument, NULL, O_AUTH },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = 0;

    *o = (struct opts){ .concurrency = 64 };
    while (rc == 0 && (c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
        switch (c) {
        case O_FROM: rc = parse_num("--from", optarg, 0, MAX_INDEX, &o->from); break;
        case O_TO: rc = parse_num("--to", optarg, 1, MAX_INDEX, &o->to); break;
        case O_PAD: rc = parse_num("--pad", optarg, 0, MAX_PAD, &o->pad); break;
        case O_AUTH: o->auth = optarg; break;
        case 'c': rc = parse_num("-c", optarg, 1, MAX_CONCURRENCY, &o->concurrency); break;
        case 'h': usage(stdout); exit(0);
        default: rc = MC_EINVAL; break;
        }
    }
    if (rc == 0 && argc - optind != 3) {
        fprintf(stderr, "micro_bench_load: want ADDR PATH TEMPLATE\n");
        rc = MC_EINVAL;
    }
    if (rc == 0 && o->to <= o->from) {
        fprintf(stderr, "micro_bench_load: --to must be above --from\n");
        rc = MC_EINVAL;
    }
    if (rc == 0 && (argv[optind + 1][0] != '/' || strlen(argv[optind + 2]) > MAX_TEMPLATE)) {
        fprintf(stderr, "micro_bench_load: PATH must start with '/', TEMPLATE at most %u bytes\n",
                MAX_TEMPLATE);
        rc = MC_EINVAL;
    }
    if (rc != 0) {
        usage(stderr);
        return rc;
    }
    o->addr = argv[optind];
    o->path = argv[optind + 1];
    o->tmpl = argv[optind + 2];
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct load l = { .o = &o };
    uint64_t t0, t1, limit;
    double secs;
    cJSON *r;
    int rc = 0;

    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    l.loop = mc_loop_new();
    if (!l.loop) {
        perror("micro_bench_load: cannot create the event loop");
        return 1;
    }
    l.cl = mc_grpc_client_new(l.loop, o.addr, NULL);
    mc_grpc_metadata_init(&l.md);
    if (o.auth && mc_grpc_metadata_add_cstr(&l.md, "authorization", o.auth) != 0) {
        fprintf(stderr, "micro_bench_load: --auth is not a valid header value\n");
        return 2;
    }
    bench_stats_init(&l.st);
    mc_buf_init(&l.body, MAX_TEMPLATE * 8);
    l.next = o.from;
    t0 = mc_now_ns();
    for (uint64_t i = 0; i < o.concurrency; i++)
        start_next(&l);
    limit = t0 + (o.to - o.from) * 1000000000ull + TIMEOUT_MS * 1000000ull + DRAIN_GRACE_NS;
    while (l.inflight > 0 && rc == 0) {
        if (mc_now_ns() > limit) {
            fprintf(stderr, "micro_bench_load: %u calls never ended\n", l.inflight);
            rc = MC_ETIMEDOUT;
        } else if (mc_loop_run_once(l.loop, 100) != 0) {
            rc = MC_EIO;
        }
    }
    t1 = mc_now_ns();
    secs = (double)(t1 - t0) / 1e9;
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "bench", "load");
    cJSON_AddStringToObject(r, "path", o.path);
    cJSON_AddNumberToObject(r, "from", (double)o.from);
    cJSON_AddNumberToObject(r, "to", (double)o.to);
    cJSON_AddNumberToObject(r, "concurrency", (double)o.concurrency);
    cJSON_AddNumberToObject(r, "ok", (double)l.st.ok);
    cJSON_AddNumberToObject(r, "errors", (double)l.st.errors);
    if (l.st.first_error[0])
        cJSON_AddStringToObject(r, "first_error", l.st.first_error);
    cJSON_AddNumberToObject(r, "seconds", secs);
    cJSON_AddNumberToObject(r, "calls_per_s", secs > 0 ? (double)l.st.ok / secs : 0);
    bench_record_print(r);
    if (l.st.errors)
        fprintf(stderr, "micro_bench_load: %llu calls failed, the first: %s\n",
                (unsigned long long)l.st.errors, l.st.first_error);
    if (rc != 0)
        fprintf(stderr, "micro_bench_load: stopped: %s\n", mc_strerror(rc));
    mc_grpc_client_free(l.cl);
    mc_loop_run_once(l.loop, 0);   /* deferred releases */
    mc_loop_free(l.loop);
    mc_grpc_metadata_release(&l.md);
    mc_buf_release(&l.body);
    bench_stats_release(&l.st);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("micro_bench_load: stdout");
        return 1;
    }
    return rc != 0 || l.st.errors > 0 ? 1 : 0;
}
