/*
 * The client transport: gRPC calls over HTTP/2 with libcurl (transport.h).
 * One easy handle per transport keeps its connection cache, so every call of
 * a session reuses one connection (TLS with ALPN h2; h2c with prior knowledge
 * only on libcurl 8 and later, see setup_handle). libcurl does the I/O and hands over header lines, trailers and
 * DATA; transport_reply.c parses them. The easy handle stays private so that
 * a later change (a multi handle, to watch a stream while the prompt is idle)
 * touches nothing outside this file.
 */
#include "transport.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_grpc.h"
#include "mc_grpc_frame.h"
#include "mc_metadata.h"
#include "transport_reply.h"
#include "mc_banned.h"

/* Upstream's client dial timeout. */
#define TRANSPORT_CONNECT_MS 5000L
#define TRANSPORT_PATH_MAX 1024
#define TRANSPORT_RETRIES 3 /* see closed_before_upload */
#define TRANSPORT_BUFFER_BYTES (512L * 1024L)
#define TRANSPORT_URL_MAX (MC_CLI_ADDR_MAX + TRANSPORT_PATH_MAX + 16)

struct mc_transport {
    CURL *curl;
    char *address;
    bool tls;
    char errbuf[CURL_ERROR_SIZE];
};

/* The cancel flag of the calling thread's calls (mc_transport_set_cancel), or
 * NULL: per thread, so the dashboard's feeders each stop their own stream. */
static _Thread_local volatile sig_atomic_t *cancel_flag;

void mc_transport_set_cancel(volatile sig_atomic_t *flag)
{
    cancel_flag = flag;
}

bool mc_transport_cancel_requested(void)
{
    return cancel_flag && *cancel_flag;
}

static unsigned wake_users;
static struct sigaction wake_old;

static void on_wake(int sig)
{
    (void)sig; /* its delivery is the point: poll() returns EINTR */
}

void mc_transport_wake_install(void)
{
    struct sigaction sa;

    if (wake_users++ > 0)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_wake;
    sa.sa_flags = SA_RESTART; /* file I/O restarts; poll() is interrupted anyway */
    sigemptyset(&sa.sa_mask);
    sigaction(MC_TRANSPORT_WAKE_SIGNAL, &sa, &wake_old);
}

void mc_transport_wake_remove(void)
{
    if (wake_users > 0 && --wake_users == 0)
        sigaction(MC_TRANSPORT_WAKE_SIGNAL, &wake_old, NULL);
}

void mc_transport_wake(pthread_t thread)
{
    pthread_kill(thread, MC_TRANSPORT_WAKE_SIGNAL);
}

/* libcurl's progress check: non-zero aborts the transfer (the user's Ctrl-C). */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ud, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return cancel_flag && *cancel_flag ? 1 : 0;
}

/* curl_global_init wants to run once, before any handle and not twice at a
 * time: a counter under a lock, as the prompt's registry watch (regwatch.h)
 * and the dashboard make transports from threads of their own. */
static pthread_mutex_t curl_users_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned curl_users;

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct mc_transport_reply *r = ud;
    size_t len = size * n;

    return mc_transport_reply_header(r, line, len) < 0 ? 0 : len;
}

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct mc_transport_reply *r = ud;
    size_t len = size * n;

    /* Anything but "go on" stops the transfer: a cancel or a bad frame. */
    return mc_transport_reply_data(r, data, len) == 0 ? len : 0;
}

/* Options that are the same for every call of a transport. */
static bool setup_handle(struct mc_transport *t)
{
    CURL *c = t->curl;
    CURLcode rc = CURLE_OK;

#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HTTP_VERSION,
        t->tls ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    SET(CURLOPT_PROTOCOLS_STR, t->tls ? "https" : "http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PATH_AS_IS, 1L);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_USERAGENT, "micro/" MICRO_VERSION);
    SET(CURLOPT_CONNECTTIMEOUT_MS, TRANSPORT_CONNECT_MS);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    /* libcurl 7.88 notices the end of an HTTP/2 stream that arrived in the same
     * socket read as a full receive buffer only at its next 200 ms poll timeout
     * (seen with strace on `micro registry listServices`); curl's own tool avoids
     * it with a 100 KiB buffer, and so do we, with room to spare. */
    SET(CURLOPT_BUFFERSIZE, TRANSPORT_BUFFER_BYTES);
    /* libcurl before 8.0.0 (Debian 12 has 7.88.1) fails every request after the
     * first on a reused h2c prior-knowledge connection with "Error in the HTTP2
     * framing layer" (curl issue 10634, fixed by PR 10643): there, each call gets
     * a connection of its own, which on loopback costs a connect (~0.1 ms). */
    if (!t->tls && curl_version_info(CURLVERSION_NOW)->version_num < 0x080000)
        SET(CURLOPT_FORBID_REUSE, 1L);
#undef SET
    return rc == CURLE_OK;
}

struct mc_transport *mc_transport_new(const char *address, bool tls)
{
    struct mc_transport *t;

    pthread_mutex_lock(&curl_users_mu);
    bool ready = curl_users > 0 || curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    curl_users += ready;
    pthread_mutex_unlock(&curl_users_mu);
    if (!ready)
        return NULL;
    t = mc_calloc(1, sizeof(*t));
    t->address = mc_strdup(address);
    t->tls = tls;
    t->curl = curl_easy_init();
    if (!t->curl || !setup_handle(t)) {
        mc_transport_free(t);
        return NULL;
    }
    return t;
}

void mc_transport_free(struct mc_transport *t)
{
    if (!t)
        return;
    if (t->curl)
        curl_easy_cleanup(t->curl);
    free(t->address);
    free(t);
    pthread_mutex_lock(&curl_users_mu);
    if (--curl_users == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&curl_users_mu);
}

/* A gRPC path as the proxy routes it: "/service.Handler/Method", plain URL
 * characters only (anything else would need escaping and is not a name). */
static bool valid_path(const char *p)
{
    size_t n = strlen(p);

    if (n < 2 || n > TRANSPORT_PATH_MAX || p[0] != '/')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/' || c == '~'))
            return false;
    }
    return true;
}

/* A caller's "name: value" line: no CR, LF or NUL can split it in two. */
static bool valid_header(const char *h)
{
    return strpbrk(h, "\r\n") == NULL && strchr(h, ':') != NULL;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *line)
{
    struct curl_slist *n = curl_slist_append(list, line);

    if (!n) {
        /* Allocation failure is fatal everywhere in micro (mc_common.h). */
        fputs("micro: out of memory\n", stderr);
        abort();
    }
    return n;
}

/* The request headers: gRPC's, the deadline's, then the caller's. */
static struct curl_slist *build_headers(const struct mc_transport_request *req)
{
    struct curl_slist *h = NULL;
    char line[64];

    h = add_header(h, req->proto ? "content-type: application/grpc+proto"
                                 : "content-type: application/grpc+json");
    h = add_header(h, "te: trailers");
    h = add_header(h, "Accept:"); /* drop curl's default */
    h = add_header(h, "Expect:");
    if (req->timeout_ms > 0) {
        char grpc_to[10], ns[24];
        mc_grpc_timeout_format(req->timeout_ms * 1000000u, grpc_to);
        snprintf(line, sizeof(line), "grpc-timeout: %s", grpc_to);
        h = add_header(h, line);
        /* micro's own `timeout` header (decimal ns), which upstream servers read */
        if (mc_timeout_format_ns(req->timeout_ms, ns, sizeof(ns)) == 0) {
            snprintf(line, sizeof(line), "timeout: %s", ns);
            h = add_header(h, line);
        }
    }
    for (int i = 0; i < req->header_count; i++)
        h = add_header(h, req->headers[i]);
    return h;
}

static int check_request(const struct mc_transport *t, const struct mc_transport_request *req,
                         struct mc_cli_failure *f)
{
    if (!req->path || !valid_path(req->path)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "invalid method path \"%s\"",
                          req->path ? req->path : "");
        return -1;
    }
    for (int i = 0; i < req->header_count; i++) {
        if (!req->headers[i] || !valid_header(req->headers[i])) {
            mc_transport_fail(f, MC_CLI_LOCAL, "invalid request header");
            return -1;
        }
    }
    if (req->framed && (!req->body || req->body_len > MC_TRANSPORT_MAX_UPLOAD)) {
        mc_transport_fail(f, MC_CLI_LOCAL, "trying to send a stream larger than max (%zu vs. "
                          "%u)", req->body_len, MC_TRANSPORT_MAX_UPLOAD);
        return -1;
    }
    if (!req->framed && req->body && req->body_len > MC_TRANSPORT_MAX_MSG) {
        mc_transport_fail(f, MC_CLI_LOCAL, "trying to send message larger than max (%zu vs. %u)",
                          req->body_len, MC_TRANSPORT_MAX_MSG);
        return -1;
    }
    if (strlen(t->address) == 0) {
        mc_transport_fail(f, MC_CLI_DIAL, "no proxy address");
        return -1;
    }
    return 0;
}

/* A connection that never came up: refused, unreachable, DNS, TLS. */
static bool dial_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return true;
    default:
        return false;
    }
}

/* Whether a timed-out transfer had its connection: if the request was
 * never sent, it was the dial that timed out. */
static bool request_sent(CURL *c)
{
    curl_off_t pre = 0;

    return curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK && pre > 0;
}

/* The failure for a transfer that ended with rc != CURLE_OK. */
static int transfer_failed(struct mc_transport *t, CURLcode rc, uint64_t timeout_ms,
                           uint64_t elapsed_ms, struct mc_transport_reply *r,
                           struct mc_cli_failure *f)
{
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

    if (rc == CURLE_WRITE_ERROR && (r->cancelled || r->err))
        return mc_transport_reply_finish(r, f);
    /* A grpc-status is the last thing a server sends, so once it is here the
     * call is over whatever happens to the stream next: our server (as RFC
     * 9113 §8.1 allows) resets a stream it answered before the request body
     * was read, and libcurl may report that reset as a stream error. */
    if (r->have_status && !r->err)
        return mc_transport_reply_finish(r, f);
    if (rc == CURLE_OUT_OF_MEMORY) {
        fputs("micro: out of memory\n", stderr);
        abort();
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        mc_transport_fail(f, MC_CLI_LOCAL, "cancelled");
        return -1;
    }
    if (dial_error(rc)) {
        mc_transport_fail(f, MC_CLI_DIAL, "%s", why);
        return -1;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        if (timeout_ms == 0 || elapsed_ms < timeout_ms || !request_sent(t->curl)) {
            mc_transport_fail(f, MC_CLI_DIAL, "%s", why);
            return -1;
        }
        /* upstream's client: errors.Timeout("go.micro.client", ctx.Err()) */
        mc_error_release(&f->error);
        mc_error_timeout(&f->error, MC_ERROR_ID_CLIENT, "context deadline exceeded");
        f->kind = MC_CLI_MICRO_ERROR;
        return -1;
    }
    mc_transport_fail(f, MC_CLI_LOCAL, "transport error: %s", why);
    return -1;
}

/* Runs the transfer with per-call options set, and clears them again so no
 * pointer into this call's memory outlives it in the handle. */
static CURLcode perform(struct mc_transport *t, const char *url, struct curl_slist *headers,
                        const struct mc_buf *body, uint64_t timeout_ms,
                        struct mc_transport_reply *r)
{
    CURL *c = t->curl;
    CURLcode rc = CURLE_OK;

    t->errbuf[0] = '\0';
#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_POSTFIELDS, body->data);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    SET(CURLOPT_TIMEOUT_MS, (long)MC_MIN(timeout_ms, (uint64_t)0x7fffffff));
    SET(CURLOPT_HEADERDATA, r);
    SET(CURLOPT_WRITEDATA, r);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
#undef SET
    return rc;
}

/*
 * libcurl 7.88 fails a stream that the server closes before curl has sent
 * the request body (it finds the stream gone when it comes to send), and
 * drops the response it already has. Our server, like grpc-go, answers some
 * calls from the headers alone (auth, unknown service) and resets the rest
 * of the stream; on a new connection curl often has not sent the body yet.
 * The server then never read the request, so sending it again is safe, and
 * on the established connection the body goes out at once.
 */
static bool closed_before_upload(CURL *c, CURLcode rc, const struct mc_transport_reply *r,
                                 size_t body_len)
{
    curl_off_t sent = 0;

    if ((rc != CURLE_HTTP2_STREAM && rc != CURLE_SEND_ERROR) || r->http_status != 0 ||
        r->messages != 0)
        return false;
    return curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent) == CURLE_OK &&
           sent < (curl_off_t)body_len;
}

int mc_transport_call(struct mc_transport *t, const struct mc_transport_request *req,
                      struct mc_cli_failure *f)
{
    struct mc_transport_reply r;
    struct mc_buf body;
    struct curl_slist *headers;
    char url[TRANSPORT_URL_MAX];
    uint64_t start;
    CURLcode rc;
    int ret;

    if (check_request(t, req, f) < 0)
        return -1;
    snprintf(url, sizeof(url), "%s://%s%s", t->tls ? "https" : "http", t->address, req->path);
    mc_buf_init(&body, MC_TRANSPORT_MAX_MSG + MC_GRPC_FRAME_HDR_LEN);
    if (req->framed)
        /* the caller's frames, borrowed: perform only reads data and len */
        body = (struct mc_buf){ .data = (char *)req->body, .len = req->body_len };
    else if (req->body)
        mc_grpc_frame_encode(&body, req->body, req->body_len);
    else
        mc_grpc_frame_encode(&body, "{}", 2);
    headers = build_headers(req);
    start = mc_now_ms();
    for (int attempt = 0;; attempt++) {
        mc_transport_reply_init(&r, req->on_msg, req->ud);
        rc = perform(t, url, headers, &body, req->timeout_ms, &r);
        if (attempt >= TRANSPORT_RETRIES || !closed_before_upload(t->curl, rc, &r, body.len))
            break;
        mc_transport_reply_release(&r);
        /* libcurl leaves that connection unusable: start on a new one */
        curl_easy_setopt(t->curl, CURLOPT_FRESH_CONNECT, 1L);
    }
    curl_easy_setopt(t->curl, CURLOPT_FRESH_CONNECT, 0L);
    if (rc == CURLE_OK)
        ret = mc_transport_reply_finish(&r, f);
    else
        ret = transfer_failed(t, rc, req->timeout_ms, mc_now_ms() - start, &r, f);
    mc_transport_reply_release(&r);
    curl_slist_free_all(headers);
    if (!req->framed)
        mc_buf_release(&body);
    return ret;
}
