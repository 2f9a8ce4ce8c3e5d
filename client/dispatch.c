/*
 * One command line, resolved as upstream's `micro` does (spec §3.2): a builtin
 * from the command table, else an executable `micro-<cmd>` on PATH (run with
 * the remaining words), else a dynamic command for a registered service, else
 * "Unrecognized micro command". Builtin groups and `help` follow urfave/cli:
 * a bare group prints its help, `<group> help [sub]` prints a subcommand's
 * help, and an unknown word after a group is "No help topic for 'x'" (exit 3).
 * The session is opened lazily, so `help`, `server` and plugins work without
 * a readable config, and once, so a script's commands share one connection.
 */
#include "dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "commands.h"
#include "guide.h"
#include "mc_common.h"
#include "output.h"
#include "tty_input.h"

#define USAGE_ERR_MAX 512

void mc_dispatch_init(struct mc_dispatch *d, const struct mc_cli_options *opts)
{
    memset(d, 0, sizeof(*d));
    if (opts)
        d->opts = *opts;
    /* commands that run before the session opens (help) still have streams */
    d->cli.out = stdout;
    d->cli.err = stderr;
}

void mc_dispatch_release(struct mc_dispatch *d)
{
    if (d->cli_open)
        mc_cli_close(&d->cli);
    d->cli_open = false;
}

static int open_session(struct mc_dispatch *d)
{
    if (d->cli_open)
        return 0;
    char err[512] = "";
    if (mc_cli_open(&d->cli, &d->opts, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err[0] ? err : "cannot open the micro session");
        d->cli.out = stdout;
        d->cli.err = stderr;
        return -1;
    }
    if (!d->cli.out)
        d->cli.out = stdout;
    if (!d->cli.err)
        d->cli.err = stderr;
    d->cli_open = true;
    return 0;
}

/* ---- micro-<cmd> plugins ------------------------------------------------------- */

int mc_dispatch_find_plugin(const char *name, char *buf, size_t buflen)
{
    const char *path = getenv("PATH");
    if (!path || !*name || strchr(name, '/'))
        return MC_ENOTFOUND;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        /* an empty PATH entry means the current directory, as execvp has it */
        int n = snprintf(buf, buflen, "%.*s%smicro-%s", (int)len, len ? p : ".", "/", name);
        struct stat st;
        if (n > 0 && (size_t)n < buflen && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf, X_OK) == 0)
            return 0;
        if (!end)
            break;
        p = end;
    }
    return MC_ENOTFOUND;
}

/* Runs the plugin with argv[1..] and waits: its exit code is ours (128+N for a signal). */
static int run_plugin(const struct mc_dispatch *d, const char *exe, int argc, char **argv)
{
    char **child_argv = mc_calloc((size_t)argc + 1, sizeof(*child_argv));
    child_argv[0] = (char *)exe;
    for (int i = 1; i < argc; i++)
        child_argv[i] = argv[i];
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "cannot run %s: %s\n", exe, strerror(errno));
        free(child_argv);
        return 1;
    }
    if (pid == 0) {
        if (d->stdin_is_script) {
            int fd = open("/dev/null", O_RDONLY);
            if (fd >= 0 && dup2(fd, STDIN_FILENO) >= 0 && fd != STDIN_FILENO)
                close(fd);
        }
        execv(exe, child_argv);
        fprintf(stderr, "cannot run %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    free(child_argv);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/* ---- builtins ------------------------------------------------------------------ */

/* "micro store read" from the canonical names of the words argv[0..depth). */
static void command_path(const struct mc_cmd *root, char **argv, int depth, char *buf,
                         size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "%s", root->name);
    for (int k = 1; k <= depth && o < len; k++) {
        int consumed;
        const struct mc_cmd *c = mc_cmd_find(root, k, argv, &consumed);
        o += (size_t)snprintf(buf + o, len - o, " %s", c->name);
    }
}

static int usage_error(const struct mc_cmd *cmd, const char *path, const char *msg)
{
    fprintf(stderr, "Incorrect Usage: %s\n\n", msg);
    mc_cmd_print_help(stderr, cmd, path);
    return 1;
}

/* `<group> help [sub...]`, or an unknown word after a group. */
static int group_words(const struct mc_cmd *group, const char *path, int argc, char **argv)
{
    bool help = strcmp(argv[0], "help") == 0 || strcmp(argv[0], "h") == 0;
    if (!help) {
        fprintf(stderr, "No help topic for '%s'\n", argv[0]);
        return 3;
    }
    if (argc == 1) {
        mc_cmd_print_help(stdout, group, path);
        return 0;
    }
    int consumed;
    const struct mc_cmd *sub = mc_cmd_find(group, argc - 1, argv + 1, &consumed);
    if (!sub) {
        fprintf(stderr, "No help topic for '%s'\n", argv[1]);
        return 3;
    }
    char sub_path[256];
    size_t o = (size_t)snprintf(sub_path, sizeof(sub_path), "%s", path);
    for (int k = 1; k <= consumed && o < sizeof(sub_path); k++) {
        int n;
        o += (size_t)snprintf(sub_path + o, sizeof(sub_path) - o, " %s",
                              mc_cmd_find(group, k, argv + 1, &n)->name);
    }
    mc_cmd_print_help(stdout, sub, sub_path);
    return 0;
}

static bool is_help_builtin(const struct mc_cmd *root, const struct mc_cmd *cmd)
{
    char *word[] = {(char *)"help"};
    int n;
    return mc_cmd_find(root, 1, word, &n) == cmd;
}

static int run_builtin(struct mc_dispatch *d, const struct mc_cmd *root, const struct mc_cmd *cmd,
                       int consumed, int argc, char **argv)
{
    char path[256];
    command_path(root, argv, consumed, path, sizeof(path));
    struct mc_args args;
    char err[USAGE_ERR_MAX];
    int rest = argc - consumed;
    char **words = argv + consumed;
    int rc = mc_args_parse(&args, cmd, path, rest, words, err, sizeof(err));
    if (rc == 1) {
        mc_cmd_print_help(stdout, cmd, path);
        rc = 0;
    } else if (rc < 0) {
        rc = usage_error(cmd, path, err);
    } else if (!cmd->run || (cmd->subs && args.argc > 0 &&
                             (!strcmp(args.argv[0], "help") || !strcmp(args.argv[0], "h")))) {
        if (args.argc == 0) {
            mc_cmd_print_help(stdout, cmd, path);
            rc = 0;
        } else {
            rc = group_words(cmd, path, args.argc, (char **)args.argv);
        }
    } else if (!cmd->raw_args && !is_help_builtin(root, cmd) && open_session(d) != 0) {
        rc = 1;
    } else {
        rc = cmd->run(&d->cli, &args);
    }
    mc_args_release(&args);
    return rc;
}

static int run_unknown(struct mc_dispatch *d, int argc, char **argv)
{
    char exe[PATH_MAX];
    if (mc_dispatch_find_plugin(argv[0], exe, sizeof(exe)) == 0)
        return run_plugin(d, exe, argc, argv);
    if (open_session(d) != 0)
        return 1;
    /* `--edit`: the fields are asked for on the terminal first (guide.h); the
     * prompt has done so already, so the words that reach here have none */
    struct mc_guided g = { 0 };
    int guided = 0;
    if (mc_guide_has_edit(argc, argv))
        guided = mc_guide(&d->cli, argc, argv, true,
                          isatty(STDIN_FILENO) ? mc_guide_tty_read : NULL, NULL, &g);
    if (guided < 0) {
        mc_guided_release(&g);
        return guided == MC_ECANCELED ? MC_TTY_CANCELED_EXIT : 1;
    }
    int rc = guided ? mc_dynamic_run(&d->cli, g.argc, g.argv)
                    : mc_dynamic_run(&d->cli, argc, argv);
    mc_guided_release(&g);
    if (rc == MC_DYNAMIC_NOT_A_SERVICE) {
        fprintf(stderr, "Unrecognized micro command: %s. Please refer to 'micro --help'\n",
                argv[0]);
        rc = 1;
    }
    return rc;
}

int mc_dispatch_run(struct mc_dispatch *d, int argc, char **argv)
{
    if (argc <= 0)
        return 0;
    const struct mc_cmd *root = mc_commands_root();
    int consumed;
    const struct mc_cmd *cmd = mc_cmd_find(root, argc, argv, &consumed);
    int rc = cmd ? run_builtin(d, root, cmd, consumed, argc, argv) : run_unknown(d, argc, argv);
    fflush(stderr);
    int out_rc = mc_out_finish(stdout, stderr);
    return rc != 0 ? rc : out_rc;
}
