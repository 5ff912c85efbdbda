/*
 * libFuzzer target: a responder fed arbitrary first messages.
 *
 * Each input goes to tcpsec_ike_responder_input() as an IKE_SA_INIT
 * request for which no IKE SA exists. The first input byte picks the
 * responder's mood (bit 0: require a cookie; bit 1: TCP), the rest is the
 * message. When the input creates an IKE SA, the same bytes, then the
 * bytes with the Response flag set, are also fed to that IKE SA, and its
 * timers are run to the end, so the half-open paths are covered too.
 *
 * Invariants beyond "no crash, no leak": an input that creates no IKE SA
 * leaves the half-open count unchanged. Every message the responder sends
 * is a well-formed IKE response with the Response flag set.
 *
 * The seed corpus (corpus/ike_responder/) holds IKE_SA_INIT requests that
 * tcpsec's initiator built, with and without a cookie.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_sa.h"

struct fuzz_state {
  tcpsec_ctx *ctx;
  tcpsec_ike_responder *cookies_always;
  tcpsec_ike_responder *cookies_never;
  uint64_t rng;
};

static int counter_random(void *user, uint8_t *buf, size_t len) {
  uint64_t *s = user;
  size_t i;

  for (i = 0; i < len; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = (uint8_t)(*s >> 56);
  }
  return 0;
}

/* Every reply must be a complete response message. */
static int check_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                      size_t len, unsigned flags) {
  tcpsec_ike_message_header h;

  (void)user;
  (void)sa;
  (void)flags;
  if (tcpsec_ike_message_peek(msg, len, &h) != 0 ||
      !(h.flags & TCPSEC_IKE_FLAG_RESPONSE))
    abort();
  return 0;
}

static struct fuzz_state *fuzz_init(void) {
  static struct fuzz_state *st;
  tcpsec_ike_responder_config rc;
  tcpsec_ctx_config cfg;

  if (st != NULL)
    return st;
  st = calloc(1, sizeof(*st));
  if (st == NULL)
    abort();
  tcpsec_ctx_config_default(&cfg);
  cfg.random = counter_random;
  cfg.random_user = &st->rng;
  if (tcpsec_ctx_new(&cfg, &st->ctx) != 0)
    abort();
  tcpsec_ike_responder_config_default(&rc);
  rc.cookie_threshold = 0;
  if (tcpsec_ike_responder_new(st->ctx, &rc, &st->cookies_always) != 0)
    abort();
  rc.cookie_threshold = 1000;
  if (tcpsec_ike_responder_new(st->ctx, &rc, &st->cookies_never) != 0)
    abort();
  return st;
}

static void hub_config(tcpsec_ike_config *cfg, int tcp) {
  static const uint8_t psk[] = "fuzzing key";
  static const char id[] = "hub.example.net";

  tcpsec_ike_config_default(cfg);
  cfg->local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  cfg->local_id.data = (const uint8_t *)id;
  cfg->local_id.len = sizeof(id) - 1;
  cfg->psk = psk;
  cfg->psk_len = sizeof(psk) - 1;
  /* Every group, so that any KE payload group gets as far as it can. */
  cfg->dh_groups[0] = TCPSEC_KE_ECP_384;
  cfg->dh_groups[1] = TCPSEC_KE_ECP_256;
  cfg->dh_groups[2] = TCPSEC_KE_ECP_521;
  cfg->dh_groups[3] = TCPSEC_KE_CURVE25519;
  cfg->dh_groups[4] = TCPSEC_KE_MODP_2048;
  cfg->dh_group_count = 5;
  cfg->transport =
      (uint8_t)(tcp ? TCPSEC_IKE_TRANSPORT_TCP : TCPSEC_IKE_TRANSPORT_UDP);
  cfg->local.family = TCPSEC_IKE_FAMILY_IPV4;
  cfg->local.port = 500;
  cfg->remote.family = TCPSEC_IKE_FAMILY_IPV4;
  cfg->remote.port = 500;
  cfg->remote.addr[0] = 198;
}

/* Drive a created IKE SA with the same bytes and a response-flagged copy,
 * then run its timers until it gives up. */
static void exercise_sa(tcpsec_ike_sa *sa, const uint8_t *msg, size_t len) {
  uint8_t *copy;
  uint64_t t;
  int i;

  (void)tcpsec_ike_sa_input(sa, msg, len, 2);
  copy = malloc(len);
  if (copy == NULL)
    abort();
  memcpy(copy, msg, len);
  copy[19] |= TCPSEC_IKE_FLAG_RESPONSE;
  (void)tcpsec_ike_sa_input(sa, copy, len, 3);
  free(copy);
  for (i = 0; i < 64; i++) {
    t = tcpsec_ike_sa_next_timeout(sa);
    if (t == TCPSEC_IKE_NO_TIMEOUT)
      break;
    (void)tcpsec_ike_sa_handle_timeout(sa, t);
  }
  if (tcpsec_ike_sa_state(sa) != TCPSEC_IKE_SA_FAILED)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_state *st = fuzz_init();
  tcpsec_ike_responder *resp;
  tcpsec_ike_callbacks cb;
  tcpsec_ike_config cfg;
  tcpsec_ike_sa *sa = NULL;
  uint32_t before;
  int rv;

  if (size < 1)
    return 0;
  resp = (data[0] & 1) ? st->cookies_always : st->cookies_never;
  hub_config(&cfg, data[0] & 2);
  tcpsec_ike_callbacks_default(&cb);
  cb.send = check_send;
  before = tcpsec_ike_responder_half_open(resp);

  rv = tcpsec_ike_responder_input(resp, &cfg, &cb, data + 1, size - 1, 1, &sa);
  if (rv != 0) {
    if (sa != NULL || tcpsec_ike_responder_half_open(resp) != before)
      abort();
    return 0;
  }
  if (sa == NULL || tcpsec_ike_responder_half_open(resp) != before + 1)
    abort();
  exercise_sa(sa, data + 1, size - 1);
  tcpsec_ike_sa_free(sa);
  if (tcpsec_ike_responder_half_open(resp) != before)
    abort();
  return 0;
}
