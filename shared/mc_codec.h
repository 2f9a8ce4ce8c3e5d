/*
 * Content type -> codec (spec §4.2). Client and server use the same table;
 * the server picks the codec of a request from its content-type header, then
 * x-content-type, then the gRPC default, and answers an unknown type with the
 * 500 "Unsupported Content-Type" error. This module only names codecs: the
 * JSON and protobuf work is done elsewhere.
 */
#ifndef MC_CODEC_H
#define MC_CODEC_H

#include "mc_common.h"
#include "mc_error.h"

/* UNKNOWN is 0 so that a zeroed struct never claims a codec. */
enum mc_codec {
    MC_CODEC_UNKNOWN = 0,
    MC_CODEC_JSON,  /* application/json, application/grpc+json, multipart/form-data */
    MC_CODEC_PROTO, /* application/proto, application/protobuf, application/octet-stream,
                       application/grpc, application/grpc+proto */
    MC_CODEC_BYTES, /* application/grpc+bytes: the payload passed through untouched */
};

/* The content type gRPC servers assume when a request names none. */
#define MC_CODEC_DEFAULT_CONTENT_TYPE "application/grpc"
/* The id of the Unsupported Content-Type error when the caller gives none. */
#define MC_CODEC_ERROR_ID "go.micro.server"

/*
 * The codec of a content type. Matching is case-insensitive on the media type
 * alone: parameters (";charset=utf-8") and surrounding spaces are ignored.
 * MC_CODEC_UNKNOWN for anything not in the table (the empty string included).
 */
enum mc_codec mc_codec_from_content_type(struct mc_slice content_type);

/*
 * The server's rule: content_type if non-empty, else x_content_type if
 * non-empty, else MC_CODEC_DEFAULT_CONTENT_TYPE (either slice may be
 * {NULL, 0}). On success *codec is set and 0 returned. For an unknown type
 * err (released first) becomes 500 {id or MC_CODEC_ERROR_ID,
 * "Unsupported Content-Type: <type>"} and MC_EUNSUPPORTED is returned.
 */
int mc_codec_select(struct mc_slice content_type, struct mc_slice x_content_type,
                    const char *id, enum mc_codec *codec, struct mc_error *err);

/* The content-type a gRPC client sends for a codec: application/grpc+json,
 * application/grpc+proto, application/grpc+bytes; NULL for UNKNOWN. */
const char *mc_codec_grpc_content_type(enum mc_codec codec);

/* The codec's name: "json", "proto", "bytes" or "unknown". */
const char *mc_codec_name(enum mc_codec codec);

#endif
