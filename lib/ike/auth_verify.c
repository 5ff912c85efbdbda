/*
 * Verification of a signing peer in IKE_AUTH (RFC 7296 sections 2.15, 3.6
 * and 3.8, RFC 7427 section 3, RFC 4754 section 7). It checks the CERT
 * payloads, the path to a trust anchor, the identity in the end-entity
 * certificate and the AUTH signature, whose formats auth_sig.c draws.
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

/* ---- the peer's certificates -------------------------------------------- */

/* The peer's chain from its CERT payloads in order. Other encodings are
 * skipped; a CERT payload must carry exactly one DER certificate. */
static int peer_chain(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                      tcpsec_cert_chain **out, char *problem, size_t len) {
  size_t i, used = 0, skipped = 0;
  int rv;

  rv = tcpsec_cert_chain_new(sa->ctx, out);
  if (rv != 0)
    return rv;
  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->type != TCPSEC_IKE_PT_CERT)
      continue;
    if (p->u.cert.encoding != TCPSEC_IKE_CERT_X509_SIGNATURE) {
      skipped++;
      continue;
    }
    /* DER only: PEM text would let one payload carry several. */
    rv = p->u.cert.len > 0 && p->u.cert.data[0] == 0x30
             ? tcpsec_cert_chain_add(*out, p->u.cert.data, p->u.cert.len)
             : TCPSEC_ERR_MALFORMED;
    if (rv == TCPSEC_ERR_UNSUPPORTED_KEY_TYPE) {
      snprintf(problem, len,
               "CERT payload %zu (%zu bytes) has a public key or signature "
               "algorithm that tcpsec does not support",
               used + skipped + 1, p->u.cert.len);
      return rv;
    }
    if (rv != 0) {
      snprintf(problem, len,
               "CERT payload %zu (%zu bytes) is not a DER X.509 certificate "
               "(%s)",
               used + skipped + 1, p->u.cert.len, tcpsec_strerror_name(rv));
      return rv == TCPSEC_ERR_NO_MEMORY ? rv : TCPSEC_ERR_CERT_UNTRUSTED;
    }
    used++;
  }
  if (used == 0) {
    snprintf(problem, len,
             "no CERT payload with an X.509 certificate (%zu with other "
             "encodings)",
             skipped);
    return TCPSEC_ERR_CERT_UNTRUSTED;
  }
  return 0;
}

/* The caller's revocation hook, wrapped to name the revoked certificate. */
typedef struct revocation {
  const tcpsec_ike_config *pub;
  int revoked;
  char serial[2 * 20 + 4];
} revocation;

static int check_revoked(void *user, const uint8_t *serial, size_t serial_len,
                         const uint8_t *issuer, size_t issuer_len) {
  revocation *r = user;
  size_t skip = 0, printed, i;
  int rv;

  rv = r->pub->cert_revoked(r->pub->cert_revoked_user, serial, serial_len,
                            issuer, issuer_len);
  if (rv <= 0 || r->revoked)
    return rv;

  /* The serial in hex as an integer: without the sign octet, at most 20
   * octets (RFC 5280 section 4.1.2.2) printed. */
  r->revoked = 1;
  while (skip + 1 < serial_len && serial[skip] == 0)
    skip++;
  printed = TCPSEC_MIN(serial_len - skip, (size_t)20);
  for (i = 0; i < printed; i++)
    snprintf(r->serial + 2 * i, 3, "%02x", serial[skip + i]);
  if (skip + printed < serial_len)
    snprintf(r->serial + 2 * printed, 4, "...");
  return rv;
}

/* Path from the end-entity certificate to a trust anchor, valid at the
 * caller's wall-clock time. */
static int check_path(tcpsec_ike_sa *sa, const tcpsec_cert_chain *chain,
                      char *problem, size_t len) {
  revocation r;
  uint64_t now;
  int rv;

  if (sa->cb.wall_clock == NULL)
    return TCPSEC_ERR_CONFIG; /* checked before IKE_SA_INIT already */
  memset(&r, 0, sizeof(r));
  r.pub = &sa->cfg.pub;
  sa->in_callback++;
  now = sa->cb.wall_clock(sa->cb.user, sa);
  rv = tcpsec_cert_chain_verify(
      chain, sa->cfg.auth.cred->trust, now,
      r.pub->cert_revoked != NULL ? check_revoked : NULL, &r);
  sa->in_callback--;

  switch (rv) {
  case 0:
    return 0;
  case TCPSEC_ERR_CERT_EXPIRED:
    snprintf(problem, len,
             "a certificate of the peer's chain is expired or not yet valid "
             "at %llu seconds since 1970",
             (unsigned long long)now);
    break;
  case TCPSEC_ERR_CERT_UNTRUSTED:
    if (r.revoked)
      snprintf(problem, len, "the peer's certificate with serial %s is revoked",
               r.serial);
    else
      snprintf(problem, len,
               "the peer's certificate chain does not lead to a trust anchor "
               "(issuer unknown, a signature invalid, or an issuer that is "
               "no CA)");
    break;
  case TCPSEC_ERR_UNSUPPORTED_KEY_TYPE:
    snprintf(problem, len,
             "the peer's certificate chain uses a key or signature algorithm "
             "other than RSA of 2048 bits or more and ECDSA P-256/384/521 "
             "with SHA-2");
    break;
  case TCPSEC_ERR_CALLBACK:
    snprintf(problem, len, "the revocation callback returned an error");
    break;
  default:
    snprintf(problem, len, "certificate validation failed (%s)",
             tcpsec_strerror_name(rv));
    break;
  }
  return rv;
}

/* Printable form of an ID for the log: names as text (other bytes as '?'),
 * addresses in their usual notation. */
static void describe_id(const tcpsec_ike_payload *id, char *out, size_t len) {
  const uint8_t *d = id->u.id.data;
  size_t n = id->u.id.len, i, used;

  switch (id->u.id.type) {
  case TCPSEC_IKE_ID_TYPE_FQDN:
  case TCPSEC_IKE_ID_TYPE_RFC822_ADDR:
    for (i = 0; i < n && i + 1 < len; i++)
      out[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
    out[i] = '\0';
    return;
  case TCPSEC_IKE_ID_TYPE_IPV4_ADDR:
    snprintf(out, len, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
    return;
  case TCPSEC_IKE_ID_TYPE_IPV6_ADDR:
    for (i = 0, used = 0; i < 16 && used < len; i += 2)
      used += (size_t)snprintf(out + used, len - used, i == 0 ? "%x" : ":%x",
                               tcpsec_load_be16(d + i));
    return;
  default:
    snprintf(out, len, "%s of %zu bytes",
             tcpsec_ike_id_type_name(id->u.id.type) != NULL
                 ? tcpsec_ike_id_type_name(id->u.id.type)
                 : "unknown ID type",
             n);
    return;
  }
}

static int check_identity(const tcpsec_cert_chain *chain,
                          const tcpsec_ike_payload *id, char *problem,
                          size_t len) {
  tcpsec_cert_id_type type;
  char text[96];

  describe_id(id, text, sizeof(text));
  if (!tcpsec_ike_auth_cert_id_type(id->u.id.type, &type)) {
    snprintf(problem, len,
             "the peer's ID (%s) has a type that no certificate field holds",
             text);
    return TCPSEC_ERR_ID_MISMATCH;
  }
  if (tcpsec_cert_chain_match_id(chain, type, id->u.id.data, id->u.id.len) !=
      0) {
    snprintf(problem, len,
             "the peer's ID (%s) is neither the subject nor a subjectAltName "
             "of its certificate",
             text);
    return TCPSEC_ERR_ID_MISMATCH;
  }
  return 0;
}

/* ---- the peer's AUTH ----------------------------------------------------- */

/* The signature module reports an undecodable signature as MALFORMED; for
 * the peer it is an invalid signature like any other. */
static int signature_result(int rv) {
  return rv == TCPSEC_ERR_MALFORMED ? TCPSEC_ERR_SIGNATURE_INVALID : rv;
}

/* Method 14: ASN.1 Length | AlgorithmIdentifier | Signature Value. */
static int verify_digital_signature(tcpsec_sig_key *key, const tcpsec_iov *iov,
                                    const tcpsec_ike_auth *auth, char *problem,
                                    size_t len) {
  tcpsec_sig_key_type type = tcpsec_sig_key_type_of(key);
  tcpsec_sig_scheme scheme;
  tcpsec_hash_alg hash;
  size_t algid_len;
  int rv;

  if (auth->len < 2 || auth->data[0] == 0 ||
      (size_t)auth->data[0] >= auth->len) {
    snprintf(problem, len,
             "AUTH data of %zu bytes cannot hold its AlgorithmIdentifier and "
             "a signature",
             auth->len);
    return TCPSEC_ERR_SIGNATURE_INVALID;
  }
  algid_len = auth->data[0];
  rv = tcpsec_sig_algid_parse(auth->data + 1, algid_len, &scheme, &hash);
  if (rv == TCPSEC_ERR_NOT_SUPPORTED) {
    snprintf(problem, len,
             "AUTH names a signature algorithm that tcpsec does not accept "
             "(only RSASSA-PSS, RSASSA-PKCS1-v1_5 and ECDSA with SHA2-256, "
             "SHA2-384 or SHA2-512; never SHA-1)");
    return rv;
  }
  if (rv != 0) {
    snprintf(problem, len, "AUTH AlgorithmIdentifier is not valid DER");
    return TCPSEC_ERR_SIGNATURE_INVALID;
  }
  if (!tcpsec_sig_scheme_fits(scheme, type)) {
    snprintf(problem, len, "AUTH names %s, but the certificate has an %s key",
             tcpsec_ike_auth_scheme_name(scheme),
             tcpsec_ike_auth_key_name(type));
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  }
  rv = signature_result(tcpsec_sig_verify(key, scheme, hash, iov, 3,
                                          auth->data + 1 + algid_len,
                                          auth->len - 1 - algid_len));
  if (rv != 0)
    snprintf(problem, len,
             "%s signature over %s with the %s key does not verify",
             tcpsec_ike_auth_scheme_name(scheme),
             tcpsec_ike_auth_hash_name(hash), tcpsec_ike_auth_key_name(type));
  return rv;
}

/* Method 1: RFC 7296 does not fix the hash, and the PKCS#1 v1.5 encoding
 * names it, so SHA-1 (what peers of this method use) and each SHA-2 hash
 * are tried. */
static int verify_rsa_classic(tcpsec_sig_key *key, const tcpsec_iov *iov,
                              const tcpsec_ike_auth *auth, char *problem,
                              size_t len) {
  static const tcpsec_hash_alg hashes[] = {
      TCPSEC_HASH_SHA1, TCPSEC_HASH_SHA256, TCPSEC_HASH_SHA384,
      TCPSEC_HASH_SHA512};
  size_t i;
  int rv = TCPSEC_ERR_SIGNATURE_INVALID;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(hashes); i++) {
    rv = tcpsec_sig_verify(key, TCPSEC_SIG_RSA_PKCS1, hashes[i], iov, 3,
                           auth->data, auth->len);
    if (rv != TCPSEC_ERR_SIGNATURE_INVALID)
      break;
  }
  rv = signature_result(rv);
  if (rv != 0)
    snprintf(problem, len,
             "RSA signature of AUTH method 1 does not verify with SHA-1, "
             "SHA2-256, SHA2-384 or SHA2-512");
  return rv;
}

/* Methods 9, 10, 11: ECDSA r | s with the hash of the curve (RFC 4754). */
static int verify_ecdsa_classic(tcpsec_sig_key *key, const tcpsec_iov *iov,
                                const tcpsec_ike_auth *auth, char *problem,
                                size_t len) {
  tcpsec_sig_key_type type = tcpsec_sig_key_type_of(key);
  int rv;

  rv = signature_result(tcpsec_sig_verify(key, TCPSEC_SIG_ECDSA_RAW,
                                          tcpsec_sig_ecdsa_classic_hash(type),
                                          iov, 3, auth->data, auth->len));
  if (rv != 0)
    snprintf(problem, len,
             "ECDSA signature of AUTH method %u (%zu bytes) does not verify",
             auth->method, auth->len);
  return rv;
}

static int check_signature(tcpsec_ike_sa *sa, tcpsec_sig_key *key,
                           int of_initiator, const tcpsec_ike_payload *id,
                           const tcpsec_ike_auth *auth, char *problem,
                           size_t len) {
  tcpsec_sig_key_type want = tcpsec_ike_auth_method_key_type(auth->method);
  tcpsec_sig_key_type have = tcpsec_sig_key_type_of(key);
  uint8_t maced_id[IKE_PRF_MAX];
  tcpsec_iov iov[3];
  int rv;

  if (want != TCPSEC_SIG_KEY_NONE && want != have) {
    snprintf(problem, len,
             "AUTH method %u needs an %s key, but the certificate has an %s "
             "key",
             auth->method, tcpsec_ike_auth_key_name(want),
             tcpsec_ike_auth_key_name(have));
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  }
  rv = tcpsec_ike_signed_octets(sa, of_initiator, id->body, id->body_len,
                                maced_id, iov);
  if (rv == 0) {
    if (auth->method == TCPSEC_IKE_AUTH_SIGNATURE)
      rv = verify_digital_signature(key, iov, auth, problem, len);
    else if (auth->method == TCPSEC_IKE_AUTH_RSA)
      rv = verify_rsa_classic(key, iov, auth, problem, len);
    else
      rv = verify_ecdsa_classic(key, iov, auth, problem, len);
  } else {
    snprintf(problem, len, "signed octets unavailable (%s)",
             tcpsec_strerror_name(rv));
  }
  tcpsec_zeroize(maced_id, sizeof(maced_id));
  return rv;
}

int tcpsec_ike_auth_verify(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                           int of_initiator, const tcpsec_ike_payload *id,
                           const tcpsec_ike_payload *auth, char *problem,
                           size_t problem_len) {
  tcpsec_cert_chain *chain = NULL;
  tcpsec_sig_key *key = NULL;
  int rv;

  if (!tcpsec_ike_auth_is_signature(auth->u.auth.method)) {
    snprintf(problem, problem_len,
             "AUTH method %u (%s) is not one of the signature methods the "
             "configuration expects",
             auth->u.auth.method,
             tcpsec_ike_auth_method_name(auth->u.auth.method) != NULL
                 ? tcpsec_ike_auth_method_name(auth->u.auth.method)
                 : "unknown");
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  }

  /* The chain from the CERT payloads, its path to a trust anchor at the
   * wall-clock time, the ID in the end-entity certificate, then AUTH. */
  rv = peer_chain(sa, msg, &chain, problem, problem_len);
  if (rv == 0)
    rv = check_path(sa, chain, problem, problem_len);
  if (rv == 0)
    rv = check_identity(chain, id, problem, problem_len);
  if (rv == 0) {
    rv = tcpsec_cert_chain_public_key(chain, 0, &key);
    if (rv != 0)
      snprintf(problem, problem_len,
               "the public key of the peer's certificate cannot be used (%s)",
               tcpsec_strerror_name(rv));
  }
  if (rv == 0)
    rv = check_signature(sa, key, of_initiator, id, &auth->u.auth, problem,
                         problem_len);
  if (rv == 0)
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "peer's certificate chain of %zu certificate(s) and its AUTH "
               "(method %u, %s key) verified",
               tcpsec_cert_chain_count(chain), auth->u.auth.method,
               tcpsec_ike_auth_key_name(tcpsec_sig_key_type_of(key)));
  tcpsec_sig_key_free(key);
  tcpsec_cert_chain_free(chain);
  return rv;
}
