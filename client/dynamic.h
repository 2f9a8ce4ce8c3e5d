/*
 * The parts of dynamic commands (`micro <service> [handler] [endpoint]
 * --field=value`, spec §3.3; mc_dynamic_run in commands.h) that do no I/O,
 * visible for unit tests and for the prompt's completion: splitting the words
 * into arguments and flags, the endpoint the arguments name, the request JSON
 * the flags make under an endpoint's request schema, the help texts, and the
 * service lookup order.
 *
 * Flag names follow the schema's field names. Nested fields are reached with
 * '-' (v3.10+), '_' (v3.1-v3.9 and the help text) or '.' between levels, at
 * any depth; inside a name '-' and '_' are interchangeable (--token-expiry is
 * token_expiry). Values are typed by the field's Go type name: bool (bare flag
 * = true), int32/int64/uint32/uint64 (with 0x, 0o, 0b and Go's leading-0
 * octal), float32/float64, string, []uint8 (a base64 string), []T (repeated
 * flags, one comma-separated list, or a JSON array), map[K]V (a JSON object,
 * or key=value pairs), and a message field given whole as a JSON object;
 * enums and other named types take their JSON when it parses, else the text
 * as a string. A value that does not fit its type is an error naming the flag
 * and the type. When the registry has no schema for the endpoint (a service
 * registered without endpoints), flags are sent as strings by their path.
 */
#ifndef MC_CLIENT_DYNAMIC_H
#define MC_CLIENT_DYNAMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define MC_DYN_MAX_WORDS 4096   /* words after `micro` */
#define MC_DYN_MAX_DEPTH 32     /* levels of a flag path */
#define MC_DYN_NAME_MAX 256     /* an endpoint name; a service alias */

/* One flag: its name as typed (without "--") and its values in order. */
struct mc_dyn_flag {
    char *key;           /* heap */
    int count;           /* 0 for a bare `--k` at the end or before another flag */
    const char **values; /* borrowed from argv; heap array */
};

/* The words of a dynamic command, split as upstream's splitCmdArgs does:
 * "--k=v" and "--k v" set k, anything else is an argument. */
struct mc_dyn_args {
    int argc;                  /* arguments; argv[0] is the service alias */
    const char **argv;         /* borrowed; heap array */
    int nflags;                /* flags in order of first appearance */
    struct mc_dyn_flag *flags; /* heap */
    bool help;                 /* --help (any value) or a bare -h word */
};

/*
 * Splits argv[0..argc). Returns 0, or MC_EINVAL with a one-line message in err
 * ("Invalid flag: --a=b=c. Expected format: --foo=bar") or MC_ETOOBIG past
 * MC_DYN_MAX_WORDS. Release a with mc_dyn_args_release in every case.
 */
int mc_dyn_split(int argc, char **argv, struct mc_dyn_args *a, char *err, size_t errlen);
void mc_dyn_args_release(struct mc_dyn_args *a);

/*
 * The endpoint the arguments name: 1 → "<Alias>.Call", 2 → "<A0>.<A1>",
 * 3 → "<A1>.<A2>", each word with its first letter upper-cased. Returns 0, or
 * MC_EINVAL with "Incorrect number of arguments" (or a too-long name) in err.
 */
int mc_dyn_endpoint(int argc, const char *const *argv, char *buf, size_t n, char *err,
                    size_t errlen);

/* The help command name of an endpoint for alias: "Registry.GetService" →
 * "getService", "Foo.Bar" on helloworld → "foo bar". */
void mc_dyn_command_name(const char *alias, const char *endpoint, char *buf, size_t n);

/*
 * The request JSON (compact, heap: free()) that the flags make under the
 * request Value (NULL = no schema: every flag a string at its path).
 * Returns 0; MC_ENOTFOUND with "Unknown flag: KEY" in err; MC_EINVAL with
 * "Invalid value \"V\" for flag --KEY: expected TYPE" (or a conflict of two
 * flags) in err. *json is NULL on error.
 */
int mc_dyn_request(const struct mc_dyn_args *a, const cJSON *request, char **json, char *err,
                   size_t errlen);

/* Service-level help (upstream's FormatServiceUsage), ending with the blank
 * line urfave's exit message adds. */
void mc_dyn_help_service(FILE *out, const char *alias, const cJSON *svc);

/* Endpoint-level help for the command `sub` ("getService", "foo bar"): NAME,
 * USAGE and FLAGS (leaf fields joined with '_' and their types). Returns 0, or
 * MC_ENOTFOUND (nothing printed) when no endpoint has that command name. */
int mc_dyn_help_endpoint(FILE *out, const char *alias, const char *sub, const cJSON *svc);

/* Whether name is one of the core services, looked up in domain "micro" and
 * called with namespace "micro" (spec §3.3). */
bool mc_dyn_builtin_service(const char *name);

/*
 * Finds the registry entry for alias: a core service in domain "micro";
 * another name in the current namespace, then in "micro". Returns 0 with *svc
 * (owned: cJSON_Delete) and the domain it was found in (domain, at least
 * MC_CLI_NAME_MAX bytes); MC_ENOTFOUND; or MC_EIO with f filled.
 */
int mc_dyn_lookup(struct mc_cli *cli, const char *alias, bool refresh, cJSON **svc,
                  char *domain, bool *from_cache, struct mc_cli_failure *f);

#endif
