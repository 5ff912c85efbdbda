/* ESP outbound processing (RFC 4303 section 3.3). */
#include <string.h>

#include "core/ctx.h"
#include "core/cursor.h"
#include "core/util.h"
#include "esp/esp_internal.h"

/* Next header for an inner packet: 4 for IPv4, 41 for IPv6. The header must
 * be complete and its length field must match the packet length, so a
 * caller's framing error is caught here rather than sent to the peer. */
static int inner_next_header(const uint8_t *inner, size_t len, uint8_t *nh) {
  tcpsec_cursor c;
  uint8_t first;

  tcpsec_cursor_init(&c, inner, len);
  first = tcpsec_cursor_u8(&c);
  if (c.error)
    return TCPSEC_ERR_BAD_INNER_PACKET;

  if (first >> 4 == 4) {
    size_t ihl = (size_t)(first & 0x0f) * 4;
    uint16_t total;

    tcpsec_cursor_skip(&c, 1);
    total = tcpsec_cursor_be16(&c);
    if (c.error || ihl < 20 || ihl > len || total != len)
      return TCPSEC_ERR_BAD_INNER_PACKET;
    *nh = ESP_NEXT_HEADER_IPV4;
    return 0;
  }

  if (first >> 4 == 6) {
    uint16_t payload;

    tcpsec_cursor_skip(&c, 3);
    payload = tcpsec_cursor_be16(&c);
    if (c.error || len < 40 || (size_t)payload + 40 != len)
      return TCPSEC_ERR_BAD_INNER_PACKET;
    *nh = ESP_NEXT_HEADER_IPV6;
    return 0;
  }
  return TCPSEC_ERR_BAD_INNER_PACKET;
}

/* AAD of the AEAD transforms: SPI | seq low, or SPI | seq high | seq low
 * with ESN (RFC 4106, RFC 7634 section 2.1). */
size_t tcpsec_esp_build_aad(const tcpsec_esp_sa *sa, uint64_t seq,
                            uint8_t aad[12]) {
  tcpsec_store_be32(aad, sa->spi);
  if (!sa->esn) {
    tcpsec_store_be32(aad + 4, (uint32_t)seq);
    return 8;
  }
  tcpsec_store_be64(aad + 4, seq);
  return 12;
}

/* ICV of AES-CBC: the truncated HMAC over SPI, sequence number, IV and
 * ciphertext, followed by the ESN high bits when ESN is on (RFC 4303
 * section 2.2.1). Writes the full hash to mac. */
int tcpsec_esp_compute_hmac(tcpsec_esp_sa *sa, const uint8_t *packet,
                            size_t covered, uint64_t seq,
                            uint8_t mac[TCPSEC_HASH_MAX_LEN]) {
  tcpsec_iov iov[2];
  uint8_t seq_hi[4];

  iov[0].data = packet;
  iov[0].len = covered;
  tcpsec_store_be32(seq_hi, (uint32_t)(seq >> 32));
  iov[1].data = seq_hi;
  iov[1].len = sizeof(seq_hi);
  return tcpsec_hmac_key_compute(sa->hmac, iov, sa->esn ? 2 : 1, mac);
}

/* IV of an outbound AES-CBC SA, written to iv. */
static int make_cbc_iv(tcpsec_esp_sa *sa, uint64_t seq, uint8_t *iv) {
  static const uint8_t zero_iv[ESP_CBC_IV_LEN];
  uint8_t counter[ESP_CBC_IV_LEN] = {0};

  if (sa->iv_source == TCPSEC_ESP_IV_RANDOM)
    return tcpsec_random(sa->ctx, iv, ESP_CBC_IV_LEN);
  /* One AES block of the sequence number under the SA's IV key: single
   * block CBC with a zero IV is plain AES. */
  tcpsec_store_be64(counter, seq);
  return tcpsec_cbc_encrypt(sa->iv_gen, zero_iv, counter, iv, ESP_CBC_IV_LEN);
}

static int encrypt_body(tcpsec_esp_sa *sa, uint64_t seq, uint8_t *out,
                        size_t body_len) {
  size_t hdr = esp_header_len(sa);
  uint8_t *body = out + hdr;

  if (sa->aead != NULL) {
    uint8_t nonce[TCPSEC_AEAD_NONCE_LEN], aad[12];
    size_t aad_len = tcpsec_esp_build_aad(sa, seq, aad);

    memcpy(nonce, sa->salt, ESP_AEAD_SALT_LEN);
    memcpy(nonce + ESP_AEAD_SALT_LEN, out + ESP_SPI_LEN + ESP_SEQ_LEN,
           ESP_AEAD_IV_LEN);
    return tcpsec_aead_encrypt(sa->aead, nonce, aad, aad_len, body, body,
                               body_len, body + body_len);
  } else {
    uint8_t mac[TCPSEC_HASH_MAX_LEN];
    int rv;

    rv = tcpsec_cbc_encrypt(sa->cbc, out + ESP_SPI_LEN + ESP_SEQ_LEN, body,
                            body, body_len);
    if (rv == 0)
      rv = tcpsec_esp_compute_hmac(sa, out, hdr + body_len, seq, mac);
    if (rv == 0)
      memcpy(body + body_len, mac, sa->icv_len);
    return rv;
  }
}

/*
 * Build the ESP packet at out: header, payload (copied unless it already
 * sits behind the header), padding 1, 2, 3, ..., pad length, next header,
 * then encrypt and append the ICV. iv is NULL to generate the IV.
 */
static ptrdiff_t seal_packet(tcpsec_esp_sa *sa, uint64_t seq,
                             const uint8_t *iv, uint8_t next_header,
                             const uint8_t *payload, size_t payload_len,
                             uint8_t *out, size_t out_cap) {
  size_t hdr = esp_header_len(sa), total, body_len, pad_len, i;
  uint8_t *body = out + hdr;
  int rv;

  if (payload_len > (size_t)PTRDIFF_MAX - hdr - tcpsec_esp_sa_tailroom(sa))
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  total = tcpsec_esp_sa_sealed_len(sa, payload_len);
  if (out_cap < total)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  if (payload != body && tcpsec_esp_overlaps(payload, payload_len, out, total))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  body_len = total - hdr - sa->icv_len;
  pad_len = body_len - payload_len - ESP_TRAILER_LEN;

  /* IV first: a random source failure must leave the caller's packet
   * untouched when sealing in place. */
  if (iv != NULL)
    memcpy(out + ESP_SPI_LEN + ESP_SEQ_LEN, iv, sa->iv_len);
  else if (sa->aead != NULL)
    tcpsec_store_be64(out + ESP_SPI_LEN + ESP_SEQ_LEN, seq);
  else if ((rv = make_cbc_iv(sa, seq, out + ESP_SPI_LEN + ESP_SEQ_LEN)) != 0)
    return rv;

  tcpsec_store_be32(out, sa->spi);
  tcpsec_store_be32(out + ESP_SPI_LEN, (uint32_t)seq);
  if (payload != body)
    memcpy(body, payload, payload_len);
  for (i = 0; i < pad_len; i++)
    body[payload_len + i] = (uint8_t)(i + 1);
  body[payload_len + pad_len] = (uint8_t)pad_len;
  body[payload_len + pad_len + 1] = next_header;

  rv = encrypt_body(sa, seq, out, body_len);
  if (rv != 0) {
    /* Never leave plaintext behind in a buffer that may be sent. */
    tcpsec_zeroize(body, body_len);
    return rv;
  }
  return (ptrdiff_t)total;
}

ptrdiff_t tcpsec_esp_sa_seal(tcpsec_esp_sa *sa, const uint8_t *inner,
                             size_t inner_len, uint8_t *out, size_t out_cap,
                             uint64_t now_ms) {
  uint64_t seq, seq_max;
  uint8_t next_header;
  ptrdiff_t n;
  int rv;

  if (sa == NULL || inner == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->direction != TCPSEC_ESP_OUTBOUND)
    return TCPSEC_ERR_INVALID_STATE;
  rv = inner_next_header(inner, inner_len, &next_header);
  if (rv != 0) {
    sa->stats.err_bad_inner_packet++;
    return rv;
  }

  /* RFC 4303 section 3.3.3: the counter never wraps; the SA must be
   * replaced before the next packet would need number 2^32 (2^64 with
   * ESN). */
  seq_max = sa->esn ? UINT64_MAX : UINT32_MAX;
  if (sa->seq_out >= seq_max) {
    sa->stats.err_seq_exhausted++;
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_REKEY,
                        "sequence numbers exhausted");
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_EXPIRED,
                        "sequence numbers exhausted");
    return TCPSEC_ERR_ESP_SEQ_EXHAUSTED;
  }
  if (tcpsec_esp_sa_check_lifetime(sa, now_ms) & TCPSEC_ESP_STATUS_EXPIRED) {
    sa->stats.err_expired++;
    return TCPSEC_ERR_SA_EXPIRED;
  }

  seq = sa->seq_out + 1;
  n = seal_packet(sa, seq, NULL, next_header, inner, inner_len, out, out_cap);
  if (n < 0)
    return n;
  sa->seq_out = seq;
  tcpsec_esp_sa_account(sa, inner_len, now_ms);
  if (!sa->esn && seq >= ESP_SEQ32_REKEY_THRESHOLD)
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_REKEY,
                        "sequence numbers running out");
  return n;
}

ptrdiff_t tcpsec_esp_sa_seal_with_iv(tcpsec_esp_sa *sa, uint64_t seq,
                                     const uint8_t *iv, size_t iv_len,
                                     uint8_t next_header,
                                     const uint8_t *payload,
                                     size_t payload_len, uint8_t *out,
                                     size_t out_cap) {
  if (sa == NULL || iv == NULL || payload == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->direction != TCPSEC_ESP_OUTBOUND)
    return TCPSEC_ERR_INVALID_STATE;
  if (iv_len != sa->iv_len || (!sa->esn && seq > UINT32_MAX))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return seal_packet(sa, seq, iv, next_header, payload, payload_len, out,
                     out_cap);
}
