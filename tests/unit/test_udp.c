/*
 * Unit tests for the UDP encapsulation on ports 500 and 4500 (RFC 3948):
 * classification of every datagram shape with exact error codes, building
 * payloads and keepalives, and classification of real captures. The
 * captures are read at run time from the published vectors folder.
 *
 * The expected kinds come from independent decoders. tcpdump's expected
 * output espudp1.out shows eight ESP packets with SPI 0x12345678 and
 * sequence numbers 1 to 8. tshark 4.0.17 decodes ikev2_nat_t.pcapng as
 * ISAKMP in frames 1-4, 13-22, 31-40 and 49-54, and ESP in the others.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "tcpsec/encap.h"

static void classify_expect(tcpsec_udp_port port, const uint8_t *dgram,
                            size_t len, int err, tcpsec_encap_kind kind,
                            size_t msg_offset, size_t msg_len) {
  tcpsec_encap_kind got_kind = (tcpsec_encap_kind)99;
  const uint8_t *msg = (const uint8_t *)1;
  size_t got_len = 99;

  assert_int_equal(tcpsec_udp_classify(port, dgram, len, &got_kind, &msg,
                                       &got_len),
                   err);
  if (err != 0) {
    assert_int_equal(got_kind, 0);
    assert_null(msg);
    assert_int_equal(got_len, 0);
    return;
  }
  assert_int_equal(got_kind, kind);
  assert_ptr_equal(msg, dgram + msg_offset);
  assert_int_equal(got_len, msg_len);
}

static void port_500_is_ike_only(void **state) {
  uint8_t d[64];

  (void)state;
  memset(d, 0x11, sizeof(d));
  classify_expect(TCPSEC_UDP_PORT_IKE, d, 28, 0, TCPSEC_ENCAP_IKE, 0, 28);
  classify_expect(TCPSEC_UDP_PORT_IKE, d, 64, 0, TCPSEC_ENCAP_IKE, 0, 64);
  classify_expect(TCPSEC_UDP_PORT_IKE, d, 27, TCPSEC_ERR_SHORT_IKE_MESSAGE, 0,
                  0, 0);
  /* A keepalive byte is no IKE message on port 500. */
  classify_expect(TCPSEC_UDP_PORT_IKE, (const uint8_t *)"\xff", 1,
                  TCPSEC_ERR_SHORT_IKE_MESSAGE, 0, 0, 0);
  classify_expect(TCPSEC_UDP_PORT_IKE, NULL, 0, TCPSEC_ERR_SHORT_IKE_MESSAGE, 0,
                  0, 0);
}

static void port_4500_shapes(void **state) {
  uint8_t d[64];

  (void)state;
  /* Marker + IKE header: IKE with the marker stripped. */
  memset(d, 0, 4);
  memset(d + 4, 0x22, 60);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 32, 0, TCPSEC_ENCAP_IKE, 4, 28);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 64, 0, TCPSEC_ENCAP_IKE, 4, 60);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 31, TCPSEC_ERR_SHORT_IKE_MESSAGE, 0,
                  0, 0);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 4, TCPSEC_ERR_SHORT_IKE_MESSAGE, 0,
                  0, 0);

  /* Keepalive. */
  classify_expect(TCPSEC_UDP_PORT_NATT, (const uint8_t *)"\xff", 1, 0,
                  TCPSEC_ENCAP_KEEPALIVE, 0, 1);

  /* Neither marker nor SPI fits in 0 to 3 bytes. */
  classify_expect(TCPSEC_UDP_PORT_NATT, NULL, 0, TCPSEC_ERR_BAD_MARKER, 0, 0, 0);
  classify_expect(TCPSEC_UDP_PORT_NATT, (const uint8_t *)"\x00", 1,
                  TCPSEC_ERR_BAD_MARKER, 0, 0, 0);
  classify_expect(TCPSEC_UDP_PORT_NATT, (const uint8_t *)"\xfe", 1,
                  TCPSEC_ERR_BAD_MARKER, 0, 0, 0);
  classify_expect(TCPSEC_UDP_PORT_NATT, (const uint8_t *)"\xff\xff", 2,
                  TCPSEC_ERR_BAD_MARKER, 0, 0, 0);
  classify_expect(TCPSEC_UDP_PORT_NATT, (const uint8_t *)"\x00\x00\x00", 3,
                  TCPSEC_ERR_BAD_MARKER, 0, 0, 0);

  /* ESP: SPI != 0 and at least 8 bytes. */
  memcpy(d, "\x00\x00\x00\x01\x00\x00\x00\x05", 8);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 8, 0, TCPSEC_ENCAP_ESP, 0, 8);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 7, TCPSEC_ERR_ESP_TRUNCATED, 0, 0,
                  0);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 4, TCPSEC_ERR_ESP_TRUNCATED, 0, 0,
                  0);
  memcpy(d, "\xff\x00\x00\x00", 4);
  classify_expect(TCPSEC_UDP_PORT_NATT, d, 40, 0, TCPSEC_ENCAP_ESP, 0, 40);
}

static void classify_argument_checks(void **state) {
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t len;
  uint8_t d[40] = {0};

  (void)state;
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, d, 40, NULL, &msg,
                                       &len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, d, 40, &kind,
                                       NULL, &len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, d, 40, &kind, &msg,
                                       NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  classify_expect(TCPSEC_UDP_PORT_NATT, NULL, 5, TCPSEC_ERR_INVALID_ARGUMENT, 0,
                  0, 0);
  classify_expect((tcpsec_udp_port)7, d, 40, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0,
                  0);
}

static void build_payloads(void **state) {
  uint8_t ike[40], esp[20], out[128], hdr[TCPSEC_UDP_HEADER_MAX];
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t len;

  (void)state;
  memset(ike, 0x31, sizeof(ike));
  memset(esp, 0x32, sizeof(esp));

  /* IKE on 4500: marker in front; round trip through the classifier. */
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, ike,
                                    sizeof(ike), out, sizeof(out)),
                   44);
  assert_memory_equal(out, "\0\0\0\0", 4);
  assert_memory_equal(out + 4, ike, sizeof(ike));
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, out, 44, &kind,
                                       &msg, &len),
                   0);
  assert_int_equal(kind, TCPSEC_ENCAP_IKE);
  assert_int_equal(len, sizeof(ike));

  /* IKE on 500: no marker. */
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_IKE, TCPSEC_ENCAP_IKE, ike,
                                    sizeof(ike), out, sizeof(out)),
                   40);
  assert_memory_equal(out, ike, sizeof(ike));

  /* ESP on 4500 as it is; never on 500; never with SPI 0. */
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_ESP, esp,
                                    sizeof(esp), out, sizeof(out)),
                   20);
  assert_memory_equal(out, esp, sizeof(esp));
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_IKE, TCPSEC_ENCAP_ESP, esp,
                                    sizeof(esp), out, sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  memset(esp, 0, 4);
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_ESP, esp,
                                    sizeof(esp), out, sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* Gather form. */
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, 28,
                                     hdr, sizeof(hdr)),
                   4);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_ESP, 8,
                                     NULL, 0),
                   0);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_IKE, TCPSEC_ENCAP_IKE, 28,
                                     NULL, 0),
                   0);

  /* Lengths, kinds and buffers. */
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, 27,
                                     hdr, sizeof(hdr)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_ESP, 7,
                                     hdr, sizeof(hdr)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT,
                                     TCPSEC_ENCAP_KEEPALIVE, 1, hdr,
                                     sizeof(hdr)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_header((tcpsec_udp_port)3, TCPSEC_ENCAP_IKE, 28,
                                     hdr, sizeof(hdr)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE,
                                     TCPSEC_UDP_MAX_PAYLOAD - 4, hdr,
                                     sizeof(hdr)),
                   4);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE,
                                     TCPSEC_UDP_MAX_PAYLOAD - 3, hdr,
                                     sizeof(hdr)),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_ESP,
                                     TCPSEC_UDP_MAX_PAYLOAD + 1, NULL, 0),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, 28,
                                     hdr, 3),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_udp_header(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, 28,
                                     NULL, 4),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE, ike,
                                    sizeof(ike), out, 43),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_udp_build(TCPSEC_UDP_PORT_NATT, TCPSEC_ENCAP_IKE,
                                    NULL, sizeof(ike), out, sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void keepalive_payload(void **state) {
  uint8_t out[2] = {0, 0};
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t len;

  (void)state;
  assert_int_equal(tcpsec_udp_keepalive(out, sizeof(out)), 1);
  assert_int_equal(out[0], 0xff);
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, out, 1, &kind,
                                       &msg, &len),
                   0);
  assert_int_equal(kind, TCPSEC_ENCAP_KEEPALIVE);
  assert_int_equal(tcpsec_udp_keepalive(out, 0), TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_udp_keepalive(NULL, 1), TCPSEC_ERR_INVALID_ARGUMENT);
}

/*
 * Minimal capture reader: classic pcap or pcapng with Ethernet link type,
 * IPv4 and UDP. Calls `fn` with each UDP payload and its 1-based frame
 * number; returns the number of frames or -1 on a format it cannot read.
 */
typedef void (*udp_payload_fn)(void *user, unsigned frame, const uint8_t *p,
                               size_t len);

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static int ethernet_udp_payload(const uint8_t *frame, size_t len,
                                const uint8_t **payload, size_t *payload_len) {
  size_t ihl, udp_len;

  if (len < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
    return -1;
  frame += 14;
  len -= 14;
  ihl = (size_t)(frame[0] & 0x0f) * 4;
  if ((frame[0] >> 4) != 4 || frame[9] != 17 || len < ihl + 8)
    return -1;
  udp_len = tcpsec_load_be16(frame + ihl + 4);
  if (udp_len < 8 || udp_len > len - ihl)
    return -1;
  *payload = frame + ihl + 8;
  *payload_len = udp_len - 8;
  return 0;
}

static long read_capture(const uint8_t *d, size_t n, udp_payload_fn fn,
                         void *user) {
  const uint8_t *payload;
  size_t off, payload_len;
  unsigned frame = 0;

  if (n >= 24 && le32(d) == 0xa1b2c3d4u) {
    if (le32(d + 20) != 1)
      return -1;
    for (off = 24; off + 16 <= n;) {
      size_t caplen = le32(d + off + 8);
      if (caplen > n - off - 16)
        return -1;
      frame++;
      if (ethernet_udp_payload(d + off + 16, caplen, &payload,
                               &payload_len) == 0)
        fn(user, frame, payload, payload_len);
      off += 16 + caplen;
    }
    return frame;
  }
  if (n >= 12 && le32(d) == 0x0a0d0d0au) {
    for (off = 0; off + 12 <= n;) {
      uint32_t type = le32(d + off), block_len = le32(d + off + 4);
      if (block_len < 12 || block_len > n - off)
        return -1;
      if (type == 6 && block_len >= 32) {
        size_t caplen = le32(d + off + 20);
        if (caplen > block_len - 32)
          return -1;
        frame++;
        if (ethernet_udp_payload(d + off + 28, caplen, &payload,
                                 &payload_len) == 0)
          fn(user, frame, payload, payload_len);
      }
      off += block_len;
    }
    return frame;
  }
  return -1;
}

struct capture_check {
  unsigned ike, esp, other;
  unsigned esp_seq_next;
  int is_ike_frame[64];
};

static void check_espudp1(void *user, unsigned frame, const uint8_t *p,
                          size_t len) {
  struct capture_check *c = user;
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t msg_len;

  (void)frame;
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, p, len, &kind,
                                       &msg, &msg_len),
                   0);
  assert_int_equal(kind, TCPSEC_ENCAP_ESP);
  assert_int_equal(tcpsec_load_be32(msg), 0x12345678);
  assert_int_equal(tcpsec_load_be32(msg + 4), c->esp_seq_next);
  c->esp_seq_next++;
  c->esp++;
}

static void udp_classifies_tcpdump_capture(void **state) {
  const char *path = test_vector_path("pcaps/tcpdump/espudp1.pcap");
  struct capture_check c;
  uint8_t *d;
  size_t n;

  (void)state;
  if (path == NULL)
    skip();
  d = test_read_file(path, &n);
  assert_non_null(d);
  memset(&c, 0, sizeof(c));
  c.esp_seq_next = 1;
  assert_int_equal(read_capture(d, n, check_espudp1, &c), 8);
  assert_int_equal(c.esp, 8);
  free(d);
}

static void check_nat_t(void *user, unsigned frame, const uint8_t *p,
                        size_t len) {
  struct capture_check *c = user;
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t msg_len;

  assert_true(frame < 64);
  assert_int_equal(tcpsec_udp_classify(TCPSEC_UDP_PORT_NATT, p, len, &kind,
                                       &msg, &msg_len),
                   0);
  if (c->is_ike_frame[frame]) {
    assert_int_equal(kind, TCPSEC_ENCAP_IKE);
    /* The IKE header's own length field (offset 24) matches what is left
     * after the marker, and its version byte (offset 17) is 2.0. */
    assert_int_equal(tcpsec_load_be32(msg + 24), msg_len);
    assert_int_equal(msg[17], 0x20);
    c->ike++;
  } else {
    assert_int_equal(kind, TCPSEC_ENCAP_ESP);
    c->esp++;
  }
}

static void udp_classifies_nat_t_capture(void **state) {
  static const unsigned ike_ranges[][2] = {{1, 4}, {13, 22}, {31, 40},
                                           {49, 54}};
  const char *path = test_vector_path("pcaps/scapy/ikev2_nat_t.pcapng");
  struct capture_check c;
  uint8_t *d;
  size_t n, i;
  unsigned f;

  (void)state;
  if (path == NULL)
    skip();
  d = test_read_file(path, &n);
  assert_non_null(d);
  memset(&c, 0, sizeof(c));
  for (i = 0; i < TCPSEC_ARRAY_SIZE(ike_ranges); i++)
    for (f = ike_ranges[i][0]; f <= ike_ranges[i][1]; f++)
      c.is_ike_frame[f] = 1;
  assert_int_equal(read_capture(d, n, check_nat_t, &c), 54);
  assert_int_equal(c.ike, 30);
  assert_int_equal(c.esp, 24);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(port_500_is_ike_only),
    cmocka_unit_test(port_4500_shapes),
    cmocka_unit_test(classify_argument_checks),
    cmocka_unit_test(build_payloads),
    cmocka_unit_test(keepalive_payload),
    cmocka_unit_test(udp_classifies_tcpdump_capture),
    cmocka_unit_test(udp_classifies_nat_t_capture),
  };
  return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
