/*
 * What the files of server/runtime share: the runtime's state, one struct per
 * service with its child process, and the lifecycle functions the handlers
 * (runtime.c) call on the manager (rt_manager.c).
 */
#ifndef MC_RUNTIME_INTERNAL_H
#define MC_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "core.h"
#include "runtime/rt_log.h"
#include "runtime/rt_record.h"

struct mc_timer;
struct rt_follow;

enum rt_stage {
    RT_STAGE_NONE,      /* no child */
    RT_STAGE_FETCH,     /* unpacking or cloning the source */
    RT_STAGE_BUILD,
    RT_STAGE_RUN,
};

/* What happens once a stopping service's child is gone. */
enum rt_after {
    RT_AFTER_STOPPED,   /* stays stopped */
    RT_AFTER_DELETE,    /* record, source and account go */
    RT_AFTER_RESTART,   /* fetched, built and started again from the record */
};

struct rt_svc {
    struct rt_svc *next;
    struct mc_runtime *rt;
    struct rt_record rec;
    enum rt_stage stage;
    pid_t pid;
    int pidfd, out_fd;          /* -1 when closed */
    struct rt_logw log;         /* the service's log, open while a child runs */
    struct rt_logw build;       /* build.log, open during fetch and build */
    struct mc_timer *timer;     /* up timer, or restart backoff */
    struct mc_timer *kill_timer;
    bool stopping;
    bool gone;                  /* deleted, freed by a deferred callback: invisible */
    enum rt_after after;
};

struct mc_runtime {
    struct mc_core *core;
    struct rt_svc *svcs;
    size_t nsvcs;
    struct rt_follow *follows;  /* open Runtime.Logs streams that follow */
    char *home;
};

/* rt_manager.c */
struct rt_svc *rt_find(struct mc_runtime *rt, const char *ns, const char *name,
                       const char *version);
/* A new service with rec (taken over; rec is zeroed), not started. */
struct rt_svc *rt_add(struct mc_runtime *rt, struct rt_record *rec);
/* Starts from the source (status pending). */
void rt_start(struct rt_svc *s);
/* Stops the child (if any) and then does `after`; may free s (delete). */
void rt_stop(struct rt_svc *s, enum rt_after after);
/* Writes s's record to storage. 0 or the storage's code. */
int rt_save(struct rt_svc *s);
/* Loads the records and restarts those that should run. */
void rt_load(struct mc_runtime *rt);
/* Kills every child and waits for them (shutdown). */
void rt_kill_all(struct mc_runtime *rt);
void rt_free_all(struct mc_runtime *rt);
/*
 * runtime.c: publishes a change of s on events topic "runtime" (spec §10:
 * metadata "type" and "namespace"), payload {"type", "namespace", "service":
 * the Service as Runtime.Read returns it}. Types: created, updated and deleted
 * as upstream's manager, plus "service.status" on every status change (what
 * dashboards watch). Nothing when the events service is not running.
 */
#define RT_EVENT_TOPIC "runtime"
#define RT_EVENT_CREATED "service.created"
#define RT_EVENT_UPDATED "service.updated"
#define RT_EVENT_DELETED "service.deleted"
#define RT_EVENT_STATUS "service.status"
#define RT_EVENT_MAX (256u * 1024)   /* bytes of one event's payload */
void rt_publish(struct rt_svc *s, const char *type);
/* runtime.c: new bytes were written to the log at path: its followers get them
 * now rather than at their next tick. */
void rt_follow_poke(struct mc_runtime *rt, const char *path);
/* Paths (malloc'd): <home>/runtime/<ns>/<name>/<version>[/suffix], the log file. */
char *rt_dir(const struct mc_runtime *rt, const struct rt_record *r, const char *suffix);
char *rt_log_path(const struct mc_runtime *rt, const char *ns, const char *name);

#endif
