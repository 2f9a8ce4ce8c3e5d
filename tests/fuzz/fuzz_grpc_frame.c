/*
 * libFuzzer target for the gRPC frame decoder. The first input byte picks a
 * chunk size and whether compression is allowed; the rest is decoded twice,
 * once in one piece and once in chunks, and both runs must yield the same
 * messages and the same final result (a differential check on the incremental
 * path). The limit is small so oversized prefixes are exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_grpc_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MSG 4096

/* Decodes data in chunks of step bytes; appends "len:payload" per message to out. */
static int run(const uint8_t *data, size_t size, size_t step, bool comp, struct mc_buf *out)
{
    struct mc_grpc_frame_decoder d;
    size_t off = 0;
    int rc = 0;

    mc_grpc_frame_decoder_init(&d, FUZZ_MAX_MSG, comp);
    while (off < size && rc >= 0) {
        size_t n = step < size - off ? step : size - off;
        size_t pos = 0;
        while (pos < n) {
            struct mc_slice msg;
            size_t used;
            rc = mc_grpc_frame_feed(&d, data + off + pos, n - pos, &used, &msg, NULL);
            if (used > n - pos)
                abort();
            pos += used;
            if (rc < 0)
                break;
            if (rc == 1) {
                if (msg.len > FUZZ_MAX_MSG)
                    abort();
                mc_buf_appendf(out, "%zu:", msg.len);
                mc_buf_append(out, msg.ptr, msg.len);
            } else if (pos != n) {
                abort();
            }
        }
        off += n;
    }
    if (rc >= 0)
        rc = mc_grpc_frame_decoder_idle(&d) ? 0 : 1;
    mc_grpc_frame_decoder_release(&d);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_buf a, b;
    size_t step;
    bool comp;
    int ra, rb;

    if (size < 1)
        return 0;
    step = (size_t)(data[0] & 0x7f) + 1;
    comp = (data[0] & 0x80) != 0;
    data++;
    size--;
    mc_buf_init(&a, 1 << 24);
    mc_buf_init(&b, 1 << 24);
    ra = run(data, size, size ? size : 1, comp, &a);
    rb = run(data, size, step, comp, &b);
    if (ra != rb || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
        abort();
    mc_buf_release(&a);
    mc_buf_release(&b);
    return 0;
}
