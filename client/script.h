/*
 * Scripted use (issue 4 §5): `micro` with no arguments and stdin not a
 * terminal runs one command per line of stdin; `micro -c 'cmd; cmd'` runs a
 * command string. Every command goes to one run function (main.c passes the
 * dispatcher, mc_dispatch_run), so all of them share one session and one
 * connection (no re-exec per line); tests pass a recorder.
 *
 * Syntax, a small subset of the shell's: words are separated by blanks;
 * 'single quotes' keep everything; "double quotes" keep everything but \" and
 * \\ (other backslashes stay); outside quotes a backslash takes the next
 * character literally; quoted parts and plain text join into one word
 * (a"b"'c' is abc; "" is an empty word). An unquoted ';' ends a command, as
 * does the end of a line; an unquoted '#' at the start of a word starts a
 * comment. There is no variable, glob or tilde expansion. A leading word
 * "micro" is dropped, so lines copied from a shell session work. The command
 * "exit [N]" stops the script (with N, else with the result so far).
 */
#ifndef MC_CLIENT_SCRIPT_H
#define MC_CLIENT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MC_SCRIPT_LINE_MAX (1024 * 1024) /* bytes in one line, newline excluded */
#define MC_SCRIPT_WORDS_MAX 4096         /* words in one line */

/* The commands of one line: words[] holds each command's words followed by a
 * NULL, command after command; ncmds counts them (empty commands dropped). */
struct mc_script_line {
    char **words; /* heap; point into text */
    int nwords;   /* entries in words, the NULLs included */
    int ncmds;
    char *text;   /* heap storage of the words */
};

/*
 * Splits line[0..len) (no newline) into commands. Returns 0, or MC_EINVAL
 * (unterminated quote, trailing backslash, NUL byte) / MC_ETOOBIG (more than
 * MC_SCRIPT_WORDS_MAX words) with a message in err and l empty. Release l
 * with mc_script_line_release in every case.
 */
int mc_script_split(struct mc_script_line *l, const char *line, size_t len, char *err,
                    size_t errlen);
void mc_script_line_release(struct mc_script_line *l);

/* Runs one command (argv[0] is the command word); returns its exit code. */
typedef int mc_script_run_fn(void *ud, int argc, char **argv);

/*
 * Runs every command read from in (named `name` in error messages, e.g.
 * "stdin"). Stops at the first command that exits non-zero and returns its
 * code; with keep_going runs them all and returns the last non-zero code (0
 * if none). A syntax error or an over-long line counts as a failed command
 * with code 1, reported as "<name>: line N: <why>".
 */
int mc_script_run_file(FILE *in, const char *name, bool keep_going, mc_script_run_fn *run,
                       void *ud);

/* The same for a command string (-c): lines and ';' separate commands. */
int mc_script_run_string(const char *text, bool keep_going, mc_script_run_fn *run, void *ud);

#endif
