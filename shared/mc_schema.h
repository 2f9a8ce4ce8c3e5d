/*
 * Endpoint schemas (spec §5.4): from protobuf-c descriptors this module builds
 * the registry `Value` tree that describes a message ({name, type, values}
 * with Go type names, as upstream's reflection-based extractor produces) and
 * the `Endpoint`s of a service, so a service can publish them in its
 * registration and the CLI can turn them into flags. The results are the
 * generated registry.proto structs (Registry__Value, Registry__Endpoint), ready
 * to be put into a Registry__Service. It also renders a Value tree as JSON in
 * the shape `micro registry getService` prints.
 *
 * Memory: every string, array and sub-message of a returned tree comes from
 * malloc, exactly as protobuf_c_message_free_unpacked(msg, NULL) expects. So a
 * tree can be freed with the functions below, or attached to a larger message
 * (e.g. a Registry__Service) and freed with it in one
 * protobuf_c_message_free_unpacked call.
 */
#ifndef MC_SCHEMA_H
#define MC_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#include "registry.pb-c.h"

/* A Value tree has at most this many levels (the root is level 1), as upstream:
 * a message field on the last level keeps its name and type but gets no values.
 * This also makes self-recursive messages terminate. */
#define MC_SCHEMA_MAX_DEPTH 6
/* Most Values in one tree; a wider schema is refused (MC_ETOOBIG) instead of
 * growing exponentially through mutually nested messages. */
#define MC_SCHEMA_MAX_NODES 4096
/* Longest type string ("map[string]SomeMessage"); longer is MC_ETOOBIG. */
#define MC_SCHEMA_MAX_TYPE_LEN 256
/* mc_schema_value_to_json stops descending after this many levels (trees from
 * the wire can be deeper than ours); deeper Values render with "values": []. */
#define MC_SCHEMA_MAX_RENDER_DEPTH 32

/*
 * Which side of a method streams. protobuf-c's method descriptors do not keep
 * the `stream` keywords of the .proto, so callers say it (see
 * mc_schema_core_streams for the core services).
 *
 * Published in the endpoint metadata as:
 *   unary          no "stream" key (metadata {})
 *   SERVER         stream: "true", stream_kind: "server"   (stream response)
 *   CLIENT         stream: "true", stream_kind: "client"   (stream request)
 *   BIDI           stream: "true", stream_kind: "bidi"
 * "stream" is what upstream publishes; "stream_kind" is ours. A client reading
 * an upstream (Go) registration sees stream: "true" without stream_kind and
 * should treat it as BIDI: micro opens every stream as a bidi gRPC stream.
 */
enum mc_schema_stream {
    MC_SCHEMA_UNARY = 0,
    MC_SCHEMA_SERVER_STREAM,
    MC_SCHEMA_CLIENT_STREAM,
    MC_SCHEMA_BIDI_STREAM,
};

/* One streaming method of a service, by its method name (e.g. "Watch"). */
struct mc_schema_stream_spec {
    const char *method;
    enum mc_schema_stream kind;
};

/*
 * Builds the Value tree of a message: {name: ShortName, type: ShortName,
 * values: one Value per field in field-number order}. Field Values are named
 * after the proto field as written and typed with Go type names: string, bool,
 * int32, int64, uint32, uint64, float32, float64 (sint*, sfixed*, fixed* map to
 * the matching int types), []uint8 for bytes, the short name of an enum, the
 * short name of a message (with nested values), []Elem for repeated fields and
 * map[K]V for maps (both without nested values).
 * On success *out is a new tree owned by the caller (mc_schema_value_free).
 * Errors: MC_EINVAL (NULL argument or a malformed descriptor), MC_ETOOBIG (more
 * than MC_SCHEMA_MAX_NODES Values or a type string past MC_SCHEMA_MAX_TYPE_LEN).
 * On error *out is NULL and nothing is leaked.
 */
int mc_schema_value_new(const ProtobufCMessageDescriptor *desc, Registry__Value **out);

/* Frees a tree from mc_schema_value_new (or any malloc-built Registry__Value). NULL is a no-op. */
void mc_schema_value_free(Registry__Value *v);

/*
 * Builds the Endpoint "<handler>.<method->name>" with the Value trees of the
 * method's input and output messages and the stream metadata described above.
 * handler is copied (e.g. "Registry"). On success *out is owned by the caller
 * (mc_schema_endpoint_free). Errors as mc_schema_value_new, plus MC_EINVAL for
 * an unknown kind and MC_ETOOBIG for a handler longer than 256 bytes; *out is
 * NULL on error.
 */
int mc_schema_endpoint_new(const char *handler, const ProtobufCMethodDescriptor *method,
                           enum mc_schema_stream kind, Registry__Endpoint **out);

/* Frees an endpoint from mc_schema_endpoint_new. NULL is a no-op. */
void mc_schema_endpoint_free(Registry__Endpoint *ep);

/*
 * Builds the endpoints of every method of a service, in .proto order, with
 * handler name = the service's short name (e.g. "Registry", "BlobStore").
 * streams lists the streaming methods (n_streams entries; NULL/0 = all unary).
 * On success *out is a malloc'd array of *n_out endpoints owned by the caller
 * (mc_schema_endpoints_free; the array and its elements can also be handed to
 * a Registry__Service's endpoints/n_endpoints and freed with it).
 * Errors: MC_EINVAL (NULL argument, or a spec naming a method the service does
 * not have), and those of mc_schema_endpoint_new. On error *out is NULL,
 * *n_out is 0 and nothing is leaked.
 */
int mc_schema_service_endpoints(const ProtobufCServiceDescriptor *svc,
                                const struct mc_schema_stream_spec *streams, size_t n_streams,
                                Registry__Endpoint ***out, size_t *n_out);

/* Frees an array from mc_schema_service_endpoints and its n endpoints. NULL is a no-op. */
void mc_schema_endpoints_free(Registry__Endpoint **eps, size_t n);

/*
 * The streaming methods of one of our core services, by full service name
 * ("registry.Registry", "store.BlobStore", "events.Stream", ...): the one place
 * that records the `stream` keywords of our .proto files. events Stream.Consume is
 * listed as BIDI because the client sends AckRequests up the stream (the proto
 * declares it server-streaming, as upstream). Returns a static table and sets
 * *n; a service with no streams (or unknown) gives NULL and *n = 0.
 */
const struct mc_schema_stream_spec *mc_schema_core_streams(const char *service, size_t *n);

/*
 * The stream kind an endpoint advertises in its metadata (see above): UNARY
 * without stream: "true", BIDI for stream: "true" with no or an unknown
 * stream_kind. ep may come from the wire; NULL gives UNARY.
 */
enum mc_schema_stream mc_schema_endpoint_stream_kind(const Registry__Endpoint *ep);

/* The metadata word for a kind: "server", "client", "bidi", or NULL for UNARY. */
const char *mc_schema_stream_name(enum mc_schema_stream kind);

/*
 * Renders a Value tree as {"name": ..., "type": ..., "values": [...]} (keys in
 * that order, "values" always an array, NULL strings as ""). v may come from
 * the wire: levels past MC_SCHEMA_MAX_RENDER_DEPTH render with empty values.
 * Returns a new cJSON object owned by the caller (cJSON_Delete), or NULL when v
 * is NULL or cJSON cannot allocate.
 */
cJSON *mc_schema_value_to_json(const Registry__Value *v);

#endif
