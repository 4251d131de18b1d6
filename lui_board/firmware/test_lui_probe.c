/* Host unit tests of the probe firmware core, against a fake HAL (a scripted Lu.i board). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lui_probe.h"

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
    __LINE__, #cond); exit(1); } } while (0)

/* ---- fake HAL ---- */
static uint64_t now_us;
static bool pulse_out[LUI_N_PULSE];
static bool spike_in[LUI_N_SPIKE];
static uint16_t adc_mv[LUI_N_MEMBRANE];
static uint8_t tx[65536];
static size_t tx_len;

uint64_t lui_hal_time_us(void) { return now_us; }
void lui_hal_set_pulse(uint8_t ch, bool high) { pulse_out[ch] = high; }
uint16_t lui_hal_adc_mv(uint8_t ch) { return adc_mv[ch]; }
bool lui_hal_spike_input(uint8_t ch) { return spike_in[ch]; }
void lui_hal_write(const uint8_t *d, size_t n) { memcpy(tx + tx_len, d, n); tx_len += n; }

/* ---- host side: decode what the probe sent ---- */
static lui_frame rx[512];
static int n_rx;
static void collect(void *ctx, const lui_frame *f) { (void)ctx; rx[n_rx++] = *f; }
static void drain(void)
{
    lui_decoder d;
    lui_decoder_init(&d);
    n_rx = 0;
    lui_decoder_feed(&d, tx, tx_len, collect, NULL);
    CHECK(d.discarded_bytes == 0 && d.crc_errors == 0);
    tx_len = 0;
}

static uint16_t host_seq;
static void host_send(lui_probe *p, uint8_t type, const uint8_t *pl, uint8_t len)
{
    uint8_t buf[LUI_MAX_FRAME];
    size_t n = lui_encode_frame(type, host_seq++, pl, len, buf);
    lui_probe_receive(p, buf, n);
}

static void run_until(lui_probe *p, uint64_t t_us)
{
    while (now_us < t_us) {
        now_us += 10;
        lui_probe_poll(p);
    }
}

static void test_crc(void)
{
    CHECK(lui_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);   /* CRC-32/ISO-HDLC check */
}

static void test_identify_and_ack(lui_probe *p)
{
    host_send(p, LUI_IDENTIFY, NULL, 0);
    drain();
    CHECK(n_rx == 1 && rx[0].type == LUI_IDENTITY && rx[0].payload[0] == LUI_PROTOCOL_VERSION);
    CHECK(rx[0].payload[3] == LUI_N_PULSE && memcmp(rx[0].payload + 14, "lui-probe", 9) == 0);
    uint8_t rate[4];
    lui_put_u32(rate, 5);                                    /* below the minimum */
    host_send(p, LUI_SET_RATE, rate, 4);
    host_send(p, 0x42, NULL, 0);                             /* unknown command */
    drain();
    CHECK(n_rx == 2 && rx[0].type == LUI_ACK && rx[0].payload[2] == LUI_BAD_RATE);
    CHECK(rx[1].payload[2] == LUI_UNKNOWN_COMMAND && lui_get_u16(rx[1].payload) == (uint16_t)(host_seq - 1));
}

static void test_pulse(lui_probe *p)
{
    uint8_t pl[13];
    pl[0] = 1;
    lui_put_u32(pl + 1, 15000);
    lui_put_u64(pl + 5, now_us + 1000);
    host_send(p, LUI_PULSE, pl, 13);
    drain();
    CHECK(n_rx == 1 && rx[0].payload[2] == LUI_OK);
    uint64_t t0 = now_us + 1000, rise = 0, fall = 0;
    while (now_us < t0 + 20000) {
        bool before = pulse_out[1];
        now_us += 10;
        lui_probe_poll(p);
        if (!before && pulse_out[1]) rise = now_us;
        if (before && !pulse_out[1]) fall = now_us;
        CHECK(!pulse_out[0] && !pulse_out[2]);
    }
    CHECK(rise == t0 && fall == t0 + 15000);
    pl[0] = 3;                                               /* no such output */
    host_send(p, LUI_PULSE, pl, 13);
    drain();
    CHECK(rx[0].payload[2] == LUI_BAD_CHANNEL);
}

static void test_sampling_and_spikes(lui_probe *p)
{
    uint8_t rate[4], mask = 1;
    lui_put_u32(rate, 1000);
    host_send(p, LUI_SET_RATE, rate, 4);
    host_send(p, LUI_START, &mask, 1);
    adc_mv[0] = 1240;
    uint64_t t_start = now_us;
    run_until(p, t_start + 50000);
    spike_in[2] = true;
    uint64_t t_spike = now_us + 10;
    run_until(p, t_start + 65000);
    spike_in[2] = false;
    run_until(p, t_start + 100000);
    host_send(p, LUI_STOP, NULL, 0);
    drain();
    int samples = 0, spikes = 0;
    for (int i = 0; i < n_rx; i++) {
        if (rx[i].type == LUI_SAMPLES) {
            int n = (rx[i].len - 13) / 2;
            CHECK(rx[i].payload[0] == 0 && lui_get_u32(rx[i].payload + 9) == 1000);
            CHECK(lui_get_u64(rx[i].payload + 1) == t_start + 1000u * (uint64_t)samples);
            CHECK(lui_get_u16(rx[i].payload + 13) == 1240);
            samples += n;
        } else if (rx[i].type == LUI_SPIKE) {
            CHECK(rx[i].payload[0] == 2 && lui_get_u64(rx[i].payload + 1) == t_spike);
            spikes++;
        }
        if (i)
            CHECK(rx[i].seq == (uint16_t)(rx[i - 1].seq + 1));
    }
    CHECK(samples == 101 && spikes == 1);
}

static void test_resync(void)
{
    uint8_t stream[600], pl[3] = {1, 2, 3};
    size_t n = 0;
    memcpy(stream, "\xA5\x5A\x07garbage", 10);                     /* bad version + garbage */
    n = 10;
    n += lui_encode_frame(LUI_SPIKE, 7, pl, 3, stream + n);
    size_t cut = n;
    n += lui_encode_frame(LUI_SPIKE, 8, pl, 3, stream + n);
    n = cut + 6;                                                   /* truncate frame 8 */
    for (uint16_t seq = 9; seq < 30; seq++)      /* the truncated header claims 165 bytes: */
        n += lui_encode_frame(LUI_SPIKE, seq, pl, 3, stream + n);   /* later frames fill them */
    lui_decoder d;
    lui_decoder_init(&d);
    n_rx = 0;
    lui_decoder_feed(&d, stream, n, collect, NULL);
    CHECK(n_rx == 22 && rx[0].seq == 7 && rx[1].seq == 9 && rx[21].seq == 29);
    CHECK(d.crc_errors >= 1);
}

int main(void)
{
    static lui_probe probe;
    lui_probe_init(&probe);
    test_crc();
    test_identify_and_ack(&probe);
    test_pulse(&probe);
    test_sampling_and_spikes(&probe);
    test_resync();
    puts("lui probe firmware: all tests passed");
    return 0;
}
