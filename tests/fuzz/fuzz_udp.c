/*
 * Fuzz target for the UDP classifier. Each input is classified with the
 * port 500 and the port 4500 rules. A successful result must point inside
 * the datagram, and building the same kind again must reproduce the
 * datagram byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsec/tcpsec.h"

static void check_port(tcpsec_udp_port port, const uint8_t *data,
                       size_t size) {
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t msg_len;
  uint8_t *again;
  ptrdiff_t n;
  int rv;

  rv = tcpsec_udp_classify(port, data, size, &kind, &msg, &msg_len);
  if (rv != 0) {
    if (rv != TCPSEC_ERR_BAD_MARKER && rv != TCPSEC_ERR_ESP_TRUNCATED &&
        rv != TCPSEC_ERR_SHORT_IKE_MESSAGE)
      abort();
    if (msg != NULL || msg_len != 0)
      abort();
    return;
  }
  if (msg < data || msg_len > size || (size_t)(msg - data) > size - msg_len)
    abort();

  again = malloc(size + 1);
  if (again == NULL)
    abort();
  if (kind == TCPSEC_ENCAP_KEEPALIVE)
    n = tcpsec_udp_keepalive(again, size + 1);
  else
    n = tcpsec_udp_build(port, kind, msg, msg_len, again, size + 1);
  if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
    abort();
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_port(TCPSEC_UDP_PORT_IKE, data, size);
  check_port(TCPSEC_UDP_PORT_NATT, data, size);
  return 0;
}
