/*
 * What an IKE_SA_INIT request costs a responder before the peer has
 * authenticated: tcpsec_ike_responder_input() creates an IKE SA, computes
 * its key exchange and builds the response. The IKE SA is then freed.
 *
 * Three hub configurations are compared on the same request:
 *   - a PSK;
 *   - a certificate, key and trust anchor given as bytes, which every IKE
 *     SA parses again, checking the key with a test signature;
 *   - the same certificate in shared credentials (tcpsec_ike_credentials).
 *
 * The certificate is a self-signed ECDSA P-256 or RSA-2048 certificate made
 * here with Mbed TLS, so the program needs no files.
 *
 *   ike_bench [--smoke]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "tcpsec/ike.h"

#define PEM_MAX 8192

static const char psk[] = "benchmark pre-shared key of forty-two bytes!";
static const char spoke_name[] = "spoke.example.net";
static const char hub_name[] = "hub.example.net";

/* A certificate and its key as PEM text, lengths counting the NUL. */
typedef struct credentials_pem {
  const char *name;
  unsigned char cert[PEM_MAX];
  size_t cert_len;
  unsigned char key[PEM_MAX];
  size_t key_len;
} credentials_pem;

static double cpu_seconds(void) {
  struct timespec ts;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Make a key and a self-signed CA certificate for it. rsa_bits 0 makes an
 * ECDSA P-256 key. Returns 0 or an Mbed TLS error. */
static int make_credentials(mbedtls_ctr_drbg_context *drbg,
                            unsigned rsa_bits, credentials_pem *out) {
  mbedtls_x509write_cert crt;
  mbedtls_pk_context key;
  mbedtls_mpi serial;
  int rv;

  mbedtls_pk_init(&key);
  mbedtls_x509write_crt_init(&crt);
  mbedtls_mpi_init(&serial);
  if (rsa_bits > 0) {
    rv = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
    if (rv == 0)
      rv = mbedtls_rsa_gen_key(mbedtls_pk_rsa(key), mbedtls_ctr_drbg_random,
                               drbg, rsa_bits, 65537);
  } else {
    rv = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rv == 0)
      rv = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
                               mbedtls_ctr_drbg_random, drbg);
  }
  if (rv == 0)
    rv = mbedtls_mpi_lset(&serial, 1);
  if (rv == 0) {
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &key);
    rv = mbedtls_x509write_crt_set_subject_name(&crt, "O=tcpsec bench,CN=hub");
  }
  if (rv == 0)
    rv = mbedtls_x509write_crt_set_issuer_name(&crt, "O=tcpsec bench,CN=hub");
  if (rv == 0)
    rv = mbedtls_x509write_crt_set_serial(&crt, &serial);
  if (rv == 0)
    rv = mbedtls_x509write_crt_set_validity(&crt, "20200101000000",
                                            "20491231235959");
  if (rv == 0)
    rv = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, -1);
  if (rv == 0)
    rv = mbedtls_x509write_crt_pem(&crt, out->cert, sizeof(out->cert),
                                   mbedtls_ctr_drbg_random, drbg);
  if (rv == 0)
    rv = mbedtls_pk_write_key_pem(&key, out->key, sizeof(out->key));
  if (rv == 0) {
    out->cert_len = strlen((const char *)out->cert) + 1;
    out->key_len = strlen((const char *)out->key) + 1;
  }
  mbedtls_mpi_free(&serial);
  mbedtls_x509write_crt_free(&crt);
  mbedtls_pk_free(&key);
  return rv;
}

/* ---- IKE set-up ----------------------------------------------------------- */

typedef struct capture {
  uint8_t msg[4096];
  size_t len;
} capture;

static int keep_message(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                        size_t len, unsigned flags) {
  capture *c = user;

  (void)sa;
  (void)flags;
  if (c != NULL && len <= sizeof(c->msg)) {
    memcpy(c->msg, msg, len);
    c->len = len;
  }
  return 0;
}

static uint64_t wall_clock(void *user, tcpsec_ike_sa *sa) {
  (void)user;
  (void)sa;
  return (uint64_t)time(NULL);
}

static tcpsec_ike_traffic_selector ts_spoke, ts_hub;

static void set_ts(tcpsec_ike_traffic_selector *ts, uint8_t a, uint8_t b,
                   uint8_t c) {
  memset(ts, 0, sizeof(*ts));
  ts->family = TCPSEC_IKE_FAMILY_IPV4;
  ts->end_port = 65535;
  ts->start_addr[0] = a;
  ts->start_addr[1] = b;
  ts->start_addr[2] = c;
  ts->end_addr[0] = a;
  ts->end_addr[1] = b;
  ts->end_addr[2] = c;
  ts->end_addr[3] = 255;
}

static void set_endpoint(tcpsec_ike_endpoint *ep, uint8_t last) {
  memset(ep, 0, sizeof(*ep));
  ep->family = TCPSEC_IKE_FAMILY_IPV4;
  ep->port = 4500;
  ep->addr[0] = 192;
  ep->addr[1] = 0;
  ep->addr[2] = 2;
  ep->addr[3] = last;
}

static void base_config(tcpsec_ike_config *cfg, int hub) {
  tcpsec_ike_config_default(cfg);
  cfg->local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  cfg->local_id.data = (const uint8_t *)(hub ? hub_name : spoke_name);
  cfg->local_id.len = strlen(hub ? hub_name : spoke_name);
  cfg->psk = (const uint8_t *)psk;
  cfg->psk_len = sizeof(psk) - 1;
  cfg->local_ts = hub ? &ts_hub : &ts_spoke;
  cfg->local_ts_count = 1;
  cfg->remote_ts = hub ? &ts_spoke : &ts_hub;
  cfg->remote_ts_count = 1;
  set_endpoint(&cfg->local, hub ? 1 : 2);
  set_endpoint(&cfg->remote, hub ? 2 : 1);
}

/* Configure the hub to sign with the certificate and to verify the peer
 * against it. */
static void use_certificate(tcpsec_ike_config *cfg,
                            const credentials_pem *pem) {
  cfg->auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
  cfg->psk = NULL;
  cfg->psk_len = 0;
  cfg->cert_chain = pem->cert;
  cfg->cert_chain_len = pem->cert_len;
  cfg->private_key = pem->key;
  cfg->private_key_len = pem->key_len;
  cfg->trust_anchors = pem->cert;
  cfg->trust_anchors_len = pem->cert_len;
}

/* Capture the IKE_SA_INIT request of a spoke that uses the PSK. With `pem`
 * the spoke expects a signature from the hub, so the request carries
 * SIGNATURE_HASH_ALGORITHMS like a signing spoke's. */
static int make_request(tcpsec_ctx *ctx, const credentials_pem *pem,
                        capture *out) {
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  tcpsec_ike_sa *sa = NULL;
  int rv;

  base_config(&cfg, 0);
  if (pem != NULL) {
    cfg.remote_auth_method = TCPSEC_IKE_AUTH_SIGNATURE;
    cfg.trust_anchors = pem->cert;
    cfg.trust_anchors_len = pem->cert_len;
  }
  tcpsec_ike_callbacks_default(&cb);
  cb.send = keep_message;
  cb.user = out;
  cb.wall_clock = wall_clock;
  rv = tcpsec_ike_sa_new_initiator(ctx, &cfg, &cb, &sa);
  if (rv == 0)
    rv = tcpsec_ike_sa_initiate(sa, 1000);
  tcpsec_ike_sa_free(sa);
  return rv;
}

/* ---- measurement -------------------------------------------------------- */

typedef struct result {
  double per_second;
  int error;
} result;

/* Measure the IKE_SA_INIT requests handled per CPU second: the best of
 * `rounds` rounds of at least `min_seconds` each. */
static result measure(tcpsec_ike_responder *resp,
                      const tcpsec_ike_config *cfg, const capture *request,
                      unsigned rounds, double min_seconds) {
  tcpsec_ike_callbacks cb;
  result r = {0.0, 0};
  unsigned round;

  tcpsec_ike_callbacks_default(&cb);
  cb.send = keep_message;
  cb.wall_clock = wall_clock;
  for (round = 0; round < rounds; round++) {
    double start = cpu_seconds(), elapsed;
    unsigned long count = 0;

    do {
      tcpsec_ike_sa *sa = NULL;
      int rv = tcpsec_ike_responder_input(resp, cfg, &cb, request->msg,
                                          request->len, 1000, &sa);

      if (rv != 0 || sa == NULL) {
        r.error = rv != 0 ? rv : TCPSEC_ERR_INVALID_STATE;
        return r;
      }
      tcpsec_ike_sa_free(sa);
      count++;
      elapsed = cpu_seconds() - start;
    } while (elapsed < min_seconds);
    if ((double)count / elapsed > r.per_second)
      r.per_second = (double)count / elapsed;
  }
  return r;
}

static int print_row(const char *key, const char *hub, result r,
                     double psk_rate) {
  if (r.error != 0) {
    fprintf(stderr, "ike_bench: %s with %s failed: %s\n", key, hub,
            tcpsec_strerror(r.error));
    return 1;
  }
  printf("| %s | %s | %.0f | %.1f | %.2f |\n", key, hub, r.per_second,
         1e6 / r.per_second, r.per_second / psk_rate);
  return 0;
}

static int bench_key(tcpsec_ctx *ctx, tcpsec_ike_responder *resp,
                     const credentials_pem *pem, unsigned rounds,
                     double min_seconds) {
  tcpsec_ike_credentials *shared = NULL;
  tcpsec_ike_config psk_cfg, bytes_cfg, shared_cfg;
  capture psk_request, sig_request;
  result psk_r, bytes_r, shared_r;
  int failed = 0, rv;

  rv = make_request(ctx, NULL, &psk_request);
  if (rv == 0)
    rv = make_request(ctx, pem, &sig_request);
  if (rv != 0) {
    fprintf(stderr, "ike_bench: making the IKE_SA_INIT request failed: %s\n",
            tcpsec_strerror(rv));
    return 1;
  }
  base_config(&psk_cfg, 1);
  base_config(&bytes_cfg, 1);
  use_certificate(&bytes_cfg, pem);
  rv = tcpsec_ike_credentials_new(ctx, &bytes_cfg, &shared);
  if (rv != 0) {
    fprintf(stderr, "ike_bench: creating %s credentials failed: %s\n", pem->name,
            tcpsec_strerror(rv));
    return 1;
  }
  shared_cfg = bytes_cfg;
  shared_cfg.cert_chain = NULL;
  shared_cfg.cert_chain_len = 0;
  shared_cfg.private_key = NULL;
  shared_cfg.private_key_len = 0;
  shared_cfg.trust_anchors = NULL;
  shared_cfg.trust_anchors_len = 0;
  shared_cfg.credentials = shared;

  psk_r = measure(resp, &psk_cfg, &psk_request, rounds, min_seconds);
  bytes_r = measure(resp, &bytes_cfg, &sig_request, rounds, min_seconds);
  shared_r =
      measure(resp, &shared_cfg, &sig_request, rounds, min_seconds);
  failed |= print_row(pem->name, "PSK", psk_r, psk_r.per_second);
  failed |= print_row(pem->name, "certificate as bytes", bytes_r,
                      psk_r.per_second);
  failed |= print_row(pem->name, "shared credentials", shared_r,
                      psk_r.per_second);
  tcpsec_ike_credentials_free(shared);
  return failed;
}

int main(int argc, char **argv) {
  static credentials_pem ecdsa = {.name = "ECDSA P-256"};
  static credentials_pem rsa = {.name = "RSA-2048"};
  static const char personal[] = "tcpsec ike_bench";
  tcpsec_ike_responder_config resp_cfg;
  tcpsec_ike_responder *resp = NULL;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  tcpsec_ctx *ctx = NULL;
  int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
  unsigned rounds = smoke ? 1 : 5;
  double min_seconds = smoke ? 0.0 : 0.5;
  int failed = 0, rv;

  set_ts(&ts_spoke, 10, 1, 0);
  set_ts(&ts_hub, 10, 2, 0);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  rv = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                             (const unsigned char *)personal,
                             sizeof(personal) - 1);
  if (rv == 0)
    rv = make_credentials(&drbg, 0, &ecdsa);
  if (rv == 0 && !smoke)
    rv = make_credentials(&drbg, 2048, &rsa);
  if (rv != 0) {
    fprintf(stderr, "ike_bench: making a test certificate failed: -0x%04x\n",
            (unsigned)-rv);
    return 1;
  }

  rv = tcpsec_ctx_new(NULL, &ctx);
  if (rv == 0) {
    tcpsec_ike_responder_config_default(&resp_cfg);
    resp_cfg.cookie_threshold = UINT32_MAX; /* measure without cookies */
    rv = tcpsec_ike_responder_new(ctx, &resp_cfg, &resp);
  }
  if (rv != 0) {
    fprintf(stderr, "ike_bench: set-up failed: %s\n", tcpsec_strerror(rv));
    return 1;
  }

  printf("IKE_SA_INIT requests handled by a responder with the default "
         "proposals (key exchange group 20),\nper CPU second, best of %u "
         "rounds\n\n",
         rounds);
  printf("| hub key | hub authentication | requests/s | us/request | vs PSK "
         "|\n|---|---|---|---|---|\n");
  failed |= bench_key(ctx, resp, &ecdsa, rounds, min_seconds);
  if (!smoke)
    failed |= bench_key(ctx, resp, &rsa, rounds, min_seconds);

  tcpsec_ike_responder_free(resp);
  tcpsec_ctx_free(ctx);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  return failed;
}
