/*
 * Shell completion's commands. `micro completion bash|zsh` prints the scripts
 * (complete_scripts.h: the files in completions/, embedded at build time, no
 * network). The scripts call the hidden `micro __complete <words...> <partial>`,
 * which answers with cobra's protocol so that any cobra-aware tooling reads it:
 * one `value<TAB>description` line per candidate, then `:<directive>` (the
 * ShellCompDirective bits, complete.h), and on stderr cobra's "Completion
 * ended with directive: ..." line. `__completeNoDesc` is the same without
 * descriptions, as cobra has it.
 *
 * An empty answer because the server did not answer within the budget
 * carries the error bit (cobra's ShellCompDirectiveError): the scripts then
 * show nothing rather than file names; an answer with candidates is given
 * even when the server did not help (the builtins, the cached schemas).
 *
 * As cobra does, a partial word "--flag=va" is answered with the values alone
 * ("value"), the shell keeping "--flag=" in front; the engine's candidates are
 * whole words, so the prefix is cut here.
 *
 * The session is opened here (the command takes its words raw, so the
 * dispatcher does not): from the MICRO_* variables and any global flags among
 * the words. A session that cannot open (a broken config.json) still
 * completes the command table. Server access is bounded by
 * MICRO_COMPLETE_TIMEOUT_MS (default 500).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "complete.h"
#include "complete_scripts.h"
#include "mc_common.h"
#include "output.h"
#include "mc_banned.h"

#define COMPLETE_DEFAULT_BUDGET_MS 500u
#define COMPLETE_MAX_BUDGET_MS 10000u /* a larger setting is cut to this */

static unsigned budget_ms(void)
{
    const char *s = getenv("MICRO_COMPLETE_TIMEOUT_MS");
    uint64_t v;

    if (!s || mc_parse_u64(s, &v) != 0)
        return COMPLETE_DEFAULT_BUDGET_MS;
    return (unsigned)MC_MIN(v, (uint64_t)COMPLETE_MAX_BUDGET_MS);
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The value of a global flag among the leading words (not the partial one). */
static void global_option(int n, char **w, const char *name, const char *alias,
                          const char **value)
{
    for (int i = 0; i < n && w[i][0] == '-'; i++) {
        const char *p = w[i] + (w[i][1] == '-' ? 2 : 1);
        size_t len = strcspn(p, "=");
        bool match = (strlen(name) == len && strncmp(p, name, len) == 0) ||
                     (alias && strlen(alias) == len && strncmp(p, alias, len) == 0);
        if (match && p[len] == '=')
            *value = p + len + 1;
        else if (match && i + 1 < n)
            *value = w[++i];
    }
}

/* The session as `micro <words>` would open it; false when it cannot open. */
static bool open_session(struct mc_cli *s, int nwords, char **words)
{
    struct mc_cli_options o = {
        .config_file = env_or_null("MICRO_CONFIG_FILE"),
        .env = env_or_null("MICRO_ENV"),
        .namespace_ = env_or_null("MICRO_NAMESPACE"),
        .proxy_address = env_or_null("MICRO_PROXY"),
    };
    char err[512];
    int n = nwords - 1; /* the partial word names nothing yet */

    global_option(n, words, "config_file", NULL, &o.config_file);
    global_option(n, words, "env", "e", &o.env);
    global_option(n, words, "namespace", NULL, &o.namespace_);
    global_option(n, words, "proxy_address", NULL, &o.proxy_address);
    memset(s, 0, sizeof(*s));
    if (mc_cli_open(s, &o, err, sizeof(err)) != 0)
        return false;
    s->out = stdout;
    s->err = stderr;
    return true;
}

/* cobra's names of the directive bits, in its order. */
static void print_directive(FILE *err, unsigned d)
{
    static const char *const names[] = {
        "ShellCompDirectiveError",         "ShellCompDirectiveNoSpace",
        "ShellCompDirectiveNoFileComp",    "ShellCompDirectiveFilterFileExt",
        "ShellCompDirectiveFilterDirs",    "ShellCompDirectiveKeepOrder",
    };
    bool first = true;

    fputs("Completion ended with directive: ", err);
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (d & (1u << i)) {
            fprintf(err, "%s%s", first ? "" : ", ", names[i]);
            first = false;
        }
    }
    fputs(first ? "ShellCompDirectiveDefault\n" : "\n", err);
}

/* A description on one line: tabs and line breaks would break the protocol. */
static void print_description(FILE *out, const char *d)
{
    size_t len = strcspn(d, "\n");

    fputc('\t', out);
    for (size_t i = 0; i < len; i++)
        fputc(d[i] == '\t' || d[i] == '\r' ? ' ' : d[i], out);
}

static void print_completions(FILE *out, const struct mc_completions *c, const char *partial,
                              bool descriptions)
{
    /* "--flag=va": the shell keeps "--flag=", cobra answers with values */
    const char *eq = partial[0] == '-' ? strchr(partial, '=') : NULL;
    size_t cut = eq ? (size_t)(eq - partial) + 1 : 0;

    for (size_t i = 0; i < c->n; i++) {
        const char *v = c->v[i].value;
        fputs(strlen(v) >= cut && strncmp(v, partial, cut) == 0 ? v + cut : v, out);
        if (descriptions && c->v[i].description)
            print_description(out, c->v[i].description);
        fputc('\n', out);
    }
    fprintf(out, ":%u\n", c->directive);
}

static int complete(struct mc_cli *cli, const struct mc_args *args, bool descriptions)
{
    struct mc_cli session;
    struct mc_completions c;
    char *empty[] = { (char *)"" };
    int n = args->argc;
    char **words = n > 0 ? (char **)args->argv : empty;

    if (n == 0)
        n = 1; /* `micro __complete` alone completes an empty first word */
    bool open = open_session(&session, n, words);
    mc_complete(open ? &session : NULL, n, (const char *const *)words, budget_ms(), &c);
    /* nothing because the server did not answer is not "no candidates": the
     * shell is told to ignore the answer (and not to fall back to files) */
    if (c.partial && c.n == 0)
        c.directive |= MC_COMP_ERROR;
    print_completions(cli->out, &c, words[n - 1], descriptions);
    print_directive(cli->err, c.directive);
    mc_completions_release(&c);
    if (open)
        mc_cli_close(&session);
    return 0;
}

static int run_complete(struct mc_cli *cli, const struct mc_args *args)
{
    return complete(cli, args, true);
}

static int run_complete_nodesc(struct mc_cli *cli, const struct mc_args *args)
{
    return complete(cli, args, false);
}

const struct mc_cmd mc_cmd_complete = {
    .name = "__complete",
    .summary = "Request shell completion choices for the specified command-line",
    .args_usage = "[command-line]",
    .run = run_complete,
    .hidden = true,
    .max_args = -1,
    .raw_args = true,
};

const struct mc_cmd mc_cmd_complete_nodesc = {
    .name = "__completeNoDesc",
    .summary = "Request shell completion choices for the specified command-line, "
               "without descriptions",
    .args_usage = "[command-line]",
    .run = run_complete_nodesc,
    .hidden = true,
    .max_args = -1,
    .raw_args = true,
};

/* ---- micro completion bash|zsh ---------------------------------------------------- */

static int run_bash(struct mc_cli *cli, const struct mc_args *args)
{
    (void)args;
    fputs(mc_complete_script_bash, cli->out);
    return 0;
}

static int run_zsh(struct mc_cli *cli, const struct mc_args *args)
{
    (void)args;
    fputs(mc_complete_script_zsh, cli->out);
    return 0;
}

static const struct mc_cmd completion_bash = {
    .name = "bash",
    .summary = "Generate the autocompletion script for bash",
    .description = "Load completions in the current shell with\n\n"
                   "\tsource <(micro completion bash)\n\n"
                   "or for every new shell (needs the bash-completion package for the\n"
                   "per-user folder):\n\n"
                   "\tmicro completion bash > ~/.local/share/bash-completion/completions/micro",
    .run = run_bash,
    .max_args = 0,
};

static const struct mc_cmd completion_zsh = {
    .name = "zsh",
    .summary = "Generate the autocompletion script for zsh",
    .description = "Load completions in the current shell with\n\n"
                   "\tsource <(micro completion zsh)\n\n"
                   "or for every new shell, in a folder of your $fpath:\n\n"
                   "\tmicro completion zsh > \"${fpath[1]}/_micro\"",
    .run = run_zsh,
    .max_args = 0,
};

static const struct mc_cmd *const completion_subs[] = { &completion_bash, &completion_zsh,
                                                        NULL };

const struct mc_cmd mc_cmd_completion = {
    .name = "completion",
    .summary = "Generate the autocompletion script for the specified shell",
    .subs = completion_subs,
    .max_args = -1, /* an unknown shell is urfave's "No help topic" (exit 3) */
};
