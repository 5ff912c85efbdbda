/**
 * \file tcpsec/algorithms.h
 * \brief IANA IKEv2 transform numbers of the algorithms tcpsec implements.
 *
 * Values are those of the IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters" registry, so they can be compared with what a peer sends and
 * with what other IPsec software logs.
 */
#ifndef TCPSEC_ALGORITHMS_H
#define TCPSEC_ALGORITHMS_H

#include "tcpsec/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Transform types (RFC 7296 section 3.3.2). */
typedef enum tcpsec_transform_type {
  TCPSEC_TRANSFORM_ENCR = 1,
  TCPSEC_TRANSFORM_PRF = 2,
  TCPSEC_TRANSFORM_INTEG = 3,
  TCPSEC_TRANSFORM_KE = 4,
  TCPSEC_TRANSFORM_ESN = 5
} tcpsec_transform_type;

/** Encryption algorithms (transform type 1). */
typedef enum tcpsec_encr_alg {
  TCPSEC_ENCR_NONE = 0,
  /** AES-CBC, RFC 3602; key length 128, 192 or 256 bits. */
  TCPSEC_ENCR_AES_CBC = 12,
  /** AES-GCM with a 16-octet ICV, RFC 4106 / RFC 5282; 128 or 256 bits. */
  TCPSEC_ENCR_AES_GCM_16 = 20,
  /** ChaCha20-Poly1305, RFC 7634; always 256 bits. */
  TCPSEC_ENCR_CHACHA20_POLY1305 = 28
} tcpsec_encr_alg;

/** Pseudorandom functions (transform type 2). */
typedef enum tcpsec_prf_alg {
  TCPSEC_PRF_NONE = 0,
  TCPSEC_PRF_HMAC_SHA2_256 = 5,
  TCPSEC_PRF_HMAC_SHA2_384 = 6,
  TCPSEC_PRF_HMAC_SHA2_512 = 7
} tcpsec_prf_alg;

/** Integrity algorithms (transform type 3), RFC 4868. */
typedef enum tcpsec_integ_alg {
  TCPSEC_INTEG_NONE = 0,
  TCPSEC_INTEG_HMAC_SHA2_256_128 = 12,
  TCPSEC_INTEG_HMAC_SHA2_384_192 = 13,
  TCPSEC_INTEG_HMAC_SHA2_512_256 = 14
} tcpsec_integ_alg;

/** Key exchange methods (transform type 4). */
typedef enum tcpsec_ke_method {
  TCPSEC_KE_NONE = 0,
  TCPSEC_KE_MODP_2048 = 14, /**< RFC 3526 */
  TCPSEC_KE_ECP_256 = 19,   /**< RFC 5903 */
  TCPSEC_KE_ECP_384 = 20,   /**< RFC 5903 */
  TCPSEC_KE_ECP_521 = 21,   /**< RFC 5903 */
  TCPSEC_KE_CURVE25519 = 31 /**< RFC 8031 */
} tcpsec_ke_method;

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_ALGORITHMS_H */
