/*
 * Internal view of the library context: allocation, logging and randomness
 * helpers that every layer uses.
 */
#ifndef TCPSEC_CORE_CTX_H
#define TCPSEC_CORE_CTX_H

#include <stdarg.h>

#include "tcpsec/core.h"

struct tcpsec_crypto_provider;

struct tcpsec_ctx {
  tcpsec_allocator allocator;
  tcpsec_log_fn log;
  void *log_user;
  tcpsec_log_level log_level;
  tcpsec_random_fn random;
  void *random_user;
  /* Default random generator state, allocated only when no callback is set. */
  void *drbg;
  const struct tcpsec_crypto_provider *crypto;
};

void *tcpsec_malloc(tcpsec_ctx *ctx, size_t size);
/* Zero-filled allocation; also checks n * size for overflow. */
void *tcpsec_calloc(tcpsec_ctx *ctx, size_t n, size_t size);
void *tcpsec_realloc(tcpsec_ctx *ctx, void *ptr, size_t size);
void tcpsec_free(tcpsec_ctx *ctx, void *ptr);
/* Wipe `size` bytes at ptr, then free it. */
void tcpsec_free_secret(tcpsec_ctx *ctx, void *ptr, size_t size);

/* True when a line at `level` would reach the log callback. */
static inline int tcpsec_log_enabled(const tcpsec_ctx *ctx,
                                     tcpsec_log_level level) {
  return ctx != NULL && ctx->log != NULL && level <= ctx->log_level;
}

#if defined(__GNUC__)
#define TCPSEC_PRINTF(fmt_index, first_arg) \
  __attribute__((format(printf, fmt_index, first_arg)))
#else
#define TCPSEC_PRINTF(fmt_index, first_arg)
#endif

/* Format one line (at most 511 bytes, longer lines are cut) and pass it to
 * the log callback. */
void tcpsec_log(tcpsec_ctx *ctx, tcpsec_log_level level, const char *subsystem,
                const char *fmt, ...) TCPSEC_PRINTF(4, 5);
void tcpsec_vlog(tcpsec_ctx *ctx, tcpsec_log_level level,
                 const char *subsystem, const char *fmt, va_list ap)
    TCPSEC_PRINTF(4, 0);

/* Random bytes from the context's source (TCPSEC_ERR_RANDOM on failure). */
int tcpsec_random(tcpsec_ctx *ctx, uint8_t *buf, size_t len);

#endif /* TCPSEC_CORE_CTX_H */
