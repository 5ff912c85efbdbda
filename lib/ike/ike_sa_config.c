/*
 * IKE SA configuration: defaults, validation, and the deep copy an IKE SA
 * keeps (identities, PSK, parsed proposal strings, traffic selectors, and
 * through auth_sig.c the certificates, private key and trust anchors).
 */
#include "ike/ike_sa.h"

#include <string.h>

static const char default_ike_proposals[] =
    "aes128-sha256 aes256-sha256 aes128gcm-prfsha256 aes256gcm-prfsha384 "
    "chacha20poly1305-prfsha256";
static const char default_esp_proposals[] =
    "aes128-sha256 aes256-sha256 aes128gcm aes256gcm chacha20poly1305";

void tcpsec_ike_config_default(tcpsec_ike_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->auth_method = TCPSEC_IKE_AUTH_PSK;
  cfg->ike_proposals = default_ike_proposals;
  cfg->esp_proposals = default_esp_proposals;
  cfg->dh_groups[0] = TCPSEC_KE_ECP_384;
  cfg->dh_groups[1] = TCPSEC_KE_ECP_521;
  cfg->dh_group_count = 2;
  cfg->ike_lifetime_ms = 86400000u;
  cfg->child_lifetime_ms = 43200000u;
  cfg->dpd_interval_ms = 30000;
  cfg->retransmit_timeout_ms = 1000;
  cfg->retransmit_max_timeout_ms = 32000;
  cfg->retransmit_limit = 7;
  cfg->half_open_timeout_ms = 30000;
  cfg->nat_traversal = 1;
  cfg->initial_contact = 1;
  cfg->transport = TCPSEC_IKE_TRANSPORT_UDP;
  cfg->rekey = 1;
  cfg->rekey_jitter_percent = 10;
  cfg->rekey_grace_ms = 30000;
  cfg->send_certreq = 1;
  cfg->rsa_pss = 1;
}

static int config_error(tcpsec_ctx *ctx, const char *problem) {
  tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
             "invalid IKE SA configuration: %s; fix the configuration",
             problem);
  return TCPSEC_ERR_CONFIG;
}

static int load_id(tcpsec_ctx *ctx, const tcpsec_ike_identity *in,
                   uint8_t *storage, int required, tcpsec_ike_identity *out) {
  *out = *in;
  if (in->type == TCPSEC_IKE_ID_TYPE_ANY) {
    if (required)
      return config_error(ctx, "local identity missing");
    out->data = NULL;
    out->len = 0;
    return 0;
  }
  if (in->len == 0 || in->len > TCPSEC_IKE_MAX_ID_LEN || in->data == NULL)
    return config_error(ctx, "identity empty or longer than 255 bytes");
  if ((in->type == TCPSEC_IKE_ID_TYPE_IPV4_ADDR && in->len != 4) ||
      (in->type == TCPSEC_IKE_ID_TYPE_IPV6_ADDR && in->len != 16))
    return config_error(ctx, "address identity of the wrong length");
  memcpy(storage, in->data, in->len);
  out->data = storage;
  return 0;
}

static int load_proposals(tcpsec_ctx *ctx, const char *text,
                          tcpsec_proposal_kind kind, tcpsec_proposal_spec *out,
                          size_t *count) {
  char err[128];
  int rv;

  if (text == NULL)
    return config_error(ctx, kind == TCPSEC_PROPOSAL_IKE
                                 ? "IKE proposal list missing"
                                 : "ESP proposal list missing");
  err[0] = '\0';
  rv = tcpsec_proposal_parse_list(text, kind, out,
                                  TCPSEC_IKE_CONFIG_MAX_PROPOSALS, count, err,
                                  sizeof(err));
  if (rv != 0) {
    tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "invalid %s proposal list \"%s\": %s; fix the configuration",
               kind == TCPSEC_PROPOSAL_IKE ? "IKE" : "ESP", text,
               err[0] != '\0' ? err : tcpsec_strerror(rv));
    return rv;
  }
  if (*count == 0)
    return config_error(ctx, "empty proposal list");
  return 0;
}

static int load_groups(tcpsec_ctx *ctx, ike_config *cfg) {
  size_t i;

  if (cfg->pub.dh_group_count > TCPSEC_IKE_CONFIG_MAX_DH_GROUPS)
    return config_error(ctx, "more than 8 key exchange groups");
  for (i = 0; i < cfg->pub.dh_group_count; i++) {
    if (tcpsec_ke_lookup(cfg->pub.dh_groups[i]) == NULL) {
      tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
                 "key exchange group %u is not supported; use 14, 19, 20, "
                 "21 or 31",
                 cfg->pub.dh_groups[i]);
      return TCPSEC_ERR_UNKNOWN_ALGORITHM;
    }
  }
  if (cfg->pub.pfs_group_count > TCPSEC_IKE_CONFIG_MAX_DH_GROUPS)
    return config_error(ctx, "more than 8 PFS groups");
  for (i = 0; i < cfg->pub.pfs_group_count; i++) {
    if (tcpsec_ke_lookup(cfg->pub.pfs_groups[i]) == NULL) {
      tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
                 "PFS group %u is not supported; use 14, 19, 20, 21 or 31",
                 cfg->pub.pfs_groups[i]);
      return TCPSEC_ERR_UNKNOWN_ALGORITHM;
    }
  }
  for (i = 0; i < cfg->ike_count; i++)
    if (cfg->ike[i].ke_count == 0 && cfg->pub.dh_group_count == 0)
      return config_error(ctx, "an IKE proposal has no key exchange group "
                               "and dh_groups is empty");
  return 0;
}

/* Selectors: none given means the whole IPv4 space. */
static int load_ts(tcpsec_ctx *ctx, const tcpsec_ike_traffic_selector *in,
                   size_t count, tcpsec_ike_traffic_selector *out,
                   size_t *out_count) {
  size_t i;

  if (count == 0 || in == NULL) {
    memset(out, 0, sizeof(*out));
    out->family = TCPSEC_IKE_FAMILY_IPV4;
    out->end_port = 65535;
    memset(out->end_addr, 0xff, 4);
    *out_count = 1;
    return 0;
  }
  if (count > TCPSEC_IKE_CONFIG_MAX_TS)
    return config_error(ctx, "more than 16 traffic selectors");
  for (i = 0; i < count; i++) {
    if (!tcpsec_ike_ts_valid(&in[i]))
      return config_error(ctx, "traffic selector with an unknown family or "
                               "a start above its end");
    out[i] = in[i];
  }
  *out_count = count;
  return 0;
}

static int load_numbers(tcpsec_ctx *ctx, const tcpsec_ike_config *p) {
  if (p->transport != TCPSEC_IKE_TRANSPORT_UDP &&
      p->transport != TCPSEC_IKE_TRANSPORT_TCP)
    return config_error(ctx, "transport is neither UDP (0) nor TCP (1)");
  if (p->retransmit_timeout_ms == 0 ||
      p->retransmit_max_timeout_ms < p->retransmit_timeout_ms)
    return config_error(ctx, "retransmission timeout 0 or above its maximum");
  if (p->retransmit_limit > 30)
    return config_error(ctx, "more than 30 retransmissions");
  if (p->rekey_jitter_percent > 50)
    return config_error(ctx, "rekey jitter above 50 percent");
  if (p->ike_rekey_ms != 0 && p->ike_lifetime_ms != 0 &&
      p->ike_rekey_ms >= p->ike_lifetime_ms)
    return config_error(ctx, "IKE SA rekey time not below its lifetime");
  if (p->child_rekey_ms != 0 && p->child_lifetime_ms != 0 &&
      p->child_rekey_ms >= p->child_lifetime_ms)
    return config_error(ctx, "Child SA rekey time not below its lifetime");
  if ((p->child_rekey_bytes != 0 && p->child_lifetime_bytes != 0 &&
       p->child_rekey_bytes >= p->child_lifetime_bytes) ||
      (p->child_rekey_packets != 0 && p->child_lifetime_packets != 0 &&
       p->child_rekey_packets >= p->child_lifetime_packets))
    return config_error(ctx, "Child SA soft byte or packet limit not below "
                             "its hard limit");
  return 0;
}

/* A PSK is needed when either end authenticates with it. */
static int uses_psk(const ike_config *cfg) {
  return cfg->auth.local_method == TCPSEC_IKE_AUTH_PSK ||
         cfg->auth.remote_method == TCPSEC_IKE_AUTH_PSK;
}

int tcpsec_ike_config_copy(const tcpsec_ike_config *in,
                           tcpsec_ike_config *out) {
  const uint8_t *extra = (const uint8_t *)in;
  size_t i;

  if (in->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = sizeof(*out); i < in->size; i++)
    if (extra[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_ike_config_default(out);
  memcpy(out, in, TCPSEC_MIN(in->size, sizeof(*out)));
  out->size = sizeof(*out);
  return 0;
}

int tcpsec_ike_config_load(tcpsec_ctx *ctx, const tcpsec_ike_config *in,
                           ike_config *cfg) {
  size_t local_count = 0, remote_count = 0;
  int rv;

  memset(cfg, 0, sizeof(*cfg));
  rv = tcpsec_ike_config_copy(in, &cfg->pub);
  if (rv != 0)
    return rv;

  rv = load_numbers(ctx, &cfg->pub);
  if (rv == 0)
    rv = load_id(ctx, &in->local_id, cfg->local_id, 1, &cfg->pub.local_id);
  if (rv == 0)
    rv = load_id(ctx, &in->remote_id, cfg->remote_id, 0, &cfg->pub.remote_id);
  if (rv == 0)
    rv = tcpsec_ike_auth_cfg_load(ctx, &cfg->pub, &cfg->auth);
  if (rv == 0 && uses_psk(cfg) && (in->psk == NULL || in->psk_len == 0))
    rv = config_error(ctx, "pre-shared key missing");
  if (rv == 0)
    rv = load_proposals(ctx, cfg->pub.ike_proposals, TCPSEC_PROPOSAL_IKE,
                        cfg->ike, &cfg->ike_count);
  if (rv == 0)
    rv = load_proposals(ctx, cfg->pub.esp_proposals, TCPSEC_PROPOSAL_ESP,
                        cfg->esp, &cfg->esp_count);
  if (rv == 0)
    rv = load_groups(ctx, cfg);
  if (rv == 0)
    rv = load_ts(ctx, in->local_ts, in->local_ts_count, cfg->local_ts,
                 &local_count);
  if (rv == 0)
    rv = load_ts(ctx, in->remote_ts, in->remote_ts_count, cfg->remote_ts,
                 &remote_count);
  if (rv != 0)
    goto fail;

  /* Secrets that neither direction uses are not kept. */
  cfg->pub.psk = NULL;
  cfg->pub.psk_len = 0;
  if (uses_psk(cfg)) {
    cfg->psk = tcpsec_malloc(ctx, in->psk_len);
    if (cfg->psk == NULL) {
      rv = TCPSEC_ERR_NO_MEMORY;
      goto fail;
    }
    memcpy(cfg->psk, in->psk, in->psk_len);
    cfg->pub.psk = cfg->psk;
    cfg->pub.psk_len = in->psk_len;
  }
  /* cfg->auth has the parsed certificates, so pub keeps no pointer to the
   * caller's buffers or credentials. */
  cfg->pub.cert_chain = NULL;
  cfg->pub.cert_chain_len = 0;
  cfg->pub.private_key = NULL;
  cfg->pub.private_key_len = 0;
  cfg->pub.trust_anchors = NULL;
  cfg->pub.trust_anchors_len = 0;
  cfg->pub.credentials = NULL;
  cfg->pub.ike_proposals = NULL;
  cfg->pub.esp_proposals = NULL;
  cfg->pub.local_ts = cfg->local_ts;
  cfg->pub.local_ts_count = local_count;
  cfg->pub.remote_ts = cfg->remote_ts;
  cfg->pub.remote_ts_count = remote_count;
  return 0;

fail:
  tcpsec_ike_config_clear(ctx, cfg);
  return rv;
}

void tcpsec_ike_config_clear(tcpsec_ctx *ctx, ike_config *cfg) {
  if (cfg->psk != NULL)
    tcpsec_free_secret(ctx, cfg->psk, cfg->pub.psk_len);
  tcpsec_ike_auth_cfg_clear(&cfg->auth);
  tcpsec_zeroize(cfg, sizeof(*cfg));
}
