/*
 * Internal crypto layer: transform registry, hashes, HMAC, PRF and prf+,
 * IKEv2 key derivation, AEAD and CBC ciphers, and key exchange.
 *
 * Protocol code calls only the functions declared here. Each keyed object
 * (AEAD, CBC, HMAC key, KE) is created through the provider the context
 * points to (crypto/provider.h), so a second backend or a hardware offload
 * can be plugged in without touching protocol code. Mbed TLS is the default
 * provider. No Mbed TLS type appears in this header.
 *
 * All functions return 0 or a negative TCPSEC_ERR_* code. Keyed objects are
 * allocated through the context's allocator and wiped when freed; their
 * *_free functions accept NULL.
 *
 * Errors common to all functions:
 *   TCPSEC_ERR_INVALID_ARGUMENT  a NULL pointer with a non-zero length, or a
 *                                length outside the documented range
 *   TCPSEC_ERR_UNKNOWN_ALGORITHM a transform or hash tcpsec does not offer
 *   TCPSEC_ERR_NO_MEMORY         an allocation failed
 *   TCPSEC_ERR_RANDOM            the context's random source failed
 *   TCPSEC_ERR_CRYPTO_BACKEND    any other failure inside the provider
 */
#ifndef TCPSEC_CRYPTO_CRYPTO_H
#define TCPSEC_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/algorithms.h"
#include "tcpsec/core.h"

/* ---- gather list ------------------------------------------------------ */

/* One piece of a message that is hashed or MACed in several parts. */
typedef struct tcpsec_iov {
  const uint8_t *data;
  size_t len;
} tcpsec_iov;

/* ---- registry (IANA numbers in tcpsec/algorithms.h) ------------------- */

typedef enum tcpsec_hash_alg {
  TCPSEC_HASH_NONE = 0,
  TCPSEC_HASH_SHA1 = 1, /* NAT_DETECTION and CERTREQ only */
  TCPSEC_HASH_SHA256 = 2,
  TCPSEC_HASH_SHA384 = 3,
  TCPSEC_HASH_SHA512 = 4
} tcpsec_hash_alg;

#define TCPSEC_HASH_MAX_LEN 64
#define TCPSEC_AEAD_NONCE_LEN 12 /* salt (4) || IV (8) for GCM and ChaCha */
#define TCPSEC_AEAD_TAG_LEN 16
#define TCPSEC_AES_BLOCK_LEN 16
#define TCPSEC_KE_MAX_PUBLIC_LEN 256 /* MODP-2048 */
#define TCPSEC_KE_MAX_SECRET_LEN 256
#define TCPSEC_NONCE_MAX_LEN 256      /* RFC 7296 section 3.9 */
#define TCPSEC_PRF_PLUS_MAX_BLOCKS 255 /* prf+ counter is one octet */
#define TCPSEC_PRF_PLUS_MAX_SEED 8     /* pieces of the prf+ seed */

typedef struct tcpsec_encr_info {
  uint16_t id;          /* TCPSEC_ENCR_* */
  const char *name;     /* "AES-CBC", "AES-GCM-16", "ChaCha20-Poly1305" */
  uint8_t aead;         /* 1 for combined-mode ciphers */
  uint8_t block_len;    /* ciphertext alignment: 16 for CBC, 1 for AEAD */
  uint8_t iv_len;       /* explicit IV on the wire: 16 for CBC, 8 for AEAD */
  uint8_t icv_len;      /* AEAD tag length; 0 for CBC (integrity gives it) */
  uint8_t salt_len;     /* bytes of key material after the key: 4 for AEAD */
  uint8_t keylen_attr;  /* 1 when the Key Length attribute is mandatory */
  uint16_t key_bits[3]; /* allowed key lengths, 0-terminated if fewer */
} tcpsec_encr_info;

typedef struct tcpsec_prf_info {
  uint16_t id;
  const char *name;
  tcpsec_hash_alg hash;
  uint8_t out_len; /* also the preferred key length */
} tcpsec_prf_info;

typedef struct tcpsec_integ_info {
  uint16_t id;
  const char *name;
  tcpsec_hash_alg hash;
  uint8_t key_len;
  uint8_t icv_len; /* truncated HMAC output */
} tcpsec_integ_info;

typedef struct tcpsec_ke_info {
  uint16_t id;
  const char *name;
  uint16_t public_len; /* KE payload data length */
  uint16_t secret_len; /* shared secret g^ir length */
} tcpsec_ke_info;

/* NULL when tcpsec does not implement the transform. */
const tcpsec_encr_info *tcpsec_encr_lookup(uint16_t id);
const tcpsec_prf_info *tcpsec_prf_lookup(uint16_t id);
const tcpsec_integ_info *tcpsec_integ_lookup(uint16_t id);
const tcpsec_ke_info *tcpsec_ke_lookup(uint16_t id);
/* 1 when key_bits is allowed for the encryption algorithm. */
int tcpsec_encr_key_bits_valid(const tcpsec_encr_info *e, unsigned key_bits);
size_t tcpsec_hash_len(tcpsec_hash_alg alg);

/* ---- proposal strings ------------------------------------------------- */

#define TCPSEC_PROPOSAL_MAX_KE 8

/* One proposal as an administrator writes it: "aes128-sha256",
 * "aes256gcm-prfsha384", "aes128gcm16-prfsha256-ecp256", "chacha20poly1305". */
typedef struct tcpsec_proposal_spec {
  uint16_t encr;     /* TCPSEC_ENCR_* */
  uint16_t key_bits; /* encryption key length */
  uint16_t integ;    /* TCPSEC_INTEG_*, NONE for AEAD */
  uint16_t prf;      /* TCPSEC_PRF_*, NONE for ESP proposals */
  uint16_t ke[TCPSEC_PROPOSAL_MAX_KE]; /* key exchange groups in the string */
  uint8_t ke_count;
} tcpsec_proposal_spec;

typedef enum tcpsec_proposal_kind {
  TCPSEC_PROPOSAL_IKE = 1, /* phase 1: needs a PRF */
  TCPSEC_PROPOSAL_ESP = 2  /* phase 2: no PRF */
} tcpsec_proposal_kind;

/*
 * Parse one proposal. On TCPSEC_ERR_INVALID_PROPOSAL, `err` (if not NULL)
 * receives a message naming the offending token.
 */
int tcpsec_proposal_parse(const char *text, tcpsec_proposal_kind kind,
                          tcpsec_proposal_spec *out, char *err,
                          size_t err_len);

/* Parse a space-separated list; *count receives the number parsed. */
int tcpsec_proposal_parse_list(const char *text, tcpsec_proposal_kind kind,
                               tcpsec_proposal_spec *out, size_t max,
                               size_t *count, char *err, size_t err_len);

/* Write the FortiOS spelling ("aes128gcm-prfsha256"); returns the length or
 * TCPSEC_ERR_BUFFER_TOO_SMALL. */
int tcpsec_proposal_format(const tcpsec_proposal_spec *spec,
                           tcpsec_proposal_kind kind, char *buf, size_t len);

/* ---- hashes, HMAC, PRF ------------------------------------------------ */

int tcpsec_hash(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const tcpsec_iov *iov,
                size_t iov_count, uint8_t *out);

/* One-shot HMAC over a gather list; writes the full hash length. */
int tcpsec_hmac(tcpsec_ctx *ctx, tcpsec_hash_alg alg, const uint8_t *key,
                size_t key_len, const tcpsec_iov *iov, size_t iov_count,
                uint8_t *out);

/* HMAC with the key schedule kept, for per-packet integrity. */
typedef struct tcpsec_hmac_key tcpsec_hmac_key;

int tcpsec_hmac_key_new(tcpsec_ctx *ctx, tcpsec_hash_alg alg,
                        const uint8_t *key, size_t key_len,
                        tcpsec_hmac_key **out);
/* Writes the full hash length to out; callers truncate. */
int tcpsec_hmac_key_compute(tcpsec_hmac_key *k, const tcpsec_iov *iov,
                            size_t iov_count, uint8_t *out);
void tcpsec_hmac_key_free(tcpsec_hmac_key *k);

/* prf(key, data) for an IKEv2 PRF; writes prf_info->out_len bytes. */
int tcpsec_prf(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *key,
               size_t key_len, const tcpsec_iov *iov, size_t iov_count,
               uint8_t *out);

/* prf+ (RFC 7296 section 2.13). out_len may be at most 255 PRF outputs
 * (TCPSEC_ERR_LIMIT beyond); the seed has at most TCPSEC_PRF_PLUS_MAX_SEED
 * pieces and must not overlap out. out is wiped on failure. */
int tcpsec_prf_plus(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *key,
                    size_t key_len, const tcpsec_iov *seed, size_t seed_count,
                    uint8_t *out, size_t out_len);

/* ---- IKEv2 key derivation (RFC 7296 sections 2.14, 2.17, 2.18) -------- */

/* Nonces longer than TCPSEC_NONCE_MAX_LEN give TCPSEC_ERR_INVALID_ARGUMENT;
 * an unknown PRF gives TCPSEC_ERR_UNKNOWN_ALGORITHM. */

/* SKEYSEED = prf(Ni | Nr, g^ir); writes prf out_len bytes. */
int tcpsec_ikev2_skeyseed(tcpsec_ctx *ctx, uint16_t prf, const uint8_t *ni,
                          size_t ni_len, const uint8_t *nr, size_t nr_len,
                          const uint8_t *gir, size_t gir_len, uint8_t *out);

/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) for an IKE SA rekey. */
int tcpsec_ikev2_skeyseed_rekey(tcpsec_ctx *ctx, uint16_t prf,
                                const uint8_t *sk_d, size_t sk_d_len,
                                const uint8_t *gir, size_t gir_len,
                                const uint8_t *ni, size_t ni_len,
                                const uint8_t *nr, size_t nr_len,
                                uint8_t *out);

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
int tcpsec_ikev2_ike_keymat(tcpsec_ctx *ctx, uint16_t prf,
                            const uint8_t *skeyseed, size_t skeyseed_len,
                            const uint8_t *ni, size_t ni_len,
                            const uint8_t *nr, size_t nr_len,
                            const uint8_t spi_i[8], const uint8_t spi_r[8],
                            uint8_t *out, size_t out_len);

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); gir may be NULL. */
int tcpsec_ikev2_child_keymat(tcpsec_ctx *ctx, uint16_t prf,
                              const uint8_t *sk_d, size_t sk_d_len,
                              const uint8_t *gir, size_t gir_len,
                              const uint8_t *ni, size_t ni_len,
                              const uint8_t *nr, size_t nr_len, uint8_t *out,
                              size_t out_len);

/* ---- AEAD: AES-GCM-16 and ChaCha20-Poly1305 --------------------------- */

typedef struct tcpsec_aead tcpsec_aead;

/* key_len excludes the salt: 16 or 32 for AES-GCM, 32 for ChaCha20
 * (TCPSEC_ERR_INVALID_KEY_LENGTH otherwise). AES-CBC and other non-AEAD
 * numbers give TCPSEC_ERR_UNKNOWN_ALGORITHM. */
int tcpsec_aead_new(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *key,
                    size_t key_len, tcpsec_aead **out);
/* nonce is TCPSEC_AEAD_NONCE_LEN bytes; in == out is allowed. */
int tcpsec_aead_encrypt(tcpsec_aead *a, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        uint8_t *out, size_t len, uint8_t *tag);
/* TCPSEC_ERR_ICV_MISMATCH on a bad tag; out is wiped in that case. */
TCPSEC_NODISCARD int tcpsec_aead_decrypt(tcpsec_aead *a, const uint8_t *nonce,
                                         const uint8_t *aad, size_t aad_len,
                                         const uint8_t *in, uint8_t *out,
                                         size_t len, const uint8_t *tag);
void tcpsec_aead_free(tcpsec_aead *a);

/* ---- AES-CBC ---------------------------------------------------------- */

typedef struct tcpsec_cbc tcpsec_cbc;

/* key_len is 16, 24 or 32 (TCPSEC_ERR_INVALID_KEY_LENGTH otherwise). */
int tcpsec_cbc_new(tcpsec_ctx *ctx, const uint8_t *key, size_t key_len,
                   tcpsec_cbc **out);
/* len must be a multiple of 16 (TCPSEC_ERR_INVALID_ARGUMENT otherwise); iv
 * is not modified; in == out is allowed. No padding is added or removed. */
int tcpsec_cbc_encrypt(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                       uint8_t *out, size_t len);
int tcpsec_cbc_decrypt(tcpsec_cbc *c, const uint8_t *iv, const uint8_t *in,
                       uint8_t *out, size_t len);
void tcpsec_cbc_free(tcpsec_cbc *c);

/* ---- key exchange ----------------------------------------------------- */

typedef struct tcpsec_ke tcpsec_ke;

/* Generate a key pair for the group with the context's random source. */
int tcpsec_ke_new(tcpsec_ctx *ctx, uint16_t group, tcpsec_ke **out);
/* Use a given private value (tests and published vectors): big-endian
 * scalar for MODP and ECP, the raw 32 bytes for Curve25519 (clamped as
 * RFC 7748 section 5 says). TCPSEC_ERR_INVALID_ARGUMENT when the value is
 * outside 1 < x < p-1 (MODP) or 1 <= d < n (ECP). */
int tcpsec_ke_new_with_private(tcpsec_ctx *ctx, uint16_t group,
                               const uint8_t *priv, size_t priv_len,
                               tcpsec_ke **out);
uint16_t tcpsec_ke_group(const tcpsec_ke *ke);
/* Public value as the KE payload carries it: MODP big-endian padded to the
 * prime length, ECP x | y without the 0x04 prefix (RFC 5903), Curve25519
 * the raw 32 bytes (RFC 8031). len must equal public_len. */
int tcpsec_ke_public(const tcpsec_ke *ke, uint8_t *out, size_t len);
/* Shared secret: MODP padded to the prime length, ECP the x coordinate,
 * Curve25519 the 32-byte result. Peer values are validated first:
 * TCPSEC_ERR_INVALID_PUBLIC_KEY for a wrong length, a point not on the curve
 * or the identity, a MODP value outside 1 < y < p-1;
 * TCPSEC_ERR_WEAK_SHARED_SECRET for an all-zero Curve25519 result; secret
 * is wiped in both cases. A secret_len other than the group's secret_len
 * gives TCPSEC_ERR_BUFFER_TOO_SMALL (shorter) or
 * TCPSEC_ERR_INVALID_ARGUMENT. */
TCPSEC_NODISCARD int tcpsec_ke_compute(tcpsec_ke *ke, const uint8_t *peer,
                                       size_t peer_len, uint8_t *secret,
                                       size_t secret_len);
void tcpsec_ke_free(tcpsec_ke *ke);

/* ---- random generator and provider ------------------------------------ */

/* Default CTR_DRBG seeded from the platform entropy source. */
int tcpsec_drbg_new(tcpsec_ctx *ctx, void **out);
int tcpsec_drbg_fill(void *drbg, uint8_t *buf, size_t len);
void tcpsec_drbg_free(tcpsec_ctx *ctx, void *drbg);

struct tcpsec_crypto_provider;
/* The provider every new context starts with (Mbed TLS). */
const struct tcpsec_crypto_provider *tcpsec_crypto_default_provider(void);

#endif /* TCPSEC_CRYPTO_CRYPTO_H */
