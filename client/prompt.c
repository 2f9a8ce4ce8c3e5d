/*
 * The interactive prompt (prompt.h). Readline runs through its callback
 * interface so that the loop, not readline, owns the signals: a SIGINT handler
 * only sets a flag, which the loop reads between keys (clear the line), the
 * transport reads during a call (cancel it, transport.h) and the guided
 * reader reads (abandon the request). Readline's own handlers are off, and a
 * command always runs with the terminal as readline found it (the line
 * handler removes itself before the command starts), so a command that asks
 * for a password or prints a stream sees a normal terminal.
 *
 * The whole session is one struct mc_dispatch: the `cli` command finds it
 * from its session with container_of, as the dispatcher is the only caller of
 * a command's run function and always passes its own d->cli.
 */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cmd.h"
#include "commands.h"
#include "complete.h"
#include "guide.h"
#include "guided.h"
#include "mc_common.h"
#include "regwatch.h"
#include "schema_cache.h"
#include "script.h"
#include "transport.h"
#include "userconf.h"
#include "mc_banned.h"

#define PROMPT_MAX (2 * MC_CLI_NAME_MAX + 8)
#define PATH_LEN 4096
#define LIST_MAX 200 /* candidates listed under the line; the rest are counted */

/* ---- signals ------------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted; /* Ctrl-C: also the transport's cancel flag */
static volatile sig_atomic_t terminating; /* SIGTERM/SIGHUP: the signal number */
static volatile sig_atomic_t resized;

static void on_signal(int sig)
{
    if (sig == SIGWINCH) {
        resized = 1;
        return;
    }
    if (sig != SIGINT)
        terminating = sig;
    interrupted = 1;
}

static const int handled[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

struct saved_signals {
    struct sigaction old[NHANDLED];
};

/* No SA_RESTART: a signal must wake poll() and libcurl's wait. s (may be
 * NULL) gets the handlers found. */
static void signals_install(struct saved_signals *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaction(handled[i], &sa, s ? &s->old[i] : NULL);
}

static void signals_restore(const struct saved_signals *s)
{
    for (size_t i = 0; i < NHANDLED; i++)
        sigaction(handled[i], &s->old[i], NULL);
}

/* ---- reading a line ------------------------------------------------------------------ */

static char *line_got;
static bool line_done;
static bool in_guided; /* completion is off while a guided call asks for fields */

static void on_line(char *line)
{
    line_got = line;
    line_done = true;
    /* back to the terminal as it was: the command runs in cooked mode */
    rl_callback_handler_remove();
}

/* Waits for input on stdin or a signal, without losing a signal that arrives
 * just before the wait (they are blocked until ppoll). Returns poll's result. */
static int wait_input(void)
{
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaddset(&block, handled[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    int n = -1;
    errno = EINTR;
    if (!interrupted && !terminating && !resized) {
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        n = ppoll(&p, 1, NULL, &old);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return n;
}

/* Ctrl-C at the prompt: the line is dropped and shown as abandoned. */
static void abandon_line(void)
{
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_point = rl_end;
    rl_redisplay();
    fputs("^C", rl_outstream);
    fflush(rl_outstream);
    /* leaving may print a carriage return (bracketed paste off): then the newline */
    rl_callback_handler_remove();
    fputc('\n', rl_outstream);
    fflush(rl_outstream);
}

/*
 * One line after prompt. Returns 0 with *out (heap), MC_ECLOSED at end of
 * input (Ctrl-D on an empty line) or when leaving on a signal, MC_ECANCELED
 * for Ctrl-C, MC_EIO when stdin fails.
 */
static int read_line(const char *prompt, char **out)
{
    *out = NULL;
    line_got = NULL;
    line_done = false;
    interrupted = 0;
    rl_callback_handler_install(prompt, on_line);
    while (!line_done) {
        if (terminating) {
            rl_callback_handler_remove();
            fputc('\n', rl_outstream);
            return MC_ECLOSED;
        }
        if (interrupted) {
            interrupted = 0;
            abandon_line();
            return MC_ECANCELED;
        }
        if (resized) {
            resized = 0;
            rl_resize_terminal();
        }
        int n = wait_input();
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rl_callback_handler_remove();
            return MC_EIO;
        }
        rl_callback_read_char();
    }
    using_history(); /* the next line starts past the newest entry */
    if (!line_got) {
        fputc('\n', rl_outstream);
        return MC_ECLOSED;
    }
    *out = line_got;
    return 0;
}

/* ---- history ------------------------------------------------------------------------- */

static char hist_path[PATH_LEN];
static char hist_env[MC_CLI_NAME_MAX];

static bool plain_name(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

int mc_prompt_history_path(const char *config_path, const char *env, char *buf, size_t n)
{
    const char *slash = config_path ? strrchr(config_path, '/') : NULL;
    int dirlen = slash ? (int)(slash - config_path) : 1;
    const char *dir = slash ? config_path : ".";

    if (!plain_name(env))
        return MC_EINVAL;
    int w = snprintf(buf, n, "%.*s/history/%s", dirlen, dir, env);
    return w > 0 && (size_t)w < n ? 0 : MC_EINVAL;
}

/* Loads the environment's history; the file is created 0600 (its folder 0700)
 * so that lines typed later can be appended one by one. */
static void history_open(const struct mc_cli *cli)
{
    clear_history();
    stifle_history(MC_PROMPT_HISTORY_MAX);
    snprintf(hist_env, sizeof(hist_env), "%s", cli->env);
    hist_path[0] = '\0';
    if (mc_prompt_history_path(mc_userconf_config_path(cli->conf), cli->env, hist_path,
                               sizeof(hist_path)) != 0) {
        hist_path[0] = '\0';
        return;
    }
    char *slash = strrchr(hist_path, '/');
    *slash = '\0';
    if (mkdir(hist_path, 0700) != 0 && errno != EEXIST) {
        hist_path[0] = '\0';
        return;
    }
    *slash = '/';
    int fd = open(hist_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        hist_path[0] = '\0';
        return;
    }
    fchmod(fd, 0600);
    close(fd);
    read_history(hist_path);
    using_history();
}

static void history_add(const char *line)
{
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;

    if (!*line || (last && strcmp(last->line, line) == 0))
        return;
    add_history(line);
    if (hist_path[0])
        append_history(1, hist_path);
    using_history();
}

static void history_close(void)
{
    if (hist_path[0])
        history_truncate_file(hist_path, MC_PROMPT_HISTORY_MAX);
    clear_history();
    hist_path[0] = '\0';
}

/* ---- completion ---------------------------------------------------------------------- */

static struct mc_dispatch *session; /* the prompt's, for readline's callbacks */
static struct mc_completions comps; /* the last answer, for the listing */
static size_t comp_next;
static uint64_t services_at;         /* when the service lists were last fetched */
static struct mc_regwatch *watches[2]; /* the live lists: "micro", then the namespace */

int mc_prompt_words(const char *line, size_t start, struct mc_script_line *l, char ***words,
                    int *nwords)
{
    char err[128];
    size_t end = start;

    *words = NULL;
    *nwords = 0;
    if (mc_script_split(l, line, start, err, sizeof(err)) != 0)
        return MC_EINVAL;
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t'))
        end--;
    if (l->ncmds == 0 || (end > 0 && line[end - 1] == ';'))
        return 0; /* a new command starts here */
    /* the last command: after the last NULL but the final one */
    int first = l->nwords - 1;
    while (first > 0 && l->words[first - 1])
        first--;
    *words = l->words + first;
    *nwords = l->nwords - 1 - first;
    if (*nwords > 0 && strcmp((*words)[0], "micro") == 0) {
        (*words)++;
        (*nwords)--;
    }
    return 0;
}

/* The registry watches of the session's domains (regwatch.h). */
static void watches_start(const struct mc_cli *cli)
{
    watches[0] = mc_regwatch_start(cli, "micro");
    if (strcmp(cli->namespace_, "micro") != 0)
        watches[1] = mc_regwatch_start(cli, cli->namespace_);
}

static void watches_stop(void)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(watches); i++) {
        mc_regwatch_stop(watches[i]);
        watches[i] = NULL;
    }
}

/* After `env set` or `user namespace set`: watch where the session now is. */
static void watches_follow(const struct mc_cli *cli)
{
    if (watches[0] && mc_regwatch_follows(watches[0], cli))
        return;
    watches_stop();
    watches_start(cli);
}

/* Hands the watches' lists to the schema cache, where completion reads them;
 * false when a watch is not live (then the lists are fetched). */
static bool services_from_watches(struct mc_cli *cli)
{
    char **names[MC_ARRAY_LEN(watches)] = { NULL };
    bool live = watches[0] != NULL;

    for (size_t i = 0; i < MC_ARRAY_LEN(watches) && live; i++)
        live = !watches[i] || mc_regwatch_names(watches[i], &names[i]) == 0;
    for (size_t i = 0; i < MC_ARRAY_LEN(watches); i++) {
        if (live && names[i])
            mc_schema_cache_set_services(cli, i == 0 ? "micro" : cli->namespace_,
                                         (const char *const *)names[i]);
        mc_cli_names_free(names[i]);
    }
    return live;
}

/* Without a live watch, a service started a moment ago still completes: the
 * lists are refetched once they are older than a second, within the Tab's
 * budget. */
static void refresh_services(struct mc_cli *cli)
{
    uint64_t now = mc_now_ms();
    const char *dom[2] = { "micro", cli->namespace_ };
    int nd = strcmp(cli->namespace_, "micro") == 0 ? 1 : 2;

    if (services_at && now - services_at < MC_PROMPT_SERVICES_MAX_AGE_MS)
        return;
    services_at = now;
    uint64_t saved = cli->deadline_ms;
    cli->deadline_ms = now + MC_PROMPT_BUDGET_MS;
    for (int i = 0; i < nd; i++) {
        struct mc_cli_failure f;
        char **names = NULL;
        mc_cli_failure_init(&f);
        if (mc_schema_cache_services(cli, dom[i], true, &names, &f) == 0)
            mc_cli_names_free(names);
        mc_cli_failure_release(&f);
    }
    cli->deadline_ms = saved;
}

/* Whether the completed word may be a service name (the first word, or the
 * argument of call, stream, get service). */
static bool wants_services(char **words, int n)
{
    return n == 0 || (n == 1 && (!strcmp(words[0], "call") || !strcmp(words[0], "stream"))) ||
           (n == 2 && !strcmp(words[0], "get") && !strcmp(words[1], "service"));
}

static char *next_candidate(const char *text, int state)
{
    size_t len = strlen(text);

    if (state == 0)
        comp_next = 0;
    while (comp_next < comps.n) {
        const char *v = comps.v[comp_next++].value;
        if (strncmp(v, text, len) == 0)
            return mc_strdup(v);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    struct mc_script_line l;
    char **prev;
    int nprev;

    (void)end;
    rl_attempted_completion_over = 1; /* never file names */
    mc_completions_release(&comps);
    if (in_guided || !session || !session->cli_open)
        return NULL;
    if (mc_prompt_words(rl_line_buffer, (size_t)start, &l, &prev, &nprev) != 0) {
        mc_script_line_release(&l);
        return NULL;
    }
    const char **words = mc_calloc((size_t)nprev + 1, sizeof(*words));
    for (int i = 0; i < nprev; i++)
        words[i] = prev[i];
    words[nprev] = text;
    struct mc_cli *cli = &session->cli;
    if (wants_services(prev, nprev) && !services_from_watches(cli))
        refresh_services(cli);
    mc_complete(cli, nprev + 1, words, MC_PROMPT_BUDGET_MS, &comps);
    free(words);
    mc_script_line_release(&l);
    rl_completion_append_character = comps.directive & MC_COMP_NOSPACE ? '\0' : ' ';
    if (comps.n == 0)
        return NULL;
    return rl_completion_matches(text, next_candidate);
}

static const char *describe(const char *value)
{
    for (size_t i = 0; i < comps.n; i++)
        if (strcmp(comps.v[i].value, value) == 0)
            return comps.v[i].description;
    return NULL;
}

/* The candidates one per line with their descriptions (types for fields). */
static void list_matches(char **matches, int num, int max_len)
{
    int rows = 0, cols = 0;
    FILE *o = rl_outstream;

    rl_get_screen_size(&rows, &cols);
    fputc('\n', o);
    for (int i = 1; i <= num && i <= LIST_MAX; i++) {
        const char *d = describe(matches[i]);
        int room = cols - max_len - 3;
        if (d && room > 0)
            fprintf(o, "%-*s  %.*s\n", max_len, matches[i], room, d);
        else
            fprintf(o, "%s\n", matches[i]);
    }
    if (num > LIST_MAX)
        fprintf(o, "(%d more)\n", num - LIST_MAX);
    rl_forced_update_display();
}

/* ---- guided calls -------------------------------------------------------------------- */

static int guided_read(void *ud, const char *prompt, char **line)
{
    (void)ud;
    in_guided = true;
    int rc = read_line(prompt, line);
    in_guided = false;
    return rc;
}

/* For a dynamic command that asks to be guided (guide.h), with readline as
 * the reader. */
static int guide(struct mc_dispatch *d, int argc, char **argv, struct mc_guided *g)
{
    return mc_guide(&d->cli, argc, argv, false, guided_read, NULL, g);
}

/* ---- the loop ------------------------------------------------------------------------ */

struct loop {
    struct mc_dispatch *d;
    bool leave;
    int exit_code;
};

/* `exit [N]` / `quit`: whether argv is one, and the code it asks for. */
static bool exit_command(int argc, char **argv, int *code)
{
    if (strcmp(argv[0], "exit") != 0 && strcmp(argv[0], "quit") != 0)
        return false;
    *code = 0;
    if (argc > 1) {
        char *end;
        errno = 0;
        long v = strtol(argv[1], &end, 10);
        *code = errno || *end || v < 0 || v > 255 ? 1 : (int)v;
    }
    return true;
}

/* Runs one command; returns false when the rest of the line must not run. */
static bool run_command(struct loop *lp, int argc, char **argv, const char *line, int ncmds)
{
    struct mc_guided g = { 0 };
    int code;

    if (exit_command(argc, argv, &code)) {
        lp->leave = true;
        lp->exit_code = code;
        return false;
    }
    int rc = guide(lp->d, argc, argv, &g);
    if (rc < 0) {
        history_add(line);
        return false;
    }
    if (rc == 1 && ncmds == 1) {
        /* the history keeps what ran, so Up repeats the filled-in call */
        char *expanded = mc_guided_quote(g.argc, g.argv);
        history_add(expanded ? expanded : line);
        free(expanded);
    } else {
        history_add(line);
    }
    interrupted = 0;
    fflush(stdout);
    mc_dispatch_run(lp->d, rc == 1 ? g.argc : argc, rc == 1 ? g.argv : argv);
    mc_guided_release(&g);
    /* a command may have set handlers of its own (`server` in the prompt) */
    signals_install(NULL);
    return !interrupted;
}

static void run_line(struct loop *lp, const char *line)
{
    struct mc_script_line l;
    char err[256];

    if (mc_script_split(&l, line, strlen(line), err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        history_add(line);
        mc_script_line_release(&l);
        return;
    }
    if (l.ncmds == 0)
        history_add(line); /* a comment */
    for (int i = 0; i < l.nwords;) {
        char **argv = l.words + i;
        int argc = 0;
        while (argv[argc])
            argc++;
        i += argc + 1;
        if (argc > 0 && strcmp(argv[0], "micro") == 0) {
            argv++;
            argc--;
        }
        if (argc > 0 && !run_command(lp, argc, argv, line, l.ncmds))
            break;
    }
    mc_script_line_release(&l);
}

static void make_prompt(const struct mc_cli *cli, char *buf, size_t n)
{
    snprintf(buf, n, "%s:%s> ", cli->env, cli->namespace_);
}

static int open_session(struct mc_dispatch *d)
{
    char err[512] = "";

    if (d->cli_open)
        return 0;
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

static void readline_setup(void)
{
    rl_readline_name = "micro";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = list_matches;
    rl_completer_word_break_characters = (char *)" \t";
    rl_sort_completion_matches = 0; /* the engine's order: table, then sorted services */
}

static void loop_run(struct loop *lp)
{
    char prompt[PROMPT_MAX];

    while (!lp->leave && !terminating) {
        char *line = NULL;
        make_prompt(&lp->d->cli, prompt, sizeof(prompt));
        int rc = read_line(prompt, &line);
        if (rc == MC_ECANCELED)
            continue;
        if (rc != 0)
            break;
        run_line(lp, line);
        free(line);
        watches_follow(&lp->d->cli);
        if (strcmp(hist_env, lp->d->cli.env) != 0) {
            /* `env set`: that environment's history from now on */
            history_close();
            history_open(&lp->d->cli);
        }
    }
}

int mc_prompt_run(struct mc_dispatch *d)
{
    struct loop lp = { .d = d };
    struct saved_signals sigs;
    struct termios tio;
    bool have_tio = tcgetattr(STDIN_FILENO, &tio) == 0;

    if (open_session(d) != 0)
        return 1;
    if (have_tio) {
        /* a Ctrl-C that cancels a call is not echoed as "^C" before its message */
        struct termios quiet = tio;
        quiet.c_lflag &= ~(tcflag_t)ECHOCTL;
        tcsetattr(STDIN_FILENO, TCSADRAIN, &quiet);
    }
    session = d;
    services_at = 0;
    terminating = 0;
    readline_setup();
    signals_install(&sigs);
    mc_transport_set_cancel(&interrupted);
    history_open(&d->cli);
    watches_start(&d->cli);
    loop_run(&lp);
    watches_stop();
    history_close();
    mc_completions_release(&comps);
    mc_transport_set_cancel(NULL);
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &tio);
    fflush(stdout);
    signals_restore(&sigs);
    session = NULL;
    if (terminating) {
        int sig = terminating;
        terminating = 0;
        mc_dispatch_release(d);
        raise(sig); /* the default action, now that the terminal is back */
        return 128 + sig;
    }
    return lp.exit_code;
}

/* ---- `micro cli` --------------------------------------------------------------------- */

static int run_cli(struct mc_cli *cli, const struct mc_args *args)
{
    (void)args;
    if (session) {
        fprintf(cli->err, "already in the micro prompt\n");
        return 1;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(cli->err, "micro cli needs a terminal; to run commands from a file, pipe them "
                          "to micro\n");
        return 1;
    }
    /* the dispatcher runs every command with its own session (file comment) */
    struct mc_dispatch *d = (struct mc_dispatch *)(void *)((char *)cli -
                                                           offsetof(struct mc_dispatch, cli));
    return mc_prompt_run(d);
}

const struct mc_cmd mc_cmd_cli = {
    .name = "cli",
    .summary = "Run the interactive CLI",
    .description = "Opens the micro prompt: every command works as in one-shot use, Tab "
                   "completes, history is kept per environment.",
    .run = run_cli,
    .max_args = 0,
};
