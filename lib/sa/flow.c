/*
 * Inner packet fields for traffic selector matching (RFC 4301 selectors):
 * addresses, upper-layer protocol and ports.
 *
 * IPv4 header (RFC 791), fields read here marked *:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version*| IHL* |    DSCP/ECN   |         Total Length*         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|  Fragment Offset*       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |   Protocol*   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address*                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address*                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (IHL > 5) ...                      |
 *
 * IPv6 (RFC 8200): Version* (4 bits), traffic class, flow label, Payload
 * Length* (16), Next Header* (8), Hop Limit, Source* (128), Destination*
 * (128), then extension headers. Hop-by-Hop (0), Routing (43) and
 * Destination Options (60) are 8 * (1 + length) bytes, Fragment (44) is
 * 8 bytes, AH (51) is 4 * (2 + length) bytes.
 *
 * Transport: TCP, UDP, SCTP, DCCP and UDP-Lite start with source and
 * destination port; ICMP and ICMPv6 with type and code.
 */
#include <string.h>

#include "core/cursor.h"
#include "sa/sa_internal.h"

#define IPPROTO_NUM_HOPOPTS 0
#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_DCCP 33
#define IPPROTO_NUM_ROUTING 43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_AH 51
#define IPPROTO_NUM_ICMPV6 58
#define IPPROTO_NUM_DSTOPTS 60
#define IPPROTO_NUM_SCTP 132
#define IPPROTO_NUM_UDPLITE 136

/* Extension headers walked before giving up on finding the protocol. */
#define IPV6_MAX_EXT_HEADERS 8

/* Read ports (or ICMP type and code) from the transport header. A header
 * too short to hold them leaves has_ports 0, so only selectors with the
 * full port range match. */
static void read_ports(tcpsec_cursor *c, tcpsec_flow *f) {
  switch (f->protocol) {
  case IPPROTO_NUM_TCP:
  case IPPROTO_NUM_UDP:
  case IPPROTO_NUM_DCCP:
  case IPPROTO_NUM_SCTP:
  case IPPROTO_NUM_UDPLITE:
    f->src_port = tcpsec_cursor_be16(c);
    f->dst_port = tcpsec_cursor_be16(c);
    break;
  case IPPROTO_NUM_ICMP:
  case IPPROTO_NUM_ICMPV6:
    f->src_port = tcpsec_cursor_be16(c);
    f->dst_port = f->src_port;
    break;
  default:
    return;
  }
  f->has_ports = !c->error;
}

static int parse_ipv4(tcpsec_cursor *c, size_t len, tcpsec_flow *f) {
  uint8_t first = tcpsec_cursor_u8(c);
  size_t ihl = (size_t)(first & 0x0f) * 4;
  uint16_t total, frag;
  tcpsec_cursor body;

  tcpsec_cursor_skip(c, 1);
  total = tcpsec_cursor_be16(c);
  tcpsec_cursor_skip(c, 2);
  frag = tcpsec_cursor_be16(c);
  tcpsec_cursor_skip(c, 1);
  f->protocol = tcpsec_cursor_u8(c);
  tcpsec_cursor_skip(c, 2);
  tcpsec_cursor_copy(c, f->src, 4);
  tcpsec_cursor_copy(c, f->dst, 4);
  if (c->error || ihl < 20 || total < ihl || total > len)
    return TCPSEC_ERR_BAD_INNER_PACKET;
  f->family = 4;

  /* Ports only in the first fragment (offset 0). */
  if ((frag & 0x1fff) != 0)
    return 0;
  tcpsec_cursor_init(&body, c->start + ihl, total - ihl);
  read_ports(&body, f);
  return 0;
}

static int parse_ipv6(tcpsec_cursor *c, tcpsec_flow *f) {
  uint16_t payload_len;
  uint8_t next;
  tcpsec_cursor body;
  int i;

  tcpsec_cursor_skip(c, 4);
  payload_len = tcpsec_cursor_be16(c);
  next = tcpsec_cursor_u8(c);
  tcpsec_cursor_skip(c, 1);
  tcpsec_cursor_copy(c, f->src, 16);
  tcpsec_cursor_copy(c, f->dst, 16);
  if (c->error || payload_len > tcpsec_cursor_left(c))
    return TCPSEC_ERR_BAD_INNER_PACKET;
  f->family = 6;
  tcpsec_cursor_sub(c, payload_len, &body);

  for (i = 0; i < IPV6_MAX_EXT_HEADERS; i++) {
    size_t ext_len;
    uint8_t hdr_next, hdr_len;

    if (next != IPPROTO_NUM_HOPOPTS && next != IPPROTO_NUM_ROUTING &&
        next != IPPROTO_NUM_DSTOPTS && next != IPPROTO_NUM_FRAGMENT &&
        next != IPPROTO_NUM_AH)
      break;
    hdr_next = tcpsec_cursor_u8(&body);
    hdr_len = tcpsec_cursor_u8(&body);
    if (next == IPPROTO_NUM_FRAGMENT) {
      uint16_t offset = tcpsec_cursor_be16(&body);
      if (body.error)
        return TCPSEC_ERR_BAD_INNER_PACKET;
      if ((offset & 0xfff8) != 0) {
        /* A later fragment: protocol known, ports absent. */
        f->protocol = hdr_next;
        return 0;
      }
      ext_len = 8;
    } else if (next == IPPROTO_NUM_AH) {
      ext_len = ((size_t)hdr_len + 2) * 4;
    } else {
      ext_len = ((size_t)hdr_len + 1) * 8;
    }
    /* Two or four bytes of this header were read already. */
    if (!tcpsec_cursor_skip(&body, ext_len - (next == IPPROTO_NUM_FRAGMENT
                                                  ? 4 : 2)))
      return TCPSEC_ERR_BAD_INNER_PACKET;
    next = hdr_next;
  }
  f->protocol = next;
  read_ports(&body, f);
  return 0;
}

int tcpsec_flow_parse(const uint8_t *packet, size_t len, tcpsec_flow *flow) {
  tcpsec_cursor c;

  memset(flow, 0, sizeof(*flow));
  if (len == 0)
    return TCPSEC_ERR_BAD_INNER_PACKET;
  tcpsec_cursor_init(&c, packet, len);
  switch (packet[0] >> 4) {
  case 4:
    return parse_ipv4(&c, len, flow);
  case 6:
    return parse_ipv6(&c, flow);
  default:
    return TCPSEC_ERR_BAD_INNER_PACKET;
  }
}
