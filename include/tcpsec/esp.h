/**
 * \file tcpsec/esp.h
 * \brief ESP security associations: seal and open tunnel-mode packets.
 *
 * One tcpsec_esp_sa protects one direction of one Child SA (RFC 4303). An
 * outbound SA turns an inner IPv4 or IPv6 packet into an ESP packet (seal);
 * an inbound SA checks and decrypts an ESP packet back into the inner packet
 * (open). Supported transforms:
 *
 * | encryption (IANA)            | integrity                    | RFC        |
 * |------------------------------|------------------------------|------------|
 * | AES-GCM-16 (20), 128/192/256 | built in, 16-byte ICV        | 4106       |
 * | ChaCha20-Poly1305 (28)       | built in, 16-byte ICV        | 7634       |
 * | AES-CBC (12), 128/192/256    | HMAC-SHA2-256-128 (12),      | 3602, 4868 |
 * |                              | -384-192 (13), -512-256 (14) |            |
 *
 * Packets live in caller buffers: nothing is allocated per packet. Seal
 * writes `headroom` bytes (SPI, sequence number, IV) in front of the inner
 * packet and at most `tailroom` bytes (padding, pad length, next header,
 * ICV) behind it. A caller that leaves that room around the inner packet
 * seals in place, and can then prepend its own encapsulation headers
 * without a copy. The sizes exist as macros (upper bounds for all
 * transforms) and as functions (exact for one SA).
 *
 * The library never reads a clock: seal and open take the caller's
 * monotonic time in milliseconds (`now_ms`), which drives the time
 * lifetimes and the last-use time.
 *
 * An SA is not thread-safe. It uses its context for logging and randomness,
 * so all SAs of one context follow the context's rule: one thread at a
 * time.
 */
#ifndef TCPSEC_ESP_H
#define TCPSEC_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/algorithms.h"
#include "tcpsec/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \name Buffer room around the inner packet
 * Upper bounds over every supported transform; tcpsec_esp_sa_headroom()
 * and tcpsec_esp_sa_tailroom() give the exact values of one SA.
 * \{
 */
/** Bytes seal writes in front of the inner packet: SPI (4), sequence
 *  number (4) and IV (16 for AES-CBC, 8 for the AEAD transforms). */
#define TCPSEC_ESP_HEADROOM_MAX 24
/** Bytes seal writes behind the inner packet: padding (at most 15 with
 *  AES-CBC), pad length (1), next header (1) and ICV (at most 32). */
#define TCPSEC_ESP_TAILROOM_MAX 49
/** \} */

/** Default anti-replay window size in packets. */
#define TCPSEC_ESP_REPLAY_WINDOW_DEFAULT 2048
/** Largest anti-replay window size in packets (1 KiB of bitmap per SA). */
#define TCPSEC_ESP_REPLAY_WINDOW_MAX 8192

/** Direction of an SA. */
typedef enum tcpsec_esp_direction {
  TCPSEC_ESP_INBOUND = 1, /**< Opens packets from the peer. */
  TCPSEC_ESP_OUTBOUND = 2 /**< Seals packets for the peer. */
} tcpsec_esp_direction;

/** IV generation of an outbound AES-CBC SA (RFC 3602 requires IVs that an
 *  attacker cannot predict). AEAD SAs always use the 64-bit sequence number
 *  as IV, which is unique per key as RFC 4106 and RFC 7634 require. */
typedef enum tcpsec_esp_iv_source {
  /** IV = AES-128 of the 64-bit sequence number under a random key made
   *  when the SA is created: unique and unpredictable without one random
   *  source call per packet. The default. */
  TCPSEC_ESP_IV_ENCRYPTED_COUNTER = 0,
  /** IV = 16 bytes from the context's random source for every packet. */
  TCPSEC_ESP_IV_RANDOM = 1
} tcpsec_esp_iv_source;

/** Limits of one lifetime; 0 in a field means no limit of that kind. */
typedef struct tcpsec_esp_lifetime {
  /** Inner packet bytes sealed or opened. */
  uint64_t bytes;
  /** Packets sealed or opened. */
  uint64_t packets;
  /** Milliseconds since the SA was created. */
  uint64_t time_ms;
} tcpsec_esp_lifetime;

/** Events an SA reports through its event callback. */
typedef enum tcpsec_esp_event {
  /** A soft lifetime was reached, or the sequence numbers of an outbound SA
   *  without ESN are running out: negotiate a replacement Child SA. The SA
   *  keeps working. Reported once. */
  TCPSEC_ESP_EVENT_REKEY = 1,
  /** A hard lifetime was reached or the sequence numbers are exhausted:
   *  every further seal or open fails. Delete the SA. Reported once. */
  TCPSEC_ESP_EVENT_EXPIRED = 2
} tcpsec_esp_event;

/** Bits of tcpsec_esp_sa_status(). */
#define TCPSEC_ESP_STATUS_REKEY   0x1u /**< The rekey event was reported. */
#define TCPSEC_ESP_STATUS_EXPIRED 0x2u /**< The expired event was reported. */

/** One ESP security association (one direction). */
typedef struct tcpsec_esp_sa tcpsec_esp_sa;

/**
 * \brief Receives a lifetime event of an SA.
 * \param user  The event_user pointer from the configuration.
 * \param sa    The SA that reached the lifetime.
 * \param event What happened.
 *
 * Called from inside seal, open or tcpsec_esp_sa_handle_timeout(). The
 * callback must not free \p sa and must not seal or open on it; reading its
 * statistics is allowed.
 */
typedef void (*tcpsec_esp_event_fn)(void *user, tcpsec_esp_sa *sa,
                                    tcpsec_esp_event event);

/**
 * Configuration of one ESP SA.
 *
 * Fill it with tcpsec_esp_sa_config_default() first. The leading `size`
 * field versions the struct as in tcpsec_ctx_config: new fields are only
 * ever appended. Key bytes are copied into the SA, so the caller may wipe
 * its copy once tcpsec_esp_sa_new() returns.
 */
typedef struct tcpsec_esp_sa_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** SPI carried in the packets, in host byte order. Must not be 0. */
  uint32_t spi;
  /** Inbound or outbound (no default: 0 is rejected). */
  tcpsec_esp_direction direction;
  /** Encryption transform: TCPSEC_ENCR_AES_GCM_16,
   *  TCPSEC_ENCR_CHACHA20_POLY1305 or TCPSEC_ENCR_AES_CBC. */
  uint16_t encr;
  /** Integrity transform: TCPSEC_INTEG_NONE with an AEAD transform, one of
   *  the TCPSEC_INTEG_HMAC_SHA2_* with AES-CBC. */
  uint16_t integ;
  /** Encryption key material in the order IKEv2 KEYMAT delivers it. For
   *  AES-GCM it is the AES key followed by the 4-byte salt (20, 28 or 36
   *  bytes, RFC 4106). For ChaCha20-Poly1305 it is the 32-byte key followed
   *  by the 4-byte salt (36 bytes, RFC 7634 section 2). For AES-CBC it is
   *  the AES key (16, 24 or 32 bytes). */
  const uint8_t *encr_key;
  /** Length of \c encr_key in bytes. */
  size_t encr_key_len;
  /** HMAC key for AES-CBC: 32, 48 or 64 bytes (RFC 4868); NULL for AEAD. */
  const uint8_t *integ_key;
  /** Length of \c integ_key in bytes. */
  size_t integ_key_len;
  /** Extended (64-bit) sequence numbers negotiated (RFC 4303 section
   *  2.2.1). Default 0. */
  int esn;
  /** Anti-replay window of an inbound SA in packets: 0 disables the check,
   *  at most TCPSEC_ESP_REPLAY_WINDOW_MAX. Ignored for outbound SAs.
   *  Default TCPSEC_ESP_REPLAY_WINDOW_DEFAULT. */
  uint32_t replay_window;
  /** Soft lifetime: reaching it reports TCPSEC_ESP_EVENT_REKEY. */
  tcpsec_esp_lifetime soft;
  /** Hard lifetime: reaching it reports TCPSEC_ESP_EVENT_EXPIRED and makes
   *  the SA unusable. */
  tcpsec_esp_lifetime hard;
  /** IV generation of an outbound AES-CBC SA. Default
   *  TCPSEC_ESP_IV_ENCRYPTED_COUNTER. */
  tcpsec_esp_iv_source iv_source;
  /** Highest sequence number already used: the last one sealed on an
   *  outbound SA, the highest one authenticated on an inbound SA. Default
   *  0, so the first packet carries 1. Other values serve known-answer
   *  tests and the hand-over of an SA from another data plane. */
  uint64_t last_seq;
  /** Accept any next header value in open and report it, instead of only
   *  4 (IPv4) and 41 (IPv6). Default 0 (tunnel mode). Meant for
   *  known-answer tests whose payloads are not IP packets. */
  int any_next_header;
  /** Lifetime event callback; NULL disables it (tcpsec_esp_sa_status()
   *  still reports the events). */
  tcpsec_esp_event_fn event;
  /** Passed to \c event. */
  void *event_user;
} tcpsec_esp_sa_config;

/**
 * Counters of one SA, filled by tcpsec_esp_sa_get_stats().
 *
 * Set `size` to sizeof(tcpsec_esp_sa_stats) before the call; the library
 * fills only the fields that fit, so fields can be appended later.
 */
typedef struct tcpsec_esp_sa_stats {
  /** Size of this struct as the caller sees it. */
  size_t size;
  /** Packets sealed or opened successfully. */
  uint64_t packets;
  /** Inner packet bytes sealed or opened successfully. */
  uint64_t bytes;
  /** Outbound: last sequence number sealed. Inbound: highest sequence
   *  number authenticated (the top of the anti-replay window). */
  uint64_t last_seq;
  /** now_ms of the last successful seal or open; 0 before the first. */
  uint64_t last_use_ms;
  /** now_ms given to tcpsec_esp_sa_new(). */
  uint64_t created_ms;
  /** Open failures: packet shorter than its headers, or ciphertext not a
   *  whole number of cipher blocks (TCPSEC_ERR_ESP_TRUNCATED). */
  uint64_t err_truncated;
  /** Open failures: sequence number already seen or left of the window
   *  (TCPSEC_ERR_ESP_REPLAYED). */
  uint64_t err_replayed;
  /** Open failures: ICV did not verify (TCPSEC_ERR_ESP_AUTH_FAILED). */
  uint64_t err_auth_failed;
  /** Open failures: invalid padding (TCPSEC_ERR_ESP_BAD_PADDING). */
  uint64_t err_bad_padding;
  /** Open failures: next header not 4 or 41
   *  (TCPSEC_ERR_ESP_BAD_NEXT_HEADER). */
  uint64_t err_bad_next_header;
  /** Seal failures: sequence numbers exhausted
   *  (TCPSEC_ERR_ESP_SEQ_EXHAUSTED). */
  uint64_t err_seq_exhausted;
  /** Seal or open calls refused because the SA expired
   *  (TCPSEC_ERR_SA_EXPIRED). */
  uint64_t err_expired;
  /** Seal failures: inner packet not valid IPv4 or IPv6
   *  (TCPSEC_ERR_BAD_INNER_PACKET). */
  uint64_t err_bad_inner_packet;
  /** Dummy packets (next header 59, RFC 4303 section 2.6) opened and
   *  discarded; they are not in \c packets. */
  uint64_t dummy_packets;
  /** SPI of the SA. */
  uint32_t spi;
  /** Anti-replay window size in packets (0 for outbound or disabled). */
  uint32_t replay_window;
  /** TCPSEC_ESP_STATUS_* bits. */
  uint32_t status;
} tcpsec_esp_sa_stats;

/**
 * \brief Fill an SA configuration with the defaults and set its size.
 * \param cfg Configuration to initialise; NULL is ignored.
 */
TCPSEC_API void tcpsec_esp_sa_config_default(tcpsec_esp_sa_config *cfg);

/**
 * \brief Create an ESP SA.
 * \param ctx    Context for allocation, logging and randomness.
 * \param cfg    Configuration filled from tcpsec_esp_sa_config_default().
 * \param now_ms Current monotonic time; the time lifetimes start here.
 * \param out    Receives the SA.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c cfg->size is
 *         0 or carries unknown non-zero fields, the SPI is 0, the direction
 *         is not set, the replay window exceeds
 *         TCPSEC_ESP_REPLAY_WINDOW_MAX, \c last_seq exceeds 2^32 - 1 without
 *         ESN, or an integrity transform is combined with an AEAD (or
 *         missing with AES-CBC). Fix the configuration.
 * \return TCPSEC_ERR_UNKNOWN_ALGORITHM if \c encr or \c integ is not one of
 *         the supported transforms.
 * \return TCPSEC_ERR_INVALID_KEY_LENGTH if a key length does not fit its
 *         transform.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 * \return TCPSEC_ERR_RANDOM if the random source failed while making the
 *         IV key of an AES-CBC SA; retry later.
 * \return TCPSEC_ERR_CRYPTO_BACKEND if the crypto backend rejected the key.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_esp_sa_new(
    tcpsec_ctx *ctx, const tcpsec_esp_sa_config *cfg, uint64_t now_ms,
    tcpsec_esp_sa **out);

/**
 * \brief Free an SA and wipe its keys.
 * \param sa SA, or NULL (then nothing happens).
 */
TCPSEC_API void tcpsec_esp_sa_free(tcpsec_esp_sa *sa);

/**
 * \brief SPI of an SA.
 * \param sa SA, or NULL.
 * \return The SPI in host byte order, or 0 for NULL.
 */
TCPSEC_API uint32_t tcpsec_esp_sa_spi(const tcpsec_esp_sa *sa);

/**
 * \brief Direction of an SA.
 * \param sa SA, or NULL.
 * \return TCPSEC_ESP_INBOUND or TCPSEC_ESP_OUTBOUND, or 0 for NULL.
 */
TCPSEC_API tcpsec_esp_direction tcpsec_esp_sa_direction(const tcpsec_esp_sa *sa);

/**
 * \brief Bytes seal writes in front of the inner packet.
 * \param sa SA, or NULL for the upper bound TCPSEC_ESP_HEADROOM_MAX.
 * \return 16 for the AEAD transforms, 24 for AES-CBC.
 */
TCPSEC_API size_t tcpsec_esp_sa_headroom(const tcpsec_esp_sa *sa);

/**
 * \brief Most bytes seal writes behind the inner packet: padding, pad
 *        length, next header and ICV.
 * \param sa SA, or NULL for the upper bound TCPSEC_ESP_TAILROOM_MAX.
 * \return The byte count for this SA's transform.
 */
TCPSEC_API size_t tcpsec_esp_sa_tailroom(const tcpsec_esp_sa *sa);

/**
 * \brief Length of the ESP packet that sealing an inner packet produces.
 * \param sa        SA.
 * \param inner_len Length of the inner packet.
 * \return The exact ESP packet length, or 0 when \p sa is NULL.
 */
TCPSEC_API size_t tcpsec_esp_sa_sealed_len(const tcpsec_esp_sa *sa,
                                           size_t inner_len);

/**
 * \brief Seal an inner IPv4 or IPv6 packet into an ESP packet.
 * \param sa        Outbound SA.
 * \param inner     Inner packet. Its IP version selects the next header
 *                  (4 for IPv4, 41 for IPv6).
 * \param inner_len Length of the inner packet.
 * \param out       Where the ESP packet starts. Either it does not overlap
 *                  the inner packet, or it lies exactly
 *                  tcpsec_esp_sa_headroom() bytes in front of it (sealing
 *                  in place).
 * \param out_cap   Bytes available at \p out; tcpsec_esp_sa_sealed_len()
 *                  bytes are needed.
 * \param now_ms    Current monotonic time.
 * \return The length of the ESP packet at \p out.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or \p out
 *         overlaps the inner packet other than in place.
 * \return TCPSEC_ERR_INVALID_STATE if the SA is inbound.
 * \return TCPSEC_ERR_BAD_INNER_PACKET if the inner packet is not IPv4 or
 *         IPv6, shorter than its header, or its length field disagrees with
 *         \p inner_len. Drop it.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out_cap is too small.
 * \return TCPSEC_ERR_SA_EXPIRED if a hard lifetime was reached: delete the
 *         SA and use its replacement.
 * \return TCPSEC_ERR_ESP_SEQ_EXHAUSTED if the sequence number would wrap
 *         (2^32 - 1 packets without ESN): the SA has expired, rekey.
 * \return TCPSEC_ERR_RANDOM if the random source failed (AES-CBC with
 *         random IVs); the sequence number is not used up, retry later.
 * \return TCPSEC_ERR_CRYPTO_BACKEND if the cipher failed.
 *
 * On failure nothing of the SA changes except the error counter of that
 * failure; the contents of \p out are unspecified.
 */
TCPSEC_API ptrdiff_t tcpsec_esp_sa_seal(tcpsec_esp_sa *sa,
                                        const uint8_t *inner, size_t inner_len,
                                        uint8_t *out, size_t out_cap,
                                        uint64_t now_ms);

/**
 * \brief Seal a payload with a given sequence number and IV.
 * \param sa          Outbound SA.
 * \param seq         Full 64-bit sequence number (at most 2^32 - 1 without
 *                    ESN).
 * \param iv          IV to put on the wire: 8 bytes for AEAD, 16 bytes for
 *                    AES-CBC.
 * \param iv_len      Length of \p iv.
 * \param next_header Next header value for the trailer (any value).
 * \param payload     Payload, not checked to be an IP packet.
 * \param payload_len Length of \p payload.
 * \param out         Output, with the same overlap rules as
 *                    tcpsec_esp_sa_seal().
 * \param out_cap     Bytes available at \p out.
 * \return The length of the ESP packet at \p out.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \p iv_len is
 *         wrong, \p seq does not fit the SA's sequence number size or the
 *         buffers overlap other than in place.
 * \return TCPSEC_ERR_INVALID_STATE if the SA is inbound.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out_cap is too small.
 * \return TCPSEC_ERR_CRYPTO_BACKEND if the cipher failed.
 *
 * This exists for known-answer tests: it neither advances the sequence
 * counter nor counts the packet nor checks lifetimes.
 * \warning Never use it on an SA that carries traffic. Sealing two payloads
 * under one key with the same AEAD IV reveals their XOR and lets an
 * attacker forge packets.
 */
TCPSEC_API ptrdiff_t tcpsec_esp_sa_seal_with_iv(
    tcpsec_esp_sa *sa, uint64_t seq, const uint8_t *iv, size_t iv_len,
    uint8_t next_header, const uint8_t *payload, size_t payload_len,
    uint8_t *out, size_t out_cap);

/**
 * \brief Verify and decrypt an ESP packet.
 * \param sa          Inbound SA whose SPI the packet carries.
 * \param packet      ESP packet starting at the SPI (the IP payload, or
 *                    what follows the UDP or TCP encapsulation).
 * \param packet_len  Length of the ESP packet.
 * \param out         Where the inner packet goes. Either it does not
 *                    overlap the packet, or it is exactly
 *                    packet + tcpsec_esp_sa_headroom() (opening in place).
 * \param out_cap     Bytes available at \p out; packet_len - headroom
 *                    always suffices.
 * \param now_ms      Current monotonic time.
 * \param next_header If not NULL, receives the next header (4 or 41, or
 *                    59 for a dummy packet).
 * \return The length of the inner packet at \p out; 0 for a dummy packet
 *         (next header 59), which the caller discards.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or \p out
 *         overlaps the packet other than in place.
 * \return TCPSEC_ERR_INVALID_STATE if the SA is outbound.
 * \return TCPSEC_ERR_ESP_UNKNOWN_SPI if the packet's SPI is not the SA's.
 * \return TCPSEC_ERR_SA_EXPIRED if a hard lifetime was reached.
 * \return TCPSEC_ERR_ESP_TRUNCATED if the packet is shorter than its
 *         headers and ICV, or its AES-CBC ciphertext is not a whole number
 *         of blocks.
 * \return TCPSEC_ERR_ESP_REPLAYED if the sequence number was already
 *         received or lies left of the anti-replay window.
 * \return TCPSEC_ERR_ESP_AUTH_FAILED if the ICV does not verify; the
 *         decrypted bytes are wiped.
 * \return TCPSEC_ERR_ESP_BAD_PADDING if the pad length exceeds the payload
 *         or the padding is not 1, 2, 3, ...
 * \return TCPSEC_ERR_ESP_BAD_NEXT_HEADER if the next header is not 4, 41
 *         or 59 (unless the SA accepts any next header).
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out_cap is too small.
 * \return TCPSEC_ERR_CRYPTO_BACKEND if the cipher failed.
 *
 * Every ESP failure means: drop the packet. It leaves the SA unchanged
 * except for the counter of that failure; the anti-replay window moves
 * only for a packet that passed every check. The steps run in the order
 * of RFC 4303 section 3.4: length, anti-replay pre-check, ICV (compared in
 * constant time), decryption, padding, next header, window update.
 */
TCPSEC_API TCPSEC_NODISCARD ptrdiff_t tcpsec_esp_sa_open(
    tcpsec_esp_sa *sa, const uint8_t *packet, size_t packet_len, uint8_t *out,
    size_t out_cap, uint64_t now_ms, uint8_t *next_header);

/**
 * \brief Copy the SA's counters.
 * \param sa    SA.
 * \param stats Receives the counters; set \c stats->size first.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or
 *         \c stats->size is smaller than the size field.
 */
TCPSEC_API int tcpsec_esp_sa_get_stats(const tcpsec_esp_sa *sa,
                                       tcpsec_esp_sa_stats *stats);

/**
 * \brief Events an SA has reported so far.
 * \param sa SA, or NULL.
 * \return TCPSEC_ESP_STATUS_* bits; 0 for NULL.
 */
TCPSEC_API uint32_t tcpsec_esp_sa_status(const tcpsec_esp_sa *sa);

/**
 * \brief Time at which a time lifetime of the SA runs out next.
 * \param sa SA, or NULL.
 * \return A now_ms value, or UINT64_MAX when no time lifetime is pending.
 *
 * Call tcpsec_esp_sa_handle_timeout() at that time so that the events fire
 * also on an SA that carries no traffic.
 */
TCPSEC_API uint64_t tcpsec_esp_sa_next_timeout(const tcpsec_esp_sa *sa);

/**
 * \brief Report the time lifetimes that have run out by \p now_ms.
 * \param sa     SA.
 * \param now_ms Current monotonic time.
 * \return The TCPSEC_ESP_STATUS_* bits after the check.
 */
TCPSEC_API uint32_t tcpsec_esp_sa_handle_timeout(tcpsec_esp_sa *sa,
                                                 uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_ESP_H */
