/*
 * Daemon set-up: command line, configuration to tcpsec_gw tunnels, TUN
 * device and routes, control socket, signals and the event loop.
 */
#include "gateway.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *program) {
  fprintf(f,
          "usage: %s -c CONFIG [-l LEVEL] [-k KEYLOG] [status]\n"
          "\n"
          "  -c CONFIG  configuration file in FortiOS CLI syntax\n"
          "  -l LEVEL   log level: error, warning, notice, info or debug\n"
          "             (default: the file's log-level, else notice)\n"
          "  -k KEYLOG  append the IKE and ESP keys of every SA to KEYLOG as\n"
          "             Wireshark decryption table rows. This exposes every\n"
          "             key: use it only to debug test set-ups.\n"
          "  status     print the gateway and tunnel lists of the running\n"
          "             daemon (read from its control socket) and exit\n",
          program);
}

static int parse_level(const char *text, tcpsec_log_level *out) {
  static const char *const names[] = {"error", "warning", "notice", "info",
                                      "debug"};
  int i;

  for (i = 0; i < 5; i++)
    if (strcmp(text, names[i]) == 0) {
      *out = (tcpsec_log_level)i;
      return 0;
    }
  return -1;
}

static const char *control_path(const struct app *app) {
  if (app->cfg.tcpsec.control_socket[0] != '\0')
    return app->cfg.tcpsec.control_socket;
  return strcmp(app->program, "tcpsec-hub") == 0 ? "/run/tcpsec-hub.sock"
                                                 : "/run/tcpsec-spoke.sock";
}

/* ---- configuration to library tunnels -------------------------------- */

static void prefix_to_ts(const struct net_prefix *p,
                         tcpsec_ike_traffic_selector *ts) {
  size_t n = p->addr.family == NET_FAMILY_IPV4 ? 4 : 16, i;

  memset(ts, 0, sizeof(*ts));
  ts->family = p->addr.family == NET_FAMILY_IPV4 ? 4 : 6;
  ts->end_port = 65535;
  for (i = 0; i < n; i++) {
    unsigned bits = p->length > i * 8 ? p->length - (unsigned)i * 8 : 0;
    uint8_t mask = (uint8_t)(bits >= 8 ? 0xffu : 0xffu << (8 - bits));
    ts->start_addr[i] = (uint8_t)(p->addr.bytes[i] & mask);
    ts->end_addr[i] = (uint8_t)(p->addr.bytes[i] | (uint8_t)~mask);
  }
}

static const struct config_phase2 *phase2_of(const struct config *cfg,
                                             const char *phase1) {
  size_t i;

  for (i = 0; i < cfg->phase2_count; i++)
    if (strcmp(cfg->phase2[i].phase1name, phase1) == 0)
      return &cfg->phase2[i];
  return NULL;
}

/* Hard lifetimes from phase 1 and 2 (FortiOS keylife, keylifeseconds,
 * keylifekbs with keylife-type), soft ones from the tcpsec tunnel entry. */
static void set_lifetimes(const struct config_phase1 *p1,
                          const struct config_phase2 *p2,
                          const struct config_tunnel *tb,
                          tcpsec_gw_tunnel_config *t) {
  if (p1->keylife_s > 0)
    t->ike_lifetime_ms = (uint64_t)p1->keylife_s * 1000u;
  t->child_lifetime_ms = p2->keylife_type == CONFIG_KEYLIFE_KBS
                             ? 0
                             : (uint64_t)p2->keylife_s * 1000u;
  t->child_lifetime_bytes = p2->keylife_type == CONFIG_KEYLIFE_SECONDS
                                ? 0
                                : (uint64_t)p2->keylife_kbs * 1024u;
  t->rekey = (uint8_t)p1->rekey;
  if (tb == NULL)
    return;
  t->ike_rekey_ms = (uint64_t)tb->ike_rekey_s * 1000u;
  t->child_rekey_ms = (uint64_t)tb->child_rekey_s * 1000u;
  t->child_rekey_bytes = (uint64_t)tb->child_rekey_kbs * 1024u;
  t->rekey_jitter_percent = (uint8_t)tb->rekey_jitter_percent;
  t->rekey_grace_ms = tb->rekey_grace_s * 1000u;
  t->tcp_reconnect_max_ms = tb->tcp_reconnect_max_s * 1000u;
}

/* Authentication: a PSK, a certificate and key, trust anchors, or a mix
 * (FortiOS authmethod and authmethod-remote). The library copies the
 * bytes, so `creds` may be freed after tcpsec_gw_add_tunnel(). */
static void set_authentication(const struct config_phase1 *p1,
                               const struct config_tunnel *tb,
                               const struct app_credentials *creds,
                               tcpsec_gw_tunnel_config *t) {
  t->auth_method = p1->authmethod == CONFIG_AUTH_SIGNATURE
                       ? TCPSEC_IKE_AUTH_SIGNATURE
                       : TCPSEC_IKE_AUTH_PSK;
  if (p1->authmethod_remote == CONFIG_AUTH_SAME)
    t->remote_auth_method = 0;
  else
    t->remote_auth_method = p1->authmethod_remote == CONFIG_AUTH_SIGNATURE
                                ? TCPSEC_IKE_AUTH_SIGNATURE
                                : TCPSEC_IKE_AUTH_PSK;
  if (p1->psk_len > 0) {
    t->psk = (const uint8_t *)p1->psk;
    t->psk_len = p1->psk_len;
  }
  t->cert_chain = creds->chain;
  t->cert_chain_len = creds->chain_len;
  t->private_key = creds->key;
  t->private_key_len = creds->key_len;
  t->trust_anchors = creds->anchors;
  t->trust_anchors_len = creds->anchors_len;
  t->rsa_pss = p1->rsa_signature_format == CONFIG_RSA_PSS;
  if (tb != NULL)
    t->send_certreq = (uint8_t)tb->send_certreq;
}

static int add_tunnel(struct app *app, const struct config_phase1 *p1) {
  const struct config_phase2 *p2 = phase2_of(&app->cfg, p1->name);
  const struct config_tunnel *tb = config_find_tunnel(&app->cfg, p1->name);
  char ike_props[CONFIG_PROPOSALS_MAX * (CONFIG_PROPOSAL_TEXT_MAX + 1)];
  char esp_props[sizeof(ike_props)];
  tcpsec_ike_traffic_selector lts, rts;
  tcpsec_gw_tunnel_config t;
  struct app_credentials creds;
  uint8_t local_id[CONFIG_ID_MAX + 1], peer_id[CONFIG_ID_MAX + 1];
  int rv;

  if (p2 == NULL) {
    platform_log(TCPSEC_LOG_ERROR, "config",
                 "phase1-interface \"%s\" has no phase2-interface with "
                 "phase1name \"%s\"; add one with src-subnet and dst-subnet",
                 p1->name, p1->name);
    return -1;
  }
  tcpsec_gw_tunnel_config_default(&t);
  t.name = p1->name;
  t.type = p1->type == CONFIG_TYPE_DYNAMIC ? TCPSEC_GW_DYNAMIC
                                           : TCPSEC_GW_STATIC;
  app_addr_to_ike(&p1->local_gw, 0, &t.local);
  if (p1->type == CONFIG_TYPE_STATIC)
    app_addr_to_ike(&p1->remote_gw, 0, &t.remote_gw);
  if (app_credentials_load(&app->cfg, p1, &creds) != 0)
    return -1;
  set_authentication(p1, tb, &creds, &t);
  if (p1->localid[0] != '\0') {
    t.local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
    t.local_id.len = strlen(p1->localid);
    memcpy(local_id, p1->localid, t.local_id.len);
    t.local_id.data = local_id;
  }
  if (p1->peerid[0] != '\0') {
    t.peer_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
    t.peer_id.len = strlen(p1->peerid);
    memcpy(peer_id, p1->peerid, t.peer_id.len);
    t.peer_id.data = peer_id;
  }
  if (p1->proposal.count > 0 &&
      config_proposals_join(&p1->proposal, ike_props, sizeof(ike_props)) >= 0)
    t.ike_proposals = ike_props;
  if (p2->proposal.count > 0 &&
      config_proposals_join(&p2->proposal, esp_props, sizeof(esp_props)) >= 0)
    t.esp_proposals = esp_props;
  t.dh_groups = p1->dhgrp.group;
  t.dh_group_count = p1->dhgrp.count;
  if (p2->pfs) {
    t.pfs_groups = p2->dhgrp.count > 0 ? p2->dhgrp.group : p1->dhgrp.group;
    t.pfs_group_count =
        p2->dhgrp.count > 0 ? p2->dhgrp.count : p1->dhgrp.count;
  }
  prefix_to_ts(&p2->src_subnet, &lts);
  prefix_to_ts(&p2->dst_subnet, &rts);
  t.local_ts = &lts;
  t.local_ts_count = 1;
  t.remote_ts = &rts;
  t.remote_ts_count = 1;
  t.transport = p1->transport == CONFIG_TRANSPORT_UDP   ? TCPSEC_GW_TRANSPORT_UDP
                : p1->transport == CONFIG_TRANSPORT_TCP ? TCPSEC_GW_TRANSPORT_TCP
                                                        : TCPSEC_GW_TRANSPORT_AUTO;
  if (t.type == TCPSEC_GW_DYNAMIC && t.transport == TCPSEC_GW_TRANSPORT_AUTO)
    t.transport = TCPSEC_GW_TRANSPORT_UDP; /* a hub accepts both anyway */
  t.fortinet_esp = (uint8_t)p1->fortinet_esp;
  if (tb != NULL)
    t.segment_placement = tb->segment_sequence == CONFIG_SEGMENT_AHEAD
                              ? TCPSEC_SEGMENT_AHEAD
                              : TCPSEC_SEGMENT_BEHIND;
  t.tcp_port = app->cfg.system.ike_tcp_port;
  t.auto_transport_threshold_ms = p1->auto_transport_threshold_s * 1000u;
  set_lifetimes(p1, p2, tb, &t);
  t.dpd_interval_ms = p1->dpd == CONFIG_DPD_DISABLE
                          ? 0
                          : p1->dpd_retry_interval_s * 1000u;
  if (p1->dpd_retry_count > 0)
    t.retransmit_limit = p1->dpd_retry_count;
  t.replay_window = p2->replay ? TCPSEC_ESP_REPLAY_WINDOW_DEFAULT : 0;
  t.nat_keepalive_ms = p1->keepalive_s * 1000u;

  rv = tcpsec_gw_add_tunnel(app->gw, &t);
  app_credentials_free(&creds);
  if (rv != 0) {
    platform_log(TCPSEC_LOG_ERROR, "config",
                 "phase1-interface \"%s\" (line %u) rejected: %s", p1->name,
                 p1->line, tcpsec_strerror(rv));
    return -1;
  }
  return 0;
}

/* ---- TUN device ------------------------------------------------------- */

static void on_tun(struct platform_loop *loop, int fd, unsigned events,
                   void *user);

static int open_tun(struct app *app) {
  const struct config_tunnel *tb =
      app->cfg.tunnel_count > 0 ? &app->cfg.tunnel[0] : NULL;
  size_t i, j;
  int rc;

  rc = platform_tun_open(tb != NULL ? tb->tun_name : "", &app->tun);
  if (rc < 0) {
    platform_log(TCPSEC_LOG_ERROR, "tun", "cannot open the TUN device: %s",
                 strerror(-rc));
    return -1;
  }
  app->tun_open = 1;
  for (i = 0; i < app->cfg.tunnel_count; i++) {
    tb = &app->cfg.tunnel[i];
    if (tb->tunnel_address.addr.family != NET_FAMILY_NONE) {
      rc = platform_tun_add_address(&app->tun, &tb->tunnel_address);
      if (rc < 0 && rc != -EEXIST)
        platform_log(TCPSEC_LOG_WARNING, "tun",
                     "cannot add the tunnel address: %s", strerror(-rc));
    }
  }
  rc = platform_tun_set_mtu(&app->tun, app->cfg.tunnel_count > 0 &&
                                               app->cfg.tunnel[0].mtu > 0
                                           ? app->cfg.tunnel[0].mtu
                                           : 1400);
  if (rc == 0)
    rc = platform_tun_up(&app->tun);
  if (rc < 0) {
    platform_log(TCPSEC_LOG_ERROR, "tun", "cannot bring %s up: %s",
                 app->tun.name, strerror(-rc));
    return -1;
  }
  for (i = 0; i < app->cfg.tunnel_count; i++)
    for (j = 0; j < app->cfg.tunnel[i].route_count; j++) {
      const struct net_prefix *r = &app->cfg.tunnel[i].routes[j];
      rc = platform_route_add(&app->tun, r);
      if (rc < 0) {
        char text[NET_PREFIX_TEXT_MAX];
        net_prefix_format(r, text, sizeof(text));
        platform_log(TCPSEC_LOG_WARNING, "tun", "cannot add route %s: %s",
                     text, strerror(-rc));
        continue;
      }
      if (app->route_count < sizeof(app->routes) / sizeof(app->routes[0]))
        app->routes[app->route_count++] = *r;
    }
  rc = platform_loop_add(app->loop, app->tun.fd, PLATFORM_EVENT_READ, on_tun,
                         app);
  if (rc < 0)
    return -1;
  platform_log(TCPSEC_LOG_NOTICE, "tun", "%s up with %zu route(s)",
               app->tun.name, app->route_count);
  return 0;
}

static void close_tun(struct app *app) {
  size_t i;

  if (!app->tun_open)
    return;
  for (i = 0; i < app->route_count; i++)
    (void)platform_route_delete(&app->tun, &app->routes[i]);
  (void)platform_loop_remove(app->loop, app->tun.fd);
  platform_tun_close(&app->tun);
  app->tun_open = 0;
}

/* Inner packets from the local network go into the tunnel. */
static void on_tun(struct platform_loop *loop, int fd, unsigned events,
                   void *user) {
  struct app *app = user;
  uint8_t *inner = app->packet + TCPSEC_GW_HEADROOM;
  int batch, rv;

  (void)loop;
  (void)fd;
  (void)events;
  for (batch = 0; batch < 64; batch++) {
    ssize_t n = platform_tun_read(&app->tun, inner, APP_PACKET_BUF);
    uint64_t suppressed;

    if (n <= 0)
      break;
    rv = tcpsec_gw_send_packet(app->gw, app->packet, TCPSEC_GW_HEADROOM,
                               (size_t)n, sizeof(app->packet),
                               platform_now_ms());
    if (rv != 0 && platform_log_limit_check(&app->tun_drop_limit,
                                            platform_now_ms(), &suppressed))
      platform_log(TCPSEC_LOG_INFO, "tun",
                   "packet from the TUN device dropped: %s (%llu more "
                   "dropped since the last message)",
                   tcpsec_strerror(rv), (unsigned long long)suppressed);
  }
  app_arm_timer(app);
}

/* ---- control, signals ------------------------------------------------- */

static void on_control(void *user, const char *command,
                       struct platform_text *reply) {
  app_status(user, command, reply);
}

static void on_signal(struct platform_loop *loop, int signo, void *user) {
  struct app *app = user;
  uint64_t now = platform_now_ms();

  if (app->stopping) {
    platform_loop_stop(loop);
    return;
  }
  platform_log(TCPSEC_LOG_NOTICE, "main",
               "signal %d: deleting the SAs and stopping", signo);
  app->stopping = 1;
  app->stop_deadline = now + 1500;
  (void)tcpsec_gw_shutdown(app->gw, now);
  app_arm_timer(app);
}

static void on_gw_log(void *user, tcpsec_log_level level,
                      const char *subsystem, const char *message) {
  platform_log_tcpsec(user, level, subsystem, message);
}

/* ---- main ------------------------------------------------------------- */

static int load_config(struct app *app, const char *path) {
  struct config_error err;
  int rv;

  config_init(&app->cfg);
  rv = config_load_file(path, &app->cfg, &err);
  if (rv != 0) {
    fprintf(stderr, "%s: %s\n", app->program, err.text);
    return -1;
  }
  if (app->cfg.phase1_count == 0) {
    fprintf(stderr, "%s: %s: no phase1-interface configured\n", app->program,
            path);
    return -1;
  }
  return 0;
}

static int run_status(struct app *app) {
  int rc = platform_control_request(control_path(app), "status", 1, 3000);

  if (rc < 0) {
    fprintf(stderr, "%s: cannot reach the daemon at %s: %s\n", app->program,
            control_path(app), strerror(-rc));
    return 1;
  }
  return 0;
}

static int start(struct app *app) {
  tcpsec_ctx_config ccfg;
  tcpsec_gw_callbacks cb;
  size_t i;
  int rc;

  tcpsec_ctx_config_default(&ccfg);
  ccfg.log = on_gw_log;
  ccfg.log_level = TCPSEC_LOG_DEBUG;
  rc = tcpsec_ctx_new(&ccfg, &app->ctx);
  if (rc == 0) {
    app_set_callbacks(app, &cb);
    rc = tcpsec_gw_new(app->ctx, NULL, &cb, &app->gw);
  }
  if (rc != 0) {
    platform_log(TCPSEC_LOG_ERROR, "main", "cannot create the gateway: %s",
                 tcpsec_strerror(rc));
    return -1;
  }
  for (i = 0; i < app->cfg.phase1_count; i++)
    if (add_tunnel(app, &app->cfg.phase1[i]) != 0)
      return -1;

  rc = platform_loop_new(&app->loop);
  if (rc < 0 || platform_loop_watch_signals(app->loop, on_signal, app) < 0)
    return -1;
  if (app_net_open(app) != 0 || open_tun(app) != 0)
    return -1;
  rc = platform_control_open(app->loop, control_path(app), on_control, app,
                             &app->control);
  if (rc < 0) {
    platform_log(TCPSEC_LOG_ERROR, "main",
                 "cannot open the control socket %s: %s", control_path(app),
                 strerror(-rc));
    return -1;
  }
  (void)tcpsec_gw_start(app->gw, platform_now_ms());
  app_arm_timer(app);
  return 0;
}

static void stop(struct app *app) {
  platform_control_close(app->control);
  close_tun(app);
  app_net_close(app);
  tcpsec_gw_free(app->gw);
  tcpsec_ctx_free(app->ctx);
  platform_loop_free(app->loop);
  if (app->keylog != NULL)
    fclose(app->keylog);
  config_free(&app->cfg);
}

int gateway_main(const char *program, int argc, char **argv) {
  static struct app app;
  const char *config_path = NULL, *keylog = NULL;
  tcpsec_log_level level = TCPSEC_LOG_NOTICE;
  int level_set = 0, opt, rc;

  memset(&app, 0, sizeof(app));
  app.program = program;
  app.esp_fd = -1;
  while ((opt = getopt(argc, argv, "c:l:k:h")) != -1) {
    switch (opt) {
    case 'c':
      config_path = optarg;
      break;
    case 'l':
      if (parse_level(optarg, &level) != 0) {
        fprintf(stderr, "%s: -l: unknown level '%s'\n", program, optarg);
        return 2;
      }
      level_set = 1;
      break;
    case 'k':
      keylog = optarg;
      break;
    case 'h':
      usage(stdout, program);
      return 0;
    default:
      usage(stderr, program);
      return 2;
    }
  }
  if (config_path == NULL) {
    usage(stderr, program);
    return 2;
  }
  if (load_config(&app, config_path) != 0)
    return 1;
  if (optind < argc) {
    if (strcmp(argv[optind], "status") != 0) {
      fprintf(stderr, "%s: unknown command '%s'\n", program, argv[optind]);
      return 2;
    }
    rc = run_status(&app);
    config_free(&app.cfg);
    return rc;
  }

  for (size_t i = 0; i < app.cfg.notice_count; i++)
    fprintf(stderr, "%s: notice: %s\n", program, app.cfg.notices[i].text);
  if (!level_set && app.cfg.tcpsec.log_level >= 0)
    level = (tcpsec_log_level)app.cfg.tcpsec.log_level;
  platform_log_init(program, level);
  app.tun_drop_limit.period_ms = 10000;
  if (keylog != NULL) {
    app.keylog = fopen(keylog, "a");
    if (app.keylog == NULL) {
      fprintf(stderr, "%s: -k %s: %s\n", program, keylog, strerror(errno));
      return 1;
    }
    setvbuf(app.keylog, NULL, _IOLBF, 0);
    platform_log(TCPSEC_LOG_WARNING, "main",
                 "key log %s enabled: it exposes every key", keylog);
  }

  if (start(&app) != 0) {
    stop(&app);
    return 1;
  }
  platform_log(TCPSEC_LOG_NOTICE, "main", "running with %zu tunnel(s)",
               app.cfg.phase1_count);
  rc = platform_loop_run(app.loop);
  stop(&app);
  platform_log(TCPSEC_LOG_NOTICE, "main", "stopped");
  return rc < 0 ? 1 : 0;
}
