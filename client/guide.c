/*
 * Guided calls on a session (guide.h): the registry lookup of the endpoint's
 * request and the hand-over to guided.c, shared by the prompt and one-shot
 * `--edit`.
 */
#include "guide.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "dispatch.h"
#include "dynamic.h"
#include "mc_common.h"
#include "schema_cache.h"
#include "tty_input.h"
#include "mc_banned.h"

bool mc_guide_has_edit(int argc, char *const *argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--edit") || !strcmp(argv[i], "--edit=true"))
            return true;
    return false;
}

/* A cheap look at the words before any registry lookup: `--edit`, or (not
 * edit_only) at least two words and no flag. */
static bool maybe_guided(int argc, char **argv, bool edit_only)
{
    int args = 0, flags = 0;

    if (mc_guide_has_edit(argc, argv))
        return true;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-')
            flags++;
        else
            args++;
    }
    return !edit_only && args >= 2 && flags == 0;
}

/* The request Value of the endpoint argv names, or NULL; *svc owns it. */
static const cJSON *request_of(struct mc_cli *cli, int argc, char **argv, cJSON **svc)
{
    char domain[MC_CLI_NAME_MAX], ep[MC_DYN_NAME_MAX], err[256];
    const char *args[MC_DYN_MAX_WORDS];
    struct mc_cli_failure f;
    int n = 0;

    for (int i = 0; i < argc && n < MC_DYN_MAX_WORDS; i++)
        if (argv[i][0] != '-')
            args[n++] = argv[i];
    if (mc_dyn_endpoint(n, args, ep, sizeof(ep), err, sizeof(err)) != 0)
        return NULL;
    mc_cli_failure_init(&f);
    const cJSON *endpoint = NULL;
    for (int refresh = 0; refresh < 2 && !endpoint; refresh++) {
        cJSON_Delete(*svc);
        *svc = NULL;
        if (mc_dyn_lookup(cli, argv[0], refresh, svc, domain, NULL, &f) != 0)
            break;
        endpoint = mc_schema_endpoint(*svc, ep);
    }
    mc_cli_failure_release(&f);
    return endpoint ? mc_schema_endpoint_request(endpoint) : NULL;
}

int mc_guide(struct mc_cli *cli, int argc, char **argv, bool edit_only, mc_guided_read_fn *read,
             void *ud, struct mc_guided *g)
{
    char plugin[PATH_MAX], err[512];
    int consumed;
    bool edit;

    if (argc < 1 || mc_cmd_find(mc_commands_root(), argc, argv, &consumed) ||
        !maybe_guided(argc, argv, edit_only) ||
        mc_dispatch_find_plugin(argv[0], plugin, sizeof(plugin)) == 0)
        return 0;
    cJSON *svc = NULL;
    const cJSON *request = request_of(cli, argc, argv, &svc);
    int rc = 0;
    if (request && mc_guided_wanted(argc, argv, request, &edit) && (edit || !edit_only)) {
        if (!read) {
            fprintf(cli->err, "--edit asks for the request's fields on a terminal; stdin is "
                              "not one: give the fields as flags\n");
            rc = MC_EUNSUPPORTED;
        } else {
            rc = mc_guided_fill(argc, argv, request, read, ud, stderr, g, err, sizeof(err));
            if (rc == 0)
                rc = 1;
            else if (rc != MC_ECANCELED)
                fprintf(cli->err, "%s\n", err);
        }
    }
    cJSON_Delete(svc);
    return rc;
}

int mc_guide_tty_read(void *ud, const char *prompt, char **line)
{
    char buf[MC_TTY_LINE_MAX];

    (void)ud;
    *line = NULL;
    int rc = mc_tty_read_line(stderr, prompt, false, buf, sizeof(buf));
    if (rc == MC_ECLOSED)
        return MC_ECLOSED;
    if (rc != 0) {
        /* too long or unreadable: nothing is sent */
        fprintf(stderr, "%s\n", rc == MC_ETOOBIG ? "answer too long" : "cannot read from stdin");
        return MC_ECANCELED;
    }
    *line = mc_strdup(buf);
    return 0;
}
