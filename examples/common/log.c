/* Logging to stderr with timestamps and levels; monotonic time. */
#include "platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static char log_program[32] = "tcpsec";
static tcpsec_log_level log_level = TCPSEC_LOG_NOTICE;

static const char *const level_names[] = {"error", "warning", "notice",
                                          "info", "debug"};

void platform_log_init(const char *program, tcpsec_log_level level) {
  snprintf(log_program, sizeof(log_program), "%s",
           program != NULL ? program : "tcpsec");
  log_level = level;
}

void platform_log_set_level(tcpsec_log_level level) {
  log_level = level;
}

int platform_log_enabled(tcpsec_log_level level) {
  return level <= log_level;
}

/* Write one whole line with a single call, so that lines of several
 * processes sharing stderr do not interleave. */
static void write_line(tcpsec_log_level level, const char *subsystem,
                       const char *message) {
  char line[768], stamp[32];
  struct timespec now;
  struct tm utc;
  unsigned index = (unsigned)level < 5 ? (unsigned)level : 4;

  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &utc);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(line, sizeof(line), "%s.%03ldZ %s %s %s: %s\n", stamp,
           now.tv_nsec / 1000000L, log_program, level_names[index],
           subsystem, message);
  fputs(line, stderr);
}

void platform_log(tcpsec_log_level level, const char *subsystem,
                  const char *fmt, ...) {
  char message[512];
  va_list ap;

  if (!platform_log_enabled(level))
    return;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  write_line(level, subsystem, message);
}

void platform_log_tcpsec(void *user, tcpsec_log_level level,
                         const char *subsystem, const char *message) {
  (void)user;
  if (platform_log_enabled(level))
    write_line(level, subsystem, message);
}

int platform_log_limit_check(struct platform_log_limit *limit,
                             uint64_t now_ms, uint64_t *suppressed) {
  if (limit->period_start_ms != 0 &&
      now_ms - limit->period_start_ms < limit->period_ms) {
    limit->suppressed++;
    return 0;
  }
  *suppressed = limit->suppressed;
  limit->suppressed = 0;
  limit->period_start_ms = now_ms != 0 ? now_ms : 1;
  return 1;
}

uint64_t platform_now_ms(void) {
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}
