/*
 * The dashboard's renderers (dash_render.h): a header with the environment,
 * namespace and connection state, a title line for the view, the view's
 * body and a bottom line for hints, messages and the line being typed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dash_render.h"
#include "mc_common.h"
#include "run_util.h"
#include "mc_banned.h"

#define MIN_ROWS 5
#define MIN_COLS 30

void dash_frame_init(struct dash_frame *f, int rows, int cols)
{
    f->rows = rows > 0 ? rows : 1;
    f->cols = cols > 0 ? cols : 1;
    f->text = mc_malloc((size_t)f->rows * (size_t)f->cols);
    f->attr = mc_malloc((size_t)f->rows * (size_t)f->cols);
    dash_frame_clear(f);
}

void dash_frame_release(struct dash_frame *f)
{
    free(f->text);
    free(f->attr);
    f->text = NULL;
    f->attr = NULL;
}

void dash_frame_clear(struct dash_frame *f)
{
    memset(f->text, ' ', (size_t)f->rows * (size_t)f->cols);
    memset(f->attr, DASH_A_NORMAL, (size_t)f->rows * (size_t)f->cols);
}

int dash_frame_put(struct dash_frame *f, int row, int col, const char *s, size_t n,
                   enum dash_attr a)
{
    if (row < 0 || row >= f->rows || col < 0)
        return col;
    for (size_t i = 0; i < n && s[i] && col < f->cols; i++) {
        unsigned char c = (unsigned char)s[i];
        /* a tab goes to the next multiple of 8, as a terminal shows `micro status` */
        int upto = c == '\t' ? MC_MIN((col / 8 + 1) * 8, f->cols) : col + 1;
        for (; col < upto; col++) {
            size_t at = (size_t)row * (size_t)f->cols + (size_t)col;
            f->text[at] = c == '\t' ? ' ' : (c >= 32 && c < 127) ? (char)c : '?';
            f->attr[at] = (unsigned char)a;
        }
    }
    return col;
}

/* Paints the attribute over a whole row (headers, the selection). */
static void fill_row(struct dash_frame *f, int row, enum dash_attr a)
{
    if (row >= 0 && row < f->rows)
        memset(f->attr + (size_t)row * (size_t)f->cols, a, (size_t)f->cols);
}

static int put(struct dash_frame *f, int row, int col, const char *s, enum dash_attr a)
{
    return dash_frame_put(f, row, col, s, strlen(s), a);
}

void dash_frame_row(const struct dash_frame *f, int r, char *buf, size_t n)
{
    size_t len = (size_t)f->cols;
    const char *p = f->text + (size_t)r * (size_t)f->cols;

    while (len > 0 && p[len - 1] == ' ')
        len--;
    snprintf(buf, n, "%.*s", (int)len, p);
}

void dash_frame_print(const struct dash_frame *f, FILE *out)
{
    char *row = mc_malloc((size_t)f->cols + 1);

    for (int r = 0; r < f->rows; r++) {
        dash_frame_row(f, r, row, (size_t)f->cols + 1);
        fprintf(out, "%s\n", row);
    }
    free(row);
}

void dash_format_uptime(char *buf, size_t n, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(buf, n, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, n, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, n, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, n, "%llds", (long long)s);
}

/* ---- header and bottom line ------------------------------------------------------ */

static void header(struct dash_frame *f, const struct dash_model *m)
{
    char buf[1024];
    const char *state = m->conn == DASH_CONNECTED      ? "connected"
                        : m->conn == DASH_CONNECTING ? "connecting..."
                                                     : "DISCONNECTED";

    snprintf(buf, sizeof(buf), " micro | env %s | ns %s | %s | %s", m->env, m->ns,
             m->address, state);
    fill_row(f, 0, DASH_A_HEADER);
    int col = put(f, 0, 0, buf, m->conn == DASH_DISCONNECTED ? DASH_A_BAD : DASH_A_HEADER);
    if (m->conn == DASH_DISCONNECTED)
        snprintf(buf, sizeof(buf), ": %s (retrying)", m->conn_error);
    else
        snprintf(buf, sizeof(buf), " | watch %s | events %s", m->registry_watch ? "on" : "off",
                 m->runtime_events ? "on" : "off");
    put(f, 0, col, buf, m->conn == DASH_DISCONNECTED ? DASH_A_BAD : DASH_A_HEADER);
}

static const char *hints(enum dash_view v)
{
    switch (v) {
    case DASH_V_SERVICES:
        return "Enter open  l logs  / filter  : cmd  K kill  u update  ? help  q quit";
    case DASH_V_LOGS:
        return "f follow  t time  w wrap  / filter  n/N search  s save  K kill  q back";
    case DASH_V_DETAIL: return "j/k scroll  l logs  K kill  u update  : cmd  ? help  q back";
    case DASH_V_HELP: return "j/k scroll  q back";
    case DASH_V_OUTPUT: return "j/k scroll  : another command  q back";
    }
    return "";
}

static void bottom(struct dash_frame *f, const struct dash_ui *ui)
{
    int r = f->rows - 1;

    if (ui->input == DASH_IN_FILTER || ui->input == DASH_IN_COMMAND) {
        int col = put(f, r, 0, ui->input == DASH_IN_FILTER ? "/" : ":", DASH_A_TITLE);
        /* the end of a long line stays in view */
        size_t room = (size_t)(f->cols - col - 1);
        const char *s = ui->line_len > room ? ui->line + (ui->line_len - room) : ui->line;
        col = put(f, r, col, s, DASH_A_NORMAL);
        put(f, r, col, "_", DASH_A_SELECTED);
    } else if (ui->message[0])
        put(f, r, 0, ui->message, DASH_A_MATCH);
    else
        put(f, r, 0, hints(ui->view), DASH_A_DIM);
}

/* ---- services -------------------------------------------------------------------- */

struct cols {
    int name, version, status, uptime, rst, nodes, source, error;
};

static struct cols layout(int width, bool any_error)
{
    struct cols c = { 18, 9, 9, 8, 4, 6, 0, 0 };
    int fixed = c.name + c.version + c.status + c.uptime + c.rst + c.nodes;
    int rest = width - fixed;

    if (rest < 8) {
        c.name = MC_MAX(8, c.name + rest - 8);
        rest = 8;
    }
    c.source = any_error ? rest / 2 : rest;
    c.error = rest - c.source;
    return c;
}

static void cell(struct dash_frame *f, int row, int *col, const char *s, int w, enum dash_attr a)
{
    dash_frame_put(f, row, *col, s, (size_t)MC_MAX(w - 1, 0), a);
    *col += w;
}

static void service_row(struct dash_frame *f, int row, const struct dash_svc *s,
                        const struct cols *c, int64_t now_ns, bool sel)
{
    char up[32] = "-", rst[16] = "-", nodes[16] = "-";
    int64_t started;
    int col = 0;
    bool bad = strcmp(s->status, "error") == 0;
    enum dash_attr st = bad ? DASH_A_BAD
                        : strcmp(s->status, "running") == 0 ? DASH_A_GOOD
                                                            : DASH_A_NORMAL;

    if (strcmp(s->status, "running") == 0 && mc_run_parse_rfc3339(s->started, &started))
        dash_format_uptime(up, sizeof(up), (now_ns - started) / 1000000000LL);
    if (s->runtime)
        snprintf(rst, sizeof(rst), "%d", s->restarts);
    if (s->nodes >= 0)
        snprintf(nodes, sizeof(nodes), "%d", s->nodes);
    if (sel) {
        fill_row(f, row, DASH_A_SELECTED);
        st = DASH_A_SELECTED;
    }
    enum dash_attr n = sel ? DASH_A_SELECTED : DASH_A_NORMAL;
    cell(f, row, &col, s->name, c->name, n);
    cell(f, row, &col, s->version[0] ? s->version : "-", c->version, n);
    cell(f, row, &col, s->runtime ? s->status : "-", c->status, st);
    cell(f, row, &col, up, c->uptime, n);
    cell(f, row, &col, rst, c->rst, n);
    cell(f, row, &col, nodes, c->nodes, n);
    cell(f, row, &col, s->source[0] ? s->source : "-", c->source, n);
    cell(f, row, &col, s->error, c->error, sel ? n : DASH_A_BAD);
}

static void services(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui,
                     int64_t now_ns)
{
    size_t n = dash_ui_services(ui, m, NULL, 0), *idx = mc_calloc(n + 1, sizeof(*idx));
    int h = f->rows - 4, col = 0;
    bool any_error = false;
    size_t sel = n ? MC_MIN(ui->sel, n - 1) : 0, top;
    char title[512];

    dash_ui_services(ui, m, idx, n);
    for (size_t i = 0; i < n; i++)
        any_error |= m->svcs[idx[i]].error[0] != '\0';
    struct cols c = layout(f->cols, any_error);
    snprintf(title, sizeof(title), " Services (%zu%s%s%s)", n,
             ui->svc_filter[0] ? " matching /" : "", ui->svc_filter,
             ui->svc_filter[0] ? "/" : "");
    put(f, 1, 0, title, DASH_A_TITLE);
    fill_row(f, 1, DASH_A_TITLE);
    cell(f, 2, &col, "NAME", c.name, DASH_A_DIM);
    cell(f, 2, &col, "VERSION", c.version, DASH_A_DIM);
    cell(f, 2, &col, "STATUS", c.status, DASH_A_DIM);
    cell(f, 2, &col, "UPTIME", c.uptime, DASH_A_DIM);
    cell(f, 2, &col, "RST", c.rst, DASH_A_DIM);
    cell(f, 2, &col, "NODES", c.nodes, DASH_A_DIM);
    cell(f, 2, &col, "SOURCE", c.source, DASH_A_DIM);
    cell(f, 2, &col, "ERROR", c.error, DASH_A_DIM);
    top = h > 0 && sel >= (size_t)h ? sel - (size_t)h + 1 : 0;
    for (int r = 0; r < h && top + (size_t)r < n; r++)
        service_row(f, 3 + r, &m->svcs[idx[top + (size_t)r]], &c, now_ns, top + (size_t)r == sel);
    if (n == 0)
        put(f, 3, 1, m->conn == DASH_CONNECTED ? "no services" : "waiting for the server...",
            DASH_A_DIM);
    free(idx);
}

/* ---- logs ------------------------------------------------------------------------ */

/* The text one log line shows: [time ]readable message. */
static void log_text(const struct dash_ui *ui, const struct dash_line *ln, struct mc_buf *out)
{
    mc_buf_reset(out);
    if (ui->timestamps) {
        struct tm tm;
        time_t t = (time_t)ln->ts;
        char ts[32] = "--:--:-- ";
        if (ln->ts > 0 && localtime_r(&t, &tm))
            strftime(ts, sizeof(ts), "%H:%M:%S ", &tm);
        mc_buf_append_str(out, ts);
    }
    dash_log_readable(ln->text, ln->len, out);
}

static int rows_of(const struct dash_ui *ui, size_t len, int cols)
{
    return ui->wrap && len > (size_t)cols ? (int)((len + (size_t)cols - 1) / (size_t)cols) : 1;
}

/* Draws line text at row r (up to nrows rows); returns rows used. */
static int draw_line(struct dash_frame *f, int r, int last, const struct mc_buf *t, bool mark,
                     bool match)
{
    int used = 0, cols = f->cols;
    size_t off = 0, len = t->len;
    enum dash_attr a = mark ? DASH_A_SELECTED : match ? DASH_A_MATCH : DASH_A_NORMAL;

    do {
        if (r + used > last)
            break;
        dash_frame_put(f, r + used, 0, t->data ? t->data + off : "", len - off, a);
        if (mark)
            fill_row(f, r + used, a);
        off += (size_t)cols;
        used++;
    } while (off < len && len > (size_t)cols && used < 1000);
    return used;
}

static void log_title(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui)
{
    char t[1024];
    const char *state = m->log_live ? "live" : m->log_error[0] ? m->log_error : "connecting";

    snprintf(t, sizeof(t), " Logs: %s (%s) | %s%s%s | %zu lines, %llu dropped%s%s%s",
             m->log_name, state, ui->follow ? "follow" : "paused", ui->timestamps ? " time" : "",
             ui->wrap ? " wrap" : "", m->log.len, (unsigned long long)m->log.dropped,
             ui->log_pat[0] ? (ui->log_hide ? " | filter /" : " | search /") : "",
             ui->log_pat, ui->log_pat[0] ? "/" : "");
    fill_row(f, 1, DASH_A_TITLE);
    put(f, 1, 0, t, m->log.dropped ? DASH_A_BAD : DASH_A_TITLE);
}

/* Following: the last lines that fit, drawn from the bottom up. */
static void logs_tail(struct dash_frame *f, const struct dash_log *l, const struct dash_ui *ui,
                      struct mc_buf *t)
{
    int first = 2, last = f->rows - 2, r = last + 1;
    size_t i = l->len;

    while (i > 0 && r > first) {
        const struct dash_line *ln = dash_log_at(l, --i);
        if (!dash_ui_log_visible(ui, ln))
            continue;
        log_text(ui, ln, t);
        int need = rows_of(ui, t->len, f->cols), start = r - need;
        if (start < first)
            start = first; /* a wrapped line cut at the top */
        draw_line(f, start, r - 1, t, false, !ui->log_hide && ui->log_pat[0] &&
                                                 dash_match(ln->text, ln->len, ui->log_pat));
        r = start;
    }
}

static void logs_from(struct dash_frame *f, const struct dash_log *l, const struct dash_ui *ui,
                      struct mc_buf *t)
{
    int r = 2, last = f->rows - 2;
    size_t i = ui->log_top > l->dropped ? (size_t)(ui->log_top - l->dropped) : 0;

    for (; i < l->len && r <= last; i++) {
        const struct dash_line *ln = dash_log_at(l, i);
        if (!dash_ui_log_visible(ui, ln))
            continue;
        log_text(ui, ln, t);
        bool mark = ui->log_mark >= 0 && (uint64_t)ui->log_mark == l->dropped + i;
        r += draw_line(f, r, last, t, mark, !ui->log_hide && ui->log_pat[0] &&
                                               dash_match(ln->text, ln->len, ui->log_pat));
    }
}

static void logs(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui)
{
    struct mc_buf t;

    mc_buf_init(&t, DASH_LOG_LINE_MAX * 4);
    log_title(f, m, ui);
    if (m->log.len == 0)
        put(f, 2, 1, m->log_error[0] ? m->log_error : "no lines yet", DASH_A_DIM);
    else if (ui->follow)
        logs_tail(f, &m->log, ui, &t);
    else
        logs_from(f, &m->log, ui, &t);
    mc_buf_release(&t);
}

/* ---- detail, help, output: text lines with a scroll offset -------------------------- */

struct lines {
    struct dash_frame *f;
    int row, last;
    size_t skip;  /* lines still to skip (the scroll offset) */
};

static void line(struct lines *ls, enum dash_attr a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(struct lines *ls, enum dash_attr a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (ls->skip > 0) {
        ls->skip--;
        return;
    }
    if (ls->row > ls->last)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(ls->f, ls->row++, 0, buf, a);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return v ? v : "";
}

static void schema(struct lines *ls, const cJSON *v, int depth)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, "values"))
    {
        line(ls, DASH_A_NORMAL, "%*s%s %s", 6 + depth * 2, "", jstr(it, "name"), jstr(it, "type"));
        if (depth < 4)
            schema(ls, it, depth + 1);
    }
}

static void detail_version(struct lines *ls, const cJSON *s)
{
    const cJSON *it, *nodes = cJSON_GetObjectItemCaseSensitive(s, "nodes");
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(s, "endpoints");

    line(ls, DASH_A_TITLE, "%s  version %s", jstr(s, "name"), jstr(s, "version"));
    line(ls, DASH_A_DIM, "  Nodes (%d)", cJSON_GetArraySize(nodes));
    cJSON_ArrayForEach(it, nodes) line(ls, DASH_A_NORMAL, "    %s  %s", jstr(it, "id"),
                                       jstr(it, "address"));
    line(ls, DASH_A_DIM, "  Endpoints (%d)", cJSON_GetArraySize(eps));
    cJSON_ArrayForEach(it, eps)
    {
        const cJSON *rq = cJSON_GetObjectItemCaseSensitive(it, "request");
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(it, "response");
        line(ls, DASH_A_GOOD, "    %s(%s) returns %s", jstr(it, "name"), jstr(rq, "type"),
             jstr(rs, "type"));
        line(ls, DASH_A_DIM, "      request %s", jstr(rq, "type"));
        schema(ls, rq, 1);
        line(ls, DASH_A_DIM, "      response %s", jstr(rs, "type"));
        schema(ls, rs, 1);
    }
}

static void detail(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui,
                   int64_t now_ns)
{
    struct lines ls = { f, 2, f->rows - 2, ui->detail_top };
    long k = dash_model_find(m, ui->target);
    const cJSON *it;
    char t[512];

    snprintf(t, sizeof(t), " Service: %s", ui->target);
    fill_row(f, 1, DASH_A_TITLE);
    put(f, 1, 0, t, DASH_A_TITLE);
    if (k >= 0 && m->svcs[k].runtime) {
        const struct dash_svc *s = &m->svcs[k];
        char up[32] = "-";
        int64_t st;
        if (mc_run_parse_rfc3339(s->started, &st))
            dash_format_uptime(up, sizeof(up), (now_ns - st) / 1000000000LL);
        line(&ls, DASH_A_DIM, "Runtime: %s, up %s, %d restarts, source %s%s%s", s->status, up,
             s->restarts, s->source, s->error[0] ? ", error: " : "", s->error);
    }
    if (strcmp(m->detail_name, ui->target) != 0 || (!m->detail && !m->detail_error[0])) {
        line(&ls, DASH_A_DIM, "loading...");
        return;
    }
    if (!m->detail) {
        line(&ls, DASH_A_BAD, "not in the registry: %s", m->detail_error);
        return;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m->detail, "services"))
        detail_version(&ls, it);
}

static void help(struct dash_frame *f, const struct dash_ui *ui)
{
    struct lines ls = { f, 2, f->rows - 2, ui->help_top };

    fill_row(f, 1, DASH_A_TITLE);
    put(f, 1, 0, " Keys", DASH_A_TITLE);
    for (const struct dash_key *k = dash_keys; k->key; k++)
        if (k->label)
            line(&ls, DASH_A_NORMAL, "  %-12s %s", k->label, k->help);
}

static void output(struct dash_frame *f, const struct dash_ui *ui)
{
    struct lines ls = { f, 2, f->rows - 2, ui->out_top };
    const char *p = ui->output.data ? ui->output.data : "";
    char t[DASH_LINE_MAX + 16];

    snprintf(t, sizeof(t), " :%s", ui->output_title);
    fill_row(f, 1, DASH_A_TITLE);
    put(f, 1, 0, t, DASH_A_TITLE);
    while (*p) {
        size_t n = strcspn(p, "\n");
        line(&ls, DASH_A_NORMAL, "%.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

void dash_render(struct dash_frame *f, const struct dash_model *m, const struct dash_ui *ui,
                 int64_t now_ns)
{
    char small[64];

    dash_frame_clear(f);
    if (f->rows < MIN_ROWS || f->cols < MIN_COLS) {
        snprintf(small, sizeof(small), "terminal too small (%dx%d)", f->cols, f->rows);
        put(f, 0, 0, small, DASH_A_BAD);
        return;
    }
    header(f, m);
    switch (ui->view) {
    case DASH_V_SERVICES: services(f, m, ui, now_ns); break;
    case DASH_V_LOGS: logs(f, m, ui); break;
    case DASH_V_DETAIL: detail(f, m, ui, now_ns); break;
    case DASH_V_HELP: help(f, ui); break;
    case DASH_V_OUTPUT: output(f, ui); break;
    }
    bottom(f, ui);
}
