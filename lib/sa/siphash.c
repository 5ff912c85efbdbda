/* SipHash-2-4 (J.-P. Aumasson and D. J. Bernstein): two compression rounds
 * per 8-byte word, four finalization rounds. tests/unit/test_sad.c checks it
 * against the test vectors of the authors' reference code (veorq/SipHash,
 * vectors.h). */
#include "sa/sa_internal.h"

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

typedef struct sip_state {
  uint64_t v0, v1, v2, v3;
} sip_state;

static void sip_round(sip_state *s) {
  s->v0 += s->v1;
  s->v1 = ROTL64(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = ROTL64(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = ROTL64(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = ROTL64(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = ROTL64(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = ROTL64(s->v2, 32);
}

static uint64_t load_le64(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  size_t i;

  for (i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void sip_absorb(sip_state *s, uint64_t m) {
  s->v3 ^= m;
  sip_round(s);
  sip_round(s);
  s->v0 ^= m;
}

uint64_t tcpsec_siphash24(const uint64_t key[2], const uint8_t *data,
                          size_t len) {
  sip_state s;
  size_t full = len / 8 * 8, i;

  s.v0 = key[0] ^ 0x736f6d6570736575ULL;
  s.v1 = key[1] ^ 0x646f72616e646f6dULL;
  s.v2 = key[0] ^ 0x6c7967656e657261ULL;
  s.v3 = key[1] ^ 0x7465646279746573ULL;

  /* Compression: 8-byte little-endian words, then the last word carrying
   * the remaining bytes and the length modulo 256 in its top byte. */
  for (i = 0; i < full; i += 8)
    sip_absorb(&s, load_le64(data + i, 8));
  sip_absorb(&s, load_le64(data + full, len - full) | (uint64_t)len << 56);

  /* Finalization. */
  s.v2 ^= 0xff;
  for (i = 0; i < 4; i++)
    sip_round(&s);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
