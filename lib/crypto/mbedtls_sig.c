/*
 * Signature keys, signing and verification of digests with Mbed TLS 2.28.
 *
 * NOTE: this file calls Mbed TLS directly instead of going through the
 * provider table (crypto/provider.h), because the table has no key object
 * yet. Another backend replaces this file and keeps crypto/sig.h.
 */
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/mbedtls_impl.h"
#include "crypto/sig.h"

struct tcpsec_sig_key {
  tcpsec_ctx *ctx;
  tcpsec_sig_key_type type;
  size_t bits;
  int has_private;
  mbedtls_pk_context pk;
};

/* Mbed TLS's random callback over the context's source. */
static int sig_rng(void *user, unsigned char *buf, size_t len) {
  return tcpsec_random(user, buf, len) == 0 ? 0
                                            : MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

static mbedtls_md_type_t md_type(tcpsec_hash_alg hash) {
  switch (hash) {
  case TCPSEC_HASH_SHA1:
    return MBEDTLS_MD_SHA1;
  case TCPSEC_HASH_SHA256:
    return MBEDTLS_MD_SHA256;
  case TCPSEC_HASH_SHA384:
    return MBEDTLS_MD_SHA384;
  case TCPSEC_HASH_SHA512:
    return MBEDTLS_MD_SHA512;
  default:
    return MBEDTLS_MD_NONE;
  }
}

/* The low-level part of a combined Mbed TLS error code (bits 0 to 6). */
static int low_level_error(int ret) {
  return -((-ret) & 0x7F);
}

static int is_alloc_failure(int ret) {
  int low = low_level_error(ret);

  return ret == MBEDTLS_ERR_PK_ALLOC_FAILED ||
         low == MBEDTLS_ERR_MPI_ALLOC_FAILED ||
         ret == MBEDTLS_ERR_ECP_ALLOC_FAILED;
}

/* ---- key parsing ------------------------------------------------------- */

/* Classify a parsed key; only RSA of 2048 to 8192 bits and ECDSA keys on
 * the three NIST curves IKEv2 names (RFC 4754) are accepted. */
static int key_classify(struct tcpsec_sig_key *k) {
  mbedtls_pk_type_t t = mbedtls_pk_get_type(&k->pk);

  k->bits = mbedtls_pk_get_bitlen(&k->pk);
  if (t == MBEDTLS_PK_RSA) {
    if (k->bits < TCPSEC_SIG_RSA_MIN_BITS || k->bits > TCPSEC_SIG_RSA_MAX_BITS)
      return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
    k->type = TCPSEC_SIG_KEY_RSA;
    return 0;
  }
  if (t != MBEDTLS_PK_ECKEY && t != MBEDTLS_PK_ECDSA)
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  switch (mbedtls_pk_ec(k->pk)->grp.id) {
  case MBEDTLS_ECP_DP_SECP256R1:
    k->type = TCPSEC_SIG_KEY_ECDSA_P256;
    return 0;
  case MBEDTLS_ECP_DP_SECP384R1:
    k->type = TCPSEC_SIG_KEY_ECDSA_P384;
    return 0;
  case MBEDTLS_ECP_DP_SECP521R1:
    k->type = TCPSEC_SIG_KEY_ECDSA_P521;
    return 0;
  default:
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  }
}

static int parse_error(int ret) {
  if (is_alloc_failure(ret))
    return TCPSEC_ERR_NO_MEMORY;
  if (ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
      ret == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE ||
      low_level_error(ret) == MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE)
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  return TCPSEC_ERR_MALFORMED;
}

static int looks_like_pem(const uint8_t *data, size_t len) {
  static const char begin[] = "-----BEGIN ";
  size_t i = 0;

  while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                     data[i] == '\n'))
    i++;
  return len - i >= sizeof(begin) - 1 &&
         memcmp(data + i, begin, sizeof(begin) - 1) == 0;
}

static int key_parse(tcpsec_ctx *ctx, const uint8_t *data, size_t len,
                     int private_key, tcpsec_sig_key **out) {
  struct tcpsec_sig_key *k;
  uint8_t *pem = NULL;
  const uint8_t *input = data;
  size_t input_len = len;
  int ret, rv;

  if (ctx == NULL || data == NULL || len == 0 || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  k = tcpsec_calloc(ctx, 1, sizeof(*k));
  if (k == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  k->ctx = ctx;
  mbedtls_pk_init(&k->pk);

  /* Mbed TLS recognises PEM only with the terminating NUL counted. */
  if (looks_like_pem(data, len)) {
    pem = tcpsec_malloc(ctx, len + 1);
    if (pem == NULL) {
      tcpsec_sig_key_free(k);
      return TCPSEC_ERR_NO_MEMORY;
    }
    memcpy(pem, data, len);
    pem[len] = '\0';
    input = pem;
    input_len = len + 1;
  }

  if (private_key)
    ret = mbedtls_pk_parse_key(&k->pk, input, input_len, NULL, 0);
  else
    ret = mbedtls_pk_parse_public_key(&k->pk, input, input_len);
  if (pem != NULL)
    tcpsec_free_secret(ctx, pem, len + 1);

  rv = ret != 0 ? parse_error(ret) : key_classify(k);
  if (rv != 0) {
    tcpsec_log(ctx, TCPSEC_LOG_DEBUG, "crypto",
               "%s key of %zu bytes rejected (%s, Mbed TLS -0x%04x)",
               private_key ? "private" : "public", len,
               tcpsec_strerror_name(rv), (unsigned)-ret);
    tcpsec_sig_key_free(k);
    return rv;
  }
  k->has_private = private_key;
  *out = k;
  return 0;
}

int tcpsec_sig_key_parse_public(tcpsec_ctx *ctx, const uint8_t *data,
                                size_t len, tcpsec_sig_key **out) {
  return key_parse(ctx, data, len, 0, out);
}

int tcpsec_sig_key_parse_private(tcpsec_ctx *ctx, const uint8_t *data,
                                 size_t len, tcpsec_sig_key **out) {
  return key_parse(ctx, data, len, 1, out);
}

void tcpsec_sig_key_free(tcpsec_sig_key *key) {
  if (key == NULL)
    return;
  /* mbedtls_pk_free wipes the RSA and EC private values it releases. */
  mbedtls_pk_free(&key->pk);
  tcpsec_free_secret(key->ctx, key, sizeof(*key));
}

tcpsec_sig_key_type tcpsec_sig_key_type_of(const tcpsec_sig_key *key) {
  return key != NULL ? key->type : TCPSEC_SIG_KEY_NONE;
}

size_t tcpsec_sig_key_bits(const tcpsec_sig_key *key) {
  return key != NULL ? key->bits : 0;
}

int tcpsec_sig_key_can_sign(const tcpsec_sig_key *key) {
  return key != NULL && key->has_private;
}

tcpsec_ctx *tcpsec_sig_key_ctx(const tcpsec_sig_key *key) {
  return key->ctx;
}

/* ---- RSA ----------------------------------------------------------------- */

static int rsa_sign(struct tcpsec_sig_key *k, tcpsec_sig_scheme scheme,
                    mbedtls_md_type_t md, const uint8_t *digest,
                    size_t digest_len, uint8_t *sig) {
  mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
  int ret;

  if (scheme == TCPSEC_SIG_RSA_PKCS1) {
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    ret = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, sig_rng, k->ctx,
                                            MBEDTLS_RSA_PRIVATE, md,
                                            (unsigned)digest_len, digest, sig);
  } else {
    /* MGF1 takes the hash set on the context; the salt is hash-sized. */
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
    ret = mbedtls_rsa_rsassa_pss_sign_ext(rsa, sig_rng, k->ctx, md,
                                          (unsigned)digest_len, digest,
                                          (int)digest_len, sig);
  }
  if (ret == 0)
    return 0;
  if (is_alloc_failure(ret))
    return TCPSEC_ERR_NO_MEMORY;
  return ret == MBEDTLS_ERR_RSA_RNG_FAILED ? TCPSEC_ERR_RANDOM
                                           : TCPSEC_ERR_CRYPTO_BACKEND;
}

/* Every failure other than an allocation failure means the signature is
 * not valid, including a signature value not below the modulus. */
static int rsa_verify(struct tcpsec_sig_key *k, tcpsec_sig_scheme scheme,
                      mbedtls_md_type_t md, const uint8_t *digest,
                      size_t digest_len, const uint8_t *sig) {
  mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
  int ret;

  if (scheme == TCPSEC_SIG_RSA_PKCS1)
    ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL,
                                              MBEDTLS_RSA_PUBLIC, md,
                                              (unsigned)digest_len, digest,
                                              sig);
  else
    ret = mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL,
                                            MBEDTLS_RSA_PUBLIC, md,
                                            (unsigned)digest_len, digest, md,
                                            (int)digest_len, sig);
  if (ret == 0)
    return 0;
  return is_alloc_failure(ret) ? TCPSEC_ERR_NO_MEMORY
                               : TCPSEC_ERR_SIGNATURE_INVALID;
}

/* ---- ECDSA --------------------------------------------------------------- */

/* RFC 6979 deterministic nonce; the random source only blinds. */
static int ecdsa_sign(struct tcpsec_sig_key *k, mbedtls_md_type_t md,
                      const uint8_t *digest, size_t digest_len, uint8_t *sig,
                      size_t sig_len) {
  mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
  size_t half = sig_len / 2;
  mbedtls_mpi r, s;
  int ret;

  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  ret = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, digest,
                                   digest_len, md, sig_rng, k->ctx);
  if (ret == 0)
    ret = mbedtls_mpi_write_binary(&r, sig, half);
  if (ret == 0)
    ret = mbedtls_mpi_write_binary(&s, sig + half, half);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&s);
  return tcpsec_mbedtls_error(ret);
}

/* mbedtls_ecdsa_verify returns VERIFY_FAILED for r or s outside
 * [1, n-1]. The Wycheproof cases with r = 0 or s = 0 exercise that. */
static int ecdsa_verify(struct tcpsec_sig_key *k, const uint8_t *digest,
                        size_t digest_len, const uint8_t *sig,
                        size_t sig_len) {
  mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
  size_t half = sig_len / 2;
  mbedtls_mpi r, s;
  int ret;

  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  ret = mbedtls_mpi_read_binary(&r, sig, half);
  if (ret == 0)
    ret = mbedtls_mpi_read_binary(&s, sig + half, half);
  if (ret == 0)
    ret = mbedtls_ecdsa_verify(&ec->grp, digest, digest_len, &ec->Q, &r, &s);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&s);
  if (ret == 0)
    return 0;
  return is_alloc_failure(ret) ? TCPSEC_ERR_NO_MEMORY
                               : TCPSEC_ERR_SIGNATURE_INVALID;
}

/* ---- entry points called by crypto/sig.c -------------------------------- */

int tcpsec_mbedtls_sig_sign_hash(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                                 tcpsec_hash_alg hash, const uint8_t *digest,
                                 size_t digest_len, uint8_t *sig,
                                 size_t sig_len) {
  mbedtls_md_type_t md = md_type(hash);

  if (key->type == TCPSEC_SIG_KEY_RSA)
    return rsa_sign(key, scheme, md, digest, digest_len, sig);
  return ecdsa_sign(key, md, digest, digest_len, sig, sig_len);
}

int tcpsec_mbedtls_sig_verify_hash(tcpsec_sig_key *key,
                                   tcpsec_sig_scheme scheme,
                                   tcpsec_hash_alg hash, const uint8_t *digest,
                                   size_t digest_len, const uint8_t *sig,
                                   size_t sig_len) {
  mbedtls_md_type_t md = md_type(hash);

  if (key->type == TCPSEC_SIG_KEY_RSA)
    return rsa_verify(key, scheme, md, digest, digest_len, sig);
  return ecdsa_verify(key, digest, digest_len, sig, sig_len);
}
