/* Minimal classic pcap writer. */
#include "pcap_writer.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

FILE *pcap_open_raw(const char *path) {
  uint8_t hdr[24];
  FILE *f = fopen(path, "wb");

  if (f == NULL)
    return NULL;
  put32(hdr, 0xa1b2c3d4u);     /* magic, microsecond timestamps */
  put16(hdr + 4, 2);           /* version 2.4 */
  put16(hdr + 6, 4);
  put32(hdr + 8, 0);           /* GMT offset */
  put32(hdr + 12, 0);          /* accuracy */
  put32(hdr + 16, 65535);      /* snap length */
  put32(hdr + 20, 101);        /* LINKTYPE_RAW */
  if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
    fclose(f);
    return NULL;
  }
  return f;
}

int pcap_write(FILE *f, const uint8_t *packet, size_t len, uint32_t sec,
               uint32_t usec) {
  uint8_t rec[16];

  put32(rec, sec);
  put32(rec + 4, usec);
  put32(rec + 8, (uint32_t)len);
  put32(rec + 12, (uint32_t)len);
  if (fwrite(rec, 1, sizeof(rec), f) != sizeof(rec))
    return -1;
  return fwrite(packet, 1, len, f) == len ? 0 : -1;
}

static uint16_t ipv4_checksum(const uint8_t *h) {
  uint32_t sum = 0;
  int i;

  for (i = 0; i < 20; i += 2)
    sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

size_t pcap_build_ipv4(uint8_t *out, size_t cap, uint32_t src, uint32_t dst,
                       uint8_t proto, const uint8_t *payload, size_t len) {
  size_t total = 20 + len;
  uint16_t sum;

  if (total > cap || total > 65535)
    return 0;
  memset(out, 0, 20);
  out[0] = 0x45;
  out[2] = (uint8_t)(total >> 8);
  out[3] = (uint8_t)total;
  out[8] = 64;
  out[9] = proto;
  out[12] = (uint8_t)(src >> 24);
  out[13] = (uint8_t)(src >> 16);
  out[14] = (uint8_t)(src >> 8);
  out[15] = (uint8_t)src;
  out[16] = (uint8_t)(dst >> 24);
  out[17] = (uint8_t)(dst >> 16);
  out[18] = (uint8_t)(dst >> 8);
  out[19] = (uint8_t)dst;
  sum = ipv4_checksum(out);
  out[10] = (uint8_t)(sum >> 8);
  out[11] = (uint8_t)sum;
  memmove(out + 20, payload, len);
  return total;
}

/* The UDP checksum is left zero, which IPv4 allows. */
size_t pcap_build_ipv4_udp(uint8_t *out, size_t cap, uint32_t src,
                           uint32_t dst, uint16_t sport, uint16_t dport,
                           const uint8_t *payload, size_t len) {
  size_t udp_len = 8 + len;

  if (28 + len > cap || udp_len > 65535 - 20)
    return 0;
  memmove(out + 28, payload, len);
  out[20] = (uint8_t)(sport >> 8);
  out[21] = (uint8_t)sport;
  out[22] = (uint8_t)(dport >> 8);
  out[23] = (uint8_t)dport;
  out[24] = (uint8_t)(udp_len >> 8);
  out[25] = (uint8_t)udp_len;
  out[26] = 0;
  out[27] = 0;
  return pcap_build_ipv4(out, cap, src, dst, 17, out + 20, udp_len);
}
