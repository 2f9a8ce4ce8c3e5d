/*
 * The dashboard's feeders: four threads that keep the model (dash_model.h)
 * up to date, each with its own session (struct mc_cli is not thread-safe):
 *
 *  - status: Runtime.Read and Registry.ListServices every refresh period,
 *    or at once when poked; also Registry.GetService for the detail view.
 *    A failed poll marks the model disconnected; the next good one
 *    reconnects it (the server going away and coming back);
 *  - watch: the Registry.Watch stream; every change pokes `status`;
 *  - events: the runtime's events (Stream.Consume, topic "runtime"); every
 *    event pokes `status`. When the events service does not answer, the
 *    periodic poll alone keeps the runtime columns fresh;
 *  - log: Runtime.Logs with stream=true for the followed service, pushed
 *    line by line into the model's ring. The stream survives restarts of
 *    the service on the server's side; when it ends (server restart), it is
 *    opened again and the lines already shown are recognised and skipped.
 *
 * Stopping or switching a stream sets that thread's own cancel flag
 * (mc_transport_set_cancel is per thread) and signals the thread so that
 * libcurl notices at once.
 */
#ifndef MC_CLIENT_DASH_FEED_H
#define MC_CLIENT_DASH_FEED_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "cli.h"
#include "dash_model.h"

#define DASH_FEED_THREADS 4
#define DASH_LOG_TAIL 1000  /* lines of history asked for when a log opens */

struct dash_feed_thread {
    pthread_t id;
    bool started;
    volatile sig_atomic_t cancel;  /* this thread's transport cancel flag */
    struct dash_feed *feed;
};

struct dash_feed {
    struct dash_model *m;
    struct mc_cli_options opts;   /* borrowed: the dashboard's session options */
    unsigned refresh_ms;
    volatile sig_atomic_t stop;
    pthread_mutex_t mu;           /* guards poke/log_poke, with cv */
    pthread_cond_t cv;
    bool poke;                    /* status: poll now */
    bool log_poke;                /* log: the followed service changed */
    struct dash_feed_thread t[DASH_FEED_THREADS];
};

/*
 * Starts the feeders for model m with sessions opened from opts (strings
 * borrowed until dash_feed_stop). Returns 0 or MC_EIO (no thread runs).
 */
int dash_feed_start(struct dash_feed *f, struct dash_model *m, const struct mc_cli_options *opts,
                    unsigned refresh_ms);
/* Asks for a status poll now (after kill/update, a detail request). */
void dash_feed_poke(struct dash_feed *f);
/* The followed log changed (dash_model_follow): restart the log stream. */
void dash_feed_log_changed(struct dash_feed *f);
/* Stops and joins every feeder (streams are cancelled, so within ~1 s). */
void dash_feed_stop(struct dash_feed *f);

#endif
