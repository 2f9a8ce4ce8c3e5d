/*
 * userconf: config.json dot paths and Go-compatible writing, environments
 * stored as a JSON string, token lines, file modes, malformed files and
 * atomic writes. Every test works in its own temporary MICRO_HOME.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_common.h"
#include "userconf.h"

struct fixture {
    char home[256];
    char config[300];
    char tokens[300];
    struct mc_userconf *uc;
};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return (int)(st.st_mode & 0777);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char tmpl[] = "/tmp/test_userconf.XXXXXX";

    assert_non_null(mkdtemp(tmpl));
    /* MICRO_HOME that does not exist yet, to see it created */
    snprintf(fx->home, sizeof(fx->home), "%s/home", tmpl);
    snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->home);
    snprintf(fx->tokens, sizeof(fx->tokens), "%s/tokens", fx->home);
    setenv("MICRO_HOME", fx->home, 1);
    *state = fx;
    return 0;
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[600];

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            rm_rf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char parent[256];

    mc_userconf_free(fx->uc);
    snprintf(parent, sizeof(parent), "%s", fx->home);
    *strrchr(parent, '/') = '\0';
    rm_rf(parent);
    free(fx);
    return 0;
}

static void open_ok(struct fixture *fx)
{
    char err[512] = "";

    mc_userconf_free(fx->uc);
    fx->uc = NULL;
    assert_int_equal(mc_userconf_open(&fx->uc, NULL, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

static void test_creates_home_and_config(void **state)
{
    struct fixture *fx = *state;
    char *v;

    open_ok(fx);
    assert_int_equal(mode_of(fx->home), 0700);
    assert_int_equal(mode_of(fx->config), 0600);
    assert_string_equal(read_text(fx->config), "{\"env\":\"local\"}");
    assert_string_equal(mc_userconf_config_path(fx->uc), fx->config);
    assert_string_equal(mc_userconf_tokens_path(fx->uc), fx->tokens);
    v = mc_userconf_get(fx->uc, "env");
    assert_string_equal(v, "local");
    free(v);
}

static void test_dot_paths(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    char *v;

    open_ok(fx);
    assert_int_equal(mc_userconf_set(fx->uc, "namespaces.local.current", "foo"), 0);
    assert_int_equal(mc_userconf_set(fx->uc, "local.current-user", "admin"), 0);
    v = mc_userconf_get(fx->uc, "namespaces.local.current");
    assert_string_equal(v, "foo");
    free(v);
    /* an object reads as its JSON, keys sorted */
    v = mc_userconf_get(fx->uc, "namespaces");
    assert_string_equal(v, "{\"local\":{\"current\":\"foo\"}}");
    free(v);
    v = mc_userconf_get(fx->uc, "no.such.key");
    assert_string_equal(v, "");
    free(v);
    /* setting through a string replaces it with an object */
    assert_int_equal(mc_userconf_set(fx->uc, "env.sub", "x"), 0);
    v = mc_userconf_get(fx->uc, "env.sub");
    assert_string_equal(v, "x");
    free(v);
    assert_int_equal(mc_userconf_set(fx->uc, "env", "local"), 0);
    assert_int_equal(mc_userconf_set(fx->uc, "", "x"), MC_EINVAL);
    assert_int_equal(mc_userconf_set(fx->uc, "a..b", "x"), MC_EINVAL);
    assert_int_equal(mc_userconf_delete(fx->uc, "namespaces.local.current"), 0);
    assert_int_equal(mc_userconf_delete(fx->uc, "nothing.here"), 0);
    /* Go's encoder: sorted keys, HTML-safe escapes, compact, no final newline */
    assert_int_equal(mc_userconf_set(fx->uc, "a", "<&>\"\n"), 0);
    assert_int_equal(mc_userconf_save(fx->uc, err, sizeof(err)), 0);
    assert_string_equal(read_text(fx->config),
                        "{\"a\":\"\\u003c\\u0026\\u003e\\\"\\n\",\"env\":\"local\","
                        "\"local\":{\"current-user\":\"admin\"},\"namespaces\":{\"local\":{}}}");
    assert_int_equal(mode_of(fx->config), 0600);
    /* and it reads back the same */
    open_ok(fx);
    v = mc_userconf_get(fx->uc, "a");
    assert_string_equal(v, "<&>\"");  /* trimmed, as upstream's Get */
    free(v);
}

static void test_values_trimmed_and_typed(void **state)
{
    struct fixture *fx = *state;
    char *v;

    assert_int_equal(mkdir(fx->home, 0700), 0);
    write_text(fx->config, "{\"n\": 5, \"b\": true, \"s\": \"  x  \", \"z\": null}\n");
    open_ok(fx);
    v = mc_userconf_get(fx->uc, "n");
    assert_string_equal(v, "5");
    free(v);
    v = mc_userconf_get(fx->uc, "b");
    assert_string_equal(v, "true");
    free(v);
    v = mc_userconf_get(fx->uc, "s");
    assert_string_equal(v, "x");
    free(v);
    v = mc_userconf_get(fx->uc, "z");
    assert_string_equal(v, "");
    free(v);
}

static void test_malformed_config_is_an_error_and_kept(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = { "{\"env\":", "[1,2]", "{} trailing", "\"str\"" };
    char err[512];

    assert_int_equal(mkdir(fx->home, 0700), 0);
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        write_text(fx->config, bad[i]);
        err[0] = '\0';
        assert_int_equal(mc_userconf_open(&fx->uc, NULL, err, sizeof(err)), MC_EPROTO);
        assert_null(fx->uc);
        assert_non_null(strstr(err, "malformed config file"));
        assert_non_null(strstr(err, fx->config));
        assert_null(strchr(err, '\n'));
        assert_string_equal(read_text(fx->config), bad[i]); /* never overwritten */
    }
    /* an empty file reads as {} */
    write_text(fx->config, "  \n");
    open_ok(fx);
}

static void test_config_too_big(void **state)
{
    struct fixture *fx = *state;
    char err[512];
    FILE *f;

    assert_int_equal(mkdir(fx->home, 0700), 0);
    f = fopen(fx->config, "w");
    assert_non_null(f);
    fputs("{\"a\":\"", f);
    for (unsigned i = 0; i < MC_USERCONF_MAX_FILE; i++)
        fputc('x', f);
    fputs("\"}", f);
    fclose(f);
    assert_int_equal(mc_userconf_open(&fx->uc, NULL, err, sizeof(err)), MC_ETOOBIG);
    assert_non_null(strstr(err, fx->config));
}

static void test_atomic_write_leaves_no_temp_files(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    DIR *d;
    struct dirent *e;
    int files = 0;

    open_ok(fx);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mc_userconf_set(fx->uc, "k", "v"), 0);
        assert_int_equal(mc_userconf_save(fx->uc, err, sizeof(err)), 0);
    }
    d = opendir(fx->home);
    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            files++;
    closedir(d);
    assert_int_equal(files, 1); /* config.json only */
    /* a directory we cannot write to: the old file stays, the error names it */
    assert_int_equal(chmod(fx->home, 0500), 0);
    if (access(fx->home, W_OK) != 0) { /* root ignores modes */
        assert_int_equal(mc_userconf_set(fx->uc, "k", "w"), 0);
        assert_int_equal(mc_userconf_save(fx->uc, err, sizeof(err)), MC_EIO);
        assert_non_null(strstr(err, fx->config));
        assert_non_null(strstr(read_text(fx->config), "\"k\":\"v\""));
    }
    assert_int_equal(chmod(fx->home, 0700), 0);
}

static void test_envs_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct mc_env_list l = { 0 };
    const struct mc_env *e;
    char err[256];
    char *v;

    open_ok(fx);
    assert_int_equal(mc_userconf_envs(fx->uc, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].name, "local");
    assert_string_equal(l.items[0].address, "127.0.0.1:8081");
    assert_string_equal(l.items[0].description, "Local running Micro Server");
    assert_true(l.items[0].builtin);
    assert_string_equal(l.items[1].name, "platform");
    assert_string_equal(l.items[1].address, "proxy.m3o.com");
    assert_string_equal(l.items[1].description, "Cloud hosted Micro Platform");

    assert_int_equal(mc_userconf_env_add(fx->uc, "foobar", "example.com", err, sizeof(err)), 0);
    assert_int_equal(mc_userconf_env_add(fx->uc, "abc", "", err, sizeof(err)), 0);
    v = mc_userconf_get(fx->uc, "envs");
    /* a string holding the JSON, names sorted, fields in Go's struct order */
    assert_string_equal(v, "{\"abc\":{\"Name\":\"abc\",\"ProxyAddress\":\"\",\"Description\":\"\"},"
                           "\"foobar\":{\"Name\":\"foobar\",\"ProxyAddress\":\"example.com\","
                           "\"Description\":\"\"}}");
    free(v);
    assert_int_equal(mc_userconf_save(fx->uc, err, sizeof(err)), 0);
    open_ok(fx);
    assert_int_equal(mc_userconf_envs(fx->uc, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[0].name, "abc");
    assert_string_equal(l.items[1].name, "foobar");
    e = mc_env_list_find(&l, "foobar");
    assert_non_null(e);
    assert_string_equal(e->address, "example.com");
    assert_false(e->builtin);
    assert_null(mc_env_list_find(&l, "nope"));

    assert_int_equal(mc_userconf_env_del(fx->uc, "abc", err, sizeof(err)), 0);
    assert_int_equal(mc_userconf_env_del(fx->uc, "abc", err, sizeof(err)), MC_ENOTFOUND);
    assert_int_equal(mc_userconf_env_del(fx->uc, "local", err, sizeof(err)), MC_ENOTFOUND);
    assert_int_equal(mc_userconf_envs(fx->uc, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 3);
    assert_int_equal(mc_userconf_env_add(fx->uc, "", "x", err, sizeof(err)), MC_EINVAL);
    mc_env_list_release(&l);
}

static void test_envs_builtins_win_and_bad_string(void **state)
{
    struct fixture *fx = *state;
    struct mc_env_list l = { 0 };
    char err[512];

    assert_int_equal(mkdir(fx->home, 0700), 0);
    write_text(fx->config, "{\"envs\":\"{\\\"local\\\":{\\\"Name\\\":\\\"local\\\","
                           "\\\"ProxyAddress\\\":\\\"evil:1\\\"}}\"}");
    open_ok(fx);
    assert_int_equal(mc_userconf_envs(fx->uc, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(mc_env_list_find(&l, "local")->address, "127.0.0.1:8081");
    mc_env_list_release(&l);
    write_text(fx->config, "{\"envs\":\"{not json\"}");
    open_ok(fx);
    assert_int_equal(mc_userconf_envs(fx->uc, &l, err, sizeof(err)), MC_EPROTO);
    assert_non_null(strstr(err, fx->config));
}

static void test_dial_address(void **state)
{
    char out[64];
    bool tls = true;

    (void)state;
    assert_int_equal(mc_env_dial_address("127.0.0.1:8081", out, sizeof(out), &tls), 0);
    assert_string_equal(out, "127.0.0.1:8081");
    assert_false(tls);
    assert_int_equal(mc_env_dial_address("example.com", out, sizeof(out), &tls), 0);
    assert_string_equal(out, "example.com:443");
    assert_true(tls);
    assert_int_equal(mc_env_dial_address("proxy.m3o.com:443", out, sizeof(out), &tls), 0);
    assert_true(tls);
    assert_int_equal(mc_env_dial_address("[::1]:8081", out, sizeof(out), &tls), 0);
    assert_string_equal(out, "[::1]:8081");
    assert_false(tls);
    assert_int_equal(mc_env_dial_address("::1", out, sizeof(out), &tls), 0);
    assert_string_equal(out, "[::1]:443");
    assert_int_equal(mc_env_dial_address("a-very-long-host-name-that-does-not-fit.example.com",
                                         out, 16, &tls), MC_ETOOBIG);
}

static void test_token_lines(void **state)
{
    struct mc_token t, back;
    struct mc_buf b;
    char *key = NULL;
    const char *line;

    (void)state;
    mc_token_init(&t);
    mc_token_init(&back);
    t.access_token = mc_strdup("aaa.bbb.ccc");
    t.refresh_token = mc_strdup("rrr");
    t.created = 1700000000;
    t.expiry = 1700000060;
    mc_buf_init(&b, 65536);
    assert_int_equal(mc_token_key(&b, "127.0.0.1:8081", "micro", "admin"), 0);
    assert_string_equal(mc_buf_cstr(&b), "micro://127.0.0.1:8081/micro/admin");
    mc_buf_reset(&b);
    assert_int_equal(mc_token_line_format(&b, "micro://127.0.0.1:8081/micro/admin", &t), 0);
    line = mc_buf_cstr(&b);
    /* base64 of Go's json.Marshal of the struct */
    assert_string_equal(line, "micro://127.0.0.1:8081/micro/admin:eyJhY2Nlc3NfdG9rZW4iOiJhYW"
                              "EuYmJiLmNjYyIsInJlZnJlc2hfdG9rZW4iOiJycnIiLCJjcmVhdGVkIjoxNzAw"
                              "MDAwMDAwLCJleHBpcnkiOjE3MDAwMDAwNjB9\n");
    assert_int_equal(mc_token_line_parse(line, b.len - 1, &key, &back), 0);
    assert_string_equal(key, "micro://127.0.0.1:8081/micro/admin");
    assert_string_equal(back.access_token, "aaa.bbb.ccc");
    assert_string_equal(back.refresh_token, "rrr");
    assert_int_equal(back.created, 1700000000);
    assert_int_equal(back.expiry, 1700000060);
    free(key);
    assert_int_equal(mc_token_line_parse("micro://x/y/z:!!!", 17, &key, &back), MC_EPROTO);
    assert_int_equal(mc_token_line_parse("nocolon", 7, &key, &back), MC_EPROTO);
    assert_int_equal(mc_token_line_parse("other://a:e30=", 14, &key, &back), MC_EPROTO);
    /* valid base64 of "{}": no access token */
    assert_int_equal(mc_token_line_parse("micro://a/b/c:e30=", 18, &key, &back), MC_EPROTO);
    assert_null(key);
    mc_token_release(&t);
    mc_token_release(&back);
    mc_buf_release(&b);
}

static void test_tokens_file(void **state)
{
    struct fixture *fx = *state;
    struct mc_token t, got;
    char err[512];

    open_ok(fx);
    mc_token_init(&t);
    mc_token_init(&got);
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:1", "micro", "admin", &got, err,
                                           sizeof(err)), MC_ENOTFOUND);
    t.access_token = mc_strdup("A1");
    t.refresh_token = mc_strdup("R1");
    t.expiry = 10;
    assert_int_equal(mc_userconf_token_put(fx->uc, "h:1", "micro", "admin", &t, err,
                                           sizeof(err)), 0);
    assert_int_equal(mode_of(fx->tokens), 0600);
    free(t.access_token);
    t.access_token = mc_strdup("B1");
    assert_int_equal(mc_userconf_token_put(fx->uc, "h:1", "other", "jane", &t, err,
                                           sizeof(err)), 0);
    free(t.access_token);
    t.access_token = mc_strdup("A2");
    assert_int_equal(mc_userconf_token_put(fx->uc, "h:1", "micro", "admin", &t, err,
                                           sizeof(err)), 0);
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:1", "micro", "admin", &got, err,
                                           sizeof(err)), 0);
    assert_string_equal(got.access_token, "A2"); /* replaced, not duplicated */
    /* no current user: upstream's fallback to any token of this address and namespace */
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:1", "other", "", &got, err, sizeof(err)),
                     0);
    assert_string_equal(got.access_token, "B1");
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:2", "micro", "admin", &got, err,
                                           sizeof(err)), MC_ENOTFOUND);
    assert_int_equal(mc_userconf_token_remove(fx->uc, "h:1", "micro", "admin", err, sizeof(err)),
                     0);
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:1", "micro", "admin", &got, err,
                                           sizeof(err)), MC_ENOTFOUND);
    assert_int_equal(mc_userconf_token_get(fx->uc, "h:1", "other", "jane", &got, err,
                                           sizeof(err)), 0);
    assert_int_equal(mc_userconf_token_remove(fx->uc, "h:9", "micro", "x", err, sizeof(err)), 0);
    /* a broken file is an error naming it, and is not rewritten */
    write_text(fx->tokens, "micro://h:1/micro/admin:%%%\n");
    assert_int_equal(mc_userconf_token_put(fx->uc, "h:1", "micro", "admin", &t, err,
                                           sizeof(err)), MC_EPROTO);
    assert_non_null(strstr(err, fx->tokens));
    assert_non_null(strstr(err, "line 1"));
    assert_string_equal(read_text(fx->tokens), "micro://h:1/micro/admin:%%%\n");
    mc_token_release(&t);
    mc_token_release(&got);
}

static void test_token_inspect(void **state)
{
    char account[64], name[64];
    int64_t exp = 0;

    (void)state;
    /* header.{"sub":"admin","name":"Admin","exp":1700000060}.sig, base64url */
    assert_int_equal(mc_token_inspect("e30.eyJzdWIiOiJhZG1pbiIsIm5hbWUiOiJBZG1pbiIsImV4cCI6MTcw"
                                      "MDAwMDA2MH0.c2ln",
                                      account, sizeof(account), name, sizeof(name), &exp),
                     0);
    assert_string_equal(account, "admin");
    assert_string_equal(name, "Admin");
    assert_int_equal(exp, 1700000060);
    assert_int_equal(mc_token_inspect("garbage", account, sizeof(account), name, sizeof(name),
                                      &exp), MC_EPROTO);
    /* {"name":"x"}: no sub */
    assert_int_equal(mc_token_inspect("e30.eyJuYW1lIjoieCJ9.c2ln", account, sizeof(account),
                                      name, sizeof(name), &exp), MC_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_creates_home_and_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dot_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_trimmed_and_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_config_is_an_error_and_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_leaves_no_temp_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envs_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envs_builtins_win_and_bad_string, setup, teardown),
        cmocka_unit_test(test_dial_address),
        cmocka_unit_test(test_token_lines),
        cmocka_unit_test_setup_teardown(test_tokens_file, setup, teardown),
        cmocka_unit_test(test_token_inspect),
    };

    return cmocka_run_group_tests_name("userconf", tests, NULL, NULL);
}
