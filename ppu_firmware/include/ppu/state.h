/* The chip state a PPU program sees, as buffers the HAL reads and writes.
 *
 * On the real PPU the HAL reaches synapses, correlation sensors, counters and the
 * CADC through vector I/O and the omnibus; here (host library and PowerPC unit tests)
 * it reads and writes this struct instead. The host fills the pointers (numpy buffers
 * in the emulator, static arrays in the firmware unit tests) and binds the struct with
 * ppu_bind() before running a kernel. One struct describes one hemisphere (one PPU).
 */
#ifndef PPU_STATE_H
#define PPU_STATE_H

#include <stdint.h>

#define PPU_ROWS 256
#define PPU_COLUMNS 256
#define PPU_MAILBOX_BYTES 4096

typedef struct ppu_state {
    uint8_t *weights;        /* [PPU_ROWS * PPU_COLUMNS] row-major, 6-bit weights 0..63 */
    uint8_t *labels;         /* [PPU_ROWS * PPU_COLUMNS] row-major, 6-bit address labels 0..63 */
    uint8_t *causal;         /* [PPU_ROWS * PPU_COLUMNS] causal correlation, CADC LSB 0..255 */
    uint8_t *acausal;        /* [PPU_ROWS * PPU_COLUMNS] acausal correlation, CADC LSB 0..255 */
    uint8_t *corr_reset;     /* [PPU_ROWS] set to 1 when a kernel resets that row's sensors */
    uint8_t *rate_counters;  /* [PPU_COLUMNS] 8-bit spike counters, one per neuron */
    uint8_t *cadc;           /* [PPU_COLUMNS] CADC samples of the membranes, CADC LSB */
    uint8_t *mailbox;        /* [PPU_MAILBOX_BYTES] shared with the host, big-endian fields */
    uint64_t time_cycles;    /* PPU clock (250 MHz); every HAL operation advances it */
    uint32_t rng_state;      /* xorshift32 state; 0 is replaced by a fixed seed */
} ppu_state_t;

/* Make the HAL act on `state` until the next call. Not thread-safe: one bound state. */
void ppu_bind(ppu_state_t *state);

/* The bound state (for the HAL's own implementation files). */
ppu_state_t *ppu_bound(void);

#endif
