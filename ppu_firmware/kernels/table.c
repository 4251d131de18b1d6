/* Kernel table (see table.h). The order defines the ids used by ppu_firmware/params.py. */
#include <stddef.h>
#include "kernels/cgp.h"
#include "kernels/homeostasis.h"
#include "kernels/rstdp.h"
#include "kernels/stdp.h"
#include "kernels/structural.h"
#include "kernels/table.h"

typedef struct {
    const char *name;
    void (*run)(void);
} kernel_entry_t;

static const kernel_entry_t kernels[PPU_KERNEL_COUNT] = {
    {"stdp", kernel_stdp},
    {"rstdp", kernel_rstdp},
    {"homeostasis", kernel_homeostasis},
    {"structural", kernel_structural},
    {"cgp", kernel_cgp},
};

const char *ppu_kernel_name(int id)
{
    return id >= 0 && id < PPU_KERNEL_COUNT ? kernels[id].name : NULL;
}

int64_t ppu_run_kernel(ppu_state_t *state, int id)
{
    uint64_t start = state->time_cycles;
    if (id < 0 || id >= PPU_KERNEL_COUNT)
        return -1;
    ppu_bind(state);
    kernels[id].run();
    ppu_bind(NULL);
    return (int64_t)(state->time_cycles - start);
}
