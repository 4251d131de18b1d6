/* Hardware abstraction of the Lu.i probe: the firmware core (lui_probe.c) only calls these.
 * A board port implements them for its microcontroller (3.3 V logic); the host unit tests
 * implement them with a fake board.
 */
#ifndef LUI_HAL_H
#define LUI_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LUI_N_PULSE 3      /* synapse drive outputs -> Lu.i inputs J1..J3 (pin 2) */
#define LUI_N_SPIKE 4      /* spike inputs <- Lu.i axon header J4, via BSS138 level shifters */
#define LUI_N_MEMBRANE 2   /* ADC channels <- Lu.i MEM test pad, via 10 kohm */

uint64_t lui_hal_time_us(void);                     /* monotonic probe clock */
void lui_hal_set_pulse(uint8_t channel, bool high); /* drive a synapse output */
uint16_t lui_hal_adc_mv(uint8_t channel);           /* membrane voltage in millivolts */
bool lui_hal_spike_input(uint8_t channel);          /* true while the board's axon output is high */
void lui_hal_write(const uint8_t *data, size_t len);/* bytes to the host (USB CDC / UART) */

#endif
