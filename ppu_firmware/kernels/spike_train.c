/* Spike-train kernel (see spike_train.h). */
#include "kernels/spike_train.h"
#include "ppu/mailbox.h"
#include "ppu/spikes.h"

void kernel_spike_train(void)
{
    unsigned i;
    unsigned count = mailbox_u8(SPIKE_TRAIN_MB_COUNT);
    if (count > SPIKE_TRAIN_MAX_LABELS)
        count = SPIKE_TRAIN_MAX_LABELS;
    for (i = 0; i < count; ++i)
        hal_send_spike(mailbox_u16((uint16_t)(SPIKE_TRAIN_MB_LABELS + 2u * i)));
    mailbox_set_u16(SPIKE_TRAIN_MB_CALLS, (uint16_t)(mailbox_u16(SPIKE_TRAIN_MB_CALLS) + 1u));
}
