/*
 * IKE_AUTH with pre-shared keys and the first Child SA (RFC 7296 sections
 * 1.2, 2.9, 2.15, 2.17 and 2.21.2).
 *
 *   Initiator                         Responder
 *   HDR, SK {IDi, [IDr,] AUTH, [N(INITIAL_CONTACT),]
 *            SAi2, TSi, TSr}  -->
 *                                <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 *
 * A failed authentication ends the IKE SA on both sides. The responder
 * responds AUTHENTICATION_FAILED, and an initiator that rejects the
 * responder's AUTH sends AUTHENTICATION_FAILED in one INFORMATIONAL request
 * (section 2.21.2). A failed Child SA does not end it: the responder sends
 * NO_PROPOSAL_CHOSEN or TS_UNACCEPTABLE beside IDr and AUTH, and the IKE SA
 * is established without a Child SA.
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

/* RestOfIDPayload of our own identity: type, three zero RESERVED bytes,
 * data. */
static size_t own_id_body(const tcpsec_ike_sa *sa, uint8_t *out) {
  const tcpsec_ike_identity *id = &sa->cfg.pub.local_id;

  out[0] = id->type;
  out[1] = out[2] = out[3] = 0;
  memcpy(out + 4, id->data, id->len);
  return 4 + id->len;
}

static void add_selectors(tcpsec_ike_builder *b, uint8_t payload,
                          const tcpsec_ike_traffic_selector *ts, size_t count) {
  tcpsec_ike_selector sel[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t i;

  for (i = 0; i < count; i++)
    tcpsec_ike_ts_to_selector(&ts[i], &sel[i]);
  tcpsec_ike_builder_add_ts(b, payload, sel, count);
}

/* ---- Child SA ----------------------------------------------------------- */

static void log_child(tcpsec_ike_sa *sa, const tcpsec_ike_child_sa *c) {
  char local[96], remote[96];

  if (!tcpsec_log_enabled(sa->ctx, TCPSEC_LOG_INFO))
    return;
  tcpsec_ike_ts_format(&c->local_ts[0], local, sizeof(local));
  tcpsec_ike_ts_format(&c->remote_ts[0], remote, sizeof(remote));
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
             "Child SA %08x/%08x established (encr %u/%u integ %u esn %u): "
             "%s%s <-> %s%s",
             c->spi_in, c->spi_out, c->encr, c->encr_key_bits, c->integ, c->esn,
             local, c->local_ts_count > 1 ? " ..." : "", remote,
             c->remote_ts_count > 1 ? " ..." : "");
}

/* Record the pair and fill the report, without keys. */
static int
child_record(tcpsec_ike_sa *sa, const ike_esp_suite *suite, uint32_t spi_in,
             const tcpsec_ike_traffic_selector *local_ts, size_t local_count,
             const tcpsec_ike_traffic_selector *remote_ts, size_t remote_count,
             uint64_t now_ms, tcpsec_ike_child_sa *c) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  ike_child *child = tcpsec_ike_child_add(sa);

  if (child == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  child->spi_in = spi_in;
  child->spi_out = suite->peer_spi;
  child->encr = suite->encr;
  child->encr_key_bits = suite->key_bits;
  child->integ = suite->integ;
  child->esn = suite->esn;
  child->initiator = sa->initiator;
  child->installed = 1;
  child->created_ms = now_ms;
  child->expires_ms =
      cfg->child_lifetime_ms != 0 ? now_ms + cfg->child_lifetime_ms : 0;
  memcpy(child->local_ts, local_ts, local_count * sizeof(*local_ts));
  memcpy(child->remote_ts, remote_ts, remote_count * sizeof(*remote_ts));
  child->local_ts_count = local_count;
  child->remote_ts_count = remote_count;

  memset(c, 0, sizeof(*c));
  c->size = sizeof(*c);
  c->spi_in = spi_in;
  c->spi_out = suite->peer_spi;
  c->encr = suite->encr;
  c->encr_key_bits = suite->key_bits;
  c->integ = suite->integ;
  c->esn = suite->esn;
  c->initiator = sa->initiator;
  c->transport = cfg->transport;
  c->udp_encap = (uint8_t)(tcpsec_ike_nat_send_flags(sa) != 0);
  c->local_ts = child->local_ts;
  c->local_ts_count = local_count;
  c->remote_ts = child->remote_ts;
  c->remote_ts_count = remote_count;
  c->hard_lifetime_ms = cfg->child_lifetime_ms;
  c->soft_lifetime_ms = cfg->child_lifetime_ms / 10 * 9;
  c->hard_lifetime_bytes = cfg->child_lifetime_bytes;
  c->created_ms = now_ms;
  c->local = cfg->local;
  c->remote = cfg->remote;
  return 0;
}

int tcpsec_ike_child_establish(tcpsec_ike_sa *sa, const ike_esp_suite *suite,
                               uint32_t spi_in,
                               const tcpsec_ike_traffic_selector *local_ts,
                               size_t local_count,
                               const tcpsec_ike_traffic_selector *remote_ts,
                               size_t remote_count, uint64_t now_ms) {
  uint8_t keymat[2 * (IKE_CHILD_KEY_MAX + IKE_CHILD_INTEG_MAX)];
  size_t e_len, a_len;
  const uint8_t *i_to_r, *r_to_i;
  tcpsec_ike_child_sa c;
  int rv;

  rv = tcpsec_ike_esp_key_lens(suite, &e_len, &a_len);
  if (rv != 0)
    return rv;
  rv = child_record(sa, suite, spi_in, local_ts, local_count, remote_ts,
                    remote_count, now_ms, &c);
  if (rv != 0)
    return rv;

  /* KEYMAT: initiator-to-responder keys first, each encryption key before
   * its integrity key (section 2.17). */
  rv = tcpsec_ike_child_keymat(sa, keymat, 2 * (e_len + a_len));
  if (rv != 0) {
    sa->child_count--;
    tcpsec_zeroize(keymat, sizeof(keymat));
    return rv;
  }
  i_to_r = keymat;
  r_to_i = keymat + e_len + a_len;
  c.encr_key_out = sa->initiator ? i_to_r : r_to_i;
  c.encr_key_in = sa->initiator ? r_to_i : i_to_r;
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

/* ---- initiator ---------------------------------------------------------- */

int tcpsec_ike_auth_start(tcpsec_ike_sa *sa, uint64_t now_ms) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  uint8_t id_body[4 + TCPSEC_IKE_MAX_ID_LEN], auth[IKE_PRF_MAX];
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  ike_offer *offer;
  size_t id_len;
  int rv;

  rv = tcpsec_ike_cb_alloc_spi(sa, &sa->auth_child_spi);
  if (rv != 0)
    return rv;
  id_len = own_id_body(sa, id_body);
  rv = tcpsec_ike_psk_auth(sa, 1, id_body, id_len, auth);
  if (rv != 0)
    return rv;
  offer = tcpsec_malloc(sa->ctx, sizeof(*offer));
  if (offer == NULL) {
    tcpsec_zeroize(auth, sizeof(auth));
    return TCPSEC_ERR_NO_MEMORY;
  }
  tcpsec_ike_offer_esp(&sa->cfg, sa->auth_child_spi, offer);

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_IKE_AUTH, 0,
                        sa->next_request_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDI, cfg->local_id.type,
                            cfg->local_id.data, cfg->local_id.len);
  if (cfg->remote_id.type != TCPSEC_IKE_ID_TYPE_ANY)
    tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDR, cfg->remote_id.type,
                              cfg->remote_id.data, cfg->remote_id.len);
  tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC, auth,
                              sa->prf_len);
  if (cfg->initial_contact)
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                  TCPSEC_IKE_N_INITIAL_CONTACT, NULL, 0);
  tcpsec_ike_builder_add_sa(&b, offer->proposals, offer->count);
  add_selectors(&b, TCPSEC_IKE_PT_TSI, cfg->local_ts, cfg->local_ts_count);
  add_selectors(&b, TCPSEC_IKE_PT_TSR, cfg->remote_ts, cfg->remote_ts_count);
  tcpsec_free(sa->ctx, offer);
  tcpsec_zeroize(auth, sizeof(auth));

  sa->state = TCPSEC_IKE_SA_AUTH_SENT;
  return tcpsec_ike_send_request(sa, &b, IKE_REQ_AUTH, 0, now_ms);
}

/* ---- both sides: identity and AUTH -------------------------------------- */

/* Check the peer's ID and AUTH payloads; on success remember the identity.
 * `of_initiator` names whose AUTH this is. */
static int verify_peer(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                       int of_initiator, const char **problem) {
  const tcpsec_ike_identity *want = &sa->cfg.pub.remote_id;
  const tcpsec_ike_payload *id, *auth;

  id = tcpsec_ike_msg_find(
      msg, of_initiator ? TCPSEC_IKE_PT_IDI : TCPSEC_IKE_PT_IDR, 0);
  auth = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_AUTH, 0);
  *problem = "ID or AUTH payload missing";
  if (id == NULL || auth == NULL)
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  *problem = "AUTH method is not Shared Key Message Integrity Code";
  if (auth->u.auth.method != TCPSEC_IKE_AUTH_SHARED_KEY_MIC)
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  *problem = "identity differs from the configured remote identity";
  if (want->type != TCPSEC_IKE_ID_TYPE_ANY &&
      (id->u.id.type != want->type || id->u.id.len != want->len ||
       memcmp(id->u.id.data, want->data, want->len) != 0))
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  *problem = "AUTH value does not verify with the pre-shared key";
  if (tcpsec_ike_psk_verify(sa, of_initiator, id->body, id->body_len,
                            auth->u.auth.data, auth->u.auth.len) != 0)
    return TCPSEC_ERR_AUTHENTICATION_FAILED;

  sa->remote_id_type = id->u.id.type;
  sa->remote_id_len = TCPSEC_MIN(id->u.id.len, sizeof(sa->remote_id));
  memcpy(sa->remote_id, id->u.id.data, sa->remote_id_len);
  sa->peer_initial_contact =
      tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_INITIAL_CONTACT) != NULL;
  return 0;
}

/* ---- responder ---------------------------------------------------------- */

/* Negotiate the first Child SA and add SA, TSi, TSr or an error notify. */
static void child_respond(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                          tcpsec_ike_builder *b, uint64_t now_ms) {
  tcpsec_ike_traffic_selector tsi[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector tsr[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector got[TCPSEC_IKE_MAX_SELECTORS];
  const tcpsec_ike_payload *sa_p, *tsi_p, *tsr_p;
  size_t ni = 0, nr = 0, n;
  ike_esp_suite suite;
  uint32_t spi_in;
  uint16_t error = TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN;
  int index = -1;

  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  tsi_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSI, 0);
  tsr_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSR, 0);
  if (sa_p != NULL)
    index = tcpsec_ike_select_esp(&sa->cfg, &sa_p->u.sa, &suite);
  if (index >= 0) {
    /* Narrowing (section 2.9): TSi against what we accept for the peer's
     * side, TSr against our side. */
    error = TCPSEC_IKE_N_TS_UNACCEPTABLE;
    if (tsi_p != NULL && tsr_p != NULL) {
      n = tcpsec_ike_ts_from_payload(&tsi_p->u.ts, got,
                                     TCPSEC_IKE_MAX_SELECTORS);
      ni = tcpsec_ike_ts_narrow(got, n, sa->cfg.remote_ts,
                                sa->cfg.pub.remote_ts_count, tsi,
                                TCPSEC_IKE_CONFIG_MAX_TS);
      n = tcpsec_ike_ts_from_payload(&tsr_p->u.ts, got,
                                     TCPSEC_IKE_MAX_SELECTORS);
      nr = tcpsec_ike_ts_narrow(got, n, sa->cfg.local_ts,
                                sa->cfg.pub.local_ts_count, tsr,
                                TCPSEC_IKE_CONFIG_MAX_TS);
    }
    if (ni > 0 && nr > 0) {
      error = TCPSEC_IKE_N_TEMPORARY_FAILURE;
      if (tcpsec_ike_cb_alloc_spi(sa, &spi_in) == 0 &&
          tcpsec_ike_child_establish(sa, &suite, spi_in, tsr, nr, tsi, ni,
                                     now_ms) == 0)
        error = 0;
    }
  }
  if (error != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
               "first Child SA not created: responding %s; the IKE SA stays",
               tcpsec_ike_notify_name(error));
    tcpsec_ike_builder_add_notify(b, TCPSEC_IKE_PROTO_NONE, NULL, 0, error,
                                  NULL, 0);
    return;
  }
  {
    tcpsec_ike_transform t[4];
    tcpsec_ike_proposal p;

    tcpsec_ike_esp_proposal(&suite, sa_p->u.sa.proposals[index].number, spi_in,
                            &p, t);
    tcpsec_ike_builder_add_sa(b, &p, 1);
  }
  add_selectors(b, TCPSEC_IKE_PT_TSI, tsi, ni);
  add_selectors(b, TCPSEC_IKE_PT_TSR, tsr, nr);
}

int tcpsec_ike_auth_process_request(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg,
                                    const uint8_t *data, size_t len,
                                    uint64_t now_ms) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  uint8_t id_body[4 + TCPSEC_IKE_MAX_ID_LEN], auth[IKE_PRF_MAX];
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  const char *problem;
  size_t id_len;
  int rv;

  rv = verify_peer(sa, msg, 1, &problem);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE_AUTH request rejected: %s; responding "
               "AUTHENTICATION_FAILED",
               problem);
    (void)tcpsec_ike_reply_notify(sa, msg, data, len,
                                  TCPSEC_IKE_N_AUTHENTICATION_FAILED, NULL, 0);
    tcpsec_ike_sa_fail(sa, rv);
    return 0;
  }

  /* Our AUTH needs RealMessage2, which establishment releases. */
  id_len = own_id_body(sa, id_body);
  rv = tcpsec_ike_psk_auth(sa, 0, id_body, id_len, auth);
  if (rv != 0) {
    tcpsec_ike_sa_fail(sa, rv);
    return rv;
  }
  tcpsec_ike_sa_set_established(sa, now_ms);

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_IKE_AUTH, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDR, cfg->local_id.type,
                            cfg->local_id.data, cfg->local_id.len);
  tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC, auth,
                              sa->prf_len);
  tcpsec_zeroize(auth, sizeof(auth));
  /* The Child SA is reported before the response leaves, so its inbound SA
   * is ready when the initiator starts sending (section 2.8). */
  child_respond(sa, msg, &b, now_ms);
  return tcpsec_ike_send_response(sa, &b, data, len);
}

/* ---- initiator: response ------------------------------------------------ */

/* Take the first Child SA from the response, or log why it is missing. */
static void child_accept(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                         uint64_t now_ms) {
  tcpsec_ike_traffic_selector tsi[TCPSEC_IKE_MAX_SELECTORS];
  tcpsec_ike_traffic_selector tsr[TCPSEC_IKE_MAX_SELECTORS];
  const tcpsec_ike_payload *sa_p, *tsi_p, *tsr_p;
  const char *problem = "SA, TSi or TSr payload missing";
  ike_esp_suite suite;
  size_t ni, nr, i;
  ike_child *child;

  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->type == TCPSEC_IKE_PT_NOTIFY &&
        p->u.notify.type < TCPSEC_IKE_N_STATUS_FIRST) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
                 "first Child SA rejected by the peer with %s; the IKE SA "
                 "stays",
                 tcpsec_ike_notify_name(p->u.notify.type) != NULL
                     ? tcpsec_ike_notify_name(p->u.notify.type)
                     : "an unknown error");
      return;
    }
  }
  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  tsi_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSI, 0);
  tsr_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_TSR, 0);
  if (sa_p != NULL && tsi_p != NULL && tsr_p != NULL) {
    problem = "the proposal is not one we offered";
    if (tcpsec_ike_accept_esp(&sa->cfg, &sa_p->u.sa, &suite) == 0) {
      /* The responder may only narrow what we proposed (section 2.9). */
      problem = "traffic selectors wider than proposed";
      ni = tcpsec_ike_ts_from_payload(&tsi_p->u.ts, tsi,
                                      TCPSEC_IKE_CONFIG_MAX_TS);
      nr = tcpsec_ike_ts_from_payload(&tsr_p->u.ts, tsr,
                                      TCPSEC_IKE_CONFIG_MAX_TS);
      if (tcpsec_ike_ts_subset(tsi, ni, sa->cfg.local_ts,
                               sa->cfg.pub.local_ts_count) &&
          tcpsec_ike_ts_subset(tsr, nr, sa->cfg.remote_ts,
                               sa->cfg.pub.remote_ts_count) &&
          tcpsec_ike_child_establish(sa, &suite, sa->auth_child_spi, tsi, ni,
                                     tsr, nr, now_ms) == 0)
        return;
    }
  }

  /* The responder may have installed the pair: ask it to delete it. */
  tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
             "first Child SA in the IKE_AUTH response rejected: %s; sending "
             "a Delete for SPI %08x",
             problem, sa->auth_child_spi);
  child = tcpsec_ike_child_add(sa);
  if (child != NULL) {
    child->spi_in = sa->auth_child_spi;
    child->delete_queued = 1;
  }
}

int tcpsec_ike_auth_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     uint64_t now_ms) {
  static const uint16_t fatal[] = {TCPSEC_IKE_N_AUTHENTICATION_FAILED,
                                   TCPSEC_IKE_N_INVALID_SYNTAX,
                                   TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD};
  const char *problem;
  size_t i;
  int rv;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(fatal); i++) {
    if (tcpsec_ike_msg_find_notify(msg, fatal[i]) != NULL) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
                 "IKE_AUTH rejected by the peer with %s",
                 tcpsec_ike_notify_name(fatal[i]));
      tcpsec_ike_sa_fail(sa, tcpsec_ike_notify_error(fatal[i]));
      return 0;
    }
  }
  rv = verify_peer(sa, msg, 0, &problem);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE_AUTH response rejected: %s; telling the peer "
               "AUTHENTICATION_FAILED",
               problem);
    sa->notify_error_type = TCPSEC_IKE_N_AUTHENTICATION_FAILED;
    (void)tcpsec_ike_info_start(sa, IKE_REQ_NOTIFY_ERROR, now_ms);
    tcpsec_ike_sa_fail(sa, rv);
    return 0;
  }
  tcpsec_ike_sa_set_established(sa, now_ms);
  child_accept(sa, msg, now_ms);
  return 0;
}
