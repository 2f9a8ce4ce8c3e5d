/*
 * The session's life: opening the user's files, resolving the current
 * environment, its address and namespace (flags and MICRO_* variables win
 * over config.json), and the access token, refreshed before it expires
 * (spec §3.10). The calls themselves are in cli_call.c.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_common.h"
#include "schema_cache.h"
#include "transport.h"
#include "userconf.h"

#include "mc_banned.h"

#define CLI_REFRESH_WINDOW_S 60  /* refresh a token that expires within a minute */
#define CLI_REFRESH_EXPIRY_S 600 /* ask for ten more minutes, as upstream */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *nonempty(const char *a, const char *env)
{
    if (a && *a)
        return a;
    a = env ? getenv(env) : NULL;
    return a && *a ? a : NULL;
}

/* The environment, address and namespace from the options and config.json. */
static int resolve(struct mc_cli *cli, char *err, size_t errlen)
{
    struct mc_env_list envs = { 0 };
    const struct mc_env *e;
    const char *name = nonempty(cli->opts.env, "MICRO_ENV");
    const char *addr = nonempty(cli->opts.proxy_address, "MICRO_PROXY");
    const char *ns = nonempty(cli->opts.namespace_, "MICRO_NAMESPACE");
    char *conf_env = mc_userconf_get(cli->conf, "env");
    char *conf_ns = NULL;
    char path[MC_CLI_NAME_MAX + 32];
    int rc;

    if (!name)
        name = *conf_env ? conf_env : MC_ENV_LOCAL;
    if (strlen(name) >= MC_CLI_NAME_MAX) {
        seterr(err, errlen, "environment name too long: %.64s", name);
        free(conf_env);
        return MC_ETOOBIG;
    }
    if ((rc = mc_userconf_envs(cli->conf, &envs, err, errlen)) < 0) {
        free(conf_env);
        return rc;
    }
    if (!(e = mc_env_list_find(&envs, name))) {
        seterr(err, errlen, "Env \"%s\" not found. See `micro env` for available environments.",
               name);
        mc_env_list_release(&envs);
        free(conf_env);
        return MC_ENOTFOUND;
    }
    snprintf(cli->env, sizeof(cli->env), "%s", name);
    cli->tls = false;
    cli->address[0] = '\0';
    if (!addr)
        addr = e->address;
    rc = *addr ? mc_env_dial_address(addr, cli->address, sizeof(cli->address), &cli->tls) : 0;
    mc_env_list_release(&envs);
    free(conf_env);
    if (rc < 0) {
        seterr(err, errlen, "proxy address too long: %.64s", addr);
        return rc;
    }
    snprintf(path, sizeof(path), "namespaces.%s.current", cli->env);
    if (!ns) {
        conf_ns = mc_userconf_get(cli->conf, path);
        ns = *conf_ns ? conf_ns : "micro";
    }
    rc = strlen(ns) < sizeof(cli->namespace_) ? 0 : MC_ETOOBIG;
    if (rc == 0)
        snprintf(cli->namespace_, sizeof(cli->namespace_), "%s", ns);
    else
        seterr(err, errlen, "namespace too long: %.64s", ns);
    free(conf_ns);
    return rc;
}

int mc_cli_open(struct mc_cli *cli, const struct mc_cli_options *opts, char *errbuf,
                size_t errlen)
{
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    int rc;

    memset(cli, 0, sizeof(*cli));
    cli->out = stdout;
    cli->err = stderr;
    cli->out_tty = isatty(STDOUT_FILENO) == 1;
    cli->in_tty = isatty(STDIN_FILENO) == 1;
    cli->color = cli->out_tty && !(no_color && *no_color) && !(term && strcmp(term, "dumb") == 0);
    if (opts)
        cli->opts = *opts;
    rc = mc_userconf_open(&cli->conf, nonempty(cli->opts.config_file, "MICRO_CONFIG_FILE"),
                          errbuf, errlen);
    if (rc == 0 && (rc = resolve(cli, errbuf, errlen)) < 0) {
        mc_userconf_free(cli->conf);
        cli->conf = NULL;
    }
    return rc;
}

int mc_cli_reload(struct mc_cli *cli, char *errbuf, size_t errlen)
{
    char old_addr[MC_CLI_ADDR_MAX];
    bool old_tls = cli->tls;
    int rc;

    memcpy(old_addr, cli->address, sizeof(old_addr));
    rc = resolve(cli, errbuf, errlen);
    if (rc < 0 || strcmp(old_addr, cli->address) != 0 || old_tls != cli->tls) {
        mc_transport_free(cli->tx);
        cli->tx = NULL;
    }
    free(cli->token);
    cli->token = NULL;
    return rc;
}

void mc_cli_close(struct mc_cli *cli)
{
    mc_transport_free(cli->tx);
    cli->tx = NULL;
    mc_schema_cache_free(cli->schemas);
    cli->schemas = NULL;
    mc_userconf_free(cli->conf);
    cli->conf = NULL;
    free(cli->token);
    cli->token = NULL;
}

int mc_cli_fail_local(struct mc_cli *cli, const char *fmt, ...)
{
    struct mc_cli_failure f;
    char msg[1024];
    va_list ap;
    int code;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mc_cli_failure_init(&f);
    f.kind = MC_CLI_LOCAL;
    f.error.detail = mc_strdup(msg);
    code = mc_cli_fail(cli, &f);
    mc_cli_failure_release(&f);
    return code;
}

/* ---- the access token --------------------------------------------------------------- */

/* config.json's legacy keys micro.auth.<env>.token|refresh-token|expiry. */
static int legacy_token(struct mc_cli *cli, struct mc_token *tok)
{
    char path[MC_CLI_NAME_MAX + 48];
    char *expiry;

    snprintf(path, sizeof(path), "micro.auth.%s.token", cli->env);
    tok->access_token = mc_userconf_get(cli->conf, path);
    snprintf(path, sizeof(path), "micro.auth.%s.refresh-token", cli->env);
    tok->refresh_token = mc_userconf_get(cli->conf, path);
    snprintf(path, sizeof(path), "micro.auth.%s.expiry", cli->env);
    expiry = mc_userconf_get(cli->conf, path);
    if (mc_parse_i64(expiry, &tok->expiry) < 0)
        tok->expiry = 0;
    free(expiry);
    if (!*tok->access_token) {
        mc_token_release(tok);
        return MC_ENOTFOUND;
    }
    return 0;
}

/* Auth.Token's response {"token":{...}} into tok. */
static int token_from_response(const char *json, struct mc_token *tok)
{
    cJSON *o = cJSON_Parse(json);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "token");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(t, "access_token");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(t, "refresh_token");
    int rc = MC_EPROTO;

    if (!at)
        at = cJSON_GetObjectItemCaseSensitive(t, "accessToken");
    if (!rt)
        rt = cJSON_GetObjectItemCaseSensitive(t, "refreshToken");
    if (cJSON_IsString(at) && *at->valuestring) {
        mc_token_release(tok);
        tok->access_token = mc_strdup(at->valuestring);
        tok->refresh_token = mc_strdup(cJSON_IsString(rt) ? rt->valuestring : "");
        tok->created = mc_json_i64(cJSON_GetObjectItemCaseSensitive(t, "created"));
        tok->expiry = mc_json_i64(cJSON_GetObjectItemCaseSensitive(t, "expiry"));
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

int mc_cli_token_request(struct mc_cli *cli, const char *id, const char *secret,
                         const char *refresh, int64_t expiry_s, struct mc_token *tok,
                         struct mc_cli_failure *f)
{
    struct mc_call_opts o = { .no_auth = true };
    cJSON *req = cJSON_CreateObject(), *opts;
    char *body, *resp = NULL;
    int rc;

    if (id)
        cJSON_AddStringToObject(req, "id", id);
    if (secret)
        cJSON_AddStringToObject(req, "secret", secret);
    if (refresh)
        cJSON_AddStringToObject(req, "refresh_token", refresh);
    cJSON_AddNumberToObject(req, "token_expiry", (double)expiry_s);
    opts = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!body)
        mc_malloc((size_t)-1); /* cJSON fails only on OOM: abort as everywhere */
    rc = mc_cli_call(cli, "auth", "Auth.Token", body, &o, &resp, f);
    cJSON_free(body);
    if (rc == 0 && token_from_response(resp, tok) < 0) {
        mc_error_release(&f->error);
        f->kind = MC_CLI_LOCAL;
        f->error.detail = mc_strdup("the server sent no token");
        rc = -1;
    }
    free(resp);
    return rc;
}

int mc_cli_save_token(struct mc_cli *cli, const struct mc_token *tok, char *err, size_t errlen)
{
    char account[MC_CLI_NAME_MAX], name[MC_CLI_NAME_MAX], path[MC_CLI_NAME_MAX + 32];
    int64_t exp;
    int rc;

    if (mc_token_inspect(tok->access_token, account, sizeof(account), name, sizeof(name),
                         &exp) < 0) {
        snprintf(err, errlen, "the server sent a token that cannot be read");
        return MC_EPROTO;
    }
    snprintf(path, sizeof(path), "%s.current-user", cli->env);
    if ((rc = mc_userconf_set(cli->conf, path, account)) < 0 ||
        (rc = mc_userconf_save(cli->conf, err, errlen)) < 0)
        return rc;
    return mc_userconf_token_put(cli->conf, cli->address, cli->namespace_, account, tok, err,
                                 errlen);
}

/* Refreshes tok in place when it expires within a minute; failures keep tok. */
static void maybe_refresh(struct mc_cli *cli, struct mc_token *tok)
{
    struct mc_cli_failure f;
    struct mc_token fresh;
    char err[256];

    if (!tok->refresh_token || !*tok->refresh_token ||
        tok->expiry - mc_unix_time() >= CLI_REFRESH_WINDOW_S)
        return;
    mc_cli_failure_init(&f);
    mc_token_init(&fresh);
    cli->refreshing = true;
    if (mc_cli_token_request(cli, NULL, NULL, tok->refresh_token, CLI_REFRESH_EXPIRY_S, &fresh,
                             &f) == 0 &&
        mc_cli_save_token(cli, &fresh, err, sizeof(err)) == 0) {
        mc_token_release(tok);
        *tok = fresh;
        mc_token_init(&fresh);
    }
    cli->refreshing = false;
    mc_token_release(&fresh);
    mc_cli_failure_release(&f);
}

const char *mc_cli_token(struct mc_cli *cli)
{
    struct mc_token tok;
    char path[MC_CLI_NAME_MAX + 32], err[256];
    char *account;
    int rc;

    if (cli->refreshing || !cli->conf)
        return NULL;
    mc_token_init(&tok);
    snprintf(path, sizeof(path), "%s.current-user", cli->env);
    account = mc_userconf_get(cli->conf, path);
    rc = mc_userconf_token_get(cli->conf, cli->address, cli->namespace_, account, &tok, err,
                               sizeof(err));
    free(account);
    if (rc != 0 && rc != MC_ENOTFOUND)
        fprintf(cli->err, "warning: %s\n", err); /* a broken file: say why we are not logged in */
    if (rc != 0 && legacy_token(cli, &tok) < 0)
        return NULL;
    maybe_refresh(cli, &tok);
    free(cli->token);
    cli->token = NULL;
    if (tok.expiry == 0 || tok.expiry > mc_unix_time())
        cli->token = tok.access_token, tok.access_token = NULL;
    mc_token_release(&tok);
    return cli->token;
}
