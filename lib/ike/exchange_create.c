/*
 * CREATE_CHILD_SA: additional Child SAs, Child SA rekeys and IKE SA rekeys
 * (RFC 7296 sections 1.3, 2.8, 2.17, 2.18 and 2.25).
 *
 *   new Child SA:  SK {SA, Ni, [KEi,] TSi, TSr}
 *                  SK {SA, Nr, [KEr,] TSi, TSr}
 *   Child rekey:   SK {N(REKEY_SA), SA, Ni, [KEi,] TSi, TSr}
 *                  SK {SA, Nr, [KEr,] TSi, TSr}
 *   IKE SA rekey:  SK {SA, Ni, KEi}
 *                  SK {SA, Nr, KEr}
 *
 * Child SA rekeys are make-before-break. The new pair is reported first,
 * with replaces_spi_in naming the old one. The old pair keeps receiving
 * until the initiator of the rekey deletes it. When that initiator is the
 * peer and it never does, we delete it after rekey_grace_ms.
 *
 * An IKE SA rekey keeps the tcpsec_ike_sa handle. The fields of the IKE SA
 * hold the current generation (SPIs, keys, message IDs); the generation it
 * replaced moves into sa->gens, where it waits for its Delete exchange and
 * still sends its cached response to a retransmitted request. Messages for an
 * old generation are processed with that generation swapped into the
 * IKE SA's fields (tcpsec_ike_gen_swap), so the ordinary input path serves
 * both.
 *
 * Simultaneous rekeys (sections 2.8.1 and 2.8.2): both ends answer the
 * other's request as usual. When both exchanges are over, the exchange with
 * the lowest of the four nonces (compared octet by octet, a shorter prefix
 * being lower) made the redundant SA, and its initiator deletes it; the
 * initiator of the other exchange deletes the old SA. A request to rekey
 * an SA that is being deleted gets TEMPORARY_FAILURE, one for an SA that
 * is gone CHILD_SA_NOT_FOUND, and a Child SA rekey during an IKE SA rekey
 * (or the reverse) TEMPORARY_FAILURE (section 2.25).
 */
#include "ike/ike_sa.h"

#include <string.h>

/* Delay before a request refused with TEMPORARY_FAILURE is tried again:
 * a fixed part and a random part, so that the two ends do not collide
 * again (section 2.25). */
#define IKE_RETRY_BASE_MS 1000
#define IKE_RETRY_RANDOM_MS 2000

/* ---- helpers ------------------------------------------------------------ */

/* Octet-by-octet comparison of section 2.8.1: negative when a < b. */
static int nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b,
                     size_t b_len) {
  size_t n = TCPSEC_MIN(a_len, b_len);
  int c = memcmp(a, b, n);

  if (c != 0)
    return c;
  return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

/* The lower of an exchange's two nonces. */
static void min_nonce(const uint8_t *a, size_t a_len, const uint8_t *b,
                      size_t b_len, uint8_t *out, size_t *out_len) {
  if (nonce_cmp(a, a_len, b, b_len) <= 0) {
    memcpy(out, a, a_len);
    *out_len = a_len;
  } else {
    memcpy(out, b, b_len);
    *out_len = b_len;
  }
}

static uint64_t retry_delay(tcpsec_ike_sa *sa) {
  uint8_t b[2];

  if (tcpsec_random(sa->ctx, b, sizeof(b)) != 0)
    return IKE_RETRY_BASE_MS;
  return IKE_RETRY_BASE_MS + tcpsec_load_be16(b) % IKE_RETRY_RANDOM_MS;
}

void tcpsec_ike_create_clear(tcpsec_ike_sa *sa) {
  tcpsec_ke_free(sa->create.ke);
  tcpsec_zeroize(&sa->create, sizeof(sa->create));
  sa->create.kind = IKE_REQ_NONE;
}

static const char *kind_name(ike_request_kind kind) {
  switch (kind) {
  case IKE_REQ_REKEY_IKE:
    return "IKE SA rekey";
  case IKE_REQ_REKEY_CHILD:
    return "Child SA rekey";
  default:
    return "new Child SA";
  }
}

/* Plan the next IKE SA rekey from now (soft lifetime with jitter). */
void tcpsec_ike_plan_ike_rekey(tcpsec_ike_sa *sa, uint64_t now_ms) {
  const tcpsec_ike_config *cfg = &sa->cfg.pub;
  uint64_t soft = cfg->ike_rekey_ms != 0 ? cfg->ike_rekey_ms
                                         : cfg->ike_lifetime_ms / 10 * 9;

  sa->ike_rekey_ms =
      cfg->rekey && soft != 0 ? now_ms + tcpsec_ike_jitter(sa, soft) : 0;
}

/* ---- generations -------------------------------------------------------- */

#define SWAP(type, a, b)                                                       \
  do {                                                                         \
    type swap_tmp_ = (a);                                                      \
    (a) = (b);                                                                 \
    (b) = swap_tmp_;                                                           \
  } while (0)

void tcpsec_ike_gen_swap(tcpsec_ike_sa *sa, ike_gen *g) {
  uint8_t spi[TCPSEC_IKE_SPI_LEN];
  uint8_t sk_d[IKE_PRF_MAX];

  SWAP(uint8_t, sa->initiator, g->initiator);
  memcpy(spi, sa->spi_i, sizeof(spi));
  memcpy(sa->spi_i, g->spi_i, sizeof(spi));
  memcpy(g->spi_i, spi, sizeof(spi));
  memcpy(spi, sa->spi_r, sizeof(spi));
  memcpy(sa->spi_r, g->spi_r, sizeof(spi));
  memcpy(g->spi_r, spi, sizeof(spi));
  SWAP(tcpsec_ike_sk_cipher *, sa->sk_in, g->sk_in);
  SWAP(tcpsec_ike_sk_cipher *, sa->sk_out, g->sk_out);
  SWAP(uint32_t, sa->next_request_id, g->next_request_id);
  SWAP(uint32_t, sa->next_peer_id, g->next_peer_id);
  SWAP(ike_request, sa->req, g->req);
  SWAP(ike_response_cache, sa->cache, g->cache);
  SWAP(ike_suite, sa->suite, g->suite);
  SWAP(size_t, sa->prf_len, g->prf_len);
  memcpy(sk_d, sa->sk_d, sizeof(sk_d));
  memcpy(sa->sk_d, g->sk_d, sizeof(sk_d));
  memcpy(g->sk_d, sk_d, sizeof(sk_d));
  tcpsec_zeroize(sk_d, sizeof(sk_d));
}

ike_gen *tcpsec_ike_gen_find(tcpsec_ike_sa *sa, const uint8_t spi_i[8],
                             const uint8_t spi_r[8]) {
  size_t i;

  for (i = 0; i < IKE_GEN_MAX; i++) {
    ike_gen *g = &sa->gens[i];

    if (g->used && memcmp(g->spi_i, spi_i, TCPSEC_IKE_SPI_LEN) == 0 &&
        (spi_r == NULL || memcmp(g->spi_r, spi_r, TCPSEC_IKE_SPI_LEN) == 0))
      return g;
  }
  return NULL;
}

void tcpsec_ike_gen_free(tcpsec_ike_sa *sa, ike_gen *g) {
  (void)sa;
  if (!g->used)
    return;
  tcpsec_ike_sk_cipher_free(g->sk_in);
  tcpsec_ike_sk_cipher_free(g->sk_out);
  tcpsec_buf_free(&g->req.bytes);
  tcpsec_buf_free(&g->cache.request);
  tcpsec_buf_free(&g->cache.response);
  tcpsec_zeroize(g, sizeof(*g));
}

void tcpsec_ike_gens_free(tcpsec_ike_sa *sa) {
  size_t i;

  for (i = 0; i < IKE_GEN_MAX; i++)
    tcpsec_ike_gen_free(sa, &sa->gens[i]);
  tcpsec_ike_gen_free(sa, &sa->peer_gen);
}

/* A free slot for an old generation; the oldest one is dropped when all
 * are taken. */
static ike_gen *gen_slot(tcpsec_ike_sa *sa) {
  ike_gen *oldest = &sa->gens[0];
  size_t i;

  for (i = 0; i < IKE_GEN_MAX; i++) {
    if (!sa->gens[i].used)
      return &sa->gens[i];
    if (sa->gens[i].drop_ms < oldest->drop_ms)
      oldest = &sa->gens[i];
  }
  tcpsec_ike_gen_free(sa, oldest);
  return oldest;
}

/* Fresh buffers for a generation's request and response cache. */
static void gen_init_bufs(tcpsec_ike_sa *sa, ike_gen *g) {
  tcpsec_buf_init(&g->req.bytes, sa->ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&g->cache.request, sa->ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&g->cache.response, sa->ctx, IKE_MESSAGE_MAX);
  g->req.kind = IKE_REQ_NONE;
  g->req.next_send_ms = TCPSEC_IKE_NO_TIMEOUT;
  g->req.deadline_ms = TCPSEC_IKE_NO_TIMEOUT;
}

/*
 * Make `next` the current generation. The current one moves into an old
 * generation slot: we delete it (a Delete request is queued there) when
 * `we_delete`, else it waits for the peer's Delete. Child SAs stay with the
 * IKE SA, so they move to the new generation.
 */
static ike_gen *gen_switch(tcpsec_ike_sa *sa, ike_gen *next, int we_delete,
                           uint64_t now_ms) {
  uint8_t old_i[TCPSEC_IKE_SPI_LEN], old_r[TCPSEC_IKE_SPI_LEN];
  char spi_i[20], spi_r[20];
  ike_gen *old = gen_slot(sa);

  memcpy(old_i, sa->spi_i, sizeof(old_i));
  memcpy(old_r, sa->spi_r, sizeof(old_r));
  /* Current -> old slot, next -> current. */
  *old = *next;
  tcpsec_ike_gen_swap(sa, old);
  memset(next, 0, sizeof(*next));
  old->used = 1;
  old->done = 0;
  old->delete_queued = (uint8_t)we_delete;
  old->drop_ms = now_ms + tcpsec_ike_response_budget(sa);

  /* The new IKE SA starts its message IDs at 0 (section 2.18). */
  sa->next_request_id = 0;
  sa->next_peer_id = 0;
  sa->cache.valid = 0;
  tcpsec_ike_frag_reasm_free(sa->reasm);
  sa->reasm = NULL;
  sa->last_peer_ms = now_ms;
  sa->established_ms = now_ms;
  sa->expires_ms =
      sa->cfg.pub.ike_lifetime_ms != 0 ? now_ms + sa->cfg.pub.ike_lifetime_ms
                                       : 0;
  tcpsec_ike_plan_ike_rekey(sa, now_ms);
  sa->stats.ike_rekeys++;

  tcpsec_ike_spi_format(sa->spi_i, spi_i, sizeof(spi_i));
  tcpsec_ike_spi_format(sa->spi_r, spi_r, sizeof(spi_r));
  tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
             "IKE SA rekeyed: now %s/%s (encr %u/%u prf %u integ %u group "
             "%u) with %zu Child SA(s); the old IKE SA %s",
             spi_i, spi_r, sa->suite.encr, sa->suite.key_bits, sa->suite.prf,
             sa->suite.integ, sa->suite.ke, sa->child_count,
             we_delete ? "is deleted now" : "waits for the peer's Delete");
  if (sa->cb.ike_sa_rekeyed != NULL) {
    sa->in_callback++;
    sa->cb.ike_sa_rekeyed(sa->cb.user, sa, old_i, old_r);
    sa->in_callback--;
  }
  return old;
}

/* Report the SPIs of an IKE SA that a simultaneous rekey made redundant:
 * its Delete exchange runs in this handle too, so the caller must route
 * its messages here. */
static void report_redundant(tcpsec_ike_sa *sa, const ike_gen *g) {
  if (sa->cb.ike_sa_rekeyed == NULL)
    return;
  sa->in_callback++;
  sa->cb.ike_sa_rekeyed(sa->cb.user, sa, g->spi_i, g->spi_r);
  sa->in_callback--;
}

/* Make a new IKE SA generation from a completed rekey exchange: its SPIs,
 * suite, keys (section 2.18) and initiator flag. The current generation is
 * unchanged. */
static int gen_make(tcpsec_ike_sa *sa, ike_gen *out, const ike_suite *suite,
                    int initiator, const uint8_t spi_i[8],
                    const uint8_t spi_r[8], tcpsec_ke *ke,
                    const tcpsec_ike_ke *peer_ke, const uint8_t *ni,
                    size_t ni_len, const uint8_t *nr, size_t nr_len) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(suite->ke);
  uint8_t gir[TCPSEC_KE_MAX_SECRET_LEN];
  uint8_t old_sk_d[IKE_PRF_MAX];
  uint16_t old_prf = sa->suite.prf;
  size_t old_prf_len = sa->prf_len;
  int rv;

  if (info == NULL)
    return TCPSEC_ERR_INTERNAL;
  rv = tcpsec_ke_compute(ke, peer_ke->data, peer_ke->len, gir,
                         info->secret_len);
  if (rv != 0)
    return rv;
  memcpy(old_sk_d, sa->sk_d, sizeof(old_sk_d));

  /* Derive into the IKE SA's fields with the new identity swapped in, then
   * swap back: `out` receives the new generation. */
  memset(out, 0, sizeof(*out));
  out->initiator = (uint8_t)initiator;
  memcpy(out->spi_i, spi_i, TCPSEC_IKE_SPI_LEN);
  memcpy(out->spi_r, spi_r, TCPSEC_IKE_SPI_LEN);
  out->suite = *suite;
  gen_init_bufs(sa, out);
  tcpsec_ike_gen_swap(sa, out);
  rv = tcpsec_ike_derive_rekey_keys(sa, old_prf, old_sk_d, old_prf_len, gir,
                                    info->secret_len, ni, ni_len, nr, nr_len);
  tcpsec_ike_gen_swap(sa, out);
  out->used = 1;
  tcpsec_zeroize(gir, sizeof(gir));
  tcpsec_zeroize(old_sk_d, sizeof(old_sk_d));
  if (rv != 0)
    tcpsec_ike_gen_free(sa, out);
  return rv;
}

/* ---- initiator: requests ------------------------------------------------ */

/* The PFS group of our KEi: the IKE SA's own group when it is one of our
 * PFS groups, since the peer accepted it already and some peers (Libreswan)
 * expect it, else our first PFS group; 0 without PFS. */
static uint16_t pfs_group_for(tcpsec_ike_sa *sa) {
  if (tcpsec_ike_pfs_first(&sa->cfg) == 0)
    return 0;
  if (tcpsec_ike_pfs_allowed(&sa->cfg, sa->suite.ke))
    return sa->suite.ke;
  return tcpsec_ike_pfs_first(&sa->cfg);
}

static ike_child *child_to_rekey(tcpsec_ike_sa *sa) {
  size_t i;

  for (i = 0; i < sa->child_count; i++)
    if (sa->children[i].rekey_queued)
      return &sa->children[i];
  return NULL;
}

/* Key exchange and nonce of our request. */
static int create_material(tcpsec_ike_sa *sa, uint16_t group,
                           tcpsec_ike_builder *b) {
  uint8_t pub[TCPSEC_KE_MAX_PUBLIC_LEN];
  const tcpsec_ke_info *info;
  int rv;

  rv = tcpsec_random(sa->ctx, sa->create.nonce, IKE_NONCE_LEN);
  if (rv != 0)
    return rv;
  tcpsec_ike_builder_add_nonce(b, sa->create.nonce, IKE_NONCE_LEN);
  sa->create.ke_group = group;
  if (group == 0)
    return 0;
  info = tcpsec_ke_lookup(group);
  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  rv = tcpsec_ke_new(sa->ctx, group, &sa->create.ke);
  if (rv == 0)
    rv = tcpsec_ke_public(sa->create.ke, pub, info->public_len);
  if (rv == 0)
    tcpsec_ike_builder_add_ke(b, group, pub, info->public_len);
  return rv;
}

/* SA, Ni, [KEi], TSi, TSr of a Child SA request. */
static int create_child_payloads(tcpsec_ike_sa *sa, tcpsec_ike_builder *b,
                                 uint16_t group) {
  ike_offer *offer;
  int rv;

  rv = tcpsec_ike_cb_alloc_spi(sa, &sa->create.spi_in);
  if (rv != 0)
    return rv;
  offer = tcpsec_malloc(sa->ctx, sizeof(*offer));
  if (offer == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  tcpsec_ike_offer_esp_pfs(&sa->cfg, sa->create.spi_in, group, offer);
  tcpsec_ike_builder_add_sa(b, offer->proposals, offer->count);
  tcpsec_free(sa->ctx, offer);
  rv = create_material(sa, group, b);
  tcpsec_ike_add_selectors(b, TCPSEC_IKE_PT_TSI, sa->create.tsi,
                           sa->create.count_i);
  tcpsec_ike_add_selectors(b, TCPSEC_IKE_PT_TSR, sa->create.tsr,
                           sa->create.count_r);
  return rv;
}

static int create_ike_payloads(tcpsec_ike_sa *sa, tcpsec_ike_builder *b) {
  ike_offer *offer;
  int rv;

  do {
    rv = tcpsec_random(sa->ctx, sa->create.new_spi, TCPSEC_IKE_SPI_LEN);
    if (rv != 0)
      return rv;
  } while (tcpsec_load_be64(sa->create.new_spi) == 0);
  offer = tcpsec_malloc(sa->ctx, sizeof(*offer));
  if (offer == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  tcpsec_ike_offer_ike_rekey(&sa->cfg, sa->suite.ke, sa->create.new_spi,
                             offer);
  tcpsec_ike_builder_add_sa(b, offer->proposals, offer->count);
  tcpsec_free(sa->ctx, offer);
  /* Section 2.18: an IKE SA rekey always has a key exchange. */
  return create_material(sa, sa->suite.ke, b);
}

int tcpsec_ike_create_start(tcpsec_ike_sa *sa, ike_request_kind kind,
                            uint64_t now_ms) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  ike_child *child = NULL;
  uint8_t spi[4];
  uint16_t group;
  int rv;

  tcpsec_ike_create_clear(sa);
  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_CREATE_CHILD_SA, 0,
                        sa->next_request_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  sa->create.kind = kind;

  if (kind == IKE_REQ_REKEY_IKE) {
    sa->ike_rekey_queued = 0;
    rv = create_ike_payloads(sa, &b);
  } else if (kind == IKE_REQ_REKEY_CHILD) {
    child = child_to_rekey(sa);
    if (child == NULL) {
      tcpsec_ike_builder_free(&b);
      tcpsec_ike_create_clear(sa);
      return 0;
    }
    child->rekey_queued = 0;
    child->rekeying = 1;
    sa->create.rekey_spi_in = child->spi_in;
    memcpy(sa->create.tsi, child->local_ts,
           child->local_ts_count * sizeof(child->local_ts[0]));
    memcpy(sa->create.tsr, child->remote_ts,
           child->remote_ts_count * sizeof(child->remote_ts[0]));
    sa->create.count_i = child->local_ts_count;
    sa->create.count_r = child->remote_ts_count;
    /* REKEY_SA names the pair by the SPI we receive on (section 3.10.1). */
    tcpsec_store_be32(spi, child->spi_in);
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_ESP, spi, 4,
                                  TCPSEC_IKE_N_REKEY_SA, NULL, 0);
    group = child->pfs_group != 0 ? child->pfs_group : pfs_group_for(sa);
    rv = create_child_payloads(sa, &b, group);
  } else {
    ike_create_queued *q = &sa->create_queue[0];

    memcpy(sa->create.tsi, q->tsi, sizeof(q->tsi));
    memcpy(sa->create.tsr, q->tsr, sizeof(q->tsr));
    sa->create.count_i = q->count_i;
    sa->create.count_r = q->count_r;
    memmove(sa->create_queue, sa->create_queue + 1,
            (--sa->create_queue_count) * sizeof(*q));
    rv = create_child_payloads(sa, &b, pfs_group_for(sa));
  }
  if (rv == 0)
    rv = tcpsec_ike_send_request(sa, &b, kind, sa->create.rekey_spi_in,
                                 now_ms);
  else
    tcpsec_ike_builder_free(&b);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "%s request could not be made: %s; trying again later",
               kind_name(kind), tcpsec_strerror(rv));
    if (child != NULL) {
      child->rekeying = 0;
      child->rekey_ms = now_ms + retry_delay(sa);
    } else if (kind == IKE_REQ_REKEY_IKE) {
      sa->ike_rekey_ms = now_ms + retry_delay(sa);
    }
    tcpsec_ike_create_clear(sa);
    return rv;
  }
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG, "%s started%s", kind_name(kind),
             sa->create.ke_group != 0 ? " with a key exchange" : "");
  return 0;
}

/* ---- responder ---------------------------------------------------------- */

static int reply_error(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                       const uint8_t *data, size_t len, uint16_t type,
                       uint16_t group, const char *why) {
  const tcpsec_ike_payload *rekey =
      tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_REKEY_SA);
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  uint8_t g[2];

  sa->stats.create_child_refused++;
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
             "CREATE_CHILD_SA request #%u refused with %s: %s",
             msg->header.message_id, tcpsec_ike_notify_name(type), why);
  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_CREATE_CHILD_SA, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  if (type == TCPSEC_IKE_N_INVALID_KE_PAYLOAD) {
    tcpsec_store_be16(g, group);
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0, type, g,
                                  sizeof(g));
  } else if (type == TCPSEC_IKE_N_CHILD_SA_NOT_FOUND && rekey != NULL &&
             rekey->u.notify.spi_size == 4) {
    /* It names the SA that was not found (section 3.10.1). */
    tcpsec_ike_builder_add_notify(&b, rekey->u.notify.protocol,
                                  rekey->u.notify.spi, 4, type, NULL, 0);
  } else {
    tcpsec_ike_builder_add_notify(&b, TCPSEC_IKE_PROTO_NONE, NULL, 0, type,
                                  NULL, 0);
  }
  return tcpsec_ike_send_response(sa, &b, data, len);
}

/* Required payload missing: INVALID_SYNTAX ends the IKE SA (2.21.3). */
static int reply_syntax(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                        const uint8_t *data, size_t len, const char *what) {
  tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
             "CREATE_CHILD_SA request #%u lacks %s; responding "
             "INVALID_SYNTAX and deleting the IKE SA",
             msg->header.message_id, what);
  (void)tcpsec_ike_reply_notify(sa, msg, data, len,
                                TCPSEC_IKE_N_INVALID_SYNTAX, NULL, 0);
  tcpsec_ike_sa_set_deleted(sa, TCPSEC_ERR_INVALID_SYNTAX);
  return TCPSEC_ERR_INVALID_SYNTAX;
}

/* Our key exchange for a response: public value into `pub`, g^ir into
 * `gir`. */
static int respond_ke(tcpsec_ike_sa *sa, uint16_t group,
                      const tcpsec_ike_ke *peer, tcpsec_ke **ke, uint8_t *pub,
                      size_t *pub_len, uint8_t *gir, size_t *gir_len) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(group);
  int rv;

  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  rv = tcpsec_ke_new(sa->ctx, group, ke);
  if (rv == 0)
    rv = tcpsec_ke_public(*ke, pub, info->public_len);
  if (rv == 0 && gir != NULL)
    rv = tcpsec_ke_compute(*ke, peer->data, peer->len, gir, info->secret_len);
  *pub_len = info->public_len;
  if (gir_len != NULL)
    *gir_len = info->secret_len;
  return rv;
}

static int respond_ike_rekey(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                             const uint8_t *data, size_t len,
                             const tcpsec_ike_payload *sa_p,
                             const tcpsec_ike_opaque *ni, uint64_t now_ms) {
  const tcpsec_ike_payload *ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  uint8_t pub[TCPSEC_KE_MAX_PUBLIC_LEN], nr[IKE_NONCE_LEN];
  uint8_t new_spi[TCPSEC_IKE_SPI_LEN];
  tcpsec_ike_transform t[8];
  tcpsec_ike_proposal p;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  tcpsec_ke *ke = NULL;
  ike_gen next;
  ike_suite suite;
  size_t pub_len = 0;
  int index, rv;

  if (ke_p == NULL)
    return reply_syntax(sa, msg, data, len, "the KE payload of an IKE SA rekey");
  /* Section 2.25: no IKE SA rekey while we create, rekey or delete a
   * Child SA, and only one rekey of ours or the peer's at a time. */
  if (sa->create.kind == IKE_REQ_REKEY_CHILD ||
      sa->create.kind == IKE_REQ_CREATE_CHILD ||
      sa->req.kind == IKE_REQ_DELETE_CHILD || sa->peer_gen.used ||
      sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_TEMPORARY_FAILURE, 0,
                       "a Child SA exchange or another rekey is under way");
  index = tcpsec_ike_select_ike_rekey(&sa->cfg, &sa_p->u.sa, ke_p->u.ke.group,
                                      &suite);
  if (index < 0)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN, 0,
                       "no acceptable IKE proposal");
  if (suite.ke != ke_p->u.ke.group)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_INVALID_KE_PAYLOAD,
                       suite.ke, "the KEi group is not the chosen one");

  rv = tcpsec_random(sa->ctx, nr, sizeof(nr));
  while (rv == 0) {
    rv = tcpsec_random(sa->ctx, new_spi, sizeof(new_spi));
    if (tcpsec_load_be64(new_spi) != 0)
      break;
  }
  if (rv == 0)
    rv = respond_ke(sa, suite.ke, &ke_p->u.ke, &ke, pub, &pub_len, NULL, NULL);
  if (rv == 0)
    rv = gen_make(sa, &next, &suite, 0, sa_p->u.sa.proposals[index].spi,
                  new_spi, ke, &ke_p->u.ke, ni->data, ni->len, nr, sizeof(nr));
  tcpsec_ke_free(ke);
  if (rv != 0)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN, 0,
                       tcpsec_strerror(rv));

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_CREATE_CHILD_SA, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_suite_proposal(&suite, sa_p->u.sa.proposals[index].number, &p, t);
  p.spi_size = TCPSEC_IKE_SPI_LEN;
  memcpy(p.spi, new_spi, TCPSEC_IKE_SPI_LEN);
  tcpsec_ike_builder_add_sa(&b, &p, 1);
  tcpsec_ike_builder_add_nonce(&b, nr, sizeof(nr));
  tcpsec_ike_builder_add_ke(&b, suite.ke, pub, pub_len);
  rv = tcpsec_ike_send_response(sa, &b, data, len);
  if (rv != 0) {
    tcpsec_ike_gen_free(sa, &next);
    return rv;
  }

  if (sa->create.kind == IKE_REQ_REKEY_IKE) {
    /* Simultaneous IKE SA rekey (section 2.8.2): keep the peer's new IKE
     * SA aside until our own exchange is over. */
    sa->peer_gen = next;
    min_nonce(ni->data, ni->len, nr, sizeof(nr), sa->peer_gen_nonce,
              &sa->peer_gen_nonce_len);
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "the peer rekeys the IKE SA while we do: deciding by the "
               "nonces when ours completes");
  } else {
    (void)gen_switch(sa, &next, 0, now_ms);
  }
  tcpsec_zeroize(nr, sizeof(nr));
  return 0;
}

static int respond_child(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                         const uint8_t *data, size_t len,
                         const tcpsec_ike_opaque *ni,
                         const tcpsec_ike_payload *rekey_p, uint64_t now_ms) {
  const tcpsec_ike_payload *ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  uint8_t pub[TCPSEC_KE_MAX_PUBLIC_LEN], gir[TCPSEC_KE_MAX_SECRET_LEN];
  uint8_t nr[IKE_NONCE_LEN];
  uint16_t peer_group = ke_p != NULL ? ke_p->u.ke.group : 0, error;
  size_t pub_len = 0, gir_len = 0;
  ike_child *old = NULL;
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  tcpsec_ke *ke = NULL;
  ike_child_offer o;
  ike_child_spec spec;
  uint32_t spi_in = 0, old_spi = 0;
  int rv, collision = 0;

  if (sa->create.kind == IKE_REQ_REKEY_IKE || sa->peer_gen.used)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_TEMPORARY_FAILURE, 0,
                       "the IKE SA is being rekeyed");
  if (rekey_p != NULL) {
    if (rekey_p->u.notify.protocol != TCPSEC_IKE_PROTO_ESP ||
        rekey_p->u.notify.spi_size != 4)
      return reply_error(sa, msg, data, len, TCPSEC_IKE_N_CHILD_SA_NOT_FOUND,
                         0, "REKEY_SA names no ESP SA");
    /* The peer names the pair by its inbound SPI, our outbound one. */
    old = tcpsec_ike_child_by_out(sa, rekey_p->u.notify.spi32);
    if (old == NULL || !old->installed)
      return reply_error(sa, msg, data, len, TCPSEC_IKE_N_CHILD_SA_NOT_FOUND,
                         0, "no Child SA with that SPI");
    if (old->replaced || old->deleting || old->delete_queued)
      return reply_error(sa, msg, data, len, TCPSEC_IKE_N_TEMPORARY_FAILURE, 0,
                         "that Child SA is being deleted");
    old_spi = old->spi_in;
    collision = old->rekeying;
  } else if (sa->child_count >= IKE_CHILD_SA_MAX) {
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_NO_ADDITIONAL_SAS, 0,
                       "the IKE SA has the most Child SAs it accepts");
  }

  error = tcpsec_ike_child_negotiate(sa, msg, 1, peer_group, &o);
  if (error == TCPSEC_IKE_N_INVALID_SYNTAX)
    return reply_syntax(sa, msg, data, len, "SA, TSi or TSr");
  if (error != 0)
    return reply_error(sa, msg, data, len, error, 0,
                       error == TCPSEC_IKE_N_TS_UNACCEPTABLE
                           ? "traffic selectors outside the policy"
                           : "no acceptable ESP proposal");
  /* Section 1.3: a KEi of another group than the chosen proposal's gets
   * INVALID_KE_PAYLOAD naming the group we want. */
  if (o.suite.ke != 0 && peer_group != o.suite.ke)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_INVALID_KE_PAYLOAD,
                       o.suite.ke, "the KEi group is not the chosen one");

  rv = tcpsec_random(sa->ctx, nr, sizeof(nr));
  if (rv == 0 && o.suite.ke != 0)
    rv = respond_ke(sa, o.suite.ke, &ke_p->u.ke, &ke, pub, &pub_len, gir,
                    &gir_len);
  if (rv == 0)
    rv = tcpsec_ike_cb_alloc_spi(sa, &spi_in);
  if (rv == 0) {
    memset(&spec, 0, sizeof(spec));
    spec.suite = &o.suite;
    spec.spi_in = spi_in;
    spec.initiator = 0;
    spec.ni = ni->data;
    spec.ni_len = ni->len;
    spec.nr = nr;
    spec.nr_len = sizeof(nr);
    spec.gir = o.suite.ke != 0 ? gir : NULL;
    spec.gir_len = gir_len;
    spec.pfs_group = o.suite.ke;
    spec.replaces_spi_in = old_spi;
    /* Section 2.8: the initiator of the rekey cannot receive on the new
     * pair before our response reaches it. */
    spec.outbound_deferred = old_spi != 0;
    spec.local_ts = o.tsr;
    spec.local_count = o.count_r;
    spec.remote_ts = o.tsi;
    spec.remote_count = o.count_i;
    rv = tcpsec_ike_child_establish(sa, &spec, now_ms);
  }
  tcpsec_zeroize(gir, sizeof(gir));
  tcpsec_ke_free(ke);
  if (rv != 0) {
    tcpsec_zeroize(nr, sizeof(nr));
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_TEMPORARY_FAILURE, 0,
                       tcpsec_strerror(rv));
  }

  if (old_spi != 0) {
    /* The array may have moved when the new pair was added. */
    old = tcpsec_ike_child_by_in(sa, old_spi);
    if (collision) {
      /* Section 2.8.1: both ends rekey this pair; our response decides
       * when it arrives, and it may arrive after the peer deleted it. */
      old->peer_rekeyed = 1;
      old->peer_new_spi_in = spi_in;
      min_nonce(ni->data, ni->len, nr, sizeof(nr), sa->create.peer_min_nonce,
                &sa->create.peer_min_nonce_len);
    } else {
      old->replaced = 1;
      old->rekey_ms = 0;
      old->grace_ms = now_ms + sa->cfg.pub.rekey_grace_ms;
      sa->stats.child_rekeys++;
    }
  }

  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_CREATE_CHILD_SA, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  {
    tcpsec_ike_transform t[6];
    tcpsec_ike_proposal p;

    tcpsec_ike_esp_proposal(&o.suite, o.number, spi_in, &p, t);
    tcpsec_ike_builder_add_sa(&b, &p, 1);
  }
  tcpsec_ike_builder_add_nonce(&b, nr, sizeof(nr));
  if (o.suite.ke != 0)
    tcpsec_ike_builder_add_ke(&b, o.suite.ke, pub, pub_len);
  tcpsec_ike_add_selectors(&b, TCPSEC_IKE_PT_TSI, o.tsi, o.count_i);
  tcpsec_ike_add_selectors(&b, TCPSEC_IKE_PT_TSR, o.tsr, o.count_r);
  tcpsec_zeroize(nr, sizeof(nr));
  return tcpsec_ike_send_response(sa, &b, data, len);
}

int tcpsec_ike_create_process_request(tcpsec_ike_sa *sa,
                                      const tcpsec_ike_msg *msg,
                                      const uint8_t *data, size_t len,
                                      uint64_t now_ms) {
  const tcpsec_ike_payload *sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  const tcpsec_ike_payload *n_p =
      tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);

  if (sa_p == NULL || n_p == NULL || sa_p->u.sa.count == 0)
    return reply_syntax(sa, msg, data, len, "the SA or Nonce payload");
  if (sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return reply_error(sa, msg, data, len, TCPSEC_IKE_N_TEMPORARY_FAILURE, 0,
                       "the IKE SA is being deleted");
  if (sa_p->u.sa.proposals[0].protocol == TCPSEC_IKE_PROTO_IKE)
    return respond_ike_rekey(sa, msg, data, len, sa_p, &n_p->u.opaque, now_ms);
  return respond_child(sa, msg, data, len, &n_p->u.opaque,
                       tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_REKEY_SA),
                       now_ms);
}

/* ---- initiator: responses ----------------------------------------------- */

/* Our Child SA rekey or creation was refused with `error`. */
static void child_refused(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                          ike_request_kind kind, uint16_t error,
                          uint64_t now_ms) {
  const tcpsec_ike_payload *n =
      tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_INVALID_KE_PAYLOAD);
  ike_child *c = kind == IKE_REQ_REKEY_CHILD
                     ? tcpsec_ike_child_by_in(sa, sa->create.rekey_spi_in)
                     : NULL;
  uint16_t group = n != NULL ? n->u.notify.decoded.ke_group : 0;

  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG, "%s refused by the peer: %s",
             kind_name(kind),
             tcpsec_ike_notify_name(error) != NULL
                 ? tcpsec_ike_notify_name(error)
                 : "unknown error");
  if (kind == IKE_REQ_CREATE_CHILD) {
    if ((error == TCPSEC_IKE_N_TEMPORARY_FAILURE ||
         error == TCPSEC_IKE_N_INVALID_KE_PAYLOAD) &&
        sa->create_queue_count < IKE_CREATE_QUEUE_MAX) {
      ike_create_queued *q = &sa->create_queue[sa->create_queue_count++];

      memcpy(q->tsi, sa->create.tsi, sizeof(q->tsi));
      memcpy(q->tsr, sa->create.tsr, sizeof(q->tsr));
      q->count_i = sa->create.count_i;
      q->count_r = sa->create.count_r;
      sa->create_retry_ms = now_ms + retry_delay(sa);
    }
    return;
  }
  if (c == NULL)
    return;
  c->rekeying = 0;
  if (c->peer_rekeyed) {
    /* Section 2.8.1: the peer rekeyed it meanwhile and rejected ours; its
     * new pair replaces this one, and the peer deletes this one. */
    c->peer_rekeyed = 0;
    c->replaced = 1;
    c->grace_ms = now_ms + sa->cfg.pub.rekey_grace_ms;
    sa->stats.child_rekeys++;
    return;
  }
  switch (error) {
  case TCPSEC_IKE_N_INVALID_KE_PAYLOAD:
    if (group != 0 && tcpsec_ike_pfs_allowed(&sa->cfg, group) &&
        group != c->pfs_group) {
      c->pfs_group = group;
      c->rekey_queued = 1;
    }
    break;
  case TCPSEC_IKE_N_TEMPORARY_FAILURE:
    c->rekey_ms = now_ms + retry_delay(sa);
    break;
  case TCPSEC_IKE_N_CHILD_SA_NOT_FOUND:
    /* The peer has no such pair any more: drop ours too. */
    tcpsec_ike_child_remove(sa, c, TCPSEC_ERR_CHILD_SA_NOT_FOUND);
    break;
  default:
    /* The pair lives on until its hard lifetime. */
    break;
  }
}

/* Our Child SA exchange completed. */
static void child_created(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                          ike_request_kind kind, uint64_t now_ms) {
  const tcpsec_ike_payload *n_p =
      tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);
  const tcpsec_ike_payload *ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  uint8_t gir[TCPSEC_KE_MAX_SECRET_LEN], ours[TCPSEC_IKE_NONCE_MAX_LEN];
  const tcpsec_ke_info *info = tcpsec_ke_lookup(sa->create.ke_group);
  int collision = 0, redundant = 0, rv = 0;
  ike_child *old = NULL, *fresh;
  const char *problem = NULL;
  size_t ours_len = 0;
  ike_child_offer o;
  ike_child_spec spec;

  if (kind == IKE_REQ_REKEY_CHILD)
    old = tcpsec_ike_child_by_in(sa, sa->create.rekey_spi_in);
  if (n_p == NULL)
    problem = "Nonce payload missing";
  else
    problem = tcpsec_ike_child_check_answer(
        sa, msg, 1, sa->create.ke_group, sa->create.tsi, sa->create.count_i,
        sa->create.tsr, sa->create.count_r, &o);
  if (problem == NULL && sa->create.ke_group != 0) {
    if (ke_p == NULL || ke_p->u.ke.group != sa->create.ke_group ||
        info == NULL)
      problem = "KEr payload missing or of another group";
    else if (tcpsec_ke_compute(sa->create.ke, ke_p->u.ke.data, ke_p->u.ke.len,
                               gir, info->secret_len) != 0)
      problem = "KEr payload invalid";
  }
  if (problem == NULL && kind == IKE_REQ_REKEY_CHILD &&
      sa->create.peer_min_nonce_len != 0) {
    /* Simultaneous rekey (section 2.8.1): the exchange with the lowest of
     * the four nonces made the redundant pair. Decided before the report,
     * so that a redundant pair never carries outbound traffic. */
    collision = 1;
    min_nonce(sa->create.nonce, IKE_NONCE_LEN, n_p->u.opaque.data,
              n_p->u.opaque.len, ours, &ours_len);
    redundant = nonce_cmp(ours, ours_len, sa->create.peer_min_nonce,
                          sa->create.peer_min_nonce_len) < 0;
  }
  if (problem == NULL) {
    memset(&spec, 0, sizeof(spec));
    spec.suite = &o.suite;
    spec.spi_in = sa->create.spi_in;
    spec.initiator = 1;
    spec.ni = sa->create.nonce;
    spec.ni_len = IKE_NONCE_LEN;
    spec.nr = n_p->u.opaque.data;
    spec.nr_len = n_p->u.opaque.len;
    spec.gir = sa->create.ke_group != 0 ? gir : NULL;
    spec.gir_len = info != NULL ? info->secret_len : 0;
    spec.pfs_group = sa->create.ke_group;
    spec.replaces_spi_in = old != NULL && !redundant ? old->spi_in : 0;
    spec.outbound_deferred = (uint8_t)redundant;
    spec.local_ts = o.tsi;
    spec.local_count = o.count_i;
    spec.remote_ts = o.tsr;
    spec.remote_count = o.count_r;
    rv = tcpsec_ike_child_establish(sa, &spec, now_ms);
    if (rv != 0)
      problem = tcpsec_strerror(rv);
  }
  tcpsec_zeroize(gir, sizeof(gir));
  if (problem != NULL) {
    /* The responder may have installed the pair: ask it to delete it. */
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "%s response rejected: %s; sending a Delete for SPI %08x",
               kind_name(kind), problem, sa->create.spi_in);
    fresh = tcpsec_ike_child_add(sa);
    if (fresh != NULL) {
      fresh->spi_in = sa->create.spi_in;
      fresh->delete_queued = 1;
    }
    old = tcpsec_ike_child_by_in(sa, sa->create.rekey_spi_in);
    if (old != NULL) {
      old->rekeying = 0;
      old->rekey_ms = now_ms + retry_delay(sa);
    }
    return;
  }
  if (kind != IKE_REQ_REKEY_CHILD)
    return;

  /* The array may have moved when the new pair was added. Without the old
   * pair the peer deleted it before our response arrived: it rekeyed the
   * pair as well, and its Delete overtook our response. */
  old = tcpsec_ike_child_by_in(sa, sa->create.rekey_spi_in);
  if (old == NULL && !collision)
    return;
  if (old != NULL) {
    old->rekeying = 0;
    old->peer_rekeyed = 0;
    old->replaced = 1;
    old->rekey_ms = 0;
  }
  sa->stats.child_rekeys++;
  if (!collision) {
    /* We delete the pair we replaced (section 2.8). */
    old->delete_queued = 1;
    old->delete_reason = 0;
    return;
  }
  sa->stats.rekey_collisions++;
  if (redundant) {
    /* Our exchange has the lowest nonce, so our new pair is redundant and
     * we delete it. The peer deletes the old one. */
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "simultaneous rekey of Child SA %08x: ours has the lowest "
               "nonce, deleting our new pair %08x",
               sa->create.rekey_spi_in, sa->create.spi_in);
    fresh = tcpsec_ike_child_by_in(sa, sa->create.spi_in);
    if (fresh != NULL) {
      fresh->delete_queued = 1;
      fresh->delete_reason = 0;
      fresh->rekey_ms = 0;
    }
    if (old != NULL)
      old->grace_ms = now_ms + sa->cfg.pub.rekey_grace_ms;
  } else {
    /* The peer's exchange has the lowest nonce, so the peer deletes its
     * new pair and we delete the old one. */
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "simultaneous rekey of Child SA %08x: the peer's has the "
               "lowest nonce, keeping our new pair %08x",
               sa->create.rekey_spi_in, sa->create.spi_in);
    if (old != NULL) {
      old->delete_queued = 1;
      old->delete_reason = 0;
    }
  }
}

/* Our IKE SA rekey completed. */
static void ike_rekeyed(tcpsec_ike_sa *sa, const tcpsec_ike_msg *msg,
                        uint64_t now_ms) {
  const tcpsec_ike_payload *sa_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_SA, 0);
  const tcpsec_ike_payload *n_p =
      tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);
  const tcpsec_ike_payload *ke_p = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_KE, 0);
  uint8_t ours[TCPSEC_IKE_NONCE_MAX_LEN];
  size_t ours_len = 0;
  ike_suite suite;
  ike_gen next;
  int rv;

  if (sa_p == NULL || n_p == NULL || ke_p == NULL ||
      tcpsec_ike_accept_ike_rekey(&sa->cfg, &sa_p->u.sa, sa->create.ke_group,
                                  &suite) != 0 ||
      ke_p->u.ke.group != sa->create.ke_group) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE SA rekey response rejected: SA, Nonce or KE payload "
               "missing or not what we offered; trying again later");
    sa->ike_rekey_ms = now_ms + retry_delay(sa);
    return;
  }
  rv = gen_make(sa, &next, &suite, 1, sa->create.new_spi,
                sa_p->u.sa.proposals[0].spi, sa->create.ke, &ke_p->u.ke,
                sa->create.nonce, IKE_NONCE_LEN, n_p->u.opaque.data,
                n_p->u.opaque.len);
  if (rv != 0) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
               "IKE SA rekey failed: %s; trying again later",
               tcpsec_strerror(rv));
    sa->ike_rekey_ms = now_ms + retry_delay(sa);
    return;
  }
  if (!sa->peer_gen.used) {
    (void)gen_switch(sa, &next, 1, now_ms);
    return;
  }

  /* Simultaneous rekey (section 2.8.2). */
  sa->stats.rekey_collisions++;
  min_nonce(sa->create.nonce, IKE_NONCE_LEN, n_p->u.opaque.data,
            n_p->u.opaque.len, ours, &ours_len);
  if (nonce_cmp(ours, ours_len, sa->peer_gen_nonce, sa->peer_gen_nonce_len) <
      0) {
    ike_gen *redundant = gen_slot(sa);

    /* Ours is redundant: we delete it; the peer's new IKE SA inherits the
     * Child SAs, and the peer deletes the old one. */
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "simultaneous IKE SA rekey: ours has the lowest nonce and is "
               "deleted; the peer's new IKE SA is kept");
    *redundant = next;
    redundant->delete_queued = 1;
    redundant->drop_ms = now_ms + tcpsec_ike_response_budget(sa);
    (void)gen_switch(sa, &sa->peer_gen, 0, now_ms);
    report_redundant(sa, redundant);
  } else {
    ike_gen *redundant = gen_slot(sa);

    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "simultaneous IKE SA rekey: the peer's has the lowest nonce; "
               "our new IKE SA is kept");
    *redundant = sa->peer_gen;
    memset(&sa->peer_gen, 0, sizeof(sa->peer_gen));
    redundant->drop_ms = now_ms + tcpsec_ike_response_budget(sa);
    (void)gen_switch(sa, &next, 1, now_ms);
    report_redundant(sa, redundant);
  }
}

/* Our IKE SA rekey was refused. */
static void ike_refused(tcpsec_ike_sa *sa, uint16_t error, uint64_t now_ms) {
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
             "IKE SA rekey refused by the peer: %s",
             tcpsec_ike_notify_name(error) != NULL
                 ? tcpsec_ike_notify_name(error)
                 : "unknown error");
  if (sa->peer_gen.used) {
    /* Section 2.8.2: the peer rekeyed first and did not notice ours. Its
     * new IKE SA takes over, and it deletes the old one. */
    (void)gen_switch(sa, &sa->peer_gen, 0, now_ms);
    return;
  }
  if (error == TCPSEC_IKE_N_TEMPORARY_FAILURE ||
      error == TCPSEC_IKE_N_INVALID_KE_PAYLOAD)
    sa->ike_rekey_ms = now_ms + retry_delay(sa);
}

int tcpsec_ike_create_process_response(tcpsec_ike_sa *sa,
                                       const tcpsec_ike_msg *msg,
                                       ike_request_kind kind, uint64_t now_ms) {
  uint16_t error = tcpsec_ike_child_first_error(msg);

  if (sa->create.kind != kind) {
    /* The exchange was abandoned (section 2.8.2, the peer's Delete). */
    return 0;
  }
  if (error != 0) {
    if (kind == IKE_REQ_REKEY_IKE)
      ike_refused(sa, error, now_ms);
    else
      child_refused(sa, msg, kind, error, now_ms);
    sa->stats.create_child_refused++;
  } else if (kind == IKE_REQ_REKEY_IKE) {
    ike_rekeyed(sa, msg, now_ms);
  } else {
    child_created(sa, msg, kind, now_ms);
  }
  tcpsec_ike_create_clear(sa);
  return 0;
}

/* ---- old generations ---------------------------------------------------- */

int tcpsec_ike_gen_process_request(tcpsec_ike_sa *sa,
                                   const tcpsec_ike_msg *msg,
                                   const uint8_t *data, size_t len,
                                   uint64_t now_ms) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;
  ike_gen *g = sa->in_gen;
  int delete_ike = 0, rv;
  size_t i;

  if (msg->header.exchange != TCPSEC_IKE_EXCH_INFORMATIONAL)
    return tcpsec_ike_reply_notify(sa, msg, data, len,
                                   TCPSEC_IKE_N_TEMPORARY_FAILURE, NULL, 0);
  for (i = 0; i < msg->count; i++) {
    const tcpsec_ike_payload *p = &msg->payloads[i];

    if (p->inner && p->type == TCPSEC_IKE_PT_DELETE &&
        p->u.del.protocol == TCPSEC_IKE_PROTO_IKE)
      delete_ike = 1;
  }
  tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_INFORMATIONAL, 1,
                        msg->header.message_id);
  tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  rv = tcpsec_ike_send_response(sa, &b, data, len);
  if (delete_ike) {
    /* Keep the cached response for a retransmitted Delete a while. */
    g->done = 1;
    g->delete_queued = 0;
    g->drop_ms = now_ms + tcpsec_ike_response_budget(sa);
    tcpsec_log(sa->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
               "the peer deleted the old IKE SA");
  }
  return rv;
}

/* Run the timers of one old generation, swapped in. 1 when it is gone. */
static int gen_timers(tcpsec_ike_sa *sa, ike_gen *g, uint64_t now_ms) {
  tcpsec_ike_builder b;
  tcpsec_ike_header hdr;

  if (now_ms >= g->drop_ms && g->req.kind == IKE_REQ_NONE &&
      !g->delete_queued) {
    tcpsec_ike_gen_free(sa, g);
    return 1;
  }
  if (g->req.kind != IKE_REQ_NONE && now_ms >= g->req.deadline_ms) {
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "no response to the Delete of the old IKE SA; forgetting it");
    tcpsec_ike_gen_free(sa, g);
    return 1;
  }
  tcpsec_ike_gen_swap(sa, g);
  sa->in_gen = g;
  if (sa->req.kind != IKE_REQ_NONE && now_ms >= sa->req.next_send_ms) {
    tcpsec_ike_resend_request(sa, now_ms, 0);
  } else if (sa->req.kind == IKE_REQ_NONE && g->delete_queued) {
    g->delete_queued = 0;
    tcpsec_ike_header_for(sa, &hdr, TCPSEC_IKE_EXCH_INFORMATIONAL, 0,
                          sa->next_request_id);
    tcpsec_ike_builder_init(&b, sa->ctx, &hdr, 0);
    tcpsec_ike_builder_begin_sk(&b);
    tcpsec_ike_builder_add_delete(&b, TCPSEC_IKE_PROTO_IKE, 0, NULL, 0);
    (void)tcpsec_ike_send_request(sa, &b, IKE_REQ_DELETE_IKE, 0, now_ms);
  }
  sa->in_gen = NULL;
  tcpsec_ike_gen_swap(sa, g);
  return 0;
}

void tcpsec_ike_gens_kick(tcpsec_ike_sa *sa, uint64_t now_ms) {
  size_t i;

  for (i = 0; i < IKE_GEN_MAX; i++)
    if (sa->gens[i].used && sa->gens[i].delete_queued &&
        sa->gens[i].req.kind == IKE_REQ_NONE)
      (void)gen_timers(sa, &sa->gens[i], now_ms);
}

/* ---- timers ------------------------------------------------------------- */

uint64_t tcpsec_ike_create_next_timeout(const tcpsec_ike_sa *sa) {
  uint64_t t = TCPSEC_IKE_NO_TIMEOUT;
  size_t i;

  if (sa->ike_rekey_ms != 0 && !sa->ike_rekey_queued &&
      sa->create.kind != IKE_REQ_REKEY_IKE)
    t = TCPSEC_MIN(t, sa->ike_rekey_ms);
  if (sa->create_queue_count > 0 && sa->create_retry_ms != 0)
    t = TCPSEC_MIN(t, sa->create_retry_ms);
  for (i = 0; i < sa->child_count; i++) {
    const ike_child *c = &sa->children[i];

    if (c->rekey_ms != 0 && !c->rekeying && !c->rekey_queued &&
        !c->replaced && !c->deleting && !c->delete_queued)
      t = TCPSEC_MIN(t, c->rekey_ms);
    if (c->replaced && c->grace_ms != 0 && !c->deleting && !c->delete_queued)
      t = TCPSEC_MIN(t, c->grace_ms);
  }
  for (i = 0; i < IKE_GEN_MAX; i++) {
    const ike_gen *g = &sa->gens[i];

    if (!g->used)
      continue;
    if (g->delete_queued)
      return 0; /* due now */
    if (g->req.kind != IKE_REQ_NONE) {
      t = TCPSEC_MIN(t, g->req.next_send_ms);
      t = TCPSEC_MIN(t, g->req.deadline_ms);
    } else {
      t = TCPSEC_MIN(t, g->drop_ms);
    }
  }
  return t;
}

void tcpsec_ike_create_timers(tcpsec_ike_sa *sa, uint64_t now_ms) {
  size_t i;

  for (i = 0; i < IKE_GEN_MAX; i++)
    if (sa->gens[i].used)
      (void)gen_timers(sa, &sa->gens[i], now_ms);
  if (sa->create_retry_ms != 0 && now_ms >= sa->create_retry_ms)
    sa->create_retry_ms = 0;
  if (sa->ike_rekey_ms != 0 && now_ms >= sa->ike_rekey_ms &&
      sa->create.kind != IKE_REQ_REKEY_IKE) {
    sa->ike_rekey_ms = 0;
    sa->ike_rekey_queued = 1;
  }
  for (i = 0; i < sa->child_count; i++) {
    ike_child *c = &sa->children[i];

    if (c->rekey_ms != 0 && now_ms >= c->rekey_ms && !c->rekeying &&
        !c->replaced && !c->deleting && !c->delete_queued) {
      c->rekey_ms = 0;
      c->rekey_queued = 1;
    }
    if (c->replaced && c->grace_ms != 0 && now_ms >= c->grace_ms &&
        !c->deleting && !c->delete_queued) {
      tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
                 "Child SA %08x/%08x was replaced %u ms ago and the peer has "
                 "not deleted it; deleting it",
                 c->spi_in, c->spi_out, sa->cfg.pub.rekey_grace_ms);
      c->grace_ms = 0;
      c->delete_queued = 1;
      c->delete_reason = 0;
    }
  }
}

/* ---- public calls ------------------------------------------------------- */

int tcpsec_ike_sa_rekey(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state != TCPSEC_IKE_SA_ESTABLISHED ||
      sa->ike_rekey_queued || sa->create.kind == IKE_REQ_REKEY_IKE ||
      sa->peer_gen.used)
    return TCPSEC_ERR_INVALID_STATE;
  sa->ike_rekey_queued = 1;
  tcpsec_ike_start_queued(sa, now_ms);
  return 0;
}

int tcpsec_ike_sa_rekey_child(tcpsec_ike_sa *sa, uint32_t spi_in,
                              uint64_t now_ms) {
  ike_child *c;

  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return TCPSEC_ERR_INVALID_STATE;
  c = tcpsec_ike_child_by_in(sa, spi_in);
  if (c == NULL || !c->installed || c->replaced || c->deleting ||
      c->delete_queued)
    return TCPSEC_ERR_CHILD_SA_NOT_FOUND;
  if (!c->rekeying)
    c->rekey_queued = 1;
  tcpsec_ike_start_queued(sa, now_ms);
  return 0;
}

int tcpsec_ike_sa_create_child(tcpsec_ike_sa *sa,
                               const tcpsec_ike_traffic_selector *local_ts,
                               size_t local_count,
                               const tcpsec_ike_traffic_selector *remote_ts,
                               size_t remote_count, uint64_t now_ms) {
  ike_create_queued *q;
  size_t i;

  if (sa == NULL || local_ts == NULL || remote_ts == NULL || local_count == 0 ||
      remote_count == 0 || local_count > TCPSEC_IKE_CONFIG_MAX_TS ||
      remote_count > TCPSEC_IKE_CONFIG_MAX_TS)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || sa->state != TCPSEC_IKE_SA_ESTABLISHED)
    return TCPSEC_ERR_INVALID_STATE;
  for (i = 0; i < local_count; i++)
    if (!tcpsec_ike_ts_valid(&local_ts[i]))
      return TCPSEC_ERR_TS_UNACCEPTABLE;
  for (i = 0; i < remote_count; i++)
    if (!tcpsec_ike_ts_valid(&remote_ts[i]))
      return TCPSEC_ERR_TS_UNACCEPTABLE;
  if (!tcpsec_ike_ts_subset(local_ts, local_count, sa->cfg.local_ts,
                            sa->cfg.pub.local_ts_count) ||
      !tcpsec_ike_ts_subset(remote_ts, remote_count, sa->cfg.remote_ts,
                            sa->cfg.pub.remote_ts_count))
    return TCPSEC_ERR_TS_UNACCEPTABLE;
  if (sa->create_queue_count == IKE_CREATE_QUEUE_MAX ||
      sa->child_count + sa->create_queue_count >= IKE_CHILD_SA_MAX)
    return TCPSEC_ERR_LIMIT;
  q = &sa->create_queue[sa->create_queue_count++];
  memset(q, 0, sizeof(*q));
  memcpy(q->tsi, local_ts, local_count * sizeof(*local_ts));
  memcpy(q->tsr, remote_ts, remote_count * sizeof(*remote_ts));
  q->count_i = local_count;
  q->count_r = remote_count;
  tcpsec_ike_start_queued(sa, now_ms);
  return 0;
}

void tcpsec_ike_gen_adopt_peer(tcpsec_ike_sa *sa, uint64_t now_ms) {
  ike_gen *old = gen_switch(sa, &sa->peer_gen, 0, now_ms);

  /* Its Delete exchange is over. The cached response serves a
   * retransmitted Delete. */
  old->done = 1;
}
