/*
 * `micro login` and `micro logout` (spec §3.10): login asks the auth service
 * for a token with the user's credentials (prompting for what the flags do
 * not give), then keeps it in the tokens file and the account as the
 * environment's current user; logout forgets the token. Flow and texts as
 * upstream's client/cli/auth/login.go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "mc_common.h"
#include "tty_input.h"
#include "userconf.h"

#include "mc_banned.h"

#define LOGIN_TOKEN_EXPIRY_S 60 /* upstream's client asks for one minute, then refreshes */

/* Forgets the current user's token: its line in the tokens file and the
 * legacy config.json keys (upstream blanks them, which the transcript shows). */
static int forget_token(struct mc_cli *cli)
{
    static const char *const legacy[] = { "token", "refresh-token", "expiry" };
    char path[MC_CLI_NAME_MAX + 48], err[512];
    char *account;
    int rc;

    snprintf(path, sizeof(path), "%s.current-user", cli->env);
    account = mc_userconf_get(cli->conf, path);
    rc = mc_userconf_token_remove(cli->conf, cli->address, cli->namespace_, account, err,
                                  sizeof(err));
    free(account);
    for (size_t i = 0; rc == 0 && i < MC_ARRAY_LEN(legacy); i++) {
        snprintf(path, sizeof(path), "micro.auth.%s.%s", cli->env, legacy[i]);
        rc = mc_userconf_set(cli->conf, path, "");
    }
    if (rc == 0)
        rc = mc_userconf_save(cli->conf, err, sizeof(err));
    free(cli->token);
    cli->token = NULL;
    return rc < 0 ? mc_cli_fail_local(cli, "%s", err) : 0;
}

static int ask(struct mc_cli *cli, const char *prompt, bool secret, char *buf, size_t len)
{
    int rc = mc_tty_read_line(cli->out, prompt, secret, buf, len);

    if (rc == MC_ECANCELED)
        return MC_TTY_CANCELED_EXIT; /* Ctrl-C in the prompt: nothing more to say */
    if (rc == MC_ETOOBIG)
        return mc_cli_fail_local(cli, "input too long");
    if (rc < 0 && rc != MC_ECLOSED)
        return mc_cli_fail_local(cli, "cannot read from stdin");
    return 0; /* end of input reads as an empty answer; the server says what is wrong */
}

static int login(struct mc_cli *cli, const struct mc_args *a)
{
    char user[MC_TTY_LINE_MAX], pass[MC_TTY_LINE_MAX], err[512];
    const char *u = mc_args_str(a, "username");
    const char *p = mc_args_str(a, "password");
    struct mc_cli_failure f;
    struct mc_token tok;
    int rc;

    if (!u || !*u) {
        if ((rc = ask(cli, "Enter username: ", false, user, sizeof(user))) != 0)
            return rc;
        u = user;
    }
    if (!p || !*p) {
        if ((rc = ask(cli, "Enter password: ", true, pass, sizeof(pass))) != 0)
            return rc;
        p = pass;
    }
    /* only now: a login abandoned at the password leaves the old one */
    if ((rc = forget_token(cli)) != 0)
        return rc;
    mc_cli_failure_init(&f);
    mc_token_init(&tok);
    if (mc_cli_token_request(cli, u, p, NULL, LOGIN_TOKEN_EXPIRY_S, &tok, &f) < 0)
        rc = mc_cli_fail(cli, &f);
    else if (mc_cli_save_token(cli, &tok, err, sizeof(err)) < 0)
        rc = mc_cli_fail_local(cli, "%s", err);
    else
        fputs("Successfully logged in.\n", cli->out);
    explicit_bzero(pass, sizeof(pass));
    mc_token_release(&tok);
    mc_cli_failure_release(&f);
    return rc;
}

static int logout(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    return forget_token(cli);
}

static const struct mc_flag login_flags[] = {
    { .name = "password", .type = MC_FLAG_STRING,
      .usage = "Password to use for login. If not provided, will be asked for during login. "
               "Useful for automated scripts" },
    { .name = "username", .alias = "email", .type = MC_FLAG_STRING,
      .usage = "Username to use for login" },
    { 0 },
};

const struct mc_cmd mc_cmd_login = {
    .name = "login",
    .summary = "Interactive login flow.",
    .flags = login_flags,
    .run = login,
    .max_args = 0,
};

const struct mc_cmd mc_cmd_logout = {
    .name = "logout",
    .summary = "Logout.",
    .run = logout,
    .max_args = 0,
};
