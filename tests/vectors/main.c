/*
 * tcpsec-vectors: run published test vector files against tcpsec.
 *
 *   tcpsec-vectors [-v] [--skip-missing] FILE...
 *
 * For each file it prints the format it detected, one line per failed case,
 * the skip reasons with their counts, and a closing line
 * "N passed, N failed, N skipped". After all files it prints the same line
 * for the total. The exit status is 1 when any case failed or a file could
 * not be read or recognised, 2 on a usage error, else 0. With
 * --skip-missing an absent file is reported with a "skipped:" line instead
 * of failing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vectors.h"

/* Format handlers, tried in order; the first whose detect() accepts the
 * document runs it. To add a format, write its handler in its own file and
 * add one line here. */
static const vec_handler *const handlers[] = {
  &vec_cavp_ikev2_handler,
  &vec_wycheproof_aead_handler,
  &vec_wycheproof_mac_handler,
  &vec_wycheproof_cbc_handler,
  &vec_wycheproof_ecdh_handler,
  &vec_wycheproof_xdh_handler,
  &vec_rfc4868_handler,
  &vec_rfc7634_handler,
  &vec_dh_ke_handler,
  &vec_esp_packets_handler, /* esp_packets.c: ESP packets, byte for byte */
  &vec_wycheproof_sig_handler, /* wycheproof_sig.c: ECDSA and RSA */
};

/* Cap on one input file; the largest published file used is under 1 MB
 * (the extracted CAVP IKEv2 .rsp is 0.7 MB). */
#define VEC_MAX_FILE (64u * 1024u * 1024u)

int vec_verbose;

/* ---- shared helpers ----------------------------------------------------- */

static test_rng vec_rng;
static tcpsec_ctx *vec_context;

tcpsec_ctx *vec_ctx(void) {
  if (vec_context == NULL)
    vec_context = test_ctx_new(&vec_rng, 0x7665637473ULL);
  return vec_context;
}

uint8_t *vec_hex(const char *hex, size_t *len) {
  size_t n;
  uint8_t *out;
  long got;

  if (hex == NULL)
    return NULL;
  n = strlen(hex);
  if (n % 2 != 0)
    return NULL;
  out = malloc(n / 2 + 1);
  if (out == NULL)
    return NULL;
  got = test_hex_decode(hex, out, n / 2);
  if (got < 0) {
    free(out);
    return NULL;
  }
  *len = (size_t)got;
  return out;
}

/* Skip reasons of the current file, summed up. */
#define MAX_SKIP_REASONS 32

static struct {
  const char *reason;
  unsigned count;
} skip_reasons[MAX_SKIP_REASONS];
static size_t skip_reason_count;

void vec_pass(vec_counts *counts) { counts->passed++; }

void vec_skip(vec_counts *counts, const char *reason) {
  size_t i;

  counts->skipped++;
  for (i = 0; i < skip_reason_count; i++)
    if (skip_reasons[i].reason == reason ||
        strcmp(skip_reasons[i].reason, reason) == 0) {
      skip_reasons[i].count++;
      return;
    }
  if (skip_reason_count < MAX_SKIP_REASONS) {
    skip_reasons[skip_reason_count].reason = reason;
    skip_reasons[skip_reason_count].count = 1;
    skip_reason_count++;
  }
}

void vec_fail(vec_counts *counts, const char *path, const char *case_name,
              const char *fmt, ...) {
  va_list ap;

  counts->failed++;
  printf("FAIL %s: %s: ", path, case_name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

static void print_counts(const vec_counts *c) {
  printf("%u passed, %u failed, %u skipped\n", c->passed, c->failed,
         c->skipped);
}

/* ---- one file ----------------------------------------------------------- */

/* JSON documents start with '{' or '[' after optional white space. */
static int looks_like_json(const char *text, size_t len) {
  size_t i = 0;

  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                     text[i] == '\r'))
    i++;
  return i < len && (text[i] == '{' || text[i] == '[');
}

/* Run one file; returns 0 when it ran without a failure. */
static int run_file(const char *path, int skip_missing, vec_counts *total) {
  vec_counts counts = {0, 0, 0};
  char err[256];
  vec_doc doc;
  json_value *json = NULL;
  const vec_handler *h = NULL;
  uint8_t *data;
  char *text;
  size_t len, i;
  int rv;

  data = test_read_file(path, &len);
  if (data == NULL) {
    if (skip_missing) {
      printf("skipped: %s is absent\n", path);
      return 0;
    }
    printf("FAIL %s: cannot read the file\n", path);
    total->failed++;
    return 1;
  }
  if (len > VEC_MAX_FILE) {
    printf("FAIL %s: file larger than %u bytes\n", path, VEC_MAX_FILE);
    free(data);
    total->failed++;
    return 1;
  }

  /* NUL-terminate a copy so that text parsers can use string functions. */
  text = malloc(len + 1);
  if (text == NULL) {
    free(data);
    return 1;
  }
  memcpy(text, data, len);
  text[len] = '\0';
  free(data);
  doc.text = text;
  doc.path = path;
  doc.len = len;
  doc.json = NULL;

  if (looks_like_json(doc.text, len)) {
    json = json_parse(doc.text, len, err, sizeof(err));
    if (json == NULL) {
      printf("FAIL %s: invalid JSON: %s\n", path, err);
      free(text);
      total->failed++;
      return 1;
    }
    doc.json = json;
  }

  for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
    if (handlers[i]->detect(&doc)) {
      h = handlers[i];
      break;
    }
  if (h == NULL) {
    printf("FAIL %s: format not recognised\n", path);
    json_free(json);
    free(text);
    total->failed++;
    return 1;
  }

  printf("== %s (%s)\n", path, h->name);
  skip_reason_count = 0;
  rv = h->run(&doc, path, &counts);
  if (rv != 0 && counts.failed == 0)
    counts.failed++;
  for (i = 0; i < skip_reason_count; i++)
    printf("  skipped %u: %s\n", skip_reasons[i].count,
           skip_reasons[i].reason);
  print_counts(&counts);

  total->passed += counts.passed;
  total->failed += counts.failed;
  total->skipped += counts.skipped;
  json_free(json);
  free(text);
  return counts.failed != 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: tcpsec-vectors [-v] [--skip-missing] FILE...\n"
          "Runs published test vector files (NIST CAVP IKEv2 KDF .rsp,\n"
          "Wycheproof JSON, tcpsec's RFC transcription JSON) against tcpsec.\n"
          "  -v              print the outcome of every key exchange case\n"
          "  --skip-missing  report absent files as skipped, not failed\n");
}

int main(int argc, char **argv) {
  vec_counts total = {0, 0, 0};
  int skip_missing = 0, files = 0, bad = 0, i;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0)
      vec_verbose = 1;
    else if (strcmp(argv[i], "--skip-missing") == 0)
      skip_missing = 1;
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "tcpsec-vectors: unknown option %s\n", argv[i]);
      usage();
      return 2;
    } else
      files++;
  }
  if (files == 0) {
    usage();
    return 2;
  }
  if (vec_ctx() == NULL) {
    fprintf(stderr, "tcpsec-vectors: cannot create a tcpsec context\n");
    return 1;
  }

  for (i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      bad |= run_file(argv[i], skip_missing, &total);

  printf("== total\n");
  print_counts(&total);
  tcpsec_ctx_free(vec_context);
  return bad || total.failed != 0 ? 1 : 0;
}
