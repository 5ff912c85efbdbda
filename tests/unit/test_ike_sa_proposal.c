/*
 * Proposal building and selection of the IKE layer (RFC 7296 sections 2.7,
 * 3.3 and 3.3.6): what we offer, which of the peer's proposals a responder
 * takes, and what an initiator accepts back. Peer proposals are built by
 * hand so that every odd shape can be tried.
 */
#include "ike/ike_sa.h"

#include <string.h>

#include "testutil.h"

static tcpsec_ctx *ctx;
static test_rng rng;

static void load(ike_config *cfg, const char *ike, const char *esp, uint16_t g1,
                 uint16_t g2) {
  static const uint8_t psk[] = "k";
  static const char id[] = "a.example";
  tcpsec_ike_config pub;

  tcpsec_ike_config_default(&pub);
  pub.local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  pub.local_id.data = (const uint8_t *)id;
  pub.local_id.len = sizeof(id) - 1;
  pub.psk = psk;
  pub.psk_len = 1;
  pub.ike_proposals = ike;
  pub.esp_proposals = esp;
  pub.dh_groups[0] = g1;
  pub.dh_groups[1] = g2;
  pub.dh_group_count = g2 != 0 ? 2 : 1;
  assert_int_equal(tcpsec_ike_config_load(ctx, &pub, cfg), 0);
}

static tcpsec_ike_transform tf(uint8_t type, uint16_t id, uint16_t bits) {
  tcpsec_ike_transform t;

  memset(&t, 0, sizeof(t));
  t.type = type;
  t.id = id;
  t.key_bits = bits;
  return t;
}

static tcpsec_ike_proposal prop(uint8_t number, uint8_t protocol,
                                const tcpsec_ike_transform *t, size_t n) {
  tcpsec_ike_proposal p;

  memset(&p, 0, sizeof(p));
  p.number = number;
  p.protocol = protocol;
  p.transforms = t;
  p.transform_count = (uint8_t)n;
  if (protocol == TCPSEC_IKE_PROTO_ESP) {
    p.spi_size = 4;
    tcpsec_store_be32(p.spi, 0x01020304);
  }
  return p;
}

#define ENCR TCPSEC_TRANSFORM_ENCR
#define PRF TCPSEC_TRANSFORM_PRF
#define INTEG TCPSEC_TRANSFORM_INTEG
#define KE TCPSEC_TRANSFORM_KE
#define ESN TCPSEC_TRANSFORM_ESN

static void ike_proposal_offer_lists_ke_first(void **state) {
  ike_config cfg;
  ike_offer offer;
  const tcpsec_ike_proposal *p;

  (void)state;
  load(&cfg, "aes128-sha256 aes256gcm-prfsha384", "aes128gcm", 20, 21);
  tcpsec_ike_offer_ike(&cfg, 21, &offer);
  assert_int_equal(offer.count, 2);
  p = &offer.proposals[0];
  assert_int_equal(p->number, 1);
  assert_int_equal(p->protocol, TCPSEC_IKE_PROTO_IKE);
  assert_int_equal(p->spi_size, 0);
  assert_int_equal(p->transform_count, 5);
  assert_int_equal(p->transforms[0].type, ENCR);
  assert_int_equal(p->transforms[0].id, TCPSEC_ENCR_AES_CBC);
  assert_int_equal(p->transforms[0].key_bits, 128);
  assert_int_equal(p->transforms[1].type, PRF);
  assert_int_equal(p->transforms[2].type, INTEG);
  assert_int_equal(p->transforms[3].id, 21); /* the KEi group first */
  assert_int_equal(p->transforms[4].id, 20);
  /* AEAD: no integrity transform. */
  assert_int_equal(offer.proposals[1].transform_count, 4);

  tcpsec_ike_offer_esp(&cfg, 0x1234, &offer);
  p = &offer.proposals[0];
  assert_int_equal(p->protocol, TCPSEC_IKE_PROTO_ESP);
  assert_int_equal(p->spi_size, 4);
  assert_int_equal(tcpsec_load_be32(p->spi), 0x1234);
  /* ENCR and both ESN values, no KE in IKE_AUTH (section 1.2). */
  assert_int_equal(p->transform_count, 3);
  assert_int_equal(p->transforms[1].type, ESN);
  assert_int_equal(p->transforms[2].type, ESN);
  tcpsec_ike_config_clear(ctx, &cfg);
}

static void ike_proposal_responder_walks_peer_order(void **state) {
  const tcpsec_ike_transform gcm[] = {tf(ENCR, TCPSEC_ENCR_AES_GCM_16, 256),
                                      tf(PRF, TCPSEC_PRF_HMAC_SHA2_384, 0),
                                      tf(KE, 20, 0)};
  const tcpsec_ike_transform cbc[] = {
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 128), tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 20, 0)};
  tcpsec_ike_proposal props[2];
  tcpsec_ike_sa_payload sa;
  ike_suite suite;
  ike_config cfg;

  (void)state;
  /* We prefer CBC, the peer lists GCM first: the peer's order wins. */
  load(&cfg, "aes128-sha256 aes256gcm-prfsha384", "aes128gcm", 20, 0);
  props[0] = prop(1, TCPSEC_IKE_PROTO_IKE, gcm, 3);
  props[1] = prop(2, TCPSEC_IKE_PROTO_IKE, cbc, 4);
  sa.proposals = props;
  sa.count = 2;
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 20, &suite), 0);
  assert_int_equal(suite.encr, TCPSEC_ENCR_AES_GCM_16);
  assert_int_equal(suite.key_bits, 256);
  assert_int_equal(suite.prf, TCPSEC_PRF_HMAC_SHA2_384);
  assert_int_equal(suite.integ, TCPSEC_INTEG_NONE);
  assert_int_equal(suite.ke, 20);
  tcpsec_ike_config_clear(ctx, &cfg);
}

static void ike_proposal_responder_skips_what_it_cannot_take(void **state) {
  tcpsec_ike_attribute odd_attr = {15, 1, 7, NULL, 0};
  tcpsec_ike_transform odd_encr = tf(ENCR, TCPSEC_ENCR_AES_CBC, 128);
  const tcpsec_ike_transform good[] = {
      tf(ENCR, 3, 0), /* 3DES: unknown, ignored */
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 128),
      tf(PRF, 2, 0), /* HMAC-SHA1 */
      tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0),
      tf(KE, 19, 0),
      tf(KE, 20, 0)};
  const tcpsec_ike_transform unknown_type[] = {
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 128), tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 20, 0), tf(9, 1, 0)};
  const tcpsec_ike_transform wrong_bits[] = {
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 192), tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 20, 0)};
  tcpsec_ike_transform with_attr[4];
  tcpsec_ike_proposal props[5];
  tcpsec_ike_sa_payload sa;
  ike_suite suite;
  ike_config cfg;

  (void)state;
  load(&cfg, "aes128-sha256", "aes128gcm", 20, 0);
  odd_encr.attrs = &odd_attr;
  odd_encr.attr_count = 1;
  memcpy(with_attr, wrong_bits, sizeof(with_attr));
  with_attr[0] = odd_encr;
  props[0] = prop(1, TCPSEC_IKE_PROTO_IKE, unknown_type, 5);
  props[1] = prop(2, TCPSEC_IKE_PROTO_IKE, wrong_bits, 4);
  props[2] = prop(3, TCPSEC_IKE_PROTO_IKE, with_attr, 4);
  props[3] = prop(4, TCPSEC_IKE_PROTO_ESP, good, 7);
  props[4] = prop(5, TCPSEC_IKE_PROTO_IKE, good, 7);
  sa.proposals = props;
  sa.count = 5;
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 19, &suite), 4);
  /* KEi is group 19, which we do not allow: we ask for 20. */
  assert_int_equal(suite.ke, 20);
  assert_int_equal(suite.prf, TCPSEC_PRF_HMAC_SHA2_256);

  sa.count = 4;
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 20, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  /* An SPI in an initial IKE proposal is not acceptable. */
  props[4].spi_size = 8;
  sa.proposals = &props[4];
  sa.count = 1;
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 20, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  tcpsec_ike_config_clear(ctx, &cfg);
}

static void ike_proposal_aead_and_integrity(void **state) {
  const tcpsec_ike_transform none[] = {tf(ENCR, TCPSEC_ENCR_AES_GCM_16, 128),
                                       tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
                                       tf(INTEG, TCPSEC_INTEG_NONE, 0),
                                       tf(KE, 20, 0)};
  const tcpsec_ike_transform real[] = {
      tf(ENCR, TCPSEC_ENCR_AES_GCM_16, 128),
      tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 20, 0)};
  tcpsec_ike_proposal p;
  tcpsec_ike_sa_payload sa;
  ike_suite suite;
  ike_config cfg;

  (void)state;
  load(&cfg, "aes128gcm-prfsha256", "aes128gcm", 20, 0);
  sa.proposals = &p;
  sa.count = 1;
  p = prop(1, TCPSEC_IKE_PROTO_IKE, none, 4);
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 20, &suite), 0);
  /* A combined-mode cipher with a real integrity algorithm is invalid
   * (section 2.7). */
  p = prop(1, TCPSEC_IKE_PROTO_IKE, real, 4);
  assert_int_equal(tcpsec_ike_select_ike(&cfg, &sa, 20, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  tcpsec_ike_config_clear(ctx, &cfg);
}

static void ike_proposal_esp_selection(void **state) {
  const tcpsec_ike_transform esn_used[] = {
      tf(ENCR, TCPSEC_ENCR_CHACHA20_POLY1305, 0), tf(ESN, 1, 0), tf(ESN, 0, 0)};
  const tcpsec_ike_transform no_esn_with_ke[] = {
      tf(ENCR, TCPSEC_ENCR_CHACHA20_POLY1305, 0), tf(KE, 20, 0)};
  tcpsec_ike_proposal p;
  tcpsec_ike_sa_payload sa;
  ike_esp_suite suite;
  ike_config cfg;

  (void)state;
  load(&cfg, "aes128-sha256", "chacha20poly1305", 20, 0);
  sa.proposals = &p;
  sa.count = 1;
  p = prop(1, TCPSEC_IKE_PROTO_ESP, esn_used, 3);
  assert_int_equal(tcpsec_ike_select_esp(&cfg, &sa, &suite), 0);
  assert_int_equal(suite.esn, 1);
  assert_int_equal(suite.key_bits, 256);
  assert_int_equal(suite.peer_spi, 0x01020304);
  /* No ESN transform means no ESN; a KE transform is ignored in
   * IKE_AUTH. */
  p = prop(1, TCPSEC_IKE_PROTO_ESP, no_esn_with_ke, 2);
  assert_int_equal(tcpsec_ike_select_esp(&cfg, &sa, &suite), 0);
  assert_int_equal(suite.esn, 0);
  /* Reserved SPIs (below 256) are rejected. */
  tcpsec_store_be32(p.spi, 255);
  assert_int_equal(tcpsec_ike_select_esp(&cfg, &sa, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  tcpsec_ike_config_clear(ctx, &cfg);
}

static void ike_proposal_initiator_checks_response(void **state) {
  const tcpsec_ike_transform chosen[] = {
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 256), tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 21, 0)};
  const tcpsec_ike_transform two_encr[] = {
      tf(ENCR, TCPSEC_ENCR_AES_CBC, 256), tf(ENCR, TCPSEC_ENCR_AES_CBC, 128),
      tf(PRF, TCPSEC_PRF_HMAC_SHA2_256, 0),
      tf(INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0), tf(KE, 21, 0)};
  tcpsec_ike_proposal p[2];
  tcpsec_ike_sa_payload sa;
  ike_suite suite;
  ike_config cfg;

  (void)state;
  load(&cfg, "aes128-sha256 aes256-sha256", "aes128gcm", 20, 21);
  p[0] = prop(2, TCPSEC_IKE_PROTO_IKE, chosen, 4);
  p[1] = p[0];
  sa.proposals = p;
  sa.count = 1;
  assert_int_equal(tcpsec_ike_accept_ike(&cfg, &sa, 21, &suite), 0);
  assert_int_equal(suite.key_bits, 256);
  /* Rejected: another group than our KEi, two proposals, two ENCR
   * transforms. */
  assert_int_equal(tcpsec_ike_accept_ike(&cfg, &sa, 20, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  sa.count = 2;
  assert_int_equal(tcpsec_ike_accept_ike(&cfg, &sa, 21, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  p[0] = prop(2, TCPSEC_IKE_PROTO_IKE, two_encr, 5);
  sa.count = 1;
  assert_int_equal(tcpsec_ike_accept_ike(&cfg, &sa, 21, &suite),
                   TCPSEC_ERR_NO_PROPOSAL_CHOSEN);
  assert_true(tcpsec_ike_group_allowed(&cfg, 21));
  assert_false(tcpsec_ike_group_allowed(&cfg, 14));
  tcpsec_ike_config_clear(ctx, &cfg);
}

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 3);
  return ctx == NULL;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_proposal_offer_lists_ke_first),
      cmocka_unit_test(ike_proposal_responder_walks_peer_order),
      cmocka_unit_test(ike_proposal_responder_skips_what_it_cannot_take),
      cmocka_unit_test(ike_proposal_aead_and_integrity),
      cmocka_unit_test(ike_proposal_esp_selection),
      cmocka_unit_test(ike_proposal_initiator_checks_response),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
