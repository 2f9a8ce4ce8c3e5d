/*
 * `micro env`: list, get, set, add and delete the environments a user can
 * point the CLI at (spec §3.7). Texts, table layout and exit codes follow
 * upstream's client/cli/commands.go and util.go; environments are kept in
 * config.json by userconf.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "userconf.h"

#include "mc_banned.h"

/* Subcommands with no argument print their help, as upstream's ShowSubcommandHelp. */
static int help(struct mc_cli *cli, const struct mc_args *a)
{
    mc_cmd_print_help(cli->out, a->cmd, a->path);
    return 0;
}

static int save(struct mc_cli *cli)
{
    char err[512];

    if (mc_userconf_save(cli->conf, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return 0;
}

/* The table as upstream writes it: tabwriter(0, 0, 1, ' ', 0), rows
 * "%v %v \t %v \t\t %v" joined by newlines, and a final newline. */
static int env_list(struct mc_cli *cli, const struct mc_args *a)
{
    struct mc_env_list envs = { 0 };
    struct mc_table *t;
    char err[512];

    (void)a;
    if (mc_userconf_envs(cli->conf, &envs, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    t = mc_table_new(0, 1, ' ', false);
    for (size_t i = 0; i < envs.count; i++) {
        const struct mc_env *e = &envs.items[i];

        mc_table_printf(t, "%s%s %s \t %s \t\t %s", i > 0 ? "\n" : "",
                        strcmp(e->name, cli->env) == 0 ? "*" : " ", e->name,
                        *e->address ? e->address : "none", e->description);
    }
    mc_env_list_release(&envs);
    mc_table_flush(t, cli->out);
    fputc('\n', cli->out);
    return 0;
}

static int env_get(struct mc_cli *cli, const struct mc_args *a)
{
    (void)a;
    fprintf(cli->out, "%s\n", cli->env);
    return 0;
}

static int env_set(struct mc_cli *cli, const struct mc_args *a)
{
    struct mc_env_list envs = { 0 };
    const char *name = mc_args_arg(a, 0);
    char err[512];
    bool found;
    int rc;

    if (!name)
        return help(cli, a);
    if (mc_userconf_envs(cli->conf, &envs, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    found = mc_env_list_find(&envs, name) != NULL;
    mc_env_list_release(&envs);
    if (!found)
        return mc_cli_fail_local(cli, "Environment '%s' does not exist", name);
    if (mc_userconf_set(cli->conf, "env", name) < 0)
        return mc_cli_fail_local(cli, "invalid environment name");
    if ((rc = save(cli)) != 0)
        return rc;
    /* the session follows the new env unless --env pins another one */
    if (mc_cli_reload(cli, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return 0;
}

static int env_add(struct mc_cli *cli, const struct mc_args *a)
{
    const char *name = mc_args_arg(a, 0);
    const char *addr = mc_args_arg(a, 1);
    char err[512];

    if (!name)
        return help(cli, a);
    if (mc_userconf_env_add(cli->conf, name, addr ? addr : "", err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return save(cli);
}

static int env_del(struct mc_cli *cli, const struct mc_args *a)
{
    struct mc_env_list envs = { 0 };
    const struct mc_env *e;
    const char *name = mc_args_arg(a, 0);
    char err[512];
    bool builtin;

    if (!name)
        return help(cli, a);
    if (mc_userconf_envs(cli->conf, &envs, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    e = mc_env_list_find(&envs, name);
    builtin = e && e->builtin;
    mc_env_list_release(&envs);
    if (!e)
        return mc_cli_fail_local(cli, "Environment '%s' does not exist", name);
    if (strcmp(name, cli->env) == 0)
        return mc_cli_fail_local(cli, "Cannot delete the current environment '%s'. "
                                      "Switch to another one with `micro env set` first",
                                 name);
    /* upstream re-adds builtins on every read, so deleting one never worked: say so */
    if (builtin)
        return mc_cli_fail_local(cli, "Environment '%s' is builtin and cannot be deleted",
                                 name);
    if (mc_userconf_env_del(cli->conf, name, err, sizeof(err)) < 0)
        return mc_cli_fail_local(cli, "%s", err);
    return save(cli);
}

static const struct mc_cmd env_get_cmd = {
    .name = "get",
    .summary = "Get the currently selected environment",
    .run = env_get,
    .max_args = 0,
};

static const struct mc_cmd env_set_cmd = {
    .name = "set",
    .summary = "Set the environment to use for subsequent commands e.g. micro env set dev",
    .args_usage = "NAME",
    .run = env_set,
    .max_args = 1,
};

static const struct mc_cmd env_add_cmd = {
    .name = "add",
    .summary = "Add a new environment e.g. micro env add foo 127.0.0.1:8081",
    .args_usage = "NAME [ADDRESS]",
    .run = env_add,
    .max_args = 2,
};

static const struct mc_cmd env_del_cmd = {
    .name = "del",
    .summary = "Delete an environment from your list e.g. micro env del foo",
    .args_usage = "NAME",
    .run = env_del,
    .max_args = 1,
};

static const struct mc_cmd *const env_subs[] = {
    &env_get_cmd, &env_set_cmd, &env_add_cmd, &env_del_cmd, NULL,
};

const struct mc_cmd mc_cmd_env = {
    .name = "env",
    .summary = "Get/set micro cli environment",
    .subs = env_subs,
    .run = env_list,
    .max_args = 0,
};
