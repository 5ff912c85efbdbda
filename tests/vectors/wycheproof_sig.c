/*
 * Project Wycheproof signature verification files:
 *   ecdsa_verify_schema*.json        ECDSA, DER Ecdsa-Sig-Value
 *   ecdsa_p1363_verify_schema*.json  ECDSA, r | s (IEEE P1363, RFC 4754)
 *   rsassa_pkcs1_verify_schema*.json RSASSA-PKCS1-v1_5
 *   rsassa_pss_verify_schema*.json   RSASSA-PSS
 *
 * Each test group carries the public key as a DER SubjectPublicKeyInfo
 * ("publicKeyDer") and the hash ("sha"). Each case gives "msg", "sig" and
 * "result". "valid" must verify; "invalid" must be rejected with
 * SIGNATURE_INVALID or MALFORMED; "acceptable" passes either way.
 *
 * Groups are skipped, with the reason counted, for keys that tcpsec
 * rejects as UNSUPPORTED_KEY_TYPE (curves other than P-256/384/521, RSA
 * outside 2048 to 8192 bits) and for hashes other than SHA2-256/384/512.
 * RSASSA-PSS groups are also skipped when MGF1 uses another hash than the
 * message or the salt length differs from the hash length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sig.h"
#include "vectors.h"

enum sig_family { FAMILY_NONE, FAMILY_ECDSA_DER, FAMILY_ECDSA_P1363,
                  FAMILY_RSA_PKCS1, FAMILY_RSA_PSS };

static int prefix_is(const char *s, const char *prefix) {
  return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static enum sig_family family_of(const vec_doc *doc) {
  const char *schema = json_get_string(doc->json, "schema");

  if (prefix_is(schema, "ecdsa_verify_schema"))
    return FAMILY_ECDSA_DER;
  if (prefix_is(schema, "ecdsa_p1363_verify_schema"))
    return FAMILY_ECDSA_P1363;
  if (prefix_is(schema, "rsassa_pkcs1_verify_schema"))
    return FAMILY_RSA_PKCS1;
  if (prefix_is(schema, "rsassa_pss_verify_schema"))
    return FAMILY_RSA_PSS;
  return FAMILY_NONE;
}

static tcpsec_hash_alg hash_of(const char *name) {
  if (name == NULL)
    return TCPSEC_HASH_NONE;
  if (strcmp(name, "SHA-256") == 0)
    return TCPSEC_HASH_SHA256;
  if (strcmp(name, "SHA-384") == 0)
    return TCPSEC_HASH_SHA384;
  if (strcmp(name, "SHA-512") == 0)
    return TCPSEC_HASH_SHA512;
  return TCPSEC_HASH_NONE;
}

static tcpsec_sig_scheme scheme_of(enum sig_family family) {
  switch (family) {
  case FAMILY_ECDSA_DER:
    return TCPSEC_SIG_ECDSA_DER;
  case FAMILY_ECDSA_P1363:
    return TCPSEC_SIG_ECDSA_RAW;
  case FAMILY_RSA_PKCS1:
    return TCPSEC_SIG_RSA_PKCS1;
  default:
    return TCPSEC_SIG_RSA_PSS;
  }
}

/* The reason to skip a whole group, or NULL when tcpsec runs it. */
static const char *group_skip_reason(enum sig_family family,
                                     const json_value *group,
                                     tcpsec_hash_alg hash) {
  const char *mgf, *mgf_sha;
  long salt;

  if (hash == TCPSEC_HASH_NONE)
    return "hash other than SHA2-256/384/512";
  if (family != FAMILY_RSA_PSS)
    return NULL;
  mgf = json_get_string(group, "mgf");
  mgf_sha = json_get_string(group, "mgfSha");
  salt = json_get_int(group, "sLen");
  if (mgf == NULL || strcmp(mgf, "MGF1") != 0 || hash_of(mgf_sha) != hash)
    return "RSASSA-PSS with MGF1 over another hash";
  if (salt < 0 || (size_t)salt != tcpsec_hash_len(hash))
    return "RSASSA-PSS salt length other than the hash length";
  return NULL;
}

static void judge(const char *result, int rv, const char *path,
                  const char *name, vec_counts *counts) {
  int rejected = rv == TCPSEC_ERR_SIGNATURE_INVALID ||
                 rv == TCPSEC_ERR_MALFORMED;

  if (vec_verbose)
    printf("%s: %s: %s\n", name, result, tcpsec_strerror_name(rv));
  if (strcmp(result, "valid") == 0) {
    if (rv == 0)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "valid signature rejected: %s",
               tcpsec_strerror_name(rv));
  } else if (strcmp(result, "invalid") == 0) {
    if (rejected)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "invalid signature: %s",
               rv == 0 ? "accepted" : tcpsec_strerror_name(rv));
  } else if (strcmp(result, "acceptable") == 0) {
    if (rv == 0 || rejected)
      vec_pass(counts);
    else
      vec_fail(counts, path, name, "acceptable signature: %s",
               tcpsec_strerror_name(rv));
  } else {
    vec_fail(counts, path, name, "unknown result \"%s\"", result);
  }
}

static void verify_case(tcpsec_sig_key *key, tcpsec_sig_scheme scheme,
                        tcpsec_hash_alg hash, const json_value *test,
                        const char *path, vec_counts *counts) {
  const char *result = json_get_string(test, "result");
  size_t msg_len = 0, sig_len = 0;
  uint8_t *msg = vec_hex(json_get_string(test, "msg"), &msg_len);
  uint8_t *sig = vec_hex(json_get_string(test, "sig"), &sig_len);
  tcpsec_iov iov;
  char name[32];
  int rv;

  snprintf(name, sizeof(name), "tcId %ld", json_get_int(test, "tcId"));
  if (msg == NULL || sig == NULL || result == NULL) {
    vec_fail(counts, path, name, "missing or invalid field");
  } else {
    iov.data = msg;
    iov.len = msg_len;
    rv = tcpsec_sig_verify(key, scheme, hash, &iov, 1, sig, sig_len);
    judge(result, rv, path, name, counts);
  }
  free(msg);
  free(sig);
}

static void run_group(enum sig_family family, const json_value *group,
                      const char *path, vec_counts *counts) {
  const json_value *tests = json_get(group, "tests");
  tcpsec_hash_alg hash = hash_of(json_get_string(group, "sha"));
  const char *skip = group_skip_reason(family, group, hash);
  tcpsec_sig_key *key = NULL;
  uint8_t *der = NULL;
  size_t der_len = 0, t;
  int rv;

  if (skip == NULL) {
    der = vec_hex(json_get_string(group, "publicKeyDer"), &der_len);
    if (der == NULL) {
      vec_fail(counts, path, "group", "missing or invalid publicKeyDer");
      return;
    }
    rv = tcpsec_sig_key_parse_public(vec_ctx(), der, der_len, &key);
    free(der);
    if (rv == TCPSEC_ERR_UNSUPPORTED_KEY_TYPE) {
      skip = "key type, curve or size not offered";
    } else if (rv != 0) {
      vec_fail(counts, path, "group", "public key: %s",
               tcpsec_strerror_name(rv));
      return;
    }
  }

  for (t = 0; t < json_count(tests); t++) {
    if (skip != NULL)
      vec_skip(counts, skip);
    else
      verify_case(key, scheme_of(family), hash, json_at(tests, t), path,
                  counts);
  }
  tcpsec_sig_key_free(key);
}

static int sig_detect(const vec_doc *doc) {
  return family_of(doc) != FAMILY_NONE;
}

static int sig_run(const vec_doc *doc, const char *path, vec_counts *counts) {
  const json_value *groups = json_get(doc->json, "testGroups");
  enum sig_family family = family_of(doc);
  size_t g;

  if (groups == NULL || groups->type != JSON_ARRAY) {
    vec_fail(counts, path, "file", "\"testGroups\" is not an array");
    return -1;
  }
  for (g = 0; g < json_count(groups); g++)
    run_group(family, json_at(groups, g), path, counts);
  return 0;
}

const vec_handler vec_wycheproof_sig_handler = {"wycheproof-signature",
                                                sig_detect, sig_run};
