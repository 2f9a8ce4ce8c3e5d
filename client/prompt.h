/*
 * The interactive prompt (issue 6): `micro` with no arguments on a terminal,
 * or `micro cli`. One readline loop over the dispatcher's session: every line
 * is split as scripted mode splits it (script.h) and each command runs in
 * process through mc_dispatch_run, so the connection, the token and the
 * schema cache are shared by the whole session (upstream re-executed itself
 * per line). The prompt shows the environment and namespace
 * (`local:micro> `) and follows `env set` and `user namespace set`.
 *
 * Around the loop: Tab completion from complete.h with each candidate's
 * description listed, service names from a registry watch kept by a thread
 * (regwatch.h: a service started or stopped a moment ago is completed or not
 * without a restart, and Tab makes no call for the list; while the watch is
 * not live the list is refetched when older than a second); guided calls
 * (guide.h) for `<service> <endpoint> --edit` and bare endpoints; a Ctrl-C
 * at a command's own question (login's password, tty_input.h) abandons that
 * command only; history per environment in <MICRO_HOME>/history/<env>
 * (0600, the last MC_PROMPT_HISTORY_MAX lines, appended as typed, Ctrl-R
 * searches it); Ctrl-C clears the line, cancels a running call
 * (mc_transport_set_cancel) or abandons a guided request, and the prompt
 * stays; Ctrl-D, `exit [N]` or `quit` leave; SIGTERM and SIGHUP leave after
 * the running call is cancelled. The terminal settings found at start are
 * put back on every one of those paths.
 */
#ifndef MC_CLIENT_PROMPT_H
#define MC_CLIENT_PROMPT_H

#include <stddef.h>

#include "dispatch.h"

#define MC_PROMPT_HISTORY_MAX 10000 /* lines kept per environment */
#define MC_PROMPT_BUDGET_MS 300     /* server time one Tab may spend (complete.h) */
#define MC_PROMPT_SERVICES_MAX_AGE_MS 1000 /* without a live watch, the list is refetched when older */

/*
 * Runs the prompt on the terminal until the user leaves; returns the exit
 * code (`exit N`'s N, else 0; 1 when the session cannot be opened; 128+N
 * after SIGTERM/SIGHUP, which is re-raised once the terminal is restored).
 * Opens d's session when it is not open yet.
 */
int mc_prompt_run(struct mc_dispatch *d);

/*
 * The words before the word being completed, for a line typed up to start:
 * the last command of the line as script.h splits it, a leading "micro"
 * dropped. On success returns 0 with l filled (release it) and *words /
 * *nwords pointing into it (nwords may be 0); returns MC_EINVAL when the text
 * does not split (an open quote): nothing to complete.
 */
struct mc_script_line;
int mc_prompt_words(const char *line, size_t start, struct mc_script_line *l, char ***words,
                    int *nwords);

/* <dir of config.json>/history/<env> into buf; MC_EINVAL when env is not a
 * plain name ([A-Za-z0-9._-], no leading '.') or the path does not fit. */
int mc_prompt_history_path(const char *config_path, const char *env, char *buf, size_t n);

#endif
