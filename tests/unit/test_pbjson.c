/*
 * Unit tests for mc_pbjson: a round trip (message -> JSON -> message -> JSON,
 * texts and wire bytes compared) over every message reachable from every
 * service in proto/ plus the plain ones, exact-text checks of the encoding
 * rules against Go's jsonpb/MarshalIndent output, lenient decoding, error
 * messages with field paths, and the size/depth limits. Our protos have no
 * float, double, oneof or integer-keyed map, so a hand-written descriptor
 * (pbt.All below; CMake generates code only for the files in proto/) covers those.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "mc_arena.h"
#include "mc_buf.h"
#include "mc_common.h"
#include "mc_pbjson.h"

#include "api.pb-c.h"
#include "auth.pb-c.h"
#include "broker.pb-c.h"
#include "config.pb-c.h"
#include "debug.pb-c.h"
#include "errors.pb-c.h"
#include "events.pb-c.h"
#include "network.pb-c.h"
#include "registry.pb-c.h"
#include "router.pb-c.h"
#include "runtime.pb-c.h"
#include "status.pb-c.h"
#include "store.pb-c.h"

/* ---- pbt.All: a hand-written descriptor with every scalar type ------------ */

typedef struct PbtAll PbtAll;
typedef struct {
    ProtobufCMessage base;
    int32_t key;
    char *value;
} PbtIntMapEntry;
typedef struct {
    ProtobufCMessage base;
    protobuf_c_boolean key;
    int64_t value;
} PbtBoolMapEntry;

struct PbtAll {
    ProtobufCMessage base;
    int32_t i32;
    int32_t s32;
    int32_t sf32;
    int64_t i64;
    int64_t s64;
    int64_t sf64;
    uint32_t u32;
    uint32_t f32;
    uint64_t u64;
    uint64_t f64;
    float fl;
    double db;
    protobuf_c_boolean b;
    int en;
    char *str;
    ProtobufCBinaryData by;
    PbtAll *child;
    size_t n_doubles;
    double *doubles;
    size_t n_int_map;
    PbtIntMapEntry **int_map;
    size_t n_bool_map;
    PbtBoolMapEntry **bool_map;
    uint32_t choice_case;
    union {
        char *pick_str;
        int64_t pick_num;
    };
    char *long_field_name;
};

static const ProtobufCEnumValue color_values[] = {
    { "RED", "PBT__RED", 0 }, { "GREEN", "PBT__GREEN", 1 }, { "BLUE", "PBT__BLUE", 2 },
};
static const ProtobufCEnumValueIndex color_by_name[] = { { "BLUE", 2 }, { "GREEN", 1 }, { "RED", 0 } };
static const ProtobufCIntRange color_ranges[] = { { 0, 0 }, { 0, 3 } };
static const ProtobufCEnumDescriptor color_descriptor = {
    PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC, "pbt.Color", "Color", "PbtColor", "pbt",
    3, color_values, 3, color_by_name, 1, color_ranges, NULL, NULL, NULL, NULL,
};

#define FIELD(name, id, label, type, q, off, desc, def, flags) \
    { name, id, label, type, q, off, desc, def, flags, 0, NULL, NULL }
#define PLAIN(name, id, type, member) \
    FIELD(name, id, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_##type, 0, offsetof(PbtAll, member), NULL, NULL, 0)

static void int_entry_init(ProtobufCMessage *m);
static void bool_entry_init(ProtobufCMessage *m);
static void all_init(ProtobufCMessage *m);

static const ProtobufCIntRange two_ranges[] = { { 1, 0 }, { 0, 2 } };
static const unsigned key_value_by_name[] = { 0, 1 };

static const ProtobufCFieldDescriptor int_entry_fields[] = {
    FIELD("key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0, offsetof(PbtIntMapEntry, key), NULL, NULL, 0),
    FIELD("value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(PbtIntMapEntry, value), NULL,
          &protobuf_c_empty_string, 0),
};
static const ProtobufCMessageDescriptor int_entry_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pbt.All.IntMapEntry", "IntMapEntry", "PbtIntMapEntry", "pbt",
    sizeof(PbtIntMapEntry), 2, int_entry_fields, key_value_by_name, 1, two_ranges, int_entry_init,
    NULL, NULL, NULL,
};
static const ProtobufCFieldDescriptor bool_entry_fields[] = {
    FIELD("key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_BOOL, 0, offsetof(PbtBoolMapEntry, key), NULL, NULL, 0),
    FIELD("value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT64, 0, offsetof(PbtBoolMapEntry, value), NULL, NULL, 0),
};
static const ProtobufCMessageDescriptor bool_entry_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pbt.All.BoolMapEntry", "BoolMapEntry", "PbtBoolMapEntry", "pbt",
    sizeof(PbtBoolMapEntry), 2, bool_entry_fields, key_value_by_name, 1, two_ranges, bool_entry_init,
    NULL, NULL, NULL,
};

static const ProtobufCMessageDescriptor all_descriptor;

static const ProtobufCFieldDescriptor all_fields[] = {
    PLAIN("i32", 1, INT32, i32),
    PLAIN("s32", 2, SINT32, s32),
    PLAIN("sf32", 3, SFIXED32, sf32),
    PLAIN("i64", 4, INT64, i64),
    PLAIN("s64", 5, SINT64, s64),
    PLAIN("sf64", 6, SFIXED64, sf64),
    PLAIN("u32", 7, UINT32, u32),
    PLAIN("f32", 8, FIXED32, f32),
    PLAIN("u64", 9, UINT64, u64),
    PLAIN("f64", 10, FIXED64, f64),
    PLAIN("fl", 11, FLOAT, fl),
    PLAIN("db", 12, DOUBLE, db),
    PLAIN("b", 13, BOOL, b),
    FIELD("en", 14, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_ENUM, 0, offsetof(PbtAll, en), &color_descriptor, NULL, 0),
    FIELD("str", 15, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(PbtAll, str), NULL,
          &protobuf_c_empty_string, 0),
    PLAIN("by", 16, BYTES, by),
    FIELD("child", 17, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, offsetof(PbtAll, child), &all_descriptor,
          NULL, 0),
    FIELD("doubles", 18, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_DOUBLE, offsetof(PbtAll, n_doubles),
          offsetof(PbtAll, doubles), NULL, NULL, PROTOBUF_C_FIELD_FLAG_PACKED),
    FIELD("int_map", 19, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE, offsetof(PbtAll, n_int_map),
          offsetof(PbtAll, int_map), &int_entry_descriptor, NULL, 0),
    FIELD("bool_map", 20, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE, offsetof(PbtAll, n_bool_map),
          offsetof(PbtAll, bool_map), &bool_entry_descriptor, NULL, 0),
    FIELD("pick_str", 21, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, offsetof(PbtAll, choice_case),
          offsetof(PbtAll, pick_str), NULL, &protobuf_c_empty_string, PROTOBUF_C_FIELD_FLAG_ONEOF),
    FIELD("pick_num", 22, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT64, offsetof(PbtAll, choice_case),
          offsetof(PbtAll, pick_num), NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
    FIELD("long_field_name", 23, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(PbtAll, long_field_name),
          NULL, &protobuf_c_empty_string, 0),
};
/* Indices of all_fields in name order. */
static const unsigned all_by_name[] = {
    12, 19, 15, 16, 11, 17, 13, 7, 9, 10, 0, 3, 18, 22, 21, 20, 1, 4, 2, 5, 14, 6, 8,
};
static const ProtobufCIntRange all_ranges[] = { { 1, 0 }, { 0, 23 } };
static const ProtobufCMessageDescriptor all_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pbt.All", "All", "PbtAll", "pbt", sizeof(PbtAll), 23,
    all_fields, all_by_name, 1, all_ranges, all_init, NULL, NULL, NULL,
};

static void int_entry_init(ProtobufCMessage *m)
{
    PbtIntMapEntry *e = (PbtIntMapEntry *)m;
    memset(e, 0, sizeof(*e));
    e->base.descriptor = &int_entry_descriptor;
    e->value = (char *)protobuf_c_empty_string;
}

static void bool_entry_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof(PbtBoolMapEntry));
    m->descriptor = &bool_entry_descriptor;
}

static void all_init(ProtobufCMessage *m)
{
    PbtAll *a = (PbtAll *)m;
    memset(a, 0, sizeof(*a));
    a->base.descriptor = &all_descriptor;
    a->str = (char *)protobuf_c_empty_string;
    a->long_field_name = (char *)protobuf_c_empty_string;
}

/* ---- helpers -------------------------------------------------------------- */

static char *encode(const void *msg, unsigned flags)
{
    struct mc_buf b;
    struct mc_pbjson_err err;
    int rc;

    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    rc = mc_pbjson_encode(msg, flags, &b, &err);
    if (rc != MC_OK)
        fail_msg("encode: %s", err.msg);
    return mc_buf_detach(&b, NULL);
}

static void *decode_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
    ProtobufCMessage *m = NULL;
    struct mc_pbjson_err err;
    int rc = mc_pbjson_decode(d, json, strlen(json), NULL, &m, &err);

    if (rc != MC_OK)
        fail_msg("decode of %s failed: %s", json, err.msg);
    assert_non_null(m);
    return m;
}

/* Decodes and asserts the error code and message. */
static void decode_err(const ProtobufCMessageDescriptor *d, const char *json, int code,
                       const char *msg)
{
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    struct mc_pbjson_err err;
    int rc = mc_pbjson_decode(d, json, strlen(json), NULL, &m, &err);

    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_null(m);
    if (msg)
        assert_string_equal(err.msg, msg);
}

/* Decodes json, re-encodes compactly and compares with want. */
static void reencode(const ProtobufCMessageDescriptor *d, const char *json, const char *want)
{
    ProtobufCMessage *m = decode_ok(d, json);
    char *got = encode(m, MC_PBJSON_COMPACT);

    assert_string_equal(got, want);
    free(got);
    protobuf_c_message_free_unpacked(m, NULL);
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *n)
{
    uint8_t *p;

    *n = protobuf_c_message_get_packed_size(m);
    p = mc_malloc(*n ? *n : 1);
    assert_int_equal(protobuf_c_message_pack(m, p), *n);
    return p;
}

static void assert_same_wire(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na, nb;
    uint8_t *pa = pack(a, &na), *pb = pack(b, &nb);

    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na);
    free(pa);
    free(pb);
}

/* ---- a representative message for any descriptor -------------------------- */

static ProtobufCMessage *make_message(const ProtobufCMessageDescriptor *d, unsigned depth);

static void fill_value(const ProtobufCFieldDescriptor *f, void *p, unsigned i, unsigned depth)
{
    const ProtobufCEnumDescriptor *ed;
    ProtobufCBinaryData bin;

    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: *(int32_t *)p = -7 - (int32_t)i; break;
    case PROTOBUF_C_TYPE_SINT32: *(int32_t *)p = INT32_MIN + (int32_t)i; break;
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)p = 42 + (int32_t)i; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)p = UINT32_MAX - i; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64: *(int64_t *)p = -9007199254740993LL - (int64_t)i; break;
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)p = INT64_MIN + (int64_t)i; break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)p = UINT64_MAX - i; break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)p = 0.1f + (float)i; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)p = 1e-7 * (i + 1) + 123456.789; break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)p = 1; break;
    case PROTOBUF_C_TYPE_ENUM:
        ed = f->descriptor;
        *(int *)p = ed->values[ed->n_values - 1].value;
        break;
    case PROTOBUF_C_TYPE_STRING: {
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%s %u <&> \"q\" \\ \xc3\xa9\n", f->name, i);
        *(char **)p = mc_strdup(tmp);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        bin.len = 4 + i;
        bin.data = mc_malloc(bin.len);
        for (size_t k = 0; k < bin.len; k++)
            bin.data[k] = (uint8_t)(0xFB + k * 3);
        *(ProtobufCBinaryData *)p = bin;
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)p = depth < 3 ? make_message(f->descriptor, depth + 1) : NULL;
        break;
    }
}

static void fill_map_key(const ProtobufCFieldDescriptor *k, void *p, unsigned i)
{
    char tmp[8];

    if (k->type == PROTOBUF_C_TYPE_STRING) {
        snprintf(tmp, sizeof(tmp), "k%u", i);   /* ascending, as the encoder sorts */
        *(char **)p = mc_strdup(tmp);
    } else if (k->type == PROTOBUF_C_TYPE_BOOL) {
        *(protobuf_c_boolean *)p = i != 0;
    } else {
        *(int32_t *)p = (int32_t)i - 1;
    }
}

static void fill_field(const ProtobufCMessageDescriptor *d, ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f, unsigned depth)
{
    char *base = (char *)m;

    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        fill_value(f, base + f->offset, 0, depth);
        return;
    }
    if (mc_pbjson_field_is_map(d, f)) {
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        ProtobufCMessage **arr = mc_calloc(2, sizeof(*arr));
        for (unsigned i = 0; i < 2; i++) {
            arr[i] = mc_calloc(1, ed->sizeof_message);
            protobuf_c_message_init(ed, arr[i]);
            fill_map_key(&ed->fields[0], (char *)arr[i] + ed->fields[0].offset, i);
            fill_value(&ed->fields[1], (char *)arr[i] + ed->fields[1].offset, i, depth);
        }
        *(void **)(base + f->offset) = arr;
    } else {
        size_t esz = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING ? sizeof(void *)
                     : f->type == PROTOBUF_C_TYPE_BYTES ? sizeof(ProtobufCBinaryData)
                     : (f->type == PROTOBUF_C_TYPE_DOUBLE || f->type == PROTOBUF_C_TYPE_INT64 ||
                        f->type == PROTOBUF_C_TYPE_SINT64 || f->type == PROTOBUF_C_TYPE_SFIXED64 ||
                        f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64) ? 8 : 4;
        char *arr = mc_calloc(2, esz);
        for (unsigned i = 0; i < 2; i++) {
            fill_value(f, arr + i * esz, i, depth);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && !*(void **)(arr + i * esz))
                *(ProtobufCMessage **)(arr + i * esz) = make_message(f->descriptor, 99);
        }
        *(void **)(base + f->offset) = arr;
    }
    *(size_t *)(base + f->quantifier_offset) = 2;
}

/* Every field set (only the first member of a oneof); sub-messages to depth 3. */
static ProtobufCMessage *make_message(const ProtobufCMessageDescriptor *d, unsigned depth)
{
    ProtobufCMessage *m = mc_calloc(1, d->sizeof_message);
    unsigned oneofs[32];
    size_t n_oneofs = 0;

    protobuf_c_message_init(d, m);
    if (depth > 3)
        return m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            bool taken = false;
            for (size_t k = 0; k < n_oneofs; k++)
                taken |= oneofs[k] == f->quantifier_offset;
            if (taken)
                continue;
            oneofs[n_oneofs++] = f->quantifier_offset;
            *(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
        }
        fill_field(d, m, f, depth);
    }
    return m;
}

/* JSON -> message -> JSON -> message through every entry point; texts and
 * wire bytes must agree. */
static void round_trip(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *orig = make_message(d, 1), *dec = NULL, *dec2 = NULL;
    struct mc_pbjson_err err;
    struct mc_buf b, w;
    char *j1, *j2, *ji;
    uint8_t *wire;
    size_t wn;
    cJSON *tree;

    j1 = encode(orig, MC_PBJSON_COMPACT);
    if (mc_pbjson_decode(d, j1, strlen(j1), NULL, &dec, &err) != MC_OK)
        fail_msg("%s: decode: %s\n%s", d->name, err.msg, j1);
    j2 = encode(dec, MC_PBJSON_COMPACT);
    assert_string_equal(j1, j2);
    assert_same_wire(orig, dec);

    /* the indented text decodes to the same message */
    ji = encode(orig, MC_PBJSON_INDENT);
    assert_int_equal(mc_pbjson_decode(d, ji, strlen(ji), NULL, &dec2, &err), MC_OK);
    assert_same_wire(orig, dec2);
    protobuf_c_message_free_unpacked(dec2, NULL);

    /* wire bytes -> JSON and JSON -> wire bytes */
    wire = pack(orig, &wn);
    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    assert_int_equal(mc_pbjson_proto_to_json(d, wire, wn, MC_PBJSON_COMPACT, &b, &err), MC_OK);
    assert_string_equal(mc_buf_cstr(&b), j1);
    mc_buf_init(&w, MC_PBJSON_MAX_INPUT);
    assert_int_equal(mc_pbjson_json_to_proto(d, j1, strlen(j1), &w, &err), MC_OK);
    assert_int_equal(w.len, wn);
    assert_memory_equal(w.data ? w.data : "", wire, wn);
    assert_int_equal(mc_pbjson_wire_check(d, wire, wn, MC_PBJSON_MAX_DEPTH), MC_OK);

    /* cJSON level */
    assert_int_equal(mc_pbjson_to_cjson(orig, &tree, &err), MC_OK);
    assert_int_equal(mc_pbjson_from_cjson(d, tree, NULL, &dec2, &err), MC_OK);
    assert_same_wire(orig, dec2);
    cJSON_Delete(tree);

    protobuf_c_message_free_unpacked(dec2, NULL);
    mc_buf_release(&b);
    mc_buf_release(&w);
    free(wire);
    free(j1);
    free(j2);
    free(ji);
    protobuf_c_message_free_unpacked(dec, NULL);
    protobuf_c_message_free_unpacked(orig, NULL);
}

#define MAX_SEEN 512
struct seen {
    const ProtobufCMessageDescriptor *d[MAX_SEEN];
    size_t n;
};

static void collect(struct seen *s, const ProtobufCMessageDescriptor *d)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i] == d)
            return;
    assert_true(s->n < MAX_SEEN);
    s->d[s->n++] = d;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            collect(s, d->fields[i].descriptor);
}

static const ProtobufCServiceDescriptor *const services[] = {
    &api__api__descriptor, &auth__auth__descriptor, &auth__accounts__descriptor,
    &auth__rules__descriptor, &broker__broker__descriptor, &config__config__descriptor,
    &debug__debug__descriptor, &events__stream__descriptor, &events__store__descriptor,
    &network__network__descriptor, &registry__registry__descriptor, &router__router__descriptor,
    &router__table__descriptor, &runtime__runtime__descriptor, &runtime__source__descriptor,
    &runtime__build__descriptor, &store__store__descriptor, &store__blob_store__descriptor,
};

/* Messages no service method reaches. */
static const ProtobufCMessageDescriptor *const plain_messages[] = {
    &errors__error__descriptor, &registry__event__descriptor, &google__rpc__status__descriptor,
    &api__endpoint__descriptor, &api__pair__descriptor, &api__request__descriptor,
    &api__response__descriptor, &api__event__descriptor, &auth__grant_request__descriptor,
    &auth__grant_response__descriptor, &auth__revoke_request__descriptor,
    &auth__revoke_response__descriptor, &events__ack_request__descriptor,
    &network__connect__descriptor, &network__close__descriptor, &network__sync__descriptor,
    &runtime__list_options__descriptor, &runtime__list_request__descriptor,
    &runtime__list_response__descriptor, &all_descriptor,
};

static void test_round_trip_every_proto(void **state)
{
    static struct seen s;
    (void)state;

    s.n = 0;
    for (size_t i = 0; i < MC_ARRAY_LEN(services); i++)
        for (unsigned k = 0; k < services[i]->n_methods; k++) {
            collect(&s, services[i]->methods[k].input);
            collect(&s, services[i]->methods[k].output);
        }
    for (size_t i = 0; i < MC_ARRAY_LEN(plain_messages); i++)
        collect(&s, plain_messages[i]);
    assert_true(s.n >= 150);   /* 201 when written: a broken walk would reach few */
    for (size_t i = 0; i < s.n; i++)
        round_trip(s.d[i]);
}

/* ---- exact text ------------------------------------------------------------- */

static void test_registry_service_text(void **state)
{
    Registry__Service__MetadataEntry mb = REGISTRY__SERVICE__METADATA_ENTRY__INIT, ma = mb;
    Registry__Service__MetadataEntry *md[] = { &mb, &ma };
    Registry__Node node = REGISTRY__NODE__INIT, *nodes[] = { &node };
    Registry__Service svc = REGISTRY__SERVICE__INIT;
    char *got;
    (void)state;

    mb.key = "b";
    mb.value = "2";
    ma.key = "a";
    ma.value = "1";
    node.id = "helloworld-1";
    node.address = "127.0.0.1:8080";
    svc.name = "helloworld";
    svc.version = "latest";
    svc.n_metadata = 2;
    svc.metadata = md;
    svc.n_nodes = 1;
    svc.nodes = nodes;

    got = encode(&svc, MC_PBJSON_COMPACT);
    assert_string_equal(got,
        "{\"name\":\"helloworld\",\"version\":\"latest\",\"metadata\":{\"a\":\"1\",\"b\":\"2\"},"
        "\"endpoints\":[],\"nodes\":[{\"id\":\"helloworld-1\",\"address\":\"127.0.0.1:8080\","
        "\"port\":\"0\",\"metadata\":{}}],\"options\":null}");
    free(got);
    /* json.MarshalIndent(v, "", "\t") */
    got = encode(&svc, MC_PBJSON_INDENT);
    assert_string_equal(got,
        "{\n"
        "\t\"name\": \"helloworld\",\n"
        "\t\"version\": \"latest\",\n"
        "\t\"metadata\": {\n"
        "\t\t\"a\": \"1\",\n"
        "\t\t\"b\": \"2\"\n"
        "\t},\n"
        "\t\"endpoints\": [],\n"
        "\t\"nodes\": [\n"
        "\t\t{\n"
        "\t\t\t\"id\": \"helloworld-1\",\n"
        "\t\t\t\"address\": \"127.0.0.1:8080\",\n"
        "\t\t\t\"port\": \"0\",\n"
        "\t\t\t\"metadata\": {}\n"
        "\t\t}\n"
        "\t],\n"
        "\t\"options\": null\n"
        "}");
    free(got);
}

static void test_empty_message_and_defaults(void **state)
{
    Registry__EmptyResponse empty = REGISTRY__EMPTY_RESPONSE__INIT;
    Store__Record rec = STORE__RECORD__INIT;
    Registry__Event ev = REGISTRY__EVENT__INIT;
    char *got;
    (void)state;

    got = encode(&empty, MC_PBJSON_INDENT);
    assert_string_equal(got, "{}");
    free(got);
    got = encode(&rec, MC_PBJSON_COMPACT);
    assert_string_equal(got, "{\"key\":\"\",\"value\":\"\",\"expiry\":\"0\",\"metadata\":{}}");
    free(got);
    got = encode(&ev, MC_PBJSON_COMPACT);
    assert_string_equal(got, "{\"id\":\"\",\"type\":\"Create\",\"timestamp\":\"0\",\"service\":null}");
    free(got);
}

static void test_scalars_text(void **state)
{
    Store__Record rec = STORE__RECORD__INIT;
    Registry__Event ev = REGISTRY__EVENT__INIT;
    uint8_t bytes[] = { 'h', 'i', 0xff, 0xfe };
    char *got;
    (void)state;

    rec.key = "k";
    rec.value.data = bytes;
    rec.value.len = sizeof(bytes);
    rec.expiry = -9007199254740993LL;
    got = encode(&rec, MC_PBJSON_COMPACT);
    assert_string_equal(got,
        "{\"key\":\"k\",\"value\":\"aGn//g==\",\"expiry\":\"-9007199254740993\",\"metadata\":{}}");
    free(got);

    ev.type = REGISTRY__EVENT_TYPE__Update;
    ev.timestamp = INT64_MAX;
    got = encode(&ev, MC_PBJSON_COMPACT);
    assert_string_equal(got,
        "{\"id\":\"\",\"type\":\"Update\",\"timestamp\":\"9223372036854775807\",\"service\":null}");
    free(got);
    ev.type = 7;   /* no name: the number */
    got = encode(&ev, MC_PBJSON_COMPACT);
    assert_string_equal(got, "{\"id\":\"\",\"type\":7,\"timestamp\":\"9223372036854775807\",\"service\":null}");
    free(got);
}

static char *all_field_text(PbtAll *a, const char *field)
{
    char *json = encode(a, MC_PBJSON_COMPACT);
    char key[32], *p, *end, *out;
    size_t n;

    snprintf(key, sizeof(key), "\"%s\":", field);
    p = strstr(json, key);
    assert_non_null(p);
    p += strlen(key);
    end = p;
    if (*end == '"')
        end = strchr(end + 1, '"') + 1;
    else
        end += strcspn(end, ",}");
    n = (size_t)(end - p);
    out = mc_strndup(p, n);
    free(json);
    return out;
}

static void expect_double(double v, const char *want)
{
    PbtAll a;
    char *got;

    all_init(&a.base);
    a.db = v;
    got = all_field_text(&a, "db");
    assert_string_equal(got, want);
    free(got);
}

static void expect_float(float v, const char *want)
{
    PbtAll a;
    char *got;

    all_init(&a.base);
    a.fl = v;
    got = all_field_text(&a, "fl");
    assert_string_equal(got, want);
    free(got);
}

/* Outputs of Go's strconv/encoding/json for the same values. */
static void test_float_text(void **state)
{
    (void)state;
    expect_double(0, "0");
    expect_double(-0.0, "-0");
    expect_double(0.1, "0.1");
    expect_double(100, "100");
    expect_double(-2.5, "-2.5");
    expect_double(123456789, "123456789");
    expect_double(1e20, "100000000000000000000");
    expect_double(1e21, "1e+21");
    expect_double(1.5e300, "1.5e+300");
    expect_double(0.000001, "0.000001");
    expect_double(1e-7, "1e-7");
    expect_double(1.25e-10, "1.25e-10");
    expect_double(5e-324, "5e-324");
    expect_double(1.7976931348623157e308, "1.7976931348623157e+308");
    expect_double(0.1 + 0.2, "0.30000000000000004");
    expect_double(NAN, "\"NaN\"");
    expect_double(INFINITY, "\"Infinity\"");
    expect_double(-INFINITY, "\"-Infinity\"");
    expect_float(0.1f, "0.1");
    expect_float(3.4028235e38f, "3.4028235e+38");
    expect_float(16777216.0f, "16777216");
    expect_float(1e-7f, "1e-7");
    expect_float(1.1f, "1.1");
}

static void test_string_escaping(void **state)
{
    Errors__Error e = ERRORS__ERROR__INIT;
    char *got;
    (void)state;

    e.detail = "<a&b>\n\t\r\x01\"\\ \xc3\xa9 \xe2\x80\xa8 \xff";
    got = encode(&e, MC_PBJSON_COMPACT);
    assert_string_equal(got,
        "{\"id\":\"\",\"code\":0,\"detail\":\"\\u003ca\\u0026b\\u003e\\n\\t\\r\\u0001\\\"\\\\ \xc3\xa9 "
        "\\u2028 \\ufffd\",\"status\":\"\"}");
    free(got);
}

static void test_maps_oneof_text(void **state)
{
    PbtIntMapEntry e1, e2, e3, *im[3];
    PbtBoolMapEntry b1, b2, *bm[2];
    PbtAll a;
    char *got;
    (void)state;

    all_init(&a.base);
    int_entry_init(&e1.base);
    int_entry_init(&e2.base);
    int_entry_init(&e3.base);
    e1.key = 10;
    e1.value = "ten";
    e2.key = -1;
    e2.value = "minus";
    e3.key = 2;
    e3.value = "two";
    im[0] = &e1, im[1] = &e2, im[2] = &e3;
    a.n_int_map = 3;
    a.int_map = im;
    got = encode(&a, MC_PBJSON_COMPACT);
    assert_non_null(strstr(got, "\"int_map\":{\"-1\":\"minus\",\"2\":\"two\",\"10\":\"ten\"}"));
    assert_null(strstr(got, "pick_"));   /* no member of the oneof set */
    free(got);

    bool_entry_init(&b1.base);
    bool_entry_init(&b2.base);
    b1.key = 1;
    b1.value = 5;
    b2.key = 0;
    b2.value = 6;
    bm[0] = &b1, bm[1] = &b2;
    a.n_bool_map = 2;
    a.bool_map = bm;
    e3.key = 10;   /* duplicate key: the later entry wins, as in protobuf parsing */
    a.choice_case = 22;
    a.pick_num = 5;
    got = encode(&a, MC_PBJSON_COMPACT);
    assert_non_null(strstr(got, "\"int_map\":{\"-1\":\"minus\",\"10\":\"two\"}"));
    assert_non_null(strstr(got, "\"bool_map\":{\"false\":\"6\",\"true\":\"5\"}"));
    assert_non_null(strstr(got, "\"pick_num\":\"5\""));
    assert_null(strstr(got, "pick_str"));
    free(got);
}

static void test_indent_utility(void **state)
{
    const char *in = " {\"a\" : [1, {}, [], {\"b\":\"x,{[\\\"\"}], \"c\":null}";
    struct mc_buf b;
    struct mc_pbjson_err err;
    (void)state;

    mc_buf_init(&b, 1024);
    assert_int_equal(mc_pbjson_indent(in, strlen(in), &b, &err), MC_OK);
    assert_string_equal(mc_buf_cstr(&b),
        "{\n\t\"a\": [\n\t\t1,\n\t\t{},\n\t\t[],\n\t\t{\n\t\t\t\"b\": \"x,{[\\\"\"\n\t\t}\n\t],\n"
        "\t\"c\": null\n}");
    mc_buf_reset(&b);
    assert_int_equal(mc_pbjson_indent("{\"a\":[}", 7, &b, &err), MC_EINVAL);
    assert_int_equal(b.len, 0);
    assert_int_equal(mc_pbjson_indent("[\"abc", 5, &b, &err), MC_EINVAL);
    assert_int_equal(mc_pbjson_indent("[[1]", 4, &b, &err), MC_EINVAL);
    mc_buf_release(&b);
}

/* ---- decoding ------------------------------------------------------------------ */

static void test_lenient_values(void **state)
{
    PbtAll *a;
    (void)state;

    a = decode_ok(&all_descriptor,
        "{\"i32\":\"12\",\"s32\":-3,\"sf32\":\"1e2\",\"i64\":\"-9007199254740993\","
        "\"s64\":9007199254740993,\"sf64\":-9223372036854775808,\"u32\":4294967295,"
        "\"f32\":\"7\",\"u64\":18446744073709551615,\"f64\":\"18446744073709551615\","
        "\"fl\":\"1.5\",\"db\":\"-Infinity\",\"b\":\"true\",\"en\":\"BLUE\",\"str\":\"s\","
        "\"by\":\"aGn__g\",\"doubles\":[1,\"2.5\",\"NaN\"],\"longFieldName\":\"camel\"}");
    assert_int_equal(a->i32, 12);
    assert_int_equal(a->s32, -3);
    assert_int_equal(a->sf32, 100);
    assert_true(a->i64 == -9007199254740993LL);
    assert_true(a->s64 == 9007199254740993LL);
    assert_true(a->sf64 == INT64_MIN);
    assert_true(a->u32 == UINT32_MAX);
    assert_int_equal(a->f32, 7);
    assert_true(a->u64 == UINT64_MAX);
    assert_true(a->f64 == UINT64_MAX);
    assert_true(a->fl == 1.5f);
    assert_true(isinf(a->db) && a->db < 0);
    assert_true(a->b);
    assert_int_equal(a->en, 2);
    assert_string_equal(a->str, "s");
    assert_int_equal(a->by.len, 4);
    assert_memory_equal(a->by.data, "hi\xff\xfe", 4);
    assert_int_equal(a->n_doubles, 3);
    assert_true(a->doubles[1] == 2.5 && isnan(a->doubles[2]));
    assert_string_equal(a->long_field_name, "camel");
    protobuf_c_message_free_unpacked(&a->base, NULL);

    /* enums by number, bools as strings, bytes in every base64 flavour */
    reencode(&registry__event__descriptor, "{\"type\":2}",
             "{\"id\":\"\",\"type\":\"Update\",\"timestamp\":\"0\",\"service\":null}");
    reencode(&registry__event__descriptor, "{\"type\":\"1\"}",
             "{\"id\":\"\",\"type\":\"Delete\",\"timestamp\":\"0\",\"service\":null}");
    reencode(&store__read_options__descriptor, "{\"prefix\":\"1\",\"suffix\":\"false\"}",
             "{\"database\":\"\",\"table\":\"\",\"prefix\":true,\"suffix\":false,\"limit\":\"0\","
             "\"offset\":\"0\",\"order\":\"\"}");
    for (size_t i = 0; i < 4; i++) {
        static const char *const b64[] = { "aGn//g==", "aGn//g", "aGn__g==", "aGn__g" };
        char json[64];
        snprintf(json, sizeof(json), "{\"value\":\"%s\"}", b64[i]);
        reencode(&store__record__descriptor, json,
                 "{\"key\":\"\",\"value\":\"aGn//g==\",\"expiry\":\"0\",\"metadata\":{}}");
    }
}

static void test_names_unknown_and_null(void **state)
{
    (void)state;
    /* camelCase json names, unknown fields (of any shape) ignored, null = default */
    reencode(&google__rpc__any__descriptor,
             "{\"typeUrl\":\"t\",\"nope\":{\"x\":[1,{\"y\":null}]},\"value\":null,\"zz\":1}",
             "{\"type_url\":\"t\",\"value\":\"\"}");
    reencode(&registry__service__descriptor,
             "{\"name\":\"x\",\"metadata\":null,\"nodes\":null,\"options\":null}",
             "{\"name\":\"x\",\"version\":\"\",\"metadata\":{},\"endpoints\":[],\"nodes\":[],"
             "\"options\":null}");
    reencode(&registry__service__descriptor, "  ",
             "{\"name\":\"\",\"version\":\"\",\"metadata\":{},\"endpoints\":[],\"nodes\":[],"
             "\"options\":null}");
    reencode(&registry__service__descriptor, "null",
             "{\"name\":\"\",\"version\":\"\",\"metadata\":{},\"endpoints\":[],\"nodes\":[],"
             "\"options\":null}");
    reencode(&registry__service__descriptor, "{\"metadata\":{\"b\":\"2\",\"a\":\"1\"},\"options\":{}}",
             "{\"name\":\"\",\"version\":\"\",\"metadata\":{\"a\":\"1\",\"b\":\"2\"},\"endpoints\":[],"
             "\"nodes\":[],\"options\":{\"ttl\":\"0\",\"domain\":\"\"}}");
    /* oneof member and integer/bool map keys */
    reencode(&all_descriptor, "{\"pickStr\":\"p\",\"int_map\":{\"3\":\"c\",\"-4\":null},"
             "\"bool_map\":{\"true\":\"9\"}}",
             "{\"i32\":0,\"s32\":0,\"sf32\":0,\"i64\":\"0\",\"s64\":\"0\",\"sf64\":\"0\",\"u32\":0,"
             "\"f32\":0,\"u64\":\"0\",\"f64\":\"0\",\"fl\":0,\"db\":0,\"b\":false,\"en\":\"RED\","
             "\"str\":\"\",\"by\":\"\",\"child\":null,\"doubles\":[],\"int_map\":{\"-4\":\"\",\"3\":\"c\"},"
             "\"bool_map\":{\"true\":\"9\"},\"pick_str\":\"p\",\"long_field_name\":\"\"}");
}

static void test_precision_64bit(void **state)
{
    PbtAll *a;
    (void)state;

    /* 2^53 + 1 is not a double: the number's text must be used */
    a = decode_ok(&all_descriptor, "{\"i64\":9007199254740993,\"u64\":9007199254740993,"
                                   "\"doubles\":[9007199254740993],\"sf64\":-1e3}");
    assert_true(a->i64 == 9007199254740993LL);
    assert_true(a->u64 == 9007199254740993ULL);
    assert_true(a->doubles[0] == 9007199254740992.0);
    assert_true(a->sf64 == -1000);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    reencode(&registry__options__descriptor, "{\"ttl\":1234567890123456789}",
             "{\"ttl\":\"1234567890123456789\",\"domain\":\"\"}");
    /* a cJSON tree built without source text still decodes from the double */
    {
        cJSON *o = cJSON_CreateObject();
        ProtobufCMessage *m;
        cJSON_AddNumberToObject(o, "ttl", 4096);
        assert_int_equal(mc_pbjson_from_cjson(&registry__options__descriptor, o, NULL, &m, NULL), MC_OK);
        assert_int_equal(((Registry__Options *)m)->ttl, 4096);
        protobuf_c_message_free_unpacked(m, NULL);
        cJSON_Delete(o);
    }
}

static void test_errors_with_paths(void **state)
{
    (void)state;
    decode_err(&store__read_request__descriptor, "{\"options\":{\"limit\":\"abc\"}}", MC_EINVAL,
               "field options.limit: expected uint64, got \"abc\"");
    decode_err(&store__read_request__descriptor, "{\"options\":{\"limit\":-1}}", MC_EINVAL,
               "field options.limit: value -1 out of range for uint64");
    decode_err(&registry__service__descriptor,
               "{\"endpoints\":[{\"name\":\"a\"},{\"request\":{\"values\":[{\"name\":5}]}}]}", MC_EINVAL,
               "field endpoints[1].request.values[0].name: expected string, got 5");
    decode_err(&registry__service__descriptor, "{\"metadata\":{\"k\":1}}", MC_EINVAL,
               "field metadata[k]: expected string, got 1");
    decode_err(&registry__service__descriptor, "{\"nodes\":{}}", MC_EINVAL,
               "field nodes: expected array, got object");
    decode_err(&registry__service__descriptor, "{\"nodes\":[null]}", MC_EINVAL,
               "field nodes[0]: expected object, got null");
    decode_err(&registry__service__descriptor, "{\"options\":[]}", MC_EINVAL,
               "field options: expected object, got array");
    decode_err(&registry__service__descriptor, "[1]", MC_EINVAL,
               "expected a json object for registry.Service, got array");
    decode_err(&all_descriptor, "{\"i32\":3000000000}", MC_EINVAL,
               "field i32: value 3000000000 out of range for int32");
    decode_err(&all_descriptor, "{\"i64\":\"9223372036854775808\"}", MC_EINVAL,
               "field i64: value \"9223372036854775808\" out of range for int64");
    decode_err(&all_descriptor, "{\"i32\":1.5}", MC_EINVAL, "field i32: expected int32, got 1.5");
    decode_err(&all_descriptor, "{\"i32\":\" 1\"}", MC_EINVAL, NULL);
    decode_err(&all_descriptor, "{\"i32\":\"0x10\"}", MC_EINVAL, NULL);
    decode_err(&all_descriptor, "{\"fl\":1e39}", MC_EINVAL, "field fl: value 1e39 out of range for float");
    decode_err(&all_descriptor, "{\"db\":\"inf\"}", MC_EINVAL, "field db: expected double, got \"inf\"");
    decode_err(&all_descriptor, "{\"b\":1}", MC_EINVAL, "field b: expected bool, got 1");
    decode_err(&all_descriptor, "{\"en\":\"PURPLE\"}", MC_EINVAL,
               "field en: expected enum pbt.Color, got \"PURPLE\"");
    decode_err(&all_descriptor, "{\"by\":\"a$==\"}", MC_EINVAL,
               "field by: expected bytes (base64), got \"a$==\"");
    free(decode_ok(&all_descriptor, "{\"by\":\"\"}"));
    decode_err(&all_descriptor, "{\"by\":\"a\"}", MC_EINVAL, NULL);
    decode_err(&all_descriptor, "{\"str\":true}", MC_EINVAL, "field str: expected string, got true");
    decode_err(&all_descriptor, "{\"int_map\":{\"x\":\"1\"}}", MC_EINVAL,
               "field int_map[x]: expected int32 map key, got \"x\"");
    decode_err(&all_descriptor, "{\"bool_map\":{\"yes\":\"1\"}}", MC_EINVAL,
               "field bool_map[yes]: expected bool map key, got \"yes\"");
    decode_err(&all_descriptor, "{\"str\":\"a\",\"str\":\"b\"}", MC_EINVAL,
               "field str: given more than once");
    decode_err(&all_descriptor, "{\"long_field_name\":\"a\",\"longFieldName\":\"b\"}", MC_EINVAL, NULL);
    decode_err(&all_descriptor, "{\"pick_str\":\"a\",\"pick_num\":1}", MC_EINVAL,
               "field pick_num: another member of its oneof is set");
    /* errors after allocations deep inside must not leak (ASan checks) */
    decode_err(&all_descriptor, "{\"child\":{\"child\":{\"str\":\"x\",\"doubles\":[1,\"z\"]}}}", MC_EINVAL,
               "field child.child.doubles[1]: expected double, got \"z\"");
}

static void test_invalid_json(void **state)
{
    (void)state;
    decode_err(&registry__service__descriptor, "{\"name\":", MC_EINVAL, NULL);
    decode_err(&registry__service__descriptor, "{\"name\":\"x\"} x", MC_EINVAL,
               "invalid json: trailing data at byte 13");
    decode_err(&registry__service__descriptor, "{\"name\":\"x\"}{}", MC_EINVAL, NULL);
    decode_err(&registry__service__descriptor, "{'name':1}", MC_EINVAL, NULL);
}

static char *nested_values(unsigned levels)
{
    struct mc_buf b;

    mc_buf_init(&b, 1 << 20);
    for (unsigned i = 0; i < levels; i++)
        mc_buf_append_str(&b, "{\"values\":[");
    for (unsigned i = 0; i < levels; i++)
        mc_buf_append_str(&b, "]}");
    return mc_buf_detach(&b, NULL);
}

static void test_limits(void **state)
{
    ProtobufCMessage *m;
    struct mc_pbjson_err err;
    struct mc_buf b;
    char *json, *big;
    (void)state;

    json = nested_values(MC_PBJSON_MAX_DEPTH);
    m = decode_ok(&registry__value__descriptor, json);
    free(json);
    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    assert_int_equal(mc_pbjson_encode(m, 0, &b, &err), MC_OK);
    protobuf_c_message_free_unpacked(m, NULL);
    mc_buf_release(&b);

    json = nested_values(MC_PBJSON_MAX_DEPTH + 1);
    decode_err(&registry__value__descriptor, json, MC_ETOOBIG, NULL);
    free(json);
    json = nested_values(5000);   /* beyond cJSON's own nesting limit */
    decode_err(&registry__value__descriptor, json, MC_EINVAL, NULL);
    free(json);

    big = mc_malloc(MC_PBJSON_MAX_INPUT + 1);
    memset(big, ' ', MC_PBJSON_MAX_INPUT + 1);
    m = (ProtobufCMessage *)1;
    assert_int_equal(mc_pbjson_decode(&registry__value__descriptor, big, MC_PBJSON_MAX_INPUT + 1,
                                      NULL, &m, &err), MC_ETOOBIG);
    assert_null(m);
    free(big);
}

/* Wire bytes of Value nested n deep: each level is field 3, length-delimited. */
static uint8_t *nested_wire(unsigned n, size_t *len)
{
    uint8_t *p = mc_malloc(n * 6 + 1);
    size_t inner = 0;

    /* build from the inside out: [tag][len varint][inner] */
    for (unsigned i = 0; i < n; i++) {
        uint8_t hdr[6];
        size_t h = 0, v = inner;
        hdr[h++] = (3 << 3) | 2;
        do {
            hdr[h++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
            v >>= 7;
        } while (v);
        memmove(p + h, p, inner);
        memcpy(p, hdr, h);
        inner += h;
    }
    *len = inner;
    return p;
}

static void test_wire_limits(void **state)
{
    struct mc_pbjson_err err;
    struct mc_buf b;
    uint8_t *w;
    size_t n;
    (void)state;

    mc_buf_init(&b, MC_PBJSON_MAX_INPUT);
    w = nested_wire(MC_PBJSON_MAX_DEPTH - 1, &n);
    assert_int_equal(mc_pbjson_wire_check(&registry__value__descriptor, w, n, MC_PBJSON_MAX_DEPTH), MC_OK);
    assert_int_equal(mc_pbjson_proto_to_json(&registry__value__descriptor, w, n, 0, &b, &err), MC_OK);
    free(w);
    mc_buf_reset(&b);
    w = nested_wire(MC_PBJSON_MAX_DEPTH, &n);
    assert_int_equal(mc_pbjson_wire_check(&registry__value__descriptor, w, n, MC_PBJSON_MAX_DEPTH),
                     MC_ETOOBIG);
    assert_int_equal(mc_pbjson_proto_to_json(&registry__value__descriptor, w, n, 0, &b, &err), MC_ETOOBIG);
    assert_int_equal(b.len, 0);
    /* truncated: the outer length now points past the end */
    assert_int_equal(mc_pbjson_wire_check(&registry__value__descriptor, w, n - 1, 100), MC_EINVAL);
    assert_int_equal(mc_pbjson_proto_to_json(&registry__value__descriptor, w, n - 1, 0, &b, &err),
                     MC_EINVAL);
    free(w);
    mc_buf_release(&b);
}

static void test_output_caps(void **state)
{
    Registry__Service svc = REGISTRY__SERVICE__INIT;
    struct mc_pbjson_err err;
    struct mc_buf b;
    (void)state;

    svc.name = "a-fairly-long-service-name";
    mc_buf_init(&b, 40);
    mc_buf_append_str(&b, "keep:");
    assert_int_equal(mc_pbjson_encode(&svc.base, 0, &b, &err), MC_ETOOBIG);
    assert_string_equal(mc_buf_cstr(&b), "keep:");
    assert_string_equal(err.msg, "json output exceeds 40 bytes");
    {
        const char *j = "{\"name\":\"a-fairly-long-service-name-that-is-longer\"}";
        assert_int_equal(mc_pbjson_json_to_proto(&registry__service__descriptor, j, strlen(j), &b, &err),
                         MC_ETOOBIG);
    }
    assert_string_equal(mc_buf_cstr(&b), "keep:");
    mc_buf_release(&b);
}

static void test_arena_allocator(void **state)
{
    struct mc_arena arena;
    ProtobufCMessage *m;
    struct mc_pbjson_err err;
    const char *json = "{\"name\":\"x\",\"metadata\":{\"a\":\"b\"},\"nodes\":[{\"id\":\"n\"}]}";
    (void)state;

    mc_arena_init(&arena);
    assert_int_equal(mc_pbjson_decode(&registry__service__descriptor, json, strlen(json),
                                      mc_arena_pb(&arena), &m, &err), MC_OK);
    assert_string_equal(((Registry__Service *)m)->nodes[0]->id, "n");
    /* an error releases into the arena too: nothing to free, nothing leaks */
    assert_int_equal(mc_pbjson_decode(&registry__service__descriptor, "{\"nodes\":[{\"id\":1}]}", 20,
                                      mc_arena_pb(&arena), &m, &err), MC_EINVAL);
    mc_arena_release(&arena);
}

/* Numbers follow RFC 8259, not strtod: their text is kept and sent on, so
 * "1." or "01" would reach strict clients (found by fuzz_config_path). */
static void test_parse_number_grammar(void **state)
{
    static const char *const bad[] = { "1.", "[1.]", "01", "-", "1e", "1e+", "+1", "-01",
                                       "{\"a\":.5}", "[0x10]" };
    static const char *const good[] = { "0", "-0", "1.5", "1e5", "1E+2", "-1.5e-3",
                                        "3E666666", "[\"01\",\"1.\"]", "{\"a\":[0,10]}" };
    cJSON *j;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mc_pbjson_parse(bad[i], strlen(bad[i]), &j, NULL), MC_EINVAL);
        assert_null(j);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(mc_pbjson_parse(good[i], strlen(good[i]), &j, NULL), MC_OK);
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_number_grammar),
        cmocka_unit_test(test_round_trip_every_proto),
        cmocka_unit_test(test_registry_service_text),
        cmocka_unit_test(test_empty_message_and_defaults),
        cmocka_unit_test(test_scalars_text),
        cmocka_unit_test(test_float_text),
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_maps_oneof_text),
        cmocka_unit_test(test_indent_utility),
        cmocka_unit_test(test_lenient_values),
        cmocka_unit_test(test_names_unknown_and_null),
        cmocka_unit_test(test_precision_64bit),
        cmocka_unit_test(test_errors_with_paths),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_wire_limits),
        cmocka_unit_test(test_output_caps),
        cmocka_unit_test(test_arena_allocator),
    };
    return cmocka_run_group_tests_name("pbjson", tests, NULL, NULL);
}
