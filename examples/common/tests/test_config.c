/* Unit tests for the configuration parser of the example programs: the
 * reference scenario's blocks, every keyword, every error and the limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "config.h"

#define KEY "tcpsec-lab-9c1e4b7a52d8"

/* The hub and spoke blocks exactly as an administrator types them, with a
 * key in place of the placeholder. */
static const char hub_reference[] =
    "config system settings\n"
    "    set ike-tcp-service enable\n"
    "    set ike-tcp-port 1443\n"
    "end\n"
    "config vpn ipsec phase1-interface\n"
    "    edit \"Hub\"\n"
    "        set type dynamic\n"
    "        set interface \"port3\"\n"
    "        set ike-version 2\n"
    "        set peertype any\n"
    "        set net-device disable\n"
    "        set proposal aes128-sha256 aes256-sha256 aes128gcm-prfsha256 "
    "aes256gcm-prfsha384 chacha20poly1305-prfsha256\n"
    "        set dhgrp 20 21\n"
    "        set fortinet-esp enable\n"
    "        set psksecret " KEY "\n"
    "    next\n"
    "end\n"
    "config vpn ipsec phase2-interface\n"
    "    edit \"Hub\"\n"
    "        set phase1name \"Hub\"\n"
    "        set proposal aes128-sha256 aes256-sha256 aes128gcm aes256gcm "
    "chacha20poly1305\n"
    "        set dhgrp 20 21\n"
    "    next\n"
    "end\n";

static const char spoke_reference[] =
    "config system settings\n"
    "    set ike-tcp-service enable\n"
    "    set ike-tcp-port 1443\n"
    "end\n"
    "config vpn ipsec phase1-interface\n"
    "    edit \"spoke\"\n"
    "        set interface \"wan1\"\n"
    "        set ike-version 2\n"
    "        set peertype any\n"
    "        set net-device disable\n"
    "        set proposal aes128-sha256 aes256-sha256 aes128gcm-prfsha256 "
    "aes256gcm-prfsha384 chacha20poly1305-prfsha256\n"
    "        set dhgrp 20 21\n"
    "        set transport auto\n"
    "        set fortinet-esp enable\n"
    "        set remote-gw 203.0.113.249\n"
    "        set psksecret " KEY "\n"
    "    next\n"
    "end\n"
    "config vpn ipsec phase2-interface\n"
    "    edit \"spoke\"\n"
    "        set phase1name \"spoke\"\n"
    "        set proposal aes128-sha256 aes256-sha256 aes128gcm aes256gcm "
    "chacha20poly1305\n"
    "        set dhgrp 20 21\n"
    "    next\n"
    "end\n";

static int parse_text(const char *text, struct config *cfg,
                      struct config_error *err) {
  config_init(cfg);
  return config_parse("t.conf", text, strlen(text), cfg, err);
}

/* Wrap one statement into a complete phase 1 entry; the statement is on
 * line 5. */
static int parse_phase1_line(const char *line, struct config *cfg,
                             struct config_error *err) {
  char text[2048];

  snprintf(text, sizeof(text),
           "config vpn ipsec phase1-interface\n"
           "edit \"p\"\n"
           "set remote-gw 192.0.2.1\n"
           "set psksecret " KEY "\n"
           "%s\n"
           "next\n"
           "end\n",
           line);
  return parse_text(text, cfg, err);
}

/* Same for phase 2; the statement is on line 8. */
static int parse_phase2_line(const char *line, struct config *cfg,
                             struct config_error *err) {
  char text[2048];

  snprintf(text, sizeof(text),
           "config vpn ipsec phase1-interface\n"
           "edit \"p\"\n"
           "set remote-gw 192.0.2.1\n"
           "set psksecret " KEY "\n"
           "end\n"
           "config vpn ipsec phase2-interface\n"
           "edit \"q\"\n"
           "%s\n"
           "set phase1name p\n"
           "end\n",
           line);
  return parse_text(text, cfg, err);
}

/* Same for the tcpsec tunnel entry; the statement is on line 8. */
static int parse_tunnel_line(const char *line, struct config *cfg,
                             struct config_error *err) {
  char text[2048];

  snprintf(text, sizeof(text),
           "config vpn ipsec phase1-interface\n"
           "edit \"p\"\n"
           "set type dynamic\n"
           "set psksecret " KEY "\n"
           "end\n"
           "config tcpsec tunnel\n"
           "edit p\n"
           "%s\n"
           "end\n",
           line);
  return parse_text(text, cfg, err);
}

static int has_notice(const struct config *cfg, const char *text) {
  size_t i;

  for (i = 0; i < cfg->notice_count; i++) {
    if (strcmp(cfg->notices[i].text, text) == 0)
      return 1;
  }
  return 0;
}

/* ---- the reference scenario ------------------------------------------- */

static void reference_hub_loads(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;
  const struct config_phase2 *p2;
  char joined[256];
  int length;

  (void)state;
  assert_int_equal(parse_text(hub_reference, &cfg, &err), 0);
  assert_int_equal(cfg.system.ike_tcp_service, 1);
  assert_int_equal(cfg.system.ike_tcp_port, 1443);

  assert_int_equal(cfg.phase1_count, 1);
  p1 = config_find_phase1(&cfg, "Hub");
  assert_non_null(p1);
  assert_int_equal(p1->line, 6);
  assert_int_equal(p1->type, CONFIG_TYPE_DYNAMIC);
  assert_string_equal(p1->interface, "port3");
  assert_int_equal(p1->peertype, CONFIG_PEERTYPE_ANY);
  assert_int_equal(p1->proposal.count, 5);
  length = config_proposals_join(&p1->proposal, joined, sizeof(joined));
  assert_int_equal(length, (int)strlen(joined));
  assert_string_equal(joined, "aes128-sha256 aes256-sha256 "
                              "aes128gcm-prfsha256 aes256gcm-prfsha384 "
                              "chacha20poly1305-prfsha256");
  assert_int_equal(p1->dhgrp.count, 2);
  assert_int_equal(p1->dhgrp.group[0], 20);
  assert_int_equal(p1->dhgrp.group[1], 21);
  assert_int_equal(p1->fortinet_esp, 1);
  assert_int_equal(p1->transport, CONFIG_TRANSPORT_UDP);
  assert_int_equal(p1->psk_len, strlen(KEY));
  assert_memory_equal(p1->psk, KEY, strlen(KEY));
  assert_int_equal(p1->remote_gw.family, NET_FAMILY_NONE);

  assert_int_equal(cfg.phase2_count, 1);
  p2 = &cfg.phase2[0];
  assert_string_equal(p2->name, "Hub");
  assert_string_equal(p2->phase1name, "Hub");
  assert_int_equal(p2->proposal.count, 5);
  assert_string_equal(p2->proposal.text[2], "aes128gcm");
  assert_string_equal(p2->proposal.text[4], "chacha20poly1305");
  assert_int_equal(p2->dhgrp.count, 2);
  assert_int_equal(p2->src_subnet.addr.family, NET_FAMILY_IPV4);
  assert_int_equal(p2->src_subnet.length, 0);

  /* ike-version, peertype any and net-device are reported, not rejected. */
  assert_int_equal(cfg.notice_count, 3);
  assert_true(has_notice(&cfg, "t.conf:9: set ike-version: tcpsec always "
                               "uses IKEv2; the line has no effect"));
  assert_true(has_notice(&cfg, "t.conf:10: set peertype: any peer identity "
                               "is accepted; use peertype one with peerid "
                               "to check it"));
  assert_true(has_notice(&cfg, "t.conf:11: set net-device: FortiOS keyword "
                               "not used by tcpsec, ignored"));
  config_free(&cfg);
}

static void reference_spoke_loads(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;
  char text[NET_ADDR_TEXT_MAX];

  (void)state;
  assert_int_equal(parse_text(spoke_reference, &cfg, &err), 0);
  p1 = config_find_phase1(&cfg, "spoke");
  assert_non_null(p1);
  assert_int_equal(p1->type, CONFIG_TYPE_STATIC);
  assert_string_equal(p1->interface, "wan1");
  assert_int_equal(p1->transport, CONFIG_TRANSPORT_AUTO);
  assert_int_equal(p1->fortinet_esp, 1);
  net_addr_format(&p1->remote_gw, text, sizeof(text));
  assert_string_equal(text, "203.0.113.249");
  assert_int_equal(p1->auto_transport_threshold_s, 15);
  assert_string_equal(cfg.phase2[0].phase1name, "spoke");
  assert_int_equal(cfg.notice_count, 3);
  config_free(&cfg);
}

static void reference_placeholder_key_rejected(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  assert_int_equal(parse_phase1_line("set psksecret <key>", &cfg, &err),
                   TCPSEC_ERR_CONFIG);
  assert_string_equal(err.text, "t.conf:5: set psksecret: key must have 6 "
                                "to 128 characters, got 5");
}

static void example_files_load(void **state) {
  static const char *const files[] = {
    "hub.conf", "hub-rfc9329.conf", "spoke-a.conf", "spoke-a-rfc9329.conf",
    "spoke-c.conf", "spoke-c-rfc9329.conf"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char path[512];
    struct config cfg;
    struct config_error err;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", EXAMPLE_CONFIGS_DIR, files[i]);
    config_init(&cfg);
    rc = config_load_file(path, &cfg, &err);
    if (rc != 0)
      print_error("%s\n", err.text);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg.phase1_count, 1);
    assert_int_equal(cfg.phase2_count, 1);
    assert_int_equal(cfg.tunnel_count, 1);
    assert_int_equal(cfg.system.ike_tcp_port, 1443);
    assert_int_equal(cfg.phase1[0].fortinet_esp,
                     strstr(files[i], "rfc9329") == NULL);
    assert_non_null(config_find_tunnel(&cfg, cfg.phase1[0].name));
    config_free(&cfg);
  }
}

static void example_spoke_addresses(void **state) {
  struct config cfg;
  struct config_error err;
  char path[512], text[NET_PREFIX_TEXT_MAX];
  const struct config_tunnel *tunnel;

  (void)state;
  snprintf(path, sizeof(path), "%s/spoke-a.conf", EXAMPLE_CONFIGS_DIR);
  config_init(&cfg);
  assert_int_equal(config_load_file(path, &cfg, &err), 0);
  net_addr_format(&cfg.phase1[0].local_gw, text, sizeof(text));
  assert_string_equal(text, "198.51.100.41");
  net_prefix_format(&cfg.phase2[0].src_subnet, text, sizeof(text));
  assert_string_equal(text, "192.168.111.0/24");
  net_prefix_format(&cfg.phase2[0].dst_subnet, text, sizeof(text));
  assert_string_equal(text, "0.0.0.0/0");
  tunnel = config_find_tunnel(&cfg, "spoke");
  assert_non_null(tunnel);
  assert_string_equal(tunnel->tun_name, "tcpsec0");
  net_prefix_format(&tunnel->tunnel_address, text, sizeof(text));
  assert_string_equal(text, "10.255.0.11/24");
  assert_int_equal(tunnel->route_count, 2);
  net_prefix_format(&tunnel->routes[0], text, sizeof(text));
  assert_string_equal(text, "10.88.0.0/24");
  assert_int_equal(tunnel->segment_sequence, CONFIG_SEGMENT_BEHIND);
  assert_string_equal(cfg.tcpsec.control_socket, "/run/tcpsec-spoke-a.sock");
  assert_int_equal(cfg.tcpsec.log_level, TCPSEC_LOG_INFO);
  config_free(&cfg);
}

/* ---- defaults and every keyword --------------------------------------- */

static void defaults_without_keywords(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;
  const struct config_phase2 *p2;
  const struct config_tunnel *tunnel;

  (void)state;
  assert_int_equal(parse_tunnel_line("", &cfg, &err), 0);
  assert_int_equal(cfg.system.ike_tcp_service, 0);
  assert_int_equal(cfg.system.ike_tcp_port, 443);
  assert_int_equal(cfg.system.ike_port, 500);
  assert_int_equal(cfg.system.ike_natt_port, 4500);
  assert_string_equal(cfg.tcpsec.control_socket, "");
  assert_int_equal(cfg.tcpsec.log_level, TCPSEC_LOG_NOTICE);
  assert_int_equal(cfg.tcpsec.segment_drop_rule, 1);

  p1 = &cfg.phase1[0];
  assert_int_equal(p1->ip_version, 4);
  assert_int_equal(p1->proposal.count, 5);
  assert_string_equal(p1->proposal.text[0], "aes128-sha256");
  assert_int_equal(p1->dhgrp.count, 2);
  assert_int_equal(p1->transport, CONFIG_TRANSPORT_UDP);
  assert_int_equal(p1->fortinet_esp, 0);
  assert_int_equal(p1->auto_transport_threshold_s, 15);
  assert_int_equal(p1->dpd, CONFIG_DPD_ON_DEMAND);
  assert_int_equal(p1->dpd_retry_interval_s, 20);
  assert_int_equal(p1->dpd_retry_count, 3);
  assert_int_equal(p1->keylife_s, 86400);
  assert_int_equal(p1->rekey, 1);
  assert_int_equal(p1->nat_traversal, CONFIG_NAT_TRAVERSAL_ENABLE);
  assert_int_equal(p1->keepalive_s, 10);
  assert_int_equal(p1->local_gw.family, NET_FAMILY_NONE);
  assert_int_equal(p1->authmethod, CONFIG_AUTH_PSK);
  assert_int_equal(p1->authmethod_remote, CONFIG_AUTH_SAME);
  assert_string_equal(p1->certificate, "");
  assert_string_equal(p1->peer, "");
  assert_int_equal(p1->rsa_signature_format, CONFIG_RSA_PKCS1);
  assert_int_equal(cfg.local_cert_count, 0);
  assert_int_equal(cfg.ca_cert_count, 0);
  assert_int_equal(cfg.user_peer_count, 0);

  tunnel = &cfg.tunnel[0];
  assert_string_equal(tunnel->tun_name, "");
  assert_int_equal(tunnel->tunnel_address.addr.family, NET_FAMILY_NONE);
  assert_int_equal(tunnel->route_count, 0);
  assert_int_equal(tunnel->mtu, 1400);
  assert_int_equal(tunnel->segment_sequence, CONFIG_SEGMENT_BEHIND);
  assert_int_equal(tunnel->tcp_keepalive_s, 0);
  assert_int_equal(tunnel->ike_rekey_s, 0);
  assert_int_equal(tunnel->child_rekey_s, 0);
  assert_int_equal(tunnel->child_rekey_kbs, 0);
  assert_int_equal(tunnel->rekey_jitter_percent, 10);
  assert_int_equal(tunnel->rekey_grace_s, 30);
  assert_int_equal(tunnel->tcp_reconnect_max_s, 30);
  assert_int_equal(tunnel->send_certreq, 1);
  config_free(&cfg);

  assert_int_equal(parse_phase2_line("", &cfg, &err), 0);
  p2 = &cfg.phase2[0];
  assert_int_equal(p2->proposal.count, 5);
  assert_int_equal(p2->dhgrp.count, 0);
  assert_int_equal(p2->pfs, 1);
  assert_int_equal(p2->keylife_s, 43200);
  assert_int_equal(p2->keylife_type, CONFIG_KEYLIFE_SECONDS);
  assert_int_equal(p2->keylife_kbs, 5120);
  assert_int_equal(p2->replay, 1);
  assert_int_equal(p2->dst_subnet.addr.family, NET_FAMILY_IPV4);
  assert_int_equal(p2->dst_subnet.length, 0);
  config_free(&cfg);
}

static void phase1_keywords_stored(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;
  char text[NET_ADDR_TEXT_MAX];
  static const char entry[] =
      "config vpn ipsec phase1-interface\n"
      "edit \"p\"\n"
      "set type static\n"
      "set interface wan1\n"
      "set ip-version 6\n"
      "set local-gw 2001:db8::1\n"
      "set remote-gw6 2001:db8::2\n"
      "set peertype one\n"
      "set peerid \"spoke a\"\n"
      "set localid hub.example\n"
      "set authmethod psk\n"
      "set proposal aes128gcm-prfsha256\n"
      "append proposal chacha20poly1305-prfsha256\n"
      "set dhgrp 31\n"
      "append dhgrp 14 19\n"
      "set transport tcp\n"
      "set fortinet-esp disable\n"
      "set psksecret 'it''s a \\'secret\\''\n"
      "set auto-transport-threshold 300\n"
      "set dpd on-idle\n"
      "set dpd-retryinterval 3600\n"
      "set dpd-retrycount 0\n"
      "set keylife 120\n"
      "set rekey disable\n"
      "set nattraversal forced\n"
      "set keepalive 900\n"
      "next\nend\n";

  (void)state;
  assert_int_equal(parse_text(entry, &cfg, &err), 0);
  p1 = &cfg.phase1[0];
  assert_int_equal(p1->type, CONFIG_TYPE_STATIC);
  assert_string_equal(p1->interface, "wan1");
  assert_int_equal(p1->ip_version, 6);
  net_addr_format(&p1->local_gw, text, sizeof(text));
  assert_string_equal(text, "2001:db8::1");
  net_addr_format(&p1->remote_gw, text, sizeof(text));
  assert_string_equal(text, "2001:db8::2");
  assert_int_equal(p1->peertype, CONFIG_PEERTYPE_ONE);
  assert_string_equal(p1->peerid, "spoke a");
  assert_string_equal(p1->localid, "hub.example");
  assert_int_equal(p1->proposal.count, 2);
  assert_string_equal(p1->proposal.text[1], "chacha20poly1305-prfsha256");
  assert_int_equal(p1->dhgrp.count, 3);
  assert_int_equal(p1->dhgrp.group[0], 31);
  assert_int_equal(p1->dhgrp.group[2], 19);
  assert_int_equal(p1->transport, CONFIG_TRANSPORT_TCP);
  assert_int_equal(p1->fortinet_esp, 0);
  /* Adjacent quoted parts join into one word; \' is a literal quote. */
  assert_int_equal(p1->psk_len, strlen("its a 'secret'"));
  assert_memory_equal(p1->psk, "its a 'secret'", p1->psk_len);
  assert_int_equal(p1->auto_transport_threshold_s, 300);
  assert_int_equal(p1->dpd, CONFIG_DPD_ON_IDLE);
  assert_int_equal(p1->dpd_retry_interval_s, 3600);
  assert_int_equal(p1->dpd_retry_count, 0);
  assert_int_equal(p1->keylife_s, 120);
  assert_int_equal(p1->rekey, 0);
  assert_int_equal(p1->nat_traversal, CONFIG_NAT_TRAVERSAL_FORCED);
  assert_int_equal(p1->keepalive_s, 900);
  assert_int_equal(cfg.notice_count, 1);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:2: edit \"p\": transport tcp, but "
                      "ike-tcp-service is disabled in config system "
                      "settings: TCP is still used for this entry");
  config_free(&cfg);
}

static void phase2_keywords_stored(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase2 *p2;
  char text[NET_PREFIX_TEXT_MAX];

  (void)state;
  assert_int_equal(parse_phase2_line("set proposal aes256gcm\n"
                                     "append proposal aes128gcm\n"
                                     "set dhgrp 19\n"
                                     "set pfs disable\n"
                                     "set src-subnet 10.88.0.0/255.255.255.0\n"
                                     "set dst-subnet 192.168.111.0/24\n"
                                     "set keylifeseconds 172800\n"
                                     "set keylife-type both\n"
                                     "set keylifekbs 4294967295\n"
                                     "set replay disable",
                                     &cfg, &err),
                   0);
  p2 = &cfg.phase2[0];
  assert_string_equal(p2->name, "q");
  assert_int_equal(p2->proposal.count, 2);
  assert_string_equal(p2->proposal.text[1], "aes128gcm");
  assert_int_equal(p2->dhgrp.count, 1);
  assert_int_equal(p2->pfs, 0);
  net_prefix_format(&p2->src_subnet, text, sizeof(text));
  assert_string_equal(text, "10.88.0.0/24");
  net_prefix_format(&p2->dst_subnet, text, sizeof(text));
  assert_string_equal(text, "192.168.111.0/24");
  assert_int_equal(p2->keylife_s, 172800);
  assert_int_equal(p2->keylife_type, CONFIG_KEYLIFE_BOTH);
  assert_int_equal(p2->keylife_kbs, 4294967295u);
  assert_int_equal(p2->replay, 0);
  config_free(&cfg);

  /* IPv6 selectors; the other side follows the family when left unset. */
  assert_int_equal(parse_phase2_line("set src-subnet6 2001:db8:1::/48", &cfg,
                                     &err),
                   0);
  p2 = &cfg.phase2[0];
  net_prefix_format(&p2->src_subnet, text, sizeof(text));
  assert_string_equal(text, "2001:db8:1::/48");
  net_prefix_format(&p2->dst_subnet, text, sizeof(text));
  assert_string_equal(text, "::/0");
  config_free(&cfg);

  assert_int_equal(parse_phase2_line("set dst-subnet6 2001:db8:2::/64", &cfg,
                                     &err),
                   0);
  net_prefix_format(&cfg.phase2[0].src_subnet, text, sizeof(text));
  assert_string_equal(text, "::/0");
  config_free(&cfg);
}

static void settings_keywords_stored(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  assert_int_equal(parse_text("config system settings\n"
                              "set ike-tcp-service enable\n"
                              "set ike-tcp-port 65535\n"
                              "set ike-port 1500\n"
                              "set ike-natt-port 1\n"
                              "set opmode nat\n"
                              "end\n"
                              "config tcpsec system\n"
                              "set control-socket /tmp/x.sock\n"
                              "set log-level debug\n"
                              "set segment-drop-rule disable\n"
                              "end\n",
                              &cfg, &err),
                   0);
  assert_int_equal(cfg.system.ike_tcp_service, 1);
  assert_int_equal(cfg.system.ike_tcp_port, 65535);
  assert_int_equal(cfg.system.ike_port, 1500);
  assert_int_equal(cfg.system.ike_natt_port, 1);
  assert_string_equal(cfg.tcpsec.control_socket, "/tmp/x.sock");
  assert_int_equal(cfg.tcpsec.log_level, TCPSEC_LOG_DEBUG);
  assert_int_equal(cfg.tcpsec.segment_drop_rule, 0);
  assert_int_equal(cfg.notice_count, 1);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:6: set opmode: unknown keyword, ignored");
  config_free(&cfg);
}

static void tunnel_keywords_stored(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_tunnel *tunnel;
  char text[NET_PREFIX_TEXT_MAX];

  (void)state;
  assert_int_equal(parse_tunnel_line("set tun-name tcpsec%d\n"
                                     "set tunnel-address 10.255.0.1 "
                                     "255.255.255.252\n"
                                     "set routes 192.168.111.0/24\n"
                                     "append routes 2001:db8::/32 "
                                     "10.0.0.0/8\n"
                                     "set mtu 9000\n"
                                     "set segment-sequence ahead\n"
                                     "set tcp-keepalive 7200\n"
                                     "set ike-rekey 3600\n"
                                     "set child-rekey 172800\n"
                                     "set child-rekey-kbs 4096\n"
                                     "set rekey-jitter 50\n"
                                     "set rekey-grace 3600\n"
                                     "set tcp-reconnect-max 60",
                                     &cfg, &err),
                   0);
  tunnel = &cfg.tunnel[0];
  assert_string_equal(tunnel->tun_name, "tcpsec%d");
  /* An interface address keeps its host part. */
  net_prefix_format(&tunnel->tunnel_address, text, sizeof(text));
  assert_string_equal(text, "10.255.0.1/30");
  assert_int_equal(tunnel->route_count, 3);
  net_prefix_format(&tunnel->routes[1], text, sizeof(text));
  assert_string_equal(text, "2001:db8::/32");
  assert_int_equal(tunnel->mtu, 9000);
  assert_int_equal(tunnel->segment_sequence, CONFIG_SEGMENT_AHEAD);
  assert_int_equal(tunnel->tcp_keepalive_s, 7200);
  assert_int_equal(tunnel->ike_rekey_s, 3600);
  assert_int_equal(tunnel->child_rekey_s, 172800);
  assert_int_equal(tunnel->child_rekey_kbs, 4096);
  assert_int_equal(tunnel->rekey_jitter_percent, 50);
  assert_int_equal(tunnel->rekey_grace_s, 3600);
  assert_int_equal(tunnel->tcp_reconnect_max_s, 60);
  config_free(&cfg);
}

/* Soft lifetimes in the tcpsec tunnel entry are checked against the hard
 * ones of its phase 1 and phase 2 entries at the end of the file. */
static void rekey_times_below_lifetimes(void **state) {
  static const char head[] =
      "config vpn ipsec phase1-interface\n"
      "edit \"p\"\n"
      "set type dynamic\n"
      "set keylife 3600\n"
      "set psksecret " KEY "\n"
      "end\n"
      "config vpn ipsec phase2-interface\n"
      "edit \"q\"\n"
      "set phase1name p\n"
      "set keylifeseconds 1800\n"
      "set keylife-type %s\n"
      "set keylifekbs 10240\n"
      "end\n"
      "config tcpsec tunnel\n"
      "edit p\n"
      "%s\n"
      "end\n";
  static const struct {
    const char *type;
    const char *line;
    const char *message; /* NULL: accepted */
  } cases[] = {
    {"seconds", "set ike-rekey 3000\nset child-rekey 1500", NULL},
    {"seconds", "set ike-rekey 3600", "t.conf:15: edit \"p\": ike-rekey "
     "3600 s is not below the phase1-interface keylife of 3600 s"},
    {"seconds", "set child-rekey 1800", "t.conf:15: edit \"p\": "
     "child-rekey 1800 s is not below the keylifeseconds of 1800 s of "
     "phase2-interface \"q\""},
    /* The byte limit only counts with keylife-type kbs or both. */
    {"seconds", "set child-rekey-kbs 20000", NULL},
    {"both", "set child-rekey-kbs 10240", "t.conf:15: edit \"p\": "
     "child-rekey-kbs 10240 is not below the keylifekbs of 10240 of "
     "phase2-interface \"q\""},
    /* The time limit does not count with keylife-type kbs. */
    {"kbs", "set child-rekey 7200\nset child-rekey-kbs 9000", NULL},
  };
  char text[2048];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct config cfg;
    struct config_error err;
    int rc;

    snprintf(text, sizeof(text), head, cases[i].type, cases[i].line);
    rc = parse_text(text, &cfg, &err);
    if (cases[i].message == NULL) {
      assert_int_equal(rc, 0);
      config_free(&cfg);
    } else {
      assert_int_equal(rc, TCPSEC_ERR_CONFIG);
      assert_string_equal(err.text, cases[i].message);
    }
  }
}

static void unset_restores_default(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;

  (void)state;
  assert_int_equal(parse_phase1_line("set transport tcp\nunset transport\n"
                                     "set dhgrp 14\nunset dhgrp\n"
                                     "set keylife 300\nunset keylife\n"
                                     "set localid x\nunset localid\n"
                                     "unset net-device\nunset ike-version",
                                     &cfg, &err),
                   0);
  p1 = &cfg.phase1[0];
  assert_int_equal(p1->transport, CONFIG_TRANSPORT_UDP);
  assert_int_equal(p1->dhgrp.count, 2);
  assert_int_equal(p1->dhgrp.group[0], 20);
  assert_int_equal(p1->keylife_s, 86400);
  assert_string_equal(p1->localid, "");
  assert_int_equal(cfg.notice_count, 2);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:13: unset net-device: the line has no effect");
  config_free(&cfg);

  /* Unsetting the key leaves the entry without one. */
  assert_int_equal(parse_phase1_line("unset psksecret", &cfg, &err),
                   TCPSEC_ERR_CONFIG);
  assert_string_equal(err.text, "t.conf:2: edit \"p\": psksecret missing; "
                                "add set psksecret <key>");

  assert_int_equal(parse_tunnel_line("set routes 10.0.0.0/8\nunset routes\n"
                                     "set mtu 1500\nunset mtu",
                                     &cfg, &err),
                   0);
  assert_int_equal(cfg.tunnel[0].route_count, 0);
  assert_int_equal(cfg.tunnel[0].mtu, 1400);
  config_free(&cfg);

  assert_int_equal(parse_text("config system settings\n"
                              "set ike-tcp-port 1443\nunset ike-tcp-port\n"
                              "end\nconfig tcpsec system\n"
                              "set log-level error\nunset log-level\nend\n",
                              &cfg, &err),
                   0);
  assert_int_equal(cfg.system.ike_tcp_port, 443);
  assert_int_equal(cfg.tcpsec.log_level, TCPSEC_LOG_NOTICE);
  config_free(&cfg);
}

static void aliases_and_notices(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  assert_int_equal(parse_phase1_line("set transport udp-fallback-tcp\n"
                                     "set add-route disable\n"
                                     "set wibble 1 2 3\n"
                                     "set peerid x\n"
                                     "config backup-gateway\n"
                                     "edit 1\nset address x\nnext\nend",
                                     &cfg, &err),
                   0);
  assert_int_equal(cfg.phase1[0].transport, CONFIG_TRANSPORT_AUTO);
  assert_int_equal(cfg.notice_count, 6);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:5: set transport: older FortiOS spelling of "
                      "transport auto, read as auto");
  assert_string_equal(cfg.notices[1].text,
                      "t.conf:6: set add-route: FortiOS keyword not used by "
                      "tcpsec, ignored");
  assert_string_equal(cfg.notices[2].text,
                      "t.conf:7: set wibble: unknown keyword, ignored");
  assert_string_equal(cfg.notices[3].text,
                      "t.conf:9: config backup-gateway: block not used by "
                      "tcpsec, skipped");
  assert_string_equal(cfg.notices[4].text,
                      "t.conf:2: edit \"p\": peerid is checked only with "
                      "peertype one");
  /* transport auto without ike-tcp-service. */
  assert_string_equal(cfg.notices[5].text,
                      "t.conf:2: edit \"p\": transport auto, but "
                      "ike-tcp-service is disabled in config system "
                      "settings: TCP is still used for this entry");
  config_free(&cfg);
}

/* ---- wrong values ----------------------------------------------------- */

struct bad_line {
  const char *line;
  int code;
  const char *message;
};

static void check_bad_lines(const struct bad_line *cases, size_t count,
                            int (*parse)(const char *, struct config *,
                                         struct config_error *)) {
  size_t i;

  for (i = 0; i < count; i++) {
    struct config cfg;
    struct config_error err;
    int rc = parse(cases[i].line, &cfg, &err);

    if (rc != cases[i].code || strcmp(err.text, cases[i].message) != 0)
      print_error("case %zu: '%s' gave %d '%s'\n", i, cases[i].line, rc,
                  err.text);
    assert_int_equal(rc, cases[i].code);
    assert_string_equal(err.text, cases[i].message);
    /* A failed parse leaves nothing behind. */
    assert_int_equal(cfg.phase1_count, 0);
    assert_null(cfg.phase1);
    assert_null(cfg.notices);
  }
}

static void phase1_wrong_values(void **state) {
  static const struct bad_line cases[] = {
    {"set transport tpc", TCPSEC_ERR_CONFIG,
     "t.conf:5: set transport: expected udp, tcp or auto, got 'tpc'"},
    {"set transport TCP", TCPSEC_ERR_CONFIG,
     "t.conf:5: set transport: expected udp, tcp or auto, got 'TCP'"},
    {"set transport", TCPSEC_ERR_CONFIG,
     "t.conf:5: set transport: value missing; expected udp, tcp or auto"},
    {"set transport tcp udp", TCPSEC_ERR_CONFIG,
     "t.conf:5: set transport: expected one value (udp, tcp or auto), got "
     "2; quote a value that contains spaces"},
    {"set type ddns", TCPSEC_ERR_CONFIG,
     "t.conf:5: set type: expected static or dynamic, got 'ddns'"},
    {"set rekey no", TCPSEC_ERR_CONFIG,
     "t.conf:5: set rekey: expected enable or disable, got 'no'"},
    {"set ike-version 1", TCPSEC_ERR_CONFIG,
     "t.conf:5: set ike-version: expected 2, got '1'"},
    {"set peertype dialup", TCPSEC_ERR_CONFIG,
     "t.conf:5: set peertype: expected any, one or peer, got 'dialup'"},
    {"set authmethod rsa", TCPSEC_ERR_CONFIG,
     "t.conf:5: set authmethod: expected psk or signature, got 'rsa'"},
    {"set authmethod-remote ecdsa", TCPSEC_ERR_CONFIG,
     "t.conf:5: set authmethod-remote: expected psk or signature, got "
     "'ecdsa'"},
    {"set rsa-signature-format pkcs2", TCPSEC_ERR_CONFIG,
     "t.conf:5: set rsa-signature-format: expected pkcs1 or pss, got "
     "'pkcs2'"},
    {"set certificate", TCPSEC_ERR_CONFIG,
     "t.conf:5: set certificate: value missing; expected one word"},
    {"set certificate a b", TCPSEC_ERR_CONFIG,
     "t.conf:5: set certificate: expected one value (one word), got 2; quote "
     "a value that contains spaces"},
    {"set fortinet-esp on", TCPSEC_ERR_CONFIG,
     "t.conf:5: set fortinet-esp: expected enable or disable, got 'on'"},
    {"set net-device maybe", TCPSEC_ERR_CONFIG,
     "t.conf:5: set net-device: expected enable or disable, got 'maybe'"},
    {"set dpd always", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dpd: expected disable, on-idle or on-demand, got "
     "'always'"},
    {"set nattraversal yes", TCPSEC_ERR_CONFIG,
     "t.conf:5: set nattraversal: expected enable, disable or forced, got "
     "'yes'"},
    {"set ip-version 5", TCPSEC_ERR_CONFIG,
     "t.conf:5: set ip-version: expected 4 or 6, got '5'"},
    {"set auto-transport-threshold 0", TCPSEC_ERR_CONFIG,
     "t.conf:5: set auto-transport-threshold: expected a number from 1 to "
     "300, got '0'"},
    {"set auto-transport-threshold 301", TCPSEC_ERR_CONFIG,
     "t.conf:5: set auto-transport-threshold: expected a number from 1 to "
     "300, got '301'"},
    {"set dpd-retryinterval 3601", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dpd-retryinterval: expected a number from 1 to 3600, "
     "got '3601'"},
    {"set dpd-retrycount 11", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dpd-retrycount: expected a number from 0 to 10, got "
     "'11'"},
    {"set keylife 119", TCPSEC_ERR_CONFIG,
     "t.conf:5: set keylife: expected a number from 120 to 172800, got "
     "'119'"},
    {"set keylife 99999999999", TCPSEC_ERR_CONFIG,
     "t.conf:5: set keylife: expected a number from 120 to 172800, got "
     "'99999999999'"},
    {"set keylife -5", TCPSEC_ERR_CONFIG,
     "t.conf:5: set keylife: expected a number from 120 to 172800, got "
     "'-5'"},
    {"set keepalive 4", TCPSEC_ERR_CONFIG,
     "t.conf:5: set keepalive: expected a number from 5 to 900, got '4'"},
    {"set remote-gw 203.0.113.256", TCPSEC_ERR_CONFIG,
     "t.conf:5: set remote-gw: expected an IP address, got '203.0.113.256'"},
    {"set remote-gw hub.example", TCPSEC_ERR_CONFIG,
     "t.conf:5: set remote-gw: expected an IP address, got 'hub.example'"},
    {"set remote-gw6 192.0.2.1", TCPSEC_ERR_CONFIG,
     "t.conf:5: set remote-gw6: expected an IPv6 address, got '192.0.2.1'"},
    {"set local-gw 10.0.0.1/24", TCPSEC_ERR_CONFIG,
     "t.conf:5: set local-gw: expected an IP address, got '10.0.0.1/24'"},
    {"set local-gw6 ::1 ::2", TCPSEC_ERR_CONFIG,
     "t.conf:5: set local-gw6: expected one value (an IPv6 address), got 2; "
     "quote a value that contains spaces"},
    {"set interface abcdefghijklmnop", TCPSEC_ERR_CONFIG,
     "t.conf:5: set interface: longer than 15 characters: "
     "'abcdefghijklmnop'"},
    {"set proposal", TCPSEC_ERR_CONFIG,
     "t.conf:5: set proposal: value missing; expected proposals such as "
     "aes128-sha256 aes256gcm-prfsha384"},
    {"set proposal AES128-SHA256", TCPSEC_ERR_CONFIG,
     "t.conf:5: set proposal: expected proposals such as aes128-sha256 "
     "(lower case letters, digits and '-'), got 'AES128-SHA256'"},
    {"set proposal aes128_sha256", TCPSEC_ERR_CONFIG,
     "t.conf:5: set proposal: expected proposals such as aes128-sha256 "
     "(lower case letters, digits and '-'), got 'aes128_sha256'"},
    {"set proposal a b c d e f g h i j k l m n o p q", TCPSEC_ERR_LIMIT,
     "t.conf:5: set proposal: more than 16 proposals"},
    {"set dhgrp", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dhgrp: value missing; expected group numbers such as 20 "
     "21"},
    {"set dhgrp 5", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dhgrp: group 5 is not supported; expected 14, 19, 20, 21 "
     "or 31"},
    {"set dhgrp ecp384", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dhgrp: expected group numbers (14, 19, 20, 21 or 31), "
     "got 'ecp384'"},
    {"set dhgrp 20 20", TCPSEC_ERR_CONFIG,
     "t.conf:5: set dhgrp: group 20 listed twice"},
    {"set dhgrp 20 21\nappend dhgrp 14 19 31 20", TCPSEC_ERR_CONFIG,
     "t.conf:6: append dhgrp: group 20 listed twice"},
    {"append transport tcp", TCPSEC_ERR_CONFIG,
     "t.conf:5: append transport: not a list; use set"},
    {"unset transport tcp", TCPSEC_ERR_CONFIG,
     "t.conf:5: unset transport: expected no value"},
    {"set psksecret ENC AbCdEf0123==", TCPSEC_ERR_CONFIG,
     "t.conf:5: set psksecret: keys encrypted by FortiOS (ENC ...) cannot "
     "be read; write the key in clear text"},
    {"set psksecret", TCPSEC_ERR_CONFIG,
     "t.conf:5: set psksecret: value missing; expected the pre-shared key"},
    {"set psksecret two words", TCPSEC_ERR_CONFIG,
     "t.conf:5: set psksecret: expected one value, got 2; quote a key that "
     "contains spaces"},
    {"set psksecret 12345", TCPSEC_ERR_CONFIG,
     "t.conf:5: set psksecret: key must have 6 to 128 characters, got 5"},
    {"set Transport tcp", TCPSEC_ERR_CONFIG,
     "t.conf:5: set Transport: keywords are lower case; did you mean "
     "'transport'?"},
    {"set transprot tcp", TCPSEC_ERR_CONFIG,
     "t.conf:5: set transprot: unknown keyword; did you mean 'transport'?"},
    {"set remote-gwy 192.0.2.1", TCPSEC_ERR_CONFIG,
     "t.conf:5: set remote-gwy: unknown keyword; did you mean 'remote-gw'?"},
    {"set", TCPSEC_ERR_CONFIG, "t.conf:5: set: keyword missing"},
    {"sett transport tcp", TCPSEC_ERR_CONFIG,
     "t.conf:5: unknown command 'sett'; expected config, edit, set, unset, "
     "append, next or end"},
    {"set ip-version 6", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"p\": remote-gw 192.0.2.1 is not an IPv6 address; set "
     "ip-version 4 or change the address"},
    {"set local-gw 2001:db8::1", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"p\": local-gw 2001:db8::1 is not an IPv4 address; set "
     "ip-version 6 or change the address"},
    {"set peertype one", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"p\": peertype one needs set peerid <id>"},
    {"unset remote-gw", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"p\": remote-gw missing; type static needs the peer's "
     "address"},
    {"set localid "
     "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",
     TCPSEC_ERR_CONFIG,
     "t.conf:5: set localid: longer than 63 characters: "
     "'abcdefghijklmnopqrstuvwxyzabcdefghijklmn...'"},
  };

  (void)state;
  check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]), parse_phase1_line);
}

static void phase2_wrong_values(void **state) {
  static const struct bad_line cases[] = {
    {"set src-subnet 10.88.0.1/24", TCPSEC_ERR_CONFIG,
     "t.conf:8: set src-subnet: '10.88.0.1/24' has bits set past the prefix "
     "length; did you mean 10.88.0.0/24?"},
    {"set src-subnet 10.88.0.1 255.255.255.0", TCPSEC_ERR_CONFIG,
     "t.conf:8: set src-subnet: '10.88.0.1' has bits set past the prefix "
     "length; did you mean 10.88.0.0/24?"},
    {"set dst-subnet 10.88.0.0 255.0.255.0", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet: invalid netmask in '10.88.0.0'; expected "
     "contiguous ones such as 255.255.255.0"},
    {"set dst-subnet 10.88.0.0/33", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet: expected address/length, address/netmask or "
     "address netmask, got '10.88.0.0/33'"},
    {"set dst-subnet 10.88.0.0", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet: expected address/length, address/netmask or "
     "address netmask, got '10.88.0.0'"},
    {"set dst-subnet 10.88.0/24", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet: expected address/length, address/netmask or "
     "address netmask, got '10.88.0/24'"},
    {"set dst-subnet", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet: expected address/length, address/netmask or "
     "address netmask, got 0 values"},
    {"set dst-subnet6 10.0.0.0/8", TCPSEC_ERR_CONFIG,
     "t.conf:8: set dst-subnet6: expected an IPv6 prefix, got '10.0.0.0/8'"},
    {"set src-subnet 10.0.0.0/8\nset dst-subnet6 2001:db8::/32",
     TCPSEC_ERR_CONFIG,
     "t.conf:7: edit \"q\": src-subnet and dst-subnet must be of the same "
     "address family"},
    {"set pfs yes", TCPSEC_ERR_CONFIG,
     "t.conf:8: set pfs: expected enable or disable, got 'yes'"},
    {"set replay no", TCPSEC_ERR_CONFIG,
     "t.conf:8: set replay: expected enable or disable, got 'no'"},
    {"set keylifeseconds 172801", TCPSEC_ERR_CONFIG,
     "t.conf:8: set keylifeseconds: expected a number from 120 to 172800, "
     "got '172801'"},
    {"set keylifekbs 5119", TCPSEC_ERR_CONFIG,
     "t.conf:8: set keylifekbs: expected a number from 5120 to 4294967295, "
     "got '5119'"},
    {"set keylife-type bytes", TCPSEC_ERR_CONFIG,
     "t.conf:8: set keylife-type: expected seconds, kbs or both, got "
     "'bytes'"},
    {"set phase1name \"\"", TCPSEC_ERR_CONFIG,
     "t.conf:8: set phase1name: value must not be empty"},
    {"set phase1name nothere\nnext\nedit r", TCPSEC_ERR_CONFIG,
     "t.conf:7: edit \"q\": phase1name \"nothere\" names no "
     "phase1-interface entry"},
  };

  (void)state;
  check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]), parse_phase2_line);
}

static void tunnel_wrong_values(void **state) {
  static const struct bad_line cases[] = {
    {"set tun-name tun/0", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tun-name: expected letters, digits, '-', '_', '.' or "
     "'%', got 'tun/0'"},
    {"set tun-name abcdefghijklmnop", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tun-name: longer than 15 characters: "
     "'abcdefghijklmnop'"},
    {"set tunnel-address 10.255.0.1", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tunnel-address: expected address/length, "
     "address/netmask or address netmask, got '10.255.0.1'"},
    {"set tunnel-address", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tunnel-address: expected address/length, e.g. "
     "10.255.0.1/30, got 0 values"},
    {"set routes 10.88.0.1/24", TCPSEC_ERR_CONFIG,
     "t.conf:8: set routes: '10.88.0.1/24' has bits set past the prefix "
     "length; did you mean 10.88.0.0/24?"},
    {"set routes", TCPSEC_ERR_CONFIG,
     "t.conf:8: set routes: value missing; expected prefixes such as "
     "10.88.0.0/24"},
    {"set mtu 575", TCPSEC_ERR_CONFIG,
     "t.conf:8: set mtu: expected a number from 576 to 9000, got '575'"},
    {"set segment-sequence before", TCPSEC_ERR_CONFIG,
     "t.conf:8: set segment-sequence: expected behind or ahead, got "
     "'before'"},
    {"set tcp-keepalive 7201", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tcp-keepalive: expected a number from 0 to 7200, got "
     "'7201'"},
    {"set rekey-jitter 51", TCPSEC_ERR_CONFIG,
     "t.conf:8: set rekey-jitter: expected a number from 0 to 50, got '51'"},
    {"set rekey-grace 0", TCPSEC_ERR_CONFIG,
     "t.conf:8: set rekey-grace: expected a number from 1 to 3600, got '0'"},
    {"set tcp-reconnect-max 3601", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tcp-reconnect-max: expected a number from 1 to 3600, "
     "got '3601'"},
    {"set child-rekey 172801", TCPSEC_ERR_CONFIG,
     "t.conf:8: set child-rekey: expected a number from 0 to 172800, got "
     "'172801'"},
    {"set ike-rekey 86400\nnext", TCPSEC_ERR_CONFIG,
     "t.conf:7: edit \"p\": ike-rekey 86400 s is not below the "
     "phase1-interface keylife of 86400 s"},
    {"set tun-nam x", TCPSEC_ERR_CONFIG,
     "t.conf:8: set tun-nam: unknown keyword; did you mean 'tun-name'?"},
    {"set colour blue", TCPSEC_ERR_CONFIG,
     "t.conf:8: set colour: unknown keyword; see docs/configuration.md for "
     "the keywords of tcpsec blocks"},
    {"config extra\nend", TCPSEC_ERR_CONFIG,
     "t.conf:8: config extra: tcpsec blocks have no nested blocks"},
  };

  (void)state;
  check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]), parse_tunnel_line);
}

static void settings_wrong_values(void **state) {
  static const struct bad_line cases[] = {
    {"config system settings\nset ike-tcp-port 0\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: set ike-tcp-port: expected a number from 1 to 65535, got "
     "'0'"},
    {"config system settings\nset ike-tcp-port 65536\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: set ike-tcp-port: expected a number from 1 to 65535, got "
     "'65536'"},
    {"config system settings\nset ike-tcp-service yes\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: set ike-tcp-service: expected enable or disable, got 'yes'"},
    {"config tcpsec system\nset control-socket run/x.sock\nend",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: set control-socket: expected an absolute path, got "
     "'run/x.sock'"},
    {"config tcpsec system\nset log-level verbose\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: set log-level: expected error, warning, notice, info or "
     "debug, got 'verbose'"},
    {"config tcpsec system\nset segment-drop-rule 1\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: set segment-drop-rule: expected enable or disable, got '1'"},
    {"config system settings\nedit x\nend", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit: config system settings has no entries; use set "
     "directly"},
  };

  (void)state;
  check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]), parse_text);
}

static void structure_errors(void **state) {
  static const struct bad_line cases[] = {
    {"set type static\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: set: outside a config block; expected config <block>"},
    {"end\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: end: outside a config block; expected config <block>"},
    {"config\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: config: block name missing, e.g. config vpn ipsec "
     "phase1-interface"},
    {"config vpn ipsec phase1-interface\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: config vpn ipsec phase1-interface: missing end at the end of "
     "the file"},
    {"config vpn ipsec phase1-interface\nset type static\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: set type: outside an entry; start one with edit \"<name>\""},
    {"config vpn ipsec phase1-interface\nnext\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: next: no entry to close"},
    {"config vpn ipsec phase1-interface\nedit\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit: expected one entry name, e.g. edit \"Hub\""},
    {"config vpn ipsec phase1-interface\nedit a b\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit: expected one entry name, e.g. edit \"Hub\""},
    {"config vpn ipsec phase1-interface\nedit \"\"\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit: name must have 1 to 35 characters, got ''"},
    {"config vpn ipsec phase1-interface\n"
     "edit abcdefghijklmnopqrstuvwxyz0123456789\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: edit: name must have 1 to 35 characters, got "
     "'abcdefghijklmnopqrstuvwxyz0123456789'"},
    {"config vpn ipsec phase1-interface\nedit a\nnext\nedit b\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"a\": psksecret missing; add set psksecret <key>"},
    {"config vpn ipsec phase1\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: config vpn ipsec phase1: policy-based tunnels are not "
     "supported; use config vpn ipsec phase1-interface"},
    {"config vpn ipsec phase2\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: config vpn ipsec phase2: policy-based tunnels are not "
     "supported; use config vpn ipsec phase2-interface"},
    {"config tcpsec tunnels\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:1: config tcpsec tunnels: unknown block; expected config tcpsec "
     "system, tunnel, certificate local or certificate ca"},
    {"config tcpsec tunnel\nedit x\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"x\": a tcpsec tunnel needs a phase1-interface entry "
     "of the same name"},
    {"config vpn ipsec phase2-interface\nedit x\nset phase1name y\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"x\": phase1name \"y\" names no phase1-interface "
     "entry"},
    {"config vpn ipsec phase2-interface\nedit x\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: edit \"x\": phase1name missing; add set phase1name \"<phase1 "
     "name>\""},
    {"config system settings\nnext\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: next: no entry to close"},
    {"config system settings\nfrobnicate\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: unknown command 'frobnicate'; expected config, edit, set, "
     "unset, append, next or end"},
    {"config system settings\nset\nend\n", TCPSEC_ERR_CONFIG,
     "t.conf:2: set: keyword missing"},
    {"config system settings\nset ike-tcp-port \"14\n43\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: unterminated quoted string: add the closing quote"},
    {"config system settings\nset ike-tcp-port 1\x01\nend\n",
     TCPSEC_ERR_CONFIG, "t.conf:2: invalid control byte 0x01 in the text"},
    {"config system settings\nset ike-tcp-port 1\\\x7f\nend\n",
     TCPSEC_ERR_CONFIG, "t.conf:2: invalid control byte 0x7f in the text"},
    {"config system settings\nset ike-tcp-port \"\xff\"\nend\n",
     TCPSEC_ERR_CONFIG,
     "t.conf:2: set ike-tcp-port: expected a number from 1 to 65535, got "
     "'\\xff'"},
  };

  (void)state;
  check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]), parse_text);
}

/* ---- certificates ----------------------------------------------------- */

/* parse_text with an explicit length, for cutting a text short. */
static int parse_prefix(const char *text, size_t len, struct config *cfg,
                        struct config_error *err) {
  config_init(cfg);
  return config_parse("t.conf", text, len, cfg, err);
}


/* A dial-up hub that signs with its certificate and accepts spokes whose
 * certificates lead to one CA, as FortiOS configures it, with the
 * certificate files in the tcpsec blocks. */
static const char signature_hub[] =
    "config tcpsec certificate local\n"
    "    edit \"hub-cert\"\n"
    "        set certificate-file \"/etc/tcpsec/hub-chain.pem\"\n"
    "        set private-key-file /etc/tcpsec/hub.key\n"
    "    next\n"
    "end\n"
    "config tcpsec certificate ca\n"
    "    edit \"lab-root\"\n"
    "        set ca-file /etc/tcpsec/lab-root.pem\n"
    "    next\n"
    "    edit \"other-root\"\n"
    "        set ca-file /etc/tcpsec/other-root.der\n"
    "    next\n"
    "end\n"
    "config user peer\n"
    "    edit \"spokes\"\n"
    "        set ca \"lab-root\"\n"
    "        set mandatory-ca-verify enable\n"
    "    next\n"
    "end\n"
    "config vpn ipsec phase1-interface\n"
    "    edit \"Hub\"\n"
    "        set type dynamic\n"
    "        set authmethod signature\n"
    "        set certificate \"hub-cert\"\n"
    "        set peertype peer\n"
    "        set peer \"spokes\"\n"
    "        set rsa-signature-format pss\n"
    "        set localid hub.example.net\n"
    "    next\n"
    "end\n"
    "config tcpsec tunnel\n"
    "    edit \"Hub\"\n"
    "        set send-certreq disable\n"
    "    next\n"
    "end\n";

static void certificate_blocks_load(void **state) {
  struct config cfg;
  struct config_error err;
  const struct config_phase1 *p1;
  const struct config_local_cert *local;
  const struct config_ca_cert *ca;
  const struct config_user_peer *peer;

  (void)state;
  assert_int_equal(parse_text(signature_hub, &cfg, &err), 0);
  p1 = &cfg.phase1[0];
  assert_int_equal(p1->authmethod, CONFIG_AUTH_SIGNATURE);
  assert_int_equal(p1->authmethod_remote, CONFIG_AUTH_SAME);
  assert_string_equal(p1->certificate, "hub-cert");
  assert_int_equal(p1->peertype, CONFIG_PEERTYPE_PEER);
  assert_string_equal(p1->peer, "spokes");
  assert_int_equal(p1->rsa_signature_format, CONFIG_RSA_PSS);
  assert_int_equal(p1->psk_len, 0);
  assert_int_equal(cfg.tunnel[0].send_certreq, 0);

  assert_int_equal(cfg.local_cert_count, 1);
  local = config_find_local_cert(&cfg, "hub-cert");
  assert_non_null(local);
  assert_string_equal(local->certificate_file, "/etc/tcpsec/hub-chain.pem");
  assert_string_equal(local->private_key_file, "/etc/tcpsec/hub.key");
  assert_int_equal(local->line, 2);
  assert_int_equal(cfg.ca_cert_count, 2);
  ca = config_find_ca_cert(&cfg, "other-root");
  assert_non_null(ca);
  assert_string_equal(ca->ca_file, "/etc/tcpsec/other-root.der");
  peer = config_find_user_peer(&cfg, "spokes");
  assert_non_null(peer);
  assert_string_equal(peer->ca, "lab-root");
  assert_null(config_find_local_cert(&cfg, "lab-root"));
  assert_null(config_find_ca_cert(&cfg, "hub-cert"));
  assert_null(config_find_user_peer(&cfg, "lab-root"));
  assert_true(has_notice(&cfg, "t.conf:18: set mandatory-ca-verify: FortiOS "
                               "keyword not used by tcpsec, ignored"));
  config_free(&cfg);
}

/* One side signs and the other uses the PSK (FortiOS authmethod-remote):
 * the PSK is required, and so is a CA for the peer that signs. */
static void certificate_one_direction(void **state) {
  struct config cfg;
  struct config_error err;
  static const char text[] =
      "config vpn ipsec phase1-interface\n"
      "edit \"p\"\n"
      "set remote-gw 192.0.2.1\n"
      "set authmethod psk\n"
      "set authmethod-remote signature\n"
      "set psksecret " KEY "\n"
      "set peer \"unused\"\n"
      "end\n"
      "config tcpsec certificate ca\n"
      "edit root\n"
      "set ca-file /ca.pem\n"
      "end\n";

  (void)state;
  assert_int_equal(parse_text(text, &cfg, &err), 0);
  assert_int_equal(cfg.phase1[0].authmethod, CONFIG_AUTH_PSK);
  assert_int_equal(cfg.phase1[0].authmethod_remote, CONFIG_AUTH_SIGNATURE);
  assert_string_equal(config_authmethod_name(cfg.phase1[0].authmethod_remote),
                      "signature");
  assert_true(has_notice(&cfg, "t.conf:2: edit \"p\": peer is used only "
                               "with peertype peer"));
  config_free(&cfg);

  /* Without the CA entry. */
  assert_int_equal(parse_prefix(text,
                                (size_t)(strstr(text, "config tcpsec") - text),
                                &cfg, &err),
                   TCPSEC_ERR_CONFIG);
  assert_string_equal(err.text,
                      "t.conf:2: edit \"p\": the peer authenticates with a "
                      "signature, but no config tcpsec certificate ca entry "
                      "names a CA to trust");
}

static void certificate_notices(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  /* A FortiOS certificate block with the PEM text is skipped with a
   * hint. */
  assert_int_equal(
      parse_text("config vpn certificate ca\n"
                 "edit \"CA_Cert_1\"\nset ca \"-----BEGIN...\"\nnext\nend\n",
                 &cfg, &err),
      0);
  assert_int_equal(cfg.notice_count, 1);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:1: config vpn certificate ca: block not used "
                      "by tcpsec, skipped; name certificate files in config "
                      "tcpsec certificate ca");
  config_free(&cfg);

  assert_int_equal(parse_text("config tcpsec certificate local\n"
                              "edit a\nset certificate-file /a.pem\n"
                              "set private-key-file /a.key\n"
                              "unset private-key-file\n"
                              "set private-key-file /b.key\nend\n",
                              &cfg, &err),
                   0);
  assert_string_equal(cfg.local_cert[0].private_key_file, "/b.key");
  config_free(&cfg);
}

/* Replace `from` (which must occur) in signature_hub by `to`. */
static int parse_hub_with(const char *from, const char *to,
                          struct config *cfg, struct config_error *err) {
  char text[4096];
  const char *at = strstr(signature_hub, from);
  size_t head;

  assert_non_null(at);
  head = (size_t)(at - signature_hub);
  snprintf(text, sizeof(text), "%.*s%s%s", (int)head, signature_hub, to,
           at + strlen(from));
  return parse_prefix(text, strlen(text), cfg, err);
}

static void certificate_wrong_values(void **state) {
  static const struct {
    const char *from;
    const char *to;
    const char *message;
  } cases[] = {
    {"        set certificate \"hub-cert\"\n", "",
     "t.conf:22: edit \"Hub\": authmethod signature needs set certificate "
     "\"<config tcpsec certificate local entry>\""},
    {"\"hub-cert\"\n        set peertype", "\"hub\"\n        set peertype",
     "t.conf:22: edit \"Hub\": certificate \"hub\" names no config tcpsec "
     "certificate local entry"},
    {"        set peer \"spokes\"\n", "",
     "t.conf:22: edit \"Hub\": peertype peer needs set peer \"<config user "
     "peer entry>\""},
    {"set peer \"spokes\"", "set peer \"spoke\"",
     "t.conf:22: edit \"Hub\": peer \"spoke\" names no config user peer "
     "entry"},
    {"set ca \"lab-root\"", "set ca \"lab\"",
     "t.conf:16: edit \"spokes\": ca \"lab\" names no config tcpsec "
     "certificate ca entry"},
    {"set ca \"lab-root\"", "set cn spoke.example.net",
     "t.conf:17: set cn: tcpsec does not match certificate names with config "
     "user peer; check the peer's identity with peertype one and peerid "
     "instead"},
    {"set mandatory-ca-verify enable", "set subject \"CN=spoke\"",
     "t.conf:18: set subject: tcpsec does not match certificate names with "
     "config user peer; check the peer's identity with peertype one and "
     "peerid instead"},
    {"        set authmethod signature\n",
     "        set authmethod signature\n        set authmethod-remote psk\n",
     "t.conf:22: edit \"Hub\": psksecret missing; add set psksecret <key>"},
    {"set private-key-file /etc/tcpsec/hub.key", "set private-key-file hub.key",
     "t.conf:4: set private-key-file: expected an absolute path, got "
     "'hub.key'"},
    {"        set private-key-file /etc/tcpsec/hub.key\n", "",
     "t.conf:2: edit \"hub-cert\": a local certificate needs set "
     "certificate-file and set private-key-file"},
    {"        set ca-file /etc/tcpsec/lab-root.pem\n", "",
     "t.conf:8: edit \"lab-root\": a CA certificate needs set ca-file"},
    {"set ca-file /etc/tcpsec/lab-root.pem", "set ca /etc/tcpsec/lab-root.pem",
     "t.conf:9: set ca: unknown keyword; see docs/configuration.md for the "
     "keywords of tcpsec blocks"},
    {"set certificate-file", "set certificate-files",
     "t.conf:3: set certificate-files: unknown keyword; did you mean "
     "'certificate-file'?"},
    {"config tcpsec certificate ca\n", "config tcpsec certificate cas\n",
     "t.conf:7: config tcpsec certificate cas: unknown block; expected config "
     "tcpsec system, tunnel, certificate local or certificate ca"},
    {"set send-certreq disable", "set send-certreq no",
     "t.conf:34: set send-certreq: expected enable or disable, got 'no'"},
  };
  struct config cfg;
  struct config_error err;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int rc = parse_hub_with(cases[i].from, cases[i].to, &cfg, &err);

    if (rc != TCPSEC_ERR_CONFIG || strcmp(err.text, cases[i].message) != 0)
      print_error("case %zu gave %d '%s'\n", i, rc, err.text);
    assert_int_equal(rc, TCPSEC_ERR_CONFIG);
    assert_string_equal(err.text, cases[i].message);
    assert_null(cfg.local_cert);
    assert_null(cfg.ca_cert);
    assert_null(cfg.user_peer);
  }

  /* Any CA entry may vouch for the peer without peertype peer. */
  assert_int_equal(parse_hub_with("set peertype peer", "set peertype any",
                                  &cfg, &err),
                   0);
  assert_true(has_notice(&cfg, "t.conf:22: edit \"Hub\": peer is used only "
                               "with peertype peer"));
  config_free(&cfg);

  /* peertype peer with a PSK peer. */
  assert_int_equal(
      parse_hub_with("set authmethod signature",
                     "set authmethod signature\nset authmethod-remote psk\n"
                     "set psksecret " KEY,
                     &cfg, &err),
      TCPSEC_ERR_CONFIG);
  assert_string_equal(err.text,
                      "t.conf:22: edit \"Hub\": peertype peer checks the "
                      "peer's certificate, but the peer authenticates with a "
                      "pre-shared key; set authmethod signature or "
                      "authmethod-remote signature");
}

static void certificate_entries_limit(void **state) {
  struct config cfg;
  struct config_error err;
  char *text = malloc(64 * 1024);
  size_t n = 0, i;

  (void)state;
  assert_non_null(text);
  n += (size_t)sprintf(text + n, "config tcpsec certificate ca\n");
  for (i = 0; i <= CONFIG_CERT_MAX; i++)
    n += (size_t)sprintf(text + n, "edit c%zu\nset ca-file /c.pem\nnext\n", i);
  n += (size_t)sprintf(text + n, "end\n");
  assert_int_equal(parse_prefix(text, n, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text, "t.conf:194: edit: more than 64 config "
                                "tcpsec certificate ca entries");
  free(text);
}

/* ---- syntax ----------------------------------------------------------- */

static void syntax_quotes_comments_crlf(void **state) {
  struct config cfg;
  struct config_error err;
  static const char text[] =
      "#config-version=FGT60F-7.4.3\r\n"
      "# a comment line\n"
      "\n"
      "config vpn ipsec phase1-interface   # trailing comment\r\n"
      "\tedit \"Hub \\\"one\\\"\"\r\n"
      "\t\tset type dynamic\r\n"
      "\t\tset psksecret \"ab#cd ef\\\\gh\"\r\n"
      "\t\tset localid multi\\\n"
      "part\n"
      "\t\tset peerid \"line one\nline two\"\n"
      "\t\tset interface port#3\n"
      "\tend\n";

  (void)state;
  assert_int_equal(parse_text(text, &cfg, &err), 0);
  assert_string_equal(cfg.phase1[0].name, "Hub \"one\"");
  assert_int_equal(cfg.phase1[0].line, 5);
  assert_int_equal(cfg.phase1[0].psk_len, strlen("ab#cd ef\\gh"));
  assert_memory_equal(cfg.phase1[0].psk, "ab#cd ef\\gh", 11);
  assert_string_equal(cfg.phase1[0].localid, "multipart");
  assert_string_equal(cfg.phase1[0].peerid, "line one\nline two");
  /* '#' inside a word is not a comment. */
  assert_string_equal(cfg.phase1[0].interface, "port#3");
  /* Notice line numbers count the lines inside quotes. */
  assert_int_equal(cfg.notice_count, 1);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:5: edit \"Hub \"one\"\": peerid is checked "
                      "only with peertype one");
  config_free(&cfg);
}

static void syntax_edit_again_and_end_closes(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  /* A second `edit` of a name changes the same entry; `end` also closes
   * the entry, and `edit` without `next` closes the previous one. */
  assert_int_equal(parse_text("config vpn ipsec phase1-interface\n"
                              "edit a\nset type dynamic\nset psksecret " KEY
                              "\nedit b\nset type dynamic\nset psksecret " KEY
                              "\nnext\nedit a\nset keylife 600\nend\n",
                              &cfg, &err),
                   0);
  assert_int_equal(cfg.phase1_count, 2);
  assert_int_equal(cfg.phase1[0].keylife_s, 600);
  assert_int_equal(cfg.phase1[0].type, CONFIG_TYPE_DYNAMIC);
  config_free(&cfg);
}

static void syntax_skipped_blocks_nest(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  assert_int_equal(parse_text("config firewall policy\n"
                              "edit 1\nset srcintf \"port2\"\n"
                              "config sub\nset x y\nend\n"
                              "next\nend\n"
                              "config system global\nset anti-replay disable\n"
                              "end\n"
                              "config system settings\nconfig inner\nend\n"
                              "set ike-tcp-port 8443\nend\n",
                              &cfg, &err),
                   0);
  assert_int_equal(cfg.system.ike_tcp_port, 8443);
  assert_int_equal(cfg.notice_count, 3);
  assert_string_equal(cfg.notices[0].text,
                      "t.conf:1: config firewall policy: block not used by "
                      "tcpsec, skipped");
  assert_string_equal(cfg.notices[1].text,
                      "t.conf:9: config system global: block not used by "
                      "tcpsec, skipped");
  assert_string_equal(cfg.notices[2].text,
                      "t.conf:13: config inner: block not used by tcpsec, "
                      "skipped");
  config_free(&cfg);
}

static void syntax_empty_text(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  config_init(&cfg);
  assert_int_equal(config_parse("t.conf", NULL, 0, &cfg, &err), 0);
  assert_int_equal(cfg.phase1_count, 0);
  assert_int_equal(parse_text("  \n# only a comment\n\n", &cfg, &err), 0);
  assert_int_equal(config_parse("t.conf", "x", 1, NULL, &err),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(config_parse("t.conf", "x", 1, &cfg, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(config_parse("t.conf", NULL, 1, &cfg, &err),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  config_free(&cfg);
  config_free(NULL);
}

/* ---- limits ----------------------------------------------------------- */

static void limits_line_words_depth(void **state) {
  struct config cfg;
  struct config_error err;
  char *text;
  size_t i, n;

  (void)state;
  text = malloc(CONFIG_FILE_MAX + 2);
  assert_non_null(text);

  /* A statement of 8193 bytes. */
  n = (size_t)snprintf(text, 64, "config system settings\nset x ");
  memset(text + n, 'a', CONFIG_LINE_MAX);
  n += CONFIG_LINE_MAX;
  strcpy(text + n, "\nend\n");
  assert_int_equal(parse_text(text, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text, "t.conf:2: statement longer than the limit "
                                "of 8192 bytes");

  /* 65 words. */
  n = (size_t)snprintf(text, 64, "config system settings\nset x");
  for (i = 0; i < 63; i++)
    n += (size_t)snprintf(text + n, 8, " v");
  strcpy(text + n, "\nend\n");
  assert_int_equal(parse_text(text, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text,
                      "t.conf:2: more than 64 words in one statement");

  /* 64 words pass. */
  n = (size_t)snprintf(text, 64, "config system settings\nset x");
  for (i = 0; i < 62; i++)
    n += (size_t)snprintf(text + n, 8, " v");
  strcpy(text + n, "\nend\n");
  assert_int_equal(parse_text(text, &cfg, &err), 0);
  config_free(&cfg);

  /* Nine nested blocks. */
  n = 0;
  for (i = 0; i < 9; i++)
    n += (size_t)snprintf(text + n, 32, "config a%zu\n", i);
  assert_int_equal(parse_text(text, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text, "t.conf:9: config: blocks nested deeper "
                                "than 8");

  /* A file past the size limit. */
  memset(text, '\n', CONFIG_FILE_MAX + 1);
  config_init(&cfg);
  assert_int_equal(config_parse("t.conf", text, CONFIG_FILE_MAX + 1, &cfg,
                                &err),
                   TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text,
                      "t.conf: file larger than the limit of 1048576 bytes");
  free(text);
}

static void limits_entries_and_lists(void **state) {
  struct config cfg;
  struct config_error err;
  char *text;
  size_t i, n;

  (void)state;
  text = malloc(256 * 1024);
  assert_non_null(text);

  /* 64 phase 1 entries pass, the 65th is rejected. */
  n = (size_t)sprintf(text, "config vpn ipsec phase1-interface\n");
  for (i = 0; i < CONFIG_PHASE1_MAX; i++)
    n += (size_t)sprintf(text + n, "edit p%zu\nset type dynamic\n"
                                   "set psksecret " KEY "\nnext\n",
                         i);
  strcpy(text + n, "end\n");
  assert_int_equal(parse_text(text, &cfg, &err), 0);
  assert_int_equal(cfg.phase1_count, CONFIG_PHASE1_MAX);
  assert_string_equal(cfg.phase1[63].name, "p63");
  assert_memory_equal(cfg.phase1[63].psk, KEY, strlen(KEY));
  config_free(&cfg);
  strcpy(text + n, "edit one-too-many\nend\n");
  assert_int_equal(parse_text(text, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text, "t.conf:258: edit: more than 64 "
                                "phase1-interface entries");

  /* 33 routes. */
  n = (size_t)sprintf(text, "set routes");
  for (i = 0; i < 33; i++)
    n += (size_t)sprintf(text + n, " 10.%zu.0.0/16", i);
  assert_int_equal(parse_tunnel_line(text, &cfg, &err), TCPSEC_ERR_LIMIT);
  assert_string_equal(err.text, "t.conf:8: set routes: more than 32 routes");

  /* Nine groups, all different: only eight fit. */
  assert_int_equal(parse_phase1_line("set dhgrp 14 19 20 21 31\n"
                                     "append dhgrp 14",
                                     &cfg, &err),
                   TCPSEC_ERR_CONFIG);
  assert_string_equal(err.text,
                      "t.conf:6: append dhgrp: group 14 listed twice");

  /* Notices past the first 64 are counted. */
  n = (size_t)sprintf(text, "config system settings\n");
  for (i = 0; i < 70; i++)
    n += (size_t)sprintf(text + n, "set unknown-%zu x\n", i);
  strcpy(text + n, "end\n");
  assert_int_equal(parse_text(text, &cfg, &err), 0);
  assert_int_equal(cfg.notice_count, CONFIG_NOTICES_MAX);
  assert_int_equal(cfg.notices_dropped, 6);
  config_free(&cfg);
  free(text);
}

/* ---- files ------------------------------------------------------------ */

static void load_file_errors(void **state) {
  struct config cfg;
  struct config_error err;
  char path[] = "/tmp/tcpsec-config-test-XXXXXX";
  FILE *file;
  int fd;
  size_t i;

  (void)state;
  config_init(&cfg);
  assert_int_equal(config_load_file("/nonexistent/tunnel.conf", &cfg, &err),
                   TCPSEC_ERR_NOT_FOUND);
  assert_string_equal(err.text, "/nonexistent/tunnel.conf: cannot open: No "
                                "such file or directory");

  fd = mkstemp(path);
  assert_true(fd >= 0);
  file = fdopen(fd, "w");
  assert_non_null(file);
  fputs("config system settings\nset transport x\n", file);
  for (i = 0; i < CONFIG_FILE_MAX; i++)
    fputc('\n', file);
  fclose(file);
  assert_int_equal(config_load_file(path, &cfg, &err), TCPSEC_ERR_LIMIT);

  file = fopen(path, "w");
  assert_non_null(file);
  fputs("config system settings\nset ike-tcp-port x\nend\n", file);
  fclose(file);
  assert_int_equal(config_load_file(path, &cfg, &err), TCPSEC_ERR_CONFIG);
  assert_non_null(strstr(err.text, ":2: set ike-tcp-port: expected a number "
                                   "from 1 to 65535, got 'x'"));
  assert_int_equal(err.line, 2);
  unlink(path);
}

static void psk_never_in_messages(void **state) {
  struct config cfg;
  struct config_error err;

  (void)state;
  assert_int_equal(parse_phase1_line("set psksecret \"" KEY " " KEY " " KEY
                                     " " KEY " " KEY " " KEY "\"",
                                     &cfg, &err),
                   TCPSEC_ERR_CONFIG);
  assert_null(strstr(err.text, "tcpsec-lab"));
  assert_string_equal(err.text, "t.conf:5: set psksecret: key must have 6 to "
                                "128 characters, got 143");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(reference_hub_loads),
    cmocka_unit_test(reference_spoke_loads),
    cmocka_unit_test(reference_placeholder_key_rejected),
    cmocka_unit_test(example_files_load),
    cmocka_unit_test(example_spoke_addresses),
    cmocka_unit_test(defaults_without_keywords),
    cmocka_unit_test(phase1_keywords_stored),
    cmocka_unit_test(phase2_keywords_stored),
    cmocka_unit_test(settings_keywords_stored),
    cmocka_unit_test(tunnel_keywords_stored),
    cmocka_unit_test(rekey_times_below_lifetimes),
    cmocka_unit_test(unset_restores_default),
    cmocka_unit_test(aliases_and_notices),
    cmocka_unit_test(phase1_wrong_values),
    cmocka_unit_test(phase2_wrong_values),
    cmocka_unit_test(tunnel_wrong_values),
    cmocka_unit_test(settings_wrong_values),
    cmocka_unit_test(structure_errors),
    cmocka_unit_test(syntax_quotes_comments_crlf),
    cmocka_unit_test(syntax_edit_again_and_end_closes),
    cmocka_unit_test(syntax_skipped_blocks_nest),
    cmocka_unit_test(syntax_empty_text),
    cmocka_unit_test(limits_line_words_depth),
    cmocka_unit_test(limits_entries_and_lists),
    cmocka_unit_test(load_file_errors),
    cmocka_unit_test(psk_never_in_messages),
    cmocka_unit_test(certificate_blocks_load),
    cmocka_unit_test(certificate_one_direction),
    cmocka_unit_test(certificate_notices),
    cmocka_unit_test(certificate_wrong_values),
    cmocka_unit_test(certificate_entries_limit),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
