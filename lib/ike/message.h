/*
 * IKEv2 message codec: parse, protect, verify and build messages
 * (RFC 7296 sections 3.1 to 3.16, RFC 5282, RFC 7634, RFC 7383).
 *
 * Parsing is zero-copy and runs in two stages:
 *
 *   1. tcpsec_ike_msg_parse() checks the IKE header and decodes the payload
 *      chain that travels in clear, up to and including an SK or SKF payload
 *      (which must be last).
 *   2. For a message with SK, tcpsec_ike_sk_open() checks the ICV first (in
 *      constant time), then decrypts into a caller buffer, and
 *      tcpsec_ike_msg_parse_inner() decodes the inner chain into the same
 *      tcpsec_ike_msg. tcpsec_ike_msg_open() does both. SKF fragments go
 *      through tcpsec_ike_sk_open() one by one and into a
 *      tcpsec_ike_frag_reasm (frag.c) before stage 2.
 *
 * Decoded payloads point into the message buffer (stage 1) or the plaintext
 * buffer (stage 2); both must outlive the tcpsec_ike_msg. Nested decodings
 * (proposals, transforms, attributes, selectors) point into pools inside the
 * tcpsec_ike_msg itself, so a tcpsec_ike_msg must not be copied with memcpy
 * or by assignment: keep it where it was parsed.
 *
 * Every count is bounded by the TCPSEC_IKE_MAX_* limits below; a message
 * that exceeds one is rejected with TCPSEC_ERR_LIMIT. Unknown payloads
 * without the critical bit are kept as opaque payloads; with it the parse
 * fails with TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD.
 *
 * Building goes through tcpsec_ike_builder: it writes the header, appends
 * payloads (clear ones first, then the ones inside SK), and finishes the
 * message in clear, inside SK, or as RFC 7383 fragments, fixing every
 * length and next-payload field. tcpsec_ike_msg_serialize() re-encodes a
 * parsed message from its decoded fields; for a message whose RESERVED
 * fields are zero the result equals the input byte for byte.
 *
 * None of these functions logs. They report what failed through
 * tcpsec_ike_parse_error, and the caller decides what to log and whether
 * to reply with INVALID_SYNTAX.
 */
#ifndef TCPSEC_IKE_MESSAGE_H
#define TCPSEC_IKE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/algorithms.h"
#include "tcpsec/core.h"

#include "core/buf.h"
#include "ike/wire.h"

/* ---- limits ------------------------------------------------------------ */

/* Payloads in one message, clear and inner together. */
#define TCPSEC_IKE_MAX_PAYLOADS 64
/* Proposals in one message (all SA payloads together). */
#define TCPSEC_IKE_MAX_PROPOSALS 32
/* Transforms in one message, and in one proposal. */
#define TCPSEC_IKE_MAX_TRANSFORMS 256
#define TCPSEC_IKE_MAX_TRANSFORMS_PER_PROPOSAL 64
/* Transform attributes in one message, and in one transform. */
#define TCPSEC_IKE_MAX_ATTRIBUTES 256
#define TCPSEC_IKE_MAX_ATTRIBUTES_PER_TRANSFORM 8
/* Traffic selectors in one TS payload, and in one message. */
#define TCPSEC_IKE_MAX_SELECTORS 16
#define TCPSEC_IKE_MAX_SELECTORS_TOTAL 32
/* Notify payloads in one message. */
#define TCPSEC_IKE_MAX_NOTIFIES 32
/* CERT payloads, and CERTREQ payloads, in one message. */
#define TCPSEC_IKE_MAX_CERTS 16

/* ---- header ------------------------------------------------------------ */

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
typedef struct tcpsec_ike_header {
  uint8_t spi_i[TCPSEC_IKE_SPI_LEN];
  uint8_t spi_r[TCPSEC_IKE_SPI_LEN];
  uint8_t next_payload;
  uint8_t version; /* major << 4 | minor; TCPSEC_IKE_VERSION when sending */
  uint8_t exchange;
  uint8_t flags; /* TCPSEC_IKE_FLAG_* */
  uint32_t message_id;
  uint32_t length; /* whole message, header included */
} tcpsec_ike_header;

/* ---- parse errors ------------------------------------------------------ */

/* Where and why a parse or verification failed. */
typedef struct tcpsec_ike_parse_error {
  int code; /* the TCPSEC_ERR_* the function returned */
  /* Payload being decoded; 0 for the IKE header. */
  uint8_t payload_type;
  /* Payload type number that was unknown and critical
   * (TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD), to be echoed in the Notify
   * data of UNSUPPORTED_CRITICAL_PAYLOAD; 0 otherwise. */
  uint8_t unsupported_type;
  /* 1 when the error lies in the decrypted inner payloads; then offset
   * counts from the start of the plaintext, else from the IKE header. */
  uint8_t inner;
  /* Offset of the structure that failed: the payload's generic header,
   * or the proposal, transform, attribute or selector inside it. */
  size_t offset;
  /* Static English phrase for logs, e.g. "payload length exceeds the
   * bytes left"; never NULL after a failure. */
  const char *reason;
} tcpsec_ike_parse_error;

/* ---- decoded payloads -------------------------------------------------- */

/* Transform attribute (RFC 7296 section 3.3.5). */
typedef struct tcpsec_ike_attribute {
  uint16_t type;       /* without the format bit */
  uint8_t tv;          /* 1: TV format, value in `value`; 0: TLV in data */
  uint16_t value;      /* TV value */
  const uint8_t *data; /* TLV value */
  uint16_t len;        /* TLV value length */
} tcpsec_ike_attribute;

/* Transform substructure (RFC 7296 section 3.3.2). */
typedef struct tcpsec_ike_transform {
  uint8_t type; /* TCPSEC_TRANSFORM_* */
  uint16_t id;  /* IANA transform ID of that type */
  /* Key Length attribute in bits; 0 when absent. When building with
   * attrs == NULL, a non-zero key_bits is encoded as that attribute. */
  uint16_t key_bits;
  /* All attributes in wire order (Key Length included); NULL when none. */
  const tcpsec_ike_attribute *attrs;
  uint8_t attr_count;
} tcpsec_ike_transform;

/* Proposal substructure (RFC 7296 section 3.3.1). */
typedef struct tcpsec_ike_proposal {
  uint8_t number;
  uint8_t protocol; /* TCPSEC_IKE_PROTO_* */
  uint8_t spi_size; /* 0, 4 (AH, ESP) or 8 (IKE rekey) */
  uint8_t spi[8];
  const tcpsec_ike_transform *transforms;
  uint8_t transform_count;
} tcpsec_ike_proposal;

/* SA payload. */
typedef struct tcpsec_ike_sa_payload {
  const tcpsec_ike_proposal *proposals;
  uint8_t count;
} tcpsec_ike_sa_payload;

/* KE payload (RFC 7296 section 3.4). */
typedef struct tcpsec_ike_ke {
  uint16_t group; /* TCPSEC_KE_* */
  const uint8_t *data;
  size_t len;
} tcpsec_ike_ke;

/* IDi and IDr payloads (RFC 7296 section 3.5). IPv4 and IPv6 IDs are
 * checked to be exactly 4 and 16 bytes. */
typedef struct tcpsec_ike_id {
  uint8_t type; /* TCPSEC_IKE_ID_* */
  const uint8_t *data;
  size_t len;
} tcpsec_ike_id;

/* CERT and CERTREQ payloads (RFC 7296 sections 3.6 and 3.7). */
typedef struct tcpsec_ike_cert {
  uint8_t encoding; /* TCPSEC_IKE_CERT_* */
  const uint8_t *data;
  size_t len;
} tcpsec_ike_cert;

/* AUTH payload (RFC 7296 section 3.8). */
typedef struct tcpsec_ike_auth {
  uint8_t method; /* TCPSEC_IKE_AUTH_* */
  const uint8_t *data;
  size_t len;
} tcpsec_ike_auth;

/* Payloads that are one opaque byte string: Nonce (16 to 256 bytes, checked),
 * Vendor ID, EAP (at least its 4-byte header), and unknown non-critical
 * payloads. */
typedef struct tcpsec_ike_opaque {
  const uint8_t *data;
  size_t len;
} tcpsec_ike_opaque;

/*
 * Notify payload (RFC 7296 section 3.10). The generic fields are always
 * set; `decoded` is filled for the types listed beside each member, after
 * their data length was checked where the RFC fixes it. Types without data
 * (INITIAL_CONTACT, IKEV2_FRAGMENTATION_SUPPORTED, ESP_TFC_PADDING_NOT_
 * SUPPORTED, NON_FIRST_FRAGMENTS_ALSO, USE_TRANSPORT_MODE and the errors
 * TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED,
 * INVALID_SYNTAX, TEMPORARY_FAILURE) need no decoded member.
 */
typedef struct tcpsec_ike_notify {
  uint8_t protocol; /* TCPSEC_IKE_PROTO_*; 0 when the notify has no SPI */
  uint8_t spi_size;
  uint16_t type; /* TCPSEC_IKE_N_* */
  const uint8_t *spi;
  /* SPI as a number when spi_size is 4, as in REKEY_SA and
   * CHILD_SA_NOT_FOUND; 0 otherwise. */
  uint32_t spi32;
  const uint8_t *data;
  size_t len;
  union {
    /* NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP: 20-byte
     * SHA-1 hash (RFC 7296 section 2.23). */
    const uint8_t *nat_hash;
    /* INVALID_KE_PAYLOAD: the group the responder accepts (2 bytes).
     * COOKIE needs no member: its 1 to 64 bytes are data/len. */
    uint16_t ke_group;
    /* SET_WINDOW_SIZE: 4 bytes. */
    uint32_t window_size;
    /* SIGNATURE_HASH_ALGORITHMS: count of 2-byte hash identifiers in
     * data; read them with tcpsec_ike_notify_hash_alg(). */
    size_t hash_alg_count;
    /* UNSUPPORTED_CRITICAL_PAYLOAD: the payload type (1 byte). */
    uint8_t payload_type;
  } decoded;
} tcpsec_ike_notify;

/* Delete payload (RFC 7296 section 3.11). IKE deletes carry no SPI; ESP
 * and AH deletes carry num_spis 4-byte SPIs. */
typedef struct tcpsec_ike_delete {
  uint8_t protocol;
  uint8_t spi_size;
  uint16_t num_spis;
  const uint8_t *spis; /* num_spis * spi_size bytes */
} tcpsec_ike_delete;

/* One traffic selector (RFC 7296 section 3.13.1). Address ranges are
 * decoded; other selector types (FC_ADDR_RANGE, SECLABEL) are kept as raw
 * bytes after the 4-byte selector header. */
typedef struct tcpsec_ike_selector {
  uint8_t type;        /* TCPSEC_IKE_TS_* */
  uint8_t ip_protocol; /* 0 = any */
  uint16_t length;     /* selector length as on the wire */
  uint16_t start_port;
  uint16_t end_port;
  uint8_t addr_len; /* 4 or 16 for address ranges, 0 otherwise */
  uint8_t start_addr[16];
  uint8_t end_addr[16];
  const uint8_t *raw; /* other types: bytes after the selector header */
  size_t raw_len;
} tcpsec_ike_selector;

/* TSi and TSr payloads. */
typedef struct tcpsec_ike_ts {
  const tcpsec_ike_selector *selectors;
  uint8_t count;
} tcpsec_ike_ts;

/* SK and SKF payloads (RFC 7296 section 3.14, RFC 7383 section 2.5). */
typedef struct tcpsec_ike_sk {
  /* SK: the first inner payload type (the generic header's next payload).
   * SKF: the same in fragment 1, 0 in the others. */
  uint8_t inner_type;
  uint16_t fragment_number;  /* SKF only; 0 for SK */
  uint16_t total_fragments;  /* SKF only; 0 for SK */
  /* IV, ciphertext (with padding and pad length) and ICV, unverified. */
  const uint8_t *data;
  size_t len;
} tcpsec_ike_sk;

/* CP payload (RFC 7296 section 3.15). Attributes are checked to fill the
 * payload exactly; walk them with tcpsec_ike_cp_attr_next(). */
typedef struct tcpsec_ike_cp {
  uint8_t cfg_type; /* TCPSEC_IKE_CFG_REQUEST ... */
  const uint8_t *attrs;
  size_t attrs_len;
  uint16_t attr_count;
} tcpsec_ike_cp;

/* One decoded payload. */
typedef struct tcpsec_ike_payload {
  uint8_t type; /* TCPSEC_IKE_PT_* */
  uint8_t critical;
  /* 1 for payloads decoded from inside SK or from reassembled SKF. */
  uint8_t inner;
  /* 1 for a type this codec does not decode (kept in u.opaque). */
  uint8_t unknown;
  /* Offset of the generic header from the start of the message, or of the
   * plaintext for inner payloads. */
  size_t offset;
  /* Bytes after the 4-byte generic header. */
  const uint8_t *body;
  size_t body_len;
  union {
    tcpsec_ike_sa_payload sa;
    tcpsec_ike_ke ke;
    tcpsec_ike_id id;          /* IDi, IDr */
    tcpsec_ike_cert cert;      /* CERT, CERTREQ */
    tcpsec_ike_auth auth;
    tcpsec_ike_opaque opaque;  /* Nonce, Vendor ID, EAP, unknown */
    tcpsec_ike_notify notify;
    tcpsec_ike_delete del;
    tcpsec_ike_ts ts;          /* TSi, TSr */
    tcpsec_ike_sk sk;          /* SK, SKF */
    tcpsec_ike_cp cp;
  } u;
} tcpsec_ike_payload;

/* A parsed message: header, payloads in wire order (clear ones first, then
 * inner ones after stage 2) and the pools nested decodings point into.
 * About 20 KiB: allocate it, or keep one per IKE SA, rather than put it on
 * a small stack. */
typedef struct tcpsec_ike_msg {
  tcpsec_ike_header header;
  tcpsec_ike_payload payloads[TCPSEC_IKE_MAX_PAYLOADS];
  size_t count;
  /* Index of the SK or SKF payload in payloads[], or -1 when absent. */
  int sk_index;
  /* Index of the first inner payload, or -1 before stage 2. */
  int inner_index;

  /* Pools for nested decodings; internal to the codec. */
  tcpsec_ike_proposal proposals[TCPSEC_IKE_MAX_PROPOSALS];
  tcpsec_ike_transform transforms[TCPSEC_IKE_MAX_TRANSFORMS];
  tcpsec_ike_attribute attributes[TCPSEC_IKE_MAX_ATTRIBUTES];
  tcpsec_ike_selector selectors[TCPSEC_IKE_MAX_SELECTORS_TOTAL];
  size_t proposal_count, transform_count, attribute_count, selector_count;
  size_t notify_count, cert_count, certreq_count;
} tcpsec_ike_msg;

/* ---- parsing ----------------------------------------------------------- */

/*
 * Read and check the 28-byte IKE header only (for dispatch by SPI before a
 * full parse). The data may be longer than the header.
 *
 * Returns 0, TCPSEC_ERR_TRUNCATED when fewer than 28 bytes are given,
 * TCPSEC_ERR_INVALID_MAJOR_VERSION when the major version is not 2 (the
 * header is still filled, so the caller can reply with the notify), or
 * TCPSEC_ERR_MALFORMED when the Length field is below 28.
 */
TCPSEC_NODISCARD int tcpsec_ike_header_parse(tcpsec_ike_header *hdr,
                                             const uint8_t *data, size_t len);

/*
 * Stage 1: parse the header and the clear payload chain of one whole
 * message (len is the datagram or stream frame, without non-ESP marker).
 * The chain stops at the first SK or SKF payload, which must reach the end
 * of the message.
 *
 * Returns 0 or, with `err` filled (err may be NULL):
 *   TCPSEC_ERR_TRUNCATED   the data ends before the header, before the
 *                          header's Length, or before a declared length;
 *   TCPSEC_ERR_MALFORMED   a length is inconsistent, a fixed-size field has
 *                          the wrong size, bytes trail the chain, a
 *                          payload that needs a body is empty;
 *   TCPSEC_ERR_INVALID_MAJOR_VERSION  major version not 2;
 *   TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD  err->unsupported_type is set;
 *   TCPSEC_ERR_LIMIT       a TCPSEC_IKE_MAX_* count was exceeded;
 *   TCPSEC_ERR_INVALID_ARGUMENT  msg or data is NULL.
 * On failure msg contains no usable payloads.
 */
TCPSEC_NODISCARD int tcpsec_ike_msg_parse(tcpsec_ike_msg *msg,
                                          const uint8_t *data, size_t len,
                                          tcpsec_ike_parse_error *err);

/*
 * Stage 2: decode the inner payload chain from decrypted bytes (the
 * plaintext from tcpsec_ike_sk_open() without padding, or a reassembled
 * fragment set) and append it to msg. first_type is the SK payload's next
 * payload field (msg->payloads[msg->sk_index].u.sk.inner_type, or the one
 * from fragment 1).
 *
 * Returns 0 or the codes of tcpsec_ike_msg_parse() except
 * INVALID_MAJOR_VERSION, with err->inner = 1. A nested SK or SKF payload is
 * TCPSEC_ERR_MALFORMED. TCPSEC_ERR_INVALID_STATE when msg already contains
 * inner payloads. On failure the inner payloads are removed again and the
 * clear ones stay valid.
 */
TCPSEC_NODISCARD int tcpsec_ike_msg_parse_inner(tcpsec_ike_msg *msg,
                                                uint8_t first_type,
                                                const uint8_t *plain,
                                                size_t len,
                                                tcpsec_ike_parse_error *err);

/* First payload of `type` at index >= start, or NULL. */
const tcpsec_ike_payload *tcpsec_ike_msg_find(const tcpsec_ike_msg *msg,
                                              uint8_t type, size_t start);

/* First Notify payload with this notify type, or NULL. */
const tcpsec_ike_payload *tcpsec_ike_msg_find_notify(const tcpsec_ike_msg *msg,
                                                     uint16_t notify_type);

/* Number of payloads of `type` in the message. */
size_t tcpsec_ike_msg_count_type(const tcpsec_ike_msg *msg, uint8_t type);

/* Hash algorithm identifier i of a SIGNATURE_HASH_ALGORITHMS notify. */
uint16_t tcpsec_ike_notify_hash_alg(const tcpsec_ike_notify *n, size_t i);

/*
 * Iterate over CP attributes. *pos starts at 0; each call returns 1 with
 * the next attribute (type without the reserved bit) or 0 at the end. The
 * attributes were validated by the parser.
 */
int tcpsec_ike_cp_attr_next(const tcpsec_ike_cp *cp, size_t *pos,
                            uint16_t *type, const uint8_t **value,
                            uint16_t *len);

/* ---- SK protection (RFC 7296 section 3.14, RFC 5282, RFC 7634) --------- */

/*
 * Keys for one direction of an IKE SA: SK_ei/SK_ai for what the initiator
 * sends, SK_er/SK_ar for what the responder sends. Which pair to use is the
 * caller's business.
 */
typedef struct tcpsec_ike_sk_keys {
  uint16_t encr; /* TCPSEC_ENCR_AES_CBC, _AES_GCM_16, _CHACHA20_POLY1305 */
  const uint8_t *encr_key; /* SK_e without the salt */
  size_t encr_key_len;     /* 16, 24 or 32 for AES; 32 for ChaCha20 */
  /* AEAD salt: the last 4 bytes of SK_e (RFC 5282 section 7.1, RFC 7634
   * section 3); NULL and 0 for CBC. */
  const uint8_t *salt;
  size_t salt_len;
  uint16_t integ; /* TCPSEC_INTEG_*; TCPSEC_INTEG_NONE with AEAD */
  const uint8_t *integ_key; /* SK_a */
  size_t integ_key_len;
} tcpsec_ike_sk_keys;

/* Cipher and integrity state for one direction, built from keys once. */
typedef struct tcpsec_ike_sk_cipher tcpsec_ike_sk_cipher;

/*
 * Create the cipher state. The keys are copied into objects of the crypto
 * layer and may be wiped by the caller afterwards.
 *
 * Returns 0, TCPSEC_ERR_INVALID_ARGUMENT (NULL argument, AEAD with an
 * integrity algorithm or without a 4-byte salt, CBC without one),
 * TCPSEC_ERR_UNKNOWN_ALGORITHM, TCPSEC_ERR_INVALID_KEY_LENGTH,
 * TCPSEC_ERR_NO_MEMORY or TCPSEC_ERR_CRYPTO_BACKEND.
 */
int tcpsec_ike_sk_cipher_new(tcpsec_ctx *ctx, const tcpsec_ike_sk_keys *keys,
                             tcpsec_ike_sk_cipher **out);

/* Free and wipe; NULL is allowed. */
void tcpsec_ike_sk_cipher_free(tcpsec_ike_sk_cipher *c);

/* Bytes the SK payload adds around `plain_len` bytes of inner payloads:
 * 4-byte generic header (8 for SKF), IV, padding, pad length and ICV. */
size_t tcpsec_ike_sk_overhead(const tcpsec_ike_sk_cipher *c, int fragment,
                              size_t plain_len);

/*
 * Verify and decrypt the SK or SKF payload of a message parsed by
 * tcpsec_ike_msg_parse(). data/len must be the same bytes. The ICV is
 * checked first, in constant time; only then is anything decrypted.
 * `plain` receives the inner payloads without padding (it may not overlap
 * data); *plain_len their length. The first inner type is
 * msg->payloads[msg->sk_index].u.sk.inner_type.
 *
 * Returns 0 or, with err filled:
 *   TCPSEC_ERR_ICV_MISMATCH     the ICV did not verify (plain is wiped);
 *   TCPSEC_ERR_MALFORMED        the encrypted part is shorter than IV and
 *                               ICV, not a multiple of the block size (CBC),
 *                               or the pad length exceeds the plaintext;
 *   TCPSEC_ERR_BUFFER_TOO_SMALL plain_cap is below the ciphertext length;
 *   TCPSEC_ERR_INVALID_STATE    msg has no SK or SKF payload;
 *   TCPSEC_ERR_INVALID_ARGUMENT NULL argument, or len is not the parsed
 *                               message's Length;
 *   TCPSEC_ERR_CRYPTO_BACKEND   the crypto layer failed.
 */
TCPSEC_NODISCARD int tcpsec_ike_sk_open(tcpsec_ike_sk_cipher *c,
                                        const uint8_t *data, size_t len,
                                        const tcpsec_ike_msg *msg,
                                        uint8_t *plain, size_t plain_cap,
                                        size_t *plain_len,
                                        tcpsec_ike_parse_error *err);

/*
 * Stage 2 in one call: tcpsec_ike_sk_open() and then
 * tcpsec_ike_msg_parse_inner() on the plaintext. For SKF messages use the
 * fragment reassembly instead (TCPSEC_ERR_FRAGMENT here). Returns the codes
 * of both functions.
 */
TCPSEC_NODISCARD int tcpsec_ike_msg_open(tcpsec_ike_sk_cipher *c,
                                         tcpsec_ike_msg *msg,
                                         const uint8_t *data, size_t len,
                                         uint8_t *plain, size_t plain_cap,
                                         tcpsec_ike_parse_error *err);

/*
 * Protect a laid-out message in place. msg[0, len) contains the final IKE
 * header (Length = len), the clear payloads, and at sk_offset the SK
 * generic header (or the 8-byte SKF header), followed by room for the IV,
 * the inner payloads, the padding and the pad length byte already written,
 * and room for the ICV at the end. The IV is taken from `iv` (tests and
 * published vectors) or, when iv is NULL, from the context's random source.
 *
 * Returns 0, TCPSEC_ERR_MALFORMED when the layout does not fit the cipher
 * (block alignment, room for IV and ICV), TCPSEC_ERR_RANDOM, or
 * TCPSEC_ERR_CRYPTO_BACKEND.
 */
int tcpsec_ike_sk_seal(tcpsec_ike_sk_cipher *c, uint8_t *msg, size_t len,
                       size_t sk_offset, int fragment, const uint8_t *iv);

/* ---- encoding ---------------------------------------------------------- */

/*
 * Append one payload (generic header and body) encoded from its decoded
 * fields, with the given next payload type. Works for parsed payloads and
 * for payloads a caller filled by hand.
 *
 * Returns 0, TCPSEC_ERR_INVALID_ARGUMENT when a field cannot be encoded
 * (count or length beyond the field's width, missing data),
 * TCPSEC_ERR_NO_MEMORY or TCPSEC_ERR_LIMIT from the buffer.
 */
int tcpsec_ike_payload_encode(const tcpsec_ike_payload *p,
                              uint8_t next_payload, tcpsec_buf *out);

/*
 * Re-encode a parsed message: header and clear payloads, with SK or SKF
 * carried as their raw bytes. For a message the parser accepted and whose
 * RESERVED fields are zero, the output equals the input.
 * Returns 0 or the codes of tcpsec_ike_payload_encode().
 */
int tcpsec_ike_msg_serialize(const tcpsec_ike_msg *msg, tcpsec_buf *out);

/*
 * Re-encode only the inner payloads (what SK carried, without padding).
 * Returns 0, TCPSEC_ERR_INVALID_STATE before stage 2, or the codes of
 * tcpsec_ike_payload_encode().
 */
int tcpsec_ike_msg_serialize_inner(const tcpsec_ike_msg *msg,
                                   tcpsec_buf *out);

/* ---- building ---------------------------------------------------------- */

/*
 * Message under construction. Payloads added before
 * tcpsec_ike_builder_begin_sk() travel in clear; payloads added after it
 * travel inside SK. Fields are internal.
 */
typedef struct tcpsec_ike_builder {
  tcpsec_ctx *ctx;
  tcpsec_ike_header header;
  tcpsec_buf clear; /* clear payloads */
  tcpsec_buf inner; /* payloads that go inside SK */
  uint8_t clear_first, inner_first;  /* first payload type of each chain */
  size_t clear_last, inner_last;     /* offset of the last generic header */
  uint8_t in_sk;
  int error; /* first failure; sticky, reported by finish */
} tcpsec_ike_builder;

/*
 * Start a message. hdr gives SPIs, exchange, flags and message ID; its
 * next_payload, version and length are ignored and set at finish.
 * max_len bounds the finished message (0 = 65535).
 */
void tcpsec_ike_builder_init(tcpsec_ike_builder *b, tcpsec_ctx *ctx,
                             const tcpsec_ike_header *hdr, size_t max_len);

/* Release the builder's buffers, wiping the inner payloads. */
void tcpsec_ike_builder_free(tcpsec_ike_builder *b);

/* Payloads added from now on go inside SK. */
void tcpsec_ike_builder_begin_sk(tcpsec_ike_builder *b);

/*
 * Append a payload. Each add function returns 0 or the first error of the
 * builder (TCPSEC_ERR_INVALID_ARGUMENT, TCPSEC_ERR_NO_MEMORY or
 * TCPSEC_ERR_LIMIT). The error is sticky, so a caller may add everything
 * and check only the finish call.
 */
int tcpsec_ike_builder_add(tcpsec_ike_builder *b, const tcpsec_ike_payload *p);

int tcpsec_ike_builder_add_sa(tcpsec_ike_builder *b,
                              const tcpsec_ike_proposal *proposals,
                              size_t count);
int tcpsec_ike_builder_add_ke(tcpsec_ike_builder *b, uint16_t group,
                              const uint8_t *data, size_t len);
int tcpsec_ike_builder_add_nonce(tcpsec_ike_builder *b, const uint8_t *nonce,
                                 size_t len);
/* type is TCPSEC_IKE_PT_IDI or TCPSEC_IKE_PT_IDR. */
int tcpsec_ike_builder_add_id(tcpsec_ike_builder *b, uint8_t payload_type,
                              uint8_t id_type, const uint8_t *data,
                              size_t len);
int tcpsec_ike_builder_add_auth(tcpsec_ike_builder *b, uint8_t method,
                                const uint8_t *data, size_t len);
int tcpsec_ike_builder_add_notify(tcpsec_ike_builder *b, uint8_t protocol,
                                  const uint8_t *spi, uint8_t spi_size,
                                  uint16_t type, const uint8_t *data,
                                  size_t len);
int tcpsec_ike_builder_add_delete(tcpsec_ike_builder *b, uint8_t protocol,
                                  uint8_t spi_size, const uint8_t *spis,
                                  uint16_t num_spis);
/* type is TCPSEC_IKE_PT_TSI or TCPSEC_IKE_PT_TSR. */
int tcpsec_ike_builder_add_ts(tcpsec_ike_builder *b, uint8_t payload_type,
                              const tcpsec_ike_selector *selectors,
                              size_t count);
int tcpsec_ike_builder_add_cert(tcpsec_ike_builder *b, uint8_t encoding,
                                const uint8_t *data, size_t len);
int tcpsec_ike_builder_add_certreq(tcpsec_ike_builder *b, uint8_t encoding,
                                   const uint8_t *data, size_t len);
int tcpsec_ike_builder_add_vendor(tcpsec_ike_builder *b, const uint8_t *data,
                                  size_t len);
/* attrs: already encoded CP attributes (type, length, value each). */
int tcpsec_ike_builder_add_cp(tcpsec_ike_builder *b, uint8_t cfg_type,
                              const uint8_t *attrs, size_t attrs_len);
int tcpsec_ike_builder_add_eap(tcpsec_ike_builder *b, const uint8_t *data,
                               size_t len);

/*
 * Finish the message and append it to out. With c == NULL the message is
 * sent in clear (IKE_SA_INIT, or informational replies before keys exist)
 * and no payload may have been added after begin_sk. With a cipher, the
 * inner payloads are wrapped in SK with a random IV and padding from the
 * context (minimal padding: to the block for CBC, none for AEAD).
 *
 * Returns 0, the builder's first error, TCPSEC_ERR_INVALID_STATE (begin_sk
 * was called but c is NULL), TCPSEC_ERR_MESSAGE_TOO_LONG (beyond max_len),
 * or the codes of tcpsec_ike_sk_seal().
 */
int tcpsec_ike_builder_finish(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c,
                              tcpsec_buf *out);

/*
 * Same, into a caller buffer; *out_len receives the message length.
 * TCPSEC_ERR_BUFFER_TOO_SMALL when it does not fit.
 */
int tcpsec_ike_builder_finish_to(tcpsec_ike_builder *b,
                                 tcpsec_ike_sk_cipher *c, uint8_t *out,
                                 size_t cap, size_t *out_len);

/*
 * Finish as RFC 7383 fragments, each message at most max_fragment_len
 * bytes (IKE header included; the caller subtracts IP, UDP and marker
 * overhead from the path MTU). Fragments are appended to out back to back;
 * lens[i] receives the length of fragment i+1 and *count the number of
 * fragments. Clear payloads travel in fragment 1 only, before its SKF
 * (RFC 7383 section 2.5.3). A message that fits in one fragment still
 * becomes one SKF message with Total Fragments 1.
 *
 * Returns 0, the builder's first error, TCPSEC_ERR_INVALID_ARGUMENT
 * (NULL argument, or max_fragment_len leaves no room for data),
 * TCPSEC_ERR_LIMIT (more than max_count fragments), or the codes of
 * tcpsec_ike_sk_seal().
 */
int tcpsec_ike_builder_finish_fragments(tcpsec_ike_builder *b,
                                        tcpsec_ike_sk_cipher *c,
                                        size_t max_fragment_len,
                                        tcpsec_buf *out, size_t *lens,
                                        size_t max_count, size_t *count);

/* ---- fragment reassembly (RFC 7383 section 2.6) ------------------------ */

/* Limits for one reassembly; fill with tcpsec_ike_frag_config_default(). */
typedef struct tcpsec_ike_frag_config {
  /* Highest Total Fragments accepted (default 32). */
  uint16_t max_fragments;
  /* Highest sum of decrypted fragment sizes (default 65536 bytes). */
  size_t max_total_bytes;
} tcpsec_ike_frag_config;

void tcpsec_ike_frag_config_default(tcpsec_ike_frag_config *cfg);

/* Reassembly state for the messages of one IKE SA and direction. It collects
 * one message ID at a time; memory is allocated at creation. */
typedef struct tcpsec_ike_frag_reasm tcpsec_ike_frag_reasm;

/*
 * Returns 0, TCPSEC_ERR_INVALID_ARGUMENT (out NULL, max_fragments 0 or
 * max_total_bytes 0), or TCPSEC_ERR_NO_MEMORY.
 */
int tcpsec_ike_frag_reasm_new(tcpsec_ctx *ctx,
                              const tcpsec_ike_frag_config *cfg,
                              tcpsec_ike_frag_reasm **out);

/* Free and wipe the stored plaintext; NULL is allowed. */
void tcpsec_ike_frag_reasm_free(tcpsec_ike_frag_reasm *r);

/* Drop the fragments collected so far (e.g. when the exchange moved on). */
void tcpsec_ike_frag_reasm_reset(tcpsec_ike_frag_reasm *r);

/*
 * Add one verified fragment: msg is the parsed SKF message and plain/len
 * its plaintext from tcpsec_ike_sk_open(). The plaintext is copied.
 *
 * Following RFC 7383 section 2.6, a fragment of a newer Message ID starts
 * a new set and one of an older Message ID is rejected. A fragment whose
 * Total Fragments is larger than the stored set's starts the set again,
 * because the sender re-fragmented for a smaller MTU. A smaller one is
 * rejected. The caller checks the Message ID against its window first.
 *
 * Returns 1 when the set is complete (then *out_plain / *out_len give the
 * reassembled inner payloads and *out_first_type the first inner type;
 * they stay valid until the next call), 0 when more fragments are needed,
 * or TCPSEC_ERR_FRAGMENT (number 0 or above total, total 0, duplicate
 * number, older message ID, smaller total, inner type set in a fragment
 * other than 1, or missing in fragment 1), TCPSEC_ERR_LIMIT (total above
 * max_fragments or bytes above max_total_bytes), TCPSEC_ERR_INVALID_STATE
 * (msg has no SKF payload). A rejected fragment leaves the stored set as
 * it was, with err filled.
 */
TCPSEC_NODISCARD int tcpsec_ike_frag_reasm_add(tcpsec_ike_frag_reasm *r,
                                               const tcpsec_ike_msg *msg,
                                               const uint8_t *plain,
                                               size_t len,
                                               const uint8_t **out_plain,
                                               size_t *out_len,
                                               uint8_t *out_first_type,
                                               tcpsec_ike_parse_error *err);

/* ---- codec internals shared by the lib/ike codec files ------------------ */

/* Fill err (when not NULL) and return code. */
int tcpsec_ike_fail(tcpsec_ike_parse_error *err, int code, uint8_t payload_type,
                    size_t offset, const char *reason);

/* 1 when the codec decodes payload type `type`. */
int tcpsec_ike_payload_known(uint8_t type);

/* Decode p->body/p->body_len of a known type into p->u, using the pools
 * of msg. p->type, p->offset and p->inner must be set. */
int tcpsec_ike_payload_decode(tcpsec_ike_msg *msg, tcpsec_ike_payload *p,
                              tcpsec_ike_parse_error *err);

/* Write chunk, padding (random, minimal) and pad length behind the SK or
 * SKF header that the caller wrote at sk_offset, then seal the message.
 * total must be sk_offset + chunk_len + tcpsec_ike_sk_overhead(). */
int tcpsec_ike_sk_write(tcpsec_ike_sk_cipher *c, uint8_t *msg, size_t total,
                        size_t sk_offset, int fragment, const uint8_t *chunk,
                        size_t chunk_len);

/* Largest chunk whose protected payload fits in `room` bytes; 0 when not
 * even an empty one fits or only an empty one does. */
size_t tcpsec_ike_sk_max_chunk(const tcpsec_ike_sk_cipher *c, int fragment,
                               size_t room);

/* ---- names for logs (names.c) ------------------------------------------ */

/* Registry names, e.g. "IKE_AUTH", "SA", "NAT_DETECTION_SOURCE_IP"; NULL
 * for numbers the registry does not assign. */
const char *tcpsec_ike_exchange_name(uint8_t exchange);
const char *tcpsec_ike_payload_name(uint8_t type);
const char *tcpsec_ike_notify_name(uint16_t type);
const char *tcpsec_ike_protocol_name(uint8_t protocol);
const char *tcpsec_ike_id_type_name(uint8_t type);
const char *tcpsec_ike_auth_method_name(uint8_t method);
const char *tcpsec_ike_cert_encoding_name(uint8_t encoding);
const char *tcpsec_ike_ts_type_name(uint8_t type);
const char *tcpsec_ike_cfg_type_name(uint8_t type);
const char *tcpsec_ike_cfg_attr_name(uint16_t type);
const char *tcpsec_ike_transform_type_name(uint8_t type);
/* Transform ID name within its type, e.g. (1, 12) -> "ENCR_AES_CBC". */
const char *tcpsec_ike_transform_id_name(uint8_t type, uint16_t id);
/* Short payload notation of RFC 7296, e.g. "SA", "KE", "N", "SK". */
const char *tcpsec_ike_payload_notation(uint8_t type);

#endif /* TCPSEC_IKE_MESSAGE_H */
