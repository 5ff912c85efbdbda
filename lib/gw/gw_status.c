/*
 * Status snapshot: what an operator reads in FortiOS `diagnose vpn ike
 * gateway list` and `diagnose vpn tunnel list`, per instance and Child SA.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "gw/gw_internal.h"

static int copy_out(void *dst, const void *src, size_t full);

int tcpsec_gw_get_stats(const tcpsec_gw *gw, tcpsec_gw_stats *out) {
  tcpsec_gw_stats s;

  if (gw == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memset(&s, 0, sizeof(s));
  s.size = sizeof(s);
  s.drops_no_policy = gw->drops_no_policy;
  s.drops_tunnel_down = gw->drops_tunnel_down;
  s.drops_unknown = gw->drops_unknown;
  return copy_out(out, &s, sizeof(s));
}

size_t tcpsec_gw_instance_count(const tcpsec_gw *gw) {
  return gw != NULL ? gw->peer_count : 0;
}

/* Fill only the part of the caller's struct its size field covers. */
static int copy_out(void *dst, const void *src, size_t full) {
  size_t n;

  memcpy(&n, dst, sizeof(size_t));
  if (n < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy((uint8_t *)dst + sizeof(size_t), (const uint8_t *)src + sizeof(size_t),
         TCPSEC_MIN(n, full) - sizeof(size_t));
  return 0;
}

static void format_proposal(const tcpsec_ike_sa_info *info, char *buf,
                            size_t len) {
  tcpsec_proposal_spec spec;

  memset(&spec, 0, sizeof(spec));
  spec.encr = info->encr;
  spec.key_bits = info->encr_key_bits;
  spec.integ = info->integ;
  spec.prf = info->prf;
  if (tcpsec_proposal_format(&spec, TCPSEC_PROPOSAL_IKE, buf, len) < 0)
    snprintf(buf, len, "-");
}

static uint64_t time_left(uint64_t start, uint64_t lifetime, uint64_t now) {
  if (lifetime == 0 || start == 0)
    return 0;
  if (start + lifetime <= now)
    return 0;
  return start + lifetime - now;
}

/* Time from now to `at`; 0 for none (0) or a time already passed. */
static uint64_t time_until(uint64_t at, uint64_t now) {
  return at > now ? at - now : 0;
}

/* IKE SA state, SPIs, proposal, rekey times and counters. */
static void ike_sa_status(const struct gw_peer *p, uint64_t now_ms,
                          tcpsec_gw_ike_status *s) {
  tcpsec_ike_sa_info info;
  tcpsec_ike_sa_stats st;

  memset(&info, 0, sizeof(info));
  info.size = sizeof(info);
  if (tcpsec_ike_sa_get_info(p->ike, &info) == 0) {
    s->state = info.state;
    /* After an IKE SA rekey the side that started the rekey is the
     * original initiator of the new IKE SA (RFC 7296 section 2.8). */
    if (info.state == TCPSEC_IKE_SA_ESTABLISHED)
      s->initiator = info.initiator;
    s->nat = (uint8_t)((info.nat_local ? 1 : 0) | (info.nat_remote ? 2 : 0));
    s->ke_group = info.ke_group;
    if (info.encr != 0)
      format_proposal(&info, s->proposal, sizeof(s->proposal));
    s->rekey_in_ms = time_until(info.rekey_at_ms, now_ms);
    if (info.expires_at_ms != 0)
      s->expires_in_ms = time_until(info.expires_at_ms, now_ms);
  }
  (void)tcpsec_ike_sa_spis(p->ike, s->spi_i, s->spi_r);
  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (tcpsec_ike_sa_get_stats(p->ike, &st) == 0) {
    s->ike_messages_in = st.messages_in;
    s->ike_messages_out = st.messages_out;
    s->ike_retransmits = st.retransmits;
    s->ike_rekeys += st.ike_rekeys;
    s->child_rekeys += st.child_rekeys;
    s->rekey_collisions += st.rekey_collisions;
    s->create_child_refused += st.create_child_refused;
  }
}

int tcpsec_gw_get_ike_status(const tcpsec_gw *gw, size_t index,
                             uint64_t now_ms, tcpsec_gw_ike_status *out) {
  const struct gw_peer *p;
  tcpsec_gw_ike_status s;

  if (gw == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (index >= gw->peer_count)
    return TCPSEC_ERR_NOT_FOUND;
  p = gw->peers[index];

  memset(&s, 0, sizeof(s));
  s.size = sizeof(s);
  snprintf(s.name, sizeof(s.name), "%s", p->name);
  snprintf(s.tunnel, sizeof(s.tunnel), "%s", p->tunnel->name);
  s.type = p->tunnel->cfg.type;
  s.transport = (uint8_t)p->transport;
  s.initiator = (uint8_t)p->initiator;
  s.local = p->local;
  s.remote = p->remote;
  s.created_ms = p->created_ms;
  s.established_ms = p->established_ms;
  s.ike_created = p->ike_created;
  s.ike_established = p->ike_established;
  s.child_created = p->child_created;
  s.child_count = (uint32_t)p->child_count;
  s.dpd_interval_ms = p->tunnel->cfg.dpd_interval_ms;
  s.lifetime_ms = p->tunnel->cfg.ike_lifetime_ms;
  s.expires_in_ms = time_left(p->established_ms, s.lifetime_ms, now_ms);
  snprintf(s.peer_id, sizeof(s.peer_id), "%s", p->peer_id_text);
  s.peer_id_type = p->peer_id_type;
  s.peer_auth_method = p->peer_auth_method;
  s.last_error = p->last_error;
  s.drops = p->drops;
  s.tcp_connections = p->tcp_connections;
  s.tcp_connect_failures = p->connect_failures;
  s.ike_rekeys = p->past_ike_rekeys;
  s.child_rekeys = p->past_child_rekeys;
  s.rekey_collisions = p->past_rekey_collisions;
  s.create_child_refused = p->past_create_child_refused;
  snprintf(s.proposal, sizeof(s.proposal), "-");

  if (p->ike != NULL)
    ike_sa_status(p, now_ms, &s);
  if (p->conn != 0 && p->conn <= gw->conn_cap &&
      gw->conns[p->conn - 1].id == p->conn) {
    s.tcp_frames_in = gw->conns[p->conn - 1].frames_in;
    s.tcp_frames_out = gw->conns[p->conn - 1].frames_out;
  }
  return copy_out(out, &s, sizeof(s));
}

int tcpsec_gw_get_child_status(const tcpsec_gw *gw, size_t index,
                               size_t child, uint64_t now_ms,
                               tcpsec_gw_child_status *out) {
  const struct gw_peer *p;
  const struct gw_child *ch;
  tcpsec_gw_child_status s;
  tcpsec_esp_sa_stats st;
  const tcpsec_esp_sa *sa;
  tcpsec_proposal_spec spec;

  if (gw == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (index >= gw->peer_count || child >= gw->peers[index]->child_count)
    return TCPSEC_ERR_NOT_FOUND;
  p = gw->peers[index];
  ch = &p->children[child];

  memset(&s, 0, sizeof(s));
  s.size = sizeof(s);
  s.spi_in = ch->spi_in;
  s.spi_out = ch->spi_out;
  memset(&spec, 0, sizeof(spec));
  spec.encr = ch->encr;
  spec.key_bits = ch->encr_key_bits;
  spec.integ = ch->integ;
  if (tcpsec_proposal_format(&spec, TCPSEC_PROPOSAL_ESP, s.proposal,
                             sizeof(s.proposal)) < 0)
    snprintf(s.proposal, sizeof(s.proposal), "-");
  s.local_ts = ch->local_ts[0];
  s.remote_ts = ch->remote_ts[0];
  s.created_ms = ch->created_ms;
  s.lifetime_ms = ch->hard_lifetime_ms;
  s.expires_in_ms = time_left(ch->created_ms, ch->hard_lifetime_ms, now_ms);
  if (!ch->replaced)
    s.rekey_in_ms = time_left(ch->created_ms, ch->soft_lifetime_ms, now_ms);
  s.replaces_spi_in = ch->replaces_spi_in;
  s.pfs_group = ch->pfs_group;
  s.replaced = ch->replaced;
  s.mtu = gw_child_mtu(p, ch);

  sa = tcpsec_sad_find_inbound(gw->sad, ch->spi_in);
  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (sa != NULL && tcpsec_esp_sa_get_stats(sa, &st) == 0) {
    s.packets_in = st.packets;
    s.bytes_in = st.bytes;
    s.seq_in = st.last_seq;
    s.replay_window = st.replay_window;
    s.errors_in = st.err_truncated + st.err_replayed + st.err_auth_failed +
                  st.err_bad_padding + st.err_bad_next_header +
                  st.err_expired + ch->policy_drops;
  }
  sa = tcpsec_sad_find_outbound(gw->sad, ch->spi_in);
  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (sa != NULL && tcpsec_esp_sa_get_stats(sa, &st) == 0) {
    s.packets_out = st.packets;
    s.bytes_out = st.bytes;
    s.seq_out = st.last_seq;
  }
  return copy_out(out, &s, sizeof(s));
}
