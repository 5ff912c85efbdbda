/*
 * libFuzzer target: an established IKE SA fed arbitrary messages.
 *
 * A spoke and a hub establish an IKE SA with one Child SA in this process
 * (AES-GCM-16 and group 31, so that the set-up stays cheap). The first
 * input byte picks how the rest reaches the hub's IKE SA:
 *   mode 0  as is;
 *   mode 1  with the IKE SA's SPIs, flags and next message ID written over
 *           the first 24 bytes, so that parsing and the integrity check
 *           run;
 *   mode 2  as the inner payloads of a request that the spoke protects
 *           with its real keys, so that the inner parser and the exchange
 *           processing run. Byte 1 is the first payload type, byte 2 the
 *           exchange type.
 * Only mode 2 can change the hub's state, as the peer itself could. When
 * either side is no longer established, the pair is built again.
 *
 * Invariants beyond "no crash, no leak": modes 0 and 1 never change the
 * state of either IKE SA and never make the hub process a message; every
 * message the hub sends is a complete IKE message.
 *
 * The seed corpus (corpus/ike_established/) holds the three modes with
 * messages tcpsec built: a liveness check, a Child SA Delete, a Delete of
 * the IKE SA and inner payload chains.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_sa.h"

struct side {
  tcpsec_ike_sa *sa;
  uint8_t out[4096];
  size_t out_len;
  int pending;
};

struct fuzz_state {
  tcpsec_ctx *ctx;
  tcpsec_ike_responder *resp;
  uint64_t rng;
  struct side spoke, hub;
  tcpsec_ike_config spoke_cfg, hub_cfg;
};

static struct fuzz_state *st;

static int counter_random(void *user, uint8_t *buf, size_t len) {
  uint64_t *s = user;
  size_t i;

  for (i = 0; i < len; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = (uint8_t)(*s >> 56);
  }
  return 0;
}

/* Keep the last message each side sent; a real send would go on a wire. */
static int keep_send(void *user, tcpsec_ike_sa *sa, const uint8_t *msg,
                     size_t len, unsigned flags) {
  struct side *s = user;
  tcpsec_ike_message_header h;

  (void)sa;
  (void)flags;
  if (tcpsec_ike_message_peek(msg, len, &h) != 0 || len > sizeof(s->out))
    abort();
  memcpy(s->out, msg, len);
  s->out_len = len;
  s->pending = 1;
  return 0;
}

static void side_config(tcpsec_ike_config *cfg, const char *id, int hub) {
  static const uint8_t psk[] = "fuzzing key";

  tcpsec_ike_config_default(cfg);
  cfg->local_id.type = TCPSEC_IKE_ID_TYPE_FQDN;
  cfg->local_id.data = (const uint8_t *)id;
  cfg->local_id.len = strlen(id);
  cfg->psk = psk;
  cfg->psk_len = sizeof(psk) - 1;
  cfg->ike_proposals = "aes128gcm-prfsha256";
  cfg->esp_proposals = "aes128gcm";
  cfg->dh_groups[0] = TCPSEC_KE_CURVE25519;
  cfg->dh_group_count = 1;
  cfg->local.family = TCPSEC_IKE_FAMILY_IPV4;
  cfg->local.addr[0] = (uint8_t)(hub ? 203 : 198);
  cfg->remote.family = TCPSEC_IKE_FAMILY_IPV4;
  cfg->remote.addr[0] = (uint8_t)(hub ? 198 : 203);
}

static void move(struct side *from, struct side *to, tcpsec_ike_responder *r,
                 tcpsec_ike_config *to_cfg, tcpsec_ike_callbacks *to_cb) {
  if (!from->pending)
    abort();
  from->pending = 0;
  if (to->sa == NULL) {
    if (tcpsec_ike_responder_input(r, to_cfg, to_cb, from->out, from->out_len,
                                   1, &to->sa) != 0)
      abort();
    return;
  }
  if (tcpsec_ike_sa_input(to->sa, from->out, from->out_len, 1) != 0)
    abort();
}

static void establish(void) {
  tcpsec_ike_callbacks spoke_cb, hub_cb;

  tcpsec_ike_sa_free(st->spoke.sa);
  tcpsec_ike_sa_free(st->hub.sa);
  memset(&st->spoke, 0, sizeof(st->spoke));
  memset(&st->hub, 0, sizeof(st->hub));
  tcpsec_ike_callbacks_default(&spoke_cb);
  spoke_cb.send = keep_send;
  spoke_cb.user = &st->spoke;
  hub_cb = spoke_cb;
  hub_cb.user = &st->hub;
  if (tcpsec_ike_sa_new_initiator(st->ctx, &st->spoke_cfg, &spoke_cb,
                                  &st->spoke.sa) != 0 ||
      tcpsec_ike_sa_initiate(st->spoke.sa, 1) != 0)
    abort();
  move(&st->spoke, &st->hub, st->resp, &st->hub_cfg, &hub_cb);
  move(&st->hub, &st->spoke, NULL, NULL, NULL);
  move(&st->spoke, &st->hub, NULL, NULL, NULL);
  move(&st->hub, &st->spoke, NULL, NULL, NULL);
  if (tcpsec_ike_sa_state(st->spoke.sa) != TCPSEC_IKE_SA_ESTABLISHED ||
      tcpsec_ike_sa_state(st->hub.sa) != TCPSEC_IKE_SA_ESTABLISHED)
    abort();
}

static void fuzz_init(void) {
  tcpsec_ike_responder_config rc;
  tcpsec_ctx_config cfg;

  if (st != NULL)
    return;
  st = calloc(1, sizeof(*st));
  if (st == NULL)
    abort();
  tcpsec_ctx_config_default(&cfg);
  cfg.random = counter_random;
  cfg.random_user = &st->rng;
  if (tcpsec_ctx_new(&cfg, &st->ctx) != 0)
    abort();
  tcpsec_ike_responder_config_default(&rc);
  if (tcpsec_ike_responder_new(st->ctx, &rc, &st->resp) != 0)
    abort();
  side_config(&st->spoke_cfg, "spoke.example.net", 0);
  side_config(&st->hub_cfg, "hub.example.net", 1);
  establish();
}

/* Mode 2: the input as inner payloads, sealed with the spoke's AES-GCM key
 * in the layout of RFC 7296 section 3.14 (no padding is needed). */
static size_t seal_inner(const uint8_t *data, size_t size, uint8_t *out,
                         size_t cap) {
  tcpsec_ike_sa *spoke = st->spoke.sa;
  size_t inner = size - 2, sk_len = 4 + 8 + inner + 1 + 16;
  size_t len = TCPSEC_IKE_HEADER_LEN + sk_len;
  uint32_t mid = spoke->next_request_id;

  if (len > cap)
    return 0;
  memset(out, 0, len);
  memcpy(out, spoke->spi_i, 8);
  memcpy(out + 8, spoke->spi_r, 8);
  out[16] = TCPSEC_IKE_PT_SK;
  out[17] = TCPSEC_IKE_VERSION;
  out[18] = data[1];
  out[19] = TCPSEC_IKE_FLAG_INITIATOR;
  tcpsec_store_be32(out + 20, mid);
  tcpsec_store_be32(out + 24, (uint32_t)len);
  out[28] = data[0];
  tcpsec_store_be16(out + 30, (uint16_t)sk_len);
  memcpy(out + 28 + 4 + 8, data + 2, inner);
  if (tcpsec_ike_sk_seal(spoke->sk_out, out, len, TCPSEC_IKE_HEADER_LEN, 0,
                         NULL) != 0)
    return 0;
  /* The spoke "sent" this request, so it now expects the response. */
  spoke->next_request_id = mid + 1;
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t msg[70000];
  tcpsec_ike_sa_stats before, after;
  size_t len;
  int mode;

  fuzz_init();
  if (size < 1)
    return 0;
  mode = data[0] % 3;
  before.size = sizeof(before);
  (void)tcpsec_ike_sa_get_stats(st->hub.sa, &before);

  if (mode == 2 && size >= 3 && size - 3 < 60000) {
    len = seal_inner(data + 1, size - 1, msg, sizeof(msg));
    if (len > 0)
      (void)tcpsec_ike_sa_input(st->hub.sa, msg, len, 2);
  } else if (mode != 2) {
    len = size - 1 < sizeof(msg) ? size - 1 : sizeof(msg);
    memcpy(msg, data + 1, len);
    if (mode == 1 && len >= 24) {
      memcpy(msg, st->hub.sa->spi_i, 8);
      memcpy(msg + 8, st->hub.sa->spi_r, 8);
      msg[19] = (uint8_t)((msg[19] & TCPSEC_IKE_FLAG_RESPONSE) |
                          TCPSEC_IKE_FLAG_INITIATOR);
      tcpsec_store_be32(msg + 20, st->hub.sa->next_peer_id);
    }
    (void)tcpsec_ike_sa_input(st->hub.sa, msg, len, 2);
    after.size = sizeof(after);
    (void)tcpsec_ike_sa_get_stats(st->hub.sa, &after);
    if (after.messages_in != before.messages_in ||
        tcpsec_ike_sa_state(st->hub.sa) != TCPSEC_IKE_SA_ESTABLISHED)
      abort();
  }

  /* The hub's response, if any, goes back to the spoke. */
  if (st->hub.pending) {
    st->hub.pending = 0;
    (void)tcpsec_ike_sa_input(st->spoke.sa, st->hub.out, st->hub.out_len, 3);
  }
  if (tcpsec_ike_sa_state(st->spoke.sa) != TCPSEC_IKE_SA_ESTABLISHED ||
      tcpsec_ike_sa_state(st->hub.sa) != TCPSEC_IKE_SA_ESTABLISHED)
    establish();
  return 0;
}
