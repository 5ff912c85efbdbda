/*
 * Timers of an IKE SA and the calls that start exchanges on request.
 *
 * Timer rules:
 *   - An outstanding request on UDP is sent again after
 *     retransmit_timeout_ms, doubling each time up to
 *     retransmit_max_timeout_ms, retransmit_limit times (RFC 7296 section
 *     2.4: "retransmission times MUST increase exponentially").
 *   - On TCP a request is sent once per connection; it is sent again only
 *     when tcpsec_ike_sa_connection_changed() reports a new connection (RFC
 *     9329 section 6.2).
 *   - Either way the peer is dead when no response came within the time the
 *     UDP schedule takes in total: the IKE SA fails with
 *     TCPSEC_ERR_PEER_DEAD (sections 2.1 and 2.4).
 *   - A responder drops an IKE SA that sent its IKE_SA_INIT response but
 *     received no IKE_AUTH request within half_open_timeout_ms.
 *   - An established IKE SA that received nothing protected from its peer
 *     (no IKE message, no ESP reported through tcpsec_ike_sa_peer_alive())
 *     for dpd_interval_ms sends an empty INFORMATIONAL request (section
 *     2.4), once the window is free.
 *   - At the soft lifetimes (ike_rekey_ms, child_rekey_ms, less a random
 *     jitter) rekeys start; exchange_create.c runs those timers. At the end
 *     of ike_lifetime_ms the IKE SA is deleted, and at the end of
 *     child_lifetime_ms a Child SA pair is: an SA must not be used past its
 *     lifetime (section 2.8).
 */
#include "ike/ike_sa.h"

static uint64_t earliest(uint64_t a, uint64_t b) { return a < b ? a : b; }

static int terminal(const tcpsec_ike_sa *sa) {
  return sa->state == TCPSEC_IKE_SA_IDLE || sa->state == TCPSEC_IKE_SA_FAILED ||
         sa->state == TCPSEC_IKE_SA_DELETED;
}

static uint64_t child_timeout(const tcpsec_ike_sa *sa) {
  uint64_t t = TCPSEC_IKE_NO_TIMEOUT;
  size_t i;

  for (i = 0; i < sa->child_count; i++) {
    const ike_child *c = &sa->children[i];

    if (c->installed && c->expires_ms != 0 && !c->deleting && !c->delete_queued)
      t = earliest(t, c->expires_ms);
  }
  return t;
}

uint64_t tcpsec_ike_sa_next_timeout(const tcpsec_ike_sa *sa) {
  uint64_t t = TCPSEC_IKE_NO_TIMEOUT;

  if (sa == NULL || terminal(sa))
    return TCPSEC_IKE_NO_TIMEOUT;
  if (sa->req.kind != IKE_REQ_NONE)
    t = earliest(sa->req.deadline_ms, sa->req.next_send_ms);
  if (sa->state == TCPSEC_IKE_SA_HALF_OPEN)
    t = earliest(t, sa->half_open_deadline_ms);
  if (sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return t;
  if (sa->expires_ms != 0 && !sa->delete_ike_queued)
    t = earliest(t, sa->expires_ms);
  t = earliest(t, child_timeout(sa));
  t = earliest(t, tcpsec_ike_create_next_timeout(sa));
  if (sa->cfg.pub.dpd_interval_ms != 0 && sa->req.kind == IKE_REQ_NONE &&
      !sa->dpd_queued)
    t = earliest(t, sa->last_peer_ms + sa->cfg.pub.dpd_interval_ms);
  return t;
}

/* Retransmission and the dead-peer deadline. 1 when the IKE SA ended. */
static int request_timers(tcpsec_ike_sa *sa, uint64_t now_ms) {
  ike_request *req = &sa->req;

  if (req->kind == IKE_REQ_NONE)
    return 0;
  if (now_ms >= req->deadline_ms) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "no response to %s request #%u after %u retransmissions; "
               "the peer is considered dead",
               tcpsec_ike_exchange_name(req->exchange), req->message_id,
               req->retransmits);
    if (req->kind == IKE_REQ_DELETE_IKE)
      tcpsec_ike_sa_set_deleted(sa, sa->delete_ike_reason);
    else
      tcpsec_ike_sa_fail(sa, TCPSEC_ERR_PEER_DEAD);
    return 1;
  }
  if (now_ms >= req->next_send_ms)
    tcpsec_ike_resend_request(sa, now_ms, 0);
  return 0;
}

/* Lifetimes and liveness of an established IKE SA. */
static void established_timers(tcpsec_ike_sa *sa, uint64_t now_ms) {
  size_t i;

  if (sa->expires_ms != 0 && now_ms >= sa->expires_ms &&
      !sa->delete_ike_queued) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
               "IKE SA lifetime of %llu ms ended; deleting it",
               (unsigned long long)sa->cfg.pub.ike_lifetime_ms);
    sa->delete_ike_queued = 1;
    sa->delete_ike_reason = TCPSEC_ERR_SA_EXPIRED;
  }
  for (i = 0; i < sa->child_count; i++) {
    ike_child *c = &sa->children[i];

    if (c->installed && c->expires_ms != 0 && now_ms >= c->expires_ms &&
        !c->deleting && !c->delete_queued) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
                 "Child SA %08x/%08x lifetime ended; deleting it", c->spi_in,
                 c->spi_out);
      c->delete_queued = 1;
      c->delete_reason = TCPSEC_ERR_SA_EXPIRED;
    }
  }
  if (sa->cfg.pub.dpd_interval_ms != 0 && sa->req.kind == IKE_REQ_NONE &&
      now_ms >= sa->last_peer_ms + sa->cfg.pub.dpd_interval_ms)
    sa->dpd_queued = 1;
  tcpsec_ike_create_timers(sa, now_ms);
  tcpsec_ike_start_queued(sa, now_ms);
}

int tcpsec_ike_sa_handle_timeout(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  if (terminal(sa))
    return 0;
  if (request_timers(sa, now_ms))
    return 0;
  if (sa->state == TCPSEC_IKE_SA_HALF_OPEN &&
      now_ms >= sa->half_open_deadline_ms) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "no IKE_AUTH request within %u ms of IKE_SA_INIT; dropping "
               "the half-open IKE SA",
               sa->cfg.pub.half_open_timeout_ms);
    tcpsec_ike_sa_fail(sa, TCPSEC_ERR_TIMEOUT);
    return 0;
  }
  if (sa->state == TCPSEC_IKE_SA_ESTABLISHED)
    established_timers(sa, now_ms);
  return 0;
}

int tcpsec_ike_sa_connection_changed(tcpsec_ike_sa *sa, int transport,
                                     const tcpsec_ike_endpoint *local,
                                     const tcpsec_ike_endpoint *remote,
                                     uint64_t now_ms) {
  if (sa == NULL || (transport != TCPSEC_IKE_TRANSPORT_UDP &&
                     transport != TCPSEC_IKE_TRANSPORT_TCP))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state == TCPSEC_IKE_SA_FAILED ||
      sa->state == TCPSEC_IKE_SA_DELETED)
    return TCPSEC_ERR_INVALID_STATE;
  sa->cfg.pub.transport = (uint8_t)transport;
  if (local != NULL)
    sa->cfg.pub.local = *local;
  if (remote != NULL)
    sa->cfg.pub.remote = *remote;
  if (sa->req.kind == IKE_REQ_NONE)
    return 0;

  /* RFC 9329 section 6.2: the outstanding request goes out again on the
   * new connection, and the wait for its response starts over. */
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
             "new %s connection: sending request #%u again",
             transport == TCPSEC_IKE_TRANSPORT_TCP ? "TCP" : "UDP",
             sa->req.message_id);
  sa->req.retransmits = 0;
  sa->req.deadline_ms = now_ms + tcpsec_ike_response_budget(sa);
  tcpsec_ike_resend_request(sa, now_ms, 0);
  if (transport == TCPSEC_IKE_TRANSPORT_TCP)
    sa->req.next_send_ms = TCPSEC_IKE_NO_TIMEOUT;
  return 0;
}

void tcpsec_ike_sa_peer_alive(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa != NULL && now_ms > sa->last_peer_ms)
    sa->last_peer_ms = now_ms;
}

int tcpsec_ike_sa_check_liveness(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return TCPSEC_ERR_INVALID_STATE;
  if (sa->req.kind == IKE_REQ_NONE) {
    sa->dpd_queued = 1;
    tcpsec_ike_start_queued(sa, now_ms);
  }
  return 0;
}

int tcpsec_ike_sa_delete(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state == TCPSEC_IKE_SA_DELETING ||
      sa->state == TCPSEC_IKE_SA_DELETED || sa->state == TCPSEC_IKE_SA_FAILED ||
      sa->delete_ike_queued)
    return TCPSEC_ERR_INVALID_STATE;
  if (sa->state != TCPSEC_IKE_SA_ESTABLISHED) {
    tcpsec_ike_sa_fail(sa, 0);
    return 0;
  }
  sa->delete_ike_queued = 1;
  sa->delete_ike_reason = 0;
  tcpsec_ike_start_queued(sa, now_ms);
  return 0;
}

int tcpsec_ike_sa_delete_child(tcpsec_ike_sa *sa, uint32_t spi_in,
                               uint64_t now_ms) {
  ike_child *child;

  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return TCPSEC_ERR_INVALID_STATE;
  child = tcpsec_ike_child_by_in(sa, spi_in);
  if (child == NULL || !child->installed)
    return TCPSEC_ERR_CHILD_SA_NOT_FOUND;
  if (!child->deleting && !child->delete_queued) {
    child->delete_queued = 1;
    child->delete_reason = 0;
  }
  tcpsec_ike_start_queued(sa, now_ms);
  return 0;
}
