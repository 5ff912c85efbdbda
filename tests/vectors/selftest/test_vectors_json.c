/*
 * Unit tests for the vector runner's JSON reader: a well-formed document,
 * string escapes, and rejection of malformed input, including a loop of
 * deterministic random mutations that must never crash.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testutil.h"

static json_value *parse(const char *text) {
  return json_parse(text, strlen(text), NULL, 0);
}

static void json_reads_document(void **state) {
  static const char doc[] =
      " {\"name\": \"x\", \"n\": 42, \"neg\": -1.5e2, \"ok\": true,\n"
      "  \"no\": false, \"nil\": null, \"list\": [1, \"two\", [], {}],\n"
      "  \"obj\": {\"inner\": \"v\"}, \"name\": \"second\"} ";
  json_value *v = parse(doc);
  const json_value *list;

  (void)state;
  assert_non_null(v);
  assert_int_equal(v->type, JSON_OBJECT);
  assert_int_equal(json_count(v), 9);
  /* The first of repeated members wins. */
  assert_string_equal(json_get_string(v, "name"), "x");
  assert_int_equal(json_get_int(v, "n"), 42);
  assert_int_equal(json_get_int(v, "neg"), -1);
  assert_true(json_get(v, "neg")->number == -150.0);
  assert_int_equal(json_get(v, "ok")->boolean, 1);
  assert_int_equal(json_get(v, "no")->type, JSON_BOOL);
  assert_int_equal(json_get(v, "nil")->type, JSON_NULL);
  list = json_get(v, "list");
  assert_int_equal(json_count(list), 4);
  assert_string_equal(json_string(json_at(list, 1)), "two");
  assert_null(json_at(list, 4));
  assert_true(json_array_has_string(list, "two"));
  assert_false(json_array_has_string(list, "three"));
  assert_string_equal(json_get_string(json_get(v, "obj"), "inner"), "v");
  assert_null(json_get(v, "missing"));
  assert_null(json_get(list, "name"));
  assert_int_equal(json_get_int(v, "missing"), -1);
  json_free(v);
}

static void json_decodes_escapes(void **state) {
  json_value *v =
      parse("\"a\\\"b\\\\c\\/\\n\\t\\u00e9\\ud83d\\ude00\\u0000z\"");
  static const char want[] = "a\"b\\c/\n\t\xc3\xa9\xf0\x9f\x98\x80\0z";

  (void)state;
  assert_non_null(v);
  assert_int_equal(v->type, JSON_STRING);
  assert_int_equal(v->len, sizeof(want) - 1);
  assert_memory_equal(v->string, want, sizeof(want) - 1);
  json_free(v);
}

static void json_rejects_malformed(void **state) {
  static const char *const bad[] = {
    "", "   ", "{", "[", "[1,", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
    "{a:1}", "\"abc", "\"abc\\", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
    "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"tab\there\"",
    "01", "-", "1.", "1e", "+1", ".5", "tru", "nul", "[1] 2", "{} x",
    "[1 2]", "{\"a\" 1}", "123456789012345678901234567890123456789012345678901"
                        "234567890123456789",
  };
  char err[160];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    print_message("%s\n", bad[i]);
    err[0] = '\0';
    assert_null(json_parse(bad[i], strlen(bad[i]), err, sizeof(err)));
    assert_non_null(strstr(err, "at byte"));
  }
}

static void json_limits_nesting(void **state) {
  char deep[2 * (JSON_MAX_DEPTH + 2) + 1];
  size_t n = JSON_MAX_DEPTH + 2, i;
  char err[160];

  (void)state;
  for (i = 0; i < n; i++) {
    deep[i] = '[';
    deep[n + i] = ']';
  }
  deep[2 * n] = '\0';
  assert_null(json_parse(deep, 2 * n, err, sizeof(err)));
  assert_non_null(strstr(err, "nesting deeper"));

  /* At the limit it parses. */
  n = JSON_MAX_DEPTH + 1;
  for (i = 0; i < n; i++) {
    deep[i] = '[';
    deep[n + i] = ']';
  }
  json_free(json_parse(deep, 2 * n, NULL, 0));
}

/* Random byte substitutions and truncations of a valid document: parsing
 * must either fail or give a tree, and never read out of bounds (run under
 * AddressSanitizer to check the latter). */
static void json_survives_mutations(void **state) {
  static const char seed[] =
      "{\"testGroups\": [{\"ivSize\": 96, \"tests\": [{\"tcId\": 1, "
      "\"key\": \"00ff\", \"flags\": [\"Ktv\"], \"result\": \"valid\", "
      "\"s\": \"\\u00e9\\ud83d\\ude00\"}]}], \"n\": -1.25e-3}";
  const char alphabet[] = "{}[]\":,\\u0123456789abcdefe.-+ tfn";
  char buf[sizeof(seed) + 8];
  test_rng rng;
  int round, k;

  (void)state;
  test_rng_seed(&rng, 99);
  for (round = 0; round < 20000; round++) {
    size_t len = sizeof(seed) - 1;
    char *copy;

    memcpy(buf, seed, len);
    for (k = 0; k < 3; k++) {
      size_t pos = (size_t)(test_rng_next(&rng) % len);
      buf[pos] = alphabet[test_rng_next(&rng) % (sizeof(alphabet) - 1)];
    }
    len = 1 + (size_t)(test_rng_next(&rng) % len);
    /* An exact-size heap copy, so an overread hits a redzone. */
    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    json_free(json_parse(copy, len, NULL, 0));
    free(copy);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(json_reads_document),
    cmocka_unit_test(json_decodes_escapes),
    cmocka_unit_test(json_rejects_malformed),
    cmocka_unit_test(json_limits_nesting),
    cmocka_unit_test(json_survives_mutations),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
