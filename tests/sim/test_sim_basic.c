/* Hub and spokes over each transport in the simulated network. */
#include "sim.h"

static sim *up(sim_options *o) {
  sim *s = sim_new(o);

  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 30000);
  assert_int_equal(sim_tunnels_up(s), o->spokes);
  assert_int_equal(sim_hub_instances(s), o->spokes);
  return s;
}

static void traffic_flows(sim *s, unsigned spokes) {
  sim_counts c;
  unsigned i;

  sim_reset_counts(s);
  for (i = 1; i <= spokes; i++) {
    sim_send_spoke_to_hub(s, i, 5);
    sim_send_hub_to_spoke(s, i, 5);
  }
  if (spokes >= 2)
    sim_send_spoke_to_spoke(s, 1, 2, 5);
  sim_run_until(s, sim_now(s) + 2000);
  sim_get_counts(s, &c);
  assert_int_equal(c.send_errors, 0);
  assert_int_equal(c.delivered, c.sent);
  assert_int_equal(sim_check_invariants(s), 0);
}

static void tcp_stream_two_spokes(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  s = up(&o);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_TCP);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void tcp_segments_two_spokes(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.fortinet_esp = 1;
  s = up(&o);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_TCP_SEGMENTS);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void udp_behind_nat(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.transport = TCPSEC_GW_TRANSPORT_UDP;
  s = up(&o);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_UDP_NATT);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void udp_without_nat(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.transport = TCPSEC_GW_TRANSPORT_UDP;
  o.nat = 0;
  s = up(&o);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_UDP);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void auto_falls_back_when_udp_blocked(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.transport = TCPSEC_GW_TRANSPORT_AUTO;
  o.block_udp = 1;
  o.auto_threshold_ms = 3000;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 2500);
  assert_int_equal(sim_tunnels_up(s), 0);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_UDP);
  sim_run_until(s, 10000);
  assert_int_equal(sim_tunnels_up(s), o.spokes);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_TCP);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void auto_stays_on_udp_when_allowed(void **state) {
  sim_options o;
  sim *s;

  (void)state;
  sim_options_default(&o);
  o.transport = TCPSEC_GW_TRANSPORT_AUTO;
  o.auto_threshold_ms = 3000;
  s = up(&o);
  sim_run_until(s, 60000);
  assert_int_equal(sim_spoke_transport(s, 1), TCPSEC_GW_ON_UDP_NATT);
  traffic_flows(s, o.spokes);
  sim_free(s);
}

static void tcp_reset_reconnects(void **state) {
  sim_options o;
  sim *s;
  int mode;

  (void)state;
  for (mode = 0; mode < 2; mode++) {
    sim_options_default(&o);
    o.fortinet_esp = mode;
    s = up(&o);
    traffic_flows(s, o.spokes);
    sim_reset_tcp(s, 1);
    sim_nat_rebind(s);
    sim_run_until(s, sim_now(s) + 5000);
    /* Same IKE SA on a new connection: nothing renegotiated. */
    assert_int_equal(sim_tunnels_up(s), o.spokes);
    assert_int_equal(sim_hub_instances(s), o.spokes);
    traffic_flows(s, o.spokes);
    sim_free(s);
  }
}

/* A static tunnel whose negotiation failed waits 5 s before retrying,
 * unless traffic for it arrives: then it starts at once (acquire). */
static void traffic_restarts_failed_tunnel(void **state) {
  sim_options o;
  sim *s;
  int i;

  (void)state;
  sim_options_default(&o);
  o.spokes = 1;
  o.transport = TCPSEC_GW_TRANSPORT_UDP;
  o.block_udp = 1;
  s = sim_new(&o);
  assert_non_null(s);
  sim_start(s);
  sim_run_until(s, 1000);
  assert_int_equal(sim_spoke_ike_state(s, 1), TCPSEC_IKE_SA_INIT_SENT);
  /* Wait for the retransmission budget to run out. */
  for (i = 0; i < 2000 && sim_spoke_ike_state(s, 1) != -1; i++)
    sim_run_until(s, sim_now(s) + 100);
  assert_int_equal(sim_spoke_ike_state(s, 1), -1);

  sim_set_block_udp(s, 0);
  sim_send_spoke_to_hub(s, 1, 1);
  sim_run_until(s, sim_now(s) + 500);
  assert_int_equal(sim_tunnels_up(s), 1);
  sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tcp_stream_two_spokes),
    cmocka_unit_test(tcp_segments_two_spokes),
    cmocka_unit_test(udp_behind_nat),
    cmocka_unit_test(udp_without_nat),
    cmocka_unit_test(auto_falls_back_when_udp_blocked),
    cmocka_unit_test(auto_stays_on_udp_when_allowed),
    cmocka_unit_test(tcp_reset_reconnects),
    cmocka_unit_test(traffic_restarts_failed_tunnel),
  };
  return cmocka_run_group_tests_name("sim_basic", tests, NULL, NULL);
}
