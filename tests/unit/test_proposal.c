/*
 * Unit tests for proposal strings: FortiOS and strongSwan spellings,
 * error messages naming the offending token, lists, and formatting back to
 * the FortiOS spelling.
 */
#include <string.h>

#include "testutil.h"

#include "core/util.h"
#include "crypto/crypto.h"

struct parse_case {
  const char *text;
  tcpsec_proposal_kind kind;
  uint16_t encr, key_bits, integ, prf;
  uint16_t ke[3];
  uint8_t ke_count;
  const char *formatted; /* tcpsec_proposal_format output */
};

#define IKE TCPSEC_PROPOSAL_IKE
#define ESP TCPSEC_PROPOSAL_ESP
#define CBC TCPSEC_ENCR_AES_CBC
#define GCM TCPSEC_ENCR_AES_GCM_16
#define CHACHA TCPSEC_ENCR_CHACHA20_POLY1305
#define I256 TCPSEC_INTEG_HMAC_SHA2_256_128
#define I384 TCPSEC_INTEG_HMAC_SHA2_384_192
#define I512 TCPSEC_INTEG_HMAC_SHA2_512_256
#define P256 TCPSEC_PRF_HMAC_SHA2_256
#define P384 TCPSEC_PRF_HMAC_SHA2_384
#define P512 TCPSEC_PRF_HMAC_SHA2_512

static const struct parse_case good_cases[] = {
  /* FortiOS phase 1 */
  {"aes128-sha256", IKE, CBC, 128, I256, P256, {0}, 0, "aes128-sha256"},
  {"aes256-sha256", IKE, CBC, 256, I256, P256, {0}, 0, "aes256-sha256"},
  {"aes192-sha384", IKE, CBC, 192, I384, P384, {0}, 0, "aes192-sha384"},
  {"aes256-sha512", IKE, CBC, 256, I512, P512, {0}, 0, "aes256-sha512"},
  {"aes128gcm-prfsha256", IKE, GCM, 128, 0, P256, {0}, 0,
   "aes128gcm-prfsha256"},
  {"aes256gcm-prfsha384", IKE, GCM, 256, 0, P384, {0}, 0,
   "aes256gcm-prfsha384"},
  {"chacha20poly1305-prfsha256", IKE, CHACHA, 256, 0, P256, {0}, 0,
   "chacha20poly1305-prfsha256"},
  {"aes256gcm-prfsha512", IKE, GCM, 256, 0, P512, {0}, 0,
   "aes256gcm-prfsha512"},
  /* FortiOS phase 2 */
  {"aes128gcm", ESP, GCM, 128, 0, 0, {0}, 0, "aes128gcm"},
  {"aes256gcm", ESP, GCM, 256, 0, 0, {0}, 0, "aes256gcm"},
  {"chacha20poly1305", ESP, CHACHA, 256, 0, 0, {0}, 0, "chacha20poly1305"},
  {"aes128-sha256", ESP, CBC, 128, I256, 0, {0}, 0, "aes128-sha256"},
  {"aes256-sha512", ESP, CBC, 256, I512, 0, {0}, 0, "aes256-sha512"},
  {"aes192-sha384", ESP, CBC, 192, I384, 0, {0}, 0, "aes192-sha384"},
  /* strongSwan, with key exchange methods */
  {"aes128gcm16-prfsha256-ecp256", IKE, GCM, 128, 0, P256,
   {TCPSEC_KE_ECP_256}, 1, "aes128gcm-prfsha256-ecp256"},
  {"aes256-sha256-ecp384", IKE, CBC, 256, I256, P256, {TCPSEC_KE_ECP_384}, 1,
   "aes256-sha256-ecp384"},
  {"chacha20poly1305-prfsha256-x25519", IKE, CHACHA, 256, 0, P256,
   {TCPSEC_KE_CURVE25519}, 1, "chacha20poly1305-prfsha256-curve25519"},
  {"aes128-sha256-modp2048", IKE, CBC, 128, I256, P256,
   {TCPSEC_KE_MODP_2048}, 1, "aes128-sha256-modp2048"},
  {"aes256gcm128-prfsha384-ecp521-curve25519", IKE, GCM, 256, 0, P384,
   {TCPSEC_KE_ECP_521, TCPSEC_KE_CURVE25519}, 2,
   "aes256gcm-prfsha384-ecp521-curve25519"},
  {"aes128gcm16-ecp256", ESP, GCM, 128, 0, 0, {TCPSEC_KE_ECP_256}, 1,
   "aes128gcm-ecp256"},
  /* A PRF that differs from the integrity algorithm's hash stays written. */
  {"aes128-sha256-prfsha384", IKE, CBC, 128, I256, P384, {0}, 0,
   "aes128-sha256-prfsha384"},
  /* Case does not matter; strongSwan's sha2_ spellings. */
  {"AES128-SHA2_256-PRFSHA2_512", IKE, CBC, 128, I256, P512, {0}, 0,
   "aes128-sha256-prfsha512"},
};

static void proposal_parses_known_spellings(void **state) {
  size_t i, j;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(good_cases); i++) {
    const struct parse_case *c = &good_cases[i];
    tcpsec_proposal_spec spec, again;
    char err[128] = "", buf[96];
    int n;

    print_message("%s\n", c->text);
    assert_int_equal(tcpsec_proposal_parse(c->text, c->kind, &spec, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(spec.encr, c->encr);
    assert_int_equal(spec.key_bits, c->key_bits);
    assert_int_equal(spec.integ, c->integ);
    assert_int_equal(spec.prf, c->prf);
    assert_int_equal(spec.ke_count, c->ke_count);
    for (j = 0; j < c->ke_count; j++)
      assert_int_equal(spec.ke[j], c->ke[j]);

    n = tcpsec_proposal_format(&spec, c->kind, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(c->formatted));
    assert_string_equal(buf, c->formatted);

    /* The formatted string parses back to the same spec. */
    assert_int_equal(tcpsec_proposal_parse(buf, c->kind, &again, NULL, 0), 0);
    assert_memory_equal(&spec, &again, sizeof(spec));
  }
}

struct bad_case {
  const char *text;
  tcpsec_proposal_kind kind;
  const char *message; /* substring expected in the error message */
};

static const struct bad_case bad_cases[] = {
  {"aes128-sha1", IKE, "\"sha1\""},
  {"3des-sha256", IKE, "\"3des\""},
  {"aes128ccm-prfsha256", IKE, "\"aes128ccm\""},
  {"aes192gcm", ESP, "\"aes192gcm\""},
  {"aes128gcm8", ESP, "\"aes128gcm8\""},
  {"aes128-sha256-modp1024", IKE, "\"modp1024\""},
  {"aes128--sha256", IKE, "empty algorithm name"},
  {"aes128-sha256-", IKE, "empty algorithm name"},
  {"", IKE, "empty proposal"},
  {"aes128-aes256-sha256", IKE, "more than one encryption algorithm"},
  {"aes128-sha256-sha384", IKE, "more than one integrity algorithm"},
  {"aes128gcm-prfsha256-prfsha384", IKE, "more than one PRF"},
  {"aes128-sha256-ecp256-ecp256", IKE, "more than one key exchange method"},
  {"sha256-prfsha256", IKE, "no encryption algorithm"},
  {"ecp521", IKE, "no encryption algorithm"},
  {"aes128gcm", IKE, "needs a PRF"},
  {"chacha20poly1305", IKE, "needs a PRF"},
  {"aes128gcm-sha256", ESP, "takes no integrity algorithm"},
  {"aes128", ESP, "needs an integrity algorithm"},
  {"aes128gcm-prfsha256", ESP, "takes no PRF"},
  {"aesaesaesaesaesaesaesaesaesaesaesaesaes-sha256", IKE,
   "\"aesaesaesaesaesaesaesaesaesaesaesaesaes\""},
};

static void proposal_rejects_bad_strings(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < TCPSEC_ARRAY_SIZE(bad_cases); i++) {
    tcpsec_proposal_spec spec;
    char err[160] = "";

    print_message("%s\n", bad_cases[i].text);
    memset(&spec, 0x77, sizeof(spec));
    assert_int_equal(tcpsec_proposal_parse(bad_cases[i].text,
                                           bad_cases[i].kind, &spec, err,
                                           sizeof(err)),
                     TCPSEC_ERR_INVALID_PROPOSAL);
    assert_non_null(strstr(err, bad_cases[i].message));
    /* The output is left untouched on failure. */
    assert_int_equal(spec.encr, 0x7777);
  }
}

static void proposal_error_buffer_optional(void **state) {
  tcpsec_proposal_spec spec;
  char small[8];

  (void)state;
  assert_int_equal(tcpsec_proposal_parse("bogus", IKE, &spec, NULL, 0),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  /* A short error buffer receives a cut, terminated message. */
  assert_int_equal(tcpsec_proposal_parse("bogus", IKE, &spec, small,
                                         sizeof(small)),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  assert_int_equal(strlen(small), sizeof(small) - 1);
  assert_int_equal(tcpsec_proposal_parse(NULL, IKE, &spec, NULL, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_proposal_parse("aes128-sha256", IKE, NULL, NULL, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_proposal_parse("aes128-sha256",
                                         (tcpsec_proposal_kind)3, &spec, NULL,
                                         0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void proposal_list_parses_all(void **state) {
  tcpsec_proposal_spec specs[4];
  size_t count = 99;
  char err[160] = "";

  (void)state;
  assert_int_equal(tcpsec_proposal_parse_list(
                       "  aes128-sha256 aes256gcm-prfsha384\t"
                       "chacha20poly1305-prfsha256 ",
                       IKE, specs, 4, &count, err, sizeof(err)),
                   0);
  assert_int_equal(count, 3);
  assert_int_equal(specs[0].encr, CBC);
  assert_int_equal(specs[1].key_bits, 256);
  assert_int_equal(specs[2].encr, CHACHA);

  /* One bad entry fails the list and names the token. */
  assert_int_equal(tcpsec_proposal_parse_list("aes128-sha256 aes128-md5",
                                              IKE, specs, 4, &count, err,
                                              sizeof(err)),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  assert_int_equal(count, 0);
  assert_non_null(strstr(err, "\"md5\""));

  /* More proposals than room. */
  assert_int_equal(tcpsec_proposal_parse_list("aes128gcm aes256gcm", ESP,
                                              specs, 1, &count, err,
                                              sizeof(err)),
                   TCPSEC_ERR_LIMIT);
  assert_non_null(strstr(err, "more than 1 proposals"));

  assert_int_equal(tcpsec_proposal_parse_list("   ", ESP, specs, 4, &count,
                                              err, sizeof(err)),
                   TCPSEC_ERR_INVALID_PROPOSAL);
  assert_non_null(strstr(err, "empty proposal list"));
  assert_int_equal(tcpsec_proposal_parse_list("aes128gcm", ESP, specs, 4,
                                              NULL, err, sizeof(err)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

static void proposal_format_checks_buffer(void **state) {
  tcpsec_proposal_spec spec;
  char buf[32];

  (void)state;
  assert_int_equal(tcpsec_proposal_parse("aes256gcm-prfsha384-ecp384", IKE,
                                         &spec, NULL, 0),
                   0);
  /* "aes256gcm-prfsha384-ecp384" is 26 characters and needs 27 bytes. */
  assert_int_equal(tcpsec_proposal_format(&spec, IKE, buf, 27), 26);
  assert_int_equal(tcpsec_proposal_format(&spec, IKE, buf, 26),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_string_equal(buf, "");
  assert_int_equal(tcpsec_proposal_format(&spec, IKE, buf, 0),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);

  /* Values outside the registry are rejected. */
  spec.encr = 3;
  assert_int_equal(tcpsec_proposal_format(&spec, IKE, buf, sizeof(buf)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_proposal_parse("aes128-sha256", IKE, &spec, NULL,
                                         0),
                   0);
  spec.key_bits = 64;
  assert_int_equal(tcpsec_proposal_format(&spec, IKE, buf, sizeof(buf)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_proposal_format(NULL, IKE, buf, sizeof(buf)),
                   TCPSEC_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(proposal_parses_known_spellings),
    cmocka_unit_test(proposal_rejects_bad_strings),
    cmocka_unit_test(proposal_error_buffer_optional),
    cmocka_unit_test(proposal_list_parses_all),
    cmocka_unit_test(proposal_format_checks_buffer),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
