/* The config service: see config.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.pb-c.h"
#include "config_doc.h"
#include "core.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "settings.h"
#include "storage/storage.h"
#include "mc_banned.h"

#define TABLE "config"
#define KEY_FILE "config_secret_key"

struct mc_config_service {
    struct mc_core *core;
    unsigned char key[MC_CONFIG_KEY_BYTES];
    bool has_key;
};

/* ---- the secret key ---------------------------------------------------------------- */

static int decode_key(const char *b64, unsigned char *key)
{
    size_t n = 0;
    unsigned char buf[64];

    if (sodium_base642bin(buf, sizeof(buf), b64, strlen(b64), " \n", &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || n != MC_CONFIG_KEY_BYTES)
        return MC_EINVAL;
    memcpy(key, buf, MC_CONFIG_KEY_BYTES);
    sodium_memzero(buf, sizeof(buf));
    return MC_OK;
}

static int create_key_file(const char *path, unsigned char *key)
{
    char b64[sodium_base64_ENCODED_LEN(MC_CONFIG_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ssize_t n;

    if (fd < 0)
        return MC_EIO;
    randombytes_buf(key, MC_CONFIG_KEY_BYTES);
    sodium_bin2base64(b64, sizeof(b64), key, MC_CONFIG_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
    n = write(fd, b64, strlen(b64));
    if (close(fd) < 0 || n != (ssize_t)strlen(b64)) {
        unlink(path);
        return MC_EIO;
    }
    return MC_OK;
}

int mc_config_load_key(const char *home, unsigned char *key)
{
    const char *env = getenv("MICRO_CONFIG_SECRET_KEY");
    char path[4200], text[256];
    FILE *f;
    size_t n;

    if (env && *env) {
        if (decode_key(env, key) < 0) {
            mc_log_error("MICRO_CONFIG_SECRET_KEY is not the base64 of %d bytes",
                         MC_CONFIG_KEY_BYTES);
            return MC_EINVAL;
        }
        return MC_OK;
    }
    snprintf(path, sizeof(path), "%s/%s", home, KEY_FILE);
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT && create_key_file(path, key) == MC_OK)
            return MC_OK;
        mc_log_error("cannot create the config secret key '%s': %s", path, strerror(errno));
        return MC_EIO;
    }
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    if (decode_key(text, key) < 0) {
        mc_log_error("'%s' is not the base64 of %d bytes", path, MC_CONFIG_KEY_BYTES);
        return MC_EINVAL;
    }
    return MC_OK;
}

/* ---- the document of a namespace ----------------------------------------------------- */

/* Loads the namespace's document: MC_ENOTFOUND when it has none (and create is false). */
static int load(struct mc_config_service *cs, const char *ns, bool create, cJSON **doc,
                struct mc_error *err, const char *id)
{
    char *text = NULL;
    size_t len = 0;
    int rc = mc_storage_get(cs->core->storage, MC_STORAGE_DEFAULT, TABLE, ns, &text, &len);

    if (rc == MC_ENOTFOUND && create) {
        rc = mc_config_doc_load(NULL, 0, doc);
    } else if (rc == MC_ENOTFOUND) {
        mc_error_not_found(err, id, "Not found");
    } else if (rc == MC_OK && mc_config_doc_load(text, len, doc) < 0) {
        mc_error_internal(err, id, "the config of namespace %s is damaged", ns);
        rc = MC_EIO;
    } else if (rc < 0) {
        mc_error_internal(err, id, "cannot read the config of namespace %s", ns);
    }
    free(text);
    return rc;
}

static int save(struct mc_config_service *cs, const char *ns, const cJSON *doc,
                struct mc_error *err, const char *id)
{
    struct mc_buf out;
    int rc;

    mc_buf_init(&out, MC_STORAGE_VALUE_MAX);
    rc = mc_config_doc_save(doc, &out);
    if (rc == MC_OK)
        rc = mc_storage_put(cs->core->storage, MC_STORAGE_DEFAULT, TABLE, ns, out.data, out.len);
    if (rc < 0)
        mc_error_internal(err, id, "cannot write the config of namespace %s", ns);
    mc_buf_release(&out);
    return rc;
}

/* The namespace a request is about: its field, else the caller's. */
static const char *ns_of(const struct mc_rpc_ctx *ctx, const char *field)
{
    return field && *field ? field : ctx->ns;
}

/* ---- handlers ------------------------------------------------------------------------- */

static int get(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *arg)
{
    struct mc_config_service *cs = arg;
    const Config__GetRequest *in = (const Config__GetRequest *)req;
    Config__GetResponse *out = (Config__GetResponse *)rsp;
    const char *ns = ns_of(ctx, in->namespace_), *id = "config.Config.Get";
    bool decrypt = in->options && in->options->secret;
    struct mc_buf data;
    cJSON *doc;
    int rc;

    if ((rc = mc_core_require_admin(cs->core, ctx, ns, id)) < 0 ||
        (rc = load(cs, ns, false, &doc, ctx->err, id)) < 0)
        return rc;
    mc_buf_init(&data, MC_STORAGE_VALUE_MAX);
    rc = mc_config_doc_get(doc, in->path, decrypt, cs->has_key ? cs->key : NULL, &data, ctx->err);
    if (rc == MC_OK) {
        out->value = mc_arena_alloc(ctx->arena, sizeof(*out->value));
        config__value__init(out->value);
        out->value->data = mc_arena_strdup(ctx->arena, mc_buf_cstr(&data));
        out->value->format = "json";
    }
    mc_buf_release(&data);
    cJSON_Delete(doc);
    return rc;
}

static int set(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *arg)
{
    struct mc_config_service *cs = arg;
    const Config__SetRequest *in = (const Config__SetRequest *)req;
    const char *ns = ns_of(ctx, in->namespace_), *id = "config.Config.Set";
    const char *data = in->value && in->value->data ? in->value->data : "";
    cJSON *doc;
    int rc;

    if ((rc = mc_core_require_admin(cs->core, ctx, ns, id)) < 0 ||
        (rc = load(cs, ns, true, &doc, ctx->err, id)) < 0)
        return rc;
    rc = mc_config_doc_set(doc, in->path, data, strlen(data), in->options && in->options->secret,
                           cs->has_key ? cs->key : NULL, ctx->err);
    if (rc == MC_OK)
        rc = save(cs, ns, doc, ctx->err, id);
    cJSON_Delete(doc);
    return rc;
}

static int del(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
               void *arg)
{
    struct mc_config_service *cs = arg;
    const Config__DeleteRequest *in = (const Config__DeleteRequest *)req;
    const char *ns = ns_of(ctx, in->namespace_), *id = "config.Config.Delete";
    cJSON *doc;
    int rc;

    if ((rc = mc_core_require_admin(cs->core, ctx, ns, id)) < 0 ||
        (rc = load(cs, ns, false, &doc, ctx->err, id)) < 0)
        return rc;
    rc = mc_config_doc_delete(doc, in->path, ctx->err);
    if (rc == MC_OK)
        rc = save(cs, ns, doc, ctx->err, id);
    cJSON_Delete(doc);
    return rc;
}

/* The legacy Read: the subtree as a change set (secrets masked). */
static int read_legacy(struct mc_rpc_ctx *ctx, const ProtobufCMessage *req,
                       ProtobufCMessage *rsp, void *arg)
{
    struct mc_config_service *cs = arg;
    const Config__ReadRequest *in = (const Config__ReadRequest *)req;
    Config__ReadResponse *out = (Config__ReadResponse *)rsp;
    const char *ns = ns_of(ctx, in->namespace_), *id = "config.Config.Read";
    struct mc_buf data;
    Config__Change *ch;
    cJSON *doc;
    int rc;

    if ((rc = mc_core_require_admin(cs->core, ctx, ns, id)) < 0 ||
        (rc = load(cs, ns, false, &doc, ctx->err, id)) < 0)
        return rc;
    mc_buf_init(&data, MC_STORAGE_VALUE_MAX);
    rc = mc_config_doc_get(doc, in->path, false, NULL, &data, ctx->err);
    if (rc == MC_OK) {
        ch = mc_arena_alloc(ctx->arena, sizeof(*ch));
        config__change__init(ch);
        ch->namespace_ = mc_arena_strdup(ctx->arena, ns);
        ch->path = mc_arena_strdup(ctx->arena, in->path ? in->path : "");
        ch->changeset = mc_arena_alloc(ctx->arena, sizeof(*ch->changeset));
        config__change_set__init(ch->changeset);
        ch->changeset->data = mc_arena_strdup(ctx->arena, mc_buf_cstr(&data));
        ch->changeset->format = "json";
        ch->changeset->source = "micro";
        ch->changeset->timestamp = mc_unix_time();
        out->change = ch;
    }
    mc_buf_release(&data);
    cJSON_Delete(doc);
    return rc;
}

int mc_config_service_register(struct mc_core *core, struct mc_rpc_service *svc)
{
    const ProtobufCServiceDescriptor *sd = &config__config__descriptor;
    struct mc_config_service *cs = mc_calloc(1, sizeof(*cs));
    int rc;

    cs->core = core;
    core->config = cs;
    if (sodium_init() < 0)
        return MC_EIO;
    /* without a key the service still works; secrets answer 500 as upstream's */
    cs->has_key = mc_config_load_key(core->settings->home, cs->key) == MC_OK;
    if ((rc = mc_rpc_service_handle(svc, sd, "Get", get, cs)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Set", set, cs)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Delete", del, cs)) < 0 ||
        (rc = mc_rpc_service_handle(svc, sd, "Read", read_legacy, cs)) < 0)
        return rc;
    return MC_OK;
}

void mc_config_service_release(struct mc_core *core)
{
    if (core->config) {
        sodium_memzero(core->config->key, sizeof(core->config->key));
        free(core->config);
        core->config = NULL;
    }
}
