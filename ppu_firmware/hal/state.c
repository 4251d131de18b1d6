/* Binding of the HAL to one ppu_state (see ppu/state.h). */
#include "ppu/state.h"

static ppu_state_t *bound_state;

void ppu_bind(ppu_state_t *state) { bound_state = state; }

ppu_state_t *ppu_bound(void) { return bound_state; }
