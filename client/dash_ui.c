/*
 * The dashboard's key table and view state (dash_ui.h). Log positions are
 * absolute line numbers (lines dropped + ring index), so a position stays
 * on its line while the ring drops older ones.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash_ui.h"
#include "mc_common.h"
#include "mc_banned.h"

#define V(x) DASH_VIEW_BIT(DASH_V_##x)
#define LISTS (V(SERVICES) | V(LOGS) | V(DETAIL) | V(HELP) | V(OUTPUT))
#define ACTS (V(SERVICES) | V(LOGS) | V(DETAIL))
#define KEY_ESC 27
#define KEY_CTRL_C 3

const struct dash_key dash_keys[] = {
    { KEY_UP, "Up/k", DA_UP, LISTS, "move up (in logs: scroll, stops following)" },
    { 'k', NULL, DA_UP, LISTS, NULL },
    { KEY_DOWN, "Down/j", DA_DOWN, LISTS, "move down" },
    { 'j', NULL, DA_DOWN, LISTS, NULL },
    { KEY_PPAGE, "PgUp/b", DA_PGUP, LISTS, "a page up" },
    { 'b', NULL, DA_PGUP, LISTS, NULL },
    { KEY_NPAGE, "PgDn/Space", DA_PGDN, LISTS, "a page down" },
    { ' ', NULL, DA_PGDN, LISTS, NULL },
    { 'g', "g/Home", DA_TOP, LISTS, "first line" },
    { KEY_HOME, NULL, DA_TOP, LISTS, NULL },
    { 'G', "G/End", DA_BOTTOM, LISTS, "last line (in logs: follow again)" },
    { KEY_END, NULL, DA_BOTTOM, LISTS, NULL },
    { '\n', "Enter", DA_OPEN, V(SERVICES), "open the service: nodes, endpoints, schemas" },
    { '\r', NULL, DA_OPEN, V(SERVICES), NULL },
    { KEY_ENTER, NULL, DA_OPEN, V(SERVICES), NULL },
    { 'l', "l", DA_LOGS, V(SERVICES) | V(DETAIL), "logs of the service (live)" },
    { 'f', "f", DA_FOLLOW, V(LOGS), "follow on/off" },
    { 't', "t", DA_TIMESTAMPS, V(LOGS), "timestamps on/off" },
    { 'w', "w", DA_WRAP, V(LOGS), "wrap long lines on/off" },
    { '/', "/", DA_FILTER, V(SERVICES) | V(LOGS), "filter: show only matching rows or lines" },
    { 'n', "n/N", DA_NEXT, V(LOGS), "search the pattern: next/previous match, with context" },
    { 'N', NULL, DA_PREV, V(LOGS), NULL },
    { ':', ":", DA_COMMAND, LISTS, "run a micro command (Tab completes)" },
    { 'K', "K", DA_KILL, ACTS, "kill the service (asks first)" },
    { 'u', "u", DA_UPDATE, ACTS, "update (restart) the service" },
    { 's', "s", DA_SAVE, V(LOGS), "save the whole log to a file" },
    { '?', "?", DA_HELP, LISTS, "this help" },
    { 'q', "q/Esc", DA_BACK, LISTS, "back; on the services view, quit" },
    { KEY_ESC, NULL, DA_BACK, LISTS, NULL },
    { 'Q', "Q/Ctrl-C", DA_QUIT, LISTS, "quit" },
    { KEY_CTRL_C, NULL, DA_QUIT, LISTS, NULL },
    { 0, NULL, DA_NONE, 0, NULL },
};

const struct dash_key *dash_key_find(int key, enum dash_view v)
{
    for (const struct dash_key *k = dash_keys; k->key; k++)
        if (k->key == key && (k->views & DASH_VIEW_BIT(v)))
            return k;
    return NULL;
}

void dash_ui_init(struct dash_ui *ui, int rows, int cols)
{
    memset(ui, 0, sizeof(*ui));
    ui->rows = rows;
    ui->cols = cols;
    ui->follow = true;
    ui->log_hide = true;
    ui->log_mark = -1;
    mc_buf_init(&ui->output, (size_t)4 << 20);
}

void dash_ui_release(struct dash_ui *ui)
{
    mc_buf_release(&ui->output);
}

void dash_ui_msg(struct dash_ui *ui, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof(ui->message), fmt, ap);
    va_end(ap);
}

int dash_ui_body_rows(const struct dash_ui *ui)
{
    return ui->rows > 3 ? ui->rows - 3 : 1;
}

size_t dash_ui_services(const struct dash_ui *ui, const struct dash_model *m, size_t *idx,
                        size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < m->nsvcs; i++) {
        const struct dash_svc *s = &m->svcs[i];
        if (!dash_match(s->name, strlen(s->name), ui->svc_filter) &&
            !dash_match(s->status, strlen(s->status), ui->svc_filter))
            continue;
        if (n < cap && idx)
            idx[n] = i;
        n++;
    }
    return n;
}

bool dash_ui_log_visible(const struct dash_ui *ui, const struct dash_line *ln)
{
    return !ui->log_hide || dash_match(ln->text, ln->len, ui->log_pat);
}

/* ---- the log view's positions ---------------------------------------------------- */

static bool visible_abs(const struct dash_ui *ui, const struct dash_log *l, uint64_t a)
{
    const struct dash_line *ln = a >= l->dropped ? dash_log_at(l, (size_t)(a - l->dropped)) : NULL;
    return ln && dash_ui_log_visible(ui, ln);
}

/* From a, n visible lines back (or as far as there are); a itself if none. */
static uint64_t walk_back(const struct dash_ui *ui, const struct dash_log *l, uint64_t a, int n)
{
    uint64_t best = a;

    while (n > 0 && a > l->dropped) {
        a--;
        if (visible_abs(ui, l, a)) {
            best = a;
            n--;
        }
    }
    return best;
}

/* From a, n visible lines forward; the last visible line found. */
static uint64_t walk_fwd(const struct dash_ui *ui, const struct dash_log *l, uint64_t a, int n)
{
    uint64_t end = l->dropped + l->len, best = a;

    while (n > 0 && a + 1 < end) {
        a++;
        if (visible_abs(ui, l, a)) {
            best = a;
            n--;
        }
    }
    return best;
}

/* The top line of the last screenful (where following shows). */
static uint64_t bottom_top(const struct dash_ui *ui, const struct dash_log *l)
{
    uint64_t end = l->dropped + l->len;
    if (l->len == 0)
        return l->dropped;
    uint64_t last = visible_abs(ui, l, end - 1) ? end - 1 : walk_back(ui, l, end - 1, 1);
    return walk_back(ui, l, last, dash_ui_body_rows(ui) - 1);
}

static void log_scroll(struct dash_ui *ui, const struct dash_log *l, int delta)
{
    uint64_t bottom = bottom_top(ui, l);

    if (ui->follow) {
        if (delta > 0)
            return;
        ui->follow = false;
        ui->log_top = bottom;
    }
    if (ui->log_top < l->dropped)
        ui->log_top = l->dropped;
    ui->log_top = delta < 0 ? walk_back(ui, l, ui->log_top, -delta)
                            : walk_fwd(ui, l, ui->log_top, delta);
    if (delta > 0 && ui->log_top >= bottom) {
        ui->follow = true; /* reached the end: follow again, as `less +F` */
        ui->log_top = bottom;
    }
}

static void log_search(struct dash_ui *ui, const struct dash_log *l, int dir)
{
    uint64_t end = l->dropped + l->len;
    int64_t from = ui->log_mark >= 0 ? ui->log_mark
                   : ui->follow  ? (int64_t)end
                                 : (int64_t)ui->log_top - (dir > 0 ? 1 : 0);

    if (!ui->log_pat[0]) {
        dash_ui_msg(ui, "no pattern: type / first");
        return;
    }
    ui->log_hide = false; /* searching shows every line, the matches marked */
    for (int64_t a = from + dir; a >= (int64_t)l->dropped && a < (int64_t)end; a += dir) {
        const struct dash_line *ln = dash_log_at(l, (size_t)(a - (int64_t)l->dropped));
        if (dash_match(ln->text, ln->len, ui->log_pat)) {
            ui->log_mark = a;
            ui->follow = false;
            ui->log_top = walk_back(ui, l, (uint64_t)a, dash_ui_body_rows(ui) / 2);
            ui->message[0] = '\0';
            return;
        }
    }
    dash_ui_msg(ui, "no %s match for '%s'",
             dir > 0 ? "further" : "earlier", ui->log_pat);
}

/* ---- moving in lists ------------------------------------------------------------- */

static void list_move(size_t *sel, size_t n, long delta)
{
    long v = (long)*sel + delta;
    if (n == 0 || v < 0)
        v = 0;
    else if ((size_t)v >= n)
        v = (long)n - 1;
    *sel = (size_t)v;
}

static void ui_move(struct dash_ui *ui, const struct dash_model *m, long delta)
{
    long page = dash_ui_body_rows(ui);
    switch (ui->view) {
    case DASH_V_SERVICES:
        list_move(&ui->sel, dash_ui_services(ui, m, NULL, 0), delta);
        break;
    case DASH_V_LOGS:
        log_scroll(ui, &m->log, (int)delta);
        break;
    case DASH_V_DETAIL:
        list_move(&ui->detail_top, (size_t)1 << 20, delta);
        break;
    case DASH_V_HELP:
        list_move(&ui->help_top, (size_t)page, delta);
        break;
    case DASH_V_OUTPUT:
        list_move(&ui->out_top, ui->output.len + 1, delta);
        break;
    }
}

/* The selected service's name into ui->target; false when the list is empty. */
static bool pick(struct dash_ui *ui, const struct dash_model *m)
{
    size_t n = dash_ui_services(ui, m, NULL, 0), *idx;

    if (ui->view != DASH_V_SERVICES)
        return ui->target[0] != '\0';
    if (n == 0) {
        dash_ui_msg(ui, "no service selected");
        return false;
    }
    idx = mc_calloc(n, sizeof(*idx));
    dash_ui_services(ui, m, idx, n);
    list_move(&ui->sel, n, 0);
    dash_copy(ui->target, sizeof(ui->target), m->svcs[idx[ui->sel]].name);
    free(idx);
    return true;
}

static void start_input(struct dash_ui *ui, enum dash_input in, const char *init)
{
    ui->input = in;
    dash_copy(ui->line, sizeof(ui->line), init);
    ui->line_len = strlen(ui->line);
    ui->message[0] = '\0';
}

static enum dash_effect open_logs(struct dash_ui *ui)
{
    ui->view = DASH_V_LOGS;
    ui->follow = true;
    ui->log_mark = -1;
    ui->log_pat[0] = '\0';
    return DE_FOLLOW;
}

static enum dash_effect back(struct dash_ui *ui)
{
    switch (ui->view) {
    case DASH_V_SERVICES:
        if (ui->svc_filter[0]) {
            ui->svc_filter[0] = '\0'; /* Esc first clears the filter, as k9s */
            return DE_NONE;
        }
        return DE_QUIT;
    case DASH_V_HELP:
    case DASH_V_OUTPUT:
        ui->view = ui->back;
        return DE_NONE;
    case DASH_V_LOGS:
        if (ui->log_pat[0]) {
            ui->log_pat[0] = '\0';
            ui->log_mark = -1;
            return DE_NONE;
        }
        break;
    case DASH_V_DETAIL:
        break;
    }
    ui->view = DASH_V_SERVICES;
    return DE_NONE;
}

static enum dash_effect act(struct dash_ui *ui, const struct dash_model *m, enum dash_action a)
{
    int page = dash_ui_body_rows(ui);

    switch (a) {
    case DA_UP: ui_move(ui, m, -1); break;
    case DA_DOWN: ui_move(ui, m, 1); break;
    case DA_PGUP: ui_move(ui, m, -page); break;
    case DA_PGDN: ui_move(ui, m, page); break;
    case DA_TOP:
        if (ui->view == DASH_V_LOGS) {
            ui->follow = false;
            ui->log_top = walk_fwd(ui, &m->log, m->log.dropped, 0);
        } else
            ui_move(ui, m, -(1L << 30));
        break;
    case DA_BOTTOM:
        if (ui->view == DASH_V_LOGS)
            ui->follow = true;
        else
            ui_move(ui, m, 1L << 30);
        break;
    case DA_OPEN:
        if (!pick(ui, m))
            return DE_NONE;
        ui->view = DASH_V_DETAIL;
        ui->detail_top = 0;
        return DE_DETAIL;
    case DA_LOGS: return pick(ui, m) ? open_logs(ui) : DE_NONE;
    case DA_FOLLOW:
        ui->follow = !ui->follow;
        if (!ui->follow)
            ui->log_top = bottom_top(ui, &m->log);
        break;
    case DA_TIMESTAMPS: ui->timestamps = !ui->timestamps; break;
    case DA_WRAP: ui->wrap = !ui->wrap; break;
    case DA_FILTER:
        start_input(ui, DASH_IN_FILTER, ui->view == DASH_V_LOGS ? ui->log_pat : ui->svc_filter);
        break;
    case DA_NEXT: log_search(ui, &m->log, 1); break;
    case DA_PREV: log_search(ui, &m->log, -1); break;
    case DA_COMMAND: start_input(ui, DASH_IN_COMMAND, ""); break;
    case DA_KILL:
        if (pick(ui, m)) {
            start_input(ui, DASH_IN_CONFIRM, "");
            dash_ui_msg(ui, "kill %s? (y/n)", ui->target);
        }
        break;
    case DA_UPDATE: return pick(ui, m) ? DE_UPDATE : DE_NONE;
    case DA_SAVE: return DE_SAVE;
    case DA_BACK: return back(ui);
    case DA_QUIT: return DE_QUIT;
    case DA_HELP:
        if (ui->view != DASH_V_HELP)
            ui->back = ui->view;
        ui->view = DASH_V_HELP;
        ui->help_top = 0;
        break;
    case DA_NONE: break;
    }
    return DE_NONE;
}

/* Enter on the typed line. */
static enum dash_effect input_done(struct dash_ui *ui)
{
    enum dash_input in = ui->input;

    ui->input = DASH_IN_NONE;
    if (in == DASH_IN_COMMAND)
        return ui->line_len ? DE_RUN : DE_NONE;
    if (ui->view == DASH_V_LOGS) {
        dash_copy(ui->log_pat, sizeof(ui->log_pat), ui->line);
        ui->log_hide = true;
        ui->log_mark = -1;
    } else {
        dash_copy(ui->svc_filter, sizeof(ui->svc_filter), ui->line);
        ui->sel = ui->top = 0;
    }
    return DE_NONE;
}

static enum dash_effect input_key(struct dash_ui *ui, int key)
{
    if (ui->input == DASH_IN_CONFIRM) {
        ui->input = DASH_IN_NONE;
        ui->message[0] = '\0';
        return key == 'y' || key == 'Y' ? DE_KILL : DE_NONE;
    }
    if (key == KEY_ESC || key == KEY_CTRL_C) {
        ui->input = DASH_IN_NONE;
        return DE_NONE;
    }
    if (key == '\n' || key == '\r' || key == KEY_ENTER)
        return input_done(ui);
    if (key == '\t')
        return ui->input == DASH_IN_COMMAND ? DE_COMPLETE : DE_NONE;
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (ui->line_len > 0)
            ui->line[--ui->line_len] = '\0';
        return DE_NONE;
    }
    if (key == 21) { /* Ctrl-U */
        ui->line_len = 0;
        ui->line[0] = '\0';
        return DE_NONE;
    }
    if (key >= 32 && key < 256 && ui->line_len + 1 < sizeof(ui->line)) {
        ui->line[ui->line_len++] = (char)key;
        ui->line[ui->line_len] = '\0';
    }
    return DE_NONE;
}

enum dash_effect dash_ui_key(struct dash_ui *ui, const struct dash_model *m, int key)
{
    const struct dash_key *k;

    if (ui->input != DASH_IN_NONE)
        return input_key(ui, key);
    if (key == KEY_ESC || key == 'q')
        ui->message[0] = '\0';
    if (key == 'q' && ui->view == DASH_V_SERVICES)
        return DE_QUIT; /* Esc clears a filter first; q always quits here */
    k = dash_key_find(key, ui->view);
    return k ? act(ui, m, k->action) : DE_NONE;
}
