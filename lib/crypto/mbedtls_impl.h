/*
 * Functions of the Mbed TLS provider, shared between its source files and
 * the provider table in crypto/provider.c.
 */
#ifndef TCPSEC_CRYPTO_MBEDTLS_IMPL_H
#define TCPSEC_CRYPTO_MBEDTLS_IMPL_H

#include "crypto/provider.h"

/* Map an Mbed TLS error code to a TCPSEC_ERR_* code: allocation failures
 * to NO_MEMORY, random generator failures to RANDOM, the rest to
 * CRYPTO_BACKEND. */
int tcpsec_mbedtls_error(int ret);

/* crypto/mbedtls_md.c */
int tcpsec_mbedtls_hash(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const tcpsec_iov *iov, size_t iov_count, uint8_t *out);
int tcpsec_mbedtls_hmac(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const uint8_t *key, size_t key_len,
                        const tcpsec_iov *iov, size_t iov_count, uint8_t *out);
int tcpsec_mbedtls_hmac_key_new(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                                const uint8_t *key, size_t key_len,
                                tcpsec_hmac_key **out);
int tcpsec_mbedtls_hmac_key_compute(tcpsec_hmac_key *k, const tcpsec_iov *iov,
                                    size_t iov_count, uint8_t *out);
void tcpsec_mbedtls_hmac_key_free(tcpsec_hmac_key *k);

/* crypto/mbedtls_cipher.c */
int tcpsec_mbedtls_aead_new(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *key,
                            size_t key_len, tcpsec_aead **out);
int tcpsec_mbedtls_aead_encrypt(tcpsec_aead *a, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                uint8_t *tag);
int tcpsec_mbedtls_aead_decrypt(tcpsec_aead *a, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                const uint8_t *tag);
void tcpsec_mbedtls_aead_free(tcpsec_aead *a);
int tcpsec_mbedtls_cbc_new(tcpsec_ctx *ctx, const uint8_t *key, size_t key_len,
                           tcpsec_cbc **out);
int tcpsec_mbedtls_cbc_encrypt(tcpsec_cbc *c, const uint8_t *iv,
                               const uint8_t *in, uint8_t *out, size_t len);
int tcpsec_mbedtls_cbc_decrypt(tcpsec_cbc *c, const uint8_t *iv,
                               const uint8_t *in, uint8_t *out, size_t len);
void tcpsec_mbedtls_cbc_free(tcpsec_cbc *c);

/* crypto/mbedtls_ke.c */
int tcpsec_mbedtls_ke_new(tcpsec_ctx *ctx, const tcpsec_ke_info *info,
                          const uint8_t *priv, size_t priv_len,
                          tcpsec_ke **out);
int tcpsec_mbedtls_ke_public(const tcpsec_ke *ke, uint8_t *out);
int tcpsec_mbedtls_ke_compute(tcpsec_ke *ke, const uint8_t *peer,
                              uint8_t *secret);
void tcpsec_mbedtls_ke_free(tcpsec_ke *ke);

#endif /* TCPSEC_CRYPTO_MBEDTLS_IMPL_H */
