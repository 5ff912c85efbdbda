/*
 * Encoders for IKEv2 payloads from their decoded fields, and re-encoding of
 * parsed messages. The wire layouts are drawn above their decoders in
 * payload_decode.c. RESERVED fields are written as zero (RFC 7296
 * section 3.2), so the output is canonical.
 */
#include "ike/message.h"

#include <string.h>

#include "core/util.h"

/* Append len bytes; NULL data with len 0 is allowed. */
static int put(tcpsec_buf *out, const void *data, size_t len) {
  if (len == 0)
    return 0;
  if (data == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return tcpsec_buf_append(out, data, len);
}

/* Append a 4-byte prefix: one value byte and three RESERVED zero bytes. */
static int put_u8_reserved3(tcpsec_buf *out, uint8_t v) {
  uint8_t b[4] = {v, 0, 0, 0};

  return tcpsec_buf_append(out, b, sizeof(b));
}

/* ---- SA ------------------------------------------------------------------ */

static int encode_attribute(const tcpsec_ike_attribute *a, tcpsec_buf *out) {
  int rc;

  if (a->type & TCPSEC_IKE_ATTR_FORMAT_TV)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (a->tv) {
    rc = tcpsec_buf_append_be16(out, (uint16_t)(a->type | TCPSEC_IKE_ATTR_FORMAT_TV));
    return rc != 0 ? rc : tcpsec_buf_append_be16(out, a->value);
  }
  rc = tcpsec_buf_append_be16(out, a->type);
  if (rc == 0)
    rc = tcpsec_buf_append_be16(out, a->len);
  return rc != 0 ? rc : put(out, a->data, a->len);
}

static int encode_transform(const tcpsec_ike_transform *t, int last,
                            tcpsec_buf *out) {
  size_t start = out->len, i;
  int rc;

  rc = tcpsec_buf_append_u8(out, last ? TCPSEC_IKE_TRANSFORM_LAST : TCPSEC_IKE_TRANSFORM_MORE);
  if (rc == 0)
    rc = tcpsec_buf_append_u8(out, 0);
  if (rc == 0)
    rc = tcpsec_buf_append_be16(out, 0); /* length, fixed below */
  if (rc == 0)
    rc = tcpsec_buf_append_u8(out, t->type);
  if (rc == 0)
    rc = tcpsec_buf_append_u8(out, 0);
  if (rc == 0)
    rc = tcpsec_buf_append_be16(out, t->id);
  if (rc != 0)
    return rc;

  if (t->attrs != NULL) {
    for (i = 0; i < t->attr_count && rc == 0; i++)
      rc = encode_attribute(&t->attrs[i], out);
  } else if (t->key_bits != 0) {
    tcpsec_ike_attribute a = {TCPSEC_IKE_ATTR_KEY_LENGTH, 1, t->key_bits, NULL, 0};
    rc = encode_attribute(&a, out);
  }
  if (rc != 0)
    return rc;
  if (out->len - start > UINT16_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_store_be16(out->data + start + 2, (uint16_t)(out->len - start));
  return 0;
}

static int encode_proposal(const tcpsec_ike_proposal *prop, int last,
                           tcpsec_buf *out) {
  uint8_t head[8];
  size_t start = out->len, i;
  int rc;

  if (prop->spi_size > sizeof(prop->spi) ||
      (prop->transform_count > 0 && prop->transforms == NULL))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  head[0] = last ? TCPSEC_IKE_PROPOSAL_LAST : TCPSEC_IKE_PROPOSAL_MORE;
  head[1] = 0;
  head[2] = 0; /* length, fixed below */
  head[3] = 0;
  head[4] = prop->number;
  head[5] = prop->protocol;
  head[6] = prop->spi_size;
  head[7] = prop->transform_count;
  rc = tcpsec_buf_append(out, head, sizeof(head));
  if (rc == 0)
    rc = put(out, prop->spi, prop->spi_size);
  for (i = 0; i < prop->transform_count && rc == 0; i++)
    rc = encode_transform(&prop->transforms[i], i + 1 == prop->transform_count, out);
  if (rc != 0)
    return rc;
  if (out->len - start > UINT16_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_store_be16(out->data + start + 2, (uint16_t)(out->len - start));
  return 0;
}

static int encode_sa(const tcpsec_ike_sa_payload *sa, tcpsec_buf *out) {
  size_t i;
  int rc = 0;

  if (sa->count == 0 || sa->proposals == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = 0; i < sa->count && rc == 0; i++)
    rc = encode_proposal(&sa->proposals[i], i + 1 == sa->count, out);
  return rc;
}

/* ---- Notify, Delete, TS -------------------------------------------------- */

static int encode_notify(const tcpsec_ike_notify *n, tcpsec_buf *out) {
  uint8_t head[4];
  int rc;

  head[0] = n->protocol;
  head[1] = n->spi_size;
  tcpsec_store_be16(head + 2, n->type);
  rc = tcpsec_buf_append(out, head, sizeof(head));
  if (rc == 0)
    rc = put(out, n->spi, n->spi_size);
  return rc != 0 ? rc : put(out, n->data, n->len);
}

static int encode_delete(const tcpsec_ike_delete *d, tcpsec_buf *out) {
  uint8_t head[4];
  int rc;

  head[0] = d->protocol;
  head[1] = d->spi_size;
  tcpsec_store_be16(head + 2, d->num_spis);
  rc = tcpsec_buf_append(out, head, sizeof(head));
  return rc != 0 ? rc : put(out, d->spis, (size_t)d->spi_size * d->num_spis);
}

static int encode_selector(const tcpsec_ike_selector *s, tcpsec_buf *out) {
  size_t len;
  int rc;

  if (s->addr_len == 4 || s->addr_len == 16)
    len = TCPSEC_IKE_TS_HEADER_LEN + 4 + 2u * s->addr_len;
  else if (s->addr_len == 0)
    len = TCPSEC_IKE_TS_HEADER_LEN + s->raw_len;
  else
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (len > UINT16_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  rc = tcpsec_buf_append_u8(out, s->type);
  if (rc == 0)
    rc = tcpsec_buf_append_u8(out, s->ip_protocol);
  if (rc == 0)
    rc = tcpsec_buf_append_be16(out, (uint16_t)len);
  if (rc != 0)
    return rc;
  if (s->addr_len == 0)
    return put(out, s->raw, s->raw_len);

  rc = tcpsec_buf_append_be16(out, s->start_port);
  if (rc == 0)
    rc = tcpsec_buf_append_be16(out, s->end_port);
  if (rc == 0)
    rc = tcpsec_buf_append(out, s->start_addr, s->addr_len);
  return rc != 0 ? rc : tcpsec_buf_append(out, s->end_addr, s->addr_len);
}

static int encode_ts(const tcpsec_ike_ts *ts, tcpsec_buf *out) {
  size_t i;
  int rc;

  if (ts->count == 0 || ts->selectors == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rc = put_u8_reserved3(out, ts->count);
  for (i = 0; i < ts->count && rc == 0; i++)
    rc = encode_selector(&ts->selectors[i], out);
  return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

static int encode_body(const tcpsec_ike_payload *p, tcpsec_buf *out) {
  int rc;

  if (p->unknown)
    return put(out, p->u.opaque.data, p->u.opaque.len);

  switch (p->type) {
  case TCPSEC_IKE_PT_SA:
    return encode_sa(&p->u.sa, out);
  case TCPSEC_IKE_PT_KE:
    rc = tcpsec_buf_append_be16(out, p->u.ke.group);
    if (rc == 0)
      rc = tcpsec_buf_append_be16(out, 0);
    return rc != 0 ? rc : put(out, p->u.ke.data, p->u.ke.len);
  case TCPSEC_IKE_PT_IDI:
  case TCPSEC_IKE_PT_IDR:
    rc = put_u8_reserved3(out, p->u.id.type);
    return rc != 0 ? rc : put(out, p->u.id.data, p->u.id.len);
  case TCPSEC_IKE_PT_CERT:
  case TCPSEC_IKE_PT_CERTREQ:
    rc = tcpsec_buf_append_u8(out, p->u.cert.encoding);
    return rc != 0 ? rc : put(out, p->u.cert.data, p->u.cert.len);
  case TCPSEC_IKE_PT_AUTH:
    rc = put_u8_reserved3(out, p->u.auth.method);
    return rc != 0 ? rc : put(out, p->u.auth.data, p->u.auth.len);
  case TCPSEC_IKE_PT_NOTIFY:
    return encode_notify(&p->u.notify, out);
  case TCPSEC_IKE_PT_DELETE:
    return encode_delete(&p->u.del, out);
  case TCPSEC_IKE_PT_TSI:
  case TCPSEC_IKE_PT_TSR:
    return encode_ts(&p->u.ts, out);
  case TCPSEC_IKE_PT_SKF:
    rc = tcpsec_buf_append_be16(out, p->u.sk.fragment_number);
    if (rc == 0)
      rc = tcpsec_buf_append_be16(out, p->u.sk.total_fragments);
    return rc != 0 ? rc : put(out, p->u.sk.data, p->u.sk.len);
  case TCPSEC_IKE_PT_SK:
    return put(out, p->u.sk.data, p->u.sk.len);
  case TCPSEC_IKE_PT_CP:
    rc = put_u8_reserved3(out, p->u.cp.cfg_type);
    return rc != 0 ? rc : put(out, p->u.cp.attrs, p->u.cp.attrs_len);
  default:
    /* Nonce, Vendor ID, EAP. */
    return put(out, p->u.opaque.data, p->u.opaque.len);
  }
}

int tcpsec_ike_payload_encode(const tcpsec_ike_payload *p,
                              uint8_t next_payload, tcpsec_buf *out) {
  uint8_t head[4] = {0, 0, 0, 0};
  size_t start;
  int rc;

  if (p == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  start = out->len;
  head[0] = next_payload;
  head[1] = p->critical ? TCPSEC_IKE_PAYLOAD_CRITICAL : 0;
  rc = tcpsec_buf_append(out, head, sizeof(head));
  if (rc == 0)
    rc = encode_body(p, out);
  if (rc == 0 && out->len - start > UINT16_MAX)
    rc = TCPSEC_ERR_INVALID_ARGUMENT;
  if (rc != 0) {
    out->len = start;
    return rc;
  }
  tcpsec_store_be16(out->data + start + 2, (uint16_t)(out->len - start));
  return 0;
}

/* ---- whole messages ------------------------------------------------------ */

/* Encode payloads [from, to) of msg, each pointing to the one after it. The
 * last points to nothing, and SK or SKF point to their first inner type. */
static int encode_range(const tcpsec_ike_msg *msg, size_t from, size_t to,
                        tcpsec_buf *out) {
  size_t i;
  int rc;

  for (i = from; i < to; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];
    uint8_t next = i + 1 < to ? msg->payloads[i + 1].type : TCPSEC_IKE_PT_NONE;

    if (p->type == TCPSEC_IKE_PT_SK || p->type == TCPSEC_IKE_PT_SKF)
      next = p->u.sk.inner_type;
    rc = tcpsec_ike_payload_encode(p, next, out);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int tcpsec_ike_msg_serialize(const tcpsec_ike_msg *msg, tcpsec_buf *out) {
  size_t start, clear_end;
  uint8_t *hdr;
  int rc;

  if (msg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  start = out->len;
  clear_end = msg->inner_index >= 0 ? (size_t)msg->inner_index : msg->count;

  rc = tcpsec_buf_append_zero(out, TCPSEC_IKE_HEADER_LEN, &hdr);
  if (rc == 0)
    rc = encode_range(msg, 0, clear_end, out);
  if (rc == 0 && out->len - start > UINT32_MAX)
    rc = TCPSEC_ERR_INVALID_ARGUMENT;
  if (rc != 0) {
    out->len = start;
    return rc;
  }

  hdr = out->data + start;
  memcpy(hdr, msg->header.spi_i, TCPSEC_IKE_SPI_LEN);
  memcpy(hdr + 8, msg->header.spi_r, TCPSEC_IKE_SPI_LEN);
  hdr[16] = clear_end > 0 ? msg->payloads[0].type : TCPSEC_IKE_PT_NONE;
  hdr[17] = msg->header.version;
  hdr[18] = msg->header.exchange;
  hdr[19] = msg->header.flags;
  tcpsec_store_be32(hdr + 20, msg->header.message_id);
  tcpsec_store_be32(hdr + 24, (uint32_t)(out->len - start));
  return 0;
}

int tcpsec_ike_msg_serialize_inner(const tcpsec_ike_msg *msg,
                                   tcpsec_buf *out) {
  size_t start;
  int rc;

  if (msg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (msg->inner_index < 0)
    return TCPSEC_ERR_INVALID_STATE;
  start = out->len;
  rc = encode_range(msg, (size_t)msg->inner_index, msg->count, out);
  if (rc != 0)
    out->len = start;
  return rc;
}
