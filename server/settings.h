/*
 * Settings of `micro server`: listen addresses and the state directory, from
 * flags (`--api_address X` or `--api_address=X`) over environment variables
 * (MICRO_API_ADDRESS, ...) over defaults (loopback, as DESIGN.md §2 says).
 */
#ifndef MC_SERVER_SETTINGS_H
#define MC_SERVER_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#define MC_ADDR_MAX 256
#define MC_PATH_MAX 4096

struct mc_server_settings {
    char api_address[MC_ADDR_MAX];     /* HTTP API gateway, default 127.0.0.1:8080 */
    char proxy_address[MC_ADDR_MAX];   /* gRPC proxy and core services, default 127.0.0.1:8081 */
    char web_address[MC_ADDR_MAX];     /* web dashboard, default 127.0.0.1:8082 */
    char profile[MC_ADDR_MAX];         /* backends: "local" (sqlite3 under home) or "test" */
    char home[MC_PATH_MAX];            /* MICRO_HOME, default $HOME/.micro */
    int show_help;                     /* --help / -h given */
};

/* Fills s from defaults, the environment, then argv (argv[0] is "server").
 * Returns 0, or MC_EINVAL with a one-line message in err (unknown flag, missing
 * value, value too long). */
int mc_server_settings_parse(struct mc_server_settings *s, int argc, char **argv,
                             char *err, size_t errlen);

/* Prints the usage text of `micro server --help`, generated from the flag table. */
void mc_server_settings_usage(FILE *out);

/* Creates the state directory (and parents) with mode 0700 if missing.
 * Returns 0, or MC_EIO with the reason in err. */
int mc_server_settings_make_home(const struct mc_server_settings *s, char *err, size_t errlen);

#endif
