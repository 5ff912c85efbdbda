/*
 * Data path: Child SA installation, outbound packets (policy lookup, ESP
 * seal in place, encapsulation for the instance's transport) and inbound
 * ESP from every encapsulation.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

/* ---- Child SAs -------------------------------------------------------- */

static void ts_to_sad(const tcpsec_ike_traffic_selector *in,
                      tcpsec_sa_traffic_selector *out) {
  memset(out, 0, sizeof(*out));
  out->ts_type = in->family == 4 ? TCPSEC_TS_IPV4_ADDR_RANGE
                                 : TCPSEC_TS_IPV6_ADDR_RANGE;
  out->ip_protocol = in->ip_proto;
  out->start_port = in->start_port;
  out->end_port = in->end_port;
  memcpy(out->start_addr, in->start_addr, 16);
  memcpy(out->end_addr, in->end_addr, 16);
}

static struct gw_child *child_of(struct gw_peer *peer, uint32_t spi_in);

/* Note an ESP lifetime event, reported from inside a seal or open of the
 * SA. A rekey sends an IKE message through the scratch buffer, which may
 * still hold the packet being opened, so gw_child_work() acts on the
 * event later. */
static void on_esp_event(void *user, tcpsec_esp_sa *sa,
                         tcpsec_esp_event event) {
  struct gw_peer *peer = user;
  uint32_t spi = tcpsec_esp_sa_spi(sa);
  int inbound = tcpsec_esp_sa_direction(sa) == TCPSEC_ESP_INBOUND;
  size_t i;

  for (i = 0; i < peer->child_count; i++) {
    struct gw_child *ch = &peer->children[i];

    if ((inbound ? ch->spi_in : ch->spi_out) != spi)
      continue;
    if (event == TCPSEC_ESP_EVENT_REKEY)
      ch->soft_reached = 1;
    else if (event == TCPSEC_ESP_EVENT_EXPIRED)
      ch->hard_reached = 1;
    peer->child_work = 1;
    gw_peer_touch(peer);
    return;
  }
}

static int esp_sa_make(struct gw_peer *peer, const tcpsec_ike_child_sa *ch,
                       int inbound, tcpsec_esp_sa **out) {
  tcpsec_esp_sa_config c;

  tcpsec_esp_sa_config_default(&c);
  c.direction = inbound ? TCPSEC_ESP_INBOUND : TCPSEC_ESP_OUTBOUND;
  c.spi = inbound ? ch->spi_in : ch->spi_out;
  c.encr = ch->encr;
  c.integ = ch->integ;
  c.encr_key = inbound ? ch->encr_key_in : ch->encr_key_out;
  c.encr_key_len = ch->encr_key_len;
  c.integ_key = inbound ? ch->integ_key_in : ch->integ_key_out;
  c.integ_key_len = ch->integ_key_len;
  c.esn = ch->esn;
  c.replay_window = peer->tunnel->cfg.replay_window;
  /* The IKE SA rekeys for age itself; the data plane watches the byte and
   * packet counts and the hard limits. */
  c.soft.bytes = ch->soft_lifetime_bytes;
  c.soft.packets = ch->soft_lifetime_packets;
  c.hard.bytes = ch->hard_lifetime_bytes;
  c.hard.packets = ch->hard_lifetime_packets;
  c.hard.time_ms = ch->hard_lifetime_ms;
  c.event = on_esp_event;
  c.event_user = peer;
  return tcpsec_esp_sa_new(peer->gw->ctx, &c, peer->gw->now_ms, out);
}

/* One key log record per ESP SA of a new Child SA. */
static void log_child_keys(struct gw_peer *peer,
                           const tcpsec_ike_child_sa *ch) {
  struct tcpsec_gw *gw = peer->gw;
  tcpsec_gw_keys k;
  int dir;

  if (gw->cb.keylog == NULL)
    return;
  for (dir = 0; dir < 2; dir++) {
    memset(&k, 0, sizeof(k));
    k.size = sizeof(k);
    k.kind = TCPSEC_GW_KEYS_ESP;
    k.instance = peer->name;
    k.spi = dir == 0 ? ch->spi_in : ch->spi_out;
    k.src = dir == 0 ? ch->remote : ch->local;
    k.dst = dir == 0 ? ch->local : ch->remote;
    k.encr = ch->encr;
    k.encr_key_bits = ch->encr_key_bits;
    k.integ = ch->integ;
    k.encr_key = dir == 0 ? ch->encr_key_in : ch->encr_key_out;
    k.encr_key_len = ch->encr_key_len;
    k.integ_key = dir == 0 ? ch->integ_key_in : ch->integ_key_out;
    k.integ_key_len = ch->integ_key_len;
    gw->in_callback++;
    gw->cb.keylog(gw->cb.user, &k);
    gw->in_callback--;
  }
}

int gw_child_install(struct gw_peer *peer, const tcpsec_ike_child_sa *ch) {
  tcpsec_sa_traffic_selector lts[GW_MAX_TS], rts[GW_MAX_TS];
  tcpsec_esp_sa *in = NULL, *out = NULL;
  tcpsec_sad_child sc;
  struct gw_child *gc;
  size_t i;
  int rv;

  if (peer->child_count == GW_MAX_CHILDREN)
    return TCPSEC_ERR_LIMIT;
  if (ch->local_ts_count == 0 || ch->local_ts_count > GW_MAX_TS ||
      ch->remote_ts_count == 0 || ch->remote_ts_count > GW_MAX_TS)
    return TCPSEC_ERR_TS_UNACCEPTABLE;
  rv = esp_sa_make(peer, ch, 1, &in);
  if (rv == 0)
    rv = esp_sa_make(peer, ch, 0, &out);
  if (rv != 0)
    goto fail;

  for (i = 0; i < ch->local_ts_count; i++)
    ts_to_sad(&ch->local_ts[i], &lts[i]);
  for (i = 0; i < ch->remote_ts_count; i++)
    ts_to_sad(&ch->remote_ts[i], &rts[i]);
  memset(&sc, 0, sizeof(sc));
  sc.size = sizeof(sc);
  sc.inbound = in;
  sc.outbound = out;
  sc.local_ts = lts;
  sc.local_ts_count = ch->local_ts_count;
  sc.remote_ts = rts;
  sc.remote_ts_count = ch->remote_ts_count;
  sc.user = peer;
  /* A pair created in response to the peer's rekey, or made redundant by
   * a simultaneous rekey, waits on standby. The old pair keeps sending
   * until a packet authenticates on the new one or the old one is removed
   * (RFC 7296 section 2.8). */
  sc.outbound_standby = ch->outbound_deferred;
  sc.replaces_spi = ch->replaces_spi_in;
  rv = gw_spi_map_put(peer->gw, ch->spi_in, peer);
  if (rv != 0)
    goto fail;
  rv = tcpsec_sad_install(peer->gw->sad, &sc);
  if (rv != 0) {
    gw_spi_map_del(peer->gw, ch->spi_in);
    goto fail;
  }

  log_child_keys(peer, ch);
  if (ch->replaces_spi_in != 0) {
    /* Make-before-break (RFC 7296 section 2.8): the old pair receives
     * until child_sa_deleted removes it, and is not rekeyed again. */
    struct gw_child *old = child_of(peer, ch->replaces_spi_in);
    if (old != NULL)
      old->replaced = 1;
  }
  gc = &peer->children[peer->child_count++];
  memset(gc, 0, sizeof(*gc));
  gc->spi_in = ch->spi_in;
  gc->spi_out = ch->spi_out;
  gc->encr = ch->encr;
  gc->encr_key_bits = ch->encr_key_bits;
  gc->integ = ch->integ;
  gc->created_ms = peer->gw->now_ms;
  gc->hard_lifetime_ms = ch->hard_lifetime_ms;
  gc->soft_lifetime_ms = ch->soft_lifetime_ms;
  gc->replaces_spi_in = ch->replaces_spi_in;
  gc->pfs_group = ch->pfs_group;
  memcpy(gc->local_ts, ch->local_ts,
         ch->local_ts_count * sizeof(gc->local_ts[0]));
  memcpy(gc->remote_ts, ch->remote_ts,
         ch->remote_ts_count * sizeof(gc->remote_ts[0]));
  gc->local_ts_count = (uint8_t)ch->local_ts_count;
  gc->remote_ts_count = (uint8_t)ch->remote_ts_count;
  return 0;

fail:
  tcpsec_esp_sa_free(in);
  tcpsec_esp_sa_free(out);
  return rv;
}

void gw_child_work(struct gw_peer *peer, uint64_t now_ms) {
  struct tcpsec_gw *gw = peer->gw;
  size_t i;
  int rv;

  peer->child_work = 0;
  if (peer->ike == NULL || peer->ike_gone)
    return;
  gw_peer_touch(peer);
  for (i = 0; i < peer->child_count; i++) {
    struct gw_child *ch = &peer->children[i];

    if (ch->hard_reached && !ch->delete_requested) {
      ch->delete_requested = 1;
      rv = tcpsec_ike_sa_delete_child(peer->ike, ch->spi_in, now_ms);
      gw_peer_log(peer, TCPSEC_LOG_NOTICE,
                  "Child SA %08x/%08x reached its hard lifetime; %s",
                  (unsigned)ch->spi_in, (unsigned)ch->spi_out,
                  rv == 0 ? "deleting it" : tcpsec_strerror(rv));
    } else if (ch->soft_reached && !ch->rekey_requested && !ch->replaced &&
               peer->tunnel->cfg.rekey) {
      /* Once per pair: the ESP SA reports the soft lifetime once, and
       * its replacement has fresh counters. */
      ch->rekey_requested = 1;
      rv = tcpsec_ike_sa_rekey_child(peer->ike, ch->spi_in, now_ms);
      if (rv != 0)
        gw_peer_log(peer, TCPSEC_LOG_WARNING,
                    "cannot rekey Child SA %08x/%08x at its soft lifetime: "
                    "%s",
                    (unsigned)ch->spi_in, (unsigned)ch->spi_out,
                    tcpsec_strerror(rv));
      else if (tcpsec_log_enabled(gw->ctx, TCPSEC_LOG_INFO))
        gw_peer_log(peer, TCPSEC_LOG_INFO,
                    "Child SA %08x/%08x reached its soft byte or packet "
                    "lifetime; rekeying it",
                    (unsigned)ch->spi_in, (unsigned)ch->spi_out);
    }
  }
}

void gw_child_remove(struct gw_peer *peer, uint32_t spi_in) {
  size_t i;

  for (i = 0; i < peer->child_count; i++) {
    if (peer->children[i].spi_in != spi_in)
      continue;
    (void)tcpsec_sad_remove(peer->gw->sad, spi_in);
    gw_spi_map_del(peer->gw, spi_in);
    peer->children[i] = peer->children[--peer->child_count];
    return;
  }
}

/* ---- MTU and MSS ------------------------------------------------------ */

/* Bytes the encapsulation adds in front of the ESP packet, outer IP header
 * included. The RFC 9329 stream assumes TCP timestamps (12 option bytes),
 * which Linux and the BSDs negotiate by default. */
static size_t encap_overhead(const struct gw_peer *peer) {
  size_t ip = peer->remote.family == 6 ? 40 : 20;

  switch (peer->transport) {
  case TCPSEC_GW_ON_UDP_NATT:
    return ip + 8;
  case TCPSEC_GW_ON_TCP:
    return ip + 32 + 2;
  case TCPSEC_GW_ON_TCP_SEGMENTS:
    return ip + 20;
  default:
    return ip;
  }
}

uint32_t gw_child_mtu(const struct gw_peer *peer, const struct gw_child *ch) {
  const tcpsec_esp_sa *out = tcpsec_sad_find_outbound(peer->gw->sad,
                                                      ch->spi_in);
  size_t room, inner;

  if (out == NULL)
    return 0;
  room = peer->tunnel->cfg.outer_mtu - encap_overhead(peer);
  for (inner = room; inner > 68; inner--)
    if (tcpsec_esp_sa_sealed_len(out, inner) <= room)
      return (uint32_t)inner;
  return 0;
}

static uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* 1 for an IPv4 or IPv6 TCP segment with the SYN flag. gw_clamp_mss()
 * checks the rest (fragments, header and option lengths). */
static int is_tcp_syn(const uint8_t *pkt, size_t len) {
  size_t ihl;

  if (len < 20)
    return 0;
  if ((pkt[0] >> 4) == 4) {
    ihl = (size_t)(pkt[0] & 0x0f) * 4;
    return pkt[9] == 6 && ihl >= 20 && len >= ihl + 20 &&
           (pkt[ihl + 13] & 0x02) != 0;
  }
  return (pkt[0] >> 4) == 6 && len >= 60 && pkt[6] == 6 &&
         (pkt[40 + 13] & 0x02) != 0;
}

/* Lower the MSS option of an inner TCP SYN so that the peer's segments fit
 * the tunnel (FortiOS tcp-mss). The TCP checksum is updated incrementally
 * (RFC 1624). */
void gw_clamp_mss(uint8_t *pkt, size_t len, uint32_t mtu) {
  size_t ihl, off, end, doff;
  uint16_t mss, max_mss, old_sum;
  uint32_t sum;
  uint8_t *tcp;

  if (len < 20 || mtu == 0)
    return;
  if ((pkt[0] >> 4) == 4) {
    ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (pkt[9] != 6 || ihl < 20 || len < ihl + 20 ||
        (tcpsec_load_be16(pkt + 6) & 0x3fff) != 0)
      return;
    max_mss = (uint16_t)(mtu > 40 ? mtu - 40 : 0);
  } else if ((pkt[0] >> 4) == 6) {
    ihl = 40;
    if (len < 60 || pkt[6] != 6)
      return;
    max_mss = (uint16_t)(mtu > 60 ? mtu - 60 : 0);
  } else {
    return;
  }
  tcp = pkt + ihl;
  if (!(tcp[13] & 0x02)) /* SYN */
    return;
  doff = (size_t)(tcp[12] >> 4) * 4;
  if (doff < 20 || ihl + doff > len)
    return;
  end = doff;
  off = 20;
  while (off < end) {
    uint8_t kind = tcp[off];
    if (kind == 0)
      break;
    if (kind == 1) {
      off++;
      continue;
    }
    if (off + 1 >= end || tcp[off + 1] < 2 || off + tcp[off + 1] > end)
      return;
    if (kind == 2 && tcp[off + 1] == 4) {
      mss = tcpsec_load_be16(tcp + off + 2);
      if (mss <= max_mss)
        return;
      old_sum = tcpsec_load_be16(tcp + 16);
      sum = (uint32_t)(uint16_t)~old_sum + (uint16_t)~mss + max_mss;
      tcpsec_store_be16(tcp + off + 2, max_mss);
      tcpsec_store_be16(tcp + 16, (uint16_t)~csum_fold(sum));
      return;
    }
    off += tcp[off + 1];
  }
}

/* ---- outbound --------------------------------------------------------- */

static int send_esp(struct tcpsec_gw *gw, struct gw_peer *peer, uint8_t *buf,
                    size_t esp_off, size_t esp_len) {
  uint8_t *esp = buf + esp_off;
  struct gw_conn *c;
  uint8_t hdr[TCPSEC_STREAM_HEADER_MAX];
  ptrdiff_t n;
  size_t start;
  int rv = -1;

  if (peer->transport == TCPSEC_GW_ON_UDP_NATT ||
      peer->transport == TCPSEC_GW_ON_UDP) {
    /* Once NAT-T is active ESP goes in UDP 4500. Without a NAT it travels
     * as IP protocol 50 through the caller's esp_send. */
    peer->last_udp_out_ms = gw->now_ms;
    gw->in_callback++;
    if (peer->transport == TCPSEC_GW_ON_UDP_NATT && gw->cb.udp_send != NULL)
      rv = gw->cb.udp_send(gw->cb.user, &peer->local, &peer->remote, esp,
                           esp_len);
    else if (gw->cb.esp_send != NULL)
      rv = gw->cb.esp_send(gw->cb.user, &peer->local, &peer->remote, esp,
                           esp_len);
    gw->in_callback--;
    return rv == 0 ? 0 : TCPSEC_ERR_CALLBACK;
  }

  c = gw_conn_get(gw, peer->conn);
  if (c == NULL || !c->connected) {
    gw->drops_tunnel_down++;
    return TCPSEC_ERR_TUNNEL_DOWN;
  }

  if (peer->transport == TCPSEC_GW_ON_TCP_SEGMENTS && c->tracker != NULL &&
      gw->cb.raw_send != NULL) {
    n = tcpsec_segment_tracker_build(c->tracker, buf, esp_off, esp_len,
                                     &start);
    if (n > 0) {
      gw->in_callback++;
      rv = gw->cb.raw_send(gw->cb.user, c->id, buf + start, (size_t)n);
      gw->in_callback--;
      return rv == 0 ? 0 : TCPSEC_ERR_CALLBACK;
    }
    /* The stream positions are not known yet (no segment of the real
     * connection seen): the packet goes in the stream instead, which the
     * peer accepts in either mode. */
  }

  n = tcpsec_stream_frame_header(c->stream, TCPSEC_ENCAP_ESP, esp_len, hdr,
                                 sizeof(hdr));
  if (n < 0)
    return (int)n;
  if ((size_t)n > esp_off)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  memcpy(esp - n, hdr, (size_t)n);
  gw->in_callback++;
  rv = gw->cb.tcp_send != NULL
           ? gw->cb.tcp_send(gw->cb.user, c->id, esp - n, (size_t)n + esp_len)
           : -1;
  gw->in_callback--;
  if (rv != 0)
    return TCPSEC_ERR_CALLBACK;
  c->frames_out++;
  return 0;
}

/* Like an acquire: traffic without an SA makes a static tunnel that is
 * waiting to retry start negotiating now. The loop runs over the tunnels,
 * of which a hub has few, not over the instances. */
static void acquire(struct tcpsec_gw *gw, uint64_t now_ms) {
  size_t i;

  if (gw->shutting_down)
    return;
  for (i = 0; i < gw->tunnel_count; i++) {
    struct gw_peer *p = gw->tunnels[i]->static_peer;
    if (p != NULL && p->ike == NULL && p->retry_at != UINT64_MAX &&
        p->retry_at > now_ms) {
      p->retry_at = now_ms;
      gw_peer_touch(p);
    }
  }
}

static int tunnel_configured_for(const struct tcpsec_gw *gw,
                                 const uint8_t *packet, size_t len);

int tcpsec_gw_send_packet(tcpsec_gw *gw, uint8_t *buf, size_t headroom,
                          size_t len, size_t cap, uint64_t now_ms) {
  struct gw_peer *peer = NULL;
  tcpsec_esp_sa *sa = NULL;
  uint8_t *inner;
  size_t esp_head, esp_off;
  ptrdiff_t n;
  void *user = NULL;
  int rv;

  if (buf == NULL || len == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  if (headroom < TCPSEC_GW_HEADROOM || cap < headroom ||
      cap - headroom < len || cap - headroom - len < TCPSEC_GW_TAILROOM) {
    gw_exit(gw);
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  }
  inner = buf + headroom;

  rv = tcpsec_sad_select(gw->sad, inner, len, &sa, &user);
  if (rv == TCPSEC_ERR_NO_POLICY) {
    if (tunnel_configured_for(gw, inner, len)) {
      rv = TCPSEC_ERR_TUNNEL_DOWN;
      gw->drops_tunnel_down++;
    } else {
      gw->drops_no_policy++;
    }
    acquire(gw, now_ms);
  }
  if (rv != 0) {
    gw_exit(gw);
    return rv;
  }
  peer = user;

  /* The MTU is computed only for SYNs, the packets whose MSS is
   * clamped. */
  if (peer->tunnel->cfg.clamp_mss && peer->child_count > 0 &&
      is_tcp_syn(inner, len))
    gw_clamp_mss(inner, len, gw_child_mtu(peer, &peer->children[0]));

  /* Seal in place: the ESP header goes right in front of the packet. */
  esp_head = tcpsec_esp_sa_headroom(sa);
  esp_off = headroom - esp_head;
  n = tcpsec_esp_sa_seal(sa, inner, len, buf + esp_off, cap - esp_off,
                         now_ms);
  if (n < 0) {
    peer->drops++;
    rv = (int)n;
  } else {
    rv = send_esp(gw, peer, buf, esp_off, (size_t)n);
    if (rv != 0)
      peer->drops++;
  }
  if (peer->child_work)
    gw_child_work(peer, now_ms);
  gw_exit(gw);
  return rv;
}

/* ---- inbound ---------------------------------------------------------- */

struct inner_tuple {
  uint8_t family;
  uint8_t proto;
  uint16_t sport;
  uint16_t dport;
  const uint8_t *src;
  const uint8_t *dst;
};

/* Addresses, protocol and ports of a decrypted packet. Ports are known
 * only for unfragmented (or first-fragment) TCP, UDP and SCTP; ICMP uses
 * type and code as in RFC 7296 section 3.13.1; other protocols match only
 * the full port range. IPv6 extension headers are not walked. */
static int inner_parse(const uint8_t *p, size_t len, struct inner_tuple *t) {
  size_t off;
  int ports = 1;

  memset(t, 0, sizeof(*t));
  if (len >= 20 && (p[0] >> 4) == 4) {
    off = (size_t)(p[0] & 0x0f) * 4;
    if (off < 20 || off > len)
      return -1;
    t->family = 4;
    t->proto = p[9];
    t->src = p + 12;
    t->dst = p + 16;
    if ((tcpsec_load_be16(p + 6) & 0x1fff) != 0)
      ports = 0;
  } else if (len >= 40 && (p[0] >> 4) == 6) {
    off = 40;
    t->family = 6;
    t->proto = p[6];
    t->src = p + 8;
    t->dst = p + 24;
  } else {
    return -1;
  }
  if (ports && len >= off + 4) {
    if (t->proto == 6 || t->proto == 17 || t->proto == 132) {
      t->sport = tcpsec_load_be16(p + off);
      t->dport = tcpsec_load_be16(p + off + 2);
    } else if (t->proto == 1 || t->proto == 58) {
      t->sport = t->dport = tcpsec_load_be16(p + off);
    }
  }
  return 0;
}

static int ts_covers(const tcpsec_ike_traffic_selector *ts, uint8_t family,
                     uint8_t proto, const uint8_t *addr, uint16_t port) {
  size_t n = family == 4 ? 4 : 16;

  if (ts->family != family)
    return 0;
  if (ts->ip_proto != 0 && ts->ip_proto != proto)
    return 0;
  if (port < ts->start_port || port > ts->end_port)
    return 0;
  return memcmp(addr, ts->start_addr, n) >= 0 &&
         memcmp(addr, ts->end_addr, n) <= 0;
}

/* Return 1 when a tunnel's configured subnets cover a packet that no Child
 * SA took, so that it counts as dropped for a down tunnel rather than for
 * a missing policy. Only dropped packets get here, and a hub has few
 * tunnels to visit. */
static int tunnel_configured_for(const struct tcpsec_gw *gw,
                                 const uint8_t *packet, size_t len) {
  struct inner_tuple t;
  size_t i, l, r;

  if (inner_parse(packet, len, &t) != 0)
    return 0;
  for (i = 0; i < gw->tunnel_count; i++) {
    const tcpsec_gw_tunnel_config *c = &gw->tunnels[i]->cfg;

    for (l = 0; l < c->local_ts_count; l++) {
      if (!ts_covers(&c->local_ts[l], t.family, t.proto, t.src, t.sport))
        continue;
      for (r = 0; r < c->remote_ts_count; r++)
        if (ts_covers(&c->remote_ts[r], t.family, t.proto, t.dst, t.dport))
          return 1;
    }
  }
  return 0;
}

/* RFC 4301 section 5.2: a decrypted packet must match the selectors of the
 * SA it arrived on, or a peer could inject traffic for addresses it was
 * never granted. */
int gw_inbound_policy_ok(const struct gw_child *ch, const uint8_t *pkt,
                         size_t len) {
  struct inner_tuple t;
  int src_ok = 0, dst_ok = 0;
  size_t i;

  if (inner_parse(pkt, len, &t) != 0)
    return 0;
  for (i = 0; i < ch->remote_ts_count && !src_ok; i++)
    src_ok = ts_covers(&ch->remote_ts[i], t.family, t.proto, t.src, t.sport);
  for (i = 0; i < ch->local_ts_count && !dst_ok; i++)
    dst_ok = ts_covers(&ch->local_ts[i], t.family, t.proto, t.dst, t.dport);
  return src_ok && dst_ok;
}

static struct gw_child *child_of(struct gw_peer *peer, uint32_t spi_in) {
  size_t i;

  for (i = 0; i < peer->child_count; i++)
    if (peer->children[i].spi_in == spi_in)
      return &peer->children[i];
  return NULL;
}

/* Open an ESP packet from any encapsulation. It is copied into the scratch
 * buffer because the input is read-only and may point into a TCP chunk
 * that contains further frames. An authenticated packet from a new
 * connection or address moves the instance there, like an IKE message. */
int gw_esp_input(struct tcpsec_gw *gw, struct gw_conn *conn,
                 const tcpsec_ike_endpoint *local,
                 const tcpsec_ike_endpoint *remote, const uint8_t *esp,
                 size_t len, uint64_t now_ms) {
  struct gw_peer *peer;
  struct gw_child *child;
  tcpsec_esp_sa *sa = NULL;
  size_t off = 0;
  ptrdiff_t n;
  uint32_t spi;

  if (len > GW_SCRATCH_LEN || len < 8)
    return TCPSEC_ERR_ESP_TRUNCATED;
  memcpy(gw->scratch, esp, len);
  n = tcpsec_sad_open(gw->sad, gw->scratch, len, now_ms, &off, NULL, &sa);
  if (n == TCPSEC_ERR_ESP_UNKNOWN_SPI)
    gw->drops_unknown++;
  if (n < 0)
    return (int)n;
  spi = tcpsec_load_be32(gw->scratch);
  peer = gw_spi_map_get(gw, spi);
  if (peer == NULL)
    return TCPSEC_ERR_ESP_UNKNOWN_SPI;
  if (peer->ike != NULL && !peer->ike_gone) {
    tcpsec_ike_sa_peer_alive(peer->ike, now_ms);
    if (conn != NULL || peer->transport == TCPSEC_GW_ON_UDP_NATT)
      gw_follow_peer(gw, peer, conn, local, remote, now_ms);
  }
  if (n == 0)
    return 0; /* dummy packet */
  child = child_of(peer, spi);
  if (child == NULL || !gw_inbound_policy_ok(child, gw->scratch + off,
                                          (size_t)n)) {
    if (child != NULL)
      child->policy_drops++;
    peer->drops++;
    tcpsec_zeroize(gw->scratch + off, (size_t)n);
    return TCPSEC_ERR_NO_POLICY;
  }
  if (gw->cb.deliver != NULL) {
    gw->in_callback++;
    gw->cb.deliver(gw->cb.user, peer->name, gw->scratch + off, (size_t)n);
    gw->in_callback--;
  }
  /* The inner packet has left the scratch buffer, so a rekey may use it. */
  if (peer->child_work)
    gw_child_work(peer, now_ms);
  return 0;
}

/* ---- Fortinet-style segments ------------------------------------------ */

static struct gw_conn *conn_for_segment(struct tcpsec_gw *gw,
                                        const tcpsec_segment_info *info) {
  struct gw_conn *c = gw_seg_map_get(gw, info);

  if (c != NULL && c->tracker != NULL &&
      tcpsec_segment_tracker_matches(c->tracker, info))
    return c;
  return NULL;
}

int tcpsec_gw_raw_input(tcpsec_gw *gw, const uint8_t *packet, size_t len,
                        uint64_t now_ms) {
  tcpsec_segment_info info;
  struct gw_conn *c;
  uint32_t spi = 0;
  int rv;

  if (packet == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  tcpsec_segment_info_default(&info);
  rv = tcpsec_segment_parse(packet, len,
                            TCPSEC_SEGMENT_PARSE_IP |
                                TCPSEC_SEGMENT_PARSE_NO_CHECKSUM,
                            &info);
  if (rv != 0)
    goto out;
  c = conn_for_segment(gw, &info);
  if (c == NULL) {
    rv = TCPSEC_ERR_NOT_FOUND;
    goto out;
  }
  if (info.payload_len >= 8)
    spi = tcpsec_load_be32(info.payload);

  /* An ESP segment carries an SPI we handed out; everything else belongs
   * to the real stream and teaches the tracker our positions. A stream
   * segment whose first bytes happen to equal a known SPI is only lost as
   * a position sample. */
  if (spi != 0 && !(info.flags & (TCPSEC_TCP_SYN | TCPSEC_TCP_FIN |
                                  TCPSEC_TCP_RST)) &&
      tcpsec_sad_find_inbound(gw->sad, spi) != NULL) {
    rv = tcpsec_segment_parse(packet, len, TCPSEC_SEGMENT_PARSE_IP, &info);
    if (rv == 0)
      rv = gw_esp_input(gw, c, &c->local, &c->remote, info.payload,
                        info.payload_len, now_ms);
    goto out;
  }
  rv = tcpsec_segment_tracker_observe(c->tracker, info.seq, info.ack,
                                      info.flags, info.payload_len);
out:
  gw_exit(gw);
  return rv;
}

int tcpsec_gw_esp_input(tcpsec_gw *gw, const tcpsec_ike_endpoint *local,
                        const tcpsec_ike_endpoint *remote,
                        const uint8_t *data, size_t len, uint64_t now_ms) {
  int rv;

  if (local == NULL || remote == NULL || data == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  rv = gw_esp_input(gw, NULL, local, remote, data, len, now_ms);
  gw_exit(gw);
  return rv;
}
