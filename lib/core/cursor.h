/*
 * Checked reader over untrusted bytes.
 *
 * A cursor is {p, end}. Every reader first checks that the bytes it needs
 * remain, comparing the count against (end - p) so that no pointer is ever
 * formed past the end. A failed read sets the sticky `error` flag and leaves
 * p where it was, so a parser can read a whole fixed header and check once.
 */
#ifndef TCPSEC_CORE_CURSOR_H
#define TCPSEC_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"

typedef struct tcpsec_cursor {
  const uint8_t *p;
  const uint8_t *end;
  const uint8_t *start; /* for offsets in error messages */
  int error;
} tcpsec_cursor;

static inline void tcpsec_cursor_init(tcpsec_cursor *c, const uint8_t *data,
                                      size_t len) {
  c->p = data;
  c->end = data + len;
  c->start = data;
  c->error = 0;
}

static inline size_t tcpsec_cursor_left(const tcpsec_cursor *c) {
  return (size_t)(c->end - c->p);
}

/* Offset of the read position from the start of the buffer. */
static inline size_t tcpsec_cursor_offset(const tcpsec_cursor *c) {
  return (size_t)(c->p - c->start);
}

static inline int tcpsec_cursor_need(tcpsec_cursor *c, size_t need) {
  if (c->error || need > tcpsec_cursor_left(c)) {
    c->error = 1;
    return 0;
  }
  return 1;
}

static inline uint8_t tcpsec_cursor_u8(tcpsec_cursor *c) {
  if (!tcpsec_cursor_need(c, 1))
    return 0;
  return *c->p++;
}

static inline uint16_t tcpsec_cursor_be16(tcpsec_cursor *c) {
  uint16_t v;

  if (!tcpsec_cursor_need(c, 2))
    return 0;
  v = tcpsec_load_be16(c->p);
  c->p += 2;
  return v;
}

static inline uint32_t tcpsec_cursor_be32(tcpsec_cursor *c) {
  uint32_t v;

  if (!tcpsec_cursor_need(c, 4))
    return 0;
  v = tcpsec_load_be32(c->p);
  c->p += 4;
  return v;
}

static inline uint64_t tcpsec_cursor_be64(tcpsec_cursor *c) {
  uint64_t v;

  if (!tcpsec_cursor_need(c, 8))
    return 0;
  v = tcpsec_load_be64(c->p);
  c->p += 8;
  return v;
}

/* Copy n bytes out; on failure `out` is zero-filled. */
static inline void tcpsec_cursor_copy(tcpsec_cursor *c, void *out, size_t n) {
  if (!tcpsec_cursor_need(c, n)) {
    memset(out, 0, n);
    return;
  }
  memcpy(out, c->p, n);
  c->p += n;
}

/* Return a pointer to the next n bytes and advance, or NULL. */
static inline const uint8_t *tcpsec_cursor_bytes(tcpsec_cursor *c, size_t n) {
  const uint8_t *q;

  if (!tcpsec_cursor_need(c, n))
    return NULL;
  q = c->p;
  c->p += n;
  return q;
}

static inline int tcpsec_cursor_skip(tcpsec_cursor *c, size_t n) {
  return tcpsec_cursor_bytes(c, n) != NULL;
}

/* Split off the next n bytes as a sub-cursor and advance past them. */
static inline int tcpsec_cursor_sub(tcpsec_cursor *c, size_t n,
                                    tcpsec_cursor *sub) {
  const uint8_t *q = tcpsec_cursor_bytes(c, n);

  if (q == NULL)
    return 0;
  sub->p = q;
  sub->end = q + n;
  sub->start = c->start;
  sub->error = 0;
  return 1;
}

#endif /* TCPSEC_CORE_CURSOR_H */
