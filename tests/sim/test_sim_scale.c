/*
 * One hub and 200 spokes over each transport, and a run of many seeds with
 * random loss, duplication, reordering, chunk splitting, TCP resets and NAT
 * rebinding. In a tenth of the seeds the SAs also rekey all the time
 * (Child SA soft lifetime 20 s, IKE SA 45 s, PFS on some spokes).
 * Invariants are checked after every phase: no inner packet delivered
 * twice or to the wrong LAN, Child SA count bounded, timer deadlines never
 * late, and every tunnel up with traffic flowing after a quiet period.
 *
 * SIM_SEEDS (environment) overrides the number of seeds (default 1000);
 * SIM_SEED runs that one seed only, to reproduce a failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

static const uint16_t fast_group[] = {19};
static const uint16_t x25519_group[] = {31};

static void two_hundred(int transport, int segments) {
  sim_options o;
  sim_counts c;
  sim *s;
  unsigned i;

  sim_options_default(&o);
  o.spokes = 200;
  o.transport = transport;
  o.fortinet_esp = segments;
  o.groups = fast_group;
  o.group_count = 1;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 60000);
  assert_int_equal(sim_tunnels_up(s), 200);
  assert_int_equal(sim_hub_instances(s), 200);

  for (i = 1; i <= 200; i++) {
    sim_send_spoke_to_hub(s, i, 2);
    sim_send_hub_to_spoke(s, i, 2);
    sim_send_spoke_to_spoke(s, i, i % 200 + 1, 1);
  }
  sim_run_until(s, sim_now(s) + 3000);
  sim_get_counts(s, &c);
  assert_int_equal(c.send_errors, 0);
  assert_int_equal(c.delivered, c.sent);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

static void scale_tcp_stream(void **state) {
  (void)state;
  two_hundred(TCPSEC_GW_TRANSPORT_TCP, 0);
}

static void scale_tcp_segments(void **state) {
  (void)state;
  two_hundred(TCPSEC_GW_TRANSPORT_TCP, 1);
}

static void scale_udp(void **state) {
  (void)state;
  two_hundred(TCPSEC_GW_TRANSPORT_UDP, 0);
}

/* One seed: impairments while tunnels come up and carry traffic, resets
 * and rebinding on the way, then a quiet period after which everything
 * must be up and deliver every packet. */
static int one_seed(uint64_t seed) {
  sim_options o;
  sim_counts c;
  test_rng r;
  sim *s;
  unsigned i, step;
  int rc = 0;

  test_rng_seed(&r, seed);
  sim_options_default(&o);
  o.seed = seed;
  o.spokes = 3;
  o.groups = fast_group;
  o.group_count = 1;
  switch (test_rng_next(&r) % 4) {
  case 0: o.transport = TCPSEC_GW_TRANSPORT_TCP; break;
  case 1: o.transport = TCPSEC_GW_TRANSPORT_TCP; o.fortinet_esp = 1; break;
  case 2: o.transport = TCPSEC_GW_TRANSPORT_UDP; break;
  default:
    o.transport = TCPSEC_GW_TRANSPORT_AUTO;
    o.block_udp = (int)(test_rng_next(&r) % 2);
    o.auto_threshold_ms = 4000;
    break;
  }
  if (test_rng_next(&r) % 10 == 0) {
    o.groups = x25519_group;
    o.child_rekey_ms = 20000;
    o.child_lifetime_ms = 30000;
    o.ike_rekey_ms = 45000;
    o.ike_lifetime_ms = 60000;
    o.pfs_group = 31;
    o.pfs_spokes = 2;
  }
  o.loss_pct = (unsigned)(test_rng_next(&r) % 20);
  o.dup_pct = (unsigned)(test_rng_next(&r) % 10);
  o.reorder_pct = (unsigned)(test_rng_next(&r) % 20);
  o.split_tcp = 1;
  s = sim_new(&o);
  if (s == NULL)
    return -1;
  sim_start(s);

  for (step = 0; step < 12; step++) {
    sim_run_until(s, sim_now(s) + 5000);
    for (i = 1; i <= o.spokes; i++) {
      sim_send_spoke_to_hub(s, i, 3);
      sim_send_hub_to_spoke(s, i, 3);
    }
    if (test_rng_next(&r) % 6 == 0)
      sim_reset_tcp(s, 1 + (unsigned)(test_rng_next(&r) % o.spokes));
    if (test_rng_next(&r) % 8 == 0)
      sim_nat_rebind(s);
    if (sim_check_invariants(s) != 0) {
      rc = -1;
      goto out;
    }
  }

  /* Quiet period: no impairment; DPD, retries and reconnects settle. */
  sim_set_impairments(s, 0, 0, 0, 1);
  sim_run_until(s, sim_now(s) + 90000);
  if (sim_tunnels_up(s) != o.spokes) {
    fprintf(stderr, "seed %llu: %u of %u tunnels up after the quiet period\n",
            (unsigned long long)seed, sim_tunnels_up(s), o.spokes);
    rc = -1;
    goto out;
  }
  sim_reset_counts(s);
  for (i = 1; i <= o.spokes; i++) {
    sim_send_spoke_to_hub(s, i, 2);
    sim_send_hub_to_spoke(s, i, 2);
  }
  sim_run_until(s, sim_now(s) + 2000);
  sim_get_counts(s, &c);
  if (c.delivered != c.sent || sim_check_invariants(s) != 0) {
    fprintf(stderr, "seed %llu: %llu of %llu packets delivered at the end\n",
            (unsigned long long)seed, (unsigned long long)c.delivered,
            (unsigned long long)c.sent);
    rc = -1;
  }
out:
  sim_free(s);
  return rc;
}

static void random_seeds(void **state) {
  const char *env = getenv("SIM_SEEDS"), *one = getenv("SIM_SEED");
  unsigned long seeds = env != NULL ? strtoul(env, NULL, 10) : 1000;
  unsigned long seed = 1, failed = 0;

  (void)state;
  if (one != NULL) {
    seed = strtoul(one, NULL, 10);
    seeds = seed;
  }
  for (; seed <= seeds; seed++)
    if (one_seed(seed) != 0)
      failed++;
  printf("%lu seeds, %lu failed\n", one != NULL ? 1 : seeds, failed);
  assert_int_equal(failed, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(scale_tcp_stream),
    cmocka_unit_test(scale_tcp_segments),
    cmocka_unit_test(scale_udp),
    cmocka_unit_test(random_seeds),
  };
  return cmocka_run_group_tests_name("sim_scale", tests, NULL, NULL);
}
