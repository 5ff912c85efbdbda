/*
 * IKE SA keys for decryption, given in the order of Wireshark's IKEv2
 * decryption table: SPIi, SPIr, SK_ei, SK_er, encryption algorithm, SK_ai,
 * SK_ar, integrity algorithm.
 *
 * Algorithms are written as names (aes-cbc, aes-gcm-16, chacha20-poly1305;
 * hmac-sha2-256-128, hmac-sha2-384-192, hmac-sha2-512-256, none) or as
 * IANA transform numbers. The key length follows from the SK_e length. For
 * AEAD algorithms SK_e includes the 4-byte salt at its end, because IKEv2
 * derives it that way (RFC 5282 section 7.1, RFC 7634 section 3).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "decode.h"

#define KEY_MAX 64
#define FIELD_COUNT 8

struct alg_name {
  const char *name;
  uint16_t id;
};

static const struct alg_name encr_names[] = {
  {"aes-cbc", TCPSEC_ENCR_AES_CBC},
  {"aes-cbc-128", TCPSEC_ENCR_AES_CBC},
  {"aes-cbc-192", TCPSEC_ENCR_AES_CBC},
  {"aes-cbc-256", TCPSEC_ENCR_AES_CBC},
  {"aes-gcm-16", TCPSEC_ENCR_AES_GCM_16},
  {"aes-gcm-128", TCPSEC_ENCR_AES_GCM_16},
  {"aes-gcm-256", TCPSEC_ENCR_AES_GCM_16},
  {"chacha20-poly1305", TCPSEC_ENCR_CHACHA20_POLY1305},
};

static const struct alg_name integ_names[] = {
  {"none", TCPSEC_INTEG_NONE},
  {"hmac-sha2-256-128", TCPSEC_INTEG_HMAC_SHA2_256_128},
  {"hmac-sha2-384-192", TCPSEC_INTEG_HMAC_SHA2_384_192},
  {"hmac-sha2-512-256", TCPSEC_INTEG_HMAC_SHA2_512_256},
};

static int alg_parse(const char *text, const struct alg_name *names, size_t n,
                     uint16_t *out) {
  char *end;
  unsigned long v;
  size_t i;

  for (i = 0; i < n; i++)
    if (strcasecmp(text, names[i].name) == 0) {
      *out = names[i].id;
      return 0;
    }
  v = strtoul(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v > 0xffff)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

static int hex_parse(const char *text, uint8_t *out, size_t max, size_t *len) {
  size_t n = strlen(text), i;

  if (n % 2 != 0 || n / 2 > max)
    return -1;
  for (i = 0; i < n / 2; i++) {
    char byte[3] = {text[2 * i], text[2 * i + 1], '\0'};
    char *end;
    out[i] = (uint8_t)strtoul(byte, &end, 16);
    if (*end != '\0')
      return -1;
  }
  *len = n / 2;
  return 0;
}

/* Build the cipher for one direction from SK_e and SK_a. */
static int make_cipher(tcpsec_ctx *ctx, uint16_t encr, const uint8_t *sk_e,
                       size_t sk_e_len, uint16_t integ, const uint8_t *sk_a,
                       size_t sk_a_len, tcpsec_ike_sk_cipher **out) {
  tcpsec_ike_sk_keys keys;

  memset(&keys, 0, sizeof(keys));
  keys.encr = encr;
  keys.encr_key = sk_e;
  keys.encr_key_len = sk_e_len;
  keys.integ = integ;
  if (encr == TCPSEC_ENCR_AES_GCM_16 || encr == TCPSEC_ENCR_CHACHA20_POLY1305) {
    if (sk_e_len < 4)
      return TCPSEC_ERR_INVALID_KEY_LENGTH;
    keys.encr_key_len = sk_e_len - 4;
    keys.salt = sk_e + keys.encr_key_len;
    keys.salt_len = 4;
  } else {
    keys.integ_key = sk_a;
    keys.integ_key_len = sk_a_len;
  }
  return tcpsec_ike_sk_cipher_new(ctx, &keys, out);
}

int keys_add(tcpsec_ctx *ctx, decode_keys **list, const char *spec, char *err,
             size_t err_len) {
  uint8_t sk_ei[KEY_MAX], sk_er[KEY_MAX], sk_ai[KEY_MAX], sk_ar[KEY_MAX];
  size_t ei_len, er_len, ai_len = 0, ar_len = 0, spi_len, n = 0;
  char copy[1024], *field[FIELD_COUNT], *save = NULL, *tok;
  tcpsec_ike_frag_config fcfg;
  uint16_t encr, integ;
  decode_keys *k;
  int rc;

  if (strlen(spec) >= sizeof(copy)) {
    snprintf(err, err_len, "key entry longer than %zu characters", sizeof(copy) - 1);
    return -1;
  }
  strcpy(copy, spec);
  for (tok = strtok_r(copy, ":,", &save); tok != NULL && n < FIELD_COUNT;
       tok = strtok_r(NULL, ":,", &save))
    field[n++] = tok;
  if (n != FIELD_COUNT || tok != NULL) {
    snprintf(err, err_len,
             "key entry needs 8 fields SPIi:SPIr:SK_ei:SK_er:ENCR:SK_ai:SK_ar:INTEG, got %zu", n);
    return -1;
  }

  k = calloc(1, sizeof(*k));
  if (k == NULL) {
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  if (hex_parse(field[0], k->spi_i, 8, &spi_len) != 0 || spi_len != 8 ||
      hex_parse(field[1], k->spi_r, 8, &spi_len) != 0 || spi_len != 8) {
    snprintf(err, err_len, "SPIi and SPIr must be 16 hex digits each");
    goto fail;
  }
  if (hex_parse(field[2], sk_ei, KEY_MAX, &ei_len) != 0 ||
      hex_parse(field[3], sk_er, KEY_MAX, &er_len) != 0) {
    snprintf(err, err_len, "SK_ei and SK_er must be hex of at most %d bytes", KEY_MAX);
    goto fail;
  }
  if (alg_parse(field[4], encr_names, TCPSEC_ARRAY_SIZE(encr_names), &encr) != 0) {
    snprintf(err, err_len, "unknown encryption algorithm \"%s\"", field[4]);
    goto fail;
  }
  /* "-" stands for an empty integrity key (AEAD). */
  if ((strcmp(field[5], "-") != 0 && hex_parse(field[5], sk_ai, KEY_MAX, &ai_len) != 0) ||
      (strcmp(field[6], "-") != 0 && hex_parse(field[6], sk_ar, KEY_MAX, &ar_len) != 0)) {
    snprintf(err, err_len, "SK_ai and SK_ar must be hex of at most %d bytes, or -", KEY_MAX);
    goto fail;
  }
  if (alg_parse(field[7], integ_names, TCPSEC_ARRAY_SIZE(integ_names), &integ) != 0) {
    snprintf(err, err_len, "unknown integrity algorithm \"%s\"", field[7]);
    goto fail;
  }

  rc = make_cipher(ctx, encr, sk_ei, ei_len, integ, sk_ai, ai_len, &k->initiator);
  if (rc == 0)
    rc = make_cipher(ctx, encr, sk_er, er_len, integ, sk_ar, ar_len, &k->responder);
  if (rc != 0) {
    snprintf(err, err_len, "keys do not fit the algorithms: %s", tcpsec_strerror(rc));
    goto fail;
  }
  tcpsec_ike_frag_config_default(&fcfg);
  if (tcpsec_ike_frag_reasm_new(ctx, &fcfg, &k->reasm[0]) != 0 ||
      tcpsec_ike_frag_reasm_new(ctx, &fcfg, &k->reasm[1]) != 0) {
    snprintf(err, err_len, "out of memory");
    goto fail;
  }
  tcpsec_zeroize(sk_ei, sizeof(sk_ei));
  tcpsec_zeroize(sk_er, sizeof(sk_er));
  tcpsec_zeroize(sk_ai, sizeof(sk_ai));
  tcpsec_zeroize(sk_ar, sizeof(sk_ar));
  k->next = *list;
  *list = k;
  return 0;

fail:
  tcpsec_zeroize(sk_ei, sizeof(sk_ei));
  tcpsec_zeroize(sk_er, sizeof(sk_er));
  tcpsec_zeroize(sk_ai, sizeof(sk_ai));
  tcpsec_zeroize(sk_ar, sizeof(sk_ar));
  k->next = NULL;
  keys_free(k);
  return -1;
}

void keys_free(decode_keys *list) {
  while (list != NULL) {
    decode_keys *next = list->next;
    tcpsec_ike_sk_cipher_free(list->initiator);
    tcpsec_ike_sk_cipher_free(list->responder);
    tcpsec_ike_frag_reasm_free(list->reasm[0]);
    tcpsec_ike_frag_reasm_free(list->reasm[1]);
    free(list);
    list = next;
  }
}
