/* ESP SA life cycle: configuration, creation, counters and lifetimes. */
#include <inttypes.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "esp/esp_internal.h"

void tcpsec_esp_sa_config_default(tcpsec_esp_sa_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->replay_window = TCPSEC_ESP_REPLAY_WINDOW_DEFAULT;
  cfg->iv_source = TCPSEC_ESP_IV_ENCRYPTED_COUNTER;
}

/* Copy the caller's configuration over the defaults, reading only the bytes
 * the caller's struct has. Bytes beyond this library's struct must be zero,
 * so that settings of a newer caller are never silently ignored. */
static int config_load(const tcpsec_esp_sa_config *cfg,
                       tcpsec_esp_sa_config *out) {
  const uint8_t *bytes = (const uint8_t *)cfg;
  size_t i;

  tcpsec_esp_sa_config_default(out);
  if (cfg->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = sizeof(*out); i < cfg->size; i++)
    if (bytes[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy(out, cfg, TCPSEC_MIN(cfg->size, sizeof(*out)));
  out->size = sizeof(*out);
  return 0;
}

static int config_check(const tcpsec_esp_sa_config *c) {
  if (c->spi == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->direction != TCPSEC_ESP_INBOUND && c->direction != TCPSEC_ESP_OUTBOUND)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->replay_window > TCPSEC_ESP_REPLAY_WINDOW_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (!c->esn && c->last_seq > UINT32_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->encr_key == NULL || (c->integ_key == NULL && c->integ_key_len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->iv_source != TCPSEC_ESP_IV_ENCRYPTED_COUNTER &&
      c->iv_source != TCPSEC_ESP_IV_RANDOM)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return 0;
}

/* AES-GCM-16 or ChaCha20-Poly1305: the key material ends with the salt. */
static int setup_aead(tcpsec_esp_sa *sa, const tcpsec_esp_sa_config *c,
                      const tcpsec_encr_info *info) {
  size_t key_len;

  if (c->integ != TCPSEC_INTEG_NONE || c->integ_key_len != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->encr_key_len <= ESP_AEAD_SALT_LEN)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  key_len = c->encr_key_len - ESP_AEAD_SALT_LEN;
  memcpy(sa->salt, c->encr_key + key_len, ESP_AEAD_SALT_LEN);
  sa->iv_len = ESP_AEAD_IV_LEN;
  sa->icv_len = info->icv_len;
  sa->block_len = ESP_MIN_ALIGN;
  return tcpsec_aead_new(sa->ctx, c->encr, c->encr_key, key_len, &sa->aead);
}

/* The IV counter key is random and lives only inside the cipher object. */
static int setup_iv_generator(tcpsec_esp_sa *sa) {
  uint8_t key[16];
  int rv;

  rv = tcpsec_random(sa->ctx, key, sizeof(key));
  if (rv == 0)
    rv = tcpsec_cbc_new(sa->ctx, key, sizeof(key), &sa->iv_gen);
  tcpsec_zeroize(key, sizeof(key));
  return rv;
}

/* AES-CBC with HMAC-SHA2 (RFC 3602, RFC 4868). */
static int setup_cbc(tcpsec_esp_sa *sa, const tcpsec_esp_sa_config *c) {
  const tcpsec_integ_info *integ;
  int rv;

  if (c->integ == TCPSEC_INTEG_NONE)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  integ = tcpsec_integ_lookup(c->integ);
  if (integ == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;
  if (c->integ_key_len != integ->key_len)
    return TCPSEC_ERR_INVALID_KEY_LENGTH;
  sa->iv_len = ESP_CBC_IV_LEN;
  sa->icv_len = integ->icv_len;
  sa->block_len = TCPSEC_AES_BLOCK_LEN;
  sa->hmac_hash = integ->hash;

  rv = tcpsec_cbc_new(sa->ctx, c->encr_key, c->encr_key_len, &sa->cbc);
  if (rv != 0)
    return rv;
  rv = tcpsec_hmac_key_new(sa->ctx, integ->hash, c->integ_key,
                           c->integ_key_len, &sa->hmac);
  if (rv != 0)
    return rv;
  if (c->direction == TCPSEC_ESP_OUTBOUND &&
      c->iv_source == TCPSEC_ESP_IV_ENCRYPTED_COUNTER)
    return setup_iv_generator(sa);
  return 0;
}

static const char *direction_name(tcpsec_esp_direction d) {
  return d == TCPSEC_ESP_INBOUND ? "inbound" : "outbound";
}

int tcpsec_esp_sa_new(tcpsec_ctx *ctx, const tcpsec_esp_sa_config *cfg,
                      uint64_t now_ms, tcpsec_esp_sa **out) {
  const tcpsec_encr_info *info;
  tcpsec_esp_sa_config c;
  tcpsec_esp_sa *sa;
  size_t words = 0, head, total;
  int rv;

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || cfg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = config_load(cfg, &c);
  if (rv == 0)
    rv = config_check(&c);
  if (rv != 0)
    return rv;
  info = tcpsec_encr_lookup(c.encr);
  if (info == NULL)
    return TCPSEC_ERR_UNKNOWN_ALGORITHM;

  /* One allocation: the SA, then the replay bitmap of an inbound SA. */
  if (c.direction == TCPSEC_ESP_INBOUND)
    words = tcpsec_replay_words(c.replay_window);
  head = (sizeof(*sa) + 7u) & ~(size_t)7u;
  total = head + words * sizeof(uint64_t);
  sa = tcpsec_calloc(ctx, 1, total);
  if (sa == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  sa->ctx = ctx;
  sa->alloc_size = total;
  sa->spi = c.spi;
  sa->direction = c.direction;
  sa->encr = c.encr;
  sa->integ = c.integ;
  sa->esn = c.esn != 0;
  sa->any_next_header = c.any_next_header != 0;
  sa->iv_source = c.iv_source;
  sa->soft = c.soft;
  sa->hard = c.hard;
  sa->event = c.event;
  sa->event_user = c.event_user;

  rv = info->aead ? setup_aead(sa, &c, info) : setup_cbc(sa, &c);
  if (rv != 0) {
    tcpsec_esp_sa_free(sa);
    return rv;
  }

  if (c.direction == TCPSEC_ESP_INBOUND) {
    tcpsec_replay_init(&sa->replay, c.replay_window,
                       words ? (uint64_t *)((uint8_t *)sa + head) : NULL,
                       c.last_seq);
    sa->stats.replay_window = c.replay_window;
  } else {
    sa->seq_out = c.last_seq;
  }
  sa->stats.spi = c.spi;
  sa->stats.created_ms = now_ms;

  tcpsec_log(ctx, TCPSEC_LOG_DEBUG, "esp",
             "created %s SA SPI 0x%08" PRIx32 ": %s, ESN %s, window %" PRIu32,
             direction_name(sa->direction), sa->spi, info->name,
             sa->esn ? "on" : "off", sa->stats.replay_window);
  *out = sa;
  return 0;
}

void tcpsec_esp_sa_free(tcpsec_esp_sa *sa) {
  if (sa == NULL)
    return;
  tcpsec_aead_free(sa->aead);
  tcpsec_cbc_free(sa->cbc);
  tcpsec_hmac_key_free(sa->hmac);
  tcpsec_cbc_free(sa->iv_gen);
  /* The salt is key material, so the whole allocation is wiped. */
  tcpsec_free_secret(sa->ctx, sa, sa->alloc_size);
}

uint32_t tcpsec_esp_sa_spi(const tcpsec_esp_sa *sa) {
  return sa != NULL ? sa->spi : 0;
}

tcpsec_esp_direction tcpsec_esp_sa_direction(const tcpsec_esp_sa *sa) {
  return sa != NULL ? sa->direction : (tcpsec_esp_direction)0;
}

size_t tcpsec_esp_sa_headroom(const tcpsec_esp_sa *sa) {
  return sa != NULL ? esp_header_len(sa) : TCPSEC_ESP_HEADROOM_MAX;
}

size_t tcpsec_esp_sa_tailroom(const tcpsec_esp_sa *sa) {
  if (sa == NULL)
    return TCPSEC_ESP_TAILROOM_MAX;
  return (size_t)(sa->block_len - 1) + ESP_TRAILER_LEN + sa->icv_len;
}

size_t tcpsec_esp_sa_sealed_len(const tcpsec_esp_sa *sa, size_t inner_len) {
  size_t body;

  if (sa == NULL)
    return 0;
  body = inner_len + ESP_TRAILER_LEN;
  body += (sa->block_len - body % sa->block_len) % sa->block_len;
  return esp_header_len(sa) + body + sa->icv_len;
}

int tcpsec_esp_overlaps(const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen) {
  uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

  if (alen == 0 || blen == 0)
    return 0;
  return pa < pb + blen && pb < pa + alen;
}

/* ---- lifetimes and events ------------------------------------------------ */

static int lifetime_reached(const tcpsec_esp_lifetime *lt,
                            const tcpsec_esp_sa_stats *st, uint64_t now_ms) {
  if (lt->packets != 0 && st->packets >= lt->packets)
    return 1;
  if (lt->bytes != 0 && st->bytes >= lt->bytes)
    return 1;
  if (lt->time_ms != 0 && now_ms >= st->created_ms &&
      now_ms - st->created_ms >= lt->time_ms)
    return 1;
  return 0;
}

void tcpsec_esp_sa_raise(tcpsec_esp_sa *sa, tcpsec_esp_event event,
                         const char *reason) {
  uint32_t bit = event == TCPSEC_ESP_EVENT_REKEY ? TCPSEC_ESP_STATUS_REKEY
                                                 : TCPSEC_ESP_STATUS_EXPIRED;

  if (sa->status & bit)
    return;
  sa->status |= bit;
  tcpsec_log(sa->ctx, TCPSEC_LOG_NOTICE, "esp",
             "%s SA SPI 0x%08" PRIx32 ": %s after %" PRIu64 " packets and %"
             PRIu64 " bytes; %s",
             direction_name(sa->direction), sa->spi, reason,
             sa->stats.packets, sa->stats.bytes,
             event == TCPSEC_ESP_EVENT_REKEY
                 ? "requesting a rekey, the SA keeps working"
                 : "the SA is unusable and must be deleted");
  if (sa->event != NULL)
    sa->event(sa->event_user, sa, event);
}

uint32_t tcpsec_esp_sa_check_lifetime(tcpsec_esp_sa *sa, uint64_t now_ms) {
  /* The soft limit is reported first, also when both are crossed at once,
   * so that a caller always sees a rekey request before the expiry. */
  if (!(sa->status & TCPSEC_ESP_STATUS_REKEY) &&
      lifetime_reached(&sa->soft, &sa->stats, now_ms))
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_REKEY, "soft lifetime reached");
  if (!(sa->status & TCPSEC_ESP_STATUS_EXPIRED) &&
      lifetime_reached(&sa->hard, &sa->stats, now_ms)) {
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_REKEY, "hard lifetime reached");
    tcpsec_esp_sa_raise(sa, TCPSEC_ESP_EVENT_EXPIRED, "hard lifetime reached");
  }
  return sa->status;
}

void tcpsec_esp_sa_account(tcpsec_esp_sa *sa, size_t bytes, uint64_t now_ms) {
  sa->stats.packets++;
  sa->stats.bytes += bytes;
  sa->stats.last_use_ms = now_ms;
  tcpsec_esp_sa_check_lifetime(sa, now_ms);
}

uint32_t tcpsec_esp_sa_status(const tcpsec_esp_sa *sa) {
  return sa != NULL ? sa->status : 0;
}

static uint64_t deadline(const tcpsec_esp_lifetime *lt, uint64_t created) {
  if (lt->time_ms == 0 || lt->time_ms > UINT64_MAX - created)
    return UINT64_MAX;
  return created + lt->time_ms;
}

uint64_t tcpsec_esp_sa_next_timeout(const tcpsec_esp_sa *sa) {
  uint64_t next = UINT64_MAX;

  if (sa == NULL)
    return UINT64_MAX;
  if (!(sa->status & TCPSEC_ESP_STATUS_REKEY))
    next = deadline(&sa->soft, sa->stats.created_ms);
  if (!(sa->status & TCPSEC_ESP_STATUS_EXPIRED))
    next = TCPSEC_MIN(next, deadline(&sa->hard, sa->stats.created_ms));
  return next;
}

uint32_t tcpsec_esp_sa_handle_timeout(tcpsec_esp_sa *sa, uint64_t now_ms) {
  if (sa == NULL)
    return 0;
  return tcpsec_esp_sa_check_lifetime(sa, now_ms);
}

int tcpsec_esp_sa_get_stats(const tcpsec_esp_sa *sa,
                            tcpsec_esp_sa_stats *stats) {
  tcpsec_esp_sa_stats s;
  size_t n;

  if (sa == NULL || stats == NULL || stats->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  s = sa->stats;
  s.size = stats->size;
  s.status = sa->status;
  s.last_seq = sa->direction == TCPSEC_ESP_INBOUND ? sa->replay.top
                                                   : sa->seq_out;
  n = TCPSEC_MIN(stats->size, sizeof(s));
  memcpy(stats, &s, n);
  return 0;
}
