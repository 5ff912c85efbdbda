/*
 * Capture input for tcpsec-decode: pcap and pcapng files through libpcap,
 * link layers Ethernet (with VLAN tags), raw IP, BSD loopback and Linux
 * cooked capture, IPv4 and IPv6, then
 *
 *   - UDP on port 500: the datagram is one IKE message;
 *   - UDP on port 4500: IKE behind the 4-byte zero non-ESP marker, while
 *     ESP (non-zero SPI) and NAT keepalives (one 0xff byte) are skipped
 *     (RFC 3948 sections 2.2 and 2.3);
 *   - TCP on the port given with --tcp-port: each direction is reassembled
 *     into a byte stream and the "IKETCP" prefix of the TCP originator is
 *     skipped. The stream is split into frames by the 16-bit length that
 *     counts itself. Frames starting with the zero marker carry IKE, the
 *     others ESP (RFC 9329 sections 3 and 4).
 *
 * IP fragments are not reassembled: such packets are counted and skipped.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "decode.h"

/* Directions of TCP connections followed at once; a direction is freed by
 * RST or FIN, so a capture may hold many more connections over time. */
#define MAX_FLOWS 1024
#define MAX_PENDING 32
#define STREAM_PREFIX "IKETCP"
#define STREAM_PREFIX_LEN 6
#define STREAM_MAX 1048576

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW_OPENBSD 12
#define LINKTYPE_RAW_BSD 14
#define LINKTYPE_LOOP 108
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276
#define LINKTYPE_IPV4 228
#define LINKTYPE_IPV6 229

/* A TCP segment that arrived ahead of the stream position. */
struct pending {
  uint32_t seq;
  uint8_t *data;
  size_t len;
  unsigned long frame;
};

/* One direction of a TCP connection. */
struct flow {
  int used;
  uint8_t key[36]; /* src addr (16), dst addr (16), src port, dst port */
  char src[64], dst[64];
  int have_seq;
  uint32_t next_seq;
  uint8_t *buf; /* stream bytes not yet split into frames */
  size_t len;
  int prefix_checked;
  int dead; /* a framing error stopped this stream */
  struct pending pending[MAX_PENDING];
};

struct capture {
  decoder *d;
  const char *path;
  unsigned tcp_port;
  unsigned udp_port;
  unsigned long frame;
  unsigned long fragments;
  unsigned long flows_dropped; /* segments of directions beyond MAX_FLOWS */
  struct flow flows[MAX_FLOWS];
};

/* Packet addressing after the IP header. */
struct ip_info {
  int family;
  uint8_t src[16], dst[16];
  uint8_t proto;
  const uint8_t *payload;
  size_t len;
};

static void format_endpoint(char *out, size_t cap, int family,
                            const uint8_t *addr, unsigned port) {
  char text[INET6_ADDRSTRLEN];

  if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
    snprintf(text, sizeof(text), "?");
  if (family == AF_INET6)
    snprintf(out, cap, "[%s]:%u", text, port);
  else
    snprintf(out, cap, "%s:%u", text, port);
}

/* ---- IKE frames ---------------------------------------------------------- */

static void emit_ike(struct capture *cap, const uint8_t *data, size_t len,
                     const char *transport, const char *src, const char *dst,
                     int marker) {
  decode_origin origin;

  memset(&origin, 0, sizeof(origin));
  origin.frame = cap->frame;
  origin.transport = transport;
  origin.non_esp_marker = marker;
  origin.source_name = cap->path;
  snprintf(origin.src, sizeof(origin.src), "%s", src);
  snprintf(origin.dst, sizeof(origin.dst), "%s", dst);
  decode_message(cap->d, data, len, &origin);
}

static void handle_udp(struct capture *cap, const struct ip_info *ip) {
  char src[64], dst[64];
  unsigned sport, dport;
  const uint8_t *p;
  size_t len;

  if (ip->len < 8)
    return;
  sport = tcpsec_load_be16(ip->payload);
  dport = tcpsec_load_be16(ip->payload + 2);
  p = ip->payload + 8;
  len = ip->len - 8;
  format_endpoint(src, sizeof(src), ip->family, ip->src, sport);
  format_endpoint(dst, sizeof(dst), ip->family, ip->dst, dport);

  if (sport == TCPSEC_IKE_UDP_PORT || dport == TCPSEC_IKE_UDP_PORT ||
      (cap->udp_port != 0 && (sport == cap->udp_port || dport == cap->udp_port))) {
    emit_ike(cap, p, len, "udp", src, dst, 0);
    return;
  }
  if (sport != TCPSEC_IKE_NATT_PORT && dport != TCPSEC_IKE_NATT_PORT)
    return;
  if (len == 1 && p[0] == 0xff) {
    cap->d->skipped_other++; /* NAT keepalive */
    return;
  }
  if (len >= TCPSEC_IKE_NON_ESP_MARKER_LEN && tcpsec_load_be32(p) == 0) {
    emit_ike(cap, p + 4, len - 4, "udp", src, dst, 1);
    return;
  }
  cap->d->skipped_esp++;
}

/* ---- TCP streams (RFC 9329) ---------------------------------------------- */

static struct flow *flow_get(struct capture *cap, const uint8_t *key,
                             const char *src, const char *dst) {
  int i, free_slot = -1;

  for (i = 0; i < MAX_FLOWS; i++) {
    if (cap->flows[i].used && memcmp(cap->flows[i].key, key, 36) == 0)
      return &cap->flows[i];
    if (!cap->flows[i].used && free_slot < 0)
      free_slot = i;
  }
  if (free_slot < 0)
    return NULL;
  memset(&cap->flows[free_slot], 0, sizeof(cap->flows[free_slot]));
  cap->flows[free_slot].used = 1;
  memcpy(cap->flows[free_slot].key, key, 36);
  snprintf(cap->flows[free_slot].src, sizeof(cap->flows[free_slot].src), "%s", src);
  snprintf(cap->flows[free_slot].dst, sizeof(cap->flows[free_slot].dst), "%s", dst);
  return &cap->flows[free_slot];
}

static int flow_has_pending(const struct flow *f) {
  size_t i;

  for (i = 0; i < MAX_PENDING; i++)
    if (f->pending[i].data != NULL)
      return 1;
  return 0;
}

static void flow_release(struct flow *f) {
  size_t i;

  free(f->buf);
  for (i = 0; i < MAX_PENDING; i++)
    free(f->pending[i].data);
  memset(f, 0, sizeof(*f));
}

/* Split complete frames off the front of the stream buffer. */
static void flow_frames(struct capture *cap, struct flow *f) {
  size_t pos = 0;

  if (!f->prefix_checked) {
    if (f->len < STREAM_PREFIX_LEN && memcmp(f->buf, STREAM_PREFIX, f->len) == 0)
      return;
    if (f->len >= STREAM_PREFIX_LEN && memcmp(f->buf, STREAM_PREFIX, STREAM_PREFIX_LEN) == 0)
      pos = STREAM_PREFIX_LEN;
    f->prefix_checked = 1;
  }

  while (f->len - pos >= 2) {
    size_t frame = tcpsec_load_be16(f->buf + pos);
    const uint8_t *body = f->buf + pos + 2;

    if (frame < 2) {
      fprintf(stderr, "%s: frame %lu: TCP stream %s -> %s has frame length %zu; "
              "the rest of this stream is skipped\n", cap->path, cap->frame, f->src,
              f->dst, frame);
      f->dead = 1;
      break;
    }
    if (frame > f->len - pos)
      break;
    if (frame - 2 >= TCPSEC_IKE_NON_ESP_MARKER_LEN && tcpsec_load_be32(body) == 0)
      emit_ike(cap, body + 4, frame - 2 - 4, "tcp", f->src, f->dst, 1);
    else
      cap->d->skipped_esp++;
    pos += frame;
  }
  memmove(f->buf, f->buf + pos, f->len - pos);
  f->len -= pos;
}

static int flow_append(struct flow *f, const uint8_t *data, size_t len) {
  uint8_t *p;

  if (len == 0)
    return 0;
  if (f->len + len > STREAM_MAX)
    return -1;
  p = realloc(f->buf, f->len + len);
  if (p == NULL)
    return -1;
  memcpy(p + f->len, data, len);
  f->buf = p;
  f->len += len;
  f->next_seq += (uint32_t)len;
  return 0;
}

/* Take in-order bytes; keep later segments until the gap is filled. */
static void flow_segment(struct capture *cap, struct flow *f, uint32_t seq,
                         const uint8_t *data, size_t len) {
  int progress = 1;
  size_t i;

  /* Drop what was already taken (retransmissions, overlaps). */
  if ((int32_t)(f->next_seq - seq) > 0) {
    uint32_t old = f->next_seq - seq;
    if (old >= len)
      return;
    data += old;
    len -= old;
    seq = f->next_seq;
  }
  if (seq != f->next_seq) {
    for (i = 0; i < MAX_PENDING; i++)
      if (f->pending[i].data == NULL) {
        f->pending[i].data = malloc(len);
        if (f->pending[i].data == NULL)
          return;
        memcpy(f->pending[i].data, data, len);
        f->pending[i].len = len;
        f->pending[i].seq = seq;
        return;
      }
    fprintf(stderr, "%s: frame %lu: too many out-of-order TCP segments on %s -> %s; "
            "segment skipped\n", cap->path, cap->frame, f->src, f->dst);
    return;
  }

  if (flow_append(f, data, len) != 0) {
    f->dead = 1;
    return;
  }
  while (progress) {
    progress = 0;
    for (i = 0; i < MAX_PENDING; i++) {
      struct pending *p = &f->pending[i];
      uint32_t ahead;
      if (p->data == NULL || (int32_t)(p->seq - f->next_seq) > 0)
        continue;
      ahead = f->next_seq - p->seq;
      if (ahead < p->len && flow_append(f, p->data + ahead, p->len - ahead) != 0)
        f->dead = 1;
      free(p->data);
      p->data = NULL;
      progress = 1;
    }
  }
}

/*
 * TCP header: ports, sequence number, data offset and flags. Only
 * connections on the configured port are reassembled.
 */
static void handle_tcp(struct capture *cap, const struct ip_info *ip) {
  uint8_t key[36];
  char src[64], dst[64];
  unsigned sport, dport, flags;
  size_t hlen;
  uint32_t seq;
  struct flow *f;

  if (cap->tcp_port == 0 || ip->len < 20)
    return;
  sport = tcpsec_load_be16(ip->payload);
  dport = tcpsec_load_be16(ip->payload + 2);
  if (sport != cap->tcp_port && dport != cap->tcp_port)
    return;
  seq = tcpsec_load_be32(ip->payload + 4);
  hlen = (size_t)(ip->payload[12] >> 4) * 4;
  flags = ip->payload[13];
  if (hlen < 20 || hlen > ip->len)
    return;

  format_endpoint(src, sizeof(src), ip->family, ip->src, sport);
  format_endpoint(dst, sizeof(dst), ip->family, ip->dst, dport);
  memcpy(key, ip->src, 16);
  memcpy(key + 16, ip->dst, 16);
  tcpsec_store_be16(key + 32, (uint16_t)sport);
  tcpsec_store_be16(key + 34, (uint16_t)dport);
  f = flow_get(cap, key, src, dst);
  if (f == NULL) {
    cap->d->skipped_other++;
    cap->flows_dropped++;
    return;
  }

  /* RST ends the direction; SYN starts it over at seq + 1. */
  if (flags & 0x04) {
    flow_release(f);
    return;
  }
  if (flags & 0x02) {
    flow_release(f);
    f = flow_get(cap, key, src, dst);
    if (f == NULL)
      return;
    f->have_seq = 1;
    f->next_seq = seq + 1;
    return;
  }
  if (!f->have_seq) {
    /* Joined mid-connection: start at the first segment seen. */
    f->have_seq = 1;
    f->next_seq = seq;
  }
  if (f->dead)
    return;
  flow_segment(cap, f, seq, ip->payload + hlen, ip->len - hlen);
  if (!f->dead && f->len > 0)
    flow_frames(cap, f);
  /* FIN: nothing more comes in this direction, unless segments reordered
   * before it are still missing. */
  if ((flags & 0x01) && !flow_has_pending(f))
    flow_release(f);
}

/* ---- IP and link layers -------------------------------------------------- */

static int parse_ipv4(struct capture *cap, const uint8_t *p, size_t len,
                      struct ip_info *ip) {
  size_t hlen, total;
  unsigned frag;

  if (len < 20 || (p[0] >> 4) != 4)
    return -1;
  hlen = (size_t)(p[0] & 0x0f) * 4;
  total = tcpsec_load_be16(p + 2);
  if (hlen < 20 || total < hlen || total > len)
    return -1;
  frag = tcpsec_load_be16(p + 6);
  if ((frag & 0x3fff) != 0) {
    cap->fragments++;
    return -1;
  }
  memset(ip, 0, sizeof(*ip));
  ip->family = AF_INET;
  memcpy(ip->src, p + 12, 4);
  memcpy(ip->dst, p + 16, 4);
  ip->proto = p[9];
  ip->payload = p + hlen;
  ip->len = total - hlen;
  return 0;
}

static int parse_ipv6(struct capture *cap, const uint8_t *p, size_t len,
                      struct ip_info *ip) {
  size_t plen, off = 40;
  uint8_t next;

  if (len < 40 || (p[0] >> 4) != 6)
    return -1;
  plen = tcpsec_load_be16(p + 4);
  if (plen > len - 40)
    return -1;
  memset(ip, 0, sizeof(*ip));
  ip->family = AF_INET6;
  memcpy(ip->src, p + 8, 16);
  memcpy(ip->dst, p + 24, 16);
  next = p[6];

  /* Hop-by-hop, routing and destination options; fragments are skipped. */
  while (next == 0 || next == 43 || next == 60 || next == 44) {
    size_t ext;
    if (next == 44) {
      cap->fragments++;
      return -1;
    }
    if (40 + plen - off < 8)
      return -1;
    ext = ((size_t)p[off + 1] + 1) * 8;
    if (ext > 40 + plen - off)
      return -1;
    next = p[off];
    off += ext;
  }
  ip->proto = next;
  ip->payload = p + off;
  ip->len = 40 + plen - off;
  return 0;
}

static void handle_ip(struct capture *cap, const uint8_t *p, size_t len) {
  struct ip_info ip;
  int rc;

  if (len < 1)
    return;
  rc = (p[0] >> 4) == 4 ? parse_ipv4(cap, p, len, &ip) : parse_ipv6(cap, p, len, &ip);
  if (rc != 0)
    return;
  if (ip.proto == 17)
    handle_udp(cap, &ip);
  else if (ip.proto == 6)
    handle_tcp(cap, &ip);
}

static void handle_frame(struct capture *cap, int linktype, const uint8_t *p,
                         size_t len) {
  size_t off = 0;
  unsigned ethertype = 0;

  switch (linktype) {
  case LINKTYPE_ETHERNET:
    if (len < 14)
      return;
    ethertype = tcpsec_load_be16(p + 12);
    off = 14;
    while ((ethertype == 0x8100 || ethertype == 0x88a8) && len - off >= 4) {
      ethertype = tcpsec_load_be16(p + off + 2);
      off += 4;
    }
    if (ethertype != 0x0800 && ethertype != 0x86dd)
      return;
    break;
  case LINKTYPE_NULL:
  case LINKTYPE_LOOP:
    off = 4;
    break;
  case LINKTYPE_LINUX_SLL:
    off = 16;
    break;
  case LINKTYPE_LINUX_SLL2:
    off = 20;
    break;
  case LINKTYPE_RAW:
  case LINKTYPE_RAW_OPENBSD:
  case LINKTYPE_RAW_BSD:
  case LINKTYPE_IPV4:
  case LINKTYPE_IPV6:
    off = 0;
    break;
  default:
    return;
  }
  if (off > len)
    return;
  handle_ip(cap, p + off, len - off);
}

int read_capture(decoder *d, const char *path, unsigned tcp_port,
                 unsigned extra_udp_port) {
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *hdr;
  const u_char *data;
  struct capture *cap;
  pcap_t *pc;
  int linktype, rc, i;

  pc = pcap_open_offline(path, errbuf);
  if (pc == NULL) {
    fprintf(stderr, "%s: cannot read capture: %s\n", path, errbuf);
    return -1;
  }
  cap = calloc(1, sizeof(*cap));
  if (cap == NULL) {
    pcap_close(pc);
    fprintf(stderr, "%s: out of memory\n", path);
    return -1;
  }
  cap->d = d;
  cap->path = path;
  cap->tcp_port = tcp_port;
  cap->udp_port = extra_udp_port;
  linktype = pcap_datalink(pc);

  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    cap->frame++;
    handle_frame(cap, linktype, data, hdr->caplen);
  }
  if (rc == PCAP_ERROR)
    fprintf(stderr, "%s: capture ends with an error after frame %lu: %s\n", path,
            cap->frame, pcap_geterr(pc));
  if (cap->fragments > 0)
    fprintf(stderr, "%s: %lu IP fragments skipped (not reassembled)\n", path,
            cap->fragments);
  if (cap->flows_dropped > 0)
    fprintf(stderr,
            "%s: %lu TCP segments skipped: more than %d connection "
            "directions were open at once\n",
            path, cap->flows_dropped, MAX_FLOWS);

  for (i = 0; i < MAX_FLOWS; i++)
    if (cap->flows[i].used)
      flow_release(&cap->flows[i]);
  free(cap);
  pcap_close(pc);
  return rc == PCAP_ERROR ? -1 : 0;
}
