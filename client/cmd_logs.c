/*
 * `micro logs NAME[@version]` (spec §3.7): a service's log through the
 * runtime's Runtime.Logs stream, one line per record (the message, or the
 * record as JSON with -o json). -n asks for the last N lines (15 by
 * default, as upstream), -f keeps following until the user stops it, and
 * --since asks for the lines of the last duration only (spec §1.7: seconds
 * back). A service the runtime does not know prints upstream's
 * "Service not found" with exit code 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_common.h"
#include "run_util.h"
#include "mc_banned.h"

#define LOGS_DEFAULT_LINES 15
#define LOGS_LINE_MAX ((size_t)4 << 20)

struct logs_print {
    struct mc_cli *cli;
    bool json;
    bool bad;   /* a record that was not JSON */
};

static int print_record(void *ud, const char *json, size_t len)
{
    struct logs_print *p = ud;
    cJSON *rec = cJSON_ParseWithLength(json, len);
    struct mc_buf line;

    if (!cJSON_IsObject(rec)) {
        cJSON_Delete(rec);
        p->bad = true;
        return 1; /* stops the stream */
    }
    mc_buf_init(&line, LOGS_LINE_MAX);
    if (mc_run_log_line(&line, rec, p->json) == 0)
        fwrite(line.data, 1, line.len, p->cli->out);
    mc_buf_release(&line);
    cJSON_Delete(rec);
    /* a followed log is read by a person (or a pipe) as it comes */
    fflush(p->cli->out);
    return 0;
}

/* The request of Runtime.Logs; NULL after printing a usage error (*rc set). */
static cJSON *logs_request(struct mc_cli *cli, const struct mc_args *args, int *rc)
{
    const char *arg = args->argv[0], *at = strchr(arg, '@');
    const char *version = mc_args_str(args, "version"), *since = mc_args_str(args, "since");
    long long lines = mc_args_int(args, "lines", 0);
    cJSON *req = cJSON_CreateObject();
    char name[MC_RUN_NAME_MAX];

    snprintf(name, sizeof(name), "%.*s", at ? (int)(at - arg) : (int)strlen(arg), arg);
    cJSON_AddStringToObject(req, "service", name);
    if (at && !(version && *version))
        version = at + 1;
    if (version && *version)
        cJSON_AddStringToObject(req, "version", version);
    cJSON_AddBoolToObject(req, "stream", mc_args_bool(args, "follow"));
    cJSON_AddNumberToObject(req, "count", (double)(lines > 0 ? lines : LOGS_DEFAULT_LINES));
    if (since && *since) {
        int64_t ns;
        char err[256];
        if (mc_go_parse_duration(since, &ns, err, sizeof(err)) < 0 || ns < 0) {
            cJSON_Delete(req);
            *rc = mc_cli_fail_local(cli, "invalid --since: %s", ns < 0 ? since : err);
            return NULL;
        }
        cJSON_AddNumberToObject(req, "since", (double)(ns / 1000000000LL));
    }
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "namespace",
                            cli->namespace_);
    return req;
}

static int run_logs(struct mc_cli *cli, const struct mc_args *args)
{
    struct logs_print p = { .cli = cli };
    const char *output = mc_args_str(args, "output");
    struct mc_cli_failure f;
    cJSON *req;
    char *body;
    int rc = 0;

    if (args->argc == 0) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    if (!*args->argv[0]) {
        fputs("Required usage: micro log example\n", cli->out);
        return 0;
    }
    p.json = output && strcmp(output, "json") == 0;
    req = logs_request(cli, args, &rc);
    if (!req)
        return rc;
    body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    mc_cli_failure_init(&f);
    if (mc_cli_stream(cli, "runtime", "Runtime.Logs", body, NULL, print_record, &p, &f) < 0) {
        if (f.kind == MC_CLI_MICRO_ERROR && f.error.code == 404) {
            fputs("Service not found\n", cli->err);
            rc = 1;
        } else
            rc = mc_cli_fail(cli, &f);
    } else if (p.bad)
        rc = mc_cli_fail_local(cli, "malformed log record from the runtime");
    mc_cli_failure_release(&f);
    free(body);
    return rc;
}

static const struct mc_flag logs_flags[] = {
    {"version", NULL, MC_FLAG_STRING, NULL, "Set the version of the service to debug", NULL},
    {"output", "o", MC_FLAG_STRING, NULL, "Set the output format e.g json, text", NULL},
    {"follow", "f", MC_FLAG_BOOL, NULL, "Set to stream logs continuously (default: true)", NULL},
    {"since", NULL, MC_FLAG_STRING, NULL,
     "Set to the relative time from which to show the logs for e.g. 1h", NULL},
    {"lines", "n", MC_FLAG_INT, NULL, "Set to query the last number of log events", NULL},
    {0},
};

const struct mc_cmd mc_cmd_logs = {
    .name = "logs",
    .summary = "Get logs for a service e.g. micro logs helloworld",
    .args_usage = "NAME[@version]",
    .flags = logs_flags,
    .run = run_logs,
    .max_args = 1,
};
