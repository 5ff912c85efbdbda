/*
 * NAT keepalives (RFC 3948 sections 2.3 and 4): a spoke behind a NAT on
 * UDP port 4500 sends a 1-byte 0xFF datagram when it sent nothing else to
 * the hub for the configured interval. The simulated NAT removes UDP
 * mappings that saw no outbound packet for 30 s, so the mapping survives
 * an idle tunnel only because of the keepalives. Over TCP no keepalive is
 * sent: the TCP connection holds the mapping.
 *
 * Liveness checks are disabled and the lifetimes are long, so that the
 * keepalives are the only packets of an idle tunnel.
 */
#include "sim.h"

#define IDLE_MS 30000

static sim *idle_tunnels(int transport, uint32_t keepalive_ms) {
  sim_options o;
  sim *s;

  sim_options_default(&o);
  o.spokes = 2;
  o.transport = transport;
  o.dpd_interval_ms = 0;
  o.nat_keepalive_ms = keepalive_ms;
  o.nat_udp_idle_ms = IDLE_MS;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 5000);
  assert_int_equal(sim_tunnels_up(s), 2);
  sim_reset_keepalives(s);
  return s;
}

/* Hub-to-spoke packets reach the spokes only through live mappings. */
static uint64_t hub_to_spokes_delivered(sim *s) {
  sim_counts c;

  sim_reset_counts(s);
  sim_send_hub_to_spoke(s, 1, 5);
  sim_send_hub_to_spoke(s, 2, 5);
  sim_run_until(s, sim_now(s) + 1000);
  sim_get_counts(s, &c);
  return c.delivered;
}

static void udp_keepalives_at_interval(void **state) {
  sim_keepalives k;
  sim *s;
  unsigned i;

  (void)state;
  s = idle_tunnels(TCPSEC_GW_TRANSPORT_UDP, 15000);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_UDP_NATT);
  sim_run_until(s, sim_now(s) + 300000);

  for (i = 1; i <= 2; i++) {
    sim_get_keepalives(s, i, &k);
    /* 300 s at one per 15 s, the first 15 s after the last IKE message. */
    assert_true(k.count >= 19 && k.count <= 20);
    assert_int_equal(k.min_gap_ms, 15000);
    assert_int_equal(k.max_gap_ms, 15000);
  }
  /* The hub is not behind a NAT and sends none. */
  sim_get_keepalives(s, 0, &k);
  assert_int_equal(k.count, 0);

  /* Ten idle intervals of the NAT passed, and no mapping expired. */
  assert_int_equal(sim_nat_expired(s), 0);
  assert_int_equal(hub_to_spokes_delivered(s), 10);
  assert_int_equal(sim_check_invariants(s), 0);
  sim_free(s);
}

/* RFC 3948 section 4: no keepalive while other packets go to the peer. */
static void udp_keepalives_pause_during_traffic(void **state) {
  sim_keepalives k;
  uint64_t quiet_from;
  sim *s;
  int step;

  (void)state;
  s = idle_tunnels(TCPSEC_GW_TRANSPORT_UDP, 15000);
  for (step = 0; step < 60; step++) {
    sim_send_spoke_to_hub(s, 1, 1);
    sim_run_until(s, sim_now(s) + 1000);
  }
  sim_get_keepalives(s, 1, &k);
  assert_int_equal(k.count, 0);
  /* Spoke 2 was idle all along. */
  sim_get_keepalives(s, 2, &k);
  assert_int_equal(k.count, 4);

  /* After the last packet the keepalives start again one interval later. */
  quiet_from = sim_now(s) - 1000;
  sim_run_until(s, sim_now(s) + 40000);
  sim_get_keepalives(s, 1, &k);
  assert_int_equal(k.count, 2);
  assert_int_equal(k.first_ms, quiet_from + 15000);
  assert_int_equal(sim_nat_expired(s), 0);
  sim_free(s);
}

static void tcp_sends_no_keepalives(void **state) {
  sim_keepalives k;
  sim *s;
  unsigned i;
  int mode;

  (void)state;
  for (mode = 0; mode < 2; mode++) {
    sim_options o;

    sim_options_default(&o);
    o.spokes = 2;
    o.fortinet_esp = mode;
    o.dpd_interval_ms = 0;
    o.nat_udp_idle_ms = IDLE_MS;
    s = sim_new(&o);
    assert_non_null(s);
    sim_start(s);
    sim_run_until(s, 300000);
    assert_int_equal(sim_tunnels_up(s), 2);
    for (i = 0; i <= 2; i++) {
      sim_get_keepalives(s, i, &k);
      assert_int_equal(k.count, 0);
    }
    assert_int_equal(hub_to_spokes_delivered(s), 10);
    sim_free(s);
  }
}

/* The control: without keepalives the idle mappings expire, and the hub's
 * packets no longer reach the spokes. */
static void udp_mapping_expires_without_keepalives(void **state) {
  sim_keepalives k;
  sim *s;

  (void)state;
  s = idle_tunnels(TCPSEC_GW_TRANSPORT_UDP, 0);
  sim_run_until(s, sim_now(s) + 2 * IDLE_MS);
  sim_get_keepalives(s, 1, &k);
  assert_int_equal(k.count, 0);
  assert_int_equal(hub_to_spokes_delivered(s), 0);
  assert_true(sim_nat_expired(s) >= 2);
  sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(udp_keepalives_at_interval),
    cmocka_unit_test(udp_keepalives_pause_during_traffic),
    cmocka_unit_test(tcp_sends_no_keepalives),
    cmocka_unit_test(udp_mapping_expires_without_keepalives),
  };
  return cmocka_run_group_tests_name("sim_keepalive", tests, NULL, NULL);
}
