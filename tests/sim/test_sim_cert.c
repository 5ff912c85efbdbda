/*
 * Certificate authentication through the gateway. A dial-up hub and spokes
 * sign with ECDSA and RSA certificates over TCP and UDP. One spoke's
 * certificate comes from a CA the hub does not trust, and a revocation
 * hook on the hub rejects another.
 *
 * The certificates are made at test time with the openssl command in a
 * temporary folder that the group teardown removes:
 *
 *   root-ec (P-256)   -> hub (P-256, DNS:hub.example.net)
 *                     -> spoke1 (P-256), spoke3 (P-384)
 *   root-rsa (RSA)    -> spoke2, spoke4 (RSA-2048)
 *   other-root (P-256) -> spoke5 (P-256)
 *
 * Spoke N has subjectAltName DNS:spokeN.example.net and uses that FQDN as
 * its identity. The hub trusts root-ec and root-rsa; the spokes trust
 * root-ec and require the identity hub.example.net.
 *
 * Without openssl every test is skipped with "skipped: openssl is not
 * installed".
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static const char make_certs_script[] =
    "set -e\n"
    "root() {\n"
    "  openssl req -x509 -new -nodes $2 -keyout $1.key -out $1.pem \\\n"
    "    -subj \"/O=tcpsec sim/CN=$1\" -days 3650 -sha256 \\\n"
    "    -addext basicConstraints=critical,CA:TRUE \\\n"
    "    -addext keyUsage=critical,keyCertSign,cRLSign\n"
    "}\n"
    "issue() {\n"
    "  printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,"
    "digitalSignature\\nsubjectAltName=DNS:%s.example.net\\n' $1 > $1.ext\n"
    "  openssl req -new -nodes $2 -keyout $1.key -out $1.csr \\\n"
    "    -subj \"/O=tcpsec sim/CN=$1\"\n"
    "  openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key \\\n"
    "    ${4:--CAcreateserial} -out $1.pem -days 3650 -sha256 \\\n"
    "    -extfile $1.ext\n"
    "  openssl x509 -in $1.pem -noout -serial | cut -d= -f2 > $1.serial\n"
    "}\n"
    "P256='-newkey ec -pkeyopt ec_paramgen_curve:P-256'\n"
    "P384='-newkey ec -pkeyopt ec_paramgen_curve:P-384'\n"
    "RSA='-newkey rsa:2048'\n"
    "root root-ec \"$P256\"\n"
    "root root-rsa \"$RSA\"\n"
    "root other-root \"$P256\"\n"
    "issue hub \"$P256\" root-ec\n"
    "issue spoke1 \"$P256\" root-ec\n"
    /* A serial with its top bit set, so its DER form has a zero octet. */
    "issue spoke2 \"$RSA\" root-rsa '-set_serial 0x9c0ffee5a1f00d'\n"
    "issue spoke3 \"$P384\" root-ec\n"
    "issue spoke4 \"$RSA\" root-rsa\n"
    "issue spoke5 \"$P256\" other-root\n"
    "cat root-ec.pem root-rsa.pem > hub-anchors.pem\n";

static char dir[64];
static int have_certs;
static uint64_t made_at; /* seconds since 1970 after openssl finished */

#define FILE_MAX 24

static struct {
  char name[32];
  uint8_t *data;
  size_t len;
} files[FILE_MAX];
static size_t file_count;

/* Contents of a file of the certificate folder, kept until teardown. */
static const uint8_t *cert_file(const char *name, size_t *len) {
  char path[128];
  size_t i;

  for (i = 0; i < file_count; i++) {
    if (strcmp(files[i].name, name) == 0) {
      *len = files[i].len;
      return files[i].data;
    }
  }
  assert_true(file_count < FILE_MAX);
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  files[file_count].data = test_read_file(path, &files[file_count].len);
  assert_non_null(files[file_count].data);
  snprintf(files[file_count].name, sizeof(files[0].name), "%s", name);
  *len = files[file_count].len;
  return files[file_count++].data;
}

static int group_setup(void **state) {
  int made;

  (void)state;
  made = test_openssl_dir(dir, sizeof(dir), "tcpsec-sim-cert", make_certs_script);
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

#define NEED_CERTS()                                                         \
  do {                                                                       \
    if (!have_certs)                                                         \
      skip();                                                                \
  } while (0)

/* ---- per-node credentials ----------------------------------------------- */

#define MAX_SPOKES 5

/* How one spoke authenticates and connects. */
struct spoke_plan {
  const char *name; /* certificate and identity: NAME.example.net */
  uint8_t auth_method;
  uint8_t rsa_pss;
  int transport; /* TCPSEC_GW_TRANSPORT_* */
};

struct plan {
  struct spoke_plan spokes[MAX_SPOKES];
  char ids[MAX_SPOKES + 1][32];
  /* Hub revocation hook: the serial it reports revoked (hex from
   * openssl), and what it saw. */
  const char *revoked_serial_file;
  uint8_t revoked_serial[32];
  size_t revoked_serial_len;
  unsigned revocation_checks;
  int hook_saw_instance;
  /* The hub's gateway, and what a gateway call made from inside the hook
   * returned. */
  tcpsec_gw *hub;
  int reentry_result;
};

static uint8_t hex_value(char c) {
  if (c >= '0' && c <= '9')
    return (uint8_t)(c - '0');
  if (c >= 'A' && c <= 'F')
    return (uint8_t)(c - 'A' + 10);
  return (uint8_t)(c - 'a' + 10);
}

/* Converts the hex serial openssl printed into the DER INTEGER content the
 * hook receives, which adds a zero octet when the top bit is set. */
static void load_serial(struct plan *p) {
  const uint8_t *text;
  size_t len, i, digits = 0, sign_octet;

  text = cert_file(p->revoked_serial_file, &len);
  while (digits < len && text[digits] != '\n')
    digits++;
  assert_true(digits >= 2 && digits % 2 == 0);
  sign_octet = hex_value((char)text[0]) >= 8 ? 1 : 0;
  assert_true(sign_octet + digits / 2 <= sizeof(p->revoked_serial));
  p->revoked_serial[0] = 0;
  for (i = 0; i < digits / 2; i++)
    p->revoked_serial[sign_octet + i] =
        (uint8_t)(hex_value((char)text[2 * i]) << 4 |
                  hex_value((char)text[2 * i + 1]));
  p->revoked_serial_len = sign_octet + digits / 2;
}

static int hub_cert_revoked(void *user, const char *instance,
                            const uint8_t *serial, size_t serial_len,
                            const uint8_t *issuer, size_t issuer_len) {
  struct plan *p = user;

  (void)issuer;
  p->revocation_checks++;
  if (p->hub != NULL)
    p->reentry_result = tcpsec_gw_start(p->hub, 0);
  if (instance != NULL && strncmp(instance, "Hub_", 4) == 0 &&
      issuer_len > 0)
    p->hook_saw_instance = 1;
  return serial_len == p->revoked_serial_len &&
         memcmp(serial, p->revoked_serial, serial_len) == 0;
}

static void set_fqdn(tcpsec_ike_identity *id, const char *text) {
  id->type = TCPSEC_IKE_ID_TYPE_FQDN;
  id->data = (const uint8_t *)text;
  id->len = strlen(text);
}

static void set_credentials(tcpsec_gw_tunnel_config *t, const char *name) {
  char file[40];

  snprintf(file, sizeof(file), "%s.pem", name);
  t->cert_chain = cert_file(file, &t->cert_chain_len);
  snprintf(file, sizeof(file), "%s.key", name);
  t->private_key = cert_file(file, &t->private_key_len);
}

static void cert_hook(void *user, unsigned node, tcpsec_gw_tunnel_config *t) {
  struct plan *p = user;
  const struct spoke_plan *sp;

  if (node == 0) {
    t->auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
    set_credentials(t, "hub");
    t->trust_anchors = cert_file("hub-anchors.pem", &t->trust_anchors_len);
    snprintf(p->ids[0], sizeof(p->ids[0]), "hub.example.net");
    set_fqdn(&t->local_id, p->ids[0]);
    if (p->revoked_serial_file != NULL) {
      t->cert_revoked = hub_cert_revoked;
      t->cert_revoked_user = p;
    }
    return;
  }
  sp = &p->spokes[node - 1];
  t->auth_method = sp->auth_method;
  t->rsa_pss = sp->rsa_pss;
  t->transport = (uint8_t)sp->transport;
  set_credentials(t, sp->name);
  t->trust_anchors = cert_file("root-ec.pem", &t->trust_anchors_len);
  snprintf(p->ids[node], sizeof(p->ids[node]), "%s.example.net", sp->name);
  set_fqdn(&t->local_id, p->ids[node]);
  set_fqdn(&t->peer_id, "hub.example.net");
}

static sim *cert_sim(struct plan *p, unsigned spokes) {
  sim_options o;
  sim *s;

  sim_options_default(&o);
  o.spokes = spokes;
  o.tunnel_hook = cert_hook;
  o.hook_user = p;
  o.wall_clock_s = made_at + 60;
  s = sim_new(&o);
  assert_non_null(s);
  p->hub = sim_gateway(s, 0);
  sim_start(s);
  sim_run_until(s, 20000);
  return s;
}

/* ---- checks ------------------------------------------------------------- */

/* Packets both ways between the hub and each listed spoke, and between the
 * first two of them through the hub. */
static void traffic_flows(sim *s, const unsigned *spokes, unsigned count) {
  sim_counts c;
  unsigned i;

  sim_reset_counts(s);
  for (i = 0; i < count; i++) {
    sim_send_spoke_to_hub(s, spokes[i], 5);
    sim_send_hub_to_spoke(s, spokes[i], 5);
  }
  if (count >= 2)
    sim_send_spoke_to_spoke(s, spokes[0], spokes[1], 5);
  sim_run_until(s, sim_now(s) + 2000);
  sim_get_counts(s, &c);
  assert_int_equal(c.send_errors, 0);
  assert_int_equal(c.delivered, c.sent);
  assert_int_equal(sim_check_invariants(s), 0);
}

static void read_status(const sim *s, unsigned node, size_t index,
                        tcpsec_gw_ike_status *st) {
  memset(st, 0, sizeof(*st));
  st->size = sizeof(*st);
  assert_int_equal(
      tcpsec_gw_get_ike_status(sim_gateway(s, node), index, sim_now(s), st),
      0);
}

/* The hub instance whose peer authenticated as `id`, or -1. */
static int hub_instance_of(const sim *s, const char *id) {
  tcpsec_gw_ike_status st;
  size_t i, n = tcpsec_gw_instance_count(sim_gateway(s, 0));

  for (i = 0; i < n; i++) {
    read_status(s, 0, i, &st);
    if (strcmp(st.peer_id, id) == 0)
      return (int)i;
  }
  return -1;
}

/* Both ends of spoke `node`'s tunnel show the other's certificate
 * identity. */
static void check_identities(const sim *s, const struct plan *p,
                             unsigned node) {
  tcpsec_gw_ike_status st;
  int index;

  read_status(s, node, 0, &st);
  assert_int_equal(st.state, TCPSEC_IKE_SA_ESTABLISHED);
  assert_string_equal(st.peer_id, "hub.example.net");
  assert_int_equal(st.peer_id_type, TCPSEC_IKE_ID_TYPE_FQDN);
  assert_int_equal(st.peer_auth_method, TCPSEC_IKE_AUTH_SIGNATURE);
  assert_int_equal(st.last_error, 0);

  index = hub_instance_of(s, p->ids[node]);
  assert_true(index >= 0);
  read_status(s, 0, (size_t)index, &st);
  assert_int_equal(st.state, TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(st.peer_id_type, TCPSEC_IKE_ID_TYPE_FQDN);
  assert_int_equal(st.peer_auth_method, TCPSEC_IKE_AUTH_SIGNATURE);
}

/* ---- tests -------------------------------------------------------------- */

/* Spokes 1 and 3 sign with ECDSA (method 14 with P-256, the classic
 * method 10 with P-384), spokes 2 and 4 with RSA (PKCS#1 v1.5 in method
 * 14, the classic method 1), over TCP and UDP. The hub is configured for
 * method 14 and falls back to method 9 towards spokes 3 and 4, which do
 * not announce SIGNATURE_HASH_ALGORITHMS. */
static void ecdsa_and_rsa_over_tcp_and_udp(void **state) {
  struct plan p = {
      .spokes = {
          {"spoke1", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_TCP},
          {"spoke2", TCPSEC_IKE_AUTH_SIGNATURE, 0, TCPSEC_GW_TRANSPORT_UDP},
          {"spoke3", TCPSEC_IKE_AUTH_ECDSA_P384, 1, TCPSEC_GW_TRANSPORT_UDP},
          {"spoke4", TCPSEC_IKE_AUTH_RSA, 1, TCPSEC_GW_TRANSPORT_TCP},
      }};
  const unsigned all[] = {1, 2, 3, 4};
  sim *s;
  unsigned i;
  int reason;

  (void)state;
  NEED_CERTS();
  s = cert_sim(&p, 4);
  assert_int_equal(sim_tunnels_up(s), 4);
  assert_int_equal(sim_hub_instances(s), 4);
  assert_int_equal(sim_failures(s, 0, &reason), 0);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_TCP);
  assert_int_equal(sim_spoke_transport(s, 2), TCPSEC_GW_ON_UDP_NATT);
  assert_int_equal(sim_spoke_transport(s, 3), TCPSEC_GW_ON_UDP_NATT);
  assert_int_equal(sim_spoke_transport(s, 4), TCPSEC_GW_ON_TCP);
  for (i = 1; i <= 4; i++)
    check_identities(s, &p, i);
  traffic_flows(s, all, 4);
  sim_free(s);
}

/* Spoke 3's certificate comes from a CA the hub does not trust: the hub
 * rejects it with CERT_UNTRUSTED in its event and the instance's status,
 * the spoke learns AUTHENTICATION_FAILED, and the other spokes are not
 * disturbed. */
static void untrusted_ca_rejected(void **state) {
  struct plan p = {
      .spokes = {
          {"spoke1", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_TCP},
          {"spoke2", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_UDP},
          {"spoke5", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_TCP},
      }};
  const unsigned good[] = {1, 2};
  tcpsec_gw_ike_status st;
  unsigned hub_failures;
  size_t i, n;
  int reason, seen_failed_instance = 0;
  sim *s;

  (void)state;
  NEED_CERTS();
  s = cert_sim(&p, 3);
  assert_int_equal(sim_tunnels_up(s), 2);
  assert_int_equal(sim_hub_instances(s), 2);
  hub_failures = sim_failures(s, 0, &reason);
  assert_true(hub_failures >= 1);
  assert_int_equal(reason, TCPSEC_ERR_CERT_UNTRUSTED);
  assert_true(sim_failures(s, 3, &reason) >= 1);
  assert_int_equal(reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  read_status(s, 3, 0, &st);
  assert_int_equal(st.last_error, TCPSEC_ERR_AUTHENTICATION_FAILED);
  assert_int_equal(st.peer_id_type, 0);
  assert_int_equal(st.peer_auth_method, 0);

  /* The spoke retries every 5 s; right after a failure the hub's failed
   * instance is kept briefly, and its status names the cause. */
  for (i = 0; i < 200 && !seen_failed_instance; i++) {
    sim_run_until(s, sim_now(s) + 50);
    n = tcpsec_gw_instance_count(sim_gateway(s, 0));
    for (size_t k = 0; k < n; k++) {
      read_status(s, 0, k, &st);
      if (st.last_error == TCPSEC_ERR_CERT_UNTRUSTED) {
        assert_int_equal(st.state, TCPSEC_IKE_SA_FAILED);
        assert_int_equal(st.peer_id_type, 0);
        seen_failed_instance = 1;
      }
    }
  }
  assert_true(seen_failed_instance);
  assert_true(sim_failures(s, 0, &reason) > hub_failures);
  assert_int_equal(reason, TCPSEC_ERR_CERT_UNTRUSTED);
  assert_int_equal(sim_tunnels_up(s), 2);
  check_identities(s, &p, 1);
  check_identities(s, &p, 2);
  traffic_flows(s, good, 2);
  sim_free(s);
}

/* The hub's revocation hook reports spoke 2's certificate revoked; a
 * gateway call from inside the hook is rejected. */
static void revocation_hook_rejects_spoke(void **state) {
  struct plan p = {
      .spokes = {
          {"spoke1", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_UDP},
          {"spoke2", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_TCP},
      },
      .revoked_serial_file = "spoke2.serial"};
  const unsigned good[] = {1};
  int reason;
  sim *s;

  (void)state;
  NEED_CERTS();
  load_serial(&p);
  s = cert_sim(&p, 2);
  assert_int_equal(sim_tunnels_up(s), 1);
  assert_true(sim_failures(s, 0, &reason) >= 1);
  assert_int_equal(reason, TCPSEC_ERR_CERT_UNTRUSTED);
  assert_true(p.revocation_checks >= 2);
  assert_true(p.hook_saw_instance);
  assert_int_equal(p.reentry_result, TCPSEC_ERR_INVALID_STATE);
  check_identities(s, &p, 1);
  traffic_flows(s, good, 1);
  sim_free(s);
}

/* A clock past the certificates' notAfter: every spoke is rejected with
 * CERT_EXPIRED, so the wall clock really reaches the validation. */
static void expired_by_wall_clock(void **state) {
  struct plan p = {
      .spokes = {
          {"spoke1", TCPSEC_IKE_AUTH_SIGNATURE, 1, TCPSEC_GW_TRANSPORT_UDP},
      }};
  sim_options o;
  int reason;
  sim *s;

  (void)state;
  NEED_CERTS();
  sim_options_default(&o);
  o.spokes = 1;
  o.tunnel_hook = cert_hook;
  o.hook_user = &p;
  o.wall_clock_s = made_at + 3651ull * 86400;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 10000);
  assert_int_equal(sim_tunnels_up(s), 0);
  assert_true(sim_failures(s, 0, &reason) >= 1);
  assert_int_equal(reason, TCPSEC_ERR_CERT_EXPIRED);
  sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ecdsa_and_rsa_over_tcp_and_udp),
      cmocka_unit_test(untrusted_ca_rejected),
      cmocka_unit_test(revocation_hook_rejects_spoke),
      cmocka_unit_test(expired_by_wall_clock),
  };
  return cmocka_run_group_tests_name("sim_cert", tests, group_setup,
                                     group_teardown);
}
