/*
 * Traffic selector arithmetic of the IKE layer (RFC 7296 sections 2.9 and
 * 3.13.1): intersection, containment, narrowing, the initiator's subset
 * check, and conversion from and to the codec's selectors.
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

typedef tcpsec_ike_traffic_selector ts_t;

static ts_t v4(const char *start, const char *end, uint8_t proto,
               uint16_t port_s, uint16_t port_e) {
  unsigned a, b, c, d;
  ts_t ts;

  memset(&ts, 0, sizeof(ts));
  ts.family = TCPSEC_IKE_FAMILY_IPV4;
  ts.ip_proto = proto;
  ts.start_port = port_s;
  ts.end_port = port_e;
  assert_int_equal(sscanf(start, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
  ts.start_addr[0] = (uint8_t)a;
  ts.start_addr[1] = (uint8_t)b;
  ts.start_addr[2] = (uint8_t)c;
  ts.start_addr[3] = (uint8_t)d;
  assert_int_equal(sscanf(end, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
  ts.end_addr[0] = (uint8_t)a;
  ts.end_addr[1] = (uint8_t)b;
  ts.end_addr[2] = (uint8_t)c;
  ts.end_addr[3] = (uint8_t)d;
  return ts;
}

static ts_t v6(uint8_t first_start, uint8_t first_end) {
  ts_t ts;

  memset(&ts, 0, sizeof(ts));
  ts.family = TCPSEC_IKE_FAMILY_IPV6;
  ts.end_port = 65535;
  ts.start_addr[0] = 0x20;
  ts.start_addr[1] = first_start;
  ts.end_addr[0] = 0x20;
  ts.end_addr[1] = first_end;
  memset(ts.end_addr + 2, 0xff, 14);
  return ts;
}

typedef struct intersect_case {
  const char *name;
  ts_t a, b;
  int nonempty;
  ts_t expected;
} intersect_case;

static void ike_ts_intersection_table(void **state) {
  const ts_t any = v4("0.0.0.0", "255.255.255.255", 0, 0, 65535);
  const ts_t lan = v4("10.88.0.0", "10.88.0.255", 0, 0, 65535);
  const ts_t opaque = v4("10.88.0.0", "10.88.0.255", 0, 65535, 0);
  const intersect_case cases[] = {
      {"range inside any", lan, any, 1, lan},
      {"any outside range", any, lan, 1, lan},
      {"disjoint ranges", lan, v4("10.89.0.0", "10.89.0.255", 0, 0, 65535), 0,
       lan},
      {"overlapping ranges", v4("10.0.0.10", "10.0.0.20", 0, 0, 65535),
       v4("10.0.0.15", "10.0.0.30", 0, 0, 65535), 1,
       v4("10.0.0.15", "10.0.0.20", 0, 0, 65535)},
      {"any protocol with TCP", lan,
       v4("0.0.0.0", "255.255.255.255", 6, 0, 65535), 1,
       v4("10.88.0.0", "10.88.0.255", 6, 0, 65535)},
      {"TCP with UDP", v4("10.88.0.0", "10.88.0.255", 6, 0, 65535),
       v4("10.88.0.0", "10.88.0.255", 17, 0, 65535), 0, lan},
      {"port ranges overlap", v4("10.88.0.0", "10.88.0.255", 0, 80, 90),
       v4("10.88.0.0", "10.88.0.255", 0, 85, 100), 1,
       v4("10.88.0.0", "10.88.0.255", 0, 85, 90)},
      {"port ranges apart", v4("10.88.0.0", "10.88.0.255", 0, 80, 90),
       v4("10.88.0.0", "10.88.0.255", 0, 91, 100), 0, lan},
      {"opaque with all ports", opaque, lan, 1, opaque},
      {"opaque with one port", opaque,
       v4("10.88.0.0", "10.88.0.255", 0, 80, 80), 0, lan},
      {"opaque with opaque", opaque, opaque, 1, opaque},
      {"IPv4 with IPv6", lan, v6(0x01, 0x01), 0, lan},
      {"IPv6 ranges", v6(0x01, 0x05), v6(0x03, 0x09), 1, v6(0x03, 0x05)},
  };
  size_t i;
  ts_t out;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    memset(&out, 0, sizeof(out));
    if (tcpsec_ike_ts_intersect(&cases[i].a, &cases[i].b, &out) !=
        cases[i].nonempty)
      fail_msg("intersection \"%s\" emptiness differs", cases[i].name);
    if (cases[i].nonempty && memcmp(&out, &cases[i].expected, sizeof(out)) != 0)
      fail_msg("intersection \"%s\" gives another selector", cases[i].name);
  }
}

static void ike_ts_containment(void **state) {
  const ts_t any = v4("0.0.0.0", "255.255.255.255", 0, 0, 65535);
  const ts_t lan = v4("10.88.0.0", "10.88.0.255", 0, 0, 65535);
  const ts_t web = v4("10.88.0.0", "10.88.0.255", 6, 443, 443);
  const ts_t opaque = v4("10.88.0.0", "10.88.0.255", 0, 65535, 0);
  const ts_t six = v6(0x01, 0x01);

  (void)state;
  assert_true(tcpsec_ike_ts_contains(&any, &lan));
  assert_false(tcpsec_ike_ts_contains(&lan, &any));
  assert_true(tcpsec_ike_ts_contains(&lan, &web));
  assert_false(tcpsec_ike_ts_contains(&web, &lan));
  assert_true(tcpsec_ike_ts_contains(&lan, &opaque));
  assert_false(tcpsec_ike_ts_contains(&web, &opaque));
  assert_false(tcpsec_ike_ts_contains(&opaque, &web));
  assert_true(tcpsec_ike_ts_contains(&opaque, &opaque));
  assert_false(tcpsec_ike_ts_contains(&lan, &six));
}

static void ike_ts_narrowing_keeps_order(void **state) {
  const ts_t proposed[] = {
      v4("192.168.111.10", "192.168.111.10", 17, 5000, 5000),
      v4("192.168.0.0", "192.168.255.255", 0, 0, 65535),
  };
  const ts_t policy[] = {
      v4("192.168.112.0", "192.168.112.255", 0, 0, 65535),
      v4("192.168.111.0", "192.168.111.255", 0, 0, 65535),
  };
  ts_t out[8];
  size_t n;

  (void)state;
  n = tcpsec_ike_ts_narrow(proposed, 2, policy, 2, out, 8);
  /* The initiator's specific first selector comes first (section 2.9). */
  assert_int_equal(n, 3);
  assert_memory_equal(&out[0], &proposed[0], sizeof(ts_t));
  assert_memory_equal(&out[1], &policy[0], sizeof(ts_t));
  assert_memory_equal(&out[2], &policy[1], sizeof(ts_t));
  /* A full output list stops the narrowing, a duplicate is kept once. */
  assert_int_equal(tcpsec_ike_ts_narrow(proposed, 2, policy, 2, out, 1), 1);
  assert_int_equal(tcpsec_ike_ts_narrow(&policy[0], 1, &policy[0], 1, out, 8),
                   1);
  /* Nothing in common. */
  assert_int_equal(tcpsec_ike_ts_narrow(&proposed[0], 1, &policy[0], 1, out, 8),
                   0);
}

static void ike_ts_subset_check(void **state) {
  const ts_t proposed[] = {v4("10.0.0.0", "10.0.255.255", 0, 0, 65535)};
  const ts_t inside[] = {v4("10.0.1.0", "10.0.1.255", 0, 0, 65535),
                         v4("10.0.9.0", "10.0.9.255", 6, 22, 22)};
  const ts_t wider[] = {v4("10.0.1.0", "10.0.1.255", 0, 0, 65535),
                        v4("10.1.0.0", "10.1.0.255", 0, 0, 65535)};

  (void)state;
  assert_true(tcpsec_ike_ts_subset(inside, 2, proposed, 1));
  assert_false(tcpsec_ike_ts_subset(wider, 2, proposed, 1));
  assert_false(tcpsec_ike_ts_subset(inside, 0, proposed, 1));
}

static void ike_ts_validity(void **state) {
  ts_t ts = v4("10.0.0.0", "10.0.0.255", 0, 0, 65535);

  (void)state;
  assert_true(tcpsec_ike_ts_valid(&ts));
  ts.start_port = 65535;
  ts.end_port = 0;
  assert_true(tcpsec_ike_ts_valid(&ts)); /* OPAQUE */
  ts.start_port = 100;
  ts.end_port = 99;
  assert_false(tcpsec_ike_ts_valid(&ts));
  ts = v4("10.0.0.9", "10.0.0.8", 0, 0, 65535);
  assert_false(tcpsec_ike_ts_valid(&ts));
  ts.family = 0;
  assert_false(tcpsec_ike_ts_valid(&ts));
}

static void ike_ts_codec_conversion(void **state) {
  tcpsec_ike_selector sel[3];
  tcpsec_ike_ts payload;
  ts_t in = v4("10.88.0.0", "10.88.0.255", 6, 443, 443), six = v6(1, 2);
  ts_t out[4];

  (void)state;
  tcpsec_ike_ts_to_selector(&in, &sel[0]);
  assert_int_equal(sel[0].type, TCPSEC_IKE_TS_IPV4_ADDR_RANGE);
  assert_int_equal(sel[0].length, 16);
  assert_int_equal(sel[0].addr_len, 4);
  tcpsec_ike_ts_to_selector(&six, &sel[1]);
  assert_int_equal(sel[1].type, TCPSEC_IKE_TS_IPV6_ADDR_RANGE);
  assert_int_equal(sel[1].length, 40);
  /* An unknown type is skipped (section 2.9). */
  memset(&sel[2], 0, sizeof(sel[2]));
  sel[2].type = TCPSEC_IKE_TS_SECLABEL;
  payload.selectors = sel;
  payload.count = 3;
  assert_int_equal(tcpsec_ike_ts_from_payload(&payload, out, 4), 2);
  assert_memory_equal(&out[0], &in, sizeof(ts_t));
  assert_memory_equal(&out[1], &six, sizeof(ts_t));
  /* A selector whose start lies above its end is skipped too. */
  sel[0].start_addr[0] = 11;
  assert_int_equal(tcpsec_ike_ts_from_payload(&payload, out, 4), 1);
  assert_int_equal(tcpsec_ike_ts_from_payload(&payload, out, 0), 0);
}

static void ike_ts_text(void **state) {
  ts_t ts = v4("10.88.0.0", "10.88.0.255", 6, 443, 443);
  char buf[128];

  (void)state;
  tcpsec_ike_ts_format(&ts, buf, sizeof(buf));
  assert_string_equal(buf, "10.88.0.0-10.88.0.255 proto 6 ports 443-443");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_ts_intersection_table),
      cmocka_unit_test(ike_ts_containment),
      cmocka_unit_test(ike_ts_narrowing_keeps_order),
      cmocka_unit_test(ike_ts_subset_check),
      cmocka_unit_test(ike_ts_validity),
      cmocka_unit_test(ike_ts_codec_conversion),
      cmocka_unit_test(ike_ts_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
