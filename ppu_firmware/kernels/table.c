/* Kernel table (see table.h): a new kernel adds its header and one line to `kernels`. */
#include <stddef.h>
#include <string.h>
#include "kernels/cgp.h"
#include "kernels/homeostasis.h"
#include "kernels/insect_world.h"
#include "kernels/pong.h"
#include "kernels/rstdp.h"
#include "kernels/spike_train.h"
#include "kernels/stdp.h"
#include "kernels/structural.h"
#include "kernels/table.h"

typedef struct {
    const char *name;
    void (*run)(void);
} kernel_entry_t;

static const kernel_entry_t kernels[] = {
    {"stdp", kernel_stdp},
    {"rstdp", kernel_rstdp},
    {"homeostasis", kernel_homeostasis},
    {"structural", kernel_structural},
    {"cgp", kernel_cgp},
    {"spike_train", kernel_spike_train},
    {"insect_world", kernel_insect_world},
    {"pong", kernel_pong},
};

int ppu_kernel_count(void)
{
    return (int)(sizeof kernels / sizeof kernels[0]);
}

const char *ppu_kernel_name(int id)
{
    return id >= 0 && id < ppu_kernel_count() ? kernels[id].name : NULL;
}

int ppu_kernel_id(const char *name)
{
    for (int id = 0; id < ppu_kernel_count(); id++)
        if (strcmp(kernels[id].name, name) == 0)
            return id;
    return -1;
}

int64_t ppu_run_kernel(ppu_state_t *state, int id)
{
    uint64_t start = state->time_cycles;
    if (id < 0 || id >= ppu_kernel_count())
        return -1;
    ppu_bind(state);
    kernels[id].run();
    ppu_bind(NULL);
    return (int64_t)(state->time_cycles - start);
}
