/*
 * Scripted use: a line reader with a length cap, a shell-like word splitter
 * (the syntax is described in script.h) and the loop that hands each command
 * to the dispatcher, stopping at the first failure unless --keep-going. The
 * splitter and the loop are pure (commands go to a run function), so the unit
 * tests check both without a server.
 */
#include "script.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_common.h"

/* ---- splitting ----------------------------------------------------------------- */

struct splitter {
    struct mc_script_line *l;
    int cap;          /* entries allocated in l->words */
    int words;        /* words so far (NULLs not counted) */
    int cmd_words;    /* words in the command being built */
    size_t o;         /* next free byte of l->text */
    bool word_open;
};

static int push(struct splitter *s, char *word)
{
    if (word && s->words >= MC_SCRIPT_WORDS_MAX)
        return MC_ETOOBIG;
    if (s->l->nwords == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->l->words = mc_realloc(s->l->words, (size_t)s->cap * sizeof(*s->l->words));
    }
    s->l->words[s->l->nwords++] = word;
    if (word) {
        s->words++;
        s->cmd_words++;
    }
    return 0;
}

static void end_word(struct splitter *s)
{
    if (s->word_open)
        s->l->text[s->o++] = '\0';
    s->word_open = false;
}

static void end_command(struct splitter *s)
{
    end_word(s);
    if (s->cmd_words == 0)
        return;
    push(s, NULL); /* a NULL never hits the word limit */
    s->l->ncmds++;
    s->cmd_words = 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Copies the quoted part starting at line[*i] (a quote) into the word. */
static int quoted(struct splitter *s, const char *line, size_t len, size_t *i, char *err,
                  size_t errlen)
{
    char q = line[*i];
    size_t j = *i + 1;
    for (; j < len && line[j] != q; j++) {
        if (q == '"' && line[j] == '\\' && j + 1 < len && (line[j + 1] == '"' || line[j + 1] == '\\'))
            j++;
        s->l->text[s->o++] = line[j];
    }
    if (j >= len) {
        snprintf(err, errlen, "unterminated %s quote", q == '"' ? "double" : "single");
        return MC_EINVAL;
    }
    *i = j + 1;
    return 0;
}

static int split_loop(struct splitter *s, const char *line, size_t len, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len) {
        char c = line[i];
        if (c == '\0') {
            snprintf(err, errlen, "NUL byte in line");
            return MC_EINVAL;
        }
        if (is_blank(c) || c == ';') {
            if (c == ';')
                end_command(s);
            else
                end_word(s);
            i++;
            continue;
        }
        if (!s->word_open) {
            if (c == '#')
                break;
            if (push(s, s->l->text + s->o) != 0) {
                snprintf(err, errlen, "more than %d words", MC_SCRIPT_WORDS_MAX);
                return MC_ETOOBIG;
            }
            s->word_open = true;
        }
        if (c == '\'' || c == '"') {
            int rc = quoted(s, line, len, &i, err, errlen);
            if (rc != 0)
                return rc;
        } else if (c == '\\') {
            if (i + 1 >= len) {
                snprintf(err, errlen, "trailing backslash");
                return MC_EINVAL;
            }
            s->l->text[s->o++] = line[i + 1];
            i += 2;
        } else {
            s->l->text[s->o++] = c;
            i++;
        }
    }
    end_command(s);
    return 0;
}

int mc_script_split(struct mc_script_line *l, const char *line, size_t len, char *err,
                    size_t errlen)
{
    memset(l, 0, sizeof(*l));
    if (errlen)
        err[0] = '\0';
    if (len > MC_SCRIPT_LINE_MAX) {
        snprintf(err, errlen, "line longer than %d bytes", MC_SCRIPT_LINE_MAX);
        return MC_ETOOBIG;
    }
    /* every output byte comes from an input byte, plus one NUL per word */
    l->text = mc_malloc(len * 2 + 1);
    struct splitter s = {.l = l};
    int rc = split_loop(&s, line, len, err, errlen);
    if (rc != 0) {
        mc_script_line_release(l);
        memset(l, 0, sizeof(*l));
    }
    return rc;
}

void mc_script_line_release(struct mc_script_line *l)
{
    free(l->words);
    free(l->text);
    l->words = NULL;
    l->text = NULL;
    l->nwords = l->ncmds = 0;
}

/* ---- running ------------------------------------------------------------------- */

struct script_run {
    mc_script_run_fn *run;
    void *ud;
    const char *name;
    bool keep_going;
    int result;  /* the exit code so far */
    bool stop;
};

static void failed(struct script_run *r, int rc)
{
    r->result = rc;
    if (!r->keep_going)
        r->stop = true;
}

/* `exit [N]`: stops with N, or with the result so far. */
static void run_exit(struct script_run *r, int argc, char **argv, unsigned long lineno)
{
    r->stop = true;
    if (argc < 2)
        return;
    int64_t n;
    if (argc > 2 || mc_parse_i64(argv[1], &n) != 0 || n < 0 || n > 255) {
        fprintf(stderr, "%s: line %lu: exit: expected one number 0-255\n", r->name, lineno);
        r->result = 1;
        return;
    }
    r->result = (int)n;
}

static void run_command(struct script_run *r, int argc, char **argv, unsigned long lineno)
{
    if (argc > 0 && strcmp(argv[0], "micro") == 0) {
        argc--;
        argv++;
    }
    if (argc == 0)
        return;
    if (strcmp(argv[0], "exit") == 0) {
        run_exit(r, argc, argv, lineno);
        return;
    }
    int rc = r->run(r->ud, argc, argv);
    if (rc != 0)
        failed(r, rc);
}

static void run_line(struct script_run *r, const char *line, size_t len, unsigned long lineno)
{
    struct mc_script_line l;
    char err[256];
    if (mc_script_split(&l, line, len, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: line %lu: %s\n", r->name, lineno, err);
        fflush(stderr);
        failed(r, 1);
        return;
    }
    int start = 0;
    for (int i = 0; i < l.nwords && !r->stop; i++) {
        if (l.words[i])
            continue;
        run_command(r, i - start, l.words + start, lineno);
        start = i + 1;
    }
    mc_script_line_release(&l);
}

/* Reads one line (without its newline) into *buf, at most MC_SCRIPT_LINE_MAX
 * bytes kept. Returns 1 for a line, 0 at EOF, -1 when the line was too long
 * (the rest of it is skipped). */
static int read_line(FILE *in, char **buf, size_t *cap, size_t *len)
{
    int c;
    bool any = false, too_long = false;
    *len = 0;
    while ((c = getc(in)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (*len == MC_SCRIPT_LINE_MAX) {
            too_long = true;
            continue;
        }
        if (*len + 1 >= *cap) {
            *cap = *cap ? MC_MIN(*cap * 2, (size_t)MC_SCRIPT_LINE_MAX + 1) : 256;
            *buf = mc_realloc(*buf, *cap);
        }
        (*buf)[(*len)++] = (char)c;
    }
    if (!any)
        return 0;
    return too_long ? -1 : 1;
}

int mc_script_run_file(FILE *in, const char *name, bool keep_going, mc_script_run_fn *run,
                       void *ud)
{
    struct script_run r = {.run = run, .ud = ud, .name = name, .keep_going = keep_going};
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (unsigned long lineno = 1; !r.stop; lineno++) {
        int got = read_line(in, &buf, &cap, &len);
        if (got == 0)
            break;
        if (got < 0) {
            fprintf(stderr, "%s: line %lu: line longer than %d bytes\n", name, lineno,
                    MC_SCRIPT_LINE_MAX);
            failed(&r, 1);
            continue;
        }
        run_line(&r, buf ? buf : "", len, lineno);
    }
    if (ferror(in) && !r.stop) {
        fprintf(stderr, "%s: read error\n", name);
        r.result = 1;
    }
    free(buf);
    return r.result;
}

int mc_script_run_string(const char *text, bool keep_going, mc_script_run_fn *run, void *ud)
{
    struct script_run r = {.run = run, .ud = ud, .name = "-c", .keep_going = keep_going};
    const char *p = text;
    for (unsigned long lineno = 1; !r.stop; lineno++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        run_line(&r, p, len, lineno);
        if (!nl)
            break;
        p = nl + 1;
    }
    return r.result;
}
