/*
 * Mbed TLS provider: key exchange for MODP-2048 (RFC 3526), the NIST ECP
 * groups 19, 20 and 21 (RFC 5903) and Curve25519 (RFC 7748, RFC 8031).
 */
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/mbedtls_impl.h"

/* RFC 3526 section 3: the 2048-bit MODP group (id 14), generator 2. */
static const char modp2048_prime_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

/* RFC 3526 section 8 puts the strength of the 2048-bit group at 110 to 160
 * bits, and section 1 wants an exponent with twice that entropy: 320 bits. */
#define MODP_EXPONENT_LEN 40

#define X25519_LEN 32

enum ke_kind { KE_MODP, KE_ECP, KE_X25519 };

struct mbedtls_ke {
  struct tcpsec_ke base;
  enum ke_kind kind;
  mbedtls_mpi priv;       /* exponent x, scalar d, or clamped X25519 scalar */
  mbedtls_mpi modp_p;     /* MODP prime */
  mbedtls_mpi modp_pub;   /* g^x mod p */
  mbedtls_mpi modp_rr;    /* Montgomery constant cached by exp_mod */
  mbedtls_ecp_group grp;  /* ECP and Curve25519 */
  mbedtls_ecp_point pub;  /* d * G */
};

/* Mbed TLS's random callback over the context's source, so that tests with
 * a deterministic source get deterministic keys. */
static int ke_rng(void *user, unsigned char *buf, size_t len) {
  return tcpsec_random(user, buf, len) == 0 ? 0
                                            : MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

static mbedtls_ecp_group_id ecp_group_id(uint16_t group) {
  switch (group) {
  case TCPSEC_KE_ECP_256:
    return MBEDTLS_ECP_DP_SECP256R1;
  case TCPSEC_KE_ECP_384:
    return MBEDTLS_ECP_DP_SECP384R1;
  case TCPSEC_KE_ECP_521:
    return MBEDTLS_ECP_DP_SECP521R1;
  case TCPSEC_KE_CURVE25519:
    return MBEDTLS_ECP_DP_CURVE25519;
  default:
    return MBEDTLS_ECP_DP_NONE;
  }
}

/* RFC 7748 section 5, decodeScalar25519: clear the three low bits and the
 * top bit, set bit 254, read little-endian. */
static int x25519_load_scalar(mbedtls_mpi *d, const uint8_t raw[X25519_LEN]) {
  uint8_t k[X25519_LEN];
  int ret;

  memcpy(k, raw, sizeof(k));
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  ret = mbedtls_mpi_read_binary_le(d, k, sizeof(k));
  tcpsec_zeroize(k, sizeof(k));
  return ret;
}

/* ---- key generation ----------------------------------------------------- */

static int modp_setup(struct mbedtls_ke *k, const uint8_t *priv,
                      size_t priv_len) {
  uint8_t x[MODP_EXPONENT_LEN];
  mbedtls_mpi g, p_minus_1;
  int ret, rv = 0;

  mbedtls_mpi_init(&g);
  mbedtls_mpi_init(&p_minus_1);
  ret = mbedtls_mpi_read_string(&k->modp_p, 16, modp2048_prime_hex);
  if (ret == 0)
    ret = mbedtls_mpi_sub_int(&p_minus_1, &k->modp_p, 1);
  if (ret == 0)
    ret = mbedtls_mpi_lset(&g, 2);
  if (ret != 0)
    goto out;

  if (priv != NULL) {
    /* Big-endian exponent, 1 < x < p-1. */
    ret = mbedtls_mpi_read_binary(&k->priv, priv, priv_len);
    if (ret == 0 && (mbedtls_mpi_cmp_int(&k->priv, 1) <= 0 ||
                     mbedtls_mpi_cmp_mpi(&k->priv, &p_minus_1) >= 0)) {
      rv = TCPSEC_ERR_INVALID_ARGUMENT;
      goto out;
    }
  } else {
    /* A random exponent of 320 bits; 0 and 1 are drawn again. */
    do {
      if (tcpsec_random(k->base.ctx, x, sizeof(x)) != 0) {
        ret = MBEDTLS_ERR_ECP_RANDOM_FAILED;
        break;
      }
      ret = mbedtls_mpi_read_binary(&k->priv, x, sizeof(x));
    } while (ret == 0 && mbedtls_mpi_cmp_int(&k->priv, 1) <= 0);
    tcpsec_zeroize(x, sizeof(x));
  }

  /* g^x mod p */
  if (ret == 0)
    ret = mbedtls_mpi_exp_mod(&k->modp_pub, &g, &k->priv, &k->modp_p,
                              &k->modp_rr);
out:
  mbedtls_mpi_free(&g);
  mbedtls_mpi_free(&p_minus_1);
  return rv != 0 ? rv : tcpsec_mbedtls_error(ret);
}

static int ecp_setup(struct mbedtls_ke *k, const uint8_t *priv,
                     size_t priv_len) {
  tcpsec_ctx *ctx = k->base.ctx;
  uint8_t raw[X25519_LEN];
  int ret;

  ret = mbedtls_ecp_group_load(&k->grp, ecp_group_id(k->base.info->id));
  if (ret != 0)
    return tcpsec_mbedtls_error(ret);

  if (k->kind == KE_X25519) {
    if (priv != NULL) {
      if (priv_len != X25519_LEN)
        return TCPSEC_ERR_INVALID_ARGUMENT;
      ret = x25519_load_scalar(&k->priv, priv);
    } else {
      if (tcpsec_random(ctx, raw, sizeof(raw)) != 0)
        return TCPSEC_ERR_RANDOM;
      ret = x25519_load_scalar(&k->priv, raw);
      tcpsec_zeroize(raw, sizeof(raw));
    }
  } else if (priv != NULL) {
    /* Big-endian scalar, 1 <= d < n. */
    ret = mbedtls_mpi_read_binary(&k->priv, priv, priv_len);
    if (ret == 0 && mbedtls_ecp_check_privkey(&k->grp, &k->priv) != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  } else {
    ret = mbedtls_ecp_gen_privkey(&k->grp, &k->priv, ke_rng, ctx);
  }
  if (ret != 0)
    return tcpsec_mbedtls_error(ret);

  /* Public value d * G; the random source blinds the computation. */
  ret = mbedtls_ecp_mul(&k->grp, &k->pub, &k->priv, &k->grp.G, ke_rng, ctx);
  return tcpsec_mbedtls_error(ret);
}

int tcpsec_mbedtls_ke_new(tcpsec_ctx *ctx, const tcpsec_ke_info *info,
                          const uint8_t *priv, size_t priv_len,
                          tcpsec_ke **out) {
  struct mbedtls_ke *k;
  int rv;

  k = tcpsec_calloc(ctx, 1, sizeof(*k));
  if (k == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  k->base.provider = &tcpsec_mbedtls_provider;
  k->base.ctx = ctx;
  k->base.info = info;
  mbedtls_mpi_init(&k->priv);
  mbedtls_mpi_init(&k->modp_p);
  mbedtls_mpi_init(&k->modp_pub);
  mbedtls_mpi_init(&k->modp_rr);
  mbedtls_ecp_group_init(&k->grp);
  mbedtls_ecp_point_init(&k->pub);

  if (info->id == TCPSEC_KE_MODP_2048) {
    k->kind = KE_MODP;
    rv = modp_setup(k, priv, priv_len);
  } else if (info->id == TCPSEC_KE_CURVE25519) {
    k->kind = KE_X25519;
    rv = ecp_setup(k, priv, priv_len);
  } else if (ecp_group_id(info->id) != MBEDTLS_ECP_DP_NONE) {
    k->kind = KE_ECP;
    rv = ecp_setup(k, priv, priv_len);
  } else {
    rv = TCPSEC_ERR_UNKNOWN_ALGORITHM;
  }
  if (rv != 0) {
    tcpsec_mbedtls_ke_free(&k->base);
    return rv;
  }
  *out = &k->base;
  return 0;
}

/* ---- public value ------------------------------------------------------- */

int tcpsec_mbedtls_ke_public(const tcpsec_ke *ke, uint8_t *out) {
  const struct mbedtls_ke *k = (const struct mbedtls_ke *)ke;
  size_t len = ke->info->public_len;
  int ret;

  switch (k->kind) {
  case KE_MODP:
    /* Big-endian, left-padded with zeros to the prime length. */
    ret = mbedtls_mpi_write_binary(&k->modp_pub, out, len);
    break;
  case KE_ECP:
    /* RFC 5903 section 7: x | y, each padded to the field size. */
    ret = mbedtls_mpi_write_binary(&k->pub.X, out, len / 2);
    if (ret == 0)
      ret = mbedtls_mpi_write_binary(&k->pub.Y, out + len / 2, len / 2);
    break;
  default:
    /* RFC 8031 section 2: the 32-byte little-endian u-coordinate. */
    ret = mbedtls_mpi_write_binary_le(&k->pub.X, out, len);
    break;
  }
  return tcpsec_mbedtls_error(ret);
}

/* ---- shared secret ------------------------------------------------------ */

/* g^ir = y^x mod p. RFC 6989 section 2.1 requires 1 < y < p-1, because
 * y = 1 and y = p-1 give the secret 1 or p-1 whatever x is. */
static int modp_compute(struct mbedtls_ke *k, const uint8_t *peer,
                        uint8_t *secret) {
  size_t len = k->base.info->public_len;
  mbedtls_mpi y, p_minus_1, s;
  int ret, rv = 0;

  mbedtls_mpi_init(&y);
  mbedtls_mpi_init(&p_minus_1);
  mbedtls_mpi_init(&s);
  ret = mbedtls_mpi_read_binary(&y, peer, len);
  if (ret == 0)
    ret = mbedtls_mpi_sub_int(&p_minus_1, &k->modp_p, 1);
  if (ret == 0 && (mbedtls_mpi_cmp_int(&y, 1) <= 0 ||
                   mbedtls_mpi_cmp_mpi(&y, &p_minus_1) >= 0))
    rv = TCPSEC_ERR_INVALID_PUBLIC_KEY;
  if (ret == 0 && rv == 0)
    ret = mbedtls_mpi_exp_mod(&s, &y, &k->priv, &k->modp_p, &k->modp_rr);
  if (ret == 0 && rv == 0)
    ret = mbedtls_mpi_write_binary(&s, secret, len);
  mbedtls_mpi_free(&y);
  mbedtls_mpi_free(&p_minus_1);
  mbedtls_mpi_free(&s);
  return rv != 0 ? rv : tcpsec_mbedtls_error(ret);
}

/* RFC 6989 section 2.3: the peer's x | y must satisfy the curve equation.
 * The point at infinity has no x | y form (RFC 5903 section 7), and
 * mbedtls_ecp_check_pubkey also rejects coordinates not below p. The
 * secret is the x coordinate of d * Q. */
static int ecp_compute(struct mbedtls_ke *k, const uint8_t *peer,
                       uint8_t *secret) {
  size_t half = k->base.info->public_len / 2;
  mbedtls_ecp_point q, r;
  int ret, rv = 0;

  mbedtls_ecp_point_init(&q);
  mbedtls_ecp_point_init(&r);
  ret = mbedtls_mpi_read_binary(&q.X, peer, half);
  if (ret == 0)
    ret = mbedtls_mpi_read_binary(&q.Y, peer + half, half);
  if (ret == 0)
    ret = mbedtls_mpi_lset(&q.Z, 1);
  if (ret == 0 && mbedtls_ecp_check_pubkey(&k->grp, &q) != 0)
    rv = TCPSEC_ERR_INVALID_PUBLIC_KEY;
  if (ret == 0 && rv == 0)
    ret = mbedtls_ecp_mul(&k->grp, &r, &k->priv, &q, ke_rng, k->base.ctx);
  if (ret == 0 && rv == 0 && mbedtls_ecp_is_zero(&r))
    rv = TCPSEC_ERR_WEAK_SHARED_SECRET;
  if (ret == 0 && rv == 0)
    ret = mbedtls_mpi_write_binary(&r.X, secret, k->base.info->secret_len);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_point_free(&r);
  return rv != 0 ? rv : tcpsec_mbedtls_error(ret);
}

static int all_zero(const uint8_t *p, size_t len) {
  uint8_t acc = 0;
  size_t i;

  for (i = 0; i < len; i++)
    acc |= p[i];
  return acc == 0;
}

/* RFC 7748 section 5: mask the top bit of the u-coordinate and accept
 * non-canonical values (reduced mod p). RFC 8031 section 2.3: an all-zero
 * result must be rejected. Mbed TLS itself refuses the few low-order
 * u-coordinates (0, 1, p-1 and the order-8 points) before multiplying;
 * each of them yields the all-zero result, so that refusal is reported the
 * same way. */
static int x25519_compute(struct mbedtls_ke *k, const uint8_t *peer,
                          uint8_t *secret) {
  uint8_t u[X25519_LEN];
  mbedtls_ecp_point q, r;
  int ret, rv = 0;

  memcpy(u, peer, sizeof(u));
  u[31] &= 127;
  mbedtls_ecp_point_init(&q);
  mbedtls_ecp_point_init(&r);
  ret = mbedtls_mpi_read_binary_le(&q.X, u, sizeof(u));
  if (ret == 0)
    ret = mbedtls_mpi_mod_mpi(&q.X, &q.X, &k->grp.P);
  if (ret == 0)
    ret = mbedtls_mpi_lset(&q.Z, 1);
  if (ret == 0) {
    ret = mbedtls_ecp_mul(&k->grp, &r, &k->priv, &q, ke_rng, k->base.ctx);
    if (ret == MBEDTLS_ERR_ECP_INVALID_KEY) {
      ret = 0;
      rv = TCPSEC_ERR_WEAK_SHARED_SECRET;
    }
  }
  if (ret == 0 && rv == 0)
    ret = mbedtls_mpi_write_binary_le(&r.X, secret, X25519_LEN);
  if (ret == 0 && rv == 0 && all_zero(secret, X25519_LEN))
    rv = TCPSEC_ERR_WEAK_SHARED_SECRET;
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_point_free(&r);
  return rv != 0 ? rv : tcpsec_mbedtls_error(ret);
}

int tcpsec_mbedtls_ke_compute(tcpsec_ke *ke, const uint8_t *peer,
                              uint8_t *secret) {
  struct mbedtls_ke *k = (struct mbedtls_ke *)ke;
  int rv;

  switch (k->kind) {
  case KE_MODP:
    rv = modp_compute(k, peer, secret);
    break;
  case KE_ECP:
    rv = ecp_compute(k, peer, secret);
    break;
  default:
    rv = x25519_compute(k, peer, secret);
    break;
  }
  if (rv != 0)
    tcpsec_zeroize(secret, ke->info->secret_len);
  return rv;
}

void tcpsec_mbedtls_ke_free(tcpsec_ke *ke) {
  struct mbedtls_ke *k = (struct mbedtls_ke *)ke;

  if (k == NULL)
    return;
  /* The free functions wipe the numbers before releasing them. */
  mbedtls_mpi_free(&k->priv);
  mbedtls_mpi_free(&k->modp_p);
  mbedtls_mpi_free(&k->modp_pub);
  mbedtls_mpi_free(&k->modp_rr);
  mbedtls_ecp_group_free(&k->grp);
  mbedtls_ecp_point_free(&k->pub);
  tcpsec_free_secret(k->base.ctx, k, sizeof(*k));
}
