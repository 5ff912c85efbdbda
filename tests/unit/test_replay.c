/* Anti-replay window: table-driven cases (RFC 4303 section 3.4.3 and
 * Appendix A) and a randomized comparison against a set of seen numbers. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "esp/replay.h"
#include "tcpsec/esp.h"

#define ACCEPT 0
#define REPLAY TCPSEC_ERR_ESP_REPLAYED

struct replay_step {
  uint64_t seq;
  int expected;
};

/* Check then, when accepted, update: what open does after authentication. */
static void run_steps(uint32_t window, uint64_t top,
                      const struct replay_step *steps, size_t n) {
  uint64_t bitmap[TCPSEC_ESP_REPLAY_WINDOW_MAX / 64 + 1];
  tcpsec_replay r;
  size_t i;

  tcpsec_replay_init(&r, window, bitmap, top);
  for (i = 0; i < n; i++) {
    int got = tcpsec_replay_check(&r, steps[i].seq);
    if (got != steps[i].expected)
      fail_msg("step %zu: seq %llu: expected %d, got %d", i,
               (unsigned long long)steps[i].seq, steps[i].expected, got);
    if (got == ACCEPT)
      tcpsec_replay_update(&r, steps[i].seq);
  }
}

static void replay_in_order_and_duplicates(void **state) {
  static const struct replay_step steps[] = {
    {1, ACCEPT}, {2, ACCEPT}, {3, ACCEPT}, {2, REPLAY}, {3, REPLAY},
    {5, ACCEPT}, {4, ACCEPT}, {4, REPLAY}, {0, REPLAY},
  };

  (void)state;
  run_steps(64, 0, steps, TCPSEC_ARRAY_SIZE(steps));
}

static void replay_window_edges(void **state) {
  /* Window 64 with top 100 covers 37..100. */
  static const struct replay_step steps[] = {
    {100, ACCEPT}, {37, ACCEPT}, {36, REPLAY}, {37, REPLAY},
    {99, ACCEPT},  {101, ACCEPT}, {37, REPLAY}, {38, ACCEPT},
  };

  (void)state;
  run_steps(64, 0, steps, TCPSEC_ARRAY_SIZE(steps));
}

static void replay_far_right_jump(void **state) {
  /* A jump far beyond the ring clears every word; numbers that were seen
   * before the jump now lie left of the window. */
  static const struct replay_step steps[] = {
    {10, ACCEPT},        {11, ACCEPT},        {1000000, ACCEPT},
    {999999, ACCEPT},    {1000000, REPLAY},   {10, REPLAY},
    {1000000 - 63, ACCEPT}, {1000000 - 64, REPLAY},
    /* Top 1000130: the window covers 1000067..1000130. */
    {1000130, ACCEPT},   {1000066, REPLAY},   {1000067, ACCEPT},
    {1000067, REPLAY},   {1000129, ACCEPT},
  };

  (void)state;
  run_steps(64, 0, steps, TCPSEC_ARRAY_SIZE(steps));
}

static void replay_jump_inside_ring(void **state) {
  /* Window 128 (three words): a jump of one word keeps the bits of the
   * word that stays inside the window. */
  static const struct replay_step steps[] = {
    {64, ACCEPT}, {70, ACCEPT}, {127, ACCEPT}, {128, ACCEPT},
    {70, REPLAY}, {191, ACCEPT}, {70, REPLAY}, {127, REPLAY},
    {64, REPLAY}, {65, ACCEPT}, {256, ACCEPT}, {128, REPLAY},
    {129, ACCEPT}, {191, REPLAY},
  };

  (void)state;
  run_steps(128, 0, steps, TCPSEC_ARRAY_SIZE(steps));
}

static void replay_disabled_accepts_all(void **state) {
  static const struct replay_step steps[] = {
    {5, ACCEPT}, {5, ACCEPT}, {1, ACCEPT}, {0, REPLAY},
  };
  uint64_t bitmap[1];
  tcpsec_replay r;

  (void)state;
  run_steps(0, 0, steps, TCPSEC_ARRAY_SIZE(steps));
  tcpsec_replay_init(&r, 0, bitmap, 0);
  tcpsec_replay_update(&r, 9);
  tcpsec_replay_update(&r, 3);
  assert_int_equal(r.top, 9);
}

static void replay_initial_top(void **state) {
  /* A window started at top 1000 treats 1000 as received. */
  static const struct replay_step steps[] = {
    {1000, REPLAY}, {999, ACCEPT}, {1001, ACCEPT}, {937, REPLAY},
    {938, ACCEPT},
  };

  (void)state;
  run_steps(64, 1000, steps, TCPSEC_ARRAY_SIZE(steps));
}

struct infer_case {
  uint32_t window;
  uint64_t top;
  uint32_t seql;
  uint64_t expected;
};

static void replay_esn_inference(void **state) {
  static const struct infer_case cases[] = {
    /* Case A (Tl >= W - 1): window inside one subspace. */
    {64, 0x1fffffff0ULL, 0xffffffc0u, 0x1ffffffc0ULL},
    {64, 0x1fffffff0ULL, 0xfffffffbu, 0x1fffffffbULL},
    {64, 0x1fffffff0ULL, 0x00000005u, 0x200000005ULL}, /* low 32 bits wrap */
    {64, 0x1fffffff0ULL, 0xffffffb1u, 0x1ffffffb1ULL}, /* Bl itself */
    {64, 0x1fffffff0ULL, 0xffffffb0u, 0x2ffffffb0ULL}, /* below Bl: next */
    /* Case B (Tl < W - 1): window spans two subspaces. */
    {64, 0x200000010ULL, 0xffffffe0u, 0x1ffffffe0ULL},
    {64, 0x200000010ULL, 0x00000005u, 0x200000005ULL},
    {64, 0x200000010ULL, 0x00000100u, 0x200000100ULL},
    /* Case B at the very start: no earlier subspace exists. */
    {64, 10, 0xfffffff0u, 0},
    {64, 10, 3, 3},
    {64, 0, 1, 1},
    /* Anti-replay off: the default window size is used as W. */
    {0, 0x1fffffff0ULL, 0x00000005u, 0x200000005ULL},
  };
  uint64_t bitmap[TCPSEC_ESP_REPLAY_WINDOW_MAX / 64 + 1];
  tcpsec_replay r;
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    uint64_t got;

    tcpsec_replay_init(&r, cases[i].window, bitmap, cases[i].top);
    got = tcpsec_replay_infer(&r, cases[i].seql, 1);
    if (got != cases[i].expected)
      fail_msg("case %zu: expected 0x%llx, got 0x%llx", i,
               (unsigned long long)cases[i].expected,
               (unsigned long long)got);
    /* Without ESN the low bits are the whole number. */
    assert_int_equal(tcpsec_replay_infer(&r, cases[i].seql, 0),
                     cases[i].seql);
  }
}

static void replay_esn_wrap_sequence(void **state) {
  /* Packets crossing 2^32 with ESN: inferred numbers keep growing and a
   * replay from before the wrap is still caught. */
  uint64_t bitmap[TCPSEC_ESP_REPLAY_WINDOW_MAX / 64 + 1];
  static const uint32_t lows[] = {0xfffffffdu, 0xfffffffeu, 0xffffffffu,
                                  0x00000000u, 0x00000001u, 0x00000002u};
  tcpsec_replay r;
  uint64_t seq;
  size_t i;

  (void)state;
  tcpsec_replay_init(&r, 64, bitmap, 0xfffffffcULL);
  for (i = 0; i < TCPSEC_ARRAY_SIZE(lows); i++) {
    seq = tcpsec_replay_infer(&r, lows[i], 1);
    assert_int_equal(seq, 0xfffffffdULL + i);
    assert_int_equal(tcpsec_replay_check(&r, seq), ACCEPT);
    tcpsec_replay_update(&r, seq);
  }
  seq = tcpsec_replay_infer(&r, 0xfffffffeu, 1);
  assert_int_equal(seq, 0xfffffffeULL);
  assert_int_equal(tcpsec_replay_check(&r, seq), REPLAY);
  seq = tcpsec_replay_infer(&r, 0x00000001u, 1);
  assert_int_equal(tcpsec_replay_check(&r, seq), REPLAY);
}

/* ---- randomized comparison with a reference model -------------------------- */

#define MODEL_SPACE (1u << 22)

struct model {
  uint8_t *seen;
  uint64_t top;
  uint32_t window;
};

static int model_check(const struct model *m, uint64_t seq) {
  if (seq == 0)
    return REPLAY;
  if (m->window == 0 || seq > m->top)
    return ACCEPT;
  if (m->top - seq >= m->window)
    return REPLAY;
  return m->seen[seq] ? REPLAY : ACCEPT;
}

static void model_update(struct model *m, uint64_t seq) {
  m->seen[seq] = 1;
  if (seq > m->top)
    m->top = seq;
}

static void differential_run(uint32_t window, uint64_t seed) {
  uint64_t bitmap[TCPSEC_ESP_REPLAY_WINDOW_MAX / 64 + 1];
  struct model m;
  tcpsec_replay r;
  test_rng rng;
  int i, accepted = 0;

  m.seen = calloc(MODEL_SPACE, 1);
  assert_non_null(m.seen);
  m.top = 0;
  m.window = window;
  tcpsec_replay_init(&r, window, bitmap, 0);
  test_rng_seed(&rng, seed);

  for (i = 0; i < 200000; i++) {
    uint64_t x = test_rng_next(&rng), seq;
    uint64_t span = (uint64_t)window * 2 + 128;
    int expected, got;

    /* Mostly around the top, with jumps of all sizes now and then. */
    if (x % 1000 == 0)
      seq = m.top + x % 100000;
    else if (x % 7 == 0)
      seq = m.top + 1;
    else {
      /* Between span * 3/4 below the top and span / 4 above it. */
      uint64_t offset = (x >> 16) % span, high = m.top + span / 4;
      seq = high > offset ? high - offset : 1;
    }
    if (seq >= MODEL_SPACE)
      break;
    expected = model_check(&m, seq);
    got = tcpsec_replay_check(&r, seq);
    if (got != expected)
      fail_msg("window %u step %d seq %llu top %llu: model %d, window %d",
               window, i, (unsigned long long)seq,
               (unsigned long long)m.top, expected, got);
    if (got == ACCEPT) {
      accepted++;
      model_update(&m, seq);
      tcpsec_replay_update(&r, seq);
      assert_int_equal(r.top, m.top);
    }
  }
  /* Both outcomes must have been exercised for the run to mean anything. */
  assert_true(accepted > 1000);
  assert_true(i - accepted > 1000);
  free(m.seen);
}

static void replay_matches_model(void **state) {
  static const uint32_t windows[] = {1, 32, 63, 64, 65, 100, 2048,
                                     TCPSEC_ESP_REPLAY_WINDOW_MAX};
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(windows); i++)
    differential_run(windows[i], 1000 + i);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(replay_in_order_and_duplicates),
    cmocka_unit_test(replay_window_edges),
    cmocka_unit_test(replay_far_right_jump),
    cmocka_unit_test(replay_jump_inside_ring),
    cmocka_unit_test(replay_disabled_accepts_all),
    cmocka_unit_test(replay_initial_top),
    cmocka_unit_test(replay_esn_inference),
    cmocka_unit_test(replay_esn_wrap_sequence),
    cmocka_unit_test(replay_matches_model),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
