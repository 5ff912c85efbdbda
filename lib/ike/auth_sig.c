/*
 * Certificate and signature authentication (RFC 7296 sections 2.15, 3.6 to
 * 3.8, RFC 7427, RFC 4754). This file loads certificates, keys and trust
 * anchors, adds SIGNATURE_HASH_ALGORITHMS and CERTREQ to IKE_SA_INIT, and
 * builds our CERT and AUTH payloads; auth_verify.c checks the peer's.
 *
 * AUTH signs the same octets as a PSK AUTH (auth_psk.c). The Authentication
 * Data of method 14 names the algorithm (RFC 7427 section 3):
 *
 *   +---------------+------------------------------------------+
 *   | ASN.1 Length  | AlgorithmIdentifier, DER, ASN.1 Length   |
 *   |  (1 octet)    | octets                                   |
 *   +---------------+------------------------------------------+
 *   | Signature Value: the rest of the payload                 |
 *   +----------------------------------------------------------+
 *
 * Methods 1, 9, 10 and 11 carry only the Signature Value: RSASSA-PKCS1-v1_5
 * as long as the modulus, or ECDSA r | s of twice the field size (RFC 4754
 * section 7).
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

/* SIGNATURE_HASH_ALGORITHMS data (RFC 7427 section 4): SHA2-256, SHA2-384
 * and SHA2-512, the hashes the signature module verifies. */
static const uint8_t announced_hashes[] = {0, TCPSEC_IKE_HASH_SHA2_256,
                                           0, TCPSEC_IKE_HASH_SHA2_384,
                                           0, TCPSEC_IKE_HASH_SHA2_512};

/* ---- names for logs ----------------------------------------------------- */

const char *tcpsec_ike_auth_key_name(tcpsec_sig_key_type type) {
  switch (type) {
  case TCPSEC_SIG_KEY_RSA:
    return "RSA";
  case TCPSEC_SIG_KEY_ECDSA_P256:
    return "ECDSA P-256";
  case TCPSEC_SIG_KEY_ECDSA_P384:
    return "ECDSA P-384";
  case TCPSEC_SIG_KEY_ECDSA_P521:
    return "ECDSA P-521";
  default:
    return "unknown";
  }
}

const char *tcpsec_ike_auth_scheme_name(tcpsec_sig_scheme scheme) {
  switch (scheme) {
  case TCPSEC_SIG_RSA_PKCS1:
    return "RSASSA-PKCS1-v1_5";
  case TCPSEC_SIG_RSA_PSS:
    return "RSASSA-PSS";
  default:
    return "ECDSA";
  }
}

const char *tcpsec_ike_auth_hash_name(tcpsec_hash_alg hash) {
  switch (hash) {
  case TCPSEC_HASH_SHA256:
    return "SHA2-256";
  case TCPSEC_HASH_SHA384:
    return "SHA2-384";
  case TCPSEC_HASH_SHA512:
    return "SHA2-512";
  default:
    return "an unsupported hash";
  }
}

/* ---- methods and key types ---------------------------------------------- */

int tcpsec_ike_auth_is_signature(uint8_t method) {
  return method == TCPSEC_IKE_AUTH_RSA ||
         method == TCPSEC_IKE_AUTH_ECDSA_P256 ||
         method == TCPSEC_IKE_AUTH_ECDSA_P384 ||
         method == TCPSEC_IKE_AUTH_ECDSA_P521 ||
         method == TCPSEC_IKE_AUTH_SIGNATURE;
}

static int method_known(uint8_t method) {
  return method == TCPSEC_IKE_AUTH_PSK || tcpsec_ike_auth_is_signature(method);
}

tcpsec_sig_key_type tcpsec_ike_auth_method_key_type(uint8_t method) {
  switch (method) {
  case TCPSEC_IKE_AUTH_RSA:
    return TCPSEC_SIG_KEY_RSA;
  case TCPSEC_IKE_AUTH_ECDSA_P256:
    return TCPSEC_SIG_KEY_ECDSA_P256;
  case TCPSEC_IKE_AUTH_ECDSA_P384:
    return TCPSEC_SIG_KEY_ECDSA_P384;
  case TCPSEC_IKE_AUTH_ECDSA_P521:
    return TCPSEC_SIG_KEY_ECDSA_P521;
  default:
    return TCPSEC_SIG_KEY_NONE;
  }
}

/* Classic method of a key type: what method 14 falls back to. */
static uint8_t classic_method(tcpsec_sig_key_type type) {
  switch (type) {
  case TCPSEC_SIG_KEY_ECDSA_P256:
    return TCPSEC_IKE_AUTH_ECDSA_P256;
  case TCPSEC_SIG_KEY_ECDSA_P384:
    return TCPSEC_IKE_AUTH_ECDSA_P384;
  case TCPSEC_SIG_KEY_ECDSA_P521:
    return TCPSEC_IKE_AUTH_ECDSA_P521;
  default:
    return TCPSEC_IKE_AUTH_RSA;
  }
}

int tcpsec_ike_auth_cert_id_type(uint8_t id_type, tcpsec_cert_id_type *out) {
  switch (id_type) {
  case TCPSEC_IKE_ID_TYPE_IPV4_ADDR:
    *out = TCPSEC_CERT_ID_IPV4_ADDR;
    return 1;
  case TCPSEC_IKE_ID_TYPE_FQDN:
    *out = TCPSEC_CERT_ID_FQDN;
    return 1;
  case TCPSEC_IKE_ID_TYPE_RFC822_ADDR:
    *out = TCPSEC_CERT_ID_RFC822_ADDR;
    return 1;
  case TCPSEC_IKE_ID_TYPE_IPV6_ADDR:
    *out = TCPSEC_CERT_ID_IPV6_ADDR;
    return 1;
  case TCPSEC_IKE_ID_TYPE_DER_ASN1_DN:
    *out = TCPSEC_CERT_ID_DER_ASN1_DN;
    return 1;
  default:
    return 0;
  }
}

/* ---- configuration ------------------------------------------------------- */

static int auth_config_error(tcpsec_ctx *ctx, const char *problem) {
  tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
             "invalid IKE SA configuration: %s; fix the configuration",
             problem);
  return TCPSEC_ERR_CONFIG;
}

static int looks_like_pem(const uint8_t *data, size_t len) {
  static const char begin[] = "-----BEGIN ";
  size_t i;

  for (i = 0; i + sizeof(begin) - 1 <= len; i++)
    if (memcmp(data + i, begin, sizeof(begin) - 1) == 0)
      return 1;
  return 0;
}

/* Parse certificates: PEM with one or more, or DER certificates one after
 * another, each a SEQUENCE that the cursor steps over. */
static int add_certificates(tcpsec_cert_chain *chain, const uint8_t *data,
                            size_t len) {
  tcpsec_cursor c, body;
  const uint8_t *start;
  int rv;

  if (looks_like_pem(data, len))
    return tcpsec_cert_chain_add(chain, data, len);
  tcpsec_cursor_init(&c, data, len);
  while (tcpsec_cursor_left(&c) > 0) {
    start = c.p;
    if (tcpsec_der_read(&c, 0x30, &body) != 0)
      return TCPSEC_ERR_MALFORMED;
    rv = tcpsec_cert_chain_add(chain, start, (size_t)(c.p - start));
    if (rv != 0)
      return rv;
  }
  return 0;
}

/* `what` names the field and `purpose` the feature that needs it. */
static int load_certificates(tcpsec_ctx *ctx, const uint8_t *data, size_t len,
                             const char *what, const char *purpose,
                             tcpsec_cert_chain **out) {
  char problem[160];
  int rv;

  if (data == NULL || len == 0) {
    snprintf(problem, sizeof(problem), "%s missing, which %s needs", what,
             purpose);
    return auth_config_error(ctx, problem);
  }
  rv = tcpsec_cert_chain_new(ctx, out);
  if (rv != 0)
    return rv;
  rv = add_certificates(*out, data, len);
  if (rv == TCPSEC_ERR_NO_MEMORY)
    return rv;
  if (rv != 0) {
    snprintf(problem, sizeof(problem), "%s of %zu bytes cannot be parsed (%s)",
             what, len, tcpsec_strerror_name(rv));
    return auth_config_error(ctx, problem);
  }
  return 0;
}

/* Sign a fixed text with the private key and verify it with the public key
 * of the end-entity certificate. */
static int key_matches_certificate(tcpsec_ctx *ctx,
                                   const tcpsec_ike_credentials *cred) {
  static const uint8_t probe[] = "tcpsec private key check";
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  tcpsec_sig_key *cert_key = NULL;
  tcpsec_sig_scheme scheme;
  tcpsec_iov iov;
  size_t sig_len = 0;
  int rv;

  rv = tcpsec_cert_chain_public_key(cred->chain, 0, &cert_key);
  if (rv == TCPSEC_ERR_NO_MEMORY)
    return rv;
  if (rv != 0)
    return auth_config_error(ctx, "the public key of the end-entity "
                                  "certificate is not an RSA (2048 to 8192 "
                                  "bits) or ECDSA P-256/384/521 key");

  iov.data = probe;
  iov.len = sizeof(probe) - 1;
  scheme = tcpsec_sig_key_type_of(cred->key) == TCPSEC_SIG_KEY_RSA
               ? TCPSEC_SIG_RSA_PKCS1
               : TCPSEC_SIG_ECDSA_DER;
  rv = tcpsec_sig_sign(cred->key, scheme, TCPSEC_HASH_SHA256, &iov, 1, sig,
                       sizeof(sig), &sig_len);
  if (rv == 0 &&
      tcpsec_sig_key_type_of(cert_key) != tcpsec_sig_key_type_of(cred->key))
    rv = TCPSEC_ERR_SIGNATURE_INVALID;
  if (rv == 0)
    rv = tcpsec_sig_verify(cert_key, scheme, TCPSEC_HASH_SHA256, &iov, 1, sig,
                           sig_len);
  tcpsec_sig_key_free(cert_key);
  if (rv == TCPSEC_ERR_SIGNATURE_INVALID)
    return auth_config_error(ctx, "the private key does not belong to the "
                                  "first (end-entity) certificate of "
                                  "cert_chain");
  return rv;
}

/* A local identity the certificate does not contain makes a checking peer
 * fail with ID_MISMATCH; some peers do not check, so this only warns. */
static void check_local_identity(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                                 const tcpsec_ike_credentials *cred) {
  tcpsec_cert_id_type type;

  if (pub->local_id.type == 0 ||
      (tcpsec_ike_auth_cert_id_type(pub->local_id.type, &type) &&
       tcpsec_cert_chain_match_id(cred->chain, type, pub->local_id.data,
                                  pub->local_id.len) == 0))
    return;
  tcpsec_log(ctx, TCPSEC_LOG_WARNING, IKE_LOG,
             "local identity (%s) is neither the subject nor a "
             "subjectAltName of the end-entity certificate; peers that check "
             "it will reject our IKE_AUTH",
             tcpsec_ike_id_type_name(pub->local_id.type) != NULL
                 ? tcpsec_ike_id_type_name(pub->local_id.type)
                 : "unknown ID type");
}

static int load_local(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                      tcpsec_ike_credentials *cred) {
  char problem[160];
  int rv;

  rv = load_certificates(ctx, pub->cert_chain, pub->cert_chain_len,
                         "local certificate chain (cert_chain)",
                         "a signature authentication method", &cred->chain);
  if (rv != 0)
    return rv;
  if (pub->private_key == NULL || pub->private_key_len == 0)
    return auth_config_error(ctx, "private key missing for a signature "
                                  "authentication method");
  rv = tcpsec_sig_key_parse_private(ctx, pub->private_key, pub->private_key_len,
                                    &cred->key);
  if (rv == TCPSEC_ERR_NO_MEMORY)
    return rv;
  if (rv != 0) {
    snprintf(problem, sizeof(problem),
             "private key of %zu bytes cannot be used (%s): it must be an "
             "unencrypted RSA (2048 to 8192 bits) or ECDSA P-256/384/521 key",
             pub->private_key_len, tcpsec_strerror_name(rv));
    return auth_config_error(ctx, problem);
  }
  rv = key_matches_certificate(ctx, cred);
  if (rv != 0)
    return rv;
  check_local_identity(ctx, pub, cred);
  return 0;
}

static int load_trust(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                      tcpsec_ike_credentials *cred) {
  size_t count, i;
  int rv;

  rv = load_certificates(ctx, pub->trust_anchors, pub->trust_anchors_len,
                         "trust anchors (trust_anchors)",
                         "a peer that authenticates with a signature method",
                         &cred->trust);
  if (rv != 0)
    return rv;

  /* CERTREQ data: the SHA-1 of each anchor's SubjectPublicKeyInfo. */
  count = tcpsec_cert_chain_count(cred->trust);
  cred->certreq = tcpsec_malloc(ctx, count * TCPSEC_IKE_CERTREQ_HASH_LEN);
  if (cred->certreq == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  for (i = 0; i < count; i++) {
    rv = tcpsec_cert_chain_spki_sha1(
        cred->trust, i, cred->certreq + i * TCPSEC_IKE_CERTREQ_HASH_LEN);
    if (rv != 0)
      return rv;
  }
  cred->certreq_len = count * TCPSEC_IKE_CERTREQ_HASH_LEN;
  return 0;
}

static void credentials_destroy(tcpsec_ike_credentials *cred) {
  tcpsec_ctx *ctx = cred->ctx;

  tcpsec_cert_chain_free(cred->chain);
  tcpsec_sig_key_free(cred->key);
  tcpsec_cert_chain_free(cred->trust);
  tcpsec_free(ctx, cred->certreq);
  tcpsec_free(ctx, cred);
}

static void credentials_release(tcpsec_ike_credentials *cred) {
  if (cred != NULL && --cred->refs == 0)
    credentials_destroy(cred);
}

/* Create credentials with one reference: our chain and key when `local`
 * is set, the trust anchors when `trust` is set. */
static int credentials_load(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                            int local, int trust,
                            tcpsec_ike_credentials **out) {
  tcpsec_ike_credentials *cred;
  int rv = 0;

  cred = tcpsec_calloc(ctx, 1, sizeof(*cred));
  if (cred == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  cred->ctx = ctx;
  cred->refs = 1;
  if (local)
    rv = load_local(ctx, pub, cred);
  if (rv == 0 && trust)
    rv = load_trust(ctx, pub, cred);
  if (rv != 0) {
    credentials_destroy(cred);
    return rv;
  }
  *out = cred;
  return 0;
}

static int has_bytes(const uint8_t *data, size_t len) {
  return data != NULL && len > 0;
}

int tcpsec_ike_credentials_new(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                               tcpsec_ike_credentials **out) {
  tcpsec_ike_config pub;
  int chain, key, trust, rv;

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || cfg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = tcpsec_ike_config_copy(cfg, &pub);
  if (rv != 0)
    return rv;
  chain = has_bytes(pub.cert_chain, pub.cert_chain_len);
  key = has_bytes(pub.private_key, pub.private_key_len);
  trust = has_bytes(pub.trust_anchors, pub.trust_anchors_len);
  if (!chain && !key && !trust)
    return auth_config_error(ctx, "credentials need cert_chain and "
                                  "private_key, trust_anchors, or all three");
  if (chain != key)
    return auth_config_error(ctx, chain ? "private_key missing for cert_chain"
                                        : "cert_chain missing for "
                                          "private_key");
  rv = credentials_load(ctx, &pub, chain, trust, out);
  tcpsec_zeroize(&pub, sizeof(pub));
  return rv;
}

void tcpsec_ike_credentials_free(tcpsec_ike_credentials *cred) {
  credentials_release(cred);
}

/* Check that the credentials have what the methods need, because shared
 * ones were not loaded for these methods. */
static int check_parts(tcpsec_ctx *ctx, const ike_auth_cfg *cfg) {
  tcpsec_sig_key_type want = tcpsec_ike_auth_method_key_type(cfg->local_method);
  const tcpsec_ike_credentials *cred = cfg->cred;
  char problem[160];

  if (tcpsec_ike_auth_is_signature(cfg->local_method)) {
    if (cred->chain == NULL)
      return auth_config_error(ctx, "credentials without a certificate "
                                    "chain and private key, which a "
                                    "signature authentication method "
                                    "needs");
    if (want != TCPSEC_SIG_KEY_NONE &&
        tcpsec_sig_key_type_of(cred->key) != want) {
      snprintf(problem, sizeof(problem),
               "authentication method %u needs an %s key, the private key is "
               "%s",
               cfg->local_method, tcpsec_ike_auth_key_name(want),
               tcpsec_ike_auth_key_name(tcpsec_sig_key_type_of(cred->key)));
      return auth_config_error(ctx, problem);
    }
  }
  if (tcpsec_ike_auth_is_signature(cfg->remote_method) && cred->trust == NULL)
    return auth_config_error(ctx, "credentials without trust anchors, which "
                                  "a peer that authenticates with a "
                                  "signature method needs");
  return 0;
}

int tcpsec_ike_auth_cfg_load(tcpsec_ctx *ctx, const tcpsec_ike_config *pub,
                             ike_auth_cfg *out) {
  char problem[128];
  int local_ok, signs, verifies, rv;

  out->local_method = pub->auth_method;
  out->remote_method =
      pub->remote_auth_method != 0 ? pub->remote_auth_method : pub->auth_method;
  local_ok = method_known(out->local_method);
  if (!local_ok || !method_known(out->remote_method)) {
    snprintf(problem, sizeof(problem),
             "%s %u is not supported; use 1, 2, 9, 10, 11 or 14",
             local_ok ? "remote_auth_method" : "auth_method",
             local_ok ? out->remote_method : out->local_method);
    return auth_config_error(ctx, problem);
  }
  signs = tcpsec_ike_auth_is_signature(out->local_method);
  verifies = tcpsec_ike_auth_is_signature(out->remote_method);

  if (pub->credentials != NULL) {
    if (has_bytes(pub->cert_chain, pub->cert_chain_len) ||
        has_bytes(pub->private_key, pub->private_key_len) ||
        has_bytes(pub->trust_anchors, pub->trust_anchors_len))
      return auth_config_error(ctx, "credentials set together with "
                                    "cert_chain, private_key or "
                                    "trust_anchors; set one or the other");
    if (pub->credentials->ctx != ctx) {
      tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
                 "invalid argument: the IKE SA configuration names "
                 "credentials of another library context; create them with "
                 "this context");
      return TCPSEC_ERR_INVALID_ARGUMENT;
    }
    if (!signs && !verifies)
      return 0;
    out->cred = pub->credentials;
    out->cred->refs++;
  } else if (signs || verifies) {
    rv = credentials_load(ctx, pub, signs, verifies, &out->cred);
    if (rv != 0)
      return rv;
  } else {
    return 0;
  }
  return check_parts(ctx, out);
}

void tcpsec_ike_auth_cfg_clear(ike_auth_cfg *cfg) {
  credentials_release(cfg->cred);
  memset(cfg, 0, sizeof(*cfg));
}

void tcpsec_ike_auth_state_clear(tcpsec_ike_sa *sa) {
  tcpsec_zeroize(&sa->auth, sizeof(sa->auth));
}

int tcpsec_ike_auth_check_clock(tcpsec_ike_sa *sa) {
  if (!tcpsec_ike_auth_is_signature(sa->cfg.auth.remote_method) ||
      sa->cb.wall_clock != NULL)
    return 0;
  return auth_config_error(sa->ctx, "the peer authenticates with a "
                                    "certificate, but the wall_clock "
                                    "callback that dates its validity is "
                                    "NULL");
}

/* ---- IKE_SA_INIT --------------------------------------------------------- */

/* RFC 7427 section 3: when both ends send SIGNATURE_HASH_ALGORITHMS, a
 * signing end must use method 14. tcpsec sends it only where method 14 is
 * configured, so that the classic methods stay usable. */
static int sends_hash_notify(const ike_config *cfg) {
  return cfg->auth.local_method == TCPSEC_IKE_AUTH_SIGNATURE ||
         cfg->auth.remote_method == TCPSEC_IKE_AUTH_SIGNATURE;
}

void tcpsec_ike_auth_add_hash_notify(tcpsec_ike_sa *sa, tcpsec_ike_builder *b) {
  if (sends_hash_notify(&sa->cfg))
    tcpsec_ike_builder_add_notify(b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                  TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS,
                                  announced_hashes, sizeof(announced_hashes));
}

void tcpsec_ike_auth_take_hash_notify(tcpsec_ike_sa *sa,
                                      const tcpsec_ike_msg *msg) {
  const tcpsec_ike_payload *n =
      tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS);
  size_t i;

  sa->auth.peer_announced = n != NULL;
  sa->auth.peer_hashes = 0;
  if (n == NULL)
    return;
  for (i = 0; i < n->u.notify.decoded.hash_alg_count; i++) {
    switch (tcpsec_ike_notify_hash_alg(&n->u.notify, i)) {
    case TCPSEC_IKE_HASH_SHA2_256:
      sa->auth.peer_hashes |= IKE_HASH_BIT_SHA256;
      break;
    case TCPSEC_IKE_HASH_SHA2_384:
      sa->auth.peer_hashes |= IKE_HASH_BIT_SHA384;
      break;
    case TCPSEC_IKE_HASH_SHA2_512:
      sa->auth.peer_hashes |= IKE_HASH_BIT_SHA512;
      break;
    default:
      break; /* SHA-1, Identity and unknown hashes are never used */
    }
  }
}

void tcpsec_ike_auth_add_certreq(tcpsec_ike_sa *sa, tcpsec_ike_builder *b) {
  const ike_auth_cfg *cfg = &sa->cfg.auth;

  if (!tcpsec_ike_auth_is_signature(cfg->remote_method) ||
      !sa->cfg.pub.send_certreq || cfg->cred->certreq_len == 0)
    return;
  tcpsec_ike_builder_add_certreq(b, TCPSEC_IKE_CERT_X509_SIGNATURE,
                                 cfg->cred->certreq, cfg->cred->certreq_len);
}

/* ---- our CERT and AUTH payloads ----------------------------------------- */

void tcpsec_ike_auth_add_certs(tcpsec_ike_sa *sa, tcpsec_ike_builder *b) {
  const tcpsec_cert_chain *chain;
  const uint8_t *der;
  size_t count, len, i;

  if (!tcpsec_ike_auth_is_signature(sa->cfg.auth.local_method))
    return;
  chain = sa->cfg.auth.cred->chain;
  count = tcpsec_cert_chain_count(chain);
  for (i = 0; i < count; i++)
    if (tcpsec_cert_chain_der(chain, i, &der, &len) == 0)
      tcpsec_ike_builder_add_cert(b, TCPSEC_IKE_CERT_X509_SIGNATURE, der, len);
}

/* How we sign: AUTH method, signature scheme and hash. */
typedef struct sig_choice {
  uint8_t method;
  tcpsec_sig_scheme scheme;
  tcpsec_hash_alg hash;
} sig_choice;

/* The strongest hash both ends support, or NONE. */
static tcpsec_hash_alg strongest_common_hash(uint8_t peer_hashes) {
  if (peer_hashes & IKE_HASH_BIT_SHA512)
    return TCPSEC_HASH_SHA512;
  if (peer_hashes & IKE_HASH_BIT_SHA384)
    return TCPSEC_HASH_SHA384;
  if (peer_hashes & IKE_HASH_BIT_SHA256)
    return TCPSEC_HASH_SHA256;
  return TCPSEC_HASH_NONE;
}

static void choose_signature(tcpsec_ike_sa *sa, sig_choice *c) {
  tcpsec_sig_key_type type = tcpsec_sig_key_type_of(sa->cfg.auth.cred->key);
  uint8_t local = sa->cfg.auth.local_method;
  tcpsec_hash_alg common = TCPSEC_HASH_NONE;

  /* Method 14 with a hash the peer announced (RFC 7427 section 4). */
  if (sends_hash_notify(&sa->cfg) && sa->auth.peer_announced)
    common = strongest_common_hash(sa->auth.peer_hashes);
  if (common != TCPSEC_HASH_NONE) {
    c->method = TCPSEC_IKE_AUTH_SIGNATURE;
    c->hash = common;
    if (type != TCPSEC_SIG_KEY_RSA)
      c->scheme = TCPSEC_SIG_ECDSA_DER;
    else
      c->scheme =
          sa->cfg.pub.rsa_pss ? TCPSEC_SIG_RSA_PSS : TCPSEC_SIG_RSA_PKCS1;
    return;
  }

  /* A classic method: configured, or the one of our key type. */
  c->method = local;
  if (local == TCPSEC_IKE_AUTH_SIGNATURE) {
    c->method = classic_method(type);
    tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
               "%s; signing AUTH with method %u instead of 14",
               sa->auth.peer_announced
                   ? "peer's SIGNATURE_HASH_ALGORITHMS lists no SHA-2 hash"
                   : "peer sent no SIGNATURE_HASH_ALGORITHMS",
               c->method);
  }
  if (c->method == TCPSEC_IKE_AUTH_RSA) {
    /* Peers of method 1 (strongSwan and Libreswan among them) sign and
     * verify it with SHA-1: RFC 7296 leaves the hash open, and only
     * RFC 7427 signatures negotiate a stronger one. */
    c->scheme = TCPSEC_SIG_RSA_PKCS1;
    c->hash = TCPSEC_HASH_SHA1;
  } else {
    c->scheme = TCPSEC_SIG_ECDSA_RAW;
    c->hash = tcpsec_sig_ecdsa_classic_hash(type);
  }
}

int tcpsec_ike_auth_sign(tcpsec_ike_sa *sa, int of_initiator,
                         const uint8_t *id_body, size_t id_body_len,
                         uint8_t *method, uint8_t *out, size_t *out_len) {
  uint8_t maced_id[IKE_PRF_MAX];
  size_t algid_len = 0, sig_len = 0;
  tcpsec_iov iov[3];
  sig_choice c;
  int rv;

  choose_signature(sa, &c);
  rv = tcpsec_ike_signed_octets(sa, of_initiator, id_body, id_body_len,
                                maced_id, iov);
  if (rv != 0)
    goto out;

  /* Method 14: ASN.1 Length | AlgorithmIdentifier | Signature Value */
  if (c.method == TCPSEC_IKE_AUTH_SIGNATURE) {
    rv = tcpsec_sig_algid_build(c.scheme, c.hash, out + 1,
                                TCPSEC_SIG_ALGID_MAX_LEN, &algid_len);
    if (rv != 0)
      goto out;
    out[0] = (uint8_t)algid_len;
    algid_len++;
  }
  rv =
      tcpsec_sig_sign(sa->cfg.auth.cred->key, c.scheme, c.hash, iov, 3,
                      out + algid_len, IKE_AUTH_DATA_MAX - algid_len, &sig_len);
  if (rv != 0)
    goto out;
  *method = c.method;
  *out_len = algid_len + sig_len;
  tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
             "signed AUTH with method %u: %s key, %s over %s", c.method,
             tcpsec_ike_auth_key_name(tcpsec_sig_key_type_of(sa->cfg.auth.cred->key)),
             tcpsec_ike_auth_scheme_name(c.scheme),
             tcpsec_ike_auth_hash_name(c.hash));

out:
  if (rv != 0)
    tcpsec_log(sa->ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "signing AUTH with method %u failed: %s; the IKE SA fails",
               c.method, tcpsec_strerror(rv));
  tcpsec_zeroize(maced_id, sizeof(maced_id));
  return rv;
}
