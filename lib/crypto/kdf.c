/* IKEv2 key derivation, RFC 7296 sections 2.14, 2.17 and 2.18. */
#include "core/util.h"
#include "crypto/crypto.h"

/* RFC 7296 section 3.9: Nonce Data is 16 to 256 octets. Shorter nonces are
 * accepted here (the codec enforces the minimum); longer ones are not. */
static int nonce_valid(const uint8_t *n, size_t len) {
  return n != NULL && len <= TCPSEC_NONCE_MAX_LEN;
}

/* SKEYSEED = prf(Ni | Nr, g^ir) */
int tcpsec_ikev2_skeyseed(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *ni,
                          size_t ni_len, const uint8_t *nr, size_t nr_len,
                          const uint8_t *gir, size_t gir_len, uint8_t *out) {
  uint8_t key[2 * TCPSEC_NONCE_MAX_LEN];
  tcpsec_iov data;
  int rv;

  if (!nonce_valid(ni, ni_len) || !nonce_valid(nr, nr_len) || gir == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  memcpy(key, ni, ni_len);
  memcpy(key + ni_len, nr, nr_len);
  data.data = gir;
  data.len = gir_len;
  rv = tcpsec_prf(ctx, prf, key, ni_len + nr_len, &data, 1, out);
  tcpsec_zeroize(key, sizeof(key));
  return rv;
}

/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
int tcpsec_ikev2_skeyseed_rekey(tcpsec_ctx *ctx, uint16_t prf,
                                const uint8_t *sk_d, size_t sk_d_len,
                                const uint8_t *gir, size_t gir_len,
                                const uint8_t *ni, size_t ni_len,
                                const uint8_t *nr, size_t nr_len,
                                uint8_t *out) {
  tcpsec_iov data[3];

  if (sk_d == NULL || gir == NULL || !nonce_valid(ni, ni_len) ||
      !nonce_valid(nr, nr_len))
    return TCPSEC_ERR_INVALID_ARGUMENT;

  data[0].data = gir;
  data[0].len = gir_len;
  data[1].data = ni;
  data[1].len = ni_len;
  data[2].data = nr;
  data[2].len = nr_len;
  return tcpsec_prf(ctx, prf, sk_d, sk_d_len, data, 3, out);
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
int tcpsec_ikev2_ike_keymat(tcpsec_ctx *ctx, uint16_t prf,
                            const uint8_t *skeyseed, size_t skeyseed_len,
                            const uint8_t *ni, size_t ni_len,
                            const uint8_t *nr, size_t nr_len,
                            const uint8_t spi_i[8], const uint8_t spi_r[8],
                            uint8_t *out, size_t out_len) {
  tcpsec_iov seed[4];

  if (skeyseed == NULL || !nonce_valid(ni, ni_len) ||
      !nonce_valid(nr, nr_len) || spi_i == NULL || spi_r == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  seed[0].data = ni;
  seed[0].len = ni_len;
  seed[1].data = nr;
  seed[1].len = nr_len;
  seed[2].data = spi_i;
  seed[2].len = 8;
  seed[3].data = spi_r;
  seed[3].len = 8;
  return tcpsec_prf_plus(ctx, prf, skeyseed, skeyseed_len, seed, 4, out,
                         out_len);
}

/* KEYMAT = prf+(SK_d, Ni | Nr), or with a new key exchange in
 * CREATE_CHILD_SA: KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr). */
int tcpsec_ikev2_child_keymat(tcpsec_ctx *ctx, uint16_t prf,
                              const uint8_t *sk_d, size_t sk_d_len,
                              const uint8_t *gir, size_t gir_len,
                              const uint8_t *ni, size_t ni_len,
                              const uint8_t *nr, size_t nr_len, uint8_t *out,
                              size_t out_len) {
  tcpsec_iov seed[3];
  size_t n = 0;

  if (sk_d == NULL || !nonce_valid(ni, ni_len) || !nonce_valid(nr, nr_len))
    return TCPSEC_ERR_INVALID_ARGUMENT;

  if (gir != NULL) {
    seed[n].data = gir;
    seed[n].len = gir_len;
    n++;
  }
  seed[n].data = ni;
  seed[n].len = ni_len;
  n++;
  seed[n].data = nr;
  seed[n].len = nr_len;
  n++;
  return tcpsec_prf_plus(ctx, prf, sk_d, sk_d_len, seed, n, out, out_len);
}
