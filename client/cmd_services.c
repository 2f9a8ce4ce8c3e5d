/*
 * `micro services` (spec §3.4) and `micro get service NAME` (§3.6): the
 * registry of the current namespace as upstream's CLI prints it. Both ask the
 * registry every time (the schema cache is for dynamic commands): these are
 * the commands a user runs to see what is registered right now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "output.h"
#include "mc_banned.h"

#define GET_SERVICE_MAX_DEPTH 32 /* levels of a Value tree printed */
#define GET_SERVICE_MAX_OUT (16u * 1024u * 1024u)

/* Calls registry.Registry.<method> with body (taken); the parsed response or NULL
 * after printing the failure (*rc gets the exit code). */
static cJSON *registry_call(struct mc_cli *cli, const char *method, cJSON *body, int *rc,
                            bool *not_found)
{
    char *req = cJSON_PrintUnformatted(body);
    char *rsp = NULL;
    struct mc_cli_failure f;

    cJSON_Delete(body);
    mc_cli_failure_init(&f);
    *rc = 0;
    if (mc_cli_call(cli, "registry", method, req, NULL, &rsp, &f) != 0) {
        if (not_found && f.kind == MC_CLI_MICRO_ERROR && f.error.code == 404)
            *not_found = true;
        else
            *rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        free(req);
        return NULL;
    }
    free(req);
    cJSON *doc = cJSON_Parse(rsp);
    free(rsp);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        *rc = mc_cli_fail_local(cli, "malformed response from the registry");
        return NULL;
    }
    return doc;
}

static cJSON *domain_options(const char *ns)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "options"), "domain", ns);
    return body;
}

/* ---- micro services ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_services(struct mc_cli *cli, const struct mc_args *args)
{
    struct mc_cli_failure f;
    char **names;
    size_t n;
    int rc;

    (void)args;
    mc_cli_failure_init(&f);
    /* in protobuf: with thousands of services the JSON documents cost more than the call */
    if (mc_cli_service_names(cli, cli->namespace_, &names, &n, &f) != 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    /* one line per registered version, as upstream: no de-duplication */
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++)
        fprintf(cli->out, "%s\n", names[i]);
    mc_cli_names_free(names);
    return 0;
}

const struct mc_cmd mc_cmd_services = {
    .name = "services",
    .summary = "List services in the registry",
    .run = run_services,
    .max_args = -1,
};

/* ---- micro get service ------------------------------------------------------------- */

/* snaker.CamelToSnake for the names a Value carries: "changeSet" → "change_set". */
static void snake_case(struct mc_buf *b, const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool up = c >= 'A' && c <= 'Z';
        if (up && i > 0) {
            char p = s[i - 1], nx = s[i + 1];
            bool p_low = (p >= 'a' && p <= 'z') || (p >= '0' && p <= '9');
            bool p_up = p >= 'A' && p <= 'Z';
            if (p_low || (p_up && nx >= 'a' && nx <= 'z'))
                mc_buf_append(b, "_", 1);
        }
        char l = up ? (char)(c - 'A' + 'a') : c;
        mc_buf_append(b, &l, 1);
    }
}

static void tabs(struct mc_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        mc_buf_append(b, "\t", 1);
}

/* upstream's formatEndpoint: one line per field, nested messages in braces */
static void format_value(struct mc_buf *b, const cJSON *v, int depth)
{
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(v, "values");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "type"));

    tabs(b, depth + 1);
    snake_case(b, name ? name : "");
    mc_buf_appendf(b, " %s", type ? type : "");
    if (cJSON_GetArraySize(kids) == 0 || depth >= GET_SERVICE_MAX_DEPTH) {
        mc_buf_append(b, "\n", 1);
        return;
    }
    mc_buf_append(b, " {\n", 3);
    const cJSON *k;
    cJSON_ArrayForEach(k, kids)
        format_value(b, k, depth + 1);
    tabs(b, depth + 1);
    mc_buf_append(b, "}\n", 2);
}

static void format_message(struct mc_buf *b, const cJSON *value)
{
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(value, "values");
    if (cJSON_GetArraySize(kids) == 0) {
        mc_buf_append(b, "{}", 2);
        return;
    }
    mc_buf_append(b, "{\n", 2);
    const cJSON *k;
    cJSON_ArrayForEach(k, kids)
        format_value(b, k, 0);
    mc_buf_append(b, "}", 1);
}

/* "k=v,k=v" of a string map, in the order received. */
static void format_meta(struct mc_buf *b, const cJSON *meta)
{
    const cJSON *m;
    bool first = true;
    cJSON_ArrayForEach(m, meta)
    {
        if (!cJSON_IsString(m))
            continue;
        mc_buf_appendf(b, "%s%s=%s", first ? "" : ",", m->string, m->valuestring);
        first = false;
    }
}

/* The parts upstream joins with "\n": one string each, appended to b with the
 * separator before every part but the first. */
static void part(struct mc_buf *b, const char *text)
{
    if (b->len)
        mc_buf_append(b, "\n", 1);
    mc_buf_append(b, text, strlen(text));
}

static void format_endpoint(struct mc_buf *out, const cJSON *e)
{
    struct mc_buf t;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));

    mc_buf_init(&t, GET_SERVICE_MAX_OUT);
    mc_buf_appendf(&t, "\nEndpoint: %s\n", name ? name : "");
    part(out, mc_buf_cstr(&t));
    mc_buf_reset(&t);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(e, "metadata");
    if (cJSON_GetArraySize(meta) > 0) {
        mc_buf_append(&t, "Metadata: ", 10);
        format_meta(&t, meta);
        mc_buf_append(&t, "\n", 1);
        part(out, mc_buf_cstr(&t));
        mc_buf_reset(&t);
    }
    mc_buf_append(&t, "Request: ", 9);
    format_message(&t, cJSON_GetObjectItemCaseSensitive(e, "request"));
    mc_buf_append(&t, "\n\nResponse: ", 12);
    format_message(&t, cJSON_GetObjectItemCaseSensitive(e, "response"));
    mc_buf_append(&t, "\n", 1);
    part(out, mc_buf_cstr(&t));
    mc_buf_release(&t);
}

static void format_service(struct mc_buf *out, const cJSON *versions)
{
    const cJSON *first = cJSON_GetArrayItem(versions, 0);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "name"));
    struct mc_buf t;
    const cJSON *v;

    mc_buf_init(&t, GET_SERVICE_MAX_OUT);
    mc_buf_appendf(&t, "service  %s", name ? name : "");
    part(out, mc_buf_cstr(&t));
    cJSON_ArrayForEach(v, versions)
    {
        const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "version"));
        if (ver && *ver) {
            mc_buf_reset(&t);
            mc_buf_appendf(&t, "\nversion %s", ver);
            part(out, mc_buf_cstr(&t));
        }
        part(out, "\nID\tAddress\tMetadata");
        const cJSON *node;
        cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(v, "nodes"))
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "id"));
            const char *addr =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "address"));
            mc_buf_reset(&t);
            mc_buf_appendf(&t, "%s\t%s\t", id ? id : "", addr ? addr : "");
            format_meta(&t, cJSON_GetObjectItemCaseSensitive(node, "metadata"));
            part(out, mc_buf_cstr(&t));
        }
    }
    mc_buf_release(&t);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(first, "endpoints"))
        format_endpoint(out, e);
}

static int run_get_service(struct mc_cli *cli, const struct mc_args *args)
{
    if (args->argc == 0) { /* upstream shows the command's help, exit 0 */
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    cJSON *body = domain_options(cli->namespace_);
    cJSON_AddStringToObject(body, "service", mc_args_arg(args, 0));
    int rc;
    bool missing = false;
    cJSON *doc = registry_call(cli, "Registry.GetService", body, &rc, &missing);
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(doc, "services");
    if (missing || (doc && cJSON_GetArraySize(versions) == 0)) {
        cJSON_Delete(doc);
        return mc_cli_fail_local(cli, "Service not found");
    }
    if (!doc)
        return rc;
    struct mc_buf out;
    mc_buf_init(&out, GET_SERVICE_MAX_OUT);
    format_service(&out, versions);
    fprintf(cli->out, "%s\n", mc_buf_cstr(&out));
    mc_buf_release(&out);
    cJSON_Delete(doc);
    return 0;
}

static const struct mc_cmd cmd_get_service = {
    .name = "service",
    .summary = "Get a specific service from the registry",
    .args_usage = "NAME",
    .run = run_get_service,
    .max_args = -1,
};

static const struct mc_cmd *const get_subs[] = { &cmd_get_service, NULL };

const struct mc_cmd mc_cmd_get = {
    .name = "get",
    .summary = "Get resources from micro",
    .subs = get_subs,
    .max_args = -1,
};
