/* `micro server` settings: see settings.h. */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mc_common.h"
#include "mc_banned.h"

struct flag {
    const char *name;     /* without the leading dashes */
    const char *env;
    size_t offset;        /* into struct mc_server_settings */
    const char *defval;
    const char *help;
};

#define FIELD(f) offsetof(struct mc_server_settings, f)

static const struct flag flags[] = {
    { "api_address", "MICRO_API_ADDRESS", FIELD(api_address), "127.0.0.1:8080",
      "address of the HTTP API gateway" },
    { "proxy_address", "MICRO_PROXY_ADDRESS", FIELD(proxy_address), "127.0.0.1:8081",
      "address of the gRPC proxy serving every core service" },
    { "web_address", "MICRO_WEB_ADDRESS", FIELD(web_address), "127.0.0.1:8082",
      "address of the web dashboard" },
    { "profile", "MICRO_PROFILE", FIELD(profile), "local",
      "backends: local (sqlite3 under $MICRO_HOME) or test (in memory, empty at every start)" },
};

static int set_field(struct mc_server_settings *s, size_t offset, const char *value)
{
    char *dst = (char *)s + offset;
    size_t cap = offset == FIELD(home) ? MC_PATH_MAX : MC_ADDR_MAX;

    if (strlen(value) >= cap)
        return MC_ETOOBIG;
    memcpy(dst, value, strlen(value) + 1);
    return MC_OK;
}

static void default_home(struct mc_server_settings *s)
{
    const char *home = getenv("MICRO_HOME");
    const char *user_home = getenv("HOME");

    if (home && *home)
        snprintf(s->home, sizeof(s->home), "%s", home);
    else
        snprintf(s->home, sizeof(s->home), "%s/.micro", user_home && *user_home ? user_home : ".");
}

static const struct flag *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(flags); i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

int mc_server_settings_parse(struct mc_server_settings *s, int argc, char **argv,
                             char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    default_home(s);
    for (size_t i = 0; i < MC_ARRAY_LEN(flags); i++) {
        const char *env = getenv(flags[i].env);
        if (set_field(s, flags[i].offset, env && *env ? env : flags[i].defval) < 0) {
            snprintf(err, errlen, "%s is too long", flags[i].env);
            return MC_EINVAL;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *name, *eq, *value;
        const struct flag *f;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            s->show_help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 && !(arg[0] == '-' && arg[1] != '\0')) {
            snprintf(err, errlen, "unexpected argument '%s'", arg);
            return MC_EINVAL;
        }
        name = arg + (arg[1] == '-' ? 2 : 1);
        eq = strchr(name, '=');
        f = find_flag(name, eq ? (size_t)(eq - name) : strlen(name));
        if (!f) {
            snprintf(err, errlen, "flag provided but not defined: -%.*s",
                     (int)(eq ? eq - name : (long)strlen(name)), name);
            return MC_EINVAL;
        }
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            snprintf(err, errlen, "flag needs an argument: -%s", f->name);
            return MC_EINVAL;
        }
        if (set_field(s, f->offset, value) < 0) {
            snprintf(err, errlen, "value of --%s is too long", f->name);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

void mc_server_settings_usage(FILE *out)
{
    fputs("NAME:\n   micro server - Run the micro server\n\n"
          "USAGE:\n   micro server [command options]\n\nOPTIONS:\n", out);
    for (size_t i = 0; i < MC_ARRAY_LEN(flags); i++)
        fprintf(out, "   --%s value\t%s (default: %s) [$%s]\n", flags[i].name, flags[i].help,
                flags[i].defval, flags[i].env);
    fputs("   --help, -h\tshow help (default: false)\n\n"
          "State lives in $MICRO_HOME (default: $HOME/.micro).\n", out);
}

int mc_server_settings_make_home(const struct mc_server_settings *s, char *err, size_t errlen)
{
    char path[MC_PATH_MAX];
    size_t n = strlen(s->home);

    memcpy(path, s->home, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
            return MC_EIO;
        }
        path[i] = i == n ? '\0' : '/';
    }
    return MC_OK;
}
