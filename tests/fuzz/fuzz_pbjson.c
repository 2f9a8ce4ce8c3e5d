/*
 * libFuzzer target for mc_pbjson: arbitrary bytes are decoded as JSON into a
 * few message types with maps, bytes, 64-bit integers and recursion; what
 * decodes is re-encoded in both styles, decoded again and must re-encode to
 * the same text (the encoder's output is a fixed point). The same bytes are
 * also fed to the indenter and, as protobuf wire data, to proto_to_json.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_pbjson.h"

#include "auth.pb-c.h"
#include "registry.pb-c.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"

static const ProtobufCMessageDescriptor *const descs[] = {
    &registry__service__descriptor,
    &store__write_request__descriptor,
    &auth__create_request__descriptor,
    &runtime__create_request__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes n bytes of json and encodes the result into out (reset first). */
static int transcode(const ProtobufCMessageDescriptor *d, const char *json, size_t n,
                     unsigned flags, struct mc_buf *out)
{
    ProtobufCMessage *m = NULL;
    int rc = mc_pbjson_decode(d, json, n, NULL, &m, NULL);

    mc_buf_reset(out);
    if (rc == MC_OK) {
        rc = mc_pbjson_encode(m, flags, out, NULL);
        if (rc != MC_OK)
            abort();   /* a decoded message always encodes within 32 MiB */
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return rc;
}

static bool same(const struct mc_buf *a, const struct mc_buf *b)
{
    return a->len == b->len && memcmp(mc_buf_cstr(a), mc_buf_cstr(b), a->len) == 0;
}

/* Our output must decode, and from the second pass on the text is a fixed
 * point (the first may differ: an invalid UTF-8 byte becomes the escape
 * \ufffd, which decodes to a real U+FFFD printed as such, as in Go). */
static void check_fixed_point(const ProtobufCMessageDescriptor *d, const char *json, size_t n)
{
    struct mc_buf a, b, c;

    mc_buf_init(&a, MC_PBJSON_MAX_INPUT);
    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    mc_buf_init(&c, MC_PBJSON_MAX_INPUT);
    if (transcode(d, json, n, MC_PBJSON_INDENT, &a) != MC_OK)
        goto out;
    if (transcode(d, a.data, a.len, MC_PBJSON_COMPACT, &b) != MC_OK ||
        transcode(d, b.data, b.len, MC_PBJSON_COMPACT, &c) != MC_OK || !same(&b, &c)) {
        fprintf(stderr, "not a fixed point:\n%s\n%s\n", mc_buf_cstr(&b), mc_buf_cstr(&c));
        abort();
    }
    /* JSON -> wire -> JSON gives the same text */
    mc_buf_reset(&a);
    mc_buf_reset(&c);
    if (mc_pbjson_json_to_proto(d, b.data, b.len, &a, NULL) != MC_OK ||
        mc_pbjson_proto_to_json(d, (const uint8_t *)mc_buf_cstr(&a), a.len, 0, &c, NULL) != MC_OK ||
        !same(&b, &c))
        abort();
out:
    mc_buf_release(&a);
    mc_buf_release(&b);
    mc_buf_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    struct mc_buf b;

    for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
        check_fixed_point(descs[i], json, size);

    mc_buf_init(&b, 1u << 20);
    mc_pbjson_indent(json, size, &b, NULL);
    mc_buf_reset(&b);
    mc_pbjson_proto_to_json(descs[size % 4], data, size, MC_PBJSON_INDENT, &b, NULL);
    mc_buf_release(&b);
    return 0;
}
