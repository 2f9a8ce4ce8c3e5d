/*
 * The runtime core service (spec §1.7, §10): runs user services as child
 * processes of the server. Runtime.Create/Update/Delete/Read manage services
 * by namespace, name and version; Runtime.Logs tails (and follows) a service's
 * log file; Source.Upload keeps an uploaded source archive in the blob store;
 * Build.Read streams a service's last build log.
 *
 * A service's life: pending (its source is unpacked or cloned, in a child
 * process) → building (cmake or make, in a child) → starting (the executable
 * runs) → running (once the process has stayed up RT_UP_MS; the runtime does
 * not wait for it to register). Failures end in error with metadata `error`
 * saying why; a running process that exits is restarted after a backoff of 1,
 * 2, 4 … 60 s (metadata `retries`), showing error meanwhile. Records live in
 * storage (database "micro", table "runtime"), so after a restart of the
 * server every recorded service that was not in error or stopped comes back.
 * Nothing here blocks the loop except the shutdown (mc_runtime_service_release),
 * which waits up to RT_STOP_GRACE_MS for children to exit after SIGTERM.
 */
#ifndef MC_SERVER_RUNTIME_H
#define MC_SERVER_RUNTIME_H

struct mc_core;
struct mc_rpc_service;

#define RT_UP_MS 1000              /* starting → running after this long */
#define RT_STOP_GRACE_MS 5000      /* SIGTERM, then SIGKILL after this long */
#define RT_SERVICES_MAX 1024       /* services the runtime keeps, all namespaces */

/* The core table's registration for "runtime": binds Runtime, Source and Build
 * on svc, sets core->runtime and schedules the restart of recorded services. */
int mc_runtime_service_register(struct mc_core *core, struct mc_rpc_service *svc);
/* Stops every child (SIGTERM to its process group, SIGKILL after
 * RT_STOP_GRACE_MS; blocks until all are reaped), ends open log streams and
 * frees core->runtime. Records are left as they are, so the next start brings
 * the services back. */
void mc_runtime_service_release(struct mc_core *core);

#endif
