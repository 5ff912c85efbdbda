/*
 * Lost and duplicated messages, retransmission, liveness checks, Delete of
 * Child and IKE SAs, lifetimes, and TCP connections, between a spoke and a
 * hub in one process. The test moves the clock. Sources: RFC 7296 sections
 * 1.4, 2.1, 2.3, 2.4 and 2.8, and RFC 9329 section 6.2.
 */
#include "ike/ike_sa.h"

#include "test_ike_exchange_peers.h"

static void advance_to_timeout(peer *p) {
  uint64_t t = tcpsec_ike_sa_next_timeout(p->sa);

  assert_true(t != TCPSEC_IKE_NO_TIMEOUT);
  assert_true(t >= test_now);
  test_now = t;
  assert_int_equal(tcpsec_ike_sa_handle_timeout(p->sa, test_now), 0);
}

static void stats_of(const peer *p, tcpsec_ike_sa_stats *st) {
  st->size = sizeof(*st);
  assert_int_equal(tcpsec_ike_sa_get_stats(p->sa, st), 0);
}

static void ike_loss_init_request_lost(void **state) {
  peer spoke, hub;
  size_t len;
  uint8_t first[2048];

  (void)state;
  peer_init(&spoke, "spoke", 51, 0);
  peer_init(&hub, "hub", 52, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... }, lost */
  len = peer_head(&spoke)->len;
  memcpy(first, peer_head(&spoke)->data, len);
  peer_drop(&spoke);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 1000);
  advance_to_timeout(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... }, retransmitted bit for bit */
  assert_int_equal(peer_head(&spoke)->len, len);
  assert_memory_equal(peer_head(&spoke)->data, first, len);
  assert_int_equal(peer_head(&spoke)->flags, TCPSEC_IKE_SEND_RETRANSMIT);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The hub's half-open IKE SA sends the same response to the retransmitted
 * IKE_SA_INIT, without a second IKE SA (section 2.1). */
static void ike_loss_init_response_lost(void **state) {
  tcpsec_ike_sa_stats st;
  uint8_t first[2048];
  peer spoke, hub;
  size_t len;

  (void)state;
  peer_init(&spoke, "spoke", 53, 0);
  peer_init(&hub, "hub", 54, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver_copy(&spoke, &hub), 0);
  peer_drop(&spoke);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... }, lost */
  len = peer_head(&hub)->len;
  memcpy(first, peer_head(&hub)->data, len);
  peer_drop(&hub);
  advance_to_timeout(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... }, retransmitted */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  stats_of(&hub, &st);
  assert_int_equal(st.duplicate_requests, 1);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 1);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... }, the same bytes again */
  assert_int_equal(peer_head(&hub)->len, len);
  assert_memory_equal(peer_head(&hub)->data, first, len);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A retransmitted IKE_AUTH is never processed twice: the hub sends its
 * cached response and installs nothing new. */
static void ike_loss_auth_response_lost(void **state) {
  tcpsec_ike_sa_stats st;
  uint8_t first[2048];
  peer spoke, hub;
  size_t len;

  (void)state;
  peer_init(&spoke, "spoke", 55, 0);
  peer_init(&hub, "hub", 56, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr }, lost */
  len = peer_head(&hub)->len;
  memcpy(first, peer_head(&hub)->data, len);
  peer_drop(&hub);
  advance_to_timeout(&spoke);
  /* --> IKE_AUTH SK { ... }, retransmitted */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  stats_of(&hub, &st);
  assert_int_equal(st.duplicate_requests, 1);
  assert_int_equal(hub.children_installed, 1);
  assert_int_equal(hub.established, 1);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr }, from the cache */
  assert_int_equal(peer_head(&hub)->len, len);
  assert_memory_equal(peer_head(&hub)->data, first, len);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The network duplicates a request and its response. */
static void ike_loss_duplicated_messages(void **state) {
  tcpsec_ike_sa_stats st;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 57, 0);
  peer_init(&hub, "hub", 58, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... }, twice */
  assert_int_equal(peer_deliver_copy(&hub, &spoke), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), TCPSEC_ERR_INVALID_MESSAGE_ID);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr }, twice */
  assert_int_equal(peer_deliver_copy(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  stats_of(&hub, &st);
  assert_int_equal(st.duplicate_requests, 1);
  assert_int_equal(hub.children_installed, 1);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr }, twice */
  assert_int_equal(hub.out_count, 2);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), TCPSEC_ERR_INVALID_MESSAGE_ID);
  assert_established_pair(&spoke, &hub);
  stats_of(&spoke, &st);
  assert_int_equal(st.dropped_unexpected, 2);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Backoff 1, 2, 4, 8, 16, 32, 32, 32 s; after the seventh retransmission
 * the spoke gives up 127 s after the first transmission. */
static void ike_loss_retransmission_schedule(void **state) {
  static const uint64_t waits[] = {1000,  2000,  4000,  8000,
                                   16000, 32000, 32000, 32000};
  uint64_t start;
  peer spoke, hub;
  size_t i;

  (void)state;
  peer_init(&spoke, "spoke", 59, 0);
  peer_init(&hub, "hub", 60, 1);
  peer_start(&spoke);
  start = test_now;
  peer_drop(&spoke);
  for (i = 0; i < 7; i++) {
    assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + waits[i]);
    advance_to_timeout(&spoke);
    assert_int_equal(spoke.out_count, 1);
    peer_drop(&spoke);
  }
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + waits[7]);
  advance_to_timeout(&spoke);
  assert_int_equal(test_now - start, 127000);
  assert_int_equal(spoke.out_count, 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_PEER_DEAD);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_dpd_alive(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 61, 0);
  peer_init(&hub, "hub", 62, 1);
  peers_establish(&spoke, &hub);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 30000);

  /* ESP from the hub proves it alive and moves the check. */
  test_now += 20000;
  tcpsec_ike_sa_peer_alive(spoke.sa, test_now);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 30000);

  advance_to_timeout(&spoke);
  /* --> INFORMATIONAL SK { } */
  assert_head(&spoke, TCPSEC_IKE_EXCH_INFORMATIONAL, 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- INFORMATIONAL SK { } */
  assert_head(&hub, TCPSEC_IKE_EXCH_INFORMATIONAL, 1);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 30000);
  esp_both_ways(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A silent hub: the liveness check goes unanswered until the budget ends,
 * then the spoke deletes the IKE SA and reports its Child SA deleted. */
static void ike_loss_dpd_declares_peer_dead(void **state) {
  tcpsec_sad_stats st;
  peer spoke, hub;
  int sends = 0;

  (void)state;
  peer_init(&spoke, "spoke", 63, 0);
  peer_init(&hub, "hub", 64, 1);
  peers_establish(&spoke, &hub);
  while (peer_state(&spoke) == TCPSEC_IKE_SA_ESTABLISHED) {
    advance_to_timeout(&spoke);
    while (spoke.out_count > 0) {
      /* --> INFORMATIONAL SK { }, lost */
      peer_drop(&spoke);
      sends++;
    }
  }
  assert_int_equal(sends, 8);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(spoke.deleted, 1);
  assert_int_equal(spoke.delete_reason, TCPSEC_ERR_PEER_DEAD);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(spoke.child_delete_reason, TCPSEC_ERR_IKE_SA_DELETED);
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(spoke.sad, &st), 0);
  assert_int_equal(st.child_sas, 0);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), TCPSEC_IKE_NO_TIMEOUT);
  peer_free(&spoke);
  peer_free(&hub);
}

static void assert_no_child(peer *p) {
  tcpsec_sad_stats st;
  tcpsec_ike_sa_info info;

  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(p->sad, &st), 0);
  assert_int_equal(st.child_sas, 0);
  info.size = sizeof(info);
  assert_int_equal(tcpsec_ike_sa_get_info(p->sa, &info), 0);
  assert_int_equal(info.child_sa_count, 0);
}

static void ike_loss_delete_child(void **state) {
  peer spoke, hub;
  uint32_t spi;

  (void)state;
  peer_init(&spoke, "spoke", 65, 0);
  peer_init(&hub, "hub", 66, 1);
  peers_establish(&spoke, &hub);
  spi = spoke.child.spi_in;
  assert_int_equal(tcpsec_ike_sa_delete_child(spoke.sa, spi + 1, test_now),
                   TCPSEC_ERR_CHILD_SA_NOT_FOUND);
  assert_int_equal(tcpsec_ike_sa_delete_child(spoke.sa, spi, test_now), 0);
  /* --> INFORMATIONAL SK { D(ESP, spoke's inbound SPI) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(hub.children_deleted, 1);
  assert_int_equal(hub.deleted_spi_in, spoke.child.spi_out);
  assert_no_child(&hub);
  /* <-- INFORMATIONAL SK { D(ESP, hub's inbound SPI) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(spoke.child_delete_reason, 0);
  assert_int_equal(spoke.deleted_spi_in, spi);
  assert_no_child(&spoke);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);

  /* The hub's own first request uses its message ID 0 (section 2.2). */
  test_now += 30000;
  assert_int_equal(tcpsec_ike_sa_handle_timeout(hub.sa, test_now), 0);
  /* <-- INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Both ends delete the pair at once: each removes it while processing
 * the other's request and responds without a Delete (section 1.4.1). */
static void ike_loss_delete_child_collision(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 67, 0);
  peer_init(&hub, "hub", 68, 1);
  peers_establish(&spoke, &hub);
  assert_int_equal(
      tcpsec_ike_sa_delete_child(spoke.sa, spoke.child.spi_in, test_now), 0);
  assert_int_equal(
      tcpsec_ike_sa_delete_child(hub.sa, hub.child.spi_in, test_now), 0);
  /* --> INFORMATIONAL SK { D(ESP) }   and   <-- INFORMATIONAL SK { D(ESP) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* the two responses, SK { } each */
  assert_int_equal(spoke.out_count, 1);
  assert_int_equal(hub.out_count, 1);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(hub.children_deleted, 1);
  assert_no_child(&spoke);
  assert_no_child(&hub);
  assert_int_equal(spoke.out_count + hub.out_count, 0);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_delete_ike_sa(void **state) {
  tcpsec_ike_sa_stats st;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 69, 0);
  peer_init(&hub, "hub", 70, 1);
  peers_establish(&spoke, &hub);
  assert_int_equal(tcpsec_ike_sa_delete(spoke.sa, test_now), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETING);
  assert_int_equal(tcpsec_ike_sa_delete(spoke.sa, test_now),
                   TCPSEC_ERR_INVALID_STATE);
  /* --> INFORMATIONAL SK { D(IKE) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, TCPSEC_ERR_IKE_SA_DELETED);
  assert_int_equal(hub.children_deleted, 1);
  assert_no_child(&hub);
  /* <-- INFORMATIONAL SK { }, lost */
  peer_drop(&hub);
  advance_to_timeout(&spoke);
  /* --> INFORMATIONAL SK { D(IKE) }, retransmitted: the deleted hub still
   *     sends its cached response */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  stats_of(&hub, &st);
  assert_int_equal(st.duplicate_requests, 1);
  /* <-- INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(spoke.deleted, 1);
  assert_int_equal(spoke.delete_reason, 0);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(spoke.child_delete_reason, 0);
  assert_no_child(&spoke);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), TCPSEC_IKE_NO_TIMEOUT);
  assert_int_equal(tcpsec_ike_sa_next_timeout(hub.sa), TCPSEC_IKE_NO_TIMEOUT);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The hub deletes the IKE SA of a spoke that no longer responds: after the
 * budget it reports deletion with the reason it asked for. */
static void ike_loss_delete_ike_sa_silent_peer(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 71, 0);
  peer_init(&hub, "hub", 72, 1);
  peers_establish(&spoke, &hub);
  assert_int_equal(tcpsec_ike_sa_delete(hub.sa, test_now), 0);
  while (peer_state(&hub) == TCPSEC_IKE_SA_DELETING) {
    while (hub.out_count > 0)
      peer_drop(&hub);
    advance_to_timeout(&hub);
  }
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, 0);
  assert_int_equal(hub.children_deleted, 1);
  peer_free(&spoke);
  peer_free(&hub);
}

/* On TCP nothing is retransmitted on the same connection; a new
 * connection carries the outstanding request again (RFC 9329 6.2). */
static void ike_loss_tcp_new_connection(void **state) {
  tcpsec_ike_endpoint new_local;
  uint64_t deadline;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 73, 0);
  peer_init(&hub, "hub", 74, 1);
  spoke.cfg.transport = TCPSEC_IKE_TRANSPORT_TCP;
  hub.cfg.transport = TCPSEC_IKE_TRANSPORT_TCP;
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  /* --> IKE_AUTH SK { ... }, lost with the connection */
  peer_drop(&spoke);
  deadline = tcpsec_ike_sa_next_timeout(spoke.sa);
  assert_int_equal(deadline, test_now + 127000);
  test_now += 60000;
  assert_int_equal(tcpsec_ike_sa_handle_timeout(spoke.sa, test_now), 0);
  assert_int_equal(spoke.out_count, 0);

  set_endpoint(&new_local, 198, 51, 100, 41, 50999);
  assert_int_equal(tcpsec_ike_sa_connection_changed(spoke.sa,
                                                    TCPSEC_IKE_TRANSPORT_TCP,
                                                    &new_local, NULL, test_now),
                   0);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 127000);
  /* --> IKE_AUTH SK { ... } on the new connection */
  assert_int_equal(spoke.out_count, 1);
  assert_int_equal(peer_head(&spoke)->flags, TCPSEC_IKE_SEND_RETRANSMIT);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_tcp_peer_dead(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 75, 0);
  peer_init(&hub, "hub", 76, 1);
  spoke.cfg.transport = TCPSEC_IKE_TRANSPORT_TCP;
  peer_start(&spoke);
  peer_drop(&spoke);
  advance_to_timeout(&spoke);
  assert_int_equal(spoke.out_count, 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_PEER_DEAD);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_half_open_timeout(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 77, 0);
  peer_init(&hub, "hub", 78, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 1);
  assert_int_equal(tcpsec_ike_sa_next_timeout(hub.sa), test_now + 30000);
  advance_to_timeout(&hub);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(hub.fail_reason, TCPSEC_ERR_TIMEOUT);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_child_lifetime(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 79, 0);
  peer_init(&hub, "hub", 80, 1);
  spoke.cfg.child_lifetime_ms = 20000;
  spoke.cfg.dpd_interval_ms = 0;
  spoke.cfg.rekey = 0; /* expire without a rekey */
  peers_establish(&spoke, &hub);
  assert_int_equal(spoke.child.hard_lifetime_ms, 20000);
  assert_int_equal(spoke.child.soft_lifetime_ms, 18000);
  assert_int_equal(tcpsec_ike_sa_next_timeout(spoke.sa), test_now + 20000);
  advance_to_timeout(&spoke);
  /* --> INFORMATIONAL SK { D(ESP) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- INFORMATIONAL SK { D(ESP) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(spoke.child_delete_reason, TCPSEC_ERR_SA_EXPIRED);
  assert_no_child(&spoke);
  assert_no_child(&hub);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_loss_ike_lifetime(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 81, 0);
  peer_init(&hub, "hub", 82, 1);
  spoke.cfg.ike_lifetime_ms = 25000;
  spoke.cfg.dpd_interval_ms = 0;
  spoke.cfg.rekey = 0; /* expire without a rekey */
  peers_establish(&spoke, &hub);
  advance_to_timeout(&spoke);
  /* --> INFORMATIONAL SK { D(IKE) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(spoke.delete_reason, TCPSEC_ERR_SA_EXPIRED);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  peer_free(&spoke);
  peer_free(&hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_loss_init_request_lost),
      cmocka_unit_test(ike_loss_init_response_lost),
      cmocka_unit_test(ike_loss_auth_response_lost),
      cmocka_unit_test(ike_loss_duplicated_messages),
      cmocka_unit_test(ike_loss_retransmission_schedule),
      cmocka_unit_test(ike_loss_dpd_alive),
      cmocka_unit_test(ike_loss_dpd_declares_peer_dead),
      cmocka_unit_test(ike_loss_delete_child),
      cmocka_unit_test(ike_loss_delete_child_collision),
      cmocka_unit_test(ike_loss_delete_ike_sa),
      cmocka_unit_test(ike_loss_delete_ike_sa_silent_peer),
      cmocka_unit_test(ike_loss_tcp_new_connection),
      cmocka_unit_test(ike_loss_tcp_peer_dead),
      cmocka_unit_test(ike_loss_half_open_timeout),
      cmocka_unit_test(ike_loss_child_lifetime),
      cmocka_unit_test(ike_loss_ike_lifetime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
