/*
 * Bad input to live IKE SAs in every state (RFC 7296 sections 2.5, 2.21).
 *
 * Unauthenticated junk is dropped with an exact error code, without a
 * response and without any state change, and the exchange then completes.
 * Junk here means truncated or length-damaged messages, wrong SPIs, message
 * IDs or versions, a bad ICV, and an unknown critical payload in clear.
 * Authenticated requests that are malformed inside SK get a response:
 * UNSUPPORTED_CRITICAL_PAYLOAD leaves an established IKE SA as it was,
 * INVALID_SYNTAX deletes it on both sides (section 2.21.3), and either error
 * during IKE_AUTH ends the IKE SA (section 2.21.2). The authenticated cases are
 * forged with the spoke's own keys, taken from the IKE SA internals.
 */
#include "ike/ike_sa.h"

#include "test_ike_exchange_peers.h"

#define MSG_MAX 4096

static size_t copy_msg(const peer_msg *m, uint8_t *buf) {
  assert_true(m->len <= MSG_MAX);
  memcpy(buf, m->data, m->len);
  return m->len;
}

static void set_length(uint8_t *buf, uint32_t len) {
  buf[24] = (uint8_t)(len >> 24);
  buf[25] = (uint8_t)(len >> 16);
  buf[26] = (uint8_t)(len >> 8);
  buf[27] = (uint8_t)len;
}

/* Feed damaged copies of `valid` to `to` and check that each is dropped
 * with its exact code, without output and without a state change. */
static void feed_junk(peer *to, const uint8_t *valid, size_t len,
                      int protected_msg) {
  uint8_t buf[MSG_MAX];
  int state = peer_state(to);
  size_t out_before = to->out_count;
  tcpsec_ike_sa_stats before, after;

  before.size = sizeof(before);
  assert_int_equal(tcpsec_ike_sa_get_stats(to->sa, &before), 0);

  /* Truncated: the datagram is shorter than its Length field. */
  memcpy(buf, valid, len);
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len - 1, test_now),
                   TCPSEC_ERR_TRUNCATED);
  /* Truncated inside the header. */
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, 20, test_now),
                   TCPSEC_ERR_TRUNCATED);
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, 0, test_now),
                   TCPSEC_ERR_TRUNCATED);
  /* Length field larger, then smaller, than the datagram. */
  set_length(buf, (uint32_t)len + 1);
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_TRUNCATED);
  set_length(buf, (uint32_t)len - 1);
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_MALFORMED);
  set_length(buf, 27);
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_MALFORMED);
  /* Major version 3. */
  memcpy(buf, valid, len);
  buf[17] = 0x30;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_INVALID_MAJOR_VERSION);
  /* Another initiator SPI. */
  memcpy(buf, valid, len);
  buf[3] ^= 0x01;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_INVALID_IKE_SPI);
  /* Initiator flag of the wrong side. */
  memcpy(buf, valid, len);
  buf[19] ^= 0x08;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_INVALID_IKE_SPI);
  /* A message ID far outside the window. */
  memcpy(buf, valid, len);
  buf[20] ^= 0x40;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_INVALID_MESSAGE_ID);
  /* First payload longer than what is left. */
  memcpy(buf, valid, len);
  buf[30] = 0xff;
  buf[31] = 0xff;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_TRUNCATED);
  /* First payload shorter than its own header. */
  buf[30] = 0;
  buf[31] = 3;
  assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                   TCPSEC_ERR_MALFORMED);
  if (protected_msg) {
    /* Damaged ICV, then damaged ciphertext: the integrity check fails. */
    memcpy(buf, valid, len);
    buf[len - 1] ^= 0x01;
    assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                     TCPSEC_ERR_ICV_MISMATCH);
    memcpy(buf, valid, len);
    buf[len / 2 + 16] ^= 0x80;
    assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                     TCPSEC_ERR_ICV_MISMATCH);
  } else {
    /* Unknown critical payload in clear: the first payload's type becomes
     * 200 with the critical bit. */
    memcpy(buf, valid, len);
    buf[16] = 200;
    buf[29] = 0x80;
    assert_int_equal(tcpsec_ike_sa_input(to->sa, buf, len, test_now),
                     TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD);
  }

  assert_int_equal(peer_state(to), state);
  assert_int_equal(to->out_count, out_before);
  after.size = sizeof(after);
  assert_int_equal(tcpsec_ike_sa_get_stats(to->sa, &after), 0);
  assert_int_equal(after.messages_in, before.messages_in);
  assert_true(after.dropped_malformed > before.dropped_malformed);
}

/* Junk at every step of IKE_SA_INIT, IKE_AUTH and an INFORMATIONAL
 * exchange, each followed by the genuine message. */
static void ike_bad_junk_in_every_state(void **state) {
  uint8_t buf[MSG_MAX], init[MSG_MAX];
  size_t len, init_len;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 91, 0);
  peer_init(&hub, "hub", 92, 1);
  peer_start(&spoke);
  init_len = copy_msg(peer_head(&spoke), init);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);

  /* Hub in HALF_OPEN: a changed copy of the IKE_SA_INIT request is no
   * retransmission and gets nothing. */
  init[init_len - 1] ^= 0x01;
  assert_int_equal(tcpsec_ike_sa_input(hub.sa, init, init_len, test_now),
                   TCPSEC_ERR_INVALID_MESSAGE_ID);
  assert_int_equal(hub.out_count, 1);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_HALF_OPEN);

  /* Spoke in INIT_SENT: junk versions of the response first. */
  len = copy_msg(peer_head(&hub), buf);
  feed_junk(&spoke, buf, len, 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_AUTH_SENT);

  /* Hub in HALF_OPEN: junk versions of IKE_AUTH first. */
  len = copy_msg(peer_head(&spoke), buf);
  feed_junk(&hub, buf, len, 1);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_HALF_OPEN);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);

  /* Spoke in AUTH_SENT: junk versions of the IKE_AUTH response. */
  len = copy_msg(peer_head(&hub), buf);
  feed_junk(&spoke, buf, len, 1);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);

  /* Both established: junk versions of a liveness check and its response. */
  test_now += 30000;
  assert_int_equal(tcpsec_ike_sa_handle_timeout(spoke.sa, test_now), 0);
  len = copy_msg(peer_head(&spoke), buf);
  feed_junk(&hub, buf, len, 1);
  /* --> INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  len = copy_msg(peer_head(&hub), buf);
  feed_junk(&spoke, buf, len, 1);
  /* <-- INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  esp_both_ways(&spoke, &hub);

  /* Deleting: junk versions of the response to the Delete. */
  assert_int_equal(tcpsec_ike_sa_delete(spoke.sa, test_now), 0);
  /* --> INFORMATIONAL SK { D(IKE) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  len = copy_msg(peer_head(&hub), buf);
  feed_junk(&spoke, buf, len, 1);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETING);
  /* <-- INFORMATIONAL SK { } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETED);
  peer_free(&spoke);
  peer_free(&hub);
}

/* Junk to the responder before any IKE SA exists. */
static void ike_bad_junk_to_responder(void **state) {
  uint8_t buf[MSG_MAX];
  tcpsec_ike_sa *sa = NULL;
  peer spoke, hub;
  size_t len;

  (void)state;
  peer_init(&spoke, "spoke", 93, 0);
  peer_init(&hub, "hub", 94, 1);
  peer_start(&spoke);
  len = copy_msg(peer_head(&spoke), buf);

#define RESPOND(data, n)                                                       \
  tcpsec_ike_responder_input(hub.resp, &hub.cfg, &hub.cb, data, n, test_now,   \
                             &sa)
  assert_int_equal(RESPOND(buf, len - 1), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(RESPOND(buf, 27), TCPSEC_ERR_TRUNCATED);
  set_length(buf, (uint32_t)len - 4);
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_MALFORMED);
  len = copy_msg(peer_head(&spoke), buf);
  buf[17] = 0x30;
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_INVALID_MAJOR_VERSION);
  len = copy_msg(peer_head(&spoke), buf);
  buf[8] = 1; /* responder SPI not zero */
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_INVALID_IKE_SPI);
  len = copy_msg(peer_head(&spoke), buf);
  buf[18] = TCPSEC_IKE_EXCH_IKE_AUTH;
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_INVALID_IKE_SPI);
  len = copy_msg(peer_head(&spoke), buf);
  buf[30] = 0xff;
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_TRUNCATED);
  assert_null(sa);
  assert_int_equal(hub.out_count, 0);

  /* An unknown critical payload earns UNSUPPORTED_CRITICAL_PAYLOAD back,
   * without state. */
  len = copy_msg(peer_head(&spoke), buf);
  buf[16] = 200;
  buf[29] = 0x80;
  assert_int_equal(RESPOND(buf, len), TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD);
  assert_null(sa);
  /* <-- IKE_SA_INIT { N(UNSUPPORTED_CRITICAL_PAYLOAD(200)) } */
  assert_int_equal(hub.out_count, 1);
  assert_int_equal(hub.stateless_replies, 1);
  peer_drop(&hub);
  assert_int_equal(tcpsec_ike_responder_half_open(hub.resp), 0);
#undef RESPOND

  /* The genuine request still works. */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_established_pair(&spoke, &hub);
  peer_free(&spoke);
  peer_free(&hub);
}

/* ---- authenticated but malformed requests ------------------------------- */

/* A protected request as the spoke would send it, with the message ID of
 * its outstanding request, carrying `extra` inside SK. */
static size_t forge_request(peer *from, uint8_t exchange,
                            const tcpsec_ike_payload *extra, size_t count,
                            uint8_t *out) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  size_t len = 0, i;

  tcpsec_ike_header_for(from->sa, &hdr, exchange, 0, from->sa->req.message_id);
  tcpsec_ike_builder_init(&b, from->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  for (i = 0; i < count; i++)
    assert_int_equal(tcpsec_ike_builder_add(&b, &extra[i]), 0);
  assert_int_equal(
      tcpsec_ike_builder_finish_to(&b, from->sa->sk_out, out, MSG_MAX, &len),
      0);
  tcpsec_ike_builder_free(&b);
  return len;
}

static void unknown_critical(tcpsec_ike_payload *p) {
  static const uint8_t body[8] = {1, 2, 3, 4, 5, 6, 7, 8};

  memset(p, 0, sizeof(*p));
  p->type = 200;
  p->critical = 1;
  p->unknown = 1;
  p->u.opaque.data = body;
  p->u.opaque.len = sizeof(body);
}

/* A NAT_DETECTION notify of 5 bytes instead of 20: the codec rejects the
 * whole message as malformed. */
static void short_nat_notify(tcpsec_ike_payload *p) {
  static const uint8_t data[5] = {9, 9, 9, 9, 9};

  memset(p, 0, sizeof(*p));
  p->type = TCPSEC_IKE_PT_NOTIFY;
  p->u.notify.type = TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP;
  p->u.notify.data = data;
  p->u.notify.len = sizeof(data);
}

/* Replace the spoke's outstanding request (already queued) with a forged
 * one of the same message ID and deliver it to the hub. */
static int deliver_forged(peer *spoke, peer *hub,
                          const tcpsec_ike_payload *extra, size_t count,
                          uint8_t exchange) {
  uint8_t buf[MSG_MAX];
  size_t len = forge_request(spoke, exchange, extra, count, buf);

  peer_drop(spoke);
  return tcpsec_ike_sa_input(hub->sa, buf, len, test_now);
}

/* Let the spoke's liveness check become its outstanding request. */
static void queue_liveness_check(peer *spoke) {
  test_now += 30000;
  assert_int_equal(tcpsec_ike_sa_handle_timeout(spoke->sa, test_now), 0);
  assert_int_equal(spoke->out_count, 1);
}

static void ike_bad_critical_payload_established(void **state) {
  tcpsec_ike_payload p;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 95, 0);
  peer_init(&hub, "hub", 96, 1);
  peers_establish(&spoke, &hub);
  queue_liveness_check(&spoke);
  unknown_critical(&p);
  /* --> INFORMATIONAL SK { 200(critical) } in place of SK { } */
  assert_int_equal(
      deliver_forged(&spoke, &hub, &p, 1, TCPSEC_IKE_EXCH_INFORMATIONAL),
      TCPSEC_ERR_INVALID_SYNTAX);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_ESTABLISHED);
  /* <-- INFORMATIONAL SK { N(UNSUPPORTED_CRITICAL_PAYLOAD(200)) } */
  assert_head(&hub, TCPSEC_IKE_EXCH_INFORMATIONAL, 1);
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_ESTABLISHED);

  /* Both ends carry on: a Child SA Delete completes. */
  assert_int_equal(
      tcpsec_ike_sa_delete_child(spoke.sa, spoke.child.spi_in, test_now), 0);
  /* --> INFORMATIONAL SK { D(ESP) } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- INFORMATIONAL SK { D(ESP) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(spoke.children_deleted, 1);
  assert_int_equal(hub.children_deleted, 1);
  peer_free(&spoke);
  peer_free(&hub);
}

static void ike_bad_invalid_syntax_established(void **state) {
  tcpsec_ike_payload p;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 97, 0);
  peer_init(&hub, "hub", 98, 1);
  peers_establish(&spoke, &hub);
  queue_liveness_check(&spoke);
  short_nat_notify(&p);
  /* --> INFORMATIONAL SK { N(NAT_D) of 5 bytes } in place of SK { } */
  assert_int_equal(
      deliver_forged(&spoke, &hub, &p, 1, TCPSEC_IKE_EXCH_INFORMATIONAL),
      TCPSEC_ERR_INVALID_SYNTAX);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, TCPSEC_ERR_INVALID_SYNTAX);
  assert_int_equal(hub.children_deleted, 1);
  /* <-- INFORMATIONAL SK { N(INVALID_SYNTAX) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(spoke.delete_reason, TCPSEC_ERR_INVALID_SYNTAX);
  assert_int_equal(spoke.children_deleted, 1);
  peer_free(&spoke);
  peer_free(&hub);
}

/* The same during IKE_AUTH ends the half-open IKE SA (section 2.21.2). */
static void ike_bad_critical_payload_in_auth(void **state) {
  tcpsec_ike_payload p;
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 99, 0);
  peer_init(&hub, "hub", 100, 1);
  peer_start(&spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, ... } */
  assert_int_equal(peer_deliver(&spoke, &hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, ... } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  unknown_critical(&p);
  /* --> IKE_AUTH SK { 200(critical) } in place of the genuine request */
  assert_int_equal(
      deliver_forged(&spoke, &hub, &p, 1, TCPSEC_IKE_EXCH_IKE_AUTH),
      TCPSEC_ERR_INVALID_SYNTAX);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(hub.fail_reason, TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD);
  /* <-- IKE_AUTH SK { N(UNSUPPORTED_CRITICAL_PAYLOAD(200)) } */
  assert_int_equal(peer_deliver(&hub, &spoke), 0);
  assert_int_equal(peer_state(&spoke), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(spoke.fail_reason, TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD);
  assert_int_equal(spoke.children_installed + hub.children_installed, 0);
  peer_free(&spoke);
  peer_free(&hub);
}

/* A CREATE_CHILD_SA request without SA and Nonce payloads is malformed
 * although its integrity check passed: the hub responds INVALID_SYNTAX and
 * deletes the IKE SA (RFC 7296 section 2.21.3). */
static void ike_bad_create_child_without_payloads(void **state) {
  peer spoke, hub;

  (void)state;
  peer_init(&spoke, "spoke", 101, 0);
  peer_init(&hub, "hub", 102, 1);
  peers_establish(&spoke, &hub);
  queue_liveness_check(&spoke);
  /* --> CREATE_CHILD_SA SK { } in place of the liveness check */
  assert_int_equal(
      deliver_forged(&spoke, &hub, NULL, 0, TCPSEC_IKE_EXCH_CREATE_CHILD_SA),
      TCPSEC_ERR_INVALID_SYNTAX);
  /* <-- CREATE_CHILD_SA SK { N(INVALID_SYNTAX) } */
  assert_head(&hub, TCPSEC_IKE_EXCH_CREATE_CHILD_SA, 1);
  assert_int_equal(peer_state(&hub), TCPSEC_IKE_SA_DELETED);
  assert_int_equal(hub.delete_reason, TCPSEC_ERR_INVALID_SYNTAX);
  peer_free(&spoke);
  peer_free(&hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_bad_junk_in_every_state),
      cmocka_unit_test(ike_bad_junk_to_responder),
      cmocka_unit_test(ike_bad_critical_payload_established),
      cmocka_unit_test(ike_bad_invalid_syntax_established),
      cmocka_unit_test(ike_bad_critical_payload_in_auth),
      cmocka_unit_test(ike_bad_create_child_without_payloads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
