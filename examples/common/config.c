/*
 * Configuration parser: blocks and commands.
 *
 * The text is a sequence of statements (config_lex.c). Blocks open with
 * `config <path>` and close with `end`. Table blocks (phase1-interface,
 * phase2-interface, tcpsec tunnel) hold entries that open with
 * `edit <name>` and close with `next`, or with the `end` of the block.
 * Inside an entry, or directly inside a settings block, `set`, `append`
 * and `unset` change one keyword (config_keywords.c). A block tcpsec does
 * not read is skipped to its matching `end`, with one notice.
 */
#include "config_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsec/core.h"

/* One open block. */
struct block {
  enum config_section section;
  unsigned line;
  char path[64]; /* "vpn ipsec phase1-interface", for messages */
};

/* Position in the block structure while statements are read. */
struct walk {
  struct block stack[CONFIG_DEPTH_MAX];
  size_t depth;
  void *entry; /* entry being edited in the innermost table, or NULL */
  enum config_section entry_section;
};

/* ---- messages --------------------------------------------------------- */

void config_wipe(void *buf, size_t len) {
  volatile unsigned char *p = buf;

  while (len-- > 0)
    *p++ = 0;
}

void config_quote(const char *value, size_t length, char *buf, size_t size) {
  size_t i, n = 0;

  if (size == 0)
    return;
  for (i = 0; i < length && n + 5 < size; i++) {
    unsigned char c = (unsigned char)value[i];

    if (i == 40) {
      n += (size_t)snprintf(buf + n, size - n, "...");
      break;
    }
    if (c >= 0x20 && c < 0x7f)
      buf[n++] = (char)c;
    else
      n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
  }
  buf[n < size ? n : size - 1] = '\0';
}

static void format_message(struct config_parser *parser, unsigned line,
                           char *out, size_t size, const char *fmt,
                           va_list ap) {
  int n;

  if (line > 0)
    n = snprintf(out, size, "%s:%u: ", parser->file_name, line);
  else
    n = snprintf(out, size, "%s: ", parser->file_name);
  if (n < 0 || (size_t)n >= size)
    return;
  vsnprintf(out + n, size - (size_t)n, fmt, ap);
}

int config_fail(struct config_parser *parser, unsigned line, int code,
                const char *fmt, ...) {
  va_list ap;

  if (parser->failed)
    return code; /* keep the first message */
  parser->failed = 1;
  parser->err->line = line;
  va_start(ap, fmt);
  format_message(parser, line, parser->err->text, sizeof(parser->err->text),
                 fmt, ap);
  va_end(ap);
  return code;
}

int config_notice(struct config_parser *parser, unsigned line,
                  const char *fmt, ...) {
  struct config *cfg = parser->cfg;
  struct config_notice *notice;
  va_list ap;

  if (cfg->notice_count == CONFIG_NOTICES_MAX) {
    cfg->notices_dropped++;
    return 0;
  }
  if (cfg->notices == NULL) {
    cfg->notices = calloc(CONFIG_NOTICES_MAX, sizeof(*cfg->notices));
    if (cfg->notices == NULL)
      return config_fail(parser, line, TCPSEC_ERR_NO_MEMORY,
                         "out of memory while storing a notice");
  }
  notice = &cfg->notices[cfg->notice_count++];
  notice->line = line;
  va_start(ap, fmt);
  format_message(parser, line, notice->text, sizeof(notice->text), fmt, ap);
  va_end(ap);
  return 0;
}

/* ---- entries ---------------------------------------------------------- */

/*
 * Make room for one more element. The old array is wiped before it is
 * freed, because phase 1 entries contain pre-shared keys and realloc()
 * would leave a copy behind.
 */
static int grow(void **array, size_t count, size_t element_size) {
  size_t capacity;
  void *bigger;

  /* Capacities are 4, 8, 16 and so on: the array is full only when count
   * is one of them. */
  if (*array != NULL && (count < 4 || (count & (count - 1)) != 0))
    return 0;
  capacity = count < 4 ? 4 : count * 2;
  bigger = calloc(capacity, element_size);
  if (bigger == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  if (*array != NULL) {
    memcpy(bigger, *array, count * element_size);
    config_wipe(*array, count * element_size);
    free(*array);
  }
  *array = bigger;
  return 0;
}

/* The tables of the certificate sections and of config user peer: where
 * the entries are, how large one is, and how a new one starts. */
struct entry_table {
  void **array;
  size_t *count;
  size_t size;
  const char *block; /* block name for the limit message */
};

static struct entry_table certificate_table(struct config *cfg,
                                            enum config_section section) {
  struct entry_table t;

  memset(&t, 0, sizeof(t));
  switch (section) {
  case CONFIG_SECTION_LOCAL_CERT:
    t.array = (void **)&cfg->local_cert;
    t.count = &cfg->local_cert_count;
    t.size = sizeof(*cfg->local_cert);
    t.block = "tcpsec certificate local";
    break;
  case CONFIG_SECTION_CA_CERT:
    t.array = (void **)&cfg->ca_cert;
    t.count = &cfg->ca_cert_count;
    t.size = sizeof(*cfg->ca_cert);
    t.block = "tcpsec certificate ca";
    break;
  default:
    t.array = (void **)&cfg->user_peer;
    t.count = &cfg->user_peer_count;
    t.size = sizeof(*cfg->user_peer);
    t.block = "user peer";
    break;
  }
  return t;
}

/* Every entry of these tables starts with its name. */
_Static_assert(offsetof(struct config_local_cert, name) == 0, "name first");
_Static_assert(offsetof(struct config_ca_cert, name) == 0, "name first");
_Static_assert(offsetof(struct config_user_peer, name) == 0, "name first");

static char *entry_name(void *entry) { return (char *)entry; }

static int open_certificate_entry(struct config_parser *parser,
                                  enum config_section section,
                                  const char *name, unsigned line,
                                  void **entry) {
  struct entry_table t = certificate_table(parser->cfg, section);
  char *base;
  size_t i;

  for (i = 0; i < *t.count; i++) {
    base = (char *)*t.array + i * t.size;
    if (strcmp(entry_name(base), name) == 0) {
      *entry = base;
      return 0;
    }
  }
  if (*t.count == CONFIG_CERT_MAX)
    return config_fail(parser, line, TCPSEC_ERR_LIMIT,
                       "edit: more than %d config %s entries",
                       CONFIG_CERT_MAX, t.block);
  if (grow(t.array, *t.count, t.size) != 0)
    return config_fail(parser, line, TCPSEC_ERR_NO_MEMORY,
                       "edit: out of memory");
  base = (char *)*t.array + *t.count * t.size;
  if (section == CONFIG_SECTION_LOCAL_CERT) {
    struct config_local_cert *e = (struct config_local_cert *)(void *)base;
    config_local_cert_default(e);
    e->line = line;
  } else if (section == CONFIG_SECTION_CA_CERT) {
    struct config_ca_cert *e = (struct config_ca_cert *)(void *)base;
    config_ca_cert_default(e);
    e->line = line;
  } else {
    struct config_user_peer *e = (struct config_user_peer *)(void *)base;
    config_user_peer_default(e);
    e->line = line;
  }
  snprintf(entry_name(base), CONFIG_NAME_MAX + 1, "%s", name);
  (*t.count)++;
  *entry = base;
  return 0;
}

/* Find or add the entry named `name` in the table of `section`. */
static int open_entry(struct config_parser *parser,
                      enum config_section section, const char *name,
                      unsigned line, void **entry) {
  struct config *cfg = parser->cfg;
  size_t i;

  switch (section) {
  case CONFIG_SECTION_PHASE1:
    for (i = 0; i < cfg->phase1_count; i++) {
      if (strcmp(cfg->phase1[i].name, name) == 0) {
        *entry = &cfg->phase1[i];
        return 0;
      }
    }
    if (cfg->phase1_count == CONFIG_PHASE1_MAX)
      return config_fail(parser, line, TCPSEC_ERR_LIMIT,
                         "edit: more than %d phase1-interface entries",
                         CONFIG_PHASE1_MAX);
    if (grow((void **)&cfg->phase1, cfg->phase1_count,
             sizeof(*cfg->phase1)) != 0)
      break;
    config_phase1_default(&cfg->phase1[cfg->phase1_count]);
    snprintf(cfg->phase1[cfg->phase1_count].name, CONFIG_NAME_MAX + 1, "%s",
             name);
    cfg->phase1[cfg->phase1_count].line = line;
    *entry = &cfg->phase1[cfg->phase1_count++];
    return 0;

  case CONFIG_SECTION_PHASE2:
    for (i = 0; i < cfg->phase2_count; i++) {
      if (strcmp(cfg->phase2[i].name, name) == 0) {
        *entry = &cfg->phase2[i];
        return 0;
      }
    }
    if (cfg->phase2_count == CONFIG_PHASE2_MAX)
      return config_fail(parser, line, TCPSEC_ERR_LIMIT,
                         "edit: more than %d phase2-interface entries",
                         CONFIG_PHASE2_MAX);
    if (grow((void **)&cfg->phase2, cfg->phase2_count,
             sizeof(*cfg->phase2)) != 0)
      break;
    config_phase2_default(&cfg->phase2[cfg->phase2_count]);
    snprintf(cfg->phase2[cfg->phase2_count].name, CONFIG_NAME_MAX + 1, "%s",
             name);
    cfg->phase2[cfg->phase2_count].line = line;
    *entry = &cfg->phase2[cfg->phase2_count++];
    return 0;

  case CONFIG_SECTION_TCPSEC_TUNNEL:
    for (i = 0; i < cfg->tunnel_count; i++) {
      if (strcmp(cfg->tunnel[i].name, name) == 0) {
        *entry = &cfg->tunnel[i];
        return 0;
      }
    }
    if (cfg->tunnel_count == CONFIG_TUNNEL_MAX)
      return config_fail(parser, line, TCPSEC_ERR_LIMIT,
                         "edit: more than %d tcpsec tunnel entries",
                         CONFIG_TUNNEL_MAX);
    if (grow((void **)&cfg->tunnel, cfg->tunnel_count,
             sizeof(*cfg->tunnel)) != 0)
      break;
    config_tunnel_default(&cfg->tunnel[cfg->tunnel_count]);
    snprintf(cfg->tunnel[cfg->tunnel_count].name, CONFIG_NAME_MAX + 1, "%s",
             name);
    cfg->tunnel[cfg->tunnel_count].line = line;
    *entry = &cfg->tunnel[cfg->tunnel_count++];
    return 0;

  case CONFIG_SECTION_LOCAL_CERT:
  case CONFIG_SECTION_CA_CERT:
  case CONFIG_SECTION_USER_PEER:
    return open_certificate_entry(parser, section, name, line, entry);

  default:
    return config_fail(parser, line, TCPSEC_ERR_INTERNAL,
                       "edit: internal error: no table");
  }
  return config_fail(parser, line, TCPSEC_ERR_NO_MEMORY,
                     "edit: out of memory");
}

static int close_entry(struct config_parser *parser, struct walk *walk) {
  void *entry = walk->entry;

  walk->entry = NULL;
  if (entry == NULL)
    return 0;
  switch (walk->entry_section) {
  case CONFIG_SECTION_PHASE1:
    return config_check_phase1(parser, entry);
  case CONFIG_SECTION_PHASE2:
    return config_check_phase2(parser, entry);
  case CONFIG_SECTION_LOCAL_CERT:
    return config_check_local_cert(parser, entry);
  case CONFIG_SECTION_CA_CERT:
    return config_check_ca_cert(parser, entry);
  default:
    return 0;
  }
}

/* ---- blocks ----------------------------------------------------------- */

static int is_table(enum config_section section) {
  return section == CONFIG_SECTION_PHASE1 || section == CONFIG_SECTION_PHASE2 ||
         section == CONFIG_SECTION_TCPSEC_TUNNEL ||
         section == CONFIG_SECTION_LOCAL_CERT ||
         section == CONFIG_SECTION_CA_CERT ||
         section == CONFIG_SECTION_USER_PEER;
}

/* Join words[1..] with spaces into buf. */
static void join_path(const struct config_statement *st, char *buf,
                      size_t size) {
  size_t i, n = 0;

  buf[0] = '\0';
  for (i = 1; i < st->count && n < size; i++) {
    char quoted[64];

    config_quote(st->word[i], st->length[i], quoted, sizeof(quoted));
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i > 1 ? " " : "",
                          quoted);
  }
}

/* Sections by their path; anything else in the tcpsec namespace, and the
 * policy-based FortiOS tables, are errors; other paths are skipped. */
static int classify_block(struct config_parser *parser,
                          const struct config_statement *st,
                          const char *path, enum config_section *section) {
  static const struct {
    const char *path;
    enum config_section section;
  } known[] = {
    {"system settings", CONFIG_SECTION_SYSTEM_SETTINGS},
    {"vpn ipsec phase1-interface", CONFIG_SECTION_PHASE1},
    {"vpn ipsec phase2-interface", CONFIG_SECTION_PHASE2},
    {"tcpsec system", CONFIG_SECTION_TCPSEC_SYSTEM},
    {"tcpsec tunnel", CONFIG_SECTION_TCPSEC_TUNNEL},
    {"tcpsec certificate local", CONFIG_SECTION_LOCAL_CERT},
    {"tcpsec certificate ca", CONFIG_SECTION_CA_CERT},
    {"user peer", CONFIG_SECTION_USER_PEER},
  };
  size_t i;

  if (st->count < 2)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "config: block name missing, e.g. "
                       "config vpn ipsec phase1-interface");
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    if (strcmp(path, known[i].path) == 0) {
      *section = known[i].section;
      return 0;
    }
  }
  if (strcmp(path, "vpn ipsec phase1") == 0 ||
      strcmp(path, "vpn ipsec phase2") == 0)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "config %s: policy-based tunnels are not supported; "
                       "use config %s-interface",
                       path, path);
  if (strcmp(st->word[1], "tcpsec") == 0)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "config %s: unknown block; expected config tcpsec "
                       "system, tunnel, certificate local or certificate ca",
                       path);
  *section = CONFIG_SECTION_SKIPPED;
  if (strcmp(path, "vpn certificate local") == 0 ||
      strcmp(path, "vpn certificate ca") == 0)
    return config_notice(parser, st->line,
                         "config %s: block not used by tcpsec, skipped; "
                         "name certificate files in config tcpsec %s",
                         path, path + 4);
  return config_notice(parser, st->line,
                       "config %s: block not used by tcpsec, skipped", path);
}

static int push_block(struct config_parser *parser, struct walk *walk,
                      const struct config_statement *st) {
  struct block *block;
  enum config_section section = CONFIG_SECTION_SKIPPED;
  char path[sizeof(block->path)];
  int rc;

  if (walk->depth == CONFIG_DEPTH_MAX)
    return config_fail(parser, st->line, TCPSEC_ERR_LIMIT,
                       "config: blocks nested deeper than %d",
                       CONFIG_DEPTH_MAX);
  join_path(st, path, sizeof(path));

  /* Blocks nested in a tcpsec block, or in an entry, are FortiOS
   * sub-tables tcpsec does not read. */
  if (walk->depth == 0) {
    rc = classify_block(parser, st, path, &section);
    if (rc != 0)
      return rc;
  } else if (walk->stack[walk->depth - 1].section != CONFIG_SECTION_SKIPPED) {
    enum config_section outer = walk->stack[walk->depth - 1].section;

    if (outer == CONFIG_SECTION_TCPSEC_SYSTEM ||
        outer == CONFIG_SECTION_TCPSEC_TUNNEL ||
        outer == CONFIG_SECTION_LOCAL_CERT || outer == CONFIG_SECTION_CA_CERT)
      return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                         "config %s: tcpsec blocks have no nested blocks",
                         path);
    rc = config_notice(parser, st->line,
                       "config %s: block not used by tcpsec, skipped", path);
    if (rc != 0)
      return rc;
  }

  block = &walk->stack[walk->depth++];
  block->section = section;
  block->line = st->line;
  snprintf(block->path, sizeof(block->path), "%s", path);
  return 0;
}

static int pop_block(struct config_parser *parser, struct walk *walk,
                     const struct config_statement *st) {
  struct block *block;
  int rc;

  if (walk->depth == 0)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "end: no open config block");
  block = &walk->stack[walk->depth - 1];
  if (block->section != CONFIG_SECTION_SKIPPED) {
    /* `end` inside an entry also closes the entry, as in FortiOS. */
    rc = close_entry(parser, walk);
    if (rc != 0)
      return rc;
  }
  walk->depth--;
  return 0;
}

/* ---- statements ------------------------------------------------------- */

static int expect_words(struct config_parser *parser,
                        const struct config_statement *st, size_t count,
                        const char *usage) {
  if (st->count == count)
    return 0;
  return config_fail(parser, st->line, TCPSEC_ERR_CONFIG, "%s: expected %s",
                     st->word[0], usage);
}

static int do_edit(struct config_parser *parser, struct walk *walk,
                   const struct config_statement *st,
                   enum config_section section) {
  char quoted[64];
  int rc;

  if (!is_table(section))
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "edit: config %s has no entries; use set directly",
                       walk->stack[walk->depth - 1].path);
  rc = expect_words(parser, st, 2, "one entry name, e.g. edit \"Hub\"");
  if (rc != 0)
    return rc;
  if (st->length[1] == 0 || st->length[1] > CONFIG_NAME_MAX) {
    config_quote(st->word[1], st->length[1], quoted, sizeof(quoted));
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "edit: name must have 1 to %d characters, got '%s'",
                       CONFIG_NAME_MAX, quoted);
  }
  rc = close_entry(parser, walk); /* `edit` without `next` before it */
  if (rc != 0)
    return rc;
  rc = open_entry(parser, section, st->word[1], st->line, &walk->entry);
  walk->entry_section = section;
  return rc;
}

static int do_change(struct config_parser *parser, struct walk *walk,
                     const struct config_statement *st,
                     enum config_section section,
                     enum config_command command) {
  void *target = walk->entry;

  if (st->count < 2)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "%s: keyword missing", st->word[0]);
  if (is_table(section) && target == NULL)
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "%s %s: outside an entry; start one with "
                       "edit \"<name>\"",
                       st->word[0], st->word[1]);
  if (section == CONFIG_SECTION_SYSTEM_SETTINGS)
    target = &parser->cfg->system;
  else if (section == CONFIG_SECTION_TCPSEC_SYSTEM)
    target = &parser->cfg->tcpsec;
  return config_apply(parser, section, target, command, st);
}

static int do_statement(struct config_parser *parser, struct walk *walk,
                        const struct config_statement *st) {
  const char *command = st->word[0];
  enum config_section section;
  char quoted[64];

  if (strcmp(command, "config") == 0)
    return push_block(parser, walk, st);
  if (walk->depth == 0) {
    config_quote(command, st->length[0], quoted, sizeof(quoted));
    return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                       "%s: outside a config block; expected config "
                       "<block>",
                       quoted);
  }
  if (strcmp(command, "end") == 0)
    return pop_block(parser, walk, st);

  section = walk->stack[walk->depth - 1].section;
  if (section == CONFIG_SECTION_SKIPPED)
    return 0;

  if (strcmp(command, "edit") == 0)
    return do_edit(parser, walk, st, section);
  if (strcmp(command, "next") == 0) {
    if (!is_table(section) || walk->entry == NULL)
      return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                         "next: no entry to close");
    return close_entry(parser, walk);
  }
  if (strcmp(command, "set") == 0)
    return do_change(parser, walk, st, section, CONFIG_COMMAND_SET);
  if (strcmp(command, "append") == 0)
    return do_change(parser, walk, st, section, CONFIG_COMMAND_APPEND);
  if (strcmp(command, "unset") == 0)
    return do_change(parser, walk, st, section, CONFIG_COMMAND_UNSET);

  config_quote(command, st->length[0], quoted, sizeof(quoted));
  return config_fail(parser, st->line, TCPSEC_ERR_CONFIG,
                     "unknown command '%s'; expected config, edit, set, "
                     "unset, append, next or end",
                     quoted);
}

/* ---- whole file ------------------------------------------------------- */

/* The soft lifetimes of a tcpsec tunnel entry must end before the hard
 * ones of its phase 1 and phase 2 entries, or the library rejects the
 * tunnel when the program starts. */
static int check_rekey_times(struct config_parser *parser,
                             const struct config_tunnel *tunnel,
                             const struct config_phase1 *p1) {
  const struct config *cfg = parser->cfg;
  size_t i;

  if (tunnel->ike_rekey_s != 0 && tunnel->ike_rekey_s >= p1->keylife_s)
    return config_fail(parser, tunnel->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": ike-rekey %u s is not below the "
                       "phase1-interface keylife of %u s",
                       tunnel->name, (unsigned)tunnel->ike_rekey_s,
                       (unsigned)p1->keylife_s);
  for (i = 0; i < cfg->phase2_count; i++) {
    const struct config_phase2 *p2 = &cfg->phase2[i];

    if (strcmp(p2->phase1name, tunnel->name) != 0)
      continue;
    if (tunnel->child_rekey_s != 0 &&
        p2->keylife_type != CONFIG_KEYLIFE_KBS &&
        tunnel->child_rekey_s >= p2->keylife_s)
      return config_fail(parser, tunnel->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": child-rekey %u s is not below the "
                         "keylifeseconds of %u s of phase2-interface \"%s\"",
                         tunnel->name, (unsigned)tunnel->child_rekey_s,
                         (unsigned)p2->keylife_s, p2->name);
    if (tunnel->child_rekey_kbs != 0 &&
        p2->keylife_type != CONFIG_KEYLIFE_SECONDS &&
        tunnel->child_rekey_kbs >= p2->keylife_kbs)
      return config_fail(parser, tunnel->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": child-rekey-kbs %u is not below the "
                         "keylifekbs of %u of phase2-interface \"%s\"",
                         tunnel->name, (unsigned)tunnel->child_rekey_kbs,
                         (unsigned)p2->keylife_kbs, p2->name);
  }
  return 0;
}

/* The certificate, peer and CA names of a phase 1 entry, and a trust
 * anchor for a peer that signs. */
static int check_certificate_names(struct config_parser *parser,
                                   const struct config_phase1 *p1) {
  const struct config *cfg = parser->cfg;
  const struct config_user_peer *peer;
  enum config_authmethod remote = p1->authmethod_remote == CONFIG_AUTH_SAME
                                      ? p1->authmethod
                                      : p1->authmethod_remote;

  if (p1->authmethod == CONFIG_AUTH_SIGNATURE &&
      config_find_local_cert(cfg, p1->certificate) == NULL)
    return config_fail(parser, p1->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": certificate \"%s\" names no config "
                       "tcpsec certificate local entry",
                       p1->name, p1->certificate);
  if (p1->peertype == CONFIG_PEERTYPE_PEER) {
    peer = config_find_user_peer(cfg, p1->peer);
    if (peer == NULL)
      return config_fail(parser, p1->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": peer \"%s\" names no config user "
                         "peer entry",
                         p1->name, p1->peer);
    if (peer->ca[0] == '\0' || config_find_ca_cert(cfg, peer->ca) == NULL)
      return config_fail(parser, peer->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": ca \"%s\" names no config tcpsec "
                         "certificate ca entry",
                         peer->name, peer->ca);
  }
  if (remote == CONFIG_AUTH_SIGNATURE && cfg->ca_cert_count == 0)
    return config_fail(parser, p1->line, TCPSEC_ERR_CONFIG,
                       "edit \"%s\": the peer authenticates with a "
                       "signature, but no config tcpsec certificate ca entry "
                       "names a CA to trust",
                       p1->name);
  return 0;
}

static int check_references(struct config_parser *parser) {
  struct config *cfg = parser->cfg;
  size_t i;

  for (i = 0; i < cfg->phase2_count; i++) {
    const struct config_phase2 *p2 = &cfg->phase2[i];

    if (config_find_phase1(cfg, p2->phase1name) == NULL)
      return config_fail(parser, p2->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": phase1name \"%s\" names no "
                         "phase1-interface entry",
                         p2->name, p2->phase1name);
  }
  for (i = 0; i < cfg->tunnel_count; i++) {
    const struct config_tunnel *tunnel = &cfg->tunnel[i];
    const struct config_phase1 *p1 = config_find_phase1(cfg, tunnel->name);
    int rc;

    if (p1 == NULL)
      return config_fail(parser, tunnel->line, TCPSEC_ERR_CONFIG,
                         "edit \"%s\": a tcpsec tunnel needs a "
                         "phase1-interface entry of the same name",
                         tunnel->name);
    rc = check_rekey_times(parser, tunnel, p1);
    if (rc != 0)
      return rc;
  }
  for (i = 0; i < cfg->phase1_count; i++) {
    const struct config_phase1 *p1 = &cfg->phase1[i];
    int rc = check_certificate_names(parser, p1);

    if (rc != 0)
      return rc;
    if (p1->transport != CONFIG_TRANSPORT_UDP && !cfg->system.ike_tcp_service) {
      rc = config_notice(parser, p1->line,
                         "edit \"%s\": transport %s, but ike-tcp-service is "
                         "disabled in config system settings: TCP is still "
                         "used for this entry",
                         p1->name, config_transport_name(p1->transport));
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

static int parse_all(struct config_parser *parser, struct walk *walk) {
  struct config_statement st;
  int rc;

  for (;;) {
    rc = config_lexer_next(&parser->lexer, &st);
    if (rc < 0)
      return config_fail(parser, parser->lexer.error_line, rc, "%s",
                         parser->lexer.error_text);
    if (rc == 0)
      break;
    rc = do_statement(parser, walk, &st);
    if (rc != 0)
      return rc;
  }

  if (walk->depth > 0) {
    const struct block *block = &walk->stack[walk->depth - 1];

    return config_fail(parser, block->line, TCPSEC_ERR_CONFIG,
                       "config %s: missing end at the end of the file",
                       block->path);
  }
  return check_references(parser);
}

void config_init(struct config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->system.ike_tcp_service = 0;
  cfg->system.ike_tcp_port = 443;
  cfg->system.ike_port = 500;
  cfg->system.ike_natt_port = 4500;
  cfg->tcpsec.log_level = TCPSEC_LOG_NOTICE;
  cfg->tcpsec.segment_drop_rule = 1;
}

void config_free(struct config *cfg) {
  if (cfg == NULL)
    return;
  if (cfg->phase1 != NULL) {
    config_wipe(cfg->phase1, cfg->phase1_count * sizeof(*cfg->phase1));
    free(cfg->phase1);
  }
  free(cfg->phase2);
  free(cfg->tunnel);
  free(cfg->local_cert);
  free(cfg->ca_cert);
  free(cfg->user_peer);
  free(cfg->notices);
  config_init(cfg);
}

int config_parse(const char *file_name, const char *text, size_t len,
                 struct config *cfg, struct config_error *err) {
  struct config_parser *parser;
  struct walk walk;
  int rc;

  if (cfg == NULL || err == NULL || (text == NULL && len != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memset(err, 0, sizeof(*err));
  if (file_name == NULL)
    file_name = "config";
  if (len > CONFIG_FILE_MAX) {
    snprintf(err->text, sizeof(err->text),
             "%s: file larger than the limit of %d bytes", file_name,
             CONFIG_FILE_MAX);
    return TCPSEC_ERR_LIMIT;
  }

  parser = calloc(1, sizeof(*parser));
  if (parser == NULL) {
    snprintf(err->text, sizeof(err->text), "%s: out of memory", file_name);
    return TCPSEC_ERR_NO_MEMORY;
  }
  parser->file_name = file_name;
  parser->cfg = cfg;
  parser->err = err;
  config_lexer_init(&parser->lexer, text != NULL ? text : "", len);
  memset(&walk, 0, sizeof(walk));

  rc = parse_all(parser, &walk);

  config_lexer_wipe(&parser->lexer);
  free(parser);
  if (rc != 0)
    config_free(cfg);
  return rc;
}

int config_load_file(const char *path, struct config *cfg,
                     struct config_error *err) {
  FILE *file;
  char *text;
  size_t len;
  int rc;

  if (path == NULL || cfg == NULL || err == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memset(err, 0, sizeof(*err));
  file = fopen(path, "rb");
  if (file == NULL) {
    int saved = errno;

    snprintf(err->text, sizeof(err->text), "%s: cannot open: %s", path,
             strerror(saved));
    return saved == ENOENT ? TCPSEC_ERR_NOT_FOUND : TCPSEC_ERR_INVALID_STATE;
  }

  /* Reading one byte more than the limit detects an oversized file. */
  text = malloc(CONFIG_FILE_MAX + 1);
  if (text == NULL) {
    fclose(file);
    snprintf(err->text, sizeof(err->text), "%s: out of memory", path);
    return TCPSEC_ERR_NO_MEMORY;
  }
  len = fread(text, 1, CONFIG_FILE_MAX + 1, file);
  if (ferror(file)) {
    snprintf(err->text, sizeof(err->text), "%s: read failed", path);
    rc = TCPSEC_ERR_INVALID_STATE;
  } else {
    rc = config_parse(path, text, len, cfg, err);
  }
  fclose(file);
  config_wipe(text, len);
  free(text);
  return rc;
}

const struct config_phase1 *config_find_phase1(const struct config *cfg,
                                               const char *name) {
  size_t i;

  for (i = 0; i < cfg->phase1_count; i++) {
    if (strcmp(cfg->phase1[i].name, name) == 0)
      return &cfg->phase1[i];
  }
  return NULL;
}

const struct config_tunnel *config_find_tunnel(const struct config *cfg,
                                               const char *name) {
  size_t i;

  for (i = 0; i < cfg->tunnel_count; i++) {
    if (strcmp(cfg->tunnel[i].name, name) == 0)
      return &cfg->tunnel[i];
  }
  return NULL;
}

const struct config_local_cert *
config_find_local_cert(const struct config *cfg, const char *name) {
  size_t i;

  for (i = 0; i < cfg->local_cert_count; i++) {
    if (strcmp(cfg->local_cert[i].name, name) == 0)
      return &cfg->local_cert[i];
  }
  return NULL;
}

const struct config_ca_cert *config_find_ca_cert(const struct config *cfg,
                                                 const char *name) {
  size_t i;

  for (i = 0; i < cfg->ca_cert_count; i++) {
    if (strcmp(cfg->ca_cert[i].name, name) == 0)
      return &cfg->ca_cert[i];
  }
  return NULL;
}

const struct config_user_peer *
config_find_user_peer(const struct config *cfg, const char *name) {
  size_t i;

  for (i = 0; i < cfg->user_peer_count; i++) {
    if (strcmp(cfg->user_peer[i].name, name) == 0)
      return &cfg->user_peer[i];
  }
  return NULL;
}

int config_proposals_join(const struct config_proposals *list, char *buf,
                          size_t size) {
  size_t i, n = 0;

  if (size == 0)
    return -1;
  buf[0] = '\0';
  for (i = 0; i < list->count; i++) {
    size_t len = strlen(list->text[i]);

    if (n + len + (i > 0 ? 1 : 0) + 1 > size)
      return -1;
    if (i > 0)
      buf[n++] = ' ';
    memcpy(buf + n, list->text[i], len + 1);
    n += len;
  }
  return (int)n;
}
