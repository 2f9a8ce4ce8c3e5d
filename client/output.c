/*
 * Output formatting for the commands (output.h): JSON re-indented exactly as
 * Go's json.Indent(dst, src, "", "\t") does it, tables aligned exactly as
 * Go's text/tabwriter aligns them, and the final check that stdout took
 * everything. Byte-for-byte equality with upstream's output is the point, so
 * the rules below follow Go's documented behaviour, including its corners
 * (trailing whitespace kept after a JSON document, column blocks that end
 * at the first line without that column).
 */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_banned.h"

/* --- JSON --------------------------------------------------------------- */

/* Go's encoding/json scanner refuses documents nested deeper than this. */
#define JSON_MAX_DEPTH 10000

/* One pass over a document: with out == NULL it only validates, so that
 * nothing is written for invalid input; then it runs again to write. */
struct jfmt {
    const char *s;
    size_t len, i;
    FILE *out;
    int depth;
    char stack[JSON_MAX_DEPTH];
};

static void put(struct jfmt *j, const char *p, size_t n)
{
    if (j->out)
        fwrite(p, 1, n, j->out);
}

static void newline(struct jfmt *j)
{
    if (!j->out)
        return;
    fputc('\n', j->out);
    for (int d = 0; d < j->depth; d++)
        fputc('\t', j->out);
}

static bool json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct jfmt *j)
{
    while (j->i < j->len && json_space(j->s[j->i]))
        j->i++;
}

static int peek(const struct jfmt *j)
{
    return j->i < j->len ? (unsigned char)j->s[j->i] : -1;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* A string token, copied as it is (Go keeps escapes and bytes untouched). */
static bool scan_string(struct jfmt *j)
{
    size_t start = j->i++;

    while (j->i < j->len) {
        unsigned char c = (unsigned char)j->s[j->i++];
        if (c == '"') {
            put(j, j->s + start, j->i - start);
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\')
            continue;
        if (j->i >= j->len)
            return false;
        c = (unsigned char)j->s[j->i++];
        if (c == 'u') {
            for (int k = 0; k < 4; k++, j->i++)
                if (j->i >= j->len || mc_hex_value(j->s[j->i]) < 0)
                    return false;
        } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
            return false;
        }
    }
    return false;
}

static void scan_digits(struct jfmt *j)
{
    while (is_digit(peek(j)))
        j->i++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? copied verbatim (int64s stay exact). */
static bool scan_number(struct jfmt *j)
{
    size_t start = j->i;

    if (peek(j) == '-')
        j->i++;
    if (peek(j) == '0')
        j->i++;
    else if (is_digit(peek(j)))
        scan_digits(j);
    else
        return false;
    if (peek(j) == '.') {
        j->i++;
        if (!is_digit(peek(j)))
            return false;
        scan_digits(j);
    }
    if (peek(j) == 'e' || peek(j) == 'E') {
        j->i++;
        if (peek(j) == '+' || peek(j) == '-')
            j->i++;
        if (!is_digit(peek(j)))
            return false;
        scan_digits(j);
    }
    put(j, j->s + start, j->i - start);
    return true;
}

static bool scan_literal(struct jfmt *j, const char *word)
{
    size_t n = strlen(word);

    if (j->len - j->i < n || memcmp(j->s + j->i, word, n) != 0)
        return false;
    put(j, word, n);
    j->i += n;
    return true;
}

static bool scan_scalar(struct jfmt *j)
{
    switch (peek(j)) {
    case '"':
        return scan_string(j);
    case 't':
        return scan_literal(j, "true");
    case 'f':
        return scan_literal(j, "false");
    case 'n':
        return scan_literal(j, "null");
    default:
        return scan_number(j);
    }
}

enum jstate { J_VALUE, J_KEY, J_AFTER, J_DONE };

/* '{' or '[': "{}" and "[]" stay on one line; else the members go below. */
static enum jstate open_container(struct jfmt *j, char open)
{
    char close = open == '{' ? '}' : ']';

    /* Go counts empty containers towards its depth limit too. */
    if (j->depth >= JSON_MAX_DEPTH)
        return J_DONE; /* depth != 0 at the end: invalid */
    j->i++;
    put(j, &open, 1);
    skip_space(j);
    if (peek(j) == close) {
        j->i++;
        put(j, &close, 1);
        return J_AFTER;
    }
    j->stack[j->depth++] = open;
    newline(j);
    return open == '{' ? J_KEY : J_VALUE;
}

static enum jstate on_value(struct jfmt *j, bool *ok)
{
    int c = peek(j);

    if (c == '{' || c == '[')
        return open_container(j, (char)c);
    *ok = scan_scalar(j);
    return J_AFTER;
}

static enum jstate on_key(struct jfmt *j, bool *ok)
{
    if (peek(j) != '"' || !scan_string(j)) {
        *ok = false;
        return J_DONE;
    }
    skip_space(j);
    if (peek(j) != ':') {
        *ok = false;
        return J_DONE;
    }
    j->i++;
    put(j, ": ", 2);
    return J_VALUE;
}

static enum jstate on_after(struct jfmt *j, bool *ok)
{
    char top, c;

    if (j->depth == 0)
        return J_DONE;
    top = j->stack[j->depth - 1];
    c = (char)peek(j);
    j->i++;
    if (c == ',') {
        put(j, ",", 1);
        newline(j);
        return top == '{' ? J_KEY : J_VALUE;
    }
    if ((top == '{' && c == '}') || (top == '[' && c == ']')) {
        j->depth--;
        newline(j);
        put(j, &c, 1);
        return J_AFTER;
    }
    *ok = false;
    return J_DONE;
}

/* Runs the state machine over the whole document; true when it is valid. */
static bool json_pass(struct jfmt *j)
{
    enum jstate st = J_VALUE;
    bool ok = true;

    j->i = 0;
    j->depth = 0;
    skip_space(j); /* Go drops leading whitespace */
    while (ok && st != J_DONE) {
        if (st != J_AFTER || j->depth > 0)
            skip_space(j);
        if (j->i >= j->len && !(st == J_AFTER && j->depth == 0))
            return false;
        switch (st) {
        case J_VALUE: st = on_value(j, &ok); break;
        case J_KEY: st = on_key(j, &ok); break;
        case J_AFTER: st = on_after(j, &ok); break;
        case J_DONE: break;
        }
    }
    if (!ok || j->depth != 0)
        return false;
    /* Trailing whitespace is kept, as Go's Indent keeps it; anything else is an error. */
    for (size_t k = j->i; k < j->len; k++)
        if (!json_space(j->s[k]))
            return false;
    put(j, j->s + j->i, j->len - j->i);
    return true;
}

int mc_out_json_indent(FILE *out, const char *json, size_t len)
{
    struct jfmt *j = mc_calloc(1, sizeof(*j));
    int rc = -1;

    j->s = json;
    j->len = len;
    if (json_pass(j)) {
        j->out = out;
        json_pass(j);
        fputc('\n', out);
        rc = 0;
    }
    free(j);
    return rc;
}

void mc_out_json(FILE *out, const char *json, size_t len)
{
    if (mc_out_json_indent(out, json, len) != 0) {
        fwrite(json, 1, len, out);
        fputc('\n', out);
    }
}

/* --- tables (Go's text/tabwriter) ---------------------------------------- */

/* Text buffered by one table before it is aligned and written. */
#define MC_TABLE_MAX (64u * 1024u * 1024u)
/* Go's tabwriter counts a tab as this wide; every upstream table uses 8. */
#define TAB_WIDTH 8

struct mc_table {
    struct mc_buf text;
    int minwidth, padding;
    char padchar;
    bool align_right;
};

struct mc_table *mc_table_new(int minwidth, int padding, char padchar, bool align_right)
{
    struct mc_table *t = mc_calloc(1, sizeof(*t));

    mc_buf_init(&t->text, MC_TABLE_MAX);
    t->minwidth = minwidth < 0 ? 0 : minwidth;
    t->padding = padding < 0 ? 0 : padding;
    t->padchar = padchar;
    /* Go: "tab padding enforces left-alignment" */
    t->align_right = align_right && padchar != '\t';
    return t;
}

void mc_table_free(struct mc_table *t)
{
    if (!t)
        return;
    mc_buf_release(&t->text);
    free(t);
}

int mc_table_write(struct mc_table *t, const char *text)
{
    return mc_buf_append_str(&t->text, text);
}

int mc_table_printf(struct mc_table *t, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = mc_buf_vappendf(&t->text, fmt, ap);
    va_end(ap);
    return rc;
}

struct tcell {
    size_t off, size;
    int width; /* in runes, as Go counts it */
};

struct tline {
    size_t first, n; /* cells[first .. first+n) */
};

struct tw {
    const struct mc_table *t;
    const char *buf;
    struct tcell *cells;
    struct tline *lines;
    size_t nlines;
    int *widths; /* the widths of the columns to the left, a stack */
    size_t nwidths;
    FILE *out;
};

static int rune_count(const char *p, size_t n)
{
    int w = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            w++;
    return w;
}

static void add_cell(struct tw *w, size_t *ncells, size_t off, size_t end)
{
    struct tcell *c = &w->cells[(*ncells)++];

    c->off = off;
    c->size = end - off;
    c->width = rune_count(w->buf + off, c->size);
    w->lines[w->nlines - 1].n++;
}

/*
 * Splits the text into lines of cells as Go's Writer does: a cell ends at
 * '\t' or '\n'; the text after the last newline is a cell only when it is
 * not empty (Go terminates the pending cell at Flush only then).
 */
static void split_cells(struct tw *w, size_t len)
{
    size_t ncells = 0, start = 0;

    w->nlines = 1;
    w->lines[0] = (struct tline){ 0, 0 };
    for (size_t i = 0; i < len; i++) {
        if (w->buf[i] != '\t' && w->buf[i] != '\n')
            continue;
        add_cell(w, &ncells, start, i);
        start = i + 1;
        if (w->buf[i] == '\n')
            w->lines[w->nlines++] = (struct tline){ ncells, 0 };
    }
    if (start < len)
        add_cell(w, &ncells, start, len);
}

static void write_n(FILE *out, char c, int n)
{
    for (int i = 0; i < n; i++)
        fputc(c, out);
}

static void write_padding(struct tw *w, int textw, int cellw)
{
    if (w->t->padchar == '\t') {
        /* the cell ends at the next tab stop past cellw */
        cellw = (cellw + TAB_WIDTH - 1) / TAB_WIDTH * TAB_WIDTH;
        write_n(w->out, '\t', (cellw - textw + TAB_WIDTH - 1) / TAB_WIDTH);
        return;
    }
    write_n(w->out, w->t->padchar, cellw - textw);
}

static void write_lines(struct tw *w, size_t l0, size_t l1)
{
    for (size_t i = l0; i < l1; i++) {
        const struct tline *ln = &w->lines[i];
        for (size_t j = 0; j < ln->n; j++) {
            const struct tcell *c = &w->cells[ln->first + j];
            bool padded = j < w->nwidths;
            if (padded && (c->size == 0 || w->t->align_right))
                write_padding(w, c->width, w->widths[j]);
            fwrite(w->buf + c->off, 1, c->size, w->out);
            if (padded && c->size > 0 && !w->t->align_right)
                write_padding(w, c->width, w->widths[j]);
        }
        if (i + 1 < w->nlines)
            fputc('\n', w->out);
    }
}

/* Whether line l has a cell in column col that is not its last cell. */
static bool has_column(const struct tw *w, size_t l, size_t col)
{
    return col + 1 < w->lines[l].n;
}

/*
 * Go's tabwriter format(): a column block is a run of consecutive lines that
 * have a cell in this column; its width is the widest cell plus padding (at
 * least minwidth). Columns further right are formatted inside each block,
 * with the widths of the columns to their left known.
 */
static void format(struct tw *w, size_t l0, size_t l1)
{
    size_t col = w->nwidths;

    for (size_t l = l0; l < l1; l++) {
        int width = w->t->minwidth;
        if (!has_column(w, l, col))
            continue;
        write_lines(w, l0, l);
        l0 = l;
        for (; l < l1 && has_column(w, l, col); l++) {
            int cw = w->cells[w->lines[l].first + col].width + w->t->padding;
            if (cw > width)
                width = cw;
        }
        w->widths[w->nwidths++] = width;
        format(w, l0, l);
        w->nwidths--;
        l0 = l;
    }
    write_lines(w, l0, l1);
}

int mc_table_flush(struct mc_table *t, FILE *out)
{
    size_t len = t->text.len, maxcells = 1, maxlines = 1;
    struct tw w = { .t = t, .buf = mc_buf_cstr(&t->text), .out = out };
    int rc;

    for (size_t i = 0; i < len; i++) {
        maxcells += w.buf[i] == '\t' || w.buf[i] == '\n';
        maxlines += w.buf[i] == '\n';
    }
    w.cells = mc_calloc(maxcells, sizeof(*w.cells));
    w.lines = mc_calloc(maxlines, sizeof(*w.lines));
    w.widths = mc_calloc(maxcells, sizeof(*w.widths));
    split_cells(&w, len);
    format(&w, 0, w.nlines);
    rc = ferror(out) ? -1 : 0;
    free(w.cells);
    free(w.lines);
    free(w.widths);
    mc_table_free(t);
    return rc;
}

/* --- the rest ------------------------------------------------------------ */

int mc_out_finish(FILE *out, FILE *err)
{
    int e;

    errno = 0;
    if (fflush(out) == 0 && !ferror(out))
        return 0;
    e = errno ? errno : EIO;
    fprintf(err, "write error: %s\n", strerror(e));
    return 1;
}

void mc_out_capitalized(FILE *out, const char *text)
{
    if (!text || !*text)
        return;
    /* Go upper-cases the first rune; only ASCII letters change here (every
     * message micro's services send starts with one or with no letter). */
    fputc(text[0] >= 'a' && text[0] <= 'z' ? text[0] - 'a' + 'A' : text[0], out);
    fputs(text + 1, out);
}
