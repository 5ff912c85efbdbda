/*
 * Unit tests for the crypto layer: registry, hashes, HMAC, PRF, prf+,
 * IKEv2 key derivation, AEAD, AES-CBC and the provider table.
 *
 * Known answers:
 *   SHA-1/SHA-2 of "abc": FIPS 180-2 appendix examples.
 *   HMAC-SHA2: RFC 4868 section 2.7.1 (PRF-1, PRF-2, PRF-5) and 2.7.2.1
 *     (AUTH256-1), the same inputs as RFC 4231 test cases 1, 2 and 6.
 *   IKEv2 KDF: NIST CAVP SP 800-135 IKEv2 KDF test file (CAVS 12.0),
 *     [SHA-256], Ni/Nr length 64, COUNT = 0.
 *   AES-GCM: "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega,
 *     test cases 2, 4 and 16.
 *   ChaCha20-Poly1305: RFC 7634 appendix A (ESP example).
 *   AES-CBC: RFC 3602 section 4, cases 1 and 2.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "crypto/provider.h"

static tcpsec_ctx *ctx;
static test_rng rng;

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 1);
  return ctx == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  ctx = NULL;
  return 0;
}

/* Decode hex into buf (fails the test on bad hex); returns the length. */
static size_t unhex(const char *hex, uint8_t *buf, size_t max) {
  long n = test_hex_decode(hex, buf, max);

  assert_true(n >= 0);
  return (size_t)n;
}

static void assert_hex_equal(const uint8_t *got, const char *hex) {
  uint8_t want[512];
  size_t n = unhex(hex, want, sizeof(want));

  assert_memory_equal(got, want, n);
}

/* ---- registry ----------------------------------------------------------- */

static void registry_lookups(void **state) {
  const tcpsec_encr_info *e;
  const tcpsec_prf_info *p;
  const tcpsec_integ_info *i;
  const tcpsec_ke_info *k;

  (void)state;
  e = tcpsec_encr_lookup(TCPSEC_ENCR_AES_GCM_16);
  assert_non_null(e);
  assert_int_equal(e->aead, 1);
  assert_int_equal(e->iv_len, 8);
  assert_int_equal(e->icv_len, 16);
  assert_int_equal(e->salt_len, 4);
  assert_true(tcpsec_encr_key_bits_valid(e, 128));
  assert_true(tcpsec_encr_key_bits_valid(e, 256));
  assert_false(tcpsec_encr_key_bits_valid(e, 192));

  e = tcpsec_encr_lookup(TCPSEC_ENCR_AES_CBC);
  assert_non_null(e);
  assert_int_equal(e->aead, 0);
  assert_int_equal(e->block_len, 16);
  assert_int_equal(e->iv_len, 16);
  assert_true(tcpsec_encr_key_bits_valid(e, 192));

  e = tcpsec_encr_lookup(TCPSEC_ENCR_CHACHA20_POLY1305);
  assert_non_null(e);
  assert_int_equal(e->keylen_attr, 0);
  assert_true(tcpsec_encr_key_bits_valid(e, 256));
  assert_false(tcpsec_encr_key_bits_valid(e, 128));
  assert_false(tcpsec_encr_key_bits_valid(NULL, 128));

  p = tcpsec_prf_lookup(TCPSEC_PRF_HMAC_SHA2_384);
  assert_non_null(p);
  assert_int_equal(p->hash, TCPSEC_HASH_SHA384);
  assert_int_equal(p->out_len, 48);

  i = tcpsec_integ_lookup(TCPSEC_INTEG_HMAC_SHA2_512_256);
  assert_non_null(i);
  assert_int_equal(i->key_len, 64);
  assert_int_equal(i->icv_len, 32);

  k = tcpsec_ke_lookup(TCPSEC_KE_ECP_521);
  assert_non_null(k);
  assert_int_equal(k->public_len, 132);
  assert_int_equal(k->secret_len, 66);

  assert_null(tcpsec_encr_lookup(3));  /* 3DES */
  assert_null(tcpsec_prf_lookup(2));   /* PRF_HMAC_SHA1 */
  assert_null(tcpsec_integ_lookup(2)); /* AUTH_HMAC_SHA1_96 */
  assert_null(tcpsec_ke_lookup(2));    /* MODP-1024 */
  assert_int_equal(tcpsec_hash_len(TCPSEC_HASH_SHA1), 20);
  assert_int_equal(tcpsec_hash_len(TCPSEC_HASH_NONE), 0);
}

/* ---- hashes ------------------------------------------------------------- */

static void hash_known_answers(void **state) {
  static const struct {
    tcpsec_hash_alg alg;
    const char *digest;
  } cases[] = {
    {TCPSEC_HASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {TCPSEC_HASH_SHA256,
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {TCPSEC_HASH_SHA384,
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
     "8086072ba1e7cc2358baeca134c825a7"},
    {TCPSEC_HASH_SHA512,
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
  };
  /* "abc" split over three pieces, one of them empty. */
  tcpsec_iov iov[3] = {{(const uint8_t *)"a", 1}, {NULL, 0},
                       {(const uint8_t *)"bc", 2}};
  uint8_t out[TCPSEC_HASH_MAX_LEN];
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    memset(out, 0, sizeof(out));
    assert_int_equal(tcpsec_hash(ctx, cases[i].alg, iov, 3, out), 0);
    assert_hex_equal(out, cases[i].digest);
  }
}

static void hash_rejects_bad_arguments(void **state) {
  tcpsec_iov iov = {NULL, 3};
  uint8_t out[TCPSEC_HASH_MAX_LEN];

  (void)state;
  assert_int_equal(tcpsec_hash(ctx, TCPSEC_HASH_NONE, NULL, 0, out),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_hash(ctx, (tcpsec_hash_alg)9, NULL, 0, out),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_hash(ctx, TCPSEC_HASH_SHA256, &iov, 1, out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_hash(ctx, TCPSEC_HASH_SHA256, NULL, 1, out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_hash(NULL, TCPSEC_HASH_SHA256, NULL, 0, out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_hash(ctx, TCPSEC_HASH_SHA256, NULL, 0, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

/* ---- HMAC and PRF ------------------------------------------------------- */

struct prf_case {
  const char *name;
  const char *key;
  const char *data;
  const char *sha256;
  const char *sha384;
  const char *sha512;
};

static const struct prf_case rfc4868_prf[] = {
  {"PRF-1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
   "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
   "faea9ea9076ede7f4af152e8b2fa9cb6",
   "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
   "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
  {"PRF-2", "4a656665",
   "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
   "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
   "8e2240ca5e69e2c78b3239ecfab21649",
   "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
   "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
  /* PRF-5: a 131-byte key, longer than the SHA-512 block. */
  {"PRF-5",
   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
   "aaaaaa",
   "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
   "65204b6579202d2048617368204b6579204669727374",
   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
   "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
   "0c2ef6ab4030fe8296248df163f44952",
   "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
   "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
};

static void prf_rfc4868_known_answers(void **state) {
  static const uint16_t prfs[3] = {TCPSEC_PRF_HMAC_SHA2_256,
                                   TCPSEC_PRF_HMAC_SHA2_384,
                                   TCPSEC_PRF_HMAC_SHA2_512};
  uint8_t key[256], data[256], out[TCPSEC_HASH_MAX_LEN];
  size_t i, j, key_len;
  tcpsec_iov iov;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(rfc4868_prf); i++) {
    const struct prf_case *c = &rfc4868_prf[i];
    const char *want[3] = {c->sha256, c->sha384, c->sha512};

    key_len = unhex(c->key, key, sizeof(key));
    iov.data = data;
    iov.len = unhex(c->data, data, sizeof(data));
    for (j = 0; j < 3; j++) {
      memset(out, 0, sizeof(out));
      assert_int_equal(tcpsec_prf(ctx, prfs[j], key, key_len, &iov, 1, out),
                       0);
      assert_hex_equal(out, want[j]);
    }
  }
}

/* RFC 4868 2.7.2.1 AUTH256-1: a 32-byte key and the ICV truncated to 128
 * bits, computed through a kept key twice to show the reset works. */
static void hmac_key_reuse_matches_oneshot(void **state) {
  static const char key_hex[] =
      "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
  uint8_t key[32], a[32], b[32], c[32];
  tcpsec_iov iov = {(const uint8_t *)"Hi There", 8};
  tcpsec_hmac_key *k = NULL;

  (void)state;
  unhex(key_hex, key, sizeof(key));
  assert_int_equal(
      tcpsec_hmac_key_new(ctx, TCPSEC_HASH_SHA256, key, sizeof(key), &k), 0);
  assert_non_null(k);
  assert_int_equal(tcpsec_hmac_key_compute(k, &iov, 1, a), 0);
  assert_int_equal(tcpsec_hmac_key_compute(k, &iov, 1, b), 0);
  assert_int_equal(tcpsec_hmac(ctx, TCPSEC_HASH_SHA256, key, sizeof(key),
                               &iov, 1, c),
                   0);
  assert_hex_equal(a, "198a607eb44bfbc69903a0f1cf2bbdc5");
  assert_memory_equal(a, b, sizeof(a));
  assert_memory_equal(a, c, sizeof(a));
  tcpsec_hmac_key_free(k);
  tcpsec_hmac_key_free(NULL);
}

static void hmac_rejects_bad_arguments(void **state) {
  uint8_t key[16] = {0}, out[TCPSEC_HASH_MAX_LEN];
  tcpsec_hmac_key *k = (tcpsec_hmac_key *)1;

  (void)state;
  assert_int_equal(tcpsec_hmac(ctx, TCPSEC_HASH_NONE, key, 16, NULL, 0, out),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_hmac(ctx, TCPSEC_HASH_SHA256, NULL, 16, NULL, 0,
                               out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      tcpsec_hmac_key_new(ctx, (tcpsec_hash_alg)7, key, 16, &k),
      TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_null(k);
  assert_int_equal(tcpsec_hmac_key_new(ctx, TCPSEC_HASH_SHA256, key, 16, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_hmac_key_compute(NULL, NULL, 0, out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_prf(ctx, 2, key, 16, NULL, 0, out),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
}

/* ---- prf+ --------------------------------------------------------------- */

/* T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02), checked block by
 * block against the one-shot PRF. */
static void prf_plus_matches_definition(void **state) {
  uint8_t key[20], out[80], t1[32], t2[32], one = 1, two = 2;
  const uint8_t s1[] = "seed-", s2[] = "pieces";
  tcpsec_iov seed[2] = {{s1, 5}, {s2, 6}};
  tcpsec_iov iov1[3] = {{s1, 5}, {s2, 6}, {&one, 1}};
  tcpsec_iov iov2[4] = {{t1, 32}, {s1, 5}, {s2, 6}, {&two, 1}};

  (void)state;
  memset(key, 0x42, sizeof(key));
  assert_int_equal(tcpsec_prf_plus(ctx, TCPSEC_PRF_HMAC_SHA2_256, key,
                                   sizeof(key), seed, 2, out, 40),
                   0);
  assert_int_equal(
      tcpsec_prf(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, sizeof(key), iov1, 3, t1),
      0);
  assert_int_equal(
      tcpsec_prf(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, sizeof(key), iov2, 4, t2),
      0);
  assert_memory_equal(out, t1, 32);
  assert_memory_equal(out + 32, t2, 8);
}

static void prf_plus_limits(void **state) {
  const size_t max = TCPSEC_PRF_PLUS_MAX_BLOCKS * 32;
  uint8_t key[32] = {1}, *out = malloc(max + 1);
  tcpsec_iov seed[TCPSEC_PRF_PLUS_MAX_SEED + 1];
  size_t i;

  (void)state;
  assert_non_null(out);
  for (i = 0; i < TCPSEC_ARRAY_SIZE(seed); i++) {
    seed[i].data = key;
    seed[i].len = 1;
  }

  /* Exactly 255 blocks is allowed; one byte more is not. */
  assert_int_equal(tcpsec_prf_plus(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, 32,
                                   seed, 1, out, max),
                   0);
  assert_int_equal(tcpsec_prf_plus(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, 32,
                                   seed, 1, out, max + 1),
                   TCPSEC_ERR_LIMIT);
  assert_int_equal(tcpsec_prf_plus(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, 32,
                                   seed, TCPSEC_PRF_PLUS_MAX_SEED + 1, out, 32),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_prf_plus(ctx, 99, key, 32, seed, 1, out, 32),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_prf_plus(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, 32,
                                   seed, 1, out, 0),
                   0);
  free(out);
}

/* ---- IKEv2 KDFs (NIST CAVP SP 800-135, [SHA-256], COUNT = 0) ------------ */

static const char cavp_ni[] = "ed80dc79912c32a9";
static const char cavp_nr[] = "35fb6d1a3feac078";
static const char cavp_gir[] =
    "42968e5d0ccc3cfc5a3e4bc1bba370cea1fae0d54c49ccba34b2bee804beeb2e"
    "9e8c57a4e01bd45102cf2433aacc6cfec06792f363e5170e6aa6650274e90664"
    "8e449d27a8f00b5b44261982c9835c748a751ec5138eaacc5e025661339538a6"
    "1bf418e454699e19c32db8d9ce5dd86b220f1e89afc5872e68be36cb1a0c8866";
static const char cavp_gir_new[] =
    "a0747f546ca1460016828843c9a5bfaff64f1beb0eaf2a7999a55790851546b9"
    "3e79600e9c1fd263f10e0a6b0b3efe0cada3e57e2352779156392d2372fe834e"
    "874d0aaecff5d1ba0dfb02b1b7848275e5f6951a57fda99d365acf3a8909139a"
    "d8714995ffc7aedd5764d36c1a6936afacfbee7ab74a44695019ee544c9b525f";
static const char cavp_spi_i[] = "47c1858efc932ea4";
static const char cavp_spi_r[] = "606fd05609624002";
static const char cavp_skeyseed[] =
    "37fde90b81d63692620f67367b62092e3efdc6a03509137d731004767ff35010";
static const char cavp_dkm[] =
    "63d018a08f7a29daa7d1f92cb63f45fa39bbaf5e5f1a78139613bb891e3e6bf9"
    "d0448f7c74e05b4c1a25c0b61e62c875e852f287e192d4ae536112db51972164"
    "00bd5e123470efc15f53161865fe8b19a1416518a157d651ecd2caddab6a9eae"
    "6a27a55af088218d5156edaa9789f934d9836ed43edffda553822202ff9f7d48"
    "60ca72e0";
static const char cavp_child_dkm[] =
    "1aa75030d18185338fb509c3822481bb1cc7cd96cfcc29e110287a4ea2798be3"
    "455edb260ab8b3d503cfbd24f36833ff3506c741dd641d4c425087221e231dc6"
    "058ce3c620424c884c631abd9482c9ffada2e11f0c011dc4cbb35dd2bdfb47a7"
    "5bdd7cb1a7f2f81ffabe183d37ab5c43b16e9099adbb4f97385d6cdbb08ed54d"
    "ae99585b";
static const char cavp_child_dh_dkm[] =
    "c4bcf3b4f6cd8e1801700e4b0ce435e3688fffd3f8e8523e8099de77689b1600"
    "c1272e6bf908624df0742bc95843e3e83859d2e1f658b4b0217440e06b7f1006"
    "9b3cc8f68f499069a3febff59a14ae2a8a5f40b664b4a6bcffe742ce257d41d1"
    "70c295e3b92ae515e827b83399aab6484da2256715fa5a9b11f6f76c29e33f71"
    "68ac6e96";
static const char cavp_skeyseed_rekey[] =
    "42a6415f55def1a764aa3265a0ab43e3702d7d6d36a0bf2f19952816d6209a3a";

static void kdf_cavp_sha256(void **state) {
  uint8_t ni[8], nr[8], gir[128], gir_new[128], spi_i[8], spi_r[8];
  uint8_t skeyseed[32], dkm[132], child[132];
  const uint16_t prf = TCPSEC_PRF_HMAC_SHA2_256;

  (void)state;
  unhex(cavp_ni, ni, sizeof(ni));
  unhex(cavp_nr, nr, sizeof(nr));
  unhex(cavp_gir, gir, sizeof(gir));
  unhex(cavp_gir_new, gir_new, sizeof(gir_new));
  unhex(cavp_spi_i, spi_i, sizeof(spi_i));
  unhex(cavp_spi_r, spi_r, sizeof(spi_r));

  /* SKEYSEED = prf(Ni | Nr, g^ir) */
  assert_int_equal(tcpsec_ikev2_skeyseed(ctx, prf, ni, 8, nr, 8, gir, 128,
                                         skeyseed),
                   0);
  assert_hex_equal(skeyseed, cavp_skeyseed);

  /* DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr); SK_d is its first 32
   * bytes. */
  assert_int_equal(tcpsec_ikev2_ike_keymat(ctx, prf, skeyseed, 32, ni, 8, nr,
                                           8, spi_i, spi_r, dkm, sizeof(dkm)),
                   0);
  assert_hex_equal(dkm, cavp_dkm);

  /* Child SA without and with a new key exchange. */
  assert_int_equal(tcpsec_ikev2_child_keymat(ctx, prf, dkm, 32, NULL, 0, ni,
                                             8, nr, 8, child, sizeof(child)),
                   0);
  assert_hex_equal(child, cavp_child_dkm);
  assert_int_equal(tcpsec_ikev2_child_keymat(ctx, prf, dkm, 32, gir_new, 128,
                                             ni, 8, nr, 8, child,
                                             sizeof(child)),
                   0);
  assert_hex_equal(child, cavp_child_dh_dkm);

  /* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
  assert_int_equal(tcpsec_ikev2_skeyseed_rekey(ctx, prf, dkm, 32, gir_new,
                                               128, ni, 8, nr, 8, skeyseed),
                   0);
  assert_hex_equal(skeyseed, cavp_skeyseed_rekey);
}

static void kdf_rejects_bad_arguments(void **state) {
  uint8_t big[TCPSEC_NONCE_MAX_LEN + 1] = {0}, out[64];
  const uint8_t spi[8] = {0};

  (void)state;
  assert_int_equal(tcpsec_ikev2_skeyseed(ctx, 1, big, 16, big, 16, big, 8,
                                         out),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_ikev2_skeyseed(ctx, TCPSEC_PRF_HMAC_SHA2_256, big,
                                         sizeof(big), big, 16, big, 8, out),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ikev2_ike_keymat(ctx, TCPSEC_PRF_HMAC_SHA2_256, big,
                                           32, big, 16, big, 16, spi, NULL,
                                           out, sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ikev2_child_keymat(ctx, TCPSEC_PRF_HMAC_SHA2_256,
                                             NULL, 32, NULL, 0, big, 16, big,
                                             16, out, sizeof(out)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

/* ---- AEAD --------------------------------------------------------------- */

struct aead_case {
  const char *name;
  uint16_t encr;
  const char *key, *nonce, *aad, *plaintext, *ciphertext, *tag;
};

static const struct aead_case aead_cases[] = {
  {"GCM test case 2", TCPSEC_ENCR_AES_GCM_16,
   "00000000000000000000000000000000", "000000000000000000000000", "",
   "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
   "ab6e47d42cec13bdf53a67b21257bddf"},
  {"GCM test case 4", TCPSEC_ENCR_AES_GCM_16,
   "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
   "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
   "5bc94fbc3221a5db94fae95ae7121a47"},
  {"GCM test case 16", TCPSEC_ENCR_AES_GCM_16,
   "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
   "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
   "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
   "76fc6ece0f4e1768cddf8853bb2d551b"},
  {"RFC 7634 appendix A", TCPSEC_ENCR_CHACHA20_POLY1305,
   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
   "a0a1a2a31011121314151617", "0102030400000005",
   "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
   "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
   "2425262728292a2b2c2d2e2f303132333435363701020204",
   "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
   "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
   "cbec163fac469b502773f6fb94e664da9165b82829f641e0",
   "76aaa8266b7fb0f7b11b369907e1ad43"},
};

static void aead_known_answers(void **state) {
  uint8_t key[32], nonce[12], aad[64], pt[128], ct[128], buf[128], tag[16];
  size_t i, key_len, aad_len, len;
  tcpsec_aead *a;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(aead_cases); i++) {
    const struct aead_case *c = &aead_cases[i];

    key_len = unhex(c->key, key, sizeof(key));
    unhex(c->nonce, nonce, sizeof(nonce));
    aad_len = unhex(c->aad, aad, sizeof(aad));
    len = unhex(c->plaintext, pt, sizeof(pt));
    unhex(c->ciphertext, ct, sizeof(ct));
    a = NULL;
    assert_int_equal(tcpsec_aead_new(ctx, c->encr, key, key_len, &a), 0);

    /* Separate buffers. */
    assert_int_equal(tcpsec_aead_encrypt(a, nonce, aad, aad_len, pt, buf, len,
                                         tag),
                     0);
    assert_memory_equal(buf, ct, len);
    assert_hex_equal(tag, c->tag);

    /* In place, both directions. */
    memcpy(buf, pt, len);
    assert_int_equal(tcpsec_aead_encrypt(a, nonce, aad, aad_len, buf, buf,
                                         len, tag),
                     0);
    assert_memory_equal(buf, ct, len);
    assert_int_equal(tcpsec_aead_decrypt(a, nonce, aad, aad_len, buf, buf,
                                         len, tag),
                     0);
    assert_memory_equal(buf, pt, len);
    tcpsec_aead_free(a);
  }
}

/* A modified tag, ciphertext or AAD is rejected and the output wiped. */
static void aead_tag_mismatch_wipes_output(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(aead_cases); i++) {
    const struct aead_case *c = &aead_cases[i];
    uint8_t key[32], nonce[12], aad[64], ct[128], out[128], tag[16];
    size_t key_len, aad_len, len, k;
    tcpsec_aead *a = NULL;
    int rv;

    key_len = unhex(c->key, key, sizeof(key));
    unhex(c->nonce, nonce, sizeof(nonce));
    aad_len = unhex(c->aad, aad, sizeof(aad));
    len = unhex(c->ciphertext, ct, sizeof(ct));
    unhex(c->tag, tag, sizeof(tag));
    assert_int_equal(tcpsec_aead_new(ctx, c->encr, key, key_len, &a), 0);

    for (k = 0; k < 3; k++) {
      uint8_t *target = tag;

      if (k == 1)
        target = ct;
      if (k == 2) {
        if (aad_len == 0)
          continue;
        target = aad;
      }
      target[0] ^= 0x01;
      memset(out, 0xa5, sizeof(out));
      rv = tcpsec_aead_decrypt(a, nonce, aad, aad_len, ct, out, len, tag);
      assert_int_equal(rv, TCPSEC_ERR_ICV_MISMATCH);
      for (size_t j = 0; j < len; j++)
        assert_int_equal(out[j], 0);
      target[0] ^= 0x01;
    }
    tcpsec_aead_free(a);
  }
}

static void aead_rejects_bad_keys_and_algorithms(void **state) {
  uint8_t key[32] = {0}, nonce[12] = {0}, tag[16], buf[16] = {0};
  tcpsec_aead *a = (tcpsec_aead *)1;

  (void)state;
  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, key, 24, &a),
                   TCPSEC_ERR_INVALID_KEY_LENGTH);
  assert_null(a);
  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, key, 20, &a),
                   TCPSEC_ERR_INVALID_KEY_LENGTH);
  assert_int_equal(
      tcpsec_aead_new(ctx, TCPSEC_ENCR_CHACHA20_POLY1305, key, 16, &a),
      TCPSEC_ERR_INVALID_KEY_LENGTH);
  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_CBC, key, 16, &a),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_aead_new(ctx, 19, key, 16, &a),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM); /* AES-GCM-12 */
  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, NULL, 16, &a),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, key, 16, &a),
                   0);
  assert_int_equal(tcpsec_aead_encrypt(a, NULL, NULL, 0, buf, buf, 16, tag),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_aead_encrypt(a, nonce, NULL, 4, buf, buf, 16, tag),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_aead_decrypt(a, nonce, NULL, 0, NULL, buf, 16, tag),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  /* An empty message still carries a tag. */
  assert_int_equal(tcpsec_aead_encrypt(a, nonce, NULL, 0, NULL, NULL, 0, tag),
                   0);
  assert_int_equal(tcpsec_aead_decrypt(a, nonce, NULL, 0, NULL, NULL, 0, tag),
                   0);
  tcpsec_aead_free(a);
  tcpsec_aead_free(NULL);
}

/* ---- AES-CBC (RFC 3602 section 4) --------------------------------------- */

static void cbc_rfc3602_known_answers(void **state) {
  static const struct {
    const char *key, *iv, *plaintext, *ciphertext;
  } cases[] = {
    {"06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
     "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a"},
    {"c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
  };
  uint8_t key[16], iv[16], iv_copy[16], pt[32], ct[32], buf[32];
  size_t i, len;
  tcpsec_cbc *c;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(cases); i++) {
    unhex(cases[i].key, key, sizeof(key));
    unhex(cases[i].iv, iv, sizeof(iv));
    len = unhex(cases[i].plaintext, pt, sizeof(pt));
    unhex(cases[i].ciphertext, ct, sizeof(ct));
    memcpy(iv_copy, iv, sizeof(iv));
    c = NULL;
    assert_int_equal(tcpsec_cbc_new(ctx, key, sizeof(key), &c), 0);

    assert_int_equal(tcpsec_cbc_encrypt(c, iv, pt, buf, len), 0);
    assert_memory_equal(buf, ct, len);
    assert_memory_equal(iv, iv_copy, sizeof(iv));

    /* In-place decryption. */
    assert_int_equal(tcpsec_cbc_decrypt(c, iv, buf, buf, len), 0);
    assert_memory_equal(buf, pt, len);
    assert_memory_equal(iv, iv_copy, sizeof(iv));
    tcpsec_cbc_free(c);
  }
}

static void cbc_rejects_bad_arguments(void **state) {
  uint8_t key[32] = {0}, iv[16] = {0}, buf[32] = {0};
  tcpsec_cbc *c = (tcpsec_cbc *)1;

  (void)state;
  assert_int_equal(tcpsec_cbc_new(ctx, key, 20, &c),
                   TCPSEC_ERR_INVALID_KEY_LENGTH);
  assert_null(c);
  assert_int_equal(tcpsec_cbc_new(ctx, key, 0, &c),
                   TCPSEC_ERR_INVALID_KEY_LENGTH);
  assert_int_equal(tcpsec_cbc_new(ctx, key, 24, &c), 0);
  assert_int_equal(tcpsec_cbc_encrypt(c, iv, buf, buf, 17),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_cbc_decrypt(c, NULL, buf, buf, 16),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_cbc_encrypt(c, iv, buf, buf, 0), 0);
  tcpsec_cbc_free(c);
  tcpsec_cbc_free(NULL);
}

/* ---- allocation failures ------------------------------------------------ */

static void *failing_malloc(size_t size, void *user) {
  (void)size;
  (void)user;
  return NULL;
}

static void *failing_realloc(void *ptr, size_t size, void *user) {
  (void)ptr;
  (void)size;
  (void)user;
  return NULL;
}

static void plain_free(void *ptr, void *user) {
  (void)user;
  free(ptr);
}

static void objects_report_no_memory(void **state) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *fail_ctx;
  uint8_t key[32] = {0};
  tcpsec_aead *a = NULL;
  tcpsec_cbc *c = NULL;
  tcpsec_hmac_key *h = NULL;
  tcpsec_ke *ke = NULL;

  (void)state;
  /* The context itself needs memory: take it from a working context's
   * allocator, then swap in one that always fails. */
  tcpsec_ctx_config_default(&cfg);
  cfg.random = test_rng_fill;
  cfg.random_user = &rng;
  assert_int_equal(tcpsec_ctx_new(&cfg, &fail_ctx), 0);
  fail_ctx->allocator.malloc_fn = failing_malloc;
  fail_ctx->allocator.realloc_fn = failing_realloc;
  fail_ctx->allocator.free_fn = plain_free;

  assert_int_equal(
      tcpsec_aead_new(fail_ctx, TCPSEC_ENCR_AES_GCM_16, key, 16, &a),
      TCPSEC_ERR_NO_MEMORY);
  assert_int_equal(tcpsec_cbc_new(fail_ctx, key, 16, &c), TCPSEC_ERR_NO_MEMORY);
  assert_int_equal(
      tcpsec_hmac_key_new(fail_ctx, TCPSEC_HASH_SHA256, key, 32, &h),
      TCPSEC_ERR_NO_MEMORY);
  assert_int_equal(tcpsec_ke_new(fail_ctx, TCPSEC_KE_ECP_256, &ke),
                   TCPSEC_ERR_NO_MEMORY);
  assert_null(a);
  assert_null(c);
  assert_null(h);
  assert_null(ke);
  tcpsec_ctx_free(fail_ctx);
}

/* ---- provider table ----------------------------------------------------- */

static unsigned hash_calls, hmac_calls;

static int counting_hash(tcpsec_ctx *c, tcpsec_hash_alg alg,
                         const tcpsec_iov *iov, size_t iov_count,
                         uint8_t *out) {
  hash_calls++;
  return tcpsec_mbedtls_provider.hash(c, alg, iov, iov_count, out);
}

static int counting_hmac(tcpsec_ctx *c, tcpsec_hash_alg alg,
                         const uint8_t *key, size_t key_len,
                         const tcpsec_iov *iov, size_t iov_count,
                         uint8_t *out) {
  hmac_calls++;
  return tcpsec_mbedtls_provider.hmac(c, alg, key, key_len, iov, iov_count,
                                      out);
}

/* The functions of crypto.h go through the table in ctx->crypto, and keyed
 * objects remember the provider that made them. */
static void provider_table_dispatches(void **state) {
  struct tcpsec_crypto_provider counting = tcpsec_mbedtls_provider;
  const struct tcpsec_crypto_provider *saved = ctx->crypto;
  uint8_t key[16] = {0}, out[TCPSEC_HASH_MAX_LEN];
  tcpsec_aead *a = NULL;

  (void)state;
  assert_ptr_equal(tcpsec_crypto_default_provider(), &tcpsec_mbedtls_provider);
  assert_ptr_equal(ctx->crypto, &tcpsec_mbedtls_provider);

  counting.hash = counting_hash;
  counting.hmac = counting_hmac;
  ctx->crypto = &counting;
  hash_calls = hmac_calls = 0;
  assert_int_equal(tcpsec_hash(ctx, TCPSEC_HASH_SHA256, NULL, 0, out), 0);
  assert_int_equal(hash_calls, 1);
  assert_int_equal(tcpsec_prf(ctx, TCPSEC_PRF_HMAC_SHA2_256, key, 16, NULL,
                              0, out),
                   0);
  assert_int_equal(hmac_calls, 1);
  assert_int_equal(tcpsec_aead_new(ctx, TCPSEC_ENCR_AES_GCM_16, key, 16, &a),
                   0);
  assert_ptr_equal(a->provider, &tcpsec_mbedtls_provider);
  assert_ptr_equal(a->ctx, ctx);
  tcpsec_aead_free(a);
  ctx->crypto = saved;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(registry_lookups),
    cmocka_unit_test(hash_known_answers),
    cmocka_unit_test(hash_rejects_bad_arguments),
    cmocka_unit_test(prf_rfc4868_known_answers),
    cmocka_unit_test(hmac_key_reuse_matches_oneshot),
    cmocka_unit_test(hmac_rejects_bad_arguments),
    cmocka_unit_test(prf_plus_matches_definition),
    cmocka_unit_test(prf_plus_limits),
    cmocka_unit_test(kdf_cavp_sha256),
    cmocka_unit_test(kdf_rejects_bad_arguments),
    cmocka_unit_test(aead_known_answers),
    cmocka_unit_test(aead_tag_mismatch_wipes_output),
    cmocka_unit_test(aead_rejects_bad_keys_and_algorithms),
    cmocka_unit_test(cbc_rfc3602_known_answers),
    cmocka_unit_test(cbc_rejects_bad_arguments),
    cmocka_unit_test(objects_report_no_memory),
    cmocka_unit_test(provider_table_dispatches),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
