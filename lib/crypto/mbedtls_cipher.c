/* Mbed TLS provider: AES-GCM-16, ChaCha20-Poly1305 and AES-CBC. */
#include <mbedtls/aes.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/mbedtls_impl.h"

/* The key schedule is computed once, when the object is created. */
struct mbedtls_aead {
  struct tcpsec_aead base;
  union {
    mbedtls_gcm_context gcm;
    mbedtls_chachapoly_context chachapoly;
  } u;
};

struct mbedtls_cbc {
  struct tcpsec_cbc base;
  mbedtls_aes_context enc;
  mbedtls_aes_context dec;
};

/* ---- AEAD --------------------------------------------------------------- */

int tcpsec_mbedtls_aead_new(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *key,
                            size_t key_len, tcpsec_aead **out) {
  struct mbedtls_aead *a;
  int ret;

  a = tcpsec_calloc(ctx, 1, sizeof(*a));
  if (a == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  a->base.provider = &tcpsec_mbedtls_provider;
  a->base.ctx = ctx;
  a->base.encr = encr;

  if (encr == TCPSEC_ENCR_AES_GCM_16) {
    mbedtls_gcm_init(&a->u.gcm);
    ret = mbedtls_gcm_setkey(&a->u.gcm, MBEDTLS_CIPHER_ID_AES, key,
                             (unsigned)(key_len * 8));
  } else if (encr == TCPSEC_ENCR_CHACHA20_POLY1305) {
    mbedtls_chachapoly_init(&a->u.chachapoly);
    ret = mbedtls_chachapoly_setkey(&a->u.chachapoly, key);
  } else {
    tcpsec_free(ctx, a);
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  }
  if (ret != 0) {
    tcpsec_mbedtls_aead_free(&a->base);
    return tcpsec_mbedtls_error(ret);
  }
  *out = &a->base;
  return 0;
}

int tcpsec_mbedtls_aead_encrypt(tcpsec_aead *aead, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                uint8_t *tag) {
  struct mbedtls_aead *a = (struct mbedtls_aead *)aead;
  int ret;

  if (a->base.encr == TCPSEC_ENCR_AES_GCM_16)
    ret = mbedtls_gcm_crypt_and_tag(&a->u.gcm, MBEDTLS_GCM_ENCRYPT, len, nonce,
                                    TCPSEC_AEAD_NONCE_LEN, aad, aad_len, in,
                                    out, TCPSEC_AEAD_TAG_LEN, tag);
  else
    ret = mbedtls_chachapoly_encrypt_and_tag(&a->u.chachapoly, len, nonce,
                                             aad, aad_len, in, out, tag);
  return tcpsec_mbedtls_error(ret);
}

int tcpsec_mbedtls_aead_decrypt(tcpsec_aead *aead, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                const uint8_t *tag) {
  struct mbedtls_aead *a = (struct mbedtls_aead *)aead;
  int ret, auth_failed;

  /* Both functions compare the tag in constant time. */
  if (a->base.encr == TCPSEC_ENCR_AES_GCM_16) {
    ret = mbedtls_gcm_auth_decrypt(&a->u.gcm, len, nonce,
                                   TCPSEC_AEAD_NONCE_LEN, aad, aad_len, tag,
                                   TCPSEC_AEAD_TAG_LEN, in, out);
    auth_failed = ret == MBEDTLS_ERR_GCM_AUTH_FAILED;
  } else {
    ret = mbedtls_chachapoly_auth_decrypt(&a->u.chachapoly, len, nonce, aad,
                                          aad_len, tag, in, out);
    auth_failed = ret == MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED;
  }
  if (ret == 0)
    return 0;

  /* Never hand back unauthenticated plaintext. */
  tcpsec_zeroize(out, len);
  return auth_failed ? TCPSEC_ERR_ICV_MISMATCH : tcpsec_mbedtls_error(ret);
}

void tcpsec_mbedtls_aead_free(tcpsec_aead *aead) {
  struct mbedtls_aead *a = (struct mbedtls_aead *)aead;

  if (a == NULL)
    return;
  /* Both free functions wipe the key schedule. */
  if (a->base.encr == TCPSEC_ENCR_AES_GCM_16)
    mbedtls_gcm_free(&a->u.gcm);
  else
    mbedtls_chachapoly_free(&a->u.chachapoly);
  tcpsec_free_secret(a->base.ctx, a, sizeof(*a));
}

/* ---- AES-CBC ------------------------------------------------------------ */

int tcpsec_mbedtls_cbc_new(tcpsec_ctx *ctx, const uint8_t *key, size_t key_len,
                           tcpsec_cbc **out) {
  struct mbedtls_cbc *c;
  unsigned bits = (unsigned)(key_len * 8);
  int ret;

  c = tcpsec_calloc(ctx, 1, sizeof(*c));
  if (c == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  c->base.provider = &tcpsec_mbedtls_provider;
  c->base.ctx = ctx;
  mbedtls_aes_init(&c->enc);
  mbedtls_aes_init(&c->dec);
  ret = mbedtls_aes_setkey_enc(&c->enc, key, bits);
  if (ret == 0)
    ret = mbedtls_aes_setkey_dec(&c->dec, key, bits);
  if (ret != 0) {
    tcpsec_mbedtls_cbc_free(&c->base);
    return tcpsec_mbedtls_error(ret);
  }
  *out = &c->base;
  return 0;
}

/* mbedtls_aes_crypt_cbc advances the IV it is given, so it works on a copy:
 * the caller's IV stays as it was. In-place operation is supported by
 * Mbed TLS for both directions. */
static int cbc_crypt(mbedtls_aes_context *aes, int mode, const uint8_t *iv,
                     const uint8_t *in, uint8_t *out, size_t len) {
  uint8_t chain[TCPSEC_AES_BLOCK_LEN];
  int ret;

  memcpy(chain, iv, sizeof(chain));
  ret = mbedtls_aes_crypt_cbc(aes, mode, len, chain, in, out);
  tcpsec_zeroize(chain, sizeof(chain));
  return tcpsec_mbedtls_error(ret);
}

int tcpsec_mbedtls_cbc_encrypt(tcpsec_cbc *cbc, const uint8_t *iv,
                               const uint8_t *in, uint8_t *out, size_t len) {
  struct mbedtls_cbc *c = (struct mbedtls_cbc *)cbc;

  return cbc_crypt(&c->enc, MBEDTLS_AES_ENCRYPT, iv, in, out, len);
}

int tcpsec_mbedtls_cbc_decrypt(tcpsec_cbc *cbc, const uint8_t *iv,
                               const uint8_t *in, uint8_t *out, size_t len) {
  struct mbedtls_cbc *c = (struct mbedtls_cbc *)cbc;

  return cbc_crypt(&c->dec, MBEDTLS_AES_DECRYPT, iv, in, out, len);
}

void tcpsec_mbedtls_cbc_free(tcpsec_cbc *cbc) {
  struct mbedtls_cbc *c = (struct mbedtls_cbc *)cbc;

  if (c == NULL)
    return;
  mbedtls_aes_free(&c->enc);
  mbedtls_aes_free(&c->dec);
  tcpsec_free_secret(c->base.ctx, c, sizeof(*c));
}
