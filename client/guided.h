/*
 * Guided calls (issue 6 item 3): in the prompt, `<service> <endpoint> --edit`
 * or a bare `<service> <endpoint>` whose request has fields asks for the
 * request field by field, as evans does, instead of sending an empty request.
 * Each field is asked with its path and Go type (`options.domain (string) => `);
 * Enter keeps the default (the value a flag already gave, else nothing);
 * nested messages are walked as `parent.child`; repeated fields are asked
 * again until an empty answer (a repeated message until an element is left
 * empty); maps take `key=value` answers until an empty one. Ctrl-C abandons the
 * request (the reader says MC_ECANCELED) and nothing is sent.
 *
 * The answers become ordinary dynamic-command words (`--options.domain=x`,
 * a JSON array or object for repeated and map fields), so the command that
 * runs is exactly what one-shot `micro` would run, typed by dynamic.c, and the
 * prompt can keep the expanded command in its history. Nothing here touches
 * the terminal or the network: the reader is a callback (the prompt passes
 * readline, tests a script).
 */
#ifndef MC_CLIENT_GUIDED_H
#define MC_CLIENT_GUIDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define MC_GUIDED_MAX_ANSWERS 1024  /* answers to one request (elements of repeated fields included) */
#define MC_GUIDED_PROMPT_MAX 512     /* one field prompt */
#define MC_GUIDED_LINE_MAX (1024 * 1024) /* the quoted command line */

/*
 * Reads one answer after showing prompt. Returns 0 with *line a heap string
 * (free()) without its newline, MC_ECLOSED at end of input (taken as an empty
 * answer), or MC_ECANCELED (Ctrl-C: abandon the request).
 */
typedef int mc_guided_read_fn(void *ud, const char *prompt, char **line);

/* The words of a command after guiding: argv[0..argc), heap (mc_guided_release). */
struct mc_guided {
    char **argv;
    int argc;
};

/*
 * Whether argv (a dynamic command, argv[0] the service alias) asks to be
 * guided for an endpoint whose request Value is request: an `--edit` word
 * (unless the request has a top-level field named "edit"), or at least two
 * arguments with no flag at all and a request with fields. *edit tells which.
 */
bool mc_guided_wanted(int argc, char *const *argv, const cJSON *request, bool *edit);

/*
 * Asks for every field of request through read and fills out with the words
 * to run: the arguments of argv (without `--edit`), one flag per answered
 * field, then the flags of argv that name no field, unchanged. A flag of argv
 * that names a field is that field's default. Messages for the user (a
 * JSON answer that does not parse) go to note. Returns 0; MC_ECANCELED when
 * the reader was cancelled (out empty); MC_ETOOBIG past MC_GUIDED_MAX_ANSWERS;
 * MC_EINVAL when argv cannot be split as a dynamic command (message in err).
 * Release out in every case.
 */
int mc_guided_fill(int argc, char *const *argv, const cJSON *request, mc_guided_read_fn *read,
                   void *ud, FILE *note, struct mc_guided *out, char *err, size_t errlen);
void mc_guided_release(struct mc_guided *g);

/*
 * One line that script.h's splitter turns back into argv: plain words as they
 * are, others in single quotes ('\'' for a quote). Returns a heap string, or
 * NULL past MC_GUIDED_LINE_MAX.
 */
char *mc_guided_quote(int argc, char *const *argv);

#endif
