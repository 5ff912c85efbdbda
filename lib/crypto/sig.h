/*
 * Internal digital signatures for IKEv2 certificate authentication: RSA
 * with RSASSA-PKCS1-v1_5 or RSASSA-PSS, and ECDSA on P-256, P-384 and
 * P-521, each over SHA2-256, SHA2-384 or SHA2-512.
 *
 * ECDSA signatures come in the two encodings IKEv2 uses: the DER
 * Ecdsa-Sig-Value of RFC 7427 (Digital Signature, auth method 14) and the
 * fixed-size r | s of RFC 4754 (auth methods 9, 10 and 11). RSASSA-PSS uses
 * MGF1 with the message hash and a salt as long as the hash, the parameters
 * RFC 7427 Appendix A.4.3 shows for SHA-256.
 *
 * Keys are parsed from DER or PEM. NOTE: key parsing, signing and
 * verification call Mbed TLS 2.28 directly from crypto/mbedtls_sig.c,
 * because the provider table has no key object yet. A second backend has
 * to replace that one file.
 *
 * All functions return 0 or a negative TCPSEC_ERR_* code:
 *   TCPSEC_ERR_INVALID_ARGUMENT   NULL pointer, unknown scheme, signing
 *                                 with a public key
 *   TCPSEC_ERR_UNKNOWN_ALGORITHM  hash other than SHA2-256/384/512
 *   TCPSEC_ERR_MALFORMED          key, signature or AlgorithmIdentifier
 *                                 that cannot be decoded
 *   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE key other than RSA (2048 to 8192 bits)
 *                                 or ECDSA P-256/384/521, or a scheme that
 *                                 does not fit the key
 *   TCPSEC_ERR_SIGNATURE_INVALID  signature did not verify
 *   TCPSEC_ERR_BUFFER_TOO_SMALL   output buffer too short
 *   TCPSEC_ERR_NO_MEMORY, TCPSEC_ERR_RANDOM, TCPSEC_ERR_CRYPTO_BACKEND
 */
#ifndef TCPSEC_CRYPTO_SIG_H
#define TCPSEC_CRYPTO_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "crypto/crypto.h"

typedef enum tcpsec_sig_key_type {
  TCPSEC_SIG_KEY_NONE = 0,
  TCPSEC_SIG_KEY_RSA = 1,
  TCPSEC_SIG_KEY_ECDSA_P256 = 2,
  TCPSEC_SIG_KEY_ECDSA_P384 = 3,
  TCPSEC_SIG_KEY_ECDSA_P521 = 4
} tcpsec_sig_key_type;

typedef enum tcpsec_sig_scheme {
  TCPSEC_SIG_RSA_PKCS1 = 1, /* RSASSA-PKCS1-v1_5 (RFC 8017 section 8.2) */
  TCPSEC_SIG_RSA_PSS = 2,   /* RSASSA-PSS, MGF1(hash), salt = hash length */
  TCPSEC_SIG_ECDSA_DER = 3, /* Ecdsa-Sig-Value DER (RFC 3279 2.2.3) */
  TCPSEC_SIG_ECDSA_RAW = 4  /* r | s, each of the curve size (RFC 4754) */
} tcpsec_sig_scheme;

#define TCPSEC_SIG_RSA_MIN_BITS 2048
#define TCPSEC_SIG_RSA_MAX_BITS 8192
/* Maximum signature length: an 8192-bit RSA signature. */
#define TCPSEC_SIG_MAX_LEN (TCPSEC_SIG_RSA_MAX_BITS / 8)
/* Maximum length of an AlgorithmIdentifier that tcpsec builds (RSASSA-PSS). */
#define TCPSEC_SIG_ALGID_MAX_LEN 72
/* Size of r or s on P-521, and the maximum DER Ecdsa-Sig-Value length
 * (P-521). */
#define TCPSEC_SIG_ECDSA_MAX_FIELD 66
#define TCPSEC_SIG_ECDSA_DER_MAX_LEN 139

typedef struct tcpsec_sig_key tcpsec_sig_key;

/* ---- keys (crypto/mbedtls_sig.c) ---------------------------------------- */

/* Parse a SubjectPublicKeyInfo (or an RSAPublicKey), DER or PEM. */
int tcpsec_sig_key_parse_public(tcpsec_ctx *ctx, const uint8_t *data,
                                size_t len, tcpsec_sig_key **out);
/* Parse a private key: PKCS#8, SEC1 (EC) or PKCS#1 (RSA), DER or PEM,
 * unencrypted. The key can also verify. The input is not wiped; the
 * caller owns it. */
int tcpsec_sig_key_parse_private(tcpsec_ctx *ctx, const uint8_t *data,
                                 size_t len, tcpsec_sig_key **out);
/* Wipes private key material. Accepts NULL. */
void tcpsec_sig_key_free(tcpsec_sig_key *key);
tcpsec_sig_key_type tcpsec_sig_key_type_of(const tcpsec_sig_key *key);
/* Modulus bits for RSA, curve bits for ECDSA. */
size_t tcpsec_sig_key_bits(const tcpsec_sig_key *key);
/* 1 when the key contains a private key and can sign. */
int tcpsec_sig_key_can_sign(const tcpsec_sig_key *key);

/* ---- signing and verification (crypto/sig.c) ---------------------------- */

/* Length a signature of `scheme` with `key` has: the modulus length for
 * RSA, 2 * field size for ECDSA_RAW, the maximum DER length for
 * ECDSA_DER (the actual one can be shorter). 0 when the scheme does not
 * fit the key. */
size_t tcpsec_sig_max_len(const tcpsec_sig_key *key, tcpsec_sig_scheme scheme);

/* Sign the concatenation of the iov pieces: hash it with `hash`, then sign
 * the digest. ECDSA is deterministic (RFC 6979) with the context's random
 * source blinding the computation; RSA blinds with it as well. */
int tcpsec_sig_sign(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                    tcpsec_hash_alg hash, const tcpsec_iov *iov,
                    size_t iov_count, uint8_t *sig, size_t sig_max,
                    size_t *sig_len);

/* Verify a signature over the concatenation of the iov pieces. An RSA
 * signature whose length differs from the modulus length gives
 * SIGNATURE_INVALID, and so does an ECDSA r or s outside [1, n-1]. A DER
 * signature that is not strict DER, and a raw one of the wrong length,
 * give MALFORMED. */
TCPSEC_NODISCARD int tcpsec_sig_verify(tcpsec_sig_key *key,
                                       tcpsec_sig_scheme scheme,
                                       tcpsec_hash_alg hash,
                                       const tcpsec_iov *iov,
                                       size_t iov_count, const uint8_t *sig,
                                       size_t sig_len);

/* ---- ECDSA encodings ---------------------------------------------------- */

/* Strict DER Ecdsa-Sig-Value to r | s of 2 * field_len bytes. MALFORMED
 * for BER forms (long lengths, leading zeros), negative integers, trailing
 * bytes and integers longer than field_len. */
int tcpsec_sig_ecdsa_der_to_raw(const uint8_t *der, size_t der_len,
                                size_t field_len, uint8_t *raw);
/* r | s (2 * field_len bytes) to DER; *der_len receives the length. */
int tcpsec_sig_ecdsa_raw_to_der(const uint8_t *raw, size_t field_len,
                                uint8_t *der, size_t der_max,
                                size_t *der_len);

/* ---- RFC 7427 AlgorithmIdentifier --------------------------------------- */

/* Build the AlgorithmIdentifier that announces the scheme and hash in an
 * RFC 7427 AUTH payload. ECDSA_RAW has none (INVALID_ARGUMENT). The bytes
 * are those of RFC 7427 Appendix A; RSASSA-PSS with SHA-384 and SHA-512
 * follows the SHA-256 form of A.4.3 with the other hash and salt length. */
int tcpsec_sig_algid_build(tcpsec_sig_scheme scheme, tcpsec_hash_alg hash,
                           uint8_t *out, size_t out_max, size_t *out_len);
/* Parse an AlgorithmIdentifier that fills exactly len bytes. MALFORMED for
 * bad DER; NOT_SUPPORTED for a well-formed identifier of another
 * algorithm or parameter set (SHA-1, MGF1 with another hash, another salt
 * length). *scheme is RSA_PKCS1, RSA_PSS or ECDSA_DER. */
TCPSEC_NODISCARD int tcpsec_sig_algid_parse(const uint8_t *data, size_t len,
                                            tcpsec_sig_scheme *scheme,
                                            tcpsec_hash_alg *hash);

/* 1 when the scheme can be used with the key type. */
int tcpsec_sig_scheme_fits(tcpsec_sig_scheme scheme, tcpsec_sig_key_type type);

/* Hash that RFC 4754 fixes for each curve of the classic ECDSA auth
 * methods 9, 10 and 11: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for
 * P-521. TCPSEC_HASH_NONE for other key types. */
tcpsec_hash_alg tcpsec_sig_ecdsa_classic_hash(tcpsec_sig_key_type type);

/* ---- DER reading, shared with crypto/cert.c ----------------------------- */

/* Read one element with the given tag and a length in minimal DER form
 * (definite, lengths up to 2^24-1); *content receives its contents.
 * Returns 0 or TCPSEC_ERR_MALFORMED. */
int tcpsec_der_read(tcpsec_cursor *c, uint8_t tag, tcpsec_cursor *content);

/* ---- backend (crypto/mbedtls_sig.c) ------------------------------------- */

/* Sign or verify a digest. For ECDSA the signature is r | s (ECDSA_RAW),
 * whatever the scheme; sig.c converts DER. Arguments are checked by
 * sig.c. */
int tcpsec_mbedtls_sig_sign_hash(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                                 tcpsec_hash_alg hash, const uint8_t *digest,
                                 size_t digest_len, uint8_t *sig,
                                 size_t sig_len);
int tcpsec_mbedtls_sig_verify_hash(tcpsec_sig_key *key,
                                   tcpsec_sig_scheme scheme,
                                   tcpsec_hash_alg hash, const uint8_t *digest,
                                   size_t digest_len, const uint8_t *sig,
                                   size_t sig_len);
tcpsec_ctx *tcpsec_sig_key_ctx(const tcpsec_sig_key *key);

#endif /* TCPSEC_CRYPTO_SIG_H */
