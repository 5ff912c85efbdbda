/*
 * Connections and the dispatch of received IKE messages.
 *
 * RFC 9329 rules applied here:
 * - The TCP originator (the IKE initiator of a static tunnel) opens and
 *   re-opens connections; the responder never does (section 6.1).
 * - A responder accepts the IKE SA's messages from any new connection and
 *   sends each response on the connection its request arrived on. After an
 *   authenticated message it sends its own requests and ESP there too
 *   (sections 6.2 and 6.3).
 * - Closing a connection does not delete any SA (section 6.1).
 *
 * A static tunnel whose connection attempts fail retries with exponential
 * backoff: tcp_reconnect_ms, doubling after every failure up to
 * tcp_reconnect_max_ms, each delay shortened by a random part of up to a
 * fifth so that spokes cut off together do not return together. The delay
 * starts over once a connection carries an IKE message the IKE SA accepts.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

struct gw_conn *gw_conn_get(struct tcpsec_gw *gw, tcpsec_gw_conn id) {
  if (id == 0 || id > gw->conn_cap)
    return NULL;
  return gw->conns[id - 1].id == id ? &gw->conns[id - 1] : NULL;
}

struct gw_conn *gw_conn_alloc(struct tcpsec_gw *gw) {
  struct gw_conn *c;
  size_t i, used = 0, cap;

  for (i = 0; i < gw->conn_cap; i++) {
    if (gw->conns[i].id == 0) {
      c = &gw->conns[i];
      memset(c, 0, sizeof(*c));
      c->id = (tcpsec_gw_conn)(i + 1);
      return c;
    }
    used++;
  }
  if (used >= gw->cfg.max_connections)
    return NULL;
  cap = gw->conn_cap ? gw->conn_cap * 2 : 16;
  if (cap > gw->cfg.max_connections)
    cap = gw->cfg.max_connections;
  c = tcpsec_realloc(gw->ctx, gw->conns, cap * sizeof(*c));
  if (c == NULL)
    return NULL;
  memset(c + gw->conn_cap, 0, (cap - gw->conn_cap) * sizeof(*c));
  gw->conns = c;
  c = &gw->conns[gw->conn_cap];
  c->id = (tcpsec_gw_conn)(gw->conn_cap + 1);
  gw->conn_cap = cap;
  return c;
}

/* Free a connection slot; with `close` the caller is asked to close it. */
void gw_conn_release(struct tcpsec_gw *gw, struct gw_conn *c, int close) {
  tcpsec_gw_conn id = c->id;
  size_t i;

  if (close && gw->cb.tcp_close != NULL) {
    gw->in_callback++;
    gw->cb.tcp_close(gw->cb.user, id);
    gw->in_callback--;
  }
  for (i = 0; i < gw->peer_count; i++)
    if (gw->peers[i]->conn == id)
      gw->peers[i]->conn = 0;
  if (gw->input_conn == c)
    gw->input_conn = NULL;
  gw_seg_map_del(gw, c);
  tcpsec_stream_free(c->stream);
  tcpsec_segment_tracker_free(c->tracker);
  memset(c, 0, sizeof(*c));
}

/* Jitter: the delay minus a random part of up to a fifth of it. */
static uint64_t backoff_jitter(struct tcpsec_gw *gw, uint64_t delay) {
  uint8_t b[4];

  if (delay < 5 || tcpsec_random(gw->ctx, b, sizeof(b)) != 0)
    return delay;
  return delay - tcpsec_load_be32(b) % (delay / 5 + 1);
}

void gw_conn_schedule_reconnect(struct gw_peer *peer, uint64_t now_ms) {
  const tcpsec_gw_tunnel_config *t = &peer->tunnel->cfg;
  uint64_t delay = peer->reconnect_delay_ms != 0 ? peer->reconnect_delay_ms
                                                 : t->tcp_reconnect_ms;
  uint64_t wait = backoff_jitter(peer->gw, delay);

  gw_peer_touch(peer);
  peer->reconnect_at = now_ms + wait;
  peer->reconnect_delay_ms =
      (uint32_t)TCPSEC_MIN(delay * 2, (uint64_t)t->tcp_reconnect_max_ms);
  gw_peer_log(peer, peer->connect_failures > 0 ? TCPSEC_LOG_WARNING
                                               : TCPSEC_LOG_INFO,
              "reconnecting over TCP in %llu ms (%u failed attempts in a "
              "row)",
              (unsigned long long)wait, (unsigned)peer->connect_failures);
}

/* An outbound attempt that never connected, or a connection that closed
 * before it carried an IKE message. */
static void connect_failed(struct gw_peer *peer, uint64_t now_ms) {
  peer->connect_failures++;
  if (peer->reconnect_at == UINT64_MAX)
    gw_conn_schedule_reconnect(peer, now_ms);
}

/* Static tunnel: ask the caller for a TCP connection to the hub. */
int gw_conn_open(struct gw_peer *peer, uint64_t now_ms) {
  struct tcpsec_gw *gw = peer->gw;
  tcpsec_ike_endpoint local = peer->local;
  struct gw_conn *c;
  int rv;

  gw_peer_touch(peer);
  if (gw->cb.tcp_open == NULL)
    return TCPSEC_ERR_NOT_SUPPORTED;
  c = gw_conn_alloc(gw);
  if (c == NULL) {
    gw_peer_log(peer, TCPSEC_LOG_WARNING,
                "cannot open a TCP connection: %u connections exist, the "
                "configured maximum",
                (unsigned)gw->cfg.max_connections);
    connect_failed(peer, now_ms);
    return TCPSEC_ERR_LIMIT;
  }
  rv = tcpsec_stream_new(gw->ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &c->stream);
  if (rv != 0) {
    gw_conn_release(gw, c, 0);
    connect_failed(peer, now_ms);
    return rv;
  }
  c->outbound = 1;
  c->peer = peer;
  c->tunnel = peer->tunnel;
  peer->conn = c->id;
  peer->remote.port = peer->tunnel->cfg.tcp_port;
  c->remote = peer->remote;
  local.port = 0;
  gw->in_callback++;
  rv = gw->cb.tcp_open(gw->cb.user, c->id, &local, &peer->remote);
  gw->in_callback--;
  if (rv != 0) {
    gw_peer_log(peer, TCPSEC_LOG_WARNING,
                "cannot open a TCP connection (callback returned %d)", rv);
    gw_conn_release(gw, c, 0);
    connect_failed(peer, now_ms);
    return TCPSEC_ERR_CALLBACK;
  }
  return 0;
}

static int conn_write(struct tcpsec_gw *gw, struct gw_conn *c,
                      const uint8_t *data, size_t len) {
  int rv;

  if (gw->cb.tcp_send == NULL)
    return -1;
  gw->in_callback++;
  rv = gw->cb.tcp_send(gw->cb.user, c->id, data, len);
  gw->in_callback--;
  if (rv == 0)
    c->frames_out++;
  return rv;
}

int gw_conn_send_ike(struct tcpsec_gw *gw, struct gw_conn *c,
                     const uint8_t *msg, size_t len) {
  ptrdiff_t n;

  n = tcpsec_stream_frame(c->stream, TCPSEC_ENCAP_IKE, msg, len, gw->scratch,
                          GW_SCRATCH_LEN);
  if (n < 0)
    return (int)n;
  return conn_write(gw, c, gw->scratch, (size_t)n);
}

/* The address types of the IKE and encapsulation layers differ only in
 * shape. */
static void endpoint_to_ip(const tcpsec_ike_endpoint *ep, tcpsec_ip_addr *ip) {
  memset(ip, 0, sizeof(*ip));
  ip->family = ep->family == 4 ? TCPSEC_IP_V4 : TCPSEC_IP_V6;
  memcpy(ip->bytes, ep->addr, 16);
}

int gw_conn_attach_tracker(struct tcpsec_gw *gw, struct gw_conn *c) {
  tcpsec_segment_tracker_config tc;
  int rv;

  if (c->tracker != NULL || c->tunnel == NULL || !c->tunnel->cfg.fortinet_esp)
    return 0;
  tcpsec_segment_tracker_config_default(&tc);
  endpoint_to_ip(&c->local, &tc.local_addr);
  endpoint_to_ip(&c->remote, &tc.remote_addr);
  tc.local_port = c->local.port;
  tc.remote_port = c->remote.port;
  tc.placement = (tcpsec_segment_placement)c->tunnel->cfg.segment_placement;
  rv = tcpsec_segment_tracker_new(gw->ctx, &tc, &c->tracker);
  if (rv == 0) {
    rv = gw_seg_map_put(gw, c, &tc.local_addr, &tc.remote_addr);
    if (rv != 0) {
      tcpsec_segment_tracker_free(c->tracker);
      c->tracker = NULL;
    }
  }
  if (rv != 0)
    tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
               "connection %u: cannot create the segment tracker: %s",
               (unsigned)c->id, tcpsec_strerror(rv));
  return rv;
}

/* ---- IKE dispatch ----------------------------------------------------- */

static struct gw_tunnel *find_dynamic_tunnel(struct tcpsec_gw *gw,
                                             struct gw_conn *conn,
                                             const tcpsec_ike_endpoint *local) {
  size_t i;

  if (conn != NULL && conn->tunnel != NULL &&
      conn->tunnel->cfg.type == TCPSEC_GW_DYNAMIC)
    return conn->tunnel;
  for (i = 0; i < gw->tunnel_count; i++) {
    struct gw_tunnel *t = gw->tunnels[i];
    size_t n = t->cfg.local.family == 4 ? 4 : 16;
    int any = 1, j;

    if (t->cfg.type != TCPSEC_GW_DYNAMIC)
      continue;
    if (conn == NULL && t->cfg.transport == TCPSEC_GW_TRANSPORT_TCP)
      continue;
    for (j = 0; j < (int)n; j++)
      if (t->cfg.local.addr[j] != 0)
        any = 0;
    if (any || (t->cfg.local.family == local->family &&
                memcmp(t->cfg.local.addr, local->addr, n) == 0))
      return t;
  }
  return NULL;
}

/* A first IKE_SA_INIT request: create a dial-up instance and let the
 * stateless responder decide whether it gets an IKE SA. */
static int accept_new_peer(struct tcpsec_gw *gw, struct gw_conn *conn,
                           const tcpsec_ike_endpoint *local,
                           const tcpsec_ike_endpoint *remote,
                           const uint8_t *msg, size_t len, uint64_t now_ms) {
  struct gw_tunnel *t = find_dynamic_tunnel(gw, conn, local);
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  struct gw_peer *peer;
  tcpsec_ike_sa *sa = NULL;
  int rv;

  if (t == NULL) {
    gw->drops_unknown++;
    tcpsec_log(gw->ctx, TCPSEC_LOG_INFO, "gw",
               "IKE_SA_INIT from a peer that no dial-up tunnel accepts; "
               "dropped");
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }
  peer = gw_peer_new(gw, t, now_ms);
  if (peer == NULL)
    return TCPSEC_ERR_LIMIT;
  peer->initiator = 0;
  peer->local = *local;
  peer->remote = *remote;
  if (conn != NULL) {
    peer->transport =
        t->cfg.fortinet_esp ? TCPSEC_GW_ON_TCP_SEGMENTS : TCPSEC_GW_ON_TCP;
    peer->conn = conn->id;
    peer->tcp_connections++;
    conn->peer = peer;
  } else {
    peer->transport =
        local->port == 500 ? TCPSEC_GW_ON_UDP : TCPSEC_GW_ON_UDP_NATT;
    peer->nat_t = local->port != 500;
  }

  gw_peer_ike_config(peer, conn != NULL ? TCPSEC_IKE_TRANSPORT_TCP
                                        : TCPSEC_IKE_TRANSPORT_UDP,
                     &cfg);
  gw_peer_callbacks(peer, &cb);
  rv = tcpsec_ike_responder_input(gw->responder, &cfg, &cb, msg, len, now_ms,
                                  &sa);
  if (sa == NULL) {
    /* Cookie, error notify or junk: no state is kept. */
    peer->remove = 1;
    peer->ike_gone = 1;
    peer->reap_at = now_ms;
    t->next_instance--;
    if (conn != NULL)
      conn->peer = NULL;
    return rv;
  }
  peer->ike = sa;
  gw_peer_remember_spi(peer);
  peer->ike_created++;
  tcpsec_log(gw->ctx, TCPSEC_LOG_INFO, "gw",
             "%s: IKE_SA_INIT accepted for tunnel \"%s\" over %s", peer->name,
             t->name, conn != NULL ? "TCP" : "UDP");
  return 0;
}

/* After an authenticated message from a new place, replies follow it:
 * UDP NAT rebinding (RFC 7296 section 2.23) or a new TCP connection. */
void gw_follow_peer(struct tcpsec_gw *gw, struct gw_peer *peer,
                        struct gw_conn *conn,
                        const tcpsec_ike_endpoint *local,
                        const tcpsec_ike_endpoint *remote, uint64_t now_ms) {
  gw_peer_touch(peer);
  if (conn != NULL) {
    if (peer->conn == conn->id)
      return;
    peer->conn = conn->id;
    peer->tcp_connections++;
    peer->local = conn->local;
    peer->remote = conn->remote;
    conn->peer = peer;
    tcpsec_log(gw->ctx, TCPSEC_LOG_INFO, "gw",
               "%s: IKE SA moved to TCP connection %u", peer->name,
               (unsigned)conn->id);
    (void)tcpsec_ike_sa_connection_changed(peer->ike,
                                           TCPSEC_IKE_TRANSPORT_TCP,
                                           &conn->local, &conn->remote,
                                           now_ms);
    return;
  }
  if (gw_endpoint_equal(&peer->remote, remote) &&
      gw_endpoint_equal(&peer->local, local))
    return;
  /* Once on port 4500, a late message on port 500 (a response to a
   * request sent before the switch) does not move the IKE SA back. */
  if (peer->nat_t && local->port == 500)
    return;
  if (local->port == 4500 && !peer->nat_t) {
    peer->nat_t = 1;
    peer->transport = TCPSEC_GW_ON_UDP_NATT;
  }
  peer->local = *local;
  peer->remote = *remote;
  (void)tcpsec_ike_sa_connection_changed(peer->ike, TCPSEC_IKE_TRANSPORT_UDP,
                                         local, remote, now_ms);
  gw_peer_arm_keepalive(peer, peer->ike, now_ms);
}

/* Find the instance a message belongs to by its initiator SPI, current
 * or of an older generation. A message on a TCP connection whose SPI is
 * unknown goes to the connection's instance, whose IKE SA rejects what is
 * not its own. That route reaches the IKE SA that a simultaneous IKE SA
 * rekey left redundant (RFC 7296 section 2.8.2), because the IKE layer
 * does not report its SPIs.
 * NOTE: on UDP such messages are dropped, so the Delete of a redundant IKE
 * SA goes unanswered there and its sender gives up on it after its
 * retransmissions. */
static struct gw_peer *find_peer(struct tcpsec_gw *gw, struct gw_conn *conn,
                                 const uint8_t *msg,
                                 const tcpsec_ike_message_header *hdr) {
  static const uint8_t zero_spi[8] = {0};
  struct gw_peer *peer = gw_ike_map_get(gw, hdr->spi_i);

  if (peer == NULL && conn != NULL && conn->peer != NULL &&
      memcmp(msg + 8, zero_spi, 8) != 0)
    peer = conn->peer;
  if (peer == NULL || peer->ike == NULL || peer->ike_gone)
    return NULL;
  return peer;
}

int gw_ike_dispatch(struct tcpsec_gw *gw, struct gw_conn *conn,
                    const tcpsec_ike_endpoint *local,
                    const tcpsec_ike_endpoint *remote, const uint8_t *msg,
                    size_t len, uint64_t now_ms) {
  static const uint8_t zero_spi[8] = {0};
  tcpsec_ike_message_header hdr;
  struct gw_peer *peer;
  int rv;

  rv = tcpsec_ike_message_peek(msg, len, &hdr);
  if (rv != 0) {
    gw->drops_unknown++;
    return rv;
  }
  peer = find_peer(gw, conn, msg, &hdr);
  if (peer == NULL) {
    if (hdr.exchange == 34 && !(hdr.flags & 0x20) &&
        memcmp(msg + 8, zero_spi, 8) == 0 && !gw->shutting_down)
      return accept_new_peer(gw, conn, local, remote, msg, len, now_ms);
    gw->drops_unknown++;
    return TCPSEC_ERR_INVALID_IKE_SPI;
  }

  gw->input_conn = conn;
  if (conn == NULL) {
    gw->input_local = local;
    gw->input_remote = remote;
  }
  gw_peer_touch(peer);
  rv = tcpsec_ike_sa_input(peer->ike, msg, len, now_ms);
  gw->input_conn = NULL;
  gw->input_local = NULL;
  gw->input_remote = NULL;
  if (rv == 0 && conn != NULL && conn->outbound && conn->peer == peer &&
      peer->conn == conn->id) {
    /* The connection works: the next loss starts the backoff over. */
    conn->carried_ike = 1;
    peer->connect_failures = 0;
    peer->reconnect_delay_ms = 0;
  }
  if (rv == 0 && !peer->ike_gone)
    gw_follow_peer(gw, peer, conn, local, remote, now_ms);
  return rv;
}

/* ---- UDP -------------------------------------------------------------- */

int tcpsec_gw_udp_input(tcpsec_gw *gw, const tcpsec_ike_endpoint *local,
                        const tcpsec_ike_endpoint *remote,
                        const uint8_t *data, size_t len, uint64_t now_ms) {
  tcpsec_encap_kind kind;
  const uint8_t *msg;
  size_t msg_len;
  int rv;

  if (local == NULL || remote == NULL || (data == NULL && len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  rv = tcpsec_udp_classify(local->port == 500 ? TCPSEC_UDP_PORT_IKE
                                              : TCPSEC_UDP_PORT_NATT,
                           data, len, &kind, &msg, &msg_len);
  if (rv != 0) {
    gw->drops_unknown++;
  } else if (kind == TCPSEC_ENCAP_IKE) {
    rv = gw_ike_dispatch(gw, NULL, local, remote, msg, msg_len, now_ms);
  } else if (kind == TCPSEC_ENCAP_ESP) {
    rv = gw_esp_input(gw, NULL, local, remote, msg, msg_len, now_ms);
  }
  gw_exit(gw);
  return rv;
}

/* ---- TCP -------------------------------------------------------------- */

static struct gw_tunnel *tunnel_for_port(struct tcpsec_gw *gw,
                                         const tcpsec_ike_endpoint *local) {
  size_t i;

  for (i = 0; i < gw->tunnel_count; i++)
    if (gw->tunnels[i]->cfg.type == TCPSEC_GW_DYNAMIC &&
        gw->tunnels[i]->cfg.tcp_port == local->port)
      return gw->tunnels[i];
  return NULL;
}

int tcpsec_gw_tcp_accept(tcpsec_gw *gw, const tcpsec_ike_endpoint *local,
                         const tcpsec_ike_endpoint *remote, uint64_t now_ms,
                         tcpsec_gw_conn *out) {
  struct gw_conn *c;
  int rv;

  if (local == NULL || remote == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  *out = 0;
  c = gw_conn_alloc(gw);
  if (c == NULL) {
    tcpsec_log(gw->ctx, TCPSEC_LOG_WARNING, "gw",
               "TCP connection rejected: %u connections exist, the "
               "configured maximum", (unsigned)gw->cfg.max_connections);
    return TCPSEC_ERR_LIMIT;
  }
  rv = tcpsec_stream_new(gw->ctx, TCPSEC_STREAM_RESPONDER, NULL, &c->stream);
  if (rv != 0) {
    gw_conn_release(gw, c, 0);
    return rv;
  }
  c->connected = 1;
  c->local = *local;
  c->remote = *remote;
  c->tunnel = tunnel_for_port(gw, local);
  rv = gw_conn_attach_tracker(gw, c);
  if (rv != 0) {
    gw_conn_release(gw, c, 0);
    return rv;
  }
  *out = c->id;
  return 0;
}

int tcpsec_gw_tcp_connected(tcpsec_gw *gw, tcpsec_gw_conn conn,
                            const tcpsec_ike_endpoint *local,
                            const tcpsec_ike_endpoint *remote,
                            uint64_t now_ms) {
  struct gw_conn *c;
  struct gw_peer *peer;
  int rv;

  if (local == NULL || remote == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  c = gw_conn_get(gw, conn);
  if (c == NULL || !c->outbound || c->connected) {
    gw_exit(gw);
    return TCPSEC_ERR_UNKNOWN_CONNECTION;
  }
  c->connected = 1;
  c->local = *local;
  c->remote = *remote;
  (void)gw_conn_attach_tracker(gw, c);
  peer = c->peer;
  if (peer != NULL) {
    gw_peer_touch(peer);
    peer->local = *local;
    peer->remote = *remote;
    peer->tcp_connections++;
    if (peer->ike == NULL || peer->ike_gone)
      (void)gw_peer_start_ike(peer, TCPSEC_IKE_TRANSPORT_TCP, now_ms);
    else {
      (void)tcpsec_ike_sa_connection_changed(
          peer->ike, TCPSEC_IKE_TRANSPORT_TCP, local, remote, now_ms);
      /* Show the responder at once which connection the IKE SA uses
       * now (RFC 9329 section 6.1), instead of waiting for traffic. */
      (void)tcpsec_ike_sa_check_liveness(peer->ike, now_ms);
    }
  }
  gw_exit(gw);
  return 0;
}

struct stream_ctx {
  struct tcpsec_gw *gw;
  struct gw_conn *conn;
  uint64_t now_ms;
};

static int on_stream_message(void *user, tcpsec_encap_kind kind,
                             const uint8_t *msg, size_t len) {
  struct stream_ctx *sc = user;

  sc->conn->frames_in++;
  if (kind == TCPSEC_ENCAP_IKE)
    (void)gw_ike_dispatch(sc->gw, sc->conn, &sc->conn->local,
                          &sc->conn->remote, msg, len, sc->now_ms);
  else
    (void)gw_esp_input(sc->gw, sc->conn, &sc->conn->local, &sc->conn->remote,
                       msg, len, sc->now_ms);
  return 0;
}

static void conn_lost(struct tcpsec_gw *gw, struct gw_conn *c, int close,
                      uint64_t now_ms) {
  struct gw_peer *peer = c->peer;
  int failed = c->outbound && !c->carried_ike;

  gw_conn_release(gw, c, close);
  if (peer == NULL || peer->conn != 0 ||
      peer->tunnel->cfg.type != TCPSEC_GW_STATIC || peer->shutting_down)
    return;
  gw_peer_touch(peer);
  /* A failed IKE SA's retry timer opens a connection itself; reconnecting
   * now would bypass its delay. */
  if ((peer->ike == NULL || peer->ike_gone) && peer->retry_at != UINT64_MAX)
    return;
  if (failed)
    peer->connect_failures++;
  if (peer->reconnect_at == UINT64_MAX)
    gw_conn_schedule_reconnect(peer, now_ms);
}

int tcpsec_gw_tcp_input(tcpsec_gw *gw, tcpsec_gw_conn conn,
                        const uint8_t *data, size_t len, uint64_t now_ms) {
  struct stream_ctx sc;
  struct gw_conn *c;
  int rv;

  if (data == NULL && len != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = gw_entry(gw, now_ms);
  if (rv != 0)
    return rv;
  c = gw_conn_get(gw, conn);
  if (c == NULL || !c->connected) {
    gw_exit(gw);
    return TCPSEC_ERR_UNKNOWN_CONNECTION;
  }
  sc.gw = gw;
  sc.conn = c;
  sc.now_ms = now_ms;
  rv = tcpsec_stream_input(c->stream, data, len, on_stream_message, &sc);
  if (rv == TCPSEC_ERR_STREAM_BAD_PREFIX ||
      rv == TCPSEC_ERR_STREAM_BAD_LENGTH || rv == TCPSEC_ERR_STREAM_CLOSED ||
      rv == TCPSEC_ERR_NO_MEMORY || rv == TCPSEC_ERR_CALLBACK) {
    tcpsec_log(gw->ctx, TCPSEC_LOG_WARNING, "gw",
               "TCP connection %u violates RFC 9329 framing (%s); closing it",
               (unsigned)c->id, tcpsec_strerror(rv));
    conn_lost(gw, c, 1, now_ms);
  } else {
    /* Discarded frames are counted by the stream; the connection lives. */
    rv = 0;
  }
  gw_exit(gw);
  return rv;
}

int tcpsec_gw_tcp_closed(tcpsec_gw *gw, tcpsec_gw_conn conn,
                         uint64_t now_ms) {
  struct gw_conn *c;
  int rv = gw_entry(gw, now_ms);

  if (rv != 0)
    return rv;
  c = gw_conn_get(gw, conn);
  if (c == NULL) {
    gw_exit(gw);
    return TCPSEC_ERR_UNKNOWN_CONNECTION;
  }
  tcpsec_log(gw->ctx, TCPSEC_LOG_INFO, "gw",
             "TCP connection %u closed%s%s", (unsigned)c->id,
             c->peer != NULL ? " for " : "",
             c->peer != NULL ? c->peer->name : "");
  conn_lost(gw, c, 0, now_ms);
  gw_exit(gw);
  return 0;
}
