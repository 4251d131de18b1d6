/* The kernels of this firmware, by id, and the host-side entry point that runs one.
 * Ids are positions in table.c's list; the host looks them up by name. */
#ifndef KERNELS_TABLE_H
#define KERNELS_TABLE_H

#include <stdint.h>
#include "ppu/state.h"

/* Number of kernels in the table. */
int ppu_kernel_count(void);

/* Name of kernel `id` (0..ppu_kernel_count()-1), or 0 for an unknown id. */
const char *ppu_kernel_name(int id);

/* Id of the kernel called `name`, or -1 if there is none. */
int ppu_kernel_id(const char *name);

/* Bind `state`, run kernel `id` once and return the PPU cycles it used (the state's
 * time_cycles advances by as much); -1 for an unknown id. */
int64_t ppu_run_kernel(ppu_state_t *state, int id);

#endif
