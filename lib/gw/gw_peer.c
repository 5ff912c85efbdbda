/*
 * Tunnel instances: one per peer, holding the IKE SA, its Child SAs, the
 * transport in use and the instance's timers.
 *
 * Timer rules, all per instance (gw_timer.c keeps their minimum, with the
 * IKE SA's own next timeout, in the gateway's heap):
 * - retry_at: a static tunnel without IKE SA starts one (at start, and
 *   GW_RETRY_MS after a failure or deletion).
 * - fallback_at: transport auto gave UDP this long without an IKE_SA_INIT
 *   response. The IKE SA is dropped and a new one starts on TCP with new
 *   SPIs (RFC 9329 section 5.1).
 * - reconnect_at: a static tunnel on TCP lost its connection or failed to
 *   connect. A new connection is opened and the IKE SA continues on it
 *   (RFC 9329 section 6.1). Failed attempts back off exponentially
 *   (gw_conn_schedule_reconnect()).
 * - keepalive_at: on UDP port 4500 behind a NAT, a NAT keepalive when
 *   nothing else was sent for the interval (RFC 3948 section 4).
 * - reap_at: a failed or deleted IKE SA (and a dial-up instance without
 *   one) is freed, after a short linger so late retransmissions still find
 *   their IKE SA.
 * - recreate_at: a static tunnel's established IKE SA lost its last Child
 *   SA because it expired or the peer deleted it. A new one is negotiated
 *   with CREATE_CHILD_SA, and requested again GW_RECREATE_RETRY_MS later
 *   while none arrives.
 * - child_work: an ESP SA reported a lifetime event from inside a packet
 *   call; the instance is due at once so the event is acted on.
 */
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

void gw_peer_log(const struct gw_peer *peer, tcpsec_log_level level,
                 const char *fmt, ...) {
  char line[400];
  va_list ap;

  if (!tcpsec_log_enabled(peer->gw->ctx, level))
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  tcpsec_log(peer->gw->ctx, level, "gw", "%s: %s", peer->name, line);
}

struct gw_peer *gw_peer_new(struct tcpsec_gw *gw, struct gw_tunnel *t,
                            uint64_t now_ms) {
  struct gw_peer *peer, **list;

  if (gw->peer_count >= gw->cfg.max_instances) {
    tcpsec_log(gw->ctx, TCPSEC_LOG_WARNING, "gw",
               "tunnel \"%s\": %u instances exist, the configured maximum; "
               "peer rejected", t->name, (unsigned)gw->cfg.max_instances);
    return NULL;
  }
  if (gw->peer_count == gw->peer_cap) {
    size_t cap = gw->peer_cap ? gw->peer_cap * 2 : 16;
    list = tcpsec_realloc(gw->ctx, gw->peers, cap * sizeof(*list));
    if (list == NULL)
      return NULL;
    gw->peers = list;
    gw->peer_cap = cap;
  }
  peer = tcpsec_calloc(gw->ctx, 1, sizeof(*peer));
  if (peer == NULL)
    return NULL;
  peer->gw = gw;
  peer->tunnel = t;
  if (t->cfg.type == TCPSEC_GW_STATIC) {
    snprintf(peer->name, sizeof(peer->name), "%s", t->name);
    peer->initiator = 1;
    t->static_peer = peer;
  } else {
    snprintf(peer->name, sizeof(peer->name), "%.*s_%u",
             TCPSEC_GW_NAME_MAX - 11, t->name, (unsigned)t->next_instance++);
  }
  peer->local = t->cfg.local;
  peer->remote = t->cfg.remote_gw;
  peer->fallback_at = UINT64_MAX;
  peer->retry_at = UINT64_MAX;
  peer->reconnect_at = UINT64_MAX;
  peer->keepalive_at = UINT64_MAX;
  peer->reap_at = UINT64_MAX;
  peer->recreate_at = UINT64_MAX;
  peer->timer_index = GW_NOT_QUEUED;
  peer->created_ms = now_ms;
  if (t->cfg.transport == TCPSEC_GW_TRANSPORT_TCP)
    peer->transport = t->cfg.fortinet_esp ? TCPSEC_GW_ON_TCP_SEGMENTS
                                          : TCPSEC_GW_ON_TCP;
  else
    peer->transport = TCPSEC_GW_ON_UDP;
  peer->index = gw->peer_count;
  gw->peers[gw->peer_count++] = peer;
  gw_peer_touch(peer);
  return peer;
}

static void unlink_dirty(struct gw_peer *peer) {
  struct gw_peer **p = &peer->gw->dirty;

  if (!peer->dirty)
    return;
  while (*p != NULL && *p != peer)
    p = &(*p)->dirty_next;
  if (*p == peer)
    *p = peer->dirty_next;
  peer->dirty = 0;
}

void gw_peer_free(struct gw_peer *peer) {
  struct tcpsec_gw *gw;
  size_t i;

  if (peer == NULL)
    return;
  gw = peer->gw;
  gw_peer_drop_ike(peer);
  gw_timer_remove(gw, peer);
  unlink_dirty(peer);
  if (peer->tunnel->static_peer == peer)
    peer->tunnel->static_peer = NULL;
  for (i = 0; i < gw->conn_cap; i++)
    if (gw->conns[i].id != 0 && gw->conns[i].peer == peer)
      gw->conns[i].peer = NULL;
  tcpsec_free_secret(gw->ctx, peer, sizeof(*peer));
}

/* Keep the rekey counters of an IKE SA that is about to be freed. */
static void keep_counters(struct gw_peer *peer) {
  tcpsec_ike_sa_stats st;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (tcpsec_ike_sa_get_stats(peer->ike, &st) != 0)
    return;
  peer->past_ike_rekeys += st.ike_rekeys;
  peer->past_child_rekeys += st.child_rekeys;
  peer->past_rekey_collisions += st.rekey_collisions;
  peer->past_create_child_refused += st.create_child_refused;
}

void gw_peer_drop_ike(struct gw_peer *peer) {
  size_t i;

  for (i = 0; i < peer->child_count; i++) {
    (void)tcpsec_sad_remove(peer->gw->sad, peer->children[i].spi_in);
    gw_spi_map_del(peer->gw, peer->children[i].spi_in);
  }
  peer->child_count = 0;
  peer->child_work = 0;
  gw_peer_forget_spis(peer);
  if (peer->ike != NULL)
    keep_counters(peer);
  tcpsec_ike_sa_free(peer->ike);
  peer->ike = NULL;
}

uint64_t gw_peer_next_timeout(const struct gw_peer *peer) {
  uint64_t next = UINT64_MAX;

  if (peer->child_work)
    return 0;
  if (peer->ike != NULL && !peer->ike_gone)
    next = tcpsec_ike_sa_next_timeout(peer->ike);
  next = TCPSEC_MIN(next, peer->fallback_at);
  next = TCPSEC_MIN(next, peer->retry_at);
  next = TCPSEC_MIN(next, peer->reconnect_at);
  next = TCPSEC_MIN(next, peer->keepalive_at);
  next = TCPSEC_MIN(next, peer->recreate_at);
  if (peer->ike_gone)
    next = TCPSEC_MIN(next, peer->reap_at);
  return next;
}

/* Transport auto: UDP stayed silent, so start over on TCP. */
static void fall_back_to_tcp(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;

  gw_peer_log(peer, TCPSEC_LOG_NOTICE,
              "no IKE_SA_INIT response over UDP within %u ms; falling back "
              "to TCP port %u",
              (unsigned)t->auto_transport_threshold_ms, (unsigned)t->tcp_port);
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_TRANSPORT_FALLBACK,
           TCPSEC_ERR_TIMEOUT, 0, 0);
  gw_peer_drop_ike(peer);
  peer->keepalive_at = UINT64_MAX;
  peer->transport =
      t->fortinet_esp ? TCPSEC_GW_ON_TCP_SEGMENTS : TCPSEC_GW_ON_TCP;
  peer->remote = t->remote_gw;
  peer->remote.port = t->tcp_port;
  (void)gw_conn_open(peer, now_ms);
}

void gw_peer_arm_keepalive(struct gw_peer *peer, const tcpsec_ike_sa *sa,
                           uint64_t now_ms) {
  uint32_t interval = peer->tunnel->cfg.nat_keepalive_ms;
  tcpsec_ike_sa_info info;

  if (interval == 0 || sa == NULL ||
      peer->transport != TCPSEC_GW_ON_UDP_NATT ||
      peer->keepalive_at != UINT64_MAX)
    return;
  /* Only the side behind the NAT keeps its mapping alive (RFC 3948
   * section 4). */
  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  if (tcpsec_ike_sa_get_info(sa, &info) != 0 || !info.nat_local)
    return;
  peer->keepalive_at = now_ms + interval;
  gw_peer_touch(peer);
}

static void send_keepalive(struct gw_peer *peer, uint64_t now_ms) {
  struct tcpsec_gw *gw = peer->gw;
  uint8_t ka[1];

  if (gw->cb.udp_send == NULL || tcpsec_udp_keepalive(ka, sizeof(ka)) != 1)
    return;
  peer->last_udp_out_ms = now_ms;
  gw->in_callback++;
  (void)gw->cb.udp_send(gw->cb.user, &peer->local, &peer->remote, ka, 1);
  gw->in_callback--;
}

static int on_udp(const struct gw_peer *peer) {
  return peer->transport == TCPSEC_GW_ON_UDP ||
         peer->transport == TCPSEC_GW_ON_UDP_NATT;
}

static void retry_ike(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;

  if (on_udp(peer)) {
    peer->remote = t->remote_gw;
    (void)gw_peer_start_ike(peer, TCPSEC_IKE_TRANSPORT_UDP, now_ms);
    return;
  }
  gw_peer_drop_ike(peer);
  peer->ike_gone = 0;
  peer->reap_at = UINT64_MAX;
  if (peer->conn == 0) {
    peer->remote = t->remote_gw;
    peer->remote.port = t->tcp_port;
    (void)gw_conn_open(peer, now_ms);
  } else {
    (void)gw_peer_start_ike(peer, TCPSEC_IKE_TRANSPORT_TCP, now_ms);
  }
}

/* Send a NAT keepalive only when nothing else went to the peer within the
 * interval (RFC 3948 section 4). The next check comes one interval after
 * the last datagram. */
static void keepalive_timer(struct gw_peer *peer, uint64_t now_ms) {
  uint32_t interval = peer->tunnel->cfg.nat_keepalive_ms;

  peer->keepalive_at = UINT64_MAX;
  if (!peer->nat_t || peer->transport != TCPSEC_GW_ON_UDP_NATT ||
      interval == 0)
    return;
  if (now_ms - peer->last_udp_out_ms >= interval) {
    send_keepalive(peer, now_ms);
    peer->keepalive_at = now_ms + interval;
    return;
  }
  peer->keepalive_at = peer->last_udp_out_ms + interval;
}

/* RFC 7296 section 1.3.1: an IKE SA without Child SA carries no traffic,
 * so the initiator of a static tunnel negotiates a new one. */
static void recreate_child(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;
  int rv;

  if (peer->ike == NULL || peer->ike_gone || peer->shutting_down ||
      peer->child_count > 0 ||
      tcpsec_ike_sa_state(peer->ike) != TCPSEC_IKE_SA_ESTABLISHED)
    return;
  rv = tcpsec_ike_sa_create_child(peer->ike, t->local_ts, t->local_ts_count,
                                  t->remote_ts, t->remote_ts_count, now_ms);
  gw_peer_log(peer, TCPSEC_LOG_NOTICE,
              "the IKE SA has no Child SA left; %s%s",
              rv == 0 ? "negotiating a new one" : "cannot ask for a new one: ",
              rv == 0 ? "" : tcpsec_strerror(rv));
  peer->recreate_at = now_ms + GW_RECREATE_RETRY_MS;
}

void gw_peer_timeout(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;

  gw_peer_touch(peer);
  if (peer->child_work)
    gw_child_work(peer, now_ms);
  if (peer->fallback_at <= now_ms) {
    peer->fallback_at = UINT64_MAX;
    if (peer->ike != NULL &&
        tcpsec_ike_sa_state(peer->ike) == TCPSEC_IKE_SA_INIT_SENT)
      fall_back_to_tcp(peer, now_ms);
  }
  if (peer->retry_at <= now_ms) {
    peer->retry_at = UINT64_MAX;
    if (peer->ike == NULL || peer->ike_gone)
      retry_ike(peer, now_ms);
  }
  if (peer->reconnect_at <= now_ms) {
    peer->reconnect_at = UINT64_MAX;
    if (peer->conn == 0 && !peer->shutting_down && !on_udp(peer)) {
      peer->remote.port = t->tcp_port;
      (void)gw_conn_open(peer, now_ms);
    }
  }
  if (peer->keepalive_at <= now_ms)
    keepalive_timer(peer, now_ms);
  if (peer->recreate_at <= now_ms) {
    peer->recreate_at = UINT64_MAX;
    recreate_child(peer, now_ms);
  }
  if (peer->ike != NULL && !peer->ike_gone &&
      tcpsec_ike_sa_next_timeout(peer->ike) <= now_ms)
    (void)tcpsec_ike_sa_handle_timeout(peer->ike, now_ms);
}

/* A new IKE SA from the same peer may already use the old instance's
 * connection; it must stay open then.
 * NOTE: a scan over the instances, run only when a dial-up instance is
 * freed. */
static int conn_shared(const struct tcpsec_gw *gw, const struct gw_peer *p) {
  size_t i;

  for (i = 0; i < gw->peer_count; i++)
    if (gw->peers[i] != p && gw->peers[i]->conn == p->conn)
      return 1;
  return 0;
}

int gw_peer_reap(struct gw_peer *p) {
  struct tcpsec_gw *gw = p->gw;
  size_t i;

  gw_peer_drop_ike(p);
  p->ike_gone = 0;
  p->reap_at = UINT64_MAX;
  p->recreate_at = UINT64_MAX;
  if (!p->remove)
    return 0;
  if (p->conn != 0 && !conn_shared(gw, p)) {
    struct gw_conn *c = gw_conn_get(gw, p->conn);
    if (c != NULL)
      gw_conn_release(gw, c, 1);
  }
  i = p->index;
  gw_peer_free(p);
  gw->peer_count--;
  if (i < gw->peer_count) {
    gw->peers[i] = gw->peers[gw->peer_count];
    gw->peers[i]->index = i;
  }
  return 1;
}
