/*
 * `micro status [NAME [VERSION]]` (spec §3.5): the services the runtime
 * runs in the current namespace, as upstream's getService prints them: a
 * tabwriter table sorted by name, nothing at all when there are none. A
 * NAME may be written as any source (`micro status ./helloworld`,
 * `micro status github.com/micro/services/helloworld`): its service name is
 * what is asked for, with VERSION or "latest".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_common.h"
#include "run_util.h"
#include "mc_banned.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The service name a source argument stands for (a folder's own name). */
static int name_of_arg(struct mc_cli *cli, const char *arg, char *name, size_t cap)
{
    struct mc_run_source src;
    char err[256];

    if (mc_run_source_parse(arg, is_dir(arg), NULL, &src, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    if (src.local) {
        char *real = realpath(src.path, NULL);
        const char *p = real ? real : src.path;
        const char *slash = strrchr(p, '/');
        const char *base = slash && slash[1] ? slash + 1 : p;
        size_t n = strlen(base);
        if (n >= cap)
            n = cap - 1; /* too long for a service name: asks for nothing that exists */
        memcpy(name, base, n);
        name[n] = '\0';
        free(real);
    } else
        memcpy(name, src.name, MC_MIN(cap, sizeof(src.name)));
    return 0;
}

static int run_status(struct mc_cli *cli, const struct mc_args *args)
{
    char name[MC_RUN_NAME_MAX] = "";
    struct mc_cli_failure f;
    struct mc_buf out;
    cJSON *req, *opts, *rsp = NULL;
    const char *type = mc_args_str(args, "type");
    int rc;

    if (args->argc > 0 && (rc = name_of_arg(cli, args->argv[0], name, sizeof(name))) != 0)
        return rc;
    req = cJSON_CreateObject();
    opts = cJSON_AddObjectToObject(req, "options");
    if (args->argc > 0) {
        cJSON_AddStringToObject(opts, "service", name);
        cJSON_AddStringToObject(opts, "version", args->argc > 1 ? args->argv[1] : "latest");
    }
    if (type && *type)
        cJSON_AddStringToObject(opts, "type", type);
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    mc_cli_failure_init(&f);
    rc = mc_bi_call(cli, "runtime", "Runtime.Read", req, &rsp, &f);
    cJSON_Delete(req);
    if (rc < 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    mc_buf_init(&out, MC_BI_OUT_MAX);
    rc = mc_run_status_table(&out, cJSON_GetObjectItemCaseSensitive(rsp, "services"),
                             mc_run_now_ns());
    cJSON_Delete(rsp);
    if (rc < 0) {
        mc_buf_release(&out);
        return mc_cli_fail_local(cli, "too many services to list");
    }
    fwrite(out.data ? out.data : "", 1, out.len, cli->out);
    mc_buf_release(&out);
    return 0;
}

static const struct mc_flag status_flags[] = {
    {"type", NULL, MC_FLAG_STRING, NULL, "The type of service operate on", NULL},
    {0},
};

const struct mc_cmd mc_cmd_status = {
    .name = "status",
    .summary = "Get the status of services",
    .args_usage = "[name] [version]",
    .flags = status_flags,
    .run = run_status,
    .max_args = 2,
};
