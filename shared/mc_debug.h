/*
 * The internal Debug handler that every service answers (spec §1.13), attached
 * by mc_rpc_server_add(): Health ("ok"), Stats (start time, uptime, resident
 * memory, threads, request and error counters of the service), Log (the
 * process's recent log lines from mc_log's ring) and Trace (no spans: we do not
 * record traces, so the answer is an honest empty list).
 */
#ifndef MC_DEBUG_H
#define MC_DEBUG_H

#include <stdint.h>

struct mc_rpc_service;

/* Binds Debug.Health/Stats/Log/Trace on svc. Returns 0 or the binding error. */
int mc_debug_attach(struct mc_rpc_service *svc);

/* Resident set size of this process in bytes (0 when /proc is unreadable). */
uint64_t mc_debug_rss_bytes(void);
/* Threads of this process (1 when /proc is unreadable). */
uint64_t mc_debug_threads(void);

#endif
