/* AEAD and AES-CBC objects: argument checks, then the provider. */
#include "core/ctx.h"
#include "crypto/provider.h"

/* ---- AEAD --------------------------------------------------------------- */

int tcpsec_aead_new(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *key,
                    size_t key_len, tcpsec_aead **out) {
  const tcpsec_encr_info *info = tcpsec_encr_lookup(encr);

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || ctx->crypto == NULL || key == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (info == NULL || !info->aead)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  if (key_len > 64 || !tcpsec_encr_key_bits_valid(info, (unsigned)key_len * 8))
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  return ctx->crypto->aead_new(ctx, encr, key, key_len, out);
}

static int aead_args_valid(const tcpsec_aead *a, const uint8_t *nonce,
                           const uint8_t *aad, size_t aad_len,
                           const uint8_t *in, const uint8_t *out, size_t len,
                           const uint8_t *tag) {
  return a != NULL && nonce != NULL && tag != NULL &&
         (aad != NULL || aad_len == 0) &&
         ((in != NULL && out != NULL) || len == 0);
}

int tcpsec_aead_encrypt(tcpsec_aead *a, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        uint8_t *out, size_t len, uint8_t *tag) {
  if (!aead_args_valid(a, nonce, aad, aad_len, in, out, len, tag))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return a->provider->aead_encrypt(a, nonce, aad, aad_len, in, out, len, tag);
}

int tcpsec_aead_decrypt(tcpsec_aead *a, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        uint8_t *out, size_t len, const uint8_t *tag) {
  if (!aead_args_valid(a, nonce, aad, aad_len, in, out, len, tag))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return a->provider->aead_decrypt(a, nonce, aad, aad_len, in, out, len, tag);
}

void tcpsec_aead_free(tcpsec_aead *a) {
  if (a != NULL)
    a->provider->aead_free(a);
}

/* ---- AES-CBC ------------------------------------------------------------ */

int tcpsec_cbc_new(tcpsec_ctx *ctx, const uint8_t *key, size_t key_len,
                   tcpsec_cbc **out) {
  const tcpsec_encr_info *info = tcpsec_encr_lookup(TCPSEC_ENCR_AES_CBC);

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || ctx->crypto == NULL || key == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (key_len > 64 || !tcpsec_encr_key_bits_valid(info, (unsigned)key_len * 8))
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  return ctx->crypto->cbc_new(ctx, key, key_len, out);
}

static int cbc_args_valid(const tcpsec_cbc *c, const uint8_t *iv,
                          const uint8_t *in, const uint8_t *out, size_t len) {
  return c != NULL && iv != NULL && len % TCPSEC_AES_BLOCK_LEN == 0 &&
         ((in != NULL && out != NULL) || len == 0);
}

int tcpsec_cbc_encrypt(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                       uint8_t *out, size_t len) {
  if (!cbc_args_valid(c, iv, in, out, len))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (len == 0)
    return 0;
  return c->provider->cbc_encrypt(c, iv, in, out, len);
}

int tcpsec_cbc_decrypt(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                       uint8_t *out, size_t len) {
  if (!cbc_args_valid(c, iv, in, out, len))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (len == 0)
    return 0;
  return c->provider->cbc_decrypt(c, iv, in, out, len);
}

void tcpsec_cbc_free(tcpsec_cbc *c) {
  if (c != NULL)
    c->provider->cbc_free(c);
}
