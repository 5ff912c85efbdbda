/* Library context: configuration, allocation and randomness. */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"

static void *libc_malloc(size_t size, void *user) {
  (void)user;
  return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  return realloc(ptr, size);
}

static void libc_free(void *ptr, void *user) {
  (void)user;
  free(ptr);
}

void tcpsec_ctx_config_default(tcpsec_ctx_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->log_level = TCPSEC_LOG_NOTICE;
}

/* Copy the caller's configuration over the defaults, reading only the bytes
 * the caller's struct has. Bytes beyond the fields this library defines must be zero
 * so that a newer caller's settings are never silently ignored. */
static int config_load(const tcpsec_ctx_config *cfg, tcpsec_ctx_config *out) {
  size_t i;

  tcpsec_ctx_config_default(out);
  if (cfg == NULL)
    return 0;
  if (cfg->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (cfg->size > sizeof(*out)) {
    const uint8_t *extra = (const uint8_t *)cfg;
    for (i = sizeof(*out); i < cfg->size; i++)
      if (extra[i] != 0)
        return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  memcpy(out, cfg, TCPSEC_MIN(cfg->size, sizeof(*out)));
  out->size = sizeof(*out);
  return 0;
}

int tcpsec_ctx_new(const tcpsec_ctx_config *cfg, tcpsec_ctx **out) {
  tcpsec_ctx_config c;
  tcpsec_allocator a;
  tcpsec_ctx *ctx;
  int set, rv;

  if (out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  rv = config_load(cfg, &c);
  if (rv != 0)
    return rv;

  /* The allocator is all three functions or none. */
  a = c.allocator;
  set = (a.malloc_fn != NULL) + (a.realloc_fn != NULL) + (a.free_fn != NULL);
  if (set != 0 && set != 3)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (set == 0) {
    a.malloc_fn = libc_malloc;
    a.realloc_fn = libc_realloc;
    a.free_fn = libc_free;
    a.user = NULL;
  }

  ctx = a.malloc_fn(sizeof(*ctx), a.user);
  if (ctx == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  memset(ctx, 0, sizeof(*ctx));
  ctx->allocator = a;
  ctx->log = c.log;
  ctx->log_user = c.log_user;
  ctx->log_level = c.log_level;
  ctx->random = c.random;
  ctx->random_user = c.random_user;
  ctx->crypto = tcpsec_crypto_default_provider();

  if (ctx->random == NULL) {
    rv = tcpsec_drbg_new(ctx, &ctx->drbg);
    if (rv != 0) {
      tcpsec_log(ctx, TCPSEC_LOG_ERROR, "core",
                 "cannot seed the random generator from the platform "
                 "entropy source: %s", tcpsec_strerror(rv));
      a.free_fn(ctx, a.user);
      return rv;
    }
  }

  *out = ctx;
  return 0;
}

void tcpsec_ctx_free(tcpsec_ctx *ctx) {
  tcpsec_allocator a;

  if (ctx == NULL)
    return;
  a = ctx->allocator;
  if (ctx->drbg != NULL)
    tcpsec_drbg_free(ctx, ctx->drbg);
  tcpsec_zeroize(ctx, sizeof(*ctx));
  a.free_fn(ctx, a.user);
}

void *tcpsec_malloc(tcpsec_ctx *ctx, size_t size) {
  if (size == 0)
    size = 1;
  return ctx->allocator.malloc_fn(size, ctx->allocator.user);
}

void *tcpsec_calloc(tcpsec_ctx *ctx, size_t n, size_t size) {
  void *p;

  if (size != 0 && n > SIZE_MAX / size)
    return NULL;
  p = tcpsec_malloc(ctx, n * size);
  if (p != NULL)
    memset(p, 0, n * size);
  return p;
}

void *tcpsec_realloc(tcpsec_ctx *ctx, void *ptr, size_t size) {
  if (size == 0)
    size = 1;
  return ctx->allocator.realloc_fn(ptr, size, ctx->allocator.user);
}

void tcpsec_free(tcpsec_ctx *ctx, void *ptr) {
  if (ptr != NULL)
    ctx->allocator.free_fn(ptr, ctx->allocator.user);
}

void tcpsec_free_secret(tcpsec_ctx *ctx, void *ptr, size_t size) {
  if (ptr == NULL)
    return;
  tcpsec_zeroize(ptr, size);
  ctx->allocator.free_fn(ptr, ctx->allocator.user);
}

int tcpsec_random(tcpsec_ctx *ctx, uint8_t *buf, size_t len) {
  if (len == 0)
    return 0;
  if (ctx->random != NULL)
    return ctx->random(ctx->random_user, buf, len) == 0 ? 0
                                                        : TCPSEC_ERR_RANDOM;
  return tcpsec_drbg_fill(ctx->drbg, buf, len);
}

int tcpsec_random_bytes(tcpsec_ctx *ctx, uint8_t *buf, size_t len) {
  if (ctx == NULL || (buf == NULL && len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return tcpsec_random(ctx, buf, len);
}
