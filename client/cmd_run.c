/*
 * `micro run`, `micro update` and `micro kill` (spec §10): services on the
 * runtime. A local folder is packed (shared/mc_tar, without .git, .micro and
 * build folders) and sent with Source.Upload, whose answer ("source://name:
 * version") becomes the service's source; a git source (a URL, host/org/
 * repo[/folder][@ref], or a short name under the git.baseurl setting) is
 * passed to the runtime, which fetches it. As upstream, a successful run
 * prints nothing; on a terminal, stderr shows what is happening while the
 * source uploads and the service builds and starts, and a build or start
 * that fails is reported there with its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "builtin_util.h"
#include "cli.h"
#include "cmd.h"
#include "commands.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "mc_tar.h"
#include "output.h"
#include "run_util.h"
#include "transport.h"
#include "userconf.h"
#include "mc_banned.h"

#define UPLOAD_CHUNK (64u * 1024u)     /* archive bytes per Source.Upload message */
#define UPLOAD_TIMEOUT_MS 300000u
#define WATCH_INTERVAL_MS 400u
#define WATCH_MAX_MS (30u * 60u * 1000u) /* a build that takes longer is left to `status` */
#define WATCH_DELAY_MS 1000             /* run --watch: upstream's --watch_delay default */
#define WATCH_SLICE_MS 50u               /* how soon a Ctrl-C ends the watch */
#define WATCH_DELAY_MAX_MS 3600000u
#define META_MAX 64                      /* --metadata and --env_vars values */

/* Folders never uploaded: version control, the runtime's own, build output. */
static const char *const pack_skip[] = { ".git", ".micro", "build", NULL };

/* ---- what the user asked for ------------------------------------------------------- */

struct run_req {
    struct mc_run_source src;
    char name[MC_RUN_NAME_MAX];
    char source[MC_RUN_ARG_MAX]; /* Service.source: the upload's id or the repository */
    const char *typed;           /* the argument as given: metadata "source" */
};

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* git.<env>.baseurl, else git.baseurl (heap, "" when unset). */
static char *base_url(struct mc_cli *cli)
{
    char path[MC_CLI_NAME_MAX + 32];
    char *v;

    snprintf(path, sizeof(path), "git.%s.baseurl", cli->env);
    v = mc_userconf_get(cli->conf, path);
    if (*v)
        return v;
    free(v);
    return mc_userconf_get(cli->conf, "git.baseurl");
}

/* Parses arg into r; the name from --name or the source. A local folder
 * must exist unless only its name is needed (kill). Prints errors. */
static int resolve(struct mc_cli *cli, const struct mc_args *args, const char *arg,
                   bool need_folder, struct run_req *r)
{
    const char *flag_name = mc_args_str(args, "name");
    char err[256];
    char *base = base_url(cli);
    int rc = mc_run_source_parse(arg, is_dir(arg), base, &r->src, err, sizeof(err));

    free(base);
    if (rc < 0)
        return mc_cli_fail_local(cli, "%s", err);
    r->typed = arg;
    const char *const *md;
    int nmd = mc_args_strings(args, "metadata", &md);
    for (int i = 0; i < nmd; i++) {
        const char *eq = strchr(md[i], '=');
        if (!eq || eq == md[i])
            return mc_cli_fail_local(cli, "invalid metadata '%s': expected key=value", md[i]);
    }
    if (nmd > META_MAX)
        return mc_cli_fail_local(cli, "too many --metadata values (at most %d)", META_MAX);
    if (r->src.local) {
        char *real = realpath(r->src.path, NULL);
        if ((!real || !is_dir(real)) && need_folder) {
            free(real);
            return mc_cli_fail_local(cli, "no folder at %s", r->src.path);
        }
        if (real && strlen(real) >= sizeof(r->src.path)) {
            free(real);
            return mc_cli_fail_local(cli, "path too long: %s", r->src.path);
        }
        /* a folder's name is its last component, of its real path for "." */
        const char *p = real ? real : r->src.path;
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        size_t start = n;
        while (start > 0 && p[start - 1] != '/')
            start--;
        snprintf(r->src.name, sizeof(r->src.name), "%.*s", (int)(n - start), p + start);
        if (real)
            snprintf(r->src.path, sizeof(r->src.path), "%s", real);
        free(real);
    }
    snprintf(r->name, sizeof(r->name), "%s", flag_name && *flag_name ? flag_name : r->src.name);
    if (!mc_run_name_valid(r->name))
        return mc_cli_fail_local(cli, "invalid service name '%s'%s", r->name,
                                 flag_name && *flag_name ? "" : ": set one with --name");
    return 0;
}

/* ---- Source.Upload ----------------------------------------------------------------- */

struct upload {
    const uint8_t *data;
    size_t len, off;
    bool started;
    const char *name, *version;
    struct mc_buf msg;
};

/* The next UploadRequest: the service on the first only, then data chunks. */
static const char *next_chunk(void *ud, size_t *len)
{
    struct upload *u = ud;
    size_t n = MC_MIN(u->len - u->off, (size_t)UPLOAD_CHUNK);

    if (u->started && u->off == u->len)
        return NULL;
    mc_buf_reset(&u->msg);
    mc_buf_append_str(&u->msg, "{");
    if (!u->started) {
        mc_buf_append_str(&u->msg, "\"service\":{\"name\":");
        mc_go_json_string(&u->msg, u->name, strlen(u->name));
        mc_buf_append_str(&u->msg, ",\"version\":");
        mc_go_json_string(&u->msg, u->version, strlen(u->version));
        mc_buf_append_str(&u->msg, "},");
        u->started = true;
    }
    mc_buf_append_str(&u->msg, "\"data\":\"");
    mc_go_base64(&u->msg, u->data + u->off, n);
    mc_buf_append_str(&u->msg, "\"}");
    u->off += n;
    *len = u->msg.len;
    return u->msg.data;
}

static bool err_tty(const struct mc_cli *cli)
{
    return isatty(fileno(cli->err)) == 1;
}

/* Packs the folder and uploads it; r->source gets the id. */
static int upload(struct mc_cli *cli, struct run_req *r)
{
    struct mc_buf tar;
    struct mc_cli_failure f;
    struct mc_call_opts o = { .timeout_ms = UPLOAD_TIMEOUT_MS };
    char err[512], *rsp = NULL;
    int rc;

    mc_buf_init(&tar, MC_TAR_MAX_BYTES);
    rc = mc_tar_pack(r->src.path, pack_skip, &tar, err, sizeof(err));
    if (rc < 0) {
        mc_buf_release(&tar);
        return mc_cli_fail_local(cli, "%s", err);
    }
    struct upload u = { .data = (const uint8_t *)tar.data, .len = tar.len, .name = r->name,
                        .version = r->src.version };
    mc_buf_init(&u.msg, 2 * UPLOAD_CHUNK + 4096);
    if (err_tty(cli)) {
        fprintf(cli->err, "Uploading %s (%zu KiB)...", r->name, (tar.len + 1023) / 1024);
        fflush(cli->err);
    }
    mc_cli_failure_init(&f);
    rc = mc_cli_client_stream(cli, "runtime", "Source.Upload", next_chunk, &u, &o, &rsp, &f);
    if (err_tty(cli))
        fputs("\r\033[K", cli->err);
    mc_buf_release(&u.msg);
    mc_buf_release(&tar);
    if (rc < 0) {
        rc = mc_cli_fail(cli, &f);
        mc_cli_failure_release(&f);
        return rc;
    }
    cJSON *doc = cJSON_Parse(rsp);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
    rc = 0;
    if (!id || !*id || strlen(id) >= sizeof(r->source))
        rc = mc_cli_fail_local(cli, "malformed response from Source.Upload");
    else
        snprintf(r->source, sizeof(r->source), "%s", id);
    cJSON_Delete(doc);
    free(rsp);
    return rc;
}

/* ---- the request ------------------------------------------------------------------- */

/* --env_vars values, each a comma-separated list, as upstream splits them. */
static void add_env(cJSON *opts, const struct mc_args *args)
{
    const char *const *vals;
    int n = mc_args_strings(args, "env_vars", &vals);
    cJSON *env = NULL;

    for (int i = 0; i < n; i++) {
        for (const char *s = vals[i]; *s;) {
            size_t len = strcspn(s, ",");
            const char *b = s, *e = s + len;
            while (b < e && (*b == ' ' || *b == '\t'))
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > b) {
                char *item = mc_strndup(b, (size_t)(e - b));
                if (!env)
                    env = cJSON_AddArrayToObject(opts, "env");
                cJSON_AddItemToArray(env, cJSON_CreateString(item));
                free(item);
            }
            s += len;
            if (*s == ',')
                s++;
        }
    }
}

/* A space-separated flag (--command, --args) as a list. */
static void add_words(cJSON *opts, const char *key, const char *value)
{
    cJSON *list = NULL;

    for (const char *s = value ? value : ""; *s;) {
        size_t skip = strspn(s, " ");
        s += skip;
        size_t len = strcspn(s, " ");
        if (len == 0)
            break;
        char *w = mc_strndup(s, len);
        if (!list)
            list = cJSON_AddArrayToObject(opts, key);
        cJSON_AddItemToArray(list, cJSON_CreateString(w));
        free(w);
        s += len;
    }
}

/* The Service message (--metadata was checked by resolve). */
static cJSON *service_json(const struct mc_args *args, const struct run_req *r,
                           bool with_source)
{
    cJSON *svc = cJSON_CreateObject(), *md;
    const char *const *vals;
    int n = args ? mc_args_strings(args, "metadata", &vals) : 0;

    cJSON_AddStringToObject(svc, "name", r->name);
    cJSON_AddStringToObject(svc, "version", r->src.version);
    if (!with_source)
        return svc;
    cJSON_AddStringToObject(svc, "source", r->source);
    md = cJSON_AddObjectToObject(svc, "metadata");
    for (int i = 0; i < n && i < META_MAX; i++) {
        const char *eq = strchr(vals[i], '=');
        if (!eq)
            continue;
        char *key = mc_strndup(vals[i], (size_t)(eq - vals[i]));
        cJSON_DeleteItemFromObjectCaseSensitive(md, key);
        cJSON_AddStringToObject(md, key, eq + 1);
        free(key);
    }
    /* the argument as typed, which `status` shows as SOURCE */
    cJSON_DeleteItemFromObjectCaseSensitive(md, "source");
    cJSON_AddStringToObject(md, "source", r->typed);
    return svc;
}

static const char *entrypoint(const struct mc_args *args, const struct run_req *r)
{
    const char *ep = mc_args_str(args, "entrypoint");
    return ep && *ep ? ep : r->src.folder;
}

static cJSON *create_request(struct mc_cli *cli, const struct mc_args *args,
                             const struct run_req *r, bool force)
{
    cJSON *svc = service_json(args, r, true);
    const char *type = mc_args_str(args, "type");
    cJSON *req, *opts;

    req = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(req, "resource"), "service", svc);
    opts = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    add_env(opts, args);
    add_words(opts, "command", mc_args_str(args, "command"));
    add_words(opts, "args", mc_args_str(args, "args"));
    if (type && *type)
        cJSON_AddStringToObject(opts, "type", type);
    if (*entrypoint(args, r))
        cJSON_AddStringToObject(opts, "entrypoint", entrypoint(args, r));
    cJSON_AddNumberToObject(opts, "instances", (double)mc_args_int(args, "instances", 1));
    if (force)
        cJSON_AddBoolToObject(opts, "force", true);
    return req;
}

static cJSON *update_request(struct mc_cli *cli, const struct mc_args *args,
                             const struct run_req *r)
{
    cJSON *svc = service_json(args, r, true);
    cJSON *req, *opts;

    req = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(req, "resource"), "service", svc);
    opts = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    if (*entrypoint(args, r))
        cJSON_AddStringToObject(opts, "entrypoint", entrypoint(args, r));
    if (mc_args_isset(args, "instances"))
        cJSON_AddNumberToObject(opts, "instances", (double)mc_args_int(args, "instances", 1));
    return req;
}

/* Calls a runtime endpoint whose answer is empty; prints failures. */
static int runtime_call(struct mc_cli *cli, const char *endpoint, cJSON *req)
{
    struct mc_cli_failure f;
    cJSON *rsp = NULL;
    int rc = 0;

    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "runtime", endpoint, req, &rsp, &f) < 0)
        rc = mc_cli_fail(cli, &f);
    cJSON_Delete(rsp);
    cJSON_Delete(req);
    mc_cli_failure_release(&f);
    return rc;
}

/* ---- progress on a terminal -------------------------------------------------------- */

/* The service's record (status and error text) from Runtime.Read; false when
 * it cannot be read or is gone. */
static bool read_status(struct mc_cli *cli, const struct run_req *r, int *status,
                        char *error, size_t errlen)
{
    cJSON *req = cJSON_CreateObject(), *rsp = NULL;
    cJSON *opts = cJSON_AddObjectToObject(req, "options");
    struct mc_cli_failure f;
    bool found = false;

    cJSON_AddStringToObject(opts, "service", r->name);
    cJSON_AddStringToObject(opts, "version", r->src.version);
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "runtime", "Runtime.Read", req, &rsp, &f) == 0) {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rsp, "services"))
        {
            const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name"));
            if (!n || strcmp(n, r->name) != 0)
                continue;
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "status");
            const cJSON *md = cJSON_GetObjectItemCaseSensitive(s, "metadata");
            const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "error"));
            *status = cJSON_IsNumber(st) ? (int)st->valuedouble : 0;
            snprintf(error, errlen, "%s", e ? e : "");
            found = true;
            break;
        }
    }
    mc_cli_failure_release(&f);
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    return found;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/*
 * On a terminal: a spinner with the status while the service is pending,
 * building or starting; returns 0 once it runs (or leaves the watch: gone,
 * stopped, too long), 1 after printing the reason of an error.
 */
static int watch(struct mc_cli *cli, const struct run_req *r)
{
    static const char spin[] = "|/-\\";
    char error[1024];
    int status = 0;

    if (!err_tty(cli))
        return 0;
    for (unsigned waited = 0, i = 0; waited < WATCH_MAX_MS; waited += WATCH_INTERVAL_MS, i++) {
        if (!read_status(cli, r, &status, error, sizeof(error)))
            break;
        if (status < 1 || status > 3)
            break; /* running, error, stopped: the wait is over */
        fprintf(cli->err, "\r\033[K%c %s %s", spin[i % 4], mc_run_status_name(status), r->name);
        fflush(cli->err);
        sleep_ms(WATCH_INTERVAL_MS);
    }
    fputs("\r\033[K", cli->err);
    if (status != 7)
        return 0;
    fprintf(cli->err, "%s failed: ", r->name);
    mc_out_capitalized(cli->err, *error ? error : "unknown error");
    fputc('\n', cli->err);
    return 1;
}

/* ---- the commands ------------------------------------------------------------------ */

/* Fills r->source: the upload's id for a folder, the repository otherwise. */
static int prepare_source(struct mc_cli *cli, struct run_req *r)
{
    if (r->src.local)
        return upload(cli, r);
    snprintf(r->source, sizeof(r->source), "%s", r->src.url);
    return 0;
}

/*
 * `run --watch` on a local folder: every --watch_delay ms the folder's sources
 * are fingerprinted (run_util.h); after a change the folder is uploaded again
 * and the service recreated (force), and the spinner shows the new build. A
 * build that fails is reported and the watch goes on (the next save may fix
 * it). Ends on Ctrl-C: the process's SIGINT, or the prompt's (the transport's
 * cancel flag), which leaves the prompt running.
 */
static int watch_sources(struct mc_cli *cli, const struct mc_args *args, struct run_req *r)
{
    long long delay = mc_args_int(args, "watch_delay", WATCH_DELAY_MS);
    uint64_t seen = mc_run_tree_fingerprint(r->src.path, pack_skip);

    if (delay < WATCH_SLICE_MS || delay > WATCH_DELAY_MAX_MS)
        return mc_cli_fail_local(cli, "invalid --watch_delay %lld: %u to %u ms", delay,
                                 WATCH_SLICE_MS, WATCH_DELAY_MAX_MS);
    fprintf(cli->err, "Watching %s for changes (Ctrl-C to stop)\n", r->src.path);
    fflush(cli->err);
    for (;;) {
        uint64_t now;
        for (long long waited = 0; waited < delay; waited += WATCH_SLICE_MS) {
            if (mc_transport_cancel_requested())
                return 0;
            sleep_ms(WATCH_SLICE_MS);
        }
        if ((now = mc_run_tree_fingerprint(r->src.path, pack_skip)) == seen)
            continue;
        seen = now;
        fprintf(cli->err, "Change detected in %s, restarting %s\n", r->src.path, r->name);
        fflush(cli->err);
        if (upload(cli, r) == 0 &&
            runtime_call(cli, "Runtime.Create", create_request(cli, args, r, true)) == 0)
            (void)watch(cli, r);
    }
}

static int run_run(struct mc_cli *cli, const struct mc_args *args)
{
    struct run_req r;
    cJSON *req;
    int rc;

    if (args->argc == 0) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    if ((rc = resolve(cli, args, args->argv[0], true, &r)) != 0)
        return rc;
    if ((rc = prepare_source(cli, &r)) != 0)
        return rc;
    if (mc_args_bool(args, "watch") && !r.src.local)
        return mc_cli_fail_local(cli, "--watch needs a local folder, not %s", args->argv[0]);
    req = create_request(cli, args, &r, mc_args_bool(args, "force"));
    if ((rc = runtime_call(cli, "Runtime.Create", req)) != 0)
        return rc;
    rc = watch(cli, &r);
    return mc_args_bool(args, "watch") ? watch_sources(cli, args, &r) : rc;
}

/*
 * `micro update helloworld` for a service started from a URL or an absolute
 * folder: upstream first looks for a service of that name (and version) and
 * reuses the source it was started from. A relative folder is not reused: it
 * was relative to wherever `micro run` ran. Heap string or NULL.
 */
static char *matching_source(struct mc_cli *cli, const char *arg)
{
    cJSON *req = cJSON_CreateObject(), *rsp = NULL;
    const char *at = strchr(arg, '@');
    size_t nlen = at ? (size_t)(at - arg) : strlen(arg);
    struct mc_cli_failure f;
    char *found = NULL;
    const cJSON *s;

    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "options"), "namespace",
                            cli->namespace_);
    mc_cli_failure_init(&f);
    if (mc_bi_call(cli, "runtime", "Runtime.Read", req, &rsp, &f) == 0) {
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rsp, "services"))
        {
            const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name"));
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "version"));
            const cJSON *md = cJSON_GetObjectItemCaseSensitive(s, "metadata");
            const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "source"));
            if (!n || !src || !*src || src[0] == '.' || strlen(n) != nlen ||
                strncmp(n, arg, nlen) != 0)
                continue;
            if (at && (!v || strcmp(v, at + 1) != 0))
                continue;
            found = mc_strdup(src);
            break;
        }
    }
    mc_cli_failure_release(&f);
    cJSON_Delete(req);
    cJSON_Delete(rsp);
    return found;
}

static int run_update(struct mc_cli *cli, const struct mc_args *args)
{
    const char *arg;
    char *reuse = NULL;
    struct run_req r;
    int rc;

    if (args->argc == 0) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    arg = args->argv[0];
    if (arg[0] != '/' && arg[0] != '.' && !strchr(arg, '/') && !is_dir(arg))
        reuse = matching_source(cli, arg);
    rc = resolve(cli, args, reuse ? reuse : arg, true, &r);
    if (rc == 0 && reuse && !mc_args_isset(args, "name"))
        /* the service asked for keeps its name, whatever its source is called */
        snprintf(r.name, sizeof(r.name), "%.*s", (int)strcspn(arg, "@"), arg);
    if (rc == 0)
        rc = prepare_source(cli, &r);
    if (rc == 0)
        rc = runtime_call(cli, "Runtime.Update", update_request(cli, args, &r));
    if (rc == 0)
        rc = watch(cli, &r);
    if (rc == 0 && mc_args_bool(args, "watch"))
        rc = r.src.local ? watch_sources(cli, args, &r)
                         : mc_cli_fail_local(cli, "--watch needs a local folder, not %s", arg);
    free(reuse);
    return rc;
}

static int run_kill(struct mc_cli *cli, const struct mc_args *args)
{
    struct run_req r;
    cJSON *req, *opts;
    int rc;

    if (args->argc == 0) {
        mc_cmd_print_help(cli->out, args->cmd, args->path);
        return 0;
    }
    if ((rc = resolve(cli, args, args->argv[0], false, &r)) != 0)
        return rc;
    req = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(req, "resource"), "service",
                          service_json(NULL, &r, false));
    opts = cJSON_AddObjectToObject(req, "options");
    cJSON_AddStringToObject(opts, "namespace", cli->namespace_);
    return runtime_call(cli, "Runtime.Delete", req);
}

/* The flags upstream shares between run, update and kill. */
static const struct mc_flag run_flags[] = {
    {"name", NULL, MC_FLAG_STRING, NULL,
     "Set the name of the service. Otherwise defaults to directory name", NULL},
    {"env_vars", NULL, MC_FLAG_STRINGS, NULL, "Set the environment variables e.g. foo=bar",
     NULL},
    {"instances", "i", MC_FLAG_INT, "1", "Set the number of instances of the service to run",
     NULL},
    {"metadata", NULL, MC_FLAG_STRINGS, NULL, "Set metadata of the service e.g. foo=bar", NULL},
    {"force", NULL, MC_FLAG_BOOL, NULL,
     "Start the service again even if the same version is already running", NULL},
    {"entrypoint", NULL, MC_FLAG_STRING, NULL,
     "Set the folder inside the source to build and run", NULL},
    {"command", NULL, MC_FLAG_STRING, NULL, "Command to exec", NULL},
    {"args", NULL, MC_FLAG_STRING, NULL, "Command args", NULL},
    {"type", NULL, MC_FLAG_STRING, NULL, "The type of service operate on", NULL},
    {"watch", NULL, MC_FLAG_BOOL, NULL,
     "Watch a local folder and restart the service when a source file changes",
     NULL},
    {"watch_delay", NULL, MC_FLAG_INT, "1000", "How often --watch looks for changes, in ms",
     NULL},
    {0},
};

const struct mc_cmd mc_cmd_run = {
    .name = "run",
    .summary = "Run a service: micro run [source]",
    .args_usage = "[source]",
    .description = "Examples:\n"
                   "\t\t\tmicro run github.com/micro/services/helloworld\n"
                   "\t\t\tmicro run .  # deploy local folder to your local micro server\n"
                   "\t\t\tmicro run ../path/to/folder # deploy local folder to your local "
                   "micro server\n"
                   "\t\t\tmicro run helloworld # deploy latest version, translates to micro run "
                   "github.com/micro/services/helloworld\n"
                   "\t\t\tmicro run helloworld@9342934e6180 # deploy certain version\n"
                   "\t\t\tmicro run helloworld@branchname\t# deploy certain branch",
    .flags = run_flags,
    .run = run_run,
    .max_args = 1,
};

const struct mc_cmd mc_cmd_update = {
    .name = "update",
    .summary = "Update a service: micro update [source]",
    .args_usage = "[source]",
    .description = "Examples:\n"
                   "\t\t\tmicro update github.com/micro/services/helloworld\n"
                   "\t\t\tmicro update .  # deploy local folder to your local micro server\n"
                   "\t\t\tmicro update ../path/to/folder # deploy local folder to your local "
                   "micro server\n"
                   "\t\t\tmicro update helloworld # deploy master branch, translates to micro "
                   "update github.com/micro/services/helloworld\n"
                   "\t\t\tmicro update helloworld@branchname\t# deploy certain branch",
    .flags = run_flags,
    .run = run_update,
    .max_args = 1,
};

const struct mc_cmd mc_cmd_kill = {
    .name = "kill",
    .summary = "Kill a service: micro kill [source]",
    .args_usage = "[source]",
    .description = "Examples:\n"
                   "\t\t\tmicro kill github.com/micro/services/helloworld\n"
                   "\t\t\tmicro kill .  # kill service deployed from local folder\n"
                   "\t\t\tmicro kill ../path/to/folder # kill service deployed from local "
                   "folder\n"
                   "\t\t\tmicro kill helloworld # kill serviced deployed from master branch, "
                   "translates to micro kill github.com/micro/services/helloworld\n"
                   "\t\t\tmicro kill helloworld@branchname\t# kill service deployed from "
                   "certain branch",
    .flags = run_flags,
    .run = run_kill,
    .max_args = 1,
};
