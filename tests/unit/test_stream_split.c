/*
 * Chunking tests for the RFC 9329 stream framer: every way to cut small
 * streams of 2 and 3 messages into three chunks, byte-by-byte input, and
 * a property test with random message sequences and random chunk sizes
 * (deterministic test rng). In every case the messages that come out must
 * equal those that went in, in order, for both the push form
 * (tcpsec_stream_input) and the pull form (tcpsec_stream_next).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "tcpsec/encap.h"

#define MAX_MESSAGES 256

/* One message as the sender meant it, or as the receiver got it. */
struct message {
  tcpsec_encap_kind kind;
  size_t len;
  uint8_t *data;
};

struct message_list {
  size_t count;
  struct message items[MAX_MESSAGES];
};

static void list_clear(struct message_list *l) {
  size_t i;

  for (i = 0; i < l->count; i++)
    free(l->items[i].data);
  l->count = 0;
}

static void list_add(struct message_list *l, tcpsec_encap_kind kind,
                     const uint8_t *data, size_t len) {
  struct message *m;

  assert_true(l->count < MAX_MESSAGES);
  m = &l->items[l->count++];
  m->kind = kind;
  m->len = len;
  m->data = malloc(len > 0 ? len : 1);
  assert_non_null(m->data);
  memcpy(m->data, data, len);
}

static int collect(void *user, tcpsec_encap_kind kind, const uint8_t *msg,
                   size_t len) {
  list_add(user, kind, msg, len);
  return 0;
}

static void assert_lists_equal(const struct message_list *want,
                               const struct message_list *got) {
  size_t i;

  assert_int_equal(got->count, want->count);
  for (i = 0; i < want->count; i++) {
    assert_int_equal(got->items[i].kind, want->items[i].kind);
    assert_int_equal(got->items[i].len, want->items[i].len);
    assert_memory_equal(got->items[i].data, want->items[i].data,
                        want->items[i].len);
  }
}

/*
 * A stream under test: the wire bytes and the messages they should yield.
 * Keepalives and empty frames are on the wire but not in `expected`.
 */
struct wire {
  uint8_t *bytes;
  size_t len;
  size_t cap;
  struct message_list expected;
};

static void wire_init(struct wire *w, size_t cap, int with_prefix) {
  w->bytes = malloc(cap);
  assert_non_null(w->bytes);
  w->cap = cap;
  w->len = 0;
  w->expected.count = 0;
  if (with_prefix) {
    memcpy(w->bytes, "IKETCP", 6);
    w->len = 6;
  }
}

static void wire_free(struct wire *w) {
  list_clear(&w->expected);
  free(w->bytes);
}

/* Frame a message with the library's own output function. */
static void wire_add(struct wire *w, tcpsec_stream *out_stream,
                     tcpsec_encap_kind kind, const uint8_t *msg, size_t len) {
  ptrdiff_t n = tcpsec_stream_frame(out_stream, kind, msg, len,
                                    w->bytes + w->len, w->cap - w->len);

  assert_true(n > 0);
  w->len += (size_t)n;
  list_add(&w->expected, kind, msg, len);
}

/* Raw frame the output functions refuse to write (keepalive, empty). */
static void wire_add_raw(struct wire *w, const uint8_t *body, size_t len) {
  assert_true(w->len + 2 + len <= w->cap);
  tcpsec_store_be16(w->bytes + w->len, (uint16_t)(len + 2));
  if (len > 0)
    memcpy(w->bytes + w->len + 2, body, len);
  w->len += 2 + len;
}

/* Random message: IKE with a 28-byte minimum, ESP with a non-zero SPI. */
static size_t random_message(test_rng *rng, tcpsec_encap_kind kind,
                             uint8_t *out, size_t max_len) {
  size_t min_len = kind == TCPSEC_ENCAP_IKE ? 28 : 8, len, i;

  len = min_len + (size_t)(test_rng_next(rng) % (max_len - min_len + 1));
  for (i = 0; i < len; i++)
    out[i] = (uint8_t)test_rng_next(rng);
  if (kind == TCPSEC_ENCAP_ESP && tcpsec_load_be32(out) == 0)
    out[0] = 1;
  return len;
}

/* Feed `w` through a fresh stream, cut at the given chunk boundaries, in
 * push form, and compare. */
static void run_push(tcpsec_ctx *ctx, tcpsec_stream_role role,
                     const struct wire *w, const size_t *cuts, size_t ncuts) {
  struct message_list *got = calloc(1, sizeof(*got));
  tcpsec_stream *s = NULL;
  size_t start = 0, i;

  assert_non_null(got);
  assert_int_equal(tcpsec_stream_new(ctx, role, NULL, &s), 0);
  for (i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : w->len;
    assert_int_equal(tcpsec_stream_input(s, w->bytes + start, end - start,
                                         collect, got),
                     0);
    start = end;
  }
  assert_int_equal(tcpsec_stream_pending(s), 0);
  assert_lists_equal(&w->expected, got);
  list_clear(got);
  free(got);
  tcpsec_stream_free(s);
}

/* The same in pull form: one message per call, resuming after `consumed`. */
static void run_pull(tcpsec_ctx *ctx, tcpsec_stream_role role,
                     const struct wire *w, const size_t *cuts, size_t ncuts) {
  struct message_list *got = calloc(1, sizeof(*got));
  tcpsec_stream *s = NULL;
  size_t start = 0, i;

  assert_non_null(got);
  assert_int_equal(tcpsec_stream_new(ctx, role, NULL, &s), 0);
  for (i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : w->len;
    while (start < end) {
      tcpsec_encap_kind kind;
      const uint8_t *msg;
      size_t used, msg_len;
      int rv = tcpsec_stream_next(s, w->bytes + start, end - start, &used,
                                  &kind, &msg, &msg_len);
      assert_true(rv == 0 || rv == 1);
      assert_true(used > 0);
      start += used;
      if (rv == 1)
        list_add(got, kind, msg, msg_len);
    }
  }
  assert_lists_equal(&w->expected, got);
  list_clear(got);
  free(got);
  tcpsec_stream_free(s);
}

/* Every pair of cut points (i <= j) splits the stream into three chunks,
 * some of them empty; this covers every cut into one, two and three
 * pieces. */
static void run_all_cuts(tcpsec_ctx *ctx, tcpsec_stream_role role,
                         const struct wire *w) {
  size_t cuts[2];
  size_t i, j;

  for (i = 0; i <= w->len; i++) {
    for (j = i; j <= w->len; j++) {
      cuts[0] = i;
      cuts[1] = j;
      run_push(ctx, role, w, cuts, 2);
      if ((i + j) % 7 == 0)
        run_pull(ctx, role, w, cuts, 2);
    }
  }
}

static void two_messages_every_cut(void **state) {
  test_rng rng, data_rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *out = NULL;
  struct wire w;
  uint8_t msg[64];
  size_t len;

  (void)state;
  test_rng_seed(&data_rng, 2);
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &out),
                   0);
  wire_init(&w, 512, 0);
  /* Built by an originator: its first frame carries the prefix. */
  len = random_message(&data_rng, TCPSEC_ENCAP_IKE, msg, 40);
  wire_add(&w, out, TCPSEC_ENCAP_IKE, msg, len);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 20);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  assert_memory_equal(w.bytes, "IKETCP", 6);
  run_all_cuts(ctx, TCPSEC_STREAM_RESPONDER, &w);
  wire_free(&w);

  /* Responder to originator: no prefix. */
  wire_init(&w, 512, 0);
  assert_int_equal(tcpsec_stream_reset(out), 0);
  assert_int_equal(tcpsec_stream_prefix(out, msg, sizeof(msg)), 6);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 30);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 30);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  run_all_cuts(ctx, TCPSEC_STREAM_ORIGINATOR, &w);
  wire_free(&w);

  tcpsec_stream_free(out);
  tcpsec_ctx_free(ctx);
}

static void three_messages_every_cut(void **state) {
  test_rng rng, data_rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *out = NULL;
  struct wire w;
  uint8_t msg[64];
  size_t len;

  (void)state;
  test_rng_seed(&data_rng, 3);
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &out),
                   0);
  wire_init(&w, 512, 0);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 24);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  len = random_message(&data_rng, TCPSEC_ENCAP_IKE, msg, 36);
  wire_add(&w, out, TCPSEC_ENCAP_IKE, msg, len);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 16);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  run_all_cuts(ctx, TCPSEC_STREAM_RESPONDER, &w);
  wire_free(&w);

  /* With a keepalive and an empty frame between the messages. */
  wire_init(&w, 512, 1);
  len = random_message(&data_rng, TCPSEC_ENCAP_IKE, msg, 30);
  assert_int_equal(tcpsec_stream_reset(out), 0);
  assert_int_equal(tcpsec_stream_prefix(out, msg + 32, 32), 6);
  wire_add(&w, out, TCPSEC_ENCAP_IKE, msg, len);
  wire_add_raw(&w, (const uint8_t *)"\xff", 1);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 12);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  wire_add_raw(&w, NULL, 0);
  len = random_message(&data_rng, TCPSEC_ENCAP_ESP, msg, 12);
  wire_add(&w, out, TCPSEC_ENCAP_ESP, msg, len);
  run_all_cuts(ctx, TCPSEC_STREAM_RESPONDER, &w);
  wire_free(&w);

  tcpsec_stream_free(out);
  tcpsec_ctx_free(ctx);
}

static void byte_by_byte_input(void **state) {
  test_rng rng, data_rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  tcpsec_stream *out = NULL;
  size_t *cuts;
  struct wire w;
  uint8_t msg[3000];
  size_t len, i;

  (void)state;
  test_rng_seed(&data_rng, 4);
  assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &out),
                   0);
  wire_init(&w, 20000, 0);
  for (i = 0; i < 8; i++) {
    tcpsec_encap_kind kind = i % 3 == 0 ? TCPSEC_ENCAP_IKE : TCPSEC_ENCAP_ESP;
    len = random_message(&data_rng, kind, msg, sizeof(msg));
    wire_add(&w, out, kind, msg, len);
  }
  cuts = malloc(w.len * sizeof(*cuts));
  assert_non_null(cuts);
  for (i = 0; i + 1 < w.len; i++)
    cuts[i] = i + 1;
  run_push(ctx, TCPSEC_STREAM_RESPONDER, &w, cuts, w.len - 1);
  run_pull(ctx, TCPSEC_STREAM_RESPONDER, &w, cuts, w.len - 1);
  free(cuts);
  wire_free(&w);
  tcpsec_stream_free(out);
  tcpsec_ctx_free(ctx);
}

/* Random chunk boundaries: mostly small chunks, some large. */
static size_t random_cuts(test_rng *rng, size_t total, size_t *cuts,
                          size_t max_cuts) {
  size_t n = 0, pos = 0, step;

  while (n < max_cuts) {
    uint64_t r = test_rng_next(rng);
    if (r % 4 == 0)
      step = 1 + (size_t)((r >> 8) % 4);
    else if (r % 4 == 1)
      step = 1 + (size_t)((r >> 8) % 64);
    else
      step = 1 + (size_t)((r >> 8) % 5000);
    if (step >= total - pos)
      break;
    pos += step;
    cuts[n++] = pos;
  }
  return n;
}

static void random_sequences_random_chunks(void **state) {
  enum { ROUNDS = 300, MAX_CUTS = 4096 };
  test_rng rng, data_rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  size_t *cuts = malloc(MAX_CUTS * sizeof(*cuts));
  uint8_t *msg = malloc(TCPSEC_STREAM_MAX_MESSAGE_LEN);
  size_t round;

  (void)state;
  assert_non_null(cuts);
  assert_non_null(msg);
  test_rng_seed(&data_rng, 5);
  for (round = 0; round < ROUNDS; round++) {
    tcpsec_stream *out = NULL;
    struct wire w;
    size_t count = 1 + (size_t)(test_rng_next(&data_rng) % 40), i, ncuts;

    assert_int_equal(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL,
                                       &out),
                     0);
    wire_init(&w, 64 * 1024 * 8, 0);
    w.len = (size_t)tcpsec_stream_prefix(out, w.bytes, w.cap);
    assert_int_equal(w.len, 6);
    for (i = 0; i < count; i++) {
      uint64_t r = test_rng_next(&data_rng);
      /* Mostly short messages; one in 50 up to the maximum size. */
      size_t max_len = r % 50 == 0 ? 65529 : 1500;
      if (r % 10 == 0) {
        wire_add_raw(&w, (const uint8_t *)"\xff", 1);
      } else if (r % 10 == 1) {
        wire_add_raw(&w, NULL, 0);
      } else {
        tcpsec_encap_kind kind =
            (r >> 8) % 3 == 0 ? TCPSEC_ENCAP_IKE : TCPSEC_ENCAP_ESP;
        size_t len = random_message(&data_rng, kind, msg, max_len);
        if (w.len + len + 12 > w.cap)
          break;
        wire_add(&w, out, kind, msg, len);
      }
    }
    ncuts = random_cuts(&data_rng, w.len, cuts, MAX_CUTS);
    run_push(ctx, TCPSEC_STREAM_RESPONDER, &w, cuts, ncuts);
    run_pull(ctx, TCPSEC_STREAM_RESPONDER, &w, cuts, ncuts);
    wire_free(&w);
    tcpsec_stream_free(out);
  }
  free(msg);
  free(cuts);
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(two_messages_every_cut),
    cmocka_unit_test(three_messages_every_cut),
    cmocka_unit_test(byte_by_byte_input),
    cmocka_unit_test(random_sequences_random_chunks),
  };
  return cmocka_run_group_tests_name("stream_split", tests, NULL, NULL);
}
