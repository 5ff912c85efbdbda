/*
 * Reassembly of IKE fragments (RFC 7383 section 2.6).
 *
 * The caller verifies and decrypts each SKF message first (its ICV covers
 * the fragment fields), so only authentic fragments reach this code. One
 * set is collected at a time: the fragments of one Message ID, all with the
 * same Total Fragments. Memory is bounded by the configuration: the slot
 * table is allocated at creation, the plaintext buffers grow up to
 * max_total_bytes and are wiped and released when a set is dropped.
 */
#include "ike/message.h"

#include <string.h>

#include "core/ctx.h"
#include "core/util.h"

#define FRAG_DEFAULT_MAX_FRAGMENTS 32
#define FRAG_DEFAULT_MAX_TOTAL_BYTES 65536

struct frag_slot {
  size_t offset; /* in the store buffer */
  size_t len;
  uint8_t present;
};

struct tcpsec_ike_frag_reasm {
  tcpsec_ctx *ctx;
  tcpsec_ike_frag_config cfg;
  struct frag_slot *slots; /* cfg.max_fragments entries */

  /* The set being collected. */
  int active;
  uint32_t message_id;
  uint8_t exchange;
  uint16_t total;
  uint16_t received;
  uint8_t first_type;
  tcpsec_buf store;    /* fragment plaintexts in arrival order */
  tcpsec_buf assembled; /* the last complete message */
};

void tcpsec_ike_frag_config_default(tcpsec_ike_frag_config *cfg) {
  cfg->max_fragments = FRAG_DEFAULT_MAX_FRAGMENTS;
  cfg->max_total_bytes = FRAG_DEFAULT_MAX_TOTAL_BYTES;
}

int tcpsec_ike_frag_reasm_new(tcpsec_ctx *ctx,
                              const tcpsec_ike_frag_config *cfg,
                              tcpsec_ike_frag_reasm **out) {
  tcpsec_ike_frag_reasm *r;

  if (ctx == NULL || cfg == NULL || out == NULL || cfg->max_fragments == 0 ||
      cfg->max_total_bytes == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  r = tcpsec_calloc(ctx, 1, sizeof(*r));
  if (r == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  r->slots = tcpsec_calloc(ctx, cfg->max_fragments, sizeof(*r->slots));
  if (r->slots == NULL) {
    tcpsec_free(ctx, r);
    return TCPSEC_ERR_NO_MEMORY;
  }
  r->ctx = ctx;
  r->cfg = *cfg;
  tcpsec_buf_init(&r->store, ctx, cfg->max_total_bytes);
  tcpsec_buf_init(&r->assembled, ctx, cfg->max_total_bytes);
  *out = r;
  return 0;
}

/* Drop the set being collected; the last assembled message stays. */
static void drop_set(tcpsec_ike_frag_reasm *r) {
  tcpsec_buf_free(&r->store);
  tcpsec_buf_init(&r->store, r->ctx, r->cfg.max_total_bytes);
  memset(r->slots, 0, r->cfg.max_fragments * sizeof(*r->slots));
  r->active = 0;
  r->total = 0;
  r->received = 0;
  r->first_type = 0;
}

void tcpsec_ike_frag_reasm_reset(tcpsec_ike_frag_reasm *r) {
  if (r == NULL)
    return;
  drop_set(r);
  tcpsec_buf_free(&r->assembled);
  tcpsec_buf_init(&r->assembled, r->ctx, r->cfg.max_total_bytes);
}

void tcpsec_ike_frag_reasm_free(tcpsec_ike_frag_reasm *r) {
  if (r == NULL)
    return;
  tcpsec_buf_free(&r->store);
  tcpsec_buf_free(&r->assembled);
  tcpsec_free(r->ctx, r->slots);
  tcpsec_free(r->ctx, r);
}

static void start_set(tcpsec_ike_frag_reasm *r, const tcpsec_ike_msg *msg,
                      uint16_t total) {
  drop_set(r);
  r->active = 1;
  r->message_id = msg->header.message_id;
  r->exchange = msg->header.exchange;
  r->total = total;
}

/* Checks of RFC 7383 section 2.6 that need no stored state. */
static int check_fragment(const tcpsec_ike_frag_reasm *r,
                          const tcpsec_ike_payload *p,
                          tcpsec_ike_parse_error *err) {
  const tcpsec_ike_sk *sk = &p->u.sk;

  if (sk->total_fragments == 0)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "Total Fragments is 0");
  if (sk->fragment_number == 0 || sk->fragment_number > sk->total_fragments)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "Fragment Number is 0 or above Total Fragments");
  if (sk->total_fragments > r->cfg.max_fragments)
    return tcpsec_ike_fail(err, TCPSEC_ERR_LIMIT, p->type, p->offset,
                           "Total Fragments above the configured maximum");
  /* Section 2.5: only fragment 1 names the first inner payload. */
  if ((sk->fragment_number == 1) != (sk->inner_type != TCPSEC_IKE_PT_NONE))
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "Next Payload set in a fragment other than 1, or unset in 1");
  return 0;
}

/* Decide whether the fragment joins, restarts or is rejected by the set. */
static int place_fragment(tcpsec_ike_frag_reasm *r, const tcpsec_ike_msg *msg,
                          const tcpsec_ike_payload *p,
                          tcpsec_ike_parse_error *err) {
  const tcpsec_ike_sk *sk = &p->u.sk;
  uint32_t id = msg->header.message_id;

  if (!r->active || id > r->message_id) {
    start_set(r, msg, sk->total_fragments);
    return 0;
  }
  if (id < r->message_id)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "fragment of an older Message ID");
  if (msg->header.exchange != r->exchange)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "fragment's exchange type differs from the set");
  /* Section 2.5.2: a larger total is a new set made for a smaller MTU. */
  if (sk->total_fragments > r->total) {
    start_set(r, msg, sk->total_fragments);
    return 0;
  }
  if (sk->total_fragments < r->total)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "Total Fragments smaller than the set's");
  if (r->slots[sk->fragment_number - 1].present)
    return tcpsec_ike_fail(err, TCPSEC_ERR_FRAGMENT, p->type, p->offset,
                           "duplicate fragment");
  return 0;
}

/* Concatenate the stored pieces in fragment order. */
static int assemble(tcpsec_ike_frag_reasm *r) {
  uint16_t i;
  int rc;

  tcpsec_buf_free(&r->assembled);
  tcpsec_buf_init(&r->assembled, r->ctx, r->cfg.max_total_bytes);
  rc = tcpsec_buf_reserve(&r->assembled, r->store.len > 0 ? r->store.len : 1);
  for (i = 0; i < r->total && rc == 0; i++) {
    const struct frag_slot *s = &r->slots[i];
    if (s->len > 0)
      rc = tcpsec_buf_append(&r->assembled, r->store.data + s->offset, s->len);
  }
  return rc;
}

int tcpsec_ike_frag_reasm_add(tcpsec_ike_frag_reasm *r,
                              const tcpsec_ike_msg *msg, const uint8_t *plain,
                              size_t len, const uint8_t **out_plain,
                              size_t *out_len, uint8_t *out_first_type,
                              tcpsec_ike_parse_error *err) {
  const tcpsec_ike_payload *p;
  struct frag_slot *slot;
  uint8_t first_type;
  int rc;

  if (err != NULL)
    memset(err, 0, sizeof(*err));
  if (r == NULL || msg == NULL || (plain == NULL && len > 0) ||
      out_plain == NULL || out_len == NULL || out_first_type == NULL)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_ARGUMENT, 0, 0, "missing argument");
  if (msg->sk_index < 0 || msg->payloads[msg->sk_index].type != TCPSEC_IKE_PT_SKF)
    return tcpsec_ike_fail(err, TCPSEC_ERR_INVALID_STATE, 0, 0,
                           "message has no SKF payload");
  p = &msg->payloads[msg->sk_index];

  rc = check_fragment(r, p, err);
  if (rc != 0)
    return rc;
  /* Reject on size before touching the set, so a bad fragment leaves it. */
  if (len > r->cfg.max_total_bytes ||
      (r->active && msg->header.message_id == r->message_id &&
       p->u.sk.total_fragments == r->total &&
       len > r->cfg.max_total_bytes - r->store.len))
    return tcpsec_ike_fail(err, TCPSEC_ERR_LIMIT, p->type, p->offset,
                           "fragments exceed the configured byte limit");
  rc = place_fragment(r, msg, p, err);
  if (rc != 0)
    return rc;

  /* Store the piece. */
  slot = &r->slots[p->u.sk.fragment_number - 1];
  slot->offset = r->store.len;
  slot->len = len;
  if (len > 0) {
    rc = tcpsec_buf_append(&r->store, plain, len);
    if (rc != 0)
      return tcpsec_ike_fail(err, rc, p->type, p->offset, "cannot store the fragment");
  }
  slot->present = 1;
  r->received++;
  if (p->u.sk.fragment_number == 1)
    r->first_type = p->u.sk.inner_type;
  if (r->received < r->total)
    return 0;

  /* Complete: hand out the message and forget the set. */
  first_type = r->first_type;
  rc = assemble(r);
  drop_set(r);
  if (rc != 0)
    return tcpsec_ike_fail(err, rc, p->type, p->offset, "cannot assemble the fragments");
  *out_plain = r->assembled.data;
  *out_len = r->assembled.len;
  *out_first_type = first_type;
  return 1;
}
