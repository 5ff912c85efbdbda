/*
 * Rekeys through the gateway: a hub and 50 spokes on each transport with
 * short lifetimes. Child SAs have a soft lifetime of 20 s and a hard one
 * of 30 s, IKE SAs 45 s and 60 s, and each soft lifetime loses up to 10 %
 * to jitter. Traffic runs in both directions for 300 s of simulated time,
 * every 10 ms for the first five spokes (so that packets are in flight
 * during every exchange of their rekeys) and every 100 ms for the others.
 * Half of the spokes use PFS on their Child SA rekeys.
 *
 * Checks: every inner packet arrives exactly once. Every tunnel rekeys its
 * Child SAs and its IKE SA many times without being negotiated again. The
 * SA databases and IKE SPI maps hold one generation plus the ones being
 * replaced. The allocations of the second half of the run stay at the
 * level of the first half.
 *
 * Smaller runs drive rekeys from the data plane (byte and packet
 * lifetimes of the ESP SAs) and check that a pair reaching its hard limit
 * is deleted and replaced.
 *
 * SIM_REKEY_SECONDS (environment) overrides the traffic time of the 50-spoke
 * runs. The memory check needs at least 240 s: 60 s to settle, then two
 * windows that each span two IKE SA rekeys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SPOKES 50
#define BUSY_SPOKES 5 /* spokes with a packet each way every 10 ms */

static const uint16_t fast_group[] = {19};

static uint64_t traffic_ms(void) {
  const char *env = getenv("SIM_REKEY_SECONDS");

  return (env != NULL ? strtoull(env, NULL, 10) : 300) * 1000;
}

static sim *rekey_sim(int transport, int segments) {
  sim_options o;
  sim *s;

  sim_options_default(&o);
  o.spokes = SPOKES;
  o.transport = transport;
  o.fortinet_esp = segments;
  o.groups = fast_group;
  o.group_count = 1;
  o.esp_proposal = "aes128gcm";
  o.child_rekey_ms = 20000;
  o.child_lifetime_ms = 30000;
  o.ike_rekey_ms = 45000;
  o.ike_lifetime_ms = 60000;
  o.pfs_group = 19;
  o.pfs_spokes = 2;
  o.nat_udp_idle_ms = 30000;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 10000);
  assert_int_equal(sim_tunnels_up(s), SPOKES);
  return s;
}

/* Live allocation blocks sampled once a second over a window of the run:
 * the hub's, and the sum over the spokes. */
struct blocks {
  uint64_t samples;
  long hub_sum, hub_max;
  long spokes_sum, spokes_max;
};

static void sample_blocks(const sim *s, struct blocks *b) {
  long spokes = 0, hub = sim_live_blocks(s, 0);
  unsigned i;

  for (i = 1; i <= SPOKES; i++)
    spokes += sim_live_blocks(s, i);
  b->samples++;
  b->hub_sum += hub;
  b->spokes_sum += spokes;
  if (hub > b->hub_max)
    b->hub_max = hub;
  if (spokes > b->spokes_max)
    b->spokes_max = spokes;
}

/* Packets each way until `until`: every 10 ms for the busy spokes, every
 * 100 ms for the others. */
static void traffic(sim *s, uint64_t until, struct blocks *b) {
  unsigned i;

  while (sim_now(s) < until) {
    int tenth = sim_now(s) % 100 == 0;

    for (i = 1; i <= SPOKES; i++) {
      if (i > BUSY_SPOKES && !tenth)
        continue;
      sim_send_spoke_to_hub(s, i, 1);
      sim_send_hub_to_spoke(s, i, 1);
    }
    sim_run_until(s, sim_now(s) + 10);
    if (b != NULL && sim_now(s) % 1000 == 0)
      sample_blocks(s, b);
  }
}

static void check_spoke(const sim *s, unsigned i, uint64_t seconds) {
  sim_node_totals t;

  sim_get_totals(s, i, &t);
  /* One IKE SA for the whole run: rekeyed, never negotiated again. */
  assert_int_equal(t.instances, 1);
  assert_int_equal(t.established, 1);
  assert_int_equal(t.ike_created, 1);
  /* At least one rekey per soft lifetime, with a margin for the first
   * cycle. Both ends count every rekey they took part in. */
  assert_true(t.child_rekeys >= seconds / 20 - 2);
  assert_true(t.ike_rekeys >= seconds / 45 - 1);
  /* One pair, or two while a rekey is under way; the SA database has
   * exactly the pairs the status shows. */
  assert_true(t.child_pairs >= 1 && t.child_pairs <= 2);
  assert_int_equal(t.sad_children, t.child_pairs);
  assert_true(t.old_ike_spis <= 4);
  assert_int_equal(t.ike_map_entries, 1 + t.old_ike_spis);
  assert_int_equal(t.timer_errors, 0);
  /* PFS only on the odd spokes, once their first pair was rekeyed. */
  if (i % 2 == 1)
    assert_int_equal(t.pfs_pairs, t.child_pairs);
  else
    assert_int_equal(t.pfs_pairs, 0);
}

static void check_hub(const sim *s) {
  sim_node_totals t;

  sim_get_totals(s, 0, &t);
  assert_int_equal(t.instances, SPOKES);
  assert_int_equal(t.established, SPOKES);
  assert_int_equal(t.ike_created, SPOKES);
  assert_true(t.child_pairs >= SPOKES && t.child_pairs <= 2 * SPOKES);
  assert_int_equal(t.sad_children, t.child_pairs);
  assert_true(t.old_ike_spis <= 4 * SPOKES);
  assert_int_equal(t.ike_map_entries, SPOKES + t.old_ike_spis);
  assert_int_equal(t.timer_errors, 0);
}

/* The second window may not hold more memory than the first: a leak of
 * one block per rekey would add about 50 blocks per IKE SA lifetime. The
 * margins cover the phase of the rekeys at the sampling times. */
static void check_no_growth(const struct blocks *a, const struct blocks *b) {
  long hub_a = a->hub_sum / (long)a->samples;
  long hub_b = b->hub_sum / (long)b->samples;
  long spokes_a = a->spokes_sum / (long)a->samples;
  long spokes_b = b->spokes_sum / (long)b->samples;

  printf("live blocks, mean (max): hub %ld (%ld) then %ld (%ld); spokes "
         "%ld (%ld) then %ld (%ld)\n",
         hub_a, a->hub_max, hub_b, b->hub_max, spokes_a, a->spokes_max,
         spokes_b, b->spokes_max);
  assert_true(hub_b <= hub_a + hub_a / 50);
  assert_true(spokes_b <= spokes_a + spokes_a / 50);
  assert_true(b->hub_max <= a->hub_max + a->hub_max / 20);
  assert_true(b->spokes_max <= a->spokes_max + a->spokes_max / 20);
}

static void rekey_many_cycles(int transport, int segments) {
  uint64_t duration = traffic_ms(), warm_up = 60000, start;
  struct blocks first = {0}, second = {0};
  sim_node_totals hub;
  sim_counts c;
  unsigned i;
  sim *s;

  s = rekey_sim(transport, segments);
  sim_reset_counts(s);

  /* One IKE SA lifetime to reach the steady state of generations, then
   * two windows of equal length. */
  start = sim_now(s);
  if (warm_up > duration)
    warm_up = duration;
  traffic(s, start + warm_up, NULL);
  traffic(s, start + warm_up + (duration - warm_up) / 2, &first);
  assert_int_equal(sim_check_invariants(s), 0);
  traffic(s, start + duration, &second);
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  sim_get_totals(s, 0, &hub);
  printf("%llu packets, %llu delivered; hub: %llu IKE and %llu Child SA "
         "rekeys, %llu collisions, %llu CREATE_CHILD_SA refused; %llu NAT "
         "mappings expired\n",
         (unsigned long long)c.sent, (unsigned long long)c.delivered,
         (unsigned long long)hub.ike_rekeys,
         (unsigned long long)hub.child_rekeys,
         (unsigned long long)hub.rekey_collisions,
         (unsigned long long)hub.create_child_refused,
         (unsigned long long)sim_nat_expired(s));

  assert_int_equal(c.send_errors, 0);
  assert_int_equal(c.duplicates, 0);
  assert_int_equal(c.misdelivered, 0);
  assert_int_equal(c.delivered, c.sent);
  assert_int_equal(sim_check_invariants(s), 0);
  assert_int_equal(sim_nat_expired(s), 0);
  if (duration >= 240000)
    check_no_growth(&first, &second);
  else
    printf("memory check skipped: %llu s of traffic is below 240 s\n",
           (unsigned long long)(duration / 1000));
  check_hub(s);
  for (i = 1; i <= SPOKES; i++)
    check_spoke(s, i, duration / 1000);
  sim_free(s);
}

/* ---- rekeys for traffic volume ----------------------------------------- */

/* Four spokes, 200 inner packets per second each way for 30 s, and Child
 * SAs limited to 1000 packets (rekey at 600) or the bytes of as many
 * packets. The ESP SAs report the soft limit and the gateway rekeys the
 * pair once. Both ends count the same packets, so both often start the
 * rekey together, which RFC 7296 section 2.8.1 resolves. */
static void rekey_for_volume(int transport, int by_bytes) {
  const uint64_t packet_bytes = 36; /* the simulation's inner packets */
  sim_node_totals t;
  sim_options o;
  sim_counts c;
  unsigned i, step;
  sim *s;

  sim_options_default(&o);
  o.spokes = 4;
  o.transport = transport;
  o.groups = fast_group;
  o.group_count = 1;
  o.esp_proposal = "aes128gcm";
  o.nat_udp_idle_ms = 30000;
  if (by_bytes) {
    o.child_lifetime_bytes = 1000 * packet_bytes;
    o.child_rekey_bytes = 600 * packet_bytes;
  } else {
    o.child_lifetime_packets = 1000;
    o.child_rekey_packets = 600;
  }
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 5000);
  assert_int_equal(sim_tunnels_up(s), 4);

  sim_reset_counts(s);
  for (step = 0; step < 3000; step++) {
    for (i = 1; i <= 4; i++) {
      sim_send_spoke_to_hub(s, i, 2);
      sim_send_hub_to_spoke(s, i, 2);
    }
    sim_run_until(s, sim_now(s) + 10);
  }
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  assert_int_equal(c.send_errors, 0);
  assert_int_equal(c.duplicates, 0);
  assert_int_equal(c.delivered, c.sent);

  /* 6000 packets each way at 600 per pair: about ten rekeys per tunnel,
   * each counted once however many ends started it. */
  for (i = 1; i <= 4; i++) {
    sim_get_totals(s, i, &t);
    assert_int_equal(t.ike_created, 1);
    assert_true(t.child_rekeys >= 9);
    assert_true(t.child_rekeys <= 11);
    assert_true(t.child_pairs >= 1 && t.child_pairs <= 2);
    assert_int_equal(t.sad_children, t.child_pairs);
  }
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

static void rekey_for_packets_tcp(void **state) {
  (void)state;
  rekey_for_volume(TCPSEC_GW_TRANSPORT_TCP, 0);
}

static void rekey_for_bytes_udp(void **state) {
  (void)state;
  rekey_for_volume(TCPSEC_GW_TRANSPORT_UDP, 1);
}

/* Send 10 packets each way between the hub and spoke 1 and check that all
 * 20 arrive. */
static void ten_packets_each_way(sim *s) {
  sim_counts c;

  sim_reset_counts(s);
  sim_send_spoke_to_hub(s, 1, 10);
  sim_send_hub_to_spoke(s, 1, 10);
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  assert_int_equal(c.delivered, 20);
}

/* With rekeys off, a pair that reaches its hard packet limit is deleted,
 * and the static tunnel, left without Child SA, negotiates a new one. */
static void hard_limit_deletes_pair(void **state) {
  sim_node_totals t;
  sim_options o;
  sim_counts c;
  unsigned step;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.spokes = 1;
  o.no_rekey = 1;
  o.child_lifetime_packets = 500;
  o.child_rekey_packets = 400;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 5000);
  assert_int_equal(sim_tunnels_up(s), 1);

  sim_reset_counts(s);
  for (step = 0; step < 300; step++) {
    sim_send_spoke_to_hub(s, 1, 2);
    sim_run_until(s, sim_now(s) + 10);
  }
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  /* The first pair carried its 500 packets, the new one most of the rest;
   * the packets in between had no SA. */
  assert_true(c.delivered >= 500);
  assert_true(c.delivered < c.sent);
  sim_get_totals(s, 1, &t);
  assert_int_equal(t.ike_created, 1);
  assert_int_equal(t.child_rekeys, 0);
  assert_int_equal(t.child_created, 2);
  assert_int_equal(t.child_pairs, 1);

  ten_packets_each_way(s);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

/* Turn jitter off and make the hub's IKE SA rekey due one network latency
 * later than the spoke's. The hub establishes its IKE SA that much
 * earlier, so both rekey timers fire at the same moment. */
static void same_moment_hook(void *user, unsigned node,
                             tcpsec_gw_tunnel_config *t) {
  (void)user;
  t->rekey_jitter_percent = 0;
  t->ike_lifetime_ms = 60000;
  t->ike_rekey_ms = node == 0 ? 30000 + SIM_LATENCY_MS : 30000;
}

static uint64_t unknown_drops(const sim *s, unsigned node) {
  tcpsec_gw_stats stats;

  memset(&stats, 0, sizeof(stats));
  stats.size = sizeof(stats);
  assert_int_equal(tcpsec_gw_get_stats(sim_gateway(s, node), &stats), 0);
  return stats.drops_unknown;
}

/* Hub and spoke rekey the IKE SA at the same moment over UDP (RFC 7296
 * section 2.8.2). The side with the lowest nonce deletes the redundant new
 * IKE SA it created. That Delete carries the redundant SA's SPIs, and the
 * other side's instance must receive it instead of dropping it as unknown. */
static void ike_rekey_collision_udp(void **state) {
  sim_node_totals hub, spoke;
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.spokes = 1;
  o.transport = TCPSEC_GW_TRANSPORT_UDP;
  o.tunnel_hook = same_moment_hook;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 5000);
  assert_int_equal(sim_tunnels_up(s), 1);

  sim_run_until(s, 40000);
  sim_get_totals(s, 0, &hub);
  sim_get_totals(s, 1, &spoke);
  assert_int_equal(hub.ike_rekeys, 1);
  assert_int_equal(spoke.ike_rekeys, 1);
  assert_true(hub.rekey_collisions + spoke.rekey_collisions >= 1);
  assert_int_equal(unknown_drops(s, 0), 0);
  assert_int_equal(unknown_drops(s, 1), 0);

  ten_packets_each_way(s);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

static void rekey_tcp_stream(void **state) {
  (void)state;
  rekey_many_cycles(TCPSEC_GW_TRANSPORT_TCP, 0);
}

static void rekey_tcp_segments(void **state) {
  (void)state;
  rekey_many_cycles(TCPSEC_GW_TRANSPORT_TCP, 1);
}

static void rekey_udp_behind_nat(void **state) {
  (void)state;
  rekey_many_cycles(TCPSEC_GW_TRANSPORT_UDP, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rekey_tcp_stream),
    cmocka_unit_test(rekey_tcp_segments),
    cmocka_unit_test(rekey_udp_behind_nat),
    cmocka_unit_test(rekey_for_packets_tcp),
    cmocka_unit_test(rekey_for_bytes_udp),
    cmocka_unit_test(hard_limit_deletes_pair),
    cmocka_unit_test(ike_rekey_collision_udp),
  };
  return cmocka_run_group_tests_name("sim_rekey", tests, NULL, NULL);
}
