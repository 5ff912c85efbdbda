/*
 * Install a Child SA reported by an IKE SA into tcpsec's own SA database:
 * two ESP SAs made from the reported keys, with the negotiated traffic
 * selectors. The IKE layer itself never calls this; the caller does, from
 * its child_sa_installed callback or later.
 */
#include "ike/ike_sa.h"

#include <stddef.h>

#include <string.h>

#include "tcpsec/esp.h"
#include "tcpsec/sa.h"

static void esp_config(const tcpsec_ike_child_sa *child, int inbound,
                       tcpsec_esp_sa_config *cfg) {
  tcpsec_esp_sa_config_default(cfg);
  cfg->spi = inbound ? child->spi_in : child->spi_out;
  cfg->direction = inbound ? TCPSEC_ESP_INBOUND : TCPSEC_ESP_OUTBOUND;
  cfg->encr = child->encr;
  cfg->integ = child->integ;
  cfg->encr_key = inbound ? child->encr_key_in : child->encr_key_out;
  cfg->encr_key_len = child->encr_key_len;
  cfg->integ_key = inbound ? child->integ_key_in : child->integ_key_out;
  cfg->integ_key_len = child->integ_key_len;
  cfg->esn = child->esn;
  cfg->soft.time_ms = child->soft_lifetime_ms;
  cfg->hard.time_ms = child->hard_lifetime_ms;
  cfg->hard.bytes = child->hard_lifetime_bytes;
  /* The soft byte limit warns at 90 % like the soft time limit. */
  cfg->soft.bytes = child->hard_lifetime_bytes / 10 * 9;
}

static void convert_ts(const tcpsec_ike_traffic_selector *in, size_t count,
                       tcpsec_sa_traffic_selector *out) {
  size_t i;

  for (i = 0; i < count; i++) {
    memset(&out[i], 0, sizeof(out[i]));
    out[i].ts_type = in[i].family == TCPSEC_IKE_FAMILY_IPV6
                         ? TCPSEC_TS_IPV6_ADDR_RANGE
                         : TCPSEC_TS_IPV4_ADDR_RANGE;
    out[i].ip_protocol = in[i].ip_proto;
    out[i].start_port = in[i].start_port;
    out[i].end_port = in[i].end_port;
    memcpy(out[i].start_addr, in[i].start_addr, sizeof(out[i].start_addr));
    memcpy(out[i].end_addr, in[i].end_addr, sizeof(out[i].end_addr));
  }
}

int tcpsec_ike_child_sa_install(tcpsec_ctx *ctx, struct tcpsec_sad *sad,
                                const tcpsec_ike_child_sa *child, void *user,
                                uint64_t now_ms) {
  tcpsec_sa_traffic_selector local[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_sa_traffic_selector remote[TCPSEC_IKE_CONFIG_MAX_TS];
  tcpsec_esp_sa *in = NULL, *out = NULL;
  tcpsec_esp_sa_config cfg;
  tcpsec_sad_child entry;
  int rv;

  if (ctx == NULL || sad == NULL || child == NULL ||
      child->size < sizeof(*child) ||
      child->local_ts_count > TCPSEC_IKE_CONFIG_MAX_TS ||
      child->remote_ts_count > TCPSEC_IKE_CONFIG_MAX_TS)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  esp_config(child, 1, &cfg);
  rv = tcpsec_esp_sa_new(ctx, &cfg, now_ms, &in);
  if (rv == 0) {
    esp_config(child, 0, &cfg);
    rv = tcpsec_esp_sa_new(ctx, &cfg, now_ms, &out);
  }
  if (rv != 0)
    goto fail;

  convert_ts(child->local_ts, child->local_ts_count, local);
  convert_ts(child->remote_ts, child->remote_ts_count, remote);
  memset(&entry, 0, sizeof(entry));
  entry.size = sizeof(entry);
  entry.inbound = in;
  entry.outbound = out;
  entry.local_ts = local;
  entry.local_ts_count = child->local_ts_count;
  entry.remote_ts = remote;
  entry.remote_ts_count = child->remote_ts_count;
  entry.user = user;
  /* A pair made in response to the peer's rekey waits on standby until the
   * peer shows it can receive on it (RFC 7296 section 2.8). */
  if (child->size >= offsetof(tcpsec_ike_child_sa, outbound_deferred) +
                         sizeof(child->outbound_deferred)) {
    entry.outbound_standby = child->outbound_deferred;
    entry.replaces_spi = child->replaces_spi_in;
  }
  rv = tcpsec_sad_install(sad, &entry);
  if (rv == 0)
    return 0;

fail:
  tcpsec_log(ctx, TCPSEC_LOG_ERROR, IKE_LOG,
             "installing Child SA %08x/%08x into the SA database failed: %s",
             child->spi_in, child->spi_out, tcpsec_strerror(rv));
  tcpsec_esp_sa_free(in);
  tcpsec_esp_sa_free(out);
  return rv;
}
