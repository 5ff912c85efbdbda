/*
 * Small JSON reader for the vector files: parses a whole document into a
 * tree of values.
 *
 * The parser is bounded and safe on malformed input: nesting deeper than
 * JSON_MAX_DEPTH, invalid escapes, control characters in strings, numbers
 * outside the JSON grammar, trailing bytes and truncated input are all
 * rejected with a message naming the byte offset. Strings are decoded to
 * UTF-8 (with \uXXXX surrogate pairs) and NUL-terminated; `len` also
 * counts embedded NUL bytes.
 */
#ifndef TCPSEC_VECTORS_JSON_H
#define TCPSEC_VECTORS_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 64

typedef enum json_type {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

typedef struct json_value json_value;

struct json_value {
  json_type type;
  int boolean;          /* JSON_BOOL */
  double number;        /* JSON_NUMBER */
  char *string;         /* JSON_STRING, NUL-terminated */
  size_t len;           /* string length in bytes */
  size_t count;         /* JSON_ARRAY items or JSON_OBJECT members */
  json_value *items;    /* JSON_ARRAY and JSON_OBJECT values */
  char **keys;          /* JSON_OBJECT member names, parallel to items */
};

/* Parse len bytes. Returns the root value, or NULL with a message in err
 * (if not NULL). Free with json_free. */
json_value *json_parse(const char *text, size_t len, char *err,
                       size_t err_len);
void json_free(json_value *root);

/* Member `key` of an object (the first one if repeated); NULL if v is not
 * an object or has no such member. */
const json_value *json_get(const json_value *v, const char *key);
/* Item i of an array; NULL if v is not an array or i is out of range. */
const json_value *json_at(const json_value *v, size_t i);
/* Number of items of an array or members of an object, else 0. */
size_t json_count(const json_value *v);

/* The string of a string value, else NULL. */
const char *json_string(const json_value *v);
/* Member `key` of an object as a string, else NULL. */
const char *json_get_string(const json_value *v, const char *key);
/* Member `key` as a non-negative integer that fits in long; -1 if absent,
 * not a number, negative or not whole. */
long json_get_int(const json_value *v, const char *key);
/* 1 when v is an array of strings containing s. */
int json_array_has_string(const json_value *v, const char *s);

#endif /* TCPSEC_VECTORS_JSON_H */
