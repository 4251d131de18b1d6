/* Protocol vector tool for the C/Python cross-check (host only).
 *   lui_vectors decode  < bytes        prints "F <type> <seq> <payload hex>" per frame, then
 *                                      "S <discarded_bytes> <crc_errors>"
 *   lui_vectors encode  < lines        reads "<type> <seq> <payload hex>" lines, prints frame hex
 *   lui_vectors probe   < bytes        feeds host bytes to the firmware core (clock stopped at
 *                                      1000 us, idle board) and writes its replies to stdout
 */
#include <stdio.h>
#include <string.h>

#include "lui_probe.h"
#include "lui_protocol.h"

uint64_t lui_hal_time_us(void) { return 1000u; }
void lui_hal_set_pulse(uint8_t channel, bool high) { (void)channel; (void)high; }
uint16_t lui_hal_adc_mv(uint8_t channel) { (void)channel; return 0; }
bool lui_hal_spike_input(uint8_t channel) { (void)channel; return false; }
void lui_hal_write(const uint8_t *data, size_t len) { fwrite(data, 1, len, stdout); }

static void print_frame(void *ctx, const lui_frame *f)
{
    (void)ctx;
    printf("F %u %u ", f->type, f->seq);
    for (int i = 0; i < f->len; i++)
        printf("%02x", f->payload[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "decode")) {
        lui_decoder d;
        uint8_t buf[4096];
        size_t n;
        lui_decoder_init(&d);
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            lui_decoder_feed(&d, buf, n, print_frame, NULL);
        printf("S %u %u\n", (unsigned)d.discarded_bytes, (unsigned)d.crc_errors);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "encode")) {
        unsigned type, seq;
        char hex[2 * LUI_MAX_PAYLOAD + 2];
        while (scanf("%u %u %512s", &type, &seq, hex) == 3) {
            uint8_t pl[LUI_MAX_PAYLOAD], out[LUI_MAX_FRAME];
            size_t len = strcmp(hex, "-") ? strlen(hex) / 2 : 0;
            for (size_t i = 0; i < len; i++)
                sscanf(hex + 2 * i, "%2hhx", &pl[i]);
            size_t n = lui_encode_frame((uint8_t)type, (uint16_t)seq, pl, (uint8_t)len, out);
            for (size_t i = 0; i < n; i++)
                printf("%02x", out[i]);
            putchar('\n');
        }
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "probe")) {
        static lui_probe probe;
        uint8_t buf[4096];
        size_t n;
        lui_probe_init(&probe);
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            lui_probe_receive(&probe, buf, n);
        return 0;
    }
    fprintf(stderr, "usage: %s decode|encode|probe\n", argv[0]);
    return 2;
}
