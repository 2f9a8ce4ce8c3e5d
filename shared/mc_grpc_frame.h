/*
 * gRPC message framing, sans-IO: every gRPC message on an HTTP/2 stream is a
 * 5-byte prefix (1 byte compressed flag, 4 bytes big-endian length) followed
 * by the payload. The encoder writes prefixes; the decoder takes DATA bytes in
 * chunks of any size and yields whole messages. The decoder checks the length
 * against its limit as soon as the prefix is complete, before buffering any of
 * the payload, so a peer cannot make it allocate more than the limit.
 */
#ifndef MC_GRPC_FRAME_H
#define MC_GRPC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_common.h"

#define MC_GRPC_FRAME_HDR_LEN 5
#define MC_GRPC_MAX_MSG_DEFAULT (32u * 1024u * 1024u)

/* Writes the 5-byte prefix for a payload of len bytes into out. */
void mc_grpc_frame_header(uint8_t out[MC_GRPC_FRAME_HDR_LEN], bool compressed, uint32_t len);

/* Appends prefix + payload (uncompressed) to out. MC_ETOOBIG (out unchanged)
 * when len does not fit 32 bits or out's limit. */
int mc_grpc_frame_encode(struct mc_buf *out, const void *msg, size_t len);

struct mc_grpc_frame_decoder {
    size_t max_msg;          /* largest payload accepted */
    bool allow_compressed;   /* true only when a message encoding was negotiated */
    uint8_t hdr[MC_GRPC_FRAME_HDR_LEN];
    size_t hdr_len;          /* prefix bytes collected so far */
    uint32_t need;           /* payload length of the current message */
    bool compressed;         /* flag of the current message */
    struct mc_buf body;      /* payload collected so far (only when split over chunks) */
    int err;                 /* sticky error: once set, every feed returns it */
    uint32_t bad_len;        /* the length that exceeded max_msg (for error messages) */
};

/* A decoder accepting payloads up to max_msg bytes (0: MC_GRPC_MAX_MSG_DEFAULT). */
void mc_grpc_frame_decoder_init(struct mc_grpc_frame_decoder *d, size_t max_msg,
                                bool allow_compressed);
/* Frees buffered bytes; the decoder may be init'ed again. */
void mc_grpc_frame_decoder_release(struct mc_grpc_frame_decoder *d);

/*
 * Consumes bytes from data[0..len) until one message is complete or the input
 * is used up. *used is set to the number of bytes consumed (call again with the
 * rest). Returns:
 *   1            a message is complete: *msg points to its payload, valid until
 *                the next call on this decoder or until data is freed (it may
 *                point into data when the message was not split); *compressed
 *                gets its flag (may be NULL);
 *   0            all input consumed, no message complete yet;
 *   MC_ETOOBIG   a prefix announced more than max_msg bytes (d->bad_len holds it);
 *   MC_EPROTO    a compressed message without allow_compressed, or a flag byte
 *                other than 0 or 1.
 * Errors are sticky: the stream is unusable afterwards.
 */
int mc_grpc_frame_feed(struct mc_grpc_frame_decoder *d, const void *data, size_t len,
                       size_t *used, struct mc_slice *msg, bool *compressed);

/* True when no partial message is pending (a stream may end here cleanly). */
bool mc_grpc_frame_decoder_idle(const struct mc_grpc_frame_decoder *d);

#endif
