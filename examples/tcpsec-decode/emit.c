/*
 * Output for tcpsec-decode: the same calls produce indented text for people
 * or JSON for scripts.
 */
#include <ctype.h>
#include <string.h>

#include "decode.h"

#define TEXT_HEX_MAX 32

static void indent(emitter *em) {
  int i;

  for (i = 0; i < em->depth; i++)
    fputs("  ", em->f);
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* JSON: separator and key; text: indentation and key. */
static void json_key(emitter *em, const char *key) {
  if (em->need_comma[em->depth])
    fputc(',', em->f);
  em->need_comma[em->depth] = 1;
  if (key != NULL) {
    json_string(em->f, key);
    fputc(':', em->f);
  }
}

static void text_key(emitter *em, const char *key) {
  indent(em);
  fprintf(em->f, "%s: ", key != NULL ? key : "-");
}

static void push(emitter *em) {
  if (em->depth + 1 < (int)(sizeof(em->need_comma) / sizeof(em->need_comma[0])))
    em->depth++;
  em->need_comma[em->depth] = 0;
}

void em_begin_object(emitter *em, const char *key) {
  if (em->json) {
    json_key(em, key);
    fputc('{', em->f);
  } else if (key != NULL) {
    indent(em);
    fprintf(em->f, "%s:\n", key);
  } else {
    indent(em);
    fputs("-\n", em->f);
  }
  push(em);
}

void em_end_object(emitter *em) {
  if (em->depth > 0)
    em->depth--;
  if (em->json)
    fputc('}', em->f);
  if (em->json && em->depth == 0)
    fputc('\n', em->f);
}

void em_begin_array(emitter *em, const char *key) {
  if (em->json) {
    json_key(em, key);
    fputc('[', em->f);
  } else {
    indent(em);
    fprintf(em->f, "%s:\n", key != NULL ? key : "-");
  }
  push(em);
}

void em_end_array(emitter *em) {
  if (em->depth > 0)
    em->depth--;
  if (em->json)
    fputc(']', em->f);
}

void em_uint(emitter *em, const char *key, unsigned long long value) {
  if (em->json) {
    json_key(em, key);
    fprintf(em->f, "%llu", value);
  } else {
    text_key(em, key);
    fprintf(em->f, "%llu\n", value);
  }
}

void em_bool(emitter *em, const char *key, int value) {
  if (em->json) {
    json_key(em, key);
    fputs(value ? "true" : "false", em->f);
  } else {
    text_key(em, key);
    fputs(value ? "yes\n" : "no\n", em->f);
  }
}

void em_str(emitter *em, const char *key, const char *value) {
  if (em->json) {
    json_key(em, key);
    json_string(em->f, value);
  } else {
    /* Values can come from the wire (IDs): keep terminal controls out. */
    text_key(em, key);
    for (; *value != '\0'; value++)
      fputc(isprint((unsigned char)*value) ? *value : '.', em->f);
    fputc('\n', em->f);
  }
}

void em_hex(emitter *em, const char *key, const uint8_t *data, size_t len) {
  size_t i, shown = len;

  if (em->json) {
    json_key(em, key);
    fputc('"', em->f);
  } else {
    text_key(em, key);
    if (shown > TEXT_HEX_MAX)
      shown = TEXT_HEX_MAX;
  }
  for (i = 0; i < shown; i++)
    fprintf(em->f, "%02x", data[i]);
  if (em->json)
    fputc('"', em->f);
  else if (shown < len)
    fprintf(em->f, "... (%zu bytes)\n", len);
  else
    fputc('\n', em->f);
}

void em_named(emitter *em, const char *key, unsigned long value,
              const char *name) {
  char name_key[80];

  if (em->json) {
    json_key(em, key);
    fprintf(em->f, "%lu", value);
    if (name != NULL) {
      snprintf(name_key, sizeof(name_key), "%s_name", key);
      json_key(em, name_key);
      json_string(em->f, name);
    }
  } else {
    text_key(em, key);
    if (name != NULL)
      fprintf(em->f, "%s (%lu)\n", name, value);
    else
      fprintf(em->f, "%lu\n", value);
  }
}
