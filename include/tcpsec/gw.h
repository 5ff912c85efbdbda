/**
 * \file tcpsec/gw.h
 * \brief Gateway: tunnels, dial-up peers, transports and the data path.
 *
 * A tcpsec_gw is the one object a firewall or an example program drives. It
 * owns the IKE SAs of every peer, the SA database, the framers of each
 * connection, the choice between UDP and TCP, and the ESP data path.
 *
 * Tunnels are configured the way an administrator sets a FortiGate phase 1
 * and phase 2. A \c static tunnel has one remote gateway and initiates. A
 * \c dynamic (dial-up) tunnel accepts any number of peers and gives each its
 * own instance, named after the tunnel with a suffix ("Hub_1", "Hub_2").
 *
 * The gateway performs no I/O. Connections belong to the caller and are
 * named by handles (tcpsec_gw_conn) that the gateway assigns:
 *
 * - UDP: the caller owns sockets on ports 500 and 4500 of each local
 *   address, passes every datagram to tcpsec_gw_udp_input() and sends
 *   the datagrams the \c udp_send callback passes.
 * - TCP: for an inbound connection the caller calls tcpsec_gw_tcp_accept()
 *   and gets a handle; for an outbound one the gateway calls \c tcp_open
 *   with a new handle and the caller reports tcpsec_gw_tcp_connected() or
 *   tcpsec_gw_tcp_closed(). Bytes go in through tcpsec_gw_tcp_input() and
 *   out through \c tcp_send.
 * - Fortinet-style segments: each ESP packet travels as its own TCP segment
 *   on the IKE connection's ports. The gateway builds the whole IP packet
 *   and passes it to \c raw_send; the caller passes every TCP segment of
 *   such a connection that it captures to tcpsec_gw_raw_input().
 *
 * Time enters as \c now_ms (monotonic milliseconds) on every call;
 * tcpsec_gw_next_timeout() says when tcpsec_gw_handle_timeout() is due.
 * Tunnels authenticate with a pre-shared key or with certificates. To
 * check a peer's certificate the gateway needs the calendar time, which it
 * takes from the caller's \c wall_clock callback.
 *
 * Callbacks run inside the call that caused them. From inside a callback
 * only tcpsec_gw_next_timeout() and the status functions may be called;
 * every other gateway call returns TCPSEC_ERR_INVALID_STATE there.
 */
#ifndef TCPSEC_GW_H
#define TCPSEC_GW_H

#include "tcpsec/core.h"
#include "tcpsec/encap.h"
#include "tcpsec/esp.h"
#include "tcpsec/ike.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Handle of a connection; 0 is never a valid handle. */
typedef uint32_t tcpsec_gw_conn;

/** Maximum length of a tunnel or instance name, without the terminating
 *  NUL. */
#define TCPSEC_GW_NAME_MAX 35

/**
 * Bytes an inner packet buffer needs in front of the packet for
 * tcpsec_gw_send_packet(): the ESP header and IV, plus an IPv6 and TCP
 * header for a Fortinet-style segment (the largest encapsulation).
 */
#define TCPSEC_GW_HEADROOM (TCPSEC_ESP_HEADROOM_MAX + TCPSEC_SEGMENT_HEADROOM)

/** Bytes an inner packet buffer needs behind the packet (ESP trailer). */
#define TCPSEC_GW_TAILROOM TCPSEC_ESP_TAILROOM_MAX

/** Kind of tunnel (FortiOS `set type`). */
typedef enum tcpsec_gw_tunnel_type {
  /** One remote gateway; this side initiates. */
  TCPSEC_GW_STATIC = 1,
  /** Dial-up: any number of peers initiate; each gets an instance. */
  TCPSEC_GW_DYNAMIC = 2
} tcpsec_gw_tunnel_type;

/** Transport choice (FortiOS `set transport`). */
typedef enum tcpsec_gw_transport_mode {
  /** UDP 500, moving to 4500 when a NAT is detected. */
  TCPSEC_GW_TRANSPORT_UDP = 1,
  /** TCP with RFC 9329 framing, or Fortinet-style segments for ESP. */
  TCPSEC_GW_TRANSPORT_TCP = 2,
  /** UDP first; TCP when UDP gets no response within the threshold. */
  TCPSEC_GW_TRANSPORT_AUTO = 3
} tcpsec_gw_transport_mode;

/** Transport an instance is using now. */
typedef enum tcpsec_gw_transport {
  TCPSEC_GW_ON_NONE = 0,
  TCPSEC_GW_ON_UDP = 1,     /**< UDP 500 */
  TCPSEC_GW_ON_UDP_NATT = 2, /**< UDP 4500 with the non-ESP marker */
  TCPSEC_GW_ON_TCP = 3,     /**< RFC 9329 stream */
  TCPSEC_GW_ON_TCP_SEGMENTS = 4 /**< IKE in the stream, ESP as segments */
} tcpsec_gw_transport;

/**
 * Configuration of one tunnel (phase 1 and its phase 2). Initialise with
 * tcpsec_gw_tunnel_config_default(); the leading \c size field versions the
 * struct. Strings and arrays are copied by tcpsec_gw_add_tunnel().
 */
typedef struct tcpsec_gw_tunnel_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Tunnel name, at most TCPSEC_GW_NAME_MAX characters. */
  const char *name;
  /** tcpsec_gw_tunnel_type; default TCPSEC_GW_STATIC. */
  uint8_t type;
  /** Local address IKE and ESP use (the port is ignored). */
  tcpsec_ike_endpoint local;
  /** Static tunnels: the remote gateway's address (port ignored). */
  tcpsec_ike_endpoint remote_gw;
  /** Local identity; type 0 means the local address as ID_IPV4/IPV6. */
  tcpsec_ike_identity local_id;
  /** Identity the peer must present; type 0 accepts any (peertype any). */
  tcpsec_ike_identity peer_id;
  /** Pre-shared key. */
  const uint8_t *psk;
  /** Length of \c psk. */
  size_t psk_len;
  /** IKE proposals, space-separated ("aes128-sha256 aes256gcm-prfsha384"). */
  const char *ike_proposals;
  /** Key exchange groups for IKE (IANA numbers, preferred first). */
  const uint16_t *dh_groups;
  /** Number of entries in \c dh_groups. */
  size_t dh_group_count;
  /** ESP proposals, space-separated ("aes128gcm chacha20poly1305"). */
  const char *esp_proposals;
  /** PFS groups for Child SA rekeys; none means no PFS. */
  const uint16_t *pfs_groups;
  /** Number of entries in \c pfs_groups. */
  size_t pfs_group_count;
  /** Local protected subnets (phase 2 src-subnet). */
  const tcpsec_ike_traffic_selector *local_ts;
  /** Number of entries in \c local_ts. */
  size_t local_ts_count;
  /** Remote protected subnets (phase 2 dst-subnet). */
  const tcpsec_ike_traffic_selector *remote_ts;
  /** Number of entries in \c remote_ts. */
  size_t remote_ts_count;
  /** tcpsec_gw_transport_mode; default TCPSEC_GW_TRANSPORT_UDP. */
  uint8_t transport;
  /** Non-zero: ESP as Fortinet-style segments on TCP (fortinet-esp). */
  uint8_t fortinet_esp;
  /** tcpsec_segment_placement of the constant sequence number; default
   *  behind the sender's position. */
  uint8_t segment_placement;
  /** TCP port of the responder; default 4500. */
  uint16_t tcp_port;
  /** Transport auto: time without a response on UDP before TCP is tried,
   *  in milliseconds; default 15000. */
  uint32_t auto_transport_threshold_ms;
  /** IKE SA lifetime; default 86400000 (24 h). */
  uint64_t ike_lifetime_ms;
  /** Child SA lifetime; default 43200000 (12 h). */
  uint64_t child_lifetime_ms;
  /** Child SA lifetime in bytes; 0 (default) means no byte limit. */
  uint64_t child_lifetime_bytes;
  /** Dead peer detection interval when idle; 0 disables; default 20000. */
  uint32_t dpd_interval_ms;
  /** Initial retransmission timeout on UDP; default 1000 (doubles). */
  uint32_t retransmit_timeout_ms;
  /** Retransmissions before the peer counts as dead; default 5. */
  uint32_t retransmit_limit;
  /** Anti-replay window in packets; 0 disables; default 2048. */
  uint32_t replay_window;
  /** UDP NAT keepalive interval on port 4500 in milliseconds. A side that
   *  is behind a NAT sends a keepalive when it sent nothing else to the
   *  peer for this long (RFC 3948 section 4). 0 disables; default 20000. */
  uint32_t nat_keepalive_ms;
  /** Static tunnels on TCP: first delay in milliseconds before
   *  reconnecting after the TCP connection was lost or an attempt failed.
   *  It doubles after every failed attempt up to tcp_reconnect_max_ms.
   *  Default 1000. */
  uint32_t tcp_reconnect_ms;
  /** Non-zero: clamp the MSS option of inner TCP SYNs to fit the tunnel
   *  MTU (FortiOS tcp-mss); default 1. */
  uint8_t clamp_mss;
  /** MTU of the outer path, from which the inner MTU is computed; default
   *  1500. */
  uint16_t outer_mtu;
  /** Non-zero (default): start rekeys of the IKE SA and its Child SAs when
   *  their soft lifetimes run out (FortiOS phase 1 `rekey`). 0: let them
   *  expire, and only respond to the peer's rekeys. */
  uint8_t rekey;
  /** Maximum random jitter subtracted from each soft lifetime, in percent
   *  of it, so that SAs created together do not rekey together. Default
   *  10, at most 50. */
  uint8_t rekey_jitter_percent;
  /** Soft lifetime of the IKE SA in milliseconds: it is rekeyed this long
   *  after it was established. Default 0: 90 % of ike_lifetime_ms. Must be
   *  below ike_lifetime_ms. */
  uint64_t ike_rekey_ms;
  /** Soft lifetime of a Child SA in milliseconds; default 0: 90 % of
   *  child_lifetime_ms. Must be below child_lifetime_ms. */
  uint64_t child_rekey_ms;
  /** Soft lifetime of a Child SA in bytes, counted per direction over the
   *  inner packets; default 0: 90 % of child_lifetime_bytes. Must be below
   *  child_lifetime_bytes. */
  uint64_t child_rekey_bytes;
  /** Hard lifetime of a Child SA in packets per direction; 0 (default)
   *  means no limit. */
  uint64_t child_lifetime_packets;
  /** Soft lifetime of a Child SA in packets; default 0: 90 % of
   *  child_lifetime_packets. Must be below child_lifetime_packets. */
  uint64_t child_rekey_packets;
  /** Time in milliseconds a pair replaced by a rekey the peer started
   *  keeps accepting packets when the peer never deletes it; default
   *  30000. */
  uint32_t rekey_grace_ms;
  /** Static tunnels on TCP: upper bound of the reconnect delay in
   *  milliseconds; default 30000. Must not be below tcp_reconnect_ms. */
  uint32_t tcp_reconnect_max_ms;
  /** Authentication method of this side (tcpsec_ike_auth_method):
   *  TCPSEC_IKE_AUTH_PSK (the default) with \c psk, or a signature method
   *  (TCPSEC_IKE_AUTH_RSA, _ECDSA_P256, _P384, _P521 or _SIGNATURE) with
   *  \c cert_chain and \c private_key. With a certificate, set \c local_id
   *  to an identity the certificate contains (a dNSName for an FQDN, an
   *  iPAddress for an address). The default identity, the local address,
   *  rarely is one. */
  uint8_t auth_method;
  /** Local certificate chain: the end-entity certificate first, then
   *  intermediate CA certificates. PEM with one or more certificates, or
   *  DER certificates one after another. Required when \c auth_method is
   *  a signature method. */
  const uint8_t *cert_chain;
  /** Length of \c cert_chain in bytes. */
  size_t cert_chain_len;
  /** Private key of the end-entity certificate: unencrypted PKCS#8, SEC1
   *  or PKCS#1, PEM or DER; RSA of 2048 to 8192 bits or ECDSA on P-256,
   *  P-384 or P-521. Required when \c auth_method is a signature method.
   *  Copied, wiped when the tunnel is freed, never logged. */
  const uint8_t *private_key;
  /** Length of \c private_key in bytes. */
  size_t private_key_len;
  /** Trust anchors: the CA certificates a peer's chain must lead to, in
   *  the formats of \c cert_chain (PEM or DER, not mixed). Required when
   *  the peer authenticates with a signature method. */
  const uint8_t *trust_anchors;
  /** Length of \c trust_anchors in bytes. */
  size_t trust_anchors_len;
  /** Authentication method the peer must use (tcpsec_ike_auth_method);
   *  0 (the default) means the same as \c auth_method. Any signature method
   *  accepts every signature method that fits the key of the peer's
   *  certificate. A signature method needs the gateway's \c wall_clock
   *  callback. */
  uint8_t remote_auth_method;
  /** 1 (default) to send CERTREQ payloads naming the trust anchors when
   *  the peer authenticates with a signature method; 0 to send none. */
  uint8_t send_certreq;
  /** RSA padding of method 14 signatures: 1 (default) RSASSA-PSS, 0
   *  RSASSA-PKCS1-v1_5 (FortiOS `rsa-signature-format pkcs1`).
   *  Verification accepts both. */
  uint8_t rsa_pss;
  /**
   * Optional revocation check of the peer's certificates, called while
   * IKE_AUTH validates the peer's chain, once for every certificate on the
   * path except the trust anchor. \p instance names the tunnel instance,
   * \p serial is the certificate's serial number (the content octets of
   * the DER INTEGER) and \p issuer its issuer Name (DER). Return 1 when
   * the certificate is revoked (the negotiation fails with
   * TCPSEC_ERR_CERT_UNTRUSTED), 0 when it is not, and a negative value
   * when its status is unknown (it fails with TCPSEC_ERR_CALLBACK). It
   * runs inside a gateway call, so it must not block, and it may call only
   * what other gateway callbacks may call. NULL (the default) checks
   * nothing.
   */
  int (*cert_revoked)(void *user, const char *instance, const uint8_t *serial,
                      size_t serial_len, const uint8_t *issuer,
                      size_t issuer_len);
  /** Passed to \c cert_revoked. */
  void *cert_revoked_user;
} tcpsec_gw_tunnel_config;

/** Kinds of gateway events. */
typedef enum tcpsec_gw_event_type {
  /** An IKE SA and its first Child SA are up: traffic flows. */
  TCPSEC_GW_EVENT_TUNNEL_UP = 1,
  /** The tunnel instance went down; \c reason gives the cause. */
  TCPSEC_GW_EVENT_TUNNEL_DOWN = 2,
  /** A negotiation failed before the tunnel came up. */
  TCPSEC_GW_EVENT_NEGOTIATION_FAILED = 3,
  /** Transport auto gave up on UDP and moved to TCP. */
  TCPSEC_GW_EVENT_TRANSPORT_FALLBACK = 4,
  /** A Child SA was installed (also after a rekey). */
  TCPSEC_GW_EVENT_CHILD_UP = 5,
  /** A Child SA was removed. */
  TCPSEC_GW_EVENT_CHILD_DOWN = 6,
  /** The IKE SA was rekeyed: it has new SPIs and keys, and keeps its
   *  instance and its Child SAs. */
  TCPSEC_GW_EVENT_IKE_REKEYED = 7
} tcpsec_gw_event_type;

/** One gateway event. Valid only during the callback. */
typedef struct tcpsec_gw_event {
  /** Size of this struct as the library fills it. */
  size_t size;
  /** tcpsec_gw_event_type */
  int type;
  /** Tunnel the event belongs to ("spoke"). */
  const char *tunnel;
  /** Instance name ("Hub_1"; the tunnel name for static tunnels). */
  const char *instance;
  /** 0, or the negative TCPSEC_ERR_* code that explains the event. */
  int reason;
  /** Child SA events: inbound and outbound SPI. */
  uint32_t spi_in;
  /** Child SA events: outbound SPI. */
  uint32_t spi_out;
} tcpsec_gw_event;

/** Kind of key record in a tcpsec_gw_keys. */
typedef enum tcpsec_gw_keys_kind {
  TCPSEC_GW_KEYS_IKE = 1, /**< The SK_e and SK_a keys of an IKE SA. */
  TCPSEC_GW_KEYS_ESP = 2  /**< The keys of one ESP SA (one direction). */
} tcpsec_gw_keys_kind;

/** Keys of a new SA, for a key log. Valid only during the callback. */
typedef struct tcpsec_gw_keys {
  /** Size of this struct as the library filled it. */
  size_t size;
  /** tcpsec_gw_keys_kind */
  int kind;
  /** Instance the SA belongs to. */
  const char *instance;
  /** TCPSEC_GW_KEYS_IKE: the IKE SA's keys. */
  const tcpsec_ike_keys *ike;
  /** TCPSEC_GW_KEYS_ESP: SPI of the ESP SA. */
  uint32_t spi;
  /** TCPSEC_GW_KEYS_ESP: outer source address of its packets. */
  tcpsec_ike_endpoint src;
  /** TCPSEC_GW_KEYS_ESP: outer destination address of its packets. */
  tcpsec_ike_endpoint dst;
  /** TCPSEC_GW_KEYS_ESP: encryption algorithm (TCPSEC_ENCR_*). */
  uint16_t encr;
  /** TCPSEC_GW_KEYS_ESP: key length in bits, salt excluded. */
  uint16_t encr_key_bits;
  /** TCPSEC_GW_KEYS_ESP: integrity algorithm; NONE for AEAD. */
  uint16_t integ;
  /** TCPSEC_GW_KEYS_ESP: encryption key; for AEAD key || salt. */
  const uint8_t *encr_key;
  /** Length of \c encr_key. */
  size_t encr_key_len;
  /** TCPSEC_GW_KEYS_ESP: integrity key, NULL for AEAD. */
  const uint8_t *integ_key;
  /** Length of \c integ_key. */
  size_t integ_key_len;
} tcpsec_gw_keys;

/**
 * Callbacks of a gateway. Fill with tcpsec_gw_callbacks_default(); the
 * leading \c size field versions the struct. Every callback may be NULL;
 * what it would have carried is then dropped and counted.
 */
typedef struct tcpsec_gw_callbacks {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /**
   * Send one UDP datagram from \p local (address and port 500 or 4500) to
   * \p remote. Return 0, or non-zero when it could not be sent.
   */
  int (*udp_send)(void *user, const tcpsec_ike_endpoint *local,
                  const tcpsec_ike_endpoint *remote, const uint8_t *data,
                  size_t len);
  /**
   * Open a TCP connection from \p local (port 0: any) to \p remote and
   * report the result with tcpsec_gw_tcp_connected() or
   * tcpsec_gw_tcp_closed() on handle \p conn, later, outside the callback.
   * Return non-zero when no attempt could be started.
   */
  int (*tcp_open)(void *user, tcpsec_gw_conn conn,
                  const tcpsec_ike_endpoint *local,
                  const tcpsec_ike_endpoint *remote);
  /**
   * Write bytes to the TCP connection. The caller must take all of them
   * (buffering what the socket does not accept yet) because they are part
   * of a framed stream. Return non-zero when the connection is broken; the
   * gateway then treats it as closed.
   */
  int (*tcp_send)(void *user, tcpsec_gw_conn conn, const uint8_t *data,
                  size_t len);
  /**
   * Send an ESP packet as IP protocol 50 from \p local to \p remote: a UDP
   * tunnel without NAT (RFC 4303). Return 0 or non-zero.
   */
  int (*esp_send)(void *user, const tcpsec_ike_endpoint *local,
                  const tcpsec_ike_endpoint *remote, const uint8_t *packet,
                  size_t len);
  /** Close the TCP connection; the handle is invalid afterwards. */
  void (*tcp_close)(void *user, tcpsec_gw_conn conn);
  /**
   * Send a complete IPv4 or IPv6 packet carrying one Fortinet-style TCP
   * segment of connection \p conn (raw socket). Return 0 or non-zero.
   */
  int (*raw_send)(void *user, tcpsec_gw_conn conn, const uint8_t *packet,
                  size_t len);
  /** Deliver a decrypted inner IPv4 or IPv6 packet of instance
   *  \p instance to the local network (TUN device). */
  void (*deliver)(void *user, const char *instance, const uint8_t *packet,
                  size_t len);
  /** Report an event. */
  void (*event)(void *user, const tcpsec_gw_event *ev);
  /** Passed to every callback. */
  void *user;
  /**
   * Receives the keys of every new IKE SA and ESP SA, for writing a key log
   * that Wireshark can decrypt captures with. NULL (the default) disables
   * it.
   * \warning A key log lets anyone who reads it decrypt all traffic of
   *          those SAs. Never enable it in production.
   */
  void (*keylog)(void *user, const tcpsec_gw_keys *keys);
  /**
   * Return the current calendar time in seconds since 1970-01-01 00:00:00
   * UTC (time() on POSIX systems). The gateway reads no clock of its own,
   * and the validity periods of the peer's certificates are checked
   * against this time, once per IKE_AUTH of a peer that authenticates
   * with a signature method. NULL (the default) is fine for PSK tunnels,
   * but then tcpsec_gw_add_tunnel() rejects every tunnel whose peer
   * authenticates with a signature method, with TCPSEC_ERR_CONFIG and a
   * log line.
   */
  uint64_t (*wall_clock)(void *user);
} tcpsec_gw_callbacks;

/** Gateway-wide settings. Initialise with tcpsec_gw_config_default(). */
typedef struct tcpsec_gw_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Half-open IKE SAs above which responders ask for a cookie; default 64. */
  uint32_t cookie_threshold;
  /** Most instances of all dynamic tunnels together; default 10000. */
  uint32_t max_instances;
  /** Most connections (TCP handles) at once; default 20000. */
  uint32_t max_connections;
} tcpsec_gw_config;

/** The gateway. */
typedef struct tcpsec_gw tcpsec_gw;

/**
 * \brief Fill gateway settings with the defaults and set the size field.
 * \param cfg Settings; NULL does nothing.
 */
TCPSEC_API void tcpsec_gw_config_default(tcpsec_gw_config *cfg);

/**
 * \brief Fill tunnel settings with the defaults and set the size field.
 * \param cfg Settings; NULL does nothing.
 */
TCPSEC_API void tcpsec_gw_tunnel_config_default(tcpsec_gw_tunnel_config *cfg);

/**
 * \brief Fill a callback table with NULLs and set the size field.
 * \param cb Callbacks; NULL does nothing.
 */
TCPSEC_API void tcpsec_gw_callbacks_default(tcpsec_gw_callbacks *cb);

/**
 * \brief Create a gateway without tunnels.
 * \param ctx Library context; must outlive the gateway.
 * \param cfg Settings, or NULL for the defaults; copied.
 * \param cb  Callbacks; copied.
 * \param out Receives the gateway.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p ctx, \p cb or \p out is NULL or
 *         a size field is invalid.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 * \return TCPSEC_ERR_RANDOM if the cookie secret could not be drawn.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_gw_new(tcpsec_ctx *ctx,
                                              const tcpsec_gw_config *cfg,
                                              const tcpsec_gw_callbacks *cb,
                                              tcpsec_gw **out);

/**
 * \brief Send a Delete for every IKE SA, close every connection and free
 *        the gateway. Wipes all keys.
 * \param gw Gateway, or NULL.
 *
 * Call tcpsec_gw_shutdown() first and give the Deletes time to leave if
 * the peers should learn about it.
 */
TCPSEC_API void tcpsec_gw_free(tcpsec_gw *gw);

/**
 * \brief Add a tunnel.
 * \param gw  Gateway.
 * \param cfg Tunnel settings; copied, including strings and arrays.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL or the size
 *         field is invalid.
 * \return TCPSEC_ERR_EXISTS if a tunnel has the same name.
 * \return TCPSEC_ERR_CONFIG if a value is invalid; the log names the
 *         value. Invalid values are an empty name, no PSK where a side
 *         authenticates with one, a static tunnel without remote gateway,
 *         no traffic selector, or an unknown authentication method. So are
 *         a certificate, private key or trust anchor that is missing or
 *         cannot be used, and a peer that signs while the gateway has no
 *         \c wall_clock callback. The certificates and the key are parsed,
 *         and the key checked against the certificate, here once per
 *         tunnel.
 * \return TCPSEC_ERR_INVALID_PROPOSAL if a proposal string is not
 *         understood; the log names the token.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_gw_add_tunnel(tcpsec_gw *gw, const tcpsec_gw_tunnel_config *cfg);

/**
 * \brief Start negotiating every static tunnel.
 * \param gw     Gateway.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success, TCPSEC_ERR_INVALID_ARGUMENT if \p gw is NULL,
 *         TCPSEC_ERR_INVALID_STATE inside a callback.
 */
TCPSEC_API int tcpsec_gw_start(tcpsec_gw *gw, uint64_t now_ms);

/**
 * \brief Delete every IKE SA (Delete requests leave through the callbacks)
 *        and stop reconnecting. The gateway keeps processing input until
 *        freed, so the responses can still arrive.
 * \param gw     Gateway.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success, TCPSEC_ERR_INVALID_ARGUMENT if \p gw is NULL,
 *         TCPSEC_ERR_INVALID_STATE inside a callback.
 */
TCPSEC_API int tcpsec_gw_shutdown(tcpsec_gw *gw, uint64_t now_ms);

/**
 * \brief Process one received UDP datagram (port 500 or 4500).
 * \param gw     Gateway.
 * \param local  Local address and port the datagram arrived on.
 * \param remote Sender's address and port.
 * \param data   UDP payload.
 * \param len    Length of \p data.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 when the datagram was consumed, including NAT keepalives and
 *         IKE messages that the IKE SA processed or dropped (it counts
 *         those).
 * \return TCPSEC_ERR_BAD_MARKER, TCPSEC_ERR_TRUNCATED,
 *         TCPSEC_ERR_INVALID_IKE_SPI or an ESP error
 *         (TCPSEC_ERR_ESP_UNKNOWN_SPI, _AUTH_FAILED, _REPLAYED, ...) when it
 *         was dropped; nothing else changed.
 * \return TCPSEC_ERR_INVALID_ARGUMENT, or TCPSEC_ERR_INVALID_STATE inside a
 *         callback.
 */
TCPSEC_API int tcpsec_gw_udp_input(tcpsec_gw *gw,
                                   const tcpsec_ike_endpoint *local,
                                   const tcpsec_ike_endpoint *remote,
                                   const uint8_t *data, size_t len,
                                   uint64_t now_ms);

/**
 * \brief Process one received ESP packet (IP protocol 50, no encapsulation).
 * \param gw     Gateway.
 * \param local  Local address (port ignored).
 * \param remote Sender's address (port ignored).
 * \param data   The ESP packet (the IP payload).
 * \param len    Length of \p data.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 when the packet was delivered, or an ESP error
 *         (TCPSEC_ERR_ESP_UNKNOWN_SPI, _AUTH_FAILED, _REPLAYED, ...) when it
 *         was dropped; TCPSEC_ERR_INVALID_ARGUMENT; TCPSEC_ERR_INVALID_STATE
 *         inside a callback.
 */
TCPSEC_API int tcpsec_gw_esp_input(tcpsec_gw *gw,
                                   const tcpsec_ike_endpoint *local,
                                   const tcpsec_ike_endpoint *remote,
                                   const uint8_t *data, size_t len,
                                   uint64_t now_ms);

/**
 * \brief Register an inbound TCP connection accepted on a tunnel's port.
 * \param gw     Gateway.
 * \param local  Local address and port.
 * \param remote Peer's address and port.
 * \param now_ms Current monotonic time in milliseconds.
 * \param out    Receives the handle for later calls.
 * \return 0 on success.
 * \return TCPSEC_ERR_LIMIT if max_connections is reached: close it.
 * \return TCPSEC_ERR_NO_MEMORY, TCPSEC_ERR_INVALID_ARGUMENT,
 *         TCPSEC_ERR_INVALID_STATE (inside a callback).
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_gw_tcp_accept(tcpsec_gw *gw, const tcpsec_ike_endpoint *local,
                     const tcpsec_ike_endpoint *remote, uint64_t now_ms,
                     tcpsec_gw_conn *out);

/**
 * \brief Report that an outbound connection requested by \c tcp_open is
 *        established.
 * \param gw     Gateway.
 * \param conn   Handle passed to \c tcp_open.
 * \param local  Local address and port the kernel chose.
 * \param remote Peer's address and port.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success, TCPSEC_ERR_UNKNOWN_CONNECTION for a handle that is
 *         not waiting for a connection, TCPSEC_ERR_INVALID_ARGUMENT,
 *         TCPSEC_ERR_INVALID_STATE (inside a callback).
 */
TCPSEC_API int tcpsec_gw_tcp_connected(tcpsec_gw *gw, tcpsec_gw_conn conn,
                                       const tcpsec_ike_endpoint *local,
                                       const tcpsec_ike_endpoint *remote,
                                       uint64_t now_ms);

/**
 * \brief Process bytes received on a TCP connection, in any chunking.
 * \param gw     Gateway.
 * \param conn   Connection handle.
 * \param data   Received bytes.
 * \param len    Length of \p data.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (messages inside that fail are counted and logged).
 * \return TCPSEC_ERR_STREAM_BAD_PREFIX or TCPSEC_ERR_STREAM_BAD_LENGTH
 *         when the stream violates RFC 9329: the gateway has already asked
 *         the caller to close it through \c tcp_close.
 * \return TCPSEC_ERR_UNKNOWN_CONNECTION, TCPSEC_ERR_INVALID_ARGUMENT,
 *         TCPSEC_ERR_INVALID_STATE (inside a callback).
 */
TCPSEC_API int tcpsec_gw_tcp_input(tcpsec_gw *gw, tcpsec_gw_conn conn,
                                   const uint8_t *data, size_t len,
                                   uint64_t now_ms);

/**
 * \brief Report that a TCP connection was closed or reset by the peer, or
 *        that an outbound attempt failed. The handle is invalid afterwards.
 *        The IKE and Child SAs that used it survive. A static tunnel
 *        reconnects after tcp_reconnect_ms, a delay that doubles after
 *        every failed attempt up to tcp_reconnect_max_ms.
 * \param gw     Gateway.
 * \param conn   Connection handle.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0, TCPSEC_ERR_UNKNOWN_CONNECTION, TCPSEC_ERR_INVALID_ARGUMENT,
 *         TCPSEC_ERR_INVALID_STATE (inside a callback).
 */
TCPSEC_API int tcpsec_gw_tcp_closed(tcpsec_gw *gw, tcpsec_gw_conn conn,
                                    uint64_t now_ms);

/**
 * \brief Process a captured IPv4 or IPv6 packet carrying a TCP segment of a
 *        connection in Fortinet-style segment mode.
 *
 * Segments of the real stream teach the gateway its own stream position
 * through their acknowledgement numbers. A segment whose payload starts with
 * a known inbound SPI is taken as ESP: its TCP checksum and then its ESP ICV
 * are verified before it is decrypted.
 *
 * \param gw     Gateway.
 * \param packet The IP packet.
 * \param len    Length of \p packet.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 when the packet was consumed (an ESP packet delivered, or a
 *         stream segment observed).
 * \return TCPSEC_ERR_BAD_SEGMENT, TCPSEC_ERR_BAD_CHECKSUM,
 *         TCPSEC_ERR_NOT_FOUND (no connection in segment mode has this
 *         4-tuple) or an ESP error when it was dropped.
 * \return TCPSEC_ERR_INVALID_ARGUMENT, TCPSEC_ERR_INVALID_STATE (inside a
 *         callback).
 */
TCPSEC_API int tcpsec_gw_raw_input(tcpsec_gw *gw, const uint8_t *packet,
                                   size_t len, uint64_t now_ms);

/**
 * \brief Protect and send one inner IPv4 or IPv6 packet.
 *
 * The packet selects its tunnel instance and Child SA by the traffic
 * selectors. It is sealed in place, encapsulated for that instance's
 * transport, and leaves through \c udp_send, \c tcp_send or \c raw_send.
 *
 * \param gw       Gateway.
 * \param buf      Buffer holding the packet at \p buf + \p headroom.
 * \param headroom Bytes free in front of the packet; at least
 *                 TCPSEC_GW_HEADROOM.
 * \param len      Length of the packet.
 * \param cap      Size of \p buf; at least headroom + len +
 *                 TCPSEC_GW_TAILROOM.
 * \param now_ms   Current monotonic time in milliseconds.
 * \return 0 when the packet was sent.
 * \return TCPSEC_ERR_NO_POLICY when no tunnel's configured subnets cover
 *         the packet (counted).
 * \return TCPSEC_ERR_TUNNEL_DOWN when a tunnel's subnets cover the packet
 *         but no Child SA is installed for it, or when the matching Child
 *         SA's TCP connection is being re-established (counted). Either
 *         drop makes a static tunnel that waits to retry a failed
 *         negotiation start it at once, like an acquire.
 * \return TCPSEC_ERR_BAD_INNER_PACKET for a packet that is not IPv4/IPv6.
 * \return TCPSEC_ERR_BUFFER_TOO_SMALL when headroom or tailroom is short.
 * \return TCPSEC_ERR_ESP_SEQ_EXHAUSTED or TCPSEC_ERR_SA_EXPIRED when the
 *         Child SA can send no more (a rekey is under way).
 * \return TCPSEC_ERR_CALLBACK when the send callback failed.
 * \return TCPSEC_ERR_INVALID_ARGUMENT, TCPSEC_ERR_INVALID_STATE (inside a
 *         callback).
 */
TCPSEC_API int tcpsec_gw_send_packet(tcpsec_gw *gw, uint8_t *buf,
                                     size_t headroom, size_t len, size_t cap,
                                     uint64_t now_ms);

/**
 * \brief Time at which tcpsec_gw_handle_timeout() is due.
 *
 * Constant time: every instance's next deadline is kept in a min-heap. The
 * value may lie before the instance's actual deadline (a deadline that
 * moved later is corrected lazily), never after it.
 *
 * \param gw Gateway.
 * \return Monotonic milliseconds, or UINT64_MAX when nothing is scheduled.
 */
TCPSEC_API uint64_t tcpsec_gw_next_timeout(const tcpsec_gw *gw);

/**
 * \brief Run every timer that is due: retransmissions, DPD, rekeys and
 *        lifetimes, transport fallback, reconnects and NAT keepalives.
 *
 * Only instances whose deadline has passed are visited, so the cost grows
 * with the number of due instances and the logarithm of the total.
 *
 * \param gw     Gateway.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0, TCPSEC_ERR_INVALID_ARGUMENT, or TCPSEC_ERR_INVALID_STATE
 *         inside a callback.
 */
TCPSEC_API int tcpsec_gw_handle_timeout(tcpsec_gw *gw, uint64_t now_ms);

/* ---- status snapshot -------------------------------------------------- */

/**
 * Status of one tunnel instance and its IKE SA: the fields of FortiOS
 * `diagnose vpn ike gateway list`. Set \c size to sizeof before the call;
 * the library fills only the fields within it.
 */
typedef struct tcpsec_gw_ike_status {
  /** Size of this struct as the caller sees it. */
  size_t size;
  /** Instance name ("Hub_1", or the tunnel name for static tunnels). */
  char name[TCPSEC_GW_NAME_MAX + 1];
  /** Tunnel the instance belongs to. */
  char tunnel[TCPSEC_GW_NAME_MAX + 1];
  /** tcpsec_gw_tunnel_type of the tunnel. */
  uint8_t type;
  /** tcpsec_gw_transport in use. */
  uint8_t transport;
  /** Non-zero when this side is the original initiator of the current IKE
   *  SA; after an IKE SA rekey, the side that started the rekey is. */
  uint8_t initiator;
  /** NAT detected: bit 0 local side behind NAT, bit 1 peer behind NAT. */
  uint8_t nat;
  /** tcpsec_ike_sa_state of the current IKE SA; 0 if none. */
  int state;
  /** Local address and port of the connection. */
  tcpsec_ike_endpoint local;
  /** Peer's address and port as seen here (after any NAT). */
  tcpsec_ike_endpoint remote;
  /** IKE SPIs: initiator's, then responder's. */
  uint8_t spi_i[8];
  /** Responder's IKE SPI. */
  uint8_t spi_r[8];
  /** Negotiated proposal in FortiOS spelling ("aes128-sha256"). */
  char proposal[48];
  /** Negotiated key exchange group. */
  uint16_t ke_group;
  /** Peer identity as text (empty before IKE_AUTH): an address, an FQDN
   *  or email address, a Distinguished Name as "C=DE, O=Example, CN=spoke",
   *  or a key ID in hex. */
  char peer_id[128];
  /** When the instance was created (monotonic ms). */
  uint64_t created_ms;
  /** When the current IKE SA was established; 0 if not established. */
  uint64_t established_ms;
  /** IKE SAs negotiated and established for this instance. */
  uint32_t ike_created;
  /** IKE SAs that reached the established state. */
  uint32_t ike_established;
  /** Child SAs installed for this instance. */
  uint32_t child_created;
  /** Child SAs currently installed. */
  uint32_t child_count;
  /** IKE SA lifetime and time left until it expires (ms). */
  uint64_t lifetime_ms;
  /** Time left before the IKE SA expires. */
  uint64_t expires_in_ms;
  /** DPD interval (ms); 0 when disabled. */
  uint32_t dpd_interval_ms;
  /** IKE messages sent and received, and retransmissions. */
  uint64_t ike_messages_out;
  /** IKE messages received. */
  uint64_t ike_messages_in;
  /** IKE retransmissions. */
  uint64_t ike_retransmits;
  /** TCP: connections made or accepted for this instance. */
  uint32_t tcp_connections;
  /** TCP: frames received and bytes. */
  uint64_t tcp_frames_in;
  /** TCP: frames sent. */
  uint64_t tcp_frames_out;
  /** Packets dropped for this instance (all reasons). */
  uint64_t drops;
  /** Time left before the IKE SA starts its next rekey (ms); 0 when none
   *  is planned, for instance while a rekey is under way. */
  uint64_t rekey_in_ms;
  /** IKE SA rekeys completed for this instance, by either side. */
  uint64_t ike_rekeys;
  /** Child SA rekeys completed for this instance, by either side. */
  uint64_t child_rekeys;
  /** Simultaneous rekeys resolved by comparing nonces (RFC 7296 section
   *  2.8.1). */
  uint64_t rekey_collisions;
  /** CREATE_CHILD_SA requests refused, by either side. */
  uint64_t create_child_refused;
  /** Static tunnels on TCP: connection attempts that failed since the
   *  last connection that carried an IKE message. */
  uint32_t tcp_connect_failures;
  /** tcpsec_ike_id_type of the identity in \c peer_id; 0 before the peer
   *  authenticated. */
  uint8_t peer_id_type;
  /** Authentication method of the peer: TCPSEC_IKE_AUTH_PSK, or
   *  TCPSEC_IKE_AUTH_SIGNATURE for any certificate signature method (1, 9,
   *  10, 11 or 14; the IKE layer does not report which one its AUTH
   *  payload named). 0 before the peer authenticated. */
  uint8_t peer_auth_method;
  /** Reason of the last failed negotiation or deletion of an IKE SA of
   *  this instance (a negative TCPSEC_ERR_* code, for example
   *  TCPSEC_ERR_CERT_UNTRUSTED when the peer's certificate was rejected);
   *  0 when there was none. */
  int last_error;
} tcpsec_gw_ike_status;

/**
 * Status of one Child SA pair: the fields of FortiOS `diagnose vpn tunnel
 * list`. Set \c size to sizeof before the call.
 */
typedef struct tcpsec_gw_child_status {
  /** Size of this struct as the caller sees it. */
  size_t size;
  /** Inbound (decrypt) SPI. */
  uint32_t spi_in;
  /** Outbound (encrypt) SPI. */
  uint32_t spi_out;
  /** Negotiated ESP proposal in FortiOS spelling ("aes128gcm"). */
  char proposal[48];
  /** Local traffic selector (first one). */
  tcpsec_ike_traffic_selector local_ts;
  /** Remote traffic selector (first one). */
  tcpsec_ike_traffic_selector remote_ts;
  /** Replay window size in packets; 0 when off. */
  uint32_t replay_window;
  /** Last outbound sequence number. */
  uint64_t seq_out;
  /** Highest inbound sequence number accepted. */
  uint64_t seq_in;
  /** Packets and bytes decrypted (inbound). */
  uint64_t packets_in;
  /** Bytes decrypted (inner packets). */
  uint64_t bytes_in;
  /** Packets and bytes encrypted (outbound). */
  uint64_t packets_out;
  /** Bytes encrypted (inner packets). */
  uint64_t bytes_out;
  /** Inbound packets dropped (replay, ICV, padding, ...). */
  uint64_t errors_in;
  /** When the pair was installed (monotonic ms). */
  uint64_t created_ms;
  /** Lifetime (ms) and time left before the hard lifetime. */
  uint64_t lifetime_ms;
  /** Time left before the hard lifetime. */
  uint64_t expires_in_ms;
  /** Inner MTU: the largest inner packet that fits the encapsulation. */
  uint32_t mtu;
  /** Time left before the pair is rekeyed because of its age (ms); 0 when
   *  no rekey is planned or a newer pair replaced it. */
  uint64_t rekey_in_ms;
  /** Inbound SPI of the pair this one replaced in a rekey; 0 for a pair
   *  that replaced none. */
  uint32_t replaces_spi_in;
  /** Key exchange group of the exchange that created the pair (perfect
   *  forward secrecy); 0 for none. */
  uint16_t pfs_group;
  /** Non-zero when a rekey created a newer pair to replace this one; it
   *  stays until its Delete exchange is over. */
  uint8_t replaced;
} tcpsec_gw_child_status;

/**
 * Gateway-wide drop counters, read with tcpsec_gw_get_stats(). Fields are
 * only ever appended; set \c size before the call.
 */
typedef struct tcpsec_gw_stats {
  /** Size of this struct as the caller sees it. */
  size_t size;
  /** Packets given to tcpsec_gw_send_packet() that no tunnel's configured
   *  subnets cover (TCPSEC_ERR_NO_POLICY). */
  uint64_t drops_no_policy;
  /** Packets given to tcpsec_gw_send_packet() for a tunnel that has no
   *  Child SA for them yet, or whose TCP connection is being
   *  re-established (TCPSEC_ERR_TUNNEL_DOWN). */
  uint64_t drops_tunnel_down;
  /** Received packets and messages that belong to no tunnel: ESP with an
   *  unknown SPI, IKE messages of unknown IKE SAs, IKE_SA_INIT requests
   *  that no dial-up tunnel accepts, and UDP datagrams that are neither
   *  IKE nor ESP. */
  uint64_t drops_unknown;
} tcpsec_gw_stats;

/**
 * \brief Read the gateway-wide drop counters.
 * \param gw  Gateway.
 * \param out Counters with \c size set; only the fields it covers are
 *            written.
 * \return 0, or TCPSEC_ERR_INVALID_ARGUMENT for a NULL pointer or a size
 *         below that of the \c size field.
 */
TCPSEC_API int tcpsec_gw_get_stats(const tcpsec_gw *gw, tcpsec_gw_stats *out);

/**
 * \brief Number of tunnel instances (static tunnels count as one each).
 * \param gw Gateway.
 * \return The count; 0 for NULL.
 */
TCPSEC_API size_t tcpsec_gw_instance_count(const tcpsec_gw *gw);

/**
 * \brief Read the status of instance \p index (0 ... count - 1).
 * \param gw     Gateway.
 * \param index  Instance index; the order is stable between calls that do
 *               not add or remove instances.
 * \param now_ms Current monotonic time, for ages and time left.
 * \param out    Status with \c size set.
 * \return 0, TCPSEC_ERR_NOT_FOUND for an index past the end,
 *         TCPSEC_ERR_INVALID_ARGUMENT.
 */
TCPSEC_API int tcpsec_gw_get_ike_status(const tcpsec_gw *gw, size_t index,
                                        uint64_t now_ms,
                                        tcpsec_gw_ike_status *out);

/**
 * \brief Read the status of Child SA pair \p child of instance \p index.
 * \param gw     Gateway.
 * \param index  Instance index.
 * \param child  Child SA index (0 ... child_count - 1).
 * \param now_ms Current monotonic time.
 * \param out    Status with \c size set.
 * \return 0, TCPSEC_ERR_NOT_FOUND, TCPSEC_ERR_INVALID_ARGUMENT.
 */
TCPSEC_API int tcpsec_gw_get_child_status(const tcpsec_gw *gw, size_t index,
                                          size_t child, uint64_t now_ms,
                                          tcpsec_gw_child_status *out);

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_GW_H */
