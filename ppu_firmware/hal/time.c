/* PPU clock: advanced by every HAL operation (cost model in ppu/time.h). */
#include "ppu/state.h"
#include "ppu/time.h"

uint64_t time_now(void) { return ppu_bound()->time_cycles; }

void time_charge(uint32_t cycles) { ppu_bound()->time_cycles += cycles; }
