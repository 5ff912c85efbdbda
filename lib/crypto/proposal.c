/*
 * Proposal strings as administrators write them.
 *
 * A proposal is a list of tokens joined by '-'. Each token names one
 * transform:
 *
 *   encryption  aes128 aes192 aes256               AES-CBC
 *               aes128gcm aes256gcm                AES-GCM, 16-octet ICV
 *                 (also aes128gcm16 / aes128gcm128, strongSwan's spelling)
 *               chacha20poly1305                   ChaCha20-Poly1305
 *   integrity   sha256 sha384 sha512               HMAC-SHA2-N with the ICV
 *                 (also sha2_256 ...)              truncated to N/2 bits
 *   PRF         prfsha256 prfsha384 prfsha512      PRF_HMAC_SHA2_N
 *   key exch.   modp2048 ecp256 ecp384 ecp521 curve25519 (or x25519)
 *
 * FortiOS writes IKE proposals as "aes128-sha256" (AES-CBC-128 with
 * HMAC-SHA2-256-128 integrity and, implicitly, PRF_HMAC_SHA2_256) or
 * "aes256gcm-prfsha384" (an AEAD cipher with an explicit PRF), and ESP
 * proposals as "aes128gcm" or "aes256-sha512". strongSwan appends key
 * exchange groups: "aes128gcm16-prfsha256-ecp256". Tokens are matched
 * without regard to case.
 *
 * Rules (RFC 7296 section 3.3.3): an AEAD cipher takes no integrity
 * algorithm; AES-CBC needs one. An IKE proposal needs a PRF, which for
 * AES-CBC defaults to the HMAC of the integrity algorithm. An ESP proposal
 * takes no PRF.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "crypto/crypto.h"

#define TOKEN_MAX 32

enum token_kind { TOKEN_ENCR, TOKEN_INTEG, TOKEN_PRF, TOKEN_KE };

struct token {
  const char *name;
  enum token_kind kind;
  uint16_t id;
  uint16_t key_bits;
};

static const struct token token_table[] = {
  {"aes128", TOKEN_ENCR, TCPSEC_ENCR_AES_CBC, 128},
  {"aes192", TOKEN_ENCR, TCPSEC_ENCR_AES_CBC, 192},
  {"aes256", TOKEN_ENCR, TCPSEC_ENCR_AES_CBC, 256},
  {"aes128gcm", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 128},
  {"aes128gcm16", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 128},
  {"aes128gcm128", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 128},
  {"aes256gcm", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 256},
  {"aes256gcm16", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 256},
  {"aes256gcm128", TOKEN_ENCR, TCPSEC_ENCR_AES_GCM_16, 256},
  {"chacha20poly1305", TOKEN_ENCR, TCPSEC_ENCR_CHACHA20_POLY1305, 256},
  {"sha256", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0},
  {"sha2_256", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0},
  {"sha384", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_384_192, 0},
  {"sha2_384", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_384_192, 0},
  {"sha512", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_512_256, 0},
  {"sha2_512", TOKEN_INTEG, TCPSEC_INTEG_HMAC_SHA2_512_256, 0},
  {"prfsha256", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_256, 0},
  {"prfsha2_256", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_256, 0},
  {"prfsha384", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_384, 0},
  {"prfsha2_384", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_384, 0},
  {"prfsha512", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_512, 0},
  {"prfsha2_512", TOKEN_PRF, TCPSEC_PRF_HMAC_SHA2_512, 0},
  {"modp2048", TOKEN_KE, TCPSEC_KE_MODP_2048, 0},
  {"ecp256", TOKEN_KE, TCPSEC_KE_ECP_256, 0},
  {"ecp384", TOKEN_KE, TCPSEC_KE_ECP_384, 0},
  {"ecp521", TOKEN_KE, TCPSEC_KE_ECP_521, 0},
  {"curve25519", TOKEN_KE, TCPSEC_KE_CURVE25519, 0},
  {"x25519", TOKEN_KE, TCPSEC_KE_CURVE25519, 0},
};

static void set_error(char *err, size_t err_len, const char *fmt, ...)
    TCPSEC_PRINTF(3, 4);

static void set_error(char *err, size_t err_len, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || err_len == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
}

static int ascii_lower(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static const struct token *token_find(const char *s, size_t len) {
  char lower[TOKEN_MAX];
  size_t i;

  if (len == 0 || len >= sizeof(lower))
    return NULL;
  for (i = 0; i < len; i++)
    lower[i] = (char)ascii_lower((unsigned char)s[i]);
  lower[len] = '\0';
  for (i = 0; i < TCPSEC_ARRAY_SIZE(token_table); i++)
    if (strcmp(token_table[i].name, lower) == 0)
      return &token_table[i];
  return NULL;
}

/* PRF_HMAC_SHA2_N for the HMAC-SHA2-N integrity algorithm. */
static uint16_t prf_for_integ(uint16_t integ) {
  switch (integ) {
  case TCPSEC_INTEG_HMAC_SHA2_256_128:
    return TCPSEC_PRF_HMAC_SHA2_256;
  case TCPSEC_INTEG_HMAC_SHA2_384_192:
    return TCPSEC_PRF_HMAC_SHA2_384;
  case TCPSEC_INTEG_HMAC_SHA2_512_256:
    return TCPSEC_PRF_HMAC_SHA2_512;
  default:
    return TCPSEC_PRF_NONE;
  }
}

/* Record one token in the spec; a second transform of a kind that allows
 * only one is an error. */
static int spec_add(tcpsec_proposal_spec *spec, const struct token *t,
                    const char *text, size_t text_len, char *err,
                    size_t err_len) {
  static const char *const kind_names[] = {"encryption algorithm",
                                           "integrity algorithm", "PRF",
                                           "key exchange method"};
  size_t i;

  switch (t->kind) {
  case TOKEN_ENCR:
    if (spec->encr != TCPSEC_ENCR_NONE)
      goto twice;
    spec->encr = t->id;
    spec->key_bits = t->key_bits;
    return 0;
  case TOKEN_INTEG:
    if (spec->integ != TCPSEC_INTEG_NONE)
      goto twice;
    spec->integ = t->id;
    return 0;
  case TOKEN_PRF:
    if (spec->prf != TCPSEC_PRF_NONE)
      goto twice;
    spec->prf = t->id;
    return 0;
  case TOKEN_KE:
    for (i = 0; i < spec->ke_count; i++)
      if (spec->ke[i] == t->id)
        goto twice;
    if (spec->ke_count == TCPSEC_PROPOSAL_MAX_KE) {
      set_error(err, err_len,
                "more than %d key exchange methods in proposal \"%.*s\"",
                TCPSEC_PROPOSAL_MAX_KE, (int)text_len, text);
      return TCPSEC_ERR_INVALID_PROPOSAL;
    }
    spec->ke[spec->ke_count++] = t->id;
    return 0;
  }
  return TCPSEC_ERR_INTERNAL;

twice:
  set_error(err, err_len, "more than one %s in proposal \"%.*s\"",
            kind_names[t->kind], (int)text_len, text);
  return TCPSEC_ERR_INVALID_PROPOSAL;
}

/* Check the combination of transforms and fill in the implicit PRF. */
static int spec_complete(tcpsec_proposal_spec *spec,
                         tcpsec_proposal_kind kind, const char *text,
                         size_t text_len, char *err, size_t err_len) {
  const tcpsec_encr_info *e = tcpsec_encr_lookup(spec->encr);

  if (e == NULL) {
    set_error(err, err_len, "no encryption algorithm in proposal \"%.*s\"",
              (int)text_len, text);
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }
  if (e->aead && spec->integ != TCPSEC_INTEG_NONE) {
    set_error(err, err_len,
              "%s takes no integrity algorithm, in proposal \"%.*s\"",
              e->name, (int)text_len, text);
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }
  if (!e->aead && spec->integ == TCPSEC_INTEG_NONE) {
    set_error(err, err_len,
              "%s needs an integrity algorithm such as sha256, in proposal "
              "\"%.*s\"",
              e->name, (int)text_len, text);
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }

  if (kind == TCPSEC_PROPOSAL_ESP) {
    if (spec->prf != TCPSEC_PRF_NONE) {
      set_error(err, err_len,
                "an ESP proposal takes no PRF, in proposal \"%.*s\"",
                (int)text_len, text);
      return TCPSEC_ERR_INVALID_PROPOSAL;
    }
    return 0;
  }

  if (spec->prf == TCPSEC_PRF_NONE)
    spec->prf = prf_for_integ(spec->integ);
  if (spec->prf == TCPSEC_PRF_NONE) {
    set_error(err, err_len,
              "%s needs a PRF such as prfsha256 in an IKE proposal, in "
              "proposal \"%.*s\"",
              e->name, (int)text_len, text);
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }
  return 0;
}

/* Parse the proposal in text[0..text_len). */
static int parse_one(const char *text, size_t text_len,
                     tcpsec_proposal_kind kind, tcpsec_proposal_spec *out,
                     char *err, size_t err_len) {
  tcpsec_proposal_spec spec;
  const struct token *t;
  size_t start = 0, end;
  int rv;

  memset(&spec, 0, sizeof(spec));
  if (text_len == 0) {
    set_error(err, err_len, "empty proposal");
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }

  while (start <= text_len) {
    for (end = start; end < text_len && text[end] != '-'; end++)
      ;
    t = token_find(text + start, end - start);
    if (t == NULL) {
      if (end == start)
        set_error(err, err_len, "empty algorithm name in proposal \"%.*s\"",
                  (int)text_len, text);
      else
        set_error(err, err_len,
                  "unknown or unsupported algorithm \"%.*s\" in proposal "
                  "\"%.*s\"",
                  (int)(end - start), text + start, (int)text_len, text);
      return TCPSEC_ERR_INVALID_PROPOSAL;
    }
    rv = spec_add(&spec, t, text, text_len, err, err_len);
    if (rv != 0)
      return rv;
    start = end + 1;
  }

  rv = spec_complete(&spec, kind, text, text_len, err, err_len);
  if (rv != 0)
    return rv;
  *out = spec;
  return 0;
}

static int kind_valid(tcpsec_proposal_kind kind) {
  return kind == TCPSEC_PROPOSAL_IKE || kind == TCPSEC_PROPOSAL_ESP;
}

int tcpsec_proposal_parse(const char *text, tcpsec_proposal_kind kind,
                          tcpsec_proposal_spec *out, char *err,
                          size_t err_len) {
  size_t len;

  if (text == NULL || out == NULL || !kind_valid(kind))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  len = strlen(text);
  if (len > INT32_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return parse_one(text, len, kind, out, err, err_len);
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int tcpsec_proposal_parse_list(const char *text, tcpsec_proposal_kind kind,
                               tcpsec_proposal_spec *out, size_t max,
                               size_t *count, char *err, size_t err_len) {
  size_t pos = 0, end, n = 0;
  int rv;

  if (count != NULL)
    *count = 0;
  if (text == NULL || (out == NULL && max != 0) || count == NULL ||
      !kind_valid(kind))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (strlen(text) > INT32_MAX)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  for (;;) {
    while (is_space(text[pos]))
      pos++;
    if (text[pos] == '\0')
      break;
    for (end = pos; text[end] != '\0' && !is_space(text[end]); end++)
      ;
    if (n == max) {
      set_error(err, err_len, "more than %zu proposals in \"%s\"", max, text);
      return TCPSEC_ERR_LIMIT;
    }
    rv = parse_one(text + pos, end - pos, kind, &out[n], err, err_len);
    if (rv != 0)
      return rv;
    n++;
    pos = end;
  }

  if (n == 0) {
    set_error(err, err_len, "empty proposal list");
    return TCPSEC_ERR_INVALID_PROPOSAL;
  }
  *count = n;
  return 0;
}

/* ---- formatting --------------------------------------------------------- */

static const char *token_name(enum token_kind kind, uint16_t id,
                              uint16_t key_bits) {
  size_t i;

  /* The first table entry of each transform is its FortiOS spelling. */
  for (i = 0; i < TCPSEC_ARRAY_SIZE(token_table); i++)
    if (token_table[i].kind == kind && token_table[i].id == id &&
        (kind != TOKEN_ENCR || token_table[i].key_bits == key_bits))
      return token_table[i].name;
  return NULL;
}

/* Append "-name" (or "name" at the start) to buf; *pos counts the bytes the
 * full string needs, also past the end of the buffer. */
static void append(char *buf, size_t len, size_t *pos, const char *name) {
  int n = snprintf(buf + TCPSEC_MIN(*pos, len), len - TCPSEC_MIN(*pos, len),
                   "%s%s", *pos == 0 ? "" : "-", name);

  if (n > 0)
    *pos += (size_t)n;
}

int tcpsec_proposal_format(const tcpsec_proposal_spec *spec,
                           tcpsec_proposal_kind kind, char *buf, size_t len) {
  const char *encr, *integ = NULL, *prf = NULL, *ke;
  size_t pos = 0, i;

  if (spec == NULL || buf == NULL || !kind_valid(kind) ||
      spec->ke_count > TCPSEC_PROPOSAL_MAX_KE)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  encr = token_name(TOKEN_ENCR, spec->encr, spec->key_bits);
  if (encr == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (spec->integ != TCPSEC_INTEG_NONE) {
    integ = token_name(TOKEN_INTEG, spec->integ, 0);
    if (integ == NULL)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  }
  /* FortiOS leaves out a PRF that follows from the integrity algorithm. */
  if (kind == TCPSEC_PROPOSAL_IKE && spec->prf != TCPSEC_PRF_NONE &&
      spec->prf != prf_for_integ(spec->integ)) {
    prf = token_name(TOKEN_PRF, spec->prf, 0);
    if (prf == NULL)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  }

  if (len > 0)
    buf[0] = '\0';
  append(buf, len, &pos, encr);
  if (integ != NULL)
    append(buf, len, &pos, integ);
  if (prf != NULL)
    append(buf, len, &pos, prf);
  /* FortiOS configures groups apart from the proposal (dhgrp); they are
   * appended in strongSwan's spelling so the string parses back to the
   * same spec. */
  for (i = 0; i < spec->ke_count; i++) {
    ke = token_name(TOKEN_KE, spec->ke[i], 0);
    if (ke == NULL)
      return TCPSEC_ERR_INVALID_ARGUMENT;
    append(buf, len, &pos, ke);
  }

  if (pos >= len) {
    if (len > 0)
      buf[0] = '\0';
    return TCPSEC_ERR_BUFFER_TOO_SMALL;
  }
  return (int)pos;
}
