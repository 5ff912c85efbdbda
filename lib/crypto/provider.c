/* Placeholder until the Mbed TLS provider table lands. */
#include "crypto/crypto.h"

const struct tcpsec_crypto_provider *tcpsec_crypto_default_provider(void) {
  return NULL;
}
