/**
 * \file tcpsec/encap.h
 * \brief Encapsulations of IKE and ESP: RFC 9329 TCP stream, UDP ports 500
 *        and 4500 (RFC 3948), and Fortinet-style TCP segments.
 *
 * Nothing here performs I/O. The stream framer takes bytes read from a TCP
 * connection in any chunking and returns whole IKE messages and ESP packets.
 * Its output functions write the framing bytes into caller buffers. The UDP
 * functions classify and build datagram payloads. The segment functions
 * build and parse complete TCP segments, optionally with an IPv4 or IPv6
 * header, that carry one ESP packet each, for a raw or packet socket.
 *
 * docs/encapsulation.md shows the byte layout of every mode.
 */
#ifndef TCPSEC_ENCAP_H
#define TCPSEC_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kind of a message carried by an encapsulation. */
typedef enum tcpsec_encap_kind {
  /** IKE message; the 4-byte non-ESP marker is not part of it. */
  TCPSEC_ENCAP_IKE = 1,
  /** ESP packet, starting with its non-zero SPI. */
  TCPSEC_ENCAP_ESP = 2,
  /** NAT-keepalive: the single byte 0xFF (RFC 3948 section 2.3). */
  TCPSEC_ENCAP_KEEPALIVE = 3
} tcpsec_encap_kind;

/** Length of the non-ESP marker (four zero bytes) in front of IKE messages. */
#define TCPSEC_NON_ESP_MARKER_LEN 4
/** Length of the fixed IKE header (RFC 7296 section 3.1). */
#define TCPSEC_IKE_HEADER_LEN 28
/** Shortest ESP packet: SPI and sequence number (RFC 4303 section 2). */
#define TCPSEC_ESP_MIN_LEN 8

/**
 * \name RFC 9329 TCP stream
 *
 * One tcpsec_stream per TCP connection. The TCP originator starts its byte
 * stream with "IKETCP"; after it each message travels as a frame:
 *
 *     IKE:  | length (2) | 00 00 00 00 | IKE message |
 *     ESP:  | length (2) | ESP packet (SPI != 0)     |
 *
 * The big-endian length counts itself, so a message is at most 65533 bytes
 * including the marker.
 * \{
 */

/** Length of the stream prefix "IKETCP". */
#define TCPSEC_STREAM_PREFIX_LEN 6
/** Largest message a frame can carry (65535 minus the 2-byte length). */
#define TCPSEC_STREAM_MAX_MESSAGE_LEN 65533
/** Largest frame header tcpsec_stream_frame_header() writes: prefix,
 *  length and non-ESP marker. */
#define TCPSEC_STREAM_HEADER_MAX 12

/** Side of the TCP connection (RFC 9329 section 1.2). */
typedef enum tcpsec_stream_role {
  /** Opened the TCP connection; sends the "IKETCP" prefix. */
  TCPSEC_STREAM_ORIGINATOR = 0,
  /** Accepted the TCP connection; expects the prefix. */
  TCPSEC_STREAM_RESPONDER = 1
} tcpsec_stream_role;

/**
 * Stream configuration. Fill it with tcpsec_stream_config_default(); the
 * leading \c size field versions the struct as for tcpsec_ctx_config.
 */
typedef struct tcpsec_stream_config {
  /** Size of this struct in the caller's build; set by the initialiser. */
  size_t size;
  /**
   * Maximum message length accepted on input, in bytes, counting the
   * non-ESP marker of IKE messages. Longer frames are skipped and reported
   * as TCPSEC_ERR_MESSAGE_TOO_LONG. It is also the size of the reassembly
   * buffer. Range 32 to 65533; default 65533.
   */
  size_t max_input_len;
  /**
   * Non-zero allocates the reassembly buffer at creation, so that input
   * never fails with TCPSEC_ERR_NO_MEMORY. Default 0: the buffer is
   * allocated the first time a frame is split across input chunks.
   */
  int preallocate;
} tcpsec_stream_config;

/** RFC 9329 stream framer for one TCP connection. */
typedef struct tcpsec_stream tcpsec_stream;

/**
 * \brief Receives one message from tcpsec_stream_input().
 * \param user The pointer passed to tcpsec_stream_input().
 * \param kind TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP; keepalives and empty
 *             frames are dropped and never reach the callback.
 * \param msg  The message: an IKE message without its non-ESP marker, or an
 *             ESP packet starting with its SPI. Valid only during the call.
 * \param len  Length of \p msg; at least 28 for IKE and 8 for ESP.
 * \return 0 to go on; any other value stops tcpsec_stream_input(), which
 *         then returns TCPSEC_ERR_CALLBACK and closes the stream.
 *
 * From inside the callback the caller may use the output functions
 * (tcpsec_stream_prefix(), tcpsec_stream_frame_header(),
 * tcpsec_stream_frame()) and tcpsec_stream_get_stats() on the same stream,
 * and any function on other streams. tcpsec_stream_input(),
 * tcpsec_stream_next() and tcpsec_stream_reset() on the same stream return
 * TCPSEC_ERR_INVALID_STATE there; tcpsec_stream_free() on it must not be
 * called.
 */
typedef int (*tcpsec_stream_message_fn)(void *user, tcpsec_encap_kind kind,
                                        const uint8_t *msg, size_t len);

/** Counters of a stream, over its whole life (resets do not clear them). */
typedef struct tcpsec_stream_stats {
  /** Set by the caller to sizeof(tcpsec_stream_stats) before the call. */
  size_t size;
  /** Input bytes consumed, including the prefix. */
  uint64_t bytes;
  /** IKE messages delivered. */
  uint64_t ike_messages;
  /** ESP packets delivered. */
  uint64_t esp_messages;
  /** Messages delivered from the reassembly buffer (copied) rather than
   *  by a pointer into the caller's input. */
  uint64_t copied_messages;
  /** NAT-keepalive frames (length 3, byte 0xFF) dropped. */
  uint64_t keepalives;
  /** Empty frames (length 2) ignored. */
  uint64_t empty_frames;
  /** Frames discarded as malformed or too long. */
  uint64_t discarded_frames;
} tcpsec_stream_stats;

/**
 * \brief Fill a stream configuration with the defaults and set its size.
 * \param cfg Configuration to initialise; NULL is ignored.
 */
TCPSEC_API void tcpsec_stream_config_default(tcpsec_stream_config *cfg);

/**
 * \brief Create the framer for one TCP connection.
 * \param ctx  Context for allocation and logging; must outlive the stream.
 * \param role TCPSEC_STREAM_ORIGINATOR or TCPSEC_STREAM_RESPONDER.
 * \param cfg  Configuration from tcpsec_stream_config_default(), or NULL
 *             for the defaults. The struct is copied.
 * \param out  Receives the stream.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p ctx or \p out is NULL, \p role
 *         is unknown, \c cfg->size is 0, unknown trailing bytes of \p cfg
 *         are not zero, or \c max_input_len is outside 32 to 65533. Fix
 *         the call.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed; nothing was
 *         created.
 *
 * Memory: the object itself (under 256 bytes) plus one reassembly buffer
 * of \c max_input_len bytes (at most 65533), allocated at creation with
 * \c preallocate or else the first time a frame is split across chunks.
 * Nothing else is ever allocated, whatever the peer sends. A peer that
 * announces a long frame and then stalls ties up at most that buffer.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_stream_new(
    tcpsec_ctx *ctx, tcpsec_stream_role role, const tcpsec_stream_config *cfg,
    tcpsec_stream **out);

/**
 * \brief Free a stream and its reassembly buffer.
 * \param s Stream, or NULL (then nothing happens). Must not be called from
 *          the stream's own message callback.
 */
TCPSEC_API void tcpsec_stream_free(tcpsec_stream *s);

/**
 * \brief Prepare the stream for a new TCP connection.
 * \param s Stream.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p s is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if called from the stream's own message
 *         callback; reset after tcpsec_stream_input() returns.
 *
 * A partially received message is discarded (RFC 9329 section 6.1), a
 * closed stream opens again, an originator sends the prefix again and a
 * responder waits for it again. The counters are kept.
 */
TCPSEC_API int tcpsec_stream_reset(tcpsec_stream *s);

/**
 * \brief Feed bytes read from the TCP connection and receive every whole
 *        message they complete through \p cb.
 * \param s    Stream.
 * \param data Bytes in the order TCP delivered them; any chunking.
 * \param len  Length of \p data; 0 is allowed.
 * \param cb   Called once per IKE message or ESP packet, in stream order.
 * \param user Passed to \p cb.
 * \return 0 when every byte was consumed without error.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p s or \p cb is NULL, or \p data
 *         is NULL with a non-zero \p len.
 * \return TCPSEC_ERR_INVALID_STATE if called from the stream's own callback.
 * \return TCPSEC_ERR_STREAM_CLOSED if an earlier call failed fatally: close
 *         the TCP connection and call tcpsec_stream_reset() before reuse.
 * \return TCPSEC_ERR_STREAM_BAD_PREFIX (responder) if the connection did not
 *         start with "IKETCP": close the connection. Fatal.
 * \return TCPSEC_ERR_STREAM_BAD_LENGTH if a frame length was 0 or 1: close
 *         the connection (RFC 9329 section 3.1). Fatal.
 * \return TCPSEC_ERR_CALLBACK if \p cb returned non-zero: the rest of the
 *         chunk was not parsed, so close the connection. Fatal.
 * \return TCPSEC_ERR_NO_MEMORY if the reassembly buffer could not be
 *         allocated: close the connection. Fatal. Never returned when the
 *         stream was created with \c preallocate.
 * \return TCPSEC_ERR_SHORT_IKE_MESSAGE for a discarded IKE frame shorter
 *         than marker plus IKE header.
 * \return TCPSEC_ERR_ESP_TRUNCATED for a discarded frame of 4 to 7 bytes
 *         that is not IKE.
 * \return TCPSEC_ERR_BAD_MARKER for a discarded frame of 1 to 3 bytes that
 *         is not a keepalive.
 * \return TCPSEC_ERR_MESSAGE_TOO_LONG for a discarded frame longer than
 *         \c max_input_len.
 *
 * The last four codes are not fatal. Every other message of the chunk was
 * delivered and the stream stays usable. The code of the first discarded
 * frame is returned, and \c discarded_frames counts them all. RFC 9329
 * section 6.1 suggests closing the connection only after many of these.
 *
 * After a fatal error the stream is closed and the connection's remaining
 * bytes are not parsed. Messages of the same chunk before the error were
 * already delivered. A whole frame body inside \p data is delivered by a
 * pointer into \p data; only a body split across chunks is copied.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_stream_input(
    tcpsec_stream *s, const uint8_t *data, size_t len,
    tcpsec_stream_message_fn cb, void *user);

/**
 * \brief Consume input until one message is complete, and return it.
 * \param s        Stream.
 * \param data     Input bytes not yet consumed.
 * \param len      Length of \p data.
 * \param consumed Receives how many bytes of \p data were consumed, also on
 *                 error. Call again with the rest.
 * \param kind     Receives TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP.
 * \param msg      Receives the message. It points into \p data when the
 *                 whole body was there, or else into the stream's buffer,
 *                 where it stays valid until the next call on \p s.
 * \param msg_len  Receives the message length.
 * \return 1 when a message was returned.
 * \return 0 when all of \p data was consumed without completing one.
 * \return The codes of tcpsec_stream_input() except TCPSEC_ERR_CALLBACK,
 *         with the same meaning. After a non-fatal code call again with
 *         the remaining bytes. TCPSEC_ERR_NO_MEMORY is not fatal here: no
 *         byte of the failing frame body was consumed, so the same bytes
 *         can be offered again later.
 *
 * This is the pull form of tcpsec_stream_input(), for callers that want to
 * stop between messages (for example to apply back-pressure).
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_stream_next(
    tcpsec_stream *s, const uint8_t *data, size_t len, size_t *consumed,
    tcpsec_encap_kind *kind, const uint8_t **msg, size_t *msg_len);

/**
 * \brief Count the received bytes of the current incomplete frame.
 * \param s Stream, or NULL (then 0).
 * \return Bytes of the current frame received so far, counting its length
 *         field, or bytes of a partly received prefix; 0 between frames.
 *
 * A caller that closes connections whose peer stalls in the middle of a
 * frame can check this from its own timer.
 */
TCPSEC_API size_t tcpsec_stream_pending(const tcpsec_stream *s);

/**
 * \brief Write the prefix "IKETCP" if this originator has not sent it on
 *        the current connection.
 * \param s       Stream.
 * \param out     Buffer for the prefix.
 * \param out_len Size of \p out; at least 6 while the prefix is due.
 * \return 6 when the prefix was written (the stream counts it as sent).
 * \return 0 when nothing is due: a responder, or the prefix was already
 *         written since creation or the last reset.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p s is NULL, or \p out is NULL
 *         while the prefix is due.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out_len is below 6; nothing
 *         was written and the prefix is still due.
 *
 * tcpsec_stream_frame_header() and tcpsec_stream_frame() write a prefix
 * that is still due in front of the first frame, so calling this is needed
 * only to send the prefix before any message.
 */
TCPSEC_API ptrdiff_t tcpsec_stream_prefix(tcpsec_stream *s, uint8_t *out,
                                          size_t out_len);

/**
 * \brief Write the bytes that go in front of a message: a prefix still due,
 *        the length field and, for IKE, the non-ESP marker.
 * \param s       Stream.
 * \param kind    TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP.
 * \param msg_len Length of the IKE message (without marker) or ESP packet.
 * \param out     Buffer for the header.
 * \param out_len Size of \p out; TCPSEC_STREAM_HEADER_MAX always suffices.
 * \return The header length (2 or 6, plus 6 when the prefix was due). Send
 *         the header and then the message, for example with writev().
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p s or \p out is NULL, \p kind is
 *         not IKE or ESP, or \p msg_len is below 28 (IKE) or 8 (ESP).
 * \return TCPSEC_ERR_MESSAGE_TOO_LONG if the frame would exceed 65535
 *         bytes: the message cannot travel in this encapsulation.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out cannot hold the header.
 * \return TCPSEC_ERR_STREAM_CLOSED if the stream failed fatally on input:
 *         the connection must be closed, not written to.
 *
 * On error nothing is written and a due prefix stays due.
 */
TCPSEC_API ptrdiff_t tcpsec_stream_frame_header(tcpsec_stream *s,
                                                tcpsec_encap_kind kind,
                                                size_t msg_len, uint8_t *out,
                                                size_t out_len);

/**
 * \brief Write a whole frame (prefix if due, header and a copy of the
 *        message) into one buffer.
 * \param s       Stream.
 * \param kind    TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP.
 * \param msg     The IKE message (without marker) or ESP packet.
 * \param msg_len Length of \p msg.
 * \param out     Buffer for the frame; must not overlap \p msg.
 * \param out_len Size of \p out.
 * \return The number of bytes written.
 * \return The codes of tcpsec_stream_frame_header(), and also
 *         TCPSEC_ERR_INVALID_ARGUMENT if \p msg is NULL or an ESP packet
 *         has SPI 0.
 */
TCPSEC_API ptrdiff_t tcpsec_stream_frame(tcpsec_stream *s,
                                         tcpsec_encap_kind kind,
                                         const uint8_t *msg, size_t msg_len,
                                         uint8_t *out, size_t out_len);

/**
 * \brief Copy the stream's counters.
 * \param s   Stream.
 * \param out Counters; set \c out->size to sizeof(tcpsec_stream_stats)
 *            first. Only fields within that size are written.
 * \return 0 on success, TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL
 *         or \c out->size is below sizeof(size_t).
 */
TCPSEC_API int tcpsec_stream_get_stats(const tcpsec_stream *s,
                                       tcpsec_stream_stats *out);
/** \} */

/**
 * \name UDP ports 500 and 4500 (RFC 3948, RFC 7296 section 2.23)
 *
 * On port 500 a datagram carries one IKE message and nothing else. On port
 * 4500 it carries an IKE message behind the 4-byte zero non-ESP marker, an
 * ESP packet (its SPI is never 0), or the 1-byte NAT-keepalive 0xFF.
 * \{
 */

/** Rule set for UDP payloads. It is named after the standard port, but
 *  the caller picks it for whatever port a listener uses. */
typedef enum tcpsec_udp_port {
  /** Port 500 rules: IKE only, no marker. */
  TCPSEC_UDP_PORT_IKE = 0,
  /** Port 4500 rules: non-ESP marker, ESP and keepalives. */
  TCPSEC_UDP_PORT_NATT = 1
} tcpsec_udp_port;

/** Largest header tcpsec_udp_header() writes (the non-ESP marker). */
#define TCPSEC_UDP_HEADER_MAX 4
/** Largest UDP payload (65535 minus the 8-byte UDP header), the IPv6
 *  limit. Over IPv4 without options the limit is 20 bytes lower, and the
 *  caller's send call fails for longer payloads. */
#define TCPSEC_UDP_MAX_PAYLOAD 65527

/**
 * \brief Classify a received UDP payload.
 * \param port    Rules of the port it arrived on.
 * \param dgram   The UDP payload.
 * \param len     Length of \p dgram.
 * \param kind    Receives the kind.
 * \param msg     Receives a pointer into \p dgram: the IKE message after the
 *                marker, the whole ESP packet, or the keepalive byte.
 * \param msg_len Receives the length of \p msg.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if an out pointer is NULL, \p dgram
 *         is NULL with a non-zero \p len, or \p port is unknown.
 * \return TCPSEC_ERR_SHORT_IKE_MESSAGE if an IKE message (port 500, or
 *         behind the marker on port 4500) is shorter than the 28-byte IKE
 *         header. Drop the datagram.
 * \return TCPSEC_ERR_ESP_TRUNCATED (port 4500) if a datagram of 4 to 7
 *         bytes starts with a non-zero SPI. Drop it.
 * \return TCPSEC_ERR_BAD_MARKER (port 4500) if a datagram of 0 to 3 bytes
 *         is not the keepalive 0xFF. Drop it.
 *
 * On error the out values are zeroed. Nothing is logged: count drops in
 * the caller.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_udp_classify(
    tcpsec_udp_port port, const uint8_t *dgram, size_t len,
    tcpsec_encap_kind *kind, const uint8_t **msg, size_t *msg_len);

/**
 * \brief Write what goes in front of a message in a UDP payload.
 * \param port    Rules of the sending port.
 * \param kind    TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP (ESP only on 4500).
 * \param msg_len Length of the IKE message or ESP packet.
 * \param out     Buffer for the header; may be NULL when \p out_len is 0
 *                and no header is due.
 * \param out_len Size of \p out.
 * \return The header length: 4 (the marker) for IKE on port 4500, else 0.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p kind is not allowed on \p port
 *         or \p msg_len is below 28 (IKE) or 8 (ESP).
 * \return TCPSEC_ERR_MESSAGE_TOO_LONG if the payload would exceed
 *         TCPSEC_UDP_MAX_PAYLOAD bytes.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out cannot hold the header.
 * \return TCPSEC_ERR_INVALID_ARGUMENT also if \p port is unknown, or \p out
 *         is NULL while a marker is due.
 */
TCPSEC_API ptrdiff_t tcpsec_udp_header(tcpsec_udp_port port,
                                       tcpsec_encap_kind kind, size_t msg_len,
                                       uint8_t *out, size_t out_len);

/**
 * \brief Write a whole UDP payload: header and a copy of the message.
 * \param port    Rules of the sending port.
 * \param kind    TCPSEC_ENCAP_IKE or TCPSEC_ENCAP_ESP (ESP only on 4500).
 * \param msg     The IKE message (without marker) or ESP packet.
 * \param msg_len Length of \p msg.
 * \param out     Buffer for the payload; must not overlap \p msg.
 * \param out_len Size of \p out.
 * \return The payload length.
 * \return The codes of tcpsec_udp_header(), and also
 *         TCPSEC_ERR_INVALID_ARGUMENT if \p msg is NULL or an ESP packet
 *         has SPI 0.
 */
TCPSEC_API ptrdiff_t tcpsec_udp_build(tcpsec_udp_port port,
                                      tcpsec_encap_kind kind,
                                      const uint8_t *msg, size_t msg_len,
                                      uint8_t *out, size_t out_len);

/**
 * \brief Write a NAT-keepalive payload (the byte 0xFF) for port 4500.
 * \param out     Buffer.
 * \param out_len Size of \p out; at least 1.
 * \return 1 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p out is NULL.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p out_len is 0.
 */
TCPSEC_API ptrdiff_t tcpsec_udp_keepalive(uint8_t *out, size_t out_len);
/** \} */

/**
 * \name Fortinet-style TCP segments
 *
 * Each ESP packet travels as the payload of its own TCP ACK segment on the
 * 4-tuple of the connection that carries IKE. Every segment has the same
 * sequence number, chosen outside the receiver's window, so the receiving
 * TCP stack discards it and the receiver reads it from a raw or packet
 * socket instead. The mode is modelled on public descriptions of FortiOS
 * ("fortinet-esp enable"); docs/encapsulation.md gives the reasons.
 * \{
 */

#define TCPSEC_IP_V4 4 /**< Address family value for IPv4. */
#define TCPSEC_IP_V6 6 /**< Address family value for IPv6. */

/* TCP header flags (RFC 9293 section 3.1). */
#define TCPSEC_TCP_FIN 0x01 /**< FIN flag. */
#define TCPSEC_TCP_SYN 0x02 /**< SYN flag. */
#define TCPSEC_TCP_RST 0x04 /**< RST flag. */
#define TCPSEC_TCP_PSH 0x08 /**< PSH flag. */
#define TCPSEC_TCP_ACK 0x10 /**< ACK flag. */
#define TCPSEC_TCP_URG 0x20 /**< URG flag. */

#define TCPSEC_IPV4_HEADER_LEN 20 /**< IPv4 header without options. */
#define TCPSEC_IPV6_HEADER_LEN 40 /**< IPv6 header. */
#define TCPSEC_TCP_HEADER_LEN 20  /**< TCP header without options. */
/** Headroom that always suffices for tcpsec_segment_build() (IPv6 + TCP). */
#define TCPSEC_SEGMENT_HEADROOM 60

/** IPv4 or IPv6 address in network byte order. This layout is frozen. */
typedef struct tcpsec_ip_addr {
  /** TCPSEC_IP_V4 or TCPSEC_IP_V6. */
  uint8_t family;
  /** The address; IPv4 uses the first 4 bytes. */
  uint8_t bytes[16];
} tcpsec_ip_addr;

/**
 * Header fields of one segment: what tcpsec_segment_build() writes and
 * what tcpsec_segment_parse() reads. Initialise it with
 * tcpsec_segment_info_default(); the leading \c size field versions it.
 */
typedef struct tcpsec_segment_info {
  /** Size of this struct in the caller's build; set by the initialiser. */
  size_t size;
  /** Source address. Parsing a bare TCP segment needs it as input for
   *  the checksum. */
  tcpsec_ip_addr src;
  /** Destination address; an input for bare segments like \c src. */
  tcpsec_ip_addr dst;
  /** TCP source port, host byte order. */
  uint16_t src_port;
  /** TCP destination port, host byte order. */
  uint16_t dst_port;
  /** Sequence number, host byte order. */
  uint32_t seq;
  /** Acknowledgement number, host byte order. */
  uint32_t ack;
  /** TCPSEC_TCP_* flags; default TCPSEC_TCP_ACK. */
  uint8_t flags;
  /** Window field as sent (not scaled); default 65535. */
  uint16_t window;
  /** IPv4 TTL or IPv6 hop limit; default 64. */
  uint8_t ttl;
  /** Build: non-zero writes an IPv4 or IPv6 header in front of the TCP
   *  header (default 1). Parse: set to whether one was present. */
  int ip_header;
  /** Parse only: the TCP payload inside the parsed buffer. */
  const uint8_t *payload;
  /** Parse only: length of \c payload. */
  size_t payload_len;
} tcpsec_segment_info;

/** tcpsec_segment_parse() flag: the data starts with an IPv4 or IPv6
 *  header. Without it the data starts with the TCP header and the caller
 *  supplies the addresses. */
#define TCPSEC_SEGMENT_PARSE_IP 0x1u
/** tcpsec_segment_parse() flag: do not verify the TCP checksum (for
 *  example to look at a segment before deciding it is an ESP candidate).
 *  The IPv4 header checksum is still verified. */
#define TCPSEC_SEGMENT_PARSE_NO_CHECKSUM 0x2u

/**
 * \brief Fill segment fields with the defaults (ACK flag, window 65535,
 *        TTL 64, with an IP header, everything else zero) and set the size.
 * \param info Fields to initialise; NULL is ignored.
 */
TCPSEC_API void tcpsec_segment_info_default(tcpsec_segment_info *info);

/**
 * \brief Write IP (optional) and TCP headers in front of a payload that
 *        already sits in the buffer, with the TCP checksum filled in.
 * \param info        Header fields; both addresses of the same family.
 * \param buf         Buffer holding the payload at offset \p headroom.
 * \param headroom    Offset of the payload in \p buf; at least 20 (bare
 *                    TCP), 40 (IPv4) or 60 (IPv6).
 * \param payload_len Length of the payload; 8 bytes or more, starting with
 *                    a non-zero SPI.
 * \param start       Receives the offset in \p buf where the packet starts
 *                    (\p headroom minus the header length).
 * \return The packet length: headers plus payload.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c info->size
 *         is 0, the families differ or are unknown, or the payload is not
 *         an ESP packet.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL if \p headroom is below the header
 *         length; nothing is written.
 * \return TCPSEC_ERR_MESSAGE_TOO_LONG if the IP packet (or, without IP
 *         header, the TCP segment) would exceed 65535 bytes.
 *
 * The IPv4 header has DF set, ID 0 and its checksum filled in; the IPv6
 * header has traffic class and flow label 0. The payload is not copied.
 */
TCPSEC_API ptrdiff_t tcpsec_segment_build(const tcpsec_segment_info *info,
                                          uint8_t *buf, size_t headroom,
                                          size_t payload_len, size_t *start);

/**
 * \brief Write headers and a copy of the payload into \p out.
 * \param info        Header fields.
 * \param payload     ESP packet; must not overlap \p out.
 * \param payload_len Its length.
 * \param out         Buffer for the packet.
 * \param out_len     Size of \p out.
 * \return The packet length, written from the start of \p out.
 * \return The codes of tcpsec_segment_build(), with
 *         TCPSEC_ERR_BUFFER_TOO_SMALL when \p out cannot hold the packet.
 */
TCPSEC_API ptrdiff_t tcpsec_segment_build_copy(const tcpsec_segment_info *info,
                                               const uint8_t *payload,
                                               size_t payload_len,
                                               uint8_t *out, size_t out_len);

/**
 * \brief Validate and decode a received segment.
 * \param data  The segment: an IPv4 or IPv6 packet with
 *              TCPSEC_SEGMENT_PARSE_IP, else a bare TCP segment.
 * \param len   Length of \p data. Bytes after the IPv4 total length or the
 *              IPv6 payload length (link-layer padding) are ignored.
 * \param flags TCPSEC_SEGMENT_PARSE_* bits.
 * \param info  Initialised with tcpsec_segment_info_default(); for a bare
 *              segment \c src and \c dst must hold the addresses. Receives
 *              the fields, the TTL when an IP header is present, and the
 *              payload as a pointer into \p data.
 * \return 0 on success. The caller then offers the payload to the SAD,
 *         because only a known inbound SPI plus a valid ICV make it ESP.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c info->size
 *         is 0, or flags are unknown, or (bare segment) the addresses in
 *         \p info are not both IPv4 or both IPv6.
 * \return TCPSEC_ERR_TRUNCATED if \p data ends before a header or before
 *         the length an IP header declares. Drop the segment.
 * \return TCPSEC_ERR_BAD_SEGMENT if a header field is invalid; drop the
 *         segment. The invalid fields are:
 *         - an IP version other than 4 or 6;
 *         - an IPv4 IHL below 5, or a total length below the header;
 *         - a fragment;
 *         - a protocol or IPv6 next header other than TCP (IPv6 extension
 *           headers are not walked);
 *         - a TCP data offset below 5 or beyond the segment.
 * \return TCPSEC_ERR_BAD_CHECKSUM if the IPv4 header checksum or the TCP
 *         checksum is wrong. Raw sockets deliver such segments; drop it.
 *
 * On error \p info is left unchanged.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_segment_parse(const uint8_t *data,
                                                     size_t len,
                                                     unsigned flags,
                                                     tcpsec_segment_info *info);

/** Placement of the constant sequence number relative to the sender's
 *  position in the real stream. */
typedef enum tcpsec_segment_placement {
  /** 2^30 behind (default): passes NATs with strict TCP tracking. */
  TCPSEC_SEGMENT_BEHIND = 0,
  /** 2^31 (half the sequence space) ahead: passes only NATs with liberal
   *  TCP tracking; for peers that expect it. */
  TCPSEC_SEGMENT_AHEAD = 1
} tcpsec_segment_placement;

/**
 * Tracker configuration. Fill it with
 * tcpsec_segment_tracker_config_default(); the leading \c size versions it.
 */
typedef struct tcpsec_segment_tracker_config {
  /** Size of this struct in the caller's build; set by the initialiser. */
  size_t size;
  /** Local address of the TCP connection (getsockname()). */
  tcpsec_ip_addr local_addr;
  /** Local TCP port, host byte order. */
  uint16_t local_port;
  /** Remote address of the TCP connection (getpeername()). */
  tcpsec_ip_addr remote_addr;
  /** Remote TCP port, host byte order. */
  uint16_t remote_port;
  /** Placement of the constant sequence number; default BEHIND. */
  tcpsec_segment_placement placement;
  /** Window field of built segments; default 65535. */
  uint16_t window;
  /** IPv4 TTL or IPv6 hop limit of built segments; default 64. */
  uint8_t ttl;
  /** Non-zero (default) builds segments with an IP header. */
  int ip_header;
} tcpsec_segment_tracker_config;

/** Per-connection state of the segment mode: the constant sequence and
 *  acknowledgement numbers and the positions they derive from. */
typedef struct tcpsec_segment_tracker tcpsec_segment_tracker;

/** The real stream may advance this far from the base position before the
 *  tracker re-bases its constant numbers (2^29 bytes). */
#define TCPSEC_SEGMENT_REBASE_DISTANCE 0x20000000u

/**
 * \brief Fill a tracker configuration with the defaults and set its size.
 * \param cfg Configuration to initialise; NULL is ignored.
 */
TCPSEC_API void tcpsec_segment_tracker_config_default(
    tcpsec_segment_tracker_config *cfg);

/**
 * \brief Create the tracker of one TCP connection.
 * \param ctx Context for allocation and logging; must outlive the tracker.
 * \param cfg Configuration with both addresses set; copied.
 * \param out Receives the tracker.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c cfg->size is
 *         0, unknown trailing bytes are not zero, the address families
 *         differ or are unknown, or \c placement is unknown.
 * \return TCPSEC_ERR_NO_MEMORY if the allocation failed.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_segment_tracker_new(
    tcpsec_ctx *ctx, const tcpsec_segment_tracker_config *cfg,
    tcpsec_segment_tracker **out);

/**
 * \brief Free a tracker.
 * \param t Tracker, or NULL (then nothing happens).
 */
TCPSEC_API void tcpsec_segment_tracker_free(tcpsec_segment_tracker *t);

/**
 * \brief Learn the positions from a segment of the real connection that
 *        the peer sent.
 * \param t           Tracker.
 * \param seq         The segment's sequence number.
 * \param ack         Its acknowledgement number (used with TCPSEC_TCP_ACK).
 * \param flags       Its TCPSEC_TCP_* flags.
 * \param payload_len Its payload length.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p t is NULL.
 *
 * The acknowledgement number is the local send position; seq plus the
 * payload length (plus one for SYN or FIN) is the local receive position.
 * Values that move a known position backwards (in sequence-number
 * arithmetic) are ignored as reordered, and RST segments are ignored. Feed
 * only segments of the real connection, because ESP segments carry the
 * peer's out-of-window numbers.
 */
TCPSEC_API int tcpsec_segment_tracker_observe(tcpsec_segment_tracker *t,
                                              uint32_t seq, uint32_t ack,
                                              uint8_t flags,
                                              size_t payload_len);

/**
 * \brief Set both positions directly, for a caller that has them (for
 *        example from the handshake).
 * \param t       Tracker.
 * \param snd_pos Next sequence number the local side sends on the stream.
 * \param rcv_pos Next sequence number it expects from the peer.
 * \return 0 on success, TCPSEC_ERR_INVALID_ARGUMENT if \p t is NULL.
 *
 * Both base positions are set to these values.
 */
TCPSEC_API int tcpsec_segment_tracker_set_position(tcpsec_segment_tracker *t,
                                                   uint32_t snd_pos,
                                                   uint32_t rcv_pos);

/**
 * \brief Fill the header fields of the next ESP segment.
 * \param t    Tracker.
 * \param info Initialised with tcpsec_segment_info_default(); receives
 *             addresses, ports, sequence and acknowledgement numbers, ACK
 *             flag, window, TTL and the IP header choice.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or
 *         \c info->size is 0.
 * \return TCPSEC_ERR_INVALID_STATE until both positions are known: feed a
 *         segment of the real connection (or set the positions) first.
 */
TCPSEC_API int tcpsec_segment_tracker_fill(const tcpsec_segment_tracker *t,
                                           tcpsec_segment_info *info);

/**
 * \brief Build the next ESP segment in place: tcpsec_segment_tracker_fill()
 *        followed by tcpsec_segment_build().
 * \param t           Tracker.
 * \param buf         Buffer holding the ESP packet at offset \p headroom.
 * \param headroom    Offset of the packet; TCPSEC_SEGMENT_HEADROOM always
 *                    suffices.
 * \param payload_len Length of the ESP packet.
 * \param start       Receives the offset in \p buf where the packet starts.
 * \return The packet length.
 * \return TCPSEC_ERR_INVALID_STATE until both positions are known.
 * \return The other codes of tcpsec_segment_tracker_fill() and
 *         tcpsec_segment_build(), with the same meaning.
 */
TCPSEC_API ptrdiff_t tcpsec_segment_tracker_build(
    const tcpsec_segment_tracker *t, uint8_t *buf, size_t headroom,
    size_t payload_len, size_t *start);

/**
 * \brief Tell whether a parsed segment travels from the peer to us on this
 *        tracker's 4-tuple.
 * \param t    Tracker.
 * \param info Fields from tcpsec_segment_parse().
 * \return 1 if the addresses and ports match the connection in the
 *         receive direction, 0 if not or if a pointer is NULL.
 */
TCPSEC_API int tcpsec_segment_tracker_matches(const tcpsec_segment_tracker *t,
                                              const tcpsec_segment_info *info);
/** \} */

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_ENCAP_H */
