/*
 * probe: a service written only against micro.h that drives libmicro's
 * clients from its handlers, so test_micro_clients.sh can check each against
 * the real server: the store (own table), config (typed getters and scan),
 * calls to another service carrying metadata (proto and JSON, errors
 * forwarded), broker and events publishing, and the subscribers' deliveries.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micro.h>

#include "probe.pb-c.h"

#define RECEIVED_MAX 64

/* What the subscribers got, in order; freed at exit. */
struct received {
    char *items[RECEIVED_MAX];
    size_t n;
};

static void note(struct received *r, const char *prefix, const void *body, size_t len)
{
    char *s;

    if (r->n == RECEIVED_MAX)
        return;
    s = malloc(strlen(prefix) + len + 1);
    if (!s)
        return;
    memcpy(s, prefix, strlen(prefix));
    memcpy(s + strlen(prefix), body, len);
    s[strlen(prefix) + len] = '\0';
    r->items[r->n++] = s;
}

static void on_broker(const struct micro_message *m, void *user)
{
    micro_log_info("broker message on %s", m->topic);
    note(user, "b:", m->body, m->len);
}

/* Acks every event, except that the first "nack-once" is refused (noted as
 * "n:"), so the test sees the server deliver it again. */
static enum micro_ack on_event(const struct micro_message *m, void *user)
{
    static bool nacked;

    micro_log_info("event %s on %s", m->id, m->topic);
    if (!nacked && m->len == 9 && memcmp(m->body, "nack-once", 9) == 0) {
        nacked = true;
        note(user, "n:", m->body, m->len);
        return MICRO_NACK;
    }
    note(user, "e:", m->body, m->len);
    return MICRO_ACK;
}

static int fail_with(struct micro_ctx *ctx, int rc, struct micro_error *err)
{
    if (rc == MICRO_EREMOTE) {
        rc = micro_error_forward(ctx, err);
        micro_error_release(err);
        return rc;
    }
    return micro_error_internal(ctx, NULL, "%s", micro_strerror(rc));
}

static void collect_key(const char *key, void *user)
{
    char *acc = user;
    size_t len = strlen(acc);

    snprintf(acc + len, 256 - len, "%s%s", len ? "," : "", key);
}

static int store(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                 void *user)
{
    const Probe__Request *in = (const Probe__Request *)req;
    Probe__Response *out = (Probe__Response *)rsp;
    struct micro_service *svc = micro_ctx_service(ctx);
    struct micro_error err = { 0 };
    char keys[256] = "", *value = NULL, *again = NULL;
    size_t len;
    int rc, after;

    (void)user;
    rc = micro_store_write(svc, in->key, in->value, strlen(in->value), in->ttl, &err);
    if (rc == 0)
        rc = micro_store_read(svc, in->key, &value, &len, &err);
    if (rc == 0)
        rc = micro_store_list(svc, "", 0, collect_key, keys, &err);
    if (rc >= 0)
        rc = micro_store_delete(svc, in->key, &err);
    if (rc < 0) {
        free(value);
        return fail_with(ctx, rc, &err);
    }
    after = micro_store_read(svc, in->key, &again, &len, &err);
    free(again);
    out->result = micro_ctx_printf(ctx, "%s|%s|%s", value, keys,
                                   after == MICRO_ENOTFOUND ? "gone" : "still there");
    free(value);
    micro_error_release(&err);
    return 0;
}

struct db {
    char host[32];
    int64_t port;
    bool tls;
    double ratio;
    int64_t timeout_ms;
};

static void collect_pair(const char *key, const char *value, void *user)
{
    char *acc = user;
    size_t len = strlen(acc);

    snprintf(acc + len, 256 - len, "%s%s=%s", len ? "," : "", key, value);
}

static int config(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                  void *user)
{
    static const struct micro_config_field fields[] = {
        MICRO_FIELD_STRING(struct db, host),
        MICRO_FIELD_INT(struct db, port),
        MICRO_FIELD_BOOL(struct db, tls),
        MICRO_FIELD_FLOAT(struct db, ratio),
        MICRO_FIELD_DURATION_KEY(struct db, timeout_ms, "timeout"),
    };
    Probe__Response *out = (Probe__Response *)rsp;
    struct micro_error err = { 0 };
    struct micro_config *cfg;
    struct db db = { .host = "none", .port = -1 };
    const char *const *hosts;
    char labels[256] = "";
    size_t nhosts;
    int rc = micro_config_load(micro_ctx_service(ctx), &cfg, &err), set;

    (void)req;
    (void)user;
    if (rc < 0)
        return fail_with(ctx, rc, &err);
    nhosts = micro_config_strings(cfg, "probe.hosts", &hosts);
    micro_config_map(cfg, "probe.labels", collect_pair, labels);
    set = micro_config_scan(cfg, "probe.db", fields, 5, &db);
    out->items = micro_ctx_alloc(ctx, 8 * sizeof(char *));
    out->items[0] = micro_ctx_printf(ctx, "name=%s", micro_config_string(cfg, "probe.name", "none"));
    out->items[1] = micro_ctx_printf(ctx, "debug=%d", micro_config_bool(cfg, "probe.debug", false));
    out->items[2] = micro_ctx_printf(ctx, "retries=%lld",
                                     (long long)micro_config_int(cfg, "probe.retries", 3));
    out->items[3] = micro_ctx_printf(ctx, "hosts=%zu:%s", nhosts, nhosts ? hosts[nhosts - 1] : "");
    out->items[4] = micro_ctx_printf(ctx, "labels=%s", labels);
    out->items[5] = micro_ctx_printf(ctx, "db=%d:%s:%lld:%d:%g:%lld", set, db.host,
                                     (long long)db.port, db.tls, db.ratio,
                                     (long long)db.timeout_ms);
    out->n_items = 6;
    micro_config_free(cfg);
    return 0;
}

static int echo(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                void *user)
{
    const Probe__Request *in = (const Probe__Request *)req;
    Probe__Response *out = (Probe__Response *)rsp;
    const char *carry = micro_ctx_metadata(ctx, "X-Carry");
    const char *who = micro_ctx_metadata(ctx, "X-User");

    (void)user;
    if (strcmp(in->key, "fail") == 0)
        return micro_error_conflict(ctx, NULL, "echo refused %s", in->value);
    out->result = micro_ctx_printf(ctx, "%s|%s|%s", micro_service_name(micro_ctx_service(ctx)),
                                   carry ? carry : "-", who ? who : "-");
    return 0;
}

static int chain(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                 void *user)
{
    const Probe__Request *in = (const Probe__Request *)req;
    Probe__Response *out = (Probe__Response *)rsp;
    struct micro_error err = { 0 };
    ProtobufCMessage *answer = NULL;
    int rc;

    (void)user;
    micro_ctx_set_metadata(ctx, "X-Carry", in->value);
    if (strcmp(in->key, "json") == 0) {
        char *json = NULL;

        rc = micro_call_json(micro_ctx_service(ctx), ctx, in->target, "Probe.Echo",
                             "{\"key\":\"x\"}", &json, NULL, &err);
        if (rc < 0)
            return fail_with(ctx, rc, &err);
        out->result = micro_ctx_strdup(ctx, json);
        free(json);
        return 0;
    }
    rc = micro_call(micro_ctx_service(ctx), ctx, in->target, "Probe.Echo", &in->base,
                    &probe__response__descriptor, &answer, NULL, &err);
    if (rc < 0)
        return fail_with(ctx, rc, &err);
    out->result = micro_ctx_strdup(ctx, ((Probe__Response *)answer)->result);
    protobuf_c_message_free_unpacked(answer, NULL);
    return 0;
}

static int publish(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                   void *user)
{
    const Probe__Request *in = (const Probe__Request *)req;
    struct micro_service *svc = micro_ctx_service(ctx);
    struct micro_error err = { 0 };
    const char *keys[1] = { "source" }, *values[1] = { "probe" };
    int rc = micro_broker_publish(svc, in->key, in->value, strlen(in->value), &err);

    (void)rsp;
    (void)user;
    if (rc == 0)
        rc = micro_events_publish(svc, in->key, in->value, strlen(in->value), keys, values, 1,
                                  &err);
    return rc < 0 ? fail_with(ctx, rc, &err) : 0;
}

static int received(struct micro_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *rsp,
                    void *user)
{
    struct received *r = user;
    Probe__Response *out = (Probe__Response *)rsp;

    (void)req;
    out->items = micro_ctx_alloc(ctx, (r->n + 1) * sizeof(char *));
    for (size_t i = 0; i < r->n; i++)
        out->items[i] = r->items[i];
    out->n_items = r->n;
    return 0;
}

int main(void)
{
    static struct received got;
    const ProtobufCServiceDescriptor *sd = &probe__probe__descriptor;
    struct micro_service *svc = micro_service_new("probe");
    int rc;

    if (!svc)
        return 1;
    rc = micro_service_handle(svc, sd, "Store", store, NULL);
    if (rc == 0)
        rc = micro_service_handle(svc, sd, "Config", config, NULL);
    if (rc == 0)
        rc = micro_service_handle(svc, sd, "Echo", echo, NULL);
    if (rc == 0)
        rc = micro_service_handle(svc, sd, "Chain", chain, NULL);
    if (rc == 0)
        rc = micro_service_handle(svc, sd, "Publish", publish, NULL);
    if (rc == 0)
        rc = micro_service_handle(svc, sd, "Received", received, &got);
    if (rc == 0 && getenv("PROBE_SUBSCRIBE")) {
        rc = micro_broker_subscribe(svc, "news", NULL, on_broker, &got);
        if (rc == 0)
            rc = micro_events_consume(svc, "orders", NULL, on_event, &got);
    }
    if (rc == 0)
        rc = micro_service_run(svc);
    micro_service_free(svc);
    for (size_t i = 0; i < got.n; i++)
        free(got.items[i]);
    return rc < 0 ? 1 : 0;
}
