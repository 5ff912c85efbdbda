/* Key exchange objects: argument and length checks, then the provider. */
#include "core/ctx.h"
#include "core/util.h"
#include "crypto/provider.h"

static int ke_create(tcpsec_ctx *ctx, uint16_t group, const uint8_t *priv,
                     size_t priv_len, tcpsec_ke **out) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(group);

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || ctx->crypto == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  return ctx->crypto->ke_new(ctx, info, priv, priv_len, out);
}

int tcpsec_ke_new(tcpsec_ctx *ctx, uint16_t group, tcpsec_ke **out) {
  return ke_create(ctx, group, NULL, 0, out);
}

int tcpsec_ke_new_with_private(tcpsec_ctx *ctx, uint16_t group,
                               const uint8_t *priv, size_t priv_len,
                               tcpsec_ke **out) {
  if (priv == NULL || priv_len == 0 || priv_len > TCPSEC_KE_MAX_SECRET_LEN) {
    if (out != NULL)
      *out = NULL;
    return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  return ke_create(ctx, group, priv, priv_len, out);
}

uint16_t tcpsec_ke_group(const tcpsec_ke *ke) {
  return ke != NULL ? ke->info->id : TCPSEC_KE_NONE;
}

int tcpsec_ke_public(const tcpsec_ke *ke, uint8_t *out, size_t len) {
  if (ke == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (len < ke->info->public_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  if (len != ke->info->public_len)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return ke->provider->ke_public(ke, out);
}

int tcpsec_ke_compute(tcpsec_ke *ke, const uint8_t *peer, size_t peer_len,
                      uint8_t *secret, size_t secret_len) {
  int rv;

  if (ke == NULL || secret == NULL || (peer == NULL && peer_len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (secret_len < ke->info->secret_len)
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  if (secret_len != ke->info->secret_len)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  if (peer_len != ke->info->public_len) {
    tcpsec_zeroize(secret, secret_len);
    tcpsec_log(ke->ctx, TCPSEC_LOG_DEBUG, "crypto",
               "%s public value rejected: %zu bytes, expected %u",
               ke->info->name, peer_len, (unsigned)ke->info->public_len);
    return TCPSEC_ERR_INVALID_PUBLIC_KEY;
  }
  rv = ke->provider->ke_compute(ke, peer, secret);
  if (rv == TCPSEC_ERR_INVALID_PUBLIC_KEY ||
      rv == TCPSEC_ERR_WEAK_SHARED_SECRET)
    tcpsec_log(ke->ctx, TCPSEC_LOG_DEBUG, "crypto",
               "%s public value rejected: %s", ke->info->name,
               tcpsec_strerror(rv));
  return rv;
}

void tcpsec_ke_free(tcpsec_ke *ke) {
  if (ke != NULL)
    ke->provider->ke_free(ke);
}
