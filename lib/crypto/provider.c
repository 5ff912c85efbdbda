/* The default crypto provider: the Mbed TLS 2.28 table. */
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>

#include "crypto/mbedtls_impl.h"

const struct tcpsec_crypto_provider tcpsec_mbedtls_provider = {
  .name = "mbedtls",

  .hash = tcpsec_mbedtls_hash,
  .hmac = tcpsec_mbedtls_hmac,
  .hmac_key_new = tcpsec_mbedtls_hmac_key_new,
  .hmac_key_compute = tcpsec_mbedtls_hmac_key_compute,
  .hmac_key_free = tcpsec_mbedtls_hmac_key_free,

  .aead_new = tcpsec_mbedtls_aead_new,
  .aead_encrypt = tcpsec_mbedtls_aead_encrypt,
  .aead_decrypt = tcpsec_mbedtls_aead_decrypt,
  .aead_free = tcpsec_mbedtls_aead_free,

  .cbc_new = tcpsec_mbedtls_cbc_new,
  .cbc_encrypt = tcpsec_mbedtls_cbc_encrypt,
  .cbc_decrypt = tcpsec_mbedtls_cbc_decrypt,
  .cbc_free = tcpsec_mbedtls_cbc_free,

  .ke_new = tcpsec_mbedtls_ke_new,
  .ke_public = tcpsec_mbedtls_ke_public,
  .ke_compute = tcpsec_mbedtls_ke_compute,
  .ke_free = tcpsec_mbedtls_ke_free,
};

const struct tcpsec_crypto_provider *tcpsec_crypto_default_provider(void) {
  return &tcpsec_mbedtls_provider;
}

int tcpsec_mbedtls_error(int ret) {
  switch (ret) {
  case 0:
    return 0;
  case MBEDTLS_ERR_MD_ALLOC_FAILED:
  case MBEDTLS_ERR_MPI_ALLOC_FAILED:
  case MBEDTLS_ERR_ECP_ALLOC_FAILED:
    return TCPSEC_ERR_NO_MEMORY;
  case MBEDTLS_ERR_ECP_RANDOM_FAILED:
    return TCPSEC_ERR_RANDOM;
  default:
    return TCPSEC_ERR_CRYPTO_BACKEND;
  }
}
