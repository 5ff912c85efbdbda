/**
 * \file tcpsec/ike.h
 * \brief IKEv2 security associations: IKE_SA_INIT, IKE_AUTH with pre-shared
 *        keys or certificates, the first Child SA and INFORMATIONAL
 *        exchanges (RFC 7296, RFC 7427).
 *
 * An IKE SA is a state machine without I/O. The caller feeds it every IKE
 * message received on the connection it runs on, together with the current
 * time, and calls tcpsec_ike_sa_handle_timeout() at the time
 * tcpsec_ike_sa_next_timeout() returns. The IKE SA hands back messages to
 * send, and reports its progress and every Child SA it negotiates, through
 * the callbacks in tcpsec_ike_callbacks.
 *
 * Messages cross the API as they start at the IKE header: the caller adds
 * and removes the transport framing (the four-zero non-ESP marker on UDP
 * port 4500, the RFC 9329 length field on TCP).
 *
 * The IKE layer does not depend on an SA database. It requests inbound SPIs
 * from the caller and reports each Child SA with its keys, algorithms, traffic
 * selectors and lifetimes, so a firewall can program its own data plane.
 * tcpsec_ike_child_sa_install() puts a reported Child SA into tcpsec's own
 * SA database instead.
 *
 * A responder first receives IKE_SA_INIT requests for which no IKE SA
 * exists. A tcpsec_ike_responder responds to them: with a COOKIE notify while
 * too many IKE SAs are half-open (RFC 7296 section 2.6), otherwise by
 * creating the responder IKE SA.
 *
 * \note No object here is thread-safe. Use one context per thread, or
 *       serialise all calls on the objects created from one context.
 */
#ifndef TCPSEC_IKE_H
#define TCPSEC_IKE_H

#include "tcpsec/algorithms.h"
#include "tcpsec/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parsed certificate chain, private key and trust anchors that many IKE SAs
 * share (tcpsec_ike_credentials_new()). Opaque; reference-counted.
 */
typedef struct tcpsec_ike_credentials tcpsec_ike_credentials;

/** Maximum length of an identity (ID payload data) in bytes. */
#define TCPSEC_IKE_MAX_ID_LEN 255
/** Maximum number of traffic selectors in one TSi or TSr list. */
#define TCPSEC_IKE_CONFIG_MAX_TS 16
/** Maximum number of IKE or ESP proposals in one configuration string. */
#define TCPSEC_IKE_CONFIG_MAX_PROPOSALS 16
/** Maximum number of key exchange groups in tcpsec_ike_config::dh_groups. */
#define TCPSEC_IKE_CONFIG_MAX_DH_GROUPS 8
/** Value of tcpsec_ike_sa_next_timeout() when no timer is running. */
#define TCPSEC_IKE_NO_TIMEOUT UINT64_MAX

/** Transport of the connection an IKE SA runs on. */
typedef enum tcpsec_ike_transport {
  /** UDP ports 500 and 4500: requests are retransmitted with backoff. */
  TCPSEC_IKE_TRANSPORT_UDP = 0,
  /** TCP encapsulation (RFC 9329 stream, or the Fortinet-style mode whose
   *  IKE messages travel in the same stream): requests are sent once per
   *  connection (RFC 9329 section 6.2). */
  TCPSEC_IKE_TRANSPORT_TCP = 1
} tcpsec_ike_transport;

/** Address family of a tcpsec_ike_endpoint or tcpsec_ike_traffic_selector. */
typedef enum tcpsec_ike_family {
  TCPSEC_IKE_FAMILY_NONE = 0,
  TCPSEC_IKE_FAMILY_IPV4 = 4,
  TCPSEC_IKE_FAMILY_IPV6 = 6
} tcpsec_ike_family;

/**
 * IP address and port of one end of the connection, as the local network
 * stack reports them. NAT detection hashes these values (RFC 7296
 * section 2.23), with the TCP ports on TCP (RFC 9329 section 6.5). This
 * struct's layout is frozen.
 */
typedef struct tcpsec_ike_endpoint {
  uint8_t family;   /**< tcpsec_ike_family */
  uint8_t reserved; /**< Zero. */
  uint16_t port;    /**< Host byte order. */
  uint8_t addr[16]; /**< Network byte order; IPv4 uses the first 4 bytes. */
} tcpsec_ike_endpoint;

/** Identification types (RFC 7296 section 3.5) that PSK peers use. */
typedef enum tcpsec_ike_id_type {
  /** Remote identity only: accept whatever identity the peer sends. */
  TCPSEC_IKE_ID_TYPE_ANY = 0,
  TCPSEC_IKE_ID_TYPE_IPV4_ADDR = 1,
  TCPSEC_IKE_ID_TYPE_FQDN = 2,
  TCPSEC_IKE_ID_TYPE_RFC822_ADDR = 3,
  TCPSEC_IKE_ID_TYPE_IPV6_ADDR = 5,
  TCPSEC_IKE_ID_TYPE_DER_ASN1_DN = 9,
  TCPSEC_IKE_ID_TYPE_KEY_ID = 11
} tcpsec_ike_id_type;

/** An identity: the ID payload's type and data. */
typedef struct tcpsec_ike_identity {
  uint8_t type;        /**< tcpsec_ike_id_type */
  const uint8_t *data; /**< ID data (an FQDN without terminator, 4 or 16
                            address bytes, ...); copied by the constructor. */
  size_t len;          /**< Length of \c data, at most TCPSEC_IKE_MAX_ID_LEN. */
} tcpsec_ike_identity;

/**
 * Authentication methods (AUTH payload, RFC 7296 section 3.8, and RFC
 * 7427). The signature methods need a certificate and its private key on
 * the signing end, and trust anchors on the verifying end.
 *
 * Between two ends that both send SIGNATURE_HASH_ALGORITHMS, RFC 7427
 * section 3 requires method 14, so a signing end uses method 14 then even
 * when 1, 9, 10 or 11 is configured. tcpsec sends that notify only when
 * method 14 is configured for either direction. An end configured for
 * method 14 whose peer did not announce a usable hash falls back to the
 * method of its key type (1, 9, 10 or 11).
 *
 * A verifying end that expects a signature method accepts every signature
 * method that fits the certificate's key: 1, 9, 10, 11 and 14.
 */
typedef enum tcpsec_ike_auth_method {
  /** RSA Digital Signature (method 1): RSASSA-PKCS1-v1_5 over SHA-1, as
   *  peers of this method (strongSwan, Libreswan) sign and verify it.
   *  Verification also accepts SHA2-256, SHA2-384 and SHA2-512.
   *  \note SHA-1 is weak: prefer TCPSEC_IKE_AUTH_SIGNATURE, which peers
   *  that announce SIGNATURE_HASH_ALGORITHMS use over SHA-2. */
  TCPSEC_IKE_AUTH_RSA = 1,
  /** Shared Key Message Integrity Code (method 2). */
  TCPSEC_IKE_AUTH_PSK = 2,
  /** ECDSA with SHA2-256 on P-256 (method 9, RFC 4754); the key must be a
   *  P-256 key. */
  TCPSEC_IKE_AUTH_ECDSA_P256 = 9,
  /** ECDSA with SHA2-384 on P-384 (method 10, RFC 4754). */
  TCPSEC_IKE_AUTH_ECDSA_P384 = 10,
  /** ECDSA with SHA2-512 on P-521 (method 11, RFC 4754). */
  TCPSEC_IKE_AUTH_ECDSA_P521 = 11,
  /** Digital Signature (method 14, RFC 7427): RSASSA-PSS or
   *  RSASSA-PKCS1-v1_5 (see tcpsec_ike_config::rsa_pss) with RSA keys of
   *  2048 to 8192 bits, ECDSA with P-256, P-384 and P-521 keys, over the
   *  strongest of SHA2-512, SHA2-384 and SHA2-256 that the peer announced.
   *  SHA-1 is never used or accepted with this method. */
  TCPSEC_IKE_AUTH_SIGNATURE = 14
} tcpsec_ike_auth_method;

/**
 * Traffic selector (RFC 7296 section 3.13.1): an address range, a port range
 * and an IP protocol. Port range 65535-0 is the OPAQUE selector of section
 * 3.13.1. This struct's layout is frozen.
 */
typedef struct tcpsec_ike_traffic_selector {
  uint8_t family;         /**< TCPSEC_IKE_FAMILY_IPV4 or _IPV6 */
  uint8_t ip_proto;       /**< IP protocol; 0 means any. */
  uint16_t start_port;    /**< Host byte order. */
  uint16_t end_port;      /**< Host byte order, inclusive. */
  uint8_t start_addr[16]; /**< Network byte order; IPv4 uses 4 bytes. */
  uint8_t end_addr[16];   /**< Inclusive. */
} tcpsec_ike_traffic_selector;

/**
 * IKE SA configuration: one peer relationship.
 *
 * Fill it with tcpsec_ike_config_default() and change what differs. The
 * leading \c size field versions the struct as for tcpsec_ctx_config. The
 * constructors copy everything, pointed-to data included, so the caller may
 * free it afterwards.
 */
typedef struct tcpsec_ike_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Local identity sent in IDi or IDr; required. */
  tcpsec_ike_identity local_id;
  /** Expected peer identity; type TCPSEC_IKE_ID_TYPE_ANY (the default) accepts
   *  any. The initiator also sends it as IDr when set. */
  tcpsec_ike_identity remote_id;
  /** Authentication method of the local end (tcpsec_ike_auth_method).
   *  Default TCPSEC_IKE_AUTH_PSK. */
  uint8_t auth_method;
  /** Pre-shared key, any length from 1 byte; required when either end
   *  authenticates with TCPSEC_IKE_AUTH_PSK, ignored otherwise. Wiped when
   *  the IKE SA is freed and never logged. */
  const uint8_t *psk;
  /** Length of \c psk in bytes. */
  size_t psk_len;
  /** IKE proposals in order of preference, space-separated, in the syntax
   *  of the proposal parser ("aes128-sha256 aes256gcm-prfsha384"). Default
   *  "aes128-sha256 aes256-sha256 aes128gcm-prfsha256 aes256gcm-prfsha384
   *  chacha20poly1305-prfsha256". */
  const char *ike_proposals;
  /** ESP proposals for Child SAs, same syntax without PRF ("aes128-sha256
   *  aes256gcm chacha20poly1305"). Default "aes128-sha256 aes256-sha256
   *  aes128gcm aes256gcm chacha20poly1305". */
  const char *esp_proposals;
  /** Key exchange groups (TCPSEC_KE_*) in order of preference, used for
   *  every IKE proposal whose string names no group. The initiator's KEi
   *  uses the first. Default {20, 21}. */
  uint16_t dh_groups[TCPSEC_IKE_CONFIG_MAX_DH_GROUPS];
  /** Number of entries used in \c dh_groups. */
  size_t dh_group_count;
  /** Local traffic selectors (TSi on the initiator, TSr on the responder). */
  const tcpsec_ike_traffic_selector *local_ts;
  /** Number of entries in \c local_ts, at most TCPSEC_IKE_CONFIG_MAX_TS;
   *  0 (the default) means the whole IPv4 space. */
  size_t local_ts_count;
  /** Remote traffic selectors (TSr on the initiator, TSi on the responder).
   *  A responder narrows the initiator's proposal to these (section 2.9). */
  const tcpsec_ike_traffic_selector *remote_ts;
  /** Number of entries in \c remote_ts, at most TCPSEC_IKE_CONFIG_MAX_TS;
   *  0 (the default) means the whole IPv4 space. */
  size_t remote_ts_count;
  /** IKE SA lifetime in milliseconds; when it ends the IKE SA is deleted.
   *  Default 86400000 (24 hours). 0 means unlimited. */
  uint64_t ike_lifetime_ms;
  /** Child SA hard lifetime in milliseconds, reported to the data plane;
   *  the soft lifetime reported is 90 % of it. When it ends the IKE SA sends
   *  a Delete for the Child SA. Default 43200000 (12 hours). 0 means
   *  unlimited. */
  uint64_t child_lifetime_ms;
  /** Child SA hard lifetime in bytes, reported to the data plane only.
   *  Default 0 (unlimited). */
  uint64_t child_lifetime_bytes;
  /** Liveness check interval: an empty INFORMATIONAL request is sent when no
   *  protected message arrived for this long. Default 30000; 0 disables. */
  uint32_t dpd_interval_ms;
  /** First retransmission timeout in milliseconds; doubles after every
   *  retransmission. Default 1000. */
  uint32_t retransmit_timeout_ms;
  /** Upper bound of one retransmission timeout. Default 32000. */
  uint32_t retransmit_max_timeout_ms;
  /** Retransmissions of one request before the peer is declared dead.
   *  Default 7, which gives up 127 s after the first transmission. On TCP
   *  no retransmission is sent but the same deadline applies. */
  uint32_t retransmit_limit;
  /** Time in milliseconds a responder keeps an IKE SA that sent its
   *  IKE_SA_INIT response but received no IKE_AUTH request. Default 30000. */
  uint32_t half_open_timeout_ms;
  /** 1 (default) to send and evaluate NAT_DETECTION_*_IP notifies. */
  uint8_t nat_traversal;
  /** 1 (default) to send INITIAL_CONTACT in the first IKE_AUTH request. */
  uint8_t initial_contact;
  /** Transport of the connection (default UDP). */
  uint8_t transport;
  /** Local end of the connection, for NAT detection and reporting. */
  tcpsec_ike_endpoint local;
  /** Remote end of the connection, for NAT detection and reporting. */
  tcpsec_ike_endpoint remote;
  /** 1 (default) to start rekeys when soft lifetimes run out (RFC 7296
   *  section 2.8). 0 lets SAs expire, and only the peer's rekeys get a
   *  response. */
  uint8_t rekey;
  /** Maximum random jitter, in percent of a soft lifetime, subtracted from
   *  it per SA so that many SAs created together do not rekey together.
   *  Default 10; at most 50. */
  uint8_t rekey_jitter_percent;
  /** Rekey the IKE SA this long after it was established; the jitter
   *  applies. Default 0: 90 % of ike_lifetime_ms. Must be below
   *  ike_lifetime_ms when both are set. */
  uint64_t ike_rekey_ms;
  /** Soft lifetime of a Child SA in milliseconds: rekey this long after
   *  it was created; the jitter applies. Default 0: 90 % of
   *  child_lifetime_ms. Must be below child_lifetime_ms when both are
   *  set. */
  uint64_t child_rekey_ms;
  /** Soft lifetime of a Child SA in bytes, reported to the data plane,
   *  which calls tcpsec_ike_sa_rekey_child() when it is reached. Default 0:
   *  90 % of child_lifetime_bytes. */
  uint64_t child_rekey_bytes;
  /** Hard lifetime of a Child SA in packets, reported to the data plane.
   *  Default 0 (unlimited). */
  uint64_t child_lifetime_packets;
  /** Soft lifetime in packets, as child_rekey_bytes. Default 0: 90 % of
   *  child_lifetime_packets. */
  uint64_t child_rekey_packets;
  /** Time in milliseconds the pair replaced by a rekey the peer initiated
   *  keeps accepting packets when the peer never deletes it. Default 30000.
   */
  uint32_t rekey_grace_ms;
  /** Key exchange groups (TCPSEC_KE_*) for perfect forward secrecy in
   *  CREATE_CHILD_SA, used for every ESP proposal whose string names no
   *  group. None (the default) means no PFS. KEi uses the IKE SA's group
   *  when it is one of them, else the first. */
  uint16_t pfs_groups[TCPSEC_IKE_CONFIG_MAX_DH_GROUPS];
  /** Number of entries used in \c pfs_groups. */
  size_t pfs_group_count;
  /** Local certificate chain, the end-entity certificate first and then
   *  the intermediate CA certificates, each sent in a CERT payload (X.509
   *  Certificate - Signature). PEM with one or more certificates, or DER
   *  certificates placed one after another. Required with a signature
   *  \c auth_method. */
  const uint8_t *cert_chain;
  /** Length of \c cert_chain in bytes. */
  size_t cert_chain_len;
  /** Private key of the end-entity certificate: PKCS#8, SEC1 (EC) or
   *  PKCS#1 (RSA), PEM or DER, unencrypted; RSA of 2048 to 8192 bits or
   *  ECDSA on P-256, P-384 or P-521. Required with a signature
   *  \c auth_method. Copied, wiped when the IKE SA is freed, never logged. */
  const uint8_t *private_key;
  /** Length of \c private_key in bytes. */
  size_t private_key_len;
  /** Trust anchors: the CA certificates that the peer's certificate chain
   *  must lead to, in the formats of \c cert_chain. Required when the peer
   *  authenticates with a signature method. */
  const uint8_t *trust_anchors;
  /** Length of \c trust_anchors in bytes. */
  size_t trust_anchors_len;
  /** Authentication method expected from the peer (tcpsec_ike_auth_method);
   *  0 (the default) means the same as \c auth_method. One end may use a
   *  PSK while the other signs. Any signature value accepts every signature
   *  method that fits the peer's key. */
  uint8_t remote_auth_method;
  /** 1 (default) to send a CERTREQ payload with the SHA-1 hashes of the
   *  trust anchors' public keys (RFC 7296 section 3.7): in the IKE_SA_INIT
   *  response of a responder and the IKE_AUTH request of an initiator.
   *  Only when the peer authenticates with a signature method. */
  uint8_t send_certreq;
  /** RSA padding of method 14: 1 (default) for RSASSA-PSS with MGF1 and a
   *  salt of the hash length, 0 for RSASSA-PKCS1-v1_5. Verification accepts
   *  both. */
  uint8_t rsa_pss;
  /**
   * Optional revocation check, called while the peer's certificate chain
   * is validated, for every certificate of the path except the trust
   * anchor, with the certificate's serial number (the content octets of
   * the DER INTEGER) and its issuer Name (DER). Return 1 when the
   * certificate is revoked (authentication then fails with
   * TCPSEC_ERR_CERT_UNTRUSTED), 0 when it is not, and a negative value
   * when the status cannot be decided (authentication fails with
   * TCPSEC_ERR_CALLBACK). NULL (the default) checks nothing. Runs inside
   * tcpsec_ike_sa_input(), so it must not block.
   */
  int (*cert_revoked)(void *user, const uint8_t *serial, size_t serial_len,
                      const uint8_t *issuer, size_t issuer_len);
  /** Passed to \c cert_revoked. */
  void *cert_revoked_user;
  /** Credentials parsed once by tcpsec_ike_credentials_new(), used in
   *  place of \c cert_chain, \c private_key and \c trust_anchors, which
   *  must then be empty. Each IKE SA keeps a reference, so creating one
   *  costs no parse and no key check; a hub should set this. The caller
   *  keeps its own reference while configurations name the object. NULL
   *  (the default) parses the three fields for every IKE SA. */
  tcpsec_ike_credentials *credentials;
} tcpsec_ike_config;

/**
 * A negotiated Child SA pair, as the Child SA callbacks report it.
 *
 * Pointers are valid only during the callback; the IKE SA wipes the keys
 * right after it returns. Fields are only ever appended, and \c size is the
 * size of the struct the library filled.
 */
typedef struct tcpsec_ike_child_sa {
  /** Size of this struct as the library filled it. */
  size_t size;
  /** SPI of the inbound ESP SA (chosen locally). */
  uint32_t spi_in;
  /** SPI of the outbound ESP SA (chosen by the peer). */
  uint32_t spi_out;
  /** Encryption algorithm (TCPSEC_ENCR_*). */
  uint16_t encr;
  /** Encryption key length in bits, salt excluded. */
  uint16_t encr_key_bits;
  /** Integrity algorithm (TCPSEC_INTEG_*); NONE for AEAD ciphers. */
  uint16_t integ;
  /** 1 when extended sequence numbers were negotiated. */
  uint8_t esn;
  /** 1 when the local end initiated the exchange that created the pair. */
  uint8_t initiator;
  /** 1 when a NAT was detected and the connection is UDP: ESP must be
   *  UDP-encapsulated on port 4500 (RFC 3948). */
  uint8_t udp_encap;
  /** Transport of the IKE SA's connection (tcpsec_ike_transport). */
  uint8_t transport;
  /** Inbound encryption key; for AEAD ciphers key || 4-byte salt. */
  const uint8_t *encr_key_in;
  /** Outbound encryption key, same layout. */
  const uint8_t *encr_key_out;
  /** Length of each encryption key in bytes, salt included. */
  size_t encr_key_len;
  /** Inbound integrity key; NULL for AEAD ciphers. */
  const uint8_t *integ_key_in;
  /** Outbound integrity key; NULL for AEAD ciphers. */
  const uint8_t *integ_key_out;
  /** Length of each integrity key in bytes (0 for AEAD). */
  size_t integ_key_len;
  /** Negotiated local traffic selectors. */
  const tcpsec_ike_traffic_selector *local_ts;
  /** Number of entries in \c local_ts. */
  size_t local_ts_count;
  /** Negotiated remote traffic selectors. */
  const tcpsec_ike_traffic_selector *remote_ts;
  /** Number of entries in \c remote_ts. */
  size_t remote_ts_count;
  /** Soft lifetime in milliseconds from \c created_ms; 0 means none. */
  uint64_t soft_lifetime_ms;
  /** Hard lifetime in milliseconds from \c created_ms; 0 means none. */
  uint64_t hard_lifetime_ms;
  /** Hard lifetime in bytes; 0 means none. */
  uint64_t hard_lifetime_bytes;
  /** Time the pair was negotiated (the now_ms of that call). */
  uint64_t created_ms;
  /** Local end of the IKE SA's connection (outer source address). */
  tcpsec_ike_endpoint local;
  /** Remote end of the IKE SA's connection (outer destination address). */
  tcpsec_ike_endpoint remote;
  /** Inbound SPI of the pair this one replaces (a rekey, RFC 7296 section
   *  2.8), or 0 for a new pair. Install the new pair next to the old one,
   *  which keeps accepting inbound packets until child_sa_deleted reports
   *  it. Send on the new pair at once unless \c outbound_deferred is set.
   *  tcpsec_ike_child_sa_install() does all of this. */
  uint32_t replaces_spi_in;
  /** Key exchange group of the exchange (perfect forward secrecy), or 0. */
  uint16_t pfs_group;
  /** Soft lifetime in bytes: call tcpsec_ike_sa_rekey_child() when the
   *  pair has carried this much; 0 means none. */
  uint64_t soft_lifetime_bytes;
  /** Soft lifetime in packets, as \c soft_lifetime_bytes; 0 means none. */
  uint64_t soft_lifetime_packets;
  /** Hard lifetime in packets; 0 means none. */
  uint64_t hard_lifetime_packets;
  /** 1 when outbound traffic must not use this pair yet. Either the peer
   *  started the rekey, so keep sending on the pair named by
   *  \c replaces_spi_in until a packet authenticates on this pair's inbound
   *  SA or that pair is deleted (section 2.8). Or a simultaneous rekey made
   *  this pair redundant, and it is about to be deleted (section 2.8.1). */
  uint8_t outbound_deferred;
} tcpsec_ike_child_sa;

/** Handle of one IKE SA. */
typedef struct tcpsec_ike_sa tcpsec_ike_sa;

/** Flags of tcpsec_ike_callbacks::send. */
typedef enum tcpsec_ike_send_flags {
  /** UDP only: a NAT was detected, so this message and all later ones go
   *  between port 4500 ends with the non-ESP marker (RFC 7296 section
   *  2.23). */
  TCPSEC_IKE_SEND_NAT_T = 1,
  /** The message is a retransmission of an earlier one. */
  TCPSEC_IKE_SEND_RETRANSMIT = 2
} tcpsec_ike_send_flags;

/**
 * The keys protecting an IKE SA's messages, as Wireshark's IKEv2 decryption
 * table wants them. Reported only to an \c ike_keys callback that the caller
 * set, for debugging. Pointers are valid only during the callback.
 */
typedef struct tcpsec_ike_keys {
  /** Size of this struct as the library filled it. */
  size_t size;
  /** Initiator's SPI. */
  uint8_t spi_i[8];
  /** Responder's SPI. */
  uint8_t spi_r[8];
  /** Encryption algorithm (TCPSEC_ENCR_*). */
  uint16_t encr;
  /** Encryption key length in bits, salt excluded. */
  uint16_t encr_key_bits;
  /** Integrity algorithm (TCPSEC_INTEG_*); NONE for AEAD ciphers. */
  uint16_t integ;
  /** SK_ei: for AEAD ciphers key || 4-byte salt. */
  const uint8_t *sk_ei;
  /** SK_er, same layout. */
  const uint8_t *sk_er;
  /** Length of SK_ei and SK_er. */
  size_t sk_e_len;
  /** SK_ai; NULL for AEAD ciphers. */
  const uint8_t *sk_ai;
  /** SK_ar; NULL for AEAD ciphers. */
  const uint8_t *sk_ar;
  /** Length of SK_ai and SK_ar (0 for AEAD). */
  size_t sk_a_len;
} tcpsec_ike_keys;

/**
 * Callbacks of an IKE SA. Fill with tcpsec_ike_callbacks_default(); every
 * callback may be NULL except \c send. Callbacks run inside the API call that
 * caused them. Inside a callback only the read-only functions
 * (tcpsec_ike_sa_state(), tcpsec_ike_sa_get_info(), tcpsec_ike_sa_spis(),
 * tcpsec_ike_sa_get_stats(), tcpsec_ike_sa_next_timeout()) may be called on
 * the IKE SA; other calls return TCPSEC_ERR_INVALID_STATE, and the IKE SA must
 * not be freed.
 */
typedef struct tcpsec_ike_callbacks {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /**
   * Send one IKE message (from the IKE header on) on the connection.
   * \p sa is NULL for the stateless replies of a tcpsec_ike_responder.
   * \p flags is a combination of tcpsec_ike_send_flags. A non-zero return
   * counts as a lost message: retransmission recovers on UDP.
   */
  int (*send)(void *user, tcpsec_ike_sa *sa, const uint8_t *msg, size_t len,
              unsigned flags);
  /** IKE_AUTH completed: the peer is authenticated. */
  void (*ike_sa_established)(void *user, tcpsec_ike_sa *sa);
  /** The IKE SA failed before it was established. \p reason is a negative
   *  TCPSEC_ERR_* code (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD,
   *  AUTHENTICATION_FAILED, PEER_DEAD, TIMEOUT for a half-open responder,
   *  ...), or 0 after tcpsec_ike_sa_delete(). When this end rejected the
   *  peer's certificate or signature, \p reason names the cause:
   *  CERT_EXPIRED, CERT_UNTRUSTED (revoked certificates included),
   *  ID_MISMATCH, UNSUPPORTED_KEY_TYPE, SIGNATURE_INVALID, NOT_SUPPORTED (a
   *  signature algorithm outside the list of TCPSEC_IKE_AUTH_SIGNATURE) or
   *  CALLBACK (from \c cert_revoked). The peer was sent
   *  AUTHENTICATION_FAILED. */
  void (*ike_sa_failed)(void *user, tcpsec_ike_sa *sa, int reason);
  /** An established IKE SA was deleted, with its Child SAs (each reported
   *  first through \c child_sa_deleted). \p reason is 0 after
   *  tcpsec_ike_sa_delete(), TCPSEC_ERR_IKE_SA_DELETED when the peer deleted
   *  it, TCPSEC_ERR_PEER_DEAD, TCPSEC_ERR_SA_EXPIRED,
   *  TCPSEC_ERR_INVALID_SYNTAX, or TCPSEC_ERR_AUTHENTICATION_FAILED when the
   *  peer rejected our IKE_AUTH response afterwards. */
  void (*ike_sa_deleted)(void *user, tcpsec_ike_sa *sa, int reason);
  /** A Child SA pair was negotiated. A responder reports it before its
   *  IKE_AUTH response leaves, so inbound ESP can be accepted at once. */
  void (*child_sa_installed)(void *user, tcpsec_ike_sa *sa,
                             const tcpsec_ike_child_sa *child);
  /** A Child SA pair was deleted. \p reason is 0 for a local request,
   *  TCPSEC_ERR_IKE_SA_DELETED when the peer deleted it or its IKE SA went
   *  away, TCPSEC_ERR_SA_EXPIRED at the end of its lifetime. */
  void (*child_sa_deleted)(void *user, tcpsec_ike_sa *sa, uint32_t spi_in,
                           uint32_t spi_out, int reason);
  /** Choose the inbound SPI of a new Child SA (unique among the caller's
   *  inbound SAs, at least 256). Return 0 on success. NULL means a random
   *  SPI from the context's random source. */
  int (*alloc_spi)(void *user, tcpsec_ike_sa *sa, uint32_t *spi);
  /** Passed to every callback. */
  void *user;
  /**
   * Receives SK_ei, SK_er, SK_ai and SK_ar right after they are derived,
   * for decrypting captures while debugging. NULL (the default) disables
   * it.
   * \warning Whoever stores these keys can decrypt every message of the
   *          IKE SA, Child SA keys included. Never enable it in production.
   */
  void (*ike_keys)(void *user, tcpsec_ike_sa *sa, const tcpsec_ike_keys *keys);
  /** The IKE SA was rekeyed (RFC 7296 section 2.8): the handle stays, but
   *  it now has new SPIs (read them with tcpsec_ike_sa_spis()) and keys,
   *  and its Child SAs moved to it. Messages with the old SPIs still belong
   *  to this handle until the old IKE SA's Delete exchange is over; route
   *  both to it. After a simultaneous rekey (RFC 7296 section 2.8.2) it is
   *  called a second time, naming the redundant new IKE SA, whose Delete
   *  exchange also runs in this handle. */
  void (*ike_sa_rekeyed)(void *user, tcpsec_ike_sa *sa,
                         const uint8_t old_spi_i[8],
                         const uint8_t old_spi_r[8]);
  /**
   * Current wall-clock time in seconds since 1970-01-01 00:00:00 UTC. The
   * library reads no clock, and certificate validity periods need the
   * calendar time, so this is called once per certificate validation in
   * IKE_AUTH. A time outside any certificate's validity period (an unset
   * clock, for example) makes validation fail with TCPSEC_ERR_CERT_EXPIRED.
   * Required when the peer authenticates with a signature method: without
   * it tcpsec_ike_sa_initiate() and tcpsec_ike_responder_input() fail with
   * TCPSEC_ERR_CONFIG. Otherwise it is never called and may be NULL.
   */
  uint64_t (*wall_clock)(void *user, tcpsec_ike_sa *sa);
} tcpsec_ike_callbacks;

/** Life cycle of an IKE SA. */
typedef enum tcpsec_ike_state {
  /** Initiator created, tcpsec_ike_sa_initiate() not called yet. */
  TCPSEC_IKE_SA_IDLE = 0,
  /** Initiator waits for the IKE_SA_INIT response. */
  TCPSEC_IKE_SA_INIT_SENT = 1,
  /** Responder sent its IKE_SA_INIT response and waits for IKE_AUTH. */
  TCPSEC_IKE_SA_HALF_OPEN = 2,
  /** Initiator waits for the IKE_AUTH response. */
  TCPSEC_IKE_SA_AUTH_SENT = 3,
  /** Both ends are authenticated. */
  TCPSEC_IKE_SA_ESTABLISHED = 4,
  /** A Delete for the IKE SA was sent; waiting for the response. */
  TCPSEC_IKE_SA_DELETING = 5,
  /** Deleted after it was established. It still sends its cached response
   *  to a retransmitted request. Free it when convenient. */
  TCPSEC_IKE_SA_DELETED = 6,
  /** Failed before it was established. Free it. */
  TCPSEC_IKE_SA_FAILED = 7
} tcpsec_ike_state;

/** State and negotiated parameters of an IKE SA, for status displays. */
typedef struct tcpsec_ike_sa_info {
  /** Size of this struct as the caller sees it; the caller sets it. */
  size_t size;
  /** tcpsec_ike_state */
  int state;
  /** 1 when the local end is the original initiator. */
  uint8_t initiator;
  /** 1 when the local end is behind a NAT: the peer's
   *  NAT_DETECTION_DESTINATION_IP hash does not match our local endpoint. */
  uint8_t nat_local;
  /** 1 when the peer is behind a NAT: none of its NAT_DETECTION_SOURCE_IP
   *  hashes matches the configured remote endpoint. */
  uint8_t nat_remote;
  /** 1 when the peer sent INITIAL_CONTACT: the caller may delete other IKE
   *  SAs with the same remote identity. */
  uint8_t peer_initial_contact;
  /** IKE SA initiator SPI. */
  uint8_t spi_i[8];
  /** IKE SA responder SPI; zero until known. */
  uint8_t spi_r[8];
  /** Negotiated IKE algorithms; 0 until IKE_SA_INIT completed. */
  uint16_t encr;
  /** Encryption key length in bits. */
  uint16_t encr_key_bits;
  /** TCPSEC_PRF_* */
  uint16_t prf;
  /** TCPSEC_INTEG_*; NONE with AEAD ciphers. */
  uint16_t integ;
  /** TCPSEC_KE_* */
  uint16_t ke_group;
  /** tcpsec_ike_transport */
  uint8_t transport;
  /** Local end of the connection. */
  tcpsec_ike_endpoint local;
  /** Remote end of the connection. */
  tcpsec_ike_endpoint remote;
  /** Time IKE_AUTH completed; 0 before. */
  uint64_t established_ms;
  /** Number of Child SA pairs. */
  uint32_t child_sa_count;
  /** Peer identity type (tcpsec_ike_id_type); 0 until authenticated. */
  uint8_t remote_id_type;
  /** Peer identity data; valid until the IKE SA is freed. */
  const uint8_t *remote_id;
  /** Length of \c remote_id. */
  size_t remote_id_len;
  /** Time at which the IKE SA starts its next rekey; 0 when none is
   *  planned. */
  uint64_t rekey_at_ms;
  /** Time at which the IKE SA is deleted unless rekeyed; 0 for none. */
  uint64_t expires_at_ms;
} tcpsec_ike_sa_info;

/** Counters of an IKE SA. Dropped messages are counted here, and their
 *  log lines are rate limited. */
typedef struct tcpsec_ike_sa_stats {
  /** Size of this struct as the caller sees it; the caller sets it. */
  size_t size;
  /** Messages received and processed. */
  uint64_t messages_in;
  /** Messages sent, retransmissions included. */
  uint64_t messages_out;
  /** Requests retransmitted after a timeout or a new connection. */
  uint64_t retransmits;
  /** Retransmitted requests that got the cached response again. */
  uint64_t duplicate_requests;
  /** Messages dropped because they could not be parsed. */
  uint64_t dropped_malformed;
  /** Messages dropped because their integrity check failed. */
  uint64_t dropped_integrity;
  /** Messages dropped because of their message ID, SPIs or flags. */
  uint64_t dropped_unexpected;
  /** Child SA rekeys completed, by either side. */
  uint64_t child_rekeys;
  /** IKE SA rekeys completed, by either side. */
  uint64_t ike_rekeys;
  /** Simultaneous rekeys resolved by the nonce comparison of RFC 7296
   *  section 2.8.1 (each counted once, whichever side won). */
  uint64_t rekey_collisions;
  /** CREATE_CHILD_SA requests refused (TEMPORARY_FAILURE,
   *  CHILD_SA_NOT_FOUND, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, ...). */
  uint64_t create_child_refused;
} tcpsec_ike_sa_stats;

/**
 * \brief Fill an IKE SA configuration with the defaults documented on each
 *        field and set its size field.
 * \param cfg Configuration; NULL does nothing.
 */
TCPSEC_API void tcpsec_ike_config_default(tcpsec_ike_config *cfg);

/**
 * \brief Clear a callbacks struct and set its size field.
 * \param cb Callbacks; NULL does nothing.
 */
TCPSEC_API void tcpsec_ike_callbacks_default(tcpsec_ike_callbacks *cb);

/**
 * \brief Parse a certificate chain, its private key and trust anchors once,
 *        for IKE SAs to share through tcpsec_ike_config.credentials.
 *
 * Reads \c cert_chain, \c private_key and \c trust_anchors of \p cfg. Of
 * the other fields only \c local_id is read: a warning is logged when the
 * end-entity certificate does not contain it. The chain and the key
 * come together: trust anchors alone, a chain and key alone, or all three
 * are accepted. The key is checked against the certificate with a test
 * signature. The object keeps no pointer into the caller's buffers.
 *
 * \param ctx Library context; must outlive the object and every IKE SA
 *            that uses it.
 * \param cfg Configuration whose certificate fields are read.
 * \param out Receives the object with one reference, the caller's.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL or the size
 *         field is 0 or announces unknown non-zero fields.
 * \return TCPSEC_ERR_CONFIG if all three fields are empty, a chain comes
 *         without its key or the reverse, a field cannot be parsed, or the
 *         key does not belong to the certificate. The log names the value.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_credentials_new(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                           tcpsec_ike_credentials **out);

/**
 * \brief Release the caller's reference. The private key is wiped and the
 *        object freed when the last IKE SA that uses it is freed as well.
 * \param cred Credentials; NULL does nothing.
 */
TCPSEC_API void tcpsec_ike_credentials_free(tcpsec_ike_credentials *cred);

/**
 * \brief Create an IKE SA that will initiate towards the configured peer.
 * \param ctx Library context; must outlive the IKE SA.
 * \param cfg Configuration; copied.
 * \param cb  Callbacks; copied. \c send must be set.
 * \param out Receives the IKE SA in state TCPSEC_IKE_SA_IDLE.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL, a size field
 *         is 0 or announces unknown non-zero fields, or \c send is NULL.
 * \return TCPSEC_ERR_CONFIG if a configuration value is invalid (missing
 *         local identity or PSK, empty or too many traffic selectors, more
 *         than TCPSEC_IKE_CONFIG_MAX_DH_GROUPS groups, an unknown
 *         authentication method, a certificate, key or trust anchor that
 *         is missing or cannot be parsed, a private key that does not
 *         belong to the certificate or does not fit the method, shared
 *         \c credentials together with certificate bytes, or shared
 *         credentials without the parts the methods need). The log names
 *         the value.
 * \return TCPSEC_ERR_INVALID_ARGUMENT also if \c credentials belongs to
 *         another context.
 * \return TCPSEC_ERR_INVALID_PROPOSAL or TCPSEC_ERR_UNKNOWN_ALGORITHM if a
 *         proposal string or a group is not understood; fix the string.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 * \return TCPSEC_ERR_RANDOM if no SPI could be drawn.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_sa_new_initiator(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                            const tcpsec_ike_callbacks *cb,
                            tcpsec_ike_sa **out);

/**
 * \brief Start the IKE_SA_INIT exchange: the request leaves through the
 *        send callback.
 * \param sa     Initiator IKE SA in state TCPSEC_IKE_SA_IDLE.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not an idle initiator,
 *         or the call comes from inside a callback.
 * \return TCPSEC_ERR_RANDOM, TCPSEC_ERR_NO_MEMORY or a crypto error if the
 *         key pair or nonce could not be made; the IKE SA is then FAILED.
 * \return TCPSEC_ERR_CONFIG if the peer authenticates with a signature
 *         method and the \c wall_clock callback is NULL; the IKE SA is then
 *         FAILED.
 */
TCPSEC_API int tcpsec_ike_sa_initiate(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Process one IKE message received for this IKE SA.
 *
 * The message starts at the IKE header. Invalid input never changes the
 * state of the IKE SA, except where RFC 7296 makes the error fatal (an
 * authenticated IKE_AUTH failure, INVALID_SYNTAX after authentication).
 * A failed or deleted IKE SA still sends its cached response to a
 * retransmission of the last request it processed, and drops the rest.
 *
 * \param sa     The IKE SA whose SPI the message carries.
 * \param data   Message bytes.
 * \param len    Length of \p data.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 when the message was processed (even if it made the IKE SA
 *         fail: read tcpsec_ike_sa_state()).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa or \p data is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA was never started, the
 *         message does not fit its state (a request after it failed or was
 *         deleted, an exchange it does not expect), or the call comes from
 *         inside a callback.
 * \return TCPSEC_ERR_TRUNCATED or TCPSEC_ERR_MALFORMED if the message
 *         could not be parsed; it was dropped and counted.
 * \return TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD if an unprotected
 *         message carries an unknown critical payload; dropped.
 * \return TCPSEC_ERR_INVALID_SYNTAX if a protected message was malformed
 *         inside SK. A request got the response RFC 7296 requires.
 * \return TCPSEC_ERR_NO_PROPOSAL_CHOSEN if an IKE_SA_INIT response chose a
 *         proposal that was not offered; dropped.
 * \return TCPSEC_ERR_INVALID_IKE_SPI if the SPIs are not this IKE SA's.
 * \return TCPSEC_ERR_INVALID_MESSAGE_ID if the message ID is outside the
 *         window, or a response matches no outstanding request; dropped.
 * \return TCPSEC_ERR_ICV_MISMATCH if the integrity check failed; dropped.
 * \return TCPSEC_ERR_INVALID_MAJOR_VERSION if the major version is not 2.
 * The caller needs to do nothing about these errors; they are counted in
 * tcpsec_ike_sa_get_stats().
 */
TCPSEC_API int tcpsec_ike_sa_input(tcpsec_ike_sa *sa, const uint8_t *data,
                                   size_t len, uint64_t now_ms);

/**
 * \brief Time at which tcpsec_ike_sa_handle_timeout() must be called.
 * \param sa IKE SA; NULL gives TCPSEC_IKE_NO_TIMEOUT.
 * \return Monotonic milliseconds, or TCPSEC_IKE_NO_TIMEOUT if no timer runs.
 */
TCPSEC_API uint64_t tcpsec_ike_sa_next_timeout(const tcpsec_ike_sa *sa);

/**
 * \brief Run the timers that expired at \p now_ms: retransmissions, the
 *        dead-peer deadline, liveness checks, the half-open and lifetime
 *        limits.
 * \param sa     IKE SA.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (also when a timer failed or deleted the IKE SA).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if called from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_handle_timeout(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Tell the IKE SA that it now runs on a new connection.
 *
 * The outstanding request, if any, is sent again at once on the new
 * connection, as RFC 9329 section 6.2 requires for TCP, and the wait for
 * its response starts over. The new endpoints are used for reporting; NAT
 * detection is not repeated.
 *
 * \param sa        IKE SA.
 * \param transport tcpsec_ike_transport of the new connection.
 * \param local     New local end, or NULL to keep the old one.
 * \param remote    New remote end, or NULL to keep the old one.
 * \param now_ms    Current monotonic time in milliseconds.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL or \p transport is
 *         unknown.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA failed or was deleted, or
 *         the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_connection_changed(
    tcpsec_ike_sa *sa, int transport, const tcpsec_ike_endpoint *local,
    const tcpsec_ike_endpoint *remote, uint64_t now_ms);

/**
 * \brief Tell the IKE SA that an authenticated ESP packet of one of its
 *        Child SAs arrived, which proves the peer alive (RFC 7296 section
 *        2.4) and postpones the next liveness check.
 * \param sa     IKE SA; NULL does nothing.
 * \param now_ms Current monotonic time in milliseconds.
 */
TCPSEC_API void tcpsec_ike_sa_peer_alive(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Check that the peer is alive now: queue an empty INFORMATIONAL
 *        request (RFC 7296 section 2.4), sent when the window is free. After
 *        a new TCP connection this also shows a responder which connection
 *        the IKE SA now uses (RFC 9329 section 6.1).
 * \param sa     Established IKE SA.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (nothing is queued while another request is
 *         outstanding: its response proves liveness as well).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not established, or
 *         the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_check_liveness(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Delete the IKE SA and its Child SAs: a Delete request is sent, and
 *        ike_sa_deleted is called when the response arrives or the peer
 *        stays silent past the retransmission budget. Before establishment
 *        the IKE SA fails at once with reason 0, without a message.
 * \param sa     IKE SA.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is already deleting,
 *         deleted or failed, or the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_delete(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Delete one Child SA pair: a Delete request naming its inbound SPI
 *        is sent, and child_sa_deleted is called when the response arrives.
 * \param sa     Established IKE SA.
 * \param spi_in Inbound SPI of the pair.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (the request may wait behind an outstanding one).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_CHILD_SA_NOT_FOUND if no pair has this inbound SPI.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not established, or
 *         the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_delete_child(tcpsec_ike_sa *sa, uint32_t spi_in,
                                          uint64_t now_ms);

/**
 * \brief Rekey the IKE SA now (RFC 7296 section 1.3.2) with a
 *        CREATE_CHILD_SA request carrying a new SPI, nonce and key
 *        exchange. When it completes, the handle continues with new SPIs
 *        and keys and its Child SAs, and the old IKE SA is deleted.
 *
 * Rekeys also start by themselves at the soft lifetime (\c ike_rekey_ms).
 * A simultaneous rekey by the peer is resolved as section 2.8.2 says.
 *
 * \param sa     Established IKE SA.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (the request may wait behind an outstanding one).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not established, is
 *         rekeying already, or the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_rekey(tcpsec_ike_sa *sa, uint64_t now_ms);

/**
 * \brief Rekey one Child SA pair now (RFC 7296 section 1.3.3): a
 *        CREATE_CHILD_SA request with REKEY_SA, the same traffic selectors
 *        and, with \c pfs_groups, a new key exchange. The new pair is
 *        reported with child_sa_installed and \c replaces_spi_in; the old
 *        one is deleted afterwards.
 *
 * Call it when the data plane reports the soft byte or packet lifetime
 * of a pair; the soft time lifetime starts rekeys by itself.
 *
 * \param sa     Established IKE SA.
 * \param spi_in Inbound SPI of the pair.
 * \param now_ms Current monotonic time in milliseconds.
 * \return 0 on success (also when the pair is being rekeyed already).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 * \return TCPSEC_ERR_CHILD_SA_NOT_FOUND if no live pair has this inbound
 *         SPI (it may have been replaced or deleted).
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not established, or
 *         the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_rekey_child(tcpsec_ike_sa *sa, uint32_t spi_in,
                                         uint64_t now_ms);

/**
 * \brief Negotiate an additional Child SA pair (RFC 7296 section 1.3.1)
 *        for the given traffic selectors, which must lie inside the
 *        configured ones. It is reported through child_sa_installed.
 * \param sa           Established IKE SA.
 * \param local_ts     Local traffic selectors (TSi).
 * \param local_count  Number of entries, 1 to TCPSEC_IKE_CONFIG_MAX_TS.
 * \param remote_ts    Remote traffic selectors (TSr).
 * \param remote_count Number of entries, 1 to TCPSEC_IKE_CONFIG_MAX_TS.
 * \param now_ms       Current monotonic time in milliseconds.
 * \return 0 on success (the request may wait behind outstanding ones).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or a count is
 *         out of range.
 * \return TCPSEC_ERR_TS_UNACCEPTABLE if a selector is invalid or outside
 *         the configured selectors.
 * \return TCPSEC_ERR_LIMIT if too many requests are queued already, or
 *         the IKE SA has 64 Child SA pairs. That is the maximum from either
 *         side: a peer asking for more gets NO_ADDITIONAL_SAS.
 * \return TCPSEC_ERR_INVALID_STATE if the IKE SA is not established, or
 *         the call comes from inside a callback.
 */
TCPSEC_API int tcpsec_ike_sa_create_child(
    tcpsec_ike_sa *sa, const tcpsec_ike_traffic_selector *local_ts,
    size_t local_count, const tcpsec_ike_traffic_selector *remote_ts,
    size_t remote_count, uint64_t now_ms);

/**
 * \brief Free an IKE SA without sending anything, wiping its keys. Child SAs
 *        are not reported as deleted.
 * \param sa IKE SA, or NULL. Must not be called from inside its callbacks.
 */
TCPSEC_API void tcpsec_ike_sa_free(tcpsec_ike_sa *sa);

/**
 * \brief Current state (tcpsec_ike_state) of an IKE SA.
 * \param sa IKE SA.
 * \return The state, or TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 */
TCPSEC_API int tcpsec_ike_sa_state(const tcpsec_ike_sa *sa);

/**
 * \brief Copy the IKE SPIs.
 * \param sa   IKE SA.
 * \param spi_i Receives the initiator SPI (8 bytes); may be NULL.
 * \param spi_r Receives the responder SPI, zero until known; may be NULL.
 * \return 0, or TCPSEC_ERR_INVALID_ARGUMENT if \p sa is NULL.
 */
TCPSEC_API int tcpsec_ike_sa_spis(const tcpsec_ike_sa *sa, uint8_t spi_i[8],
                                  uint8_t spi_r[8]);

/**
 * \brief Describe the IKE SA.
 * \param sa   IKE SA.
 * \param info Filled up to \c info->size, which the caller sets.
 * \return 0, or TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL or
 *         \c info->size is smaller than the \c size field.
 */
TCPSEC_API int tcpsec_ike_sa_get_info(const tcpsec_ike_sa *sa,
                                      tcpsec_ike_sa_info *info);

/**
 * \brief Copy the IKE SA's counters.
 * \param sa    IKE SA.
 * \param stats Filled up to \c stats->size, which the caller sets.
 * \return 0, or TCPSEC_ERR_INVALID_ARGUMENT if an argument is NULL or
 *         \c stats->size is smaller than the \c size field.
 */
TCPSEC_API int tcpsec_ike_sa_get_stats(const tcpsec_ike_sa *sa,
                                       tcpsec_ike_sa_stats *stats);

/** Fixed header fields of an IKE message, for dispatching it. */
typedef struct tcpsec_ike_message_header {
  uint8_t spi_i[8];     /**< IKE SA initiator SPI. */
  uint8_t spi_r[8];     /**< IKE SA responder SPI. */
  uint8_t next_payload; /**< Type of the first payload. */
  uint8_t version;      /**< Major version in the high 4 bits. */
  uint8_t exchange;     /**< Exchange type: 34 IKE_SA_INIT, 35 IKE_AUTH,
                             36 CREATE_CHILD_SA, 37 INFORMATIONAL. */
  uint8_t flags;        /**< 0x08 Initiator, 0x10 Version, 0x20 Response. */
  uint32_t message_id;  /**< Message ID. */
  uint32_t length;      /**< Length field: the whole message. */
} tcpsec_ike_message_header;

/**
 * \brief Read the fixed IKE header so the caller can find the IKE SA a
 *        message belongs to (by the SPI it chose: spi_i if the Initiator
 *        flag is clear, spi_r if it is set).
 * \param data Message from the IKE header on.
 * \param len  Length of \p data.
 * \param out  Receives the header fields.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p data or \p out is NULL.
 * \return TCPSEC_ERR_TRUNCATED if \p len is below 28 or below the length
 *         field.
 * \return TCPSEC_ERR_MALFORMED if the length field is below 28 or differs
 *         from \p len.
 * \return TCPSEC_ERR_INVALID_MAJOR_VERSION if the major version is not 2.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_message_peek(const uint8_t *data, size_t len,
                        tcpsec_ike_message_header *out);

/* ---- installing into tcpsec's SA database ----------------------------- */

struct tcpsec_sad;

/**
 * \brief Install a Child SA reported by child_sa_installed into a tcpsec SA
 *        database (tcpsec/sa.h): an inbound and an outbound ESP SA with the
 *        reported keys, lifetimes and traffic selectors.
 *
 * May be called from inside the child_sa_installed callback, since it does
 * not touch the IKE SA. The keys are copied, so the report may be wiped
 * afterwards. Remove the pair with tcpsec_sad_remove() and its inbound SPI
 * when child_sa_deleted reports it.
 *
 * \param ctx    Context for the ESP SAs.
 * \param sad    Database.
 * \param child  The reported Child SA.
 * \param user   Stored with the pair, returned by tcpsec_sad_select().
 * \param now_ms Current monotonic time; the ESP lifetimes start here.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c child->size
 *         is too small or a selector list is too long.
 * \return The errors of tcpsec_esp_sa_new() and tcpsec_sad_install()
 *         (TCPSEC_ERR_EXISTS when the inbound SPI is installed already,
 *         TCPSEC_ERR_NO_MEMORY, ...); nothing was installed.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_child_sa_install(tcpsec_ctx *ctx, struct tcpsec_sad *sad,
                            const tcpsec_ike_child_sa *child, void *user,
                            uint64_t now_ms);

/* ---- responder dispatch ----------------------------------------------- */

/** Handle of the stateless IKE_SA_INIT dispatcher of a responder. */
typedef struct tcpsec_ike_responder tcpsec_ike_responder;

/** Configuration of a tcpsec_ike_responder. */
typedef struct tcpsec_ike_responder_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Half-open IKE SAs (IKE_SA_INIT response sent, no IKE_AUTH yet) at
   *  or above which new requests must return a COOKIE first. Default 16;
   *  0 requires a cookie always. */
  uint32_t cookie_threshold;
  /** Time in milliseconds one cookie secret is used before a new one is
   *  drawn. Cookies made with the previous secret stay valid for one more
   *  period. Default 300000 (5 minutes). */
  uint32_t cookie_secret_lifetime_ms;
} tcpsec_ike_responder_config;

/**
 * \brief Fill a responder configuration with the defaults and set its size.
 * \param cfg Configuration; NULL does nothing.
 */
TCPSEC_API void
tcpsec_ike_responder_config_default(tcpsec_ike_responder_config *cfg);

/**
 * \brief Create a responder dispatcher with a fresh cookie secret.
 * \param ctx Library context; must outlive the responder.
 * \param cfg Configuration; NULL means the defaults.
 * \param out Receives the responder.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p ctx or \p out is NULL or the
 *         size field is invalid.
 * \return TCPSEC_ERR_NO_MEMORY if the allocation failed.
 * \return TCPSEC_ERR_RANDOM if no cookie secret could be drawn.
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_responder_new(tcpsec_ctx *ctx,
                         const tcpsec_ike_responder_config *cfg,
                         tcpsec_ike_responder **out);

/**
 * \brief Free a responder and wipe its cookie secrets.
 * \param resp Responder, or NULL. Free every IKE SA it created first (they
 *             keep a pointer to it for the half-open count).
 */
TCPSEC_API void tcpsec_ike_responder_free(tcpsec_ike_responder *resp);

/**
 * \brief Handle an IKE_SA_INIT request that belongs to no IKE SA yet.
 *
 * The request's responder SPI must be zero. A retransmission of a request
 * that already created an IKE SA must go to that IKE SA instead (the caller
 * finds it by initiator SPI and peer address), which sends the response from
 * its response cache.
 *
 * \param resp   Responder.
 * \param cfg    Configuration of the IKE SA to create, with the endpoints
 *               and transport of the connection the request arrived on.
 * \param cb     Callbacks of the IKE SA; \c send also carries stateless
 *               replies, with a NULL IKE SA.
 * \param data   The request from the IKE header on.
 * \param len    Length of \p data.
 * \param now_ms Current monotonic time in milliseconds.
 * \param out    Receives the new IKE SA in state TCPSEC_IKE_SA_HALF_OPEN,
 *               or NULL when none was created.
 * \return 0 when an IKE SA was created and its response sent.
 * \return TCPSEC_ERR_COOKIE_REQUIRED when a COOKIE reply was sent instead.
 * \return TCPSEC_ERR_NO_PROPOSAL_CHOSEN or TCPSEC_ERR_INVALID_KE_PAYLOAD
 *         when the matching error notify was sent and no state kept.
 * \return TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD when the request had an
 *         unknown critical payload; that notify was sent.
 * \return TCPSEC_ERR_TRUNCATED, TCPSEC_ERR_MALFORMED,
 *         TCPSEC_ERR_INVALID_SYNTAX (SA, KE or Nonce payload missing),
 *         TCPSEC_ERR_INVALID_MAJOR_VERSION or a key exchange error
 *         (TCPSEC_ERR_INVALID_PUBLIC_KEY, ...) when the request was dropped
 *         without a reply.
 * \return TCPSEC_ERR_INVALID_IKE_SPI when the message is not a first
 *         IKE_SA_INIT request (another exchange, the Response flag, a
 *         non-zero responder SPI or message ID): route it to its IKE SA.
 * \return TCPSEC_ERR_INVALID_ARGUMENT, TCPSEC_ERR_CONFIG,
 *         TCPSEC_ERR_INVALID_PROPOSAL, TCPSEC_ERR_NO_MEMORY,
 *         TCPSEC_ERR_RANDOM as for tcpsec_ike_sa_new_initiator().
 */
TCPSEC_API TCPSEC_NODISCARD int
tcpsec_ike_responder_input(tcpsec_ike_responder *resp,
                           const tcpsec_ike_config *cfg,
                           const tcpsec_ike_callbacks *cb, const uint8_t *data,
                           size_t len, uint64_t now_ms, tcpsec_ike_sa **out);

/**
 * \brief Number of IKE SAs created by this responder that are half-open.
 * \param resp Responder.
 * \return The count; 0 for NULL.
 */
TCPSEC_API uint32_t
tcpsec_ike_responder_half_open(const tcpsec_ike_responder *resp);

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_IKE_H */
