/*
 * Configuration file of the example hub and spoke programs, in the FortiOS
 * CLI syntax:
 *
 *     config vpn ipsec phase1-interface
 *         edit "Hub"
 *             set type dynamic
 *             set proposal aes128-sha256 aes256gcm-prfsha384
 *         next
 *     end
 *
 * The parser turns the text into the plain structs below. It reads the
 * blocks `config system settings`, `config vpn ipsec phase1-interface`,
 * `config vpn ipsec phase2-interface`, `config user peer`, and four
 * tcpsec blocks for what FortiOS keeps elsewhere or in another form:
 * `config tcpsec system`, `config tcpsec tunnel`, and `config tcpsec
 * certificate local` and `config tcpsec certificate ca`, which name
 * certificate and key files where FortiOS holds the PEM text itself.
 * docs/configuration.md lists every keyword with its default and unit.
 * The parser reads no file besides the configuration: the programs read
 * the certificate and key files when they start.
 *
 * FortiOS keywords that tcpsec has no use for are accepted and reported as
 * notices. A wrong value for a keyword tcpsec uses is an error that names
 * the file, the line and the keyword.
 */
#ifndef EXAMPLE_CONFIG_H
#define EXAMPLE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Limits on the input and on the result. The parser rejects a file that
 * goes past one of them with TCPSEC_ERR_LIMIT. */
#define CONFIG_FILE_MAX (1024 * 1024)  /* bytes in one file */
#define CONFIG_LINE_MAX 8192           /* bytes in one statement */
#define CONFIG_TOKENS_MAX 64           /* words in one statement */
#define CONFIG_DEPTH_MAX 8             /* nested config blocks */
#define CONFIG_NAME_MAX 35             /* edit names (phase1, phase2) */
#define CONFIG_IFNAME_MAX 15           /* interface and TUN names */
#define CONFIG_PSK_MAX 128             /* pre-shared key bytes */
#define CONFIG_ID_MAX 63               /* localid, peerid */
#define CONFIG_PROPOSAL_TEXT_MAX 63    /* one proposal string */
#define CONFIG_PROPOSALS_MAX 16        /* proposals in one list */
#define CONFIG_DHGRP_MAX 8             /* key exchange groups in one list */
#define CONFIG_ROUTES_MAX 32           /* routes of one tunnel */
#define CONFIG_PATH_MAX 107            /* control socket path (sun_path) */
#define CONFIG_FILE_PATH_MAX 255       /* certificate and key file paths */
#define CONFIG_CERT_MAX 64             /* entries of each certificate table
                                          and of config user peer */
#define CONFIG_PHASE1_MAX 64
#define CONFIG_PHASE2_MAX 256
#define CONFIG_TUNNEL_MAX 64
#define CONFIG_NOTICES_MAX 64          /* notices kept; later ones counted */
#define CONFIG_MESSAGE_MAX 256         /* one error or notice, with NUL */

enum config_phase1_type {
  CONFIG_TYPE_STATIC = 0,  /* one peer at remote-gw; this side initiates */
  CONFIG_TYPE_DYNAMIC = 1  /* dial-up: any peer, one instance per peer */
};

enum config_peertype {
  CONFIG_PEERTYPE_ANY = 0, /* accept any peer identity */
  CONFIG_PEERTYPE_ONE = 1, /* the peer's identity must equal peerid */
  CONFIG_PEERTYPE_PEER = 2 /* the peer's certificate must lead to the CA of
                              the `config user peer` entry named by peer */
};

/* Authentication method of one side (FortiOS authmethod,
 * authmethod-remote). */
enum config_authmethod {
  CONFIG_AUTH_PSK = 0,       /* pre-shared key: psksecret */
  CONFIG_AUTH_SIGNATURE = 1, /* certificate and digital signature */
  CONFIG_AUTH_SAME = 2       /* authmethod-remote unset: as authmethod */
};

/* RSA padding of digital signatures (FortiOS rsa-signature-format). */
enum config_rsa_signature_format {
  CONFIG_RSA_PKCS1 = 0, /* RSASSA-PKCS1-v1_5 */
  CONFIG_RSA_PSS = 1    /* RSASSA-PSS */
};

enum config_transport {
  CONFIG_TRANSPORT_UDP = 0,  /* UDP 500, then 4500 after NAT detection */
  CONFIG_TRANSPORT_TCP = 1,  /* TCP to the IKE TCP port only */
  CONFIG_TRANSPORT_AUTO = 2  /* UDP first, TCP after the threshold */
};

enum config_dpd {
  CONFIG_DPD_DISABLE = 0,
  CONFIG_DPD_ON_IDLE = 1,   /* probe when nothing was received for a while */
  CONFIG_DPD_ON_DEMAND = 2  /* probe when traffic is sent but none arrives */
};

enum config_nat_traversal {
  CONFIG_NAT_TRAVERSAL_DISABLE = 0,
  CONFIG_NAT_TRAVERSAL_ENABLE = 1, /* UDP 4500 when a NAT is detected */
  CONFIG_NAT_TRAVERSAL_FORCED = 2  /* UDP 4500 even without a NAT */
};

/* Position of a Fortinet-style ESP segment's sequence number relative to
 * the sender's stream position. */
enum config_segment_sequence {
  CONFIG_SEGMENT_BEHIND = 0, /* position - 2^30: passes strict NAT tracking */
  CONFIG_SEGMENT_AHEAD = 1   /* half the space ahead: needs a liberal NAT */
};

/* Limits that end a Child SA (FortiOS phase 2 `keylife-type`). */
enum config_keylife_type {
  CONFIG_KEYLIFE_SECONDS = 0, /* keylifeseconds only */
  CONFIG_KEYLIFE_KBS = 1,     /* keylifekbs only */
  CONFIG_KEYLIFE_BOTH = 2     /* whichever is reached first */
};

/* Proposal strings as written ("aes128-sha256"); the library parses them. */
struct config_proposals {
  char text[CONFIG_PROPOSALS_MAX][CONFIG_PROPOSAL_TEXT_MAX + 1];
  size_t count;
};

/* Key exchange group numbers (IANA transform type 4). */
struct config_dhgrp {
  uint16_t group[CONFIG_DHGRP_MAX];
  size_t count;
};

/* `config system settings` */
struct config_system {
  int ike_tcp_service;    /* 1: listen for IKE and ESP over TCP */
  uint16_t ike_tcp_port;  /* TCP port, listened on and connected to */
  uint16_t ike_port;      /* UDP port of IKE */
  uint16_t ike_natt_port; /* UDP port of IKE and ESP after NAT detection */
};

/* `config tcpsec system` */
struct config_tcpsec_system {
  char control_socket[CONFIG_PATH_MAX + 1]; /* "" = program's default */
  int log_level;         /* tcpsec_log_level value */
  int segment_drop_rule; /* 1: firewall rule keeps ESP segments from TCP */
};

/* One `edit` entry of `config vpn ipsec phase1-interface`. */
struct config_phase1 {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line; /* line of the first `edit`, for messages */
  enum config_phase1_type type;
  char interface[CONFIG_IFNAME_MAX + 1]; /* informational only */
  int ip_version;          /* 4 or 6: family of local-gw and remote-gw */
  struct net_addr local_gw;  /* NET_FAMILY_NONE = any local address */
  struct net_addr remote_gw; /* required for type static */
  enum config_peertype peertype;
  struct config_proposals proposal;
  struct config_dhgrp dhgrp;
  enum config_transport transport;
  int fortinet_esp; /* 1: Fortinet-style segments, 0: RFC 9329 stream */
  char psk[CONFIG_PSK_MAX + 1]; /* secret: wiped by config_free() */
  size_t psk_len;
  uint32_t auto_transport_threshold_s;
  enum config_dpd dpd;
  uint32_t dpd_retry_interval_s;
  uint32_t dpd_retry_count;
  uint32_t keylife_s;
  int rekey; /* 1: rekey the IKE SA and Child SAs before they expire */
  char localid[CONFIG_ID_MAX + 1]; /* "" = the local address */
  char peerid[CONFIG_ID_MAX + 1];  /* "" = any */
  enum config_nat_traversal nat_traversal;
  uint32_t keepalive_s; /* NAT-T keepalive interval */
  enum config_authmethod authmethod;        /* PSK or SIGNATURE */
  enum config_authmethod authmethod_remote; /* SAME, PSK or SIGNATURE */
  char certificate[CONFIG_NAME_MAX + 1]; /* config tcpsec certificate local
                                            entry; "" = none */
  char peer[CONFIG_NAME_MAX + 1];        /* config user peer entry */
  enum config_rsa_signature_format rsa_signature_format;
};

/* One `edit` entry of `config vpn ipsec phase2-interface`. */
struct config_phase2 {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line;
  char phase1name[CONFIG_NAME_MAX + 1];
  struct config_proposals proposal;
  struct config_dhgrp dhgrp; /* empty = the phase 1 groups */
  int pfs;
  struct net_prefix src_subnet; /* local traffic selector */
  struct net_prefix dst_subnet; /* remote traffic selector */
  enum config_keylife_type keylife_type;
  uint32_t keylife_s;   /* Child SA lifetime in seconds */
  uint32_t keylife_kbs; /* Child SA lifetime in kilobytes (1024 bytes) */
  int replay;
};

/* One `edit` entry of `config tcpsec tunnel`, named after its phase 1. */
struct config_tunnel {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line;
  char tun_name[CONFIG_IFNAME_MAX + 1]; /* "" = the system picks */
  struct net_prefix tunnel_address; /* inner address on the TUN; may be unset */
  struct net_prefix routes[CONFIG_ROUTES_MAX];
  size_t route_count;
  uint32_t mtu;
  enum config_segment_sequence segment_sequence;
  uint32_t tcp_keepalive_s; /* 0 = off */
  /* Soft lifetimes: rekey this long after creation, or after this much
   * traffic; 0 = 90 % of the phase 1 keylife or the phase 2 keylife. */
  uint32_t ike_rekey_s;
  uint32_t child_rekey_s;
  uint32_t child_rekey_kbs;
  uint32_t rekey_jitter_percent; /* random part taken off soft lifetimes */
  uint32_t rekey_grace_s;        /* peer-replaced pairs kept at most this */
  uint32_t tcp_reconnect_max_s;  /* ceiling of the TCP reconnect backoff */
  int send_certreq; /* 1: CERTREQ payloads name the trust anchors */
};

/* One `edit` entry of `config tcpsec certificate local`: this side's
 * certificate chain (end-entity first) and its private key, as files. */
struct config_local_cert {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line;
  char certificate_file[CONFIG_FILE_PATH_MAX + 1];
  char private_key_file[CONFIG_FILE_PATH_MAX + 1];
};

/* One `edit` entry of `config tcpsec certificate ca`: a trusted CA
 * certificate file. */
struct config_ca_cert {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line;
  char ca_file[CONFIG_FILE_PATH_MAX + 1];
};

/* One `edit` entry of `config user peer`: the CA a peer's certificate must
 * lead to. */
struct config_user_peer {
  char name[CONFIG_NAME_MAX + 1];
  unsigned line;
  char ca[CONFIG_NAME_MAX + 1]; /* config tcpsec certificate ca entry */
};

/* Message about a line that was accepted but has no effect. */
struct config_notice {
  unsigned line;
  char text[CONFIG_MESSAGE_MAX]; /* "file:line: keyword: reason" */
};

/* Whole configuration. Fill with config_init(); release with config_free(),
 * which wipes the pre-shared keys. */
struct config {
  struct config_system system;
  struct config_tcpsec_system tcpsec;
  struct config_phase1 *phase1;
  size_t phase1_count;
  struct config_phase2 *phase2;
  size_t phase2_count;
  struct config_tunnel *tunnel;
  size_t tunnel_count;
  struct config_local_cert *local_cert;
  size_t local_cert_count;
  struct config_ca_cert *ca_cert;
  size_t ca_cert_count;
  struct config_user_peer *user_peer;
  size_t user_peer_count;
  struct config_notice *notices; /* first CONFIG_NOTICES_MAX notices */
  size_t notice_count;
  size_t notices_dropped; /* notices past CONFIG_NOTICES_MAX */
};

/* Error with its position: "tunnel.conf:12: set transport: expected udp,
 * tcp or auto, got 'tpc'". */
struct config_error {
  unsigned line; /* 0 when the error is not about one line */
  char text[CONFIG_MESSAGE_MAX];
};

/* Set every field to its empty state; no allocation. */
void config_init(struct config *cfg);

/* Release the lists and wipe the pre-shared keys; cfg is empty afterwards. */
void config_free(struct config *cfg);

/*
 * Parse configuration text into cfg, which must be freshly initialised.
 * `file_name` appears in messages only. The text need not be
 * NUL-terminated and may contain any bytes.
 *
 * Returns 0 on success, or on failure (with err filled and cfg left empty):
 * - TCPSEC_ERR_CONFIG: a syntax error or a wrong value; fix the line named.
 * - TCPSEC_ERR_LIMIT: the text exceeds one of the CONFIG_*_MAX limits.
 * - TCPSEC_ERR_NO_MEMORY: an allocation failed.
 * - TCPSEC_ERR_INVALID_ARGUMENT: a NULL pointer.
 */
int config_parse(const char *file_name, const char *text, size_t len,
                 struct config *cfg, struct config_error *err);

/*
 * Read a file of at most CONFIG_FILE_MAX bytes and parse it like
 * config_parse(). The read buffer is wiped before it is freed because it
 * contains the pre-shared keys.
 *
 * Additional return codes: TCPSEC_ERR_NOT_FOUND when the file does not
 * exist, TCPSEC_ERR_INVALID_STATE when it cannot be read (err contains the reason).
 */
int config_load_file(const char *path, struct config *cfg,
                     struct config_error *err);

/* Look up an entry by name; NULL when there is none. */
const struct config_phase1 *config_find_phase1(const struct config *cfg,
                                               const char *name);
const struct config_tunnel *config_find_tunnel(const struct config *cfg,
                                               const char *name);
const struct config_local_cert *
config_find_local_cert(const struct config *cfg, const char *name);
const struct config_ca_cert *config_find_ca_cert(const struct config *cfg,
                                                 const char *name);
const struct config_user_peer *
config_find_user_peer(const struct config *cfg, const char *name);

/*
 * Join a proposal list with single spaces, as the library's proposal
 * parser reads it. Returns the length, or -1 when it does not fit.
 */
int config_proposals_join(const struct config_proposals *list, char *buf,
                          size_t size);

/* Text of an enum value as written in the file ("auto", "on-demand"). */
const char *config_transport_name(enum config_transport transport);
const char *config_dpd_name(enum config_dpd dpd);
const char *config_authmethod_name(enum config_authmethod method);

#endif /* EXAMPLE_CONFIG_H */
