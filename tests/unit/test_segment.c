/*
 * Unit tests for building and parsing Fortinet-style segments. They cover
 * the header layouts for IPv4, IPv6 and bare TCP, and checksums against a
 * naive RFC 1071 model written here. They check in-place building without
 * moving the payload, every parse error with its exact code, and that
 * every single-bit corruption a checksum covers is detected.
 * tests/tshark/test_segment.sh checks the same checksums with tshark.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "tcpsec/encap.h"

/* Naive ones' complement sum of big-endian 16-bit words (RFC 1071). */
static uint32_t naive_sum(uint32_t sum, const uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len % 2)
    sum += (uint32_t)p[len - 1] << 8;
  return sum;
}

static uint16_t naive_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* TCP checksum of a segment (checksum field included) with its
 * pseudo-header; 0xffff means the segment verifies. */
static uint16_t naive_tcp_sum(const tcpsec_ip_addr *src,
                              const tcpsec_ip_addr *dst, const uint8_t *tcp,
                              size_t tcp_len) {
  size_t alen = src->family == TCPSEC_IP_V4 ? 4 : 16;
  uint32_t sum = 0;

  sum = naive_sum(sum, src->bytes, alen);
  sum = naive_sum(sum, dst->bytes, alen);
  sum += 6;
  sum += (uint32_t)tcp_len; /* fits 16 bits here, also for IPv6 */
  sum = naive_sum(sum, tcp, tcp_len);
  return naive_fold(sum);
}

static void set_v4(tcpsec_ip_addr *a, uint8_t b0, uint8_t b1, uint8_t b2,
                   uint8_t b3) {
  memset(a, 0, sizeof(*a));
  a->family = TCPSEC_IP_V4;
  a->bytes[0] = b0;
  a->bytes[1] = b1;
  a->bytes[2] = b2;
  a->bytes[3] = b3;
}

static void set_v6(tcpsec_ip_addr *a, uint8_t last) {
  static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};

  memset(a, 0, sizeof(*a));
  a->family = TCPSEC_IP_V6;
  memcpy(a->bytes, prefix, sizeof(prefix));
  a->bytes[15] = last;
}

static void sample_info(tcpsec_segment_info *info, int family, int ip_header) {
  tcpsec_segment_info_default(info);
  if (family == 4) {
    set_v4(&info->src, 192, 0, 2, 1);
    set_v4(&info->dst, 198, 51, 100, 7);
  } else {
    set_v6(&info->src, 1);
    set_v6(&info->dst, 2);
  }
  info->src_port = 40001;
  info->dst_port = 1443;
  info->seq = 0x89abcdefu;
  info->ack = 0x01234567u;
  info->window = 1000;
  info->ttl = 61;
  info->ip_header = ip_header;
}

/* ESP-like payload: SPI 0xc0ffee01, then bytes i * 7. */
static void fill_payload(uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 7);
  tcpsec_store_be32(p, 0xc0ffee01u);
}

static void check_tcp_header(const uint8_t *tcp, const tcpsec_segment_info *in,
                             size_t tcp_len) {
  assert_int_equal(tcpsec_load_be16(tcp), in->src_port);
  assert_int_equal(tcpsec_load_be16(tcp + 2), in->dst_port);
  assert_int_equal(tcpsec_load_be32(tcp + 4), in->seq);
  assert_int_equal(tcpsec_load_be32(tcp + 8), in->ack);
  assert_int_equal(tcp[12], 0x50);
  assert_int_equal(tcp[13], TCPSEC_TCP_ACK);
  assert_int_equal(tcpsec_load_be16(tcp + 14), in->window);
  assert_int_equal(tcpsec_load_be16(tcp + 18), 0);
  assert_int_equal(naive_tcp_sum(&in->src, &in->dst, tcp, tcp_len), 0xffff);
}

static void build_ipv4_in_place(void **state) {
  tcpsec_segment_info info;
  uint8_t buf[100 + 40], copy[100];
  size_t start = 99;
  const uint8_t *ip;

  (void)state;
  sample_info(&info, 4, 1);
  fill_payload(buf + 40, 100);
  memcpy(copy, buf + 40, 100);

  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 100, &start), 140);
  assert_int_equal(start, 0);
  ip = buf;
  assert_int_equal(ip[0], 0x45);
  assert_int_equal(ip[1], 0);
  assert_int_equal(tcpsec_load_be16(ip + 2), 140);
  assert_int_equal(tcpsec_load_be16(ip + 4), 0);
  assert_int_equal(tcpsec_load_be16(ip + 6), 0x4000);
  assert_int_equal(ip[8], 61);
  assert_int_equal(ip[9], 6);
  assert_memory_equal(ip + 12, info.src.bytes, 4);
  assert_memory_equal(ip + 16, info.dst.bytes, 4);
  assert_int_equal(naive_fold(naive_sum(0, ip, 20)), 0xffff);
  check_tcp_header(buf + 20, &info, 120);
  /* The payload stayed where it was, unchanged. */
  assert_memory_equal(buf + 40, copy, 100);
}

static void build_ipv6_in_place(void **state) {
  tcpsec_segment_info info;
  uint8_t buf[128 + 61];
  size_t start = 0;

  (void)state;
  sample_info(&info, 6, 1);
  fill_payload(buf + 64, 125);

  /* More headroom than needed: the packet starts at 64 - 60. */
  assert_int_equal(tcpsec_segment_build(&info, buf, 64, 125, &start), 185);
  assert_int_equal(start, 4);
  assert_int_equal(tcpsec_load_be32(buf + 4), 0x60000000u);
  assert_int_equal(tcpsec_load_be16(buf + 8), 145);
  assert_int_equal(buf[10], 6);
  assert_int_equal(buf[11], 61);
  assert_memory_equal(buf + 12, info.src.bytes, 16);
  assert_memory_equal(buf + 28, info.dst.bytes, 16);
  check_tcp_header(buf + 44, &info, 145);
}

static void build_bare_tcp(void **state) {
  tcpsec_segment_info info;
  uint8_t buf[20 + 33];
  size_t start = 9;
  int family;

  (void)state;
  for (family = 4; family <= 6; family += 2) {
    sample_info(&info, family, 0);
    fill_payload(buf + 20, 33);
    assert_int_equal(tcpsec_segment_build(&info, buf, 20, 33, &start), 53);
    assert_int_equal(start, 0);
    check_tcp_header(buf, &info, 53);
  }
}

static void build_copy_matches_in_place(void **state) {
  tcpsec_segment_info info;
  uint8_t payload[77], in_place[60 + 77], out[60 + 77];
  size_t start;
  int family;

  (void)state;
  fill_payload(payload, sizeof(payload));
  for (family = 4; family <= 6; family += 2) {
    ptrdiff_t n;
    sample_info(&info, family, 1);
    memcpy(in_place + 60, payload, sizeof(payload));
    n = tcpsec_segment_build(&info, in_place, 60, sizeof(payload), &start);
    assert_true(n > 0);
    assert_int_equal(tcpsec_segment_build_copy(&info, payload, sizeof(payload),
                                               out, sizeof(out)),
                     n);
    assert_memory_equal(out, in_place + start, (size_t)n);
    assert_int_equal(tcpsec_segment_build_copy(&info, payload, sizeof(payload),
                                               out, (size_t)n - 1),
                     TCPSEC_ERR_BUFFER_TOO_SMALL);
  }
}

static void build_rejects_bad_input(void **state) {
  tcpsec_segment_info info;
  uint8_t *buf = calloc(1, 70000), before[64];
  size_t start;

  (void)state;
  assert_non_null(buf);
  sample_info(&info, 4, 1);
  fill_payload(buf + 40, 100);

  /* Headroom below the header: nothing written. */
  memcpy(before, buf, 40);
  assert_int_equal(tcpsec_segment_build(&info, buf, 39, 100, &start),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_memory_equal(buf, before, 39);
  info.ip_header = 0;
  assert_int_equal(tcpsec_segment_build(&info, buf + 21, 19, 100, &start),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  info.ip_header = 1;

  /* Not ESP: too short or SPI 0. */
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 7, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  memset(buf + 40, 0, 4);
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  fill_payload(buf + 40, 100);

  /* Families. */
  set_v6(&info.dst, 9);
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  info.src.family = 5;
  info.dst.family = 5;
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* Lengths: the IPv4 total length and the IPv6 payload length are 16-bit. */
  sample_info(&info, 4, 1);
  fill_payload(buf + 40, 65495);
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 65495, &start), 65535);
  assert_int_equal(tcpsec_segment_build(&info, buf, 40, 65496, &start),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  sample_info(&info, 6, 1);
  fill_payload(buf + 60, 65515);
  assert_int_equal(tcpsec_segment_build(&info, buf, 60, 65515, &start),
                   65575);
  assert_int_equal(tcpsec_segment_build(&info, buf, 60, 65516, &start),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);

  /* Arguments. */
  assert_int_equal(tcpsec_segment_build(NULL, buf, 60, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_build(&info, NULL, 60, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_build(&info, buf, 60, 100, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  info.size = 0;
  assert_int_equal(tcpsec_segment_build(&info, buf, 60, 100, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  free(buf);
}

static void parse_round_trip(void **state) {
  static const int cases[][2] = {{4, 1}, {6, 1}, {4, 0}, {6, 0}};
  uint8_t buf[60 + 200];
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    tcpsec_segment_info in, out;
    size_t start;
    ptrdiff_t n;

    sample_info(&in, cases[i][0], cases[i][1]);
    fill_payload(buf + 60, 200);
    n = tcpsec_segment_build(&in, buf, 60, 200, &start);
    assert_true(n > 0);

    tcpsec_segment_info_default(&out);
    if (!cases[i][1]) {
      out.src = in.src;
      out.dst = in.dst;
    }
    assert_int_equal(tcpsec_segment_parse(buf + start, (size_t)n,
                                          cases[i][1] ? TCPSEC_SEGMENT_PARSE_IP
                                                      : 0,
                                          &out),
                     0);
    assert_int_equal(out.ip_header, cases[i][1]);
    assert_memory_equal(&out.src, &in.src, sizeof(in.src));
    assert_memory_equal(&out.dst, &in.dst, sizeof(in.dst));
    assert_int_equal(out.src_port, in.src_port);
    assert_int_equal(out.dst_port, in.dst_port);
    assert_int_equal(out.seq, in.seq);
    assert_int_equal(out.ack, in.ack);
    assert_int_equal(out.flags, TCPSEC_TCP_ACK);
    assert_int_equal(out.window, in.window);
    if (cases[i][1])
      assert_int_equal(out.ttl, 61);
    assert_ptr_equal(out.payload, buf + 60);
    assert_int_equal(out.payload_len, 200);
  }
}

/* IPv4 header with 4 bytes of options and a TCP header with 12 bytes of
 * options, checksums computed by the naive model. */
static size_t handmade_with_options(uint8_t *p, const tcpsec_segment_info *in,
                                    size_t payload_len) {
  size_t tcp_len = 32 + payload_len, total = 24 + tcp_len, i;
  uint8_t *tcp = p + 24;
  uint16_t sum;

  memset(p, 0, 24);
  p[0] = 0x46;
  tcpsec_store_be16(p + 2, (uint16_t)total);
  p[8] = 64;
  p[9] = 6;
  memcpy(p + 12, in->src.bytes, 4);
  memcpy(p + 16, in->dst.bytes, 4);
  p[20] = 1; /* NOP options */
  p[21] = 1;
  p[22] = 1;
  p[23] = 1;
  sum = (uint16_t)~naive_fold(naive_sum(0, p, 24));
  tcpsec_store_be16(p + 10, sum);

  memset(tcp, 0, 32);
  tcpsec_store_be16(tcp, in->src_port);
  tcpsec_store_be16(tcp + 2, in->dst_port);
  tcpsec_store_be32(tcp + 4, in->seq);
  tcpsec_store_be32(tcp + 8, in->ack);
  tcp[12] = 0x80;
  tcp[13] = TCPSEC_TCP_ACK | TCPSEC_TCP_PSH;
  tcpsec_store_be16(tcp + 14, 512);
  for (i = 20; i < 32; i++)
    tcp[i] = 1;
  fill_payload(tcp + 32, payload_len);
  sum = (uint16_t)~naive_tcp_sum(&in->src, &in->dst, tcp, tcp_len);
  tcpsec_store_be16(tcp + 16, sum);
  return total;
}

static void parse_skips_options(void **state) {
  tcpsec_segment_info in, out;
  uint8_t buf[256];
  size_t n;

  (void)state;
  sample_info(&in, 4, 1);
  n = handmade_with_options(buf, &in, 51);
  tcpsec_segment_info_default(&out);
  assert_int_equal(tcpsec_segment_parse(buf, n, TCPSEC_SEGMENT_PARSE_IP, &out),
                   0);
  assert_ptr_equal(out.payload, buf + 24 + 32);
  assert_int_equal(out.payload_len, 51);
  assert_int_equal(out.flags, TCPSEC_TCP_ACK | TCPSEC_TCP_PSH);
  assert_int_equal(out.window, 512);

  /* Link-layer padding after the IPv4 total length is ignored. */
  memset(buf + n, 0xee, 6);
  assert_int_equal(tcpsec_segment_parse(buf, n + 6, TCPSEC_SEGMENT_PARSE_IP,
                                        &out),
                   0);
  assert_int_equal(out.payload_len, 51);
}

static size_t build_sample(uint8_t *buf, int family, int ip_header,
                           size_t payload_len) {
  tcpsec_segment_info info;
  size_t start;
  ptrdiff_t n;

  sample_info(&info, family, ip_header);
  fill_payload(buf + 60, payload_len);
  n = tcpsec_segment_build(&info, buf, 60, payload_len, &start);
  assert_true(n > 0);
  memmove(buf, buf + start, (size_t)n);
  return (size_t)n;
}

/* Recompute the IPv4 header checksum after editing a field. */
static void fix_ipv4_checksum(uint8_t *ip) {
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

  tcpsec_store_be16(ip + 10, 0);
  tcpsec_store_be16(ip + 10, (uint16_t)~naive_fold(naive_sum(0, ip, ihl)));
}

static void expect_parse(const uint8_t *buf, size_t len, unsigned flags,
                         int err) {
  tcpsec_segment_info info, before;

  tcpsec_segment_info_default(&info);
  set_v4(&info.src, 192, 0, 2, 1);
  set_v4(&info.dst, 198, 51, 100, 7);
  memcpy(&before, &info, sizeof(info));
  assert_int_equal(tcpsec_segment_parse(buf, len, flags, &info), err);
  if (err != 0)
    assert_memory_equal(&info, &before, sizeof(info));
}

static void parse_ipv4_errors(void **state) {
  uint8_t good[256], b[256];
  size_t n;

  (void)state;
  n = build_sample(good, 4, 1, 40);

  /* Truncated: short buffer, short IHL span, total length beyond data. */
  expect_parse(good, 0, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);
  expect_parse(good, 19, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);
  expect_parse(good, n - 1, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);
  memcpy(b, good, n);
  b[0] = 0x4f; /* IHL 15: a 60-byte header in 50 bytes of data */
  expect_parse(b, 50, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);

  /* Bad fields. */
  memcpy(b, good, n);
  b[0] = 0x55;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  b[0] = 0x44;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  tcpsec_store_be16(b + 2, 19);
  fix_ipv4_checksum(b);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  tcpsec_store_be16(b + 6, 0x2000); /* more fragments */
  fix_ipv4_checksum(b);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  tcpsec_store_be16(b + 6, 0x4001); /* DF with fragment offset 8 */
  fix_ipv4_checksum(b);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  b[9] = 17;
  fix_ipv4_checksum(b);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);

  /* IPv4 header checksum, checked also when the TCP one is skipped. */
  memcpy(b, good, n);
  b[8] = 1; /* TTL changed, checksum not updated */
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_CHECKSUM);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP | TCPSEC_SEGMENT_PARSE_NO_CHECKSUM,
               TCPSEC_ERR_BAD_CHECKSUM);

  /* TCP: header cut by the total length, data offset out of range. */
  memcpy(b, good, n);
  tcpsec_store_be16(b + 2, 20 + 19);
  fix_ipv4_checksum(b);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);
  memcpy(b, good, n);
  b[32] = 0x40;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  b[32] = 0xf0; /* 60 bytes: fits in 20 + 40 payload bytes */
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_CHECKSUM);
  tcpsec_store_be16(b + 2, 20 + 56);
  fix_ipv4_checksum(b);
  expect_parse(b, 76, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);

  /* TCP checksum: payload corrupted; skipping the check lets it through. */
  memcpy(b, good, n);
  b[n - 1] ^= 0x01;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_CHECKSUM);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP | TCPSEC_SEGMENT_PARSE_NO_CHECKSUM,
               0);
}

static void parse_ipv6_errors(void **state) {
  uint8_t good[256], b[256];
  size_t n;

  (void)state;
  n = build_sample(good, 6, 1, 40);
  assert_int_equal(n, 100);

  expect_parse(good, 39, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);
  expect_parse(good, n - 1, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);

  memcpy(b, good, n);
  tcpsec_store_be16(b + 4, 0); /* jumbogram */
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  b[6] = 44; /* fragment header */
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  b[6] = 17;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_SEGMENT);
  memcpy(b, good, n);
  tcpsec_store_be16(b + 4, 19);
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_TRUNCATED);

  /* Corrupted destination address: the pseudo-header catches it. */
  memcpy(b, good, n);
  b[39] ^= 0x80;
  expect_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, TCPSEC_ERR_BAD_CHECKSUM);
}

static void parse_bare_errors(void **state) {
  tcpsec_segment_info info;
  uint8_t good[256];
  size_t n;

  (void)state;
  n = build_sample(good, 4, 0, 40);
  expect_parse(good, n, 0, 0);
  expect_parse(good, 19, 0, TCPSEC_ERR_TRUNCATED);
  expect_parse(NULL, 0, 0, TCPSEC_ERR_TRUNCATED);

  /* Addresses are required for the checksum, and must be the right ones. */
  tcpsec_segment_info_default(&info);
  assert_int_equal(tcpsec_segment_parse(good, n, 0, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  set_v4(&info.src, 192, 0, 2, 1);
  set_v6(&info.dst, 2);
  assert_int_equal(tcpsec_segment_parse(good, n, 0, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  set_v4(&info.dst, 198, 51, 100, 8);
  assert_int_equal(tcpsec_segment_parse(good, n, 0, &info),
                   TCPSEC_ERR_BAD_CHECKSUM);

  /* Arguments and flags. */
  assert_int_equal(tcpsec_segment_parse(good, n, 0, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_parse(NULL, 4, 0, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_segment_parse(good, n, 0x80, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  info.size = 0;
  assert_int_equal(tcpsec_segment_parse(good, n, 0, &info),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

/*
 * Every single-bit error that a checksum covers must make parsing fail.
 * IPv4 covers every header bit; IPv6 has no header checksum and its
 * pseudo-header leaves out traffic class, flow label and hop limit.
 */
static void single_bit_errors_detected(void **state) {
  uint8_t good[256], b[256];
  size_t n, byte;
  int family, bit;

  (void)state;
  for (family = 4; family <= 6; family += 2) {
    n = build_sample(good, family, 1, 33);
    for (byte = 0; byte < n; byte++) {
      if (family == 6 && (byte < 4 || byte == 7) && byte != 0)
        continue;
      for (bit = 0; bit < 8; bit++) {
        tcpsec_segment_info info;
        if (family == 6 && byte == 0 && bit < 4)
          continue; /* traffic class bits */
        memcpy(b, good, n);
        b[byte] ^= (uint8_t)(1u << bit);
        tcpsec_segment_info_default(&info);
        assert_int_not_equal(
            tcpsec_segment_parse(b, n, TCPSEC_SEGMENT_PARSE_IP, &info), 0);
      }
    }
  }
}

/* Random sizes (odd and even) and fields against the naive model. */
static void random_segments_match_naive_checksum(void **state) {
  test_rng rng;
  uint8_t *buf = malloc(60 + 3000);
  int round;

  (void)state;
  assert_non_null(buf);
  test_rng_seed(&rng, 77);
  for (round = 0; round < 500; round++) {
    tcpsec_segment_info info, out;
    size_t len = 8 + (size_t)(test_rng_next(&rng) % 2993), start, i;
    size_t expected_len;
    int family = test_rng_next(&rng) % 2 ? 4 : 6;
    int ip_header = (int)(test_rng_next(&rng) % 2);
    ptrdiff_t n;

    sample_info(&info, family, ip_header);
    info.seq = (uint32_t)test_rng_next(&rng);
    info.ack = (uint32_t)test_rng_next(&rng);
    info.src_port = (uint16_t)test_rng_next(&rng);
    info.dst_port = (uint16_t)test_rng_next(&rng);
    info.window = (uint16_t)test_rng_next(&rng);
    for (i = 0; i < 16; i++) {
      info.src.bytes[i] = (uint8_t)test_rng_next(&rng);
      info.dst.bytes[i] = (uint8_t)test_rng_next(&rng);
    }
    for (i = 0; i < len; i++)
      buf[60 + i] = (uint8_t)test_rng_next(&rng);
    buf[60] |= 1;

    n = tcpsec_segment_build(&info, buf, 60, len, &start);
    expected_len = len + 20;
    if (ip_header)
      expected_len += family == 4 ? 20 : 40;
    assert_int_equal(n, (ptrdiff_t)expected_len);
    assert_int_equal(naive_tcp_sum(&info.src, &info.dst, buf + 40, len + 20),
                     0xffff);

    tcpsec_segment_info_default(&out);
    out.src = info.src;
    out.dst = info.dst;
    assert_int_equal(tcpsec_segment_parse(buf + start, (size_t)n,
                                          ip_header ? TCPSEC_SEGMENT_PARSE_IP
                                                    : 0,
                                          &out),
                     0);
    assert_int_equal(out.payload_len, len);
    assert_int_equal(out.seq, info.seq);
  }
  free(buf);
}

static void info_struct_versioning(void **state) {
  struct {
    tcpsec_segment_info info;
    uint8_t future[8];
  } bigger;
  uint8_t buf[60 + 20];
  size_t start;

  (void)state;
  memset(&bigger, 0, sizeof(bigger));
  sample_info(&bigger.info, 4, 1);
  bigger.info.size = sizeof(bigger);
  fill_payload(buf + 60, 20);
  assert_int_equal(tcpsec_segment_build(&bigger.info, buf, 60, 20, &start), 60);
  bigger.future[2] = 1;
  assert_int_equal(tcpsec_segment_build(&bigger.info, buf, 60, 20, &start),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_segment_info_default(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(build_ipv4_in_place),
    cmocka_unit_test(build_ipv6_in_place),
    cmocka_unit_test(build_bare_tcp),
    cmocka_unit_test(build_copy_matches_in_place),
    cmocka_unit_test(build_rejects_bad_input),
    cmocka_unit_test(parse_round_trip),
    cmocka_unit_test(parse_skips_options),
    cmocka_unit_test(parse_ipv4_errors),
    cmocka_unit_test(parse_ipv6_errors),
    cmocka_unit_test(parse_bare_errors),
    cmocka_unit_test(single_bit_errors_detected),
    cmocka_unit_test(random_segments_match_naive_checksum),
    cmocka_unit_test(info_struct_versioning),
  };
  return cmocka_run_group_tests_name("segment", tests, NULL, NULL);
}
