/*
 * Project Wycheproof key exchange files: ECDH with raw public points
 * (schema ecdh_ecpoint_test_schema_v1.json, curves secp256r1, secp384r1,
 * secp521r1) and X25519 (schema xdh_comp_schema_v1.json).
 *
 * ECDH: "public" is a SEC1 point. The uncompressed form 04 | x | y with
 * coordinates of the field size becomes the RFC 5903 KE payload x | y;
 * any other encoding (compressed, truncated, empty) has no KE payload form
 * and is handed to tcpsec unchanged, where the length check must reject
 * it. "private" is a big-endian scalar, "shared" the x coordinate.
 *
 * Results: "valid" must give exactly "shared". "invalid" must be rejected
 * with INVALID_PUBLIC_KEY or WEAK_SHARED_SECRET. "acceptable" passes when
 * tcpsec gives "shared" or rejects the value with one of those two codes.
 * For X25519 a WEAK_SHARED_SECRET rejection passes only when "shared" is
 * all zeros, because an all-zero result is tcpsec's only reason to reject
 * a 32-byte value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vectors.h"

static void case_name(char *buf, size_t len, const json_value *test) {
  snprintf(buf, len, "tcId %ld", json_get_int(test, "tcId"));
}

static int all_zero(const uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    if (p[i] != 0)
      return 0;
  return 1;
}

/* Judge one exchange: rv and secret from tcpsec against the expectation. */
static void judge(const char *result, int rv, const uint8_t *secret,
                  const uint8_t *shared, size_t shared_len, size_t secret_len,
                  int x25519, const char *path, const char *name,
                  vec_counts *counts) {
  int rejected = rv == TCPSEC_ERR_INVALID_PUBLIC_KEY ||
                 rv == TCPSEC_ERR_WEAK_SHARED_SECRET;
  int matched = rv == 0 && shared_len == secret_len &&
                memcmp(secret, shared, secret_len) == 0;

  if (vec_verbose)
    printf("%s: %s: %s\n", name, result,
           matched ? "shared secret matches"
                   : rv == 0 ? "shared secret differs"
                             : tcpsec_strerror_name(rv));

  if (strcmp(result, "valid") == 0) {
    if (matched)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "valid case: %s",
               rv != 0 ? tcpsec_strerror_name(rv) : "shared secret differs");
  } else if (strcmp(result, "invalid") == 0) {
    if (rejected)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "invalid case: %s",
               rv == 0 ? "accepted" : tcpsec_strerror_name(rv));
  } else if (strcmp(result, "acceptable") == 0) {
    if (x25519 && rv == TCPSEC_ERR_WEAK_SHARED_SECRET &&
        !all_zero(shared, shared_len))
      vec_fail(counts, path, name,
               "rejected as all-zero, but the shared secret is not zero");
    else if (matched || rejected)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "acceptable case: %s",
               rv != 0 ? tcpsec_strerror_name(rv) : "shared secret differs");
  } else {
    vec_fail(counts, path, name, "unknown result \"%s\"", result);
  }
}

/* Run one exchange with tcpsec and judge it. */
static void exchange(uint16_t group, const json_value *test, int x25519,
                     const char *path, vec_counts *counts) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(group);
  const char *result = json_get_string(test, "result");
  uint8_t *pub, *priv, *shared, secret[TCPSEC_KE_MAX_SECRET_LEN];
  const uint8_t *peer;
  size_t pub_len = 0, priv_len = 0, shared_len = 0, peer_len;
  tcpsec_ke *ke = NULL;
  char name[32];
  int rv;

  case_name(name, sizeof(name), test);
  pub = vec_hex(json_get_string(test, "public"), &pub_len);
  priv = vec_hex(json_get_string(test, "private"), &priv_len);
  shared = vec_hex(json_get_string(test, "shared"), &shared_len);
  if (pub == NULL || priv == NULL || shared == NULL || result == NULL) {
    vec_fail(counts, path, name, "missing or invalid field");
    goto out;
  }

  rv = tcpsec_ke_new_with_private(vec_ctx(), group, priv, priv_len, &ke);
  if (rv != 0) {
    vec_fail(counts, path, name, "private key: %s", tcpsec_strerror_name(rv));
    goto out;
  }

  /* SEC1 uncompressed point to RFC 5903 x | y. */
  peer = pub;
  peer_len = pub_len;
  if (!x25519 && pub_len == 1u + info->public_len && pub[0] == 0x04) {
    peer = pub + 1;
    peer_len = info->public_len;
  }
  rv = tcpsec_ke_compute(ke, peer, peer_len, secret, info->secret_len);
  judge(result, rv, secret, shared, shared_len, info->secret_len, x25519,
        path, name, counts);
out:
  tcpsec_ke_free(ke);
  free(pub);
  free(priv);
  free(shared);
}

static uint16_t ecdh_group(const char *curve) {
  if (curve == NULL)
    return TCPSEC_KE_NONE;
  if (strcmp(curve, "secp256r1") == 0)
    return TCPSEC_KE_ECP_256;
  if (strcmp(curve, "secp384r1") == 0)
    return TCPSEC_KE_ECP_384;
  if (strcmp(curve, "secp521r1") == 0)
    return TCPSEC_KE_ECP_521;
  return TCPSEC_KE_NONE;
}

static int run_groups(const vec_doc *doc, const char *path,
                      vec_counts *counts, int x25519) {
  const json_value *groups = json_get(doc->json, "testGroups");
  size_t g, t;

  if (groups == NULL || groups->type != JSON_ARRAY) {
    vec_fail(counts, path, "file", "\"testGroups\" is not an array");
    return -1;
  }
  for (g = 0; g < json_count(groups); g++) {
    const json_value *group = json_at(groups, g);
    const json_value *tests = json_get(group, "tests");
    const char *curve = json_get_string(group, "curve");
    const char *encoding = json_get_string(group, "encoding");
    uint16_t ke = x25519 ? TCPSEC_KE_CURVE25519 : ecdh_group(curve);

    for (t = 0; t < json_count(tests); t++) {
      if (x25519 && (curve == NULL || strcmp(curve, "curve25519") != 0))
        vec_skip(counts, "XDH curve other than curve25519");
      else if (ke == TCPSEC_KE_NONE)
        vec_skip(counts, "curve not offered");
      else if (!x25519 && (encoding == NULL ||
                           strcmp(encoding, "ecpoint") != 0))
        vec_skip(counts, "public key encoding other than ecpoint");
      else
        exchange(ke, json_at(tests, t), x25519, path, counts);
    }
  }
  return 0;
}

static int schema_is(const vec_doc *doc, const char *schema) {
  const char *s = json_get_string(doc->json, "schema");

  return s != NULL && strcmp(s, schema) == 0;
}

static int ecdh_detect(const vec_doc *doc) {
  return schema_is(doc, "ecdh_ecpoint_test_schema_v1.json");
}

static int ecdh_run(const vec_doc *doc, const char *path,
                    vec_counts *counts) {
  return run_groups(doc, path, counts, 0);
}

static int xdh_detect(const vec_doc *doc) {
  return schema_is(doc, "xdh_comp_schema_v1.json");
}

static int xdh_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  return run_groups(doc, path, counts, 1);
}

const vec_handler vec_wycheproof_ecdh_handler = {"wycheproof-ecdh-ecpoint",
                                                 ecdh_detect, ecdh_run};
const vec_handler vec_wycheproof_xdh_handler = {"wycheproof-x25519",
                                                xdh_detect, xdh_run};
