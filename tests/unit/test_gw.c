/* Gateway API: configuration checks, misuse and bad input, the timer heap,
 * the IKE SPI map, the TCP reconnect backoff, certificate settings and
 * the identity text of the status. The exchanges themselves run in
 * tests/sim.
 *
 * The certificate tests make a P-256 CA, an end-entity certificate with
 * subjectAltName DNS:spoke.example.net and a second key with the openssl
 * command in a temporary folder. Without openssl they are skipped with
 * "skipped: openssl is not installed". */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "tcpsec/gw.h"
#include "gw/gw_internal.h"
#include "ike/auth_sig.h"

static const uint8_t psk[] = "unit test pre-shared key";

static int noop_send(void *user, const tcpsec_ike_endpoint *local,
                     const tcpsec_ike_endpoint *remote, const uint8_t *data,
                     size_t len) {
  (void)user;
  (void)local;
  (void)remote;
  (void)data;
  (void)len;
  return 0;
}

static void ts_any(tcpsec_ike_traffic_selector *ts) {
  memset(ts, 0, sizeof(*ts));
  ts->family = 4;
  ts->end_port = 65535;
  memset(ts->end_addr, 0xff, 4);
}

static void ep4(tcpsec_ike_endpoint *ep, uint8_t a, uint8_t b, uint8_t c,
                uint8_t d, uint16_t port) {
  memset(ep, 0, sizeof(*ep));
  ep->family = 4;
  ep->port = port;
  ep->addr[0] = a;
  ep->addr[1] = b;
  ep->addr[2] = c;
  ep->addr[3] = d;
}

struct fixture {
  test_rng rng;
  tcpsec_ctx *ctx;
  tcpsec_gw *gw;
  tcpsec_ike_traffic_selector ts;
  tcpsec_gw_tunnel_config t;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof(*f));
  tcpsec_gw_callbacks cb;

  f->ctx = test_ctx_new(&f->rng, 11);
  tcpsec_gw_callbacks_default(&cb);
  cb.udp_send = noop_send;
  if (f->ctx == NULL || tcpsec_gw_new(f->ctx, NULL, &cb, &f->gw) != 0)
    return -1;
  ts_any(&f->ts);
  tcpsec_gw_tunnel_config_default(&f->t);
  f->t.name = "spoke";
  f->t.psk = psk;
  f->t.psk_len = sizeof(psk) - 1;
  ep4(&f->t.local, 198, 51, 100, 41, 0);
  ep4(&f->t.remote_gw, 203, 0, 113, 249, 0);
  f->t.local_ts = &f->ts;
  f->t.local_ts_count = 1;
  f->t.remote_ts = &f->ts;
  f->t.remote_ts_count = 1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;

  tcpsec_gw_free(f->gw);
  tcpsec_ctx_free(f->ctx);
  free(f);
  return 0;
}

static void defaults_match_fortios(void **state) {
  tcpsec_gw_tunnel_config t;

  (void)state;
  tcpsec_gw_tunnel_config_default(&t);
  assert_int_equal(t.size, sizeof(t));
  assert_int_equal(t.tcp_port, 4500);
  assert_int_equal(t.auto_transport_threshold_ms, 15000);
  assert_int_equal(t.replay_window, 2048);
  assert_int_equal(t.nat_keepalive_ms, 20000);
  assert_int_equal(t.segment_placement, TCPSEC_SEGMENT_BEHIND);
  assert_int_equal(t.rekey, 1);
  assert_int_equal(t.rekey_jitter_percent, 10);
  assert_int_equal(t.rekey_grace_ms, 30000);
  assert_int_equal(t.ike_rekey_ms, 0);
  assert_int_equal(t.child_rekey_ms, 0);
  assert_int_equal(t.tcp_reconnect_ms, 1000);
  assert_int_equal(t.tcp_reconnect_max_ms, 30000);
  assert_int_equal(t.auth_method, TCPSEC_IKE_AUTH_PSK);
  assert_int_equal(t.remote_auth_method, 0);
  assert_int_equal(t.send_certreq, 1);
  assert_int_equal(t.rsa_pss, 1);
  assert_null(t.cert_revoked);
}

static void add_tunnel_accepts_valid(void **state) {
  struct fixture *f = *state;

  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), 0);
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), TCPSEC_ERR_EXISTS);
}

static void add_tunnel_rejects_bad_config(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;

  t = f->t;
  t.psk = NULL;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.name = "";
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.name = "a-name-that-is-much-longer-than-thirty-five-characters";
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  memset(&t.remote_gw, 0, sizeof(t.remote_gw));
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.transport = 9;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.type = TCPSEC_GW_DYNAMIC;
  t.transport = TCPSEC_GW_TRANSPORT_AUTO;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.local_ts_count = 0;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.ike_proposals = "aes128-sha256 aes999-sha1";
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  t = f->t;
  t.esp_proposals = "aes128gcm bogus";
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  t = f->t;
  t.size = 0;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_gw_instance_count(f->gw), 0);
}

static void add_tunnel_rejects_bad_lifetimes(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;

  t = f->t;
  t.rekey_jitter_percent = 51;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.ike_lifetime_ms = 60000;
  t.ike_rekey_ms = 60000;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.child_lifetime_ms = 30000;
  t.child_rekey_ms = 40000;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.child_lifetime_bytes = 1000000;
  t.child_rekey_bytes = 1000000;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.child_lifetime_packets = 1000;
  t.child_rekey_packets = 2000;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.tcp_reconnect_ms = 0;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.tcp_reconnect_ms = 5000;
  t.tcp_reconnect_max_ms = 4000;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_int_equal(tcpsec_gw_instance_count(f->gw), 0);

  /* Soft below hard, and a soft value without a hard one, are fine. */
  t = f->t;
  t.ike_lifetime_ms = 60000;
  t.ike_rekey_ms = 45000;
  t.child_lifetime_ms = 30000;
  t.child_rekey_ms = 20000;
  t.child_rekey_bytes = 1000000;
  t.rekey_jitter_percent = 50;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), 0);
}

/* A caller built against the struct before the rekey fields gets their
 * defaults. */
static void add_tunnel_old_struct_size(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;
  struct gw_tunnel *added;

  t = f->t;
  t.size = offsetof(tcpsec_gw_tunnel_config, rekey);
  t.rekey = 0;
  t.rekey_jitter_percent = 99;
  t.tcp_reconnect_max_ms = 1;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), 0);
  added = f->gw->tunnels[0];
  assert_int_equal(added->cfg.size, sizeof(tcpsec_gw_tunnel_config));
  assert_int_equal(added->cfg.rekey, 1);
  assert_int_equal(added->cfg.rekey_jitter_percent, 10);
  assert_int_equal(added->cfg.rekey_grace_ms, 30000);
  assert_int_equal(added->cfg.tcp_reconnect_max_ms, 30000);
}

/* A caller built before the certificate fields gets a PSK tunnel. */
static void add_tunnel_struct_before_certificates(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;
  struct gw_tunnel *added;

  t = f->t;
  t.size = offsetof(tcpsec_gw_tunnel_config, auth_method);
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), 0);
  added = f->gw->tunnels[0];
  assert_int_equal(added->cfg.auth_method, TCPSEC_IKE_AUTH_PSK);
  assert_int_equal(added->local_method, TCPSEC_IKE_AUTH_PSK);
  assert_int_equal(added->remote_method, TCPSEC_IKE_AUTH_PSK);
  assert_int_equal(added->cfg.send_certreq, 1);
  assert_null(added->cred);
  assert_null(added->cfg.cert_chain);
  assert_null(added->cfg.private_key);
  assert_null(added->cfg.trust_anchors);
  assert_non_null(added->psk);
}

/* ---- certificates ------------------------------------------------------- */

static const char make_certs_script[] =
    "set -e\n"
    "openssl req -x509 -new -nodes -newkey ec -pkeyopt "
    "ec_paramgen_curve:P-256 \\\n"
    "  -keyout ca.key -out ca.pem -subj '/O=tcpsec unit/CN=CA' -days 3650 "
    "\\\n"
    "  -addext basicConstraints=critical,CA:TRUE \\\n"
    "  -addext keyUsage=critical,keyCertSign,cRLSign\n"
    "printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature"
    "\\nsubjectAltName=DNS:spoke.example.net\\n' > ee.ext\n"
    "openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
    "\\\n"
    "  -keyout spoke.key -out spoke.csr -subj '/O=tcpsec unit/CN=spoke'\n"
    "openssl x509 -req -in spoke.csr -CA ca.pem -CAkey ca.key "
    "-CAcreateserial \\\n"
    "  -out spoke.pem -days 3650 -sha256 -extfile ee.ext\n"
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
    "-out other.key\n";

static char cert_dir[64];
static uint8_t *ca_pem, *spoke_pem, *spoke_key, *other_key;
static size_t ca_pem_len, spoke_pem_len, spoke_key_len, other_key_len;

static uint8_t *read_cert_file(const char *name, size_t *len) {
  char path[128];

  snprintf(path, sizeof(path), "%s/%s", cert_dir, name);
  return test_read_file(path, len);
}

static int certs_setup(void **state) {
  char path[128], command[256];
  FILE *out;

  (void)state;
  if (system("openssl version >/dev/null 2>&1") != 0) {
    printf("skipped: openssl is not installed\n");
    return 0;
  }
  snprintf(cert_dir, sizeof(cert_dir), "/tmp/tcpsec-gw-cert-XXXXXX");
  if (mkdtemp(cert_dir) == NULL)
    return -1;
  snprintf(path, sizeof(path), "%s/make.sh", cert_dir);
  out = fopen(path, "w");
  if (out == NULL)
    return -1;
  fputs(make_certs_script, out);
  fclose(out);
  snprintf(command, sizeof(command),
           "cd '%s' && sh make.sh >make.log 2>&1", cert_dir);
  if (system(command) != 0) {
    printf("openssl failed to make the test certificates, see %s/make.log\n",
           cert_dir);
    return -1;
  }
  ca_pem = read_cert_file("ca.pem", &ca_pem_len);
  spoke_pem = read_cert_file("spoke.pem", &spoke_pem_len);
  spoke_key = read_cert_file("spoke.key", &spoke_key_len);
  other_key = read_cert_file("other.key", &other_key_len);
  return ca_pem && spoke_pem && spoke_key && other_key ? 0 : -1;
}

static int certs_teardown(void **state) {
  char command[128];

  (void)state;
  free(ca_pem);
  free(spoke_pem);
  free(spoke_key);
  free(other_key);
  if (cert_dir[0] != '\0') {
    snprintf(command, sizeof(command), "rm -rf '%s'", cert_dir);
    if (system(command) != 0)
      printf("could not remove %s\n", cert_dir);
  }
  return 0;
}

/* Log lines of the certificate fixture's context, to check the messages
 * the gateway logs when it rejects a tunnel. */
static char log_text[8192];
static size_t log_len;

static void capture_log(void *user, tcpsec_log_level level,
                        const char *subsystem, const char *message) {
  size_t n = strlen(message);

  (void)user;
  (void)level;
  (void)subsystem;
  if (log_len + n + 2 > sizeof(log_text))
    return;
  memcpy(log_text + log_len, message, n);
  log_len += n;
  log_text[log_len++] = '\n';
  log_text[log_len] = '\0';
}

static uint64_t fixed_wall_clock(void *user) {
  (void)user;
  return 1900000000u; /* 2030-03-17, inside the certificates' validity */
}

/* A gateway with a wall clock and a captured log, and a spoke tunnel that
 * signs with the test certificate and expects the CA's signatures. */
static int setup_cert(void **state) {
  struct fixture *f = calloc(1, sizeof(*f));
  tcpsec_gw_callbacks cb;
  tcpsec_ctx_config cfg;
  static const char id[] = "spoke.example.net";

  test_rng_seed(&f->rng, 13);
  tcpsec_ctx_config_default(&cfg);
  cfg.random = test_rng_fill;
  cfg.random_user = &f->rng;
  cfg.log = capture_log;
  cfg.log_level = TCPSEC_LOG_INFO;
  log_len = 0;
  log_text[0] = '\0';
  if (tcpsec_ctx_new(&cfg, &f->ctx) != 0)
    return -1;
  tcpsec_gw_callbacks_default(&cb);
  cb.udp_send = noop_send;
  cb.wall_clock = fixed_wall_clock;
  if (tcpsec_gw_new(f->ctx, NULL, &cb, &f->gw) != 0)
    return -1;
  ts_any(&f->ts);
  tcpsec_gw_tunnel_config_default(&f->t);
  f->t.name = "spoke";
  ep4(&f->t.local, 198, 51, 100, 41, 0);
  ep4(&f->t.remote_gw, 203, 0, 113, 249, 0);
  f->t.local_ts = &f->ts;
  f->t.local_ts_count = 1;
  f->t.remote_ts = &f->ts;
  f->t.remote_ts_count = 1;
  f->t.auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
  f->t.local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  f->t.local_id.data = (const uint8_t *)id;
  f->t.local_id.len = sizeof(id) - 1;
  f->t.cert_chain = spoke_pem;
  f->t.cert_chain_len = spoke_pem_len;
  f->t.private_key = spoke_key;
  f->t.private_key_len = spoke_key_len;
  f->t.trust_anchors = ca_pem;
  f->t.trust_anchors_len = ca_pem_len;
  *state = f;
  return 0;
}

#define NEED_CERTS()                                                         \
  do {                                                                       \
    if (ca_pem == NULL)                                                      \
      skip();                                                                \
  } while (0)

/* The fields each direction's method needs, checked before anything is
 * parsed. */
static void cert_tunnel_needs_its_parts(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;

  t = f->t;
  t.auth_method = 3;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "authentication method must be"));
  t = f->t;
  t.remote_auth_method = 7;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.cert_chain = NULL;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "a certificate is required"));
  t = f->t;
  t.private_key_len = 0;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "a private key is required"));
  t = f->t;
  t.trust_anchors = NULL;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "trust anchors"));
  /* This side uses a PSK, the peer signs: both a PSK and anchors. */
  t = f->t;
  t.auth_method = TCPSEC_IKE_AUTH_PSK;
  t.remote_auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "a pre-shared key is required"));
  assert_int_equal(f->gw->tunnel_count, 0);
}

/* Without a wall_clock callback no tunnel may expect signatures; a tunnel
 * that only signs itself (the peer uses the PSK) is fine. */
static void cert_tunnel_needs_wall_clock(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;

  NEED_CERTS();
  tcpsec_gw_free(f->gw);
  f->gw = NULL;
  {
    tcpsec_gw_callbacks cb;

    tcpsec_gw_callbacks_default(&cb);
    assert_null(cb.wall_clock);
    cb.udp_send = noop_send;
    assert_int_equal(tcpsec_gw_new(f->ctx, NULL, &cb, &f->gw), 0);
  }
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "no wall_clock callback"));
  assert_non_null(strstr(log_text, "tunnel \"spoke\""));

  t = f->t;
  t.remote_auth_method = TCPSEC_IKE_AUTH_PSK;
  t.psk = psk;
  t.psk_len = sizeof(psk) - 1;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), 0);
}

/* Certificates and the key are parsed when the tunnel is added into
 * credentials that its IKE SAs share; the tunnel keeps no bytes. */
static void cert_tunnel_parsed_when_added(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_tunnel_config t;
  struct gw_tunnel *added;
  uint8_t chain[4096], junk[64];

  NEED_CERTS();
  assert_true(spoke_pem_len <= sizeof(chain));
  memcpy(chain, spoke_pem, spoke_pem_len);
  t = f->t;
  t.cert_chain = chain;
  t.psk = psk; /* not used by either direction: not kept */
  t.psk_len = sizeof(psk) - 1;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), 0);
  memset(chain, 0, sizeof(chain));
  added = f->gw->tunnels[0];
  assert_int_equal(added->local_method, TCPSEC_IKE_AUTH_SIGNATURE);
  assert_int_equal(added->remote_method, TCPSEC_IKE_AUTH_SIGNATURE);
  assert_non_null(added->cred);
  assert_non_null(added->cred->chain);
  assert_non_null(added->cred->key);
  assert_non_null(added->cred->trust);
  assert_int_equal(added->cred->refs, 1);
  assert_null(added->cfg.cert_chain);
  assert_int_equal(added->cfg.cert_chain_len, 0);
  assert_null(added->cfg.private_key);
  assert_int_equal(added->cfg.private_key_len, 0);
  assert_null(added->cfg.trust_anchors);
  assert_int_equal(added->cfg.trust_anchors_len, 0);
  assert_null(added->psk);
  assert_int_equal(added->cfg.psk_len, 0);
  /* The configured tunnel starts an IKE SA, which references the tunnel's
   * credentials. */
  assert_int_equal(tcpsec_gw_start(f->gw, 1000), 0);
  assert_int_equal(tcpsec_gw_instance_count(f->gw), 1);
  assert_int_equal(added->cred->refs, 2);

  memset(junk, 'x', sizeof(junk));
  t = f->t;
  t.name = "bad-chain";
  t.cert_chain = junk;
  t.cert_chain_len = sizeof(junk);
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "tunnel \"bad-chain\": certificate"));
  t = f->t;
  t.name = "bad-anchors";
  t.trust_anchors = junk;
  t.trust_anchors_len = sizeof(junk);
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  t = f->t;
  t.name = "wrong-key";
  t.private_key = other_key;
  t.private_key_len = other_key_len;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(log_text, "does not belong"));
  /* An RSA method with an ECDSA key. */
  t = f->t;
  t.name = "wrong-method";
  t.auth_method = TCPSEC_IKE_AUTH_RSA;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &t), TCPSEC_ERR_CONFIG);
  assert_non_null(
      strstr(log_text, "tunnel \"wrong-method\": authentication settings"));
  assert_int_equal(f->gw->tunnel_count, 1);
}

/* Identity text in the status: each ID type, a DN with known and unknown
 * attribute types, and input that does not parse. */
static void identity_text(void **state) {
  static const uint8_t v4[] = {192, 0, 2, 7};
  static const uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                               0,    0,    0,    0,    0, 0, 0, 1};
  static const uint8_t fqdn[] = {'h', 'u', 'b', 0x01, '.', 'n', 'e', 't'};
  /* C=DE, O=Example, 2.5.4.99=x, CN=spoke */
  static const uint8_t dn[] = {
      0x30, 0x3b, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06,
      0x13, 0x02, 'D',  'E',  0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55,
      0x04, 0x0a, 0x0c, 0x07, 'E',  'x',  'a',  'm',  'p',  'l',  'e',
      0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x63, 0x0c, 0x01,
      'x',  0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
      0x05, 's',  'p',  'o',  'k',  'e'};
  static const uint8_t key_id[] = {0xde, 0xad, 0x01};
  uint8_t bad[sizeof(dn)];
  char out[128], small[8];

  (void)state;
  gw_identity_format(TCPSEC_IKE_ID_TYPE_IPV4_ADDR, v4, sizeof(v4), out,
                     sizeof(out));
  assert_string_equal(out, "192.0.2.7");
  gw_identity_format(TCPSEC_IKE_ID_TYPE_IPV6_ADDR, v6, sizeof(v6), out,
                     sizeof(out));
  assert_string_equal(out, "2001:db8:0:0:0:0:0:1");
  gw_identity_format(TCPSEC_IKE_ID_TYPE_FQDN, fqdn, sizeof(fqdn), out,
                     sizeof(out));
  assert_string_equal(out, "hub?.net");
  gw_identity_format(TCPSEC_IKE_ID_TYPE_DER_ASN1_DN, dn, sizeof(dn), out,
                     sizeof(out));
  assert_string_equal(out, "C=DE, O=Example, 2.5.4.99=x, CN=spoke");
  gw_identity_format(TCPSEC_IKE_ID_TYPE_KEY_ID, key_id, sizeof(key_id), out,
                     sizeof(out));
  assert_string_equal(out, "keyid:dead01");
  gw_identity_format(TCPSEC_IKE_ID_TYPE_IPV4_ADDR, v4, 3, out, sizeof(out));
  assert_string_equal(out, "(ID type 1, 3 bytes)");

  /* One byte short, a SET length that does not fit its contents, a
   * SEQUENCE where a SET belongs. */
  gw_identity_format(TCPSEC_IKE_ID_TYPE_DER_ASN1_DN, dn, sizeof(dn) - 1, out,
                     sizeof(out));
  assert_string_equal(out, "(ID type 9, 60 bytes)");
  memcpy(bad, dn, sizeof(dn));
  bad[3] = 0x30;
  gw_identity_format(TCPSEC_IKE_ID_TYPE_DER_ASN1_DN, bad, sizeof(bad), out,
                     sizeof(out));
  assert_string_equal(out, "(ID type 9, 61 bytes)");
  memcpy(bad, dn, sizeof(dn));
  bad[2] = 0x30;
  gw_identity_format(TCPSEC_IKE_ID_TYPE_DER_ASN1_DN, bad, sizeof(bad), out,
                     sizeof(out));
  assert_string_equal(out, "(ID type 9, 61 bytes)");

  /* Cut to the buffer, still terminated. */
  gw_identity_format(TCPSEC_IKE_ID_TYPE_DER_ASN1_DN, dn, sizeof(dn), small,
                     sizeof(small));
  assert_string_equal(small, "C=DE, O");
}

/* A fresh instance shows no peer identity, method or error. */
static void status_before_authentication(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_ike_status st;

  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), 0);
  assert_int_equal(tcpsec_gw_start(f->gw, 1000), 0);
  memset(&st, 0xee, sizeof(st));
  st.size = sizeof(st);
  assert_int_equal(tcpsec_gw_get_ike_status(f->gw, 0, 1000, &st), 0);
  assert_string_equal(st.peer_id, "");
  assert_int_equal(st.peer_id_type, 0);
  assert_int_equal(st.peer_auth_method, 0);
  assert_int_equal(st.last_error, 0);
}

static void unknown_connections_rejected(void **state) {
  struct fixture *f = *state;
  tcpsec_ike_endpoint a, b;
  uint8_t data[4] = {0};

  ep4(&a, 203, 0, 113, 249, 1443);
  ep4(&b, 203, 0, 113, 3, 7782);
  assert_int_equal(tcpsec_gw_tcp_input(f->gw, 42, data, sizeof(data), 0),
                   TCPSEC_ERR_UNKNOWN_CONNECTION);
  assert_int_equal(tcpsec_gw_tcp_closed(f->gw, 42, 0),
                   TCPSEC_ERR_UNKNOWN_CONNECTION);
  assert_int_equal(tcpsec_gw_tcp_connected(f->gw, 42, &a, &b, 0),
                   TCPSEC_ERR_UNKNOWN_CONNECTION);
  assert_int_equal(tcpsec_gw_tcp_connected(f->gw, 0, &a, &b, 0),
                   TCPSEC_ERR_UNKNOWN_CONNECTION);
}

static void bad_stream_closes_connection(void **state) {
  struct fixture *f = *state;
  tcpsec_ike_endpoint a, b;
  tcpsec_gw_conn conn = 0;
  static const uint8_t not_iketcp[] = "GET / HTTP/1.1\r\n";

  ep4(&a, 203, 0, 113, 249, 1443);
  ep4(&b, 203, 0, 113, 3, 7782);
  assert_int_equal(tcpsec_gw_tcp_accept(f->gw, &a, &b, 0, &conn), 0);
  assert_int_not_equal(conn, 0);
  assert_int_equal(tcpsec_gw_tcp_input(f->gw, conn, not_iketcp,
                                       sizeof(not_iketcp) - 1, 0),
                   TCPSEC_ERR_STREAM_BAD_PREFIX);
  /* The handle is gone after the gateway closed it. */
  assert_int_equal(tcpsec_gw_tcp_input(f->gw, conn, not_iketcp, 1, 0),
                   TCPSEC_ERR_UNKNOWN_CONNECTION);
}

static void read_stats(struct fixture *f, tcpsec_gw_stats *stats) {
  memset(stats, 0, sizeof(*stats));
  stats->size = sizeof(*stats);
  assert_int_equal(tcpsec_gw_get_stats(f->gw, stats), 0);
}

static void bad_udp_input_dropped(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_stats stats;
  tcpsec_ike_endpoint local, remote;
  uint8_t junk[64];

  ep4(&local, 198, 51, 100, 41, 4500);
  ep4(&remote, 203, 0, 113, 249, 4500);
  memset(junk, 0xab, sizeof(junk));
  /* ESP for an SPI that no SA has. */
  assert_int_equal(tcpsec_gw_udp_input(f->gw, &local, &remote, junk,
                                       sizeof(junk), 0),
                   TCPSEC_ERR_ESP_UNKNOWN_SPI);
  /* Three bytes on 4500: neither keepalive nor marker. */
  assert_int_equal(tcpsec_gw_udp_input(f->gw, &local, &remote, junk, 3, 0),
                   TCPSEC_ERR_BAD_MARKER);
  /* An IKE response for an IKE SA that does not exist: the non-ESP
   * marker, then a 60-byte IKE_SA_INIT response header and body. */
  memset(junk, 0, sizeof(junk));
  junk[4] = 1;     /* initiator SPI */
  junk[21] = 0x20; /* version 2.0 */
  junk[22] = 34;   /* IKE_SA_INIT */
  junk[23] = 0x20; /* response */
  junk[31] = 60;   /* length */
  assert_int_equal(tcpsec_gw_udp_input(f->gw, &local, &remote, junk, 64, 0),
                   TCPSEC_ERR_INVALID_IKE_SPI);
  assert_int_equal(tcpsec_gw_udp_input(f->gw, NULL, &remote, junk, 64, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  /* The first three count as packets of no tunnel; the call with a NULL
   * address is rejected before its packet is read. */
  read_stats(f, &stats);
  assert_int_equal(stats.drops_unknown, 3);
  assert_int_equal(stats.drops_no_policy, 0);
  assert_int_equal(stats.drops_tunnel_down, 0);
}

static void send_packet_checks_buffer(void **state) {
  struct fixture *f = *state;
  uint8_t buf[256];

  memset(buf, 0, sizeof(buf));
  buf[TCPSEC_GW_HEADROOM] = 0x45;
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, 10, 20, sizeof(buf), 0),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, TCPSEC_GW_HEADROOM, 200,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, NULL, TCPSEC_GW_HEADROOM, 20,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

/* Write a UDP packet from `src`.5 to `dst`.5 (both /24 prefixes) after
 * TCPSEC_GW_HEADROOM bytes of the 256-byte `buf`. */
static void udp_packet(uint8_t *buf, const uint8_t src[3],
                       const uint8_t dst[3]) {
  uint8_t *p = buf + TCPSEC_GW_HEADROOM;

  memset(buf, 0, 256);
  p[0] = 0x45;
  p[3] = 28;
  p[8] = 64;
  p[9] = 17;
  memcpy(p + 12, src, 3);
  p[15] = 5;
  memcpy(p + 16, dst, 3);
  p[19] = 5;
  p[25] = 8;
}

static void send_packet_without_tunnel(void **state) {
  static const uint8_t spoke_lan[3] = {192, 168, 111};
  static const uint8_t hub_lan[3] = {10, 88, 0};
  struct fixture *f = *state;
  tcpsec_gw_stats stats;
  uint8_t buf[256];

  udp_packet(buf, spoke_lan, hub_lan);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, TCPSEC_GW_HEADROOM, 28,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_NO_POLICY);
  read_stats(f, &stats);
  assert_int_equal(stats.drops_no_policy, 1);
  assert_int_equal(stats.drops_tunnel_down, 0);
}

/* A packet in a tunnel's subnets before its Child SA exists is dropped as
 * TUNNEL_DOWN; one outside every tunnel's subnets as NO_POLICY. */
static void send_packet_before_tunnel_up(void **state) {
  static const uint8_t spoke_lan[3] = {192, 168, 111};
  static const uint8_t hub_lan[3] = {10, 88, 0};
  static const uint8_t other_lan[3] = {172, 16, 9};
  struct fixture *f = *state;
  tcpsec_ike_traffic_selector local, remote;
  tcpsec_gw_stats stats;
  uint8_t buf[256];

  local = f->ts;
  memcpy(local.start_addr, spoke_lan, 3);
  memcpy(local.end_addr, spoke_lan, 3);
  local.start_addr[3] = 0;
  local.end_addr[3] = 255;
  remote = local;
  memcpy(remote.start_addr, hub_lan, 3);
  memcpy(remote.end_addr, hub_lan, 3);
  f->t.local_ts = &local;
  f->t.remote_ts = &remote;
  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), 0);
  assert_int_equal(tcpsec_gw_start(f->gw, 0), 0);

  udp_packet(buf, spoke_lan, hub_lan);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, TCPSEC_GW_HEADROOM, 28,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_TUNNEL_DOWN);
  /* The reverse direction is not in the tunnel's subnets. */
  udp_packet(buf, hub_lan, spoke_lan);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, TCPSEC_GW_HEADROOM, 28,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_NO_POLICY);
  udp_packet(buf, other_lan, hub_lan);
  assert_int_equal(tcpsec_gw_send_packet(f->gw, buf, TCPSEC_GW_HEADROOM, 28,
                                         sizeof(buf), 0),
                   TCPSEC_ERR_NO_POLICY);
  read_stats(f, &stats);
  assert_int_equal(stats.drops_tunnel_down, 1);
  assert_int_equal(stats.drops_no_policy, 2);
  assert_int_equal(stats.drops_unknown, 0);

  /* A caller's struct that ends after drops_no_policy gets only that. */
  memset(&stats, 0xee, sizeof(stats));
  stats.size = offsetof(tcpsec_gw_stats, drops_tunnel_down);
  assert_int_equal(tcpsec_gw_get_stats(f->gw, &stats), 0);
  assert_int_equal(stats.drops_no_policy, 2);
  assert_int_equal(stats.drops_tunnel_down, 0xeeeeeeeeeeeeeeeeull);
  stats.size = 0;
  assert_int_equal(tcpsec_gw_get_stats(f->gw, &stats),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_gw_get_stats(NULL, &stats),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void status_of_missing_instance(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_ike_status st;
  tcpsec_gw_child_status cs;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  memset(&cs, 0, sizeof(cs));
  cs.size = sizeof(cs);
  assert_int_equal(tcpsec_gw_get_ike_status(f->gw, 0, 0, &st),
                   TCPSEC_ERR_NOT_FOUND);
  assert_int_equal(tcpsec_gw_get_child_status(f->gw, 0, 0, 0, &cs),
                   TCPSEC_ERR_NOT_FOUND);
  assert_int_equal(tcpsec_gw_next_timeout(f->gw), UINT64_MAX);
}

static void static_tunnel_starts_on_udp(void **state) {
  struct fixture *f = *state;
  tcpsec_gw_ike_status st;

  assert_int_equal(tcpsec_gw_add_tunnel(f->gw, &f->t), 0);
  assert_int_equal(tcpsec_gw_start(f->gw, 1000), 0);
  assert_int_equal(tcpsec_gw_instance_count(f->gw), 1);
  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  assert_int_equal(tcpsec_gw_get_ike_status(f->gw, 0, 1000, &st), 0);
  assert_string_equal(st.name, "spoke");
  assert_int_equal(st.transport, TCPSEC_GW_ON_UDP);
  assert_int_equal(st.initiator, 1);
  assert_int_equal(st.state, TCPSEC_IKE_SA_INIT_SENT);
  assert_true(tcpsec_gw_next_timeout(f->gw) > 1000);
  assert_true(tcpsec_gw_next_timeout(f->gw) != UINT64_MAX);
}

/* IPv4 packet with a TCP or UDP header from src:sport to dst:dport. */
static size_t make_v4(uint8_t *p, uint8_t proto, uint8_t src_last,
                      uint8_t dst_c, uint16_t sport, uint16_t dport,
                      uint16_t frag) {
  memset(p, 0, 40);
  p[0] = 0x45;
  p[3] = 40;
  p[6] = (uint8_t)(frag >> 8);
  p[7] = (uint8_t)frag;
  p[9] = proto;
  p[12] = 192;
  p[13] = 168;
  p[14] = 111;
  p[15] = src_last;
  p[16] = 10;
  p[17] = 88;
  p[18] = dst_c;
  p[19] = 5;
  p[20] = (uint8_t)(sport >> 8);
  p[21] = (uint8_t)sport;
  p[22] = (uint8_t)(dport >> 8);
  p[23] = (uint8_t)dport;
  return 40;
}

static void inbound_policy_enforced(void **state) {
  struct gw_child ch;
  uint8_t p[64];
  size_t n;

  (void)state;
  memset(&ch, 0, sizeof(ch));
  /* remote 192.168.111.0/24, any protocol; local 10.88.0.0/24 TCP 443 */
  ts_any(&ch.remote_ts[0]);
  ch.remote_ts[0].start_addr[0] = 192;
  ch.remote_ts[0].start_addr[1] = 168;
  ch.remote_ts[0].start_addr[2] = 111;
  ch.remote_ts[0].start_addr[3] = 0;
  memcpy(ch.remote_ts[0].end_addr, ch.remote_ts[0].start_addr, 3);
  ch.remote_ts[0].end_addr[3] = 255;
  ch.remote_ts_count = 1;
  ts_any(&ch.local_ts[0]);
  ch.local_ts[0].start_addr[0] = 10;
  ch.local_ts[0].start_addr[1] = 88;
  memcpy(ch.local_ts[0].end_addr, ch.local_ts[0].start_addr, 2);
  ch.local_ts[0].end_addr[2] = 0;
  ch.local_ts[0].end_addr[3] = 255;
  ch.local_ts[0].ip_proto = 6;
  ch.local_ts[0].start_port = 443;
  ch.local_ts[0].end_port = 443;
  ch.local_ts_count = 1;

  n = make_v4(p, 6, 7, 0, 40000, 443, 0);
  assert_true(gw_inbound_policy_ok(&ch, p, n));
  /* Wrong destination port, protocol, destination network. */
  n = make_v4(p, 6, 7, 0, 40000, 80, 0);
  assert_false(gw_inbound_policy_ok(&ch, p, n));
  n = make_v4(p, 17, 7, 0, 40000, 443, 0);
  assert_false(gw_inbound_policy_ok(&ch, p, n));
  n = make_v4(p, 6, 7, 1, 40000, 443, 0);
  assert_false(gw_inbound_policy_ok(&ch, p, n));
  /* Spoofed source outside the peer's subnet. */
  n = make_v4(p, 6, 7, 0, 40000, 443, 0);
  p[14] = 112;
  assert_false(gw_inbound_policy_ok(&ch, p, n));
  /* A non-first fragment has no ports: only a full port range matches. */
  n = make_v4(p, 6, 7, 0, 40000, 443, 0x0010);
  assert_false(gw_inbound_policy_ok(&ch, p, n));
  /* Not an IP packet. */
  memset(p, 0, sizeof(p));
  assert_false(gw_inbound_policy_ok(&ch, p, 40));
  assert_false(gw_inbound_policy_ok(&ch, p, 3));
}

/* Full TCP checksum over the IPv4 pseudo-header, for checking. */
static uint16_t tcp_sum(const uint8_t *ip, size_t len) {
  uint32_t sum = 0;
  size_t i, tcp_len = len - 20;

  for (i = 12; i < 20; i += 2)
    sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  sum += 6 + (uint32_t)tcp_len;
  for (i = 20; i + 1 < len; i += 2)
    sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  if (len & 1)
    sum += (uint32_t)(ip[len - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* IPv4 TCP segment with flags and an MSS option (plus a NOP and a
 * window scale option in front of it), checksum filled in. */
static size_t make_syn(uint8_t *p, uint8_t flags, uint16_t mss) {
  uint16_t sum;

  memset(p, 0, 48);
  p[0] = 0x45;
  p[3] = 48;
  p[9] = 6;
  p[12] = 192;
  p[13] = 168;
  p[14] = 111;
  p[15] = 10;
  p[16] = 10;
  p[17] = 88;
  p[19] = 10;
  p[20] = 0x9c;
  p[21] = 0x40;
  p[23] = 80;
  p[32] = 0x70; /* data offset 7: 8 option bytes */
  p[33] = flags;
  p[34] = 0xfa;
  p[40] = 1;    /* NOP */
  p[41] = 3;    /* window scale */
  p[42] = 3;
  p[43] = 7;
  p[44] = 2;    /* MSS */
  p[45] = 4;
  p[46] = (uint8_t)(mss >> 8);
  p[47] = (uint8_t)mss;
  sum = tcp_sum(p, 48);
  p[36] = (uint8_t)(sum >> 8);
  p[37] = (uint8_t)sum;
  return 48;
}

static void mss_clamped_on_syn(void **state) {
  uint8_t p[64];
  size_t n;

  (void)state;
  /* SYN with MSS 1460 through a tunnel with inner MTU 1400: 1360. */
  n = make_syn(p, 0x02, 1460);
  gw_clamp_mss(p, n, 1400);
  assert_int_equal(p[46] << 8 | p[47], 1360);
  assert_int_equal(tcp_sum(p, n), 0);
  /* SYN-ACK too. */
  n = make_syn(p, 0x12, 1460);
  gw_clamp_mss(p, n, 1400);
  assert_int_equal(p[46] << 8 | p[47], 1360);
  assert_int_equal(tcp_sum(p, n), 0);
  /* A smaller MSS stays. */
  n = make_syn(p, 0x02, 1200);
  gw_clamp_mss(p, n, 1400);
  assert_int_equal(p[46] << 8 | p[47], 1200);
  /* Not a SYN: untouched. */
  n = make_syn(p, 0x10, 1460);
  gw_clamp_mss(p, n, 1400);
  assert_int_equal(p[46] << 8 | p[47], 1460);
  /* An option length running past the header: left alone, no overrun. */
  n = make_syn(p, 0x02, 1460);
  p[42] = 40;
  gw_clamp_mss(p, n, 1400);
  assert_int_equal(p[46] << 8 | p[47], 1460);
}

/* ---- timer heap and IKE SPI map ---------------------------------------- */

#define MANY 1000

static struct gw_peer *fake_peers(struct tcpsec_gw *gw, size_t n) {
  struct gw_peer *p = calloc(n, sizeof(*p));
  size_t i;

  for (i = 0; i < n; i++) {
    p[i].gw = gw;
    p[i].timer_index = GW_NOT_QUEUED;
  }
  return p;
}

static void timer_heap_orders_deadlines(void **state) {
  struct fixture *f = *state;
  struct gw_peer *p = fake_peers(f->gw, MANY), *due;
  test_rng r;
  uint64_t last = 0, expect_min = UINT64_MAX;
  size_t i, due_count = 0;

  test_rng_seed(&r, 7);
  for (i = 0; i < MANY; i++)
    gw_timer_set(f->gw, &p[i], 1000 + test_rng_next(&r) % 100000);
  /* Move every third later or earlier, take every fifth out. */
  for (i = 0; i < MANY; i += 3)
    gw_timer_set(f->gw, &p[i], 1000 + test_rng_next(&r) % 100000);
  for (i = 0; i < MANY; i += 5)
    gw_timer_set(f->gw, &p[i], UINT64_MAX);
  assert_int_equal(f->gw->timer_count, MANY - MANY / 5);
  for (i = 0; i < MANY; i++) {
    if (i % 5 == 0)
      assert_int_equal(p[i].timer_index, GW_NOT_QUEUED);
    else if (p[i].timer_at < expect_min)
      expect_min = p[i].timer_at;
  }
  assert_int_equal(tcpsec_gw_next_timeout(f->gw), expect_min);

  /* Taking the due ones in steps returns each once, in deadline order. */
  for (;;) {
    uint64_t now = tcpsec_gw_next_timeout(f->gw);
    if (now == UINT64_MAX)
      break;
    for (due = gw_timer_take_due(f->gw, now + 500); due != NULL;
         due = due->due_next) {
      assert_true(due->timer_at <= now + 500);
      assert_int_equal(due->timer_index, GW_NOT_QUEUED);
      due_count++;
    }
    assert_true(now >= last);
    last = now;
  }
  assert_int_equal(due_count, MANY - MANY / 5);
  assert_int_equal(f->gw->timer_count, 0);
  free(p);
}

static void ike_map_finds_every_spi(void **state) {
  struct fixture *f = *state;
  struct gw_peer *p = fake_peers(f->gw, MANY);
  uint8_t (*spi)[8] = calloc(MANY, 8);
  test_rng r;
  size_t i;

  test_rng_seed(&r, 9);
  for (i = 0; i < MANY; i++) {
    uint64_t v = test_rng_next(&r);
    memcpy(spi[i], &v, 8);
    assert_int_equal(gw_ike_map_put(f->gw, spi[i], &p[i]), 0);
  }
  assert_int_equal(f->gw->ike_map_count, MANY);
  for (i = 0; i < MANY; i++)
    assert_ptr_equal(gw_ike_map_get(f->gw, spi[i]), &p[i]);
  /* The same SPI again: fine for its peer, refused for another. */
  assert_int_equal(gw_ike_map_put(f->gw, spi[3], &p[3]), 0);
  assert_int_equal(gw_ike_map_put(f->gw, spi[3], &p[4]), TCPSEC_ERR_EXISTS);
  /* Removal needs the owner. */
  gw_ike_map_del(f->gw, spi[5], &p[6]);
  assert_ptr_equal(gw_ike_map_get(f->gw, spi[5]), &p[5]);

  for (i = 0; i < MANY; i += 2)
    gw_ike_map_del(f->gw, spi[i], &p[i]);
  assert_int_equal(f->gw->ike_map_count, MANY / 2);
  for (i = 0; i < MANY; i++)
    assert_ptr_equal(gw_ike_map_get(f->gw, spi[i]), i % 2 ? &p[i] : NULL);
  free(spi);
  free(p);
}

/* ---- TCP reconnect backoff ---------------------------------------------- */

struct attempts {
  uint64_t now;
  uint64_t at[32];
  size_t count;
};

static int refuse_open(void *user, tcpsec_gw_conn conn,
                       const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote) {
  struct attempts *a = user;

  (void)conn;
  (void)local;
  (void)remote;
  if (a->count < 32)
    a->at[a->count] = a->now;
  a->count++;
  return -1;
}

/* The caller cannot even start a connection: every attempt fails at once,
 * and the gaps grow 1, 2, 4, 8, 16, 30, 30 s, each up to a fifth shorter
 * for the jitter. */
static void tcp_open_failures_back_off(void **state) {
  struct attempts a;
  tcpsec_gw_callbacks cb;
  tcpsec_gw_tunnel_config t;
  tcpsec_gw_ike_status st;
  tcpsec_ctx *ctx;
  tcpsec_gw *gw;
  test_rng rng;
  tcpsec_ike_traffic_selector ts;
  uint64_t nominal = 1000;
  size_t k;

  (void)state;
  memset(&a, 0, sizeof(a));
  ctx = test_ctx_new(&rng, 12);
  assert_non_null(ctx);
  tcpsec_gw_callbacks_default(&cb);
  cb.tcp_open = refuse_open;
  cb.user = &a;
  assert_int_equal(tcpsec_gw_new(ctx, NULL, &cb, &gw), 0);
  ts_any(&ts);
  tcpsec_gw_tunnel_config_default(&t);
  t.name = "spoke";
  t.psk = psk;
  t.psk_len = sizeof(psk) - 1;
  t.transport = TCPSEC_GW_TRANSPORT_TCP;
  ep4(&t.local, 198, 51, 100, 41, 0);
  ep4(&t.remote_gw, 203, 0, 113, 249, 0);
  t.local_ts = &ts;
  t.local_ts_count = 1;
  t.remote_ts = &ts;
  t.remote_ts_count = 1;
  assert_int_equal(tcpsec_gw_add_tunnel(gw, &t), 0);
  assert_int_equal(tcpsec_gw_start(gw, 0), 0);
  while (a.count < 9) {
    a.now = tcpsec_gw_next_timeout(gw);
    assert_true(a.now != UINT64_MAX);
    assert_int_equal(tcpsec_gw_handle_timeout(gw, a.now), 0);
  }

  assert_int_equal(a.at[0], 0);
  for (k = 1; k < 9; k++) {
    uint64_t waited = a.at[k] - a.at[k - 1];

    assert_true(waited <= nominal);
    assert_true(waited >= nominal - nominal / 5);
    nominal = nominal * 2 < 30000 ? nominal * 2 : 30000;
  }
  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  assert_int_equal(tcpsec_gw_get_ike_status(gw, 0, a.now, &st), 0);
  assert_int_equal(st.tcp_connect_failures, 9);
  assert_int_equal(st.transport, TCPSEC_GW_ON_TCP);
  assert_int_equal(gw_timer_check(gw), 0);
  tcpsec_gw_free(gw);
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(defaults_match_fortios),
    cmocka_unit_test_setup_teardown(add_tunnel_accepts_valid, setup, teardown),
    cmocka_unit_test_setup_teardown(add_tunnel_rejects_bad_config, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(add_tunnel_rejects_bad_lifetimes, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(add_tunnel_old_struct_size, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(add_tunnel_struct_before_certificates,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(cert_tunnel_needs_its_parts, setup_cert,
                                    teardown),
    cmocka_unit_test_setup_teardown(cert_tunnel_needs_wall_clock, setup_cert,
                                    teardown),
    cmocka_unit_test_setup_teardown(cert_tunnel_parsed_when_added,
                                    setup_cert, teardown),
    cmocka_unit_test(identity_text),
    cmocka_unit_test_setup_teardown(status_before_authentication, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(timer_heap_orders_deadlines, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(ike_map_finds_every_spi, setup, teardown),
    cmocka_unit_test(tcp_open_failures_back_off),
    cmocka_unit_test_setup_teardown(unknown_connections_rejected, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(bad_stream_closes_connection, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(bad_udp_input_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown(send_packet_checks_buffer, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(send_packet_before_tunnel_up, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(send_packet_without_tunnel, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(status_of_missing_instance, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(static_tunnel_starts_on_udp, setup,
                                    teardown),
    cmocka_unit_test(inbound_policy_enforced),
    cmocka_unit_test(mss_clamped_on_syn),
  };
  return cmocka_run_group_tests_name("gw", tests, certs_setup,
                                     certs_teardown);
}
