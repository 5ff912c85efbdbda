/*
 * Crypto provider: the table of primitives that the functions in
 * crypto/crypto.h dispatch to.
 *
 * crypto.h checks arguments (algorithm numbers, key lengths, NULL pointers,
 * buffer sizes) before calling a provider, so a provider receives only
 * requests it has to serve. A provider allocates its keyed objects itself,
 * with the context's allocator, and embeds the common header defined here
 * (struct tcpsec_aead, tcpsec_cbc, tcpsec_hmac_key, tcpsec_ke) as their
 * first member, so the dispatching code can find the provider of any
 * object. A second backend or a hardware offload fills its own table and is
 * installed in ctx->crypto.
 *
 * Every function returns 0 or a negative TCPSEC_ERR_* code.
 */
#ifndef TCPSEC_CRYPTO_PROVIDER_H
#define TCPSEC_CRYPTO_PROVIDER_H

#include "crypto/crypto.h"

struct tcpsec_crypto_provider;

/* Header that every keyed object starts with. */
struct tcpsec_hmac_key {
  const struct tcpsec_crypto_provider *provider;
  tcpsec_ctx *ctx;
  tcpsec_hash_alg alg;
};

struct tcpsec_aead {
  const struct tcpsec_crypto_provider *provider;
  tcpsec_ctx *ctx;
  uint16_t encr;
};

struct tcpsec_cbc {
  const struct tcpsec_crypto_provider *provider;
  tcpsec_ctx *ctx;
};

struct tcpsec_ke {
  const struct tcpsec_crypto_provider *provider;
  tcpsec_ctx *ctx;
  const tcpsec_ke_info *info;
};

struct tcpsec_crypto_provider {
  const char *name;

  /* Hashes and HMAC; alg is one of SHA-1/256/384/512. */
  int (*hash)(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const tcpsec_iov *iov,
              size_t iov_count, uint8_t *out);
  int (*hmac)(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const uint8_t *key,
              size_t key_len, const tcpsec_iov *iov, size_t iov_count,
              uint8_t *out);
  int (*hmac_key_new)(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                      const uint8_t *key, size_t key_len,
                      tcpsec_hmac_key **out);
  int (*hmac_key_compute)(tcpsec_hmac_key *k, const tcpsec_iov *iov,
                          size_t iov_count, uint8_t *out);
  void (*hmac_key_free)(tcpsec_hmac_key *k);

  /* AEAD; encr is AES-GCM-16 or ChaCha20-Poly1305 with a valid key length.
   * decrypt wipes out on a tag mismatch. */
  int (*aead_new)(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *key,
                  size_t key_len, tcpsec_aead **out);
  int (*aead_encrypt)(tcpsec_aead *a, const uint8_t *nonce,
                      const uint8_t *aad, size_t aad_len, const uint8_t *in,
                      uint8_t *out, size_t len, uint8_t *tag);
  int (*aead_decrypt)(tcpsec_aead *a, const uint8_t *nonce,
                      const uint8_t *aad, size_t aad_len, const uint8_t *in,
                      uint8_t *out, size_t len, const uint8_t *tag);
  void (*aead_free)(tcpsec_aead *a);

  /* AES-CBC without padding; len is a multiple of the block length. */
  int (*cbc_new)(tcpsec_ctx *ctx, const uint8_t *key, size_t key_len,
                 tcpsec_cbc **out);
  int (*cbc_encrypt)(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                     uint8_t *out, size_t len);
  int (*cbc_decrypt)(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                     uint8_t *out, size_t len);
  void (*cbc_free)(tcpsec_cbc *c);

  /* Key exchange; priv is NULL for a fresh random private value. Lengths of
   * public values and secrets are those of info. */
  int (*ke_new)(tcpsec_ctx *ctx, const tcpsec_ke_info *info,
                const uint8_t *priv, size_t priv_len, tcpsec_ke **out);
  int (*ke_public)(const tcpsec_ke *ke, uint8_t *out);
  int (*ke_compute)(tcpsec_ke *ke, const uint8_t *peer, uint8_t *secret);
  void (*ke_free)(tcpsec_ke *ke);
};

/* The Mbed TLS 2.28 implementation (crypto/mbedtls_*.c). */
extern const struct tcpsec_crypto_provider tcpsec_mbedtls_provider;

#endif /* TCPSEC_CRYPTO_PROVIDER_H */
