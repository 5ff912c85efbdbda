/*
 * Internal X.509 certificate chains for IKEv2 certificate authentication.
 * The module parses certificates (DER as a CERT payload carries it, or
 * PEM) and validates a path to trust anchors at a time the caller gives,
 * with an optional revocation hook. It matches an IKE identity against the
 * end-entity certificate and hashes a CA's SubjectPublicKeyInfo with SHA-1
 * for CERTREQ payloads (RFC 7296 section 3.7).
 *
 * NOTE: parsing and path building use Mbed TLS 2.28 (mbedtls_x509_crt)
 * directly, not the provider table, which has no certificate object.
 * Mbed TLS reads the system clock during verification; tcpsec masks those
 * time results and checks each certificate's validity against the caller's
 * time instead, so the library never depends on the clock.
 *
 * All functions return 0 or a negative TCPSEC_ERR_* code.
 */
#ifndef TCPSEC_CRYPTO_CERT_H
#define TCPSEC_CRYPTO_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"

/* Certificates one chain may hold; more give TCPSEC_ERR_LIMIT. */
#define TCPSEC_CERT_CHAIN_MAX 16
#define TCPSEC_CERT_SPKI_HASH_LEN 20 /* SHA-1 */

/* An ordered list of certificates. In the peer's chain the first one is
 * the end-entity certificate, followed by intermediates in any order (the
 * order of the CERT payloads). A trust store is a chain of CA
 * certificates. */
typedef struct tcpsec_cert_chain tcpsec_cert_chain;

/* IKEv2 identification types (RFC 7296 section 3.5) that can be matched
 * against a certificate. */
typedef enum tcpsec_cert_id_type {
  TCPSEC_CERT_ID_IPV4_ADDR = 1,   /* subjectAltName iPAddress, 4 octets */
  TCPSEC_CERT_ID_FQDN = 2,        /* subjectAltName dNSName */
  TCPSEC_CERT_ID_RFC822_ADDR = 3, /* subjectAltName rfc822Name */
  TCPSEC_CERT_ID_IPV6_ADDR = 5,   /* subjectAltName iPAddress, 16 octets */
  TCPSEC_CERT_ID_DER_ASN1_DN = 9  /* subject Name, compared as DER */
} tcpsec_cert_id_type;

/*
 * Revocation hook, called for every certificate of a validated path except
 * the trust anchor, with the certificate's serial number (the INTEGER's
 * content octets) and its issuer Name (DER). Returns 1 when the
 * certificate is revoked, 0 when it is not, a negative value to abort the
 * validation with TCPSEC_ERR_CALLBACK.
 */
typedef int (*tcpsec_cert_revoked_fn)(void *user, const uint8_t *serial,
                                      size_t serial_len,
                                      const uint8_t *issuer,
                                      size_t issuer_len);

int tcpsec_cert_chain_new(tcpsec_ctx *ctx, tcpsec_cert_chain **out);
void tcpsec_cert_chain_free(tcpsec_cert_chain *chain);

/* Append certificates: DER input must be exactly one certificate; PEM
 * input may hold several. Either all certificates of the input are added
 * or none: MALFORMED for an undecodable certificate or trailing bytes,
 * UNSUPPORTED_KEY_TYPE for a public key algorithm Mbed TLS does not
 * parse, LIMIT past TCPSEC_CERT_CHAIN_MAX. */
int tcpsec_cert_chain_add(tcpsec_cert_chain *chain, const uint8_t *data,
                          size_t len);
size_t tcpsec_cert_chain_count(const tcpsec_cert_chain *chain);
/* DER of certificate `index` (for a CERT payload); NOT_FOUND past the
 * end. The pointer is valid until the chain is freed. */
int tcpsec_cert_chain_der(const tcpsec_cert_chain *chain, size_t index,
                          const uint8_t **der, size_t *len);

/*
 * Validate the path from the first certificate of `chain` to a
 * certificate of `trust`, at `now` (seconds since 1970-01-01 UTC).
 * Every certificate on the path, the trust anchor included, must be valid
 * at `now`. Signatures must use SHA-256/384/512 with RSA (2048 bits or
 * more) or ECDSA on P-256/384/521, and CA certificates need basicConstraints
 * cA. `revoked` may be NULL.
 *
 * Returns 0, or:
 *   TCPSEC_ERR_CERT_UNTRUSTED  no path to a trust anchor, a bad signature,
 *                              a certificate that may not issue others, a
 *                              revoked certificate
 *   TCPSEC_ERR_CERT_EXPIRED    otherwise trusted, but a certificate on the
 *                              path is expired or not yet valid
 *   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE a key or signature algorithm outside
 *                              the list above
 *   TCPSEC_ERR_CALLBACK        the revocation hook returned an error
 *   TCPSEC_ERR_INVALID_ARGUMENT an empty chain or trust store
 */
TCPSEC_NODISCARD int tcpsec_cert_chain_verify(const tcpsec_cert_chain *chain,
                                              const tcpsec_cert_chain *trust,
                                              uint64_t now,
                                              tcpsec_cert_revoked_fn revoked,
                                              void *revoked_user);

/* Match an IKE identity against the first certificate of the chain: 0 or
 * TCPSEC_ERR_ID_MISMATCH. FQDNs and the domain of an rfc822Name compare
 * without regard to ASCII case; the certificate's subject common name is
 * never used for an FQDN. NOTE: wildcard dNSNames ("*.example.com") are
 * not matched. INVALID_ARGUMENT for an IP address of the wrong length. */
TCPSEC_NODISCARD int tcpsec_cert_chain_match_id(const tcpsec_cert_chain *chain,
                                                tcpsec_cert_id_type type,
                                                const uint8_t *id,
                                                size_t id_len);

/* Public key of certificate `index`, for tcpsec_sig_verify. */
int tcpsec_cert_chain_public_key(const tcpsec_cert_chain *chain, size_t index,
                                 tcpsec_sig_key **out);

/* SHA-1 of the SubjectPublicKeyInfo of certificate `index`: the
 * certification authority value of CERTREQ (RFC 7296 section 3.7). */
int tcpsec_cert_chain_spki_sha1(const tcpsec_cert_chain *chain, size_t index,
                                uint8_t out[TCPSEC_CERT_SPKI_HASH_LEN]);

#endif /* TCPSEC_CRYPTO_CERT_H */
