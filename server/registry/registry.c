/*
 * The in-memory registry (see registry.h). Versions sit in one flat array in
 * registration order (the order makes listings stable), and in a hash index by
 * service name whose chains keep that order, so finding one service (every
 * register, GetService, and every call the proxy forwards) does not walk the
 * whole array when thousands are registered; each version keeps its service
 * document packed without nodes, and
 * each node its packed form, so every read deep-copies by unpacking into the
 * caller's arena and nothing stored is ever shared with a caller. Changes are
 * applied completely before watchers run, so a watcher that calls back into the
 * registry always sees a consistent state.
 */
#include "registry/registry.h"

#include <stdlib.h>
#include <string.h>

#include "mc_common.h"
#include "mc_log.h"
#include "mc_loop.h"
#include "mc_banned.h"

struct reg_node {
    char *id;
    char *address;
    uint8_t *packed;      /* the Registry__Node as registered, port 0 */
    size_t len;
    int64_t ttl_ms;       /* 0: never expires */
    uint64_t last_seen;   /* mc_now_ms() */
};

struct reg_version {
    char *domain;
    char *name;
    char *version;
    uint8_t *doc;         /* Registry__Service without nodes and options, metadata domain set */
    size_t doc_len;
    struct reg_node *nodes;
    size_t n_nodes;
    size_t cap_nodes;
    struct reg_version *hnext;   /* next in its hash chain, in registration order */
};

struct mc_registry_watcher {
    char *domain;
    char *service;        /* NULL: every service */
    mc_registry_watch_fn fn;
    void (*on_close)(void *arg);
    void *arg;
    bool dead;            /* unwatched while watchers were running: freed after */
};

struct mc_registry {
    struct mc_loop *loop;
    struct mc_timer *timer;
    struct reg_version **versions;
    size_t n_versions;
    size_t cap_versions;
    struct reg_version **buckets;   /* hash index by name; n_buckets a power of two */
    size_t n_buckets;
    size_t bytes;         /* stored documents and nodes, for MC_REGISTRY_MAX_BYTES */
    struct mc_registry_watcher **watchers;
    size_t n_watchers;
    size_t cap_watchers;
    unsigned notifying;   /* depth of watcher callbacks in progress */
};

/* One change to report, built before watchers run. */
struct reg_event {
    const char *action;
    Registry__Service *svc;
};

struct reg_events {
    struct mc_arena arena;
    struct reg_event *ev;
    size_t n;
    size_t cap;
};

static const char *domain_or_default(const char *domain)
{
    return domain && domain[0] ? domain : MC_REGISTRY_DEFAULT_DOMAIN;
}

static bool is_wildcard(const char *domain)
{
    return strcmp(domain, MC_REGISTRY_WILDCARD_DOMAIN) == 0;
}

static bool name_ok(const char *s, bool required)
{
    if (!s || !s[0])
        return !required;
    return strlen(s) <= MC_REGISTRY_MAX_NAME;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* ---- packing ------------------------------------------------------------------------ */

static uint8_t *pack_message(const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = mc_malloc(n ? n : 1);

    *len = protobuf_c_message_pack(msg, buf);
    return buf;
}

/* A shallow copy of svc in arena with metadata `domain` set (replacing any given one),
 * the given nodes and an empty options message, as documents are reported. */
static Registry__Service *service_with_domain(struct mc_arena *arena, const Registry__Service *svc,
                                              const char *domain, Registry__Node **nodes,
                                              size_t n_nodes)
{
    Registry__Service *out = mc_arena_alloc(arena, sizeof(*out));
    Registry__Service__MetadataEntry *dom = mc_arena_alloc(arena, sizeof(*dom));
    Registry__Options *opts = mc_arena_alloc(arena, sizeof(*opts));
    size_t n = 0;

    *out = *svc;
    registry__service__metadata_entry__init(dom);
    dom->key = (char *)"domain";
    dom->value = (char *)domain;
    out->metadata = mc_arena_alloc(arena, (svc->n_metadata + 1) * sizeof(*out->metadata));
    for (size_t i = 0; i < svc->n_metadata; i++) {
        if (svc->metadata[i] && strcmp(str_or_empty(svc->metadata[i]->key), "domain") != 0)
            out->metadata[n++] = svc->metadata[i];
    }
    out->metadata[n++] = dom;
    out->n_metadata = n;
    out->nodes = nodes;
    out->n_nodes = n_nodes;
    registry__options__init(opts);
    opts->domain = (char *)"";
    out->options = opts;
    if (!out->name)
        out->name = (char *)"";
    if (!out->version)
        out->version = (char *)"";
    return out;
}

static Registry__Node *unpack_node(struct mc_arena *arena, const struct reg_node *n)
{
    return (Registry__Node *)protobuf_c_message_unpack(&registry__node__descriptor,
                                                       mc_arena_pb(arena), n->len, n->packed);
}

/* The stored document of v with nodes (all of v's when nodes is NULL), in arena. */
static Registry__Service *version_document(struct mc_arena *arena, const struct reg_version *v,
                                           Registry__Node **nodes, size_t n_nodes)
{
    Registry__Service *svc = (Registry__Service *)protobuf_c_message_unpack(
        &registry__service__descriptor, mc_arena_pb(arena), v->doc_len, v->doc);
    Registry__Options *opts = mc_arena_alloc(arena, sizeof(*opts));

    if (!svc)
        abort();   /* we packed it ourselves: only allocation can fail, which aborts first */
    if (!nodes) {
        n_nodes = v->n_nodes;
        nodes = mc_arena_alloc(arena, (n_nodes ? n_nodes : 1) * sizeof(*nodes));
        for (size_t i = 0; i < n_nodes; i++) {
            nodes[i] = unpack_node(arena, &v->nodes[i]);
            if (!nodes[i])
                abort();
        }
    }
    svc->nodes = nodes;
    svc->n_nodes = n_nodes;
    registry__options__init(opts);
    opts->domain = (char *)"";
    svc->options = opts;
    return svc;
}

/* ---- events ------------------------------------------------------------------------- */

static void events_init(struct reg_events *e)
{
    memset(e, 0, sizeof(*e));
    mc_arena_init(&e->arena);
}

static void events_add(struct reg_events *e, const char *action, Registry__Service *svc)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->ev = mc_realloc(e->ev, e->cap * sizeof(*e->ev));
    }
    e->ev[e->n].action = action;
    e->ev[e->n].svc = svc;
    e->n++;
}

static const char *service_domain(const Registry__Service *svc)
{
    for (size_t i = 0; i < svc->n_metadata; i++) {
        if (strcmp(str_or_empty(svc->metadata[i]->key), "domain") == 0)
            return str_or_empty(svc->metadata[i]->value);
    }
    return MC_REGISTRY_DEFAULT_DOMAIN;
}

static bool watcher_wants(const struct mc_registry_watcher *w, const Registry__Service *svc)
{
    if (w->dead)
        return false;
    if (w->service && strcmp(w->service, svc->name) != 0)
        return false;
    return is_wildcard(w->domain) || strcmp(w->domain, service_domain(svc)) == 0;
}

static void watcher_free(struct mc_registry_watcher *w)
{
    free(w->domain);
    free(w->service);
    free(w);
}

/* Frees the watchers unwatched while callbacks were running. */
static void sweep_watchers(struct mc_registry *reg)
{
    size_t n = 0;

    for (size_t i = 0; i < reg->n_watchers; i++) {
        if (reg->watchers[i]->dead)
            watcher_free(reg->watchers[i]);
        else
            reg->watchers[n++] = reg->watchers[i];
    }
    reg->n_watchers = n;
}

/* Runs the watchers for each event, then frees the events. Watchers added by a
 * callback see the later events of the batch too (the count is read each time). */
static void events_deliver(struct mc_registry *reg, struct reg_events *e)
{
    reg->notifying++;
    for (size_t k = 0; k < e->n; k++) {
        for (size_t i = 0; i < reg->n_watchers; i++) {
            struct mc_registry_watcher *w = reg->watchers[i];
            if (watcher_wants(w, e->ev[k].svc))
                w->fn(e->ev[k].action, e->ev[k].svc, w->arg);
        }
    }
    if (--reg->notifying == 0)
        sweep_watchers(reg);
    free(e->ev);
    mc_arena_release(&e->arena);
}

/* ---- the hash index by name ---------------------------------------------------------- */

#define INDEX_MIN_BUCKETS 64

static size_t name_hash(const char *s)
{
    return (size_t)mc_fnv1a(MC_FNV1A_INIT, s, strlen(s));
}

/* The first version in name's chain (versions of other names may follow). */
static struct reg_version *index_first(const struct mc_registry *reg, const char *name)
{
    if (reg->n_buckets == 0)
        return NULL;
    return reg->buckets[name_hash(name) & (reg->n_buckets - 1)];
}

/* Appends v at the end of its chain: chains keep registration order. */
static void index_append(struct mc_registry *reg, struct reg_version *v)
{
    struct reg_version **pp = &reg->buckets[name_hash(v->name) & (reg->n_buckets - 1)];

    while (*pp)
        pp = &(*pp)->hnext;
    v->hnext = NULL;
    *pp = v;
}

/* Adds reg->versions[n_versions - 1] to the index, growing it to keep chains short. */
static void index_add_last(struct mc_registry *reg)
{
    if (reg->n_versions > reg->n_buckets) {
        reg->n_buckets = reg->n_buckets ? reg->n_buckets * 2 : INDEX_MIN_BUCKETS;
        free(reg->buckets);
        reg->buckets = mc_calloc(reg->n_buckets, sizeof(*reg->buckets));
        for (size_t i = 0; i < reg->n_versions; i++)
            index_append(reg, reg->versions[i]);
        return;
    }
    index_append(reg, reg->versions[reg->n_versions - 1]);
}

static void index_remove(struct mc_registry *reg, struct reg_version *v)
{
    struct reg_version **pp = &reg->buckets[name_hash(v->name) & (reg->n_buckets - 1)];

    while (*pp != v)
        pp = &(*pp)->hnext;
    *pp = v->hnext;
}

/* ---- the store of versions ---------------------------------------------------------- */

static struct reg_version *find_version(const struct mc_registry *reg, const char *domain,
                                        const char *name, const char *version)
{
    for (struct reg_version *v = index_first(reg, name); v; v = v->hnext) {
        if (strcmp(v->name, name) == 0 && strcmp(v->domain, domain) == 0 &&
            strcmp(v->version, version) == 0)
            return v;
    }
    return NULL;
}

/* Where v sits in the flat array (it is there). */
static size_t version_at(const struct mc_registry *reg, const struct reg_version *v)
{
    size_t i = 0;

    while (reg->versions[i] != v)
        i++;
    return i;
}

static struct reg_node *find_node(const struct reg_version *v, const char *id)
{
    for (size_t i = 0; i < v->n_nodes; i++) {
        if (strcmp(v->nodes[i].id, id) == 0)
            return &v->nodes[i];
    }
    return NULL;
}

static size_t node_bytes(const struct reg_node *n)
{
    return n->len + strlen(n->id) + strlen(n->address) + sizeof(*n);
}

static size_t version_bytes(const struct reg_version *v)
{
    return v->doc_len + strlen(v->domain) + strlen(v->name) + strlen(v->version) + sizeof(*v);
}

static void node_release(struct reg_node *n)
{
    free(n->id);
    free(n->address);
    free(n->packed);
}

static void version_free(struct reg_version *v)
{
    for (size_t i = 0; i < v->n_nodes; i++)
        node_release(&v->nodes[i]);
    free(v->nodes);
    free(v->domain);
    free(v->name);
    free(v->version);
    free(v->doc);
    free(v);
}

/* Fills n from a registered node (port cleared, as upstream never sets it). */
static void node_make(struct reg_node *n, const Registry__Node *src, int64_t ttl_ms, uint64_t now)
{
    Registry__Node copy = *src;

    copy.port = 0;
    if (!copy.address)
        copy.address = (char *)"";
    n->id = mc_strdup(src->id);
    n->address = mc_strdup(copy.address);
    n->packed = pack_message(&copy.base, &n->len);
    n->ttl_ms = ttl_ms;
    n->last_seen = now;
}

static void version_add_node(struct mc_registry *reg, struct reg_version *v,
                             const Registry__Node *src, int64_t ttl_ms, uint64_t now)
{
    if (v->n_nodes == v->cap_nodes) {
        v->cap_nodes = v->cap_nodes ? v->cap_nodes * 2 : 2;
        v->nodes = mc_realloc(v->nodes, v->cap_nodes * sizeof(*v->nodes));
    }
    node_make(&v->nodes[v->n_nodes], src, ttl_ms, now);
    reg->bytes += node_bytes(&v->nodes[v->n_nodes]);
    v->n_nodes++;
}

static void version_remove_node(struct mc_registry *reg, struct reg_version *v, size_t i)
{
    reg->bytes -= node_bytes(&v->nodes[i]);
    node_release(&v->nodes[i]);
    memmove(&v->nodes[i], &v->nodes[i + 1], (v->n_nodes - i - 1) * sizeof(*v->nodes));
    v->n_nodes--;
}

static void registry_remove_version(struct mc_registry *reg, size_t at)
{
    struct reg_version *v = reg->versions[at];

    for (size_t i = v->n_nodes; i > 0; i--)
        version_remove_node(reg, v, i - 1);
    reg->bytes -= version_bytes(v);
    index_remove(reg, v);
    version_free(v);
    memmove(&reg->versions[at], &reg->versions[at + 1],
            (reg->n_versions - at - 1) * sizeof(*reg->versions));
    reg->n_versions--;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static void on_prune(struct mc_loop *loop, struct mc_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    mc_registry_prune(arg);
}

struct mc_registry *mc_registry_new(struct mc_loop *loop)
{
    struct mc_registry *reg = mc_calloc(1, sizeof(*reg));

    reg->loop = loop;
    reg->timer = mc_loop_timer_add(loop, MC_REGISTRY_PRUNE_MS, MC_REGISTRY_PRUNE_MS, on_prune, reg);
    return reg;
}

void mc_registry_free(struct mc_registry *reg)
{
    if (!reg)
        return;
    mc_loop_timer_cancel(reg->loop, reg->timer);
    /* Watchers still open learn that the registry is going away; unwatching from
     * on_close only marks them, they are all freed below. */
    reg->notifying++;
    for (size_t i = 0; i < reg->n_watchers; i++) {
        struct mc_registry_watcher *w = reg->watchers[i];
        if (!w->dead && w->on_close) {
            w->dead = true;
            w->on_close(w->arg);
        }
    }
    for (size_t i = 0; i < reg->n_watchers; i++)
        watcher_free(reg->watchers[i]);
    free(reg->watchers);
    for (size_t i = 0; i < reg->n_versions; i++)
        version_free(reg->versions[i]);
    free(reg->versions);
    free(reg->buckets);
    free(reg);
}

/* ---- register ------------------------------------------------------------------------ */

static int check_service(const char *domain, const Registry__Service *svc)
{
    if (!svc || !name_ok(svc->name, true) || !name_ok(svc->version, false) ||
        !name_ok(domain, true) || is_wildcard(domain))
        return MC_EINVAL;
    if (svc->n_nodes > MC_REGISTRY_MAX_NODES)
        return MC_ETOOBIG;
    for (size_t i = 0; i < svc->n_nodes; i++) {
        if (!svc->nodes[i] || !name_ok(svc->nodes[i]->id, true))
            return MC_EINVAL;
    }
    return MC_OK;
}

/* Whether nodes[i] repeats the id of an earlier node of the same request. */
static bool node_repeated(const Registry__Service *svc, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(svc->nodes[j]->id, svc->nodes[i]->id) == 0)
            return true;
    }
    return false;
}

static int64_t ttl_to_ms(int64_t ttl_s)
{
    if (ttl_s <= 0)
        return 0;
    return MC_MIN(ttl_s, MC_REGISTRY_MAX_TTL) * 1000;
}

static int register_new_version(struct mc_registry *reg, const char *domain,
                                const Registry__Service *svc, int64_t ttl_ms,
                                struct reg_events *ev)
{
    Registry__Service *doc = service_with_domain(&ev->arena, svc, domain, NULL, 0);
    struct reg_version *v;
    uint64_t now = mc_now_ms();
    size_t len;
    uint8_t *packed;

    if (reg->n_versions >= MC_REGISTRY_MAX_VERSIONS)
        return MC_ETOOBIG;
    doc->options = NULL;
    if (protobuf_c_message_get_packed_size(&doc->base) > MC_REGISTRY_MAX_DOC)
        return MC_ETOOBIG;
    packed = pack_message(&doc->base, &len);
    v = mc_calloc(1, sizeof(*v));
    v->domain = mc_strdup(domain);
    v->name = mc_strdup(svc->name);
    v->version = mc_strdup(str_or_empty(svc->version));
    v->doc = packed;
    v->doc_len = len;
    for (size_t i = 0; i < svc->n_nodes; i++) {
        if (!node_repeated(svc, i))
            version_add_node(reg, v, svc->nodes[i], ttl_ms, now);
    }
    if (reg->bytes + version_bytes(v) > MC_REGISTRY_MAX_BYTES) {
        for (size_t i = 0; i < v->n_nodes; i++)
            reg->bytes -= node_bytes(&v->nodes[i]);
        version_free(v);
        return MC_ETOOBIG;
    }
    reg->bytes += version_bytes(v);
    if (reg->n_versions == reg->cap_versions) {
        reg->cap_versions = reg->cap_versions ? reg->cap_versions * 2 : 16;
        reg->versions = mc_realloc(reg->versions, reg->cap_versions * sizeof(*reg->versions));
    }
    reg->versions[reg->n_versions++] = v;
    index_add_last(reg);
    events_add(ev, "create",
               service_with_domain(&ev->arena, svc, domain, svc->nodes, svc->n_nodes));
    return MC_OK;
}

static int register_nodes(struct mc_registry *reg, struct reg_version *v, const char *domain,
                          const Registry__Service *svc, int64_t ttl_ms, struct reg_events *ev)
{
    uint64_t now = mc_now_ms();
    size_t added = 0, bytes = 0;

    /* Check the limits before changing anything. */
    for (size_t i = 0; i < svc->n_nodes; i++) {
        const Registry__Node *n = svc->nodes[i];
        if (!find_node(v, n->id) && !node_repeated(svc, i)) {
            added++;
            bytes += protobuf_c_message_get_packed_size(&n->base) + 2 * strlen(n->id) +
                     strlen(str_or_empty(n->address)) + sizeof(struct reg_node);
        }
    }
    if (v->n_nodes + added > MC_REGISTRY_MAX_NODES || reg->bytes + bytes > MC_REGISTRY_MAX_BYTES)
        return MC_ETOOBIG;
    for (size_t i = 0; i < svc->n_nodes; i++) {
        const Registry__Node *n = svc->nodes[i];
        struct reg_node *known = find_node(v, n->id);
        if (known) {
            known->ttl_ms = ttl_ms;
            known->last_seen = now;
        } else {
            version_add_node(reg, v, n, ttl_ms, now);
        }
    }
    if (added)
        events_add(ev, "update",
                   service_with_domain(&ev->arena, svc, domain, svc->nodes, svc->n_nodes));
    return MC_OK;
}

int mc_registry_register(struct mc_registry *reg, const char *domain, const Registry__Service *svc,
                         int64_t ttl_s)
{
    struct reg_events ev;
    struct reg_version *v;
    int rc;

    domain = domain_or_default(domain);
    rc = check_service(domain, svc);
    if (rc < 0)
        return rc;
    events_init(&ev);
    v = find_version(reg, domain, svc->name, str_or_empty(svc->version));
    if (v)
        rc = register_nodes(reg, v, domain, svc, ttl_to_ms(ttl_s), &ev);
    else
        rc = register_new_version(reg, domain, svc, ttl_to_ms(ttl_s), &ev);
    events_deliver(reg, &ev);
    return rc;
}

/* ---- deregister and expiry ----------------------------------------------------------- */

int mc_registry_deregister(struct mc_registry *reg, const char *domain,
                           const Registry__Service *svc)
{
    struct reg_events ev;
    struct reg_version *v;
    bool removed = false;

    if (!svc || !svc->name || !svc->name[0])
        return MC_EINVAL;
    domain = domain_or_default(domain);
    v = find_version(reg, domain, svc->name, str_or_empty(svc->version));
    if (!v)
        return MC_OK;
    for (size_t i = 0; i < svc->n_nodes; i++) {
        for (size_t k = 0; svc->nodes[i] && svc->nodes[i]->id && k < v->n_nodes; k++) {
            if (strcmp(v->nodes[k].id, svc->nodes[i]->id) == 0) {
                version_remove_node(reg, v, k);
                break;
            }
        }
    }
    if (v->n_nodes == 0) {
        registry_remove_version(reg, version_at(reg, v));
        removed = true;
    }
    events_init(&ev);
    events_add(&ev, removed ? "delete" : "update",
               service_with_domain(&ev.arena, svc, domain, svc->nodes, svc->n_nodes));
    events_deliver(reg, &ev);
    return MC_OK;
}

/* Removes the expired nodes of v; reports them as a deregistration would. Returns
 * whether v has no nodes left (the caller removes it). */
static bool prune_version(struct mc_registry *reg, struct reg_version *v, uint64_t now,
                          struct reg_events *ev)
{
    Registry__Node **gone = NULL;
    size_t n_gone = 0;

    for (size_t i = v->n_nodes; i > 0; i--) {
        struct reg_node *n = &v->nodes[i - 1];
        if (n->ttl_ms == 0 || now - n->last_seen <= (uint64_t)n->ttl_ms)
            continue;
        if (!gone)
            gone = mc_arena_alloc(&ev->arena, v->n_nodes * sizeof(*gone));
        gone[n_gone++] = unpack_node(&ev->arena, n);
        version_remove_node(reg, v, i - 1);
    }
    if (n_gone || v->n_nodes == 0)
        events_add(ev, v->n_nodes ? "update" : "delete",
                   version_document(&ev->arena, v, gone, n_gone));
    return v->n_nodes == 0;
}

void mc_registry_prune(struct mc_registry *reg)
{
    struct reg_events ev;
    uint64_t now = mc_now_ms();

    events_init(&ev);
    for (size_t i = reg->n_versions; i > 0; i--) {
        if (prune_version(reg, reg->versions[i - 1], now, &ev))
            registry_remove_version(reg, i - 1);
    }
    events_deliver(reg, &ev);
}

/* ---- reads --------------------------------------------------------------------------- */

static bool version_matches(const struct reg_version *v, const char *domain, const char *name)
{
    if (!is_wildcard(domain) && strcmp(v->domain, domain) != 0)
        return false;
    return !name || strcmp(v->name, name) == 0;
}

/* Every version in domain (all of them, or name's chain when name is set), in
 * registration order. */
static int collect(const struct mc_registry *reg, const char *domain, const char *name,
                   struct mc_arena *arena, Registry__Service ***out, size_t *n)
{
    size_t count = 0, k = 0;

    domain = domain_or_default(domain);
    if (name) {
        for (const struct reg_version *v = index_first(reg, name); v; v = v->hnext)
            count += version_matches(v, domain, name);
        *out = mc_arena_alloc(arena, (count ? count : 1) * sizeof(**out));
        for (const struct reg_version *v = index_first(reg, name); v; v = v->hnext) {
            if (version_matches(v, domain, name))
                (*out)[k++] = version_document(arena, v, NULL, 0);
        }
        *n = count;
        return MC_OK;
    }
    for (size_t i = 0; i < reg->n_versions; i++)
        count += version_matches(reg->versions[i], domain, NULL);
    *out = mc_arena_alloc(arena, (count ? count : 1) * sizeof(**out));
    for (size_t i = 0; i < reg->n_versions; i++) {
        if (version_matches(reg->versions[i], domain, NULL))
            (*out)[k++] = version_document(arena, reg->versions[i], NULL, 0);
    }
    *n = count;
    return MC_OK;
}

int mc_registry_get(const struct mc_registry *reg, const char *domain, const char *name,
                    struct mc_arena *arena, Registry__Service ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!name || !name[0])
        return MC_ENOTFOUND;
    collect(reg, domain, name, arena, out, n);
    if (*n == 0) {
        *out = NULL;
        return MC_ENOTFOUND;
    }
    return MC_OK;
}

int mc_registry_list(const struct mc_registry *reg, const char *domain, struct mc_arena *arena,
                     Registry__Service ***out, size_t *n)
{
    return collect(reg, domain, NULL, arena, out, n);
}

int mc_registry_lookup_nodes(const struct mc_registry *reg, const char *domain, const char *name,
                             struct mc_arena *arena, char ***addrs, size_t *n)
{
    size_t count = 0, k = 0;

    *addrs = NULL;
    *n = 0;
    if (!name)
        return MC_ENOTFOUND;
    domain = domain_or_default(domain);
    for (const struct reg_version *v = index_first(reg, name); v; v = v->hnext) {
        if (version_matches(v, domain, name))
            count += v->n_nodes;
    }
    if (count == 0)
        return MC_ENOTFOUND;
    *addrs = mc_arena_alloc(arena, count * sizeof(**addrs));
    for (const struct reg_version *v = index_first(reg, name); v; v = v->hnext) {
        if (!version_matches(v, domain, name))
            continue;
        for (size_t j = 0; j < v->n_nodes; j++)
            (*addrs)[k++] = mc_arena_strdup(arena, v->nodes[j].address);
    }
    *n = count;
    return MC_OK;
}

/* ---- watchers ------------------------------------------------------------------------ */

struct mc_registry_watcher *mc_registry_watch(struct mc_registry *reg, const char *domain,
                                              const char *service, mc_registry_watch_fn fn,
                                              void (*on_close)(void *arg), void *arg)
{
    struct mc_registry_watcher *w = mc_calloc(1, sizeof(*w));

    w->domain = mc_strdup(domain_or_default(domain));
    w->service = service && service[0] ? mc_strdup(service) : NULL;
    w->fn = fn;
    w->on_close = on_close;
    w->arg = arg;
    if (reg->n_watchers == reg->cap_watchers) {
        reg->cap_watchers = reg->cap_watchers ? reg->cap_watchers * 2 : 8;
        reg->watchers = mc_realloc(reg->watchers, reg->cap_watchers * sizeof(*reg->watchers));
    }
    reg->watchers[reg->n_watchers++] = w;
    return w;
}

void mc_registry_unwatch(struct mc_registry *reg, struct mc_registry_watcher *w)
{
    if (!w)
        return;
    w->dead = true;
    if (reg->notifying == 0)
        sweep_watchers(reg);
}
