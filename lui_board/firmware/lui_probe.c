/* Lu.i probe firmware core: see lui_probe.h. */
#include "lui_probe.h"

#include <string.h>

static const char PROBE_NAME[] = "lui-probe";

static void send(lui_probe *p, uint8_t type, const uint8_t *payload, uint8_t len)
{
    uint8_t frame[LUI_MAX_FRAME];
    size_t n = lui_encode_frame(type, p->seq++, payload, len, frame);
    lui_hal_write(frame, n);
}

static void send_ack(lui_probe *p, uint16_t acked_seq, uint8_t status)
{
    uint8_t pl[11];
    lui_put_u16(pl, acked_seq);
    pl[2] = status;
    lui_put_u64(pl + 3, lui_hal_time_us());
    send(p, LUI_ACK, pl, sizeof pl);
}

static uint32_t period_us(const lui_probe *p)
{
    return (1000000u + p->rate_hz / 2u) / p->rate_hz;
}

static void flush_channel(lui_probe *p, uint8_t ch)
{
    uint8_t pl[LUI_MAX_PAYLOAD];
    uint8_t n = p->batch_len[ch];
    if (!n)
        return;
    pl[0] = ch;
    lui_put_u64(pl + 1, p->batch_t0_us[ch]);
    lui_put_u32(pl + 9, period_us(p));
    for (uint8_t i = 0; i < n; i++)
        lui_put_u16(pl + 13 + 2 * i, p->batch[ch][i]);
    send(p, LUI_SAMPLES, pl, (uint8_t)(13u + 2u * n));
    p->batch_len[ch] = 0;
}

static void flush_all(lui_probe *p)
{
    for (uint8_t ch = 0; ch < LUI_N_MEMBRANE; ch++)
        flush_channel(p, ch);
}

void lui_probe_init(lui_probe *p)
{
    memset(p, 0, sizeof *p);
    lui_decoder_init(&p->decoder);
    p->rate_hz = LUI_DEFAULT_RATE_HZ;
    for (uint8_t ch = 0; ch < LUI_N_PULSE; ch++)
        lui_hal_set_pulse(ch, false);
}

static void identify(lui_probe *p)
{
    uint8_t pl[14 + sizeof PROBE_NAME - 1];
    pl[0] = LUI_PROTOCOL_VERSION;
    pl[1] = LUI_FW_MAJOR;
    pl[2] = LUI_FW_MINOR;
    pl[3] = LUI_N_PULSE;
    pl[4] = LUI_N_SPIKE;
    pl[5] = LUI_N_MEMBRANE;
    lui_put_u64(pl + 6, lui_hal_time_us());
    memcpy(pl + 14, PROBE_NAME, sizeof PROBE_NAME - 1);
    send(p, LUI_IDENTITY, pl, sizeof pl);
}

static uint8_t command(lui_probe *p, const lui_frame *f)
{
    switch (f->type) {
    case LUI_PULSE: {
        if (f->len != 13)
            return LUI_BAD_LENGTH;
        uint8_t ch = f->payload[0];
        uint32_t width = lui_get_u32(f->payload + 1);
        uint64_t start = lui_get_u64(f->payload + 5);
        if (ch >= LUI_N_PULSE)
            return LUI_BAD_CHANNEL;
        if (p->n_pulses >= LUI_PULSE_QUEUE_LEN)
            return LUI_QUEUE_FULL;
        if (!start)
            start = lui_hal_time_us();
        p->pulses[p->n_pulses++] = (lui_pulse){ch, start, start + width};
        return LUI_OK;
    }
    case LUI_START:
        if (f->len != 1)
            return LUI_BAD_LENGTH;
        if (f->payload[0] >> LUI_N_MEMBRANE)
            return LUI_BAD_CHANNEL;
        p->mask = f->payload[0];
        p->next_sample_us = lui_hal_time_us();
        memset(p->batch_len, 0, sizeof p->batch_len);
        return LUI_OK;
    case LUI_STOP:
        if (f->len != 0)
            return LUI_BAD_LENGTH;
        flush_all(p);
        p->mask = 0;
        return LUI_OK;
    case LUI_SET_RATE: {
        if (f->len != 4)
            return LUI_BAD_LENGTH;
        uint32_t rate = lui_get_u32(f->payload);
        if (rate < LUI_MIN_RATE_HZ || rate > LUI_MAX_RATE_HZ)
            return LUI_BAD_RATE;
        flush_all(p);
        p->rate_hz = rate;
        return LUI_OK;
    }
    default:
        return LUI_UNKNOWN_COMMAND;
    }
}

static void on_frame(void *ctx, const lui_frame *f)
{
    lui_probe *p = ctx;
    if (f->type == LUI_IDENTIFY && f->len == 0) {
        identify(p);
        return;
    }
    send_ack(p, f->seq, f->type == LUI_IDENTIFY ? LUI_BAD_LENGTH : command(p, f));
}

void lui_probe_receive(lui_probe *p, const uint8_t *data, size_t n)
{
    lui_decoder_feed(&p->decoder, data, n, on_frame, p);
}

static void drive_pulses(lui_probe *p, uint64_t now)
{
    bool high[LUI_N_PULSE] = {false};
    uint8_t kept = 0;
    for (uint8_t i = 0; i < p->n_pulses; i++) {
        lui_pulse q = p->pulses[i];
        if (q.start_us <= now && now < q.end_us)
            high[q.channel] = true;
        if (q.end_us > now)
            p->pulses[kept++] = q;
    }
    p->n_pulses = kept;
    for (uint8_t ch = 0; ch < LUI_N_PULSE; ch++)
        lui_hal_set_pulse(ch, high[ch]);
}

static void sample(lui_probe *p, uint64_t now)
{
    uint32_t batch = p->rate_hz / LUI_BATCHES_PER_S;
    if (batch < 1)
        batch = 1;
    if (batch > LUI_MAX_SAMPLES_PER_FRAME)
        batch = LUI_MAX_SAMPLES_PER_FRAME;
    while (p->mask && p->next_sample_us <= now) {
        for (uint8_t ch = 0; ch < LUI_N_MEMBRANE; ch++) {
            if (!(p->mask >> ch & 1u))
                continue;
            if (!p->batch_len[ch])
                p->batch_t0_us[ch] = p->next_sample_us;
            p->batch[ch][p->batch_len[ch]++] = lui_hal_adc_mv(ch);
            if (p->batch_len[ch] >= batch)
                flush_channel(p, ch);
        }
        p->next_sample_us += period_us(p);
    }
}

static void stamp_spikes(lui_probe *p, uint64_t now)
{
    for (uint8_t ch = 0; ch < LUI_N_SPIKE; ch++) {
        bool level = lui_hal_spike_input(ch);
        if (level && !p->spike_level[ch]) {
            uint8_t pl[9];
            pl[0] = ch;
            lui_put_u64(pl + 1, now);
            send(p, LUI_SPIKE, pl, sizeof pl);
        }
        p->spike_level[ch] = level;
    }
}

void lui_probe_poll(lui_probe *p)
{
    uint64_t now = lui_hal_time_us();
    drive_pulses(p, now);
    sample(p, now);
    stamp_spikes(p, now);
}
