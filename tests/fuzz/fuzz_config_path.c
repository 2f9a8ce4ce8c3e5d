/*
 * libFuzzer target for the config service's document paths (issue 9): the
 * input is "<path>\n<json>" as a Config.Set request carries them. The value is
 * set at the path of a document that already holds other keys, read back, and
 * deleted. A set that succeeds must read back as the same JSON (an object is
 * merged into what is there, so it must be contained in it); a refused one
 * must leave the document unchanged; a delete must make the path read "null".
 * Catches bad splitting of dots, empty segments, deep paths and odd bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/config_doc.h"
#include "mc_buf.h"
#include "mc_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *printed(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        abort();
    return s;
}

/* want is got, or (objects are merged) every member of want is in got. */
static int contained(const cJSON *want, const cJSON *got)
{
    const cJSON *w;

    if (cJSON_IsNumber(want))   /* cJSON_Compare says inf != inf (1e999) */
        return cJSON_IsNumber(got) && (want->valuedouble == got->valuedouble ||
                                       (isnan(want->valuedouble) && isnan(got->valuedouble)));
    if (cJSON_IsArray(want)) {
        const cJSON *g = got ? got->child : NULL;
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got))
            return 0;
        cJSON_ArrayForEach(w, want)
        {
            if (!contained(w, g))   /* (arrays are replaced, not merged: exact) */
                return 0;
            g = g->next;
        }
        return 1;
    }
    if (!cJSON_IsObject(want))
        return cJSON_Compare(want, got, 1);
    if (!cJSON_IsObject(got))
        return 0;
    cJSON_ArrayForEach(w, want)
    {
        if (!contained(w, cJSON_GetObjectItemCaseSensitive(got, w->string)))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - data) : size;
    char *path = malloc(plen + 1);
    const char *value = nl ? (const char *)nl + 1 : "1";
    size_t vlen = nl ? size - plen - 1 : 1;
    static const char base[] = "{\"a\":{\"b\":1},\"c\":[1,2]}";
    cJSON *root = NULL;
    struct mc_error err;
    struct mc_buf out;
    char *before, *after;

    memcpy(path, data, plen);
    path[plen] = '\0';
    if (strlen(path) != plen) {   /* a NUL inside: not a path a request can carry */
        free(path);
        return 0;
    }
    if (mc_config_doc_load(base, sizeof(base) - 1, &root) != 0)
        abort();
    mc_error_init(&err);
    mc_buf_init(&out, 1u << 20);
    before = printed(root);
    if (mc_config_doc_set(root, path, value, vlen, false, NULL, &err) == 0) {
        cJSON *want = cJSON_ParseWithLength(value, vlen), *got;
        if (!want || mc_config_doc_get(root, path, false, NULL, &out, &err) != 0)
            abort();
        got = cJSON_ParseWithLength(out.data, out.len);
        if (!got || !contained(want, got))
            abort();
        cJSON_Delete(want);
        cJSON_Delete(got);
        if (mc_config_doc_delete(root, path, &err) != 0)
            abort();
        mc_buf_reset(&out);
        if (*path && (mc_config_doc_get(root, path, false, NULL, &out, &err) != 0 ||
                      out.len != 4 || memcmp(out.data, "null", 4) != 0))
            abort();
    } else {
        after = printed(root);
        if (strcmp(before, after) != 0)
            abort();   /* a refused set changed the document */
        cJSON_free(after);
    }
    mc_error_release(&err);
    mc_buf_release(&out);
    cJSON_free(before);
    cJSON_Delete(root);
    free(path);
    return 0;
}
