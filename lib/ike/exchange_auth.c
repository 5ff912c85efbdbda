/*
 * IKE_AUTH with the first Child SA (RFC 7296 sections 1.2, 2.9, 2.15, 2.17
 * and 2.21.2), authenticated with a pre-shared key (auth_psk.c) or with
 * certificates and signatures (auth_sig.c), each direction on its own.
 *
 *   Initiator                         Responder
 *   HDR, SK {IDi, [CERT+,] [CERTREQ,] [IDr,] AUTH, [N(INITIAL_CONTACT),]
 *            SAi2, TSi, TSr}  -->
 *                                <--  HDR, SK {IDr, [CERT+,] AUTH, SAr2,
 *                                              TSi, TSr}
 *
 * A failed authentication ends the IKE SA on both sides. The responder
 * responds AUTHENTICATION_FAILED, and an initiator that rejects the
 * responder's AUTH sends AUTHENTICATION_FAILED in one INFORMATIONAL request
 * (section 2.21.2). The peer learns nothing more, while the local
 * ike_sa_failed reason and log line name what failed (an expired or
 * untrusted certificate, an identity mismatch, ...). A failed Child SA does
 * not end the IKE SA: the responder sends NO_PROPOSAL_CHOSEN or
 * TS_UNACCEPTABLE beside IDr and AUTH, and the IKE SA is established
 * without a Child SA.
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

/* Our AUTH payload: method and Authentication Data. */
typedef struct own_auth {
  uint8_t method;
  size_t len;
  uint8_t data[IKE_AUTH_DATA_MAX];
} own_auth;

/* Compute our AUTH with the PSK or our private key. Call it before the
 * IKE SA is established, which releases the IKE_SA_INIT messages. */
static int make_own_auth(tcpsec_ike_sa *sa, int of_initiator, own_auth *a) {
  uint8_t id_body[4 + TCPSEC_IKE_MAX_ID_LEN];
  size_t id_len = own_id_body(sa, id_body);

  if (sa->cfg.auth.local_method == TCPSEC_IKE_AUTH_PSK) {
    a->method = TCPSEC_IKE_AUTH_SHARED_KEY_MIC;
    a->len = sa->prf_len;
    return tcpsec_ike_psk_auth(sa, of_initiator, id_body, id_len, a->data);
  }
  return tcpsec_ike_auth_sign(sa, of_initiator, id_body, id_len, &a->method,
                              a->data, &a->len);
}

/* ---- initiator ---------------------------------------------------------- */

int tcpsec_ike_auth_start(tcpsec_ike_sa *sa, uint64_t now_ms) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  ike_offer *offer;
  own_auth auth;
  int rv;

  rv = tcpsec_ike_cb_alloc_spi(sa, &sa->auth_child_spi);
  if (rv != 0)
    return rv;
  rv = make_own_auth(sa, 1, &auth);
  if (rv != 0) {
    tcpsec_zeroize(&auth, sizeof(auth));
    return rv;
  }
  offer = tcpsec_malloc(sa->ctx, sizeof(*offer));
  if (offer == NULL) {
    tcpsec_zeroize(&auth, sizeof(auth));
    return TCPSEC_ERR_NO_MEMORY;
  }
  tcpsec_ike_offer_esp(&sa->cfg, sa->auth_child_spi, offer);

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_IKE_AUTH, 0,
                        sa->next_request_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDI, cfg->local_id.type,
                            cfg->local_id.data, cfg->local_id.len);
  tcpsec_ike_auth_add_certs(sa, &b);
  tcpsec_ike_auth_add_certreq(sa, &b);
  if (cfg->remote_id.type != TCPSEC_IKE_ID_TYPE_ANY)
    tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDR, cfg->remote_id.type,
                              cfg->remote_id.data, cfg->remote_id.len);
  tcpsec_ike_builder_add_auth(&b, auth.method, auth.data, auth.len);
  if (cfg->initial_contact)
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                  TCPSEC_IKE_N_INITIAL_CONTACT, NULL, 0);
  tcpsec_ike_builder_add_sa(&b, offer->proposals, offer->count);
  tcpsec_ike_add_selectors(&b, TCPSEC_IKE_PT_TSI, cfg->local_ts, cfg->local_ts_count);
  tcpsec_ike_add_selectors(&b, TCPSEC_IKE_PT_TSR, cfg->remote_ts, cfg->remote_ts_count);
  tcpsec_free(sa->ctx, offer);
  tcpsec_zeroize(&auth, sizeof(auth));

  sa->state = TCPSEC_IKE_SA_AUTH_SENT;
  return tcpsec_ike_send_request(sa, &b, IKE_REQ_AUTH, 0, now_ms);
}

/* ---- both sides: identity and AUTH -------------------------------------- */

/* Size of the log sentence that explains why the peer was rejected. */
#define PROBLEM_LEN 256

/* The peer's AUTH with the pre-shared key. */
static int verify_psk(tcpsec_ike_sa *sa, int of_initiator,
                      const tcpsec_ike_payload *id,
                      const tcpsec_ike_payload *auth, char *problem) {
  if (auth->u.auth.method != TCPSEC_IKE_AUTH_SHARED_KEY_MIC) {
    snprintf(problem, PROBLEM_LEN,
             "AUTH method %u is not Shared Key Message Integrity Code (2), "
             "which the configuration expects",
             auth->u.auth.method);
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  }
  if (tcpsec_ike_psk_verify(sa, of_initiator, id->body, id->body_len,
                            auth->u.auth.data, auth->u.auth.len) != 0) {
    snprintf(problem, PROBLEM_LEN,
             "AUTH value does not verify with the pre-shared key");
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  }
  return 0;
}

/* Check the peer's ID and AUTH payloads, and its certificates when it
 * signs. On success remember the identity. `of_initiator` names whose AUTH
 * this is. On failure `problem` (PROBLEM_LEN bytes) receives the reason. */
static int verify_peer(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                       int of_initiator, char *problem) {
  const tcpsec_ike_identity *want = &sa->cfg.pub.remote_id;
  const tcpsec_ike_payload *id, *auth;
  int rv;

  id = tcpsec_ike_msg_find(
      msg, of_initiator ? TCPSEC_IKE_PT_IDI : TCPSEC_IKE_PT_IDR, 0);
  auth = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_AUTH, 0);
  if (id == NULL || auth == NULL) {
    snprintf(problem, PROBLEM_LEN, "ID or AUTH payload missing");
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  }
  if (want->type != TCPSEC_IKE_ID_TYPE_ANY &&
      (id->u.id.type != want->type || id->u.id.len != want->len ||
       memcmp(id->u.id.data, want->data, want->len) != 0)) {
    snprintf(problem, PROBLEM_LEN,
             "identity differs from the configured remote identity");
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  }
  if (sa->cfg.auth.remote_method == TCPSEC_IKE_AUTH_PSK)
    rv = verify_psk(sa, of_initiator, id, auth, problem);
  else
    rv = tcpsec_ike_auth_verify(sa, msg, of_initiator, id, auth, problem,
                                PROBLEM_LEN);
  if (rv != 0)
    return rv;

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
  ike_child_offer o;
  ike_child_spec spec;
  uint32_t spi_in = 0;
  uint16_t error;

  error = tcpsec_ike_child_negotiate(sa, msg, 0, 0, &o);
  if (error == TCPSEC_IKE_N_INVALID_SYNTAX)
    error = TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN;
  if (error == 0) {
    memset(&spec, 0, sizeof(spec));
    spec.suite = &o.suite;
    spec.initiator = 0;
    spec.ni = sa->ni;
    spec.ni_len = sa->ni_len;
    spec.nr = sa->nr;
    spec.nr_len = sa->nr_len;
    spec.local_ts = o.tsr;
    spec.local_count = o.count_r;
    spec.remote_ts = o.tsi;
    spec.remote_count = o.count_i;
    error = TCPSEC_IKE_N_TEMPORARY_FAILURE;
    if (tcpsec_ike_cb_alloc_spi(sa, &spi_in) == 0) {
      spec.spi_in = spi_in;
      if (tcpsec_ike_child_establish(sa, &spec, now_ms) == 0)
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
  tcpsec_ike_child_add_answer(b, &o, spi_in);
}

int tcpsec_ike_auth_process_request(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg,
                                    const uint8_t *data, size_t len,
                                    uint64_t now_ms) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  char problem[PROBLEM_LEN];
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  own_auth auth;
  int rv;

  rv = verify_peer(sa, msg, 1, problem);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE_AUTH request rejected: %s (%s); responding "
               "AUTHENTICATION_FAILED",
               problem, tcpsec_strerror_name(rv));
    (void)tcpsec_ike_reply_notify(sa, msg, data, len,
                                  TCPSEC_IKE_N_AUTHENTICATION_FAILED, NULL, 0);
    tcpsec_ike_sa_fail(sa, rv);
    return 0;
  }

  /* Our AUTH needs RealMessage2, which establishment releases. */
  rv = make_own_auth(sa, 0, &auth);
  if (rv != 0) {
    tcpsec_zeroize(&auth, sizeof(auth));
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
  tcpsec_ike_auth_add_certs(sa, &b);
  tcpsec_ike_builder_add_auth(&b, auth.method, auth.data, auth.len);
  tcpsec_zeroize(&auth, sizeof(auth));
  /* The Child SA is reported before the response leaves, so its inbound SA
   * is ready when the initiator starts sending (section 2.8). */
  child_respond(sa, msg, &b, now_ms);
  return tcpsec_ike_send_response(sa, &b, data, len);
}

/* ---- initiator: response ------------------------------------------------ */

/* Take the first Child SA from the response, or log why it is missing. */
static void child_accept(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                         uint64_t now_ms) {
  uint16_t error = tcpsec_ike_child_first_error(msg);
  const char *problem;
  ike_child_offer o;
  ike_child_spec spec;
  ike_child *child;

  if (error != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
               "first Child SA rejected by the peer with %s; the IKE SA "
               "stays",
               tcpsec_ike_notify_name(error) != NULL
                   ? tcpsec_ike_notify_name(error)
                   : "an unknown error");
    return;
  }
  problem = tcpsec_ike_child_check_answer(
      sa, msg, 0, 0, sa->cfg.local_ts, sa->cfg.pub.local_ts_count,
      sa->cfg.remote_ts, sa->cfg.pub.remote_ts_count, &o);
  if (problem == NULL) {
    memset(&spec, 0, sizeof(spec));
    spec.suite = &o.suite;
    spec.spi_in = sa->auth_child_spi;
    spec.initiator = 1;
    spec.ni = sa->ni;
    spec.ni_len = sa->ni_len;
    spec.nr = sa->nr;
    spec.nr_len = sa->nr_len;
    spec.local_ts = o.tsi;
    spec.local_count = o.count_i;
    spec.remote_ts = o.tsr;
    spec.remote_count = o.count_r;
    if (tcpsec_ike_child_establish(sa, &spec, now_ms) == 0)
      return;
    problem = "its keys could not be made";
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
  char problem[PROBLEM_LEN];
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
  rv = verify_peer(sa, msg, 0, problem);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE_AUTH response rejected: %s (%s); telling the peer "
               "AUTHENTICATION_FAILED",
               problem, tcpsec_strerror_name(rv));
    sa->notify_error_type = TCPSEC_IKE_N_AUTHENTICATION_FAILED;
    (void)tcpsec_ike_info_start(sa, IKE_REQ_NOTIFY_ERROR, now_ms);
    tcpsec_ike_sa_fail(sa, rv);
    return 0;
  }
  tcpsec_ike_sa_set_established(sa, now_ms);
  child_accept(sa, msg, now_ms);
  return 0;
}
