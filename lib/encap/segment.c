/*
 * Fortinet-style segments: one ESP packet as the payload of one TCP ACK
 * segment, optionally behind an IPv4 or IPv6 header for a raw socket.
 *
 * IPv4 header (RFC 791), as built: version 4, IHL 5, DF set, ID 0.
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |    DSCP/ECN   |          Total Length         |
 *   |         Identification        |Flags|     Fragment Offset     |
 *   |  Time to Live |  Protocol (6) |        Header Checksum        |
 *   |                        Source Address                         |
 *   |                     Destination Address                       |
 *   |                    Options (IHL > 5, skipped)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IPv6 header (RFC 8200): version 6, traffic class 0, flow label 0.
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        | Next Hdr (6)  |   Hop Limit   |
 *   |                  Source Address (16 bytes)                    |
 *   |               Destination Address (16 bytes)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * TCP header (RFC 9293 section 3.1), as built: data offset 5, no options.
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                 Options (data offset > 5, skipped)            |
 *   |                ESP packet (SPI, sequence number, ...)         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The TCP checksum also covers a pseudo-header. For IPv4 it is source,
 * destination, a zero byte, protocol 6 and the 16-bit TCP length (RFC 9293
 * section 3.1). For IPv6 it is source, destination, the 32-bit TCP length,
 * three zero bytes and next header 6 (RFC 8200 section 8.1).
 */
#include <string.h>

#include "core/cursor.h"
#include "core/util.h"
#include "encap/encap_internal.h"

#define IP_PROTO_TCP 6
#define IPV4_FLAG_DF 0x4000
#define IPV4_FRAGMENT_BITS 0x3fff /* MF flag and fragment offset */
#define DEFAULT_WINDOW 65535
#define DEFAULT_TTL 64
#define MAX_PACKET_LEN 65535

void tcpsec_segment_info_default(tcpsec_segment_info *info) {
  if (info == NULL)
    return;
  memset(info, 0, sizeof(*info));
  info->size = sizeof(*info);
  info->flags = TCPSEC_TCP_ACK;
  info->window = DEFAULT_WINDOW;
  info->ttl = DEFAULT_TTL;
  info->ip_header = 1;
}

static size_t addr_len(uint8_t family) {
  if (family == TCPSEC_IP_V4)
    return 4;
  if (family == TCPSEC_IP_V6)
    return 16;
  return 0;
}

/* Both addresses of one known family. */
static int addrs_valid(const tcpsec_ip_addr *src, const tcpsec_ip_addr *dst) {
  return addr_len(src->family) != 0 && src->family == dst->family;
}

/* Sum of the pseudo-header for a TCP segment of tcp_len bytes. */
static uint64_t pseudo_header_sum(const tcpsec_ip_addr *src,
                                  const tcpsec_ip_addr *dst, size_t tcp_len) {
  uint8_t ph[40];
  size_t alen = addr_len(src->family), n;

  memcpy(ph, src->bytes, alen);
  memcpy(ph + alen, dst->bytes, alen);
  n = 2 * alen;
  if (src->family == TCPSEC_IP_V4) {
    ph[n] = 0;
    ph[n + 1] = IP_PROTO_TCP;
    tcpsec_store_be16(ph + n + 2, (uint16_t)tcp_len);
    n += 4;
  } else {
    tcpsec_store_be32(ph + n, (uint32_t)tcp_len);
    ph[n + 4] = 0;
    ph[n + 5] = 0;
    ph[n + 6] = 0;
    ph[n + 7] = IP_PROTO_TCP;
    n += 8;
  }
  return tcpsec_csum_add(0, ph, n);
}

static size_t ip_header_len(const tcpsec_segment_info *info) {
  if (!info->ip_header)
    return 0;
  return info->src.family == TCPSEC_IP_V4 ? TCPSEC_IPV4_HEADER_LEN
                                          : TCPSEC_IPV6_HEADER_LEN;
}

static void write_tcp_header(uint8_t *tcp, const tcpsec_segment_info *info,
                             size_t tcp_len) {
  uint64_t sum;

  tcpsec_store_be16(tcp, info->src_port);
  tcpsec_store_be16(tcp + 2, info->dst_port);
  tcpsec_store_be32(tcp + 4, info->seq);
  tcpsec_store_be32(tcp + 8, info->ack);
  tcp[12] = (TCPSEC_TCP_HEADER_LEN / 4) << 4;
  tcp[13] = info->flags;
  tcpsec_store_be16(tcp + 14, info->window);
  tcpsec_store_be16(tcp + 16, 0);
  tcpsec_store_be16(tcp + 18, 0);

  sum = pseudo_header_sum(&info->src, &info->dst, tcp_len);
  sum = tcpsec_csum_add(sum, tcp, tcp_len);
  tcpsec_store_be16(tcp + 16, tcpsec_csum_finish(sum));
}

static void write_ipv4_header(uint8_t *ip, const tcpsec_segment_info *info,
                              size_t total_len) {
  ip[0] = 0x45;
  ip[1] = 0;
  tcpsec_store_be16(ip + 2, (uint16_t)total_len);
  tcpsec_store_be16(ip + 4, 0);
  tcpsec_store_be16(ip + 6, IPV4_FLAG_DF);
  ip[8] = info->ttl;
  ip[9] = IP_PROTO_TCP;
  tcpsec_store_be16(ip + 10, 0);
  memcpy(ip + 12, info->src.bytes, 4);
  memcpy(ip + 16, info->dst.bytes, 4);
  tcpsec_store_be16(ip + 10, tcpsec_csum_finish(
                                 tcpsec_csum_add(0, ip, TCPSEC_IPV4_HEADER_LEN)));
}

static void write_ipv6_header(uint8_t *ip, const tcpsec_segment_info *info,
                              size_t payload_len) {
  tcpsec_store_be32(ip, (uint32_t)6 << 28);
  tcpsec_store_be16(ip + 4, (uint16_t)payload_len);
  ip[6] = IP_PROTO_TCP;
  ip[7] = info->ttl;
  memcpy(ip + 8, info->src.bytes, 16);
  memcpy(ip + 24, info->dst.bytes, 16);
}

/* Validate the fields and payload; returns the header length or an error. */
static ptrdiff_t build_check(const tcpsec_segment_info *info,
                             const uint8_t *payload, size_t payload_len) {
  size_t counted_len;

  if (!addrs_valid(&info->src, &info->dst))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (payload_len < TCPSEC_ESP_MIN_LEN || tcpsec_load_be32(payload) == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  /* The size must fit a 16-bit length field. The IPv4 total length counts
   * both headers. The IPv6 payload length and a bare segment's
   * pseudo-header length count only the TCP segment. */
  counted_len = TCPSEC_TCP_HEADER_LEN;
  if (info->ip_header && info->src.family == TCPSEC_IP_V4)
    counted_len += TCPSEC_IPV4_HEADER_LEN;
  if (payload_len > MAX_PACKET_LEN - counted_len)
    return TCPSEC_ERR_MESSAGE_TOO_LONG;
  return (ptrdiff_t)(TCPSEC_TCP_HEADER_LEN + ip_header_len(info));
}

ptrdiff_t tcpsec_segment_build(const tcpsec_segment_info *info, uint8_t *buf,
                               size_t headroom, size_t payload_len,
                               size_t *start) {
  tcpsec_segment_info f;
  size_t ip_len, tcp_len, begin;
  ptrdiff_t header_len;
  uint8_t *tcp;

  if (start != NULL)
    *start = 0;
  if (info == NULL || buf == NULL || start == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_segment_info_default(&f);
  if (tcpsec_encap_load_sized(&f, sizeof(f), info) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  header_len = build_check(&f, buf + headroom, payload_len);
  if (header_len < 0)
    return header_len;
  if (headroom < (size_t)header_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  /* TCP header right in front of the payload, checksum included. */
  begin = headroom - (size_t)header_len;
  tcp = buf + headroom - TCPSEC_TCP_HEADER_LEN;
  tcp_len = TCPSEC_TCP_HEADER_LEN + payload_len;
  write_tcp_header(tcp, &f, tcp_len);

  /* IP header in front of the TCP header. */
  ip_len = ip_header_len(&f);
  if (ip_len == TCPSEC_IPV4_HEADER_LEN)
    write_ipv4_header(buf + begin, &f, ip_len + tcp_len);
  else if (ip_len == TCPSEC_IPV6_HEADER_LEN)
    write_ipv6_header(buf + begin, &f, tcp_len);

  *start = begin;
  return header_len + (ptrdiff_t)payload_len;
}

ptrdiff_t tcpsec_segment_build_copy(const tcpsec_segment_info *info,
                                    const uint8_t *payload,
                                    size_t payload_len, uint8_t *out,
                                    size_t out_len) {
  tcpsec_segment_info f;
  ptrdiff_t header_len;
  size_t start;

  if (info == NULL || payload == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_segment_info_default(&f);
  if (tcpsec_encap_load_sized(&f, sizeof(f), info) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  header_len = build_check(&f, payload, payload_len);
  if (header_len < 0)
    return header_len;
  if (out_len < (size_t)header_len ||
      out_len - (size_t)header_len < payload_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  memcpy(out + header_len, payload, payload_len);
  return tcpsec_segment_build(&f, out, (size_t)header_len, payload_len,
                              &start);
}

/*
 * Parse an IPv4 header. On success `tcp` covers the TCP segment as the
 * total length declares it, and f receives addresses and TTL.
 */
static int parse_ipv4(tcpsec_cursor *c, tcpsec_segment_info *f,
                      tcpsec_cursor *tcp) {
  const uint8_t *ip = c->p;
  size_t header_len, total_len;
  uint16_t fragment;
  uint8_t protocol;

  if (tcpsec_cursor_left(c) < TCPSEC_IPV4_HEADER_LEN)
    return TCPSEC_ERR_TRUNCATED;
  header_len = (size_t)(ip[0] & 0x0f) * 4;
  if (header_len < TCPSEC_IPV4_HEADER_LEN)
    return TCPSEC_ERR_BAD_SEGMENT;
  if (header_len > tcpsec_cursor_left(c))
    return TCPSEC_ERR_TRUNCATED;

  (void)tcpsec_cursor_skip(c, 2);
  total_len = tcpsec_cursor_be16(c);
  (void)tcpsec_cursor_skip(c, 2);
  fragment = tcpsec_cursor_be16(c);
  f->ttl = tcpsec_cursor_u8(c);
  protocol = tcpsec_cursor_u8(c);
  (void)tcpsec_cursor_skip(c, 2);
  f->src.family = TCPSEC_IP_V4;
  f->dst.family = TCPSEC_IP_V4;
  memset(f->src.bytes, 0, sizeof(f->src.bytes));
  memset(f->dst.bytes, 0, sizeof(f->dst.bytes));
  tcpsec_cursor_copy(c, f->src.bytes, 4);
  tcpsec_cursor_copy(c, f->dst.bytes, 4);
  (void)tcpsec_cursor_skip(c, header_len - TCPSEC_IPV4_HEADER_LEN);
  if (c->error)
    return TCPSEC_ERR_TRUNCATED;

  if (total_len < header_len)
    return TCPSEC_ERR_BAD_SEGMENT;
  if (total_len - header_len > tcpsec_cursor_left(c))
    return TCPSEC_ERR_TRUNCATED;
  /* A fragment cannot be checked or used on its own. */
  if ((fragment & IPV4_FRAGMENT_BITS) != 0 || protocol != IP_PROTO_TCP)
    return TCPSEC_ERR_BAD_SEGMENT;
  if (tcpsec_csum_finish(tcpsec_csum_add(0, ip, header_len)) != 0)
    return TCPSEC_ERR_BAD_CHECKSUM;

  (void)tcpsec_cursor_sub(c, total_len - header_len, tcp);
  return 0;
}

/* Parse an IPv6 header; extension headers are not walked. */
static int parse_ipv6(tcpsec_cursor *c, tcpsec_segment_info *f,
                      tcpsec_cursor *tcp) {
  size_t payload_len;
  uint8_t next_header;

  if (tcpsec_cursor_left(c) < TCPSEC_IPV6_HEADER_LEN)
    return TCPSEC_ERR_TRUNCATED;
  (void)tcpsec_cursor_skip(c, 4);
  payload_len = tcpsec_cursor_be16(c);
  next_header = tcpsec_cursor_u8(c);
  f->ttl = tcpsec_cursor_u8(c);
  f->src.family = TCPSEC_IP_V6;
  f->dst.family = TCPSEC_IP_V6;
  tcpsec_cursor_copy(c, f->src.bytes, 16);
  tcpsec_cursor_copy(c, f->dst.bytes, 16);
  if (c->error)
    return TCPSEC_ERR_TRUNCATED;

  /* Payload length 0 means a jumbogram (RFC 2675), never a TCP segment
   * that fits in 65535 bytes. */
  if (payload_len == 0)
    return TCPSEC_ERR_BAD_SEGMENT;
  if (payload_len > tcpsec_cursor_left(c))
    return TCPSEC_ERR_TRUNCATED;
  /* NOTE: a TCP header behind IPv6 extension headers is rejected here as
   * TCPSEC_ERR_BAD_SEGMENT, so such segments are dropped. */
  if (next_header != IP_PROTO_TCP)
    return TCPSEC_ERR_BAD_SEGMENT;

  (void)tcpsec_cursor_sub(c, payload_len, tcp);
  return 0;
}

/* Parse the TCP header, and verify the checksum unless `flags` contains
 * TCPSEC_SEGMENT_PARSE_NO_CHECKSUM. */
static int parse_tcp(tcpsec_cursor *c, unsigned flags, tcpsec_segment_info *f) {
  const uint8_t *tcp = c->p;
  size_t tcp_len = tcpsec_cursor_left(c), header_len;
  uint64_t sum;

  if (tcp_len < TCPSEC_TCP_HEADER_LEN)
    return TCPSEC_ERR_TRUNCATED;
  f->src_port = tcpsec_cursor_be16(c);
  f->dst_port = tcpsec_cursor_be16(c);
  f->seq = tcpsec_cursor_be32(c);
  f->ack = tcpsec_cursor_be32(c);
  header_len = (size_t)(tcpsec_cursor_u8(c) >> 4) * 4;
  f->flags = tcpsec_cursor_u8(c);
  f->window = tcpsec_cursor_be16(c);
  (void)tcpsec_cursor_skip(c, 4); /* checksum and urgent pointer */
  if (c->error)
    return TCPSEC_ERR_TRUNCATED;

  if (header_len < TCPSEC_TCP_HEADER_LEN || header_len > tcp_len)
    return TCPSEC_ERR_BAD_SEGMENT;
  (void)tcpsec_cursor_skip(c, header_len - TCPSEC_TCP_HEADER_LEN);

  if (!(flags & TCPSEC_SEGMENT_PARSE_NO_CHECKSUM)) {
    sum = pseudo_header_sum(&f->src, &f->dst, tcp_len);
    sum = tcpsec_csum_add(sum, tcp, tcp_len);
    if (tcpsec_csum_finish(sum) != 0)
      return TCPSEC_ERR_BAD_CHECKSUM;
  }

  f->payload = c->p;
  f->payload_len = tcpsec_cursor_left(c);
  return 0;
}

int tcpsec_segment_parse(const uint8_t *data, size_t len, unsigned flags,
                         tcpsec_segment_info *info) {
  static const uint8_t no_input[1];
  tcpsec_segment_info f;
  tcpsec_cursor c, tcp;
  int rv;

  if (info == NULL || (data == NULL && len != 0) ||
      (flags & ~(TCPSEC_SEGMENT_PARSE_IP | TCPSEC_SEGMENT_PARSE_NO_CHECKSUM)))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_segment_info_default(&f);
  if (tcpsec_encap_load_sized(&f, sizeof(f), info) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_cursor_init(&c, data != NULL ? data : no_input, len);

  if (flags & TCPSEC_SEGMENT_PARSE_IP) {
    if (len == 0)
      return TCPSEC_ERR_TRUNCATED;
    switch (data[0] >> 4) {
    case 4:
      rv = parse_ipv4(&c, &f, &tcp);
      break;
    case 6:
      rv = parse_ipv6(&c, &f, &tcp);
      break;
    default:
      rv = TCPSEC_ERR_BAD_SEGMENT;
      break;
    }
    if (rv != 0)
      return rv;
    f.ip_header = 1;
  } else {
    if (!addrs_valid(&f.src, &f.dst))
      return TCPSEC_ERR_INVALID_ARGUMENT;
    tcp = c;
    f.ip_header = 0;
  }

  rv = parse_tcp(&tcp, flags, &f);
  if (rv != 0)
    return rv;
  tcpsec_encap_store_sized(info, &f, sizeof(f));
  return 0;
}
