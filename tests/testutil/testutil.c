/* Helpers shared by the test programs. */
#define _POSIX_C_SOURCE 200809L

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_rng_seed(test_rng *r, uint64_t seed) {
  r->state = seed ^ 0x9e3779b97f4a7c15ULL;
  if (r->state == 0)
    r->state = 1;
}

/* xorshift64* */
uint64_t test_rng_next(test_rng *r) {
  uint64_t x = r->state;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

int test_rng_fill(void *user, uint8_t *buf, size_t len) {
  test_rng *r = user;
  size_t i;

  for (i = 0; i < len; i++)
    buf[i] = (uint8_t)(test_rng_next(r) >> 56);
  return 0;
}

static void test_log(void *user, tcpsec_log_level level, const char *subsystem,
                     const char *message) {
  (void)user;
  fprintf(stderr, "[%d %s] %s\n", (int)level, subsystem, message);
}

tcpsec_ctx *test_ctx_new(test_rng *rng, uint64_t seed) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;

  test_rng_seed(rng, seed);
  tcpsec_ctx_config_default(&cfg);
  cfg.random = test_rng_fill;
  cfg.random_user = rng;
  if (getenv("TCPSEC_TEST_LOG") != NULL) {
    cfg.log = test_log;
    cfg.log_level = TCPSEC_LOG_DEBUG;
  }
  if (tcpsec_ctx_new(&cfg, &ctx) != 0)
    return NULL;
  return ctx;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

long test_hex_decode(const char *hex, uint8_t *out, size_t max) {
  size_t n = strlen(hex), i;

  if (n % 2 != 0 || n / 2 > max)
    return -1;
  for (i = 0; i < n / 2; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(n / 2);
}

uint8_t *test_hex_alloc(const char *hex, size_t *len) {
  size_t n = strlen(hex) / 2;
  uint8_t *out = malloc(n + 1);
  long got;

  if (out == NULL)
    return NULL;
  got = test_hex_decode(hex, out, n);
  if (got < 0) {
    free(out);
    return NULL;
  }
  *len = (size_t)got;
  return out;
}

const char *test_vector_path(const char *relative) {
  static char path[4096];
  const char *dir = getenv("TCPSEC_VECTORS_DIR");
  FILE *f;

  if (dir == NULL)
    dir = TCPSEC_VECTORS_DIR;
  snprintf(path, sizeof(path), "%s/%s", dir, relative);
  f = fopen(path, "rb");
  if (f == NULL) {
    printf("skipped: published vector file %s is absent\n", path);
    return NULL;
  }
  fclose(f);
  return path;
}

uint8_t *test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  size_t cap = 0, n = 0, got;

  if (f == NULL)
    return NULL;
  for (;;) {
    if (n == cap) {
      uint8_t *p;
      cap = cap ? cap * 2 : 65536;
      p = realloc(data, cap);
      if (p == NULL) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = p;
    }
    got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  fclose(f);
  *len = n;
  return data;
}

int test_openssl_dir(char *dir, size_t len, const char *prefix,
                     const char *script) {
  char path[160], command[256];
  FILE *f;

  dir[0] = '\0';
  if (system("openssl version >/dev/null 2>&1") != 0) {
    printf("skipped: openssl is not installed\n");
    return 0;
  }
  snprintf(dir, len, "/tmp/%s-XXXXXX", prefix);
  if (mkdtemp(dir) == NULL) {
    printf("could not make a temporary directory for %s\n", prefix);
    dir[0] = '\0';
    return -1;
  }
  snprintf(path, sizeof(path), "%s/make.sh", dir);
  f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(script, f);
  fclose(f);
  snprintf(command, sizeof(command), "cd '%s' && sh make.sh >make.log 2>&1",
           dir);
  if (system(command) != 0) {
    printf("openssl failed to make the test files, see %s/make.log\n", dir);
    return -1;
  }
  return 1;
}

void test_remove_dir(const char *dir) {
  char command[160];

  if (dir[0] == '\0')
    return;
  snprintf(command, sizeof(command), "rm -rf '%s'", dir);
  if (system(command) != 0)
    printf("could not remove %s\n", dir);
}
