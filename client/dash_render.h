/*
 * The dashboard's renderers: each view is drawn from the model and the view
 * state into a plain frame (rows × cols cells, one byte and one attribute
 * each), never straight to the terminal. The main loop copies a frame to
 * ncurses; --dump-screen prints it as text, which is how tests and scripts
 * see the screen without a terminal.
 */
#ifndef MC_CLIENT_DASH_RENDER_H
#define MC_CLIENT_DASH_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "dash_model.h"
#include "dash_ui.h"

enum dash_attr {
    DASH_A_NORMAL, DASH_A_HEADER, DASH_A_TITLE, DASH_A_SELECTED, DASH_A_GOOD, DASH_A_BAD,
    DASH_A_MATCH, DASH_A_DIM, DASH_A_COUNT
};

struct dash_frame {
    int rows, cols;
    char *text;            /* rows*cols bytes, printable ASCII */
    unsigned char *attr;   /* rows*cols enum dash_attr */
};

void dash_frame_init(struct dash_frame *f, int rows, int cols);
void dash_frame_release(struct dash_frame *f);
void dash_frame_clear(struct dash_frame *f);
/* Writes s (at most n bytes) at row/col, cut at the right edge; bytes that are
 * not printable ASCII show as '?', a tab moves to the next multiple of 8.
 * Returns the next column. */
int dash_frame_put(struct dash_frame *f, int row, int col, const char *s, size_t n,
                   enum dash_attr a);
/* The frame as text: each row with trailing blanks removed, then a newline. */
void dash_frame_print(const struct dash_frame *f, FILE *out);
/* Row r as text (trailing blanks removed) into buf of n bytes. */
void dash_frame_row(const struct dash_frame *f, int r, char *buf, size_t n);

/* Draws the whole screen for the model (locked by the caller) and the UI
 * state; now_ns is the wall clock for uptimes and the header's time. */
void dash_render(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui,
                 int64_t now_ns);

/* "1h2m", "3m4s", "5s" for a duration in seconds (uptime column). */
void dash_format_uptime(char *buf, size_t n, int64_t secs);

#endif
