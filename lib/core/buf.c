/* Growable byte buffer. */
#include <string.h>

#include "core/buf.h"
#include "core/ctx.h"
#include "core/util.h"

void tcpsec_buf_init(tcpsec_buf *b, tcpsec_ctx *ctx, size_t max) {
  b->ctx = ctx;
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

/* Grows by doubling; the old block is wiped before it is freed because
 * buffers carry decrypted payloads and key material. */
int tcpsec_buf_reserve(tcpsec_buf *b, size_t extra) {
  size_t need, cap;
  uint8_t *p;

  if (extra > b->max || b->len > b->max - extra)
    return TCPSEC_ERR_LIMIT;
  need = b->len + extra;
  if (need <= b->cap)
    return 0;
  cap = b->cap != 0 ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > b->max)
    cap = b->max;
  p = tcpsec_malloc(b->ctx, cap);
  if (p == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  if (b->data != NULL) {
    memcpy(p, b->data, b->len);
    tcpsec_free_secret(b->ctx, b->data, b->cap);
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

int tcpsec_buf_append(tcpsec_buf *b, const void *data, size_t len) {
  int rv = tcpsec_buf_reserve(b, len);

  if (rv != 0)
    return rv;
  if (len != 0)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

int tcpsec_buf_append_u8(tcpsec_buf *b, uint8_t v) {
  return tcpsec_buf_append(b, &v, 1);
}

int tcpsec_buf_append_be16(tcpsec_buf *b, uint16_t v) {
  uint8_t t[2];

  tcpsec_store_be16(t, v);
  return tcpsec_buf_append(b, t, sizeof(t));
}

int tcpsec_buf_append_be32(tcpsec_buf *b, uint32_t v) {
  uint8_t t[4];

  tcpsec_store_be32(t, v);
  return tcpsec_buf_append(b, t, sizeof(t));
}

int tcpsec_buf_append_be64(tcpsec_buf *b, uint64_t v) {
  uint8_t t[8];

  tcpsec_store_be64(t, v);
  return tcpsec_buf_append(b, t, sizeof(t));
}

int tcpsec_buf_append_zero(tcpsec_buf *b, size_t len, uint8_t **out) {
  int rv = tcpsec_buf_reserve(b, len);

  if (rv != 0)
    return rv;
  memset(b->data + b->len, 0, len);
  if (out != NULL)
    *out = b->data + b->len;
  b->len += len;
  return 0;
}

void tcpsec_buf_reset(tcpsec_buf *b) {
  if (b->data != NULL)
    tcpsec_zeroize(b->data, b->len);
  b->len = 0;
}

void tcpsec_buf_free(tcpsec_buf *b) {
  tcpsec_free_secret(b->ctx, b->data, b->cap);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}
