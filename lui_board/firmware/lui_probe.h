/* Lu.i probe firmware core: protocol v1 commands, pulse queue, membrane sampling, spike stamps.
 * Portable C99 over lui_hal.h. The board simulator (lui_board/device.py) mirrors its behaviour.
 */
#ifndef LUI_PROBE_H
#define LUI_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "lui_hal.h"
#include "lui_protocol.h"

#define LUI_FW_MAJOR 1u
#define LUI_FW_MINOR 0u
#define LUI_PULSE_QUEUE_LEN 16u
#define LUI_MIN_RATE_HZ 10u
#define LUI_MAX_RATE_HZ 10000u
#define LUI_DEFAULT_RATE_HZ 1000u
#define LUI_BATCHES_PER_S 50u
#define LUI_MAX_SAMPLES_PER_FRAME ((LUI_MAX_PAYLOAD - 13u) / 2u)

typedef struct {
    uint8_t channel;
    uint64_t start_us, end_us;
} lui_pulse;

typedef struct {
    lui_decoder decoder;
    uint16_t seq;                                  /* next outgoing sequence number */
    lui_pulse pulses[LUI_PULSE_QUEUE_LEN];
    uint8_t n_pulses;
    uint32_t rate_hz;
    uint8_t mask;                                  /* sampled ADC channels */
    uint64_t next_sample_us;
    uint16_t batch[LUI_N_MEMBRANE][LUI_MAX_SAMPLES_PER_FRAME];
    uint8_t batch_len[LUI_N_MEMBRANE];
    uint64_t batch_t0_us[LUI_N_MEMBRANE];
    bool spike_level[LUI_N_SPIKE];
} lui_probe;

void lui_probe_init(lui_probe *p);
/* Handle bytes received from the host. */
void lui_probe_receive(lui_probe *p, const uint8_t *data, size_t n);
/* Call as often as possible: drives pulses, samples the ADC, stamps spikes. */
void lui_probe_poll(lui_probe *p);

#endif
