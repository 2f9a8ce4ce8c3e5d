/* Unit tests for the auth service (server/auth): its handlers and hook run in
 * process through mc_rpc with the JSON codec, on "test"-profile storage, with a
 * key pair from the environment so the tests can sign tokens of their own
 * (expired, another namespace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "auth/auth.h"
#include "core.h"
#include "mc_jwt.h"
#include "mc_log.h"
#include "mc_rpc.h"
#include "settings.h"
#include "storage/storage.h"

struct fixture {
    struct mc_server_settings settings;
    struct mc_core core;
    struct mc_storage *storage;
    struct mc_error err;
    struct mc_buf out;
    uint8_t sk[MC_JWT_SECRET_KEY_BYTES];
};

static void set_env_keys(struct fixture *f)
{
    uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES];
    char pub[128], priv[128];

    assert_int_equal(mc_jwt_keypair(pk, f->sk), 0);
    sodium_bin2base64(pub, sizeof(pub), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(priv, sizeof(priv), f->sk, sizeof(f->sk), sodium_base64_VARIANT_ORIGINAL);
    setenv("MICRO_AUTH_PUBLIC_KEY", pub, 1);
    setenv("MICRO_AUTH_PRIVATE_KEY", priv, 1);
}

static int start(void **state, bool disable_admin)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];

    set_env_keys(f);
    if (disable_admin)
        setenv("MICRO_AUTH_DISABLE_ADMIN", "true", 1);
    else
        unsetenv("MICRO_AUTH_DISABLE_ADMIN");
    snprintf(f->settings.profile, sizeof(f->settings.profile), "test");
    assert_int_equal(mc_storage_open("test", "/nonexistent", &f->storage, err, sizeof(err)), 0);
    f->core.rpc = mc_rpc_server_new();
    f->core.settings = &f->settings;
    f->core.storage = f->storage;
    assert_int_equal(mc_auth_register(&f->core, mc_rpc_server_add(f->core.rpc, "auth")), 0);
    assert_non_null(f->core.auth);
    assert_non_null(mc_rpc_server_add(f->core.rpc, "helloworld"));
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 1 << 20);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start(state, false);
}

static int setup_no_admin(void **state)
{
    return start(state, true);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mc_rpc_server_free(f->core.rpc);
    mc_auth_free(f->core.auth);
    mc_storage_close(f->storage);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    free(f);
    unsetenv("MICRO_AUTH_PUBLIC_KEY");
    unsetenv("MICRO_AUTH_PRIVATE_KEY");
    unsetenv("MICRO_AUTH_DISABLE_ADMIN");
    return 0;
}

/* Calls path with JSON req, as the caller holding Authorization header authz (or
 * NULL) and namespace ns (or NULL). The answer is in f->out, the error in f->err. */
static int call_as(struct fixture *f, const char *authz, const char *ns, const char *path,
                   const char *req)
{
    struct mc_arena arena;
    struct mc_metadata md;
    const struct mc_rpc_method *m;
    struct mc_rpc_ctx ctx = { 0 };
    int rc;

    mc_error_release(&f->err);
    mc_buf_reset(&f->out);
    mc_arena_init(&arena);
    mc_metadata_init(&md, 0, 0);
    if (authz)
        assert_int_equal(mc_metadata_set(&md, authz[0] == 'm' ? "Cookie" : "Authorization",
                                         authz), 0);
    if (ns)
        assert_int_equal(mc_metadata_set(&md, MC_MD_NAMESPACE, ns), 0);
    ctx.arena = &arena;
    ctx.md = &md;
    ctx.err = &f->err;
    rc = mc_rpc_route(f->core.rpc, path, &m, NULL, &f->err);
    if (rc == MC_OK)
        rc = mc_rpc_invoke(m, &ctx, MC_CODEC_JSON, (const uint8_t *)req, strlen(req), &f->out);
    mc_metadata_release(&md);
    mc_arena_release(&arena);
    return rc;
}

static char *bearer(const char *token)
{
    size_t n = strlen(token) + 8;
    char *s = malloc(n);
    snprintf(s, n, "Bearer %s", token);
    return s;
}

/* The value of "key":"..." in f->out (first occurrence), malloc'd. */
static char *json_str(struct fixture *f, const char *key)
{
    char pat[64];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    p = strstr(mc_buf_cstr(&f->out), pat);
    assert_non_null(p);
    p += strlen(pat);
    e = strchr(p, '"');
    return strndup(p, (size_t)(e - p));
}

static void expect_error(struct fixture *f, int code, const char *id, const char *detail)
{
    assert_int_equal(f->err.code, code);
    assert_string_equal(f->err.id ? f->err.id : "", id);
    assert_string_equal(f->err.detail ? f->err.detail : "", detail);
}

/* Logs in as admin/micro and returns "Bearer <token>" (malloc'd). */
static char *admin_auth(struct fixture *f)
{
    char *tok, *auth;
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    tok = json_str(f, "access_token");
    auth = bearer(tok);
    free(tok);
    return auth;
}

/* A token for claims signed with the test's key. */
static char *sign(struct fixture *f, const char *sub, const char *iss, const char *scope,
                  int64_t exp)
{
    struct mc_jwt_claims c;
    struct mc_buf b;
    char *auth;

    mc_jwt_claims_init(&c);
    c.sub = strdup(sub);
    c.iss = strdup(iss);
    c.type = strdup("user");
    c.exp = exp;
    if (scope)
        assert_int_equal(mc_jwt_claims_add_scope(&c, scope), 0);
    mc_buf_init(&b, MC_JWT_MAX_LEN);
    assert_int_equal(mc_jwt_sign(&c, f->sk, &b), 0);
    auth = bearer(b.data);
    mc_buf_release(&b);
    mc_jwt_claims_release(&c);
    return auth;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_login_as_default_admin(void **state)
{
    struct fixture *f = *state;
    char *access, *refresh;
    uint64_t t0;
    int64_t created, expiry;

    t0 = mc_now_ms();
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    /* the first login also creates the account (one hash + one verify) */
    print_message("first login (create + verify): %llu ms\n", (unsigned long long)(mc_now_ms() - t0));
    access = json_str(f, "access_token");
    refresh = json_str(f, "refresh_token");
    assert_int_equal(strlen(refresh), 36);   /* a UUID */
    assert_non_null(strchr(access, '.'));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"created\":\""));
    assert_int_equal(sscanf(strstr(mc_buf_cstr(&f->out), "\"created\":\"") + 11, "%ld", &created), 1);
    assert_int_equal(sscanf(strstr(mc_buf_cstr(&f->out), "\"expiry\":\"") + 10, "%ld", &expiry), 1);
    assert_int_equal(expiry - created, MC_AUTH_DEFAULT_EXPIRY);
    t0 = mc_now_ms();
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    print_message("login (argon2id verify): %llu ms\n", (unsigned long long)(mc_now_ms() - t0));

    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"nope\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "Secret not correct");
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"ghost\",\"secret\":\"x\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "Account not found with this ID");
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "Credentials or a refresh token required");
    free(access);
    free(refresh);
}

static void test_default_rule_written_lazily(void **state)
{
    struct fixture *f = *state;
    char *v = NULL;
    size_t len;
    char *admin;

    /* nothing yet: no call has looked at namespace "micro" */
    assert_int_equal(mc_storage_get(f->storage, "micro", "auth", "rules/micro/default", &v, &len),
                     MC_ENOTFOUND);
    admin = admin_auth(f);
    assert_int_equal(mc_storage_get(f->storage, "micro", "auth", "rules/micro/default", &v, &len), 0);
    free(v);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/List", "{}"), 0);
    assert_string_equal(mc_buf_cstr(&f->out),
                        "{\"rules\":[{\"id\":\"default\",\"scope\":\"\",\"resource\":{\"name\":\"*\","
                        "\"type\":\"*\",\"endpoint\":\"*\"},\"access\":\"GRANTED\",\"priority\":0}]}");
    /* another namespace gets its own default rule the first time it is seen */
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/List", "{\"options\":{\"namespace\":\"foo\"}}"), 0);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"id\":\"default\""));
    free(admin);
}

static void test_accounts_lifecycle(void **state)
{
    struct fixture *f = *state;
    char *admin = admin_auth(f);
    char *secret, *req, *jane;
    char *v = NULL;
    size_t len;

    assert_int_equal(call_as(f, admin, NULL, "/auth.Auth/Generate",
                             "{\"id\":\"jane\",\"scopes\":[\"admin\"]}"), 0);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"id\":\"jane\",\"type\":\"user\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"issuer\":\"micro\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"name\":\"jane\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"metadata\":{\"created\":\""));
    secret = json_str(f, "secret");
    assert_int_equal(strlen(secret), 36);
    /* stored hashed, under both keys */
    assert_int_equal(mc_storage_get(f->storage, "micro", "auth", "account/micro/jane", &v, &len), 0);
    assert_null(strstr(v, secret));
    assert_non_null(strstr(v, "$argon2id$"));
    free(v);
    assert_int_equal(mc_storage_get(f->storage, "micro", "auth", "accountByName/micro/jane", &v, &len), 0);
    free(v);

    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Auth/Generate", "{\"id\":\"jane\"}"), 0);
    expect_error(f, 400, "auth.Auth.Generate", "Account with this ID already exists");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Auth/Generate", "{\"id\":\"jane2\",\"name\":\"jane\"}"), 0);
    expect_error(f, 400, "auth.Auth.Generate", "Account with this Name already exists");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Auth/Generate", "{}"), 0);
    expect_error(f, 400, "auth.Auth.Generate", "ID required");
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Generate", "{\"id\":\"x\"}"), 0);
    expect_error(f, 401, "auth.Auth.Generate", "an account is required");

    assert_int_equal(call_as(f, admin, NULL, "/auth.Accounts/List", "{}"), 0);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"id\":\"admin\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"id\":\"jane\""));
    assert_null(strstr(mc_buf_cstr(&f->out), "argon2"));

    /* jane logs in with her secret, then changes it */
    len = strlen(secret) + 64;
    req = malloc(len);
    snprintf(req, len, "{\"id\":\"jane\",\"secret\":\"%s\"}", secret);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", req), 0);
    {
        char *t = json_str(f, "access_token");
        jane = bearer(t);
        free(t);
    }
    assert_int_not_equal(call_as(f, jane, NULL, "/auth.Accounts/ChangeSecret",
                                 "{\"id\":\"jane\",\"old_secret\":\"wrong\",\"new_secret\":\"n\"}"), 0);
    expect_error(f, 400, "auth.Accounts.ChangeSecret", "Secret not correct");
    assert_int_not_equal(call_as(f, jane, NULL, "/auth.Accounts/ChangeSecret", "{\"id\":\"jane\"}"), 0);
    expect_error(f, 400, "auth.Auth.ChangeSecret", "New secret should not be blank");
    snprintf(req, len, "{\"id\":\"jane\",\"old_secret\":\"%s\",\"new_secret\":\"s3cret\"}", secret);
    assert_int_equal(call_as(f, jane, NULL, "/auth.Accounts/ChangeSecret", req), 0);
    snprintf(req, len, "{\"id\":\"jane\",\"secret\":\"%s\"}", secret);
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", req), 0);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"jane\",\"secret\":\"s3cret\"}"), 0);
    /* a micro admin may reset it without the old one */
    assert_int_equal(call_as(f, admin, NULL, "/auth.Accounts/ChangeSecret",
                             "{\"id\":\"jane\",\"new_secret\":\"reset\"}"), 0);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"jane\",\"secret\":\"reset\"}"), 0);

    /* deleting */
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Accounts/Delete", "{\"id\":\"admin\"}"), 0);
    expect_error(f, 400, "auth.Accounts.Delete", "Can't delete your own account");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Accounts/Delete", "{\"id\":\"ghost\"}"), 0);
    expect_error(f, 400, "auth.Accounts.Delete", "Account not found with this ID");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Accounts/Delete", "{}"), 0);
    expect_error(f, 400, "auth.Accounts.Delete", "Missing ID");
    assert_int_equal(call_as(f, admin, NULL, "/auth.Accounts/Delete", "{\"id\":\"jane\"}"), 0);
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"jane\",\"secret\":\"reset\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "Account not found with this ID");
    assert_int_equal(mc_storage_get(f->storage, "micro", "auth", "accountByName/micro/jane", &v, &len),
                     MC_ENOTFOUND);
    free(req);
    free(secret);
    free(jane);
    free(admin);
}

static void test_rules_crud_and_enforcement(void **state)
{
    struct fixture *f = *state;
    char *admin = admin_auth(f);

    assert_int_equal(call_as(f, NULL, NULL, "/helloworld.Debug/Health", "{}"), 0);   /* default rule */

    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Create", "{}"), 0);
    expect_error(f, 400, "auth.Rules.Create", "Rule missing");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Create", "{\"rule\":{}}"), 0);
    expect_error(f, 400, "auth.Rules.Create", "ID missing");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Create", "{\"rule\":{\"id\":\"x\"}}"), 0);
    expect_error(f, 400, "auth.Rules.Create", "Resource missing");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                                 "{\"rule\":{\"id\":\"x\",\"resource\":{}}}"), 0);
    expect_error(f, 400, "auth.Rules.Create", "Access missing");

    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                             "{\"rule\":{\"id\":\"onlyloggedin\",\"scope\":\"*\",\"resource\":{\"type\":\"*\","
                             "\"name\":\"*\",\"endpoint\":\"*\"},\"access\":\"GRANTED\"}}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                             "{\"rule\":{\"id\":\"auth-public\",\"scope\":\"\",\"resource\":{\"type\":\"service\","
                             "\"name\":\"auth\",\"endpoint\":\"*\"},\"access\":1}}"), 0);
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                                 "{\"rule\":{\"id\":\"auth-public\",\"resource\":{},\"access\":1}}"), 0);
    expect_error(f, 400, "auth.Rules.Create", "A rule with this ID already exists");
    /* still public: default is there */
    assert_int_equal(call_as(f, NULL, NULL, "/helloworld.Debug/Health", "{}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"default\"}"), 0);
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"default\"}"), 0);
    expect_error(f, 400, "auth.Rules.Delete", "Rule not found");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{}"), 0);
    expect_error(f, 400, "auth.Rules.Delete", "ID missing");

    /* enforced from the very next call */
    assert_int_not_equal(call_as(f, NULL, NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "Unauthorized call made to helloworld:Debug.Health");
    assert_int_equal(call_as(f, admin, NULL, "/helloworld.Debug/Health", "{}"), 0);
    /* auth stays reachable anonymously */
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/List", "{}"), 0);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "{\"rules\":[{\"id\":\"auth-public\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "},{\"id\":\"onlyloggedin\""));
    assert_null(strstr(mc_buf_cstr(&f->out), "\"default\""));
    /* deleting every rule brings `default` back, as upstream */
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"onlyloggedin\"}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"auth-public\"}"), 0);
    assert_int_equal(call_as(f, NULL, NULL, "/helloworld.Debug/Health", "{}"), 0);
    free(admin);
}

static void test_tokens_in_the_hook(void **state)
{
    struct fixture *f = *state;
    char *admin = admin_auth(f);
    char *expired = sign(f, "admin", "micro", "admin", mc_unix_time() - 1);
    char *foreign = sign(f, "bob", "foo", "admin", mc_unix_time() + 60);
    char *cookie;

    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                             "{\"rule\":{\"id\":\"onlyloggedin\",\"scope\":\"*\",\"resource\":{\"type\":\"*\","
                             "\"name\":\"*\",\"endpoint\":\"*\"},\"access\":\"GRANTED\",\"priority\":1}}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                             "{\"rule\":{\"id\":\"nobody\",\"scope\":\"\",\"resource\":{\"type\":\"*\","
                             "\"name\":\"*\",\"endpoint\":\"*\"},\"access\":\"DENIED\"}}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"default\"}"), 0);

    assert_int_equal(call_as(f, admin, NULL, "/helloworld.Debug/Health", "{}"), 0);
    /* an expired token is nobody */
    assert_int_not_equal(call_as(f, expired, NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "Unauthorized call made to helloworld:Debug.Health");
    /* another namespace's account calling into micro */
    assert_int_not_equal(call_as(f, foreign, "micro", "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 403, "helloworld", "Forbidden call made to helloworld:Debug.Health by bob");
    /* without a Micro-Namespace header its own namespace (issuer) applies: default rule there */
    assert_int_equal(call_as(f, foreign, NULL, "/helloworld.Debug/Health", "{}"), 0);
    /* a namespace that cannot be one */
    assert_int_not_equal(call_as(f, admin, "a/b", "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 400, "helloworld", "invalid namespace a/b");
    assert_int_not_equal(call_as(f, admin, NULL, "/auth.Auth/Token",
                                 "{\"id\":\"admin\",\"secret\":\"micro\",\"options\":{\"namespace\":\"../x\"}}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "invalid namespace ../x");
    /* Authorization must be Bearer */
    assert_int_not_equal(call_as(f, "Basic YWRtaW46bWljcm8=", NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "invalid authorization header. expected Bearer schema");
    assert_int_not_equal(call_as(f, "Bearer not.a.token", NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "Unauthorized call made to helloworld:Debug.Health");
    /* the gateway's cookie */
    cookie = malloc(strlen(admin) + 32);
    snprintf(cookie, strlen(admin) + 32, "micro-token=%s; other=1", admin + 7);
    assert_int_equal(call_as(f, cookie, NULL, "/helloworld.Debug/Health", "{}"), 0);
    /* the namespace checks of handlers: rules are changed by admins only */
    {
        char *joe = sign(f, "joe", "micro", NULL, mc_unix_time() + 60);
        assert_int_equal(call_as(f, joe, NULL, "/auth.Rules/List", "{}"), 0);
        assert_int_not_equal(call_as(f, joe, NULL, "/auth.Rules/Delete", "{\"id\":\"nobody\"}"), 0);
        expect_error(f, 401, "auth.Rules.Delete", "Unauthorized");
        free(joe);
    }
    assert_int_not_equal(call_as(f, foreign, "micro", "/auth.Accounts/List", "{}"), 0);
    expect_error(f, 403, "auth", "Forbidden call made to auth:Accounts.List by bob");
    free(cookie);
    free(expired);
    free(foreign);
    free(admin);
}

/* Verified tokens are cached (server/auth/token_cache.c): a cached token still
 * expires on time, and a forged twin of a cached token is not taken for it. */
static void test_token_cache(void **state)
{
    struct fixture *f = *state;
    char *admin = admin_auth(f);
    int64_t exp = mc_unix_time() + 2;
    char *soon = sign(f, "joe", "micro", NULL, exp);
    char *forged = strdup(soon);
    size_t n = strlen(forged);

    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Create",
                             "{\"rule\":{\"id\":\"onlyloggedin\",\"scope\":\"*\",\"resource\":{\"type\":\"*\","
                             "\"name\":\"*\",\"endpoint\":\"*\"},\"access\":\"GRANTED\",\"priority\":1}}"), 0);
    assert_int_equal(call_as(f, admin, NULL, "/auth.Rules/Delete", "{\"id\":\"default\"}"), 0);
    /* twice: the second call is served from the cache */
    assert_int_equal(call_as(f, soon, NULL, "/helloworld.Debug/Health", "{}"), 0);
    assert_int_equal(call_as(f, soon, NULL, "/helloworld.Debug/Health", "{}"), 0);
    /* the same claims with another signature: verified anew, and refused */
    forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A';
    assert_int_not_equal(call_as(f, forged, NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "Unauthorized call made to helloworld:Debug.Health");
    /* past its exp the cached token is nobody */
    while (mc_unix_time() < exp) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    assert_int_not_equal(call_as(f, soon, NULL, "/helloworld.Debug/Health", "{}"), 0);
    expect_error(f, 401, "helloworld", "Unauthorized call made to helloworld:Debug.Health");
    free(forged);
    free(soon);
    free(admin);
}

static void test_refresh_inspect_and_jwt_secret(void **state)
{
    struct fixture *f = *state;
    char *access, *refresh, *req, *acc2;
    size_t len;

    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    access = json_str(f, "access_token");
    refresh = json_str(f, "refresh_token");
    len = strlen(access) + 128;
    req = malloc(len);

    snprintf(req, len, "{\"refresh_token\":\"%s\",\"token_expiry\":60}", refresh);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", req), 0);
    acc2 = json_str(f, "refresh_token");
    assert_string_equal(acc2, refresh);   /* the stored refresh token comes back */
    free(acc2);
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"refresh_token\":\"nope\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "invalid token provided");

    /* case (c): a JWT as the secret: a new JWT, returned as both tokens */
    snprintf(req, len, "{\"id\":\"whoever\",\"secret\":\"%s\"}", access);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", req), 0);
    {
        char *a = json_str(f, "access_token"), *r = json_str(f, "refresh_token");
        assert_string_equal(a, r);
        free(a);
        free(r);
    }

    snprintf(req, len, "{\"token\":\"%s\"}", access);
    assert_int_equal(call_as(f, NULL, NULL, "/auth.Auth/Inspect", req), 0);
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"id\":\"admin\",\"type\":\"user\""));
    assert_non_null(strstr(mc_buf_cstr(&f->out), "\"scopes\":[\"admin\"],\"issuer\":\"micro\""));
    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Inspect", "{\"token\":\"x.y.z\"}"), 0);
    expect_error(f, 400, "auth.Auth.Inspect", "invalid token provided");
    free(req);
    free(access);
    free(refresh);
}

static void test_disable_admin(void **state)
{
    struct fixture *f = *state;

    assert_int_not_equal(call_as(f, NULL, NULL, "/auth.Auth/Token", "{\"id\":\"admin\",\"secret\":\"micro\"}"), 0);
    expect_error(f, 400, "auth.Auth.Token", "Account not found with this ID");
}

/* The §5.2 checks other core services call. */
static int authz(const struct mc_account *acc, const char *ns, bool admin, struct mc_error *err)
{
    struct mc_arena ar;
    struct mc_rpc_ctx ctx = { 0 };
    int rc;

    mc_arena_init(&ar);
    mc_error_release(err);
    ctx.arena = &ar;
    ctx.err = err;
    ctx.account = acc;
    rc = admin ? mc_auth_authorize_admin(&ctx, ns, "store.Store.Read")
               : mc_auth_authorize(&ctx, ns, "store.Store.Read");
    mc_arena_release(&ar);
    return rc;
}

static void test_namespace_checks(void **state)
{
    static const char *admin_s[] = { "admin" }, *svc_s[] = { "service" };
    const struct mc_account micro_admin = { "a", "user", "micro", "a", admin_s, 1 };
    const struct mc_account micro_svc = { "s", "service", "micro", "s", svc_s, 1 };
    const struct mc_account micro_user = { "u", "user", "micro", "u", NULL, 0 };
    const struct mc_account foo_user = { "f", "user", "foo", "f", NULL, 0 };
    const struct mc_account foo_admin = { "fa", "user", "foo", "fa", admin_s, 1 };
    const struct mc_account foo_other = { "fo", "bot", "foo", "fo", admin_s, 1 };
    struct mc_error err;
    (void)state;

    mc_error_init(&err);
    assert_int_equal(authz(NULL, "micro", false, &err), MC_EINVAL);
    assert_int_equal(err.code, 401);
    assert_string_equal(err.id, "store.Store.Read");
    assert_string_equal(err.detail, "an account is required");
    assert_int_equal(authz(&micro_admin, "foo", false, &err), 0);
    assert_int_equal(authz(&micro_svc, "foo", true, &err), 0);
    assert_int_equal(authz(&micro_user, "micro", false, &err), 0);
    assert_int_equal(authz(&micro_user, "foo", false, &err), MC_EINVAL);
    assert_int_equal(err.code, 403);
    assert_string_equal(err.detail, "access denied to namespace");
    assert_int_equal(authz(&foo_user, "foo", false, &err), 0);
    assert_int_equal(authz(&foo_user, "micro", false, &err), MC_EINVAL);
    assert_int_equal(err.code, 403);
    assert_int_equal(authz(&foo_other, "foo", false, &err), MC_EINVAL);   /* type neither user nor service */
    /* admin: the account itself must be one */
    assert_int_equal(authz(&foo_user, "foo", true, &err), MC_EINVAL);
    assert_int_equal(err.code, 401);
    assert_string_equal(err.detail, "Unauthorized");
    assert_int_equal(authz(&foo_admin, "foo", true, &err), 0);
    assert_int_equal(authz(&foo_admin, "micro", true, &err), MC_EINVAL);
    assert_int_equal(err.code, 403);
    assert_int_equal(authz(&micro_user, "micro", true, &err), MC_EINVAL);
    assert_int_equal(err.code, 401);
    /* names that cannot be a namespace (they are storage key parts) */
    assert_int_equal(authz(&micro_admin, "a/b", false, &err), MC_EINVAL);
    assert_int_equal(err.code, 400);
    assert_int_equal(authz(&micro_admin, "", false, &err), MC_EINVAL);
    assert_int_equal(err.code, 400);
    mc_error_release(&err);
}

static void test_key_files(void **state)
{
    char dir[] = "/tmp/micro-auth-keys.XXXXXX";
    char path[256];
    struct mc_auth_options opts = { 0 };
    struct mc_auth *a, *b;
    struct stat st;
    uint8_t pk[MC_JWT_PUBLIC_KEY_BYTES];
    (void)state;

    assert_non_null(mkdtemp(dir));
    opts.home = dir;
    a = mc_auth_new(NULL, &opts);
    assert_non_null(a);
    memcpy(pk, mc_auth_public_key(a), sizeof(pk));
    snprintf(path, sizeof(path), "%s/auth_private_key", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    b = mc_auth_new(NULL, &opts);   /* the same pair on the next start */
    assert_non_null(b);
    assert_memory_equal(mc_auth_public_key(b), pk, sizeof(pk));
    mc_auth_free(b);
    mc_auth_free(a);
    /* a lone public key file is refused */
    assert_int_equal(unlink(path), 0);
    assert_null(mc_auth_new(NULL, &opts));
    snprintf(path, sizeof(path), "%s/auth_public_key", dir);
    unlink(path);
    rmdir(dir);
    /* env keys that are not one pair */
    opts.home = NULL;
    opts.public_key_b64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    opts.private_key_b64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_null(mc_auth_new(NULL, &opts));
    opts.private_key_b64 = NULL;
    assert_null(mc_auth_new(NULL, &opts));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_as_default_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_rule_written_lazily, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_crud_and_enforcement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_in_the_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_inspect_and_jwt_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_admin, setup_no_admin, teardown),
        cmocka_unit_test(test_namespace_checks),
        cmocka_unit_test(test_key_files),
    };
    mc_log_set_level(MC_LOG_ERROR);
    return cmocka_run_group_tests_name("auth_service", tests, NULL, NULL);
}
