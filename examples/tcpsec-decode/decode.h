/*
 * tcpsec-decode: shared declarations of the decode tool (input readers,
 * key table, message decoding and the text/JSON emitter).
 */
#ifndef TCPSEC_DECODE_H
#define TCPSEC_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ike/message.h"

/* ---- where a message came from ------------------------------------------ */

typedef struct decode_origin {
  unsigned long frame;     /* capture frame number, 0 for raw input */
  const char *transport;   /* "udp", "tcp" or NULL for raw input */
  char src[64];            /* address:port, empty for raw input */
  char dst[64];
  int non_esp_marker;      /* 1 when a 4-byte zero marker was removed */
  const char *source_name; /* file name or "stdin" */
} decode_origin;

/* ---- output -------------------------------------------------------------- */

/*
 * Writes nested objects and arrays either as indented text or as JSON. The
 * decoder calls the same functions for both formats.
 */
typedef struct emitter {
  FILE *f;
  int json;
  int depth;
  int need_comma[64];
} emitter;

void em_begin_object(emitter *em, const char *key);
void em_end_object(emitter *em);
void em_begin_array(emitter *em, const char *key);
void em_end_array(emitter *em);
void em_uint(emitter *em, const char *key, unsigned long long value);
void em_bool(emitter *em, const char *key, int value);
void em_str(emitter *em, const char *key, const char *value);
/* Byte string as hex; text output shows at most the first 32 bytes. */
void em_hex(emitter *em, const char *key, const uint8_t *data, size_t len);
/* Number with its registry name: JSON writes key and key_name. */
void em_named(emitter *em, const char *key, unsigned long value,
              const char *name);

/* ---- keys (same fields as Wireshark's IKEv2 decryption table) ---------- */

typedef struct decode_keys {
  uint8_t spi_i[8];
  uint8_t spi_r[8];
  tcpsec_ike_sk_cipher *initiator; /* SK_ei / SK_ai */
  tcpsec_ike_sk_cipher *responder; /* SK_er / SK_ar */
  tcpsec_ike_frag_reasm *reasm[2]; /* fragments from initiator, responder */
  struct decode_keys *next;
} decode_keys;

/*
 * Parse "SPIi:SPIr:SK_ei:SK_er:ENCR:SK_ai:SK_ar:INTEG" (hex and algorithm
 * names or IANA numbers) and add it to *list. Writes a message into err on
 * failure and returns -1.
 */
int keys_add(tcpsec_ctx *ctx, decode_keys **list, const char *spec,
             char *err, size_t err_len);
void keys_free(decode_keys *list);

/* ---- decoding ------------------------------------------------------------ */

typedef struct decoder {
  tcpsec_ctx *ctx;
  emitter em;
  decode_keys *keys;
  tcpsec_ike_msg *msg;
  uint8_t *plain;       /* decrypted inner payloads */
  unsigned long count;  /* messages decoded */
  unsigned long errors; /* messages that failed to parse or decrypt */
  unsigned long skipped_esp;
  unsigned long skipped_other;
} decoder;

/* Decode and print one IKE message (without non-ESP marker). */
void decode_message(decoder *d, const uint8_t *data, size_t len,
                    const decode_origin *origin);

/* ---- inputs -------------------------------------------------------------- */

/* Read a pcap or pcapng capture. tcp_port 0 means no RFC 9329 streams.
 * Returns 0, or -1 after printing an error to stderr. */
int read_capture(decoder *d, const char *path, unsigned tcp_port,
                 unsigned extra_udp_port);

#endif /* TCPSEC_DECODE_H */
