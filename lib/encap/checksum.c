/* Internet checksum (RFC 1071) for TCP segments and IPv4 headers. */
#include <string.h>

#include "core/util.h"
#include "encap/encap_internal.h"

/*
 * The ones' complement sum does not depend on byte order (RFC 1071 section
 * 2(B)). Summing native 32-bit words into a 64-bit accumulator and folding
 * at the end gives the byte-swapped sum on little-endian machines.
 * tcpsec_csum_finish() undoes the swap by storing natively and loading
 * big-endian. The accumulator cannot overflow before 2^32 words, far
 * beyond 64 KiB.
 */
uint64_t tcpsec_csum_add(uint64_t sum, const uint8_t *p, size_t len) {
  uint32_t w0, w1, w2, w3;
  uint8_t tail[4] = {0, 0, 0, 0};

  while (len >= 16) {
    memcpy(&w0, p, 4);
    memcpy(&w1, p + 4, 4);
    memcpy(&w2, p + 8, 4);
    memcpy(&w3, p + 12, 4);
    sum += (uint64_t)w0 + w1 + w2 + w3;
    p += 16;
    len -= 16;
  }
  while (len >= 4) {
    memcpy(&w0, p, 4);
    sum += w0;
    p += 4;
    len -= 4;
  }
  if (len > 0) {
    /* Pad the last word with zeros, as RFC 1071 pads an odd byte. */
    memcpy(tail, p, len);
    memcpy(&w0, tail, 4);
    sum += w0;
  }
  return sum;
}

uint16_t tcpsec_csum_finish(uint64_t sum) {
  uint16_t folded;
  uint8_t bytes[2];

  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  folded = (uint16_t)~sum;
  memcpy(bytes, &folded, 2);
  return tcpsec_load_be16(bytes);
}
