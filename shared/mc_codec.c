/* Content type -> codec table and the server's selection rule. See mc_codec.h. */
#include "mc_codec.h"

#include <string.h>

#include "mc_banned.h"

static const struct {
    const char *type;
    enum mc_codec codec;
} codec_table[] = {
    { "application/json", MC_CODEC_JSON },
    { "application/grpc+json", MC_CODEC_JSON },
    { "multipart/form-data", MC_CODEC_JSON },
    { "application/proto", MC_CODEC_PROTO },
    { "application/protobuf", MC_CODEC_PROTO },
    { "application/octet-stream", MC_CODEC_PROTO },
    { "application/grpc", MC_CODEC_PROTO },
    { "application/grpc+proto", MC_CODEC_PROTO },
    { "application/grpc+bytes", MC_CODEC_BYTES },
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The media type of a content type: before any ';', without outer spaces. */
static struct mc_slice media_type(struct mc_slice ct)
{
    const char *semi = ct.len ? memchr(ct.ptr, ';', ct.len) : NULL;
    size_t len = semi ? (size_t)(semi - ct.ptr) : ct.len;
    const char *p = ct.ptr;

    while (len && is_space(*p))
        p++, len--;
    while (len && is_space(p[len - 1]))
        len--;
    return (struct mc_slice){ p, len };
}

enum mc_codec mc_codec_from_content_type(struct mc_slice content_type)
{
    struct mc_slice mt = media_type(content_type);
    size_t i;

    for (i = 0; i < MC_ARRAY_LEN(codec_table); i++)
        if (mc_slice_ieq_cstr(mt, codec_table[i].type))
            return codec_table[i].codec;
    return MC_CODEC_UNKNOWN;
}

int mc_codec_select(struct mc_slice content_type, struct mc_slice x_content_type,
                    const char *id, enum mc_codec *codec, struct mc_error *err)
{
    struct mc_slice ct = content_type;
    enum mc_codec c;

    if (ct.len == 0)
        ct = x_content_type;
    if (ct.len == 0)
        ct = MC_SLICE_LIT(MC_CODEC_DEFAULT_CONTENT_TYPE);
    c = mc_codec_from_content_type(ct);
    if (c == MC_CODEC_UNKNOWN) {
        int n = (int)MC_MIN(ct.len, (size_t)MC_ERROR_TEXT_MAX);
        mc_error_internal(err, id ? id : MC_CODEC_ERROR_ID, "Unsupported Content-Type: %.*s", n,
                          ct.ptr);
        return MC_EUNSUPPORTED;
    }
    *codec = c;
    return MC_OK;
}

const char *mc_codec_grpc_content_type(enum mc_codec codec)
{
    switch (codec) {
    case MC_CODEC_JSON: return "application/grpc+json";
    case MC_CODEC_PROTO: return "application/grpc+proto";
    case MC_CODEC_BYTES: return "application/grpc+bytes";
    case MC_CODEC_UNKNOWN: break;
    }
    return NULL;
}

const char *mc_codec_name(enum mc_codec codec)
{
    switch (codec) {
    case MC_CODEC_JSON: return "json";
    case MC_CODEC_PROTO: return "proto";
    case MC_CODEC_BYTES: return "bytes";
    case MC_CODEC_UNKNOWN: break;
    }
    return "unknown";
}
