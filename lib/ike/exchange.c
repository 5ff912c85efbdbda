/*
 * Sending side of the exchanges: requests with their retransmission state,
 * responses with the response cache, stateless replies, and the queue of
 * requests waiting for the window (RFC 7296 sections 2.1 to 2.3).
 *
 * Window size is 1 in both directions: we send a request only after the
 * response to the previous one arrived, and we keep only the last
 * response.
 */
#include "ike/ike_sa.h"

#include <string.h>

void tcpsec_ike_header_for(const tcpsec_ike_sa *sa, tcpsec_ike_header *hdr,
                           uint8_t exchange, int response,
                           uint32_t message_id) {
  memset(hdr, 0, sizeof(*hdr));
  memcpy(hdr->spi_i, sa->spi_i, TCPSEC_IKE_SPI_LEN);
  memcpy(hdr->spi_r, sa->spi_r, TCPSEC_IKE_SPI_LEN);
  hdr->exchange = exchange;
  /* The Initiator flag marks the original initiator (section 3.1). */
  hdr->flags = (uint8_t)((sa->initiator ? TCPSEC_IKE_FLAG_INITIATOR : 0) |
                         (response ? TCPSEC_IKE_FLAG_RESPONSE : 0));
  hdr->message_id = message_id;
}

unsigned tcpsec_ike_nat_send_flags(const tcpsec_ike_sa *sa) {
  if (sa->cfg.pub.transport == TCPSEC_IKE_TRANSPORT_UDP &&
      (sa->nat_local || sa->nat_remote))
    return TCPSEC_IKE_SEND_NAT_T;
  return 0;
}

/* Timeout before retransmission number `n` (0 for the first send). */
static uint64_t retransmit_interval(const tcpsec_ike_sa *sa, uint32_t n) {
  uint64_t t = sa->cfg.pub.retransmit_timeout_ms;
  uint64_t max = sa->cfg.pub.retransmit_max_timeout_ms;

  while (n-- > 0 && t < max)
    t *= 2;
  return TCPSEC_MIN(t, max);
}

uint64_t tcpsec_ike_response_budget(const tcpsec_ike_sa *sa) {
  uint64_t total = 0;
  uint32_t i;

  for (i = 0; i <= sa->cfg.pub.retransmit_limit; i++)
    total += retransmit_interval(sa, i);
  return total;
}

/* Decrypt a message we built, with our own key, and log it. Runs only when
 * debug logging is enabled, so the copy costs nothing otherwise. */
void tcpsec_ike_log_sent(tcpsec_ike_sa *sa, const uint8_t *data, size_t len) {
  tcpsec_ike_msg *msg;
  uint8_t *plain = NULL;
  int rv;

  if (!tcpsec_log_enabled(sa->ctx, TCPSEC_LOG_DEBUG))
    return;
  msg = tcpsec_malloc(sa->ctx, sizeof(*msg));
  if (msg == NULL)
    return;
  rv = tcpsec_ike_msg_parse(msg, data, len, NULL);
  if (rv == 0 && msg->sk_index >= 0 && sa->sk_out != NULL) {
    plain = tcpsec_malloc(sa->ctx, len);
    if (plain == NULL)
      rv = TCPSEC_ERR_NO_MEMORY;
    else
      rv = tcpsec_ike_msg_open(sa->sk_out, msg, data, len, plain, len, NULL);
  }
  if (rv == 0)
    tcpsec_ike_log_message(sa, "sent", msg);
  if (plain != NULL)
    tcpsec_free_secret(sa->ctx, plain, len);
  tcpsec_free(sa->ctx, msg);
}

int tcpsec_ike_send_request(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                            ike_request_kind kind, uint32_t child_spi,
                            uint64_t now_ms) {
  ike_request *req = &sa->req;
  uint64_t budget = tcpsec_ike_response_budget(sa);
  uint8_t exchange = b->header.exchange;
  uint32_t message_id = b->header.message_id;
  int rv;

  tcpsec_buf_reset(&req->bytes);
  rv = tcpsec_ike_builder_finish(b, kind == IKE_REQ_INIT ? NULL : sa->sk_out,
                                 &req->bytes);
  tcpsec_ike_builder_free(b);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "building a request failed: %s", tcpsec_strerror(rv));
    req->kind = IKE_REQ_NONE;
    return rv;
  }
  req->kind = kind;
  req->exchange = exchange;
  req->message_id = message_id;
  req->child_spi_in = child_spi;
  req->retransmits = 0;
  req->deadline_ms = now_ms + budget;
  req->next_send_ms = sa->cfg.pub.transport == TCPSEC_IKE_TRANSPORT_UDP
                          ? now_ms + retransmit_interval(sa, 0)
                          : TCPSEC_IKE_NO_TIMEOUT;
  if (kind != IKE_REQ_INIT)
    sa->next_request_id = req->message_id + 1;
  tcpsec_ike_log_sent(sa, req->bytes.data, req->bytes.len);
  (void)tcpsec_ike_cb_send(sa, req->bytes.data, req->bytes.len,
                           tcpsec_ike_nat_send_flags(sa));
  return 0;
}

void tcpsec_ike_resend_request(tcpsec_ike_sa *sa, uint64_t now_ms,
                               unsigned flags) {
  ike_request *req = &sa->req;

  if (req->kind == IKE_REQ_NONE)
    return;
  req->retransmits++;
  sa->stats.retransmits++;
  if (sa->cfg.pub.transport == TCPSEC_IKE_TRANSPORT_UDP)
    req->next_send_ms = now_ms + retransmit_interval(sa, req->retransmits);
  tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
             "retransmitting %s request #%u (retransmission %u)",
             tcpsec_ike_exchange_name(req->exchange), req->message_id,
             req->retransmits);
  (void)tcpsec_ike_cb_send(sa, req->bytes.data, req->bytes.len,
                           flags | tcpsec_ike_nat_send_flags(sa) |
                               TCPSEC_IKE_SEND_RETRANSMIT);
}

void tcpsec_ike_request_clear(tcpsec_ike_sa *sa) {
  sa->req.kind = IKE_REQ_NONE;
  sa->req.next_send_ms = TCPSEC_IKE_NO_TIMEOUT;
  sa->req.deadline_ms = TCPSEC_IKE_NO_TIMEOUT;
  tcpsec_buf_reset(&sa->req.bytes);
}

int tcpsec_ike_send_response(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                             const uint8_t *request, size_t request_len) {
  ike_response_cache *cache = &sa->cache;
  uint32_t message_id = b->header.message_id;
  int rv;

  cache->valid = 0;
  tcpsec_buf_reset(&cache->response);
  tcpsec_buf_reset(&cache->request);
  rv = tcpsec_ike_builder_finish(b, sa->sk_out, &cache->response);
  tcpsec_ike_builder_free(b);
  if (rv == 0)
    rv = tcpsec_buf_append(&cache->request, request, request_len);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "building the response to request #%u failed: %s; the "
               "request gets no response",
               message_id, tcpsec_strerror(rv));
    return rv;
  }
  cache->valid = 1;
  cache->message_id = message_id;
  sa->next_peer_id = message_id + 1;
  tcpsec_ike_log_sent(sa, cache->response.data, cache->response.len);
  (void)tcpsec_ike_cb_send(sa, cache->response.data, cache->response.len,
                           tcpsec_ike_nat_send_flags(sa));
  return 0;
}

int tcpsec_ike_send_stateless(tcpsec_ctx *ctx, const tcpsec_ike_callbacks *cb,
                              const tcpsec_ike_config *cfg,
                              const tcpsec_ike_header *request, uint16_t notify,
                              const uint8_t *data, size_t len) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  tcpsec_buf out;
  char peer[64];
  int rv;

  /* HDR(A,0), N(...): SPIs, exchange and message ID of the request, the
   * Response flag set and the Initiator flag clear (section 1.5). */
  memset(&hdr, 0, sizeof(hdr));
  memcpy(hdr.spi_i, request->spi_i, TCPSEC_IKE_SPI_LEN);
  hdr.exchange = request->exchange;
  hdr.flags = TCPSEC_IKE_FLAG_RESPONSE;
  hdr.message_id = request->message_id;
  tcpsec_ike_builder_init(&b, ctx, &hdr, 0);
  tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0, notify,
                                data, len);
  tcpsec_buf_init(&out, ctx, IKE_MESSAGE_MAX);
  rv = tcpsec_ike_builder_finish(&b, NULL, &out);
  tcpsec_ike_builder_free(&b);
  if (rv == 0) {
    tcpsec_ike_endpoint_format(&cfg->remote, peer, sizeof(peer));
    tcpsec_log(ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
               "sent %s response #%u { N(%s) } to %s (%s) without state",
               tcpsec_ike_exchange_name(hdr.exchange), hdr.message_id,
               tcpsec_ike_notify_name(notify), peer,
               cfg->transport == TCPSEC_IKE_TRANSPORT_TCP ? "tcp" : "udp");
    (void)cb->send(cb->user, NULL, out.data, out.len, 0);
  }
  tcpsec_buf_free(&out);
  return rv;
}

void tcpsec_ike_start_queued(tcpsec_ike_sa *sa, uint64_t now_ms) {
  size_t i;

  if (sa->in_gen != NULL || sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return;
  tcpsec_ike_gens_kick(sa, now_ms);
  if (sa->req.kind != IKE_REQ_NONE)
    return;
  if (sa->notify_error_queued) {
    (void)tcpsec_ike_info_start(sa, IKE_REQ_NOTIFY_ERROR, now_ms);
    return;
  }
  if (sa->delete_ike_queued) {
    (void)tcpsec_ike_info_start(sa, IKE_REQ_DELETE_IKE, now_ms);
    return;
  }
  for (i = 0; i < sa->child_count; i++) {
    if (sa->children[i].delete_queued) {
      (void)tcpsec_ike_info_start(sa, IKE_REQ_DELETE_CHILD, now_ms);
      return;
    }
  }
  /* No rekey while the peer's IKE SA rekey waits for ours (2.8.2). */
  if (!sa->peer_gen.used) {
    if (sa->ike_rekey_queued) {
      (void)tcpsec_ike_create_start(sa, IKE_REQ_REKEY_IKE, now_ms);
      return;
    }
    for (i = 0; i < sa->child_count; i++) {
      if (sa->children[i].rekey_queued) {
        (void)tcpsec_ike_create_start(sa, IKE_REQ_REKEY_CHILD, now_ms);
        return;
      }
    }
    if (sa->create_queue_count > 0 && sa->create_retry_ms == 0) {
      (void)tcpsec_ike_create_start(sa, IKE_REQ_CREATE_CHILD, now_ms);
      return;
    }
  }
  if (sa->dpd_queued)
    (void)tcpsec_ike_info_start(sa, IKE_REQ_DPD, now_ms);
}

int tcpsec_ike_notify_error(uint16_t notify_type) {
  switch (notify_type) {
  case TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
    return TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD;
  case TCPSEC_IKE_N_INVALID_IKE_SPI:
    return TCPSEC_ERR_INVALID_IKE_SPI;
  case TCPSEC_IKE_N_INVALID_MAJOR_VERSION:
    return TCPSEC_ERR_INVALID_MAJOR_VERSION;
  case TCPSEC_IKE_N_INVALID_SYNTAX:
    return TCPSEC_ERR_INVALID_SYNTAX;
  case TCPSEC_IKE_N_INVALID_MESSAGE_ID:
    return TCPSEC_ERR_INVALID_MESSAGE_ID;
  case TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN:
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  case TCPSEC_IKE_N_INVALID_KE_PAYLOAD:
    return TCPSEC_ERR_INVALID_KE_PAYLOAD;
  case TCPSEC_IKE_N_AUTHENTICATION_FAILED:
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  case TCPSEC_IKE_N_TS_UNACCEPTABLE:
    return TCPSEC_ERR_TS_UNACCEPTABLE;
  case TCPSEC_IKE_N_TEMPORARY_FAILURE:
    return TCPSEC_ERR_TEMPORARY_FAILURE;
  case TCPSEC_IKE_N_CHILD_SA_NOT_FOUND:
    return TCPSEC_ERR_CHILD_SA_NOT_FOUND;
  default:
    return TCPSEC_ERR_NOT_SUPPORTED;
  }
}
