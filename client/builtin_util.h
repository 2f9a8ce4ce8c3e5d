/*
 * What the core-service builtins (config, store, auth, network, debug) share:
 * one JSON call helper, upstream's way of reporting a wrapped error, and the
 * small pieces of Go's standard library whose exact output those commands
 * reproduce (time.ParseDuration, encoding/json strings, go-humanize's relative
 * times, olekukonko/tablewriter's ASCII tables). The formatting functions of
 * the builtins are declared here too, so unit tests can feed them canned
 * responses without a server. Nothing here keeps state.
 */
#ifndef MC_CLIENT_BUILTIN_UTIL_H
#define MC_CLIENT_BUILTIN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mc_buf.h"

struct mc_cli;
struct mc_cli_failure;

/* The most a builtin's formatted output may take (bytes) before it is written. */
#define MC_BI_OUT_MAX ((size_t)64 << 20)

/*
 * Calls service/endpoint with req (NULL = {}) and parses the answer. On
 * success returns 0 and *rsp gets the response tree (caller deletes it with
 * cJSON_Delete; never NULL). On failure returns -1 with f filled (an answer
 * that is not JSON is an MC_CLI_LOCAL failure).
 */
int mc_bi_call(struct mc_cli *cli, const char *service, const char *endpoint, const cJSON *req,
               cJSON **rsp, struct mc_cli_failure *f);

/*
 * Reports f as upstream's main reports an error that a command action returns
 * (formatErr): the message with its first letter upper-cased on STDOUT, exit
 * code 1. With fmt (non-NULL) the error was wrapped upstream (fmt.Errorf
 * "%v" or errors.Wrap): "<prefix>: <error>", a micro error then printed as
 * its JSON as Go does; without, a micro error prints its detail. A dial
 * failure is the exception: "Failed to connect to micro server at ADDR" on
 * stderr with exit code 4 (issue 4 asks for it everywhere).
 * Returns the exit code.
 */
int mc_bi_fail_plain(struct mc_cli *cli, const struct mc_cli_failure *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A client-side error returned by an action: the formatted text with its
 * first letter upper-cased on stdout; returns 1 (upstream's formatErr path). */
int mc_bi_fail_text(struct mc_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends the aligned text of t (output.h's tabwriter) to out and frees t.
 * Returns 0, MC_ENOMEM or MC_ETOOBIG. */
struct mc_table;
int mc_bi_table_flush(struct mc_table *t, struct mc_buf *out);

/*
 * Go's time.ParseDuration. Returns 0 with *ns set, or MC_EINVAL with Go's
 * message in err ("time: invalid duration \"abc\"", "time: missing unit in
 * duration \"10\"", "time: unknown unit \"x\" in duration \"1x\"").
 */
int mc_go_parse_duration(const char *s, int64_t *ns, char *err, size_t errlen);

/* Appends s (len bytes) as Go's encoding/json writes a string: quoted, '<' '>'
 * '&' U+2028 U+2029 as \u escapes, invalid UTF-8 as U+FFFD. MC_ETOOBIG past
 * out's limit. */
int mc_go_json_string(struct mc_buf *out, const char *s, size_t len);

/*
 * Appends v as Go's json.Marshal writes the interface{} that json.Unmarshal
 * made of it: object keys sorted bytewise (a repeated key: the last wins),
 * numbers as float64 in Go's shortest form ("1", "0.1", "1e+21", "1e-7"),
 * strings as mc_go_json_string. MC_ETOOBIG past out's limit.
 */
int mc_go_json_marshal(struct mc_buf *out, const cJSON *v);

/* Whether s holds a byte sequence Go decodes as utf8.RuneError (invalid
 * UTF-8, or U+FFFD itself): upstream's isPrintable is its negation. */
bool mc_go_has_rune_error(const char *s, size_t n);

/* Appends Go's base64.StdEncoding (padded) of data. MC_ETOOBIG past the limit. */
int mc_go_base64(struct mc_buf *out, const void *data, size_t len);

/* go-humanize's Time(now + d) for d >= 0 nanoseconds ahead: "now",
 * "1 second from now", "59 minutes from now", "2 years from now"... */
int mc_go_humanize_ahead(struct mc_buf *out, int64_t d_ns);

/* Go's time.Duration.String() of d nanoseconds: "0s", "1.5ms", "800µs",
 * "1h2m3s", "4.25s". */
int mc_go_duration_string(struct mc_buf *out, int64_t d);

/* Go's time.Time JSON form of unix seconds in the local zone (RFC 3339:
 * "2026-11-28T16:05:21Z" or "...+01:00"). */
int mc_go_time_json(struct mc_buf *out, int64_t unix_s);

/*
 * An olekukonko/tablewriter table as upstream's `network` commands render it
 * (borders, centred upper-case header, left-aligned cells, widths in runes):
 * header has ncols names, cells nrows*ncols strings row by row.
 */
int mc_go_ascii_table(struct mc_buf *out, const char *const *header, size_t ncols,
                      const char *const *cells, size_t nrows);

/* --- the builtins' output, from a response tree (cmd_store.c, cmd_auth.c,
 * cmd_network.c, cmd_debug.c); each appends to out and returns 0 or
 * MC_ETOOBIG --- */

/* Store.Read records: values one per line; verbose = upstream's KEY VALUE
 * EXPIRY table; json = MarshalIndent of []*store.Record. */
enum mc_store_out { MC_STORE_OUT_VALUES, MC_STORE_OUT_VERBOSE, MC_STORE_OUT_JSON };
int mc_store_format_records(struct mc_buf *out, const cJSON *records, enum mc_store_out how);
/* List keys: one per line, or json = MarshalIndent of []string. */
int mc_store_format_keys(struct mc_buf *out, const cJSON *keys, bool json);

/* `auth list rules` / `auth list accounts` tables (tabwriter, tab padding). */
int mc_auth_format_rules(struct mc_buf *out, const cJSON *rules);
int mc_auth_format_accounts(struct mc_buf *out, const cJSON *accounts);
/* "Account created: {json of auth.Account}" without the newline. */
int mc_auth_format_account_json(struct mc_buf *out, const cJSON *account);
/* {json of auth.Token}: access_token, refresh_token, created, expiry (RFC 3339). */
int mc_auth_format_token_json(struct mc_buf *out, const cJSON *token);

/* `network nodes|connections|routes|services` from the Network.* response
 * (nothing appended when upstream prints nothing). */
int mc_network_format_nodes(struct mc_buf *out, const cJSON *rsp);
int mc_network_format_connections(struct mc_buf *out, const cJSON *rsp);
int mc_network_format_routes(struct mc_buf *out, const cJSON *rsp);
int mc_network_format_services(struct mc_buf *out, const cJSON *rsp);

#endif
