/* Constant-time comparison and secure wiping. */
#include "core/util.h"

int tcpsec_ct_memcmp(const void *a, const void *b, size_t len) {
  const volatile uint8_t *x = a;
  const volatile uint8_t *y = b;
  uint8_t diff = 0;
  size_t i;

  for (i = 0; i < len; i++)
    diff |= (uint8_t)(x[i] ^ y[i]);
  return diff != 0;
}

/* Calling memset through a volatile function pointer keeps the compiler from
 * proving the store dead and removing it. */
static void *(*const volatile zeroize_memset)(void *, int, size_t) = memset;

void tcpsec_zeroize(void *buf, size_t len) {
  if (buf != NULL && len != 0)
    zeroize_memset(buf, 0, len);
}
