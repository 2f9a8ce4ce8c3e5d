/*
 * The dashboard's model: everything the panels draw, in one struct that
 * the feeder threads (dash_feed.c) write under `mu` and the UI thread reads
 * under `mu` while it renders. After a change a feeder calls
 * dash_model_wake, which writes a byte to a pipe the UI thread polls, so
 * the screen follows the data without the UI thread polling the model.
 *
 * The service list merges two sources by name: the runtime's services
 * (Runtime.Read: version, source, status, start time, restarts, error) and
 * the registry's (Registry.ListServices: node count), so a service run by
 * the runtime and one registered from elsewhere both show.
 */
#ifndef MC_CLIENT_DASH_MODEL_H
#define MC_CLIENT_DASH_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "dash_log.h"
#include "registry.pb-c.h"

#define DASH_NAME_MAX 128
#define DASH_TEXT_MAX 256

struct dash_svc {
    char name[DASH_NAME_MAX];
    char version[DASH_NAME_MAX];
    char source[DASH_TEXT_MAX];
    char status[32];            /* the runtime's status name, "" when not run by it */
    char started[64];           /* RFC 3339 start time from the runtime, or "" */
    char error[DASH_TEXT_MAX];
    int restarts;
    int nodes;                  /* registry nodes over every version, -1 = not registered */
    bool runtime;               /* known to the runtime */
};

enum dash_conn { DASH_CONNECTING, DASH_CONNECTED, DASH_DISCONNECTED };

struct dash_model {
    pthread_mutex_t mu;
    int wake_r, wake_w;            /* pipe: feeders write, the UI thread polls */

    char env[DASH_NAME_MAX], ns[DASH_NAME_MAX], address[DASH_TEXT_MAX];
    enum dash_conn conn;
    char conn_error[DASH_TEXT_MAX]; /* why the last status poll failed */
    uint64_t refreshed_ms;         /* mc_now_ms of the last good status poll */
    bool runtime_events;           /* the runtime events stream is live */
    bool registry_watch;           /* the registry watch stream is live */

    struct dash_svc *svcs;         /* sorted by name */
    size_t nsvcs;

    char detail_name[DASH_NAME_MAX]; /* service whose detail is wanted ("" = none) */
    cJSON *detail;                 /* its Registry.GetService answer, or NULL */
    char detail_error[DASH_TEXT_MAX];

    char log_name[DASH_NAME_MAX];  /* service whose log is followed ("" = none) */
    unsigned log_gen;              /* bumped whenever log_name changes */
    bool log_live;                 /* the log stream is open */
    char log_error[DASH_TEXT_MAX];
    struct dash_log log;
    uint64_t log_last_ms;          /* mc_now_ms when the last line arrived */

    uint64_t version;              /* bumped by every change (the renderer's cue) */
};

/* Initialises m (lock, pipe, empty log of log_cap lines). 0 or MC_EIO. */
int dash_model_init(struct dash_model *m, size_t log_cap);
void dash_model_release(struct dash_model *m);

void dash_model_lock(struct dash_model *m);
void dash_model_unlock(struct dash_model *m);
/* Tells the UI thread something changed (bumps version; call under the lock). */
void dash_model_wake(struct dash_model *m);
/* Empties the wake pipe (the UI thread, after waking). */
void dash_model_drain(struct dash_model *m);

/*
 * Replaces the service list from a Runtime.Read "services" array (JSON) and a
 * Registry.ListServices answer (protobuf: the registry can hold thousands of
 * services). Either may be NULL: that source is unknown and its columns stay
 * empty. Call under the lock.
 */
void dash_model_set_services(struct dash_model *m, const cJSON *runtime,
                             const Registry__ListResponse *registry);

/* Copies src (NULL = "") into dst of cap bytes, cut to fit, always terminated. */
void dash_copy(char *dst, size_t cap, const char *src);

/* Index of the service named name, or -1. */
long dash_model_find(const struct dash_model *m, const char *name);

/* Makes name the followed log (clearing the ring when it changes); "" stops
 * following. Call under the lock; the log feeder notices log_gen. */
void dash_model_follow(struct dash_model *m, const char *name);

#endif
