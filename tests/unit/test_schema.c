/*
 * Unit tests for mc_schema: Value trees of real core messages compared with
 * the schemas upstream publishes (transcript appendix), Go type names for every
 * scalar, maps and repeated fields, the depth and size limits on recursive
 * messages (hand-made descriptors), endpoints and their stream metadata, and
 * that the trees can be freed as part of a larger unpacked message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.pb-c.h"
#include "broker.pb-c.h"
#include "config.pb-c.h"
#include "events.pb-c.h"
#include "mc_common.h"
#include "mc_schema.h"
#include "registry.pb-c.h"
#include "router.pb-c.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"

/* registry Registry.GetService request, from the transcript appendix */
static const char REGISTRY_GET_REQUEST[] =
    "{\"name\":\"GetRequest\",\"type\":\"GetRequest\",\"values\":[{\"name\":\"service\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"options\",\"type\":\"Options\","
    "\"values\":[{\"name\":\"ttl\",\"type\":\"int64\",\"values\":[]},{\"name\":\"domain\","
    "\"type\":\"string\",\"values\":[]}]}]}"
    ;

/* registry Registry.Register request, from the transcript appendix */
static const char REGISTRY_SERVICE[] =
    "{\"name\":\"Service\",\"type\":\"Service\",\"values\":[{\"name\":\"name\",\"type\":\"string\","
    "\"values\":[]},{\"name\":\"version\",\"type\":\"string\",\"values\":[]},{\"name\":\"metadata\","
    "\"type\":\"map[string]string\",\"values\":[]},{\"name\":\"endpoints\",\"type\":\"[]Endpoint\","
    "\"values\":[]},{\"name\":\"nodes\",\"type\":\"[]Node\",\"values\":[]},{\"name\":\"options\","
    "\"type\":\"Options\",\"values\":[{\"name\":\"ttl\",\"type\":\"int64\",\"values\":[]},"
    "{\"name\":\"domain\",\"type\":\"string\",\"values\":[]}]}]}"
    ;

/* config Config.Get request, from the transcript appendix */
static const char CONFIG_GET_REQUEST[] =
    "{\"name\":\"GetRequest\",\"type\":\"GetRequest\",\"values\":[{\"name\":\"namespace\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"path\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"options\",\"type\":\"Options\",\"values\":[{\"name\":\"secret\",\"type\":\"bool\","
    "\"values\":[]}]}]}"
    ;

/* config Config.Read response, from the transcript appendix */
static const char CONFIG_READ_RESPONSE[] =
    "{\"name\":\"ReadResponse\",\"type\":\"ReadResponse\",\"values\":[{\"name\":\"change\","
    "\"type\":\"Change\",\"values\":[{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"path\",\"type\":\"string\",\"values\":[]},{\"name\":\"changeSet\","
    "\"type\":\"ChangeSet\",\"values\":[{\"name\":\"data\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"checksum\",\"type\":\"string\",\"values\":[]},{\"name\":\"format\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"source\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"timestamp\",\"type\":\"int64\",\"values\":[]}]}]}]}"
    ;

/* auth Rules.Create request, from the transcript appendix */
static const char AUTH_CREATE_REQUEST[] =
    "{\"name\":\"CreateRequest\",\"type\":\"CreateRequest\",\"values\":[{\"name\":\"rule\","
    "\"type\":\"Rule\",\"values\":[{\"name\":\"id\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"scope\",\"type\":\"string\",\"values\":[]},{\"name\":\"resource\","
    "\"type\":\"Resource\",\"values\":[{\"name\":\"name\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"type\",\"type\":\"string\",\"values\":[]},{\"name\":\"endpoint\",\"type\":\"string\","
    "\"values\":[]}]},{\"name\":\"access\",\"type\":\"Access\",\"values\":[]},{\"name\":\"priority\","
    "\"type\":\"int32\",\"values\":[]}]},{\"name\":\"options\",\"type\":\"Options\","
    "\"values\":[{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]}]}]}"
    ;

/* store Store.Write request, from the transcript appendix */
static const char STORE_WRITE_REQUEST[] =
    "{\"name\":\"WriteRequest\",\"type\":\"WriteRequest\",\"values\":[{\"name\":\"record\","
    "\"type\":\"Record\",\"values\":[{\"name\":\"key\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"value\",\"type\":\"[]uint8\",\"values\":[]},{\"name\":\"expiry\",\"type\":\"int64\","
    "\"values\":[]},{\"name\":\"metadata\",\"type\":\"map[string]Field\",\"values\":[]}]},"
    "{\"name\":\"options\",\"type\":\"WriteOptions\",\"values\":[{\"name\":\"database\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"table\",\"type\":\"string\",\"values\":[]}]}]}"
    ;

/* runtime Runtime.Create request, from the transcript appendix */
static const char RUNTIME_CREATE_REQUEST[] =
    "{\"name\":\"CreateRequest\",\"type\":\"CreateRequest\",\"values\":[{\"name\":\"resource\","
    "\"type\":\"Resource\",\"values\":[{\"name\":\"namespace\",\"type\":\"Namespace\","
    "\"values\":[{\"name\":\"name\",\"type\":\"string\",\"values\":[]}]},{\"name\":\"networkpolicy\","
    "\"type\":\"NetworkPolicy\",\"values\":[{\"name\":\"allowedlabels\","
    "\"type\":\"map[string]string\",\"values\":[]},{\"name\":\"name\",\"type\":\"string\","
    "\"values\":[]},{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]}]},"
    "{\"name\":\"service\",\"type\":\"Service\",\"values\":[{\"name\":\"name\",\"type\":\"string\","
    "\"values\":[]},{\"name\":\"version\",\"type\":\"string\",\"values\":[]},{\"name\":\"source\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"metadata\",\"type\":\"map[string]string\","
    "\"values\":[]},{\"name\":\"status\",\"type\":\"int32\",\"values\":[]}]},"
    "{\"name\":\"resourcequota\",\"type\":\"ResourceQuota\",\"values\":[{\"name\":\"name\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"namespace\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"requests\",\"type\":\"Resources\",\"values\":[{\"name\":\"Memory\",\"type\":\"int32\","
    "\"values\":[]},{\"name\":\"CPU\",\"type\":\"int32\",\"values\":[]},"
    "{\"name\":\"EphemeralStorage\",\"type\":\"int32\",\"values\":[]}]},{\"name\":\"limits\","
    "\"type\":\"Resources\",\"values\":[{\"name\":\"Memory\",\"type\":\"int32\",\"values\":[]},"
    "{\"name\":\"CPU\",\"type\":\"int32\",\"values\":[]},{\"name\":\"EphemeralStorage\","
    "\"type\":\"int32\",\"values\":[]}]}]}]},{\"name\":\"options\",\"type\":\"CreateOptions\","
    "\"values\":[{\"name\":\"command\",\"type\":\"[]string\",\"values\":[]},{\"name\":\"args\","
    "\"type\":\"[]string\",\"values\":[]},{\"name\":\"env\",\"type\":\"[]string\",\"values\":[]},"
    "{\"name\":\"output\",\"type\":\"string\",\"values\":[]},{\"name\":\"type\",\"type\":\"string\","
    "\"values\":[]},{\"name\":\"image\",\"type\":\"string\",\"values\":[]},{\"name\":\"namespace\","
    "\"type\":\"string\",\"values\":[]},{\"name\":\"secrets\",\"type\":\"map[string]string\","
    "\"values\":[]},{\"name\":\"entrypoint\",\"type\":\"string\",\"values\":[]},"
    "{\"name\":\"volumes\",\"type\":\"map[string]string\",\"values\":[]},{\"name\":\"instances\","
    "\"type\":\"int64\",\"values\":[]},{\"name\":\"force\",\"type\":\"bool\",\"values\":[]}]}]}"
    ;

/* Renders v unformatted; the caller frees the string. */
static char *render(const Registry__Value *v)
{
    cJSON *j = mc_schema_value_to_json(v);
    char *s;

    assert_non_null(j);
    s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_non_null(s);
    return s;
}

static void assert_schema_json(const ProtobufCMessageDescriptor *desc, const char *expected)
{
    Registry__Value *v = NULL;
    char *s;

    assert_int_equal(mc_schema_value_new(desc, &v), MC_OK);
    assert_non_null(v);
    s = render(v);
    assert_string_equal(s, expected);
    cJSON_free(s);
    mc_schema_value_free(v);
}

static void test_registry_get_request_matches_transcript(void **state)
{
    (void)state;
    assert_schema_json(&registry__get_request__descriptor, REGISTRY_GET_REQUEST);
}

static void test_repeated_messages_have_no_values(void **state)
{
    Registry__Value *v = NULL;

    (void)state;
    assert_schema_json(&registry__service__descriptor, REGISTRY_SERVICE);
    assert_int_equal(mc_schema_value_new(&registry__service__descriptor, &v), MC_OK);
    assert_int_equal(v->n_values, 6);
    assert_string_equal(v->values[3]->name, "endpoints");
    assert_string_equal(v->values[3]->type, "[]Endpoint");
    assert_int_equal(v->values[3]->n_values, 0);
    assert_string_equal(v->values[4]->type, "[]Node");
    assert_int_equal(v->values[4]->n_values, 0);
    mc_schema_value_free(v);
}

static void test_config_messages_match_transcript(void **state)
{
    (void)state;
    assert_schema_json(&config__get_request__descriptor, CONFIG_GET_REQUEST);
    /* changeSet keeps upstream's spelling */
    assert_schema_json(&config__read_response__descriptor, CONFIG_READ_RESPONSE);
}

static void test_auth_create_request_nests_rule_and_enum(void **state)
{
    (void)state;
    assert_schema_json(&auth__create_request__descriptor, AUTH_CREATE_REQUEST);
}

static void test_store_write_request_bytes_and_message_map(void **state)
{
    (void)state;
    assert_schema_json(&store__write_request__descriptor, STORE_WRITE_REQUEST);
}

static void test_runtime_create_request_four_levels(void **state)
{
    (void)state;
    assert_schema_json(&runtime__create_request__descriptor, RUNTIME_CREATE_REQUEST);
}

/* --- hand-made descriptors: every scalar, maps, recursion ------------------- */

static const ProtobufCEnumDescriptor color_desc = {
    .magic = PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC,
    .name = "t.Color",
    .short_name = "Color",
    .c_name = "T__Color",
    .package_name = "t",
};

static const ProtobufCMessageDescriptor item_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Item",
    .short_name = "Item",
    .package_name = "t",
};

#define FIELD(n, i, l, t) { .name = (n), .id = (i), .label = PROTOBUF_C_LABEL_##l, \
                            .type = PROTOBUF_C_TYPE_##t }
#define FIELD_D(n, i, l, t, d) { .name = (n), .id = (i), .label = PROTOBUF_C_LABEL_##l, \
                                 .type = PROTOBUF_C_TYPE_##t, .descriptor = (d) }

static const ProtobufCFieldDescriptor counts_entry_fields[] = {
    FIELD("key", 1, NONE, STRING),
    FIELD("value", 2, NONE, SINT64),
};
static const ProtobufCMessageDescriptor counts_entry_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Scalars.CountsEntry",
    .short_name = "CountsEntry",
    .package_name = "t",
    .n_fields = 2,
    .fields = counts_entry_fields,
};

static const ProtobufCFieldDescriptor colors_entry_fields[] = {
    FIELD("key", 1, NONE, UINT32),
    FIELD_D("value", 2, NONE, ENUM, &color_desc),
};
static const ProtobufCMessageDescriptor colors_entry_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Scalars.ColorsEntry",
    .short_name = "ColorsEntry",
    .package_name = "t",
    .n_fields = 2,
    .fields = colors_entry_fields,
};

/* Entry-shaped but not nested in Scalars: an ordinary repeated message. */
static const ProtobufCMessageDescriptor fake_entry_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.FakeEntry",
    .short_name = "FakeEntry",
    .package_name = "t",
    .n_fields = 2,
    .fields = counts_entry_fields,
};

/* Nested with key/value fields but not named <Field>Entry: a repeated message. */
static const ProtobufCMessageDescriptor pair_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Scalars.Pair",
    .short_name = "Pair",
    .package_name = "t",
    .n_fields = 2,
    .fields = counts_entry_fields,
};

static const ProtobufCFieldDescriptor scalars_fields[] = {
    FIELD("i32", 1, NONE, INT32),
    FIELD("s32", 2, NONE, SINT32),
    FIELD("sf32", 3, NONE, SFIXED32),
    FIELD("i64", 4, NONE, INT64),
    FIELD("s64", 5, NONE, SINT64),
    FIELD("sf64", 6, NONE, SFIXED64),
    FIELD("u32", 7, NONE, UINT32),
    FIELD("f32", 8, NONE, FIXED32),
    FIELD("u64", 9, NONE, UINT64),
    FIELD("f64", 10, NONE, FIXED64),
    FIELD("fl", 11, NONE, FLOAT),
    FIELD("db", 12, NONE, DOUBLE),
    FIELD("ok", 13, OPTIONAL, BOOL),
    FIELD("text", 14, NONE, STRING),
    FIELD("raw", 15, NONE, BYTES),
    FIELD_D("color", 16, NONE, ENUM, &color_desc),
    FIELD_D("colors_list", 17, REPEATED, ENUM, &color_desc),
    FIELD("raws", 18, REPEATED, BYTES),
    FIELD("nums", 19, REPEATED, DOUBLE),
    FIELD_D("counts", 20, REPEATED, MESSAGE, &counts_entry_desc),
    FIELD_D("colors", 21, REPEATED, MESSAGE, &colors_entry_desc),
    FIELD_D("fakes", 22, REPEATED, MESSAGE, &fake_entry_desc),
    FIELD_D("item", 23, NONE, MESSAGE, &item_desc),
    FIELD_D("pairs", 24, REPEATED, MESSAGE, &pair_desc),
};
static const ProtobufCMessageDescriptor scalars_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Scalars",
    .short_name = "Scalars",
    .package_name = "t",
    .n_fields = MC_ARRAY_LEN(scalars_fields),
    .fields = scalars_fields,
};

static void test_go_type_names(void **state)
{
    static const char *const want[][2] = {
        { "i32", "int32" },     { "s32", "int32" },      { "sf32", "int32" },
        { "i64", "int64" },     { "s64", "int64" },      { "sf64", "int64" },
        { "u32", "uint32" },    { "f32", "uint32" },     { "u64", "uint64" },
        { "f64", "uint64" },    { "fl", "float32" },     { "db", "float64" },
        { "ok", "bool" },       { "text", "string" },    { "raw", "[]uint8" },
        { "color", "Color" },   { "colors_list", "[]Color" },
        { "raws", "[][]uint8" }, { "nums", "[]float64" },
        { "counts", "map[string]int64" }, { "colors", "map[uint32]Color" },
        { "fakes", "[]FakeEntry" }, { "item", "Item" }, { "pairs", "[]Pair" },
    };
    Registry__Value *v = NULL;

    (void)state;
    assert_int_equal(mc_schema_value_new(&scalars_desc, &v), MC_OK);
    assert_string_equal(v->name, "Scalars");
    assert_string_equal(v->type, "Scalars");
    assert_int_equal(v->n_values, MC_ARRAY_LEN(want));
    for (size_t i = 0; i < MC_ARRAY_LEN(want); i++) {
        assert_string_equal(v->values[i]->name, want[i][0]);
        assert_string_equal(v->values[i]->type, want[i][1]);
        assert_int_equal(v->values[i]->n_values, 0);
    }
    mc_schema_value_free(v);
}

/* message Node { string name = 1; Node next = 2; } */
static const ProtobufCMessageDescriptor node_desc;
static const ProtobufCFieldDescriptor node_fields[] = {
    FIELD("name", 1, NONE, STRING),
    FIELD_D("next", 2, NONE, MESSAGE, &node_desc),
};
static const ProtobufCMessageDescriptor node_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Node",
    .short_name = "Node",
    .package_name = "t",
    .n_fields = 2,
    .fields = node_fields,
};

static void test_self_recursive_message_stops_at_depth_limit(void **state)
{
    Registry__Value *v = NULL, *cur;
    unsigned levels = 1;

    (void)state;
    assert_int_equal(mc_schema_value_new(&node_desc, &v), MC_OK);
    cur = v;
    /* Follow next -> next -> ...: every level but the last has both fields. */
    while (cur->n_values > 0) {
        assert_int_equal(cur->n_values, 2);
        assert_string_equal(cur->values[0]->name, "name");
        assert_string_equal(cur->values[1]->name, "next");
        assert_string_equal(cur->values[1]->type, "Node");
        cur = cur->values[1];
        levels++;
    }
    assert_int_equal(levels, MC_SCHEMA_MAX_DEPTH);
    /* the deepest message keeps its name and type */
    assert_string_equal(cur->name, "next");
    assert_string_equal(cur->type, "Node");
    mc_schema_value_free(v);
}

/* message A { B b = 1; }  message B { repeated A list = 1; A a = 2; } */
static const ProtobufCMessageDescriptor a_desc, b_desc;
static const ProtobufCFieldDescriptor a_fields[] = {
    FIELD_D("b", 1, NONE, MESSAGE, &b_desc),
};
static const ProtobufCFieldDescriptor b_fields[] = {
    FIELD_D("list", 1, REPEATED, MESSAGE, &a_desc),
    FIELD_D("a", 2, NONE, MESSAGE, &a_desc),
};
static const ProtobufCMessageDescriptor a_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.A", .short_name = "A", .package_name = "t",
    .n_fields = 1, .fields = a_fields,
};
static const ProtobufCMessageDescriptor b_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.B", .short_name = "B", .package_name = "t",
    .n_fields = 2, .fields = b_fields,
};

static void test_mutually_recursive_messages_terminate(void **state)
{
    static const char want[] =
        "{\"name\":\"A\",\"type\":\"A\",\"values\":[{\"name\":\"b\",\"type\":\"B\",\"values\":["
        "{\"name\":\"list\",\"type\":\"[]A\",\"values\":[]},{\"name\":\"a\",\"type\":\"A\","
        "\"values\":[{\"name\":\"b\",\"type\":\"B\",\"values\":["
        "{\"name\":\"list\",\"type\":\"[]A\",\"values\":[]},{\"name\":\"a\",\"type\":\"A\","
        "\"values\":[{\"name\":\"b\",\"type\":\"B\",\"values\":[]}]}]}]}]}]}";

    (void)state;
    assert_schema_json(&a_desc, want);
}

/* message Wide { Wide f1 = 1; ... Wide f8 = 8; }: 8^5 Values at the depth limit */
static const ProtobufCMessageDescriptor wide_desc;
static const ProtobufCFieldDescriptor wide_fields[] = {
    FIELD_D("f1", 1, NONE, MESSAGE, &wide_desc), FIELD_D("f2", 2, NONE, MESSAGE, &wide_desc),
    FIELD_D("f3", 3, NONE, MESSAGE, &wide_desc), FIELD_D("f4", 4, NONE, MESSAGE, &wide_desc),
    FIELD_D("f5", 5, NONE, MESSAGE, &wide_desc), FIELD_D("f6", 6, NONE, MESSAGE, &wide_desc),
    FIELD_D("f7", 7, NONE, MESSAGE, &wide_desc), FIELD_D("f8", 8, NONE, MESSAGE, &wide_desc),
};
static const ProtobufCMessageDescriptor wide_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Wide", .short_name = "Wide", .package_name = "t",
    .n_fields = MC_ARRAY_LEN(wide_fields), .fields = wide_fields,
};

static void test_too_many_values_is_refused(void **state)
{
    Registry__Value *v = (Registry__Value *)&v; /* must be reset to NULL */

    (void)state;
    assert_int_equal(mc_schema_value_new(&wide_desc, &v), MC_ETOOBIG);
    assert_null(v);
}

/* A message field without its descriptor cannot be described. */
static const ProtobufCFieldDescriptor broken_fields[] = {
    FIELD("ok", 1, NONE, STRING),
    FIELD("sub", 2, NONE, MESSAGE),
};
static const ProtobufCMessageDescriptor broken_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "t.Broken", .short_name = "Broken", .package_name = "t",
    .n_fields = 2, .fields = broken_fields,
};

static void test_invalid_arguments(void **state)
{
    Registry__Value *v = NULL;
    Registry__Endpoint *ep = NULL;
    char long_handler[300];

    (void)state;
    assert_int_equal(mc_schema_value_new(NULL, &v), MC_EINVAL);
    assert_int_equal(mc_schema_value_new(&node_desc, NULL), MC_EINVAL);
    assert_int_equal(mc_schema_value_new(&broken_desc, &v), MC_EINVAL);
    assert_null(v);
    assert_int_equal(mc_schema_endpoint_new("Registry", &registry__registry__descriptor.methods[0],
                                            (enum mc_schema_stream)42, &ep),
                     MC_EINVAL);
    assert_null(ep);
    assert_int_equal(mc_schema_endpoint_new(NULL, &registry__registry__descriptor.methods[0],
                                            MC_SCHEMA_UNARY, &ep),
                     MC_EINVAL);
    memset(long_handler, 'H', sizeof(long_handler) - 1);
    long_handler[sizeof(long_handler) - 1] = '\0';
    assert_int_equal(mc_schema_endpoint_new(long_handler,
                                            &registry__registry__descriptor.methods[0],
                                            MC_SCHEMA_UNARY, &ep),
                     MC_ETOOBIG);
    assert_null(ep);
    mc_schema_value_free(NULL);
    mc_schema_endpoint_free(NULL);
    mc_schema_endpoints_free(NULL, 3);
}

/* --- endpoints ------------------------------------------------------------- */

static const char *meta(const Registry__Endpoint *ep, const char *key)
{
    for (size_t i = 0; i < ep->n_metadata; i++)
        if (strcmp(ep->metadata[i]->key, key) == 0)
            return ep->metadata[i]->value;
    return NULL;
}

static void registry_endpoints(Registry__Endpoint ***eps, size_t *n)
{
    const struct mc_schema_stream_spec *streams;
    size_t n_streams;

    streams = mc_schema_core_streams(registry__registry__descriptor.name, &n_streams);
    assert_non_null(streams);
    assert_int_equal(n_streams, 1);
    assert_int_equal(mc_schema_service_endpoints(&registry__registry__descriptor, streams,
                                                 n_streams, eps, n),
                     MC_OK);
}

static void test_registry_endpoints(void **state)
{
    static const char *const names[] = { "Registry.GetService", "Registry.Register",
                                         "Registry.Deregister", "Registry.ListServices",
                                         "Registry.Watch" };
    Registry__Endpoint **eps = NULL;
    size_t n = 0;
    char *s;

    (void)state;
    registry_endpoints(&eps, &n);
    assert_int_equal(n, MC_ARRAY_LEN(names));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(eps[i]->name, names[i]);

    /* unary: no metadata at all, as upstream ("metadata": {}) */
    assert_int_equal(eps[0]->n_metadata, 0);
    assert_int_equal(mc_schema_endpoint_stream_kind(eps[0]), MC_SCHEMA_UNARY);
    s = render(eps[0]->request);
    assert_string_equal(s, REGISTRY_GET_REQUEST);
    cJSON_free(s);
    assert_string_equal(eps[0]->response->type, "GetResponse");
    assert_string_equal(eps[0]->response->values[0]->type, "[]Service");

    /* Watch: stream metadata and the real message types */
    assert_int_equal(eps[4]->n_metadata, 2);
    assert_string_equal(meta(eps[4], "stream"), "true");
    assert_string_equal(meta(eps[4], "stream_kind"), "server");
    assert_int_equal(mc_schema_endpoint_stream_kind(eps[4]), MC_SCHEMA_SERVER_STREAM);
    assert_string_equal(eps[4]->request->name, "WatchRequest");
    assert_string_equal(eps[4]->response->name, "Result");
    assert_string_equal(eps[4]->response->values[1]->type, "Service");
    mc_schema_endpoints_free(eps, n);
}

static void test_blobstore_stream_kinds(void **state)
{
    const struct mc_schema_stream_spec *streams;
    Registry__Endpoint **eps = NULL;
    size_t n = 0, n_streams;

    (void)state;
    streams = mc_schema_core_streams("store.BlobStore", &n_streams);
    assert_int_equal(mc_schema_service_endpoints(&store__blob_store__descriptor, streams,
                                                 n_streams, &eps, &n),
                     MC_OK);
    assert_int_equal(n, 4);
    assert_string_equal(eps[0]->name, "BlobStore.Read");
    assert_int_equal(mc_schema_endpoint_stream_kind(eps[0]), MC_SCHEMA_SERVER_STREAM);
    assert_string_equal(eps[1]->name, "BlobStore.Write");
    assert_string_equal(meta(eps[1], "stream_kind"), "client");
    assert_int_equal(mc_schema_endpoint_stream_kind(eps[1]), MC_SCHEMA_CLIENT_STREAM);
    assert_string_equal(eps[1]->request->name, "BlobWriteRequest");
    assert_int_equal(eps[2]->n_metadata, 0);
    assert_int_equal(eps[3]->n_metadata, 0);
    mc_schema_endpoints_free(eps, n);
}

static void test_events_consume_is_bidi(void **state)
{
    const struct mc_schema_stream_spec *streams;
    Registry__Endpoint **eps = NULL;
    size_t n = 0, n_streams;

    (void)state;
    streams = mc_schema_core_streams("events.Stream", &n_streams);
    assert_int_equal(mc_schema_service_endpoints(&events__stream__descriptor, streams,
                                                 n_streams, &eps, &n),
                     MC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(eps[1]->name, "Stream.Consume");
    assert_string_equal(meta(eps[1], "stream_kind"), "bidi");
    assert_string_equal(eps[1]->request->name, "ConsumeRequest");
    assert_string_equal(eps[1]->response->name, "Event");
    mc_schema_endpoints_free(eps, n);
}

/* Every core stream table names methods that exist (a typo would be MC_EINVAL). */
static void test_core_stream_tables_match_protos(void **state)
{
    static const ProtobufCServiceDescriptor *const svcs[] = {
        &registry__registry__descriptor, &store__store__descriptor,
        &store__blob_store__descriptor, &broker__broker__descriptor,
        &events__stream__descriptor, &runtime__runtime__descriptor,
        &runtime__source__descriptor, &runtime__build__descriptor,
        &router__router__descriptor,
    };
    size_t n_streams;

    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(svcs); i++) {
        const struct mc_schema_stream_spec *streams;
        Registry__Endpoint **eps = NULL;
        size_t n = 0, streaming = 0;

        streams = mc_schema_core_streams(svcs[i]->name, &n_streams);
        assert_non_null(streams);
        assert_int_equal(mc_schema_service_endpoints(svcs[i], streams, n_streams, &eps, &n),
                         MC_OK);
        assert_int_equal(n, svcs[i]->n_methods);
        for (size_t e = 0; e < n; e++)
            streaming += mc_schema_endpoint_stream_kind(eps[e]) != MC_SCHEMA_UNARY;
        assert_int_equal(streaming, n_streams);
        mc_schema_endpoints_free(eps, n);
    }
    assert_null(mc_schema_core_streams("config.Config", &n_streams));
    assert_int_equal(n_streams, 0);
    assert_null(mc_schema_core_streams("nope.Nope", &n_streams));
}

static void test_unknown_stream_method_is_refused(void **state)
{
    static const struct mc_schema_stream_spec typo[] = {
        { "Watch", MC_SCHEMA_SERVER_STREAM },
        { "Wacth", MC_SCHEMA_SERVER_STREAM },
    };
    Registry__Endpoint **eps = (Registry__Endpoint **)&eps;
    size_t n = 7;

    (void)state;
    assert_int_equal(mc_schema_service_endpoints(&registry__registry__descriptor, typo,
                                                 MC_ARRAY_LEN(typo), &eps, &n),
                     MC_EINVAL);
    assert_null(eps);
    assert_int_equal(n, 0);
    /* no table: every endpoint unary */
    assert_int_equal(mc_schema_service_endpoints(&registry__registry__descriptor, NULL, 0,
                                                 &eps, &n),
                     MC_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(eps[i]->n_metadata, 0);
    mc_schema_endpoints_free(eps, n);
}

/* A registration from upstream says only stream: "true". */
static void test_stream_kind_of_upstream_endpoint(void **state)
{
    Registry__Endpoint__MetadataEntry e1 = REGISTRY__ENDPOINT__METADATA_ENTRY__INIT;
    Registry__Endpoint__MetadataEntry e2 = REGISTRY__ENDPOINT__METADATA_ENTRY__INIT;
    Registry__Endpoint__MetadataEntry *entries[] = { &e1, &e2 };
    Registry__Endpoint ep = REGISTRY__ENDPOINT__INIT;

    (void)state;
    assert_int_equal(mc_schema_endpoint_stream_kind(NULL), MC_SCHEMA_UNARY);
    assert_int_equal(mc_schema_endpoint_stream_kind(&ep), MC_SCHEMA_UNARY);
    e1.key = "stream";
    e1.value = "true";
    ep.metadata = entries;
    ep.n_metadata = 1;
    assert_int_equal(mc_schema_endpoint_stream_kind(&ep), MC_SCHEMA_BIDI_STREAM);
    e2.key = "stream_kind";
    e2.value = "client";
    ep.n_metadata = 2;
    assert_int_equal(mc_schema_endpoint_stream_kind(&ep), MC_SCHEMA_CLIENT_STREAM);
    e1.value = "false";
    assert_int_equal(mc_schema_endpoint_stream_kind(&ep), MC_SCHEMA_UNARY);
    assert_string_equal(mc_schema_stream_name(MC_SCHEMA_BIDI_STREAM), "bidi");
    assert_null(mc_schema_stream_name(MC_SCHEMA_UNARY));
}

/* Endpoints go into a Registry__Service, survive pack/unpack, and the whole
 * thing is freed with one protobuf_c call (ASan checks the ownership claim). */
static void test_endpoints_attach_to_service(void **state)
{
    Registry__Service *svc = mc_malloc(sizeof(*svc));
    Registry__Service *back;
    Registry__Endpoint **eps = NULL;
    size_t n = 0, len;
    uint8_t *wire;
    char *s;

    (void)state;
    registry__service__init(svc);
    svc->name = mc_strdup("registry");
    registry_endpoints(&eps, &n);
    svc->endpoints = eps;
    svc->n_endpoints = n;

    len = registry__service__get_packed_size(svc);
    wire = mc_malloc(len);
    assert_int_equal(registry__service__pack(svc, wire), len);
    protobuf_c_message_free_unpacked(&svc->base, NULL);

    back = registry__service__unpack(NULL, len, wire);
    free(wire);
    assert_non_null(back);
    assert_int_equal(back->n_endpoints, 5);
    assert_string_equal(back->endpoints[4]->name, "Registry.Watch");
    assert_int_equal(mc_schema_endpoint_stream_kind(back->endpoints[4]), MC_SCHEMA_SERVER_STREAM);
    s = render(back->endpoints[0]->request);
    assert_string_equal(s, REGISTRY_GET_REQUEST);
    cJSON_free(s);
    registry__service__free_unpacked(back, NULL);
}

/* Trees from the wire: NULL strings and holes render safely, depth is capped. */
static void test_render_untrusted_tree(void **state)
{
    Registry__Value nodes[MC_SCHEMA_MAX_RENDER_DEPTH + 8];
    Registry__Value *kids[MC_ARRAY_LEN(nodes)][2];
    cJSON *j, *cur;
    unsigned levels = 1;
    char *s;

    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(nodes); i++) {
        registry__value__init(&nodes[i]);
        nodes[i].name = "n";
        nodes[i].type = NULL;
        kids[i][0] = NULL;
        kids[i][1] = i + 1 < MC_ARRAY_LEN(nodes) ? &nodes[i + 1] : NULL;
        nodes[i].values = kids[i];
        nodes[i].n_values = 2;
    }
    j = mc_schema_value_to_json(&nodes[0]);
    assert_non_null(j);
    cur = j;
    for (;;) {
        cJSON *values = cJSON_GetObjectItemCaseSensitive(cur, "values");

        assert_true(cJSON_IsArray(values));
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(cur, "type")->valuestring, "");
        if (cJSON_GetArraySize(values) == 0)
            break;
        assert_int_equal(cJSON_GetArraySize(values), 1); /* the NULL hole is skipped */
        cur = cJSON_GetArrayItem(values, 0);
        levels++;
    }
    assert_int_equal(levels, MC_SCHEMA_MAX_RENDER_DEPTH);
    cJSON_Delete(j);

    nodes[0].values = NULL;
    nodes[0].n_values = 0;
    s = render(&nodes[0]);
    assert_string_equal(s, "{\"name\":\"n\",\"type\":\"\",\"values\":[]}");
    cJSON_free(s);
    assert_null(mc_schema_value_to_json(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_get_request_matches_transcript),
        cmocka_unit_test(test_repeated_messages_have_no_values),
        cmocka_unit_test(test_config_messages_match_transcript),
        cmocka_unit_test(test_auth_create_request_nests_rule_and_enum),
        cmocka_unit_test(test_store_write_request_bytes_and_message_map),
        cmocka_unit_test(test_runtime_create_request_four_levels),
        cmocka_unit_test(test_go_type_names),
        cmocka_unit_test(test_self_recursive_message_stops_at_depth_limit),
        cmocka_unit_test(test_mutually_recursive_messages_terminate),
        cmocka_unit_test(test_too_many_values_is_refused),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_registry_endpoints),
        cmocka_unit_test(test_blobstore_stream_kinds),
        cmocka_unit_test(test_events_consume_is_bidi),
        cmocka_unit_test(test_core_stream_tables_match_protos),
        cmocka_unit_test(test_unknown_stream_method_is_refused),
        cmocka_unit_test(test_stream_kind_of_upstream_endpoint),
        cmocka_unit_test(test_endpoints_attach_to_service),
        cmocka_unit_test(test_render_untrusted_tree),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
