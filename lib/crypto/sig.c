/*
 * Signing and verification over gather lists, the two ECDSA signature
 * encodings, and the RFC 7427 AlgorithmIdentifier codec. The primitives
 * on digests are in crypto/mbedtls_sig.c.
 */
#include "crypto/sig.h"

#include "core/ctx.h"
#include "core/util.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_CONTEXT(n) (0xa0 | (n)) /* constructed, context-specific */

/* ---- DER ---------------------------------------------------------------- */

/*
 * One DER element:
 *
 *   +-----+---------------------------+-------------------+
 *   | tag | length                    | contents          |
 *   +-----+---------------------------+-------------------+
 *          0x00-0x7f: the length itself
 *          0x81-0x83: 1 to 3 length octets follow, the value >= 0x80
 *                     and without leading zero octets (minimal form)
 *
 * The indefinite form 0x80 and longer lengths are rejected.
 */
int tcpsec_der_read(tcpsec_cursor *c, uint8_t tag, tcpsec_cursor *content) {
  uint8_t got_tag, first;
  size_t len, count, i;

  got_tag = tcpsec_cursor_u8(c);
  first = tcpsec_cursor_u8(c);
  if (c->error || got_tag != tag)
    return TCPSEC_ERR_MALFORMED;

  if (first < 0x80) {
    len = first;
  } else {
    count = first & 0x7fu;
    if (count == 0 || count > 3)
      return TCPSEC_ERR_MALFORMED;
    len = 0;
    for (i = 0; i < count; i++)
      len = len << 8 | tcpsec_cursor_u8(c);
    if (c->error || len < 0x80 || len >> (8 * (count - 1)) == 0)
      return TCPSEC_ERR_MALFORMED;
  }

  if (!tcpsec_cursor_sub(c, len, content))
    return TCPSEC_ERR_MALFORMED;
  return 0;
}

/* A non-negative INTEGER in minimal form; *value points at its magnitude
 * without the sign octet. */
static int der_read_unsigned(tcpsec_cursor *c, const uint8_t **value,
                             size_t *len) {
  tcpsec_cursor in;
  size_t n;

  if (tcpsec_der_read(c, DER_INTEGER, &in) != 0)
    return TCPSEC_ERR_MALFORMED;
  n = tcpsec_cursor_left(&in);
  if (n == 0 || (in.p[0] & 0x80) != 0)
    return TCPSEC_ERR_MALFORMED; /* empty or negative */
  if (n > 1 && in.p[0] == 0 && (in.p[1] & 0x80) == 0)
    return TCPSEC_ERR_MALFORMED; /* superfluous leading zero */
  if (n > 1 && in.p[0] == 0) {
    in.p++;
    n--;
  }
  *value = in.p;
  *len = n;
  return 0;
}

/* ---- ECDSA encodings ---------------------------------------------------- */

/*
 * RFC 3279 section 2.2.3, as RFC 7427 carries it:
 *
 *   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 *
 * RFC 4754 section 7 (auth methods 9, 10, 11): r | s, each a big-endian
 * integer padded with zeros to the size of the curve's field.
 */
int tcpsec_sig_ecdsa_der_to_raw(const uint8_t *der, size_t der_len,
                                size_t field_len, uint8_t *raw) {
  tcpsec_cursor c, seq;
  const uint8_t *value[2];
  size_t len[2], i;

  if (der == NULL || raw == NULL || field_len == 0 ||
      field_len > TCPSEC_SIG_ECDSA_MAX_FIELD)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  tcpsec_cursor_init(&c, der, der_len);
  if (tcpsec_der_read(&c, DER_SEQUENCE, &seq) != 0 ||
      tcpsec_cursor_left(&c) != 0)
    return TCPSEC_ERR_MALFORMED;
  for (i = 0; i < 2; i++)
    if (der_read_unsigned(&seq, &value[i], &len[i]) != 0 ||
        len[i] > field_len)
      return TCPSEC_ERR_MALFORMED;
  if (tcpsec_cursor_left(&seq) != 0)
    return TCPSEC_ERR_MALFORMED;

  memset(raw, 0, 2 * field_len);
  for (i = 0; i < 2; i++)
    memcpy(raw + (i + 1) * field_len - len[i], value[i], len[i]);
  return 0;
}

/* Write one INTEGER from a fixed-size big-endian value; returns the
 * length written, or 0 when it does not fit in max. */
static size_t der_write_unsigned(const uint8_t *value, size_t len,
                                 uint8_t *out, size_t max) {
  size_t pad, total;

  while (len > 1 && value[0] == 0) {
    value++;
    len--;
  }
  pad = (value[0] & 0x80) != 0 ? 1 : 0;
  total = 2 + pad + len;
  if (total > max || pad + len > 0x7f)
    return 0;
  out[0] = DER_INTEGER;
  out[1] = (uint8_t)(pad + len);
  out[2] = 0;
  memcpy(out + 2 + pad, value, len);
  return total;
}

int tcpsec_sig_ecdsa_raw_to_der(const uint8_t *raw, size_t field_len,
                                uint8_t *der, size_t der_max,
                                size_t *der_len) {
  uint8_t body[2 * (3 + TCPSEC_SIG_ECDSA_MAX_FIELD)];
  size_t body_len = 0, n, header, i;

  if (raw == NULL || der == NULL || der_len == NULL || field_len == 0 ||
      field_len > TCPSEC_SIG_ECDSA_MAX_FIELD)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  for (i = 0; i < 2; i++) {
    n = der_write_unsigned(raw + i * field_len, field_len, body + body_len,
                           sizeof(body) - body_len);
    if (n == 0)
      return TCPSEC_ERR_INTERNAL;
    body_len += n;
  }

  header = body_len < 0x80 ? 2 : 3;
  if (header + body_len > der_max)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  der[0] = DER_SEQUENCE;
  if (header == 2) {
    der[1] = (uint8_t)body_len;
  } else {
    der[1] = 0x81;
    der[2] = (uint8_t)body_len;
  }
  memcpy(der + header, body, body_len);
  *der_len = header + body_len;
  return 0;
}

/* ---- keys and schemes --------------------------------------------------- */

static size_t ecdsa_field_len(tcpsec_sig_key_type type) {
  switch (type) {
  case TCPSEC_SIG_KEY_ECDSA_P256:
    return 32;
  case TCPSEC_SIG_KEY_ECDSA_P384:
    return 48;
  case TCPSEC_SIG_KEY_ECDSA_P521:
    return 66;
  default:
    return 0;
  }
}

int tcpsec_sig_scheme_fits(tcpsec_sig_scheme scheme, tcpsec_sig_key_type type) {
  switch (scheme) {
  case TCPSEC_SIG_RSA_PKCS1:
  case TCPSEC_SIG_RSA_PSS:
    return type == TCPSEC_SIG_KEY_RSA;
  case TCPSEC_SIG_ECDSA_DER:
  case TCPSEC_SIG_ECDSA_RAW:
    return ecdsa_field_len(type) != 0;
  default:
    return 0;
  }
}

tcpsec_hash_alg tcpsec_sig_ecdsa_classic_hash(tcpsec_sig_key_type type) {
  switch (type) {
  case TCPSEC_SIG_KEY_ECDSA_P256:
    return TCPSEC_HASH_SHA256;
  case TCPSEC_SIG_KEY_ECDSA_P384:
    return TCPSEC_HASH_SHA384;
  case TCPSEC_SIG_KEY_ECDSA_P521:
    return TCPSEC_HASH_SHA512;
  default:
    return TCPSEC_HASH_NONE;
  }
}

/* Length of the signature the backend produces: RSA modulus length or
 * r | s. */
static size_t raw_len(const tcpsec_sig_key *key) {
  tcpsec_sig_key_type type = tcpsec_sig_key_type_of(key);

  if (type == TCPSEC_SIG_KEY_RSA)
    return (tcpsec_sig_key_bits(key) + 7) / 8;
  return 2 * ecdsa_field_len(type);
}

size_t tcpsec_sig_max_len(const tcpsec_sig_key *key,
                          tcpsec_sig_scheme scheme) {
  size_t field, body;

  if (key == NULL || !tcpsec_sig_scheme_fits(scheme, tcpsec_sig_key_type_of(key)))
    return 0;
  if (scheme != TCPSEC_SIG_ECDSA_DER)
    return raw_len(key);

  /* Two INTEGERs of up to the field size, plus a sign octet where the top
   * bit of the field can be set (not on P-521, whose top octet is at most
   * 0x01), in a SEQUENCE. */
  field = ecdsa_field_len(tcpsec_sig_key_type_of(key));
  if (tcpsec_sig_key_type_of(key) != TCPSEC_SIG_KEY_ECDSA_P521)
    field++;
  body = 2 * (2 + field);
  return (body < 0x80 ? 2 : 3) + body;
}

/* SHA-1 only with PKCS#1 v1.5: the classic IKEv2 RSA method (1) of peers
 * without RFC 7427 signs with it. */
static int hash_supported(tcpsec_sig_scheme scheme, tcpsec_hash_alg hash) {
  if (hash == TCPSEC_HASH_SHA1)
    return scheme == TCPSEC_SIG_RSA_PKCS1;
  return hash == TCPSEC_HASH_SHA256 || hash == TCPSEC_HASH_SHA384 ||
         hash == TCPSEC_HASH_SHA512;
}

/* Checks shared by sign and verify. */
static int check_request(const tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                         tcpsec_hash_alg hash, const tcpsec_iov *iov,
                         size_t iov_count) {
  if (key == NULL || (iov == NULL && iov_count != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (scheme < TCPSEC_SIG_RSA_PKCS1 || scheme > TCPSEC_SIG_ECDSA_RAW)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (!hash_supported(scheme, hash))
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  if (!tcpsec_sig_scheme_fits(scheme, tcpsec_sig_key_type_of(key)))
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  return 0;
}

/* ---- sign and verify ---------------------------------------------------- */

int tcpsec_sig_sign(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                    tcpsec_hash_alg hash, const tcpsec_iov *iov,
                    size_t iov_count, uint8_t *sig, size_t sig_max,
                    size_t *sig_len) {
  uint8_t digest[TCPSEC_HASH_MAX_LEN];
  uint8_t ecdsa_raw[2 * TCPSEC_SIG_ECDSA_MAX_FIELD];
  size_t digest_len, len;
  int rv;

  rv = check_request(key, scheme, hash, iov, iov_count);
  if (rv != 0)
    return rv;
  if (sig == NULL || sig_len == NULL || !tcpsec_sig_key_can_sign(key))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  len = raw_len(key);
  if (scheme != TCPSEC_SIG_ECDSA_DER && sig_max < len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  digest_len = tcpsec_hash_len(hash);
  rv = tcpsec_hash(tcpsec_sig_key_ctx(key), hash, iov, iov_count, digest);
  if (rv != 0)
    return rv;

  if (scheme != TCPSEC_SIG_ECDSA_DER) {
    rv = tcpsec_mbedtls_sig_sign_hash(key, scheme, hash, digest, digest_len,
                                      sig, len);
    if (rv == 0)
      *sig_len = len;
    return rv;
  }

  rv = tcpsec_mbedtls_sig_sign_hash(key, scheme, hash, digest, digest_len,
                                    ecdsa_raw, len);
  if (rv == 0)
    rv = tcpsec_sig_ecdsa_raw_to_der(ecdsa_raw, len / 2, sig, sig_max,
                                     sig_len);
  return rv;
}

int tcpsec_sig_verify(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                      tcpsec_hash_alg hash, const tcpsec_iov *iov,
                      size_t iov_count, const uint8_t *sig, size_t sig_len) {
  uint8_t digest[TCPSEC_HASH_MAX_LEN];
  uint8_t ecdsa_raw[2 * TCPSEC_SIG_ECDSA_MAX_FIELD];
  const uint8_t *checked = sig;
  size_t len;
  int rv;

  rv = check_request(key, scheme, hash, iov, iov_count);
  if (rv != 0)
    return rv;
  if (sig == NULL && sig_len != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  len = raw_len(key);

  /* Bring the signature to the backend's form first. */
  switch (scheme) {
  case TCPSEC_SIG_RSA_PKCS1:
  case TCPSEC_SIG_RSA_PSS:
    if (sig_len != len)
      return TCPSEC_ERR_SIGNATURE_INVALID;
    break;
  case TCPSEC_SIG_ECDSA_RAW:
    if (sig_len != len)
      return TCPSEC_ERR_MALFORMED;
    break;
  default:
    if (sig == NULL)
      return TCPSEC_ERR_MALFORMED;
    rv = tcpsec_sig_ecdsa_der_to_raw(sig, sig_len, len / 2, ecdsa_raw);
    if (rv != 0)
      return rv;
    checked = ecdsa_raw;
    break;
  }

  rv = tcpsec_hash(tcpsec_sig_key_ctx(key), hash, iov, iov_count, digest);
  if (rv != 0)
    return rv;
  return tcpsec_mbedtls_sig_verify_hash(key, scheme, hash, digest,
                                        tcpsec_hash_len(hash), checked, len);
}

/* ---- RFC 7427 AlgorithmIdentifier --------------------------------------- */

/*
 * AlgorithmIdentifier ::= SEQUENCE {
 *   algorithm  OBJECT IDENTIFIER,
 *   parameters ANY DEFINED BY algorithm OPTIONAL }
 *
 * RFC 7427 Appendix A: sha*WithRSAEncryption carries NULL parameters,
 * ecdsa-with-SHA* none, id-RSASSA-PSS the RSASSA-PSS-params of RFC 4055
 * section 3:
 *
 *   RSASSA-PSS-params ::= SEQUENCE {
 *     hashAlgorithm    [0] HashAlgorithm    DEFAULT sha1,
 *     maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *     saltLength       [2] INTEGER          DEFAULT 20,
 *     trailerField     [3] TrailerField     DEFAULT trailerFieldBC (1) }
 */

/* OID contents (without tag and length). */
static const uint8_t oid_rsa_pkcs1_prefix[8] = {0x2a, 0x86, 0x48, 0x86,
                                                0xf7, 0x0d, 0x01, 0x01};
#define OID_PKCS1_SHA256_LAST 0x0b /* 1.2.840.113549.1.1.11 */
#define OID_PKCS1_SHA384_LAST 0x0c
#define OID_PKCS1_SHA512_LAST 0x0d
#define OID_PKCS1_PSS_LAST 0x0a  /* 1.2.840.113549.1.1.10 */
#define OID_PKCS1_MGF1_LAST 0x08 /* 1.2.840.113549.1.1.8 */
static const uint8_t oid_ecdsa_sha2_prefix[7] = {0x2a, 0x86, 0x48, 0xce,
                                                 0x3d, 0x04, 0x03};
static const uint8_t oid_sha2_prefix[8] = {0x60, 0x86, 0x48, 0x01,
                                           0x65, 0x03, 0x04, 0x02};

/* RFC 7427 A.1.2 to A.1.4: sha256/384/512WithRSAEncryption; the last OID
 * octet (index 12) selects the hash. */
static const uint8_t algid_rsa_pkcs1[15] = {
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
  0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

/* RFC 7427 A.3.2 to A.3.4: ecdsa-with-SHA256/384/512; the last octet
 * selects the hash. */
static const uint8_t algid_ecdsa[12] = {
  0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

/* RFC 7427 A.4.3: RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt length
 * 32, trailer field 1. Octets 29 and 59 end the two SHA-2 OIDs, octet 66
 * is the salt length. */
static const uint8_t algid_rsa_pss[72] = {
  0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
  0x0a, 0x30, 0x39, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
  0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
  0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
  0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
  0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20, 0xa3, 0x03, 0x02, 0x01, 0x01};
#define PSS_HASH_OCTET_1 29
#define PSS_HASH_OCTET_2 59
#define PSS_SALT_OCTET 66

/* Index of the hash among SHA-256, SHA-384, SHA-512, or -1. */
static int sha2_index(tcpsec_hash_alg hash) {
  switch (hash) {
  case TCPSEC_HASH_SHA256:
    return 0;
  case TCPSEC_HASH_SHA384:
    return 1;
  case TCPSEC_HASH_SHA512:
    return 2;
  default:
    return -1;
  }
}

static const tcpsec_hash_alg sha2_by_index[3] = {
  TCPSEC_HASH_SHA256, TCPSEC_HASH_SHA384, TCPSEC_HASH_SHA512};

int tcpsec_sig_algid_build(tcpsec_sig_scheme scheme, tcpsec_hash_alg hash,
                           uint8_t *out, size_t out_max, size_t *out_len) {
  int index = sha2_index(hash);
  const uint8_t *template;
  size_t len;

  if (out == NULL || out_len == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (index < 0)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  switch (scheme) {
  case TCPSEC_SIG_RSA_PKCS1:
    template = algid_rsa_pkcs1;
    len = sizeof(algid_rsa_pkcs1);
    break;
  case TCPSEC_SIG_RSA_PSS:
    template = algid_rsa_pss;
    len = sizeof(algid_rsa_pss);
    break;
  case TCPSEC_SIG_ECDSA_DER:
    template = algid_ecdsa;
    len = sizeof(algid_ecdsa);
    break;
  default:
    return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  if (out_max < len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  memcpy(out, template, len);
  if (scheme == TCPSEC_SIG_RSA_PKCS1) {
    out[12] = (uint8_t)(OID_PKCS1_SHA256_LAST + index);
  } else if (scheme == TCPSEC_SIG_ECDSA_DER) {
    out[11] = (uint8_t)(0x02 + index);
  } else {
    out[PSS_HASH_OCTET_1] = (uint8_t)(0x01 + index);
    out[PSS_HASH_OCTET_2] = (uint8_t)(0x01 + index);
    out[PSS_SALT_OCTET] = (uint8_t)tcpsec_hash_len(hash);
  }
  *out_len = len;
  return 0;
}

static int oid_is(const tcpsec_cursor *oid, const uint8_t *prefix,
                  size_t prefix_len, uint8_t last) {
  return tcpsec_cursor_left(oid) == prefix_len + 1 &&
         memcmp(oid->p, prefix, prefix_len) == 0 &&
         oid->p[prefix_len] == last;
}

/* Hash of an id-sha256/384/512 OID; TCPSEC_HASH_NONE for any other. */
static tcpsec_hash_alg oid_sha2(const tcpsec_cursor *oid) {
  int i;

  for (i = 0; i < 3; i++)
    if (oid_is(oid, oid_sha2_prefix, sizeof(oid_sha2_prefix),
               (uint8_t)(0x01 + i)))
      return sha2_by_index[i];
  return TCPSEC_HASH_NONE;
}

/* Parameters that must be NULL or absent (RFC 4055 section 2.1 allows
 * both for the SHA-2 hash identifiers). */
static int params_null_or_absent(tcpsec_cursor *c) {
  tcpsec_cursor null_value;

  if (tcpsec_cursor_left(c) == 0)
    return 0;
  if (tcpsec_der_read(c, DER_NULL, &null_value) != 0 ||
      tcpsec_cursor_left(&null_value) != 0 || tcpsec_cursor_left(c) != 0)
    return TCPSEC_ERR_MALFORMED;
  return 0;
}

/* HashAlgorithm: SEQUENCE { OID, NULL or absent }. */
static int read_hash_algid(tcpsec_cursor *c, tcpsec_hash_alg *hash) {
  tcpsec_cursor seq, oid;

  if (tcpsec_der_read(c, DER_SEQUENCE, &seq) != 0 ||
      tcpsec_der_read(&seq, DER_OID, &oid) != 0 ||
      params_null_or_absent(&seq) != 0)
    return TCPSEC_ERR_MALFORMED;
  *hash = oid_sha2(&oid);
  return 0;
}

/* A small INTEGER (salt length, trailer field). */
static int read_small_int(tcpsec_cursor *c, unsigned *value) {
  const uint8_t *p;
  size_t len, i;

  if (der_read_unsigned(c, &p, &len) != 0 || len > 2)
    return TCPSEC_ERR_MALFORMED;
  *value = 0;
  for (i = 0; i < len; i++)
    *value = *value << 8 | p[i];
  return 0;
}

static int next_is(const tcpsec_cursor *c, uint8_t tag) {
  return tcpsec_cursor_left(c) > 0 && c->p[0] == tag;
}

/* RSASSA-PSS-params. Absent fields take the RFC 4055 defaults, so an
 * absent hash or mask generation function means SHA-1. */
static int parse_pss_params(tcpsec_cursor *params, tcpsec_hash_alg *hash) {
  tcpsec_hash_alg msg_hash = TCPSEC_HASH_SHA1, mgf_hash = TCPSEC_HASH_SHA1;
  tcpsec_cursor seq, field, mgf, mgf_oid;
  unsigned salt = 20, trailer = 1;

  if (tcpsec_der_read(params, DER_SEQUENCE, &seq) != 0 ||
      tcpsec_cursor_left(params) != 0)
    return TCPSEC_ERR_MALFORMED;

  if (next_is(&seq, DER_CONTEXT(0)) &&
      (tcpsec_der_read(&seq, DER_CONTEXT(0), &field) != 0 ||
       read_hash_algid(&field, &msg_hash) != 0 ||
       tcpsec_cursor_left(&field) != 0))
    return TCPSEC_ERR_MALFORMED;

  /* MaskGenAlgorithm: SEQUENCE { id-mgf1, HashAlgorithm } */
  if (next_is(&seq, DER_CONTEXT(1))) {
    if (tcpsec_der_read(&seq, DER_CONTEXT(1), &field) != 0 ||
        tcpsec_der_read(&field, DER_SEQUENCE, &mgf) != 0 ||
        tcpsec_cursor_left(&field) != 0 ||
        tcpsec_der_read(&mgf, DER_OID, &mgf_oid) != 0)
      return TCPSEC_ERR_MALFORMED;
    if (!oid_is(&mgf_oid, oid_rsa_pkcs1_prefix, sizeof(oid_rsa_pkcs1_prefix),
                OID_PKCS1_MGF1_LAST))
      return TCPSEC_ERR_NOT_SUPPORTED;
    if (read_hash_algid(&mgf, &mgf_hash) != 0 || tcpsec_cursor_left(&mgf) != 0)
      return TCPSEC_ERR_MALFORMED;
  }

  if (next_is(&seq, DER_CONTEXT(2)) &&
      (tcpsec_der_read(&seq, DER_CONTEXT(2), &field) != 0 ||
       read_small_int(&field, &salt) != 0 || tcpsec_cursor_left(&field) != 0))
    return TCPSEC_ERR_MALFORMED;

  if (next_is(&seq, DER_CONTEXT(3)) &&
      (tcpsec_der_read(&seq, DER_CONTEXT(3), &field) != 0 ||
       read_small_int(&field, &trailer) != 0 ||
       tcpsec_cursor_left(&field) != 0))
    return TCPSEC_ERR_MALFORMED;
  if (tcpsec_cursor_left(&seq) != 0)
    return TCPSEC_ERR_MALFORMED;

  /* tcpsec signs and verifies only MGF1 with the message hash and a salt
   * of the hash length. */
  if (trailer != 1 || sha2_index(msg_hash) < 0 || mgf_hash != msg_hash ||
      salt != tcpsec_hash_len(msg_hash))
    return TCPSEC_ERR_NOT_SUPPORTED;
  *hash = msg_hash;
  return 0;
}

int tcpsec_sig_algid_parse(const uint8_t *data, size_t len,
                           tcpsec_sig_scheme *scheme, tcpsec_hash_alg *hash) {
  tcpsec_cursor c, seq, oid;
  int i;

  if (data == NULL || scheme == NULL || hash == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_cursor_init(&c, data, len);
  if (tcpsec_der_read(&c, DER_SEQUENCE, &seq) != 0 ||
      tcpsec_cursor_left(&c) != 0 ||
      tcpsec_der_read(&seq, DER_OID, &oid) != 0)
    return TCPSEC_ERR_MALFORMED;

  for (i = 0; i < 3; i++) {
    if (oid_is(&oid, oid_rsa_pkcs1_prefix, sizeof(oid_rsa_pkcs1_prefix),
               (uint8_t)(OID_PKCS1_SHA256_LAST + i))) {
      if (params_null_or_absent(&seq) != 0)
        return TCPSEC_ERR_MALFORMED;
      *scheme = TCPSEC_SIG_RSA_PKCS1;
      *hash = sha2_by_index[i];
      return 0;
    }
    if (oid_is(&oid, oid_ecdsa_sha2_prefix, sizeof(oid_ecdsa_sha2_prefix),
               (uint8_t)(0x02 + i))) {
      /* RFC 7427 A.3: the parameters are always omitted. */
      if (tcpsec_cursor_left(&seq) != 0)
        return TCPSEC_ERR_MALFORMED;
      *scheme = TCPSEC_SIG_ECDSA_DER;
      *hash = sha2_by_index[i];
      return 0;
    }
  }
  if (oid_is(&oid, oid_rsa_pkcs1_prefix, sizeof(oid_rsa_pkcs1_prefix),
             OID_PKCS1_PSS_LAST)) {
    i = parse_pss_params(&seq, hash);
    if (i == 0)
      *scheme = TCPSEC_SIG_RSA_PSS;
    return i;
  }
  return TCPSEC_ERR_NOT_SUPPORTED;
}
