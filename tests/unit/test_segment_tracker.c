/*
 * Unit tests for the segment tracker. They cover learning the send and
 * receive positions from the peer's segments and the constant sequence and
 * acknowledgement numbers behind (or ahead of) them. They also cover
 * re-basing as the stream advances, across sequence-number wrap-around
 * too, and the segments the tracker builds.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "tcpsec/encap.h"

#define BEHIND 0x40000000u /* 2^30 */
#define HALF 0x80000000u   /* 2^31 */

static void sample_config(tcpsec_segment_tracker_config *cfg) {
  tcpsec_segment_tracker_config_default(cfg);
  cfg->local_addr.family = TCPSEC_IP_V4;
  memcpy(cfg->local_addr.bytes, "\x0a\x00\x00\x02", 4);
  cfg->remote_addr.family = TCPSEC_IP_V4;
  memcpy(cfg->remote_addr.bytes, "\xc6\x33\x64\x07", 4);
  cfg->local_port = 51000;
  cfg->remote_port = 1443;
}

static tcpsec_segment_tracker *new_tracker(tcpsec_ctx *ctx,
                                           tcpsec_segment_placement placement) {
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t = NULL;

  sample_config(&cfg);
  cfg.placement = placement;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t), 0);
  assert_non_null(t);
  return t;
}

static void fill(const tcpsec_segment_tracker *t, uint32_t *seq,
                 uint32_t *ack) {
  tcpsec_segment_info info;

  tcpsec_segment_info_default(&info);
  assert_int_equal(tcpsec_segment_tracker_fill(t, &info), 0);
  *seq = info.seq;
  *ack = info.ack;
}

static void positions_needed_first(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker *t = new_tracker(ctx, TCPSEC_SEGMENT_BEHIND);
  tcpsec_segment_info info;
  uint8_t buf[60 + 16];
  size_t start = 5;

  (void)state;
  tcpsec_segment_info_default(&info);
  assert_int_equal(tcpsec_segment_tracker_fill(t, &info),
                   TCPSEC_ERR_INVALID_STATE);
  memset(buf, 1, sizeof(buf));
  assert_int_equal(tcpsec_segment_tracker_build(t, buf, 60, 16, &start),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(start, 0);

  /* A SYN without ACK teaches the receive position only. */
  assert_int_equal(tcpsec_segment_tracker_observe(t, 1000, 0, TCPSEC_TCP_SYN,
                                                  0),
                   0);
  assert_int_equal(tcpsec_segment_tracker_fill(t, &info),
                   TCPSEC_ERR_INVALID_STATE);
  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

static void behind_numbers_from_peer_segment(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker *t = new_tracker(ctx, TCPSEC_SEGMENT_BEHIND);
  tcpsec_segment_info info;
  uint32_t seq, ack;

  (void)state;
  /* Peer segment: seq 5000 with 100 bytes, acknowledging our 7000. */
  assert_int_equal(tcpsec_segment_tracker_observe(
                       t, 5000, 7000, TCPSEC_TCP_ACK | TCPSEC_TCP_PSH, 100),
                   0);
  fill(t, &seq, &ack);
  assert_int_equal(seq, (uint32_t)(7000 - BEHIND));
  assert_int_equal(ack, (uint32_t)(5100 - BEHIND));

  /* The rest of the header comes from the configuration. */
  tcpsec_segment_info_default(&info);
  assert_int_equal(tcpsec_segment_tracker_fill(t, &info), 0);
  assert_int_equal(info.src.family, TCPSEC_IP_V4);
  assert_memory_equal(info.src.bytes, "\x0a\x00\x00\x02", 4);
  assert_memory_equal(info.dst.bytes, "\xc6\x33\x64\x07", 4);
  assert_int_equal(info.src_port, 51000);
  assert_int_equal(info.dst_port, 1443);
  assert_int_equal(info.flags, TCPSEC_TCP_ACK);
  assert_int_equal(info.window, 65535);
  assert_int_equal(info.ttl, 64);
  assert_int_equal(info.ip_header, 1);

  /* SYN and FIN take a sequence number each. */
  assert_int_equal(tcpsec_segment_tracker_set_position(t, 0, 0), 0);
  assert_int_equal(tcpsec_segment_tracker_observe(
                       t, 10, 20, TCPSEC_TCP_ACK | TCPSEC_TCP_FIN, 5),
                   0);
  fill(t, &seq, &ack);
  assert_int_equal(seq, (uint32_t)(0 - BEHIND));
  /* Position moved to 16 but the base stays at 0 until 2^29. */
  assert_int_equal(ack, (uint32_t)(0 - BEHIND));

  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

static void ahead_placement(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker *t = new_tracker(ctx, TCPSEC_SEGMENT_AHEAD);
  uint32_t seq, ack;

  (void)state;
  assert_int_equal(tcpsec_segment_tracker_set_position(t, 0x10, 0x20), 0);
  fill(t, &seq, &ack);
  assert_int_equal(seq, 0x10 + HALF);
  assert_int_equal(ack, 0x20 + HALF);
  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

static void old_and_reset_segments_ignored(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker *t = new_tracker(ctx, TCPSEC_SEGMENT_BEHIND);
  uint32_t seq, ack, seq2, ack2;

  (void)state;
  /* Near the wrap-around. */
  assert_int_equal(tcpsec_segment_tracker_observe(t, 0xfffffff0u, 0xffffff00u,
                                                  TCPSEC_TCP_ACK, 0),
                   0);
  fill(t, &seq, &ack);

  /* Older numbers do not move the positions. */
  assert_int_equal(tcpsec_segment_tracker_observe(t, 0xffffff00u, 0xfff00000u,
                                                  TCPSEC_TCP_ACK, 0),
                   0);
  /* A RST teaches nothing, even far ahead. */
  assert_int_equal(tcpsec_segment_tracker_observe(
                       t, 0x30000000u, 0x30000000u,
                       TCPSEC_TCP_RST | TCPSEC_TCP_ACK, 0),
                   0);
  fill(t, &seq2, &ack2);
  assert_int_equal(seq2, seq);
  assert_int_equal(ack2, ack);

  /* Forward across zero, past the re-base distance: both re-base. */
  assert_int_equal(tcpsec_segment_tracker_observe(t, 0x20000000u, 0x20000000u,
                                                  TCPSEC_TCP_ACK, 0),
                   0);
  fill(t, &seq2, &ack2);
  assert_int_equal(seq2, (uint32_t)(0x20000000u - BEHIND));
  assert_int_equal(ack2, (uint32_t)(0x20000000u - BEHIND));

  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

/*
 * Simulate a connection that sends 12 GiB (three wrap-arounds) in random
 * steps. After every step the constant sequence number must be between
 * 2^30 and 2^30 + 2^29 behind the learned position, and it may change only
 * when the position passed 2^29 beyond the previous base.
 */
static void rebase_keeps_distance(void **state) {
  test_rng rng, steps;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker *t = new_tracker(ctx, TCPSEC_SEGMENT_BEHIND);
  uint64_t sent = 0, target = 12ULL << 30;
  uint32_t pos = 0x7ffff000u, seq, ack, prev_seq, base;
  unsigned rebases = 0;

  (void)state;
  test_rng_seed(&steps, 11);
  assert_int_equal(tcpsec_segment_tracker_observe(t, 1, pos, TCPSEC_TCP_ACK, 0),
                   0);
  fill(t, &prev_seq, &ack);
  base = pos;

  while (sent < target) {
    uint32_t step = 1 + (uint32_t)(test_rng_next(&steps) % (4u << 20));
    uint32_t behind;

    pos += step;
    sent += step;
    assert_int_equal(tcpsec_segment_tracker_observe(t, 1, pos, TCPSEC_TCP_ACK,
                                                    0),
                     0);
    fill(t, &seq, &ack);
    behind = pos - seq;
    assert_true(behind >= BEHIND);
    assert_true(behind <= BEHIND + TCPSEC_SEGMENT_REBASE_DISTANCE);
    if (seq != prev_seq) {
      /* Re-based: exactly when the position passed base + 2^29. */
      assert_true(pos - base > TCPSEC_SEGMENT_REBASE_DISTANCE);
      assert_int_equal(seq, (uint32_t)(pos - BEHIND));
      base = pos;
      rebases++;
    } else {
      assert_true(pos - base <= TCPSEC_SEGMENT_REBASE_DISTANCE);
    }
    prev_seq = seq;
  }
  /* 12 GiB in steps of at most 4 MiB: about one re-base per 2^29 bytes. */
  assert_true(rebases >= 23);
  assert_true(rebases <= 24);

  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

static void built_segment_parses(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t = NULL;
  tcpsec_segment_info in;
  uint8_t buf[60 + 64];
  size_t start;
  ptrdiff_t n;

  (void)state;
  sample_config(&cfg);
  cfg.window = 4321;
  cfg.ttl = 17;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t), 0);
  assert_int_equal(tcpsec_segment_tracker_set_position(t, 1000, 2000), 0);
  memset(buf + 60, 0x5c, 64);

  n = tcpsec_segment_tracker_build(t, buf, 60, 64, &start);
  assert_int_equal(n, 104);
  assert_int_equal(start, 20);

  /* As the local side sent it. */
  tcpsec_segment_info_default(&in);
  assert_int_equal(tcpsec_segment_parse(buf + start, (size_t)n,
                                        TCPSEC_SEGMENT_PARSE_IP, &in),
                   0);
  assert_int_equal(in.seq, (uint32_t)(1000 - BEHIND));
  assert_int_equal(in.ack, (uint32_t)(2000 - BEHIND));
  assert_int_equal(in.window, 4321);
  assert_int_equal(in.ttl, 17);
  assert_int_equal(in.payload_len, 64);
  /* Our own segment does not match the receive direction... */
  assert_int_equal(tcpsec_segment_tracker_matches(t, &in), 0);

  /* ...but the same segment with addresses and ports swapped does. */
  {
    tcpsec_ip_addr a = in.src;
    uint16_t p = in.src_port;
    in.src = in.dst;
    in.dst = a;
    in.src_port = in.dst_port;
    in.dst_port = p;
  }
  assert_int_equal(tcpsec_segment_tracker_matches(t, &in), 1);
  in.src_port++;
  assert_int_equal(tcpsec_segment_tracker_matches(t, &in), 0);
  in.src_port--;
  in.dst.bytes[3]++;
  assert_int_equal(tcpsec_segment_tracker_matches(t, &in), 0);
  assert_int_equal(tcpsec_segment_tracker_matches(NULL, &in), 0);
  assert_int_equal(tcpsec_segment_tracker_matches(t, NULL), 0);

  tcpsec_segment_tracker_free(t);

  /* Bare TCP when configured without IP header. */
  cfg.ip_header = 0;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t), 0);
  assert_int_equal(tcpsec_segment_tracker_set_position(t, 1, 2), 0);
  assert_int_equal(tcpsec_segment_tracker_build(t, buf, 60, 64, &start), 84);
  assert_int_equal(start, 40);
  tcpsec_segment_tracker_free(t);
  tcpsec_ctx_free(ctx);
}

static void config_checks(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t = NULL;
  tcpsec_segment_info info;

  (void)state;
  sample_config(&cfg);
  assert_int_equal(tcpsec_segment_tracker_new(NULL, &cfg, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_tracker_new(ctx, NULL, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  cfg.remote_addr.family = TCPSEC_IP_V6;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  cfg.local_addr.family = 0;
  cfg.remote_addr.family = 0;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  sample_config(&cfg);
  cfg.placement = (tcpsec_segment_placement)2;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  sample_config(&cfg);
  cfg.size = 0;
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(t);

  sample_config(&cfg);
  assert_int_equal(tcpsec_segment_tracker_new(ctx, &cfg, &t), 0);
  assert_int_equal(tcpsec_segment_tracker_observe(NULL, 1, 2, TCPSEC_TCP_ACK, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_tracker_set_position(NULL, 1, 2),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_tracker_fill(t, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_segment_info_default(&info);
  info.size = 0;
  assert_int_equal(tcpsec_segment_tracker_set_position(t, 1, 2), 0);
  assert_int_equal(tcpsec_segment_tracker_fill(t, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_segment_tracker_free(t);
  tcpsec_segment_tracker_free(NULL);
  tcpsec_segment_tracker_config_default(NULL);
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(positions_needed_first),
    cmocka_unit_test(behind_numbers_from_peer_segment),
    cmocka_unit_test(ahead_placement),
    cmocka_unit_test(old_and_reset_segments_ignored),
    cmocka_unit_test(rebase_keeps_distance),
    cmocka_unit_test(built_segment_parses),
    cmocka_unit_test(config_checks),
  };
  return cmocka_run_group_tests_name("segment_tracker", tests, NULL, NULL);
}
