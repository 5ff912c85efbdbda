/*
 * Internal structures of the gateway: tunnels (configuration), instances
 * (one per peer, each with its IKE SA and Child SAs), and connections.
 */
#ifndef TCPSEC_GW_INTERNAL_H
#define TCPSEC_GW_INTERNAL_H

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
  uint32_t next_instance; /* dial-up instance numbering, from 1 */
};

struct gw_child {
  uint32_t spi_in;
  uint32_t spi_out;
  uint16_t encr;
  uint16_t encr_key_bits;
  uint16_t integ;
  uint64_t created_ms;
  uint64_t hard_lifetime_ms;
  tcpsec_ike_traffic_selector local_ts[GW_MAX_TS];
  tcpsec_ike_traffic_selector remote_ts[GW_MAX_TS];
  uint8_t local_ts_count;
  uint8_t remote_ts_count;
  uint64_t policy_drops; /* decrypted packets outside the selectors */
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
  int nat_t;        /* UDP: moved to port 4500 */

  /* Timers; UINT64_MAX when not armed. */
  uint64_t fallback_at;  /* transport auto: give up on UDP */
  uint64_t retry_at;     /* static: start a new IKE SA */
  uint64_t reconnect_at; /* static on TCP: open a new connection */
  uint64_t keepalive_at; /* UDP 4500: NAT keepalive */
  uint64_t reap_at;      /* free a failed or deleted IKE SA, or the peer */

  int ike_gone;  /* IKE SA failed or was deleted: free it at reap_at */
  int remove;    /* dynamic instance: free at reap_at */
  int tunnel_up; /* TUNNEL_UP was reported */
  int shutting_down;

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
};

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
  uint64_t frames_in;
  uint64_t frames_out;
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

  struct gw_conn *conns; /* slot i contains handle i + 1 */
  size_t conn_cap;

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
void gw_exit(struct tcpsec_gw *gw);
void gw_event(struct tcpsec_gw *gw, struct gw_peer *peer, int type,
              int reason, uint32_t spi_in, uint32_t spi_out);

/* gw_peer.c */
struct gw_peer *gw_peer_new(struct tcpsec_gw *gw, struct gw_tunnel *t,
                            uint64_t now_ms);
void gw_peer_free(struct gw_peer *peer);
int gw_peer_start_ike(struct gw_peer *peer, int ike_transport,
                      uint64_t now_ms);
void gw_peer_drop_ike(struct gw_peer *peer);
void gw_peer_remember_spi(struct gw_peer *peer);
struct gw_peer *gw_peer_find(struct tcpsec_gw *gw, const uint8_t *spi_i);
void gw_peer_ike_config(const struct gw_peer *peer, int ike_transport,
                        tcpsec_ike_config *cfg);
void gw_peer_callbacks(struct gw_peer *peer, tcpsec_ike_callbacks *cb);
uint64_t gw_peer_next_timeout(const struct gw_peer *peer);
void gw_peer_timeout(struct gw_peer *peer, uint64_t now_ms);
void gw_peer_reap(struct tcpsec_gw *gw, uint64_t now_ms);

/* gw_conn.c */
struct gw_conn *gw_conn_get(struct tcpsec_gw *gw, tcpsec_gw_conn id);
struct gw_conn *gw_conn_alloc(struct tcpsec_gw *gw);
void gw_conn_release(struct tcpsec_gw *gw, struct gw_conn *c, int close);
int gw_conn_open(struct gw_peer *peer, uint64_t now_ms);
int gw_conn_send_ike(struct tcpsec_gw *gw, struct gw_conn *c,
                     const uint8_t *msg, size_t len);
int gw_conn_attach_tracker(struct tcpsec_gw *gw, struct gw_conn *c);
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
uint32_t gw_child_mtu(const struct gw_peer *peer, const struct gw_child *ch);
/* Lower the MSS option of an inner TCP SYN to fit `mtu`. */
void gw_clamp_mss(uint8_t *pkt, size_t len, uint32_t mtu);
/* 1 when a decrypted packet matches the Child SA's selectors (source in a
 * remote selector, destination in a local one). */
int gw_inbound_policy_ok(const struct gw_child *ch, const uint8_t *pkt,
                         size_t len);

/* gw_spi_map.c */
int gw_spi_map_put(struct tcpsec_gw *gw, uint32_t spi, struct gw_peer *peer);
struct gw_peer *gw_spi_map_get(const struct tcpsec_gw *gw, uint32_t spi);
void gw_spi_map_del(struct tcpsec_gw *gw, uint32_t spi);

/* endpoint helpers */
int gw_endpoint_equal(const tcpsec_ike_endpoint *a,
                      const tcpsec_ike_endpoint *b);
void gw_endpoint_format(const tcpsec_ike_endpoint *ep, char *buf, size_t len);

#endif /* TCPSEC_GW_INTERNAL_H */
