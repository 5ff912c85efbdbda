/*
 * SA database: inbound SAs by SPI in an open-addressing hash table with
 * linear probing, SPI reservation, Child SA install and removal, and the
 * data path entry points (select, open).
 *
 * Slots contain the SPI (0 = empty, since SPI 0 is never used), its keyed
 * hash, the Child SA and its inbound SA (both NULL while the SPI is only
 * reserved). The table is at most half full, so a lookup, hit or miss,
 * probes a few adjacent slots. Removal shifts the following slots back
 * instead of leaving tombstones, so the probe lengths do not degrade over
 * time.
 *
 * A Child SA record, its selector entries and their prefix nodes share one
 * allocation, so that an outbound selection touches few cache lines.
 */
#include <inttypes.h>
#include <string.h>

#include "core/ctx.h"
#include "core/cursor.h"
#include "core/util.h"
#include "esp/esp_internal.h"
#include "sa/sa_internal.h"

/* Random draws before tcpsec_sad_reserve_spi() gives up. At most max_spis
 * (2^30) of the 2^32 - 256 usable values are taken, so needing this many
 * draws means the random source is broken. */
#define SPI_DRAW_ATTEMPTS 64

struct sad_child {
  tcpsec_esp_sa *inbound;
  tcpsec_esp_sa *outbound;
  void *user;
  spd_entry *entries;        /* in the same allocation, after the record */
  size_t entry_count;
  size_t alloc_size;
  uint8_t standby;           /* outbound_standby until promoted */
  /* Rekey links: the Child SA this one replaces, and the newest one that
   * replaces this one, which is promoted when this one is removed. */
  struct sad_child *predecessor;
  struct sad_child *successor;
};

struct sad_slot {
  uint32_t spi;
  uint32_t hash;
  struct sad_child *child;
  tcpsec_esp_sa *inbound;    /* child->inbound, kept here to save a load */
};

struct tcpsec_sad {
  tcpsec_ctx *ctx;
  tcpsec_sad_config cfg;
  uint64_t hash_key[2];
  struct sad_slot *slots;
  size_t capacity;          /* power of two */
  size_t used;              /* reserved plus installed */
  size_t installed;
  uint64_t install_order;
  tcpsec_spd spd;
  uint64_t child_bytes;     /* Child SA records, entries and nodes */
  uint64_t unknown_spi;
  uint64_t no_policy;
  uint64_t bad_inner_packet;
};

void tcpsec_sad_config_default(tcpsec_sad_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->max_spis = (size_t)1 << 20;
  cfg->initial_capacity = 64;
  cfg->max_ts_per_side = 16;
}

/* Copy a caller struct of `size` bytes into `out` (already holding the
 * defaults, `known` bytes long); unknown trailing bytes must be zero. */
static int struct_load(const void *in, size_t size, void *out, size_t known) {
  const uint8_t *bytes = in;
  size_t i;

  if (size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = known; i < size; i++)
    if (bytes[i] != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  memcpy(out, in, TCPSEC_MIN(size, known));
  return 0;
}

/* ---- hash table ------------------------------------------------------------ */

static uint32_t spi_hash(const tcpsec_sad *sad, uint32_t spi) {
  uint8_t b[4];

  tcpsec_store_be32(b, spi);
  return (uint32_t)tcpsec_siphash24(sad->hash_key, b, sizeof(b));
}

/* Slot holding spi, or the empty slot where it would go. */
static size_t slot_find(const tcpsec_sad *sad, uint32_t spi, uint32_t hash) {
  size_t mask = sad->capacity - 1, i = hash & mask;

  while (sad->slots[i].spi != 0 && sad->slots[i].spi != spi)
    i = (i + 1) & mask;
  return i;
}

static struct sad_slot *slot_lookup(const tcpsec_sad *sad, uint32_t spi) {
  size_t i;

  if (spi == 0)
    return NULL;
  i = slot_find(sad, spi, spi_hash(sad, spi));
  return sad->slots[i].spi == spi ? &sad->slots[i] : NULL;
}

static int table_resize(tcpsec_sad *sad, size_t capacity) {
  struct sad_slot *old = sad->slots, *slots;
  size_t old_cap = sad->capacity, i;

  slots = tcpsec_calloc(sad->ctx, capacity, sizeof(*slots));
  if (slots == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  sad->slots = slots;
  sad->capacity = capacity;
  for (i = 0; i < old_cap; i++)
    if (old[i].spi != 0)
      slots[slot_find(sad, old[i].spi, old[i].hash)] = old[i];
  tcpsec_free(sad->ctx, old);
  return 0;
}

/* Make room for one more SPI, keeping the table at most half full. */
static int table_reserve_one(tcpsec_sad *sad) {
  if (sad->used >= sad->cfg.max_spis)
    return TCPSEC_ERR_LIMIT;
  if ((sad->used + 1) * 2 <= sad->capacity)
    return 0;
  return table_resize(sad, sad->capacity * 2);
}

/* Backward-shift deletion for linear probing: move later members of the
 * cluster into the hole when their home slot does not lie cyclically in
 * (hole, current]. */
static void slot_delete(tcpsec_sad *sad, size_t hole) {
  size_t mask = sad->capacity - 1, j = hole;

  for (;;) {
    size_t home;

    j = (j + 1) & mask;
    if (sad->slots[j].spi == 0)
      break;
    home = sad->slots[j].hash & mask;
    if (hole <= j ? (hole < home && home <= j) : (hole < home || home <= j))
      continue;
    sad->slots[hole] = sad->slots[j];
    hole = j;
  }
  memset(&sad->slots[hole], 0, sizeof(sad->slots[hole]));
  sad->used--;
}

static void slot_insert(tcpsec_sad *sad, uint32_t spi, struct sad_child *c) {
  uint32_t hash = spi_hash(sad, spi);
  size_t i = slot_find(sad, spi, hash);

  if (sad->slots[i].spi == 0)
    sad->used++;
  sad->slots[i].spi = spi;
  sad->slots[i].hash = hash;
  sad->slots[i].child = c;
  sad->slots[i].inbound = c != NULL ? c->inbound : NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

int tcpsec_sad_new(tcpsec_ctx *ctx, const tcpsec_sad_config *cfg,
                   tcpsec_sad **out) {
  tcpsec_sad_config c;
  tcpsec_sad *sad;
  size_t cap;
  int rv;

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_sad_config_default(&c);
  if (cfg != NULL && struct_load(cfg, cfg->size, &c, sizeof(c)) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  c.size = sizeof(c);
  if (c.max_spis == 0 || c.max_ts_per_side == 0 ||
      c.max_spis > ((size_t)1 << 30))
    return TCPSEC_ERR_INVALID_ARGUMENT;

  sad = tcpsec_calloc(ctx, 1, sizeof(*sad));
  if (sad == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  sad->ctx = ctx;
  sad->cfg = c;
  rv = tcpsec_random(ctx, (uint8_t *)sad->hash_key, sizeof(sad->hash_key));
  if (rv != 0)
    goto fail_sad;

  cap = 16;
  while (cap < 2 * TCPSEC_MIN(c.initial_capacity, c.max_spis))
    cap <<= 1;
  sad->slots = tcpsec_calloc(ctx, cap, sizeof(*sad->slots));
  if (sad->slots == NULL) {
    rv = TCPSEC_ERR_NO_MEMORY;
    goto fail_sad;
  }
  sad->capacity = cap;
  rv = tcpsec_spd_init(&sad->spd, ctx, sad->hash_key, c.initial_capacity);
  if (rv != 0)
    goto fail_slots;
  *out = sad;
  return 0;

fail_slots:
  tcpsec_free(ctx, sad->slots);
fail_sad:
  tcpsec_free_secret(ctx, sad, sizeof(*sad));
  return rv;
}

static void child_promote(tcpsec_sad *sad, struct sad_child *c);

static void child_free(tcpsec_sad *sad, struct sad_child *c) {
  size_t i;

  if (c->predecessor != NULL && c->predecessor->successor == c)
    c->predecessor->successor = NULL;
  if (c->successor != NULL) {
    /* The replaced pair is gone: its successor carries the traffic. */
    c->successor->predecessor = NULL;
    if (c->successor->standby)
      child_promote(sad, c->successor);
  }
  for (i = 0; i < c->entry_count; i++)
    tcpsec_spd_remove(&sad->spd, &c->entries[i]);
  sad->child_bytes -= c->alloc_size;
  tcpsec_esp_sa_free(c->inbound);
  tcpsec_esp_sa_free(c->outbound);
  tcpsec_free(sad->ctx, c);
}

void tcpsec_sad_free(tcpsec_sad *sad) {
  size_t i;

  if (sad == NULL)
    return;
  for (i = 0; i < sad->capacity; i++)
    if (sad->slots[i].child != NULL)
      child_free(sad, sad->slots[i].child);
  tcpsec_spd_clear(&sad->spd);
  tcpsec_free(sad->ctx, sad->slots);
  /* The hash key must not outlive the table. */
  tcpsec_free_secret(sad->ctx, sad, sizeof(*sad));
}

/* ---- SPIs ------------------------------------------------------------------ */

int tcpsec_sad_reserve_spi(tcpsec_sad *sad, uint32_t *spi) {
  int rv, i;

  if (sad == NULL || spi == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = table_reserve_one(sad);
  if (rv != 0)
    return rv;

  for (i = 0; i < SPI_DRAW_ATTEMPTS; i++) {
    uint8_t b[4];
    uint32_t v;

    rv = tcpsec_random(sad->ctx, b, sizeof(b));
    if (rv != 0)
      return rv;
    v = tcpsec_load_be32(b);
    if (v < TCPSEC_SAD_SPI_MIN || slot_lookup(sad, v) != NULL)
      continue;
    slot_insert(sad, v, NULL);
    *spi = v;
    return 0;
  }
  tcpsec_log(sad->ctx, TCPSEC_LOG_ERROR, "sa",
             "no free SPI after %d random draws with %zu of %zu SPIs in use; "
             "check the random source",
             SPI_DRAW_ATTEMPTS, sad->used, sad->cfg.max_spis);
  return TCPSEC_ERR_RANDOM;
}

int tcpsec_sad_release_spi(tcpsec_sad *sad, uint32_t spi) {
  struct sad_slot *s;

  if (sad == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  s = slot_lookup(sad, spi);
  if (s == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  if (s->child != NULL)
    return TCPSEC_ERR_INVALID_STATE;
  slot_delete(sad, (size_t)(s - sad->slots));
  return 0;
}

/* ---- install and remove ---------------------------------------------------- */

static int child_check(const tcpsec_sad *sad, const tcpsec_sad_child *c) {
  size_t i;

  if (c->inbound == NULL ||
      tcpsec_esp_sa_direction(c->inbound) != TCPSEC_ESP_INBOUND)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->outbound != NULL &&
      tcpsec_esp_sa_direction(c->outbound) != TCPSEC_ESP_OUTBOUND)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if ((c->local_ts_count != 0 && c->local_ts == NULL) ||
      (c->remote_ts_count != 0 && c->remote_ts == NULL))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->outbound == NULL && (c->local_ts_count != 0 || c->remote_ts_count != 0))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c->local_ts_count > sad->cfg.max_ts_per_side ||
      c->remote_ts_count > sad->cfg.max_ts_per_side)
    return TCPSEC_ERR_LIMIT;
  for (i = 0; i < c->local_ts_count; i++)
    if (tcpsec_spd_selector_valid(&c->local_ts[i]) != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  for (i = 0; i < c->remote_ts_count; i++)
    if (tcpsec_spd_selector_valid(&c->remote_ts[i]) != 0)
      return TCPSEC_ERR_INVALID_ARGUMENT;
  return 0;
}

/* 1 when a (local, remote) pair becomes an entry: pairs of different
 * address families can never match a packet and are left out. */
static int pair_used(const tcpsec_sad_child *in, size_t i, size_t j) {
  return in->local_ts[i].ts_type == in->remote_ts[j].ts_type;
}

/*
 * Allocate the Child SA record with its entries and prefix nodes in one
 * block:
 *
 *   struct sad_child | spd_entry[entry_count] | spd_node[node_count]
 */
static struct sad_child *child_alloc(tcpsec_sad *sad,
                                     const tcpsec_sad_child *in) {
  size_t entries = 0, nodes = 0, i, j, size;
  struct sad_child *c;

  for (i = 0; i < in->local_ts_count; i++)
    for (j = 0; j < in->remote_ts_count; j++)
      if (pair_used(in, i, j)) {
        entries++;
        nodes += tcpsec_spd_prefix_count(&in->remote_ts[j]);
      }
  size = sizeof(*c) + entries * sizeof(spd_entry) + nodes * sizeof(spd_node);
  c = tcpsec_calloc(sad->ctx, 1, size);
  if (c == NULL)
    return NULL;
  c->alloc_size = size;
  c->entries = (spd_entry *)(c + 1);
  return c;
}

/* Fill the entries and link their prefix nodes into the selector index. */
static void child_add_entries(tcpsec_sad *sad, struct sad_child *c,
                              const tcpsec_sad_child *in) {
  spd_node *nodes;
  size_t i, j, n = 0;

  for (i = 0; i < in->local_ts_count; i++)
    for (j = 0; j < in->remote_ts_count; j++)
      if (pair_used(in, i, j))
        n++;
  nodes = (spd_node *)(c->entries + n);

  for (i = 0; i < in->local_ts_count; i++) {
    for (j = 0; j < in->remote_ts_count; j++) {
      spd_entry *e = &c->entries[c->entry_count];

      if (!pair_used(in, i, j))
        continue;
      e->local = in->local_ts[i];
      e->remote = in->remote_ts[j];
      e->child = c;
      /* On standby it loses to every older Child SA with the same
       * selectors until it is promoted. */
      e->order = in->outbound_standby ? 0 : sad->install_order;
      tcpsec_spd_add(&sad->spd, e, nodes);
      nodes += e->node_count;
      c->entry_count++;
    }
  }
}

int tcpsec_sad_install(tcpsec_sad *sad, const tcpsec_sad_child *child) {
  tcpsec_sad_child in;
  struct sad_child *c;
  struct sad_slot *s;
  uint32_t spi;
  int rv;

  if (sad == NULL || child == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memset(&in, 0, sizeof(in));
  if (struct_load(child, child->size, &in, sizeof(in)) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  rv = child_check(sad, &in);
  if (rv != 0)
    return rv;

  spi = tcpsec_esp_sa_spi(in.inbound);
  s = slot_lookup(sad, spi);
  if (s != NULL && s->child != NULL)
    return TCPSEC_ERR_EXISTS;
  if (s == NULL && (rv = table_reserve_one(sad)) != 0)
    return rv;

  c = child_alloc(sad, &in);
  if (c == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  c->inbound = in.inbound;
  c->outbound = in.outbound;
  c->user = in.user;
  c->standby = in.outbound_standby != 0;
  if (in.replaces_spi != 0) {
    struct sad_slot *old = slot_lookup(sad, in.replaces_spi);

    if (old != NULL && old->child != NULL) {
      if (old->child->successor != NULL)
        old->child->successor->predecessor = NULL;
      old->child->successor = c;
      c->predecessor = old->child;
    }
  }
  sad->install_order++;
  child_add_entries(sad, c, &in);
  sad->child_bytes += c->alloc_size;

  slot_insert(sad, spi, c);
  sad->installed++;
  tcpsec_log(sad->ctx, TCPSEC_LOG_INFO, "sa",
             "installed Child SA: inbound SPI 0x%08" PRIx32
             ", outbound SPI 0x%08" PRIx32 ", %zu selector pairs",
             spi, tcpsec_esp_sa_spi(in.outbound), c->entry_count);
  return 0;
}

int tcpsec_sad_remove(tcpsec_sad *sad, uint32_t inbound_spi) {
  struct sad_slot *s;

  if (sad == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  s = slot_lookup(sad, inbound_spi);
  if (s == NULL || s->child == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  child_free(sad, s->child);
  slot_delete(sad, (size_t)(s - sad->slots));
  sad->installed--;
  tcpsec_log(sad->ctx, TCPSEC_LOG_INFO, "sa",
             "removed Child SA with inbound SPI 0x%08" PRIx32, inbound_spi);
  return 0;
}

static void child_promote(tcpsec_sad *sad, struct sad_child *c) {
  size_t i;

  sad->install_order++;
  for (i = 0; i < c->entry_count; i++)
    c->entries[i].order = sad->install_order;
  c->standby = 0;
}

int tcpsec_sad_promote(tcpsec_sad *sad, uint32_t inbound_spi) {
  struct sad_slot *s;

  if (sad == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  s = slot_lookup(sad, inbound_spi);
  if (s == NULL || s->child == NULL)
    return TCPSEC_ERR_NOT_FOUND;
  if (s->child->standby)
    child_promote(sad, s->child);
  return 0;
}

/* ---- lookups and the data path --------------------------------------------- */

tcpsec_esp_sa *tcpsec_sad_find_inbound(const tcpsec_sad *sad, uint32_t spi) {
  struct sad_slot *s;

  if (sad == NULL)
    return NULL;
  s = slot_lookup(sad, spi);
  return s != NULL ? s->inbound : NULL;
}

tcpsec_esp_sa *tcpsec_sad_find_outbound(const tcpsec_sad *sad,
                                        uint32_t inbound_spi) {
  struct sad_slot *s;

  if (sad == NULL)
    return NULL;
  s = slot_lookup(sad, inbound_spi);
  return s != NULL && s->child != NULL ? s->child->outbound : NULL;
}

int tcpsec_sad_select(tcpsec_sad *sad, const uint8_t *inner, size_t len,
                      tcpsec_esp_sa **sa, void **user) {
  const spd_entry *e;
  tcpsec_flow flow;

  if (sad == NULL || inner == NULL || sa == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  *sa = NULL;
  if (tcpsec_flow_parse(inner, len, &flow) != 0) {
    sad->bad_inner_packet++;
    return TCPSEC_ERR_BAD_INNER_PACKET;
  }
  e = tcpsec_spd_lookup(&sad->spd, &flow);
  if (e == NULL) {
    sad->no_policy++;
    return TCPSEC_ERR_NO_POLICY;
  }
  *sa = e->child->outbound;
  if (user != NULL)
    *user = e->child->user;
  return 0;
}

ptrdiff_t tcpsec_sad_open(tcpsec_sad *sad, uint8_t *packet, size_t len,
                          uint64_t now_ms, size_t *inner_offset,
                          uint8_t *next_header, tcpsec_esp_sa **sa) {
  struct sad_slot *s;
  tcpsec_esp_sa *in;
  ptrdiff_t n;
  tcpsec_cursor c;
  uint32_t spi;
  size_t hdr;

  if (sad == NULL || packet == NULL || inner_offset == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (sa != NULL)
    *sa = NULL;
  tcpsec_cursor_init(&c, packet, len);
  spi = tcpsec_cursor_be32(&c);
  if (c.error)
    return TCPSEC_ERR_ESP_TRUNCATED;
  s = slot_lookup(sad, spi);
  in = s != NULL ? s->inbound : NULL;
  if (in == NULL) {
    sad->unknown_spi++;
    return TCPSEC_ERR_ESP_UNKNOWN_SPI;
  }
  if (sa != NULL)
    *sa = in;

  /* Open in place: the inner packet starts right after the ESP header. */
  hdr = tcpsec_esp_sa_headroom(in);
  *inner_offset = hdr;
  n = tcpsec_esp_sa_open(in, packet, len, len > hdr ? packet + hdr : packet,
                         len > hdr ? len - hdr : 0, now_ms, next_header);
  /* The peer sends on the new pair: it can receive on it as well. */
  if (n >= 0 && s->child != NULL && s->child->standby)
    child_promote(sad, s->child);
  return n;
}

int tcpsec_sad_get_stats(const tcpsec_sad *sad, tcpsec_sad_stats *stats) {
  tcpsec_sad_stats s;

  if (sad == NULL || stats == NULL || stats->size < sizeof(size_t))
    return TCPSEC_ERR_INVALID_ARGUMENT;
  memset(&s, 0, sizeof(s));
  s.size = stats->size;
  s.child_sas = sad->installed;
  s.reserved_spis = sad->used - sad->installed;
  s.unknown_spi = sad->unknown_spi;
  s.no_policy = sad->no_policy;
  s.bad_inner_packet = sad->bad_inner_packet;
  s.table_bytes = sizeof(*sad) + sad->capacity * sizeof(*sad->slots) +
                  sad->spd.bytes + sad->child_bytes;
  memcpy(stats, &s, TCPSEC_MIN(stats->size, sizeof(s)));
  return 0;
}
