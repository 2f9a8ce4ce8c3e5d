/* Fetching sources in a child process: see rt_fetch.h. libgit2 is initialised
 * in the child only, so the server never holds its global state. */
#include "runtime/rt_fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "mc_common.h"
#include "mc_tar.h"
#include "runtime/rt_proc.h"
#include "mc_banned.h"

static void write_meta(const char *meta_dir, const char *name, const char *text)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", meta_dir, name);
    if (!(f = fopen(path, "w")))
        return;
    fprintf(f, "%s\n", text);
    fclose(f);
}

static int fail(const struct rt_fetch *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(const struct rt_fetch *f, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    write_meta(f->meta_dir, "error", msg);
    printf("%s\n", msg);
    fflush(stdout);
    return 1;
}

static const char *git_msg(void)
{
    const git_error *e = git_error_last();

    return e && e->message ? e->message : "unknown error";
}

/* The object ref names: a remote branch, a tag, then anything rev-parse takes
 * (a full or abbreviated commit id). */
static int resolve_ref(git_repository *repo, const char *ref, git_object **obj)
{
    static const char *const prefixes[] = { "refs/remotes/origin/", "refs/tags/", "" };
    char spec[RT_SOURCE_MAX + 32];

    for (size_t i = 0; i < MC_ARRAY_LEN(prefixes); i++) {
        snprintf(spec, sizeof(spec), "%s%s", prefixes[i], ref);
        if (git_revparse_single(obj, repo, spec) == 0)
            return 0;
    }
    return -1;
}

static int checkout_ref(const struct rt_fetch *f, git_repository *repo)
{
    git_checkout_options co;
    git_object *obj = NULL, *commit = NULL;
    int rc = 0;

    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
    if (resolve_ref(repo, f->src.ref, &obj) < 0)
        return fail(f, "git ref %s not found in %s", f->src.ref, f->src.url);
    if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
        rc = fail(f, "git ref %s is not a commit: %s", f->src.ref, git_msg());
    } else {
        co.checkout_strategy = GIT_CHECKOUT_FORCE;
        if (git_checkout_tree(repo, commit, &co) < 0 ||
            git_repository_set_head_detached(repo, git_object_id(commit)) < 0)
            rc = fail(f, "cannot check out %s: %s", f->src.ref, git_msg());
    }
    git_object_free(commit);
    git_object_free(obj);
    return rc;
}

static int write_head(const struct rt_fetch *f, git_repository *repo)
{
    git_oid oid;
    char hex[GIT_OID_HEXSZ + 1];

    if (git_reference_name_to_id(&oid, repo, "HEAD") < 0)
        return fail(f, "cannot read HEAD of %s: %s", f->src.url, git_msg());
    git_oid_tostr(hex, sizeof(hex), &oid);
    write_meta(f->meta_dir, "commit", hex);
    printf("Checked out %s at %s\n", f->src.url, hex);
    return 0;
}

static int fetch_git(const struct rt_fetch *f)
{
    git_clone_options opts;
    git_repository *repo = NULL;
    int rc;

    git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
    printf("Cloning %s%s%s\n", f->src.url, f->src.ref[0] ? "@" : "", f->src.ref);
    fflush(stdout);
    git_libgit2_init();
    if (git_clone(&repo, f->src.url, f->dir, &opts) < 0) {
        rc = fail(f, "cannot clone %s: %s", f->src.url, git_msg());
    } else {
        rc = f->src.ref[0] ? checkout_ref(f, repo) : 0;
        if (rc == 0)
            rc = write_head(f, repo);
    }
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}

static int fetch_blob(const struct rt_fetch *f)
{
    char err[512] = "";

    if (rt_mkdirs(f->dir) < 0)
        return fail(f, "cannot create %s: %s", f->dir, strerror(errno));
    if (mc_tar_unpack(f->data, f->len, f->dir, err, sizeof(err)) < 0)
        return fail(f, "cannot unpack %s: %s", f->src.url, err);
    printf("Unpacked %s\n", f->src.url);
    return 0;
}

int rt_fetch_run(void *arg)
{
    const struct rt_fetch *f = arg;
    int rc;

    if (rt_rmtree(f->dir) < 0)
        return fail(f, "cannot empty %s: %s", f->dir, strerror(errno));
    rc = f->src.kind == RT_SOURCE_BLOB ? fetch_blob(f) : fetch_git(f);
    fflush(stdout);
    return rc;
}

void rt_fetch_result(const char *meta_dir, const char *name, char *out, size_t outlen)
{
    char path[4096];
    FILE *f;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", meta_dir, name);
    if (!(f = fopen(path, "r")))
        return;
    if (!fgets(out, (int)outlen, f))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}
