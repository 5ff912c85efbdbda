/*
 * Deterministic network simulation for gateways (see sim.h).
 *
 * Addresses: the hub's WAN is 203.0.113.249 with LAN 10.88.0.0/24; spoke i
 * (1-based) has WAN 198.51.100.(9 + i) and LAN 172.16.i.0/24; the NAT's
 * public address is 203.0.113.3. Inner test packets are IPv4/UDP with an
 * 8-byte id as payload.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sim_internal.h"
#include "tcpsec/sa.h"

static const uint32_t HUB_WAN = 0xcb0071f9u; /* 203.0.113.249 */
static const uint32_t NAT_PUB = 0xcb007103u; /* 203.0.113.3 */
static const uint32_t HUB_LAN = 0x0a580000u; /* 10.88.0.0 */

void sim_options_default(sim_options *o) {
  memset(o, 0, sizeof(*o));
  o->seed = 1;
  o->spokes = 2;
  o->transport = TCPSEC_GW_TRANSPORT_TCP;
  o->hub_transport = TCPSEC_GW_TRANSPORT_UDP;
  o->nat = 1;
  o->auto_threshold_ms = 15000;
  o->dpd_interval_ms = 10000;
  o->nat_keepalive_ms = 20000;
}

static void ep_set(tcpsec_ike_endpoint *ep, uint32_t addr, uint16_t port) {
  memset(ep, 0, sizeof(*ep));
  ep->family = 4;
  ep->port = port;
  ep->addr[0] = (uint8_t)(addr >> 24);
  ep->addr[1] = (uint8_t)(addr >> 16);
  ep->addr[2] = (uint8_t)(addr >> 8);
  ep->addr[3] = (uint8_t)addr;
}

static uint32_t ep_addr(const tcpsec_ike_endpoint *ep) {
  return (uint32_t)ep->addr[0] << 24 | (uint32_t)ep->addr[1] << 16 |
         (uint32_t)ep->addr[2] << 8 | ep->addr[3];
}

static unsigned rnd(sim *s, unsigned n) {
  return n == 0 ? 0 : (unsigned)(test_rng_next(&s->rng) % n);
}

/* ---- event queue (binary heap on (at, order)) ------------------------ */

static int ev_before(const struct sim_ev *a, const struct sim_ev *b) {
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void ev_push(sim *s, struct sim_ev *ev) {
  size_t i;

  if (s->heap_len == s->heap_cap) {
    s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
    s->heap = realloc(s->heap, s->heap_cap * sizeof(*s->heap));
  }
  ev->order = s->order++;
  i = s->heap_len++;
  while (i > 0 && ev_before(ev, &s->heap[(i - 1) / 2])) {
    s->heap[i] = s->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  s->heap[i] = *ev;
}

static void ev_pop(sim *s, struct sim_ev *out) {
  struct sim_ev last;
  size_t i = 0;

  *out = s->heap[0];
  last = s->heap[--s->heap_len];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const struct sim_ev *best = &last;
    if (l < s->heap_len && ev_before(&s->heap[l], best)) {
      m = l;
      best = &s->heap[l];
    }
    if (r < s->heap_len && ev_before(&s->heap[r], best))
      m = r;
    if (m == i)
      break;
    s->heap[i] = s->heap[m];
    i = m;
  }
  if (s->heap_len > 0)
    s->heap[i] = last;
}

static void queue(sim *s, int kind, int node, uint64_t at, unsigned tcp,
                  const tcpsec_ike_endpoint *local,
                  const tcpsec_ike_endpoint *remote, const uint8_t *data,
                  size_t len) {
  struct sim_ev ev;

  memset(&ev, 0, sizeof(ev));
  ev.kind = kind;
  ev.node = node;
  ev.at = at;
  ev.tcp = tcp;
  if (local != NULL)
    ev.local = *local;
  if (remote != NULL)
    ev.remote = *remote;
  if (len > 0) {
    ev.data = malloc(len);
    memcpy(ev.data, data, len);
  }
  ev.len = len;
  ev_push(s, &ev);
}

/* Datagram semantics: loss, duplication and reordering apply. */
static void queue_datagram(sim *s, int kind, int node,
                           const tcpsec_ike_endpoint *local,
                           const tcpsec_ike_endpoint *remote,
                           const uint8_t *data, size_t len) {
  uint64_t at = s->now + SIM_LATENCY_MS;

  if (rnd(s, 100) < s->o.loss_pct)
    return;
  if (rnd(s, 100) < s->o.reorder_pct)
    at += 1 + rnd(s, 40);
  queue(s, kind, node, at, 0, local, remote, data, len);
  if (rnd(s, 100) < s->o.dup_pct)
    queue(s, kind, node, at + rnd(s, 20), 0, local, remote, data, len);
}

/* ---- NAT ---------------------------------------------------------------- */

/* A UDP mapping without outbound packets for nat_udp_idle_ms is
 * removed, as a NAT that refreshes its UDP timers only on outbound
 * packets does. Returns 1 when entry i was removed. */
static int nat_expire(sim *s, size_t i) {
  struct nat_entry *e = &s->nat[i];

  if (e->proto != 17 || s->o.nat_udp_idle_ms == 0 ||
      s->now - e->last_out_ms < s->o.nat_udp_idle_ms)
    return 0;
  s->nat_expired++;
  s->nat[i] = s->nat[--s->nat_count];
  return 1;
}

static uint16_t nat_out(sim *s, uint8_t proto, uint32_t addr, uint16_t port) {
  size_t i;

  for (i = 0; i < s->nat_count; i++)
    if (s->nat[i].proto == proto && s->nat[i].priv_addr == addr &&
        s->nat[i].priv_port == port) {
      if (nat_expire(s, i))
        break;
      s->nat[i].last_out_ms = s->now;
      return s->nat[i].pub_port;
    }
  if (s->nat_count == s->nat_cap) {
    s->nat_cap = s->nat_cap ? s->nat_cap * 2 : 256;
    s->nat = realloc(s->nat, s->nat_cap * sizeof(*s->nat));
  }
  s->nat[s->nat_count].proto = proto;
  s->nat[s->nat_count].priv_addr = addr;
  s->nat[s->nat_count].priv_port = port;
  s->nat[s->nat_count].last_out_ms = s->now;
  s->nat[s->nat_count].pub_port = s->nat_next_port++;
  if (s->nat_next_port < 20000)
    s->nat_next_port = 20000;
  return s->nat[s->nat_count++].pub_port;
}

static int nat_in(sim *s, uint8_t proto, uint16_t pub_port, uint32_t *addr,
                  uint16_t *port) {
  size_t i;

  for (i = 0; i < s->nat_count; i++)
    if (s->nat[i].proto == proto && s->nat[i].pub_port == pub_port) {
      if (nat_expire(s, i))
        return 0;
      *addr = s->nat[i].priv_addr;
      *port = s->nat[i].priv_port;
      return 1;
    }
  return 0;
}

void sim_nat_rebind(sim *s) { s->nat_count = 0; }

static int node_by_wan(const sim *s, uint32_t addr) {
  unsigned i;

  for (i = 0; i < s->node_count; i++)
    if (s->nodes[i].wan == addr)
      return (int)i;
  return -1;
}

/* ---- gateway callbacks -------------------------------------------------- */

/* Translate a spoke->hub flow: returns the hub's view of the source. */
static void outbound_view(sim *s, uint8_t proto,
                          const tcpsec_ike_endpoint *src,
                          tcpsec_ike_endpoint *seen) {
  *seen = *src;
  if (s->o.nat)
    ep_set(seen, NAT_PUB, nat_out(s, proto, ep_addr(src), src->port));
}

/* Translate a hub->spoke destination; returns the node or -1. */
static int inbound_view(sim *s, uint8_t proto, const tcpsec_ike_endpoint *dst,
                        tcpsec_ike_endpoint *real) {
  uint32_t addr;
  uint16_t port;

  *real = *dst;
  if (s->o.nat) {
    if (ep_addr(dst) != NAT_PUB || !nat_in(s, proto, dst->port, &addr, &port))
      return -1;
    ep_set(real, addr, port);
  }
  return node_by_wan(s, ep_addr(real));
}

/* NAT keepalive (RFC 3948 section 2.3) sent by node n. */
static void count_keepalive(struct sim_node *n) {
  sim_keepalives *k = &n->keepalives;
  uint64_t now = n->s->now;

  if (k->count > 0) {
    uint64_t gap = now - k->last_ms;
    if (k->count == 1 || gap < k->min_gap_ms)
      k->min_gap_ms = gap;
    if (gap > k->max_gap_ms)
      k->max_gap_ms = gap;
  } else {
    k->first_ms = now;
  }
  k->last_ms = now;
  k->count++;
}

static int cb_udp_send(void *user, const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote, const uint8_t *data,
                       size_t len) {
  struct sim_node *n = user;
  sim *s = n->s;
  tcpsec_ike_endpoint src, dst;
  int target;

  if (s->o.block_udp)
    return 0; /* the carrier drops it silently */
  if (n->index != SIM_HUB) {
    if (len == 1 && data[0] == 0xff)
      count_keepalive(n);
    if (ep_addr(remote) != HUB_WAN)
      return 0;
    outbound_view(s, 17, local, &src);
    queue_datagram(s, EV_UDP, SIM_HUB, remote, &src, data, len);
    return 0;
  }
  target = inbound_view(s, 17, remote, &dst);
  if (target < 0)
    return 0;
  queue_datagram(s, EV_UDP, target, &dst, local, data, len);
  return 0;
}

static int cb_esp_send(void *user, const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote, const uint8_t *data,
                       size_t len) {
  struct sim_node *n = user;
  sim *s = n->s;
  int target;

  if (s->o.nat || s->o.block_udp)
    return 0; /* the NAT and the carrier drop ESP */
  target = node_by_wan(s, ep_addr(remote));
  if (target < 0)
    return 0;
  queue_datagram(s, EV_ESP, target, remote, local, data, len);
  return 0;
}

static struct sim_tcp *tcp_find(sim *s, int node, tcpsec_gw_conn h,
                                unsigned *index) {
  size_t i;

  for (i = 0; i < s->tcp_count; i++) {
    struct sim_tcp *t = &s->tcps[i];
    if (!t->alive)
      continue;
    if ((node == SIM_HUB && t->s_handle == h) ||
        (node != SIM_HUB && t->client == node && t->c_handle == h)) {
      if (index != NULL)
        *index = (unsigned)i;
      return t;
    }
  }
  return NULL;
}

static int cb_tcp_open(void *user, tcpsec_gw_conn conn,
                       const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote) {
  struct sim_node *n = user;
  sim *s = n->s;
  struct sim_tcp *t;

  if (n->index == SIM_HUB || ep_addr(remote) != HUB_WAN)
    return -1;
  if (n->attempt_count < SIM_MAX_ATTEMPTS)
    n->attempts[n->attempt_count] = s->now;
  n->attempt_count++;
  if (s->tcp_count == s->tcp_cap) {
    s->tcp_cap = s->tcp_cap ? s->tcp_cap * 2 : 64;
    s->tcps = realloc(s->tcps, s->tcp_cap * sizeof(*s->tcps));
  }
  t = &s->tcps[s->tcp_count];
  memset(t, 0, sizeof(*t));
  t->alive = 1;
  t->client = n->index;
  t->c_handle = conn;
  t->c_ep = *local;
  t->c_ep.port = s->next_ephemeral++;
  if (s->next_ephemeral < 40000)
    s->next_ephemeral = 40000;
  t->s_ep = *remote;
  outbound_view(s, 6, &t->c_ep, &t->pub_ep);
  t->isn_c = (uint32_t)test_rng_next(&s->rng);
  t->isn_s = (uint32_t)test_rng_next(&s->rng);
  /* A refused connection: the RST comes back after one trip. */
  queue(s, s->refuse_tcp ? EV_TCP_REFUSED : EV_TCP_CONNECT,
        s->refuse_tcp ? t->client : SIM_HUB, s->now + SIM_LATENCY_MS,
        (unsigned)s->tcp_count, NULL, NULL, NULL, 0);
  s->tcp_count++;
  return 0;
}

static int cb_tcp_send(void *user, tcpsec_gw_conn conn, const uint8_t *data,
                       size_t len) {
  struct sim_node *n = user;
  sim *s = n->s;
  unsigned idx;
  struct sim_tcp *t = tcp_find(s, n->index, conn, &idx);
  int to_hub = n->index != SIM_HUB;
  uint64_t *last;
  size_t off = 0;

  if (t == NULL)
    return -1;
  last = to_hub ? &t->c_last : &t->s_last;
  while (off < len) {
    size_t piece = len - off;
    uint64_t at = s->now + SIM_LATENCY_MS;
    if (s->o.split_tcp && piece > 1)
      piece = 1 + rnd(s, (unsigned)TCPSEC_MIN(piece, 3000));
    if (at < *last)
      at = *last;
    *last = at;
    queue(s, EV_TCP_DATA, to_hub ? SIM_HUB : t->client, at, idx, NULL, NULL,
          data + off, piece);
    off += piece;
  }
  return 0;
}

static void cb_tcp_close(void *user, tcpsec_gw_conn conn) {
  struct sim_node *n = user;
  sim *s = n->s;
  unsigned idx;
  struct sim_tcp *t = tcp_find(s, n->index, conn, &idx);

  if (t == NULL)
    return;
  t->alive = 0;
  /* The other end sees the FIN after the data in flight. */
  queue(s, EV_TCP_CLOSE, n->index == SIM_HUB ? t->client : SIM_HUB,
        TCPSEC_MAX(s->now + SIM_LATENCY_MS,
                   n->index == SIM_HUB ? t->s_last : t->c_last),
        idx, NULL, NULL, NULL, 0);
}

/* Build an IPv4 + TCP segment (no options) with valid checksums. */
static size_t build_segment(uint8_t *out, size_t cap,
                            const tcpsec_ike_endpoint *src,
                            const tcpsec_ike_endpoint *dst, uint32_t seq,
                            uint32_t ack, uint8_t flags, const uint8_t *payload,
                            size_t len) {
  tcpsec_segment_info info;
  size_t total = 40 + len;
  uint32_t sum = 0;
  size_t i;

  (void)info;
  if (total > cap)
    return 0;
  memset(out, 0, 40);
  out[0] = 0x45;
  out[2] = (uint8_t)(total >> 8);
  out[3] = (uint8_t)total;
  out[6] = 0x40;
  out[8] = 64;
  out[9] = 6;
  memcpy(out + 12, src->addr, 4);
  memcpy(out + 16, dst->addr, 4);
  for (i = 0; i < 20; i += 2)
    sum += (uint32_t)(out[i] << 8 | out[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  out[10] = (uint8_t)(~sum >> 8);
  out[11] = (uint8_t)~sum;
  out[20] = (uint8_t)(src->port >> 8);
  out[21] = (uint8_t)src->port;
  out[22] = (uint8_t)(dst->port >> 8);
  out[23] = (uint8_t)dst->port;
  out[24] = (uint8_t)(seq >> 24);
  out[25] = (uint8_t)(seq >> 16);
  out[26] = (uint8_t)(seq >> 8);
  out[27] = (uint8_t)seq;
  out[28] = (uint8_t)(ack >> 24);
  out[29] = (uint8_t)(ack >> 16);
  out[30] = (uint8_t)(ack >> 8);
  out[31] = (uint8_t)ack;
  out[32] = 0x50;
  out[33] = flags;
  out[34] = 0xff;
  out[35] = 0xff;
  if (len > 0)
    memcpy(out + 40, payload, len);
  /* TCP checksum over the pseudo-header and the segment. */
  sum = 0;
  for (i = 12; i < 20; i += 2)
    sum += (uint32_t)(out[i] << 8 | out[i + 1]);
  sum += 6 + (uint32_t)(20 + len);
  for (i = 20; i + 1 < total; i += 2)
    sum += (uint32_t)(out[i] << 8 | out[i + 1]);
  if (total & 1)
    sum += (uint32_t)(out[total - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  out[36] = (uint8_t)(~sum >> 8);
  out[37] = (uint8_t)~sum;
  return total;
}

static int cb_raw_send(void *user, tcpsec_gw_conn conn, const uint8_t *packet,
                       size_t len) {
  struct sim_node *n = user;
  sim *s = n->s;
  struct sim_tcp *t = tcp_find(s, n->index, conn, NULL);
  tcpsec_segment_info info;
  size_t plen;

  if (t == NULL)
    return -1;
  tcpsec_segment_info_default(&info);
  if (tcpsec_segment_parse(packet, len, TCPSEC_SEGMENT_PARSE_IP, &info) != 0)
    return -1;
  /* Rewrite addresses as the NAT would and deliver as a datagram. */
  if (n->index == SIM_HUB)
    plen = build_segment(s->raw, sizeof(s->raw), &t->s_ep, &t->c_ep, info.seq,
                         info.ack, info.flags, info.payload, info.payload_len);
  else
    plen = build_segment(s->raw, sizeof(s->raw), &t->pub_ep, &t->s_ep,
                         info.seq, info.ack, info.flags, info.payload,
                         info.payload_len);
  queue_datagram(s, EV_RAW, n->index == SIM_HUB ? t->client : SIM_HUB, NULL,
                 NULL, s->raw, plen);
  return 0;
}

static uint32_t packet_dst(const uint8_t *p) {
  return (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 |
         p[19];
}

static void cb_deliver(void *user, const char *instance, const uint8_t *pkt,
                       size_t len) {
  struct sim_node *n = user;
  sim *s = n->s;
  uint32_t dst;
  uint64_t id;
  unsigned j;

  (void)instance;
  if (len < 36 || (pkt[0] >> 4) != 4) {
    s->counts.misdelivered++;
    return;
  }
  dst = packet_dst(pkt) & 0xffffff00u;
  if (dst != n->lan) {
    /* The hub routes spoke-to-spoke traffic back into the tunnels, as the
     * kernel would; not from inside the callback. */
    if (n->index == SIM_HUB) {
      for (j = 1; j < s->node_count; j++)
        if (s->nodes[j].lan == dst) {
          queue(s, EV_INNER, SIM_HUB, s->now, 0, NULL, NULL, pkt, len);
          return;
        }
    }
    s->counts.misdelivered++;
    return;
  }
  memcpy(&id, pkt + 28, 8);
  if (id >= SIM_MAX_IDS) {
    s->counts.misdelivered++;
    return;
  }
  if (s->seen[id]) {
    s->counts.duplicates++;
    return;
  }
  s->seen[id] = 1;
  s->counts.delivered++;
}

static void cb_event(void *user, const tcpsec_gw_event *ev) {
  struct sim_node *n = user;

  if (ev->type == TCPSEC_GW_EVENT_NEGOTIATION_FAILED) {
    n->failures++;
    n->last_failure_reason = ev->reason;
  }
  if (n->index == SIM_HUB)
    return;
  if (ev->type == TCPSEC_GW_EVENT_TUNNEL_UP)
    n->up = 1;
  else if (ev->type == TCPSEC_GW_EVENT_TUNNEL_DOWN)
    n->up = 0;
}

/* ---- construction ------------------------------------------------------- */

static void ts_prefix(tcpsec_ike_traffic_selector *ts, uint32_t net,
                      unsigned plen) {
  uint32_t mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
  uint32_t first = net & mask, last = first | ~mask;

  memset(ts, 0, sizeof(*ts));
  ts->family = 4;
  ts->end_port = 65535;
  ts->start_addr[0] = (uint8_t)(first >> 24);
  ts->start_addr[1] = (uint8_t)(first >> 16);
  ts->start_addr[2] = (uint8_t)(first >> 8);
  ts->start_addr[3] = (uint8_t)first;
  ts->end_addr[0] = (uint8_t)(last >> 24);
  ts->end_addr[1] = (uint8_t)(last >> 16);
  ts->end_addr[2] = (uint8_t)(last >> 8);
  ts->end_addr[3] = (uint8_t)last;
}

static const uint8_t sim_psk[] = "sim pre-shared key, not for production";

/* Allocator of a node's context that counts live blocks, so that a test
 * can check that many rekeys leave no memory behind. */
static void *count_malloc(size_t size, void *user) {
  struct sim_node *n = user;
  void *p = malloc(size);

  if (p != NULL)
    n->live_blocks++;
  return p;
}

static void *count_realloc(void *ptr, size_t size, void *user) {
  struct sim_node *n = user;
  void *p = realloc(ptr, size);

  if (p != NULL && ptr == NULL)
    n->live_blocks++;
  return p;
}

static void count_free(void *ptr, void *user) {
  struct sim_node *n = user;

  n->live_blocks--;
  free(ptr);
}

static void sim_log(void *user, tcpsec_log_level level, const char *subsystem,
                    const char *message) {
  struct sim_node *n = user;

  fprintf(stderr, "%8llu node %d %d %s: %s\n",
          (unsigned long long)n->s->now, n->index, (int)level, subsystem,
          message);
}

/* Context with the deterministic random source and the counting
 * allocator; SIM_LOG in the environment logs everything to stderr. */
static tcpsec_ctx *node_ctx(struct sim_node *n, uint64_t seed) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;

  test_rng_seed(&n->rng, seed);
  tcpsec_ctx_config_default(&cfg);
  cfg.random = test_rng_fill;
  cfg.random_user = &n->rng;
  cfg.allocator.malloc_fn = count_malloc;
  cfg.allocator.realloc_fn = count_realloc;
  cfg.allocator.free_fn = count_free;
  cfg.allocator.user = n;
  if (getenv("SIM_LOG") != NULL) {
    cfg.log = sim_log;
    cfg.log_user = n;
    cfg.log_level = TCPSEC_LOG_DEBUG;
  }
  if (tcpsec_ctx_new(&cfg, &ctx) != 0)
    return NULL;
  return ctx;
}

static uint64_t cb_wall_clock(void *user) {
  const struct sim_node *n = user;

  return n->s->o.wall_clock_s;
}

static int spoke_has_pfs(const sim *s, unsigned i) {
  return s->o.pfs_group != 0 &&
         (s->o.pfs_spokes == 1 || (s->o.pfs_spokes == 2 && i % 2 == 1));
}

static int node_init(sim *s, unsigned i) {
  struct sim_node *n = &s->nodes[i];
  tcpsec_gw_tunnel_config t;
  tcpsec_gw_callbacks cb;
  tcpsec_ike_traffic_selector lts, rts;
  int rv;

  n->s = s;
  n->index = (int)i;
  n->ctx = node_ctx(n, s->o.seed * 1000003u + i);
  if (n->ctx == NULL)
    return -1;
  tcpsec_gw_callbacks_default(&cb);
  cb.udp_send = cb_udp_send;
  cb.esp_send = cb_esp_send;
  cb.tcp_open = cb_tcp_open;
  cb.tcp_send = cb_tcp_send;
  cb.tcp_close = cb_tcp_close;
  cb.raw_send = cb_raw_send;
  cb.deliver = cb_deliver;
  cb.event = cb_event;
  if (s->o.wall_clock_s != 0)
    cb.wall_clock = cb_wall_clock;
  cb.user = n;
  rv = tcpsec_gw_new(n->ctx, NULL, &cb, &n->gw);
  if (rv != 0)
    return rv;

  tcpsec_gw_tunnel_config_default(&t);
  t.psk = sim_psk;
  t.psk_len = sizeof(sim_psk) - 1;
  t.tcp_port = 1443;
  t.fortinet_esp = (uint8_t)s->o.fortinet_esp;
  t.auto_transport_threshold_ms = s->o.auto_threshold_ms;
  t.ike_proposals = s->o.ike_proposal;
  t.esp_proposals = s->o.esp_proposal;
  t.dh_groups = s->o.groups;
  t.dh_group_count = s->o.group_count;
  t.dpd_interval_ms = s->o.dpd_interval_ms;
  t.nat_keepalive_ms = s->o.nat_keepalive_ms;
  if (s->o.ike_lifetime_ms != 0)
    t.ike_lifetime_ms = s->o.ike_lifetime_ms;
  t.ike_rekey_ms = s->o.ike_rekey_ms;
  if (s->o.child_lifetime_ms != 0)
    t.child_lifetime_ms = s->o.child_lifetime_ms;
  t.child_rekey_ms = s->o.child_rekey_ms;
  t.child_lifetime_bytes = s->o.child_lifetime_bytes;
  t.child_rekey_bytes = s->o.child_rekey_bytes;
  t.child_lifetime_packets = s->o.child_lifetime_packets;
  t.child_rekey_packets = s->o.child_rekey_packets;
  t.rekey = (uint8_t)!s->o.no_rekey;
  if (s->o.tcp_reconnect_ms != 0)
    t.tcp_reconnect_ms = s->o.tcp_reconnect_ms;
  if (s->o.tcp_reconnect_max_ms != 0)
    t.tcp_reconnect_max_ms = s->o.tcp_reconnect_max_ms;
  if (i != SIM_HUB && spoke_has_pfs(s, i)) {
    t.pfs_groups = &s->o.pfs_group;
    t.pfs_group_count = 1;
  }
  if (i == SIM_HUB) {
    n->wan = HUB_WAN;
    n->lan = HUB_LAN;
    t.name = "Hub";
    t.type = TCPSEC_GW_DYNAMIC;
    t.transport = (uint8_t)s->o.hub_transport;
    ep_set(&t.local, HUB_WAN, 0);
    ts_prefix(&lts, 0, 0);
    ts_prefix(&rts, 0, 0);
  } else {
    n->wan = 0xc6336409u + i; /* 198.51.100.(9 + i) */
    n->lan = 0xac100000u | (i << 8);
    t.name = "spoke";
    t.transport = (uint8_t)s->o.transport;
    ep_set(&t.local, n->wan, 0);
    ep_set(&t.remote_gw, HUB_WAN, 0);
    ts_prefix(&lts, n->lan, 24);
    ts_prefix(&rts, 0, 0);
  }
  t.local_ts = &lts;
  t.local_ts_count = 1;
  t.remote_ts = &rts;
  t.remote_ts_count = 1;
  if (s->o.tunnel_hook != NULL)
    s->o.tunnel_hook(s->o.hook_user, i, &t);
  return tcpsec_gw_add_tunnel(n->gw, &t);
}

sim *sim_new(const sim_options *o) {
  sim *s;
  unsigned i;
  int rv;

  if (o->spokes + 1 > SIM_MAX_NODES)
    return NULL;
  s = calloc(1, sizeof(*s));
  s->o = *o;
  test_rng_seed(&s->rng, o->seed);
  s->nat_next_port = 20000;
  s->next_ephemeral = 40000;
  s->seen = calloc(SIM_MAX_IDS, 1);
  s->node_count = o->spokes + 1;
  for (i = 0; i < s->node_count; i++) {
    rv = node_init(s, i);
    if (rv != 0) {
      fprintf(stderr, "sim: node %u: %s\n", i, tcpsec_strerror(rv));
      sim_free(s);
      return NULL;
    }
  }
  return s;
}

void sim_free(sim *s) {
  unsigned i;

  if (s == NULL)
    return;
  for (i = 0; i < s->node_count; i++) {
    tcpsec_gw_free(s->nodes[i].gw);
    tcpsec_ctx_free(s->nodes[i].ctx);
  }
  while (s->heap_len > 0) {
    struct sim_ev ev;
    ev_pop(s, &ev);
    free(ev.data);
  }
  free(s->heap);
  free(s->tcps);
  free(s->nat);
  free(s->seen);
  free(s);
}

/* ---- running ------------------------------------------------------------ */

static void send_inner(sim *s, int node, const uint8_t *pkt, size_t len) {
  size_t headroom = TCPSEC_GW_HEADROOM;
  int rv;

  memcpy(s->buf + headroom, pkt, len);
  rv = tcpsec_gw_send_packet(s->nodes[node].gw, s->buf, headroom, len,
                             sizeof(s->buf), s->now);
  if (rv != 0)
    s->counts.send_errors++;
}

static void process(sim *s, struct sim_ev *ev) {
  struct sim_node *n = &s->nodes[ev->node];
  struct sim_tcp *t = ev->kind == EV_TCP_CONNECT || ev->kind == EV_TCP_DATA ||
                              ev->kind == EV_TCP_CLOSE ||
                              ev->kind == EV_TCP_REFUSED
                          ? &s->tcps[ev->tcp]
                          : NULL;
  uint8_t seg[SIM_BUF];
  size_t plen;

  switch (ev->kind) {
  case EV_UDP:
    (void)tcpsec_gw_udp_input(n->gw, &ev->local, &ev->remote, ev->data,
                              ev->len, s->now);
    break;
  case EV_ESP:
    (void)tcpsec_gw_esp_input(n->gw, &ev->local, &ev->remote, ev->data,
                              ev->len, s->now);
    break;
  case EV_TCP_CONNECT:
    if (!t->alive)
      break;
    if (tcpsec_gw_tcp_accept(s->nodes[SIM_HUB].gw, &t->s_ep, &t->pub_ep,
                             s->now, &t->s_handle) != 0) {
      t->alive = 0;
      (void)tcpsec_gw_tcp_closed(s->nodes[t->client].gw, t->c_handle, s->now);
      break;
    }
    (void)tcpsec_gw_tcp_connected(s->nodes[t->client].gw, t->c_handle,
                                  &t->c_ep, &t->s_ep, s->now);
    break;
  case EV_TCP_DATA:
    if (!t->alive)
      break;
    if (ev->node == SIM_HUB) {
      (void)tcpsec_gw_tcp_input(n->gw, t->s_handle, ev->data, ev->len, s->now);
      if (s->o.fortinet_esp) {
        /* What the hub's packet socket sees: the data segment; and what
         * the spoke's sees: the hub's ACK for it. */
        plen = build_segment(seg, sizeof(seg), &t->pub_ep, &t->s_ep,
                             t->isn_c + t->c_sent, t->isn_s + t->s_sent, 0x18,
                             ev->data, ev->len);
        (void)tcpsec_gw_raw_input(n->gw, seg, plen, s->now);
        t->c_sent += (uint32_t)ev->len;
        plen = build_segment(seg, sizeof(seg), &t->s_ep, &t->c_ep,
                             t->isn_s + t->s_sent, t->isn_c + t->c_sent, 0x10,
                             NULL, 0);
        (void)tcpsec_gw_raw_input(s->nodes[t->client].gw, seg, plen, s->now);
      }
    } else {
      (void)tcpsec_gw_tcp_input(n->gw, t->c_handle, ev->data, ev->len, s->now);
      if (s->o.fortinet_esp) {
        plen = build_segment(seg, sizeof(seg), &t->s_ep, &t->c_ep,
                             t->isn_s + t->s_sent, t->isn_c + t->c_sent, 0x18,
                             ev->data, ev->len);
        (void)tcpsec_gw_raw_input(n->gw, seg, plen, s->now);
        t->s_sent += (uint32_t)ev->len;
        plen = build_segment(seg, sizeof(seg), &t->pub_ep, &t->s_ep,
                             t->isn_c + t->c_sent, t->isn_s + t->s_sent, 0x10,
                             NULL, 0);
        (void)tcpsec_gw_raw_input(s->nodes[SIM_HUB].gw, seg, plen, s->now);
      }
    }
    break;
  case EV_TCP_REFUSED:
    if (!t->alive)
      break;
    t->alive = 0;
    (void)tcpsec_gw_tcp_closed(n->gw, t->c_handle, s->now);
    break;
  case EV_TCP_CLOSE:
    (void)tcpsec_gw_tcp_closed(n->gw,
                               ev->node == SIM_HUB ? t->s_handle : t->c_handle,
                               s->now);
    break;
  case EV_RAW:
    (void)tcpsec_gw_raw_input(n->gw, ev->data, ev->len, s->now);
    break;
  case EV_INNER:
    send_inner(s, ev->node, ev->data, ev->len);
    break;
  }
}

void sim_start(sim *s) {
  unsigned i;

  for (i = 0; i < s->node_count; i++)
    (void)tcpsec_gw_start(s->nodes[i].gw, s->now);
}

uint64_t sim_now(const sim *s) { return s->now; }

void sim_run_until(sim *s, uint64_t until_ms) {
  unsigned long guard = 0;

  for (;;) {
    uint64_t next = UINT64_MAX;
    unsigned i;

    if (s->heap_len > 0)
      next = s->heap[0].at;
    for (i = 0; i < s->node_count; i++) {
      uint64_t t = tcpsec_gw_next_timeout(s->nodes[i].gw);
      if (t < next)
        next = t;
    }
    if (next > until_ms)
      break;
    if (next > s->now)
      s->now = next;
    while (s->heap_len > 0 && s->heap[0].at <= s->now) {
      struct sim_ev ev;
      ev_pop(s, &ev);
      process(s, &ev);
      free(ev.data);
    }
    for (i = 0; i < s->node_count; i++)
      if (tcpsec_gw_next_timeout(s->nodes[i].gw) <= s->now)
        (void)tcpsec_gw_handle_timeout(s->nodes[i].gw, s->now);
    if (++guard > 50000000ul) {
      fprintf(stderr, "sim: no progress at %llu ms\n",
              (unsigned long long)s->now);
      break;
    }
  }
  s->now = until_ms;
}

/* ---- traffic ------------------------------------------------------------ */

static size_t build_inner(sim *s, uint8_t *p, uint32_t src, uint32_t dst) {
  uint64_t id = s->next_id++;
  uint32_t sum = 0;
  size_t i;

  memset(p, 0, 36);
  p[0] = 0x45;
  p[3] = 36;
  p[8] = 64;
  p[9] = 17;
  p[12] = (uint8_t)(src >> 24);
  p[13] = (uint8_t)(src >> 16);
  p[14] = (uint8_t)(src >> 8);
  p[15] = (uint8_t)src;
  p[16] = (uint8_t)(dst >> 24);
  p[17] = (uint8_t)(dst >> 16);
  p[18] = (uint8_t)(dst >> 8);
  p[19] = (uint8_t)dst;
  for (i = 0; i < 20; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  p[10] = (uint8_t)(~sum >> 8);
  p[11] = (uint8_t)~sum;
  p[20] = 0x30;
  p[21] = 0x39; /* source port 12345 */
  p[22] = 0x00;
  p[23] = 0x35; /* destination port 53 */
  p[25] = 16;   /* UDP length */
  memcpy(p + 28, &id, 8);
  return 36;
}

static void send_many(sim *s, int from, uint32_t src, uint32_t dst,
                      unsigned count) {
  uint8_t pkt[64];
  unsigned k;

  for (k = 0; k < count; k++) {
    size_t len = build_inner(s, pkt, src, dst);
    s->counts.sent++;
    send_inner(s, from, pkt, len);
  }
}

void sim_send_spoke_to_hub(sim *s, unsigned i, unsigned count) {
  send_many(s, (int)i, s->nodes[i].lan | 10, HUB_LAN | 10, count);
}

void sim_send_hub_to_spoke(sim *s, unsigned i, unsigned count) {
  send_many(s, SIM_HUB, HUB_LAN | 10, s->nodes[i].lan | 10, count);
}

void sim_send_spoke_to_spoke(sim *s, unsigned i, unsigned j, unsigned count) {
  send_many(s, (int)i, s->nodes[i].lan | 10, s->nodes[j].lan | 10, count);
}

void sim_get_counts(const sim *s, sim_counts *c) { *c = s->counts; }

void sim_reset_counts(sim *s) { memset(&s->counts, 0, sizeof(s->counts)); }

void sim_set_impairments(sim *s, unsigned loss, unsigned dup, unsigned reorder,
                         int split_tcp) {
  s->o.loss_pct = loss;
  s->o.dup_pct = dup;
  s->o.reorder_pct = reorder;
  s->o.split_tcp = split_tcp;
}

void sim_reset_tcp(sim *s, unsigned i) {
  size_t k;

  for (k = 0; k < s->tcp_count; k++) {
    struct sim_tcp *t = &s->tcps[k];
    if (!t->alive || t->client != (int)i)
      continue;
    t->alive = 0;
    (void)tcpsec_gw_tcp_closed(s->nodes[i].gw, t->c_handle, s->now);
    if (t->s_handle != 0)
      (void)tcpsec_gw_tcp_closed(s->nodes[SIM_HUB].gw, t->s_handle, s->now);
  }
}

void sim_set_block_udp(sim *s, int block) { s->o.block_udp = block; }

int sim_spoke_ike_state(const sim *s, unsigned i) {
  static const uint8_t zero[8] = {0};
  tcpsec_gw_ike_status st;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (tcpsec_gw_get_ike_status(s->nodes[i].gw, 0, s->now, &st) != 0)
    return -1;
  /* An instance without IKE SA reports state 0 and SPI 0. */
  if (st.state == 0 && memcmp(st.spi_i, zero, sizeof(zero)) == 0)
    return -1;
  return st.state;
}

unsigned sim_tunnels_up(const sim *s) {
  unsigned i, up = 0;

  for (i = 1; i < s->node_count; i++)
    up += s->nodes[i].up ? 1u : 0u;
  return up;
}

int sim_spoke_transport(const sim *s, unsigned i) {
  tcpsec_gw_ike_status st;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (tcpsec_gw_get_ike_status(s->nodes[i].gw, 0, s->now, &st) != 0)
    return -1;
  return st.transport;
}

unsigned sim_failures(const sim *s, unsigned node, int *last_reason) {
  *last_reason = s->nodes[node].last_failure_reason;
  return s->nodes[node].failures;
}

tcpsec_gw *sim_gateway(const sim *s, unsigned node) {
  return s->nodes[node].gw;
}

unsigned sim_hub_instances(const sim *s) {
  tcpsec_gw_ike_status st;
  size_t i, n = tcpsec_gw_instance_count(s->nodes[SIM_HUB].gw);
  unsigned count = 0;

  for (i = 0; i < n; i++) {
    memset(&st, 0, sizeof(st));
    st.size = sizeof(st);
    if (tcpsec_gw_get_ike_status(s->nodes[SIM_HUB].gw, i, s->now, &st) == 0 &&
        st.state == TCPSEC_IKE_SA_ESTABLISHED)
      count++;
  }
  return count;
}

size_t sim_total_children(const sim *s) {
  tcpsec_gw_ike_status st;
  size_t total = 0, i, k;

  for (k = 0; k < s->node_count; k++) {
    size_t n = tcpsec_gw_instance_count(s->nodes[k].gw);
    for (i = 0; i < n; i++) {
      memset(&st, 0, sizeof(st));
      st.size = sizeof(st);
      if (tcpsec_gw_get_ike_status(s->nodes[k].gw, i, s->now, &st) == 0)
        total += st.child_count;
    }
  }
  return total;
}

int sim_check_invariants(const sim *s) {
  size_t children = sim_total_children(s);

  if (s->counts.duplicates != 0 || s->counts.misdelivered != 0) {
    fprintf(stderr, "sim invariant: %llu duplicates, %llu misdelivered\n",
            (unsigned long long)s->counts.duplicates,
            (unsigned long long)s->counts.misdelivered);
    return -1;
  }
  /* Each spoke has at most a few Child SAs, and so has its hub instance. */
  if (children > (size_t)(s->node_count - 1) * 2 * GW_SIM_MAX_CHILDREN) {
    fprintf(stderr, "sim invariant: %zu Child SAs installed\n", children);
    return -1;
  }
  /* A deadline filed later than due would be missed. */
  if (sim_timer_errors(s) != 0) {
    fprintf(stderr, "sim invariant: %zu instances with a late deadline\n",
            sim_timer_errors(s));
    return -1;
  }
  return 0;
}
