/* Rate counter access on the bound state's buffers (see ppu/rate.h). */
#include "ppu/rate.h"
#include "ppu/state.h"
#include "ppu/time.h"

void rate_read(fxv8_t counts[2])
{
    const ppu_state_t *s = ppu_bound();
    unsigned i;
    for (i = 0; i < PPU_COLUMNS; ++i)
        counts[i / FXV8_LANES].e[i % FXV8_LANES] = fxv_i8(s->rate_counters[i]);
    time_charge(PPU_COLUMNS * CYC_OMNIBUS);
}

void rate_reset(void)
{
    ppu_state_t *s = ppu_bound();
    unsigned i;
    for (i = 0; i < PPU_COLUMNS; ++i)
        s->rate_counters[i] = 0;
    time_charge(PPU_COLUMNS * CYC_OMNIBUS);
}
