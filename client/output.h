/*
 * Output formatting shared by the commands: JSON re-indented like Go's
 * json.Indent with a tab (upstream's dynamic-command and `call` output), the
 * aligned tables of Go's text/tabwriter (upstream's `env`, `auth list`,
 * `status`), and a final check that stdout was written (a full disk or a
 * closed pipe is an error, not a silent success).
 */
#ifndef MC_CLIENT_OUTPUT_H
#define MC_CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Writes json re-indented with prefix "" and indent "\t", then a newline, as
 * Go's json.Indent: keys keep their order and scalars their exact text (no
 * number reformatting, so int64 stays exact); empty {} and [] stay on one line.
 * Returns 0, or -1 when json is not valid JSON (then nothing is written).
 */
int mc_out_json_indent(FILE *out, const char *json, size_t len);
/* A response as the commands print it: indented as above, or, when it is not
 * JSON, as received with a newline. */
void mc_out_json(FILE *out, const char *json, size_t len);

/*
 * Go text/tabwriter semantics: cells end at '\t', rows at '\n'; every column
 * is as wide as its widest cell plus `padding`, padded with `padchar`;
 * the last cell of a row is not padded. minwidth is the least width of a
 * column (cell + padding). Upstream uses tabwriter.NewWriter(out, minwidth,
 * tabwidth, padding, padchar, flags); we support the flags 0 and
 * AlignRight (right-aligned cells) which is all the CLI uses. With padchar
 * '\t' cells are padded with tabs to the next tab stop, tabwidth 8 (what
 * every upstream table passes), and always left-aligned, as in Go.
 */
struct mc_table;
struct mc_table *mc_table_new(int minwidth, int padding, char padchar, bool align_right);
/* Appends text (may contain several cells and rows). Returns 0, or MC_ETOOBIG
 * (text unchanged) past 64 MiB buffered. */
int mc_table_write(struct mc_table *t, const char *text);
int mc_table_printf(struct mc_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the aligned table to out and frees t. Returns 0 or -1 on write error. */
int mc_table_flush(struct mc_table *t, FILE *out);
void mc_table_free(struct mc_table *t);

/* Flushes out and returns 0, or prints "write error: <strerror>" to err and
 * returns 1 when out failed (EPIPE, ENOSPC). Every command's exit path goes
 * through this for stdout. */
int mc_out_finish(FILE *out, FILE *err);

/* The message of an error as upstream prints it: first letter upper-cased
 * (ASCII letters only). Writes no newline. */
void mc_out_capitalized(FILE *out, const char *text);

#endif
