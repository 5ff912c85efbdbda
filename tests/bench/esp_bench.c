/*
 * ESP seal and open throughput against Mbed TLS called directly, SA
 * database lookup rates with 100,000 Child SAs, and bytes per SA.
 *
 *   esp_bench [--smoke]
 *
 * For every transform and inner packet size (64, 512, 1400, 8000 bytes)
 * the program times tcpsec_esp_sa_seal() and tcpsec_esp_sa_open(). It also
 * times the bare Mbed TLS calls that do the cryptographic work of the same
 * packet on the same buffers: AEAD encryption or decryption of the padded
 * payload with the 12-byte ESN AAD, or AES-CBC plus HMAC over header,
 * ciphertext and the high sequence number bits. The SAs use ESN. The ratio
 * is tcpsec throughput divided by Mbed TLS throughput, so 1.00 means the
 * ESP layer costs nothing on top of the cipher. Each figure is the best of
 * several rounds that alternate between the two.
 *
 * Where a buffer lies relative to the cipher's key tables changes the speed
 * of the same code by up to about 8% on the machine in docs/benchmarks.md
 * (4 KiB aliasing between stores and loads), so both sides write their
 * output to the same rotating set of placements. Time is the thread's CPU
 * time, so other processes on a busy machine disturb the figures less
 * (they still share the caches).
 *
 * Seal runs in place, the zero-copy use: each call first copies the inner
 * packet behind the room for the ESP header, on both sides, because sealing
 * in place encrypts it. Open reads a batch of distinct sealed packets into a
 * separate buffer, so the anti-replay window (2048 packets) is checked and
 * updated as in real traffic.
 *
 * --smoke runs a tiny workload that only shows the program still works.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/aes.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>

#include "core/util.h"
#include "tcpsec/tcpsec.h"

static int smoke;

/* ---- timing ------------------------------------------------------------- */

/* CPU time of this thread: time slices given to other processes do not
 * count. */
static double now_seconds(void) {
  struct timespec ts;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*op_fn)(void *state, size_t i);

/* Calls per second of fn, running for at least min_seconds. */
static double rate_of(op_fn fn, void *state, double min_seconds) {
  size_t calls = 0, batch = 16, i;
  double start = now_seconds(), elapsed;

  do {
    for (i = 0; i < batch; i++)
      if (fn(state, calls + i) != 0) {
        fprintf(stderr, "esp_bench: operation failed\n");
        exit(1);
      }
    calls += batch;
    elapsed = now_seconds() - start;
    if (batch < 4096)
      batch *= 2;
  } while (elapsed < min_seconds);
  return (double)calls / elapsed;
}

/* ---- one transform at one size ------------------------------------------ */

struct transform {
  const char *name;
  uint16_t encr;
  size_t encr_key_len; /* with the salt for AEAD */
  uint16_t integ;
  size_t integ_key_len;
  mbedtls_md_type_t md;
  size_t icv_len;
};

static const struct transform transforms[] = {
  {"AES-GCM-16 128", TCPSEC_ENCR_AES_GCM_16, 20, TCPSEC_INTEG_NONE, 0,
   MBEDTLS_MD_NONE, 16},
  {"AES-GCM-16 256", TCPSEC_ENCR_AES_GCM_16, 36, TCPSEC_INTEG_NONE, 0,
   MBEDTLS_MD_NONE, 16},
  {"ChaCha20-Poly1305", TCPSEC_ENCR_CHACHA20_POLY1305, 36, TCPSEC_INTEG_NONE,
   0, MBEDTLS_MD_NONE, 16},
  {"AES-CBC 128 + SHA2-256-128", TCPSEC_ENCR_AES_CBC, 16,
   TCPSEC_INTEG_HMAC_SHA2_256_128, 32, MBEDTLS_MD_SHA256, 16},
  {"AES-CBC 256 + SHA2-512-256", TCPSEC_ENCR_AES_CBC, 32,
   TCPSEC_INTEG_HMAC_SHA2_512_256, 64, MBEDTLS_MD_SHA512, 32},
};

static const uint8_t key_bytes[64] = {
  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
  0x76, 0x54, 0x32, 0x10, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
  0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x11, 0x22, 0x33, 0x44,
  0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
  0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0xef, 0xcd, 0xab, 0x89,
  0x67, 0x45, 0x23, 0x01};

/* Output placements that both sides rotate through: 16 offsets, 144 bytes
 * apart (16-byte aligned, different cache line offsets and pages). */
#define PLACEMENTS 16
#define PLACEMENT_STRIDE 144

struct run {
  const struct transform *t;
  size_t inner_len, esp_len, hdr, body_len, batch;
  size_t opened;     /* packets of the batch the inbound SA has seen */
  size_t ref_opened; /* the same position for the direct calls */
  size_t sealed, ref_sealed; /* calls so far, for the output placement */
  tcpsec_ctx *ctx;
  tcpsec_esp_sa *out_sa, *in_sa;
  tcpsec_esp_sa_config cfg;
  uint8_t *inner, *packets, *plain_area;
  /* Mbed TLS state for the direct calls. */
  mbedtls_gcm_context gcm;
  mbedtls_chachapoly_context chachapoly;
  mbedtls_aes_context aes_enc, aes_dec;
  mbedtls_md_context_t hmac;
  uint8_t nonce[12], aad[12], iv[16], tag[64];
};

/* Output buffer for the n-th call. */
static uint8_t *placement(struct run *r, size_t n) {
  return r->plain_area + (n % PLACEMENTS) * PLACEMENT_STRIDE;
}

static void make_inner(uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 13);
  p[0] = 0x45;
  tcpsec_store_be16(p + 2, (uint16_t)len);
}

static int tcpsec_seal_op(void *state, size_t i) {
  struct run *r = state;
  uint8_t *out = placement(r, r->sealed++);
  ptrdiff_t n;

  (void)i;
  memcpy(out + r->hdr, r->inner, r->inner_len);
  n = tcpsec_esp_sa_seal(r->out_sa, out + r->hdr, r->inner_len, out,
                         r->esp_len, 1);
  return n == (ptrdiff_t)r->esp_len ? 0 : -1;
}

static int tcpsec_open_op(void *state, size_t i) {
  struct run *r = state;
  ptrdiff_t n;

  /* A fresh SA for every pass over the batch, so that its sequence numbers
   * are new again. This happens once per `batch` packets. */
  (void)i;
  if (r->opened == r->batch) {
    tcpsec_esp_sa_free(r->in_sa);
    r->in_sa = NULL;
    r->cfg.direction = TCPSEC_ESP_INBOUND;
    if (tcpsec_esp_sa_new(r->ctx, &r->cfg, 0, &r->in_sa) != 0)
      return -1;
    r->opened = 0;
  }
  n = tcpsec_esp_sa_open(r->in_sa, r->packets + r->opened * r->esp_len,
                         r->esp_len, placement(r, r->opened), r->esp_len, 1,
                         NULL);
  r->opened++;
  return n == (ptrdiff_t)r->inner_len ? 0 : -1;
}

/* HMAC over the packet and the 4 high bits of the ESN, as ESP does. */
static int hmac_over(struct run *r, const uint8_t *data, size_t len,
                     uint8_t *mac) {
  static const uint8_t seq_hi[4] = {0, 0, 0, 0};

  return mbedtls_md_hmac_reset(&r->hmac) ||
         mbedtls_md_hmac_update(&r->hmac, data, len) ||
         mbedtls_md_hmac_update(&r->hmac, seq_hi, sizeof(seq_hi)) ||
         mbedtls_md_hmac_finish(&r->hmac, mac);
}

static int mbedtls_seal_op(void *state, size_t i) {
  struct run *r = state;
  uint8_t *out = placement(r, r->ref_sealed++), *body = out + r->hdr;

  (void)i;
  memcpy(body, r->inner, r->inner_len);
  if (r->t->encr == TCPSEC_ENCR_AES_GCM_16)
    return mbedtls_gcm_crypt_and_tag(&r->gcm, MBEDTLS_GCM_ENCRYPT, r->body_len,
                                     r->nonce, 12, r->aad, 12, body, body, 16,
                                     body + r->body_len);
  if (r->t->encr == TCPSEC_ENCR_CHACHA20_POLY1305)
    return mbedtls_chachapoly_encrypt_and_tag(&r->chachapoly, r->body_len,
                                              r->nonce, r->aad, 12, body, body,
                                              body + r->body_len);
  memcpy(r->iv, out + 8, 16);
  return mbedtls_aes_crypt_cbc(&r->aes_enc, MBEDTLS_AES_ENCRYPT, r->body_len,
                               r->iv, body, body) ||
         hmac_over(r, out, r->hdr + r->body_len, r->tag);
}

/* Nonce (salt | IV) and AAD (SPI | seq high | seq low) of a sealed packet,
 * so that the direct decryption authenticates like ESP open does. */
static void packet_nonce_aad(struct run *r, const uint8_t *pkt) {
  memcpy(r->nonce + 4, pkt + 8, 8);
  memcpy(r->aad, pkt, 4);
  memset(r->aad + 4, 0, 4);
  memcpy(r->aad + 8, pkt + 4, 4);
}

static int mbedtls_open_op(void *state, size_t i) {
  struct run *r = state;
  const uint8_t *pkt, *body;
  uint8_t *plain;

  /* Walk the batch like tcpsec_open_op does, so both see the same cache
   * behaviour. */
  (void)i;
  if (r->ref_opened == r->batch)
    r->ref_opened = 0;
  plain = placement(r, r->ref_opened);
  pkt = r->packets + r->ref_opened++ * r->esp_len;
  body = pkt + r->hdr;

  if (r->t->encr == TCPSEC_ENCR_AES_GCM_16) {
    packet_nonce_aad(r, pkt);
    return mbedtls_gcm_auth_decrypt(&r->gcm, r->body_len, r->nonce, 12,
                                    r->aad, 12, body + r->body_len, 16, body,
                                    plain);
  }
  if (r->t->encr == TCPSEC_ENCR_CHACHA20_POLY1305) {
    packet_nonce_aad(r, pkt);
    return mbedtls_chachapoly_auth_decrypt(&r->chachapoly, r->body_len,
                                           r->nonce, r->aad, 12,
                                           body + r->body_len, body, plain);
  }
  memcpy(r->iv, pkt + 8, 16);
  if (hmac_over(r, pkt, r->hdr + r->body_len, r->tag) != 0 ||
      tcpsec_ct_memcmp(r->tag, body + r->body_len, r->t->icv_len) != 0)
    return -1;
  return mbedtls_aes_crypt_cbc(&r->aes_dec, MBEDTLS_AES_DECRYPT, r->body_len,
                               r->iv, body, plain);
}

static int run_setup(struct run *r, tcpsec_ctx *ctx, const struct transform *t,
                     size_t inner_len) {
  size_t i;

  memset(r, 0, sizeof(*r));
  r->t = t;
  r->ctx = ctx;
  r->inner_len = inner_len;
  tcpsec_esp_sa_config_default(&r->cfg);
  r->cfg.spi = 0x1234;
  r->cfg.direction = TCPSEC_ESP_OUTBOUND;
  r->cfg.encr = t->encr;
  r->cfg.encr_key = key_bytes;
  r->cfg.encr_key_len = t->encr_key_len;
  r->cfg.integ = t->integ;
  r->cfg.integ_key = t->integ_key_len ? key_bytes : NULL;
  r->cfg.integ_key_len = t->integ_key_len;
  r->cfg.esn = 1;
  if (tcpsec_esp_sa_new(ctx, &r->cfg, 0, &r->out_sa) != 0)
    return -1;
  r->cfg.direction = TCPSEC_ESP_INBOUND;
  if (tcpsec_esp_sa_new(ctx, &r->cfg, 0, &r->in_sa) != 0)
    return -1;

  r->hdr = tcpsec_esp_sa_headroom(r->out_sa);
  r->esp_len = tcpsec_esp_sa_sealed_len(r->out_sa, inner_len);
  r->body_len = r->esp_len - r->hdr - t->icv_len;
  r->batch = 4096;
  if (inner_len >= 8000)
    r->batch = 1024;
  if (smoke)
    r->batch = 16;
  r->inner = malloc(inner_len);
  r->plain_area = calloc(1, r->esp_len + PLACEMENTS * PLACEMENT_STRIDE);
  r->packets = malloc(r->batch * r->esp_len);
  if (r->inner == NULL || r->plain_area == NULL ||
      r->packets == NULL)
    return -1;
  make_inner(r->inner, inner_len);
  for (i = 0; i < r->batch; i++)
    if (tcpsec_esp_sa_seal(r->out_sa, r->inner, inner_len,
                           r->packets + i * r->esp_len, r->esp_len, 1) < 0)
      return -1;

  memcpy(r->nonce, key_bytes + t->encr_key_len - 4, 4);
  packet_nonce_aad(r, r->packets);
  mbedtls_gcm_init(&r->gcm);
  mbedtls_chachapoly_init(&r->chachapoly);
  mbedtls_aes_init(&r->aes_enc);
  mbedtls_aes_init(&r->aes_dec);
  mbedtls_md_init(&r->hmac);
  if (t->encr == TCPSEC_ENCR_AES_GCM_16)
    return mbedtls_gcm_setkey(&r->gcm, MBEDTLS_CIPHER_ID_AES, key_bytes,
                              (unsigned)(t->encr_key_len - 4) * 8);
  if (t->encr == TCPSEC_ENCR_CHACHA20_POLY1305)
    return mbedtls_chachapoly_setkey(&r->chachapoly, key_bytes);
  return mbedtls_aes_setkey_enc(&r->aes_enc, key_bytes,
                                (unsigned)t->encr_key_len * 8) ||
         mbedtls_aes_setkey_dec(&r->aes_dec, key_bytes,
                                (unsigned)t->encr_key_len * 8) ||
         mbedtls_md_setup(&r->hmac, mbedtls_md_info_from_type(t->md), 1) ||
         mbedtls_md_hmac_starts(&r->hmac, key_bytes, t->integ_key_len);
}

static void run_free(struct run *r) {
  tcpsec_esp_sa_free(r->out_sa);
  tcpsec_esp_sa_free(r->in_sa);
  mbedtls_gcm_free(&r->gcm);
  mbedtls_chachapoly_free(&r->chachapoly);
  mbedtls_aes_free(&r->aes_enc);
  mbedtls_aes_free(&r->aes_dec);
  mbedtls_md_free(&r->hmac);
  free(r->inner);
  free(r->plain_area);
  free(r->packets);
}

/* Best rates of a and b over alternating rounds. */
static void compare(op_fn a, op_fn b, void *state, double *rate_a,
                    double *rate_b) {
  int rounds = smoke ? 1 : 7, i;
  double seconds = smoke ? 0.001 : 0.15;

  *rate_a = *rate_b = 0;
  for (i = 0; i < rounds; i++) {
    double ra = rate_of(a, state, seconds), rb = rate_of(b, state, seconds);
    *rate_a = ra > *rate_a ? ra : *rate_a;
    *rate_b = rb > *rate_b ? rb : *rate_b;
  }
}

static int bench_throughput(tcpsec_ctx *ctx) {
  static const size_t sizes[] = {64, 512, 1400, 8000};
  size_t t, s;

  printf("%-27s %5s  %9s %9s %5s  %9s %9s %5s\n", "transform", "bytes",
         "seal MB/s", "mbedtls", "ratio", "open MB/s", "mbedtls", "ratio");
  for (t = 0; t < TCPSEC_ARRAY_SIZE(transforms); t++) {
    for (s = 0; s < TCPSEC_ARRAY_SIZE(sizes); s++) {
      struct run r;
      double seal, seal_ref, open, open_ref, mb = (double)sizes[s] / 1e6;

      if (run_setup(&r, ctx, &transforms[t], sizes[s]) != 0) {
        fprintf(stderr, "esp_bench: setup of %s failed\n", transforms[t].name);
        run_free(&r);
        return 1;
      }
      compare(tcpsec_seal_op, mbedtls_seal_op, &r, &seal, &seal_ref);
      compare(tcpsec_open_op, mbedtls_open_op, &r, &open, &open_ref);
      printf("%-27s %5zu  %9.1f %9.1f %5.2f  %9.1f %9.1f %5.2f\n",
             transforms[t].name, sizes[s], seal * mb, seal_ref * mb,
             seal / seal_ref, open * mb, open_ref * mb, open / open_ref);
      run_free(&r);
    }
  }
  return 0;
}

/* ---- memory and SA database --------------------------------------------- */

/* Allocator that counts live bytes (a size header precedes each block). */
struct counter {
  size_t live;
};

#define HEADER 16

static void *count_malloc(size_t size, void *user) {
  struct counter *c = user;
  uint8_t *p = malloc(size + HEADER);

  if (p == NULL)
    return NULL;
  memcpy(p, &size, sizeof(size));
  c->live += size;
  return p + HEADER;
}

static void count_free(void *ptr, void *user) {
  struct counter *c = user;
  size_t size;

  if (ptr == NULL)
    return;
  memcpy(&size, (uint8_t *)ptr - HEADER, sizeof(size));
  c->live -= size;
  free((uint8_t *)ptr - HEADER);
}

static void *count_realloc(void *ptr, size_t size, void *user) {
  void *p = count_malloc(size, user);
  size_t old;

  if (p == NULL || ptr == NULL)
    return p;
  memcpy(&old, (uint8_t *)ptr - HEADER, sizeof(old));
  memcpy(p, ptr, old < size ? old : size);
  count_free(ptr, user);
  return p;
}

static uint64_t xorshift(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static tcpsec_esp_sa *gcm_sa(tcpsec_ctx *ctx, uint32_t spi,
                             tcpsec_esp_direction dir) {
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;

  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = spi;
  cfg.direction = dir;
  cfg.encr = TCPSEC_ENCR_AES_GCM_16;
  cfg.encr_key = key_bytes;
  cfg.encr_key_len = 20;
  if (tcpsec_esp_sa_new(ctx, &cfg, 0, &sa) != 0)
    return NULL;
  return sa;
}

static size_t bytes_of_sa(tcpsec_ctx *ctx, struct counter *c,
                          const struct transform *t,
                          tcpsec_esp_direction dir) {
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;
  size_t before = c->live, bytes;

  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = 0x999;
  cfg.direction = dir;
  cfg.encr = t->encr;
  cfg.encr_key = key_bytes;
  cfg.encr_key_len = t->encr_key_len;
  cfg.integ = t->integ;
  cfg.integ_key = t->integ_key_len ? key_bytes : NULL;
  cfg.integ_key_len = t->integ_key_len;
  if (tcpsec_esp_sa_new(ctx, &cfg, 0, &sa) != 0)
    return 0;
  bytes = c->live - before;
  tcpsec_esp_sa_free(sa);
  return bytes;
}

struct lookup_state {
  tcpsec_sad *sad;
  const uint32_t *spis;
  size_t count;
  uint8_t packet[28];
  uint64_t rng;
  size_t found;
};

static int find_op(void *state, size_t i) {
  struct lookup_state *s = state;

  s->found += tcpsec_sad_find_inbound(s->sad, s->spis[i % s->count]) != NULL;
  return 0;
}

static int miss_op(void *state, size_t i) {
  struct lookup_state *s = state;

  (void)i;
  s->found += tcpsec_sad_find_inbound(s->sad, (uint32_t)xorshift(&s->rng)) !=
              NULL;
  return 0;
}

static int select_op(void *state, size_t i) {
  struct lookup_state *s = state;
  tcpsec_esp_sa *sa = NULL;
  uint32_t n = (uint32_t)(i * 7919u % s->count);

  s->packet[17] = (uint8_t)(n >> 8);
  s->packet[18] = (uint8_t)n;
  s->packet[16] = (uint8_t)(10 + (n >> 16));
  return tcpsec_sad_select(s->sad, s->packet, sizeof(s->packet), &sa, NULL);
}

static int bench_sad(size_t count, int print_sa_sizes) {
  size_t i, before, per_child;
  struct counter c = {0};
  struct lookup_state ls;
  tcpsec_ctx_config cc;
  tcpsec_ctx *ctx = NULL;
  tcpsec_sad *sad = NULL;
  tcpsec_sad_config sc;
  tcpsec_sad_stats st;
  uint32_t *spis = malloc(count * sizeof(uint32_t));
  double rate, seconds = smoke ? 0.001 : 0.5;

  tcpsec_ctx_config_default(&cc);
  cc.allocator.malloc_fn = count_malloc;
  cc.allocator.realloc_fn = count_realloc;
  cc.allocator.free_fn = count_free;
  cc.allocator.user = &c;
  if (spis == NULL || tcpsec_ctx_new(&cc, &ctx) != 0)
    return 1;

  if (print_sa_sizes) {
    printf("\nbytes per ESP SA (allocator, 2048-packet window inbound):\n");
    for (i = 0; i < TCPSEC_ARRAY_SIZE(transforms); i++)
      printf("  %-27s inbound %5zu  outbound %5zu\n", transforms[i].name,
             bytes_of_sa(ctx, &c, &transforms[i], TCPSEC_ESP_INBOUND),
             bytes_of_sa(ctx, &c, &transforms[i], TCPSEC_ESP_OUTBOUND));
  }

  /* A hub with `count` spokes: one Child SA each, AES-GCM-128 both ways,
   * local 172.16.0.0/16, remote its own /24 inside 10.0.0.0/8. */
  tcpsec_sad_config_default(&sc);
  before = c.live;
  if (tcpsec_sad_new(ctx, &sc, &sad) != 0)
    return 1;
  for (i = 0; i < count; i++) {
    tcpsec_sa_traffic_selector local, remote;
    tcpsec_sad_child child;

    memset(&local, 0, sizeof(local));
    local.ts_type = TCPSEC_TS_IPV4_ADDR_RANGE;
    local.end_port = 0xffff;
    local.start_addr[0] = local.end_addr[0] = 172;
    local.start_addr[1] = local.end_addr[1] = 16;
    local.end_addr[2] = local.end_addr[3] = 0xff;
    remote = local;
    remote.start_addr[0] = remote.end_addr[0] = (uint8_t)(10 + (i >> 16));
    remote.start_addr[1] = remote.end_addr[1] = (uint8_t)(i >> 8);
    remote.start_addr[2] = remote.end_addr[2] = (uint8_t)i;
    remote.start_addr[3] = 0;
    remote.end_addr[3] = 0xff;

    memset(&child, 0, sizeof(child));
    child.size = sizeof(child);
    if (tcpsec_sad_reserve_spi(sad, &spis[i]) != 0)
      return 1;
    child.inbound = gcm_sa(ctx, spis[i], TCPSEC_ESP_INBOUND);
    child.outbound = gcm_sa(ctx, spis[i] ^ 0x5a5a5a5au, TCPSEC_ESP_OUTBOUND);
    child.local_ts = &local;
    child.local_ts_count = 1;
    child.remote_ts = &remote;
    child.remote_ts_count = 1;
    if (child.inbound == NULL || child.outbound == NULL ||
        tcpsec_sad_install(sad, &child) != 0)
      return 1;
  }
  per_child = (c.live - before) / count;
  st.size = sizeof(st);
  if (tcpsec_sad_get_stats(sad, &st) != 0)
    return 1;
  printf("\nSA database with %zu Child SAs (AES-GCM-128 both ways, one "
         "selector pair):\n", count);
  printf("  total %zu bytes, %zu bytes per Child SA "
         "(database's own tables %llu bytes, %llu per Child SA)\n",
         c.live - before, per_child, (unsigned long long)st.table_bytes,
         (unsigned long long)(st.table_bytes / count));

  memset(&ls, 0, sizeof(ls));
  ls.sad = sad;
  ls.spis = spis;
  ls.count = count;
  ls.rng = 0x9e3779b97f4a7c15ULL;
  ls.packet[0] = 0x45;
  ls.packet[3] = 28;
  ls.packet[9] = 17;
  ls.packet[12] = 172;
  ls.packet[13] = 16;
  ls.packet[15] = 9;
  ls.packet[19] = 7;
  rate = rate_of(find_op, &ls, seconds);
  printf("  inbound lookup, installed SPI: %.1f million per second (%.0f ns)\n",
         rate / 1e6, 1e9 / rate);
  rate = rate_of(miss_op, &ls, seconds);
  printf("  inbound lookup, random SPI:    %.1f million per second (%.0f ns)\n",
         rate / 1e6, 1e9 / rate);
  rate = rate_of(select_op, &ls, seconds);
  printf("  outbound selection by packet:  %.1f million per second (%.0f ns)\n",
         rate / 1e6, 1e9 / rate);

  tcpsec_sad_free(sad);
  free(spis);
  tcpsec_ctx_free(ctx);
  if (c.live != 0) {
    printf("esp_bench: %zu bytes still allocated after freeing everything\n",
           c.live);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  tcpsec_ctx *ctx = NULL;
  int rc;

  smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
  if (argc > 1 && !smoke) {
    fprintf(stderr, "usage: esp_bench [--smoke]\n");
    return 2;
  }
  if (tcpsec_ctx_new(NULL, &ctx) != 0)
    return 1;
  rc = bench_throughput(ctx);
  tcpsec_ctx_free(ctx);
  /* A small database stays in the caches; the large one shows the cost of
   * memory and TLB misses. */
  if (rc == 0)
    rc = bench_sad(100, 1);
  if (rc == 0)
    rc = bench_sad(smoke ? 1000 : 100000, 0);
  return rc;
}
