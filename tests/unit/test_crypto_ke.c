/*
 * Unit tests for key exchange: MODP-2048, ECP-256/384/521 and Curve25519.
 *
 * Known answers:
 *   ECP: RFC 5114 appendix A.6, A.7 and A.8 (ECDH on P-256, P-384 and
 *     P-521, the curves of IKE groups 19, 20 and 21), in the RFC 5903
 *     KE payload form x | y.
 *   Curve25519: RFC 7748 section 6.1 and RFC 8031 appendix A.
 *   MODP-2048: no published IKE vector; the values below were computed
 *     with Python's pow() over the RFC 3526 section 3 prime, and the prime
 *     itself is compared with Mbed TLS's copy through the range check.
 */
#include <string.h>

#include <mbedtls/dhm.h>

#include "testutil.h"

#include "core/util.h"
#include "crypto/crypto.h"

static tcpsec_ctx *ctx;
static test_rng rng;

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 2);
  return ctx == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  ctx = NULL;
  return 0;
}

static size_t unhex(const char *hex, uint8_t *buf, size_t max) {
  long n = test_hex_decode(hex, buf, max);

  assert_true(n >= 0);
  return (size_t)n;
}

struct ke_case {
  const char *name;
  uint16_t group;
  const char *priv_i, *pub_i, *priv_r, *pub_r, *secret;
};

static const struct ke_case ke_cases[] = {
  {"RFC 5114 A.6 P-256", TCPSEC_KE_ECP_256,
   "814264145f2f56f2e96a8e337a1284993faf432a5abce59e867b7291d507a3af",
   "2af502f3be8952f2c9b5a8d4160d09e97165be50bc42ae4a5e8d3b4ba83aeb15"
   "eb0faf4ca986c4d38681a0f9872d79d56795bd4bff6e6de3c0f5015ece5efd85",
   "2ce1788ec197e096db95a200cc0ab26a19ce6bccad562b8eee1b593761cf7f41",
   "b120de4aa36492795346e8de6c2c8646ae06aaea279fa775b3ab0715f6ce51b0"
   "9f1b7eece20d7b5ed8ec685fa3f071d83727027092a8411385c34dde5708b2b6",
   "dd0f5396219d1ea393310412d19a08f1f5811e9dc8ec8eea7f80d21c820c2788"},
  {"RFC 5114 A.7 P-384", TCPSEC_KE_ECP_384,
   "d27335ea71664af244dd14e9fd1260715dfd8a7965571c48d709ee7a7962a156"
   "d706a90cbcb5df2986f05feadb9376f1",
   "793148f1787634d5da4c6d9074417d05e057ab62f82054d10ee6b0403d627954"
   "7e6a8ea9d1fd77427d016fe27a8b8c66c6c41294331d23e6f480f4fb4cd40504"
   "c947392e94f4c3f06b8f398bb29e42368f7a685923de3b67baced214a1a1d128",
   "52d1791fdb4b70f89c0f00d456c2f7023b6125262c36a7df1f80231121cce3d3"
   "9be52e00c194a4132c4a6c768bcd94d2",
   "5cd42ab9c41b5347f74b8d4efb708b3d5b36db65915359b44abc17647b6b9999"
   "789d72a84865ae2f223f12b5a1abc120e171458feaa939aaa3a8bfac46b404bd"
   "8f6d5b348c0fa4d80ceca16356ca933240bde8723415a8ece035b0edf36755de",
   "5ea1fc4af7256d2055981b110575e0a8cae53160137d904c59d926eb1b8456e4"
   "27aa8a4540884c37de159a58028abc0e"},
  {"RFC 5114 A.8 P-521", TCPSEC_KE_ECP_521,
   "0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459"
   "b9669ee78b3ffb9b8683015d344dcbfef6fb9af4c6c470be254516cd3c1a1fb4"
   "7362",
   "01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e1"
   "4881fd4442e689d61cb2dd046ee30e3ffd20f9a45bbdf6413d583a2dbf59924f"
   "d35c00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f"
   "8c4eda94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b4"
   "2a5a86a4",
   "00cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732aa1b"
   "22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d089"
   "1b96",
   "010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201"
   "af6200430ba97c8ac6a0e9f08b33ce7e9feeb5ba4ee5e0d81510c24295b8a08d"
   "023500a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099"
   "b9f4212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd"
   "4fef2695",
   "00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde5"
   "4ed1866a0dd3e6126c9d2f845daff82ceb1da08f5d87521bb0ebeca77911169c"
   "20cc"},
  {"RFC 7748 6.1", TCPSEC_KE_CURVE25519,
   "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
   "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
   "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
   "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
   "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
  {"RFC 8031 A", TCPSEC_KE_CURVE25519,
   "751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94",
   "48d5ddd4061257ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766",
   "0a54645253290d60ddadd0e030bacd9e5501efdc220755a1e978f1b839a05688",
   "0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25",
   "c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950"},
  {"MODP-2048 computed", TCPSEC_KE_MODP_2048,
   "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
   "2122232425262728",
   "f0cdbd67b9f7aa420ec897f258819be9496e9a0a5726c89df16dd7f451c98e45"
   "fb7738b946ffcc3743438f668c562d06c65d330de82a1078bf6f9292fdc86bec"
   "74ac0c26640704012785c1611d3c4f3ec28877eff3f5b11ce33a905b731dafca"
   "c4daf7e440d201db0ec4888a4e080572c92c1db2886612a28b6ab995987c8767"
   "b6a3f577e277713abefe80b9948bd5b71b931d19185d503acf998c6e4b1cdaa3"
   "bc6b1ba20c71e6aceab8bdbf477c4706bea69f095f7687f47e93f99695fe582c"
   "7cab8d33f0267dbf4aab867f3a7f7a7f626e520129cd0fa3c7dc290f59217de1"
   "7293bef38ae9b3bd3829226a08f611a9077a9acf31a954332f5a54d6eb7d524b",
   "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60"
   "6162636465666768",
   "ac111634fd5485cd4e1b67732dbaf3348510e97e8a97de00c87028682ab7bca9"
   "f352d4f7b394d42f4d206e15cc4dbfd3764fadbdf73e68a5174da1f4088e2d6b"
   "c3eab63f1e094e53d014ef0a70df94eb7782f62c78dd5cb7d276496b86830922"
   "be80d10788940395c23950cd6c391263991d35d295aaf2da86eb386c7816e47e"
   "f109cec6d91607dbf46e0c7187771a3f55a7933b9f57cc56546280211208a4d9"
   "8e8694a0c7ee8bc4f83374104cf9e217dda4776595dbdc3a53eb41ff5a961cb6"
   "bd1b6d83491de3da50835a5f6215bf717ab6e73e6910d0d37297911f920ceda5"
   "05dfa12c74bf3316aa1ddb70ffa25c3f0612513fc75fcd2426ebc7b9c0c54e08",
   "d355067f084adc49c665671675dd3cdb80e9a5503dc2e439e0e0d60fdeac1957"
   "640ef14da60d3e07673c402ce56d78721ee90f62f05420f1978ca7b00173da24"
   "50ca22b4b934b2a17eb35d26b92725273454f39caec89e164234f4b461dd0d98"
   "b10a67c723b463f13382600c949d5d63710d1c758d5b05aea5f3b224aa2e44f3"
   "4c481a946da5c85279242d873fdb936df3a520f4fef45e039db2767a63aa112c"
   "d60ea052118c28423880948ec26fce566af37fbab4b268bce00e9dd1d7b751c1"
   "57574a3df7d3d9d09dce1fe6b002afe8cc7197bf8352dccabc304f969ce18892"
   "b29941f2de502166b82a7729b1b90d41f4023dea1c343998298870a841371a71"},
};

/* Both sides from their private values: each public value and both
 * shared secrets must match the published ones. */
static void ke_known_answers(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(ke_cases); i++) {
    const struct ke_case *c = &ke_cases[i];
    const tcpsec_ke_info *info = tcpsec_ke_lookup(c->group);
    uint8_t priv_i[128], priv_r[128], pub_i[256], pub_r[256], want[256];
    uint8_t pub[256], secret[256];
    size_t priv_i_len, priv_r_len;
    tcpsec_ke *ki = NULL, *kr = NULL;

    assert_non_null(info);
    priv_i_len = unhex(c->priv_i, priv_i, sizeof(priv_i));
    priv_r_len = unhex(c->priv_r, priv_r, sizeof(priv_r));
    assert_int_equal(unhex(c->pub_i, pub_i, sizeof(pub_i)), info->public_len);
    assert_int_equal(unhex(c->pub_r, pub_r, sizeof(pub_r)), info->public_len);
    assert_int_equal(unhex(c->secret, want, sizeof(want)), info->secret_len);

    assert_int_equal(tcpsec_ke_new_with_private(ctx, c->group, priv_i,
                                                priv_i_len, &ki),
                     0);
    assert_int_equal(tcpsec_ke_new_with_private(ctx, c->group, priv_r,
                                                priv_r_len, &kr),
                     0);
    assert_int_equal(tcpsec_ke_group(ki), c->group);

    assert_int_equal(tcpsec_ke_public(ki, pub, info->public_len), 0);
    assert_memory_equal(pub, pub_i, info->public_len);
    assert_int_equal(tcpsec_ke_public(kr, pub, info->public_len), 0);
    assert_memory_equal(pub, pub_r, info->public_len);

    assert_int_equal(tcpsec_ke_compute(ki, pub_r, info->public_len, secret,
                                       info->secret_len),
                     0);
    assert_memory_equal(secret, want, info->secret_len);
    assert_int_equal(tcpsec_ke_compute(kr, pub_i, info->public_len, secret,
                                       info->secret_len),
                     0);
    assert_memory_equal(secret, want, info->secret_len);
    tcpsec_ke_free(ki);
    tcpsec_ke_free(kr);
  }
}

/* Random key pairs agree, and a deterministic source gives the same keys
 * for the same seed. */
static void ke_random_pairs_agree(void **state) {
  static const uint16_t groups[] = {TCPSEC_KE_MODP_2048, TCPSEC_KE_ECP_256,
                                    TCPSEC_KE_ECP_384, TCPSEC_KE_ECP_521,
                                    TCPSEC_KE_CURVE25519};
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(groups); i++) {
    const tcpsec_ke_info *info = tcpsec_ke_lookup(groups[i]);
    uint8_t pa[256], pb[256], pc[256], sa[256], sb[256];
    tcpsec_ke *a = NULL, *b = NULL, *c = NULL;
    test_rng rng2;
    tcpsec_ctx *ctx2;

    assert_int_equal(tcpsec_ke_new(ctx, groups[i], &a), 0);
    assert_int_equal(tcpsec_ke_new(ctx, groups[i], &b), 0);
    assert_int_equal(tcpsec_ke_public(a, pa, info->public_len), 0);
    assert_int_equal(tcpsec_ke_public(b, pb, info->public_len), 0);
    assert_memory_not_equal(pa, pb, info->public_len);
    assert_int_equal(
        tcpsec_ke_compute(a, pb, info->public_len, sa, info->secret_len), 0);
    assert_int_equal(
        tcpsec_ke_compute(b, pa, info->public_len, sb, info->secret_len), 0);
    assert_memory_equal(sa, sb, info->secret_len);

    /* Same seed, same first key pair. */
    ctx2 = test_ctx_new(&rng2, 77);
    assert_non_null(ctx2);
    assert_int_equal(tcpsec_ke_new(ctx2, groups[i], &c), 0);
    assert_int_equal(tcpsec_ke_public(c, pc, info->public_len), 0);
    tcpsec_ke_free(c);
    tcpsec_ctx_free(ctx2);
    ctx2 = test_ctx_new(&rng2, 77);
    assert_non_null(ctx2);
    assert_int_equal(tcpsec_ke_new(ctx2, groups[i], &c), 0);
    assert_int_equal(tcpsec_ke_public(c, pa, info->public_len), 0);
    assert_memory_equal(pa, pc, info->public_len);
    tcpsec_ke_free(c);
    tcpsec_ctx_free(ctx2);

    tcpsec_ke_free(a);
    tcpsec_ke_free(b);
  }
}

/* Compute with a peer value that must be rejected; the secret buffer is
 * left wiped. */
static int ke_compute_with(uint16_t group, const uint8_t *peer,
                           size_t peer_len) {
  const tcpsec_ke_info *info = tcpsec_ke_lookup(group);
  uint8_t secret[256];
  tcpsec_ke *k = NULL;
  size_t i;
  int rv;

  assert_int_equal(tcpsec_ke_new(ctx, group, &k), 0);
  memset(secret, 0x5a, sizeof(secret));
  rv = tcpsec_ke_compute(k, peer, peer_len, secret, info->secret_len);
  if (rv != 0)
    for (i = 0; i < info->secret_len; i++)
      assert_int_equal(secret[i], 0);
  tcpsec_ke_free(k);
  return rv;
}

static void ecp_rejects_invalid_points(void **state) {
  const struct ke_case *c = &ke_cases[0]; /* P-256 */
  uint8_t pub[96];
  size_t i;

  (void)state;
  unhex(c->pub_r, pub, sizeof(pub));

  /* Wrong lengths: with the SEC1 0x04 prefix, one byte short, empty. */
  {
    uint8_t prefixed[65];
    prefixed[0] = 0x04;
    memcpy(prefixed + 1, pub, 64);
    assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, prefixed, 65),
                     TCPSEC_ERR_INVALID_PUBLIC_KEY);
  }
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, pub, 63),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, NULL, 0),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);

  /* Not on the curve: y changed by one bit. */
  pub[63] ^= 0x01;
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, pub, 64),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);

  /* All zeros: (0, 0) is not on the curve (and stands for no point). */
  memset(pub, 0, sizeof(pub));
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, pub, 64),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);

  /* Coordinates not below p: all 0xff. */
  memset(pub, 0xff, sizeof(pub));
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, pub, 64),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_384, pub, 96),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);

  /* A P-384 point given to P-256 has the wrong length. */
  for (i = 0; i < 96; i++)
    pub[i] = (uint8_t)i;
  assert_int_equal(ke_compute_with(TCPSEC_KE_ECP_256, pub, 96),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
}

/* RFC 7748 section 6.1 / RFC 8031 section 2.3: low-order u-coordinates
 * give an all-zero secret, which is rejected. */
static void x25519_rejects_all_zero_secret(void **state) {
  static const char *low_order[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    /* p - 1, p and p + 1 (non-canonical forms of -1, 0 and 1) */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    /* a point of order 8 */
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  };
  uint8_t u[32];
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(low_order); i++) {
    unhex(low_order[i], u, sizeof(u));
    assert_int_equal(ke_compute_with(TCPSEC_KE_CURVE25519, u, 32),
                     TCPSEC_ERR_WEAK_SHARED_SECRET);
  }
  assert_int_equal(ke_compute_with(TCPSEC_KE_CURVE25519, u, 31),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
}

/* RFC 7748 section 5: the top bit of the u-coordinate is ignored. */
static void x25519_masks_top_bit(void **state) {
  const struct ke_case *c = &ke_cases[3];
  uint8_t priv[32], pub_r[32], want[32], secret[32];
  tcpsec_ke *k = NULL;

  (void)state;
  unhex(c->priv_i, priv, sizeof(priv));
  unhex(c->pub_r, pub_r, sizeof(pub_r));
  unhex(c->secret, want, sizeof(want));
  pub_r[31] |= 0x80;
  assert_int_equal(
      tcpsec_ke_new_with_private(ctx, TCPSEC_KE_CURVE25519, priv, 32, &k), 0);
  assert_int_equal(tcpsec_ke_compute(k, pub_r, 32, secret, 32), 0);
  assert_memory_equal(secret, want, 32);
  tcpsec_ke_free(k);
}

/* 1 < y < p-1, with p taken from Mbed TLS's RFC 3526 table: y = p-2 is
 * accepted, so both copies of the prime agree. */
static void modp_rejects_out_of_range(void **state) {
  static const uint8_t prime[] = MBEDTLS_DHM_RFC3526_MODP_2048_P_BIN;
  uint8_t y[256];

  (void)state;
  assert_int_equal(sizeof(prime), 256);

  memset(y, 0, sizeof(y));
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
  y[255] = 1;
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
  y[255] = 2;
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256), 0);

  memcpy(y, prime, 256);
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY); /* p */
  y[255] = (uint8_t)(prime[255] - 1);
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY); /* p - 1 */
  y[255] = (uint8_t)(prime[255] - 2);
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256), 0);

  memset(y, 0xff, sizeof(y));
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 256),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
  assert_int_equal(ke_compute_with(TCPSEC_KE_MODP_2048, y, 255),
                   TCPSEC_ERR_INVALID_PUBLIC_KEY);
}

static void ke_rejects_bad_arguments(void **state) {
  static const uint8_t zero[66] = {0};
  uint8_t n256[32], big[300] = {0}, buf[256];
  tcpsec_ke *k = (tcpsec_ke *)1;

  (void)state;
  /* Unknown groups: MODP-1024 (2), brainpool (28). */
  assert_int_equal(tcpsec_ke_new(ctx, 2, &k), TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_null(k);
  assert_int_equal(tcpsec_ke_new(ctx, 28, &k), TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_ke_new(ctx, TCPSEC_KE_ECP_256, NULL),
                   TCPSEC_ERR_INVALID_ARGUMENT);

  /* Private values out of range: 0, the group order n, too long. */
  assert_int_equal(
      tcpsec_ke_new_with_private(ctx, TCPSEC_KE_ECP_256, zero, 32, &k),
      TCPSEC_ERR_INVALID_ARGUMENT);
  unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        n256, sizeof(n256));
  assert_int_equal(
      tcpsec_ke_new_with_private(ctx, TCPSEC_KE_ECP_256, n256, 32, &k),
      TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ke_new_with_private(ctx, TCPSEC_KE_MODP_2048, zero,
                                              1, &k),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ke_new_with_private(ctx, TCPSEC_KE_MODP_2048, big,
                                              sizeof(big), &k),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      tcpsec_ke_new_with_private(ctx, TCPSEC_KE_CURVE25519, zero, 31, &k),
      TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      tcpsec_ke_new_with_private(ctx, TCPSEC_KE_ECP_256, NULL, 32, &k),
      TCPSEC_ERR_INVALID_ARGUMENT);

  /* Output buffers of the wrong size. */
  assert_int_equal(tcpsec_ke_new(ctx, TCPSEC_KE_ECP_256, &k), 0);
  assert_int_equal(tcpsec_ke_public(k, buf, 63), TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_ke_public(k, buf, 65), TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ke_public(k, buf, 64), 0);
  assert_int_equal(tcpsec_ke_compute(k, buf, 64, buf + 64, 31),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_ke_compute(k, buf, 64, NULL, 32),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_ke_free(k);
  tcpsec_ke_free(NULL);
  assert_int_equal(tcpsec_ke_group(NULL), TCPSEC_KE_NONE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ke_known_answers),
    cmocka_unit_test(ke_random_pairs_agree),
    cmocka_unit_test(ecp_rejects_invalid_points),
    cmocka_unit_test(x25519_rejects_all_zero_secret),
    cmocka_unit_test(x25519_masks_top_bit),
    cmocka_unit_test(modp_rejects_out_of_range),
    cmocka_unit_test(ke_rejects_bad_arguments),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
