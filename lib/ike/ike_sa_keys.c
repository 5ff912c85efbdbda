/*
 * Key derivation of an IKE SA (RFC 7296 sections 2.13, 2.14 and 2.17).
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   KEYMAT   = prf+(SK_d, Ni | Nr)            (first Child SA)
 *
 * With an AEAD cipher SK_ai and SK_ar are empty and each SK_e carries its
 * 4-byte salt after the key (RFC 5282 section 7.1, RFC 7634 section 3).
 * Every intermediate secret is wiped before the function returns.
 */
#include "ike/ike_sa.h"

#include <string.h>

/* 3 PRF keys of 64 bytes, 2 integrity keys of 64, 2 cipher keys of 36. */
#define IKE_KEYMAT_MAX (3 * IKE_PRF_MAX + 2 * 64 + 2 * 36)

static int encr_key_len(uint16_t encr, uint16_t key_bits, size_t *len) {
  const tcpsec_encr_info *info = tcpsec_encr_lookup(encr);

  if (info == NULL || !tcpsec_encr_key_bits_valid(info, key_bits))
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  *len = (size_t)key_bits / 8 + info->salt_len;
  return 0;
}

static int integ_key_len(uint16_t integ, size_t *len) {
  const tcpsec_integ_info *info;

  *len = 0;
  if (integ == TCPSEC_INTEG_NONE)
    return 0;
  info = tcpsec_integ_lookup(integ);
  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  *len = info->key_len;
  return 0;
}

/* SK ciphers for one direction from its SK_e and SK_a. */
static int make_cipher(tcpsec_ike_sa *sa, const uint8_t *sk_e, size_t sk_e_len,
                       const uint8_t *sk_a, size_t sk_a_len,
                       tcpsec_ike_sk_cipher **out) {
  const tcpsec_encr_info *info = tcpsec_encr_lookup(sa->suite.encr);
  tcpsec_ike_sk_keys keys;

  memset(&keys, 0, sizeof(keys));
  keys.encr = sa->suite.encr;
  keys.encr_key = sk_e;
  keys.encr_key_len = sk_e_len - info->salt_len;
  if (info->salt_len > 0) {
    keys.salt = sk_e + keys.encr_key_len;
    keys.salt_len = info->salt_len;
  }
  keys.integ = sa->suite.integ;
  keys.integ_key = sk_a_len > 0 ? sk_a : NULL;
  keys.integ_key_len = sk_a_len;
  return tcpsec_ike_sk_cipher_new(sa->ctx, &keys, out);
}

/* Hand the SK_e and SK_a keys to a caller that asked for them (key logs
 * for Wireshark). Never called unless that callback is set. */
static void report_keys(tcpsec_ike_sa *sa, const uint8_t *sk_ei,
                        const uint8_t *sk_er, size_t e_len,
                        const uint8_t *sk_ai, const uint8_t *sk_ar,
                        size_t a_len) {
  tcpsec_ike_keys k;

  if (sa->cb.ike_keys == NULL)
    return;
  memset(&k, 0, sizeof(k));
  k.size = sizeof(k);
  memcpy(k.spi_i, sa->spi_i, 8);
  memcpy(k.spi_r, sa->spi_r, 8);
  k.encr = sa->suite.encr;
  k.encr_key_bits = sa->suite.key_bits;
  k.integ = sa->suite.integ;
  k.sk_ei = sk_ei;
  k.sk_er = sk_er;
  k.sk_e_len = e_len;
  k.sk_ai = a_len > 0 ? sk_ai : NULL;
  k.sk_ar = a_len > 0 ? sk_ar : NULL;
  k.sk_a_len = a_len;
  sa->in_callback++;
  sa->cb.ike_keys(sa->cb.user, sa, &k);
  sa->in_callback--;
}

/* Split the SK_* key material and build the two SK ciphers. */
static int split_ike_keys(tcpsec_ike_sa *sa, const uint8_t *km, size_t e_len,
                          size_t a_len) {
  const uint8_t *sk_ai = km + sa->prf_len;
  const uint8_t *sk_ar = sk_ai + a_len;
  const uint8_t *sk_ei = sk_ar + a_len;
  const uint8_t *sk_er = sk_ei + e_len;
  const uint8_t *sk_pi = sk_er + e_len;
  const uint8_t *sk_pr = sk_pi + sa->prf_len;
  tcpsec_ike_sk_cipher *ci = NULL, *cr = NULL;
  int rv;

  memcpy(sa->sk_d, km, sa->prf_len);
  memcpy(sa->sk_pi, sk_pi, sa->prf_len);
  memcpy(sa->sk_pr, sk_pr, sa->prf_len);
  rv = make_cipher(sa, sk_ei, e_len, sk_ai, a_len, &ci);
  if (rv == 0)
    rv = make_cipher(sa, sk_er, e_len, sk_ar, a_len, &cr);
  if (rv != 0) {
    tcpsec_ike_sk_cipher_free(ci);
    tcpsec_ike_sk_cipher_free(cr);
    return rv;
  }
  report_keys(sa, sk_ei, sk_er, e_len, sk_ai, sk_ar, a_len);
  tcpsec_ike_sk_cipher_free(sa->sk_in);
  tcpsec_ike_sk_cipher_free(sa->sk_out);
  /* SK_ei/SK_ai protect what the original initiator sends. */
  sa->sk_out = sa->initiator ? ci : cr;
  sa->sk_in = sa->initiator ? cr : ci;
  return 0;
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), with the current suite. */
static int keys_from_skeyseed(tcpsec_ike_sa *sa, const uint8_t *skeyseed,
                              size_t skeyseed_len, const uint8_t *ni,
                              size_t ni_len, const uint8_t *nr, size_t nr_len) {
  uint8_t km[IKE_KEYMAT_MAX];
  size_t e_len, a_len, total;
  int rv;

  rv = encr_key_len(sa->suite.encr, sa->suite.key_bits, &e_len);
  if (rv == 0)
    rv = integ_key_len(sa->suite.integ, &a_len);
  if (rv != 0)
    return rv;
  total = 3 * sa->prf_len + 2 * a_len + 2 * e_len;
  rv = tcpsec_ikev2_ike_keymat(sa->ctx, sa->suite.prf, skeyseed, skeyseed_len,
                               ni, ni_len, nr, nr_len, sa->spi_i, sa->spi_r,
                               km, total);
  if (rv == 0)
    rv = split_ike_keys(sa, km, e_len, a_len);
  tcpsec_zeroize(km, sizeof(km));
  return rv;
}

int tcpsec_ike_derive_ike_keys(tcpsec_ike_sa *sa, const uint8_t *peer_ke,
                               size_t peer_ke_len) {
  const tcpsec_ke_info *ke = tcpsec_ke_lookup(sa->suite.ke);
  const tcpsec_prf_info *prf = tcpsec_prf_lookup(sa->suite.prf);
  uint8_t gir[TCPSEC_KE_MAX_SECRET_LEN];
  uint8_t skeyseed[IKE_PRF_MAX];
  int rv;

  if (ke == NULL || prf == NULL || sa->ke == NULL)
    return TCPSEC_ERR_INTERNAL;
  sa->prf_len = prf->out_len;

  /* g^ir; the crypto layer validates the peer's public value first. */
  rv = tcpsec_ke_compute(sa->ke, peer_ke, peer_ke_len, gir, ke->secret_len);
  if (rv != 0)
    goto out;

  /* SKEYSEED = prf(Ni | Nr, g^ir) */
  rv = tcpsec_ikev2_skeyseed(sa->ctx, sa->suite.prf, sa->ni, sa->ni_len, sa->nr,
                             sa->nr_len, gir, ke->secret_len, skeyseed);
  if (rv == 0)
    rv = keys_from_skeyseed(sa, skeyseed, sa->prf_len, sa->ni, sa->ni_len,
                            sa->nr, sa->nr_len);

out:
  tcpsec_zeroize(gir, sizeof(gir));
  tcpsec_zeroize(skeyseed, sizeof(skeyseed));
  return rv;
}

int tcpsec_ike_derive_rekey_keys(tcpsec_ike_sa *sa, uint16_t old_prf,
                                 const uint8_t *old_sk_d, size_t old_prf_len,
                                 const uint8_t *gir, size_t gir_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len) {
  const tcpsec_prf_info *prf = tcpsec_prf_lookup(sa->suite.prf);
  uint8_t skeyseed[IKE_PRF_MAX];
  int rv;

  if (prf == NULL)
    return TCPSEC_ERR_INTERNAL;
  sa->prf_len = prf->out_len;
  /* The rekey exchange belongs to the old IKE SA, so its PRF makes
   * SKEYSEED, whose length is that PRF's output length (section 2.18). */
  rv = tcpsec_ikev2_skeyseed_rekey(sa->ctx, old_prf, old_sk_d, old_prf_len,
                                   gir, gir_len, ni, ni_len, nr, nr_len,
                                   skeyseed);
  if (rv == 0)
    rv = keys_from_skeyseed(sa, skeyseed, old_prf_len, ni, ni_len, nr, nr_len);
  tcpsec_zeroize(skeyseed, sizeof(skeyseed));
  return rv;
}

int tcpsec_ike_esp_key_lens(const ike_esp_suite *s, size_t *encr_len,
                            size_t *integ_len) {
  int rv = encr_key_len(s->encr, s->key_bits, encr_len);

  if (rv != 0)
    return rv;
  return integ_key_len(s->integ, integ_len);
}
