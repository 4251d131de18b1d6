/* PPU stimulus: every call sends the first `count` labels of a list into the event
 * routing (hal_send_spike), in order, then counts the call. With the timer's period this
 * is a periodic spike source on the chip that needs no host link (libnux spikes.h).
 * Mailbox layout (big-endian): */
#ifndef KERNELS_SPIKE_TRAIN_H
#define KERNELS_SPIKE_TRAIN_H

#define SPIKE_TRAIN_MAX_LABELS 64u
#define SPIKE_TRAIN_MB_COUNT 0x000   /* uint8, labels sent per call, 0..64 */
#define SPIKE_TRAIN_MB_CALLS 0x002   /* uint16, updated: calls so far */
#define SPIKE_TRAIN_MB_LABELS 0x004  /* uint16[64], 14-bit event labels */

void kernel_spike_train(void);

#endif
