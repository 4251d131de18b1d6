/* Lu.i probe wire protocol v1: framing, CRC-32 and message layouts.
 *
 * Frame (little-endian):  0xA5 0x5A | version u8 | type u8 | seq u16 | len u8 | payload | crc32 u32
 * The CRC-32 (IEEE 802.3, reflected, init/xorout 0xFFFFFFFF) covers version..payload.
 * Same format as the Python twin lui_board/protocol.py; tests feed both the same bytes.
 */
#ifndef LUI_PROTOCOL_H
#define LUI_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define LUI_SYNC0 0xA5u
#define LUI_SYNC1 0x5Au
#define LUI_PROTOCOL_VERSION 1u
#define LUI_HEADER_LEN 7u                    /* sync(2) + version + type + seq(2) + len */
#define LUI_MAX_PAYLOAD 255u
#define LUI_MAX_FRAME (LUI_HEADER_LEN + LUI_MAX_PAYLOAD + 4u)

enum lui_msg_type {
    LUI_IDENTIFY = 0x01, LUI_PULSE = 0x02, LUI_START = 0x03, LUI_STOP = 0x04, LUI_SET_RATE = 0x05,
    LUI_ACK = 0x80, LUI_IDENTITY = 0x81, LUI_SAMPLES = 0x82, LUI_SPIKE = 0x83
};

enum lui_status {
    LUI_OK = 0, LUI_BAD_CHANNEL = 1, LUI_BAD_RATE = 2, LUI_QUEUE_FULL = 3, LUI_BAD_LENGTH = 4,
    LUI_UNKNOWN_COMMAND = 5
};

typedef struct {
    uint8_t type;
    uint16_t seq;
    uint8_t len;
    uint8_t payload[LUI_MAX_PAYLOAD];
} lui_frame;

typedef void (*lui_frame_cb)(void *ctx, const lui_frame *frame);

/* Incremental decoder with resynchronisation (drop one byte on a bad header or CRC). */
typedef struct {
    uint8_t buf[LUI_MAX_FRAME];
    size_t len;
    uint32_t discarded_bytes;
    uint32_t crc_errors;
} lui_decoder;

uint32_t lui_crc32(const uint8_t *data, size_t len);
/* Write a frame into out (capacity >= LUI_MAX_FRAME); return its length. */
size_t lui_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint8_t len, uint8_t *out);
void lui_decoder_init(lui_decoder *d);
/* Feed received bytes; cb is called once per CRC-valid frame. */
void lui_decoder_feed(lui_decoder *d, const uint8_t *data, size_t n, lui_frame_cb cb, void *ctx);

/* little-endian field helpers */
void lui_put_u16(uint8_t *p, uint16_t v);
void lui_put_u32(uint8_t *p, uint32_t v);
void lui_put_u64(uint8_t *p, uint64_t v);
uint16_t lui_get_u16(const uint8_t *p);
uint32_t lui_get_u32(const uint8_t *p);
uint64_t lui_get_u64(const uint8_t *p);

#endif
