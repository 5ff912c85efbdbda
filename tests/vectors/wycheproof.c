/*
 * Project Wycheproof symmetric test files: AEAD (AES-GCM,
 * ChaCha20-Poly1305), MAC (HMAC-SHA2) and AES-CBC with PKCS#5 padding.
 *
 * A Wycheproof file is {"algorithm", "schema", "testGroups": [{group
 * parameters, "tests": [{"tcId", "comment", "flags", ..., "result"}]}]}.
 * "result" is "valid" (tcpsec must produce and accept exactly these
 * bytes), "invalid" (tcpsec must reject) or "acceptable" (either outcome
 * passes). None of the published symmetric files has acceptable cases.
 *
 * Cases with parameters tcpsec does not offer are skipped and counted:
 * AES-GCM with a 192-bit key, nonces other than 96 bits, tags other than
 * 128 bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "vectors.h"

enum expect { EXPECT_VALID, EXPECT_INVALID, EXPECT_ACCEPTABLE, EXPECT_BAD };

static enum expect result_of(const json_value *test) {
  const char *r = json_get_string(test, "result");

  if (r == NULL)
    return EXPECT_BAD;
  if (strcmp(r, "valid") == 0)
    return EXPECT_VALID;
  if (strcmp(r, "invalid") == 0)
    return EXPECT_INVALID;
  if (strcmp(r, "acceptable") == 0)
    return EXPECT_ACCEPTABLE;
  return EXPECT_BAD;
}

static int is_wycheproof(const vec_doc *doc, const char *schema) {
  const char *s = json_get_string(doc->json, "schema");

  return s != NULL && strcmp(s, schema) == 0 &&
         json_get(doc->json, "testGroups") != NULL;
}

static void case_name(char *buf, size_t len, const json_value *test) {
  snprintf(buf, len, "tcId %ld", json_get_int(test, "tcId"));
}

/* Decoded hex fields of one test (NULL for a missing field). */
struct fields {
  uint8_t *v[6];
  size_t len[6];
};

static int fields_load(struct fields *f, const json_value *test,
                       const char *const names[], size_t n) {
  size_t i;
  int ok = 1;

  memset(f, 0, sizeof(*f));
  for (i = 0; i < n; i++) {
    f->v[i] = vec_hex(json_get_string(test, names[i]), &f->len[i]);
    if (f->v[i] == NULL)
      ok = 0;
  }
  return ok;
}

static void fields_free(struct fields *f) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(f->v); i++)
    free(f->v[i]);
}

/* Walk all groups and tests, calling fn for each test. */
typedef void (*test_fn)(const json_value *group, const json_value *test,
                        const char *path, vec_counts *counts, void *arg);

static int for_each_test(const vec_doc *doc, const char *path,
                         vec_counts *counts, test_fn fn, void *arg) {
  const json_value *groups = json_get(doc->json, "testGroups");
  size_t g, t;

  if (groups == NULL || groups->type != JSON_ARRAY) {
    vec_fail(counts, path, "file", "\"testGroups\" is not an array");
    return -1;
  }
  for (g = 0; g < json_count(groups); g++) {
    const json_value *group = json_at(groups, g);
    const json_value *tests = json_get(group, "tests");
    for (t = 0; t < json_count(tests); t++)
      fn(group, json_at(tests, t), path, counts, arg);
  }
  return 0;
}

/* ---- AEAD --------------------------------------------------------------- */

static void aead_test(const json_value *group, const json_value *test,
                      const char *path, vec_counts *counts, void *arg) {
  static const char *const names[] = {"key", "iv", "aad", "msg", "ct", "tag"};
  const uint16_t encr = *(const uint16_t *)arg;
  enum expect expect = result_of(test);
  struct fields f;
  tcpsec_aead *a = NULL;
  uint8_t *buf = NULL, tag[TCPSEC_AEAD_TAG_LEN];
  char name[32];
  int rv;

  case_name(name, sizeof(name), test);
  if (!fields_load(&f, test, names, 6) || expect == EXPECT_BAD) {
    vec_fail(counts, path, name, "missing or invalid field");
    goto out;
  }
  /* Parameters tcpsec does not offer. */
  if (json_get_int(group, "ivSize") != 96) {
    vec_skip(counts, "nonce length other than 96 bits");
    goto out;
  }
  if (json_get_int(group, "tagSize") != 128) {
    vec_skip(counts, "tag length other than 128 bits");
    goto out;
  }
  if (f.len[1] != TCPSEC_AEAD_NONCE_LEN || f.len[5] != TCPSEC_AEAD_TAG_LEN) {
    vec_skip(counts, "nonce or tag length differs from the group's");
    goto out;
  }
  if (encr == TCPSEC_ENCR_AES_GCM_16 && f.len[0] == 24) {
    vec_skip(counts, "AES-192-GCM (not offered)");
    goto out;
  }

  rv = tcpsec_aead_new(vec_ctx(), encr, f.v[0], f.len[0], &a);
  if (rv != 0) {
    vec_fail(counts, path, name, "key setup: %s", tcpsec_strerror_name(rv));
    goto out;
  }
  buf = malloc(f.len[3] + f.len[4] + 1);
  if (buf == NULL) {
    vec_fail(counts, path, name, "out of memory");
    goto out;
  }

  /* Decryption: valid cases authenticate and give msg; invalid ones are
   * rejected with ICV_MISMATCH. */
  rv = tcpsec_aead_decrypt(a, f.v[1], f.v[2], f.len[2], f.v[4], buf, f.len[4],
                           f.v[5]);
  if (expect == EXPECT_INVALID) {
    if (rv == TCPSEC_ERR_ICV_MISMATCH)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "invalid case accepted (%s)",
               tcpsec_strerror_name(rv));
    goto out;
  }
  if (rv != 0 || f.len[3] != f.len[4] || memcmp(buf, f.v[3], f.len[3]) != 0) {
    if (expect == EXPECT_ACCEPTABLE && rv == TCPSEC_ERR_ICV_MISMATCH)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "decryption: %s",
               rv != 0 ? tcpsec_strerror_name(rv) : "plaintext differs");
    goto out;
  }

  /* Encryption gives exactly ct and tag. */
  rv = tcpsec_aead_encrypt(a, f.v[1], f.v[2], f.len[2], f.v[3], buf, f.len[3],
                           tag);
  if (rv != 0 || memcmp(buf, f.v[4], f.len[4]) != 0 ||
      memcmp(tag, f.v[5], sizeof(tag)) != 0)
    vec_fail(counts, path, name, "encryption: %s",
             rv != 0 ? tcpsec_strerror_name(rv) : "ciphertext or tag differs");
  else
    vec_pass(counts);
out:
  tcpsec_aead_free(a);
  free(buf);
  fields_free(&f);
}

static int aead_detect(const vec_doc *doc) {
  const char *alg = json_get_string(doc->json, "algorithm");

  return is_wycheproof(doc, "aead_test_schema_v1.json") && alg != NULL &&
         (strcmp(alg, "AES-GCM") == 0 ||
          strcmp(alg, "CHACHA20-POLY1305") == 0);
}

static int aead_run(const vec_doc *doc, const char *path,
                    vec_counts *counts) {
  const char *alg = json_get_string(doc->json, "algorithm");
  uint16_t encr = strcmp(alg, "AES-GCM") == 0 ? TCPSEC_ENCR_AES_GCM_16
                                               : TCPSEC_ENCR_CHACHA20_POLY1305;

  return for_each_test(doc, path, counts, aead_test, &encr);
}

const vec_handler vec_wycheproof_aead_handler = {"wycheproof-aead",
                                                 aead_detect, aead_run};

/* ---- MAC ---------------------------------------------------------------- */

/* The tag is the leftmost tagSize bits of the HMAC, as in RFC 4868's
 * truncated integrity algorithms. Both the one-shot HMAC and a kept key
 * compute it and must agree. */
static void mac_test(const json_value *group, const json_value *test,
                     const char *path, vec_counts *counts, void *arg) {
  static const char *const names[] = {"key", "msg", "tag"};
  const tcpsec_hash_alg alg = *(const tcpsec_hash_alg *)arg;
  enum expect expect = result_of(test);
  size_t hash_len = tcpsec_hash_len(alg);
  long tag_bits = json_get_int(group, "tagSize");
  uint8_t one_shot[TCPSEC_HASH_MAX_LEN], kept[TCPSEC_HASH_MAX_LEN];
  tcpsec_hmac_key *k = NULL;
  tcpsec_iov iov;
  struct fields f;
  char name[32];
  int rv, match;

  case_name(name, sizeof(name), test);
  if (!fields_load(&f, test, names, 3) || expect == EXPECT_BAD) {
    vec_fail(counts, path, name, "missing or invalid field");
    goto out;
  }
  if (tag_bits <= 0 || tag_bits % 8 != 0 || (size_t)tag_bits / 8 > hash_len) {
    vec_skip(counts, "tag length not a whole number of bytes up to the hash");
    goto out;
  }

  iov.data = f.v[1];
  iov.len = f.len[1];
  rv = tcpsec_hmac(vec_ctx(), alg, f.v[0], f.len[0], &iov, 1, one_shot);
  if (rv == 0)
    rv = tcpsec_hmac_key_new(vec_ctx(), alg, f.v[0], f.len[0], &k);
  if (rv == 0)
    rv = tcpsec_hmac_key_compute(k, &iov, 1, kept);
  if (rv != 0) {
    vec_fail(counts, path, name, "HMAC: %s", tcpsec_strerror_name(rv));
    goto out;
  }
  if (memcmp(one_shot, kept, hash_len) != 0) {
    vec_fail(counts, path, name, "one-shot and kept-key HMAC differ");
    goto out;
  }

  /* A tag of another length than the group's never verifies. */
  match = f.len[2] == (size_t)tag_bits / 8 &&
          tcpsec_ct_memcmp(one_shot, f.v[2], f.len[2]) == 0;
  if (match == (expect == EXPECT_VALID) || expect == EXPECT_ACCEPTABLE)
    vec_pass(counts);
  else
    vec_fail(counts, path, name, "%s",
             match ? "invalid tag verified" : "tag differs");
out:
  tcpsec_hmac_key_free(k);
  fields_free(&f);
}

static int mac_alg(const vec_doc *doc, tcpsec_hash_alg *alg) {
  const char *a = json_get_string(doc->json, "algorithm");

  if (a == NULL)
    return 0;
  if (strcmp(a, "HMACSHA256") == 0)
    *alg = TCPSEC_HASH_SHA256;
  else if (strcmp(a, "HMACSHA384") == 0)
    *alg = TCPSEC_HASH_SHA384;
  else if (strcmp(a, "HMACSHA512") == 0)
    *alg = TCPSEC_HASH_SHA512;
  else
    return 0;
  return 1;
}

static int mac_detect(const vec_doc *doc) {
  tcpsec_hash_alg alg;

  return is_wycheproof(doc, "mac_test_schema_v1.json") && mac_alg(doc, &alg);
}

static int mac_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  tcpsec_hash_alg alg = TCPSEC_HASH_NONE;

  mac_alg(doc, &alg);
  return for_each_test(doc, path, counts, mac_test, &alg);
}

const vec_handler vec_wycheproof_mac_handler = {"wycheproof-hmac", mac_detect,
                                                mac_run};

/* ---- AES-CBC with PKCS#5 padding ---------------------------------------- */

/* tcpsec's AES-CBC has no padding (ESP pads and checks its own trailer).
 * Valid cases: msg padded per PKCS#5 must encrypt to ct and ct must
 * decrypt back. Invalid cases whose ct is not a whole number of blocks
 * must be rejected. The other invalid cases differ only in their PKCS#5
 * padding, which tcpsec's CBC does not check, so they are skipped. */
static void cbc_test(const json_value *group, const json_value *test,
                     const char *path, vec_counts *counts, void *arg) {
  static const char *const names[] = {"key", "iv", "msg", "ct"};
  enum expect expect = result_of(test);
  struct fields f;
  tcpsec_cbc *c = NULL;
  uint8_t *padded = NULL, *buf = NULL;
  size_t pad, padded_len;
  char name[32];
  int rv;

  (void)group;
  (void)arg;
  case_name(name, sizeof(name), test);
  if (!fields_load(&f, test, names, 4) || expect == EXPECT_BAD) {
    vec_fail(counts, path, name, "missing or invalid field");
    goto out;
  }
  if (f.len[1] != TCPSEC_AES_BLOCK_LEN) {
    vec_skip(counts, "IV length other than 128 bits");
    goto out;
  }
  rv = tcpsec_cbc_new(vec_ctx(), f.v[0], f.len[0], &c);
  if (rv != 0) {
    vec_fail(counts, path, name, "key setup: %s", tcpsec_strerror_name(rv));
    goto out;
  }
  buf = malloc(f.len[3] + 1);
  if (buf == NULL)
    goto out;

  if (expect != EXPECT_VALID) {
    rv = tcpsec_cbc_decrypt(c, f.v[1], f.v[3], buf, f.len[3]);
    if (f.len[3] % TCPSEC_AES_BLOCK_LEN == 0)
      vec_skip(counts, "PKCS#5 padding check (no padding in tcpsec's CBC)");
    else if (rv == TCPSEC_ERR_INVALID_ARGUMENT)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "partial block accepted (%s)",
               tcpsec_strerror_name(rv));
    goto out;
  }

  pad = TCPSEC_AES_BLOCK_LEN - f.len[2] % TCPSEC_AES_BLOCK_LEN;
  padded_len = f.len[2] + pad;
  padded = malloc(padded_len);
  if (padded == NULL || padded_len != f.len[3]) {
    vec_fail(counts, path, name, "ct length is not that of padded msg");
    goto out;
  }
  memcpy(padded, f.v[2], f.len[2]);
  memset(padded + f.len[2], (int)pad, pad);

  rv = tcpsec_cbc_encrypt(c, f.v[1], padded, buf, padded_len);
  if (rv != 0 || memcmp(buf, f.v[3], padded_len) != 0) {
    vec_fail(counts, path, name, "encryption: %s",
             rv != 0 ? tcpsec_strerror_name(rv) : "ciphertext differs");
    goto out;
  }
  rv = tcpsec_cbc_decrypt(c, f.v[1], f.v[3], buf, padded_len);
  if (rv != 0 || memcmp(buf, padded, padded_len) != 0)
    vec_fail(counts, path, name, "decryption: %s",
             rv != 0 ? tcpsec_strerror_name(rv) : "plaintext differs");
  else
    vec_pass(counts);
out:
  tcpsec_cbc_free(c);
  free(padded);
  free(buf);
  fields_free(&f);
}

static int cbc_detect(const vec_doc *doc) {
  const char *alg = json_get_string(doc->json, "algorithm");

  return is_wycheproof(doc, "ind_cpa_test_schema_v1.json") && alg != NULL &&
         strcmp(alg, "AES-CBC-PKCS5") == 0;
}

static int cbc_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  return for_each_test(doc, path, counts, cbc_test, NULL);
}

const vec_handler vec_wycheproof_cbc_handler = {"wycheproof-aes-cbc",
                                                cbc_detect, cbc_run};
