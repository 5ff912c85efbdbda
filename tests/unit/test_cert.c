/*
 * Unit tests for certificate chains (crypto/cert.h).
 *
 * The certificates are made at test time with the openssl command in a
 * temporary directory that the group teardown removes:
 *
 *   root-rsa (RSA-2048)  -> int-rsa (RSA-2048) -> ee-rsa (RSA-2048, SAN
 *                           DNS, email, IPv4, IPv6)
 *   root-ec (P-384)      -> int-ec (P-256)     -> ee-p256 (SAN DNS)
 *                                              -> ee-p384 (no SAN)
 *                                              -> ee-short (valid 1 day)
 *                           ee-p256            -> ee-by-leaf (issuer is
 *                                                 not a CA)
 *   other-root (P-256)   -> other-ee           (unrelated CA)
 *   ed-root (Ed25519, self-signed)
 *
 * Without openssl every test is skipped with "skipped: openssl is not
 * installed".
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#include "core/util.h"
#include "crypto/cert.h"

static tcpsec_ctx *ctx;
static test_rng rng;
static char dir[64];
static int have_certs;
static uint64_t now;

#define DAY 86400u

static const char make_certs_script[] =
    "set -e\n"
    "cat > ca.ext <<'EOF'\n"
    "basicConstraints=critical,CA:TRUE\n"
    "keyUsage=critical,keyCertSign,cRLSign\n"
    "EOF\n"
    "cat > ee-rsa.ext <<'EOF'\n"
    "basicConstraints=CA:FALSE\n"
    "keyUsage=critical,digitalSignature\n"
    "subjectAltName=DNS:vpn.example.com,email:admin@Example.com,"
    "IP:192.0.2.1,IP:2001:db8::1\n"
    "EOF\n"
    "cat > ee-p256.ext <<'EOF'\n"
    "basicConstraints=CA:FALSE\n"
    "subjectAltName=DNS:hub.example.net\n"
    "EOF\n"
    "cat > ee.ext <<'EOF'\n"
    "basicConstraints=CA:FALSE\n"
    "EOF\n"
    "RSA='-newkey rsa:2048'\n"
    "P256='-newkey ec -pkeyopt ec_paramgen_curve:P-256'\n"
    "P384='-newkey ec -pkeyopt ec_paramgen_curve:P-384'\n"
    "root() {\n"
    "  openssl req -x509 -new -nodes $2 -keyout $1.key -out $1.pem \\\n"
    "    -subj \"$3\" -days 3650 -sha256 \\\n"
    "    -addext basicConstraints=critical,CA:TRUE \\\n"
    "    -addext keyUsage=critical,keyCertSign,cRLSign\n"
    "  openssl x509 -in $1.pem -outform DER -out $1.der\n"
    "}\n"
    "issue() {\n"
    "  openssl req -new -nodes $2 -keyout $1.key -out $1.csr -subj \"$3\"\n"
    "  openssl x509 -req -in $1.csr -CA $4.pem -CAkey $4.key \\\n"
    "    -CAcreateserial -out $1.pem -days $6 -sha256 -extfile $5\n"
    "  openssl x509 -in $1.pem -outform DER -out $1.der\n"
    "  openssl x509 -in $1.pem -noout -serial > $1.serial\n"
    "}\n"
    "root root-rsa \"$RSA\" '/O=tcpsec test/CN=Root RSA'\n"
    "issue int-rsa \"$RSA\" '/O=tcpsec test/CN=Intermediate RSA' root-rsa "
    "ca.ext 3650\n"
    "issue ee-rsa \"$RSA\" '/O=tcpsec test/CN=ee-rsa' int-rsa ee-rsa.ext "
    "3650\n"
    "root root-ec \"$P384\" '/O=tcpsec test/CN=Root EC'\n"
    "issue int-ec \"$P256\" '/O=tcpsec test/CN=Intermediate EC' root-ec "
    "ca.ext 3650\n"
    "issue ee-p256 \"$P256\" '/O=tcpsec test/CN=ee-p256' int-ec ee-p256.ext "
    "3650\n"
    "issue ee-p384 \"$P384\" '/O=tcpsec test/CN=hub.example.net' int-ec "
    "ee.ext 3650\n"
    "issue ee-short \"$P256\" '/O=tcpsec test/CN=ee-short' int-ec ee.ext 1\n"
    "issue ee-by-leaf \"$P256\" '/O=tcpsec test/CN=ee-by-leaf' ee-p256 "
    "ee.ext 3650\n"
    "root other-root \"$P256\" '/O=tcpsec test/CN=Root EC'\n"
    "issue other-ee \"$P256\" '/O=tcpsec test/CN=other-ee' other-root ee.ext "
    "3650\n"
    "openssl req -x509 -new -nodes -newkey ed25519 -keyout ed-root.key \\\n"
    "  -out ed-root.pem -subj '/CN=Root Ed25519' -days 3650\n"
    "openssl x509 -in ed-root.pem -outform DER -out ed-root.der\n"
    "openssl x509 -in int-ec.pem -pubkey -noout | \\\n"
    "  openssl pkey -pubin -outform DER | openssl dgst -sha1 -r > "
    "int-ec.spki-sha1\n";

static int group_setup(void **state) {
  int made;

  (void)state;
  ctx = test_ctx_new(&rng, 5280);
  if (ctx == NULL)
    return -1;
  made = test_openssl_dir(dir, sizeof(dir), "tcpsec-cert", make_certs_script);
  if (made <= 0)
    return made;
  /* notBefore is the moment openssl signed, so take the time after. */
  now = (uint64_t)time(NULL) + 1;
  have_certs = 1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  test_remove_dir(dir);
  tcpsec_ctx_free(ctx);
  return 0;
}

#define NEED_CERTS()                                                        \
  do {                                                                      \
    if (!have_certs)                                                        \
      skip();                                                               \
  } while (0)

/* ---- helpers ---------------------------------------------------------- */

static uint8_t *load(const char *name, size_t *len) {
  char path[128];
  uint8_t *data;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  data = test_read_file(path, len);
  assert_non_null(data);
  return data;
}

static void add_file(tcpsec_cert_chain *chain, const char *name) {
  size_t len;
  uint8_t *data = load(name, &len);

  assert_int_equal(tcpsec_cert_chain_add(chain, data, len), 0);
  free(data);
}

/* A chain from a NULL-terminated list of file names. */
static tcpsec_cert_chain *chain_of(const char *first, ...) {
  tcpsec_cert_chain *chain = NULL;
  const char *name;
  va_list ap;

  assert_int_equal(tcpsec_cert_chain_new(ctx, &chain), 0);
  va_start(ap, first);
  for (name = first; name != NULL; name = va_arg(ap, const char *))
    add_file(chain, name);
  va_end(ap);
  return chain;
}

static int verify_at(const char *ee, const char *intermediate,
                     const char *anchor, uint64_t at) {
  tcpsec_cert_chain *chain = chain_of(ee, intermediate, NULL);
  tcpsec_cert_chain *trust = chain_of(anchor, NULL);
  int rv = tcpsec_cert_chain_verify(chain, trust, at, NULL, NULL);

  tcpsec_cert_chain_free(chain);
  tcpsec_cert_chain_free(trust);
  return rv;
}

/* ---- validation ------------------------------------------------------- */

static void test_chains_trusted(void **state) {
  (void)state;
  NEED_CERTS();
  assert_int_equal(verify_at("ee-rsa.der", "int-rsa.der", "root-rsa.pem", now),
                   0);
  assert_int_equal(verify_at("ee-p256.der", "int-ec.pem", "root-ec.der", now),
                   0);
  assert_int_equal(verify_at("ee-p384.der", "int-ec.der", "root-ec.pem", now),
                   0);
  assert_int_equal(
      verify_at("other-ee.der", "other-root.der", "other-root.pem", now), 0);
}

static void test_chains_untrusted(void **state) {
  tcpsec_cert_chain *chain, *trust;

  (void)state;
  NEED_CERTS();
  /* Anchor of the other hierarchy. */
  assert_int_equal(verify_at("ee-rsa.der", "int-rsa.der", "root-ec.pem", now),
                   TCPSEC_ERR_CERT_UNTRUSTED);
  /* Unrelated CA with the same subject name as root-ec. */
  assert_int_equal(verify_at("other-ee.der", "other-root.der", "root-ec.pem",
                             now),
                   TCPSEC_ERR_CERT_UNTRUSTED);
  assert_int_equal(verify_at("ee-p256.der", "int-ec.der", "other-root.pem",
                             now),
                   TCPSEC_ERR_CERT_UNTRUSTED);
  /* Issued by an end-entity certificate (basicConstraints cA false). */
  assert_int_equal(verify_at("ee-by-leaf.der", "ee-p256.der", "root-ec.pem",
                             now),
                   TCPSEC_ERR_CERT_UNTRUSTED);

  /* Intermediate missing. */
  chain = chain_of("ee-p256.der", NULL);
  trust = chain_of("root-ec.pem", NULL);
  assert_int_equal(tcpsec_cert_chain_verify(chain, trust, now, NULL, NULL),
                   TCPSEC_ERR_CERT_UNTRUSTED);
  tcpsec_cert_chain_free(chain);
  tcpsec_cert_chain_free(trust);
}

static void test_chain_bad_signature(void **state) {
  tcpsec_cert_chain *chain = NULL, *trust;
  uint8_t *der;
  size_t len;

  (void)state;
  NEED_CERTS();
  /* The last octet belongs to the issuer's signature. */
  der = load("ee-rsa.der", &len);
  der[len - 1] ^= 0x01;
  assert_int_equal(tcpsec_cert_chain_new(ctx, &chain), 0);
  assert_int_equal(tcpsec_cert_chain_add(chain, der, len), 0);
  add_file(chain, "int-rsa.der");
  trust = chain_of("root-rsa.pem", NULL);
  assert_int_equal(tcpsec_cert_chain_verify(chain, trust, now, NULL, NULL),
                   TCPSEC_ERR_CERT_UNTRUSTED);
  free(der);
  tcpsec_cert_chain_free(chain);
  tcpsec_cert_chain_free(trust);
}

static void test_chain_validity_time(void **state) {
  (void)state;
  NEED_CERTS();
  /* ee-short is valid for one day from now. */
  assert_int_equal(verify_at("ee-short.der", "int-ec.der", "root-ec.pem", now),
                   0);
  assert_int_equal(verify_at("ee-short.der", "int-ec.der", "root-ec.pem",
                             now + 30 * DAY),
                   TCPSEC_ERR_CERT_EXPIRED);
  assert_int_equal(verify_at("ee-p256.der", "int-ec.der", "root-ec.pem",
                             now + 30 * DAY),
                   0);
  /* Not yet valid, and past the end of the whole hierarchy. */
  assert_int_equal(verify_at("ee-p256.der", "int-ec.der", "root-ec.pem",
                             now - 2 * DAY),
                   TCPSEC_ERR_CERT_EXPIRED);
  assert_int_equal(verify_at("ee-rsa.der", "int-rsa.der", "root-rsa.pem",
                             now + 4000 * DAY),
                   TCPSEC_ERR_CERT_EXPIRED);
  /* An untrusted chain reports the trust failure, not the time. */
  assert_int_equal(verify_at("ee-short.der", "int-ec.der", "other-root.pem",
                             now + 30 * DAY),
                   TCPSEC_ERR_CERT_UNTRUSTED);
}

/* ---- revocation hook -------------------------------------------------- */

struct revocation {
  uint8_t serial[32];
  size_t serial_len;
  int answer;
  int calls;
  int revoked_calls;
};

/* Serial numbers are integers: the DER form may carry a leading zero byte
 * (when the top bit is set) that openssl's hex output leaves out. */
static int serial_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len) {
  while (a_len > 0 && a[0] == 0) {
    a++;
    a_len--;
  }
  while (b_len > 0 && b[0] == 0) {
    b++;
    b_len--;
  }
  return a_len == b_len && memcmp(a, b, a_len) == 0;
}

static int revoked_hook(void *user, const uint8_t *serial, size_t serial_len,
                        const uint8_t *issuer, size_t issuer_len) {
  struct revocation *r = user;

  assert_non_null(issuer);
  assert_true(issuer_len > 0);
  r->calls++;
  if (serial_equal(serial, serial_len, r->serial, r->serial_len)) {
    r->revoked_calls++;
    return r->answer;
  }
  return 0;
}

/* "serial=0A1B..." as written by openssl x509 -serial. */
static void load_serial(const char *name, struct revocation *r) {
  size_t len;
  uint8_t *text = load(name, &len);
  char hex[80];
  long n;

  assert_true(len > 7 && len - 6 < sizeof(hex));
  /* A leading "0" keeps an odd number of hex digits decodable. */
  hex[0] = '0';
  memcpy(hex + 1, text + 7, len - 7);
  hex[len - 6] = '\0';
  hex[strcspn(hex, "\r\n")] = '\0';
  if (strlen(hex) % 2 != 0)
    memmove(hex, hex + 1, strlen(hex));
  n = test_hex_decode(hex, r->serial, sizeof(r->serial));
  assert_true(n > 0);
  r->serial_len = (size_t)n;
  free(text);
}

static void test_revocation_hook(void **state) {
  tcpsec_cert_chain *chain, *trust;
  struct revocation r;

  (void)state;
  NEED_CERTS();
  chain = chain_of("ee-rsa.der", "int-rsa.der", NULL);
  trust = chain_of("root-rsa.pem", NULL);
  memset(&r, 0, sizeof(r));
  load_serial("ee-rsa.serial", &r);

  /* Asked for the end entity and the intermediate, not the anchor. */
  r.answer = 0;
  assert_int_equal(tcpsec_cert_chain_verify(chain, trust, now, revoked_hook,
                                            &r),
                   0);
  assert_int_equal(r.calls, 2);
  assert_int_equal(r.revoked_calls, 1);

  r.answer = 1;
  assert_int_equal(tcpsec_cert_chain_verify(chain, trust, now, revoked_hook,
                                            &r),
                   TCPSEC_ERR_CERT_UNTRUSTED);

  r.answer = -1;
  assert_int_equal(tcpsec_cert_chain_verify(chain, trust, now, revoked_hook,
                                            &r),
                   TCPSEC_ERR_CALLBACK);
  tcpsec_cert_chain_free(chain);
  tcpsec_cert_chain_free(trust);
}

/* ---- parsing ---------------------------------------------------------- */

static void test_parse_errors(void **state) {
  static const char bad_pem[] =
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  tcpsec_cert_chain *chain = NULL;
  uint8_t *der, *longer;
  const uint8_t *got;
  size_t len, got_len, i;

  (void)state;
  NEED_CERTS();
  der = load("ee-p256.der", &len);
  assert_int_equal(tcpsec_cert_chain_new(ctx, &chain), 0);

  assert_int_equal(tcpsec_cert_chain_add(chain, der, len - 1),
                   TCPSEC_ERR_MALFORMED);
  longer = malloc(len + 1);
  assert_non_null(longer);
  memcpy(longer, der, len);
  longer[len] = 0;
  assert_int_equal(tcpsec_cert_chain_add(chain, longer, len + 1),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(tcpsec_cert_chain_add(chain, (const uint8_t *)bad_pem,
                                         strlen(bad_pem)),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(tcpsec_cert_chain_add(chain, der, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_cert_chain_count(chain), 0);

  /* Ed25519 keys are not parsed by Mbed TLS 2.28. */
  free(longer);
  longer = load("ed-root.der", &got_len);
  assert_int_equal(tcpsec_cert_chain_add(chain, longer, got_len),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_int_equal(tcpsec_cert_chain_count(chain), 0);

  /* The DER handed back is the DER added. */
  assert_int_equal(tcpsec_cert_chain_add(chain, der, len), 0);
  assert_int_equal(tcpsec_cert_chain_der(chain, 0, &got, &got_len), 0);
  assert_int_equal(got_len, len);
  assert_memory_equal(got, der, len);
  assert_int_equal(tcpsec_cert_chain_der(chain, 1, &got, &got_len),
                   TCPSEC_ERR_NOT_FOUND);

  /* At most TCPSEC_CERT_CHAIN_MAX certificates. */
  for (i = 1; i < TCPSEC_CERT_CHAIN_MAX; i++)
    assert_int_equal(tcpsec_cert_chain_add(chain, der, len), 0);
  assert_int_equal(tcpsec_cert_chain_add(chain, der, len), TCPSEC_ERR_LIMIT);
  assert_int_equal(tcpsec_cert_chain_count(chain), TCPSEC_CERT_CHAIN_MAX);

  free(longer);
  free(der);
  tcpsec_cert_chain_free(chain);
  tcpsec_cert_chain_free(NULL);
}

/* ---- identities ------------------------------------------------------- */

/* Name with the RDNs O=<org>, CN=<cn>, each value a UTF8String as
 * openssl req writes it. */
static size_t build_dn(const char *org, const char *cn, uint8_t *out) {
  static const uint8_t oid_o[] = {0x06, 0x03, 0x55, 0x04, 0x0a};
  static const uint8_t oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
  const uint8_t *oids[2] = {oid_o, oid_cn};
  const char *values[2] = {org, cn};
  size_t len = 2, i, vlen;

  for (i = 0; i < 2; i++) {
    vlen = strlen(values[i]);
    out[len++] = 0x31; /* SET */
    out[len++] = (uint8_t)(2 + 5 + 2 + vlen);
    out[len++] = 0x30; /* SEQUENCE */
    out[len++] = (uint8_t)(5 + 2 + vlen);
    memcpy(out + len, oids[i], 5);
    len += 5;
    out[len++] = 0x0c; /* UTF8String */
    out[len++] = (uint8_t)vlen;
    memcpy(out + len, values[i], vlen);
    len += vlen;
  }
  out[0] = 0x30;
  out[1] = (uint8_t)(len - 2);
  return len;
}

static int match(tcpsec_cert_chain *chain, tcpsec_cert_id_type type,
                 const char *text) {
  return tcpsec_cert_chain_match_id(chain, type, (const uint8_t *)text,
                                    strlen(text));
}

static void test_identity_match(void **state) {
  static const uint8_t ipv4[4] = {192, 0, 2, 1};
  static const uint8_t ipv4_other[4] = {192, 0, 2, 2};
  static const uint8_t ipv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 0, 0, 1};
  tcpsec_cert_chain *rsa, *p384;
  uint8_t dn[128];
  size_t dn_len;

  (void)state;
  NEED_CERTS();
  rsa = chain_of("ee-rsa.pem", "int-rsa.pem", NULL);
  p384 = chain_of("ee-p384.der", NULL);

  dn_len = build_dn("tcpsec test", "ee-rsa", dn);
  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_DER_ASN1_DN,
                                              dn, dn_len),
                   0);
  dn_len = build_dn("tcpsec test", "ee-rsb", dn);
  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_DER_ASN1_DN,
                                              dn, dn_len),
                   TCPSEC_ERR_ID_MISMATCH);

  assert_int_equal(match(rsa, TCPSEC_CERT_ID_FQDN, "vpn.example.com"), 0);
  assert_int_equal(match(rsa, TCPSEC_CERT_ID_FQDN, "VPN.Example.COM"), 0);
  assert_int_equal(match(rsa, TCPSEC_CERT_ID_FQDN, "vpn.example.co"),
                   TCPSEC_ERR_ID_MISMATCH);
  assert_int_equal(match(rsa, TCPSEC_CERT_ID_FQDN, "hub.example.net"),
                   TCPSEC_ERR_ID_MISMATCH);
  /* The email SAN is not a dNSName. */
  assert_int_equal(match(rsa, TCPSEC_CERT_ID_FQDN, "admin@Example.com"),
                   TCPSEC_ERR_ID_MISMATCH);

  assert_int_equal(match(rsa, TCPSEC_CERT_ID_RFC822_ADDR, "admin@example.COM"),
                   0);
  assert_int_equal(match(rsa, TCPSEC_CERT_ID_RFC822_ADDR, "Admin@Example.com"),
                   TCPSEC_ERR_ID_MISMATCH);

  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_IPV4_ADDR,
                                              ipv4, 4),
                   0);
  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_IPV4_ADDR,
                                              ipv4_other, 4),
                   TCPSEC_ERR_ID_MISMATCH);
  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_IPV6_ADDR,
                                              ipv6, 16),
                   0);
  assert_int_equal(tcpsec_cert_chain_match_id(rsa, TCPSEC_CERT_ID_IPV4_ADDR,
                                              ipv4, 3),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* Without a subjectAltName the subject CN is not used as an FQDN. */
  assert_int_equal(match(p384, TCPSEC_CERT_ID_FQDN, "hub.example.net"),
                   TCPSEC_ERR_ID_MISMATCH);

  tcpsec_cert_chain_free(rsa);
  tcpsec_cert_chain_free(p384);
}

/* ---- keys ------------------------------------------------------------- */

/* Sign with the private key openssl made, verify with the certificate's
 * public key. */
static void sign_with_cert_key(const char *key_file, const char *cert_file,
                               tcpsec_sig_scheme scheme,
                               tcpsec_sig_key_type type) {
  static const uint8_t msg[] = "IKE_AUTH signed octets";
  tcpsec_iov iov = {msg, sizeof(msg)};
  tcpsec_cert_chain *chain = chain_of(cert_file, NULL);
  tcpsec_sig_key *priv = NULL, *pub = NULL;
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  size_t len, sig_len = 0;
  uint8_t *pem = load(key_file, &len);

  assert_int_equal(tcpsec_sig_key_parse_private(ctx, pem, len, &priv), 0);
  assert_int_equal(tcpsec_cert_chain_public_key(chain, 0, &pub), 0);
  assert_int_equal(tcpsec_sig_key_type_of(pub), type);
  assert_int_equal(tcpsec_sig_sign(priv, scheme, TCPSEC_HASH_SHA384, &iov, 1,
                                   sig, sizeof(sig), &sig_len),
                   0);
  assert_int_equal(tcpsec_sig_verify(pub, scheme, TCPSEC_HASH_SHA384, &iov, 1,
                                     sig, sig_len),
                   0);
  assert_int_equal(tcpsec_cert_chain_public_key(chain, 1, &pub),
                   TCPSEC_ERR_NOT_FOUND);
  tcpsec_zeroize(pem, len);
  free(pem);
  tcpsec_sig_key_free(priv);
  tcpsec_sig_key_free(pub);
  tcpsec_cert_chain_free(chain);
}

static void test_certificate_keys(void **state) {
  (void)state;
  NEED_CERTS();
  sign_with_cert_key("ee-rsa.key", "ee-rsa.der", TCPSEC_SIG_RSA_PSS,
                     TCPSEC_SIG_KEY_RSA);
  sign_with_cert_key("ee-p256.key", "ee-p256.der", TCPSEC_SIG_ECDSA_DER,
                     TCPSEC_SIG_KEY_ECDSA_P256);
  sign_with_cert_key("ee-p384.key", "ee-p384.der", TCPSEC_SIG_ECDSA_RAW,
                     TCPSEC_SIG_KEY_ECDSA_P384);
}

/* CERTREQ certification authority value, compared with openssl dgst. */
static void test_spki_sha1(void **state) {
  tcpsec_cert_chain *chain;
  uint8_t hash[TCPSEC_CERT_SPKI_HASH_LEN], expect[TCPSEC_CERT_SPKI_HASH_LEN];
  char hex[2 * TCPSEC_CERT_SPKI_HASH_LEN + 1];
  size_t len;
  uint8_t *text;

  (void)state;
  NEED_CERTS();
  text = load("int-ec.spki-sha1", &len);
  assert_true(len >= sizeof(hex) - 1);
  memcpy(hex, text, sizeof(hex) - 1);
  hex[sizeof(hex) - 1] = '\0';
  assert_int_equal(test_hex_decode(hex, expect, sizeof(expect)),
                   (long)sizeof(expect));

  chain = chain_of("ee-p256.der", "int-ec.der", NULL);
  assert_int_equal(tcpsec_cert_chain_spki_sha1(chain, 1, hash), 0);
  assert_memory_equal(hash, expect, sizeof(hash));
  assert_int_equal(tcpsec_cert_chain_spki_sha1(chain, 0, hash), 0);
  assert_memory_not_equal(hash, expect, sizeof(hash));
  assert_int_equal(tcpsec_cert_chain_spki_sha1(chain, 2, hash),
                   TCPSEC_ERR_NOT_FOUND);
  free(text);
  tcpsec_cert_chain_free(chain);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chains_trusted),
    cmocka_unit_test(test_chains_untrusted),
    cmocka_unit_test(test_chain_bad_signature),
    cmocka_unit_test(test_chain_validity_time),
    cmocka_unit_test(test_revocation_hook),
    cmocka_unit_test(test_parse_errors),
    cmocka_unit_test(test_identity_match),
    cmocka_unit_test(test_certificate_keys),
    cmocka_unit_test(test_spki_sha1),
  };

  return cmocka_run_group_tests_name("cert", tests, group_setup,
                                     group_teardown);
}
