/*
 * JSON <-> protobuf transcoding for ANY protobuf-c message, driven only by its
 * ProtobufCMessageDescriptor (no per-message code). The JSON dialect is the one
 * upstream micro speaks: Go's jsonpb with OrigName + EmitDefaults. Encoding
 * writes original (snake_case) field names in field-number order, every field
 * present (defaults included; an unset singular sub-message is `null`, as Go
 * does), 64-bit integers as strings, 32-bit ones as numbers, floats in Go's
 * shortest round-trip form (NaN/Infinity/-Infinity as strings), bytes as padded
 * standard base64, enums by value name (the number when the value has no name),
 * maps as objects with keys sorted (bytewise for strings, numerically for
 * integers, false < true), oneofs as their set member only, strings escaped as
 * Go's encoding/json does (<, >, & and U+2028/9 as \u escapes, invalid UTF-8 as
 * \ufffd). Decoding is lenient as upstream's fallback decoder: original or
 * lowerCamelCase names, unknown fields ignored, numbers/bools/floats given as
 * strings, 64-bit integers as numbers or strings without precision loss (the
 * number's text is kept, cJSON alone would round it through a double), enums
 * by name or number, bytes as standard or URL-safe base64 with or without
 * padding, `null` as the default. Errors name the field path, e.g.
 * `field options.limit: expected uint64, got "abc"`. Every entry point is
 * sans-IO and bounded: input size (MC_PBJSON_MAX_INPUT) and message nesting
 * (MC_PBJSON_MAX_DEPTH) are capped, output goes to a capped mc_buf.
 */
#ifndef MC_PBJSON_H
#define MC_PBJSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#include "mc_buf.h"
#include "mc_common.h"

/* Largest JSON text or protobuf payload accepted (the 32 MiB message limit). */
#define MC_PBJSON_MAX_INPUT (32u * 1024u * 1024u)
/* Deepest message nesting accepted or produced (the top message is level 1). */
#define MC_PBJSON_MAX_DEPTH 64

/* Output style flags for the encoders. */
enum mc_pbjson_flags {
    MC_PBJSON_COMPACT = 0,
    /* Newline + one tab per level, `"key": value`, empty `[]`/`{}` kept
     * compact: byte for byte Go's json.MarshalIndent(v, "", "\t"), which is
     * how the CLI prints responses. */
    MC_PBJSON_INDENT = 1 << 0,
};

/* Detail of the first error (first error wins, later ones are dropped). */
struct mc_pbjson_err {
    int code;        /* MC_OK or the negative code the function returned */
    char msg[256];   /* lower case, no final period; "" when code is MC_OK */
};

/* ---- encoding: message -> JSON ------------------------------------------- */

/*
 * Appends the JSON text of msg to out. msg is borrowed and unchanged.
 * Errors: MC_ETOOBIG when out would pass its max or the message nests deeper
 * than MC_PBJSON_MAX_DEPTH, MC_EINVAL for a malformed message (NULL string in
 * a repeated field and such). On error out is truncated back to its length at
 * the call; err (may be NULL) gets the detail.
 */
int mc_pbjson_encode(const ProtobufCMessage *msg, unsigned flags, struct mc_buf *out,
                     struct mc_pbjson_err *err);

/*
 * The same document as a cJSON tree (*out, the caller frees it with
 * cJSON_Delete). Built from the encoder's text, so both always agree; number
 * items carry their exact text as described at mc_pbjson_parse. Errors as
 * mc_pbjson_encode (output capped at MC_PBJSON_MAX_INPUT); *out is NULL then.
 */
int mc_pbjson_to_cjson(const ProtobufCMessage *msg, cJSON **out, struct mc_pbjson_err *err);

/* ---- decoding: JSON -> message ------------------------------------------- */

/*
 * Decodes len bytes of JSON text into a new message of type desc (*out).
 * Empty or all-whitespace text and a top-level `null` give an empty message
 * (as upstream's codec does for an empty body). All memory of the message
 * comes from allocator (NULL = malloc): free it with
 * protobuf_c_message_free_unpacked(*out, allocator), or by releasing the arena
 * when allocator is an mc_arena's `pb`.
 * Errors: MC_ETOOBIG when len > MC_PBJSON_MAX_INPUT or nesting passes
 * MC_PBJSON_MAX_DEPTH; MC_EINVAL for invalid JSON, a wrong type, a value out
 * of range, a duplicated field or a second member of a oneof; MC_ENOMEM when
 * allocator returns NULL. On error *out is NULL and nothing is leaked.
 */
int mc_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                     ProtobufCAllocator *allocator, ProtobufCMessage **out,
                     struct mc_pbjson_err *err);

/*
 * As mc_pbjson_decode from an already parsed document (borrowed, unchanged).
 * A number item whose valuestring is set (trees from mc_pbjson_parse) is read
 * from that exact text; otherwise from valuedouble, so 64-bit integers beyond
 * 2^53 built with cJSON_CreateNumber are already rounded: pass them as strings.
 */
int mc_pbjson_from_cjson(const ProtobufCMessageDescriptor *desc, const cJSON *json,
                         ProtobufCAllocator *allocator, ProtobufCMessage **out,
                         struct mc_pbjson_err *err);

/*
 * Parses JSON text with cJSON and keeps each number's source text in the
 * item's valuestring (cJSON only keeps a double, which rounds integers beyond
 * 2^53; cJSON_Delete frees the text with the item). The whole input must be
 * one JSON value plus whitespace. *out is the caller's (cJSON_Delete).
 * Errors: MC_ETOOBIG past MC_PBJSON_MAX_INPUT, MC_EINVAL for invalid JSON
 * (err says near which byte offset); *out is NULL then.
 */
int mc_pbjson_parse(const char *json, size_t len, cJSON **out, struct mc_pbjson_err *err);

/*
 * Turns every number item that carries its source text (trees from
 * mc_pbjson_parse) into a cJSON_Raw item holding that text, recursively, so that
 * cJSON_Print* writes numbers exactly as they came (cJSON prints numbers from
 * their double, which rounds integers beyond 2^53).
 */
void mc_pbjson_numbers_to_raw(cJSON *item);

/* ---- wire bytes <-> JSON (gateway and proxy) ------------------------------ */

/*
 * Protobuf wire bytes of type desc -> JSON text appended to out. The payload
 * is checked with mc_pbjson_wire_check before protobuf-c unpacks it, so
 * hostile nesting cannot exhaust the stack. Errors: MC_ETOOBIG (size, depth,
 * out's max), MC_EINVAL (malformed wire data); out is unchanged on error.
 */
int mc_pbjson_proto_to_json(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                            size_t len, unsigned flags, struct mc_buf *out,
                            struct mc_pbjson_err *err);

/*
 * JSON text -> protobuf wire bytes of type desc appended to out. Errors as
 * mc_pbjson_decode, plus MC_ETOOBIG when the packed message passes out's max;
 * out is unchanged on error.
 */
int mc_pbjson_json_to_proto(const ProtobufCMessageDescriptor *desc, const char *json,
                            size_t len, struct mc_buf *out, struct mc_pbjson_err *err);

/*
 * Walks protobuf wire bytes of type desc without unpacking them and checks
 * that they are well framed and that message fields nest at most max_depth
 * levels (the top message is level 1). Returns 0, MC_ETOOBIG (too deep or
 * len > MC_PBJSON_MAX_INPUT) or MC_EINVAL (truncated or malformed framing).
 * Call it before protobuf_c_message_unpack on untrusted input: protobuf-c
 * recurses without a limit.
 */
int mc_pbjson_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                         size_t len, unsigned max_depth);

/* ---- JSON text utilities ------------------------------------------------- */

/*
 * Re-indents any JSON text as Go's json.Indent(dst, src, "", "\t") does
 * (whitespace outside strings dropped, newline + tabs per level, `": "`,
 * empty arrays/objects kept as `[]`/`{}`), for responses whose descriptor is
 * unknown (user services). The input is checked for balanced brackets and
 * terminated strings only. Appends to out; MC_EINVAL (unbalanced or
 * unterminated input) or MC_ETOOBIG leave out unchanged.
 */
int mc_pbjson_indent(const char *json, size_t len, struct mc_buf *out,
                     struct mc_pbjson_err *err);

/* True when field f of message type parent is a map<K,V> (a repeated
 * MESSAGE field whose type is the generated PARENT.<Field>Entry{key=1,value=2}). */
bool mc_pbjson_field_is_map(const ProtobufCMessageDescriptor *parent,
                            const ProtobufCFieldDescriptor *f);

#endif
