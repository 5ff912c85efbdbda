/*
 * libFuzzer target for IKE fragment reassembly (RFC 7383). The input is a
 * sequence of records, each a 2-byte big-endian length and one IKE
 * message. Every message is parsed. SKF messages are opened with the fixed
 * ChaCha20-Poly1305 key of the seed corpus (key bytes 0x01.., salt 0x71..)
 * and handed to one reassembly with small limits. A complete set is parsed
 * as inner payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/message.h"

struct fuzz_state {
  tcpsec_ctx *ctx;
  tcpsec_ike_sk_cipher *chacha;
  tcpsec_ike_msg msg;
  uint8_t plain[65536];
};

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0x5c, len);
  return 0;
}

static struct fuzz_state *fuzz_init(void) {
  static struct fuzz_state *st;
  uint8_t encr[32], salt[4];
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
  for (size_t i = 0; i < 32; i++)
    encr[i] = (uint8_t)(0x01 + i);
  for (size_t i = 0; i < 4; i++)
    salt[i] = (uint8_t)(0x71 + i);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_state *st = fuzz_init();
  tcpsec_ike_frag_config cfg;
  tcpsec_ike_frag_reasm *r = NULL;
  size_t pos = 0;

  cfg.max_fragments = 8;
  cfg.max_total_bytes = 4096;
  if (tcpsec_ike_frag_reasm_new(st->ctx, &cfg, &r) != 0)
    abort();

  while (size - pos >= 2) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    const uint8_t *msg = data + pos + 2;
    tcpsec_ike_parse_error err;
    const uint8_t *out;
    size_t plain_len, out_len;
    uint8_t first;
    int rc;

    if (len > size - pos - 2)
      break;
    pos += 2 + len;
    if (tcpsec_ike_msg_parse(&st->msg, msg, len, &err) != 0 || st->msg.sk_index < 0)
      continue;
    if (tcpsec_ike_sk_open(st->chacha, msg, len, &st->msg, st->plain,
                           sizeof(st->plain), &plain_len, &err) != 0)
      continue;
    rc = tcpsec_ike_frag_reasm_add(r, &st->msg, st->plain, plain_len, &out,
                                   &out_len, &first, &err);
    if (rc == 1) {
      if (out_len > cfg.max_total_bytes)
        abort();
      st->msg.inner_index = -1;
      rc = tcpsec_ike_msg_parse_inner(&st->msg, first, out, out_len, &err);
      (void)rc;
    }
  }
  tcpsec_ike_frag_reasm_free(r);
  return 0;
}
