/* The kernels of this firmware, by id, and the host-side entry point that runs one. */
#ifndef KERNELS_TABLE_H
#define KERNELS_TABLE_H

#include <stdint.h>
#include "ppu/state.h"

#define PPU_KERNEL_COUNT 5

/* Name of kernel `id` (0..PPU_KERNEL_COUNT-1), or 0 for an unknown id. */
const char *ppu_kernel_name(int id);

/* Bind `state`, run kernel `id` once and return the PPU cycles it used (the state's
 * time_cycles advances by as much); -1 for an unknown id. */
int64_t ppu_run_kernel(ppu_state_t *state, int id);

#endif
