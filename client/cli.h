/*
 * The client session: what every command of one `micro` run (or one prompt
 * session, which runs many commands) shares. It knows the user's files
 * (config.json and tokens under MICRO_HOME, see userconf.h), the current
 * environment and namespace, the access token (refreshed before expiry, spec
 * §3.10), and owns one transport connection to the environment's proxy,
 * opened on the first call and reused by every later one.
 *
 * Commands never talk to the transport directly: they call mc_cli_call /
 * mc_cli_stream, which add the token and namespace, map failures to a
 * `struct mc_cli_failure`, and let mc_cli_fail print it with upstream's
 * message and exit code (spec §3.8).
 */
#ifndef MC_CLIENT_CLI_H
#define MC_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mc_error.h"

struct mc_userconf;
struct mc_transport;
struct mc_schema_cache;

#define MC_CLI_NAME_MAX 256   /* env, namespace, account id */
#define MC_CLI_ADDR_MAX 512   /* host:port */

/* Options from global flags and MICRO_* variables (main.c fills them). */
struct mc_cli_options {
    const char *config_file; /* --config_file / MICRO_CONFIG_FILE, or NULL = $MICRO_HOME/config.json */
    const char *env;         /* --env/-e / MICRO_ENV: overrides config.json's "env" for this run */
    const char *namespace_;  /* --namespace / MICRO_NAMESPACE: overrides the env's current namespace */
    const char *proxy_address; /* --proxy_address / MICRO_PROXY: overrides the env's address */
};

struct mc_cli {
    FILE *out;          /* stdout: results */
    FILE *err;          /* stderr: errors, help of dynamic commands (as upstream) */
    bool out_tty;       /* out is a terminal */
    bool color;         /* out_tty and NO_COLOR unset (and TERM not "dumb") */
    bool in_tty;        /* stdin is a terminal (login may prompt) */

    struct mc_userconf *conf;      /* loaded at open; saved by the commands that change it */
    char env[MC_CLI_NAME_MAX];     /* current environment name ("local") */
    char address[MC_CLI_ADDR_MAX]; /* its proxy address ("127.0.0.1:8081") */
    bool tls;                      /* the address's port is 443, or the env says TLS */
    char namespace_[MC_CLI_NAME_MAX]; /* current namespace ("micro") */

    struct mc_transport *tx;       /* NULL until the first call */
    struct mc_schema_cache *schemas; /* dynamic commands' endpoint schemas, NULL until used */
    struct mc_cli_options opts;    /* copies of the pointers given to mc_cli_open */

    /* cli.c's token state (mc_cli_token): the token last handed out (heap, or
     * NULL), and a guard so the refresh call does not refresh again. */
    char *token;
    bool refreshing;

    /* When non-zero (mc_now_ms clock), no call runs past it and one asked for
     * after it fails at once without touching the network: completion's
     * budget (complete.c), which a dead or blackholed server must not exceed. */
    uint64_t deadline_ms;
};

/*
 * Opens a session: reads config.json (creating MICRO_HOME 0700 and the file
 * as {"env":"local"} 0600 when missing), resolves the environment (opts->env,
 * else config "env", else "local"), its address and namespace. Does not
 * connect. On error returns a negative MC_E* and writes a one-line message
 * to errbuf (e.g. "Environment 'x' does not exist").
 */
int mc_cli_open(struct mc_cli *cli, const struct mc_cli_options *opts, char *errbuf,
                size_t errlen);
void mc_cli_close(struct mc_cli *cli);

/* Re-reads env/namespace after a command changed them (env set, namespace set,
 * login), dropping the connection when the address changed. */
int mc_cli_reload(struct mc_cli *cli, char *errbuf, size_t errlen);

/* Why a call failed, enough to print upstream's message and exit code. */
enum mc_cli_failure_kind {
    MC_CLI_OK = 0,
    MC_CLI_DIAL,        /* could not connect: "Failed to connect to micro server at ADDR" (4) */
    MC_CLI_MICRO_ERROR, /* the server answered with a micro error (e.error) */
    MC_CLI_LOCAL,       /* a client-side error before/after the call: message in e.error.detail */
};
struct mc_cli_failure {
    enum mc_cli_failure_kind kind;
    struct mc_error error; /* for MICRO_ERROR: as received; for LOCAL: detail only */
};
void mc_cli_failure_init(struct mc_cli_failure *f);
void mc_cli_failure_release(struct mc_cli_failure *f);

/* Per-call options; a zeroed struct means the defaults. */
struct mc_call_opts {
    const char *namespace_;       /* Micro-Namespace header; NULL = the current namespace */
    const char *const *metadata;  /* "Key=Value" strings (call --metadata), or NULL */
    int metadata_count;
    uint64_t timeout_ms;          /* 0 = the default (MC_CLI_DEFAULT_TIMEOUT_MS) */
    bool no_auth;                 /* send no Authorization (login itself) */
};
#define MC_CLI_DEFAULT_TIMEOUT_MS 30000u

/*
 * One unary call: POSTs req_json (a JSON object; NULL = "{}") to
 * /<service>.<endpoint> ("Store.Read") on the current environment with the
 * JSON codec, the current token and the namespace. On success returns 0 and
 * *resp_json gets the response JSON (heap, NUL-terminated; free()). On failure
 * returns -1 and fills f.
 */
int mc_cli_call(struct mc_cli *cli, const char *service, const char *endpoint,
                const char *req_json, const struct mc_call_opts *opts, char **resp_json,
                struct mc_cli_failure *f);

/* mc_cli_call in protobuf: req (len bytes, packed) out, the packed answer back
 * in *resp / *resp_len (malloc'd). For calls whose JSON would cost more than the
 * call: a registry listing of thousands of services. */
int mc_cli_call_proto(struct mc_cli *cli, const char *service, const char *endpoint,
                      const void *req, size_t len, const struct mc_call_opts *opts,
                      uint8_t **resp, size_t *resp_len, struct mc_cli_failure *f);

/* Every service version registered in domain (NULL: no options, the server's
 * default), from one Registry.ListServices in protobuf; free *out with
 * registry__list_response__free_unpacked(*out, NULL). */
struct Registry__ListResponse;
int mc_cli_list_services(struct mc_cli *cli, const char *domain,
                         struct Registry__ListResponse **out, struct mc_cli_failure *f);

/* The names of every service version registered in domain (one per version,
 * in the registry's order; NULL-terminated, free with mc_cli_names_free). */
int mc_cli_service_names(struct mc_cli *cli, const char *domain, char ***names, size_t *n,
                         struct mc_cli_failure *f);
/* Frees a NULL-terminated array of heap strings (NULL is a no-op). */
void mc_cli_names_free(char **names);

/*
 * A server-streaming call: sends req_json once, then calls on_msg for each
 * response message (JSON, not NUL-terminated beyond len) until the stream
 * ends, on_msg returns non-zero (the stream is cancelled; returns 0), or
 * an error (returns -1, f filled). A stream has no deadline unless
 * opts->timeout_ms is set (MC_CLI_DEFAULT_TIMEOUT_MS is for unary calls).
 */
typedef int mc_cli_msg_fn(void *ud, const char *json, size_t len);
int mc_cli_stream(struct mc_cli *cli, const char *service, const char *endpoint,
                  const char *req_json, const struct mc_call_opts *opts, mc_cli_msg_fn *on_msg,
                  void *ud, struct mc_cli_failure *f);

/*
 * A client-streaming call (Source.Upload): next(ud, &len) yields the request
 * messages (JSON, borrowed until the next call to next) until it returns
 * NULL; they go out together as one request stream, which is then
 * half-closed, and the one response comes back as from mc_cli_call (same
 * default deadline, same failures). All messages together are bounded by
 * MC_TRANSPORT_MAX_UPLOAD (past it: MC_CLI_LOCAL, nothing sent).
 */
typedef const char *mc_cli_next_fn(void *ud, size_t *len);
int mc_cli_client_stream(struct mc_cli *cli, const char *service, const char *endpoint,
                         mc_cli_next_fn *next, void *next_ud, const struct mc_call_opts *opts,
                         char **resp_json, struct mc_cli_failure *f);

/*
 * Prints a failure to cli->err as upstream (spec §3.8) and returns its exit
 * code: 1 timeout (408) "Request timed out"; 2 (401) "Not authorized to perform
 * this request"; 4 route not found → `Service "X" not found`, dial failure →
 * "Failed to connect to micro server at ADDR"; 5 unknown service → `Service
 * [method] "X" not found`; 127 other micro errors: the detail with its first
 * letter upper-cased; 128 anything else.
 */
int mc_cli_fail(struct mc_cli *cli, const struct mc_cli_failure *f);

/* The access token to send (refreshed first when it expires within a minute
 * and a refresh token exists, §3.10), or NULL when not logged in / expired. */
const char *mc_cli_token(struct mc_cli *cli);

/*
 * Login's building blocks (cli.c). mc_cli_token_request calls Auth.Token
 * without a token, with credentials (id, secret) or a refresh token, asking
 * for expiry_s seconds, in the current namespace; returns 0 with tok filled
 * (released first) or -1 with f filled. mc_cli_save_token makes tok the
 * current user's: the account in the token becomes <env>.current-user in
 * config.json and tok goes to the tokens file; returns 0 or a negative
 * MC_E* with a message in err.
 */
/* A client-side error (not from the server): prints the formatted message as
 * mc_cli_fail prints an MC_CLI_LOCAL failure and returns its exit code. */
int mc_cli_fail_local(struct mc_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct mc_token;
int mc_cli_token_request(struct mc_cli *cli, const char *id, const char *secret,
                         const char *refresh, int64_t expiry_s, struct mc_token *tok,
                         struct mc_cli_failure *f);
int mc_cli_save_token(struct mc_cli *cli, const struct mc_token *tok, char *err, size_t errlen);

#endif
