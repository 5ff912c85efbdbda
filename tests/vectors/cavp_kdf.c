/*
 * NIST CAVP SP 800-135 IKEv2 KDF response files (.rsp).
 *
 * Layout: '#' comment lines, then sections that open with bracketed
 * parameters and hold COUNT blocks of "name = hex" lines:
 *
 *   [g^ir length = 1024]
 *   [SHA-256]
 *   [Ni length = 64]          (lengths in bits)
 *   [Nr length = 64]
 *   [DKM length = 1056]
 *   [Child SA DKM length = 1056]
 *
 *   COUNT = 0
 *   Ni = ..., Nr = ..., g^ir = ..., g^ir (new) = ..., SPIi = ..., SPIr = ...
 *   SKEYSEED = ..., DKM = ..., DKM(Child SA) = ..., DKM(Child SA D-H) = ...
 *   SKEYSEED(Rekey) = ...
 *
 * Each COUNT block is one case and checks, with SK_d the first PRF-length
 * bytes of DKM (RFC 7296 sections 2.14, 2.17, 2.18):
 *   SKEYSEED          = prf(Ni | Nr, g^ir)
 *   DKM               = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   DKM(Child SA)     = prf+(SK_d, Ni | Nr)
 *   DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr)
 *   SKEYSEED(Rekey)   = prf(SK_d, g^ir (new) | Ni | Nr)
 * Blocks under [SHA-1] or [SHA-224] are skipped: tcpsec offers only the
 * HMAC-SHA2-256/384/512 PRFs. Lines may end in CR LF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vectors.h"

enum field {
  F_NI,
  F_NR,
  F_GIR,
  F_GIR_NEW,
  F_SPII,
  F_SPIR,
  F_SKEYSEED,
  F_DKM,
  F_DKM_CHILD,
  F_DKM_CHILD_DH,
  F_SKEYSEED_REKEY,
  F_COUNT
};

static const char *const field_names[F_COUNT] = {
  "Ni",       "Nr",  "g^ir",          "g^ir (new)",        "SPIi",
  "SPIr",     "SKEYSEED", "DKM", "DKM(Child SA)", "DKM(Child SA D-H)",
  "SKEYSEED(Rekey)",
};

struct cavp_case {
  uint8_t *v[F_COUNT];
  size_t len[F_COUNT];
  int count;    /* COUNT value, -1 before the first */
  int line;     /* line of COUNT */
  int prf;      /* TCPSEC_PRF_*, 0 for SHA-1/224, -1 before any header */
  char hash[16];
  size_t dkm_bits, child_bits;
};

static void case_clear(struct cavp_case *c) {
  size_t i;

  for (i = 0; i < F_COUNT; i++) {
    free(c->v[i]);
    c->v[i] = NULL;
    c->len[i] = 0;
  }
  c->count = -1;
}

static int detect(const vec_doc *doc) {
  return doc->json == NULL && strstr(doc->text, "SKEYSEED = ") != NULL &&
         strstr(doc->text, "[SHA-") != NULL &&
         strstr(doc->text, "DKM(Child SA) = ") != NULL;
}

/* Report a failed call or a value that differs from the file; 1 if the
 * check passed. */
static int check(vec_counts *counts, const char *path, const char *name,
                 const char *what, int rv, const uint8_t *got,
                 const uint8_t *want, size_t len) {
  if (rv != 0) {
    vec_fail(counts, path, name, "%s: %s", what, tcpsec_strerror_name(rv));
    return 0;
  }
  if (memcmp(got, want, len) != 0) {
    vec_fail(counts, path, name, "%s differs", what);
    return 0;
  }
  return 1;
}

/* Run the checks of one complete COUNT block; the first failing value ends
 * the case. */
static void case_run(struct cavp_case *c, const char *path,
                     vec_counts *counts) {
  tcpsec_ctx *ctx = vec_ctx();
  const tcpsec_prf_info *prf;
  uint8_t skeyseed[TCPSEC_HASH_MAX_LEN], *dkm = NULL, *child = NULL;
  char name[96];
  size_t i, dkm_len, child_len;
  int rv;

  snprintf(name, sizeof(name), "line %d [%s] COUNT = %d", c->line, c->hash,
           c->count);
  if (c->prf == 0) {
    vec_skip(counts, "PRF based on SHA-1 or SHA-224 (not offered)");
    return;
  }
  prf = tcpsec_prf_lookup((uint16_t)c->prf);
  for (i = 0; i < F_COUNT; i++)
    if (c->v[i] == NULL) {
      vec_fail(counts, path, name, "field \"%s\" missing", field_names[i]);
      return;
    }
  dkm_len = c->dkm_bits / 8;
  child_len = c->child_bits / 8;
  if (prf == NULL || c->len[F_SKEYSEED] != prf->out_len ||
      c->len[F_DKM] != dkm_len || c->len[F_DKM_CHILD] != child_len ||
      c->len[F_DKM_CHILD_DH] != child_len || c->len[F_SPII] != 8 ||
      c->len[F_SPIR] != 8 || c->len[F_SKEYSEED_REKEY] != prf->out_len ||
      dkm_len < prf->out_len) {
    vec_fail(counts, path, name, "field lengths disagree with the header");
    return;
  }
  dkm = malloc(dkm_len);
  child = malloc(child_len);
  if (dkm == NULL || child == NULL) {
    vec_fail(counts, path, name, "out of memory");
    goto out;
  }

  /* SKEYSEED = prf(Ni | Nr, g^ir) */
  rv = tcpsec_ikev2_skeyseed(ctx, prf->id, c->v[F_NI], c->len[F_NI],
                             c->v[F_NR], c->len[F_NR], c->v[F_GIR],
                             c->len[F_GIR], skeyseed);
  if (!check(counts, path, name, "SKEYSEED", rv, skeyseed, c->v[F_SKEYSEED],
             prf->out_len))
    goto out;

  /* DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
  rv = tcpsec_ikev2_ike_keymat(ctx, prf->id, skeyseed, prf->out_len,
                               c->v[F_NI], c->len[F_NI], c->v[F_NR],
                               c->len[F_NR], c->v[F_SPII], c->v[F_SPIR], dkm,
                               dkm_len);
  if (!check(counts, path, name, "DKM", rv, dkm, c->v[F_DKM], dkm_len))
    goto out;

  /* Child SA keys with SK_d = DKM[0 .. prf length) */
  rv = tcpsec_ikev2_child_keymat(ctx, prf->id, dkm, prf->out_len, NULL, 0,
                                 c->v[F_NI], c->len[F_NI], c->v[F_NR],
                                 c->len[F_NR], child, child_len);
  if (!check(counts, path, name, "DKM(Child SA)", rv, child,
             c->v[F_DKM_CHILD], child_len))
    goto out;
  rv = tcpsec_ikev2_child_keymat(ctx, prf->id, dkm, prf->out_len,
                                 c->v[F_GIR_NEW], c->len[F_GIR_NEW],
                                 c->v[F_NI], c->len[F_NI], c->v[F_NR],
                                 c->len[F_NR], child, child_len);
  if (!check(counts, path, name, "DKM(Child SA D-H)", rv, child,
             c->v[F_DKM_CHILD_DH], child_len))
    goto out;

  /* SKEYSEED(Rekey) = prf(SK_d, g^ir (new) | Ni | Nr) */
  rv = tcpsec_ikev2_skeyseed_rekey(ctx, prf->id, dkm, prf->out_len,
                                   c->v[F_GIR_NEW], c->len[F_GIR_NEW],
                                   c->v[F_NI], c->len[F_NI], c->v[F_NR],
                                   c->len[F_NR], skeyseed);
  if (!check(counts, path, name, "SKEYSEED(Rekey)", rv, skeyseed,
             c->v[F_SKEYSEED_REKEY], prf->out_len))
    goto out;

  vec_pass(counts);
out:
  free(dkm);
  free(child);
}

/* Read "[name = value]" or "[name]" section headers. */
static void header(struct cavp_case *c, const char *line) {
  unsigned long bits;

  if (strncmp(line, "[SHA-", 5) == 0) {
    snprintf(c->hash, sizeof(c->hash), "%.*s", (int)strcspn(line + 1, "]"),
             line + 1);
    if (strcmp(c->hash, "SHA-256") == 0)
      c->prf = TCPSEC_PRF_HMAC_SHA2_256;
    else if (strcmp(c->hash, "SHA-384") == 0)
      c->prf = TCPSEC_PRF_HMAC_SHA2_384;
    else if (strcmp(c->hash, "SHA-512") == 0)
      c->prf = TCPSEC_PRF_HMAC_SHA2_512;
    else
      c->prf = 0;
  } else if (sscanf(line, "[DKM length = %lu]", &bits) == 1) {
    c->dkm_bits = bits;
  } else if (sscanf(line, "[Child SA DKM length = %lu]", &bits) == 1) {
    c->child_bits = bits;
  }
}

static int run(const vec_doc *doc, const char *path, vec_counts *counts) {
  struct cavp_case c;
  char *text = malloc(doc->len + 1), *line, *next, *eq;
  int lineno = 0, i, bad = 0;

  if (text == NULL)
    return -1;
  memcpy(text, doc->text, doc->len + 1);
  memset(&c, 0, sizeof(c));
  c.count = -1;
  c.prf = -1;
  snprintf(c.hash, sizeof(c.hash), "?");

  for (line = text; line != NULL; line = next) {
    size_t n;

    next = strchr(line, '\n');
    if (next != NULL)
      *next++ = '\0';
    lineno++;
    n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
      line[--n] = '\0';

    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (line[0] == '[' || strncmp(line, "COUNT = ", 8) == 0) {
      if (c.count >= 0)
        case_run(&c, path, counts);
      case_clear(&c);
      if (line[0] == '[') {
        header(&c, line);
      } else {
        c.count = atoi(line + 8);
        c.line = lineno;
      }
      continue;
    }

    eq = strstr(line, " = ");
    if (eq == NULL || c.count < 0)
      continue;
    *eq = '\0';
    for (i = 0; i < F_COUNT; i++)
      if (strcmp(line, field_names[i]) == 0)
        break;
    if (i == F_COUNT)
      continue; /* a field this runner does not check */
    free(c.v[i]);
    c.v[i] = vec_hex(eq + 3, &c.len[i]);
    if (c.v[i] == NULL) {
      char name[48];
      snprintf(name, sizeof(name), "line %d", lineno);
      vec_fail(counts, path, name, "invalid hex in \"%s\"", line);
      bad = 1;
    }
  }
  if (c.count >= 0)
    case_run(&c, path, counts);
  case_clear(&c);
  free(text);
  return bad ? -1 : 0;
}

const vec_handler vec_cavp_ikev2_handler = {"cavp-ikev2-kdf", detect, run};
