/*
 * The pure parts of `micro run/update/kill/status/logs` (cmd_run.c,
 * cmd_status.c, cmd_logs.c), kept apart so unit tests can drive them
 * without a server or a terminal: what a source argument means (a local
 * folder, a git URL, or a short name expanded with the configured base URL,
 * spec §10), the `status` table of spec §3.5 from a Runtime.Read answer,
 * upstream's "5m59s ago", and one Runtime.Logs record as `logs` prints it.
 */
#ifndef MC_CLIENT_RUN_UTIL_H
#define MC_CLIENT_RUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"

#define MC_RUN_ARG_MAX 1024   /* a source argument */
#define MC_RUN_NAME_MAX 256   /* a service name or version */

/* The default base of short names (`micro run helloworld`), as upstream. */
#define MC_RUN_DEFAULT_BASE "github.com/micro/services"

struct mc_run_source {
    bool local;                     /* a folder on this machine */
    char path[MC_RUN_ARG_MAX];      /* local: the folder as typed, without @ref */
    char url[MC_RUN_ARG_MAX];       /* git: the repository ("https://github.com/micro/services") */
    char folder[MC_RUN_ARG_MAX];    /* git: the folder inside it ("helloworld"), or "" */
    char version[MC_RUN_NAME_MAX];  /* the @ref, or "latest" */
    char name[MC_RUN_NAME_MAX];     /* the service name: the last folder of the source */
};

/*
 * Reads a source argument. It is local when it starts with '/' or '.' or
 * when local_dir is true (the caller found a folder of that name);
 * otherwise a git source: a URL with a scheme ("https://", "file://",
 * "git://", "ssh://": the whole URL is the repository), or
 * "host/org/repo[/folder...]" (repository https://host/org/repo), where a
 * first part without a dot is a short name expanded as base/arg (base =
 * the git.baseurl setting, NULL or "" for MC_RUN_DEFAULT_BASE; a base with
 * a scheme, "file:///srv/git", holds repositories and the short name is
 * one of them). An "@ref"
 * after the last '/' is the version. Returns 0, or MC_EINVAL with a
 * message in err (empty argument, empty ref, a host without org/repo, a
 * name that is not a usable service name); s is then unspecified.
 */
int mc_run_source_parse(const char *arg, bool local_dir, const char *base,
                        struct mc_run_source *s, char *err, size_t errlen);

/* Whether name is a usable service name: [A-Za-z0-9._-], 1..63 bytes, not
 * starting with '.' or '-'. */
bool mc_run_name_valid(const char *name);

/* Upstream's humanizeStatus for Service.status (spec §10): "pending" ...
 * "error", "unknown" for anything else. */
const char *mc_run_status_name(int status);

/*
 * Upstream's timeAgo: "unknown" for "", the text itself when it is not
 * RFC 3339, else the time since then (rounded to seconds, now_ns = wall clock
 * in ns) as "<d>d<h>h<m>m<s>s ago" with leading zero units left out
 * ("4s ago", "5m59s ago", "1d0h0m3s ago"). Appends to out.
 */
int mc_run_time_ago(struct mc_buf *out, const char *rfc3339, int64_t now_ns);

/* The wall clock in unix nanoseconds (the now_ns of mc_run_time_ago). */
int64_t mc_run_now_ns(void);

/* RFC 3339 ("2026-11-28T16:05:21Z", "...21.5+01:00") to unix ns; false when
 * s is not one. */
bool mc_run_parse_rfc3339(const char *s, int64_t *unix_ns);

/*
 * The `micro status` table (spec §3.5) of a Runtime.Read answer's services
 * (a JSON array; NULL or empty appends nothing): header NAME VERSION SOURCE
 * STATUS BUILD UPDATED METADATA, rows sorted by name, tabwriter with tab
 * padding. Returns 0 or MC_ETOOBIG.
 */
int mc_run_status_table(struct mc_buf *out, const cJSON *services, int64_t now_ns);

/* One Runtime.Logs record (a LogRecord JSON object) as `micro logs` prints
 * it, with the newline: the message, or with json upstream's
 * json.Marshal(runtime.Log) ({"Message":"...","Metadata":null|{...}}). */
int mc_run_log_line(struct mc_buf *out, const cJSON *record, bool json);

/*
 * `run --watch`: a fingerprint of the sources under dir: the path, size and
 * modification time (ns) of every C/C++ source or header, .proto file,
 * CMakeLists.txt, *.cmake and Makefile, hashed together (FNV-1a), not going
 * into the folders named in skip (".git", "build", ...) nor following
 * symbolic links to folders. Any edit, new or removed source changes it;
 * build output and editor files do not. At most MC_RUN_WATCH_FILES files are
 * looked at (a tree past that is hashed up to there).
 */
#define MC_RUN_WATCH_FILES 20000u
uint64_t mc_run_tree_fingerprint(const char *dir, const char *const *skip);

#endif
