/*
 * Tunnel instances: one per peer, holding the IKE SA, its Child SAs, the
 * transport in use and the instance's timers.
 *
 * Timer rules, all per instance:
 * - retry_at: a static tunnel without IKE SA starts one (at start, and
 *   GW_RETRY_MS after a failure or deletion).
 * - fallback_at: transport auto gave UDP this long without an IKE_SA_INIT
 *   response. The IKE SA is dropped and a new one starts on TCP with new
 *   SPIs (RFC 9329 section 5.1).
 * - reconnect_at: a static tunnel on TCP lost its connection; a new one is
 *   opened and the IKE SA continues on it (RFC 9329 section 6.1).
 * - keepalive_at: on UDP port 4500, a NAT keepalive (RFC 3948).
 * - reap_at: a failed or deleted IKE SA (and a dial-up instance without
 *   one) is freed, after a short linger so late retransmissions still find
 *   their IKE SA.
 */
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

static void peer_log(const struct gw_peer *peer, tcpsec_log_level level,
                     const char *fmt, ...) TCPSEC_PRINTF(3, 4);

static void peer_log(const struct gw_peer *peer, tcpsec_log_level level,
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
  if (t->cfg.type == TCPSEC_GW_STATIC)
    snprintf(peer->name, sizeof(peer->name), "%s", t->name);
  else
    snprintf(peer->name, sizeof(peer->name), "%.*s_%u",
             TCPSEC_GW_NAME_MAX - 11, t->name, (unsigned)t->next_instance++);
  peer->local = t->cfg.local;
  peer->remote = t->cfg.remote_gw;
  peer->fallback_at = UINT64_MAX;
  peer->retry_at = UINT64_MAX;
  peer->reconnect_at = UINT64_MAX;
  peer->keepalive_at = UINT64_MAX;
  peer->reap_at = UINT64_MAX;
  peer->created_ms = now_ms;
  if (t->cfg.transport == TCPSEC_GW_TRANSPORT_TCP)
    peer->transport = t->cfg.fortinet_esp ? TCPSEC_GW_ON_TCP_SEGMENTS
                                          : TCPSEC_GW_ON_TCP;
  else
    peer->transport = TCPSEC_GW_ON_UDP;
  gw->peers[gw->peer_count++] = peer;
  return peer;
}

void gw_peer_free(struct gw_peer *peer) {
  struct tcpsec_gw *gw;
  size_t i;

  if (peer == NULL)
    return;
  gw = peer->gw;
  gw_peer_drop_ike(peer);
  for (i = 0; i < gw->conn_cap; i++)
    if (gw->conns[i].id != 0 && gw->conns[i].peer == peer)
      gw->conns[i].peer = NULL;
  tcpsec_free_secret(gw->ctx, peer, sizeof(*peer));
}

struct gw_peer *gw_peer_find(struct tcpsec_gw *gw, const uint8_t *spi_i) {
  size_t i;

  /* NOTE: a linear scan over the instances. It is fine for hundreds of
   * peers; hubs with many thousands need a hash keyed by the SPI. */
  for (i = 0; i < gw->peer_count; i++) {
    struct gw_peer *p = gw->peers[i];
    if (p->ike != NULL && !p->ike_gone && memcmp(p->spi_i, spi_i, 8) == 0)
      return p;
  }
  return NULL;
}

/* ---- IKE SA callbacks ------------------------------------------------- */

static int is_response(const uint8_t *msg, size_t len) {
  return len > 19 && (msg[19] & 0x20) != 0;
}

static int send_udp(struct gw_peer *peer, const uint8_t *msg, size_t len,
                    unsigned flags) {
  struct tcpsec_gw *gw = peer->gw;
  const tcpsec_ike_endpoint *local = &peer->local, *remote = &peer->remote;
  tcpsec_udp_port port;
  ptrdiff_t n;
  int rv;

  if ((flags & TCPSEC_IKE_SEND_NAT_T) && !peer->nat_t) {
    /* RFC 7296 section 2.23: once a NAT is detected, both ends move to
     * port 4500. The initiator changes the ports; the responder follows
     * where the initiator's messages come from. */
    peer->nat_t = 1;
    peer->transport = TCPSEC_GW_ON_UDP_NATT;
    peer->local.port = 4500;
    if (peer->initiator)
      peer->remote.port = 4500;
    if (peer->tunnel->cfg.nat_keepalive_ms > 0)
      peer->keepalive_at = gw->now_ms + peer->tunnel->cfg.nat_keepalive_ms;
  }
  if (is_response(msg, len) && gw->input_remote != NULL) {
    local = gw->input_local;
    remote = gw->input_remote;
  }
  if (gw->cb.udp_send == NULL)
    return -1;
  port = local->port == 500 ? TCPSEC_UDP_PORT_IKE : TCPSEC_UDP_PORT_NATT;
  n = tcpsec_udp_build(port, TCPSEC_ENCAP_IKE, msg, len, gw->scratch,
                       GW_SCRATCH_LEN);
  if (n < 0)
    return (int)n;
  gw->in_callback++;
  rv = gw->cb.udp_send(gw->cb.user, local, remote, gw->scratch, (size_t)n);
  gw->in_callback--;
  return rv;
}

static int cb_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                   size_t len, unsigned flags) {
  struct gw_peer *peer = user;
  struct tcpsec_gw *gw = peer->gw;
  struct gw_conn *c;

  (void)sa;
  if (peer->transport == TCPSEC_GW_ON_UDP ||
      peer->transport == TCPSEC_GW_ON_UDP_NATT)
    return send_udp(peer, msg, len, flags);

  c = NULL;
  if (is_response(msg, len) && gw->input_conn != NULL)
    c = gw->input_conn;
  else if (peer->conn != 0)
    c = gw_conn_get(gw, peer->conn);
  if (c == NULL || !c->connected) {
    /* The request goes out again when a connection is attached. */
    if (peer->initiator && peer->conn == 0 &&
        peer->reconnect_at == UINT64_MAX && !peer->shutting_down)
      peer->reconnect_at = gw->now_ms;
    return -1;
  }
  return gw_conn_send_ike(gw, c, msg, len);
}

static void format_identity(struct gw_peer *peer) {
  tcpsec_ike_sa_info info;
  size_t n, i;

  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  peer->peer_id_text[0] = '\0';
  if (tcpsec_ike_sa_get_info(peer->ike, &info) != 0 || info.remote_id == NULL)
    return;
  n = info.remote_id_len;
  if (info.remote_id_type == TCPSEC_IKE_ID_TYPE_IPV4_ADDR && n == 4) {
    snprintf(peer->peer_id_text, sizeof(peer->peer_id_text), "%u.%u.%u.%u",
             info.remote_id[0], info.remote_id[1], info.remote_id[2],
             info.remote_id[3]);
    return;
  }
  if (info.remote_id_type == TCPSEC_IKE_ID_TYPE_FQDN ||
      info.remote_id_type == TCPSEC_IKE_ID_TYPE_RFC822_ADDR) {
    if (n >= sizeof(peer->peer_id_text))
      n = sizeof(peer->peer_id_text) - 1;
    for (i = 0; i < n; i++) {
      uint8_t ch = info.remote_id[i];
      peer->peer_id_text[i] = (char)(ch >= 0x20 && ch < 0x7f ? ch : '?');
    }
    peer->peer_id_text[n] = '\0';
    return;
  }
  snprintf(peer->peer_id_text, sizeof(peer->peer_id_text), "(ID type %u)",
           (unsigned)info.remote_id_type);
}

static void report_up(struct gw_peer *peer) {
  if (peer->tunnel_up || peer->ike == NULL || peer->child_count == 0 ||
      peer->established_ms == 0)
    return;
  peer->tunnel_up = 1;
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_TUNNEL_UP, 0,
           peer->children[0].spi_in, peer->children[0].spi_out);
}

/* RFC 7296 section 2.4: a peer that sends INITIAL_CONTACT has lost its
 * state, so older instances of the same tunnel authenticated with the same
 * identity are stale. They are dropped without a Delete (the peer would
 * not know them). */
static void drop_stale_instances(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;
  tcpsec_ike_sa_info info;
  size_t i;

  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  if (peer->initiator || tcpsec_ike_sa_get_info(peer->ike, &info) != 0 ||
      !info.peer_initial_contact || peer->peer_id_text[0] == '\0')
    return;
  for (i = 0; i < gw->peer_count; i++) {
    struct gw_peer *old = gw->peers[i];
    if (old == peer || old->tunnel != peer->tunnel || old->ike_gone ||
        strcmp(old->peer_id_text, peer->peer_id_text) != 0)
      continue;
    peer_log(old, TCPSEC_LOG_NOTICE,
             "replaced by %s: the peer sent INITIAL_CONTACT", peer->name);
    old->ike_gone = 1;
    old->remove = 1;
    old->reap_at = gw->now_ms;
    old->tunnel_up = 0;
  }
}

static void cb_established(void *user, tcpsec_ike_sa *sa) {
  struct gw_peer *peer = user;

  (void)sa;
  peer->established_ms = peer->gw->now_ms;
  peer->ike_established++;
  peer->fallback_at = UINT64_MAX;
  format_identity(peer);
  drop_stale_instances(peer);
  peer_log(peer, TCPSEC_LOG_NOTICE, "IKE SA established with %s",
           peer->peer_id_text[0] ? peer->peer_id_text : "peer");
  report_up(peer);
}

static void schedule_after_loss(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;

  peer->ike_gone = 1;
  peer->reap_at = gw->now_ms;
  peer->tunnel_up = 0;
  peer->established_ms = 0;
  if (peer->tunnel->cfg.type == TCPSEC_GW_DYNAMIC)
    peer->remove = 1;
  else if (!peer->shutting_down)
    peer->retry_at = gw->now_ms + GW_RETRY_MS;
}

static void cb_failed(void *user, tcpsec_ike_sa *sa, int reason) {
  struct gw_peer *peer = user;

  (void)sa;
  peer_log(peer, TCPSEC_LOG_WARNING, "IKE SA negotiation failed: %s (%s)%s",
           tcpsec_strerror(reason), tcpsec_strerror_name(reason),
           peer->tunnel->cfg.type == TCPSEC_GW_STATIC && !peer->shutting_down
               ? "; retrying in 5 s"
               : "");
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_NEGOTIATION_FAILED, reason, 0, 0);
  schedule_after_loss(peer);
}

static void cb_deleted(void *user, tcpsec_ike_sa *sa, int reason) {
  struct gw_peer *peer = user;

  (void)sa;
  peer_log(peer, TCPSEC_LOG_NOTICE, "IKE SA deleted: %s",
           reason == 0 ? "local request" : tcpsec_strerror(reason));
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_TUNNEL_DOWN, reason, 0, 0);
  schedule_after_loss(peer);
  /* Keep a deleted IKE SA briefly so it can respond to a retransmitted
   * Delete. */
  peer->reap_at = peer->gw->now_ms + GW_LINGER_MS;
}

static void cb_child_installed(void *user, tcpsec_ike_sa *sa,
                               const tcpsec_ike_child_sa *child) {
  struct gw_peer *peer = user;
  int rv;

  (void)sa;
  rv = gw_child_install(peer, child);
  if (rv != 0) {
    peer_log(peer, TCPSEC_LOG_ERROR,
             "cannot install Child SA %08x/%08x: %s; it carries no traffic",
             (unsigned)child->spi_in, (unsigned)child->spi_out,
             tcpsec_strerror(rv));
    return;
  }
  peer->child_created++;
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_CHILD_UP, 0, child->spi_in,
           child->spi_out);
  report_up(peer);
}

static void cb_child_deleted(void *user, tcpsec_ike_sa *sa, uint32_t spi_in,
                             uint32_t spi_out, int reason) {
  struct gw_peer *peer = user;

  (void)sa;
  (void)reason;
  gw_child_remove(peer, spi_in);
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_CHILD_DOWN, reason, spi_in,
           spi_out);
}

static void cb_ike_keys(void *user, tcpsec_ike_sa *sa,
                        const tcpsec_ike_keys *keys) {
  struct gw_peer *peer = user;
  struct tcpsec_gw *gw = peer->gw;
  tcpsec_gw_keys k;

  (void)sa;
  memset(&k, 0, sizeof(k));
  k.size = sizeof(k);
  k.kind = TCPSEC_GW_KEYS_IKE;
  k.instance = peer->name;
  k.ike = keys;
  gw->in_callback++;
  gw->cb.keylog(gw->cb.user, &k);
  gw->in_callback--;
}

void gw_peer_callbacks(struct gw_peer *peer, tcpsec_ike_callbacks *cb) {
  tcpsec_ike_callbacks_default(cb);
  cb->send = cb_send;
  cb->ike_sa_established = cb_established;
  cb->ike_sa_failed = cb_failed;
  cb->ike_sa_deleted = cb_deleted;
  cb->child_sa_installed = cb_child_installed;
  cb->child_sa_deleted = cb_child_deleted;
  if (peer->gw->cb.keylog != NULL)
    cb->ike_keys = cb_ike_keys;
  cb->user = peer;
}

void gw_peer_ike_config(const struct gw_peer *peer, int ike_transport,
                        tcpsec_ike_config *cfg) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;
  size_t i;

  tcpsec_ike_config_default(cfg);
  if (t->local_id.type != 0) {
    cfg->local_id = t->local_id;
  } else {
    cfg->local_id.type = peer->local.family == 4
                             ? TCPSEC_IKE_ID_TYPE_IPV4_ADDR
                             : TCPSEC_IKE_ID_TYPE_IPV6_ADDR;
    cfg->local_id.data = peer->local.addr;
    cfg->local_id.len = peer->local.family == 4 ? 4 : 16;
  }
  if (t->peer_id.type != 0)
    cfg->remote_id = t->peer_id;
  cfg->auth_method = TCPSEC_IKE_AUTH_PSK;
  cfg->psk = t->psk;
  cfg->psk_len = t->psk_len;
  if (t->ike_proposals != NULL)
    cfg->ike_proposals = t->ike_proposals;
  if (t->esp_proposals != NULL)
    cfg->esp_proposals = t->esp_proposals;
  if (t->dh_group_count > 0) {
    cfg->dh_group_count = 0;
    for (i = 0; i < t->dh_group_count &&
                i < TCPSEC_IKE_CONFIG_MAX_DH_GROUPS; i++)
      cfg->dh_groups[cfg->dh_group_count++] = t->dh_groups[i];
  }
  cfg->local_ts = t->local_ts;
  cfg->local_ts_count = t->local_ts_count;
  cfg->remote_ts = t->remote_ts;
  cfg->remote_ts_count = t->remote_ts_count;
  cfg->ike_lifetime_ms = t->ike_lifetime_ms;
  cfg->child_lifetime_ms = t->child_lifetime_ms;
  cfg->child_lifetime_bytes = t->child_lifetime_bytes;
  cfg->dpd_interval_ms = t->dpd_interval_ms;
  cfg->retransmit_timeout_ms = t->retransmit_timeout_ms;
  cfg->retransmit_limit = t->retransmit_limit;
  cfg->nat_traversal = 1;
  cfg->transport = (uint8_t)ike_transport;
  cfg->local = peer->local;
  cfg->remote = peer->remote;
}

void gw_peer_remember_spi(struct gw_peer *peer) {
  uint8_t spi_r[8];

  if (tcpsec_ike_sa_spis(peer->ike, peer->spi_i, spi_r) != 0)
    memset(peer->spi_i, 0, sizeof(peer->spi_i));
}

/* Create an initiator IKE SA for a static tunnel and send IKE_SA_INIT. */
int gw_peer_start_ike(struct gw_peer *peer, int ike_transport,
                      uint64_t now_ms) {
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  int rv;

  gw_peer_drop_ike(peer);
  peer->initiator = 1;
  peer->nat_t = 0;
  peer->ike_gone = 0;
  peer->reap_at = UINT64_MAX;
  if (ike_transport == TCPSEC_IKE_TRANSPORT_UDP) {
    peer->transport = TCPSEC_GW_ON_UDP;
    peer->local.port = 500;
    peer->remote.port = 500;
  }
  gw_peer_ike_config(peer, ike_transport, &cfg);
  gw_peer_callbacks(peer, &cb);
  rv = tcpsec_ike_sa_new_initiator(peer->gw->ctx, &cfg, &cb, &peer->ike);
  if (rv != 0) {
    peer_log(peer, TCPSEC_LOG_ERROR, "cannot create IKE SA: %s",
             tcpsec_strerror(rv));
    peer->retry_at = now_ms + GW_RETRY_MS;
    return rv;
  }
  gw_peer_remember_spi(peer);
  peer->ike_created++;
  if (ike_transport == TCPSEC_IKE_TRANSPORT_UDP &&
      peer->tunnel->cfg.transport == TCPSEC_GW_TRANSPORT_AUTO)
    peer->fallback_at = now_ms + peer->tunnel->cfg.auto_transport_threshold_ms;
  peer_log(peer, TCPSEC_LOG_INFO, "initiating IKE SA over %s",
           ike_transport == TCPSEC_IKE_TRANSPORT_UDP ? "UDP" : "TCP");
  rv = tcpsec_ike_sa_initiate(peer->ike, now_ms);
  if (rv != 0)
    peer_log(peer, TCPSEC_LOG_ERROR, "cannot start IKE_SA_INIT: %s",
             tcpsec_strerror(rv));
  return rv;
}

void gw_peer_drop_ike(struct gw_peer *peer) {
  size_t i;

  for (i = 0; i < peer->child_count; i++) {
    (void)tcpsec_sad_remove(peer->gw->sad, peer->children[i].spi_in);
    gw_spi_map_del(peer->gw, peer->children[i].spi_in);
  }
  peer->child_count = 0;
  tcpsec_ike_sa_free(peer->ike);
  peer->ike = NULL;
  memset(peer->spi_i, 0, sizeof(peer->spi_i));
}

uint64_t gw_peer_next_timeout(const struct gw_peer *peer) {
  uint64_t next = UINT64_MAX;

  if (peer->ike != NULL && !peer->ike_gone)
    next = tcpsec_ike_sa_next_timeout(peer->ike);
  next = TCPSEC_MIN(next, peer->fallback_at);
  next = TCPSEC_MIN(next, peer->retry_at);
  next = TCPSEC_MIN(next, peer->reconnect_at);
  next = TCPSEC_MIN(next, peer->keepalive_at);
  next = TCPSEC_MIN(next, peer->reap_at);
  return next;
}

/* Transport auto: UDP stayed silent, so start over on TCP. */
static void fall_back_to_tcp(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;

  peer_log(peer, TCPSEC_LOG_NOTICE,
           "no IKE_SA_INIT response over UDP within %u ms; falling back to "
           "TCP port %u", (unsigned)t->auto_transport_threshold_ms,
           (unsigned)t->tcp_port);
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

static void send_keepalive(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;
  uint8_t ka[1];

  if (gw->cb.udp_send == NULL || tcpsec_udp_keepalive(ka, sizeof(ka)) != 1)
    return;
  gw->in_callback++;
  (void)gw->cb.udp_send(gw->cb.user, &peer->local, &peer->remote, ka, 1);
  gw->in_callback--;
}

static int on_udp(const struct gw_peer *peer) {
  return peer->transport == TCPSEC_GW_ON_UDP ||
         peer->transport == TCPSEC_GW_ON_UDP_NATT;
}

void gw_peer_timeout(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;

  if (peer->fallback_at <= now_ms) {
    peer->fallback_at = UINT64_MAX;
    if (peer->ike != NULL &&
        tcpsec_ike_sa_state(peer->ike) == TCPSEC_IKE_SA_INIT_SENT)
      fall_back_to_tcp(peer, now_ms);
  }
  if (peer->retry_at <= now_ms) {
    peer->retry_at = UINT64_MAX;
    if (peer->ike == NULL || peer->ike_gone) {
      if (on_udp(peer)) {
        peer->remote = t->remote_gw;
        (void)gw_peer_start_ike(peer, TCPSEC_IKE_TRANSPORT_UDP, now_ms);
      } else {
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
    }
  }
  if (peer->reconnect_at <= now_ms) {
    peer->reconnect_at = UINT64_MAX;
    if (peer->conn == 0 && !peer->shutting_down && !on_udp(peer)) {
      peer->remote.port = t->tcp_port;
      (void)gw_conn_open(peer, now_ms);
    }
  }
  if (peer->keepalive_at <= now_ms) {
    peer->keepalive_at = UINT64_MAX;
    if (peer->nat_t && peer->transport == TCPSEC_GW_ON_UDP_NATT) {
      send_keepalive(peer);
      peer->keepalive_at = now_ms + t->nat_keepalive_ms;
    }
  }
  if (peer->ike != NULL && !peer->ike_gone &&
      tcpsec_ike_sa_next_timeout(peer->ike) <= now_ms)
    (void)tcpsec_ike_sa_handle_timeout(peer->ike, now_ms);
}

/* A new IKE SA from the same peer may already use the old instance's
 * connection; it must stay open then. */
static int conn_shared(const struct tcpsec_gw *gw, const struct gw_peer *p) {
  size_t i;

  for (i = 0; i < gw->peer_count; i++)
    if (gw->peers[i] != p && gw->peers[i]->conn == p->conn)
      return 1;
  return 0;
}

/* Free IKE SAs that failed or were deleted, and dial-up instances left
 * without one. Runs outside every callback. */
void gw_peer_reap(struct tcpsec_gw *gw, uint64_t now_ms) {
  size_t i = 0;

  while (i < gw->peer_count) {
    struct gw_peer *p = gw->peers[i];

    if (!p->ike_gone || p->reap_at > now_ms) {
      i++;
      continue;
    }
    gw_peer_drop_ike(p);
    p->ike_gone = 0;
    p->reap_at = UINT64_MAX;
    if (!p->remove) {
      i++;
      continue;
    }
    if (p->conn != 0 && !conn_shared(gw, p)) {
      struct gw_conn *c = gw_conn_get(gw, p->conn);
      if (c != NULL)
        gw_conn_release(gw, c, 1);
    }
    gw_peer_free(p);
    gw->peers[i] = gw->peers[--gw->peer_count];
  }
}
