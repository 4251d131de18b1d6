/* Spike-out queue in the mailbox (see ppu/spikes.h). */
#include "ppu/mailbox.h"
#include "ppu/spikes.h"
#include "ppu/time.h"

void hal_send_spike(uint16_t label)
{
    uint16_t count = mailbox_u16(SPIKES_QUEUE_COUNT);
    if (count < SPIKES_QUEUE_CAPACITY) {
        mailbox_set_u16((uint16_t)(SPIKES_QUEUE_LABELS + 2u * count), (uint16_t)(label & SPIKES_LABEL_MASK));
        mailbox_set_u16(SPIKES_QUEUE_COUNT, (uint16_t)(count + 1u));
    } else {
        uint16_t dropped = mailbox_u16(SPIKES_QUEUE_DROPPED);
        if (dropped < 0xFFFFu)
            mailbox_set_u16(SPIKES_QUEUE_DROPPED, (uint16_t)(dropped + 1u));
    }
    time_charge(CYC_OMNIBUS);
}
