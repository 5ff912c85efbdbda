/* ESP inbound processing (RFC 4303 section 3.4). */
#include <string.h>

#include "core/ctx.h"
#include "core/cursor.h"
#include "core/util.h"
#include "esp/esp_internal.h"

/* Verify the ICV in constant time, then decrypt body_len bytes to out. */
static int authenticate_and_decrypt(tcpsec_esp_sa *sa, const uint8_t *packet,
                                    size_t body_len, uint64_t seq,
                                    uint8_t *out) {
  size_t hdr = esp_header_len(sa);
  const uint8_t *iv = packet + ESP_SPI_LEN + ESP_SEQ_LEN;
  const uint8_t *body = packet + hdr;
  const uint8_t *icv = body + body_len;
  int rv;

  if (sa->aead != NULL) {
    uint8_t nonce[TCPSEC_AEAD_NONCE_LEN], aad[12];
    size_t aad_len = tcpsec_esp_build_aad(sa, seq, aad);

    memcpy(nonce, sa->salt, ESP_AEAD_SALT_LEN);
    memcpy(nonce + ESP_AEAD_SALT_LEN, iv, ESP_AEAD_IV_LEN);
    rv = tcpsec_aead_decrypt(sa->aead, nonce, aad, aad_len, body, out,
                             body_len, icv);
  } else {
    uint8_t mac[TCPSEC_HASH_MAX_LEN];

    rv = tcpsec_esp_compute_hmac(sa, packet, hdr + body_len, seq, mac);
    if (rv == 0 && tcpsec_ct_memcmp(mac, icv, sa->icv_len) != 0)
      rv = TCPSEC_ERR_ICV_MISMATCH;
    if (rv == 0)
      rv = tcpsec_cbc_decrypt(sa->cbc, iv, body, out, body_len);
  }
  return rv == TCPSEC_ERR_ICV_MISMATCH ? TCPSEC_ERR_ESP_AUTH_FAILED : rv;
}

/* RFC 4303 section 2.4: the pad length must fit in the payload and the
 * default padding is the byte sequence 1, 2, 3, ... */
static int padding_valid(const uint8_t *plain, size_t body_len) {
  size_t pad_len = plain[body_len - 2], start, i;

  if (pad_len > body_len - ESP_TRAILER_LEN)
    return 0;
  start = body_len - ESP_TRAILER_LEN - pad_len;
  for (i = 0; i < pad_len; i++)
    if (plain[start + i] != (uint8_t)(i + 1))
      return 0;
  return 1;
}

static int next_header_valid(const tcpsec_esp_sa *sa, uint8_t nh) {
  return sa->any_next_header || nh == ESP_NEXT_HEADER_IPV4 ||
         nh == ESP_NEXT_HEADER_IPV6 || nh == ESP_NEXT_HEADER_DUMMY;
}

/* Length sanity (step 1): the packet must hold the header, a trailer and
 * the ICV, and AES-CBC ciphertext must be whole blocks. Returns the length
 * of the encrypted part, or 0 when the packet is too short. */
static size_t body_length(const tcpsec_esp_sa *sa, size_t packet_len) {
  size_t fixed = esp_header_len(sa) + sa->icv_len, body;

  if (ESP_TRAILER_LEN > packet_len || fixed > packet_len - ESP_TRAILER_LEN)
    return 0;
  body = packet_len - fixed;
  if (sa->cbc != NULL && body % TCPSEC_AES_BLOCK_LEN != 0)
    return 0;
  return body;
}

/* Count a failure and wipe what was decrypted, if anything. */
static ptrdiff_t fail(uint64_t *counter, int err, uint8_t *plain,
                      size_t plain_len) {
  (*counter)++;
  if (plain != NULL)
    tcpsec_zeroize(plain, plain_len);
  return err;
}

ptrdiff_t tcpsec_esp_sa_open(tcpsec_esp_sa *sa, const uint8_t *packet,
                             size_t packet_len, uint8_t *out, size_t out_cap,
                             uint64_t now_ms, uint8_t *next_header) {
  tcpsec_esp_sa_stats *st;
  tcpsec_cursor c;
  uint32_t spi, seql;
  uint64_t seq;
  size_t body_len, inner_len;
  uint8_t nh;
  int rv;

  if (sa == NULL || packet == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->direction != TCPSEC_ESP_INBOUND)
    return TCPSEC_ERR_INVALID_STATE;
  st = &sa->stats;

  tcpsec_cursor_init(&c, packet, packet_len);
  spi = tcpsec_cursor_be32(&c);
  seql = tcpsec_cursor_be32(&c);
  if (c.error)
    return fail(&st->err_truncated, TCPSEC_ERR_ESP_TRUNCATED, NULL, 0);
  if (spi != sa->spi)
    return TCPSEC_ERR_ESP_UNKNOWN_SPI;
  if (tcpsec_esp_sa_check_lifetime(sa, now_ms) & TCPSEC_ESP_STATUS_EXPIRED)
    return fail(&st->err_expired, TCPSEC_ERR_SA_EXPIRED, NULL, 0);

  /* 1. Length sanity. */
  body_len = body_length(sa, packet_len);
  if (body_len == 0)
    return fail(&st->err_truncated, TCPSEC_ERR_ESP_TRUNCATED, NULL, 0);
  if (out_cap < body_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  if (out != packet + esp_header_len(sa) &&
      tcpsec_esp_overlaps(out, body_len, packet, packet_len))
    return TCPSEC_ERR_INVALID_ARGUMENT;

  /* 2. Anti-replay pre-check on the inferred 64-bit number. */
  seq = tcpsec_replay_infer(&sa->replay, seql, sa->esn);
  if (tcpsec_replay_check(&sa->replay, seq) != 0)
    return fail(&st->err_replayed, TCPSEC_ERR_ESP_REPLAYED, NULL, 0);

  /* 3 and 4. ICV in constant time, then decryption. */
  rv = authenticate_and_decrypt(sa, packet, body_len, seq, out);
  if (rv == TCPSEC_ERR_ESP_AUTH_FAILED)
    return fail(&st->err_auth_failed, rv, out, body_len);
  if (rv != 0) {
    tcpsec_zeroize(out, body_len);
    return rv;
  }

  /* 5. Padding, 6. next header. */
  if (!padding_valid(out, body_len))
    return fail(&st->err_bad_padding, TCPSEC_ERR_ESP_BAD_PADDING, out,
                body_len);
  nh = out[body_len - 1];
  if (!next_header_valid(sa, nh))
    return fail(&st->err_bad_next_header, TCPSEC_ERR_ESP_BAD_NEXT_HEADER,
                out, body_len);

  /* 7. The packet passed every check: move the window. */
  tcpsec_replay_update(&sa->replay, seq);
  if (next_header != NULL)
    *next_header = nh;
  if (nh == ESP_NEXT_HEADER_DUMMY && !sa->any_next_header) {
    st->dummy_packets++;
    tcpsec_zeroize(out, body_len);
    return 0;
  }
  inner_len = body_len - ESP_TRAILER_LEN - out[body_len - 2];
  tcpsec_esp_sa_account(sa, inner_len, now_ms);
  return (ptrdiff_t)inner_len;
}
