/* The events log and consumer groups: see event_log.h. Events sit in one array
 * ordered by seq (a window [head, n) that drops from the front); each group keeps
 * a cursor into it and the events it has sent but not seen acknowledged, in seq
 * order, so its position is the first of those or else its cursor. Groups and
 * their consumers are short linked lists: a single node has few of them. */
#include "events/event_log.h"

#include <stdlib.h>
#include <string.h>

#include "mc_common.h"
#include "mc_log.h"
#include "mc_banned.h"

/* An event a group sent and has not seen acknowledged. */
struct pending {
    uint64_t seq;
    char id[MC_EVLOG_ID_MAX + 1];   /* for acks: the entry may have left memory */
    struct mc_evlog_consumer *c;    /* the consumer it waits on; NULL: ready to redeliver */
    uint64_t deadline;              /* monotonic ms, while sent */
    int64_t retries;                /* redeliveries so far */
    int64_t limit;                  /* retry limit of the consumer that took it last */
};

struct group {
    struct group *prev, *next;
    char *topic;
    char *name;                     /* NULL: a consumer's private group */
    uint64_t cursor;                /* next seq to look at for new events */
    bool has_saved;
    uint64_t saved;
    struct pending *p;              /* ordered by seq: p[0..np), inside base */
    struct pending *base;           /* the allocation; p - base entries were acked off the front */
    size_t np, capp, nready;        /* capp: entries from base */
    struct mc_evlog_consumer *first, *last;   /* turn order */
    size_t nconsumers;
};

struct mc_evlog_consumer {
    struct group *g;
    struct mc_evlog_consumer *prev, *next;
    bool auto_ack;
    uint64_t ack_wait_ms;
    int64_t retry_limit;
    size_t inflight;
    void *data;
};

struct mc_evlog {
    struct mc_evlog_limits limits;
    struct mc_evlog_hooks hooks;
    struct mc_evlog_entry *v;       /* live events are v[head, n) */
    size_t head, n, cap;
    size_t bytes;
    uint64_t last_seq;
    struct group *groups;
    size_t nconsumers;
    uint64_t dropped;
};

struct mc_evlog *mc_evlog_new(const struct mc_evlog_limits *limits,
                              const struct mc_evlog_hooks *hooks)
{
    struct mc_evlog *log = mc_calloc(1, sizeof(*log));

    log->limits = *limits;
    if (hooks)
        log->hooks = *hooks;
    return log;
}

static void entry_free(struct mc_evlog_entry *e)
{
    free(e->topic);
    free(e->data);
}

static void group_free(struct group *g)
{
    struct mc_evlog_consumer *c = g->first, *next;

    for (; c; c = next) {
        next = c->next;
        free(c);
    }
    free(g->base);
    free(g->topic);
    free(g->name);
    free(g);
}

void mc_evlog_free(struct mc_evlog *log)
{
    struct group *g, *next;

    if (!log)
        return;
    for (size_t i = log->head; i < log->n; i++)
        entry_free(&log->v[i]);
    free(log->v);
    for (g = log->groups; g; g = next) {
        next = g->next;
        group_free(g);
    }
    free(log);
}

/* ---- the events ------------------------------------------------------------------------ */

uint64_t mc_evlog_next_seq(const struct mc_evlog *log, uint64_t now_us)
{
    return MC_MAX(log->last_seq + 1, now_us);
}

static void drop_oldest(struct mc_evlog *log)
{
    struct mc_evlog_entry *e = &log->v[log->head++];

    log->bytes -= e->len;
    entry_free(e);
    if (log->head == log->n)
        log->head = log->n = 0;
}

/* Room for one more entry at v[n]: slide the window to the front, else grow. */
static void make_room(struct mc_evlog *log)
{
    if (log->n < log->cap)
        return;
    if (log->head > 0 && log->head >= log->cap / 2) {
        memmove(log->v, log->v + log->head, (log->n - log->head) * sizeof(*log->v));
        log->n -= log->head;
        log->head = 0;
        return;
    }
    log->cap = log->cap ? log->cap * 2 : 64;
    log->v = mc_realloc(log->v, log->cap * sizeof(*log->v));
}

int mc_evlog_append(struct mc_evlog *log, uint64_t seq, const char *topic, const char *id,
                    int64_t timestamp, int64_t published, const void *data, size_t len)
{
    struct mc_evlog_entry *e;

    if (seq == 0 || seq <= log->last_seq)
        return MC_EINVAL;
    if (!topic || !*topic || !id || strlen(id) > MC_EVLOG_ID_MAX)
        return MC_EINVAL;
    while (log->n > log->head && (log->n - log->head + 1 > log->limits.max_events ||
                                  log->bytes + len > log->limits.max_bytes))
        drop_oldest(log);
    make_room(log);
    e = &log->v[log->n++];
    memset(e, 0, sizeof(*e));
    e->seq = seq;
    e->published = published;
    e->timestamp = timestamp;
    e->topic = mc_strdup(topic);
    memcpy(e->id, id, strlen(id) + 1);
    e->data = mc_malloc(len ? len : 1);
    if (len)
        memcpy(e->data, data, len);
    e->len = len;
    log->bytes += len;
    log->last_seq = seq;
    return MC_OK;
}

void mc_evlog_trim(struct mc_evlog *log, int64_t now)
{
    while (log->n > log->head && log->v[log->head].published < now - log->limits.retention)
        drop_oldest(log);
}

size_t mc_evlog_count(const struct mc_evlog *log)
{
    return log->n - log->head;
}

size_t mc_evlog_bytes(const struct mc_evlog *log)
{
    return log->bytes;
}

/* Index of the first live entry with seq >= seq (n when none). */
static size_t lower_bound(const struct mc_evlog *log, uint64_t seq)
{
    size_t lo = log->head, hi = log->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->v[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct mc_evlog_entry *mc_evlog_get(const struct mc_evlog *log, uint64_t seq)
{
    size_t i = lower_bound(log, seq);

    return i < log->n && log->v[i].seq == seq ? &log->v[i] : NULL;
}

const struct mc_evlog_entry *mc_evlog_first(const struct mc_evlog *log)
{
    return log->n > log->head ? &log->v[log->head] : NULL;
}

/* ---- groups ---------------------------------------------------------------------------- */

static uint64_t position(const struct group *g)
{
    return g->np ? g->p[0].seq : g->cursor;
}

static void maybe_save(struct mc_evlog *log, struct group *g)
{
    uint64_t pos = position(g);

    if (!g->name || (g->has_saved && g->saved == pos))
        return;
    g->has_saved = true;
    g->saved = pos;
    if (log->hooks.save)
        log->hooks.save(log->hooks.arg, g->topic, g->name, pos);
}

static struct group *group_find(const struct mc_evlog *log, const char *topic, const char *name)
{
    for (struct group *g = log->groups; g; g = g->next) {
        if (g->name && strcmp(g->name, name) == 0 && strcmp(g->topic, topic) == 0)
            return g;
    }
    return NULL;
}

/* Where a group without connected consumers starts (see mc_evlog_join). */
static uint64_t start_of(const struct mc_evlog *log, const struct mc_evlog_consume *o,
                         const char *name, bool *loaded)
{
    uint64_t pos;
    int rc;

    *loaded = false;
    if (o->offset > 0) {
        for (size_t i = log->head; i < log->n; i++) {
            if (log->v[i].timestamp >= o->offset)
                return log->v[i].seq;
        }
        return log->last_seq + 1;
    }
    if (name && log->hooks.load) {
        rc = log->hooks.load(log->hooks.arg, o->topic, name, &pos);
        if (rc == MC_OK) {
            *loaded = true;
            return pos;
        }
        if (rc != MC_ENOTFOUND)
            mc_log_error("events: cannot load the position of group %s of %s: %s", name,
                         o->topic, mc_strerror(rc));
    }
    return log->last_seq + 1;
}

static struct group *group_new(struct mc_evlog *log, const struct mc_evlog_consume *o,
                               const char *name)
{
    struct group *g = mc_calloc(1, sizeof(*g));
    bool loaded;

    g->topic = mc_strdup(o->topic);
    g->name = name ? mc_strdup(name) : NULL;
    g->cursor = start_of(log, o, name, &loaded);
    g->has_saved = loaded;
    g->saved = loaded ? g->cursor : 0;
    g->next = log->groups;
    if (log->groups)
        log->groups->prev = g;
    log->groups = g;
    return g;
}

static void group_unlink(struct mc_evlog *log, struct group *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        log->groups = g->next;
    if (g->next)
        g->next->prev = g->prev;
}

static void consumer_unlink(struct mc_evlog_consumer *c)
{
    struct group *g = c->g;

    if (c->prev)
        c->prev->next = c->next;
    else
        g->first = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        g->last = c->prev;
    c->prev = c->next = NULL;
}

static void consumer_append(struct mc_evlog_consumer *c)
{
    struct group *g = c->g;

    c->prev = g->last;
    c->next = NULL;
    if (g->last)
        g->last->next = c;
    else
        g->first = c;
    g->last = c;
}

static bool name_ok(const char *s)
{
    return s && *s && strlen(s) <= MC_EVLOG_NAME_MAX;
}

int mc_evlog_join(struct mc_evlog *log, const struct mc_evlog_consume *o, void *data,
                  struct mc_evlog_consumer **out)
{
    const char *name = o->group && *o->group ? o->group : NULL;
    struct mc_evlog_consumer *c;
    struct group *g;

    *out = NULL;
    if (!name_ok(o->topic) || (name && !name_ok(name)) || o->retry_limit < -1 ||
        (!o->auto_ack && o->ack_wait_ms == 0))
        return MC_EINVAL;
    if (log->nconsumers >= MC_EVLOG_CONSUMERS_MAX)
        return MC_ETOOBIG;
    g = name ? group_find(log, o->topic, name) : NULL;
    if (!g)
        g = group_new(log, o, name);
    c = mc_calloc(1, sizeof(*c));
    c->g = g;
    c->auto_ack = o->auto_ack;
    c->ack_wait_ms = o->ack_wait_ms;
    c->retry_limit = o->retry_limit;
    c->data = data;
    consumer_append(c);
    g->nconsumers++;
    log->nconsumers++;
    maybe_save(log, g);
    *out = c;
    return MC_OK;
}

void mc_evlog_leave(struct mc_evlog *log, struct mc_evlog_consumer *c)
{
    struct group *g = c->g;

    for (size_t i = 0; i < g->np; i++) {
        if (g->p[i].c == c) {
            g->p[i].c = NULL;
            g->nready++;
        }
    }
    consumer_unlink(c);
    g->nconsumers--;
    log->nconsumers--;
    free(c);
    if (g->nconsumers == 0) {
        maybe_save(log, g);
        group_unlink(log, g);
        group_free(g);
    }
}

void *mc_evlog_consumer_data(const struct mc_evlog_consumer *c)
{
    return c->data;
}

const char *mc_evlog_consumer_topic(const struct mc_evlog_consumer *c)
{
    return c->g->topic;
}

/* ---- delivery and acknowledgement ------------------------------------------------------- */

static void pending_remove(struct group *g, size_t i)
{
    if (g->p[i].c)
        g->p[i].c->inflight--;
    else
        g->nready--;
    if (i == 0)
        g->p++;   /* acks come mostly in order: O(1) off the front (track compacts) */
    else
        memmove(&g->p[i], &g->p[i + 1], (g->np - i - 1) * sizeof(*g->p));
    g->np--;
}

static void drop(struct mc_evlog *log, struct group *g, size_t i, const char *why)
{
    log->dropped++;
    mc_log_error("events: discarding event %s of %s (%s)", g->p[i].id, g->topic, why);
    pending_remove(g, i);
}

/* A sent event was not acknowledged in time or was rejected: ready for another
 * consumer, or dropped past its retry limit. */
static void retry_or_drop(struct mc_evlog *log, struct group *g, size_t i)
{
    struct pending *p = &g->p[i];

    if (p->limit >= 0 && p->retries >= p->limit) {
        drop(log, g, i, "retry limit reached");
        return;
    }
    p->c->inflight--;
    p->c = NULL;
    g->nready++;
}

/* The first event ready for redelivery still in memory (others are dropped). */
static const struct mc_evlog_entry *take_ready(struct mc_evlog *log, struct group *g,
                                               size_t *idx)
{
    for (size_t i = 0; g->nready && i < g->np;) {
        const struct mc_evlog_entry *e;
        if (g->p[i].c) {
            i++;
            continue;
        }
        if ((e = mc_evlog_get(log, g->p[i].seq)) != NULL) {
            *idx = i;
            return e;
        }
        drop(log, g, i, "no longer in memory");
    }
    return NULL;
}

static const struct mc_evlog_entry *take_new(struct mc_evlog *log, struct group *g)
{
    for (size_t i = lower_bound(log, g->cursor); i < log->n; i++) {
        if (strcmp(log->v[i].topic, g->topic) == 0) {
            g->cursor = log->v[i].seq + 1;
            return &log->v[i];
        }
    }
    g->cursor = MC_MAX(g->cursor, log->last_seq + 1);
    return NULL;
}

static void track(struct group *g, struct mc_evlog_consumer *c, const struct mc_evlog_entry *e,
                  uint64_t now_ms)
{
    size_t gap = g->base ? (size_t)(g->p - g->base) : 0;   /* entries acked off the front */
    struct pending *p;

    if (gap + g->np == g->capp) {
        if (gap && g->np <= g->capp / 2) {
            /* room freed at the front: move down instead of growing */
            memmove(g->base, g->p, g->np * sizeof(*g->p));
        } else {
            g->capp = g->capp ? g->capp * 2 : 16;
            g->base = mc_realloc(g->base, g->capp * sizeof(*g->base));
            if (gap)
                memmove(g->base, g->base + gap, g->np * sizeof(*g->base));
        }
        g->p = g->base;
    }
    p = &g->p[g->np++];   /* new events come in seq order: the array stays sorted */
    memset(p, 0, sizeof(*p));
    p->seq = e->seq;
    memcpy(p->id, e->id, sizeof(p->id));
    p->c = c;
    p->deadline = now_ms + c->ack_wait_ms;
    p->limit = c->retry_limit;
    c->inflight++;
}

const struct mc_evlog_entry *mc_evlog_next(struct mc_evlog *log, struct mc_evlog_consumer *c,
                                           uint64_t now_ms)
{
    struct group *g = c->g;
    const struct mc_evlog_entry *e;
    size_t i;

    if (!c->auto_ack && c->inflight >= MC_EVLOG_INFLIGHT_MAX)
        return NULL;
    if ((e = take_ready(log, g, &i)) != NULL) {
        if (c->auto_ack) {
            pending_remove(g, i);
        } else {
            g->nready--;
            g->p[i].c = c;
            g->p[i].retries++;
            g->p[i].limit = c->retry_limit;
            g->p[i].deadline = now_ms + c->ack_wait_ms;
            c->inflight++;
        }
    } else if ((e = take_new(log, g)) != NULL) {
        if (!c->auto_ack)
            track(g, c, e, now_ms);
    } else {
        return NULL;
    }
    consumer_unlink(c);
    consumer_append(c);   /* the next event of the group goes to someone else first */
    maybe_save(log, g);
    return e;
}

int mc_evlog_ack(struct mc_evlog *log, struct mc_evlog_consumer *c, const char *id,
                 bool success)
{
    struct group *g = c->g;

    for (size_t i = 0; id && i < g->np; i++) {
        if (strcmp(g->p[i].id, id) != 0)
            continue;
        if (success)
            pending_remove(g, i);
        else if (g->p[i].c)
            retry_or_drop(log, g, i);
        /* a nack of an event already waiting for redelivery changes nothing */
        maybe_save(log, g);
        return MC_OK;
    }
    return MC_ENOTFOUND;
}

size_t mc_evlog_expire(struct mc_evlog *log, uint64_t now_ms)
{
    size_t changed = 0;

    for (struct group *g = log->groups; g; g = g->next) {
        size_t before = changed;
        for (size_t i = 0; i < g->np;) {
            size_t np = g->np;
            if (g->p[i].c && g->p[i].deadline <= now_ms) {
                retry_or_drop(log, g, i);
                changed++;
            }
            if (g->np == np)
                i++;   /* else the array moved down over i */
        }
        if (changed != before)
            maybe_save(log, g);
    }
    return changed;
}

uint64_t mc_evlog_next_deadline(const struct mc_evlog *log)
{
    uint64_t next = UINT64_MAX;

    for (const struct group *g = log->groups; g; g = g->next) {
        for (size_t i = 0; i < g->np; i++) {
            if (g->p[i].c && g->p[i].deadline < next)
                next = g->p[i].deadline;
        }
    }
    return next;
}

void mc_evlog_each_consumer(const struct mc_evlog *log, const char *topic,
                            void (*fn)(struct mc_evlog_consumer *c, void *arg), void *arg)
{
    struct mc_evlog_consumer **all;
    size_t n = 0;

    if (log->nconsumers == 0)
        return;
    /* a snapshot: fn may take events, which reorders the groups' consumers */
    all = mc_malloc(log->nconsumers * sizeof(*all));
    for (const struct group *g = log->groups; g; g = g->next) {
        if (topic && strcmp(g->topic, topic) != 0)
            continue;
        for (struct mc_evlog_consumer *c = g->first; c; c = c->next)
            all[n++] = c;
    }
    for (size_t i = 0; i < n; i++)
        fn(all[i], arg);
    free(all);
}

int mc_evlog_group_position(const struct mc_evlog *log, const char *topic, const char *group,
                            uint64_t *pos)
{
    const struct group *g = group_find(log, topic, group);

    *pos = g ? position(g) : 0;
    return g ? MC_OK : MC_ENOTFOUND;
}

uint64_t mc_evlog_dropped(const struct mc_evlog *log)
{
    return log->dropped;
}
