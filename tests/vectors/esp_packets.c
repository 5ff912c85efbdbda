/*
 * ESP packet vectors: for each vector, sealing the payload with the given
 * sequence number and IV must reproduce the ESP packet byte for byte, and
 * opening the packet must give back the payload and next header.
 *
 * Layout (documented in tests/vectors/README.md): a top-level "vectors"
 * array whose items carry
 *   "algorithm"   "aes-gcm-16" (default), "chacha20-poly1305",
 *                 "aes-cbc-hmac-sha2-256-128", "aes-cbc-hmac-sha2-384-192"
 *                 or "aes-cbc-hmac-sha2-512-256";
 *   "key", "salt" AEAD key and 4-byte salt (or "keymat" = key | salt);
 *                 AES-CBC key;
 *   "integ_key"   HMAC key for AES-CBC;
 *   "spi"         8 hex digits;
 *   "seq"         8 hex digits (32-bit) or 16 (64-bit, ESN), or a number,
 *                 with "seq_hi" giving the high 32 bits;
 *   "esn"         true or false;
 *   "iv"          the IV on the wire;
 *   "plaintext"   payload, padding, pad length and next header (also read
 *                 as "decrypted_plaintext");
 *   "esp_packet"  SPI | seq low | IV | ciphertext | ICV.
 * The Linux XFRM reference file describes its algorithm in words
 * ("ENCR_AES_GCM_16 ...", "ENCR_AES_CBC-128, no integrity ..."); those
 * descriptions are mapped too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tcpsec/esp.h"
#include "vectors.h"

struct esp_vector {
  const char *name;
  uint16_t encr;
  uint16_t integ;
  uint8_t *encr_key, *integ_key, *iv, *plaintext, *packet;
  size_t encr_key_len, integ_key_len, iv_len, plaintext_len, packet_len;
  uint32_t spi;
  uint64_t seq;
  int esn;
};

static int esp_detect(const vec_doc *doc) {
  const json_value *first = json_at(json_get(doc->json, "vectors"), 0);

  return first != NULL && json_get_string(first, "esp_packet") != NULL &&
         (json_get(first, "key") != NULL || json_get(first, "keymat") != NULL);
}

/* Transform of the "algorithm" field; 0 with *skip set when tcpsec does
 * not offer it. */
static int parse_algorithm(const char *name, struct esp_vector *v,
                           const char **skip) {
  static const struct {
    const char *name;
    uint16_t encr, integ;
  } names[] = {
    {"aes-gcm-16", TCPSEC_ENCR_AES_GCM_16, TCPSEC_INTEG_NONE},
    {"chacha20-poly1305", TCPSEC_ENCR_CHACHA20_POLY1305, TCPSEC_INTEG_NONE},
    {"aes-cbc-hmac-sha2-256-128", TCPSEC_ENCR_AES_CBC,
     TCPSEC_INTEG_HMAC_SHA2_256_128},
    {"aes-cbc-hmac-sha2-384-192", TCPSEC_ENCR_AES_CBC,
     TCPSEC_INTEG_HMAC_SHA2_384_192},
    {"aes-cbc-hmac-sha2-512-256", TCPSEC_ENCR_AES_CBC,
     TCPSEC_INTEG_HMAC_SHA2_512_256},
  };
  size_t i;

  *skip = NULL;
  if (name == NULL || strncmp(name, "ENCR_AES_GCM_16", 15) == 0)
    name = "aes-gcm-16";
  if (strstr(name, "no integrity") != NULL) {
    *skip = "ESP without integrity protection is not offered";
    return 0;
  }
  for (i = 0; i < TCPSEC_ARRAY_SIZE(names); i++)
    if (strcmp(name, names[i].name) == 0) {
      v->encr = names[i].encr;
      v->integ = names[i].integ;
      return 1;
    }
  *skip = "algorithm not offered by tcpsec";
  return 0;
}

static uint8_t *hex_field(const json_value *item, const char *key,
                          size_t *len) {
  return vec_hex(json_get_string(item, key), len);
}

/* Sequence number: hex string of 8 or 16 digits, or a number plus an
 * optional "seq_hi". Returns 0 on success. */
static int parse_seq(const json_value *item, struct esp_vector *v) {
  const char *text = json_get_string(item, "seq");
  long low, high;
  size_t len;
  uint8_t *b;

  if (text != NULL) {
    b = vec_hex(text, &len);
    if (b == NULL || (len != 4 && len != 8)) {
      free(b);
      return -1;
    }
    v->seq = len == 4 ? tcpsec_load_be32(b) : tcpsec_load_be64(b);
    free(b);
    return 0;
  }
  low = json_get_int(item, "seq");
  high = json_get_int(item, "seq_hi");
  if (low < 0 || low > 0xffffffffL || high > 0xffffffffL)
    return -1;
  v->seq = (uint64_t)(high > 0 ? high : 0) << 32 | (uint64_t)low;
  return 0;
}

/* Read one vector; returns 1 ready, 0 skipped (reason in *skip), -1 bad. */
static int parse_vector(const json_value *item, struct esp_vector *v,
                        const char **skip) {
  const json_value *esn = json_get(item, "esn");
  uint8_t *key, *salt, *spi;
  size_t key_len, salt_len, spi_len;

  if (!parse_algorithm(json_get_string(item, "algorithm"), v, skip))
    return 0;
  v->esn = esn != NULL && esn->type == JSON_BOOL && esn->boolean;

  /* Encryption key material as the ESP SA takes it: key | salt for AEAD. */
  v->encr_key = hex_field(item, "keymat", &v->encr_key_len);
  if (v->encr_key == NULL) {
    key = hex_field(item, "key", &key_len);
    salt = v->encr == TCPSEC_ENCR_AES_CBC ? vec_hex("", &salt_len)
                                          : hex_field(item, "salt", &salt_len);
    if (key == NULL || salt == NULL) {
      free(key);
      free(salt);
      return -1;
    }
    v->encr_key = malloc(key_len + salt_len + 1);
    if (v->encr_key == NULL) {
      free(key);
      free(salt);
      return -1;
    }
    memcpy(v->encr_key, key, key_len);
    memcpy(v->encr_key + key_len, salt, salt_len);
    v->encr_key_len = key_len + salt_len;
    free(key);
    free(salt);
  }
  if (v->integ != TCPSEC_INTEG_NONE) {
    v->integ_key = hex_field(item, "integ_key", &v->integ_key_len);
    if (v->integ_key == NULL)
      return -1;
  }

  spi = hex_field(item, "spi", &spi_len);
  if (spi == NULL || spi_len != 4) {
    free(spi);
    return -1;
  }
  v->spi = tcpsec_load_be32(spi);
  free(spi);
  if (parse_seq(item, v) != 0)
    return -1;

  v->iv = hex_field(item, "iv", &v->iv_len);
  v->plaintext = hex_field(item, "plaintext", &v->plaintext_len);
  if (v->plaintext == NULL)
    v->plaintext = hex_field(item, "decrypted_plaintext", &v->plaintext_len);
  v->packet = hex_field(item, "esp_packet", &v->packet_len);
  if (v->iv == NULL || v->plaintext == NULL || v->packet == NULL ||
      v->plaintext_len < 2)
    return -1;
  return 1;
}

static void vector_free(struct esp_vector *v) {
  free(v->encr_key);
  free(v->integ_key);
  free(v->iv);
  free(v->plaintext);
  free(v->packet);
}

static int sa_for(const struct esp_vector *v, tcpsec_esp_direction dir,
                  tcpsec_esp_sa **sa) {
  tcpsec_esp_sa_config cfg;

  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = v->spi;
  cfg.direction = dir;
  cfg.encr = v->encr;
  cfg.encr_key = v->encr_key;
  cfg.encr_key_len = v->encr_key_len;
  cfg.integ = v->integ;
  cfg.integ_key = v->integ_key;
  cfg.integ_key_len = v->integ_key_len;
  cfg.esn = v->esn;
  /* The receiver's window must sit just below the vector's number so that
   * the high 32 bits of an ESN vector are inferred as the sender used
   * them. */
  cfg.last_seq = dir == TCPSEC_ESP_INBOUND && v->seq > 0 ? v->seq - 1 : 0;
  /* Some published vectors carry next header 1 and payloads that are not
   * IP packets. */
  cfg.any_next_header = 1;
  return tcpsec_esp_sa_new(vec_ctx(), &cfg, 0, sa);
}

/* Seal and open one vector; returns 0 passed, 1 failed (counted and
 * reported). */
static int check_vector(const struct esp_vector *v, const char *path,
                        vec_counts *counts) {
  size_t pad_len = v->plaintext[v->plaintext_len - 2];
  uint8_t next_header = v->plaintext[v->plaintext_len - 1], nh = 0;
  size_t payload_len, cap = v->packet_len + 64;
  tcpsec_esp_sa *out_sa = NULL, *in_sa = NULL;
  uint8_t *buf = malloc(cap);
  ptrdiff_t n;
  int failed = 1;

  if (buf == NULL || pad_len + 2 > v->plaintext_len) {
    vec_fail(counts, path, v->name, "pad length %zu exceeds the plaintext",
             pad_len);
    free(buf);
    return 1;
  }
  payload_len = v->plaintext_len - 2 - pad_len;

  /* Seal with the vector's sequence number and IV. */
  n = sa_for(v, TCPSEC_ESP_OUTBOUND, &out_sa);
  if (n == 0)
    n = tcpsec_esp_sa_seal_with_iv(out_sa, v->seq, v->iv, v->iv_len,
                                   next_header, v->plaintext, payload_len, buf,
                                   cap);
  if (n < 0) {
    vec_fail(counts, path, v->name, "seal failed: %s", tcpsec_strerror((int)n));
    goto done;
  }
  if ((size_t)n != v->packet_len || memcmp(buf, v->packet, v->packet_len)) {
    vec_fail(counts, path, v->name, "sealed packet differs (%td bytes, "
             "expected %zu)", n, v->packet_len);
    goto done;
  }

  /* Open the published packet. */
  n = sa_for(v, TCPSEC_ESP_INBOUND, &in_sa);
  if (n == 0)
    n = tcpsec_esp_sa_open(in_sa, v->packet, v->packet_len, buf, cap, 0, &nh);
  if (n < 0) {
    vec_fail(counts, path, v->name, "open failed: %s", tcpsec_strerror((int)n));
    goto done;
  }
  if ((size_t)n != payload_len || memcmp(buf, v->plaintext, payload_len) ||
      nh != next_header) {
    vec_fail(counts, path, v->name, "opened payload or next header differs");
    goto done;
  }
  failed = 0;

done:
  tcpsec_esp_sa_free(out_sa);
  tcpsec_esp_sa_free(in_sa);
  free(buf);
  return failed;
}

/* Key lengths the registry rejects (AES-GCM with a 192-bit key) are skipped,
 * not failed: tcpsec offers AES-GCM with 128 and 256 bits. */
static int key_length_offered(const struct esp_vector *v) {
  tcpsec_esp_sa *sa = NULL;
  int rv = sa_for(v, TCPSEC_ESP_OUTBOUND, &sa);

  tcpsec_esp_sa_free(sa);
  return rv != TCPSEC_ERR_INVALID_KEY_LENGTH;
}

static int esp_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  const json_value *vectors = json_get(doc->json, "vectors");
  size_t i;

  for (i = 0; i < json_count(vectors); i++) {
    const json_value *item = json_at(vectors, i);
    struct esp_vector v;
    const char *skip = NULL;
    char name[96];
    int rv;

    memset(&v, 0, sizeof(v));
    snprintf(name, sizeof(name), "vector %zu", i);
    v.name = name;
    rv = parse_vector(item, &v, &skip);
    if (rv == 0) {
      vec_skip(counts, skip);
    } else if (rv < 0) {
      vec_fail(counts, path, name, "missing or invalid field");
    } else if (v.spi == 0) {
      /* RFC 4303 section 2.1: SPI 0 must never be sent, so no SA has it. */
      vec_skip(counts, "SPI 0 is reserved and refused for an SA");
    } else if (!key_length_offered(&v)) {
      vec_skip(counts, "key length not offered for the algorithm");
    } else if (check_vector(&v, path, counts) == 0) {
      if (vec_verbose)
        printf("  ok %s\n", name);
      vec_pass(counts);
    }
    vector_free(&v);
  }
  return 0;
}

const vec_handler vec_esp_packets_handler = {"esp-packets", esp_detect,
                                             esp_run};
