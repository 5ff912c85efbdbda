/*
 * The responder's entry for IKE_SA_INIT requests that belong to no IKE SA,
 * with stateless cookies (RFC 7296 section 2.6).
 *
 * While fewer than cookie_threshold IKE SAs are half-open, a request
 * creates the responder IKE SA at once. Above it, a request must carry a
 * valid COOKIE notify; one without gets only HDR(A,0), N(COOKIE) back and
 * leaves no state. The cookie is
 *
 *   Cookie = <secret version> | HMAC-SHA-256(<secret>, Ni | IPi | SPIi)
 *
 * following the example of section 2.6. The initiator's port is left out,
 * because over TCP the second request may come on a new connection (RFC
 * 9329 section 6.3). A new secret is drawn every cookie_secret_lifetime_ms;
 * cookies of the previous secret stay valid for one more period.
 */
#include "ike/ike_sa.h"

#include <string.h>

#define COOKIE_SECRET_LEN 32
#define COOKIE_MAC_LEN 32
#define COOKIE_LEN (1 + COOKIE_MAC_LEN)

struct tcpsec_ike_responder {
  tcpsec_ctx *ctx;
  tcpsec_ike_responder_config cfg;
  uint8_t secret[2][COOKIE_SECRET_LEN]; /* [current], [previous] */
  uint8_t version[2];
  uint8_t have_previous;
  uint8_t clock_started;
  uint64_t secret_since_ms;
  uint32_t half_open;
  uint64_t dropped; /* requests dropped without a response */
};

void tcpsec_ike_responder_config_default(tcpsec_ike_responder_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->cookie_threshold = 16;
  cfg->cookie_secret_lifetime_ms = 300000;
}

int tcpsec_ike_responder_new(tcpsec_ctx *ctx,
                             const tcpsec_ike_responder_config *cfg,
                             tcpsec_ike_responder **out) {
  tcpsec_ike_responder *r;
  int rv;

  if (ctx == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  r = tcpsec_calloc(ctx, 1, sizeof(*r));
  if (r == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  r->ctx = ctx;
  tcpsec_ike_responder_config_default(&r->cfg);
  rv = cfg == NULL
           ? 0
           : tcpsec_ike_load_versioned(cfg, cfg->size, &r->cfg, sizeof(r->cfg));
  if (rv == 0 && r->cfg.cookie_secret_lifetime_ms == 0)
    rv = TCPSEC_ERR_INVALID_ARGUMENT;
  if (rv == 0)
    rv = tcpsec_random(ctx, r->secret[0], COOKIE_SECRET_LEN);
  if (rv != 0) {
    tcpsec_free_secret(ctx, r, sizeof(*r));
    return rv;
  }
  *out = r;
  return 0;
}

void tcpsec_ike_responder_free(tcpsec_ike_responder *resp) {
  if (resp == NULL)
    return;
  tcpsec_free_secret(resp->ctx, resp, sizeof(*resp));
}

uint32_t tcpsec_ike_responder_half_open(const tcpsec_ike_responder *resp) {
  return resp == NULL ? 0 : resp->half_open;
}

void tcpsec_ike_responder_half_open_add(tcpsec_ike_responder *resp, int delta) {
  if (delta < 0 && resp->half_open > 0)
    resp->half_open--;
  else if (delta > 0)
    resp->half_open++;
}

/* Draw a new secret when the current one is older than its lifetime. */
static int rotate_secret(tcpsec_ike_responder *r, uint64_t now_ms) {
  int rv;

  if (!r->clock_started) {
    r->clock_started = 1;
    r->secret_since_ms = now_ms;
    return 0;
  }
  if (now_ms - r->secret_since_ms < r->cfg.cookie_secret_lifetime_ms)
    return 0;
  /* Two periods without a request: the previous secret is too old too. */
  r->have_previous =
      now_ms - r->secret_since_ms < 2ull * r->cfg.cookie_secret_lifetime_ms;
  memcpy(r->secret[1], r->secret[0], COOKIE_SECRET_LEN);
  r->version[1] = r->version[0];
  r->version[0]++;
  r->secret_since_ms = now_ms;
  rv = tcpsec_random(r->ctx, r->secret[0], COOKIE_SECRET_LEN);
  if (rv != 0)
    tcpsec_log(r->ctx, TCPSEC_LOG_ERROR, IKE_LOG,
               "drawing a new cookie secret failed: %s; the old one stays",
               tcpsec_strerror(rv));
  return rv;
}

static int cookie_mac(tcpsec_ike_responder *r, int secret_index,
                      const tcpsec_ike_opaque *ni,
                      const tcpsec_ike_endpoint *peer, const uint8_t spi_i[8],
                      uint8_t *out) {
  uint8_t mac[TCPSEC_HASH_MAX_LEN];
  tcpsec_iov iov[3];
  int rv;

  iov[0].data = ni->data;
  iov[0].len = ni->len;
  iov[1].data = peer->addr;
  iov[1].len = peer->family == TCPSEC_IKE_FAMILY_IPV6 ? 16 : 4;
  iov[2].data = spi_i;
  iov[2].len = TCPSEC_IKE_SPI_LEN;
  rv = tcpsec_hmac(r->ctx, TCPSEC_HASH_SHA256, r->secret[secret_index],
                   COOKIE_SECRET_LEN, iov, 3, mac);
  memcpy(out, mac, COOKIE_MAC_LEN);
  tcpsec_zeroize(mac, sizeof(mac));
  return rv;
}

static int cookie_valid(tcpsec_ike_responder *r, const tcpsec_ike_notify *n,
                        const tcpsec_ike_opaque *ni,
                        const tcpsec_ike_endpoint *peer,
                        const uint8_t spi_i[8]) {
  uint8_t mac[COOKIE_MAC_LEN];
  int secret_index, ok;

  if (n->len != COOKIE_LEN)
    return 0;
  if (n->data[0] == r->version[0])
    secret_index = 0;
  else if (r->have_previous && n->data[0] == r->version[1])
    secret_index = 1;
  else
    return 0;
  if (cookie_mac(r, secret_index, ni, peer, spi_i, mac) != 0)
    return 0;
  ok = tcpsec_ct_memcmp(mac, n->data + 1, COOKIE_MAC_LEN) == 0;
  tcpsec_zeroize(mac, sizeof(mac));
  return ok;
}

/* Returns 0 when the request may create an IKE SA, or
 * TCPSEC_ERR_COOKIE_REQUIRED after a COOKIE reply. */
static int check_cookie(tcpsec_ike_responder *r, const tcpsec_ike_msg *msg,
                        const tcpsec_ike_opaque *ni,
                        const tcpsec_ike_config *cfg,
                        const tcpsec_ike_callbacks *cb) {
  const tcpsec_ike_payload *n;
  uint8_t cookie[COOKIE_LEN];
  int rv;

  if (r->half_open < r->cfg.cookie_threshold)
    return 0;
  n = tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_COOKIE);
  if (n != NULL &&
      cookie_valid(r, &n->u.notify, ni, &cfg->remote, msg->header.spi_i))
    return 0;

  /* Missing or invalid: respond with a fresh cookie (section 2.6). */
  cookie[0] = r->version[0];
  rv = cookie_mac(r, 0, ni, &cfg->remote, msg->header.spi_i, cookie + 1);
  if (rv == 0) {
    tcpsec_log(r->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
               "%u IKE SAs half-open and the IKE_SA_INIT request has %s; "
               "responding with a cookie",
               r->half_open, n == NULL ? "no cookie" : "an invalid cookie");
    rv = tcpsec_ike_send_stateless(r->ctx, cb, cfg, &msg->header,
                                   TCPSEC_IKE_N_COOKIE, cookie, sizeof(cookie));
  }
  tcpsec_zeroize(cookie, sizeof(cookie));
  return rv == 0 ? TCPSEC_ERR_COOKIE_REQUIRED : rv;
}

/* Header checks for a first IKE_SA_INIT request. */
static int check_header(const tcpsec_ike_header *h, size_t len) {
  if (h->length != len)
    return h->length > len ? TCPSEC_ERR_TRUNCATED : TCPSEC_ERR_MALFORMED;
  if (h->exchange != TCPSEC_IKE_EXCH_IKE_SA_INIT ||
      (h->flags & TCPSEC_IKE_FLAG_RESPONSE) ||
      !(h->flags & TCPSEC_IKE_FLAG_INITIATOR) || h->message_id != 0 ||
      tcpsec_load_be64(h->spi_r) != 0 || tcpsec_load_be64(h->spi_i) == 0)
    return TCPSEC_ERR_INVALID_IKE_SPI;
  return 0;
}

/* Stage-1 parse. Sends the stateless response RFC 7296 requires for an
 * unknown critical payload (section 2.5) and logs the request. */
static int parse_request(tcpsec_ike_responder *r, const tcpsec_ike_config *cfg,
                         const tcpsec_ike_callbacks *cb, tcpsec_ike_msg *msg,
                         const uint8_t *data, size_t len) {
  tcpsec_ike_parse_error err;
  uint8_t type;
  int rv;

  rv = tcpsec_ike_msg_parse(msg, data, len, &err);
  if (rv == TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD) {
    type = err.unsupported_type;
    (void)tcpsec_ike_send_stateless(r->ctx, cb, cfg, &msg->header,
                                    TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
                                    &type, 1);
    return rv;
  }
  if (rv == 0 && msg->sk_index >= 0)
    rv = TCPSEC_ERR_INVALID_SYNTAX;
  if (rv != 0) {
    r->dropped++;
    if (tcpsec_ike_log_drop(r->dropped))
      tcpsec_log(r->ctx, TCPSEC_LOG_DEBUG, IKE_LOG,
                 "dropped a %zu-byte IKE_SA_INIT request (%s); %llu such "
                 "drops so far",
                 len,
                 rv == TCPSEC_ERR_INVALID_SYNTAX ? "SK payload" : err.reason,
                 (unsigned long long)r->dropped);
    return rv;
  }
  tcpsec_ike_log_peer_message(r->ctx, cfg, "received", msg);
  return 0;
}

int tcpsec_ike_responder_input(tcpsec_ike_responder *resp,
                               const tcpsec_ike_config *cfg,
                               const tcpsec_ike_callbacks *cb,
                               const uint8_t *data, size_t len, uint64_t now_ms,
                               tcpsec_ike_sa **out) {
  const tcpsec_ike_payload *nonce;
  tcpsec_ike_callbacks callbacks;
  tcpsec_ike_config config;
  tcpsec_ike_header hdr;
  tcpsec_ike_msg *msg;
  tcpsec_ike_sa *sa = NULL;
  int rv;

  if (out != NULL)
    *out = NULL;
  if (resp == NULL || cfg == NULL || cb == NULL || data == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  /* Shallow copies with the caller's sizes honoured; the IKE SA makes the
   * deep, validated copy of the configuration later. */
  tcpsec_ike_callbacks_default(&callbacks);
  rv = tcpsec_ike_load_versioned(cb, cb->size, &callbacks, sizeof(callbacks));
  if (rv != 0 || callbacks.send == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_ike_config_default(&config);
  if (tcpsec_ike_load_versioned(cfg, cfg->size, &config, sizeof(config)) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  rv = tcpsec_ike_header_parse(&hdr, data, len);
  if (rv == 0)
    rv = check_header(&hdr, len);
  if (rv != 0)
    return rv;
  (void)rotate_secret(resp, now_ms);

  msg = tcpsec_malloc(resp->ctx, sizeof(*msg));
  if (msg == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  rv = parse_request(resp, &config, &callbacks, msg, data, len);
  if (rv != 0)
    goto out;
  nonce = tcpsec_ike_msg_find(msg, TCPSEC_IKE_PT_NONCE, 0);
  if (nonce == NULL) {
    rv = TCPSEC_ERR_INVALID_SYNTAX;
    goto out;
  }
  rv = check_cookie(resp, msg, &nonce->u.opaque, &config, &callbacks);
  if (rv != 0)
    goto out;

  rv = tcpsec_ike_sa_create(resp->ctx, cfg, &callbacks, 0, &sa);
  if (rv == 0)
    rv = tcpsec_ike_init_respond(sa, msg, data, len, now_ms);
  if (rv != 0) {
    tcpsec_ike_sa_free(sa);
    goto out;
  }
  sa->responder = resp;
  resp->half_open++;
  *out = sa;

out:
  tcpsec_free(resp->ctx, msg);
  return rv;
}
