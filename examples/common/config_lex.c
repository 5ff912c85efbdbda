/*
 * Statement reader of the configuration parser.
 *
 * A statement is one line of words separated by blanks. A word is either
 * plain or quoted with "..." or '...'; a backslash takes the next byte
 * literally, in and outside quotes, so "a\"b" is a"b. A quoted string may
 * span lines (FortiOS writes certificates that way), and a backslash at the
 * end of a line continues the statement on the next one. A '#' at the start
 * of a word begins a comment that runs to the end of the line. Carriage
 * returns count as blanks, so files with CRLF line ends read the same.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

#include "tcpsec/core.h"

void config_lexer_init(struct config_lexer *lexer, const char *text,
                       size_t len) {
  memset(lexer, 0, sizeof(*lexer));
  lexer->p = text;
  lexer->end = text + len;
  lexer->line = 1;
}

void config_lexer_wipe(struct config_lexer *lexer) {
  config_wipe(lexer->buffer, sizeof(lexer->buffer));
}

static int lex_fail(struct config_lexer *lexer, unsigned line, int code,
                    const char *message) {
  lexer->error_line = line;
  snprintf(lexer->error_text, sizeof(lexer->error_text), "%s", message);
  return code;
}

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/* Bytes other than blanks and line ends below 0x20, and DEL, are never
 * valid: they are a binary file or a paste gone wrong. */
static int is_forbidden(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

static void skip_comment(struct config_lexer *lexer) {
  while (lexer->p != lexer->end && *lexer->p != '\n')
    lexer->p++;
}

/*
 * Decode one word starting at lexer->p into buffer[*used...], which has
 * room for `room` bytes including the terminating NUL.
 */
static int read_word(struct config_lexer *lexer, char *out, size_t room,
                     size_t *length) {
  unsigned start_line = lexer->line;
  size_t n = 0;
  char quote = 0;
  char message[96];

  while (lexer->p != lexer->end) {
    unsigned char c = (unsigned char)*lexer->p;

    if (is_forbidden(c)) {
      snprintf(message, sizeof(message),
               "invalid control byte 0x%02x in the text", c);
      return lex_fail(lexer, lexer->line, TCPSEC_ERR_CONFIG, message);
    }
    if (quote == 0 && (is_blank((char)c) || c == '\n'))
      break;

    lexer->p++;
    if (c == '\\') {
      if (lexer->p == lexer->end)
        break; /* a lone backslash at the very end is dropped */
      c = (unsigned char)*lexer->p++;
      if (c == '\n') {
        lexer->line++;
        if (quote == 0)
          continue; /* line continuation */
      } else if (is_forbidden(c)) {
        snprintf(message, sizeof(message),
                 "invalid control byte 0x%02x in the text", c);
        return lex_fail(lexer, lexer->line, TCPSEC_ERR_CONFIG, message);
      }
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = (char)c;
      continue;
    } else if (quote != 0 && c == (unsigned char)quote) {
      quote = 0;
      continue;
    } else if (c == '\n') {
      lexer->line++; /* inside quotes: part of the value */
    }

    if (n + 1 >= room)
      return lex_fail(lexer, start_line, TCPSEC_ERR_LIMIT,
                      "statement longer than the limit of 8192 bytes");
    out[n++] = (char)c;
  }

  if (quote != 0)
    return lex_fail(lexer, start_line, TCPSEC_ERR_CONFIG,
                    "unterminated quoted string: add the closing quote");
  out[n] = '\0';
  *length = n;
  return 0;
}

int config_lexer_next(struct config_lexer *lexer,
                      struct config_statement *statement) {
  size_t used = 0;
  const char *statement_start = NULL;

  statement->count = 0;
  statement->line = lexer->line;

  while (lexer->p != lexer->end) {
    char c = *lexer->p;
    size_t length;
    int rc;

    if (is_blank(c)) {
      lexer->p++;
      continue;
    }
    if (c == '\n') {
      lexer->p++;
      lexer->line++;
      if (statement->count > 0)
        return 1;
      continue;
    }
    if (c == '#') {
      skip_comment(lexer);
      continue;
    }

    /* A word: check the limits before decoding it. */
    if (statement->count == 0) {
      statement->line = lexer->line;
      statement_start = lexer->p;
    }
    if (statement->count == CONFIG_TOKENS_MAX)
      return lex_fail(lexer, statement->line, TCPSEC_ERR_LIMIT,
                      "more than 64 words in one statement");
    rc = read_word(lexer, lexer->buffer + used, sizeof(lexer->buffer) - used,
                   &length);
    if (rc != 0)
      return rc;
    if ((size_t)(lexer->p - statement_start) > CONFIG_LINE_MAX)
      return lex_fail(lexer, statement->line, TCPSEC_ERR_LIMIT,
                      "statement longer than the limit of 8192 bytes");
    statement->word[statement->count] = lexer->buffer + used;
    statement->length[statement->count] = length;
    statement->count++;
    used += length + 1;
  }
  return statement->count > 0 ? 1 : 0;
}
