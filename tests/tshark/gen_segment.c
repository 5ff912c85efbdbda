/*
 * Writes Fortinet-style segments built by tcpsec to a pcap file (link type
 * RAW) so that tshark can check them independently, and prints one line
 * per frame with what tshark should report:
 *
 *   frame good|bad src_port dst_port seq ack window payload_len
 *
 * Frames: IPv4 and IPv6 segments with even and odd payload lengths, built
 * in place, by copy and by a tracker, and bare TCP segments with an IP
 * header added here. The last two frames, one IPv4 and one IPv6, have a
 * payload byte changed after building, so their checksums must be
 * reported bad.
 *
 * Usage: gen_segment OUTPUT.pcap
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_writer.h"
#include "tcpsec/tcpsec.h"

#define BUF_LEN (TCPSEC_SEGMENT_HEADROOM + 2000)

static unsigned frame_count;

static void fail(const char *step, long code) {
  fprintf(stderr, "gen_segment: %s failed: %ld\n", step, code);
  exit(1);
}

/* Print the expected decode of a TCP segment and write the packet. */
static void emit(FILE *f, const uint8_t *packet, size_t len,
                 const tcpsec_segment_info *info, size_t payload_len,
                 int good) {
  frame_count++;
  if (pcap_write(f, packet, len, frame_count, 0) != 0)
    fail("pcap_write", 0);
  printf("%u %s %u %u %u %u %u %zu\n", frame_count, good ? "good" : "bad",
         info->src_port, info->dst_port, info->seq, info->ack, info->window,
         payload_len);
}

static void set_v4(tcpsec_ip_addr *a, uint32_t v) {
  memset(a, 0, sizeof(*a));
  a->family = TCPSEC_IP_V4;
  a->bytes[0] = (uint8_t)(v >> 24);
  a->bytes[1] = (uint8_t)(v >> 16);
  a->bytes[2] = (uint8_t)(v >> 8);
  a->bytes[3] = (uint8_t)v;
}

static void set_v6(tcpsec_ip_addr *a, uint8_t last) {
  static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 9};

  memset(a, 0, sizeof(*a));
  a->family = TCPSEC_IP_V6;
  memcpy(a->bytes, prefix, sizeof(prefix));
  a->bytes[15] = last;
}

static uint32_t v4_value(const tcpsec_ip_addr *a) {
  return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
         (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

/* ESP-like payload: SPI, sequence number, then a byte pattern. */
static void fill_esp(uint8_t *p, size_t len, uint32_t spi, uint32_t esp_seq) {
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 13 + 1);
  p[0] = (uint8_t)(spi >> 24);
  p[1] = (uint8_t)(spi >> 16);
  p[2] = (uint8_t)(spi >> 8);
  p[3] = (uint8_t)spi;
  p[4] = (uint8_t)(esp_seq >> 24);
  p[5] = (uint8_t)(esp_seq >> 16);
  p[6] = (uint8_t)(esp_seq >> 8);
  p[7] = (uint8_t)esp_seq;
}

/* IPv6 header (no extension headers) in front of a TCP segment, for bare
 * segments; the IPv4 counterpart is pcap_build_ipv4(). */
static size_t build_ipv6(uint8_t *out, size_t cap, const tcpsec_ip_addr *src,
                         const tcpsec_ip_addr *dst, const uint8_t *tcp,
                         size_t tcp_len) {
  if (40 + tcp_len > cap || tcp_len > 65535)
    return 0;
  memmove(out + 40, tcp, tcp_len);
  out[0] = 0x60;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out[4] = (uint8_t)(tcp_len >> 8);
  out[5] = (uint8_t)tcp_len;
  out[6] = 6;
  out[7] = 64;
  memcpy(out + 8, src->bytes, 16);
  memcpy(out + 24, dst->bytes, 16);
  return 40 + tcp_len;
}

static void sample_info(tcpsec_segment_info *info, int family, unsigned n) {
  tcpsec_segment_info_default(info);
  if (family == 4) {
    set_v4(&info->src, 0xc0000201u); /* 192.0.2.1 */
    set_v4(&info->dst, 0xc6336407u); /* 198.51.100.7 */
  } else {
    set_v6(&info->src, 1);
    set_v6(&info->dst, 2);
  }
  info->src_port = (uint16_t)(40000 + n);
  info->dst_port = 1443;
  info->seq = 0xf0000000u + n * 0x01010101u;
  info->ack = 0x10000000u + n * 0x00ff00ffu;
  info->window = (uint16_t)(1000 + n);
}

/* In-place and copy builds with IP header. */
static void emit_full_segments(FILE *f, uint8_t *buf) {
  static const size_t lengths[] = {8, 9, 100, 1401, 1999};
  tcpsec_segment_info info;
  size_t i, start;
  ptrdiff_t n;
  int family;

  for (family = 4; family <= 6; family += 2) {
    for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
      sample_info(&info, family, (unsigned)i);
      fill_esp(buf + TCPSEC_SEGMENT_HEADROOM, lengths[i], 0x1000 + (uint32_t)i,
               (uint32_t)i + 1);
      if (i % 2 == 0) {
        n = tcpsec_segment_build(&info, buf, TCPSEC_SEGMENT_HEADROOM,
                                 lengths[i], &start);
      } else {
        uint8_t payload[2000];
        memcpy(payload, buf + TCPSEC_SEGMENT_HEADROOM, lengths[i]);
        start = 0;
        n = tcpsec_segment_build_copy(&info, payload, lengths[i], buf,
                                      BUF_LEN);
      }
      if (n < 0)
        fail("tcpsec_segment_build", (long)n);
      emit(f, buf + start, (size_t)n, &info, lengths[i], 1);
    }
  }
}

/* Bare TCP segments from tcpsec, IP header added by the test. */
static void emit_bare_segments(FILE *f, uint8_t *buf) {
  uint8_t packet[BUF_LEN];
  tcpsec_segment_info info;
  size_t start, len;
  ptrdiff_t n;
  int family;

  for (family = 4; family <= 6; family += 2) {
    sample_info(&info, family, 7);
    info.ip_header = 0;
    fill_esp(buf + TCPSEC_SEGMENT_HEADROOM, 333, 0x2000, 1);
    n = tcpsec_segment_build(&info, buf, TCPSEC_SEGMENT_HEADROOM, 333, &start);
    if (n < 0)
      fail("tcpsec_segment_build (bare)", (long)n);
    if (family == 4)
      len = pcap_build_ipv4(packet, sizeof(packet), v4_value(&info.src),
                            v4_value(&info.dst), 6, buf + start, (size_t)n);
    else
      len = build_ipv6(packet, sizeof(packet), &info.src, &info.dst,
                       buf + start, (size_t)n);
    if (len == 0)
      fail("IP header for bare segment", 0);
    emit(f, packet, len, &info, 333, 1);
  }
}

/* A tracker's segments after it learned the positions. */
static void emit_tracker_segments(FILE *f, uint8_t *buf) {
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t = NULL;
  tcpsec_segment_info info;
  tcpsec_ctx *ctx = NULL;
  size_t start;
  ptrdiff_t n;
  int placement, rv;

  rv = tcpsec_ctx_new(NULL, &ctx);
  if (rv != 0)
    fail("tcpsec_ctx_new", rv);
  for (placement = 0; placement <= 1; placement++) {
    tcpsec_segment_tracker_config_default(&cfg);
    set_v4(&cfg.local_addr, 0x0a000002u);
    set_v4(&cfg.remote_addr, 0xc6336407u);
    cfg.local_port = 51000;
    cfg.remote_port = 1443;
    cfg.placement = (tcpsec_segment_placement)placement;
    rv = tcpsec_segment_tracker_new(ctx, &cfg, &t);
    if (rv != 0)
      fail("tcpsec_segment_tracker_new", rv);
    rv = tcpsec_segment_tracker_observe(t, 0x11111111u, 0x22222222u,
                                        TCPSEC_TCP_ACK, 100);
    if (rv != 0)
      fail("tcpsec_segment_tracker_observe", rv);
    fill_esp(buf + TCPSEC_SEGMENT_HEADROOM, 120, 0x3000, 7);
    n = tcpsec_segment_tracker_build(t, buf, TCPSEC_SEGMENT_HEADROOM, 120,
                                     &start);
    if (n < 0)
      fail("tcpsec_segment_tracker_build", (long)n);
    tcpsec_segment_info_default(&info);
    if (tcpsec_segment_tracker_fill(t, &info) != 0)
      fail("tcpsec_segment_tracker_fill", 0);
    emit(f, buf + start, (size_t)n, &info, 120, 1);
    tcpsec_segment_tracker_free(t);
  }
  tcpsec_ctx_free(ctx);
}

/* Segments with one payload byte changed after the checksum was set. */
static void emit_corrupted_segments(FILE *f, uint8_t *buf) {
  tcpsec_segment_info info;
  size_t start;
  ptrdiff_t n;
  int family;

  for (family = 4; family <= 6; family += 2) {
    sample_info(&info, family, 9);
    fill_esp(buf + TCPSEC_SEGMENT_HEADROOM, 64, 0x4000, 1);
    n = tcpsec_segment_build(&info, buf, TCPSEC_SEGMENT_HEADROOM, 64, &start);
    if (n < 0)
      fail("tcpsec_segment_build", (long)n);
    buf[TCPSEC_SEGMENT_HEADROOM + 40] ^= 0x10;
    emit(f, buf + start, (size_t)n, &info, 64, 0);
  }
}

int main(int argc, char **argv) {
  uint8_t *buf;
  FILE *f;

  if (argc != 2) {
    fprintf(stderr, "usage: gen_segment OUTPUT.pcap\n");
    return 2;
  }
  f = pcap_open_raw(argv[1]);
  if (f == NULL) {
    fprintf(stderr, "gen_segment: cannot create %s\n", argv[1]);
    return 1;
  }
  buf = malloc(BUF_LEN);
  if (buf == NULL)
    fail("malloc", 0);

  emit_full_segments(f, buf);
  emit_bare_segments(f, buf);
  emit_tracker_segments(f, buf);
  emit_corrupted_segments(f, buf);

  free(buf);
  if (fclose(f) != 0)
    fail("fclose", 0);
  return 0;
}
