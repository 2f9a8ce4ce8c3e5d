/*
 * gRPC length-prefixed message framing: see mc_grpc_frame.h. The decoder avoids
 * copying when a whole message sits in one input chunk (the common case for
 * small messages) and otherwise gathers the payload in a buffer capped at the
 * announced length, which was checked against the limit first.
 */
#include "mc_grpc_frame.h"

#include <string.h>

#include "mc_banned.h"

void mc_grpc_frame_header(uint8_t out[MC_GRPC_FRAME_HDR_LEN], bool compressed, uint32_t len)
{
    out[0] = compressed ? 1 : 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

int mc_grpc_frame_encode(struct mc_buf *out, const void *msg, size_t len)
{
    uint8_t hdr[MC_GRPC_FRAME_HDR_LEN];
    char *dst;

    if (len > UINT32_MAX)
        return MC_ETOOBIG;
    dst = mc_buf_reserve(out, len + MC_GRPC_FRAME_HDR_LEN);
    if (!dst)
        return MC_ETOOBIG;
    mc_grpc_frame_header(hdr, false, (uint32_t)len);
    memcpy(dst, hdr, MC_GRPC_FRAME_HDR_LEN);
    if (len)
        memcpy(dst + MC_GRPC_FRAME_HDR_LEN, msg, len);
    mc_buf_commit(out, len + MC_GRPC_FRAME_HDR_LEN);
    return MC_OK;
}

void mc_grpc_frame_decoder_init(struct mc_grpc_frame_decoder *d, size_t max_msg,
                                bool allow_compressed)
{
    memset(d, 0, sizeof(*d));
    d->max_msg = max_msg ? max_msg : MC_GRPC_MAX_MSG_DEFAULT;
    d->allow_compressed = allow_compressed;
    mc_buf_init(&d->body, d->max_msg);
}

void mc_grpc_frame_decoder_release(struct mc_grpc_frame_decoder *d)
{
    mc_buf_release(&d->body);
    d->hdr_len = 0;
}

bool mc_grpc_frame_decoder_idle(const struct mc_grpc_frame_decoder *d)
{
    return d->err == 0 && d->hdr_len == 0;
}

/* Validates a complete prefix; sets need/compressed or the sticky error. */
static int check_header(struct mc_grpc_frame_decoder *d)
{
    uint32_t n = ((uint32_t)d->hdr[1] << 24) | ((uint32_t)d->hdr[2] << 16) |
                 ((uint32_t)d->hdr[3] << 8) | (uint32_t)d->hdr[4];

    if (d->hdr[0] > 1 || (d->hdr[0] == 1 && !d->allow_compressed))
        return d->err = MC_EPROTO;
    if (n > d->max_msg) {
        d->bad_len = n;
        return d->err = MC_ETOOBIG;
    }
    d->need = n;
    d->compressed = d->hdr[0] == 1;
    return 0;
}

static int complete(struct mc_grpc_frame_decoder *d, struct mc_slice *msg, bool *compressed,
                    const char *ptr)
{
    msg->ptr = ptr;
    msg->len = d->need;
    if (compressed)
        *compressed = d->compressed;
    d->hdr_len = 0;
    d->need = 0;
    return 1;
}

int mc_grpc_frame_feed(struct mc_grpc_frame_decoder *d, const void *data, size_t len,
                       size_t *used, struct mc_slice *msg, bool *compressed)
{
    const char *p = data;
    size_t off = 0;

    *used = 0;
    if (d->err)
        return d->err;
    /* The previous message's buffered payload is dead once the caller feeds again. */
    if (d->hdr_len == 0)
        mc_buf_reset(&d->body);
    while (d->hdr_len < MC_GRPC_FRAME_HDR_LEN) {
        if (off == len) {
            *used = off;
            return 0;
        }
        d->hdr[d->hdr_len++] = (uint8_t)p[off++];
        if (d->hdr_len == MC_GRPC_FRAME_HDR_LEN && check_header(d) < 0) {
            *used = off;
            return d->err;
        }
    }
    if (d->body.len == 0 && len - off >= d->need) {
        /* Whole payload in this chunk: hand it out without copying. */
        *used = off + d->need;
        return complete(d, msg, compressed, p + off);
    }
    {
        size_t take = MC_MIN(len - off, (size_t)d->need - d->body.len);
        if (mc_buf_append(&d->body, p + off, take) < 0)
            return d->err = MC_ETOOBIG; /* cannot happen: need <= max */
        off += take;
    }
    *used = off;
    if (d->body.len < d->need)
        return 0;
    return complete(d, msg, compressed, d->body.data ? d->body.data : "");
}
