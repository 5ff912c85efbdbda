/* Mbed TLS provider: SHA-1/SHA-2 hashes and HMAC. */
#include <mbedtls/md.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/mbedtls_impl.h"

struct mbedtls_hmac_key {
  struct tcpsec_hmac_key base;
  /* Set up with the key once; hmac_reset after each MAC restores the
   * inner padded-key state without processing the key again. */
  mbedtls_md_context_t md;
};

static const mbedtls_md_info_t *md_info(tcpsec_hash_alg alg) {
  switch (alg) {
  case TCPSEC_HASH_SHA1:
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
  case TCPSEC_HASH_SHA256:
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  case TCPSEC_HASH_SHA384:
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
  case TCPSEC_HASH_SHA512:
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
  default:
    return NULL;
  }
}

/* The hash contexts live on the stack: mbedtls_md_setup would allocate. */
static int sha1_iov(const tcpsec_iov *iov, size_t iov_count, uint8_t *out) {
  mbedtls_sha1_context c;
  size_t i;
  int ret;

  mbedtls_sha1_init(&c);
  ret = mbedtls_sha1_starts_ret(&c);
  for (i = 0; ret == 0 && i < iov_count; i++)
    ret = mbedtls_sha1_update_ret(&c, iov[i].data, iov[i].len);
  if (ret == 0)
    ret = mbedtls_sha1_finish_ret(&c, out);
  mbedtls_sha1_free(&c);
  return ret;
}

static int sha256_iov(const tcpsec_iov *iov, size_t iov_count, uint8_t *out) {
  mbedtls_sha256_context c;
  size_t i;
  int ret;

  mbedtls_sha256_init(&c);
  ret = mbedtls_sha256_starts_ret(&c, 0);
  for (i = 0; ret == 0 && i < iov_count; i++)
    ret = mbedtls_sha256_update_ret(&c, iov[i].data, iov[i].len);
  if (ret == 0)
    ret = mbedtls_sha256_finish_ret(&c, out);
  mbedtls_sha256_free(&c);
  return ret;
}

static int sha512_iov(int is384, const tcpsec_iov *iov, size_t iov_count,
                      uint8_t *out) {
  mbedtls_sha512_context c;
  uint8_t full[64];
  size_t i;
  int ret;

  mbedtls_sha512_init(&c);
  ret = mbedtls_sha512_starts_ret(&c, is384);
  for (i = 0; ret == 0 && i < iov_count; i++)
    ret = mbedtls_sha512_update_ret(&c, iov[i].data, iov[i].len);
  /* SHA-384 finishes into 64 bytes of which the first 48 are the digest. */
  if (ret == 0)
    ret = mbedtls_sha512_finish_ret(&c, full);
  if (ret == 0)
    memcpy(out, full, is384 ? 48 : 64);
  mbedtls_sha512_free(&c);
  tcpsec_zeroize(full, sizeof(full));
  return ret;
}

int tcpsec_mbedtls_hash(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const tcpsec_iov *iov, size_t iov_count,
                        uint8_t *out) {
  int ret;

  (void)ctx;
  switch (alg) {
  case TCPSEC_HASH_SHA1:
    ret = sha1_iov(iov, iov_count, out);
    break;
  case TCPSEC_HASH_SHA256:
    ret = sha256_iov(iov, iov_count, out);
    break;
  case TCPSEC_HASH_SHA384:
    ret = sha512_iov(1, iov, iov_count, out);
    break;
  case TCPSEC_HASH_SHA512:
    ret = sha512_iov(0, iov, iov_count, out);
    break;
  default:
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  }
  return tcpsec_mbedtls_error(ret);
}

static int hmac_update_iov(mbedtls_md_context_t *md, const tcpsec_iov *iov,
                           size_t iov_count) {
  size_t i;
  int ret = 0;

  for (i = 0; ret == 0 && i < iov_count; i++)
    ret = mbedtls_md_hmac_update(md, iov[i].data, iov[i].len);
  return ret;
}

/* NOTE: mbedtls_md_setup allocates the hash and padded-key state with Mbed
 * TLS's own calloc, not the context's allocator. */
int tcpsec_mbedtls_hmac(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const uint8_t *key, size_t key_len,
                        const tcpsec_iov *iov, size_t iov_count,
                        uint8_t *out) {
  const mbedtls_md_info_t *info = md_info(alg);
  mbedtls_md_context_t md;
  int ret;

  (void)ctx;
  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  mbedtls_md_init(&md);
  ret = mbedtls_md_setup(&md, info, 1);
  if (ret == 0)
    ret = mbedtls_md_hmac_starts(&md, key, key_len);
  if (ret == 0)
    ret = hmac_update_iov(&md, iov, iov_count);
  if (ret == 0)
    ret = mbedtls_md_hmac_finish(&md, out);
  mbedtls_md_free(&md);
  return tcpsec_mbedtls_error(ret);
}

int tcpsec_mbedtls_hmac_key_new(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                                const uint8_t *key, size_t key_len,
                                tcpsec_hmac_key **out) {
  const mbedtls_md_info_t *info = md_info(alg);
  struct mbedtls_hmac_key *k;
  int ret;

  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  k = tcpsec_calloc(ctx, 1, sizeof(*k));
  if (k == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  k->base.provider = &tcpsec_mbedtls_provider;
  k->base.ctx = ctx;
  k->base.alg = alg;
  mbedtls_md_init(&k->md);
  ret = mbedtls_md_setup(&k->md, info, 1);
  if (ret == 0)
    ret = mbedtls_md_hmac_starts(&k->md, key, key_len);
  if (ret != 0) {
    tcpsec_mbedtls_hmac_key_free(&k->base);
    return tcpsec_mbedtls_error(ret);
  }
  *out = &k->base;
  return 0;
}

int tcpsec_mbedtls_hmac_key_compute(tcpsec_hmac_key *key,
                                    const tcpsec_iov *iov, size_t iov_count,
                                    uint8_t *out) {
  struct mbedtls_hmac_key *k = (struct mbedtls_hmac_key *)key;
  int ret, reset;

  ret = hmac_update_iov(&k->md, iov, iov_count);
  if (ret == 0)
    ret = mbedtls_md_hmac_finish(&k->md, out);

  /* Ready the context for the next MAC, also after a failed update. */
  reset = mbedtls_md_hmac_reset(&k->md);
  if (ret == 0)
    ret = reset;
  return tcpsec_mbedtls_error(ret);
}

void tcpsec_mbedtls_hmac_key_free(tcpsec_hmac_key *key) {
  struct mbedtls_hmac_key *k = (struct mbedtls_hmac_key *)key;

  if (k == NULL)
    return;
  /* mbedtls_md_free wipes the hash state and the padded keys. */
  mbedtls_md_free(&k->md);
  tcpsec_free_secret(k->base.ctx, k, sizeof(*k));
}
