/*
 * Fuzz target for the configuration parser of the example programs.
 *
 * The parser lives in examples/common, which fuzz builds do not configure,
 * so its sources are compiled into this target directly.
 *
 * After a successful parse, every string must be terminated inside its
 * array and every count must be within its limit.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "../../examples/common/addr.c"
#include "../../examples/common/config.c"
#include "../../examples/common/config_keywords.c"
#include "../../examples/common/config_lex.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(array) (memchr((array), '\0', sizeof(array)) != NULL)

static void check_phase1(const struct config_phase1 *p1) {
  size_t i;

  if (!TERMINATED(p1->name) || !TERMINATED(p1->interface) ||
      !TERMINATED(p1->localid) || !TERMINATED(p1->peerid) ||
      p1->psk_len == 0 || p1->psk_len > CONFIG_PSK_MAX ||
      p1->proposal.count > CONFIG_PROPOSALS_MAX ||
      p1->dhgrp.count > CONFIG_DHGRP_MAX)
    abort();
  for (i = 0; i < p1->proposal.count; i++) {
    if (!TERMINATED(p1->proposal.text[i]) || p1->proposal.text[i][0] == '\0')
      abort();
  }
}

static void check_config(const struct config *cfg) {
  size_t i;

  if (cfg->phase1_count > CONFIG_PHASE1_MAX ||
      cfg->phase2_count > CONFIG_PHASE2_MAX ||
      cfg->tunnel_count > CONFIG_TUNNEL_MAX ||
      cfg->notice_count > CONFIG_NOTICES_MAX ||
      !TERMINATED(cfg->tcpsec.control_socket))
    abort();
  for (i = 0; i < cfg->phase1_count; i++)
    check_phase1(&cfg->phase1[i]);
  for (i = 0; i < cfg->phase2_count; i++) {
    const struct config_phase2 *p2 = &cfg->phase2[i];

    if (config_find_phase1(cfg, p2->phase1name) == NULL ||
        p2->src_subnet.addr.family != p2->dst_subnet.addr.family)
      abort();
  }
  for (i = 0; i < cfg->tunnel_count; i++) {
    if (cfg->tunnel[i].route_count > CONFIG_ROUTES_MAX ||
        !TERMINATED(cfg->tunnel[i].tun_name))
      abort();
  }
  for (i = 0; i < cfg->notice_count; i++) {
    if (!TERMINATED(cfg->notices[i].text))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct config cfg;
  struct config_error err;
  int rc;

  config_init(&cfg);
  rc = config_parse("fuzz.conf", (const char *)data, size, &cfg, &err);
  if (rc == 0) {
    check_config(&cfg);
  } else {
    /* A failed parse leaves an empty config and a message. */
    if (cfg.phase1 != NULL || cfg.notices != NULL || !TERMINATED(err.text) ||
        err.text[0] == '\0')
      abort();
  }
  config_free(&cfg);
  return 0;
}
