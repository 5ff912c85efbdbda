/*
 * Protection of the SK and SKF payloads (RFC 7296 section 3.14, RFC 5282
 * sections 3 to 5, RFC 7634 section 2, RFC 7383 section 2.5).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  (SKF only) Fragment Number   |  (SKF only) Total Fragments   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * AES-CBC with HMAC: the ICV is the truncated HMAC over the whole message
 * from the IKE header through the Pad Length (RFC 7296 section 3.14).
 * AEAD (AES-GCM-16, ChaCha20-Poly1305): nonce = salt (4) | IV (8), the
 * associated data is the message from the IKE header through the SK
 * payload header (RFC 5282 section 5.1), and the ICV is the 16-byte tag.
 * For SKF the payload header includes the Fragment Number and Total
 * Fragments fields, so they are authenticated in both modes.
 */
#include "ike/message.h"

#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"

#define SK_SALT_LEN 4
#define SK_MAX_ICV_LEN 32
#define SK_CBC_IV_LEN 16
#define SK_AEAD_IV_LEN 8

struct tcpsec_ike_sk_cipher {
  tcpsec_ctx *ctx;
  uint16_t encr;
  uint16_t integ;
  size_t iv_len;
  size_t block_len; /* ciphertext alignment */
  size_t icv_len;
  uint8_t salt[SK_SALT_LEN];
  tcpsec_aead *aead;
  tcpsec_cbc *cbc;
  tcpsec_hmac_key *hmac;
  tcpsec_hash_alg hmac_hash;
};

/* Integrity algorithms for SK with CBC (RFC 4868 section 2.1). */
static int integ_params(uint16_t integ, tcpsec_hash_alg *hash,
                        size_t *key_len, size_t *icv_len) {
  switch (integ) {
  case TCPSEC_INTEG_HMAC_SHA2_256_128:
    *hash = TCPSEC_HASH_SHA256;
    *key_len = 32;
    *icv_len = 16;
    return 0;
  case TCPSEC_INTEG_HMAC_SHA2_384_192:
    *hash = TCPSEC_HASH_SHA384;
    *key_len = 48;
    *icv_len = 24;
    return 0;
  case TCPSEC_INTEG_HMAC_SHA2_512_256:
    *hash = TCPSEC_HASH_SHA512;
    *key_len = 64;
    *icv_len = 32;
    return 0;
  default:
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  }
}

static int cipher_init_aead(tcpsec_ike_sk_cipher *c,
                            const tcpsec_ike_sk_keys *keys) {
  if (keys->integ != TCPSEC_INTEG_NONE || keys->salt == NULL ||
      keys->salt_len != SK_SALT_LEN)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (keys->encr == TCPSEC_ENCR_CHACHA20_POLY1305 && keys->encr_key_len != 32)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  if (keys->encr == TCPSEC_ENCR_AES_GCM_16 && keys->encr_key_len != 16 &&
      keys->encr_key_len != 24 && keys->encr_key_len != 32)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;

  c->iv_len = SK_AEAD_IV_LEN;
  c->block_len = 1;
  c->icv_len = TCPSEC_AEAD_TAG_LEN;
  memcpy(c->salt, keys->salt, SK_SALT_LEN);
  return tcpsec_aead_new(c->ctx, keys->encr, keys->encr_key, keys->encr_key_len,
                         &c->aead);
}

static int cipher_init_cbc(tcpsec_ike_sk_cipher *c,
                           const tcpsec_ike_sk_keys *keys) {
  size_t key_len;
  int rc;

  if (keys->integ_key == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rc = integ_params(keys->integ, &c->hmac_hash, &key_len, &c->icv_len);
  if (rc != 0)
    return rc;
  if (keys->integ_key_len != key_len)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  if (keys->encr_key_len != 16 && keys->encr_key_len != 24 &&
      keys->encr_key_len != 32)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;

  c->iv_len = SK_CBC_IV_LEN;
  c->block_len = TCPSEC_AES_BLOCK_LEN;
  rc = tcpsec_cbc_new(c->ctx, keys->encr_key, keys->encr_key_len, &c->cbc);
  if (rc != 0)
    return rc;
  return tcpsec_hmac_key_new(c->ctx, c->hmac_hash, keys->integ_key,
                             keys->integ_key_len, &c->hmac);
}

int tcpsec_ike_sk_cipher_new(tcpsec_ctx *ctx, const tcpsec_ike_sk_keys *keys,
                             tcpsec_ike_sk_cipher **out) {
  tcpsec_ike_sk_cipher *c;
  int rc;

  if (ctx == NULL || keys == NULL || out == NULL || keys->encr_key == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  c = tcpsec_calloc(ctx, 1, sizeof(*c));
  if (c == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  c->ctx = ctx;
  c->encr = keys->encr;
  c->integ = keys->integ;

  switch (keys->encr) {
  case TCPSEC_ENCR_AES_GCM_16:
  case TCPSEC_ENCR_CHACHA20_POLY1305:
    rc = cipher_init_aead(c, keys);
    break;
  case TCPSEC_ENCR_AES_CBC:
    rc = cipher_init_cbc(c, keys);
    break;
  default:
    rc = TCPSEC_ERR_UNKNOWN_ALGORITHM;
    break;
  }
  if (rc != 0) {
    tcpsec_ike_sk_cipher_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

void tcpsec_ike_sk_cipher_free(tcpsec_ike_sk_cipher *c) {
  if (c == NULL)
    return;
  tcpsec_aead_free(c->aead);
  tcpsec_cbc_free(c->cbc);
  tcpsec_hmac_key_free(c->hmac);
  tcpsec_free_secret(c->ctx, c, sizeof(*c));
}

size_t tcpsec_ike_sk_overhead(const tcpsec_ike_sk_cipher *c, int fragment,
                              size_t plain_len) {
  size_t head = TCPSEC_IKE_PAYLOAD_HEADER_LEN +
                (fragment ? TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN : 0);
  size_t padded = plain_len + 1;

  /* Minimal padding: up to the next block boundary. */
  if (padded % c->block_len != 0)
    padded += c->block_len - padded % c->block_len;
  return head + c->iv_len + (padded - plain_len) + c->icv_len;
}

/* Offsets and lengths of the parts of a protected payload in the message. */
struct sk_layout {
  size_t aad_len; /* IKE header through the SK payload header */
  size_t iv_off;
  size_t ct_off;
  size_t ct_len; /* inner payloads, padding and pad length */
  size_t icv_off;
};

static int sk_layout(const tcpsec_ike_sk_cipher *c, size_t len,
                     size_t sk_offset, int fragment, struct sk_layout *l) {
  size_t head = TCPSEC_IKE_PAYLOAD_HEADER_LEN +
                (fragment ? TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN : 0);
  size_t region;

  if (sk_offset > len || head > len - sk_offset)
    return TCPSEC_ERR_MALFORMED;
  region = len - sk_offset - head;
  /* At least the pad length byte (AEAD) or one block (CBC). */
  if (region < c->iv_len + c->icv_len + c->block_len)
    return TCPSEC_ERR_MALFORMED;

  l->aad_len = sk_offset + head;
  l->iv_off = l->aad_len;
  l->ct_off = l->iv_off + c->iv_len;
  l->ct_len = region - c->iv_len - c->icv_len;
  l->icv_off = l->ct_off + l->ct_len;
  if (l->ct_len % c->block_len != 0)
    return TCPSEC_ERR_MALFORMED;
  return 0;
}

static int hmac_icv(tcpsec_ike_sk_cipher *c, const uint8_t *msg, size_t len,
                    uint8_t *out) {
  tcpsec_iov iov = {msg, len};

  return tcpsec_hmac_key_compute(c->hmac, &iov, 1, out);
}

int tcpsec_ike_sk_seal(tcpsec_ike_sk_cipher *c, uint8_t *msg, size_t len,
                       size_t sk_offset, int fragment, const uint8_t *iv) {
  uint8_t full[TCPSEC_HASH_MAX_LEN];
  uint8_t nonce[TCPSEC_AEAD_NONCE_LEN];
  struct sk_layout l;
  int rc;

  if (c == NULL || msg == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rc = sk_layout(c, len, sk_offset, fragment, &l);
  if (rc != 0)
    return rc;

  /* IV: given, or fresh from the random source.
   * NOTE: a random 8-byte AEAD IV repeats under one key with probability
   * about n^2 / 2^65 after n messages, which is negligible for the message
   * counts of an IKE SA but is not the counter RFC 5282 suggests. */
  if (iv != NULL)
    memcpy(msg + l.iv_off, iv, c->iv_len);
  else if (tcpsec_random(c->ctx, msg + l.iv_off, c->iv_len) != 0)
    return TCPSEC_ERR_RANDOM;

  if (c->aead != NULL) {
    /* nonce = salt | IV; A = header through the SK payload header. */
    memcpy(nonce, c->salt, SK_SALT_LEN);
    memcpy(nonce + SK_SALT_LEN, msg + l.iv_off, c->iv_len);
    rc = tcpsec_aead_encrypt(c->aead, nonce, msg, l.aad_len, msg + l.ct_off,
                             msg + l.ct_off, l.ct_len, msg + l.icv_off);
    return rc;
  }

  /* Encrypt, then the ICV over everything before the ICV field. */
  rc = tcpsec_cbc_encrypt(c->cbc, msg + l.iv_off, msg + l.ct_off,
                          msg + l.ct_off, l.ct_len);
  if (rc == 0)
    rc = hmac_icv(c, msg, l.icv_off, full);
  if (rc == 0)
    memcpy(msg + l.icv_off, full, c->icv_len);
  tcpsec_zeroize(full, sizeof(full));
  return rc;
}

size_t tcpsec_ike_sk_max_chunk(const tcpsec_ike_sk_cipher *c, int fragment,
                               size_t room) {
  size_t head = TCPSEC_IKE_PAYLOAD_HEADER_LEN +
                (fragment ? TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN : 0);
  size_t fixed = head + c->iv_len + c->icv_len;
  size_t encrypted;

  if (room <= fixed)
    return 0;
  /* Whole blocks of chunk + padding + pad length byte. */
  encrypted = (room - fixed) / c->block_len * c->block_len;
  return encrypted > 0 ? encrypted - 1 : 0;
}

int tcpsec_ike_sk_write(tcpsec_ike_sk_cipher *c, uint8_t *msg, size_t total,
                        size_t sk_offset, int fragment, const uint8_t *chunk,
                        size_t chunk_len) {
  size_t head = TCPSEC_IKE_PAYLOAD_HEADER_LEN +
                (fragment ? TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN : 0);
  size_t expected = sk_offset + chunk_len +
                    tcpsec_ike_sk_overhead(c, fragment, chunk_len);
  size_t ct_off = sk_offset + head + c->iv_len;
  size_t pad = expected - ct_off - chunk_len - 1 - c->icv_len;

  if (total != expected || (chunk == NULL && chunk_len > 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;

  /* Inner payloads, then padding (RFC 7296 section 3.14: any value; we
   * take it from the random source) and the pad length byte. */
  if (chunk_len > 0)
    memcpy(msg + ct_off, chunk, chunk_len);
  if (pad > 0 && tcpsec_random(c->ctx, msg + ct_off + chunk_len, pad) != 0)
    return TCPSEC_ERR_RANDOM;
  msg[ct_off + chunk_len + pad] = (uint8_t)pad;
  return tcpsec_ike_sk_seal(c, msg, total, sk_offset, fragment, NULL);
}

/* Remove padding: the last byte counts the padding bytes before it. */
static int strip_padding(uint8_t *plain, size_t ct_len, size_t *plain_len) {
  size_t pad = plain[ct_len - 1];

  if (pad + 1 > ct_len)
    return TCPSEC_ERR_MALFORMED;
  *plain_len = ct_len - pad - 1;
  return 0;
}

int tcpsec_ike_sk_open(tcpsec_ike_sk_cipher *c, const uint8_t *data,
                       size_t len, const tcpsec_ike_msg *msg, uint8_t *plain,
                       size_t plain_cap, size_t *plain_len,
                       tcpsec_ike_parse_error *err) {
  uint8_t full[TCPSEC_HASH_MAX_LEN];
  uint8_t nonce[TCPSEC_AEAD_NONCE_LEN];
  const tcpsec_ike_payload *p;
  struct sk_layout l;
  int fragment, rc;

  if (err != NULL)
    memset(err, 0, sizeof(*err));
  if (c == NULL || data == NULL || msg == NULL || plain == NULL ||
      plain_len == NULL)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0, "missing argument");
  if (msg->sk_index < 0)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_STATE, 0, 0,
                           "message has no encrypted payload");
  p = &msg->payloads[msg->sk_index];
  fragment = p->type == TCPSEC_IKE_PT_SKF;
  if (len != msg->header.length)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, p->type, 0,
                           "data is not the parsed message");

  rc = sk_layout(c, len, p->offset, fragment, &l);
  if (rc != 0)
    return tcpsec_ike_fail(err, rc, p->type, p->offset,
                           "encrypted payload too short or not block aligned");
  if (plain_cap < l.ct_len)
    return tcpsec_ike_fail(err, TCPSEC_ERR_BUFFER_TOO_SMALL, p->type, p->offset,
                           "plaintext buffer smaller than the ciphertext");

  if (c->aead != NULL) {
    /* AEAD checks the tag before releasing plaintext and wipes on failure. */
    memcpy(nonce, c->salt, SK_SALT_LEN);
    memcpy(nonce + SK_SALT_LEN, data + l.iv_off, c->iv_len);
    rc = tcpsec_aead_decrypt(c->aead, nonce, data, l.aad_len, data + l.ct_off,
                             plain, l.ct_len, data + l.icv_off);
  } else {
    /* ICV first, compared in constant time; decrypt only when it holds. */
    rc = hmac_icv(c, data, l.icv_off, full);
    if (rc == 0 && tcpsec_ct_memcmp(full, data + l.icv_off, c->icv_len) != 0)
      rc = TCPSEC_ERR_ICV_MISMATCH;
    tcpsec_zeroize(full, sizeof(full));
    if (rc == 0)
      rc = tcpsec_cbc_decrypt(c->cbc, data + l.iv_off, data + l.ct_off, plain,
                              l.ct_len);
  }
  if (rc == 0)
    rc = strip_padding(plain, l.ct_len, plain_len);
  if (rc != 0) {
    tcpsec_zeroize(plain, l.ct_len);
    *plain_len = 0;
    if (rc == TCPSEC_ERR_ICV_MISMATCH)
      return tcpsec_ike_fail(err, rc, p->type, l.icv_off, "integrity check value mismatch");
    if (rc == TCPSEC_ERR_MALFORMED)
      return tcpsec_ike_fail(err, rc, p->type, l.ct_off, "pad length exceeds the plaintext");
    return tcpsec_ike_fail(err, rc, p->type, p->offset, "decryption failed");
  }
  return 0;
}

int tcpsec_ike_msg_open(tcpsec_ike_sk_cipher *c, tcpsec_ike_msg *msg,
                        const uint8_t *data, size_t len, uint8_t *plain,
                        size_t plain_cap, tcpsec_ike_parse_error *err) {
  const tcpsec_ike_payload *sk;
  size_t plain_len = 0;
  int rc;

  if (msg == NULL)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0, "missing argument");
  if (msg->sk_index >= 0 && msg->payloads[msg->sk_index].type == TCPSEC_IKE_PT_SKF)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, TCPSEC_IKE_PT_SKF,
                           msg->payloads[msg->sk_index].offset,
                           "fragment needs reassembly");
  rc = tcpsec_ike_sk_open(c, data, len, msg, plain, plain_cap, &plain_len, err);
  if (rc != 0)
    return rc;
  sk = &msg->payloads[msg->sk_index];
  return tcpsec_ike_msg_parse_inner(msg, sk->u.sk.inner_type, plain, plain_len, err);
}
