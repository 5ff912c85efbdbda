/*
 * Internal layout of an ESP SA and the ESP wire constants (RFC 4303).
 *
 * ESP packet as seal writes and open reads it (RFC 4303 section 2, tunnel
 * mode, IV layouts of RFC 3602, RFC 4106 and RFC 7634):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |               Security Parameters Index (SPI)                 |  ^
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |            Sequence Number (low 32 bits with ESN)             | header
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |   IV: 8 bytes (AES-GCM, ChaCha20-Poly1305), 16 (AES-CBC)      |  v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |        Payload Data: the inner IPv4 or IPv6 packet ...        |  ^
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |               |  Padding 1, 2, 3, ... (0-255 bytes)           | encrypted
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |                               |  Pad Length   | Next Header   |  v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |   ICV: 16 bytes (AEAD tag), or 16/24/32 (truncated HMAC)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Padding aligns the encrypted part to the cipher block (16 for AES-CBC)
 * and at least to 4 bytes. With ESN the high 32 bits of the sequence number
 * are authenticated but not sent: the AEAD transforms put them in the AAD
 * (SPI | seq high | seq low, RFC 4106, RFC 7634 section 2.1),
 * HMAC appends them after the ciphertext (RFC 4303 section 2.2.1). The
 * AEAD nonce is the 4-byte salt followed by the 8-byte IV.
 */
#ifndef TCPSEC_ESP_INTERNAL_H
#define TCPSEC_ESP_INTERNAL_H

#include <stdint.h>

#include "crypto/crypto.h"
#include "esp/replay.h"
#include "tcpsec/esp.h"

#define ESP_SPI_LEN 4
#define ESP_SEQ_LEN 4
#define ESP_TRAILER_LEN 2      /* pad length and next header */
#define ESP_MIN_ALIGN 4        /* RFC 4303 section 2.4 */
#define ESP_AEAD_SALT_LEN 4
#define ESP_AEAD_IV_LEN 8
#define ESP_CBC_IV_LEN 16

#define ESP_NEXT_HEADER_IPV4 4
#define ESP_NEXT_HEADER_IPV6 41
#define ESP_NEXT_HEADER_DUMMY 59 /* "no next header", RFC 4303 section 2.6 */

/* Without ESN, an outbound SA requests a rekey once it has used this many
 * sequence numbers, 2^28 packets before the counter runs out. */
#define ESP_SEQ32_REKEY_THRESHOLD 0xf0000000u

struct tcpsec_esp_sa {
  tcpsec_ctx *ctx;
  uint32_t spi;
  tcpsec_esp_direction direction;
  uint16_t encr;
  uint16_t integ;
  uint8_t esn;
  uint8_t any_next_header;
  uint8_t iv_len;
  uint8_t icv_len;
  uint8_t block_len;          /* alignment of the encrypted part */
  uint8_t salt[ESP_AEAD_SALT_LEN];
  tcpsec_esp_iv_source iv_source;

  /* Exactly one of aead or cbc is set; hmac goes with cbc. iv_gen encrypts
   * the IV counter of an outbound AES-CBC SA. */
  tcpsec_aead *aead;
  tcpsec_cbc *cbc;
  tcpsec_hmac_key *hmac;
  tcpsec_hash_alg hmac_hash;
  tcpsec_cbc *iv_gen;

  uint64_t seq_out;           /* outbound: last sequence number used */
  tcpsec_replay replay;       /* inbound */

  tcpsec_esp_lifetime soft;
  tcpsec_esp_lifetime hard;
  tcpsec_esp_event_fn event;
  void *event_user;
  uint32_t status;            /* TCPSEC_ESP_STATUS_* */

  tcpsec_esp_sa_stats stats;  /* counters; stats.size is unused */
  size_t alloc_size;          /* bytes of this allocation with the bitmap */
};

/* Header bytes before the payload: SPI, sequence number and IV. */
static inline size_t esp_header_len(const tcpsec_esp_sa *sa) {
  return ESP_SPI_LEN + ESP_SEQ_LEN + sa->iv_len;
}

/* Report the lifetime limits crossed so far; returns the status bits. */
uint32_t tcpsec_esp_sa_check_lifetime(tcpsec_esp_sa *sa, uint64_t now_ms);

/* Count one successful packet of `bytes` inner bytes and check the
 * lifetimes it may have crossed. */
void tcpsec_esp_sa_account(tcpsec_esp_sa *sa, size_t bytes, uint64_t now_ms);

/* Raise an event once: sets the status bit, logs, calls the callback. */
void tcpsec_esp_sa_raise(tcpsec_esp_sa *sa, tcpsec_esp_event event,
                         const char *reason);

/* 1 when [a, a + alen) and [b, b + blen) share a byte. */
int tcpsec_esp_overlaps(const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen);

/* AEAD additional data for a sequence number; returns its length (8, or
 * 12 with ESN). */
size_t tcpsec_esp_build_aad(const tcpsec_esp_sa *sa, uint64_t seq,
                            uint8_t aad[12]);

/* Full HMAC over the first `covered` bytes of the packet and, with ESN, the
 * high 32 bits of seq. */
int tcpsec_esp_compute_hmac(tcpsec_esp_sa *sa, const uint8_t *packet,
                            size_t covered, uint64_t seq,
                            uint8_t mac[TCPSEC_HASH_MAX_LEN]);

#endif /* TCPSEC_ESP_INTERNAL_H */
