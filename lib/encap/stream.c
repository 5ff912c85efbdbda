/*
 * RFC 9329 framing of IKE and ESP in a TCP stream.
 *
 * The TCP originator's bytes start with the 6-byte prefix; then, in both
 * directions, each message is a frame (RFC 9329 sections 3 and 4):
 *
 *   +------+------+------+------+------+------+
 *   | 0x49 | 0x4b | 0x45 | 0x54 | 0x43 | 0x50 |   "IKETCP", originator only
 *   +------+------+------+------+------+------+
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                                   |   Length (counts itself)      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Non-ESP Marker (0) for IKE, or the ESP SPI (non-zero)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~              IKE message, or rest of the ESP packet           ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length 0 or 1 is fatal, length 2 (empty) is ignored and length 3 with
 * the byte 0xFF is a NAT-keepalive, dropped silently.
 *
 * The parser is a small state machine that keeps at most the two length
 * bytes and one frame body between calls. A body that lies whole inside
 * the caller's chunk is returned by pointer; only bodies split across
 * chunks are copied into the reassembly buffer.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/cursor.h"
#include "core/util.h"
#include "encap/encap_internal.h"

#define LOG_SUBSYSTEM "encap"
#define LENGTH_FIELD_LEN 2
/* Smallest useful max_input_len: marker plus IKE header. */
#define MIN_INPUT_LEN (TCPSEC_NON_ESP_MARKER_LEN + TCPSEC_IKE_HEADER_LEN)

static const uint8_t stream_prefix[TCPSEC_STREAM_PREFIX_LEN] = {
    'I', 'K', 'E', 'T', 'C', 'P'};

enum stream_state {
  STATE_PREFIX,  /* responder: matching the prefix */
  STATE_LENGTH,  /* reading the 2-byte length */
  STATE_BODY,    /* collecting a frame body in the reassembly buffer */
  STATE_SKIP,    /* skipping the body of a frame that is too long */
  STATE_CLOSED   /* fatal error seen; only reset helps */
};

struct tcpsec_stream {
  tcpsec_ctx *ctx;
  tcpsec_stream_role role;
  enum stream_state state;
  size_t max_input_len;

  /* Prefix bytes matched (responder) or whether it was sent (originator). */
  size_t prefix_matched;
  int prefix_sent;

  /* Current frame: first length byte, body length and bytes held. */
  uint8_t length_high;
  int have_length_high;
  size_t body_len;
  size_t body_have;

  /* Reassembly buffer of max_input_len bytes, or NULL until needed. */
  uint8_t *buf;

  int in_callback;
  tcpsec_stream_stats stats;
};

void tcpsec_stream_config_default(tcpsec_stream_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->max_input_len = TCPSEC_STREAM_MAX_MESSAGE_LEN;
  cfg->preallocate = 0;
}

static void stream_start_connection(tcpsec_stream *s) {
  s->state = s->role == TCPSEC_STREAM_RESPONDER ? STATE_PREFIX : STATE_LENGTH;
  s->prefix_matched = 0;
  s->prefix_sent = 0;
  s->have_length_high = 0;
  s->body_len = 0;
  s->body_have = 0;
}

int tcpsec_stream_new(tcpsec_ctx *ctx, tcpsec_stream_role role,
                      const tcpsec_stream_config *cfg, tcpsec_stream **out) {
  tcpsec_stream_config c;
  tcpsec_stream *s;
  int rv;

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (role != TCPSEC_STREAM_ORIGINATOR && role != TCPSEC_STREAM_RESPONDER)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  tcpsec_stream_config_default(&c);
  if (cfg != NULL) {
    rv = tcpsec_encap_load_sized(&c, sizeof(c), cfg);
    if (rv != 0)
      return rv;
  }
  if (c.max_input_len < MIN_INPUT_LEN ||
      c.max_input_len > TCPSEC_STREAM_MAX_MESSAGE_LEN)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  s = tcpsec_calloc(ctx, 1, sizeof(*s));
  if (s == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  s->ctx = ctx;
  s->role = role;
  s->max_input_len = c.max_input_len;
  s->stats.size = sizeof(s->stats);
  if (c.preallocate) {
    s->buf = tcpsec_malloc(ctx, s->max_input_len);
    if (s->buf == NULL) {
      tcpsec_free(ctx, s);
      return TCPSEC_ERR_NO_MEMORY;
    }
  }
  stream_start_connection(s);
  *out = s;
  return 0;
}

void tcpsec_stream_free(tcpsec_stream *s) {
  if (s == NULL)
    return;
  tcpsec_free(s->ctx, s->buf);
  tcpsec_free(s->ctx, s);
}

int tcpsec_stream_reset(tcpsec_stream *s) {
  if (s == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (s->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  stream_start_connection(s);
  return 0;
}

size_t tcpsec_stream_pending(const tcpsec_stream *s) {
  if (s == NULL)
    return 0;
  switch (s->state) {
  case STATE_PREFIX:
    return s->prefix_matched;
  case STATE_LENGTH:
    return s->have_length_high ? 1 : 0;
  case STATE_BODY:
  case STATE_SKIP:
    return LENGTH_FIELD_LEN + s->body_have;
  case STATE_CLOSED:
    break;
  }
  return 0;
}

int tcpsec_stream_get_stats(const tcpsec_stream *s, tcpsec_stream_stats *out) {
  if (s == NULL || out == NULL || out->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_encap_store_sized(out, &s->stats, sizeof(s->stats));
  return 0;
}

/* Enter the closed state after a fatal error and return the error. */
static int stream_fail(tcpsec_stream *s, int err) {
  s->state = STATE_CLOSED;
  return err;
}

/* Match prefix bytes (responder). Returns 0 or the fatal
 * TCPSEC_ERR_STREAM_BAD_PREFIX. */
static int stream_read_prefix(tcpsec_stream *s, tcpsec_cursor *in) {
  uint8_t byte;

  while (tcpsec_cursor_left(in) > 0 &&
         s->prefix_matched < TCPSEC_STREAM_PREFIX_LEN) {
    byte = *in->p;
    if (byte != stream_prefix[s->prefix_matched]) {
      tcpsec_log(s->ctx, TCPSEC_LOG_NOTICE, LOG_SUBSYSTEM,
                 "TCP stream does not start with \"IKETCP\": byte %zu is "
                 "0x%02x; the connection must be closed",
                 s->prefix_matched, byte);
      return stream_fail(s, TCPSEC_ERR_STREAM_BAD_PREFIX);
    }
    (void)tcpsec_cursor_u8(in);
    s->prefix_matched++;
  }
  if (s->prefix_matched == TCPSEC_STREAM_PREFIX_LEN)
    s->state = STATE_LENGTH;
  return 0;
}

/*
 * Read the length field, which may arrive one byte at a time. Returns 0,
 * the fatal TCPSEC_ERR_STREAM_BAD_LENGTH, or the non-fatal
 * TCPSEC_ERR_MESSAGE_TOO_LONG after which the body is skipped. Moves to
 * STATE_BODY, or stays in STATE_LENGTH after an empty frame.
 */
static int stream_read_length(tcpsec_stream *s, tcpsec_cursor *in) {
  size_t frame_len;

  if (tcpsec_cursor_left(in) == 0)
    return 0;
  if (!s->have_length_high) {
    s->length_high = tcpsec_cursor_u8(in);
    s->have_length_high = 1;
    if (tcpsec_cursor_left(in) == 0)
      return 0;
  }
  frame_len = (size_t)s->length_high << 8 | tcpsec_cursor_u8(in);
  s->have_length_high = 0;

  if (frame_len < LENGTH_FIELD_LEN) {
    tcpsec_log(s->ctx, TCPSEC_LOG_NOTICE, LOG_SUBSYSTEM,
               "TCP stream frame length %zu after %llu bytes is invalid "
               "(minimum 2); the connection must be closed",
               frame_len,
               (unsigned long long)(s->stats.bytes + tcpsec_cursor_offset(in)));
    return stream_fail(s, TCPSEC_ERR_STREAM_BAD_LENGTH);
  }
  if (frame_len == LENGTH_FIELD_LEN) {
    /* Empty frame: ignored (RFC 9329 section 3). */
    s->stats.empty_frames++;
    return 0;
  }
  s->body_len = frame_len - LENGTH_FIELD_LEN;
  s->body_have = 0;
  if (s->body_len > s->max_input_len) {
    s->stats.discarded_frames++;
    s->state = STATE_SKIP;
    return TCPSEC_ERR_MESSAGE_TOO_LONG;
  }
  s->state = STATE_BODY;
  return 0;
}

/*
 * Classify a complete body. Returns 1 with the message for IKE and ESP, 0
 * for a dropped keepalive, or a non-fatal error for a discarded frame.
 */
static int stream_finish_body(tcpsec_stream *s, const uint8_t *body,
                              int copied, tcpsec_encap_kind *kind,
                              const uint8_t **msg, size_t *msg_len) {
  int rv;

  s->state = STATE_LENGTH;
  rv = tcpsec_encap_classify(body, s->body_len, kind, msg, msg_len);
  if (rv != 0) {
    s->stats.discarded_frames++;
    return rv;
  }
  if (*kind == TCPSEC_ENCAP_KEEPALIVE) {
    /* RFC 9329 section 6.6: dropped silently, not an error. */
    s->stats.keepalives++;
    return 0;
  }
  if (*kind == TCPSEC_ENCAP_IKE)
    s->stats.ike_messages++;
  else
    s->stats.esp_messages++;
  if (copied)
    s->stats.copied_messages++;
  return 1;
}

/* Collect body bytes. Returns as stream_finish_body(), 0 when more input is
 * needed, or TCPSEC_ERR_NO_MEMORY with nothing consumed. */
static int stream_read_body(tcpsec_stream *s, tcpsec_cursor *in,
                            tcpsec_encap_kind *kind, const uint8_t **msg,
                            size_t *msg_len) {
  size_t need = s->body_len - s->body_have;
  const uint8_t *bytes;
  size_t take;

  /* The whole body is in this chunk: hand out a pointer, copy nothing. */
  if (s->body_have == 0 && need <= tcpsec_cursor_left(in)) {
    bytes = tcpsec_cursor_bytes(in, need);
    return stream_finish_body(s, bytes, 0, kind, msg, msg_len);
  }
  if (tcpsec_cursor_left(in) == 0)
    return 0;

  /* The body spans chunks: gather it in the reassembly buffer. */
  if (s->buf == NULL) {
    s->buf = tcpsec_malloc(s->ctx, s->max_input_len);
    if (s->buf == NULL) {
      tcpsec_log(s->ctx, TCPSEC_LOG_ERROR, LOG_SUBSYSTEM,
                 "cannot allocate the %zu-byte TCP stream reassembly buffer "
                 "for a %zu-byte frame",
                 s->max_input_len, s->body_len);
      return TCPSEC_ERR_NO_MEMORY;
    }
  }
  take = TCPSEC_MIN(need, tcpsec_cursor_left(in));
  tcpsec_cursor_copy(in, s->buf + s->body_have, take);
  s->body_have += take;
  if (s->body_have < s->body_len)
    return 0;
  return stream_finish_body(s, s->buf, 1, kind, msg, msg_len);
}

/* Skip body bytes of a frame longer than max_input_len. */
static void stream_skip_body(tcpsec_stream *s, tcpsec_cursor *in) {
  size_t take = TCPSEC_MIN(s->body_len - s->body_have, tcpsec_cursor_left(in));

  (void)tcpsec_cursor_skip(in, take);
  s->body_have += take;
  if (s->body_have == s->body_len)
    s->state = STATE_LENGTH;
}

int tcpsec_stream_next(tcpsec_stream *s, const uint8_t *data, size_t len,
                       size_t *consumed, tcpsec_encap_kind *kind,
                       const uint8_t **msg, size_t *msg_len) {
  static const uint8_t no_input[1];
  tcpsec_cursor in;
  int rv = 0;

  if (consumed != NULL)
    *consumed = 0;
  if (s == NULL || consumed == NULL || kind == NULL || msg == NULL ||
      msg_len == NULL || (data == NULL && len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (s->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  *kind = 0;
  *msg = NULL;
  *msg_len = 0;
  tcpsec_cursor_init(&in, data != NULL ? data : no_input, len);

  /* A frame body completes when its last byte arrives, so nothing is left
   * to do once the input is used up. */
  while (rv == 0 && s->state != STATE_CLOSED && tcpsec_cursor_left(&in) > 0) {
    switch (s->state) {
    case STATE_PREFIX:
      rv = stream_read_prefix(s, &in);
      break;
    case STATE_LENGTH:
      rv = stream_read_length(s, &in);
      break;
    case STATE_BODY:
      rv = stream_read_body(s, &in, kind, msg, msg_len);
      break;
    case STATE_SKIP:
      stream_skip_body(s, &in);
      break;
    case STATE_CLOSED:
      break;
    }
  }
  if (rv == 0 && s->state == STATE_CLOSED)
    rv = TCPSEC_ERR_STREAM_CLOSED;

  *consumed = tcpsec_cursor_offset(&in);
  s->stats.bytes += *consumed;
  return rv;
}

int tcpsec_stream_input(tcpsec_stream *s, const uint8_t *data, size_t len,
                        tcpsec_stream_message_fn cb, void *user) {
  size_t pos = 0, used, msg_len;
  const uint8_t *msg;
  tcpsec_encap_kind kind;
  int first_error = 0, rv;

  if (s == NULL || cb == NULL || (data == NULL && len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (s->in_callback)
    return TCPSEC_ERR_INVALID_STATE;
  if (s->state == STATE_CLOSED)
    return TCPSEC_ERR_STREAM_CLOSED;

  while (pos < len) {
    rv = tcpsec_stream_next(s, data + pos, len - pos, &used, &kind, &msg,
                            &msg_len);
    pos += used;
    if (rv == 1) {
      s->in_callback = 1;
      rv = cb(user, kind, msg, msg_len);
      s->in_callback = 0;
      if (rv != 0) {
        tcpsec_log(s->ctx, TCPSEC_LOG_INFO, LOG_SUBSYSTEM,
                   "message callback returned %d; TCP stream closed with "
                   "%zu input bytes unparsed",
                   rv, len - pos);
        return stream_fail(s, TCPSEC_ERR_CALLBACK);
      }
      continue;
    }
    if (rv == TCPSEC_ERR_STREAM_BAD_PREFIX ||
        rv == TCPSEC_ERR_STREAM_BAD_LENGTH)
      return rv;
    if (rv == TCPSEC_ERR_NO_MEMORY)
      return stream_fail(s, rv);
    if (rv < 0 && first_error == 0)
      first_error = rv;
  }
  return first_error;
}

/* Check kind and length of an outgoing message; returns the frame header
 * length without prefix, or an error. */
static ptrdiff_t frame_header_len(tcpsec_encap_kind kind, size_t msg_len) {
  size_t header_len;

  if (kind == TCPSEC_ENCAP_IKE) {
    if (msg_len < TCPSEC_IKE_HEADER_LEN)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    if (msg_len > TCPSEC_STREAM_MAX_MESSAGE_LEN - TCPSEC_NON_ESP_MARKER_LEN)
      return TCPSEC_ERR_MESSAGE_TOO_LONG;
    header_len = LENGTH_FIELD_LEN + TCPSEC_NON_ESP_MARKER_LEN;
  } else if (kind == TCPSEC_ENCAP_ESP) {
    if (msg_len < TCPSEC_ESP_MIN_LEN)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    if (msg_len > TCPSEC_STREAM_MAX_MESSAGE_LEN)
      return TCPSEC_ERR_MESSAGE_TOO_LONG;
    header_len = LENGTH_FIELD_LEN;
  } else {
    /* RFC 9329 section 6.6: no NAT-keepalives over TCP. */
    return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  return (ptrdiff_t)header_len;
}

static int prefix_due(const tcpsec_stream *s) {
  return s->role == TCPSEC_STREAM_ORIGINATOR && !s->prefix_sent;
}

ptrdiff_t tcpsec_stream_prefix(tcpsec_stream *s, uint8_t *out,
                               size_t out_len) {
  if (s == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (!prefix_due(s))
    return 0;
  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (out_len < TCPSEC_STREAM_PREFIX_LEN)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  memcpy(out, stream_prefix, TCPSEC_STREAM_PREFIX_LEN);
  s->prefix_sent = 1;
  return TCPSEC_STREAM_PREFIX_LEN;
}

ptrdiff_t tcpsec_stream_frame_header(tcpsec_stream *s, tcpsec_encap_kind kind,
                                     size_t msg_len, uint8_t *out,
                                     size_t out_len) {
  ptrdiff_t header_len;
  size_t prefix_len, frame_len, pos;

  if (s == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  header_len = frame_header_len(kind, msg_len);
  if (header_len < 0)
    return header_len;
  if (s->state == STATE_CLOSED)
    return TCPSEC_ERR_STREAM_CLOSED;
  prefix_len = prefix_due(s) ? TCPSEC_STREAM_PREFIX_LEN : 0;
  if (out_len < prefix_len + (size_t)header_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  pos = 0;
  if (prefix_len != 0) {
    memcpy(out, stream_prefix, prefix_len);
    s->prefix_sent = 1;
    pos = prefix_len;
  }

  /* Length = length field + marker (IKE) + message. */
  frame_len = (size_t)header_len + msg_len;
  tcpsec_store_be16(out + pos, (uint16_t)frame_len);
  pos += LENGTH_FIELD_LEN;
  if (kind == TCPSEC_ENCAP_IKE) {
    memset(out + pos, 0, TCPSEC_NON_ESP_MARKER_LEN);
    pos += TCPSEC_NON_ESP_MARKER_LEN;
  }
  return (ptrdiff_t)pos;
}

ptrdiff_t tcpsec_stream_frame(tcpsec_stream *s, tcpsec_encap_kind kind,
                              const uint8_t *msg, size_t msg_len,
                              uint8_t *out, size_t out_len) {
  ptrdiff_t header_len;
  size_t prefix_len;

  if (s == NULL || msg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  header_len = frame_header_len(kind, msg_len);
  if (header_len < 0)
    return header_len;
  if (kind == TCPSEC_ENCAP_ESP && tcpsec_load_be32(msg) == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (s->state == STATE_CLOSED)
    return TCPSEC_ERR_STREAM_CLOSED;
  prefix_len = prefix_due(s) ? TCPSEC_STREAM_PREFIX_LEN : 0;
  if (out_len < prefix_len + (size_t)header_len ||
      out_len - prefix_len - (size_t)header_len < msg_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  header_len = tcpsec_stream_frame_header(s, kind, msg_len, out, out_len);
  if (header_len < 0)
    return header_len;
  memcpy(out + header_len, msg, msg_len);
  return header_len + (ptrdiff_t)msg_len;
}
