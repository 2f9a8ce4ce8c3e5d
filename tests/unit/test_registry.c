/*
 * Unit tests for the registry (server/registry): the in-memory registry's
 * versions, domains, events, TTL expiry on a real loop, watchers and node lookup;
 * the registry service's handlers, authorization and Watch stream through mc_rpc;
 * and the core services' self-registration compared with upstream's document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core.h"
#include "mc_loop.h"
#include "mc_pbjson.h"
#include "mc_rpc.h"
#include "mc_schema.h"
#include "registry.pb-c.h"
#include "registry/registry.h"
#include "registry/registry_service.h"


/* ---- helpers ---------------------------------------------------------------------------- */

/* A service with nodes ids[0..n) at "addr-<id>", built in arena. */
static Registry__Service *mk_service(struct mc_arena *a, const char *name, const char *version,
                                     const char *const *ids, size_t n)
{
    Registry__Service *s = (Registry__Service *)mc_arena_message(a, &registry__service__descriptor);

    s->name = mc_arena_strdup(a, name);
    s->version = mc_arena_strdup(a, version);
    s->nodes = mc_arena_alloc(a, (n ? n : 1) * sizeof(*s->nodes));
    for (size_t i = 0; i < n; i++) {
        Registry__Node *node = (Registry__Node *)mc_arena_message(a, &registry__node__descriptor);
        node->id = mc_arena_strdup(a, ids[i]);
        node->address = mc_arena_printf(a, "addr-%s", ids[i]);
        node->port = 42;
        s->nodes[i] = node;
    }
    s->n_nodes = n;
    return s;
}

static const char *meta(const Registry__Service *s, const char *key)
{
    for (size_t i = 0; i < s->n_metadata; i++) {
        if (strcmp(s->metadata[i]->key, key) == 0)
            return s->metadata[i]->value;
    }
    return NULL;
}

#define MAX_EVENTS 32
struct recorder {
    size_t n;
    char action[MAX_EVENTS][16];
    char name[MAX_EVENTS][64];
    char version[MAX_EVENTS][64];
    char domain[MAX_EVENTS][64];
    size_t nodes[MAX_EVENTS];
    struct mc_registry *reg;            /* set: unwatch self after the first event */
    struct mc_registry_watcher *self;
    int closed;
};

static void record(const char *action, const Registry__Service *svc, void *arg)
{
    struct recorder *r = arg;

    assert_true(r->n < MAX_EVENTS);
    snprintf(r->action[r->n], sizeof(r->action[0]), "%s", action);
    snprintf(r->name[r->n], sizeof(r->name[0]), "%s", svc->name);
    snprintf(r->version[r->n], sizeof(r->version[0]), "%s", svc->version);
    snprintf(r->domain[r->n], sizeof(r->domain[0]), "%s", meta(svc, "domain"));
    r->nodes[r->n] = svc->n_nodes;
    r->n++;
    if (r->reg)
        mc_registry_unwatch(r->reg, r->self);
}

static void record_close(void *arg)
{
    ((struct recorder *)arg)->closed++;
}

static void assert_event(const struct recorder *r, size_t i, const char *action, const char *name,
                         const char *version, const char *domain, size_t nodes)
{
    assert_true(i < r->n);
    assert_string_equal(r->action[i], action);
    assert_string_equal(r->name[i], name);
    assert_string_equal(r->version[i], version);
    assert_string_equal(r->domain[i], domain);
    assert_int_equal(r->nodes[i], nodes);
}

struct fixture {
    struct mc_loop *loop;
    struct mc_registry *reg;
    struct mc_arena arena;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->loop = mc_loop_new();
    f->reg = mc_registry_new(f->loop);
    mc_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    mc_registry_free(f->reg);
    mc_arena_release(&f->arena);
    mc_loop_run_once(f->loop, 0);
    mc_loop_free(f->loop);
    free(f);
    return 0;
}

static size_t count_versions(struct fixture *f, const char *domain, const char *name)
{
    Registry__Service **svcs;
    size_t n;

    if (mc_registry_get(f->reg, domain, name, &f->arena, &svcs, &n) < 0)
        return 0;
    return n;
}

/* ---- the in-memory registry -------------------------------------------------------------- */

static void test_register_and_get(void **state)
{
    struct fixture *f = *state;
    const char *ids[] = { "foo-1", "foo-2" };
    Registry__Service *s = mk_service(&f->arena, "foo", "v1", ids, 2);
    Registry__Service **out;
    size_t n;

    assert_int_equal(mc_registry_register(f->reg, NULL, s, 90), MC_OK);
    assert_int_equal(mc_registry_get(f->reg, "micro", "foo", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->name, "foo");
    assert_string_equal(out[0]->version, "v1");
    assert_string_equal(meta(out[0], "domain"), "micro");
    assert_int_equal(out[0]->n_nodes, 2);
    assert_string_equal(out[0]->nodes[0]->id, "foo-1");
    assert_string_equal(out[0]->nodes[1]->address, "addr-foo-2");
    assert_int_equal(out[0]->nodes[0]->port, 0);   /* upstream never reports ports */
    assert_int_equal(out[0]->nodes[0]->n_metadata, 0);
    assert_non_null(out[0]->options);
    assert_int_equal(out[0]->options->ttl, 0);
    assert_string_equal(out[0]->options->domain, "");
    /* the caller's message is unchanged: the registry keeps its own copy */
    assert_int_equal(s->n_metadata, 0);
    assert_int_equal(s->nodes[0]->port, 42);
    /* missing names and empty names */
    assert_int_equal(mc_registry_get(f->reg, NULL, "bar", &f->arena, &out, &n), MC_ENOTFOUND);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(mc_registry_get(f->reg, NULL, "", &f->arena, &out, &n), MC_ENOTFOUND);
}

static void test_register_refuses_bad_input(void **state)
{
    struct fixture *f = *state;
    const char *ids[] = { "x-1" };
    const char *no_id[] = { "" };
    char long_name[MC_REGISTRY_MAX_NAME + 2];
    Registry__Service *s = mk_service(&f->arena, "", "v1", ids, 1);
    Registry__Service **out;
    size_t n;

    assert_int_equal(mc_registry_register(f->reg, NULL, s, 0), MC_EINVAL);
    s = mk_service(&f->arena, "x", "v1", no_id, 1);
    assert_int_equal(mc_registry_register(f->reg, NULL, s, 0), MC_EINVAL);
    s = mk_service(&f->arena, "x", "v1", ids, 1);
    assert_int_equal(mc_registry_register(f->reg, "*", s, 0), MC_EINVAL);
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    s = mk_service(&f->arena, long_name, "v1", ids, 1);
    assert_int_equal(mc_registry_register(f->reg, NULL, s, 0), MC_EINVAL);
    assert_int_equal(mc_registry_list(f->reg, "*", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mc_registry_register(f->reg, NULL, NULL, 0), MC_EINVAL);
    assert_int_equal(mc_registry_deregister(f->reg, NULL, NULL), MC_EINVAL);
}

static void test_versions_and_deregister(void **state)
{
    struct fixture *f = *state;
    const char *a[] = { "a" }, *b[] = { "b" }, *ab[] = { "a", "b" };
    Registry__Service **out;
    size_t n;

    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "v1", ab, 2),
                                          0), MC_OK);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "v2", a, 1),
                                          0), MC_OK);
    assert_int_equal(count_versions(f, NULL, "foo"), 2);
    assert_int_equal(mc_registry_list(f->reg, NULL, &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 2);   /* one entry per version */
    /* removing one node keeps the version */
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "v1", a, 1)),
                     MC_OK);
    assert_int_equal(mc_registry_get(f->reg, NULL, "foo", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0]->n_nodes, 1);
    assert_string_equal(out[0]->nodes[0]->id, "b");
    /* the last node removes the version, the last version the service */
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "v1", b, 1)),
                     MC_OK);
    assert_int_equal(count_versions(f, NULL, "foo"), 1);
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "v2", a, 1)),
                     MC_OK);
    assert_int_equal(count_versions(f, NULL, "foo"), 0);
    /* deregistering what is not there is fine */
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "v9", a, 1)),
                     MC_OK);
}

/* Thousands of services (the hash index by name grows several times): each is
 * found, versions of one name keep their registration order across the growth,
 * and removals in the middle (deregister, expiry) leave the others findable. */
static void test_many_services_indexed(void **state)
{
    struct fixture *f = *state;
    const char *a[] = { "a" };
    Registry__Service **out;
    char name[32], **addrs;
    size_t n;

    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "multi", "v1", a, 1),
                                          0), MC_OK);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "svc-%d", i);
        assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, name, "v1", a, 1),
                                              i % 3 == 0 ? 1 : 0), MC_OK);
        if (i == 1500)
            assert_int_equal(mc_registry_register(f->reg, "other",
                                                  mk_service(&f->arena, "multi", "v2", a, 1), 0),
                             MC_OK);
    }
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "multi", "v3", a, 1),
                                          0), MC_OK);
    assert_int_equal(mc_registry_get(f->reg, "*", "multi", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[0]->version, "v1");
    assert_string_equal(out[1]->version, "v2");
    assert_string_equal(out[2]->version, "v3");
    assert_int_equal(count_versions(f, NULL, "multi"), 2);
    assert_int_equal(count_versions(f, NULL, "svc-2999"), 1);
    assert_int_equal(mc_registry_lookup_nodes(f->reg, NULL, "svc-1234", &f->arena, &addrs, &n),
                     MC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addrs[0], "addr-a");
    /* deregister one in the middle */
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "svc-1000", "v1",
                                                                     a, 1)), MC_OK);
    assert_int_equal(count_versions(f, NULL, "svc-1000"), 0);
    assert_int_equal(count_versions(f, NULL, "svc-1001"), 1);
    /* a third of them expire (TTL 1 s) */
    nanosleep(&(struct timespec){ .tv_sec = 1, .tv_nsec = 200000000 }, NULL);
    mc_registry_prune(f->reg);
    assert_int_equal(count_versions(f, NULL, "svc-999"), 0);
    assert_int_equal(count_versions(f, NULL, "svc-1001"), 1);
    assert_int_equal(mc_registry_list(f->reg, NULL, &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 2 + 2000 - 1);
    assert_int_equal(mc_registry_lookup_nodes(f->reg, "*", "multi", &f->arena, &addrs, &n), MC_OK);
    assert_int_equal(n, 3);
}

static void test_domains_and_wildcard(void **state)
{
    struct fixture *f = *state;
    const char *m[] = { "m-1" }, *o[] = { "o-1" };
    Registry__Service **out;
    char **addrs;
    size_t n;

    assert_int_equal(mc_registry_register(f->reg, "micro", mk_service(&f->arena, "foo", "1", m, 1),
                                          0), MC_OK);
    assert_int_equal(mc_registry_register(f->reg, "other", mk_service(&f->arena, "foo", "1", o, 1),
                                          0), MC_OK);
    assert_int_equal(mc_registry_register(f->reg, "other", mk_service(&f->arena, "bar", "1", o, 1),
                                          0), MC_OK);
    assert_int_equal(count_versions(f, "micro", "foo"), 1);
    assert_int_equal(count_versions(f, "other", "foo"), 1);
    assert_int_equal(count_versions(f, "*", "foo"), 2);
    assert_int_equal(count_versions(f, "micro", "bar"), 0);
    assert_int_equal(mc_registry_get(f->reg, "*", "foo", &f->arena, &out, &n), MC_OK);
    assert_string_equal(meta(out[0], "domain"), "micro");
    assert_string_equal(meta(out[1], "domain"), "other");
    assert_int_equal(mc_registry_list(f->reg, "other", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mc_registry_list(f->reg, "*", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(mc_registry_list(f->reg, "nowhere", &f->arena, &out, &n), MC_OK);
    assert_int_equal(n, 0);
    /* the proxy's lookup: `*` matches any domain */
    assert_int_equal(mc_registry_lookup_nodes(f->reg, "*", "foo", &f->arena, &addrs, &n), MC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(addrs[0], "addr-m-1");
    assert_string_equal(addrs[1], "addr-o-1");
    assert_int_equal(mc_registry_lookup_nodes(f->reg, NULL, "foo", &f->arena, &addrs, &n), MC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addrs[0], "addr-m-1");
    assert_int_equal(mc_registry_lookup_nodes(f->reg, "micro", "bar", &f->arena, &addrs, &n),
                     MC_ENOTFOUND);
    assert_null(addrs);
}

static void test_events(void **state)
{
    struct fixture *f = *state;
    struct recorder r = { 0 };
    const char *a[] = { "a" }, *b[] = { "b" };

    mc_registry_watch(f->reg, "micro", NULL, record, NULL, &r);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "1", a, 1),
                                          0), MC_OK);
    assert_int_equal(r.n, 1);
    assert_event(&r, 0, "create", "foo", "1", "micro", 1);
    /* a known node only refreshes its TTL: no event */
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "1", a, 1),
                                          0), MC_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "1", b, 1),
                                          0), MC_OK);
    assert_event(&r, 1, "update", "foo", "1", "micro", 1);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "2", a, 1),
                                          0), MC_OK);
    assert_event(&r, 2, "create", "foo", "2", "micro", 1);
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "1", a, 1)),
                     MC_OK);
    assert_event(&r, 3, "update", "foo", "1", "micro", 1);
    /* the last node of a version while another version remains: delete */
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "1", b, 1)),
                     MC_OK);
    assert_event(&r, 4, "delete", "foo", "1", "micro", 1);
    assert_int_equal(mc_registry_deregister(f->reg, NULL, mk_service(&f->arena, "foo", "2", a, 1)),
                     MC_OK);
    assert_event(&r, 5, "delete", "foo", "2", "micro", 1);
    assert_int_equal(r.n, 6);
    assert_int_equal(count_versions(f, NULL, "foo"), 0);
}

static void test_watch_filters(void **state)
{
    struct fixture *f = *state;
    struct recorder only_foo = { 0 }, other = { 0 }, all = { 0 }, once = { 0 };
    const char *a[] = { "a" };

    mc_registry_watch(f->reg, NULL, "foo", record, NULL, &only_foo);
    mc_registry_watch(f->reg, "other", NULL, record, NULL, &other);
    mc_registry_watch(f->reg, "*", NULL, record, NULL, &all);
    once.reg = f->reg;
    once.self = mc_registry_watch(f->reg, "*", NULL, record, NULL, &once);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "foo", "1", a, 1),
                                          0), MC_OK);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "bar", "1", a, 1),
                                          0), MC_OK);
    assert_int_equal(mc_registry_register(f->reg, "other", mk_service(&f->arena, "foo", "1", a, 1),
                                          0), MC_OK);
    assert_int_equal(only_foo.n, 1);
    assert_event(&only_foo, 0, "create", "foo", "1", "micro", 1);
    assert_int_equal(other.n, 1);
    assert_event(&other, 0, "create", "foo", "1", "other", 1);
    assert_int_equal(all.n, 3);
    assert_event(&all, 1, "create", "bar", "1", "micro", 1);
    /* a watcher that unwatched itself from its callback heard only the first event */
    assert_int_equal(once.n, 1);
    /* open watchers are told when the registry goes away */
    struct recorder closing = { 0 };
    mc_registry_watch(f->reg, NULL, NULL, record, record_close, &closing);
    mc_registry_free(f->reg);
    assert_int_equal(closing.closed, 1);
    f->reg = mc_registry_new(f->loop);
}

static bool has_service(struct fixture *f, const char *name)
{
    return count_versions(f, NULL, name) > 0;
}

/* Runs the loop until name is gone or limit_ms pass; returns the elapsed ms. */
static uint64_t run_until_gone(struct fixture *f, const char *name, uint64_t start,
                               uint64_t limit_ms)
{
    while (has_service(f, name) && mc_now_ms() - start < limit_ms)
        mc_loop_run_once(f->loop, 50);
    return mc_now_ms() - start;
}

static void test_ttl_expiry(void **state)
{
    struct fixture *f = *state;
    struct recorder r = { 0 };
    const char *short_lived[] = { "s-1" }, *forever[] = { "f-1" }, *k[] = { "k-1" };
    uint64_t start = mc_now_ms(), elapsed;
    Registry__Service **out;
    size_t n;

    mc_registry_watch(f->reg, NULL, NULL, record, NULL, &r);
    assert_int_equal(mc_registry_register(f->reg, NULL,
                                          mk_service(&f->arena, "brief", "1", short_lived, 1), 1),
                     MC_OK);
    assert_int_equal(mc_registry_register(f->reg, NULL,
                                          mk_service(&f->arena, "mixed", "1", short_lived, 1), 1),
                     MC_OK);
    assert_int_equal(mc_registry_register(f->reg, NULL,
                                          mk_service(&f->arena, "mixed", "1", forever, 1), 0),
                     MC_OK);
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "kept", "1", k, 1),
                                          1), MC_OK);
    /* heartbeats well inside the TTL keep a node alive past it (every 300 ms for
     * 1.5 s; the bounds below are generous because CI machines are loaded) */
    while (mc_now_ms() - start < 1500) {
        mc_loop_run_once(f->loop, 50);
        if ((mc_now_ms() - start) % 300 < 60)
            assert_int_equal(mc_registry_register(f->reg, NULL,
                                                  mk_service(&f->arena, "kept", "1", k, 1), 1),
                             MC_OK);
    }
    assert_int_equal(mc_registry_register(f->reg, NULL, mk_service(&f->arena, "kept", "1", k, 1),
                                          1), MC_OK);
    elapsed = run_until_gone(f, "brief", start, 4000);
    assert_false(has_service(f, "brief"));
    assert_true(elapsed >= 1000);
    assert_true(elapsed <= 4000);
    assert_true(has_service(f, "kept"));
    elapsed = run_until_gone(f, "kept", start, 4500);
    assert_false(has_service(f, "kept"));
    assert_true(elapsed >= 2500);
    /* the version with a TTL-0 node lost only the expired node */
    assert_int_equal(mc_registry_get(f->reg, NULL, "mixed", &f->arena, &out, &n), MC_OK);
    assert_int_equal(out[0]->n_nodes, 1);
    assert_string_equal(out[0]->nodes[0]->id, "f-1");
    /* expiry is reported as a deregistration of the expired nodes */
    assert_int_equal(r.n, 7);
    for (size_t i = 4; i < 6; i++) {
        if (strcmp(r.name[i], "brief") == 0)
            assert_event(&r, i, "delete", "brief", "1", "micro", 1);
        else
            assert_event(&r, i, "update", "mixed", "1", "micro", 1);
    }
    assert_event(&r, 6, "delete", "kept", "1", "micro", 1);
    assert_true(has_service(f, "mixed"));
}

/* ---- the registry service ----------------------------------------------------------------- */

struct svc_fixture {
    struct mc_loop *loop;
    struct mc_rpc_server *srv;
    struct mc_core core;
    struct mc_arena arena;
    struct mc_error err;
    struct mc_buf out;
    int fake_auth;   /* core.auth points here to turn authorization on */
};

static int svc_setup(void **state)
{
    struct svc_fixture *f = calloc(1, sizeof(*f));
    struct mc_rpc_service *svc;

    f->loop = mc_loop_new();
    f->srv = mc_rpc_server_new();
    f->core.loop = f->loop;
    f->core.rpc = f->srv;
    svc = mc_rpc_server_add(f->srv, "registry");
    assert_int_equal(mc_registry_service_register(&f->core, svc), MC_OK);
    assert_non_null(f->core.registry);
    mc_arena_init(&f->arena);
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 1 << 20);
    *state = f;
    return 0;
}

static int svc_teardown(void **state)
{
    struct svc_fixture *f = *state;

    mc_registry_service_release(&f->core);
    assert_null(f->core.registry);
    mc_rpc_server_free(f->srv);
    mc_arena_release(&f->arena);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    mc_loop_run_once(f->loop, 0);
    mc_loop_free(f->loop);
    free(f);
    return 0;
}

static int call(struct svc_fixture *f, const char *method, const struct mc_account *account,
                const char *json)
{
    const struct mc_rpc_method *m;
    char path[128];
    struct mc_rpc_ctx ctx = { .arena = &f->arena, .err = &f->err, .account = account };
    int rc;

    snprintf(path, sizeof(path), "/registry.Registry/%s", method);
    mc_error_release(&f->err);
    rc = mc_rpc_route(f->srv, path, &m, NULL, &f->err);
    assert_int_equal(rc, MC_OK);
    mc_buf_reset(&f->out);
    return mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)json, strlen(json), &f->out);
}

static void assert_error_json(struct svc_fixture *f, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 4096);
    assert_int_equal(mc_error_to_json(&f->err, &b), MC_OK);
    assert_string_equal(mc_buf_cstr(&b), want);
    mc_buf_release(&b);
}

static void test_service_handlers(void **state)
{
    struct svc_fixture *f = *state;

    assert_int_equal(call(f, "Register", NULL,
                          "{\"name\":\"greeter\",\"version\":\"1\",\"nodes\":[{\"id\":\"g-1\","
                          "\"address\":\"127.0.0.1:9\",\"metadata\":{\"a\":\"b\"}}],"
                          "\"options\":{\"ttl\":\"90\"}}"),
                     MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{}");
    assert_int_equal(call(f, "GetService", NULL, "{\"service\":\"greeter\"}"), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out),
                        "{\"services\":[{\"name\":\"greeter\",\"version\":\"1\",\"metadata\":"
                        "{\"domain\":\"micro\"},\"endpoints\":[],\"nodes\":[{\"id\":\"g-1\","
                        "\"address\":\"127.0.0.1:9\",\"port\":\"0\",\"metadata\":{\"a\":\"b\"}}],"
                        "\"options\":{\"ttl\":\"0\",\"domain\":\"\"}}]}");
    assert_int_equal(call(f, "ListServices", NULL, "{}"), MC_OK);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"name\":\"greeter\""));
    assert_int_equal(call(f, "ListServices", NULL, "{\"options\":{\"domain\":\"other\"}}"), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"services\":[]}");
    assert_int_equal(call(f, "Deregister", NULL,
                          "{\"name\":\"greeter\",\"version\":\"1\",\"nodes\":[{\"id\":\"g-1\"}]}"),
                     MC_OK);
    assert_true(call(f, "GetService", NULL, "{\"service\":\"greeter\"}") < 0);
    assert_error_json(f, "{\"id\":\"registry.Registry.GetService\",\"code\":404,"
                         "\"detail\":\"service not found\",\"status\":\"Not Found\"}");
}

static void test_service_bad_input(void **state)
{
    struct svc_fixture *f = *state;

    assert_true(call(f, "Register", NULL, "{\"name\":") < 0);
    assert_int_equal(f->err.code, 400);
    assert_true(call(f, "Register", NULL, "{\"name\":\"x\",\"nodes\":\"many\"}") < 0);
    assert_int_equal(f->err.code, 400);
    assert_true(call(f, "GetService", NULL, "{\"options\":{\"ttl\":\"abc\"}}") < 0);
    assert_int_equal(f->err.code, 400);
    assert_true(call(f, "Register", NULL, "{\"version\":\"1\"}") < 0);
    assert_error_json(f, "{\"id\":\"registry.Registry.Register\",\"code\":400,"
                         "\"detail\":\"service name is required\",\"status\":\"Bad Request\"}");
    assert_true(call(f, "Register", NULL, "{\"name\":\"x\",\"options\":{\"domain\":\"*\"}}") < 0);
    assert_int_equal(f->err.code, 400);
    assert_string_equal(f->err.detail, "cannot register in domain *");
    assert_true(call(f, "Register", NULL,
                     "{\"name\":\"x\",\"nodes\":[{\"address\":\"a:1\"}]}") < 0);
    assert_int_equal(f->err.code, 400);
    /* nothing was stored by the refused calls */
    assert_int_equal(call(f, "ListServices", NULL, "{\"options\":{\"domain\":\"*\"}}"), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "{\"services\":[]}");
}

static void test_authorize_rules(void **state)
{
    static const char *const admin_scope[] = { "admin" };
    static const char *const service_scope[] = { "service" };
    const struct mc_account micro_admin = { .id = "admin", .type = "user", .issuer = "micro",
                                            .scopes = admin_scope, .nscopes = 1 };
    const struct mc_account micro_user = { .id = "joe", .type = "user", .issuer = "micro" };
    const struct mc_account micro_svc = { .id = "svc", .type = "service", .issuer = "micro",
                                          .scopes = service_scope, .nscopes = 1 };
    const struct mc_account foo_user = { .id = "ann", .type = "user", .issuer = "foo" };
    const struct mc_account foo_admin = { .id = "bob", .type = "user", .issuer = "foo",
                                          .scopes = admin_scope, .nscopes = 1 };
    const struct mc_account foo_bot = { .id = "bot", .type = "bot", .issuer = "foo" };
    struct mc_error err;
    const char *id = "registry.Registry.GetService";

    (void)state;
    mc_error_init(&err);
    assert_true(mc_registry_authorize(NULL, "micro", false, id, &err) < 0);
    assert_int_equal(err.code, 401);
    assert_string_equal(err.detail, "an account is required");
    assert_string_equal(err.id, id);
    /* micro-issued admins and services: any domain, read and write */
    assert_int_equal(mc_registry_authorize(&micro_admin, "foo", true, id, &err), MC_OK);
    assert_int_equal(mc_registry_authorize(&micro_svc, "*", true, id, &err), MC_OK);
    /* accounts of a domain read it; only admins change it */
    assert_int_equal(mc_registry_authorize(&micro_user, "micro", false, id, &err), MC_OK);
    assert_true(mc_registry_authorize(&micro_user, "micro", true, id, &err) < 0);
    assert_int_equal(err.code, 401);
    assert_string_equal(err.detail, "Unauthorized");
    assert_true(mc_registry_authorize(&foo_user, "micro", false, id, &err) < 0);
    assert_string_equal(err.detail, "access denied to namespace");
    assert_int_equal(mc_registry_authorize(&foo_user, "foo", false, id, &err), MC_OK);
    assert_true(mc_registry_authorize(&foo_user, "micro", false, id, &err) < 0);
    assert_int_equal(err.code, 403);
    assert_int_equal(mc_registry_authorize(&foo_admin, "foo", true, id, &err), MC_OK);
    assert_true(mc_registry_authorize(&foo_admin, "bar", false, id, &err) < 0);
    assert_true(mc_registry_authorize(&foo_bot, "foo", false, id, &err) < 0);
    mc_error_release(&err);
}

static void test_service_authorization(void **state)
{
    struct svc_fixture *f = *state;
    static const char *const admin_scope[] = { "admin" };
    const struct mc_account admin = { .id = "admin", .type = "user", .issuer = "micro",
                                       .scopes = admin_scope, .nscopes = 1 };
    const struct mc_account ann = { .id = "ann", .type = "user", .issuer = "foo" };

    /* without an auth service the registry is open (checked in the tests above) */
    f->core.auth = (struct mc_auth *)&f->fake_auth;
    assert_true(call(f, "ListServices", NULL, "{}") < 0);
    assert_error_json(f, "{\"id\":\"registry.Registry.ListServices\",\"code\":401,"
                         "\"detail\":\"an account is required\",\"status\":\"Unauthorized\"}");
    assert_int_equal(call(f, "Register", &admin, "{\"name\":\"x\",\"nodes\":[{\"id\":\"x-1\"}]}"),
                     MC_OK);
    assert_int_equal(call(f, "GetService", &admin, "{\"service\":\"x\"}"), MC_OK);
    assert_true(call(f, "GetService", &ann, "{\"service\":\"x\"}") < 0);
    assert_int_equal(f->err.code, 403);
    assert_string_equal(f->err.id, "registry.Registry.GetService");
    assert_true(call(f, "Register", &ann,
                     "{\"name\":\"y\",\"options\":{\"domain\":\"foo\"}}") < 0);
    assert_int_equal(f->err.code, 401);   /* writes need an admin (AuthorizeAdmin) */
    assert_int_equal(call(f, "ListServices", &ann, "{\"options\":{\"domain\":\"foo\"}}"), MC_OK);
    assert_true(call(f, "Deregister", NULL, "{\"name\":\"x\"}") < 0);
    assert_int_equal(f->err.code, 401);
    assert_string_equal(f->err.id, "registry.Registry.Deregister");
    f->core.auth = NULL;
}

/* ---- Watch through the stream API, with an in-memory transport ------------------------------ */

struct fake_transport {
    size_t sent;
    struct mc_buf last;
    size_t pending;
    int finished;
    struct mc_error err;
};

static int ft_send(void *t, const void *data, size_t len)
{
    struct fake_transport *ft = t;

    ft->sent++;
    mc_buf_reset(&ft->last);
    return mc_buf_append(&ft->last, data, len);
}

static size_t ft_pending(void *t)
{
    return ((struct fake_transport *)t)->pending;
}

static void ft_finish(void *t, const struct mc_error *err)
{
    struct fake_transport *ft = t;

    ft->finished++;
    if (err)
        mc_error_copy(&ft->err, err);
}

static const struct mc_rpc_stream_transport ft_ops = { ft_send, ft_pending, ft_finish };

static void ft_init(struct fake_transport *ft)
{
    memset(ft, 0, sizeof(*ft));
    mc_buf_init(&ft->last, 1 << 20);
    mc_error_init(&ft->err);
}

static void ft_release(struct fake_transport *ft)
{
    mc_buf_release(&ft->last);
    mc_error_release(&ft->err);
}

static struct mc_rpc_stream *open_watch(struct svc_fixture *f, struct fake_transport *ft,
                                        const char *request)
{
    const struct mc_rpc_method *m;
    struct mc_rpc_stream *st;

    assert_int_equal(mc_rpc_route(f->srv, "/registry.Registry/Watch", &m, NULL, &f->err), MC_OK);
    assert_int_equal(mc_rpc_method_stream_kind(m), MC_RPC_STREAM_SERVER);
    st = mc_rpc_stream_open(m, MC_CODEC_JSON, NULL, 0, &ft_ops, ft, &f->err);
    assert_non_null(st);
    mc_rpc_stream_deliver(st, request, strlen(request));
    return st;
}

static void reg(struct svc_fixture *f, const char *name, const char *version, const char *node)
{
    const char *ids[] = { node };
    assert_int_equal(mc_registry_register(f->core.registry, NULL,
                                          mk_service(&f->arena, name, version, ids, 1), 0),
                     MC_OK);
}

static void test_watch_stream(void **state)
{
    struct svc_fixture *f = *state;
    const char *w1[] = { "w-1" };
    struct fake_transport ft;
    struct mc_rpc_stream *st;

    ft_init(&ft);
    st = open_watch(f, &ft, "{\"service\":\"w\"}");
    reg(f, "w", "1", "w-1");
    reg(f, "other", "1", "o-1");
    assert_int_equal(ft.sent, 1);
    assert_non_null(strstr(mc_buf_cstr(&ft.last),
                           "{\"action\":\"create\",\"service\":{\"name\":\"w\""));
    assert_non_null(strstr(mc_buf_cstr(&ft.last), "\"metadata\":{\"domain\":\"micro\"}"));
    assert_int_equal(mc_registry_deregister(f->core.registry, NULL,
                                            mk_service(&f->arena, "w", "1", w1, 1)),
                     MC_OK);
    assert_int_equal(ft.sent, 2);
    assert_non_null(strstr(mc_buf_cstr(&ft.last), "{\"action\":\"delete\""));
    /* a later client message is ignored */
    mc_rpc_stream_deliver(st, "{\"service\":\"other\"}", 19);
    reg(f, "other", "2", "o-2");
    assert_int_equal(ft.sent, 2);
    assert_int_equal(ft.finished, 0);
    /* the client goes away: the watcher with it */
    mc_rpc_stream_cancel(st);
    reg(f, "w", "2", "w-2");
    assert_int_equal(ft.sent, 2);
    assert_int_equal(ft.finished, 0);
    ft_release(&ft);
}

static void test_watch_slow_client_is_dropped(void **state)
{
    struct svc_fixture *f = *state;
    struct fake_transport slow, fine;

    ft_init(&slow);
    ft_init(&fine);
    open_watch(f, &slow, "{}");
    open_watch(f, &fine, "{}");
    reg(f, "a", "1", "a-1");
    assert_int_equal(slow.sent, 1);
    slow.pending = MC_REGISTRY_WATCH_MAX_PENDING + 1;
    reg(f, "a", "2", "a-2");
    assert_int_equal(slow.sent, 1);
    assert_int_equal(slow.finished, 1);
    assert_int_equal(slow.err.code, 503);
    assert_string_equal(slow.err.detail, "watcher too slow: events dropped");
    /* the others keep going, and the dropped one is gone for good */
    reg(f, "a", "3", "a-3");
    assert_int_equal(fine.sent, 3);
    assert_int_equal(slow.sent, 1);
    assert_int_equal(slow.finished, 1);
    /* a watch still open when the registry stops is finished with 503 */
    mc_registry_service_release(&f->core);
    assert_int_equal(fine.finished, 1);
    assert_string_equal(fine.err.detail, "registry stopped");
    f->core.registry = mc_registry_new(f->loop);
    ft_release(&slow);
    ft_release(&fine);
}

static void test_watch_requires_account_with_auth(void **state)
{
    struct svc_fixture *f = *state;
    struct fake_transport ft;

    ft_init(&ft);
    f->core.auth = (struct mc_auth *)&f->fake_auth;
    open_watch(f, &ft, "{}");
    assert_int_equal(ft.finished, 1);
    assert_int_equal(ft.err.code, 401);
    assert_string_equal(ft.err.id, "registry.Registry.Watch");
    assert_string_equal(ft.err.detail, "an account is required");
    reg(f, "a", "1", "a-1");
    assert_int_equal(ft.sent, 0);
    f->core.auth = NULL;
    ft_release(&ft);
}

/* ---- the core services' registration ------------------------------------------------------- */

static const char config_expected[] =
    "{\"services\":[{\"name\":\"config\",\"version\":\"latest\",\"metadata\":{\"domain\":\"micro"
    "\"},\"endpoints\":[{\"name\":\"Config.Delete\",\"request\":{\"name\":\"DeleteRequest\",\"t"
    "ype\":\"DeleteRequest\",\"values\":[{\"name\":\"namespace\",\"type\":\"string\",\"values\":"
    "[]},{\"name\":\"path\",\"type\":\"string\",\"values\":[]}]},\"response\":{\"name\":\"Delete"
    "Response\",\"type\":\"DeleteResponse\",\"values\":[]},\"metadata\":{}},{\"name\":\"Confi"
    "g.Get\",\"request\":{\"name\":\"GetRequest\",\"type\":\"GetRequest\",\"values\":[{\"name\":"
    "\"namespace\",\"type\":\"string\",\"values\":[]},{\"name\":\"path\",\"type\":\"string\",\"val"
    "ues\":[]},{\"name\":\"options\",\"type\":\"Options\",\"values\":[{\"name\":\"secret\",\"type"
    "\":\"bool\",\"values\":[]}]}]},\"response\":{\"name\":\"GetResponse\",\"type\":\"GetRespon"
    "se\",\"values\":[{\"name\":\"value\",\"type\":\"Value\",\"values\":[{\"name\":\"data\",\"type\""
    ":\"string\",\"values\":[]},{\"name\":\"format\",\"type\":\"string\",\"values\":[]}]}]},\"me"
    "tadata\":{}},{\"name\":\"Config.Read\",\"request\":{\"name\":\"ReadRequest\",\"type\":\"Re"
    "adRequest\",\"values\":[{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]},{\"name"
    "\":\"path\",\"type\":\"string\",\"values\":[]}]},\"response\":{\"name\":\"ReadResponse\",\"t"
    "ype\":\"ReadResponse\",\"values\":[{\"name\":\"change\",\"type\":\"Change\",\"values\":[{\"n"
    "ame\":\"namespace\",\"type\":\"string\",\"values\":[]},{\"name\":\"path\",\"type\":\"string\""
    ",\"values\":[]},{\"name\":\"changeSet\",\"type\":\"ChangeSet\",\"values\":[{\"name\":\"data"
    "\",\"type\":\"string\",\"values\":[]},{\"name\":\"checksum\",\"type\":\"string\",\"values\":["
    "]},{\"name\":\"format\",\"type\":\"string\",\"values\":[]},{\"name\":\"source\",\"type\":\"st"
    "ring\",\"values\":[]},{\"name\":\"timestamp\",\"type\":\"int64\",\"values\":[]}]}]}]},\"me"
    "tadata\":{}},{\"name\":\"Config.Set\",\"request\":{\"name\":\"SetRequest\",\"type\":\"SetR"
    "equest\",\"values\":[{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]},{\"name\":\""
    "path\",\"type\":\"string\",\"values\":[]},{\"name\":\"value\",\"type\":\"Value\",\"values\":["
    "{\"name\":\"data\",\"type\":\"string\",\"values\":[]},{\"name\":\"format\",\"type\":\"string\""
    ",\"values\":[]}]},{\"name\":\"options\",\"type\":\"Options\",\"values\":[{\"name\":\"secret"
    "\",\"type\":\"bool\",\"values\":[]}]}]},\"response\":{\"name\":\"SetResponse\",\"type\":\"Se"
    "tResponse\",\"values\":[]},\"metadata\":{}}],\"nodes\":[{\"id\":\"config-UUID\",\"addres"
    "s\":\"127.0.0.1:8081\",\"port\":\"0\",\"metadata\":{\"broker\":\"service\",\"protocol\":\"gr"
    "pc\",\"registry\":\"service\",\"server\":\"grpc\",\"transport\":\"grpc\"}}],\"options\":{\"t"
    "tl\":\"0\",\"domain\":\"\"}}]}";

static void test_core_registration(void **state)
{
    struct fixture *f = *state;
    Registry__GetResponse rsp = REGISTRY__GET_RESPONSE__INIT;
    Registry__Service **all;
    struct mc_buf json;
    char *id;
    size_t n;
    static const char *const names[] = { "registry", "broker", "network", "runtime", "config",
                                         "store", "events", "auth", "api" };

    struct mc_rpc_server *rpc = mc_rpc_server_new();

    /* only what the server serves in process is registered: a node at the proxy for
     * a service it does not serve would send the proxy's calls back to itself */
    for (size_t i = 0; i + 1 < MC_ARRAY_LEN(names); i++)
        assert_non_null(mc_rpc_server_add(rpc, names[i]));
    assert_int_equal(mc_registry_register_core(f->reg, rpc, "127.0.0.1:8081"), MC_OK);
    assert_int_equal(mc_registry_get(f->reg, NULL, "api", &f->arena, &all, &n), MC_ENOTFOUND);
    mc_registry_free(f->reg);
    f->reg = mc_registry_new(f->loop);
    assert_non_null(mc_rpc_server_add(rpc, "api"));
    assert_int_equal(mc_registry_register_core(f->reg, rpc, "127.0.0.1:8081"), MC_OK);
    mc_rpc_server_free(rpc);
    assert_int_equal(mc_registry_list(f->reg, NULL, &f->arena, &all, &n), MC_OK);
    assert_int_equal(n, MC_ARRAY_LEN(names));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->name, names[i]);
        assert_string_equal(all[i]->version, "latest");
        assert_true(all[i]->n_endpoints > 0);
        for (size_t e = 1; e < all[i]->n_endpoints; e++)
            assert_true(strcmp(all[i]->endpoints[e - 1]->name, all[i]->endpoints[e]->name) < 0);
    }
    /* config's document is upstream's, byte for byte but for the node id and address */
    assert_int_equal(mc_registry_get(f->reg, NULL, "config", &f->arena, &rsp.services,
                                     &rsp.n_services), MC_OK);
    mc_buf_init(&json, 1 << 20);
    assert_int_equal(mc_pbjson_encode(&rsp.base, MC_PBJSON_COMPACT, &json, NULL), MC_OK);
    id = strstr(json.data, "\"id\":\"config-");
    assert_non_null(id);
    id += strlen("\"id\":\"config-");
    for (size_t i = 0; i < 36; i++)
        assert_true(i == 8 || i == 13 || i == 18 || i == 23 ? id[i] == '-'
                                                            : mc_hex_value(id[i]) >= 0);
    assert_int_equal(id[14], '4');   /* a version 4 UUID */
    memmove(id + 4, id + 36, strlen(id + 36) + 1);
    memcpy(id, "UUID", 4);
    json.len = strlen(json.data);
    assert_string_equal(mc_buf_cstr(&json), config_expected);
    mc_buf_release(&json);
    /* the registry's own node says it uses the memory registry, as upstream's */
    assert_int_equal(mc_registry_get(f->reg, NULL, "registry", &f->arena, &all, &n), MC_OK);
    assert_int_equal(all[0]->nodes[0]->n_metadata, 5);
    assert_string_equal(all[0]->nodes[0]->metadata[2]->key, "registry");
    assert_string_equal(all[0]->nodes[0]->metadata[2]->value, "memory");
    /* the stream endpoints are flagged */
    assert_string_equal(all[0]->endpoints[4]->name, "Registry.Watch");
    assert_int_equal(mc_schema_endpoint_stream_kind(all[0]->endpoints[4]), MC_SCHEMA_SERVER_STREAM);
    /* the core services never expire */
    mc_registry_prune(f->reg);
    assert_int_equal(mc_registry_list(f->reg, NULL, &f->arena, &all, &n), MC_OK);
    assert_int_equal(n, MC_ARRAY_LEN(names));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_refuses_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_and_deregister, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_services_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domains_and_wildcard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_core_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_handlers, svc_setup, svc_teardown),
        cmocka_unit_test_setup_teardown(test_service_bad_input, svc_setup, svc_teardown),
        cmocka_unit_test(test_authorize_rules),
        cmocka_unit_test_setup_teardown(test_service_authorization, svc_setup, svc_teardown),
        cmocka_unit_test_setup_teardown(test_watch_stream, svc_setup, svc_teardown),
        cmocka_unit_test_setup_teardown(test_watch_slow_client_is_dropped, svc_setup,
                                        svc_teardown),
        cmocka_unit_test_setup_teardown(test_watch_requires_account_with_auth, svc_setup,
                                        svc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
