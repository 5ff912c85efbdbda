/*
 * Receiving side of an IKE SA: tcpsec_ike_sa_input().
 *
 * Checks run from the cheapest to the most expensive, and nothing changes
 * the IKE SA until a message passed all of them:
 *   1. fixed header: length, version, our initiator SPI (section 3.1);
 *   2. request or response: Initiator flag, responder SPI, message ID
 *      against the window. A retransmitted request gets the cached
 *      response without being decrypted (section 2.1);
 *   3. parse of the clear chain, then the SK integrity check (section
 *      3.14); messages failing either are dropped and counted, because
 *      anybody can send them (section 2.21);
 *   4. parse of the inner chain: a request that is malformed only here was
 *      sent with the keys, so the response is UNSUPPORTED_CRITICAL_PAYLOAD
 *      or INVALID_SYNTAX (sections 2.5 and 2.21.3);
 *   5. the exchange's process step.
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

/* Buffers one received message needs; freed after processing. */
typedef struct ike_rx {
  tcpsec_ike_msg *msg;
  uint8_t *plain;
  size_t plain_cap;
} ike_rx;

static void rx_free(tcpsec_ike_sa *sa, ike_rx *rx) {
  if (rx->plain != NULL)
    tcpsec_free_secret(sa->ctx, rx->plain, rx->plain_cap);
  tcpsec_free(sa->ctx, rx->msg);
}

/* RFC 7296 notation of one payload: "SA", "Ni", "N(COOKIE)", "D(ESP x1)". */
static const char *payload_label(const tcpsec_ike_payload *p,
                                 int request, char *buf, size_t len) {
  const char *name = tcpsec_ike_payload_notation(p->type);

  if (p->type == TCPSEC_IKE_PT_NONCE) {
    /* Ni in every request, Nr in every response (sections 1.2 and 1.3). */
    snprintf(buf, len, "%s", request ? "Ni" : "Nr");
  } else if (p->type == TCPSEC_IKE_PT_NOTIFY) {
    const char *n = tcpsec_ike_notify_name(p->u.notify.type);

    if (n != NULL)
      snprintf(buf, len, "N(%s)", n);
    else
      snprintf(buf, len, "N(%u)", p->u.notify.type);
  } else if (p->type == TCPSEC_IKE_PT_DELETE) {
    snprintf(buf, len, "D(%s x%u)",
             p->u.del.protocol == TCPSEC_IKE_PROTO_IKE ? "IKE" : "ESP",
             p->u.del.num_spis);
  } else if (name != NULL) {
    snprintf(buf, len, "%s", name);
  } else {
    snprintf(buf, len, "%u", p->type);
  }
  return buf;
}

void tcpsec_ike_log_message(tcpsec_ike_sa *sa, const char *direction,
                            const tcpsec_ike_msg *msg) {
  tcpsec_ike_log_peer_message(sa->ctx, &sa->cfg.pub, direction, msg);
}

void tcpsec_ike_log_peer_message(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                                 const char *direction,
                                 const tcpsec_ike_msg *msg) {
  const tcpsec_ike_header *h = &msg->header;
  char summary[320], label[48], peer[64];
  const char *exchange = tcpsec_ike_exchange_name(h->exchange);
  size_t i, used = 0;
  int inner_open = 0;

  if (!tcpsec_log_enabled(ctx, TCPSEC_LOG_DEBUG))
    return;
  summary[0] = '\0';
  for (i = 0; i < msg->count && used + 1 < sizeof(summary); i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];
    int n;

    if (p->type == TCPSEC_IKE_PT_SK || p->type == TCPSEC_IKE_PT_SKF)
      continue;
    n = snprintf(summary + used, sizeof(summary) - used, "%s%s ",
                 p->inner && !inner_open ? "SK { " : "",
                 payload_label(p, !(h->flags & TCPSEC_IKE_FLAG_RESPONSE),
                               label, sizeof(label)));
    inner_open |= p->inner;
    if (n > 0)
      used = TCPSEC_MIN(used + (size_t)n, sizeof(summary) - 1);
  }
  if (!inner_open && msg->sk_index >= 0)
    snprintf(summary + used, sizeof(summary) - used, "SK { ");
  tcpsec_ike_endpoint_format(&cfg->remote, peer, sizeof(peer));
  tcpsec_log(ctx, TCPSEC_LOG_DEBUG, IKE_LOG, "%s %s %s #%u { %s%s} %s %s (%s)",
             direction, exchange != NULL ? exchange : "exchange",
             h->flags & TCPSEC_IKE_FLAG_RESPONSE ? "response" : "request",
             h->message_id, summary,
             inner_open || msg->sk_index >= 0 ? "} " : "",
             strcmp(direction, "sent") == 0 ? "to" : "from", peer,
             cfg->transport == TCPSEC_IKE_TRANSPORT_TCP ? "tcp" : "udp");
}

/* Stage 1 into a freshly allocated message. */
static int rx_parse(tcpsec_ike_sa *sa, ike_rx *rx, const uint8_t *data,
                    size_t len) {
  tcpsec_ike_parse_error err;
  int rv;

  rx->msg = tcpsec_malloc(sa->ctx, sizeof(*rx->msg));
  if (rx->msg == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  rv = tcpsec_ike_msg_parse(rx->msg, data, len, &err);
  if (rv != 0) {
    sa->stats.dropped_malformed++;
    if (tcpsec_ike_log_drop(sa->stats.dropped_malformed))
      tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
                 "dropped a %zu-byte message that does not parse (%s at "
                 "offset %zu); %llu such drops so far",
                 len, err.reason, err.offset,
                 (unsigned long long)sa->stats.dropped_malformed);
  }
  return rv;
}

/* Integrity check and decryption of SK, or of SKF fragments until the set
 * is complete (RFC 7383). Returns 1 when more fragments are needed. */
static int rx_open(tcpsec_ike_sa *sa, ike_rx *rx, const uint8_t *data,
                   size_t len, const uint8_t **inner, size_t *inner_len,
                   uint8_t *first_type) {
  const tcpsec_ike_payload *sk;
  tcpsec_ike_frag_config fc;
  tcpsec_ike_parse_error err;
  size_t plain_len = 0;
  int rv;

  if (rx->msg->sk_index < 0) {
    sa->stats.dropped_malformed++;
    return TCPSEC_ERR_MALFORMED;
  }
  sk = &rx->msg->payloads[rx->msg->sk_index];
  rx->plain = tcpsec_malloc(sa->ctx, len);
  if (rx->plain == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  rx->plain_cap = len;
  rv = tcpsec_ike_sk_open(sa->sk_in, data, len, rx->msg, rx->plain, len,
                          &plain_len, &err);
  if (rv != 0) {
    sa->stats.dropped_integrity++;
    if (tcpsec_ike_log_drop(sa->stats.dropped_integrity))
      tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
                 "dropped message #%u: SK payload failed (%s); %llu such "
                 "drops so far",
                 rx->msg->header.message_id, err.reason,
                 (unsigned long long)sa->stats.dropped_integrity);
    return rv;
  }
  if (sk->type == TCPSEC_IKE_PT_SK) {
    *inner = rx->plain;
    *inner_len = plain_len;
    *first_type = sk->u.sk.inner_type;
    return 0;
  }
  if (sa->reasm == NULL) {
    tcpsec_ike_frag_config_default(&fc);
    rv = tcpsec_ike_frag_reasm_new(sa->ctx, &fc, &sa->reasm);
    if (rv != 0)
      return rv;
  }
  rv = tcpsec_ike_frag_reasm_add(sa->reasm, rx->msg, rx->plain, plain_len,
                                 inner, inner_len, first_type, &err);
  if (rv < 0)
    sa->stats.dropped_malformed++;
  return rv == 1 ? 0 : (rv == 0 ? 1 : rv);
}

/* Respond to an authenticated but malformed request with the notify RFC
 * 7296 requires. INVALID_SYNTAX ends the IKE SA on both sides (section
 * 2.21.3), and so does either error during IKE_AUTH (section 2.21.2). */
static void reject_request(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                           const uint8_t *data, size_t len,
                           const tcpsec_ike_parse_error *err) {
  uint8_t type = err->unsupported_type;
  int critical = err->code == TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD;

  tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
             "protected %s request #%u is malformed (%s at inner offset "
             "%zu); responding %s",
             tcpsec_ike_exchange_name(msg->header.exchange),
             msg->header.message_id, err->reason, err->offset,
             critical ? "UNSUPPORTED_CRITICAL_PAYLOAD" : "INVALID_SYNTAX");
  (void)tcpsec_ike_reply_notify(sa, msg, data, len,
                                critical
                                    ? TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD
                                    : TCPSEC_IKE_N_INVALID_SYNTAX,
                                critical ? &type : NULL, critical ? 1 : 0);
  if (sa->state == TCPSEC_IKE_SA_HALF_OPEN)
    tcpsec_ike_sa_fail(sa, critical ? TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD
                                    : TCPSEC_ERR_INVALID_SYNTAX);
  else if (!critical)
    tcpsec_ike_sa_set_deleted(sa, TCPSEC_ERR_INVALID_SYNTAX);
}

/* Stages 1 to 4 for a protected message. Returns 0 with rx->msg holding
 * clear and inner payloads, 1 for a stored fragment, or an error. */
static int rx_protected(tcpsec_ike_sa *sa, ike_rx *rx, const uint8_t *data,
                        size_t len, int request) {
  tcpsec_ike_parse_error err;
  const uint8_t *inner = NULL;
  size_t inner_len = 0;
  uint8_t first = 0;
  int rv;

  rv = rx_parse(sa, rx, data, len);
  if (rv == 0)
    rv = rx_open(sa, rx, data, len, &inner, &inner_len, &first);
  if (rv != 0)
    return rv;
  rv = tcpsec_ike_msg_parse_inner(rx->msg, first, inner, inner_len, &err);
  if (rv == 0)
    return 0;
  sa->stats.dropped_malformed++;
  if (request) {
    reject_request(sa, rx->msg, data, len, &err);
  } else {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "protected %s response #%u is malformed (%s); ending the IKE "
               "SA",
               tcpsec_ike_exchange_name(rx->msg->header.exchange),
               rx->msg->header.message_id, err.reason);
    tcpsec_ike_sa_fail(sa, TCPSEC_ERR_INVALID_SYNTAX);
  }
  return TCPSEC_ERR_INVALID_SYNTAX;
}

/* Retransmitted IKE_SA_INIT request on a half-open responder. */
static int init_request_again(tcpsec_ike_sa *sa, const uint8_t *data,
                              size_t len) {
  if (sa->state == TCPSEC_IKE_SA_HALF_OPEN && sa->init_request.len == len &&
      memcmp(sa->init_request.data, data, len) == 0) {
    sa->stats.duplicate_requests++;
    tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
               "IKE_SA_INIT request #0 received again; sending the same "
               "response");
    (void)tcpsec_ike_cb_send(sa, sa->init_response.data, sa->init_response.len,
                             0);
    return 0;
  }
  sa->stats.dropped_unexpected++;
  return TCPSEC_ERR_INVALID_MESSAGE_ID;
}

/* Window check of a request (section 2.3). Returns 1 when the cached
 * response was sent again. */
static int request_window(tcpsec_ike_sa *sa, const tcpsec_ike_header *h,
                          const uint8_t *data, size_t len) {
  ike_response_cache *cache = &sa->cache;

  if (cache->valid && h->message_id == cache->message_id) {
    if (cache->request.len == len &&
        memcmp(cache->request.data, data, len) == 0) {
      sa->stats.duplicate_requests++;
      tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
                 "%s request #%u received again; sending the cached "
                 "response",
                 tcpsec_ike_exchange_name(h->exchange), h->message_id);
      (void)tcpsec_ike_cb_send(sa, cache->response.data, cache->response.len,
                               tcpsec_ike_nat_send_flags(sa));
      return 1;
    }
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_MESSAGE_ID;
  }
  if (h->message_id != sa->next_peer_id) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_MESSAGE_ID;
  }
  return 0;
}

static int dispatch_request(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                            const uint8_t *data, size_t len, uint64_t now_ms) {
  uint8_t exchange = msg->header.exchange;

  if (sa->in_gen != NULL &&
      (exchange == TCPSEC_IKE_EXCH_INFORMATIONAL ||
       exchange == TCPSEC_IKE_EXCH_CREATE_CHILD_SA))
    return tcpsec_ike_gen_process_request(sa, msg, data, len, now_ms);
  if (exchange == TCPSEC_IKE_EXCH_IKE_AUTH && !sa->initiator &&
      sa->state == TCPSEC_IKE_SA_HALF_OPEN && sa->in_gen == NULL)
    return tcpsec_ike_auth_process_request(sa, msg, data, len, now_ms);
  if (exchange == TCPSEC_IKE_EXCH_INFORMATIONAL &&
      (sa->state == TCPSEC_IKE_SA_ESTABLISHED ||
       sa->state == TCPSEC_IKE_SA_DELETING))
    return tcpsec_ike_info_process_request(sa, msg, data, len, now_ms);
  if (exchange == TCPSEC_IKE_EXCH_CREATE_CHILD_SA &&
      (sa->state == TCPSEC_IKE_SA_ESTABLISHED ||
       sa->state == TCPSEC_IKE_SA_DELETING))
    return tcpsec_ike_create_process_request(sa, msg, data, len, now_ms);
  sa->stats.dropped_unexpected++;
  if (tcpsec_ike_log_drop(sa->stats.dropped_unexpected))
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "dropped protected %s request #%u: not expected in state %d",
               tcpsec_ike_exchange_name(exchange) != NULL
                   ? tcpsec_ike_exchange_name(exchange)
                   : "unknown exchange",
               msg->header.message_id, sa->state);
  return TCPSEC_ERR_INVALID_STATE;
}

static int input_request(tcpsec_ike_sa *sa, const tcpsec_ike_header *h,
                         const uint8_t *data, size_t len, uint64_t now_ms) {
  ike_rx rx = {NULL, NULL, 0};
  int rv;

  if (h->exchange == TCPSEC_IKE_EXCH_IKE_SA_INIT)
    return init_request_again(sa, data, len);
  if (memcmp(h->spi_r, sa->spi_r, TCPSEC_IKE_SPI_LEN) != 0) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }
  if (sa->sk_in == NULL && sa->cache.valid == 0) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_STATE;
  }
  rv = request_window(sa, h, data, len);
  if (rv != 0)
    return rv < 0 ? rv : 0;
  if (sa->state == TCPSEC_IKE_SA_FAILED || sa->state == TCPSEC_IKE_SA_DELETED ||
      sa->sk_in == NULL) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_STATE;
  }

  rv = rx_protected(sa, &rx, data, len, 1);
  if (rv == 0) {
    sa->stats.messages_in++;
    sa->last_peer_ms = now_ms;
    tcpsec_ike_log_message(sa, "received", rx.msg);
    rv = dispatch_request(sa, rx.msg, data, len, now_ms);
  }
  rx_free(sa, &rx);
  tcpsec_ike_start_queued(sa, now_ms);
  return rv == 1 ? 0 : rv;
}

static int dispatch_response(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                             uint64_t now_ms) {
  ike_request_kind kind = sa->req.kind;
  uint32_t child_spi = sa->req.child_spi_in;

  tcpsec_ike_request_clear(sa);
  if (sa->in_gen != NULL && kind == IKE_REQ_DELETE_IKE) {
    /* The old IKE SA is deleted on both ends now. */
    sa->in_gen->done = 1;
    sa->in_gen->drop_ms = now_ms;
    return 0;
  }
  if (kind == IKE_REQ_AUTH)
    return tcpsec_ike_auth_process_response(sa, msg, now_ms);
  if (kind == IKE_REQ_CREATE_CHILD || kind == IKE_REQ_REKEY_CHILD ||
      kind == IKE_REQ_REKEY_IKE)
    return tcpsec_ike_create_process_response(sa, msg, kind, now_ms);
  return tcpsec_ike_info_process_response(sa, msg, kind, child_spi, now_ms);
}

static int input_response(tcpsec_ike_sa *sa, const tcpsec_ike_header *h,
                          const uint8_t *data, size_t len, uint64_t now_ms) {
  ike_rx rx = {NULL, NULL, 0};
  int rv;

  if (sa->req.kind == IKE_REQ_NONE || h->message_id != sa->req.message_id ||
      h->exchange != sa->req.exchange) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_MESSAGE_ID;
  }
  if (sa->req.kind == IKE_REQ_INIT) {
    rv = rx_parse(sa, &rx, data, len);
    if (rv == 0)
      rv = tcpsec_ike_init_process_response(sa, rx.msg, data, len, now_ms);
    rx_free(sa, &rx);
    return rv;
  }
  if (memcmp(h->spi_r, sa->spi_r, TCPSEC_IKE_SPI_LEN) != 0) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }
  rv = rx_protected(sa, &rx, data, len, 0);
  if (rv == 0) {
    sa->stats.messages_in++;
    sa->last_peer_ms = now_ms;
    tcpsec_ike_log_message(sa, "received", rx.msg);
    rv = dispatch_response(sa, rx.msg, now_ms);
  }
  rx_free(sa, &rx);
  tcpsec_ike_start_queued(sa, now_ms);
  return rv == 1 ? 0 : rv;
}

static int input_current(tcpsec_ike_sa *sa, const tcpsec_ike_header *h,
                         const uint8_t *data, size_t len, uint64_t now_ms) {
  int peer_is_initiator;

  /* Messages of the original initiator carry the Initiator flag. */
  peer_is_initiator = (h->flags & TCPSEC_IKE_FLAG_INITIATOR) != 0;
  if (peer_is_initiator == sa->initiator) {
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }
  if (h->flags & TCPSEC_IKE_FLAG_RESPONSE)
    return input_response(sa, h, data, len, now_ms);
  return input_request(sa, h, data, len, now_ms);
}

/* A message for an old generation of a rekeyed IKE SA: processed with that
 * generation swapped in. */
static int input_old(tcpsec_ike_sa *sa, ike_gen *g, const tcpsec_ike_header *h,
                     const uint8_t *data, size_t len, uint64_t now_ms) {
  int rv;

  tcpsec_ike_gen_swap(sa, g);
  sa->in_gen = g;
  rv = input_current(sa, h, data, len, now_ms);
  sa->in_gen = NULL;
  tcpsec_ike_gen_swap(sa, g);
  tcpsec_ike_start_queued(sa, now_ms);
  return rv;
}

int tcpsec_ike_sa_input(tcpsec_ike_sa *sa, const uint8_t *data, size_t len,
                        uint64_t now_ms) {
  tcpsec_ike_header h;
  ike_gen *g;
  int rv;

  if (sa == NULL || data == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state == TCPSEC_IKE_SA_IDLE)
    return TCPSEC_ERR_INVALID_STATE;

  rv = tcpsec_ike_header_parse(&h, data, len);
  if (rv == 0 && h.length != len)
    rv = h.length > len ? TCPSEC_ERR_TRUNCATED : TCPSEC_ERR_MALFORMED;
  if (rv != 0) {
    sa->stats.dropped_malformed++;
    return rv;
  }
  if (memcmp(h.spi_i, sa->spi_i, TCPSEC_IKE_SPI_LEN) != 0) {
    g = tcpsec_ike_gen_find(sa, h.spi_i, h.spi_r);
    if (g != NULL && sa->state == TCPSEC_IKE_SA_ESTABLISHED)
      return input_old(sa, g, &h, data, len, now_ms);
    sa->stats.dropped_unexpected++;
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }
  return input_current(sa, &h, data, len, now_ms);
}
