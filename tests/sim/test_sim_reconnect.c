/*
 * TCP reconnect backoff of a static tunnel: while the hub refuses
 * connections, the spoke waits 1 s, 2 s, 4 s, ... up to 30 s between
 * attempts, each delay shortened by a random part of up to a fifth. Once
 * a connection carries IKE again, the next loss is retried after about
 * 1 s.
 */
#include "sim.h"

#define LATENCY_MS 5 /* one trip through the simulated network */

/* Delay before attempt n + 1 after n failed ones in a row. */
static uint64_t nominal_delay(size_t failures) {
  uint64_t d = 1000;

  while (--failures > 0 && d < 30000)
    d *= 2;
  return d < 30000 ? d : 30000;
}

static void tcp_reconnect_backs_off(void **state) {
  uint64_t times[64], reset_at;
  sim_options o;
  size_t n, k;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.spokes = 1;
  s = sim_new(&o);
  assert_non_null(s);
  sim_set_refuse_tcp(s, 1);
  sim_start(s);
  sim_run_until(s, 200000);
  assert_int_equal(sim_tunnels_up(s), 0);

  /* Attempts at 0, then 1, 2, 4, 8, 16, 30, 30, ... s after each refusal
   * (which arrives one trip after the attempt). */
  n = sim_tcp_attempts(s, 1, times, 64);
  assert_int_equal(times[0], 0);
  assert_true(n >= 9 && n <= 12);
  for (k = 1; k < n; k++) {
    uint64_t waited = times[k] - times[k - 1] - LATENCY_MS;
    uint64_t d = nominal_delay(k);

    assert_true(waited <= d);
    assert_true(waited >= d - d / 5);
  }

  /* The hub accepts again: the next attempt brings the tunnel up. */
  sim_set_refuse_tcp(s, 0);
  sim_run_until(s, sim_now(s) + 31000);
  assert_int_equal(sim_tunnels_up(s), 1);
  assert_int_equal(sim_tcp_attempts(s, 1, times, 64), n + 1);

  /* A working connection resets the backoff: after a reset the spoke is
   * back within one second. */
  sim_reset_tcp(s, 1);
  reset_at = sim_now(s);
  sim_run_until(s, sim_now(s) + 5000);
  assert_int_equal(sim_tcp_attempts(s, 1, times, 64), n + 2);
  assert_true(times[n + 1] - reset_at >= 800);
  assert_true(times[n + 1] - reset_at <= 1000);
  assert_int_equal(sim_tunnels_up(s), 1);
  assert_int_equal(sim_hub_instances(s), 1);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

/* The backoff also applies to a tunnel that was up: the hub goes away
 * (connections reset and refused) and the same IKE SA resumes on the
 * connection that finally succeeds. */
static void tcp_reconnect_after_hub_outage(void **state) {
  uint64_t times[64], lost_at;
  sim_options o;
  sim_counts c;
  size_t before, n, k;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.spokes = 2;
  o.dpd_interval_ms = 0;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 5000);
  assert_int_equal(sim_tunnels_up(s), 2);
  before = sim_tcp_attempts(s, 1, times, 64);

  sim_set_refuse_tcp(s, 1);
  sim_reset_tcp(s, 1);
  lost_at = sim_now(s);
  sim_run_until(s, sim_now(s) + 20000);
  /* 1, 2, 4 and 8 s of waiting fit into 20 s: four attempts. */
  n = sim_tcp_attempts(s, 1, times, 64);
  assert_int_equal(n - before, 4);
  assert_true(times[before] - lost_at <= 1000);
  for (k = before + 1; k < n; k++) {
    uint64_t waited = times[k] - times[k - 1] - LATENCY_MS;
    uint64_t d = nominal_delay(k - before + 1);

    assert_true(waited <= d);
    assert_true(waited >= d - d / 5);
  }

  sim_set_refuse_tcp(s, 0);
  sim_run_until(s, sim_now(s) + 20000);
  assert_int_equal(sim_tunnels_up(s), 2);
  assert_int_equal(sim_hub_instances(s), 2);
  sim_reset_counts(s);
  sim_send_spoke_to_hub(s, 1, 5);
  sim_send_hub_to_spoke(s, 1, 5);
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  assert_int_equal(c.delivered, 10);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tcp_reconnect_backs_off),
    cmocka_unit_test(tcp_reconnect_after_hub_outage),
  };
  return cmocka_run_group_tests_name("sim_reconnect", tests, NULL, NULL);
}
