/*
 * tcpsec's JSON transcriptions of RFC test vectors. Each file names its
 * source in a "source" (or "source_transcription") field.
 *
 * rfc4868: {"prf_test_cases": [...], "auth_test_cases": [...]}, each case
 *   {"name", "key", "data", "<output name>": hex, ...}. Output names are
 *   "PRF-HMAC-SHA-N" (the full HMAC) and "HMAC-SHA-N-T" (the leftmost T
 *   bits). Each output is one case.
 * rfc7634: {"esp_example": {...}, "ikev2_example": {...}} with "key",
 *   "nonce", "aad", "plaintext", "ciphertext", "tag" for ChaCha20-Poly1305.
 *   Each example is one case: encryption must give ciphertext and tag,
 *   decryption the plaintext, and a changed tag must be rejected.
 * dh_ke: {"ecp": [...], "curve25519": [...]}, each entry {"ike_group",
 *   "private_i", "private_r", public values and the shared secret}. Each
 *   entry is one case: both public values and both sides' secrets must
 *   match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "vectors.h"

/* ---- RFC 4868 HMAC-SHA2 ------------------------------------------------- */

/* "PRF-HMAC-SHA-256" gives SHA-256 and 256 bits, "HMAC-SHA-384-192" gives
 * SHA-384 and 192 bits; 0 for any other member name. */
static int output_kind(const char *name, tcpsec_hash_alg *alg,
                       unsigned *bits) {
  unsigned n = 0, t = 0;
  char tail;

  if (sscanf(name, "PRF-HMAC-SHA-%u%c", &n, &tail) == 1)
    t = n;
  else if (sscanf(name, "HMAC-SHA-%u-%u%c", &n, &t, &tail) != 2)
    return 0;
  switch (n) {
  case 256:
    *alg = TCPSEC_HASH_SHA256;
    break;
  case 384:
    *alg = TCPSEC_HASH_SHA384;
    break;
  case 512:
    *alg = TCPSEC_HASH_SHA512;
    break;
  default:
    return 0;
  }
  if (t == 0 || t % 8 != 0 || t > n)
    return 0;
  *bits = t;
  return 1;
}

static void rfc4868_case(const json_value *c, const char *path,
                         vec_counts *counts) {
  const char *label = json_get_string(c, "name");
  uint8_t *key, *data, out[TCPSEC_HASH_MAX_LEN];
  size_t key_len = 0, data_len = 0, i;
  tcpsec_iov iov;

  if (label == NULL)
    label = "?";
  key = vec_hex(json_get_string(c, "key"), &key_len);
  data = vec_hex(json_get_string(c, "data"), &data_len);
  if (key == NULL || data == NULL) {
    vec_fail(counts, path, label, "missing or invalid key or data");
    goto out;
  }
  iov.data = data;
  iov.len = data_len;

  for (i = 0; i < json_count(c); i++) {
    tcpsec_hash_alg alg;
    unsigned bits;
    uint8_t *want;
    size_t want_len = 0;
    char name[96];
    int rv;

    if (!output_kind(c->keys[i], &alg, &bits))
      continue;
    snprintf(name, sizeof(name), "%s %s", label, c->keys[i]);
    want = vec_hex(json_string(&c->items[i]), &want_len);
    if (want == NULL || want_len != bits / 8) {
      vec_fail(counts, path, name, "invalid expected value");
      free(want);
      continue;
    }
    rv = tcpsec_hmac(vec_ctx(), alg, key, key_len, &iov, 1, out);
    if (rv != 0)
      vec_fail(counts, path, name, "%s", tcpsec_strerror_name(rv));
    else if (memcmp(out, want, want_len) != 0)
      vec_fail(counts, path, name, "HMAC differs");
    else
      vec_pass(counts);
    free(want);
  }
out:
  free(key);
  free(data);
}

static int rfc4868_detect(const vec_doc *doc) {
  return json_get(doc->json, "prf_test_cases") != NULL ||
         json_get(doc->json, "auth_test_cases") != NULL;
}

static int rfc4868_run(const vec_doc *doc, const char *path,
                       vec_counts *counts) {
  static const char *const lists[] = {"prf_test_cases", "auth_test_cases"};
  size_t l, i;

  for (l = 0; l < TCPSEC_ARRAY_SIZE(lists); l++) {
    const json_value *cases = json_get(doc->json, lists[l]);
    for (i = 0; i < json_count(cases); i++)
      rfc4868_case(json_at(cases, i), path, counts);
  }
  return 0;
}

const vec_handler vec_rfc4868_handler = {"rfc4868-hmac-sha2", rfc4868_detect,
                                         rfc4868_run};

/* ---- RFC 7634 ChaCha20-Poly1305 ----------------------------------------- */

static void rfc7634_case(const json_value *ex, const char *label,
                         const char *path, vec_counts *counts) {
  static const char *const names[] = {"key",        "nonce", "aad",
                                      "plaintext", "ciphertext", "tag"};
  uint8_t *v[6] = {NULL}, *buf = NULL, tag[TCPSEC_AEAD_TAG_LEN];
  size_t len[6] = {0}, i;
  tcpsec_aead *a = NULL;
  int rv;

  for (i = 0; i < 6; i++) {
    v[i] = vec_hex(json_get_string(ex, names[i]), &len[i]);
    if (v[i] == NULL) {
      vec_fail(counts, path, label, "missing or invalid \"%s\"", names[i]);
      goto out;
    }
  }
  if (len[1] != TCPSEC_AEAD_NONCE_LEN || len[5] != TCPSEC_AEAD_TAG_LEN ||
      len[3] != len[4]) {
    vec_fail(counts, path, label, "field lengths are inconsistent");
    goto out;
  }
  rv = tcpsec_aead_new(vec_ctx(), TCPSEC_ENCR_CHACHA20_POLY1305, v[0], len[0],
                       &a);
  buf = malloc(len[3] + 1);
  if (rv != 0 || buf == NULL) {
    vec_fail(counts, path, label, "key setup: %s", tcpsec_strerror_name(rv));
    goto out;
  }

  rv = tcpsec_aead_encrypt(a, v[1], v[2], len[2], v[3], buf, len[3], tag);
  if (rv != 0 || memcmp(buf, v[4], len[4]) != 0 ||
      memcmp(tag, v[5], sizeof(tag)) != 0) {
    vec_fail(counts, path, label, "encryption: %s",
             rv != 0 ? tcpsec_strerror_name(rv) : "ciphertext or tag differs");
    goto out;
  }
  rv = tcpsec_aead_decrypt(a, v[1], v[2], len[2], v[4], buf, len[4], v[5]);
  if (rv != 0 || memcmp(buf, v[3], len[3]) != 0) {
    vec_fail(counts, path, label, "decryption: %s",
             rv != 0 ? tcpsec_strerror_name(rv) : "plaintext differs");
    goto out;
  }
  v[5][TCPSEC_AEAD_TAG_LEN - 1] ^= 0x80;
  rv = tcpsec_aead_decrypt(a, v[1], v[2], len[2], v[4], buf, len[4], v[5]);
  if (rv != TCPSEC_ERR_ICV_MISMATCH) {
    vec_fail(counts, path, label, "changed tag: %s",
             rv == 0 ? "accepted" : tcpsec_strerror_name(rv));
    goto out;
  }
  vec_pass(counts);
out:
  tcpsec_aead_free(a);
  free(buf);
  for (i = 0; i < 6; i++)
    free(v[i]);
}

static int rfc7634_detect(const vec_doc *doc) {
  return json_get(doc->json, "esp_example") != NULL ||
         json_get(doc->json, "ikev2_example") != NULL;
}

static int rfc7634_run(const vec_doc *doc, const char *path,
                       vec_counts *counts) {
  static const char *const examples[] = {"esp_example", "ikev2_example"};
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(examples); i++) {
    const json_value *ex = json_get(doc->json, examples[i]);
    if (ex != NULL)
      rfc7634_case(ex, examples[i], path, counts);
  }
  return 0;
}

const vec_handler vec_rfc7634_handler = {"rfc7634-chacha20poly1305",
                                         rfc7634_detect, rfc7634_run};

/* ---- key exchange (RFC 5114, RFC 7748, RFC 8031) ------------------------ */

/* dh_side's result when a value was computed but differs from the file. */
#define DH_DIFFERS 1

/* One side: its public value from its private one, and the secret from the
 * other side's public value. Returns 0, DH_DIFFERS or a TCPSEC_ERR_* code,
 * with *step naming the step. */
static int dh_side(uint16_t group, const uint8_t *priv, size_t priv_len,
                   const uint8_t *pub, size_t pub_len, const uint8_t *peer,
                   size_t peer_len, const uint8_t *shared, size_t shared_len,
                   const char **step) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(group);
  uint8_t out[TCPSEC_KE_MAX_PUBLIC_LEN], secret[TCPSEC_KE_MAX_SECRET_LEN];
  tcpsec_ke *ke = NULL;
  int rv;

  *step = "private key";
  rv = tcpsec_ke_new_with_private(vec_ctx(), group, priv, priv_len, &ke);
  if (rv == 0) {
    *step = "public value";
    rv = tcpsec_ke_public(ke, out, info->public_len);
  }
  if (rv == 0 && (pub_len != info->public_len ||
                  memcmp(out, pub, pub_len) != 0))
    rv = DH_DIFFERS;
  if (rv == 0) {
    *step = "shared secret";
    rv = tcpsec_ke_compute(ke, peer, peer_len, secret, info->secret_len);
  }
  if (rv == 0 && (shared_len != info->secret_len ||
                  memcmp(secret, shared, shared_len) != 0))
    rv = DH_DIFFERS;
  tcpsec_ke_free(ke);
  return rv;
}

static void dh_case(const json_value *c, const char *pub_i_name,
                    const char *pub_r_name, const char *secret_name,
                    const char *path, vec_counts *counts, size_t index) {
  const char *names[5] = {"private_i", pub_i_name, "private_r", pub_r_name,
                          secret_name};
  long group = json_get_int(c, "ike_group");
  uint8_t *v[5] = {NULL};
  size_t len[5] = {0}, i;
  const char *step;
  char label[64];
  int rv;

  snprintf(label, sizeof(label), "group %ld entry %zu", group, index);
  for (i = 0; i < 5; i++) {
    v[i] = vec_hex(json_get_string(c, names[i]), &len[i]);
    if (v[i] == NULL) {
      vec_fail(counts, path, label, "missing or invalid \"%s\"", names[i]);
      goto out;
    }
  }
  if (group < 0 || group > 0xffff ||
      tcpsec_ke_lookup((uint16_t)group) == NULL) {
    vec_skip(counts, "key exchange group not offered");
    goto out;
  }

  rv = dh_side((uint16_t)group, v[0], len[0], v[1], len[1], v[3], len[3],
               v[4], len[4], &step);
  if (rv == 0)
    rv = dh_side((uint16_t)group, v[2], len[2], v[3], len[3], v[1], len[1],
                 v[4], len[4], &step);
  if (rv == DH_DIFFERS)
    vec_fail(counts, path, label, "%s differs", step);
  else if (rv != 0)
    vec_fail(counts, path, label, "%s: %s", step, tcpsec_strerror_name(rv));
  else
    vec_pass(counts);
out:
  for (i = 0; i < 5; i++)
    free(v[i]);
}

static int dh_detect(const vec_doc *doc) {
  const json_value *ecp = json_get(doc->json, "ecp");
  const json_value *x = json_get(doc->json, "curve25519");

  return (ecp != NULL && json_get(json_at(ecp, 0), "ike_group") != NULL) ||
         (x != NULL && json_get(json_at(x, 0), "ike_group") != NULL);
}

static int dh_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  const json_value *ecp = json_get(doc->json, "ecp");
  const json_value *x = json_get(doc->json, "curve25519");
  size_t i;

  for (i = 0; i < json_count(ecp); i++)
    dh_case(json_at(ecp, i), "ke_data_i_x_y", "ke_data_r_x_y",
            "shared_secret_x", path, counts, i);
  for (i = 0; i < json_count(x); i++)
    dh_case(json_at(x, i), "ke_data_i", "ke_data_r", "shared_secret", path,
            counts, i);
  return 0;
}

const vec_handler vec_dh_ke_handler = {"dh-ke", dh_detect, dh_run};
