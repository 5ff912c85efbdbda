/* Hashes, HMAC, PRF and prf+: argument checks, then the context's
 * provider. */
#include "core/ctx.h"
#include "core/util.h"
#include "crypto/provider.h"

static int iov_valid(const tcpsec_iov *iov, size_t iov_count) {
  size_t i;

  if (iov == NULL)
    return iov_count == 0;
  for (i = 0; i < iov_count; i++)
    if (iov[i].data == NULL && iov[i].len != 0)
      return 0;
  return 1;
}

int tcpsec_hash(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const tcpsec_iov *iov,
                size_t iov_count, uint8_t *out) {
  if (ctx == NULL || ctx->crypto == NULL || out == NULL ||
      !iov_valid(iov, iov_count))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (tcpsec_hash_len(alg) == 0)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  return ctx->crypto->hash(ctx, alg, iov, iov_count, out);
}

int tcpsec_hmac(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const uint8_t *key,
                size_t key_len, const tcpsec_iov *iov, size_t iov_count,
                uint8_t *out) {
  if (ctx == NULL || ctx->crypto == NULL || out == NULL ||
      (key == NULL && key_len != 0) || !iov_valid(iov, iov_count))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (tcpsec_hash_len(alg) == 0)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  return ctx->crypto->hmac(ctx, alg, key, key_len, iov, iov_count, out);
}

int tcpsec_hmac_key_new(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const uint8_t *key, size_t key_len,
                        tcpsec_hmac_key **out) {
  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || ctx->crypto == NULL || out == NULL ||
      (key == NULL && key_len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (tcpsec_hash_len(alg) == 0)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  return ctx->crypto->hmac_key_new(ctx, alg, key, key_len, out);
}

int tcpsec_hmac_key_compute(tcpsec_hmac_key *k, const tcpsec_iov *iov,
                            size_t iov_count, uint8_t *out) {
  if (k == NULL || out == NULL || !iov_valid(iov, iov_count))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return k->provider->hmac_key_compute(k, iov, iov_count, out);
}

void tcpsec_hmac_key_free(tcpsec_hmac_key *k) {
  if (k != NULL)
    k->provider->hmac_key_free(k);
}

int tcpsec_prf(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *key,
               size_t key_len, const tcpsec_iov *iov, size_t iov_count,
               uint8_t *out) {
  const tcpsec_prf_info *info = tcpsec_prf_lookup(prf);

  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  return tcpsec_hmac(ctx, info->hash, key, key_len, iov, iov_count, out);
}

/*
 * RFC 7296 section 2.13:
 *   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
 *   T1 = prf (K, S | 0x01)
 *   Tn = prf (K, Tn-1 | S | n)
 * n is one octet, so at most 255 blocks can be produced.
 */
int tcpsec_prf_plus(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *key,
                    size_t key_len, const tcpsec_iov *seed, size_t seed_count,
                    uint8_t *out, size_t out_len) {
  const tcpsec_prf_info *info = tcpsec_prf_lookup(prf);
  tcpsec_iov iov[TCPSEC_PRF_PLUS_MAX_SEED + 2];
  uint8_t block[TCPSEC_HASH_MAX_LEN];
  tcpsec_hmac_key *k = NULL;
  uint8_t counter;
  size_t done, i, n;
  int rv;

  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  if ((out == NULL && out_len != 0) || seed_count > TCPSEC_PRF_PLUS_MAX_SEED ||
      !iov_valid(seed, seed_count))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (out_len > (size_t)TCPSEC_PRF_PLUS_MAX_BLOCKS * info->out_len)
    return TCPSEC_ERR_LIMIT;

  /* The key is processed once for all blocks. */
  rv = tcpsec_hmac_key_new(ctx, info->hash, key, key_len, &k);
  if (rv != 0)
    return rv;

  /* iov = Tn-1 | S | n; Tn-1 is empty for the first block. */
  iov[0].data = block;
  iov[0].len = 0;
  for (i = 0; i < seed_count; i++)
    iov[1 + i] = seed[i];
  iov[1 + seed_count].data = &counter;
  iov[1 + seed_count].len = 1;

  counter = 1;
  for (done = 0; done < out_len; done += n) {
    rv = tcpsec_hmac_key_compute(k, iov, seed_count + 2, block);
    if (rv != 0)
      break;
    n = TCPSEC_MIN(out_len - done, info->out_len);
    memcpy(out + done, block, n);
    iov[0].len = info->out_len;
    counter++;
  }

  tcpsec_hmac_key_free(k);
  tcpsec_zeroize(block, sizeof(block));
  if (rv != 0)
    tcpsec_zeroize(out, out_len);
  return rv;
}
