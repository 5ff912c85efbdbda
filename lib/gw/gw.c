/*
 * Gateway object: settings, tunnels, entry points and timers.
 *
 * Every public entry point goes through gw_entry() and gw_exit(). The pair
 * rejects calls from inside a callback. On the way out it frees the IKE SAs
 * and instances that failed or were deleted while callbacks ran, because
 * they cannot be freed from inside their own callbacks, and re-files the
 * deadlines of the instances the call touched (gw_timer.c).
 */
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "gw/gw_internal.h"

void tcpsec_gw_config_default(tcpsec_gw_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->cookie_threshold = 64;
  cfg->max_instances = 10000;
  cfg->max_connections = 20000;
}

void tcpsec_gw_tunnel_config_default(tcpsec_gw_tunnel_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->type = TCPSEC_GW_STATIC;
  cfg->transport = TCPSEC_GW_TRANSPORT_UDP;
  cfg->segment_placement = TCPSEC_SEGMENT_BEHIND;
  cfg->tcp_port = 4500;
  cfg->auto_transport_threshold_ms = 15000;
  cfg->ike_lifetime_ms = 86400000;
  cfg->child_lifetime_ms = 43200000;
  cfg->dpd_interval_ms = 20000;
  cfg->retransmit_timeout_ms = 1000;
  cfg->retransmit_limit = 5;
  cfg->replay_window = TCPSEC_ESP_REPLAY_WINDOW_DEFAULT;
  cfg->nat_keepalive_ms = 20000;
  cfg->tcp_reconnect_ms = 1000;
  cfg->clamp_mss = 1;
  cfg->outer_mtu = 1500;
  cfg->rekey = 1;
  cfg->rekey_jitter_percent = 10;
  cfg->rekey_grace_ms = 30000;
  cfg->tcp_reconnect_max_ms = 30000;
  cfg->auth_method = TCPSEC_IKE_AUTH_PSK;
  cfg->send_certreq = 1;
  cfg->rsa_pss = 1;
}

void tcpsec_gw_callbacks_default(tcpsec_gw_callbacks *cb) {
  if (cb == NULL)
    return;
  memset(cb, 0, sizeof(*cb));
  cb->size = sizeof(*cb);
}

/* Copy a size-versioned struct: defaults first, then the caller's bytes
 * up to the smaller of the two sizes. Unknown trailing bytes must be 0. */
static int copy_versioned(void *dst, size_t dst_size, const void *src) {
  size_t src_size, i;
  const uint8_t *s = src;

  memcpy(&src_size, src, sizeof(size_t));
  if (src_size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = dst_size; i < src_size; i++)
    if (s[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy(dst, src, TCPSEC_MIN(src_size, dst_size));
  memcpy(dst, &dst_size, sizeof(size_t));
  return 0;
}

int tcpsec_gw_new(tcpsec_ctx *ctx, const tcpsec_gw_config *cfg,
                  const tcpsec_gw_callbacks *cb, tcpsec_gw **out) {
  tcpsec_ike_responder_config rcfg;
  struct tcpsec_gw *gw;
  int rv;

  if (ctx == NULL || cb == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;

  gw = tcpsec_calloc(ctx, 1, sizeof(*gw));
  if (gw == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  gw->ctx = ctx;
  tcpsec_gw_config_default(&gw->cfg);
  tcpsec_gw_callbacks_default(&gw->cb);
  rv = cfg != NULL ? copy_versioned(&gw->cfg, sizeof(gw->cfg), cfg) : 0;
  if (rv == 0)
    rv = copy_versioned(&gw->cb, sizeof(gw->cb), cb);
  if (rv != 0)
    goto fail;

  gw->scratch = tcpsec_malloc(ctx, GW_SCRATCH_LEN);
  if (gw->scratch == NULL) {
    rv = TCPSEC_ERR_NO_MEMORY;
    goto fail;
  }
  rv = gw_ike_map_init(gw);
  if (rv == 0)
    rv = gw_seg_map_init(gw);
  if (rv != 0)
    goto fail;
  rv = tcpsec_sad_new(ctx, NULL, &gw->sad);
  if (rv != 0)
    goto fail;
  tcpsec_ike_responder_config_default(&rcfg);
  rcfg.cookie_threshold = gw->cfg.cookie_threshold;
  rv = tcpsec_ike_responder_new(ctx, &rcfg, &gw->responder);
  if (rv != 0)
    goto fail;

  *out = gw;
  return 0;

fail:
  tcpsec_gw_free(gw);
  return rv;
}

static void tunnel_free(tcpsec_ctx *ctx, struct gw_tunnel *t) {
  if (t == NULL)
    return;
  tcpsec_free_secret(ctx, t->psk, t->cfg.psk_len);
  tcpsec_ike_credentials_free(t->cred);
  tcpsec_free(ctx, t->ike_proposals);
  tcpsec_free(ctx, t->esp_proposals);
  tcpsec_free_secret(ctx, t, sizeof(*t));
}

void tcpsec_gw_free(tcpsec_gw *gw) {
  size_t i;

  if (gw == NULL)
    return;
  /* Connections first: releasing one updates the instances using it. */
  for (i = 0; i < gw->conn_cap; i++)
    if (gw->conns[i].id != 0)
      gw_conn_release(gw, &gw->conns[i], 1);
  for (i = 0; i < gw->peer_count; i++)
    gw_peer_free(gw->peers[i]);
  gw->peer_count = 0;
  for (i = 0; i < gw->tunnel_count; i++)
    tunnel_free(gw->ctx, gw->tunnels[i]);
  tcpsec_free(gw->ctx, gw->tunnels);
  tcpsec_free(gw->ctx, gw->peers);
  tcpsec_free(gw->ctx, gw->timers);
  tcpsec_free(gw->ctx, gw->conns);
  tcpsec_free(gw->ctx, gw->spi_map);
  tcpsec_free(gw->ctx, gw->ike_map);
  tcpsec_free(gw->ctx, gw->seg_map);
  tcpsec_ike_responder_free(gw->responder);
  tcpsec_sad_free(gw->sad);
  tcpsec_free_secret(gw->ctx, gw->scratch, GW_SCRATCH_LEN);
  tcpsec_free_secret(gw->ctx, gw, sizeof(*gw));
}

static char *dup_string(tcpsec_ctx *ctx, const char *s) {
  size_t n;
  char *d;

  if (s == NULL)
    return NULL;
  n = strlen(s) + 1;
  d = tcpsec_malloc(ctx, n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* Soft lifetimes must end before the hard ones, as the IKE layer
 * requires; checking here names the tunnel when it is added. */
static const char *tunnel_check_lifetimes(const tcpsec_gw_tunnel_config *c) {
  if (c->rekey_jitter_percent > 50)
    return "the rekey jitter must be at most 50 percent";
  if (c->ike_rekey_ms != 0 && c->ike_lifetime_ms != 0 &&
      c->ike_rekey_ms >= c->ike_lifetime_ms)
    return "the IKE SA rekey time must be below its lifetime";
  if (c->child_rekey_ms != 0 && c->child_lifetime_ms != 0 &&
      c->child_rekey_ms >= c->child_lifetime_ms)
    return "the Child SA rekey time must be below its lifetime";
  if (c->child_rekey_bytes != 0 && c->child_lifetime_bytes != 0 &&
      c->child_rekey_bytes >= c->child_lifetime_bytes)
    return "the Child SA rekey byte count must be below its lifetime";
  if (c->child_rekey_packets != 0 && c->child_lifetime_packets != 0 &&
      c->child_rekey_packets >= c->child_lifetime_packets)
    return "the Child SA rekey packet count must be below its lifetime";
  return NULL;
}

static const char *auth_name(uint8_t method) {
  switch (method) {
  case TCPSEC_IKE_AUTH_PSK:
    return "psk";
  case TCPSEC_IKE_AUTH_RSA:
    return "rsa";
  case TCPSEC_IKE_AUTH_ECDSA_P256:
  case TCPSEC_IKE_AUTH_ECDSA_P384:
  case TCPSEC_IKE_AUTH_ECDSA_P521:
    return "ecdsa";
  default:
    return "signature";
  }
}

static int is_auth_method(uint8_t method) {
  return method == TCPSEC_IKE_AUTH_PSK || gw_auth_is_signature(method);
}

/* Authentication settings: each direction needs what its method uses.
 * The certificates and the key themselves are checked by
 * tunnel_check_credentials(). */
static const char *tunnel_check_auth(struct tcpsec_gw *gw,
                                     const tcpsec_gw_tunnel_config *c) {
  uint8_t remote = c->remote_auth_method != 0 ? c->remote_auth_method
                                              : c->auth_method;

  if (!is_auth_method(c->auth_method))
    return "the authentication method must be 1 (RSA), 2 (PSK), 9, 10, 11 "
           "(ECDSA) or 14 (digital signature)";
  if (!is_auth_method(remote))
    return "the peer's authentication method must be 0 (the local one), 1, "
           "2, 9, 10, 11 or 14";
  if ((c->auth_method == TCPSEC_IKE_AUTH_PSK ||
       remote == TCPSEC_IKE_AUTH_PSK) &&
      (c->psk == NULL || c->psk_len == 0))
    return "a pre-shared key is required";
  if (gw_auth_is_signature(c->auth_method) &&
      (c->cert_chain == NULL || c->cert_chain_len == 0))
    return "a certificate is required for signature authentication";
  if (gw_auth_is_signature(c->auth_method) &&
      (c->private_key == NULL || c->private_key_len == 0))
    return "a private key is required for signature authentication";
  if (gw_auth_is_signature(remote) &&
      (c->trust_anchors == NULL || c->trust_anchors_len == 0))
    return "trust anchors (CA certificates) are required when the peer "
           "authenticates with a signature";
  if (gw_auth_is_signature(remote) && gw->cb.wall_clock == NULL)
    return "the peer authenticates with a signature, but the gateway has no "
           "wall_clock callback to check certificate validity with";
  return NULL;
}

static int tunnel_check(struct tcpsec_gw *gw,
                        const tcpsec_gw_tunnel_config *c) {
  const char *problem = NULL;

  if (c->name == NULL || c->name[0] == '\0' ||
      strlen(c->name) > TCPSEC_GW_NAME_MAX)
    problem = "name must have 1 to 35 characters";
  else if (c->type != TCPSEC_GW_STATIC && c->type != TCPSEC_GW_DYNAMIC)
    problem = "type must be static or dynamic";
  else if ((problem = tunnel_check_auth(gw, c)) != NULL)
    ;
  else if (c->type == TCPSEC_GW_STATIC && c->remote_gw.family == 0)
    problem = "a static tunnel needs a remote gateway";
  else if (c->local.family == 0)
    problem = "a local address is required";
  else if (c->transport < TCPSEC_GW_TRANSPORT_UDP ||
           c->transport > TCPSEC_GW_TRANSPORT_AUTO)
    problem = "transport must be udp, tcp or auto";
  else if (c->type == TCPSEC_GW_DYNAMIC &&
           c->transport == TCPSEC_GW_TRANSPORT_AUTO)
    problem = "transport auto is for static tunnels; a dial-up tunnel accepts "
          "both";
  else if (c->local_ts_count == 0 || c->local_ts_count > GW_MAX_TS ||
           c->remote_ts_count == 0 || c->remote_ts_count > GW_MAX_TS)
    problem = "1 to 16 local and remote subnets are required";
  else if (c->dh_group_count > GW_MAX_GROUPS ||
           c->pfs_group_count > GW_MAX_GROUPS)
    problem = "at most 8 key exchange groups";
  else if (c->local_id.len > GW_MAX_ID_LEN || c->peer_id.len > GW_MAX_ID_LEN)
    problem = "identities are limited to 255 bytes";
  else if (c->replay_window > TCPSEC_ESP_REPLAY_WINDOW_MAX)
    problem = "replay window too large";
  else if (c->tcp_port == 0)
    problem = "the TCP port must not be 0";
  else if (c->tcp_reconnect_ms == 0 ||
           c->tcp_reconnect_max_ms < c->tcp_reconnect_ms)
    problem = "the TCP reconnect delay must be at least 1 ms and not above "
              "its maximum";
  else
    problem = tunnel_check_lifetimes(c);
  if (problem == NULL)
    return 0;
  tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw", "tunnel \"%s\": %s",
             c->name != NULL ? c->name : "", problem);
  return TCPSEC_ERR_CONFIG;
}

/* Parse the proposal lists once here so that a typo is reported when the
 * tunnel is added, not at the first negotiation. */
static int tunnel_check_proposals(struct tcpsec_gw *gw,
                                  const tcpsec_gw_tunnel_config *c) {
  tcpsec_proposal_spec specs[16];
  char err[128];
  size_t n;
  int rv;

  if (c->ike_proposals != NULL) {
    rv = tcpsec_proposal_parse_list(c->ike_proposals, TCPSEC_PROPOSAL_IKE,
                                    specs, TCPSEC_ARRAY_SIZE(specs), &n, err,
                                    sizeof(err));
    if (rv != 0) {
      tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
                 "tunnel \"%s\": IKE proposal: %s", c->name, err);
      return rv;
    }
  }
  if (c->esp_proposals != NULL) {
    rv = tcpsec_proposal_parse_list(c->esp_proposals, TCPSEC_PROPOSAL_ESP,
                                    specs, TCPSEC_ARRAY_SIZE(specs), &n, err,
                                    sizeof(err));
    if (rv != 0) {
      tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
                 "tunnel \"%s\": ESP proposal: %s", c->name, err);
      return rv;
    }
  }
  return 0;
}

/* A copy of `len` bytes, or NULL for none; *failed is set when the
 * allocation failed. */
static uint8_t *dup_bytes(tcpsec_ctx *ctx, const uint8_t *data, size_t len,
                          int *failed) {
  uint8_t *copy;

  if (data == NULL || len == 0)
    return NULL;
  copy = tcpsec_malloc(ctx, len);
  if (copy == NULL) {
    *failed = 1;
    return NULL;
  }
  memcpy(copy, data, len);
  return copy;
}

/* Keep only the PSK, and only when a method uses it. Certificates and keys
 * are parsed into t->cred by tunnel_load_credentials(), and their bytes are
 * not kept. */
static int tunnel_copy_auth(struct tcpsec_gw *gw, struct gw_tunnel *t,
                            const tcpsec_gw_tunnel_config *c) {
  int uses_psk, failed = 0;

  t->local_method = c->auth_method;
  t->remote_method = c->remote_auth_method != 0 ? c->remote_auth_method
                                                : c->auth_method;
  uses_psk = t->local_method == TCPSEC_IKE_AUTH_PSK ||
             t->remote_method == TCPSEC_IKE_AUTH_PSK;

  t->psk = uses_psk ? dup_bytes(gw->ctx, c->psk, c->psk_len, &failed) : NULL;
  t->cfg.psk = t->psk;
  t->cfg.psk_len = t->psk != NULL ? c->psk_len : 0;
  t->cfg.cert_chain = NULL;
  t->cfg.cert_chain_len = 0;
  t->cfg.private_key = NULL;
  t->cfg.private_key_len = 0;
  t->cfg.trust_anchors = NULL;
  t->cfg.trust_anchors_len = 0;
  return failed ? TCPSEC_ERR_NO_MEMORY : 0;
}

static int tunnel_copy(struct tcpsec_gw *gw, struct gw_tunnel *t,
                       const tcpsec_gw_tunnel_config *c) {
  int rv;

  t->cfg = *c;
  memcpy(t->name, c->name, strlen(c->name) + 1);
  t->cfg.name = t->name;

  rv = tunnel_copy_auth(gw, t, c);
  if (rv != 0)
    return rv;

  t->ike_proposals = dup_string(gw->ctx, c->ike_proposals);
  t->esp_proposals = dup_string(gw->ctx, c->esp_proposals);
  if ((c->ike_proposals != NULL && t->ike_proposals == NULL) ||
      (c->esp_proposals != NULL && t->esp_proposals == NULL))
    return TCPSEC_ERR_NO_MEMORY;
  t->cfg.ike_proposals = t->ike_proposals;
  t->cfg.esp_proposals = t->esp_proposals;

  if (c->dh_group_count > 0)
    memcpy(t->dh_groups, c->dh_groups, c->dh_group_count * sizeof(uint16_t));
  t->cfg.dh_groups = t->dh_groups;
  if (c->pfs_group_count > 0)
    memcpy(t->pfs_groups, c->pfs_groups,
           c->pfs_group_count * sizeof(uint16_t));
  t->cfg.pfs_groups = t->pfs_groups;
  memcpy(t->local_ts, c->local_ts, c->local_ts_count * sizeof(t->local_ts[0]));
  memcpy(t->remote_ts, c->remote_ts,
         c->remote_ts_count * sizeof(t->remote_ts[0]));
  t->cfg.local_ts = t->local_ts;
  t->cfg.remote_ts = t->remote_ts;

  if (c->local_id.len > 0)
    memcpy(t->local_id, c->local_id.data, c->local_id.len);
  t->cfg.local_id.data = t->local_id;
  if (c->peer_id.len > 0)
    memcpy(t->peer_id, c->peer_id.data, c->peer_id.len);
  t->cfg.peer_id.data = t->peer_id;
  t->next_instance = 1;
  return 0;
}

static int trial_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                      size_t len, unsigned flags) {
  (void)user;
  (void)sa;
  (void)msg;
  (void)len;
  (void)flags;
  return 0;
}

/*
 * Parse the certificates, the private key and the trust anchors once, when
 * the tunnel is added, into credentials that every IKE SA of the tunnel
 * shares. An IKE SA that never sends is then configured with them, so that
 * a key that does not fit the method is reported with the tunnel's name
 * instead of at the first peer.
 */
static int tunnel_load_credentials(struct tcpsec_gw *gw, struct gw_tunnel *t,
                                   const tcpsec_gw_tunnel_config *c) {
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  tcpsec_ike_sa *sa = NULL;
  int signs = gw_auth_is_signature(t->local_method);
  int verifies = gw_auth_is_signature(t->remote_method);
  int rv;

  if (!signs && !verifies)
    return 0;
  tcpsec_ike_config_default(&cfg);
  cfg.local_id = t->cfg.local_id;
  if (signs) {
    cfg.cert_chain = c->cert_chain;
    cfg.cert_chain_len = c->cert_chain_len;
    cfg.private_key = c->private_key;
    cfg.private_key_len = c->private_key_len;
  }
  if (verifies) {
    cfg.trust_anchors = c->trust_anchors;
    cfg.trust_anchors_len = c->trust_anchors_len;
  }
  rv = tcpsec_ike_credentials_new(gw->ctx, &cfg, &t->cred);
  if (rv != 0) {
    tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
               "tunnel \"%s\": certificate, private key or trust anchors "
               "rejected: %s",
               t->name, tcpsec_strerror(rv));
    return rv;
  }

  gw_tunnel_ike_config(t, &t->cfg.local,
                       t->cfg.type == TCPSEC_GW_STATIC ? &t->cfg.remote_gw
                                                       : &t->cfg.local,
                       TCPSEC_IKE_TRANSPORT_UDP, &cfg);
  tcpsec_ike_callbacks_default(&cb);
  cb.send = trial_send;
  rv = tcpsec_ike_sa_new_initiator(gw->ctx, &cfg, &cb, &sa);
  tcpsec_ike_sa_free(sa);
  if (rv != 0)
    tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
               "tunnel \"%s\": authentication settings rejected: %s",
               t->name, tcpsec_strerror(rv));
  return rv;
}

int tcpsec_gw_add_tunnel(tcpsec_gw *gw, const tcpsec_gw_tunnel_config *cfg) {
  tcpsec_gw_tunnel_config c;
  struct gw_tunnel *t, **list;
  size_t i;
  int rv;

  if (gw == NULL || cfg == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (gw->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  tcpsec_gw_tunnel_config_default(&c);
  rv = copy_versioned(&c, sizeof(c), cfg);
  if (rv != 0)
    return rv;
  rv = tunnel_check(gw, &c);
  if (rv == 0)
    rv = tunnel_check_proposals(gw, &c);
  if (rv != 0)
    return rv;
  for (i = 0; i < gw->tunnel_count; i++)
    if (strcmp(gw->tunnels[i]->name, c.name) == 0)
      return TCPSEC_ERR_EXISTS;

  t = tcpsec_calloc(gw->ctx, 1, sizeof(*t));
  if (t == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  rv = tunnel_copy(gw, t, &c);
  if (rv == 0)
    rv = tunnel_load_credentials(gw, t, &c);
  if (rv != 0) {
    tunnel_free(gw->ctx, t);
    return rv;
  }
  list = tcpsec_realloc(gw->ctx, gw->tunnels,
                        (gw->tunnel_count + 1) * sizeof(*list));
  if (list == NULL) {
    tunnel_free(gw->ctx, t);
    return TCPSEC_ERR_NO_MEMORY;
  }
  gw->tunnels = list;
  gw->tunnels[gw->tunnel_count++] = t;
  tcpsec_log(gw->ctx, TCPSEC_LOG_INFO, "gw",
             "tunnel \"%s\" added: %s, transport %s%s, TCP port %u, "
             "authentication %s, peer %s",
             t->name, c.type == TCPSEC_GW_STATIC ? "static" : "dial-up",
             c.transport == TCPSEC_GW_TRANSPORT_UDP   ? "udp"
             : c.transport == TCPSEC_GW_TRANSPORT_TCP ? "tcp"
                                                      : "auto",
             c.fortinet_esp ? " with Fortinet-style ESP segments" : "",
             (unsigned)c.tcp_port, auth_name(t->local_method),
             auth_name(t->remote_method));
  return 0;
}

int gw_entry(struct tcpsec_gw *gw, uint64_t now_ms) {
  if (gw == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (gw->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  gw->now_ms = now_ms;
  return 0;
}

void gw_exit(struct tcpsec_gw *gw) { gw_timer_flush(gw); }

void gw_event(struct tcpsec_gw *gw, struct gw_peer *peer, int type,
              int reason, uint32_t spi_in, uint32_t spi_out) {
  tcpsec_gw_event ev;

  if (gw->cb.event == NULL)
    return;
  memset(&ev, 0, sizeof(ev));
  ev.size = sizeof(ev);
  ev.type = type;
  ev.tunnel = peer->tunnel->name;
  ev.instance = peer->name;
  ev.reason = reason;
  ev.spi_in = spi_in;
  ev.spi_out = spi_out;
  gw->in_callback++;
  gw->cb.event(gw->cb.user, &ev);
  gw->in_callback--;
}

int tcpsec_gw_start(tcpsec_gw *gw, uint64_t now_ms) {
  size_t i;
  int rv = gw_entry(gw, now_ms);

  if (rv != 0)
    return rv;
  gw->shutting_down = 0;
  for (i = 0; i < gw->tunnel_count && rv == 0; i++) {
    struct gw_tunnel *t = gw->tunnels[i];
    struct gw_peer *peer = t->static_peer;

    if (t->cfg.type != TCPSEC_GW_STATIC)
      continue;
    if (peer == NULL)
      peer = gw_peer_new(gw, t, now_ms);
    if (peer == NULL) {
      rv = TCPSEC_ERR_NO_MEMORY;
      break;
    }
    peer->shutting_down = 0;
    if (peer->ike == NULL && peer->retry_at == UINT64_MAX)
      peer->retry_at = now_ms;
    gw_peer_timeout(peer, now_ms);
  }
  gw_exit(gw);
  return rv;
}

int tcpsec_gw_shutdown(tcpsec_gw *gw, uint64_t now_ms) {
  size_t i;
  int rv = gw_entry(gw, now_ms);

  if (rv != 0)
    return rv;
  gw->shutting_down = 1;
  for (i = 0; i < gw->peer_count; i++) {
    struct gw_peer *p = gw->peers[i];
    gw_peer_touch(p);
    p->shutting_down = 1;
    p->retry_at = UINT64_MAX;
    p->reconnect_at = UINT64_MAX;
    p->fallback_at = UINT64_MAX;
    p->recreate_at = UINT64_MAX;
    if (p->ike != NULL &&
        tcpsec_ike_sa_state(p->ike) == TCPSEC_IKE_SA_ESTABLISHED)
      (void)tcpsec_ike_sa_delete(p->ike, now_ms);
  }
  gw_exit(gw);
  return 0;
}

uint64_t tcpsec_gw_next_timeout(const tcpsec_gw *gw) {
  if (gw == NULL || gw->timer_count == 0)
    return UINT64_MAX;
  return gw->timers[0]->timer_at;
}

int tcpsec_gw_handle_timeout(tcpsec_gw *gw, uint64_t now_ms) {
  struct gw_peer *due, *next;
  int rv = gw_entry(gw, now_ms);

  if (rv != 0)
    return rv;
  /* Take the due instances out first: each runs once per call, even when
   * its new deadline is again at or before now_ms. */
  for (due = gw_timer_take_due(gw, now_ms); due != NULL; due = next) {
    next = due->due_next;
    due->due_next = NULL;
    gw_peer_timeout(due, now_ms);
  }
  gw_exit(gw);
  return 0;
}

int gw_endpoint_equal(const tcpsec_ike_endpoint *a,
                      const tcpsec_ike_endpoint *b) {
  size_t n = a->family == 4 ? 4 : 16;

  return a->family == b->family && a->port == b->port &&
         memcmp(a->addr, b->addr, n) == 0;
}

void gw_endpoint_format(const tcpsec_ike_endpoint *ep, char *buf,
                        size_t len) {
  if (ep->family == 4) {
    snprintf(buf, len, "%u.%u.%u.%u:%u", ep->addr[0], ep->addr[1],
             ep->addr[2], ep->addr[3], (unsigned)ep->port);
  } else if (ep->family == 6) {
    size_t i, off = 0;
    buf[0] = '\0';
    off += (size_t)snprintf(buf, len, "[");
    for (i = 0; i < 16 && off < len; i += 2)
      off += (size_t)snprintf(buf + off, len - off, "%s%x", i ? ":" : "",
                              (unsigned)(ep->addr[i] << 8 | ep->addr[i + 1]));
    if (off < len)
      snprintf(buf + off, len - off, "]:%u", (unsigned)ep->port);
  } else {
    snprintf(buf, len, "-");
  }
}
