/* Unit tests for the core: context configuration, errors, version, buffer,
 * cursor, constant-time compare and zeroize. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/buf.h"
#include "core/ctx.h"
#include "core/cursor.h"
#include "core/util.h"

static void ctx_defaults_work(void **state) {
  tcpsec_ctx *ctx = NULL;
  uint8_t a[32] = {0}, b[32] = {0};

  (void)state;
  assert_int_equal(tcpsec_ctx_new(NULL, &ctx), 0);
  assert_non_null(ctx);
  assert_int_equal(tcpsec_random_bytes(ctx, a, sizeof(a)), 0);
  assert_int_equal(tcpsec_random_bytes(ctx, b, sizeof(b)), 0);
  assert_memory_not_equal(a, b, sizeof(a));
  tcpsec_ctx_free(ctx);
  tcpsec_ctx_free(NULL);
}

static void ctx_rejects_bad_config(void **state) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;
  struct {
    tcpsec_ctx_config cfg;
    uint8_t future[16];
  } bigger;

  (void)state;
  assert_int_equal(tcpsec_ctx_new(NULL, NULL), TCPSEC_ERR_INVALID_ARGUMENT);

  memset(&cfg, 0, sizeof(cfg));
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(ctx);

  tcpsec_ctx_config_default(&cfg);
  cfg.allocator.malloc_fn = NULL;
  cfg.allocator.free_fn = NULL;
  cfg.allocator.realloc_fn = NULL;
  cfg.allocator.malloc_fn = (void *(*)(size_t, void *))1;
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), TCPSEC_ERR_INVALID_ARGUMENT);

  /* A caller built against a newer header: unknown trailing fields must be
   * zero, or the library cannot honour them. */
  memset(&bigger, 0, sizeof(bigger));
  tcpsec_ctx_config_default(&bigger.cfg);
  bigger.cfg.size = sizeof(bigger);
  assert_int_equal(tcpsec_ctx_new(&bigger.cfg, &ctx), 0);
  tcpsec_ctx_free(ctx);
  bigger.future[3] = 1;
  assert_int_equal(tcpsec_ctx_new(&bigger.cfg, &ctx),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void ctx_uses_deterministic_random(void **state) {
  test_rng r1, r2;
  tcpsec_ctx *c1 = test_ctx_new(&r1, 7), *c2 = test_ctx_new(&r2, 7);
  uint8_t a[40], b[40];

  (void)state;
  assert_non_null(c1);
  assert_non_null(c2);
  assert_int_equal(tcpsec_random_bytes(c1, a, sizeof(a)), 0);
  assert_int_equal(tcpsec_random_bytes(c2, b, sizeof(b)), 0);
  assert_memory_equal(a, b, sizeof(a));
  tcpsec_ctx_free(c1);
  tcpsec_ctx_free(c2);
}

struct counting_alloc {
  int live;
  int fail_after;
};

static void *count_malloc(size_t size, void *user) {
  struct counting_alloc *c = user;

  if (c->fail_after == 0)
    return NULL;
  if (c->fail_after > 0)
    c->fail_after--;
  c->live++;
  return malloc(size);
}

static void *count_realloc(void *p, size_t size, void *user) {
  (void)user;
  return realloc(p, size);
}

static void count_free(void *p, void *user) {
  struct counting_alloc *c = user;

  if (p != NULL)
    c->live--;
  free(p);
}

static void ctx_uses_caller_allocator(void **state) {
  struct counting_alloc ca = {0, -1};
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;
  test_rng rng;

  (void)state;
  test_rng_seed(&rng, 1);
  tcpsec_ctx_config_default(&cfg);
  cfg.allocator.malloc_fn = count_malloc;
  cfg.allocator.realloc_fn = count_realloc;
  cfg.allocator.free_fn = count_free;
  cfg.allocator.user = &ca;
  cfg.random = test_rng_fill;
  cfg.random_user = &rng;
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), 0);
  assert_int_equal(ca.live, 1);
  tcpsec_ctx_free(ctx);
  assert_int_equal(ca.live, 0);

  ca.fail_after = 0;
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), TCPSEC_ERR_NO_MEMORY);
  assert_null(ctx);
}

static void strerror_covers_codes(void **state) {
  static const int codes[] = {
    TCPSEC_ERR_INVALID_ARGUMENT, TCPSEC_ERR_NO_MEMORY, TCPSEC_ERR_ICV_MISMATCH,
    TCPSEC_ERR_ESP_REPLAYED, TCPSEC_ERR_STREAM_BAD_LENGTH,
    TCPSEC_ERR_AUTHENTICATION_FAILED, TCPSEC_ERR_TUNNEL_DOWN};
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(codes); i++) {
    assert_string_not_equal(tcpsec_strerror(codes[i]), "unknown error code");
    assert_string_not_equal(tcpsec_strerror_name(codes[i]), "UNKNOWN");
  }
  assert_string_equal(tcpsec_strerror(0), "success");
  assert_string_equal(tcpsec_strerror(-9999), "unknown error code");
  assert_string_equal(tcpsec_strerror_name(TCPSEC_ERR_ICV_MISMATCH),
                      "ICV_MISMATCH");
}

static void version_matches_header(void **state) {
  (void)state;
  assert_string_equal(tcpsec_version(), TCPSEC_VERSION_STRING);
  assert_int_equal(tcpsec_version_num(), TCPSEC_VERSION_NUM);
}

static void cursor_rejects_overrun(void **state) {
  static const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  tcpsec_cursor c, sub;

  (void)state;
  tcpsec_cursor_init(&c, data, sizeof(data));
  assert_int_equal(tcpsec_cursor_be16(&c), 0x0102);
  assert_int_equal(tcpsec_cursor_left(&c), 3);
  assert_int_equal(tcpsec_cursor_be32(&c), 0);
  assert_true(c.error);
  /* A failed read does not move the position. */
  assert_int_equal(tcpsec_cursor_offset(&c), 2);

  tcpsec_cursor_init(&c, data, sizeof(data));
  assert_true(tcpsec_cursor_sub(&c, 4, &sub));
  assert_int_equal(tcpsec_cursor_be32(&sub), 0x01020304);
  assert_int_equal(tcpsec_cursor_left(&sub), 0);
  assert_null(tcpsec_cursor_bytes(&c, 2));
  assert_true(c.error);
  assert_int_equal(tcpsec_cursor_u8(&c), 0);
}

static void buf_grows_and_limits(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 3);
  tcpsec_buf b;
  uint8_t *z = NULL;
  int i;

  (void)state;
  tcpsec_buf_init(&b, ctx, 300);
  for (i = 0; i < 50; i++)
    assert_int_equal(tcpsec_buf_append_be32(&b, (uint32_t)i), 0);
  assert_int_equal(b.len, 200);
  assert_int_equal(tcpsec_load_be32(b.data + 196), 49);
  assert_int_equal(tcpsec_buf_append_zero(&b, 100, &z), 0);
  assert_int_equal(z[99], 0);
  assert_int_equal(tcpsec_buf_append_u8(&b, 1), TCPSEC_ERR_LIMIT);
  assert_int_equal(b.len, 300);
  tcpsec_buf_free(&b);
  tcpsec_ctx_free(ctx);
}

static void ct_memcmp_and_zeroize(void **state) {
  uint8_t a[16], b[16];

  (void)state;
  memset(a, 0xab, sizeof(a));
  memcpy(b, a, sizeof(b));
  assert_int_equal(tcpsec_ct_memcmp(a, b, sizeof(a)), 0);
  b[15] ^= 1;
  assert_int_equal(tcpsec_ct_memcmp(a, b, sizeof(a)), 1);
  tcpsec_zeroize(a, sizeof(a));
  memset(b, 0, sizeof(b));
  assert_memory_equal(a, b, sizeof(a));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ctx_defaults_work),
    cmocka_unit_test(ctx_rejects_bad_config),
    cmocka_unit_test(ctx_uses_deterministic_random),
    cmocka_unit_test(ctx_uses_caller_allocator),
    cmocka_unit_test(strerror_covers_codes),
    cmocka_unit_test(version_matches_header),
    cmocka_unit_test(cursor_rejects_overrun),
    cmocka_unit_test(buf_grows_and_limits),
    cmocka_unit_test(ct_memcmp_and_zeroize),
  };
  return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
