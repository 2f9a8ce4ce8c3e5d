/*
 * The command engine: finds a command in the table, parses its flags and
 * arguments (the rules are in cmd.h) and prints help in urfave/cli v2's
 * layout, byte for byte as upstream's `micro <cmd> --help`. Parse errors use
 * Go's flag package texts, since that is what upstream users see.
 *
 * Help layout notes: urfave renders its templates through a text/tabwriter
 * (minwidth 1, padding 2, space padding), so in a COMMANDS or OPTIONS block
 * the second column starts two spaces after the widest first cell; each
 * block is aligned on its own because a line without a tab ends a tabwriter
 * column block. The root (a path without a space, "micro") uses the App
 * template: VERSION and GLOBAL OPTIONS, and no trailing "   " line.
 */
#include "cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_common.h"

#define MC_ARGS_MAX 4096 /* positional words one command accepts */
#define HELP_CELL_MAX 512 /* first cell of a help line ("--database value, -d value") */

static const char help_usage[] = "show help";
static const char help_cmd_names[] = "help, h";
static const char help_cmd_usage[] = "Shows a list of commands or help for one command";

/* ---- lookup ------------------------------------------------------------------- */

static bool names_match(const struct mc_cmd *c, const char *word)
{
    if (strcmp(c->name, word) == 0)
        return true;
    if (!c->aliases)
        return false;
    size_t wlen = strlen(word);
    for (const char *p = c->aliases; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == wlen && strncmp(p, word, len) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static const struct mc_cmd *find_child(const struct mc_cmd *parent, const char *word)
{
    if (!parent->subs)
        return NULL;
    for (const struct mc_cmd *const *s = parent->subs; *s; s++)
        if (names_match(*s, word))
            return *s;
    return NULL;
}

const struct mc_cmd *mc_cmd_find(const struct mc_cmd *root, int argc, char **argv,
                                 int *consumed)
{
    const struct mc_cmd *cur = root;
    int i = 0;
    while (i < argc && !cur->raw_args) {
        const struct mc_cmd *child = find_child(cur, argv[i]);
        if (!child)
            break;
        cur = child;
        i++;
    }
    *consumed = i;
    return i == 0 ? NULL : cur;
}

/* ---- parsing ------------------------------------------------------------------ */

static int flag_count(const struct mc_cmd *cmd)
{
    int n = 0;
    if (cmd->flags)
        while (cmd->flags[n].name)
            n++;
    return n;
}

static int flag_index(const struct mc_cmd *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->flags && cmd->flags[i].name; i++) {
        const struct mc_flag *f = &cmd->flags[i];
        if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
            return i;
        if (f->alias && strlen(f->alias) == len && strncmp(f->alias, name, len) == 0)
            return i;
    }
    return -1;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < MC_ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return MC_EINVAL;
}

/* "-5", "-0.25": an argument, not a flag (e.g. a negative config value). */
static bool looks_negative_number(const char *s)
{
    if (s[0] != '-' || !(s[1] >= '0' && s[1] <= '9'))
        return false;
    bool dot = false;
    for (const char *p = s + 1; *p; p++) {
        if (*p == '.' && !dot)
            dot = true;
        else if (!(*p >= '0' && *p <= '9'))
            return false;
    }
    return true;
}

static void add_value(struct mc_flag_value *v, enum mc_flag_type type, const char *value)
{
    if (type != MC_FLAG_STRINGS) {
        if (!v->values)
            v->values = mc_calloc(1, sizeof(*v->values));
        v->values[0] = value;
        v->count = 1;
    } else {
        v->values = mc_realloc(v->values, ((size_t)v->count + 1) * sizeof(*v->values));
        v->values[v->count++] = value;
    }
    v->set = true;
}

static int check_value(const struct mc_flag *f, const char *value, char *err, size_t errlen)
{
    bool b;
    int64_t n;
    if (f->type == MC_FLAG_BOOL && parse_bool(value, &b) != 0) {
        snprintf(err, errlen, "invalid boolean value \"%s\" for -%s: parse error", value, f->name);
        return -1;
    }
    if (f->type == MC_FLAG_INT && mc_parse_i64(value, &n) != 0) {
        snprintf(err, errlen, "invalid value \"%s\" for flag -%s: parse error", value, f->name);
        return -1;
    }
    return 0;
}

/* One "-x", "--x", "-x=v" or "--x v" token at argv[*i]; may consume argv[*i + 1].
 * Returns 0, 1 for help, -1 on error. */
static int parse_flag(struct mc_args *a, int argc, char **argv, int *i, char *err,
                      size_t errlen)
{
    const char *tok = argv[*i];
    const char *name = tok + (tok[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    if (len == 0 || name[0] == '-') {
        snprintf(err, errlen, "bad flag syntax: %s", tok);
        return -1;
    }
    int idx = flag_index(a->cmd, name, len);
    if (idx < 0) {
        if ((len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h'))
            return 1;
        snprintf(err, errlen, "flag provided but not defined: -%.*s", (int)len, name);
        return -1;
    }
    const struct mc_flag *f = &a->cmd->flags[idx];
    const char *value;
    if (eq) {
        value = eq + 1;
    } else if (f->type == MC_FLAG_BOOL) {
        value = "true";
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        snprintf(err, errlen, "flag needs an argument: -%s", f->name);
        return -1;
    }
    if (check_value(f, value, err, errlen) != 0)
        return -1;
    add_value(&a->flags[idx], f->type, value);
    return 0;
}

/* Flags not given on the command line take their environment variable. */
static int apply_env(struct mc_args *a, char *err, size_t errlen)
{
    for (int i = 0; a->cmd->flags && a->cmd->flags[i].name; i++) {
        const struct mc_flag *f = &a->cmd->flags[i];
        if (a->flags[i].set || !f->env)
            continue;
        const char *v = getenv(f->env);
        if (!v || !*v)
            continue;
        if (check_value(f, v, err, errlen) != 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (from $%s)", f->env);
            return -1;
        }
        add_value(&a->flags[i], f->type, v);
    }
    return 0;
}

static int check_arg_count(const struct mc_args *a, char *err, size_t errlen)
{
    const struct mc_cmd *c = a->cmd;
    if (a->argc < c->min_args) {
        snprintf(err, errlen, "%s needs at least %d argument%s, got %d", a->path, c->min_args,
                 c->min_args == 1 ? "" : "s", a->argc);
        return -1;
    }
    if (c->max_args >= 0 && a->argc > c->max_args) {
        snprintf(err, errlen, "%s takes at most %d argument%s, got %d", a->path, c->max_args,
                 c->max_args == 1 ? "" : "s", a->argc);
        return -1;
    }
    return 0;
}

int mc_args_parse(struct mc_args *a, const struct mc_cmd *cmd, const char *path, int argc,
                  char **argv, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    if (errlen)
        err[0] = '\0';
    if ((size_t)snprintf(a->path, sizeof(a->path), "%s", path) >= sizeof(a->path)) {
        snprintf(err, errlen, "command path too long");
        return -1;
    }
    if (argc > MC_ARGS_MAX) {
        snprintf(err, errlen, "too many arguments (at most %d)", MC_ARGS_MAX);
        return -1;
    }
    a->argv = mc_calloc((size_t)argc + 1, sizeof(*a->argv));
    a->flags = mc_calloc((size_t)flag_count(cmd) + 1, sizeof(*a->flags));
    bool flags_done = cmd->raw_args;
    for (int i = 0; i < argc; i++) {
        const char *tok = argv[i];
        if (!flags_done && strcmp(tok, "--") == 0) {
            flags_done = true;
        } else if (!flags_done && tok[0] == '-' && tok[1] != '\0' && !looks_negative_number(tok)) {
            int rc = parse_flag(a, argc, argv, &i, err, errlen);
            if (rc != 0)
                return rc;
        } else {
            a->argv[a->argc++] = tok;
        }
    }
    if (cmd->raw_args)
        return 0;
    if (apply_env(a, err, errlen) != 0)
        return -1;
    return check_arg_count(a, err, errlen);
}

void mc_args_release(struct mc_args *a)
{
    int n = a->cmd ? flag_count(a->cmd) : 0;
    for (int i = 0; a->flags && i < n; i++)
        free(a->flags[i].values);
    free(a->flags);
    free(a->argv);
    a->flags = NULL;
    a->argv = NULL;
    a->argc = 0;
}

/* ---- accessors ---------------------------------------------------------------- */

static int must_find(const struct mc_args *a, const char *flag)
{
    int i = flag_index(a->cmd, flag, strlen(flag));
    if (i < 0 || strcmp(a->cmd->flags[i].name, flag) != 0) {
        fprintf(stderr, "BUG: command '%s' has no flag '%s'\n", a->cmd->name, flag);
        abort();
    }
    return i;
}

const char *mc_args_arg(const struct mc_args *a, int i)
{
    return i >= 0 && i < a->argc ? a->argv[i] : NULL;
}

const char *mc_args_str(const struct mc_args *a, const char *flag)
{
    int i = must_find(a, flag);
    const struct mc_flag_value *v = &a->flags[i];
    if (v->set && v->count > 0)
        return v->values[v->count - 1];
    return a->cmd->flags[i].def;
}

bool mc_args_bool(const struct mc_args *a, const char *flag)
{
    const char *v = mc_args_str(a, flag);
    bool b = false;
    return v && parse_bool(v, &b) == 0 && b;
}

long long mc_args_int(const struct mc_args *a, const char *flag, long long dflt)
{
    const char *v = mc_args_str(a, flag);
    int64_t n;
    if (!v || mc_parse_i64(v, &n) != 0)
        return dflt;
    return (long long)n;
}

bool mc_args_isset(const struct mc_args *a, const char *flag)
{
    return a->flags[must_find(a, flag)].set;
}

int mc_args_strings(const struct mc_args *a, const char *flag, const char *const **values)
{
    const struct mc_flag_value *v = &a->flags[must_find(a, flag)];
    *values = v->values;
    return v->count;
}

/* ---- help --------------------------------------------------------------------- */

/* One two-column help line: the first cell is aligned by the block's widest. */
struct help_row {
    char cell[HELP_CELL_MAX];
    const char *text;  /* second column, printed as is */
    const char *text2; /* continues text (a flag's default and env hint) */
};

/* Columns count runes, as Go's tabwriter does (UTF-8 continuation bytes add nothing). */
static size_t display_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void print_rows(FILE *out, const struct help_row *rows, int n)
{
    size_t width = 0;
    for (int i = 0; i < n; i++)
        width = MC_MAX(width, display_width(rows[i].cell));
    for (int i = 0; i < n; i++) {
        fprintf(out, "   %s%*s%s%s\n", rows[i].cell, (int)(width - display_width(rows[i].cell) + 2),
                "", rows[i].text, rows[i].text2 ? rows[i].text2 : "");
    }
}

/* urfave's placeholder: a `word` in the usage names the value and loses its quotes. */
static void split_usage(const char *usage, char *placeholder, size_t plen, char *text,
                        size_t tlen)
{
    const char *open = strchr(usage, '`');
    const char *close = open ? strchr(open + 1, '`') : NULL;
    if (!close) {
        snprintf(placeholder, plen, "value");
        snprintf(text, tlen, "%s", usage);
        return;
    }
    snprintf(placeholder, plen, "%.*s", (int)(close - open - 1), open + 1);
    snprintf(text, tlen, "%.*s%.*s%s", (int)(open - usage), usage, (int)(close - open - 1),
             open + 1, close + 1);
}

static void quote_go(char *dst, size_t len, const char *s)
{
    size_t o = 0;
    if (len < 3)
        return;
    dst[o++] = '"';
    for (; *s && o + 3 < len; s++) {
        if (*s == '"' || *s == '\\')
            dst[o++] = '\\';
        dst[o++] = *s;
    }
    dst[o++] = '"';
    dst[o] = '\0';
}

/* The tail urfave appends to a flag's usage: " (default: x)" and " [$ENV]". */
static void flag_tail(const struct mc_flag *f, char *dst, size_t len)
{
    char def[256] = "";
    if (f->type == MC_FLAG_BOOL)
        snprintf(def, sizeof(def), "%s", f->def ? f->def : "false");
    else if (f->type == MC_FLAG_INT)
        snprintf(def, sizeof(def), "%s", f->def ? f->def : "0");
    else if (f->def && *f->def)
        quote_go(def, sizeof(def), f->def);
    size_t o = 0;
    dst[0] = '\0';
    if (*def)
        o = (size_t)snprintf(dst, len, " (default: %s)", def);
    if (f->env && o < len)
        snprintf(dst + o, len - o, " [$%s]", f->env);
}

struct flag_line {
    char text[512];
    char tail[320];
};

static void flag_row(const struct mc_flag *f, struct help_row *row, struct flag_line *line)
{
    char ph[64];
    split_usage(f->usage ? f->usage : "", ph, sizeof(ph), line->text, sizeof(line->text));
    bool value = f->type != MC_FLAG_BOOL;
    const char *names[2] = {f->name, f->alias};
    size_t o = 0;
    row->cell[0] = '\0';
    for (int i = 0; i < 2 && names[i]; i++) {
        o += (size_t)snprintf(row->cell + o, sizeof(row->cell) - MC_MIN(o, sizeof(row->cell)),
                              "%s%s%s%s%s", i ? ", " : "", strlen(names[i]) == 1 ? "-" : "--",
                              names[i], value ? " " : "", value ? ph : "");
        if (o >= sizeof(row->cell))
            break;
    }
    flag_tail(f, line->tail, sizeof(line->tail));
    /* urfave trims the space left when the usage is empty */
    row->text = line->text;
    row->text2 = line->text[0] ? line->tail : line->tail + (line->tail[0] == ' ');
}

static void print_flags(FILE *out, const struct mc_flag *flags, bool root, bool trailer)
{
    static const struct mc_flag help = {"help", "h", MC_FLAG_BOOL, NULL, help_usage, NULL};
    static const struct mc_flag version = {"version", "v", MC_FLAG_BOOL, NULL,
                                           "print the version", NULL};
    int n = 0;
    while (flags && flags[n].name)
        n++;
    int total = n + 1 + (root ? 1 : 0);
    struct help_row *rows = mc_calloc((size_t)total, sizeof(*rows));
    struct flag_line *lines = mc_calloc((size_t)total, sizeof(*lines));
    for (int i = 0; i < n; i++)
        flag_row(&flags[i], &rows[i], &lines[i]);
    flag_row(&help, &rows[n], &lines[n]);
    if (root)
        flag_row(&version, &rows[n + 1], &lines[n + 1]);
    print_rows(out, rows, total);
    if (trailer)
        fputs("   \n", out);
    free(rows);
    free(lines);
}

static void print_commands(FILE *out, const struct mc_cmd *cmd)
{
    int n = 0;
    for (const struct mc_cmd *const *s = cmd->subs; s && *s; s++)
        n++;
    struct help_row *rows = mc_calloc((size_t)n + 1, sizeof(*rows));
    int r = 0;
    for (const struct mc_cmd *const *s = cmd->subs; s && *s; s++) {
        if ((*s)->hidden)
            continue;
        char aliases[128] = "";
        if ((*s)->aliases) {
            /* "a,b" is shown as "name, a, b" like urfave's join .Names ", " */
            size_t o = 0;
            for (const char *p = (*s)->aliases; *p && o + 3 < sizeof(aliases); p++) {
                if (*p == ',') {
                    aliases[o++] = ',';
                    aliases[o++] = ' ';
                } else {
                    aliases[o++] = *p;
                }
            }
            aliases[o] = '\0';
        }
        snprintf(rows[r].cell, sizeof(rows[r].cell), "%s%s%s", (*s)->name,
                 *aliases ? ", " : "", aliases);
        rows[r].text = (*s)->summary ? (*s)->summary : "";
        r++;
    }
    snprintf(rows[r].cell, sizeof(rows[r].cell), "%s", help_cmd_names);
    rows[r].text = help_cmd_usage;
    print_rows(out, rows, r + 1);
    free(rows);
}

static const char *args_usage(const struct mc_cmd *cmd)
{
    return cmd->args_usage ? cmd->args_usage : "[arguments...]";
}

static void print_root_help(FILE *out, const struct mc_cmd *cmd, const char *path)
{
    fprintf(out, "NAME:\n   %s - %s\n\n", path, cmd->summary ? cmd->summary : "");
    fprintf(out, "USAGE:\n   %s [global options] command [command options] %s\n\n", path,
            args_usage(cmd));
    fprintf(out, "VERSION:\n   %s\n\n", MICRO_VERSION);
    if (cmd->description)
        fprintf(out, "DESCRIPTION:\n   %s\n\n", cmd->description);
    fputs("COMMANDS:\n", out);
    print_commands(out, cmd);
    fputs("\nGLOBAL OPTIONS:\n", out);
    print_flags(out, cmd->flags, true, false);
}

static void print_group_help(FILE *out, const struct mc_cmd *cmd, const char *path)
{
    const char *name = cmd->description ? cmd->description : cmd->summary;
    fprintf(out, "NAME:\n   %s - %s\n\n", path, name ? name : "");
    fprintf(out, "USAGE:\n   %s command [command options] %s\n\n", path, args_usage(cmd));
    fputs("COMMANDS:\n", out);
    print_commands(out, cmd);
    fputs("\nOPTIONS:\n", out);
    print_flags(out, cmd->flags, false, true);
}

static void print_leaf_help(FILE *out, const struct mc_cmd *cmd, const char *path)
{
    fprintf(out, "NAME:\n   %s - %s\n\n", path, cmd->summary ? cmd->summary : "");
    fprintf(out, "USAGE:\n   %s [command options] %s\n", path, args_usage(cmd));
    if (cmd->description)
        fprintf(out, "\nDESCRIPTION:\n   %s\n", cmd->description);
    fputs("\nOPTIONS:\n", out);
    print_flags(out, cmd->flags, false, true);
}

void mc_cmd_print_help(FILE *out, const struct mc_cmd *cmd, const char *path)
{
    if (!strchr(path, ' '))
        print_root_help(out, cmd, path);
    else if (cmd->subs)
        print_group_help(out, cmd, path);
    else
        print_leaf_help(out, cmd, path);
}
