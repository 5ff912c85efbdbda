/*
 * Certificate and signature authentication of IKE_AUTH (RFC 7296 sections
 * 2.15, 3.6 to 3.8, RFC 7427, RFC 4754): configuration kept by an IKE SA,
 * the state of one IKE_AUTH exchange, and the functions the exchange files
 * call. auth_sig.c has the configuration and our side, auth_verify.c the
 * peer's side; the signed octets come from auth_psk.c.
 */
#ifndef TCPSEC_IKE_AUTH_SIG_H
#define TCPSEC_IKE_AUTH_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/ike.h"

#include "core/ctx.h"
#include "crypto/cert.h"
#include "crypto/sig.h"
#include "ike/message.h"

struct ike_config;

/* Largest AUTH data we build: the ASN.1 length octet and AlgorithmIdentifier
 * of method 14, and the longest signature (RSA-8192). */
#define IKE_AUTH_DATA_MAX (1 + TCPSEC_SIG_ALGID_MAX_LEN + TCPSEC_SIG_MAX_LEN)

/* Bits of ike_auth_state.peer_hashes, one per hash of
 * SIGNATURE_HASH_ALGORITHMS that tcpsec signs with. */
#define IKE_HASH_BIT_SHA256 0x01u
#define IKE_HASH_BIT_SHA384 0x02u
#define IKE_HASH_BIT_SHA512 0x04u

/* Parsed certificates and keys, shared by the IKE SAs that reference it.
 * A part that was not given is NULL. */
struct tcpsec_ike_credentials {
  tcpsec_ctx *ctx;
  unsigned refs;            /* the creator's and one per IKE SA */
  tcpsec_cert_chain *chain; /* ours, end-entity certificate first */
  tcpsec_sig_key *key;      /* our private key */
  tcpsec_cert_chain *trust; /* trust anchors for the peer's chain */
  uint8_t *certreq;         /* SHA-1 of each anchor's public key */
  size_t certreq_len;       /* 20 bytes per trust anchor */
};

/* Authentication configuration of one IKE SA. */
typedef struct ike_auth_cfg {
  uint8_t local_method;         /* TCPSEC_IKE_AUTH_*, as configured */
  uint8_t remote_method;        /* expected from the peer; never 0 */
  tcpsec_ike_credentials *cred; /* a reference; NULL without signatures */
} ike_auth_cfg;

/* Per-IKE SA state of signature authentication: what the peer announced
 * in IKE_SA_INIT. */
typedef struct ike_auth_state {
  uint8_t peer_announced; /* the peer sent SIGNATURE_HASH_ALGORITHMS */
  uint8_t peer_hashes;    /* IKE_HASH_BIT_* of the hashes it listed */
} ike_auth_state;

/* ---- auth_sig.c: configuration ------------------------------------------ */

/* 1 for methods 1, 9, 10, 11 and 14. */
int tcpsec_ike_auth_is_signature(uint8_t method);
/* Key type that a classic method (1, 9, 10, 11) requires; NONE for
 * method 14, which takes any supported key, and for the others. */
tcpsec_sig_key_type tcpsec_ike_auth_method_key_type(uint8_t method);
/* Certificate identity type of an IKE ID type; 0 when no certificate field
 * can contain that type (KEY_ID and the rest). */
int tcpsec_ike_auth_cert_id_type(uint8_t id_type, tcpsec_cert_id_type *out);
/* Names for log lines: "ECDSA P-256", "RSASSA-PSS", "SHA2-384". */
const char *tcpsec_ike_auth_key_name(tcpsec_sig_key_type type);
const char *tcpsec_ike_auth_scheme_name(tcpsec_sig_scheme scheme);
const char *tcpsec_ike_auth_hash_name(tcpsec_hash_alg hash);

/* Check the methods and take a reference to pub->credentials, or parse
 * certificates, key and trust anchors of `pub` into new credentials, and
 * check that they have what the methods need. `out` is zeroed by the
 * caller. TCPSEC_ERR_CONFIG with a log line naming the value,
 * TCPSEC_ERR_INVALID_ARGUMENT for credentials of another context, or
 * TCPSEC_ERR_NO_MEMORY. On failure `out` may hold a reference: release it
 * with tcpsec_ike_auth_cfg_clear(). */
int tcpsec_ike_auth_cfg_load(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                             ike_auth_cfg *out);
/* Release the reference to the credentials. */
void tcpsec_ike_auth_cfg_clear(ike_auth_cfg *cfg);
/* Wipe the per-IKE SA state. */
void tcpsec_ike_auth_state_clear(tcpsec_ike_sa *sa);

/* TCPSEC_ERR_CONFIG, logged, when the peer signs but no wall_clock
 * callback is set; checked before the first IKE_SA_INIT message. */
int tcpsec_ike_auth_check_clock(tcpsec_ike_sa *sa);

/* ---- auth_sig.c: IKE_SA_INIT -------------------------------------------- */

/* SIGNATURE_HASH_ALGORITHMS when method 14 is configured for either
 * direction (RFC 7427 section 4). */
void tcpsec_ike_auth_add_hash_notify(tcpsec_ike_sa *sa, tcpsec_ike_builder *b);
/* Remember the hash algorithms of the peer's notify, if it sent one. */
void tcpsec_ike_auth_take_hash_notify(tcpsec_ike_sa *sa,
                                      const tcpsec_ike_msg *msg);
/* CERTREQ with our trust anchors when the peer signs and send_certreq is
 * set (RFC 7296 section 3.7). */
void tcpsec_ike_auth_add_certreq(tcpsec_ike_sa *sa, tcpsec_ike_builder *b);

/* ---- auth_sig.c: our side of IKE_AUTH ----------------------------------- */

/* One CERT payload (X.509 Certificate - Signature) per certificate of our
 * chain, the end-entity certificate first. */
void tcpsec_ike_auth_add_certs(tcpsec_ike_sa *sa, tcpsec_ike_builder *b);

/* Sign our signed octets (`id_body`: our RestOfIDPayload). *method
 * receives the AUTH method and out (IKE_AUTH_DATA_MAX bytes) the
 * Authentication Data. Errors of the signature module. */
int tcpsec_ike_auth_sign(tcpsec_ike_sa *sa, int of_initiator,
                         const uint8_t *id_body, size_t id_body_len,
                         uint8_t *method, uint8_t *out, size_t *out_len);

/* ---- auth_verify.c: the peer's side of IKE_AUTH ------------------------- */

/*
 * Verify the peer's certificates and AUTH payload: build its chain from
 * the CERT payloads, validate it against the trust anchors at the
 * wall-clock time, match the ID payload to the end-entity certificate,
 * then check AUTH with its public key. `of_initiator` names whose AUTH it
 * is.
 *
 * Returns 0 or an error, and then `problem` receives the sentence for the
 * log: TCPSEC_ERR_CERT_EXPIRED, _CERT_UNTRUSTED, _ID_MISMATCH,
 * _UNSUPPORTED_KEY_TYPE, _SIGNATURE_INVALID, _NOT_SUPPORTED (a signature
 * algorithm tcpsec does not verify), _AUTHENTICATION_FAILED (not a
 * signature method), _CALLBACK (revocation hook), or a resource error.
 */
int tcpsec_ike_auth_verify(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                           int of_initiator, const tcpsec_ike_payload *id,
                           const tcpsec_ike_payload *auth, char *problem,
                           size_t problem_len);

/* ---- auth_psk.c --------------------------------------------------------- */

/*
 * Point iov at the signed octets of one side (RFC 7296 section 2.15):
 * RealMessage, the other side's nonce, and MACedID. MACedID is computed
 * into `maced_id`, IKE_PRF_MAX bytes that the caller wipes. `id_body` is
 * the ID payload without its generic header. Returns 0,
 * TCPSEC_ERR_INVALID_STATE when the IKE_SA_INIT messages are gone, or a
 * PRF error.
 */
int tcpsec_ike_signed_octets(tcpsec_ike_sa *sa, int of_initiator,
                             const uint8_t *id_body, size_t id_body_len,
                             uint8_t *maced_id, tcpsec_iov iov[3]);

#endif /* TCPSEC_IKE_AUTH_SIG_H */
