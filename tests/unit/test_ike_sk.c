/*
 * Unit tests for SK payload protection: the RFC 7634 Appendix B example
 * (ChaCha20-Poly1305), round trips with AES-CBC + HMAC-SHA2 and AES-GCM-16,
 * and rejection of bad ICVs and malformed encrypted payloads.
 *
 * Source of the example values: RFC 7634 (Y. Nir, August 2015), Appendix B
 * "IKEv2 Example": key 0x80..0x9f, salt a0a1a2a3, IV 1011121314151617,
 * SPIi c0..c7, SPIr d0..d7, Message ID 9, one Notify SET_WINDOW_SIZE = 10.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/buf.h"
#include "core/util.h"
#include "ike/message.h"

static const char rfc7634_message[] =
  "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7" "2e202500000000090000004529000029"
  "1011121314151617610394701f8d017f" "7c129248896b71bfe25236efd7cdc670"
  "66906315b2";
static const char rfc7634_plaintext[] = "0000000c000040010000000a";
static const char rfc7634_iv[] = "1011121314151617";

static tcpsec_ctx *g_ctx;
static test_rng g_rng;

static int group_setup(void **state) {
  (void)state;
  g_ctx = test_ctx_new(&g_rng, 7634);
  return g_ctx != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(g_ctx);
  return 0;
}

static tcpsec_ike_sk_cipher *rfc7634_cipher(void) {
  uint8_t key[32], salt[4] = {0xa0, 0xa1, 0xa2, 0xa3};
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_sk_cipher *c = NULL;
  size_t i;

  for (i = 0; i < sizeof(key); i++)
    key[i] = (uint8_t)(0x80 + i);
  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_CHACHA20_POLY1305;
  keys.encr_key = key;
  keys.encr_key_len = sizeof(key);
  keys.salt = salt;
  keys.salt_len = sizeof(salt);
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), 0);
  return c;
}

static tcpsec_ike_msg *msg_new(void) {
  tcpsec_ike_msg *m = calloc(1, sizeof(*m));

  assert_non_null(m);
  return m;
}

static void rfc7634_decrypts(void **state) {
  tcpsec_ike_sk_cipher *c = rfc7634_cipher();
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  uint8_t msg[80], plain[80], expect[16];
  size_t len, plain_len = 0;
  const tcpsec_ike_payload *n;

  (void)state;
  len = (size_t)test_hex_decode(rfc7634_message, msg, sizeof(msg));
  assert_int_equal(len, 69);
  assert_int_equal(test_hex_decode(rfc7634_plaintext, expect, sizeof(expect)), 12);

  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(m->header.exchange, TCPSEC_IKE_EXCH_INFORMATIONAL);
  assert_int_equal(m->header.message_id, 9);
  assert_int_equal(m->sk_index, 0);
  assert_int_equal(m->payloads[0].u.sk.inner_type, TCPSEC_IKE_PT_NOTIFY);

  assert_int_equal(tcpsec_ike_sk_open(c, msg, len, m, plain, sizeof(plain),
                                      &plain_len, &err), 0);
  assert_int_equal(plain_len, 12);
  assert_memory_equal(plain, expect, 12);

  assert_int_equal(tcpsec_ike_msg_open(c, m, msg, len, plain, sizeof(plain), &err), 0);
  assert_int_equal(m->count, 2);
  n = tcpsec_ike_msg_find_notify(m, TCPSEC_IKE_N_SET_WINDOW_SIZE);
  assert_non_null(n);
  assert_int_equal(n->inner, 1);
  assert_int_equal(n->u.notify.decoded.window_size, 10);
  free(m);
  tcpsec_ike_sk_cipher_free(c);
}

/* Lay out the RFC message around the plaintext and seal it with the RFC's
 * IV: the result must equal the published message byte for byte. */
static void rfc7634_reencrypts(void **state) {
  tcpsec_ike_sk_cipher *c = rfc7634_cipher();
  uint8_t expect[80], msg[80], iv[8];
  size_t len;

  (void)state;
  len = (size_t)test_hex_decode(rfc7634_message, expect, sizeof(expect));
  assert_int_equal(test_hex_decode(rfc7634_iv, iv, sizeof(iv)), 8);
  memset(msg, 0, sizeof(msg));
  memcpy(msg, expect, 32); /* IKE header and SK generic header */
  assert_int_equal(test_hex_decode(rfc7634_plaintext, msg + 40, 12), 12);
  msg[52] = 0; /* pad length */
  assert_int_equal(tcpsec_ike_sk_overhead(c, 0, 12), 4 + 8 + 1 + 16);

  assert_int_equal(tcpsec_ike_sk_seal(c, msg, len, 28, 0, iv), 0);
  assert_memory_equal(msg, expect, len);
  tcpsec_ike_sk_cipher_free(c);
}

/* ---- round trips through the builder ------------------------------------ */

struct suite {
  const char *name;
  uint16_t encr;
  size_t key_len;
  uint16_t integ;
  size_t integ_len;
  size_t icv_len;
};

static const struct suite suites[] = {
  {"AES-CBC-128 HMAC-SHA2-256-128", TCPSEC_ENCR_AES_CBC, 16, TCPSEC_INTEG_HMAC_SHA2_256_128, 32, 16},
  {"AES-CBC-192 HMAC-SHA2-384-192", TCPSEC_ENCR_AES_CBC, 24, TCPSEC_INTEG_HMAC_SHA2_384_192, 48, 24},
  {"AES-CBC-256 HMAC-SHA2-512-256", TCPSEC_ENCR_AES_CBC, 32, TCPSEC_INTEG_HMAC_SHA2_512_256, 64, 32},
  {"AES-GCM-16-128", TCPSEC_ENCR_AES_GCM_16, 16, TCPSEC_INTEG_NONE, 0, 16},
  {"AES-GCM-16-256", TCPSEC_ENCR_AES_GCM_16, 32, TCPSEC_INTEG_NONE, 0, 16},
  {"ChaCha20-Poly1305", TCPSEC_ENCR_CHACHA20_POLY1305, 32, TCPSEC_INTEG_NONE, 0, 16},
};

static tcpsec_ike_sk_cipher *suite_cipher(const struct suite *s, uint8_t seed) {
  uint8_t key[32], salt[4], integ[64];
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_sk_cipher *c = NULL;

  memset(key, seed, sizeof(key));
  memset(salt, seed ^ 0x55, sizeof(salt));
  memset(integ, seed ^ 0xaa, sizeof(integ));
  memset(&keys, 0, sizeof(keys));
  keys.encr = s->encr;
  keys.encr_key = key;
  keys.encr_key_len = s->key_len;
  keys.integ = s->integ;
  if (s->integ != TCPSEC_INTEG_NONE) {
    keys.integ_key = integ;
    keys.integ_key_len = s->integ_len;
  } else {
    keys.salt = salt;
    keys.salt_len = sizeof(salt);
  }
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), 0);
  return c;
}

static const uint8_t auth_data[48] = {0x42};

/* IKE_AUTH-like request with IDi, AUTH, N(INITIAL_CONTACT) and an optional
 * Vendor ID of inner_extra bytes, all inside SK. */
static void build_encrypted(tcpsec_ike_sk_cipher *c, tcpsec_buf *out,
                            size_t inner_extra) {
  static const uint8_t id[] = "spoke1.example";
  tcpsec_ike_header hdr;
  tcpsec_ike_builder b;
  uint8_t vendor[600];

  memset(&hdr, 0, sizeof(hdr));
  memset(hdr.spi_i, 0x01, 8);
  memset(hdr.spi_r, 0x02, 8);
  hdr.exchange = TCPSEC_IKE_EXCH_IKE_AUTH;
  hdr.flags = TCPSEC_IKE_FLAG_INITIATOR;
  hdr.message_id = 1;
  memset(vendor, 0x77, sizeof(vendor));

  tcpsec_ike_builder_init(&b, g_ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  assert_int_equal(tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDI, TCPSEC_IKE_ID_FQDN,
                                             id, sizeof(id) - 1), 0);
  assert_int_equal(tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC,
                                               auth_data, sizeof(auth_data)), 0);
  assert_int_equal(tcpsec_ike_builder_add_notify(&b, 0, NULL, 0,
                   TCPSEC_IKE_N_INITIAL_CONTACT, NULL, 0), 0);
  if (inner_extra > 0)
    assert_int_equal(tcpsec_ike_builder_add_vendor(&b, vendor, inner_extra), 0);
  assert_int_equal(tcpsec_ike_builder_finish(&b, c, out), 0);
  tcpsec_ike_builder_free(&b);
}

static void suites_round_trip(void **state) {
  size_t i, extra;

  (void)state;
  for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
    for (extra = 0; extra < 40; extra += 13) {
      tcpsec_ike_sk_cipher *c = suite_cipher(&suites[i], (uint8_t)(i + 1));
      tcpsec_ike_msg *m = msg_new();
      tcpsec_ike_parse_error err;
      const tcpsec_ike_payload *p;
      uint8_t plain[1024];
      tcpsec_buf out, again;
      int rc;

      tcpsec_buf_init(&out, g_ctx, 1 << 16);
      build_encrypted(c, &out, extra);
      assert_int_equal(tcpsec_ike_msg_parse(m, out.data, out.len, &err), 0);
      assert_int_equal(m->count, 1);
      assert_int_equal(m->header.next_payload, TCPSEC_IKE_PT_SK);
      rc = tcpsec_ike_msg_open(c, m, out.data, out.len, plain, sizeof(plain), &err);
      if (rc != 0)
        fail_msg("%s: open failed with %s (%s)", suites[i].name,
                 tcpsec_strerror_name(rc), err.reason);
      assert_int_equal(m->count, extra > 0 ? 5 : 4);
      assert_int_equal(m->inner_index, 1);

      p = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_AUTH, 0);
      assert_non_null(p);
      assert_int_equal(p->u.auth.len, sizeof(auth_data));
      assert_memory_equal(p->u.auth.data, auth_data, sizeof(auth_data));
      assert_non_null(tcpsec_ike_msg_find_notify(m, TCPSEC_IKE_N_INITIAL_CONTACT));

      /* The outer message re-encodes exactly (SK carried raw). */
      tcpsec_buf_init(&again, g_ctx, 1 << 16);
      assert_int_equal(tcpsec_ike_msg_serialize(m, &again), 0);
      assert_int_equal(again.len, out.len);
      assert_memory_equal(again.data, out.data, out.len);

      tcpsec_buf_free(&again);
      tcpsec_buf_free(&out);
      free(m);
      tcpsec_ike_sk_cipher_free(c);
    }
  }
}

/* An empty SK (a liveness check) protects and opens. */
static void empty_sk_opens(void **state) {
  tcpsec_ike_sk_cipher *c = suite_cipher(&suites[0], 9);
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  tcpsec_ike_header hdr;
  tcpsec_ike_builder b;
  uint8_t plain[64];
  tcpsec_buf out;

  (void)state;
  memset(&hdr, 0, sizeof(hdr));
  hdr.exchange = TCPSEC_IKE_EXCH_INFORMATIONAL;
  hdr.message_id = 5;
  tcpsec_ike_builder_init(&b, g_ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_buf_init(&out, g_ctx, 1 << 16);
  assert_int_equal(tcpsec_ike_builder_finish(&b, c, &out), 0);
  tcpsec_ike_builder_free(&b);
  assert_int_equal(out.len, 28 + 4 + 16 + 16 + 16);

  assert_int_equal(tcpsec_ike_msg_parse(m, out.data, out.len, &err), 0);
  assert_int_equal(m->payloads[0].u.sk.inner_type, TCPSEC_IKE_PT_NONE);
  assert_int_equal(tcpsec_ike_msg_open(c, m, out.data, out.len, plain, sizeof(plain), &err), 0);
  assert_int_equal(m->count, 1);
  assert_int_equal(m->inner_index, 1);
  tcpsec_buf_free(&out);
  free(m);
  tcpsec_ike_sk_cipher_free(c);
}

/* ---- rejection ------------------------------------------------------------ */

static int open_copy(tcpsec_ike_sk_cipher *c, const uint8_t *data, size_t len,
                     size_t flip, tcpsec_ike_parse_error *err) {
  tcpsec_ike_msg *m = msg_new();
  uint8_t copy[2048], plain[2048];
  size_t plain_len = 99, parsed, i;
  int rc;

  memcpy(copy, data, len);
  copy[flip] ^= 0x01;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, err), 0);
  parsed = m->count;
  memset(plain, 0xee, sizeof(plain));
  rc = tcpsec_ike_sk_open(c, copy, len, m, plain, sizeof(plain), &plain_len, err);
  if (rc == TCPSEC_ERR_ICV_MISMATCH) {
    /* Nothing decrypted is left behind. */
    assert_int_equal(plain_len, 0);
    for (i = 0; i < len; i++)
      if (plain[i] != 0 && plain[i] != 0xee)
        fail_msg("plaintext byte %zu left after a bad ICV", i);
  }
  /* The message state stays as parsed. */
  assert_int_equal(m->inner_index, -1);
  assert_int_equal(m->count, parsed);
  free(m);
  return rc;
}

static void bad_icv_rejected(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
    tcpsec_ike_sk_cipher *c = suite_cipher(&suites[i], (uint8_t)(i + 1));
    tcpsec_ike_parse_error err;
    size_t icv_len = suites[i].icv_len;
    tcpsec_buf out;

    tcpsec_buf_init(&out, g_ctx, 1 << 16);
    build_encrypted(c, &out, 20);

    /* Last ICV byte, a ciphertext byte, the IV, the Message ID and the SK
     * payload header are all covered. */
    assert_int_equal(open_copy(c, out.data, out.len, out.len - 1, &err),
                     TCPSEC_ERR_ICV_MISMATCH);
    assert_int_equal(err.payload_type, TCPSEC_IKE_PT_SK);
    assert_int_equal(err.offset, out.len - icv_len);
    assert_int_equal(open_copy(c, out.data, out.len, out.len - icv_len - 1, &err),
                     TCPSEC_ERR_ICV_MISMATCH);
    assert_int_equal(open_copy(c, out.data, out.len, 32, &err), TCPSEC_ERR_ICV_MISMATCH);
    assert_int_equal(open_copy(c, out.data, out.len, 23, &err), TCPSEC_ERR_ICV_MISMATCH);
    assert_int_equal(open_copy(c, out.data, out.len, 29, &err), TCPSEC_ERR_ICV_MISMATCH);

    tcpsec_buf_free(&out);
    tcpsec_ike_sk_cipher_free(c);
  }
}

/* A clear payload before SK is covered by the ICV and the AAD. */
static void clear_payload_before_sk(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
    tcpsec_ike_sk_cipher *c = suite_cipher(&suites[i], 3);
    tcpsec_ike_msg *m = msg_new();
    tcpsec_ike_parse_error err;
    tcpsec_ike_header hdr;
    tcpsec_ike_builder b;
    uint8_t plain[256];
    tcpsec_buf out;

    memset(&hdr, 0, sizeof(hdr));
    hdr.exchange = TCPSEC_IKE_EXCH_INFORMATIONAL;
    hdr.message_id = 8;
    tcpsec_ike_builder_init(&b, g_ctx, &hdr, 0);
    assert_int_equal(tcpsec_ike_builder_add_vendor(&b, (const uint8_t *)"clear", 5), 0);
    tcpsec_ike_builder_begin_sk(&b);
    assert_int_equal(tcpsec_ike_builder_add_notify(&b, 0, NULL, 0,
                     TCPSEC_IKE_N_INITIAL_CONTACT, NULL, 0), 0);
    tcpsec_buf_init(&out, g_ctx, 1 << 16);
    assert_int_equal(tcpsec_ike_builder_finish(&b, c, &out), 0);
    tcpsec_ike_builder_free(&b);

    assert_int_equal(out.data[16], TCPSEC_IKE_PT_VENDOR);
    assert_int_equal(out.data[28], TCPSEC_IKE_PT_SK);
    assert_int_equal(tcpsec_ike_msg_parse(m, out.data, out.len, &err), 0);
    assert_int_equal(m->sk_index, 1);
    assert_int_equal(tcpsec_ike_msg_open(c, m, out.data, out.len, plain, sizeof(plain),
                                         &err), 0);
    assert_int_equal(m->count, 3);
    assert_int_equal(m->payloads[2].u.notify.type, TCPSEC_IKE_N_INITIAL_CONTACT);

    /* The clear Vendor ID is authenticated too. */
    assert_int_equal(open_copy(c, out.data, out.len, 33, &err), TCPSEC_ERR_ICV_MISMATCH);
    tcpsec_buf_free(&out);
    free(m);
    tcpsec_ike_sk_cipher_free(c);
  }
}

static void malformed_sk_rejected(void **state) {
  tcpsec_ike_sk_cipher *cbc = suite_cipher(&suites[0], 1);
  tcpsec_ike_sk_cipher *gcm = suite_cipher(&suites[3], 4);
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  uint8_t msg[256], plain[256];
  size_t plain_len, len, i;

  (void)state;
  /* Header + SK with 16 bytes: shorter than CBC's IV + block + ICV. */
  memset(msg, 0, sizeof(msg));
  msg[16] = TCPSEC_IKE_PT_SK;
  msg[17] = 0x20;
  msg[18] = TCPSEC_IKE_EXCH_INFORMATIONAL;
  len = 28 + 4 + 16;
  tcpsec_store_be32(msg + 24, (uint32_t)len);
  tcpsec_store_be16(msg + 30, 20);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(tcpsec_ike_sk_open(cbc, msg, len, m, plain, sizeof(plain),
                                      &plain_len, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_SK);
  assert_int_equal(err.offset, 28);

  /* CBC ciphertext of 17 bytes is not block aligned. */
  len = 28 + 4 + 16 + 17 + 16;
  tcpsec_store_be32(msg + 24, (uint32_t)len);
  tcpsec_store_be16(msg + 30, (uint16_t)(len - 28));
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(tcpsec_ike_sk_open(cbc, msg, len, m, plain, sizeof(plain),
                                      &plain_len, &err), TCPSEC_ERR_MALFORMED);

  /* Pad length beyond the plaintext, with a valid ICV. */
  len = 28 + 4 + 8 + 16 + 16;
  tcpsec_store_be32(msg + 24, (uint32_t)len);
  tcpsec_store_be16(msg + 30, (uint16_t)(len - 28));
  for (i = 0; i < 16; i++)
    msg[40 + i] = 0xc8; /* pad length 200 */
  assert_int_equal(tcpsec_ike_sk_seal(gcm, msg, len, 28, 0, NULL), 0);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(tcpsec_ike_sk_open(gcm, msg, len, m, plain, sizeof(plain),
                                      &plain_len, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.offset, 40);
  assert_int_equal(plain_len, 0);

  /* Plaintext buffer smaller than the ciphertext. */
  assert_int_equal(tcpsec_ike_sk_open(gcm, msg, len, m, plain, 15, &plain_len, &err),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);

  /* No SK payload at all. */
  msg[16] = TCPSEC_IKE_PT_VENDOR;
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(tcpsec_ike_sk_open(gcm, msg, len, m, plain, sizeof(plain),
                                      &plain_len, &err), TCPSEC_ERR_INVALID_STATE);
  free(m);
  tcpsec_ike_sk_cipher_free(cbc);
  tcpsec_ike_sk_cipher_free(gcm);
}

static void cipher_rejects_bad_keys(void **state) {
  uint8_t key[32] = {0}, salt[4] = {0};
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_sk_cipher *c = NULL;

  (void)state;
  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_AES_GCM_16;
  keys.encr_key = key;
  keys.encr_key_len = 16;
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(c);

  keys.salt = salt;
  keys.salt_len = 4;
  keys.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_INVALID_ARGUMENT);

  keys.integ = TCPSEC_INTEG_NONE;
  keys.encr_key_len = 20;
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_INVALID_KEY_LENGTH);

  keys.encr = TCPSEC_ENCR_AES_CBC;
  keys.encr_key_len = 16;
  keys.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  keys.integ_key = key;
  keys.integ_key_len = 20;
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_INVALID_KEY_LENGTH);

  keys.integ = 2; /* HMAC-SHA1-96: not implemented */
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_UNKNOWN_ALGORITHM);

  keys.encr = 3; /* 3DES */
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_null(c);
  tcpsec_ike_sk_cipher_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rfc7634_decrypts),
    cmocka_unit_test(rfc7634_reencrypts),
    cmocka_unit_test(suites_round_trip),
    cmocka_unit_test(empty_sk_opens),
    cmocka_unit_test(bad_icv_rejected),
    cmocka_unit_test(clear_payload_before_sk),
    cmocka_unit_test(malformed_sk_rejected),
    cmocka_unit_test(cipher_rejects_bad_keys),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
