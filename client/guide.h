/*
 * Guided calls on a session: the part of guided.h that needs the registry
 * and a reader. Given the words of a command, it decides whether they are a
 * dynamic command that asks to be guided, finds the endpoint's request
 * schema and asks for its fields through the reader. The prompt guides
 * `<service> <endpoint> --edit` and bare endpoints whose request has fields
 * (its reader is readline); one-shot `micro` guides `--edit` alone, when
 * stdin is a terminal (mc_guide_tty_read), and refuses it otherwise.
 */
#ifndef MC_CLIENT_GUIDE_H
#define MC_CLIENT_GUIDE_H

#include <stdbool.h>

#include "cli.h"
#include "guided.h"

/*
 * For argv[0..argc) (a command line after `micro`): when it is a dynamic
 * command that asks to be guided (with edit_only, only an `--edit` one),
 * asks for the request's fields through read and fills g with the words to
 * run. Returns 1 (g filled), 0 (not guided: run argv as it is), or a
 * negative MC_E* after which nothing must run: MC_ECANCELED (the reader was
 * cancelled), MC_EUNSUPPORTED (no reader: read is NULL, the message is
 * printed to cli->err), another error (printed to cli->err). Builtins and
 * micro-<cmd> plugins are never guided. Release g in every case.
 */
int mc_guide(struct mc_cli *cli, int argc, char **argv, bool edit_only, mc_guided_read_fn *read,
             void *ud, struct mc_guided *g);

/* Whether argv has an `--edit` word (a cheap look before any lookup). */
bool mc_guide_has_edit(int argc, char *const *argv);

/* A reader on the terminal for one-shot use: the field's prompt on stderr,
 * one line from stdin (tty_input.h); Ctrl-C ends the process as usual. */
int mc_guide_tty_read(void *ud, const char *prompt, char **line);

#endif
