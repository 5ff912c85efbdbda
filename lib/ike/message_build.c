/*
 * Building IKEv2 messages: header, payload chains in clear and inside SK,
 * and RFC 7383 fragments. The builder keeps the two chains in separate
 * buffers and lays out the whole message only at finish, when every length
 * and next-payload field is known.
 */
#include "ike/message.h"

#include <string.h>

#include "core/ctx.h"
#include "core/util.h"

#define BUILDER_DEFAULT_MAX 65535

void tcpsec_ike_builder_init(tcpsec_ike_builder *b, tcpsec_ctx *ctx,
                             const tcpsec_ike_header *hdr, size_t max_len) {
  memset(b, 0, sizeof(*b));
  b->ctx = ctx;
  if (hdr != NULL)
    b->header = *hdr;
  b->header.version = TCPSEC_IKE_VERSION;
  if (max_len == 0)
    max_len = BUILDER_DEFAULT_MAX;
  tcpsec_buf_init(&b->clear, ctx, max_len);
  tcpsec_buf_init(&b->inner, ctx, max_len);
  if (ctx == NULL || hdr == NULL)
    b->error = TCPSEC_ERR_INVALID_ARGUMENT;
}

void tcpsec_ike_builder_free(tcpsec_ike_builder *b) {
  if (b == NULL)
    return;
  tcpsec_buf_free(&b->clear);
  tcpsec_buf_free(&b->inner); /* wipes: inner payloads may carry secrets */
}

void tcpsec_ike_builder_begin_sk(tcpsec_ike_builder *b) {
  b->in_sk = 1;
}

int tcpsec_ike_builder_add(tcpsec_ike_builder *b, const tcpsec_ike_payload *p) {
  tcpsec_buf *buf;
  uint8_t *first;
  size_t *last, start;
  int rc;

  if (b->error != 0)
    return b->error;
  if (p == NULL || p->type == TCPSEC_IKE_PT_SK || p->type == TCPSEC_IKE_PT_SKF) {
    b->error = TCPSEC_ERR_INVALID_ARGUMENT;
    return b->error;
  }
  buf = b->in_sk ? &b->inner : &b->clear;
  first = b->in_sk ? &b->inner_first : &b->clear_first;
  last = b->in_sk ? &b->inner_last : &b->clear_last;

  /* Encode with next payload 0, then point the previous payload at it. */
  start = buf->len;
  rc = tcpsec_ike_payload_encode(p, TCPSEC_IKE_PT_NONE, buf);
  if (rc != 0) {
    b->error = rc;
    return rc;
  }
  if (start == 0)
    *first = p->type;
  else
    buf->data[*last] = p->type;
  *last = start;
  return 0;
}

int tcpsec_ike_builder_add_sa(tcpsec_ike_builder *b,
                              const tcpsec_ike_proposal *proposals,
                              size_t count) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_SA;
  p.u.sa.proposals = proposals;
  p.u.sa.count = (uint8_t)count;
  if (count > UINT8_MAX && b->error == 0)
    b->error = TCPSEC_ERR_INVALID_ARGUMENT;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_ke(tcpsec_ike_builder *b, uint16_t group,
                              const uint8_t *data, size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_KE;
  p.u.ke.group = group;
  p.u.ke.data = data;
  p.u.ke.len = len;
  return tcpsec_ike_builder_add(b, &p);
}

static int add_opaque(tcpsec_ike_builder *b, uint8_t type,
                      const uint8_t *data, size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = type;
  p.u.opaque.data = data;
  p.u.opaque.len = len;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_nonce(tcpsec_ike_builder *b, const uint8_t *nonce,
                                 size_t len) {
  return add_opaque(b, TCPSEC_IKE_PT_NONCE, nonce, len);
}

int tcpsec_ike_builder_add_vendor(tcpsec_ike_builder *b, const uint8_t *data,
                                  size_t len) {
  return add_opaque(b, TCPSEC_IKE_PT_VENDOR, data, len);
}

int tcpsec_ike_builder_add_eap(tcpsec_ike_builder *b, const uint8_t *data,
                               size_t len) {
  return add_opaque(b, TCPSEC_IKE_PT_EAP, data, len);
}

int tcpsec_ike_builder_add_id(tcpsec_ike_builder *b, uint8_t payload_type,
                              uint8_t id_type, const uint8_t *data,
                              size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = payload_type;
  p.u.id.type = id_type;
  p.u.id.data = data;
  p.u.id.len = len;
  if (payload_type != TCPSEC_IKE_PT_IDI && payload_type != TCPSEC_IKE_PT_IDR &&
      b->error == 0)
    b->error = TCPSEC_ERR_INVALID_ARGUMENT;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_auth(tcpsec_ike_builder *b, uint8_t method,
                                const uint8_t *data, size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_AUTH;
  p.u.auth.method = method;
  p.u.auth.data = data;
  p.u.auth.len = len;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_notify(tcpsec_ike_builder *b, uint8_t protocol,
                                  const uint8_t *spi, uint8_t spi_size,
                                  uint16_t type, const uint8_t *data,
                                  size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_NOTIFY;
  p.u.notify.protocol = protocol;
  p.u.notify.spi = spi;
  p.u.notify.spi_size = spi_size;
  p.u.notify.type = type;
  p.u.notify.data = data;
  p.u.notify.len = len;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_delete(tcpsec_ike_builder *b, uint8_t protocol,
                                  uint8_t spi_size, const uint8_t *spis,
                                  uint16_t num_spis) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_DELETE;
  p.u.del.protocol = protocol;
  p.u.del.spi_size = spi_size;
  p.u.del.spis = spis;
  p.u.del.num_spis = num_spis;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_ts(tcpsec_ike_builder *b, uint8_t payload_type,
                              const tcpsec_ike_selector *selectors,
                              size_t count) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = payload_type;
  p.u.ts.selectors = selectors;
  p.u.ts.count = (uint8_t)count;
  if ((count > UINT8_MAX ||
       (payload_type != TCPSEC_IKE_PT_TSI && payload_type != TCPSEC_IKE_PT_TSR)) &&
      b->error == 0)
    b->error = TCPSEC_ERR_INVALID_ARGUMENT;
  return tcpsec_ike_builder_add(b, &p);
}

static int add_cert(tcpsec_ike_builder *b, uint8_t type, uint8_t encoding,
                    const uint8_t *data, size_t len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = type;
  p.u.cert.encoding = encoding;
  p.u.cert.data = data;
  p.u.cert.len = len;
  return tcpsec_ike_builder_add(b, &p);
}

int tcpsec_ike_builder_add_cert(tcpsec_ike_builder *b, uint8_t encoding,
                                const uint8_t *data, size_t len) {
  return add_cert(b, TCPSEC_IKE_PT_CERT, encoding, data, len);
}

int tcpsec_ike_builder_add_certreq(tcpsec_ike_builder *b, uint8_t encoding,
                                   const uint8_t *data, size_t len) {
  return add_cert(b, TCPSEC_IKE_PT_CERTREQ, encoding, data, len);
}

int tcpsec_ike_builder_add_cp(tcpsec_ike_builder *b, uint8_t cfg_type,
                              const uint8_t *attrs, size_t attrs_len) {
  tcpsec_ike_payload p;

  memset(&p, 0, sizeof(p));
  p.type = TCPSEC_IKE_PT_CP;
  p.u.cp.cfg_type = cfg_type;
  p.u.cp.attrs = attrs;
  p.u.cp.attrs_len = attrs_len;
  return tcpsec_ike_builder_add(b, &p);
}

/* ---- layout -------------------------------------------------------------- */

/* Write the 28-byte header with the given first payload and length. */
static void write_header(const tcpsec_ike_header *h, uint8_t next,
                         size_t len, uint8_t *out) {
  memcpy(out, h->spi_i, TCPSEC_IKE_SPI_LEN);
  memcpy(out + 8, h->spi_r, TCPSEC_IKE_SPI_LEN);
  out[16] = next;
  out[17] = TCPSEC_IKE_VERSION;
  out[18] = h->exchange;
  out[19] = h->flags;
  tcpsec_store_be32(out + 20, h->message_id);
  tcpsec_store_be32(out + 24, (uint32_t)len);
}

/* One message with an SK or SKF payload: the clear payloads (fragment 1
 * or an unfragmented message only) and one chunk of the inner chain. */
struct sk_part {
  size_t clear_len;
  const uint8_t *chunk;
  size_t chunk_len;
  uint8_t inner_first; /* SK next payload; 0 in fragments after the first */
  int fragment;
  uint16_t number, total;
};

static size_t sk_part_len(const tcpsec_ike_sk_cipher *c,
                          const struct sk_part *part) {
  return TCPSEC_IKE_HEADER_LEN + part->clear_len + part->chunk_len +
         tcpsec_ike_sk_overhead(c, part->fragment, part->chunk_len);
}

/*
 * Lay out header | clear payloads | SK or SKF header | IV | chunk |
 * padding | pad length | ICV into out[0, total) and seal it.
 */
static int write_sk_part(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                         const struct sk_part *part, uint8_t *out,
                         size_t total) {
  uint8_t sk_type = part->fragment ? TCPSEC_IKE_PT_SKF : TCPSEC_IKE_PT_SK;
  size_t sk_offset = TCPSEC_IKE_HEADER_LEN + part->clear_len;
  uint8_t *sk = out + sk_offset;

  if (total - sk_offset > UINT16_MAX)
    return TCPSEC_ERR_MESSAGE_TOO_LONG;

  /* Header, then the clear chain, whose last payload points at SK. */
  write_header(&b->header, part->clear_len > 0 ? b->clear_first : sk_type,
               total, out);
  if (part->clear_len > 0) {
    memcpy(out + TCPSEC_IKE_HEADER_LEN, b->clear.data, part->clear_len);
    out[TCPSEC_IKE_HEADER_LEN + b->clear_last] = sk_type;
  }

  /* SK or SKF generic header and fragment fields. */
  sk[0] = part->inner_first;
  sk[1] = 0;
  tcpsec_store_be16(sk + 2, (uint16_t)(total - sk_offset));
  if (part->fragment) {
    tcpsec_store_be16(sk + 4, part->number);
    tcpsec_store_be16(sk + 6, part->total);
  }
  return tcpsec_ike_sk_write(c, out, total, sk_offset, part->fragment,
                             part->chunk, part->chunk_len);
}

/* The error that keeps the builder from finishing, or 0. */
static int finish_check(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c) {
  if (b->error != 0)
    return b->error;
  if (b->in_sk && c == NULL)
    return TCPSEC_ERR_INVALID_STATE;
  return 0;
}

static size_t finished_len(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                           struct sk_part *part) {
  memset(part, 0, sizeof(*part));
  part->clear_len = b->clear.len;
  if (c == NULL)
    return TCPSEC_IKE_HEADER_LEN + b->clear.len;
  part->chunk = b->inner.data;
  part->chunk_len = b->inner.len;
  part->inner_first = b->inner_first;
  return sk_part_len(c, part);
}

static int write_message(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                         const struct sk_part *part, uint8_t *out,
                         size_t total) {
  if (c != NULL)
    return write_sk_part(b, c, part, out, total);

  /* In clear: header and the clear chain as built. */
  write_header(&b->header, b->clear.len > 0 ? b->clear_first : TCPSEC_IKE_PT_NONE,
               total, out);
  if (b->clear.len > 0)
    memcpy(out + TCPSEC_IKE_HEADER_LEN, b->clear.data, b->clear.len);
  return 0;
}

int tcpsec_ike_builder_finish(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                              tcpsec_buf *out) {
  struct sk_part part;
  size_t total, start;
  uint8_t *dst;
  int rc;

  if (b == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rc = finish_check(b, c);
  if (rc != 0)
    return rc;
  total = finished_len(b, c, &part);
  if (total > b->clear.max)
    return TCPSEC_ERR_MESSAGE_TOO_LONG;

  start = out->len;
  rc = tcpsec_buf_append_zero(out, total, &dst);
  if (rc != 0)
    return rc;
  rc = write_message(b, c, &part, dst, total);
  if (rc != 0) {
    tcpsec_zeroize(out->data + start, total);
    out->len = start;
  }
  return rc;
}

int tcpsec_ike_builder_finish_to(tcpsec_ike_builder *b,
                                 tcpsec_ike_sk_cipher *c, uint8_t *out,
                                 size_t cap, size_t *out_len) {
  struct sk_part part;
  size_t total;
  int rc;

  if (b == NULL || out == NULL || out_len == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out_len = 0;
  rc = finish_check(b, c);
  if (rc != 0)
    return rc;
  total = finished_len(b, c, &part);
  if (total > b->clear.max)
    return TCPSEC_ERR_MESSAGE_TOO_LONG;
  if (total > cap)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  rc = write_message(b, c, &part, out, total);
  if (rc != 0) {
    tcpsec_zeroize(out, total);
    return rc;
  }
  *out_len = total;
  return 0;
}

/* ---- fragments (RFC 7383 section 2.5) ------------------------------------ */

/* Split the inner chain into chunks that fit max_fragment_len. Fills
 * lens[] with the chunk sizes and returns their count, or a negative error. */
static int plan_fragments(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                          size_t max_fragment_len, size_t *lens,
                          size_t max_count) {
  size_t left = b->inner.len, n = 0;

  do {
    size_t fixed = TCPSEC_IKE_HEADER_LEN + (n == 0 ? b->clear.len : 0);
    size_t room, chunk;

    if (max_fragment_len <= fixed)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    room = tcpsec_ike_sk_max_chunk(c, 1, max_fragment_len - fixed);
    /* Only fragment 1, which also carries the clear payloads, may be
     * left without inner data (RFC 7383 section 2.5.3). */
    if (room == 0 && n > 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    if (room == 0 && tcpsec_ike_sk_overhead(c, 1, 0) > max_fragment_len - fixed)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    if (n >= max_count || n >= TCPSEC_IKE_SKF_MAX_FRAGMENTS)
      return TCPSEC_ERR_LIMIT;
    chunk = TCPSEC_MIN(room, left);
    lens[n++] = chunk;
    left -= chunk;
  } while (left > 0);
  return (int)n;
}

int tcpsec_ike_builder_finish_fragments(tcpsec_ike_builder *b,
                                        tcpsec_ike_sk_cipher *c,
                                        size_t max_fragment_len,
                                        tcpsec_buf *out, size_t *lens,
                                        size_t max_count, size_t *count) {
  size_t start, offset = 0, i, n;
  int rc;

  if (b == NULL || c == NULL || out == NULL || lens == NULL || count == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *count = 0;
  if (b->error != 0)
    return b->error;

  /* Chunk sizes first: Total Fragments is authenticated in every one. */
  rc = plan_fragments(b, c, max_fragment_len, lens, max_count);
  if (rc < 0)
    return rc;
  n = (size_t)rc;

  start = out->len;
  for (i = 0; i < n; i++) {
    struct sk_part part;
    size_t total;
    uint8_t *dst;

    memset(&part, 0, sizeof(part));
    part.fragment = 1;
    part.number = (uint16_t)(i + 1);
    part.total = (uint16_t)n;
    part.clear_len = i == 0 ? b->clear.len : 0;
    part.chunk = b->inner.data != NULL ? b->inner.data + offset : NULL;
    part.chunk_len = lens[i];
    part.inner_first = i == 0 ? b->inner_first : TCPSEC_IKE_PT_NONE;
    total = sk_part_len(c, &part);

    rc = tcpsec_buf_append_zero(out, total, &dst);
    if (rc == 0)
      rc = write_sk_part(b, c, &part, dst, total);
    if (rc != 0) {
      tcpsec_zeroize(out->data + start, out->len - start);
      out->len = start;
      return rc;
    }
    lens[i] = total;
    offset += part.chunk_len;
  }
  *count = n;
  return 0;
}
