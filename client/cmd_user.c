/*
 * `micro user`: who the CLI is logged in as, the access token, the current
 * namespace, the user's config.json values and the account password, as
 * upstream's client/cli/user/user.go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "tty_input.h"
#include "userconf.h"

#include "mc_banned.h"

static int not_logged_in(struct mc_cli *cli)
{
    fputs("You are not logged in\n", cli->out);
    return 1;
}

static int save(struct mc_cli *cli)
{
    char err[512];

    if (mc_userconf_save(cli->conf, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return 0;
}

/* `micro user`: the account's name, else its id. */
static int user_show(struct mc_cli *cli, const struct mc_args *a)
{
    char account[MC_CLI_NAME_MAX], name[MC_CLI_NAME_MAX];
    const char *tok = mc_cli_token(cli);
    int64_t exp;

    (void)a;
    if (!tok || mc_token_inspect(tok, account, sizeof(account), name, sizeof(name), &exp) < 0)
        return not_logged_in(cli);
    fprintf(cli->out, "%s\n", *name ? name : account);
    return 0;
}

static int user_token(struct mc_cli *cli, const struct mc_args *a)
{
    const char *tok = mc_cli_token(cli);

    (void)a;
    if (!tok)
        return not_logged_in(cli);
    fprintf(cli->out, "%s\n", tok);
    return 0;
}

static int user_namespace(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    fprintf(cli->out, "%s\n", cli->namespace_);
    return 0;
}

static int user_namespace_set(struct mc_cli *cli, const struct mc_args *a)
{
    const char *ns = mc_args_arg(a, 0);
    char path[MC_CLI_NAME_MAX + 32], err[512];
    int rc;

    if (!ns || !*ns)
        return mc_cli_fail_local(cli, "No namespace specified");
    if (strlen(ns) >= MC_CLI_NAME_MAX)
        return mc_cli_fail_local(cli, "invalid namespace \"%.64s\"", ns);
    snprintf(path, sizeof(path), "namespaces.%s.current", cli->env);
    if (mc_userconf_set(cli->conf, path, ns) < 0)
        return mc_cli_fail_local(cli, "invalid namespace \"%.64s\"", ns);
    if ((rc = save(cli)) != 0)
        return rc;
    if (mc_cli_reload(cli, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return 0;
}

static int config_get(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    char *v;

    if (!key || !*key)
        return mc_cli_fail_local(cli, "key cannot be blank");
    v = mc_userconf_get(cli->conf, key);
    fprintf(cli->out, "%s\n", v);
    free(v);
    return 0;
}

static int config_set(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);
    const char *val = mc_args_arg(a, 1);
    int rc;

    if (!key || !*key)
        return mc_cli_fail_local(cli, "key cannot be blank");
    rc = mc_userconf_set(cli->conf, key, val ? val : "");
    if (rc < 0)
        return mc_cli_fail_local(cli, "invalid key \"%.64s\"", key);
    if ((rc = save(cli)) != 0)
        return rc;
    return 0;
}

/* Upstream blanks the value (its TODO says delete); we delete it. */
static int config_delete(struct mc_cli *cli, const struct mc_args *a)
{
    const char *key = mc_args_arg(a, 0);

    if (!key || !*key)
        return mc_cli_fail_local(cli, "key cannot be blank");
    if (mc_userconf_delete(cli->conf, key) < 0)
        return mc_cli_fail_local(cli, "invalid key \"%.64s\"", key);
    return save(cli);
}

static int read_secret(struct mc_cli *cli, const char *prompt, char *buf, size_t len)
{
    int rc = mc_tty_read_line(cli->out, prompt, true, buf, len);

    if (rc == MC_ECANCELED)
        return MC_TTY_CANCELED_EXIT; /* Ctrl-C in the prompt: nothing more to say */
    if (rc == MC_ETOOBIG)
        return mc_cli_fail_local(cli, "input too long");
    if (rc < 0 && rc != MC_ECLOSED)
        return mc_cli_fail_local(cli, "cannot read from stdin");
    return 0;
}

/* Asks twice until both answers match; end of input gives up. */
static int ask_new_password(struct mc_cli *cli, char *pw, size_t len)
{
    char again[MC_TTY_LINE_MAX];
    int rc;

    for (int tries = 0; tries < 10; tries++) {
        if ((rc = read_secret(cli, "Enter a new password: ", pw, len)) != 0 ||
            (rc = read_secret(cli, "Verify your password: ", again, sizeof(again))) != 0)
            return rc;
        if (strcmp(pw, again) == 0) {
            explicit_bzero(again, sizeof(again));
            return 0;
        }
        fputs("Passwords do not match. Please try again.\n", cli->out);
        if (feof(stdin))
            break;
    }
    explicit_bzero(again, sizeof(again));
    return mc_cli_fail_local(cli, "passwords do not match");
}

static int change_secret(struct mc_cli *cli, const char *id, const char *old_pw,
                         const char *new_pw)
{
    struct mc_cli_failure f;
    cJSON *req = cJSON_CreateObject(), *opts;
    char *body, *resp = NULL;
    int rc = 0;

    cJSON_AddStringToObject(req, "id", id);
    cJSON_AddStringToObject(req, "old_secret", old_pw);
    cJSON_AddStringToObject(req, "new_secret", new_pw);
    opts = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!body)
        mc_malloc((size_t)-1); /* cJSON fails only on OOM: abort as everywhere */
    mc_cli_failure_init(&f);
    if (mc_cli_call(cli, "auth", "Accounts.ChangeSecret", body, NULL, &resp, &f) < 0)
        rc = mc_cli_fail(cli, &f);
    explicit_bzero(body, strlen(body));
    cJSON_free(body);
    free(resp);
    mc_cli_failure_release(&f);
    return rc;
}

static int set_password(struct mc_cli *cli, const struct mc_args *a)
{
    char account[MC_CLI_NAME_MAX], name[MC_CLI_NAME_MAX];
    char old_buf[MC_TTY_LINE_MAX], new_buf[MC_TTY_LINE_MAX];
    const char *id = mc_args_str(a, "email");
    const char *old_pw = mc_args_str(a, "old-password");
    const char *new_pw = mc_args_str(a, "new-password");
    int64_t exp;
    int rc = 0;

    if (!id || !*id) {
        const char *tok = mc_cli_token(cli);

        if (!tok || mc_token_inspect(tok, account, sizeof(account), name, sizeof(name), &exp) < 0)
            return not_logged_in(cli);
        id = account;
    }
    if (!old_pw || !*old_pw) {
        if ((rc = read_secret(cli, "Enter current password: ", old_buf, sizeof(old_buf))) != 0)
            return rc;
        old_pw = old_buf;
    }
    if (!new_pw || !*new_pw) {
        if ((rc = ask_new_password(cli, new_buf, sizeof(new_buf))) != 0)
            goto out;
        new_pw = new_buf;
    }
    rc = change_secret(cli, id, old_pw, new_pw);
out:
    explicit_bzero(old_buf, sizeof(old_buf));
    explicit_bzero(new_buf, sizeof(new_buf));
    return rc;
}

static const struct mc_cmd config_get_cmd = {
    .name = "get",
    .summary = "Get a value by specifying [key] as an arg",
    .args_usage = "KEY",
    .run = config_get,
    .max_args = 1,
};

static const struct mc_cmd config_set_cmd = {
    .name = "set",
    .summary = "Set a key-val using [key] [value] as args",
    .args_usage = "KEY VALUE",
    .run = config_set,
    .max_args = 2,
};

static const struct mc_cmd config_delete_cmd = {
    .name = "delete",
    .summary = "Delete a value using [key] as an arg",
    .args_usage = "KEY",
    .run = config_delete,
    .max_args = 1,
};

static const struct mc_cmd *const config_subs[] = {
    &config_get_cmd, &config_set_cmd, &config_delete_cmd, NULL,
};

static const struct mc_cmd user_config_cmd = {
    .name = "config",
    .summary = "{set, get, delete} [key] [value]",
    .description = "Manage user related config like id, token, namespace, etc",
    .subs = config_subs,
};

static const struct mc_cmd user_token_cmd = {
    .name = "token",
    .summary = "Get the current user token",
    .run = user_token,
    .max_args = 0,
};

static const struct mc_cmd namespace_set_cmd = {
    .name = "set",
    .summary = "Set namespace in the current environment",
    .args_usage = "NAMESPACE",
    .run = user_namespace_set,
    .max_args = 1,
};

static const struct mc_cmd *const namespace_subs[] = { &namespace_set_cmd, NULL };

static const struct mc_cmd user_namespace_cmd = {
    .name = "namespace",
    .summary = "Get the current namespace",
    .subs = namespace_subs,
    .run = user_namespace,
    .max_args = 0,
};

static const struct mc_flag password_flags[] = {
    { .name = "email", .type = MC_FLAG_STRING, .usage = "Email to use for password change" },
    { .name = "old-password", .type = MC_FLAG_STRING,
      .usage = "Existing password, the one that is used currently." },
    { .name = "new-password", .type = MC_FLAG_STRING, .usage = "New password you want to set." },
    { 0 },
};

static const struct mc_cmd set_password_cmd = {
    .name = "password",
    .summary = "Set password",
    .flags = password_flags,
    .run = set_password,
    .max_args = 0,
};

static const struct mc_cmd *const set_subs[] = { &set_password_cmd, NULL };

static const struct mc_cmd user_set_cmd = {
    .name = "set",
    .summary = "Set various user based properties, eg. password",
    .subs = set_subs,
};

static const struct mc_cmd *const user_subs[] = {
    &user_config_cmd, &user_token_cmd, &user_namespace_cmd, &user_set_cmd, NULL,
};

const struct mc_cmd mc_cmd_user = {
    .name = "user",
    .summary = "Print the current logged in user",
    .subs = user_subs,
    .run = user_show,
    .max_args = 0,
};
