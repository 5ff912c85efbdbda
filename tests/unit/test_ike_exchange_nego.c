/*
 * Negotiation outcomes between a spoke and a hub in one process:
 * INVALID_KE_PAYLOAD retries, the COOKIE round trip, a wrong pre-shared
 * key, an unexpected responder identity, no common IKE or ESP proposal,
 * traffic selector narrowing and TS_UNACCEPTABLE. Sources: RFC 7296
 * sections 1.2, 2.6, 2.7, 2.9, 2.15 and 2.21.
 */
#include "ike/ike_sa.h"

#include "test_ike_exchange_peers.h"

/* Find a notify in a clear message (IKE_SA_INIT). */
static int head_has_notify(peer *from, uint16_t type, size_t *index) {
  tcpsec_ike_msg *msg = malloc(sizeof(*msg));
  const tcpsec_ike_payload *p;
  peer_msg *m = peer_head(from);
  int found = 0;

  assert_non_null(msg);
  assert_int_equal(tcpsec_ike_msg_parse(msg, m->data, m->len, NULL), 0);
  p = tcpsec_ike_msg_find_notify(msg, type);
  if (p != NULL) {
    found = 1;
    if (index != NULL)
      *index = (size_t)(p - msg->payloads);
  }
  free(msg);
  return found;
}

static uint16_t head_ke_group(peer *from) {
  tcpsec_ike_msg *msg = malloc(sizeof(*msg));
  const tcpsec_ike_payload *p;
  peer_msg *m = peer_head(from);
  uint16_t group;

  assert_non_null(msg);
  assert_int_equal(tcpsec_ike_msg_parse(msg, m->data, m->len, NULL), 0);
  p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  assert_non_null(p);
  group = p->u.ke.group;
  free(msg);
  return group;
}

static void assert_info_group(peer *p, uint16_t group) {
  tcpsec_ike_sa_info info;

  info.size = sizeof(info);
  assert_int_equal(tcpsec_ike_sa_get_info(p->sa, &info), 0);
  assert_int_equal(info.ke_group, group);
}

static void ike_nego_invalid_ke_retry(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 21, 0);
  peer_init(&hub, "hub", 22, 1);
  spoke.cfg.dh_groups[0] = TCPSEC_KE_ECP_256;
  spoke.cfg.dh_groups[1] = TCPSEC_KE_ECP_384;
  hub.cfg.dh_groups[0] = TCPSEC_KE_ECP_384;
  hub.cfg.dh_group_count = 1;

  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE(19), Ni, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(head_ke_group(&spoke), TCPSEC_KE_ECP_256);
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_INVALID_KE_PAYLOAD);
  assert_null(hub.sa);
  /* <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(20)) } */
  assert_int_equal(hub.stateless_replies, 1);
  assert_true(head_has_notify(&hub, TCPSEC_IKE_N_INVALID_KE_PAYLOAD, NULL));
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_INIT_SENT);
  /* --> IKE_SA_INIT { SA, KE(20), Ni, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(head_ke_group(&spoke), TCPSEC_KE_ECP_384);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE(20), Nr, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  assert_info_group(&spoke, TCPSEC_KE_ECP_384);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A forged INVALID_KE_PAYLOAD naming a group the spoke does not allow ends
 * the attempt: the spoke never weakens to an unconfigured group. */
static void ike_nego_invalid_ke_unconfigured_group(void **state) {
  tcpsec_ike_message_header h;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  tcpsec_buf out;
  uint8_t group[2] = {0, TCPSEC_KE_MODP_2048};
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 23, 0);
  peer_init(&hub, "hub", 24, 1);
  peer_start(&spoke);
  assert_int_equal(tcpsec_ike_message_peek(peer_head(&spoke)->data,
                                           peer_head(&spoke)->len, &h),
                   0);
  /* <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(14)) }, forged */
  memset(&hdr, 0, sizeof(hdr));
  memcpy(hdr.spi_i, h.spi_i, 8);
  hdr.exchange = TCPSEC_IKE_EXCH_IKE_SA_INIT;
  hdr.flags = TCPSEC_IKE_FLAG_RESPONSE;
  tcpsec_ike_builder_init(&b, hub.ctx, &hdr, 0);
  tcpsec_ike_builder_add_notify(&b, 0, NULL, 0, TCPSEC_IKE_N_INVALID_KE_PAYLOAD,
                                group, 2);
  tcpsec_buf_init(&out, hub.ctx, 1000);
  assert_int_equal(tcpsec_ike_builder_finish(&b, NULL, &out), 0);
  tcpsec_ike_builder_free(&b);
  assert_int_equal(tcpsec_ike_sa_input(spoke.sa, out.data, out.len, test_now),
                   0);
  tcpsec_buf_free(&out);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.failed, 1);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_INVALID_KE_PAYLOAD);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), TCPSEC_IKE_NO_TIMEOUT);
  peer_free(&spoke);
  peer_free(&hub);
}

static void hub_requires_cookies(peer *hub) {
  tcpsec_ike_responder_config rc;

  tcpsec_ike_responder_free(hub->resp);
  tcpsec_ike_responder_config_default(&rc);
  rc.cookie_threshold = 0;
  assert_int_equal(tcpsec_ike_responder_new(hub->ctx, &rc, &hub->resp), 0);
}

static void ike_nego_cookie_round_trip(void **state) {
  size_t index = 99;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 25, 0);
  peer_init(&hub, "hub", 26, 1);
  hub_requires_cookies(&hub);

  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_COOKIE_REQUIRED);
  assert_null(hub.sa);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
  /* <-- IKE_SA_INIT { N(COOKIE) } */
  assert_true(head_has_notify(&hub, TCPSEC_IKE_N_COOKIE, NULL));
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_SA_INIT { N(COOKIE), SA, KE, Ni, N(NAT_D), N(NAT_D), ... } */
  assert_true(head_has_notify(&spoke, TCPSEC_IKE_N_COOKIE, &index));
  assert_int_equal(index, 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_non_null(hub.sa);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 1);
  /* <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D), N(NAT_D), ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  assert_int_equal(hub.stateless_replies, 1);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A request whose cookie was altered gets a fresh cookie, not an IKE SA. */
static void ike_nego_cookie_wrong(void **state) {
  size_t index;
  peer spoke, hub;
  peer_msg *m;

  (void)state;
  peer_init(&spoke, "spoke", 27, 0);
  peer_init(&hub, "hub", 28, 1);
  hub_requires_cookies(&hub);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_COOKIE_REQUIRED);
  /* <-- IKE_SA_INIT { N(COOKIE) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_SA_INIT { N(COOKIE), SA, KE, Ni, ... } with one cookie byte
   *     changed: the cookie starts 28 + 8 bytes into the message. */
  assert_true(head_has_notify(&spoke, TCPSEC_IKE_N_COOKIE, &index));
  m = peer_head(&spoke);
  m->data[28 + 8 + 5] ^= 0x40;
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_COOKIE_REQUIRED);
  assert_null(hub.sa);
  /* <-- IKE_SA_INIT { N(COOKIE) } again */
  assert_int_equal(hub.stateless_replies, 2);
  assert_true(head_has_notify(&hub, TCPSEC_IKE_N_COOKIE, NULL));
  peer_free(&spoke);
  peer_free(&hub);
}

/* Section 2.6.1: the cookie stays in the retry after INVALID_KE_PAYLOAD. */
static void ike_nego_cookie_then_invalid_ke(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 29, 0);
  peer_init(&hub, "hub", 30, 1);
  hub_requires_cookies(&hub);
  spoke.cfg.dh_groups[0] = TCPSEC_KE_CURVE25519;
  spoke.cfg.dh_groups[1] = TCPSEC_KE_ECP_384;
  hub.cfg.dh_groups[0] = TCPSEC_KE_ECP_384;
  hub.cfg.dh_group_count = 1;
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE(31), Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_COOKIE_REQUIRED);
  /* <-- IKE_SA_INIT { N(COOKIE) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_SA_INIT { N(COOKIE), SA, KE(31), Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_INVALID_KE_PAYLOAD);
  /* <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(20)) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_SA_INIT { N(COOKIE), SA, KE(20), Ni, ... } */
  assert_true(head_has_notify(&spoke, TCPSEC_IKE_N_COOKIE, NULL));
  assert_int_equal(head_ke_group(&spoke), TCPSEC_KE_ECP_384);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE(20), Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_nego_wrong_psk(void **state) {
  static const uint8_t wrong[] = "shared secret of somebody else";
  tcpsec_sad_stats st;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 31, 0);
  peer_init(&hub, "hub", 32, 1);
  spoke.cfg.psk = wrong;
  spoke.cfg.psk_len = sizeof(wrong) - 1;
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(hub.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
  /* <-- IKE_AUTH SK { N(AUTHENTICATION_FAILED) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);

  /* Nothing installed anywhere, nothing more to send. */
  assert_int_equal(spoke.established + hub.established, 0);
  assert_int_equal(spoke.children_installed + hub.children_installed, 0);
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(hub.sad, &st), 0);
  assert_int_equal(st.child_sas, 0);
  assert_int_equal(spoke.out_count + hub.out_count, 0);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), TCPSEC_IKE_NO_TIMEOUT);
  assert_int_equal(tcpsec_ike_sa_next_timeout(hub.sa), TCPSEC_IKE_NO_TIMEOUT);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The spoke expects another hub identity. The hub authenticates and
 * installs, the spoke rejects the IKE_AUTH response and sends
 * AUTHENTICATION_FAILED in an INFORMATIONAL request, which ends the IKE SA
 * on the hub too. */
static void ike_nego_responder_id_mismatch(void **state) {
  static const char other[] = "other-hub.example.net";
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 33, 0);
  peer_init(&hub, "hub", 34, 1);
  spoke.cfg.remote_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  spoke.cfg.remote_id.data = (const uint8_t *)other;
  spoke.cfg.remote_id.len = strlen(other);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, IDr, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(hub.children_installed, 1);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  assert_int_equal(spoke.children_installed, 0);
  /* --> INFORMATIONAL SK { N(AUTHENTICATION_FAILED) } */
  assert_head(&spoke, TCPSEC_IKE_EXCH_INFORMATIONAL, 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, TCPSEC_ERR_AUTHENTICATION_FAILED);
  assert_int_equal(hub.children_deleted, 1);
  /* <-- INFORMATIONAL SK { }, which the failed spoke ignores */
  assert_int_equal(peer_deliver(&hub, &spoke), TCPSEC_ERR_INVALID_MESSAGE_ID);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_nego_no_common_ike_proposal(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 35, 0);
  peer_init(&hub, "hub", 36, 1);
  spoke.cfg.ike_proposals = "aes128-sha256 aes256-sha256";
  hub.cfg.ike_proposals = "aes256gcm-prfsha384 chacha20poly1305-prfsha256";
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  assert_null(hub.sa);
  /* <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) } */
  assert_true(head_has_notify(&hub, TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN, NULL));
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Common ciphers but no common group is no common proposal either. */
static void ike_nego_no_common_group(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 37, 0);
  peer_init(&hub, "hub", 38, 1);
  spoke.cfg.dh_groups[0] = TCPSEC_KE_MODP_2048;
  spoke.cfg.dh_group_count = 1;
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE(14), Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  /* <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Without a common ESP proposal the IKE SA is still established, without
 * a Child SA (section 2.21.2). */
static void ike_nego_no_common_esp_proposal(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 39, 0);
  peer_init(&hub, "hub", 40, 1);
  spoke.cfg.esp_proposals = "aes128-sha256";
  hub.cfg.esp_proposals = "aes256gcm chacha20poly1305";
  peers_establish(&spoke, &hub);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(spoke.children_installed + hub.children_installed, 0);
  peer_free(&spoke);
  peer_free(&hub);
}

static void set_ts_range(tcpsec_ike_traffic_selector *ts, const uint8_t s[4],
                         const uint8_t e[4], uint8_t proto, uint16_t port_s,
                         uint16_t port_e) {
  memset(ts, 0, sizeof(*ts));
  ts->family = TCPSEC_IKE_FAMILY_IPV4;
  memcpy(ts->start_addr, s, 4);
  memcpy(ts->end_addr, e, 4);
  ts->ip_proto = proto;
  ts->start_port = port_s;
  ts->end_port = port_e;
}

/* The spoke offers 192.168.0.0/16 to anything; the hub accepts two /24s of
 * it, and only TCP port 443 of its own LAN. */
static void ike_nego_ts_narrowing(void **state) {
  static const uint8_t a16s[4] = {192, 168, 0, 0},
                       a16e[4] = {192, 168, 255, 255};
  static const uint8_t a111s[4] = {192, 168, 111, 0},
                       a111e[4] = {192, 168, 111, 255};
  static const uint8_t a112s[4] = {192, 168, 112, 0},
                       a112e[4] = {192, 168, 112, 255};
  static const uint8_t hubs[4] = {10, 88, 0, 0}, hube[4] = {10, 88, 0, 255};
  tcpsec_ike_traffic_selector spoke_local, hub_remote[2], hub_local;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 41, 0);
  peer_init(&hub, "hub", 42, 1);
  set_ts_range(&spoke_local, a16s, a16e, 0, 0, 65535);
  set_ts_range(&hub_remote[0], a111s, a111e, 0, 0, 65535);
  set_ts_range(&hub_remote[1], a112s, a112e, 0, 0, 65535);
  set_ts_range(&hub_local, hubs, hube, 6, 443, 443);
  spoke.cfg.local_ts = &spoke_local;
  hub.cfg.remote_ts = hub_remote;
  hub.cfg.remote_ts_count = 2;
  hub.cfg.local_ts = &hub_local;

  peers_establish(&spoke, &hub);
  assert_established_pair(&spoke, &hub);
  assert_int_equal(spoke.child.local_ts_count, 2);
  assert_memory_equal(&spoke.child.local_ts[0], &hub_remote[0],
                      sizeof(hub_remote[0]));
  assert_memory_equal(&spoke.child.local_ts[1], &hub_remote[1],
                      sizeof(hub_remote[1]));
  assert_int_equal(spoke.child.remote_ts_count, 1);
  assert_memory_equal(&spoke.child.remote_ts[0], &hub_local, sizeof(hub_local));
  assert_int_equal(hub.child.local_ts_count, 1);
  assert_memory_equal(&hub.child.local_ts[0], &hub_local, sizeof(hub_local));
  assert_int_equal(hub.child.remote_ts_count, 2);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_nego_ts_unacceptable(void **state) {
  static const uint8_t s[4] = {172, 16, 0, 0}, e[4] = {172, 16, 0, 255};
  tcpsec_ike_traffic_selector spoke_local;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 43, 0);
  peer_init(&hub, "hub", 44, 1);
  set_ts_range(&spoke_local, s, e, 0, 0, 65535);
  spoke.cfg.local_ts = &spoke_local;
  hub.cfg.remote_ts = &ts_spoke_lan;
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, N(TS_UNACCEPTABLE) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(spoke.children_installed + hub.children_installed, 0);
  assert_int_equal(spoke.out_count + hub.out_count, 0);
  peer_free(&spoke);
  peer_free(&hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_nego_invalid_ke_retry),
      cmocka_unit_test(ike_nego_invalid_ke_unconfigured_group),
      cmocka_unit_test(ike_nego_cookie_round_trip),
      cmocka_unit_test(ike_nego_cookie_wrong),
      cmocka_unit_test(ike_nego_cookie_then_invalid_ke),
      cmocka_unit_test(ike_nego_wrong_psk),
      cmocka_unit_test(ike_nego_responder_id_mismatch),
      cmocka_unit_test(ike_nego_no_common_ike_proposal),
      cmocka_unit_test(ike_nego_no_common_group),
      cmocka_unit_test(ike_nego_no_common_esp_proposal),
      cmocka_unit_test(ike_nego_ts_narrowing),
      cmocka_unit_test(ike_nego_ts_unacceptable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
