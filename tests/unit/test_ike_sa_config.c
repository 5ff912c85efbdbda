/*
 * IKE SA configuration checks, argument checks of the public IKE API, the
 * state rules around tcpsec_ike_sa_initiate(), tcpsec_ike_sa_delete() and
 * callbacks, and tcpsec_ike_message_peek().
 */
#include <string.h>

#include "testutil.h"

#include "tcpsec/ike.h"

static tcpsec_ctx *ctx;
static test_rng rng;
static const uint8_t psk[] = "key";
static const char id[] = "gw.example";
static int sends;

static int count_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                      size_t len, unsigned flags) {
  (void)user;
  (void)sa;
  (void)msg;
  (void)len;
  (void)flags;
  sends++;
  return 0;
}

static void good_config(tcpsec_ike_config *cfg, tcpsec_ike_callbacks *cb) {
  tcpsec_ike_config_default(cfg);
  cfg->local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  cfg->local_id.data = (const uint8_t *)id;
  cfg->local_id.len = sizeof(id) - 1;
  cfg->psk = psk;
  cfg->psk_len = sizeof(psk) - 1;
  tcpsec_ike_callbacks_default(cb);
  cb->send = count_send;
}

static int try_new(const tcpsec_ike_config *cfg,
                   const tcpsec_ike_callbacks *cb) {
  tcpsec_ike_sa *sa = NULL;
  int rv = tcpsec_ike_sa_new_initiator(ctx, cfg, cb, &sa);

  if (rv != 0)
    assert_null(sa);
  tcpsec_ike_sa_free(sa);
  return rv;
}

static void ike_config_defaults(void **state) {
  tcpsec_ike_config cfg;

  (void)state;
  tcpsec_ike_config_default(&cfg);
  assert_int_equal(cfg.size, sizeof(cfg));
  assert_string_equal(cfg.ike_proposals,
                      "aes128-sha256 aes256-sha256 aes128gcm-prfsha256 "
                      "aes256gcm-prfsha384 chacha20poly1305-prfsha256");
  assert_string_equal(cfg.esp_proposals,
                      "aes128-sha256 aes256-sha256 "
                      "aes128gcm aes256gcm chacha20poly1305");
  assert_int_equal(cfg.dh_group_count, 2);
  assert_int_equal(cfg.dh_groups[0], 20);
  assert_int_equal(cfg.dh_groups[1], 21);
  assert_int_equal(cfg.retransmit_timeout_ms, 1000);
  assert_int_equal(cfg.retransmit_limit, 7);
  assert_int_equal(cfg.dpd_interval_ms, 30000);
  assert_int_equal(cfg.nat_traversal, 1);
  tcpsec_ike_config_default(NULL);
  tcpsec_ike_callbacks_default(NULL);
}

static void ike_config_rejects_bad_values(void **state) {
  static const uint8_t ip5[5] = {1, 2, 3, 4, 5};
  tcpsec_ike_traffic_selector bad_ts, many_ts[17];
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  struct {
    tcpsec_ike_config cfg;
    uint8_t future[8];
  } bigger;

  (void)state;
  good_config(&cfg, &cb);
  assert_int_equal(try_new(&cfg, &cb), 0);

  good_config(&cfg, &cb);
  cfg.local_id.type = TCPSEC_IKE_ID_TYPE_ANY;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.local_id.type = TCPSEC_IKE_ID_TYPE_IPV4_ADDR;
  cfg.local_id.data = ip5;
  cfg.local_id.len = 5;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.local_id.len = 256;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.psk_len = 0;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.ike_proposals = "aes128-md5";
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_INVALID_PROPOSAL);
  good_config(&cfg, &cb);
  cfg.esp_proposals = "";
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_INVALID_PROPOSAL);
  good_config(&cfg, &cb);
  cfg.esp_proposals = NULL;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.dh_groups[0] = 2;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_UNKNOWN_ALGORITHM);
  good_config(&cfg, &cb);
  cfg.dh_group_count = 9;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.dh_group_count = 0;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  memset(&bad_ts, 0, sizeof(bad_ts));
  bad_ts.family = TCPSEC_IKE_FAMILY_IPV4;
  bad_ts.start_port = 10;
  bad_ts.end_port = 5;
  cfg.local_ts = &bad_ts;
  cfg.local_ts_count = 1;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  memset(many_ts, 0, sizeof(many_ts));
  cfg.remote_ts = many_ts;
  cfg.remote_ts_count = 17;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.transport = 2;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.retransmit_timeout_ms = 0;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);
  good_config(&cfg, &cb);
  cfg.auth_method = 1;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_CONFIG);

  /* Versioned structs: size 0, and unknown non-zero trailing fields. */
  good_config(&cfg, &cb);
  cfg.size = 0;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_INVALID_ARGUMENT);
  memset(&bigger, 0, sizeof(bigger));
  good_config(&bigger.cfg, &cb);
  bigger.cfg.size = sizeof(bigger);
  assert_int_equal(try_new(&bigger.cfg, &cb), 0);
  bigger.future[2] = 1;
  assert_int_equal(try_new(&bigger.cfg, &cb), TCPSEC_ERR_INVALID_ARGUMENT);
  good_config(&cfg, &cb);
  cb.send = NULL;
  assert_int_equal(try_new(&cfg, &cb), TCPSEC_ERR_INVALID_ARGUMENT);
  good_config(&cfg, &cb);
  assert_int_equal(tcpsec_ike_sa_new_initiator(NULL, &cfg, &cb, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void ike_api_state_rules(void **state) {
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  tcpsec_ike_sa *sa = NULL;
  tcpsec_ike_sa_info info;
  tcpsec_ike_sa_stats st;
  uint8_t spi_i[8], spi_r[8] = {1}, zero[8] = {0};

  (void)state;
  good_config(&cfg, &cb);
  assert_int_equal(tcpsec_ike_sa_new_initiator(ctx, &cfg, &cb, &sa), 0);
  assert_int_equal(tcpsec_ike_sa_state(sa), TCPSEC_IKE_SA_IDLE);
  assert_int_equal(tcpsec_ike_sa_next_timeout(sa), TCPSEC_IKE_NO_TIMEOUT);
  assert_int_equal(tcpsec_ike_sa_input(sa, psk, 3, 0),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_ike_sa_check_liveness(sa, 0),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_ike_sa_delete_child(sa, 1000, 0),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_ike_sa_spis(sa, spi_i, spi_r), 0);
  assert_memory_not_equal(spi_i, zero, 8);
  assert_int_equal(spi_r[0], 0);

  sends = 0;
  assert_int_equal(tcpsec_ike_sa_initiate(sa, 5), 0);
  assert_int_equal(sends, 1);
  assert_int_equal(tcpsec_ike_sa_state(sa), TCPSEC_IKE_SA_INIT_SENT);
  assert_int_equal(tcpsec_ike_sa_initiate(sa, 5), TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_ike_sa_next_timeout(sa), 1005);
  assert_int_equal(tcpsec_ike_sa_connection_changed(sa, 7, NULL, NULL, 6),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  info.size = 4;
  assert_int_equal(tcpsec_ike_sa_get_info(sa, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  info.size = sizeof(info);
  assert_int_equal(tcpsec_ike_sa_get_info(sa, &info), 0);
  assert_int_equal(info.state, TCPSEC_IKE_SA_INIT_SENT);
  assert_int_equal(info.initiator, 1);
  assert_int_equal(info.ke_group, 20);
  st.size = sizeof(st);
  assert_int_equal(tcpsec_ike_sa_get_stats(sa, &st), 0);
  assert_int_equal(st.messages_out, 1);

  /* Deleting before establishment fails the IKE SA at once, reason 0. */
  assert_int_equal(tcpsec_ike_sa_delete(sa, 7), 0);
  assert_int_equal(tcpsec_ike_sa_state(sa), TCPSEC_IKE_SA_FAILED);
  assert_int_equal(tcpsec_ike_sa_delete(sa, 7), TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_ike_sa_next_timeout(sa), TCPSEC_IKE_NO_TIMEOUT);
  assert_int_equal(tcpsec_ike_sa_handle_timeout(sa, 100000), 0);
  assert_int_equal(sends, 1);
  tcpsec_ike_sa_free(sa);

  /* NULL handles. */
  assert_int_equal(tcpsec_ike_sa_state(NULL), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_sa_input(NULL, psk, 1, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_sa_handle_timeout(NULL, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_sa_next_timeout(NULL), TCPSEC_IKE_NO_TIMEOUT);
  assert_int_equal(tcpsec_ike_sa_delete(NULL, 0), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_sa_spis(NULL, NULL, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_ike_sa_peer_alive(NULL, 0);
  tcpsec_ike_sa_free(NULL);
}

static void ike_responder_api(void **state) {
  tcpsec_ike_responder_config rc;
  tcpsec_ike_responder *resp = NULL;
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  tcpsec_ike_sa *sa = (tcpsec_ike_sa *)&rc;

  (void)state;
  tcpsec_ike_responder_config_default(&rc);
  assert_int_equal(rc.cookie_threshold, 16);
  rc.cookie_secret_lifetime_ms = 0;
  assert_int_equal(tcpsec_ike_responder_new(ctx, &rc, &resp),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_responder_new(ctx, NULL, &resp), 0);
  good_config(&cfg, &cb);
  assert_int_equal(tcpsec_ike_responder_input(resp, &cfg, &cb, psk, 3, 0, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_responder_input(resp, &cfg, &cb, psk, 3, 0, &sa),
                   TCPSEC_ERR_TRUNCATED);
  assert_null(sa);
  assert_int_equal(tcpsec_ike_responder_half_open(resp), 0);
  assert_int_equal(tcpsec_ike_responder_half_open(NULL), 0);
  tcpsec_ike_responder_free(resp);
  tcpsec_ike_responder_free(NULL);
}

static void ike_message_peek_header(void **state) {
  uint8_t msg[32] = {1, 2, 3,  4,    5,  6,    7, 8, 0, 0, 0, 0, 0, 0,
                     0, 0, 33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 32};
  tcpsec_ike_message_header h;

  (void)state;
  assert_int_equal(tcpsec_ike_message_peek(msg, 32, &h), 0);
  assert_int_equal(h.exchange, 34);
  assert_int_equal(h.flags, 0x08);
  assert_int_equal(h.length, 32);
  assert_int_equal(h.spi_i[7], 8);
  assert_int_equal(tcpsec_ike_message_peek(msg, 31, &h), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(tcpsec_ike_message_peek(msg, 27, &h), TCPSEC_ERR_TRUNCATED);
  msg[27] = 30;
  assert_int_equal(tcpsec_ike_message_peek(msg, 32, &h), TCPSEC_ERR_MALFORMED);
  msg[27] = 32;
  msg[17] = 0x10;
  assert_int_equal(tcpsec_ike_message_peek(msg, 32, &h),
                   TCPSEC_ERR_INVALID_MAJOR_VERSION);
  assert_int_equal(tcpsec_ike_message_peek(NULL, 32, &h),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 5);
  return ctx == NULL;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_config_defaults),
      cmocka_unit_test(ike_config_rejects_bad_values),
      cmocka_unit_test(ike_api_state_rules),
      cmocka_unit_test(ike_responder_api),
      cmocka_unit_test(ike_message_peek_header),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
