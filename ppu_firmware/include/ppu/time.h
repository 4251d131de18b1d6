/* PPU time and the cycle cost model.
 *
 * The PPU runs at 250 MHz (libnux time.h: default_ppu_cycles_per_us = 250). Every HAL
 * operation advances the bound state's clock by the cost below, so a kernel's run time
 * in PPU cycles is the sum of what it asked the hardware to do. The costs are estimates
 * (documented in README_SECTION.md), chosen from the facts that a vector is 128 bytes
 * moved in one instruction, that correlation and membrane reads need one CADC conversion
 * (the CADC samples at most at 1.85 MSa/s, i.e. ~135 cycles), and that rate counters sit
 * behind the slower omnibus, one scalar access per neuron.
 */
#ifndef PPU_TIME_H
#define PPU_TIME_H

#include <stdint.h>

#define PPU_CYCLES_PER_US 250u

#define CYC_SCALAR 1u          /* one scalar ALU instruction */
#define CYC_SRAM 2u            /* one scalar load or store to SRAM (mailbox) */
#define CYC_VEC_ALU 1u         /* one vector arithmetic, shift, compare or select */
#define CYC_VEC_SRAM 2u        /* one 128-byte vector load or store to SRAM */
#define CYC_VEC_IO 4u          /* one 128-byte vector transfer to/from the synapse array */
#define CYC_CADC_CONVERSION 135u /* one parallel CADC conversion (all 256 channels) */
#define CYC_OMNIBUS 8u         /* one scalar omnibus access (rate counter, spike out) */
#define CYC_RNG 6u             /* one 32-bit xorshift draw (3 shifts + 3 xors) */

/* Current time in PPU cycles. */
uint64_t time_now(void);

/* Charge `cycles` cycles of work that no HAL call accounts for (scalar loops). */
void time_charge(uint32_t cycles);

#endif
