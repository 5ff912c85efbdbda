/*
 * Child SA pairs: negotiation on the responder (proposal selection and
 * traffic selector narrowing), checks of a response on the initiator, key
 * material (RFC 7296 section 2.17) and the report to the caller. IKE_AUTH
 * and CREATE_CHILD_SA share them.
 */
#include "ike/ike_sa.h"

#include <string.h>

void tcpsec_ike_add_selectors(tcpsec_ike_builder *b, uint8_t payload,
                              const tcpsec_ike_traffic_selector *ts,
                              size_t count) {
  tcpsec_ike_selector sel[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t i;

  for (i = 0; i < count; i++)
    tcpsec_ike_ts_to_selector(&ts[i], &sel[i]);
  tcpsec_ike_builder_add_ts(b, payload, sel, count);
}

static void log_child(tcpsec_ike_sa *sa, const tcpsec_ike_child_sa *c) {
  char local[96], remote[96];

  if (!tcpsec_log_enabled(sa->ctx, TCPSEC_LOG_INFO))
    return;
  tcpsec_ike_ts_format(&c->local_ts[0], local, sizeof(local));
  tcpsec_ike_ts_format(&c->remote_ts[0], remote, sizeof(remote));
  if (c->replaces_spi_in != 0)
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "Child SA %08x/%08x established, replacing %08x (encr %u/%u "
               "integ %u esn %u pfs %u): %s%s <-> %s%s",
               c->spi_in, c->spi_out, c->replaces_spi_in, c->encr,
               c->encr_key_bits, c->integ, c->esn, c->pfs_group, local,
               c->local_ts_count > 1 ? " ..." : "", remote,
               c->remote_ts_count > 1 ? " ..." : "");
  else
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "Child SA %08x/%08x established (encr %u/%u integ %u esn %u "
               "pfs %u): %s%s <-> %s%s",
               c->spi_in, c->spi_out, c->encr, c->encr_key_bits, c->integ,
               c->esn, c->pfs_group, local, c->local_ts_count > 1 ? " ..." : "",
               remote, c->remote_ts_count > 1 ? " ..." : "");
}

/* Soft limit from a configured one, or 90 % of the hard limit. */
static uint64_t soft_of(uint64_t configured, uint64_t hard) {
  if (configured != 0)
    return configured;
  return hard / 10 * 9;
}

uint64_t tcpsec_ike_jitter(tcpsec_ike_sa *sa, uint64_t soft) {
  uint64_t span = soft / 100 * sa->cfg.pub.rekey_jitter_percent;
  uint8_t b[4];

  if (span == 0 || tcpsec_random(sa->ctx, b, sizeof(b)) != 0)
    return soft;
  return soft - (uint64_t)tcpsec_load_be32(b) % (span + 1);
}

/* Record the pair and fill the report, without keys. */
static int child_record(tcpsec_ike_sa *sa, const ike_child_spec *spec,
                        uint64_t now_ms, tcpsec_ike_child_sa *c) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  const ike_esp_suite *suite = spec->suite;
  uint64_t soft_ms = soft_of(cfg->child_rekey_ms, cfg->child_lifetime_ms);
  ike_child *child = tcpsec_ike_child_add(sa);

  if (child == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  child->spi_in = spec->spi_in;
  child->spi_out = suite->peer_spi;
  child->encr = suite->encr;
  child->encr_key_bits = suite->key_bits;
  child->integ = suite->integ;
  child->esn = suite->esn;
  child->pfs_group = spec->pfs_group;
  child->initiator = spec->initiator;
  child->installed = 1;
  child->created_ms = now_ms;
  child->expires_ms =
      cfg->child_lifetime_ms != 0 ? now_ms + cfg->child_lifetime_ms : 0;
  child->rekey_ms = soft_ms != 0 && cfg->rekey
                        ? now_ms + tcpsec_ike_jitter(sa, soft_ms)
                        : 0;
  memcpy(child->local_ts, spec->local_ts,
         spec->local_count * sizeof(*spec->local_ts));
  memcpy(child->remote_ts, spec->remote_ts,
         spec->remote_count * sizeof(*spec->remote_ts));
  child->local_ts_count = spec->local_count;
  child->remote_ts_count = spec->remote_count;

  memset(c, 0, sizeof(*c));
  c->size = sizeof(*c);
  c->spi_in = spec->spi_in;
  c->spi_out = suite->peer_spi;
  c->encr = suite->encr;
  c->encr_key_bits = suite->key_bits;
  c->integ = suite->integ;
  c->esn = suite->esn;
  c->initiator = spec->initiator;
  c->transport = cfg->transport;
  c->udp_encap = (uint8_t)(tcpsec_ike_nat_send_flags(sa) != 0);
  c->local_ts = child->local_ts;
  c->local_ts_count = spec->local_count;
  c->remote_ts = child->remote_ts;
  c->remote_ts_count = spec->remote_count;
  c->hard_lifetime_ms = cfg->child_lifetime_ms;
  c->soft_lifetime_ms =
      child->rekey_ms != 0 ? child->rekey_ms - now_ms : soft_ms;
  c->hard_lifetime_bytes = cfg->child_lifetime_bytes;
  c->soft_lifetime_bytes =
      soft_of(cfg->child_rekey_bytes, cfg->child_lifetime_bytes);
  c->hard_lifetime_packets = cfg->child_lifetime_packets;
  c->soft_lifetime_packets =
      soft_of(cfg->child_rekey_packets, cfg->child_lifetime_packets);
  c->created_ms = now_ms;
  c->local = cfg->local;
  c->remote = cfg->remote;
  c->replaces_spi_in = spec->replaces_spi_in;
  c->pfs_group = spec->pfs_group;
  c->outbound_deferred = spec->outbound_deferred;
  return 0;
}

int tcpsec_ike_child_establish(tcpsec_ike_sa *sa, const ike_child_spec *spec,
                               uint64_t now_ms) {
  uint8_t keymat[2 * (IKE_CHILD_KEY_MAX + IKE_CHILD_INTEG_MAX)];
  size_t e_len, a_len;
  const uint8_t *i_to_r, *r_to_i;
  tcpsec_ike_child_sa c;
  int rv;

  rv = tcpsec_ike_esp_key_lens(spec->suite, &e_len, &a_len);
  if (rv != 0)
    return rv;

  /* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): initiator-to-responder
   * keys first, each encryption key before its integrity key (section
   * 2.17). */
  rv = tcpsec_ikev2_child_keymat(sa->ctx, sa->suite.prf, sa->sk_d, sa->prf_len,
                                 spec->gir, spec->gir_len, spec->ni,
                                 spec->ni_len, spec->nr, spec->nr_len, keymat,
                                 2 * (e_len + a_len));
  if (rv == 0)
    rv = child_record(sa, spec, now_ms, &c);
  if (rv != 0) {
    tcpsec_zeroize(keymat, sizeof(keymat));
    return rv;
  }
  i_to_r = keymat;
  r_to_i = keymat + e_len + a_len;
  c.encr_key_out = spec->initiator ? i_to_r : r_to_i;
  c.encr_key_in = spec->initiator ? r_to_i : i_to_r;
  c.encr_key_len = e_len;
  if (a_len > 0) {
    c.integ_key_out = c.encr_key_out + e_len;
    c.integ_key_in = c.encr_key_in + e_len;
  }
  c.integ_key_len = a_len;
  log_child(sa, &c);
  tcpsec_ike_cb_child_installed(sa, &c);
  tcpsec_zeroize(keymat, sizeof(keymat));
  return 0;
}

uint16_t tcpsec_ike_child_negotiate(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg, int create,
                                    uint16_t peer_ke, ike_child_offer *out) {
  tcpsec_ike_traffic_selector got[TCPSEC_IKE_MAX_SELECTORS];
  const tcpsec_ike_payload *sa_p, *tsi_p, *tsr_p;
  size_t n;

  out->count_i = out->count_r = 0;
  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  tsi_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSI, 0);
  tsr_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSR, 0);
  if (sa_p == NULL || tsi_p == NULL || tsr_p == NULL)
    return TCPSEC_IKE_N_INVALID_SYNTAX;
  out->index =
      create ? tcpsec_ike_select_esp_pfs(&sa->cfg, &sa_p->u.sa, peer_ke,
                                         &out->suite)
             : tcpsec_ike_select_esp(&sa->cfg, &sa_p->u.sa, &out->suite);
  if (out->index < 0)
    return TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN;
  out->number = sa_p->u.sa.proposals[out->index].number;

  /* Narrowing (section 2.9): TSi against what we accept for the peer's
   * side, TSr against our side. */
  n = tcpsec_ike_ts_from_payload(&tsi_p->u.ts, got, TCPSEC_IKE_MAX_SELECTORS);
  out->count_i = tcpsec_ike_ts_narrow(got, n, sa->cfg.remote_ts,
                                      sa->cfg.pub.remote_ts_count, out->tsi,
                                      TCPSEC_IKE_CONFIG_MAX_TS);
  n = tcpsec_ike_ts_from_payload(&tsr_p->u.ts, got, TCPSEC_IKE_MAX_SELECTORS);
  out->count_r = tcpsec_ike_ts_narrow(got, n, sa->cfg.local_ts,
                                      sa->cfg.pub.local_ts_count, out->tsr,
                                      TCPSEC_IKE_CONFIG_MAX_TS);
  if (out->count_i == 0 || out->count_r == 0)
    return TCPSEC_IKE_N_TS_UNACCEPTABLE;
  return 0;
}

void tcpsec_ike_child_add_answer(tcpsec_ike_builder *b,
                                 const ike_child_offer *o, uint32_t spi_in) {
  tcpsec_ike_transform t[5];
  tcpsec_ike_proposal p;

  tcpsec_ike_esp_proposal(&o->suite, o->number, spi_in, &p, t);
  tcpsec_ike_builder_add_sa(b, &p, 1);
  tcpsec_ike_add_selectors(b, TCPSEC_IKE_PT_TSI, o->tsi, o->count_i);
  tcpsec_ike_add_selectors(b, TCPSEC_IKE_PT_TSR, o->tsr, o->count_r);
}

uint16_t tcpsec_ike_child_first_error(const tcpsec_ike_msg *msg) {
  size_t i;

  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->type == TCPSEC_IKE_PT_NOTIFY &&
        p->u.notify.type < TCPSEC_IKE_N_STATUS_FIRST)
      return p->u.notify.type;
  }
  return 0;
}

const char *tcpsec_ike_child_check_answer(tcpsec_ike_sa *sa,
                                          const tcpsec_ike_msg *msg, int create,
                                          uint16_t ke_sent,
                                          const tcpsec_ike_traffic_selector *li,
                                          size_t li_count,
                                          const tcpsec_ike_traffic_selector *rr,
                                          size_t rr_count,
                                          ike_child_offer *out) {
  const tcpsec_ike_payload *sa_p, *tsi_p, *tsr_p;

  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  tsi_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSI, 0);
  tsr_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSR, 0);
  if (sa_p == NULL || tsi_p == NULL || tsr_p == NULL)
    return "SA, TSi or TSr payload missing";
  if ((create ? tcpsec_ike_accept_esp_pfs(&sa->cfg, &sa_p->u.sa, ke_sent,
                                          &out->suite)
              : tcpsec_ike_accept_esp(&sa->cfg, &sa_p->u.sa, &out->suite)) != 0)
    return "the proposal is not one we offered";
  out->count_i =
      tcpsec_ike_ts_from_payload(&tsi_p->u.ts, out->tsi, TCPSEC_IKE_CONFIG_MAX_TS);
  out->count_r =
      tcpsec_ike_ts_from_payload(&tsr_p->u.ts, out->tsr, TCPSEC_IKE_CONFIG_MAX_TS);
  /* The responder may only narrow what we proposed (section 2.9). */
  if (out->count_i == 0 || out->count_r == 0 ||
      !tcpsec_ike_ts_subset(out->tsi, out->count_i, li, li_count) ||
      !tcpsec_ike_ts_subset(out->tsr, out->count_r, rr, rr_count))
    return "traffic selectors wider than proposed";
  return NULL;
}
