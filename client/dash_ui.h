/*
 * The dashboard's view state and its one key table (htop's ScreenManager,
 * tig's view_ops, in small): which view shows, the selection, scrolling,
 * the toggles and the line being typed after `/` or `:`. dash_ui_key turns
 * a key into a change of this state and, for what needs the outside world
 * (open a log stream, kill, run a command, save, quit), into an effect the
 * main loop carries out. Pure: the unit tests drive it with a model built
 * by hand, and the help view is generated from the same table.
 */
#ifndef MC_CLIENT_DASH_UI_H
#define MC_CLIENT_DASH_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dash_model.h"
#include "mc_buf.h"

enum dash_view { DASH_V_SERVICES, DASH_V_LOGS, DASH_V_DETAIL, DASH_V_HELP, DASH_V_OUTPUT };

#define DASH_VIEW_BIT(v) (1u << (v))
#define DASH_V_ALL 0x1fu

enum dash_input { DASH_IN_NONE, DASH_IN_FILTER, DASH_IN_COMMAND, DASH_IN_CONFIRM };

enum dash_action {
    DA_NONE, DA_UP, DA_DOWN, DA_PGUP, DA_PGDN, DA_TOP, DA_BOTTOM, DA_OPEN, DA_LOGS, DA_FOLLOW,
    DA_TIMESTAMPS, DA_WRAP, DA_FILTER, DA_NEXT, DA_PREV, DA_COMMAND, DA_KILL, DA_UPDATE,
    DA_SAVE, DA_BACK, DA_QUIT, DA_HELP,
};

/* What the main loop must do after a key (ui->target names the service). */
enum dash_effect {
    DE_NONE, DE_FOLLOW, DE_DETAIL, DE_KILL, DE_UPDATE, DE_SAVE, DE_RUN, DE_COMPLETE, DE_QUIT,
};

struct dash_key {
    int key;              /* a character, or an ncurses KEY_* code */
    const char *label;    /* as the help shows it */
    enum dash_action action;
    unsigned views;       /* DASH_VIEW_BIT mask where the key applies */
    const char *help;
};

/* The table, ending with a {0} entry. */
extern const struct dash_key dash_keys[];

/* The entry for key in view v, or NULL. */
const struct dash_key *dash_key_find(int key, enum dash_view v);

#define DASH_LINE_MAX 512

struct dash_ui {
    enum dash_view view, back;     /* back: where Esc/q returns from help and output */
    int rows, cols;                /* the screen's size */
    size_t sel, top;               /* services: selected row, first row shown (filtered list) */
    char svc_filter[128];
    char log_pat[128];             /* the log's pattern */
    bool log_hide;                 /* true: hide non-matching lines; false: n/N search */
    bool follow, timestamps, wrap;
    uint64_t log_top;              /* first line shown when not following (absolute number:
                                      dropped + ring index) */
    int64_t log_mark;              /* absolute number of the current search match, or -1 */
    size_t detail_top, out_top, help_top;
    enum dash_input input;
    char line[DASH_LINE_MAX];      /* what is typed after / or : */
    size_t line_len;
    char message[256];             /* one-line feedback on the bottom line */
    char target[DASH_NAME_MAX];    /* the service an effect is about */
    struct mc_buf output;          /* the last `:` command's output */
    char output_title[DASH_LINE_MAX];
    bool color;
};

void dash_ui_init(struct dash_ui *ui, int rows, int cols);
void dash_ui_release(struct dash_ui *ui);

/*
 * Handles one key (a character or KEY_*), with the model locked. Returns the
 * effect for the main loop: DE_FOLLOW after the log view of ui->target was
 * opened (the caller calls dash_model_follow and restarts the log feed),
 * DE_DETAIL for the detail of ui->target, DE_KILL/DE_UPDATE for ui->target,
 * DE_SAVE (the log), DE_RUN (ui->line holds a command line), DE_COMPLETE (Tab
 * in command mode), DE_QUIT.
 */
enum dash_effect dash_ui_key(struct dash_ui *ui, const struct dash_model *m, int key);

/* The services the list shows (those matching the filter), in model order:
 * writes up to cap indices into idx and returns how many match. */
size_t dash_ui_services(const struct dash_ui *ui, const struct dash_model *m, size_t *idx,
                        size_t cap);

/* Whether log line i (ring index) is shown under the current filter. */
bool dash_ui_log_visible(const struct dash_ui *ui, const struct dash_line *ln);

/* Sets the bottom line's message (printf format). */
void dash_ui_msg(struct dash_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rows the log view has for lines (the screen less header, title, bottom). */
int dash_ui_body_rows(const struct dash_ui *ui);

#endif
