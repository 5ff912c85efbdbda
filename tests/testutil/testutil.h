/*
 * Helpers shared by the test programs: CMocka includes, a deterministic
 * random source, hex conversion and access to the published vectors folder.
 */
#ifndef TCPSEC_TESTUTIL_H
#define TCPSEC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcpsec/tcpsec.h"

/* Deterministic random source: an xorshift64* stream from a seed.
 * Not for anything but tests. */
typedef struct test_rng {
  uint64_t state;
} test_rng;

void test_rng_seed(test_rng *r, uint64_t seed);
uint64_t test_rng_next(test_rng *r);
/* tcpsec_random_fn over a test_rng passed as user pointer. */
int test_rng_fill(void *user, uint8_t *buf, size_t len);

/* Context with the deterministic source seeded by `seed` and, when the
 * environment variable TCPSEC_TEST_LOG is set, logging to stderr. */
tcpsec_ctx *test_ctx_new(test_rng *rng, uint64_t seed);

/* Parse hex (no separators, any case) into out; returns the byte count or
 * -1 if the text is not hex or longer than max. */
long test_hex_decode(const char *hex, uint8_t *out, size_t max);
/* Allocate and parse; *len receives the size. The caller frees. */
uint8_t *test_hex_alloc(const char *hex, size_t *len);

/* Path of a file under the published vectors folder, or NULL (with a
 * message on stdout saying the test is skipped) when it is absent. The
 * returned string is static and overwritten by the next call. */
const char *test_vector_path(const char *relative);

/* Read a whole file; the caller frees. NULL if it cannot be read. */
uint8_t *test_read_file(const char *path, size_t *len);

/* Run an openssl script in a fresh directory /tmp/PREFIX-XXXXXX, whose
 * name goes to dir (size len, at least 64 bytes): the script is written
 * there as make.sh and run with sh, its output going to make.log. Returns
 * 1 when it succeeded, 0 when openssl is not installed (a message says the
 * tests are skipped, and dir stays empty), -1 on failure (a message names
 * the log). */
int test_openssl_dir(char *dir, size_t len, const char *prefix,
                     const char *script);
/* Remove a directory made by test_openssl_dir(); an empty name does
 * nothing. */
void test_remove_dir(const char *dir);

#endif /* TCPSEC_TESTUTIL_H */
