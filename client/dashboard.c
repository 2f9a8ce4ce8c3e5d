/*
 * `micro dashboard`: a terminal dashboard of the services (runtime status
 * and registry), their logs (live), and their detail (nodes, endpoints,
 * schemas), after k9s, htop and tig.
 *
 * Architecture. Four feeder threads (dash_feed.c), each with its own
 * session, fill one model (dash_model.c) under its lock and wake this thread
 * through a pipe. This thread alone owns the terminal: it polls stdin, the
 * wake pipe, a signal pipe and the output of a command it runs, turns keys
 * into view changes through the one key table (dash_ui.c), and redraws by
 * rendering the model into a plain text frame (dash_render.c) that it then
 * copies to ncurses. Redraws after data are batched to at most one per
 * DRAW_BATCH_MS; a key redraws at once. With --dump-screen the same frames
 * are printed as text instead, with keys from --keys, so tests and scripts
 * need no terminal.
 *
 * The terminal is restored on every exit: q, Ctrl-C, SIGTERM and SIGHUP end
 * the loop normally; a crash signal or an allocation failure restores it
 * from the handler (or the OOM hook) before the default action.
 *
 * Commands (`:`, K, u) run as a child `micro` process (the same binary,
 * same environment and namespace) whose output is read without blocking, so
 * a slow command never freezes the screen.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "complete.h"
#include "dash_feed.h"
#include "dash_model.h"
#include "dash_render.h"
#include "dash_ui.h"
#include "mc_common.h"
#include "run_util.h"
#include "script.h"
#include "mc_banned.h"

#define DRAW_BATCH_MS 20       /* data redraws at most every 20 ms (k9s flushes every 50) */
#define TICK_MS 1000           /* uptimes and the clock move even without data */
#define COMPLETE_BUDGET_MS 300

/* ---- terminal state and signals ------------------------------------------------ */

static volatile sig_atomic_t curses_on;
static volatile sig_atomic_t term_signal;
static int sig_pipe[2] = { -1, -1 };

static void restore_terminal(void)
{
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
}

static void on_term(int sig)
{
    int saved = errno;
    char b = (char)sig;

    term_signal = sig;
    if (sig_pipe[1] >= 0 && write(sig_pipe[1], &b, 1) < 0)
        (void)0;
    errno = saved;
}

static void on_crash(int sig)
{
    restore_terminal();   /* best effort from a handler: the user gets a usable shell */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The signals the dashboard handles, and what was there before (the prompt's,
 * when `dashboard` runs inside `micro cli`), put back when it ends. */
static const int handled[] = { SIGTERM, SIGINT, SIGHUP, SIGWINCH, SIGSEGV, SIGBUS, SIGABRT,
                               SIGFPE, SIGPIPE };
static struct sigaction saved_actions[sizeof(handled) / sizeof(handled[0])];

static void install_signals(void)
{
    struct sigaction sa;

    for (size_t i = 0; i < MC_ARRAY_LEN(handled); i++) {
        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = handled[i] == SIGPIPE ? SIG_IGN : on_term;
        if (handled[i] == SIGSEGV || handled[i] == SIGBUS || handled[i] == SIGABRT ||
            handled[i] == SIGFPE) {
            sa.sa_handler = on_crash;
            sa.sa_flags = SA_RESETHAND;
        }
        sigaction(handled[i], &sa, &saved_actions[i]);
    }
}

static void restore_signals(void)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(handled); i++)
        sigaction(handled[i], &saved_actions[i], NULL);
}

/* ---- the dashboard's state --------------------------------------------------------- */

struct dash {
    struct mc_cli *cli;        /* the command's session: completion, names */
    struct dash_model m;
    struct dash_feed feed;
    struct dash_ui ui;
    struct dash_frame frame;
    bool dump;                 /* --dump-screen: frames to stdout, no terminal */
    bool color;
    unsigned refresh_ms;
    FILE *trace;               /* MICRO_DASH_TRACE: timings for bench/run-dashboard */
    uint64_t key_ns;           /* when the key being answered arrived (0 = none) */
    char last_traced[256];
    /* the running command (:, K, u) */
    pid_t child;
    int child_fd;
    bool child_to_view;        /* its output goes to the output view (`:`) */
    char child_title[DASH_LINE_MAX];
};

/* ---- running a micro command as a child ------------------------------------------- */

static void add_arg(char **argv, int *n, int cap, const char *s)
{
    if (*n < cap - 1)
        argv[(*n)++] = (char *)s;
}

static int spawn_command(struct dash *d, int wc, char **words, bool to_view, const char *title)
{
    char *argv[64];
    int n = 0, fds[2];
    pid_t pid;

    if (d->child > 0) {
        dash_ui_msg(&d->ui, "a command is still running");
        return -1;
    }
    add_arg(argv, &n, 64, "micro");
    add_arg(argv, &n, 64, "--env");
    add_arg(argv, &n, 64, d->cli->env);
    add_arg(argv, &n, 64, "--namespace");
    add_arg(argv, &n, 64, d->cli->namespace_);
    if (d->cli->opts.config_file) {
        add_arg(argv, &n, 64, "--config_file");
        add_arg(argv, &n, 64, d->cli->opts.config_file);
    }
    if (d->cli->opts.proxy_address) {
        add_arg(argv, &n, 64, "--proxy_address");
        add_arg(argv, &n, 64, d->cli->opts.proxy_address);
    }
    for (int i = 0; i < wc; i++)
        add_arg(argv, &n, 64, words[i]);
    argv[n] = NULL;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    d->child = pid;
    d->child_fd = fds[0];
    d->child_to_view = to_view;
    dash_copy(d->child_title, sizeof(d->child_title), title);
    mc_buf_reset(&d->ui.output);
    snprintf(d->ui.output_title, sizeof(d->ui.output_title), "%.400s (running)", title);
    if (to_view) {
        if (d->ui.view != DASH_V_OUTPUT)
            d->ui.back = d->ui.view;
        d->ui.view = DASH_V_OUTPUT;
        d->ui.out_top = 0;
    } else
        dash_ui_msg(&d->ui, "%s ...", title);
    return 0;
}

/* The last non-empty line of s, for the message line. */
static void last_line(const char *s, char *buf, size_t n)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    snprintf(buf, n, "%.*s", (int)(len - start), s + start);
}

static void child_finished(struct dash *d)
{
    int status = 0, code;
    char last[200];

    close(d->child_fd);
    d->child_fd = -1;
    while (waitpid(d->child, &status, 0) < 0 && errno == EINTR)
        ;
    d->child = 0;
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    snprintf(d->ui.output_title, sizeof(d->ui.output_title), "%.400s (exit %d)",
             d->child_title, code);
    if (!d->child_to_view) {
        last_line(mc_buf_cstr(&d->ui.output), last, sizeof(last));
        dash_ui_msg(&d->ui, "%s: %s", d->child_title,
                    last[0] ? last : code == 0 ? "done" : "failed");
    }
    dash_feed_poke(&d->feed); /* the status changed: show it now */
}

static void child_read(struct dash *d)
{
    char buf[8192];
    ssize_t n;

    while ((n = read(d->child_fd, buf, sizeof(buf))) > 0)
        mc_buf_append(&d->ui.output, buf, (size_t)n);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        child_finished(d);
}

static void run_line(struct dash *d)
{
    struct mc_script_line l;
    char err[256];
    int argc = 0;

    if (mc_script_split(&l, d->ui.line, d->ui.line_len, err, sizeof(err)) != 0) {
        dash_ui_msg(&d->ui, "%s", err);
        mc_script_line_release(&l);
        return;
    }
    char **argv = l.words;
    while (l.nwords > 0 && argv[argc])
        argc++;
    if (argc > 0 && strcmp(argv[0], "micro") == 0) {
        argv++;
        argc--;
    }
    if (argc > 0 && (strcmp(argv[0], "dashboard") == 0 || strcmp(argv[0], "cli") == 0))
        dash_ui_msg(&d->ui, "%s needs a terminal of its own", argv[0]);
    else if (argc > 0)
        spawn_command(d, argc, argv, true, d->ui.line);
    mc_script_line_release(&l);
}

/* ---- Tab in command mode ------------------------------------------------------------- */

static void common_prefix(const struct mc_completions *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s", c->v[0].value);
    for (size_t i = 1; i < c->n; i++) {
        size_t k = 0;
        while (buf[k] && buf[k] == c->v[i].value[k])
            k++;
        buf[k] = '\0';
    }
}

static void complete_line(struct dash *d)
{
    struct dash_ui *ui = &d->ui;
    const char *words[64];
    char copy[DASH_LINE_MAX], best[DASH_LINE_MAX];
    struct mc_completions c = { 0 };
    int nw = 0;
    size_t start = ui->line_len;

    while (start > 0 && ui->line[start - 1] != ' ')
        start--;
    snprintf(copy, sizeof(copy), "%.*s", (int)start, ui->line);
    for (char *p = copy, *save = NULL; nw < 62 && (p = strtok_r(p, " ", &save)); p = NULL)
        words[nw++] = p;
    if (nw > 0 && strcmp(words[0], "micro") == 0)
        memmove(words, words + 1, (size_t)--nw * sizeof(*words));
    words[nw++] = ui->line + start;
    if (mc_complete(d->cli, nw, words, COMPLETE_BUDGET_MS, &c) != 0 || c.n == 0) {
        snprintf(ui->message, sizeof(ui->message), "no completion");
        mc_completions_release(&c);
        return;
    }
    common_prefix(&c, best, sizeof(best));
    bool space = c.n == 1 && !(c.directive & MC_COMP_NOSPACE);
    ui->line_len = start + (size_t)snprintf(ui->line + start, sizeof(ui->line) - start, "%s%s",
                                            best, space ? " " : "");
    ui->line_len = MC_MIN(ui->line_len, sizeof(ui->line) - 1);
    ui->message[0] = '\0';
    if (c.n > 1) {
        size_t o = 0;
        for (size_t i = 0; i < c.n && o + 2 < sizeof(ui->message); i++)
            o += (size_t)snprintf(ui->message + o, sizeof(ui->message) - o, "%s ", c.v[i].value);
    }
    mc_completions_release(&c);
}

/* ---- effects of keys ----------------------------------------------------------------- */

static void save_log(struct dash *d)
{
    char path[512];
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "%s-%lld.log", d->m.log_name[0] ? d->m.log_name : "log",
             (long long)mc_unix_time());
    if (!(f = fopen(path, "w"))) {
        dash_ui_msg(&d->ui, "cannot write %s: %s", path,
                 strerror(errno));
        return;
    }
    dash_model_lock(&d->m);
    rc = dash_log_save(&d->m.log, f);
    size_t n = d->m.log.len;
    dash_model_unlock(&d->m);
    rc = fclose(f) != 0 ? MC_EIO : rc;
    if (rc)
        dash_ui_msg(&d->ui, "cannot write %s", path);
    else
        dash_ui_msg(&d->ui, "saved %zu lines to %s", n, path);
}

static bool effect(struct dash *d, enum dash_effect e)
{
    char *words[2] = { NULL, d->ui.target };
    char title[DASH_LINE_MAX];

    switch (e) {
    case DE_NONE: break;
    case DE_FOLLOW:
        dash_model_lock(&d->m);
        dash_model_follow(&d->m, d->ui.target);
        dash_model_unlock(&d->m);
        dash_feed_log_changed(&d->feed);
        break;
    case DE_DETAIL:
        dash_model_lock(&d->m);
        if (strcmp(d->m.detail_name, d->ui.target) != 0) {
            dash_copy(d->m.detail_name, sizeof(d->m.detail_name), d->ui.target);
            cJSON_Delete(d->m.detail);
            d->m.detail = NULL;
            d->m.detail_error[0] = '\0';
        }
        dash_model_unlock(&d->m);
        dash_feed_poke(&d->feed);
        break;
    case DE_KILL:
    case DE_UPDATE:
        words[0] = e == DE_KILL ? "kill" : "update";
        snprintf(title, sizeof(title), "%s %s", words[0], d->ui.target);
        spawn_command(d, 2, words, false, title);
        break;
    case DE_SAVE: save_log(d); break;
    case DE_RUN: run_line(d); break;
    case DE_COMPLETE: complete_line(d); break;
    case DE_QUIT: return false;
    }
    return true;
}

/* ---- drawing ----------------------------------------------------------------------- */

static const short colors[DASH_A_COUNT] = { 0, COLOR_CYAN, COLOR_BLUE, 0, COLOR_GREEN,
                                            COLOR_RED, COLOR_YELLOW, 0 };

static attr_t curses_attr(const struct dash *d, unsigned char a)
{
    switch (a) {
    case DASH_A_HEADER: return (d->color ? COLOR_PAIR(DASH_A_HEADER) : 0) | A_REVERSE;
    case DASH_A_TITLE: return (d->color ? COLOR_PAIR(DASH_A_TITLE) : 0) | A_BOLD;
    case DASH_A_SELECTED: return A_REVERSE;
    case DASH_A_GOOD: return d->color ? COLOR_PAIR(DASH_A_GOOD) : 0;
    case DASH_A_BAD: return (d->color ? COLOR_PAIR(DASH_A_BAD) : 0) | A_BOLD;
    case DASH_A_MATCH: return d->color ? COLOR_PAIR(DASH_A_MATCH) | A_BOLD : A_BOLD;
    case DASH_A_DIM: return A_DIM;
    default: return 0;
    }
}

static void to_curses(struct dash *d)
{
    const struct dash_frame *f = &d->frame;

    for (int r = 0; r < f->rows; r++) {
        const char *t = f->text + (size_t)r * (size_t)f->cols;
        const unsigned char *a = f->attr + (size_t)r * (size_t)f->cols;
        int c = 0;
        move(r, 0);
        while (c < f->cols) {
            int e = c;
            while (e < f->cols && a[e] == a[c])
                e++;
            attrset(curses_attr(d, a[c]));
            /* the bottom-right cell scrolls some terminals: leave it alone */
            int n = (r == f->rows - 1 && e == f->cols) ? e - c - 1 : e - c;
            if (n > 0)
                addnstr(t + c, n);
            c = e;
        }
    }
    attrset(0);
    refresh();
}

/* The newest log line on the frame, for the trace's write→visible timing. */
static void trace_draw(struct dash *d)
{
    struct timespec ts;
    char row[1024];

    if (!d->trace)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (d->key_ns) {
        fprintf(d->trace, "key %.3f\n", (double)(mc_now_ns() - d->key_ns) / 1e6);
        d->key_ns = 0;
    }
    if (d->ui.view == DASH_V_LOGS && d->ui.follow) {
        for (int r = d->frame.rows - 2; r >= 2; r--) {
            dash_frame_row(&d->frame, r, row, sizeof(row));
            if (row[0]) {
                if (strcmp(row, d->last_traced) != 0) {
                    fprintf(d->trace, "line %lld %s\n",
                            (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, row);
                    dash_copy(d->last_traced, sizeof(d->last_traced), row);
                }
                break;
            }
        }
    }
    fflush(d->trace);
}

static void draw(struct dash *d)
{
    dash_model_lock(&d->m);
    dash_render(&d->frame, &d->m, &d->ui, mc_run_now_ns());
    dash_model_unlock(&d->m);
    if (d->dump) {
        dash_frame_print(&d->frame, stdout);
        fputs("\f\n", stdout); /* frames are separated by a form feed line */
        fflush(stdout);
    } else
        to_curses(d);
    trace_draw(d);
}

static void resize(struct dash *d)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    d->ui.rows = LINES;
    d->ui.cols = COLS;
    dash_frame_release(&d->frame);
    dash_frame_init(&d->frame, LINES, COLS);
    clear();
}

/* ---- the loop ---------------------------------------------------------------------- */

static bool handle_key(struct dash *d, int key)
{
    enum dash_effect e;

    if (key == KEY_RESIZE) {
        resize(d);
        return true;
    }
    d->key_ns = mc_now_ns();
    dash_model_lock(&d->m);
    e = dash_ui_key(&d->ui, &d->m, key);
    dash_model_unlock(&d->m);
    return effect(d, e);
}

static bool read_keys(struct dash *d)
{
    int key;

    while ((key = getch()) != ERR)
        if (!handle_key(d, key))
            return false;
    return true;
}

static bool on_signal(struct dash *d)
{
    char b[16];
    ssize_t n = read(sig_pipe[0], b, sizeof(b));

    for (ssize_t i = 0; i < n; i++) {
        if (b[i] == SIGWINCH && !d->dump)
            resize(d);
        else if (b[i] != SIGWINCH)
            return false;
    }
    return true;
}

/* Waits for input, data, a signal or the next tick; false when it is time to go. */
static bool loop_once(struct dash *d, uint64_t *drawn_ms, bool *dirty)
{
    struct pollfd p[4] = { { .fd = d->dump ? -1 : STDIN_FILENO, .events = POLLIN },
                           { .fd = d->m.wake_r, .events = POLLIN },
                           { .fd = sig_pipe[0], .events = POLLIN },
                           { .fd = d->child > 0 ? d->child_fd : -1, .events = POLLIN } };
    uint64_t now = mc_now_ms(), since = now - *drawn_ms;
    /* data waiting: draw when the batch period is over; else the next tick */
    int timeout = (int)(!*dirty ? TICK_MS : since >= DRAW_BATCH_MS ? 0 : DRAW_BATCH_MS - since);

    if (poll(p, 4, timeout) < 0 && errno != EINTR)
        return false;
    if (p[2].revents && !on_signal(d))
        return false;
    if (term_signal && term_signal != SIGWINCH)
        return false;
    if (p[3].revents)
        child_read(d);
    if (p[1].revents) {
        dash_model_drain(&d->m);
        *dirty = true;
    }
    if (p[0].revents) {
        if (!read_keys(d))
            return false;
        draw(d); /* a key is answered at once */
        *drawn_ms = mc_now_ms();
        *dirty = false;
        return true;
    }
    now = mc_now_ms();
    if ((*dirty && now - *drawn_ms >= DRAW_BATCH_MS) || now - *drawn_ms >= TICK_MS) {
        draw(d);
        *drawn_ms = now;
        *dirty = false;
    }
    return true;
}

static void curses_start(struct dash *d)
{
    initscr();
    curses_on = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    d->color = has_colors() && !getenv("NO_COLOR");
    if (d->color) {
        start_color();
        use_default_colors();
        for (int a = 1; a < DASH_A_COUNT; a++)
            if (colors[a])
                init_pair((short)a, colors[a], -1);
    }
    d->ui.color = d->color;
    d->ui.rows = LINES;
    d->ui.cols = COLS;
}

static void oom_hook(void)
{
    restore_terminal();
}

/* The next key of --keys: a character, or the escapes \n (Enter), \t (Tab), \e (Esc)
 * and a doubled backslash for one. */
static int next_key(const char **keys)
{
    const char *p = *keys;
    static const char esc[] = "nte\\", val[] = { '\n', '\t', 27, '\\' };
    const char *e = p[0] == '\\' && p[1] ? strchr(esc, p[1]) : NULL;

    *keys = p + (e ? 2 : 1);
    return e ? val[e - esc] : (unsigned char)p[0];
}

/* --dump-screen: frames at the refresh period; one key from --keys before each
 * frame after the first; the first waits (up to 5 s) for the first poll. */
static void dump_frames(struct dash *d, int frames, const char *keys)
{
    uint64_t deadline = mc_now_ms() + 5000;

    while (mc_now_ms() < deadline) {
        dash_model_lock(&d->m);
        bool ready = d->m.conn != DASH_CONNECTING;
        dash_model_unlock(&d->m);
        if (ready)
            break;
        usleep(10000);
    }
    for (int i = 0; i < frames && !term_signal; i++) {
        if (i > 0) {
            uint64_t until = mc_now_ms() + d->refresh_ms;
            if (keys && *keys && !handle_key(d, next_key(&keys)))
                return;
            while (mc_now_ms() < until && !term_signal) {
                struct pollfd p[2] = { { .fd = d->m.wake_r, .events = POLLIN },
                                       { .fd = d->child > 0 ? d->child_fd : -1,
                                         .events = POLLIN } };
                int left = (int)(until - mc_now_ms());
                if (poll(p, 2, left > 0 ? left : 0) > 0) {
                    if (p[0].revents)
                        dash_model_drain(&d->m);
                    if (p[1].revents)
                        child_read(d);
                }
            }
        }
        draw(d);
    }
}

/* ---- the command ---------------------------------------------------------------------- */

static int parse_refresh(struct mc_cli *cli, const char *s, unsigned *ms)
{
    char *end = NULL;
    double v = s ? strtod(s, &end) : 1.0;

    if (s && (end == s || *end || v < 0.1 || v > 10.0))
        return mc_cli_fail_local(cli, "--refresh takes seconds from 0.1 to 10, not '%s'", s);
    *ms = (unsigned)(v * 1000.0 + 0.5);
    return 0;
}

static int parse_size(struct mc_cli *cli, const char *s, int *cols, int *rows)
{
    int64_t c, r;
    char a[16], b[16];
    const char *x = s ? strchr(s, 'x') : NULL;

    if (!s || !*s)
        return 0;
    if (!x || x - s >= 16 || strlen(x + 1) >= 16)
        return mc_cli_fail_local(cli, "--size takes COLSxROWS, not '%s'", s);
    snprintf(a, sizeof(a), "%.*s", (int)(x - s), s);
    snprintf(b, sizeof(b), "%s", x + 1);
    if (mc_parse_i64(a, &c) || mc_parse_i64(b, &r) || c < 1 || r < 1 || c > 1000 || r > 1000)
        return mc_cli_fail_local(cli, "--size takes COLSxROWS, not '%s'", s);
    *cols = (int)c;
    *rows = (int)r;
    return 0;
}

static int dash_setup(struct dash *d, struct mc_cli *cli, const struct mc_args *args)
{
    int cols = 80, rows = 24, rc;
    const char *trace = getenv("MICRO_DASH_TRACE");

    memset(d, 0, sizeof(*d));
    d->cli = cli;
    d->child_fd = -1;
    d->dump = mc_args_bool(args, "dump-screen");
    if ((rc = parse_refresh(cli, mc_args_str(args, "refresh"), &d->refresh_ms)) != 0 ||
        (rc = parse_size(cli, mc_args_str(args, "size"), &cols, &rows)) != 0)
        return rc;
    if (!d->dump && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return mc_cli_fail_local(cli, "micro dashboard needs a terminal (or --dump-screen)");
    if (dash_model_init(&d->m, 0) != 0)
        return mc_cli_fail_local(cli, "cannot start the dashboard: %s", strerror(errno));
    dash_copy(d->m.env, sizeof(d->m.env), cli->env);
    dash_copy(d->m.ns, sizeof(d->m.ns), cli->namespace_);
    dash_copy(d->m.address, sizeof(d->m.address), cli->address);
    dash_ui_init(&d->ui, rows, cols);
    d->trace = trace && *trace ? fopen(trace, "w") : NULL;
    return 0;
}

static void open_log_arg(struct dash *d, const char *name)
{
    if (!name || !*name)
        return;
    dash_copy(d->ui.target, sizeof(d->ui.target), name);
    d->ui.view = DASH_V_LOGS;
    effect(d, DE_FOLLOW);
}

static int run_dashboard(struct mc_cli *cli, const struct mc_args *args)
{
    struct dash d;
    int rc;
    long long frames = mc_args_int(args, "frames", 1);

    if ((rc = dash_setup(&d, cli, args)) != 0)
        return rc;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return mc_cli_fail_local(cli, "cannot start the dashboard: %s", strerror(errno));
    term_signal = 0;
    install_signals();
    atexit(restore_terminal);
    mc_set_oom_hook(oom_hook);
    if (!d.dump)
        curses_start(&d);
    dash_frame_init(&d.frame, d.ui.rows, d.ui.cols);
    rc = dash_feed_start(&d.feed, &d.m, &cli->opts, d.refresh_ms);
    open_log_arg(&d, mc_args_str(args, "log"));
    if (rc == 0 && d.dump)
        dump_frames(&d, (int)MC_MAX(frames, 1), mc_args_str(args, "keys"));
    else if (rc == 0) {
        uint64_t drawn = 0;
        bool dirty = true;
        draw(&d);
        while (loop_once(&d, &drawn, &dirty))
            ;
    }
    restore_terminal();
    if (d.child > 0) {
        kill(d.child, SIGTERM);
        child_finished(&d);
    }
    if (rc == 0)
        dash_feed_stop(&d.feed);
    dash_frame_release(&d.frame);
    dash_ui_release(&d.ui);
    dash_model_release(&d.m);
    if (d.trace)
        fclose(d.trace);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    restore_signals();
    /* Ctrl-C only ends the dashboard (inside `micro cli` the prompt goes on);
     * SIGTERM and SIGHUP end the process, with their default action */
    if (term_signal == SIGINT)
        return 130;
    if (term_signal && term_signal != SIGWINCH) {
        int sig = term_signal;
        signal(sig, SIG_DFL);
        raise(sig); /* the default action, now that the terminal is back */
        return 128 + sig;
    }
    return rc ? mc_cli_fail_local(cli, "cannot start the dashboard's threads") : 0;
}

static const struct mc_flag dashboard_flags[] = {
    {"refresh", NULL, MC_FLAG_STRING, "1", "Seconds between status refreshes, 0.1 to 10", NULL},
    {"log", NULL, MC_FLAG_STRING, NULL, "Open the logs of this service at start", NULL},
    {"dump-screen", NULL, MC_FLAG_BOOL, NULL,
     "Print frames as text instead of using the terminal (for tests and scripts)", NULL},
    {"frames", NULL, MC_FLAG_INT, "1", "With --dump-screen: how many frames to print", NULL},
    {"size", NULL, MC_FLAG_STRING, "80x24", "With --dump-screen: the screen size COLSxROWS",
     NULL},
    {"keys", NULL, MC_FLAG_STRING, NULL,
     "With --dump-screen: keys to press, one before each frame after the first "
     "(\\n Enter, \\t Tab, \\e Esc)",
     NULL},
    {0},
};

const struct mc_cmd mc_cmd_dashboard = {
    .name = "dashboard",
    .summary = "Open the terminal dashboard: services, status, logs",
    .description = "A live view of the services the runtime runs and the registry holds, "
                   "their logs and endpoints. Press ? inside for the keys.",
    .flags = dashboard_flags,
    .run = run_dashboard,
    .max_args = 0,
};
