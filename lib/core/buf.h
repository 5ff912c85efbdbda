/*
 * Growable byte buffer for building messages. Allocation goes through the
 * context; the data path does not use it (it works on caller buffers).
 */
#ifndef TCPSEC_CORE_BUF_H
#define TCPSEC_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/core.h"

typedef struct tcpsec_buf {
  tcpsec_ctx *ctx;
  uint8_t *data;
  size_t len;
  size_t cap;
  /* Upper bound on len; appends beyond it fail with TCPSEC_ERR_LIMIT. */
  size_t max;
} tcpsec_buf;

void tcpsec_buf_init(tcpsec_buf *b, tcpsec_ctx *ctx, size_t max);
/* Make room for `extra` more bytes. */
int tcpsec_buf_reserve(tcpsec_buf *b, size_t extra);
int tcpsec_buf_append(tcpsec_buf *b, const void *data, size_t len);
int tcpsec_buf_append_u8(tcpsec_buf *b, uint8_t v);
int tcpsec_buf_append_be16(tcpsec_buf *b, uint16_t v);
int tcpsec_buf_append_be32(tcpsec_buf *b, uint32_t v);
int tcpsec_buf_append_be64(tcpsec_buf *b, uint64_t v);
/* Append `len` zero bytes and return a pointer to them through `out`. */
int tcpsec_buf_append_zero(tcpsec_buf *b, size_t len, uint8_t **out);
void tcpsec_buf_reset(tcpsec_buf *b);
/* Free the storage; wipes it first, as buffers may hold key material. */
void tcpsec_buf_free(tcpsec_buf *b);

#endif /* TCPSEC_CORE_BUF_H */
