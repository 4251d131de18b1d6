/* Spike injection: the PPU sends events with a 14-bit label into the routing.
 *
 * Here the events go to a queue in the mailbox that the host drains after a call:
 *   0xE00 u16 count of queued labels, 0xE02 u16 dropped (queue full, saturates at
 *   65535), 0xE04 u16 labels[SPIKES_QUEUE_CAPACITY], big-endian.
 */
#ifndef PPU_SPIKES_H
#define PPU_SPIKES_H

#include <stdint.h>

#define SPIKES_QUEUE_COUNT 0xE00u
#define SPIKES_QUEUE_DROPPED 0xE02u
#define SPIKES_QUEUE_LABELS 0xE04u
#define SPIKES_QUEUE_CAPACITY 254u
#define SPIKES_LABEL_MASK 0x3FFFu

/* Queue one event with label `label & SPIKES_LABEL_MASK` (CYC_OMNIBUS). */
void hal_send_spike(uint16_t label);

#endif
