/*
 * Unit tests for IKE fragmentation (RFC 7383): building fragments for a
 * fragment size and reassembly in any order. The reassembly must reject
 * fragment numbers 0 or above the total, duplicates, older Message IDs,
 * smaller totals, misplaced Next Payload fields and sets beyond the limits.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/buf.h"
#include "core/util.h"
#include "ike/message.h"

static tcpsec_ctx *g_ctx;
static test_rng g_rng;

static int group_setup(void **state) {
  (void)state;
  g_ctx = test_ctx_new(&g_rng, 7383);
  return g_ctx != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(g_ctx);
  return 0;
}

static tcpsec_ike_sk_cipher *gcm_cipher(void) {
  uint8_t key[16], salt[4];
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_sk_cipher *c = NULL;

  memset(key, 0x3c, sizeof(key));
  memset(salt, 0x5a, sizeof(salt));
  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_AES_GCM_16;
  keys.encr_key = key;
  keys.encr_key_len = sizeof(key);
  keys.salt = salt;
  keys.salt_len = sizeof(salt);
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), 0);
  return c;
}

static tcpsec_ike_sk_cipher *cbc_cipher(void) {
  uint8_t key[32], integ[32];
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_sk_cipher *c = NULL;

  memset(key, 0x11, sizeof(key));
  memset(integ, 0x22, sizeof(integ));
  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_AES_CBC;
  keys.encr_key = key;
  keys.encr_key_len = sizeof(key);
  keys.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  keys.integ_key = integ;
  keys.integ_key_len = sizeof(integ);
  assert_int_equal(tcpsec_ike_sk_cipher_new(g_ctx, &keys, &c), 0);
  return c;
}

/* A 3000-byte certificate makes an IKE_AUTH message worth fragmenting. */
static uint8_t cert_data[3000];

static void builder_start(tcpsec_ike_builder *b, uint32_t message_id) {
  tcpsec_ike_header hdr;

  memset(&hdr, 0, sizeof(hdr));
  memset(hdr.spi_i, 0xa1, 8);
  memset(hdr.spi_r, 0xb2, 8);
  hdr.exchange = TCPSEC_IKE_EXCH_IKE_AUTH;
  hdr.flags = TCPSEC_IKE_FLAG_INITIATOR;
  hdr.message_id = message_id;
  tcpsec_ike_builder_init(b, g_ctx, &hdr, 0);
}

static void add_inner(tcpsec_ike_builder *b) {
  static const uint8_t id[] = "spoke7.example";
  size_t i;

  for (i = 0; i < sizeof(cert_data); i++)
    cert_data[i] = (uint8_t)(i * 7);
  tcpsec_ike_builder_begin_sk(b);
  assert_int_equal(tcpsec_ike_builder_add_id(b, TCPSEC_IKE_PT_IDI, TCPSEC_IKE_ID_FQDN,
                                             id, sizeof(id) - 1), 0);
  assert_int_equal(tcpsec_ike_builder_add_cert(b, TCPSEC_IKE_CERT_X509_SIGNATURE,
                                               cert_data, sizeof(cert_data)), 0);
  assert_int_equal(tcpsec_ike_builder_add_auth(b, TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE,
                                               cert_data, 64), 0);
}

/* Fragments of one message, parsed and opened, ready for reassembly. */
struct fragment {
  tcpsec_ike_msg *msg;
  uint8_t *plain;
  size_t plain_len;
};

struct fragment_set {
  tcpsec_buf wire;
  size_t lens[64];
  size_t count;
  struct fragment frags[64];
};

static void make_fragments(tcpsec_ike_sk_cipher *c, uint32_t message_id,
                           size_t max_len, int with_clear,
                           struct fragment_set *set) {
  tcpsec_ike_builder b;
  size_t i, offset = 0;

  builder_start(&b, message_id);
  if (with_clear)
    assert_int_equal(tcpsec_ike_builder_add_vendor(&b, (const uint8_t *)"clear", 5), 0);
  add_inner(&b);
  tcpsec_buf_init(&set->wire, g_ctx, 1 << 20);
  assert_int_equal(tcpsec_ike_builder_finish_fragments(&b, c, max_len, &set->wire,
                   set->lens, 64, &set->count), 0);
  tcpsec_ike_builder_free(&b);

  for (i = 0; i < set->count; i++) {
    struct fragment *f = &set->frags[i];
    const uint8_t *data = set->wire.data + offset;
    tcpsec_ike_parse_error err;

    assert_true(set->lens[i] <= max_len);
    f->msg = calloc(1, sizeof(*f->msg));
    f->plain = malloc(set->lens[i]);
    assert_non_null(f->msg);
    assert_non_null(f->plain);
    assert_int_equal(tcpsec_ike_msg_parse(f->msg, data, set->lens[i], &err), 0);
    assert_int_equal(f->msg->payloads[f->msg->sk_index].type, TCPSEC_IKE_PT_SKF);
    assert_int_equal(f->msg->payloads[f->msg->sk_index].u.sk.fragment_number, i + 1);
    assert_int_equal(f->msg->payloads[f->msg->sk_index].u.sk.total_fragments, set->count);
    assert_int_equal(tcpsec_ike_sk_open(c, data, set->lens[i], f->msg, f->plain,
                                        set->lens[i], &f->plain_len, &err), 0);
    offset += set->lens[i];
  }
}

static void free_fragments(struct fragment_set *set) {
  size_t i;

  for (i = 0; i < set->count; i++) {
    free(set->frags[i].msg);
    free(set->frags[i].plain);
  }
  tcpsec_buf_free(&set->wire);
}

static int add(tcpsec_ike_frag_reasm *r, const struct fragment *f,
               const uint8_t **out, size_t *out_len, uint8_t *first,
               tcpsec_ike_parse_error *err) {
  return tcpsec_ike_frag_reasm_add(r, f->msg, f->plain, f->plain_len, out, out_len,
                                   first, err);
}

/* The reassembled plaintext parses into the original inner payloads. */
static void assert_reassembled(const struct fragment_set *set,
                               const uint8_t *plain, size_t len, uint8_t first) {
  tcpsec_ike_msg *m = calloc(1, sizeof(*m));
  tcpsec_ike_parse_error err;
  const tcpsec_ike_payload *cert;

  assert_non_null(m);
  assert_int_equal(first, TCPSEC_IKE_PT_IDI);
  assert_int_equal(tcpsec_ike_msg_parse(m, set->wire.data, set->lens[0], &err), 0);
  assert_int_equal(tcpsec_ike_msg_parse_inner(m, first, plain, len, &err), 0);
  cert = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_CERT, 0);
  assert_non_null(cert);
  assert_int_equal(cert->u.cert.len, sizeof(cert_data));
  assert_memory_equal(cert->u.cert.data, cert_data, sizeof(cert_data));
  assert_non_null(tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_AUTH, 0));
  free(m);
}

static void fragments_reassemble_in_any_order(void **state) {
  tcpsec_ike_sk_cipher *ciphers[2];
  size_t k;

  (void)state;
  ciphers[0] = gcm_cipher();
  ciphers[1] = cbc_cipher();
  for (k = 0; k < 2; k++) {
    struct fragment_set set;
    tcpsec_ike_frag_config cfg;
    tcpsec_ike_frag_reasm *r = NULL;
    tcpsec_ike_parse_error err;
    const uint8_t *out = NULL;
    size_t out_len = 0, i;
    uint8_t first = 0;

    make_fragments(ciphers[k], 1, 548, 0, &set);
    assert_true(set.count >= 6);
    tcpsec_ike_frag_config_default(&cfg);
    assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);

    /* Last first, then the rest backwards. */
    for (i = set.count; i-- > 1;)
      assert_int_equal(add(r, &set.frags[i], &out, &out_len, &first, &err), 0);
    assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err), 1);
    assert_reassembled(&set, out, out_len, first);

    /* In order, with the same object again. */
    for (i = 0; i + 1 < set.count; i++)
      assert_int_equal(add(r, &set.frags[i], &out, &out_len, &first, &err), 0);
    assert_int_equal(add(r, &set.frags[set.count - 1], &out, &out_len, &first, &err), 1);
    assert_reassembled(&set, out, out_len, first);

    tcpsec_ike_frag_reasm_free(r);
    free_fragments(&set);
    tcpsec_ike_sk_cipher_free(ciphers[k]);
  }
}

/* Clear payloads travel in fragment 1 only (RFC 7383 section 2.5.3). */
static void clear_payloads_in_first_fragment(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  struct fragment_set set;
  size_t i;

  (void)state;
  make_fragments(c, 3, 1280, 1, &set);
  assert_true(set.count >= 3);
  assert_int_equal(set.frags[0].msg->count, 2);
  assert_int_equal(set.frags[0].msg->payloads[0].type, TCPSEC_IKE_PT_VENDOR);
  assert_int_equal(set.frags[0].msg->header.next_payload, TCPSEC_IKE_PT_VENDOR);
  for (i = 1; i < set.count; i++) {
    assert_int_equal(set.frags[i].msg->count, 1);
    assert_int_equal(set.frags[i].msg->header.next_payload, TCPSEC_IKE_PT_SKF);
    assert_int_equal(set.frags[i].msg->payloads[0].u.sk.inner_type, TCPSEC_IKE_PT_NONE);
  }
  free_fragments(&set);
  tcpsec_ike_sk_cipher_free(c);
}

static void fragment_size_too_small(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  tcpsec_ike_builder b;
  tcpsec_buf out;
  size_t lens[4], count = 9;

  (void)state;
  builder_start(&b, 1);
  add_inner(&b);
  tcpsec_buf_init(&out, g_ctx, 1 << 20);
  /* Header, SKF header, IV, pad length and ICV leave nothing. */
  assert_int_equal(tcpsec_ike_builder_finish_fragments(&b, c, 28 + 8 + 8 + 16, &out,
                   lens, 4, &count), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(count, 0);
  /* More fragments than the caller has room for. */
  assert_int_equal(tcpsec_ike_builder_finish_fragments(&b, c, 576, &out, lens, 4, &count),
                   TCPSEC_ERR_LIMIT);
  assert_int_equal(out.len, 0);
  tcpsec_ike_builder_free(&b);
  tcpsec_buf_free(&out);
  tcpsec_ike_sk_cipher_free(c);
}

static void duplicate_fragment_rejected(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  struct fragment_set set;
  tcpsec_ike_frag_config cfg;
  tcpsec_ike_frag_reasm *r = NULL;
  tcpsec_ike_parse_error err;
  const uint8_t *out = NULL;
  size_t out_len = 0, i;
  uint8_t first = 0;

  (void)state;
  make_fragments(c, 1, 1024, 0, &set);
  tcpsec_ike_frag_config_default(&cfg);
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);

  assert_int_equal(add(r, &set.frags[1], &out, &out_len, &first, &err), 0);
  assert_int_equal(add(r, &set.frags[1], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  assert_int_equal(err.code, TCPSEC_ERR_FRAGMENT);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_SKF);
  assert_int_equal(err.offset, 28);
  assert_string_equal(err.reason, "duplicate fragment");

  /* The rejected duplicate left the set intact: the rest completes it. */
  assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err),
                   set.count == 2 ? 1 : 0);
  for (i = 2; i < set.count; i++)
    assert_int_equal(add(r, &set.frags[i], &out, &out_len, &first, &err),
                     i + 1 == set.count ? 1 : 0);
  assert_reassembled(&set, out, out_len, first);
  tcpsec_ike_frag_reasm_free(r);
  free_fragments(&set);
  tcpsec_ike_sk_cipher_free(c);
}

/* Mutate the SKF fields of a parsed fragment; the reassembly must check
 * them itself, as a caller may hand it messages from any parser. */
static void bad_fragment_fields_rejected(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  struct fragment_set set;
  tcpsec_ike_frag_config cfg;
  tcpsec_ike_frag_reasm *r = NULL;
  tcpsec_ike_parse_error err;
  const uint8_t *out = NULL;
  size_t out_len = 0;
  uint8_t first = 0;
  tcpsec_ike_sk *sk;
  tcpsec_ike_sk saved;

  (void)state;
  make_fragments(c, 4, 1024, 0, &set);
  assert_true(set.count >= 3);
  tcpsec_ike_frag_config_default(&cfg);
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);
  assert_int_equal(add(r, &set.frags[1], &out, &out_len, &first, &err), 0);

  sk = &set.frags[2].msg->payloads[0].u.sk;
  saved = *sk;

  sk->fragment_number = 0;
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  sk->fragment_number = (uint16_t)(set.count + 1);
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  *sk = saved;
  sk->total_fragments = 0;
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  *sk = saved;
  sk->inner_type = TCPSEC_IKE_PT_NOTIFY;
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  *sk = saved;
  sk->total_fragments = (uint16_t)(set.count - 1);
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  assert_string_equal(err.reason, "Total Fragments smaller than the set's");
  *sk = saved;

  /* Fragment 1 without the first inner type. */
  set.frags[0].msg->payloads[0].u.sk.inner_type = 0;
  assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  set.frags[0].msg->payloads[0].u.sk.inner_type = TCPSEC_IKE_PT_IDI;

  /* An older Message ID is rejected; the set survives all of this. */
  set.frags[2].msg->header.message_id = 3;
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_FRAGMENT);
  assert_string_equal(err.reason, "fragment of an older Message ID");
  set.frags[2].msg->header.message_id = 4;

  {
    size_t i;
    int rc = 0;
    assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err), 0);
    for (i = 2; i < set.count; i++)
      rc = add(r, &set.frags[i], &out, &out_len, &first, &err);
    assert_int_equal(rc, 1);
  }
  assert_reassembled(&set, out, out_len, first);
  tcpsec_ike_frag_reasm_free(r);
  free_fragments(&set);
  tcpsec_ike_sk_cipher_free(c);
}

/* A larger total starts the set over; a newer Message ID too. */
static void newer_set_replaces_older(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  struct fragment_set big, small, next;
  tcpsec_ike_frag_config cfg;
  tcpsec_ike_frag_reasm *r = NULL;
  tcpsec_ike_parse_error err;
  const uint8_t *out = NULL;
  size_t out_len = 0, i;
  uint8_t first = 0;
  int rc = 0;

  (void)state;
  make_fragments(c, 2, 1280, 0, &big);
  make_fragments(c, 2, 576, 0, &small);
  make_fragments(c, 3, 1024, 0, &next);
  assert_true(small.count > big.count);
  tcpsec_ike_frag_config_default(&cfg);
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);

  /* Part of the first set, then the re-fragmented one completes alone. */
  assert_int_equal(add(r, &big.frags[0], &out, &out_len, &first, &err), 0);
  for (i = 0; i < small.count; i++)
    rc = add(r, &small.frags[i], &out, &out_len, &first, &err);
  assert_int_equal(rc, 1);
  assert_reassembled(&small, out, out_len, first);

  /* A fragment of the first set now starts over; the newer ID wins. */
  assert_int_equal(add(r, &big.frags[1], &out, &out_len, &first, &err), 0);
  for (i = 0; i < next.count; i++)
    rc = add(r, &next.frags[i], &out, &out_len, &first, &err);
  assert_int_equal(rc, 1);
  assert_reassembled(&next, out, out_len, first);

  tcpsec_ike_frag_reasm_free(r);
  free_fragments(&big);
  free_fragments(&small);
  free_fragments(&next);
  tcpsec_ike_sk_cipher_free(c);
}

static void reassembly_limits(void **state) {
  tcpsec_ike_sk_cipher *c = gcm_cipher();
  struct fragment_set set;
  tcpsec_ike_frag_config cfg;
  tcpsec_ike_frag_reasm *r = NULL;
  tcpsec_ike_parse_error err;
  const uint8_t *out = NULL;
  size_t out_len = 0;
  uint8_t first = 0;

  (void)state;
  make_fragments(c, 1, 576, 0, &set);

  /* Fewer fragments allowed than the set has. */
  cfg.max_fragments = (uint16_t)(set.count - 1);
  cfg.max_total_bytes = 65536;
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);
  assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err), TCPSEC_ERR_LIMIT);
  tcpsec_ike_frag_reasm_free(r);

  /* Fewer bytes allowed than the set carries. */
  cfg.max_fragments = 32;
  cfg.max_total_bytes = 1200;
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);
  assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err), 0);
  assert_int_equal(add(r, &set.frags[1], &out, &out_len, &first, &err), 0);
  assert_int_equal(add(r, &set.frags[2], &out, &out_len, &first, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.reason, "fragments exceed the configured byte limit");
  tcpsec_ike_frag_reasm_reset(r);
  tcpsec_ike_frag_reasm_free(r);

  cfg.max_fragments = 0;
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_ike_frag_reasm_free(NULL);

  /* A message without SKF is not a fragment. */
  cfg.max_fragments = 32;
  assert_int_equal(tcpsec_ike_frag_reasm_new(g_ctx, &cfg, &r), 0);
  set.frags[0].msg->sk_index = -1;
  assert_int_equal(add(r, &set.frags[0], &out, &out_len, &first, &err),
                   TCPSEC_ERR_INVALID_STATE);
  set.frags[0].msg->sk_index = 0;
  tcpsec_ike_frag_reasm_free(r);
  free_fragments(&set);
  tcpsec_ike_sk_cipher_free(c);
}

/* A fragment with a broken ICV never reaches the reassembly. */
static void fragment_icv_checked(void **state) {
  tcpsec_ike_sk_cipher *c = cbc_cipher();
  struct fragment_set set;
  tcpsec_ike_parse_error err;
  tcpsec_ike_msg *m = calloc(1, sizeof(*m));
  uint8_t plain[2048];
  size_t plain_len;

  (void)state;
  assert_non_null(m);
  make_fragments(c, 1, 700, 0, &set);
  set.wire.data[35] ^= 1; /* low byte of fragment 1's Total Fragments */
  assert_int_equal(tcpsec_ike_msg_parse(m, set.wire.data, set.lens[0], &err), 0);
  assert_int_equal(tcpsec_ike_sk_open(c, set.wire.data, set.lens[0], m, plain,
                                      sizeof(plain), &plain_len, &err),
                   TCPSEC_ERR_ICV_MISMATCH);
  assert_int_equal(tcpsec_ike_msg_open(c, m, set.wire.data, set.lens[0], plain,
                                       sizeof(plain), &err), TCPSEC_ERR_FRAGMENT);
  free(m);
  free_fragments(&set);
  tcpsec_ike_sk_cipher_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fragments_reassemble_in_any_order),
    cmocka_unit_test(clear_payloads_in_first_fragment),
    cmocka_unit_test(fragment_size_too_small),
    cmocka_unit_test(duplicate_fragment_rejected),
    cmocka_unit_test(bad_fragment_fields_rejected),
    cmocka_unit_test(newer_set_replaces_older),
    cmocka_unit_test(reassembly_limits),
    cmocka_unit_test(fragment_icv_checked),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
