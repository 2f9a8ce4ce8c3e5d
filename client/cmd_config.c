/*
 * `micro config get|set|del`: the config service's values in the current
 * namespace, addressed by dot paths (spec §7). Texts and exit codes follow
 * upstream's client/cli/config/cli.go: values are sent as JSON (an argument
 * that is not JSON is a string), strings print without their quotes, a
 * missing value prints "Not found", and errors print on stdout with exit 1
 * as upstream's formatErr does.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "commands.h"
#include "mc_common.h"

#include "mc_banned.h"

/* The longest value `config set` sends (the server caps a document anyway). */
#define MC_CONFIG_VALUE_MAX ((size_t)1 << 20)

static cJSON *base_request(struct mc_cli *cli, const char *key)
{
    cJSON *req = cJSON_CreateObject();

    cJSON_AddStringToObject(req, "namespace", cli->namespace_);
    cJSON_AddStringToObject(req, "path", key);
    return req;
}

static void add_secret(cJSON *req, bool secret)
{
    cJSON *o = cJSON_AddObjectToObject(req, "options");

    cJSON_AddBoolToObject(o, "secret", secret);
}

/* Runs the call and reports a failure as upstream (a bare error: detail). */
static int call(struct mc_cli *cli, const char *endpoint, cJSON *req, cJSON **rsp)
{
    struct mc_cli_failure f;
    cJSON *ignored = NULL;
    int rc = 0;

    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "config", endpoint, req, rsp ? rsp : &ignored, &f) < 0)
        rc = mc_bi_fail_plain(cli, &f, NULL);
    cJSON_Delete(ignored);
    cJSON_Delete(req);
    mc_cli_failure_release(&f);
    return rc;
}

/* upstream prints Data[1:len-1] for a JSON string: the escapes stay as sent */
static void print_value(struct mc_cli *cli, const char *data)
{
    size_t n = strlen(data);

    if (n >= 2 && data[0] == '"' && data[n - 1] == '"')
        fprintf(cli->out, "%.*s\n", (int)(n - 2), data + 1);
    else
        fprintf(cli->out, "%s\n", data);
}

static bool is_null_text(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '\0')
        return true;
    if (strncmp(s, "null", 4) != 0)
        return false;
    for (s += 4; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
        ;
    return *s == '\0';
}

static int config_get(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    cJSON *rsp = NULL;
    int rc;

    if (!key)
        return mc_bi_fail_text(cli, "Required usage: micro config get key");
    if (!*key)
        return mc_bi_fail_text(cli, "key cannot be blank");
    cJSON *req = base_request(cli, key);
    add_secret(req, mc_args_bool(a, "secret"));
    if ((rc = call(cli, "Config.Get", req, &rsp)) != 0)
        return rc;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rsp, "value"), "data");
    const char *text = cJSON_IsString(data) ? data->valuestring : "";
    if (is_null_text(text))
        rc = mc_bi_fail_text(cli, "not found");
    else
        print_value(cli, text);
    cJSON_Delete(rsp);
    return rc;
}

/*
 * upstream's parseValue then json.Marshal: JSON text is re-encoded the way Go
 * encodes what it decoded (keys sorted, numbers as float64); anything else is
 * a string. (Go fails on a non-JSON argument holding '"' or '\'; we send it
 * as the string it plainly is.)
 */
static char *encode_value(const char *val)
{
    struct mc_buf out;
    cJSON *v = cJSON_ParseWithOpts(val, NULL, true);

    int rc;

    /* an escape takes at most 6 bytes ("\u003c") for one input byte */
    mc_buf_init(&out, 6 * MC_CONFIG_VALUE_MAX + 64);
    rc = v ? mc_go_json_marshal(&out, v) : mc_go_json_string(&out, val, strlen(val));
    cJSON_Delete(v);
    if (rc != 0) {
        mc_buf_release(&out);
        return NULL;
    }
    return mc_buf_detach(&out, NULL);
}

static int config_set(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    const char *val = mc_args_arg(a, 1);

    if (!key)
        return mc_bi_fail_text(cli, "Required usage: micro config set key val");
    if (!val)
        val = ""; /* as Go's args.Get(1): an empty string, which is not JSON */
    if (strlen(val) > MC_CONFIG_VALUE_MAX)
        return mc_bi_fail_text(cli, "value too large: at most %zu bytes",
                               (size_t)MC_CONFIG_VALUE_MAX);
    char *data = encode_value(val);
    if (!data)
        return mc_bi_fail_text(cli, "value too large");
    cJSON *req = base_request(cli, key);
    cJSON *v = cJSON_AddObjectToObject(req, "value");
    cJSON_AddStringToObject(v, "data", data);
    free(data);
    add_secret(req, mc_args_bool(a, "secret"));
    return call(cli, "Config.Set", req, NULL);
}

static int config_del(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);

    if (!key) /* sic: upstream's del reuses get's usage text */
        return mc_bi_fail_text(cli, "Required usage: micro config get key");
    if (!*key)
        return mc_bi_fail_text(cli, "key cannot be blank");
    return call(cli, "Config.Delete", base_request(cli, key), NULL);
}

static const struct mc_flag secret_flags[] = {
    {"secret", "s", MC_FLAG_BOOL, NULL, "Set it as a secret value", NULL},
    {0},
};

static const struct mc_cmd config_get_cmd = {
    .name = "get",
    .summary = "Get a value; micro config get key",
    .flags = secret_flags,
    .run = config_get,
    .max_args = -1,
};

static const struct mc_cmd config_set_cmd = {
    .name = "set",
    .summary = "Set a key-val; micro config set key val",
    .flags = secret_flags,
    .run = config_set,
    .max_args = -1,
};

static const struct mc_cmd config_del_cmd = {
    .name = "del",
    .summary = "Delete a value; micro config del key",
    .run = config_del,
    .max_args = -1,
};

static const struct mc_cmd *const config_subs[] = {
    &config_get_cmd,
    &config_set_cmd,
    &config_del_cmd,
    NULL,
};

const struct mc_cmd mc_cmd_config = {
    .name = "config",
    .summary = "Manage configuration values",
    .subs = config_subs,
    .max_args = -1,
};
