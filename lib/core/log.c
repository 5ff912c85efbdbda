/* Log line formatting and dispatch to the caller's callback. */
#include <stdio.h>

#include "core/ctx.h"

#define LOG_LINE_MAX 512

void tcpsec_vlog(tcpsec_ctx *ctx, tcpsec_log_level level,
                 const char *subsystem, const char *fmt, va_list ap) {
  char line[LOG_LINE_MAX];

  if (!tcpsec_log_enabled(ctx, level))
    return;
  vsnprintf(line, sizeof(line), fmt, ap);
  ctx->log(ctx->log_user, level, subsystem, line);
}

void tcpsec_log(tcpsec_ctx *ctx, tcpsec_log_level level, const char *subsystem,
                const char *fmt, ...) {
  va_list ap;

  if (!tcpsec_log_enabled(ctx, level))
    return;
  va_start(ap, fmt);
  tcpsec_vlog(ctx, level, subsystem, fmt, ap);
  va_end(ap);
}
