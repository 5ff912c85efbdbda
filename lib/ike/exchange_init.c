/*
 * IKE_SA_INIT (RFC 7296 sections 1.2, 2.6, 2.10, 2.14, 2.23).
 *
 *   Initiator                         Responder
 *   HDR, [N(COOKIE),] SAi1, KEi, Ni,
 *       N(NAT_D_SRC), N(NAT_D_DST),
 *       N(FRAG_SUP), [N(SIG_HASH)]  -->
 *                                <--  HDR, SAr1, KEr, Nr, [CERTREQ,]
 *                                         N(NAT_D_SRC), N(NAT_D_DST),
 *                                         N(FRAG_SUP), [N(SIG_HASH)]
 *
 * SIGNATURE_HASH_ALGORITHMS goes out when method 14 is configured for
 * either direction, and CERTREQ when the peer authenticates with
 * certificates (auth_sig.c).
 *
 * The responder sends COOKIE, NO_PROPOSAL_CHOSEN and INVALID_KE_PAYLOAD
 * responses without keeping state (cookie.c and
 * tcpsec_ike_init_respond()). The initiator retries after COOKIE and
 * INVALID_KE_PAYLOAD with all its proposals again (section 1.2), keeping
 * the cookie in later retries (section 2.6.1). A response whose proposal,
 * KE payload or SPI does not fit the request is dropped without a state
 * change. A response with any other error notify ends the exchange.
 *
 * NOTE: RFC 7296 section 2.21.1 suggests waiting a while after an error
 * notify on UDP, because it is unauthenticated; tcpsec gives up at once,
 * as RFC 9329 section 6.4 asks on TCP. A forged NO_PROPOSAL_CHOSEN can
 * therefore end an attempt over UDP.
 */
#include "ike/ike_sa.h"

#include <string.h>

int tcpsec_ike_nat_hash(tcpsec_ctx *ctx, const uint8_t spi_i[8],
                        const uint8_t spi_r[8], const tcpsec_ike_endpoint *ep,
                        uint8_t out[20]) {
  uint8_t port[2];
  tcpsec_iov iov[4];

  tcpsec_store_be16(port, ep->port);
  iov[0].data = spi_i;
  iov[0].len = TCPSEC_IKE_SPI_LEN;
  iov[1].data = spi_r;
  iov[1].len = TCPSEC_IKE_SPI_LEN;
  iov[2].data = ep->addr;
  iov[2].len = ep->family == TCPSEC_IKE_FAMILY_IPV6 ? 16 : 4;
  iov[3].data = port;
  iov[3].len = sizeof(port);
  return tcpsec_hash(ctx, TCPSEC_HASH_SHA1, iov, 4, out);
}

static int have_endpoints(const tcpsec_ike_sa *sa) {
  return sa->cfg.pub.nat_traversal &&
         sa->cfg.pub.local.family != TCPSEC_IKE_FAMILY_NONE &&
         sa->cfg.pub.remote.family != TCPSEC_IKE_FAMILY_NONE;
}

/* NAT_DETECTION_SOURCE_IP and _DESTINATION_IP over the real endpoints of
 * the connection, TCP ports on TCP (RFC 9329 section 6.5). */
static int add_nat_notifies(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                            const uint8_t spi_r[8]) {
  uint8_t src[20], dst[20];
  int rv;

  if (!have_endpoints(sa))
    return 0;
  rv = tcpsec_ike_nat_hash(sa->ctx, sa->spi_i, spi_r, &sa->cfg.pub.local, src);
  if (rv == 0)
    rv = tcpsec_ike_nat_hash(sa->ctx, sa->spi_i, spi_r, &sa->cfg.pub.remote,
                             dst);
  if (rv != 0)
    return rv;
  tcpsec_ike_builder_add_notify(b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP, src,
                                sizeof(src));
  tcpsec_ike_builder_add_notify(b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP, dst,
                                sizeof(dst));
  return 0;
}

static void add_capability_notifies(tcpsec_ike_sa *sa, tcpsec_ike_builder *b) {
  tcpsec_ike_builder_add_notify(b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                TCPSEC_IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
                                NULL, 0);
  tcpsec_ike_auth_add_hash_notify(sa, b);
}

/* Evaluate the peer's NAT_DETECTION notifies of a message whose header
 * carried spi_r (zero in the request). A mismatching destination hash means
 * we are behind a NAT, mismatching source hashes that the peer is (section
 * 2.23). */
static void detect_nat(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                       const uint8_t spi_r[8]) {
  uint8_t local[20], remote[20];
  int saw_src = 0, src_match = 0, saw_dst = 0, dst_match = 1;
  size_t i;

  if (!have_endpoints(sa))
    return;
  if (tcpsec_ike_nat_hash(sa->ctx, sa->spi_i, spi_r, &sa->cfg.pub.local,
                          local) != 0 ||
      tcpsec_ike_nat_hash(sa->ctx, sa->spi_i, spi_r, &sa->cfg.pub.remote,
                          remote) != 0)
    return;
  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->type != TCPSEC_IKE_PT_NOTIFY || p->u.notify.len != 20)
      continue;
    if (p->u.notify.type == TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP) {
      saw_src = 1;
      src_match |= memcmp(p->u.notify.data, remote, 20) == 0;
    } else if (p->u.notify.type == TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP) {
      saw_dst = 1;
      dst_match = memcmp(p->u.notify.data, local, 20) == 0;
    }
  }
  sa->nat_remote = (uint8_t)(saw_src && !src_match);
  sa->nat_local = (uint8_t)(saw_dst && !dst_match);
}

/* Build and send the IKE_SA_INIT request with a fresh key pair for the
 * current group; the nonce and the cookie stay the same across retries. */
static int send_init_request(tcpsec_ike_sa *sa, uint64_t now_ms) {
  const tcpsec_ke_info *ke = tcpsec_ke_lookup(sa->suite.ke);
  uint8_t pub[TCPSEC_KE_MAX_PUBLIC_LEN], zero_spi[8] = {0};
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  ike_offer *offer;
  int rv;

  if (ke == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  tcpsec_ke_free(sa->ke);
  sa->ke = NULL;
  rv = tcpsec_ke_new(sa->ctx, sa->suite.ke, &sa->ke);
  if (rv == 0)
    rv = tcpsec_ke_public(sa->ke, pub, ke->public_len);
  if (rv != 0)
    return rv;
  offer = tcpsec_malloc(sa->ctx, sizeof(*offer));
  if (offer == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  tcpsec_ike_offer_ike(&sa->cfg, sa->suite.ke, offer);

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_IKE_SA_INIT, 0, 0);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  if (sa->cookie_len > 0)
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                  TCPSEC_IKE_N_COOKIE, sa->cookie,
                                  sa->cookie_len);
  tcpsec_ike_builder_add_sa(&b, offer->proposals, offer->count);
  tcpsec_ike_builder_add_ke(&b, sa->suite.ke, pub, ke->public_len);
  tcpsec_ike_builder_add_nonce(&b, sa->ni, sa->ni_len);
  rv = add_nat_notifies(sa, &b, zero_spi);
  add_capability_notifies(sa, &b);
  tcpsec_free(sa->ctx, offer);
  if (rv != 0) {
    tcpsec_ike_builder_free(&b);
    return rv;
  }

  rv = tcpsec_ike_send_request(sa, &b, IKE_REQ_INIT, 0, now_ms);
  if (rv != 0)
    return rv;
  /* RealMessage1 is the latest version of the request (section 2.15). */
  tcpsec_buf_reset(&sa->init_request);
  return tcpsec_buf_append(&sa->init_request, sa->req.bytes.data,
                           sa->req.bytes.len);
}

int tcpsec_ike_init_start(tcpsec_ike_sa *sa, uint64_t now_ms) {
  const tcpsec_proposal_spec *first = &sa->cfg.ike[0];
  int rv;

  rv = tcpsec_ike_auth_check_clock(sa);
  if (rv != 0) {
    tcpsec_ike_sa_fail(sa, rv);
    return rv;
  }

  /* KEi uses our most preferred group (section 1.2). */
  sa->suite.ke = first->ke_count > 0 ? first->ke[0] : sa->cfg.pub.dh_groups[0];
  sa->ni_len = IKE_NONCE_LEN;
  sa->state = TCPSEC_IKE_SA_INIT_SENT;
  /* IKE_SA_INIT is message 0, so IKE_AUTH is 1 (section 2.2). */
  sa->next_request_id = 1;
  rv = tcpsec_random(sa->ctx, sa->ni, sa->ni_len);
  if (rv == 0)
    rv = send_init_request(sa, now_ms);
  if (rv != 0)
    tcpsec_ike_sa_fail(sa, rv);
  return rv;
}

/* COOKIE or INVALID_KE_PAYLOAD: change the request and send it again.
 * Returns 1 when the message was such a request for a retry. */
static int init_retry(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                      uint64_t now_ms) {
  const tcpsec_ike_payload *cookie, *invalid_ke;
  uint16_t group;
  int rv;

  cookie = tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_COOKIE);
  invalid_ke = tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_INVALID_KE_PAYLOAD);
  if (cookie == NULL && invalid_ke == NULL)
    return 0;
  if (++sa->init_retries > IKE_INIT_RETRY_MAX) {
    tcpsec_ike_sa_fail(sa, cookie != NULL ? TCPSEC_ERR_COOKIE_REQUIRED
                                          : TCPSEC_ERR_INVALID_KE_PAYLOAD);
    return 1;
  }
  if (cookie != NULL) {
    memcpy(sa->cookie, cookie->u.notify.data, cookie->u.notify.len);
    sa->cookie_len = cookie->u.notify.len;
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "responder asked for a cookie; sending IKE_SA_INIT again");
  } else {
    group = invalid_ke->u.notify.decoded.ke_group;
    if (group == sa->suite.ke || !tcpsec_ike_group_allowed(&sa->cfg, group)) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
                 "responder wants key exchange group %u, which is not "
                 "configured; giving up",
                 group);
      tcpsec_ike_sa_fail(sa, TCPSEC_ERR_INVALID_KE_PAYLOAD);
      return 1;
    }
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "responder wants key exchange group %u instead of %u; "
               "sending IKE_SA_INIT again",
               group, sa->suite.ke);
    sa->suite.ke = group;
  }
  tcpsec_ike_request_clear(sa);
  rv = send_init_request(sa, now_ms);
  if (rv != 0)
    tcpsec_ike_sa_fail(sa, rv);
  return 1;
}

/* An error notify in the response ends the exchange (section 2.21.1). */
static int init_error(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg) {
  size_t i;

  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->type == TCPSEC_IKE_PT_NOTIFY &&
        p->u.notify.type < TCPSEC_IKE_N_STATUS_FIRST) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
                 "IKE_SA_INIT rejected by the peer with %s",
                 tcpsec_ike_notify_name(p->u.notify.type) != NULL
                     ? tcpsec_ike_notify_name(p->u.notify.type)
                     : "an unknown error notify");
      tcpsec_ike_sa_fail(sa, tcpsec_ike_notify_error(p->u.notify.type));
      return 1;
    }
  }
  return 0;
}

/* Take SPIr, Nr and KEr, and derive the keys. Nothing changes unless all
 * of it succeeds. */
static int init_take_response(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                              const tcpsec_ike_opaque *nonce,
                              const tcpsec_ike_ke *ke) {
  int rv;

  memcpy(sa->spi_r, msg->header.spi_r, TCPSEC_IKE_SPI_LEN);
  memcpy(sa->nr, nonce->data, nonce->len);
  sa->nr_len = nonce->len;
  rv = tcpsec_ike_derive_ike_keys(sa, ke->data, ke->len);
  if (rv != 0) {
    memset(sa->spi_r, 0, TCPSEC_IKE_SPI_LEN);
    sa->nr_len = 0;
  }
  return rv;
}

int tcpsec_ike_init_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     const uint8_t *data, size_t len,
                                     uint64_t now_ms) {
  const tcpsec_ike_payload *sa_p, *ke_p, *nonce_p;
  ike_suite suite = sa->suite;
  int rv;

  tcpsec_ike_log_message(sa, "received", msg);
  if (init_retry(sa, msg, now_ms) || init_error(sa, msg))
    return 0;

  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  nonce_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);
  if (sa_p == NULL || ke_p == NULL || nonce_p == NULL ||
      tcpsec_load_be64(msg->header.spi_r) == 0 ||
      ke_p->u.ke.group != sa->suite.ke) {
    sa->stats.dropped_malformed++;
    return TCPSEC_ERR_MALFORMED;
  }
  if (tcpsec_ike_accept_ike(&sa->cfg, &sa_p->u.sa, sa->suite.ke, &suite) != 0) {
    sa->stats.dropped_unexpected++;
    if (tcpsec_ike_log_drop(sa->stats.dropped_unexpected))
      tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
                 "dropped IKE_SA_INIT response: its proposal is not one we "
                 "offered; still waiting for a valid one");
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  }
  sa->suite = suite;
  rv = init_take_response(sa, msg, &nonce_p->u.opaque, &ke_p->u.ke);
  if (rv != 0) {
    sa->stats.dropped_malformed++;
    if (tcpsec_ike_log_drop(sa->stats.dropped_malformed))
      tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
                 "dropped IKE_SA_INIT response: key exchange failed (%s); "
                 "still waiting for a valid one",
                 tcpsec_strerror(rv));
    return rv;
  }

  detect_nat(sa, msg, msg->header.spi_r);
  tcpsec_ike_auth_take_hash_notify(sa, msg);
  sa->stats.messages_in++;
  sa->last_peer_ms = now_ms;
  tcpsec_ike_request_clear(sa);
  tcpsec_buf_reset(&sa->init_response);
  rv = tcpsec_buf_append(&sa->init_response, data, len);
  if (rv == 0)
    rv = tcpsec_ike_auth_start(sa, now_ms);
  if (rv != 0)
    tcpsec_ike_sa_fail(sa, rv);
  return 0;
}

/* ---- responder ---------------------------------------------------------- */

static int build_init_response(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                               uint8_t proposal_number) {
  const tcpsec_ke_info *ke = tcpsec_ke_lookup(sa->suite.ke);
  uint8_t pub[TCPSEC_KE_MAX_PUBLIC_LEN];
  tcpsec_ike_transform t[4];
  tcpsec_ike_proposal p;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  int rv;

  rv = tcpsec_ke_public(sa->ke, pub, ke->public_len);
  if (rv != 0)
    return rv;
  tcpsec_ike_suite_proposal(&sa->suite, proposal_number, &p, t);
  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_IKE_SA_INIT, 1, 0);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_add_sa(&b, &p, 1);
  tcpsec_ike_builder_add_ke(&b, sa->suite.ke, pub, ke->public_len);
  tcpsec_ike_builder_add_nonce(&b, sa->nr, sa->nr_len);
  tcpsec_ike_auth_add_certreq(sa, &b);
  /* NAT detection only when the initiator does it too. */
  if (tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP))
    rv = add_nat_notifies(sa, &b, sa->spi_r);
  add_capability_notifies(sa, &b);
  if (rv == 0) {
    tcpsec_buf_reset(&sa->init_response);
    rv = tcpsec_ike_builder_finish(&b, NULL, &sa->init_response);
  }
  tcpsec_ike_builder_free(&b);
  return rv;
}

int tcpsec_ike_init_respond(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                            const uint8_t *data, size_t len, uint64_t now_ms) {
  const tcpsec_ike_payload *sa_p, *ke_p, *nonce_p;
  uint8_t group[2];
  int index, rv;

  sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  nonce_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);
  if (sa_p == NULL || ke_p == NULL || nonce_p == NULL)
    return TCPSEC_ERR_INVALID_SYNTAX;
  rv = tcpsec_ike_auth_check_clock(sa);
  if (rv != 0)
    return rv;

  /* Proposal, then the group of KEi (section 1.2). */
  index = tcpsec_ike_select_ike(&sa->cfg, &sa_p->u.sa, ke_p->u.ke.group,
                                &sa->suite);
  if (index < 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
               "no IKE proposal of the initiator is acceptable; responding "
               "NO_PROPOSAL_CHOSEN");
    (void)tcpsec_ike_send_stateless(sa->ctx, &sa->cb, &sa->cfg.pub,
                                    &msg->header,
                                    TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  }
  if (sa->suite.ke != ke_p->u.ke.group) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "initiator used key exchange group %u; asking for %u",
               ke_p->u.ke.group, sa->suite.ke);
    tcpsec_store_be16(group, sa->suite.ke);
    (void)tcpsec_ike_send_stateless(
        sa->ctx, &sa->cb, &sa->cfg.pub, &msg->header,
        TCPSEC_IKE_N_INVALID_KE_PAYLOAD, group, sizeof(group));
    return TCPSEC_ERR_INVALID_KE_PAYLOAD;
  }

  /* SPIi, Ni, our Nr and key pair; then SKEYSEED and the SK_* keys. */
  memcpy(sa->spi_i, msg->header.spi_i, TCPSEC_IKE_SPI_LEN);
  memcpy(sa->ni, nonce_p->u.opaque.data, nonce_p->u.opaque.len);
  sa->ni_len = nonce_p->u.opaque.len;
  sa->nr_len = IKE_NONCE_LEN;
  rv = tcpsec_random(sa->ctx, sa->nr, sa->nr_len);
  if (rv == 0)
    rv = tcpsec_ke_new(sa->ctx, sa->suite.ke, &sa->ke);
  if (rv == 0)
    rv = tcpsec_ike_derive_ike_keys(sa, ke_p->u.ke.data, ke_p->u.ke.len);
  if (rv != 0)
    return rv;
  detect_nat(sa, msg, msg->header.spi_r);
  tcpsec_ike_auth_take_hash_notify(sa, msg);

  rv = build_init_response(sa, msg, sa_p->u.sa.proposals[index].number);
  if (rv == 0)
    rv = tcpsec_buf_append(&sa->init_request, data, len);
  if (rv != 0)
    return rv;
  sa->state = TCPSEC_IKE_SA_HALF_OPEN;
  sa->created_ms = now_ms;
  sa->last_peer_ms = now_ms;
  sa->half_open_deadline_ms = now_ms + sa->cfg.pub.half_open_timeout_ms;
  sa->next_peer_id = 1;
  sa->next_request_id = 0;
  sa->stats.messages_in++;
  tcpsec_ike_log_sent(sa, sa->init_response.data, sa->init_response.len);
  (void)tcpsec_ike_cb_send(sa, sa->init_response.data, sa->init_response.len,
                           0);
  return 0;
}
