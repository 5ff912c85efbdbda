/*
 * Fuzz target for ESP open and the inner packet parser.
 *
 * Input: one selector byte, then an ESP packet. The selector picks the
 * inbound SA (fixed test keys, SPI 0x00000100): bits 0-1 the transform
 * (AES-GCM-128, ChaCha20-Poly1305, AES-CBC-128 with HMAC-SHA2-256-128,
 * AES-CBC-256 with HMAC-SHA2-512-256), bit 2 ESN. A fresh SA opens every
 * input, once into a separate buffer and once in place, so inputs do not
 * depend on each other. The packet bytes also go through the parser that
 * reads traffic selector fields from inner packets.
 *
 * The seed corpus (corpus/esp_open/) contains valid packets for these keys
 * with sequence number 1 and truncated copies of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sa/sa_internal.h"
#include "tcpsec/tcpsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[68] = {
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
  0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
  0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
  0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
  0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
  0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53};

static tcpsec_ctx *fuzz_ctx(void) {
  static tcpsec_ctx *ctx;

  if (ctx == NULL && tcpsec_ctx_new(NULL, &ctx) != 0)
    abort();
  return ctx;
}

static void fuzz_config(uint8_t selector, tcpsec_esp_sa_config *cfg) {
  tcpsec_esp_sa_config_default(cfg);
  cfg->spi = 0x100;
  cfg->direction = TCPSEC_ESP_INBOUND;
  cfg->esn = (selector & 4) != 0;
  cfg->encr_key = fuzz_key;
  switch (selector & 3) {
  case 0:
    cfg->encr = TCPSEC_ENCR_AES_GCM_16;
    cfg->encr_key_len = 20;
    break;
  case 1:
    cfg->encr = TCPSEC_ENCR_CHACHA20_POLY1305;
    cfg->encr_key_len = 36;
    break;
  case 2:
    cfg->encr = TCPSEC_ENCR_AES_CBC;
    cfg->encr_key_len = 16;
    cfg->integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
    cfg->integ_key = fuzz_key + 4;
    cfg->integ_key_len = 32;
    break;
  default:
    cfg->encr = TCPSEC_ENCR_AES_CBC;
    cfg->encr_key_len = 32;
    cfg->integ = TCPSEC_INTEG_HMAC_SHA2_512_256;
    cfg->integ_key = fuzz_key + 4;
    cfg->integ_key_len = 64;
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;
  tcpsec_flow flow;
  uint8_t *copy, *out;
  size_t len, hdr;
  ptrdiff_t n;

  if (size < 1)
    return 0;
  len = size - 1;
  (void)tcpsec_flow_parse(data + 1, len, &flow);

  fuzz_config(data[0], &cfg);
  if (tcpsec_esp_sa_new(fuzz_ctx(), &cfg, 0, &sa) != 0)
    abort();
  hdr = tcpsec_esp_sa_headroom(sa);

  /* Into a separate buffer of exactly the packet's size. */
  copy = malloc(len + 1);
  out = malloc(len + 1);
  if (copy == NULL || out == NULL)
    abort();
  memcpy(copy, data + 1, len);
  n = tcpsec_esp_sa_open(sa, copy, len, out, len, 1, NULL);
  if (n > (ptrdiff_t)len)
    abort();

  /* In place, on a fresh SA so the replay window does not interfere. */
  tcpsec_esp_sa_free(sa);
  sa = NULL;
  if (tcpsec_esp_sa_new(fuzz_ctx(), &cfg, 0, &sa) != 0)
    abort();
  memcpy(copy, data + 1, len);
  if (len > hdr) {
    n = tcpsec_esp_sa_open(sa, copy, len, copy + hdr, len - hdr, 1, NULL);
    if (n > (ptrdiff_t)(len - hdr))
      abort();
  }

  tcpsec_esp_sa_free(sa);
  free(copy);
  free(out);
  return 0;
}
