/*
 * libFuzzer target for the CLI's flag mapper (issue 9): the input is the words
 * of a dynamic command, NUL-separated (`helloworld call --name=x --a.b=1`), as
 * a user or a script types them. They are split as upstream splits them, the
 * endpoint is named, and the flags are mapped to a request under a schema with
 * nested, repeated, numeric and bool fields, and under no schema. A request
 * that is made must be a JSON object; errors must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dynamic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORDS_MAX 64

static const char schema_text[] =
    "{\"name\":\"Request\",\"type\":\"Request\",\"values\":["
    "{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"count\",\"type\":\"int32\"},"
    "{\"name\":\"ratio\",\"type\":\"float64\"},"
    "{\"name\":\"ok\",\"type\":\"bool\"},"
    "{\"name\":\"tags\",\"type\":\"[]string\"},"
    "{\"name\":\"ids\",\"type\":\"[]int64\"},"
    "{\"name\":\"labels\",\"type\":\"map[string]string\"},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":["
    "{\"name\":\"ttl\",\"type\":\"int64\"},"
    "{\"name\":\"inner\",\"type\":\"Inner\",\"values\":[{\"name\":\"deep\",\"type\":\"string\"}]}]}]}";

static void map_under(const struct mc_dyn_args *a, const cJSON *schema)
{
    char err[512] = "", *json = NULL;
    cJSON *doc;

    if (mc_dyn_request(a, schema, &json, err, sizeof(err)) == 0) {
        if (!json || !(doc = cJSON_Parse(json)) || !cJSON_IsObject(doc))
            abort();
        cJSON_Delete(doc);
        free(json);
    } else if (json || !err[0]) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *words[WORDS_MAX];
    char err[512], endpoint[MC_DYN_NAME_MAX * 2];
    struct mc_dyn_args a;
    static cJSON *schema;
    int n = 0;

    if (!schema && !(schema = cJSON_Parse(schema_text)))
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *p = buf; p <= buf + size && n < WORDS_MAX; p += strlen(p) + 1)
        words[n++] = p;
    memset(&a, 0, sizeof(a));
    err[0] = '\0';
    if (mc_dyn_split(n, words, &a, err, sizeof(err)) == 0) {
        if (a.argc > 0 &&
            mc_dyn_endpoint(a.argc, a.argv, endpoint, sizeof(endpoint), err, sizeof(err)) == 0 &&
            !strchr(endpoint, '.'))
            abort();
        map_under(&a, schema);
        map_under(&a, NULL);
    } else if (!err[0]) {
        abort();
    }
    mc_dyn_args_release(&a);
    free(buf);
    return 0;
}
