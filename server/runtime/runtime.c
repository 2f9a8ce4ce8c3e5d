/*
 * The runtime service's handlers (see runtime.h): Runtime.Create, Read,
 * Update, Delete and Logs, Source.Upload and Build.Read. They check and
 * record requests and hand the work to the manager (rt_manager.c); Logs
 * follows a file with a 100 ms timer that watches its size (a rotation or
 * truncation starts it over from the beginning).
 */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auth/auth.h"
#include "core.h"
#include "events/events.h"
#include "mc_arena.h"
#include "mc_error.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_pbjson.h"
#include "mc_rpc.h"
#include "runtime.pb-c.h"
#include "runtime/rt_internal.h"
#include "runtime/rt_source.h"
#include "settings.h"
#include "storage/storage.h"
#include "mc_banned.h"

#define FOLLOW_TICK_MS 100
#define FOLLOW_READ_MAX (256u * 1024)        /* bytes read per tick */
#define FOLLOW_PENDING_MAX (1024u * 1024)    /* queued to a slow reader before pausing */
#define BUILD_CHUNK (64u * 1024)

/* ---- shared checks ------------------------------------------------------------------------- */

static const char *ns_or(const char *opt, const struct mc_rpc_ctx *ctx)
{
    return opt && opt[0] ? opt : ctx->ns;
}

/* Read needs an account of the namespace; the others an admin of it (spec §10). */
static int allow(struct mc_core *core, struct mc_rpc_ctx *ctx, const char *ns, const char *id,
                 bool admin)
{
    if (admin)
        return mc_core_require_admin(core, ctx, ns, id);
    return core->auth ? mc_auth_authorize(ctx, ns, id) : MC_OK;
}

static int check_names(struct mc_rpc_ctx *ctx, const char *id, const char *ns, const char *name,
                       const char *version)
{
    if (!rt_name_valid(name)) {
        mc_error_bad_request(ctx->err, id, "a service name of 1 to %d letters, digits, '.', "
                             "'_' or '-' is required", RT_NAME_MAX);
        return MC_EINVAL;
    }
    if (!rt_name_valid(version) || !rt_name_valid(ns)) {
        mc_error_bad_request(ctx->err, id, "bad version or namespace");
        return MC_EINVAL;
    }
    return MC_OK;
}

static const char *version_or_latest(const char *v)
{
    return v && v[0] ? v : "latest";
}

/* ---- Create / Update ------------------------------------------------------------------------ */

/* The creator's metadata without the keys the runtime owns, as a JSON object. */
static char *user_metadata(const Runtime__Service *svc)
{
    static const char *const own[] = { "source", "owner", "group", "started", "error", "retries",
                                       "build", "lastStatusUpdate" };
    cJSON *o = cJSON_CreateObject();
    char *out;
    bool any = false;

    for (size_t i = 0; o && i < svc->n_metadata; i++) {
        const char *k = svc->metadata[i]->key;
        bool skip = false;
        for (size_t j = 0; j < MC_ARRAY_LEN(own); j++)
            skip |= strcmp(k, own[j]) == 0;
        if (!skip && strlen(k) <= 256 && strlen(svc->metadata[i]->value) <= 4096 && i < 64) {
            cJSON_AddStringToObject(o, k, svc->metadata[i]->value);
            any = true;
        }
    }
    out = any ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return out;
}

static const char *metadata_get(const Runtime__Service *svc, const char *key)
{
    for (size_t i = 0; i < svc->n_metadata; i++) {
        if (strcmp(svc->metadata[i]->key, key) == 0)
            return svc->metadata[i]->value;
    }
    return NULL;
}

/* Checks the parts of a Create or Update request every path shares. */
static int check_service(struct mc_rpc_ctx *ctx, const char *id, const Runtime__Resource *res,
                         const char *ns, const char *entrypoint, bool need_source)
{
    struct rt_source src;
    char err[512];
    const Runtime__Service *svc = res ? res->service : NULL;
    int rc;

    if (!svc) {
        mc_error_bad_request(ctx->err, id, "missing service");
        return MC_EINVAL;
    }
    if ((rc = check_names(ctx, id, ns, svc->name, version_or_latest(svc->version))) < 0)
        return rc;
    if ((need_source || svc->source[0]) &&
        rt_source_parse(svc->source, &src, err, sizeof(err)) < 0) {
        mc_error_bad_request(ctx->err, id, "%s", err);
        return MC_EINVAL;
    }
    if (entrypoint && !rt_folder_valid(entrypoint)) {
        mc_error_bad_request(ctx->err, id, "bad entrypoint %s", entrypoint);
        return MC_EINVAL;
    }
    return MC_OK;
}

/* Points rec at svc's source (and the typed source, entrypoint, user metadata). */
static void take_source(struct rt_record *rec, const Runtime__Service *svc, const char *ep)
{
    const char *typed = metadata_get(svc, "source");
    char *umd = user_metadata(svc);

    if (svc->source[0]) {
        rt_record_set(&rec->source, svc->source);
        rt_record_set(&rec->typed, typed && typed[0] ? typed : svc->source);
    }
    if (ep || !rec->entrypoint)
        rt_record_set(&rec->entrypoint, ep ? ep : "");
    if (umd || svc->n_metadata) {
        free(rec->usermd);
        rec->usermd = umd;
    }
}

static int set_env(struct mc_rpc_ctx *ctx, const char *id, struct rt_record *rec,
                   const Runtime__CreateOptions *o)
{
    for (size_t i = 0; i < rec->nenv; i++)
        free(rec->env[i]);
    free(rec->env);
    rec->env = NULL;
    rec->nenv = 0;
    for (size_t i = 0; o && i < o->n_env; i++) {
        if (!strchr(o->env[i], '=') || rt_record_add_env(rec, o->env[i]) < 0) {
            mc_error_bad_request(ctx->err, id, "bad env var %.64s (want K=V, at most %d)",
                                 o->env[i], RT_ENV_MAX);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

static int h_create(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    struct mc_core *core = arg;
    struct mc_runtime *rt = core->runtime;
    const Runtime__CreateRequest *in = (const Runtime__CreateRequest *)req;
    const Runtime__CreateOptions *o = in->options;
    const char *id = "runtime.Runtime.Create", *ns = ns_or(o ? o->namespace_ : NULL, ctx);
    const char *ep = o && o->entrypoint[0] ? o->entrypoint : NULL;
    struct rt_record rec = { 0 };
    const Runtime__Service *svc;
    struct rt_svc *s;
    int rc;

    (void)rsp;
    if ((rc = allow(core, ctx, ns, id, true)) < 0 ||
        (rc = check_service(ctx, id, in->resource, ns, ep, true)) < 0)
        return rc;
    svc = in->resource->service;
    s = rt_find(rt, ns, svc->name, version_or_latest(svc->version));
    if (s && !(o && o->force) && s->rec.status != RT_ERROR && s->rec.status != RT_STOPPED &&
        !s->stopping)
        return MC_OK;   /* upstream: creating a running service again changes nothing */
    if (!s && rt->nsvcs >= RT_SERVICES_MAX) {
        mc_error_set(ctx->err, id, 429, "too many services (%d)", RT_SERVICES_MAX);
        return MC_ETOOBIG;
    }
    if (s) {
        if ((rc = set_env(ctx, id, &s->rec, o)) < 0)
            return rc;
        take_source(&s->rec, svc, ep ? ep : "");
        rt_stop(s, RT_AFTER_RESTART);
        return MC_OK;
    }
    rt_record_set(&rec.ns, ns);
    rt_record_set(&rec.name, svc->name);
    rt_record_set(&rec.version, version_or_latest(svc->version));
    rt_record_set(&rec.owner, ctx->account ? ctx->account->name : "");
    rt_record_set(&rec.group, ctx->account ? ctx->account->issuer : ns);
    take_source(&rec, svc, ep);
    if ((rc = set_env(ctx, id, &rec, o)) < 0) {
        rt_record_release(&rec);
        return rc;
    }
    rec.status = RT_PENDING;   /* what the event says; rt_start makes it so */
    s = rt_add(rt, &rec);
    rt_publish(s, RT_EVENT_CREATED);
    rt_start(s);
    return MC_OK;
}

static int h_update(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    struct mc_core *core = arg;
    const Runtime__UpdateRequest *in = (const Runtime__UpdateRequest *)req;
    const Runtime__UpdateOptions *o = in->options;
    const char *id = "runtime.Runtime.Update", *ns = ns_or(o ? o->namespace_ : NULL, ctx);
    const char *ep = o && o->entrypoint[0] ? o->entrypoint : NULL;
    const Runtime__Service *svc;
    struct rt_svc *s;
    int rc;

    (void)rsp;
    if ((rc = allow(core, ctx, ns, id, true)) < 0 ||
        (rc = check_service(ctx, id, in->resource, ns, ep, false)) < 0)
        return rc;
    svc = in->resource->service;
    s = rt_find(core->runtime, ns, svc->name, version_or_latest(svc->version));
    if (!s) {
        mc_error_not_found(ctx->err, id, "service not found");
        return MC_ENOTFOUND;
    }
    take_source(&s->rec, svc, ep);
    rt_publish(s, RT_EVENT_UPDATED);
    rt_stop(s, RT_AFTER_RESTART);
    return MC_OK;
}

static int h_delete(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *arg)
{
    struct mc_core *core = arg;
    const Runtime__DeleteRequest *in = (const Runtime__DeleteRequest *)req;
    const char *id = "runtime.Runtime.Delete";
    const char *ns = ns_or(in->options ? in->options->namespace_ : NULL, ctx);
    const Runtime__Service *svc = in->resource ? in->resource->service : NULL;
    struct rt_svc *s;
    int rc;

    (void)rsp;
    if ((rc = allow(core, ctx, ns, id, true)) < 0)
        return rc;
    if (!svc || !svc->name[0]) {
        mc_error_bad_request(ctx->err, id, "missing service");
        return MC_EINVAL;
    }
    s = rt_find(core->runtime, ns, svc->name, version_or_latest(svc->version));
    if (!s || (s->stopping && s->after == RT_AFTER_DELETE)) {
        mc_error_not_found(ctx->err, id, "service not found");
        return MC_ENOTFOUND;
    }
    rt_stop(s, RT_AFTER_DELETE);
    return MC_OK;
}

/* ---- Read ------------------------------------------------------------------------------------ */

static void md_add(struct mc_arena *ar, Runtime__Service *out, const char *k, const char *v)
{
    Runtime__Service__MetadataEntry *e;

    if (!v)
        return;
    e = (Runtime__Service__MetadataEntry *)mc_arena_message(
        ar, &runtime__service__metadata_entry__descriptor);
    e->key = (char *)k;
    e->value = mc_arena_strdup(ar, v);
    out->metadata[out->n_metadata++] = e;
}

static Runtime__Service *service_of(struct mc_arena *ar, const struct rt_svc *s)
{
    Runtime__Service *out =
        (Runtime__Service *)mc_arena_message(ar, &runtime__service__descriptor);
    cJSON *umd = s->rec.usermd ? cJSON_Parse(s->rec.usermd) : NULL;
    const cJSON *e;
    size_t max = 8 + (size_t)cJSON_GetArraySize(umd);

    out->name = mc_arena_strdup(ar, s->rec.name);
    out->version = mc_arena_strdup(ar, s->rec.version);
    out->source = mc_arena_strdup(ar, s->rec.source ? s->rec.source : "");
    out->status = s->stopping ? RT_STOPPING : s->rec.status;
    out->metadata = mc_arena_alloc(ar, max * sizeof(*out->metadata));
    cJSON_ArrayForEach(e, umd)
    {
        if (cJSON_IsString(e) && e->string)
            md_add(ar, out, mc_arena_strdup(ar, e->string), e->valuestring);
    }
    cJSON_Delete(umd);
    md_add(ar, out, "source", s->rec.typed);
    md_add(ar, out, "owner", s->rec.owner);
    md_add(ar, out, "group", s->rec.group);
    md_add(ar, out, "started", s->rec.started);
    md_add(ar, out, "lastStatusUpdate", s->rec.updated);
    md_add(ar, out, "error", s->rec.error);
    md_add(ar, out, "build", s->rec.build);
    md_add(ar, out, "retries", mc_arena_printf(ar, "%lld", (long long)s->rec.retries));
    return out;
}

void rt_publish(struct rt_svc *s, const char *type)
{
    struct mc_core *core = s->rt->core;
    const char *md[4] = { "type", type, "namespace", s->rec.ns };
    struct mc_arena ar;
    struct mc_buf svc, payload;
    int rc;

    if (!core->events)
        return;   /* at start-up (events registers after the runtime) and shutdown */
    mc_arena_init(&ar);
    mc_buf_init(&svc, RT_EVENT_MAX);
    mc_buf_init(&payload, RT_EVENT_MAX);
    rc = mc_pbjson_encode(&service_of(&ar, s)->base, 0, &svc, NULL);
    if (rc == MC_OK)
        rc = mc_buf_appendf(&payload, "{\"type\":\"%s\",\"namespace\":\"%s\",\"service\":%.*s}",
                            type, s->rec.ns, (int)svc.len, svc.data);
    if (rc == MC_OK)
        (void)mc_events_publish(core, RT_EVENT_TOPIC, md, 2, payload.data, payload.len);
    mc_buf_release(&payload);
    mc_buf_release(&svc);
    mc_arena_release(&ar);
}

static int cmp_service(const void *a, const void *b)
{
    const Runtime__Service *x = *(Runtime__Service *const *)a, *y = *(Runtime__Service *const *)b;
    int c = strcmp(x->name, y->name);

    return c ? c : strcmp(x->version, y->version);
}

static int h_read(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *arg)
{
    struct mc_core *core = arg;
    const Runtime__ReadRequest *in = (const Runtime__ReadRequest *)req;
    Runtime__ReadResponse *out = (Runtime__ReadResponse *)rsp;
    const Runtime__ReadOptions *o = in->options;
    const char *ns = ns_or(o ? o->namespace_ : NULL, ctx);
    int rc;

    if ((rc = allow(core, ctx, ns, "runtime.Runtime.Read", false)) < 0)
        return rc;
    out->services = mc_arena_alloc(ctx->arena, (core->runtime->nsvcs + 1) * sizeof(*out->services));
    for (struct rt_svc *s = core->runtime->svcs; s; s = s->next) {
        if (strcmp(s->rec.ns, ns) != 0 || (s->stopping && s->after == RT_AFTER_DELETE))
            continue;
        if (o && o->service[0] && strcmp(o->service, s->rec.name) != 0)
            continue;
        if (o && o->version[0] && strcmp(o->version, s->rec.version) != 0)
            continue;
        out->services[out->n_services++] = service_of(ctx->arena, s);
    }
    qsort(out->services, out->n_services, sizeof(*out->services), cmp_service);
    return MC_OK;
}

/* ---- Logs ------------------------------------------------------------------------------------ */

struct rt_follow {
    struct rt_follow *prev, *next;
    struct mc_runtime *rt;
    struct mc_rpc_stream *st;
    struct mc_timer *timer;
    char *path;
    uint64_t off;
    ino_t ino;
    struct mc_buf partial;    /* a line not finished yet */
};

/* Sends every complete line of data (and, with flush, a final partial one). */
static int send_lines(struct mc_rpc_stream *st, const char *data, size_t len, bool flush,
                      size_t *used)
{
    Runtime__LogRecord rec = RUNTIME__LOG_RECORD__INIT;
    size_t i = 0;
    int rc = MC_OK;

    rec.timestamp = mc_unix_time();
    while (i < len && rc == MC_OK) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
        if (!nl && !flush && n < RT_LOG_LINE_MAX)
            break;
        if (n > RT_LOG_LINE_MAX)
            n = RT_LOG_LINE_MAX;
        rec.message = mc_strndup(data + i, n);
        rc = mc_rpc_stream_send(st, &rec.base);
        free(rec.message);
        i += n + (nl && data + i + n == nl ? 1 : 0);
    }
    *used = i;
    return rc;
}

static void follow_free(struct rt_follow *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        f->rt->follows = f->next;
    if (f->next)
        f->next->prev = f->prev;
    mc_loop_timer_cancel(f->rt->core->loop, f->timer);
    mc_buf_release(&f->partial);
    free(f->path);
    free(f);
}

static void follow_tick(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    struct rt_follow *f = arg;
    struct stat st;
    size_t used, want;
    char *chunk;
    ssize_t n;
    int fd;

    (void)loop;
    (void)t;
    if (mc_rpc_stream_pending(f->st) > FOLLOW_PENDING_MAX || stat(f->path, &st) < 0)
        return;
    if (st.st_ino != f->ino || (uint64_t)st.st_size < f->off) {
        f->ino = st.st_ino;   /* rotated or truncated: the new file from its start */
        f->off = 0;
    }
    if ((uint64_t)st.st_size == f->off || (fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    want = (size_t)((uint64_t)st.st_size - f->off);
    want = want > FOLLOW_READ_MAX ? FOLLOW_READ_MAX : want;
    chunk = mc_malloc(want);
    n = pread(fd, chunk, want, (off_t)f->off);
    close(fd);
    if (n > 0) {
        f->off += (uint64_t)n;
        if (mc_buf_append(&f->partial, chunk, (size_t)n) == MC_OK &&
            send_lines(f->st, f->partial.data, f->partial.len, false, &used) == MC_OK)
            mc_buf_consume(&f->partial, used);
    }
    free(chunk);
}

void rt_follow_poke(struct mc_runtime *rt, const char *path)
{
    struct rt_follow *f = rt->follows, *next;

    for (; f; f = next) {
        next = f->next;
        if (strcmp(f->path, path) == 0)
            follow_tick(rt->core->loop, f->timer, f);
    }
}

static void follow_cancel(struct mc_rpc_stream *st, void *arg)
{
    (void)st;
    follow_free(arg);
}

static void logs_ignore(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    (void)st;
    (void)msg;
    (void)arg;
}

static const struct mc_rpc_stream_ops follow_ops = { .on_message = logs_ignore,
                                                     .on_cancel = follow_cancel };

static void logs_follow(struct mc_runtime *rt, struct mc_rpc_stream *st, const char *path,
                        uint64_t off)
{
    struct rt_follow *f = mc_calloc(1, sizeof(*f));
    struct stat sb;

    f->rt = rt;
    f->st = st;
    f->path = mc_strdup(path);
    f->off = off;
    f->ino = stat(path, &sb) == 0 ? sb.st_ino : 0;
    mc_buf_init(&f->partial, RT_LOG_LINE_MAX * 2);
    f->next = rt->follows;
    if (rt->follows)
        rt->follows->prev = f;
    rt->follows = f;
    f->timer = mc_loop_timer_add(rt->core->loop, FOLLOW_TICK_MS, FOLLOW_TICK_MS, follow_tick, f);
    mc_rpc_stream_set_ops(st, &follow_ops, f);
}

static void logs_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct mc_core *core = arg;
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    const Runtime__LogsRequest *in = (const Runtime__LogsRequest *)msg;
    const char *id = "runtime.Runtime.Logs";
    const char *ns = ns_or(in->options ? in->options->namespace_ : NULL, ctx);
    struct mc_buf tail;
    char *path = NULL;
    uint64_t end = 0;
    size_t used;
    int rc;

    if ((rc = allow(core, ctx, ns, id, true)) == MC_OK) {
        bool known = false;
        for (struct rt_svc *s = core->runtime->svcs; s && !known; s = s->next)
            known = strcmp(s->rec.ns, ns) == 0 && strcmp(s->rec.name, in->service) == 0;
        if (!known || !rt_name_valid(in->service)) {
            mc_error_not_found(ctx->err, id, "service not found");
            rc = MC_ENOTFOUND;
        }
    }
    if (rc < 0) {
        mc_rpc_stream_finish(st, ctx->err);
        return;
    }
    path = rt_log_path(core->runtime, ns, in->service);
    mc_buf_init(&tail, RT_LOG_TAIL_MAX + 1);
    /* since: seconds back (spec §1.7), mapped to an offset by the log's time index */
    rc = rt_tail_file_from(path, in->since > 0 ? rt_log_offset_since(path, mc_unix_time() - in->since) : 0,
                           in->count > 0 ? (size_t)in->count : 0, &tail, &end);
    if (rc == MC_OK || rc == MC_ENOTFOUND)
        rc = send_lines(st, tail.data ? tail.data : "", tail.len, true, &used);
    mc_buf_release(&tail);
    if (rc == MC_OK && in->stream)
        logs_follow(core->runtime, st, path, end);
    else
        mc_rpc_stream_finish(st, NULL);
    free(path);
}

static const struct mc_rpc_stream_ops logs_ops = { .on_message = logs_on_message };

static int logs_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &logs_ops, arg);
    return MC_OK;
}

/* ---- Source.Upload --------------------------------------------------------------------------- */

struct upload {
    struct mc_core *core;
    char *key;               /* "source://<name>:<version>" from the first message */
    struct mc_buf data;
};

static void upload_end(struct mc_rpc_stream *st, struct upload *u, int rc)
{
    mc_rpc_stream_finish(st, rc < 0 ? mc_rpc_stream_ctx(st)->err : NULL);
    free(u->key);
    mc_buf_release(&u->data);
    free(u);
}

static const char *upload_ns(const struct mc_rpc_ctx *ctx)
{
    return ctx->account && ctx->account->issuer[0] ? ctx->account->issuer : MC_STORAGE_DEFAULT;
}

static void upload_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    const Runtime__UploadRequest *in = (const Runtime__UploadRequest *)msg;
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct upload *u = arg;
    const char *id = "runtime.Source.Upload";

    if (!u->key) {
        const Runtime__Service *svc = in->service;
        int rc;
        if (u->core->auth && !ctx->account) {
            mc_error_unauthorized(ctx->err, id, "an account is required");
            upload_end(st, u, MC_EINVAL);
            return;
        }
        if (!svc || (rc = check_names(ctx, id, upload_ns(ctx), svc->name,
                                      version_or_latest(svc->version))) < 0) {
            if (!svc)
                mc_error_bad_request(ctx->err, id, "the first message must name the service");
            upload_end(st, u, MC_EINVAL);
            return;
        }
        u->key = mc_malloc(strlen(svc->name) + strlen(version_or_latest(svc->version)) + 16);
        snprintf(u->key, strlen(svc->name) + strlen(version_or_latest(svc->version)) + 16,
                 "source://%s:%s", svc->name, version_or_latest(svc->version));
    }
    if (mc_buf_append(&u->data, in->data.data, in->data.len) < 0) {
        mc_error_bad_request(ctx->err, id, "source larger than %u bytes", MC_STORAGE_VALUE_MAX);
        upload_end(st, u, MC_ETOOBIG);
    }
}

static void upload_on_half_close(struct mc_rpc_stream *st, void *arg)
{
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    struct upload *u = arg;
    Runtime__UploadResponse out = RUNTIME__UPLOAD_RESPONSE__INIT;
    const char *id = "runtime.Source.Upload";
    int rc;

    if (!u->key) {
        mc_error_bad_request(ctx->err, id, "the first message must name the service");
        upload_end(st, u, MC_EINVAL);
        return;
    }
    rc = mc_storage_blob_put(u->core->storage, upload_ns(ctx), u->key,
                             u->data.data ? u->data.data : "", u->data.len);
    if (rc < 0) {
        mc_error_internal(ctx->err, id, "cannot store the source: %s", mc_strerror(rc));
    } else {
        out.id = u->key;
        if ((rc = mc_rpc_stream_send(st, &out.base)) < 0)
            mc_error_internal(ctx->err, id, "cannot answer: %s", mc_strerror(rc));
    }
    upload_end(st, u, rc);
}

static void upload_on_cancel(struct mc_rpc_stream *st, void *arg)
{
    struct upload *u = arg;

    (void)st;
    free(u->key);
    mc_buf_release(&u->data);
    free(u);
}

static const struct mc_rpc_stream_ops upload_ops = { upload_on_message, upload_on_half_close,
                                                     upload_on_cancel };

static int upload_open(struct mc_rpc_stream *st, void *arg)
{
    struct upload *u = mc_calloc(1, sizeof(*u));

    u->core = arg;
    mc_buf_init(&u->data, MC_STORAGE_VALUE_MAX);
    mc_rpc_stream_set_ops(st, &upload_ops, u);
    return MC_OK;
}

/* ---- Build.Read ------------------------------------------------------------------------------ */

static void build_on_message(struct mc_rpc_stream *st, const ProtobufCMessage *msg, void *arg)
{
    struct mc_core *core = arg;
    struct mc_rpc_ctx *ctx = mc_rpc_stream_ctx(st);
    const Runtime__Service *in = (const Runtime__Service *)msg;
    const char *id = "runtime.Build.Read";
    Runtime__BuildReadResponse out = RUNTIME__BUILD_READ_RESPONSE__INIT;
    struct rt_svc *s = NULL;
    struct mc_buf log;
    uint64_t end;
    int rc;

    if ((rc = allow(core, ctx, ctx->ns, id, true)) == MC_OK &&
        !(s = rt_find(core->runtime, ctx->ns, in->name, version_or_latest(in->version)))) {
        mc_error_not_found(ctx->err, id, "service not found");
        rc = MC_ENOTFOUND;
    }
    if (rc < 0) {
        mc_rpc_stream_finish(st, ctx->err);
        return;
    }
    char *path = rt_dir(core->runtime, &s->rec, "build.log");
    mc_buf_init(&log, RT_LOG_TAIL_MAX + 1);
    rc = rt_tail_file(path, 0, &log, &end);
    for (size_t o = 0; rc == MC_OK && o < log.len; o += BUILD_CHUNK) {
        out.data.data = (uint8_t *)log.data + o;
        out.data.len = log.len - o < BUILD_CHUNK ? log.len - o : BUILD_CHUNK;
        rc = mc_rpc_stream_send(st, &out.base);
    }
    mc_buf_release(&log);
    free(path);
    mc_rpc_stream_finish(st, NULL);
}

static const struct mc_rpc_stream_ops build_ops = { .on_message = build_on_message };

static int build_open(struct mc_rpc_stream *st, void *arg)
{
    mc_rpc_stream_set_ops(st, &build_ops, arg);
    return MC_OK;
}

/* ---- registration ---------------------------------------------------------------------------- */

int mc_runtime_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *rd = &runtime__runtime__descriptor;
    struct mc_runtime *rt = mc_calloc(1, sizeof(*rt));
    int rc;

    rt->core = core;
    rt->home = mc_strdup(core->settings->home);
    core->runtime = rt;
    if ((rc = mc_rpc_service_handle(svc, rd, "Create", h_create, core)) < 0 ||
        (rc = mc_rpc_service_handle(svc, rd, "Read", h_read, core)) < 0 ||
        (rc = mc_rpc_service_handle(svc, rd, "Update", h_update, core)) < 0 ||
        (rc = mc_rpc_service_handle(svc, rd, "Delete", h_delete, core)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, rd, "Logs", MC_RPC_STREAM_SERVER, logs_open,
                                           core)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, &runtime__source__descriptor, "Upload",
                                           MC_RPC_STREAM_CLIENT, upload_open, core)) < 0 ||
        (rc = mc_rpc_service_handle_stream(svc, &runtime__build__descriptor, "Read",
                                           MC_RPC_STREAM_SERVER, build_open, core)) < 0)
        return rc;
    rt_load(rt);
    return MC_OK;
}

void mc_runtime_service_release(struct mc_core *core)
{
    struct mc_runtime *rt = core->runtime;
    struct mc_error err;

    if (!rt)
        return;
    rt_kill_all(rt);
    mc_error_init(&err);
    mc_error_unavailable(&err, "runtime.Runtime.Logs", "runtime stopped");
    while (rt->follows) {
        struct mc_rpc_stream *st = rt->follows->st;
        follow_free(rt->follows);
        mc_rpc_stream_finish(st, &err);
    }
    mc_error_release(&err);
    rt_free_all(rt);
    free(rt->home);
    free(rt);
    core->runtime = NULL;
}
