/* Outbound selection: inner packet parsing, traffic selector matching, the
 * documented preference order, range splitting and make-before-break. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "sa/sa_internal.h"
#include "tcpsec/sa.h"

static const uint8_t gcm_key[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                    11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

/* ---- packet builders ------------------------------------------------------- */

static size_t ipv4_packet(uint8_t *p, const char *src, const char *dst,
                          uint8_t proto, uint16_t sport, uint16_t dport) {
  unsigned a[4], b[4];
  size_t i;

  memset(p, 0, 28);
  p[0] = 0x45;
  p[3] = 28;
  p[8] = 64;
  p[9] = proto;
  assert_int_equal(sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]), 4);
  assert_int_equal(sscanf(dst, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]), 4);
  for (i = 0; i < 4; i++) {
    p[12 + i] = (uint8_t)a[i];
    p[16 + i] = (uint8_t)b[i];
  }
  tcpsec_store_be16(p + 20, sport);
  tcpsec_store_be16(p + 22, dport);
  return 28;
}

static void ipv4_addr(uint8_t *out, const char *text) {
  unsigned a[4];
  size_t i;

  memset(out, 0, 16);
  assert_int_equal(sscanf(text, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]), 4);
  for (i = 0; i < 4; i++)
    out[i] = (uint8_t)a[i];
}

static tcpsec_sa_traffic_selector ts4(const char *start, const char *end,
                                      uint8_t proto, uint16_t port_start,
                                      uint16_t port_end) {
  tcpsec_sa_traffic_selector ts;

  memset(&ts, 0, sizeof(ts));
  ts.ts_type = TCPSEC_TS_IPV4_ADDR_RANGE;
  ts.ip_protocol = proto;
  ts.start_port = port_start;
  ts.end_port = port_end;
  ipv4_addr(ts.start_addr, start);
  ipv4_addr(ts.end_addr, end);
  return ts;
}

/* ---- flow parsing ---------------------------------------------------------- */

static void flow_parses_ipv4(void **state) {
  uint8_t p[64];
  tcpsec_flow f;

  (void)state;
  ipv4_packet(p, "192.0.2.1", "198.51.100.7", 17, 5000, 53);
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), 0);
  assert_int_equal(f.family, 4);
  assert_int_equal(f.protocol, 17);
  assert_true(f.has_ports);
  assert_int_equal(f.src_port, 5000);
  assert_int_equal(f.dst_port, 53);
  assert_int_equal(f.dst[3], 7);

  /* ICMP echo request: type 8, code 0 becomes port 0x0800. */
  ipv4_packet(p, "192.0.2.1", "198.51.100.7", 1, 0x0800, 0);
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), 0);
  assert_int_equal(f.src_port, 0x0800);
  assert_int_equal(f.dst_port, 0x0800);

  /* A later fragment has no ports. */
  ipv4_packet(p, "192.0.2.1", "198.51.100.7", 6, 1, 2);
  p[7] = 0x10;
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), 0);
  assert_false(f.has_ports);

  /* Truncated TCP header: protocol known, ports absent. */
  ipv4_packet(p, "192.0.2.1", "198.51.100.7", 6, 1, 2);
  p[3] = 22;
  assert_int_equal(tcpsec_flow_parse(p, 22, &f), 0);
  assert_false(f.has_ports);
}

static void flow_rejects_bad_ipv4(void **state) {
  uint8_t p[64];
  tcpsec_flow f;

  (void)state;
  ipv4_packet(p, "192.0.2.1", "198.51.100.7", 17, 1, 2);
  assert_int_equal(tcpsec_flow_parse(p, 19, &f), TCPSEC_ERR_BAD_INNER_PACKET);
  assert_int_equal(tcpsec_flow_parse(p, 0, &f), TCPSEC_ERR_BAD_INNER_PACKET);
  p[3] = 29; /* total length beyond the buffer */
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), TCPSEC_ERR_BAD_INNER_PACKET);
  p[3] = 28;
  p[0] = 0x44; /* IHL 4 */
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), TCPSEC_ERR_BAD_INNER_PACKET);
  p[0] = 0x55; /* version 5 */
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), TCPSEC_ERR_BAD_INNER_PACKET);
  p[0] = 0x4f; /* IHL 15: 60 bytes of header in a 28-byte packet */
  assert_int_equal(tcpsec_flow_parse(p, 28, &f), TCPSEC_ERR_BAD_INNER_PACKET);
}

static size_t ipv6_packet(uint8_t *p, const uint8_t *ext, size_t ext_len,
                          uint8_t first_next, uint8_t proto) {
  size_t payload = ext_len + 4;

  (void)proto;
  memset(p, 0, 40);
  p[0] = 0x60;
  tcpsec_store_be16(p + 4, (uint16_t)payload);
  p[6] = first_next;
  p[8 + 15] = 1;  /* source ::1 */
  p[24] = 0x20;   /* destination 2001:db8::2 */
  p[25] = 0x01;
  p[26] = 0x0d;
  p[27] = 0xb8;
  p[39] = 2;
  memcpy(p + 40, ext, ext_len);
  tcpsec_store_be16(p + 40 + ext_len, 1234);
  tcpsec_store_be16(p + 42 + ext_len, 443);
  return 40 + payload;
}

static void flow_parses_ipv6_extension_headers(void **state) {
  /* Hop-by-Hop (8 bytes) -> Fragment (offset 0) -> TCP. */
  uint8_t ext[16] = {44, 0, 1, 4, 0, 0, 0, 0,   6, 0, 0, 1, 0, 0, 0, 9};
  uint8_t p[128];
  tcpsec_flow f;
  size_t n;

  (void)state;
  n = ipv6_packet(p, ext, sizeof(ext), 0, 6);
  assert_int_equal(tcpsec_flow_parse(p, n, &f), 0);
  assert_int_equal(f.family, 6);
  assert_int_equal(f.protocol, 6);
  assert_true(f.has_ports);
  assert_int_equal(f.src_port, 1234);
  assert_int_equal(f.dst_port, 443);
  assert_int_equal(f.dst[15], 2);

  /* The same with a fragment offset of 8: protocol, no ports. */
  ext[10] = 0x00;
  ext[11] = 0x08;
  assert_int_equal(tcpsec_flow_parse(p, n, &f), 0);
  n = ipv6_packet(p, ext, sizeof(ext), 0, 6);
  assert_int_equal(tcpsec_flow_parse(p, n, &f), 0);
  assert_int_equal(f.protocol, 6);
  assert_false(f.has_ports);

  /* Hop-by-Hop claiming 16 bytes in a 12-byte payload. */
  ext[1] = 1;
  ext[10] = 0;
  ext[11] = 0;
  n = ipv6_packet(p, ext, 8, 0, 6);
  assert_int_equal(tcpsec_flow_parse(p, n, &f), TCPSEC_ERR_BAD_INNER_PACKET);

  /* Payload length beyond the buffer, and a short header. */
  n = ipv6_packet(p, ext, 0, 17, 17);
  assert_int_equal(tcpsec_flow_parse(p, n - 1, &f),
                   TCPSEC_ERR_BAD_INNER_PACKET);
  assert_int_equal(tcpsec_flow_parse(p, 39, &f), TCPSEC_ERR_BAD_INNER_PACKET);
}

/* ---- range splitting --------------------------------------------------------- */

static size_t prefixes_of(const char *start, const char *end) {
  static const uint64_t key[2] = {1, 2};
  tcpsec_spd spd;
  spd_entry e;
  spd_node *nodes;
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 9);
  size_t n;

  assert_int_equal(tcpsec_spd_init(&spd, ctx, key, 4), 0);
  memset(&e, 0, sizeof(e));
  e.local = ts4("0.0.0.0", "255.255.255.255", 0, 0, 0xffff);
  e.remote = ts4(start, end, 0, 0, 0xffff);
  n = tcpsec_spd_prefix_count(&e.remote);
  nodes = calloc(n, sizeof(*nodes));
  assert_non_null(nodes);
  tcpsec_spd_add(&spd, &e, nodes);
  assert_int_equal(e.node_count, n);
  assert_int_equal(spd.node_count, n);
  tcpsec_spd_remove(&spd, &e);
  assert_int_equal(spd.node_count, 0);
  tcpsec_spd_clear(&spd);
  free(nodes);
  tcpsec_ctx_free(ctx);
  return n;
}

static void spd_splits_ranges_into_prefixes(void **state) {
  (void)state;
  assert_int_equal(prefixes_of("10.0.0.0", "10.0.0.255"), 1);
  assert_int_equal(prefixes_of("0.0.0.0", "255.255.255.255"), 1);
  assert_int_equal(prefixes_of("10.9.0.7", "10.9.0.7"), 1);
  /* .5/32 .6/31 .8/29 .16/30 .20/32 */
  assert_int_equal(prefixes_of("10.9.0.5", "10.9.0.20"), 5);
  /* 0.0.0.1 - 255.255.255.254: 31 prefixes on each side. */
  assert_int_equal(prefixes_of("0.0.0.1", "255.255.255.254"), 62);
}

/* ---- selection ---------------------------------------------------------------- */

struct fixture {
  test_rng rng;
  tcpsec_ctx *ctx;
  tcpsec_sad *sad;
  uint32_t next_spi;
};

static int fixture_setup(void **state) {
  struct fixture *fx = calloc(1, sizeof(*fx));

  assert_non_null(fx);
  fx->ctx = test_ctx_new(&fx->rng, 11);
  assert_int_equal(tcpsec_sad_new(fx->ctx, NULL, &fx->sad), 0);
  fx->next_spi = 0x1000;
  *state = fx;
  return 0;
}

static int fixture_teardown(void **state) {
  struct fixture *fx = *state;

  tcpsec_sad_free(fx->sad);
  tcpsec_ctx_free(fx->ctx);
  free(fx);
  return 0;
}

static tcpsec_esp_sa *new_sa(struct fixture *fx, uint32_t spi,
                             tcpsec_esp_direction dir) {
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;

  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = spi;
  cfg.direction = dir;
  cfg.encr = TCPSEC_ENCR_AES_GCM_16;
  cfg.encr_key = gcm_key;
  cfg.encr_key_len = sizeof(gcm_key);
  assert_int_equal(tcpsec_esp_sa_new(fx->ctx, &cfg, 0, &sa), 0);
  return sa;
}

/* Install a Child SA; returns its inbound SPI. The outbound SPI is the
 * inbound one plus 0x10000, so tests can tell which Child SA was picked. */
static uint32_t add_child(struct fixture *fx,
                          const tcpsec_sa_traffic_selector *local,
                          size_t nl,
                          const tcpsec_sa_traffic_selector *remote,
                          size_t nr) {
  tcpsec_sad_child c;
  uint32_t spi = fx->next_spi++;

  memset(&c, 0, sizeof(c));
  c.size = sizeof(c);
  c.inbound = new_sa(fx, spi, TCPSEC_ESP_INBOUND);
  c.outbound = new_sa(fx, spi + 0x10000, TCPSEC_ESP_OUTBOUND);
  c.local_ts = local;
  c.local_ts_count = nl;
  c.remote_ts = remote;
  c.remote_ts_count = nr;
  c.user = (void *)(uintptr_t)spi;
  assert_int_equal(tcpsec_sad_install(fx->sad, &c), 0);
  return spi;
}

/* Inbound SPI of the Child SA selected for the packet, or a negative
 * error code. */
static long select_child(struct fixture *fx, const char *src, const char *dst,
                         uint8_t proto, uint16_t sport, uint16_t dport) {
  uint8_t p[28];
  tcpsec_esp_sa *sa = NULL;
  void *user = NULL;
  int rv;

  ipv4_packet(p, src, dst, proto, sport, dport);
  rv = tcpsec_sad_select(fx->sad, p, sizeof(p), &sa, &user);
  if (rv != 0)
    return rv;
  assert_int_equal(tcpsec_esp_sa_spi(sa), (uintptr_t)user + 0x10000);
  return (long)(uintptr_t)user;
}

/* A Child SA made in response to a rekey waits on standby: the old one
 * keeps the traffic until the new one is promoted or the old one is
 * removed. A redundant pair on standby does not take the traffic from a
 * live one. */
static void spd_standby_until_promoted(void **state) {
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector local = ts4("192.168.1.0", "192.168.1.255", 0,
                                         0, 0xffff);
  tcpsec_sa_traffic_selector remote = ts4("10.1.0.0", "10.1.255.255", 0, 0,
                                          0xffff);
  tcpsec_sad_child c;
  uint32_t old, fresh, redundant;

  old = add_child(fx, &local, 1, &remote, 1);
  memset(&c, 0, sizeof(c));
  c.size = sizeof(c);
  c.local_ts = &local;
  c.local_ts_count = 1;
  c.remote_ts = &remote;
  c.remote_ts_count = 1;

  fresh = fx->next_spi++;
  c.inbound = new_sa(fx, fresh, TCPSEC_ESP_INBOUND);
  c.outbound = new_sa(fx, fresh + 0x10000, TCPSEC_ESP_OUTBOUND);
  c.user = (void *)(uintptr_t)fresh;
  c.outbound_standby = 1;
  c.replaces_spi = old;
  assert_int_equal(tcpsec_sad_install(fx->sad, &c), 0);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 17, 1, 53),
                   old);
  /* A redundant pair of a simultaneous rekey: standby, replaces nothing. */
  redundant = fx->next_spi++;
  c.inbound = new_sa(fx, redundant, TCPSEC_ESP_INBOUND);
  c.outbound = new_sa(fx, redundant + 0x10000, TCPSEC_ESP_OUTBOUND);
  c.user = (void *)(uintptr_t)redundant;
  c.replaces_spi = 0;
  assert_int_equal(tcpsec_sad_install(fx->sad, &c), 0);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 17, 1, 53),
                   old);
  /* Removing the old pair promotes its successor, not the redundant one. */
  assert_int_equal(tcpsec_sad_remove(fx->sad, old), 0);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 17, 1, 53),
                   fresh);
  assert_int_equal(tcpsec_sad_promote(fx->sad, redundant), 0);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 17, 1, 53),
                   redundant);
  assert_int_equal(tcpsec_sad_promote(fx->sad, 0x7777),
                   TCPSEC_ERR_NOT_FOUND);
  assert_int_equal(tcpsec_sad_promote(NULL, fresh),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  /* The successor removed first leaves no dangling link behind. */
  old = add_child(fx, &local, 1, &remote, 1);
  fresh = fx->next_spi++;
  c.inbound = new_sa(fx, fresh, TCPSEC_ESP_INBOUND);
  c.outbound = new_sa(fx, fresh + 0x10000, TCPSEC_ESP_OUTBOUND);
  c.user = (void *)(uintptr_t)fresh;
  c.replaces_spi = old;
  assert_int_equal(tcpsec_sad_install(fx->sad, &c), 0);
  assert_int_equal(tcpsec_sad_remove(fx->sad, fresh), 0);
  assert_int_equal(tcpsec_sad_remove(fx->sad, old), 0);
}

static void spd_prefers_most_specific(void **state) {
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector local = ts4("192.168.1.0", "192.168.1.255", 0,
                                         0, 0xffff);
  tcpsec_sa_traffic_selector r16 = ts4("10.1.0.0", "10.1.255.255", 0, 0,
                                       0xffff);
  tcpsec_sa_traffic_selector r24 = ts4("10.1.2.0", "10.1.2.255", 0, 0,
                                       0xffff);
  tcpsec_sa_traffic_selector r24_https = ts4("10.1.2.0", "10.1.2.255", 6,
                                             443, 443);
  uint32_t a, b, c;

  a = add_child(fx, &local, 1, &r16, 1);
  b = add_child(fx, &local, 1, &r24, 1);
  c = add_child(fx, &local, 1, &r24_https, 1);

  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 17, 1, 53), b);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.3.3", 17, 1, 53), a);
  /* Same remote range: a specific protocol and port beat "any". */
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 6, 999, 443), c);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.1.2.3", 6, 999, 80), b);
  /* No local selector covers the source, no remote the destination. */
  assert_int_equal(select_child(fx, "192.168.2.5", "10.1.2.3", 17, 1, 53),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "192.168.1.5", "10.2.0.1", 17, 1, 53),
                   TCPSEC_ERR_NO_POLICY);
}

static void spd_newest_wins_make_before_break(void **state) {
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector local = ts4("192.168.1.0", "192.168.1.255", 0,
                                         0, 0xffff);
  tcpsec_sa_traffic_selector remote = ts4("10.1.0.0", "10.1.255.255", 0, 0,
                                          0xffff);
  uint32_t old_spi, new_spi;

  old_spi = add_child(fx, &local, 1, &remote, 1);
  assert_int_equal(select_child(fx, "192.168.1.1", "10.1.0.1", 6, 1, 2),
                   old_spi);

  /* Rekey: the new Child SA takes the traffic at once, the old inbound SA
   * still accepts until the old Child SA is removed. */
  new_spi = add_child(fx, &local, 1, &remote, 1);
  assert_int_equal(select_child(fx, "192.168.1.1", "10.1.0.1", 6, 1, 2),
                   new_spi);
  assert_non_null(tcpsec_sad_find_inbound(fx->sad, old_spi));
  assert_int_equal(tcpsec_sad_remove(fx->sad, old_spi), 0);
  assert_int_equal(select_child(fx, "192.168.1.1", "10.1.0.1", 6, 1, 2),
                   new_spi);

  /* Removing the newest makes the next one visible again, and removing the
   * last leaves no policy. */
  assert_int_equal(tcpsec_sad_remove(fx->sad, new_spi), 0);
  assert_int_equal(select_child(fx, "192.168.1.1", "10.1.0.1", 6, 1, 2),
                   TCPSEC_ERR_NO_POLICY);
}

static void spd_matches_ranges_ports_protocols(void **state) {
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector any = ts4("0.0.0.0", "255.255.255.255", 0, 0,
                                       0xffff);
  tcpsec_sa_traffic_selector odd = ts4("10.9.0.5", "10.9.0.20", 0, 0, 0xffff);
  tcpsec_sa_traffic_selector dns = ts4("10.8.0.0", "10.8.0.255", 17, 53, 53);
  tcpsec_sa_traffic_selector ping = ts4("10.7.0.0", "10.7.0.255", 1, 0x0800,
                                        0x08ff);
  uint32_t r, d, p;

  r = add_child(fx, &any, 1, &odd, 1);
  d = add_child(fx, &any, 1, &dns, 1);
  p = add_child(fx, &any, 1, &ping, 1);

  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.4", 6, 1, 2),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.5", 6, 1, 2), r);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.12", 6, 1, 2), r);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.20", 6, 1, 2), r);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.21", 6, 1, 2),
                   TCPSEC_ERR_NO_POLICY);

  assert_int_equal(select_child(fx, "1.2.3.4", "10.8.0.1", 17, 999, 53), d);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.8.0.1", 17, 999, 54),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.8.0.1", 6, 999, 53),
                   TCPSEC_ERR_NO_POLICY);

  /* ICMP echo request (8/0) matches the type range; echo reply (0/0)
   * does not. A protocol without ports matches only full port ranges. */
  assert_int_equal(select_child(fx, "1.2.3.4", "10.7.0.1", 1, 0x0800, 0), p);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.7.0.1", 1, 0x0000, 0),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.8.0.1", 47, 0, 0),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "1.2.3.4", "10.9.0.6", 47, 0, 0), r);
}

static void spd_handles_ipv6_and_mixed_lists(void **state) {
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector local[2], remote[2];
  tcpsec_esp_sa *sa = NULL;
  uint8_t ext[1] = {0};
  uint8_t p[128];
  size_t n;
  uint32_t spi;

  /* One IPv4 and one IPv6 selector on each side: only pairs of the same
   * family become entries. */
  local[0] = ts4("0.0.0.0", "255.255.255.255", 0, 0, 0xffff);
  remote[0] = ts4("10.0.0.0", "10.255.255.255", 0, 0, 0xffff);
  memset(&local[1], 0, sizeof(local[1]));
  local[1].ts_type = TCPSEC_TS_IPV6_ADDR_RANGE;
  local[1].end_port = 0xffff;
  memset(local[1].end_addr, 0xff, 16);
  remote[1] = local[1];
  remote[1].start_addr[0] = 0x20; /* 2001:db8::/32 */
  remote[1].start_addr[1] = 0x01;
  remote[1].start_addr[2] = 0x0d;
  remote[1].start_addr[3] = 0xb8;
  memset(remote[1].end_addr, 0xff, 16);
  memcpy(remote[1].end_addr, remote[1].start_addr, 4);
  spi = add_child(fx, local, 2, remote, 2);

  n = ipv6_packet(p, ext, 0, 6, 6);
  assert_int_equal(tcpsec_sad_select(fx->sad, p, n, &sa, NULL), 0);
  assert_int_equal(tcpsec_esp_sa_spi(sa), spi + 0x10000);
  p[25] = 0x02; /* 2002:db8::2 lies outside */
  assert_int_equal(tcpsec_sad_select(fx->sad, p, n, &sa, NULL),
                   TCPSEC_ERR_NO_POLICY);
  assert_int_equal(select_child(fx, "1.1.1.1", "10.3.3.3", 6, 1, 2), spi);
  assert_int_equal(tcpsec_sad_select(fx->sad, p, 3, &sa, NULL),
                   TCPSEC_ERR_BAD_INNER_PACKET);
}

static void spd_scales_to_many_children(void **state) {
  /* 4096 spokes, each with its own /24 behind 10.x.y.0: every packet
   * reaches its own Child SA. */
  struct fixture *fx = *state;
  tcpsec_sa_traffic_selector local = ts4("172.16.0.0", "172.16.255.255", 0,
                                         0, 0xffff);
  tcpsec_sad_stats st;
  uint32_t first = fx->next_spi;
  unsigned i;

  for (i = 0; i < 4096; i++) {
    tcpsec_sa_traffic_selector r = ts4("10.0.0.0", "10.0.0.255", 0, 0, 0xffff);
    r.start_addr[1] = r.end_addr[1] = (uint8_t)(i >> 8);
    r.start_addr[2] = r.end_addr[2] = (uint8_t)i;
    add_child(fx, &local, 1, &r, 1);
  }
  for (i = 0; i < 4096; i += 17) {
    char dst[32];
    snprintf(dst, sizeof(dst), "10.%u.%u.9", i >> 8, i & 0xff);
    assert_int_equal(select_child(fx, "172.16.3.3", dst, 6, 1, 2),
                     first + i);
  }
  st.size = sizeof(st);
  assert_int_equal(tcpsec_sad_get_stats(fx->sad, &st), 0);
  assert_int_equal(st.child_sas, 4096);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(flow_parses_ipv4),
    cmocka_unit_test(flow_rejects_bad_ipv4),
    cmocka_unit_test(flow_parses_ipv6_extension_headers),
    cmocka_unit_test(spd_splits_ranges_into_prefixes),
    cmocka_unit_test_setup_teardown(spd_prefers_most_specific, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(spd_newest_wins_make_before_break,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(spd_matches_ranges_ports_protocols,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(spd_handles_ipv6_and_mixed_lists,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(spd_standby_until_promoted, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(spd_scales_to_many_children,
                                    fixture_setup, fixture_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
