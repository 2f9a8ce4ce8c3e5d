/* Unit tests for mc_metadata: the map and its limits, canonical keys, wire
 * filtering both ways, the timeout header, the namespace and Authorization
 * helpers. Map invariants (bytes, order) are checked after each operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mc_metadata.h"

static struct mc_slice cs(const char *s)
{
    return mc_slice_cstr(s);
}

/* bytes equals the sum of key and value lengths; keys are canonical and unique. */
static void check_invariants(const struct mc_metadata *md)
{
    size_t sum = 0;
    assert_true(md->len <= md->max_pairs);
    assert_true(md->bytes <= md->max_bytes);
    for (size_t i = 0; i < md->len; i++) {
        const struct mc_metadata_pair *p = &md->pairs[i];
        char canon[256];
        assert_int_equal(strlen(p->key), strlen(p->wire_key));
        assert_true(mc_metadata_canonical_key(p->key, strlen(p->key), canon, sizeof canon) >= 0);
        assert_string_equal(p->key, canon);
        for (size_t j = 0; p->wire_key[j]; j++)
            assert_false(p->wire_key[j] >= 'A' && p->wire_key[j] <= 'Z');
        for (size_t j = i + 1; j < md->len; j++)
            assert_string_not_equal(p->wire_key, md->pairs[j].wire_key);
        sum += strlen(p->key) + strlen(p->value);
    }
    assert_int_equal(sum, md->bytes);
}

static void canon(const char *in, const char *want)
{
    char out[128];
    int n = mc_metadata_canonical_key(in, strlen(in), out, sizeof out);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
}

static void test_canonical_key(void **state)
{
    char small[4];
    (void)state;
    canon("micro-namespace", "Micro-Namespace");
    canon("x-content-type", "X-Content-Type");
    canon("MICRO-TRACE-ID", "Micro-Trace-Id");
    canon("timeout", "Timeout");
    canon("authorization", "Authorization");
    canon("a", "A");
    canon("-x-", "-X-");
    canon("a--b", "A--B");
    canon("foo_bar", "Foo_bar");
    canon("x.y-9z", "X.y-9z");
    canon("www-authenticate", "Www-Authenticate");
    /* Not a token: unchanged, as Go does. */
    canon("bad key", "bad key");
    canon("bad:key", "bad:key");
    canon("", "");
    assert_int_equal(mc_metadata_canonical_key("abcd", 4, small, sizeof small), MC_ETOOBIG);
    assert_int_equal(mc_metadata_canonical_key("abc", 3, small, sizeof small), 3);
}

static void test_set_get_replace_delete(void **state)
{
    struct mc_metadata md;
    (void)state;
    mc_metadata_init(&md, 0, 0);
    assert_int_equal(md.max_pairs, MC_METADATA_MAX_PAIRS);
    assert_int_equal(md.max_bytes, MC_METADATA_MAX_BYTES);
    assert_null(mc_metadata_get(&md, "x"));

    assert_int_equal(mc_metadata_set(&md, "micro-namespace", "foo"), 0);
    assert_int_equal(mc_metadata_set(&md, "Authorization", "Bearer t"), 0);
    assert_int_equal(mc_metadata_set(&md, "timeout", "5000000000"), 0);
    check_invariants(&md);
    assert_int_equal(md.len, 3);
    assert_string_equal(md.pairs[0].key, "Micro-Namespace");
    assert_string_equal(md.pairs[0].wire_key, "micro-namespace");
    assert_string_equal(md.pairs[2].key, MC_MD_TIMEOUT);
    assert_string_equal(mc_metadata_get(&md, "MICRO-NAMESPACE"), "foo");
    assert_string_equal(mc_metadata_get(&md, MC_MD_NAMESPACE), "foo");
    assert_string_equal(mc_metadata_get(&md, "TimeOut"), "5000000000");

    /* Replacing keeps the position. */
    assert_int_equal(mc_metadata_set(&md, "MICRO-namespace", "bar"), 0);
    check_invariants(&md);
    assert_int_equal(md.len, 3);
    assert_string_equal(md.pairs[0].value, "bar");

    /* add joins repeated values. */
    assert_int_equal(mc_metadata_addn(&md, cs("micro-namespace"), cs("baz")), 0);
    check_invariants(&md);
    assert_string_equal(mc_metadata_get(&md, MC_MD_NAMESPACE), "bar, baz");
    assert_int_equal(mc_metadata_addn(&md, cs("X-New"), cs("1")), 0);
    check_invariants(&md);
    assert_int_equal(md.len, 4);

    assert_int_equal(mc_metadata_del(&md, "authorization"), 0);
    check_invariants(&md);
    assert_int_equal(md.len, 3);
    assert_null(mc_metadata_get(&md, MC_MD_AUTHORIZATION));
    assert_string_equal(md.pairs[1].key, "Timeout");
    assert_int_equal(mc_metadata_del(&md, "authorization"), MC_ENOTFOUND);
    assert_int_equal(mc_metadata_set(&md, "Empty", ""), 0);
    assert_string_equal(mc_metadata_get(&md, "empty"), "");
    check_invariants(&md);

    mc_metadata_release(&md);
    assert_int_equal(md.len, 0);
    assert_int_equal(md.bytes, 0);
    assert_null(md.pairs);
}

static void test_rejects_bad_keys_and_values(void **state)
{
    struct mc_metadata md;
    (void)state;
    mc_metadata_init(&md, 0, 0);
    assert_int_equal(mc_metadata_set(&md, "", "v"), MC_EINVAL);
    assert_int_equal(mc_metadata_set(&md, "a b", "v"), MC_EINVAL);
    assert_int_equal(mc_metadata_set(&md, "a:b", "v"), MC_EINVAL);
    assert_int_equal(mc_metadata_set(&md, ":path", "v"), MC_EINVAL);
    assert_int_equal(mc_metadata_set(&md, "k", "a\r\nInjected: 1"), MC_EINVAL);
    assert_int_equal(mc_metadata_set(&md, "k", "a\nb"), MC_EINVAL);
    assert_int_equal(mc_metadata_setn(&md, cs("k"), (struct mc_slice){ "a\0b", 3 }), MC_EINVAL);
    assert_int_equal(mc_metadata_setn(&md, (struct mc_slice){ "k\0", 2 }, cs("v")), MC_EINVAL);
    assert_int_equal(md.len, 0);
    /* Values may hold tabs, UTF-8 and spaces. */
    assert_int_equal(mc_metadata_set(&md, "k", " a\tb caf\xc3\xa9 "), 0);
    check_invariants(&md);
    mc_metadata_release(&md);
}

static void test_limits(void **state)
{
    struct mc_metadata md;
    char key[16];
    (void)state;
    mc_metadata_init(&md, 3, 20);
    assert_int_equal(mc_metadata_set(&md, "a", "1"), 0);
    assert_int_equal(mc_metadata_set(&md, "b", "2"), 0);
    assert_int_equal(mc_metadata_set(&md, "c", "3"), 0);
    assert_int_equal(mc_metadata_set(&md, "d", "4"), MC_ETOOBIG);
    check_invariants(&md);
    assert_int_equal(md.len, 3);
    /* Replacing an existing key is fine at the pair limit. */
    assert_int_equal(mc_metadata_set(&md, "C", "33"), 0);
    assert_int_equal(md.bytes, 7);
    /* Byte limit: 7 used, a 14-byte value would make 20 (ok), 15 would not. */
    assert_int_equal(mc_metadata_set(&md, "a", "123456789012345"), MC_ETOOBIG);
    assert_string_equal(mc_metadata_get(&md, "a"), "1");
    assert_int_equal(mc_metadata_set(&md, "a", "12345678901234"), 0);
    assert_int_equal(md.bytes, 20);
    check_invariants(&md);
    assert_int_equal(mc_metadata_addn(&md, cs("b"), cs("x")), MC_ETOOBIG);
    assert_string_equal(mc_metadata_get(&md, "b"), "2");
    check_invariants(&md);
    mc_metadata_release(&md);

    /* Many keys: the array grows; the default pair limit holds. */
    mc_metadata_init(&md, 0, 0);
    for (int i = 0; i < MC_METADATA_MAX_PAIRS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(mc_metadata_set(&md, key, "v"), 0);
    }
    assert_int_equal(mc_metadata_set(&md, "one-more", "v"), MC_ETOOBIG);
    check_invariants(&md);
    assert_string_equal(md.pairs[MC_METADATA_MAX_PAIRS - 1].key, "K127");
    mc_metadata_release(&md);
}

static void test_copy(void **state)
{
    struct mc_metadata a, b, small;
    (void)state;
    mc_metadata_init(&a, 0, 0);
    mc_metadata_init(&b, 0, 0);
    mc_metadata_init(&small, 1, 0);
    assert_int_equal(mc_metadata_set(&a, "x-one", "1"), 0);
    assert_int_equal(mc_metadata_set(&a, "x-two", "2"), 0);
    assert_int_equal(mc_metadata_set(&b, "old", "gone"), 0);
    assert_int_equal(mc_metadata_copy(&b, &a), 0);
    check_invariants(&b);
    assert_int_equal(b.len, 2);
    assert_null(mc_metadata_get(&b, "old"));
    assert_string_equal(mc_metadata_get(&b, "X-Two"), "2");
    assert_int_equal(mc_metadata_copy(&small, &a), MC_ETOOBIG);
    assert_int_equal(small.len, 0);
    mc_metadata_release(&a);
    mc_metadata_release(&b);
    mc_metadata_release(&small);
}

static void test_wire_reserved_list(void **state)
{
    static const char *reserved[] = {
        ":path", ":authority", ":method", "grpc-timeout", "grpc-encoding", "Grpc-Status",
        "grpc-status-details-bin", "grpc-accept-encoding", "te", "TE", "content-type",
        "Content-Type", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
        "upgrade", "host",
        "content-length", /* HTTP framing: a gateway copying it onto gRPC breaks the stream */
    };
    static const char *kept[] = {
        "user-agent", "micro-namespace", "authorization", "timeout", "x-content-type",
        "grpc", "grpcx", "tee", "trace-bin", "micro-trace-id",
    };
    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(reserved); i++)
        if (!mc_metadata_wire_reserved(cs(reserved[i])))
            fail_msg("%s should be reserved", reserved[i]);
    for (size_t i = 0; i < MC_ARRAY_LEN(kept); i++)
        if (mc_metadata_wire_reserved(cs(kept[i])))
            fail_msg("%s should be kept", kept[i]);
}

static void test_from_grpc(void **state)
{
    struct mc_grpc_metadata g;
    struct mc_metadata md;
    (void)state;
    mc_grpc_metadata_init(&g);
    mc_metadata_init(&md, 0, 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "content-type", "application/grpc+json"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "grpc-timeout", "5S"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "te", "trailers"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "micro-namespace", "foo"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "x-content-type", "application/json"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "timeout", "10000000000"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "x-multi", "a"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "user-agent", "grpc-go/1.38.0"), 0);
    assert_int_equal(mc_grpc_metadata_add_cstr(&g, "x-multi", "b"), 0);
    assert_int_equal(mc_grpc_metadata_add(&g, "bad-bin", 7, "a\0b", 3), 0);
    assert_int_equal(mc_grpc_metadata_add(&g, "ok-bin", 6, "raw", 3), 0);

    assert_int_equal(mc_metadata_from_grpc(&md, &g), 0);
    check_invariants(&md);
    assert_int_equal(md.len, 6);
    assert_string_equal(md.pairs[0].key, "Micro-Namespace");
    assert_string_equal(md.pairs[1].key, "X-Content-Type");
    assert_string_equal(md.pairs[2].key, "Timeout");
    assert_string_equal(md.pairs[3].key, "X-Multi");
    assert_string_equal(md.pairs[3].value, "a, b");
    assert_string_equal(md.pairs[4].key, "User-Agent");
    assert_string_equal(md.pairs[5].key, "Ok-Bin");
    assert_null(mc_metadata_get(&md, "content-type"));
    assert_null(mc_metadata_get(&md, "grpc-timeout"));
    assert_null(mc_metadata_get(&md, "bad-bin"));
    mc_metadata_release(&md);

    /* A full map stops with MC_ETOOBIG. */
    mc_metadata_init(&md, 2, 0);
    assert_int_equal(mc_metadata_from_grpc(&md, &g), MC_ETOOBIG);
    assert_int_equal(md.len, 2);
    mc_metadata_release(&md);
    mc_grpc_metadata_release(&g);
}

static void test_add_wire(void **state)
{
    struct mc_metadata md;
    (void)state;
    mc_metadata_init(&md, 0, 0);
    assert_int_equal(mc_metadata_add_wire(&md, cs(":path"), cs("/x.Y/Z")), 0);
    assert_int_equal(mc_metadata_add_wire(&md, cs("grpc-timeout"), cs("1S")), 0);
    assert_int_equal(md.len, 0);
    assert_int_equal(mc_metadata_add_wire(&md, cs("micro-id"), cs("abc")), 0);
    assert_string_equal(mc_metadata_get(&md, MC_MD_ID), "abc");
    assert_int_equal(mc_metadata_add_wire(&md, cs("bad key"), cs("v")), MC_EINVAL);
    assert_int_equal(md.len, 1);
    mc_metadata_release(&md);
}

static void test_to_grpc(void **state)
{
    struct mc_grpc_metadata g;
    struct mc_metadata md;
    (void)state;
    mc_grpc_metadata_init(&g);
    mc_metadata_init(&md, 0, 0);
    assert_int_equal(mc_metadata_set(&md, MC_MD_NAMESPACE, "foo"), 0);
    assert_int_equal(mc_metadata_set(&md, "Host", "127.0.0.1:8080"), 0);
    assert_int_equal(mc_metadata_set(&md, "Content-Type", "application/json"), 0);
    assert_int_equal(mc_metadata_set(&md, "Connection", "keep-alive"), 0);
    assert_int_equal(mc_metadata_set(&md, "User-Agent", "curl/8.0"), 0);
    assert_int_equal(mc_metadata_set(&md, "Accept-Language", "caf\xc3\xa9"), 0);
    assert_int_equal(mc_metadata_set(&md, "X-Odd!", "v"), 0);
    assert_int_equal(mc_metadata_set(&md, MC_MD_AUTHORIZATION, "Bearer abc.def"), 0);
    assert_int_equal(mc_metadata_set(&md, MC_MD_TRACE_ID, "t1"), 0);

    assert_int_equal(mc_metadata_to_grpc(&md, &g), 2);
    assert_int_equal(g.count, 3);
    assert_string_equal(g.items[0].key, "micro-namespace");
    assert_string_equal(g.items[0].value, "foo");
    assert_string_equal(g.items[1].key, "authorization");
    assert_string_equal(g.items[1].value, "Bearer abc.def");
    assert_string_equal(g.items[2].key, "micro-trace-id");

    /* And back: the same pairs. */
    struct mc_metadata back;
    mc_metadata_init(&back, 0, 0);
    assert_int_equal(mc_metadata_from_grpc(&back, &g), 0);
    assert_int_equal(back.len, 3);
    assert_string_equal(back.pairs[0].key, MC_MD_NAMESPACE);
    assert_string_equal(back.pairs[2].key, MC_MD_TRACE_ID);
    assert_string_equal(back.pairs[2].value, "t1");
    mc_metadata_release(&back);
    mc_metadata_release(&md);
    mc_grpc_metadata_release(&g);
}

static void test_timeout_parse(void **state)
{
    uint64_t ms = 42;
    (void)state;
    assert_int_equal(mc_timeout_parse_ns(cs("5000000000"), &ms), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(mc_timeout_parse_ns(cs("10000000000"), &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(mc_timeout_parse_ns(cs("1"), &ms), 0);
    assert_int_equal(ms, 1);
    assert_int_equal(mc_timeout_parse_ns(cs("1000001"), &ms), 0);
    assert_int_equal(ms, 2);
    assert_int_equal(mc_timeout_parse_ns(cs("0"), &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(mc_timeout_parse_ns(cs("000100000000"), &ms), 0);
    assert_int_equal(ms, 100);
    assert_int_equal(mc_timeout_parse_ns(cs("9223372036854775807"), &ms), 0);
    assert_int_equal(ms, 9223372036855u);

    ms = 42;
    static const char *invalid[] = { "", "-1", "+1", " 1", "1 ", "1.5", "1e9", "5s", "0x10", "abc" };
    for (size_t i = 0; i < MC_ARRAY_LEN(invalid); i++)
        assert_int_equal(mc_timeout_parse_ns(cs(invalid[i]), &ms), MC_EINVAL);
    assert_int_equal(mc_timeout_parse_ns((struct mc_slice){ "12\0", 3 }, &ms), MC_EINVAL);
    assert_int_equal(mc_timeout_parse_ns(cs("9223372036854775808"), &ms), MC_ETOOBIG);
    assert_int_equal(mc_timeout_parse_ns(cs("18446744073709551616"), &ms), MC_ETOOBIG);
    assert_int_equal(mc_timeout_parse_ns(cs("99999999999999999999999"), &ms), MC_ETOOBIG);
    assert_int_equal(ms, 42);
    /* The slice length is honoured. */
    assert_int_equal(mc_timeout_parse_ns((struct mc_slice){ "2000000xyz", 7 }, &ms), 0);
    assert_int_equal(ms, 2);
}

static void test_timeout_format(void **state)
{
    char out[32];
    uint64_t ms;
    (void)state;
    assert_int_equal(mc_timeout_format_ns(10000, out, sizeof out), 0);
    assert_string_equal(out, "10000000000");
    assert_int_equal(mc_timeout_format_ns(0, out, sizeof out), 0);
    assert_string_equal(out, "0");
    assert_int_equal(mc_timeout_format_ns(9223372036854u, out, sizeof out), 0);
    assert_string_equal(out, "9223372036854000000");
    assert_int_equal(mc_timeout_parse_ns(cs(out), &ms), 0);
    assert_int_equal(ms, 9223372036854u);
    assert_int_equal(mc_timeout_format_ns(9223372036855u, out, sizeof out), MC_ETOOBIG);
    assert_int_equal(mc_timeout_format_ns(UINT64_MAX, out, sizeof out), MC_ETOOBIG);
    assert_int_equal(mc_timeout_format_ns(10000, out, 11), MC_ETOOBIG);
    assert_int_equal(mc_timeout_format_ns(10000, out, 12), 0);
}

static void test_namespace(void **state)
{
    struct mc_metadata md;
    (void)state;
    mc_metadata_init(&md, 0, 0);
    assert_string_equal(mc_metadata_namespace(&md), "micro");
    assert_int_equal(mc_metadata_set(&md, "micro-namespace", ""), 0);
    assert_string_equal(mc_metadata_namespace(&md), MC_DEFAULT_NAMESPACE);
    assert_int_equal(mc_metadata_set(&md, "MICRO-NAMESPACE", "foo"), 0);
    assert_string_equal(mc_metadata_namespace(&md), "foo");
    mc_metadata_release(&md);
}

static int token(const char *header, bool basic, const char *want)
{
    struct mc_buf b;
    int rc;
    mc_buf_init(&b, 4096);
    rc = mc_metadata_auth_token(header, basic, &b);
    if (rc == 0)
        assert_string_equal(mc_buf_cstr(&b), want);
    else
        assert_int_equal(b.len, 0);
    mc_buf_release(&b);
    return rc;
}

static void test_auth_token(void **state)
{
    (void)state;
    assert_int_equal(token("Bearer eyJhbGciOi.x.y", false, "eyJhbGciOi.x.y"), 0);
    assert_int_equal(token("bearer abc", false, "abc"), 0);
    assert_int_equal(token("BEARER abc", true, "abc"), 0);
    /* base64("admin:tok.en") = YWRtaW46dG9rLmVu */
    assert_int_equal(token("Basic YWRtaW46dG9rLmVu", true, "tok.en"), 0);
    /* base64("u:a:b") = dTphOmI= : the part after the first ':' */
    assert_int_equal(token("Basic dTphOmI=", true, "a:b"), 0);

    assert_int_equal(token("Basic YWRtaW46dG9rLmVu", false, NULL), MC_EINVAL);
    assert_int_equal(token(NULL, true, NULL), MC_EINVAL);
    assert_int_equal(token("", true, NULL), MC_EINVAL);
    assert_int_equal(token("Bearer", true, NULL), MC_EINVAL);
    assert_int_equal(token("Bearer ", true, NULL), MC_EINVAL);
    assert_int_equal(token("Bearerabc", true, NULL), MC_EINVAL);
    assert_int_equal(token("Token abc", true, NULL), MC_EINVAL);
    assert_int_equal(token("abc", true, NULL), MC_EINVAL);
    /* base64("admin") has no ':' */
    assert_int_equal(token("Basic YWRtaW4=", true, NULL), MC_EINVAL);
    /* base64("admin:") has an empty token */
    assert_int_equal(token("Basic YWRtaW46", true, NULL), MC_EINVAL);
    assert_int_equal(token("Basic !!!", true, NULL), MC_EINVAL);
    assert_int_equal(token("Basic YWRtaW46dG9rLmVu=", true, NULL), MC_EINVAL);
    assert_int_equal(token("Basic ", true, NULL), MC_EINVAL);
    /* base64("a:b\0c") holds a NUL */
    assert_int_equal(token("Basic YTpiAGM=", true, NULL), MC_EINVAL);
    assert_string_equal(MC_AUTH_BAD_HEADER_MSG,
                        "invalid authorization header. expected Bearer schema");

    /* The token buffer's limit. */
    struct mc_buf b;
    mc_buf_init(&b, 3);
    assert_int_equal(mc_metadata_auth_token("Bearer abcd", false, &b), MC_ETOOBIG);
    mc_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_key),
        cmocka_unit_test(test_set_get_replace_delete),
        cmocka_unit_test(test_rejects_bad_keys_and_values),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_wire_reserved_list),
        cmocka_unit_test(test_from_grpc),
        cmocka_unit_test(test_add_wire),
        cmocka_unit_test(test_to_grpc),
        cmocka_unit_test(test_timeout_parse),
        cmocka_unit_test(test_timeout_format),
        cmocka_unit_test(test_namespace),
        cmocka_unit_test(test_auth_token),
    };
    return cmocka_run_group_tests_name("mc_metadata", tests, NULL, NULL);
}
