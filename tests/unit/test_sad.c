/* SA database: keyed hash, SPI reservation, install and removal, lookups
 * after many inserts and deletes, limits, and the inbound data path. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "sa/sa_internal.h"
#include "tcpsec/sa.h"

static const uint8_t gcm_key[20] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0xa0, 0xa1, 0xa2, 0xa3};

static tcpsec_esp_sa *make_sa(tcpsec_ctx *ctx, uint32_t spi,
                              tcpsec_esp_direction dir) {
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;

  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = spi;
  cfg.direction = dir;
  cfg.encr = TCPSEC_ENCR_AES_GCM_16;
  cfg.encr_key = gcm_key;
  cfg.encr_key_len = sizeof(gcm_key);
  assert_int_equal(tcpsec_esp_sa_new(ctx, &cfg, 0, &sa), 0);
  return sa;
}

static void install_inbound(tcpsec_sad *sad, tcpsec_ctx *ctx, uint32_t spi) {
  tcpsec_sad_child child;

  memset(&child, 0, sizeof(child));
  child.size = sizeof(child);
  child.inbound = make_sa(ctx, spi, TCPSEC_ESP_INBOUND);
  assert_int_equal(tcpsec_sad_install(sad, &child), 0);
}

static void siphash_reference_vectors(void **state) {
  /* SipHash-2-4 reference code (veorq/SipHash, vectors.h, vectors_sip64):
   * key 00..0f, message of n bytes 00..n-1; the table's little-endian
   * output bytes read here as one 64-bit value. */
  uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  uint8_t msg[15];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(msg); i++)
    msg[i] = (uint8_t)i;
  assert_int_equal(tcpsec_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
  assert_int_equal(tcpsec_siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
  assert_int_equal(tcpsec_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void sad_reserves_unique_spis(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_sad *sad = NULL;
  tcpsec_sad_stats st;
  uint32_t spis[5000];
  size_t i;

  (void)state;
  assert_int_equal(tcpsec_sad_new(ctx, NULL, &sad), 0);
  for (i = 0; i < TCPSEC_ARRAY_SIZE(spis); i++) {
    assert_int_equal(tcpsec_sad_reserve_spi(sad, &spis[i]), 0);
    assert_true(spis[i] >= TCPSEC_SAD_SPI_MIN);
  }
  qsort(spis, TCPSEC_ARRAY_SIZE(spis), sizeof(spis[0]), cmp_u32);
  for (i = 1; i < TCPSEC_ARRAY_SIZE(spis); i++)
    assert_true(spis[i] != spis[i - 1]);

  /* A reserved SPI has no SA; release frees it exactly once. */
  assert_null(tcpsec_sad_find_inbound(sad, spis[7]));
  assert_int_equal(tcpsec_sad_release_spi(sad, spis[7]), 0);
  assert_int_equal(tcpsec_sad_release_spi(sad, spis[7]), TCPSEC_ERR_NOT_FOUND);
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(sad, &st), 0);
  assert_int_equal(st.reserved_spis, TCPSEC_ARRAY_SIZE(spis) - 1);
  assert_int_equal(st.child_sas, 0);
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
}

/* Random source that hands out a scripted list of 32-bit values, then
 * repeats the last one. */
struct scripted {
  const uint32_t *values;
  size_t count, next;
};

static int scripted_fill(void *user, uint8_t *buf, size_t len) {
  struct scripted *s = user;
  size_t i;

  for (i = 0; i + 4 <= len; i += 4) {
    size_t k = s->next < s->count ? s->next++ : s->count - 1;
    tcpsec_store_be32(buf + i, s->values[k]);
  }
  for (; i < len; i++)
    buf[i] = 0x5a;
  return 0;
}

static void sad_skips_reserved_spi_values(void **state) {
  /* The first 4-byte draw keys the hash (16 bytes = 4 values). */
  static const uint32_t values[] = {1, 2, 3, 4, 0, 1, 255, 256, 256, 256};
  struct scripted s = {values, TCPSEC_ARRAY_SIZE(values), 0};
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;
  tcpsec_sad *sad = NULL;
  uint32_t spi = 0;

  (void)state;
  tcpsec_ctx_config_default(&cfg);
  cfg.random = scripted_fill;
  cfg.random_user = &s;
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), 0);
  assert_int_equal(tcpsec_sad_new(ctx, NULL, &sad), 0);

  /* 0, 1 and 255 are skipped; 256 is the first usable value. */
  assert_int_equal(tcpsec_sad_reserve_spi(sad, &spi), 0);
  assert_int_equal(spi, 256);
  /* The source now only repeats 256, which is taken: give up, never
   * hand out a duplicate. */
  assert_int_equal(tcpsec_sad_reserve_spi(sad, &spi), TCPSEC_ERR_RANDOM);
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
}

static void sad_install_find_remove(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 2);
  tcpsec_sad *sad = NULL;
  tcpsec_sad_child child;
  tcpsec_esp_sa *in, *out, *dup;
  uint32_t spi;

  (void)state;
  assert_int_equal(tcpsec_sad_new(ctx, NULL, &sad), 0);
  assert_int_equal(tcpsec_sad_reserve_spi(sad, &spi), 0);
  in = make_sa(ctx, spi, TCPSEC_ESP_INBOUND);
  out = make_sa(ctx, 0x12345678, TCPSEC_ESP_OUTBOUND);

  memset(&child, 0, sizeof(child));
  child.size = sizeof(child);
  child.inbound = in;
  child.outbound = out;
  assert_int_equal(tcpsec_sad_install(sad, &child), 0);
  assert_ptr_equal(tcpsec_sad_find_inbound(sad, spi), in);
  assert_ptr_equal(tcpsec_sad_find_outbound(sad, spi), out);
  assert_int_equal(tcpsec_sad_release_spi(sad, spi),
                   TCPSEC_ERR_INVALID_STATE);

  /* A second Child SA with the same inbound SPI is refused, and the
   * caller keeps its SA. */
  dup = make_sa(ctx, spi, TCPSEC_ESP_INBOUND);
  child.inbound = dup;
  child.outbound = NULL;
  assert_int_equal(tcpsec_sad_install(sad, &child), TCPSEC_ERR_EXISTS);
  tcpsec_esp_sa_free(dup);

  assert_int_equal(tcpsec_sad_remove(sad, spi), 0);
  assert_null(tcpsec_sad_find_inbound(sad, spi));
  assert_null(tcpsec_sad_find_outbound(sad, spi));
  assert_int_equal(tcpsec_sad_remove(sad, spi), TCPSEC_ERR_NOT_FOUND);
  assert_int_equal(tcpsec_sad_release_spi(sad, spi), TCPSEC_ERR_NOT_FOUND);

  /* Installing an SPI that was never reserved works too. */
  install_inbound(sad, ctx, 0x00abcdef);
  assert_non_null(tcpsec_sad_find_inbound(sad, 0x00abcdef));
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
}

static void sad_rejects_bad_children(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 3);
  tcpsec_sad_config cfg;
  tcpsec_sad *sad = NULL;
  tcpsec_sad_child child;
  tcpsec_sa_traffic_selector ts[3];
  tcpsec_esp_sa *in, *out;

  (void)state;
  tcpsec_sad_config_default(&cfg);
  cfg.max_ts_per_side = 2;
  assert_int_equal(tcpsec_sad_new(ctx, &cfg, &sad), 0);
  in = make_sa(ctx, 0x1000, TCPSEC_ESP_INBOUND);
  out = make_sa(ctx, 0x2000, TCPSEC_ESP_OUTBOUND);
  memset(ts, 0, sizeof(ts));
  ts[0].ts_type = ts[1].ts_type = ts[2].ts_type = TCPSEC_TS_IPV4_ADDR_RANGE;
  memset(ts[0].end_addr, 0xff, 4);
  ts[0].end_port = ts[1].end_port = ts[2].end_port = 0xffff;
  memset(ts[1].end_addr, 0xff, 4);
  memset(ts[2].end_addr, 0xff, 4);

  memset(&child, 0, sizeof(child));
  child.size = sizeof(child);
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* no inbound SA */
  child.inbound = out;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* wrong direction */
  child.inbound = in;
  child.outbound = in;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  child.outbound = NULL;
  child.local_ts = ts;
  child.local_ts_count = 1;
  child.remote_ts = ts;
  child.remote_ts_count = 1;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* selectors, no outbound */
  child.outbound = out;
  child.remote_ts_count = 3;
  assert_int_equal(tcpsec_sad_install(sad, &child), TCPSEC_ERR_LIMIT);
  child.remote_ts_count = 1;
  ts[0].start_port = 10;
  ts[0].end_port = 9;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* start port above end */
  ts[0].start_port = 0;
  ts[0].end_port = 0xffff;
  ts[0].start_addr[0] = 0xff;
  ts[0].end_addr[0] = 0x01;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* start address above end */
  ts[0].ts_type = 9;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT); /* unknown TS type */
  child.size = 0;
  assert_int_equal(tcpsec_sad_install(sad, &child),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* Nothing was installed by the failed calls. */
  assert_null(tcpsec_sad_find_inbound(sad, 0x1000));
  tcpsec_esp_sa_free(in);
  tcpsec_esp_sa_free(out);
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
}

static void sad_enforces_spi_limit(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 4);
  tcpsec_sad_config cfg;
  tcpsec_sad *sad = NULL;
  tcpsec_esp_sa *in;
  tcpsec_sad_child child;
  uint32_t spi;
  int i;

  (void)state;
  tcpsec_sad_config_default(&cfg);
  cfg.max_spis = 4;
  assert_int_equal(tcpsec_sad_new(ctx, &cfg, &sad), 0);
  for (i = 0; i < 4; i++)
    assert_int_equal(tcpsec_sad_reserve_spi(sad, &spi), 0);
  assert_int_equal(tcpsec_sad_reserve_spi(sad, &spi), TCPSEC_ERR_LIMIT);

  in = make_sa(ctx, 0x777, TCPSEC_ESP_INBOUND);
  memset(&child, 0, sizeof(child));
  child.size = sizeof(child);
  child.inbound = in;
  assert_int_equal(tcpsec_sad_install(sad, &child), TCPSEC_ERR_LIMIT);
  /* A reserved SPI can still be installed at the limit. */
  tcpsec_esp_sa_free(in);
  in = make_sa(ctx, spi, TCPSEC_ESP_INBOUND);
  child.inbound = in;
  assert_int_equal(tcpsec_sad_install(sad, &child), 0);
  tcpsec_sad_free(sad);

  cfg.max_spis = 0;
  assert_int_equal(tcpsec_sad_new(ctx, &cfg, &sad),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  cfg.max_spis = 10;
  cfg.size = 0;
  assert_int_equal(tcpsec_sad_new(ctx, &cfg, &sad),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_ctx_free(ctx);
}

static void sad_survives_churn(void **state) {
  /* Many inserts and deletes keep every remaining SPI reachable: checks
   * the backward-shift deletion and the growth of the table. */
  enum { N = 20000 };
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 5);
  tcpsec_sad *sad = NULL;
  tcpsec_sad_stats st;
  uint32_t *spis = calloc(N, sizeof(uint32_t));
  size_t i;

  (void)state;
  assert_non_null(spis);
  assert_int_equal(tcpsec_sad_new(ctx, NULL, &sad), 0);
  for (i = 0; i < N; i++) {
    assert_int_equal(tcpsec_sad_reserve_spi(sad, &spis[i]), 0);
    if (i % 3 != 0)
      install_inbound(sad, ctx, spis[i]);
  }
  for (i = 0; i < N; i += 2) {
    if (i % 3 != 0)
      assert_int_equal(tcpsec_sad_remove(sad, spis[i]), 0);
    else
      assert_int_equal(tcpsec_sad_release_spi(sad, spis[i]), 0);
  }
  for (i = 0; i < N; i++) {
    tcpsec_esp_sa *sa = tcpsec_sad_find_inbound(sad, spis[i]);
    if (i % 2 == 0 || i % 3 == 0) {
      assert_null(sa);
    } else {
      assert_non_null(sa);
      assert_int_equal(tcpsec_esp_sa_spi(sa), spis[i]);
    }
  }
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(sad, &st), 0);
  assert_int_equal(st.child_sas + st.reserved_spis, N / 2);
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
  free(spis);
}

static void sad_open_counts_unknown_spi(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 6);
  tcpsec_sad *sad = NULL;
  tcpsec_sad_stats st;
  tcpsec_esp_sa *out, *used = NULL;
  uint8_t packet[256], inner[28], nh = 0;
  size_t offset = 0;
  ptrdiff_t n;

  (void)state;
  assert_int_equal(tcpsec_sad_new(ctx, NULL, &sad), 0);
  install_inbound(sad, ctx, 0x4242);
  out = make_sa(ctx, 0x4242, TCPSEC_ESP_OUTBOUND);

  /* A minimal IPv4 packet: 20-byte header and 8 bytes of payload. */
  memset(inner, 0, sizeof(inner));
  inner[0] = 0x45;
  inner[3] = sizeof(inner);
  inner[9] = 17;
  n = tcpsec_esp_sa_seal(out, inner, sizeof(inner), packet, sizeof(packet), 1);
  assert_true(n > 0);

  /* The known SPI opens in place. */
  assert_int_equal(tcpsec_sad_open(sad, packet, (size_t)n, 2, &offset, &nh,
                                   &used),
                   (ptrdiff_t)sizeof(inner));
  assert_int_equal(offset, 16);
  assert_int_equal(nh, 4);
  assert_ptr_equal(used, tcpsec_sad_find_inbound(sad, 0x4242));
  assert_memory_equal(packet + offset, inner, sizeof(inner));

  /* An unknown SPI and a packet too short for an SPI. */
  tcpsec_store_be32(packet, 0x4243);
  assert_int_equal(tcpsec_sad_open(sad, packet, (size_t)n, 2, &offset, NULL,
                                   NULL),
                   TCPSEC_ERR_ESP_UNKNOWN_SPI);
  assert_int_equal(tcpsec_sad_open(sad, packet, 3, 2, &offset, NULL, NULL),
                   TCPSEC_ERR_ESP_TRUNCATED);
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(sad, &st), 0);
  assert_int_equal(st.unknown_spi, 1);
  assert_true(st.table_bytes > 0);
  tcpsec_esp_sa_free(out);
  tcpsec_sad_free(sad);
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(siphash_reference_vectors),
    cmocka_unit_test(sad_reserves_unique_spis),
    cmocka_unit_test(sad_skips_reserved_spi_values),
    cmocka_unit_test(sad_install_find_remove),
    cmocka_unit_test(sad_rejects_bad_children),
    cmocka_unit_test(sad_enforces_spi_limit),
    cmocka_unit_test(sad_survives_churn),
    cmocka_unit_test(sad_open_counts_unknown_spi),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
