/*
 * Internal view of an IKE SA: its state, keys, message ID windows, timers
 * and Child SAs, and the functions the exchange files share.
 *
 * The work is split like strongSwan's tasks, one file per exchange with a
 * build and a process step for each side:
 *   ike_sa.c            life cycle, configuration copy, getters
 *   ike_sa_input.c      tcpsec_ike_sa_input(): header checks, windows,
 *                       response cache, decryption, dispatch
 *   ike_sa_timer.c      next_timeout/handle_timeout, retransmission, DPD
 *   ike_sa_keys.c       SKEYSEED, SK_* and KEYMAT (RFC 7296 2.14, 2.17)
 *   exchange.c          sending requests and responses, the request queue
 *   exchange_init.c     IKE_SA_INIT, both sides
 *   exchange_auth.c     IKE_AUTH with the first Child SA, both sides
 *   exchange_info.c     INFORMATIONAL: liveness, Delete, error notifies
 *   auth_psk.c          AUTH payload for pre-shared keys (RFC 7296 2.15)
 *   proposal_select.c   SA payloads from proposal strings, and selection
 *   ts.c                traffic selector narrowing (RFC 7296 2.9)
 *   cookie.c            the stateless responder and its cookies (2.6)
 *   child_install.c     a reported Child SA into tcpsec's SA database
 *
 * Every .c file of the IKE state machine includes this header first.
 */
#ifndef TCPSEC_IKE_IKE_SA_H
#define TCPSEC_IKE_IKE_SA_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/ike.h"

#include "ike/auth_sig.h"
#include "ike/message.h"

#include "core/buf.h"
#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"

#define IKE_LOG "ike"

/* Nonce length we send: at least 16 bytes and half the largest PRF key
 * (RFC 7296 section 2.10); 32 covers HMAC-SHA2-512. */
#define IKE_NONCE_LEN 32
/* Largest PRF output (HMAC-SHA2-512). */
#define IKE_PRF_MAX 64
/* Largest IKE message we build or accept; IKE messages for PSK stay far
 * below, and RFC 9329 frames cannot exceed 65535 bytes. */
#define IKE_MESSAGE_MAX 65535
/* IKE_SA_INIT retries after COOKIE or INVALID_KE_PAYLOAD before giving up. */
#define IKE_INIT_RETRY_MAX 4
/* Extra byte lengths: an ESP child key of AES-256 with salt, and HMAC. */
#define IKE_CHILD_KEY_MAX 36
#define IKE_CHILD_INTEG_MAX 64

/* What an outstanding request of ours is for. */
typedef enum ike_request_kind {
  IKE_REQ_NONE = 0,
  IKE_REQ_INIT,         /* IKE_SA_INIT */
  IKE_REQ_AUTH,         /* IKE_AUTH with the first Child SA */
  IKE_REQ_DPD,          /* empty INFORMATIONAL (liveness check) */
  IKE_REQ_DELETE_CHILD, /* INFORMATIONAL with Delete for one ESP SPI */
  IKE_REQ_DELETE_IKE,   /* INFORMATIONAL with Delete for the IKE SA */
  IKE_REQ_NOTIFY_ERROR, /* INFORMATIONAL with an error notify, one shot */
  IKE_REQ_CREATE_CHILD, /* CREATE_CHILD_SA for an additional Child SA */
  IKE_REQ_REKEY_CHILD,  /* CREATE_CHILD_SA with REKEY_SA */
  IKE_REQ_REKEY_IKE     /* CREATE_CHILD_SA rekeying the IKE SA */
} ike_request_kind;

/* The one request we may have outstanding (window size 1, section 2.3). */
typedef struct ike_request {
  ike_request_kind kind;
  uint8_t exchange;
  uint32_t message_id;
  uint32_t child_spi_in; /* IKE_REQ_DELETE_CHILD */
  tcpsec_buf bytes;      /* exactly what was sent, for retransmission */
  uint64_t next_send_ms; /* UDP: next retransmission */
  uint64_t deadline_ms;  /* the peer is dead when no response by then */
  uint32_t retransmits;
} ike_request;

/* The last response we sent and its request, so that a retransmitted
 * request gets the same bytes again (section 2.1). */
typedef struct ike_response_cache {
  int valid;
  uint32_t message_id;
  tcpsec_buf request;
  tcpsec_buf response;
} ike_response_cache;

/* One Child SA pair. Keys are not kept: they are reported and wiped. */
typedef struct ike_child {
  uint32_t spi_in;
  uint32_t spi_out;
  uint16_t encr;
  uint16_t encr_key_bits;
  uint16_t integ;
  uint8_t esn;
  uint8_t initiator;
  uint8_t installed;     /* reported through child_sa_installed */
  uint8_t delete_queued; /* a Delete request waits for the window */
  uint8_t deleting;      /* our Delete request is outstanding */
  uint8_t rekey_queued;  /* a rekey request waits for the window */
  uint8_t rekeying;      /* our rekey request is outstanding */
  uint8_t replaced;      /* a rekey replaced it; it only receives now */
  uint8_t peer_rekeyed;  /* the peer rekeyed it while ours was outstanding */
  uint16_t pfs_group;
  int delete_reason;
  uint64_t created_ms;
  uint64_t expires_ms; /* 0: no time limit */
  uint64_t rekey_ms;   /* soft lifetime with jitter; 0: none */
  uint64_t grace_ms;   /* replaced: removed then if the peer never deletes */
  uint32_t peer_new_spi_in; /* the pair the peer's simultaneous rekey made */
  tcpsec_ike_traffic_selector local_ts[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector remote_ts[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t local_ts_count;
  size_t remote_ts_count;
} ike_child;

/* Deep copy of tcpsec_ike_config with the proposal strings parsed. */
typedef struct ike_config {
  tcpsec_ike_config pub; /* pointers below replace the caller's */
  uint8_t local_id[TCPSEC_IKE_MAX_ID_LEN];
  uint8_t remote_id[TCPSEC_IKE_MAX_ID_LEN];
  uint8_t *psk;
  tcpsec_proposal_spec ike[TCPSEC_IKE_CONFIG_MAX_PROPOSALS];
  size_t ike_count;
  tcpsec_proposal_spec esp[TCPSEC_IKE_CONFIG_MAX_PROPOSALS];
  size_t esp_count;
  tcpsec_ike_traffic_selector local_ts[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector remote_ts[TCPSEC_IKE_CONFIG_MAX_TS];
  ike_auth_cfg auth; /* certificates and keys (auth_sig.h) */
} ike_config;

/* The IKE suite chosen in IKE_SA_INIT. */
typedef struct ike_suite {
  uint16_t encr;
  uint16_t key_bits;
  uint16_t prf;
  uint16_t integ;
  uint16_t ke;
} ike_suite;

/* The ESP suite chosen for a Child SA. */
typedef struct ike_esp_suite {
  uint16_t encr;
  uint16_t key_bits;
  uint16_t integ;
  uint16_t ke; /* PFS group of CREATE_CHILD_SA; 0 for none */
  uint8_t esn;
  uint32_t peer_spi;
} ike_esp_suite;

/* What a Child SA is made from: the suite, our inbound SPI, the nonces and
 * optional g^ir of its exchange (section 2.17), and the selectors. */
typedef struct ike_child_spec {
  const ike_esp_suite *suite;
  uint32_t spi_in;
  uint8_t initiator; /* we initiated the exchange that creates it */
  const uint8_t *ni;
  size_t ni_len;
  const uint8_t *nr;
  size_t nr_len;
  const uint8_t *gir; /* PFS shared secret, or NULL */
  size_t gir_len;
  uint16_t pfs_group;
  uint32_t replaces_spi_in;
  uint8_t outbound_deferred;
  const tcpsec_ike_traffic_selector *local_ts;
  size_t local_count;
  const tcpsec_ike_traffic_selector *remote_ts;
  size_t remote_count;
} ike_child_spec;

/* A Child SA proposal chosen from a request, or accepted from a response,
 * with its narrowed selectors. */
typedef struct ike_child_offer {
  ike_esp_suite suite;
  int index;      /* responder: index of the chosen proposal */
  uint8_t number; /* responder: its proposal number */
  tcpsec_ike_traffic_selector tsi[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector tsr[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t count_i;
  size_t count_r;
} ike_child_offer;

/* Our outstanding CREATE_CHILD_SA request: what its response needs. */
typedef struct ike_create {
  ike_request_kind kind; /* IKE_REQ_NONE when none */
  uint32_t spi_in;       /* new inbound ESP SPI (Child SA kinds) */
  uint32_t rekey_spi_in; /* IKE_REQ_REKEY_CHILD: the pair being rekeyed */
  uint8_t new_spi[TCPSEC_IKE_SPI_LEN]; /* IKE_REQ_REKEY_IKE: our new SPI */
  tcpsec_ke *ke;                       /* NULL without a key exchange */
  uint16_t ke_group;
  uint8_t nonce[IKE_NONCE_LEN];
  tcpsec_ike_traffic_selector tsi[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector tsr[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t count_i;
  size_t count_r;
  /* The peer rekeyed the same Child SA meanwhile (section 2.8.1): the
   * smaller nonce of its exchange; length 0 when it did not. */
  uint8_t peer_min_nonce[TCPSEC_IKE_NONCE_MAX_LEN];
  size_t peer_min_nonce_len;
} ike_create;

/* An additional Child SA waiting for the window. */
typedef struct ike_create_queued {
  tcpsec_ike_traffic_selector tsi[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_ike_traffic_selector tsr[TCPSEC_IKE_CONFIG_MAX_TS];
  size_t count_i;
  size_t count_r;
} ike_create_queued;

#define IKE_CREATE_QUEUE_MAX 8
/* Child SA pairs one IKE SA may have, rekeys aside: a peer asking for more
 * gets NO_ADDITIONAL_SAS, so it cannot make the IKE SA grow without end. */
#define IKE_CHILD_SA_MAX 64

/* The per-generation state of an IKE SA: what an IKE SA rekey replaces
 * (section 2.18). The current generation lives in tcpsec_ike_sa's own
 * fields; an old generation waits here for its Delete exchange. */
typedef struct ike_gen {
  int used;
  uint8_t initiator;
  uint8_t spi_i[TCPSEC_IKE_SPI_LEN];
  uint8_t spi_r[TCPSEC_IKE_SPI_LEN];
  tcpsec_ike_sk_cipher *sk_in;
  tcpsec_ike_sk_cipher *sk_out;
  uint32_t next_request_id;
  uint32_t next_peer_id;
  ike_request req;
  ike_response_cache cache;
  uint8_t delete_queued; /* we delete it: a Delete request waits */
  uint8_t done;          /* its Delete exchange is over */
  uint64_t drop_ms;      /* forgotten at this time */
  ike_suite suite;
  size_t prf_len;
  uint8_t sk_d[IKE_PRF_MAX];
} ike_gen;

#define IKE_GEN_MAX 3

struct tcpsec_ike_sa {
  tcpsec_ctx *ctx;
  ike_config cfg;
  tcpsec_ike_callbacks cb;
  tcpsec_ike_responder *responder; /* counts us while half-open */
  int state;
  uint8_t initiator;
  uint8_t spi_i[TCPSEC_IKE_SPI_LEN];
  uint8_t spi_r[TCPSEC_IKE_SPI_LEN];

  /* IKE_SA_INIT */
  tcpsec_ke *ke;
  ike_suite suite;
  uint8_t ni[TCPSEC_IKE_NONCE_MAX_LEN];
  size_t ni_len;
  uint8_t nr[TCPSEC_IKE_NONCE_MAX_LEN];
  size_t nr_len;
  uint8_t cookie[TCPSEC_IKE_COOKIE_MAX_LEN];
  size_t cookie_len;
  unsigned init_retries;
  tcpsec_buf init_request;  /* RealMessage1 (section 2.15) */
  tcpsec_buf init_response; /* RealMessage2 */
  uint8_t nat_local;
  uint8_t nat_remote;

  /* keys (section 2.14); SK_e and SK_a live only in the ciphers */
  size_t prf_len;
  uint8_t sk_d[IKE_PRF_MAX];
  uint8_t sk_pi[IKE_PRF_MAX];
  uint8_t sk_pr[IKE_PRF_MAX];
  tcpsec_ike_sk_cipher *sk_in;  /* protects what the peer sends */
  tcpsec_ike_sk_cipher *sk_out; /* protects what we send */
  tcpsec_ike_frag_reasm *reasm; /* SKF from the peer, made on first use */

  /* IKE_AUTH */
  ike_auth_state auth;     /* signature authentication (auth_sig.h) */
  uint32_t auth_child_spi; /* inbound SPI offered in IKE_AUTH */
  uint8_t peer_initial_contact;
  uint8_t remote_id_type;
  uint8_t remote_id[TCPSEC_IKE_MAX_ID_LEN];
  size_t remote_id_len;

  /* message IDs (sections 2.2 and 2.3, window size 1) */
  uint32_t next_request_id; /* ours */
  uint32_t next_peer_id;    /* the peer's next request */
  ike_request req;
  ike_response_cache cache;
  uint8_t dpd_queued;
  uint8_t delete_ike_queued;
  int delete_ike_reason;
  uint8_t notify_error_queued;
  uint16_t notify_error_type;

  /* Child SAs */
  ike_child *children;
  size_t child_count;
  size_t child_cap;

  /* timers, in the caller's monotonic milliseconds */
  uint64_t created_ms;
  uint64_t established_ms;
  uint64_t last_peer_ms; /* last protected message or ESP from the peer */
  uint64_t half_open_deadline_ms;
  uint64_t expires_ms;

  /* CREATE_CHILD_SA (sections 1.3 and 2.8) */
  ike_create create; /* our outstanding request's state */
  ike_create_queued create_queue[IKE_CREATE_QUEUE_MAX];
  size_t create_queue_count;
  uint8_t ike_rekey_queued;
  uint64_t ike_rekey_ms;    /* soft lifetime of the IKE SA, with jitter */
  uint64_t create_retry_ms; /* after TEMPORARY_FAILURE: queue again then */
  ike_gen gens[IKE_GEN_MAX]; /* old generations being deleted */
  ike_gen *in_gen;           /* the old generation a message is for */
  /* The IKE SA the peer's rekey created while ours was outstanding
   * (section 2.8.2), with the smaller nonce of that exchange. */
  ike_gen peer_gen;
  uint8_t peer_gen_nonce[TCPSEC_IKE_NONCE_MAX_LEN];
  size_t peer_gen_nonce_len;

  tcpsec_ike_sa_stats stats;
  int in_callback;
};

/* ---- ike_sa.c ---------------------------------------------------------- */

/* Copy a caller's struct with a leading size field over `out`, which
 * contains the defaults. Only the caller's bytes are copied, and unknown
 * trailing bytes must be zero. */
int tcpsec_ike_load_versioned(const void *in, size_t in_size, void *out,
                              size_t out_size);

/* Allocate an IKE SA from a configuration (validated and copied). */
int tcpsec_ike_sa_create(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                         const tcpsec_ike_callbacks *cb, int initiator,
                         tcpsec_ike_sa **out);
/* Copy a caller's configuration of any known size into `out`, with the
 * defaults for fields it does not have. TCPSEC_ERR_INVALID_ARGUMENT for a
 * size field smaller than size_t or unknown non-zero fields. */
int tcpsec_ike_config_copy(const tcpsec_ike_config *in,
                           tcpsec_ike_config *out);
/* Check and copy the caller's configuration into cfg. */
int tcpsec_ike_config_load(tcpsec_ctx *ctx, const tcpsec_ike_config *in,
                           ike_config *cfg);
void tcpsec_ike_config_clear(tcpsec_ctx *ctx, ike_config *cfg);
/* Leave the half-open count of the responder that created the IKE SA. */
void tcpsec_ike_sa_leave_half_open(tcpsec_ike_sa *sa);

/* Terminal transitions; both report through the callbacks and release key
 * material that is no longer needed. */
void tcpsec_ike_sa_fail(tcpsec_ike_sa *sa, int reason);
void tcpsec_ike_sa_set_deleted(tcpsec_ike_sa *sa, int reason);
void tcpsec_ike_sa_set_established(tcpsec_ike_sa *sa, uint64_t now_ms);
/* Release IKE_SA_INIT material (DH key pair, stored messages, SK_pi/pr). */
void tcpsec_ike_sa_drop_init_material(tcpsec_ike_sa *sa);

/* Callback wrappers: they mark the IKE SA as inside a callback. */
int tcpsec_ike_cb_send(tcpsec_ike_sa *sa, const uint8_t *msg, size_t len,
                       unsigned flags);
void tcpsec_ike_cb_child_installed(tcpsec_ike_sa *sa,
                                   const tcpsec_ike_child_sa *child);
void tcpsec_ike_cb_child_deleted(tcpsec_ike_sa *sa, const ike_child *child,
                                 int reason);
int tcpsec_ike_cb_alloc_spi(tcpsec_ike_sa *sa, uint32_t *spi);

/* Child SA list. */
ike_child *tcpsec_ike_child_add(tcpsec_ike_sa *sa);
ike_child *tcpsec_ike_child_by_in(tcpsec_ike_sa *sa, uint32_t spi_in);
ike_child *tcpsec_ike_child_by_out(tcpsec_ike_sa *sa, uint32_t spi_out);
/* Report (if installed) and remove one pair. */
void tcpsec_ike_child_remove(tcpsec_ike_sa *sa, ike_child *child, int reason);
/* Report and remove every pair. */
void tcpsec_ike_child_remove_all(tcpsec_ike_sa *sa, int reason);

/* Per-message drops are counted; only the 1st, 2nd, 4th, 8th, ... of each
 * counter is logged, so junk cannot flood the log. */
static inline int tcpsec_ike_log_drop(uint64_t count) {
  return (count & (count - 1)) == 0;
}

/* Text forms for logs. */
void tcpsec_ike_endpoint_format(const tcpsec_ike_endpoint *ep, char *buf,
                                size_t len);
void tcpsec_ike_spi_format(const uint8_t spi[8], char *buf, size_t len);

/* ---- ike_sa_input.c ---------------------------------------------------- */

/* Log one message at debug level: direction, exchange, message ID, payload
 * summary and peer. */
void tcpsec_ike_log_message(tcpsec_ike_sa *sa, const char *direction,
                            const tcpsec_ike_msg *msg);
/* The same before an IKE SA exists, with the peer and transport of cfg. */
void tcpsec_ike_log_peer_message(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                                 const char *direction,
                                 const tcpsec_ike_msg *msg);

/* ---- ike_sa_keys.c ----------------------------------------------------- */

/* Compute g^ir from the peer's KE data, SKEYSEED and the SK_* keys, and
 * create both SK ciphers. Wipes every intermediate secret. */
int tcpsec_ike_derive_ike_keys(tcpsec_ike_sa *sa, const uint8_t *peer_ke,
                               size_t peer_ke_len);
/* Key lengths of an ESP suite: encryption key with salt, and integrity. */
int tcpsec_ike_esp_key_lens(const ike_esp_suite *s, size_t *encr_len,
                            size_t *integ_len);
/* Keys of a rekeyed IKE SA (section 2.18) into the current fields, whose
 * SPIs, suite and initiator flag are the new IKE SA's already: SKEYSEED =
 * prf(SK_d (old), g^ir | Ni | Nr) with the old PRF. */
int tcpsec_ike_derive_rekey_keys(tcpsec_ike_sa *sa, uint16_t old_prf,
                                 const uint8_t *old_sk_d, size_t old_prf_len,
                                 const uint8_t *gir, size_t gir_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len);

/* ---- exchange.c -------------------------------------------------------- */

/* Fill a header for a message of ours. */
void tcpsec_ike_header_for(const tcpsec_ike_sa *sa, tcpsec_ike_header *hdr,
                           uint8_t exchange, int response, uint32_t message_id);
/* Finish a built request, remember it and send it; starts the
 * retransmission timer. The builder is freed. */
int tcpsec_ike_send_request(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                            ike_request_kind kind, uint32_t child_spi,
                            uint64_t now_ms);
/* Finish a built response, cache it with its request and send it. */
int tcpsec_ike_send_response(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                             const uint8_t *request, size_t request_len);
/* Log a message we built (decrypted with our own key) at debug level. */
void tcpsec_ike_log_sent(tcpsec_ike_sa *sa, const uint8_t *data, size_t len);
/* Send an unprotected reply that leaves no state (IKE_SA_INIT errors). */
int tcpsec_ike_send_stateless(tcpsec_ctx *ctx, const tcpsec_ike_callbacks *cb,
                              const tcpsec_ike_config *cfg,
                              const tcpsec_ike_header *request, uint16_t notify,
                              const uint8_t *data, size_t len);
/* (Re)send the outstanding request; flags as for the send callback. */
void tcpsec_ike_resend_request(tcpsec_ike_sa *sa, uint64_t now_ms,
                               unsigned flags);
/* Forget the outstanding request. */
void tcpsec_ike_request_clear(tcpsec_ike_sa *sa);
/* Start the next queued request if the window is free. */
void tcpsec_ike_start_queued(tcpsec_ike_sa *sa, uint64_t now_ms);
/* Send flags every message of this IKE SA carries. */
unsigned tcpsec_ike_nat_send_flags(const tcpsec_ike_sa *sa);
/* Total time the retransmission schedule waits for one response. */
uint64_t tcpsec_ike_response_budget(const tcpsec_ike_sa *sa);
/* Map an error notify type to a TCPSEC_ERR_* code. */
int tcpsec_ike_notify_error(uint16_t notify_type);

/* ---- exchange_init.c --------------------------------------------------- */

int tcpsec_ike_init_start(tcpsec_ike_sa *sa, uint64_t now_ms);
/* Initiator: a parsed IKE_SA_INIT response. */
int tcpsec_ike_init_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     const uint8_t *data, size_t len,
                                     uint64_t now_ms);
/* Responder: process a parsed first IKE_SA_INIT request from the
 * dispatcher. Returns 0 when the IKE SA sent its response and is half-open,
 * or the error whose notify it sent without keeping state. */
int tcpsec_ike_init_respond(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                            const uint8_t *data, size_t len, uint64_t now_ms);
/* NAT_DETECTION hash: SHA-1(SPIi | SPIr | IP | port). */
int tcpsec_ike_nat_hash(tcpsec_ctx *ctx, const uint8_t spi_i[8],
                        const uint8_t spi_r[8], const tcpsec_ike_endpoint *ep,
                        uint8_t out[20]);

/* ---- exchange_auth.c --------------------------------------------------- */

int tcpsec_ike_auth_start(tcpsec_ike_sa *sa, uint64_t now_ms);
int tcpsec_ike_auth_process_request(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg,
                                    const uint8_t *data, size_t len,
                                    uint64_t now_ms);
int tcpsec_ike_auth_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     uint64_t now_ms);

/* ---- child.c ----------------------------------------------------------- */

/* Report a negotiated Child SA (keys from KEYMAT) and keep it. */
int tcpsec_ike_child_establish(tcpsec_ike_sa *sa, const ike_child_spec *spec,
                               uint64_t now_ms);
/* Responder: choose an ESP proposal (IKE_AUTH: KE transforms ignored) and
 * narrow the selectors. Returns 0 or the error notify type to send. */
uint16_t tcpsec_ike_child_negotiate(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg, int create,
                                    uint16_t peer_ke, ike_child_offer *out);
/* Responder: SA, TSi and TSr of the response. */
void tcpsec_ike_child_add_answer(tcpsec_ike_builder *b,
                                 const ike_child_offer *o, uint32_t spi_in);
/* The first error notify of a response, or 0. */
uint16_t tcpsec_ike_child_first_error(const tcpsec_ike_msg *msg);
/* Initiator: check the response against what we proposed (li: our TSi, rr:
 * our TSr). NULL when acceptable, else the problem for the log. */
const char *tcpsec_ike_child_check_answer(
    tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg, int create, uint16_t ke_sent,
    const tcpsec_ike_traffic_selector *li, size_t li_count,
    const tcpsec_ike_traffic_selector *rr, size_t rr_count,
    ike_child_offer *out);
void tcpsec_ike_add_selectors(tcpsec_ike_builder *b, uint8_t payload,
                              const tcpsec_ike_traffic_selector *ts,
                              size_t count);
/* A soft lifetime less a random jitter of up to rekey_jitter_percent. */
uint64_t tcpsec_ike_jitter(tcpsec_ike_sa *sa, uint64_t soft);

/* ---- exchange_create.c ------------------------------------------------- */

/* Build and send our next CREATE_CHILD_SA request of `kind`. */
int tcpsec_ike_create_start(tcpsec_ike_sa *sa, ike_request_kind kind,
                            uint64_t now_ms);
int tcpsec_ike_create_process_request(tcpsec_ike_sa *sa,
                                      const tcpsec_ike_msg *msg,
                                      const uint8_t *data, size_t len,
                                      uint64_t now_ms);
int tcpsec_ike_create_process_response(tcpsec_ike_sa *sa,
                                       const tcpsec_ike_msg *msg,
                                       ike_request_kind kind, uint64_t now_ms);
/* Free the key exchange of an outstanding request and forget it. */
void tcpsec_ike_create_clear(tcpsec_ike_sa *sa);
/* Timers of rekeying: soft lifetimes, grace periods, old generations. */
uint64_t tcpsec_ike_create_next_timeout(const tcpsec_ike_sa *sa);
void tcpsec_ike_create_timers(tcpsec_ike_sa *sa, uint64_t now_ms);
/* Old generations: find the one with these SPIs, free all of them. */
ike_gen *tcpsec_ike_gen_find(tcpsec_ike_sa *sa, const uint8_t spi_i[8],
                             const uint8_t spi_r[8]);
void tcpsec_ike_gen_swap(tcpsec_ike_sa *sa, ike_gen *g);
void tcpsec_ike_gen_free(tcpsec_ike_sa *sa, ike_gen *g);
void tcpsec_ike_gens_free(tcpsec_ike_sa *sa);
/* Plan the next IKE SA rekey (soft lifetime with jitter) from now. */
void tcpsec_ike_plan_ike_rekey(tcpsec_ike_sa *sa, uint64_t now_ms);
/* The peer deleted the current generation after rekeying it: its new IKE
 * SA (peer_gen) becomes current. */
void tcpsec_ike_gen_adopt_peer(tcpsec_ike_sa *sa, uint64_t now_ms);
/* Send the queued Delete requests of old generations. */
void tcpsec_ike_gens_kick(tcpsec_ike_sa *sa, uint64_t now_ms);
/* An old generation received a request (in_gen set and swapped in). */
int tcpsec_ike_gen_process_request(tcpsec_ike_sa *sa,
                                   const tcpsec_ike_msg *msg,
                                   const uint8_t *data, size_t len,
                                   uint64_t now_ms);

/* ---- exchange_info.c --------------------------------------------------- */

/* Build and send the INFORMATIONAL request of a queued kind. */
int tcpsec_ike_info_start(tcpsec_ike_sa *sa, ike_request_kind kind,
                          uint64_t now_ms);
int tcpsec_ike_info_process_request(tcpsec_ike_sa *sa,
                                    const tcpsec_ike_msg *msg,
                                    const uint8_t *data, size_t len,
                                    uint64_t now_ms);
/* `kind` and `child_spi` describe the request of this response. */
int tcpsec_ike_info_process_response(tcpsec_ike_sa *sa,
                                     const tcpsec_ike_msg *msg,
                                     ike_request_kind kind, uint32_t child_spi,
                                     uint64_t now_ms);
/* Respond to a protected request we cannot serve (CREATE_CHILD_SA for now)
 * with one notify. */
int tcpsec_ike_reply_notify(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                            const uint8_t *data, size_t len, uint16_t type,
                            const uint8_t *notify_data, size_t notify_len);

/* ---- auth_psk.c -------------------------------------------------------- */

/* AUTH for the local (sign = 1) or the peer's (sign = 0) side:
 * prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>). `id_body` is the ID
 * payload without its generic header; out receives prf_len bytes. */
int tcpsec_ike_psk_auth(tcpsec_ike_sa *sa, int of_initiator,
                        const uint8_t *id_body, size_t id_body_len,
                        uint8_t *out);
/* Constant-time check of a received AUTH payload against the peer's ID
 * payload body as received. 0 or TCPSEC_ERR_AUTHENTICATION_FAILED. */
int tcpsec_ike_psk_verify(tcpsec_ike_sa *sa, int of_initiator,
                          const uint8_t *id_body, size_t id_body_len,
                          const uint8_t *auth, size_t auth_len);

/* ---- proposal_select.c ------------------------------------------------- */

/* Transforms of one proposal we offer, backing a tcpsec_ike_proposal. */
typedef struct ike_offer {
  tcpsec_ike_proposal proposals[TCPSEC_IKE_CONFIG_MAX_PROPOSALS];
  tcpsec_ike_transform
      transforms[TCPSEC_IKE_CONFIG_MAX_PROPOSALS]
                [4 + TCPSEC_PROPOSAL_MAX_KE + TCPSEC_IKE_CONFIG_MAX_DH_GROUPS];
  size_t count;
} ike_offer;

/* Our IKE proposals, KE groups from the string or else cfg dh_groups,
 * with the group of our KEi listed first. */
void tcpsec_ike_offer_ike(const ike_config *cfg, uint16_t ke_first,
                          ike_offer *out);
/* Our ESP proposals for IKE_AUTH (no KE transforms) with our SPI. */
void tcpsec_ike_offer_esp(const ike_config *cfg, uint32_t spi, ike_offer *out);
/* CREATE_CHILD_SA: IKE proposals with our new SPI, and ESP proposals with
 * PFS groups (ke_first first; 0 for none). */
void tcpsec_ike_offer_ike_rekey(const ike_config *cfg, uint16_t ke_first,
                                const uint8_t spi[TCPSEC_IKE_SPI_LEN],
                                ike_offer *out);
void tcpsec_ike_offer_esp_pfs(const ike_config *cfg, uint32_t spi,
                              uint16_t ke_first, ike_offer *out);
/* Our first PFS group, or 0 without PFS. */
uint16_t tcpsec_ike_pfs_first(const ike_config *cfg);
/* 1 when the group is one of our PFS groups. */
int tcpsec_ike_pfs_allowed(const ike_config *cfg, uint16_t group);
int tcpsec_ike_select_ike_rekey(const ike_config *cfg,
                                const tcpsec_ike_sa_payload *sa_payload,
                                uint16_t peer_ke, ike_suite *out);
int tcpsec_ike_accept_ike_rekey(const ike_config *cfg,
                                const tcpsec_ike_sa_payload *sa_payload,
                                uint16_t ke_sent, ike_suite *out);
/* suite->ke receives the group; peer_ke is the KE payload's (0 if none). */
int tcpsec_ike_select_esp_pfs(const ike_config *cfg,
                              const tcpsec_ike_sa_payload *sa_payload,
                              uint16_t peer_ke, ike_esp_suite *out);
int tcpsec_ike_accept_esp_pfs(const ike_config *cfg,
                              const tcpsec_ike_sa_payload *sa_payload,
                              uint16_t ke_sent, ike_esp_suite *out);
/* Responder: first proposal of the peer we accept. *ke_out gets the group
 * we want; the caller compares it with the KE payload. Returns the index
 * into sa->proposals or TCPSEC_ERR_NO_PROPOSAL_CHOSEN. */
int tcpsec_ike_select_ike(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          uint16_t peer_ke, ike_suite *out);
int tcpsec_ike_select_esp(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          ike_esp_suite *out);
/* Initiator: check that the responder's single proposal is one of ours. */
int tcpsec_ike_accept_ike(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          uint16_t ke_sent, ike_suite *out);
int tcpsec_ike_accept_esp(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          ike_esp_suite *out);
/* The accepted proposal as one SA payload proposal (number kept). */
void tcpsec_ike_suite_proposal(const ike_suite *s, uint8_t number,
                               tcpsec_ike_proposal *p, tcpsec_ike_transform *t);
void tcpsec_ike_esp_proposal(const ike_esp_suite *s, uint8_t number,
                             uint32_t spi, tcpsec_ike_proposal *p,
                             tcpsec_ike_transform *t);
/* 1 when the group appears in any IKE proposal we would offer. */
int tcpsec_ike_group_allowed(const ike_config *cfg, uint16_t group);

/* ---- ts.c -------------------------------------------------------------- */

int tcpsec_ike_ts_valid(const tcpsec_ike_traffic_selector *ts);
int tcpsec_ike_ts_intersect(const tcpsec_ike_traffic_selector *a,
                            const tcpsec_ike_traffic_selector *b,
                            tcpsec_ike_traffic_selector *out);
int tcpsec_ike_ts_contains(const tcpsec_ike_traffic_selector *outer,
                           const tcpsec_ike_traffic_selector *inner);
size_t tcpsec_ike_ts_narrow(const tcpsec_ike_traffic_selector *proposed,
                            size_t n, const tcpsec_ike_traffic_selector *policy,
                            size_t m, tcpsec_ike_traffic_selector *out,
                            size_t max);
int tcpsec_ike_ts_subset(const tcpsec_ike_traffic_selector *got, size_t n,
                         const tcpsec_ike_traffic_selector *proposed, size_t m);
void tcpsec_ike_ts_format(const tcpsec_ike_traffic_selector *ts, char *buf,
                          size_t len);
/* Between the codec's selectors and ours. Unknown selector types are
 * skipped (section 2.9); returns the number converted. */
size_t tcpsec_ike_ts_from_payload(const tcpsec_ike_ts *payload,
                                  tcpsec_ike_traffic_selector *out, size_t max);
void tcpsec_ike_ts_to_selector(const tcpsec_ike_traffic_selector *ts,
                               tcpsec_ike_selector *out);

/* ---- cookie.c ---------------------------------------------------------- */

void tcpsec_ike_responder_half_open_add(tcpsec_ike_responder *resp, int delta);

#endif /* TCPSEC_IKE_IKE_SA_H */
