/* Unit tests for the config document: the seed walkthrough of spec/micro-v3-transcript.md
 * (set, get, merge, delete, secrets), paths, exact numbers, and failures that leave the
 * document unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "config/config_doc.h"

static uint8_t key[MC_CONFIG_KEY_BYTES];

struct fx {
    cJSON *root;
    struct mc_error err;
    struct mc_buf out;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_int_equal(sodium_init() >= 0, 1);
    randombytes_buf(key, sizeof(key));
    assert_int_equal(mc_config_doc_load(NULL, 0, &f->root), MC_OK);
    mc_error_init(&f->err);
    mc_buf_init(&f->out, 1 << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    cJSON_Delete(f->root);
    mc_error_release(&f->err);
    mc_buf_release(&f->out);
    free(f);
    return 0;
}

static void set(struct fx *f, const char *path, const char *json, bool secret)
{
    assert_int_equal(mc_config_doc_set(f->root, path, json, strlen(json), secret, key, &f->err),
                     MC_OK);
}

static const char *get(struct fx *f, const char *path, bool decrypt)
{
    mc_buf_reset(&f->out);
    assert_int_equal(mc_config_doc_get(f->root, path, decrypt, key, &f->out, &f->err), MC_OK);
    return mc_buf_cstr(&f->out);
}

static void test_seed_walkthrough(void **state)
{
    struct fx *f = *state;

    set(f, "helloworld.somekey", "\"hello\"", false);
    assert_string_equal(get(f, "helloworld.somekey", false), "\"hello\"");
    assert_string_equal(get(f, "helloworld", false), "{\"somekey\":\"hello\"}");
    set(f, "helloworld.someboolkey", "true", false);
    set(f, "helloworld.someotherkey", "\"Hi there!\"", false);
    assert_string_equal(get(f, "helloworld", false),
                        "{\"someboolkey\":true,\"somekey\":\"hello\",\"someotherkey\":\"Hi there!\"}");
    set(f, "helloworld.keywithsubs.subkey1", "\"So easy!\"", false);
    mc_config_doc_delete(f->root, "helloworld.someotherkey", &f->err);
    mc_config_doc_delete(f->root, "helloworld.keywithsubs", &f->err);
    assert_string_equal(get(f, "helloworld", false), "{\"someboolkey\":true,\"somekey\":\"hello\"}");
    set(f, "helloworld.hushkey", "\"Very secret stuff\"", true);
    assert_string_equal(get(f, "helloworld.hushkey", false), "\"[secret]\"");
    assert_string_equal(get(f, "helloworld.hushkey", true), "\"Very secret stuff\"");
    assert_string_equal(get(f, "helloworld", false),
                        "{\"hushkey\":\"[secret]\",\"someboolkey\":true,\"somekey\":\"hello\"}");
    assert_string_equal(get(f, "helloworld", true),
                        "{\"hushkey\":\"Very secret stuff\",\"someboolkey\":true,\"somekey\":\"hello\"}");
    mc_config_doc_delete(f->root, "helloworld", &f->err);
    set(f, "helloworld", "{\"a\":1}", false);
    set(f, "helloworld", "{\"b\":2}", false);
    assert_string_equal(get(f, "helloworld", false), "{\"a\":1,\"b\":2}");
}

static void test_upstream_transcript_and_missing(void **state)
{
    struct fx *f = *state;

    set(f, "a.b", "1", false);
    assert_string_equal(get(f, "a", false), "{\"b\":1}");
    assert_string_equal(get(f, "a.b", false), "1");
    assert_string_equal(get(f, "nope", false), "null");
    assert_string_equal(get(f, "a.b.c", false), "null");   /* below a leaf */
    assert_string_equal(get(f, "", false), "{\"a\":{\"b\":1}}");
}

/* Keys differing only in case are different keys (regression: "A" beside "a"
 * was silently dropped, found by fuzz_config_path). */
static void test_keys_are_case_sensitive(void **state)
{
    struct fx *f = *state;

    set(f, "a.b", "1", false);
    set(f, "A.b", "2", false);
    set(f, "a.B", "3", false);
    assert_string_equal(get(f, "A.b", false), "2");
    assert_string_equal(get(f, "a", false), "{\"B\":3,\"b\":1}");
    set(f, "A", "{\"c\":4}", false);
    assert_string_equal(get(f, "A", false), "{\"b\":2,\"c\":4}");
    set(f, "a", "5", false);
    assert_string_equal(get(f, "a", false), "5");
    assert_string_equal(get(f, "A.c", false), "4");
}

static void test_replace_and_merge(void **state)
{
    struct fx *f = *state;

    set(f, "x", "{\"y\":{\"z\":1},\"k\":[1,2]}", false);
    set(f, "x.y", "5", false);                     /* an object replaced by a leaf */
    assert_string_equal(get(f, "x", false), "{\"k\":[1,2],\"y\":5}");
    set(f, "x.y", "{\"w\":true}", false);          /* a leaf replaced by an object */
    assert_string_equal(get(f, "x", false), "{\"k\":[1,2],\"y\":{\"w\":true}}");
    set(f, "", "{\"top\":\"level\"}", false);      /* merge at the root */
    assert_string_equal(get(f, "top", false), "\"level\"");
    assert_string_equal(get(f, "x.k", false), "[1,2]");
}

static void test_exact_numbers(void **state)
{
    struct fx *f = *state;

    set(f, "big", "9007199254740993", false);
    set(f, "nested", "{\"n\":12345678901234567890,\"arr\":[9007199254740993]}", false);
    assert_string_equal(get(f, "big", false), "9007199254740993");
    assert_string_equal(get(f, "nested", false),
                        "{\"arr\":[9007199254740993],\"n\":12345678901234567890}");
}

static void test_secrets_are_sealed_in_storage(void **state)
{
    struct fx *f = *state;
    cJSON *again;

    set(f, "db", "{\"password\":\"hunter2\",\"user\":\"u\"}", true);
    mc_buf_reset(&f->out);
    assert_int_equal(mc_config_doc_save(f->root, &f->out), MC_OK);
    assert_null(strstr(mc_buf_cstr(&f->out), "hunter2"));   /* never in plain text */
    /* a reload opens with the same key, not with another one */
    assert_int_equal(mc_config_doc_load(f->out.data, f->out.len, &again), MC_OK);
    mc_buf_reset(&f->out);
    assert_int_equal(mc_config_doc_get(again, "db.password", true, key, &f->out, &f->err), MC_OK);
    assert_string_equal(mc_buf_cstr(&f->out), "\"hunter2\"");
    {
        uint8_t other[MC_CONFIG_KEY_BYTES] = { 1 };
        mc_buf_reset(&f->out);
        assert_int_equal(mc_config_doc_get(again, "db.password", true, other, &f->out, &f->err),
                         MC_EINVAL);
        assert_int_equal(f->err.code, 500);
    }
    cJSON_Delete(again);
}

static void test_errors_leave_the_document_unchanged(void **state)
{
    struct fx *f = *state;

    set(f, "keep", "\"me\"", false);
    assert_int_equal(mc_config_doc_set(f->root, "a..b", "1", 1, false, key, &f->err), MC_EINVAL);
    assert_int_equal(f->err.code, 400);
    assert_int_equal(mc_config_doc_set(f->root, "a", "{nope", 5, false, key, &f->err), MC_EINVAL);
    assert_int_equal(f->err.code, 400);
    assert_int_equal(mc_config_doc_set(f->root, "", "1", 1, false, key, &f->err), MC_EINVAL);
    assert_int_equal(mc_config_doc_set(f->root, "s", "1", 1, true, NULL, &f->err), MC_EINVAL);
    assert_string_equal(f->err.detail, "Can't encode secret: secret key is not set");
    assert_string_equal(get(f, "", false), "{\"keep\":\"me\"}");
    assert_int_equal(mc_config_doc_load("[1]", 3, &(cJSON *){ NULL }), MC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_walkthrough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_transcript_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_and_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_are_case_sensitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_are_sealed_in_storage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_leave_the_document_unchanged, setup, teardown),
    };
    return cmocka_run_group_tests_name("config_doc", tests, NULL, NULL);
}
