/*
 * The IKE SA of a tunnel instance: its configuration from the tunnel, the
 * callbacks through which it sends messages and reports progress, Child
 * SAs and rekeys, and the IKE SPI map entries that route its messages.
 *
 * IKE SA rekeys (RFC 7296 section 2.8) keep the tcpsec_ike_sa handle but
 * change its SPIs. The new initiator SPI is entered into the IKE SPI map
 * next to the old one, which keeps routing to the instance while the old
 * IKE SA's Delete exchange runs.
 */
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

static int is_response(const uint8_t *msg, size_t len) {
  return len > 19 && (msg[19] & 0x20) != 0;
}

static int send_udp(struct gw_peer *peer, tcpsec_ike_sa *sa,
                    const uint8_t *msg, size_t len, unsigned flags) {
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
    if (sa != NULL)
      gw_peer_arm_keepalive(peer, sa, gw->now_ms);
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
  peer->last_udp_out_ms = gw->now_ms;
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

  gw_peer_touch(peer);
  if (peer->transport == TCPSEC_GW_ON_UDP ||
      peer->transport == TCPSEC_GW_ON_UDP_NATT)
    return send_udp(peer, sa, msg, len, flags);

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

/* Keep the peer's authenticated identity, raw and as text, and how it
 * authenticated. */
static void remember_identity(struct gw_peer *peer) {
  tcpsec_ike_sa_info info;
  size_t n;

  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  peer->peer_id_text[0] = '\0';
  peer->peer_id_type = 0;
  peer->peer_id_len = 0;
  peer->peer_auth_method = 0;
  if (tcpsec_ike_sa_get_info(peer->ike, &info) != 0 || info.remote_id == NULL)
    return;
  n = TCPSEC_MIN(info.remote_id_len, sizeof(peer->peer_id));
  memcpy(peer->peer_id, info.remote_id, n);
  peer->peer_id_len = n;
  peer->peer_id_type = info.remote_id_type;
  gw_identity_format(info.remote_id_type, info.remote_id, info.remote_id_len,
                     peer->peer_id_text, sizeof(peer->peer_id_text));
  peer->peer_auth_method = gw_auth_is_signature(peer->tunnel->remote_method)
                               ? TCPSEC_IKE_AUTH_SIGNATURE
                               : TCPSEC_IKE_AUTH_PSK;
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
 * not know them).
 * NOTE: this scans every instance once per new IKE SA that carries
 * INITIAL_CONTACT; an index by peer identity would make it O(1). */
static void drop_stale_instances(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;
  tcpsec_ike_sa_info info;
  size_t i;

  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  if (peer->initiator || tcpsec_ike_sa_get_info(peer->ike, &info) != 0 ||
      !info.peer_initial_contact || peer->peer_id_type == 0)
    return;
  for (i = 0; i < gw->peer_count; i++) {
    struct gw_peer *old = gw->peers[i];
    if (old == peer || old->tunnel != peer->tunnel || old->ike_gone ||
        old->peer_id_type != peer->peer_id_type ||
        old->peer_id_len != peer->peer_id_len ||
        memcmp(old->peer_id, peer->peer_id, peer->peer_id_len) != 0)
      continue;
    gw_peer_log(old, TCPSEC_LOG_NOTICE,
                "replaced by %s: the peer sent INITIAL_CONTACT", peer->name);
    old->ike_gone = 1;
    old->remove = 1;
    old->reap_at = gw->now_ms;
    old->tunnel_up = 0;
    gw_peer_touch(old);
  }
}

static void cb_established(void *user, tcpsec_ike_sa *sa) {
  struct gw_peer *peer = user;

  (void)sa;
  gw_peer_touch(peer);
  peer->established_ms = peer->gw->now_ms;
  peer->ike_established++;
  peer->fallback_at = UINT64_MAX;
  peer->last_error = 0;
  remember_identity(peer);
  drop_stale_instances(peer);
  gw_peer_log(peer, TCPSEC_LOG_NOTICE,
              "IKE SA established with %s, authenticated by %s",
              peer->peer_id_text[0] ? peer->peer_id_text : "peer",
              peer->peer_auth_method == TCPSEC_IKE_AUTH_SIGNATURE
                  ? "certificate"
                  : "pre-shared key");
  report_up(peer);
}

static void schedule_after_loss(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;

  gw_peer_touch(peer);
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
  gw_peer_log(peer, TCPSEC_LOG_WARNING,
              "IKE SA negotiation failed: %s (%s)%s", tcpsec_strerror(reason),
              tcpsec_strerror_name(reason),
              peer->tunnel->cfg.type == TCPSEC_GW_STATIC &&
                      !peer->shutting_down
                  ? "; retrying in 5 s"
                  : "");
  peer->last_error = reason;
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_NEGOTIATION_FAILED, reason, 0, 0);
  schedule_after_loss(peer);
  /* A dial-up instance that rejected its peer (AUTHENTICATION_FAILED after
   * a bad certificate, for example) keeps its IKE SA and connection
   * briefly: the response must still leave on the TCP connection, and on
   * UDP a retransmitted request gets it again from the IKE SA. */
  if (peer->tunnel->cfg.type == TCPSEC_GW_DYNAMIC)
    peer->reap_at = peer->gw->now_ms + GW_LINGER_MS;
}

static void cb_deleted(void *user, tcpsec_ike_sa *sa, int reason) {
  struct gw_peer *peer = user;

  (void)sa;
  gw_peer_log(peer, TCPSEC_LOG_NOTICE, "IKE SA deleted: %s",
              reason == 0 ? "local request" : tcpsec_strerror(reason));
  if (reason != 0)
    peer->last_error = reason;
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
  gw_peer_touch(peer);
  rv = gw_child_install(peer, child);
  if (rv != 0) {
    gw_peer_log(peer, TCPSEC_LOG_ERROR,
                "cannot install Child SA %08x/%08x: %s; it carries no "
                "traffic",
                (unsigned)child->spi_in, (unsigned)child->spi_out,
                tcpsec_strerror(rv));
    return;
  }
  peer->child_created++;
  peer->recreate_at = UINT64_MAX;
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_CHILD_UP, 0, child->spi_in,
           child->spi_out);
  report_up(peer);
}

static void cb_child_deleted(void *user, tcpsec_ike_sa *sa, uint32_t spi_in,
                             uint32_t spi_out, int reason) {
  struct gw_peer *peer = user;

  (void)sa;
  gw_peer_touch(peer);
  gw_child_remove(peer, spi_in);
  /* A static tunnel left without Child SA negotiates a new one, outside
   * the callback; the check there skips an IKE SA that is going away. */
  if (peer->child_count == 0 && peer->tunnel->cfg.type == TCPSEC_GW_STATIC &&
      !peer->shutting_down && peer->recreate_at == UINT64_MAX)
    peer->recreate_at = peer->gw->now_ms;
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

/* Add a mapped initiator SPI to the instance's old SPIs, unmapping the
 * oldest one when the list is full. */
static void push_old_spi(struct gw_peer *peer, const uint8_t spi_i[8]) {
  if (peer->old_spi_count == GW_OLD_IKE_SPIS) {
    gw_ike_map_del(peer->gw, peer->old_spi_i[0], peer);
    memmove(peer->old_spi_i[0], peer->old_spi_i[1],
            (GW_OLD_IKE_SPIS - 1) * sizeof(peer->old_spi_i[0]));
    peer->old_spi_count--;
  }
  memcpy(peer->old_spi_i[peer->old_spi_count++], spi_i, 8);
}

/* Keep the previous initiator SPI routed to this instance: the old IKE SA
 * still sends and receives its Delete exchange under it. */
static void keep_old_spi(struct gw_peer *peer) {
  if (!peer->spi_mapped)
    return;
  push_old_spi(peer, peer->spi_i);
  peer->spi_mapped = 0;
}

/* Route the initiator SPI of the redundant IKE SA of a simultaneous rekey
 * (RFC 7296 section 2.8.2) to this instance, because its Delete exchange
 * runs in the instance's handle. */
static void route_redundant_spi(struct gw_peer *peer, const uint8_t spi_i[8]) {
  int rv;

  rv = gw_ike_map_put(peer->gw, spi_i, peer);
  if (rv != 0) {
    gw_peer_log(peer, TCPSEC_LOG_ERROR,
                "cannot route the redundant IKE SA %016llx: %s; its Delete "
                "is dropped and the IKE SA expires by itself",
                (unsigned long long)tcpsec_load_be64(spi_i),
                tcpsec_strerror(rv));
    return;
  }
  push_old_spi(peer, spi_i);
  gw_peer_log(peer, TCPSEC_LOG_INFO,
              "IKE SA %016llx is redundant after a simultaneous rekey; its "
              "Delete exchange runs here",
              (unsigned long long)tcpsec_load_be64(spi_i));
}

static void cb_ike_rekeyed(void *user, tcpsec_ike_sa *sa,
                           const uint8_t old_spi_i[8],
                           const uint8_t old_spi_r[8]) {
  struct gw_peer *peer = user;
  uint8_t spi_i[8], spi_r[8];
  int rv;

  (void)old_spi_r;
  gw_peer_touch(peer);
  if (tcpsec_ike_sa_spis(sa, spi_i, spi_r) != 0)
    return;
  if (memcmp(spi_i, peer->spi_i, 8) == 0) {
    /* The SPIs did not change: the call names a redundant IKE SA. */
    if (memcmp(old_spi_i, spi_i, 8) != 0)
      route_redundant_spi(peer, old_spi_i);
    return;
  }
  keep_old_spi(peer);
  memcpy(peer->spi_i, spi_i, 8);
  rv = gw_ike_map_put(peer->gw, spi_i, peer);
  if (rv == 0)
    peer->spi_mapped = 1;
  else
    gw_peer_log(peer, TCPSEC_LOG_ERROR,
                "cannot route the rekeyed IKE SA %016llx: %s; its messages "
                "are dropped",
                (unsigned long long)tcpsec_load_be64(spi_i),
                tcpsec_strerror(rv));
  peer->established_ms = peer->gw->now_ms;
  gw_peer_log(peer, TCPSEC_LOG_INFO,
              "IKE SA %016llx rekeyed; now %016llx/%016llx",
              (unsigned long long)tcpsec_load_be64(old_spi_i),
              (unsigned long long)tcpsec_load_be64(spi_i),
              (unsigned long long)tcpsec_load_be64(spi_r));
  gw_event(peer->gw, peer, TCPSEC_GW_EVENT_IKE_REKEYED, 0, 0, 0);
}

/* The calendar time for certificate validity, from the gateway's
 * callback. The IKE SA calls this only when the peer signs, and tunnels
 * whose peer signs are rejected when the gateway has no callback. */
static uint64_t cb_wall_clock(void *user, tcpsec_ike_sa *sa) {
  struct gw_peer *peer = user;
  struct tcpsec_gw *gw = peer->gw;
  uint64_t now;

  (void)sa;
  if (gw->cb.wall_clock == NULL)
    return 0;
  gw->in_callback++;
  now = gw->cb.wall_clock(gw->cb.user);
  gw->in_callback--;
  return now;
}

static int cb_cert_revoked(void *user, const uint8_t *serial,
                           size_t serial_len, const uint8_t *issuer,
                           size_t issuer_len) {
  struct gw_peer *peer = user;
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;
  int revoked;

  peer->gw->in_callback++;
  revoked = t->cert_revoked(t->cert_revoked_user, peer->name, serial,
                            serial_len, issuer, issuer_len);
  peer->gw->in_callback--;
  return revoked;
}

void gw_peer_callbacks(struct gw_peer *peer, tcpsec_ike_callbacks *cb) {
  tcpsec_ike_callbacks_default(cb);
  cb->send = cb_send;
  cb->ike_sa_established = cb_established;
  cb->ike_sa_failed = cb_failed;
  cb->ike_sa_deleted = cb_deleted;
  cb->child_sa_installed = cb_child_installed;
  cb->child_sa_deleted = cb_child_deleted;
  cb->ike_sa_rekeyed = cb_ike_rekeyed;
  if (peer->gw->cb.keylog != NULL)
    cb->ike_keys = cb_ike_keys;
  if (peer->gw->cb.wall_clock != NULL)
    cb->wall_clock = cb_wall_clock;
  cb->user = peer;
}

static void copy_groups(uint16_t *dst, size_t *dst_count, const uint16_t *src,
                        size_t count) {
  size_t i;

  *dst_count = 0;
  for (i = 0; i < count && i < TCPSEC_IKE_CONFIG_MAX_DH_GROUPS; i++)
    dst[(*dst_count)++] = src[i];
}

int gw_auth_is_signature(uint8_t method) {
  return method == TCPSEC_IKE_AUTH_RSA ||
         method == TCPSEC_IKE_AUTH_ECDSA_P256 ||
         method == TCPSEC_IKE_AUTH_ECDSA_P384 ||
         method == TCPSEC_IKE_AUTH_ECDSA_P521 ||
         method == TCPSEC_IKE_AUTH_SIGNATURE;
}

/* Authentication: a PSK, certificates, or one of each direction. */
static void set_auth(const struct gw_tunnel *t, tcpsec_ike_config *cfg) {
  const tcpsec_gw_tunnel_config *c = &t->cfg;

  cfg->auth_method = t->local_method;
  cfg->remote_auth_method = t->remote_method;
  if (t->local_method == TCPSEC_IKE_AUTH_PSK ||
      t->remote_method == TCPSEC_IKE_AUTH_PSK) {
    cfg->psk = c->psk;
    cfg->psk_len = c->psk_len;
  }
  cfg->credentials = t->cred;
  if (gw_auth_is_signature(t->local_method))
    cfg->rsa_pss = c->rsa_pss;
  if (gw_auth_is_signature(t->remote_method))
    cfg->send_certreq = c->send_certreq;
}

void gw_tunnel_ike_config(const struct gw_tunnel *tunnel,
                          const tcpsec_ike_endpoint *local,
                          const tcpsec_ike_endpoint *remote,
                          int ike_transport, tcpsec_ike_config *cfg) {
  const tcpsec_gw_tunnel_config *t = &tunnel->cfg;

  tcpsec_ike_config_default(cfg);
  if (t->local_id.type != 0) {
    cfg->local_id = t->local_id;
  } else {
    cfg->local_id.type = local->family == 4 ? TCPSEC_IKE_ID_TYPE_IPV4_ADDR
                                            : TCPSEC_IKE_ID_TYPE_IPV6_ADDR;
    cfg->local_id.data = local->addr;
    cfg->local_id.len = local->family == 4 ? 4 : 16;
  }
  if (t->peer_id.type != 0)
    cfg->remote_id = t->peer_id;
  set_auth(tunnel, cfg);
  if (t->ike_proposals != NULL)
    cfg->ike_proposals = t->ike_proposals;
  if (t->esp_proposals != NULL)
    cfg->esp_proposals = t->esp_proposals;
  if (t->dh_group_count > 0)
    copy_groups(cfg->dh_groups, &cfg->dh_group_count, t->dh_groups,
                t->dh_group_count);
  copy_groups(cfg->pfs_groups, &cfg->pfs_group_count, t->pfs_groups,
              t->pfs_group_count);
  cfg->local_ts = t->local_ts;
  cfg->local_ts_count = t->local_ts_count;
  cfg->remote_ts = t->remote_ts;
  cfg->remote_ts_count = t->remote_ts_count;

  /* Lifetimes and rekeys (RFC 7296 section 2.8). */
  cfg->ike_lifetime_ms = t->ike_lifetime_ms;
  cfg->child_lifetime_ms = t->child_lifetime_ms;
  cfg->child_lifetime_bytes = t->child_lifetime_bytes;
  cfg->child_lifetime_packets = t->child_lifetime_packets;
  cfg->rekey = t->rekey;
  cfg->rekey_jitter_percent = t->rekey_jitter_percent;
  cfg->ike_rekey_ms = t->ike_rekey_ms;
  cfg->child_rekey_ms = t->child_rekey_ms;
  cfg->child_rekey_bytes = t->child_rekey_bytes;
  cfg->child_rekey_packets = t->child_rekey_packets;
  cfg->rekey_grace_ms = t->rekey_grace_ms;

  cfg->dpd_interval_ms = t->dpd_interval_ms;
  cfg->retransmit_timeout_ms = t->retransmit_timeout_ms;
  cfg->retransmit_limit = t->retransmit_limit;
  cfg->nat_traversal = 1;
  cfg->transport = (uint8_t)ike_transport;
  cfg->local = *local;
  cfg->remote = *remote;
}

void gw_peer_ike_config(struct gw_peer *peer, int ike_transport,
                        tcpsec_ike_config *cfg) {
  gw_tunnel_ike_config(peer->tunnel, &peer->local, &peer->remote,
                       ike_transport, cfg);
  if (peer->tunnel->cfg.cert_revoked != NULL &&
      gw_auth_is_signature(peer->tunnel->remote_method)) {
    cfg->cert_revoked = cb_cert_revoked;
    cfg->cert_revoked_user = peer;
  }
}

void gw_peer_remember_spi(struct gw_peer *peer) {
  uint8_t spi_r[8];
  int rv;

  if (tcpsec_ike_sa_spis(peer->ike, peer->spi_i, spi_r) != 0)
    return;
  rv = gw_ike_map_put(peer->gw, peer->spi_i, peer);
  if (rv == 0) {
    peer->spi_mapped = 1;
    return;
  }
  gw_peer_log(peer, TCPSEC_LOG_ERROR,
              "cannot route IKE SA %016llx: %s; its messages are dropped",
              (unsigned long long)tcpsec_load_be64(peer->spi_i),
              tcpsec_strerror(rv));
}

void gw_peer_forget_spis(struct gw_peer *peer) {
  size_t i;

  if (peer->spi_mapped)
    gw_ike_map_del(peer->gw, peer->spi_i, peer);
  for (i = 0; i < peer->old_spi_count; i++)
    gw_ike_map_del(peer->gw, peer->old_spi_i[i], peer);
  peer->spi_mapped = 0;
  peer->old_spi_count = 0;
  memset(peer->spi_i, 0, sizeof(peer->spi_i));
}

/* Create an initiator IKE SA for a static tunnel and send IKE_SA_INIT. */
int gw_peer_start_ike(struct gw_peer *peer, int ike_transport,
                      uint64_t now_ms) {
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  int rv;

  gw_peer_touch(peer);
  gw_peer_drop_ike(peer);
  peer->initiator = 1;
  peer->nat_t = 0;
  peer->ike_gone = 0;
  peer->reap_at = UINT64_MAX;
  peer->keepalive_at = UINT64_MAX;
  peer->peer_id_text[0] = '\0';
  peer->peer_id_type = 0;
  peer->peer_id_len = 0;
  peer->peer_auth_method = 0;
  if (ike_transport == TCPSEC_IKE_TRANSPORT_UDP) {
    peer->transport = TCPSEC_GW_ON_UDP;
    peer->local.port = 500;
    peer->remote.port = 500;
  }
  gw_peer_ike_config(peer, ike_transport, &cfg);
  gw_peer_callbacks(peer, &cb);
  rv = tcpsec_ike_sa_new_initiator(peer->gw->ctx, &cfg, &cb, &peer->ike);
  if (rv != 0) {
    gw_peer_log(peer, TCPSEC_LOG_ERROR, "cannot create IKE SA: %s",
                tcpsec_strerror(rv));
    peer->retry_at = now_ms + GW_RETRY_MS;
    return rv;
  }
  gw_peer_remember_spi(peer);
  peer->ike_created++;
  if (ike_transport == TCPSEC_IKE_TRANSPORT_UDP &&
      peer->tunnel->cfg.transport == TCPSEC_GW_TRANSPORT_AUTO)
    peer->fallback_at = now_ms + peer->tunnel->cfg.auto_transport_threshold_ms;
  gw_peer_log(peer, TCPSEC_LOG_INFO, "initiating IKE SA over %s",
              ike_transport == TCPSEC_IKE_TRANSPORT_UDP ? "UDP" : "TCP");
  rv = tcpsec_ike_sa_initiate(peer->ike, now_ms);
  if (rv != 0)
    gw_peer_log(peer, TCPSEC_LOG_ERROR, "cannot start IKE_SA_INIT: %s",
                tcpsec_strerror(rv));
  return rv;
}
