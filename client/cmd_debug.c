/*
 * `micro debug health|stats`: ask every node of a service for its Debug
 * handler's health or stats (spec §1.13), as upstream's
 * client/cli/debug/debug.go does: the service is looked up in the registry
 * (current namespace) and each node is called directly at its address.
 * Errors go through mc_cli_fail (upstream wraps these in util.Print).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "mc_error.h"
#include "output.h"
#include "transport.h"

#include "mc_banned.h"

#define DEBUG_SERVICES_MAX 4096 /* services a `stats --all` walks */

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static uint64_t u64_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    uint64_t n = 0;

    if (cJSON_IsString(v) && mc_parse_u64(v->valuestring, &n) == 0)
        return n;
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* Registry.GetService in the current namespace: the versions of name, or NULL
 * after reporting the failure (*rc = exit code). */
static cJSON *lookup(struct mc_cli *cli, const char *name, int *rc)
{
    struct mc_cli_failure f;
    cJSON *req = cJSON_CreateObject(), *rsp = NULL;

    cJSON_AddStringToObject(req, "service", name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "domain", cli->namespace_);
    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "registry", "Registry.GetService", req, &rsp, &f) < 0) {
        /* the registry client turns 404 into ErrNotFound, a plain error */
        *rc = f.kind == MC_CLI_MICRO_ERROR && f.error.code == 404
                  ? mc_cli_fail_local(cli, "service not found")
                  : mc_cli_fail(cli, &f);
        rsp = NULL;
    } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rsp, "services")) == 0) {
        *rc = mc_cli_fail_local(cli, "Service not found");
        cJSON_Delete(rsp);
        rsp = NULL;
    }
    cJSON_Delete(req);
    mc_cli_failure_release(&f);
    return rsp;
}

/* One call straight to a node (upstream's client.WithAddress), on a transport
 * of its own; the session's connection and address are restored after. */
static int call_node(struct mc_cli *cli, const char *addr, const char *service,
                     const char *endpoint, char **rsp, struct mc_cli_failure *f)
{
    struct mc_transport *saved_tx = cli->tx;
    char saved_addr[MC_CLI_ADDR_MAX];
    bool saved_tls = cli->tls;

    memcpy(saved_addr, cli->address, sizeof(saved_addr));
    snprintf(cli->address, sizeof(cli->address), "%s", addr);
    cli->tls = false;
    cli->tx = NULL;
    int rc = mc_cli_call(cli, service, endpoint, "{}", NULL, rsp, f);
    mc_transport_free(cli->tx);
    cli->tx = saved_tx;
    cli->tls = saved_tls;
    memcpy(cli->address, saved_addr, sizeof(saved_addr));
    return rc;
}

/* err.Error() of a failed node call: a micro error's JSON, else its text. */
static void error_text(struct mc_buf *out, const struct mc_cli_failure *f, const char *addr)
{
    if (f->kind == MC_CLI_MICRO_ERROR && mc_error_to_json(&f->error, out) == 0)
        return;
    if (f->error.detail && *f->error.detail)
        mc_buf_append_str(out, f->error.detail);
    else
        mc_buf_appendf(out, "failed to connect to %s", addr);
}

static int debug_health(struct mc_cli *cli, const struct mc_args *a)
{
    const char *name = mc_args_arg(a, 0);
    const cJSON *svc, *node;
    struct mc_buf out;
    int rc = 0;

    if (!name)
        return mc_cli_fail_local(cli, "require service name");
    cJSON *rsp = lookup(cli, name, &rc);
    if (!rsp)
        return rc;
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(rsp, "services");
    mc_buf_init(&out, MC_BI_OUT_MAX);
    mc_buf_appendf(&out, "service  %s", str_of(svcs->child, "name"));
    cJSON_ArrayForEach(svc, svcs) {
        mc_buf_appendf(&out, "\n\nversion %s", str_of(svc, "version"));
        mc_buf_append_str(&out, "\n\nnode\t\taddress:port\t\tstatus");
        cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(svc, "nodes")) {
            const char *addr = str_of(node, "address");
            struct mc_cli_failure f;
            char *text = NULL;
            mc_cli_failure_init(&f);
            mc_buf_appendf(&out, "\n%s\t\t%s\t\t", str_of(node, "id"), addr);
            if (call_node(cli, addr, str_of(svcs->child, "name"), "Debug.Health", &text, &f) ==
                0) {
                cJSON *h = cJSON_Parse(text);
                mc_buf_append_str(&out, str_of(h, "status"));
                cJSON_Delete(h);
            } else {
                error_text(&out, &f, addr);
            }
            free(text);
            mc_cli_failure_release(&f);
        }
    }
    fprintf(cli->out, "%.*s\n", (int)out.len, out.data);
    mc_buf_release(&out);
    cJSON_Delete(rsp);
    return 0;
}

/* One node's stats row: NODE ADDRESS:PORT STARTED UPTIME MEMORY THREADS GC. */
static void stats_row(struct mc_cli *cli, struct mc_table *t, const char *service,
                      const cJSON *node)
{
    const char *addr = str_of(node, "address");
    struct mc_cli_failure f;
    char *text = NULL, started[64] = "";
    struct mc_buf uptime, memory, gc;
    uint64_t threads = 0;

    mc_buf_init(&uptime, 64);
    mc_buf_init(&memory, 64);
    mc_buf_init(&gc, 64);
    mc_cli_failure_init(&f);
    if (call_node(cli, addr, service, "Debug.Stats", &text, &f) == 0) {
        cJSON *s = cJSON_Parse(text);
        time_t st = (time_t)u64_of(s, "started");
        struct tm tm;
        /* Go's Format("Jan 2 15:04:05"): the day without padding */
        if (localtime_r(&st, &tm)) {
            char mon[8], hms[16];
            strftime(mon, sizeof(mon), "%b", &tm);
            strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
            snprintf(started, sizeof(started), "%s %d %s", mon, tm.tm_mday, hms);
        }
        mc_go_duration_string(&uptime, (int64_t)u64_of(s, "uptime") * 1000000000);
        mc_buf_appendf(&memory, "%.2fmb", (double)u64_of(s, "memory") / (1024.0 * 1024.0));
        mc_go_duration_string(&gc, (int64_t)u64_of(s, "gc"));
        threads = u64_of(s, "threads");
        cJSON_Delete(s);
    }
    /* upstream Fprintln's a line that already ends in "\n": a blank line follows */
    mc_table_printf(t, "%s\t%s\t%s\t%s\t%s\t%llu\t%s\n\n", str_of(node, "id"), addr, started,
                    mc_buf_cstr(&uptime), mc_buf_cstr(&memory), (unsigned long long)threads,
                    mc_buf_cstr(&gc));
    free(text);
    mc_cli_failure_release(&f);
    mc_buf_release(&uptime);
    mc_buf_release(&memory);
    mc_buf_release(&gc);
}

/* Stats of each named service into t; 0, or the exit code of a failed lookup. */
static int stats_of(struct mc_cli *cli, struct mc_table *t, const char *name)
{
    const cJSON *svc, *node;
    int rc = 0;
    cJSON *rsp = lookup(cli, name, &rc);

    if (!rsp)
        return rc;
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(rsp, "services");
    const char *sname = str_of(svcs->child, "name");
    mc_table_printf(t, "SERVICE\t%s\n\n", sname);
    cJSON_ArrayForEach(svc, svcs) {
        mc_table_printf(t, "VERSION\t%s\n\n", str_of(svc, "version"));
        mc_table_write(t, "NODE\tADDRESS:PORT\tSTARTED\tUPTIME\tMEMORY\tTHREADS\tGC\n");
        cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(svc, "nodes"))
            stats_row(cli, t, sname, node);
    }
    cJSON_Delete(rsp);
    return 0;
}

/* upstream's util.IsBuiltInService: the core services */
static bool builtin_service(const char *name)
{
    static const char *const core[] = {"api",   "auth",     "broker",  "config", "events",
                                       "network", "proxy",  "registry", "router", "runtime",
                                       "store"};
    for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
        if (strcmp(core[i], name) == 0)
            return true;
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --all builtin|custom: the registry's services of that kind, sorted. */
static int all_services(struct mc_cli *cli, bool builtin, cJSON **names)
{
    struct mc_cli_failure f;
    cJSON *req = cJSON_CreateObject(), *rsp = NULL, *s;
    const char *list[DEBUG_SERVICES_MAX];
    size_t n = 0;

    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "domain", cli->namespace_);
    mc_cli_failure_init(&f);
    int rc = mc_bi_call(cli, "registry", "Registry.ListServices", req, &rsp, &f);
    cJSON_Delete(req);
    if (rc < 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rsp, "services")) {
        const char *name = str_of(s, "name");
        /* "server" is left out of custom, as upstream does */
        if (n < DEBUG_SERVICES_MAX && builtin_service(name) == builtin &&
            (builtin || strcmp(name, "server") != 0))
            list[n++] = name;
    }
    qsort(list, n, sizeof(list[0]), by_name);
    *names = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(*names, cJSON_CreateString(list[i]));
    cJSON_Delete(rsp);
    mc_cli_failure_release(&f);
    if (n == 0) {
        cJSON_Delete(*names);
        *names = NULL;
        return mc_cli_fail_local(cli, builtin ? "no builtin service(s) found"
                                              : "no custom service(s) found");
    }
    return 0;
}

static int debug_stats(struct mc_cli *cli, const struct mc_args *a)
{
    const char *all = mc_args_str(a, "all");
    cJSON *names = cJSON_CreateArray(), *n;
    int rc = 0;

    if (all && (strcmp(all, "builtin") == 0 || strcmp(all, "custom") == 0)) {
        cJSON_Delete(names);
        if ((rc = all_services(cli, strcmp(all, "builtin") == 0, &names)) != 0)
            return rc;
    } else {
        for (int i = 0; i < a->argc; i++)
            cJSON_AddItemToArray(names, cJSON_CreateString(a->argv[i]));
    }
    if (cJSON_GetArraySize(names) == 0) {
        cJSON_Delete(names);
        mc_cmd_print_help(cli->out, a->cmd, a->path);
        return 0;
    }
    struct mc_table *t = mc_table_new(0, 4, ' ', false);
    cJSON_ArrayForEach(n, names)
        if ((rc = stats_of(cli, t, n->valuestring)) != 0)
            break;
    if (rc == 0) {
        mc_table_flush(t, cli->out);
        fputc('\n', cli->out); /* util.Print's newline after the bytes */
    } else {
        mc_table_free(t);
    }
    cJSON_Delete(names);
    return rc;
}

static const struct mc_flag stats_flags[] = {
    {"all", NULL, MC_FLAG_STRING, NULL,
     "to list all builtin services use --all builtin, for user's services use --all custom",
     NULL},
    {0},
};

static const struct mc_cmd health_cmd = {
    .name = "health",
    .summary = "Get the service health",
    .args_usage = "SERVICE",
    .run = debug_health,
    .max_args = -1,
};

static const struct mc_cmd stats_cmd = {
    .name = "stats",
    .summary = "Query the stats of specified service(s), e.g micro stats srv1 srv2 srv3",
    .args_usage = "SERVICE...",
    .flags = stats_flags,
    .run = debug_stats,
    .max_args = -1,
};

static const struct mc_cmd *const debug_subs[] = {&health_cmd, &stats_cmd, NULL};

const struct mc_cmd mc_cmd_debug = {
    .name = "debug",
    .summary = "Debug a service",
    .subs = debug_subs,
    .max_args = -1,
};
