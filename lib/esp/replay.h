/*
 * Anti-replay window of an inbound ESP SA (RFC 4303 section 3.4.3 and
 * Appendix A, bitmap layout after RFC 6479).
 *
 * The window covers the `size` sequence numbers ending at `top`, the
 * highest number authenticated so far. Its bits live in a ring of 64-bit
 * words indexed by (seq / 64) % words. The ring has one word more than the
 * window needs, so that sliding the window forward only clears whole words
 * that lie ahead of the old top: a check or an update touches one word, and
 * a jump clears at most `words` words, whatever the size of the jump.
 *
 * Checking and updating are separate steps because RFC 4303 requires the
 * window to move only after the packet has been authenticated.
 */
#ifndef TCPSEC_ESP_REPLAY_H
#define TCPSEC_ESP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

typedef struct tcpsec_replay {
  uint64_t top;      /* T: highest authenticated sequence number, 0 = none */
  uint32_t size;     /* W: window size in packets, 0 = anti-replay off */
  uint32_t words;    /* ring length in 64-bit words, 0 when off */
  uint64_t *bitmap;  /* caller-provided storage of `words` words */
} tcpsec_replay;

/* Ring length in words for a window of `size` packets (0 for size 0). */
size_t tcpsec_replay_words(uint32_t size);

/* Start an empty window whose top is `top`. `bitmap` must hold
 * tcpsec_replay_words(size) words. A non-zero top counts as received. */
void tcpsec_replay_init(tcpsec_replay *r, uint32_t size, uint64_t *bitmap,
                        uint64_t top);

/* Full 64-bit sequence number of a packet carrying the low 32 bits `seql`
 * (RFC 4303 Appendix A2.2). Without ESN it is seql itself. */
uint64_t tcpsec_replay_infer(const tcpsec_replay *r, uint32_t seql, int esn);

/* 0 when `seq` may be new, TCPSEC_ERR_ESP_REPLAYED when it is 0, was seen
 * or lies left of the window. Changes nothing. */
int tcpsec_replay_check(const tcpsec_replay *r, uint64_t seq);

/* Mark `seq` as received and slide the window when it is above the top.
 * Call only after tcpsec_replay_check() and authentication passed. */
void tcpsec_replay_update(tcpsec_replay *r, uint64_t seq);

#endif /* TCPSEC_ESP_REPLAY_H */
