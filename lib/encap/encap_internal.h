/*
 * Internal helpers shared by the encapsulations: message classification,
 * the Internet checksum and loading of size-versioned structs.
 */
#ifndef TCPSEC_ENCAP_INTERNAL_H
#define TCPSEC_ENCAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/encap.h"

/*
 * Classify the contents of one UDP-4500 datagram or one RFC 9329 frame
 * body (RFC 3948 section 2, RFC 9329 section 3):
 *
 *   00 00 00 00 | IKE header (28) ...   IKE, marker stripped
 *   FF                                   NAT-keepalive
 *   SPI (!= 0)  | sequence number ...    ESP, at least 8 bytes
 *
 * On success *msg and *msg_len describe the message inside `body`.
 * Returns 0, TCPSEC_ERR_SHORT_IKE_MESSAGE, TCPSEC_ERR_ESP_TRUNCATED or
 * TCPSEC_ERR_BAD_MARKER. `body` may be NULL only when len is 0.
 */
int tcpsec_encap_classify(const uint8_t *body, size_t len,
                          tcpsec_encap_kind *kind, const uint8_t **msg,
                          size_t *msg_len);

/*
 * Internet checksum (RFC 1071). tcpsec_csum_add() adds `len` bytes to a
 * running sum in native byte order. Every piece must start at an even
 * offset of the checksummed data, and only the last piece may have an odd
 * length. tcpsec_csum_finish() folds the sum and returns its complement,
 * the value to store big-endian in the checksum field.
 */
uint64_t tcpsec_csum_add(uint64_t sum, const uint8_t *p, size_t len);
uint16_t tcpsec_csum_finish(uint64_t sum);

/*
 * Copy a caller's size-versioned struct (first member `size_t size`) over
 * `dst`, which contains this library's defaults and is `dst_size` bytes
 * long. Only the bytes of the caller's struct are read. Bytes beyond this
 * library's struct must be zero, so that no newer setting is silently
 * lost. Sets dst's size to dst_size. Returns 0 or
 * TCPSEC_ERR_INVALID_ARGUMENT.
 */
int tcpsec_encap_load_sized(void *dst, size_t dst_size, const void *src);

/* Write `src` (a full struct of src_size bytes) back into the caller's
 * struct, only as far as the caller's size field reaches and keeping it. */
void tcpsec_encap_store_sized(void *dst, const void *src, size_t src_size);

#endif /* TCPSEC_ENCAP_INTERNAL_H */
