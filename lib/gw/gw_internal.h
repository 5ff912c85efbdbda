/*
 * Internal structures of the gateway: tunnels (configuration), instances
 * (one per peer, each with its IKE SA and Child SAs), and connections.
 */
#ifndef TCPSEC_GW_INTERNAL_H
#define TCPSEC_GW_INTERNAL_H

#include "core/ctx.h"
#include "tcpsec/gw.h"
#include "tcpsec/sa.h"


#define GW_MAX_TS 16
#define GW_MAX_GROUPS 8
#define GW_MAX_ID_LEN 255
#define GW_MAX_CHILDREN 8
#define GW_SCRATCH_LEN (65535 + 128)
/* Delay before a static tunnel whose IKE SA failed tries again. */
#define GW_RETRY_MS 5000u
/* Delay before a failed IKE SA or a dynamic instance without IKE SA is
 * freed, so that its last messages can still be matched. */
#define GW_LINGER_MS 2000u
/* Delay before a static tunnel whose IKE SA lost its last Child SA
 * requests a new one again, when the first request brought none. */
#define GW_RECREATE_RETRY_MS 30000u
/* Initiator SPIs of rekeyed IKE SAs that still route to their instance.
 * The IKE layer keeps at most three old generations while their Delete
 * exchanges run; the oldest mapping is dropped when a fifth arrives. */
#define GW_OLD_IKE_SPIS 4
/* gw_peer::timer_index of an instance that is not in the timer heap. */
#define GW_NOT_QUEUED ((size_t)-1)

struct gw_tunnel {
  tcpsec_gw_tunnel_config cfg; /* pointers below replace the caller's */
  char name[TCPSEC_GW_NAME_MAX + 1];
  uint8_t *psk;
  char *ike_proposals;
  char *esp_proposals;
  uint16_t dh_groups[GW_MAX_GROUPS];
  uint16_t pfs_groups[GW_MAX_GROUPS];
  tcpsec_ike_traffic_selector local_ts[GW_MAX_TS];
  tcpsec_ike_traffic_selector remote_ts[GW_MAX_TS];
  uint8_t local_id[GW_MAX_ID_LEN];
  uint8_t peer_id[GW_MAX_ID_LEN];
  /* Certificates, key and trust anchors, parsed once and shared by the
   * tunnel's IKE SAs; NULL when neither side signs. */
  tcpsec_ike_credentials *cred;
  uint8_t local_method;  /* auth_method */
  uint8_t remote_method; /* remote_auth_method, 0 resolved */
  uint32_t next_instance; /* dial-up instance numbering, from 1 */
  struct gw_peer *static_peer; /* static tunnels: their one instance */
};

struct gw_child {
  uint32_t spi_in;
  uint32_t spi_out;
  uint16_t encr;
  uint16_t encr_key_bits;
  uint16_t integ;
  uint64_t created_ms;
  uint64_t hard_lifetime_ms;
  uint64_t soft_lifetime_ms; /* rekey for age this long after created_ms */
  tcpsec_ike_traffic_selector local_ts[GW_MAX_TS];
  tcpsec_ike_traffic_selector remote_ts[GW_MAX_TS];
  uint8_t local_ts_count;
  uint8_t remote_ts_count;
  uint64_t policy_drops; /* decrypted packets outside the selectors */
  uint32_t replaces_spi_in; /* pair this one replaced, 0 for none */
  uint16_t pfs_group;
  uint8_t replaced;         /* a newer pair replaces this one */
  /* ESP lifetime events, acted on outside the ESP call (gw_child_work). */
  uint8_t soft_reached;     /* soft byte or packet lifetime reached */
  uint8_t hard_reached;     /* hard lifetime reached: the SA is unusable */
  uint8_t rekey_requested;  /* tcpsec_ike_sa_rekey_child() was called */
  uint8_t delete_requested; /* tcpsec_ike_sa_delete_child() was called */
};

struct gw_peer {
  struct tcpsec_gw *gw;
  struct gw_tunnel *tunnel;
  char name[TCPSEC_GW_NAME_MAX + 1];
  tcpsec_ike_sa *ike;
  int initiator;
  int transport; /* tcpsec_gw_transport */
  tcpsec_ike_endpoint local;
  tcpsec_ike_endpoint remote;
  tcpsec_gw_conn conn;
  uint8_t spi_i[8]; /* key of the IKE SA for message dispatch */
  int spi_mapped;   /* spi_i is in the IKE SPI map */
  /* Initiator SPIs of earlier generations after IKE SA rekeys, oldest
   * first; each is in the IKE SPI map. */
  uint8_t old_spi_i[GW_OLD_IKE_SPIS][8];
  size_t old_spi_count;
  int nat_t;        /* UDP: moved to port 4500 */
  uint64_t last_udp_out_ms; /* last datagram sent to the peer */

  /* Timers; UINT64_MAX when not armed. */
  uint64_t fallback_at;  /* transport auto: give up on UDP */
  uint64_t retry_at;     /* static: start a new IKE SA */
  uint64_t reconnect_at; /* static on TCP: open a new connection */
  uint64_t keepalive_at; /* UDP 4500: NAT keepalive */
  uint64_t reap_at;      /* free a failed or deleted IKE SA, or the peer */
  uint64_t recreate_at;  /* static: negotiate a Child SA for a bare IKE SA */

  int ike_gone;  /* IKE SA failed or was deleted: free it at reap_at */
  int remove;    /* dynamic instance: free at reap_at */
  int tunnel_up; /* TUNNEL_UP was reported */
  int shutting_down;
  int child_work; /* a Child SA reached a lifetime: see gw_child_work */

  /* TCP reconnect backoff: the delay before the next attempt (0: the
   * tunnel's tcp_reconnect_ms) and the failed attempts in a row. */
  uint32_t reconnect_delay_ms;
  uint32_t connect_failures;

  /* Timer heap and the list of instances whose deadline may have changed
   * during the current call (gw_timer.c). */
  size_t index;       /* position in gw->peers */
  size_t timer_index; /* position in gw->timers, or GW_NOT_QUEUED */
  uint64_t timer_at;  /* deadline in the heap */
  int dirty;
  struct gw_peer *dirty_next;
  struct gw_peer *due_next;

  struct gw_child children[GW_MAX_CHILDREN];
  size_t child_count;

  uint64_t created_ms;
  uint64_t established_ms;
  uint32_t ike_created;
  uint32_t ike_established;
  uint32_t child_created;
  uint32_t tcp_connections;
  uint64_t drops;
  char peer_id_text[128];
  /* The peer's authenticated identity, for INITIAL_CONTACT matching. */
  uint8_t peer_id[GW_MAX_ID_LEN];
  size_t peer_id_len;
  uint8_t peer_id_type;     /* 0 until the peer authenticated */
  uint8_t peer_auth_method; /* TCPSEC_IKE_AUTH_PSK or _SIGNATURE, or 0 */
  int last_error;           /* reason of the last failure or deletion */
  /* Rekey counters of the IKE SAs this instance had before the current
   * one; the status adds the current IKE SA's counters. */
  uint64_t past_ike_rekeys;
  uint64_t past_child_rekeys;
  uint64_t past_rekey_collisions;
  uint64_t past_create_child_refused;
};

/* Key of the segment map: family, remote address and port, local address
 * and port (gw_seg_map.c). */
#define GW_SEG_KEY_LEN 37

struct gw_conn {
  tcpsec_gw_conn id; /* 0 while the slot is free */
  int outbound;
  int connected;
  tcpsec_ike_endpoint local;
  tcpsec_ike_endpoint remote;
  tcpsec_stream *stream;
  tcpsec_segment_tracker *tracker; /* Fortinet-style segment mode */
  struct gw_tunnel *tunnel;        /* tunnel whose port accepted it */
  struct gw_peer *peer;            /* set by the first IKE message */
  int carried_ike;                 /* outbound: an IKE message was accepted */
  uint64_t frames_in;
  uint64_t frames_out;
  uint8_t seg_mapped;              /* in the segment map under seg_key */
  uint8_t seg_key[GW_SEG_KEY_LEN];
};

struct tcpsec_gw {
  tcpsec_ctx *ctx;
  tcpsec_gw_config cfg;
  tcpsec_gw_callbacks cb;
  tcpsec_sad *sad;
  tcpsec_ike_responder *responder;

  struct gw_tunnel **tunnels;
  size_t tunnel_count;

  struct gw_peer **peers;
  size_t peer_count;
  size_t peer_cap;

  /* Min-heap of instances by next deadline (gw_timer.c), and the
   * instances to re-file when the current entry point returns. */
  struct gw_peer **timers;
  size_t timer_count;
  size_t timer_cap;
  struct gw_peer *dirty;

  /* IKE initiator SPI -> instance, open addressing with linear probing,
   * at most half full, keyed SipHash so that peers cannot aim their SPIs
   * at one probe run (gw_ike_map.c). */
  struct gw_ike_slot {
    uint8_t spi[8];
    struct gw_peer *peer; /* NULL: empty slot */
  } *ike_map;
  size_t ike_map_cap;
  size_t ike_map_count;
  uint64_t ike_map_key[2];

  struct gw_conn *conns; /* slot i contains handle i + 1 */
  size_t conn_cap;

  /* TCP 4-tuple -> connection with a segment tracker, the same kind of
   * table as ike_map (gw_seg_map.c). */
  struct gw_seg_slot {
    uint8_t key[GW_SEG_KEY_LEN];
    tcpsec_gw_conn conn; /* 0: empty slot */
  } *seg_map;
  size_t seg_map_cap;
  size_t seg_map_count;
  uint64_t seg_map_key[2];

  int in_callback;
  int shutting_down;
  uint64_t now_ms;
  /* Connection the IKE message being processed arrived on (TCP), so that
   * responses leave on it (RFC 9329 section 6.2 and 6.3). */
  struct gw_conn *input_conn;
  /* Sender of the UDP datagram being processed. */
  const tcpsec_ike_endpoint *input_local;
  const tcpsec_ike_endpoint *input_remote;

  uint8_t *scratch; /* GW_SCRATCH_LEN bytes for framing and decryption */

  /* Inbound SPI -> instance, open addressing with linear probing; the
   * table is at most half full. Slots with spi 0 are empty, and removal
   * re-inserts the rest of the probe run. */
  struct gw_spi_slot {
    uint32_t spi;
    struct gw_peer *peer;
  } *spi_map;
  size_t spi_map_cap;
  size_t spi_map_count;

  uint64_t drops_no_policy;
  uint64_t drops_tunnel_down;
  uint64_t drops_unknown;
};

/* gw.c */
int gw_entry(struct tcpsec_gw *gw, uint64_t now_ms);
/* Leave an entry point: free what failed, re-file changed deadlines. */
void gw_exit(struct tcpsec_gw *gw);
void gw_event(struct tcpsec_gw *gw, struct gw_peer *peer, int type,
              int reason, uint32_t spi_in, uint32_t spi_out);

/* gw_peer.c */
struct gw_peer *gw_peer_new(struct tcpsec_gw *gw, struct gw_tunnel *t,
                            uint64_t now_ms);
void gw_peer_free(struct gw_peer *peer);
void gw_peer_drop_ike(struct gw_peer *peer);
uint64_t gw_peer_next_timeout(const struct gw_peer *peer);
void gw_peer_timeout(struct gw_peer *peer, uint64_t now_ms);
/* Free the peer's failed or deleted IKE SA, and the peer itself when it is
 * a dial-up instance left without one. Returns 1 when the peer was freed. */
int gw_peer_reap(struct gw_peer *peer);
void gw_peer_log(const struct gw_peer *peer, tcpsec_log_level level,
                 const char *fmt, ...) TCPSEC_PRINTF(3, 4);
/* UDP port 4500: arm the NAT keepalive when `sa` reports this side
 * behind a NAT. */
void gw_peer_arm_keepalive(struct gw_peer *peer, const tcpsec_ike_sa *sa,
                           uint64_t now_ms);

/* gw_ike.c: the IKE SA of an instance */
int gw_peer_start_ike(struct gw_peer *peer, int ike_transport,
                      uint64_t now_ms);
/* Enter the IKE SA's initiator SPI into the IKE SPI map. */
void gw_peer_remember_spi(struct gw_peer *peer);
/* Remove the current and old initiator SPIs from the IKE SPI map. */
void gw_peer_forget_spis(struct gw_peer *peer);
void gw_peer_ike_config(struct gw_peer *peer, int ike_transport,
                        tcpsec_ike_config *cfg);
/* IKE SA configuration of tunnel `t` between `local` and `remote`, without
 * the callbacks of an instance (cert_revoked); the pointers refer to the
 * tunnel's copies. */
void gw_tunnel_ike_config(const struct gw_tunnel *t,
                          const tcpsec_ike_endpoint *local,
                          const tcpsec_ike_endpoint *remote,
                          int ike_transport, tcpsec_ike_config *cfg);
/* 1 for the signature methods 1, 9, 10, 11 and 14. */
int gw_auth_is_signature(uint8_t method);
void gw_peer_callbacks(struct gw_peer *peer, tcpsec_ike_callbacks *cb);

/* gw_timer.c */
/* Mark the instance's deadline as possibly changed; gw_exit() re-files
 * it. Every change of a timer field or call into the IKE SA that can move
 * a deadline earlier must be followed by this. */
void gw_peer_touch(struct gw_peer *peer);
/* Put the instance into the heap at `at`, move it, or take it out for
 * UINT64_MAX. */
void gw_timer_set(struct tcpsec_gw *gw, struct gw_peer *peer, uint64_t at);
/* Take the instances whose deadline is at or before now_ms out of the heap
 * and return them as a list linked through due_next. */
struct gw_peer *gw_timer_take_due(struct tcpsec_gw *gw, uint64_t now_ms);
void gw_timer_remove(struct tcpsec_gw *gw, struct gw_peer *peer);
/* Re-file every touched instance and free what failed. */
void gw_timer_flush(struct tcpsec_gw *gw);
/* Check that no instance's deadline in the heap lies after its actual next
 * timeout; returns the number of instances that break the rule (tests). */
size_t gw_timer_check(const struct tcpsec_gw *gw);

/* gw_conn.c */
struct gw_conn *gw_conn_get(struct tcpsec_gw *gw, tcpsec_gw_conn id);
struct gw_conn *gw_conn_alloc(struct tcpsec_gw *gw);
void gw_conn_release(struct tcpsec_gw *gw, struct gw_conn *c, int close);
int gw_conn_open(struct gw_peer *peer, uint64_t now_ms);
int gw_conn_send_ike(struct tcpsec_gw *gw, struct gw_conn *c,
                     const uint8_t *msg, size_t len);
int gw_conn_attach_tracker(struct tcpsec_gw *gw, struct gw_conn *c);
/* Static tunnel on TCP: arm reconnect_at after a failed attempt or a lost
 * connection, with the exponential backoff. */
void gw_conn_schedule_reconnect(struct gw_peer *peer, uint64_t now_ms);
int gw_ike_dispatch(struct tcpsec_gw *gw, struct gw_conn *conn,
                    const tcpsec_ike_endpoint *local,
                    const tcpsec_ike_endpoint *remote, const uint8_t *msg,
                    size_t len, uint64_t now_ms);
void gw_follow_peer(struct tcpsec_gw *gw, struct gw_peer *peer,
                    struct gw_conn *conn, const tcpsec_ike_endpoint *local,
                    const tcpsec_ike_endpoint *remote, uint64_t now_ms);

/* gw_data.c */
int gw_esp_input(struct tcpsec_gw *gw, struct gw_conn *conn,
                 const tcpsec_ike_endpoint *local,
                 const tcpsec_ike_endpoint *remote, const uint8_t *esp,
                 size_t len, uint64_t now_ms);
int gw_child_install(struct gw_peer *peer, const tcpsec_ike_child_sa *child);
void gw_child_remove(struct gw_peer *peer, uint32_t spi_in);
/* Act on the lifetime events the ESP SAs reported: rekey a pair at its
 * soft byte or packet lifetime, delete it at its hard one. Runs outside
 * every ESP call. */
void gw_child_work(struct gw_peer *peer, uint64_t now_ms);
uint32_t gw_child_mtu(const struct gw_peer *peer, const struct gw_child *ch);
/* Lower the MSS option of an inner TCP SYN to fit `mtu`. */
void gw_clamp_mss(uint8_t *pkt, size_t len, uint32_t mtu);
/* 1 when a decrypted packet matches the Child SA's selectors (source in a
 * remote selector, destination in a local one). */
int gw_inbound_policy_ok(const struct gw_child *ch, const uint8_t *pkt,
                         size_t len);

/* gw_seg_map.c */
int gw_seg_map_init(struct tcpsec_gw *gw);
int gw_seg_map_put(struct tcpsec_gw *gw, struct gw_conn *c,
                   const tcpsec_ip_addr *local, const tcpsec_ip_addr *remote);
struct gw_conn *gw_seg_map_get(struct tcpsec_gw *gw,
                               const tcpsec_segment_info *info);
void gw_seg_map_del(struct tcpsec_gw *gw, struct gw_conn *c);

/* gw_ike_map.c */
int gw_ike_map_init(struct tcpsec_gw *gw);
int gw_ike_map_put(struct tcpsec_gw *gw, const uint8_t spi[8],
                   struct gw_peer *peer);
struct gw_peer *gw_ike_map_get(const struct tcpsec_gw *gw,
                               const uint8_t spi[8]);
/* Remove the entry for `spi` if it belongs to `peer`. */
void gw_ike_map_del(struct tcpsec_gw *gw, const uint8_t spi[8],
                    const struct gw_peer *peer);

/* gw_spi_map.c */
int gw_spi_map_put(struct tcpsec_gw *gw, uint32_t spi, struct gw_peer *peer);
struct gw_peer *gw_spi_map_get(const struct tcpsec_gw *gw, uint32_t spi);
void gw_spi_map_del(struct tcpsec_gw *gw, uint32_t spi);

/* gw_identity.c: an identity (ID payload type and data) as text, cut to
 * fit `out_size` bytes with the NUL. */
void gw_identity_format(uint8_t type, const uint8_t *data, size_t len,
                        char *out, size_t out_size);

/* endpoint helpers */
int gw_endpoint_equal(const tcpsec_ike_endpoint *a,
                      const tcpsec_ike_endpoint *b);
void gw_endpoint_format(const tcpsec_ike_endpoint *ep, char *buf, size_t len);

#endif /* TCPSEC_GW_INTERNAL_H */
