/*
 * Endpoint schemas from protobuf-c descriptors (spec §5.4). Upstream derives
 * them by reflecting over Go structs; we walk the message descriptors instead
 * and produce the same {name, type, values} trees with Go type names, so the
 * registry holds the same schemas whichever implementation registered them.
 * Every allocation is plain malloc so protobuf_c_message_free_unpacked frees
 * the trees (see mc_schema.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_common.h"
#include "mc_schema.h"

#include "mc_banned.h"

/* Longest handler name accepted by mc_schema_endpoint_new. */
#define MC_SCHEMA_MAX_HANDLER_LEN 256

struct schema_build {
    size_t nodes; /* Values created so far, against MC_SCHEMA_MAX_NODES */
};

static int expand_message(struct schema_build *b, const ProtobufCMessageDescriptor *desc,
                          unsigned depth, Registry__Value *v);

/* Go's name for a scalar protobuf type; NULL for enums and messages. */
static const char *scalar_go_name(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return "int32";
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return "int64";
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return "uint32";
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return "uint64";
    case PROTOBUF_C_TYPE_FLOAT:
        return "float32";
    case PROTOBUF_C_TYPE_DOUBLE:
        return "float64";
    case PROTOBUF_C_TYPE_BOOL:
        return "bool";
    case PROTOBUF_C_TYPE_STRING:
        return "string";
    case PROTOBUF_C_TYPE_BYTES:
        return "[]uint8"; /* Go's []byte, as reflect names it */
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return NULL;
}

/* The type name of one element of f (ignoring repeated): scalar, enum or message. */
static const char *elem_go_name(const ProtobufCFieldDescriptor *f)
{
    if (f->type == PROTOBUF_C_TYPE_ENUM) {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        return e ? e->short_name : NULL;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessageDescriptor *m = f->descriptor;
        return m ? m->short_name : NULL;
    }
    return scalar_go_name(f->type);
}

static const ProtobufCFieldDescriptor *field_by_number(const ProtobufCMessageDescriptor *d,
                                                       uint32_t id)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].id == id)
            return &d->fields[i];
    return NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/*
 * protobuf-c keeps no "map" flag: a map<K,V> field is a repeated field of a
 * synthesized message nested in the parent, named <Field>Entry, with key = 1
 * and value = 2. We recognise exactly that shape. A hand-written message of
 * the same shape is wire-identical to a map, so calling it one is harmless.
 */
static bool is_map_field(const ProtobufCMessageDescriptor *parent,
                         const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *e = f->descriptor;
    const ProtobufCFieldDescriptor *k, *v;
    size_t plen;

    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e)
        return false;
    if (e->n_fields != 2 || !e->fields || !e->name || !e->short_name || !parent->name)
        return false;
    if (!has_suffix(e->short_name, "Entry"))
        return false;
    plen = strlen(parent->name);
    if (strncmp(e->name, parent->name, plen) != 0 || e->name[plen] != '.' ||
        strcmp(e->name + plen + 1, e->short_name) != 0)
        return false;
    k = field_by_number(e, 1);
    v = field_by_number(e, 2);
    return k && v && k->name && v->name && strcmp(k->name, "key") == 0 &&
           strcmp(v->name, "value") == 0;
}

/* Appends the Go type of f to b: elem, []elem or map[K]V. */
static int append_field_type(struct mc_buf *b, const ProtobufCMessageDescriptor *parent,
                             const ProtobufCFieldDescriptor *f)
{
    const char *k, *v;

    if (is_map_field(parent, f)) {
        const ProtobufCMessageDescriptor *e = f->descriptor;
        k = elem_go_name(field_by_number(e, 1));
        v = elem_go_name(field_by_number(e, 2));
        if (!k || !v)
            return MC_EINVAL;
        return mc_buf_appendf(b, "map[%s]%s", k, v);
    }
    v = elem_go_name(f);
    if (!v)
        return MC_EINVAL;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return mc_buf_appendf(b, "[]%s", v);
    return mc_buf_append_str(b, v);
}

/* A new Value owning name and type (both malloc'd). */
static Registry__Value *value_make(char *name, char *type)
{
    Registry__Value *v = mc_malloc(sizeof(*v));

    registry__value__init(v);
    v->name = name;
    v->type = type;
    return v;
}

/* Counts one more Value against the tree's limit. */
static int take_node(struct schema_build *b)
{
    if (b->nodes >= MC_SCHEMA_MAX_NODES)
        return MC_ETOOBIG;
    b->nodes++;
    return 0;
}

/* The Value of field f of parent, placed at depth (root = 0). */
static int field_value(struct schema_build *b, const ProtobufCMessageDescriptor *parent,
                       const ProtobufCFieldDescriptor *f, unsigned depth,
                       Registry__Value **out)
{
    struct mc_buf type;
    Registry__Value *v;
    int rc;

    *out = NULL;
    if (!f->name)
        return MC_EINVAL;
    rc = take_node(b);
    if (rc)
        return rc;
    mc_buf_init(&type, MC_SCHEMA_MAX_TYPE_LEN);
    rc = append_field_type(&type, parent, f);
    if (rc) {
        mc_buf_release(&type);
        return rc;
    }
    v = value_make(mc_strdup(f->name), mc_buf_detach(&type, NULL));
    /* Only a singular message gets nested values; repeated and map fields
     * stay flat, as upstream. */
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
        rc = expand_message(b, f->descriptor, depth, v);
        if (rc) {
            mc_schema_value_free(v);
            return rc;
        }
    }
    *out = v;
    return 0;
}

/* Fills v->values with the fields of desc, unless that would pass the depth
 * limit. On error v holds the fields built so far (still freeable). */
static int expand_message(struct schema_build *b, const ProtobufCMessageDescriptor *desc,
                          unsigned depth, Registry__Value *v)
{
    if (depth + 1 >= MC_SCHEMA_MAX_DEPTH || desc->n_fields == 0)
        return 0;
    if (!desc->fields)
        return MC_EINVAL;
    v->values = mc_calloc(desc->n_fields, sizeof(*v->values));
    for (unsigned i = 0; i < desc->n_fields; i++) {
        Registry__Value *child;
        int rc = field_value(b, desc, &desc->fields[i], depth + 1, &child);

        if (rc)
            return rc;
        v->values[v->n_values++] = child;
    }
    return 0;
}

int mc_schema_value_new(const ProtobufCMessageDescriptor *desc, Registry__Value **out)
{
    struct schema_build b = { 0 };
    Registry__Value *v;
    int rc;

    if (out)
        *out = NULL;
    if (!desc || !out || !desc->short_name)
        return MC_EINVAL;
    b.nodes = 1;
    v = value_make(mc_strdup(desc->short_name), mc_strdup(desc->short_name));
    rc = expand_message(&b, desc, 0, v);
    if (rc) {
        mc_schema_value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void mc_schema_value_free(Registry__Value *v)
{
    if (v)
        protobuf_c_message_free_unpacked(&v->base, NULL);
}

const char *mc_schema_stream_name(enum mc_schema_stream kind)
{
    switch (kind) {
    case MC_SCHEMA_SERVER_STREAM:
        return "server";
    case MC_SCHEMA_CLIENT_STREAM:
        return "client";
    case MC_SCHEMA_BIDI_STREAM:
        return "bidi";
    case MC_SCHEMA_UNARY:
        break;
    }
    return NULL;
}

static void endpoint_add_meta(Registry__Endpoint *ep, const char *key, const char *value)
{
    Registry__Endpoint__MetadataEntry *e = mc_malloc(sizeof(*e));

    registry__endpoint__metadata_entry__init(e);
    e->key = mc_strdup(key);
    e->value = mc_strdup(value);
    ep->metadata = mc_realloc(ep->metadata, (ep->n_metadata + 1) * sizeof(*ep->metadata));
    ep->metadata[ep->n_metadata++] = e;
}

static bool stream_kind_valid(enum mc_schema_stream kind)
{
    return kind == MC_SCHEMA_UNARY || mc_schema_stream_name(kind) != NULL;
}

int mc_schema_endpoint_new(const char *handler, const ProtobufCMethodDescriptor *method,
                           enum mc_schema_stream kind, Registry__Endpoint **out)
{
    Registry__Endpoint *ep;
    size_t hlen, n;
    int rc;

    if (out)
        *out = NULL;
    if (!handler || !method || !method->name || !method->input || !method->output || !out ||
        !stream_kind_valid(kind))
        return MC_EINVAL;
    hlen = strnlen(handler, MC_SCHEMA_MAX_HANDLER_LEN + 1);
    if (hlen > MC_SCHEMA_MAX_HANDLER_LEN)
        return MC_ETOOBIG;
    ep = mc_malloc(sizeof(*ep));
    registry__endpoint__init(ep);
    n = hlen + 1 + strlen(method->name) + 1;
    ep->name = mc_malloc(n);
    snprintf(ep->name, n, "%s.%s", handler, method->name);
    rc = mc_schema_value_new(method->input, &ep->request);
    if (rc == 0)
        rc = mc_schema_value_new(method->output, &ep->response);
    if (rc) {
        mc_schema_endpoint_free(ep);
        return rc;
    }
    if (kind != MC_SCHEMA_UNARY) {
        endpoint_add_meta(ep, "stream", "true");
        endpoint_add_meta(ep, "stream_kind", mc_schema_stream_name(kind));
    }
    *out = ep;
    return 0;
}

void mc_schema_endpoint_free(Registry__Endpoint *ep)
{
    if (ep)
        protobuf_c_message_free_unpacked(&ep->base, NULL);
}

void mc_schema_endpoints_free(Registry__Endpoint **eps, size_t n)
{
    if (!eps)
        return;
    for (size_t i = 0; i < n; i++)
        mc_schema_endpoint_free(eps[i]);
    free(eps);
}

/* Checks that every spec names a method of svc with a valid kind. */
static int check_stream_specs(const ProtobufCServiceDescriptor *svc,
                              const struct mc_schema_stream_spec *streams, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool found = false;

        if (!streams[i].method || !stream_kind_valid(streams[i].kind))
            return MC_EINVAL;
        for (unsigned m = 0; m < svc->n_methods && !found; m++)
            found = svc->methods[m].name && strcmp(svc->methods[m].name, streams[i].method) == 0;
        if (!found)
            return MC_EINVAL;
    }
    return 0;
}

static enum mc_schema_stream stream_kind_of(const char *method,
                                            const struct mc_schema_stream_spec *streams, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(streams[i].method, method) == 0)
            return streams[i].kind;
    return MC_SCHEMA_UNARY;
}

int mc_schema_service_endpoints(const ProtobufCServiceDescriptor *svc,
                                const struct mc_schema_stream_spec *streams, size_t n_streams,
                                Registry__Endpoint ***out, size_t *n_out)
{
    Registry__Endpoint **eps;
    int rc;

    if (out)
        *out = NULL;
    if (n_out)
        *n_out = 0;
    if (!svc || !out || !n_out || !svc->short_name || (svc->n_methods && !svc->methods) ||
        (n_streams && !streams))
        return MC_EINVAL;
    rc = check_stream_specs(svc, streams, n_streams);
    if (rc)
        return rc;
    /* At least one slot, so success always hands back a freeable array. */
    eps = mc_calloc(svc->n_methods ? svc->n_methods : 1, sizeof(*eps));
    for (unsigned i = 0; i < svc->n_methods; i++) {
        const ProtobufCMethodDescriptor *m = &svc->methods[i];

        rc = m->name ? mc_schema_endpoint_new(svc->short_name, m,
                                              stream_kind_of(m->name, streams, n_streams),
                                              &eps[i])
                     : MC_EINVAL;
        if (rc) {
            mc_schema_endpoints_free(eps, i);
            return rc;
        }
    }
    *out = eps;
    *n_out = svc->n_methods;
    return 0;
}

/* The `stream` keywords of proto/ (protobuf-c drops them from descriptors). */
static const struct mc_schema_stream_spec registry_registry_streams[] = {
    { "Watch", MC_SCHEMA_SERVER_STREAM },
};
static const struct mc_schema_stream_spec store_store_streams[] = {
    { "List", MC_SCHEMA_SERVER_STREAM },
};
static const struct mc_schema_stream_spec store_blobstore_streams[] = {
    { "Read", MC_SCHEMA_SERVER_STREAM },
    { "Write", MC_SCHEMA_CLIENT_STREAM },
};
static const struct mc_schema_stream_spec broker_broker_streams[] = {
    { "Subscribe", MC_SCHEMA_SERVER_STREAM },
};
/* Declared server-streaming, but the client acks up the same stream. */
static const struct mc_schema_stream_spec events_stream_streams[] = {
    { "Consume", MC_SCHEMA_BIDI_STREAM },
};
static const struct mc_schema_stream_spec runtime_runtime_streams[] = {
    { "Logs", MC_SCHEMA_SERVER_STREAM },
};
static const struct mc_schema_stream_spec runtime_source_streams[] = {
    { "Upload", MC_SCHEMA_CLIENT_STREAM },
};
static const struct mc_schema_stream_spec runtime_build_streams[] = {
    { "Read", MC_SCHEMA_SERVER_STREAM },
};
static const struct mc_schema_stream_spec router_router_streams[] = {
    { "Watch", MC_SCHEMA_SERVER_STREAM },
};

#define CORE_STREAMS(svc, table) { svc, table, MC_ARRAY_LEN(table) }
static const struct {
    const char *service;
    const struct mc_schema_stream_spec *specs;
    size_t n;
} core_streams[] = {
    CORE_STREAMS("registry.Registry", registry_registry_streams),
    CORE_STREAMS("store.Store", store_store_streams),
    CORE_STREAMS("store.BlobStore", store_blobstore_streams),
    CORE_STREAMS("broker.Broker", broker_broker_streams),
    CORE_STREAMS("events.Stream", events_stream_streams),
    CORE_STREAMS("runtime.Runtime", runtime_runtime_streams),
    CORE_STREAMS("runtime.Source", runtime_source_streams),
    CORE_STREAMS("runtime.Build", runtime_build_streams),
    CORE_STREAMS("router.Router", router_router_streams),
};
#undef CORE_STREAMS

const struct mc_schema_stream_spec *mc_schema_core_streams(const char *service, size_t *n)
{
    if (n)
        *n = 0;
    if (!service || !n)
        return NULL;
    for (size_t i = 0; i < MC_ARRAY_LEN(core_streams); i++) {
        if (strcmp(core_streams[i].service, service) == 0) {
            *n = core_streams[i].n;
            return core_streams[i].specs;
        }
    }
    return NULL;
}

static const char *endpoint_meta(const Registry__Endpoint *ep, const char *key)
{
    if (!ep->metadata)
        return NULL;
    for (size_t i = 0; i < ep->n_metadata; i++) {
        const Registry__Endpoint__MetadataEntry *e = ep->metadata[i];

        if (e && e->key && e->value && strcmp(e->key, key) == 0)
            return e->value;
    }
    return NULL;
}

enum mc_schema_stream mc_schema_endpoint_stream_kind(const Registry__Endpoint *ep)
{
    const char *s, *kind;

    if (!ep)
        return MC_SCHEMA_UNARY;
    s = endpoint_meta(ep, "stream");
    if (!s || strcmp(s, "true") != 0)
        return MC_SCHEMA_UNARY;
    kind = endpoint_meta(ep, "stream_kind");
    if (kind && strcmp(kind, "server") == 0)
        return MC_SCHEMA_SERVER_STREAM;
    if (kind && strcmp(kind, "client") == 0)
        return MC_SCHEMA_CLIENT_STREAM;
    /* Upstream publishes no kind; micro opens every stream as bidi. */
    return MC_SCHEMA_BIDI_STREAM;
}

static cJSON *render_value(const Registry__Value *v, unsigned depth)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *values;

    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "name", v->name ? v->name : "") ||
        !cJSON_AddStringToObject(o, "type", v->type ? v->type : ""))
        goto fail;
    values = cJSON_AddArrayToObject(o, "values");
    if (!values)
        goto fail;
    if (depth + 1 >= MC_SCHEMA_MAX_RENDER_DEPTH || !v->values)
        return o;
    for (size_t i = 0; i < v->n_values; i++) {
        cJSON *child;

        if (!v->values[i])
            continue;
        child = render_value(v->values[i], depth + 1);
        if (!child)
            goto fail;
        if (!cJSON_AddItemToArray(values, child)) {
            cJSON_Delete(child);
            goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

cJSON *mc_schema_value_to_json(const Registry__Value *v)
{
    return v ? render_value(v, 0) : NULL;
}
