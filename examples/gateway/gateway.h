/*
 * The hub and spoke programs: one daemon that drives a tcpsec_gw with the
 * platform layer. The role (hub or spoke) comes from the configuration:
 * dial-up (type dynamic) tunnels make a hub, static tunnels a spoke.
 */
#ifndef EXAMPLE_GATEWAY_H
#define EXAMPLE_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "platform.h"
#include "tcpsec/gw.h"

#define APP_MAX_CONNS 4096
#define APP_MAX_LOCAL 8
#define APP_TCP_OUTBUF_MAX (4u << 20) /* bytes queued per TCP connection */
#define APP_PACKET_BUF 65536

struct app_conn {
  tcpsec_gw_conn id; /* 0: slot free */
  int fd;
  int connecting;
  uint8_t *out;      /* bytes the socket has not taken yet */
  size_t out_len;
  size_t out_cap;
};

struct app_local {
  struct net_addr addr;
  int udp_ike_fd;  /* port 500 (ike-port) */
  int udp_natt_fd; /* port 4500 (ike-natt-port) */
  int listen_fd;   /* TCP listener on ike-tcp-port, or -1 */
};

struct app {
  const char *program;
  struct config cfg;
  struct platform_loop *loop;
  tcpsec_ctx *ctx;
  tcpsec_gw *gw;

  struct app_local locals[APP_MAX_LOCAL];
  size_t local_count;
  int esp_fd; /* raw IP protocol 50, for UDP tunnels without NAT */

  struct app_conn conns[APP_MAX_CONNS];

  struct platform_tun tun;
  int tun_open;
  struct net_prefix routes[CONFIG_ROUTES_MAX * 4];
  size_t route_count;

  struct platform_segment_socket *segments;
  struct platform_segment_guard *guard;

  struct platform_control *control;
  FILE *keylog;

  int stopping;
  uint64_t stop_deadline;
  uint8_t packet[APP_PACKET_BUF + TCPSEC_GW_HEADROOM + TCPSEC_GW_TAILROOM];
  struct platform_log_limit tun_drop_limit;
};

/* Entry point shared by tcpsec-hub and tcpsec-spoke. */
int gateway_main(const char *program, int argc, char **argv);

/* gateway_net.c: sockets, connections and the library's I/O callbacks. */
int app_net_open(struct app *app);
void app_net_close(struct app *app);
void app_set_callbacks(struct app *app, tcpsec_gw_callbacks *cb);
void app_arm_timer(struct app *app);
void app_endpoint_to_ike(const struct net_endpoint *in,
                         tcpsec_ike_endpoint *out);
void app_addr_to_ike(const struct net_addr *in, uint16_t port,
                     tcpsec_ike_endpoint *out);

/* credentials.c: the certificate and key files of one tunnel. */
struct app_credentials {
  uint8_t *chain; /* local certificate chain, end-entity first */
  size_t chain_len;
  uint8_t *key; /* private key; wiped by app_credentials_free() */
  size_t key_len;
  uint8_t *anchors; /* trusted CA certificates */
  size_t anchors_len;
};

/* Read the files the phase 1 entry's authentication needs; nothing for a
 * PSK in both directions. Returns 0, or -1 after logging which file of
 * which entry failed. */
int app_credentials_load(const struct config *cfg,
                         const struct config_phase1 *p1,
                         struct app_credentials *c);
void app_credentials_free(struct app_credentials *c);

/* status.c: the FortiOS-style status text. */
void app_status(struct app *app, const char *command,
                struct platform_text *reply);

#endif /* EXAMPLE_GATEWAY_H */
