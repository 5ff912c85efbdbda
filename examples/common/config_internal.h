/*
 * Internals of the configuration parser, shared by config.c (blocks and
 * commands), config_lex.c (statements and words) and config_keywords.c
 * (keyword tables and values).
 */
#ifndef EXAMPLE_CONFIG_INTERNAL_H
#define EXAMPLE_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "config.h"

#if defined(__GNUC__)
#define CONFIG_PRINTF(fmt_index, first_arg) \
  __attribute__((format(printf, fmt_index, first_arg)))
#else
#define CONFIG_PRINTF(fmt_index, first_arg)
#endif

/* One statement: the words of a line (or of several lines when a quoted
 * string spans them), unquoted and unescaped, each NUL-terminated. */
struct config_statement {
  unsigned line; /* line of the first word */
  size_t count;
  char *word[CONFIG_TOKENS_MAX];
  size_t length[CONFIG_TOKENS_MAX];
};

/* Splits text into statements. The decoded words live in `buffer`, which
 * the next call overwrites. */
struct config_lexer {
  const char *p;
  const char *end;
  unsigned line;
  unsigned error_line;
  char error_text[CONFIG_MESSAGE_MAX];
  char buffer[CONFIG_LINE_MAX + CONFIG_TOKENS_MAX];
};

void config_lexer_init(struct config_lexer *lexer, const char *text,
                       size_t len);

/* Read the next statement. Returns 1 with a statement, 0 at the end of the
 * text, or TCPSEC_ERR_CONFIG / TCPSEC_ERR_LIMIT with error_line and
 * error_text set. */
int config_lexer_next(struct config_lexer *lexer,
                      struct config_statement *statement);

/* Overwrite the decoded words, which may contain a pre-shared key. */
void config_lexer_wipe(struct config_lexer *lexer);

/* Sections whose keywords the parser reads; SKIPPED is a block that is not
 * used by tcpsec (`config firewall policy`), read only to find its end. */
enum config_section {
  CONFIG_SECTION_SYSTEM_SETTINGS,
  CONFIG_SECTION_PHASE1,
  CONFIG_SECTION_PHASE2,
  CONFIG_SECTION_TCPSEC_SYSTEM,
  CONFIG_SECTION_TCPSEC_TUNNEL,
  CONFIG_SECTION_LOCAL_CERT, /* config tcpsec certificate local */
  CONFIG_SECTION_CA_CERT,    /* config tcpsec certificate ca */
  CONFIG_SECTION_USER_PEER,  /* config user peer */
  CONFIG_SECTION_SKIPPED
};

enum config_command {
  CONFIG_COMMAND_SET,
  CONFIG_COMMAND_APPEND,
  CONFIG_COMMAND_UNSET
};

struct config_parser {
  const char *file_name;
  struct config *cfg;
  struct config_error *err;
  int failed;
  struct config_lexer lexer;
};

/* Fill err with "file:line: message" and return code. */
int config_fail(struct config_parser *parser, unsigned line, int code,
                const char *fmt, ...) CONFIG_PRINTF(4, 5);

/* Record "file:line: message" as a notice. Returns 0 or
 * TCPSEC_ERR_NO_MEMORY. */
int config_notice(struct config_parser *parser, unsigned line,
                  const char *fmt, ...) CONFIG_PRINTF(3, 4);

/* Copy a value into buf for a message: printable ASCII as is, other bytes
 * as \xNN, cut with "..." after 40 characters. */
void config_quote(const char *value, size_t length, char *buf, size_t size);

/* Overwrite memory in a way the compiler cannot remove. */
void config_wipe(void *buf, size_t len);

/* Fill a new entry with its defaults. */
void config_phase1_default(struct config_phase1 *entry);
void config_phase2_default(struct config_phase2 *entry);
void config_tunnel_default(struct config_tunnel *entry);
void config_local_cert_default(struct config_local_cert *entry);
void config_ca_cert_default(struct config_ca_cert *entry);
void config_user_peer_default(struct config_user_peer *entry);

/* Apply a set, append or unset statement (words: command, keyword,
 * values...) to the entry of the section (the config's own settings for
 * the two settings sections). Returns 0 or a TCPSEC_ERR_* code with the
 * error reported. */
int config_apply(struct config_parser *parser, enum config_section section,
                 void *entry, enum config_command command,
                 const struct config_statement *statement);

/* Check an entry when its `next` or `end` is reached. */
int config_check_phase1(struct config_parser *parser,
                        struct config_phase1 *entry);
int config_check_phase2(struct config_parser *parser,
                        struct config_phase2 *entry);
int config_check_local_cert(struct config_parser *parser,
                            struct config_local_cert *entry);
int config_check_ca_cert(struct config_parser *parser,
                         struct config_ca_cert *entry);

#endif /* EXAMPLE_CONFIG_INTERNAL_H */
