/*
 * libFuzzer target: a peer's certificate as the CERT payload carries it
 * (DER), or a PEM file, through the X.509 module.
 *
 * The input is added to a chain. When it parses, every query a signing
 * peer's IKE_AUTH leads to runs on it: identity matching for each ID type,
 * the SubjectPublicKeyInfo hash of CERTREQ, the public key, and path
 * validation with the chain as its own trust store.
 *
 * Invariants beyond "no crash, no leak": each call returns 0 or one of the
 * error codes its header documents, and a chain that failed to add stays
 * empty.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/cert.h"

static tcpsec_ctx *ctx;
static uint64_t rng;

/* Certificates need no randomness, but a context requires a source. */
static int counter_random(void *user, uint8_t *buf, size_t len) {
  uint64_t *state = user;
  size_t i;

  for (i = 0; i < len; i++) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = (uint8_t)(*state >> 56);
  }
  return 0;
}

static void expect(int rv, int first, int second, int third, int fourth) {
  if (rv != 0 && rv != first && rv != second && rv != third && rv != fourth)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t fqdn[] = "peer.example.net";
  static const uint8_t v4[4] = {192, 0, 2, 1};
  uint8_t hash[TCPSEC_CERT_SPKI_HASH_LEN];
  tcpsec_cert_chain *chain = NULL;
  tcpsec_sig_key *key = NULL;
  int rv;

  if (ctx == NULL) {
    tcpsec_ctx_config cfg;

    tcpsec_ctx_config_default(&cfg);
    cfg.random = counter_random;
    cfg.random_user = &rng;
    if (tcpsec_ctx_new(&cfg, &ctx) != 0)
      abort();
  }
  if (size == 0)
    return 0;
  if (tcpsec_cert_chain_new(ctx, &chain) != 0)
    abort();
  rv = tcpsec_cert_chain_add(chain, data, size);
  expect(rv, TCPSEC_ERR_MALFORMED, TCPSEC_ERR_UNSUPPORTED_KEY_TYPE,
         TCPSEC_ERR_LIMIT, TCPSEC_ERR_NO_MEMORY);
  if (rv != 0) {
    if (tcpsec_cert_chain_count(chain) != 0)
      abort();
    tcpsec_cert_chain_free(chain);
    return 0;
  }
  expect(tcpsec_cert_chain_match_id(chain, TCPSEC_CERT_ID_FQDN, fqdn,
                                    sizeof(fqdn) - 1),
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH,
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH);
  expect(tcpsec_cert_chain_match_id(chain, TCPSEC_CERT_ID_RFC822_ADDR, fqdn,
                                    sizeof(fqdn) - 1),
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH,
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH);
  expect(tcpsec_cert_chain_match_id(chain, TCPSEC_CERT_ID_IPV4_ADDR, v4,
                                    sizeof(v4)),
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH,
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH);
  expect(tcpsec_cert_chain_match_id(chain, TCPSEC_CERT_ID_DER_ASN1_DN, data,
                                    size),
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH,
         TCPSEC_ERR_ID_MISMATCH, TCPSEC_ERR_ID_MISMATCH);
  expect(tcpsec_cert_chain_spki_sha1(chain, 0, hash), TCPSEC_ERR_MALFORMED,
         TCPSEC_ERR_CRYPTO_BACKEND, TCPSEC_ERR_NO_MEMORY,
         TCPSEC_ERR_NO_MEMORY);
  rv = tcpsec_cert_chain_public_key(chain, 0, &key);
  expect(rv, TCPSEC_ERR_UNSUPPORTED_KEY_TYPE, TCPSEC_ERR_NO_MEMORY,
         TCPSEC_ERR_MALFORMED, TCPSEC_ERR_NO_MEMORY);
  tcpsec_sig_key_free(key);
  /* 2027-01-01, a time inside the seed certificates' validity. */
  expect(tcpsec_cert_chain_verify(chain, chain, 1798761600u, NULL, NULL),
         TCPSEC_ERR_CERT_UNTRUSTED, TCPSEC_ERR_CERT_EXPIRED,
         TCPSEC_ERR_UNSUPPORTED_KEY_TYPE, TCPSEC_ERR_NO_MEMORY);
  tcpsec_cert_chain_free(chain);
  return 0;
}
