/*
 * X.509 certificate chains over Mbed TLS 2.28: parsing, path validation at
 * the caller's time, identity matching and CERTREQ hashes.
 */
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/cert.h"

struct tcpsec_cert_chain {
  tcpsec_ctx *ctx;
  size_t count;
  mbedtls_x509_crt crt; /* list head; empty while count is 0 */
};

int tcpsec_cert_chain_new(tcpsec_ctx *ctx, tcpsec_cert_chain **out) {
  tcpsec_cert_chain *chain;

  if (ctx == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  chain = tcpsec_calloc(ctx, 1, sizeof(*chain));
  if (chain == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  chain->ctx = ctx;
  mbedtls_x509_crt_init(&chain->crt);
  *out = chain;
  return 0;
}

void tcpsec_cert_chain_free(tcpsec_cert_chain *chain) {
  if (chain == NULL)
    return;
  mbedtls_x509_crt_free(&chain->crt);
  tcpsec_free(chain->ctx, chain);
}

size_t tcpsec_cert_chain_count(const tcpsec_cert_chain *chain) {
  return chain != NULL ? chain->count : 0;
}

static const mbedtls_x509_crt *cert_at(const tcpsec_cert_chain *chain,
                                       size_t index) {
  const mbedtls_x509_crt *crt;

  if (chain == NULL || index >= chain->count)
    return NULL;
  for (crt = &chain->crt; index > 0; index--)
    crt = crt->next;
  return crt;
}

/* ---- parsing ------------------------------------------------------------ */

/* Mbed TLS adds a low-level code (bits 0 to 6) to a high-level one. */
static int parse_error(int ret) {
  int high = -((-ret) & 0xFF80);

  if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
    return TCPSEC_ERR_NO_MEMORY;
  if (high == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
      high == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE ||
      high == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG)
    return TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  return TCPSEC_ERR_MALFORMED;
}

static int is_pem(const uint8_t *data, size_t len) {
  static const char begin[] = "-----BEGIN CERTIFICATE-----";
  size_t i;

  for (i = 0; i + sizeof(begin) - 1 <= len; i++)
    if (memcmp(data + i, begin, sizeof(begin) - 1) == 0)
      return 1;
  return 0;
}

/* Parse the input into `parsed` without touching the chain. */
static int parse_input(tcpsec_ctx *ctx, const uint8_t *data, size_t len,
                       mbedtls_x509_crt *parsed) {
  uint8_t *text;
  int ret;

  if (!is_pem(data, len)) {
    ret = mbedtls_x509_crt_parse_der(parsed, data, len);
    if (ret != 0)
      return parse_error(ret);
    /* A CERT payload contains exactly one certificate. */
    return parsed->raw.len == len ? 0 : TCPSEC_ERR_MALFORMED;
  }

  /* Mbed TLS takes PEM only with the terminating NUL counted. */
  text = tcpsec_malloc(ctx, len + 1);
  if (text == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  memcpy(text, data, len);
  text[len] = '\0';
  ret = mbedtls_x509_crt_parse(parsed, text, len + 1);
  tcpsec_free(ctx, text);
  /* A positive result counts certificates that failed to parse. */
  if (ret > 0)
    return TCPSEC_ERR_MALFORMED;
  return ret != 0 ? parse_error(ret) : 0;
}

int tcpsec_cert_chain_add(tcpsec_cert_chain *chain, const uint8_t *data,
                          size_t len) {
  mbedtls_x509_crt parsed;
  const mbedtls_x509_crt *crt;
  size_t added = 0;
  int rv, ret;

  if (chain == NULL || data == NULL || len == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  mbedtls_x509_crt_init(&parsed);
  rv = parse_input(chain->ctx, data, len, &parsed);
  for (crt = &parsed; rv == 0 && crt != NULL; crt = crt->next)
    added++;
  if (rv == 0 && chain->count + added > TCPSEC_CERT_CHAIN_MAX)
    rv = TCPSEC_ERR_LIMIT;

  /* Copy the already checked certificates into the chain. */
  for (crt = &parsed; rv == 0 && crt != NULL; crt = crt->next) {
    ret = mbedtls_x509_crt_parse_der(&chain->crt, crt->raw.p, crt->raw.len);
    if (ret != 0) {
      rv = parse_error(ret);
      break;
    }
    chain->count++;
  }
  mbedtls_x509_crt_free(&parsed);
  if (rv != 0)
    tcpsec_log(chain->ctx, TCPSEC_LOG_INFO, "crypto",
               "certificate input of %zu bytes rejected: %s", len,
               tcpsec_strerror(rv));
  return rv;
}

int tcpsec_cert_chain_der(const tcpsec_cert_chain *chain, size_t index,
                          const uint8_t **der, size_t *len) {
  const mbedtls_x509_crt *crt = cert_at(chain, index);

  if (der == NULL || len == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (crt == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  *der = crt->raw.p;
  *len = crt->raw.len;
  return 0;
}

/* ---- validation --------------------------------------------------------- */

/* Days from 1970-01-01 to a proleptic Gregorian date, counting the years
 * in 400-year eras of 146097 days, with years starting in March so that
 * the leap day ends a year. */
static int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  int64_t era, year_of_era, day_of_year, day_of_era;

  year -= month <= 2;
  era = (year >= 0 ? year : year - 399) / 400;
  year_of_era = year - era * 400;
  day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
               day_of_year;
  return era * 146097 + day_of_era - 719468;
}

static int64_t x509_time_seconds(const mbedtls_x509_time *t) {
  return days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 +
         t->min * 60 + t->sec;
}

/* RFC 5280 section 4.1.2.5: valid from notBefore to notAfter inclusive. */
static int valid_at(const mbedtls_x509_crt *crt, uint64_t now) {
  int64_t from = x509_time_seconds(&crt->valid_from);
  int64_t to = x509_time_seconds(&crt->valid_to);

  if (now > (uint64_t)INT64_MAX)
    return 0;
  return (int64_t)now >= from && (int64_t)now <= to;
}

/* Flags Mbed TLS derives from the system clock. */
#define CLOCK_FLAGS                                                          \
  (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE |              \
   MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE)

/* Signature hashes, key types and curves accepted on a path. */
static const mbedtls_x509_crt_profile cert_profile = {
  MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
  MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSASSA_PSS) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA),
  MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1) |
      MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP521R1),
  TCPSEC_SIG_RSA_MIN_BITS,
};

struct verify_state {
  const tcpsec_cert_chain *trust;
  uint64_t now;
  tcpsec_cert_revoked_fn revoked;
  void *revoked_user;
  int expired;
  int revoked_found;
  int callback_failed;
};

static int in_list(const mbedtls_x509_crt *list, const mbedtls_x509_crt *crt) {
  for (; list != NULL; list = list->next)
    if (list == crt)
      return 1;
  return 0;
}

/* Called by Mbed TLS for each certificate of the path it built, from the
 * trust anchor down to the end-entity certificate. */
static int verify_step(void *user, mbedtls_x509_crt *crt, int depth,
                       uint32_t *flags) {
  struct verify_state *st = user;
  int ret;

  (void)depth;
  *flags &= ~(uint32_t)CLOCK_FLAGS;
  if (!valid_at(crt, st->now))
    st->expired = 1;

  if (st->revoked != NULL && !in_list(&st->trust->crt, crt)) {
    ret = st->revoked(st->revoked_user, crt->serial.p, crt->serial.len,
                      crt->issuer_raw.p, crt->issuer_raw.len);
    if (ret < 0)
      st->callback_failed = 1;
    else if (ret > 0)
      st->revoked_found = 1;
  }
  return 0;
}

static void log_rejected(const tcpsec_cert_chain *chain, int rv,
                         uint32_t flags) {
  char subject[256];

  if (!tcpsec_log_enabled(chain->ctx, TCPSEC_LOG_INFO))
    return;
  if (mbedtls_x509_dn_gets(subject, sizeof(subject), &chain->crt.subject) < 0)
    subject[0] = '\0';
  tcpsec_log(chain->ctx, TCPSEC_LOG_INFO, "crypto",
             "certificate \"%s\" rejected: %s (Mbed TLS flags 0x%x, "
             "clock flags ignored)",
             subject, tcpsec_strerror(rv), (unsigned)flags);
}

int tcpsec_cert_chain_verify(const tcpsec_cert_chain *chain,
                             const tcpsec_cert_chain *trust, uint64_t now,
                             tcpsec_cert_revoked_fn revoked,
                             void *revoked_user) {
  struct verify_state st = {trust, now, revoked, revoked_user, 0, 0, 0};
  uint32_t flags = 0;
  int ret, rv;

  if (chain == NULL || trust == NULL || chain->count == 0 ||
      trust->count == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  /* NOTE: when several certificates could issue the same one (a renewed
   * CA with the same key and name), Mbed TLS prefers the one valid by the
   * system clock. Only in that case can the path, and so the result,
   * depend on the clock. Mbed TLS takes non-const lists but does not
   * change them. */
  ret = mbedtls_x509_crt_verify_with_profile(
      (mbedtls_x509_crt *)&chain->crt, (mbedtls_x509_crt *)&trust->crt, NULL,
      &cert_profile, NULL, &flags, verify_step, &st);
  flags &= ~(uint32_t)CLOCK_FLAGS;

  if (ret != 0 && ret != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
    rv = ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? TCPSEC_ERR_NO_MEMORY
                                              : TCPSEC_ERR_CRYPTO_BACKEND;
  else if (st.callback_failed)
    rv = TCPSEC_ERR_CALLBACK;
  else if ((flags & (MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY |
                     MBEDTLS_X509_BADCERT_BAD_MD)) != 0)
    rv = TCPSEC_ERR_UNSUPPORTED_KEY_TYPE;
  else if (flags != 0 || st.revoked_found)
    rv = TCPSEC_ERR_CERT_UNTRUSTED;
  else if (st.expired)
    rv = TCPSEC_ERR_CERT_EXPIRED;
  else
    rv = 0;

  if (rv != 0)
    log_rejected(chain, rv, flags);
  return rv;
}

/* ---- identities ---------------------------------------------------------- */

#define GENERAL_NAME_RFC822 0x81 /* [1] IMPLICIT IA5String */
#define GENERAL_NAME_DNS 0x82    /* [2] IMPLICIT IA5String */
#define GENERAL_NAME_IP 0x87     /* [7] IMPLICIT OCTET STRING */

static int ascii_lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int equal_nocase(const uint8_t *a, const uint8_t *b, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    if (ascii_lower(a[i]) != ascii_lower(b[i]))
      return 0;
  return 1;
}

/* rfc822Name: the local part exactly, the domain without regard to case. */
static int equal_mailbox(const uint8_t *a, const uint8_t *b, size_t len) {
  const uint8_t *at = memchr(a, '@', len);
  size_t local = at != NULL ? (size_t)(at - a) + 1 : len;

  return memcmp(a, b, local) == 0 &&
         equal_nocase(a + local, b + local, len - local);
}

static int name_matches(uint8_t name_tag, const tcpsec_cursor *name,
                        tcpsec_cert_id_type type, const uint8_t *id,
                        size_t id_len) {
  size_t len = tcpsec_cursor_left(name);

  if (len != id_len)
    return 0;
  switch (type) {
  case TCPSEC_CERT_ID_FQDN:
    return name_tag == GENERAL_NAME_DNS && equal_nocase(name->p, id, len);
  case TCPSEC_CERT_ID_RFC822_ADDR:
    return name_tag == GENERAL_NAME_RFC822 && equal_mailbox(name->p, id, len);
  default:
    return name_tag == GENERAL_NAME_IP && memcmp(name->p, id, len) == 0;
  }
}

/*
 * Find the subjectAltName extension (RFC 5280 section 4.2.1.6) in the
 * certificate's extensions and look for a matching name:
 *
 *   [3] EXPLICIT Extensions               (skipped when present)
 *   Extensions ::= SEQUENCE OF Extension
 *   Extension  ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *                             critical BOOLEAN DEFAULT FALSE,
 *                             extnValue OCTET STRING }
 *   extnValue of id-ce-subjectAltName (2.5.29.17): GeneralNames
 *   GeneralNames ::= SEQUENCE OF GeneralName (tagged choices)
 */
static int match_alt_name(const mbedtls_x509_crt *crt,
                          tcpsec_cert_id_type type, const uint8_t *id,
                          size_t id_len) {
  static const uint8_t oid_san[3] = {0x55, 0x1d, 0x11};
  tcpsec_cursor c, exts, ext, oid, value, skip, names, name;
  uint8_t tag;

  tcpsec_cursor_init(&c, crt->v3_ext.p, crt->v3_ext.len);
  if (crt->v3_ext.len == 0)
    return TCPSEC_ERR_ID_MISMATCH;
  if (c.p[0] == 0xa3 && tcpsec_der_read(&c, 0xa3, &c) != 0)
    return TCPSEC_ERR_MALFORMED;
  if (tcpsec_der_read(&c, 0x30, &exts) != 0)
    return TCPSEC_ERR_MALFORMED;

  while (tcpsec_cursor_left(&exts) > 0) {
    if (tcpsec_der_read(&exts, 0x30, &ext) != 0 ||
        tcpsec_der_read(&ext, 0x06, &oid) != 0)
      return TCPSEC_ERR_MALFORMED;
    if (tcpsec_cursor_left(&oid) != sizeof(oid_san) ||
        memcmp(oid.p, oid_san, sizeof(oid_san)) != 0)
      continue;
    if (tcpsec_cursor_left(&ext) > 0 && ext.p[0] == 0x01 &&
        tcpsec_der_read(&ext, 0x01, &skip) != 0)
      return TCPSEC_ERR_MALFORMED;
    if (tcpsec_der_read(&ext, 0x04, &value) != 0 ||
        tcpsec_der_read(&value, 0x30, &names) != 0)
      return TCPSEC_ERR_MALFORMED;

    while (tcpsec_cursor_left(&names) > 0) {
      tag = names.p[0];
      if (tcpsec_der_read(&names, tag, &name) != 0)
        return TCPSEC_ERR_MALFORMED;
      if (name_matches(tag, &name, type, id, id_len))
        return 0;
    }
    return TCPSEC_ERR_ID_MISMATCH;
  }
  return TCPSEC_ERR_ID_MISMATCH;
}

int tcpsec_cert_chain_match_id(const tcpsec_cert_chain *chain,
                               tcpsec_cert_id_type type, const uint8_t *id,
                               size_t id_len) {
  const mbedtls_x509_crt *crt = cert_at(chain, 0);

  if (crt == NULL || id == NULL || id_len == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  switch (type) {
  case TCPSEC_CERT_ID_DER_ASN1_DN:
    return crt->subject_raw.len == id_len &&
                   memcmp(crt->subject_raw.p, id, id_len) == 0
               ? 0
               : TCPSEC_ERR_ID_MISMATCH;
  case TCPSEC_CERT_ID_IPV4_ADDR:
    if (id_len != 4)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    break;
  case TCPSEC_CERT_ID_IPV6_ADDR:
    if (id_len != 16)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    break;
  case TCPSEC_CERT_ID_FQDN:
  case TCPSEC_CERT_ID_RFC822_ADDR:
    break;
  default:
    return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  return match_alt_name(crt, type, id, id_len);
}

/* ---- keys --------------------------------------------------------------- */

int tcpsec_cert_chain_public_key(const tcpsec_cert_chain *chain, size_t index,
                                 tcpsec_sig_key **out) {
  const mbedtls_x509_crt *crt = cert_at(chain, index);

  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (crt == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  return tcpsec_sig_key_parse_public(chain->ctx, crt->pk_raw.p,
                                     crt->pk_raw.len, out);
}

int tcpsec_cert_chain_spki_sha1(const tcpsec_cert_chain *chain, size_t index,
                                uint8_t out[TCPSEC_CERT_SPKI_HASH_LEN]) {
  const mbedtls_x509_crt *crt = cert_at(chain, index);
  tcpsec_iov iov;

  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (crt == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  iov.data = crt->pk_raw.p;
  iov.len = crt->pk_raw.len;
  return tcpsec_hash(chain->ctx, TCPSEC_HASH_SHA1, &iov, 1, out);
}
