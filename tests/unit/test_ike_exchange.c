/*
 * IKE_SA_INIT and IKE_AUTH between a spoke and a hub in one process. Every
 * IKE proposal of the default configuration (the FortiOS hub-and-spoke
 * proposal list) runs with every key exchange group tcpsec implements, and
 * the resulting Child SA pair carries ESP traffic in both directions
 * through tcpsec's SA database and ESP engine.
 */
#include "test_ike_exchange_peers.h"

typedef struct suite_case {
  const char *ike;
  const char *esp;
  uint16_t encr;
  uint16_t key_bits;
  uint16_t prf;
  uint16_t integ;
} suite_case;

/* The five phase 1 proposals of the default configuration, each paired
 * with one of its five phase 2 proposals. */
static const suite_case suites[] = {
    {"aes128-sha256", "aes128-sha256", TCPSEC_ENCR_AES_CBC, 128,
     TCPSEC_PRF_HMAC_SHA2_256, TCPSEC_INTEG_HMAC_SHA2_256_128},
    {"aes256-sha256", "aes256-sha256", TCPSEC_ENCR_AES_CBC, 256,
     TCPSEC_PRF_HMAC_SHA2_256, TCPSEC_INTEG_HMAC_SHA2_256_128},
    {"aes128gcm-prfsha256", "aes128gcm", TCPSEC_ENCR_AES_GCM_16, 128,
     TCPSEC_PRF_HMAC_SHA2_256, TCPSEC_INTEG_NONE},
    {"aes256gcm-prfsha384", "aes256gcm", TCPSEC_ENCR_AES_GCM_16, 256,
     TCPSEC_PRF_HMAC_SHA2_384, TCPSEC_INTEG_NONE},
    {"chacha20poly1305-prfsha256", "chacha20poly1305",
     TCPSEC_ENCR_CHACHA20_POLY1305, 256, TCPSEC_PRF_HMAC_SHA2_256,
     TCPSEC_INTEG_NONE},
};

static const uint16_t groups[] = {TCPSEC_KE_ECP_256, TCPSEC_KE_ECP_384,
                                  TCPSEC_KE_ECP_521, TCPSEC_KE_CURVE25519,
                                  TCPSEC_KE_MODP_2048};

static void run_suite(const suite_case *s, uint16_t group, uint64_t seed) {
  tcpsec_ike_sa_info si, hi;
  peer spoke, hub;

  peer_init(&spoke, "spoke", seed, 0);
  peer_init(&hub, "hub", seed + 1, 1);
  spoke.cfg.ike_proposals = s->ike;
  hub.cfg.ike_proposals = s->ike;
  spoke.cfg.esp_proposals = s->esp;
  hub.cfg.esp_proposals = s->esp;
  spoke.cfg.dh_groups[0] = group;
  hub.cfg.dh_groups[0] = group;
  spoke.cfg.dh_group_count = 1;
  hub.cfg.dh_group_count = 1;

  peers_establish(&spoke, &hub);
  assert_established_pair(&spoke, &hub);

  si.size = sizeof(si);
  hi.size = sizeof(hi);
  assert_int_equal(tcpsec_ike_sa_get_info(spoke.sa, &si), 0);
  assert_int_equal(tcpsec_ike_sa_get_info(hub.sa, &hi), 0);
  assert_int_equal(si.encr, s->encr);
  assert_int_equal(si.encr_key_bits, s->key_bits);
  assert_int_equal(si.prf, s->prf);
  assert_int_equal(si.integ, s->integ);
  assert_int_equal(si.ke_group, group);
  assert_memory_equal(&si.encr, &hi.encr, 5 * sizeof(uint16_t));
  assert_memory_equal(si.spi_r, hi.spi_r, 8);
  assert_int_equal(si.initiator, 1);
  assert_int_equal(hi.initiator, 0);
  assert_int_equal(si.nat_local, 0);
  assert_int_equal(si.nat_remote, 0);
  assert_int_equal(hi.remote_id_len, strlen(spoke_name));
  assert_memory_equal(hi.remote_id, spoke_name, strlen(spoke_name));
  assert_int_equal(si.remote_id_len, strlen(hub_name));
  assert_int_equal(hi.peer_initial_contact, 1);

  /* The ESP suite follows the phase 2 proposal; integrity only with CBC. */
  assert_int_equal(spoke.child.encr, s->encr);
  assert_int_equal(spoke.child.encr_key_bits, s->key_bits);
  assert_int_equal(spoke.child.integ, s->integ);
  assert_int_equal(spoke.child.encr_key_len,
                   s->key_bits / 8 + (s->integ == TCPSEC_INTEG_NONE ? 4 : 0));
  assert_int_equal(spoke.child.udp_encap, 0);

  /* Narrowed selectors: the spoke LAN to the hub LAN. */
  assert_int_equal(spoke.child.local_ts_count, 1);
  assert_int_equal(spoke.child.remote_ts_count, 1);
  assert_memory_equal(&spoke.child.local_ts[0], &ts_spoke_lan,
                      sizeof(ts_spoke_lan));
  assert_memory_equal(&spoke.child.remote_ts[0], &ts_hub_lan,
                      sizeof(ts_hub_lan));
  assert_memory_equal(&hub.child.local_ts[0], &ts_hub_lan, sizeof(ts_hub_lan));
  assert_memory_equal(&hub.child.remote_ts[0], &ts_spoke_lan,
                      sizeof(ts_spoke_lan));

  esp_both_ways(&spoke, &hub);
  esp_both_ways(&spoke, &hub);

  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_exchange_all_suites_and_groups(void **state) {
  size_t i, j;

  (void)state;
  for (i = 0; i < (sizeof(suites) / sizeof(suites[0])); i++)
    for (j = 0; j < (sizeof(groups) / sizeof(groups[0])); j++)
      run_suite(&suites[i], groups[j], 100 + 10 * i + j);
}

/* With the default configuration (five proposals, groups 20 and 21) the
 * hub picks the spoke's first proposal and group. */
static void ike_exchange_default_config(void **state) {
  tcpsec_ike_sa_info info;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 7, 0);
  peer_init(&hub, "hub", 8, 1);
  peers_establish(&spoke, &hub);
  assert_established_pair(&spoke, &hub);
  info.size = sizeof(info);
  assert_int_equal(tcpsec_ike_sa_get_info(hub.sa, &info), 0);
  assert_int_equal(info.encr, TCPSEC_ENCR_AES_CBC);
  assert_int_equal(info.encr_key_bits, 128);
  assert_int_equal(info.ke_group, TCPSEC_KE_ECP_384);
  assert_int_equal(info.child_sa_count, 1);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The hub prefers a later proposal of the spoke's list only if it does not
 * accept the earlier ones: it walks the initiator's order. */
static void ike_exchange_first_acceptable_proposal(void **state) {
  tcpsec_ike_sa_info info;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 9, 0);
  peer_init(&hub, "hub", 10, 1);
  spoke.cfg.ike_proposals = "aes256-sha256 chacha20poly1305-prfsha256 "
                            "aes128gcm-prfsha256";
  hub.cfg.ike_proposals = "aes128gcm-prfsha256 chacha20poly1305-prfsha256";
  peers_establish(&spoke, &hub);
  info.size = sizeof(info);
  assert_int_equal(tcpsec_ike_sa_get_info(spoke.sa, &info), 0);
  assert_int_equal(info.encr, TCPSEC_ENCR_CHACHA20_POLY1305);
  peer_free(&spoke);
  peer_free(&hub);
}

/* NAT detection with the hub seeing the spoke's translated address and
 * port (198.51.100.41:500 becomes 203.0.113.3:7782), over TCP: the hashes
 * use the TCP ports, and ESP needs no UDP encapsulation. */
static void ike_exchange_nat_over_tcp(void **state) {
  tcpsec_ike_sa_info si, hi;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 11, 0);
  peer_init(&hub, "hub", 12, 1);
  spoke.cfg.transport = TCPSEC_IKE_TRANSPORT_TCP;
  hub.cfg.transport = TCPSEC_IKE_TRANSPORT_TCP;
  set_endpoint(&spoke.cfg.local, 198, 51, 100, 41, 50123);
  set_endpoint(&spoke.cfg.remote, 203, 0, 113, 249, 1443);
  set_endpoint(&hub.cfg.local, 203, 0, 113, 249, 1443);
  set_endpoint(&hub.cfg.remote, 203, 0, 113, 3, 7782);
  peers_establish(&spoke, &hub);
  assert_established_pair(&spoke, &hub);
  si.size = sizeof(si);
  hi.size = sizeof(hi);
  assert_int_equal(tcpsec_ike_sa_get_info(spoke.sa, &si), 0);
  assert_int_equal(tcpsec_ike_sa_get_info(hub.sa, &hi), 0);
  assert_int_equal(si.nat_local, 1);
  assert_int_equal(si.nat_remote, 0);
  assert_int_equal(hi.nat_local, 0);
  assert_int_equal(hi.nat_remote, 1);
  assert_int_equal(si.transport, TCPSEC_IKE_TRANSPORT_TCP);
  assert_int_equal(spoke.child.udp_encap, 0);
  assert_int_equal(spoke.child.transport, TCPSEC_IKE_TRANSPORT_TCP);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The same NAT on UDP: from IKE_AUTH on, messages go to port 4500 with
 * the non-ESP marker, and ESP is UDP-encapsulated (RFC 7296 section 2.23). */
static void ike_exchange_nat_over_udp(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 13, 0);
  peer_init(&hub, "hub", 14, 1);
  set_endpoint(&hub.cfg.remote, 203, 0, 113, 3, 7782);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(peer_head(&spoke)->flags, 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(peer_head(&hub)->flags, 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_head(&spoke)->flags, TCPSEC_IKE_SEND_NAT_T);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_head(&hub)->flags, TCPSEC_IKE_SEND_NAT_T);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  assert_int_equal(spoke.child.udp_encap, 1);
  assert_int_equal(hub.child.udp_encap, 1);
  peer_free(&spoke);
  peer_free(&hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_exchange_all_suites_and_groups),
      cmocka_unit_test(ike_exchange_default_config),
      cmocka_unit_test(ike_exchange_first_acceptable_proposal),
      cmocka_unit_test(ike_exchange_nat_over_tcp),
      cmocka_unit_test(ike_exchange_nat_over_udp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
