/*
 * Sockets and connections of the daemon, and the tcpsec_gw callbacks that
 * use them. They cover UDP 500/4500, the TCP listener, outbound connections
 * with a send queue each, raw ESP, and the Fortinet-style segment socket
 * with its firewall guard. Delivery to the TUN device and the key log are
 * here too.
 */
#include "gateway.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- address conversion ---------------------------------------------- */

void app_addr_to_ike(const struct net_addr *in, uint16_t port,
                     tcpsec_ike_endpoint *out) {
  memset(out, 0, sizeof(*out));
  if (in->family == NET_FAMILY_NONE)
    return;
  out->family = in->family == NET_FAMILY_IPV4 ? 4 : 6;
  out->port = port;
  memcpy(out->addr, in->bytes, in->family == NET_FAMILY_IPV4 ? 4 : 16);
}

void app_endpoint_to_ike(const struct net_endpoint *in,
                         tcpsec_ike_endpoint *out) {
  app_addr_to_ike(&in->addr, in->port, out);
}

static void ike_to_endpoint(const tcpsec_ike_endpoint *in,
                            struct net_endpoint *out) {
  memset(out, 0, sizeof(*out));
  if (in->family == 0)
    return;
  out->addr.family = in->family == 4 ? NET_FAMILY_IPV4 : NET_FAMILY_IPV6;
  memcpy(out->addr.bytes, in->addr, in->family == 4 ? 4 : 16);
  out->port = in->port;
}

/* ---- timer ------------------------------------------------------------ */

static void on_timer(struct platform_loop *loop, uint64_t now_ms,
                     void *user) {
  struct app *app = user;

  if (app->stopping && now_ms >= app->stop_deadline) {
    platform_loop_stop(loop);
    return;
  }
  (void)tcpsec_gw_handle_timeout(app->gw, now_ms);
  app_arm_timer(app);
}

void app_arm_timer(struct app *app) {
  uint64_t next = tcpsec_gw_next_timeout(app->gw);

  if (app->stopping && app->stop_deadline < next)
    next = app->stop_deadline;
  platform_loop_set_timer(app->loop, next, on_timer, app);
}

/* ---- connections ------------------------------------------------------ */

static struct app_conn *conn_find(struct app *app, tcpsec_gw_conn id) {
  size_t i;

  for (i = 0; i < APP_MAX_CONNS; i++)
    if (app->conns[i].id == id && id != 0)
      return &app->conns[i];
  return NULL;
}

static struct app_conn *conn_by_fd(struct app *app, int fd) {
  size_t i;

  for (i = 0; i < APP_MAX_CONNS; i++)
    if (app->conns[i].id != 0 && app->conns[i].fd == fd)
      return &app->conns[i];
  return NULL;
}

static struct app_conn *conn_slot(struct app *app) {
  size_t i;

  for (i = 0; i < APP_MAX_CONNS; i++)
    if (app->conns[i].id == 0)
      return &app->conns[i];
  return NULL;
}

static void conn_drop(struct app *app, struct app_conn *c) {
  (void)platform_loop_remove(app->loop, c->fd);
  close(c->fd);
  free(c->out);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
}

/* The socket failed or the peer closed: tell the library. */
static void conn_lost(struct app *app, struct app_conn *c) {
  tcpsec_gw_conn id = c->id;

  conn_drop(app, c);
  (void)tcpsec_gw_tcp_closed(app->gw, id, platform_now_ms());
}

static int conn_flush(struct app *app, struct app_conn *c) {
  while (c->out_len > 0) {
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      return -1;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  return platform_loop_modify(app->loop, c->fd,
                              PLATFORM_EVENT_READ |
                                  (c->out_len > 0 ? PLATFORM_EVENT_WRITE : 0u));
}

static void on_conn(struct platform_loop *loop, int fd, unsigned events,
                    void *user) {
  struct app *app = user;
  struct app_conn *c = conn_by_fd(app, fd);
  struct net_endpoint local, remote;
  tcpsec_ike_endpoint l, r;
  uint8_t buf[16384];
  int batch;

  (void)loop;
  if (c == NULL)
    return;
  if (c->connecting) {
    if (!(events & (PLATFORM_EVENT_WRITE | PLATFORM_EVENT_ERROR)))
      return;
    if (platform_tcp_connect_result(fd) != 0 ||
        platform_tcp_endpoints(fd, &local, &remote) != 0) {
      platform_log(TCPSEC_LOG_WARNING, "net",
                   "TCP connection %u to the hub failed", (unsigned)c->id);
      conn_lost(app, c);
      app_arm_timer(app);
      return;
    }
    c->connecting = 0;
    app_endpoint_to_ike(&local, &l);
    app_endpoint_to_ike(&remote, &r);
    (void)platform_tcp_keepalive(fd, 30, 10, 3);
    (void)conn_flush(app, c);
    (void)tcpsec_gw_tcp_connected(app->gw, c->id, &l, &r, platform_now_ms());
    app_arm_timer(app);
    return;
  }
  if (events & PLATFORM_EVENT_WRITE) {
    if (conn_flush(app, c) != 0) {
      conn_lost(app, c);
      app_arm_timer(app);
      return;
    }
  }
  if (!(events & (PLATFORM_EVENT_READ | PLATFORM_EVENT_ERROR)))
    return;
  for (batch = 0; batch < 16; batch++) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      tcpsec_gw_conn id = c->id;
      (void)tcpsec_gw_tcp_input(app->gw, id, buf, (size_t)n,
                                platform_now_ms());
      /* The library may have closed it through tcp_close. */
      c = conn_find(app, id);
      if (c == NULL)
        break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    conn_lost(app, c);
    break;
  }
  app_arm_timer(app);
}

static void on_listen(struct platform_loop *loop, int fd, unsigned events,
                      void *user) {
  struct app *app = user;
  struct net_endpoint local, remote;
  tcpsec_ike_endpoint l, r;
  tcpsec_gw_conn id;
  struct app_conn *c;
  int cfd, rv;

  (void)events;
  while (platform_tcp_accept(fd, &cfd, &local, &remote) == 0) {
    app_endpoint_to_ike(&local, &l);
    app_endpoint_to_ike(&remote, &r);
    c = conn_slot(app);
    rv = c == NULL ? TCPSEC_ERR_LIMIT
                   : tcpsec_gw_tcp_accept(app->gw, &l, &r, platform_now_ms(),
                                          &id);
    if (rv != 0) {
      platform_log(TCPSEC_LOG_WARNING, "net", "TCP connection refused: %s",
                   tcpsec_strerror(rv));
      close(cfd);
      continue;
    }
    c->id = id;
    c->fd = cfd;
    (void)platform_tcp_keepalive(cfd, 30, 10, 3);
    if (platform_loop_add(loop, cfd, PLATFORM_EVENT_READ, on_conn, app) < 0) {
      conn_lost(app, c);
      continue;
    }
  }
  app_arm_timer(app);
}

/* ---- UDP and raw ESP -------------------------------------------------- */

static void on_udp(struct platform_loop *loop, int fd, unsigned events,
                   void *user) {
  struct app *app = user;
  struct net_endpoint from, to;
  tcpsec_ike_endpoint l, r;
  int batch;

  (void)loop;
  (void)events;
  for (batch = 0; batch < 64; batch++) {
    ssize_t n = platform_udp_recv(fd, app->packet, APP_PACKET_BUF, &from, &to);
    if (n == -EMSGSIZE)
      continue;
    if (n < 0)
      break;
    app_endpoint_to_ike(&to, &l);
    app_endpoint_to_ike(&from, &r);
    (void)tcpsec_gw_udp_input(app->gw, &l, &r, app->packet, (size_t)n,
                              platform_now_ms());
  }
  app_arm_timer(app);
}

/* Raw IPv4 ESP socket: the kernel hands over the IP header too. */
static void on_esp(struct platform_loop *loop, int fd, unsigned events,
                   void *user) {
  struct app *app = user;
  tcpsec_ike_endpoint l, r;
  int batch;

  (void)loop;
  (void)events;
  for (batch = 0; batch < 64; batch++) {
    ssize_t n = recv(fd, app->packet, APP_PACKET_BUF, 0);
    size_t ihl;
    if (n < 20)
      break;
    ihl = (size_t)(app->packet[0] & 0x0f) * 4;
    if (ihl < 20 || (size_t)n <= ihl)
      continue;
    memset(&l, 0, sizeof(l));
    memset(&r, 0, sizeof(r));
    l.family = r.family = 4;
    memcpy(r.addr, app->packet + 12, 4);
    memcpy(l.addr, app->packet + 16, 4);
    (void)tcpsec_gw_esp_input(app->gw, &l, &r, app->packet + ihl,
                              (size_t)n - ihl, platform_now_ms());
  }
  app_arm_timer(app);
}

static void on_segment(struct platform_loop *loop, int fd, unsigned events,
                       void *user) {
  struct app *app = user;
  unsigned flags;
  int batch, rv;

  (void)loop;
  (void)fd;
  (void)events;
  for (batch = 0; batch < 64; batch++) {
    ssize_t n = platform_segment_recv(app->segments, app->packet,
                                      APP_PACKET_BUF, &flags);
    if (n < 0)
      break;
    rv = tcpsec_gw_raw_input(app->gw, app->packet, (size_t)n,
                             platform_now_ms());
    if (rv != 0 && platform_log_enabled(TCPSEC_LOG_DEBUG))
      platform_log(TCPSEC_LOG_DEBUG, "net",
                   "captured segment of %zd bytes not used: %s", n,
                   tcpsec_strerror(rv));
  }
  app_arm_timer(app);
}

/* ---- library callbacks ------------------------------------------------ */

static struct app_local *local_for(struct app *app,
                                   const tcpsec_ike_endpoint *ep) {
  struct net_endpoint e;
  size_t i;

  ike_to_endpoint(ep, &e);
  for (i = 0; i < app->local_count; i++)
    if (app->locals[i].addr.family == NET_FAMILY_NONE ||
        net_addr_equal(&app->locals[i].addr, &e.addr))
      return &app->locals[i];
  return NULL;
}

static int cb_udp_send(void *user, const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote, const uint8_t *data,
                       size_t len) {
  struct app *app = user;
  struct app_local *lo = local_for(app, local);
  struct net_endpoint from, to;
  int fd;

  if (lo == NULL)
    return -1;
  fd = local->port == app->cfg.system.ike_port ? lo->udp_ike_fd
                                               : lo->udp_natt_fd;
  if (fd < 0)
    return -1;
  ike_to_endpoint(local, &from);
  ike_to_endpoint(remote, &to);
  return platform_udp_send(fd, data, len, &to, &from) < 0 ? -1 : 0;
}

static int cb_esp_send(void *user, const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote,
                       const uint8_t *packet, size_t len) {
  struct app *app = user;
  struct sockaddr_in to;

  (void)local;
  if (app->esp_fd < 0 || remote->family != 4)
    return -1;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  memcpy(&to.sin_addr, remote->addr, 4);
  return sendto(app->esp_fd, packet, len, 0, (struct sockaddr *)&to,
                sizeof(to)) < 0
             ? -1
             : 0;
}

static int cb_tcp_open(void *user, tcpsec_gw_conn conn,
                       const tcpsec_ike_endpoint *local,
                       const tcpsec_ike_endpoint *remote) {
  struct app *app = user;
  struct net_endpoint l, r;
  struct app_conn *c = conn_slot(app);
  int fd, rc;

  if (c == NULL)
    return -1;
  ike_to_endpoint(local, &l);
  ike_to_endpoint(remote, &r);
  rc = platform_tcp_connect(&r, l.addr.family != NET_FAMILY_NONE ? &l : NULL,
                            &fd);
  if (rc < 0) {
    platform_log(TCPSEC_LOG_WARNING, "net", "cannot connect to the hub: %s",
                 strerror(-rc));
    return -1;
  }
  c->id = conn;
  c->fd = fd;
  c->connecting = 1;
  if (platform_loop_add(app->loop, fd, PLATFORM_EVENT_WRITE, on_conn, app) <
      0) {
    conn_drop(app, c);
    return -1;
  }
  return 0;
}

/* All or nothing: a frame is never cut, so a full queue drops the write
 * (the library counts the packet as lost) instead of queueing part of it. */
static int cb_tcp_send(void *user, tcpsec_gw_conn conn, const uint8_t *data,
                       size_t len) {
  struct app *app = user;
  struct app_conn *c = conn_find(app, conn);
  ssize_t n = 0;

  if (c == NULL)
    return -1;
  if (c->out_len == 0 && !c->connecting) {
    n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
      n = 0;
    }
    if ((size_t)n == len)
      return 0;
  }
  /* Once part of the frame is on the wire the rest must follow, whatever
   * the queue holds. */
  if (n == 0 && c->out_len + len > APP_TCP_OUTBUF_MAX)
    return -1;
  if (c->out_len + len - (size_t)n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 65536;
    uint8_t *p;
    while (cap < c->out_len + len - (size_t)n)
      cap *= 2;
    p = realloc(c->out, cap);
    if (p == NULL)
      return -1;
    c->out = p;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data + n, len - (size_t)n);
  c->out_len += len - (size_t)n;
  if (!c->connecting)
    (void)platform_loop_modify(app->loop, c->fd,
                               PLATFORM_EVENT_READ | PLATFORM_EVENT_WRITE);
  return 0;
}

static void cb_tcp_close(void *user, tcpsec_gw_conn conn) {
  struct app *app = user;
  struct app_conn *c = conn_find(app, conn);

  if (c != NULL)
    conn_drop(app, c);
}

static int cb_raw_send(void *user, tcpsec_gw_conn conn, const uint8_t *packet,
                       size_t len) {
  struct app *app = user;

  (void)conn;
  if (app->segments == NULL)
    return -1;
  return platform_segment_send(app->segments, packet, len) < 0 ? -1 : 0;
}

static void cb_deliver(void *user, const char *instance, const uint8_t *packet,
                       size_t len) {
  struct app *app = user;

  (void)instance;
  if (app->tun_open)
    (void)platform_tun_write(&app->tun, packet, len);
}

static void cb_event(void *user, const tcpsec_gw_event *ev) {
  struct app *app = user;

  switch (ev->type) {
  case TCPSEC_GW_EVENT_TUNNEL_UP:
    platform_log(TCPSEC_LOG_NOTICE, "gw", "%s: tunnel up", ev->instance);
    break;
  case TCPSEC_GW_EVENT_TUNNEL_DOWN:
    platform_log(TCPSEC_LOG_NOTICE, "gw", "%s: tunnel down (%s)",
                 ev->instance,
                 ev->reason ? tcpsec_strerror(ev->reason) : "deleted");
    break;
  case TCPSEC_GW_EVENT_NEGOTIATION_FAILED:
    platform_log(TCPSEC_LOG_WARNING, "gw", "%s: negotiation failed: %s (%s)",
                 ev->instance, tcpsec_strerror(ev->reason),
                 tcpsec_strerror_name(ev->reason));
    break;
  case TCPSEC_GW_EVENT_TRANSPORT_FALLBACK:
    platform_log(TCPSEC_LOG_NOTICE, "gw",
                 "%s: no answer over UDP, moving to TCP", ev->instance);
    break;
  case TCPSEC_GW_EVENT_CHILD_UP:
    if (app->guard != NULL)
      (void)platform_segment_guard_add_spi(app->guard, ev->spi_in);
    break;
  case TCPSEC_GW_EVENT_CHILD_DOWN:
    if (app->guard != NULL)
      (void)platform_segment_guard_delete_spi(app->guard, ev->spi_in);
    break;
  default:
    break;
  }
}

/* ---- key log ---------------------------------------------------------- */

static void hex_out(FILE *f, const uint8_t *p, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    fprintf(f, "%02x", p[i]);
}

/* Names as the IKEv2 decryption table of Wireshark 4.0 spells them; NULL
 * when Wireshark cannot decrypt the algorithm. */
static const char *ike_encr_name(uint16_t encr, uint16_t bits) {
  if (encr == TCPSEC_ENCR_AES_CBC)
    return bits == 128   ? "AES-CBC-128 [RFC3602]"
           : bits == 192 ? "AES-CBC-192 [RFC3602]"
                         : "AES-CBC-256 [RFC3602]";
  if (encr == TCPSEC_ENCR_AES_GCM_16)
    return bits == 128   ? "AES-GCM-128 with 16 octet ICV [RFC5282]"
           : bits == 192 ? "AES-GCM-192 with 16 octet ICV [RFC5282]"
                         : "AES-GCM-256 with 16 octet ICV [RFC5282]";
  return NULL;
}

static const char *ike_integ_name(uint16_t integ) {
  switch (integ) {
  case TCPSEC_INTEG_HMAC_SHA2_256_128:
    return "HMAC_SHA2_256_128 [RFC4868]";
  case TCPSEC_INTEG_HMAC_SHA2_384_192:
    return "HMAC_SHA2_384_192 [RFC4868]";
  case TCPSEC_INTEG_HMAC_SHA2_512_256:
    return "HMAC_SHA2_512_256 [RFC4868]";
  default:
    return "NONE [RFC4306]";
  }
}

/* Names as the ESP SA table of Wireshark 4.0 spells them. */
static const char *esp_encr_name(uint16_t encr) {
  if (encr == TCPSEC_ENCR_AES_CBC)
    return "AES-CBC [RFC3602]";
  if (encr == TCPSEC_ENCR_AES_GCM_16)
    return "AES-GCM with 16 octet ICV [RFC4106]";
  return NULL;
}

static const char *esp_integ_name(uint16_t integ) {
  switch (integ) {
  case TCPSEC_INTEG_HMAC_SHA2_256_128:
    return "HMAC-SHA-256-128 [RFC4868]";
  case TCPSEC_INTEG_HMAC_SHA2_384_192:
    return "HMAC-SHA-384-192 [RFC4868]";
  case TCPSEC_INTEG_HMAC_SHA2_512_256:
    return "HMAC-SHA-512-256 [RFC4868]";
  default:
    return "NULL";
  }
}

/* One line per SA, each usable as a tshark option: tshark -o "LINE". */
static void cb_keylog(void *user, const tcpsec_gw_keys *k) {
  struct app *app = user;
  FILE *f = app->keylog;
  const tcpsec_ike_keys *ike = k->ike;
  const char *encr;

  if (f == NULL)
    return;
  if (k->kind == TCPSEC_GW_KEYS_IKE) {
    /* Byte fields of this table are bare hex; only the names are quoted. */
    encr = ike_encr_name(ike->encr, ike->encr_key_bits);
    fprintf(f, "%suat:ikev2_decryption_table:", encr == NULL ? "# " : "");
    hex_out(f, ike->spi_i, 8);
    fputc(',', f);
    hex_out(f, ike->spi_r, 8);
    fputc(',', f);
    hex_out(f, ike->sk_ei, ike->sk_e_len);
    fputc(',', f);
    hex_out(f, ike->sk_er, ike->sk_e_len);
    fprintf(f, ",\"%s\",", encr != NULL ? encr : "ChaCha20-Poly1305");
    hex_out(f, ike->sk_ai, ike->sk_a_len);
    fputc(',', f);
    hex_out(f, ike->sk_ar, ike->sk_a_len);
    fprintf(f, ",\"%s\"\n", ike_integ_name(ike->integ));
  } else {
    struct net_endpoint src, dst;
    char s[NET_ADDR_TEXT_MAX], d[NET_ADDR_TEXT_MAX];

    encr = esp_encr_name(k->encr);
    ike_to_endpoint(&k->src, &src);
    ike_to_endpoint(&k->dst, &dst);
    net_addr_format(&src.addr, s, sizeof(s));
    net_addr_format(&dst.addr, d, sizeof(d));
    fprintf(f, "%suat:esp_sa:\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x",
            encr == NULL ? "# " : "", k->src.family == 6 ? "IPv6" : "IPv4", s,
            d, (unsigned)k->spi, encr != NULL ? encr : "ChaCha20-Poly1305");
    hex_out(f, k->encr_key, k->encr_key_len);
    fprintf(f, "\",\"%s\",\"0x", esp_integ_name(k->integ));
    hex_out(f, k->integ_key, k->integ_key_len);
    fprintf(f, "\"\n");
  }
  fflush(f);
}

/* Certificate validity is checked against the system's calendar time. */
static uint64_t cb_wall_clock(void *user) {
  time_t now = time(NULL);

  (void)user;
  return now > 0 ? (uint64_t)now : 0;
}

void app_set_callbacks(struct app *app, tcpsec_gw_callbacks *cb) {
  tcpsec_gw_callbacks_default(cb);
  cb->udp_send = cb_udp_send;
  cb->esp_send = cb_esp_send;
  cb->tcp_open = cb_tcp_open;
  cb->tcp_send = cb_tcp_send;
  cb->tcp_close = cb_tcp_close;
  cb->raw_send = cb_raw_send;
  cb->deliver = cb_deliver;
  cb->event = cb_event;
  if (app->keylog != NULL)
    cb->keylog = cb_keylog;
  cb->wall_clock = cb_wall_clock;
  cb->user = app;
}

/* ---- opening and closing ---------------------------------------------- */

static int add_local(struct app *app, const struct net_addr *addr,
                     int want_udp, int want_listen) {
  struct app_local *lo = NULL;
  struct net_endpoint ep;
  size_t i;
  int rc;

  for (i = 0; i < app->local_count; i++)
    if (net_addr_equal(&app->locals[i].addr, addr))
      lo = &app->locals[i];
  if (lo == NULL) {
    if (app->local_count == APP_MAX_LOCAL)
      return -1;
    lo = &app->locals[app->local_count++];
    lo->addr = *addr;
    lo->udp_ike_fd = lo->udp_natt_fd = lo->listen_fd = -1;
  }
  ep.addr = *addr;
  if (want_udp && lo->udp_ike_fd < 0) {
    ep.port = app->cfg.system.ike_port;
    rc = platform_udp_open(&ep, &lo->udp_ike_fd);
    if (rc == 0) {
      ep.port = app->cfg.system.ike_natt_port;
      rc = platform_udp_open(&ep, &lo->udp_natt_fd);
    }
    if (rc < 0) {
      platform_log(TCPSEC_LOG_ERROR, "net", "cannot bind UDP ports %u/%u: %s",
                   (unsigned)app->cfg.system.ike_port,
                   (unsigned)app->cfg.system.ike_natt_port, strerror(-rc));
      return -1;
    }
    (void)platform_loop_add(app->loop, lo->udp_ike_fd, PLATFORM_EVENT_READ,
                            on_udp, app);
    (void)platform_loop_add(app->loop, lo->udp_natt_fd, PLATFORM_EVENT_READ,
                            on_udp, app);
  }
  if (want_listen && lo->listen_fd < 0) {
    ep.port = app->cfg.system.ike_tcp_port;
    rc = platform_tcp_listen(&ep, 128, &lo->listen_fd);
    if (rc < 0) {
      platform_log(TCPSEC_LOG_ERROR, "net", "cannot listen on TCP port %u: %s",
                   (unsigned)ep.port, strerror(-rc));
      return -1;
    }
    (void)platform_loop_add(app->loop, lo->listen_fd, PLATFORM_EVENT_READ,
                            on_listen, app);
  }
  return 0;
}

/* One segment socket and one firewall guard for all Fortinet-style
 * tunnels: the hub filters on its listening port, a spoke on the hub's
 * address and port. */
static int open_segments(struct app *app, const struct config_phase1 *p1) {
  struct platform_segment_filter f;
  int rc;

  memset(&f, 0, sizeof(f));
  if (p1->type == CONFIG_TYPE_DYNAMIC) {
    f.local.addr = p1->local_gw;
    f.local.port = app->cfg.system.ike_tcp_port;
  } else {
    f.local.addr = p1->local_gw;
    f.remote.addr = p1->remote_gw;
    f.remote.port = app->cfg.system.ike_tcp_port;
  }
  rc = platform_segment_open(&f, &app->segments);
  if (rc < 0) {
    platform_log(TCPSEC_LOG_ERROR, "net",
                 "cannot open the segment socket (needs root): %s",
                 strerror(-rc));
    return -1;
  }
  (void)platform_loop_add(app->loop, platform_segment_fd(app->segments),
                          PLATFORM_EVENT_READ, on_segment, app);
  if (app->cfg.tcpsec.segment_drop_rule) {
    rc = platform_segment_guard_install(&f, 0, &app->guard);
    if (rc < 0)
      platform_log(TCPSEC_LOG_WARNING, "net",
                   "cannot install the firewall rule for ESP segments (%s); "
                   "the kernel will answer each with a duplicate ACK",
                   strerror(-rc));
  }
  return 0;
}

int app_net_open(struct app *app) {
  size_t i;
  int need_esp = 0;

  for (i = 0; i < APP_MAX_CONNS; i++)
    app->conns[i].fd = -1;
  for (i = 0; i < app->cfg.phase1_count; i++) {
    const struct config_phase1 *p1 = &app->cfg.phase1[i];
    int udp = p1->transport != CONFIG_TRANSPORT_TCP ||
              p1->type == CONFIG_TYPE_DYNAMIC;
    int listen = p1->type == CONFIG_TYPE_DYNAMIC &&
                 app->cfg.system.ike_tcp_service;

    if (add_local(app, &p1->local_gw, udp, listen) != 0)
      return -1;
    if (udp)
      need_esp = 1;
    /* A dial-up tunnel accepts TCP whatever its transport setting. */
    if (p1->fortinet_esp &&
        (listen || p1->transport != CONFIG_TRANSPORT_UDP) &&
        app->segments == NULL && open_segments(app, p1) != 0)
      return -1;
  }
  if (need_esp) {
    app->esp_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         IPPROTO_ESP);
    if (app->esp_fd < 0)
      platform_log(TCPSEC_LOG_INFO, "net",
                   "no raw ESP socket (%s): UDP tunnels work only behind NAT",
                   strerror(errno));
    else
      (void)platform_loop_add(app->loop, app->esp_fd, PLATFORM_EVENT_READ,
                              on_esp, app);
  }
  return 0;
}

void app_net_close(struct app *app) {
  size_t i;

  for (i = 0; i < APP_MAX_CONNS; i++)
    if (app->conns[i].id != 0)
      conn_drop(app, &app->conns[i]);
  for (i = 0; i < app->local_count; i++) {
    struct app_local *lo = &app->locals[i];
    if (lo->udp_ike_fd >= 0)
      close(lo->udp_ike_fd);
    if (lo->udp_natt_fd >= 0)
      close(lo->udp_natt_fd);
    if (lo->listen_fd >= 0)
      close(lo->listen_fd);
  }
  app->local_count = 0;
  if (app->esp_fd >= 0)
    close(app->esp_fd);
  app->esp_fd = -1;
  platform_segment_guard_remove(app->guard);
  app->guard = NULL;
  platform_segment_close(app->segments);
  app->segments = NULL;
}
