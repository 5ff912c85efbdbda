/*
 * Status text in the shape of FortiOS `diagnose vpn ike gateway list` and
 * `diagnose vpn tunnel list`, built from the gateway's status snapshot.
 * Keys are never printed.
 */
#include "gateway.h"

#include <string.h>

static const char *transport_name(uint8_t t) {
  switch (t) {
  case TCPSEC_GW_ON_UDP:
    return "UDP";
  case TCPSEC_GW_ON_UDP_NATT:
    return "UDP-NATT";
  case TCPSEC_GW_ON_TCP:
    return "TCP";
  case TCPSEC_GW_ON_TCP_SEGMENTS:
    return "TCP (fortinet-esp)";
  default:
    return "none";
  }
}

static const char *state_name(int state) {
  switch (state) {
  case TCPSEC_IKE_SA_IDLE:
    return "idle";
  case TCPSEC_IKE_SA_INIT_SENT:
    return "connecting";
  case TCPSEC_IKE_SA_HALF_OPEN:
    return "half-open";
  case TCPSEC_IKE_SA_AUTH_SENT:
    return "authenticating";
  case TCPSEC_IKE_SA_ESTABLISHED:
    return "established";
  case TCPSEC_IKE_SA_DELETING:
    return "deleting";
  case TCPSEC_IKE_SA_DELETED:
    return "deleted";
  case TCPSEC_IKE_SA_FAILED:
    return "failed";
  default:
    return "down";
  }
}

static void endpoint_text(const tcpsec_ike_endpoint *ep, char *buf,
                          size_t len) {
  struct net_endpoint e;

  memset(&e, 0, sizeof(e));
  if (ep->family != 0) {
    e.addr.family = ep->family == 4 ? NET_FAMILY_IPV4 : NET_FAMILY_IPV6;
    memcpy(e.addr.bytes, ep->addr, ep->family == 4 ? 4 : 16);
    e.port = ep->port;
  }
  net_endpoint_format(&e, buf, len);
}

static void addr_text(const uint8_t *addr, uint8_t family, char *buf,
                      size_t len) {
  struct net_addr a;

  memset(&a, 0, sizeof(a));
  a.family = family == 4 ? NET_FAMILY_IPV4 : NET_FAMILY_IPV6;
  memcpy(a.bytes, addr, family == 4 ? 4 : 16);
  net_addr_format(&a, buf, len);
}

static void hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

static void gateway_list(struct app *app, struct platform_text *t,
                         uint64_t now) {
  size_t n = tcpsec_gw_instance_count(app->gw), i;

  platform_text_printf(t, "vd: root/0\n");
  for (i = 0; i < n; i++) {
    tcpsec_gw_ike_status s;
    char local[NET_ENDPOINT_TEXT_MAX], remote[NET_ENDPOINT_TEXT_MAX];
    char spi_i[17], spi_r[17];

    memset(&s, 0, sizeof(s));
    s.size = sizeof(s);
    if (tcpsec_gw_get_ike_status(app->gw, i, now, &s) != 0)
      continue;
    endpoint_text(&s.local, local, sizeof(local));
    endpoint_text(&s.remote, remote, sizeof(remote));
    hex(s.spi_i, 8, spi_i);
    hex(s.spi_r, 8, spi_r);
    platform_text_printf(t, "name: %s\n", s.name);
    platform_text_printf(t, "version: 2\n");
    platform_text_printf(t, "addr: %s -> %s\n", local, remote);
    platform_text_printf(t, "transport: %s\n", transport_name(s.transport));
    if (s.transport == TCPSEC_GW_ON_TCP ||
        s.transport == TCPSEC_GW_ON_TCP_SEGMENTS)
      platform_text_printf(t,
                           "tcp: connections=%u failed=%u rx_frames=%llu "
                           "tx_frames=%llu drops=%llu\n",
                           s.tcp_connections, s.tcp_connect_failures,
                           (unsigned long long)s.tcp_frames_in,
                           (unsigned long long)s.tcp_frames_out,
                           (unsigned long long)s.drops);
    platform_text_printf(t, "created: %llus ago\n",
                         (unsigned long long)((now - s.created_ms) / 1000));
    platform_text_printf(t, "peer-id: %s\n",
                         s.peer_id[0] ? s.peer_id : "-");
    platform_text_printf(t, "peer-auth: %s\n",
                         s.peer_auth_method == TCPSEC_IKE_AUTH_PSK ? "psk"
                         : s.peer_auth_method != 0                 ? "signature"
                                                                   : "-");
    if (s.last_error != 0)
      platform_text_printf(t, "last-error: %s (%s)\n",
                           tcpsec_strerror(s.last_error),
                           tcpsec_strerror_name(s.last_error));
    platform_text_printf(t, "nat: %s\n",
                         s.nat == 0   ? "none"
                         : s.nat == 1 ? "me"
                         : s.nat == 2 ? "peer"
                                      : "me peer");
    platform_text_printf(t, "IKE SA: created %u  established %u\n",
                         s.ike_created, s.ike_established);
    platform_text_printf(t, "IPsec SA: created %u  established %u\n",
                         s.child_created, s.child_count);
    platform_text_printf(t, "\n  id/spi: %s/%s\n", spi_i, spi_r);
    platform_text_printf(t, "  direction: %s\n",
                         s.initiator ? "initiator" : "responder");
    if (s.established_ms != 0)
      platform_text_printf(t, "  status: %s %llus ago\n", state_name(s.state),
                           (unsigned long long)((now - s.established_ms) /
                                                1000));
    else
      platform_text_printf(t, "  status: %s\n", state_name(s.state));
    platform_text_printf(t, "  proposal: %s\n", s.proposal);
    /* As FortiOS: the lifetime, then the seconds left before the rekey. */
    platform_text_printf(t, "  lifetime/rekey: %llu/%llu\n",
                         (unsigned long long)(s.lifetime_ms / 1000),
                         (unsigned long long)(s.rekey_in_ms / 1000));
    platform_text_printf(t, "  expires in: %llus\n",
                         (unsigned long long)(s.expires_in_ms / 1000));
    platform_text_printf(t, "  rekeys: ike=%llu child=%llu collisions=%llu "
                            "refused=%llu\n",
                         (unsigned long long)s.ike_rekeys,
                         (unsigned long long)s.child_rekeys,
                         (unsigned long long)s.rekey_collisions,
                         (unsigned long long)s.create_child_refused);
    platform_text_printf(t, "  DPD interval: %us, messages in/out/retransmit: "
                            "%llu/%llu/%llu\n\n",
                         s.dpd_interval_ms / 1000,
                         (unsigned long long)s.ike_messages_in,
                         (unsigned long long)s.ike_messages_out,
                         (unsigned long long)s.ike_retransmits);
  }
}

static void selector_text(const char *label,
                          const tcpsec_ike_traffic_selector *ts,
                          struct platform_text *t) {
  char a[NET_ADDR_TEXT_MAX], b[NET_ADDR_TEXT_MAX];

  addr_text(ts->start_addr, ts->family, a, sizeof(a));
  addr_text(ts->end_addr, ts->family, b, sizeof(b));
  platform_text_printf(t, "  %s: %u:%s-%s:%u\n", label, ts->ip_proto, a, b,
                       ts->start_port == 0 && ts->end_port == 65535
                           ? 0u
                           : (unsigned)ts->start_port);
}

static void tunnel_list(struct app *app, struct platform_text *t,
                        uint64_t now) {
  size_t n = tcpsec_gw_instance_count(app->gw), i, k;
  tcpsec_gw_stats drops;

  platform_text_printf(t, "list all ipsec tunnel in vd 0\n");
  for (i = 0; i < n; i++) {
    tcpsec_gw_ike_status s;
    char local[NET_ENDPOINT_TEXT_MAX], remote[NET_ENDPOINT_TEXT_MAX];
    uint64_t rxp = 0, txp = 0, rxb = 0, txb = 0;

    memset(&s, 0, sizeof(s));
    s.size = sizeof(s);
    if (tcpsec_gw_get_ike_status(app->gw, i, now, &s) != 0)
      continue;
    for (k = 0; k < s.child_count; k++) {
      tcpsec_gw_child_status c;
      memset(&c, 0, sizeof(c));
      c.size = sizeof(c);
      if (tcpsec_gw_get_child_status(app->gw, i, k, now, &c) != 0)
        continue;
      rxp += c.packets_in;
      txp += c.packets_out;
      rxb += c.bytes_in;
      txb += c.bytes_out;
    }
    endpoint_text(&s.local, local, sizeof(local));
    endpoint_text(&s.remote, remote, sizeof(remote));
    platform_text_printf(t, "-----------------------------------------------"
                            "-------\n");
    platform_text_printf(t, "name=%s ver=2 %s->%s transport=%s\n", s.name,
                         local, remote, transport_name(s.transport));
    platform_text_printf(t, "mode=%s status=%s child_num=%u\n",
                         s.type == TCPSEC_GW_DYNAMIC ? "dial_inst"
                                                     : "static",
                         state_name(s.state), s.child_count);
    platform_text_printf(t, "stat: rxp=%llu txp=%llu rxb=%llu txb=%llu\n",
                         (unsigned long long)rxp, (unsigned long long)txp,
                         (unsigned long long)rxb, (unsigned long long)txb);
    platform_text_printf(t, "dpd: interval=%ums\n", s.dpd_interval_ms);
    platform_text_printf(t, "natt: %s\n", s.nat ? "active" : "none");
    for (k = 0; k < s.child_count; k++) {
      tcpsec_gw_child_status c;
      memset(&c, 0, sizeof(c));
      c.size = sizeof(c);
      if (tcpsec_gw_get_child_status(app->gw, i, k, now, &c) != 0)
        continue;
      platform_text_printf(t, "proxyid=%s sa=1\n", s.tunnel);
      selector_text("src", &c.local_ts, t);
      selector_text("dst", &c.remote_ts, t);
      platform_text_printf(t,
                           "  SA: mtu=%u expire=%llu/%llus rekey=%llus "
                           "replaywin=%u seqno=%llx pfs=%u%s\n",
                           c.mtu, (unsigned long long)(c.expires_in_ms / 1000),
                           (unsigned long long)(c.lifetime_ms / 1000),
                           (unsigned long long)(c.rekey_in_ms / 1000),
                           c.replay_window, (unsigned long long)c.seq_out,
                           (unsigned)c.pfs_group,
                           c.replaced ? " replaced" : "");
      platform_text_printf(t, "  dec: spi=%08x esp=%s pkts/bytes=%llu/%llu "
                              "errors=%llu\n",
                           (unsigned)c.spi_in, c.proposal,
                           (unsigned long long)c.packets_in,
                           (unsigned long long)c.bytes_in,
                           (unsigned long long)c.errors_in);
      platform_text_printf(t, "  enc: spi=%08x esp=%s pkts/bytes=%llu/%llu\n",
                           (unsigned)c.spi_out, c.proposal,
                           (unsigned long long)c.packets_out,
                           (unsigned long long)c.bytes_out);
    }
  }

  /* Gateway-wide counts of packets that no tunnel took. */
  memset(&drops, 0, sizeof(drops));
  drops.size = sizeof(drops);
  if (tcpsec_gw_get_stats(app->gw, &drops) == 0)
    platform_text_printf(t,
                         "------------------------------------------------"
                         "------\ndrops: no_policy=%llu tunnel_down=%llu "
                         "unknown=%llu\n",
                         (unsigned long long)drops.drops_no_policy,
                         (unsigned long long)drops.drops_tunnel_down,
                         (unsigned long long)drops.drops_unknown);
}

void app_status(struct app *app, const char *command,
                struct platform_text *reply) {
  uint64_t now = platform_now_ms();

  if (strcmp(command, "status") == 0) {
    gateway_list(app, reply, now);
    tunnel_list(app, reply, now);
  } else if (strcmp(command, "gateway") == 0) {
    gateway_list(app, reply, now);
  } else if (strcmp(command, "tunnel") == 0) {
    tunnel_list(app, reply, now);
  } else {
    platform_text_printf(reply,
                         "unknown command '%s': use status, gateway or "
                         "tunnel\n",
                         command);
  }
}
