/*
 * ESP SA: seal and open for every transform, in place and between buffers,
 * ESN, the RFC 7634 Appendix A packet, every open and seal error with the
 * SA state checked afterwards, lifetimes and events.
 *
 * RFC 7634 Appendix A (Y. Nir, "ChaCha20, Poly1305, and Their Use in the
 * Internet Key Exchange Protocol (IKE) and IPsec", August 2015): KEYMAT,
 * source packet and ESP packet transcribed from the RFC text. The ESP
 * packet here starts at the SPI, while the RFC shows it behind a 20-byte
 * outer IPv4 header.
 *
 * AES-GCM packets: four test cases of draft-mcgrew-gcm-test-01 (D. McGrew,
 * "Test Cases for the use of GCM and GMAC in IPsec ESP", March 2009), two
 * with 64-bit ESN, two without, 128 and 256-bit keys. Their payloads carry
 * next header 1 and are not all IP packets, so the receiving SA accepts
 * any next header.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "crypto/crypto.h"
#include "tcpsec/esp.h"

struct transform {
  const char *name;
  uint16_t encr;
  size_t encr_key_len; /* with the 4-byte salt for AEAD */
  uint16_t integ;
  size_t integ_key_len;
};

static const struct transform transforms[] = {
  {"aes128gcm16", TCPSEC_ENCR_AES_GCM_16, 20, TCPSEC_INTEG_NONE, 0},
  {"aes256gcm16", TCPSEC_ENCR_AES_GCM_16, 36, TCPSEC_INTEG_NONE, 0},
  {"chacha20poly1305", TCPSEC_ENCR_CHACHA20_POLY1305, 36, TCPSEC_INTEG_NONE,
   0},
  {"aes128-sha256", TCPSEC_ENCR_AES_CBC, 16, TCPSEC_INTEG_HMAC_SHA2_256_128,
   32},
  {"aes192-sha384", TCPSEC_ENCR_AES_CBC, 24, TCPSEC_INTEG_HMAC_SHA2_384_192,
   48},
  {"aes256-sha512", TCPSEC_ENCR_AES_CBC, 32, TCPSEC_INTEG_HMAC_SHA2_512_256,
   64},
};

static const uint8_t key_bytes[64] = {
  0x3a, 0x91, 0x5c, 0x07, 0xe2, 0x44, 0x18, 0xbd, 0x6f, 0x20, 0xa9, 0x73,
  0x0c, 0xd5, 0x81, 0x4e, 0x97, 0x2b, 0xf0, 0x66, 0x13, 0xc8, 0x5a, 0x39,
  0xae, 0x02, 0x7d, 0xe4, 0x58, 0x9f, 0x31, 0xcb, 0x60, 0x1d, 0x84, 0xf7,
  0x2e, 0xb3, 0x49, 0x95, 0x0a, 0xd1, 0x6c, 0x37, 0xfa, 0x83, 0x25, 0x5e,
  0xc4, 0x19, 0x72, 0xab, 0x06, 0xe9, 0x3d, 0x50, 0x8b, 0x14, 0xdf, 0x62,
  0xb8, 0x47, 0x0e, 0x99};

struct events {
  int rekey, expired;
};

static void record_event(void *user, tcpsec_esp_sa *sa, tcpsec_esp_event ev) {
  struct events *e = user;

  (void)sa;
  if (ev == TCPSEC_ESP_EVENT_REKEY)
    e->rekey++;
  else if (ev == TCPSEC_ESP_EVENT_EXPIRED)
    e->expired++;
}

static void config_for(tcpsec_esp_sa_config *cfg, const struct transform *t,
                       uint32_t spi, tcpsec_esp_direction dir) {
  tcpsec_esp_sa_config_default(cfg);
  cfg->spi = spi;
  cfg->direction = dir;
  cfg->encr = t->encr;
  cfg->encr_key = key_bytes;
  cfg->encr_key_len = t->encr_key_len;
  cfg->integ = t->integ;
  cfg->integ_key = t->integ_key_len ? key_bytes : NULL;
  cfg->integ_key_len = t->integ_key_len;
}

static tcpsec_esp_sa *sa_new(tcpsec_ctx *ctx, const tcpsec_esp_sa_config *cfg) {
  tcpsec_esp_sa *sa = NULL;

  assert_int_equal(tcpsec_esp_sa_new(ctx, cfg, 1000, &sa), 0);
  assert_non_null(sa);
  return sa;
}

/* IPv4 (version 4) or IPv6 (version 6) packet of len bytes with a
 * recognisable payload. */
static void make_inner(uint8_t *p, size_t len, int version) {
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 7 + 3);
  if (version == 4) {
    p[0] = 0x45;
    tcpsec_store_be16(p + 2, (uint16_t)len);
  } else {
    p[0] = 0x60;
    tcpsec_store_be16(p + 4, (uint16_t)(len - 40));
  }
}

static tcpsec_esp_sa_stats get_stats(const tcpsec_esp_sa *sa) {
  tcpsec_esp_sa_stats st;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  assert_int_equal(tcpsec_esp_sa_get_stats(sa, &st), 0);
  return st;
}

/* The stats after a failure equal those before, except for one counter
 * that went up by one. */
static void assert_only_counter_changed(tcpsec_esp_sa_stats before,
                                        const tcpsec_esp_sa_stats *after,
                                        size_t counter_offset) {
  uint64_t v;

  memcpy(&v, (uint8_t *)&before + counter_offset, sizeof(v));
  v++;
  memcpy((uint8_t *)&before + counter_offset, &v, sizeof(v));
  assert_memory_equal(&before, after, sizeof(before));
}

/* ---- round trips ------------------------------------------------------------ */

static void roundtrip_one(tcpsec_ctx *ctx, const struct transform *t, int esn,
                          int in_place) {
  static const size_t lengths[] = {20, 21, 40, 63, 64, 100, 1400, 1500, 8000};
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *out_sa, *in_sa;
  uint8_t *buf = malloc(9000), *inner = malloc(9000), *plain = malloc(9000);
  size_t i;

  assert_non_null(buf);
  assert_non_null(inner);
  assert_non_null(plain);
  config_for(&cfg, t, 0x0badf00d, TCPSEC_ESP_OUTBOUND);
  cfg.esn = esn;
  out_sa = sa_new(ctx, &cfg);
  cfg.direction = TCPSEC_ESP_INBOUND;
  in_sa = sa_new(ctx, &cfg);

  for (i = 0; i < TCPSEC_ARRAY_SIZE(lengths); i++) {
    int version = lengths[i] >= 40 && i % 2 == 0 ? 6 : 4;
    size_t hdr = tcpsec_esp_sa_headroom(out_sa), len = lengths[i];
    size_t expected_len = tcpsec_esp_sa_sealed_len(out_sa, len);
    uint8_t *esp, nh = 0;
    ptrdiff_t n, m;

    make_inner(inner, len, version);
    if (in_place) {
      memcpy(buf + hdr, inner, len);
      esp = buf;
      n = tcpsec_esp_sa_seal(out_sa, buf + hdr, len, esp, 9000, 5);
    } else {
      esp = buf;
      n = tcpsec_esp_sa_seal(out_sa, inner, len, esp, 9000, 5);
    }
    if (n < 0)
      fail_msg("%s len %zu: seal failed: %s", t->name, len,
               tcpsec_strerror((int)n));
    assert_int_equal((size_t)n, expected_len);
    assert_true((size_t)n - len - hdr <= tcpsec_esp_sa_tailroom(out_sa));
    assert_true(hdr <= TCPSEC_ESP_HEADROOM_MAX);
    assert_true(tcpsec_esp_sa_tailroom(out_sa) <= TCPSEC_ESP_TAILROOM_MAX);
    assert_int_equal(tcpsec_load_be32(esp), 0x0badf00d);
    assert_int_equal(tcpsec_load_be32(esp + 4), i + 1);

    if (in_place)
      m = tcpsec_esp_sa_open(in_sa, esp, (size_t)n, esp + hdr,
                             (size_t)n - hdr, 6, &nh);
    else
      m = tcpsec_esp_sa_open(in_sa, esp, (size_t)n, plain, 9000, 6, &nh);
    if (m < 0)
      fail_msg("%s len %zu: open failed: %s", t->name, len,
               tcpsec_strerror((int)m));
    assert_int_equal((size_t)m, len);
    assert_int_equal(nh, version == 4 ? 4 : 41);
    assert_memory_equal(in_place ? esp + hdr : plain, inner, len);
  }

  assert_int_equal(get_stats(out_sa).packets, TCPSEC_ARRAY_SIZE(lengths));
  assert_int_equal(get_stats(in_sa).packets, TCPSEC_ARRAY_SIZE(lengths));
  assert_int_equal(get_stats(in_sa).last_seq, TCPSEC_ARRAY_SIZE(lengths));
  assert_int_equal(get_stats(in_sa).last_use_ms, 6);
  tcpsec_esp_sa_free(out_sa);
  tcpsec_esp_sa_free(in_sa);
  free(buf);
  free(inner);
  free(plain);
}

static void esp_roundtrip_all_transforms(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 21);
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(transforms); i++) {
    roundtrip_one(ctx, &transforms[i], 0, 0);
    roundtrip_one(ctx, &transforms[i], 1, 0);
    roundtrip_one(ctx, &transforms[i], 0, 1);
    roundtrip_one(ctx, &transforms[i], 1, 1);
  }
  tcpsec_ctx_free(ctx);
}

static void esp_padding_and_alignment(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 22);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa;
  size_t i, len;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(transforms); i++) {
    config_for(&cfg, &transforms[i], 7, TCPSEC_ESP_OUTBOUND);
    sa = sa_new(ctx, &cfg);
    for (len = 20; len < 80; len++) {
      size_t body = tcpsec_esp_sa_sealed_len(sa, len) -
                    tcpsec_esp_sa_headroom(sa) -
                    (transforms[i].integ ? transforms[i].integ_key_len / 2
                                         : 16);
      size_t align = transforms[i].encr == TCPSEC_ENCR_AES_CBC ? 16 : 4;
      assert_int_equal(body % align, 0);
      assert_true(body - len - 2 < align);
    }
    tcpsec_esp_sa_free(sa);
  }
  tcpsec_ctx_free(ctx);
}

/* ---- RFC 7634 Appendix A --------------------------------------------------- */

static const char rfc7634_keymat[] =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3";
static const char rfc7634_source[] =
    "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
    "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
    "2425262728292a2b2c2d2e2f3031323334353637";
static const char rfc7634_esp[] =
    "01020304000000051011121314151617240394"
    "28b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c614ee80"
    "99d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3cbec16"
    "3fac469b502773f6fb94e664da9165b82829f641e076aaa8266b7fb0f7b11b36"
    "9907e1ad43";

static void esp_rfc7634_appendix_a(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 23);
  static const uint8_t iv[8] = {0x10, 0x11, 0x12, 0x13,
                                0x14, 0x15, 0x16, 0x17};
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *out_sa, *in_sa;
  size_t keymat_len, src_len, esp_len;
  uint8_t *keymat = test_hex_alloc(rfc7634_keymat, &keymat_len);
  uint8_t *src = test_hex_alloc(rfc7634_source, &src_len);
  uint8_t *esp = test_hex_alloc(rfc7634_esp, &esp_len);
  uint8_t buf[256], plain[256], nh = 0;
  ptrdiff_t n;

  (void)state;
  tcpsec_esp_sa_config_default(&cfg);
  cfg.spi = 0x01020304;
  cfg.direction = TCPSEC_ESP_OUTBOUND;
  cfg.encr = TCPSEC_ENCR_CHACHA20_POLY1305;
  cfg.encr_key = keymat;
  cfg.encr_key_len = keymat_len;
  out_sa = sa_new(ctx, &cfg);
  n = tcpsec_esp_sa_seal_with_iv(out_sa, 5, iv, sizeof(iv), 4, src, src_len,
                                 buf, sizeof(buf));
  assert_int_equal(n, (ptrdiff_t)esp_len);
  assert_memory_equal(buf, esp, esp_len);

  /* The normal seal path uses the sequence number as IV; starting the
   * outbound SA at 4 gives sequence number 5 with IV 0000000000000005. */
  cfg.last_seq = 4;
  tcpsec_esp_sa_free(out_sa);
  out_sa = sa_new(ctx, &cfg);
  n = tcpsec_esp_sa_seal(out_sa, src, src_len, buf, sizeof(buf), 1);
  assert_int_equal(n, (ptrdiff_t)esp_len);
  assert_int_equal(tcpsec_load_be64(buf + 8), 5);

  cfg.direction = TCPSEC_ESP_INBOUND;
  cfg.last_seq = 0;
  in_sa = sa_new(ctx, &cfg);
  n = tcpsec_esp_sa_open(in_sa, esp, esp_len, plain, sizeof(plain), 1, &nh);
  assert_int_equal(n, (ptrdiff_t)src_len);
  assert_int_equal(nh, 4);
  assert_memory_equal(plain, src, src_len);

  tcpsec_esp_sa_free(out_sa);
  tcpsec_esp_sa_free(in_sa);
  free(keymat);
  free(src);
  free(esp);
  tcpsec_ctx_free(ctx);
}

/* ---- draft-mcgrew-gcm-test-01 -------------------------------------------- */

struct gcm_vector {
  const char *key, *salt, *spi, *seq, *iv, *plaintext, *esp_packet;
  int esn;
};

static const struct gcm_vector gcm_vectors[] = {
  {"4c80cdefbb5d10da906ac73c3613a634", "2e443b68", "00004321",
   "8765432100000000", "4956ed7e3b244cfe",
   "45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000"
   "045f736970045f756470037369700963796265726369747902646b000021000101020201",
   "00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b768d1b9873"
   "6696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff62"
   "47aeabb786b93bce61bc17d768fd9732459018148f6cbe722fd04796562dfdb4",
   1},
  {"abbccddef00112233445566778899aababbccddef00112233445566778899aab",
   "73616c74", "17405e67", "156f3126dd0db99b", "616e640169766563",
   "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f64"
   "6d540001",
   "17405e67dd0db99b616e640169766563f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde"
   "98ef67549d524a3018d9a57ff4d3a31ce673119e451626c2415771e3b7eebca614c89b35",
   1},
  {"feffe9928665731c6d6a8f9467308308", "cafebabe", "0000a5f8", "0000000a",
   "facedbaddecaf888",
   "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d0010000010000"
   "00000000037369700963796265726369747902646b00000100010001",
   "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304a5a5897d"
   "33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4"
   "ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a",
   0},
  {"abbccddef00112233445566778899aababbccddef00112233445566778899aab",
   "11223344", "4a2cbfe3", "00000002", "0102030405060708",
   "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee00000000070024000"
   "20bf0000020405b40101040201020201",
   "4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d6a78107f"
   "1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8eb335f4ee"
   "cfdbf831824b4c4915956c96",
   0},
};

static uint64_t hex_number(const char *hex) {
  uint8_t b[8];
  long n = test_hex_decode(hex, b, sizeof(b));

  assert_true(n == 4 || n == 8);
  return n == 4 ? tcpsec_load_be32(b) : tcpsec_load_be64(b);
}

static void esp_gcm_draft_vectors(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 25);
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(gcm_vectors); i++) {
    const struct gcm_vector *v = &gcm_vectors[i];
    uint8_t keymat[36], iv[8], plain[128], esp[160], buf[160], nh = 0;
    long key_len = test_hex_decode(v->key, keymat, 32);
    long plain_len = test_hex_decode(v->plaintext, plain, sizeof(plain));
    long esp_len = test_hex_decode(v->esp_packet, esp, sizeof(esp));
    uint64_t seq = hex_number(v->seq);
    size_t payload_len;
    tcpsec_esp_sa_config cfg;
    tcpsec_esp_sa *out_sa, *in_sa;

    assert_true(key_len > 0 && plain_len > 2 && esp_len > 0);
    assert_int_equal(test_hex_decode(v->salt, keymat + key_len, 4), 4);
    assert_int_equal(test_hex_decode(v->iv, iv, sizeof(iv)), 8);
    payload_len = (size_t)plain_len - 2 - plain[plain_len - 2];

    tcpsec_esp_sa_config_default(&cfg);
    cfg.spi = (uint32_t)hex_number(v->spi);
    cfg.direction = TCPSEC_ESP_OUTBOUND;
    cfg.encr = TCPSEC_ENCR_AES_GCM_16;
    cfg.encr_key = keymat;
    cfg.encr_key_len = (size_t)key_len + 4;
    cfg.esn = v->esn;
    cfg.any_next_header = 1;
    out_sa = sa_new(ctx, &cfg);
    assert_int_equal(tcpsec_esp_sa_seal_with_iv(out_sa, seq, iv, 8,
                                                plain[plain_len - 1], plain,
                                                payload_len, buf, sizeof(buf)),
                     esp_len);
    assert_memory_equal(buf, esp, (size_t)esp_len);

    /* The receiver's top sits just below, so ESN high bits are inferred. */
    cfg.direction = TCPSEC_ESP_INBOUND;
    cfg.last_seq = seq - 1;
    in_sa = sa_new(ctx, &cfg);
    assert_int_equal(tcpsec_esp_sa_open(in_sa, esp, (size_t)esp_len, buf,
                                        sizeof(buf), 1, &nh),
                     (ptrdiff_t)payload_len);
    assert_memory_equal(buf, plain, payload_len);
    assert_int_equal(nh, plain[plain_len - 1]);
    tcpsec_esp_sa_free(out_sa);
    tcpsec_esp_sa_free(in_sa);
  }
  tcpsec_ctx_free(ctx);
}

/* ---- ESN ------------------------------------------------------------------------ */

static void esp_esn_crosses_2_32(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 24);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *out_sa, *in_sa, *in_no_esn;
  uint8_t inner[60], pkts[6][200], plain[200];
  ptrdiff_t lens[6];
  size_t t, i;

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  for (t = 0; t < TCPSEC_ARRAY_SIZE(transforms); t++) {
    config_for(&cfg, &transforms[t], 0x1111, TCPSEC_ESP_OUTBOUND);
    cfg.esn = 1;
    cfg.last_seq = 0xfffffffcULL;
    out_sa = sa_new(ctx, &cfg);
    cfg.direction = TCPSEC_ESP_INBOUND;
    in_sa = sa_new(ctx, &cfg);
    cfg.esn = 0;
    cfg.last_seq = 0;
    in_no_esn = sa_new(ctx, &cfg);

    for (i = 0; i < 6; i++) {
      lens[i] = tcpsec_esp_sa_seal(out_sa, inner, sizeof(inner), pkts[i],
                                   sizeof(pkts[i]), 1);
      assert_true(lens[i] > 0);
      /* Only the low 32 bits travel. */
      assert_int_equal(tcpsec_load_be32(pkts[i] + 4),
                       (uint32_t)(0xfffffffdULL + i));
    }
    /* Out of order across the wrap: 2^32 + 1 first, then the rest. */
    assert_int_equal(tcpsec_esp_sa_open(in_sa, pkts[4], (size_t)lens[4], plain,
                                        sizeof(plain), 1, NULL),
                     (ptrdiff_t)sizeof(inner));
    for (i = 0; i < 6; i++) {
      ptrdiff_t m = tcpsec_esp_sa_open(in_sa, pkts[i], (size_t)lens[i], plain,
                                       sizeof(plain), 1, NULL);
      assert_int_equal(m, i == 4 ? TCPSEC_ERR_ESP_REPLAYED
                                 : (ptrdiff_t)sizeof(inner));
    }
    assert_int_equal(get_stats(in_sa).last_seq, 0x100000002ULL);

    /* A receiver without ESN authenticates without the high bits, so the
     * packets after the wrap fail. */
    assert_int_equal(tcpsec_esp_sa_open(in_no_esn, pkts[5], (size_t)lens[5],
                                        plain, sizeof(plain), 1, NULL),
                     TCPSEC_ERR_ESP_AUTH_FAILED);
    tcpsec_esp_sa_free(out_sa);
    tcpsec_esp_sa_free(in_sa);
    tcpsec_esp_sa_free(in_no_esn);
  }
  tcpsec_ctx_free(ctx);
}

/* ---- open errors ------------------------------------------------------------------ */

/* AES-GCM-128 packet with an arbitrary plaintext (trailer included), to
 * build authentic packets with bad padding or next header. */
static size_t craft_gcm(tcpsec_ctx *ctx, uint32_t spi, uint32_t seq,
                        const uint8_t *plain, size_t len, uint8_t *out) {
  uint8_t nonce[12], aad[8];
  tcpsec_aead *aead = NULL;

  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, key_bytes, 16,
                                   &aead),
                   0);
  tcpsec_store_be32(out, spi);
  tcpsec_store_be32(out + 4, seq);
  tcpsec_store_be64(out + 8, seq);
  memcpy(nonce, key_bytes + 16, 4);
  memcpy(nonce + 4, out + 8, 8);
  memcpy(aad, out, 8);
  assert_int_equal(tcpsec_aead_encrypt(aead, nonce, aad, 8, plain, out + 16,
                                       len, out + 16 + len),
                   0);
  tcpsec_aead_free(aead);
  return 16 + len + 16;
}

struct open_fixture {
  test_rng rng;
  tcpsec_ctx *ctx;
  tcpsec_esp_sa *out_sa, *in_sa;
};

static int open_setup(void **state) {
  struct open_fixture *fx = calloc(1, sizeof(*fx));
  tcpsec_esp_sa_config cfg;
  uint8_t inner[40], buf[128], plain[128];
  ptrdiff_t n;
  int i;

  assert_non_null(fx);
  fx->ctx = test_ctx_new(&fx->rng, 30);
  config_for(&cfg, &transforms[0], 0x5151, TCPSEC_ESP_OUTBOUND);
  cfg.replay_window = 64;
  fx->out_sa = sa_new(fx->ctx, &cfg);
  cfg.direction = TCPSEC_ESP_INBOUND;
  fx->in_sa = sa_new(fx->ctx, &cfg);

  /* Establish some state: packets 1..10 received. */
  make_inner(inner, sizeof(inner), 4);
  for (i = 0; i < 10; i++) {
    n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), buf, sizeof(buf),
                           1);
    assert_true(n > 0);
    assert_true(tcpsec_esp_sa_open(fx->in_sa, buf, (size_t)n, plain,
                                   sizeof(plain), 1, NULL) > 0);
  }
  *state = fx;
  return 0;
}

static int open_teardown(void **state) {
  struct open_fixture *fx = *state;

  tcpsec_esp_sa_free(fx->out_sa);
  tcpsec_esp_sa_free(fx->in_sa);
  tcpsec_ctx_free(fx->ctx);
  free(fx);
  return 0;
}

/* Open `pkt` expecting `err`; the SA must be unchanged except for the
 * counter at `counter_offset` (SIZE_MAX: no counter). */
static void expect_open_error(struct open_fixture *fx, const uint8_t *pkt,
                              size_t len, int err, size_t counter_offset) {
  tcpsec_esp_sa_stats before = get_stats(fx->in_sa), after;
  uint8_t plain[256];
  ptrdiff_t n;

  memset(plain, 0xaa, sizeof(plain));
  n = tcpsec_esp_sa_open(fx->in_sa, pkt, len, plain, sizeof(plain), 2, NULL);
  assert_int_equal(n, err);
  after = get_stats(fx->in_sa);
  if (counter_offset == SIZE_MAX)
    assert_memory_equal(&before, &after, sizeof(before));
  else
    assert_only_counter_changed(before, &after, counter_offset);
}

static void open_rejects_truncated(void **state) {
  struct open_fixture *fx = *state;
  uint8_t inner[40], pkt[128];
  ptrdiff_t n;
  size_t cut;

  make_inner(inner, sizeof(inner), 4);
  n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), pkt, sizeof(pkt),
                         1);
  assert_true(n > 0);
  /* Header, IV, trailer and ICV need 16 + 2 + 16 bytes. */
  for (cut = 0; cut < 34; cut++)
    expect_open_error(fx, pkt, cut, TCPSEC_ERR_ESP_TRUNCATED,
                      offsetof(tcpsec_esp_sa_stats, err_truncated));
  /* The intact packet still opens afterwards. */
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, (size_t)n, pkt + 16,
                                      (size_t)n - 16, 2, NULL),
                   (ptrdiff_t)sizeof(inner));
}

static void open_rejects_cbc_partial_block(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 31);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *out_sa, *in_sa;
  tcpsec_esp_sa_stats before, after;
  uint8_t inner[40], pkt[128], plain[128];
  ptrdiff_t n;

  (void)state;
  config_for(&cfg, &transforms[3], 0x6161, TCPSEC_ESP_OUTBOUND);
  out_sa = sa_new(ctx, &cfg);
  cfg.direction = TCPSEC_ESP_INBOUND;
  in_sa = sa_new(ctx, &cfg);
  make_inner(inner, sizeof(inner), 4);
  n = tcpsec_esp_sa_seal(out_sa, inner, sizeof(inner), pkt, sizeof(pkt), 1);
  assert_true(n > 0);

  /* Remove one ciphertext byte: ICV intact, ciphertext 47 bytes. */
  memmove(pkt + n - 17, pkt + n - 16, 16);
  before = get_stats(in_sa);
  assert_int_equal(tcpsec_esp_sa_open(in_sa, pkt, (size_t)n - 1, plain,
                                      sizeof(plain), 1, NULL),
                   TCPSEC_ERR_ESP_TRUNCATED);
  after = get_stats(in_sa);
  assert_only_counter_changed(before, &after,
                              offsetof(tcpsec_esp_sa_stats, err_truncated));
  tcpsec_esp_sa_free(out_sa);
  tcpsec_esp_sa_free(in_sa);
  tcpsec_ctx_free(ctx);
}

static void open_rejects_unknown_spi(void **state) {
  struct open_fixture *fx = *state;
  uint8_t inner[40], pkt[128];
  ptrdiff_t n;

  make_inner(inner, sizeof(inner), 4);
  n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), pkt, sizeof(pkt),
                         1);
  assert_true(n > 0);
  pkt[3] ^= 1;
  /* Not this SA's packet: nothing of the SA is counted. */
  expect_open_error(fx, pkt, (size_t)n, TCPSEC_ERR_ESP_UNKNOWN_SPI, SIZE_MAX);
}

static void open_rejects_replay(void **state) {
  struct open_fixture *fx = *state;
  uint8_t inner[40], pkt[128], old[128];
  ptrdiff_t n, n_old;
  int i;

  make_inner(inner, sizeof(inner), 4);
  n_old = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), old,
                             sizeof(old), 1);
  assert_true(n_old > 0); /* sequence number 11 */
  assert_true(tcpsec_esp_sa_open(fx->in_sa, old, (size_t)n_old, pkt,
                                 sizeof(pkt), 1, NULL) > 0);
  /* Duplicate. */
  expect_open_error(fx, old, (size_t)n_old, TCPSEC_ERR_ESP_REPLAYED,
                    offsetof(tcpsec_esp_sa_stats, err_replayed));

  /* Move the window past it (window 64): left of the window. */
  for (i = 0; i < 70; i++) {
    n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), pkt, sizeof(pkt),
                           1);
    assert_true(n > 0);
  }
  assert_true(tcpsec_esp_sa_open(fx->in_sa, pkt, (size_t)n, pkt + 16,
                                 (size_t)n - 16, 1, NULL) > 0);
  expect_open_error(fx, old, (size_t)n_old, TCPSEC_ERR_ESP_REPLAYED,
                    offsetof(tcpsec_esp_sa_stats, err_replayed));

  /* Sequence number 0 is never sent. */
  n = (ptrdiff_t)craft_gcm(fx->ctx, 0x5151, 0,
                           (const uint8_t *)"\x45\x00\x00\x02\x01\x02\x02\x04",
                           8, pkt);
  expect_open_error(fx, pkt, (size_t)n, TCPSEC_ERR_ESP_REPLAYED,
                    offsetof(tcpsec_esp_sa_stats, err_replayed));
}

static void open_rejects_bad_icv_and_wipes(void **state) {
  struct open_fixture *fx = *state;
  uint8_t inner[40], pkt[128], copy[128], plain[128];
  tcpsec_esp_sa_stats before, after;
  ptrdiff_t n;
  size_t pos, i;

  make_inner(inner, sizeof(inner), 4);
  n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), pkt, sizeof(pkt),
                         1);
  assert_true(n > 0);

  /* Flip one bit anywhere after the SPI: sequence number, IV, ciphertext
   * or ICV. */
  for (pos = 4; pos < (size_t)n; pos++) {
    memcpy(copy, pkt, (size_t)n);
    copy[pos] ^= 0x40;
    before = get_stats(fx->in_sa);
    memset(plain, 0xaa, sizeof(plain));
    assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, copy, (size_t)n, plain,
                                        sizeof(plain), 2, NULL),
                     TCPSEC_ERR_ESP_AUTH_FAILED);
    after = get_stats(fx->in_sa);
    assert_only_counter_changed(
        before, &after, offsetof(tcpsec_esp_sa_stats, err_auth_failed));
    /* The decrypted bytes are wiped. */
    for (i = 0; i < (size_t)n - 32; i++)
      assert_int_equal(plain[i], 0);
  }

  /* The window did not move: the genuine packet is still accepted. */
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, (size_t)n, plain,
                                      sizeof(plain), 2, NULL),
                   (ptrdiff_t)sizeof(inner));
}

static void open_rejects_bad_padding(void **state) {
  struct open_fixture *fx = *state;
  /* Inner "packet" 45 00 00 04, padding 01 03, pad length 2, IPv4. */
  uint8_t plain[8] = {0x45, 0x00, 0x00, 0x04, 0x01, 0x03, 0x02, 0x04};
  uint8_t too_long[2] = {200, 4}, pkt[64], out[64];
  size_t n;

  n = craft_gcm(fx->ctx, 0x5151, 50, plain, sizeof(plain), pkt);
  expect_open_error(fx, pkt, n, TCPSEC_ERR_ESP_BAD_PADDING,
                    offsetof(tcpsec_esp_sa_stats, err_bad_padding));

  /* Pad length larger than the payload. */
  n = craft_gcm(fx->ctx, 0x5151, 51, too_long, sizeof(too_long), pkt);
  expect_open_error(fx, pkt, n, TCPSEC_ERR_ESP_BAD_PADDING,
                    offsetof(tcpsec_esp_sa_stats, err_bad_padding));

  /* Sequence number 50 was not used up by the failure. */
  plain[5] = 0x02;
  n = craft_gcm(fx->ctx, 0x5151, 50, plain, sizeof(plain), pkt);
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, n, out, sizeof(out), 2,
                                      NULL),
                   4);
}

static void open_rejects_bad_next_header(void **state) {
  struct open_fixture *fx = *state;
  static const uint8_t next_headers[] = {0, 1, 6, 17, 50, 58, 255};
  uint8_t plain[8] = {0x45, 0, 0, 6, 1, 2, 2, 0}, pkt[64], out[64], nh = 0;
  size_t i, n;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(next_headers); i++) {
    plain[7] = next_headers[i];
    n = craft_gcm(fx->ctx, 0x5151, 60, plain, sizeof(plain), pkt);
    expect_open_error(fx, pkt, n, TCPSEC_ERR_ESP_BAD_NEXT_HEADER,
                      offsetof(tcpsec_esp_sa_stats, err_bad_next_header));
  }

  /* 41 (IPv6) is accepted; 59 is a dummy packet: accepted, counted apart,
   * nothing to deliver. */
  plain[7] = 41;
  n = craft_gcm(fx->ctx, 0x5151, 60, plain, sizeof(plain), pkt);
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, n, out, sizeof(out), 2,
                                      &nh),
                   4);
  assert_int_equal(nh, 41);
  plain[7] = 59;
  n = craft_gcm(fx->ctx, 0x5151, 61, plain, sizeof(plain), pkt);
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, n, out, sizeof(out), 2,
                                      &nh),
                   0);
  assert_int_equal(nh, 59);
  assert_int_equal(get_stats(fx->in_sa).dummy_packets, 1);
  /* The dummy packet's number is used up. */
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, n, out, sizeof(out), 2,
                                      &nh),
                   TCPSEC_ERR_ESP_REPLAYED);
}

static void open_rejects_misuse(void **state) {
  struct open_fixture *fx = *state;
  uint8_t inner[40], pkt[128];
  ptrdiff_t n;

  make_inner(inner, sizeof(inner), 4);
  n = tcpsec_esp_sa_seal(fx->out_sa, inner, sizeof(inner), pkt, sizeof(pkt),
                         1);
  assert_true(n > 0);
  /* Output overlapping the packet other than in place. */
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, (size_t)n, pkt + 8, 100,
                                      2, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_esp_sa_open(fx->in_sa, pkt, (size_t)n, inner, 10, 2,
                                      NULL),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_esp_sa_open(fx->out_sa, pkt, (size_t)n, inner,
                                      sizeof(inner), 2, NULL),
                   TCPSEC_ERR_INVALID_STATE);
  assert_int_equal(tcpsec_esp_sa_open(NULL, pkt, (size_t)n, inner,
                                      sizeof(inner), 2, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

/* ---- seal errors ---------------------------------------------------------------------- */

static void seal_rejects_bad_input(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 32);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa, *in_sa;
  tcpsec_esp_sa_stats before, after;
  uint8_t inner[64], buf[256];

  (void)state;
  config_for(&cfg, &transforms[0], 0x7171, TCPSEC_ESP_OUTBOUND);
  sa = sa_new(ctx, &cfg);
  cfg.direction = TCPSEC_ESP_INBOUND;
  in_sa = sa_new(ctx, &cfg);
  make_inner(inner, sizeof(inner), 4);

  /* Not IPv4 or IPv6, wrong length fields, short headers. */
  before = get_stats(sa);
  inner[0] = 0x55;
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_BAD_INNER_PACKET);
  after = get_stats(sa);
  assert_only_counter_changed(
      before, &after, offsetof(tcpsec_esp_sa_stats, err_bad_inner_packet));
  make_inner(inner, sizeof(inner), 4);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner) - 1, buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_BAD_INNER_PACKET);
  make_inner(inner, sizeof(inner), 6);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner) - 1, buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_BAD_INNER_PACKET);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, 0, buf, sizeof(buf), 1),
                   TCPSEC_ERR_BAD_INNER_PACKET);
  make_inner(inner, 20, 4);
  inner[0] = 0x44;
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, 20, buf, sizeof(buf), 1),
                   TCPSEC_ERR_BAD_INNER_PACKET);

  /* Buffers: too small, overlapping, wrong direction. */
  make_inner(inner, sizeof(inner), 4);
  before = get_stats(sa);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      tcpsec_esp_sa_sealed_len(sa, 64) - 1, 1),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  memcpy(buf + 8, inner, sizeof(inner));
  assert_int_equal(tcpsec_esp_sa_seal(sa, buf + 8, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_esp_sa_seal(in_sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_INVALID_STATE);
  after = get_stats(sa);
  assert_memory_equal(&before, &after, sizeof(before));
  /* The sequence number was not used by the failures. */
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_int_equal(tcpsec_load_be32(buf + 4), 1);

  tcpsec_esp_sa_free(sa);
  tcpsec_esp_sa_free(in_sa);
  tcpsec_ctx_free(ctx);
}

static void seal_stops_at_sequence_exhaustion(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 33);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa;
  tcpsec_esp_sa_stats before, after;
  struct events ev = {0, 0};
  uint8_t inner[40], buf[128];

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  config_for(&cfg, &transforms[0], 0x8181, TCPSEC_ESP_OUTBOUND);
  cfg.last_seq = 0xfffffffeULL;
  cfg.event = record_event;
  cfg.event_user = &ev;
  sa = sa_new(ctx, &cfg);

  /* 2^32 - 1 is the last number; the rekey request came earlier (the SA
   * starts past the threshold, so the first seal reports it). */
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_int_equal(tcpsec_load_be32(buf + 4), 0xffffffffu);
  assert_int_equal(ev.rekey, 1);
  assert_int_equal(ev.expired, 0);

  before = get_stats(sa);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_ESP_SEQ_EXHAUSTED);
  after = get_stats(sa);
  assert_int_equal(after.last_seq, 0xffffffffu);
  assert_int_equal(after.err_seq_exhausted, 1);
  assert_int_equal(after.packets, before.packets);
  assert_int_equal(ev.expired, 1);
  assert_true(tcpsec_esp_sa_status(sa) & TCPSEC_ESP_STATUS_EXPIRED);
  /* It stays exhausted; the events are not repeated. */
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_ESP_SEQ_EXHAUSTED);
  assert_int_equal(ev.rekey, 1);
  assert_int_equal(ev.expired, 1);
  tcpsec_esp_sa_free(sa);

  /* With ESN the same number is just another packet. */
  cfg.esn = 1;
  sa = sa_new(ctx, &cfg);
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_int_equal(get_stats(sa).last_seq, 0x100000000ULL);
  tcpsec_esp_sa_free(sa);
  cfg.last_seq = UINT64_MAX;
  sa = sa_new(ctx, &cfg);
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_ESP_SEQ_EXHAUSTED);
  tcpsec_esp_sa_free(sa);
  tcpsec_ctx_free(ctx);
}

static void seal_rekey_threshold_without_esn(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 34);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa;
  struct events ev = {0, 0};
  uint8_t inner[40], buf[128];

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  config_for(&cfg, &transforms[0], 0x8282, TCPSEC_ESP_OUTBOUND);
  cfg.last_seq = 0xf0000000ULL - 2;
  cfg.event = record_event;
  cfg.event_user = &ev;
  sa = sa_new(ctx, &cfg);
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_int_equal(ev.rekey, 0);
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 1) > 0);
  assert_int_equal(ev.rekey, 1);
  assert_int_equal(tcpsec_esp_sa_status(sa), TCPSEC_ESP_STATUS_REKEY);
  tcpsec_esp_sa_free(sa);
  tcpsec_ctx_free(ctx);
}

/* ---- lifetimes ------------------------------------------------------------------------ */

static void lifetime_packets_and_bytes(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 35);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *out_sa, *in_sa;
  tcpsec_esp_sa_stats before, after;
  struct events ev_out = {0, 0}, ev_in = {0, 0};
  uint8_t inner[100], buf[200], plain[200];
  ptrdiff_t n = 0;
  int i;

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  config_for(&cfg, &transforms[2], 0x9191, TCPSEC_ESP_OUTBOUND);
  cfg.soft.packets = 3;
  cfg.hard.packets = 5;
  cfg.event = record_event;
  cfg.event_user = &ev_out;
  out_sa = sa_new(ctx, &cfg);
  cfg.direction = TCPSEC_ESP_INBOUND;
  cfg.soft.packets = 0;
  cfg.hard.packets = 0;
  cfg.soft.bytes = 250;
  cfg.hard.bytes = 400;
  cfg.event_user = &ev_in;
  in_sa = sa_new(ctx, &cfg);

  for (i = 1; i <= 5; i++) {
    n = tcpsec_esp_sa_seal(out_sa, inner, sizeof(inner), buf, sizeof(buf), 1);
    assert_true(n > 0);
    assert_int_equal(ev_out.rekey, i >= 3);
    assert_int_equal(ev_out.expired, i >= 5);
    if (i <= 4) {
      assert_int_equal(tcpsec_esp_sa_open(in_sa, buf, (size_t)n, plain,
                                          sizeof(plain), 1, NULL),
                       100);
      /* 100 bytes per packet: soft at 300, hard at 400. */
      assert_int_equal(ev_in.rekey, i >= 3);
      assert_int_equal(ev_in.expired, i >= 4);
    }
  }
  /* Sixth packet: both SAs are past their hard limits. */
  before = get_stats(out_sa);
  assert_int_equal(tcpsec_esp_sa_seal(out_sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 1),
                   TCPSEC_ERR_SA_EXPIRED);
  after = get_stats(out_sa);
  assert_only_counter_changed(before, &after,
                              offsetof(tcpsec_esp_sa_stats, err_expired));
  before = get_stats(in_sa);
  assert_int_equal(tcpsec_esp_sa_open(in_sa, buf, (size_t)n, plain,
                                      sizeof(plain), 1, NULL),
                   TCPSEC_ERR_SA_EXPIRED);
  after = get_stats(in_sa);
  assert_only_counter_changed(before, &after,
                              offsetof(tcpsec_esp_sa_stats, err_expired));
  assert_int_equal(tcpsec_esp_sa_status(in_sa),
                   TCPSEC_ESP_STATUS_REKEY | TCPSEC_ESP_STATUS_EXPIRED);
  tcpsec_esp_sa_free(out_sa);
  tcpsec_esp_sa_free(in_sa);
  tcpsec_ctx_free(ctx);
}

static void lifetime_time_and_timeouts(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 36);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;
  struct events ev = {0, 0};
  uint8_t inner[40], buf[128];

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  config_for(&cfg, &transforms[0], 0xa1a1, TCPSEC_ESP_OUTBOUND);
  cfg.soft.time_ms = 3000;
  cfg.hard.time_ms = 3600;
  cfg.event = record_event;
  cfg.event_user = &ev;
  assert_int_equal(tcpsec_esp_sa_new(ctx, &cfg, 10000, &sa), 0);

  assert_int_equal(tcpsec_esp_sa_next_timeout(sa), 13000);
  assert_int_equal(tcpsec_esp_sa_handle_timeout(sa, 12999), 0);
  assert_int_equal(tcpsec_esp_sa_handle_timeout(sa, 13000),
                   TCPSEC_ESP_STATUS_REKEY);
  assert_int_equal(ev.rekey, 1);
  assert_int_equal(tcpsec_esp_sa_next_timeout(sa), 13600);
  assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf, sizeof(buf),
                                 13599) > 0);
  /* Traffic at the hard time fails without a timer call. */
  assert_int_equal(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), buf,
                                      sizeof(buf), 13600),
                   TCPSEC_ERR_SA_EXPIRED);
  assert_int_equal(ev.expired, 1);
  assert_int_equal(tcpsec_esp_sa_next_timeout(sa), UINT64_MAX);
  assert_int_equal(get_stats(sa).created_ms, 10000);
  assert_int_equal(get_stats(sa).last_use_ms, 13599);
  tcpsec_esp_sa_free(sa);
  tcpsec_ctx_free(ctx);
}

/* ---- configuration ------------------------------------------------------------------- */

static void config_rejects_invalid(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 37);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa = NULL;

  (void)state;
#define EXPECT_NEW(err) \
  assert_int_equal(tcpsec_esp_sa_new(ctx, &cfg, 0, &sa), (err))

  config_for(&cfg, &transforms[0], 0, TCPSEC_ESP_INBOUND);
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT); /* SPI 0 */
  config_for(&cfg, &transforms[0], 1, (tcpsec_esp_direction)0);
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT);
  config_for(&cfg, &transforms[0], 1, TCPSEC_ESP_INBOUND);
  cfg.replay_window = TCPSEC_ESP_REPLAY_WINDOW_MAX + 1;
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT);
  cfg.replay_window = TCPSEC_ESP_REPLAY_WINDOW_MAX;
  EXPECT_NEW(0);
  tcpsec_esp_sa_free(sa);
  cfg.last_seq = 0x100000000ULL;
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT); /* 64-bit start without ESN */
  cfg.last_seq = 0;
  cfg.encr_key_len = 19;
  EXPECT_NEW(TCPSEC_ERR_INVALID_KEY_LENGTH);
  cfg.encr_key_len = 4;
  EXPECT_NEW(TCPSEC_ERR_INVALID_KEY_LENGTH);
  cfg.encr_key_len = 20;
  cfg.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  cfg.integ_key = key_bytes;
  cfg.integ_key_len = 32;
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT); /* integrity with an AEAD */
  cfg.encr = 3;                            /* 3DES: not supported */
  cfg.integ = TCPSEC_INTEG_NONE;
  cfg.integ_key_len = 0;
  EXPECT_NEW(TCPSEC_ERR_UNKNOWN_ALGORITHM);

  config_for(&cfg, &transforms[3], 1, TCPSEC_ESP_OUTBOUND);
  cfg.integ = TCPSEC_INTEG_NONE;
  cfg.integ_key_len = 0;
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT); /* AES-CBC needs integrity */
  cfg.integ = 2;                           /* HMAC-SHA1-96: not supported */
  cfg.integ_key_len = 20;
  EXPECT_NEW(TCPSEC_ERR_UNKNOWN_ALGORITHM);
  cfg.integ = TCPSEC_INTEG_HMAC_SHA2_256_128;
  cfg.integ_key_len = 31;
  EXPECT_NEW(TCPSEC_ERR_INVALID_KEY_LENGTH);
  cfg.integ_key_len = 32;
  cfg.encr_key_len = 17;
  EXPECT_NEW(TCPSEC_ERR_INVALID_KEY_LENGTH);
  cfg.encr_key_len = 16;
  cfg.size = 0;
  EXPECT_NEW(TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_esp_sa_new(ctx, NULL, 0, &sa),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_null(sa);
#undef EXPECT_NEW
  tcpsec_esp_sa_free(NULL);
  tcpsec_ctx_free(ctx);
}

static void cbc_ivs_are_fresh(void **state) {
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 38);
  tcpsec_esp_sa_config cfg;
  tcpsec_esp_sa *sa;
  uint8_t inner[40], a[128], b[128];
  int mode;

  (void)state;
  make_inner(inner, sizeof(inner), 4);
  for (mode = 0; mode < 2; mode++) {
    config_for(&cfg, &transforms[3], 0xb1b1, TCPSEC_ESP_OUTBOUND);
    cfg.iv_source = mode == 0 ? TCPSEC_ESP_IV_ENCRYPTED_COUNTER
                              : TCPSEC_ESP_IV_RANDOM;
    sa = sa_new(ctx, &cfg);
    assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), a, sizeof(a), 1) >
                0);
    assert_true(tcpsec_esp_sa_seal(sa, inner, sizeof(inner), b, sizeof(b), 1) >
                0);
    /* Different IVs, so equal inner packets give different ciphertexts. */
    assert_memory_not_equal(a + 8, b + 8, 16);
    assert_memory_not_equal(a + 24, b + 24, 16);
    tcpsec_esp_sa_free(sa);
  }
  tcpsec_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(esp_roundtrip_all_transforms),
    cmocka_unit_test(esp_padding_and_alignment),
    cmocka_unit_test(esp_rfc7634_appendix_a),
    cmocka_unit_test(esp_gcm_draft_vectors),
    cmocka_unit_test(esp_esn_crosses_2_32),
    cmocka_unit_test_setup_teardown(open_rejects_truncated, open_setup,
                                    open_teardown),
    cmocka_unit_test(open_rejects_cbc_partial_block),
    cmocka_unit_test_setup_teardown(open_rejects_unknown_spi, open_setup,
                                    open_teardown),
    cmocka_unit_test_setup_teardown(open_rejects_replay, open_setup,
                                    open_teardown),
    cmocka_unit_test_setup_teardown(open_rejects_bad_icv_and_wipes, open_setup,
                                    open_teardown),
    cmocka_unit_test_setup_teardown(open_rejects_bad_padding, open_setup,
                                    open_teardown),
    cmocka_unit_test_setup_teardown(open_rejects_bad_next_header, open_setup,
                                    open_teardown),
    cmocka_unit_test_setup_teardown(open_rejects_misuse, open_setup,
                                    open_teardown),
    cmocka_unit_test(seal_rejects_bad_input),
    cmocka_unit_test(seal_stops_at_sequence_exhaustion),
    cmocka_unit_test(seal_rekey_threshold_without_esn),
    cmocka_unit_test(lifetime_packets_and_bytes),
    cmocka_unit_test(lifetime_time_and_timeouts),
    cmocka_unit_test(config_rejects_invalid),
    cmocka_unit_test(cbc_ivs_are_fresh),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
