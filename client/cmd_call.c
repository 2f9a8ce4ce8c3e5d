/*
 * `micro call SERVICE ENDPOINT [JSON]` and `micro stream SERVICE ENDPOINT
 * [JSON]` (spec §3.2): a request written by hand, sent through the proxy (or
 * with `call --address` straight to one node) with optional metadata and
 * deadline. `call` prints the answer re-indented with tabs (or as received
 * with -o raw); `stream` prints each message as it arrives. Upstream's stream
 * prints messages with no separator at all ("}{"); here each ends with a
 * newline so the output can be read line by line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "output.h"
#include "transport.h"
#include "mc_banned.h"

#define CALL_BODY_MAX MC_TRANSPORT_MAX_MSG

/* A --request_timeout value (Go's time.ParseDuration syntax: "500ms", "1m30s")
 * in ms, rounded up so a positive duration is at least 1 ms. 0, or -1. */
static int parse_duration_ms(const char *s, uint64_t *ms)
{
    char why[128];
    int64_t ns;

    if (mc_go_parse_duration(s, &ns, why, sizeof(why)) < 0 || ns < 0)
        return -1;
    *ms = (uint64_t)ns / 1000000u + ((uint64_t)ns % 1000000u != 0);
    return 0;
}

/* The request: the words after SERVICE ENDPOINT joined by spaces, a JSON object
 * ("{}" when absent). Returns a heap string, or NULL with *why set. */
static char *request_body(const struct mc_args *args, const char **why)
{
    struct mc_buf b;
    mc_buf_init(&b, CALL_BODY_MAX);
    for (int i = 2; i < args->argc; i++) {
        if ((i > 2 && mc_buf_append(&b, " ", 1) != 0) ||
            mc_buf_append_str(&b, args->argv[i]) != 0) {
            mc_buf_release(&b);
            *why = "request too large";
            return NULL;
        }
    }
    if (b.len == 0)
        mc_buf_append_str(&b, "{}");
    /* as Go's json.Decoder: the first value counts, what follows it is ignored */
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(mc_buf_cstr(&b), &end, false);
    if (!cJSON_IsObject(j)) {
        *why = j ? "json: cannot unmarshal a non-object into a request"
                 : "invalid JSON";
        cJSON_Delete(j);
        mc_buf_release(&b);
        return NULL;
    }
    cJSON_Delete(j);
    char *text = mc_buf_detach(&b, NULL);
    text[end - text] = '\0';
    return text;
}

/* Metadata and deadline from the flags; returns 0 or the exit code of a bad flag. */
static int call_options(struct mc_cli *cli, const struct mc_args *args, bool timeout_flag,
                        struct mc_call_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->metadata_count = mc_args_strings(args, "metadata", &o->metadata);
    if (timeout_flag && mc_args_isset(args, "request_timeout")) {
        const char *t = mc_args_str(args, "request_timeout");
        if (t && *t && (parse_duration_ms(t, &o->timeout_ms) != 0)) {
            fputs("Invalid format for request_timeout duration. Try 500ms or 5s\n", cli->err);
            return 2;
        }
    }
    return 0;
}

static int print_json(struct mc_cli *cli, bool raw, const char *json, size_t len)
{
    if (raw) {
        fwrite(json, 1, len, cli->out);
        fputc('\n', cli->out);
    } else {
        mc_out_json(cli->out, json, len);
    }
    return 0;
}

static bool raw_output(struct mc_cli *cli, const struct mc_args *args, int *rc)
{
    const char *o = mc_args_str(args, "output");
    *rc = 0;
    if (!o || !*o || strcmp(o, "json") == 0)
        return false;
    if (strcmp(o, "raw") == 0)
        return true;
    fprintf(cli->err, "Invalid output format %s: expected json or raw\n", o);
    *rc = 1;
    return false;
}

/*
 * Runs the call on a transport of its own to addr, as upstream's WithAddress.
 * cli->address is left naming the node, so that a dial failure names it too;
 * the caller restores it.
 */
static int call_node(struct mc_cli *cli, const char *addr, const char *service,
                     const char *endpoint, const char *body, const struct mc_call_opts *o,
                     char **rsp, struct mc_cli_failure *f)
{
    struct mc_transport *saved_tx = cli->tx;
    bool saved_tls = cli->tls;

    snprintf(cli->address, sizeof(cli->address), "%s", addr);
    cli->tls = false;
    cli->tx = NULL;
    int rc = mc_cli_call(cli, service, endpoint, body, o, rsp, f);
    mc_transport_free(cli->tx);
    cli->tx = saved_tx;
    cli->tls = saved_tls;
    return rc;
}

static int run_call(struct mc_cli *cli, const struct mc_args *args)
{
    if (args->argc < 2) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    int rc;
    bool raw = raw_output(cli, args, &rc);
    if (rc)
        return rc;
    struct mc_call_opts o;
    if ((rc = call_options(cli, args, true, &o)) != 0)
        return rc;
    const char *why = NULL;
    char *body = request_body(args, &why);
    if (!body) {
        fprintf(cli->err, "Error creating request %s\n", why);
        return 1;
    }
    const char *addr = mc_args_str(args, "address");
    char saved_addr[MC_CLI_ADDR_MAX];
    memcpy(saved_addr, cli->address, sizeof(saved_addr));
    struct mc_cli_failure f;
    char *rsp = NULL;
    mc_cli_failure_init(&f);
    if (addr && *addr)
        rc = call_node(cli, addr, mc_args_arg(args, 0), mc_args_arg(args, 1), body, &o, &rsp, &f);
    else
        rc = mc_cli_call(cli, mc_args_arg(args, 0), mc_args_arg(args, 1), body, &o, &rsp, &f);
    free(body);
    if (rc != 0)
        rc = mc_cli_fail(cli, &f);
    else
        print_json(cli, raw, rsp, strlen(rsp));
    memcpy(cli->address, saved_addr, sizeof(saved_addr));
    mc_cli_failure_release(&f);
    free(rsp);
    return rc;
}

static const struct mc_flag call_flags[] = {
    { .name = "address", .type = MC_FLAG_STRING,
      .usage = "Set the address of the service instance to call", .env = "MICRO_ADDRESS" },
    { .name = "output", .alias = "o", .type = MC_FLAG_STRING,
      .usage = "Set the output format; json (default), raw", .env = "MICRO_OUTPUT" },
    { .name = "metadata", .type = MC_FLAG_STRINGS,
      .usage = "A list of key-value pairs to be forwarded as metadata", .env = "MICRO_METADATA" },
    { .name = "request_timeout", .type = MC_FLAG_STRING, .usage = "timeout duration" },
    { 0 },
};

const struct mc_cmd mc_cmd_call = {
    .name = "call",
    .summary = "Call a service e.g micro call greeter Say.Hello '{\"name\": \"John\"}'",
    .args_usage = "SERVICE ENDPOINT [JSON]",
    .flags = call_flags,
    .run = run_call,
    .max_args = -1,
};

/* ---- stream ------------------------------------------------------------------------ */

struct stream_out {
    struct mc_cli *cli;
    bool raw;
};

static int on_stream_msg(void *ud, const char *json, size_t len)
{
    struct stream_out *s = ud;
    print_json(s->cli, s->raw, json, len);
    /* each message is seen as it arrives, even through a pipe */
    return fflush(s->cli->out) == 0 ? 0 : 1;
}

static int run_stream(struct mc_cli *cli, const struct mc_args *args)
{
    if (args->argc < 2) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    int rc;
    struct stream_out s = { .cli = cli };
    s.raw = raw_output(cli, args, &rc);
    if (rc)
        return rc;
    struct mc_call_opts o;
    call_options(cli, args, false, &o);
    const char *why = NULL;
    char *body = request_body(args, &why);
    if (!body) {
        fprintf(cli->err, "Error creating request %s\n", why);
        return 1;
    }
    struct mc_cli_failure f;
    mc_cli_failure_init(&f);
    rc = mc_cli_stream(cli, mc_args_arg(args, 0), mc_args_arg(args, 1), body, &o, on_stream_msg,
                       &s, &f);
    free(body);
    if (rc != 0)
        rc = mc_cli_fail(cli, &f);
    mc_cli_failure_release(&f);
    return rc;
}

static const struct mc_flag stream_flags[] = {
    { .name = "output", .alias = "o", .type = MC_FLAG_STRING,
      .usage = "Set the output format; json (default), raw", .env = "MICRO_OUTPUT" },
    { .name = "metadata", .type = MC_FLAG_STRINGS,
      .usage = "A list of key-value pairs to be forwarded as metadata", .env = "MICRO_METADATA" },
    { 0 },
};

const struct mc_cmd mc_cmd_stream = {
    .name = "stream",
    .summary = "Create a service stream e.g. micro stream foo Bar.Baz '{\"key\": \"value\"}'",
    .args_usage = "SERVICE ENDPOINT [JSON]",
    .flags = stream_flags,
    .run = run_stream,
    .max_args = -1,
};
