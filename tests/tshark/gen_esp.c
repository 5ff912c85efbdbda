/*
 * Writes a capture of tunnel-mode ESP packets sealed by tcpsec, for an
 * independent decoder (tshark) to decrypt and authenticate.
 *
 *   gen_esp CAPTURE ROWS
 *
 * CAPTURE receives a pcap (raw IPv4 link type) with outer IPv4 packets,
 * protocol 50, from 192.0.2.1 to 192.0.2.2. Each SA carries three inner
 * ICMP echo requests from 10.1.0.1 to 10.2.0.1 with 56, 200 and 1000 bytes
 * of ICMP data (identifier = SA number, sequence 1..3). ROWS receives one
 * line per SA in the syntax of Wireshark's esp_sa table, ready for
 * `-o uat:esp_sa:<line>`. The keys are fixed test values.
 *
 * The first SA's third packet is written a second time with the last ICV
 * byte flipped (frame 4), so the decoder must also report a bad ICV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "pcap_writer.h"
#include "tcpsec/tcpsec.h"

#define OUTER_SRC 0xc0000201u /* 192.0.2.1 */
#define OUTER_DST 0xc0000202u /* 192.0.2.2 */
#define INNER_SRC 0x0a010001u /* 10.1.0.1 */
#define INNER_DST 0x0a020001u /* 10.2.0.1 */

struct sa_spec {
  uint32_t spi;
  uint16_t encr;
  size_t encr_key_len; /* with the salt for AEAD */
  uint16_t integ;
  size_t integ_key_len;
  const char *wireshark_encr;
  const char *wireshark_auth;
};

/* Wireshark 4.0 names of the algorithms in its ESP SA table. */
static const struct sa_spec specs[] = {
  {0x00001001, TCPSEC_ENCR_AES_GCM_16, 20, TCPSEC_INTEG_NONE, 0,
   "AES-GCM with 16 octet ICV [RFC4106]", "NULL"},
  {0x00001002, TCPSEC_ENCR_AES_GCM_16, 36, TCPSEC_INTEG_NONE, 0,
   "AES-GCM with 16 octet ICV [RFC4106]", "NULL"},
  {0x00001003, TCPSEC_ENCR_AES_CBC, 16, TCPSEC_INTEG_HMAC_SHA2_256_128, 32,
   "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"},
  {0x00001004, TCPSEC_ENCR_AES_CBC, 24, TCPSEC_INTEG_HMAC_SHA2_384_192, 48,
   "AES-CBC [RFC3602]", "HMAC-SHA-384-192 [RFC4868]"},
  {0x00001005, TCPSEC_ENCR_AES_CBC, 32, TCPSEC_INTEG_HMAC_SHA2_512_256, 64,
   "AES-CBC [RFC3602]", "HMAC-SHA-512-256 [RFC4868]"},
};

static void fill_key(uint8_t *key, size_t len, uint32_t spi, uint8_t salt) {
  size_t i;

  for (i = 0; i < len; i++)
    key[i] = (uint8_t)((spi * 31u + i * 17u) ^ salt);
}

static void hex(FILE *f, const uint8_t *p, size_t len) {
  size_t i;

  fputs("0x", f);
  for (i = 0; i < len; i++)
    fprintf(f, "%02x", p[i]);
}

static uint16_t checksum(const uint8_t *p, size_t len) {
  uint32_t sum = 0;
  size_t i;

  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (len % 2)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* IPv4 + ICMP echo request with `data_len` bytes of data; returns the
 * length. */
static size_t icmp_echo(uint8_t *p, size_t data_len, uint16_t id,
                        uint16_t seq) {
  size_t len = 20 + 8 + data_len, i;

  memset(p, 0, len);
  p[0] = 0x45;
  tcpsec_store_be16(p + 2, (uint16_t)len);
  tcpsec_store_be16(p + 4, (uint16_t)(id * 16 + seq));
  p[8] = 64;
  p[9] = 1;
  tcpsec_store_be32(p + 12, INNER_SRC);
  tcpsec_store_be32(p + 16, INNER_DST);
  tcpsec_store_be16(p + 10, checksum(p, 20));
  p[20] = 8;
  tcpsec_store_be16(p + 24, id);
  tcpsec_store_be16(p + 26, seq);
  for (i = 0; i < data_len; i++)
    p[28 + i] = (uint8_t)i;
  tcpsec_store_be16(p + 22, checksum(p + 20, 8 + data_len));
  return len;
}

static int write_sa(tcpsec_ctx *ctx, FILE *pcap, FILE *rows,
                    const struct sa_spec *s, uint16_t number) {
  static const size_t data_lens[] = {56, 200, 1000};
  uint8_t encr_key[64], integ_key[64];
  uint8_t buf[2048], outer[2100];
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;
  size_t i, outer_len = 0;
  int rv;

  fill_key(encr_key, s->encr_key_len, s->spi, 0x5c);
  fill_key(integ_key, s->integ_key_len, s->spi, 0x36);
  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = s->spi;
  cfg.direction = TCPSEC_ESP_OUTBOUND;
  cfg.encr = s->encr;
  cfg.encr_key = encr_key;
  cfg.encr_key_len = s->encr_key_len;
  cfg.integ = s->integ;
  cfg.integ_key = s->integ_key_len ? integ_key : NULL;
  cfg.integ_key_len = s->integ_key_len;
  rv = tcpsec_esp_sa_new(ctx, &cfg, 0, &sa);
  if (rv != 0) {
    fprintf(stderr, "gen_esp: SA 0x%08x: %s\n", s->spi, tcpsec_strerror(rv));
    return 1;
  }

  for (i = 0; i < TCPSEC_ARRAY_SIZE(data_lens); i++) {
    size_t hdr = tcpsec_esp_sa_headroom(sa), inner;
    ptrdiff_t n;

    /* Seal in place: the inner packet sits behind the ESP header. */
    inner = icmp_echo(buf + hdr, data_lens[i], number, (uint16_t)(i + 1));
    n = tcpsec_esp_sa_seal(sa, buf + hdr, inner, buf, sizeof(buf),
                           (uint64_t)i);
    if (n < 0) {
      fprintf(stderr, "gen_esp: seal on SA 0x%08x failed: %s\n", s->spi,
              tcpsec_strerror((int)n));
      tcpsec_esp_sa_free(sa);
      return 1;
    }
    outer_len = pcap_build_ipv4(outer, sizeof(outer), OUTER_SRC, OUTER_DST,
                                50, buf, (size_t)n);
    if (outer_len == 0 ||
        pcap_write(pcap, outer, outer_len, 1700000000u + number,
                   (uint32_t)i) != 0) {
      tcpsec_esp_sa_free(sa);
      return 1;
    }
  }
  if (number == 1) {
    outer[outer_len - 1] ^= 0x01;
    if (pcap_write(pcap, outer, outer_len, 1700000000u + number, 9) != 0) {
      tcpsec_esp_sa_free(sa);
      return 1;
    }
  }

  fprintf(rows, "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x%08x\",\"%s\",\"",
          s->spi, s->wireshark_encr);
  hex(rows, encr_key, s->encr_key_len);
  fprintf(rows, "\",\"%s\",\"", s->wireshark_auth);
  hex(rows, integ_key, s->integ_key_len);
  fputs("\"\n", rows);
  tcpsec_esp_sa_free(sa);
  return 0;
}

int main(int argc, char **argv) {
  tcpsec_ctx *ctx = NULL;
  FILE *pcap, *rows;
  size_t i;
  int rc = 0;

  if (argc != 3) {
    fprintf(stderr, "usage: gen_esp CAPTURE ROWS\n");
    return 2;
  }
  if (tcpsec_ctx_new(NULL, &ctx) != 0) {
    fprintf(stderr, "gen_esp: cannot create a context\n");
    return 1;
  }
  pcap = pcap_open_raw(argv[1]);
  rows = fopen(argv[2], "w");
  if (pcap == NULL || rows == NULL) {
    fprintf(stderr, "gen_esp: cannot create %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  for (i = 0; i < TCPSEC_ARRAY_SIZE(specs) && rc == 0; i++)
    rc = write_sa(ctx, pcap, rows, &specs[i], (uint16_t)(i + 1));
  fclose(pcap);
  fclose(rows);
  tcpsec_ctx_free(ctx);
  return rc;
}
