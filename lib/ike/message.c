/*
 * IKEv2 message parsing: the fixed header, the payload chain in clear and
 * the inner chain after decryption (RFC 7296 sections 3.1 and 3.2), plus
 * look-ups over a parsed message.
 */
#include "ike/message.h"

#include <string.h>

#include "core/cursor.h"
#include "core/util.h"

int tcpsec_ike_header_parse(tcpsec_ike_header *hdr, const uint8_t *data,
                            size_t len) {
  tcpsec_cursor c;

  if (hdr == NULL || data == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (len < TCPSEC_IKE_HEADER_LEN)
    return TCPSEC_ERR_TRUNCATED;

  tcpsec_cursor_init(&c, data, len);
  tcpsec_cursor_copy(&c, hdr->spi_i, TCPSEC_IKE_SPI_LEN);
  tcpsec_cursor_copy(&c, hdr->spi_r, TCPSEC_IKE_SPI_LEN);
  hdr->next_payload = tcpsec_cursor_u8(&c);
  hdr->version = tcpsec_cursor_u8(&c);
  hdr->exchange = tcpsec_cursor_u8(&c);
  hdr->flags = tcpsec_cursor_u8(&c);
  hdr->message_id = tcpsec_cursor_be32(&c);
  hdr->length = tcpsec_cursor_be32(&c);

  /* Section 2.5: only the major version decides whether we can parse. */
  if (hdr->version >> 4 != TCPSEC_IKE_MAJOR_VERSION)
    return TCPSEC_ERR_INVALID_MAJOR_VERSION;
  if (hdr->length < TCPSEC_IKE_HEADER_LEN)
    return TCPSEC_ERR_MALFORMED;
  return 0;
}

/* Per-message counts of payload kinds the limits apply to. */
static int count_payload(tcpsec_ike_msg *msg, const tcpsec_ike_payload *p,
                         tcpsec_ike_parse_error *err) {
  size_t *count = NULL;
  size_t max = 0;

  if (p->type == TCPSEC_IKE_PT_NOTIFY) {
    count = &msg->notify_count;
    max = TCPSEC_IKE_MAX_NOTIFIES;
  } else if (p->type == TCPSEC_IKE_PT_CERT) {
    count = &msg->cert_count;
    max = TCPSEC_IKE_MAX_CERTS;
  } else if (p->type == TCPSEC_IKE_PT_CERTREQ) {
    count = &msg->certreq_count;
    max = TCPSEC_IKE_MAX_CERTS;
  }
  if (count == NULL)
    return 0;
  if (*count >= max)
    return tcpsec_ike_fail(err, TCPSEC_ERR_LIMIT, p->type, p->offset,
                           "too many payloads of this type");
  (*count)++;
  return 0;
}

/*
 * Generic payload header (section 3.2):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Walks a chain starting with payload type `type` over c. `base` is the
 * offset of c's first byte in the message or plaintext. Stops after an SK
 * or SKF payload in the clear chain (it must end the message).
 */
static int parse_chain(tcpsec_ike_msg *msg, tcpsec_cursor *c, size_t base,
                       uint8_t type, int inner, tcpsec_ike_parse_error *err) {
  const uint8_t *first = c->p;

  while (type != TCPSEC_IKE_PT_NONE) {
    size_t offset = base + (size_t)(c->p - first);
    tcpsec_ike_payload *p;
    uint8_t next, flags;
    uint16_t plen;
    int rc;

    if (tcpsec_cursor_left(c) < TCPSEC_IKE_PAYLOAD_HEADER_LEN)
      return tcpsec_ike_fail(err, TCPSEC_ERR_TRUNCATED, type, offset,
                             "message ends before the next payload header");
    next = tcpsec_cursor_u8(c);
    flags = tcpsec_cursor_u8(c);
    plen = tcpsec_cursor_be16(c);
    if (plen < TCPSEC_IKE_PAYLOAD_HEADER_LEN)
      return tcpsec_ike_fail(err, TCPSEC_ERR_MALFORMED, type, offset,
                             "payload length below 4");
    if (plen - 4u > tcpsec_cursor_left(c))
      return tcpsec_ike_fail(err, TCPSEC_ERR_TRUNCATED, type, offset,
                             "payload length exceeds the bytes left");
    if (msg->count >= TCPSEC_IKE_MAX_PAYLOADS)
      return tcpsec_ike_fail(err, TCPSEC_ERR_LIMIT, type, offset,
                             "too many payloads");

    p = &msg->payloads[msg->count];
    memset(p, 0, sizeof(*p));
    p->type = type;
    p->critical = (flags & TCPSEC_IKE_PAYLOAD_CRITICAL) != 0;
    p->inner = (uint8_t)(inner != 0);
    p->offset = offset;
    p->body_len = (size_t)plen - TCPSEC_IKE_PAYLOAD_HEADER_LEN;
    p->body = tcpsec_cursor_bytes(c, p->body_len);

    /* Section 2.5: skip what we do not understand unless it is critical. */
    if (!tcpsec_ike_payload_known(type)) {
      if (p->critical) {
        if (err != NULL)
          err->unsupported_type = type;
        return tcpsec_ike_fail(err, TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD,
                               type, offset, "unknown payload with the critical bit");
      }
      p->unknown = 1;
    }
    rc = count_payload(msg, p, err);
    if (rc == 0)
      rc = tcpsec_ike_payload_decode(msg, p, err);
    if (rc != 0)
      return rc;
    msg->count++;

    if (type == TCPSEC_IKE_PT_SK || type == TCPSEC_IKE_PT_SKF) {
      /* Section 3.14: SK is the last payload; its next payload field names
       * the first inner payload instead of continuing this chain. */
      if (inner)
        return tcpsec_ike_fail(err, TCPSEC_ERR_MALFORMED, type, offset,
                               "encrypted payload inside an encrypted payload");
      if (tcpsec_cursor_left(c) != 0)
        return tcpsec_ike_fail(err, TCPSEC_ERR_MALFORMED, type, offset,
                               "encrypted payload is not the last payload");
      p->u.sk.inner_type = next;
      msg->sk_index = (int)(msg->count - 1);
      return 0;
    }
    type = next;
  }

  if (tcpsec_cursor_left(c) != 0)
    return tcpsec_ike_fail(err, TCPSEC_ERR_MALFORMED, 0,
                           base + (size_t)(c->p - first),
                           "bytes after the last payload");
  return 0;
}

static void msg_reset(tcpsec_ike_msg *msg) {
  msg->count = 0;
  msg->sk_index = -1;
  msg->inner_index = -1;
  msg->proposal_count = 0;
  msg->transform_count = 0;
  msg->attribute_count = 0;
  msg->selector_count = 0;
  msg->notify_count = 0;
  msg->cert_count = 0;
  msg->certreq_count = 0;
}

static void error_clear(tcpsec_ike_parse_error *err) {
  if (err != NULL)
    memset(err, 0, sizeof(*err));
}

int tcpsec_ike_msg_parse(tcpsec_ike_msg *msg, const uint8_t *data, size_t len,
                         tcpsec_ike_parse_error *err) {
  tcpsec_cursor c;
  int rc;

  error_clear(err);
  if (msg == NULL || data == NULL)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0, "no message");
  msg_reset(msg);

  /* Fixed header (section 3.1). */
  rc = tcpsec_ike_header_parse(&msg->header, data, len);
  if (rc == TCPSEC_ERR_TRUNCATED)
    return tcpsec_ike_fail(err, rc, 0, 0, "message shorter than the IKE header");
  if (rc == TCPSEC_ERR_INVALID_MAJOR_VERSION)
    return tcpsec_ike_fail(err, rc, 0, 17, "IKE major version is not 2");
  if (rc != 0)
    return tcpsec_ike_fail(err, rc, 0, 24, "IKE header length below 28");
  if (msg->header.length > len)
    return tcpsec_ike_fail(err, TCPSEC_ERR_TRUNCATED, 0, 24,
                           "IKE header length exceeds the datagram");
  if (msg->header.length < len)
    return tcpsec_ike_fail(err, TCPSEC_ERR_MALFORMED, 0, 24,
                           "IKE header length is shorter than the datagram");

  /* Payload chain in clear, up to SK or SKF. */
  tcpsec_cursor_init(&c, data + TCPSEC_IKE_HEADER_LEN, len - TCPSEC_IKE_HEADER_LEN);
  rc = parse_chain(msg, &c, TCPSEC_IKE_HEADER_LEN, msg->header.next_payload, 0, err);
  if (rc != 0) {
    msg_reset(msg);
    return rc;
  }
  return 0;
}

int tcpsec_ike_msg_parse_inner(tcpsec_ike_msg *msg, uint8_t first_type,
                               const uint8_t *plain, size_t len,
                               tcpsec_ike_parse_error *err) {
  size_t saved[8];
  tcpsec_cursor c;
  int rc;

  error_clear(err);
  if (msg == NULL || (plain == NULL && len > 0))
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0, "no message");
  if (msg->inner_index >= 0)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_STATE, 0, 0,
                           "inner payloads already parsed");
  if (err != NULL)
    err->inner = 1;

  /* Keep the pool counts so a failure removes only what this call added. */
  saved[0] = msg->count;
  saved[1] = msg->proposal_count;
  saved[2] = msg->transform_count;
  saved[3] = msg->attribute_count;
  saved[4] = msg->selector_count;
  saved[5] = msg->notify_count;
  saved[6] = msg->cert_count;
  saved[7] = msg->certreq_count;

  msg->inner_index = (int)msg->count;
  tcpsec_cursor_init(&c, plain != NULL ? plain : (const uint8_t *)"", len);
  rc = parse_chain(msg, &c, 0, first_type, 1, err);
  if (rc != 0) {
    msg->count = saved[0];
    msg->proposal_count = saved[1];
    msg->transform_count = saved[2];
    msg->attribute_count = saved[3];
    msg->selector_count = saved[4];
    msg->notify_count = saved[5];
    msg->cert_count = saved[6];
    msg->certreq_count = saved[7];
    msg->inner_index = -1;
    return rc;
  }
  return 0;
}

const tcpsec_ike_payload *tcpsec_ike_msg_find(const tcpsec_ike_msg *msg,
                                              uint8_t type, size_t start) {
  size_t i;

  for (i = start; i < msg->count; i++)
    if (msg->payloads[i].type == type)
      return &msg->payloads[i];
  return NULL;
}

const tcpsec_ike_payload *tcpsec_ike_msg_find_notify(const tcpsec_ike_msg *msg,
                                                     uint16_t notify_type) {
  size_t i;

  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];
    if (p->type == TCPSEC_IKE_PT_NOTIFY && p->u.notify.type == notify_type)
      return p;
  }
  return NULL;
}

size_t tcpsec_ike_msg_count_type(const tcpsec_ike_msg *msg, uint8_t type) {
  size_t i, n = 0;

  for (i = 0; i < msg->count; i++)
    if (msg->payloads[i].type == type)
      n++;
  return n;
}

uint16_t tcpsec_ike_notify_hash_alg(const tcpsec_ike_notify *n, size_t i) {
  if (n->type != TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS ||
      i >= n->decoded.hash_alg_count)
    return 0;
  return tcpsec_load_be16(n->data + 2 * i);
}

int tcpsec_ike_cp_attr_next(const tcpsec_ike_cp *cp, size_t *pos,
                            uint16_t *type, const uint8_t **value,
                            uint16_t *len) {
  size_t left;
  uint16_t n;

  if (*pos >= cp->attrs_len)
    return 0;
  left = cp->attrs_len - *pos;
  if (left < 4)
    return 0;
  n = tcpsec_load_be16(cp->attrs + *pos + 2);
  if (n > left - 4)
    return 0;
  *type = (uint16_t)(tcpsec_load_be16(cp->attrs + *pos) & ~TCPSEC_IKE_CFG_ATTR_RESERVED_BIT);
  *len = n;
  *value = cp->attrs + *pos + 4;
  *pos += 4u + n;
  return 1;
}
