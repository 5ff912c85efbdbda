/* Anti-replay window: a ring of 64-bit words (see replay.h). */
#include "esp/replay.h"

#include <string.h>

#include "tcpsec/core.h"
#include "tcpsec/esp.h"

#define BITS_PER_WORD 64u

size_t tcpsec_replay_words(uint32_t size) {
  if (size == 0)
    return 0;
  return (size + BITS_PER_WORD - 1) / BITS_PER_WORD + 1;
}

void tcpsec_replay_init(tcpsec_replay *r, uint32_t size, uint64_t *bitmap,
                        uint64_t top) {
  r->size = size;
  r->words = (uint32_t)tcpsec_replay_words(size);
  r->bitmap = bitmap;
  r->top = top;
  if (r->words == 0)
    return;
  memset(bitmap, 0, (size_t)r->words * sizeof(uint64_t));
  if (top != 0)
    tcpsec_replay_update(r, top);
}

static size_t word_index(const tcpsec_replay *r, uint64_t seq) {
  return (size_t)((seq / BITS_PER_WORD) % r->words);
}

static uint64_t bit_mask(uint64_t seq) {
  return (uint64_t)1 << (seq % BITS_PER_WORD);
}

/*
 * RFC 4303 Appendix A2.2 with W the window size and T = Th:Tl the top:
 *   Case A (Tl >= W - 1, window inside one 2^32 subspace):
 *     Seql >= Tl - W + 1  ->  Seqh = Th,  otherwise Seqh = Th + 1
 *   Case B (Tl < W - 1, window spans two subspaces):
 *     Seql >= Tl - W + 1  ->  Seqh = Th - 1,  otherwise Seqh = Th
 * with 32-bit arithmetic modulo 2^32. Without anti-replay the receiver
 * still tracks T, and the default window size is used as W.
 */
uint64_t tcpsec_replay_infer(const tcpsec_replay *r, uint32_t seql, int esn) {
  uint32_t w = r->size != 0 ? r->size : TCPSEC_ESP_REPLAY_WINDOW_DEFAULT;
  uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
  uint32_t bl = tl - w + 1;
  uint32_t seqh;

  if (!esn)
    return seql;

  if (tl >= w - 1) {
    /* Case A. Th + 1 wraps to 0 only after 2^64 packets; the result then
     * lies far left of the window and is rejected. */
    seqh = seql >= bl ? th : th + 1;
  } else if (seql >= bl) {
    /* Case B, previous subspace. With Th = 0 there is none: the number
     * would lie before the first packet, so return 0, which never passes. */
    if (th == 0)
      return 0;
    seqh = th - 1;
  } else {
    seqh = th;
  }
  return (uint64_t)seqh << 32 | seql;
}

int tcpsec_replay_check(const tcpsec_replay *r, uint64_t seq) {
  if (seq == 0)
    return TCPSEC_ERR_ESP_REPLAYED;
  if (r->size == 0 || seq > r->top)
    return 0;
  if (r->top - seq >= r->size)
    return TCPSEC_ERR_ESP_REPLAYED;
  if (r->bitmap[word_index(r, seq)] & bit_mask(seq))
    return TCPSEC_ERR_ESP_REPLAYED;
  return 0;
}

void tcpsec_replay_update(tcpsec_replay *r, uint64_t seq) {
  uint64_t old_block, new_block, diff, i;

  if (r->size == 0) {
    if (seq > r->top)
      r->top = seq;
    return;
  }

  /* Slide: clear the words between the old top's word and the new one. */
  if (seq > r->top) {
    old_block = r->top / BITS_PER_WORD;
    new_block = seq / BITS_PER_WORD;
    diff = new_block - old_block;
    if (diff >= r->words) {
      memset(r->bitmap, 0, (size_t)r->words * sizeof(uint64_t));
    } else {
      for (i = 1; i <= diff; i++)
        r->bitmap[(old_block + i) % r->words] = 0;
    }
    r->top = seq;
  }

  r->bitmap[word_index(r, seq)] |= bit_mask(seq);
}
