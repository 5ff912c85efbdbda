/*
 * IKE SA life cycle: creation, terminal transitions, freeing, the Child SA
 * list, callback wrappers and the read-only getters.
 */
#include "ike/ike_sa.h"

#include <stdio.h>
#include <string.h>

void tcpsec_ike_callbacks_default(tcpsec_ike_callbacks *cb) {
  if (cb == NULL)
    return;
  memset(cb, 0, sizeof(*cb));
  cb->size = sizeof(*cb);
}

/* Copy a caller's versioned struct over `out` (already defaulted): only the
 * bytes the caller has, and unknown trailing bytes must be zero. */
int tcpsec_ike_load_versioned(const void *in, size_t in_size, void *out,
                              size_t out_size) {
  const uint8_t *bytes = in;
  size_t i;

  if (in_size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = out_size; i < in_size; i++)
    if (bytes[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy(out, in, TCPSEC_MIN(in_size, out_size));
  *(size_t *)out = out_size;
  return 0;
}

int tcpsec_ike_sa_create(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                         const tcpsec_ike_callbacks *cb, int initiator,
                         tcpsec_ike_sa **out) {
  tcpsec_ike_sa *sa;
  int rv;

  if (ctx == NULL || cfg == NULL || cb == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  sa = tcpsec_calloc(ctx, 1, sizeof(*sa));
  if (sa == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  sa->ctx = ctx;
  tcpsec_buf_init(&sa->init_request, ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&sa->init_response, ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&sa->req.bytes, ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&sa->cache.request, ctx, IKE_MESSAGE_MAX);
  tcpsec_buf_init(&sa->cache.response, ctx, IKE_MESSAGE_MAX);
  sa->stats.size = sizeof(sa->stats);

  tcpsec_ike_callbacks_default(&sa->cb);
  rv = tcpsec_ike_load_versioned(cb, cb->size, &sa->cb, sizeof(sa->cb));
  if (rv == 0 && sa->cb.send == NULL)
    rv = TCPSEC_ERR_INVALID_ARGUMENT;
  if (rv == 0)
    rv = tcpsec_ike_config_load(ctx, cfg, &sa->cfg);
  if (rv != 0)
    goto fail;

  /* Our IKE SPI: random and never zero (section 2.6). */
  sa->initiator = (uint8_t)(initiator != 0);
  do {
    rv = tcpsec_random(ctx, initiator ? sa->spi_i : sa->spi_r,
                       TCPSEC_IKE_SPI_LEN);
    if (rv != 0)
      goto fail;
  } while (tcpsec_load_be64(initiator ? sa->spi_i : sa->spi_r) == 0);

  sa->state = TCPSEC_IKE_SA_IDLE;
  *out = sa;
  return 0;

fail:
  tcpsec_ike_sa_free(sa);
  return rv;
}

int tcpsec_ike_sa_new_initiator(tcpsec_ctx *ctx, const tcpsec_ike_config *cfg,
                                const tcpsec_ike_callbacks *cb,
                                tcpsec_ike_sa **out) {
  return tcpsec_ike_sa_create(ctx, cfg, cb, 1, out);
}

int tcpsec_ike_sa_initiate(tcpsec_ike_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa->in_callback || !sa->initiator || sa->state != TCPSEC_IKE_SA_IDLE)
    return TCPSEC_ERR_INVALID_STATE;
  sa->created_ms = now_ms;
  sa->last_peer_ms = now_ms;
  return tcpsec_ike_init_start(sa, now_ms);
}

void tcpsec_ike_sa_drop_init_material(tcpsec_ike_sa *sa) {
  tcpsec_ke_free(sa->ke);
  sa->ke = NULL;
  tcpsec_buf_free(&sa->init_request);
  tcpsec_buf_free(&sa->init_response);
  tcpsec_zeroize(sa->sk_pi, sizeof(sa->sk_pi));
  tcpsec_zeroize(sa->sk_pr, sizeof(sa->sk_pr));
}

void tcpsec_ike_sa_free(tcpsec_ike_sa *sa) {
  if (sa == NULL)
    return;
  tcpsec_ike_sa_leave_half_open(sa);
  tcpsec_ike_sa_drop_init_material(sa);
  tcpsec_ike_sk_cipher_free(sa->sk_in);
  tcpsec_ike_sk_cipher_free(sa->sk_out);
  tcpsec_ike_frag_reasm_free(sa->reasm);
  tcpsec_buf_free(&sa->req.bytes);
  tcpsec_buf_free(&sa->cache.request);
  tcpsec_buf_free(&sa->cache.response);
  tcpsec_ike_create_clear(sa);
  tcpsec_ike_gens_free(sa);
  tcpsec_free(sa->ctx, sa->children);
  tcpsec_ike_auth_state_clear(sa);
  tcpsec_ike_config_clear(sa->ctx, &sa->cfg);
  tcpsec_free_secret(sa->ctx, sa, sizeof(*sa));
}

void tcpsec_ike_sa_leave_half_open(tcpsec_ike_sa *sa) {
  if (sa->responder == NULL)
    return;
  tcpsec_ike_responder_half_open_add(sa->responder, -1);
  sa->responder = NULL;
}

/* ---- terminal transitions --------------------------------------------- */

/* After a terminal transition only cached responses are sent again, and
 * they are stored encrypted: no key is needed any more. */
static void release_keys(tcpsec_ike_sa *sa) {
  tcpsec_ike_sa_drop_init_material(sa);
  tcpsec_zeroize(sa->sk_d, sizeof(sa->sk_d));
  tcpsec_ike_sk_cipher_free(sa->sk_in);
  tcpsec_ike_sk_cipher_free(sa->sk_out);
  sa->sk_in = NULL;
  sa->sk_out = NULL;
  tcpsec_ike_frag_reasm_free(sa->reasm);
  sa->reasm = NULL;
  tcpsec_ike_create_clear(sa);
  tcpsec_ike_gens_free(sa);
  sa->create_queue_count = 0;
}

void tcpsec_ike_sa_fail(tcpsec_ike_sa *sa, int reason) {
  char spi[20];

  if (sa->state == TCPSEC_IKE_SA_FAILED || sa->state == TCPSEC_IKE_SA_DELETED)
    return;
  if (sa->state == TCPSEC_IKE_SA_ESTABLISHED ||
      sa->state == TCPSEC_IKE_SA_DELETING) {
    tcpsec_ike_sa_set_deleted(sa, reason);
    return;
  }
  tcpsec_ike_spi_format(sa->initiator ? sa->spi_i : sa->spi_r, spi,
                        sizeof(spi));
  tcpsec_log(sa->ctx, TCPSEC_LOG_WARNING, IKE_LOG,
             "IKE SA %s failed before establishment: %s; no further "
             "messages are sent",
             spi, tcpsec_strerror(reason));
  sa->state = TCPSEC_IKE_SA_FAILED;
  tcpsec_ike_sa_leave_half_open(sa);
  tcpsec_ike_request_clear(sa);
  tcpsec_ike_child_remove_all(sa, TCPSEC_ERR_IKE_SA_DELETED);
  release_keys(sa);
  if (sa->cb.ike_sa_failed != NULL) {
    sa->in_callback++;
    sa->cb.ike_sa_failed(sa->cb.user, sa, reason);
    sa->in_callback--;
  }
}

void tcpsec_ike_sa_set_deleted(tcpsec_ike_sa *sa, int reason) {
  char spi[20];

  if (sa->state == TCPSEC_IKE_SA_FAILED || sa->state == TCPSEC_IKE_SA_DELETED)
    return;
  tcpsec_ike_spi_format(sa->initiator ? sa->spi_i : sa->spi_r, spi,
                        sizeof(spi));
  tcpsec_log(sa->ctx, reason == 0 ? TCPSEC_LOG_NOTICE : TCPSEC_LOG_WARNING,
             IKE_LOG, "IKE SA %s deleted with %zu Child SA(s): %s", spi,
             sa->child_count,
             reason == 0 ? "local request" : tcpsec_strerror(reason));
  sa->state = TCPSEC_IKE_SA_DELETED;
  tcpsec_ike_request_clear(sa);
  tcpsec_ike_child_remove_all(sa, reason == 0 ? 0 : TCPSEC_ERR_IKE_SA_DELETED);
  release_keys(sa);
  if (sa->cb.ike_sa_deleted != NULL) {
    sa->in_callback++;
    sa->cb.ike_sa_deleted(sa->cb.user, sa, reason);
    sa->in_callback--;
  }
}

void tcpsec_ike_sa_set_established(tcpsec_ike_sa *sa, uint64_t now_ms) {
  char spi_i[20], spi_r[20], peer[64];

  sa->state = TCPSEC_IKE_SA_ESTABLISHED;
  sa->established_ms = now_ms;
  sa->last_peer_ms = now_ms;
  if (sa->cfg.pub.ike_lifetime_ms != 0)
    sa->expires_ms = now_ms + sa->cfg.pub.ike_lifetime_ms;
  tcpsec_ike_plan_ike_rekey(sa, now_ms);
  tcpsec_ike_sa_leave_half_open(sa);
  tcpsec_ike_sa_drop_init_material(sa);

  tcpsec_ike_spi_format(sa->spi_i, spi_i, sizeof(spi_i));
  tcpsec_ike_spi_format(sa->spi_r, spi_r, sizeof(spi_r));
  tcpsec_ike_endpoint_format(&sa->cfg.pub.remote, peer, sizeof(peer));
  tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, IKE_LOG,
             "IKE SA %s/%s established as %s with %s (encr %u/%u prf %u "
             "integ %u group %u%s%s)",
             spi_i, spi_r, sa->initiator ? "initiator" : "responder", peer,
             sa->suite.encr, sa->suite.key_bits, sa->suite.prf, sa->suite.integ,
             sa->suite.ke, sa->nat_local ? ", local end behind NAT" : "",
             sa->nat_remote ? ", peer behind NAT" : "");
  if (sa->cb.ike_sa_established != NULL) {
    sa->in_callback++;
    sa->cb.ike_sa_established(sa->cb.user, sa);
    sa->in_callback--;
  }
}

/* ---- callback wrappers ------------------------------------------------- */

int tcpsec_ike_cb_send(tcpsec_ike_sa *sa, const uint8_t *msg, size_t len,
                       unsigned flags) {
  int rv;

  sa->stats.messages_out++;
  sa->in_callback++;
  rv = sa->cb.send(sa->cb.user, sa, msg, len, flags);
  sa->in_callback--;
  if (rv != 0)
    tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
               "send callback failed (%d) for a %zu-byte message; "
               "retransmission or the peer's retransmission recovers",
               rv, len);
  return rv;
}

void tcpsec_ike_cb_child_installed(tcpsec_ike_sa *sa,
                                   const tcpsec_ike_child_sa *child) {
  if (sa->cb.child_sa_installed == NULL)
    return;
  sa->in_callback++;
  sa->cb.child_sa_installed(sa->cb.user, sa, child);
  sa->in_callback--;
}

void tcpsec_ike_cb_child_deleted(tcpsec_ike_sa *sa, const ike_child *child,
                                 int reason) {
  if (sa->cb.child_sa_deleted == NULL)
    return;
  sa->in_callback++;
  sa->cb.child_sa_deleted(sa->cb.user, sa, child->spi_in, child->spi_out,
                          reason);
  sa->in_callback--;
}

int tcpsec_ike_cb_alloc_spi(tcpsec_ike_sa *sa, uint32_t *spi) {
  uint8_t b[4];
  int rv;

  if (sa->cb.alloc_spi != NULL) {
    sa->in_callback++;
    rv = sa->cb.alloc_spi(sa->cb.user, sa, spi);
    sa->in_callback--;
    if (rv != 0)
      return TCPSEC_ERR_CALLBACK;
    return *spi < 256 ? TCPSEC_ERR_CALLBACK : 0;
  }
  /* SPIs 1 to 255 are reserved (RFC 4303 section 2.1). */
  do {
    rv = tcpsec_random(sa->ctx, b, sizeof(b));
    if (rv != 0)
      return rv;
    *spi = tcpsec_load_be32(b);
  } while (*spi < 256);
  return 0;
}

/* ---- Child SA list ------------------------------------------------------ */

ike_child *tcpsec_ike_child_add(tcpsec_ike_sa *sa) {
  ike_child *grown;
  size_t cap;

  if (sa->child_count == sa->child_cap) {
    cap = sa->child_cap == 0 ? 2 : sa->child_cap * 2;
    grown = tcpsec_realloc(sa->ctx, sa->children, cap * sizeof(*grown));
    if (grown == NULL)
      return NULL;
    sa->children = grown;
    sa->child_cap = cap;
  }
  memset(&sa->children[sa->child_count], 0, sizeof(ike_child));
  return &sa->children[sa->child_count++];
}

ike_child *tcpsec_ike_child_by_in(tcpsec_ike_sa *sa, uint32_t spi_in) {
  size_t i;

  for (i = 0; i < sa->child_count; i++)
    if (sa->children[i].spi_in == spi_in)
      return &sa->children[i];
  return NULL;
}

ike_child *tcpsec_ike_child_by_out(tcpsec_ike_sa *sa, uint32_t spi_out) {
  size_t i;

  for (i = 0; i < sa->child_count; i++)
    if (sa->children[i].spi_out == spi_out)
      return &sa->children[i];
  return NULL;
}

void tcpsec_ike_child_remove(tcpsec_ike_sa *sa, ike_child *child, int reason) {
  size_t index = (size_t)(child - sa->children);
  ike_child copy = *child;

  /* Remove first, report second: the callback must see a consistent list
   * when it reads tcpsec_ike_sa_get_info(). */
  memmove(child, child + 1, (sa->child_count - index - 1) * sizeof(ike_child));
  sa->child_count--;
  if (!copy.installed)
    return;
  tcpsec_log(sa->ctx, TCPSEC_LOG_INFO, IKE_LOG,
             "Child SA %08x/%08x deleted: %s", copy.spi_in, copy.spi_out,
             reason == 0 ? (copy.replaced ? "replaced by a rekey"
                                          : "local request")
             : reason == TCPSEC_ERR_IKE_SA_DELETED &&
                     sa->state == TCPSEC_IKE_SA_ESTABLISHED
                 ? "the peer deleted it"
                 : tcpsec_strerror(reason));
  tcpsec_ike_cb_child_deleted(sa, &copy, reason);
}

void tcpsec_ike_child_remove_all(tcpsec_ike_sa *sa, int reason) {
  while (sa->child_count > 0)
    tcpsec_ike_child_remove(sa, &sa->children[sa->child_count - 1], reason);
}

/* ---- formatting --------------------------------------------------------- */

void tcpsec_ike_endpoint_format(const tcpsec_ike_endpoint *ep, char *buf,
                                size_t len) {
  const uint8_t *a = ep->addr;

  if (ep->family == TCPSEC_IKE_FAMILY_IPV4) {
    snprintf(buf, len, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], ep->port);
  } else if (ep->family == TCPSEC_IKE_FAMILY_IPV6) {
    snprintf(buf, len, "[%x:%x:%x:%x:%x:%x:%x:%x]:%u", tcpsec_load_be16(a),
             tcpsec_load_be16(a + 2), tcpsec_load_be16(a + 4),
             tcpsec_load_be16(a + 6), tcpsec_load_be16(a + 8),
             tcpsec_load_be16(a + 10), tcpsec_load_be16(a + 12),
             tcpsec_load_be16(a + 14), ep->port);
  } else {
    snprintf(buf, len, "(no address)");
  }
}

void tcpsec_ike_spi_format(const uint8_t spi[8], char *buf, size_t len) {
  snprintf(buf, len, "%016llx", (unsigned long long)tcpsec_load_be64(spi));
}

/* ---- getters ------------------------------------------------------------ */

int tcpsec_ike_sa_state(const tcpsec_ike_sa *sa) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return sa->state;
}

int tcpsec_ike_sa_spis(const tcpsec_ike_sa *sa, uint8_t spi_i[8],
                       uint8_t spi_r[8]) {
  if (sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (spi_i != NULL)
    memcpy(spi_i, sa->spi_i, TCPSEC_IKE_SPI_LEN);
  if (spi_r != NULL)
    memcpy(spi_r, sa->spi_r, TCPSEC_IKE_SPI_LEN);
  return 0;
}

int tcpsec_ike_sa_get_info(const tcpsec_ike_sa *sa, tcpsec_ike_sa_info *info) {
  tcpsec_ike_sa_info full;
  size_t size, i;

  if (sa == NULL || info == NULL || info->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  size = info->size;
  memset(&full, 0, sizeof(full));
  full.size = TCPSEC_MIN(size, sizeof(full));
  full.state = sa->state;
  full.initiator = sa->initiator;
  full.nat_local = sa->nat_local;
  full.nat_remote = sa->nat_remote;
  full.peer_initial_contact = sa->peer_initial_contact;
  memcpy(full.spi_i, sa->spi_i, sizeof(full.spi_i));
  memcpy(full.spi_r, sa->spi_r, sizeof(full.spi_r));
  full.encr = sa->suite.encr;
  full.encr_key_bits = sa->suite.key_bits;
  full.prf = sa->suite.prf;
  full.integ = sa->suite.integ;
  full.ke_group = sa->suite.ke;
  full.transport = sa->cfg.pub.transport;
  full.local = sa->cfg.pub.local;
  full.remote = sa->cfg.pub.remote;
  full.established_ms = sa->established_ms;
  for (i = 0; i < sa->child_count; i++)
    full.child_sa_count += sa->children[i].installed;
  full.remote_id_type = sa->remote_id_type;
  full.remote_id = sa->remote_id_len > 0 ? sa->remote_id : NULL;
  full.remote_id_len = sa->remote_id_len;
  full.rekey_at_ms = sa->state == TCPSEC_IKE_SA_ESTABLISHED ? sa->ike_rekey_ms
                                                            : 0;
  full.expires_at_ms = sa->state == TCPSEC_IKE_SA_ESTABLISHED ? sa->expires_ms
                                                              : 0;
  memcpy(info, &full, TCPSEC_MIN(size, sizeof(full)));
  return 0;
}

int tcpsec_ike_sa_get_stats(const tcpsec_ike_sa *sa,
                            tcpsec_ike_sa_stats *stats) {
  size_t size;

  if (sa == NULL || stats == NULL || stats->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  size = TCPSEC_MIN(stats->size, sizeof(*stats));
  memcpy(stats, &sa->stats, size);
  stats->size = size;
  return 0;
}

int tcpsec_ike_message_peek(const uint8_t *data, size_t len,
                            tcpsec_ike_message_header *out) {
  tcpsec_ike_header hdr;
  int rv;

  if (data == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = tcpsec_ike_header_parse(&hdr, data, len);
  if (rv != 0)
    return rv;
  if (hdr.length > len)
    return TCPSEC_ERR_TRUNCATED;
  if (hdr.length != len)
    return TCPSEC_ERR_MALFORMED;
  memcpy(out->spi_i, hdr.spi_i, sizeof(out->spi_i));
  memcpy(out->spi_r, hdr.spi_r, sizeof(out->spi_r));
  out->next_payload = hdr.next_payload;
  out->version = hdr.version;
  out->exchange = hdr.exchange;
  out->flags = hdr.flags;
  out->message_id = hdr.message_id;
  out->length = hdr.length;
  return 0;
}
