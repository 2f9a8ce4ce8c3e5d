/*
 * The peer half of micro_bench_events: the measurements of events_bench.c taken
 * against NATS JetStream, through a small client of our own for the NATS text
 * protocol (INFO, CONNECT, PING/PONG, SUB, PUB, MSG, -ERR). JetStream is the
 * fair peer for a durable log: a stream with file storage holds the topic, a
 * publish is a PUB with a reply subject answered by the stream's PubAck once
 * stored (as our Publish answers once stored), and a group is a durable push
 * consumer (deliver_policy all for replay, new for end-to-end; ack_policy none
 * for auto-ack, explicit with an empty PUB to each message's reply subject for
 * manual). Two connections, as for ours: one publishes and makes the JetStream
 * API requests, the other consumes. Single-threaded: poll(2) over both sockets.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "events_bench.h"
#include "mc_common.h"

#include "mc_banned.h"

#define READ_CHUNK 65536
#define LINE_MAX_BYTES 4096
#define SID_INBOX 1
#define SID_DELIVER 2

/* One connection: bytes read and not yet parsed, bytes to write. */
struct nconn {
    const char *name;
    int fd;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outcap;
    bool failed;
    uint64_t pongs;
};

/* A MSG, borrowed from the connection's input while it is handled. */
struct nmsg {
    const char *subject;
    uint64_t sid;
    const char *reply;                 /* "" when none */
    const uint8_t *data;
    size_t len;
};

struct nats {
    const struct ev_opts *o;
    struct nconn pub;                  /* publishes and API requests */
    struct nconn sub;                  /* push consumers' deliveries and acks */
    char inbox[48];                    /* this client's reply subjects: <inbox>.* */
    char err[256];                     /* the first protocol or I/O error */
    /* the API request waiting for its answer */
    char *api_answer;
    /* the publish run: total publishes, concurrency in flight */
    struct ev_result *pr;
    uint64_t total, next, inflight;
    uint64_t *slot_start;              /* per in-flight slot: ns when sent; 0 free */
    /* the consumer being measured */
    struct ev_result *cr;
    bool manual, latency;
    uint64_t t0;
};

/* ---- the connection --------------------------------------------------------------- */

static void nats_fail(struct nats *n, struct nconn *c, const char *why)
{
    c->failed = true;
    if (!n->err[0])
        snprintf(n->err, sizeof(n->err), "%s: %.200s", c->name, why);
}

static void out_add(struct nconn *c, const void *p, size_t len)
{
    if (c->outlen + len > c->outcap) {
        c->outcap = MC_MAX(c->outcap * 2, c->outlen + len + 4096);
        c->out = mc_realloc(c->out, c->outcap);
    }
    memcpy(c->out + c->outlen, p, len);
    c->outlen += len;
}

static void out_str(struct nconn *c, const char *s)
{
    out_add(c, s, strlen(s));
}

/* PUB subject [reply] len, then the payload. */
static void out_pub(struct nconn *c, const char *subject, const char *reply, const void *data,
                    size_t len)
{
    char line[LINE_MAX_BYTES];
    int k = snprintf(line, sizeof(line), "PUB %s%s%s %zu\r\n", subject, reply ? " " : "",
                     reply ? reply : "", len);

    out_add(c, line, (size_t)k);
    out_add(c, data, len);
    out_add(c, "\r\n", 2);
}

/* Writes everything queued; blocking, since the server always reads. */
static void out_flush(struct nats *n, struct nconn *c)
{
    size_t done = 0;

    while (!c->failed && done < c->outlen) {
        ssize_t w = send(c->fd, c->out + done, c->outlen - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            nats_fail(n, c, strerror(errno));
            break;
        }
        done += (size_t)w;
    }
    c->outlen = 0;
}

static int nconn_open(struct nats *n, struct nconn *c, const char *name)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char host[256];
    const char *colon = strrchr(n->o->addr, ':');

    memset(c, 0, sizeof(*c));
    c->name = name;
    c->fd = -1;
    if (!colon || (size_t)(colon - n->o->addr) >= sizeof(host)) {
        nats_fail(n, c, "ADDR is not host:port");
        return MC_EINVAL;
    }
    memcpy(host, n->o->addr, (size_t)(colon - n->o->addr));
    host[colon - n->o->addr] = '\0';
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
        nats_fail(n, c, "cannot resolve ADDR");
        return MC_EIO;
    }
    c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        nats_fail(n, c, strerror(errno));
        freeaddrinfo(ai);
        return MC_EIO;
    }
    freeaddrinfo(ai);
    /* no echo of our own messages: the publisher subscribes to replies only anyway */
    out_str(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"micro_bench_events\","
               "\"lang\":\"c\",\"version\":\"1\",\"protocol\":1,\"headers\":false}\r\nPING\r\n");
    return MC_OK;
}

static void nconn_close(struct nconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* ---- what arrives ---------------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void pub_next(struct nats *n, size_t slot);

/* A PubAck for slot (after "<inbox>.p."): one publish stored. */
static void on_puback(struct nats *n, const char *slot_s, const struct nmsg *m)
{
    uint64_t slot, now = mc_now_ns();
    bool ok = memmem(m->data, m->len, "\"seq\"", 5) && !memmem(m->data, m->len, "\"error\"", 7);

    if (mc_parse_u64(slot_s, &slot) != 0 || slot >= n->o->concurrency || !n->slot_start[slot]) {
        bench_stats_fail(&n->pr->st, "publish: an ack for no publish");
        return;
    }
    if (ok) {
        n->pr->st.ok++;
        bench_stats_add(&n->pr->st, now - n->slot_start[slot]);
    } else {
        char why[200];
        snprintf(why, sizeof(why), "publish: %.*s", (int)MC_MIN(m->len, 180u), m->data);
        bench_stats_fail(&n->pr->st, why);
    }
    n->slot_start[slot] = 0;
    n->inflight--;
    if (n->next < n->total)
        pub_next(n, (size_t)slot);
}

/* A pushed message of the consumer being measured. */
static void on_delivery(struct nats *n, const struct nmsg *m)
{
    uint64_t idx, sent, now = mc_now_ns();

    if (!n->cr)
        return;
    if (n->manual && m->reply[0]) {
        out_pub(&n->sub, m->reply, NULL, "", 0);   /* an empty reply is +ACK */
        n->cr->acks++;
    }
    if (!ev_payload_read(m->data, m->len, &idx, &sent)) {
        bench_stats_fail(&n->cr->st, "consume: a message not of this run");
        return;
    }
    if (ev_result_take(n->cr, idx) && n->latency)
        bench_stats_add(&n->cr->st, now - sent);
    if (ev_result_complete(n->cr) && !n->cr->elapsed_ns)
        n->cr->elapsed_ns = now - n->t0;
}

static void on_msg(struct nats *n, const struct nmsg *m)
{
    size_t k = strlen(n->inbox);

    if (m->sid == SID_INBOX && strncmp(m->subject, n->inbox, k) == 0 &&
        has_prefix(m->subject + k, ".p.")) {
        on_puback(n, m->subject + k + 3, m);
    } else if (m->sid == SID_INBOX && strncmp(m->subject, n->inbox, k) == 0 &&
               has_prefix(m->subject + k, ".api")) {
        free(n->api_answer);
        n->api_answer = mc_malloc(m->len + 1);
        memcpy(n->api_answer, m->data, m->len);
        n->api_answer[m->len] = '\0';
    } else if (m->sid == SID_DELIVER) {   /* its subject is the event's, not deliv.* */
        on_delivery(n, m);
    }
}

/* Splits "MSG subject sid [reply] len" in place; false when malformed. */
static bool msg_header(char *line, struct nmsg *m, size_t *len)
{
    char *tok[5], *save = NULL;
    uint64_t v;
    int k = 0;

    for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (k == 5)
            return false;
        tok[k++] = t;
    }
    if (k < 4 || strcmp(tok[0], "MSG") != 0 || mc_parse_u64(tok[2], &m->sid) != 0 ||
        mc_parse_u64(tok[k - 1], &v) != 0)
        return false;
    m->subject = tok[1];
    m->reply = k == 5 ? tok[3] : "";
    *len = (size_t)v;
    return true;
}

/* Handles the whole operation at the front of in[0, len); returns the bytes it
 * took, 0 when more must be read first. */
static size_t parse_one(struct nats *n, struct nconn *c, const char *in, size_t len)
{
    const char *end = memmem(in, len, "\r\n", 2);
    char line[LINE_MAX_BYTES];
    size_t llen, plen;
    struct nmsg m;

    if (!end)
        return 0;
    llen = (size_t)(end - in);
    if (llen >= sizeof(line)) {
        nats_fail(n, c, "a protocol line too long");
        return len;
    }
    memcpy(line, in, llen);
    line[llen] = '\0';
    if (has_prefix(line, "MSG ")) {
        if (!msg_header(line, &m, &plen)) {
            nats_fail(n, c, "a malformed MSG");
            return len;
        }
        if (len < llen + 2 + plen + 2)
            return 0;
        m.data = (const uint8_t *)in + llen + 2;
        m.len = plen;
        on_msg(n, &m);
        return llen + 2 + plen + 2;
    }
    if (strcmp(line, "PING") == 0)
        out_str(c, "PONG\r\n");
    else if (strcmp(line, "PONG") == 0)
        c->pongs++;
    else if (has_prefix(line, "-ERR"))
        nats_fail(n, c, line);
    /* INFO and +OK need nothing */
    return llen + 2;
}

static void nconn_read(struct nats *n, struct nconn *c)
{
    size_t used = 0, k;
    ssize_t r;

    if (c->inlen + READ_CHUNK > c->incap) {
        c->incap = c->inlen + READ_CHUNK;
        c->in = mc_realloc(c->in, c->incap);
    }
    r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return;
        nats_fail(n, c, r == 0 ? "the server closed the connection" : strerror(errno));
        return;
    }
    c->inlen += (size_t)r;
    while (!c->failed && used < c->inlen &&
           (k = parse_one(n, c, c->in + used, c->inlen - used)) > 0)
        used += k;
    memmove(c->in, c->in + used, c->inlen - used);
    c->inlen -= used;
}

/* Flushes both connections, then waits up to timeout_ms for input and handles it. */
static void nats_poll(struct nats *n, int timeout_ms)
{
    struct nconn *cs[2] = { &n->pub, &n->sub };
    struct pollfd p[2];

    for (int i = 0; i < 2; i++) {
        out_flush(n, cs[i]);
        p[i] = (struct pollfd){ .fd = cs[i]->failed ? -1 : cs[i]->fd, .events = POLLIN };
    }
    if (poll(p, 2, timeout_ms) < 0)
        return;
    for (int i = 0; i < 2; i++) {
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
            nconn_read(n, cs[i]);
    }
    for (int i = 0; i < 2; i++)
        out_flush(n, cs[i]);
}

/* Polls until done(n) or the deadline or a failure; false unless done. */
static bool nats_until(struct nats *n, bool (*done)(const struct nats *), uint64_t deadline_ns)
{
    while (!done(n)) {
        if (n->pub.failed || n->sub.failed || mc_now_ns() > deadline_ns)
            return false;
        nats_poll(n, 20);
    }
    return true;
}

static uint64_t ndeadline(const struct nats *n)
{
    return mc_now_ns() + n->o->timeout_ms * 1000000ull;
}

static bool both_ponged(const struct nats *n)
{
    return n->pub.pongs > 0 && n->sub.pongs > 0;
}

static bool api_answered(const struct nats *n)
{
    return n->api_answer != NULL;
}

/* A JetStream API request and its answer; false (with n->err) on an error answer. */
static bool api_call(struct nats *n, const char *subject, cJSON *body)
{
    char reply[80], *text = cJSON_PrintUnformatted(body);
    cJSON *answer;
    bool ok;

    cJSON_Delete(body);
    free(n->api_answer);
    n->api_answer = NULL;
    snprintf(reply, sizeof(reply), "%s.api", n->inbox);
    out_pub(&n->pub, subject, reply, text, strlen(text));
    cJSON_free(text);
    if (!nats_until(n, api_answered, ndeadline(n))) {
        if (!n->err[0])
            snprintf(n->err, sizeof(n->err), "no answer to %s", subject);
        return false;
    }
    answer = cJSON_Parse(n->api_answer);
    ok = answer && !cJSON_GetObjectItemCaseSensitive(answer, "error");
    if (!ok && !n->err[0])
        snprintf(n->err, sizeof(n->err), "%s: %.200s", subject, n->api_answer);
    cJSON_Delete(answer);
    return ok;
}

/* ---- JetStream objects ------------------------------------------------------------------- */

static char *e2e_subject(const struct nats *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s-e2e", n->o->topic);
    return buf;
}

/* The stream holding both topics, in files. */
static bool create_stream(struct nats *n)
{
    cJSON *b = cJSON_CreateObject(), *subjects = cJSON_AddArrayToObject(b, "subjects");
    char subject[160], e2e[80];

    cJSON_AddStringToObject(b, "name", n->o->topic);
    cJSON_AddItemToArray(subjects, cJSON_CreateString(n->o->topic));
    cJSON_AddItemToArray(subjects, cJSON_CreateString(e2e_subject(n, e2e, sizeof(e2e))));
    cJSON_AddStringToObject(b, "storage", "file");
    cJSON_AddStringToObject(b, "retention", "limits");
    snprintf(subject, sizeof(subject), "$JS.API.STREAM.CREATE.%s", n->o->topic);
    return api_call(n, subject, b);
}

/* A durable push consumer named name delivering subject filter to deliv.<topic>.<name>. */
static bool create_consumer(struct nats *n, const char *name, const char *filter, bool replay)
{
    cJSON *b = cJSON_CreateObject(), *cfg;
    char subject[200], deliver[100];

    snprintf(deliver, sizeof(deliver), "deliv.%s.%s", n->o->topic, name);
    snprintf(subject, sizeof(subject), "SUB %s %d\r\n", deliver, SID_DELIVER);
    out_str(&n->sub, subject);
    cJSON_AddStringToObject(b, "stream_name", n->o->topic);
    cfg = cJSON_AddObjectToObject(b, "config");
    cJSON_AddStringToObject(cfg, "durable_name", name);
    cJSON_AddStringToObject(cfg, "deliver_subject", deliver);
    cJSON_AddStringToObject(cfg, "filter_subject", filter);
    cJSON_AddStringToObject(cfg, "deliver_policy", replay ? "all" : "new");
    cJSON_AddStringToObject(cfg, "ack_policy", n->manual ? "explicit" : "none");
    if (n->manual) {
        cJSON_AddNumberToObject(cfg, "ack_wait", (double)EV_ACK_WAIT_NS);
        cJSON_AddNumberToObject(cfg, "max_ack_pending", EV_INFLIGHT_MAX);
    }
    snprintf(subject, sizeof(subject), "$JS.API.CONSUMER.DURABLE.CREATE.%s.%s", n->o->topic,
             name);
    return api_call(n, subject, b);
}

/* Stops deliveries of the consumer just measured (the stream keeps it). */
static void drop_consumer(struct nats *n)
{
    char line[64];

    snprintf(line, sizeof(line), "UNSUB %d\r\n", SID_DELIVER);
    out_str(&n->sub, line);
    nats_poll(n, 0);
    n->cr = NULL;
}

/* ---- the measurements ------------------------------------------------------------------- */

static void pub_next(struct nats *n, size_t slot)
{
    uint8_t *payload = mc_malloc(n->o->size);
    char reply[80], e2e[80];
    const char *subject = n->latency ? e2e_subject(n, e2e, sizeof(e2e)) : n->o->topic;

    n->slot_start[slot] = mc_now_ns();
    ev_payload_fill(payload, n->o->size, n->next++, n->slot_start[slot]);
    snprintf(reply, sizeof(reply), "%s.p.%zu", n->inbox, slot);
    out_pub(&n->pub, subject, reply, payload, n->o->size);
    free(payload);
    n->inflight++;
}

static void pub_begin(struct nats *n, struct ev_result *pr, uint64_t total)
{
    n->pr = pr;
    n->total = total;
    n->next = 0;
    n->inflight = 0;
    memset(n->slot_start, 0, n->o->concurrency * sizeof(*n->slot_start));
    for (size_t i = 0; i < n->o->concurrency && n->next < total; i++)
        pub_next(n, i);
}

static bool pub_done(const struct nats *n)
{
    return n->inflight == 0 && n->next >= n->total;
}

static void take_error(struct nats *n, struct ev_result *r)
{
    if (n->err[0]) {
        bench_stats_fail(&r->st, n->err);
        n->err[0] = '\0';
    }
}

static uint64_t measure_publish(struct nats *n)
{
    struct ev_result r;
    uint64_t t0 = mc_now_ns(), failed;

    ev_result_init(&r, "publish", n->o->events, false);
    pub_begin(n, &r, n->o->events);
    if (!nats_until(n, pub_done, ndeadline(n)))
        bench_stats_fail(&r.st, "publish: not every publish was acknowledged");
    r.elapsed_ns = mc_now_ns() - t0;
    take_error(n, &r);
    failed = ev_report(n->o, &r);
    ev_result_release(&r);
    return failed;
}

static bool consumed_all(const struct nats *n)
{
    return ev_result_complete(n->cr);
}

static uint64_t measure_replay(struct nats *n, bool manual)
{
    struct ev_result r;
    uint64_t failed;

    ev_result_init(&r, manual ? "consume_manual" : "consume_auto", n->o->events, true);
    n->cr = &r;
    n->manual = manual;
    n->latency = false;
    n->t0 = mc_now_ns();
    if (!create_consumer(n, manual ? "manual" : "auto", n->o->topic, true) ||
        !nats_until(n, consumed_all, ndeadline(n)))
        bench_stats_fail(&r.st, "consume: not every event arrived");
    if (!r.elapsed_ns)
        r.elapsed_ns = mc_now_ns() - n->t0;
    drop_consumer(n);
    take_error(n, &r);
    failed = ev_report(n->o, &r);
    ev_result_release(&r);
    return failed;
}

/* The consumer exists once its creation is answered: no probe needed, unlike ours. */
static uint64_t measure_e2e(struct nats *n)
{
    struct ev_result r, pr;
    char e2e[80];
    uint64_t failed;

    ev_result_init(&r, "e2e", n->o->e2e_events, true);
    ev_result_init(&pr, "e2e-publish", n->o->e2e_events, false);
    n->cr = &r;
    n->manual = false;
    n->latency = true;
    if (!create_consumer(n, "e2e", e2e_subject(n, e2e, sizeof(e2e)), false)) {
        bench_stats_fail(&r.st, "e2e: cannot create the consumer");
    } else {
        n->t0 = mc_now_ns();
        pub_begin(n, &pr, n->o->e2e_events);
        if (!nats_until(n, consumed_all, ndeadline(n)) || !nats_until(n, pub_done, ndeadline(n)))
            bench_stats_fail(&r.st, "e2e: not every event arrived");
    }
    if (!r.elapsed_ns)
        r.elapsed_ns = mc_now_ns() - n->t0;
    r.st.errors += pr.st.errors;
    if (!r.st.first_error[0] && pr.st.first_error[0])
        memcpy(r.st.first_error, pr.st.first_error, sizeof(r.st.first_error));
    drop_consumer(n);
    take_error(n, &r);
    failed = ev_report(n->o, &r);
    ev_result_release(&pr);
    ev_result_release(&r);
    return failed;
}

/* Both connections up and answering PING, the inbox subscribed, the stream made. */
static bool nats_setup(struct nats *n)
{
    char line[128];

    snprintf(n->inbox, sizeof(n->inbox), "_INBOX.evb%ld", (long)getpid());
    if (nconn_open(n, &n->pub, "publisher") != 0 || nconn_open(n, &n->sub, "consumer") != 0)
        return false;
    snprintf(line, sizeof(line), "SUB %s.> %d\r\n", n->inbox, SID_INBOX);
    out_str(&n->pub, line);
    if (!nats_until(n, both_ponged, ndeadline(n)))
        return false;
    return create_stream(n);
}

uint64_t ev_nats_run(const struct ev_opts *o)
{
    struct nats n = { .o = o, .pub = { .fd = -1 }, .sub = { .fd = -1 } };
    uint64_t failed = 0;

    n.slot_start = mc_calloc(o->concurrency, sizeof(*n.slot_start));
    if (!nats_setup(&n)) {
        fprintf(stderr, EV_PROG ": nats: %s\n", n.err[0] ? n.err : "setup failed");
        failed = 1;
    } else {
        failed += measure_publish(&n);
        failed += measure_replay(&n, false);
        failed += measure_replay(&n, true);
        failed += measure_e2e(&n);
    }
    nconn_close(&n.pub);
    nconn_close(&n.sub);
    free(n.api_answer);
    free(n.slot_start);
    return failed;
}
