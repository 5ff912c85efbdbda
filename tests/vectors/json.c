/*
 * Recursive-descent JSON parser (RFC 8259) building a tree of json_value.
 *
 * Every read checks the remaining length first; nesting is limited to
 * JSON_MAX_DEPTH so that hostile input cannot exhaust the stack.
 */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
  const char *p;
  const char *start;
  const char *end;
  char *err;
  size_t err_len;
  int failed;
};

static void parse_error(struct parser *ps, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void parse_error(struct parser *ps, const char *fmt, ...) {
  char msg[160];
  va_list ap;

  if (ps->failed)
    return;
  ps->failed = 1;
  if (ps->err == NULL || ps->err_len == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(ps->err, ps->err_len, "%s at byte %zu", msg,
           (size_t)(ps->p - ps->start));
}

static size_t left(const struct parser *ps) {
  return (size_t)(ps->end - ps->p);
}

static void skip_space(struct parser *ps) {
  while (left(ps) > 0 && (*ps->p == ' ' || *ps->p == '\t' ||
                          *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static int literal(struct parser *ps, const char *word) {
  size_t n = strlen(word);

  if (n > left(ps) || memcmp(ps->p, word, n) != 0) {
    parse_error(ps, "invalid literal");
    return 0;
  }
  ps->p += n;
  return 1;
}

/* ---- strings ------------------------------------------------------------ */

static int hex4(struct parser *ps, unsigned *out) {
  unsigned v = 0;
  int i;

  if (left(ps) < 4) {
    parse_error(ps, "truncated \\u escape");
    return 0;
  }
  for (i = 0; i < 4; i++) {
    char c = ps->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else {
      parse_error(ps, "invalid \\u escape");
      return 0;
    }
  }
  ps->p += 4;
  *out = v;
  return 1;
}

/* Encode a code point as UTF-8 into out (room for 4 bytes). */
static size_t utf8_put(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* \uXXXX, with a following low surrogate when XXXX is a high one. */
static int unicode_escape(struct parser *ps, unsigned *cp) {
  unsigned hi, lo;

  if (!hex4(ps, &hi))
    return 0;
  if (hi >= 0xdc00 && hi <= 0xdfff) {
    parse_error(ps, "unpaired low surrogate");
    return 0;
  }
  if (hi < 0xd800 || hi > 0xdbff) {
    *cp = hi;
    return 1;
  }
  if (left(ps) < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
    parse_error(ps, "unpaired high surrogate");
    return 0;
  }
  ps->p += 2;
  if (!hex4(ps, &lo))
    return 0;
  if (lo < 0xdc00 || lo > 0xdfff) {
    parse_error(ps, "invalid low surrogate");
    return 0;
  }
  *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
  return 1;
}

/* Parse a string starting at the opening quote. The decoded form is never
 * longer than the source, so the output is sized from the source length. */
static char *parse_string(struct parser *ps, size_t *out_len) {
  const char *q;
  char *out, *w;
  unsigned cp;

  ps->p++; /* opening quote */
  for (q = ps->p; q < ps->end && *q != '"'; q++)
    if (*q == '\\' && q + 1 < ps->end)
      q++;
  if (q >= ps->end) {
    parse_error(ps, "unterminated string");
    return NULL;
  }
  out = malloc((size_t)(q - ps->p) + 1);
  if (out == NULL) {
    parse_error(ps, "out of memory");
    return NULL;
  }

  w = out;
  while (*ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p++;
    if (c < 0x20) {
      parse_error(ps, "control character in string");
      goto fail;
    }
    if (c != '\\') {
      *w++ = (char)c;
      continue;
    }
    c = (unsigned char)*ps->p++;
    switch (c) {
    case '"': *w++ = '"'; break;
    case '\\': *w++ = '\\'; break;
    case '/': *w++ = '/'; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u':
      if (!unicode_escape(ps, &cp))
        goto fail;
      /* 6 or 12 source bytes never decode to more than 4. */
      w += utf8_put(w, cp);
      break;
    default:
      parse_error(ps, "invalid escape");
      goto fail;
    }
  }
  ps->p++; /* closing quote */
  *w = '\0';
  *out_len = (size_t)(w - out);
  return out;

fail:
  free(out);
  return NULL;
}

/* ---- numbers ------------------------------------------------------------ */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Check the RFC 8259 number grammar, then convert with strtod from a
 * bounded copy. */
static int parse_number(struct parser *ps, double *out) {
  const char *q = ps->p;
  char buf[64];
  size_t n;

  if (q < ps->end && *q == '-')
    q++;
  if (q >= ps->end || !is_digit(*q))
    goto bad;
  if (*q == '0')
    q++;
  else
    while (q < ps->end && is_digit(*q))
      q++;
  if (q < ps->end && *q == '.') {
    q++;
    if (q >= ps->end || !is_digit(*q))
      goto bad;
    while (q < ps->end && is_digit(*q))
      q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < ps->end && (*q == '+' || *q == '-'))
      q++;
    if (q >= ps->end || !is_digit(*q))
      goto bad;
    while (q < ps->end && is_digit(*q))
      q++;
  }

  n = (size_t)(q - ps->p);
  if (n >= sizeof(buf)) {
    parse_error(ps, "number longer than %zu characters", sizeof(buf) - 1);
    return 0;
  }
  memcpy(buf, ps->p, n);
  buf[n] = '\0';
  *out = strtod(buf, NULL);
  ps->p = q;
  return 1;

bad:
  parse_error(ps, "invalid number");
  return 0;
}

/* ---- values ------------------------------------------------------------- */

static int parse_value(struct parser *ps, json_value *v, int depth);

/* Grow a parallel items/keys array pair to hold one more member. */
static int grow(struct parser *ps, json_value *v, size_t *cap, int with_keys) {
  json_value *items;
  char **keys;
  size_t ncap;

  if (v->count < *cap)
    return 1;
  ncap = *cap ? *cap * 2 : 4;
  items = realloc(v->items, ncap * sizeof(*items));
  if (items == NULL)
    goto oom;
  v->items = items;
  if (with_keys) {
    keys = realloc(v->keys, ncap * sizeof(*keys));
    if (keys == NULL)
      goto oom;
    v->keys = keys;
  }
  *cap = ncap;
  return 1;

oom:
  parse_error(ps, "out of memory");
  return 0;
}

static int parse_array(struct parser *ps, json_value *v, int depth) {
  size_t cap = 0;

  v->type = JSON_ARRAY;
  ps->p++; /* '[' */
  skip_space(ps);
  if (left(ps) > 0 && *ps->p == ']') {
    ps->p++;
    return 1;
  }
  for (;;) {
    if (!grow(ps, v, &cap, 0))
      return 0;
    memset(&v->items[v->count], 0, sizeof(v->items[0]));
    v->count++;
    if (!parse_value(ps, &v->items[v->count - 1], depth + 1))
      return 0;
    skip_space(ps);
    if (left(ps) == 0) {
      parse_error(ps, "unterminated array");
      return 0;
    }
    if (*ps->p == ']') {
      ps->p++;
      return 1;
    }
    if (*ps->p != ',') {
      parse_error(ps, "expected ',' or ']'");
      return 0;
    }
    ps->p++;
  }
}

static int parse_object(struct parser *ps, json_value *v, int depth) {
  size_t cap = 0, key_len;
  char *key;

  v->type = JSON_OBJECT;
  ps->p++; /* '{' */
  skip_space(ps);
  if (left(ps) > 0 && *ps->p == '}') {
    ps->p++;
    return 1;
  }
  for (;;) {
    skip_space(ps);
    if (left(ps) == 0 || *ps->p != '"') {
      parse_error(ps, "expected member name");
      return 0;
    }
    key = parse_string(ps, &key_len);
    if (key == NULL)
      return 0;
    if (!grow(ps, v, &cap, 1)) {
      free(key);
      return 0;
    }
    memset(&v->items[v->count], 0, sizeof(v->items[0]));
    v->keys[v->count] = key;
    v->count++;

    skip_space(ps);
    if (left(ps) == 0 || *ps->p != ':') {
      parse_error(ps, "expected ':'");
      return 0;
    }
    ps->p++;
    if (!parse_value(ps, &v->items[v->count - 1], depth + 1))
      return 0;
    skip_space(ps);
    if (left(ps) == 0) {
      parse_error(ps, "unterminated object");
      return 0;
    }
    if (*ps->p == '}') {
      ps->p++;
      return 1;
    }
    if (*ps->p != ',') {
      parse_error(ps, "expected ',' or '}'");
      return 0;
    }
    ps->p++;
  }
}

static int parse_value(struct parser *ps, json_value *v, int depth) {
  if (depth > JSON_MAX_DEPTH) {
    parse_error(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
    return 0;
  }
  skip_space(ps);
  if (left(ps) == 0) {
    parse_error(ps, "unexpected end of input");
    return 0;
  }
  switch (*ps->p) {
  case '{':
    return parse_object(ps, v, depth);
  case '[':
    return parse_array(ps, v, depth);
  case '"':
    v->type = JSON_STRING;
    v->string = parse_string(ps, &v->len);
    return v->string != NULL;
  case 't':
    v->type = JSON_BOOL;
    v->boolean = 1;
    return literal(ps, "true");
  case 'f':
    v->type = JSON_BOOL;
    return literal(ps, "false");
  case 'n':
    v->type = JSON_NULL;
    return literal(ps, "null");
  default:
    v->type = JSON_NUMBER;
    return parse_number(ps, &v->number);
  }
}

static void value_free(json_value *v) {
  size_t i;

  if (v->type == JSON_STRING)
    free(v->string);
  if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
    for (i = 0; i < v->count; i++) {
      value_free(&v->items[i]);
      if (v->keys != NULL)
        free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
}

json_value *json_parse(const char *text, size_t len, char *err,
                       size_t err_len) {
  struct parser ps = {text, text, text + len, err, err_len, 0};
  json_value *root;

  if (err != NULL && err_len > 0)
    err[0] = '\0';
  root = calloc(1, sizeof(*root));
  if (root == NULL)
    return NULL;
  if (parse_value(&ps, root, 0)) {
    skip_space(&ps);
    if (left(&ps) != 0)
      parse_error(&ps, "unexpected data after the document");
  }
  if (ps.failed) {
    json_free(root);
    return NULL;
  }
  return root;
}

void json_free(json_value *root) {
  if (root == NULL)
    return;
  value_free(root);
  free(root);
}

/* ---- access ------------------------------------------------------------- */

const json_value *json_get(const json_value *v, const char *key) {
  size_t i;

  if (v == NULL || v->type != JSON_OBJECT)
    return NULL;
  for (i = 0; i < v->count; i++)
    if (strcmp(v->keys[i], key) == 0)
      return &v->items[i];
  return NULL;
}

const json_value *json_at(const json_value *v, size_t i) {
  if (v == NULL || v->type != JSON_ARRAY || i >= v->count)
    return NULL;
  return &v->items[i];
}

size_t json_count(const json_value *v) {
  if (v == NULL || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
    return 0;
  return v->count;
}

const char *json_string(const json_value *v) {
  return v != NULL && v->type == JSON_STRING ? v->string : NULL;
}

const char *json_get_string(const json_value *v, const char *key) {
  return json_string(json_get(v, key));
}

long json_get_int(const json_value *v, const char *key) {
  const json_value *n = json_get(v, key);

  if (n == NULL || n->type != JSON_NUMBER || n->number < 0 ||
      n->number > 2147483647.0 || n->number != (double)(long)n->number)
    return -1;
  return (long)n->number;
}

int json_array_has_string(const json_value *v, const char *s) {
  size_t i;

  for (i = 0; i < json_count(v); i++) {
    const char *item = json_string(json_at(v, i));
    if (v->type == JSON_ARRAY && item != NULL && strcmp(item, s) == 0)
      return 1;
  }
  return 0;
}
