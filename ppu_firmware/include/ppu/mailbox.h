/* Mailbox: the top 4096 bytes of the PPU's 16 KiB SRAM, shared with the host.
 *
 * Multi-byte fields are BIG-ENDIAN (the PPU's byte order) and are read byte-wise, so
 * host and PowerPC builds agree. Layout:
 *   0x000 .. 0xDFF  kernel parameters and observables (per kernel, see kernels/<name>.h)
 *   0xE00 .. 0xFFF  spike-out queue (spikes.h)
 * Each scalar access costs CYC_SRAM per byte.
 */
#ifndef PPU_MAILBOX_H
#define PPU_MAILBOX_H

#include <stdint.h>
#include "ppu/fxv.h"

#define MAILBOX_PARAMETER_BYTES 0xE00u

uint8_t mailbox_u8(uint16_t offset);
int8_t mailbox_i8(uint16_t offset);
uint16_t mailbox_u16(uint16_t offset);
int16_t mailbox_i16(uint16_t offset);
uint32_t mailbox_u32(uint16_t offset);
void mailbox_set_u16(uint16_t offset, uint16_t value);
void mailbox_set_i16(uint16_t offset, int16_t value);
void mailbox_set_u32(uint16_t offset, uint32_t value);

/* Bit `index` of a bit field starting at `offset` (bit i = bit i%8 of byte i/8, LSB first). */
int mailbox_bit(uint16_t offset, unsigned index);

/* 128 bytes at `offset` as a vector (CYC_VEC_SRAM). */
void mailbox_load_vector(fxv8_t *out, uint16_t offset);

#endif
