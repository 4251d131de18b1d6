/* Big-endian, byte-wise mailbox access on the bound state (see ppu/mailbox.h). */
#include "ppu/mailbox.h"
#include "ppu/state.h"
#include "ppu/time.h"

static uint8_t *byte_at(uint16_t offset) { return ppu_bound()->mailbox + (offset % PPU_MAILBOX_BYTES); }

uint8_t mailbox_u8(uint16_t offset)
{
    time_charge(CYC_SRAM);
    return *byte_at(offset);
}

int8_t mailbox_i8(uint16_t offset) { return fxv_i8(mailbox_u8(offset)); }

uint16_t mailbox_u16(uint16_t offset)
{
    return (uint16_t)(((uint16_t)mailbox_u8(offset) << 8) | mailbox_u8((uint16_t)(offset + 1u)));
}

int16_t mailbox_i16(uint16_t offset)
{
    uint16_t raw = mailbox_u16(offset);
    return (int16_t)(raw < 0x8000u ? (int32_t)raw : (int32_t)raw - 65536);
}

uint32_t mailbox_u32(uint16_t offset)
{
    return ((uint32_t)mailbox_u16(offset) << 16) | mailbox_u16((uint16_t)(offset + 2u));
}

void mailbox_set_u16(uint16_t offset, uint16_t value)
{
    *byte_at(offset) = (uint8_t)(value >> 8);
    *byte_at((uint16_t)(offset + 1u)) = (uint8_t)(value & 0xFFu);
    time_charge(2u * CYC_SRAM);
}

void mailbox_set_i16(uint16_t offset, int16_t value)
{
    mailbox_set_u16(offset, (uint16_t)(value < 0 ? (int32_t)value + 65536 : (int32_t)value));
}

void mailbox_set_u32(uint16_t offset, uint32_t value)
{
    mailbox_set_u16(offset, (uint16_t)(value >> 16));
    mailbox_set_u16((uint16_t)(offset + 2u), (uint16_t)(value & 0xFFFFu));
}

int mailbox_bit(uint16_t offset, unsigned index)
{
    return (mailbox_u8((uint16_t)(offset + index / 8u)) >> (index % 8u)) & 1u;
}

void mailbox_load_vector(fxv8_t *out, uint16_t offset)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = fxv_i8(*byte_at((uint16_t)(offset + i)));
    time_charge(CYC_VEC_SRAM);
}
