/*
 * Keywords of the configuration file: one table per section, the value
 * parsers, the defaults and the checks made when an entry is closed.
 *
 * Ranges and defaults follow FortiOS where a FortiOS keyword exists; the
 * values are listed in docs/configuration.md.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsec/algorithms.h"
#include "tcpsec/core.h"

/* Enum fields are written through an int pointer by the table code. */
_Static_assert(sizeof(enum config_phase1_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_peertype) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_transport) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_dpd) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_nat_traversal) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_segment_sequence) == sizeof(int),
               "enum size");
_Static_assert(sizeof(enum config_keylife_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_authmethod) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_rsa_signature_format) == sizeof(int),
               "enum size");

enum value_kind {
  VALUE_CHOICE,     /* one word from a list; int field */
  VALUE_UINT32,     /* decimal in [min, max]; uint32_t field */
  VALUE_PORT,       /* decimal in [1, 65535]; uint16_t field */
  VALUE_TEXT,       /* one word of at most size - 1 bytes; char array */
  VALUE_ADDRESS,    /* IPv4 or IPv6 address; struct net_addr */
  VALUE_PSK,        /* pre-shared key; psk and psk_len of a phase 1 */
  VALUE_PROPOSALS,  /* proposal strings; struct config_proposals */
  VALUE_DHGRP,      /* group numbers; struct config_dhgrp */
  VALUE_SUBNET,     /* traffic selector; struct net_prefix */
  VALUE_ROUTES,     /* prefixes of a tunnel; routes and route_count */
  VALUE_HOST_PREFIX,/* interface address with prefix; struct net_prefix */
  VALUE_IGNORED,    /* FortiOS keyword tcpsec has no use for */
  VALUE_REJECTED    /* FortiOS keyword whose check tcpsec cannot make:
                       an error, never silently ignored */
};

/* VALUE_TEXT checks. */
#define TEXT_NONEMPTY 1u
#define TEXT_ABSOLUTE_PATH 2u
#define TEXT_IFNAME 4u

/* VALUE_ADDRESS and VALUE_SUBNET: restrict to IPv6 (the "...6" keywords). */
#define FAMILY_IPV6_ONLY 6u

struct choice {
  const char *text;
  int value;
  /* When set, accepting this word also records this notice. */
  const char *notice;
  /* Accepted, but not listed among the expected values (aliases). */
  int hidden;
};

#define NO_FIELD ((size_t)-1)

struct keyword {
  const char *name;
  enum value_kind kind;
  size_t offset; /* of the field in the entry; NO_FIELD when not stored */
  size_t size;
  uint32_t min;   /* VALUE_UINT32 lower bound */
  uint32_t max;   /* VALUE_UINT32 upper bound */
  unsigned flags; /* TEXT_* or FAMILY_IPV6_ONLY */
  /* VALUE_CHOICE: the words. VALUE_REJECTED: one element whose notice is
   * the error text, saying why and what to use instead. */
  const struct choice *choices;
};

#define FIELD(type, member) \
  offsetof(type, member), sizeof(((type *)0)->member)

/* ---- choices ---------------------------------------------------------- */

static const struct choice enable_disable[] = {
  {"enable", 1, NULL, 0}, {"disable", 0, NULL, 0}, {NULL, 0, NULL, 0}};

static const struct choice phase1_types[] = {
  {"static", CONFIG_TYPE_STATIC, NULL, 0},
  {"dynamic", CONFIG_TYPE_DYNAMIC, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice ip_versions[] = {
  {"4", 4, NULL, 0}, {"6", 6, NULL, 0}, {NULL, 0, NULL, 0}};

static const struct choice ike_versions[] = {
  {"2", 2, "tcpsec always uses IKEv2; the line has no effect", 0},
  {NULL, 0, NULL, 0}};

static const struct choice peertypes[] = {
  {"any", CONFIG_PEERTYPE_ANY,
   "any peer identity is accepted; use peertype one with peerid to check it",
   0},
  {"one", CONFIG_PEERTYPE_ONE, NULL, 0},
  {"peer", CONFIG_PEERTYPE_PEER, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice authmethods[] = {
  {"psk", CONFIG_AUTH_PSK, NULL, 0},
  {"signature", CONFIG_AUTH_SIGNATURE, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice rsa_signature_formats[] = {
  {"pkcs1", CONFIG_RSA_PKCS1, NULL, 0},
  {"pss", CONFIG_RSA_PSS, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice transports[] = {
  {"udp", CONFIG_TRANSPORT_UDP, NULL, 0},
  {"tcp", CONFIG_TRANSPORT_TCP, NULL, 0},
  {"auto", CONFIG_TRANSPORT_AUTO, NULL, 0},
  {"udp-fallback-tcp", CONFIG_TRANSPORT_AUTO,
   "older FortiOS spelling of transport auto, read as auto", 1},
  {NULL, 0, NULL, 0}};

static const struct choice dpd_modes[] = {
  {"disable", CONFIG_DPD_DISABLE, NULL, 0},
  {"on-idle", CONFIG_DPD_ON_IDLE, NULL, 0},
  {"on-demand", CONFIG_DPD_ON_DEMAND, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice nat_modes[] = {
  {"enable", CONFIG_NAT_TRAVERSAL_ENABLE, NULL, 0},
  {"disable", CONFIG_NAT_TRAVERSAL_DISABLE, NULL, 0},
  {"forced", CONFIG_NAT_TRAVERSAL_FORCED, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice net_device_values[] = {
  {"enable", 1, "FortiOS keyword not used by tcpsec, ignored", 0},
  {"disable", 0, "FortiOS keyword not used by tcpsec, ignored", 0},
  {NULL, 0, NULL, 0}};

static const struct choice log_levels[] = {
  {"error", TCPSEC_LOG_ERROR, NULL, 0},
  {"warning", TCPSEC_LOG_WARNING, NULL, 0},
  {"notice", TCPSEC_LOG_NOTICE, NULL, 0},
  {"info", TCPSEC_LOG_INFO, NULL, 0},
  {"debug", TCPSEC_LOG_DEBUG, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice keylife_types[] = {
  {"seconds", CONFIG_KEYLIFE_SECONDS, NULL, 0},
  {"kbs", CONFIG_KEYLIFE_KBS, NULL, 0},
  {"both", CONFIG_KEYLIFE_BOTH, NULL, 0},
  {NULL, 0, NULL, 0}};

static const struct choice segment_sequences[] = {
  {"behind", CONFIG_SEGMENT_BEHIND, NULL, 0},
  {"ahead", CONFIG_SEGMENT_AHEAD, NULL, 0},
  {NULL, 0, NULL, 0}};

/* ---- tables ----------------------------------------------------------- */

#define P1(member) FIELD(struct config_phase1, member)
#define P2(member) FIELD(struct config_phase2, member)
#define TUN(member) FIELD(struct config_tunnel, member)
#define SYS(member) FIELD(struct config_system, member)
#define TSYS(member) FIELD(struct config_tcpsec_system, member)
#define IGNORED(name) {name, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}

static const struct keyword phase1_keywords[] = {
  {"type", VALUE_CHOICE, P1(type), 0, 0, 0, phase1_types},
  {"interface", VALUE_TEXT, P1(interface), 0, 0, 0, NULL},
  {"ip-version", VALUE_CHOICE, P1(ip_version), 0, 0, 0, ip_versions},
  {"local-gw", VALUE_ADDRESS, P1(local_gw), 0, 0, 0, NULL},
  {"local-gw6", VALUE_ADDRESS, P1(local_gw), 0, 0, FAMILY_IPV6_ONLY, NULL},
  {"remote-gw", VALUE_ADDRESS, P1(remote_gw), 0, 0, 0, NULL},
  {"remote-gw6", VALUE_ADDRESS, P1(remote_gw), 0, 0, FAMILY_IPV6_ONLY, NULL},
  {"ike-version", VALUE_CHOICE, NO_FIELD, 0, 0, 0, 0, ike_versions},
  {"peertype", VALUE_CHOICE, P1(peertype), 0, 0, 0, peertypes},
  {"authmethod", VALUE_CHOICE, P1(authmethod), 0, 0, 0, authmethods},
  {"authmethod-remote", VALUE_CHOICE, P1(authmethod_remote), 0, 0, 0,
   authmethods},
  {"certificate", VALUE_TEXT, P1(certificate), 0, 0, TEXT_NONEMPTY, NULL},
  {"peer", VALUE_TEXT, P1(peer), 0, 0, TEXT_NONEMPTY, NULL},
  {"rsa-signature-format", VALUE_CHOICE, P1(rsa_signature_format), 0, 0, 0,
   rsa_signature_formats},
  {"proposal", VALUE_PROPOSALS, P1(proposal), 0, 0, 0, NULL},
  {"dhgrp", VALUE_DHGRP, P1(dhgrp), 0, 0, 0, NULL},
  {"transport", VALUE_CHOICE, P1(transport), 0, 0, 0, transports},
  {"fortinet-esp", VALUE_CHOICE, P1(fortinet_esp), 0, 0, 0, enable_disable},
  {"psksecret", VALUE_PSK, P1(psk), 0, 0, 0, NULL},
  {"auto-transport-threshold", VALUE_UINT32, P1(auto_transport_threshold_s),
   1, 300, 0, NULL},
  {"dpd", VALUE_CHOICE, P1(dpd), 0, 0, 0, dpd_modes},
  {"dpd-retryinterval", VALUE_UINT32, P1(dpd_retry_interval_s), 1, 3600, 0,
   NULL},
  {"dpd-retrycount", VALUE_UINT32, P1(dpd_retry_count), 0, 10, 0, NULL},
  {"keylife", VALUE_UINT32, P1(keylife_s), 120, 172800, 0, NULL},
  {"rekey", VALUE_CHOICE, P1(rekey), 0, 0, 0, enable_disable},
  {"localid", VALUE_TEXT, P1(localid), 0, 0, 0, NULL},
  {"peerid", VALUE_TEXT, P1(peerid), 0, 0, 0, NULL},
  {"nattraversal", VALUE_CHOICE, P1(nat_traversal), 0, 0, 0, nat_modes},
  {"keepalive", VALUE_UINT32, P1(keepalive_s), 5, 900, 0, NULL},
  {"net-device", VALUE_CHOICE, NO_FIELD, 0, 0, 0, 0, net_device_values},
  IGNORED("add-gw-route"),
  IGNORED("add-route"),
  IGNORED("assign-ip"),
  IGNORED("auto-discovery-forwarder"),
  IGNORED("auto-discovery-psk"),
  IGNORED("auto-discovery-receiver"),
  IGNORED("auto-discovery-sender"),
  IGNORED("auto-negotiate"),
  IGNORED("childless-ike"),
  IGNORED("client-auto-negotiate"),
  IGNORED("client-keep-alive"),
  IGNORED("comments"),
  IGNORED("distance"),
  IGNORED("eap"),
  IGNORED("encapsulation"),
  IGNORED("exchange-interface-ip"),
  IGNORED("fragmentation"),
  IGNORED("fragmentation-mtu"),
  IGNORED("idle-timeout"),
  IGNORED("localid-type"),
  IGNORED("mode"),
  IGNORED("mode-cfg"),
  IGNORED("monitor"),
  IGNORED("network-id"),
  IGNORED("network-overlay"),
  IGNORED("npu-offload"),
  IGNORED("priority"),
  IGNORED("reauth"),
  IGNORED("send-cert-chain"),
  IGNORED("tunnel-search"),
  IGNORED("wizard-type"),
  IGNORED("xauthtype"),
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

static const struct keyword phase2_keywords[] = {
  {"phase1name", VALUE_TEXT, P2(phase1name), 0, 0, TEXT_NONEMPTY, NULL},
  {"proposal", VALUE_PROPOSALS, P2(proposal), 0, 0, 0, NULL},
  {"dhgrp", VALUE_DHGRP, P2(dhgrp), 0, 0, 0, NULL},
  {"pfs", VALUE_CHOICE, P2(pfs), 0, 0, 0, enable_disable},
  {"src-subnet", VALUE_SUBNET, P2(src_subnet), 0, 0, 0, NULL},
  {"dst-subnet", VALUE_SUBNET, P2(dst_subnet), 0, 0, 0, NULL},
  {"src-subnet6", VALUE_SUBNET, P2(src_subnet), 0, 0, FAMILY_IPV6_ONLY, NULL},
  {"dst-subnet6", VALUE_SUBNET, P2(dst_subnet), 0, 0, FAMILY_IPV6_ONLY, NULL},
  {"keylifeseconds", VALUE_UINT32, P2(keylife_s), 120, 172800, 0, NULL},
  {"keylifekbs", VALUE_UINT32, P2(keylife_kbs), 5120, UINT32_MAX, 0, NULL},
  {"keylife-type", VALUE_CHOICE, P2(keylife_type), 0, 0, 0, keylife_types},
  {"replay", VALUE_CHOICE, P2(replay), 0, 0, 0, enable_disable},
  IGNORED("add-route"),
  IGNORED("auto-discovery-forwarder"),
  IGNORED("auto-discovery-sender"),
  IGNORED("auto-negotiate"),
  IGNORED("comments"),
  IGNORED("diffserv"),
  IGNORED("dst-addr-type"),
  IGNORED("dst-port"),
  IGNORED("encapsulation"),
  IGNORED("initiator-ts-narrow"),
  IGNORED("keepalive"),
  IGNORED("l2tp"),
  IGNORED("protocol"),
  IGNORED("route-overlap"),
  IGNORED("single-source"),
  IGNORED("src-addr-type"),
  IGNORED("src-port"),
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

static const struct keyword system_keywords[] = {
  {"ike-tcp-service", VALUE_CHOICE, SYS(ike_tcp_service), 0, 0, 0,
   enable_disable},
  {"ike-tcp-port", VALUE_PORT, SYS(ike_tcp_port), 0, 0, 0, NULL},
  {"ike-port", VALUE_PORT, SYS(ike_port), 0, 0, 0, NULL},
  {"ike-natt-port", VALUE_PORT, SYS(ike_natt_port), 0, 0, 0, NULL},
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

static const struct keyword tcpsec_system_keywords[] = {
  {"control-socket", VALUE_TEXT, TSYS(control_socket), 0, 0,
   TEXT_ABSOLUTE_PATH, NULL},
  {"log-level", VALUE_CHOICE, TSYS(log_level), 0, 0, 0, log_levels},
  {"segment-drop-rule", VALUE_CHOICE, TSYS(segment_drop_rule), 0, 0, 0,
   enable_disable},
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

static const struct keyword tunnel_keywords[] = {
  {"tun-name", VALUE_TEXT, TUN(tun_name), 0, 0, TEXT_IFNAME, NULL},
  {"tunnel-address", VALUE_HOST_PREFIX, TUN(tunnel_address), 0, 0, 0, NULL},
  {"routes", VALUE_ROUTES, TUN(routes), 0, 0, 0, NULL},
  {"mtu", VALUE_UINT32, TUN(mtu), 576, 9000, 0, NULL},
  {"segment-sequence", VALUE_CHOICE, TUN(segment_sequence), 0, 0, 0,
   segment_sequences},
  {"tcp-keepalive", VALUE_UINT32, TUN(tcp_keepalive_s), 0, 7200, 0, NULL},
  {"ike-rekey", VALUE_UINT32, TUN(ike_rekey_s), 0, 172800, 0, NULL},
  {"child-rekey", VALUE_UINT32, TUN(child_rekey_s), 0, 172800, 0, NULL},
  {"child-rekey-kbs", VALUE_UINT32, TUN(child_rekey_kbs), 0, UINT32_MAX, 0,
   NULL},
  {"rekey-jitter", VALUE_UINT32, TUN(rekey_jitter_percent), 0, 50, 0, NULL},
  {"rekey-grace", VALUE_UINT32, TUN(rekey_grace_s), 1, 3600, 0, NULL},
  {"tcp-reconnect-max", VALUE_UINT32, TUN(tcp_reconnect_max_s), 1, 3600, 0,
   NULL},
  {"send-certreq", VALUE_CHOICE, TUN(send_certreq), 0, 0, 0, enable_disable},
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

#define LCERT(member) FIELD(struct config_local_cert, member)
#define CACERT(member) FIELD(struct config_ca_cert, member)
#define UPEER(member) FIELD(struct config_user_peer, member)

static const struct keyword local_cert_keywords[] = {
  {"certificate-file", VALUE_TEXT, LCERT(certificate_file), 0, 0,
   TEXT_ABSOLUTE_PATH | TEXT_NONEMPTY, NULL},
  {"private-key-file", VALUE_TEXT, LCERT(private_key_file), 0, 0,
   TEXT_ABSOLUTE_PATH | TEXT_NONEMPTY, NULL},
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

static const struct keyword ca_cert_keywords[] = {
  {"ca-file", VALUE_TEXT, CACERT(ca_file), 0, 0,
   TEXT_ABSOLUTE_PATH | TEXT_NONEMPTY, NULL},
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

/* Checks of the peer's certificate that tcpsec does not make: accepting
 * the line would let in peers the administrator meant to keep out. */
static const struct choice peer_name_rejection[] = {
  {NULL, 0,
   "tcpsec does not match certificate names with config user peer; check "
   "the peer's identity with peertype one and peerid instead",
   0}};
static const struct choice ldap_rejection[] = {
  {NULL, 0, "LDAP checks of peers are not supported", 0}};
static const struct choice ocsp_rejection[] = {
  {NULL, 0, "OCSP is not supported", 0}};

static const struct keyword user_peer_keywords[] = {
  {"ca", VALUE_TEXT, UPEER(ca), 0, 0, TEXT_NONEMPTY, NULL},
  {"cn", VALUE_REJECTED, NO_FIELD, 0, 0, 0, 0, peer_name_rejection},
  {"subject", VALUE_REJECTED, NO_FIELD, 0, 0, 0, 0, peer_name_rejection},
  {"ldap-server", VALUE_REJECTED, NO_FIELD, 0, 0, 0, 0, ldap_rejection},
  {"ocsp-override-server", VALUE_REJECTED, NO_FIELD, 0, 0, 0, 0,
   ocsp_rejection},
  IGNORED("cn-type"),
  IGNORED("mandatory-ca-verify"),
  {NULL, VALUE_IGNORED, NO_FIELD, 0, 0, 0, 0, NULL}};

/* ---- defaults --------------------------------------------------------- */

static const char *const default_phase1_proposals[] = {
  "aes128-sha256", "aes256-sha256", "aes128gcm-prfsha256",
  "aes256gcm-prfsha384", "chacha20poly1305-prfsha256"};

static const char *const default_phase2_proposals[] = {
  "aes128-sha256", "aes256-sha256", "aes128gcm", "aes256gcm",
  "chacha20poly1305"};

static void set_proposals(struct config_proposals *list,
                          const char *const *texts, size_t count) {
  size_t i;

  memset(list, 0, sizeof(*list));
  for (i = 0; i < count; i++)
    snprintf(list->text[i], sizeof(list->text[i]), "%s", texts[i]);
  list->count = count;
}

static void set_any_ipv4(struct net_prefix *prefix) {
  memset(prefix, 0, sizeof(*prefix));
  prefix->addr.family = NET_FAMILY_IPV4;
}

void config_phase1_default(struct config_phase1 *entry) {
  memset(entry, 0, sizeof(*entry));
  entry->type = CONFIG_TYPE_STATIC;
  entry->ip_version = 4;
  entry->peertype = CONFIG_PEERTYPE_ANY;
  set_proposals(&entry->proposal, default_phase1_proposals,
                sizeof(default_phase1_proposals) /
                    sizeof(default_phase1_proposals[0]));
  entry->dhgrp.group[0] = TCPSEC_KE_ECP_384;
  entry->dhgrp.group[1] = TCPSEC_KE_ECP_521;
  entry->dhgrp.count = 2;
  entry->transport = CONFIG_TRANSPORT_UDP;
  entry->auto_transport_threshold_s = 15;
  entry->dpd = CONFIG_DPD_ON_DEMAND;
  entry->dpd_retry_interval_s = 20;
  entry->dpd_retry_count = 3;
  entry->keylife_s = 86400;
  entry->rekey = 1;
  entry->nat_traversal = CONFIG_NAT_TRAVERSAL_ENABLE;
  entry->keepalive_s = 10;
  entry->authmethod = CONFIG_AUTH_PSK;
  entry->authmethod_remote = CONFIG_AUTH_SAME;
  entry->rsa_signature_format = CONFIG_RSA_PKCS1;
}

void config_phase2_default(struct config_phase2 *entry) {
  memset(entry, 0, sizeof(*entry));
  set_proposals(&entry->proposal, default_phase2_proposals,
                sizeof(default_phase2_proposals) /
                    sizeof(default_phase2_proposals[0]));
  entry->pfs = 1;
  set_any_ipv4(&entry->src_subnet);
  set_any_ipv4(&entry->dst_subnet);
  entry->keylife_type = CONFIG_KEYLIFE_SECONDS;
  entry->keylife_s = 43200;
  entry->keylife_kbs = 5120;
  entry->replay = 1;
}

void config_tunnel_default(struct config_tunnel *entry) {
  memset(entry, 0, sizeof(*entry));
  entry->mtu = 1400;
  entry->segment_sequence = CONFIG_SEGMENT_BEHIND;
  entry->rekey_jitter_percent = 10;
  entry->rekey_grace_s = 30;
  entry->tcp_reconnect_max_s = 30;
  entry->send_certreq = 1;
}

void config_local_cert_default(struct config_local_cert *entry) {
  memset(entry, 0, sizeof(*entry));
}

void config_ca_cert_default(struct config_ca_cert *entry) {
  memset(entry, 0, sizeof(*entry));
}

void config_user_peer_default(struct config_user_peer *entry) {
  memset(entry, 0, sizeof(*entry));
}

const char *config_transport_name(enum config_transport transport) {
  switch (transport) {
  case CONFIG_TRANSPORT_UDP:
    return "udp";
  case CONFIG_TRANSPORT_TCP:
    return "tcp";
  case CONFIG_TRANSPORT_AUTO:
    return "auto";
  }
  return "?";
}

const char *config_authmethod_name(enum config_authmethod method) {
  switch (method) {
  case CONFIG_AUTH_PSK:
    return "psk";
  case CONFIG_AUTH_SIGNATURE:
    return "signature";
  case CONFIG_AUTH_SAME:
    return "same as authmethod";
  }
  return "?";
}

const char *config_dpd_name(enum config_dpd dpd) {
  switch (dpd) {
  case CONFIG_DPD_DISABLE:
    return "disable";
  case CONFIG_DPD_ON_IDLE:
    return "on-idle";
  case CONFIG_DPD_ON_DEMAND:
    return "on-demand";
  }
  return "?";
}

/* Fill `out` with the default of the section's entry (or settings). */
static void section_default(enum config_section section, void *out) {
  struct config defaults;

  switch (section) {
  case CONFIG_SECTION_PHASE1:
    config_phase1_default(out);
    break;
  case CONFIG_SECTION_PHASE2:
    config_phase2_default(out);
    break;
  case CONFIG_SECTION_TCPSEC_TUNNEL:
    config_tunnel_default(out);
    break;
  case CONFIG_SECTION_LOCAL_CERT:
    config_local_cert_default(out);
    break;
  case CONFIG_SECTION_CA_CERT:
    config_ca_cert_default(out);
    break;
  case CONFIG_SECTION_USER_PEER:
    config_user_peer_default(out);
    break;
  case CONFIG_SECTION_SYSTEM_SETTINGS:
    config_init(&defaults);
    memcpy(out, &defaults.system, sizeof(defaults.system));
    break;
  case CONFIG_SECTION_TCPSEC_SYSTEM:
    config_init(&defaults);
    memcpy(out, &defaults.tcpsec, sizeof(defaults.tcpsec));
    break;
  case CONFIG_SECTION_SKIPPED:
    break;
  }
}

/* ---- value parsers ---------------------------------------------------- */

/* Context of one set/append/unset statement, for messages. */
struct change {
  struct config_parser *parser;
  const struct config_statement *st;
  const struct keyword *keyword;
  const char *command; /* "set", "append" or "unset" */
  char *field;         /* start of the field in the entry */
  void *entry;
};

#define VALUES(c) ((c)->st->count - 2)
#define VALUE(c, i) ((c)->st->word[2 + (i)])
#define VALUE_LENGTH(c, i) ((c)->st->length[2 + (i)])

static int fail_value(const struct change *c, const char *fmt, ...)
    CONFIG_PRINTF(2, 3);

static int fail_value(const struct change *c, const char *fmt, ...) {
  char reason[CONFIG_MESSAGE_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  return config_fail(c->parser, c->st->line, TCPSEC_ERR_CONFIG, "%s %s: %s",
                     c->command, c->keyword->name, reason);
}

static int fail_limit(const struct change *c, const char *reason) {
  return config_fail(c->parser, c->st->line, TCPSEC_ERR_LIMIT, "%s %s: %s",
                     c->command, c->keyword->name, reason);
}

static int notice_value(const struct change *c, const char *reason) {
  return config_notice(c->parser, c->st->line, "%s %s: %s", c->command,
                       c->keyword->name, reason);
}

/* Text "udp, tcp or auto" of the visible choices. */
static void list_choices(const struct choice *choices, char *buf,
                         size_t size) {
  size_t count = 0, seen = 0, i, n = 0;
  const char *separator;

  for (i = 0; choices[i].text != NULL; i++)
    count += choices[i].hidden ? 0 : 1;
  buf[0] = '\0';
  for (i = 0; choices[i].text != NULL && n < size; i++) {
    if (choices[i].hidden)
      continue;
    seen++;
    if (seen == 1)
      separator = "";
    else if (seen == count)
      separator = " or ";
    else
      separator = ", ";
    n += (size_t)snprintf(buf + n, size - n, "%s%s", separator,
                          choices[i].text);
  }
}

static int expect_one_value(const struct change *c, const char *expected) {
  if (VALUES(c) == 1)
    return 0;
  if (VALUES(c) == 0)
    return fail_value(c, "value missing; expected %s", expected);
  return fail_value(c, "expected one value (%s), got %zu; quote a value that "
                       "contains spaces",
                    expected, VALUES(c));
}

static int parse_choice(const struct change *c) {
  const struct choice *choice;
  char expected[128], quoted[64];
  int rc;

  list_choices(c->keyword->choices, expected, sizeof(expected));
  rc = expect_one_value(c, expected);
  if (rc != 0)
    return rc;
  for (choice = c->keyword->choices; choice->text != NULL; choice++) {
    if (strcmp(choice->text, VALUE(c, 0)) == 0)
      break;
  }
  if (choice->text == NULL) {
    config_quote(VALUE(c, 0), VALUE_LENGTH(c, 0), quoted, sizeof(quoted));
    return fail_value(c, "expected %s, got '%s'", expected, quoted);
  }
  if (c->field != NULL)
    memcpy(c->field, &choice->value, sizeof(int));
  if (choice->notice != NULL)
    return notice_value(c, choice->notice);
  return 0;
}

/* Parse a decimal number without sign; -1 when it is not one or exceeds
 * 2^32 - 1. */
static int parse_decimal(const char *text, uint32_t *out) {
  uint64_t value = 0;
  size_t i;

  if (text[0] == '\0')
    return -1;
  for (i = 0; text[i] != '\0'; i++) {
    if (text[i] < '0' || text[i] > '9' || i >= 10)
      return -1;
    value = value * 10 + (uint64_t)(text[i] - '0');
  }
  if (value > UINT32_MAX)
    return -1;
  *out = (uint32_t)value;
  return 0;
}

static int parse_uint(const struct change *c, uint32_t min, uint32_t max,
                      uint32_t *out) {
  char expected[64], quoted[64];
  uint32_t value;
  int rc;

  snprintf(expected, sizeof(expected), "a number from %u to %u",
           (unsigned)min, (unsigned)max);
  rc = expect_one_value(c, expected);
  if (rc != 0)
    return rc;
  if (parse_decimal(VALUE(c, 0), &value) != 0 || value < min || value > max) {
    config_quote(VALUE(c, 0), VALUE_LENGTH(c, 0), quoted, sizeof(quoted));
    return fail_value(c, "expected %s, got '%s'", expected, quoted);
  }
  *out = value;
  return 0;
}

static int parse_uint32_field(const struct change *c) {
  uint32_t value;
  int rc = parse_uint(c, c->keyword->min, c->keyword->max, &value);

  if (rc == 0)
    memcpy(c->field, &value, sizeof(value));
  return rc;
}

static int parse_port_field(const struct change *c) {
  uint32_t value;
  uint16_t port;
  int rc = parse_uint(c, 1, 65535, &value);

  if (rc != 0)
    return rc;
  port = (uint16_t)value;
  memcpy(c->field, &port, sizeof(port));
  return 0;
}

static int is_ifname_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
         ch == '%';
}

static int parse_text(const struct change *c) {
  const size_t max = c->keyword->size - 1;
  const unsigned flags = c->keyword->flags;
  char quoted[64];
  size_t i, length;
  int rc;

  rc = expect_one_value(c, flags & TEXT_ABSOLUTE_PATH ? "an absolute path"
                                                      : "one word");
  if (rc != 0)
    return rc;
  length = VALUE_LENGTH(c, 0);
  config_quote(VALUE(c, 0), length, quoted, sizeof(quoted));
  if (length > max)
    return fail_value(c, "longer than %zu characters: '%s'", max, quoted);
  if ((flags & TEXT_NONEMPTY) && length == 0)
    return fail_value(c, "value must not be empty");
  if ((flags & TEXT_ABSOLUTE_PATH) && length > 0 && VALUE(c, 0)[0] != '/')
    return fail_value(c, "expected an absolute path, got '%s'", quoted);
  if (flags & TEXT_IFNAME) {
    for (i = 0; i < length; i++) {
      if (!is_ifname_char(VALUE(c, 0)[i]))
        return fail_value(c, "expected letters, digits, '-', '_', '.' or "
                             "'%%', got '%s'",
                          quoted);
    }
  }
  memset(c->field, 0, c->keyword->size);
  memcpy(c->field, VALUE(c, 0), length);
  return 0;
}

static int parse_address(const struct change *c) {
  const int ipv6_only = c->keyword->flags == FAMILY_IPV6_ONLY;
  const char *expected = ipv6_only ? "an IPv6 address" : "an IP address";
  struct net_addr addr;
  char quoted[64];
  int rc;

  rc = expect_one_value(c, expected);
  if (rc != 0)
    return rc;
  if (net_addr_parse(VALUE(c, 0), &addr) != 0 ||
      (ipv6_only && addr.family != NET_FAMILY_IPV6)) {
    config_quote(VALUE(c, 0), VALUE_LENGTH(c, 0), quoted, sizeof(quoted));
    return fail_value(c, "expected %s, got '%s'", expected, quoted);
  }
  memcpy(c->field, &addr, sizeof(addr));
  return 0;
}

static int parse_psk(const struct change *c) {
  struct config_phase1 *entry = c->entry;
  size_t length;

  if (VALUES(c) >= 1 && strcmp(VALUE(c, 0), "ENC") == 0)
    return fail_value(c, "keys encrypted by FortiOS (ENC ...) cannot be "
                         "read; write the key in clear text");
  if (VALUES(c) == 0)
    return fail_value(c, "value missing; expected the pre-shared key");
  if (VALUES(c) > 1)
    return fail_value(c, "expected one value, got %zu; quote a key that "
                         "contains spaces",
                      VALUES(c));

  /* The key is never echoed in a message. */
  length = VALUE_LENGTH(c, 0);
  if (length < 6 || length > CONFIG_PSK_MAX)
    return fail_value(c, "key must have 6 to %d characters, got %zu",
                      CONFIG_PSK_MAX, length);
  config_wipe(entry->psk, sizeof(entry->psk));
  memcpy(entry->psk, VALUE(c, 0), length);
  entry->psk_len = length;
  return 0;
}

static int is_proposal_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

static int parse_proposals(const struct change *c, int append) {
  struct config_proposals *list = (struct config_proposals *)c->field;
  struct config_proposals result;
  char quoted[64];
  size_t i, j;

  if (VALUES(c) == 0)
    return fail_value(c, "value missing; expected proposals such as "
                         "aes128-sha256 aes256gcm-prfsha384");
  result = append ? *list : (struct config_proposals){.count = 0};
  for (i = 0; i < VALUES(c); i++) {
    const char *text = VALUE(c, i);
    const size_t length = VALUE_LENGTH(c, i);
    int valid = length > 0 && length <= CONFIG_PROPOSAL_TEXT_MAX;

    for (j = 0; valid && j < length; j++)
      valid = is_proposal_char(text[j]);
    if (!valid) {
      config_quote(text, length, quoted, sizeof(quoted));
      return fail_value(c, "expected proposals such as aes128-sha256 (lower "
                           "case letters, digits and '-'), got '%s'",
                        quoted);
    }
    if (result.count == CONFIG_PROPOSALS_MAX)
      return fail_limit(c, "more than 16 proposals");
    memcpy(result.text[result.count], text, length + 1);
    result.count++;
  }
  *list = result;
  return 0;
}

static int is_supported_group(uint32_t group) {
  return group == TCPSEC_KE_MODP_2048 || group == TCPSEC_KE_ECP_256 ||
         group == TCPSEC_KE_ECP_384 || group == TCPSEC_KE_ECP_521 ||
         group == TCPSEC_KE_CURVE25519;
}

static int parse_dhgrp(const struct change *c, int append) {
  static const char supported[] = "14, 19, 20, 21 or 31";
  struct config_dhgrp *list = (struct config_dhgrp *)c->field;
  struct config_dhgrp result;
  char quoted[64];
  size_t i, j;

  if (VALUES(c) == 0)
    return fail_value(c, "value missing; expected group numbers such as 20 "
                         "21");
  result = append ? *list : (struct config_dhgrp){.count = 0};
  for (i = 0; i < VALUES(c); i++) {
    uint32_t group;

    config_quote(VALUE(c, i), VALUE_LENGTH(c, i), quoted, sizeof(quoted));
    if (parse_decimal(VALUE(c, i), &group) != 0)
      return fail_value(c, "expected group numbers (%s), got '%s'", supported,
                        quoted);
    if (!is_supported_group(group))
      return fail_value(c, "group %s is not supported; expected %s", quoted,
                        supported);
    for (j = 0; j < result.count; j++) {
      if (result.group[j] == group)
        return fail_value(c, "group %s listed twice", quoted);
    }
    if (result.count == CONFIG_DHGRP_MAX)
      return fail_limit(c, "more than 8 groups");
    result.group[result.count++] = (uint16_t)group;
  }
  *list = result;
  return 0;
}

/* Message for a net_prefix_parse() failure. */
static int fail_prefix(const struct change *c, int code, const char *text,
                       size_t length, const struct net_prefix *masked) {
  char quoted[64], fixed[NET_PREFIX_TEXT_MAX];

  config_quote(text, length, quoted, sizeof(quoted));
  switch (code) {
  case NET_PREFIX_HOST_BITS:
    net_prefix_format(masked, fixed, sizeof(fixed));
    return fail_value(c, "'%s' has bits set past the prefix length; did you "
                         "mean %s?",
                      quoted, fixed);
  case NET_PREFIX_BAD_MASK:
    return fail_value(c, "invalid netmask in '%s'; expected contiguous ones "
                         "such as 255.255.255.0",
                      quoted);
  default:
    return fail_value(c, "expected address/length, address/netmask or "
                         "address netmask, got '%s'",
                      quoted);
  }
}

/* Parse values [first, first + count) as one prefix. */
static int parse_one_prefix(const struct change *c, size_t first,
                            size_t count, int host_bits_allowed,
                            struct net_prefix *out) {
  struct net_prefix masked;
  int rc;

  if (count == 2)
    rc = net_prefix_from_mask(VALUE(c, first), VALUE(c, first + 1),
                              host_bits_allowed, out);
  else
    rc = net_prefix_parse(VALUE(c, first), host_bits_allowed, out);
  if (rc == 0)
    return 0;

  /* For the "did you mean" text: the same prefix with host bits cleared. */
  memset(&masked, 0, sizeof(masked));
  if (rc == NET_PREFIX_HOST_BITS) {
    if (count == 2)
      net_prefix_from_mask(VALUE(c, first), VALUE(c, first + 1), 1, &masked);
    else
      net_prefix_parse(VALUE(c, first), 1, &masked);
    net_prefix_clear_host_bits(&masked);
  }
  return fail_prefix(c, rc, VALUE(c, first), VALUE_LENGTH(c, first), &masked);
}

static int parse_subnet(const struct change *c) {
  const int ipv6_only = c->keyword->flags == FAMILY_IPV6_ONLY;
  struct net_prefix prefix;
  char quoted[64];
  int rc;

  if (VALUES(c) == 0 || VALUES(c) > 2)
    return fail_value(c, "expected address/length, address/netmask or "
                         "address netmask, got %zu values",
                      VALUES(c));
  rc = parse_one_prefix(c, 0, VALUES(c), 0, &prefix);
  if (rc != 0)
    return rc;
  if (ipv6_only && prefix.addr.family != NET_FAMILY_IPV6) {
    config_quote(VALUE(c, 0), VALUE_LENGTH(c, 0), quoted, sizeof(quoted));
    return fail_value(c, "expected an IPv6 prefix, got '%s'", quoted);
  }
  memcpy(c->field, &prefix, sizeof(prefix));
  return 0;
}

static int parse_host_prefix(const struct change *c) {
  struct net_prefix prefix;
  int rc;

  if (VALUES(c) == 0 || VALUES(c) > 2)
    return fail_value(c, "expected address/length, e.g. 10.255.0.1/30, got "
                         "%zu values",
                      VALUES(c));
  rc = parse_one_prefix(c, 0, VALUES(c), 1, &prefix);
  if (rc != 0)
    return rc;
  memcpy(c->field, &prefix, sizeof(prefix));
  return 0;
}

static int parse_routes(const struct change *c, int append) {
  struct config_tunnel *tunnel = c->entry;
  struct net_prefix routes[CONFIG_ROUTES_MAX];
  size_t count = append ? tunnel->route_count : 0;
  size_t i;
  int rc;

  if (VALUES(c) == 0)
    return fail_value(c, "value missing; expected prefixes such as "
                         "10.88.0.0/24");
  memcpy(routes, tunnel->routes, sizeof(routes));
  for (i = 0; i < VALUES(c); i++) {
    if (count == CONFIG_ROUTES_MAX)
      return fail_limit(c, "more than 32 routes");
    rc = parse_one_prefix(c, i, 1, 0, &routes[count]);
    if (rc != 0)
      return rc;
    count++;
  }
  memcpy(tunnel->routes, routes, sizeof(routes));
  tunnel->route_count = count;
  return 0;
}

/* ---- statements ------------------------------------------------------- */

static const struct keyword *section_table(enum config_section section) {
  switch (section) {
  case CONFIG_SECTION_SYSTEM_SETTINGS:
    return system_keywords;
  case CONFIG_SECTION_PHASE1:
    return phase1_keywords;
  case CONFIG_SECTION_PHASE2:
    return phase2_keywords;
  case CONFIG_SECTION_TCPSEC_SYSTEM:
    return tcpsec_system_keywords;
  case CONFIG_SECTION_TCPSEC_TUNNEL:
    return tunnel_keywords;
  case CONFIG_SECTION_LOCAL_CERT:
    return local_cert_keywords;
  case CONFIG_SECTION_CA_CERT:
    return ca_cert_keywords;
  case CONFIG_SECTION_USER_PEER:
    return user_peer_keywords;
  case CONFIG_SECTION_SKIPPED:
    break;
  }
  return NULL;
}

static int is_tcpsec_section(enum config_section section) {
  return section == CONFIG_SECTION_TCPSEC_SYSTEM ||
         section == CONFIG_SECTION_TCPSEC_TUNNEL ||
         section == CONFIG_SECTION_LOCAL_CERT ||
         section == CONFIG_SECTION_CA_CERT;
}

/* Levenshtein distance, capped: returns 3 for anything above 2. */
static unsigned edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), i, j;
  unsigned row[48], prev_diag, tmp;

  if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
    return 3;
  for (j = 0; j <= lb; j++)
    row[j] = (unsigned)j;
  for (i = 1; i <= la; i++) {
    prev_diag = row[0];
    row[0] = (unsigned)i;
    for (j = 1; j <= lb; j++) {
      unsigned best = prev_diag + (a[i - 1] == b[j - 1] ? 0u : 1u);

      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      tmp = row[j];
      row[j] = best;
      prev_diag = tmp;
    }
  }
  return row[lb] > 2 ? 3 : row[lb];
}

static int equal_ignoring_case(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
    char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;

    if (x != y)
      return 0;
  }
  return *a == *b;
}

/*
 * A keyword that no table lists. In the FortiOS sections it may be a
 * FortiOS keyword this parser does not know, so it is only a notice. A
 * keyword that looks like a mistyped tcpsec keyword is an error, because
 * the setting the administrator meant would silently not apply.
 */
static int unknown_keyword(struct config_parser *parser,
                           enum config_section section,
                           const struct keyword *table,
                           const struct config_statement *st) {
  const struct keyword *k;
  char quoted[64];

  config_quote(st->word[1], st->length[1], quoted, sizeof(quoted));
  for (k = table; k->name != NULL; k++) {
    if (k->kind == VALUE_IGNORED || k->kind == VALUE_REJECTED)
      continue;
    if (equal_ignoring_case(k->name, st->word[1]))
      return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                         "%s %s: keywords are lower case; did you mean '%s'?",
                         st->word[0], quoted, k->name);
  }
  for (k = table; k->name != NULL; k++) {
    if (k->kind == VALUE_IGNORED || k->kind == VALUE_REJECTED ||
        strlen(k->name) < 4)
      continue;
    if (edit_distance(k->name, st->word[1]) <= 2)
      return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                         "%s %s: unknown keyword; did you mean '%s'?",
                         st->word[0], quoted, k->name);
  }
  if (is_tcpsec_section(section))
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "%s %s: unknown keyword; see docs/configuration.md "
                       "for the keywords of tcpsec blocks",
                       st->word[0], quoted);
  return config_notice(parser, st->line,
                       "%s %s: unknown keyword, ignored", st->word[0],
                       quoted);
}

static int is_list(enum value_kind kind) {
  return kind == VALUE_PROPOSALS || kind == VALUE_DHGRP ||
         kind == VALUE_ROUTES;
}

static int apply_unset(struct change *c, enum config_section section) {
  const struct keyword *k = c->keyword;
  union {
    struct config_phase1 phase1;
    struct config_phase2 phase2;
    struct config_tunnel tunnel;
    struct config_local_cert local_cert;
    struct config_ca_cert ca_cert;
    struct config_user_peer user_peer;
    struct config_system system;
    struct config_tcpsec_system tcpsec;
  } defaults;

  if (c->st->count != 2)
    return config_fail(c->parser, c->st->line, TCPSEC_ERR_CONFIG,
                       "unset %s: expected no value", k->name);
  if (k->kind == VALUE_IGNORED)
    return notice_value(c, "FortiOS keyword not used by tcpsec, ignored");
  if (k->kind == VALUE_REJECTED)
    return 0; /* nothing was stored, so nothing to undo */
  if (k->kind == VALUE_PSK) {
    struct config_phase1 *entry = c->entry;

    config_wipe(entry->psk, sizeof(entry->psk));
    entry->psk_len = 0;
    return 0;
  }
  if (k->kind == VALUE_ROUTES) {
    struct config_tunnel *entry = c->entry;

    memset(entry->routes, 0, sizeof(entry->routes));
    entry->route_count = 0;
    return 0;
  }
  if (k->offset == NO_FIELD)
    return notice_value(c, "the line has no effect");

  section_default(section, &defaults);
  memcpy(c->field, (const char *)&defaults + k->offset, k->size);
  return 0;
}

int config_apply(struct config_parser *parser, enum config_section section,
                 void *entry, enum config_command command,
                 const struct config_statement *st) {
  const struct keyword *table = section_table(section);
  const struct keyword *k;
  struct change c;
  int append = command == CONFIG_COMMAND_APPEND;

  if (table == NULL)
    return 0;
  for (k = table; k->name != NULL; k++) {
    if (strcmp(k->name, st->word[1]) == 0)
      break;
  }
  if (k->name == NULL)
    return unknown_keyword(parser, section, table, st);

  c.parser = parser;
  c.st = st;
  c.keyword = k;
  c.command = st->word[0];
  c.entry = entry;
  c.field = k->offset == NO_FIELD ? NULL : (char *)entry + k->offset;

  if (command == CONFIG_COMMAND_UNSET)
    return apply_unset(&c, section);
  if (append && !is_list(k->kind))
    return fail_value(&c, "not a list; use set");

  switch (k->kind) {
  case VALUE_CHOICE:
    return parse_choice(&c);
  case VALUE_UINT32:
    return parse_uint32_field(&c);
  case VALUE_PORT:
    return parse_port_field(&c);
  case VALUE_TEXT:
    return parse_text(&c);
  case VALUE_ADDRESS:
    return parse_address(&c);
  case VALUE_PSK:
    return parse_psk(&c);
  case VALUE_PROPOSALS:
    return parse_proposals(&c, append);
  case VALUE_DHGRP:
    return parse_dhgrp(&c, append);
  case VALUE_SUBNET:
    return parse_subnet(&c);
  case VALUE_HOST_PREFIX:
    return parse_host_prefix(&c);
  case VALUE_ROUTES:
    return parse_routes(&c, append);
  case VALUE_IGNORED:
    return notice_value(&c, "FortiOS keyword not used by tcpsec, ignored");
  case VALUE_REJECTED:
    return fail_value(&c, "%s", k->choices[0].notice);
  }
  return 0;
}

/* ---- entry checks ----------------------------------------------------- */

static int check_family(struct config_parser *parser,
                        const struct config_phase1 *entry,
                        const struct net_addr *addr, const char *keyword) {
  char text[NET_ADDR_TEXT_MAX];

  if (addr->family == NET_FAMILY_NONE || addr->family == entry->ip_version)
    return 0;
  net_addr_format(addr, text, sizeof(text));
  return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                     "edit \"%s\": %s %s is not an IPv%d address; set "
                     "ip-version %d or change the address",
                     entry->name, keyword, text, entry->ip_version,
                     addr->family);
}

/* What each authentication method needs within the entry; the names of
 * certificates and peers are checked at the end of the file. */
static int check_authentication(struct config_parser *parser,
                                const struct config_phase1 *entry) {
  enum config_authmethod remote = entry->authmethod_remote == CONFIG_AUTH_SAME
                                      ? entry->authmethod
                                      : entry->authmethod_remote;

  if ((entry->authmethod == CONFIG_AUTH_PSK || remote == CONFIG_AUTH_PSK) &&
      entry->psk_len == 0)
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": psksecret missing; add set psksecret "
                       "<key>",
                       entry->name);
  if (entry->authmethod == CONFIG_AUTH_SIGNATURE &&
      entry->certificate[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": authmethod signature needs set "
                       "certificate \"<config tcpsec certificate local "
                       "entry>\"",
                       entry->name);
  if (entry->peertype == CONFIG_PEERTYPE_PEER && entry->peer[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": peertype peer needs set peer "
                       "\"<config user peer entry>\"",
                       entry->name);
  if (entry->peertype == CONFIG_PEERTYPE_PEER && remote != CONFIG_AUTH_SIGNATURE)
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": peertype peer checks the peer's "
                       "certificate, but the peer authenticates with a "
                       "pre-shared key; set authmethod signature or "
                       "authmethod-remote signature",
                       entry->name);
  return 0;
}

int config_check_phase1(struct config_parser *parser,
                        struct config_phase1 *entry) {
  int rc;

  rc = check_authentication(parser, entry);
  if (rc != 0)
    return rc;
  if (entry->type == CONFIG_TYPE_STATIC &&
      entry->remote_gw.family == NET_FAMILY_NONE)
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": remote-gw missing; type static needs "
                       "the peer's address",
                       entry->name);
  rc = check_family(parser, entry, &entry->local_gw, "local-gw");
  if (rc != 0)
    return rc;
  rc = check_family(parser, entry, &entry->remote_gw, "remote-gw");
  if (rc != 0)
    return rc;
  if (entry->peertype == CONFIG_PEERTYPE_ONE && entry->peerid[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": peertype one needs set peerid <id>",
                       entry->name);

  if (entry->type == CONFIG_TYPE_DYNAMIC &&
      entry->remote_gw.family != NET_FAMILY_NONE) {
    rc = config_notice(parser, entry->line,
                       "edit \"%s\": remote-gw is ignored for type dynamic",
                       entry->name);
    if (rc != 0)
      return rc;
  }
  if (entry->peertype != CONFIG_PEERTYPE_PEER && entry->peer[0] != '\0') {
    rc = config_notice(parser, entry->line,
                       "edit \"%s\": peer is used only with peertype peer",
                       entry->name);
    if (rc != 0)
      return rc;
  }
  if (entry->peertype != CONFIG_PEERTYPE_ONE && entry->peerid[0] != '\0')
    return config_notice(parser, entry->line,
                         "edit \"%s\": peerid is checked only with peertype "
                         "one",
                         entry->name);
  return 0;
}

int config_check_local_cert(struct config_parser *parser,
                            struct config_local_cert *entry) {
  if (entry->certificate_file[0] == '\0' ||
      entry->private_key_file[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": a local certificate needs set "
                       "certificate-file and set private-key-file",
                       entry->name);
  return 0;
}

int config_check_ca_cert(struct config_parser *parser,
                         struct config_ca_cert *entry) {
  if (entry->ca_file[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": a CA certificate needs set ca-file",
                       entry->name);
  return 0;
}

int config_check_phase2(struct config_parser *parser,
                        struct config_phase2 *entry) {
  struct net_prefix *src = &entry->src_subnet, *dst = &entry->dst_subnet;

  if (entry->phase1name[0] == '\0')
    return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": phase1name missing; add set phase1name "
                       "\"<phase1 name>\"",
                       entry->name);

  /* A side left at its default 0.0.0.0/0 follows the other side's family,
   * so that setting only src-subnet6 gives ::/0 as the remote selector. */
  if (src->addr.family != dst->addr.family) {
    if (src->length == 0 && src->addr.family == NET_FAMILY_IPV4) {
      memset(src, 0, sizeof(*src));
      src->addr.family = dst->addr.family;
    } else if (dst->length == 0 && dst->addr.family == NET_FAMILY_IPV4) {
      memset(dst, 0, sizeof(*dst));
      dst->addr.family = src->addr.family;
    } else {
      return config_fail(parser, entry->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": src-subnet and dst-subnet must be of "
                         "the same address family",
                         entry->name);
    }
  }
  return 0;
}
