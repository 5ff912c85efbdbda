/*
 * Two IKE peers in one process for the exchange tests: a spoke that
 * initiates and a hub that responds through a tcpsec_ike_responder. Each
 * has its own deterministic context, an outbox that the send callback
 * fills, and an SA database that receives every reported Child SA. Time is
 * the global test_now, moved by the tests.
 *
 * A test moves messages itself with peer_deliver(), peer_drop() and
 * peer_deliver_copy(), one arrow comment per message, so losses,
 * duplicates and forged messages sit exactly where the test puts them.
 *
 * The addresses are those of a FortiOS hub-and-spoke example: spoke
 * 198.51.100.41 with LAN 192.168.111.0/24, hub 203.0.113.249 with LAN
 * 10.88.0.0/24, both accepting 0.0.0.0/0 for the peer's side.
 */
#ifndef TEST_IKE_EXCHANGE_PEERS_H
#define TEST_IKE_EXCHANGE_PEERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "tcpsec/ike.h"
#include "tcpsec/sa.h"

#define PEER_OUTBOX 32
#define PEER_KEY_MAX 64

static uint64_t test_now = 1000;

typedef struct peer_msg {
  uint8_t *data;
  size_t len;
  unsigned flags;
} peer_msg;

typedef struct peer {
  const char *name;
  test_rng rng;
  tcpsec_ctx *ctx;
  tcpsec_ike_config cfg;
  tcpsec_ike_callbacks cb;
  tcpsec_ike_responder *resp; /* hub only */
  tcpsec_ike_sa *sa;
  tcpsec_sad *sad;
  peer_msg out[PEER_OUTBOX];
  size_t out_count;
  size_t stateless_replies; /* sends with a NULL IKE SA */
  int established;
  int failed;
  int fail_reason;
  int deleted;
  int delete_reason;
  size_t children_installed;
  size_t children_deleted;
  int child_delete_reason;
  uint32_t deleted_spi_in;
  tcpsec_ike_child_sa child; /* last report, key pointers into the copies */
  tcpsec_ike_traffic_selector child_local[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector child_remote[TCPSEC_IKE_CONFIG_MAX_TS];
  uint8_t encr_in[PEER_KEY_MAX], encr_out[PEER_KEY_MAX];
  uint8_t integ_in[PEER_KEY_MAX], integ_out[PEER_KEY_MAX];
} peer;

static const uint8_t peer_psk[] = "shared secret of the spoke and the hub";
static const char spoke_name[] = "spoke.example.net";
static const char hub_name[] = "hub.example.net";

/* ---- callbacks ---------------------------------------------------------- */

static inline int peer_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                            size_t len, unsigned flags) {
  peer *p = user;
  peer_msg *m;

  if (sa == NULL)
    p->stateless_replies++;
  if (p->out_count == PEER_OUTBOX)
    return -1;
  m = &p->out[p->out_count++];
  m->data = malloc(len);
  if (m->data == NULL)
    return -1;
  memcpy(m->data, msg, len);
  m->len = len;
  m->flags = flags;
  return 0;
}

static inline void peer_established(void *user, tcpsec_ike_sa *sa) {
  peer *p = user;

  (void)sa;
  p->established++;
}

static inline void peer_failed(void *user, tcpsec_ike_sa *sa, int reason) {
  peer *p = user;

  /* Calls other than the getters are rejected inside callbacks. */
  assert_int_equal(tcpsec_ike_sa_delete(sa, test_now),
                   TCPSEC_ERR_INVALID_STATE);
  p->failed++;
  p->fail_reason = reason;
}

static inline void peer_deleted(void *user, tcpsec_ike_sa *sa, int reason) {
  peer *p = user;

  (void)sa;
  p->deleted++;
  p->delete_reason = reason;
}

static inline void copy_key(const uint8_t *key, size_t len, uint8_t *dst) {
  assert_true(len <= PEER_KEY_MAX);
  if (key != NULL)
    memcpy(dst, key, len);
}

static inline void peer_child_installed(void *user, tcpsec_ike_sa *sa,
                                        const tcpsec_ike_child_sa *child) {
  peer *p = user;

  (void)sa;
  assert_int_equal(child->size, sizeof(*child));
  p->children_installed++;
  p->child = *child;
  copy_key(child->encr_key_in, child->encr_key_len, p->encr_in);
  copy_key(child->encr_key_out, child->encr_key_len, p->encr_out);
  copy_key(child->integ_key_in, child->integ_key_len, p->integ_in);
  copy_key(child->integ_key_out, child->integ_key_len, p->integ_out);
  memcpy(p->child_local, child->local_ts,
         child->local_ts_count * sizeof(*child->local_ts));
  memcpy(p->child_remote, child->remote_ts,
         child->remote_ts_count * sizeof(*child->remote_ts));
  p->child.encr_key_in = p->encr_in;
  p->child.encr_key_out = p->encr_out;
  p->child.integ_key_in = child->integ_key_len ? p->integ_in : NULL;
  p->child.integ_key_out = child->integ_key_len ? p->integ_out : NULL;
  p->child.local_ts = p->child_local;
  p->child.remote_ts = p->child_remote;
  assert_int_equal(
      tcpsec_ike_child_sa_install(p->ctx, p->sad, child, NULL, test_now), 0);
}

static inline void peer_child_deleted(void *user, tcpsec_ike_sa *sa,
                                      uint32_t spi_in, uint32_t spi_out,
                                      int reason) {
  peer *p = user;

  (void)sa;
  (void)spi_out;
  p->children_deleted++;
  p->child_delete_reason = reason;
  p->deleted_spi_in = spi_in;
  assert_int_equal(tcpsec_sad_remove(p->sad, spi_in), 0);
}

/* ---- set-up ------------------------------------------------------------- */

static inline void set_v4(uint8_t *addr, uint8_t a, uint8_t b, uint8_t c,
                          uint8_t d) {
  addr[0] = a;
  addr[1] = b;
  addr[2] = c;
  addr[3] = d;
}

static inline void set_endpoint(tcpsec_ike_endpoint *ep, uint8_t a, uint8_t b,
                                uint8_t c, uint8_t d, uint16_t port) {
  memset(ep, 0, sizeof(*ep));
  ep->family = TCPSEC_IKE_FAMILY_IPV4;
  ep->port = port;
  set_v4(ep->addr, a, b, c, d);
}

/* An IPv4 selector start.0 - end.255 (a /24 or 0.0.0.0/0), any protocol. */
static inline void set_ts(tcpsec_ike_traffic_selector *ts, uint8_t a, uint8_t b,
                          uint8_t c, uint8_t last_a, uint8_t last_b,
                          uint8_t last_c) {
  memset(ts, 0, sizeof(*ts));
  ts->family = TCPSEC_IKE_FAMILY_IPV4;
  ts->end_port = 65535;
  set_v4(ts->start_addr, a, b, c, 0);
  set_v4(ts->end_addr, last_a, last_b, last_c, 255);
}

static tcpsec_ike_traffic_selector ts_spoke_lan, ts_hub_lan, ts_any;

static inline void peer_init(peer *p, const char *name, uint64_t seed,
                             int hub) {
  tcpsec_sad_config sad_cfg;

  memset(p, 0, sizeof(*p));
  p->name = name;
  p->ctx = test_ctx_new(&p->rng, seed);
  assert_non_null(p->ctx);
  tcpsec_sad_config_default(&sad_cfg);
  assert_int_equal(tcpsec_sad_new(p->ctx, &sad_cfg, &p->sad), 0);

  set_ts(&ts_spoke_lan, 192, 168, 111, 192, 168, 111);
  set_ts(&ts_hub_lan, 10, 88, 0, 10, 88, 0);
  set_ts(&ts_any, 0, 0, 0, 255, 255, 255);

  tcpsec_ike_config_default(&p->cfg);
  p->cfg.local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  p->cfg.local_id.data = (const uint8_t *)(hub ? hub_name : spoke_name);
  p->cfg.local_id.len = strlen(hub ? hub_name : spoke_name);
  p->cfg.psk = peer_psk;
  p->cfg.psk_len = sizeof(peer_psk) - 1;
  p->cfg.local_ts = hub ? &ts_hub_lan : &ts_spoke_lan;
  p->cfg.local_ts_count = 1;
  p->cfg.remote_ts = &ts_any;
  p->cfg.remote_ts_count = 1;
  if (hub) {
    set_endpoint(&p->cfg.local, 203, 0, 113, 249, 500);
    set_endpoint(&p->cfg.remote, 198, 51, 100, 41, 500);
  } else {
    set_endpoint(&p->cfg.local, 198, 51, 100, 41, 500);
    set_endpoint(&p->cfg.remote, 203, 0, 113, 249, 500);
  }

  tcpsec_ike_callbacks_default(&p->cb);
  p->cb.send = peer_send;
  p->cb.ike_sa_established = peer_established;
  p->cb.ike_sa_failed = peer_failed;
  p->cb.ike_sa_deleted = peer_deleted;
  p->cb.child_sa_installed = peer_child_installed;
  p->cb.child_sa_deleted = peer_child_deleted;
  p->cb.user = p;
  if (hub)
    assert_int_equal(tcpsec_ike_responder_new(p->ctx, NULL, &p->resp), 0);
}

static inline void peer_clear_outbox(peer *p) {
  size_t i;

  for (i = 0; i < p->out_count; i++)
    free(p->out[i].data);
  p->out_count = 0;
}

static inline void peer_free(peer *p) {
  peer_clear_outbox(p);
  tcpsec_ike_sa_free(p->sa);
  tcpsec_ike_responder_free(p->resp);
  tcpsec_sad_free(p->sad);
  tcpsec_ctx_free(p->ctx);
}

static inline void peer_start(peer *spoke) {
  assert_int_equal(tcpsec_ike_sa_new_initiator(spoke->ctx, &spoke->cfg,
                                               &spoke->cb, &spoke->sa),
                   0);
  assert_int_equal(tcpsec_ike_sa_initiate(spoke->sa, test_now), 0);
}

/* ---- the network -------------------------------------------------------- */

static inline peer_msg peer_pop(peer *from) {
  peer_msg m;

  assert_true(from->out_count > 0);
  m = from->out[0];
  memmove(&from->out[0], &from->out[1],
          (from->out_count - 1) * sizeof(from->out[0]));
  from->out_count--;
  return m;
}

/* Feed raw bytes to a peer: its IKE SA, or its responder when it has none. */
static inline int peer_input(peer *to, const uint8_t *data, size_t len) {
  if (to->sa == NULL && to->resp != NULL)
    return tcpsec_ike_responder_input(to->resp, &to->cfg, &to->cb, data, len,
                                      test_now, &to->sa);
  assert_non_null(to->sa);
  return tcpsec_ike_sa_input(to->sa, data, len, test_now);
}

/* Move the oldest message of `from` to `to`; returns the input result. */
static inline int peer_deliver(peer *from, peer *to) {
  peer_msg m = peer_pop(from);
  int rv = peer_input(to, m.data, m.len);

  free(m.data);
  return rv;
}

/* Deliver a copy of the oldest message and keep it queued. */
static inline int peer_deliver_copy(peer *from, peer *to) {
  assert_true(from->out_count > 0);
  return peer_input(to, from->out[0].data, from->out[0].len);
}

static inline void peer_drop(peer *from) {
  peer_msg m = peer_pop(from);

  free(m.data);
}

/* The oldest queued message, for inspection and forging. */
static inline peer_msg *peer_head(peer *from) {
  assert_true(from->out_count > 0);
  return &from->out[0];
}

static inline int peer_state(const peer *p) {
  return tcpsec_ike_sa_state(p->sa);
}

/* Exchange type and Response flag of the oldest queued message. */
static inline void assert_head(peer *from, uint8_t exchange, int response) {
  tcpsec_ike_message_header h;
  peer_msg *m = peer_head(from);

  assert_int_equal(tcpsec_ike_message_peek(m->data, m->len, &h), 0);
  assert_int_equal(h.exchange, exchange);
  assert_int_equal((h.flags & 0x20) != 0, response);
}

/* The four messages of IKE_SA_INIT and IKE_AUTH. */
static inline void peers_establish(peer *spoke, peer *hub) {
  peer_start(spoke);
  /* --> IKE_SA_INIT { SA, KE, Ni, N(NAT_D_SRC), N(NAT_D_DST), N(FRAG_SUP),
   *                   N(SIG_HASH) } */
  assert_head(spoke, 34, 0);
  assert_int_equal(peer_deliver(spoke, hub), 0);
  /* <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D_SRC), N(NAT_D_DST), N(FRAG_SUP),
   *                   N(SIG_HASH) } */
  assert_head(hub, 34, 1);
  assert_int_equal(peer_deliver(hub, spoke), 0);
  /* --> IKE_AUTH SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
  assert_head(spoke, 35, 0);
  assert_int_equal(peer_deliver(spoke, hub), 0);
  /* <-- IKE_AUTH SK { IDr, AUTH, SA, TSi, TSr } */
  assert_head(hub, 35, 1);
  assert_int_equal(peer_deliver(hub, spoke), 0);
  assert_int_equal(spoke->out_count, 0);
  assert_int_equal(hub->out_count, 0);
}

/* Both sides established with one Child SA pair whose keys mirror. */
static inline void assert_established_pair(const peer *spoke, const peer *hub) {
  const tcpsec_ike_child_sa *a = &spoke->child, *b = &hub->child;

  assert_int_equal(peer_state(spoke), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(peer_state(hub), TCPSEC_IKE_SA_ESTABLISHED);
  assert_int_equal(spoke->established, 1);
  assert_int_equal(hub->established, 1);
  assert_int_equal(spoke->children_installed, 1);
  assert_int_equal(hub->children_installed, 1);
  assert_int_equal(a->spi_in, b->spi_out);
  assert_int_equal(a->spi_out, b->spi_in);
  assert_int_equal(a->encr, b->encr);
  assert_int_equal(a->integ, b->integ);
  assert_int_equal(a->encr_key_len, b->encr_key_len);
  assert_int_equal(a->integ_key_len, b->integ_key_len);
  assert_memory_equal(a->encr_key_in, b->encr_key_out, a->encr_key_len);
  assert_memory_equal(a->encr_key_out, b->encr_key_in, a->encr_key_len);
  assert_memory_not_equal(a->encr_key_in, a->encr_key_out, a->encr_key_len);
  if (a->integ_key_len > 0) {
    assert_memory_equal(a->integ_key_in, b->integ_key_out, a->integ_key_len);
    assert_memory_equal(a->integ_key_out, b->integ_key_in, a->integ_key_len);
  }
  assert_int_equal(a->initiator, 1);
  assert_int_equal(b->initiator, 0);
}

/* ---- ESP through the established pair ----------------------------------- */

static inline size_t ipv4_udp_packet(uint8_t *pkt, const uint8_t src[4],
                                     const uint8_t dst[4], const char *text) {
  size_t payload = strlen(text), len = 28 + payload, i;
  uint32_t sum = 0;

  memset(pkt, 0, 28);
  pkt[0] = 0x45;
  pkt[2] = (uint8_t)(len >> 8);
  pkt[3] = (uint8_t)len;
  pkt[8] = 64;
  pkt[9] = 17;
  memcpy(pkt + 12, src, 4);
  memcpy(pkt + 16, dst, 4);
  for (i = 0; i < 20; i += 2)
    sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  pkt[10] = (uint8_t)(~sum >> 8);
  pkt[11] = (uint8_t)~sum;
  pkt[20] = 0x30;
  pkt[21] = 0x39;
  pkt[22] = 0x04;
  pkt[23] = 0xd2;
  pkt[24] = (uint8_t)((8 + payload) >> 8);
  pkt[25] = (uint8_t)(8 + payload);
  memcpy(pkt + 28, text, payload);
  return len;
}

/* Seal on `from` with the outbound SA its database selects, open on `to`
 * through its database, and compare. */
static inline void esp_carry(peer *from, peer *to, const uint8_t src[4],
                             const uint8_t dst[4], const char *text) {
  uint8_t inner[256], wire[512];
  size_t len = ipv4_udp_packet(inner, src, dst, text), offset = 0;
  tcpsec_esp_sa *out = NULL;
  ptrdiff_t n, opened;
  uint8_t next = 0;

  assert_int_equal(tcpsec_sad_select(from->sad, inner, len, &out, NULL), 0);
  n = tcpsec_esp_sa_seal(out, inner, len, wire, sizeof(wire), test_now);
  assert_true(n > (ptrdiff_t)len);
  opened =
      tcpsec_sad_open(to->sad, wire, (size_t)n, test_now, &offset, &next, NULL);
  assert_int_equal(opened, (ptrdiff_t)len);
  assert_int_equal(next, 4);
  assert_memory_equal(wire + offset, inner, len);
}

static inline void esp_both_ways(peer *spoke, peer *hub) {
  static const uint8_t spoke_host[4] = {192, 168, 111, 10};
  static const uint8_t hub_host[4] = {10, 88, 0, 20};

  esp_carry(spoke, hub, spoke_host, hub_host, "ping from the spoke LAN");
  esp_carry(hub, spoke, hub_host, spoke_host, "pong from the hub LAN");
}

#endif /* TEST_IKE_EXCHANGE_PEERS_H */
