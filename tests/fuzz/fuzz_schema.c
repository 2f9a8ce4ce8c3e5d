/*
 * libFuzzer target for schema rendering of untrusted registrations: the input
 * is a registry Endpoint as it arrives from the wire (a peer or a user
 * service). Its request/response Value trees are rendered to JSON, which must
 * print and parse back with the same number of top-level values, and its
 * stream metadata is read. Catches NULL holes, deep trees and bad strings.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mc_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Renders v; aborts if the JSON does not round-trip. */
static void check_render(const Registry__Value *v)
{
    cJSON *j = mc_schema_value_to_json(v), *back;
    char *s;

    if (!v) {
        if (j)
            abort();
        return;
    }
    if (!j)
        abort(); /* only allocation failure may give NULL */
    s = cJSON_PrintUnformatted(j);
    if (!s)
        abort();
    back = cJSON_Parse(s);
    if (!back || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(back, "values")) !=
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "values")))
        abort();
    cJSON_Delete(back);
    cJSON_free(s);
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Registry__Endpoint *ep = registry__endpoint__unpack(NULL, size, data);
    enum mc_schema_stream kind;

    if (!ep)
        return 0;
    check_render(ep->request);
    check_render(ep->response);
    kind = mc_schema_endpoint_stream_kind(ep);
    if (kind != MC_SCHEMA_UNARY && !mc_schema_stream_name(kind))
        abort();
    registry__endpoint__free_unpacked(ep, NULL);
    return 0;
}
