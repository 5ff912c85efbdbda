/*
 * libFuzzer target for IKEv2 message parsing: the clear chain, SK
 * verification and decryption with fixed keys (AES-CBC-256 with
 * HMAC-SHA2-256-128, and ChaCha20-Poly1305), and the inner chain.
 *
 * Invariant checked beyond "no crash, no leak": the canonical encoding is
 * a fixed point, so parsing what tcpsec_ike_msg_serialize() wrote and
 * serializing it again gives the same bytes.
 *
 * The seed corpus (corpus/ike_message/) contains messages built by tcpsec
 * with these keys, so the fuzzer starts past the ICV check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ike/message.h"

/* Fixed keys of the seed corpus; see fuzz_keys() for their bytes. */
struct fuzz_state {
  tcpsec_ctx *ctx;
  tcpsec_ike_sk_cipher *cbc;
  tcpsec_ike_sk_cipher *chacha;
  tcpsec_ike_msg msg;
  tcpsec_ike_msg again;
  uint8_t plain[65536];
};

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0x5c, len);
  return 0;
}

static struct fuzz_state *fuzz_init(void) {
  static struct fuzz_state *st;
  uint8_t encr[32], integ[32], salt[4];
  tcpsec_ctx_config cfg;
  tcpsec_ike_sk_keys keys;

  if (st != NULL)
    return st;
  st = calloc(1, sizeof(*st));
  if (st == NULL)
    abort();
  tcpsec_ctx_config_default(&cfg);
  cfg.random = fixed_random;
  if (tcpsec_ctx_new(&cfg, &st->ctx) != 0)
    abort();

  /* Key bytes 0x01.., integrity key 0x41.., salt 0x71.. */
  for (size_t i = 0; i < 32; i++) {
    encr[i] = (uint8_t)(0x01 + i);
    integ[i] = (uint8_t)(0x41 + i);
  }
  for (size_t i = 0; i < 4; i++)
    salt[i] = (uint8_t)(0x71 + i);

  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_AES_CBC;
  keys.encr_key = encr;
  keys.encr_key_len = 32;
  keys.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  keys.integ_key = integ;
  keys.integ_key_len = 32;
  if (tcpsec_ike_sk_cipher_new(st->ctx, &keys, &st->cbc) != 0)
    abort();

  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_CHACHA20_POLY1305;
  keys.encr_key = encr;
  keys.encr_key_len = 32;
  keys.salt = salt;
  keys.salt_len = 4;
  if (tcpsec_ike_sk_cipher_new(st->ctx, &keys, &st->chacha) != 0)
    abort();
  return st;
}

/* serialize(parse(canonical)) == canonical */
static void check_canonical_fixed_point(struct fuzz_state *st) {
  tcpsec_buf first, second;
  tcpsec_ike_parse_error err;

  tcpsec_buf_init(&first, st->ctx, 1 << 20);
  tcpsec_buf_init(&second, st->ctx, 1 << 20);
  if (tcpsec_ike_msg_serialize(&st->msg, &first) != 0)
    abort();
  if (tcpsec_ike_msg_parse(&st->again, first.data, first.len, &err) != 0)
    abort();
  if (tcpsec_ike_msg_serialize(&st->again, &second) != 0)
    abort();
  if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
    abort();
  tcpsec_buf_free(&first);
  tcpsec_buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_state *st = fuzz_init();
  tcpsec_ike_parse_error err;
  tcpsec_buf inner;
  size_t plain_len;

  if (tcpsec_ike_msg_parse(&st->msg, data, size, &err) != 0)
    return 0;
  check_canonical_fixed_point(st);
  if (st->msg.sk_index < 0)
    return 0;

  /* Try both fixed keys; at most one can verify. */
  if (tcpsec_ike_sk_open(st->cbc, data, size, &st->msg, st->plain,
                         sizeof(st->plain), &plain_len, &err) != 0 &&
      tcpsec_ike_sk_open(st->chacha, data, size, &st->msg, st->plain,
                         sizeof(st->plain), &plain_len, &err) != 0)
    return 0;
  if (tcpsec_ike_msg_parse_inner(&st->msg,
                                 st->msg.payloads[st->msg.sk_index].u.sk.inner_type,
                                 st->plain, plain_len, &err) != 0)
    return 0;

  tcpsec_buf_init(&inner, st->ctx, 1 << 20);
  if (tcpsec_ike_msg_serialize_inner(&st->msg, &inner) != 0)
    abort();
  tcpsec_buf_free(&inner);
  return 0;
}
