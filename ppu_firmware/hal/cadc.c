/* Membrane CADC samples from the bound state's buffer (see ppu/cadc.h). */
#include "ppu/cadc.h"
#include "ppu/state.h"
#include "ppu/time.h"

void cadc_read_membranes(fxv8_t v[2])
{
    const ppu_state_t *s = ppu_bound();
    unsigned i;
    for (i = 0; i < PPU_COLUMNS; ++i)
        v[i / FXV8_LANES].e[i % FXV8_LANES] = fxv_i8(s->cadc[i]);
    time_charge(CYC_CADC_CONVERSION + 2u * CYC_VEC_IO);
}
