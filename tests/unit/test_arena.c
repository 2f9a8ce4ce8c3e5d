/* Unit tests for mc_arena: alignment, big blocks, strings, protobuf-c allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "debug.pb-c.h"
#include "mc_arena.h"

static void test_allocations_are_zeroed_and_aligned(void **state)
{
    struct mc_arena a;
    (void)state;
    mc_arena_init(&a);
    for (size_t i = 1; i < 200; i++) {
        unsigned char *p = mc_arena_alloc(&a, i);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t j = 0; j < i; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xAB, i);
    }
    mc_arena_release(&a);
    assert_null(a.chunks);
}

static void test_big_block_keeps_current_chunk_usable(void **state)
{
    struct mc_arena a;
    char *small1, *big, *small2;
    (void)state;
    mc_arena_init(&a);
    small1 = mc_arena_strdup(&a, "first");
    big = mc_arena_alloc(&a, 1 << 20);
    memset(big, 1, 1 << 20);
    small2 = mc_arena_strdup(&a, "second");
    assert_string_equal(small1, "first");
    assert_string_equal(small2, "second");
    /* small2 came from the same chunk as small1, after it */
    assert_true(small2 > small1 && small2 - small1 < 4096);
    assert_true(a.total >= (1 << 20));
    mc_arena_release(&a);
}

static void test_printf_and_strndup(void **state)
{
    struct mc_arena a;
    (void)state;
    mc_arena_init(&a);
    assert_string_equal(mc_arena_printf(&a, "%s-%d", "node", 42), "node-42");
    assert_string_equal(mc_arena_strndup(&a, "abcdef", 3), "abc");
    mc_arena_release(&a);
}

static void test_protobuf_unpack_into_arena(void **state)
{
    struct mc_arena a;
    Debug__LogResponse rsp = DEBUG__LOG_RESPONSE__INIT;
    Debug__Record rec = DEBUG__RECORD__INIT, *recs[1] = { &rec };
    uint8_t wire[256];
    size_t n;
    Debug__LogResponse *out;
    (void)state;
    rec.message = "hello";
    rec.timestamp = 7;
    rsp.n_records = 1;
    rsp.records = recs;
    n = debug__log_response__pack(&rsp, wire);
    mc_arena_init(&a);
    out = debug__log_response__unpack(mc_arena_pb(&a), n, wire);
    assert_non_null(out);
    assert_int_equal(out->n_records, 1);
    assert_string_equal(out->records[0]->message, "hello");
    assert_int_equal(out->records[0]->timestamp, 7);
    /* no free_unpacked: everything goes with the arena (ASan checks for leaks) */
    mc_arena_release(&a);
}

static void test_message_in_arena_is_initialised(void **state)
{
    struct mc_arena a;
    Debug__HealthResponse *h;
    (void)state;
    mc_arena_init(&a);
    h = (Debug__HealthResponse *)mc_arena_message(&a, &debug__health_response__descriptor);
    assert_ptr_equal(h->base.descriptor, &debug__health_response__descriptor);
    assert_string_equal(h->status, "");
    mc_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocations_are_zeroed_and_aligned),
        cmocka_unit_test(test_big_block_keeps_current_chunk_usable),
        cmocka_unit_test(test_printf_and_strndup),
        cmocka_unit_test(test_protobuf_unpack_into_arena),
        cmocka_unit_test(test_message_in_arena_is_initialised),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
