/* Lu.i probe wire protocol v1: see lui_protocol.h. */
#include "lui_protocol.h"

#include <string.h>

uint32_t lui_crc32(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void lui_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void lui_put_u32(uint8_t *p, uint32_t v) { lui_put_u16(p, (uint16_t)v); lui_put_u16(p + 2, (uint16_t)(v >> 16)); }
void lui_put_u64(uint8_t *p, uint64_t v) { lui_put_u32(p, (uint32_t)v); lui_put_u32(p + 4, (uint32_t)(v >> 32)); }
uint16_t lui_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
uint32_t lui_get_u32(const uint8_t *p) { return lui_get_u16(p) | ((uint32_t)lui_get_u16(p + 2) << 16); }
uint64_t lui_get_u64(const uint8_t *p) { return lui_get_u32(p) | ((uint64_t)lui_get_u32(p + 4) << 32); }

size_t lui_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint8_t len, uint8_t *out)
{
    out[0] = LUI_SYNC0;
    out[1] = LUI_SYNC1;
    out[2] = LUI_PROTOCOL_VERSION;
    out[3] = type;
    lui_put_u16(out + 4, seq);
    out[6] = len;
    if (len)
        memcpy(out + LUI_HEADER_LEN, payload, len);
    lui_put_u32(out + LUI_HEADER_LEN + len, lui_crc32(out + 2, LUI_HEADER_LEN - 2u + len));
    return LUI_HEADER_LEN + len + 4u;
}

void lui_decoder_init(lui_decoder *d)
{
    memset(d, 0, sizeof *d);
}

static void drop(lui_decoder *d, size_t n)
{
    memmove(d->buf, d->buf + n, d->len - n);
    d->len -= n;
}

/* Parse as many frames as the buffer holds (same algorithm as FrameDecoder.feed in Python). */
static void parse(lui_decoder *d, lui_frame_cb cb, void *ctx)
{
    for (;;) {
        size_t start = 0;
        while (start + 1 < d->len && !(d->buf[start] == LUI_SYNC0 && d->buf[start + 1] == LUI_SYNC1))
            start++;
        if (start + 1 >= d->len) {              /* no sync word: keep a trailing 0xA5 */
            size_t keep = (d->len && d->buf[d->len - 1] == LUI_SYNC0) ? 1u : 0u;
            d->discarded_bytes += (uint32_t)(d->len - keep);
            drop(d, d->len - keep);
            return;
        }
        d->discarded_bytes += (uint32_t)start;
        drop(d, start);
        if (d->len < LUI_HEADER_LEN)
            return;
        if (d->buf[2] != LUI_PROTOCOL_VERSION) {
            d->discarded_bytes++;
            drop(d, 1);
            continue;
        }
        size_t plen = d->buf[6], total = LUI_HEADER_LEN + plen + 4u;
        if (d->len < total)
            return;
        if (lui_get_u32(d->buf + LUI_HEADER_LEN + plen) != lui_crc32(d->buf + 2, LUI_HEADER_LEN - 2u + plen)) {
            d->crc_errors++;
            d->discarded_bytes++;
            drop(d, 1);
            continue;
        }
        lui_frame f;
        f.type = d->buf[3];
        f.seq = lui_get_u16(d->buf + 4);
        f.len = (uint8_t)plen;
        memcpy(f.payload, d->buf + LUI_HEADER_LEN, plen);
        drop(d, total);
        cb(ctx, &f);
    }
}

void lui_decoder_feed(lui_decoder *d, const uint8_t *data, size_t n, lui_frame_cb cb, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        d->buf[d->len++] = data[i];     /* parse() keeps len below a full frame */
        parse(d, cb, ctx);
    }
}
