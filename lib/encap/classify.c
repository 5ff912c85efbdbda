/* Classification of IKE, ESP and NAT-keepalive messages, shared by the UDP
 * and TCP stream encapsulations, and loading of versioned structs. */
#include <string.h>

#include "core/cursor.h"
#include "core/util.h"
#include "encap/encap_internal.h"

#define NAT_KEEPALIVE_BYTE 0xFF

int tcpsec_encap_classify(const uint8_t *body, size_t len,
                          tcpsec_encap_kind *kind, const uint8_t **msg,
                          size_t *msg_len) {
  static const uint8_t no_input[1];
  tcpsec_cursor c;
  uint32_t first_word;

  *kind = 0;
  *msg = NULL;
  *msg_len = 0;
  tcpsec_cursor_init(&c, body != NULL ? body : no_input, len);

  /* NAT-keepalive: exactly one byte 0xFF. */
  if (len == 1 && body[0] == NAT_KEEPALIVE_BYTE) {
    *kind = TCPSEC_ENCAP_KEEPALIVE;
    *msg = body;
    *msg_len = 1;
    return 0;
  }

  /* Non-ESP marker or SPI; fewer than 4 bytes hold neither. */
  first_word = tcpsec_cursor_be32(&c);
  if (c.error)
    return TCPSEC_ERR_BAD_MARKER;

  /* Non-ESP marker: the rest is an IKE message. */
  if (first_word == 0) {
    if (tcpsec_cursor_left(&c) < TCPSEC_IKE_HEADER_LEN)
      return TCPSEC_ERR_SHORT_IKE_MESSAGE;
    *kind = TCPSEC_ENCAP_IKE;
    *msg = c.p;
    *msg_len = tcpsec_cursor_left(&c);
    return 0;
  }

  /* Otherwise ESP: SPI and sequence number at least. */
  if (len < TCPSEC_ESP_MIN_LEN)
    return TCPSEC_ERR_ESP_TRUNCATED;
  *kind = TCPSEC_ENCAP_ESP;
  *msg = body;
  *msg_len = len;
  return 0;
}

int tcpsec_encap_load_sized(void *dst, size_t dst_size, const void *src) {
  const uint8_t *bytes = src;
  size_t src_size, i;

  memcpy(&src_size, src, sizeof(src_size));
  if (src_size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = dst_size; i < src_size; i++)
    if (bytes[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy(dst, src, TCPSEC_MIN(src_size, dst_size));
  memcpy(dst, &dst_size, sizeof(dst_size));
  return 0;
}

void tcpsec_encap_store_sized(void *dst, const void *src, size_t src_size) {
  size_t dst_size;

  memcpy(&dst_size, dst, sizeof(dst_size));
  if (dst_size <= sizeof(size_t))
    return;
  memcpy((uint8_t *)dst + sizeof(size_t), (const uint8_t *)src + sizeof(size_t),
         TCPSEC_MIN(dst_size, src_size) - sizeof(size_t));
}
