/*
 * Small helpers used everywhere: constant-time comparison, secure wiping,
 * and big-endian loads and stores.
 */
#ifndef TCPSEC_CORE_UTIL_H
#define TCPSEC_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TCPSEC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TCPSEC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TCPSEC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Compare in time that depends only on len; 0 when equal, 1 otherwise. */
int tcpsec_ct_memcmp(const void *a, const void *b, size_t len);

/* Overwrite memory in a way the compiler cannot remove. */
void tcpsec_zeroize(void *buf, size_t len);

static inline uint16_t tcpsec_load_be16(const uint8_t *p) {
  return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t tcpsec_load_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

static inline uint64_t tcpsec_load_be64(const uint8_t *p) {
  return (uint64_t)tcpsec_load_be32(p) << 32 | tcpsec_load_be32(p + 4);
}

static inline void tcpsec_store_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void tcpsec_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline void tcpsec_store_be64(uint8_t *p, uint64_t v) {
  tcpsec_store_be32(p, (uint32_t)(v >> 32));
  tcpsec_store_be32(p + 4, (uint32_t)v);
}

#endif /* TCPSEC_CORE_UTIL_H */
