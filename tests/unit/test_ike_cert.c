/*
 * IKE_AUTH with certificates and signatures between two in-process peers
 * (RFC 7296 sections 2.15 and 3.6 to 3.8, RFC 7427, RFC 4754).
 *
 * The certificates are made at test time with the openssl command in a
 * temporary directory that the group teardown removes:
 *
 *   root-rsa (RSA-2048) -> int-rsa (RSA-2048) -> hub-rsa, spoke-rsa
 *                                                (RSA-2048)
 *                                             -> spoke-rsa1024 (RSA-1024)
 *   root-ec (P-384)     -> hub-p256, spoke-p256, hub-p384, spoke-p384
 *                       -> spoke-short (valid for 1 day)
 *                       -> spoke-other-name (SAN DNS:other.example.net)
 *                       -> spoke-ed25519 (Ed25519 key)
 *   other-root (P-256)  -> spoke-untrusted
 *
 * End-entity certificates carry subjectAltName DNS:hub.example.net or
 * DNS:spoke.example.net, the FQDN identities of the two peers. Both peers
 * trust root-rsa and root-ec. The hub reads its anchors as PEM and the
 * spoke as concatenated DER.
 *
 * Failures that a correct peer cannot produce (a tampered AUTH, a
 * certificate with a key tcpsec does not accept) are forged. The message
 * is decrypted with the receiver's keys, changed, and sealed again with
 * the sender's keys, both taken from the IKE SA internals.
 *
 * Without openssl every test is skipped with "skipped: openssl is not
 * installed".
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <time.h>

#include "ike/ike_sa.h"

#include "test_ike_exchange_peers.h"

#include "crypto/sig.h"

static char dir[64];
static int have_certs;
static uint64_t wall_time; /* what the wall_clock callback returns */
static uint64_t made_at;   /* seconds since 1970 after openssl finished */

#define DAY 86400u

static const char make_certs_script[] =
    "set -e\n"
    "cat > ca.ext <<'EOF'\n"
    "basicConstraints=critical,CA:TRUE\n"
    "keyUsage=critical,keyCertSign,cRLSign\n"
    "EOF\n"
    "ee_ext() {\n"
    "  printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,"
    "digitalSignature\\nsubjectAltName=DNS:%s\\n' \"$1\" > \"$2\"\n"
    "}\n"
    "ee_ext hub.example.net hub.ext\n"
    "ee_ext spoke.example.net spoke.ext\n"
    "ee_ext other.example.net other.ext\n"
    "RSA='-newkey rsa:2048'\n"
    "RSA1024='-newkey rsa:1024'\n"
    "P256='-newkey ec -pkeyopt ec_paramgen_curve:P-256'\n"
    "P384='-newkey ec -pkeyopt ec_paramgen_curve:P-384'\n"
    "ED='-newkey ed25519'\n"
    "spki_sha1() {\n"
    "  openssl x509 -in $1.pem -pubkey -noout | \\\n"
    "    openssl pkey -pubin -outform DER | openssl dgst -sha1 -binary \\\n"
    "    > $1.spki-sha1\n"
    "}\n"
    "root() {\n"
    "  openssl req -x509 -new -nodes $2 -keyout $1.key -out $1.pem \\\n"
    "    -subj \"$3\" -days 3650 -sha256 \\\n"
    "    -addext basicConstraints=critical,CA:TRUE \\\n"
    "    -addext keyUsage=critical,keyCertSign,cRLSign\n"
    "  openssl x509 -in $1.pem -outform DER -out $1.der\n"
    "  spki_sha1 $1\n"
    "}\n"
    "issue() {\n"
    "  openssl req -new -nodes $2 -keyout $1.key -out $1.csr -subj \"$3\"\n"
    "  openssl x509 -req -in $1.csr -CA $4.pem -CAkey $4.key \\\n"
    "    -CAcreateserial -out $1.pem -days $6 -sha256 -extfile $5\n"
    "  openssl x509 -in $1.pem -outform DER -out $1.der\n"
    "}\n"
    "root root-rsa \"$RSA\" '/O=tcpsec test/CN=Root RSA'\n"
    "issue int-rsa \"$RSA\" '/O=tcpsec test/CN=Intermediate RSA' root-rsa "
    "ca.ext 3650\n"
    "issue hub-rsa \"$RSA\" '/O=tcpsec test/CN=hub RSA' int-rsa hub.ext "
    "3650\n"
    "issue spoke-rsa \"$RSA\" '/O=tcpsec test/CN=spoke RSA' int-rsa "
    "spoke.ext 3650\n"
    "issue spoke-rsa1024 \"$RSA1024\" '/O=tcpsec test/CN=spoke RSA-1024' "
    "int-rsa spoke.ext 3650\n"
    "root root-ec \"$P384\" '/O=tcpsec test/CN=Root EC'\n"
    "issue hub-p256 \"$P256\" '/O=tcpsec test/CN=hub P-256' root-ec hub.ext "
    "3650\n"
    "issue spoke-p256 \"$P256\" '/O=tcpsec test/CN=spoke P-256' root-ec "
    "spoke.ext 3650\n"
    "issue hub-p384 \"$P384\" '/O=tcpsec test/CN=hub P-384' root-ec hub.ext "
    "3650\n"
    "issue spoke-p384 \"$P384\" '/O=tcpsec test/CN=spoke P-384' root-ec "
    "spoke.ext 3650\n"
    "issue spoke-short \"$P256\" '/O=tcpsec test/CN=spoke short' root-ec "
    "spoke.ext 1\n"
    "issue spoke-other-name \"$P256\" '/O=tcpsec test/CN=spoke other' "
    "root-ec other.ext 3650\n"
    "issue spoke-ed25519 \"$ED\" '/O=tcpsec test/CN=spoke Ed25519' root-ec "
    "spoke.ext 3650\n"
    "root other-root \"$P256\" '/O=tcpsec test/CN=Other Root'\n"
    "issue spoke-untrusted \"$P256\" '/O=tcpsec test/CN=spoke untrusted' "
    "other-root spoke.ext 3650\n"
    "cat spoke-rsa.pem int-rsa.pem > spoke-rsa-chain.pem\n"
    "cat hub-rsa.der int-rsa.der > hub-rsa-chain.der\n"
    "cat root-rsa.pem root-ec.pem > roots.pem\n"
    "cat root-rsa.der root-ec.der > roots.der\n"
    "openssl pkey -in hub-p256.key -outform DER -out hub-p256.key.der\n"
    "openssl x509 -in spoke-p256.pem -noout -serial | cut -d= -f2 \\\n"
    "  > spoke-p256.serial\n";

/* ---- files -------------------------------------------------------------- */

#define FILE_MAX 48

static struct {
  char name[40];
  uint8_t *data;
  size_t len;
} files[FILE_MAX];
static size_t file_count;

/* Contents of a file of the certificate folder, read once and kept until
 * the group teardown. */
static const uint8_t *file(const char *name, size_t *len) {
  char path[128];
  size_t i;

  for (i = 0; i < file_count; i++) {
    if (strcmp(files[i].name, name) == 0) {
      *len = files[i].len;
      return files[i].data;
    }
  }
  assert_true(file_count < FILE_MAX);
  assert_true(strlen(name) < sizeof(files[0].name));
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  files[file_count].data = test_read_file(path, &files[file_count].len);
  assert_non_null(files[file_count].data);
  strcpy(files[file_count].name, name);
  *len = files[file_count].len;
  return files[file_count++].data;
}

static int group_setup(void **state) {
  int made;

  (void)state;
  made = test_openssl_dir(dir, sizeof(dir), "tcpsec-ike-cert", make_certs_script);
  if (made <= 0)
    return made;
  /* notBefore is the moment openssl signed, so take the time after. */
  made_at = (uint64_t)time(NULL) + 1;
  have_certs = 1;
  return 0;
}

static int group_teardown(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < file_count; i++)
    free(files[i].data);
  test_remove_dir(dir);
  return 0;
}

#define NEED_CERTS()                                                        \
  do {                                                                      \
    if (!have_certs)                                                        \
      skip();                                                               \
  } while (0)

/* ---- peers with a wall clock and a captured log ------------------------- */

typedef struct logbuf {
  char text[16384];
  size_t len;
} logbuf;

static logbuf spoke_log, hub_log;

static void capture_log(void *user, tcpsec_log_level level,
                        const char *subsystem, const char *message) {
  logbuf *log = user;
  size_t n = strlen(message);

  (void)level;
  (void)subsystem;
  if (getenv("TCPSEC_TEST_LOG") != NULL)
    fprintf(stderr, "[%s] %s\n", subsystem, message);
  if (log->len + n + 2 > sizeof(log->text))
    return;
  memcpy(log->text + log->len, message, n);
  log->len += n;
  log->text[log->len++] = '\n';
  log->text[log->len] = '\0';
}

static uint64_t test_wall_clock(void *user, tcpsec_ike_sa *sa) {
  (void)user;
  (void)sa;
  return wall_time;
}

/* Give a peer of peer_init() a context whose log lines land in `log`. */
static void peer_capture(peer *p, logbuf *log, uint64_t seed) {
  tcpsec_sad_config sad_cfg;
  tcpsec_ctx_config cfg;
  int hub = p->resp != NULL;

  tcpsec_ike_responder_free(p->resp);
  p->resp = NULL;
  tcpsec_sad_free(p->sad);
  tcpsec_ctx_free(p->ctx);
  memset(log, 0, sizeof(*log));
  test_rng_seed(&p->rng, seed);
  tcpsec_ctx_config_default(&cfg);
  cfg.random = test_rng_fill;
  cfg.random_user = &p->rng;
  cfg.log = capture_log;
  cfg.log_user = log;
  cfg.log_level = TCPSEC_LOG_DEBUG;
  assert_int_equal(tcpsec_ctx_new(&cfg, &p->ctx), 0);
  tcpsec_sad_config_default(&sad_cfg);
  assert_int_equal(tcpsec_sad_new(p->ctx, &sad_cfg, &p->sad), 0);
  if (hub)
    assert_int_equal(tcpsec_ike_responder_new(p->ctx, NULL, &p->resp), 0);
  p->cb.wall_clock = test_wall_clock;
}

static void peers_init(peer *spoke, peer *hub, uint64_t seed) {
  peer_init(spoke, "spoke", seed, 0);
  peer_init(hub, "hub", seed + 1, 1);
  peer_capture(spoke, &spoke_log, seed);
  peer_capture(hub, &hub_log, seed + 1);
  wall_time = made_at;
}

/* Sign with `method`, certificate chain and key from the named files;
 * verify the peer with the trust anchors of `anchors` (NULL: none). */
static void use_certs(peer *p, uint8_t method, const char *chain,
                      const char *key, const char *anchors) {
  p->cfg.auth_method = method;
  if (chain != NULL)
    p->cfg.cert_chain = file(chain, &p->cfg.cert_chain_len);
  if (key != NULL)
    p->cfg.private_key = file(key, &p->cfg.private_key_len);
  if (anchors != NULL)
    p->cfg.trust_anchors = file(anchors, &p->cfg.trust_anchors_len);
}

static void no_psk(peer *p) {
  p->cfg.psk = NULL;
  p->cfg.psk_len = 0;
}

/* Both ends sign with `method`; neither has a PSK. */
static void both_sign(peer *spoke, peer *hub, uint8_t method,
                      const char *spoke_chain, const char *spoke_key,
                      const char *hub_chain, const char *hub_key) {
  use_certs(spoke, method, spoke_chain, spoke_key, "roots.der");
  use_certs(hub, method, hub_chain, hub_key, "roots.pem");
  no_psk(spoke);
  no_psk(hub);
}

/* ---- looking into messages ---------------------------------------------- */

/* A message parsed, and for IKE_AUTH decrypted with the receiver's keys. */
typedef struct opened {
  tcpsec_ike_msg *msg;
  uint8_t *plain;
} opened;

static opened open_head(peer *from, peer *to) {
  peer_msg *m = peer_head(from);
  opened o;

  o.msg = calloc(1, sizeof(*o.msg));
  o.plain = malloc(m->len);
  assert_non_null(o.msg);
  assert_non_null(o.plain);
  assert_int_equal(tcpsec_ike_msg_parse(o.msg, m->data, m->len, NULL), 0);
  if (o.msg->sk_index >= 0)
    assert_int_equal(tcpsec_ike_msg_open(to->sa->sk_in, o.msg, m->data,
                                         m->len, o.plain, m->len, NULL),
                     0);
  return o;
}

static void close_opened(opened *o) {
  free(o->msg);
  free(o->plain);
}

/* What an IKE_AUTH message carried. */
typedef struct auth_seen {
  uint8_t method;
  size_t len;               /* Authentication Data */
  tcpsec_sig_scheme scheme; /* method 14 only */
  tcpsec_hash_alg hash;     /* method 14 only */
  size_t certs;
  size_t certreqs;
} auth_seen;

static void see_auth(peer *from, peer *to, auth_seen *seen) {
  opened o = open_head(from, to);
  const tcpsec_ike_payload *auth = tcpsec_ike_msg_find(o.msg,
                                                       TCPSEC_IKE_PT_AUTH, 0);

  memset(seen, 0, sizeof(*seen));
  assert_non_null(auth);
  seen->method = auth->u.auth.method;
  seen->len = auth->u.auth.len;
  if (seen->method == TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE) {
    assert_true(auth->u.auth.len > 1u + auth->u.auth.data[0]);
    assert_int_equal(tcpsec_sig_algid_parse(auth->u.auth.data + 1,
                                            auth->u.auth.data[0],
                                            &seen->scheme, &seen->hash),
                     0);
  }
  seen->certs = tcpsec_ike_msg_count_type(o.msg, TCPSEC_IKE_PT_CERT);
  seen->certreqs = tcpsec_ike_msg_count_type(o.msg, TCPSEC_IKE_PT_CERTREQ);
  close_opened(&o);
}

/* 1 when the oldest message of `from` (IKE_SA_INIT) has a
 * SIGNATURE_HASH_ALGORITHMS notify. */
static int head_has_hash_notify(peer *from) {
  opened o = open_head(from, NULL);
  int found = tcpsec_ike_msg_find_notify(
                  o.msg, TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS) != NULL;

  close_opened(&o);
  return found;
}

/* IKE_SA_INIT and IKE_AUTH, recording the AUTH payloads, then ESP. */
static void establish_seen(peer *spoke, peer *hub, auth_seen *request,
                           auth_seen *response) {
  peer_start(spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, N(NAT_D_SRC), N(NAT_D_DST), N(FRAG_SUP),
   *                   [N(SIG_HASH)] } */
  assert_int_equal(peer_deliver(spoke, hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, [CERTREQ,] N(NAT_D_SRC), N(NAT_D_DST),
   *                   N(FRAG_SUP), [N(SIG_HASH)] } */
  assert_int_equal(peer_deliver(hub, spoke), 0);
  see_auth(spoke, hub, request);
  /* --> IKE_AUTH SK { IDi, CERT+, [CERTREQ,] AUTH, N(INITIAL_CONTACT),
   *                   SA, TSi, TSr } */
  assert_int_equal(peer_deliver(spoke, hub), 0);
  assert_int_equal(peer_state(hub), TCPSEC_IKE_SA_ESTABLISHED);
  see_auth(hub, spoke, response);
  /* <-- IKE_AUTH SK { IDr, CERT+, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(hub, spoke), 0);
  assert_int_equal(spoke->out_count, 0);
  assert_int_equal(hub->out_count, 0);
  assert_established_pair(spoke, hub);
  esp_both_ways(spoke, hub);
}

/* ---- forging ------------------------------------------------------------ */

typedef void (*inner_edit)(tcpsec_ike_payload *payloads, size_t count,
                           void *arg);

/* Replace the oldest message of `from` by one whose inner payloads went
 * through `edit`, sealed again with the sender's keys. */
static void reseal_head(peer *from, peer *to, inner_edit edit, void *arg) {
  tcpsec_ike_payload inner[TCPSEC_IKE_MAX_PAYLOADS];
  peer_msg *m = peer_head(from);
  opened o = open_head(from, to);
  tcpsec_ike_builder b;
  size_t count = 0, i, len = 0;
  uint8_t *out = malloc(65535);

  assert_non_null(out);
  assert_true(o.msg->inner_index >= 0);
  for (i = (size_t)o.msg->inner_index; i < o.msg->count; i++)
    inner[count++] = o.msg->payloads[i];
  edit(inner, count, arg);

  tcpsec_ike_builder_init(&b, from->ctx, &o.msg->header, 0);
  tcpsec_ike_builder_begin_sk(&b);
  for (i = 0; i < count; i++)
    assert_int_equal(tcpsec_ike_builder_add(&b, &inner[i]), 0);
  assert_int_equal(
      tcpsec_ike_builder_finish_to(&b, from->sa->sk_out, out, 65535, &len), 0);
  tcpsec_ike_builder_free(&b);
  close_opened(&o);
  free(m->data);
  m->data = out;
  m->len = len;
}

static tcpsec_ike_payload *find_inner(tcpsec_ike_payload *p, size_t count,
                                      uint8_t type) {
  size_t i;

  for (i = 0; i < count; i++)
    if (p[i].type == type)
      return &p[i];
  fail_msg("payload type %u missing", type);
  return NULL;
}

static uint8_t forged_auth[IKE_AUTH_DATA_MAX];

/* Flip one bit in the last byte of the signature. */
static void flip_auth_bit(tcpsec_ike_payload *p, size_t count, void *arg) {
  tcpsec_ike_payload *auth = find_inner(p, count, TCPSEC_IKE_PT_AUTH);

  (void)arg;
  assert_true(auth->u.auth.len <= sizeof(forged_auth));
  memcpy(forged_auth, auth->u.auth.data, auth->u.auth.len);
  forged_auth[auth->u.auth.len - 1] ^= 0x01;
  auth->u.auth.data = forged_auth;
}

/* Put sha1WithRSAEncryption (RFC 7427 Appendix A.1.1) in place of the
 * AlgorithmIdentifier of a PKCS#1 v1.5 method 14 AUTH, whose
 * sha256/384/512WithRSAEncryption has the same length. */
static void use_sha1_algid(tcpsec_ike_payload *p, size_t count, void *arg) {
  static const uint8_t sha1_rsa[15] = {0x30, 0x0d, 0x06, 0x09, 0x2a,
                                       0x86, 0x48, 0x86, 0xf7, 0x0d,
                                       0x01, 0x01, 0x05, 0x05, 0x00};
  tcpsec_ike_payload *auth = find_inner(p, count, TCPSEC_IKE_PT_AUTH);

  (void)arg;
  assert_int_equal(auth->u.auth.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(auth->u.auth.data[0], sizeof(sha1_rsa));
  memcpy(forged_auth, auth->u.auth.data, auth->u.auth.len);
  memcpy(forged_auth + 1, sha1_rsa, sizeof(sha1_rsa));
  auth->u.auth.data = forged_auth;
}

/* Replace the first CERT payload by the certificate of file `arg`. */
static void replace_first_cert(tcpsec_ike_payload *p, size_t count,
                               void *arg) {
  tcpsec_ike_payload *cert = find_inner(p, count, TCPSEC_IKE_PT_CERT);

  cert->u.cert.data = file(arg, &cert->u.cert.len);
}

/* ---- failures ----------------------------------------------------------- */

/* IKE_SA_INIT, then the hub rejects the spoke's IKE_AUTH request with
 * `reason` and responds AUTHENTICATION_FAILED, which ends the spoke. */
static void expect_hub_rejects(peer *spoke, peer *hub, int reason,
                               const char *log_text) {
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(spoke, hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(hub, spoke), 0);
  /* --> IKE_AUTH SK { IDi, CERT+, AUTH, ... } */
  assert_int_equal(peer_deliver(spoke, hub), 0);
  assert_int_equal(peer_state(hub), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(hub->fail_reason, reason);
  assert_non_null(strstr(hub_log.text, log_text));
  assert_non_null(strstr(hub_log.text, "responding AUTHENTICATION_FAILED"));
  assert_int_equal(hub->children_installed, 0);
  /* <-- IKE_AUTH SK { N(AUTHENTICATION_FAILED) } */
  assert_head(hub, TCPSEC_IKE_EXCH_IKE_AUTH, 1);
  assert_int_equal(peer_deliver(hub, spoke), 0);
  assert_int_equal(peer_state(spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke->fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  assert_int_equal(spoke->children_installed, 0);
  assert_int_equal(spoke->out_count, 0);
}

/* A spoke signing with P-256 towards a hub signing with P-256; the spoke's
 * certificate chain and key are the named files. */
static void p256_pair(peer *spoke, peer *hub, uint64_t seed,
                      const char *spoke_chain, const char *spoke_key) {
  peers_init(spoke, hub, seed);
  both_sign(spoke, hub, TCPSEC_IKE_AUTH_SIGNATURE, spoke_chain, spoke_key,
            "hub-p256.pem", "hub-p256.key.der");
}

static void cert_fail_expired(void **state) {
  static const int64_t offsets[] = {3 * (int64_t)DAY, -(int64_t)DAY};
  peer spoke, hub;
  size_t i;

  (void)state;
  NEED_CERTS();
  /* Three days later spoke-short has expired; a day earlier no
   * certificate is valid yet. Both give CERT_EXPIRED. */
  for (i = 0; i < TCPSEC_ARRAY_SIZE(offsets); i++) {
    p256_pair(&spoke, &hub, 100 + 2 * i, "spoke-short.pem", "spoke-short.key");
    wall_time = (uint64_t)((int64_t)made_at + offsets[i]);
    peer_start(&spoke);
    expect_hub_rejects(&spoke, &hub, TCPSEC_ERR_CERT_EXPIRED,
                       "expired or not yet valid");
    peer_free(&spoke);
    peer_free(&hub);
  }
}

static void cert_fail_untrusted_issuer(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 110, "spoke-untrusted.pem", "spoke-untrusted.key");
  peer_start(&spoke);
  expect_hub_rejects(&spoke, &hub, TCPSEC_ERR_CERT_UNTRUSTED,
                     "does not lead to a trust anchor");
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_fail_identity_mismatch(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 120, "spoke-other-name.pem",
            "spoke-other-name.key");
  peer_start(&spoke);
  /* The spoke's own configuration check only warns. */
  assert_non_null(
      strstr(spoke_log.text, "local identity (ID_FQDN) is neither"));
  expect_hub_rejects(&spoke, &hub, TCPSEC_ERR_ID_MISMATCH,
                     "peer's ID (spoke.example.net) is neither the subject "
                     "nor a subjectAltName");
  peer_free(&spoke);
  peer_free(&hub);
}

/* A correct peer cannot load an RSA-1024 or Ed25519 key (see
 * cert_config_errors), so the first CERT payload is replaced in flight. */
static void cert_fail_unsupported_key(void **state) {
  static const struct {
    const char *chain, *key, *forged;
  } cases[] = {
      {"spoke-rsa-chain.pem", "spoke-rsa.key", "spoke-rsa1024.der"},
      {"spoke-p256.pem", "spoke-p256.key", "spoke-ed25519.der"},
  };
  peer spoke, hub;
  size_t i;

  (void)state;
  NEED_CERTS();
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    peers_init(&spoke, &hub, 130 + 2 * i);
    both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, cases[i].chain,
              cases[i].key, "hub-p256.pem", "hub-p256.key");
    peer_start(&spoke);
    /* --> IKE_SA_INIT, <-- IKE_SA_INIT */
    assert_int_equal(peer_deliver(&spoke, &hub), 0);
    assert_int_equal(peer_deliver(&hub, &spoke), 0);
    reseal_head(&spoke, &hub, replace_first_cert, (void *)cases[i].forged);
    /* --> IKE_AUTH SK { IDi, CERT(forged), ..., AUTH, ... } */
    assert_int_equal(peer_deliver(&spoke, &hub), 0);
    assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_FAILED);
    assert_int_equal(hub.fail_reason, TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
    assert_non_null(strstr(hub_log.text, "key or signature algorithm"));
    /* <-- IKE_AUTH SK { N(AUTHENTICATION_FAILED) } */
    assert_int_equal(peer_deliver(&hub, &spoke), 0);
    assert_int_equal(spoke.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
    peer_free(&spoke);
    peer_free(&hub);
  }
}

/* A tampered AUTH in the request: the hub rejects it. */
static void cert_fail_signature_request(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 140, "spoke-p256.pem", "spoke-p256.key");
  peer_start(&spoke);
  /* --> IKE_SA_INIT, <-- IKE_SA_INIT */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  reseal_head(&spoke, &hub, flip_auth_bit, NULL);
  /* --> IKE_AUTH SK { IDi, CERT, CERTREQ, AUTH(tampered), ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(hub.fail_reason, TCPSEC_ERR_SIGNATURE_INVALID);
  assert_non_null(strstr(hub_log.text, "ECDSA signature over SHA2-512 with "
                                       "the ECDSA P-256 key does not verify"));
  /* <-- IKE_AUTH SK { N(AUTHENTICATION_FAILED) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A tampered AUTH in the response: the spoke rejects it and sends
 * AUTHENTICATION_FAILED in an INFORMATIONAL request, which deletes the
 * hub's IKE SA. */
static void cert_fail_signature_response(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 150);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_RSA, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  peer_start(&spoke);
  /* --> IKE_SA_INIT, <-- IKE_SA_INIT, --> IKE_AUTH */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  reseal_head(&hub, &spoke, flip_auth_bit, NULL);
  /* <-- IKE_AUTH SK { IDr, CERT, CERT, AUTH(tampered), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_SIGNATURE_INVALID);
  assert_non_null(strstr(spoke_log.text, "RSA signature of AUTH method 1 "
                                         "does not verify"));
  assert_non_null(strstr(spoke_log.text, "telling the peer "
                                         "AUTHENTICATION_FAILED"));
  /* --> INFORMATIONAL SK { N(AUTHENTICATION_FAILED) } */
  assert_head(&spoke, TCPSEC_IKE_EXCH_INFORMATIONAL, 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  peer_free(&spoke);
  peer_free(&hub);
}

/* SHA-1 in the AlgorithmIdentifier of method 14 is rejected before any
 * signature check. */
static void cert_fail_sha1_rejected(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 160);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  spoke.cfg.rsa_pss = 0;
  peer_start(&spoke);
  /* --> IKE_SA_INIT, <-- IKE_SA_INIT */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  reseal_head(&spoke, &hub, use_sha1_algid, NULL);
  /* --> IKE_AUTH SK { IDi, CERT, CERT, CERTREQ, AUTH(sha1WithRSA), ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(hub.fail_reason, TCPSEC_ERR_NOT_SUPPORTED);
  assert_non_null(strstr(hub_log.text, "never SHA-1"));
  /* <-- IKE_AUTH SK { N(AUTHENTICATION_FAILED) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Revocation hook: revokes the certificate whose serial is `serial`. */
typedef struct revocation_list {
  uint8_t serial[32];
  size_t serial_len;
  int result; /* returned for the listed serial: 1 or an error */
  int calls;
  int listed_seen;
  size_t issuer_len;
} revocation_list;

static int same_integer(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len) {
  while (a_len > 1 && a[0] == 0) {
    a++;
    a_len--;
  }
  while (b_len > 1 && b[0] == 0) {
    b++;
    b_len--;
  }
  return a_len == b_len && memcmp(a, b, a_len) == 0;
}

static int revoked_hook(void *user, const uint8_t *serial, size_t serial_len,
                        const uint8_t *issuer, size_t issuer_len) {
  revocation_list *list = user;

  (void)issuer;
  list->calls++;
  if (!same_integer(serial, serial_len, list->serial, list->serial_len))
    return 0;
  list->listed_seen++;
  list->issuer_len = issuer_len;
  return list->result;
}

static void cert_fail_revoked(void **state) {
  static const int results[] = {1, -1};
  static const int reasons[] = {TCPSEC_ERR_CERT_UNTRUSTED,
                                TCPSEC_ERR_CALLBACK};
  static const char *const texts[] = {"with serial", "revocation callback "
                                                     "returned an error"};
  char hex[80];
  const uint8_t *text;
  size_t len, i;
  revocation_list list;
  peer spoke, hub;
  long n;

  (void)state;
  NEED_CERTS();
  text = file("spoke-p256.serial", &len);
  assert_true(len > 1 && len < sizeof(hex));
  /* openssl prints upper case hex and a newline; the log has lower case. */
  for (i = 0; i + 1 < len; i++)
    hex[i] = (char)tolower(text[i]);
  hex[len - 1] = '\0';

  for (i = 0; i < TCPSEC_ARRAY_SIZE(results); i++) {
    memset(&list, 0, sizeof(list));
    n = test_hex_decode(hex, list.serial, sizeof(list.serial));
    assert_true(n > 0);
    list.serial_len = (size_t)n;
    list.result = results[i];
    p256_pair(&spoke, &hub, 170 + 2 * i, "spoke-p256.pem", "spoke-p256.key");
    hub.cfg.cert_revoked = revoked_hook;
    hub.cfg.cert_revoked_user = &list;
    peer_start(&spoke);
    expect_hub_rejects(&spoke, &hub, reasons[i], texts[i]);
    /* Only the end-entity certificate is checked: root-ec is the anchor. */
    assert_int_equal(list.calls, 1);
    assert_int_equal(list.listed_seen, 1);
    assert_true(list.issuer_len > 0);
    if (results[i] == 1)
      assert_non_null(strstr(hub_log.text, hex));
    peer_free(&spoke);
    peer_free(&hub);
  }
}

/* ---- successful authentication ------------------------------------------ */

static void cert_rsa_pss(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 200);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  establish_seen(&spoke, &hub, &request, &response);
  /* Both announced SHA2-256/384/512, so each signs with SHA2-512. */
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(request.scheme, TCPSEC_SIG_RSA_PSS);
  assert_int_equal(request.hash, TCPSEC_HASH_SHA512);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(response.scheme, TCPSEC_SIG_RSA_PSS);
  assert_int_equal(response.hash, TCPSEC_HASH_SHA512);
  assert_non_null(strstr(hub_log.text, "(method 14, RSA key) verified"));
  assert_non_null(strstr(spoke_log.text, "(method 14, RSA key) verified"));
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_rsa_pkcs1_method14(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 210);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  spoke.cfg.rsa_pss = 0;
  hub.cfg.rsa_pss = 0;
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(request.scheme, TCPSEC_SIG_RSA_PKCS1);
  assert_int_equal(request.hash, TCPSEC_HASH_SHA512);
  assert_int_equal(response.scheme, TCPSEC_SIG_RSA_PKCS1);
  assert_int_equal(response.hash, TCPSEC_HASH_SHA512);
  /* 1 + 15-byte AlgorithmIdentifier + 256-byte signature */
  assert_int_equal(request.len, 1 + 15 + 256);
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_rsa_method1(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 220);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_RSA, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  peer_start(&spoke);
  /* The classic methods send no SIGNATURE_HASH_ALGORITHMS. */
  assert_false(head_has_hash_notify(&spoke));
  peer_drop(&spoke);
  peer_free(&spoke);
  peer_free(&hub);

  peers_init(&spoke, &hub, 220);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_RSA, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-rsa-chain.der", "hub-rsa.key");
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_RSA_SIG);
  assert_int_equal(request.len, 256);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_RSA_SIG);
  assert_int_equal(response.len, 256);
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_ecdsa_p256_method14(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 230, "spoke-p256.pem", "spoke-p256.key");
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(request.scheme, TCPSEC_SIG_ECDSA_DER);
  assert_int_equal(request.hash, TCPSEC_HASH_SHA512);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
  assert_int_equal(response.scheme, TCPSEC_SIG_ECDSA_DER);
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_ecdsa_p256_method9(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 240);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_ECDSA_P256, "spoke-p256.pem",
            "spoke-p256.key", "hub-p256.pem", "hub-p256.key");
  establish_seen(&spoke, &hub, &request, &response);
  /* r | s of 32 bytes each (RFC 4754 section 7). */
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_ECDSA_SHA256_P256);
  assert_int_equal(request.len, 64);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_ECDSA_SHA256_P256);
  assert_int_equal(response.len, 64);
  peer_free(&spoke);
  peer_free(&hub);
}

static void cert_ecdsa_p384_method10(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 250);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_ECDSA_P384, "spoke-p384.pem",
            "spoke-p384.key", "hub-p384.pem", "hub-p384.key");
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_ECDSA_SHA384_P384);
  assert_int_equal(request.len, 96);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_ECDSA_SHA384_P384);
  assert_int_equal(response.len, 96);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Method 14 towards a peer that sends no SIGNATURE_HASH_ALGORITHMS (it is
 * configured for method 9) falls back to the method of the key type. */
static void cert_method14_falls_back(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 260);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-p256.pem",
            "spoke-p256.key", "hub-p256.pem", "hub-p256.key");
  hub.cfg.auth_method = TCPSEC_IKE_AUTH_ECDSA_P256;
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.method, TCPSEC_IKE_AUTH_ECDSA_SHA256_P256);
  assert_int_equal(response.method, TCPSEC_IKE_AUTH_ECDSA_SHA256_P256);
  assert_non_null(strstr(spoke_log.text, "peer sent no "
                                         "SIGNATURE_HASH_ALGORITHMS; signing "
                                         "AUTH with method 9 instead of 14"));
  peer_free(&spoke);
  peer_free(&hub);
}

/* The spoke uses the PSK, the hub signs, and the reverse. */
static void cert_mixed_psk_and_certificate(void **state) {
  auth_seen request, response;
  peer spoke, hub;
  int spoke_signs;

  (void)state;
  NEED_CERTS();
  for (spoke_signs = 0; spoke_signs <= 1; spoke_signs++) {
    peers_init(&spoke, &hub, 270 + 2 * (uint64_t)spoke_signs);
    if (spoke_signs) {
      use_certs(&spoke, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-p256.pem",
                "spoke-p256.key", NULL);
      spoke.cfg.remote_auth_method = TCPSEC_IKE_AUTH_PSK;
      hub.cfg.remote_auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
      use_certs(&hub, TCPSEC_IKE_AUTH_PSK, NULL, NULL, "roots.pem");
      /* The PSK end verifies the other and needs the clock. */
      spoke.cb.wall_clock = NULL;
    } else {
      use_certs(&hub, TCPSEC_IKE_AUTH_SIGNATURE, "hub-rsa-chain.der",
                "hub-rsa.key", NULL);
      hub.cfg.remote_auth_method = TCPSEC_IKE_AUTH_PSK;
      spoke.cfg.remote_auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
      use_certs(&spoke, TCPSEC_IKE_AUTH_PSK, NULL, NULL, "roots.der");
      hub.cb.wall_clock = NULL;
    }
    establish_seen(&spoke, &hub, &request, &response);
    if (spoke_signs) {
      assert_int_equal(request.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
      assert_int_equal(request.certs, 1);
      assert_int_equal(request.certreqs, 0);
      assert_int_equal(response.method, TCPSEC_IKE_AUTH_SHARED_KEY_MIC);
      assert_int_equal(response.certs, 0);
    } else {
      assert_int_equal(request.method, TCPSEC_IKE_AUTH_SHARED_KEY_MIC);
      assert_int_equal(request.certs, 0);
      assert_int_equal(request.certreqs, 1);
      assert_int_equal(response.method, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE);
      assert_int_equal(response.certs, 2);
    }
    peer_free(&spoke);
    peer_free(&hub);
  }
}

/* The spoke's chain carries the intermediate CA in a second CERT payload;
 * without it the hub, which trusts only the roots, finds no path. */
static void cert_intermediate_in_cert(void **state) {
  auth_seen request, response;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  peers_init(&spoke, &hub, 280);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-rsa-chain.pem",
            "spoke-rsa.key", "hub-p256.pem", "hub-p256.key");
  establish_seen(&spoke, &hub, &request, &response);
  assert_int_equal(request.certs, 2);
  assert_int_equal(response.certs, 1);
  peer_free(&spoke);
  peer_free(&hub);

  peers_init(&spoke, &hub, 282);
  both_sign(&spoke, &hub, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-rsa.pem",
            "spoke-rsa.key", "hub-p256.pem", "hub-p256.key");
  peer_start(&spoke);
  expect_hub_rejects(&spoke, &hub, TCPSEC_ERR_CERT_UNTRUSTED,
                     "does not lead to a trust anchor");
  peer_free(&spoke);
  peer_free(&hub);
}

/* ---- IKE_SA_INIT payloads ----------------------------------------------- */

static void expect_hashes(const tcpsec_ike_msg *msg) {
  const tcpsec_ike_payload *n =
      tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS);

  assert_non_null(n);
  assert_int_equal(n->u.notify.protocol, 0);
  assert_int_equal(n->u.notify.spi_size, 0);
  assert_int_equal(n->u.notify.decoded.hash_alg_count, 3);
  assert_int_equal(tcpsec_ike_notify_hash_alg(&n->u.notify, 0),
                   TCPSEC_IKE_HASH_SHA2_256);
  assert_int_equal(tcpsec_ike_notify_hash_alg(&n->u.notify, 1),
                   TCPSEC_IKE_HASH_SHA2_384);
  assert_int_equal(tcpsec_ike_notify_hash_alg(&n->u.notify, 2),
                   TCPSEC_IKE_HASH_SHA2_512);
}

/* CERTREQ with the SHA-1 of root-rsa's and root-ec's public keys, as
 * openssl computed them. */
static void expect_certreq(const tcpsec_ike_msg *msg) {
  const tcpsec_ike_payload *p =
      tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_CERTREQ, 0);
  const uint8_t *hash;
  size_t len;

  assert_non_null(p);
  assert_int_equal(tcpsec_ike_msg_count_type(msg, TCPSEC_IKE_PT_CERTREQ), 1);
  assert_int_equal(p->u.cert.encoding, TCPSEC_IKE_CERT_X509_SIGNATURE);
  assert_int_equal(p->u.cert.len, 2 * TCPSEC_IKE_CERTREQ_HASH_LEN);
  hash = file("root-rsa.spki-sha1", &len);
  assert_int_equal(len, TCPSEC_IKE_CERTREQ_HASH_LEN);
  assert_memory_equal(p->u.cert.data, hash, len);
  hash = file("root-ec.spki-sha1", &len);
  assert_memory_equal(p->u.cert.data + TCPSEC_IKE_CERTREQ_HASH_LEN, hash,
                      len);
}

static void cert_init_payloads(void **state) {
  const tcpsec_ike_payload *cert;
  const uint8_t *der;
  peer spoke, hub;
  size_t len;
  opened o;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 300, "spoke-p256.pem", "spoke-p256.key");
  peer_start(&spoke);
  o = open_head(&spoke, NULL);
  expect_hashes(o.msg);
  assert_null(tcpsec_ike_msg_find(o.msg, TCPSEC_IKE_PT_CERTREQ, 0));
  close_opened(&o);
  /* --> IKE_SA_INIT { SA, KE, Ni, N(NAT_D_SRC), N(NAT_D_DST), N(FRAG_SUP),
   *                   N(SIG_HASH) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  o = open_head(&hub, NULL);
  expect_hashes(o.msg);
  expect_certreq(o.msg);
  close_opened(&o);
  /* <-- IKE_SA_INIT { SA, KE, Nr, CERTREQ, N(NAT_D_SRC), N(NAT_D_DST),
   *                   N(FRAG_SUP), N(SIG_HASH) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  o = open_head(&spoke, &hub);
  expect_certreq(o.msg);
  cert = tcpsec_ike_msg_find(o.msg, TCPSEC_IKE_PT_CERT, 0);
  assert_non_null(cert);
  assert_int_equal(cert->u.cert.encoding, TCPSEC_IKE_CERT_X509_SIGNATURE);
  der = file("spoke-p256.der", &len);
  assert_int_equal(cert->u.cert.len, len);
  assert_memory_equal(cert->u.cert.data, der, len);
  close_opened(&o);
  /* --> IKE_AUTH SK { IDi, CERT, CERTREQ, AUTH, N(INITIAL_CONTACT), SA,
   *                   TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, CERT, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);

  /* send_certreq 0: no CERTREQ anywhere, authentication still works. */
  p256_pair(&spoke, &hub, 302, "spoke-p256.pem", "spoke-p256.key");
  spoke.cfg.send_certreq = 0;
  hub.cfg.send_certreq = 0;
  peer_start(&spoke);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  o = open_head(&hub, NULL);
  assert_null(tcpsec_ike_msg_find(o.msg, TCPSEC_IKE_PT_CERTREQ, 0));
  close_opened(&o);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  o = open_head(&spoke, &hub);
  assert_null(tcpsec_ike_msg_find(o.msg, TCPSEC_IKE_PT_CERTREQ, 0));
  close_opened(&o);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);

  /* Pre-shared keys only: no SIGNATURE_HASH_ALGORITHMS. */
  peers_init(&spoke, &hub, 304);
  peer_start(&spoke);
  assert_false(head_has_hash_notify(&spoke));
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_false(head_has_hash_notify(&hub));
  peer_free(&spoke);
  peer_free(&hub);
}

/* ---- configuration ------------------------------------------------------ */

/* Create and free an initiator IKE SA of `cfg` in the peer's context. */
static int try_config(peer *p, const tcpsec_ike_config *cfg) {
  tcpsec_ike_sa *sa = NULL;
  int rv = tcpsec_ike_sa_new_initiator(p->ctx, cfg, &p->cb, &sa);

  tcpsec_ike_sa_free(sa);
  return rv;
}

static int try_spoke(peer *spoke) { return try_config(spoke, &spoke->cfg); }

/* A spoke signing with P-256 and verifying the hub; each case changes one
 * thing. */
static void good_spoke(peer *spoke, peer *hub) {
  peers_init(spoke, hub, 400);
  use_certs(spoke, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-p256.pem",
            "spoke-p256.key", "roots.der");
  no_psk(spoke);
}

static void cert_config_errors(void **state) {
  static const uint8_t bad_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                   "bm90IGEgY2VydGlmaWNhdGU=\n"
                                   "-----END CERTIFICATE-----\n";
  static const uint8_t bad_key[] = "-----BEGIN PRIVATE KEY-----\n"
                                   "bm90IGEga2V5\n"
                                   "-----END PRIVATE KEY-----\n";
  static const uint8_t methods[] = {0, 3, 12, 13, 15, 255};
  peer spoke, hub;
  size_t i;

  (void)state;
  NEED_CERTS();
  good_spoke(&spoke, &hub);
  assert_int_equal(try_spoke(&spoke), 0);
  peer_free(&spoke);
  peer_free(&hub);

  /* The private key of another certificate. */
  good_spoke(&spoke, &hub);
  spoke.cfg.private_key = file("hub-p256.key", &spoke.cfg.private_key_len);
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "private key does not belong"));
  peer_free(&spoke);
  peer_free(&hub);

  /* An RSA key for a P-256 certificate. */
  good_spoke(&spoke, &hub);
  spoke.cfg.private_key = file("spoke-rsa.key", &spoke.cfg.private_key_len);
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  peer_free(&spoke);
  peer_free(&hub);

  /* Unparsable PEM certificate, key and trust anchors. */
  good_spoke(&spoke, &hub);
  spoke.cfg.cert_chain = bad_pem;
  spoke.cfg.cert_chain_len = sizeof(bad_pem) - 1;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "cannot be parsed"));
  spoke.cfg.cert_chain = file("spoke-p256.pem", &spoke.cfg.cert_chain_len);
  spoke.cfg.private_key = bad_key;
  spoke.cfg.private_key_len = sizeof(bad_key) - 1;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.private_key = file("spoke-p256.key", &spoke.cfg.private_key_len);
  spoke.cfg.trust_anchors = bad_pem;
  spoke.cfg.trust_anchors_len = sizeof(bad_pem) - 1;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  /* DER with trailing junk. */
  spoke.cfg.trust_anchors = file("roots.der", &spoke.cfg.trust_anchors_len);
  spoke.cfg.trust_anchors_len--;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  peer_free(&spoke);
  peer_free(&hub);

  /* Unknown methods, for either direction. */
  for (i = 0; i < sizeof(methods); i++) {
    good_spoke(&spoke, &hub);
    spoke.cfg.auth_method = methods[i];
    assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
    assert_non_null(strstr(spoke_log.text, "is not supported"));
    spoke.cfg.auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
    spoke.cfg.remote_auth_method = methods[i] == 0 ? 7 : methods[i];
    assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
    peer_free(&spoke);
    peer_free(&hub);
  }

  /* A classic method with another key type. */
  good_spoke(&spoke, &hub);
  spoke.cfg.auth_method = TCPSEC_IKE_AUTH_ECDSA_P384;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.auth_method = TCPSEC_IKE_AUTH_RSA;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.auth_method = TCPSEC_IKE_AUTH_ECDSA_P256;
  assert_int_equal(try_spoke(&spoke), 0);
  peer_free(&spoke);
  peer_free(&hub);

  /* RSA-1024 and Ed25519 keys. */
  good_spoke(&spoke, &hub);
  spoke.cfg.cert_chain = file("spoke-rsa1024.pem", &spoke.cfg.cert_chain_len);
  spoke.cfg.private_key = file("spoke-rsa1024.key",
                               &spoke.cfg.private_key_len);
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.cert_chain = file("spoke-ed25519.pem", &spoke.cfg.cert_chain_len);
  spoke.cfg.private_key = file("spoke-ed25519.key",
                               &spoke.cfg.private_key_len);
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  peer_free(&spoke);
  peer_free(&hub);

  /* Missing pieces: chain, key, trust anchors, and a PSK when one end uses
   * it. */
  good_spoke(&spoke, &hub);
  spoke.cfg.cert_chain = NULL;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.cert_chain = file("spoke-p256.pem", &spoke.cfg.cert_chain_len);
  spoke.cfg.private_key_len = 0;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  spoke.cfg.private_key = file("spoke-p256.key", &spoke.cfg.private_key_len);
  spoke.cfg.trust_anchors = NULL;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "trust anchors"));
  spoke.cfg.remote_auth_method = TCPSEC_IKE_AUTH_PSK;
  assert_int_equal(try_spoke(&spoke), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "pre-shared key missing"));
  spoke.cfg.psk = peer_psk;
  spoke.cfg.psk_len = sizeof(peer_psk) - 1;
  assert_int_equal(try_spoke(&spoke), 0);
  peer_free(&spoke);
  peer_free(&hub);
}

/* ---- shared credentials ------------------------------------------------ */

/* Parse the peer's certificate fields into credentials that its
 * configuration then references instead of the bytes. */
static tcpsec_ike_credentials *share_credentials(peer *p) {
  tcpsec_ike_credentials *cred = NULL;

  assert_int_equal(tcpsec_ike_credentials_new(p->ctx, &p->cfg, &cred), 0);
  assert_non_null(cred);
  p->cfg.credentials = cred;
  p->cfg.cert_chain = NULL;
  p->cfg.cert_chain_len = 0;
  p->cfg.private_key = NULL;
  p->cfg.private_key_len = 0;
  p->cfg.trust_anchors = NULL;
  p->cfg.trust_anchors_len = 0;
  return cred;
}

/* A spoke that signs with P-256 and checks the hub against roots.der. */
static void signing_spoke(peer *spoke, uint64_t seed) {
  peer_init(spoke, "spoke", seed, 0);
  peer_capture(spoke, &spoke_log, seed);
  use_certs(spoke, TCPSEC_IKE_AUTH_SIGNATURE, "spoke-p256.pem",
            "spoke-p256.key", "roots.der");
  no_psk(spoke);
}

/* Three spokes in turn reach one hub whose IKE SAs share one credentials
 * object. Each spoke releases its own reference before IKE_AUTH, so its
 * IKE SA alone keeps the object alive while it signs. */
static void cert_shared_credentials(void **state) {
  tcpsec_ike_sa *hub_sas[3];
  tcpsec_ike_credentials *hub_cred, *spoke_cred;
  auth_seen request, response;
  peer spoke, hub;
  size_t i;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 420, "spoke-p256.pem", "spoke-p256.key");
  hub_cred = share_credentials(&hub);
  for (i = 0; i < 3; i++) {
    if (i > 0)
      signing_spoke(&spoke, 420 + 2 * i);
    spoke_cred = share_credentials(&spoke);
    peer_start(&spoke);
    tcpsec_ike_credentials_free(spoke_cred);
    /* --> IKE_SA_INIT */
    assert_int_equal(peer_deliver(&spoke, &hub), 0);
    /* <-- IKE_SA_INIT { ..., CERTREQ } */
    assert_int_equal(peer_deliver(&hub, &spoke), 0);
    see_auth(&spoke, &hub, &request);
    assert_int_equal(request.certs, 1);
    assert_int_equal(request.certreqs, 1);
    /* --> IKE_AUTH { IDi, CERT, CERTREQ, AUTH, ... } */
    assert_int_equal(peer_deliver(&spoke, &hub), 0);
    see_auth(&hub, &spoke, &response);
    assert_int_equal(response.method, TCPSEC_IKE_AUTH_SIGNATURE);
    assert_int_equal(response.certs, 1);
    /* <-- IKE_AUTH { IDr, CERT, AUTH, ... } */
    assert_int_equal(peer_deliver(&hub, &spoke), 0);
    assert_established_pair(&spoke, &hub);
    esp_both_ways(&spoke, &hub);

    hub_sas[i] = hub.sa;
    hub.sa = NULL;
    hub.established = 0;
    hub.children_installed = 0;
    peer_free(&spoke);
  }
  tcpsec_ike_credentials_free(hub_cred);
  for (i = 0; i < 3; i++) {
    assert_int_equal(tcpsec_ike_sa_state(hub_sas[i]),
                     TCPSEC_IKE_SA_ESTABLISHED);
    tcpsec_ike_sa_free(hub_sas[i]);
  }
  peer_free(&hub);
}

/* Allocations counted through the context's allocator. */
typedef struct alloc_count {
  size_t calls;
} alloc_count;

static void *counted_malloc(size_t size, void *user) {
  ((alloc_count *)user)->calls++;
  return malloc(size);
}

static void *counted_realloc(void *ptr, size_t size, void *user) {
  ((alloc_count *)user)->calls++;
  return realloc(ptr, size);
}

static void counted_free(void *ptr, void *user) {
  (void)user;
  free(ptr);
}

static size_t allocations_of_new_sa(tcpsec_ctx *ctx, alloc_count *count,
                                    const tcpsec_ike_config *cfg,
                                    const tcpsec_ike_callbacks *cb) {
  tcpsec_ike_sa *sa = NULL;
  size_t before = count->calls;

  assert_int_equal(tcpsec_ike_sa_new_initiator(ctx, cfg, cb, &sa), 0);
  tcpsec_ike_sa_free(sa);
  return count->calls - before;
}

/* With shared credentials an IKE SA parses nothing: it allocates no more
 * than one that uses a PSK, and less than one that parses the certificate
 * bytes itself. */
static void cert_shared_credentials_no_parse(void **state) {
  alloc_count count = {0};
  tcpsec_ike_credentials *cred = NULL;
  tcpsec_ike_config with_bytes, with_psk;
  tcpsec_ctx_config ctx_cfg;
  tcpsec_ctx *ctx = NULL;
  size_t shared, parsed, psk;
  peer spoke, hub;
  test_rng rng;

  (void)state;
  NEED_CERTS();
  good_spoke(&spoke, &hub);
  test_rng_seed(&rng, 440);
  tcpsec_ctx_config_default(&ctx_cfg);
  ctx_cfg.random = test_rng_fill;
  ctx_cfg.random_user = &rng;
  ctx_cfg.allocator.malloc_fn = counted_malloc;
  ctx_cfg.allocator.realloc_fn = counted_realloc;
  ctx_cfg.allocator.free_fn = counted_free;
  ctx_cfg.allocator.user = &count;
  assert_int_equal(tcpsec_ctx_new(&ctx_cfg, &ctx), 0);

  with_bytes = spoke.cfg;
  with_psk = spoke.cfg;
  with_psk.auth_method = TCPSEC_IKE_AUTH_PSK;
  with_psk.psk = peer_psk;
  with_psk.psk_len = sizeof(peer_psk) - 1;
  with_psk.cert_chain = NULL;
  with_psk.private_key = NULL;
  with_psk.trust_anchors = NULL;
  assert_int_equal(tcpsec_ike_credentials_new(ctx, &with_bytes, &cred), 0);
  spoke.cfg.credentials = cred;
  spoke.cfg.cert_chain = NULL;
  spoke.cfg.private_key = NULL;
  spoke.cfg.trust_anchors = NULL;

  parsed = allocations_of_new_sa(ctx, &count, &with_bytes, &spoke.cb);
  shared = allocations_of_new_sa(ctx, &count, &spoke.cfg, &spoke.cb);
  psk = allocations_of_new_sa(ctx, &count, &with_psk, &spoke.cb);
  /* The PSK SA allocates one more block: its copy of the key. */
  assert_int_equal(shared + 1, psk);
  assert_true(parsed > psk);

  tcpsec_ike_credentials_free(cred);
  tcpsec_ctx_free(ctx);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Each misuse of credentials gets TCPSEC_ERR_CONFIG or
 * TCPSEC_ERR_INVALID_ARGUMENT and its own log line. */
static void cert_shared_credentials_errors(void **state) {
  tcpsec_ike_credentials *cred = NULL, *trust_only = NULL, *foreign = NULL;
  tcpsec_ike_config cfg;
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  good_spoke(&spoke, &hub);

  /* Arguments and the size field. */
  assert_int_equal(tcpsec_ike_credentials_new(NULL, &spoke.cfg, &cred),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, NULL, &cred),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &spoke.cfg, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  cfg = spoke.cfg;
  cfg.size = 0;
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(cred);
  tcpsec_ike_credentials_free(NULL);

  /* Nothing to parse, a chain without its key, a key without its chain,
   * and the key of another certificate. */
  tcpsec_ike_config_default(&cfg);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred),
                   TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "credentials need cert_chain"));
  cfg.cert_chain = file("spoke-p256.pem", &cfg.cert_chain_len);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred),
                   TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "private_key missing for"));
  cfg.private_key = file("spoke-p256.key", &cfg.private_key_len);
  cfg.cert_chain = NULL;
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred),
                   TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "cert_chain missing for"));
  cfg.cert_chain = file("spoke-p256.pem", &cfg.cert_chain_len);
  cfg.private_key = file("hub-p256.key", &cfg.private_key_len);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred),
                   TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "private key does not belong"));
  assert_null(cred);

  /* Trust anchors alone serve a verifying end, not a signing one. */
  tcpsec_ike_config_default(&cfg);
  cfg.trust_anchors = file("roots.der", &cfg.trust_anchors_len);
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &trust_only),
                   0);
  cfg = spoke.cfg;
  cfg.cert_chain = NULL;
  cfg.private_key = NULL;
  cfg.trust_anchors = NULL;
  cfg.credentials = trust_only;
  assert_int_equal(try_config(&spoke, &cfg), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "without a certificate chain"));
  cfg.auth_method = TCPSEC_IKE_AUTH_PSK;
  cfg.psk = peer_psk;
  cfg.psk_len = sizeof(peer_psk) - 1;
  assert_int_equal(try_config(&spoke, &cfg), 0);

  /* A chain and key alone do not serve a verifying end. */
  cfg = spoke.cfg;
  cfg.trust_anchors = NULL;
  assert_int_equal(tcpsec_ike_credentials_new(spoke.ctx, &cfg, &cred), 0);
  cfg.cert_chain = NULL;
  cfg.private_key = NULL;
  cfg.credentials = cred;
  assert_int_equal(try_config(&spoke, &cfg), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "without trust anchors"));
  cfg.remote_auth_method = TCPSEC_IKE_AUTH_PSK;
  cfg.psk = peer_psk;
  cfg.psk_len = sizeof(peer_psk) - 1;
  assert_int_equal(try_config(&spoke, &cfg), 0);
  /* A classic method of another key type. */
  cfg.auth_method = TCPSEC_IKE_AUTH_ECDSA_P384;
  assert_int_equal(try_config(&spoke, &cfg), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "needs an ECDSA P-384 key"));
  cfg.auth_method = TCPSEC_IKE_AUTH_ECDSA_P256;
  assert_int_equal(try_config(&spoke, &cfg), 0);
  /* Credentials and certificate bytes together. */
  cfg.cert_chain = file("spoke-p256.pem", &cfg.cert_chain_len);
  assert_int_equal(try_config(&spoke, &cfg), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(spoke_log.text, "set one or the other"));
  cfg.cert_chain = NULL;

  /* Credentials of another context. */
  assert_int_equal(tcpsec_ike_credentials_new(hub.ctx, &spoke.cfg, &foreign),
                   0);
  cfg.credentials = foreign;
  assert_int_equal(try_config(&spoke, &cfg), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(spoke_log.text, "another library context"));

  tcpsec_ike_credentials_free(foreign);
  tcpsec_ike_credentials_free(cred);
  tcpsec_ike_credentials_free(trust_only);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Without a wall clock the certificates of the peer cannot be dated: the
 * initiator fails at once and the responder creates no IKE SA. */
static void cert_config_wall_clock_required(void **state) {
  peer spoke, hub;

  (void)state;
  NEED_CERTS();
  p256_pair(&spoke, &hub, 410, "spoke-p256.pem", "spoke-p256.key");
  spoke.cb.wall_clock = NULL;
  assert_int_equal(tcpsec_ike_sa_new_initiator(spoke.ctx, &spoke.cfg,
                                               &spoke.cb, &spoke.sa),
                   0);
  assert_int_equal(tcpsec_ike_sa_initiate(spoke.sa, test_now),
                   TCPSEC_ERR_CONFIG);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_CONFIG);
  assert_int_equal(spoke.out_count, 0);
  assert_non_null(strstr(spoke_log.text, "wall_clock"));
  peer_free(&spoke);
  peer_free(&hub);

  p256_pair(&spoke, &hub, 412, "spoke-p256.pem", "spoke-p256.key");
  hub.cb.wall_clock = NULL;
  peer_start(&spoke);
  /* --> IKE_SA_INIT, dropped by a responder that cannot date certificates */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_CONFIG);
  assert_null(hub.sa);
  assert_int_equal(hub.out_count, 0);
  peer_free(&spoke);
  peer_free(&hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cert_rsa_pss),
      cmocka_unit_test(cert_rsa_pkcs1_method14),
      cmocka_unit_test(cert_rsa_method1),
      cmocka_unit_test(cert_ecdsa_p256_method14),
      cmocka_unit_test(cert_ecdsa_p256_method9),
      cmocka_unit_test(cert_ecdsa_p384_method10),
      cmocka_unit_test(cert_method14_falls_back),
      cmocka_unit_test(cert_mixed_psk_and_certificate),
      cmocka_unit_test(cert_intermediate_in_cert),
      cmocka_unit_test(cert_init_payloads),
      cmocka_unit_test(cert_fail_expired),
      cmocka_unit_test(cert_fail_untrusted_issuer),
      cmocka_unit_test(cert_fail_identity_mismatch),
      cmocka_unit_test(cert_fail_unsupported_key),
      cmocka_unit_test(cert_fail_signature_request),
      cmocka_unit_test(cert_fail_signature_response),
      cmocka_unit_test(cert_fail_sha1_rejected),
      cmocka_unit_test(cert_fail_revoked),
      cmocka_unit_test(cert_config_errors),
      cmocka_unit_test(cert_config_wall_clock_required),
      cmocka_unit_test(cert_shared_credentials),
      cmocka_unit_test(cert_shared_credentials_no_parse),
      cmocka_unit_test(cert_shared_credentials_errors),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
