/*
 * tcpsec-vectors: checks tcpsec against published test vector files.
 *
 * main.c reads each file named on the command line and parses it as JSON
 * when it looks like JSON. It then calls the detect function of each format
 * handler in its table and runs the first handler that recognises the
 * document. A handler
 * counts every case as passed, failed or skipped (a case that uses
 * parameters tcpsec does not offer is skipped, never passed) and reports
 * each failure with vec_fail.
 */
#ifndef TCPSEC_VECTORS_VECTORS_H
#define TCPSEC_VECTORS_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "tcpsec/core.h"

typedef struct vec_counts {
  unsigned passed, failed, skipped;
} vec_counts;

/* One input file. */
typedef struct vec_doc {
  const char *path;
  const char *text;       /* whole file, NUL-terminated */
  size_t len;
  const json_value *json; /* parsed JSON, or NULL when the file is not JSON */
} vec_doc;

typedef struct vec_handler {
  const char *name;
  /* 1 when the handler reads this document's format. */
  int (*detect)(const vec_doc *doc);
  /* Run every case; returns 0, or -1 when the document cannot be read at
   * all (also reported with vec_fail). */
  int (*run)(const vec_doc *doc, const char *path, vec_counts *counts);
} vec_handler;

/* ---- helpers for handlers (main.c) -------------------------------------- */

/* Context with a deterministic random source, shared by all handlers. */
tcpsec_ctx *vec_ctx(void);

/* Decode lowercase or uppercase hex without separators into a new buffer
 * (at least one byte is allocated, so "" gives a valid pointer with
 * *len = 0). NULL on invalid hex. The caller frees. */
uint8_t *vec_hex(const char *hex, size_t *len);

/* Count a passed case. */
void vec_pass(vec_counts *counts);
/* Count a skipped case. `reason` must be a string constant: skips are
 * summed up per reason and listed under the file's result line. */
void vec_skip(vec_counts *counts, const char *reason);
/* Count a failed case and print "FAIL <path>: <case>: <message>". */
void vec_fail(vec_counts *counts, const char *path, const char *case_name,
              const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Nonzero with -v: handlers may print each case. */
extern int vec_verbose;

/* ---- format handlers ---------------------------------------------------- */

extern const vec_handler vec_cavp_ikev2_handler;     /* cavp_kdf.c */
extern const vec_handler vec_wycheproof_aead_handler; /* wycheproof.c */
extern const vec_handler vec_wycheproof_mac_handler;
extern const vec_handler vec_wycheproof_cbc_handler;
extern const vec_handler vec_wycheproof_ecdh_handler; /* wycheproof_dh.c */
extern const vec_handler vec_wycheproof_xdh_handler;
extern const vec_handler vec_rfc4868_handler;        /* tcpsec_json.c */
extern const vec_handler vec_rfc7634_handler;
extern const vec_handler vec_wycheproof_sig_handler;  /* wycheproof_sig.c */
extern const vec_handler vec_dh_ke_handler;
extern const vec_handler vec_esp_packets_handler;    /* esp_packets.c */

#endif /* TCPSEC_VECTORS_VECTORS_H */
