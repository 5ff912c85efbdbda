/*
 * Unit tests for signatures (crypto/sig.h): RSA PKCS#1 v1.5 and
 * RSASSA-PSS, ECDSA on P-256/384/521 in DER and raw r | s form, key
 * parsing, and the RFC 7427 AlgorithmIdentifier codec.
 *
 * Sources:
 *   AlgorithmIdentifier bytes: RFC 7427 Appendix A.1.1 to A.1.4, A.3.1 to
 *   A.3.4, A.4.1 to A.4.3, transcribed. The RSASSA-PSS forms for SHA-384
 *   and SHA-512 are tcpsec's own, not from the RFC. They are A.4.3 with
 *   the hash OID's last arc and the salt length changed.
 *   ECDSA known answers: RFC 4754 sections 8.1 to 8.3 (public key gw,
 *   message "abc", signature r | s), transcribed.
 *   Keys: generated for these tests with OpenSSL 3.0 (genpkey, ecparam,
 *   pkey); they protect nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "crypto/sig.h"

static tcpsec_ctx *ctx;
static test_rng rng;

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 7427);
  return ctx == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  ctx = NULL;
  return 0;
}

/* ---- keys ----------------------------------------------------------------- */

static const char rsa_pkcs8_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDAxa5LLE0ZhvXv\n"
  "fYChPPz7zAo52WhwAdYo5gU1NimQTVq+5riahdtZtYfCxAeGkRahQPmv6tbb7RgR\n"
  "4yC3rNJbPkgDElNpmZa/+LCcYb+r2iW72pU9+ErF8AN3PYK9M9VdHvjUg8eSitrf\n"
  "kknmwXjnaM5faGMT2X/5z+YJGn19IrZU2Lz7oukIERk3MW6BX0seUGF4WrML35nv\n"
  "/kV8jos9rzvLpnUOrjgsvU7tPG+5Ra6a+wQYWKtdHPlgF41DW7d2UpbK7U+MUwZK\n"
  "/vlFR+auWXdC074hyz+ufpf/MLUmozpx25jv/G+Az0tbeeNIxa176K2bYQrLwk7i\n"
  "p9SD7vuTAgMBAAECggEAEJjnxCv0FqH3fZkC2l8QfqZEE+3NDFlY7m9UVkJSJ80R\n"
  "M0u7UmQuAGmDXwu9UVYfanjYRpyW+gG0eqD6/MJFExTbFf1qiYM8AIFRkdVOSTL6\n"
  "E4d8jATBsCZVfHTv7O+QJXle/f67aYZjbxZlHuVCtKHiCtx6k1RWeW3vjCvn6Nfn\n"
  "zIC4r6mc3CWKjRX+NogwNvo+/CtG3h2KJqh5YLOSO0y35D5PnNq2+03Io28yKDOS\n"
  "EGDcsbSoEqSRd/QTAJlXwrjxMOzkEE78fLf4RmndeFePtm95lD+B9jKsAV/Imf8E\n"
  "fYPelXI6MUbj4jbmQXVdqyOx459Gd/sTT/KTSRVIkQKBgQDjdITusf5Dsy87U6JB\n"
  "nHhfDhhTY03oGZreQkkz+l6sAMIOKNga7J1b2NrUhaQPmbEoeXREJZT9aU+t1iRu\n"
  "NIM0Scc2DoMmOj8ihHpKAx2M9mn8sYJUai7hsqaFaIirWnQndQFyWTlpI3clB5hl\n"
  "UbLaEB5+sod146zYNtxso1k16QKBgQDY9uXJPkve+Gt+gzvozrm8otAiVZbeGgCh\n"
  "iXTJqb39SYzqFUER6oBCKZWEOxYl835j0Oiij0NScoQgsh9Ee/YICgXek/ESVi1C\n"
  "p9+WJuRn0/aNy5TnSM5q/ahDL5QDcBDDfrNUEh67eTvJZda1i1RzfNv8G+RP19XM\n"
  "HkjAC4hsGwKBgGSIsOTsCW2U+pBnY/VKGq4xBbF92AZ5oskQVVjDFitCXoNxrCsi\n"
  "YF8jV33N3/kBPpucKzafwd3MOWqllw6a6U8oOQP8oB06a4NvOLoT7HDMzYXiU6/K\n"
  "CxS5KP8YeCf84BA8mDoZk9WT1mqok8RcuwfFTiVD9bm2u0QJ452lCZ5ZAoGARLRC\n"
  "Zaytd+jwmTpTcVBtLpfcEtNJmAFh68VMT0PKHvf4gHPEjDjW7pyedSYEyHXHszIH\n"
  "SNrW9be/sV7WWehrK3aJD0eH0kepw27HdZPRRjOv4ozyFR9QBj9W1het5jzJgi6P\n"
  "+PJX+wPT892k1Q5O6tdCDh6C+OmfESkR3oaIZ7sCgYApEGLhc1dG0v3JcHu8ow4r\n"
  "IMu/RccVcGO6/K5OxT7w1CC2U1yz5C543ZFJ7t1vDvjOrjyka8/zuZIQl/7nVKiV\n"
  "LRMjzxV/J0FJJl3gQkkDZepudC718Q4OJU5p185179Bim2+IOoXjUVqkWuQa2lB9\n"
  "n1np+ED4hN/f+LZuBXTwPA==\n"
  "-----END PRIVATE KEY-----\n";

static const char rsa_pkcs1_pem[] =
  "-----BEGIN RSA PRIVATE KEY-----\n"
  "MIIEogIBAAKCAQEAwMWuSyxNGYb1732AoTz8+8wKOdlocAHWKOYFNTYpkE1avua4\n"
  "moXbWbWHwsQHhpEWoUD5r+rW2+0YEeMgt6zSWz5IAxJTaZmWv/iwnGG/q9olu9qV\n"
  "PfhKxfADdz2CvTPVXR741IPHkora35JJ5sF452jOX2hjE9l/+c/mCRp9fSK2VNi8\n"
  "+6LpCBEZNzFugV9LHlBheFqzC9+Z7/5FfI6LPa87y6Z1Dq44LL1O7TxvuUWumvsE\n"
  "GFirXRz5YBeNQ1u3dlKWyu1PjFMGSv75RUfmrll3QtO+Ics/rn6X/zC1JqM6cduY\n"
  "7/xvgM9LW3njSMWte+itm2EKy8JO4qfUg+77kwIDAQABAoIBABCY58Qr9Bah932Z\n"
  "AtpfEH6mRBPtzQxZWO5vVFZCUifNETNLu1JkLgBpg18LvVFWH2p42EaclvoBtHqg\n"
  "+vzCRRMU2xX9aomDPACBUZHVTkky+hOHfIwEwbAmVXx07+zvkCV5Xv3+u2mGY28W\n"
  "ZR7lQrSh4grcepNUVnlt74wr5+jX58yAuK+pnNwlio0V/jaIMDb6PvwrRt4diiao\n"
  "eWCzkjtMt+Q+T5zatvtNyKNvMigzkhBg3LG0qBKkkXf0EwCZV8K48TDs5BBO/Hy3\n"
  "+EZp3XhXj7ZveZQ/gfYyrAFfyJn/BH2D3pVyOjFG4+I25kF1XasjseOfRnf7E0/y\n"
  "k0kVSJECgYEA43SE7rH+Q7MvO1OiQZx4Xw4YU2NN6Bma3kJJM/perADCDijYGuyd\n"
  "W9ja1IWkD5mxKHl0RCWU/WlPrdYkbjSDNEnHNg6DJjo/IoR6SgMdjPZp/LGCVGou\n"
  "4bKmhWiIq1p0J3UBclk5aSN3JQeYZVGy2hAefrKHdeOs2DbcbKNZNekCgYEA2Pbl\n"
  "yT5L3vhrfoM76M65vKLQIlWW3hoAoYl0yam9/UmM6hVBEeqAQimVhDsWJfN+Y9Do\n"
  "oo9DUnKEILIfRHv2CAoF3pPxElYtQqfflibkZ9P2jcuU50jOav2oQy+UA3AQw36z\n"
  "VBIeu3k7yWXWtYtUc3zb/BvkT9fVzB5IwAuIbBsCgYBkiLDk7AltlPqQZ2P1Shqu\n"
  "MQWxfdgGeaLJEFVYwxYrQl6DcawrImBfI1d9zd/5AT6bnCs2n8HdzDlqpZcOmulP\n"
  "KDkD/KAdOmuDbzi6E+xwzM2F4lOvygsUuSj/GHgn/OAQPJg6GZPVk9ZqqJPEXLsH\n"
  "xU4lQ/W5trtECeOdpQmeWQKBgES0QmWsrXfo8Jk6U3FQbS6X3BLTSZgBYevFTE9D\n"
  "yh73+IBzxIw41u6cnnUmBMh1x7MyB0ja1vW3v7Fe1lnoayt2iQ9Hh9JHqcNux3WT\n"
  "0UYzr+KM8hUfUAY/VtYXreY8yYIuj/jyV/sD0/PdpNUOTurXQg4egvjpnxEpEd6G\n"
  "iGe7AoGAKRBi4XNXRtL9yXB7vKMOKyDLv0XHFXBjuvyuTsU+8NQgtlNcs+QueN2R\n"
  "Se7dbw74zq48pGvP87mSEJf+51SolS0TI88VfydBSSZd4EJJA2XqbnQu9fEODiVO\n"
  "adfOde/QYptviDqF41FapFrkGtpQfZ9Z6fhA+ITf3/i2bgV08Dw=\n"
  "-----END RSA PRIVATE KEY-----\n";

static const char rsa_public_pem[] =
  "-----BEGIN PUBLIC KEY-----\n"
  "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwMWuSyxNGYb1732AoTz8\n"
  "+8wKOdlocAHWKOYFNTYpkE1avua4moXbWbWHwsQHhpEWoUD5r+rW2+0YEeMgt6zS\n"
  "Wz5IAxJTaZmWv/iwnGG/q9olu9qVPfhKxfADdz2CvTPVXR741IPHkora35JJ5sF4\n"
  "52jOX2hjE9l/+c/mCRp9fSK2VNi8+6LpCBEZNzFugV9LHlBheFqzC9+Z7/5FfI6L\n"
  "Pa87y6Z1Dq44LL1O7TxvuUWumvsEGFirXRz5YBeNQ1u3dlKWyu1PjFMGSv75RUfm\n"
  "rll3QtO+Ics/rn6X/zC1JqM6cduY7/xvgM9LW3njSMWte+itm2EKy8JO4qfUg+77\n"
  "kwIDAQAB\n"
  "-----END PUBLIC KEY-----\n";

static const char p256_sec1_pem[] =
  "-----BEGIN EC PRIVATE KEY-----\n"
  "MHcCAQEEIHy74tqwa6eG+bJDSBWrqMIoRftTT/TPxan6MAS5/E55oAoGCCqGSM49\n"
  "AwEHoUQDQgAE+6npX6S7oM2fUoediw2zmzmDB2X4wdkTZxoo5HQ5C0HrQZqqpDpJ\n"
  "I0D3t49DTVaepe98BNYy6+E3bvOyJTx1Uw==\n"
  "-----END EC PRIVATE KEY-----\n";

static const char p384_pkcs8_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAbWyCOOeQGhi8CwI4K\n"
  "oudPSbXUUSwX/7ZU+kI/eV9mWRtS8GWt+FUEJzhJkihpSN2hZANiAATEKFHI0moX\n"
  "IAbssj9mVpudUxQOfPCPruPvbb2vWfEgCb5NsxZ+FFqqwXu+aFKMCBoP0YLmM9nV\n"
  "CtgdA2y6jh6ExYRjot2bCu07HlnqkRAW8iGufehLsNKtZFN57oLKad0=\n"
  "-----END PRIVATE KEY-----\n";

static const char p384_public_pem[] =
  "-----BEGIN PUBLIC KEY-----\n"
  "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAExChRyNJqFyAG7LI/ZlabnVMUDnzwj67j\n"
  "7229r1nxIAm+TbMWfhRaqsF7vmhSjAgaD9GC5jPZ1QrYHQNsuo4ehMWEY6Ldmwrt\n"
  "Ox5Z6pEQFvIhrn3oS7DSrWRTee6Cymnd\n"
  "-----END PUBLIC KEY-----\n";

static const char p521_sec1_pem[] =
  "-----BEGIN EC PRIVATE KEY-----\n"
  "MIHcAgEBBEIALOaJfVhcLUzbGjDZXWx4me//D8XxdUXVB5tU9vod+HxoP08E9zXx\n"
  "JR15FHyVlMZdcD876RUw+KGzbmBCuGw7RtqgBwYFK4EEACOhgYkDgYYABADRrV1J\n"
  "ic4WJf3Zh9D5M8U9XsT9Tc59fS4CbsIZ/pgsYCIwhB+p8HhDk8xBsjuu+zOxC07C\n"
  "JKLdg1VcY1QQ0nSmWwDyuhfT0+k5eqbJ4OuEk1WkLvV+mEewo/8QS+nxHmHN30Yq\n"
  "NALHA+qBpYSAE+n06wATel1U95z0BpXaKzxs6pD4AA==\n"
  "-----END EC PRIVATE KEY-----\n";

static const char p521_public_pem[] =
  "-----BEGIN PUBLIC KEY-----\n"
  "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQA0a1dSYnOFiX92YfQ+TPFPV7E/U3O\n"
  "fX0uAm7CGf6YLGAiMIQfqfB4Q5PMQbI7rvszsQtOwiSi3YNVXGNUENJ0plsA8roX\n"
  "09PpOXqmyeDrhJNVpC71fphHsKP/EEvp8R5hzd9GKjQCxwPqgaWEgBPp9OsAE3pd\n"
  "VPec9AaV2is8bOqQ+AA=\n"
  "-----END PUBLIC KEY-----\n";

static const char p256_public_der_hex[] =
  "3059301306072a8648ce3d020106082a8648ce3d03010703420004fba9e95fa4"
  "bba0cd9f52879d8b0db39b39830765f8c1d913671a28e474390b41eb419aaaa4"
  "3a492340f7b78f434d569ea5ef7c04d632ebe1376ef3b2253c7553";

static const char ed25519_public_der_hex[] =
  "302a300506032b65700321008ea898a4c8b99fc0cfe5061ee3f9a8c0e7494f7c"
  "8d9bd8e3883540c1de9cfa6b";

static const char secp256k1_public_der_hex[] =
  "3056301006072a8648ce3d020106052b8104000a034200049349fb303ef847a9"
  "14e37f065bfc0df202a17718c9908f1263e9430d87d2ba152572b847b56a34ef"
  "077370cf5b0da5e2bac556d983788122ba2f45473f3cf123";

static const char rsa1024_public_der_hex[] =
  "30819f300d06092a864886f70d010101050003818d0030818902818100c46b9b"
  "f13887c03f3a5500ed41cf5897cc94e120f1abc924b92c9402da5847caf2b3c9"
  "5232ee7dfffd5eac7fcd3513f39f118412c3044b4f5dee1d8f64c59a4aac047c"
  "64b17163be0bcbf0851ad0bc9740fa17f2f299d70e704894af16813e94fa5890"
  "7902b290597d390e7501c852067cd4d133db53190dd27a4ff26f8259bd020301"
  "0001";

static tcpsec_sig_key *parse_pem(const char *pem, int private_key) {
  tcpsec_sig_key *key = NULL;
  int rv;

  if (private_key)
    rv = tcpsec_sig_key_parse_private(ctx, (const uint8_t *)pem, strlen(pem),
                                      &key);
  else
    rv = tcpsec_sig_key_parse_public(ctx, (const uint8_t *)pem, strlen(pem),
                                     &key);
  assert_int_equal(rv, 0);
  assert_non_null(key);
  return key;
}

static int parse_public_hex(const char *hex, tcpsec_sig_key **key) {
  size_t len;
  uint8_t *der = test_hex_alloc(hex, &len);
  int rv;

  assert_non_null(der);
  rv = tcpsec_sig_key_parse_public(ctx, der, len, key);
  free(der);
  return rv;
}

struct key_case {
  const char *name;
  const char *private_pem;
  const char *public_pem;     /* NULL: public_hex */
  const char *public_hex;
  tcpsec_sig_key_type type;
  size_t bits;
};

static const struct key_case key_cases[] = {
  {"RSA PKCS#8", rsa_pkcs8_pem, rsa_public_pem, NULL, TCPSEC_SIG_KEY_RSA,
   2048},
  {"RSA PKCS#1", rsa_pkcs1_pem, rsa_public_pem, NULL, TCPSEC_SIG_KEY_RSA,
   2048},
  {"P-256 SEC1", p256_sec1_pem, NULL, p256_public_der_hex,
   TCPSEC_SIG_KEY_ECDSA_P256, 256},
  {"P-384 PKCS#8", p384_pkcs8_pem, p384_public_pem, NULL,
   TCPSEC_SIG_KEY_ECDSA_P384, 384},
  {"P-521 SEC1", p521_sec1_pem, p521_public_pem, NULL,
   TCPSEC_SIG_KEY_ECDSA_P521, 521},
};

static tcpsec_sig_key *case_public(const struct key_case *kc) {
  tcpsec_sig_key *key = NULL;

  if (kc->public_pem != NULL)
    return parse_pem(kc->public_pem, 0);
  assert_int_equal(parse_public_hex(kc->public_hex, &key), 0);
  return key;
}

static void test_key_types(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(key_cases); i++) {
    const struct key_case *kc = &key_cases[i];
    tcpsec_sig_key *priv = parse_pem(kc->private_pem, 1);
    tcpsec_sig_key *pub = case_public(kc);

    assert_int_equal(tcpsec_sig_key_type_of(priv), kc->type);
    assert_int_equal(tcpsec_sig_key_type_of(pub), kc->type);
    assert_int_equal(tcpsec_sig_key_bits(priv), kc->bits);
    assert_int_equal(tcpsec_sig_key_bits(pub), kc->bits);
    assert_true(tcpsec_sig_key_can_sign(priv));
    assert_false(tcpsec_sig_key_can_sign(pub));
    tcpsec_sig_key_free(priv);
    tcpsec_sig_key_free(pub);
  }
  tcpsec_sig_key_free(NULL);
}

/* RFC 4754 section 4 pairs each curve with one hash. */
static void test_classic_ecdsa_hash(void **state) {
  (void)state;
  assert_int_equal(tcpsec_sig_ecdsa_classic_hash(TCPSEC_SIG_KEY_ECDSA_P256),
                   TCPSEC_HASH_SHA256);
  assert_int_equal(tcpsec_sig_ecdsa_classic_hash(TCPSEC_SIG_KEY_ECDSA_P384),
                   TCPSEC_HASH_SHA384);
  assert_int_equal(tcpsec_sig_ecdsa_classic_hash(TCPSEC_SIG_KEY_ECDSA_P521),
                   TCPSEC_HASH_SHA512);
  assert_int_equal(tcpsec_sig_ecdsa_classic_hash(TCPSEC_SIG_KEY_RSA),
                   TCPSEC_HASH_NONE);
}

/* ---- round trips ---------------------------------------------------------- */

static const uint8_t msg_a[] = "InitiatorSignedOctets: IKE_SA_INIT | Nr | ";
static const uint8_t msg_b[] = "prf(SK_pi, IDi')";

static const tcpsec_hash_alg hashes[] = {
  TCPSEC_HASH_SHA256, TCPSEC_HASH_SHA384, TCPSEC_HASH_SHA512};

/* Sign msg_a | msg_b in two pieces and check the signature over the same
 * bytes in one piece, with the public key and with the private key. */
static void round_trip(const struct key_case *kc, tcpsec_sig_scheme scheme,
                       tcpsec_hash_alg hash) {
  tcpsec_sig_key *priv = parse_pem(kc->private_pem, 1);
  tcpsec_sig_key *pub = case_public(kc);
  uint8_t whole[sizeof(msg_a) + sizeof(msg_b)];
  uint8_t sig[TCPSEC_SIG_MAX_LEN], sig2[TCPSEC_SIG_MAX_LEN];
  tcpsec_iov parts[2] = {{msg_a, sizeof(msg_a)}, {msg_b, sizeof(msg_b)}};
  tcpsec_iov whole_iov = {whole, sizeof(whole)};
  size_t sig_len = 0, sig2_len = 0;

  memcpy(whole, msg_a, sizeof(msg_a));
  memcpy(whole + sizeof(msg_a), msg_b, sizeof(msg_b));

  assert_int_equal(tcpsec_sig_sign(priv, scheme, hash, parts, 2, sig,
                                   sizeof(sig), &sig_len),
                   0);
  assert_true(sig_len > 0);
  assert_true(sig_len <= tcpsec_sig_max_len(priv, scheme));
  if (scheme != TCPSEC_SIG_ECDSA_DER)
    assert_int_equal(sig_len, tcpsec_sig_max_len(priv, scheme));
  assert_int_equal(
      tcpsec_sig_verify(pub, scheme, hash, &whole_iov, 1, sig, sig_len), 0);
  assert_int_equal(
      tcpsec_sig_verify(priv, scheme, hash, parts, 2, sig, sig_len), 0);

  /* ECDSA nonces are derived from the key and the message (RFC 6979) and
   * PKCS#1 v1.5 has no randomness: signing again gives the same bytes.
   * RSASSA-PSS draws a fresh salt. */
  assert_int_equal(tcpsec_sig_sign(priv, scheme, hash, &whole_iov, 1, sig2,
                                   sizeof(sig2), &sig2_len),
                   0);
  if (scheme == TCPSEC_SIG_RSA_PSS) {
    assert_int_equal(sig2_len, sig_len);
    assert_memory_not_equal(sig, sig2, sig_len);
  } else {
    assert_int_equal(sig2_len, sig_len);
    assert_memory_equal(sig, sig2, sig_len);
  }

  tcpsec_sig_key_free(priv);
  tcpsec_sig_key_free(pub);
}

/* SHA-1 is accepted with PKCS#1 v1.5 only (IKEv2 method 1 of older
 * peers). openssl, when installed, verifies tcpsec's signature on its own,
 * and a signature it makes verifies in tcpsec. */
static void test_pkcs1_sha1(void **state) {
  static const char text[] = "InitiatorSignedOctets of an IKEv2 method 1";
  tcpsec_sig_key *priv = parse_pem(rsa_pkcs8_pem, 1);
  tcpsec_sig_key *pub = parse_pem(rsa_public_pem, 0);
  tcpsec_iov iov = {(const uint8_t *)text, sizeof(text) - 1};
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  char dir[] = "/tmp/tcpsec-sig-XXXXXX", cmd[512], path[128];
  size_t sig_len = 0;
  FILE *f;

  (void)state;
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_RSA_PKCS1,
                                   TCPSEC_HASH_SHA1, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   0);
  assert_int_equal(sig_len, 256);
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_RSA_PKCS1,
                                     TCPSEC_HASH_SHA1, &iov, 1, sig, sig_len),
                   0);
  /* The encoding names the hash: SHA2-256 does not verify it. */
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_RSA_PKCS1,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig,
                                     sig_len),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_RSA_PSS, TCPSEC_HASH_SHA1,
                                   &iov, 1, sig, sizeof(sig), &sig_len),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);

  if (system("command -v openssl >/dev/null 2>&1") != 0) {
    print_message("skipped: openssl command not found for the cross-check\n");
    tcpsec_sig_key_free(priv);
    tcpsec_sig_key_free(pub);
    return;
  }
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/key.pem", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(rsa_pkcs8_pem, f);
  fclose(f);
  snprintf(path, sizeof(path), "%s/msg", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_RSA_PKCS1,
                                   TCPSEC_HASH_SHA1, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   0);
  snprintf(path, sizeof(path), "%s/sig", dir);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(sig, 1, sig_len, f), sig_len);
  fclose(f);
  snprintf(cmd, sizeof(cmd),
           "cd %s && openssl dgst -sha1 -sign key.pem -out theirs msg && "
           "openssl pkey -in key.pem -pubout -out pub.pem && "
           "openssl dgst -sha1 -verify pub.pem -signature sig msg "
           ">/dev/null",
           dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof(path), "%s/theirs", dir);
  f = fopen(path, "rb");
  assert_non_null(f);
  sig_len = fread(sig, 1, sizeof(sig), f);
  fclose(f);
  assert_int_equal(sig_len, 256);
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_RSA_PKCS1,
                                     TCPSEC_HASH_SHA1, &iov, 1, sig, sig_len),
                   0);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
  tcpsec_sig_key_free(priv);
  tcpsec_sig_key_free(pub);
}

static void test_round_trips(void **state) {
  size_t i, h;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(key_cases); i++)
    for (h = 0; h < TCPSEC_ARRAY_SIZE(hashes); h++) {
      if (key_cases[i].type == TCPSEC_SIG_KEY_RSA) {
        round_trip(&key_cases[i], TCPSEC_SIG_RSA_PKCS1, hashes[h]);
        round_trip(&key_cases[i], TCPSEC_SIG_RSA_PSS, hashes[h]);
      } else {
        round_trip(&key_cases[i], TCPSEC_SIG_ECDSA_DER, hashes[h]);
        round_trip(&key_cases[i], TCPSEC_SIG_ECDSA_RAW, hashes[h]);
      }
    }
}

/* ---- known answer ------------------------------------------------------ */

struct rfc4754_case {
  const char *name;
  tcpsec_sig_key_type type;
  size_t field_len;
  const char *spki_hex; /* SubjectPublicKeyInfo around 04 | gwx | gwy */
  const char *rs_hex;   /* r | s */
};

static const struct rfc4754_case rfc4754_cases[] = {
  {"8.1 ECDSA-256", TCPSEC_SIG_KEY_ECDSA_P256, 32,
   "3059301306072a8648ce3d020106082a8648ce3d030107034200042442a5cc0e"
   "cd015fa3ca31dc8e2bbc70bf42d60cbca20085e0822cb04235e9706fc98bd7e5"
   "0211a4a27102fa3549df79ebcb4bf246b80945cddfe7d509bbfd7d",
   "cb28e0999b9c7715fd0a80d8e47a77079716cbbf917dd72e97566ea1c066957c"
   "86fa3bb4e26cad5bf90b7f81899256ce7594bb1ea0c89212748bff3b3d5b0315"},
  {"8.2 ECDSA-384", TCPSEC_SIG_KEY_ECDSA_P384, 48,
   "3076301006072a8648ce3d020106052b810400220362000496281bf8dd5e0525"
   "ca049c048d345d3082968d10fedf5c5aca0c64e6465a97ea5ce10c9dfec21797"
   "415710721f437922447688ba94708eb6e2e4d59f6ab6d7edff9301d249fe49c3"
   "3096655f5d502fad3d383b91c5e7edaa2b714cc99d5743ca",
   "fb017b914e29149432d8bac29a514640b46f53ddab2c69948084e2930f1c8f7e"
   "08e07c9c63f2d21a07dcb56a6af56eb3b263a1305e057f984d38726a1b468741"
   "09f417bca112674c528262a40a629af1cbb9f516ce0fa7d2ff630863a00e8b9f"},
  {"8.3 ECDSA-521", TCPSEC_SIG_KEY_ECDSA_P521, 66,
   "30819b301006072a8648ce3d020106052b8104002303818600040151518f1af0"
   "f563517edd5485190df95a4bf57b5cba4cf2a9a3f6474725a35f7afe0a6ddeb8"
   "bedbcd6a197e592d40188901cecd650699c9b5e456aea5add19052a8006f3b14"
   "2ea1bfff7e2837ad44c9e4ff6d2d34c73184bbad90026dd5e6e85317d9df45ca"
   "d7803c6c20035b2f3ff63aff4e1ba64d1c077577da3f4286c58f0aeae643",
   "0154fd3836af92d0dca57dd5341d3053988534fde8318fc6aaaab68e2e6f4339"
   "b19f2f281a7e0b22c269d93cf8794a9278880ed7dbb8d9362caeacee54432055"
   "2251017705a7030290d1ceb605a9a1bb03ff9cdd521e87a696ec926c8c10c836"
   "2df4975367101f67d1cf9bccbf2f3d239534fa509e70aac851ae01aac68d62f8"
   "66472660"},
};

/* Each RFC 4754 signature of "abc" verifies with the hash that the curve
 * fixes, as r | s and as DER, and stops verifying when r changes. */
static void test_rfc4754_known_answers(void **state) {
  static const uint8_t abc[] = {'a', 'b', 'c'};
  tcpsec_iov iov = {abc, sizeof(abc)};
  uint8_t rs[2 * TCPSEC_SIG_ECDSA_MAX_FIELD];
  uint8_t der[TCPSEC_SIG_ECDSA_DER_MAX_LEN];
  tcpsec_sig_key *key;
  tcpsec_hash_alg hash;
  size_t i, der_len, rs_len;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(rfc4754_cases); i++) {
    const struct rfc4754_case *rc = &rfc4754_cases[i];

    print_message("RFC 4754 %s\n", rc->name);
    key = NULL;
    assert_int_equal(parse_public_hex(rc->spki_hex, &key), 0);
    assert_int_equal(tcpsec_sig_key_type_of(key), rc->type);
    rs_len = 2 * rc->field_len;
    assert_int_equal(test_hex_decode(rc->rs_hex, rs, sizeof(rs)),
                     (long)rs_len);
    hash = tcpsec_sig_ecdsa_classic_hash(rc->type);
    assert_int_equal(tcpsec_sig_max_len(key, TCPSEC_SIG_ECDSA_RAW), rs_len);
    assert_true(tcpsec_sig_max_len(key, TCPSEC_SIG_ECDSA_DER) <=
                TCPSEC_SIG_ECDSA_DER_MAX_LEN);
    assert_int_equal(tcpsec_sig_verify(key, TCPSEC_SIG_ECDSA_RAW, hash, &iov,
                                       1, rs, rs_len),
                     0);

    /* The same signature in the RFC 7427 encoding. */
    der_len = 0;
    assert_int_equal(tcpsec_sig_ecdsa_raw_to_der(rs, rc->field_len, der,
                                                 sizeof(der), &der_len),
                     0);
    assert_int_equal(tcpsec_sig_verify(key, TCPSEC_SIG_ECDSA_DER, hash, &iov,
                                       1, der, der_len),
                     0);

    rs[rc->field_len - 1] ^= 0x01;
    assert_int_equal(tcpsec_sig_verify(key, TCPSEC_SIG_ECDSA_RAW, hash, &iov,
                                       1, rs, rs_len),
                     TCPSEC_ERR_SIGNATURE_INVALID);
    tcpsec_sig_key_free(key);
  }
}

/* ---- tampering -------------------------------------------------------------- */

static void tamper_case(const struct key_case *kc, tcpsec_sig_scheme scheme,
                        tcpsec_sig_scheme other_scheme) {
  tcpsec_sig_key *priv = parse_pem(kc->private_pem, 1);
  tcpsec_sig_key *pub = case_public(kc);
  uint8_t msg[64], sig[TCPSEC_SIG_MAX_LEN];
  tcpsec_iov iov = {msg, sizeof(msg)};
  size_t sig_len = 0;

  memset(msg, 0x5a, sizeof(msg));
  assert_int_equal(tcpsec_sig_sign(priv, scheme, TCPSEC_HASH_SHA256, &iov, 1,
                                   sig, sizeof(sig), &sig_len),
                   0);
  assert_int_equal(tcpsec_sig_verify(pub, scheme, TCPSEC_HASH_SHA256, &iov, 1,
                                     sig, sig_len),
                   0);

  /* The last octet is part of s (ECDSA) or of the RSA value, so the DER
   * structure stays intact. */
  sig[sig_len - 1] ^= 0x01;
  assert_int_equal(tcpsec_sig_verify(pub, scheme, TCPSEC_HASH_SHA256, &iov, 1,
                                     sig, sig_len),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  sig[sig_len - 1] ^= 0x01;

  msg[10] ^= 0x80;
  assert_int_equal(tcpsec_sig_verify(pub, scheme, TCPSEC_HASH_SHA256, &iov, 1,
                                     sig, sig_len),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  msg[10] ^= 0x80;

  /* Another hash, or for RSA the other padding, does not verify. */
  assert_int_equal(tcpsec_sig_verify(pub, scheme, TCPSEC_HASH_SHA384, &iov, 1,
                                     sig, sig_len),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  if (other_scheme == TCPSEC_SIG_RSA_PKCS1 || other_scheme == TCPSEC_SIG_RSA_PSS)
    assert_int_equal(tcpsec_sig_verify(pub, other_scheme, TCPSEC_HASH_SHA256,
                                       &iov, 1, sig, sig_len),
                     TCPSEC_ERR_SIGNATURE_INVALID);

  tcpsec_sig_key_free(priv);
  tcpsec_sig_key_free(pub);
}

static void test_tampered(void **state) {
  (void)state;
  tamper_case(&key_cases[0], TCPSEC_SIG_RSA_PKCS1, TCPSEC_SIG_RSA_PSS);
  tamper_case(&key_cases[0], TCPSEC_SIG_RSA_PSS, TCPSEC_SIG_RSA_PKCS1);
  tamper_case(&key_cases[2], TCPSEC_SIG_ECDSA_DER, TCPSEC_SIG_ECDSA_RAW);
  tamper_case(&key_cases[2], TCPSEC_SIG_ECDSA_RAW, TCPSEC_SIG_ECDSA_DER);
  tamper_case(&key_cases[3], TCPSEC_SIG_ECDSA_DER, TCPSEC_SIG_ECDSA_RAW);
  tamper_case(&key_cases[4], TCPSEC_SIG_ECDSA_RAW, TCPSEC_SIG_ECDSA_DER);
}

/* A signature from one key does not verify under another of the same type. */
static void test_other_key(void **state) {
  tcpsec_sig_key *p384 = parse_pem(p384_pkcs8_pem, 1);
  tcpsec_sig_key *p521 = parse_pem(p521_public_pem, 0);
  tcpsec_sig_key *p256 = case_public(&key_cases[2]);
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  tcpsec_iov iov = {msg_a, sizeof(msg_a)};
  size_t sig_len = 0;

  (void)state;
  assert_int_equal(tcpsec_sig_sign(p384, TCPSEC_SIG_ECDSA_DER,
                                   TCPSEC_HASH_SHA384, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   0);
  /* P-384 r and s fit in P-521's field but not in P-256's. */
  assert_int_equal(tcpsec_sig_verify(p521, TCPSEC_SIG_ECDSA_DER,
                                     TCPSEC_HASH_SHA384, &iov, 1, sig,
                                     sig_len),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  assert_int_equal(tcpsec_sig_verify(p256, TCPSEC_SIG_ECDSA_DER,
                                     TCPSEC_HASH_SHA384, &iov, 1, sig,
                                     sig_len),
                   TCPSEC_ERR_MALFORMED);
  tcpsec_sig_key_free(p384);
  tcpsec_sig_key_free(p521);
  tcpsec_sig_key_free(p256);
}

/* ---- key and scheme errors ------------------------------------------------- */

static void test_wrong_key_type(void **state) {
  tcpsec_sig_key *rsa = parse_pem(rsa_pkcs1_pem, 1);
  tcpsec_sig_key *ec = parse_pem(p256_sec1_pem, 1);
  tcpsec_sig_key *key = NULL;
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  tcpsec_iov iov = {msg_a, sizeof(msg_a)};
  size_t sig_len = 0;

  (void)state;
  assert_int_equal(tcpsec_sig_sign(rsa, TCPSEC_SIG_ECDSA_DER,
                                   TCPSEC_HASH_SHA256, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_int_equal(tcpsec_sig_sign(ec, TCPSEC_SIG_RSA_PSS, TCPSEC_HASH_SHA256,
                                   &iov, 1, sig, sizeof(sig), &sig_len),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_int_equal(tcpsec_sig_verify(ec, TCPSEC_SIG_RSA_PKCS1,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 256),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_int_equal(tcpsec_sig_verify(rsa, TCPSEC_SIG_ECDSA_RAW,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 64),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_int_equal(tcpsec_sig_max_len(rsa, TCPSEC_SIG_ECDSA_RAW), 0);

  /* Keys tcpsec does not sign with: Ed25519, secp256k1, RSA-1024. */
  assert_int_equal(parse_public_hex(ed25519_public_der_hex, &key),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_null(key);
  assert_int_equal(parse_public_hex(secp256k1_public_der_hex, &key),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_null(key);
  assert_int_equal(parse_public_hex(rsa1024_public_der_hex, &key),
                   TCPSEC_ERR_UNSUPPORTED_KEY_TYPE);
  assert_null(key);

  tcpsec_sig_key_free(rsa);
  tcpsec_sig_key_free(ec);
}

static void test_sign_errors(void **state) {
  tcpsec_sig_key *priv = parse_pem(p256_sec1_pem, 1);
  tcpsec_sig_key *pub = case_public(&key_cases[2]);
  uint8_t sig[TCPSEC_SIG_MAX_LEN];
  tcpsec_iov iov = {msg_a, sizeof(msg_a)};
  size_t sig_len = 0;

  (void)state;
  /* A public key cannot sign. */
  assert_int_equal(tcpsec_sig_sign(pub, TCPSEC_SIG_ECDSA_RAW,
                                   TCPSEC_HASH_SHA256, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_ECDSA_RAW,
                                   TCPSEC_HASH_SHA256, &iov, 1, sig, 63,
                                   &sig_len),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_ECDSA_DER,
                                   TCPSEC_HASH_SHA256, &iov, 1, sig, 8,
                                   &sig_len),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(tcpsec_sig_sign(priv, TCPSEC_SIG_ECDSA_RAW,
                                   TCPSEC_HASH_SHA1, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
  assert_int_equal(tcpsec_sig_sign(priv, (tcpsec_sig_scheme)9,
                                   TCPSEC_HASH_SHA256, &iov, 1, sig,
                                   sizeof(sig), &sig_len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_sig_key_free(priv);
  tcpsec_sig_key_free(pub);
}

static void test_malformed_keys(void **state) {
  static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01};
  tcpsec_sig_key *key = NULL;
  size_t len;
  uint8_t *der = test_hex_alloc(p256_public_der_hex, &len);
  char *pem;

  (void)state;
  assert_non_null(der);
  assert_int_equal(tcpsec_sig_key_parse_public(ctx, garbage, sizeof(garbage),
                                               &key),
                   TCPSEC_ERR_MALFORMED);
  assert_null(key);
  /* Truncated DER, and DER with a trailing octet. */
  assert_int_equal(tcpsec_sig_key_parse_public(ctx, der, len - 1, &key),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(tcpsec_sig_key_parse_private(ctx, der, len, &key),
                   TCPSEC_ERR_MALFORMED);
  assert_null(key);
  /* PEM cut in the middle of its base64 text. */
  pem = malloc(sizeof(rsa_pkcs1_pem));
  assert_non_null(pem);
  memcpy(pem, rsa_pkcs1_pem, sizeof(rsa_pkcs1_pem));
  pem[strlen(pem) / 2] = '\0';
  assert_int_equal(tcpsec_sig_key_parse_private(ctx, (const uint8_t *)pem,
                                                strlen(pem), &key),
                   TCPSEC_ERR_MALFORMED);
  assert_null(key);
  assert_int_equal(tcpsec_sig_key_parse_public(ctx, der, 0, &key),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  free(pem);
  free(der);
}

/* ---- ECDSA encodings ------------------------------------------------------- */

static void test_ecdsa_encodings(void **state) {
  uint8_t raw[64], back[64], der[TCPSEC_SIG_ECDSA_DER_MAX_LEN];
  uint8_t expect[80];
  size_t der_len = 0;
  long n;

  (void)state;
  /* r has its top bit set (sign octet added), s is 1 (leading zeros
   * removed). */
  memset(raw, 0, sizeof(raw));
  memset(raw, 0x80, 32);
  raw[63] = 0x01;
  assert_int_equal(tcpsec_sig_ecdsa_raw_to_der(raw, 32, der, sizeof(der),
                                               &der_len),
                   0);
  n = test_hex_decode("3026022100"
                      "8080808080808080808080808080808080808080808080808080808080808080"
                      "020101",
                      expect, sizeof(expect));
  assert_int_equal(der_len, (size_t)n);
  assert_memory_equal(der, expect, der_len);
  assert_int_equal(tcpsec_sig_ecdsa_der_to_raw(der, der_len, 32, back), 0);
  assert_memory_equal(back, raw, 64);
  assert_int_equal(tcpsec_sig_ecdsa_raw_to_der(raw, 32, der, 10, &der_len),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
}

struct bad_der {
  const char *name;
  const char *hex;
};

static const struct bad_der bad_ders[] = {
  {"empty", ""},
  {"wrong outer tag", "3106020101020101"},
  {"long form for a short length", "308106020101020101"},
  {"indefinite length", "3080020101020101" "0000"},
  {"outer length too long", "3007020101020101"},
  {"trailing octet", "300602010102010100"},
  {"octet after s", "30070201010201010a"},
  {"negative r", "3006020181020101"},
  {"superfluous leading zero", "300702020001020101"},
  {"empty integer", "30050200020101"},
  {"missing s", "3003020101"},
  {"r longer than the field", "3026022101" "0000000000000000000000000000000000000000000000000000000000000000" "020101"},
};

static void test_malformed_signatures(void **state) {
  tcpsec_sig_key *pub = case_public(&key_cases[2]);
  tcpsec_sig_key *rsa = parse_pem(rsa_public_pem, 0);
  tcpsec_iov iov = {msg_a, sizeof(msg_a)};
  uint8_t sig[300], raw[64];
  size_t i;
  long n;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(bad_ders); i++) {
    n = test_hex_decode(bad_ders[i].hex, sig, sizeof(sig));
    assert_true(n >= 0);
    print_message("%s\n", bad_ders[i].name);
    assert_int_equal(tcpsec_sig_ecdsa_der_to_raw(sig, (size_t)n, 32, raw),
                     TCPSEC_ERR_MALFORMED);
    assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_ECDSA_DER,
                                       TCPSEC_HASH_SHA256, &iov, 1, sig,
                                       (size_t)n),
                     TCPSEC_ERR_MALFORMED);
  }

  /* r = 0 is valid DER but not a valid signature value. */
  n = test_hex_decode("3006020100020101", sig, sizeof(sig));
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_ECDSA_DER,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig,
                                     (size_t)n),
                   TCPSEC_ERR_SIGNATURE_INVALID);

  /* Raw r | s of the wrong length; RSA of the wrong length. */
  memset(sig, 1, sizeof(sig));
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_ECDSA_RAW,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 63),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(tcpsec_sig_verify(pub, TCPSEC_SIG_ECDSA_RAW,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 65),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(tcpsec_sig_verify(rsa, TCPSEC_SIG_RSA_PKCS1,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 255),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  /* An all-ones value is above the modulus. */
  memset(sig, 0xff, 256);
  assert_int_equal(tcpsec_sig_verify(rsa, TCPSEC_SIG_RSA_PSS,
                                     TCPSEC_HASH_SHA256, &iov, 1, sig, 256),
                   TCPSEC_ERR_SIGNATURE_INVALID);
  tcpsec_sig_key_free(pub);
  tcpsec_sig_key_free(rsa);
}

/* ---- RFC 7427 AlgorithmIdentifier -------------------------------------------- */

struct algid_case {
  const char *name;
  tcpsec_sig_scheme scheme;
  tcpsec_hash_alg hash;
  const char *hex;
};

static const struct algid_case algid_cases[] = {
  /* RFC 7427 A.1.2 to A.1.4 */
  {"sha256WithRSAEncryption", TCPSEC_SIG_RSA_PKCS1, TCPSEC_HASH_SHA256,
   "300d06092a864886f70d01010b0500"},
  {"sha384WithRSAEncryption", TCPSEC_SIG_RSA_PKCS1, TCPSEC_HASH_SHA384,
   "300d06092a864886f70d01010c0500"},
  {"sha512WithRSAEncryption", TCPSEC_SIG_RSA_PKCS1, TCPSEC_HASH_SHA512,
   "300d06092a864886f70d01010d0500"},
  /* RFC 7427 A.3.2 to A.3.4 */
  {"ecdsa-with-sha256", TCPSEC_SIG_ECDSA_DER, TCPSEC_HASH_SHA256,
   "300a06082a8648ce3d040302"},
  {"ecdsa-with-sha384", TCPSEC_SIG_ECDSA_DER, TCPSEC_HASH_SHA384,
   "300a06082a8648ce3d040303"},
  {"ecdsa-with-sha512", TCPSEC_SIG_ECDSA_DER, TCPSEC_HASH_SHA512,
   "300a06082a8648ce3d040304"},
  /* RFC 7427 A.4.3 */
  {"RSASSA-PSS with sha-256", TCPSEC_SIG_RSA_PSS, TCPSEC_HASH_SHA256,
   "304606092a864886f70d01010a3039a00f300d06096086480165030402010500"
   "a11c301a06092a864886f70d010108300d06096086480165030402010500a203"
   "020120a303020101"},
  /* A.4.3 with SHA-384 and salt 48, SHA-512 and salt 64 */
  {"RSASSA-PSS with sha-384", TCPSEC_SIG_RSA_PSS, TCPSEC_HASH_SHA384,
   "304606092a864886f70d01010a3039a00f300d06096086480165030402020500"
   "a11c301a06092a864886f70d010108300d06096086480165030402020500a203"
   "020130a303020101"},
  {"RSASSA-PSS with sha-512", TCPSEC_SIG_RSA_PSS, TCPSEC_HASH_SHA512,
   "304606092a864886f70d01010a3039a00f300d06096086480165030402030500"
   "a11c301a06092a864886f70d010108300d06096086480165030402030500a203"
   "020140a303020101"},
};

static void test_algid_known_bytes(void **state) {
  uint8_t out[TCPSEC_SIG_ALGID_MAX_LEN], expect[TCPSEC_SIG_ALGID_MAX_LEN];
  tcpsec_sig_scheme scheme;
  tcpsec_hash_alg hash;
  size_t i, len = 0;
  long n;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(algid_cases); i++) {
    const struct algid_case *ac = &algid_cases[i];

    print_message("%s\n", ac->name);
    n = test_hex_decode(ac->hex, expect, sizeof(expect));
    assert_true(n > 0);
    assert_int_equal(tcpsec_sig_algid_build(ac->scheme, ac->hash, out,
                                            sizeof(out), &len),
                     0);
    assert_int_equal(len, (size_t)n);
    assert_memory_equal(out, expect, len);

    scheme = 0;
    hash = TCPSEC_HASH_NONE;
    assert_int_equal(tcpsec_sig_algid_parse(expect, len, &scheme, &hash), 0);
    assert_int_equal(scheme, ac->scheme);
    assert_int_equal(hash, ac->hash);

    assert_int_equal(tcpsec_sig_algid_build(ac->scheme, ac->hash, out,
                                            len - 1, &len),
                     TCPSEC_ERR_BUFFER_TOO_SMALL);
  }
  assert_int_equal(tcpsec_sig_algid_build(TCPSEC_SIG_ECDSA_RAW,
                                          TCPSEC_HASH_SHA256, out,
                                          sizeof(out), &len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_sig_algid_build(TCPSEC_SIG_RSA_PKCS1,
                                          TCPSEC_HASH_SHA1, out, sizeof(out),
                                          &len),
                   TCPSEC_ERR_UNKNOWN_ALGORITHM);
}

struct algid_bad {
  const char *name;
  const char *hex;
  int rv;
};

static const struct algid_bad algid_bad_cases[] = {
  /* RFC 7427 A.1.1, A.3.1, A.4.1 and A.4.2: SHA-1 based */
  {"sha1WithRSAEncryption", "300d06092a864886f70d0101050500",
   TCPSEC_ERR_NOT_SUPPORTED},
  {"ecdsa-with-sha1", "300906072a8648ce3d0401", TCPSEC_ERR_NOT_SUPPORTED},
  {"RSASSA-PSS empty parameters", "300d06092a864886f70d01010a3000",
   TCPSEC_ERR_NOT_SUPPORTED},
  {"RSASSA-PSS default parameters",
   "303e06092a864886f70d01010a3031a00b300906052b0e03021a0500a1183016"
   "06092a864886f70d010108300906052b0e03021a0500a203020114a303020101",
   TCPSEC_ERR_NOT_SUPPORTED},
  /* RFC 7427 A.2.2 dsa-with-sha256 */
  {"dsa-with-sha256", "300b0609608648016503040302", TCPSEC_ERR_NOT_SUPPORTED},
  /* A.4.3 with salt length 20 */
  {"RSASSA-PSS salt 20",
   "304606092a864886f70d01010a3039a00f300d06096086480165030402010500"
   "a11c301a06092a864886f70d010108300d06096086480165030402010500a203"
   "020114a303020101",
   TCPSEC_ERR_NOT_SUPPORTED},
  /* A.4.3 with MGF1 over SHA-384 */
  {"RSASSA-PSS MGF1 hash differs",
   "304606092a864886f70d01010a3039a00f300d06096086480165030402010500"
   "a11c301a06092a864886f70d010108300d06096086480165030402020500a203"
   "020120a303020101",
   TCPSEC_ERR_NOT_SUPPORTED},
  {"truncated", "300d06092a864886f70d01010b05", TCPSEC_ERR_MALFORMED},
  {"trailing octet", "300d06092a864886f70d01010b050000",
   TCPSEC_ERR_MALFORMED},
  {"ECDSA with NULL parameters", "300c06082a8648ce3d0403020500",
   TCPSEC_ERR_MALFORMED},
  {"not a SEQUENCE", "310d06092a864886f70d01010b0500", TCPSEC_ERR_MALFORMED},
  {"empty", "", TCPSEC_ERR_MALFORMED},
};

static void test_algid_rejected(void **state) {
  uint8_t data[128];
  tcpsec_sig_scheme scheme = 0;
  tcpsec_hash_alg hash = TCPSEC_HASH_NONE;
  size_t i;
  long n;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(algid_bad_cases); i++) {
    print_message("%s\n", algid_bad_cases[i].name);
    n = test_hex_decode(algid_bad_cases[i].hex, data, sizeof(data));
    assert_true(n >= 0);
    assert_int_equal(tcpsec_sig_algid_parse(data, (size_t)n, &scheme, &hash),
                     algid_bad_cases[i].rv);
  }

  /* RSASSA-PSS without the trailerField (its DEFAULT) is accepted. */
  n = test_hex_decode(
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
      "a11c301a06092a864886f70d010108300d06096086480165030402010500a203"
      "020120",
      data, sizeof(data));
  assert_int_equal(tcpsec_sig_algid_parse(data, (size_t)n, &scheme, &hash), 0);
  assert_int_equal(scheme, TCPSEC_SIG_RSA_PSS);
  assert_int_equal(hash, TCPSEC_HASH_SHA256);
}

/* Random changes to valid encodings never crash the decoders and give only
 * the documented results. */
static void test_mutated_encodings(void **state) {
  static const char pss_hex[] =
      "304606092a864886f70d01010a3039a00f300d06096086480165030402010500"
      "a11c301a06092a864886f70d010108300d06096086480165030402010500a203"
      "020120a303020101";
  static const char der_sig_hex[] =
      "3044022062e5d1a0aa3f0b0f5fdaf0f0f4c5bd2fc3fa1b0aa6c4b0de8a5f1d2b"
      "3c4d5e6f0220" "0d1c2b3a495867768594a3b2c1d0efe0f1e2d3c4b5a69788796a5b4c"
      "3d2e1f10";
  uint8_t pss[80], sig[80], buf[80], raw[64];
  tcpsec_sig_scheme scheme;
  tcpsec_hash_alg hash;
  long pss_len = test_hex_decode(pss_hex, pss, sizeof(pss));
  long sig_len = test_hex_decode(der_sig_hex, sig, sizeof(sig));
  size_t len;
  int i, rv;

  (void)state;
  assert_int_equal(pss_len, 72);
  assert_int_equal(sig_len, 70);
  assert_int_equal(tcpsec_sig_ecdsa_der_to_raw(sig, 70, 32, raw), 0);
  assert_int_equal(tcpsec_sig_algid_parse(pss, 72, &scheme, &hash), 0);
  for (i = 0; i < 4000; i++) {
    int from_pss = i % 2 == 0;
    const uint8_t *base = from_pss ? pss : sig;
    size_t base_len = (size_t)(from_pss ? pss_len : sig_len);
    size_t pos = (size_t)(test_rng_next(&rng) % base_len);

    memcpy(buf, base, base_len);
    buf[pos] = (uint8_t)test_rng_next(&rng);
    /* Every fourth case also cuts the input short. */
    len = i % 4 == 1 ? pos : base_len;

    if (from_pss) {
      rv = tcpsec_sig_algid_parse(buf, len, &scheme, &hash);
      assert_true(rv == 0 || rv == TCPSEC_ERR_MALFORMED ||
                  rv == TCPSEC_ERR_NOT_SUPPORTED);
    } else {
      rv = tcpsec_sig_ecdsa_der_to_raw(buf, len, 32, raw);
      assert_true(rv == 0 || rv == TCPSEC_ERR_MALFORMED);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_key_types, setup, teardown),
    cmocka_unit_test_setup_teardown(test_classic_ecdsa_hash, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rfc4754_known_answers, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_pkcs1_sha1, setup, teardown),
    cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
    cmocka_unit_test_setup_teardown(test_other_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_key_type, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sign_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ecdsa_encodings, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_signatures, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_algid_known_bytes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_algid_rejected, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mutated_encodings, setup, teardown),
  };

  return cmocka_run_group_tests_name("sig", tests, NULL, NULL);
}
