/*
 * SA payloads from proposal strings, and proposal selection (RFC 7296
 * sections 2.7 and 3.3).
 *
 * A responder walks the initiator's proposals in order and takes the first
 * one that one of its own proposals accepts. Within it, it picks one
 * transform of each type (section 2.7). Transforms it does not implement
 * are ignored, and so are transforms with attributes other than Key Length
 * (section 3.3.6). A proposal with a transform type it does not know cannot
 * be accepted, because the response must carry one transform of every type
 * the proposal has.
 *
 * An initiator checks that the response contains exactly one proposal with one
 * transform of each type, all of them from its own offer.
 */
#include "ike/ike_sa.h"

#include <string.h>

/* The groups a configured IKE proposal allows: its own or dh_groups. */
static size_t spec_groups(const ike_config *cfg, const tcpsec_proposal_spec *s,
                          const uint16_t **groups) {
  if (s->ke_count > 0) {
    *groups = s->ke;
    return s->ke_count;
  }
  *groups = cfg->pub.dh_groups;
  return cfg->pub.dh_group_count;
}

static int group_in(const uint16_t *groups, size_t n, uint16_t group) {
  size_t i;

  for (i = 0; i < n; i++)
    if (groups[i] == group)
      return 1;
  return 0;
}

int tcpsec_ike_group_allowed(const ike_config *cfg, uint16_t group) {
  const uint16_t *groups;
  size_t i, n;

  for (i = 0; i < cfg->ike_count; i++) {
    n = spec_groups(cfg, &cfg->ike[i], &groups);
    if (group_in(groups, n, group))
      return 1;
  }
  return 0;
}

/* Key Length attribute value to send: only for ciphers that require it. */
static uint16_t wire_key_bits(uint16_t encr, uint16_t key_bits) {
  const tcpsec_encr_info *info = tcpsec_encr_lookup(encr);

  return info != NULL && info->keylen_attr ? key_bits : 0;
}

static void set_transform(tcpsec_ike_transform *t, uint8_t type, uint16_t id,
                          uint16_t key_bits) {
  memset(t, 0, sizeof(*t));
  t->type = type;
  t->id = id;
  t->key_bits = key_bits;
}

void tcpsec_ike_offer_ike(const ike_config *cfg, uint16_t ke_first,
                          ike_offer *out) {
  const uint16_t *groups;
  size_t i, j, n, count;
  tcpsec_ike_transform *t;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < cfg->ike_count; i++) {
    const tcpsec_proposal_spec *s = &cfg->ike[i];

    t = out->transforms[i];
    count = 0;
    set_transform(&t[count++], TCPSEC_TRANSFORM_ENCR, s->encr,
                  wire_key_bits(s->encr, s->key_bits));
    set_transform(&t[count++], TCPSEC_TRANSFORM_PRF, s->prf, 0);
    if (s->integ != TCPSEC_INTEG_NONE)
      set_transform(&t[count++], TCPSEC_TRANSFORM_INTEG, s->integ, 0);

    /* The group of our KE payload first, then the others in order. */
    n = spec_groups(cfg, s, &groups);
    if (group_in(groups, n, ke_first))
      set_transform(&t[count++], TCPSEC_TRANSFORM_KE, ke_first, 0);
    for (j = 0; j < n; j++)
      if (groups[j] != ke_first)
        set_transform(&t[count++], TCPSEC_TRANSFORM_KE, groups[j], 0);

    out->proposals[i].number = (uint8_t)(i + 1);
    out->proposals[i].protocol = TCPSEC_IKE_PROTO_IKE;
    out->proposals[i].transforms = t;
    out->proposals[i].transform_count = (uint8_t)count;
  }
  out->count = cfg->ike_count;
}

/* Section 1.2: SA payloads in IKE_AUTH carry no KE transform, so the
 * groups of an ESP proposal string are left out here. */
void tcpsec_ike_offer_esp(const ike_config *cfg, uint32_t spi, ike_offer *out) {
  size_t i, count;
  tcpsec_ike_transform *t;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < cfg->esp_count; i++) {
    const tcpsec_proposal_spec *s = &cfg->esp[i];

    t = out->transforms[i];
    count = 0;
    set_transform(&t[count++], TCPSEC_TRANSFORM_ENCR, s->encr,
                  wire_key_bits(s->encr, s->key_bits));
    if (s->integ != TCPSEC_INTEG_NONE)
      set_transform(&t[count++], TCPSEC_TRANSFORM_INTEG, s->integ, 0);
    set_transform(&t[count++], TCPSEC_TRANSFORM_ESN, TCPSEC_IKE_ESN_NONE, 0);
    set_transform(&t[count++], TCPSEC_TRANSFORM_ESN, TCPSEC_IKE_ESN_USED, 0);

    out->proposals[i].number = (uint8_t)(i + 1);
    out->proposals[i].protocol = TCPSEC_IKE_PROTO_ESP;
    out->proposals[i].spi_size = 4;
    tcpsec_store_be32(out->proposals[i].spi, spi);
    out->proposals[i].transforms = t;
    out->proposals[i].transform_count = (uint8_t)count;
  }
  out->count = cfg->esp_count;
}

/* ---- matching ----------------------------------------------------------- */

/* A transform is usable only if every attribute is one we understand. */
static int attrs_understood(const tcpsec_ike_transform *t) {
  size_t i;

  for (i = 0; i < t->attr_count; i++)
    if (t->attrs[i].type != TCPSEC_IKE_ATTR_KEY_LENGTH || !t->attrs[i].tv)
      return 0;
  return 1;
}

static int has_type(const tcpsec_ike_proposal *p, uint8_t type) {
  size_t i;

  for (i = 0; i < p->transform_count; i++)
    if (p->transforms[i].type == type)
      return 1;
  return 0;
}

static int has_transform(const tcpsec_ike_proposal *p, uint8_t type,
                         uint16_t id, uint16_t key_bits) {
  size_t i;

  for (i = 0; i < p->transform_count; i++) {
    const tcpsec_ike_transform *t = &p->transforms[i];

    if (t->type == type && t->id == id && t->key_bits == key_bits &&
        attrs_understood(t))
      return 1;
  }
  return 0;
}

/* 1 when every transform type in the proposal is one the protocol uses. */
static int types_known(const tcpsec_ike_proposal *p, uint8_t protocol) {
  size_t i;

  for (i = 0; i < p->transform_count; i++) {
    uint8_t type = p->transforms[i].type;

    if (type == TCPSEC_TRANSFORM_ENCR || type == TCPSEC_TRANSFORM_INTEG)
      continue;
    if (protocol == TCPSEC_IKE_PROTO_IKE &&
        (type == TCPSEC_TRANSFORM_PRF || type == TCPSEC_TRANSFORM_KE))
      continue;
    if (protocol == TCPSEC_IKE_PROTO_ESP &&
        (type == TCPSEC_TRANSFORM_ESN || type == TCPSEC_TRANSFORM_KE))
      continue;
    return 0;
  }
  return 1;
}

/* ENCR and INTEG against one of our specs. An AEAD spec needs a proposal
 * without integrity, or with INTEG NONE. */
static int cipher_matches(const tcpsec_ike_proposal *p,
                          const tcpsec_proposal_spec *s) {
  if (!has_transform(p, TCPSEC_TRANSFORM_ENCR, s->encr,
                     wire_key_bits(s->encr, s->key_bits)))
    return 0;
  if (s->integ == TCPSEC_INTEG_NONE)
    return !has_type(p, TCPSEC_TRANSFORM_INTEG) ||
           has_transform(p, TCPSEC_TRANSFORM_INTEG, TCPSEC_INTEG_NONE, 0);
  return has_transform(p, TCPSEC_TRANSFORM_INTEG, s->integ, 0);
}

/* Pick the KE group: the peer's KE payload group when both allow it, else
 * our first preference the proposal offers. 0 when none. */
static uint16_t pick_group(const ike_config *cfg, const tcpsec_proposal_spec *s,
                           const tcpsec_ike_proposal *p, uint16_t peer_ke) {
  const uint16_t *groups;
  size_t i, n = spec_groups(cfg, s, &groups);

  if (group_in(groups, n, peer_ke) &&
      has_transform(p, TCPSEC_TRANSFORM_KE, peer_ke, 0))
    return peer_ke;
  for (i = 0; i < n; i++)
    if (has_transform(p, TCPSEC_TRANSFORM_KE, groups[i], 0))
      return groups[i];
  return 0;
}

static int ike_matches(const ike_config *cfg, const tcpsec_proposal_spec *s,
                       const tcpsec_ike_proposal *p, uint16_t peer_ke,
                       ike_suite *out) {
  uint16_t group;

  if (!cipher_matches(p, s) ||
      !has_transform(p, TCPSEC_TRANSFORM_PRF, s->prf, 0))
    return 0;
  group = pick_group(cfg, s, p, peer_ke);
  if (group == 0)
    return 0;
  out->encr = s->encr;
  out->key_bits = s->key_bits;
  out->prf = s->prf;
  out->integ = s->integ;
  out->ke = group;
  return 1;
}

/* An initial IKE SA proposal has no SPI, a rekey proposal an 8-byte one
 * that is not zero (section 3.3.1). */
static int select_ike(const ike_config *cfg,
                      const tcpsec_ike_sa_payload *sa_payload,
                      uint8_t spi_size, uint16_t peer_ke, ike_suite *out) {
  static const uint8_t zero[8];
  size_t i, j;

  for (i = 0; i < sa_payload->count; i++) {
    const tcpsec_ike_proposal *p = &sa_payload->proposals[i];

    if (p->protocol != TCPSEC_IKE_PROTO_IKE || p->spi_size != spi_size ||
        (spi_size != 0 && memcmp(p->spi, zero, 8) == 0) ||
        !types_known(p, TCPSEC_IKE_PROTO_IKE))
      continue;
    for (j = 0; j < cfg->ike_count; j++)
      if (ike_matches(cfg, &cfg->ike[j], p, peer_ke, out))
        return (int)i;
  }
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}

int tcpsec_ike_select_ike(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          uint16_t peer_ke, ike_suite *out) {
  return select_ike(cfg, sa_payload, 0, peer_ke, out);
}

int tcpsec_ike_select_ike_rekey(const ike_config *cfg,
                                const tcpsec_ike_sa_payload *sa_payload,
                                uint16_t peer_ke, ike_suite *out) {
  return select_ike(cfg, sa_payload, TCPSEC_IKE_SPI_LEN, peer_ke, out);
}

/* ESN: the first value the peer lists (we implement both). A proposal
 * without an ESN transform is taken as "no ESN". */
static int pick_esn(const tcpsec_ike_proposal *p, uint8_t *esn) {
  size_t i;

  for (i = 0; i < p->transform_count; i++) {
    const tcpsec_ike_transform *t = &p->transforms[i];

    if (t->type != TCPSEC_TRANSFORM_ESN)
      continue;
    if (t->id == TCPSEC_IKE_ESN_NONE || t->id == TCPSEC_IKE_ESN_USED) {
      *esn = (uint8_t)t->id;
      return 1;
    }
  }
  *esn = 0;
  return !has_type(p, TCPSEC_TRANSFORM_ESN);
}

static int esp_matches(const tcpsec_proposal_spec *s,
                       const tcpsec_ike_proposal *p, ike_esp_suite *out) {
  uint8_t esn;

  if (!cipher_matches(p, s) || !pick_esn(p, &esn))
    return 0;
  out->encr = s->encr;
  out->key_bits = s->key_bits;
  out->integ = s->integ;
  out->esn = esn;
  out->ke = 0;
  out->peer_spi = tcpsec_load_be32(p->spi);
  return 1;
}

/* KE transforms in an IKE_AUTH child proposal are ignored: the exchange has
 * no KE payload to go with them (section 1.2). */
int tcpsec_ike_select_esp(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          ike_esp_suite *out) {
  size_t i, j;

  for (i = 0; i < sa_payload->count; i++) {
    const tcpsec_ike_proposal *p = &sa_payload->proposals[i];

    if (p->protocol != TCPSEC_IKE_PROTO_ESP || p->spi_size != 4 ||
        tcpsec_load_be32(p->spi) < 256 || !types_known(p, TCPSEC_IKE_PROTO_ESP))
      continue;
    for (j = 0; j < cfg->esp_count; j++)
      if (esp_matches(&cfg->esp[j], p, out))
        return (int)i;
  }
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}

/* The response must contain one transform per type and nothing else. */
static int one_per_type(const tcpsec_ike_proposal *p) {
  size_t i, j;

  for (i = 0; i < p->transform_count; i++)
    for (j = i + 1; j < p->transform_count; j++)
      if (p->transforms[i].type == p->transforms[j].type)
        return 0;
  return 1;
}

static int accept_ike(const ike_config *cfg,
                      const tcpsec_ike_sa_payload *sa_payload,
                      uint8_t spi_size, uint16_t ke_sent, ike_suite *out) {
  static const uint8_t zero[8];
  const tcpsec_ike_proposal *p;
  size_t j;

  if (sa_payload->count != 1)
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  p = &sa_payload->proposals[0];
  if (p->protocol != TCPSEC_IKE_PROTO_IKE || p->spi_size != spi_size ||
      (spi_size != 0 && memcmp(p->spi, zero, 8) == 0) ||
      !types_known(p, TCPSEC_IKE_PROTO_IKE) || !one_per_type(p))
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  for (j = 0; j < cfg->ike_count; j++) {
    const uint16_t *groups;
    size_t n = spec_groups(cfg, &cfg->ike[j], &groups);

    if (!group_in(groups, n, ke_sent) ||
        !has_transform(p, TCPSEC_TRANSFORM_KE, ke_sent, 0))
      continue;
    if (ike_matches(cfg, &cfg->ike[j], p, ke_sent, out))
      return 0;
  }
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}

int tcpsec_ike_accept_ike(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          uint16_t ke_sent, ike_suite *out) {
  return accept_ike(cfg, sa_payload, 0, ke_sent, out);
}

int tcpsec_ike_accept_ike_rekey(const ike_config *cfg,
                                const tcpsec_ike_sa_payload *sa_payload,
                                uint16_t ke_sent, ike_suite *out) {
  return accept_ike(cfg, sa_payload, TCPSEC_IKE_SPI_LEN, ke_sent, out);
}

int tcpsec_ike_accept_esp(const ike_config *cfg,
                          const tcpsec_ike_sa_payload *sa_payload,
                          ike_esp_suite *out) {
  const tcpsec_ike_proposal *p;
  size_t j;

  if (sa_payload->count != 1)
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  p = &sa_payload->proposals[0];
  if (p->protocol != TCPSEC_IKE_PROTO_ESP || p->spi_size != 4 ||
      tcpsec_load_be32(p->spi) < 256 || has_type(p, TCPSEC_TRANSFORM_KE) ||
      !types_known(p, TCPSEC_IKE_PROTO_ESP) || !one_per_type(p))
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  for (j = 0; j < cfg->esp_count; j++)
    if (esp_matches(&cfg->esp[j], p, out))
      return 0;
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}

void tcpsec_ike_suite_proposal(const ike_suite *s, uint8_t number,
                               tcpsec_ike_proposal *p,
                               tcpsec_ike_transform *t) {
  size_t count = 0;

  set_transform(&t[count++], TCPSEC_TRANSFORM_ENCR, s->encr,
                wire_key_bits(s->encr, s->key_bits));
  set_transform(&t[count++], TCPSEC_TRANSFORM_PRF, s->prf, 0);
  if (s->integ != TCPSEC_INTEG_NONE)
    set_transform(&t[count++], TCPSEC_TRANSFORM_INTEG, s->integ, 0);
  set_transform(&t[count++], TCPSEC_TRANSFORM_KE, s->ke, 0);
  memset(p, 0, sizeof(*p));
  p->number = number;
  p->protocol = TCPSEC_IKE_PROTO_IKE;
  p->transforms = t;
  p->transform_count = (uint8_t)count;
}

void tcpsec_ike_esp_proposal(const ike_esp_suite *s, uint8_t number,
                             uint32_t spi, tcpsec_ike_proposal *p,
                             tcpsec_ike_transform *t) {
  size_t count = 0;

  set_transform(&t[count++], TCPSEC_TRANSFORM_ENCR, s->encr,
                wire_key_bits(s->encr, s->key_bits));
  if (s->integ != TCPSEC_INTEG_NONE)
    set_transform(&t[count++], TCPSEC_TRANSFORM_INTEG, s->integ, 0);
  set_transform(&t[count++], TCPSEC_TRANSFORM_ESN, s->esn, 0);
  if (s->ke != 0)
    set_transform(&t[count++], TCPSEC_TRANSFORM_KE, s->ke, 0);
  memset(p, 0, sizeof(*p));
  p->number = number;
  p->protocol = TCPSEC_IKE_PROTO_ESP;
  p->spi_size = 4;
  tcpsec_store_be32(p->spi, spi);
  p->transforms = t;
  p->transform_count = (uint8_t)count;
}

/* ---- CREATE_CHILD_SA ---------------------------------------------------- */

void tcpsec_ike_offer_ike_rekey(const ike_config *cfg, uint16_t ke_first,
                                const uint8_t spi[TCPSEC_IKE_SPI_LEN],
                                ike_offer *out) {
  size_t i;

  tcpsec_ike_offer_ike(cfg, ke_first, out);
  for (i = 0; i < out->count; i++) {
    out->proposals[i].spi_size = TCPSEC_IKE_SPI_LEN;
    memcpy(out->proposals[i].spi, spi, TCPSEC_IKE_SPI_LEN);
  }
}

/* PFS groups of an ESP proposal: its own, or else pfs_groups. */
static size_t pfs_groups(const ike_config *cfg, const tcpsec_proposal_spec *s,
                         const uint16_t **groups) {
  if (s->ke_count > 0) {
    *groups = s->ke;
    return s->ke_count;
  }
  *groups = cfg->pub.pfs_groups;
  return cfg->pub.pfs_group_count;
}

int tcpsec_ike_pfs_allowed(const ike_config *cfg, uint16_t group) {
  const uint16_t *groups;
  size_t i, n;

  if (group_in(cfg->pub.pfs_groups, cfg->pub.pfs_group_count, group))
    return 1;
  for (i = 0; i < cfg->esp_count; i++) {
    n = pfs_groups(cfg, &cfg->esp[i], &groups);
    if (group_in(groups, n, group))
      return 1;
  }
  return 0;
}

uint16_t tcpsec_ike_pfs_first(const ike_config *cfg) {
  const uint16_t *groups;

  if (cfg->esp_count == 0 || pfs_groups(cfg, &cfg->esp[0], &groups) == 0)
    return 0;
  return groups[0];
}

void tcpsec_ike_offer_esp_pfs(const ike_config *cfg, uint32_t spi,
                              uint16_t ke_first, ike_offer *out) {
  const uint16_t *groups;
  size_t i, j, n, count;
  tcpsec_ike_transform *t;

  tcpsec_ike_offer_esp(cfg, spi, out);
  if (ke_first == 0)
    return;
  for (i = 0; i < out->count; i++) {
    n = pfs_groups(cfg, &cfg->esp[i], &groups);
    t = out->transforms[i];
    count = out->proposals[i].transform_count;
    /* The group of our KEi always comes first, even when it is not one of
     * ours: a pair the peer created with PFS is rekeyed with PFS. */
    set_transform(&t[count++], TCPSEC_TRANSFORM_KE, ke_first, 0);
    for (j = 0; j < n; j++)
      if (groups[j] != ke_first)
        set_transform(&t[count++], TCPSEC_TRANSFORM_KE, groups[j], 0);
    out->proposals[i].transform_count = (uint8_t)count;
  }
}

/* 1 when the proposal offers no key exchange (no KE transform, or NONE). */
static int no_pfs(const tcpsec_ike_proposal *p) {
  return !has_type(p, TCPSEC_TRANSFORM_KE) ||
         has_transform(p, TCPSEC_TRANSFORM_KE, TCPSEC_KE_NONE, 0);
}

int tcpsec_ike_select_esp_pfs(const ike_config *cfg,
                              const tcpsec_ike_sa_payload *sa_payload,
                              uint16_t peer_ke, ike_esp_suite *out) {
  const uint16_t *groups;
  size_t i, j, k, n;

  for (i = 0; i < sa_payload->count; i++) {
    const tcpsec_ike_proposal *p = &sa_payload->proposals[i];

    if (p->protocol != TCPSEC_IKE_PROTO_ESP || p->spi_size != 4 ||
        tcpsec_load_be32(p->spi) < 256 || !types_known(p, TCPSEC_IKE_PROTO_ESP))
      continue;
    for (j = 0; j < cfg->esp_count; j++) {
      if (!esp_matches(&cfg->esp[j], p, out))
        continue;
      out->ke = 0;
      n = pfs_groups(cfg, &cfg->esp[j], &groups);
      if (n == 0) {
        /* No PFS configured: take the proposal as it is, or accept any
         * group we implement when the peer requests PFS. */
        if (no_pfs(p))
          return (int)i;
        if (peer_ke != 0 && tcpsec_ke_lookup(peer_ke) != NULL &&
            has_transform(p, TCPSEC_TRANSFORM_KE, peer_ke, 0)) {
          out->ke = peer_ke;
          return (int)i;
        }
        for (k = 0; k < p->transform_count; k++) {
          const tcpsec_ike_transform *t = &p->transforms[k];

          if (t->type == TCPSEC_TRANSFORM_KE && tcpsec_ke_lookup(t->id)) {
            out->ke = t->id;
            return (int)i;
          }
        }
        continue;
      }
      if (group_in(groups, n, peer_ke) &&
          has_transform(p, TCPSEC_TRANSFORM_KE, peer_ke, 0)) {
        out->ke = peer_ke;
        return (int)i;
      }
      for (k = 0; k < n; k++) {
        if (has_transform(p, TCPSEC_TRANSFORM_KE, groups[k], 0)) {
          out->ke = groups[k];
          return (int)i;
        }
      }
    }
  }
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}

int tcpsec_ike_accept_esp_pfs(const ike_config *cfg,
                              const tcpsec_ike_sa_payload *sa_payload,
                              uint16_t ke_sent, ike_esp_suite *out) {
  const tcpsec_ike_proposal *p;
  size_t j;

  if (sa_payload->count != 1)
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  p = &sa_payload->proposals[0];
  if (p->protocol != TCPSEC_IKE_PROTO_ESP || p->spi_size != 4 ||
      tcpsec_load_be32(p->spi) < 256 || !types_known(p, TCPSEC_IKE_PROTO_ESP) ||
      !one_per_type(p))
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  if (ke_sent == 0 ? !no_pfs(p)
                   : !has_transform(p, TCPSEC_TRANSFORM_KE, ke_sent, 0))
    return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
  for (j = 0; j < cfg->esp_count; j++) {
    if (esp_matches(&cfg->esp[j], p, out)) {
      out->ke = ke_sent;
      return 0;
    }
  }
  return TCPSEC_ERR_NO_PROPOSAL_CHOSEN;
}
