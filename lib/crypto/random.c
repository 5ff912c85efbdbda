/* Default random generator: Mbed TLS CTR_DRBG over the platform entropy
 * source, one instance per context. */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "core/ctx.h"
#include "crypto/crypto.h"

struct drbg {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context ctr;
};

static const unsigned char drbg_personalisation[] = "tcpsec ctx drbg";

int tcpsec_drbg_new(tcpsec_ctx *ctx, void **out) {
  struct drbg *d;
  int ret;

  d = tcpsec_calloc(ctx, 1, sizeof(*d));
  if (d == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  mbedtls_entropy_init(&d->entropy);
  mbedtls_ctr_drbg_init(&d->ctr);
  ret = mbedtls_ctr_drbg_seed(&d->ctr, mbedtls_entropy_func, &d->entropy,
                              drbg_personalisation,
                              sizeof(drbg_personalisation) - 1);
  if (ret != 0) {
    tcpsec_drbg_free(ctx, d);
    return TCPSEC_ERR_RANDOM;
  }
  *out = d;
  return 0;
}

/* CTR_DRBG limits one request to MBEDTLS_CTR_DRBG_MAX_REQUEST bytes, so long
 * requests are served in pieces. */
int tcpsec_drbg_fill(void *drbg, uint8_t *buf, size_t len) {
  struct drbg *d = drbg;

  while (len > 0) {
    size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len
                                                 : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (mbedtls_ctr_drbg_random(&d->ctr, buf, n) != 0)
      return TCPSEC_ERR_RANDOM;
    buf += n;
    len -= n;
  }
  return 0;
}

void tcpsec_drbg_free(tcpsec_ctx *ctx, void *drbg) {
  struct drbg *d = drbg;

  if (d == NULL)
    return;
  mbedtls_ctr_drbg_free(&d->ctr);
  mbedtls_entropy_free(&d->entropy);
  tcpsec_free_secret(ctx, d, sizeof(*d));
}
