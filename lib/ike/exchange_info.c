/*
 * INFORMATIONAL exchanges (RFC 7296 sections 1.4, 2.4 and 2.21).
 *
 *   HDR, SK {}                 -->  <--  HDR, SK {}         liveness check
 *   HDR, SK {D(ESP, SPI)}      -->  <--  HDR, SK {D(ESP, SPI')}
 *   HDR, SK {D(IKE)}           -->  <--  HDR, SK {}
 *
 * A Delete lists the SPIs of the sender's inbound SAs, and the response
 * lists the other halves of the pairs. When both ends delete the same pair
 * at once, each removes it while processing the other's request and
 * responds without a Delete for it (section 1.4.1).
 */
#include "ike/ike_sa.h"

#include <string.h>

/* Maximum SPIs listed in the Delete of one response. A pair beyond it is
 * still removed, only not listed. */
#define IKE_DELETE_RESPONSE_MAX 64

static ike_child *first_queued_child(tcpsec_ike_sa *sa) {
  size_t i;

  for (i = 0; i < sa->child_count; i++)
    if (sa->children[i].delete_queued)
      return &sa->children[i];
  return NULL;
}

int tcpsec_ike_info_start(tcpsec_ike_sa *sa, ike_request_kind kind,
                          uint64_t now_ms) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  uint32_t child_spi = 0;
  uint8_t spi[4];
  ike_child *child;
  int rv;

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_INFORMATIONAL, 0,
                        sa->next_request_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  switch (kind) {
  case IKE_REQ_DPD:
    sa->dpd_queued = 0;
    break;
  case IKE_REQ_DELETE_CHILD:
    child = first_queued_child(sa);
    if (child == NULL) {
      tcpsec_ike_builder_free(&b);
      return 0;
    }
    child->delete_queued = 0;
    child->deleting = 1;
    child_spi = child->spi_in;
    tcpsec_store_be32(spi, child_spi);
    tcpsec_ike_builder_add_delete(&b, TCPSEC_IKE_PROTO_ESP, 4, spi, 1);
    break;
  case IKE_REQ_DELETE_IKE:
    sa->delete_ike_queued = 0;
    sa->state = TCPSEC_IKE_SA_DELETING;
    tcpsec_ike_builder_add_delete(&b, TCPSEC_IKE_PROTO_IKE, 0, NULL, 0);
    break;
  case IKE_REQ_NOTIFY_ERROR:
    sa->notify_error_queued = 0;
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0,
                                  sa->notify_error_type, NULL, 0);
    break;
  default:
    tcpsec_ike_builder_free(&b);
    return TCPSEC_ERR_INTERNAL;
  }
  rv = tcpsec_ike_send_request(sa, &b, kind, child_spi, now_ms);
  /* A Delete that cannot be sent still deletes the IKE SA here. */
  if (rv != 0 && kind == IKE_REQ_DELETE_IKE)
    tcpsec_ike_sa_set_deleted(sa, sa->delete_ike_reason);
  return rv;
}

int tcpsec_ike_reply_notify(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                            const uint8_t *data, size_t len, uint16_t type,
                            const uint8_t *notify_data, size_t notify_len) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;

  tcpsec_ike_header_for(sa, &hdr, msg->header.exchange, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0, type,
                                notify_data, notify_len);
  return tcpsec_ike_send_response(sa, &b, data, len);
}

/* Process one ESP Delete of the peer: remove each pair it names and list
 * our halves for the response. */
static size_t delete_children(tcpsec_ike_sa *sa, const tcpsec_ike_delete *d,
                              uint8_t *response_spis, size_t max) {
  size_t i, count = 0;
  ike_child *child;

  for (i = 0; i < d->num_spis; i++) {
    child = tcpsec_ike_child_by_out(sa, tcpsec_load_be32(d->spis + 4 * i));
    if (child == NULL)
      continue;
    /* Both ends delete it at once, so the response leaves it out. */
    if (!child->deleting && count < max)
      tcpsec_store_be32(response_spis + 4 * count++, child->spi_in);
    tcpsec_ike_child_remove(sa, child, TCPSEC_ERR_IKE_SA_DELETED);
  }
  return count;
}

/* Map an error notify that ends the IKE SA (sections 2.21.2 and 2.21.3) to
 * its TCPSEC_ERR_* code; 0 for other notifies. */
static int fatal_notify(const tcpsec_ike_payload *p) {
  uint16_t type = p->u.notify.type;

  if (type == TCPSEC_IKE_N_AUTHENTICATION_FAILED ||
      type == TCPSEC_IKE_N_INVALID_SYNTAX)
    return tcpsec_ike_notify_error(type);
  return 0;
}

int tcpsec_ike_info_process_request(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg,
                                    const uint8_t *data, size_t len,
                                    uint64_t now_ms) {
  uint8_t response_spis[4 * IKE_DELETE_RESPONSE_MAX];
  size_t i, response_count = 0;
  int delete_ike = 0, fatal = 0, rv;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;

  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (!p->inner)
      continue;
    if (p->type == TCPSEC_IKE_PT_DELETE &&
        p->u.del.protocol == TCPSEC_IKE_PROTO_IKE) {
      delete_ike = 1;
    } else if (p->type == TCPSEC_IKE_PT_DELETE &&
               p->u.del.protocol == TCPSEC_IKE_PROTO_ESP &&
               p->u.del.spi_size == 4) {
      response_count += delete_children(
          sa, &p->u.del, response_spis + 4 * response_count,
          TCPSEC_ARRAY_SIZE(response_spis) / 4 - response_count);
    } else if (p->type == TCPSEC_IKE_PT_NOTIFY && fatal == 0) {
      fatal = fatal_notify(p);
      if (fatal == 0)
        tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
                   "peer reported %s in an INFORMATIONAL request",
                   tcpsec_ike_notify_name(p->u.notify.type) != NULL
                       ? tcpsec_ike_notify_name(p->u.notify.type)
                       : "an unknown notify");
    }
  }

  /* The response to an IKE SA Delete is empty (section 1.4.1). */
  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_INFORMATIONAL, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  if (!delete_ike && response_count > 0)
    tcpsec_ike_builder_add_delete(&b, TCPSEC_IKE_PROTO_ESP, 4, response_spis,
                                  (uint16_t)response_count);
  rv = tcpsec_ike_send_response(sa, &b, data, len);

  if (delete_ike && sa->peer_gen.used) {
    /* Section 2.8.2: the peer rekeyed the IKE SA without noticing our
     * simultaneous rekey, and deletes the old one. Its new IKE SA takes
     * over; ours is forgotten. */
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "the peer deleted the IKE SA it rekeyed; abandoning our own "
               "rekey");
    tcpsec_ike_create_clear(sa);
    tcpsec_ike_request_clear(sa);
    tcpsec_ike_gen_adopt_peer(sa, now_ms);
  } else if (delete_ike) {
    tcpsec_ike_sa_set_deleted(sa, TCPSEC_ERR_IKE_SA_DELETED);
  } else if (fatal != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "peer reported %s; deleting the IKE SA",
               tcpsec_strerror_name(fatal));
    tcpsec_ike_sa_set_deleted(sa, fatal);
  }
  return rv;
}

int tcpsec_ike_info_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     ike_request_kind kind, uint32_t child_spi,
                                     uint64_t now_ms) {
  ike_child *child;
  int fatal = 0;
  size_t i;

  (void)now_ms;
  for (i = 0; i < msg->count && fatal == 0; i++)
    if (msg->payloads[i].type == TCPSEC_IKE_PT_NOTIFY)
      fatal = fatal_notify(&msg->payloads[i]);
  if (fatal != 0) {
    tcpsec_log(
        sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
        "peer responded to an INFORMATIONAL request with %s; deleting the "
        "IKE SA",
        tcpsec_strerror_name(fatal));
    tcpsec_ike_sa_set_deleted(sa, fatal);
    return 0;
  }

  switch (kind) {
  case IKE_REQ_DELETE_CHILD:
    /* The pair may be gone already if the peer deleted it meanwhile. */
    child = tcpsec_ike_child_by_in(sa, child_spi);
    if (child != NULL)
      tcpsec_ike_child_remove(sa, child, child->delete_reason);
    break;
  case IKE_REQ_DELETE_IKE:
    tcpsec_ike_sa_set_deleted(sa, sa->delete_ike_reason);
    break;
  default:
    break;
  }
  return 0;
}
