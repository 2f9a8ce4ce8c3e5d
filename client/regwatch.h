/*
 * The prompt's live list of services (issue 6): a background thread keeps the
 * names of the services registered in one registry domain up to date, so that
 * Tab completes a service started a moment ago, and stops completing one that
 * went away, without a network call at the keystroke.
 *
 * The thread has a session of its own (sessions are not thread-safe, cli.h),
 * opened from the same config file, environment, namespace and proxy as the
 * prompt's. It lists the domain (Registry.ListServices), then follows
 * Registry.Watch, adding a (name, version) on "create"/"update" and removing
 * it on "delete" (the registry reports a version gone once its last node
 * is); a name is listed while one of its versions is. When the stream ends or
 * the server cannot be reached it starts over after a backoff
 * (REGWATCH_BACKOFF_*), the list not "live" meanwhile. A service registered
 * between the list and the watch is picked up by its next heartbeat (an
 * "update").
 *
 * The set sits behind a mutex held only to copy it: the reader never waits
 * on the network. Stopping cancels the stream (the thread's transport cancel
 * flag, woken by a signal sent to the thread) and joins it.
 *
 * The set's bookkeeping (mc_regwatch_set_*) is pure and exposed for tests.
 */
#ifndef MC_CLIENT_REGWATCH_H
#define MC_CLIENT_REGWATCH_H

#include <stdbool.h>
#include <stddef.h>

struct mc_cli;
struct mc_regwatch;

#define MC_REGWATCH_MAX_ENTRIES 65536 /* (name, version) pairs kept; more are ignored */

/*
 * Starts watching domain for the session cli describes (its config file,
 * env, namespace and proxy override; cli itself is not used by the thread).
 * Returns the watch (stop it with mc_regwatch_stop), or NULL when the thread
 * cannot be created. Signals are blocked in the thread, so the prompt's
 * handlers keep running in the main thread.
 */
struct mc_regwatch *mc_regwatch_start(const struct mc_cli *cli, const char *domain);

/* Cancels the stream or the backoff, joins the thread and frees w (NULL is fine). */
void mc_regwatch_stop(struct mc_regwatch *w);

/* Whether w watches for the environment, address and namespace cli has now
 * (after `env set` or `user namespace set` it must be restarted). */
bool mc_regwatch_follows(const struct mc_regwatch *w, const struct mc_cli *cli);

/*
 * The names registered in the domain, sorted, each once: returns 0 with
 * *names a NULL-terminated heap array of heap strings (mc_cli_names_free),
 * or MC_EAGAIN (*names NULL) when the watch is not live (not listed yet, or
 * reconnecting): the caller asks the registry itself.
 */
int mc_regwatch_names(struct mc_regwatch *w, char ***names);

/* ---- the set (pure) --------------------------------------------------------------- */

struct mc_regwatch_entry {
    char *name;
    char *version;
};

struct mc_regwatch_set {
    struct mc_regwatch_entry *v;
    size_t n, cap;
};

void mc_regwatch_set_release(struct mc_regwatch_set *s);

/* Replaces the set with the services of a ListServices response (JSON).
 * Returns 0, or MC_EPROTO when json is not such a response (set unchanged). */
int mc_regwatch_set_load(struct mc_regwatch_set *s, const char *json, size_t len);

/* Applies one Registry.Watch result (JSON {"action","service"}). Returns 1
 * when the set changed, 0 when not, MC_EPROTO for a message without a
 * service name (set unchanged). Unknown actions change nothing. */
int mc_regwatch_set_apply(struct mc_regwatch_set *s, const char *json, size_t len);

/* The sorted, unique names (as mc_regwatch_names gives them). */
char **mc_regwatch_set_names(const struct mc_regwatch_set *s);

#endif
