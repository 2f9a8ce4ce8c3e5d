/* The Debug handler of every service: see mc_debug.h. */
#include "mc_debug.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "debug.pb-c.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "mc_banned.h"

uint64_t mc_debug_rss_bytes(void)
{
    unsigned long long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t mc_debug_threads(void)
{
    char line[256];
    unsigned long long n = 1;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return 1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %llu", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int health(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *arg)
{
    ((Debug__HealthResponse *)rsp)->status = "ok";
    return MC_OK;
}

static int stats(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                 void *arg)
{
    const struct mc_rpc_service *svc = arg;
    Debug__StatsResponse *s = (Debug__StatsResponse *)rsp;
    int64_t now = mc_unix_time();

    s->timestamp = (uint64_t)now;
    s->started = (uint64_t)mc_rpc_service_started(svc);
    s->uptime = (uint64_t)(now - mc_rpc_service_started(svc));
    s->memory = mc_debug_rss_bytes();
    s->threads = mc_debug_threads();
    s->gc = 0;   /* no garbage collector */
    s->requests = mc_rpc_service_requests(svc);
    s->errors = mc_rpc_service_errors(svc);
    return MC_OK;
}

struct log_fill {
    struct mc_rpc_ctx *ctx;
    Debug__LogResponse *rsp;
};

static void add_record(const struct mc_log_record *r, void *arg)
{
    struct log_fill *f = arg;
    Debug__Record *rec = mc_arena_alloc(f->ctx->arena, sizeof(*rec));

    debug__record__init(rec);
    rec->timestamp = r->unix_secs;
    rec->message = mc_arena_strdup(f->ctx->arena, r->line);
    f->rsp->records[f->rsp->n_records++] = rec;
}

static int log_records(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                       ProtobufCMessage *rsp, void *arg)
{
    const Debug__LogRequest *in = (const Debug__LogRequest *)req;
    struct log_fill fill = { ctx, (Debug__LogResponse *)rsp };
    int count = in->count > 0 && in->count < MC_LOG_RING ? (int)in->count : 0;
    long long since = in->since > 0 ? mc_unix_time() - in->since : 0;

    /* since is "seconds back", as runtime.LogsRequest and upstream's debug handler */
    fill.rsp->records = mc_arena_alloc(ctx->arena, MC_LOG_RING * sizeof(Debug__Record *));
    mc_log_recent(since, count, add_record, &fill);
    return MC_OK;
}

static int trace(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                 void *arg)
{
    return MC_OK;   /* no spans are recorded */
}

int mc_debug_attach(struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &debug__debug__descriptor;
    int rc;

    if ((rc = mc_rpc_service_handle(svc, sd, "Health", health, svc)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Stats", stats, svc)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Log", log_records, svc)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Trace", trace, svc)) < 0)
        return rc;
    return MC_OK;
}
