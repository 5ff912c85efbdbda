/*
 * Fuzz target for the RFC 9329 stream framer.
 *
 * Input: byte 0 picks the role (bit 0) and the chunk-size seed (bits 1-7);
 * the rest is the TCP byte stream. The same bytes go through one stream in
 * a single chunk (pull form) and through another in pseudo-random chunks
 * (push form). Both must produce the same messages and end in the same
 * state. Every message is then framed again with the output functions and
 * must parse back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsec/tcpsec.h"

struct record {
  size_t count;
  size_t used;
  size_t cap;
  uint8_t *bytes; /* per message: kind, 2-byte length, data */
};

static void record_add(struct record *r, tcpsec_encap_kind kind,
                       const uint8_t *msg, size_t len) {
  if (r->used + 3 + len > r->cap)
    abort(); /* messages cannot exceed the input that carried them */
  r->bytes[r->used] = (uint8_t)kind;
  r->bytes[r->used + 1] = (uint8_t)(len >> 8);
  r->bytes[r->used + 2] = (uint8_t)len;
  memcpy(r->bytes + r->used + 3, msg, len);
  r->used += 3 + len;
  r->count++;
}

static int record_cb(void *user, tcpsec_encap_kind kind, const uint8_t *msg,
                     size_t len) {
  if (kind != TCPSEC_ENCAP_IKE && kind != TCPSEC_ENCAP_ESP)
    abort();
  if ((kind == TCPSEC_ENCAP_IKE && len < TCPSEC_IKE_HEADER_LEN) ||
      (kind == TCPSEC_ENCAP_ESP && len < TCPSEC_ESP_MIN_LEN))
    abort();
  record_add(user, kind, msg, len);
  return 0;
}

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0x5a, len);
  return 0;
}

static tcpsec_ctx *fuzz_ctx(void) {
  static tcpsec_ctx *ctx;
  tcpsec_ctx_config cfg;

  if (ctx == NULL) {
    tcpsec_ctx_config_default(&cfg);
    cfg.random = fixed_random;
    if (tcpsec_ctx_new(&cfg, &ctx) != 0)
      abort();
  }
  return ctx;
}

static int is_fatal(int rv) {
  return rv == TCPSEC_ERR_STREAM_BAD_PREFIX ||
         rv == TCPSEC_ERR_STREAM_BAD_LENGTH || rv == TCPSEC_ERR_STREAM_CLOSED;
}

/* Whole input, pull form. Returns 1 if the stream ended closed. */
static int run_pull(tcpsec_stream *s, const uint8_t *data, size_t len,
                    struct record *r) {
  size_t pos = 0, used, msg_len;
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  int rv;

  while (pos < len) {
    rv = tcpsec_stream_next(s, data + pos, len - pos, &used, &kind, &msg,
                            &msg_len);
    if (used > len - pos)
      abort();
    pos += used;
    if (rv == 1)
      record_cb(r, kind, msg, msg_len);
    else if (is_fatal(rv))
      return 1;
    if (used == 0)
      abort(); /* a call that neither fails fatally nor consumes input */
  }
  return 0;
}

/* Pseudo-random chunks, push form. Returns 1 if the stream ended closed. */
static int run_push(tcpsec_stream *s, const uint8_t *data, size_t len,
                    uint32_t seed, struct record *r) {
  size_t pos = 0, chunk;
  int rv;

  while (pos < len) {
    seed = seed * 1103515245u + 12345u;
    chunk = 1 + (seed >> 16) % 97;
    if (chunk > len - pos)
      chunk = len - pos;
    rv = tcpsec_stream_input(s, data + pos, chunk, record_cb, r);
    pos += chunk;
    if (is_fatal(rv))
      return 1;
  }
  return 0;
}

/* Frame every recorded message again and parse the frames back. */
static void check_round_trip(tcpsec_ctx *ctx, const struct record *r) {
  tcpsec_stream *out = NULL, *in = NULL;
  struct record again;
  uint8_t *wire;
  size_t pos = 0, wire_len = 0, i;

  if (r->count == 0)
    return;
  wire = malloc(r->used + 6 + 6 * r->count);
  again.bytes = malloc(r->used + 1);
  again.cap = r->used;
  again.used = 0;
  again.count = 0;
  if (wire == NULL || again.bytes == NULL ||
      tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &out) != 0 ||
      tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, NULL, &in) != 0)
    abort();

  for (i = 0; i < r->count; i++) {
    tcpsec_encap_kind kind = (tcpsec_encap_kind)r->bytes[pos];
    size_t len = (size_t)r->bytes[pos + 1] << 8 | r->bytes[pos + 2];
    ptrdiff_t n = tcpsec_stream_frame(out, kind, r->bytes + pos + 3, len,
                                      wire + wire_len, 12 + len);
    if (n < 0)
      abort();
    wire_len += (size_t)n;
    pos += 3 + len;
  }
  if (tcpsec_stream_input(in, wire, wire_len, record_cb, &again) != 0)
    abort();
  if (again.used != r->used || memcmp(again.bytes, r->bytes, r->used) != 0)
    abort();

  tcpsec_stream_free(out);
  tcpsec_stream_free(in);
  free(again.bytes);
  free(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tcpsec_ctx *ctx = fuzz_ctx();
  tcpsec_stream *a = NULL, *b = NULL;
  struct record ra, rb;
  tcpsec_stream_role role;
  int closed_a, closed_b;

  if (size < 1)
    return 0;
  role = (data[0] & 1) ? TCPSEC_STREAM_RESPONDER : TCPSEC_STREAM_ORIGINATOR;
  ra.bytes = malloc(3 * size + 1);
  rb.bytes = malloc(3 * size + 1);
  if (ra.bytes == NULL || rb.bytes == NULL)
    abort();
  ra.cap = rb.cap = 3 * size;
  ra.used = rb.used = ra.count = rb.count = 0;

  if (tcpsec_stream_new(ctx, role, NULL, &a) != 0 ||
      tcpsec_stream_new(ctx, role, NULL, &b) != 0)
    abort();
  closed_a = run_pull(a, data + 1, size - 1, &ra);
  closed_b = run_push(b, data + 1, size - 1, data[0] >> 1, &rb);

  /* Chunking must not change the outcome. */
  if (closed_a != closed_b || ra.count != rb.count || ra.used != rb.used ||
      memcmp(ra.bytes, rb.bytes, ra.used) != 0)
    abort();
  if (!closed_a && tcpsec_stream_pending(a) != tcpsec_stream_pending(b))
    abort();

  check_round_trip(ctx, &ra);

  tcpsec_stream_free(a);
  tcpsec_stream_free(b);
  free(ra.bytes);
  free(rb.bytes);
  return 0;
}
