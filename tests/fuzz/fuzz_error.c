/*
 * libFuzzer target for the micro error decoders: arbitrary bytes go to the
 * error-JSON parser, to the grpc-status-details (google.rpc.Status) decoder
 * and through the client's whole status algorithm. Besides memory safety it
 * checks two properties: JSON we write re-parses to an error that writes the
 * same JSON, and a status we build decodes back to the error it came from.
 * Seeds: tests/fuzz/corpus/error/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes e and parses it back into out; aborts if our own JSON does not parse. */
static void json_pass(const struct mc_error *e, struct mc_error *out, struct mc_buf *json)
{
    mc_buf_reset(json);
    if (mc_error_to_json(e, json) != 0)
        abort();
    if (mc_error_from_json(out, json->data, json->len) != 0)
        abort();
}

/* JSON we write parses; after one pass (which turns invalid UTF-8 into U+FFFD)
 * writing and parsing again changes nothing. */
static void check_json_stable(const struct mc_error *e)
{
    struct mc_buf a, b;
    struct mc_error one, two;

    /* Escaping grows text at most 6x (\u00XX): stay clear of the parse limit. */
    if (strlen(e->id ? e->id : "") + strlen(e->detail ? e->detail : "") +
            strlen(e->status ? e->status : "") > MC_ERROR_WIRE_MAX / 8)
        return;
    mc_buf_init(&a, MC_ERROR_WIRE_MAX);
    mc_buf_init(&b, MC_ERROR_WIRE_MAX);
    mc_error_init(&one);
    mc_error_init(&two);
    json_pass(e, &one, &a);
    json_pass(&one, &two, &b);
    if (!mc_error_equal(&one, &two))
        abort();
    json_pass(&two, &one, &a);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    mc_error_release(&one);
    mc_error_release(&two);
    mc_buf_release(&a);
    mc_buf_release(&b);
}

/* A status built from e decodes back to an error equal to e once e's strings
 * are valid UTF-8 (the builder drops invalid bytes, so compare after one pass). */
static void check_status_round_trip(const struct mc_error *e)
{
    struct mc_buf msg, det;
    struct mc_error one, two;
    int code;

    mc_buf_init(&msg, 8 * MC_ERROR_WIRE_MAX);
    mc_buf_init(&det, 8 * MC_ERROR_WIRE_MAX);
    mc_error_init(&one);
    mc_error_init(&two);
    if (mc_error_to_grpc_status(e, &code, &msg, &det) != 0)
        abort();
    if (det.len <= MC_ERROR_WIRE_MAX) {
        if (mc_error_from_status_details(&one, (const uint8_t *)det.data, det.len) != 0)
            abort();
        mc_buf_reset(&msg);
        mc_buf_reset(&det);
        if (mc_error_to_grpc_status(&one, &code, &msg, &det) != 0)
            abort();
        if (mc_error_from_status_details(&two, (const uint8_t *)det.data, det.len) != 0 ||
            !mc_error_equal(&one, &two))
            abort();
    }
    mc_error_release(&one);
    mc_error_release(&two);
    mc_buf_release(&msg);
    mc_buf_release(&det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_error e;
    struct mc_slice text = { (const char *)data, size };

    mc_error_init(&e);
    if (mc_error_from_json(&e, text.ptr, text.len) == 0) {
        check_json_stable(&e);
        check_status_round_trip(&e);
    }
    if (mc_error_from_status_details(&e, data, size) == 0) {
        check_json_stable(&e);
        check_status_round_trip(&e);
    }
    if (mc_error_from_grpc_status(&e, size ? 1 + data[0] % 16 : 2, text, data, size) != 0)
        abort();
    if (e.code == 0 && e.id == NULL)
        abort();
    mc_error_release(&e);
    return 0;
}
