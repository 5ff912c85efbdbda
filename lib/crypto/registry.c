/*
 * Transform registry: what tcpsec implements of the IANA IKEv2 transforms,
 * with the lengths protocol code needs.
 *
 * Sources: AES-CBC RFC 3602; AES-GCM with a 16-octet ICV RFC 4106 (ESP)
 * and RFC 5282 (IKEv2); ChaCha20-Poly1305 RFC 7634; HMAC-SHA2 PRFs and
 * integrity RFC 4868; MODP-2048 RFC 3526; ECP groups RFC 5903; Curve25519
 * RFC 8031.
 */
#include "core/util.h"
#include "crypto/crypto.h"

static const tcpsec_encr_info encr_table[] = {
  /* id, name, aead, block, iv, icv, salt, keylen_attr, key_bits */
  {TCPSEC_ENCR_AES_CBC, "AES-CBC", 0, 16, 16, 0, 0, 1, {128, 192, 256}},
  {TCPSEC_ENCR_AES_GCM_16, "AES-GCM-16", 1, 1, 8, 16, 4, 1, {128, 256, 0}},
  /* RFC 7634 section 2: the key is always 256 bits and the Key Length
   * attribute must not be sent. */
  {TCPSEC_ENCR_CHACHA20_POLY1305, "ChaCha20-Poly1305", 1, 1, 8, 16, 4, 0,
   {256, 0, 0}},
};

static const tcpsec_prf_info prf_table[] = {
  {TCPSEC_PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256", TCPSEC_HASH_SHA256, 32},
  {TCPSEC_PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384", TCPSEC_HASH_SHA384, 48},
  {TCPSEC_PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512", TCPSEC_HASH_SHA512, 64},
};

/* RFC 4868 section 2.1: the key is as long as the hash output and the ICV
 * is its left half. */
static const tcpsec_integ_info integ_table[] = {
  {TCPSEC_INTEG_HMAC_SHA2_256_128, "AUTH_HMAC_SHA2_256_128",
   TCPSEC_HASH_SHA256, 32, 16},
  {TCPSEC_INTEG_HMAC_SHA2_384_192, "AUTH_HMAC_SHA2_384_192",
   TCPSEC_HASH_SHA384, 48, 24},
  {TCPSEC_INTEG_HMAC_SHA2_512_256, "AUTH_HMAC_SHA2_512_256",
   TCPSEC_HASH_SHA512, 64, 32},
};

static const tcpsec_ke_info ke_table[] = {
  {TCPSEC_KE_MODP_2048, "MODP-2048", 256, 256},
  {TCPSEC_KE_ECP_256, "ECP-256", 64, 32},
  {TCPSEC_KE_ECP_384, "ECP-384", 96, 48},
  {TCPSEC_KE_ECP_521, "ECP-521", 132, 66},
  {TCPSEC_KE_CURVE25519, "Curve25519", 32, 32},
};

const tcpsec_encr_info *tcpsec_encr_lookup(uint16_t id) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(encr_table); i++)
    if (encr_table[i].id == id)
      return &encr_table[i];
  return NULL;
}

const tcpsec_prf_info *tcpsec_prf_lookup(uint16_t id) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(prf_table); i++)
    if (prf_table[i].id == id)
      return &prf_table[i];
  return NULL;
}

const tcpsec_integ_info *tcpsec_integ_lookup(uint16_t id) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(integ_table); i++)
    if (integ_table[i].id == id)
      return &integ_table[i];
  return NULL;
}

const tcpsec_ke_info *tcpsec_ke_lookup(uint16_t id) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(ke_table); i++)
    if (ke_table[i].id == id)
      return &ke_table[i];
  return NULL;
}

int tcpsec_encr_key_bits_valid(const tcpsec_encr_info *e, unsigned key_bits) {
  size_t i;

  if (e == NULL || key_bits == 0)
    return 0;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(e->key_bits); i++)
    if (e->key_bits[i] == key_bits)
      return 1;
  return 0;
}

size_t tcpsec_hash_len(tcpsec_hash_alg alg) {
  switch (alg) {
  case TCPSEC_HASH_SHA1:
    return 20;
  case TCPSEC_HASH_SHA256:
    return 32;
  case TCPSEC_HASH_SHA384:
    return 48;
  case TCPSEC_HASH_SHA512:
    return 64;
  default:
    return 0;
  }
}
