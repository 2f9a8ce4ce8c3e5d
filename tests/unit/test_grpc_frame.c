/* Unit tests for mc_grpc_frame: prefix encoding, chunked decoding, limits and flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mc_grpc_frame.h"

/* Feeds data in chunks of `step` bytes and appends every decoded message to out,
 * separated by '|'. Returns the count of messages or the decoder's error. */
static int feed_all(struct mc_grpc_frame_decoder *d, const char *data, size_t len, size_t step,
                    struct mc_buf *out)
{
    size_t off = 0;
    int count = 0;

    while (off < len) {
        size_t n = MC_MIN(step, len - off);
        size_t pos = 0;
        while (pos < n) {
            struct mc_slice msg;
            size_t used;
            int rc = mc_grpc_frame_feed(d, data + off + pos, n - pos, &used, &msg, NULL);
            if (rc < 0)
                return rc;
            assert_true(used <= n - pos);
            pos += used;
            if (rc == 1) {
                assert_int_equal(mc_buf_append(out, msg.ptr, msg.len), MC_OK);
                assert_int_equal(mc_buf_append_byte(out, '|'), MC_OK);
                count++;
            } else {
                assert_int_equal(pos, n);
            }
        }
        off += n;
    }
    return count;
}

static void test_header_is_big_endian(void **state)
{
    uint8_t h[5];
    (void)state;
    mc_grpc_frame_header(h, false, 0x01020304u);
    assert_int_equal(h[0], 0);
    assert_int_equal(h[1], 1);
    assert_int_equal(h[2], 2);
    assert_int_equal(h[3], 3);
    assert_int_equal(h[4], 4);
    mc_grpc_frame_header(h, true, 5);
    assert_int_equal(h[0], 1);
    assert_int_equal(h[4], 5);
}

static void test_encode_respects_buffer_cap(void **state)
{
    struct mc_buf b;
    (void)state;
    mc_buf_init(&b, 10);
    assert_int_equal(mc_grpc_frame_encode(&b, "abcde", 5), MC_OK);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "\0\0\0\0\5abcde", 10);
    assert_int_equal(mc_grpc_frame_encode(&b, "", 0), MC_ETOOBIG);
    assert_int_equal(b.len, 10);
    mc_buf_release(&b);
}

static void test_decode_any_chunking(void **state)
{
    struct mc_buf wire, out;
    const char *msgs[] = { "hello", "", "a somewhat longer message body", "x" };
    (void)state;
    mc_buf_init(&wire, 1 << 20);
    for (size_t i = 0; i < MC_ARRAY_LEN(msgs); i++)
        assert_int_equal(mc_grpc_frame_encode(&wire, msgs[i], strlen(msgs[i])), MC_OK);
    for (size_t step = 1; step <= wire.len; step++) {
        struct mc_grpc_frame_decoder d;
        mc_grpc_frame_decoder_init(&d, 0, false);
        mc_buf_init(&out, 1 << 20);
        assert_int_equal(feed_all(&d, wire.data, wire.len, step, &out), 4);
        assert_string_equal(mc_buf_cstr(&out), "hello||a somewhat longer message body|x|");
        assert_true(mc_grpc_frame_decoder_idle(&d));
        mc_buf_release(&out);
        mc_grpc_frame_decoder_release(&d);
    }
    mc_buf_release(&wire);
}

static void test_partial_message_is_not_idle(void **state)
{
    struct mc_grpc_frame_decoder d;
    struct mc_buf out;
    (void)state;
    mc_grpc_frame_decoder_init(&d, 0, false);
    mc_buf_init(&out, 100);
    assert_int_equal(feed_all(&d, "\0\0\0\0\3ab", 7, 7, &out), 0);
    assert_false(mc_grpc_frame_decoder_idle(&d));
    assert_int_equal(feed_all(&d, "c", 1, 1, &out), 1);
    assert_true(mc_grpc_frame_decoder_idle(&d));
    assert_string_equal(mc_buf_cstr(&out), "abc|");
    mc_buf_release(&out);
    mc_grpc_frame_decoder_release(&d);
}

static void test_oversized_rejected_before_payload(void **state)
{
    struct mc_grpc_frame_decoder d;
    struct mc_slice msg;
    size_t used;
    uint8_t h[5];
    (void)state;
    mc_grpc_frame_decoder_init(&d, 16, false);
    mc_grpc_frame_header(h, false, 17);
    assert_int_equal(mc_grpc_frame_feed(&d, h, 5, &used, &msg, NULL), MC_ETOOBIG);
    assert_int_equal(used, 5);
    assert_int_equal(d.bad_len, 17);
    assert_int_equal(d.body.cap, 0); /* nothing was allocated for the payload */
    /* sticky */
    assert_int_equal(mc_grpc_frame_feed(&d, "\0\0\0\0\0", 5, &used, &msg, NULL), MC_ETOOBIG);
    assert_int_equal(used, 0);
    mc_grpc_frame_decoder_release(&d);

    /* exactly the limit is fine */
    mc_grpc_frame_decoder_init(&d, 3, false);
    assert_int_equal(mc_grpc_frame_feed(&d, "\0\0\0\0\3abc", 8, &used, &msg, NULL), 1);
    assert_int_equal(msg.len, 3);
    mc_grpc_frame_decoder_release(&d);
}

static void test_compressed_flag(void **state)
{
    struct mc_grpc_frame_decoder d;
    struct mc_slice msg;
    size_t used;
    bool comp = false;
    (void)state;
    mc_grpc_frame_decoder_init(&d, 0, false);
    assert_int_equal(mc_grpc_frame_feed(&d, "\1\0\0\0\1z", 6, &used, &msg, &comp), MC_EPROTO);
    mc_grpc_frame_decoder_release(&d);

    mc_grpc_frame_decoder_init(&d, 0, true);
    assert_int_equal(mc_grpc_frame_feed(&d, "\1\0\0\0\1z", 6, &used, &msg, &comp), 1);
    assert_true(comp);
    assert_int_equal(used, 6);
    /* flag values other than 0/1 are always malformed */
    assert_int_equal(mc_grpc_frame_feed(&d, "\2\0\0\0\1z", 6, &used, &msg, &comp), MC_EPROTO);
    mc_grpc_frame_decoder_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_is_big_endian),
        cmocka_unit_test(test_encode_respects_buffer_cap),
        cmocka_unit_test(test_decode_any_chunking),
        cmocka_unit_test(test_partial_message_is_not_idle),
        cmocka_unit_test(test_oversized_rejected_before_payload),
        cmocka_unit_test(test_compressed_flag),
    };
    return cmocka_run_group_tests_name("grpc_frame", tests, NULL, NULL);
}
