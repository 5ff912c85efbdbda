/*
 * IKE and ESP in UDP payloads on ports 500 and 4500 (RFC 3948 section 2,
 * RFC 7296 section 2.23).
 *
 * Port 500 carries IKE messages as they are. Port 4500 carries:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                   Non-ESP Marker (4 zero bytes)               |  IKE
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                  IKE message (28-byte header first)           ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 SPI (never 0) | sequence number | ...         |  ESP
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   +-+-+-+-+-+-+-+-+
 *   |     0xFF      |                                                  keepalive
 *   +-+-+-+-+-+-+-+-+
 */
#include <string.h>

#include "core/util.h"
#include "encap/encap_internal.h"

int tcpsec_udp_classify(tcpsec_udp_port port, const uint8_t *dgram,
                        size_t len, tcpsec_encap_kind *kind,
                        const uint8_t **msg, size_t *msg_len) {
  if (kind == NULL || msg == NULL || msg_len == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *kind = 0;
  *msg = NULL;
  *msg_len = 0;
  if (dgram == NULL && len != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  switch (port) {
  case TCPSEC_UDP_PORT_IKE:
    if (len < TCPSEC_IKE_HEADER_LEN)
      return TCPSEC_ERR_SHORT_IKE_MESSAGE;
    *kind = TCPSEC_ENCAP_IKE;
    *msg = dgram;
    *msg_len = len;
    return 0;
  case TCPSEC_UDP_PORT_NATT:
    return tcpsec_encap_classify(dgram, len, kind, msg, msg_len);
  }
  return TCPSEC_ERR_INVALID_ARGUMENT;
}

ptrdiff_t tcpsec_udp_header(tcpsec_udp_port port, tcpsec_encap_kind kind,
                            size_t msg_len, uint8_t *out, size_t out_len) {
  size_t header_len;

  if (port != TCPSEC_UDP_PORT_IKE && port != TCPSEC_UDP_PORT_NATT)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  if (kind == TCPSEC_ENCAP_IKE) {
    if (msg_len < TCPSEC_IKE_HEADER_LEN)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    header_len = port == TCPSEC_UDP_PORT_NATT ? TCPSEC_NON_ESP_MARKER_LEN : 0;
  } else if (kind == TCPSEC_ENCAP_ESP && port == TCPSEC_UDP_PORT_NATT) {
    if (msg_len < TCPSEC_ESP_MIN_LEN)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    header_len = 0;
  } else {
    /* ESP never travels on port 500; keepalives use tcpsec_udp_keepalive(). */
    return TCPSEC_ERR_INVALID_ARGUMENT;
  }

  if (msg_len > TCPSEC_UDP_MAX_PAYLOAD - header_len)
    return TCPSEC_ERR_MESSAGE_TOO_LONG;
  if (header_len == 0)
    return 0;
  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (out_len < header_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  memset(out, 0, header_len);
  return (ptrdiff_t)header_len;
}

ptrdiff_t tcpsec_udp_build(tcpsec_udp_port port, tcpsec_encap_kind kind,
                           const uint8_t *msg, size_t msg_len, uint8_t *out,
                           size_t out_len) {
  uint8_t marker[TCPSEC_UDP_HEADER_MAX];
  ptrdiff_t header_len;

  if (msg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  header_len = tcpsec_udp_header(port, kind, msg_len, marker, sizeof(marker));
  if (header_len < 0)
    return header_len;
  if (kind == TCPSEC_ENCAP_ESP && tcpsec_load_be32(msg) == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (out_len < (size_t)header_len ||
      out_len - (size_t)header_len < msg_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;

  memcpy(out, marker, (size_t)header_len);
  memcpy(out + header_len, msg, msg_len);
  return header_len + (ptrdiff_t)msg_len;
}

ptrdiff_t tcpsec_udp_keepalive(uint8_t *out, size_t out_len) {
  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (out_len < 1)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  out[0] = 0xFF;
  return 1;
}
