/*
 * Decoders for the bodies of IKEv2 payloads (RFC 7296 sections 3.3 to
 * 3.16, RFC 7383 section 2.5). Each decoder checks every declared length
 * against the bytes its payload contains before it reads the field, and fills
 * the payload's union with pointers into the message.
 *
 * Error codes: a declared length that runs past its enclosing structure is
 * TCPSEC_ERR_TRUNCATED; a structure too short for its fixed fields, a field
 * of the wrong fixed size, a count that disagrees with the contents, or
 * bytes left over is TCPSEC_ERR_MALFORMED; a count above a
 * TCPSEC_IKE_MAX_* limit is TCPSEC_ERR_LIMIT.
 */
#include "ike/message.h"

#include <string.h>

#include "core/cursor.h"
#include "core/util.h"
#include "tcpsec/algorithms.h"

int tcpsec_ike_fail(tcpsec_ike_parse_error *err, int code, uint8_t payload_type,
                    size_t offset, const char *reason) {
  if (err != NULL) {
    err->code = code;
    err->payload_type = payload_type;
    err->offset = offset;
    err->reason = reason;
  }
  return code;
}

int tcpsec_ike_payload_known(uint8_t type) {
  return (type >= TCPSEC_IKE_PT_SA && type <= TCPSEC_IKE_PT_EAP) ||
         type == TCPSEC_IKE_PT_SKF;
}

/* Offset of cursor position q in the message or plaintext. */
static size_t body_offset(const tcpsec_ike_payload *p, const uint8_t *q) {
  return p->offset + TCPSEC_IKE_PAYLOAD_HEADER_LEN + (size_t)(q - p->body);
}

#define FAIL(code, at, reason) \
  tcpsec_ike_fail(err, (code), p->type, body_offset(p, (at)), (reason))

/* ---- SA payload (RFC 7296 section 3.3) ---------------------------------- */

/*
 * Transform attribute (section 3.3.5):
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int decode_attributes(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                             tcpsec_cursor *c, tcpsec_ike_transform *t,
                             tcpsec_ike_parse_error *err) {
  t->attrs = NULL;
  t->attr_count = 0;
  t->key_bits = 0;

  while (tcpsec_cursor_left(c) > 0) {
    const uint8_t *at = c->p;
    tcpsec_ike_attribute *a;
    uint16_t type, word;

    if (tcpsec_cursor_left(c) < 4)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "transform attribute shorter than 4 bytes");
    if (t->attr_count >= TCPSEC_IKE_MAX_ATTRIBUTES_PER_TRANSFORM ||
        msg->attribute_count >= TCPSEC_IKE_MAX_ATTRIBUTES)
      return FAIL(TCPSEC_ERR_LIMIT, at, "too many transform attributes");

    type = tcpsec_cursor_be16(c);
    word = tcpsec_cursor_be16(c);
    a = &msg->attributes[msg->attribute_count];
    memset(a, 0, sizeof(*a));
    a->type = (uint16_t)(type & ~TCPSEC_IKE_ATTR_FORMAT_TV);
    a->tv = (type & TCPSEC_IKE_ATTR_FORMAT_TV) != 0;
    if (a->tv) {
      a->value = word;
    } else {
      if (word > tcpsec_cursor_left(c))
        return FAIL(TCPSEC_ERR_TRUNCATED, at, "attribute length exceeds the transform");
      a->len = word;
      a->data = tcpsec_cursor_bytes(c, word);
    }

    /* Key Length is always TV (section 3.3.5). */
    if (a->type == TCPSEC_IKE_ATTR_KEY_LENGTH) {
      if (!a->tv)
        return FAIL(TCPSEC_ERR_MALFORMED, at, "Key Length attribute not in TV format");
      t->key_bits = a->value;
    }

    if (t->attrs == NULL)
      t->attrs = a;
    t->attr_count++;
    msg->attribute_count++;
  }
  return 0;
}

/*
 * Transform substructure (section 3.3.2):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int decode_transforms(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                             tcpsec_cursor *c, tcpsec_ike_proposal *prop,
                             uint8_t declared, tcpsec_ike_parse_error *err) {
  uint8_t last = TCPSEC_IKE_TRANSFORM_MORE;
  int rc;

  prop->transforms = NULL;
  prop->transform_count = 0;

  while (last == TCPSEC_IKE_TRANSFORM_MORE) {
    const uint8_t *at = c->p;
    tcpsec_ike_transform *t;
    tcpsec_cursor attrs;
    uint16_t tlen;

    if (tcpsec_cursor_left(c) == 0)
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "transform marked as not last ends the proposal");
    if (tcpsec_cursor_left(c) < TCPSEC_IKE_TRANSFORM_HEADER_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "transform shorter than its 8-byte header");
    if (prop->transform_count >= TCPSEC_IKE_MAX_TRANSFORMS_PER_PROPOSAL ||
        msg->transform_count >= TCPSEC_IKE_MAX_TRANSFORMS)
      return FAIL(TCPSEC_ERR_LIMIT, at, "too many transforms");

    last = tcpsec_cursor_u8(c);
    (void)tcpsec_cursor_u8(c);
    tlen = tcpsec_cursor_be16(c);
    if (last != TCPSEC_IKE_TRANSFORM_LAST && last != TCPSEC_IKE_TRANSFORM_MORE)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "transform Last Substruc is neither 0 nor 3");
    if (tlen < TCPSEC_IKE_TRANSFORM_HEADER_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "transform length below 8");
    if (tlen - 4u > tcpsec_cursor_left(c))
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "transform length exceeds the proposal");

    t = &msg->transforms[msg->transform_count];
    memset(t, 0, sizeof(*t));
    t->type = tcpsec_cursor_u8(c);
    (void)tcpsec_cursor_u8(c);
    t->id = tcpsec_cursor_be16(c);
    if (!tcpsec_cursor_sub(c, (size_t)tlen - TCPSEC_IKE_TRANSFORM_HEADER_LEN, &attrs))
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "transform length exceeds the proposal");
    rc = decode_attributes(msg, p, &attrs, t, err);
    if (rc != 0)
      return rc;

    if (prop->transforms == NULL)
      prop->transforms = t;
    prop->transform_count++;
    msg->transform_count++;
  }

  if (tcpsec_cursor_left(c) != 0)
    return FAIL(TCPSEC_ERR_MALFORMED, c->p, "bytes after the last transform of a proposal");
  if (prop->transform_count != declared)
    return FAIL(TCPSEC_ERR_MALFORMED, c->p, "proposal's transform count disagrees with its transforms");
  return 0;
}

/*
 * Proposal substructure (section 3.3.1):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int decode_sa(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                     tcpsec_ike_parse_error *err) {
  tcpsec_ike_sa_payload *sa = &p->u.sa;
  uint8_t last = TCPSEC_IKE_PROPOSAL_MORE;
  tcpsec_cursor c;
  int rc;

  tcpsec_cursor_init(&c, p->body, p->body_len);
  sa->proposals = NULL;
  sa->count = 0;
  if (p->body_len == 0)
    return FAIL(TCPSEC_ERR_MALFORMED, c.p, "SA payload without proposals");

  while (last == TCPSEC_IKE_PROPOSAL_MORE) {
    const uint8_t *at = c.p;
    tcpsec_ike_proposal *prop;
    tcpsec_cursor body;
    uint16_t plen;
    uint8_t declared;

    if (tcpsec_cursor_left(&c) == 0)
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "proposal marked as not last ends the SA payload");
    if (tcpsec_cursor_left(&c) < TCPSEC_IKE_PROPOSAL_HEADER_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "proposal shorter than its 8-byte header");
    if (msg->proposal_count >= TCPSEC_IKE_MAX_PROPOSALS)
      return FAIL(TCPSEC_ERR_LIMIT, at, "too many proposals");

    last = tcpsec_cursor_u8(&c);
    (void)tcpsec_cursor_u8(&c);
    plen = tcpsec_cursor_be16(&c);
    if (last != TCPSEC_IKE_PROPOSAL_LAST && last != TCPSEC_IKE_PROPOSAL_MORE)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "proposal Last Substruc is neither 0 nor 2");
    if (plen < TCPSEC_IKE_PROPOSAL_HEADER_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "proposal length below 8");
    if (plen - 4u > tcpsec_cursor_left(&c))
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "proposal length exceeds the SA payload");

    prop = &msg->proposals[msg->proposal_count];
    memset(prop, 0, sizeof(*prop));
    prop->number = tcpsec_cursor_u8(&c);
    prop->protocol = tcpsec_cursor_u8(&c);
    prop->spi_size = tcpsec_cursor_u8(&c);
    declared = tcpsec_cursor_u8(&c);
    if (prop->spi_size != 0 && prop->spi_size != 4 && prop->spi_size != 8)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "proposal SPI size is not 0, 4 or 8");
    if ((size_t)plen - TCPSEC_IKE_PROPOSAL_HEADER_LEN < prop->spi_size)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "proposal length leaves no room for its SPI");
    tcpsec_cursor_copy(&c, prop->spi, prop->spi_size);
    if (!tcpsec_cursor_sub(&c, (size_t)plen - TCPSEC_IKE_PROPOSAL_HEADER_LEN - prop->spi_size,
                           &body))
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "proposal length exceeds the SA payload");
    msg->proposal_count++;

    rc = decode_transforms(msg, p, &body, prop, declared, err);
    if (rc != 0)
      return rc;
    if (sa->proposals == NULL)
      sa->proposals = prop;
    sa->count++;
  }

  if (tcpsec_cursor_left(&c) != 0)
    return FAIL(TCPSEC_ERR_MALFORMED, c.p, "bytes after the last proposal");
  return 0;
}

/* ---- KE, ID, CERT, CERTREQ, AUTH, Nonce (sections 3.4 to 3.9) ------------ */

/*
 * KE payload body:  | DH Group Num (2) | RESERVED (2) | Key Exchange Data |
 */
static int decode_ke(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  if (p->body_len <= 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "KE payload without key exchange data");
  p->u.ke.group = tcpsec_load_be16(p->body);
  p->u.ke.data = p->body + 4;
  p->u.ke.len = p->body_len - 4;
  return 0;
}

/*
 * IDi/IDr body:  | ID Type (1) | RESERVED (3) | Identification Data |
 */
static int decode_id(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_id *id = &p->u.id;

  if (p->body_len < 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "ID payload shorter than 4 bytes");
  id->type = p->body[0];
  id->data = p->body + 4;
  id->len = p->body_len - 4;

  if (id->type == TCPSEC_IKE_ID_IPV4_ADDR && id->len != 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "ID_IPV4_ADDR is not 4 bytes");
  if (id->type == TCPSEC_IKE_ID_IPV6_ADDR && id->len != 16)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "ID_IPV6_ADDR is not 16 bytes");
  if (id->len == 0 && id->type != TCPSEC_IKE_ID_NULL)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "ID payload without identification data");
  return 0;
}

/*
 * CERT/CERTREQ body:  | Cert Encoding (1) | Certificate Data / CA hashes |
 */
static int decode_cert(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  if (p->body_len < 1)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "CERT or CERTREQ payload without encoding");
  if (p->type == TCPSEC_IKE_PT_CERT && p->body_len == 1)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "CERT payload without certificate data");
  p->u.cert.encoding = p->body[0];
  p->u.cert.data = p->body + 1;
  p->u.cert.len = p->body_len - 1;
  return 0;
}

/*
 * AUTH body:  | Auth Method (1) | RESERVED (3) | Authentication Data |
 */
static int decode_auth(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  if (p->body_len <= 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "AUTH payload without authentication data");
  p->u.auth.method = p->body[0];
  p->u.auth.data = p->body + 4;
  p->u.auth.len = p->body_len - 4;
  return 0;
}

/* Nonce: 16 to 256 bytes (section 3.9). */
static int decode_nonce(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  if (p->body_len < TCPSEC_IKE_NONCE_MIN_LEN || p->body_len > TCPSEC_IKE_NONCE_MAX_LEN)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "nonce is not 16 to 256 bytes");
  p->u.opaque.data = p->body;
  p->u.opaque.len = p->body_len;
  return 0;
}

/* ---- Notify (section 3.10) ---------------------------------------------- */

/* Check and decode the data of the notify types whose data the RFCs fix. */
static int decode_notify_data(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_notify *n = &p->u.notify;
  const uint8_t *at = n->data;

  switch (n->type) {
  case TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP:
  case TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP:
    if (n->len != TCPSEC_IKE_NAT_DETECTION_HASH_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "NAT detection hash is not 20 bytes");
    n->decoded.nat_hash = n->data;
    break;
  case TCPSEC_IKE_N_COOKIE:
    if (n->len < 1 || n->len > TCPSEC_IKE_COOKIE_MAX_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "COOKIE is not 1 to 64 bytes");
    break;
  case TCPSEC_IKE_N_INVALID_KE_PAYLOAD:
    if (n->len != TCPSEC_IKE_INVALID_KE_DATA_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "INVALID_KE_PAYLOAD data is not 2 bytes");
    n->decoded.ke_group = tcpsec_load_be16(n->data);
    break;
  case TCPSEC_IKE_N_SET_WINDOW_SIZE:
    if (n->len != TCPSEC_IKE_SET_WINDOW_SIZE_DATA_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "SET_WINDOW_SIZE data is not 4 bytes");
    n->decoded.window_size = tcpsec_load_be32(n->data);
    break;
  case TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS:
    if (n->len % 2 != 0)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "SIGNATURE_HASH_ALGORITHMS data has odd length");
    n->decoded.hash_alg_count = n->len / 2;
    break;
  case TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
    if (n->len != 1)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "UNSUPPORTED_CRITICAL_PAYLOAD data is not 1 byte");
    n->decoded.payload_type = n->data[0];
    break;
  case TCPSEC_IKE_N_REKEY_SA:
  case TCPSEC_IKE_N_CHILD_SA_NOT_FOUND:
    /* The SPI field names the Child SA (sections 1.3.3 and 3.10.1). */
    if (n->spi_size != 4)
      return FAIL(TCPSEC_ERR_MALFORMED, p->body, "Child SA notify without a 4-byte SPI");
    break;
  default:
    break;
  }
  return 0;
}

/*
 * Notify body:
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int decode_notify(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_notify *n = &p->u.notify;

  memset(n, 0, sizeof(*n));
  if (p->body_len < 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "Notify payload shorter than 4 bytes");
  n->protocol = p->body[0];
  n->spi_size = p->body[1];
  n->type = tcpsec_load_be16(p->body + 2);
  if (n->spi_size > p->body_len - 4)
    return FAIL(TCPSEC_ERR_TRUNCATED, p->body, "notify SPI size exceeds the payload");
  n->spi = n->spi_size > 0 ? p->body + 4 : NULL;
  if (n->spi_size == 4)
    n->spi32 = tcpsec_load_be32(n->spi);
  n->data = p->body + 4 + n->spi_size;
  n->len = p->body_len - 4 - n->spi_size;
  return decode_notify_data(p, err);
}

/* ---- Delete (section 3.11) ---------------------------------------------- */

/*
 * | Protocol ID (1) | SPI Size (1) | Num of SPIs (2) | SPIs ... |
 */
static int decode_delete(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_delete *d = &p->u.del;

  if (p->body_len < 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "Delete payload shorter than 4 bytes");
  d->protocol = p->body[0];
  d->spi_size = p->body[1];
  d->num_spis = tcpsec_load_be16(p->body + 2);
  d->spis = p->body + 4;

  if (d->protocol == TCPSEC_IKE_PROTO_IKE && (d->spi_size != 0 || d->num_spis != 0))
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "IKE SA delete carries SPIs");
  if ((d->protocol == TCPSEC_IKE_PROTO_ESP || d->protocol == TCPSEC_IKE_PROTO_AH) &&
      d->spi_size != 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "ESP or AH delete SPI size is not 4");
  if ((size_t)d->spi_size * d->num_spis != p->body_len - 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "Delete SPI count disagrees with the payload length");
  return 0;
}

/* ---- Traffic selectors (section 3.13) ----------------------------------- */

/*
 * Selector (section 3.13.1):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The starred fields exist only for the address range types, whose length
 * is fixed: 16 bytes for IPv4, 40 for IPv6.
 */
static int decode_selector(tcpsec_ike_payload *p, tcpsec_cursor *c,
                           tcpsec_ike_selector *s, tcpsec_ike_parse_error *err) {
  const uint8_t *at = c->p;
  size_t addr_len = 0;

  memset(s, 0, sizeof(*s));
  if (tcpsec_cursor_left(c) < TCPSEC_IKE_TS_HEADER_LEN)
    return FAIL(TCPSEC_ERR_MALFORMED, at, "traffic selector shorter than 4 bytes");
  s->type = tcpsec_cursor_u8(c);
  s->ip_protocol = tcpsec_cursor_u8(c);
  s->length = tcpsec_cursor_be16(c);
  if (s->length < TCPSEC_IKE_TS_HEADER_LEN)
    return FAIL(TCPSEC_ERR_MALFORMED, at, "selector length below 4");
  if (s->length - 4u > tcpsec_cursor_left(c))
    return FAIL(TCPSEC_ERR_TRUNCATED, at, "selector length exceeds the TS payload");

  if (s->type == TCPSEC_IKE_TS_IPV4_ADDR_RANGE) {
    if (s->length != TCPSEC_IKE_TS_IPV4_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "IPv4 selector length is not 16");
    addr_len = 4;
  } else if (s->type == TCPSEC_IKE_TS_IPV6_ADDR_RANGE) {
    if (s->length != TCPSEC_IKE_TS_IPV6_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "IPv6 selector length is not 40");
    addr_len = 16;
  }

  if (addr_len == 0) {
    s->raw_len = (size_t)s->length - TCPSEC_IKE_TS_HEADER_LEN;
    s->raw = tcpsec_cursor_bytes(c, s->raw_len);
    return 0;
  }
  s->addr_len = (uint8_t)addr_len;
  s->start_port = tcpsec_cursor_be16(c);
  s->end_port = tcpsec_cursor_be16(c);
  tcpsec_cursor_copy(c, s->start_addr, addr_len);
  tcpsec_cursor_copy(c, s->end_addr, addr_len);
  return 0;
}

/*
 * TSi/TSr body:  | Number of TSs (1) | RESERVED (3) | Traffic Selectors |
 */
static int decode_ts(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                     tcpsec_ike_parse_error *err) {
  tcpsec_ike_ts *ts = &p->u.ts;
  tcpsec_cursor c;
  uint8_t declared, i;
  int rc;

  ts->selectors = NULL;
  ts->count = 0;
  if (p->body_len < 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "TS payload shorter than 4 bytes");
  declared = p->body[0];
  if (declared == 0)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "TS payload without selectors");
  if (declared > TCPSEC_IKE_MAX_SELECTORS ||
      msg->selector_count + declared > TCPSEC_IKE_MAX_SELECTORS_TOTAL)
    return FAIL(TCPSEC_ERR_LIMIT, p->body, "too many traffic selectors");

  tcpsec_cursor_init(&c, p->body + 4, p->body_len - 4);
  ts->selectors = &msg->selectors[msg->selector_count];
  for (i = 0; i < declared; i++) {
    if (tcpsec_cursor_left(&c) == 0)
      return FAIL(TCPSEC_ERR_TRUNCATED, c.p, "fewer selectors than the TS count");
    rc = decode_selector(p, &c, &msg->selectors[msg->selector_count], err);
    if (rc != 0)
      return rc;
    msg->selector_count++;
    ts->count++;
  }
  if (tcpsec_cursor_left(&c) != 0)
    return FAIL(TCPSEC_ERR_MALFORMED, c.p, "bytes after the last traffic selector");
  return 0;
}

/* ---- SK, SKF (section 3.14, RFC 7383 section 2.5) ----------------------- */

static int decode_sk(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_sk *sk = &p->u.sk;

  sk->fragment_number = 0;
  sk->total_fragments = 0;
  sk->data = p->body;
  sk->len = p->body_len;
  if (p->type == TCPSEC_IKE_PT_SKF) {
    if (p->body_len < TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN)
      return FAIL(TCPSEC_ERR_MALFORMED, p->body, "SKF payload shorter than its fragment fields");
    sk->fragment_number = tcpsec_load_be16(p->body);
    sk->total_fragments = tcpsec_load_be16(p->body + 2);
    sk->data = p->body + TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN;
    sk->len = p->body_len - TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN;
    /* RFC 7383 section 2.6: both non-zero, number <= total. */
    if (sk->total_fragments == 0)
      return FAIL(TCPSEC_ERR_FRAGMENT, p->body, "SKF Total Fragments is 0");
    if (sk->fragment_number == 0 || sk->fragment_number > sk->total_fragments)
      return FAIL(TCPSEC_ERR_FRAGMENT, p->body, "SKF Fragment Number is 0 or above Total Fragments");
  }
  if (sk->len == 0)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "encrypted payload without IV and ciphertext");
  return 0;
}

/* ---- CP (section 3.15) -------------------------------------------------- */

/*
 * CP body:  | CFG Type (1) | RESERVED (3) | Configuration Attributes |
 * Attribute: |R| Attribute Type (15) | Length (2) | Value (Length bytes) |
 */
static int decode_cp(tcpsec_ike_payload *p, tcpsec_ike_parse_error *err) {
  tcpsec_ike_cp *cp = &p->u.cp;
  tcpsec_cursor c;

  if (p->body_len < 4)
    return FAIL(TCPSEC_ERR_MALFORMED, p->body, "CP payload shorter than 4 bytes");
  cp->cfg_type = p->body[0];
  cp->attrs = p->body + 4;
  cp->attrs_len = p->body_len - 4;
  cp->attr_count = 0;

  tcpsec_cursor_init(&c, cp->attrs, cp->attrs_len);
  while (tcpsec_cursor_left(&c) > 0) {
    const uint8_t *at = c.p;
    uint16_t len;

    if (tcpsec_cursor_left(&c) < 4)
      return FAIL(TCPSEC_ERR_MALFORMED, at, "configuration attribute shorter than 4 bytes");
    (void)tcpsec_cursor_be16(&c);
    len = tcpsec_cursor_be16(&c);
    if (!tcpsec_cursor_skip(&c, len))
      return FAIL(TCPSEC_ERR_TRUNCATED, at, "configuration attribute length exceeds the CP payload");
    if (cp->attr_count == UINT16_MAX)
      return FAIL(TCPSEC_ERR_LIMIT, at, "too many configuration attributes");
    cp->attr_count++;
  }
  return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

int tcpsec_ike_payload_decode(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                              tcpsec_ike_parse_error *err) {
  memset(&p->u, 0, sizeof(p->u));

  switch (p->type) {
  case TCPSEC_IKE_PT_SA:
    return decode_sa(msg, p, err);
  case TCPSEC_IKE_PT_KE:
    return decode_ke(p, err);
  case TCPSEC_IKE_PT_IDI:
  case TCPSEC_IKE_PT_IDR:
    return decode_id(p, err);
  case TCPSEC_IKE_PT_CERT:
  case TCPSEC_IKE_PT_CERTREQ:
    return decode_cert(p, err);
  case TCPSEC_IKE_PT_AUTH:
    return decode_auth(p, err);
  case TCPSEC_IKE_PT_NONCE:
    return decode_nonce(p, err);
  case TCPSEC_IKE_PT_NOTIFY:
    return decode_notify(p, err);
  case TCPSEC_IKE_PT_DELETE:
    return decode_delete(p, err);
  case TCPSEC_IKE_PT_TSI:
  case TCPSEC_IKE_PT_TSR:
    return decode_ts(msg, p, err);
  case TCPSEC_IKE_PT_SK:
  case TCPSEC_IKE_PT_SKF:
    return decode_sk(p, err);
  case TCPSEC_IKE_PT_CP:
    return decode_cp(p, err);
  case TCPSEC_IKE_PT_EAP:
    /* Code, Identifier and Length at least (RFC 3748 section 4). */
    if (p->body_len < 4)
      return FAIL(TCPSEC_ERR_MALFORMED, p->body, "EAP payload shorter than 4 bytes");
    p->u.opaque.data = p->body;
    p->u.opaque.len = p->body_len;
    return 0;
  default:
    /* Vendor ID and payloads this codec does not decode. */
    p->u.opaque.data = p->body;
    p->u.opaque.len = p->body_len;
    return 0;
  }
}
