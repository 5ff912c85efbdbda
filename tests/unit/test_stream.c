/*
 * Unit tests for the RFC 9329 stream framer: prefix handling, frame
 * lengths 0 to 3, marker stripping, discarded frames, limits and memory
 * bounds, output framing, callback rules, reset, and isolation between
 * streams. Chunking is covered by test_stream_split.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "tcpsec/encap.h"

#define MAX_MESSAGES 64

struct message {
  tcpsec_encap_kind kind;
  const uint8_t *ptr;
  size_t len;
  uint8_t data[70000];
};

/* Messages received through the callback, with a copy of each. */
struct collector {
  size_t count;
  struct message *msgs;
  int stop_at; /* callback returns 1 on this message number; -1 never */
};

static void collector_init(struct collector *c) {
  c->count = 0;
  c->msgs = calloc(MAX_MESSAGES, sizeof(*c->msgs));
  assert_non_null(c->msgs);
  c->stop_at = -1;
}

static void collector_free(struct collector *c) { free(c->msgs); }

static int collect(void *user, tcpsec_encap_kind kind, const uint8_t *msg,
                   size_t len) {
  struct collector *c = user;

  assert_true(c->count < MAX_MESSAGES);
  c->msgs[c->count].kind = kind;
  c->msgs[c->count].ptr = msg;
  c->msgs[c->count].len = len;
  memcpy(c->msgs[c->count].data, msg, len);
  c->count++;
  return (int)c->count - 1 == c->stop_at ? 1 : 0;
}

/* Append a raw frame: 16-bit length (counting itself) and body. */
static size_t put_frame(uint8_t *out, const uint8_t *body, size_t body_len) {
  out[0] = (uint8_t)((body_len + 2) >> 8);
  out[1] = (uint8_t)(body_len + 2);
  if (body_len > 0)
    memcpy(out + 2, body, body_len);
  return body_len + 2;
}

/* IKE body: marker plus an IKE message of ike_len bytes filled with `fill`. */
static size_t put_ike_frame(uint8_t *out, size_t ike_len, uint8_t fill) {
  size_t body_len = 4 + ike_len;

  out[0] = (uint8_t)((body_len + 2) >> 8);
  out[1] = (uint8_t)(body_len + 2);
  memset(out + 2, 0, 4);
  memset(out + 6, fill, ike_len);
  return body_len + 2;
}

/* ESP body: SPI 0x0a0b0c0d followed by esp_len - 4 bytes of `fill`. */
static size_t put_esp_frame(uint8_t *out, size_t esp_len, uint8_t fill) {
  out[0] = (uint8_t)((esp_len + 2) >> 8);
  out[1] = (uint8_t)(esp_len + 2);
  out[2] = 0x0a;
  out[3] = 0x0b;
  out[4] = 0x0c;
  out[5] = 0x0d;
  memset(out + 6, fill, esp_len - 4);
  return esp_len + 2;
}

static tcpsec_stream *new_stream(tcpsec_ctx *ctx, tcpsec_stream_role role) {
  tcpsec_stream *s = NULL;

  assert_int_equal(tcpsec_stream_new(ctx, role, NULL, &s), 0);
  assert_non_null(s);
  return s;
}

static void get_stats(tcpsec_stream *s, tcpsec_stream_stats *st) {
  memset(st, 0, sizeof(*st));
  st->size = sizeof(*st);
  assert_int_equal(tcpsec_stream_get_stats(s, st), 0);
}

static void originator_sends_prefix_first(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  uint8_t out[TCPSEC_STREAM_HEADER_MAX];

  (void)state;
  /* First header carries "IKETCP", then length 2 + 4 + 28 and the marker. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_IKE, 28, out,
                                              sizeof(out)),
                   12);
  assert_memory_equal(out, "IKETCP", 6);
  assert_int_equal(out[6], 0);
  assert_int_equal(out[7], 34);
  assert_memory_equal(out + 8, "\0\0\0\0", 4);

  /* Second header has no prefix. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 100, out,
                                              sizeof(out)),
                   2);
  assert_int_equal(out[0], 0);
  assert_int_equal(out[1], 102);
  assert_int_equal(tcpsec_stream_prefix(s, out, sizeof(out)), 0);

  /* A new connection sends it again, also through tcpsec_stream_prefix. */
  assert_int_equal(tcpsec_stream_reset(s), 0);
  assert_int_equal(tcpsec_stream_prefix(s, out, 5), TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_stream_prefix(s, out, sizeof(out)), 6);
  assert_memory_equal(out, "IKETCP", 6);
  assert_int_equal(tcpsec_stream_prefix(s, out, sizeof(out)), 0);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 100, out,
                                              sizeof(out)),
                   2);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void responder_never_sends_prefix(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  uint8_t out[TCPSEC_STREAM_HEADER_MAX];

  (void)state;
  assert_int_equal(tcpsec_stream_prefix(s, out, sizeof(out)), 0);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_IKE, 28, out,
                                              sizeof(out)),
                   6);
  assert_int_equal(out[1], 34);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void responder_waits_for_prefix(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  struct collector c;
  uint8_t in[64];
  size_t n;

  (void)state;
  collector_init(&c);
  memcpy(in, "IKETCP", 6);
  n = 6 + put_esp_frame(in + 6, 8, 0x11);

  /* "IKE" alone delivers nothing; the stream keeps 3 prefix bytes. */
  assert_int_equal(tcpsec_stream_input(s, in, 3, collect, &c), 0);
  assert_int_equal(c.count, 0);
  assert_int_equal(tcpsec_stream_pending(s), 3);

  /* Rest of the prefix plus the frame. */
  assert_int_equal(tcpsec_stream_input(s, in + 3, n - 3, collect, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.msgs[0].kind, TCPSEC_ENCAP_ESP);
  assert_int_equal(c.msgs[0].len, 8);
  assert_int_equal(tcpsec_stream_pending(s), 0);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void responder_rejects_bad_prefix(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  struct collector c;
  uint8_t in[64];
  size_t n;

  (void)state;
  collector_init(&c);

  /* Wrong last byte, arriving in its own chunk. */
  assert_int_equal(tcpsec_stream_input(s, (const uint8_t *)"IKETC", 5,
                                       collect, &c),
                   0);
  assert_int_equal(tcpsec_stream_input(s, (const uint8_t *)"X", 1, collect, &c),
                   TCPSEC_ERR_STREAM_BAD_PREFIX);
  /* Closed until reset, even for good bytes. */
  assert_int_equal(tcpsec_stream_input(s, (const uint8_t *)"P", 1, collect, &c),
                   TCPSEC_ERR_STREAM_CLOSED);
  assert_int_equal(tcpsec_stream_input(s, NULL, 0, collect, &c),
                   TCPSEC_ERR_STREAM_CLOSED);

  /* A stream without prefix: the frame is not parsed. */
  assert_int_equal(tcpsec_stream_reset(s), 0);
  n = put_esp_frame(in, 8, 0x22);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                   TCPSEC_ERR_STREAM_BAD_PREFIX);
  assert_int_equal(c.count, 0);

  /* After reset the right prefix works. */
  assert_int_equal(tcpsec_stream_reset(s), 0);
  memcpy(in, "IKETCP", 6);
  n = 6 + put_esp_frame(in + 6, 8, 0x22);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_int_equal(c.count, 1);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void ike_marker_is_stripped(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  struct collector c;
  uint8_t in[256], expect[100];
  size_t n;

  (void)state;
  collector_init(&c);
  n = put_ike_frame(in, 100, 0x5a);
  n += put_esp_frame(in + n, 20, 0x6b);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_int_equal(c.count, 2);

  assert_int_equal(c.msgs[0].kind, TCPSEC_ENCAP_IKE);
  assert_int_equal(c.msgs[0].len, 100);
  memset(expect, 0x5a, sizeof(expect));
  assert_memory_equal(c.msgs[0].data, expect, 100);

  assert_int_equal(c.msgs[1].kind, TCPSEC_ENCAP_ESP);
  assert_int_equal(c.msgs[1].len, 20);
  assert_memory_equal(c.msgs[1].data, "\x0a\x0b\x0c\x0d", 4);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void length_zero_and_one_are_fatal(void **state) {
  static const uint8_t bad_lengths[][2] = {{0, 0}, {0, 1}};
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  struct collector c;
  uint8_t in[64];
  size_t i, n;

  (void)state;
  for (i = 0; i < 2; i++) {
    tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
    tcpsec_encap_kind kind;
    const uint8_t *msg;
    size_t used, msg_len;

    collector_init(&c);
    /* A good message, the bad length, then a message never parsed. */
    n = put_esp_frame(in, 8, 0x33);
    memcpy(in + n, bad_lengths[i], 2);
    n += 2;
    n += put_esp_frame(in + n, 8, 0x44);

    assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                     TCPSEC_ERR_STREAM_BAD_LENGTH);
    assert_int_equal(c.count, 1);
    assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                     TCPSEC_ERR_STREAM_CLOSED);
    assert_int_equal(tcpsec_stream_next(s, in, n, &used, &kind, &msg, &msg_len),
                     TCPSEC_ERR_STREAM_CLOSED);
    assert_int_equal(used, 0);
    assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 8, in,
                                                sizeof(in)),
                     TCPSEC_ERR_STREAM_CLOSED);
    assert_int_equal(c.count, 1);

    /* Reset reopens it. */
    assert_int_equal(tcpsec_stream_reset(s), 0);
    n = put_esp_frame(in, 8, 0x55);
    assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
    assert_int_equal(c.count, 2);

    collector_free(&c);
    tcpsec_stream_free(s);
  }
  tcpsec_ctx_free(ctx);
}

static void length_split_before_fatal(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  struct collector c;

  (void)state;
  collector_init(&c);
  /* Length 1 arriving one byte at a time. */
  assert_int_equal(tcpsec_stream_input(s, (const uint8_t *)"\x00", 1, collect,
                                       &c),
                   0);
  assert_int_equal(tcpsec_stream_pending(s), 1);
  assert_int_equal(tcpsec_stream_input(s, (const uint8_t *)"\x01", 1, collect,
                                       &c),
                   TCPSEC_ERR_STREAM_BAD_LENGTH);
  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void empty_frame_and_keepalive_dropped(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  tcpsec_stream_stats st;
  struct collector c;
  uint8_t in[64];
  size_t n;

  (void)state;
  collector_init(&c);
  n = put_frame(in, NULL, 0);                          /* length 2 */
  n += put_frame(in + n, (const uint8_t *)"\xff", 1);  /* keepalive */
  n += put_esp_frame(in + n, 8, 0x66);
  n += put_frame(in + n, (const uint8_t *)"\xff", 1);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.msgs[0].kind, TCPSEC_ENCAP_ESP);

  get_stats(s, &st);
  assert_int_equal(st.empty_frames, 1);
  assert_int_equal(st.keepalives, 2);
  assert_int_equal(st.esp_messages, 1);
  assert_int_equal(st.discarded_frames, 0);
  assert_int_equal(st.bytes, n);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void malformed_frames_are_skipped(void **state) {
  static const struct {
    const char *body;
    size_t len;
    int err;
  } cases[] = {
    {"\x00", 1, TCPSEC_ERR_BAD_MARKER},
    {"\xfe", 1, TCPSEC_ERR_BAD_MARKER},
    {"\xff\xff", 2, TCPSEC_ERR_BAD_MARKER},
    {"\x00\x00\x00", 3, TCPSEC_ERR_BAD_MARKER},
    {"\x01\x02\x03\x04", 4, TCPSEC_ERR_ESP_TRUNCATED},
    {"\x01\x02\x03\x04\x05\x06\x07", 7, TCPSEC_ERR_ESP_TRUNCATED},
    {"\x00\x00\x00\x00", 4, TCPSEC_ERR_SHORT_IKE_MESSAGE},
    /* marker + 27 bytes, one short of the IKE header */
    {"\x00\x00\x00\x00" "123456789012345678901234567", 31,
     TCPSEC_ERR_SHORT_IKE_MESSAGE},
  };
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  struct collector c;
  uint8_t in[128];
  size_t i, n;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
    tcpsec_stream_stats st;

    collector_init(&c);
    n = put_frame(in, (const uint8_t *)cases[i].body, cases[i].len);
    n += put_esp_frame(in + n, 8, 0x77);
    n += put_frame(in + n, (const uint8_t *)cases[i].body, cases[i].len);
    n += put_ike_frame(in + n, 28, 0x78);

    /* Not fatal: the good messages around it still arrive. */
    assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), cases[i].err);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.msgs[0].kind, TCPSEC_ENCAP_ESP);
    assert_int_equal(c.msgs[1].kind, TCPSEC_ENCAP_IKE);
    get_stats(s, &st);
    assert_int_equal(st.discarded_frames, 2);

    /* The stream stays usable. */
    n = put_esp_frame(in, 8, 0x79);
    assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
    assert_int_equal(c.count, 3);
    collector_free(&c);
    tcpsec_stream_free(s);
  }
  tcpsec_ctx_free(ctx);
}

static void largest_messages_pass(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  struct collector c;
  uint8_t *in = malloc(2 * 65535 + 16);
  uint8_t hdr[TCPSEC_STREAM_HEADER_MAX];
  size_t n;

  (void)state;
  assert_non_null(in);
  collector_init(&c);
  n = put_esp_frame(in, 65533, 0x01);
  n += put_ike_frame(in + n, 65529, 0x02);
  assert_int_equal(in[0], 0xff);
  assert_int_equal(in[1], 0xff);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_int_equal(c.count, 2);
  assert_int_equal(c.msgs[0].len, 65533);
  assert_int_equal(c.msgs[1].len, 65529);

  /* Output limits match: one byte more does not fit the length field. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 65533, hdr,
                                              sizeof(hdr)),
                   8);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 65534, hdr,
                                              sizeof(hdr)),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_IKE, 65529, hdr,
                                              sizeof(hdr)),
                   6);
  assert_int_equal(hdr[0], 0xff);
  assert_int_equal(hdr[1], 0xff);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_IKE, 65530, hdr,
                                              sizeof(hdr)),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);

  collector_free(&c);
  free(in);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void configured_limit_skips_long_frames(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream_config cfg;
  tcpsec_stream *s = NULL;
  tcpsec_stream_stats st;
  struct collector c;
  uint8_t in[4096];
  size_t n, i;

  (void)state;
  tcpsec_stream_config_default(&cfg);
  cfg.max_input_len = 1000;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, &cfg, &s),
                   0);
  collector_init(&c);

  n = put_esp_frame(in, 1000, 0x10);   /* at the limit: delivered */
  n += put_esp_frame(in + n, 1001, 0x11); /* over it: skipped */
  n += put_ike_frame(in + n, 40, 0x12);

  /* Whole input at once. */
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  assert_int_equal(c.count, 2);
  assert_int_equal(c.msgs[0].len, 1000);
  assert_int_equal(c.msgs[1].kind, TCPSEC_ENCAP_IKE);

  /* Byte by byte: the skipped body spans many chunks. */
  for (i = 0; i < n; i++) {
    int rv = tcpsec_stream_input(s, in + i, 1, collect, &c);
    assert_true(rv == 0 || rv == TCPSEC_ERR_MESSAGE_TOO_LONG);
  }
  assert_int_equal(c.count, 4);
  assert_int_equal(c.msgs[2].len, 1000);
  assert_int_equal(c.msgs[3].kind, TCPSEC_ENCAP_IKE);
  get_stats(s, &st);
  assert_int_equal(st.discarded_frames, 2);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void whole_frames_are_not_copied(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  tcpsec_stream_stats st;
  struct collector c;
  uint8_t in[512];
  size_t n, first;

  (void)state;
  collector_init(&c);
  first = put_ike_frame(in, 50, 0x21);
  n = first + put_esp_frame(in + first, 60, 0x22);

  /* Whole frames: pointers into the input. */
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_ptr_equal(c.msgs[0].ptr, in + 6);
  assert_ptr_equal(c.msgs[1].ptr, in + first + 2);

  /* Header in one chunk, whole body in the next: still not copied. */
  assert_int_equal(tcpsec_stream_input(s, in, 2, collect, &c), 0);
  assert_int_equal(tcpsec_stream_input(s, in + 2, first - 2, collect, &c), 0);
  assert_ptr_equal(c.msgs[2].ptr, in + 6);

  /* Body split across chunks: copied. */
  assert_int_equal(tcpsec_stream_input(s, in + first, 10, collect, &c), 0);
  assert_int_equal(tcpsec_stream_input(s, in + first + 10, n - first - 10,
                                       collect, &c),
                   0);
  assert_int_equal(c.count, 4);
  assert_true(c.msgs[3].ptr < in || c.msgs[3].ptr >= in + sizeof(in));
  assert_memory_equal(c.msgs[3].data, in + first + 2, 60);

  get_stats(s, &st);
  assert_int_equal(st.copied_messages, 1);
  assert_int_equal(st.ike_messages, 2);
  assert_int_equal(st.esp_messages, 2);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

/* Allocator that counts live bytes and fails on request. */
struct counting_alloc {
  size_t live_bytes;
  size_t max_live_bytes;
  size_t allocations;
  int fail;
};

static void *count_malloc(size_t size, void *user) {
  struct counting_alloc *a = user;
  size_t *p;

  if (a->fail)
    return NULL;
  p = malloc(sizeof(size_t) * 2 + size);
  if (p == NULL)
    return NULL;
  p[0] = size;
  a->live_bytes += size;
  a->allocations++;
  if (a->live_bytes > a->max_live_bytes)
    a->max_live_bytes = a->live_bytes;
  return p + 2;
}

static void *count_realloc(void *ptr, size_t size, void *user) {
  (void)ptr;
  (void)size;
  (void)user;
  fail_msg("the stream layer must not call realloc");
  return NULL;
}

static void count_free(void *ptr, void *user) {
  struct counting_alloc *a = user;
  size_t *p;

  if (ptr == NULL)
    return;
  p = (size_t *)ptr - 2;
  a->live_bytes -= p[0];
  free(p);
}

static tcpsec_ctx *counting_ctx(struct counting_alloc *a) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;
  static test_rng rng;

  memset(a, 0, sizeof(*a));
  test_rng_seed(&rng, 9);
  tcpsec_ctx_config_default(&cfg);
  cfg.allocator.malloc_fn = count_malloc;
  cfg.allocator.realloc_fn = count_realloc;
  cfg.allocator.free_fn = count_free;
  cfg.allocator.user = a;
  cfg.random = test_rng_fill;
  cfg.random_user = &rng;
  assert_int_equal(tcpsec_ctx_new(&cfg, &ctx), 0);
  return ctx;
}

static void stalled_peer_cannot_grow_stream(void **state) {
  struct counting_alloc a;
  tcpsec_ctx *ctx = counting_ctx(&a);
  size_t base_live = a.live_bytes, allocs_before;
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  struct collector c;
  uint8_t *in = calloc(1, 70000);
  size_t i, after_new;

  (void)state;
  assert_non_null(in);
  collector_init(&c);
  after_new = a.live_bytes - base_live;
  assert_true(after_new < 256);

  /* Prefix and a 65535-byte frame header, then the body a byte at a time,
   * stopping one byte short: the peer stalls. */
  memcpy(in, "IKETCP\xff\xff", 8);
  in[8] = 0x01; /* SPI non-zero */
  assert_int_equal(tcpsec_stream_input(s, in, 8, collect, &c), 0);
  allocs_before = a.allocations;
  for (i = 0; i < 65532; i++)
    assert_int_equal(tcpsec_stream_input(s, in + 8 + i, 1, collect, &c), 0);
  assert_int_equal(c.count, 0);
  assert_int_equal(tcpsec_stream_pending(s), 2 + 65532);

  /* One buffer of at most 65533 bytes was allocated, once. */
  assert_int_equal(a.allocations - allocs_before, 1);
  assert_true(a.live_bytes - base_live <= after_new + 65533);

  /* The last byte completes it; later split frames allocate nothing. */
  assert_int_equal(tcpsec_stream_input(s, in + 8 + 65532, 1, collect, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.msgs[0].len, 65533);
  in[0] = 0;
  in[1] = 10;
  in[2] = 1;
  assert_int_equal(tcpsec_stream_input(s, in, 5, collect, &c), 0);
  assert_int_equal(tcpsec_stream_input(s, in + 5, 5, collect, &c), 0);
  assert_int_equal(c.count, 2);
  assert_int_equal(a.allocations - allocs_before, 1);

  tcpsec_stream_free(s);
  assert_int_equal(a.live_bytes, base_live);
  collector_free(&c);
  free(in);
  tcpsec_ctx_free(ctx);
}

static void preallocated_stream_never_allocates(void **state) {
  struct counting_alloc a;
  tcpsec_ctx *ctx = counting_ctx(&a);
  tcpsec_stream_config cfg;
  tcpsec_stream *s = NULL;
  struct collector c;
  uint8_t in[64];
  size_t n, allocs;

  (void)state;
  collector_init(&c);
  tcpsec_stream_config_default(&cfg);
  cfg.preallocate = 1;
  cfg.max_input_len = 2000;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, &cfg, &s),
                   0);
  allocs = a.allocations;
  a.fail = 1;
  n = put_esp_frame(in, 30, 0x31);
  assert_int_equal(tcpsec_stream_input(s, in, 7, collect, &c), 0);
  assert_int_equal(tcpsec_stream_input(s, in + 7, n - 7, collect, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(a.allocations, allocs);
  a.fail = 0;
  tcpsec_stream_free(s);
  collector_free(&c);
  tcpsec_ctx_free(ctx);
}

static void allocation_failure_handling(void **state) {
  struct counting_alloc a;
  tcpsec_ctx *ctx = counting_ctx(&a);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t used, msg_len, n;
  struct collector c;
  uint8_t in[64];

  (void)state;
  collector_init(&c);
  n = put_esp_frame(in, 30, 0x41);

  /* Pull form: the failing body bytes are not consumed and can be
   * offered again. */
  a.fail = 1;
  assert_int_equal(tcpsec_stream_next(s, in, 10, &used, &kind, &msg, &msg_len),
                   TCPSEC_ERR_NO_MEMORY);
  assert_int_equal(used, 2);
  a.fail = 0;
  assert_int_equal(tcpsec_stream_next(s, in + 2, 8, &used, &kind, &msg,
                                      &msg_len),
                   0);
  assert_int_equal(used, 8);
  assert_int_equal(tcpsec_stream_next(s, in + 10, n - 10, &used, &kind, &msg,
                                      &msg_len),
                   1);
  assert_int_equal(msg_len, 30);
  tcpsec_stream_free(s);

  /* Push form: fatal, the stream closes. */
  s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  a.fail = 1;
  assert_int_equal(tcpsec_stream_input(s, in, 10, collect, &c),
                   TCPSEC_ERR_NO_MEMORY);
  assert_int_equal(tcpsec_stream_input(s, in + 10, n - 10, collect, &c),
                   TCPSEC_ERR_STREAM_CLOSED);
  a.fail = 0;
  tcpsec_stream_free(s);

  /* Creation failures. */
  a.fail = 1;
  s = (tcpsec_stream *)1;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &s),
                   TCPSEC_ERR_NO_MEMORY);
  assert_null(s);
  a.fail = 0;

  collector_free(&c);
  tcpsec_ctx_free(ctx);
}

static void reset_discards_partial_message(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  struct collector c;
  uint8_t in[128], hdr[TCPSEC_STREAM_HEADER_MAX];
  size_t n;

  (void)state;
  collector_init(&c);
  memcpy(in, "IKETCP", 6);
  n = 6 + put_esp_frame(in + 6, 40, 0x51);

  /* Half a frame, then the connection breaks. */
  assert_int_equal(tcpsec_stream_input(s, in, 20, collect, &c), 0);
  assert_int_equal(tcpsec_stream_reset(s), 0);
  assert_int_equal(tcpsec_stream_pending(s), 0);

  /* The new connection starts with the prefix again; only its message
   * arrives. */
  n = 6 + put_esp_frame(in + 6, 9, 0x52);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.msgs[0].len, 9);
  assert_int_equal(c.msgs[0].data[4], 0x52);
  /* Output of a responder never has a prefix, also after reset. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 9, hdr,
                                              sizeof(hdr)),
                   2);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

struct reentry {
  tcpsec_stream *s;
  int calls;
  int header_len;
};

static int reenter(void *user, tcpsec_encap_kind kind, const uint8_t *msg,
                   size_t len) {
  struct reentry *r = user;
  tcpsec_encap_kind k;
  const uint8_t *m;
  uint8_t out[TCPSEC_STREAM_HEADER_MAX + 64];
  size_t used, ml;
  tcpsec_stream_stats st;

  (void)kind;
  (void)msg;
  (void)len;
  memset(out, 0, sizeof(out));
  r->calls++;
  assert_int_equal(tcpsec_stream_input(r->s, out, 1, collect, NULL),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_stream_next(r->s, out, 1, &used, &k, &m, &ml),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_stream_reset(r->s), TCPSEC_ERR_INVALID_STATE);
  /* Output and statistics are allowed, so a reply can go out at once. */
  r->header_len = (int)tcpsec_stream_frame_header(r->s, TCPSEC_ENCAP_ESP, 8,
                                                  out, sizeof(out));
  st.size = sizeof(st);
  assert_int_equal(tcpsec_stream_get_stats(r->s, &st), 0);
  return 0;
}

static void callback_rules(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  struct reentry r = {s, 0, 0};
  struct collector c;
  uint8_t in[128];
  size_t n;

  (void)state;
  n = put_esp_frame(in, 8, 0x61);
  assert_int_equal(tcpsec_stream_input(s, in, n, reenter, &r), 0);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.header_len, 8); /* prefix + length */
  /* The stream works normally after the callback returned. */
  assert_int_equal(tcpsec_stream_input(s, in, n, reenter, &r), 0);
  assert_int_equal(r.calls, 2);
  assert_int_equal(r.header_len, 2);

  /* A callback that returns non-zero stops and closes the stream. */
  collector_init(&c);
  c.stop_at = 0;
  n = put_esp_frame(in, 8, 0x62);
  n += put_esp_frame(in + n, 8, 0x63);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                   TCPSEC_ERR_CALLBACK);
  assert_int_equal(c.count, 1);
  assert_int_equal(tcpsec_stream_input(s, in, n, collect, &c),
                   TCPSEC_ERR_STREAM_CLOSED);

  collector_free(&c);
  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void pull_form_returns_one_message(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t used, msg_len, n, pos = 0;
  uint8_t in[256];

  (void)state;
  n = put_frame(in, (const uint8_t *)"\xff", 1);
  n += put_ike_frame(in + n, 30, 0x71);
  n += put_frame(in + n, (const uint8_t *)"\x00", 1);
  n += put_esp_frame(in + n, 12, 0x72);

  /* The keepalive is skipped inside the first call. */
  assert_int_equal(tcpsec_stream_next(s, in, n, &used, &kind, &msg, &msg_len),
                   1);
  assert_int_equal(kind, TCPSEC_ENCAP_IKE);
  assert_int_equal(msg_len, 30);
  assert_ptr_equal(msg, in + 3 + 6);
  assert_int_equal(used, 3 + 36);
  pos += used;

  /* The malformed frame is reported with its bytes consumed. */
  assert_int_equal(tcpsec_stream_next(s, in + pos, n - pos, &used, &kind, &msg,
                                      &msg_len),
                   TCPSEC_ERR_BAD_MARKER);
  assert_int_equal(used, 3);
  assert_null(msg);
  pos += used;

  assert_int_equal(tcpsec_stream_next(s, in + pos, n - pos, &used, &kind, &msg,
                                      &msg_len),
                   1);
  assert_int_equal(kind, TCPSEC_ENCAP_ESP);
  assert_int_equal(msg_len, 12);
  pos += used;
  assert_int_equal(pos, n);

  /* Nothing left. */
  assert_int_equal(tcpsec_stream_next(s, in + pos, 0, &used, &kind, &msg,
                                      &msg_len),
                   0);
  assert_int_equal(used, 0);

  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void output_framing_rules(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *s = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  uint8_t out[256], msg[64];

  (void)state;
  memset(msg, 0x81, sizeof(msg));

  /* Bad kinds and lengths. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_KEEPALIVE, 1, out,
                                              sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_frame_header(s, (tcpsec_encap_kind)9, 8, out,
                                              sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_IKE, 27, out,
                                              sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 7, out,
                                              sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_frame_header(NULL, TCPSEC_ENCAP_ESP, 8, out,
                                              sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* A buffer too small leaves the prefix due. */
  assert_int_equal(tcpsec_stream_frame_header(s, TCPSEC_ENCAP_ESP, 8, out, 7),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_stream_frame(s, TCPSEC_ENCAP_ESP, msg, 64, out, 71),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);

  /* SPI 0 cannot be ESP. */
  memset(msg, 0, 4);
  assert_int_equal(tcpsec_stream_frame(s, TCPSEC_ENCAP_ESP, msg, 64, out,
                                       sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  memset(msg, 0x81, 4);

  /* One-copy frame: prefix, length 66, message. */
  assert_int_equal(tcpsec_stream_frame(s, TCPSEC_ENCAP_ESP, msg, 64, out, 72),
                   72);
  assert_memory_equal(out, "IKETCP", 6);
  assert_int_equal(out[6], 0);
  assert_int_equal(out[7], 66);
  assert_memory_equal(out + 8, msg, 64);

  /* IKE: length 2 + 4 + 40, marker, message. */
  assert_int_equal(tcpsec_stream_frame(s, TCPSEC_ENCAP_IKE, msg, 40, out,
                                       sizeof(out)),
                   46);
  assert_int_equal(out[1], 46);
  assert_memory_equal(out + 2, "\0\0\0\0", 4);
  assert_memory_equal(out + 6, msg, 40);

  tcpsec_stream_free(s);
  tcpsec_ctx_free(ctx);
}

static void originator_output_parses_at_responder(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *o = new_stream(ctx, TCPSEC_STREAM_ORIGINATOR);
  tcpsec_stream *r = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  struct collector c;
  uint8_t wire[1024], ike[100], esp[200];
  ptrdiff_t n, total = 0;

  (void)state;
  collector_init(&c);
  memset(ike, 0x91, sizeof(ike));
  memset(esp, 0x92, sizeof(esp));

  /* Gather form for IKE, one-copy form for ESP. */
  n = tcpsec_stream_frame_header(o, TCPSEC_ENCAP_IKE, sizeof(ike), wire,
                                 sizeof(wire));
  assert_int_equal(n, 12);
  memcpy(wire + n, ike, sizeof(ike));
  total = n + (ptrdiff_t)sizeof(ike);
  n = tcpsec_stream_frame(o, TCPSEC_ENCAP_ESP, esp, sizeof(esp), wire + total,
                          sizeof(wire) - (size_t)total);
  assert_int_equal(n, 202);
  total += n;

  assert_int_equal(tcpsec_stream_input(r, wire, (size_t)total, collect, &c),
                   0);
  assert_int_equal(c.count, 2);
  assert_int_equal(c.msgs[0].kind, TCPSEC_ENCAP_IKE);
  assert_memory_equal(c.msgs[0].data, ike, sizeof(ike));
  assert_int_equal(c.msgs[1].kind, TCPSEC_ENCAP_ESP);
  assert_memory_equal(c.msgs[1].data, esp, sizeof(esp));

  collector_free(&c);
  tcpsec_stream_free(o);
  tcpsec_stream_free(r);
  tcpsec_ctx_free(ctx);
}

static void bad_input_does_not_touch_other_streams(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *good = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  tcpsec_stream *bad = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  tcpsec_stream_stats st;
  struct collector cg, cb;
  uint8_t in[256], junk[64];
  size_t n, i;

  (void)state;
  collector_init(&cg);
  collector_init(&cb);
  memcpy(in, "IKETCP", 6);
  n = 6 + put_esp_frame(in + 6, 50, 0xa1);
  n += put_ike_frame(in + n, 60, 0xa2);
  memset(junk, 0, sizeof(junk));

  /* Interleave: the good stream gets one byte, the bad one garbage. */
  for (i = 0; i < n; i++) {
    assert_int_equal(tcpsec_stream_input(good, in + i, 1, collect, &cg), 0);
    if (i == 3) {
      assert_int_equal(tcpsec_stream_input(bad, junk, sizeof(junk), collect,
                                           &cb),
                       TCPSEC_ERR_STREAM_BAD_PREFIX);
    } else if (i > 3) {
      assert_int_equal(tcpsec_stream_input(bad, junk, sizeof(junk), collect,
                                           &cb),
                       TCPSEC_ERR_STREAM_CLOSED);
    }
  }
  assert_int_equal(cg.count, 2);
  assert_int_equal(cb.count, 0);
  get_stats(good, &st);
  assert_int_equal(st.bytes, n);
  assert_int_equal(st.discarded_frames, 0);

  collector_free(&cg);
  collector_free(&cb);
  tcpsec_stream_free(good);
  tcpsec_stream_free(bad);
  tcpsec_ctx_free(ctx);
}

static void argument_checks(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream_config cfg;
  tcpsec_stream *s = NULL;
  tcpsec_stream_stats st;
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t used, msg_len;
  struct {
    tcpsec_stream_config cfg;
    uint8_t future[8];
  } bigger;
  uint8_t b = 0;

  (void)state;
  assert_int_equal(tcpsec_stream_new(NULL, TCPSEC_STREAM_RESPONDER, NULL, &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, NULL, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_new(ctx, (tcpsec_stream_role)2, NULL, &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  tcpsec_stream_config_default(&cfg);
  cfg.max_input_len = 31;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, &cfg, &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  cfg.max_input_len = 65534;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, &cfg, &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  cfg.size = 0;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, &cfg, &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* A newer caller's struct: accepted while its extra bytes are zero. */
  memset(&bigger, 0, sizeof(bigger));
  tcpsec_stream_config_default(&bigger.cfg);
  bigger.cfg.size = sizeof(bigger);
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, &bigger.cfg,
                                     &s),
                   0);
  tcpsec_stream_free(s);
  bigger.future[0] = 1;
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, &bigger.cfg,
                                     &s),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(s);

  s = new_stream(ctx, TCPSEC_STREAM_RESPONDER);
  assert_int_equal(tcpsec_stream_input(NULL, &b, 1, collect, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_input(s, NULL, 1, collect, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_input(s, &b, 1, NULL, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_next(s, &b, 1, NULL, &kind, &msg, &msg_len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_next(s, NULL, 1, &used, &kind, &msg, &msg_len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_reset(NULL), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_prefix(NULL, &b, 1),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_pending(NULL), 0);
  st.size = 0;
  assert_int_equal(tcpsec_stream_get_stats(s, &st),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_stream_get_stats(s, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  /* An older caller's smaller stats struct gets only its fields. */
  memset(&st, 0xee, sizeof(st));
  st.size = offsetof(tcpsec_stream_stats, ike_messages);
  assert_int_equal(tcpsec_stream_get_stats(s, &st), 0);
  assert_int_equal(st.bytes, 0);
  assert_int_equal(st.ike_messages, 0xeeeeeeeeeeeeeeeeULL);

  tcpsec_stream_free(s);
  tcpsec_stream_free(NULL);
  tcpsec_stream_config_default(NULL);
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(originator_sends_prefix_first),
    cmocka_unit_test(responder_never_sends_prefix),
    cmocka_unit_test(responder_waits_for_prefix),
    cmocka_unit_test(responder_rejects_bad_prefix),
    cmocka_unit_test(ike_marker_is_stripped),
    cmocka_unit_test(length_zero_and_one_are_fatal),
    cmocka_unit_test(length_split_before_fatal),
    cmocka_unit_test(empty_frame_and_keepalive_dropped),
    cmocka_unit_test(malformed_frames_are_skipped),
    cmocka_unit_test(largest_messages_pass),
    cmocka_unit_test(configured_limit_skips_long_frames),
    cmocka_unit_test(whole_frames_are_not_copied),
    cmocka_unit_test(stalled_peer_cannot_grow_stream),
    cmocka_unit_test(preallocated_stream_never_allocates),
    cmocka_unit_test(allocation_failure_handling),
    cmocka_unit_test(reset_discards_partial_message),
    cmocka_unit_test(callback_rules),
    cmocka_unit_test(pull_form_returns_one_message),
    cmocka_unit_test(output_framing_rules),
    cmocka_unit_test(originator_output_parses_at_responder),
    cmocka_unit_test(bad_input_does_not_touch_other_streams),
    cmocka_unit_test(argument_checks),
  };
  return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
